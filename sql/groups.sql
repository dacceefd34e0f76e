CREATE EXTENSION IF NOT EXISTS streamkv;
-- Consumer groups and share groups: every function of src/sql/30_groups.sql
-- and its errors.  Errors are shown through pg_temp.err(): SQLSTATE, message
-- and detail.  Member ids that the server generates are masked or matched
-- with a pattern; times are shown as comparisons.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || CASE WHEN d <> '' THEN ' DETAIL: ' || d ELSE '' END;
END $$;
-- what a poll returns, in one string: topic/partition:offset=value
CREATE FUNCTION pg_temp.poll(g text, m text, n int DEFAULT 500, gen int DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(format('%s/%s:%s=%s', topic, partition, "offset", convert_from(value, 'UTF8')),
                               ' ' ORDER BY topic, partition, "offset"), '(none)')
      FROM streamkv.poll(g, m, n, 0, gen)
$$;
-- a group's assignment: every partition of the topics assigned exactly once?
CREATE FUNCTION pg_temp.check_assignment(g text, subscribed text[]) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s assigned, %s distinct, %s partitions', count(*), count(DISTINCT (a.topic, a.partition)),
                  (SELECT sum(t.partitions) FROM streamkv.topics() t WHERE t.name = ANY (subscribed)))
      FROM streamkv.members(g) m, unnest(m.assignment) a
$$;
-- a partition's records in one string: offset:value
CREATE FUNCTION pg_temp.dump(t text, p int) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg("offset" || ':' || convert_from(value, 'UTF8'), ' ' ORDER BY "offset"), '')
      FROM streamkv.fetch(t, p, 0, 100000)
$$;

-- ================================================================ committed offsets
SELECT streamkv.create_topic('off', 3);
SELECT count(*) FROM (SELECT streamkv.produce('off', 'a' || i, partition => 0) FROM generate_series(0, 4) i) s;
SELECT count(*) FROM (SELECT streamkv.produce('off', 'b' || i, partition => 1) FROM generate_series(0, 1) i) s;
SELECT count(*) FROM (SELECT streamkv.produce('off', 'c' || i, partition => 2) FROM generate_series(0, 2) i) s;

-- ---------------------------------------------------------------- commit / committed
SELECT clock_timestamp() AS t0 \gset
-- the first commit creates the group (type consumer, Empty)
SELECT streamkv.commit('g1', 'off', 0, 3);
SELECT streamkv.commit('g1', 'off', 1, 1, 'meta-1');
SELECT partition, "offset", metadata,
       committed_at BETWEEN date_trunc('milliseconds', :'t0'::timestamptz) AND clock_timestamp() AS committed_now
  FROM streamkv.committed('g1', 'off');
