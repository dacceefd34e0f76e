-- The Redis-style keyspace (src/keyspace.c). Keys are text; values are
-- binary-safe bytea with text overloads. Operations are not transactional
-- (like nextval()): they take effect when they return and ROLLBACK does not
-- undo them; durability follows synchronous_commit at commit.

-- ---- generic keyspace --------------------------------------------------
CREATE FUNCTION streamkv.type(key text) RETURNS text
AS 'MODULE_PATHNAME', 'sk_type' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.type(text) IS
  'TYPE: the type of the value at key: string, hash or none';

CREATE FUNCTION streamkv.exists(VARIADIC keys text[]) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_exists' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.exists(text[]) IS
  'EXISTS: how many of the keys exist (a key named twice counts twice)';

CREATE FUNCTION streamkv.del(VARIADIC keys text[]) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_del' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.del(text[]) IS
  'DEL: removes the keys; returns how many existed';

CREATE FUNCTION streamkv.keys(pattern text) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sk_keys' LANGUAGE C STRICT VOLATILE ROWS 100;
COMMENT ON FUNCTION streamkv.keys(text) IS
  'KEYS: every key matching the glob-style pattern (*, ?, [a-z], [^x], \\ escapes)';

CREATE FUNCTION streamkv.scan(cursor bigint, match text DEFAULT NULL, count integer DEFAULT 10, type text DEFAULT NULL,
                              OUT next_cursor bigint, OUT keys text[])
AS 'MODULE_PATHNAME', 'sk_scan' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.scan(bigint, text, integer, text) IS
  'SCAN: incremental iteration; start with cursor 0, continue with next_cursor until it is 0';

CREATE FUNCTION streamkv.dbsize() RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_dbsize' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.dbsize() IS 'DBSIZE: number of keys in this database''s keyspace';

CREATE FUNCTION streamkv.flushdb() RETURNS void
AS 'MODULE_PATHNAME', 'sk_flushdb' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.flushdb() IS 'FLUSHDB: removes every key of this database''s keyspace';

-- ---- strings and counters ---------------------------------------------
CREATE FUNCTION streamkv.set(key text, value bytea,
    nx boolean DEFAULT false, xx boolean DEFAULT false, get boolean DEFAULT false,
    ex bigint DEFAULT NULL, px bigint DEFAULT NULL, exat bigint DEFAULT NULL, pxat bigint DEFAULT NULL,
    keepttl boolean DEFAULT false) RETURNS bytea
AS 'MODULE_PATHNAME', 'sk_set_bytea' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.set(text, bytea, boolean, boolean, boolean, bigint, bigint, bigint, bigint, boolean) IS
  'SET: stores value at key; returns ''OK'', NULL when nx/xx prevented it, or the old value with get';

CREATE FUNCTION streamkv.set(key text, value text,
    nx boolean DEFAULT false, xx boolean DEFAULT false, get boolean DEFAULT false,
    ex bigint DEFAULT NULL, px bigint DEFAULT NULL, exat bigint DEFAULT NULL, pxat bigint DEFAULT NULL,
    keepttl boolean DEFAULT false) RETURNS text
AS 'MODULE_PATHNAME', 'sk_set_text' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.set(text, text, boolean, boolean, boolean, bigint, bigint, bigint, bigint, boolean) IS
  'SET: stores value at key; returns ''OK'', NULL when nx/xx prevented it, or the old value with get';

CREATE FUNCTION streamkv.get(key text) RETURNS text
AS 'MODULE_PATHNAME', 'sk_get_text' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.get(text) IS 'GET: the string at key as text, NULL when missing';

CREATE FUNCTION streamkv.get_bytea(key text) RETURNS bytea
AS 'MODULE_PATHNAME', 'sk_get_bytea' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.get_bytea(text) IS 'GET: the string at key as bytea, NULL when missing';

CREATE FUNCTION streamkv.getdel(key text) RETURNS text
AS 'MODULE_PATHNAME', 'sk_getdel_text' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.getdel(text) IS 'GETDEL: returns the string at key and removes the key';

CREATE FUNCTION streamkv.mget(VARIADIC keys text[]) RETURNS text[]
AS 'MODULE_PATHNAME', 'sk_mget' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.mget(text[]) IS 'MGET: the values at the keys, NULL for a missing key or one that is not a string';

