# The groups store's compaction: the log of group operations is rewritten
# as a snapshot (compact_groups(), and by itself when the log grows), and the
# state read back from the snapshot -- after a crash, on a standby made from a
# base backup, and through replay of the SWITCH on a running standby -- is the
# state before it: committed offsets with metadata, memberships with their
# generations and assignments, share groups' pending records with consumers,
# delivery counts and lock deadlines, released records and window starts.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamkvTopic;
use Test::More;

my $dump_sql = q{
SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
  SELECT format('G %s %s %s %s %s %s %s', "group", type, state, generation, members, strategy, topics) x
    FROM streamkv.groups()
  UNION ALL
  SELECT format('C %s %s %s %s %s', g."group", t, c.partition, c."offset", c.metadata)
    FROM streamkv.groups() g, unnest(g.topics) t, LATERAL streamkv.committed(g."group", t) c
  UNION ALL
  SELECT format('M %s %s %s %s %s', g."group", m.member, m.instance_id, m.session_timeout_ms, m.assignment)
    FROM streamkv.groups() g, LATERAL streamkv.members(g."group") m WHERE g.type = 'consumer'
  UNION ALL
  SELECT format('P %s %s %s %s %s %s', g."group", p.partition, p."offset", p.consumer, p.deliveries, p.locked_until)
    FROM streamkv.groups() g, LATERAL streamkv.pending(g."group") p WHERE g.type = 'share'
) s};

sub gdump { my ($node) = @_; return $node->safe_psql('postgres', $dump_sql); }

my $primary = topic_node('primary');
$primary->start;
$primary->safe_psql('postgres', q{CREATE EXTENSION streamkv;
	SELECT streamkv.create_topic('t', 4);
	SELECT streamkv.create_topic('u', 2);
	SELECT streamkv.create_topic('dlq', 1);
	SELECT streamkv.produce_agg('t', convert_to('r' || i, 'UTF8'), convert_to((i % 97)::text, 'UTF8')) FROM generate_series(1, 4000) i;
	SELECT streamkv.produce_agg('u', convert_to('u' || i, 'UTF8'), NULL) FROM generate_series(1, 100) i;});

# state of every kind, with a long history behind it
$primary->safe_psql('postgres', q{
	SELECT count(streamkv.commit('c' || (i % 7), 't', i % 4, i, 'meta-' || i)) FROM generate_series(1, 3000) i;
	SELECT streamkv.commit('c0', 'u', 1, 42, NULL);
	SELECT * FROM streamkv.join('m', ARRAY['t', 'u'], 'm1', 'sticky', 3600000);
	SELECT * FROM streamkv.join('m', ARRAY['t'], 'm2', 'sticky', 3600000, 'inst-2');
	SELECT * FROM streamkv.join('m', ARRAY['t', 'u'], 'm3', 'sticky', 3600000);
	SELECT streamkv.leave('m', 'm3');
	SELECT streamkv.create_share_group('s', 't', 3600000, 3, 'dlq', 'earliest');
	SELECT streamkv.create_share_group('s2', 'u', 3600000, 5, NULL, 'latest');});
# share group history: acquire and ack most, release some, keep some pending
for my $round (1 .. 30)
{
	$primary->safe_psql('postgres', qq{
		WITH a AS (SELECT partition, "offset" FROM streamkv.acquire('s', 'c$round', 100))
		SELECT sum(streamkv.ack('s', 'c$round', partition, offs[1:greatest(array_length(offs, 1) - 3, 0)]))
		     + sum(streamkv.release('s', 'c$round', partition, offs[array_length(offs, 1)]))
		  FROM (SELECT partition, array_agg("offset" ORDER BY "offset") offs FROM a GROUP BY partition) x});
}
my $ops_before = $primary->safe_psql('postgres', q{SELECT count(*) FROM streamkv.groups()});
my $before = gdump($primary);
like($before, qr/^P s /m, 'share group s has pending records');
like($before, qr/^M m m2 inst-2 /m, 'consumer group m has its static member');