SELECT * FROM streamkv.groups() WHERE "group" = 'g1';
-- a later commit replaces offset and metadata
SELECT streamkv.commit('g1', 'off', 0, 4);
SELECT streamkv.commit('g1', 'off', 1, 2, 'meta-2');
SELECT partition, "offset", metadata FROM streamkv.committed('g1', 'off');
-- an offset at or above the high watermark is allowed (Kafka allows it); 0 too
SELECT streamkv.commit('g_hi', 'off', 0, 5);
SELECT streamkv.commit('g_hi', 'off', 1, 1000);
SELECT streamkv.commit('g_hi', 'off', 2, 0);
SELECT partition, "offset" FROM streamkv.committed('g_hi', 'off');
-- errors
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', 0, -1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'nosuch', 0, 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', 3, 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', -1, 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit(NULL, 'off', 0, 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('g1', NULL, 0, 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', NULL, 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', 0, NULL)$$);
-- metadata: at most 4096 bytes (Kafka's offset.metadata.max.bytes)
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', 2, 1, repeat('m', 4097))$$);
SELECT streamkv.commit('g_meta', 'off', 2, 1, repeat('m', 4096));
SELECT partition, length(metadata) FROM streamkv.committed('g_meta', 'off');
SELECT streamkv.delete_group('g_meta');
-- fencing: a generation needs a member; a member must be in the group
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', 0, 1, generation => 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', 0, 1, member => 'ghost')$$);
SELECT pg_temp.err($$SELECT streamkv.commit('g1', 'off', 0, 1, member => 'ghost', generation => 0)$$);
-- group names: 1..249 bytes
SELECT pg_temp.err($$SELECT streamkv.commit('', 'off', 0, 1)$$);
SELECT replace(pg_temp.err($$SELECT streamkv.commit(repeat('x', 250), 'off', 0, 1)$$), repeat('x', 250), 'x…x');
SELECT replace(pg_temp.err($$SELECT streamkv.commit(repeat('é', 125), 'off', 0, 1)$$), repeat('é', 125), 'é…é');
SELECT pg_temp.err($$SELECT streamkv.commit(repeat('x', 249), 'off', 0, 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit(repeat('é', 124) || 'x', 'off', 0, 1)$$);
SELECT length("group"), octet_length("group") FROM streamkv.groups() WHERE length("group") > 100 ORDER BY 1, 2;
SELECT streamkv.delete_group(repeat('x', 249)), streamkv.delete_group(repeat('é', 124) || 'x');
-- none of the failures changed g1 or created a group
SELECT partition, "offset", metadata FROM streamkv.committed('g1', 'off');
SELECT "group" FROM streamkv.groups() ORDER BY 1;
-- committed: unknown group; the topic is not validated; STRICT
SELECT pg_temp.err($$SELECT * FROM streamkv.committed('nosuch', 'off')$$);
SELECT count(*) FROM streamkv.committed('g1', 'nosuch');
SELECT count(*) FROM streamkv.committed('g1', NULL);
SELECT count(*) FROM streamkv.committed(NULL, 'off');
-- not transactional: a ROLLBACK keeps the commit
BEGIN;
SELECT streamkv.commit('g_tx', 'off', 2, 2);
ROLLBACK;
SELECT partition, "offset" FROM streamkv.committed('g_tx', 'off');

-- ---------------------------------------------------------------- lag
-- hwm: 5, 2, 3; committed 4, 2 and none (counted from the log start)
SELECT * FROM streamkv.lag('g1');
SELECT pg_temp.err($$SELECT * FROM streamkv.lag('nosuch')$$);
SELECT count(*) FROM streamkv.lag(NULL);
-- producing raises the lag
SELECT "offset" FROM streamkv.produce('off', 'a5'::text, partition => 0);
SELECT * FROM streamkv.lag('g1') WHERE partition = 0;

-- ---------------------------------------------------------------- reset_offsets
-- creates the group; every partition of the topic
SELECT * FROM streamkv.reset_offsets('g_reset', 'off', 'earliest') ORDER BY partition;
SELECT partition, "offset" FROM streamkv.committed('g_reset', 'off');
SELECT * FROM streamkv.reset_offsets('g_reset', 'off', 'latest') ORDER BY partition;
SELECT partition, "offset" FROM streamkv.committed('g_reset', 'off');
-- an offset, clamped to [log start, high watermark] per partition
SELECT * FROM streamkv.reset_offsets('g_reset', 'off', 3) ORDER BY partition;
SELECT * FROM streamkv.reset_offsets('g_reset', 'off', -5::bigint) ORDER BY partition;
SELECT * FROM streamkv.reset_offsets('g_reset', 'off', 1000000) ORDER BY partition;
SELECT partition, "offset" FROM streamkv.committed('g_reset', 'off');
-- a time: the first offset at or after it, else the high watermark
SELECT streamkv.create_topic('ts', 2);
SELECT count(*) FROM (
  SELECT streamkv.produce('ts', 't' || i, partition => 0,
                          "timestamp" => '2020-01-01 00:00:00+00'::timestamptz + i * interval '1 minute')
    FROM generate_series(0, 2) i) s;
SELECT * FROM streamkv.reset_offsets('g_reset', 'ts', '2019-06-01 00:00:00+00'::timestamptz) ORDER BY partition;
SELECT * FROM streamkv.reset_offsets('g_reset', 'ts', '2020-01-01 00:01:00+00'::timestamptz) ORDER BY partition;
SELECT * FROM streamkv.reset_offsets('g_reset', 'ts', '2020-01-01 00:01:00.001+00'::timestamptz) ORDER BY partition;
SELECT * FROM streamkv.reset_offsets('g_reset', 'ts', '2021-01-01 00:00:00+00'::timestamptz) ORDER BY partition;
SELECT partition, "offset" FROM streamkv.committed('g_reset', 'ts');
-- the group now has offsets for both topics
SELECT * FROM streamkv.lag('g_reset');
-- errors
SELECT pg_temp.err($$SELECT * FROM streamkv.reset_offsets('g_reset', 'off', 'bogus')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.reset_offsets('g_reset', 'nosuch', 'earliest')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.reset_offsets('g_reset', 'nosuch', 0)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.reset_offsets('', 'off', 'earliest')$$);
SELECT count(*) FROM streamkv.reset_offsets('g_reset', 'off', NULL::text);
SELECT partition, "offset" FROM streamkv.committed('g_reset', 'off');

-- ---------------------------------------------------------------- delete_group
SELECT pg_temp.err($$SELECT streamkv.delete_group('nosuch')$$);
SELECT streamkv.delete_group('g_reset');
SELECT pg_temp.err($$SELECT * FROM streamkv.committed('g_reset', 'off')$$);
SELECT pg_temp.err($$SELECT streamkv.delete_group('g_reset')$$);
SELECT streamkv.delete_group(NULL);
-- a deleted group comes back empty
SELECT * FROM streamkv.reset_offsets('g_reset', 'ts', 'earliest') ORDER BY partition;
SELECT count(*) FROM streamkv.committed('g_reset', 'off');
SELECT streamkv.delete_group('g_reset');

-- ================================================================ membership and assignment
-- members that must not time out while the test runs (under valgrind too)
\set tmo 3600000
SELECT streamkv.create_topic('ta', 4);
SELECT streamkv.create_topic('tb', 2);

-- ---------------------------------------------------------------- range
-- per topic, the members subscribed to it sorted by id get contiguous ranges,
-- the first (partitions % members) one more
SELECT * FROM streamkv.join('gr', ARRAY['ta', 'tb'], 'c1', session_timeout_ms => :tmo);
SELECT * FROM streamkv.join('gr', ARRAY['ta', 'tb'], 'c2', session_timeout_ms => :tmo);
-- c1 sees the rebalance on its next heartbeat, without rejoining
SELECT * FROM streamkv.heartbeat('gr', 'c1');
SELECT * FROM streamkv.join('gr', ARRAY['ta', 'tb'], 'c3', strategy => 'range', session_timeout_ms => :tmo);
SELECT member, instance_id, session_timeout_ms, last_heartbeat <= now() AS hb_past, assignment
  FROM streamkv.members('gr');
SELECT pg_temp.check_assignment('gr', ARRAY['ta', 'tb']);
SELECT * FROM streamkv.groups() WHERE "group" = 'gr';
-- rejoin with the same subscription (in another order): no rebalance
SELECT * FROM streamkv.join('gr', ARRAY['tb', 'ta'], 'c1', session_timeout_ms => :tmo);
SELECT * FROM streamkv.heartbeat('gr', 'c2', 3);
-- a changed subscription rebalances: c3 only on tb
SELECT * FROM streamkv.join('gr', ARRAY['tb'], 'c3', session_timeout_ms => :tmo);
SELECT member, assignment FROM streamkv.members('gr');
SELECT pg_temp.check_assignment('gr', ARRAY['ta', 'tb']);
-- heartbeat errors: stale generation, unknown member, unknown group
SELECT pg_temp.err($$SELECT * FROM streamkv.heartbeat('gr', 'c1', 3)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.heartbeat('gr', 'c1', 5)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.heartbeat('gr', 'nobody')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.heartbeat('nosuch', 'c1')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.heartbeat(NULL, 'c1')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.heartbeat('gr', NULL)$$);
SELECT * FROM streamkv.heartbeat('gr', 'c1', 4);
-- another strategy while the group has members
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gr', ARRAY['ta'], 'c4', 'roundrobin')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gr', ARRAY['ta', 'tb'], 'c1', 'sticky')$$);
-- a group with members: no reset, no delete
SELECT pg_temp.err($$SELECT * FROM streamkv.reset_offsets('gr', 'ta', 'earliest')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.reset_offsets('gr', 'ta', 0)$$);
SELECT pg_temp.err($$SELECT streamkv.delete_group('gr')$$);
-- fenced commits
SELECT streamkv.commit('gr', 'ta', 0, 0, member => 'c1', generation => 4);
SELECT streamkv.commit('gr', 'ta', 1, 0, member => 'c1');
SELECT pg_temp.err($$SELECT streamkv.commit('gr', 'ta', 0, 1, member => 'c1', generation => 3)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('gr', 'ta', 0, 1, member => 'c1', generation => 5)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('gr', 'ta', 0, 1, member => 'zz', generation => 4)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('gr', 'ta', 0, 1, generation => 4)$$);
SELECT partition, "offset" FROM streamkv.committed('gr', 'ta');
-- lag covers the subscribed topics (tb has no offsets)
SELECT * FROM streamkv.lag('gr');
-- leave: the others are rebalanced
SELECT streamkv.leave('gr', 'c2');
SELECT streamkv.leave('gr', 'c2');
SELECT pg_temp.err($$SELECT streamkv.leave('nosuch', 'c2')$$);
SELECT streamkv.leave('gr', NULL);
SELECT * FROM streamkv.heartbeat('gr', 'c1');
SELECT member, assignment FROM streamkv.members('gr');
SELECT pg_temp.err($$SELECT * FROM streamkv.heartbeat('gr', 'c2')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.members('nosuch')$$);
SELECT count(*) FROM streamkv.members(NULL);

