-- Sorted sets (issue 11): every ZSET function, NULL arguments and every error.
CREATE EXTENSION IF NOT EXISTS streamkv;
SET extra_float_digits = 0;
SELECT streamkv.flushdb();

-- ZADD and its flags (vectors from ../shared/reference/redis-semantics.md)
SELECT streamkv.zadd('z', ARRAY[1, 1, 2]::float8[], ARRAY['a', 'b', 'c']);
SELECT streamkv.zadd('z', ARRAY[5, 6]::float8[], ARRAY['a', 'd'], nx => true);
SELECT streamkv.zadd('z', ARRAY[10, 20]::float8[], ARRAY['a', 'zz'], xx => true, ch => true);
SELECT streamkv.zadd('z', ARRAY[5, 20]::float8[], ARRAY['a', 'b'], gt => true, ch => true);
SELECT streamkv.zadd('z', ARRAY[100, 0]::float8[], ARRAY['a', 'c'], lt => true, ch => true);
SELECT * FROM streamkv.zrange('z', 0, -1);
-- GT/LT restrict updates only: a new member is still added
SELECT streamkv.zadd('z', 1, 'e', gt => true);
-- a repeated member: the last score wins, added once
SELECT streamkv.zadd('dup', ARRAY[1, 2, 3]::float8[], ARRAY['m', 'm', 'm']), streamkv.zscore('dup', 'm');
SELECT streamkv.zadd('dup', ARRAY[4, 4]::float8[], ARRAY['m', 'm'], ch => true);
-- the same score again changes nothing; -0 equals 0
SELECT streamkv.zadd('zero', -0::float8, 'm'), streamkv.zadd('zero', 0, 'm', ch => true);
-- +inf and -inf are scores
SELECT streamkv.zadd('inf', ARRAY['-inf', '+inf', 0]::float8[], ARRAY['lo', 'hi', 'mid']);
SELECT * FROM streamkv.zrange('inf', 0, -1);
-- ties order by member bytes, never by collation
SELECT streamkv.zadd('ties', ARRAY[0, 0, 0, 0, 0]::float8[], ARRAY['ab', 'a', 'B', 'A', 'b']);
SELECT string_agg(member, ' ') FROM streamkv.zrange('ties', 0, -1);

-- ZADD INCR, ZINCRBY
SELECT streamkv.zadd_incr('z', 5, 'a'), streamkv.zadd_incr('z', 1, 'nope', xx => true),
       streamkv.zadd_incr('z', 1, 'a', nx => true), streamkv.zadd_incr('z', -1, 'a', gt => true),
       streamkv.zadd_incr('z', 7, 'fresh', lt => true);
SELECT streamkv.zincrby('z', 2.5, 'new'), streamkv.zincrby('z', -0.5, 'new'), streamkv.zincrby('inf', 1, 'hi');

-- ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, TYPE
SELECT streamkv.zcard('z'), streamkv.zcard('missing'), streamkv.type('z');
SELECT streamkv.zscore('z', 'b'), streamkv.zscore('z', 'nope'), streamkv.zscore('missing', 'b');
SELECT streamkv.zmscore('z', 'b', 'nope', 'd'), streamkv.zmscore('missing', 'x');
SELECT streamkv.zrank('z', 'c'), streamkv.zrevrank('z', 'c'), streamkv.zrank('z', 'nope'), streamkv.zrevrank('missing', 'c');
SELECT streamkv.zrem('z', 'e', 'nope', 'e', 'fresh');
SELECT streamkv.zrem('dup', 'm'), streamkv.exists('dup');

-- ranges by rank: negative indexes, clamping (a..e)
SELECT streamkv.zadd('r', ARRAY[1, 2, 3, 4, 5]::float8[], ARRAY['a', 'b', 'c', 'd', 'e']);
SELECT string_agg(member, ' ') FROM streamkv.zrange('r', -2, -1);
SELECT string_agg(member, ' ') FROM streamkv.zrange('r', -100, 1);
SELECT count(*) FROM streamkv.zrange('r', 3, 1);
SELECT count(*) FROM streamkv.zrange('r', 5, 10);
SELECT string_agg(member, ' ') FROM streamkv.zrevrange('r', 0, 1);
SELECT string_agg(member, ' ') FROM streamkv.zrevrange('r', -2, 100);
SELECT count(*) FROM streamkv.zrange('missing', 0, -1);

