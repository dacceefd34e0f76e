-- Strings and counters: SET (NX, XX, GET, EX, PX, EXAT, PXAT, KEEPTTL), GET,
-- GETDEL, MGET, MSET, APPEND, STRLEN, INCR, INCRBY, DECR, DECRBY, INCRBYFLOAT.
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

-- ---- SET / GET
SELECT streamkv.get('k');  -- redis: GET k
SELECT streamkv.set('k', 'v1');  -- redis: SET k v1
SELECT streamkv.get('k');  -- redis: GET k
SELECT streamkv.set('k', 'v2');  -- redis: SET k v2
SELECT streamkv.get('k');  -- redis: GET k
SELECT streamkv.set('empty', '');  -- redis: SET empty ""
SELECT streamkv.get('empty'), streamkv.strlen('empty'), streamkv.exists('empty');  -- redis: GET empty ;; STRLEN empty ;; EXISTS empty
-- NX: only when missing; XX: only when present; failure returns NULL
SELECT streamkv.set('k', 'nx', nx => true);  -- redis: SET k nx NX
SELECT streamkv.set('new', 'nx', nx => true);  -- redis: SET new nx NX
SELECT streamkv.set('k', 'xx', xx => true);  -- redis: SET k xx XX
SELECT streamkv.set('missing', 'xx', xx => true);  -- redis: SET missing xx XX
SELECT streamkv.get('k'), streamkv.get('new'), streamkv.exists('missing');  -- redis: GET k ;; GET new ;; EXISTS missing
-- GET returns the old value (NULL when there was none)
SELECT streamkv.set('k', 'v3', get => true);  -- redis: SET k v3 GET
SELECT streamkv.set('fresh', 'v', get => true);  -- redis: SET fresh v GET
SELECT streamkv.set('k', 'v4', nx => true, get => true);  -- redis: SET k v4 NX GET
SELECT streamkv.set('k', 'v5', xx => true, get => true);  -- redis: SET k v5 XX GET
SELECT streamkv.set('nope', 'v', xx => true, get => true);  -- redis: SET nope v XX GET
SELECT streamkv.get('k'), streamkv.exists('nope');  -- redis: GET k ;; EXISTS nope
-- NX with XX is an error
SELECT pg_temp.try($$SELECT streamkv.set('k', 'v', nx => true, xx => true)$$);  -- redis: SET k v NX XX
SELECT streamkv.get('k');  -- redis: GET k

-- ---- binary values (bytea overloads)
SELECT streamkv.set('bin', '\x00ff0a00'::bytea);
SELECT streamkv.get_bytea('bin'), streamkv.strlen('bin');
SELECT streamkv.set('bin', '\x01'::bytea, get => true);
SELECT streamkv.append('bin', '\x00'::bytea), streamkv.get_bytea('bin');
SELECT streamkv.get_bytea('k'), streamkv.get_bytea('missing');
-- multibyte text: lengths are in bytes
SELECT streamkv.set('utf8', 'żółw');  -- redis: SET utf8 żółw
SELECT streamkv.strlen('utf8'), streamkv.get('utf8');  -- redis: STRLEN utf8 ;; GET utf8

