-- Hashes: HSET, HSETNX, HGET, HMGET, HDEL, HGETALL, HKEYS, HVALS, HLEN,
-- HEXISTS, HINCRBY, HINCRBYFLOAT.
-- Comments "-- redis: ..." give the Redis command each statement mirrors
-- (checked against redis-server 7.0); ";;" separates several commands.
CREATE EXTENSION IF NOT EXISTS streamkv;
SELECT streamkv.flushdb();
-- errors are shown as "SQLSTATE: message"
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- ---- HSET returns the number of new fields
SELECT streamkv.hset('h', 'a', '1');  -- redis: HSET h a 1
SELECT streamkv.hset('h', 'a', '2');  -- redis: HSET h a 2
SELECT streamkv.hset('h', 'b', '3', 'c', '4', 'a', '5');  -- redis: HSET h b 3 c 4 a 5
-- a field named twice in one call: the last value wins, counted once
SELECT streamkv.hset('h', 'd', 'x', 'd', 'y');  -- redis: HSET h d x d y
SELECT streamkv.hset('h', VARIADIC ARRAY['e', '', '', 'empty field']);  -- redis: HSET h e "" "" "empty field"
SELECT streamkv.type('h'), streamkv.hlen('h');  -- redis: TYPE h ;; HLEN h
SELECT * FROM streamkv.hgetall('h') ORDER BY field COLLATE "C";
SELECT f FROM streamkv.hkeys('h') f ORDER BY f COLLATE "C";
SELECT v FROM streamkv.hvals('h') v ORDER BY v COLLATE "C";
-- an odd number of field/value arguments is an error and changes nothing
SELECT pg_temp.try($$SELECT streamkv.hset('h', 'z')$$);  -- redis: HSET h z
SELECT pg_temp.try($$SELECT streamkv.hset('h', 'y', '1', 'z')$$);  -- redis: HSET h y 1 z
SELECT pg_temp.try($$SELECT streamkv.hset('newh', 'z')$$);  -- redis: HSET newh z
SELECT streamkv.hlen('h'), streamkv.exists('newh');  -- redis: HLEN h ;; EXISTS newh

-- ---- HGET / HMGET / HEXISTS / HLEN
SELECT streamkv.hget('h', 'a'), streamkv.hget('h', 'e'), streamkv.hget('h', '');  -- redis: HGET h a ;; HGET h e ;; HGET h ""
SELECT streamkv.hget('h', 'nofield'), streamkv.hget('nokey', 'a');  -- redis: HGET h nofield ;; HGET nokey a
SELECT streamkv.hmget('h', 'a', 'nofield', 'b');  -- redis: HMGET h a nofield b
SELECT streamkv.hmget('nokey', 'a', 'b');  -- redis: HMGET nokey a b
SELECT streamkv.hexists('h', 'a'), streamkv.hexists('h', 'nofield'), streamkv.hexists('nokey', 'a');  -- redis: HEXISTS h a ;; HEXISTS h nofield ;; HEXISTS nokey a
SELECT streamkv.hlen('nokey');  -- redis: HLEN nokey
SELECT count(*) FROM streamkv.hgetall('nokey');
SELECT count(*) FROM streamkv.hkeys('nokey');
SELECT count(*) FROM streamkv.hvals('nokey');

-- ---- HSETNX
SELECT streamkv.hsetnx('h', 'a', 'new');  -- redis: HSETNX h a new
SELECT streamkv.hsetnx('h', 'f', 'six');  -- redis: HSETNX h f six
SELECT streamkv.hget('h', 'a'), streamkv.hget('h', 'f');  -- redis: HGET h a ;; HGET h f
SELECT streamkv.hsetnx('h2', 'x', 'created');  -- redis: HSETNX h2 x created
SELECT streamkv.type('h2'), streamkv.hget('h2', 'x');  -- redis: TYPE h2 ;; HGET h2 x

