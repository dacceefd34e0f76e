CREATE EXTENSION IF NOT EXISTS streamkv;
-- Topics: every function of src/sql/20_topics.sql and its errors.
-- Errors are shown through pg_temp.err(): SQLSTATE, message and detail.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || CASE WHEN d <> '' THEN ' DETAIL: ' || d ELSE '' END;
END $$;
-- a partition's offsets, one string: offset:value
CREATE FUNCTION pg_temp.dump(t text, p int) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg("offset" || ':' || coalesce(convert_from(value, 'UTF8'), 'NULL'), ' ' ORDER BY "offset"), '')
      FROM streamkv.fetch(t, p, (SELECT log_start_offset FROM streamkv.partitions(t) WHERE partition = p), 100000)
$$;

-- ---------------------------------------------------------------- create_topic
SELECT streamkv.create_topic('orders', 3);
SELECT streamkv.create_topic('single');
SELECT streamkv.create_topic('a.b_c-D9', 256, retention_ms => -1, retention_bytes => 1000000,
                             max_message_bytes => 64, timestamp_type => 'log_append');
SELECT * FROM streamkv.topics() ORDER BY name;
-- duplicate
SELECT pg_temp.err($$SELECT streamkv.create_topic('orders', 5)$$);
-- invalid names
SELECT pg_temp.err($$SELECT streamkv.create_topic('')$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('has space')$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('semi;colon')$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('ünïcode')$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic(repeat('x', 250))$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic(repeat('x', 57))$$);
SELECT streamkv.drop_topic(repeat('x', 57));
-- names up to Kafka's 249 characters; long ones share a relation-name prefix
SELECT pg_temp.err($$SELECT streamkv.create_topic(repeat('y', 249))$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic(repeat('y', 248) || 'z')$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic(repeat('y', 249))$$);
SELECT "offset" FROM streamkv.produce(repeat('y', 249), 'long name'::text);
SELECT "offset" FROM streamkv.produce(repeat('y', 248) || 'z', 'other long name'::text);
SELECT convert_from(value, 'UTF8') FROM streamkv.fetch(repeat('y', 249), 0, 0);
SELECT convert_from(value, 'UTF8') FROM streamkv.fetch(repeat('y', 248) || 'z', 0, 0);
SELECT length(name), right(name, 1) FROM streamkv.topics() WHERE name LIKE 'yyy%' ORDER BY 2;
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch(repeat('y', 247) || 'zz', 0, 0)$$);
SELECT streamkv.drop_topic(repeat('y', 249));
SELECT streamkv.drop_topic(repeat('y', 248) || 'z');
-- invalid partitions, retention, sizes, timestamp type
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', 0)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', -1)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', 257)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', retention_ms => 0)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', retention_ms => -2)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', retention_bytes => 0)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', retention_bytes => -5)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', max_message_bytes => 63)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', max_message_bytes => 268435457)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', timestamp_type => 'append')$$);
SELECT streamkv.create_topic('kafka_names', timestamp_type => 'LogAppendTime');
SELECT streamkv.create_topic('kafka_names2', timestamp_type => 'CreateTime');
SELECT name, timestamp_type FROM streamkv.topics() WHERE name LIKE 'kafka_names%' ORDER BY name;
SELECT streamkv.drop_topic('kafka_names'), streamkv.drop_topic('kafka_names2');
-- NULL arguments
SELECT pg_temp.err($$SELECT streamkv.create_topic(NULL)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', NULL)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', 1, NULL)$$);
SELECT pg_temp.err($$SELECT streamkv.create_topic('bad', timestamp_type => NULL)$$);
-- none of the failures created anything
SELECT name FROM streamkv.topics() ORDER BY name;
SELECT count(*) FROM pg_class WHERE relnamespace = 'streamkv'::regnamespace AND relname LIKE 'topic_%' AND relkind = 'i';

