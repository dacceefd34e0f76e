SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS streamkv;
RESET client_min_messages;
SET search_path = streamkv, public;
SET extra_float_digits = 3;

-- Redis's documented vectors (GEOADD Sicily ... Palermo ... Catania)
SELECT geo_score(13.361389, 38.115556)::int8 AS palermo,
       geo_score(15.087269, 37.502669)::int8 AS catania;
SELECT * FROM geo_decode_score(3479099956230698);
SELECT * FROM geo_decode_score(3479447370796909);
SELECT round(geo_distance(p.lon, p.lat, c.lon, c.lat)::numeric, 4) AS m,
       round(geo_distance(p.lon, p.lat, c.lon, c.lat, 'km')::numeric, 4) AS km,
       round(geo_distance(p.lon, p.lat, c.lon, c.lat, 'mi')::numeric, 4) AS mi,
       round(geo_distance(p.lon, p.lat, c.lon, c.lat, 'ft')::numeric, 4) AS ft,
       round(geo_distance(p.lon, p.lat, c.lon, c.lat, 'KM')::numeric, 4) AS km_upper
FROM geo_decode_score(3479099956230698) p, geo_decode_score(3479447370796909) c;
-- GEOSEARCH FROMLONLAT 15 37 BYRADIUS 200 km: the distances Redis prints
SELECT name, round(geo_distance(15, 37, d.lon, d.lat, 'km')::numeric, 4)
FROM (VALUES ('Catania', 15.087269, 37.502669), ('Agrigento', 13.583333, 37.316667),
             ('Palermo', 13.361389, 38.115556)) v(name, lon, lat),
     geo_decode_score(geo_score(lon, lat)) d ORDER BY 2;

-- edge values: Redis's latitude limits and the antimeridian
SELECT v.lon, v.lat, geo_score(v.lon, v.lat)::int8 AS score, d.lon AS dlon, d.lat AS dlat
FROM (VALUES (-180::float8, -85.05112878::float8), (180, 85.05112878), (-180, 85.05112878),
             (180, -85.05112878), (0, 0), ('-0', '-0'), (179.9999999, 85.0511287),
             (-179.9999999, -85.0511287)) v(lon, lat),
     LATERAL geo_decode_score(geo_score(v.lon, v.lat)) d;
SELECT * FROM geo_decode_score(0);
SELECT * FROM geo_decode_score(4503599627370495);         -- 2^52 - 1
SELECT geo_score(0, 85.05112879);
SELECT geo_score(0, -85.05112879);
SELECT geo_score(180.000001, 0);
SELECT geo_score('NaN', 0);
SELECT geo_decode_score(-1);
SELECT geo_decode_score(1.5);
SELECT geo_decode_score(18014398509481984);               -- 2^54
SELECT geo_decode_score('NaN');
SELECT geo_score(NULL, 0) IS NULL, geo_decode_score(NULL) IS NULL;

-- distances
SELECT geo_distance(0, 0, 0, 0), geo_distance(0, 0, 180, 0), geo_distance(0, 90, 0, -90);
SELECT round(geo_distance(-179.5, 0, 179.5, 0)::numeric, 4) AS across_antimeridian;
SELECT round(geo_distance(0, 10, 0, 11)::numeric, 4) AS same_meridian;
SELECT geo_distance(0, 0, 1, 1, 'yd');
SELECT geo_distance(0, 0, 1, 1, '');
SELECT geo_distance(0, 91, 1, 1);
SELECT geo_distance(0, 0, 181, 1);
SELECT geo_distance(NULL, 0, 1, 1) IS NULL, geo_distance(0, 0, 1, 1, NULL) IS NULL;

-- ---- geohash-indexed search over a table (geohash_int, geohash_ranges, geo_distance_sphere)
-- geohash_int is the 12-character geohash as an integer: its base32 digits are the string's
SELECT geohash_int(-122.4194, 37.7749) AS sf,
       (SELECT string_agg(substr('0123456789bcdefghjkmnpqrstuvwxyz',
                                 ((geohash_int(-122.4194, 37.7749) >> (5 * (11 - i))) & 31)::int + 1, 1), '' ORDER BY i)
        FROM generate_series(0, 11) i) AS digits,
       geohash_encode(-122.4194, 37.7749, 12) AS geohash;
SELECT geohash_int(-180, -90) AS sw, geohash_int(180, 90) AS ne, geohash_int(0, 0) AS origin,
       geohash_int(180, 90) = (1::int8 << 60) - 1 AS ne_is_max;
-- integers sort as the geohashes do (C collation)
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE (geohash_int(a.lon, a.lat) < geohash_int(b.lon, b.lat))
                          <> (geohash_encode(a.lon, a.lat) COLLATE "C" < geohash_encode(b.lon, b.lat) COLLATE "C")) AS misordered
FROM (SELECT -180 + 7.3 * i AS lon, -90 + 3.7 * i AS lat FROM generate_series(0, 48) i) a,
     (SELECT 180 - 5.9 * i AS lon, 90 - 4.1 * i AS lat FROM generate_series(0, 43) i) b;
SELECT geohash_int(181, 0);
SELECT geohash_int(0, -90.5);
SELECT geohash_int('NaN', 0);
SELECT geohash_int(NULL, 0) IS NULL;

