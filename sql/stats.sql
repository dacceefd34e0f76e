-- Monitoring views: stat_topics, stat_groups, stat_keyspace, stat_memory
CREATE EXTENSION streamkv;

-- empty database: no rows but the keyspace's and the kinds'
SELECT count(*) FROM streamkv.stat_topics;
SELECT count(*) FROM streamkv.stat_groups;
SELECT database = current_database() AS this_db, keys, strings, hashes, zsets FROM streamkv.stat_keyspace;

SELECT streamkv.create_topic('st_a', 2, retention_ms => 3600000);
SELECT streamkv.create_topic('st_b', 1, retention_bytes => 1000000);
SELECT streamkv.produce('st_a', convert_to('v' || i, 'UTF8'), NULL, partition => i % 2) FROM generate_series(1, 5) i;
SELECT streamkv.produce('st_b', 'x'::text);

SELECT topic, partition, log_start_offset, high_watermark, log_end_offset, records, bytes > 0 AS has_bytes,
       first_timestamp <= last_timestamp AS ts_ordered, produced, produce_rate >= 0 AS rate_ok,
       retention_ms, retention_bytes
  FROM streamkv.stat_topics ORDER BY topic, partition;

-- consumer group with a commit, share group with a pending record
SELECT member_id FROM streamkv.join('st_cg', ARRAY['st_a'], member => 'm1', auto_offset_reset => 'earliest');
SELECT streamkv.commit('st_cg', 'st_a', 1, 2);
SELECT streamkv.create_share_group('st_sg', 'st_b', auto_offset_reset => 'earliest');
SELECT partition, "offset" FROM streamkv.acquire('st_sg', 'w1', 10);
SELECT "group", type, state, members, topic, partition, committed, high_watermark, lag, pending
  FROM streamkv.stat_groups ORDER BY 1, topic, partition;
SELECT streamkv.ack('st_sg', 'w1', 0, 0);
SELECT "group", partition, pending FROM streamkv.stat_groups WHERE type = 'share';

-- the keyspace
SELECT streamkv.set('s1', 'a'), streamkv.set('s2', 'b', px => 1);
SELECT streamkv.hset('h1', 'f', 'v');
SELECT streamkv.zadd('z1', 1, 'm');
SELECT pg_sleep(0.01);
SELECT streamkv.get('s2');           -- expired at read
SELECT keys, strings, hashes, zsets, expired_keys >= 1 AS expired, store_pages > 0 AS has_pages,
       wal_records > 0 AS logged, loads >= 1 AS loaded
  FROM streamkv.stat_keyspace;

-- per kind
SELECT kind, slots >= 1 AS has_slots, loaded >= 1 AS has_loaded, server_memory_used > 0 AS uses_memory,
       CASE kind WHEN 'pubsub' THEN memory_used >= 0 ELSE memory_used > 0 END AS kind_uses_memory,
       server_memory_limit = pg_size_bytes(current_setting('streamkv.max_memory')) AS limit_ok
  FROM streamkv.stat_memory ORDER BY kind;
-- the kinds add up to the total (read twice; retried while the worker frees meanwhile)
DO $$
DECLARE ok boolean := false;
BEGIN
    FOR i IN 1..20 LOOP
        SELECT sum(bytes) = (SELECT memory_used FROM streamkv.info()) INTO ok FROM streamkv.memory_by_kind();
        EXIT WHEN ok;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RAISE NOTICE 'kinds add up to memory_used: %', ok;
END $$;

-- a dropped topic and a deleted group leave the views
SELECT streamkv.drop_topic('st_b');
SELECT DISTINCT topic FROM streamkv.stat_topics ORDER BY 1;
SELECT streamkv.leave('st_cg', 'm1');
SELECT streamkv.delete_group('st_cg');
SELECT "group", type, topic, partition, lag FROM streamkv.stat_groups ORDER BY 1;

-- memory: per key (MEMORY USAGE) and per database
SELECT streamkv.set('mem:small', 'x'), streamkv.set('mem:big', repeat('x', 1000)),
       streamkv.hset('mem:h', 'f1', repeat('y', 500), 'f2', 'z');
SELECT streamkv.memory_usage('mem:nope') IS NULL AS missing_is_null,
       streamkv.memory_usage('mem:small') > 0 AS small_counted,
       streamkv.memory_usage('mem:big') - streamkv.memory_usage('mem:small') BETWEEN 990 AND 1010 AS big_by_its_value,
       streamkv.memory_usage('mem:h') > 500 AS hash_counts_fields;
SELECT streamkv.keyspace_memory() > (SELECT sum(streamkv.memory_usage(k)) FROM streamkv.keys('*') k) AS keys_and_buckets,
       (SELECT memory FROM streamkv.stat_keyspace) = streamkv.keyspace_memory() AS view_matches;
SELECT streamkv.memory_usage(NULL) IS NULL AS null_key;
