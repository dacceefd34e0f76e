# Differential test of the geohash-indexed table search (issue 12, item 3)
# against PostGIS: the same points in one table with a b-tree on
# geohash_int(lon, lat) and a GiST index on geography; for every query,
#   geohash_ranges + b-tree range scans + geo_distance_sphere <= r
# must return exactly the rows of ST_DWithin(geog, centre, r, false) (over
# the GiST index).  100,000 points (uniform, clusters at both poles, along
# the antimeridian, around (0, 0), and exact poles/corners), 2,000 centres
# with radii from 1 m to 5,000 km (log-uniform) plus radii equal to the
# distance of a chosen point (ties at the boundary) and a few of 10,000 km
# or more.  Also checks that geo_distance_sphere equals ST_Distance(...,
# false) bit for bit (ST_DWithin at exactly that distance holds, just below
# it does not).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = sk_node('geotable');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv; CREATE EXTENSION postgis;');

$node->safe_psql('postgres', q{
SELECT setseed(0.0512);
CREATE TABLE pts (id int PRIMARY KEY, lon float8, lat float8);
INSERT INTO pts
SELECT i, lon, lat FROM (
  SELECT row_number() OVER () AS i, lon, lat FROM (
    SELECT -180 + 360 * random() AS lon, degrees(asin(2 * random() - 1)) AS lat
      FROM generate_series(1, 60000)
    UNION ALL                                  -- both polar caps
    SELECT -180 + 360 * random(), (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END) * (89 + random())
      FROM generate_series(1, 15000) g
    UNION ALL                                  -- along the antimeridian
    SELECT (CASE WHEN g % 2 = 0 THEN 180 ELSE -180 END) - (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END) * random() * 0.5,
           -80 + 160 * random()
      FROM generate_series(1, 15000) g
    UNION ALL                                  -- a dense cluster around (0, 0)
    SELECT (random() - 0.5) * 0.02, (random() - 0.5) * 0.02 FROM generate_series(1, 9988)
    UNION ALL
    SELECT * FROM (VALUES (0::float8, 90::float8), (0, -90), (180, 90), (-180, -90), (180, 0), (-180, 0),
                          (0, 0), (179.99999999, 89.99999999), (-179.99999999, -89.99999999),
                          (90, 90), (-90, -90), (45, 0)) v) s) t;
ALTER TABLE pts ADD COLUMN gh bigint GENERATED ALWAYS AS (streamkv.geohash_int(lon, lat)) STORED,
                ADD COLUMN geog geography GENERATED ALWAYS AS (ST_MakePoint(lon, lat)::geography) STORED;
CREATE INDEX pts_gh ON pts (gh) INCLUDE (lon, lat);
CREATE INDEX pts_geog ON pts USING gist (geog);
VACUUM ANALYZE pts;

CREATE TABLE q (qid int PRIMARY KEY, lon float8, lat float8, r float8);
INSERT INTO q
SELECT g,
       CASE WHEN g % 5 = 1 THEN (CASE WHEN g % 2 = 0 THEN 180 ELSE -180 END) * (1 - random() * 0.001)
            ELSE -180 + 360 * random() END,
       CASE WHEN g % 5 = 2 THEN (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END) * (88 + 2 * random())
            WHEN g % 5 = 3 THEN (random() - 0.5) * 0.03
            ELSE degrees(asin(2 * random() - 1)) END,
       power(10, 6.7 * random())              -- 1 m .. 5,000 km
FROM generate_series(1, 2000) g;
UPDATE q SET lon = (random() - 0.5) * 0.03 WHERE qid % 5 = 3;
-- radii equal to the distance of some point: ties at the boundary
INSERT INTO q
SELECT 2000 + g, c.lon, c.lat, streamkv.geo_distance_sphere(p.lon, p.lat, c.lon, c.lat)
FROM generate_series(1, 300) g,
     LATERAL (SELECT lon, lat FROM q WHERE qid = g) c,
     LATERAL (SELECT lon, lat FROM pts WHERE id = 1 + (g * 7919) % 100000) p;
INSERT INTO q VALUES (2301, 0, 90, 1), (2302, 0, -90, 1000), (2303, 180, 0, 1), (2304, -180, 0, 5000),
                     (2305, 10, 45, 10000000), (2306, -170, -60, 20015114.35), (2307, 0, 0, 0),
                     (2308, 0, 0, 'Infinity'), (2309, 179.9999, 89.9999, 300000), (2310, 0, 0, 50);
});

