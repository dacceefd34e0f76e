-- Geo sets (issue 12): every geo-set function, NULL arguments and every error.
-- Vectors from ../shared/reference/redis-semantics.md, "Geo".
CREATE EXTENSION IF NOT EXISTS streamkv;
SET extra_float_digits = 0;
SELECT streamkv.flushdb();

-- GEOADD: Palermo and Catania (Redis: 2), the scores GEOADD stores, the type
SELECT streamkv.geoadd('Sicily', ARRAY[13.361389, 15.087269]::float8[],
                       ARRAY[38.115556, 37.502669]::float8[], ARRAY['Palermo', 'Catania']);
SELECT streamkv.zscore('Sicily', 'Palermo')::int8 AS palermo,
       streamkv.zscore('Sicily', 'Catania')::int8 AS catania, streamkv.type('Sicily');
-- scalar form; nx, xx, ch
SELECT streamkv.geoadd('Sicily', 13.583333, 37.316667, 'Agrigento');
SELECT streamkv.geoadd('Sicily', 0, 0, 'Palermo', nx => true), streamkv.geoadd('Sicily', 0, 0, 'nobody', xx => true);
SELECT streamkv.zcard('Sicily'), streamkv.zscore('Sicily', 'nobody');
SELECT streamkv.geoadd('moves', 1, 1, 'm'), streamkv.geoadd('moves', 2, 2, 'm'),
       streamkv.geoadd('moves', 3, 3, 'm', ch => true), streamkv.geoadd('moves', 3, 3, 'm', ch => true),
       streamkv.geoadd('moves', 4, 4, 'm', xx => true, ch => true);
-- a member given twice: the last position wins, added once
SELECT streamkv.geoadd('twice', ARRAY[1, 2]::float8[], ARRAY[1, 2]::float8[], ARRAY['x', 'x']);
SELECT * FROM streamkv.geopos('twice', 'x');
-- the limits are accepted (a maximum spills into bit 52/53, as in Redis)
SELECT streamkv.geoadd('edges', ARRAY[-180, 180, 0, 0]::float8[],
                       ARRAY[-85.05112878, 85.05112878, 0, -85.05112878]::float8[],
                       ARRAY['sw', 'ne', 'zero', 's']);
SELECT member, score::int8 FROM streamkv.zrange('edges', 0, -1);

-- GEOPOS: decoded cell centres (Palermo 13.36138933897018433 38.11555639549629859), NULL when absent
SET extra_float_digits = 3;
SELECT * FROM streamkv.geopos('Sicily', 'Palermo', 'Catania', 'nope');
SELECT * FROM streamkv.geopos('missing', 'a');
SELECT * FROM streamkv.geopos('edges', 'sw', 'ne', 'zero', 's');
SET extra_float_digits = 0;

-- GEODIST: 166274.1516 m, 166.2742 km, 103.3182 mi; NULL when a member or the key is missing
SELECT round(streamkv.geodist('Sicily', 'Palermo', 'Catania')::numeric, 4) AS m,
       round(streamkv.geodist('Sicily', 'Palermo', 'Catania', 'km')::numeric, 4) AS km,
       round(streamkv.geodist('Sicily', 'Palermo', 'Catania', 'MI')::numeric, 4) AS mi,
       round(streamkv.geodist('Sicily', 'Palermo', 'Catania', 'ft')::numeric, 4) AS ft;
SELECT streamkv.geodist('Sicily', 'Palermo', 'nope'), streamkv.geodist('missing', 'a', 'b'),
       streamkv.geodist('Sicily', 'Palermo', 'Palermo');

-- GEOHASH: Redis's 11 characters (sqc8b49rny0, sqdtr74hyu0), NULL when absent
SELECT streamkv.geohash('Sicily', 'Palermo', 'Catania', 'nope');
SELECT streamkv.geohash('missing', 'a'), streamkv.geohash('edges', 'sw', 'ne', 'zero', 's');
-- San Francisco: 9q8yyk8ytp0
SELECT streamkv.geoadd('sf', -122.4194, 37.7749, 'sf'), streamkv.geohash('sf', 'sf');