-- geohash_ranges: ascending, disjoint, at most 8, holding the centre
SELECT * FROM geohash_ranges(10, 45, 5000);
SELECT count(*) AS n, bool_and(lo <= hi) AS ordered,
       bool_or(geohash_int(10, 45) BETWEEN lo AND hi) AS holds_centre
FROM geohash_ranges(10, 45, 5000);
SELECT r, (SELECT count(*) FROM geohash_ranges(lon, lat, r)) AS ranges
FROM (VALUES (0::float8, 0::float8, 0::float8), (0, 0, 1), (179.9999, 0.5, 1000),
             (-179.9999, -0.5, 1000), (0, 89.9999, 10000), (0, -90, 10000), (10, 45, 20000000),
             (0, 0, 'Infinity')) v(lon, lat, r);
-- the whole earth is one range
SELECT * FROM geohash_ranges(0, 0, 'Infinity');
-- every point within the radius lies in a range (points around each centre, PostGIS's sphere)
SELECT count(*) AS inside,
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM geohash_ranges(c.lon, c.lat, c.r) g
                                          WHERE geohash_int(p.lon, p.lat) BETWEEN g.lo AND g.hi)) AS missed
FROM (SELECT -180 + 360 * ((i * 0.6180339887) - floor(i * 0.6180339887)) AS lon,
             -90 + 180 * ((i * 0.7548776662) - floor(i * 0.7548776662)) AS lat,
             (ARRAY[10, 1000, 50000, 2000000])[1 + i % 4]::float8 AS r
      FROM generate_series(1, 200) i) c,
     LATERAL (SELECT least(180, greatest(-180, c.lon + (j % 21 - 10) * c.r / 1000000.0 / greatest(cos(radians(c.lat)), 0.01))) AS lon,
                     least(90, greatest(-90, c.lat + (j / 21 - 10) * c.r / 1000000.0)) AS lat
              FROM generate_series(0, 440) j) p
WHERE geo_distance_sphere(p.lon, p.lat, c.lon, c.lat) <= c.r;
SELECT * FROM geohash_ranges(0, 0, -1);
SELECT * FROM geohash_ranges(0, 0, 'NaN');
SELECT * FROM geohash_ranges(0, 91, 1);
SELECT count(*) FROM geohash_ranges(NULL, 0, 1);

-- geo_distance_sphere: PostGIS's sphere (mean radius 6371008.7714 m)
SELECT geo_distance_sphere(0, 0, 0, 0) AS zero, geo_distance_sphere(0, 0, 180, 0) AS half_circle,
       geo_distance_sphere(0, 90, 0, -90) AS pole_to_pole,
       round(geo_distance_sphere(-179.5, 0, 179.5, 0)::numeric, 6) AS across_antimeridian,
       round(geo_distance_sphere(13.361389, 38.115556, 15.087269, 37.502669)::numeric, 6) AS palermo_catania,
       round(geo_distance(13.361389, 38.115556, 15.087269, 37.502669)::numeric, 6) AS redis_sphere;
SELECT geo_distance_sphere(0, 91, 1, 1);
SELECT geo_distance_sphere(0, 0, -181, 1);
SELECT geo_distance_sphere(NULL, 0, 1, 1) IS NULL;

-- the documented query: one index range scan per range, then the exact filter
CREATE TABLE places (id int PRIMARY KEY, lon float8, lat float8,
                     gh bigint GENERATED ALWAYS AS (streamkv.geohash_int(lon, lat)) STORED);
CREATE INDEX places_gh ON places (gh) INCLUDE (lon, lat);
INSERT INTO places (id, lon, lat)
SELECT i, -10 + 40 * ((i * 0.6180339887) - floor(i * 0.6180339887)),
       35 + 25 * ((i * 0.7548776662) - floor(i * 0.7548776662))
FROM generate_series(1, 20000) i;
VACUUM ANALYZE places;
EXPLAIN (COSTS OFF)
SELECT p.id FROM streamkv.geohash_ranges(10, 45, 50000) r
JOIN LATERAL (SELECT * FROM places WHERE gh BETWEEN r.lo AND r.hi) p ON true
WHERE streamkv.geo_distance_sphere(p.lon, p.lat, 10, 45) <= 50000;
SELECT count(*) AS found,
       count(*) = (SELECT count(*) FROM places WHERE geo_distance_sphere(lon, lat, 10, 45) <= 50000) AS equals_full_scan
FROM streamkv.geohash_ranges(10, 45, 50000) r
JOIN LATERAL (SELECT * FROM places WHERE gh BETWEEN r.lo AND r.hi) p ON true
WHERE streamkv.geo_distance_sphere(p.lon, p.lat, 10, 45) <= 50000;
DROP TABLE places;

-- ---- shard keys
SELECT geo_shard_key('geo:', -122.4194, 37.7749, 3) AS key,
       key_slot(geo_shard_key('geo:', -122.4194, 37.7749, 3)) = key_slot('9q8') AS slot_of_tag,
       geo_shard_key('', 13.361389, 38.115556, 5) AS empty_prefix,
       geo_shard_key('x', 180, 90, 1) AS corner;
SELECT geo_shard_key('geo:', 0, 0, 0);
SELECT geo_shard_key('geo:', 0, 0, 13);
SELECT geo_shard_key('geo:', 0, 95, 3);
SELECT geo_shard_key(NULL, 0, 0, 3) IS NULL;
