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
