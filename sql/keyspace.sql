-- The generic keyspace: TYPE, EXISTS, DEL, KEYS, SCAN, DBSIZE, FLUSHDB.
-- Comments "-- redis: ..." give the Redis command each statement mirrors
-- (checked against redis-server 7.0); ";;" separates several commands.
CREATE EXTENSION IF NOT EXISTS streamkv;
SELECT streamkv.flushdb();  -- redis: FLUSHDB
-- errors are shown as "SQLSTATE: message"
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT streamkv.dbsize();  -- redis: DBSIZE
SELECT streamkv.type('nokey');  -- redis: TYPE nokey
SELECT streamkv.exists('nokey');  -- redis: EXISTS nokey
SELECT streamkv.del('nokey');  -- redis: DEL nokey

SELECT streamkv.set('s1', 'one');  -- redis: SET s1 one
SELECT streamkv.set('s2', 'two');  -- redis: SET s2 two
SELECT streamkv.hset('h1', 'f', 'v');  -- redis: HSET h1 f v
SELECT streamkv.incr('counter');  -- redis: INCR counter
SELECT streamkv.type('s1'), streamkv.type('h1'), streamkv.type('counter'), streamkv.type('nokey');  -- redis: TYPE s1 ;; TYPE h1 ;; TYPE counter ;; TYPE nokey
SELECT streamkv.dbsize();  -- redis: DBSIZE

-- EXISTS counts a key named twice twice
SELECT streamkv.exists('s1');  -- redis: EXISTS s1
SELECT streamkv.exists('s1', 'h1', 'nokey');  -- redis: EXISTS s1 h1 nokey
SELECT streamkv.exists('s1', 's1', 's1');  -- redis: EXISTS s1 s1 s1
SELECT streamkv.exists(VARIADIC ARRAY['s2', 'counter']);  -- redis: EXISTS s2 counter

-- keys are case-sensitive and binary-safe text; the empty key is a key
SELECT streamkv.set('', 'empty key');  -- redis: SET "" "empty key"
SELECT streamkv.set('S1', 'upper');  -- redis: SET S1 upper
SELECT streamkv.set('ключ', 'unicode');  -- redis: SET ключ unicode
SELECT streamkv.get(''), streamkv.get('S1'), streamkv.get('s1'), streamkv.get('ключ');  -- redis: GET "" ;; GET S1 ;; GET s1 ;; GET ключ
SELECT streamkv.dbsize();  -- redis: DBSIZE

-- KEYS: glob patterns
SELECT streamkv.set('hello', '1'), streamkv.set('hallo', '2'), streamkv.set('hxllo', '3'),
       streamkv.set('hllo', '4'), streamkv.set('heeeello', '5'), streamkv.set('h*llo', '6'),
       streamkv.set('h?llo', '7');
SELECT k FROM streamkv.keys('h?llo') k ORDER BY k COLLATE "C";
SELECT k FROM streamkv.keys('h*llo') k ORDER BY k COLLATE "C";
SELECT k FROM streamkv.keys('h[ae]llo') k ORDER BY k COLLATE "C";
SELECT k FROM streamkv.keys('h[^e]llo') k ORDER BY k COLLATE "C";
SELECT k FROM streamkv.keys('h[a-b]llo') k ORDER BY k COLLATE "C";
SELECT k FROM streamkv.keys('h\*llo') k ORDER BY k COLLATE "C";
SELECT k FROM streamkv.keys('h\?llo') k ORDER BY k COLLATE "C";
SELECT k FROM streamkv.keys('nomatch*') k ORDER BY k COLLATE "C";
SELECT count(*) FROM streamkv.keys('*');
SELECT count(*) = streamkv.dbsize() AS keys_equals_dbsize FROM streamkv.keys('*');

-- SCAN: iterate to cursor 0; every key comes back (possibly more than once)
WITH RECURSIVE it(cursor, keys, step) AS (
    SELECT s.next_cursor, s.keys, 1 FROM streamkv.scan(0) s
  UNION ALL
    SELECT s.next_cursor, s.keys, it.step + 1
    FROM it, LATERAL streamkv.scan(it.cursor) s
    WHERE it.cursor <> 0 AND it.step < 1000)
