SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS streamkv;
RESET client_min_messages;
SET search_path = streamkv, public;

-- CLUSTER KEYSLOT vectors, hash tags included
SELECT k, key_slot(k)
FROM unnest(ARRAY['foo', 'bar', '{user1000}.following', '{user1000}.followers', '123456789',
                  '', '{}', '{}.foo', 'foo{}{bar}', 'foo{{bar}}zap', 'foo{bar}{zap}', 'a{b}c',
                  '{', '}', '}{', '{a', 'a}', '{a}', 'x{a}', '{a}y', 'ключ', '{ключ}x']) k;
-- binary keys
SELECT k, key_slot(k) FROM unnest(ARRAY['\x'::bytea, '\x00', '\xff00ff', '\x7b007d', '\x7b7d00']) k;
SELECT key_slot(convert_to('{user1000}.following', 'UTF8')) = key_slot('{user1000}.following') AS same;
SELECT min(key_slot('key:' || i)), max(key_slot('key:' || i)) FROM generate_series(1, 100000) i;
SELECT key_slot(NULL::text) IS NULL, key_slot(NULL::bytea) IS NULL;
