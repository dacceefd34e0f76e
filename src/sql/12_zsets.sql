-- ---- sorted sets (ZSET commands; src/ks_zsets.c, ks_zsetops.c, zset_sql.c) ----
-- Members are text, ordered by score then by their bytes (never by collation);
-- scores are float8 (-inf and +inf allowed, NaN refused, -0 equals 0).
-- Bounds are text in Redis's syntax: scores '-inf' '+inf' '(1.5' '2', lex '[a' '(b' '-' '+'.

CREATE FUNCTION streamkv.zadd(key text, score float8, member text,
    nx boolean DEFAULT false, xx boolean DEFAULT false, gt boolean DEFAULT false,
    lt boolean DEFAULT false, ch boolean DEFAULT false) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zadd' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zadd(text, float8, text, boolean, boolean, boolean, boolean, boolean) IS
  'ZADD: sets member''s score (nx: only add, xx: only update, gt/lt: only raise/lower); returns members added (with ch: added or changed)';

CREATE FUNCTION streamkv.zadd(key text, scores float8[], members text[],
    nx boolean DEFAULT false, xx boolean DEFAULT false, gt boolean DEFAULT false,
    lt boolean DEFAULT false, ch boolean DEFAULT false) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zadd_multi' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zadd(text, float8[], text[], boolean, boolean, boolean, boolean, boolean) IS
  'ZADD of many (scores[i], members[i]) pairs in one command (a repeated member: the last pair wins); returns members added (with ch: added or changed)';

CREATE FUNCTION streamkv.zadd_incr(key text, increment float8, member text,
    nx boolean DEFAULT false, xx boolean DEFAULT false, gt boolean DEFAULT false,
    lt boolean DEFAULT false) RETURNS float8
AS 'MODULE_PATHNAME', 'sk_zadd_incr' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zadd_incr(text, float8, text, boolean, boolean, boolean, boolean) IS
  'ZADD INCR: adds increment to member''s score; returns the new score, NULL when nx/xx/gt/lt prevented it';

CREATE FUNCTION streamkv.zincrby(key text, increment float8, member text) RETURNS float8
AS 'MODULE_PATHNAME', 'sk_zincrby' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zincrby(text, float8, text) IS
  'ZINCRBY: adds increment to member''s score (a new member starts at 0); returns the new score';

CREATE FUNCTION streamkv.zrem(key text, VARIADIC members text[]) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zrem' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zrem(text, text[]) IS
  'ZREM: removes members; returns how many were there (the key goes with its last member)';

CREATE FUNCTION streamkv.zcard(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zcard' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zcard(text) IS 'ZCARD: number of members, 0 when the key is missing';

CREATE FUNCTION streamkv.zscore(key text, member text) RETURNS float8
AS 'MODULE_PATHNAME', 'sk_zscore' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zscore(text, text) IS 'ZSCORE: member''s score, NULL when absent';

CREATE FUNCTION streamkv.zmscore(key text, VARIADIC members text[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'sk_zmscore' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zmscore(text, text[]) IS 'ZMSCORE: the members'' scores, NULL for each one absent';

CREATE FUNCTION streamkv.zrank(key text, member text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zrank' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zrank(text, text) IS 'ZRANK: member''s 0-based rank by ascending score, NULL when absent';

CREATE FUNCTION streamkv.zrevrank(key text, member text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zrevrank' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zrevrank(text, text) IS 'ZREVRANK: member''s 0-based rank by descending score, NULL when absent';

CREATE FUNCTION streamkv.zcount(key text, min text, max text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zcount' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zcount(text, text, text) IS 'ZCOUNT: members with a score within min and max (''(x'' exclusive, ''-inf'', ''+inf'')';

CREATE FUNCTION streamkv.zlexcount(key text, min text, max text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zlexcount' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zlexcount(text, text, text) IS 'ZLEXCOUNT: members between min and max by bytes (''[a'' inclusive, ''(a'' exclusive, ''-'', ''+''); for sets whose scores are all equal';

CREATE FUNCTION streamkv.zrange(key text, start bigint, stop bigint,
    OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zrange' LANGUAGE C STRICT VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.zrange(text, bigint, bigint) IS 'ZRANGE: members of ranks start..stop (negative counts from the end), by ascending score';

CREATE FUNCTION streamkv.zrevrange(key text, start bigint, stop bigint,
    OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zrevrange' LANGUAGE C STRICT VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.zrevrange(text, bigint, bigint) IS 'ZREVRANGE: members of ranks start..stop by descending score';

CREATE FUNCTION streamkv.zrangebyscore(key text, min text, max text, "offset" bigint DEFAULT 0,
    count bigint DEFAULT -1, OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zrangebyscore' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.zrangebyscore(text, text, text, bigint, bigint) IS
  'ZRANGEBYSCORE: members with a score within min and max, ascending; LIMIT offset count (count < 0: all)';

CREATE FUNCTION streamkv.zrevrangebyscore(key text, max text, min text, "offset" bigint DEFAULT 0,
    count bigint DEFAULT -1, OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zrevrangebyscore' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.zrevrangebyscore(text, text, text, bigint, bigint) IS
  'ZREVRANGEBYSCORE: members with a score within max and min, descending; LIMIT offset count';

CREATE FUNCTION streamkv.zrangebylex(key text, min text, max text, "offset" bigint DEFAULT 0,
    count bigint DEFAULT -1, OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zrangebylex' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.zrangebylex(text, text, text, bigint, bigint) IS
  'ZRANGEBYLEX: members between min and max by bytes, ascending; LIMIT offset count';

CREATE FUNCTION streamkv.zrevrangebylex(key text, max text, min text, "offset" bigint DEFAULT 0,
    count bigint DEFAULT -1, OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zrevrangebylex' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.zrevrangebylex(text, text, text, bigint, bigint) IS
  'ZREVRANGEBYLEX: members between max and min by bytes, descending; LIMIT offset count';

CREATE FUNCTION streamkv.zrangestore(dst text, src text, min text, max text,
    by text DEFAULT 'rank', rev boolean DEFAULT false, "offset" bigint DEFAULT 0,
    count bigint DEFAULT -1) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zrangestore' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zrangestore(text, text, text, text, text, boolean, bigint, bigint) IS
  'ZRANGESTORE: stores at dst the members of src that ZRANGE src min max [BY rank|score|lex] [REV] [LIMIT offset count] selects (with rev, min and max in Redis''s order: the higher first); returns their number (0 deletes dst)';

CREATE FUNCTION streamkv.zremrangebyrank(key text, start bigint, stop bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zremrangebyrank' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zremrangebyrank(text, bigint, bigint) IS 'ZREMRANGEBYRANK: removes the members of ranks start..stop; returns how many';

CREATE FUNCTION streamkv.zremrangebyscore(key text, min text, max text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zremrangebyscore' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zremrangebyscore(text, text, text) IS 'ZREMRANGEBYSCORE: removes the members with a score within min and max; returns how many';

CREATE FUNCTION streamkv.zremrangebylex(key text, min text, max text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zremrangebylex' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zremrangebylex(text, text, text) IS 'ZREMRANGEBYLEX: removes the members between min and max by bytes; returns how many';

CREATE FUNCTION streamkv.zpopmin(key text, count bigint DEFAULT 1,
    OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zpopmin' LANGUAGE C STRICT VOLATILE ROWS 1;
COMMENT ON FUNCTION streamkv.zpopmin(text, bigint) IS 'ZPOPMIN: removes and returns the count members of lowest score';

CREATE FUNCTION streamkv.zpopmax(key text, count bigint DEFAULT 1,
    OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zpopmax' LANGUAGE C STRICT VOLATILE ROWS 1;
COMMENT ON FUNCTION streamkv.zpopmax(text, bigint) IS 'ZPOPMAX: removes and returns the count members of highest score';

CREATE FUNCTION streamkv.bzpopmin(keys text[], wait_ms integer,
    OUT key text, OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_bzpopmin' LANGUAGE C STRICT VOLATILE ROWS 1;
COMMENT ON FUNCTION streamkv.bzpopmin(text[], integer) IS
  'BZPOPMIN: pops the lowest member of the first non-empty set of keys, waiting up to wait_ms (0: no wait) for one; no row when the time ran out; cancellable';

CREATE FUNCTION streamkv.bzpopmax(keys text[], wait_ms integer,
    OUT key text, OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_bzpopmax' LANGUAGE C STRICT VOLATILE ROWS 1;
COMMENT ON FUNCTION streamkv.bzpopmax(text[], integer) IS
  'BZPOPMAX: pops the highest member of the first non-empty set of keys, waiting up to wait_ms (0: no wait) for one; no row when the time ran out; cancellable';

CREATE FUNCTION streamkv.zrandmember(key text, count bigint DEFAULT NULL,
    OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zrandmember' LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION streamkv.zrandmember(text, bigint) IS
  'ZRANDMEMBER: a random member (NULL count), count distinct members (count > 0) or -count members with repeats (count < 0)';

CREATE FUNCTION streamkv.zunionstore(dst text, keys text[], weights float8[] DEFAULT NULL,
    aggregate text DEFAULT 'sum') RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zunionstore' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zunionstore(text, text[], float8[], text) IS
  'ZUNIONSTORE: stores at dst the union of keys, scores times weights combined by sum, min or max; returns its size (0 deletes dst)';

CREATE FUNCTION streamkv.zinterstore(dst text, keys text[], weights float8[] DEFAULT NULL,
    aggregate text DEFAULT 'sum') RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zinterstore' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zinterstore(text, text[], float8[], text) IS
  'ZINTERSTORE: stores at dst the intersection of keys, scores times weights combined by sum, min or max; returns its size (0 deletes dst)';

CREATE FUNCTION streamkv.zdiffstore(dst text, keys text[]) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zdiffstore' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zdiffstore(text, text[]) IS
  'ZDIFFSTORE: stores at dst the members of the first key that no other key holds; returns their number (0 deletes dst)';

CREATE FUNCTION streamkv.zunion(keys text[], weights float8[] DEFAULT NULL, aggregate text DEFAULT 'sum',
    OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zunion' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zunion(text[], float8[], text) IS 'ZUNION: the union of keys, as zunionstore computes it, in order';

CREATE FUNCTION streamkv.zinter(keys text[], weights float8[] DEFAULT NULL, aggregate text DEFAULT 'sum',
    OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zinter' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zinter(text[], float8[], text) IS 'ZINTER: the intersection of keys, as zinterstore computes it, in order';

CREATE FUNCTION streamkv.zdiff(keys text[], OUT member text, OUT score float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_zdiff' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zdiff(text[]) IS 'ZDIFF: the members of the first key that no other key holds, in order';

CREATE FUNCTION streamkv.zintercard(keys text[], "limit" bigint DEFAULT 0) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zintercard' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.zintercard(text[], bigint) IS 'ZINTERCARD: the size of the intersection of keys, counting stopped at limit (0: no limit)';

CREATE FUNCTION streamkv.zscan(key text, cursor bigint, match text DEFAULT NULL, count integer DEFAULT 10,
    OUT next_cursor bigint, OUT members text[], OUT scores float8[])
AS 'MODULE_PATHNAME', 'sk_zscan' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zscan(text, bigint, text, integer) IS
  'ZSCAN: incremental iteration over members (glob match); start with cursor 0, continue with next_cursor until it is 0';

CREATE FUNCTION streamkv.zadd_agg_trans(internal, key text, score float8, member text) RETURNS internal
AS 'MODULE_PATHNAME', 'sk_zadd_agg_trans' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zadd_agg_trans(internal, text, float8, text) IS 'transition function of zadd_agg';
CREATE FUNCTION streamkv.zadd_agg_final(internal) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_zadd_agg_final' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.zadd_agg_final(internal) IS 'final function of zadd_agg';
CREATE AGGREGATE streamkv.zadd_agg(key text, score float8, member text) (
    SFUNC = streamkv.zadd_agg_trans, STYPE = internal,
    FINALFUNC = streamkv.zadd_agg_final, FINALFUNC_MODIFY = READ_WRITE);
-- CREATE AGGREGATE marks the aggregate IMMUTABLE: the planner could drop an unread
-- column holding it (produce_agg had this bug); it writes, so it is volatile.
UPDATE pg_catalog.pg_proc SET provolatile = 'v'
 WHERE oid = 'streamkv.zadd_agg(text, float8, text)'::pg_catalog.regprocedure;
COMMENT ON AGGREGATE streamkv.zadd_agg(text, float8, text) IS
  'ZADD of every (score, member) row to key, one operation per page of members; returns members added';