-- ---------------------------------------------------------------- alter_topic
SELECT streamkv.alter_topic('orders', partitions => 4);
SELECT streamkv.alter_topic('orders', partitions => 4);
SELECT pg_temp.err($$SELECT streamkv.alter_topic('orders', partitions => 2)$$);
SELECT pg_temp.err($$SELECT streamkv.alter_topic('orders', partitions => 257)$$);
SELECT pg_temp.err($$SELECT streamkv.alter_topic('orders', retention_ms => 0)$$);
SELECT pg_temp.err($$SELECT streamkv.alter_topic('orders', retention_bytes => -3)$$);
SELECT pg_temp.err($$SELECT streamkv.alter_topic('orders', max_message_bytes => 10)$$);
SELECT pg_temp.err($$SELECT streamkv.alter_topic('nosuch', partitions => 5)$$);
SELECT pg_temp.err($$SELECT streamkv.alter_topic(NULL, partitions => 5)$$);
SELECT streamkv.alter_topic('single', retention_ms => 3600000, retention_bytes => 123456789,
                            max_message_bytes => 2000);
-- NULL keeps a setting
SELECT streamkv.alter_topic('single');
SELECT * FROM streamkv.topics() WHERE name IN ('orders', 'single') ORDER BY name;
SELECT partition, log_start_offset, high_watermark, log_end_offset, records, bytes,
       first_timestamp IS NULL AS no_first, last_timestamp IS NULL AS no_last
  FROM streamkv.partitions('orders');

-- ---------------------------------------------------------------- drop_topic
SELECT pg_temp.err($$SELECT streamkv.drop_topic('nosuch')$$);
SELECT pg_temp.err($$SELECT streamkv.drop_topic('bad name')$$);
SELECT streamkv.drop_topic(NULL);
SELECT streamkv.drop_topic('a.b_c-D9');
SELECT name FROM streamkv.topics() ORDER BY name;
SELECT pg_temp.err($$SELECT * FROM streamkv.partitions('a.b_c-D9')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('a.b_c-D9', 0, 0)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('a.b_c-D9', '\x00'::bytea)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.offsets_for_times('a.b_c-D9', now())$$);

-- ---------------------------------------------------------------- transactional create/drop
BEGIN;
SELECT streamkv.create_topic('txn', 2);
SELECT * FROM streamkv.produce('txn', 'inside'::text, partition => 1);
SELECT name FROM streamkv.topics() WHERE name = 'txn';
ROLLBACK;
SELECT name FROM streamkv.topics() WHERE name = 'txn';
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('txn', 1, 0)$$);
-- created again after the rollback: a new, empty topic
SELECT streamkv.create_topic('txn', 2);
SELECT partition, log_start_offset, high_watermark, log_end_offset, records
  FROM streamkv.partitions('txn');
SELECT * FROM streamkv.produce('txn', 'r0'::text, partition => 1);
SELECT * FROM streamkv.produce('txn', 'r1'::text, partition => 1);
BEGIN;
SELECT streamkv.drop_topic('txn');
SELECT name FROM streamkv.topics() WHERE name = 'txn';
ROLLBACK;
SELECT name FROM streamkv.topics() WHERE name = 'txn';
SELECT pg_temp.dump('txn', 1);
-- produce is not transactional (like nextval): a ROLLBACK keeps the record
BEGIN;
SELECT * FROM streamkv.produce('txn', 'r2'::text, partition => 1);
ROLLBACK;
SELECT pg_temp.dump('txn', 1);
-- drop in a transaction that commits
BEGIN;
SELECT streamkv.drop_topic('txn');
COMMIT;
SELECT name FROM streamkv.topics() WHERE name = 'txn';
SELECT count(*) FROM pg_class WHERE relnamespace = 'streamkv'::regnamespace AND relname = 'topic_txn';