-- ranges by score: exclusive bounds, LIMIT, REV
SELECT streamkv.zcount('r', '-inf', '+inf'), streamkv.zcount('r', '(1', '3'), streamkv.zcount('r', '(1', '(3'),
       streamkv.zcount('r', '4', '2'), streamkv.zcount('missing', '-inf', '+inf');
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zrangebyscore('r', '(1', '4');
SELECT string_agg(member, ' ') FROM streamkv.zrangebyscore('r', '-inf', '+inf', 1, 2);
SELECT string_agg(member, ' ') FROM streamkv.zrangebyscore('r', '-inf', '+inf', 2, -1);
SELECT count(*) FROM streamkv.zrangebyscore('r', '-inf', '+inf', -1, 2);
SELECT count(*) FROM streamkv.zrangebyscore('r', '-inf', '+inf', 10, 2);
SELECT count(*) FROM streamkv.zrangebyscore('r', '-inf', '+inf', 0, 0);
SELECT string_agg(member, ' ') FROM streamkv.zrevrangebyscore('r', '4', '(1');
SELECT string_agg(member, ' ') FROM streamkv.zrevrangebyscore('r', '+inf', '-inf', 1, 2);
SELECT string_agg(member, ' ') FROM streamkv.zrangebyscore('r', ' 2', '3.0e0');

-- ranges by lex
SELECT streamkv.zadd('lex', array_fill(0::float8, ARRAY[7]), ARRAY['a', 'b', 'c', 'd', 'e', 'f', 'g']);
SELECT streamkv.zlexcount('lex', '-', '+'), streamkv.zlexcount('lex', '(a', '[c'), streamkv.zlexcount('lex', '+', '-'),
       streamkv.zlexcount('lex', '[c', '[c'), streamkv.zlexcount('lex', '(c', '(c');
SELECT string_agg(member, ' ') FROM streamkv.zrangebylex('lex', '[b', '(e');
SELECT string_agg(member, ' ') FROM streamkv.zrangebylex('lex', '-', '+', 2, 3);
SELECT string_agg(member, ' ') FROM streamkv.zrevrangebylex('lex', '+', '-', 1, 3);
SELECT string_agg(member, ' ') FROM streamkv.zrevrangebylex('lex', '[e', '(b');
SELECT count(*) FROM streamkv.zrangebylex('lex', '+', '+');

-- ZRANGESTORE: by rank, score and lex, with REV and LIMIT; an empty result deletes dst
SELECT streamkv.zrangestore('dst', 'r', '1', '-2');
SELECT string_agg(member, ' ') FROM streamkv.zrange('dst', 0, -1);
SELECT streamkv.zrangestore('dst', 'r', '+inf', '(2', 'score', true, 1, 2);
SELECT string_agg(member, ' ') FROM streamkv.zrange('dst', 0, -1);
SELECT streamkv.zrangestore('dst', 'lex', '[f', '-', 'lex', true);
SELECT string_agg(member, ' ') FROM streamkv.zrange('dst', 0, -1);
SELECT streamkv.set('dst', 'a string');
SELECT streamkv.zrangestore('dst', 'r', '0', '0'), streamkv.type('dst');
SELECT streamkv.zrangestore('dst', 'missing', '0', '-1'), streamkv.exists('dst');

-- ZREMRANGEBYRANK / BYSCORE / BYLEX
SELECT streamkv.zadd('rm', ARRAY[1, 2, 3, 4, 5, 6]::float8[], ARRAY['a', 'b', 'c', 'd', 'e', 'f']);
SELECT streamkv.zremrangebyrank('rm', 0, 1), streamkv.zremrangebyscore('rm', '(3', '5'),
       streamkv.zremrangebyrank('rm', 10, 20), streamkv.zremrangebyscore('missing', '-inf', '+inf');
