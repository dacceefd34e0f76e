-- Consumer groups (src/group.c): committed offsets, membership with
-- server-side partition assignment, and share (queue) groups with per-record
-- locks, redelivery and dead letters.  All group state lives in this
-- database's groups store (an index of streamkv_store) and is logged by
-- streamkv's resource manager: it survives crashes and appears on standbys.

CREATE TYPE streamkv.topic_partition AS (topic text, partition integer);
COMMENT ON TYPE streamkv.topic_partition IS 'A partition of a topic (an entry of a member''s assignment)';

CREATE TYPE streamkv.acquired_record AS (
    topic text, partition integer, "offset" bigint, "timestamp" timestamptz,
    key bytea, value bytea, headers streamkv.header[],
    delivery_count integer, locked_until timestamptz);
COMMENT ON TYPE streamkv.acquired_record IS
  'A record handed to a share-group consumer: the record, how many times it has been delivered (1 the first time) and until when the consumer holds it';

-- Committed offsets ---------------------------------------------------------

CREATE FUNCTION streamkv.commit("group" text, topic text, partition integer, "offset" bigint,
    metadata text DEFAULT NULL, member text DEFAULT NULL, generation integer DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'sk_group_commit' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.commit(text, text, integer, bigint, text, text, integer) IS
  'Commits a consumer group''s offset for a partition (the next offset to read); with member and generation, the commit is fenced: it fails when the member is not in the group or the generation is stale';

CREATE FUNCTION streamkv.committed("group" text, topic text, OUT partition integer,
    OUT "offset" bigint, OUT metadata text, OUT committed_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_committed' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.committed(text, text) IS
  'The group''s committed offsets for a topic, one row per partition that has one';

CREATE FUNCTION streamkv.lag("group" text, OUT topic text, OUT partition integer,
    OUT committed bigint, OUT high_watermark bigint, OUT lag bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_lag' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.lag(text) IS
  'Per partition of every topic the group has offsets for or is subscribed to: committed offset, high watermark and lag (high watermark - committed; NULL committed counts from the log start)';

CREATE FUNCTION streamkv.reset_offsets("group" text, topic text, "to" text,
    OUT partition integer, OUT "offset" bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_reset_offsets' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reset_offsets(text, text, text) IS
  'Sets the group''s committed offsets of every partition of the topic to ''earliest'' (log start) or ''latest'' (high watermark); the group must have no members';

CREATE FUNCTION streamkv.reset_offsets("group" text, topic text, "to" timestamptz,
    OUT partition integer, OUT "offset" bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_reset_offsets' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reset_offsets(text, text, timestamptz) IS
  'Sets the group''s committed offsets of every partition of the topic to the first record at or after the time (the high watermark where none is); the group must have no members';

CREATE FUNCTION streamkv.reset_offsets("group" text, topic text, "to" bigint,
    OUT partition integer, OUT "offset" bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_reset_offsets' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reset_offsets(text, text, bigint) IS
  'Sets the group''s committed offsets of every partition of the topic to the offset, clamped to the partition''s log start and high watermark; the group must have no members';

CREATE FUNCTION streamkv.delete_group("group" text) RETURNS void
AS 'MODULE_PATHNAME', 'sk_group_delete' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.delete_group(text) IS
  'Deletes a consumer group or share group with its offsets; a consumer group must have no members';

CREATE FUNCTION streamkv.groups(OUT "group" text, OUT type text, OUT state text,
    OUT generation integer, OUT members integer, OUT strategy text, OUT topics text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_list' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.groups() IS
  'Every consumer group (type consumer: state Empty or Stable, generation, members, assignment strategy) and share group (type share) of this database';

-- Membership and assignment ---------------------------------------------------

CREATE FUNCTION streamkv.join("group" text, topics text[], member text DEFAULT NULL,
    strategy text DEFAULT 'range', session_timeout_ms integer DEFAULT 45000,
    instance_id text DEFAULT NULL, auto_offset_reset text DEFAULT 'latest',
    OUT member_id text, OUT generation_id integer, OUT assignment streamkv.topic_partition[])
AS 'MODULE_PATHNAME', 'sk_group_join' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.join(text, text[], text, text, integer, text, text) IS
  'Joins (or rejoins) a consumer group subscribed to topics; the server assigns partitions (range, roundrobin or sticky) and returns the member id, the generation and this member''s assignment';

CREATE FUNCTION streamkv.heartbeat("group" text, member text, generation integer DEFAULT NULL,
    OUT member_id text, OUT generation_id integer, OUT assignment streamkv.topic_partition[])
AS 'MODULE_PATHNAME', 'sk_group_heartbeat' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.heartbeat(text, text, integer) IS
  'Keeps a member alive within its session timeout and returns the current generation and its assignment; fails when the member was removed, or when a given generation is stale';

CREATE FUNCTION streamkv.leave("group" text, member text) RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_group_leave' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.leave(text, text) IS
  'Removes a member from a consumer group (the others are rebalanced); false when it was not a member';

CREATE FUNCTION streamkv.members("group" text, OUT member text, OUT instance_id text,
    OUT session_timeout_ms integer, OUT last_heartbeat timestamptz,
    OUT assignment streamkv.topic_partition[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_group_members' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.members(text) IS
  'The members of a consumer group with their assignment and last heartbeat';

CREATE FUNCTION streamkv.poll("group" text, member text, max_records integer DEFAULT 500,
    wait_ms integer DEFAULT 0, generation integer DEFAULT NULL)
RETURNS SETOF streamkv.record
AS 'MODULE_PATHNAME', 'sk_group_poll' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.poll(text, text, integer, integer, integer) IS
  'Records of the member''s assigned partitions from its position (after an assignment: the committed offset, else auto_offset_reset); counts as a heartbeat; with wait_ms, blocks until records arrive';

-- Share groups -------------------------------------------------------------------

CREATE FUNCTION streamkv.create_share_group("group" text, topic text,
    lock_duration_ms integer DEFAULT 30000, max_deliveries integer DEFAULT 5,
    dead_letter_topic text DEFAULT NULL, auto_offset_reset text DEFAULT 'latest')
RETURNS void
AS 'MODULE_PATHNAME', 'sk_share_create' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.create_share_group(text, text, integer, integer, text, text) IS
  'Creates a share (queue) group on a topic: records are acquired by one consumer at a time for lock_duration_ms, redelivered when released or when the lock expires, and dead-lettered after max_deliveries';

CREATE FUNCTION streamkv.acquire("group" text, consumer text, max_records integer DEFAULT 100,
    wait_ms integer DEFAULT 0, ack_partitions integer[] DEFAULT '{}', ack_offsets bigint[] DEFAULT '{}')
RETURNS SETOF streamkv.acquired_record
AS 'MODULE_PATHNAME', 'sk_share_acquire' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.acquire(text, text, integer, integer, integer[], bigint[]) IS
  'Acknowledges the records given by ack_partitions/ack_offsets that the consumer holds (as ack does), then acquires up to max_records (0: acknowledge only) available records of the share group for the consumer (locked until now + lock_duration); with wait_ms, blocks until records are available';

CREATE FUNCTION streamkv.ack("group" text, consumer text, partition integer, offsets bigint[])
RETURNS integer
AS 'MODULE_PATHNAME', 'sk_share_ack' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.ack(text, text, integer, bigint[]) IS
  'Acknowledges records the consumer holds (done); returns how many were acknowledged';

CREATE FUNCTION streamkv.ack("group" text, consumer text, partition integer, "offset" bigint)
RETURNS integer
AS 'SELECT streamkv.ack($1, $2, $3, ARRAY[$4])' LANGUAGE SQL STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.ack(text, text, integer, bigint) IS
  'Acknowledges one record the consumer holds; returns 1, or 0 when it does not hold it';

CREATE FUNCTION streamkv.release("group" text, consumer text, partition integer, offsets bigint[])
RETURNS integer
AS 'MODULE_PATHNAME', 'sk_share_release' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.release(text, text, integer, bigint[]) IS
  'Releases records the consumer holds for redelivery now (dead-lettered instead when they reached max_deliveries); returns how many';

CREATE FUNCTION streamkv.release("group" text, consumer text, partition integer, "offset" bigint)
RETURNS integer
AS 'SELECT streamkv.release($1, $2, $3, ARRAY[$4])' LANGUAGE SQL STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.release(text, text, integer, bigint) IS
  'Releases one record the consumer holds for redelivery now; returns 1, or 0 when it does not hold it';

CREATE FUNCTION streamkv.reject("group" text, consumer text, partition integer, offsets bigint[])
RETURNS integer
AS 'MODULE_PATHNAME', 'sk_share_reject' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reject(text, text, integer, bigint[]) IS
  'Rejects records the consumer holds: they leave the group and go to its dead-letter topic (if any) with reason rejected; returns how many';

CREATE FUNCTION streamkv.reject("group" text, consumer text, partition integer, "offset" bigint)
RETURNS integer
AS 'SELECT streamkv.reject($1, $2, $3, ARRAY[$4])' LANGUAGE SQL STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.reject(text, text, integer, bigint) IS
  'Rejects one record the consumer holds (dead-lettered); returns 1, or 0 when it does not hold it';

CREATE FUNCTION streamkv.pending("group" text, OUT partition integer, OUT "offset" bigint,
    OUT consumer text, OUT idle interval, OUT deliveries integer, OUT locked_until timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_share_pending' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.pending(text) IS
  'Records of a share group that are delivered but not yet acknowledged (like XPENDING): consumer, time since delivery, delivery count and lock deadline (in the past when the lock expired)';

CREATE FUNCTION streamkv.compact_groups() RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_group_compact' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.compact_groups() IS
  'Rewrites this database''s groups store now as a snapshot of every group (writes do this by themselves when the log has grown four times past the last snapshot); returns the operations in the snapshot';
