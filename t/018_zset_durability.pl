# Sorted sets through crashes, base backups, replication and compaction
# (issue 11), with wal_consistency_checking = 'streamkv' (sk_node):
# - writes -> CHECKPOINT -> writes -> immediate stop: every set comes back;
# - a standby from a base backup taken after the writes shows the same ranks
#   and ranges, follows new writes, refuses writes (25006) and is promoted;
# - two poppers blocked on one key get different members;
# - 1,000,000 zincrby of one member leave the store within a small constant
#   of its size with one member, once compacted;
# - a zadd that does not fit in streamkv.max_memory is refused with 53200
#   and changes nothing.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(time usleep);

my $primary = sk_node('zprimary', "streamkv.max_memory = '96MB'\n", allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION streamkv');

# ---- writes, a checkpoint, more writes
$primary->safe_psql('postgres', q{
SELECT count(*) FROM (SELECT streamkv.zadd('set' || i, array_agg(j * 1.5)::float8[], array_agg('m' || j))
  FROM generate_series(1, 50) i, generate_series(1, 200) j GROUP BY i) s;
SELECT streamkv.zadd_agg('board', (g * 7919) % 100003, 'user' || g) FROM generate_series(1, 20000) g;
SELECT streamkv.zadd('lex', array_fill(0::float8, ARRAY[5]), ARRAY['e', 'd', 'c', 'b', 'a']);
SELECT streamkv.zadd('inf', ARRAY['-inf', '+inf', '-0']::float8[], ARRAY['lo', 'hi', 'zero']);
SELECT streamkv.expire('set50', 100000);
});
$primary->safe_psql('postgres', 'CHECKPOINT');
$primary->safe_psql('postgres', q{
SELECT count(streamkv.zincrby('set' || (g % 10 + 1), 0.25, 'm' || g)) FROM generate_series(1, 2000) g;
SELECT count(streamkv.zrem('set' || i, 'm1', 'm2', 'm3')) FROM generate_series(1, 20) i;
SELECT streamkv.zunionstore('union', ARRAY['set1', 'set2', 'set3'], ARRAY[1, 2, 3]::float8[], 'max');
SELECT streamkv.zrangestore('top', 'board', '0', '99', 'rank', true);
SELECT count(*) FROM streamkv.zpopmin('set4', 10);
SELECT streamkv.zremrangebyscore('set5', '(10', '100'), streamkv.zremrangebylex('lex', '[b', '[c');
SELECT streamkv.del('set6');
});

my $spot_sql = q{SELECT streamkv.zcard('board'), streamkv.zrank('board', 'user777'), streamkv.zrevrank('board', 'user777'),
  (SELECT string_agg(member, ',') FROM streamkv.zrevrange('board', 0, 4)),
  (SELECT string_agg(member || '=' || score, ',') FROM streamkv.zrangebyscore('set1', '(3', '9')),
  streamkv.zcount('board', '1000', '(5000'), streamkv.zscore('set3', 'm1999'), streamkv.zcard('union'),
  (SELECT string_agg(member, '') FROM streamkv.zrange('lex', 0, -1)), streamkv.ttl('set50') > 0,
  (SELECT string_agg(member || '=' || score, ',') FROM streamkv.zrange('inf', 0, -1))};
my $before = sk_dump($primary);
my $spots = $primary->safe_psql('postgres', $spot_sql);
like($before, qr/^board\|zset\|/m, 'the dump holds the sorted sets');
is($primary->safe_psql('postgres', 'SELECT zsets FROM streamkv.info()'), 54, 'info() counts the 54 sorted sets');

# ---- a crash: everything comes back from the WAL
$primary->stop('immediate');
$primary->start;
sk_is_dump(sk_dump($primary), $before, 'after writes, CHECKPOINT, writes and an immediate stop: every set is back');
is($primary->safe_psql('postgres', $spot_sql), $spots, 'ranks, ranges and counts are the same after the crash');

# ---- a standby from a base backup taken after the writes
$primary->backup('zb');
my $standby = sk_new_node('zstandby');
$standby->init_from_backup($primary, 'zb', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
sk_is_dump(sk_dump($standby), $before, 'standby from a base backup shows every set');
is($standby->safe_psql('postgres', $spot_sql), $spots, 'same ranks, ranges and counts on the standby');

$primary->safe_psql('postgres', q{
SELECT streamkv.zadd('board', 1e9, 'newcomer');
SELECT count(streamkv.zincrby('board', 100000, 'user' || g)) FROM generate_series(1, 50) g;
SELECT streamkv.zinterstore('inter', ARRAY['set1', 'set2']);
SELECT count(*) FROM streamkv.zpopmax('set7', 5);
});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
sk_is_dump(sk_dump($standby), sk_dump($primary), 'new writes replicate: standby equals primary');
is($standby->safe_psql('postgres', q{SELECT streamkv.zrevrank('board', 'newcomer'), streamkv.zscore('board', 'user1')}),
	$primary->safe_psql('postgres', q{SELECT streamkv.zrevrank('board', 'newcomer'), streamkv.zscore('board', 'user1')}),
	'the standby ranks the new writes as the primary does');
for my $w (q{SELECT streamkv.zadd('board', 1, 'x')}, q{SELECT streamkv.zincrby('board', 1, 'x')},
	q{SELECT streamkv.zrem('board', 'user1')}, q{SELECT * FROM streamkv.zpopmin('board')},
	q{SELECT * FROM streamkv.bzpopmin(ARRAY['board'], 0)}, q{SELECT streamkv.zunionstore('u2', ARRAY['set1'])},
	q{SELECT streamkv.zremrangebyrank('board', 0, 0)}, q{SELECT streamkv.zrangestore('t2', 'board', '0', '1')})
{
	is(sk_sqlstate($standby, $w), '25006', "standby refuses: $w");
}
my $reads = q{SELECT streamkv.zcard('board'), (SELECT count(*) FROM streamkv.zunion(ARRAY['set1', 'set2']))};
is($standby->safe_psql('postgres', $reads), $primary->safe_psql('postgres', $reads), 'reads and zunion work on the standby');
is($standby->safe_psql('postgres', q{SELECT streamkv.zcard('board')}), '20001', 'board holds its 20,001 members');

$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()') or die 'promotion';
is($standby->safe_psql('postgres', q{SELECT streamkv.zadd('board', 5, 'after-promotion'), streamkv.zscore('board', 'after-promotion')}),
	'1|5', 'the promoted standby accepts writes');
$standby->stop;

# ---- two poppers blocked on one key get different members
my (%out, %err, %h);
for my $who (qw(a b))
{
	($out{$who}, $err{$who}) = ('', '');
	$h{$who} = IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $primary->connstr('postgres'), '-c',
		  q{SELECT member FROM streamkv.bzpopmin(ARRAY['q'], 60000)} ],
		'>', \$out{$who}, '2>', \$err{$who}, IPC::Run::timeout(90));
}
$primary->poll_query_until('postgres',
	q{SELECT count(*) = 2 FROM pg_stat_activity WHERE query LIKE '%bzpopmin%' AND wait_event_type = 'Extension' AND pid <> pg_backend_pid()})
  or die 'the poppers did not block';