-- ---------------------------------------------------------------- roundrobin
-- every partition of the subscribed topics, sorted, dealt to the sorted members
SELECT * FROM streamkv.join('grr', ARRAY['ta', 'tb'], 'c1', 'roundrobin', session_timeout_ms => :tmo);
SELECT * FROM streamkv.join('grr', ARRAY['ta', 'tb'], 'c2', 'roundrobin', session_timeout_ms => :tmo);
SELECT * FROM streamkv.join('grr', ARRAY['ta', 'tb'], 'c3', 'roundrobin', session_timeout_ms => :tmo);
SELECT member, assignment FROM streamkv.members('grr');
SELECT pg_temp.check_assignment('grr', ARRAY['ta', 'tb']);
-- c3 subscribed to tb only: a partition skips the members not subscribed to it
SELECT * FROM streamkv.join('grr', ARRAY['tb'], 'c3', 'roundrobin', session_timeout_ms => :tmo);
SELECT member, assignment FROM streamkv.members('grr');
SELECT pg_temp.check_assignment('grr', ARRAY['ta', 'tb']);
SELECT "group", type, state, generation, members, strategy, topics FROM streamkv.groups() WHERE "group" = 'grr';

-- ---------------------------------------------------------------- sticky
CREATE TEMP TABLE snap (step int, member text, topic text, partition int);
SELECT * FROM streamkv.join('gs', ARRAY['ta', 'tb'], 'c1', 'sticky', session_timeout_ms => :tmo);
SELECT * FROM streamkv.join('gs', ARRAY['ta', 'tb'], 'c2', 'sticky', session_timeout_ms => :tmo);
SELECT member, assignment FROM streamkv.members('gs');
INSERT INTO snap SELECT 2, m.member, a.topic, a.partition FROM streamkv.members('gs') m, unnest(m.assignment) a;
SELECT * FROM streamkv.join('gs', ARRAY['ta', 'tb'], 'c3', 'sticky', session_timeout_ms => :tmo);
SELECT member, assignment FROM streamkv.members('gs');
INSERT INTO snap SELECT 3, m.member, a.topic, a.partition FROM streamkv.members('gs') m, unnest(m.assignment) a;
SELECT streamkv.leave('gs', 'c1');
SELECT member, assignment FROM streamkv.members('gs');
INSERT INTO snap SELECT 4, m.member, a.topic, a.partition FROM streamkv.members('gs') m, unnest(m.assignment) a;
-- balanced at every step, every partition once
SELECT step, member, count(*) FROM snap GROUP BY step, member ORDER BY step, member;
SELECT step, count(*) AS assigned, count(DISTINCT (topic, partition)) AS distinct_partitions
  FROM snap GROUP BY step ORDER BY step;
-- sticky: when c3 joins, c1 and c2 keep only partitions they had; when c1
-- leaves, c2 and c3 keep every partition they had
SELECT count(*) AS moved_on_join FROM snap n
 WHERE n.step = 3 AND n.member IN ('c1', 'c2')
   AND NOT EXISTS (SELECT FROM snap o WHERE o.step = 2 AND o.member = n.member AND (o.topic, o.partition) = (n.topic, n.partition));
SELECT count(*) AS lost_on_leave FROM snap o
 WHERE o.step = 3 AND o.member IN ('c2', 'c3')
   AND NOT EXISTS (SELECT FROM snap n WHERE n.step = 4 AND n.member = o.member AND (o.topic, o.partition) = (n.topic, n.partition));
SELECT "group", type, state, generation, members, strategy, topics FROM streamkv.groups() WHERE "group" = 'gs';

-- ---------------------------------------------------------------- generated member ids, static membership
SELECT member_id ~ '^member-[0-9a-f-]{8,}$' AS generated, generation_id, assignment
  FROM streamkv.join('gdyn', ARRAY['tb']);
SELECT member AS dyn1 FROM streamkv.members('gdyn') \gset
SELECT session_timeout_ms FROM streamkv.members('gdyn');
SELECT member_id ~ '^member-[0-9a-f-]{8,}$' AS generated, member_id <> :'dyn1' AS new_id, generation_id
  FROM streamkv.join('gdyn', ARRAY['tb']);
SELECT count(*), count(DISTINCT member) FROM streamkv.members('gdyn');
SELECT streamkv.leave('gdyn', member) FROM streamkv.members('gdyn');
-- Empty, no offsets, nobody subscribed: no topics, no lag rows
SELECT * FROM streamkv.groups() WHERE "group" = 'gdyn';
SELECT * FROM streamkv.lag('gdyn');
-- an Empty group can be joined with another strategy
SELECT member_id, generation_id, assignment FROM streamkv.join('gdyn', ARRAY['tb'], 'solo', 'roundrobin');
SELECT streamkv.leave('gdyn', 'solo');
-- static members: the instance id prefixes the generated member id
SELECT member_id ~ '^inst-a-[0-9a-f-]{8,}$' AS generated, generation_id, assignment
  FROM streamkv.join('gst', ARRAY['ta'], instance_id => 'inst-a', session_timeout_ms => :tmo);
SELECT member AS old_a FROM streamkv.members('gst') \gset
SELECT member_id ~ '^inst-b-[0-9a-f-]{8,}$' AS generated, generation_id, assignment
  FROM streamkv.join('gst', ARRAY['ta'], instance_id => 'inst-b', session_timeout_ms => :tmo);
-- inst-a restarts: a new member id takes over its assignment, no rebalance
SELECT member_id ~ '^inst-a-[0-9a-f-]{8,}$' AS generated, member_id <> :'old_a' AS new_id, generation_id, assignment
  FROM streamkv.join('gst', ARRAY['ta'], instance_id => 'inst-a', session_timeout_ms => :tmo);
SELECT instance_id, member <> :'old_a' AS replaced, assignment FROM streamkv.members('gst') ORDER BY instance_id;
SELECT replace(pg_temp.err(format('SELECT * FROM streamkv.heartbeat(%L, %L)', 'gst', :'old_a')), :'old_a', '<old inst-a member>');
-- a static member with a new subscription rebalances
SELECT generation_id, assignment FROM streamkv.join('gst', ARRAY['ta', 'tb'], instance_id => 'inst-b', session_timeout_ms => :tmo);
SELECT instance_id, assignment FROM streamkv.members('gst') ORDER BY instance_id;
SELECT "group", state, generation, members, strategy, topics FROM streamkv.groups() WHERE "group" = 'gst';