SELECT string_agg(member, ' ') FROM streamkv.zrange('rm', 0, -1);
SELECT streamkv.zremrangebylex('lex', '[b', '(d'), streamkv.zremrangebylex('lex', '-', '+'), streamkv.exists('lex');

-- ZPOPMIN, ZPOPMAX, BZPOPMIN, BZPOPMAX
SELECT * FROM streamkv.zpopmin('r');
SELECT * FROM streamkv.zpopmax('r', 2);
SELECT * FROM streamkv.zpopmin('r', 0);
SELECT * FROM streamkv.zpopmin('r', 10);
SELECT streamkv.exists('r');
SELECT * FROM streamkv.zpopmin('missing');
SELECT streamkv.zadd('bz', ARRAY[1, 2]::float8[], ARRAY['x', 'y']);
SELECT * FROM streamkv.bzpopmin(ARRAY['missing', 'bz'], 0);
SELECT * FROM streamkv.bzpopmax(ARRAY['bz'], 1000);
SELECT * FROM streamkv.bzpopmin(ARRAY['bz', 'missing'], 0);
SELECT * FROM streamkv.bzpopmin(ARRAY['bz'], 50);

-- ZRANDMEMBER
SELECT streamkv.zadd('rand', ARRAY[1, 2, 3]::float8[], ARRAY['a', 'b', 'c']);
SELECT count(*), count(DISTINCT member) FROM streamkv.zrandmember('rand', 2);
SELECT count(*), count(DISTINCT member) FROM streamkv.zrandmember('rand', 10);
SELECT count(*), bool_and(member IN ('a', 'b', 'c')) FROM streamkv.zrandmember('rand', -7);
SELECT count(*) FROM streamkv.zrandmember('rand');
SELECT count(*) FROM streamkv.zrandmember('rand', 0);
SELECT count(*) FROM streamkv.zrandmember('missing');
SELECT bool_and(s = (SELECT streamkv.zscore('rand', m))) FROM streamkv.zrandmember('rand', -20) AS t(m, s);

-- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
SELECT streamkv.zadd('s1', ARRAY[1, 2, 3]::float8[], ARRAY['a', 'b', 'c']),
       streamkv.zadd('s2', ARRAY[10, 20, 30]::float8[], ARRAY['b', 'c', 'd']);
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zunion(ARRAY['s1', 's2']);
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zinter(ARRAY['s1', 's2']);
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zdiff(ARRAY['s1', 's2']);
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zunion(ARRAY['s1', 's2'], ARRAY[2, 1]::float8[], 'max');
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zinter(ARRAY['s1', 's2'], ARRAY[1, 0.5]::float8[], 'MIN');
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zunion(ARRAY['s1', 'missing']);
SELECT count(*) FROM streamkv.zinter(ARRAY['s1', 'missing']);
SELECT streamkv.zunionstore('out', ARRAY['s1', 's2']), streamkv.zcard('out');
SELECT streamkv.zinterstore('out', ARRAY['s1', 's2'], aggregate => 'max');
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zrange('out', 0, -1);
SELECT streamkv.zdiffstore('out', ARRAY['s1', 's2', 'missing']);
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zrange('out', 0, -1);
SELECT streamkv.zinterstore('out', ARRAY['s1', 'missing']), streamkv.exists('out');
-- a weighted infinity times 0 counts as 0, inf + -inf sums to 0
SELECT streamkv.zadd('w1', '+inf'::float8, 'm'), streamkv.zadd('w2', '-inf'::float8, 'm');
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zunion(ARRAY['w1', 'w2']);
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zunion(ARRAY['w1'], ARRAY[0]::float8[]);
SELECT streamkv.zintercard(ARRAY['s1', 's2']), streamkv.zintercard(ARRAY['s1', 's2'], 1),
       streamkv.zintercard(ARRAY['s1', 'missing']);

