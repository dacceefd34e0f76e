-- Generated from src/sql/*.sql by make: edit those files, not this one.
\echo Use "CREATE EXTENSION streamkv" to load this file. \quit

-- ==== src/sql/00_store.sql
-- The page store: a stub index access method whose indexes are streamkv's
-- stores (DESIGN.md §1). The anchor table stays empty; its indexes hold pages
-- that only streamkv reads and writes.

CREATE FUNCTION streamkv.store_am_handler(internal)
RETURNS index_am_handler
AS 'MODULE_PATHNAME', 'streamkv_store_am_handler'
LANGUAGE C STRICT;

COMMENT ON FUNCTION streamkv.store_am_handler(internal) IS
  'Internal: handler of the streamkv_store access method';

CREATE ACCESS METHOD streamkv_store TYPE INDEX HANDLER streamkv.store_am_handler;
COMMENT ON ACCESS METHOD streamkv_store IS
  'streamkv page store: indexes of this method hold streamkv''s WAL-logged pages; they cannot be built, rebuilt or scanned by PostgreSQL';

CREATE OPERATOR CLASS streamkv.store_ops DEFAULT FOR TYPE int4 USING streamkv_store AS STORAGE int4;

CREATE TABLE streamkv.store_anchor (id int4);
COMMENT ON TABLE streamkv.store_anchor IS
  'Anchor of streamkv''s page stores (its indexes); always empty';

CREATE FUNCTION streamkv._create_store(name text, kind int4)
RETURNS void
AS 'MODULE_PATHNAME', 'streamkv_create_store'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv._create_store(text, int4) IS
  'Internal: creates a streamkv page store (an index on streamkv.store_anchor)';

-- The keyspace store of this database.
SELECT streamkv._create_store('keyspace_store', 1);
-- The consumer groups store of this database (src/group.c).
SELECT streamkv._create_store('groups_store', 3);

REVOKE ALL ON FUNCTION streamkv._create_store(text, int4) FROM PUBLIC;

CREATE FUNCTION streamkv.slots(OUT kind text, OUT slots bigint, OUT loaded bigint, OUT unloads bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_slots' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.slots() IS
  'The slot table, per store kind (keyspace, topic, groups), across all databases: stores with a slot, slots loaded in shared memory, and unloads since start (idle slots unloaded to make room under streamkv.max_memory)';

-- What pg_dump carries (src/dump.c, README "Backups with pg_dump"): reading
-- streamkv.dump_rows returns this database's topics, records, keyspace and
-- groups as rows; inserting rows (a restore's COPY) applies them.
CREATE FUNCTION streamkv.dump_am_handler(internal)
RETURNS table_am_handler
AS 'MODULE_PATHNAME', 'streamkv_dump_am_handler'
LANGUAGE C STRICT;
COMMENT ON FUNCTION streamkv.dump_am_handler(internal) IS
  'Internal: handler of the streamkv_dump table access method';
CREATE ACCESS METHOD streamkv_dump TYPE TABLE HANDLER streamkv.dump_am_handler;
COMMENT ON ACCESS METHOD streamkv_dump IS
  'streamkv.dump_rows: a table whose rows are the database''s streamkv data, so that pg_dump carries it';

CREATE TABLE streamkv.dump_rows (
    kind text NOT NULL,
    name text,
    part integer,
    pos bigint,
    ts timestamptz,
    key bytea,
    value bytea,
    data bytea
) USING streamkv_dump;
COMMENT ON TABLE streamkv.dump_rows IS
  'This database''s streamkv data as rows (format, topic, log_start, record, key_op, group_op), read when scanned; inserting rows restores them. pg_dump copies it out and a restore copies it back in';
SELECT pg_catalog.pg_extension_config_dump('streamkv.dump_rows', '');

-- ==== src/sql/01_acl.sql
-- Privileges (src/acl.c; README "Privileges"): grants are PostgreSQL ACL
-- items in a table, so they are transactional, replicated, kept across
-- restarts and carried by pg_dump.  Superusers and members of the extension
-- owner's role hold every privilege; other roles hold what is granted here.

CREATE TABLE streamkv.acl (
    object_type text NOT NULL CHECK (object_type IN ('keyspace', 'topic', 'group', 'database')),
    object_name text NOT NULL,
    acl aclitem[] NOT NULL,
    PRIMARY KEY (object_type, object_name)
);
COMMENT ON TABLE streamkv.acl IS
  'Grants on streamkv objects: one row per (object_type, object_name), the name * standing for every object of the type; change it with acl_grant and acl_revoke';
SELECT pg_catalog.pg_extension_config_dump('streamkv.acl', '');

CREATE FUNCTION streamkv._acl_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'sk_acl_changed' LANGUAGE C;
COMMENT ON FUNCTION streamkv._acl_changed() IS
  'Internal: statement trigger on streamkv.acl that invalidates the cached privilege checks';
CREATE TRIGGER acl_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON streamkv.acl
    FOR EACH STATEMENT EXECUTE FUNCTION streamkv._acl_changed();

CREATE FUNCTION streamkv.acl_grant(object_type text, object_name text, privileges text, role text)
RETURNS void
AS 'MODULE_PATHNAME', 'sk_acl_grant' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.acl_grant(text, text, text, text) IS
  'Grants privileges (comma-separated, or all) on a keyspace (read, write, admin; name NULL), topic (produce, consume, admin), group (consume, admin) or database (create, admin; name NULL) to a role or PUBLIC; the name * means every object of the type. Transactional; owner or superuser only';

CREATE FUNCTION streamkv.acl_revoke(object_type text, object_name text, privileges text, role text)
RETURNS void
AS 'MODULE_PATHNAME', 'sk_acl_revoke' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.acl_revoke(text, text, text, text) IS
  'Revokes privileges granted by acl_grant (same arguments). Transactional; owner or superuser only';

CREATE VIEW streamkv.privileges AS
SELECT a.object_type,
       NULLIF(a.object_name, '') AS object_name,
       CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(e.grantee) END AS role,
       CASE e.privilege_type
           WHEN 'SELECT' THEN CASE WHEN a.object_type = 'keyspace' THEN 'read' ELSE 'consume' END
           WHEN 'UPDATE' THEN 'write'
           WHEN 'INSERT' THEN 'produce'
           WHEN 'TRUNCATE' THEN 'admin'
           WHEN 'CREATE' THEN 'create'
           ELSE lower(e.privilege_type)
       END AS privilege
  FROM streamkv.acl a, LATERAL pg_catalog.aclexplode(a.acl) e;
COMMENT ON VIEW streamkv.privileges IS
  'Grants on streamkv objects, one row per role and privilege (owners and superusers hold every privilege without a row)';
GRANT SELECT ON streamkv.privileges TO PUBLIC;

-- ==== src/sql/10_keyspace.sql
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


-- ==== src/sql/12_zsets.sql
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

-- ==== src/sql/13_geo.sql
-- ---- geo sets (GEO commands on sorted sets; src/ks_geo.c, geo_set_sql.c) ----
-- A geo set is a sorted set (type 'zset') whose scores are Redis's 52-bit geo
-- scores (geo_score); positions are (lon, lat) in degrees, distances in
-- m, km, mi or ft (any case).  Results equal Redis 7.0's.

CREATE FUNCTION streamkv.geoadd(key text, lon float8, lat float8, member text,
    nx boolean DEFAULT false, xx boolean DEFAULT false, ch boolean DEFAULT false) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_geoadd' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.geoadd(text, float8, float8, text, boolean, boolean, boolean) IS
  'GEOADD: sets member''s position (score geo_score(lon, lat); nx: only add, xx: only update); returns members added (with ch: added or moved)';

CREATE FUNCTION streamkv.geoadd(key text, lons float8[], lats float8[], members text[],
    nx boolean DEFAULT false, xx boolean DEFAULT false, ch boolean DEFAULT false) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_geoadd_multi' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.geoadd(text, float8[], float8[], text[], boolean, boolean, boolean) IS
  'GEOADD of many (lons[i], lats[i], members[i]) in one command, one ZADD operation; returns members added (with ch: added or moved)';

CREATE FUNCTION streamkv.geoadd_agg_trans(internal, key text, lon float8, lat float8, member text) RETURNS internal
AS 'MODULE_PATHNAME', 'sk_geoadd_agg_trans' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.geoadd_agg_trans(internal, text, float8, float8, text) IS 'transition function of geoadd_agg';
CREATE AGGREGATE streamkv.geoadd_agg(key text, lon float8, lat float8, member text) (
    SFUNC = streamkv.geoadd_agg_trans, STYPE = internal,
    FINALFUNC = streamkv.zadd_agg_final, FINALFUNC_MODIFY = READ_WRITE);
-- it writes: volatile (see zadd_agg)
UPDATE pg_catalog.pg_proc SET provolatile = 'v'
 WHERE oid = 'streamkv.geoadd_agg(text, float8, float8, text)'::pg_catalog.regprocedure;
COMMENT ON AGGREGATE streamkv.geoadd_agg(text, float8, float8, text) IS
  'GEOADD of every (lon, lat, member) row to key, one ZADD operation per page of members; returns members added';

CREATE FUNCTION streamkv.geopos(key text, VARIADIC members text[],
    OUT member text, OUT lon float8, OUT lat float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_geopos' LANGUAGE C STRICT VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.geopos(text, text[]) IS
  'GEOPOS: each member''s stored position (the centre of its cell), NULL lon and lat when absent';

CREATE FUNCTION streamkv.geodist(key text, member1 text, member2 text, unit text DEFAULT 'm') RETURNS float8
AS 'MODULE_PATHNAME', 'sk_geodist' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.geodist(text, text, text, text) IS
  'GEODIST: distance between two members in unit (m, km, mi, ft) on Redis''s sphere; NULL when either is absent';

CREATE FUNCTION streamkv.geohash(key text, VARIADIC members text[]) RETURNS text[]
AS 'MODULE_PATHNAME', 'sk_geohash' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.geohash(text, text[]) IS
  'GEOHASH: each member''s 11-character geohash as Redis prints it (the last character 0), NULL when absent';

CREATE FUNCTION streamkv.geosearch(key text, from_member text DEFAULT NULL,
    from_lon float8 DEFAULT NULL, from_lat float8 DEFAULT NULL, radius float8 DEFAULT NULL,
    width float8 DEFAULT NULL, height float8 DEFAULT NULL, unit text DEFAULT 'm',
    sort text DEFAULT NULL, count bigint DEFAULT NULL, "any" boolean DEFAULT false,
    OUT member text, OUT dist float8, OUT hash bigint, OUT lon float8, OUT lat float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_geosearch' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.geosearch(text, text, float8, float8, float8, float8, float8, text, text, bigint, boolean) IS
  'GEOSEARCH: members within radius (or a width x height box) of from_member or (from_lon, from_lat), with distance in unit, score and position; sort ''asc''/''desc''/NULL (Redis''s order), count, any';

CREATE FUNCTION streamkv.geosearchstore(dst text, src text, from_member text DEFAULT NULL,
    from_lon float8 DEFAULT NULL, from_lat float8 DEFAULT NULL, radius float8 DEFAULT NULL,
    width float8 DEFAULT NULL, height float8 DEFAULT NULL, unit text DEFAULT 'm',
    sort text DEFAULT NULL, count bigint DEFAULT NULL, "any" boolean DEFAULT false,
    storedist boolean DEFAULT false) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_geosearchstore' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.geosearchstore(text, text, text, float8, float8, float8, float8, float8, text, text, bigint, boolean, boolean) IS
  'GEOSEARCHSTORE: stores what geosearch finds in src at dst (scores: geo scores, or distances in unit with storedist; nothing found deletes dst); returns the members stored';

-- ---- geo sets sharded by geohash prefix (src/ks_geo.c, geo_sql.c) ----
CREATE FUNCTION streamkv.geo_shard_key(prefix text, lon float8, lat float8, "precision" int4)
RETURNS text
AS 'MODULE_PATHNAME', 'sk_geo_shard_key_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_shard_key(text, float8, float8, int4) IS
  'The key of the shard holding (lon, lat): prefix || ''{'' || geohash_encode(lon, lat, precision) || ''}'' (the geohash is the key''s hash tag, so one cell is one key_slot)';

CREATE FUNCTION streamkv.geosearch_sharded(prefix text, "precision" int4,
    from_lon float8, from_lat float8, radius float8 DEFAULT NULL,
    width float8 DEFAULT NULL, height float8 DEFAULT NULL, unit text DEFAULT 'm',
    sort text DEFAULT NULL, count bigint DEFAULT NULL, "any" boolean DEFAULT false,
    OUT member text, OUT dist float8, OUT hash bigint, OUT lon float8, OUT lat float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_geosearch_sharded' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.geosearch_sharded(text, int4, float8, float8, float8, float8, float8, text, text, bigint, boolean) IS
  'GEOSEARCH over a geo set sharded into keys geo_shard_key(prefix, lon, lat, precision): the shards the area reaches, merged into the answer one set with every member would give';

-- ==== src/sql/15_bloom_filters.sql
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

-- ==== src/sql/16_pubsub.sql
-- Pub/sub (Redis's PUBLISH / SUBSCRIBE / PSUBSCRIBE / PUBSUB): at most once,
-- in shared memory only, no WAL; src/pubsub.c.

CREATE FUNCTION streamkv.subscribe(VARIADIC channels text[],
    OUT kind text, OUT channel text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_subscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.subscribe(text[]) IS
  'SUBSCRIBE: the session receives messages published to these channels; one row per channel with the session''s subscription count after it';

CREATE FUNCTION streamkv.psubscribe(VARIADIC patterns text[],
    OUT kind text, OUT pattern text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_psubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.psubscribe(text[]) IS
  'PSUBSCRIBE: the session receives messages published to channels matching these glob patterns (* ? [...] \ as KEYS); one row per pattern with the subscription count after it';

CREATE FUNCTION streamkv.unsubscribe(VARIADIC channels text[],
    OUT kind text, OUT channel text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_unsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.unsubscribe(text[]) IS
  'UNSUBSCRIBE: ends the session''s subscriptions to these channels; one row per channel with the subscription count after it';

CREATE FUNCTION streamkv.unsubscribe(
    OUT kind text, OUT channel text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_unsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.unsubscribe() IS
  'UNSUBSCRIBE with no channel: ends all of the session''s channel subscriptions; one row per channel (one row with a NULL channel when there was none)';

CREATE FUNCTION streamkv.punsubscribe(VARIADIC patterns text[],
    OUT kind text, OUT pattern text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_punsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.punsubscribe(text[]) IS
  'PUNSUBSCRIBE: ends the session''s subscriptions to these patterns; one row per pattern with the subscription count after it';

CREATE FUNCTION streamkv.punsubscribe(
    OUT kind text, OUT pattern text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_punsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.punsubscribe() IS
  'PUNSUBSCRIBE with no pattern: ends all of the session''s pattern subscriptions; one row per pattern (one row with a NULL pattern when there was none)';

CREATE FUNCTION streamkv.publish(channel text, message text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_publish' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.publish(text, text) IS
  'PUBLISH: sends message to the channel''s subscribers now (not transactional, no WAL); returns how many subscriptions received it (channel + pattern matches)';

CREATE FUNCTION streamkv.publish(channel text, message bytea) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_publish' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.publish(text, bytea) IS
  'PUBLISH of a binary message: sends it to the channel''s subscribers now (not transactional, no WAL); returns how many subscriptions received it';

CREATE FUNCTION streamkv.receive(max_messages integer DEFAULT 100, wait_ms integer DEFAULT 0,
    OUT kind text, OUT pattern text, OUT channel text, OUT message bytea) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_receive' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.receive(integer, integer) IS
  'Takes up to max_messages of the session''s pub/sub messages in arrival order, waiting up to wait_ms for the first (0: no wait); kind is message or pmessage; cancellable; fails with the number of lost messages when the session was cut off';

CREATE FUNCTION streamkv.receive_text(max_messages integer DEFAULT 100, wait_ms integer DEFAULT 0,
    OUT kind text, OUT pattern text, OUT channel text, OUT message text) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_receive_text' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.receive_text(integer, integer) IS
  'receive() with messages as text (in the database encoding, checked)';

CREATE FUNCTION streamkv.pubsub_channels(pattern text DEFAULT NULL) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sk_pubsub_channels' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.pubsub_channels(text) IS
  'PUBSUB CHANNELS: the channels with at least one subscriber, those matching the glob pattern when one is given';

CREATE FUNCTION streamkv.pubsub_numsub(VARIADIC channels text[],
    OUT channel text, OUT subscribers bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_pubsub_numsub' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.pubsub_numsub(text[]) IS
  'PUBSUB NUMSUB: the number of subscribers of each channel (pattern subscriptions not counted)';

CREATE FUNCTION streamkv.pubsub_numpat() RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_pubsub_numpat' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION streamkv.pubsub_numpat() IS
  'PUBSUB NUMPAT: the number of distinct patterns subscribed to (Redis 7)';

CREATE FUNCTION streamkv.pubsub_subscribers(
    OUT pid integer, OUT channels text[], OUT patterns text[], OUT buffered_messages bigint,
    OUT buffered_bytes bigint, OUT buffer_limit bigint, OUT delivered bigint,
    OUT cut_off boolean) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_pubsub_subscribers' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.pubsub_subscribers() IS
  'The sessions that use pub/sub: their channels and patterns, messages and bytes waiting, buffer limit, messages delivered so far, and whether they were cut off';

CREATE VIEW streamkv.pubsub_subscribers AS
  SELECT * FROM streamkv.pubsub_subscribers();
COMMENT ON VIEW streamkv.pubsub_subscribers IS
  'One row per session that uses pub/sub (pubsub_subscribers())';

-- ==== src/sql/20_topics.sql
-- Kafka-style topics (src/topic.c). A topic is a page store (an index of
-- streamkv_store on streamkv.store_anchor named topic_<name>) with one chain
-- of records per partition; its configuration lives in the store's metapage.
-- Creating and dropping a topic is transactional (CREATE/DROP INDEX); produce
-- is not (like nextval()): a record is written when produce returns and
-- becomes visible to consumers once its WAL is durable (the high watermark).

CREATE TYPE streamkv.header AS (key text, value bytea);
COMMENT ON TYPE streamkv.header IS 'A Kafka record header: text key, bytea value (duplicates allowed, order kept)';

CREATE TYPE streamkv.record AS (
    topic text, partition integer, "offset" bigint, "timestamp" timestamptz,
    key bytea, value bytea, headers streamkv.header[]);
COMMENT ON TYPE streamkv.record IS 'A record fetched from a topic';

CREATE FUNCTION streamkv.create_topic(name text, partitions integer DEFAULT 1,
    retention_ms bigint DEFAULT 604800000, retention_bytes bigint DEFAULT -1,
    max_message_bytes integer DEFAULT 1048588, timestamp_type text DEFAULT 'create')
RETURNS void
AS 'MODULE_PATHNAME', 'sk_create_topic' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.create_topic(text, integer, bigint, bigint, integer, text) IS
  'Creates a topic (transactional): partitions 1..256, retention_ms (-1 forever), retention_bytes per partition (-1 unlimited), max_message_bytes, timestamp_type create|log_append';

CREATE FUNCTION streamkv.alter_topic(name text, partitions integer DEFAULT NULL,
    retention_ms bigint DEFAULT NULL, retention_bytes bigint DEFAULT NULL,
    max_message_bytes integer DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sk_alter_topic' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.alter_topic(text, integer, bigint, bigint, integer) IS
  'Changes a topic''s retention and limits, or adds partitions (never fewer); NULL keeps a setting';

CREATE FUNCTION streamkv.drop_topic(name text) RETURNS void
AS 'MODULE_PATHNAME', 'sk_drop_topic' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.drop_topic(text) IS 'Drops a topic and its records (transactional)';

CREATE FUNCTION streamkv.topics(OUT name text, OUT partitions integer, OUT retention_ms bigint,
    OUT retention_bytes bigint, OUT max_message_bytes integer, OUT timestamp_type text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_topics' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.topics() IS 'Every topic of this database with its configuration';

CREATE FUNCTION streamkv.partitions(topic text, OUT partition integer, OUT log_start_offset bigint,
    OUT high_watermark bigint, OUT log_end_offset bigint, OUT records bigint, OUT bytes bigint,
    OUT first_timestamp timestamptz, OUT last_timestamp timestamptz, OUT produced bigint,
    OUT produce_rate float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_partitions' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.partitions(text) IS
  'Per partition: log start offset, high watermark (durable end), log end offset, records, bytes, first and last timestamp, records produced since the topic was loaded and the recent produce rate in records/s (to spot hot partitions)';

CREATE FUNCTION streamkv.produce(topic text, value bytea, key bytea DEFAULT NULL,
    headers streamkv.header[] DEFAULT NULL, partition integer DEFAULT NULL,
    "timestamp" timestamptz DEFAULT NULL, OUT partition integer, OUT "offset" bigint)
AS 'MODULE_PATHNAME', 'sk_produce' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.produce(text, bytea, bytea, streamkv.header[], integer, timestamptz) IS
  'Appends a record; an explicit partition wins, else the key''s murmur2 partition (as Kafka''s Java client), else a sticky partition; returns (partition, offset)';

CREATE FUNCTION streamkv.produce(topic text, value text, key text DEFAULT NULL,
    headers streamkv.header[] DEFAULT NULL, partition integer DEFAULT NULL,
    "timestamp" timestamptz DEFAULT NULL, OUT partition integer, OUT "offset" bigint)
AS 'SELECT * FROM streamkv.produce($1, convert_to($2, ''UTF8''), convert_to($3, ''UTF8''), $4, $5, $6)'
LANGUAGE SQL VOLATILE;
COMMENT ON FUNCTION streamkv.produce(text, text, text, streamkv.header[], integer, timestamptz) IS
  'produce() with a text value and key (stored as UTF-8 bytes)';

CREATE FUNCTION streamkv.produce(topic text, value jsonb, key text DEFAULT NULL,
    headers streamkv.header[] DEFAULT NULL, partition integer DEFAULT NULL,
    "timestamp" timestamptz DEFAULT NULL, OUT partition integer, OUT "offset" bigint)
AS 'SELECT * FROM streamkv.produce($1, convert_to($2::text, ''UTF8''), convert_to($3, ''UTF8''), $4, $5, $6)'
LANGUAGE SQL VOLATILE;
COMMENT ON FUNCTION streamkv.produce(text, jsonb, text, streamkv.header[], integer, timestamptz) IS
  'produce() with a jsonb value (stored as its UTF-8 text) and a text key';

-- Bulk produce: an aggregate that writes records as pages fill (one WAL
-- record per page filled, not per record).
CREATE FUNCTION streamkv._produce_agg_step(state internal, topic text, value bytea, key bytea)
RETURNS internal
AS 'MODULE_PATHNAME', 'sk_produce_agg_step' LANGUAGE C VOLATILE;
CREATE FUNCTION streamkv._produce_agg_final(state internal) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_produce_agg_final' LANGUAGE C VOLATILE;
CREATE AGGREGATE streamkv.produce_agg(topic text, value bytea, key bytea) (
    SFUNC = streamkv._produce_agg_step, STYPE = internal,
    FINALFUNC = streamkv._produce_agg_final);
COMMENT ON AGGREGATE streamkv.produce_agg(text, bytea, bytea) IS
  'Bulk produce: appends one record per input row (routed like produce), writing one WAL record per page filled; returns the number of records';
COMMENT ON FUNCTION streamkv._produce_agg_step(internal, text, bytea, bytea) IS 'Internal: transition function of produce_agg';
COMMENT ON FUNCTION streamkv._produce_agg_final(internal) IS 'Internal: final function of produce_agg';
-- CREATE AGGREGATE makes every aggregate IMMUTABLE (pg_proc.provolatile 'i', whatever its
-- transition function is), so the planner may drop a produce_agg(...) output column nobody
-- reads, as in SELECT count(*) FROM (SELECT streamkv.produce_agg(...) FROM src) s, and then
-- nothing is produced.  It has side effects: mark it VOLATILE.
UPDATE pg_catalog.pg_proc SET provolatile = 'v'
 WHERE oid = 'streamkv.produce_agg(text, bytea, bytea)'::pg_catalog.regprocedure;

CREATE FUNCTION streamkv.fetch(topic text, partition integer, "offset" bigint,
    max_records integer DEFAULT 500, max_bytes integer DEFAULT 52428800, wait_ms integer DEFAULT 0)
RETURNS SETOF streamkv.record
AS 'MODULE_PATHNAME', 'sk_fetch' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.fetch(text, integer, bigint, integer, integer, integer) IS
  'Records of a partition from offset, below the high watermark; with wait_ms, blocks until records arrive or the wait ends';

CREATE FUNCTION streamkv.offsets_for_times(topic text, "timestamp" timestamptz,
    OUT partition integer, OUT "offset" bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_offsets_for_times' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.offsets_for_times(text, timestamptz) IS
  'Per partition, the first offset whose timestamp is at or after the given time (NULL when none)';

-- ==== src/sql/30_groups.sql
-- Consumer groups (src/group.c): committed offsets, membership with
-- server-side partition assignment, and share (queue) groups with per-record
-- locks, redelivery and dead letters.  All group state lives in this
-- database's groups store (an index of streamkv_store) and is logged by
-- streamkv's resource manager: it survives crashes and appears on standbys.

CREATE TYPE streamkv.topic_partition AS (topic text, partition integer);
COMMENT ON TYPE streamkv.topic_partition IS 'A partition of a topic (an entry of a member''s assignment)';

CREATE TYPE streamkv.acquired_record AS (
    topic text, partition integer, "offset" bigint, "timestamp" timestamptz,
    key bytea, value bytea, headers streamkv.header[],
    delivery_count integer, locked_until timestamptz);
COMMENT ON TYPE streamkv.acquired_record IS
  'A record handed to a share-group consumer: the record, how many times it has been delivered (1 the first time) and until when the consumer holds it';

-- Committed offsets ---------------------------------------------------------

CREATE FUNCTION streamkv.commit("group" text, topic text, partition integer, "offset" bigint,
    metadata text DEFAULT NULL, member text DEFAULT NULL, generation integer DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sk_group_commit' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.commit(text, text, integer, bigint, text, text, integer) IS
  'Commits a consumer group''s offset for a partition (the next offset to read); with member and generation, the commit is fenced: it fails when the member is not in the group or the generation is stale';

CREATE FUNCTION streamkv.committed("group" text, topic text, OUT partition integer,
    OUT "offset" bigint, OUT metadata text, OUT committed_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_committed' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.committed(text, text) IS
  'The group''s committed offsets for a topic, one row per partition that has one';

CREATE FUNCTION streamkv.lag("group" text, OUT topic text, OUT partition integer,
    OUT committed bigint, OUT high_watermark bigint, OUT lag bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_lag' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.lag(text) IS
  'Per partition of every topic the group has offsets for or is subscribed to: committed offset, high watermark and lag (high watermark - committed; NULL committed counts from the log start)';

CREATE FUNCTION streamkv.reset_offsets("group" text, topic text, "to" text,
    OUT partition integer, OUT "offset" bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_reset_offsets' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reset_offsets(text, text, text) IS
  'Sets the group''s committed offsets of every partition of the topic to ''earliest'' (log start) or ''latest'' (high watermark); the group must have no members';

CREATE FUNCTION streamkv.reset_offsets("group" text, topic text, "to" timestamptz,
    OUT partition integer, OUT "offset" bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_reset_offsets' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reset_offsets(text, text, timestamptz) IS
  'Sets the group''s committed offsets of every partition of the topic to the first record at or after the time (the high watermark where none is); the group must have no members';

CREATE FUNCTION streamkv.reset_offsets("group" text, topic text, "to" bigint,
    OUT partition integer, OUT "offset" bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_reset_offsets' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reset_offsets(text, text, bigint) IS
  'Sets the group''s committed offsets of every partition of the topic to the offset, clamped to the partition''s log start and high watermark; the group must have no members';

CREATE FUNCTION streamkv.delete_group("group" text) RETURNS void
AS 'MODULE_PATHNAME', 'sk_group_delete' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.delete_group(text) IS
  'Deletes a consumer group or share group with its offsets; a consumer group must have no members';

CREATE FUNCTION streamkv.groups(OUT "group" text, OUT type text, OUT state text,
    OUT generation integer, OUT members integer, OUT strategy text, OUT topics text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_list' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.groups() IS
  'Every consumer group (type consumer: state Empty or Stable, generation, members, assignment strategy) and share group (type share) of this database';

-- Membership and assignment ---------------------------------------------------

CREATE FUNCTION streamkv.join("group" text, topics text[], member text DEFAULT NULL,
    strategy text DEFAULT 'range', session_timeout_ms integer DEFAULT 45000,
    instance_id text DEFAULT NULL, auto_offset_reset text DEFAULT 'latest',
    OUT member_id text, OUT generation_id integer, OUT assignment streamkv.topic_partition[])
AS 'MODULE_PATHNAME', 'sk_group_join' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.join(text, text[], text, text, integer, text, text) IS
  'Joins (or rejoins) a consumer group subscribed to topics; the server assigns partitions (range, roundrobin or sticky) and returns the member id, the generation and this member''s assignment';

CREATE FUNCTION streamkv.heartbeat("group" text, member text, generation integer DEFAULT NULL,
    OUT member_id text, OUT generation_id integer, OUT assignment streamkv.topic_partition[])
AS 'MODULE_PATHNAME', 'sk_group_heartbeat' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.heartbeat(text, text, integer) IS
  'Keeps a member alive within its session timeout and returns the current generation and its assignment; fails when the member was removed, or when a given generation is stale';

CREATE FUNCTION streamkv.leave("group" text, member text) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_group_leave' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.leave(text, text) IS
  'Removes a member from a consumer group (the others are rebalanced); false when it was not a member';

CREATE FUNCTION streamkv.members("group" text, OUT member text, OUT instance_id text,
    OUT session_timeout_ms integer, OUT last_heartbeat timestamptz,
    OUT assignment streamkv.topic_partition[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_members' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.members(text) IS
  'The members of a consumer group with their assignment and last heartbeat';

CREATE FUNCTION streamkv.poll("group" text, member text, max_records integer DEFAULT 500,
    wait_ms integer DEFAULT 0, generation integer DEFAULT NULL)
RETURNS SETOF streamkv.record
AS 'MODULE_PATHNAME', 'sk_group_poll' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.poll(text, text, integer, integer, integer) IS
  'Records of the member''s assigned partitions from its position (after an assignment: the committed offset, else auto_offset_reset); counts as a heartbeat; with wait_ms, blocks until records arrive';

-- Share groups -------------------------------------------------------------------

CREATE FUNCTION streamkv.create_share_group("group" text, topic text,
    lock_duration_ms integer DEFAULT 30000, max_deliveries integer DEFAULT 5,
    dead_letter_topic text DEFAULT NULL, auto_offset_reset text DEFAULT 'latest')
RETURNS void
AS 'MODULE_PATHNAME', 'sk_share_create' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.create_share_group(text, text, integer, integer, text, text) IS
  'Creates a share (queue) group on a topic: records are acquired by one consumer at a time for lock_duration_ms, redelivered when released or when the lock expires, and dead-lettered after max_deliveries';

CREATE FUNCTION streamkv.acquire("group" text, consumer text, max_records integer DEFAULT 100,
    wait_ms integer DEFAULT 0, ack_partitions integer[] DEFAULT '{}', ack_offsets bigint[] DEFAULT '{}')
RETURNS SETOF streamkv.acquired_record
AS 'MODULE_PATHNAME', 'sk_share_acquire' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.acquire(text, text, integer, integer, integer[], bigint[]) IS
  'Acknowledges the records given by ack_partitions/ack_offsets that the consumer holds (as ack does), then acquires up to max_records (0: acknowledge only) available records of the share group for the consumer (locked until now + lock_duration); with wait_ms, blocks until records are available';

CREATE FUNCTION streamkv.ack("group" text, consumer text, partition integer, offsets bigint[])
RETURNS integer
AS 'MODULE_PATHNAME', 'sk_share_ack' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.ack(text, text, integer, bigint[]) IS
  'Acknowledges records the consumer holds (done); returns how many were acknowledged';

CREATE FUNCTION streamkv.ack("group" text, consumer text, partition integer, "offset" bigint)
RETURNS integer
AS 'SELECT streamkv.ack($1, $2, $3, ARRAY[$4])' LANGUAGE SQL STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.ack(text, text, integer, bigint) IS
  'Acknowledges one record the consumer holds; returns 1, or 0 when it does not hold it';

CREATE FUNCTION streamkv.release("group" text, consumer text, partition integer, offsets bigint[])
RETURNS integer
AS 'MODULE_PATHNAME', 'sk_share_release' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.release(text, text, integer, bigint[]) IS
  'Releases records the consumer holds for redelivery now (dead-lettered instead when they reached max_deliveries); returns how many';

CREATE FUNCTION streamkv.release("group" text, consumer text, partition integer, "offset" bigint)
RETURNS integer
AS 'SELECT streamkv.release($1, $2, $3, ARRAY[$4])' LANGUAGE SQL STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.release(text, text, integer, bigint) IS
  'Releases one record the consumer holds for redelivery now; returns 1, or 0 when it does not hold it';

CREATE FUNCTION streamkv.reject("group" text, consumer text, partition integer, offsets bigint[])
RETURNS integer
AS 'MODULE_PATHNAME', 'sk_share_reject' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reject(text, text, integer, bigint[]) IS
  'Rejects records the consumer holds: they leave the group and go to its dead-letter topic (if any) with reason rejected; returns how many';

CREATE FUNCTION streamkv.reject("group" text, consumer text, partition integer, "offset" bigint)
RETURNS integer
AS 'SELECT streamkv.reject($1, $2, $3, ARRAY[$4])' LANGUAGE SQL STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reject(text, text, integer, bigint) IS
  'Rejects one record the consumer holds (dead-lettered); returns 1, or 0 when it does not hold it';

CREATE FUNCTION streamkv.pending("group" text, OUT partition integer, OUT "offset" bigint,
    OUT consumer text, OUT idle interval, OUT deliveries integer, OUT locked_until timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_share_pending' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.pending(text) IS
  'Records of a share group that are delivered but not yet acknowledged (like XPENDING): consumer, time since delivery, delivery count and lock deadline (in the past when the lock expired)';

CREATE FUNCTION streamkv.compact_groups() RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_group_compact' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.compact_groups() IS
  'Rewrites this database''s groups store now as a snapshot of every group (writes do this by themselves when the log has grown four times past the last snapshot); returns the operations in the snapshot';

-- ==== src/sql/50_primitives.sql
-- Stateless primitives (issue #5): geohashes, Redis geo scores and
-- distances, Kafka's partitioner, Redis Cluster key slots and the bloom
-- filter type.  All pure: IMMUTABLE STRICT PARALLEL SAFE (bloom_agg's
-- transition function is not strict: it creates the filter on its first
-- row).  Positions are always (lon, lat), as in PostGIS and Redis.

-- ---- geohash (src/geohash.c, src/geo_sql.c) ---------------------------
CREATE FUNCTION streamkv.geohash_encode(lon float8, lat float8, "precision" int4 DEFAULT 12)
RETURNS text
AS 'MODULE_PATHNAME', 'sk_geohash_encode_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_encode(float8, float8, int4) IS
  'Standard base32 geohash of (lon, lat) with precision 1..12 characters; equals PostGIS ST_GeoHash';

CREATE FUNCTION streamkv.geohash_decode(hash text,
    OUT lon float8, OUT lat float8, OUT lon_err float8, OUT lat_err float8)
AS 'MODULE_PATHNAME', 'sk_geohash_decode_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_decode(text) IS
  'Centre of a geohash cell and its error margins (half the cell''s width and height, in degrees)';

CREATE FUNCTION streamkv.geohash_bbox(hash text,
    OUT min_lon float8, OUT min_lat float8, OUT max_lon float8, OUT max_lat float8)
AS 'MODULE_PATHNAME', 'sk_geohash_bbox_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_bbox(text) IS
  'Bounding box of a geohash cell';

CREATE FUNCTION streamkv.geohash_neighbors(hash text,
    OUT n text, OUT ne text, OUT e text, OUT se text,
    OUT s text, OUT sw text, OUT w text, OUT nw text)
AS 'MODULE_PATHNAME', 'sk_geohash_neighbors_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_neighbors(text) IS
  'The eight neighbouring cells of a geohash by direction; wraps across the antimeridian, NULL beyond a pole';

CREATE FUNCTION streamkv.geohash_cover(lon float8, lat float8, radius_m float8)
RETURNS text[]
AS 'MODULE_PATHNAME', 'sk_geohash_cover_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_cover(float8, float8, float8) IS
  'At most 64 non-overlapping geohashes whose cells together contain every point within radius_m metres of (lon, lat)';

-- ---- Redis geo (GEOADD scores, GEOPOS, GEODIST) --------------------------
CREATE FUNCTION streamkv.geo_score(lon float8, lat float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'sk_geo_score_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_score(float8, float8) IS
  'The sorted-set score Redis GEOADD stores for (lon, lat): 52-bit interleaved geohash, latitude within +-85.05112878';

CREATE FUNCTION streamkv.geo_decode_score(score float8, OUT lon float8, OUT lat float8)
AS 'MODULE_PATHNAME', 'sk_geo_decode_score_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_decode_score(float8) IS
  'The position Redis GEOPOS returns for a geo score (centre of its cell)';

CREATE FUNCTION streamkv.geo_distance(lon1 float8, lat1 float8, lon2 float8, lat2 float8,
    unit text DEFAULT 'm')
RETURNS float8
AS 'MODULE_PATHNAME', 'sk_geo_distance_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_distance(float8, float8, float8, float8, text) IS
  'Haversine distance as Redis GEODIST computes it (earth radius 6372797.560856 m), in m, km, mi or ft';

-- ---- geohash-indexed search over tables (src/geohash.c, src/geo_sql.c) ----
CREATE FUNCTION streamkv.geohash_int(lon float8, lat float8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_geohash_int_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_int(float8, float8) IS
  'The 12-character geohash of (lon, lat) as a 60-bit integer: integers sort as the geohashes do, so a geohash prefix is a range; index it with a b-tree for geohash_ranges';

CREATE FUNCTION streamkv.geohash_ranges(lon float8, lat float8, radius_m float8,
    OUT lo bigint, OUT hi bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_geohash_ranges_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION streamkv.geohash_ranges(float8, float8, float8) IS
  'At most 8 disjoint ranges lo..hi (inclusive) of geohash_int values holding every point within radius_m metres of (lon, lat), for b-tree range scans';

CREATE FUNCTION streamkv.geo_distance_sphere(lon1 float8, lat1 float8, lon2 float8, lat2 float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'sk_geo_distance_sphere_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_distance_sphere(float8, float8, float8, float8) IS
  'Great-circle distance in metres on PostGIS''s sphere (mean WGS84 radius 6371008.7714 m), computed as ST_Distance(geography, geography, false) computes it for two points, so that <= r is ST_DWithin(..., r, false)';

-- ---- Kafka's partitioner (src/murmur.c, src/hash_sql.c) ------------------
CREATE FUNCTION streamkv.murmur2(key bytea)
RETURNS int4
AS 'MODULE_PATHNAME', 'sk_murmur2_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.murmur2(bytea) IS
  'Kafka''s murmur2 hash (Utils.murmur2, seed 0x9747b28c) as a signed int4';

CREATE FUNCTION streamkv.kafka_partition(key bytea, partitions int4)
RETURNS int4
AS 'MODULE_PATHNAME', 'sk_kafka_partition_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.kafka_partition(bytea, int4) IS
  'The partition Kafka''s default partitioner picks for a non-NULL key: (murmur2(key) & 0x7fffffff) % partitions';

-- ---- Redis Cluster key slots (src/keyslot.c) -----------------------------
CREATE FUNCTION streamkv.key_slot(key text)
RETURNS int4
AS 'MODULE_PATHNAME', 'sk_key_slot_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.key_slot(text) IS
  'CLUSTER KEYSLOT: CRC16-XMODEM of the key (or of its {hash tag}) mod 16384';

CREATE FUNCTION streamkv.key_slot(key bytea)
RETURNS int4
AS 'MODULE_PATHNAME', 'sk_key_slot_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.key_slot(bytea) IS
  'CLUSTER KEYSLOT of a binary key: CRC16-XMODEM of the key (or of its {hash tag}) mod 16384';

-- ---- the bloom type (src/bloom.c, src/bloom_sql.c) -----------------------
CREATE TYPE streamkv.bloom;

CREATE FUNCTION streamkv.bloom_in(cstring) RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION streamkv.bloom_out(streamkv.bloom) RETURNS cstring
AS 'MODULE_PATHNAME', 'sk_bloom_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION streamkv.bloom_recv(internal) RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION streamkv.bloom_send(streamkv.bloom) RETURNS bytea
AS 'MODULE_PATHNAME', 'sk_bloom_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE streamkv.bloom (
    INPUT = streamkv.bloom_in,
    OUTPUT = streamkv.bloom_out,
    RECEIVE = streamkv.bloom_recv,
    SEND = streamkv.bloom_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE streamkv.bloom IS
  'Bloom filter value (RedisBloom sizing and MurmurHash64A double hashing)';
COMMENT ON FUNCTION streamkv.bloom_in(cstring) IS 'Input function of streamkv.bloom';
COMMENT ON FUNCTION streamkv.bloom_out(streamkv.bloom) IS 'Output function of streamkv.bloom';
COMMENT ON FUNCTION streamkv.bloom_recv(internal) IS 'Binary input function of streamkv.bloom';
COMMENT ON FUNCTION streamkv.bloom_send(streamkv.bloom) IS 'Binary output function of streamkv.bloom';

CREATE FUNCTION streamkv.bloom_new(capacity int8, error_rate float8 DEFAULT 0.01)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_new(int8, float8) IS
  'An empty bloom filter for capacity items at the given false-positive rate';

CREATE FUNCTION streamkv.bloom_add(filter streamkv.bloom, item text)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_add_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_add(streamkv.bloom, text) IS
  'The filter with a text item added (its UTF-8 bytes are hashed)';

CREATE FUNCTION streamkv.bloom_add(filter streamkv.bloom, item bytea)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_add_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_add(streamkv.bloom, bytea) IS
  'The filter with a binary item added';

CREATE FUNCTION streamkv.bloom_contains(filter streamkv.bloom, item text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_bloom_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_contains(streamkv.bloom, text) IS
  'Whether the text item may have been added (false: certainly not)';

CREATE FUNCTION streamkv.bloom_contains(filter streamkv.bloom, item bytea)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_bloom_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_contains(streamkv.bloom, bytea) IS
  'Whether the binary item may have been added (false: certainly not)';

CREATE OPERATOR streamkv.@> (
    LEFTARG = streamkv.bloom, RIGHTARG = text,
    FUNCTION = streamkv.bloom_contains
);
COMMENT ON OPERATOR streamkv.@> (streamkv.bloom, text) IS
  'bloom_contains: the filter may contain the text item';

CREATE OPERATOR streamkv.@> (
    LEFTARG = streamkv.bloom, RIGHTARG = bytea,
    FUNCTION = streamkv.bloom_contains
);
COMMENT ON OPERATOR streamkv.@> (streamkv.bloom, bytea) IS
  'bloom_contains: the filter may contain the binary item';

CREATE FUNCTION streamkv.bloom_union(a streamkv.bloom, b streamkv.bloom)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_union' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_union(streamkv.bloom, streamkv.bloom) IS
  'Union of two filters of the same capacity and error rate (items: the sum, an upper bound)';

CREATE FUNCTION streamkv.bloom_info(filter streamkv.bloom,
    OUT capacity int8, OUT error_rate float8, OUT bits int8, OUT hashes int4,
    OUT items int8, OUT bits_set int8, OUT bits_per_item float8, OUT fpp_estimate float8)
AS 'MODULE_PATHNAME', 'sk_bloom_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_info(streamkv.bloom) IS
  'Shape and fill of a filter: bits, hashes, items added, bits per item of capacity, estimated false-positive rate';

CREATE FUNCTION streamkv._bloom_agg_trans(state streamkv.bloom, item text, capacity int8, error_rate float8)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION streamkv._bloom_agg_trans(streamkv.bloom, text, int8, float8) IS
  'Internal: transition function of bloom_agg(text, int8, float8)';

CREATE FUNCTION streamkv._bloom_agg_trans(state streamkv.bloom, item bytea, capacity int8, error_rate float8)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION streamkv._bloom_agg_trans(streamkv.bloom, bytea, int8, float8) IS
  'Internal: transition function of bloom_agg(bytea, int8, float8)';

CREATE FUNCTION streamkv._bloom_agg_combine(a streamkv.bloom, b streamkv.bloom)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_agg_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv._bloom_agg_combine(streamkv.bloom, streamkv.bloom) IS
  'Internal: combine function of bloom_agg (parallel aggregation)';

CREATE AGGREGATE streamkv.bloom_agg(item text, capacity int8, error_rate float8) (
    SFUNC = streamkv._bloom_agg_trans,
    STYPE = streamkv.bloom,
    COMBINEFUNC = streamkv._bloom_agg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE streamkv.bloom_agg(text, int8, float8) IS
  'A bloom filter of capacity and error rate holding every non-NULL text item';

CREATE AGGREGATE streamkv.bloom_agg(item bytea, capacity int8, error_rate float8) (
    SFUNC = streamkv._bloom_agg_trans,
    STYPE = streamkv.bloom,
    COMBINEFUNC = streamkv._bloom_agg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE streamkv.bloom_agg(bytea, int8, float8) IS
  'A bloom filter of capacity and error rate holding every non-NULL binary item';

-- ==== src/sql/70_stats.sql
-- Monitoring views in the style of pg_stat_*: one row per partition, per
-- group and partition, per database's keyspace, per store kind.  They read
-- the same state as streamkv.partitions(), lag(), pending(), info() and
-- slots(); a topic or group dropped while a view is read is left out.

CREATE FUNCTION streamkv.stat_topics_rows(OUT topic text, OUT partition integer,
    OUT log_start_offset bigint, OUT high_watermark bigint, OUT log_end_offset bigint,
    OUT records bigint, OUT bytes bigint, OUT first_timestamp timestamptz,
    OUT last_timestamp timestamptz, OUT produced bigint, OUT produce_rate float8,
    OUT retention_ms bigint, OUT retention_bytes bigint)
RETURNS SETOF record LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM streamkv.topics() ORDER BY name LOOP
        BEGIN
            RETURN QUERY
                SELECT t.name, p.partition, p.log_start_offset, p.high_watermark, p.log_end_offset,
                       p.records, p.bytes, p.first_timestamp, p.last_timestamp, p.produced,
                       p.produce_rate, t.retention_ms, t.retention_bytes
                  FROM streamkv.partitions(t.name) p ORDER BY p.partition;
        EXCEPTION WHEN undefined_object THEN
            NULL;               -- dropped meanwhile
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION streamkv.stat_topics_rows() IS
  'The rows of the view streamkv.stat_topics';

CREATE VIEW streamkv.stat_topics AS SELECT * FROM streamkv.stat_topics_rows();
COMMENT ON VIEW streamkv.stat_topics IS
  'One row per topic partition: log start offset, high watermark, log end offset, records, bytes, first and last timestamp, records produced since the topic was loaded, recent produce rate (records/s), and the topic''s retention';

CREATE FUNCTION streamkv.stat_groups_rows(OUT "group" text, OUT type text, OUT state text,
    OUT members integer, OUT topic text, OUT partition integer, OUT committed bigint,
    OUT high_watermark bigint, OUT lag bigint, OUT pending bigint)
RETURNS SETOF record LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT * FROM streamkv.groups() ORDER BY 1 LOOP
        BEGIN
            IF g.type = 'share' THEN
                RETURN QUERY
                    SELECT g."group", g.type, g.state, g.members, l.topic, l.partition, l.committed,
                           l.high_watermark, l.lag,
                           (SELECT count(*) FROM streamkv.pending(g."group") p
                             WHERE p.partition = l.partition)
                      FROM streamkv.lag(g."group") l ORDER BY l.topic, l.partition;
            ELSE
                RETURN QUERY
                    SELECT g."group", g.type, g.state, g.members, l.topic, l.partition, l.committed,
                           l.high_watermark, l.lag, NULL::bigint
                      FROM streamkv.lag(g."group") l ORDER BY l.topic, l.partition;
            END IF;
            IF NOT FOUND THEN
                -- no partitions (no subscription or offsets yet, or its topic dropped)
                RETURN QUERY SELECT g."group", g.type, g.state, g.members, NULL::text, NULL::integer,
                                    NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint;
            END IF;
        EXCEPTION WHEN undefined_object THEN
            NULL;               -- deleted meanwhile
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION streamkv.stat_groups_rows() IS
  'The rows of the view streamkv.stat_groups';

CREATE VIEW streamkv.stat_groups AS SELECT * FROM streamkv.stat_groups_rows();
COMMENT ON VIEW streamkv.stat_groups IS
  'One row per consumer or share group and partition: group type and state, members, committed offset (a share group''s start offset), high watermark, lag, and for share groups the records delivered but not acknowledged; a group without partitions (nothing subscribed or committed yet, or its topic dropped) has one row with NULL topic';

CREATE VIEW streamkv.stat_keyspace AS
SELECT current_database() AS database, i.strings + i.hashes + i.zsets + i.bloom_filters AS keys,
       i.strings, i.hashes, i.zsets,
       i.bloom_filters,
       streamkv.keyspace_memory() AS memory,
       i.expired_keys, i.store_pages, i.free_pages, i.wal_records, i.wal_bytes, i.loads,
       i.last_load_ms, i.compactions, i.last_compaction, i.unloads
  FROM streamkv.info() i;
COMMENT ON VIEW streamkv.stat_keyspace IS
  'This database''s keyspace: keys in all and per type, bytes of shared memory held, keys expired, store pages and free pages, WAL records and bytes written, loads, compactions and unloads since start';

CREATE FUNCTION streamkv.memory_by_kind(OUT kind text, OUT bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_memory_by_kind' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.memory_by_kind() IS
  'Bytes of streamkv''s shared memory in use per kind across the server: keyspace, topic, groups, pubsub, other (the slot table)';

CREATE VIEW streamkv.stat_memory AS
SELECT m.kind, s.slots, s.loaded, s.unloads, m.bytes AS memory_used,
       i.memory_used AS server_memory_used, i.memory_limit AS server_memory_limit
  FROM streamkv.memory_by_kind() m LEFT JOIN streamkv.slots() s USING (kind), streamkv.info() i;
COMMENT ON VIEW streamkv.stat_memory IS
  'Per kind, across the server: stores with a slot, slots loaded in shared memory, unloads to make room, bytes of shared memory in use; with the memory used by all kinds and streamkv.max_memory';

-- Like pg_stat_*: readable by every role (names, offsets and counts; never
-- keys, values or headers).  The functions under them need no streamkv
-- privilege (README "Privileges").
GRANT SELECT ON streamkv.stat_topics, streamkv.stat_groups, streamkv.stat_keyspace,
    streamkv.stat_memory TO PUBLIC;