-- ---------------------------------------------------------------- join errors
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', NULL, 'm')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', '{}', 'm')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['nosuch'], 'm')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta', 'nosuch'], 'm')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], 'm', 'bogus')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], 'm', session_timeout_ms => 99)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], 'm', session_timeout_ms => 3600001)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], 'm', auto_offset_reset => 'bogus')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('', ARRAY['ta'], 'm')$$);
SELECT replace(pg_temp.err($$SELECT * FROM streamkv.join(repeat('x', 250), ARRAY['ta'], 'm')$$), repeat('x', 250), 'x…x');
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], '')$$);
SELECT replace(pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], repeat('m', 256))$$), repeat('m', 256), 'm…m');
-- NULL where NULL means nothing: 22004
SELECT pg_temp.err($$SELECT * FROM streamkv.join(NULL, ARRAY['ta'], 'm')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta', NULL], 'm')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], 'm', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], 'm', session_timeout_ms => NULL)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('gerr', ARRAY['ta'], 'm', auto_offset_reset => NULL)$$);
SELECT count(*) FROM streamkv.groups() WHERE "group" = 'gerr';
-- the limits of session_timeout_ms are allowed
SELECT member_id, generation_id FROM streamkv.join('gerr', ARRAY['ta'], 'm', session_timeout_ms => 3600000);
SELECT member, session_timeout_ms FROM streamkv.members('gerr');
SELECT streamkv.leave('gerr', 'm');
SELECT streamkv.delete_group('gerr');

-- ---------------------------------------------------------------- session timeout
-- 'short' (100 ms, the minimum) stops heartbeating: the next call on the group
-- removes it and the group rebalances
SELECT * FROM streamkv.join('gto', ARRAY['ta'], 'long', session_timeout_ms => :tmo);
SELECT * FROM streamkv.join('gto', ARRAY['ta'], 'short', session_timeout_ms => 100);
SELECT pg_sleep(1);
SELECT * FROM streamkv.heartbeat('gto', 'long');
SELECT pg_temp.err($$SELECT * FROM streamkv.heartbeat('gto', 'short')$$);
SELECT member, assignment FROM streamkv.members('gto');
-- the background worker removes it too (no call on the group meanwhile)
SELECT member_id, generation_id FROM streamkv.join('gtw', ARRAY['tb'], 'long', session_timeout_ms => :tmo);
SELECT member_id, generation_id FROM streamkv.join('gtw', ARRAY['tb'], 'short', session_timeout_ms => 100);
DO $$
BEGIN
    FOR i IN 1 .. 300 LOOP
        EXIT WHEN (SELECT members FROM streamkv.groups() WHERE "group" = 'gtw') = 1;
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT "group", state, generation, members FROM streamkv.groups() WHERE "group" = 'gtw';
SELECT member, assignment FROM streamkv.members('gtw');

-- ================================================================ poll
SELECT streamkv.create_topic('pt', 2);
SELECT count(*) FROM (SELECT streamkv.produce('pt', 'a' || i, partition => 0) FROM generate_series(0, 5) i) s;
SELECT count(*) FROM (SELECT streamkv.produce('pt', 'b' || i, partition => 1) FROM generate_series(0, 3) i) s;
-- from the committed offsets
SELECT streamkv.commit('gp', 'pt', 0, 2);
SELECT streamkv.commit('gp', 'pt', 1, 1);
SELECT * FROM streamkv.join('gp', ARRAY['pt'], 'm1', auto_offset_reset => 'earliest', session_timeout_ms => :tmo);
SELECT pg_temp.poll('gp', 'm1');
-- the next poll continues from there
SELECT pg_temp.poll('gp', 'm1');
SELECT "offset" FROM streamkv.produce('pt', 'b4'::text, partition => 1);
SELECT pg_temp.poll('gp', 'm1', gen => 1);
-- polling does not commit
SELECT partition, "offset" FROM streamkv.committed('gp', 'pt');
SELECT streamkv.commit('gp', 'pt', 0, 6, member => 'm1', generation => 1);
SELECT streamkv.commit('gp', 'pt', 1, 5, member => 'm1', generation => 1);
SELECT * FROM streamkv.lag('gp');

-- max_records, then each poll continues where the last one ended
SELECT streamkv.create_topic('p1t', 1);
SELECT count(*) FROM (SELECT streamkv.produce('p1t', 'x' || i) FROM generate_series(0, 4) i) s;
SELECT member_id, generation_id FROM streamkv.join('gpc', ARRAY['p1t'], 'm', auto_offset_reset => 'earliest', session_timeout_ms => :tmo);
SELECT pg_temp.poll('gpc', 'm', 2);
SELECT pg_temp.poll('gpc', 'm', 2);
SELECT pg_temp.poll('gpc', 'm', 2);
SELECT pg_temp.poll('gpc', 'm', 2);
-- wait_ms: nothing arrives, nothing is returned
SELECT count(*) FROM streamkv.poll('gpc', 'm', 10, 50);
-- poll and heartbeat count as heartbeats
SELECT last_heartbeat AS hb0 FROM streamkv.members('gpc') \gset
SELECT pg_sleep(0.05);
SELECT count(*) FROM streamkv.poll('gpc', 'm');
SELECT last_heartbeat > :'hb0'::timestamptz AS poll_heartbeat FROM streamkv.members('gpc');
SELECT last_heartbeat AS hb1 FROM streamkv.members('gpc') \gset
SELECT pg_sleep(0.05);
SELECT generation_id FROM streamkv.heartbeat('gpc', 'm');
SELECT last_heartbeat > :'hb1'::timestamptz AS heartbeat_heartbeat FROM streamkv.members('gpc');
-- errors
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpc', 'm', 0)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpc', 'm', 10, -1)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpc', 'ghost')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpc', 'm', 10, 0, 2)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('nosuch', 'm')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll(NULL, 'm')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpc', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpc', 'm', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpc', 'm', 10, NULL)$$);
-- the failed polls did not move the position
SELECT "offset" FROM streamkv.produce('p1t', 'x5'::text);
SELECT pg_temp.poll('gpc', 'm', 10, 1);

-- auto_offset_reset latest: from the high watermark
SELECT member_id, generation_id FROM streamkv.join('gpl', ARRAY['p1t'], 'm', session_timeout_ms => :tmo);
SELECT pg_temp.poll('gpl', 'm');
SELECT "offset" FROM streamkv.produce('p1t', 'x6'::text);
SELECT pg_temp.poll('gpl', 'm');
-- none: an error while nothing is committed; a commit makes the poll work
SELECT member_id, generation_id FROM streamkv.join('gpn', ARRAY['p1t'], 'm', auto_offset_reset => 'none', session_timeout_ms => :tmo);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpn', 'm')$$);
SELECT streamkv.commit('gpn', 'p1t', 0, 4);
SELECT pg_temp.poll('gpn', 'm');
-- a committed offset above the high watermark is reset like a missing one
SELECT streamkv.commit('gpo', 'p1t', 0, 100);
SELECT member_id, generation_id FROM streamkv.join('gpo', ARRAY['p1t'], 'm', auto_offset_reset => 'earliest', session_timeout_ms => :tmo);
SELECT pg_temp.poll('gpo', 'm');
SELECT streamkv.commit('gpo2', 'p1t', 0, 100);
SELECT member_id, generation_id FROM streamkv.join('gpo2', ARRAY['p1t'], 'm', auto_offset_reset => 'latest', session_timeout_ms => :tmo);
SELECT pg_temp.poll('gpo2', 'm');
SELECT streamkv.commit('gpo3', 'p1t', 0, 100);
SELECT member_id, generation_id FROM streamkv.join('gpo3', ARRAY['p1t'], 'm', auto_offset_reset => 'none', session_timeout_ms => :tmo);
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpo3', 'm')$$);