-- ---- SET with an expiry (exact TTLs are in ttl.sql)
SELECT streamkv.set('e', 'v', ex => 100);  -- redis: SET e v EX 100
SELECT streamkv.ttl('e') BETWEEN 99 AND 100 AS ex_ok;
SELECT streamkv.set('e', 'v', px => 100000);  -- redis: SET e v PX 100000
SELECT streamkv.pttl('e') BETWEEN 99000 AND 100000 AS px_ok;
SELECT streamkv.set('e', 'v', exat => 4102444800);  -- redis: SET e v EXAT 4102444800
SELECT streamkv.expiretime('e');  -- redis: EXPIRETIME e
SELECT streamkv.set('e', 'v', pxat => 4102444800123);  -- redis: SET e v PXAT 4102444800123
SELECT streamkv.pexpiretime('e');  -- redis: PEXPIRETIME e
SELECT streamkv.set('e', 'kept', keepttl => true);  -- redis: SET e kept KEEPTTL
SELECT streamkv.pexpiretime('e');  -- redis: PEXPIRETIME e
SELECT streamkv.set('e', 'cleared');  -- redis: SET e cleared
SELECT streamkv.ttl('e');  -- redis: TTL e
-- invalid expire times: nothing is written
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', ex => 0)$$);  -- redis: SET e x EX 0
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', ex => -1)$$);  -- redis: SET e x EX -1
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', px => 0)$$);  -- redis: SET e x PX 0
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', exat => 0)$$);  -- redis: SET e x EXAT 0
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', pxat => -5)$$);  -- redis: SET e x PXAT -5
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', ex => 9223372036854775807)$$);  -- redis: SET e x EX 9223372036854775807
SELECT streamkv.get('e');  -- redis: GET e
-- incompatible expiry options
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', ex => 10, px => 10000)$$);  -- redis: SET e x EX 10 PX 10000
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', ex => 10, exat => 4102444800)$$);  -- redis: SET e x EX 10 EXAT 4102444800
SELECT pg_temp.try($$SELECT streamkv.set('e', 'x', keepttl => true, px => 10)$$);  -- redis: SET e x KEEPTTL PX 10
SELECT streamkv.get('e');  -- redis: GET e
-- an expiry time in the past: the key is set and gone at once
SELECT streamkv.set('past', 'v', exat => 1);  -- redis: SET past v EXAT 1
SELECT streamkv.exists('past');  -- redis: EXISTS past
SELECT streamkv.set('past', 'v', pxat => 1000, get => true);  -- redis: SET past v PXAT 1000 GET
SELECT streamkv.exists('past'), streamkv.get('past');  -- redis: EXISTS past ;; GET past

-- ---- NULL arguments: set is not STRICT, a NULL key or value is an error
SELECT pg_temp.try($$SELECT streamkv.set(NULL, 'v')$$);
SELECT pg_temp.try($$SELECT streamkv.set('k', NULL::text)$$);
SELECT pg_temp.try($$SELECT streamkv.set('k', NULL::bytea)$$);
SELECT pg_temp.try($$SELECT streamkv.set('k', 'v', nx => NULL)$$);
SELECT streamkv.get('k');  -- redis: GET k
-- NULL expiry options mean "not given"
SELECT streamkv.set('k', 'v6', ex => NULL);  -- redis: SET k v6
SELECT streamkv.ttl('k');  -- redis: TTL k
-- the other functions are STRICT
SELECT streamkv.get(NULL) IS NULL AS get, streamkv.get_bytea(NULL) IS NULL AS get_bytea,
       streamkv.getdel(NULL) IS NULL AS getdel, streamkv.mget(VARIADIC NULL) IS NULL AS mget,
       streamkv.mset(VARIADIC NULL) IS NULL AS mset, streamkv.append('k', NULL::text) IS NULL AS append,
       streamkv.strlen(NULL) IS NULL AS strlen, streamkv.incr(NULL) IS NULL AS incr,
       streamkv.incrby('c', NULL) IS NULL AS incrby, streamkv.decr(NULL) IS NULL AS decr,
       streamkv.decrby(NULL, 1) IS NULL AS decrby, streamkv.incrbyfloat('c', NULL) IS NULL AS incrbyfloat;
SELECT streamkv.exists('c'), streamkv.get('k');  -- redis: EXISTS c ;; GET k

