CREATE EXTENSION IF NOT EXISTS streamkv;
-- The page store: protections of the store relation, its metapage and WAL records.
SELECT streamkv.flushdb();
SELECT amname FROM pg_am WHERE amname = 'streamkv_store';
SELECT c.relname, a.amname
  FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.relnamespace = 'streamkv'::regnamespace AND c.relkind = 'i' ORDER BY 1;
-- The anchor table stays empty and its stores cannot be rebuilt or scanned.
INSERT INTO streamkv.store_anchor VALUES (1);
SELECT count(*) FROM streamkv.store_anchor;
SELECT streamkv.set('survivor', 'still here');
REINDEX INDEX streamkv.keyspace_store;
REINDEX TABLE streamkv.store_anchor;
REINDEX INDEX CONCURRENTLY streamkv.keyspace_store;
REINDEX TABLE CONCURRENTLY streamkv.store_anchor;
REINDEX SCHEMA CONCURRENTLY streamkv;
VACUUM FULL streamkv.store_anchor;
CLUSTER streamkv.store_anchor USING keyspace_store;
TRUNCATE streamkv.store_anchor;
-- nothing was left behind, and the data is intact
SELECT count(*) FROM pg_class WHERE relname LIKE 'keyspace_store%';
SELECT streamkv.get('survivor');
VACUUM streamkv.store_anchor;
SELECT streamkv.get('survivor');
-- the creation function is internal
SELECT streamkv._create_store('x', 2);
-- WAL records are described by the resource manager (pg_walinspect)
CREATE EXTENSION IF NOT EXISTS pg_walinspect;
SELECT pg_current_wal_insert_lsn() AS before \gset
SELECT streamkv.set('walkey', 'walvalue');
SELECT streamkv.hset('walhash', 'f', 'v');
SELECT streamkv.flushdb();
SELECT resource_manager, record_type,
       regexp_replace(description, 'seq [0-9]+', 'seq N') AS description
  FROM pg_get_wal_records_info(:'before', pg_current_wal_flush_lsn())
 WHERE resource_manager = 'streamkv'
 ORDER BY start_lsn;
SELECT streamkv.dbsize();
-- info() reports the store
SELECT memory_limit > 0 AS has_limit, store_pages >= 1 AS has_pages, loads >= 1 AS loaded
  FROM streamkv.info();
-- a store cannot be dropped on its own
DROP INDEX streamkv.keyspace_store;
DROP TABLE streamkv.store_anchor;
SELECT streamkv.get('survivor') IS NULL AS flushed;
-- the store is found again after DROP and CREATE EXTENSION in the same session
-- (the backend remembers its OID and checks it)
SELECT streamkv.set('before_drop', 'x');
DROP EXTENSION streamkv CASCADE;
CREATE EXTENSION streamkv;
SELECT streamkv.get('before_drop') IS NULL AS empty_new_store, streamkv.set('after', 'y');
SELECT streamkv.get('after');
SELECT count(*) FROM streamkv.slots() WHERE kind = 'keyspace' AND slots >= 1;