SELECT count(DISTINCT k) AS distinct_keys, bool_and(k IS NOT NULL) AS no_nulls,
       (SELECT cursor FROM it ORDER BY step DESC LIMIT 1) AS last_cursor
FROM it, unnest(it.keys) k;
-- with MATCH, COUNT and TYPE
WITH RECURSIVE it(cursor, keys, step) AS (
    SELECT s.next_cursor, s.keys, 1 FROM streamkv.scan(0, 'h*llo', 2) s
  UNION ALL
    SELECT s.next_cursor, s.keys, it.step + 1
    FROM it, LATERAL streamkv.scan(it.cursor, 'h*llo', 2) s
    WHERE it.cursor <> 0 AND it.step < 1000)
SELECT k FROM (SELECT DISTINCT k FROM it, unnest(it.keys) k) d ORDER BY k COLLATE "C";
WITH RECURSIVE it(cursor, keys, step) AS (
    SELECT s.next_cursor, s.keys, 1 FROM streamkv.scan(0, type => 'hash') s
  UNION ALL
    SELECT s.next_cursor, s.keys, it.step + 1
    FROM it, LATERAL streamkv.scan(it.cursor, type => 'hash') s
    WHERE it.cursor <> 0 AND it.step < 1000)
SELECT k FROM (SELECT DISTINCT k FROM it, unnest(it.keys) k) d ORDER BY k COLLATE "C";
-- many keys, small COUNT: still every key exactly once or more
SELECT count(streamkv.set('many:' || i, i::text)) FROM generate_series(1, 1000) i;
WITH RECURSIVE it(cursor, keys, step) AS (
    SELECT s.next_cursor, s.keys, 1 FROM streamkv.scan(0, 'many:*', 50) s
  UNION ALL
    SELECT s.next_cursor, s.keys, it.step + 1
    FROM it, LATERAL streamkv.scan(it.cursor, 'many:*', 50) s
    WHERE it.cursor <> 0 AND it.step < 100000)
SELECT count(DISTINCT k) AS distinct_keys, count(*) >= 1000 AS all_returned,
       max(step) > 1 AS took_several_calls
FROM it, unnest(it.keys) k;
SELECT pg_temp.try($$SELECT * FROM streamkv.scan(0, count => 0)$$);  -- redis: SCAN 0 COUNT 0

-- DEL returns how many existed; a key named twice counts once
SELECT streamkv.del('s1', 'h1', 'nokey');  -- redis: DEL s1 h1 nokey
SELECT streamkv.del('s2', 's2');  -- redis: DEL s2 s2
SELECT streamkv.exists('s1', 's2', 'h1');  -- redis: EXISTS s1 s2 h1
SELECT streamkv.type('h1');  -- redis: TYPE h1
SELECT streamkv.del(VARIADIC ARRAY(SELECT 'many:' || i FROM generate_series(1, 1000) i));
SELECT count(*) FROM streamkv.keys('many:*');

-- ROLLBACK does not undo an operation (like nextval())
BEGIN;
SELECT streamkv.set('in_tx', 'kept');
ROLLBACK;
SELECT streamkv.get('in_tx');

-- STRICT functions return NULL for NULL arguments
SELECT streamkv.type(NULL) IS NULL AS type_null, streamkv.exists(VARIADIC NULL) IS NULL AS exists_null,
       streamkv.del(VARIADIC NULL) IS NULL AS del_null;
SELECT count(*) FROM streamkv.keys(NULL);

-- info() counts this database's keys per type
SELECT streamkv.flushdb();  -- redis: FLUSHDB
SELECT streamkv.set('a', '1'), streamkv.set('b', '2'), streamkv.hset('c', 'f', 'v');
SELECT strings, hashes, memory_used > 0 AS uses_memory, memory_limit > 0 AS has_limit FROM streamkv.info();

-- FLUSHDB
SELECT streamkv.flushdb();  -- redis: FLUSHDB
SELECT streamkv.dbsize();  -- redis: DBSIZE
SELECT count(*) FROM streamkv.keys('*');
SELECT streamkv.exists('a', 'b', 'c');  -- redis: EXISTS a b c