-- ---- wrong type
SELECT streamkv.hset('hash', 'f', 'v');  -- redis: HSET hash f v
SELECT pg_temp.try($$SELECT streamkv.get('hash')$$);  -- redis: GET hash
SELECT pg_temp.try($$SELECT streamkv.get_bytea('hash')$$);
SELECT pg_temp.try($$SELECT streamkv.getdel('hash')$$);  -- redis: GETDEL hash
SELECT pg_temp.try($$SELECT streamkv.append('hash', 'x')$$);  -- redis: APPEND hash x
SELECT pg_temp.try($$SELECT streamkv.strlen('hash')$$);  -- redis: STRLEN hash
SELECT pg_temp.try($$SELECT streamkv.incr('hash')$$);  -- redis: INCR hash
SELECT pg_temp.try($$SELECT streamkv.incrby('hash', 2)$$);  -- redis: INCRBY hash 2
SELECT pg_temp.try($$SELECT streamkv.decr('hash')$$);  -- redis: DECR hash
SELECT pg_temp.try($$SELECT streamkv.decrby('hash', 2)$$);  -- redis: DECRBY hash 2
SELECT pg_temp.try($$SELECT streamkv.incrbyfloat('hash', 1.5)$$);  -- redis: INCRBYFLOAT hash 1.5
SELECT pg_temp.try($$SELECT streamkv.set('hash', 'v', get => true)$$);  -- redis: SET hash v GET
SELECT pg_temp.try($$SELECT streamkv.set('hash', 'v', nx => true, get => true)$$);  -- redis: SET hash v NX GET
SELECT streamkv.type('hash'), streamkv.hget('hash', 'f');  -- redis: TYPE hash ;; HGET hash f
-- MGET gives NULL for a key that is not a string
SELECT streamkv.mget('k', 'hash', 'missing', 'empty');  -- redis: MGET k hash missing empty
-- SET without GET replaces a value of any type
SELECT streamkv.set('hash', 'now a string');  -- redis: SET hash "now a string"
SELECT streamkv.type('hash'), streamkv.get('hash');  -- redis: TYPE hash ;; GET hash
SELECT streamkv.hset('hash2', 'f', 'v');  -- redis: HSET hash2 f v
SELECT streamkv.set('hash2', 'nx blocked', nx => true), streamkv.set('hash2', 'xx replaced', xx => true);  -- redis: SET hash2 "nx blocked" NX ;; SET hash2 "xx replaced" XX
SELECT streamkv.type('hash2'), streamkv.get('hash2');  -- redis: TYPE hash2 ;; GET hash2

-- ---- GETDEL
SELECT streamkv.set('gd', 'bye');  -- redis: SET gd bye
SELECT streamkv.getdel('gd');  -- redis: GETDEL gd
SELECT streamkv.getdel('gd');  -- redis: GETDEL gd
SELECT streamkv.exists('gd');  -- redis: EXISTS gd

-- ---- MGET / MSET
SELECT streamkv.mset('m1', 'one', 'm2', 'two', 'm3', '');  -- redis: MSET m1 one m2 two m3 ""
SELECT streamkv.mget('m1', 'm2', 'm3', 'm4');  -- redis: MGET m1 m2 m3 m4
-- the last value for a repeated key wins
SELECT streamkv.mset('m1', 'first', 'm1', 'second');  -- redis: MSET m1 first m1 second
SELECT streamkv.get('m1');  -- redis: GET m1
-- MSET replaces hashes too and clears TTLs
SELECT streamkv.hset('mh', 'f', 'v'), streamkv.expire('m2', 100);  -- redis: HSET mh f v ;; EXPIRE m2 100
SELECT streamkv.mset('mh', 'string now', 'm2', 'two again');  -- redis: MSET mh "string now" m2 "two again"
SELECT streamkv.type('mh'), streamkv.get('mh'), streamkv.ttl('m2');  -- redis: TYPE mh ;; GET mh ;; TTL m2
-- an odd number of arguments is an error and sets nothing
SELECT pg_temp.try($$SELECT streamkv.mset('m5', 'five', 'm6')$$);  -- redis: MSET m5 five m6
SELECT streamkv.exists('m5', 'm6');  -- redis: EXISTS m5 m6
SELECT streamkv.mget(VARIADIC ARRAY['m1', 'm2']);  -- redis: MGET m1 m2