-- ---------------------------------------------------------------- produce: routing
-- explicit partition wins over the key
SELECT * FROM streamkv.produce('orders', '\x01'::bytea, key => 'k'::bytea, partition => 3);
SELECT * FROM streamkv.produce('orders', '\x02'::bytea, partition => 0);
-- partition out of range: 22023, nothing written
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('orders', '\x03'::bytea, partition => 4)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('orders', '\x03'::bytea, partition => -1)$$);
SELECT partition, log_end_offset, records FROM streamkv.partitions('orders');
-- key routing: partition = kafka_partition(key, partitions), empty key included
CREATE TEMP TABLE keyed AS
SELECT s.k, r.* FROM (SELECT 'key' || i AS k FROM generate_series(1, 40) i UNION ALL SELECT '') s,
       LATERAL streamkv.produce('orders', ('v' || s.k)::bytea, key => convert_to(s.k, 'UTF8')) r;
SELECT count(*) AS records,
       count(*) FILTER (WHERE partition = streamkv.kafka_partition(convert_to(k, 'UTF8'), 4)) AS routed_by_key,
       count(DISTINCT partition) AS partitions_used
  FROM keyed;
-- the same key always lands on the same partition, at a new offset
SELECT (streamkv.produce('orders', 'again'::bytea, key => 'key7'::bytea)).partition
     = streamkv.kafka_partition('key7'::bytea, 4) AS same_partition;
-- offsets: gap-free and strictly increasing per partition
SELECT f.partition, count(*) AS n, min(f."offset") AS first, max(f."offset") AS last,
       count(DISTINCT f."offset") = count(*) AS distinct_offsets,
       bool_and(f."offset" = f.prev + 1 OR f.prev IS NULL) AS each_one_more
  FROM streamkv.partitions('orders') p,
       LATERAL (SELECT *, lag("offset") OVER (ORDER BY "offset") AS prev
                  FROM streamkv.fetch('orders', p.partition, 0, 100000)) f
 GROUP BY f.partition ORDER BY f.partition;
SELECT partition, log_start_offset, high_watermark = log_end_offset AS durable, log_end_offset, records
  FROM streamkv.partitions('orders');
-- the fetched records carry what was produced
SELECT f.partition, f."offset", convert_from(f.key, 'UTF8') AS key, convert_from(f.value, 'UTF8') AS value
  FROM keyed k JOIN LATERAL streamkv.fetch('orders', k.partition, k."offset", 1) f ON true
 WHERE k.k IN ('', 'key1', 'key2', 'key40')
 ORDER BY k.k;
-- NULL key: sticky, consecutive records go to one partition (Kafka's sticky partitioner)
CREATE TEMP TABLE sticky AS
SELECT i, r.* FROM generate_series(1, 20) i, LATERAL streamkv.produce('orders', ('s' || i)::bytea) r;
SELECT count(*) AS records, count(DISTINCT partition) AS partitions FROM sticky;
-- their offsets in that partition are consecutive
SELECT max("offset") - min("offset") + 1 AS span FROM sticky;
-- a NULL key is not an empty key: the empty key is hashed
SELECT (SELECT partition FROM keyed WHERE k = '') = streamkv.kafka_partition(''::bytea, 4) AS empty_key_hashed;
-- NULL and empty values are kept apart
SELECT * FROM streamkv.produce('single', NULL::bytea, key => NULL::bytea);
SELECT * FROM streamkv.produce('single', ''::bytea, key => ''::bytea);
SELECT "offset", key IS NULL AS null_key, value IS NULL AS null_value, length(key) AS klen,
       length(value) AS vlen, headers IS NULL AS no_headers
  FROM streamkv.fetch('single', 0, 0);
-- a NULL topic
SELECT pg_temp.err($$SELECT * FROM streamkv.produce(NULL, '\x00'::bytea)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('nosuch', '\x00'::bytea)$$);

-- ---------------------------------------------------------------- produce: headers
SELECT streamkv.create_topic('hdr');
SELECT * FROM streamkv.produce('hdr', 'with headers'::text,
    headers => ARRAY[('z', 'last?')::streamkv.header, ('a', '\x00ff'::bytea)::streamkv.header,
                     ('z', 'dup')::streamkv.header, ('n', NULL)::streamkv.header,
                     ('', '')::streamkv.header]);
SELECT * FROM streamkv.produce('hdr', 'no headers'::text, headers => ARRAY[]::streamkv.header[]);
SELECT "offset", h.ord, h.key, h.value, h.value IS NULL AS null_value
  FROM streamkv.fetch('hdr', 0, 0) f
  LEFT JOIN LATERAL unnest(f.headers) WITH ORDINALITY AS h(key, value, ord) ON true
 ORDER BY "offset", h.ord;
SELECT "offset", headers IS NULL AS null_headers, cardinality(headers) AS n FROM streamkv.fetch('hdr', 0, 0);
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('hdr', 'x'::text, headers => ARRAY[(NULL, 'v')::streamkv.header])$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('hdr', 'x'::text, headers => ARRAY[NULL::streamkv.header])$$);
SELECT log_end_offset FROM streamkv.partitions('hdr');

