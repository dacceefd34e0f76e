SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS streamkv;
RESET client_min_messages;
SET search_path = streamkv, public;
SET extra_float_digits = 0;

-- BF.ADD creates a filter of RedisBloom's defaults: error 0.01, capacity 100, expansion 2
SELECT bf_add('bf', 'foo') AS new, bf_add('bf', 'foo') AS again, bf_add('bf', 'bar') AS bar;
SELECT bf_exists('bf', 'foo'), bf_exists('bf', 'bar'), bf_exists('bf', 'baz'), bf_exists('nope', 'foo');
SELECT type('bf'), bf_card('bf'), bf_card('nope');
-- BF.INFO: Size counts as RedisBloom does (32 + 64 per sub-filter + bitmaps): 240 for this one
SELECT * FROM bf_info('bf');
-- the first sub-filter: half the error rate; bits = trunc(n * -ln(p) / ln(2)^2) rounded up to 64,
-- hashes = ceil(ln(2) * bpe) (RedisBloom's bloom_init)
SELECT d.*, d.bits = ((floor(d.capacity * -ln(d.error_rate) / 0.480453013918201)::bigint + 63) / 64) * 64 AS bits_as_theory,
       d.hashes = ceil(ln(2) * -ln(d.error_rate) / 0.480453013918201) AS hashes_as_theory
FROM bf_debug('bf') d;

-- item:0 .. item:999 into a default filter: 995 reported new, 4 sub-filters, capacity 1500
SELECT count(*) FILTER (WHERE bf_add('seq', 'item:' || i)) AS new FROM generate_series(0, 999) i;
SELECT * FROM bf_info('seq');
SELECT d.*, d.bits = ((floor(d.capacity * -ln(d.error_rate) / 0.480453013918201)::bigint + 63) / 64) * 64 AS bits_as_theory,
       d.hashes = ceil(ln(2) * -ln(d.error_rate) / 0.480453013918201) AS hashes_as_theory
FROM bf_debug('seq') d;
-- the same through bf_madd and bf_add_agg: the same answers, the same bits
SELECT (SELECT count(*) FROM unnest(bf_madd('madd', VARIADIC array_agg('item:' || i ORDER BY i))) a WHERE a) AS new
FROM generate_series(0, 999) i;
SELECT bf_add_agg('agg', 'item:' || i ORDER BY i) AS new FROM generate_series(0, 999) i;
CREATE TEMP TABLE dumps AS
SELECT k, (SELECT string_agg(encode(sha256(data), 'hex'), ',' ORDER BY it)
           FROM (SELECT 0 AS it, (bf_scandump(k, 0)).data
                 UNION ALL SELECT it, (bf_scandump(k, it)).data FROM generate_series(1, 1) it) s) AS first,
       (WITH RECURSIVE d(it, next, data) AS (
          SELECT 1::bigint, s.next_iter, s.data FROM bf_scandump(k, 1) s
          UNION ALL
          SELECT d.next, s.next_iter, s.data FROM d, bf_scandump(k, d.next) s WHERE d.next <> 0)
        SELECT string_agg(encode(data, 'hex'), '' ORDER BY it) FROM d WHERE data IS NOT NULL) AS bits
FROM unnest(ARRAY['seq', 'madd', 'agg']) k;
SELECT count(DISTINCT first) AS headers, count(DISTINCT bits) AS bitmaps, min(length(bits)) / 2 AS bytes FROM dumps;
SELECT sum(bytes) AS bitmap_bytes FROM bf_debug('seq');
-- scandump: a header of 20 + 61 bytes per sub-filter, then the bitmaps, then 0
SELECT next_iter, length(data) FROM bf_scandump('seq', 0);
SELECT next_iter, length(data) FROM bf_scandump('seq', 1);
SELECT next_iter, data FROM bf_scandump('seq', 1 + (SELECT sum(bytes) FROM bf_debug('seq'))::bigint);
-- every item is found; few absent ones are
SELECT count(*) FILTER (WHERE bf_exists('seq', 'item:' || i)) AS found FROM generate_series(0, 999) i;
SELECT count(*) FILTER (WHERE bf_exists('seq', 'absent:' || i)) < 30 AS few_false_positives
FROM generate_series(1, 1000) i;
SELECT bf_mexists('seq', 'item:1', 'item:999', 'nope:1'), bf_mexists('nope', 'a', 'b');

-- text and bytea are the same item when the bytes are
SELECT bf_add('b', '\x00ff'::bytea), bf_exists('b', '\x00ff'::bytea), bf_exists('b', '\x00'::bytea);
SELECT bf_add('b', convert_to('abc', 'UTF8')), bf_exists('b', 'abc'), bf_add('b', 'abc');
SELECT bf_madd('b', '\x01'::bytea, '\x02'::bytea, '\x01'::bytea), bf_mexists('b', '\x01'::bytea, '\x03'::bytea);
SELECT bf_insert('b', ARRAY['\x02'::bytea, '\x04'::bytea]);
-- the empty item is an item
SELECT bf_add('b', ''), bf_exists('b', ''), bf_card('b');

-- BF.RESERVE
SELECT bf_reserve('r', 0.001, 1000);
SELECT * FROM bf_info('r');
SELECT filter, bytes, bits, hashes, capacity, items, error_rate FROM bf_debug('r');
SELECT bf_reserve('r3', 0.01, 10, expansion => 3);
SELECT count(*) FILTER (WHERE bf_add('r3', 'x' || i)) AS new FROM generate_series(1, 100) i;
SELECT filter, capacity, error_rate, hashes FROM bf_debug('r3');
SELECT * FROM bf_info('r3');
SELECT bf_reserve('r1', 0.01, 10, expansion => 1);
SELECT count(*) FILTER (WHERE bf_add('r1', 'x' || i)) AS new FROM generate_series(1, 40) i;
SELECT filter, capacity, error_rate, hashes FROM bf_debug('r1');
-- NONSCALING: the whole error rate in one sub-filter, no expansion, and full at capacity
SELECT bf_reserve('ns', 0.01, 5, nonscaling => true);
SELECT * FROM bf_info('ns');
SELECT filter, capacity, error_rate, hashes FROM bf_debug('ns');
SELECT bf_madd('ns', 'a', 'b', 'c', 'a');
SELECT bf_madd('ns', 'd', 'e', 'f');          -- full at f: an error, nothing added
SELECT bf_card('ns'), bf_exists('ns', 'd');
SELECT bf_madd('ns', 'd', 'a', 'e');          -- exactly fills it
SELECT bf_add('ns', 'a');                     -- present: no error
SELECT bf_add('ns', 'g');
SELECT bf_card('ns');
-- a sub-filter too big to open: 54000, nothing added
SELECT bf_reserve('grow', 0.01, 3, expansion => 1000000000);
SELECT bf_madd('grow', 'a', 'b', 'c');
SELECT bf_madd('grow', 'd', 'e');
SELECT bf_card('grow'), bf_exists('grow', 'd');

-- BF.INSERT
SELECT bf_insert('ins', ARRAY['a', 'b', 'a'], capacity => 1000, error => 0.001, expansion => 4);
SELECT * FROM bf_info('ins');
SELECT filter, capacity, error_rate FROM bf_debug('ins');
SELECT bf_insert('ins', ARRAY['c'], capacity => 5);   -- the options of an existing filter are ignored
SELECT capacity FROM bf_info('ins');
SELECT bf_insert('ins', ARRAY['d'], nocreate => true);
SELECT bf_insert('ins_missing', ARRAY['d'], nocreate => true);
SELECT streamkv.exists('ins_missing');
SELECT bf_insert('ins_ns', ARRAY['a', 'b'], capacity => 2, nonscaling => true);
SELECT * FROM bf_info('ins_ns');
SELECT bf_insert('ins_ns2', ARRAY['a', 'b', 'c'], capacity => 2, nonscaling => true);
SELECT streamkv.exists('ins_ns2');

-- the keyspace: TYPE, SCAN's type filter, TTL, DEL, info(), compaction
SELECT type('seq'), type('r');
SELECT keys FROM scan(0, 'r*', 1000, 'MBbloom--');
SELECT keys FROM scan(0, 'r*', 1000, 'mbbloom--');
SELECT expire('seq', 100), ttl('seq'), bf_exists('seq', 'item:5');
SELECT persist('seq'), ttl('seq');
SELECT pexpire('b', 1);
SELECT pg_sleep(0.01);
SELECT bf_exists('b', 'abc'), bf_card('b'), type('b');
SELECT bf_add('b', 'abc') AS recreated, bf_card('b');
SELECT bloom_filters >= 10 AS counted FROM info();
SELECT del('r1');
SELECT bf_card('r1'), streamkv.exists('r1');
SELECT compact() > 0 AS compacted;
SELECT * FROM bf_info('seq');
SELECT count(*) FILTER (WHERE bf_exists('seq', 'item:' || i)) AS found FROM generate_series(0, 999) i;
SELECT count(DISTINCT d.bits) = 1 AS same_bits_after_compaction
FROM (SELECT bits FROM dumps WHERE k = 'madd'
      UNION ALL
      SELECT (WITH RECURSIVE d(it, next, data) AS (
                SELECT 1::bigint, s.next_iter, s.data FROM bf_scandump('seq', 1) s
                UNION ALL
                SELECT d.next, s.next_iter, s.data FROM d, bf_scandump('seq', d.next) s WHERE d.next <> 0)
              SELECT string_agg(encode(data, 'hex'), '' ORDER BY it) FROM d WHERE data IS NOT NULL)) d;
SELECT * FROM bf_info('ns');
SELECT bf_add('ns', 'h');

-- memory is counted
SELECT memory_used AS before FROM info() \gset
SELECT bf_reserve('big', 0.0001, 100000);
SELECT memory_used - :before > 100000 * 19 / 8 AS counted FROM info();
SELECT del('big');
SELECT memory_used - :before < 1000 AS freed FROM info();

-- WRONGTYPE
SELECT set('str', 'v');
SELECT bf_add('str', 'a');
SELECT bf_madd('str', 'a');
SELECT bf_insert('str', ARRAY['a']);
SELECT bf_exists('str', 'a');
SELECT bf_mexists('str', 'a');
SELECT bf_reserve('str', 0.01, 10);
SELECT * FROM bf_info('str');
SELECT bf_card('str');
SELECT * FROM bf_debug('str');
SELECT * FROM bf_scandump('str', 0);
SELECT get('seq');
SELECT zadd('seq', 1, 'a');

-- errors
SELECT bf_reserve('r', 0.01, 10);             -- exists
SELECT bf_reserve('e', 0, 10);
SELECT bf_reserve('e', 1, 10);
SELECT bf_reserve('e', -0.5, 10);
SELECT bf_reserve('e', 'NaN', 10);
SELECT bf_reserve('e', 0.01, 0);
SELECT bf_reserve('e', 0.01, -1);
SELECT bf_reserve('e', 0.01, 10, expansion => 0);
SELECT bf_reserve('e', 0.01, 10, expansion => -3);
SELECT bf_reserve('e', 0.01, 10, expansion => 4, nonscaling => true);
SELECT bf_reserve('e', 0.01, 9223372036854775807);
SELECT bf_reserve('e', 1e-300, 10000000);
SELECT streamkv.exists('e');
SELECT bf_insert('e', ARRAY['a'], error => 0);
SELECT bf_insert('e', ARRAY['a'], error => 1.5);
SELECT bf_insert('e', ARRAY['a'], capacity => 0);
SELECT bf_insert('e', ARRAY['a'], expansion => 0);
SELECT bf_insert('e', ARRAY['a'], capacity => 9223372036854775807);
SELECT bf_insert('e', ARRAY['a'], capacity => 100000000, error => 1e-10);
SELECT * FROM bf_info('nope');
SELECT * FROM bf_debug('nope');
SELECT * FROM bf_scandump('nope', 0);
SELECT * FROM bf_scandump('seq', -1);
SELECT bf_madd('e', VARIADIC ARRAY[]::text[]);
SELECT bf_mexists('e', VARIADIC ARRAY[]::text[]);
SELECT bf_insert('e', ARRAY[]::text[]);
SELECT bf_madd('e', VARIADIC ARRAY[['a', 'b'], ['c', 'd']]);
SELECT bf_madd('e', 'a', NULL);
SELECT bf_mexists('e', 'a', NULL);
SELECT bf_insert('e', ARRAY['a', NULL]);
SELECT streamkv.exists('e');

-- NULL arguments: STRICT functions give NULL and do nothing
SELECT bf_add(NULL, 'a') IS NULL, bf_add('n', NULL::text) IS NULL, bf_exists(NULL, 'a') IS NULL,
       bf_card(NULL) IS NULL, bf_madd('n', VARIADIC NULL::text[]) IS NULL,
       bf_reserve('n', NULL, 10) IS NULL, bf_reserve('n', 0.01, 10, NULL) IS NULL,
       bf_insert('n', ARRAY['a'], nocreate => NULL) IS NULL;
SELECT * FROM bf_info(NULL);
SELECT streamkv.exists('n');
-- bf_add_agg skips NULL keys and items; no rows: 0
SELECT bf_add_agg(k, i) FROM (VALUES ('agg2', 'a'), (NULL, 'b'), ('agg2', NULL), ('agg2', 'a'), ('agg2', 'c')) v(k, i);
SELECT bf_card('agg2');
SELECT bf_add_agg('agg3', i) FROM (SELECT 'x' AS i WHERE false) s;
SELECT streamkv.exists('agg3');
-- several keys in one aggregate
SELECT bf_add_agg('multi:' || (i % 3), 'm' || i) FROM generate_series(1, 30) i;
SELECT bf_card('multi:0'), bf_card('multi:1'), bf_card('multi:2');
SELECT bf_add_agg('agg4', decode(md5(i::text), 'hex')) FROM generate_series(1, 10) i;
SELECT bf_exists('agg4', decode(md5('7'), 'hex'));
