-- Pub/sub (Redis's PUBLISH / SUBSCRIBE / PSUBSCRIBE / PUBSUB): at most once,
-- in shared memory only, no WAL; src/pubsub.c.

CREATE FUNCTION streamkv.subscribe(VARIADIC channels text[],
    OUT kind text, OUT channel text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_subscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.subscribe(text[]) IS
  'SUBSCRIBE: the session receives messages published to these channels; one row per channel with the session''s subscription count after it';

CREATE FUNCTION streamkv.psubscribe(VARIADIC patterns text[],
    OUT kind text, OUT pattern text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_psubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.psubscribe(text[]) IS
  'PSUBSCRIBE: the session receives messages published to channels matching these glob patterns (* ? [...] \ as KEYS); one row per pattern with the subscription count after it';

CREATE FUNCTION streamkv.unsubscribe(VARIADIC channels text[],
    OUT kind text, OUT channel text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_unsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.unsubscribe(text[]) IS
  'UNSUBSCRIBE: ends the session''s subscriptions to these channels; one row per channel with the subscription count after it';

CREATE FUNCTION streamkv.unsubscribe(
    OUT kind text, OUT channel text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_unsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.unsubscribe() IS
  'UNSUBSCRIBE with no channel: ends all of the session''s channel subscriptions; one row per channel (one row with a NULL channel when there was none)';

CREATE FUNCTION streamkv.punsubscribe(VARIADIC patterns text[],
    OUT kind text, OUT pattern text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_punsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.punsubscribe(text[]) IS
  'PUNSUBSCRIBE: ends the session''s subscriptions to these patterns; one row per pattern with the subscription count after it';

CREATE FUNCTION streamkv.punsubscribe(
    OUT kind text, OUT pattern text, OUT subscriptions bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_punsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.punsubscribe() IS
  'PUNSUBSCRIBE with no pattern: ends all of the session''s pattern subscriptions; one row per pattern (one row with a NULL pattern when there was none)';

CREATE FUNCTION streamkv.publish(channel text, message text) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_publish' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.publish(text, text) IS
  'PUBLISH: sends message to the channel''s subscribers now (not transactional, no WAL); returns how many subscriptions received it (channel + pattern matches)';

CREATE FUNCTION streamkv.publish(channel text, message bytea) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_publish' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.publish(text, bytea) IS
  'PUBLISH of a binary message: sends it to the channel''s subscribers now (not transactional, no WAL); returns how many subscriptions received it';

CREATE FUNCTION streamkv.receive(max_messages integer DEFAULT 100, wait_ms integer DEFAULT 0,
    OUT kind text, OUT pattern text, OUT channel text, OUT message bytea) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_receive' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.receive(integer, integer) IS
  'Takes up to max_messages of the session''s pub/sub messages in arrival order, waiting up to wait_ms for the first (0: no wait); kind is message or pmessage; cancellable; fails with the number of lost messages when the session was cut off';

CREATE FUNCTION streamkv.receive_text(max_messages integer DEFAULT 100, wait_ms integer DEFAULT 0,
    OUT kind text, OUT pattern text, OUT channel text, OUT message text) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_receive_text' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.receive_text(integer, integer) IS
  'receive() with messages as text (in the database encoding, checked)';

CREATE FUNCTION streamkv.pubsub_channels(pattern text DEFAULT NULL) RETURNS SETOF text
AS 'MODULE_PATHNAME', 'sk_pubsub_channels' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.pubsub_channels(text) IS
  'PUBSUB CHANNELS: the channels with at least one subscriber, those matching the glob pattern when one is given';

CREATE FUNCTION streamkv.pubsub_numsub(VARIADIC channels text[],
    OUT channel text, OUT subscribers bigint) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_pubsub_numsub' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.pubsub_numsub(text[]) IS
  'PUBSUB NUMSUB: the number of subscribers of each channel (pattern subscriptions not counted)';

CREATE FUNCTION streamkv.pubsub_numpat() RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_pubsub_numpat' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION streamkv.pubsub_numpat() IS
  'PUBSUB NUMPAT: the number of distinct patterns subscribed to (Redis 7)';

CREATE FUNCTION streamkv.pubsub_subscribers(
    OUT pid integer, OUT channels text[], OUT patterns text[], OUT buffered_messages bigint,
    OUT buffered_bytes bigint, OUT buffer_limit bigint, OUT delivered bigint,
    OUT cut_off boolean) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_pubsub_subscribers' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.pubsub_subscribers() IS
  'The sessions that use pub/sub: their channels and patterns, messages and bytes waiting, buffer limit, messages delivered so far, and whether they were cut off';

CREATE VIEW streamkv.pubsub_subscribers AS
  SELECT * FROM streamkv.pubsub_subscribers();
COMMENT ON VIEW streamkv.pubsub_subscribers IS
  'One row per session that uses pub/sub (pubsub_subscribers())';
