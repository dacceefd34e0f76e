-- Privileges: three roles (no rights; consumer of one topic and one group;
-- keyspace writer) against every boundary; denied calls give 42501 and
-- change nothing; grants are transactional; role membership, the '*' name,
-- creators' rights, PUBLIC; errors of acl_grant/acl_revoke.
CREATE EXTENSION streamkv;
SET client_min_messages = warning;
DROP ROLE IF EXISTS skv_none;
DROP ROLE IF EXISTS skv_consumer;
DROP ROLE IF EXISTS skv_writer;
RESET client_min_messages;
CREATE ROLE skv_none;
CREATE ROLE skv_consumer;
CREATE ROLE skv_writer;
GRANT USAGE ON SCHEMA streamkv TO skv_none, skv_consumer, skv_writer;

-- try(sql): 'ok' or 'SQLSTATE: message', run as the current role
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

SELECT streamkv.create_topic('priv_orders', 2);
SELECT streamkv.create_topic('priv_other');
SELECT streamkv.create_topic('priv_dlq');
SELECT count(*) FROM (SELECT streamkv.produce('priv_orders', 'v' || i, 'k' || i) FROM generate_series(1, 4) i) s;
SELECT streamkv.set('priv:k1', 'v1');
SELECT streamkv.zadd('priv:z', 1, 'a');
SELECT streamkv.create_share_group('priv_share', 'priv_orders', auto_offset_reset => 'earliest');

SELECT streamkv.acl_grant('topic', 'priv_orders', 'consume', 'skv_consumer');
SELECT streamkv.acl_grant('group', 'priv_app', 'consume', 'skv_consumer');
SELECT streamkv.acl_grant('keyspace', NULL, 'read, write', 'skv_writer');
SELECT * FROM streamkv.privileges ORDER BY 1, 2, 3, 4;

-- a role with no rights: every call is refused
SET ROLE skv_none;
SELECT q, pg_temp.try(q) FROM unnest(ARRAY[
  $q$SELECT streamkv.produce('priv_orders', 'x')$q$,
  $q$SELECT streamkv.produce_agg('priv_orders', 'x'::bytea, NULL::bytea)$q$,
  $q$SELECT * FROM streamkv.fetch('priv_orders', 0, 0)$q$,
  $q$SELECT * FROM streamkv.offsets_for_times('priv_orders', now())$q$,
  $q$SELECT streamkv.create_topic('priv_new')$q$,
  $q$SELECT streamkv.alter_topic('priv_orders', retention_ms => 1)$q$,
  $q$SELECT streamkv.drop_topic('priv_orders')$q$,
  $q$SELECT * FROM streamkv.join('priv_app', ARRAY['priv_orders'])$q$,
  $q$SELECT streamkv.commit('priv_app', 'priv_orders', 0, 1)$q$,
  $q$SELECT * FROM streamkv.reset_offsets('priv_app', 'priv_orders', 'earliest')$q$,
  $q$SELECT streamkv.delete_group('priv_app')$q$,
  $q$SELECT streamkv.create_share_group('priv_share2', 'priv_orders')$q$,
  $q$SELECT * FROM streamkv.acquire('priv_share', 'c1')$q$,
  $q$SELECT streamkv.ack('priv_share', 'c1', 0, 0::bigint)$q$,
  $q$SELECT streamkv.compact_groups()$q$,
  $q$SELECT streamkv.get('priv:k1')$q$,
  $q$SELECT streamkv.set('priv:k1', 'x')$q$,
  $q$SELECT streamkv.del('priv:k1')$q$,
  $q$SELECT streamkv.exists('priv:k1')$q$,
  $q$SELECT streamkv.keys('*')$q$,
  $q$SELECT streamkv.dbsize()$q$,
  $q$SELECT streamkv.hset('priv:h', 'f', 'v')$q$,
  $q$SELECT streamkv.zadd('priv:z', 2, 'b')$q$,
  $q$SELECT * FROM streamkv.zrange('priv:z', 0, -1)$q$,
  $q$SELECT streamkv.bf_add('priv:bf', 'x')$q$,
  $q$SELECT streamkv.geoadd('priv:geo', 10, 45, 'm')$q$,
  $q$SELECT streamkv.expire('priv:k1', 100)$q$,
  $q$SELECT streamkv.flushdb()$q$,
  $q$SELECT streamkv.compact()$q$,
  $q$SELECT streamkv.publish('priv_ch', 'm')$q$,
  $q$SELECT * FROM streamkv.subscribe('priv_ch')$q$,
  $q$SELECT streamkv.acl_grant('keyspace', NULL, 'read', 'skv_none')$q$,
  $q$SELECT streamkv.acl_revoke('topic', 'priv_orders', 'consume', 'skv_consumer')$q$
]) q;
-- monitoring needs no privilege
SELECT count(*) > 0 AS has_topics FROM streamkv.topics();
SELECT keys_total >= 0 AS info_ok FROM (SELECT strings + hashes + zsets AS keys_total FROM streamkv.info()) i;
SELECT (SELECT count(*) FROM streamkv.stat_topics) > 0 AS stat_topics,
       (SELECT count(*) FROM streamkv.stat_groups) >= 0 AS stat_groups,
       (SELECT keys FROM streamkv.stat_keyspace) = 2 AS stat_keyspace,
       (SELECT count(*) FROM streamkv.stat_memory) = 5 AS stat_memory;