-- ---- APPEND / STRLEN
SELECT streamkv.append('ap', 'Hello');  -- redis: APPEND ap Hello
SELECT streamkv.append('ap', ' World');  -- redis: APPEND ap " World"
SELECT streamkv.append('ap', '');  -- redis: APPEND ap ""
SELECT streamkv.get('ap'), streamkv.strlen('ap'), streamkv.strlen('missing');  -- redis: GET ap ;; STRLEN ap ;; STRLEN missing
SELECT streamkv.append('ap2', '');  -- redis: APPEND ap2 ""
SELECT streamkv.exists('ap2'), streamkv.type('ap2');  -- redis: EXISTS ap2 ;; TYPE ap2
SELECT streamkv.set('apn', '10'), streamkv.append('apn', '5'), streamkv.incr('apn');  -- redis: SET apn 10 ;; APPEND apn 5 ;; INCR apn
SELECT streamkv.append('big', repeat('x', 20000)), streamkv.append('big', repeat('y', 20000));
SELECT streamkv.strlen('big'), md5(streamkv.get('big')) = md5(repeat('x', 20000) || repeat('y', 20000)) AS same;

-- ---- INCR / INCRBY / DECR / DECRBY
SELECT streamkv.incr('c');  -- redis: INCR c
SELECT streamkv.incr('c');  -- redis: INCR c
SELECT streamkv.incrby('c', 10);  -- redis: INCRBY c 10
SELECT streamkv.incrby('c', -20);  -- redis: INCRBY c -20
SELECT streamkv.decr('c');  -- redis: DECR c
SELECT streamkv.decrby('c', 5);  -- redis: DECRBY c 5
SELECT streamkv.decrby('c', -100);  -- redis: DECRBY c -100
SELECT streamkv.get('c'), streamkv.type('c');  -- redis: GET c ;; TYPE c
SELECT streamkv.decr('d');  -- redis: DECR d
SELECT streamkv.decrby('d2', 7);  -- redis: DECRBY d2 7
SELECT streamkv.incrby('d3', 0), streamkv.get('d3');  -- redis: INCRBY d3 0 ;; GET d3
-- strict int64 parsing of the stored value; nothing changes on error
SELECT streamkv.set('n', ' 1');  -- redis: SET n " 1"
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.set('n', '1 ');  -- redis: SET n "1 "
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.set('n', '+1');  -- redis: SET n +1
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.set('n', '01');  -- redis: SET n 01
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.set('n', '1.0');  -- redis: SET n 1.0
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.set('n', '-0');  -- redis: SET n -0
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.set('n', '');  -- redis: SET n ""
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.set('n', 'abc');  -- redis: SET n abc
SELECT pg_temp.try($$SELECT streamkv.decrby('n', 1)$$);  -- redis: DECRBY n 1
SELECT streamkv.set('n', '1e3');  -- redis: SET n 1e3
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.set('n', '9223372036854775808');  -- redis: SET n 9223372036854775808
SELECT pg_temp.try($$SELECT streamkv.incr('n')$$);  -- redis: INCR n
SELECT streamkv.get('n');  -- redis: GET n
SELECT streamkv.set('n', '0');  -- redis: SET n 0
SELECT streamkv.incr('n');  -- redis: INCR n
SELECT streamkv.set('n', '-9223372036854775808');  -- redis: SET n -9223372036854775808
SELECT streamkv.incr('n');  -- redis: INCR n
-- overflow, in both directions; the value stays
SELECT streamkv.set('o', '9223372036854775807');  -- redis: SET o 9223372036854775807
SELECT pg_temp.try($$SELECT streamkv.incr('o')$$);  -- redis: INCR o
SELECT pg_temp.try($$SELECT streamkv.incrby('o', 9223372036854775807)$$);  -- redis: INCRBY o 9223372036854775807
SELECT pg_temp.try($$SELECT streamkv.decrby('o', -1)$$);  -- redis: DECRBY o -1
SELECT streamkv.get('o');  -- redis: GET o
SELECT streamkv.set('o', '-9223372036854775808');  -- redis: SET o -9223372036854775808
SELECT pg_temp.try($$SELECT streamkv.decr('o')$$);  -- redis: DECR o
SELECT pg_temp.try($$SELECT streamkv.incrby('o', -1)$$);  -- redis: INCRBY o -1
SELECT streamkv.get('o');  -- redis: GET o
SELECT streamkv.set('o', '0');  -- redis: SET o 0
SELECT pg_temp.try($$SELECT streamkv.decrby('o', -9223372036854775808)$$);  -- redis: DECRBY o -9223372036854775808
SELECT streamkv.decrby('o', 9223372036854775807);  -- redis: DECRBY o 9223372036854775807
SELECT streamkv.get('o');  -- redis: GET o
-- the integer representation is canonical after INCR
SELECT streamkv.set('z', '-5'), streamkv.incrby('z', 5), streamkv.get('z');  -- redis: SET z -5 ;; INCRBY z 5 ;; GET z