-- ZSCAN
SELECT streamkv.zadd('sc', ARRAY[1, 2, 3, 4]::float8[], ARRAY['aa', 'ab', 'b', 'c']);
SELECT next_cursor, (SELECT string_agg(m, ' ' ORDER BY m) FROM unnest(members) m),
       (SELECT sum(s) FROM unnest(scores) s) FROM streamkv.zscan('sc', 0);
SELECT (SELECT string_agg(m, ' ' ORDER BY m) FROM unnest(members) m) FROM streamkv.zscan('sc', 0, 'a*', 100);
SELECT * FROM streamkv.zscan('missing', 0);
-- match '*' filters nothing, the empty member included (as Redis)
SELECT streamkv.zadd('sc', 5, '');
SELECT cardinality(members) FROM streamkv.zscan('sc', 0, '*', 100);
-- a full iteration with count 1 returns every member once
WITH RECURSIVE it(cursor, members, n) AS (
    SELECT z.next_cursor, z.members, 1 FROM streamkv.zscan('sc', 0, count => 1) z
  UNION ALL
    SELECT z.next_cursor, z.members, it.n + 1 FROM it, streamkv.zscan('sc', it.cursor, count => 1) z
     WHERE it.cursor <> 0 AND it.n < 100)
SELECT string_agg(m, ' ' ORDER BY m) FROM it, unnest(members) m;

-- ZADD_AGG: one operation per page of members
SELECT streamkv.zadd_agg('agg', g, 'm' || g) FROM generate_series(1, 5000) g;
SELECT streamkv.zadd_agg('agg', g * 2, 'm' || g) FROM generate_series(4990, 5010) g;
SELECT streamkv.zcard('agg'), streamkv.zscore('agg', 'm5010'), streamkv.zrank('agg', 'm4990');
SELECT streamkv.zadd_agg(k, 1, 'x') FROM (VALUES ('agg_a'), ('agg_b'), ('agg_a')) v(k);
SELECT streamkv.zcard('agg_a'), streamkv.zcard('agg_b');
SELECT streamkv.zadd_agg('never', 1, 'x') FROM generate_series(1, 0);

-- the generic commands cover sorted sets
SELECT count(*) FROM streamkv.keys('*') k WHERE streamkv.type(k) = 'zset';
SELECT zsets > 0 AS counted FROM streamkv.info();
SELECT streamkv.expire('s1', 100), streamkv.ttl('s1'), streamkv.persist('s1'), streamkv.ttl('s1');
SELECT streamkv.del('s1', 's2'), streamkv.exists('s1', 's2');

-- compaction keeps sorted sets whole
SELECT streamkv.compact() >= 0;
SELECT streamkv.zcard('agg'), streamkv.zscore('agg', 'm3000'), streamkv.zrank('agg', 'm3000');

