-- Pub/sub (issue 17): every function, NULL arguments and every error.
-- One session subscribes and publishes to itself (a session receives what it
-- publishes to its own subscriptions, as a Redis client publishing on a
-- second connection would); isolation specs cover several sessions.
CREATE EXTENSION IF NOT EXISTS streamkv;

-- nothing subscribed yet
SELECT * FROM streamkv.receive();
SELECT streamkv.publish('news', 'nobody listens');
SELECT * FROM streamkv.unsubscribe();
SELECT * FROM streamkv.punsubscribe();
SELECT streamkv.pubsub_numpat();

-- SUBSCRIBE / PSUBSCRIBE: one row per name, the count after it (repeats count once)
SELECT * FROM streamkv.subscribe('news', 'sport', 'news');
SELECT * FROM streamkv.psubscribe('n*', 'h?llo', 'n*');
SELECT * FROM streamkv.pubsub_channels() ORDER BY 1;
SELECT * FROM streamkv.pubsub_channels('s*');
SELECT * FROM streamkv.pubsub_numsub('news', 'sport', 'weather');
SELECT streamkv.pubsub_numpat();
SELECT cardinality(channels) AS nchannels, patterns, buffered_messages, cut_off
  FROM streamkv.pubsub_subscribers WHERE pid = pg_backend_pid();

-- PUBLISH counts every subscription that got it: the channel and each matching pattern
SELECT streamkv.publish('news', 'first');
SELECT streamkv.publish('hello', 'hi');
SELECT streamkv.publish('sport', '\x00ff'::bytea);
SELECT streamkv.publish('weather', 'rain');
SELECT buffered_messages, buffered_bytes > 0 AS has_bytes, delivered
  FROM streamkv.pubsub_subscribers WHERE pid = pg_backend_pid();
-- RECEIVE: in arrival order, channel message before pattern messages
SELECT * FROM streamkv.receive(2);
SELECT * FROM streamkv.receive();
SELECT * FROM streamkv.receive(10, 10);
-- text variant
SELECT streamkv.publish('news', 'caf' || chr(233));
SELECT * FROM streamkv.receive_text();
-- an empty message, a long channel name and a long message
SELECT streamkv.publish('news', '');
SELECT streamkv.publish(repeat('c', 300), repeat('m', 100000));
SELECT * FROM streamkv.psubscribe('ccc*');
SELECT streamkv.publish(repeat('c', 300), repeat('m', 100000));
SELECT kind, pattern, length(channel), length(message) FROM streamkv.receive();

-- glob patterns: classes, ranges, negation, escapes
SELECT * FROM streamkv.punsubscribe();
SELECT * FROM streamkv.unsubscribe();
SELECT * FROM streamkv.psubscribe('a[bc]d', 'x[^0-9]', 'lit\*', 'r[a-c]?');
SELECT streamkv.publish(c, c) AS receivers, c
  FROM unnest(ARRAY['abd', 'acd', 'aed', 'xa', 'x1', 'lit*', 'litx', 'rbz', 'rdz']) AS c;
SELECT pattern, channel FROM streamkv.receive();

-- UNSUBSCRIBE / PUNSUBSCRIBE: by name (not subscribed: count unchanged) and all
SELECT * FROM streamkv.subscribe('a', 'b');
SELECT * FROM streamkv.unsubscribe('a', 'zzz');
SELECT * FROM streamkv.punsubscribe('a[bc]d');
SELECT * FROM streamkv.punsubscribe() ORDER BY pattern;
SELECT * FROM streamkv.unsubscribe();
-- unsubscribe stops delivery; what was buffered before stays
SELECT * FROM streamkv.subscribe('q');
SELECT streamkv.publish('q', 'kept');
SELECT * FROM streamkv.unsubscribe('q');
SELECT streamkv.publish('q', 'never');
SELECT kind, channel, message FROM streamkv.receive_text(10, 50);
SELECT * FROM streamkv.pubsub_channels();

-- not transactional: a rolled-back publish was delivered, a rolled-back receive consumed
SELECT * FROM streamkv.subscribe('tx');
BEGIN;
SELECT streamkv.publish('tx', 'one');
ROLLBACK;
BEGIN;
SELECT message FROM streamkv.receive_text();
ROLLBACK;
SELECT count(*) FROM streamkv.receive();

-- a slow subscriber is cut off (streamkv.pubsub_buffer_limit, taken when subscribing)
SET streamkv.pubsub_buffer_limit = '16kB';
SELECT * FROM streamkv.subscribe('flood');
SELECT sum(streamkv.publish('flood', repeat('x', 1000))) FROM generate_series(1, 20);
SELECT cut_off, buffered_messages FROM streamkv.pubsub_subscribers WHERE pid = pg_backend_pid();
SELECT streamkv.pubsub_numsub('flood');
SELECT * FROM streamkv.receive();
-- the error was reported once; the session starts clean
SELECT * FROM streamkv.receive();
SELECT * FROM streamkv.pubsub_numsub('flood', 'tx');
-- a message bigger than the whole buffer cuts off at once, and subscribe reports it too
SELECT * FROM streamkv.subscribe('big');
SELECT streamkv.publish('big', repeat('y', 20000));
SELECT * FROM streamkv.subscribe('big');
SELECT * FROM streamkv.subscribe('big');
RESET streamkv.pubsub_buffer_limit;
SELECT * FROM streamkv.unsubscribe();
-- with no subscription left, receive does not wait (else this would take 10 minutes)
SELECT * FROM streamkv.receive(1, 600000);

-- settings: replication of messages is off by default; keyspace notifications are
-- server-wide (postgresql.conf or ALTER SYSTEM), and take Redis's letters only
SHOW streamkv.pubsub_replicate;
SHOW streamkv.notify_keyspace_events;
SET streamkv.notify_keyspace_events = 'KEA';
ALTER SYSTEM SET streamkv.notify_keyspace_events = 'KEq';

-- errors
SELECT * FROM streamkv.subscribe(VARIADIC NULL::text[]);
SELECT * FROM streamkv.subscribe(VARIADIC ARRAY[]::text[]);
SELECT * FROM streamkv.subscribe('a', NULL);
SELECT * FROM streamkv.psubscribe(VARIADIC ARRAY[['a'], ['b']]);
SELECT * FROM streamkv.unsubscribe(VARIADIC NULL::text[]);
SELECT streamkv.publish(NULL, 'x');
SELECT streamkv.publish('x', NULL::text);
SELECT * FROM streamkv.receive(0);
SELECT * FROM streamkv.receive(10, -1);
SELECT * FROM streamkv.receive(NULL);
SELECT * FROM streamkv.pubsub_numsub(VARIADIC NULL::text[]);
SET streamkv.pubsub_buffer_limit = '8kB';