-- after a commit and a rebalance, every member starts again from the committed
-- offsets (each rebalance is a new assignment, as in Kafka's eager protocol):
-- m1 on partition 0, which it keeps, and m2 on partition 1, which it gets
SELECT * FROM streamkv.join('gpr', ARRAY['pt'], 'm1', auto_offset_reset => 'earliest', session_timeout_ms => :tmo);
SELECT pg_temp.poll('gpr', 'm1');
SELECT streamkv.commit('gpr', 'pt', 0, 4, member => 'm1', generation => 1);
SELECT streamkv.commit('gpr', 'pt', 1, 2, member => 'm1', generation => 1);
SELECT * FROM streamkv.join('gpr', ARRAY['pt'], 'm2', auto_offset_reset => 'latest', session_timeout_ms => :tmo);
-- m1 still on generation 1: fenced
SELECT pg_temp.err($$SELECT * FROM streamkv.poll('gpr', 'm1', 10, 0, 1)$$);
SELECT pg_temp.err($$SELECT streamkv.commit('gpr', 'pt', 1, 5, member => 'm1', generation => 1)$$);
SELECT * FROM streamkv.heartbeat('gpr', 'm1');
SELECT pg_temp.poll('gpr', 'm1', gen => 2);
SELECT pg_temp.poll('gpr', 'm2', gen => 2);
SELECT streamkv.commit('gpr', 'pt', 0, 6, member => 'm1', generation => 2);
SELECT streamkv.commit('gpr', 'pt', 1, 5, member => 'm2', generation => 2);
-- m2 leaves: m1 gets partition 1 from m2's commit
SELECT streamkv.leave('gpr', 'm2');
SELECT * FROM streamkv.heartbeat('gpr', 'm1');
SELECT "offset" FROM streamkv.produce('pt', 'b5'::text, partition => 1);
SELECT pg_temp.poll('gpr', 'm1');
SELECT * FROM streamkv.lag('gpr');
-- the last member leaves: Empty, and then the group can be reset and deleted
SELECT streamkv.leave('gpr', 'm1');
SELECT "group", state, members FROM streamkv.groups() WHERE "group" = 'gpr';
SELECT * FROM streamkv.reset_offsets('gpr', 'pt', 'earliest') ORDER BY partition;
SELECT streamkv.delete_group('gpr');

-- ================================================================ share groups
SELECT streamkv.create_topic('jobs', 1);
SELECT streamkv.create_topic('jobs_dlq', 1);
SELECT streamkv.create_topic('jobs2', 1);
SELECT streamkv.create_topic('q2', 2);

-- ---------------------------------------------------------------- create_share_group
SELECT pg_temp.err($$SELECT streamkv.create_share_group('gr', 'jobs')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'nosuch')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', dead_letter_topic => 'nosuch')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', dead_letter_topic => 'jobs')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', lock_duration_ms => 0)$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', max_deliveries => 0)$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', max_deliveries => 101)$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', auto_offset_reset => 'none')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', auto_offset_reset => 'bogus')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('', 'jobs')$$);
SELECT replace(pg_temp.err($$SELECT streamkv.create_share_group(repeat('x', 250), 'jobs')$$), repeat('x', 250), 'x…x');
SELECT pg_temp.err($$SELECT streamkv.create_share_group(NULL, 'jobs')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', NULL)$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', NULL)$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', max_deliveries => NULL)$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_err', 'jobs', auto_offset_reset => NULL)$$);
SELECT count(*) FROM streamkv.groups() WHERE "group" = 's_err';
-- the limits are allowed
SELECT streamkv.create_share_group('s_lim', 'jobs', lock_duration_ms => 1, max_deliveries => 100);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('s_lim', 'q2')$$);
SELECT streamkv.create_share_group('s_lim1', 'jobs', max_deliveries => 1);
SELECT "group", type, state, generation, members, strategy, topics FROM streamkv.groups() WHERE "group" LIKE 's_lim%' ORDER BY 1;
SELECT streamkv.delete_group('s_lim'), streamkv.delete_group('s_lim1');

-- ---------------------------------------------------------------- latest / earliest
SELECT count(*) FROM (SELECT streamkv.produce('q2', 'e' || i, partition => 0) FROM generate_series(0, 1) i) s;
SELECT count(*) FROM (SELECT streamkv.produce('q2', 'f' || i, partition => 1) FROM generate_series(0, 1) i) s;
SELECT streamkv.create_share_group('sh_l', 'q2');
SELECT streamkv.create_share_group('sh_e', 'q2', auto_offset_reset => 'earliest');
SELECT count(*) FROM streamkv.acquire('sh_l', 'c1');
SELECT "offset" FROM streamkv.produce('q2', 'e2'::text, partition => 0);
SELECT "offset" FROM streamkv.produce('q2', 'f2'::text, partition => 1);
SELECT topic, partition, "offset", convert_from(value, 'UTF8') AS value, delivery_count
  FROM streamkv.acquire('sh_l', 'c1') ORDER BY partition, "offset";
SELECT topic, partition, "offset", convert_from(value, 'UTF8') AS value, delivery_count
  FROM streamkv.acquire('sh_e', 'c1') ORDER BY partition, "offset";
-- everything is held: nothing more to acquire (also with a short wait)
SELECT count(*) FROM streamkv.acquire('sh_e', 'c2');
SELECT count(*) FROM streamkv.acquire('sh_e', 'c2', 10, 20);
-- pending: by partition and offset
SELECT partition, "offset", consumer, deliveries FROM streamkv.pending('sh_e');
SELECT streamkv.delete_group('sh_l'), streamkv.delete_group('sh_e');

-- ---------------------------------------------------------------- acquire, ack, release, reject, dead letters
SELECT streamkv.create_share_group('sq', 'jobs', lock_duration_ms => 60000, max_deliveries => 2,
                                   dead_letter_topic => 'jobs_dlq', auto_offset_reset => 'earliest');
SELECT count(*) FROM (
  SELECT streamkv.produce('jobs', 'job' || i, key => 'k' || i,
                          headers => ARRAY[('h', convert_to('v' || i, 'UTF8'))::streamkv.header],
                          "timestamp" => '2020-01-01 00:00:00+00'::timestamptz + i * interval '1 second')
    FROM generate_series(0, 3) i) s;
-- FIFO: c1 gets the first two, c2 the rest, c3 nothing
SELECT topic, partition, "offset", "timestamp" = '2020-01-01 00:00:00+00'::timestamptz + "offset" * interval '1 second' AS same_ts,
       convert_from(key, 'UTF8') AS key, convert_from(value, 'UTF8') AS value, headers, delivery_count,
       locked_until BETWEEN now() + interval '59 seconds' AND clock_timestamp() + interval '60 seconds' AS locked_60s
  FROM streamkv.acquire('sq', 'c1', 2) ORDER BY "offset";
SELECT partition, "offset", delivery_count FROM streamkv.acquire('sq', 'c2', 10) ORDER BY "offset";
SELECT count(*) FROM streamkv.acquire('sq', 'c3');
SELECT partition, "offset", consumer, idle >= interval '0' AS idle_ok, deliveries, locked_until > now() AS locked
  FROM streamkv.pending('sq');
