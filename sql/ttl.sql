-- TTL: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT), TTL, PTTL,
-- EXPIRETIME, PEXPIRETIME, PERSIST; which commands keep or clear a TTL;
-- real expiry. Relative TTLs are checked as ranges (deterministic output);
-- absolute ones exactly.
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

-- ---- -2 missing, -1 no expiry
SELECT streamkv.ttl('k'), streamkv.pttl('k'), streamkv.expiretime('k'), streamkv.pexpiretime('k');  -- redis: TTL k ;; PTTL k ;; EXPIRETIME k ;; PEXPIRETIME k
SELECT streamkv.set('k', 'v');  -- redis: SET k v
SELECT streamkv.ttl('k'), streamkv.pttl('k'), streamkv.expiretime('k'), streamkv.pexpiretime('k');  -- redis: TTL k ;; PTTL k ;; EXPIRETIME k ;; PEXPIRETIME k

-- ---- EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT
SELECT streamkv.expire('k', 100);  -- redis: EXPIRE k 100
SELECT streamkv.ttl('k') BETWEEN 99 AND 100 AS ttl_ok, streamkv.pttl('k') BETWEEN 99000 AND 100000 AS pttl_ok,
       streamkv.expiretime('k') - extract(epoch FROM now())::bigint BETWEEN 98 AND 101 AS expiretime_ok;
SELECT streamkv.pexpire('k', 50500);  -- redis: PEXPIRE k 50500
SELECT streamkv.ttl('k') BETWEEN 50 AND 51 AS ttl_ok, streamkv.pttl('k') BETWEEN 49500 AND 50500 AS pttl_ok;
SELECT streamkv.expireat('k', 4102444800);  -- redis: EXPIREAT k 4102444800
SELECT streamkv.expiretime('k'), streamkv.pexpiretime('k');  -- redis: EXPIRETIME k ;; PEXPIRETIME k
SELECT streamkv.pexpireat('k', 4102444800999);  -- redis: PEXPIREAT k 4102444800999
SELECT streamkv.expiretime('k'), streamkv.pexpiretime('k');  -- redis: EXPIRETIME k ;; PEXPIRETIME k
SELECT streamkv.ttl('k') - (4102444801 - extract(epoch FROM clock_timestamp())::bigint) BETWEEN -2 AND 2 AS ttl_ok;
-- on a missing key nothing happens
SELECT streamkv.expire('nokey', 100), streamkv.pexpire('nokey', 100), streamkv.expireat('nokey', 4102444800), streamkv.pexpireat('nokey', 4102444800000);  -- redis: EXPIRE nokey 100 ;; PEXPIRE nokey 100 ;; EXPIREAT nokey 4102444800 ;; PEXPIREAT nokey 4102444800000
SELECT streamkv.exists('nokey');  -- redis: EXISTS nokey
-- hashes have TTLs too
SELECT streamkv.hset('h', 'f', 'v'), streamkv.expireat('h', 4102444800);  -- redis: HSET h f v ;; EXPIREAT h 4102444800
SELECT streamkv.expiretime('h');  -- redis: EXPIRETIME h

-- ---- a TTL <= 0 (or an expiry time in the past) deletes the key
SELECT streamkv.set('d1', 'v'), streamkv.set('d2', 'v'), streamkv.set('d3', 'v'), streamkv.set('d4', 'v'), streamkv.set('d5', 'v');  -- redis: SET d1 v ;; SET d2 v ;; SET d3 v ;; SET d4 v ;; SET d5 v
SELECT streamkv.expire('d1', 0);  -- redis: EXPIRE d1 0
SELECT streamkv.expire('d2', -10);  -- redis: EXPIRE d2 -10
SELECT streamkv.pexpire('d3', 0);  -- redis: PEXPIRE d3 0
SELECT streamkv.expireat('d4', 1);  -- redis: EXPIREAT d4 1
SELECT streamkv.pexpireat('d5', 1000);  -- redis: PEXPIREAT d5 1000
SELECT streamkv.exists('d1', 'd2', 'd3', 'd4', 'd5'), streamkv.ttl('d1'), streamkv.get('d2');  -- redis: EXISTS d1 d2 d3 d4 d5 ;; TTL d1 ;; GET d2
SELECT streamkv.hset('hd', 'f', 'v'), streamkv.expire('hd', 0), streamkv.exists('hd');  -- redis: HSET hd f v ;; EXPIRE hd 0 ;; EXISTS hd
-- too large
SELECT streamkv.set('big', 'v');  -- redis: SET big v
SELECT pg_temp.try($$SELECT streamkv.expire('big', 9223372036854775807)$$);  -- redis: EXPIRE big 9223372036854775807
SELECT pg_temp.try($$SELECT streamkv.pexpire('big', 9223372036854775807)$$);  -- redis: PEXPIRE big 9223372036854775807
SELECT pg_temp.try($$SELECT streamkv.expireat('big', 9223372036854775807)$$);  -- redis: EXPIREAT big 9223372036854775807
SELECT pg_temp.try($$SELECT streamkv.expire('big', -9223372036854775808)$$);  -- redis: EXPIRE big -9223372036854775808
SELECT streamkv.ttl('big');  -- redis: TTL big

