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

-- Consumer groups: server-side assignment, poll, committed offsets and lag
SELECT member_id, generation_id, assignment
  FROM streamkv.join('demo_billing', ARRAY['demo_orders'], member => 'billing-1', auto_offset_reset => 'earliest');
SELECT partition, "offset", convert_from(value, 'UTF8') AS value FROM streamkv.poll('demo_billing', 'billing-1', 3);
SELECT streamkv.commit('demo_billing', 'demo_orders', 0, 2, 'processed');
SELECT * FROM streamkv.lag('demo_billing');
SELECT streamkv.leave('demo_billing', 'billing-1');

-- A share group: a queue over the topic with locks, retries and dead letters
SELECT streamkv.create_topic('demo_dead_letters');
SELECT streamkv.create_share_group('demo_workers', 'demo_orders', lock_duration_ms => 30000,
       max_deliveries => 3, dead_letter_topic => 'demo_dead_letters', auto_offset_reset => 'earliest');
SELECT partition, "offset", delivery_count FROM streamkv.acquire('demo_workers', 'worker-1', 3);
SELECT streamkv.reject('demo_workers', 'worker-1', partition, "offset")
  FROM streamkv.pending('demo_workers') LIMIT 1;
SELECT partition, "offset", consumer, deliveries FROM streamkv.pending('demo_workers');
-- the next acquire carries the acknowledgements of what worker-1 finished (Kafka's share consumer loop)
SELECT partition, "offset", delivery_count FROM streamkv.acquire('demo_workers', 'worker-1', 3, 0,
       ack_partitions => (SELECT array_agg(partition) FROM streamkv.pending('demo_workers')),
       ack_offsets => (SELECT array_agg("offset") FROM streamkv.pending('demo_workers')));
SELECT h.key, convert_from(h.value, 'UTF8') AS value
  FROM streamkv.fetch('demo_dead_letters', 0, 0, 1) f, unnest(f.headers) h;

-- Stateless primitives
SELECT streamkv.geohash_encode(-122.4194, 37.7749, 7) AS sf_geohash;
SELECT streamkv.geo_distance(13.361389, 38.115556, 15.087269, 37.502669, 'km') AS palermo_catania_km;
SELECT streamkv.key_slot('{user1000}.following') AS slot;
SELECT streamkv.bloom_contains(streamkv.bloom_agg(i::text, 1000, 0.01), '42') AS has_42
  FROM generate_series(1, 1000) i;