-- ---------------------------------------------------------------- produce: text and jsonb overloads
SELECT * FROM streamkv.produce('hdr', 'ünï text'::text, key => 'clé');
SELECT * FROM streamkv.produce('hdr', '{"b": 1, "a": [true, null]}'::jsonb, key => 'j');
SELECT * FROM streamkv.produce('hdr', '{"b": 1}'::jsonb);
SELECT "offset", convert_from(key, 'UTF8') AS key, value, convert_from(value, 'UTF8') AS text_value,
       convert_from(value, 'UTF8')::jsonb IS NOT NULL AS parses
  FROM streamkv.fetch('hdr', 0, 2) WHERE "offset" >= 3;
SELECT "offset", value = convert_to('ünï text', 'UTF8') AS utf8 FROM streamkv.fetch('hdr', 0, 2, 1);
-- the text overload routes by the key's UTF-8 bytes
SELECT streamkv.create_topic('routed', 7);
SELECT (streamkv.produce('routed', 'v'::text, key => 'clé')).partition
     = streamkv.kafka_partition(convert_to('clé', 'UTF8'), 7) AS text_key_routed;
SELECT (streamkv.produce('routed', '{}'::jsonb, key => 'user-42')).partition
     = streamkv.kafka_partition('user-42'::bytea, 7) AS jsonb_key_routed;

-- ---------------------------------------------------------------- produce: timestamps
SELECT streamkv.create_topic('ts_create', timestamp_type => 'create');
SELECT streamkv.create_topic('ts_append', timestamp_type => 'log_append');
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM streamkv.produce('ts_create', 'explicit'::text, "timestamp" => '2001-02-03 04:05:06.789+00');
SELECT * FROM streamkv.produce('ts_create', 'default'::text);
SELECT * FROM streamkv.produce('ts_append', 'explicit'::text, "timestamp" => '2001-02-03 04:05:06.789+00');
SELECT * FROM streamkv.produce('ts_append', 'default'::text);
SELECT clock_timestamp() AS t1 \gset
SELECT 'create' AS type, "offset", "timestamp" = '2001-02-03 04:05:06.789+00' AS is_explicit,
       "timestamp" BETWEEN date_trunc('milliseconds', :'t0'::timestamptz) AND :'t1' AS is_now
  FROM streamkv.fetch('ts_create', 0, 0)
UNION ALL
SELECT 'log_append', "offset", "timestamp" = '2001-02-03 04:05:06.789+00',
       "timestamp" BETWEEN date_trunc('milliseconds', :'t0'::timestamptz) AND :'t1'
  FROM streamkv.fetch('ts_append', 0, 0)
 ORDER BY 1, 2;
-- first and last timestamps of a partition
SELECT first_timestamp = '2001-02-03 04:05:06.789+00' AS first_is_explicit,
       last_timestamp BETWEEN date_trunc('milliseconds', :'t0'::timestamptz) AND :'t1' AS last_is_now
  FROM streamkv.partitions('ts_create');