my $t0 = time;
$primary->safe_psql('postgres', q{SELECT streamkv.zadd('q', ARRAY[2, 3]::float8[], ARRAY['two', 'three'])});
$h{$_}->finish for qw(a b);
my $waited = time - $t0;
chomp(%out);
is(join(',', sort ($out{a}, $out{b})), 'three,two', "two blocked poppers got different members ($out{a}, $out{b})");
ok($waited < 30, sprintf('they were woken by the zadd, not by their timeout (%.2f s)', $waited));
is($primary->safe_psql('postgres', q{SELECT streamkv.exists('q')}), '0', 'both members were popped');

# ---- 1,000,000 zincrby of one member, then compaction
$primary->safe_psql('postgres', 'CREATE DATABASE hot');
$primary->safe_psql('hot', 'CREATE EXTENSION streamkv');
$primary->safe_psql('hot', q{SELECT streamkv.zincrby('hot', 1, 'm'), streamkv.compact()});
my $used_sql = 'SELECT store_pages - free_pages FROM streamkv.info()';
my $used_one = $primary->safe_psql('hot', $used_sql);
my $wal0 = $primary->safe_psql('hot', 'SELECT wal_records FROM streamkv.info()');
$t0 = time;
$primary->safe_psql('hot', q{SELECT count(streamkv.zincrby('hot', 1, 'm')) FROM generate_series(1, 999999)});
my $t_incr = time - $t0;
my ($used_many, $rel_pages, $compactions, $wal1) = split /\|/,
  $primary->safe_psql('hot', 'SELECT store_pages - free_pages, store_pages, compactions, wal_records FROM streamkv.info()');
$primary->safe_psql('hot', 'SELECT streamkv.compact()');
my $used_after = $primary->safe_psql('hot', $used_sql);
diag(sprintf('1,000,000 zincrby: %.1f s; store pages in use: %d with one member, %d before compact() '
	  . '(relation %d pages, %d compactions by the worker meanwhile), %d after',
	$t_incr, $used_one, $used_many, $rel_pages, $compactions, $used_after));
ok($wal1 - $wal0 >= 999999, sprintf('every increment was logged (%d WAL records)', $wal1 - $wal0));
ok($used_after <= $used_one + 2, "compaction brings the store back to its size with one member ($used_after vs $used_one pages)");
is($primary->safe_psql('hot', q{SELECT streamkv.zscore('hot', 'm'), streamkv.zcard('hot')}), '1000000|1',
	'the member has its million');
$primary->restart;
is($primary->safe_psql('hot', q{SELECT streamkv.zscore('hot', 'm'), streamkv.zcard('hot')}), '1000000|1',
	'and keeps it after a restart');

# ---- a zadd that does not fit in streamkv.max_memory changes nothing
is(sk_sqlstate($primary,
		q{SELECT streamkv.zadd('huge', array_agg(g)::float8[], array_agg(repeat('x', 100) || g)) FROM generate_series(1, 1000000) g}),
	'53200', 'a zadd of 1,000,000 members does not fit in 96 MB: 53200');
is($primary->safe_psql('postgres', q{SELECT streamkv.exists('huge'), streamkv.zcard('board')}), '0|20001',
	'and changed nothing');

done_testing();