-- GEOSEARCH from (15, 37) within 200 km, ascending:
-- Catania 56.4413, Agrigento 130.4235, Palermo 190.4424
SELECT member, round(dist::numeric, 4) AS dist, hash, round(lon::numeric, 6) AS lon, round(lat::numeric, 6) AS lat
  FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, radius => 200, unit => 'km', sort => 'asc');
SELECT member, round(dist::numeric, 4) AS dist
  FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, radius => 200, unit => 'km', sort => 'DESC');
-- unsorted: Redis's order (cells, then scores)
SELECT member FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, radius => 200, unit => 'km');
-- count: the nearest (sorted ascending); count with any: the first found
SELECT member, round(dist::numeric, 4) AS dist
  FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, radius => 200, unit => 'km', count => 2);
SELECT member FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, radius => 200, unit => 'km', count => 1, "any" => true);
SELECT member FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, radius => 200, unit => 'km', count => 2, "any" => true, sort => 'desc');
-- from a member (its stored position; itself at distance 0)
SELECT member, round(dist::numeric, 4) AS dist
  FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 100, unit => 'mi', sort => 'asc');
-- a box 400 km wide and 400 km high around (15, 37), in metres and in feet
SELECT member, round(dist::numeric, 4) AS dist
  FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, width => 400000, height => 400000, sort => 'asc');
SELECT member FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, width => 400, height => 100, unit => 'km', sort => 'asc');
SELECT member FROM streamkv.geosearch('Sicily', from_lon => 15, from_lat => 37, width => 100, height => 400, unit => 'km', sort => 'asc');
-- radius 0 finds members at the very position
SELECT member FROM streamkv.geosearch('Sicily', from_member => 'Catania', radius => 0);
-- across the antimeridian and near the poles
SELECT streamkv.geoadd('wrap', ARRAY[179.99, -179.99, 179.5, -85, 0]::float8[],
                       ARRAY[0.5, 0.5, 85.05, 85.05, 85.05112878]::float8[],
                       ARRAY['east', 'west', 'north1', 'north2', 'pole']);
SELECT member, round(dist::numeric, 4) AS dist FROM streamkv.geosearch('wrap', from_lon => 180, from_lat => 0.5, radius => 10, unit => 'km', sort => 'asc');
SELECT member, round(dist::numeric, 4) AS dist FROM streamkv.geosearch('wrap', from_lon => -180, from_lat => 85, radius => 2000, unit => 'km', sort => 'asc');
-- a missing key: no rows
SELECT count(*) FROM streamkv.geosearch('missing', from_member => 'x', radius => 1);
SELECT count(*) FROM streamkv.geosearch('missing', from_lon => 0, from_lat => 0, radius => 1);

-- GEOSEARCHSTORE: geo scores, or distances with storedist; nothing found deletes dst
SELECT streamkv.geosearchstore('near', 'Sicily', from_lon => 15, from_lat => 37, radius => 200, unit => 'km');
SELECT member, score::int8 FROM streamkv.zrange('near', 0, -1);
SELECT streamkv.geosearchstore('near', 'Sicily', from_lon => 15, from_lat => 37, radius => 200, unit => 'km',
                               count => 2, storedist => true);
SELECT member, round(score::numeric, 4) FROM streamkv.zrange('near', 0, -1);
SELECT streamkv.set('str', 'x');
SELECT streamkv.geosearchstore('str', 'Sicily', from_member => 'Agrigento', radius => 1, sort => 'asc'), streamkv.type('str');
SELECT streamkv.geosearchstore('str', 'Sicily', from_lon => 0, from_lat => 0, radius => 1), streamkv.exists('str');
SELECT streamkv.geosearchstore('near', 'missing', from_member => 'x', radius => 1), streamkv.exists('near');

-- geoadd_agg: one ZADD per page of rows, members added; rows naming another key go there
SELECT streamkv.geoadd_agg('grid', x * 0.01, y * 0.01, x || ':' || y)
  FROM generate_series(0, 49) x, generate_series(0, 49) y;
