# Topics survive crashes: 10 cycles of three concurrent producers
# (synchronous_commit = on) writing to a 4-partition topic -- explicit
# partitions, keyed and NULL-key (sticky) records, some larger than a page --
# then an immediate stop mid-stream (with a CHECKPOINT in the middle of every
# other cycle) and a restart.  Every acknowledged record (the (partition,
# offset) that produce returned to the producer) must be present exactly
# once, at that offset, with identical bytes, and each partition's offsets
# must run 0 .. high watermark - 1 without gaps.
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

srand(20261126);
my $cycles = 10;
my $nprod = 3;
my $per_producer = 1500;
my $dir = tempdir(CLEANUP => 1);

my $node = topic_node('topic_crash', 'synchronous_commit = on');
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION streamkv; SELECT streamkv.create_topic('t', 4)});

my %acked;    # id => [partition, offset, hex]
my %hex_of;   # id => hex (every record sent, acknowledged or not)
my $t_start = time();

for my $cycle (1 .. $cycles)
{
	my @h;
	my @outs;
	for my $p (1 .. $nprod)
	{
		my $script = "$dir/c${cycle}p$p.sql";
		open my $fh, '>', $script or die;
		for my $i (1 .. $per_producer)
		{
			my $id = "c${cycle}p${p}i$i";
			my $n = $i % 97 == 0 ? 9000 + int(rand(4000)) : int(rand(200));
			my $hex = value_hex($id, $n);
			$hex_of{$id} = $hex;
			my $route = $i % 3 == 0 ? 'partition => ' . ($i % 4)
			  : $i % 3 == 1 ? "key => '\\x" . unpack('H*', "k$p-$i") . "'::bytea"
			  : 'key => NULL';
			print $fh qq{SELECT partition, "offset", '$id' FROM streamkv.produce('t', '\\x$hex'::bytea, $route);\n};
		}
		close $fh;
		push @outs, "$dir/c${cycle}p$p.out";
		push @h, start_psql_script($node, $script, $outs[-1]);
	}

	# let them get going, then crash at a random point mid-stream
	wait_lines($outs[0], 100, 60);
	if ($cycle % 2 == 0)
	{
		usleep(int(rand(200_000)));
		$node->safe_psql('postgres', 'CHECKPOINT');
	}
	usleep(50_000 + int(rand(400_000)));
	$node->stop('immediate');
	for my $h (@h)
	{
		eval { $h->finish; };
	}

	my $nacked = 0;
	my $unfinished = 0;
	for my $out (@outs)
	{
		open my $fh, '<', $out or die;
		while (my $line = <$fh>)
		{
			chomp $line;
			my ($p, $o, $id) = split /\|/, $line;
			next unless defined $id && $id =~ /^c\d+p\d+i\d+$/;
			$acked{$id} = [ $p, $o, $hex_of{$id} ];
			$nacked++;
		}
		close $fh;
		$unfinished++ if count_lines($out) < $per_producer;
	}
	ok($nacked > 0, "cycle $cycle: producers were acknowledged ($nacked records)");
	diag "cycle $cycle: $nacked acknowledged, $unfinished producers cut off mid-stream";

	$node->start;

	# every partition: offsets 0 .. hwm-1, hwm = log end, nothing missing
	my $parts = topic_parts($node, 't');
	my $dump = dump_topic($node, 't');
	my ($gaps, $meta_bad, $missing, $wrong, $dups, $foreign) = (0, 0, 0, 0, 0, 0);
	my %seen;    # id => count
	my %at;      # "p/o" => hex
	for my $p (0 .. 3)
	{
		my $recs = $dump->{$p} || [];
		my $pi = $parts->{$p};
		$meta_bad++
		  unless $pi->{log_start} == 0 && $pi->{hwm} == $pi->{log_end}
		  && $pi->{records} == $pi->{hwm} && scalar(@$recs) == $pi->{hwm};
		for my $k (0 .. $#$recs)
		{
			my ($o, $hex) = @{ $recs->[$k] };
			$gaps++ if $o != $k;
			$at{"$p/$o"} = $hex;
			my $id = id_of_hex($hex);
			if (!defined $id || !exists $hex_of{$id} || $hex_of{$id} ne $hex)
			{
				$foreign++;
				diag "cycle $cycle: partition $p offset $o holds bytes that no producer sent" if $foreign <= 5;
				next;
			}
			$seen{$id}++;
		}
	}
	for my $id (keys %acked)
	{
		my ($p, $o, $hex) = @{ $acked{$id} };
		if (!exists $at{"$p/$o"})
		{
			$missing++;
			diag "cycle $cycle: acknowledged $id at $p/$o is missing" if $missing <= 5;
		}
		elsif ($at{"$p/$o"} ne $hex)
		{
			$wrong++;
			diag "cycle $cycle: acknowledged $id at $p/$o has other bytes" if $wrong <= 5;
		}
	}
	for my $id (keys %seen)
	{
		if ($seen{$id} > 1)
		{
			$dups++;
			diag "cycle $cycle: $id is in the log $seen{$id} times" if $dups <= 5;
		}
	}
	is($gaps, 0, "cycle $cycle: offsets are contiguous from 0 in every partition");
	is($meta_bad, 0, "cycle $cycle: partitions() agrees (log start 0, hwm = log end = records = fetched)");
	is($missing, 0, "cycle $cycle: no acknowledged record is missing (" . scalar(keys %acked) . " so far)");
	is($wrong, 0, "cycle $cycle: acknowledged records have identical bytes at their offsets");
	is($dups, 0, "cycle $cycle: no record is in the log twice");
	is($foreign, 0, "cycle $cycle: the log holds only records that were sent");
	diag sprintf("cycle %d: log ends %s", $cycle,
		join(' ', map { "$_:$parts->{$_}{log_end}" } sort keys %$parts));
}

# the log is still writable and continues where it ended
my $parts = topic_parts($node, 't');
my $next = $node->safe_psql('postgres', q{SELECT "offset" FROM streamkv.produce('t', 'end'::text, partition => 2)});
is($next, $parts->{2}{log_end}, 'after the last restart, offsets continue at the log end');
diag sprintf('total %.1f s', time() - $t_start);

$node->stop;
done_testing();
