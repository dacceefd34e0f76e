-- streamkv demo, run by scripts/run.sh in database "streamkv". Extend freely.
SELECT streamkv.set('greeting', 'hello');
SELECT streamkv.get('greeting');
SELECT streamkv.incr('counter');
SELECT streamkv.hset('user:1', 'name', 'Ada', 'lang', 'C');
SELECT * FROM streamkv.hgetall('user:1');
SELECT streamkv.expire('greeting', 60);
SELECT streamkv.ttl('greeting');