-- errors: each changes nothing
SELECT streamkv.set('str', 'x');
SELECT streamkv.zadd('str', 1, 'a');
SELECT streamkv.zrange('str', 0, -1);
SELECT streamkv.zscore('str', 'a');
SELECT streamkv.zcard('str');
SELECT * FROM streamkv.zunion(ARRAY['z', 'str']);
SELECT streamkv.zunionstore('out', ARRAY['z', 'str']);
SELECT streamkv.zrangestore('out', 'str', '0', '-1');
SELECT * FROM streamkv.bzpopmin(ARRAY['str'], 0);
SELECT streamkv.get('str');
SELECT streamkv.zadd('z', 'nan'::float8, 'x');
SELECT streamkv.zadd('z', ARRAY[1, 'nan']::float8[], ARRAY['x', 'y']);
SELECT streamkv.zadd('z', 1, 'x', nx => true, xx => true);
SELECT streamkv.zadd('z', 1, 'x', nx => true, gt => true);
SELECT streamkv.zadd('z', 1, 'x', gt => true, lt => true);
SELECT streamkv.zadd_incr('z', 1, 'x', nx => true, lt => true);
SELECT streamkv.zadd('z', ARRAY[1, 2]::float8[], ARRAY['x']);
SELECT streamkv.zadd('z', '{}'::float8[], '{}'::text[]);
SELECT streamkv.zadd('z', ARRAY[1]::float8[], ARRAY[NULL::text]);
SELECT streamkv.zadd('z', ARRAY[[1]]::float8[], ARRAY[['x']]);
SELECT streamkv.zadd('z', 1, 'x', nx => NULL);
SELECT streamkv.zadd(NULL, 1, 'x');
SELECT streamkv.zadd('z', NULL::float8, 'x');
SELECT streamkv.zincrby('inf', '-inf', 'hi');
SELECT streamkv.zadd_incr('inf', '-inf', 'hi');
SELECT streamkv.zscore('inf', 'hi');
SELECT streamkv.zcount('z', 'abc', '1');
SELECT streamkv.zcount('z', '1', '(');
SELECT streamkv.zcount('z', 'nan', '1');
-- as Redis's strtod: '' is 0 and '(' exclusive 0
SELECT streamkv.zcount('z', '', '1'), streamkv.zcount('z', '(', '+inf');
SELECT streamkv.zlexcount('z', 'a', '+');
SELECT streamkv.zlexcount('z', '', '+');
SELECT * FROM streamkv.zrangebyscore('z', '1', 'x');
SELECT * FROM streamkv.zrangebylex('z', '[a', 'b');
SELECT * FROM streamkv.zrangebyscore('z', '1', '2', NULL, 1);
SELECT streamkv.zremrangebyscore('z', 'x', '1');
SELECT streamkv.zremrangebylex('z', 'x', '+');
SELECT streamkv.zrangestore('out', 'z', '0', '-1', 'members');
SELECT streamkv.zrangestore('out', 'z', '0', '-1', 'rank', false, 1, 2);
-- as Redis: a LIMIT with count -1 is ignored by rank
SELECT streamkv.zrangestore('out', 'z', '0', '-1', 'rank', false, 1, -1), streamkv.del('out');
SELECT * FROM streamkv.zrandmember('z', -9223372036854775807);
SELECT streamkv.zrangestore('out', 'z', 'a', '-1');
SELECT streamkv.zrangestore('out', 'z', '0', '-1', 'score');
SELECT streamkv.zrangestore('out', 'z', NULL, '-1');
SELECT * FROM streamkv.zpopmin('z', -1);
SELECT * FROM streamkv.zunion('{}'::text[]);
SELECT streamkv.zunionstore('out', '{}'::text[]);
SELECT streamkv.zunionstore('out', ARRAY['z'], ARRAY[1, 2]::float8[]);
SELECT streamkv.zunionstore('out', ARRAY['z'], ARRAY['nan']::float8[]);
SELECT streamkv.zunionstore('out', ARRAY['z'], aggregate => 'avg');
SELECT streamkv.zunionstore('out', ARRAY['z'], aggregate => NULL);
SELECT streamkv.zunionstore('out', ARRAY['z', NULL]);
SELECT streamkv.zintercard(ARRAY['z'], -1);
SELECT streamkv.zintercard('{}'::text[]);
SELECT * FROM streamkv.zscan('z', -1);
SELECT * FROM streamkv.zscan('z', 0, count => 0);
SELECT * FROM streamkv.zscan('z', NULL);
SELECT * FROM streamkv.bzpopmin(ARRAY['z'], -1);
SELECT * FROM streamkv.bzpopmin('{}'::text[], 0);
SELECT streamkv.zrem('z', VARIADIC '{}'::text[]);
SELECT streamkv.zmscore('z', VARIADIC '{}'::text[]);
SELECT streamkv.zadd_agg('agg', 'nan'::float8, 'x');
SELECT streamkv.zadd_agg('agg', 1, NULL);
SELECT * FROM streamkv.zrandmember(NULL);
SELECT streamkv.exists('out'), streamkv.zcard('agg'), streamkv.zscore('z', 'x');
-- STRICT functions answer NULL to NULL
SELECT streamkv.zcard(NULL) IS NULL, streamkv.zscore('z', NULL) IS NULL, streamkv.zincrby('z', NULL, 'x') IS NULL;
SELECT string_agg(member || '=' || score, ' ') FROM streamkv.zrange('z', 0, -1);
