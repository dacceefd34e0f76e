-- ---- geo sets (GEO commands on sorted sets; src/ks_geo.c, geo_set_sql.c) ----
-- A geo set is a sorted set (type 'zset') whose scores are Redis's 52-bit geo
-- scores (geo_score); positions are (lon, lat) in degrees, distances in
-- m, km, mi or ft (any case).  Results equal Redis 7.0's.

CREATE FUNCTION streamkv.geoadd(key text, lon float8, lat float8, member text,
    nx boolean DEFAULT false, xx boolean DEFAULT false, ch boolean DEFAULT false) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_geoadd' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.geoadd(text, float8, float8, text, boolean, boolean, boolean) IS
  'GEOADD: sets member''s position (score geo_score(lon, lat); nx: only add, xx: only update); returns members added (with ch: added or moved)';

CREATE FUNCTION streamkv.geoadd(key text, lons float8[], lats float8[], members text[],
    nx boolean DEFAULT false, xx boolean DEFAULT false, ch boolean DEFAULT false) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_geoadd_multi' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.geoadd(text, float8[], float8[], text[], boolean, boolean, boolean) IS
  'GEOADD of many (lons[i], lats[i], members[i]) in one command, one ZADD operation; returns members added (with ch: added or moved)';

CREATE FUNCTION streamkv.geoadd_agg_trans(internal, key text, lon float8, lat float8, member text) RETURNS internal
AS 'MODULE_PATHNAME', 'sk_geoadd_agg_trans' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.geoadd_agg_trans(internal, text, float8, float8, text) IS 'transition function of geoadd_agg';
CREATE AGGREGATE streamkv.geoadd_agg(key text, lon float8, lat float8, member text) (
    SFUNC = streamkv.geoadd_agg_trans, STYPE = internal,
    FINALFUNC = streamkv.zadd_agg_final, FINALFUNC_MODIFY = READ_WRITE);
-- it writes: volatile (see zadd_agg)
UPDATE pg_catalog.pg_proc SET provolatile = 'v'
 WHERE oid = 'streamkv.geoadd_agg(text, float8, float8, text)'::pg_catalog.regprocedure;
COMMENT ON AGGREGATE streamkv.geoadd_agg(text, float8, float8, text) IS
  'GEOADD of every (lon, lat, member) row to key, one ZADD operation per page of members; returns members added';

CREATE FUNCTION streamkv.geopos(key text, VARIADIC members text[],
    OUT member text, OUT lon float8, OUT lat float8) RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_geopos' LANGUAGE C STRICT VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.geopos(text, text[]) IS
  'GEOPOS: each member''s stored position (the centre of its cell), NULL lon and lat when absent';

CREATE FUNCTION streamkv.geodist(key text, member1 text, member2 text, unit text DEFAULT 'm') RETURNS float8
AS 'MODULE_PATHNAME', 'sk_geodist' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.geodist(text, text, text, text) IS
  'GEODIST: distance between two members in unit (m, km, mi, ft) on Redis''s sphere; NULL when either is absent';

CREATE FUNCTION streamkv.geohash(key text, VARIADIC members text[]) RETURNS text[]
AS 'MODULE_PATHNAME', 'sk_geohash' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION streamkv.geohash(text, text[]) IS
  'GEOHASH: each member''s 11-character geohash as Redis prints it (the last character 0), NULL when absent';

CREATE FUNCTION streamkv.geosearch(key text, from_member text DEFAULT NULL,
    from_lon float8 DEFAULT NULL, from_lat float8 DEFAULT NULL, radius float8 DEFAULT NULL,
    width float8 DEFAULT NULL, height float8 DEFAULT NULL, unit text DEFAULT 'm',
    sort text DEFAULT NULL, count bigint DEFAULT NULL, "any" boolean DEFAULT false,
    OUT member text, OUT dist float8, OUT hash bigint, OUT lon float8, OUT lat float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_geosearch' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.geosearch(text, text, float8, float8, float8, float8, float8, text, text, bigint, boolean) IS
  'GEOSEARCH: members within radius (or a width x height box) of from_member or (from_lon, from_lat), with distance in unit, score and position; sort ''asc''/''desc''/NULL (Redis''s order), count, any';

CREATE FUNCTION streamkv.geosearchstore(dst text, src text, from_member text DEFAULT NULL,
    from_lon float8 DEFAULT NULL, from_lat float8 DEFAULT NULL, radius float8 DEFAULT NULL,
    width float8 DEFAULT NULL, height float8 DEFAULT NULL, unit text DEFAULT 'm',
    sort text DEFAULT NULL, count bigint DEFAULT NULL, "any" boolean DEFAULT false,
    storedist boolean DEFAULT false) RETURNS bigint
AS 'MODULE_PATHNAME', 'sk_geosearchstore' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION streamkv.geosearchstore(text, text, text, float8, float8, float8, float8, float8, text, text, bigint, boolean, boolean) IS
  'GEOSEARCHSTORE: stores what geosearch finds in src at dst (scores: geo scores, or distances in unit with storedist; nothing found deletes dst); returns the members stored';

-- ---- geo sets sharded by geohash prefix (src/ks_geo.c, geo_sql.c) ----
CREATE FUNCTION streamkv.geo_shard_key(prefix text, lon float8, lat float8, "precision" int4)
RETURNS text
AS 'MODULE_PATHNAME', 'sk_geo_shard_key_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION streamkv.geo_shard_key(text, float8, float8, int4) IS
  'The key of the shard holding (lon, lat): prefix || ''{'' || geohash_encode(lon, lat, precision) || ''}'' (the geohash is the key''s hash tag, so one cell is one key_slot)';

CREATE FUNCTION streamkv.geosearch_sharded(prefix text, "precision" int4,
    from_lon float8, from_lat float8, radius float8 DEFAULT NULL,
    width float8 DEFAULT NULL, height float8 DEFAULT NULL, unit text DEFAULT 'm',
    sort text DEFAULT NULL, count bigint DEFAULT NULL, "any" boolean DEFAULT false,
    OUT member text, OUT dist float8, OUT hash bigint, OUT lon float8, OUT lat float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sk_geosearch_sharded' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION streamkv.geosearch_sharded(text, int4, float8, float8, float8, float8, float8, text, text, bigint, boolean) IS
  'GEOSEARCH over a geo set sharded into keys geo_shard_key(prefix, lon, lat, precision): the shards the area reaches, merged into the answer one set with every member would give';