-- ---- HDEL returns how many existed; an emptied hash is removed
SELECT streamkv.hdel('h', 'a', 'nofield', 'a');  -- redis: HDEL h a nofield a
SELECT streamkv.hdel('h', 'a');  -- redis: HDEL h a
SELECT streamkv.hdel('nokey', 'a');  -- redis: HDEL nokey a
SELECT streamkv.hlen('h');  -- redis: HLEN h
SELECT streamkv.hdel('h2', 'x');  -- redis: HDEL h2 x
SELECT streamkv.exists('h2'), streamkv.type('h2'), streamkv.hlen('h2');  -- redis: EXISTS h2 ;; TYPE h2 ;; HLEN h2
SELECT streamkv.hdel('h', VARIADIC ARRAY['b', 'c', 'd', 'e', '', 'f']);  -- redis: HDEL h b c d e "" f
SELECT streamkv.exists('h'), streamkv.dbsize();  -- redis: EXISTS h ;; DBSIZE

-- ---- HINCRBY
SELECT streamkv.hincrby('n', 'i', 5);  -- redis: HINCRBY n i 5
SELECT streamkv.hincrby('n', 'i', -8);  -- redis: HINCRBY n i -8
SELECT streamkv.hget('n', 'i');  -- redis: HGET n i
SELECT streamkv.hset('n', 'sp', ' 1', 'plus', '+1', 'zero', '01', 'dec', '1.0', 'txt', 'abc', 'max', '9223372036854775807', 'min', '-9223372036854775808', 'empty', '');  -- redis: HSET n sp " 1" plus +1 zero 01 dec 1.0 txt abc max 9223372036854775807 min -9223372036854775808 empty ""
SELECT pg_temp.try($$SELECT streamkv.hincrby('n', 'sp', 1)$$);  -- redis: HINCRBY n sp 1
SELECT pg_temp.try($$SELECT streamkv.hincrby('n', 'plus', 1)$$);  -- redis: HINCRBY n plus 1
SELECT pg_temp.try($$SELECT streamkv.hincrby('n', 'zero', 1)$$);  -- redis: HINCRBY n zero 1
SELECT pg_temp.try($$SELECT streamkv.hincrby('n', 'dec', 1)$$);  -- redis: HINCRBY n dec 1
SELECT pg_temp.try($$SELECT streamkv.hincrby('n', 'txt', 1)$$);  -- redis: HINCRBY n txt 1
SELECT pg_temp.try($$SELECT streamkv.hincrby('n', 'empty', 1)$$);  -- redis: HINCRBY n empty 1
SELECT pg_temp.try($$SELECT streamkv.hincrby('n', 'max', 1)$$);  -- redis: HINCRBY n max 1
SELECT pg_temp.try($$SELECT streamkv.hincrby('n', 'min', -1)$$);  -- redis: HINCRBY n min -1
SELECT streamkv.hincrby('n', 'max', -9223372036854775807);  -- redis: HINCRBY n max -9223372036854775807
SELECT streamkv.hincrby('n', 'min', 9223372036854775807);  -- redis: HINCRBY n min 9223372036854775807
SELECT streamkv.hmget('n', 'sp', 'plus', 'zero', 'dec', 'txt', 'empty', 'max', 'min');  -- redis: HMGET n sp plus zero dec txt empty max min

-- ---- HINCRBYFLOAT
SELECT streamkv.hset('fl', 'x', '10.5');  -- redis: HSET fl x 10.5
SELECT streamkv.hincrbyfloat('fl', 'x', 0.1);  -- redis: HINCRBYFLOAT fl x 0.1
SELECT streamkv.hincrbyfloat('fl', 'x', -0.6);  -- redis: HINCRBYFLOAT fl x -0.6
SELECT streamkv.hincrbyfloat('fl', 'new', 2.5e3);  -- redis: HINCRBYFLOAT fl new 2.5e3
SELECT streamkv.hset('fl', 'e', '5.0e3'), streamkv.hincrbyfloat('fl', 'e', 200);  -- redis: HSET fl e 5.0e3 ;; HINCRBYFLOAT fl e 200
SELECT streamkv.hincrbyfloat('fl', 'tiny', 1e-5), streamkv.hincrbyfloat('fl', 'tiny', -1e-5);  -- redis: HINCRBYFLOAT fl tiny 1e-5 ;; HINCRBYFLOAT fl tiny -1e-5
SELECT streamkv.hset('fl', 'bad', 'abc'), streamkv.hset('fl', 'sp', ' 1');  -- redis: HSET fl bad abc ;; HSET fl sp " 1"
SELECT pg_temp.try($$SELECT streamkv.hincrbyfloat('fl', 'bad', 1)$$);  -- redis: HINCRBYFLOAT fl bad 1
SELECT pg_temp.try($$SELECT streamkv.hincrbyfloat('fl', 'sp', 1)$$);  -- redis: HINCRBYFLOAT fl sp 1
SELECT pg_temp.try($$SELECT streamkv.hincrbyfloat('fl', 'x', 'Infinity')$$);  -- redis: HINCRBYFLOAT fl x inf
SELECT pg_temp.try($$SELECT streamkv.hincrbyfloat('fl', 'x', 'NaN')$$);  -- redis: HINCRBYFLOAT fl x nan
SELECT * FROM streamkv.hgetall('fl') ORDER BY field COLLATE "C";
-- HINCRBY on a value HINCRBYFLOAT left as an integer string
SELECT streamkv.hincrby('fl', 'x', 1);  -- redis: HINCRBY fl x 1

