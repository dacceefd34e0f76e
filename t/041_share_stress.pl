# Share-group stress (issue 4's acceptance): 4 producer processes and 4
# consumer processes run concurrently over 100,000 records of a 4-partition
# topic. The share group exists before anything is produced (lock_duration
# 2000 ms, max_deliveries 100, a dead-letter topic). Producers write batches
# of 100 (produce_agg with keys, produce_agg with NULL keys, produce with
# explicit partitions), paced to last about 15 s; every value starts with a
# unique id. Consumers (t/lib/share_consumer.py) loop
# acquire(g, cN, 100, 1000) and acknowledge,
# logging every record they got and what each ack counted; consumer 2
# releases half of every 8th batch, consumer 3 sleeps past the lock on every
# 15th batch and acknowledges afterwards, consumer 4 does both, less often.
#
# At the end (from the logs and the server):
#  - every record (partition, offset below the high watermark) was delivered
#    and every id is at exactly one (partition, offset): none lost;
#  - acks counted exactly 100,000 in all and every record exactly once: a
#    consumer whose lock ran out and whose record another consumer
#    re-acquired gets 0 for it; a successful ack is always of the record's
#    last delivery, an ack that counted 0 always has a later delivery;
#  - the delivery counts of a record are 1, 2, ..., k (each delivery went to
#    one consumer); released records were delivered again;
#  - pending() is empty, nothing is left to acquire, and nothing was
#    dead-lettered (no record reached max_deliveries).
use strict;
use warnings;
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::RealBin/lib";
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use StreamkvTopic;
use Test::More;
use Time::HiRes qw(time);

my $python = '/usr/bin/python3';
plan skip_all => 'python3-psycopg2 is not installed' unless system($python, '-c', 'import psycopg2') == 0;

my $nprod = 4;
my $per_producer = 25_000;
my $batch = 100;
my $total = $nprod * $per_producer;
my $lock_ms = 2000;
my $max_deliveries = 100;
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;

my $node = topic_node('share_stress', 'synchronous_commit = on', 'max_connections = 40');
$node->start;
$node->safe_psql('postgres', qq{CREATE EXTENSION streamkv;
	SELECT streamkv.create_topic('st', 4);
	SELECT streamkv.create_topic('st_dlq', 1);
	SELECT streamkv.create_share_group('ss', 'st', lock_duration_ms => $lock_ms, max_deliveries => $max_deliveries,
	                                   dead_letter_topic => 'st_dlq', auto_offset_reset => 'earliest');});

# ---- consumers first (they wait in acquire), then producers
my $dsn = sprintf('host=%s port=%d dbname=postgres', $node->host, $node->port);
my $stop = "$dir/stop";
my %mode = (
	c1 => [],
	c2 => [ '--release-every', 8 ],
	c3 => [ '--expire-every', 15, '--max-expire', 5 ],
	c4 => [ '--release-every', 13, '--expire-every', 29, '--max-expire', 3 ]);
my (%ch, %cout);
my $t0 = time();
for my $c (sort keys %mode)
{
	my $log = "$dir/$c.log";
	$cout{$c} = '';
	$ch{$c} = IPC::Run::start(
		[ $python, "$FindBin::RealBin/lib/share_consumer.py", '--dsn', $dsn, '--group', 'ss', '--consumer', $c,
		  '--out', $log, '--stop-file', $stop, '--lock-ms', $lock_ms, '--idle-polls', 4, '--deadline', 400,
		  '--seed', ord(substr($c, 1)), @{ $mode{$c} } ],
		'<', \undef, '>', \$cout{$c}, '2>&1');
}