SELECT streamkv.geoadd_agg(k, 1, 1, 'm') FROM (VALUES ('agg1'), ('agg2'), ('agg2')) v(k);
SELECT streamkv.zcard('grid'), streamkv.zcard('agg1'), streamkv.zcard('agg2');
SELECT streamkv.geoadd_agg('none', 1, 1, 'm') WHERE false;
SELECT count(*), round(max(dist)::numeric, 4) FROM streamkv.geosearch('grid', from_member => '25:25', radius => 5, unit => 'km');
SELECT member, round(dist::numeric, 4) FROM streamkv.geosearch('grid', from_member => '25:25', radius => 5, unit => 'km', count => 5);
-- every sorted-set command works on a geo set
SELECT streamkv.zrem('Sicily', 'Agrigento'), streamkv.zcard('Sicily');

-- Errors, each with its SQLSTATE (the message as Redis words it); a few are also
-- shown as psql prints them, with their DETAIL
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- errors: invalid positions (22023)
SELECT streamkv.geoadd('e', 181, 0, 'm');
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', 181, 0, 'm')$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', 0, 85.06, 'm')$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', 'NaN', 0, 'm')$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', ARRAY[1, 200]::float8[], ARRAY[1, 1]::float8[], ARRAY['ok', 'bad']), streamkv.exists('e')$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_lon => 0, from_lat => -86, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd_agg('e', 0, 90, 'm')$q$);
-- nx with xx: syntax error (42601); empty and uneven arrays (22023)
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', 1, 1, 'm', nx => true, xx => true)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', ARRAY[]::float8[], ARRAY[]::float8[], ARRAY[]::text[])$q$);
SELECT streamkv.geoadd('e', ARRAY[1, 2]::float8[], ARRAY[1]::float8[], ARRAY['a', 'b']);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', ARRAY[1, 2]::float8[], ARRAY[1]::float8[], ARRAY['a', 'b'])$q$);
-- units (22023)
SELECT streamkv.geodist('Sicily', 'Palermo', 'Catania', 'yd');
SELECT pg_temp.err($q$SELECT streamkv.geodist('Sicily', 'Palermo', 'Catania', 'yd')$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 1, unit => 'miles')$q$);
-- negative radius, width or height; count <= 0; any without count; sort (22023)
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => -1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', width => 1, height => -1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 1, count => 0)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 1, count => -3)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 1, "any" => true)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 1, sort => 'up')$q$);
SELECT pg_temp.err($q$SELECT streamkv.geosearchstore('d', 'Sicily', from_member => 'Palermo', radius => 1, count => 0)$q$);
-- exactly one centre and one shape (22023)
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', from_lon => 1, from_lat => 1, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_lon => 1, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo')$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 1, width => 1, height => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', width => 1)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geosearchstore('d', 'Sicily', radius => 1)$q$);
-- from_member not in the set (42704)
SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Rome', radius => 1);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Rome', radius => 1)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geosearchstore('d', 'Sicily', from_member => 'Rome', radius => 1), streamkv.exists('d')$q$);
-- WRONGTYPE (42809)
SELECT pg_temp.err($q$SELECT streamkv.geoadd('str2', 1, 1, 'm') FROM (SELECT streamkv.set('str2', 'x')) s$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geopos('str2', 'm')$q$);
SELECT pg_temp.err($q$SELECT streamkv.geodist('str2', 'a', 'b')$q$);
SELECT pg_temp.err($q$SELECT streamkv.geohash('str2', 'a')$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('str2', from_lon => 0, from_lat => 0, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geosearchstore('d', 'str2', from_lon => 0, from_lat => 0, radius => 1)$q$);

-- NULL arguments: STRICT functions give NULL; the others 22004
SELECT streamkv.geodist(NULL, 'a', 'b'), streamkv.geodist('Sicily', 'Palermo', 'Catania', NULL),
       streamkv.geohash('Sicily', VARIADIC NULL::text[]);
SELECT count(*) FROM streamkv.geopos(NULL, 'a');
SELECT pg_temp.err($q$SELECT streamkv.geohash('Sicily', 'Palermo', NULL)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd(NULL, 1, 1, 'm')$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', NULL, 1, 'm')$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', 1, 1, 'm', ch => NULL)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', ARRAY[1, NULL]::float8[], ARRAY[1, 1]::float8[], ARRAY['a', 'b'])$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd('e', ARRAY[1]::float8[], ARRAY[1]::float8[], ARRAY[NULL]::text[])$q$);
SELECT pg_temp.err($q$SELECT streamkv.geoadd_agg('e', 1, 1, NULL)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch(NULL, from_member => 'Palermo', radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 1, unit => NULL)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch('Sicily', from_member => 'Palermo', radius => 1, "any" => NULL)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geosearchstore(NULL, 'Sicily', from_member => 'Palermo', radius => 1)$q$);
SELECT pg_temp.err($q$SELECT streamkv.geosearchstore('d', 'Sicily', from_member => 'Palermo', radius => 1, storedist => NULL)$q$);
-- nothing was written by the failed calls
SELECT streamkv.exists('e'), streamkv.exists('d');

-- ---- a geo set sharded by geohash prefix: geo_shard_key, geosearch_sharded
-- the same points in one set and in shards of 2-character geohashes
SELECT streamkv.geoadd('one', lon, lat, name),
       streamkv.geoadd(streamkv.geo_shard_key('sh:', lon, lat, 2), lon, lat, name)
FROM (VALUES ('Palermo', 13.361389, 38.115556), ('Catania', 15.087269, 37.502669),
             ('Agrigento', 13.583333, 37.316667), ('Messina', 15.5556, 38.1938),
             ('Reggio', 15.6500, 38.1100), ('Naples', 14.2681, 40.8518),
             ('Valletta', 14.5146, 35.8989), ('Tunis', 10.1815, 36.8065)) v(name, lon, lat);
SELECT key, streamkv.zcard(key) FROM streamkv.keys('sh:*') key ORDER BY key;
SELECT member, round(dist::numeric, 4) FROM streamkv.geosearch_sharded('sh:', 2, from_lon => 15, from_lat => 37, radius => 200, unit => 'km', sort => 'asc');
-- equal to one set: sorted, unsorted (Redis's order), COUNT, COUNT ANY, boxes, DESC
SELECT r, w, h, sort, cnt, anyx,
       (SELECT array_agg(member || '@' || round(dist::numeric, 4)) FROM streamkv.geosearch('one', from_lon => 15, from_lat => 37, radius => r, width => w, height => h, unit => 'km', sort => sort, count => cnt, "any" => anyx))
       IS NOT DISTINCT FROM
       (SELECT array_agg(member || '@' || round(dist::numeric, 4)) FROM streamkv.geosearch_sharded('sh:', 2, from_lon => 15, from_lat => 37, radius => r, width => w, height => h, unit => 'km', sort => sort, count => cnt, "any" => anyx)) AS same
FROM (VALUES (200::float8, NULL::float8, NULL::float8, 'asc', NULL::int8, false), (500, NULL, NULL, NULL, NULL, false),
             (500, NULL, NULL, 'desc', 3, false), (500, NULL, NULL, NULL, 2, true),
             (NULL, 400, 300, NULL, NULL, false), (NULL, 400, 300, 'asc', 1, false),
             (20000, NULL, NULL, 'asc', NULL, false), (1, NULL, NULL, NULL, NULL, false)) v(r, w, h, sort, cnt, anyx);
SELECT count(*) FROM streamkv.geosearch_sharded('none:', 3, from_lon => 15, from_lat => 37, radius => 200, unit => 'km');
-- errors: as geosearch's, plus from_lon/from_lat required, the precision and too many shards
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 2, NULL, 37, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 2, 15, 37)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 2, 15, 37, radius => -1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 2, 15, 86, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 2, 15, 37, radius => 1, unit => 'yd')$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 2, 15, 37, radius => 1, count => 0)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 2, 15, 37, radius => 1, "any" => true)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 0, 15, 37, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 13, 15, 37, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 5, 15, 37, radius => 5000, unit => 'km')$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded(NULL, 2, 15, 37, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', NULL, 15, 37, radius => 1)$q$);
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('sh:', 2, 15, 37, radius => 1, "any" => NULL)$q$);
-- WRONGTYPE: a shard key holding a string
SELECT streamkv.set(streamkv.geo_shard_key('bad:', 15, 37, 2), 'x');
SELECT pg_temp.err($q$SELECT * FROM streamkv.geosearch_sharded('bad:', 2, 15, 37, radius => 1)$q$);