-- ---- wrong type: hash functions on a string
SELECT streamkv.set('s', 'string');  -- redis: SET s string
SELECT pg_temp.try($$SELECT streamkv.hset('s', 'a', 'b')$$);  -- redis: HSET s a b
SELECT pg_temp.try($$SELECT streamkv.hsetnx('s', 'a', 'b')$$);  -- redis: HSETNX s a b
SELECT pg_temp.try($$SELECT streamkv.hget('s', 'a')$$);  -- redis: HGET s a
SELECT pg_temp.try($$SELECT streamkv.hmget('s', 'a')$$);  -- redis: HMGET s a
SELECT pg_temp.try($$SELECT streamkv.hdel('s', 'a')$$);  -- redis: HDEL s a
SELECT pg_temp.try($$SELECT * FROM streamkv.hgetall('s')$$);  -- redis: HGETALL s
SELECT pg_temp.try($$SELECT * FROM streamkv.hkeys('s')$$);  -- redis: HKEYS s
SELECT pg_temp.try($$SELECT * FROM streamkv.hvals('s')$$);  -- redis: HVALS s
SELECT pg_temp.try($$SELECT streamkv.hlen('s')$$);  -- redis: HLEN s
SELECT pg_temp.try($$SELECT streamkv.hexists('s', 'a')$$);  -- redis: HEXISTS s a
SELECT pg_temp.try($$SELECT streamkv.hincrby('s', 'a', 1)$$);  -- redis: HINCRBY s a 1
SELECT pg_temp.try($$SELECT streamkv.hincrbyfloat('s', 'a', 1)$$);  -- redis: HINCRBYFLOAT s a 1
SELECT streamkv.type('s'), streamkv.get('s');  -- redis: TYPE s ;; GET s
-- WRONGTYPE is SQLSTATE 42809 with Redis's wording
SELECT streamkv.hget('s', 'a');
\echo :LAST_ERROR_SQLSTATE

-- ---- NULL arguments: every hash function is STRICT
SELECT streamkv.hset(NULL, 'a', 'b') IS NULL AS hset, streamkv.hsetnx('x', NULL, 'b') IS NULL AS hsetnx,
       streamkv.hget('x', NULL) IS NULL AS hget, streamkv.hmget(NULL, 'a') IS NULL AS hmget,
       streamkv.hdel('x', VARIADIC NULL) IS NULL AS hdel, streamkv.hlen(NULL) IS NULL AS hlen,
       streamkv.hexists(NULL, 'a') IS NULL AS hexists, streamkv.hincrby('x', 'a', NULL) IS NULL AS hincrby,
       streamkv.hincrbyfloat('x', 'a', NULL) IS NULL AS hincrbyfloat;
SELECT count(*) FROM streamkv.hgetall(NULL);
SELECT streamkv.exists('x');  -- redis: EXISTS x

-- ---- large hashes
SELECT streamkv.hset('big', VARIADIC array_agg(x)) FROM
  (SELECT unnest(ARRAY['f' || i, 'v' || i]) x FROM generate_series(1, 1000) i) s;
SELECT streamkv.hlen('big'), streamkv.hget('big', 'f777'), streamkv.hget('big', 'f1000');
SELECT count(*), count(DISTINCT field), bool_and(value = 'v' || substr(field, 2)) FROM streamkv.hgetall('big');
SELECT count(streamkv.hdel('big', 'f' || i)) FROM generate_series(1, 999) i;
SELECT * FROM streamkv.hgetall('big');
SELECT streamkv.del('big');

SELECT streamkv.dbsize();  -- redis: DBSIZE