-- ---------------------------------------------------------------- produce: max_message_bytes
SELECT streamkv.create_topic('small', 2, max_message_bytes => 100);
SELECT * FROM streamkv.produce('small', '\x00'::bytea, partition => 0);
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('small', repeat('x', 200)::bytea, partition => 0)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('small', 'v'::bytea, key => repeat('k', 200)::bytea)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.produce('small', 'v'::text,
    headers => ARRAY[('h', repeat('x', 100)::bytea)::streamkv.header])$$);
-- nothing was written by the failures
SELECT partition, log_end_offset, records FROM streamkv.partitions('small');
SELECT "offset", value FROM streamkv.fetch('small', 0, 0);
-- raising the limit lets it through
SELECT streamkv.alter_topic('small', max_message_bytes => 1000);
SELECT * FROM streamkv.produce('small', repeat('x', 200)::bytea, partition => 0);
-- a record larger than a page (fragments) round-trips
SELECT streamkv.alter_topic('small', max_message_bytes => 100000);
SELECT * FROM streamkv.produce('small', convert_to(repeat('0123456789', 5000), 'UTF8'), partition => 1);
SELECT "offset", length(value), md5(value) = md5(repeat('0123456789', 5000)) AS same
  FROM streamkv.fetch('small', 1, 0);

-- ---------------------------------------------------------------- fetch
SELECT streamkv.create_topic('f', 2);
SELECT count(*) FROM (SELECT streamkv.produce('f', ('value-' || i)::text, partition => 0) FROM generate_series(0, 9) i) s;
SELECT "offset", convert_from(value, 'UTF8') FROM streamkv.fetch('f', 0, 0) ORDER BY "offset";
SELECT topic, partition, "offset", convert_from(value, 'UTF8') AS value FROM streamkv.fetch('f', 0, 7);
-- max_records
SELECT "offset" FROM streamkv.fetch('f', 0, 2, max_records => 3);
-- max_bytes: stops early but always returns at least one record
SELECT count(*) FROM streamkv.fetch('f', 0, 0, max_bytes => 1);
SELECT "offset" FROM streamkv.fetch('f', 0, 4, max_bytes => 1);
SELECT count(*) BETWEEN 2 AND 9 AS partial FROM streamkv.fetch('f', 0, 0, max_bytes => 100);
-- at the high watermark: empty (also with a short wait)
SELECT count(*) FROM streamkv.fetch('f', 0, 10);
SELECT count(*) FROM streamkv.fetch('f', 0, 10, wait_ms => 10);
SELECT count(*) FROM streamkv.fetch('f', 1, 0);
-- beyond it, or below the log start: out of range, both bounds in the detail
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('f', 0, 11)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('f', 0, -1)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('f', 1, 1)$$);
-- bad arguments
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('f', 2, 0)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('f', -1, 0)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('f', 0, 0, max_records => 0)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('f', 0, 0, max_bytes => 0)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('f', 0, 0, wait_ms => -1)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('nosuch', 0, 0)$$);
SELECT count(*) FROM streamkv.fetch(NULL, 0, 0);
SELECT count(*) FROM streamkv.fetch('f', 0, NULL);
-- partitions() after producing
SELECT partition, log_start_offset, high_watermark, log_end_offset, records, bytes > 0 AS has_bytes,
       first_timestamp <= last_timestamp AS ordered, produced
  FROM streamkv.partitions('f');
SELECT pg_temp.err($$SELECT * FROM streamkv.partitions('nosuch')$$);
SELECT count(*) FROM streamkv.partitions(NULL);

-- ---------------------------------------------------------------- produce_agg
SELECT streamkv.create_topic('bulk', 4);
SELECT streamkv.produce_agg('bulk', convert_to('b' || i, 'UTF8'), convert_to('k' || (i % 50), 'UTF8'))
  FROM generate_series(1, 5000) i;
SELECT sum(records) AS records, sum(log_end_offset) AS log_end, sum(high_watermark) AS hwm
  FROM streamkv.partitions('bulk');
