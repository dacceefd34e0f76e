# Bloom filters (issue 16) through crashes, base backups, replication and
# compaction, with wal_consistency_checking = 'streamkv' (sk_node):
# - writes -> CHECKPOINT -> writes -> immediate stop: every filter comes back
#   bit for bit (sk_dump: bf_info and the sha256 of BF.SCANDUMP);
# - bf_add_agg writes one WAL record per page of items, not one per item;
# - a standby from a base backup answers bf_exists on replayed data, follows
#   new writes (sub-filters opening included), refuses writes (25006) and is
#   promoted;
# - compaction rewrites a shard of 20,000 one-item adds as the filters'
#   snapshot; the filters are the same after compaction and a restart;
# - three concurrent adders of overlapping item sets: the items they report
#   new add up to the filter's count, with no false negatives;
# - a filter that does not fit in streamkv.max_memory is refused with 53200
#   and changes nothing.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

# compact() only where the test asks for it: the worker would compact the
# shards meanwhile (and its records would count in wal_records)
my $primary = sk_node('bfprimary', "streamkv.max_memory = '96MB'\nstreamkv.compact_min_pages = 1000000\n",
	allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION streamkv');

# ---- writes, a checkpoint, more writes
my $wal0 = $primary->safe_psql('postgres', 'SELECT wal_records FROM streamkv.info()');
my $new = $primary->safe_psql('postgres', q{SELECT streamkv.bf_add_agg('big', 'item:' || i) FROM generate_series(1, 100000) i});
ok($new >= 99000 && $new <= 100000,
	"bf_add_agg into a default filter: $new of 100,000 items new (the rest false positives, < 1 %)");
my $wal1 = $primary->safe_psql('postgres', 'SELECT wal_records FROM streamkv.info()');
my $pages = int((100000 + 447) / 448);
note sprintf('bf_add_agg of 100,000 items: %d WAL records (%d pages of 448 item hashes)', $wal1 - $wal0, $pages);
ok($wal1 - $wal0 >= $pages && $wal1 - $wal0 <= $pages + 2,
	sprintf('one WAL record per page of items: %d records for 100,000 items', $wal1 - $wal0));
$primary->safe_psql('postgres', q{
SELECT streamkv.bf_reserve('r', 0.001, 5000, expansion => 4);
SELECT count(*) FROM (SELECT streamkv.bf_madd('r', VARIADIC array_agg('r' || i)) FROM generate_series(1, 3000) i) s;
SELECT streamkv.bf_reserve('ns', 0.01, 1000, nonscaling => true);
SELECT streamkv.bf_insert('ns', array_agg('n' || i)) FROM generate_series(1, 1000) i;
SELECT streamkv.bf_insert('ins', ARRAY['a', 'b', 'c'], capacity => 10, error => 0.05, expansion => 3);
SELECT streamkv.bf_add('ttl', 'x'), streamkv.expire('ttl', 100000);
SELECT streamkv.bf_add('gone', 'x'), streamkv.del('gone');
});
$primary->safe_psql('postgres', 'CHECKPOINT');
$primary->safe_psql('postgres', q{
SELECT count(*) FILTER (WHERE streamkv.bf_add('ins', 'more' || i)) FROM generate_series(1, 500) i;
SELECT streamkv.bf_madd('r', 'r1', 'r2', 'late');
SELECT streamkv.bf_add_agg('big', 'extra:' || i) FROM generate_series(1, 5000) i;
SELECT streamkv.set('str', 'v');
});

my $spot_sql = q{SELECT streamkv.bf_card('big'), (SELECT filters FROM streamkv.bf_info('big')),
  (SELECT count(*) FROM generate_series(1, 100000) i WHERE NOT streamkv.bf_exists('big', 'item:' || i)),
  streamkv.bf_exists('r', 'late'), streamkv.bf_card('ns'), (SELECT filters FROM streamkv.bf_info('ins')),
  streamkv.ttl('ttl') > 0, streamkv.bf_exists('gone', 'x'), streamkv.type('ns')};
my $before = sk_dump($primary);
my $spots = $primary->safe_psql('postgres', $spot_sql);
like($before, qr/^big\|MBbloom--\|/m, 'the dump holds the filters');
like($spots, qr/^\d+\|\d+\|0\|t\|\d+\|\d+\|t\|f\|MBbloom--$/, "spot checks before the crash: $spots");
is($primary->safe_psql('postgres', 'SELECT bloom_filters FROM streamkv.info()'), '5', 'info() counts the 5 filters');

# ---- a crash: everything comes back from the WAL
$primary->stop('immediate');
$primary->start;
sk_is_dump(sk_dump($primary), $before, 'after writes, CHECKPOINT, writes and an immediate stop: every filter is back, bit for bit');
is($primary->safe_psql('postgres', $spot_sql), $spots, 'no false negatives, same counts after the crash');

# ---- a standby from a base backup taken after the writes
$primary->backup('bfb');
my $standby = sk_new_node('bfstandby');
$standby->init_from_backup($primary, 'bfb', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
sk_is_dump(sk_dump($standby), $before, 'standby from a base backup shows every filter');
is($standby->safe_psql('postgres', $spot_sql), $spots, 'the standby answers bf_exists on replayed data');

$primary->safe_psql('postgres', q{
SELECT streamkv.bf_add_agg('big', 'after:' || i) FROM generate_series(1, 50000) i;
SELECT streamkv.bf_reserve('new', 0.02, 50);
SELECT count(*) FILTER (WHERE streamkv.bf_add('new', 'x' || i)) FROM generate_series(1, 400) i;
SELECT streamkv.bf_insert('ns', ARRAY['n1', 'n2']);
});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
sk_is_dump(sk_dump($standby), sk_dump($primary), 'new writes replicate, sub-filters included: standby equals primary');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM generate_series(1, 50000) i WHERE streamkv.bf_exists('big', 'after:' || i)}),
	'50000', 'the standby finds the 50,000 items added after it started');
