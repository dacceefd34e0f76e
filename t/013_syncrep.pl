# Synchronous replication: with a synchronous standby and
# synchronous_commit = remote_apply, a keyspace write is visible on the
# standby as soon as the writing statement returns (no wait_for_catchup).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $primary = sk_node('primary', '', allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION streamkv');
$primary->safe_psql('postgres', q{SELECT streamkv.set('before', 'backup')});
$primary->backup('b1');

my $standby = sk_new_node('standby1');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->start;

$primary->append_conf('postgresql.conf',
	"synchronous_standby_names = 'standby1'\nsynchronous_commit = remote_apply\n");
$primary->reload;
$primary->poll_query_until('postgres',
	q{SELECT sync_state = 'sync' FROM pg_stat_replication WHERE application_name = 'standby1'})
  or die 'standby1 did not become synchronous';
is($primary->safe_psql('postgres', 'SHOW synchronous_commit'), 'remote_apply', 'synchronous_commit = remote_apply');

my ($ok_str, $ok_hash, $ok_incr, $ok_del) = (0, 0, 0, 0);
my $t0 = time;
for my $i (1 .. 50)
{
	$primary->safe_psql('postgres', "SELECT streamkv.set('k$i', 'value$i')");
	my $got = $standby->safe_psql('postgres', "SELECT streamkv.get('k$i')");
	$ok_str++ if $got eq "value$i";
	diag("iteration $i: standby has '$got' for k$i") if $got ne "value$i";

	$primary->safe_psql('postgres', "SELECT streamkv.hset('h', 'f$i', '$i'), streamkv.incr('n')");
	$got = $standby->safe_psql('postgres', "SELECT streamkv.hget('h', 'f$i'), streamkv.get('n')");
	$ok_hash++ if $got eq "$i|$i";
	diag("iteration $i: standby has '$got' for h.f$i, n") if $got ne "$i|$i";

	$primary->safe_psql('postgres', "SELECT streamkv.del('k$i')");
	$got = $standby->safe_psql('postgres', "SELECT streamkv.exists('k$i')");
	$ok_del++ if $got eq '0';
}
note sprintf('50 iterations of 3 synchronous writes + 3 standby reads: %.2f s', time - $t0);
is($ok_str, 50, 'SET visible on the standby right after it returned (50/50)');
is($ok_hash, 50, 'HSET and INCR visible on the standby right after they returned (50/50)');
is($ok_del, 50, 'DEL visible on the standby right after it returned (50/50)');

# several operations in one transaction: visible when COMMIT returns
$primary->safe_psql('postgres', q{BEGIN; SELECT streamkv.set('tx1', 'a'); SELECT streamkv.set('tx2', 'b'); COMMIT});
is($standby->safe_psql('postgres', q{SELECT streamkv.get('tx1'), streamkv.get('tx2')}), 'a|b',
	'operations of one transaction visible on the standby when COMMIT returned');

sk_is_dump(sk_dump($standby), sk_dump($primary), 'standby equals primary');
$standby->stop;
$primary->stop;
done_testing();
