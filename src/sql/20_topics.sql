-- Kafka-style topics (src/topic.c). A topic is a page store (an index of
-- streamkv_store on streamkv.store_anchor named topic_<name>) with one chain
-- of records per partition; its configuration lives in the store's metapage.
-- Creating and dropping a topic is transactional (CREATE/DROP INDEX); produce
-- is not (like nextval()): a record is written when produce returns and
-- becomes visible to consumers once its WAL is durable (the high watermark).

CREATE TYPE streamkv.header AS (key text, value bytea);
COMMENT ON TYPE streamkv.header IS 'A Kafka record header: text key, bytea value (duplicates allowed, order kept)';

CREATE TYPE streamkv.record AS (
    topic text, partition integer, "offset" bigint, "timestamp" timestamptz,
    key bytea, value bytea, headers streamkv.header[]);
COMMENT ON TYPE streamkv.record IS 'A record fetched from a topic';

CREATE FUNCTION streamkv.create_topic(name text, partitions integer DEFAULT 1,
    retention_ms bigint DEFAULT 604800000, retention_bytes bigint DEFAULT -1,
    max_message_bytes integer DEFAULT 1048588, timestamp_type text DEFAULT 'create')
RETURNS void
AS 'MODULE_PATHNAME', 'sk_create_topic' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.create_topic(text, integer, bigint, bigint, integer, text) IS
  'Creates a topic (transactional): partitions 1..256, retention_ms (-1 forever), retention_bytes per partition (-1 unlimited), max_message_bytes, timestamp_type create|log_append';

CREATE FUNCTION streamkv.alter_topic(name text, partitions integer DEFAULT NULL,
    retention_ms bigint DEFAULT NULL, retention_bytes bigint DEFAULT NULL,
    max_message_bytes integer DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sk_alter_topic' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.alter_topic(text, integer, bigint, bigint, integer) IS
  'Changes a topic''s retention and limits, or adds partitions (never fewer); NULL keeps a setting';

CREATE FUNCTION streamkv.drop_topic(name text) RETURNS void
AS 'MODULE_PATHNAME', 'sk_drop_topic' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.drop_topic(text) IS 'Drops a topic and its records (transactional)';

CREATE FUNCTION streamkv.topics(OUT name text, OUT partitions integer, OUT retention_ms bigint,
    OUT retention_bytes bigint, OUT max_message_bytes integer, OUT timestamp_type text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_topics' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.topics() IS 'Every topic of this database with its configuration';

CREATE FUNCTION streamkv.partitions(topic text, OUT partition integer, OUT log_start_offset bigint,
    OUT high_watermark bigint, OUT log_end_offset bigint, OUT records bigint, OUT bytes bigint,
    OUT first_timestamp timestamptz, OUT last_timestamp timestamptz, OUT produced bigint,
    OUT produce_rate float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_partitions' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.partitions(text) IS
  'Per partition: log start offset, high watermark (durable end), log end offset, records, bytes, first and last timestamp, records produced since the topic was loaded and the recent produce rate in records/s (to spot hot partitions)';

CREATE FUNCTION streamkv.produce(topic text, value bytea, key bytea DEFAULT NULL,
    headers streamkv.header[] DEFAULT NULL, partition integer DEFAULT NULL,
    "timestamp" timestamptz DEFAULT NULL, OUT partition integer, OUT "offset" bigint)
AS 'MODULE_PATHNAME', 'sk_produce' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.produce(text, bytea, bytea, streamkv.header[], integer, timestamptz) IS
  'Appends a record; an explicit partition wins, else the key''s murmur2 partition (as Kafka''s Java client), else a sticky partition; returns (partition, offset)';

CREATE FUNCTION streamkv.produce(topic text, value text, key text DEFAULT NULL,
    headers streamkv.header[] DEFAULT NULL, partition integer DEFAULT NULL,
    "timestamp" timestamptz DEFAULT NULL, OUT partition integer, OUT "offset" bigint)
AS 'SELECT * FROM streamkv.produce($1, convert_to($2, ''UTF8''), convert_to($3, ''UTF8''), $4, $5, $6)'
LANGUAGE SQL VOLATILE;
COMMENT ON FUNCTION streamkv.produce(text, text, text, streamkv.header[], integer, timestamptz) IS
  'produce() with a text value and key (stored as UTF-8 bytes)';

CREATE FUNCTION streamkv.produce(topic text, value jsonb, key text DEFAULT NULL,
    headers streamkv.header[] DEFAULT NULL, partition integer DEFAULT NULL,
    "timestamp" timestamptz DEFAULT NULL, OUT partition integer, OUT "offset" bigint)
AS 'SELECT * FROM streamkv.produce($1, convert_to($2::text, ''UTF8''), convert_to($3, ''UTF8''), $4, $5, $6)'
LANGUAGE SQL VOLATILE;
COMMENT ON FUNCTION streamkv.produce(text, jsonb, text, streamkv.header[], integer, timestamptz) IS
  'produce() with a jsonb value (stored as its UTF-8 text) and a text key';

-- Bulk produce: an aggregate that writes records as pages fill (one WAL
-- record per page filled, not per record).
CREATE FUNCTION streamkv._produce_agg_step(state internal, topic text, value bytea, key bytea)
RETURNS internal
AS 'MODULE_PATHNAME', 'sk_produce_agg_step' LANGUAGE C VOLATILE;
CREATE FUNCTION streamkv._produce_agg_final(state internal) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_produce_agg_final' LANGUAGE C VOLATILE;
CREATE AGGREGATE streamkv.produce_agg(topic text, value bytea, key bytea) (
    SFUNC = streamkv._produce_agg_step, STYPE = internal,
    FINALFUNC = streamkv._produce_agg_final);
COMMENT ON AGGREGATE streamkv.produce_agg(text, bytea, bytea) IS
  'Bulk produce: appends one record per input row (routed like produce), writing one WAL record per page filled; returns the number of records';
COMMENT ON FUNCTION streamkv._produce_agg_step(internal, text, bytea, bytea) IS 'Internal: transition function of produce_agg';
COMMENT ON FUNCTION streamkv._produce_agg_final(internal) IS 'Internal: final function of produce_agg';
-- CREATE AGGREGATE makes every aggregate IMMUTABLE (pg_proc.provolatile 'i', whatever its
-- transition function is), so the planner may drop a produce_agg(...) output column nobody
-- reads, as in SELECT count(*) FROM (SELECT streamkv.produce_agg(...) FROM src) s, and then
-- nothing is produced.  It has side effects: mark it VOLATILE.
UPDATE pg_catalog.pg_proc SET provolatile = 'v'
 WHERE oid = 'streamkv.produce_agg(text, bytea, bytea)'::pg_catalog.regprocedure;

CREATE FUNCTION streamkv.fetch(topic text, partition integer, "offset" bigint,
    max_records integer DEFAULT 500, max_bytes integer DEFAULT 52428800, wait_ms integer DEFAULT 0)
RETURNS SETOF streamkv.record
AS 'MODULE_PATHNAME', 'sk_fetch' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.fetch(text, integer, bigint, integer, integer, integer) IS
  'Records of a partition from offset, below the high watermark; with wait_ms, blocks until records arrive or the wait ends';

CREATE FUNCTION streamkv.offsets_for_times(topic text, "timestamp" timestamptz,
    OUT partition integer, OUT "offset" bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_offsets_for_times' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.offsets_for_times(text, timestamptz) IS
  'Per partition, the first offset whose timestamp is at or after the given time (NULL when none)';
