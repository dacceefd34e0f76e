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