-- ack: only records the consumer holds, once
SELECT streamkv.ack('sq', 'c1', 0, 0);
SELECT streamkv.ack('sq', 'c1', 0, 0);
SELECT streamkv.ack('sq', 'c2', 0, 0);
SELECT streamkv.ack('sq', 'c1', 0, '{2, 3, 99}'::bigint[]);
SELECT streamkv.ack('sq', 'c3', 0, '{}'::bigint[]);
SELECT partition, "offset", consumer, deliveries FROM streamkv.pending('sq');
-- release: redelivered at once, delivery count 2
SELECT streamkv.release('sq', 'c2', 0, 1);
SELECT streamkv.release('sq', 'c1', 0, 1);
SELECT partition, "offset", convert_from(value, 'UTF8') AS value, delivery_count, locked_until > now() AS locked
  FROM streamkv.acquire('sq', 'c2');
SELECT streamkv.release('sq', 'c1', 0, 1);
-- reject: dead-lettered with reason rejected
SELECT streamkv.reject('sq', 'c1', 0, 2);
SELECT streamkv.reject('sq', 'c2', 0, '{2, 2}'::bigint[]);
SELECT streamkv.reject('sq', 'c2', 0, 2);
-- released after max_deliveries (2) deliveries: dead-lettered with reason max_deliveries
SELECT streamkv.release('sq', 'c2', 0, '{1}'::bigint[]);
SELECT streamkv.ack('sq', 'c2', 0, '{3, 3}'::bigint[]);
SELECT count(*) FROM streamkv.pending('sq');
SELECT count(*) FROM streamkv.acquire('sq', 'c3');
-- the dead-letter topic: key, value, timestamp and headers of the record plus where it came from
SELECT "offset", convert_from(key, 'UTF8') AS key, convert_from(value, 'UTF8') AS value,
       "timestamp" = '2020-01-01 00:00:00+00'::timestamptz + substr(convert_from(value, 'UTF8'), 4)::int * interval '1 second' AS same_ts
  FROM streamkv.fetch('jobs_dlq', 0, 0);
SELECT f."offset", h.ord, h.key, left(encode(h.value, 'escape'), 60) AS value
  FROM streamkv.fetch('jobs_dlq', 0, 0) f, unnest(f.headers) WITH ORDINALITY AS h(key, value, ord)
 ORDER BY f."offset", h.ord;
-- more records: acquire again from where the group is
SELECT "offset" FROM streamkv.produce('jobs', 'job4'::text);
SELECT "offset", delivery_count FROM streamkv.acquire('sq', 'c3');
-- c1, c2 and c3 have had records
SELECT "group", type, state, generation, members, strategy, topics FROM streamkv.groups() WHERE "group" = 'sq';
SELECT streamkv.ack('sq', 'c3', 0, ARRAY[4]::bigint[]);
-- a binary record (NUL bytes in key, value and headers, a NULL header value) is
-- dead-lettered byte for byte
SELECT "offset" FROM streamkv.produce('jobs', '\x000100'::bytea, key => '\x006b00'::bytea,
    headers => ARRAY[('bin', '\x00ff'::bytea)::streamkv.header, ('nul', NULL)::streamkv.header]);
SELECT "offset", key, value, headers FROM streamkv.acquire('sq', 'c3');
SELECT streamkv.reject('sq', 'c3', 0, 5);
SELECT "offset", key, value, cardinality(headers) AS nheaders FROM streamkv.fetch('jobs_dlq', 0, 2);
SELECT h.ord, h.key, left(encode(h.value, 'escape'), 60) AS value, h.value IS NULL AS null_value
  FROM streamkv.fetch('jobs_dlq', 0, 2) f, unnest(f.headers) WITH ORDINALITY AS h(key, value, ord)
 ORDER BY h.ord;

