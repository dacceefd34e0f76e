# Differential test: streamkv.geohash_encode against PostGIS ST_GeoHash for
# 100,000 random points at every precision 1..12 (1.2 million hashes), plus
# edge points: poles, the antimeridian, and points exactly on cell edges
# (where "greater than" versus "greater or equal" matters).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('geohash_postgis');
$node->init(extra => ['--encoding=UTF8', '--no-locale']);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'streamkv'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv; CREATE EXTENSION postgis;');

$node->safe_psql('postgres', q{
SELECT setseed(0.20260505);
CREATE TABLE pts AS
  SELECT i AS id, -180 + 360 * random() AS lon, -90 + 180 * random() AS lat
  FROM generate_series(1, 100000) i;
-- edges: corners, poles, antimeridian, and exact cell boundaries at every level
INSERT INTO pts
  SELECT 100000 + row_number() OVER (), lon, lat
  FROM (SELECT * FROM (VALUES (-180::float8, -90::float8), (180, 90), (-180, 90), (180, -90), (0, 0),
               (0, 90), (0, -90), (180, 0), (-180, 0), ('-0', '-0'),
               (179.99999999999997, 89.99999999999999), (-179.99999999999997, -89.99999999999999)) v(lon, lat)
  UNION ALL
  SELECT -180 + 360 * floor(random() * 2 ^ b) / 2 ^ b, -90 + 180 * floor(random() * 2 ^ c) / 2 ^ c
  FROM generate_series(1, 30) b, generate_series(1, 30) c, generate_series(1, 3)) e(lon, lat);
});

my $n = $node->safe_psql('postgres', 'SELECT count(*) FROM pts');
cmp_ok($n, '>=', 100000, "$n points");

my $res = $node->safe_psql('postgres', q{
SELECT count(*),
       count(*) FILTER (WHERE streamkv.geohash_encode(lon, lat, p) IS DISTINCT FROM ST_GeoHash(ST_MakePoint(lon, lat), p))
FROM pts, generate_series(1, 12) p;
});
my ($total, $mismatches) = split /\|/, $res;
note "geohash_encode vs ST_GeoHash: $total comparisons, $mismatches mismatches";
is($mismatches, 0, "geohash_encode equals ST_GeoHash for $total (point, precision) pairs");
if ($mismatches)
{
	diag $node->safe_psql('postgres', q{
SELECT lon, lat, p, streamkv.geohash_encode(lon, lat, p), ST_GeoHash(ST_MakePoint(lon, lat), p)
FROM pts, generate_series(1, 12) p
WHERE streamkv.geohash_encode(lon, lat, p) IS DISTINCT FROM ST_GeoHash(ST_MakePoint(lon, lat), p) LIMIT 10});
}

# decoding agrees with PostGIS's ST_PointFromGeoHash / ST_Box2dFromGeoHash
$res = $node->safe_psql('postgres', q{
WITH h AS (SELECT ST_GeoHash(ST_MakePoint(lon, lat), 1 + id % 12) AS h FROM pts WHERE id % 10 = 0)
SELECT count(*),
       count(*) FILTER (WHERE d.lon <> ST_X(ST_PointFromGeoHash(h)) OR d.lat <> ST_Y(ST_PointFromGeoHash(h))),
       count(*) FILTER (WHERE b.min_lon <> ST_XMin(ST_Box2dFromGeoHash(h)) OR b.max_lon <> ST_XMax(ST_Box2dFromGeoHash(h))
                           OR b.min_lat <> ST_YMin(ST_Box2dFromGeoHash(h)) OR b.max_lat <> ST_YMax(ST_Box2dFromGeoHash(h)))
FROM h, streamkv.geohash_decode(h) d, streamkv.geohash_bbox(h) b;
});
my ($dn, $dmis, $bmis) = split /\|/, $res;
note "geohash_decode/bbox vs PostGIS: $dn hashes, $dmis centre and $bmis box mismatches";
is($dmis, 0, "geohash_decode equals ST_PointFromGeoHash for $dn hashes");
is($bmis, 0, "geohash_bbox equals ST_Box2dFromGeoHash for $dn hashes");

# geohash_cover never misses a point within the radius (spherical and spheroidal distance)
$res = $node->safe_psql('postgres', q{
SELECT setseed(0.5);
CREATE TABLE centres AS
  SELECT c AS cid, -180 + 360 * random() AS lon, -90 + 180 * random() AS lat,
         (ARRAY[10, 100, 1000, 10000, 100000, 1000000])[1 + c % 6]::float8 AS r
  FROM generate_series(1, 300) c;
CREATE TABLE near AS
  SELECT cid, p.lon AS plon, p.lat AS plat, r, c.lon, c.lat
  FROM centres c,
       LATERAL (SELECT least(180, greatest(-180, c.lon + (random() - 0.5) * 4 * r / 111000 / greatest(cos(radians(c.lat)), 0.01))) AS lon,
                       least(90, greatest(-90, c.lat + (random() - 0.5) * 4 * r / 111000)) AS lat
                FROM generate_series(1, 300)) p;
SELECT count(*) FILTER (WHERE ST_DWithin(ST_MakePoint(plon, plat)::geography, ST_MakePoint(lon, lat)::geography, r, true)
                           OR streamkv.geo_distance(plon, plat, lon, lat) <= r),
       count(*) FILTER (WHERE (ST_DWithin(ST_MakePoint(plon, plat)::geography, ST_MakePoint(lon, lat)::geography, r, true)
                               OR streamkv.geo_distance(plon, plat, lon, lat) <= r)
                          AND NOT streamkv.geohash_encode(plon, plat) LIKE ANY
                              (SELECT g || '%' FROM unnest(streamkv.geohash_cover(lon, lat, r)) g))
FROM near;
});
my ($inside, $missed) = (split /\n/, $res)[-1] =~ /(\d+)\|(\d+)/;
note "geohash_cover: $inside points within the radius, $missed outside the cover";
cmp_ok($inside, '>', 1000, 'enough points inside the radii');
is($missed, 0, 'geohash_cover covers every point within the radius');

$node->stop;
done_testing();
