SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS streamkv;
RESET client_min_messages;
SET search_path = streamkv, public;
SET extra_float_digits = 0;

-- encode: the reference point at several lengths
SELECT p, geohash_encode(-122.4194, 37.7749, p) FROM generate_series(1, 12) p;
SELECT geohash_encode(-122.4194, 37.7749);                -- default 12
SELECT geohash_encode(lon => 13.361389, lat => 38.115556, "precision" => 11);
-- edge values: poles, antimeridian, origin, corners (a coordinate on a
-- cell edge belongs to the cell above it, as in PostGIS 3)
SELECT lon, lat, geohash_encode(lon, lat, 1) AS p1, geohash_encode(lon, lat, 12) AS p12
FROM (VALUES (0::float8, 0::float8), (-180, -90), (180, 90), (-180, 90), (180, -90),
             (0, 90), (0, -90), (180, 0), (-180, 0), ('-0', '-0'),
             (1e-300, 1e-300), (-1e-300, -1e-300), (179.99999999, 89.99999999),
             (-90, 45), (90, -45)) v(lon, lat);
-- errors
SELECT geohash_encode(180.0000001, 0);
SELECT geohash_encode(-181, 0);
SELECT geohash_encode(0, 90.5);
SELECT geohash_encode(0, -91);
SELECT geohash_encode('NaN', 0);
SELECT geohash_encode(0, 'Infinity');
SELECT geohash_encode(0, 0, 0);
SELECT geohash_encode(0, 0, 13);
SELECT geohash_encode(0, 0, -1);
-- NULL arguments
SELECT geohash_encode(NULL, 0) IS NULL, geohash_encode(0, NULL) IS NULL, geohash_encode(0, 0, NULL) IS NULL;

-- decode: centre and error margins
SELECT * FROM geohash_decode('9q8yyk8');
SELECT * FROM geohash_decode('s');
SELECT * FROM geohash_decode('0');
SELECT * FROM geohash_decode('zzzzzzzzzzzz');
SELECT * FROM geohash_decode('9Q8YYK8');                  -- upper case accepted
-- round trip: the decoded centre encodes to the same hash
SELECT h, geohash_encode(d.lon, d.lat, length(h)) = h AS round_trip
FROM unnest(ARRAY['u', 'u0', 'ezs42', 'sqc8b49rny', 'zzzzzzzzzzzz', '000000000000']) h,
     geohash_decode(h) d;
SELECT geohash_decode('');
SELECT geohash_decode('abc');                             -- 'a' is not base32
SELECT geohash_decode('u0i');
SELECT geohash_decode('u0l');
SELECT geohash_decode('u0o');
SELECT geohash_decode('1234567890123');
SELECT geohash_decode(NULL) IS NULL;

-- bbox
SELECT * FROM geohash_bbox('u');
SELECT * FROM geohash_bbox('ezs42');
SELECT * FROM geohash_bbox('zzzzzzzzzzzz');
SELECT geohash_bbox('ezs4!');
SELECT geohash_bbox(NULL) IS NULL;

-- neighbours
SELECT * FROM geohash_neighbors('9q8yy');
SELECT * FROM geohash_neighbors('ezs42');
SELECT * FROM geohash_neighbors('u');
-- the antimeridian wraps; beyond the poles there is nothing
SELECT * FROM geohash_neighbors('xbpbpbpbpbpb');          -- east edge, equator
SELECT * FROM geohash_neighbors('800000000000');          -- west edge, equator
SELECT * FROM geohash_neighbors('zzzzzzzzzzzz');          -- north-east corner
SELECT * FROM geohash_neighbors('0');                     -- south-west corner
-- each neighbour's own neighbour in the opposite direction is the cell
SELECT (geohash_neighbors((geohash_neighbors('u4pruydqqvj')).n)).s,
       (geohash_neighbors((geohash_neighbors('u4pruydqqvj')).e)).w,
       (geohash_neighbors((geohash_neighbors('u4pruydqqvj')).ne)).sw;
SELECT geohash_neighbors('');
SELECT geohash_neighbors(NULL) IS NULL;

-- cover
SELECT geohash_cover(2.35, 48.85, 1000);
SELECT geohash_cover(2.35, 48.85, 0);
SELECT geohash_cover(-122.4194, 37.7749, 50);
SELECT geohash_cover(179.9999, 0, 500);                   -- across the antimeridian
SELECT geohash_cover(0, 89.999, 1000);                    -- around the north pole
SELECT geohash_cover(0, -90, 10);                         -- at the south pole
SELECT geohash_cover(0, 0, 1e9);                          -- the whole earth
SELECT cardinality(geohash_cover(lon, lat, r)) <= 64
FROM (VALUES (0.0, 0.0, 1.0), (10, 60, 100000), (-75, -80, 3e6)) v(lon, lat, r);
-- every point within the radius falls into a cell of the cover
SELECT setseed(0.5);
SELECT count(*) AS points, count(*) FILTER (WHERE NOT geohash_encode(lon, lat) LIKE ANY (
           SELECT c || '%' FROM unnest(geohash_cover(2.35, 48.85, 2000)) c)) AS missed
FROM (SELECT 2.35 + (random() - 0.5) * 0.06 AS lon, 48.85 + (random() - 0.5) * 0.04 AS lat
      FROM generate_series(1, 20000)) p
WHERE geo_distance(2.35, 48.85, lon, lat) <= 2000;
SELECT geohash_cover(0, 0, -1);
SELECT geohash_cover(0, 0, 'NaN');
SELECT geohash_cover(0, 0, 'Infinity');
SELECT geohash_cover(200, 0, 1);
SELECT geohash_cover(0, -90.1, 1);
SELECT geohash_cover(0, 0, NULL) IS NULL;
