# Streaming replication of the keyspace: a standby made from a base backup
# taken after the data was written shows all of it; new writes replicate;
# an expiry decided on the primary (by the background worker) replicates;
# mutating functions fail on the standby with SQLSTATE 25006; promotion
# keeps everything and accepts writes.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $primary = sk_node('primary', '', allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION streamkv');

# data written before the base backup
$primary->safe_psql('postgres', q{
SELECT count(streamkv.set('s' || i, 'v' || i)) FROM generate_series(1, 1000) i;
SELECT count(streamkv.hset('h' || i, 'a', i::text, 'b', 'bee')) FROM generate_series(1, 200) i;
SELECT count(streamkv.set('t' || i, 'ttl', ex => 100000)) FROM generate_series(1, 50) i;
SELECT streamkv.incrby('counter', 41), streamkv.incr('counter');
SELECT streamkv.set('big', repeat('z', 50000));
});
$primary->safe_psql('postgres', 'CHECKPOINT');
# and some after the checkpoint, still before the backup
$primary->safe_psql('postgres', q{SELECT count(streamkv.set('s' || i, 'w' || i)) FROM generate_series(1, 100) i});

my $before = sk_dump($primary);
my $nkeys = $primary->safe_psql('postgres', 'SELECT streamkv.dbsize()');
is($nkeys, 1000 + 200 + 50 + 2, 'primary: dbsize');

$primary->backup('b1');
my $standby = sk_new_node('standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

sk_is_dump(sk_dump($standby), $before, 'standby from a base backup taken after the data shows all of it');
is($standby->safe_psql('postgres', q{SELECT streamkv.get('s5'), streamkv.get('s500'), streamkv.hget('h7', 'a'), streamkv.get('counter')}),
	'w5|v500|7|42', 'spot checks on the standby');
my $ttl = $standby->safe_psql('postgres', q{SELECT streamkv.ttl('t1')});
ok($ttl > 99000 && $ttl <= 100000, "TTL visible on the standby ($ttl)");

# ---- new writes replicate
$primary->safe_psql('postgres', q{
SELECT count(streamkv.set('n' || i, 'new' || i)) FROM generate_series(1, 500) i;
SELECT streamkv.hset('h1', 'c', 'sea'), streamkv.hdel('h2', 'a', 'b'), streamkv.del('s10', 's11');
SELECT streamkv.persist('t2'), streamkv.incrbyfloat('fl', 10.5), streamkv.incrbyfloat('fl', 0.1);
SELECT streamkv.append('s20', '+tail');
});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
sk_is_dump(sk_dump($standby), sk_dump($primary), 'new writes replicate: standby equals primary');
is($standby->safe_psql('postgres', q{SELECT streamkv.get('n500'), streamkv.hget('h1', 'c'), streamkv.exists('h2', 's10', 's11'), streamkv.get('fl'), streamkv.ttl('t2'), streamkv.get('s20')}),
	'new500|sea|0|10.6|-1|w20+tail', 'spot checks of the new writes on the standby');

# ---- mutating functions refuse on the standby
for my $sql (
	q{SELECT streamkv.set('x', 'y')},
	q{SELECT streamkv.del('s1')},
	q{SELECT streamkv.incr('counter')},
	q{SELECT streamkv.hset('h1', 'a', 'b')},
	q{SELECT streamkv.expire('s1', 10)},
	q{SELECT streamkv.persist('t1')},
	q{SELECT streamkv.getdel('s1')},
	q{SELECT streamkv.mset('a', 'b')},
	q{SELECT streamkv.flushdb()})
{
	is(sk_sqlstate($standby, $sql), '25006', "on the standby: $sql fails with 25006");
}
sk_is_dump(sk_dump($standby), sk_dump($primary), 'the refused writes changed nothing');

# ---- an expiry decided on the primary replicates
my $expired0 = $primary->safe_psql('postgres', 'SELECT expired_keys FROM streamkv.info()');
my $dbsize0 = $primary->safe_psql('postgres', 'SELECT streamkv.dbsize()');   # before shortlived exists
$primary->safe_psql('postgres', q{SELECT streamkv.set('shortlived', 'bye')});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', q{SELECT streamkv.exists('shortlived')}), '1', 'short-lived key reached the standby');
$primary->safe_psql('postgres', q{SELECT streamkv.pexpire('shortlived', 200)});
# wait for the background worker (no reads of the key on the primary)
my $t0 = time;
my $removed = $primary->poll_query_until('postgres',
	"SELECT expired_keys > $expired0 FROM streamkv.info()");
ok($removed, 'the background worker expired the key on the primary');
note sprintf('worker expiry took %.1f s', time - $t0);
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', q{SELECT streamkv.exists('shortlived'), streamkv.get('shortlived') IS NULL, streamkv.dbsize()}),
	"0|t|$dbsize0", 'the expiry replicated: gone on the standby, dbsize back');
is($primary->safe_psql('postgres', q{SELECT streamkv.exists('shortlived'), streamkv.dbsize()}),
	"0|$dbsize0", 'and gone on the primary');

# ---- promotion
my $final = sk_dump($primary);
$primary->stop;
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()') or die 'promotion failed';
sk_is_dump(sk_dump($standby), $final, 'after promotion the former standby has everything');
is($standby->safe_psql('postgres', q{SELECT streamkv.set('promoted', 'yes'), streamkv.incr('counter'), streamkv.hset('h1', 'd', 'dee')}),
	'OK|43|1', 'the promoted node accepts writes');
$standby->restart;
is($standby->safe_psql('postgres', q{SELECT streamkv.get('promoted'), streamkv.get('counter'), streamkv.hget('h1', 'd')}),
	'yes|43|dee', 'writes on the promoted node survive a restart');
ok(!$standby->log_contains('inconsistent page found'), 'no WAL consistency failure on the standby');
$standby->stop;
done_testing();