RESET ROLE;

-- nothing changed
SELECT streamkv.get('priv:k1'), streamkv.dbsize() AS keys,
       (SELECT sum(high_watermark) FROM streamkv.partitions('priv_orders')) AS records,
       (SELECT count(*) FROM streamkv.topics() WHERE name LIKE 'priv%') AS topics,
       (SELECT count(*) FROM streamkv.groups() WHERE "group" LIKE 'priv%') AS groups;

-- the consumer: fetch and group calls on its topic and group only
SET ROLE skv_consumer;
SELECT q, pg_temp.try(q) FROM unnest(ARRAY[
  $q$SELECT count(*) FROM streamkv.fetch('priv_orders', 0, 0)$q$,
  $q$SELECT * FROM streamkv.fetch('priv_other', 0, 0)$q$,
  $q$SELECT streamkv.produce('priv_orders', 'x')$q$,
  $q$SELECT * FROM streamkv.join('priv_app', ARRAY['priv_orders'], member => 'm1')$q$,
  $q$SELECT * FROM streamkv.join('priv_app', ARRAY['priv_orders', 'priv_other'], member => 'm2')$q$,
  $q$SELECT count(*) FROM streamkv.poll('priv_app', 'm1')$q$,
  $q$SELECT streamkv.commit('priv_app', 'priv_orders', 0, 1)$q$,
  $q$SELECT streamkv.commit('priv_other_app', 'priv_orders', 0, 1)$q$,
  $q$SELECT streamkv.leave('priv_app', 'm1')$q$,
  $q$SELECT streamkv.delete_group('priv_app')$q$,
  $q$SELECT * FROM streamkv.acquire('priv_share', 'c1')$q$,
  $q$SELECT streamkv.get('priv:k1')$q$
]) q;
RESET ROLE;
SELECT partition, "offset" FROM streamkv.committed('priv_app', 'priv_orders') ORDER BY partition;

-- the keyspace writer: reads and writes, no administration, no topics
SET ROLE skv_writer;
SELECT q, pg_temp.try(q) FROM unnest(ARRAY[
  $q$SELECT streamkv.set('priv:w', 'x')$q$,
  $q$SELECT streamkv.get('priv:w')$q$,
  $q$SELECT streamkv.incr('priv:n')$q$,
  $q$SELECT streamkv.zadd('priv:z', 3, 'c')$q$,
  $q$SELECT streamkv.publish('priv_ch', 'm')$q$,
  $q$SELECT streamkv.flushdb()$q$,
  $q$SELECT streamkv.compact()$q$,
  $q$SELECT streamkv.produce('priv_orders', 'x')$q$,
  $q$SELECT streamkv.create_topic('priv_new')$q$
]) q;
RESET ROLE;
SELECT streamkv.get('priv:w'), streamkv.zcard('priv:z');

-- a revoke inside a rolled-back transaction is undone; a committed one holds
BEGIN;
SELECT streamkv.acl_revoke('keyspace', NULL, 'write', 'skv_writer');
SET LOCAL ROLE skv_writer;
SELECT pg_temp.try($q$SELECT streamkv.set('priv:w', 'y')$q$);
SELECT pg_temp.try($q$SELECT streamkv.get('priv:w')$q$);
ROLLBACK;
SET ROLE skv_writer;
SELECT pg_temp.try($q$SELECT streamkv.set('priv:w', 'z')$q$);
RESET ROLE;
SELECT streamkv.acl_revoke('keyspace', NULL, 'write', 'skv_writer');
SET ROLE skv_writer;
SELECT pg_temp.try($q$SELECT streamkv.set('priv:w', 'y')$q$);
RESET ROLE;
SELECT streamkv.get('priv:w');

