# The slot table has no fixed number of slots: 120 databases each have a
# loaded keyspace at once, and with a small streamkv.max_memory idle
# keyspaces are unloaded (least recently used first) and come back with
# their data when used again -- on the primary and on a standby that is
# replaying.  A write that does not fit even after unloading every idle
# slot still fails with 53200 and changes nothing.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $ndb = 120;

# ---- 120 databases, each with a loaded keyspace --------------------------
my $node = sk_node('slots', "max_connections = 150\nfsync = off\n", allows_streaming => 1);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');
$node->safe_psql('template1', 'CREATE EXTENSION streamkv');
for my $i (1 .. $ndb)
{
	$node->safe_psql('postgres', "CREATE DATABASE db$i");
}
# every database keeps a session open while all the others write, so all
# 120 keyspaces are loaded and in use at the same time
my @sessions;
for my $i (1 .. $ndb)
{
	my $s = $node->background_psql("db$i", on_error_stop => 1);
	$s->query_safe("SELECT streamkv.set('who', 'db$i'), streamkv.set('n', '$i')");
	push @sessions, $s;
}
my $bad = 0;
for my $i (1 .. $ndb)
{
	my $s = $sessions[ $i - 1 ];
	$s->query_safe("SELECT streamkv.incr('n')");
	my $got = $s->query_safe("SELECT streamkv.get('who') || ':' || streamkv.get('n') || ':' || streamkv.dbsize()");
	$bad++ unless $got eq "db$i:" . ($i + 1) . ':2';
}
is($bad, 0, "$ndb databases each have their own loaded keyspace at once");
$_->quit for @sessions;
my ($slots, $loaded) = split /\|/,
  $node->safe_psql('db1', "SELECT slots, loaded FROM streamkv.slots() WHERE kind = 'keyspace'");
cmp_ok($slots, '>=', $ndb, "info() counts $slots keyspace slots");
cmp_ok($loaded, '>=', $ndb, "and $loaded of them loaded");

# ---- a small max_memory: idle keyspaces are unloaded and reloaded ----------
$node->append_conf('postgresql.conf', "streamkv.max_memory = '8MB'\n");
$node->restart;
my $standby_backup = 'slots_backup';
$node->backup($standby_backup);
my $standby = sk_new_node('slots_standby');
$standby->init_from_backup($node, $standby_backup, has_streaming => 1);
$standby->append_conf('postgresql.conf', "streamkv.max_memory = '8MB'\nmax_connections = 150\n");
$standby->start;

# 12 databases of about 1.5 MB of keys each: 18 MB, more than twice the limit
my $nbig = 12;
for my $i (1 .. $nbig)
{
	$node->safe_psql("db$i",
		"SELECT count(streamkv.set('k' || g, repeat(chr(64 + $i), 1000))) FROM generate_series(1, 1000) g");
}
my $check = sub {
	my ($n, $what) = @_;
	my $wrong = 0;
	for my $round (1 .. 2)
	{
		for my $i (1 .. $nbig)
		{
			my $got = $n->safe_psql("db$i",
				"SELECT streamkv.dbsize(), count(*) FROM generate_series(1, 1000) g "
				  . "WHERE streamkv.get('k' || g) = repeat(chr(64 + $i), 1000)");
			$wrong++ unless $got eq '1002|1000';
		}
	}
	is($wrong, 0, "$what: every database reads all its keys, twice round");
	my $unloads = $n->safe_psql('db1', "SELECT unloads FROM streamkv.slots() WHERE kind = 'keyspace'");
	cmp_ok($unloads, '>', 0, "$what: idle keyspaces were unloaded ($unloads unloads)");
	# which keyspaces were unloaded depends on timing (LRU); count over all twelve
	my ($own, $reloaded) = (0, 0);
	for my $i (1 .. $nbig)
	{
		my ($loads, $u) = split /\|/, $n->safe_psql("db$i", 'SELECT loads, unloads FROM streamkv.info()');
		$own += $u;
		$reloaded++ if $loads > 1;
	}
	cmp_ok($own, '>', 0, "$what: info().unloads of the databases count $own unloads");
	cmp_ok($reloaded, '>', 0, "$what: $reloaded keyspaces were loaded again after an unload");
	my ($used, $limit) = split /\|/, $n->safe_psql('db1', 'SELECT memory_used, memory_limit FROM streamkv.info()');
	cmp_ok($used, '<=', $limit, "$what: memory used $used stays under the limit $limit");
};
$check->($node, 'primary');
$node->wait_for_catchup($standby);
$check->($standby, 'standby');

# replay into a keyspace that is unloaded on the standby, then read it there
$node->safe_psql('db3', "SELECT streamkv.set('late', 'replayed')");
$node->wait_for_catchup($standby);
is($standby->safe_psql('db3', "SELECT streamkv.get('late')"), 'replayed',
	'a write replayed while the keyspace may be unloaded is read on the standby');

# one keyspace that does not fit even alone: 53200, nothing changed
is(sk_sqlstate($node, "SELECT streamkv.set('huge', repeat('x', 20 * 1024 * 1024))"), '53200',
	'a write larger than the limit fails with 53200');
is($node->safe_psql('postgres', "SELECT streamkv.exists('huge')"), '0', 'and changed nothing');

$standby->stop;
$node->stop;
done_testing();