is($standby->safe_psql('postgres', q{SELECT filters FROM streamkv.bf_info('new')}),
	$primary->safe_psql('postgres', q{SELECT filters FROM streamkv.bf_info('new')}), 'the same sub-filters on the standby');
for my $w (q{SELECT streamkv.bf_add('big', 'x')}, q{SELECT streamkv.bf_madd('big', 'x', 'y')},
	q{SELECT streamkv.bf_insert('big', ARRAY['x'])}, q{SELECT streamkv.bf_reserve('z', 0.01, 10)},
	q{SELECT streamkv.bf_add_agg('big', 'x' || i) FROM generate_series(1, 3) i})
{
	is(sk_sqlstate($standby, $w), '25006', "standby refuses: $w");
}
my $reads = q{SELECT streamkv.bf_mexists('big', 'item:1', 'nope'), streamkv.bf_card('big'), (SELECT items FROM streamkv.bf_info('r')),
  (SELECT count(*) FROM streamkv.bf_debug('big'))};
is($standby->safe_psql('postgres', $reads), $primary->safe_psql('postgres', $reads), 'reads work on the standby');

$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()') or die 'promotion';
is($standby->safe_psql('postgres', q{SELECT streamkv.bf_add('big', 'after-promotion'), streamkv.bf_exists('big', 'after-promotion')}),
	't|t', 'the promoted standby accepts adds');
$standby->stop;

