SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS streamkv;
RESET client_min_messages;
SET search_path = streamkv, public;

-- Kafka's UtilsTest.testMurmur2 vectors
SELECT k, murmur2(convert_to(k, 'UTF8'))
FROM unnest(ARRAY['21', 'foobar', 'a-little-bit-long-string', 'a-little-bit-longer-string',
                  'lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8']) k;
SELECT murmur2('\x616263'::bytea);                        -- bytes 'a','b','c'
-- tails of 0..4 bytes, binary bytes, the empty key
SELECT k, murmur2(k) FROM unnest(ARRAY['\x'::bytea, '\x00', '\x0000', '\x000000',
                                       '\x00000000', '\xff', '\xffffffff', '\x80ff7f01fe']) k;

-- partitions
SELECT n, kafka_partition(convert_to('foobar', 'UTF8'), n)
FROM unnest(ARRAY[1, 2, 3, 7, 10, 100, 2147483647]) n;
SELECT kafka_partition('\x'::bytea, 10), kafka_partition('\x00', 10);
-- & 0x7fffffff, not abs(): murmur2('21') is negative
SELECT murmur2('21'::bytea) & x'7fffffff'::int4 AS positive, kafka_partition('21'::bytea, 1000);
SELECT kafka_partition('abc'::bytea, 0);
SELECT kafka_partition('abc'::bytea, -3);
SELECT murmur2(NULL) IS NULL, kafka_partition(NULL, 3) IS NULL, kafka_partition('a'::bytea, NULL) IS NULL;
