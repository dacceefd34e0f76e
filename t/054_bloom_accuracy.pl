# Bloom filter accuracy: no false negatives over 1,000,000 items; at
# capacity, the measured false-positive rate over 1,000,000 absent items is
# within 3 sigma of the expectation (1 - e^(-kn/m))^k for error rates 0.01
# and 0.001; bits per item reported against -ln(p)/ln(2)^2.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('bloom_accuracy');
$node->init(extra => ['--encoding=UTF8', '--no-locale']);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'streamkv'\nwork_mem = '64MB'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv;');

my $n = 1000000;
for my $p (0.01, 0.001)
{
	$node->safe_psql('postgres', qq{
DROP TABLE IF EXISTS f;
CREATE TABLE f AS SELECT streamkv.bloom_agg('item:' || i, $n, $p) AS f FROM generate_series(1, $n) i;
});
	my ($bits, $hashes, $items, $bpi) = split /\|/, $node->safe_psql('postgres',
		'SELECT bits, hashes, items, bits_per_item FROM f, streamkv.bloom_info(f)');
	my $theory = -log($p) / (log(2)**2);
	note sprintf("p=%s: %d bits, %d hashes, %.4f bits/item (theoretical -ln(p)/ln(2)^2 = %.4f, +%.3f%%)",
		$p, $bits, $hashes, $bpi, $theory, 100 * ($bpi / $theory - 1));
	cmp_ok($bpi, '>=', $theory, "p=$p: bits per item $bpi >= theoretical " . sprintf('%.4f', $theory));
	cmp_ok($bpi, '<', $theory * 1.001 + 64 / $n, "p=$p: bits per item within rounding of the theory");

	my $fn = $node->safe_psql('postgres', qq{
SELECT count(*) FROM (SELECT f FROM f) s, generate_series(1, $n) i WHERE NOT streamkv.bloom_contains(s.f, 'item:' || i)});
	is($fn, 0, "p=$p: no false negatives over $n items");

	my $fp = $node->safe_psql('postgres', qq{
SELECT count(*) FROM (SELECT f FROM f) s, generate_series(1, $n) i WHERE streamkv.bloom_contains(s.f, 'absent:' || i)});
	my $expected = (1 - exp(-$hashes * $n / $bits))**$hashes;
	my $sigma = sqrt($n * $expected * (1 - $expected));
	my $z = ($fp - $n * $expected) / $sigma;
	note sprintf("p=%s: %d false positives in %d absent items = %.5f%%; expected %.5f%% (%.1f +- %.1f), z = %.2f; requested %.3f%%",
		$p, $fp, $n, 100 * $fp / $n, 100 * $expected, $n * $expected, $sigma, $z, 100 * $p);
	cmp_ok(abs($z), '<=', 3, "p=$p: false-positive rate within 3 sigma of the expectation");
}

$node->stop;
done_testing();
