# Differential test of sharded geo sets (issue 12, item 4): the same 58,505
# points in one geo set and in shard keys geo_shard_key(prefix, lon, lat, p)
# for p = 1, 2 and 3; 3,000 searches with random centres (many near
# +-85.05, +-180 and 0), radii and boxes from 1 m to 5,000 km (some to
# 20,000 km), units, sort, COUNT and ANY: geosearch_sharded must return
# exactly what geosearch returns on the one set -- the same members, the
# same distances, hashes and positions, in the same order (Redis's order for
# unsorted and ANY results included).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use StreamkvTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = sk_node('geoshard', "streamkv.max_memory = '256MB'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION streamkv');

$node->safe_psql('postgres', q{
SELECT setseed(0.0459);
CREATE TABLE pts AS
SELECT row_number() OVER () AS id, lon, lat FROM (
  SELECT -180 + 360 * random() AS lon, -85.05112878 + 170.10225756 * random() AS lat
    FROM generate_series(1, 30000)
  UNION ALL                                    -- near the latitude limits
  SELECT -180 + 360 * random(), (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END) * (84.5 + 0.55112878 * random())
    FROM generate_series(1, 8000) g
  UNION ALL                                    -- along the antimeridian
  SELECT (CASE WHEN g % 2 = 0 THEN 180 ELSE -180 END) - (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END) * random() * 2,
         -80 + 160 * random()
    FROM generate_series(1, 8000) g
  UNION ALL                                    -- a dense cluster around (0, 0), across shard edges
  SELECT (random() - 0.5) * 0.2, (random() - 0.5) * 0.2 FROM generate_series(1, 10000)
  UNION ALL                                    -- a grid: equal distances (ties)
  SELECT 10 + (g % 50) * 0.01, 45 + (g / 50) * 0.01 FROM generate_series(0, 2499) g
  UNION ALL
  SELECT * FROM (VALUES (180::float8, 85.05112878::float8), (-180, -85.05112878), (0, 0), (180, 0), (-180, 0)) v
) s;
SELECT streamkv.geoadd_agg('one', lon, lat, 'm' || id) FROM pts;
SELECT streamkv.geoadd_agg(streamkv.geo_shard_key('s1:', lon, lat, 1), lon, lat, 'm' || id)
  FROM pts GROUP BY streamkv.geo_shard_key('s1:', lon, lat, 1);
SELECT streamkv.geoadd_agg(streamkv.geo_shard_key('s2:', lon, lat, 2), lon, lat, 'm' || id)
  FROM pts GROUP BY streamkv.geo_shard_key('s2:', lon, lat, 2);
SELECT streamkv.geoadd_agg(streamkv.geo_shard_key('s3:', lon, lat, 3), lon, lat, 'm' || id)
  FROM pts GROUP BY streamkv.geo_shard_key('s3:', lon, lat, 3);

CREATE TABLE q AS
SELECT g AS qid,
       CASE WHEN g % 6 = 1 THEN (CASE WHEN g % 2 = 0 THEN 180 ELSE -180 END) * (1 - random() * 0.01)
            WHEN g % 6 = 3 THEN (random() - 0.5) * 0.3
            WHEN g % 6 = 4 THEN 10 + random() * 0.5
            ELSE -180 + 360 * random() END AS lon,
       CASE WHEN g % 6 = 2 THEN (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END) * (84 + 1.05 * random())
            WHEN g % 6 = 3 THEN (random() - 0.5) * 0.3
            WHEN g % 6 = 4 THEN 45 + random() * 0.25
            ELSE -85 + 170 * random() END AS lat,
       g % 3 = 0 AS box,
       power(10, 6.7 * random()) AS r,           -- 1 m .. 5,000 km
       0.5 + random() AS aspect,
       (ARRAY['m', 'km', 'mi', 'ft'])[1 + g % 4] AS unit,
       (ARRAY[NULL, 'asc', 'desc'])[1 + (g / 3) % 3] AS sort,
       CASE WHEN g % 4 = 0 THEN NULL ELSE 1 + (random() * 50)::int END AS cnt,
       g % 8 = 1 AS anyx,
       (ARRAY[1, 2, 3])[1 + (g / 7) % 3] AS prec
FROM generate_series(1, 3000) g;
UPDATE q SET anyx = false WHERE cnt IS NULL;
-- the largest searches: precision 1 or 2 (3 would need more keys than allowed)
UPDATE q SET r = 20000000 * random(), prec = 1 + qid % 2 WHERE qid % 50 = 7;
UPDATE q SET prec = 1 WHERE r > 2000000 AND prec = 3;
});

my $nkeys = $node->safe_psql('postgres', q{SELECT count(*) FROM streamkv.keys('s3:*')});
cmp_ok($nkeys, '>', 1000, "$nkeys shard keys at precision 3");

my $cmp = q{
CREATE TABLE cmp AS
SELECT q.qid,
       (SELECT string_agg(member || '|' || dist || '|' || hash || '|' || lon || '|' || lat, ' ')
          FROM streamkv.geosearch('one', from_lon => q.lon, from_lat => q.lat,
               radius => CASE WHEN q.box THEN NULL ELSE q.r / u.m END,
               width => CASE WHEN q.box THEN 2 * q.r / u.m END,
               height => CASE WHEN q.box THEN 2 * q.r * q.aspect / u.m END,
               unit => q.unit, sort => q.sort, count => q.cnt, "any" => q.anyx)) AS one,
       (SELECT string_agg(member || '|' || dist || '|' || hash || '|' || lon || '|' || lat, ' ')
          FROM streamkv.geosearch_sharded('s' || q.prec || ':', q.prec, from_lon => q.lon, from_lat => q.lat,
               radius => CASE WHEN q.box THEN NULL ELSE q.r / u.m END,
               width => CASE WHEN q.box THEN 2 * q.r / u.m END,
               height => CASE WHEN q.box THEN 2 * q.r * q.aspect / u.m END,
               unit => q.unit, sort => q.sort, count => q.cnt, "any" => q.anyx)) AS sharded
FROM q, LATERAL (SELECT CASE q.unit WHEN 'km' THEN 1000 WHEN 'mi' THEN 1609.34 WHEN 'ft' THEN 0.3048 ELSE 1 END AS m) u;
SELECT count(*), count(*) FILTER (WHERE one IS DISTINCT FROM sharded),
       count(*) FILTER (WHERE one IS NOT NULL),
       count(*) FILTER (WHERE sort IS NULL AND one LIKE '% %'),
       count(*) FILTER (WHERE anyx AND one IS NOT NULL),
       sum(coalesce(array_length(string_to_array(one, ' '), 1), 0))
FROM cmp JOIN q USING (qid);
};
my $res = $node->safe_psql('postgres', $cmp);
my ($n, $mism, $found, $unsorted, $anyn, $members) = split /\|/, (split /\n/, $res)[-1];
note "$n searches ($found non-empty, $unsorted unsorted with several members, $anyn ANY), $members members, $mism mismatches";
is($mism, 0, "geosearch_sharded equals geosearch on one set for $n searches");
cmp_ok($found, '>', 1200, 'many searches found members');
cmp_ok($unsorted, '>', 200, 'many unsorted answers with several members (order compared)');
cmp_ok($anyn, '>', 50, 'ANY answers compared');
if ($mism)
{
	diag $node->safe_psql('postgres', q{
SELECT q.*, left(one, 300), left(sharded, 300) FROM cmp JOIN q USING (qid)
WHERE one IS DISTINCT FROM sharded LIMIT 5});
}

$node->stop;
done_testing();