-- ---- NX / XX / GT / LT
SELECT streamkv.set('o', 'v');  -- redis: SET o v
-- no TTL yet: XX and GT fail (no TTL counts as infinite), NX and LT succeed
SELECT streamkv.expire('o', 100, xx => true);  -- redis: EXPIRE o 100 XX
SELECT streamkv.expire('o', 100, gt => true);  -- redis: EXPIRE o 100 GT
SELECT streamkv.ttl('o');  -- redis: TTL o
SELECT streamkv.expire('o', 200, nx => true);  -- redis: EXPIRE o 200 NX
SELECT streamkv.expire('o', 300, nx => true);  -- redis: EXPIRE o 300 NX
SELECT streamkv.ttl('o') BETWEEN 199 AND 200 AS ttl_200;
SELECT streamkv.expire('o', 100, gt => true);  -- redis: EXPIRE o 100 GT
SELECT streamkv.expire('o', 300, gt => true);  -- redis: EXPIRE o 300 GT
SELECT streamkv.ttl('o') BETWEEN 299 AND 300 AS ttl_300;
SELECT streamkv.expire('o', 400, lt => true);  -- redis: EXPIRE o 400 LT
SELECT streamkv.expire('o', 150, lt => true);  -- redis: EXPIRE o 150 LT
SELECT streamkv.ttl('o') BETWEEN 149 AND 150 AS ttl_150;
SELECT streamkv.expire('o', 500, xx => true);  -- redis: EXPIRE o 500 XX
SELECT streamkv.expire('o', 600, xx => true, gt => true);  -- redis: EXPIRE o 600 XX GT
SELECT streamkv.expire('o', 700, xx => true, lt => true);  -- redis: EXPIRE o 700 XX LT
SELECT streamkv.ttl('o') BETWEEN 599 AND 600 AS ttl_600;
SELECT streamkv.pexpireat('o', 4102444800000, gt => true);  -- redis: PEXPIREAT o 4102444800000 GT
SELECT streamkv.expireat('o', 4102444800, gt => true);  -- redis: EXPIREAT o 4102444800 GT
SELECT streamkv.expireat('o', 4102444800, lt => true);  -- redis: EXPIREAT o 4102444800 LT
SELECT streamkv.pexpireat('o', 4102444799999, lt => true);  -- redis: PEXPIREAT o 4102444799999 LT
SELECT streamkv.pexpiretime('o');  -- redis: PEXPIRETIME o
-- LT with no TTL sets one; GT never does; a GT/NX that fails does not delete even when <= 0
SELECT streamkv.set('p', 'v');  -- redis: SET p v
SELECT streamkv.expire('p', -1, gt => true), streamkv.exists('p');  -- redis: EXPIRE p -1 GT ;; EXISTS p
SELECT streamkv.expire('p', 100, lt => true), streamkv.ttl('p') > 0;  -- redis: EXPIRE p 100 LT ;; TTL p
SELECT streamkv.expire('p', 0, nx => true), streamkv.exists('p');  -- redis: EXPIRE p 0 NX ;; EXISTS p
SELECT streamkv.expire('p', 0, lt => true), streamkv.exists('p');  -- redis: EXPIRE p 0 LT ;; EXISTS p
SELECT streamkv.set('q', 'v'), streamkv.expire('q', -5, nx => true), streamkv.exists('q');  -- redis: SET q v ;; EXPIRE q -5 NX ;; EXISTS q
-- incompatible options are errors and change nothing
SELECT streamkv.set('r', 'v'), streamkv.expire('r', 100);  -- redis: SET r v ;; EXPIRE r 100
SELECT pg_temp.try($$SELECT streamkv.expire('r', 5, nx => true, xx => true)$$);  -- redis: EXPIRE r 5 NX XX
SELECT pg_temp.try($$SELECT streamkv.expire('r', 5, nx => true, gt => true)$$);  -- redis: EXPIRE r 5 NX GT
SELECT pg_temp.try($$SELECT streamkv.expire('r', 5, nx => true, lt => true)$$);  -- redis: EXPIRE r 5 NX LT
SELECT pg_temp.try($$SELECT streamkv.expire('r', 5, gt => true, lt => true)$$);  -- redis: EXPIRE r 5 GT LT
SELECT pg_temp.try($$SELECT streamkv.pexpire('r', 5, gt => true, lt => true)$$);  -- redis: PEXPIRE r 5 GT LT
SELECT pg_temp.try($$SELECT streamkv.expireat('r', 5, nx => true, xx => true)$$);  -- redis: EXPIREAT r 5 NX XX
SELECT pg_temp.try($$SELECT streamkv.pexpireat('r', 5, gt => true, lt => true)$$);  -- redis: PEXPIREAT r 5 GT LT
SELECT pg_temp.try($$SELECT streamkv.expire('r', 0, gt => true, lt => true)$$);  -- redis: EXPIRE r 0 GT LT
SELECT streamkv.exists('r'), streamkv.ttl('r') BETWEEN 99 AND 100 AS ttl_kept;

