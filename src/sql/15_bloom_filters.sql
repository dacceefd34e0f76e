-- ---- bloom filters in the keyspace (RedisBloom's BF.*) ---------------------
CREATE FUNCTION streamkv.bf_reserve(key text, error_rate float8, capacity bigint,
    expansion integer DEFAULT 2, nonscaling boolean DEFAULT false) RETURNS text
AS 'MODULE_PATHNAME', 'sk_bf_reserve' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_reserve(text, float8, bigint, integer, boolean) IS
  'BF.RESERVE: creates an empty scalable bloom filter (sub-filters grow by expansion, error tightens by 0.5) or, with nonscaling, a fixed one; returns OK';

CREATE FUNCTION streamkv.bf_add(key text, item text) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_bf_add' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_add(text, text) IS
  'BF.ADD: adds an item (creating a filter of error 0.01, capacity 100, expansion 2 if needed); true when it was new';
CREATE FUNCTION streamkv.bf_add(key text, item bytea) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_bf_add' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_add(text, bytea) IS
  'BF.ADD of a bytea item (the same item as the text of the same bytes)';

CREATE FUNCTION streamkv.bf_madd(key text, VARIADIC items text[]) RETURNS boolean[]
AS 'MODULE_PATHNAME', 'sk_bf_madd' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_madd(text, text[]) IS
  'BF.MADD: adds items (creating a default filter if needed); for each, true when it was new';
CREATE FUNCTION streamkv.bf_madd(key text, VARIADIC items bytea[]) RETURNS boolean[]
AS 'MODULE_PATHNAME', 'sk_bf_madd' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_madd(text, bytea[]) IS 'BF.MADD of bytea items';

CREATE FUNCTION streamkv.bf_insert(key text, items text[], capacity bigint DEFAULT 100,
    error float8 DEFAULT 0.01, expansion integer DEFAULT 2, nocreate boolean DEFAULT false,
    nonscaling boolean DEFAULT false) RETURNS boolean[]
AS 'MODULE_PATHNAME', 'sk_bf_insert' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_insert(text, text[], bigint, float8, integer, boolean, boolean) IS
  'BF.INSERT: adds items, creating the filter with capacity, error, expansion, nonscaling when missing (nocreate: error "not found" instead); for each, true when it was new';
CREATE FUNCTION streamkv.bf_insert(key text, items bytea[], capacity bigint DEFAULT 100,
    error float8 DEFAULT 0.01, expansion integer DEFAULT 2, nocreate boolean DEFAULT false,
    nonscaling boolean DEFAULT false) RETURNS boolean[]
AS 'MODULE_PATHNAME', 'sk_bf_insert' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_insert(text, bytea[], bigint, float8, integer, boolean, boolean) IS
  'BF.INSERT of bytea items';

CREATE FUNCTION streamkv.bf_exists(key text, item text) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_bf_exists' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_exists(text, text) IS
  'BF.EXISTS: true when the item may have been added (false positives at the filter''s error rate), false when it certainly was not or the key is missing';
CREATE FUNCTION streamkv.bf_exists(key text, item bytea) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_bf_exists' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_exists(text, bytea) IS 'BF.EXISTS of a bytea item';

CREATE FUNCTION streamkv.bf_mexists(key text, VARIADIC items text[]) RETURNS boolean[]
AS 'MODULE_PATHNAME', 'sk_bf_mexists' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_mexists(text, text[]) IS 'BF.MEXISTS: bf_exists of each item';
CREATE FUNCTION streamkv.bf_mexists(key text, VARIADIC items bytea[]) RETURNS boolean[]
AS 'MODULE_PATHNAME', 'sk_bf_mexists' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_mexists(text, bytea[]) IS 'BF.MEXISTS of bytea items';

CREATE FUNCTION streamkv.bf_info(key text, OUT capacity bigint, OUT size bigint,
    OUT filters bigint, OUT items bigint, OUT expansion bigint)
AS 'MODULE_PATHNAME', 'sk_bf_info' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_info(text) IS
  'BF.INFO: total capacity, size in bytes as RedisBloom counts it, sub-filters, items added, expansion (NULL when nonscaling)';

CREATE FUNCTION streamkv.bf_card(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_bf_card' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_card(text) IS 'BF.CARD: items added to the filter (0 when the key is missing)';

CREATE FUNCTION streamkv.bf_debug(key text, OUT filter integer, OUT bytes bigint,
    OUT bits bigint, OUT hashes integer, OUT capacity bigint, OUT items bigint,
    OUT error_rate float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_bf_debug' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_debug(text) IS
  'BF.DEBUG: one row per sub-filter: bytes, bits, hash functions, capacity, items, error rate';

CREATE FUNCTION streamkv.bf_scandump(key text, iter bigint, OUT next_iter bigint, OUT data bytea)
AS 'MODULE_PATHNAME', 'sk_bf_scandump' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.bf_scandump(text, bigint) IS
  'BF.SCANDUMP: iter 0 gives RedisBloom''s header, then each call the next chunk of the sub-filters'' bits; next_iter 0 when done';

CREATE FUNCTION streamkv.bf_add_agg_trans(internal, key text, item text) RETURNS internal
AS 'MODULE_PATHNAME', 'sk_bf_add_agg_trans' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.bf_add_agg_trans(internal, text, text) IS 'transition function of bf_add_agg';
CREATE FUNCTION streamkv.bf_add_agg_trans(internal, key text, item bytea) RETURNS internal
AS 'MODULE_PATHNAME', 'sk_bf_add_agg_trans' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.bf_add_agg_trans(internal, text, bytea) IS 'transition function of bf_add_agg (bytea)';
CREATE FUNCTION streamkv.bf_add_agg_final(internal) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_bf_add_agg_final' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.bf_add_agg_final(internal) IS 'final function of bf_add_agg';
CREATE AGGREGATE streamkv.bf_add_agg(key text, item text) (
    SFUNC = streamkv.bf_add_agg_trans, STYPE = internal,
    FINALFUNC = streamkv.bf_add_agg_final, FINALFUNC_MODIFY = READ_WRITE);
CREATE AGGREGATE streamkv.bf_add_agg(key text, item bytea) (
    SFUNC = streamkv.bf_add_agg_trans, STYPE = internal,
    FINALFUNC = streamkv.bf_add_agg_final, FINALFUNC_MODIFY = READ_WRITE);
-- CREATE AGGREGATE marks the aggregate IMMUTABLE; it writes, so it is volatile
-- (see zadd_agg).
UPDATE pg_catalog.pg_proc SET provolatile = 'v'
 WHERE oid IN ('streamkv.bf_add_agg(text, text)'::pg_catalog.regprocedure,
               'streamkv.bf_add_agg(text, bytea)'::pg_catalog.regprocedure);
COMMENT ON AGGREGATE streamkv.bf_add_agg(text, text) IS
  'BF.MADD of every (key, item) row, one operation per page of items; returns the items that were new';
COMMENT ON AGGREGATE streamkv.bf_add_agg(text, bytea) IS
  'bf_add_agg of bytea items';