-- ---- INCRBYFLOAT (long double, printed as Redis prints it)
SELECT streamkv.set('f', '10.5');  -- redis: SET f 10.5
SELECT streamkv.incrbyfloat('f', 0.1);  -- redis: INCRBYFLOAT f 0.1
SELECT streamkv.incrbyfloat('f', -5);  -- redis: INCRBYFLOAT f -5
SELECT streamkv.get('f');  -- redis: GET f
SELECT streamkv.incrbyfloat('f2', 3.0);  -- redis: INCRBYFLOAT f2 3.0
SELECT streamkv.incrbyfloat('f2', -3);  -- redis: INCRBYFLOAT f2 -3
SELECT streamkv.incrbyfloat('f2', -0.000001);  -- redis: INCRBYFLOAT f2 -0.000001
SELECT streamkv.set('f3', '5.0e3'), streamkv.incrbyfloat('f3', 200);  -- redis: SET f3 5.0e3 ;; INCRBYFLOAT f3 200
SELECT streamkv.set('f4', '0'), streamkv.incrbyfloat('f4', 1e20);  -- redis: SET f4 0 ;; INCRBYFLOAT f4 1e20
SELECT streamkv.set('f5', '1'), streamkv.incrbyfloat('f5', 1e-5);  -- redis: SET f5 1 ;; INCRBYFLOAT f5 1e-5
SELECT streamkv.set('f6', '9223372036854775807'), streamkv.incrbyfloat('f6', 1);  -- redis: SET f6 9223372036854775807 ;; INCRBYFLOAT f6 1
SELECT streamkv.set('f7', '3'), streamkv.incrbyfloat('f7', 0.25), streamkv.incrbyfloat('f7', 0.75);  -- redis: SET f7 3 ;; INCRBYFLOAT f7 0.25 ;; INCRBYFLOAT f7 0.75
-- INCR after INCRBYFLOAT produced an integer string works
SELECT streamkv.incr('f7');  -- redis: INCR f7
-- errors: not a number, infinite or NaN results; nothing changes
SELECT streamkv.set('g', 'abc');  -- redis: SET g abc
SELECT pg_temp.try($$SELECT streamkv.incrbyfloat('g', 1)$$);  -- redis: INCRBYFLOAT g 1
SELECT streamkv.set('g', ' 1');  -- redis: SET g " 1"
SELECT pg_temp.try($$SELECT streamkv.incrbyfloat('g', 1)$$);  -- redis: INCRBYFLOAT g 1
SELECT streamkv.set('g', '1');  -- redis: SET g 1
SELECT pg_temp.try($$SELECT streamkv.incrbyfloat('g', 'Infinity')$$);  -- redis: INCRBYFLOAT g inf
SELECT pg_temp.try($$SELECT streamkv.incrbyfloat('g', '-Infinity')$$);  -- redis: INCRBYFLOAT g -inf
SELECT pg_temp.try($$SELECT streamkv.incrbyfloat('g', 'NaN')$$);  -- redis: INCRBYFLOAT g nan
SELECT streamkv.get('g');  -- redis: GET g
-- INCRBYFLOAT on a missing key starts at 0
SELECT streamkv.incrbyfloat('newf', 2.5);  -- redis: INCRBYFLOAT newf 2.5
SELECT streamkv.strlen('newf');  -- redis: STRLEN newf
-- (bin and big were written without a Redis twin above)
SELECT streamkv.del('bin', 'big');

SELECT streamkv.dbsize();  -- redis: DBSIZE
