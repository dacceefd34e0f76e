# Compaction: one key overwritten 1,000,000 times in one statement; after
# compaction (forced with streamkv.compact(), or done by the background
# worker) the keyspace store is within a small constant of its size with
# that one key written once. The value survives a restart and a crash.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $n = $ENV{STREAMKV_COMPACT_N} // 1000000;
# The "small constant". pg_relation_size() never shrinks (compaction puts
# the old chain's pages on the store's free list), so what is measured is the
# high-water mark while the statement ran, which depends on how soon the
# background worker compacted: 2 MB (256 pages) leaves room for scheduling
# noise while a store that grows with the number of overwrites (~50 MB for
# 1M entries) fails clearly.
my $slack = 2 * 1024 * 1024;

my $node = sk_node('compact');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');

my $size_sql = q{SELECT pg_relation_size('streamkv.keyspace_store')};
my $size_empty = $node->safe_psql('postgres', $size_sql);
$node->safe_psql('postgres', q{SELECT streamkv.set('k', '0')});
$node->safe_psql('postgres', 'SELECT streamkv.compact()');
my $size_one = $node->safe_psql('postgres', $size_sql);
diag("store size: empty $size_empty bytes, one key $size_one bytes");

my $t0 = time;
is($node->safe_psql('postgres', "SELECT count(streamkv.set('k', i::text)) FROM generate_series(1, $n) i"),
	$n, "$n overwrites of one key in one statement");
my $t_write = time - $t0;
my $size_after = $node->safe_psql('postgres', $size_sql);
my $info = $node->safe_psql('postgres', 'SELECT store_pages, free_pages, compactions FROM streamkv.info()');
diag(sprintf("%d overwrites: %.1f s (%.2f us each); store size right after: %d bytes; info store_pages|free_pages|compactions: %s",
	$n, $t_write, $t_write * 1e6 / $n, $size_after, $info));

$t0 = time;
my $shards = $node->safe_psql('postgres', 'SELECT streamkv.compact()');
my $t_compact = time - $t0;
my $size_compacted = $node->safe_psql('postgres', $size_sql);
$info = $node->safe_psql('postgres', 'SELECT store_pages, free_pages, compactions FROM streamkv.info()');
diag(sprintf("compact(): %s shards in %.3f s; store size after: %d bytes; info: %s",
	$shards, $t_compact, $size_compacted, $info));

is($node->safe_psql('postgres', q{SELECT streamkv.get('k'), streamkv.dbsize()}), "$n|1", 'the last value is the value');
cmp_ok($size_compacted, '<=', $size_one + $slack,
	"after compaction the store ($size_compacted bytes) is within 2 MB of its size with one key ($size_one bytes)");
my ($pages, $free) = split /\|/, $node->safe_psql('postgres', 'SELECT store_pages, free_pages FROM streamkv.info()');
cmp_ok($pages - $free, '<=', 8, "after compaction the live chain is a few pages ($pages pages, $free free)");

# it keeps that size: another round of overwrites reuses the freed pages
$node->safe_psql('postgres', "SELECT count(streamkv.set('k', 'again' || i)) FROM generate_series(1, 10000) i");
$node->safe_psql('postgres', 'SELECT streamkv.compact()');
my $size_again = $node->safe_psql('postgres', $size_sql);
diag("after 10,000 more overwrites and compact(): $size_again bytes");
cmp_ok($size_again, '<=', $size_compacted, 'more overwrites reuse the freed pages: the store does not grow');

$node->restart;
is($node->safe_psql('postgres', q{SELECT streamkv.get('k'), streamkv.dbsize()}), 'again10000|1',
	'the value survives a restart');
# a compaction in the WAL replayed by crash recovery
$node->safe_psql('postgres', "SELECT count(streamkv.set('k', 'c' || i)) FROM generate_series(1, 20000) i");
$node->safe_psql('postgres', 'SELECT streamkv.compact()');
$node->safe_psql('postgres', q{SELECT streamkv.set('k2', 'after compaction')});
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', q{SELECT streamkv.get('k'), streamkv.get('k2'), streamkv.dbsize()}),
	'c20000|after compaction|2', 'the values survive crash recovery through a compaction');
ok(!$node->log_contains('inconsistent page found'), 'no WAL consistency failure in the log');
$node->stop;
done_testing();
