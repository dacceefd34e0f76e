# Differential test: kafka_partition against librdkafka's murmur2
# partitioner (rd_kafka_msg_partitioner_murmur2, the Java client's default
# for keyed records) for 10,000 random keys -- binary and empty included --
# times partition counts {1,2,3,7,10,100} (and 2^31-1, which exposes the
# hash itself), plus Kafka's six murmur2 test vectors.
use strict;
use warnings;
use File::Temp qw(tempdir);
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

plan skip_all => 'librdkafka-dev not installed' unless -f '/usr/include/librdkafka/rdkafka.h';

my $dir = tempdir(CLEANUP => 1);
my $oracle = "$dir/rdkafka_murmur2";
system('cc', '-O2', '-Wall', '-o', $oracle, "$FindBin::RealBin/tools/rdkafka_murmur2.c", '-lrdkafka') == 0
  or BAIL_OUT('could not compile the librdkafka oracle');

# keys: empty, short tails, long, text and binary
srand(20260505);
my @keys = ('', '00', '0000', '000000', '00000000', 'ff', 'ffffffff', '80');
while (@keys < 10000)
{
	my $len = int(rand(5) < 1 ? rand(5) : rand(100));
	my $binary = rand() < 0.5;
	my $k = join '', map { sprintf '%02x', $binary ? int(rand(256)) : 32 + int(rand(95)) } 1 .. $len;
	push @keys, $k;
}
my @counts = (1, 2, 3, 7, 10, 100, 2147483647);

open my $in, '>', "$dir/keys.txt" or die;
print $in "$_\n" for @keys;
close $in;
my @theirs = split /\n/, `$oracle @counts < $dir/keys.txt`;
is(scalar @theirs, scalar @keys, 'oracle answered for every key');

my $node = PostgreSQL::Test::Cluster->new('kafka_partition');
$node->init(extra => ['--encoding=UTF8', '--no-locale']);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'streamkv'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv; CREATE TABLE keys (i int, k bytea);');
my $copy = "COPY keys FROM STDIN;\n" . join('', map { "$_\t\\\\x$keys[$_]\n" } 0 .. $#keys) . "\\.\n";
$node->safe_psql('postgres', $copy);
my $cols = join ', ', map { "streamkv.kafka_partition(k, $_)" } @counts;
my @ours = split /\n/, $node->safe_psql('postgres', "SELECT concat_ws(' ', $cols) FROM keys ORDER BY i");

my ($compared, $mismatches) = (0, 0);
for my $i (0 .. $#keys)
{
	my @a = split / /, $ours[$i];
	my @b = split / /, $theirs[$i];
	for my $j (0 .. $#counts)
	{
		$compared++;
		if (!defined $a[$j] || !defined $b[$j] || $a[$j] != $b[$j])
		{
			diag "key $keys[$i] partitions $counts[$j]: ours $a[$j] librdkafka $b[$j]" if $mismatches < 10;
			$mismatches++;
		}
	}
}
note "kafka_partition vs librdkafka: $compared comparisons, $mismatches mismatches";
is($mismatches, 0, "kafka_partition equals rd_kafka_msg_partitioner_murmur2 for $compared (key, count) pairs");

# Kafka's UtilsTest.testMurmur2 vectors
is($node->safe_psql('postgres', q{
SELECT string_agg(streamkv.murmur2(k)::text, ',' ORDER BY n)
FROM (VALUES (1, '21'::bytea), (2, 'foobar'), (3, 'a-little-bit-long-string'), (4, 'a-little-bit-longer-string'),
             (5, 'lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), (6, '\x616263')) v(n, k)}),
	'-973932308,-790332482,-985981536,-1486304829,-58897971,479470107', "Kafka's six murmur2 vectors");

$node->stop;
done_testing();