-- ---------------------------------------------------------------- share group errors
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('nosuch', 'c1')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('gr', 'c1')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('sq', 'c1', -1)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('sq', 'c1', 10, -1)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('sq', '', 10)$$);
SELECT replace(pg_temp.err($$SELECT * FROM streamkv.acquire('sq', repeat('c', 256))$$), repeat('c', 256), 'c…c');
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('sq', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire(NULL, 'c1')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('sq', 'c1', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('sq', 'c1', 1, NULL)$$);
SELECT pg_temp.err($$SELECT streamkv.ack('sq', 'c1', 1, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.ack('sq', 'c1', -1, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.ack('sq', 'c1', 0, ARRAY[0, NULL]::bigint[])$$);
SELECT pg_temp.err($$SELECT streamkv.ack('nosuch', 'c1', 0, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.ack('gr', 'c1', 0, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.release('sq', 'c1', 1, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.release('sq', 'c1', 0, ARRAY[NULL]::bigint[])$$);
SELECT pg_temp.err($$SELECT streamkv.release('nosuch', 'c1', 0, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.release('gr', 'c1', 0, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.reject('sq', 'c1', 1, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.reject('sq', 'c1', 0, ARRAY[NULL]::bigint[])$$);
SELECT pg_temp.err($$SELECT streamkv.reject('nosuch', 'c1', 0, 0)$$);
SELECT pg_temp.err($$SELECT streamkv.reject('gr', 'c1', 0, 0)$$);
SELECT streamkv.ack('sq', 'c1', 0, NULL::bigint[]) IS NULL AS strict_ack;
SELECT pg_temp.err($$SELECT * FROM streamkv.pending('nosuch')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.pending('gr')$$);
-- a share group is not a consumer group
SELECT pg_temp.err($$SELECT streamkv.commit('sq', 'jobs', 0, 1)$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.join('sq', ARRAY['jobs'], 'm')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('sq', 'jobs')$$);
SELECT pg_temp.err($$SELECT streamkv.create_share_group('g1', 'jobs')$$);

-- ---------------------------------------------------------------- reject without a dead-letter topic
SELECT streamkv.create_share_group('snd', 'jobs', auto_offset_reset => 'earliest');
SELECT "offset", delivery_count FROM streamkv.acquire('snd', 'c1') ORDER BY "offset";
SELECT streamkv.reject('snd', 'c1', 0, '{0, 1}'::bigint[]);
SELECT streamkv.ack('snd', 'c1', 0, '{2, 3, 4, 5}'::bigint[]);
SELECT count(*) FROM streamkv.pending('snd');
SELECT count(*) FROM streamkv.acquire('snd', 'c2');
SELECT log_end_offset FROM streamkv.partitions('jobs_dlq');
SELECT streamkv.delete_group('snd');

-- ---------------------------------------------------------------- lock expiry, max_deliveries at acquire
SELECT streamkv.create_share_group('sx', 'jobs2', lock_duration_ms => 200, max_deliveries => 2,
                                   dead_letter_topic => 'jobs_dlq', auto_offset_reset => 'earliest');
SELECT count(*) FROM (
  SELECT streamkv.produce('jobs2', 'x' || i, headers => ARRAY[('trace', convert_to('t' || i, 'UTF8'))::streamkv.header])
    FROM generate_series(0, 1) i) s;
SELECT "offset", delivery_count, locked_until > now() AS locked FROM streamkv.acquire('sx', 'c1') ORDER BY "offset";
SELECT pg_sleep(0.6);
-- expired locks are still pending, deadline in the past
SELECT "offset", consumer, deliveries, locked_until < now() AS expired FROM streamkv.pending('sx');
-- an expired lock nobody re-acquired still counts as held
SELECT streamkv.ack('sx', 'c1', 0, 0);
-- the other record is redelivered, delivery count 2
SELECT "offset", convert_from(value, 'UTF8') AS value, delivery_count, locked_until > now() AS locked
  FROM streamkv.acquire('sx', 'c2');
SELECT streamkv.ack('sx', 'c1', 0, 1);
SELECT "offset", consumer, deliveries FROM streamkv.pending('sx');
SELECT pg_sleep(0.6);
-- its lock expires again after 2 deliveries: the next acquire dead-letters it
SELECT count(*) FROM streamkv.acquire('sx', 'c3');
SELECT count(*) FROM streamkv.pending('sx');
SELECT streamkv.ack('sx', 'c2', 0, 1);
SELECT f."offset", convert_from(f.value, 'UTF8') AS value, h.ord, h.key, left(encode(h.value, 'escape'), 60) AS hvalue
  FROM streamkv.fetch('jobs_dlq', 0, 3) f, unnest(f.headers) WITH ORDINALITY AS h(key, value, ord)
 ORDER BY f."offset", h.ord;

-- ---------------------------------------------------------------- in-flight window: 4096 records per partition
SELECT streamkv.create_topic('win', 1);
SELECT streamkv.produce_agg('win', convert_to('w' || i, 'UTF8'), NULL) FROM generate_series(0, 4999) i;
SELECT streamkv.create_share_group('sw', 'win', lock_duration_ms => 3600000, auto_offset_reset => 'earliest');
SELECT count(*), min("offset"), max("offset") FROM streamkv.acquire('sw', 'c1', 5000);
SELECT count(*) FROM streamkv.acquire('sw', 'c2', 5000);
SELECT count(*) FROM streamkv.pending('sw');
-- acknowledging the first record moves the window by one
SELECT streamkv.ack('sw', 'c1', 0, 0);
SELECT "offset", delivery_count FROM streamkv.acquire('sw', 'c2', 5000);
-- delete_group deletes share groups
SELECT streamkv.delete_group('sw');
SELECT count(*) FROM streamkv.groups() WHERE "group" = 'sw';
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('sw', 'c1')$$);

-- ---------------------------------------------------------------- acks carried by acquire
-- acquire(..., ack_partitions, ack_offsets) acknowledges first (as ack does:
-- records the consumer does not hold are ignored), then acquires
SELECT streamkv.create_topic('pb', 2);
SELECT count(*) FROM (SELECT streamkv.produce('pb', 'p' || i, partition => i % 2) FROM generate_series(0, 7) i) s;
SELECT streamkv.create_share_group('spb', 'pb', auto_offset_reset => 'earliest');
SELECT partition, "offset" FROM streamkv.acquire('spb', 'c1', 3) ORDER BY partition, "offset";
SELECT partition, "offset" FROM streamkv.acquire('spb', 'c2', 1) ORDER BY partition, "offset";
-- c1 acks what it holds, plus c2's record, an unknown offset and a duplicate: only its own count
SELECT partition, "offset", delivery_count
  FROM streamkv.acquire('spb', 'c1', 2, 0, '{0,0,0,1,1,0,0}', '{0,1,2,0,3,99,1}') ORDER BY partition, "offset";
SELECT partition, "offset", consumer, deliveries FROM streamkv.pending('spb') ORDER BY partition, "offset";
-- no acks given (the defaults are empty arrays)
SELECT count(*) FROM streamkv.acquire('spb', 'c3', 1, ack_partitions => '{}', ack_offsets => '{}');
-- errors change nothing: c1's records stay pending
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('spb', 'c1', 1, 0, '{0,1}', '{3}')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('spb', 'c1', 1, 0, '{0,NULL}', '{3,1}')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('spb', 'c1', 1, 0, '{0,1}', '{3,NULL}')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('spb', 'c1', 1, 0, '{0,2}', '{3,1}')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('spb', 'c1', 1, 0, '{-1}', '{3}')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('spb', 'c1', 1, 0, '{{0},{1}}', '{{3},{1}}')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('spb', 'c1', 1, 0, NULL, '{3}')$$);
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('spb', 'c1', 1, 0, '{0}', NULL)$$);
SELECT partition, "offset", consumer FROM streamkv.pending('spb') WHERE consumer = 'c1' ORDER BY partition, "offset";
-- both NULL (what array_agg gives for an empty batch): no acknowledgements
SELECT partition, "offset" FROM streamkv.acquire('spb', 'c4', 1, 0,
    (SELECT array_agg(partition) FROM streamkv.pending('spb') WHERE false),
    (SELECT array_agg("offset") FROM streamkv.pending('spb') WHERE false));
SELECT streamkv.release('spb', 'c4', 1, 3);
-- max_records 0: acknowledge only, across partitions in one call (Kafka's ShareAcknowledge)
SELECT count(*) FROM streamkv.acquire('spb', 'c1', 0, 0, '{0,1}', '{3,1}');
SELECT partition, "offset", consumer FROM streamkv.pending('spb') ORDER BY partition, "offset";
-- a full window: the acks in the same call make room for the records acquired
SELECT streamkv.create_share_group('sw2', 'win', lock_duration_ms => 3600000, auto_offset_reset => 'earliest');
SELECT count(*) FROM streamkv.acquire('sw2', 'c1', 5000);
SELECT count(*) FROM streamkv.acquire('sw2', 'c1', 5000);
SELECT count(*), min("offset"), max("offset")
  FROM streamkv.acquire('sw2', 'c1', 5000, 0, array_fill(0, ARRAY[10]), ARRAY(SELECT generate_series(0, 9)::bigint));
SELECT count(*), min("offset") FROM streamkv.pending('sw2');
SELECT streamkv.delete_group('sw2');
SELECT streamkv.delete_group('spb');

-- ---------------------------------------------------------------- a dead letter of a record with 65535 headers
-- (the most a record can have): it keeps the first 65529 and adds the six streamkv.dlq.* ones,
-- and it is written although it is larger than the dead-letter topic's max_message_bytes
SELECT streamkv.create_topic('many', 1, max_message_bytes => 2000000), streamkv.create_topic('many_dlq', 1);
SELECT streamkv.create_share_group('smany', 'many', dead_letter_topic => 'many_dlq', auto_offset_reset => 'earliest');
SELECT "offset" FROM streamkv.produce('many', 'many'::text,
    headers => ARRAY(SELECT ('h' || i, convert_to(i::text, 'UTF8'))::streamkv.header FROM generate_series(1, 65535) i));
SELECT "offset", cardinality(headers) AS nheaders FROM streamkv.acquire('smany', 'c1');
SELECT streamkv.reject('smany', 'c1', 0, 0);
SELECT f."offset", convert_from(f.value, 'UTF8') AS value, cardinality(f.headers) AS nheaders,
       f.headers[65529].value = convert_to('65529', 'UTF8') AS kept_value,
       convert_from(f.headers[65532].value, 'UTF8') AS dlq_offset,
       f.headers[1].key AS first, f.headers[65529].key AS last_kept,
       f.headers[65530].key AS first_dlq, f.headers[65535].key AS last_dlq
  FROM streamkv.fetch('many_dlq', 0, 0) f;
SELECT streamkv.delete_group('smany');
SELECT streamkv.drop_topic('many'), streamkv.drop_topic('many_dlq');

-- ---------------------------------------------------------------- the worker dead-letters
-- records whose lock expired after their last allowed delivery, with nobody
-- calling acquire again (without a dead-letter topic they are just archived)
SELECT streamkv.create_topic('wd', 1), streamkv.create_topic('wd_dlq', 1);
SELECT streamkv.create_share_group('swd', 'wd', lock_duration_ms => 100, max_deliveries => 1,
                                   dead_letter_topic => 'wd_dlq', auto_offset_reset => 'earliest');
SELECT streamkv.create_share_group('swn', 'wd', lock_duration_ms => 100, max_deliveries => 1,
                                   auto_offset_reset => 'earliest');
SELECT count(*) FROM (SELECT streamkv.produce('wd', 'w' || i) FROM generate_series(0, 2) i) s;
SELECT count(*) FROM streamkv.acquire('swd', 'c1');
SELECT count(*) FROM streamkv.acquire('swn', 'c1');
DO $$
BEGIN
    FOR i IN 1 .. 600 LOOP
        EXIT WHEN NOT EXISTS (SELECT FROM streamkv.pending('swd'))
              AND NOT EXISTS (SELECT FROM streamkv.pending('swn'));
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT (SELECT count(*) FROM streamkv.pending('swd')) AS pending_swd,
       (SELECT count(*) FROM streamkv.pending('swn')) AS pending_swn;
SELECT "group", committed, lag FROM (
    SELECT 'swd' AS "group", * FROM streamkv.lag('swd') UNION ALL SELECT 'swn', * FROM streamkv.lag('swn')) l
 ORDER BY 1;
SELECT f."offset", convert_from(f.value, 'UTF8') AS value,
       (SELECT string_agg(h.key || '=' || convert_from(h.value, 'UTF8'), ', ' ORDER BY h.key)
          FROM unnest(f.headers) h WHERE h.key IN ('streamkv.dlq.reason', 'streamkv.dlq.offset', 'streamkv.dlq.deliveries')) AS origin
  FROM streamkv.fetch('wd_dlq', 0, 0) f ORDER BY 1;
SELECT streamkv.delete_group('swd'), streamkv.delete_group('swn');
SELECT streamkv.drop_topic('wd'), streamkv.drop_topic('wd_dlq');
-- a share group whose topic was dropped: the worker leaves its expired record alone
SELECT streamkv.create_topic('wo', 1);
SELECT streamkv.create_share_group('swo', 'wo', lock_duration_ms => 100, max_deliveries => 1,
                                   auto_offset_reset => 'earliest');
SELECT "offset" FROM streamkv.produce('wo', 'o'::text);
SELECT count(*) FROM streamkv.acquire('swo', 'c1');
SELECT streamkv.drop_topic('wo');
SELECT pg_sleep(1.5);
SELECT "offset", consumer, deliveries, locked_until < now() AS expired FROM streamkv.pending('swo');
SELECT pg_temp.err($$SELECT * FROM streamkv.acquire('swo', 'c1')$$);
SELECT streamkv.delete_group('swo');

-- ================================================================ compact_groups
-- rewrites the store as a snapshot of every group: the same groups before and
-- after, the same snapshot when nothing changed, and groups work on
SELECT "offset" FROM streamkv.produce('jobs2', 'x2'::text);
SELECT "offset", delivery_count FROM streamkv.acquire('sx', 'c1');
CREATE TEMP TABLE groups_before AS SELECT * FROM streamkv.groups();
CREATE TEMP TABLE pending_before AS SELECT "offset", consumer, deliveries, locked_until FROM streamkv.pending('sx');
SELECT (SELECT count(*) FROM groups_before) AS groups, (SELECT count(*) FROM pending_before) AS pending;
SELECT streamkv.compact_groups() AS n1 \gset
SELECT :n1 > 0 AS has_ops, streamkv.compact_groups() = :n1 AS same_snapshot;
SELECT count(*) AS changed_groups FROM (
    (SELECT * FROM streamkv.groups() EXCEPT ALL SELECT * FROM groups_before)
    UNION ALL
    (SELECT * FROM groups_before EXCEPT ALL SELECT * FROM streamkv.groups())) d;
SELECT count(*) AS changed_pending FROM (
    (SELECT "offset", consumer, deliveries, locked_until FROM streamkv.pending('sx') EXCEPT ALL SELECT * FROM pending_before)
    UNION ALL
    (SELECT * FROM pending_before EXCEPT ALL SELECT "offset", consumer, deliveries, locked_until FROM streamkv.pending('sx'))) d;
SELECT streamkv.commit('gp', 'pt', 0, 5, member => 'm1', generation => 1);
SELECT partition, "offset" FROM streamkv.committed('gp', 'pt');
SELECT streamkv.ack('sx', 'c1', 0, 2);

-- ================================================================ groups(), offsets retention
SELECT "group", type, state, generation, CASE WHEN type = 'consumer' THEN members END AS members, strategy, topics
  FROM streamkv.groups();
SELECT count(*) FROM streamkv.groups() WHERE "group" IS NULL;
SHOW streamkv.offsets_retention;
-- an Empty consumer group expires after streamkv.offsets_retention; groups
-- with members and share groups stay
SELECT streamkv.commit('g_exp', 'off', 0, 1);
ALTER SYSTEM SET streamkv.offsets_retention = '1s';
SELECT pg_reload_conf();
DO $$
BEGIN
    FOR i IN 1 .. 600 LOOP
        EXIT WHEN NOT EXISTS (SELECT FROM streamkv.groups() WHERE "group" = 'g_exp');
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
ALTER SYSTEM RESET streamkv.offsets_retention;
SELECT pg_reload_conf();
SELECT pg_temp.err($$SELECT * FROM streamkv.committed('g_exp', 'off')$$);
SELECT "group", type, state FROM streamkv.groups() WHERE state <> 'Empty' OR type = 'share' ORDER BY 1;

-- ---------------------------------------------------------------- clean up
SELECT streamkv.leave(g."group", m.member)
  FROM streamkv.groups() g, LATERAL streamkv.members(g."group") m WHERE g.type = 'consumer' ORDER BY 1;
SELECT count(*) FROM (SELECT streamkv.delete_group("group") FROM streamkv.groups()) s;
SELECT count(*) FROM streamkv.groups();
SELECT streamkv.drop_topic(name) FROM streamkv.topics() ORDER BY name;
