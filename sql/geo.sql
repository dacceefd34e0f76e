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