-- ---- PERSIST
SELECT streamkv.set('pe', 'v', ex => 100);  -- redis: SET pe v EX 100
SELECT streamkv.persist('pe');  -- redis: PERSIST pe
SELECT streamkv.persist('pe');  -- redis: PERSIST pe
SELECT streamkv.persist('nokey');  -- redis: PERSIST nokey
SELECT streamkv.ttl('pe'), streamkv.get('pe');  -- redis: TTL pe ;; GET pe

-- ---- which commands keep the TTL
SELECT streamkv.set('t', '1', exat => 4102444800);  -- redis: SET t 1 EXAT 4102444800
SELECT streamkv.incr('t'), streamkv.expiretime('t');  -- redis: INCR t ;; EXPIRETIME t
SELECT streamkv.incrby('t', 5), streamkv.decr('t'), streamkv.decrby('t', 2), streamkv.expiretime('t');  -- redis: INCRBY t 5 ;; DECR t ;; DECRBY t 2 ;; EXPIRETIME t
SELECT streamkv.incrbyfloat('t', 0.5), streamkv.expiretime('t');  -- redis: INCRBYFLOAT t 0.5 ;; EXPIRETIME t
SELECT streamkv.append('t', 'x'), streamkv.expiretime('t');  -- redis: APPEND t x ;; EXPIRETIME t
SELECT streamkv.set('t', 'kept', keepttl => true), streamkv.expiretime('t');  -- redis: SET t kept KEEPTTL ;; EXPIRETIME t
SELECT streamkv.set('t', 'kept2', xx => true, keepttl => true, get => true), streamkv.expiretime('t');  -- redis: SET t kept2 XX KEEPTTL GET ;; EXPIRETIME t
SELECT streamkv.hset('th', 'a', '1'), streamkv.expireat('th', 4102444800);  -- redis: HSET th a 1 ;; EXPIREAT th 4102444800
SELECT streamkv.hset('th', 'b', '2'), streamkv.hdel('th', 'a'), streamkv.hincrby('th', 'c', 1), streamkv.hsetnx('th', 'd', '4'), streamkv.expiretime('th');  -- redis: HSET th b 2 ;; HDEL th a ;; HINCRBY th c 1 ;; HSETNX th d 4 ;; EXPIRETIME th
-- which clear it
SELECT streamkv.set('t', 'plain set'), streamkv.ttl('t');  -- redis: SET t "plain set" ;; TTL t
SELECT streamkv.expireat('t', 4102444800), streamkv.mset('t', 'mset'), streamkv.ttl('t');  -- redis: EXPIREAT t 4102444800 ;; MSET t mset ;; TTL t
SELECT streamkv.expireat('t', 4102444800), streamkv.set('t', 'get', get => true), streamkv.ttl('t');  -- redis: EXPIREAT t 4102444800 ;; SET t get GET ;; TTL t
SELECT streamkv.expireat('t', 4102444800), streamkv.del('t'), streamkv.set('t', 'recreated'), streamkv.ttl('t');  -- redis: EXPIREAT t 4102444800 ;; DEL t ;; SET t recreated ;; TTL t
-- an emptied hash loses its TTL with it
SELECT streamkv.hdel('th', 'b', 'c', 'd'), streamkv.hset('th', 'new', 'x'), streamkv.ttl('th');  -- redis: HDEL th b c d ;; HSET th new x ;; TTL th
-- SET with NX that fails keeps the TTL
SELECT streamkv.expireat('t', 4102444800), streamkv.set('t', 'nx', nx => true), streamkv.expiretime('t');  -- redis: EXPIREAT t 4102444800 ;; SET t nx NX ;; EXPIRETIME t