-- membership: a member of skv_consumer consumes what skv_consumer may
GRANT skv_consumer TO skv_writer;
SET ROLE skv_writer;
SELECT pg_temp.try($q$SELECT count(*) FROM streamkv.fetch('priv_orders', 1, 0)$q$);
RESET ROLE;
REVOKE skv_consumer FROM skv_writer;
SET ROLE skv_writer;
SELECT pg_temp.try($q$SELECT count(*) FROM streamkv.fetch('priv_orders', 1, 0)$q$);
RESET ROLE;

-- '*' names every topic; PUBLIC every role
SELECT streamkv.acl_grant('topic', '*', 'produce', 'skv_writer');
SELECT streamkv.acl_grant('topic', 'priv_other', 'consume', 'public');
SET ROLE skv_writer;
SELECT pg_temp.try($q$SELECT streamkv.produce('priv_other', 'w')$q$);
SELECT pg_temp.try($q$SELECT count(*) FROM streamkv.fetch('priv_other', 0, 0)$q$);
RESET ROLE;
SET ROLE skv_none;
SELECT pg_temp.try($q$SELECT count(*) FROM streamkv.fetch('priv_other', 0, 0)$q$);
SELECT pg_temp.try($q$SELECT streamkv.produce('priv_other', 'n')$q$);
RESET ROLE;

-- a creator holds every privilege on what it created
SELECT streamkv.acl_grant('database', NULL, 'create', 'skv_writer');
SET ROLE skv_writer;
SELECT pg_temp.try($q$SELECT streamkv.create_topic('priv_mine')$q$);
SELECT pg_temp.try($q$SELECT streamkv.produce('priv_mine', 'mine')$q$);
SELECT pg_temp.try($q$SELECT count(*) FROM streamkv.fetch('priv_mine', 0, 0)$q$);
SELECT pg_temp.try($q$SELECT streamkv.create_share_group('priv_mine_share', 'priv_mine')$q$);
SELECT pg_temp.try($q$SELECT count(*) FROM streamkv.acquire('priv_mine_share', 'c')$q$);
SELECT pg_temp.try($q$SELECT streamkv.drop_topic('priv_mine')$q$);
RESET ROLE;
SELECT * FROM streamkv.privileges WHERE role = 'skv_writer' ORDER BY 1, 2, 3, 4;

-- errors (nothing is granted by any of them)
SELECT q, pg_temp.try(q) FROM unnest(ARRAY[
  $q$SELECT streamkv.acl_grant('table', 'x', 'read', 'skv_none')$q$,
  $q$SELECT streamkv.acl_grant('topic', 'priv_orders', 'write', 'skv_none')$q$,
  $q$SELECT streamkv.acl_grant('keyspace', 'x', 'read', 'skv_none')$q$,
  $q$SELECT streamkv.acl_grant('topic', NULL, 'consume', 'skv_none')$q$,
  $q$SELECT streamkv.acl_grant('topic', 'priv_orders', '', 'skv_none')$q$,
  $q$SELECT streamkv.acl_grant('topic', 'priv_orders', 'consume', 'no_such_role_skv')$q$,
  $q$SELECT streamkv.acl_grant(NULL, 'priv_orders', 'consume', 'skv_none')$q$,
  $q$SELECT streamkv.acl_grant('topic', 'priv_orders', 'consume', NULL)$q$
]) q;
SELECT count(*) AS skv_none_rows FROM streamkv.privileges WHERE role = 'skv_none';

-- cleanup: revoking everything leaves no rows
SELECT streamkv.acl_revoke('topic', 'priv_orders', 'all', 'skv_consumer');
SELECT streamkv.acl_revoke('group', 'priv_app', 'all', 'skv_consumer');
SELECT streamkv.acl_revoke('keyspace', NULL, 'all', 'skv_writer');
SELECT streamkv.acl_revoke('topic', '*', 'all', 'skv_writer');
SELECT streamkv.acl_revoke('topic', 'priv_other', 'all', 'public');
SELECT streamkv.acl_revoke('database', NULL, 'all', 'skv_writer');
SELECT streamkv.acl_revoke('topic', 'priv_mine', 'all', 'skv_writer');
SELECT streamkv.acl_revoke('group', 'priv_mine_share', 'all', 'skv_writer');
SELECT count(*) AS rows_left FROM streamkv.acl;
SELECT streamkv.drop_topic(t) FROM unnest(ARRAY['priv_orders', 'priv_other', 'priv_dlq']) t;
REVOKE USAGE ON SCHEMA streamkv FROM skv_none, skv_consumer, skv_writer;
DROP ROLE skv_none;
DROP ROLE skv_consumer;
DROP ROLE skv_writer;
