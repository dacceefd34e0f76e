# synchronous_commit = off: a producer may lose its last records in a crash,
# but a consumer must never have been handed a record that the crash takes
# back (the high watermark is the flushed WAL).  Three cycles of: two
# producers (single produce calls and produce_agg batches) writing to a
# 2-partition topic, a consumer fetching in a loop (with wait_ms) and
# printing every record it saw, an immediate stop mid-stream, a restart.
# After each restart every record any consumer saw is present at the same
# offset with the same bytes, and offsets are contiguous.
use strict;
use warnings;
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::RealBin/lib";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamkvTopic;
use Test::More;
use Time::HiRes qw(usleep time);

srand(31);
my $cycles = 3;
my $dir = tempdir(CLEANUP => 1);

my $node = topic_node('topic_async', 'synchronous_commit = off', 'wal_writer_delay = 50ms');
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION streamkv; SELECT streamkv.create_topic('t', 2)});

my %seen;      # "p/o" => hex, everything a consumer was handed
my %acked;     # "p/o" => hex, what single produce calls returned
my $lost_acked = 0;

for my $cycle (1 .. $cycles)
{
	# producer 1: single produce calls, explicit partitions
	open my $fh, '>', "$dir/p1_$cycle.sql" or die;
	my %hex1;
	for my $i (1 .. 6000)
	{
		my $id = "c${cycle}a$i";
		my $hex = value_hex($id, $i % 50 == 0 ? 9000 : int(rand(100)));
		$hex1{$id} = $hex;
		print $fh qq{SELECT partition, "offset", '$id' FROM streamkv.produce('t', '\\x$hex'::bytea, partition => }
		  . ($i % 2) . qq{);\n};
	}
	close $fh;
	# producer 2: produce_agg batches of 40 keyed records
	open $fh, '>', "$dir/p2_$cycle.sql" or die;
	for my $b (1 .. 300)
	{
		print $fh qq{SELECT streamkv.produce_agg('t', convert_to('c${cycle}b$b-' || i || ':' || repeat('z', i), 'UTF8'), convert_to('k' || i, 'UTF8')) FROM generate_series(1, 40) i;\n};
	}
	close $fh;
	# consumer: fetch each partition in turn from where it left off
	my $start = topic_parts($node, 't');
	open $fh, '>', "$dir/c_$cycle.sql" or die;
	print $fh "\\set o0 $start->{0}{hwm}\n\\set o1 $start->{1}{hwm}\n";
	for my $k (1 .. 3000)
	{
		my $p = $k % 2;
		print $fh qq{SELECT coalesce(max("offset") + 1, :o$p) AS o$p, }
		  . qq{coalesce(string_agg("offset" || '=' || coalesce(encode(value, 'hex'), 'NULL'), ' ' ORDER BY "offset"), '') AS s }
		  . qq{FROM streamkv.fetch('t', $p, :o$p, 300, 52428800, 20) \\gset\n\\echo $p :s\n};
	}
	close $fh;

	my @h = (
		start_psql_script($node, "$dir/c_$cycle.sql", "$dir/c_$cycle.out"),
		start_psql_script($node, "$dir/p1_$cycle.sql", "$dir/p1_$cycle.out"),
		start_psql_script($node, "$dir/p2_$cycle.sql", "$dir/p2_$cycle.out"));
	wait_lines("$dir/p1_$cycle.out", 300, 60);
	usleep(200_000 + int(rand(600_000)));
	$node->stop('immediate');
	eval { $_->finish; } for @h;

	# what the consumer saw
	my $nseen = 0;
	open $fh, '<', "$dir/c_$cycle.out" or die;
	while (my $line = <$fh>)
	{
		chomp $line;
		my ($p, @recs) = split / /, $line;
		for my $r (@recs)
		{
			my ($o, $hex) = split /=/, $r;
			$seen{"$p/$o"} = $hex;
			$nseen++;
		}
	}
	close $fh;
	my %acked_now;
	open $fh, '<', "$dir/p1_$cycle.out" or die;
	while (my $line = <$fh>)
	{
		chomp $line;
		my ($p, $o, $id) = split /\|/, $line;
		$acked_now{"$p/$o"} = $hex1{$id} if defined $id && exists $hex1{$id};
	}
	close $fh;
	ok($nseen > 0, "cycle $cycle: the consumer was handed records ($nseen)");

	$node->start;
	my $parts = topic_parts($node, 't');
	my $dump = dump_topic($node, 't');
	my %at;
	my ($gaps, $meta_bad) = (0, 0);
	for my $p (0, 1)
	{
		my $recs = $dump->{$p} || [];
		for my $k (0 .. $#$recs)
		{
			$gaps++ if $recs->[$k][0] != $k;
			$at{"$p/$recs->[$k][0]"} = $recs->[$k][1];
		}
		$meta_bad++ unless $parts->{$p}{hwm} == $parts->{$p}{log_end} && $parts->{$p}{hwm} == scalar(@$recs);
	}
	my ($missing, $wrong) = (0, 0);
	for my $po (sort keys %seen)
	{
		if (!exists $at{$po})
		{
			$missing++;
			diag "cycle $cycle: $po was fetched before the crash and is gone" if $missing <= 5;
		}
		elsif ($at{$po} ne $seen{$po})
		{
			$wrong++;
			diag "cycle $cycle: $po was fetched before the crash and now has other bytes" if $wrong <= 5;
		}
	}
	my $lost = grep { !exists $at{$_} || $at{$_} ne $acked_now{$_} } keys %acked_now;
	is($gaps, 0, "cycle $cycle: offsets contiguous from 0");
	is($meta_bad, 0, "cycle $cycle: high watermark = log end = records after restart");
	is($missing, 0, "cycle $cycle: nothing a consumer fetched is missing (" . scalar(keys %seen) . " fetched so far)");
	is($wrong, 0, "cycle $cycle: what a consumer fetched has the same bytes at the same offset");
	diag sprintf("cycle %d: consumer saw %d, producer 1 had %d acknowledged, %d of them lost (allowed with synchronous_commit = off); log ends %d %d",
		$cycle, $nseen, scalar(keys %acked_now), $lost, $parts->{0}{log_end}, $parts->{1}{log_end});
}

$node->stop;
done_testing();