-- every record is there once, on its key's partition, gap-free per partition
SELECT count(*) AS n, count(DISTINCT convert_from(value, 'UTF8')) AS distinct_values,
       count(*) FILTER (WHERE f.partition = streamkv.kafka_partition(f.key, 4)) AS routed_by_key
  FROM streamkv.partitions('bulk') p, LATERAL streamkv.fetch('bulk', p.partition, 0, 100000) f;
SELECT bool_and(n = last + 1) AS gap_free FROM (
    SELECT count(*) AS n, max("offset") AS last
      FROM streamkv.partitions('bulk') p, LATERAL streamkv.fetch('bulk', p.partition, 0, 100000) f
     GROUP BY p.partition) s;
-- per key, records keep their order
SELECT count(*) AS out_of_order FROM (
    SELECT substr(convert_from(value, 'UTF8'), 2)::int AS i,
           lag(substr(convert_from(value, 'UTF8'), 2)::int) OVER (PARTITION BY key ORDER BY "offset") AS prev
      FROM streamkv.partitions('bulk') p, LATERAL streamkv.fetch('bulk', p.partition, 0, 100000) f) s
 WHERE i < prev;
-- empty input, NULL keys (sticky), grouped
SELECT streamkv.produce_agg('bulk', '\x00'::bytea, NULL) FROM generate_series(1, 0);
SELECT streamkv.produce_agg('bulk', '\x00'::bytea, NULL::bytea) FROM generate_series(1, 10);
SELECT g, streamkv.produce_agg('bulk', '\x01'::bytea, convert_to(g::text, 'UTF8'))
  FROM generate_series(1, 6) i, LATERAL (SELECT i % 2 AS g) x GROUP BY g ORDER BY g;
SELECT sum(records) FROM streamkv.partitions('bulk');
-- produce_agg is VOLATILE: a subquery column nobody reads is still computed
SELECT provolatile FROM pg_proc WHERE oid = 'streamkv.produce_agg(text, bytea, bytea)'::regprocedure;
SELECT count(*) FROM (SELECT streamkv.produce_agg('bulk', '\x02'::bytea, NULL) FROM generate_series(1, 4)) s;
SELECT sum(records) FROM streamkv.partitions('bulk');
-- errors: too large record (nothing written), mixed topics, unknown topic
SELECT streamkv.create_topic('bulk_small', max_message_bytes => 100);
SELECT pg_temp.err($$SELECT streamkv.produce_agg('bulk_small', CASE WHEN i = 3 THEN repeat('x', 500)::bytea ELSE '\x00'::bytea END, NULL) FROM generate_series(1, 5) i$$);
SELECT log_end_offset FROM streamkv.partitions('bulk_small');
SELECT pg_temp.err($$SELECT streamkv.produce_agg(t, '\x00'::bytea, NULL) FROM (VALUES ('bulk'), ('bulk_small')) v(t)$$);
SELECT pg_temp.err($$SELECT streamkv.produce_agg('nosuch', '\x00'::bytea, NULL)$$);
SELECT pg_temp.err($$SELECT streamkv.produce_agg(NULL, '\x00'::bytea, NULL)$$);

-- ---------------------------------------------------------------- offsets_for_times
SELECT streamkv.create_topic('times', 3);
SELECT count(*) FROM (
  SELECT streamkv.produce('times', 'v'::text, partition => i % 2,
                          "timestamp" => '2020-01-01 00:00:00+00'::timestamptz + i * interval '1 minute')
    FROM generate_series(0, 9) i) s;
