-- streamkv demo, run by scripts/run.sh in database "streamkv". Extend freely.
SELECT streamkv.set('greeting', 'hello');
SELECT streamkv.get('greeting');
SELECT streamkv.incr('counter');
SELECT streamkv.hset('user:1', 'name', 'Ada', 'lang', 'C');
SELECT * FROM streamkv.hgetall('user:1');
SELECT streamkv.expire('greeting', 60);
SELECT streamkv.ttl('greeting');
SELECT * FROM streamkv.info();

-- Topics: a partitioned log with Kafka's key routing
SELECT streamkv.create_topic('demo_orders', partitions => 3);
SELECT * FROM streamkv.produce('demo_orders', '{"order": 1}'::jsonb, key => 'customer-7');
SELECT * FROM streamkv.produce('demo_orders', '{"order": 2}'::jsonb, key => 'customer-7');
SELECT streamkv.produce_agg('demo_orders', convert_to('bulk ' || i, 'UTF8'), NULL) FROM generate_series(1, 1000) i;
SELECT partition, log_start_offset, high_watermark, records FROM streamkv.partitions('demo_orders');
SELECT partition, "offset", convert_from(value, 'UTF8') AS value
  FROM streamkv.fetch('demo_orders', streamkv.kafka_partition(convert_to('customer-7', 'UTF8'), 3), 0, 2);

-- Stateless primitives
SELECT streamkv.geohash_encode(-122.4194, 37.7749, 7) AS sf_geohash;
SELECT streamkv.geo_distance(13.361389, 38.115556, 15.087269, 37.502669, 'km') AS palermo_catania_km;
SELECT streamkv.key_slot('{user1000}.following') AS slot;
SELECT streamkv.bloom_contains(streamkv.bloom_agg(i::text, 1000, 0.01), '42') AS has_42
  FROM generate_series(1, 1000) i;
