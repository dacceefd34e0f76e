-- streamkv.dump_rows: what pg_dump carries (the TAP test t/022_pg_dump.pl
-- restores a whole database); here the rows of a small database, and every
-- refusal.
CREATE EXTENSION streamkv;
SELECT kind, name, part, pos FROM streamkv.dump_rows;
SELECT streamkv.create_topic('dr_t', 2);
SELECT * FROM streamkv.produce('dr_t', 'v1'::text, 'k1', partition => 1, "timestamp" => '2030-01-01 00:00:00+00');
SELECT * FROM streamkv.produce('dr_t', 'v2'::bytea, NULL, ARRAY[('h', 'x'::bytea)]::streamkv.header[], 0, '2030-01-01 00:00:01+00');
SELECT streamkv.set('dr:k', 'v', pxat => 4102444800000);
SELECT streamkv.hset('dr:h', 'f', 'v');
SELECT streamkv.commit('dr_g', 'dr_t', 1, 1, metadata => 'meta');
SELECT kind, name, part, CASE WHEN kind = 'group_op' THEN NULL ELSE pos END AS pos, ts, key, value, length(data) AS datalen
  FROM streamkv.dump_rows;  -- a commit's pos is its time

-- a restore into another topic name: rows are applied as they come
INSERT INTO streamkv.dump_rows (kind, name, part, data)
  VALUES ('topic', 'dr_copy', 1, convert_to('retention_ms=-1 retention_bytes=-1 max_message_bytes=1048588 timestamp_type=create', 'UTF8'));
INSERT INTO streamkv.dump_rows (kind, name, part, pos) VALUES ('log_start', 'dr_copy', 0, 41);
INSERT INTO streamkv.dump_rows (kind, name, part, pos, ts, key, value)
  VALUES ('record', 'dr_copy', 0, 41, '2030-01-01 00:00:00+00', NULL, 'restored');
SELECT partition, log_start_offset, high_watermark FROM streamkv.partitions('dr_copy');
SELECT partition, "offset", "timestamp", key, value FROM streamkv.fetch('dr_copy', 0, 0);
SELECT partition, "offset", "timestamp", key, value FROM streamkv.fetch('dr_copy', 0, 41);

-- refusals: nothing is applied
INSERT INTO streamkv.dump_rows (kind) VALUES ('nonsense');
INSERT INTO streamkv.dump_rows (kind, pos) VALUES ('format', 2);
INSERT INTO streamkv.dump_rows (kind, name, part, data) VALUES ('topic', 'dr_t', 1, convert_to('retention_ms=-1 retention_bytes=-1 max_message_bytes=1048588 timestamp_type=create', 'UTF8'));
INSERT INTO streamkv.dump_rows (kind, name, part, data) VALUES ('topic', 'dr_bad', 1, 'garbage');
INSERT INTO streamkv.dump_rows (kind, name, part, data) VALUES ('topic', 'dr_bad', 0, convert_to('retention_ms=-1 retention_bytes=-1 max_message_bytes=1048588 timestamp_type=create', 'UTF8'));
INSERT INTO streamkv.dump_rows (kind, name, part, pos) VALUES ('log_start', 'dr_copy', 0, 50);
INSERT INTO streamkv.dump_rows (kind, name, part, pos, ts, value) VALUES ('record', 'dr_copy', 0, 41, now(), 'again');
INSERT INTO streamkv.dump_rows (kind, name, part, pos, ts, value) VALUES ('record', 'dr_copy', 5, 42, now(), 'x');
INSERT INTO streamkv.dump_rows (kind, name, part, pos, ts, value) VALUES ('record', 'dr_none', 0, 0, now(), 'x');
INSERT INTO streamkv.dump_rows (kind, name, part, pos, ts, value, data) VALUES ('record', 'dr_copy', 0, 42, now(), 'x', '\x0100');
INSERT INTO streamkv.dump_rows (kind, name, part, pos) VALUES ('record', 'dr_copy', 0, 42);
INSERT INTO streamkv.dump_rows (kind, part, key) VALUES ('key_op', 250, 'k');
INSERT INTO streamkv.dump_rows (kind, part) VALUES ('key_op', 16);
INSERT INTO streamkv.dump_rows (kind, name, part) VALUES ('group_op', 'g', 1);
INSERT INTO streamkv.dump_rows (kind, name, part) VALUES ('group_op', 'g', 67);
SELECT partition, log_start_offset, high_watermark FROM streamkv.partitions('dr_copy');
UPDATE streamkv.dump_rows SET pos = 0;
DELETE FROM streamkv.dump_rows;
SELECT count(*) FROM streamkv.dump_rows TABLESAMPLE SYSTEM (50);
CREATE INDEX ON streamkv.dump_rows (kind);
SELECT streamkv.dbsize();
SELECT streamkv.drop_topic('dr_t');
SELECT streamkv.drop_topic('dr_copy');
