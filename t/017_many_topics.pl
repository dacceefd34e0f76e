# No fixed number of topics: 10,000 topics in one database are created,
# produced to and fetched from, while three more databases each use 100
# topics and a keyspace at the same time.  Then, with a small
# streamkv.max_memory, idle topics are unloaded and come back with their
# records when fetched again, on the primary and on a replaying standby.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $ntopics = 10_000;

my $node = sk_node('topics', "fsync = off\nmax_locks_per_transaction = 256\n", allows_streaming => 1);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');

# created, produced to and checked in transactions of 250 topics
$node->safe_psql('postgres', q{
CREATE PROCEDURE make_topics(prefix text, n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. n LOOP
    PERFORM streamkv.create_topic(prefix || i);
    PERFORM streamkv.produce(prefix || i, ('value of ' || prefix || i)::text);
    IF i % 250 = 0 THEN COMMIT; END IF;
  END LOOP;
END $$;
CREATE FUNCTION check_topics(prefix text, n int) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM generate_series(1, n) i,
    LATERAL streamkv.fetch(prefix || i, 0, 0) f
   WHERE convert_from(f.value, 'UTF8') = 'value of ' || prefix || i AND f."offset" = 0
$$;
});
$node->safe_psql('postgres', "CALL make_topics('topic', $ntopics)");
is($node->safe_psql('postgres', "SELECT count(*) FROM streamkv.topics()"), $ntopics, "$ntopics topics exist");

# three more databases, each with 100 topics and a keyspace, in use at the same time
my @others;
for my $d (1 .. 3)
{
	$node->safe_psql('postgres', "CREATE DATABASE other$d");
	$node->safe_psql("other$d", 'CREATE EXTENSION streamkv');
	$node->safe_psql("other$d", $node->safe_psql('postgres',
		q{SELECT string_agg(pg_get_functiondef(p.oid), E';\n') || ';' FROM pg_proc p WHERE proname IN ('make_topics', 'check_topics')}));
	my $s = $node->background_psql("other$d", on_error_stop => 1);
	$s->query_safe("CALL make_topics('o${d}t', 100)");
	$s->query_safe("SELECT streamkv.set('db', 'other$d')");
	push @others, $s;
}
is($node->safe_psql('postgres', "SELECT check_topics('topic', $ntopics)"), $ntopics,
	"every one of the $ntopics topics fetches its record");
for my $d (1 .. 3)
{
	my $s = $others[ $d - 1 ];
	is($s->query_safe("SELECT check_topics('o${d}t', 100) || ':' || streamkv.get('db')"), "100:other$d",
		"database other$d uses its 100 topics and its keyspace at the same time");
}
$_->quit for @others;
my ($tslots, $tloaded) = split /\|/,
  $node->safe_psql('postgres', "SELECT slots, loaded FROM streamkv.slots() WHERE kind = 'topic'");
cmp_ok($tloaded, '>=', $ntopics + 300, "$tloaded topics loaded at once ($tslots slots)");

# ---- small max_memory: topics are unloaded and reloaded on use ---------------
$node->append_conf('postgresql.conf', "streamkv.max_memory = '6656kB'\n");
$node->restart;
$node->backup('topics_backup');
my $standby = sk_new_node('topics_standby');
$standby->init_from_backup($node, 'topics_backup', has_streaming => 1);
$standby->append_conf('postgresql.conf', "streamkv.max_memory = '6656kB'\n");
$standby->start;

# more records on 2,000 topics, then everything is read twice round
$node->safe_psql('postgres', q{
SELECT count(streamkv.produce('topic' || i, repeat('x', 200)))
  FROM generate_series(1, 2000) i, generate_series(1, 3) r});
for my $n ($node, $standby)
{
	my $what = $n == $node ? 'primary' : 'standby';
	$node->wait_for_catchup($standby) if $n == $standby;
	for my $round (1 .. 2)
	{
		is($n->safe_psql('postgres', "SELECT check_topics('topic', $ntopics)"), $ntopics,
			"$what, round $round: every topic still fetches its first record");
	}
	is($n->safe_psql('postgres', q{
		SELECT count(*) FROM generate_series(1, 2000) i, LATERAL streamkv.partitions('topic' || i) p
		 WHERE p.high_watermark = 4}), 2000, "$what: the topics written after the restart have 4 records");
	my $unloads = $n->safe_psql('postgres', "SELECT unloads FROM streamkv.slots() WHERE kind = 'topic'");
	cmp_ok($unloads, '>', 0, "$what: idle topics were unloaded to make room ($unloads unloads)");
	my ($used, $limit) = split /\|/, $n->safe_psql('postgres', 'SELECT memory_used, memory_limit FROM streamkv.info()');
	cmp_ok($used, '<=', $limit, "$what: memory used $used stays under the limit $limit");
}

$standby->stop;
$node->stop;
done_testing();