# ---- concurrent adders: every item is counted once, by exactly one of them
{
	my (%out, %err, %h);
	for my $who (0 .. 2)
	{
		# overlapping ranges, one bf_add per row, interleaved with the others
		my $lo = 1 + $who * 10000;
		my $hi = $lo + 20000 - 1;
		($out{$who}, $err{$who}) = ('', '');
		$h{$who} = IPC::Run::start(
			[ 'psql', '-XAtq', '-d', $primary->connstr('postgres'), '-c',
			  qq{SELECT count(*) FILTER (WHERE streamkv.bf_add('conc', 'c' || i)) FROM generate_series($lo, $hi) i} ],
			'>', \$out{$who}, '2>', \$err{$who}, IPC::Run::timeout(300));
	}
	$h{$_}->finish for 0 .. 2;
	chomp(%out);
	my $sum = $out{0} + $out{1} + $out{2};
	my ($card, $fn) = split /\|/, $primary->safe_psql('postgres', q{SELECT streamkv.bf_card('conc'),
	  (SELECT count(*) FROM generate_series(1, 40000) i WHERE NOT streamkv.bf_exists('conc', 'c' || i))});
	note "three concurrent adders of 20,000 items each over 40,000 distinct: $out{0} + $out{1} + $out{2} new, card $card";
	is($sum, $card, "concurrent adders: the items reported new ($sum) are the filter's count");
	ok($card <= 40000 && $card > 39000, "at most the 40,000 distinct items, few false positives ($card)");
	is($fn, 0, 'no false negatives after concurrent adds');
	is(join('', map { $err{$_} } 0 .. 2), '', 'no errors');
}

# ---- compaction: 20,000 one-item adds become the filter's snapshot
$primary->safe_psql('postgres', 'CREATE DATABASE churn');
$primary->safe_psql('churn', 'CREATE EXTENSION streamkv');
$primary->safe_psql('churn', q{SELECT streamkv.bf_reserve('c', 0.01, 20000)});
my $used_sql = 'SELECT store_pages - free_pages FROM streamkv.info()';
$primary->safe_psql('churn', q{SELECT count(*) FILTER (WHERE streamkv.bf_add('c', 'c' || i)) FROM generate_series(1, 20000) i});
my $dump_before = sk_dump($primary, 'churn');
my $used_before = $primary->safe_psql('churn', $used_sql);
$primary->safe_psql('churn', 'SELECT streamkv.compact()');
my $used_after = $primary->safe_psql('churn', $used_sql);
my $bytes = $primary->safe_psql('churn', q{SELECT sum(bytes) FROM streamkv.bf_debug('c')});
note sprintf('compaction of 20,000 one-item adds: %d store pages in use before, %d after (the filter has %d bytes)',
	$used_before, $used_after, $bytes);
ok($used_after < $used_before / 4, "compaction shrinks the store ($used_before -> $used_after pages)");
ok($used_after * 8192 < $bytes * 2 + 8 * 8192, 'the snapshot is about the size of the bitmap');
sk_is_dump(sk_dump($primary, 'churn'), $dump_before, 'the filter is the same after compaction');
$primary->restart;
sk_is_dump(sk_dump($primary, 'churn'), $dump_before, 'and after a restart, loaded from the snapshot');
is($primary->safe_psql('churn', q{SELECT count(*) FROM generate_series(1, 20000) i WHERE streamkv.bf_exists('c', 'c' || i)}),
	'20000', 'no false negatives after compaction and restart');
sk_is_dump(sk_dump($primary), sk_dump($primary), 'the other database is untouched');

# ---- a filter that does not fit in streamkv.max_memory changes nothing
is(sk_sqlstate($primary, q{SELECT streamkv.bf_reserve('huge', 0.000000001, 20000000)}),
	'53200', 'a 108 MB filter does not fit in 96 MB: 53200');
is(sk_sqlstate($primary, q{SELECT streamkv.bf_insert('huge', ARRAY['a'], capacity => 20000000, error => 0.000000001)}),
	'53200', 'nor through bf_insert: 53200');
my $bigcard = $primary->safe_psql('postgres', q{SELECT streamkv.bf_card('big')});
is($primary->safe_psql('postgres', q{SELECT streamkv.exists('huge'), streamkv.bf_card('big')}), "0|$bigcard",
	'and changed nothing');

done_testing();