-- partition 0 has minutes 0,2,4,6,8 at offsets 0..4; partition 1 has 1,3,5,7,9; partition 2 nothing
SELECT * FROM streamkv.offsets_for_times('times', '2019-12-31 00:00:00+00') ORDER BY partition;
SELECT * FROM streamkv.offsets_for_times('times', '2020-01-01 00:00:00+00') ORDER BY partition;
SELECT * FROM streamkv.offsets_for_times('times', '2020-01-01 00:03:00+00') ORDER BY partition;
SELECT * FROM streamkv.offsets_for_times('times', '2020-01-01 00:03:30+00') ORDER BY partition;
SELECT * FROM streamkv.offsets_for_times('times', '2020-01-01 00:09:00+00') ORDER BY partition;
SELECT * FROM streamkv.offsets_for_times('times', '2020-01-01 00:09:00.001+00') ORDER BY partition;
-- timestamps out of order: the first offset at or after, not a binary search's guess
SELECT * FROM streamkv.produce('times', 'late'::text, partition => 2, "timestamp" => '2020-01-01 00:05:00+00');
SELECT * FROM streamkv.produce('times', 'early'::text, partition => 2, "timestamp" => '2020-01-01 00:01:00+00');
SELECT * FROM streamkv.produce('times', 'later'::text, partition => 2, "timestamp" => '2020-01-01 00:07:00+00');
SELECT * FROM streamkv.offsets_for_times('times', '2020-01-01 00:02:00+00') WHERE partition = 2;
SELECT * FROM streamkv.offsets_for_times('times', '2020-01-01 00:06:00+00') WHERE partition = 2;
SELECT pg_temp.err($$SELECT * FROM streamkv.offsets_for_times('nosuch', now())$$);
SELECT count(*) FROM streamkv.offsets_for_times('times', NULL);

-- ---------------------------------------------------------------- retention
-- By bytes: the worker (streamkv.worker_naptime, 100ms by default) frees whole head pages.
SELECT streamkv.create_topic('ret', 1, retention_bytes => 20000);
SELECT streamkv.produce_agg('ret', convert_to(repeat('r', 200) || i, 'UTF8'), NULL)
  FROM generate_series(1, 2000) i;
DO $$
BEGIN
    FOR i IN 1 .. 400 LOOP
        EXIT WHEN (SELECT log_start_offset FROM streamkv.partitions('ret')) > 0;
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
-- stop retention and let the log start settle (the worker may have run between
-- produce_agg's batches, and may be mid-round)
SELECT streamkv.alter_topic('ret', retention_bytes => -1);
DO $$
DECLARE
    prev bigint := -1;
    cur bigint;
BEGIN
    FOR i IN 1 .. 100 LOOP
        SELECT log_start_offset INTO cur FROM streamkv.partitions('ret');
        EXIT WHEN cur = prev;
        prev := cur;
        PERFORM pg_sleep(0.3);
    END LOOP;
END $$;
SELECT log_start_offset > 0 AS advanced, log_start_offset < 2000 AS kept_some,
       high_watermark, log_end_offset, records = log_end_offset - log_start_offset AS records_match,
       bytes >= 20000 AS at_least_retention
  FROM streamkv.partitions('ret');
SELECT log_start_offset AS ls FROM streamkv.partitions('ret') \gset
-- fetch from the log start works; below it is out of range
SELECT "offset" = :ls AS from_start, convert_from(value, 'UTF8') = repeat('r', 200) || (:ls + 1) AS right_value
  FROM streamkv.fetch('ret', 0, :ls, 1);
SELECT replace(replace(pg_temp.err(format('SELECT * FROM streamkv.fetch(%L, 0, %s)', 'ret', :ls - 1)),
                       'offset ' || (:ls - 1) || ' is', 'offset LS-1 is'),
               'start offset is ' || :ls || ' ', 'start offset is LS ');
SELECT pg_temp.err($$SELECT * FROM streamkv.fetch('ret', 0, 0)$$) LIKE '22023: offset 0 is out of range%' AS out_of_range;
-- offsets_for_times skips what retention removed
SELECT "offset" = :ls AS from_log_start FROM streamkv.offsets_for_times('ret', '-infinity');
-- offsets continue after retention
SELECT "offset" FROM streamkv.produce('ret', 'after'::text);

-- ---------------------------------------------------------------- clean up
SELECT streamkv.drop_topic(name) FROM streamkv.topics() ORDER BY name;
SELECT count(*) FROM streamkv.topics();
SELECT count(*) FROM pg_class WHERE relnamespace = 'streamkv'::regnamespace AND relname LIKE 'topic_%' AND relkind = 'i';
