# Retention by the background worker (streamkv.worker_naptime = 100ms):
# by time (retention_ms => 1000) and by bytes (retention_bytes small).  Over
# 10 fill cycles the log start offset advances, the records left are
# contiguous up to the high watermark, fetch below the log start fails with
# OFFSET_OUT_OF_RANGE, and the store relation stays bounded because freed
# pages are reused.  The log start survives a clean restart and a crash.
# Last, retention must keep working after a loaded topic has been dropped.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamkvTopic;
use Test::More;
use Time::HiRes qw(usleep time);

my $node = topic_node('topic_retention', "streamkv.worker_naptime = '100ms'");
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION streamkv;
	SELECT streamkv.create_topic('rt', 2, retention_ms => 1000);
	SELECT streamkv.create_topic('rb', 1, retention_bytes => 50000);
	SELECT streamkv.create_topic('keep', 1);
	SELECT streamkv.produce_agg('keep', convert_to(repeat('k', 500), 'UTF8'), NULL) FROM generate_series(1, 500)});

sub relsize
{
	my ($topic) = @_;
	return $node->safe_psql('postgres', "SELECT pg_relation_size('streamkv.topic_$topic')");
}

# check_partition(topic, p, cycle): contiguous records from the log start,
# and fetch below it fails naming both bounds.
sub check_partition
{
	my ($topic, $p, $label) = @_;
	my ($pi, $ret, $out, $err);
	# the worker may move the log start between the two queries: retry then
	for my $attempt (1 .. 5)
	{
		$pi = topic_parts($node, $topic)->{$p};
		($ret, $out, $err) = $node->psql('postgres',
			qq{SELECT count(*) || ':' || coalesce(min("offset"), -1) || ':' || coalesce(max("offset"), -1)
			     FROM streamkv.fetch('$topic', $p, $pi->{log_start}, 100000000)});
		last if $ret == 0;
		diag "$label: the log start moved while checking ($err), again";
	}
	my $n = $pi->{hwm} - $pi->{log_start};
	is($out, "$n:$pi->{log_start}:" . ($pi->{hwm} - 1), "$label: records run from the log start to the high watermark");
	($ret, $out, $err) = $node->psql('postgres',
		"SELECT * FROM streamkv.fetch('$topic', $p, " . ($pi->{log_start} - 1) . ')',
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	ok($err =~ /22023.*out of range.*log start offset is (\d+) and the high watermark is (\d+)/s
		  && $1 >= $pi->{log_start} && $2 == $pi->{hwm},
		"$label: fetch below the log start fails with both bounds")
	  or diag $err;
	return $pi;
}

# ---- by time ----
my (@sizes_t, $first_t);
my $prev_start = 0;
my $t0 = time();
for my $cycle (1 .. 10)
{
	$node->safe_psql('postgres', qq{SELECT streamkv.produce_agg('rt', convert_to('c$cycle-' || i || repeat('t', 200), 'UTF8'),
		convert_to((i % 2)::text, 'UTF8')) FROM generate_series(1, 3000) i});
	my $end = $node->safe_psql('postgres', q{SELECT string_agg(log_end_offset::text, ' ' ORDER BY partition) FROM streamkv.partitions('rt')});
	# everything but the page holding the newest record goes once it is 1 s old
	my $ok = $node->poll_query_until('postgres',
		q{SELECT bool_and(records < 40 AND log_start_offset > 0) FROM streamkv.partitions('rt')});
	ok($ok, "time cycle $cycle: retention freed the old pages of both partitions");
	my $pi0 = check_partition('rt', 0, "time cycle $cycle partition 0");
	check_partition('rt', 1, "time cycle $cycle partition 1");
	ok($pi0->{log_start} > $prev_start, "time cycle $cycle: the log start moved forward ($prev_start -> $pi0->{log_start})");
	$prev_start = $pi0->{log_start};
	push @sizes_t, relsize('rt');
	diag "time cycle $cycle: log ends $end, size $sizes_t[-1]";
}
my $max_t = (sort { $b <=> $a } @sizes_t[ 1 .. $#sizes_t ])[0];
ok($max_t <= $sizes_t[0] * 1.5, "time retention: the store stays bounded (first $sizes_t[0], max later $max_t bytes)");
diag sprintf('time retention: sizes %s; %.1f s', join(' ', @sizes_t), time() - $t0);

# ---- by bytes ----
my @sizes_b;
$prev_start = 0;
for my $cycle (1 .. 10)
{
	$node->safe_psql('postgres', qq{SELECT streamkv.produce_agg('rb', convert_to('c$cycle-' || i || repeat('b', 150), 'UTF8'), NULL)
		FROM generate_series(1, 2000) i});
	my $ok = $node->poll_query_until('postgres',
		q{SELECT bytes < 50000 + 8192 FROM streamkv.partitions('rb')});
	ok($ok, "bytes cycle $cycle: retention brought the partition down to about retention_bytes");
	my $pi = check_partition('rb', 0, "bytes cycle $cycle");
	ok($pi->{bytes} >= 50000, "bytes cycle $cycle: at least retention_bytes are kept ($pi->{bytes})");
	ok($pi->{log_start} > $prev_start, "bytes cycle $cycle: the log start moved forward ($prev_start -> $pi->{log_start})");
	$prev_start = $pi->{log_start};
	push @sizes_b, relsize('rb');
}
my $max_b = (sort { $b <=> $a } @sizes_b[ 1 .. $#sizes_b ])[0];
ok($max_b <= $sizes_b[0] * 1.5, "bytes retention: the store stays bounded (first $sizes_b[0], max later $max_b bytes)");
diag 'bytes retention: sizes ' . join(' ', @sizes_b);

# a topic without limits is untouched
is($node->safe_psql('postgres', q{SELECT log_start_offset || ':' || records FROM streamkv.partitions('keep')}), '0:500',
	'a topic with default retention keeps everything');

# the log start is durable: clean restart, then crash
my $before = topic_parts($node, 'rb');
$node->restart;
is_deeply(topic_parts($node, 'rb'), $before, 'log start and counts survive a restart');
check_partition('rb', 0, 'after restart');
$node->safe_psql('postgres', q{SELECT streamkv.produce_agg('rb', convert_to('x' || i || repeat('b', 150), 'UTF8'), NULL) FROM generate_series(1, 2000) i});
$node->poll_query_until('postgres', q{SELECT bytes < 50000 + 8192 FROM streamkv.partitions('rb')});
# retention flushes its WAL before the new log start shows: a crash right
# after it does not take the truncation back
$before = topic_parts($node, 'rb');
$node->stop('immediate');
$node->start;
is_deeply(topic_parts($node, 'rb'), $before, 'log start and counts survive a crash');
check_partition('rb', 0, 'after crash');

# retention keeps working after a topic that was in use is dropped
$node->safe_psql('postgres', q{SELECT streamkv.create_topic('victim');
	SELECT streamkv.produce('victim', 'x'::text);
	SELECT streamkv.drop_topic('victim');});
my $ls = topic_parts($node, 'rb')->{0}{log_start};
$node->safe_psql('postgres', q{SELECT streamkv.produce_agg('rb', convert_to('y' || i || repeat('b', 150), 'UTF8'), NULL) FROM generate_series(1, 2000) i});
$node->safe_psql('postgres', q{SELECT pg_sleep(2)});
my $ls2 = topic_parts($node, 'rb')->{0}{log_start};
ok($ls2 > $ls, "retention still runs after a loaded topic was dropped (log start $ls -> $ls2)");
my @worker_errors = grep { /could not read block/ } split /\n/, slurp_file($node->logfile);
is(scalar(@worker_errors), 0, 'the maintenance worker did not trip over the dropped topic')
  or diag $worker_errors[0];

# topics of a dropped database must not hold shared-memory slots forever
# (streamkv keeps 64 loaded topics at once)
$node->safe_psql('postgres', 'CREATE DATABASE x1');
$node->safe_psql('postgres', 'CREATE DATABASE x2');
$node->safe_psql('x1', q{CREATE EXTENSION streamkv;
	SELECT count(*) FROM generate_series(1, 40) i, LATERAL (SELECT streamkv.create_topic('t' || i)) c,
	       LATERAL streamkv.partitions('t' || i) p});
$node->safe_psql('postgres', 'DROP DATABASE x1');
my ($ret, $out, $err) = $node->psql('x2', q{CREATE EXTENSION streamkv;
	SELECT count(*) FROM generate_series(1, 30) i, LATERAL (SELECT streamkv.create_topic('u' || i)) c,
	       LATERAL streamkv.partitions('u' || i) p});
is($out, '30', 'after a database with 40 loaded topics is dropped, another database can use 30 topics')
  or diag $err;

# immediate stop: this node is thrown away
$node->stop('immediate');
done_testing();