my @ph;
for my $p (1 .. $nprod)
{
	my $script = "$dir/p$p.sql";
	open my $fh, '>', $script or die;
	for (my $i = 1; $i <= $per_producer; $i += $batch)
	{
		my $j = $i + $batch - 1;
		my $val = "convert_to('p$p-' || i || ':' || repeat('v', i % 64), 'UTF8')";
		if ($p <= 2)    # keyed: hashed over the partitions
		{
			print $fh "SELECT streamkv.produce_agg('st', $val, convert_to('k$p-' || i, 'UTF8')) FROM generate_series($i, $j) i;\n";
		}
		elsif ($p == 3)    # explicit partitions, one produce() per record
		{
			print $fh "SELECT count(*) FROM generate_series($i, $j) i, LATERAL streamkv.produce('st', $val, partition => i % 4) r;\n";
		}
		else    # NULL keys: sticky partitions
		{
			print $fh "SELECT streamkv.produce_agg('st', $val, NULL) FROM generate_series($i, $j) i;\n";
		}
		# pace the producers (about 15 s in all) so that consumers keep catching up with them
		print $fh "SELECT pg_sleep(0.06);\n";
	}
	close $fh;
	push @ph, start_psql_script($node, $script, "$dir/p$p.out");
}
for my $i (0 .. $#ph)
{
	$ph[$i]->finish;
	is(($ph[$i]->full_results)[0], 0, 'producer ' . ($i + 1) . " finished ($per_producer records)");
}
my $t_prod = time() - $t0;
my $hwm_total = $node->safe_psql('postgres', q{SELECT sum(high_watermark - log_start_offset) FROM streamkv.partitions('st')});
is($hwm_total, $total, "the topic holds $total records");
open my $sf, '>', $stop or die;
close $sf;

for my $c (sort keys %ch)
{
	$ch{$c}->finish;
	is(($ch{$c}->full_results)[0], 0, "consumer $c exited cleanly") or diag $cout{$c};
	note $cout{$c};
}
my $t_all = time() - $t0;
diag sprintf('producers done after %.1f s, consumers after %.1f s', $t_prod, $t_all);

# ---- the server's side
is($node->safe_psql('postgres', q{SELECT count(*) FROM streamkv.pending('ss')}), '0', 'pending() is empty');
is($node->safe_psql('postgres', q{SELECT count(*) FROM streamkv.acquire('ss', 'final', 1000)}), '0', 'nothing is left to acquire');
my %hwm = map { split /\|/ } split /\n/,
  $node->safe_psql('postgres', q{SELECT partition, high_watermark FROM streamkv.partitions('st') ORDER BY 1});

# ---- the consumers' logs
my (%id_at, %at_id, %deliv, %acks, %last_ok, @errors, @ambiguous, %nlines);
my ($acked_sum, $stale, $stale0, $released, $released1) = (0, 0, 0, 0, 0);
my (@zero_ack, @ok_ack, @released_ok);    # [consumer, p, o, d]
for my $c (sort keys %mode)
{
	open my $fh, '<', "$dir/$c.log" or die "$c.log: $!";
	while (my $line = <$fh>)
	{
		chomp $line;
		my ($k, @f) = split / /, $line;
		$nlines{$k}++;
		if ($k eq 'A')
		{
			my ($p, $o, $d, $id) = @f;
			my $key = "$p/$o";
			push @{ $deliv{$key} }, [ $d, $c ];
			if (exists $id_at{$key} && $id_at{$key} ne $id) { push @errors, "$key delivered as $id_at{$key} and as $id"; }
			$id_at{$key} = $id;
			$at_id{$id}{$key} = 1;
		}
		elsif ($k eq 'K' || $k eq 'S')
		{
			my ($p, $o, $d, $r) = @f;
			$acked_sum += $r;
			$acks{"$p/$o"} += $r;
			if ($k eq 'S') { $stale++; $stale0++ if $r == 0; }
			if ($r == 1) { push @ok_ack, [ $c, $p, $o, $d ]; }
			else { push @zero_ack, [ $c, $p, $o, $d ]; }
		}
		elsif ($k eq 'B')
		{
			my ($p, $n, $offs) = @f;
			$acked_sum += $n;
			push @ambiguous, [ $c, $p, $n, [ split /,/, $offs ] ];
		}
		elsif ($k eq 'R')
		{
			my ($p, $o, $d, $r) = @f;
			$released++;
			$released1 += $r;
			# counted 1: delivered again later; counted 0: someone else re-acquired it
			push @{ $r ? \@released_ok : \@zero_ack }, [ $c, $p, $o, $d ];
		}
		elsif ($k eq 'E') { push @errors, "$c: @f"; }
	}
	close $fh;
}
is(scalar(@errors), 0, 'no consumer error and no record delivered with two different values')
  or diag join("\n", @errors[ 0 .. ($#errors < 9 ? $#errors : 9) ]);
diag sprintf('log lines: %s; %d ambiguous array acks', join(', ', map { "$_=$nlines{$_}" } sort keys %nlines), scalar(@ambiguous));

# none lost: every offset below each partition's high watermark was delivered,
# nothing else was, and every id is at exactly one place
my ($undelivered, $beyond) = (0, 0);
for my $p (0 .. 3)
{
	for my $o (0 .. $hwm{$p} - 1) { $undelivered++ unless $deliv{"$p/$o"}; }
}
for my $key (keys %deliv)
{
	my ($p, $o) = split m{/}, $key;
	$beyond++ if $o >= $hwm{$p};
}
is($undelivered, 0, 'every record below the high watermarks was delivered');
is($beyond, 0, 'no record at or above a high watermark was delivered');
my %want_ids;
for my $p (1 .. $nprod) { $want_ids{"p$p-$_"} = 1 for 1 .. $per_producer; }
my @missing_ids = grep { !$at_id{$_} } sort keys %want_ids;
my @foreign_ids = grep { !$want_ids{$_} } sort keys %at_id;
my @multi_ids = grep { keys %{ $at_id{$_} } > 1 } sort keys %at_id;
is(scalar(@missing_ids), 0, "all $total produced ids were delivered") or diag "missing: @missing_ids[0 .. ($#missing_ids < 9 ? $#missing_ids : 9)]";
is(scalar(@foreign_ids), 0, 'only produced ids were delivered');
is(scalar(@multi_ids), 0, 'every id is at one (partition, offset)');

# exactly once, as reported by ack's return counts
is($acked_sum, $total, "the acks counted $total in all");
my @twice = grep { $acks{$_} > 1 } sort keys %acks;
is(scalar(@twice), 0, 'no record was acknowledged twice')
  or diag "acknowledged more than once: @twice[0 .. ($#twice < 9 ? $#twice : 9)]";
my %in_ambiguous;
for my $b (@ambiguous) { $in_ambiguous{"$b->[1]/$_"} = 1 for @{ $b->[3] }; }
my @never = grep { !$acks{$_} } sort keys %deliv;
my @never_unexplained = grep { !$in_ambiguous{$_} } @never;
is(scalar(@never_unexplained), 0, 'every record was acknowledged')
  or diag "never acknowledged: @never_unexplained[0 .. ($#never_unexplained < 9 ? $#never_unexplained : 9)]";
my $amb_sum = 0;
$amb_sum += $_->[2] for @ambiguous;
is(scalar(@never), $amb_sum, 'the records only array acks with partial counts can have acknowledged match their counts');

# delivery counts: 1 .. k per record; acks that counted were of the last
# delivery; acks and releases that counted 0 were followed by a redelivery
my ($bad_seq, $maxd, $redelivered) = (0, 0, 0);
my %lastd;
for my $key (sort keys %deliv)
{
	my @d = sort { $a <=> $b } map { $_->[0] } @{ $deliv{$key} };
	my $want = join(',', 1 .. scalar(@d));
	if (join(',', @d) ne $want)
	{
		$bad_seq++;
		diag "$key: delivery counts " . join(',', map { "$_->[0]($_->[1])" } @{ $deliv{$key} }) if $bad_seq <= 10;
	}
	$lastd{$key} = $d[-1];
	$maxd = $d[-1] if $d[-1] > $maxd;
	$redelivered++ if $d[-1] > 1;
}
is($bad_seq, 0, 'every record was delivered with counts 1, 2, ..., k (never the same delivery twice)');
my $bad_ok = grep { $_->[3] != $lastd{"$_->[1]/$_->[2]"} } @ok_ack;
is($bad_ok, 0, "every ack that counted was of the record's last delivery");
my $bad_zero = grep { $_->[3] >= $lastd{"$_->[1]/$_->[2]"} } @zero_ack;
is($bad_zero, 0, 'every ack or release that counted 0 was of a record delivered again afterwards');
my $bad_rel = grep { $_->[3] >= $lastd{"$_->[1]/$_->[2]"} } @released_ok;
is($bad_rel, 0, 'every released record was delivered again');

# the paths that redeliver were taken
ok($released1 > 0, "records were released ($released1 of $released)");
ok($stale > 0, "consumers acknowledged after sleeping past the lock ($stale records, $stale0 of them re-acquired by others and counted 0)");
ok($redelivered > 0, "records were redelivered ($redelivered, highest delivery count $maxd)");
diag sprintf('%d releases counted, %d stale acks (%d counted 0), %d records redelivered, highest delivery count %d',
	$released1, $stale, $stale0, $redelivered, $maxd);

# dead letters only when max_deliveries was reached
my $dlq = $node->safe_psql('postgres', q{SELECT high_watermark FROM streamkv.partitions('st_dlq')});
if ($maxd < $max_deliveries) { is($dlq, '0', 'nothing was dead-lettered'); }
else { pass("a record reached max_deliveries ($maxd): dead letters allowed ($dlq)"); }

$node->stop;
done_testing();
