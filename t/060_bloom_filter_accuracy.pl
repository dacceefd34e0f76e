# Named bloom filters' accuracy (issue 16): 1,000,000 items at error rates
# 0.01 and 0.001, loaded by bf_add_agg,
# - into a NONSCALING filter reserved for 1,000,000 items (the whole error
#   rate in one sub-filter) and into a scalable one (its first sub-filter at
#   half the rate, as RedisBloom makes it);
# - no false negatives over the 1,000,000 items;
# - the false-positive rate over 1,000,000 absent items within 3 sigma of
#   the expectation (1 - e^(-kn/m))^k of the sub-filter's bits and hashes;
# - bits per item equal to the theory -ln(p)/ln(2)^2 (within the rounding of
#   the bits up to a multiple of 64).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = sk_node('bfaccuracy', "streamkv.max_memory = '256MB'\nstreamkv.compact_min_pages = 1000000\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');

my $n = 1000000;
for my $p (0.01, 0.001)
{
	for my $nonscaling (1, 0)
	{
		my $key = sprintf('f:%s:%s', $p, $nonscaling ? 'nonscaling' : 'scaling');
		my $ns = $nonscaling ? 'true' : 'false';
		$node->safe_psql('postgres', qq{SELECT streamkv.bf_reserve('$key', $p, $n, nonscaling => $ns)});
		my $new = $node->safe_psql('postgres', qq{SELECT streamkv.bf_add_agg('$key', 'item:' || i) FROM generate_series(1, $n) i});
		my ($filters, $bits, $hashes, $items, $err) = split /\|/, $node->safe_psql('postgres', qq{
SELECT (SELECT count(*) FROM streamkv.bf_debug('$key')), bits, hashes, items, error_rate
FROM streamkv.bf_debug('$key') WHERE filter = 0});
		is($filters, 1, "$key: $n items fit in one sub-filter");
		is($items, $new, "$key: the sub-filter counts the $new items reported new");
		my $sub_p = $nonscaling ? $p : $p / 2;
		ok(abs($err - $sub_p) < 1e-15, "$key: the sub-filter's error rate is $sub_p");

		my $theory = -log($sub_p) / (log(2)**2);
		my $bpi = $bits / $n;
		note sprintf('%s: %d bits, %d hashes, %.4f bits/item (theory -ln(p)/ln(2)^2 = %.4f for p = %s)',
			$key, $bits, $hashes, $bpi, $theory, $sub_p);
		ok(abs($bpi - $theory) < 64 / $n + 1e-9,
			sprintf('%s: bits per item %.6f equal the theory %.6f (rounding to 64 bits aside)', $key, $bpi, $theory));

		my $fn = $node->safe_psql('postgres', qq{
SELECT count(*) FROM generate_series(1, $n) i WHERE NOT streamkv.bf_exists('$key', 'item:' || i)});
		is($fn, 0, "$key: no false negatives over $n items");

		my $fp = $node->safe_psql('postgres', qq{
SELECT count(*) FROM generate_series(1, $n) i WHERE streamkv.bf_exists('$key', 'absent:' || i)});
		my $expected = (1 - exp(-$hashes * $items / $bits))**$hashes;
		my $sigma = sqrt($n * $expected * (1 - $expected));
		my $z = ($fp - $n * $expected) / $sigma;
		note sprintf('%s: %d false positives in %d absent items = %.5f%%; expected %.5f%% (%.1f +- %.1f), z = %.2f; requested %.3f%%',
			$key, $fp, $n, 100 * $fp / $n, 100 * $expected, $n * $expected, $sigma, $z, 100 * $p);
		cmp_ok(abs($z), '<=', 3, "$key: false-positive rate within 3 sigma of the expectation (z = " . sprintf('%.2f', $z) . ')');
		cmp_ok($fp / $n, '<', $p, "$key: and below the requested rate $p");
		$node->safe_psql('postgres', qq{SELECT streamkv.del('$key')});
	}
}

$node->stop;
done_testing();