$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('s1', true)});
$primary->backup('b0');
my $n = $primary->safe_psql('postgres', 'SELECT streamkv.compact_groups()');
ok($n > 0 && $n < 200, "compaction wrote a snapshot of $n operations");
is(gdump($primary), $before, 'compaction does not change the state in memory');

# a standby made before the compaction replays the SWITCH
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b0', has_streaming => 1);
$standby->append_conf('postgresql.conf', "primary_slot_name = 's1'\n");
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(gdump($standby), $before, 'a standby that replayed the compaction has the same state');

# crash right after compaction, without a checkpoint
$primary->stop('immediate');
$primary->start;
is(gdump($primary), $before, 'after a crash the snapshot loads to the same state');

# more operations on top of the snapshot, then a checkpoint, a base backup and a crash
$primary->safe_psql('postgres', q{
	SELECT streamkv.commit('c1', 't', 2, 99999, 'after');
	SELECT * FROM streamkv.join('m', ARRAY['t', 'u'], 'm4', 'sticky', 3600000);
	SELECT count(*) FROM streamkv.acquire('s', 'late', 5);
	CHECKPOINT;});
$primary->safe_psql('postgres', q{SELECT pg_create_physical_replication_slot('s2', true)});
$primary->backup('b1');
$primary->safe_psql('postgres', q{SELECT count(*) FROM streamkv.acquire('s', 'later', 5);
	SELECT streamkv.commit('c1', 't', 3, 7)});
my $after = gdump($primary);
isnt($after, $before, 'the state moved on');
$primary->stop('immediate');
$primary->start;
is(gdump($primary), $after, 'after a second crash the snapshot plus the newer operations load to the same state');

my $standby2 = PostgreSQL::Test::Cluster->new('standby2');
$standby2->init_from_backup($primary, 'b1', has_streaming => 1);
$standby2->append_conf('postgresql.conf', "primary_slot_name = 's2'\n");
$standby2->start;
$primary->wait_for_catchup($standby2, 'replay', $primary->lsn('insert'));
is(gdump($standby2), $after, 'a standby from a base backup taken after the compaction has the same state');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(gdump($standby), $after, 'the first standby followed too');

# records acquired just before a crash are still held afterwards (an
# acquire is durable at commit like every group operation), never lost
$primary->safe_psql('postgres', q{SELECT streamkv.produce_agg('u', convert_to('v' || i, 'UTF8'), NULL) FROM generate_series(1, 10) i});
is($primary->safe_psql('postgres', q{SELECT count(*) FROM streamkv.acquire('s2', 'x', 100)}), '10',
	'ten new records acquired');
$primary->stop('immediate');
$primary->start;
is($primary->safe_psql('postgres', q{SELECT count(*) FROM streamkv.pending('s2') WHERE consumer = 'x' AND deliveries = 1}),
	'10', 'after a crash all ten are still held by their consumer');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM streamkv.acquire('s2', 'y', 100)}), '0',
	'and none is handed to another consumer');

# compaction by itself: 20000 more operations would take ~180 pages; the log
# is rewritten whenever it grows past four times its snapshot, and freed pages
# are reused, so the store stays far smaller
$primary->safe_psql('postgres', q{SELECT count(streamkv.commit('auto', 't', i % 4, i)) FROM generate_series(1, 20000) i});
my $pages = $primary->safe_psql('postgres', q{SELECT pg_relation_size('streamkv.groups_store') / 8192});
ok($pages < 100, "the groups store stays bounded ($pages pages after 20000 commits)");
$after = gdump($primary);
$primary->restart;
is(gdump($primary), $after, 'after a clean restart the state is the same');
$primary->wait_for_catchup($standby2, 'replay', $primary->lsn('insert'));
is(gdump($standby2), $after, 'and the standby agrees');

ok(!$primary->log_contains('inconsistent page found'), 'no WAL consistency failure on the primary');
ok(!$standby->log_contains('inconsistent page found') && !$standby2->log_contains('inconsistent page found'),
	'no WAL consistency failure on the standbys');
$standby->stop;
$standby2->stop;
$primary->stop;
done_testing();
