SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS streamkv;
RESET client_min_messages;
SET search_path = streamkv, public;
SET extra_float_digits = 0;

-- sizing: bits = trunc(n * -ln(p) / ln(2)^2) rounded up to 64, k = ceil(ln(2) * bpe)
SELECT n, p, i.bits, i.hashes, i.items, i.bits_set, i.bits_per_item,
       round((-ln(p) / ln(2)^2)::numeric, 4) AS theoretical_bpi
FROM (VALUES (1::int8, 0.5::float8), (100, 0.01), (1000, 0.01), (1000, 0.001),
             (100000, 0.0001), (1, 0.999999)) v(n, p),
     bloom_info(bloom_new(n, p)) i;
SELECT (bloom_info(bloom_new(100))).error_rate;           -- default error rate

-- add and contains, text and bytea
CREATE TEMP TABLE f AS SELECT bloom_add(bloom_add(bloom_new(1000, 0.01), 'apple'), '\x00ff'::bytea) AS f;
SELECT bloom_contains(f, 'apple'), bloom_contains(f, 'pear'), bloom_contains(f, '\x00ff'::bytea),
       bloom_contains(f, '\x00'::bytea), bloom_contains(f, convert_to('apple', 'UTF8'))
FROM f;
SELECT f @> 'apple' AS op_text, f @> '\x00ff'::bytea AS op_bytea, f @> 'pear' AS op_absent FROM f;
SELECT items, bits_set FROM f, bloom_info(f);
-- adding an item twice sets no new bit and does not count it
SELECT (bloom_info(bloom_add(f, 'apple'))).items FROM f;
-- the empty item is an item
SELECT bloom_contains(bloom_add(bloom_new(10), ''), ''), bloom_contains(bloom_new(10), '');

-- text I/O round trip; the text form
SELECT bloom_add(bloom_new(10, 0.1), 'x');
SELECT f::text::bloom::text = f::text AS text_round_trip FROM f;
SELECT 'bloom(v1,capacity=10,error_rate=0.1,bits=64,hashes=4,items=1):AEBAAEAAAEA='::bloom @> 'x';
-- binary I/O round trip
SELECT substr(bloom_send(bloom_add(bloom_new(10, 0.1), 'x')), 1, 37) AS send_header;
-- a file in the server's data directory: private to this cluster
SELECT current_setting('data_directory') || '/streamkv_regress_bloom.bin' AS binfile \gset
COPY f TO :'binfile' WITH (FORMAT binary);
CREATE TEMP TABLE g (f bloom);
COPY g FROM :'binfile' WITH (FORMAT binary);
SELECT g.f::text = f.f::text AS binary_round_trip, g.f @> 'apple' AS still_there FROM f, g;
-- invalid input
SELECT 'garbage'::bloom;
SELECT 'bloom(v2,capacity=10,error_rate=0.1,bits=64,hashes=4,items=1):AEBAAEAAAEA='::bloom;
SELECT 'bloom(v1,capacity=10,error_rate=0.1,bits=128,hashes=4,items=1):AEBAAEAAAEA='::bloom;
SELECT 'bloom(v1,capacity=10,error_rate=0.1,bits=64,hashes=5,items=1):AEBAAEAAAEA='::bloom;
SELECT 'bloom(v1,capacity=0,error_rate=0.1,bits=64,hashes=4,items=1):AEBAAEAAAEA='::bloom;
SELECT 'bloom(v1,capacity=10,error_rate=1.5,bits=64,hashes=4,items=1):AEBAAEAAAEA='::bloom;
SELECT 'bloom(v1,capacity=10,error_rate=0.1,bits=64,hashes=4,items=1):AEBAAEAA'::bloom;
SELECT 'bloom(v1,capacity=10,error_rate=0.1,bits=64,hashes=4,items=1):AEBAAEAAAE!='::bloom;

-- union
SELECT bloom_contains(u, 'a'), bloom_contains(u, 'b'), bloom_contains(u, 'c'), (bloom_info(u)).items
FROM (SELECT bloom_union(bloom_add(bloom_new(100), 'a'), bloom_add(bloom_new(100), 'b')) AS u) s;
SELECT bloom_union(bloom_new(100), bloom_new(101));
SELECT bloom_union(bloom_new(100, 0.01), bloom_new(100, 0.02));

-- the aggregate
SELECT bloom_contains(a, 'item:1'), bloom_contains(a, 'item:500'), bloom_contains(a, 'item:0'),
       (bloom_info(a)).items
FROM (SELECT bloom_agg('item:' || i, 1000, 0.01) AS a FROM generate_series(1, 500) i) s;
SELECT bloom_agg(item, 10, 0.1) IS NULL AS empty_is_null FROM (SELECT NULL::text AS item WHERE false) s;
SELECT (bloom_info(bloom_agg(item, 10, 0.1))).items AS nulls_skipped
FROM (VALUES ('a'), (NULL), ('b')) v(item);
SELECT bloom_contains(bloom_agg(decode(md5(i::text), 'hex'), 100, 0.01), decode(md5('7'), 'hex'))
FROM generate_series(1, 50) i;
-- a stored filter is read back correctly (and cached across calls)
CREATE TEMP TABLE stored AS SELECT bloom_agg('k' || i, 100000, 0.01) AS f FROM generate_series(1, 100000) i;
SELECT count(*) FILTER (WHERE bloom_contains((SELECT f FROM stored), 'k' || i)) AS found
FROM generate_series(1, 100000) i;
SELECT count(*) FILTER (WHERE (SELECT f FROM stored) @> ('absent' || i)) < 2000 AS few_false_positives
FROM generate_series(1, 100000) i;

-- errors
SELECT bloom_new(0, 0.01);
SELECT bloom_new(-5);
SELECT bloom_new(100, 0);
SELECT bloom_new(100, 1);
SELECT bloom_new(100, 'NaN');
SELECT bloom_new(9223372036854775807, 0.01);
SELECT bloom_agg(i::text, 0, 0.01) FROM generate_series(1, 3) i;
SELECT bloom_agg(i::text, NULL, 0.01) FROM generate_series(1, 3) i;
-- NULL arguments
SELECT bloom_new(NULL) IS NULL, bloom_add(NULL, 'x') IS NULL, bloom_add(bloom_new(10), NULL::text) IS NULL,
       bloom_contains(NULL, 'x') IS NULL, bloom_union(bloom_new(10), NULL) IS NULL, bloom_info(NULL) IS NULL;
