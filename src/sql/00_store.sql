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