-- ---- real expiry
SELECT streamkv.set('short', 'v', px => 100), streamkv.hset('shorth', 'f', 'v'), streamkv.pexpire('shorth', 100);  -- redis: SET short v PX 100 ;; HSET shorth f v ;; PEXPIRE shorth 100
SELECT streamkv.exists('short', 'shorth');  -- redis: EXISTS short shorth
SELECT pg_sleep(0.3);  -- redis: SLEEP 0.3
SELECT streamkv.get('short'), streamkv.exists('short', 'shorth'), streamkv.ttl('short'), streamkv.pttl('shorth'), streamkv.type('shorth'), streamkv.hget('shorth', 'f');  -- redis: GET short ;; EXISTS short shorth ;; TTL short ;; PTTL shorth ;; TYPE shorth ;; HGET shorth f
SELECT count(*) FROM streamkv.keys('short*');
-- expired keys are not counted, listed or returned, and can be set again
SELECT streamkv.set('gone', 'v', px => 50), streamkv.set('gone2', 'w', px => 50);  -- redis: SET gone v PX 50 ;; SET gone2 w PX 50
SELECT pg_sleep(0.2);  -- redis: SLEEP 0.2
SELECT streamkv.mget('gone', 'gone2'), streamkv.getdel('gone'), streamkv.strlen('gone2'), streamkv.hlen('gone');  -- redis: MGET gone gone2 ;; GETDEL gone ;; STRLEN gone2 ;; HLEN gone
SELECT streamkv.set('gone', 'again', nx => true), streamkv.ttl('gone');  -- redis: SET gone again NX ;; TTL gone
SELECT streamkv.set('gone2', 'xx', xx => true), streamkv.exists('gone2');  -- redis: SET gone2 xx XX ;; EXISTS gone2
SELECT streamkv.incr('gone3'), streamkv.pexpire('gone3', 50);  -- redis: INCR gone3 ;; PEXPIRE gone3 50
SELECT pg_sleep(0.2);  -- redis: SLEEP 0.2
SELECT streamkv.incr('gone3'), streamkv.ttl('gone3');  -- redis: INCR gone3 ;; TTL gone3
SELECT streamkv.hset('gone4', 'f', '1'), streamkv.pexpire('gone4', 50);  -- redis: HSET gone4 f 1 ;; PEXPIRE gone4 50
SELECT pg_sleep(0.2);  -- redis: SLEEP 0.2
SELECT streamkv.hsetnx('gone4', 'f', 'fresh'), streamkv.hget('gone4', 'f'), streamkv.ttl('gone4');  -- redis: HSETNX gone4 f fresh ;; HGET gone4 f ;; TTL gone4
SELECT streamkv.dbsize() = (SELECT count(*) FROM streamkv.keys('*')) AS dbsize_consistent;

-- ---- NULL arguments
-- ttl, pttl, expiretime, pexpiretime and persist are STRICT
SELECT streamkv.ttl(NULL) IS NULL AS ttl, streamkv.pttl(NULL) IS NULL AS pttl, streamkv.expiretime(NULL) IS NULL AS expiretime,
       streamkv.pexpiretime(NULL) IS NULL AS pexpiretime, streamkv.persist(NULL) IS NULL AS persist;
-- expire and friends are not STRICT (for their options): a NULL key or time
-- gives NULL and changes nothing, a NULL option is an error
SELECT streamkv.expire(NULL, 10) IS NULL AS expire_null_key, streamkv.expire('k', NULL) IS NULL AS expire_null_time,
       streamkv.pexpire('k', NULL) IS NULL AS pexpire, streamkv.expireat('k', NULL) IS NULL AS expireat,
       streamkv.pexpireat(NULL, 1) IS NULL AS pexpireat;
SELECT pg_temp.try($$SELECT streamkv.expire('k', 10, nx => NULL)$$);
SELECT pg_temp.try($$SELECT streamkv.pexpireat('k', 10, lt => NULL)$$);
SELECT streamkv.pexpiretime('k');  -- redis: PEXPIRETIME k