CREATE FUNCTION streamkv.mset(VARIADIC key_values text[]) RETURNS text
AS 'MODULE_PATHNAME', 'sk_mset' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.mset(text[]) IS 'MSET: sets key1, value1, key2, value2, ... atomically; returns ''OK''';

CREATE FUNCTION streamkv.append(key text, value text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_append_text' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.append(text, text) IS 'APPEND: appends to the string at key (creating it); returns the new length in bytes';

CREATE FUNCTION streamkv.append(key text, value bytea) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_append_bytea' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.append(text, bytea) IS 'APPEND: appends to the string at key (creating it); returns the new length in bytes';

CREATE FUNCTION streamkv.strlen(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_strlen' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.strlen(text) IS 'STRLEN: length in bytes of the string at key, 0 when missing';

CREATE FUNCTION streamkv.incrby(key text, increment bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_incrby' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.incrby(text, bigint) IS 'INCRBY: adds increment to the integer at key (0 when missing); returns the new value';

CREATE FUNCTION streamkv.incr(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_incr' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.incr(text) IS 'INCR: adds 1 to the integer at key; returns the new value';

CREATE FUNCTION streamkv.decr(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_decr' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.decr(text) IS 'DECR: subtracts 1 from the integer at key; returns the new value';

CREATE FUNCTION streamkv.decrby(key text, decrement bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_decrby' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.decrby(text, bigint) IS 'DECRBY: subtracts decrement from the integer at key; returns the new value';

CREATE FUNCTION streamkv.incrbyfloat(key text, increment numeric) RETURNS text
AS 'MODULE_PATHNAME', 'sk_incrbyfloat' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.incrbyfloat(text, numeric) IS 'INCRBYFLOAT: adds increment to the number at key (long double, as Redis); returns the new value as Redis prints it';

-- ---- hashes -----------------------------------------------------------
CREATE FUNCTION streamkv.hset(key text, VARIADIC field_values text[]) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_hset' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hset(text, text[]) IS 'HSET: sets field1, value1, field2, value2, ...; returns how many fields were new';

CREATE FUNCTION streamkv.hsetnx(key text, field text, value text) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_hsetnx' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hsetnx(text, text, text) IS 'HSETNX: sets field only when it does not exist; true when set';

CREATE FUNCTION streamkv.hget(key text, field text) RETURNS text
AS 'MODULE_PATHNAME', 'sk_hget' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hget(text, text) IS 'HGET: the value of field, NULL when missing';

CREATE FUNCTION streamkv.hmget(key text, VARIADIC fields text[]) RETURNS text[]
AS 'MODULE_PATHNAME', 'sk_hmget' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hmget(text, text[]) IS 'HMGET: the values of the fields, NULL for missing ones';

CREATE FUNCTION streamkv.hdel(key text, VARIADIC fields text[]) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_hdel' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hdel(text, text[]) IS 'HDEL: removes the fields; returns how many existed (an emptied hash is removed)';

CREATE FUNCTION streamkv.hgetall(key text, OUT field text, OUT value text) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_hgetall' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hgetall(text) IS 'HGETALL: every field and value of the hash';

CREATE FUNCTION streamkv.hkeys(key text) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sk_hkeys' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hkeys(text) IS 'HKEYS: every field of the hash';

CREATE FUNCTION streamkv.hvals(key text) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sk_hvals' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hvals(text) IS 'HVALS: every value of the hash';

CREATE FUNCTION streamkv.hlen(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_hlen' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hlen(text) IS 'HLEN: number of fields, 0 when the key is missing';

CREATE FUNCTION streamkv.hexists(key text, field text) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_hexists' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hexists(text, text) IS 'HEXISTS: whether field exists';

CREATE FUNCTION streamkv.hincrby(key text, field text, increment bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_hincrby' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hincrby(text, text, bigint) IS 'HINCRBY: adds increment to the integer in field; returns the new value';

CREATE FUNCTION streamkv.hincrbyfloat(key text, field text, increment numeric) RETURNS text
AS 'MODULE_PATHNAME', 'sk_hincrbyfloat' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.hincrbyfloat(text, text, numeric) IS 'HINCRBYFLOAT: adds increment to the number in field; returns the new value as Redis prints it';

-- ---- TTL --------------------------------------------------------------
CREATE FUNCTION streamkv.expire(key text, seconds bigint, nx boolean DEFAULT false, xx boolean DEFAULT false,
                                gt boolean DEFAULT false, lt boolean DEFAULT false) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_expire' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.expire(text, bigint, boolean, boolean, boolean, boolean) IS
  'EXPIRE: sets a time to live in seconds; true when set (a TTL <= 0 deletes the key)';

CREATE FUNCTION streamkv.pexpire(key text, milliseconds bigint, nx boolean DEFAULT false, xx boolean DEFAULT false,
                                 gt boolean DEFAULT false, lt boolean DEFAULT false) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_pexpire' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.pexpire(text, bigint, boolean, boolean, boolean, boolean) IS
  'PEXPIRE: sets a time to live in milliseconds; true when set';

CREATE FUNCTION streamkv.expireat(key text, unix_seconds bigint, nx boolean DEFAULT false, xx boolean DEFAULT false,
                                  gt boolean DEFAULT false, lt boolean DEFAULT false) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_expireat' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.expireat(text, bigint, boolean, boolean, boolean, boolean) IS
  'EXPIREAT: sets the expiry as a Unix time in seconds; true when set';

CREATE FUNCTION streamkv.pexpireat(key text, unix_milliseconds bigint, nx boolean DEFAULT false, xx boolean DEFAULT false,
                                   gt boolean DEFAULT false, lt boolean DEFAULT false) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_pexpireat' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.pexpireat(text, bigint, boolean, boolean, boolean, boolean) IS
  'PEXPIREAT: sets the expiry as a Unix time in milliseconds; true when set';

CREATE FUNCTION streamkv.ttl(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_ttl' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.ttl(text) IS 'TTL: seconds to live; -1 without expiry, -2 when missing';

CREATE FUNCTION streamkv.pttl(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_pttl' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.pttl(text) IS 'PTTL: milliseconds to live; -1 without expiry, -2 when missing';

CREATE FUNCTION streamkv.expiretime(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_expiretime' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.expiretime(text) IS 'EXPIRETIME: the expiry as a Unix time in seconds; -1 without expiry, -2 when missing';

CREATE FUNCTION streamkv.pexpiretime(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_pexpiretime' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.pexpiretime(text) IS 'PEXPIRETIME: the expiry as a Unix time in milliseconds; -1 without expiry, -2 when missing';

CREATE FUNCTION streamkv.persist(key text) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_persist' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.persist(text) IS 'PERSIST: removes the expiry; true when the key had one';

-- ---- observability ----------------------------------------------------
CREATE FUNCTION streamkv.info(OUT memory_used bigint, OUT memory_limit bigint,
    OUT strings bigint, OUT hashes bigint, OUT store_pages bigint, OUT free_pages bigint,
    OUT wal_records bigint, OUT wal_bytes bigint, OUT loads bigint, OUT last_load_ms float8,
    OUT compactions bigint, OUT last_compaction timestamptz, OUT expired_keys bigint,
    OUT unloads bigint, OUT slots_unloaded bigint, OUT zsets bigint, OUT bloom_filters bigint)
AS 'MODULE_PATHNAME', 'sk_info' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.info() IS
  'INFO: shared memory used and its limit, keys per type in this database, store pages, WAL records written, loads, compactions, expiries, and unloads to make room (this keyspace; every store of the server)';

CREATE FUNCTION streamkv.compact() RETURNS integer
AS 'MODULE_PATHNAME', 'sk_compact' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.compact() IS
  'Rewrites every keyspace shard of this database whose chain holds dead entries now (the background worker does this by itself past streamkv.compact_dead_fraction); returns the shards rewritten';

CREATE FUNCTION streamkv.memory_usage(key text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_memory_usage' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.memory_usage(text) IS
  'MEMORY USAGE: bytes of shared memory the key and its value hold; NULL when the key does not exist';

CREATE FUNCTION streamkv.keyspace_memory() RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_keyspace_memory' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.keyspace_memory() IS
  'Bytes of shared memory this database''s keyspace holds: every key as memory_usage counts it plus the shards'' bucket arrays (a scan, shard by shard)';

