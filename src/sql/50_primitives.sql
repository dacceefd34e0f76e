-- Stateless primitives (issue #5): geohashes, Redis geo scores and
-- distances, Kafka's partitioner, Redis Cluster key slots and the bloom
-- filter type.  All pure: IMMUTABLE STRICT PARALLEL SAFE (bloom_agg's
-- transition function is not strict: it creates the filter on its first
-- row).  Positions are always (lon, lat), as in PostGIS and Redis.

-- ---- geohash (src/geohash.c, src/geo_sql.c) ---------------------------
CREATE FUNCTION streamkv.geohash_encode(lon float8, lat float8, "precision" int4 DEFAULT 12)
RETURNS text
AS 'MODULE_PATHNAME', 'sk_geohash_encode_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_encode(float8, float8, int4) IS
  'Standard base32 geohash of (lon, lat) with precision 1..12 characters; equals PostGIS ST_GeoHash';

CREATE FUNCTION streamkv.geohash_decode(hash text,
    OUT lon float8, OUT lat float8, OUT lon_err float8, OUT lat_err float8)
AS 'MODULE_PATHNAME', 'sk_geohash_decode_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_decode(text) IS
  'Centre of a geohash cell and its error margins (half the cell''s width and height, in degrees)';

CREATE FUNCTION streamkv.geohash_bbox(hash text,
    OUT min_lon float8, OUT min_lat float8, OUT max_lon float8, OUT max_lat float8)
AS 'MODULE_PATHNAME', 'sk_geohash_bbox_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_bbox(text) IS
  'Bounding box of a geohash cell';

CREATE FUNCTION streamkv.geohash_neighbors(hash text,
    OUT n text, OUT ne text, OUT e text, OUT se text,
    OUT s text, OUT sw text, OUT w text, OUT nw text)
AS 'MODULE_PATHNAME', 'sk_geohash_neighbors_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_neighbors(text) IS
  'The eight neighbouring cells of a geohash by direction; wraps across the antimeridian, NULL beyond a pole';

CREATE FUNCTION streamkv.geohash_cover(lon float8, lat float8, radius_m float8)
RETURNS text[]
AS 'MODULE_PATHNAME', 'sk_geohash_cover_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_cover(float8, float8, float8) IS
  'At most 64 non-overlapping geohashes whose cells together contain every point within radius_m metres of (lon, lat)';

-- ---- Redis geo (GEOADD scores, GEOPOS, GEODIST) --------------------------
CREATE FUNCTION streamkv.geo_score(lon float8, lat float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'sk_geo_score_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_score(float8, float8) IS
  'The sorted-set score Redis GEOADD stores for (lon, lat): 52-bit interleaved geohash, latitude within +-85.05112878';

CREATE FUNCTION streamkv.geo_decode_score(score float8, OUT lon float8, OUT lat float8)
AS 'MODULE_PATHNAME', 'sk_geo_decode_score_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_decode_score(float8) IS
  'The position Redis GEOPOS returns for a geo score (centre of its cell)';

CREATE FUNCTION streamkv.geo_distance(lon1 float8, lat1 float8, lon2 float8, lat2 float8,
    unit text DEFAULT 'm')
RETURNS float8
AS 'MODULE_PATHNAME', 'sk_geo_distance_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_distance(float8, float8, float8, float8, text) IS
  'Haversine distance as Redis GEODIST computes it (earth radius 6372797.560856 m), in m, km, mi or ft';

-- ---- geohash-indexed search over tables (src/geohash.c, src/geo_sql.c) ----
CREATE FUNCTION streamkv.geohash_int(lon float8, lat float8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_geohash_int_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geohash_int(float8, float8) IS
  'The 12-character geohash of (lon, lat) as a 60-bit integer: integers sort as the geohashes do, so a geohash prefix is a range; index it with a b-tree for geohash_ranges';

CREATE FUNCTION streamkv.geohash_ranges(lon float8, lat float8, radius_m float8,
    OUT lo bigint, OUT hi bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_geohash_ranges_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION streamkv.geohash_ranges(float8, float8, float8) IS
  'At most 8 disjoint ranges lo..hi (inclusive) of geohash_int values holding every point within radius_m metres of (lon, lat), for b-tree range scans';

CREATE FUNCTION streamkv.geo_distance_sphere(lon1 float8, lat1 float8, lon2 float8, lat2 float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'sk_geo_distance_sphere_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_distance_sphere(float8, float8, float8, float8) IS
  'Great-circle distance in metres on PostGIS''s sphere (mean WGS84 radius 6371008.7714 m), computed as ST_Distance(geography, geography, false) computes it for two points, so that <= r is ST_DWithin(..., r, false)';

-- ---- Kafka's partitioner (src/murmur.c, src/hash_sql.c) ------------------
CREATE FUNCTION streamkv.murmur2(key bytea)
RETURNS int4
AS 'MODULE_PATHNAME', 'sk_murmur2_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.murmur2(bytea) IS
  'Kafka''s murmur2 hash (Utils.murmur2, seed 0x9747b28c) as a signed int4';

CREATE FUNCTION streamkv.kafka_partition(key bytea, partitions int4)
RETURNS int4
AS 'MODULE_PATHNAME', 'sk_kafka_partition_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.kafka_partition(bytea, int4) IS
  'The partition Kafka''s default partitioner picks for a non-NULL key: (murmur2(key) & 0x7fffffff) % partitions';

-- ---- Redis Cluster key slots (src/keyslot.c) -----------------------------
CREATE FUNCTION streamkv.key_slot(key text)
RETURNS int4
AS 'MODULE_PATHNAME', 'sk_key_slot_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.key_slot(text) IS
  'CLUSTER KEYSLOT: CRC16-XMODEM of the key (or of its {hash tag}) mod 16384';

CREATE FUNCTION streamkv.key_slot(key bytea)
RETURNS int4
AS 'MODULE_PATHNAME', 'sk_key_slot_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.key_slot(bytea) IS
  'CLUSTER KEYSLOT of a binary key: CRC16-XMODEM of the key (or of its {hash tag}) mod 16384';

-- ---- the bloom type (src/bloom.c, src/bloom_sql.c) -----------------------
CREATE TYPE streamkv.bloom;

CREATE FUNCTION streamkv.bloom_in(cstring) RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION streamkv.bloom_out(streamkv.bloom) RETURNS cstring
AS 'MODULE_PATHNAME', 'sk_bloom_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION streamkv.bloom_recv(internal) RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION streamkv.bloom_send(streamkv.bloom) RETURNS bytea
AS 'MODULE_PATHNAME', 'sk_bloom_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE streamkv.bloom (
    INPUT = streamkv.bloom_in,
    OUTPUT = streamkv.bloom_out,
    RECEIVE = streamkv.bloom_recv,
    SEND = streamkv.bloom_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE streamkv.bloom IS
  'Bloom filter value (RedisBloom sizing and MurmurHash64A double hashing)';
COMMENT ON FUNCTION streamkv.bloom_in(cstring) IS 'Input function of streamkv.bloom';
COMMENT ON FUNCTION streamkv.bloom_out(streamkv.bloom) IS 'Output function of streamkv.bloom';
COMMENT ON FUNCTION streamkv.bloom_recv(internal) IS 'Binary input function of streamkv.bloom';
COMMENT ON FUNCTION streamkv.bloom_send(streamkv.bloom) IS 'Binary output function of streamkv.bloom';

CREATE FUNCTION streamkv.bloom_new(capacity int8, error_rate float8 DEFAULT 0.01)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_new(int8, float8) IS
  'An empty bloom filter for capacity items at the given false-positive rate';

CREATE FUNCTION streamkv.bloom_add(filter streamkv.bloom, item text)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_add_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_add(streamkv.bloom, text) IS
  'The filter with a text item added (its UTF-8 bytes are hashed)';

CREATE FUNCTION streamkv.bloom_add(filter streamkv.bloom, item bytea)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_add_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_add(streamkv.bloom, bytea) IS
  'The filter with a binary item added';

CREATE FUNCTION streamkv.bloom_contains(filter streamkv.bloom, item text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_bloom_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_contains(streamkv.bloom, text) IS
  'Whether the text item may have been added (false: certainly not)';

CREATE FUNCTION streamkv.bloom_contains(filter streamkv.bloom, item bytea)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sk_bloom_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_contains(streamkv.bloom, bytea) IS
  'Whether the binary item may have been added (false: certainly not)';

CREATE OPERATOR streamkv.@> (
    LEFTARG = streamkv.bloom, RIGHTARG = text,
    FUNCTION = streamkv.bloom_contains
);
COMMENT ON OPERATOR streamkv.@> (streamkv.bloom, text) IS
  'bloom_contains: the filter may contain the text item';

CREATE OPERATOR streamkv.@> (
    LEFTARG = streamkv.bloom, RIGHTARG = bytea,
    FUNCTION = streamkv.bloom_contains
);
COMMENT ON OPERATOR streamkv.@> (streamkv.bloom, bytea) IS
  'bloom_contains: the filter may contain the binary item';

CREATE FUNCTION streamkv.bloom_union(a streamkv.bloom, b streamkv.bloom)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_union' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_union(streamkv.bloom, streamkv.bloom) IS
  'Union of two filters of the same capacity and error rate (items: the sum, an upper bound)';

CREATE FUNCTION streamkv.bloom_info(filter streamkv.bloom,
    OUT capacity int8, OUT error_rate float8, OUT bits int8, OUT hashes int4,
    OUT items int8, OUT bits_set int8, OUT bits_per_item float8, OUT fpp_estimate float8)
AS 'MODULE_PATHNAME', 'sk_bloom_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.bloom_info(streamkv.bloom) IS
  'Shape and fill of a filter: bits, hashes, items added, bits per item of capacity, estimated false-positive rate';

CREATE FUNCTION streamkv._bloom_agg_trans(state streamkv.bloom, item text, capacity int8, error_rate float8)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION streamkv._bloom_agg_trans(streamkv.bloom, text, int8, float8) IS
  'Internal: transition function of bloom_agg(text, int8, float8)';

CREATE FUNCTION streamkv._bloom_agg_trans(state streamkv.bloom, item bytea, capacity int8, error_rate float8)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION streamkv._bloom_agg_trans(streamkv.bloom, bytea, int8, float8) IS
  'Internal: transition function of bloom_agg(bytea, int8, float8)';

CREATE FUNCTION streamkv._bloom_agg_combine(a streamkv.bloom, b streamkv.bloom)
RETURNS streamkv.bloom
AS 'MODULE_PATHNAME', 'sk_bloom_agg_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv._bloom_agg_combine(streamkv.bloom, streamkv.bloom) IS
  'Internal: combine function of bloom_agg (parallel aggregation)';

CREATE AGGREGATE streamkv.bloom_agg(item text, capacity int8, error_rate float8) (
    SFUNC = streamkv._bloom_agg_trans,
    STYPE = streamkv.bloom,
    COMBINEFUNC = streamkv._bloom_agg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE streamkv.bloom_agg(text, int8, float8) IS
  'A bloom filter of capacity and error rate holding every non-NULL text item';

CREATE AGGREGATE streamkv.bloom_agg(item bytea, capacity int8, error_rate float8) (
    SFUNC = streamkv._bloom_agg_trans,
    STYPE = streamkv.bloom,
    COMBINEFUNC = streamkv._bloom_agg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE streamkv.bloom_agg(bytea, int8, float8) IS
  'A bloom filter of capacity and error rate holding every non-NULL binary item';