my $nq = $node->safe_psql('postgres', 'SELECT count(*) FROM q');
cmp_ok($nq, '>=', 2000, "$nq queries");

# the b-tree query uses the index
my $plan = $node->safe_psql('postgres', q{
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT p.id FROM streamkv.geohash_ranges(10, 45, 5000) r
JOIN LATERAL (SELECT * FROM pts WHERE gh BETWEEN r.lo AND r.hi) p ON true
WHERE streamkv.geo_distance_sphere(p.lon, p.lat, 10, 45) <= 5000});
like($plan, qr/(Index (Only )?Scan using|Bitmap Index Scan on) pts_gh/, 'the range scans use the b-tree');

my $res = $node->safe_psql('postgres', q{
SET enable_seqscan = off;
CREATE TABLE cmp AS
SELECT q.qid,
       (SELECT array_agg(p.id ORDER BY p.id)
          FROM streamkv.geohash_ranges(q.lon, q.lat, q.r) g
          JOIN LATERAL (SELECT id, lon, lat FROM pts WHERE gh BETWEEN g.lo AND g.hi) p ON true
         WHERE streamkv.geo_distance_sphere(p.lon, p.lat, q.lon, q.lat) <= q.r) AS mine,
       (SELECT array_agg(id ORDER BY id) FROM pts
         WHERE ST_DWithin(geog, ST_MakePoint(q.lon, q.lat)::geography, q.r, false)) AS postgis
FROM q;
SELECT count(*), count(*) FILTER (WHERE mine IS DISTINCT FROM postgis),
       sum(coalesce(cardinality(postgis), 0)),
       count(*) FILTER (WHERE cardinality(postgis) > 0)
FROM cmp;
});
my ($n, $mismatches, $rows, $nonempty) = split /\|/, (split /\n/, $res)[-1];
note "$n queries, $rows rows found by PostGIS in $nonempty non-empty answers, $mismatches mismatches";
is($mismatches, 0, "geohash_ranges + b-tree + geo_distance_sphere equals ST_DWithin(geography, false) for $n queries");
cmp_ok($rows, '>', 50000, 'the queries found many rows');
cmp_ok($nonempty, '>', 1000, 'most queries found something');
if ($mismatches)
{
	diag $node->safe_psql('postgres', q{
SELECT q.*, cardinality(mine), cardinality(postgis),
       (SELECT array_agg(x) FROM (SELECT unnest(postgis) EXCEPT SELECT unnest(mine)) d(x)) AS missing,
       (SELECT array_agg(x) FROM (SELECT unnest(mine) EXCEPT SELECT unnest(postgis)) d(x)) AS extra
FROM cmp JOIN q USING (qid) WHERE mine IS DISTINCT FROM postgis LIMIT 10});
}

# the boundary: the tie queries include their point, which needs the same bits
my $ties = $node->safe_psql('postgres', q{
SELECT count(*), count(*) FILTER (WHERE cardinality(mine) > 0)
FROM cmp WHERE qid BETWEEN 2001 AND 2300});
my ($nt, $nt_found) = split /\|/, $ties;
is($nt_found, $nt, "each of the $nt queries whose radius is a point's distance finds that point");

# geo_distance_sphere equals PostGIS's sphere distance to the last bit
$res = $node->safe_psql('postgres', q{
SELECT count(*),
       count(*) FILTER (WHERE NOT ST_DWithin(ST_MakePoint(a.lon, a.lat)::geography, ST_MakePoint(b.lon, b.lat)::geography,
                                             streamkv.geo_distance_sphere(a.lon, a.lat, b.lon, b.lat), false)),
       count(*) FILTER (WHERE d > 0 AND ST_DWithin(ST_MakePoint(a.lon, a.lat)::geography, ST_MakePoint(b.lon, b.lat)::geography,
                                                   d * (1 - 2.3e-16), false))
FROM pts a JOIN pts b ON b.id = 1 + (a.id::int8 * 104729) % 100000,
     LATERAL (SELECT streamkv.geo_distance_sphere(a.lon, a.lat, b.lon, b.lat) AS d) x
WHERE a.id % 4 = 0;
});
my ($np, $not_within, $within_below) = split /\|/, $res;
is($not_within, 0, "ST_DWithin holds at geo_distance_sphere's distance for $np pairs");
is($within_below, 0, "ST_DWithin fails just below it for $np pairs");

$node->stop;
done_testing();
