#!/usr/bin/env bash
# Benchmarks of streamkv's stateless primitives (issue #5).
#
#   bench/primitives.sh            (from the repository root, as root or any user)
#
# Builds the extension, installs it with DESTDIR into the private PostgreSQL
# copy under .pgrun/inst (created from /usr/lib/postgresql/15 and
# /usr/share/postgresql/15 when missing; needs postgresql-15-postgis-3),
# starts a throw-away cluster on 127.0.0.1:${BENCH_PORT:-54369} (unix socket
# in /tmp; run as user postgres when invoked as root), and prints one table
# whose ratios were all measured in this run:
#   1. geohash_encode vs PostGIS ST_GeoHash over 1,000,000 points (goal >= 5x),
#      single process (no parallel workers), best of 5 alternating rounds;
#   2. bloom_agg over 1,000,000 items (and bloom_contains probes), against a
#      plain scan and an exact hash aggregate of the same items;
#   3. radius queries on 1,000,000 points (a 40 x 25 degree region): geohash_cover
#      over a b-tree on a geohash text column vs PostGIS ST_DWithin over a GiST
#      index on geography, both exact (the answers are compared over 200
#      centres first), queries per second with pgbench, 1 client, for 5 km and
#      25 km radii, best of BENCH_ROUNDS alternating rounds; then again with a
#      covering b-tree (gh) INCLUDE (lon, lat), which allows index-only scans.
# Timings are best-of-N with the contenders taking turns, so that a busy
# machine disturbs them alike; ratios come from the same run.
# Environment: BENCH_PORT (default 54369), BENCH_SECONDS per pgbench run (default 4),
# BENCH_ROUNDS of pgbench runs, best kept (default 3),
# BENCH_SKIP_BUILD=1 to benchmark what is installed in .pgrun/inst as it is.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
INST=$REPO/.pgrun/inst
IBIN=$INST/usr/lib/postgresql/15/bin
PORT=${BENCH_PORT:-54369}
SECS=${BENCH_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-3}
export LC_ALL=C
unset PGHOST PGPORT PGDATABASE PGUSER PGSERVICE PGOPTIONS PGDATA

say() { printf '==> %s\n' "$*" >&2; }

# ---- build and install into the private copy ------------------------------
if [ ! -x "$IBIN/postgres" ]; then
	say "creating the private PostgreSQL copy in $INST"
	mkdir -p "$INST/usr/lib/postgresql" "$INST/usr/share/postgresql"
	cp -a /usr/lib/postgresql/15 "$INST/usr/lib/postgresql/"
	cp -a /usr/share/postgresql/15 "$INST/usr/share/postgresql/"
fi
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
	say "building streamkv"
	make -s -C "$REPO" PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
	make -s -C "$REPO" PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install DESTDIR="$INST" >/dev/null
fi
[ -f "$INST/usr/share/postgresql/15/extension/postgis.control" ] ||
	{ echo "PostGIS is missing from $INST: apt-get install postgresql-15-postgis-3, then rm -rf $INST" >&2; exit 1; }

# ---- a throw-away cluster --------------------------------------------------
WORK=$(mktemp -d /tmp/streamkv-bench.XXXXXX)
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres "$WORK"
	RUNAS=(runuser -u postgres --)
fi
as() { "${RUNAS[@]}" "$@"; }
cleanup() {
	as "$IBIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

as "$IBIN/initdb" -D "$WORK/data" -A trust --no-locale -E UTF8 >/dev/null
cat >> "$WORK/data/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
shared_preload_libraries = 'streamkv'
shared_buffers = '512MB'
work_mem = '256MB'
maintenance_work_mem = '512MB'
max_parallel_workers_per_gather = 0
jit = off
fsync = off
synchronous_commit = off
CONF
as "$IBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w start >/dev/null
PSQL=(as "$IBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h /tmp -p "$PORT" -d postgres)

say "loading 1,000,000 points (global) and 1,000,000 points (region) with their indexes"
"${PSQL[@]}" <<'SQL'
CREATE EXTENSION streamkv;
CREATE EXTENSION postgis;
SELECT setseed(0.42);
CREATE TABLE pts AS
  SELECT i AS id, lon, lat, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom
  FROM (SELECT i, -180 + 360 * random() AS lon, -90 + 180 * random() AS lat
        FROM generate_series(1, 1000000) i) s;
CREATE TABLE gpts AS
  SELECT i AS id, lon, lat, streamkv.geohash_encode(lon, lat)::text COLLATE "C" AS gh,
         ST_MakePoint(lon, lat)::geography AS geog
  FROM (SELECT i, -10 + 40 * random() AS lon, 35 + 25 * random() AS lat
        FROM generate_series(1, 1000000) i) s;
CREATE INDEX gpts_gh ON gpts (gh);
CREATE INDEX gpts_geog ON gpts USING gist (geog);
VACUUM ANALYZE pts;
VACUUM ANALYZE gpts;

-- CPU time (ms) this backend has used so far (utime + stime, 10 ms ticks)
CREATE FUNCTION cpu_ms() RETURNS float8 LANGUAGE sql AS $$
  SELECT ((split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint) * 10)::float8
  FROM pg_read_file('/proc/' || pg_backend_pid() || '/stat') s $$;
-- Each query over rounds, the queries taking turns: the best wall time and
-- the mean CPU time of each (ms), "w1 .. wn c1 .. cn".  CPU time is what a
-- busy machine does not inflate.
CREATE FUNCTION bench_best(qs text[], rounds int DEFAULT 5) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; c0 float8;
        best float8[] := array_fill('Infinity'::float8, ARRAY[cardinality(qs)]);
        cpu float8[] := array_fill(0::float8, ARRAY[cardinality(qs)]);
BEGIN
  FOR r IN 1 .. rounds LOOP
    FOR q IN 1 .. cardinality(qs) LOOP
      c0 := cpu_ms();
      t0 := clock_timestamp();
      EXECUTE qs[q];
      best[q] := least(best[q], extract(epoch FROM clock_timestamp() - t0) * 1000);
      cpu[q] := cpu[q] + (cpu_ms() - c0) / rounds;
    END LOOP;
  END LOOP;
  RETURN array_to_string(best || cpu, ' ');
END $$;
-- CPU ms per radius query over n random centres (same centres for both kinds)
CREATE FUNCTION radius_cpu(kind text, r float8, n int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE c0 float8; x float8; y float8; cnt bigint;
BEGIN
  PERFORM setseed(0.3);
  c0 := cpu_ms();
  FOR k IN 1 .. n LOOP
    x := -9 + 38 * random(); y := 36 + 23 * random();
    IF kind = 'skv' THEN
      SELECT count(*) INTO cnt FROM unnest(streamkv.geohash_cover(x, y, r)) h
        CROSS JOIN LATERAL (SELECT lon, lat FROM gpts WHERE gh >= h AND gh < h || '{') p
        WHERE streamkv.geo_distance(x, y, p.lon, p.lat) <= r;
    ELSE
      SELECT count(*) INTO cnt FROM gpts
        WHERE ST_DWithin(geog, ST_MakePoint(x, y)::geography, r * 6371008.7714 / 6372797.560856, false);
    END IF;
  END LOOP;
  RETURN (cpu_ms() - c0) / n;
END $$;
SQL

say "timing geohash_encode and bloom_agg"
read -r T_BASE T_SKV T_PGIS T_PGIS_MK C_BASE C_SKV C_PGIS C_PGIS_MK <<<"$("${PSQL[@]}" -c "
SELECT bench_best(ARRAY['SELECT count(lon + lat) FROM pts',
                        'SELECT count(streamkv.geohash_encode(lon, lat, 12)) FROM pts',
                        'SELECT count(ST_GeoHash(geom, 12)) FROM pts',
                        'SELECT count(ST_GeoHash(ST_MakePoint(lon, lat), 12)) FROM pts'])")"
SAME=$("${PSQL[@]}" -c "SELECT count(*) FILTER (WHERE streamkv.geohash_encode(lon, lat, 12) <> ST_GeoHash(geom, 12)) FROM pts")

"${PSQL[@]}" -c "CREATE TABLE items AS SELECT 'item:' || i AS item FROM generate_series(1, 1000000) i"
"${PSQL[@]}" -c "CREATE TABLE filt AS SELECT streamkv.bloom_agg(item, 1000000, 0.01) AS f FROM items"
"${PSQL[@]}" -c "VACUUM ANALYZE items"
read -r B_BASE B_AGG B_HASH B_PROBE CB_BASE CB_AGG CB_HASH CB_PROBE <<<"$("${PSQL[@]}" -c "
SELECT bench_best(ARRAY['SELECT count(item) FROM items',
                        'SELECT streamkv.bloom_agg(item, 1000000, 0.01) FROM items',
                        'SELECT count(*) FROM (SELECT item FROM items GROUP BY item) s',
                        'SELECT count(*) FROM items, (SELECT f FROM filt) b WHERE streamkv.bloom_contains(b.f, item)'], 3)")"

say "checking that both radius queries give the same answers over 200 centres"
DIFF=$("${PSQL[@]}" <<'SQL'
SELECT setseed(0.7);
SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b), sum(cardinality(a))
FROM (SELECT -9 + 38 * random() AS x, 36 + 23 * random() AS y, (ARRAY[5000, 25000])[1 + (random() > 0.5)::int] AS r
      FROM generate_series(1, 200)) c,
     LATERAL (SELECT array_agg(p.id ORDER BY p.id) AS a
              FROM unnest(streamkv.geohash_cover(x, y, r)) h
              CROSS JOIN LATERAL (SELECT id, lon, lat FROM gpts WHERE gh >= h AND gh < h || '{') p
              WHERE streamkv.geo_distance(x, y, p.lon, p.lat) <= r) s1,
     LATERAL (SELECT array_agg(id ORDER BY id) AS b FROM gpts
              WHERE ST_DWithin(geog, ST_MakePoint(x, y)::geography, r * 6371008.7714 / 6372797.560856, false)) s2;
SQL
)
read -r DIFF_N DIFF_ROWS <<<"$(echo "$DIFF" | tail -1 | tr '|' ' ')"

cat > "$WORK/skv.sql" <<'PGB'
\set x random(-9000000, 29000000)
\set y random(36000000, 59000000)
SELECT count(*) FROM unnest(streamkv.geohash_cover(:x / 1e6, :y / 1e6, :r)) h CROSS JOIN LATERAL (SELECT lon, lat FROM gpts WHERE gh >= h AND gh < h || '{') p WHERE streamkv.geo_distance(:x / 1e6, :y / 1e6, p.lon, p.lat) <= :r;
PGB
cat > "$WORK/pgis.sql" <<'PGB'
\set x random(-9000000, 29000000)
\set y random(36000000, 59000000)
SELECT count(*) FROM gpts WHERE ST_DWithin(geog, ST_MakePoint(:x / 1e6, :y / 1e6)::geography, :r * 6371008.7714 / 6372797.560856, false);
PGB
chmod a+r "$WORK"/*.sql
qps() { # script radius: transactions per second over SECS seconds
	as "$IBIN/pgbench" -n -h /tmp -p "$PORT" -c 1 -T "$SECS" -D r="$2" -f "$WORK/$1" postgres 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; }
say "pgbench: radius queries, ${ROUNDS} alternating rounds of ${SECS}s each"
Q_SKV5=0; Q_PGIS5=0; Q_SKV25=0; Q_PGIS25=0
for _ in $(seq "$ROUNDS"); do
	Q_SKV5=$(max "$Q_SKV5" "$(qps skv.sql 5000)");    Q_PGIS5=$(max "$Q_PGIS5" "$(qps pgis.sql 5000)")
	Q_SKV25=$(max "$Q_SKV25" "$(qps skv.sql 25000)"); Q_PGIS25=$(max "$Q_PGIS25" "$(qps pgis.sql 25000)")
done
radius_cpu() { # kind radius: CPU ms per query over 400 centres
	"${PSQL[@]}" -c "SELECT radius_cpu('$1', $2, 400)"
}
R_SKV5=$(radius_cpu skv 5000); R_PGIS5=$(radius_cpu pgis 5000)
R_SKV25=$(radius_cpu skv 25000); R_PGIS25=$(radius_cpu pgis 25000)
say "the same with a covering b-tree, (gh) INCLUDE (lon, lat): index-only scans"
"${PSQL[@]}" -c "CREATE INDEX gpts_gh_cov ON gpts (gh) INCLUDE (lon, lat)"
"${PSQL[@]}" -c "DROP INDEX gpts_gh"
"${PSQL[@]}" -c "VACUUM ANALYZE gpts"
Q_COV5=0; Q_COV25=0
for _ in $(seq "$ROUNDS"); do
	Q_COV5=$(max "$Q_COV5" "$(qps skv.sql 5000)");    Q_PGIS5=$(max "$Q_PGIS5" "$(qps pgis.sql 5000)")
	Q_COV25=$(max "$Q_COV25" "$(qps skv.sql 25000)"); Q_PGIS25=$(max "$Q_PGIS25" "$(qps pgis.sql 25000)")
done
R_COV5=$(radius_cpu skv 5000); R_COV25=$(radius_cpu skv 25000)

awk -v tb="$T_BASE" -v ts="$T_SKV" -v tp="$T_PGIS" -v tm="$T_PGIS_MK" -v same="$SAME" \
    -v cb="$C_BASE" -v cs="$C_SKV" -v cp="$C_PGIS" -v cm="$C_PGIS_MK" \
    -v bb="$B_BASE" -v ba="$B_AGG" -v bh="$B_HASH" -v bp="$B_PROBE" \
    -v xb="$CB_BASE" -v xa="$CB_AGG" -v xh="$CB_HASH" -v xp="$CB_PROBE" \
    -v dn="$DIFF_N" -v dr="$DIFF_ROWS" \
    -v s5="$Q_SKV5" -v p5="$Q_PGIS5" -v s25="$Q_SKV25" -v p25="$Q_PGIS25" -v c5="$Q_COV5" -v c25="$Q_COV25" \
    -v rs5="$R_SKV5" -v rp5="$R_PGIS5" -v rs25="$R_SKV25" -v rp25="$R_PGIS25" -v rc5="$R_COV5" -v rc25="$R_COV25" 'BEGIN {
	line = "------------------------------------------------------------------------------------------------"
	f = "%-50s %10.1f %8s %10.1f %8s\n"
	print line
	printf "%-50s %10s %8s %10s %8s\n", "1,000,000 rows, one backend", "wall ms", "ratio", "CPU ms", "ratio"
	printf "%-50s %10s %8s %10s %8s\n", "", "(best)", "", "(mean)", ""
	print line
	printf f, "scan baseline: count(lon + lat)", tb, "", cb, ""
	printf f, "streamkv.geohash_encode(lon, lat, 12)", ts, "1.00x", cs, "1.00x"
	printf f, "PostGIS ST_GeoHash(geom, 12)", tp, sprintf("%.2fx", tp / ts), cp, sprintf("%.2fx", cp / cs)
	printf f, "PostGIS ST_GeoHash(ST_MakePoint(lon, lat), 12)", tm, sprintf("%.2fx", tm / ts), cm, sprintf("%.2fx", cm / cs)
	printf "%-50s %10s %8s %10s %8s\n", "  ST_GeoHash(geom): the function alone (scan removed)", "",
		sprintf("%.2fx", (tp - tb) / (ts - tb)), "", (cs > cb) ? sprintf("%.2fx", (cp - cb) / (cs - cb)) : "n/a"
	printf "%-50s %10d\n", "  differing hashes (must be 0)", same
	print line
	printf f, "scan baseline: count(item)", bb, "", xb, ""
	printf f, "streamkv.bloom_agg(item, 1e6, 0.01)", ba, sprintf("%.2fx", ba / bb), xa, sprintf("%.2fx", xa / xb)
	printf "%-50s %10s %8s %10s\n", "  ns per item added (CPU, scan removed)", "", "", sprintf("%.0f", (xa - xb) * 1e6 / 1e6)
	printf f, "exact set: GROUP BY item (hash aggregate)", bh, sprintf("%.2fx", bh / ba), xh, sprintf("%.2fx", xh / xa)
	printf f, "bloom_contains probes of the 1e6 items", bp, sprintf("%.2fx", bp / bb), xp, sprintf("%.2fx", xp / xb)
	print line
	printf "%-50s %10s %8s %10s %8s\n", "radius queries on 1e6 points", "wall qps", "ratio", "CPU qps", "ratio"
	printf "%-50s %10d\n", "answers differing over 200 centres (must be 0)", dn
	printf "%-50s %10d\n", "  rows compared", dr
	g = "%-50s %10.1f %8s %10.1f %8s\n"
	printf g, "5 km: PostGIS ST_DWithin + GiST", p5, "1.00x", 1000 / rp5, "1.00x"
	printf g, "5 km: geohash_cover + b-tree (gh)", s5, sprintf("%.2fx", s5 / p5), 1000 / rs5, sprintf("%.2fx", rp5 / rs5)
	printf g, "5 km: ... + b-tree (gh) INCLUDE (lon, lat)", c5, sprintf("%.2fx", c5 / p5), 1000 / rc5, sprintf("%.2fx", rp5 / rc5)
	printf g, "25 km: PostGIS ST_DWithin + GiST", p25, "1.00x", 1000 / rp25, "1.00x"
	printf g, "25 km: geohash_cover + b-tree (gh)", s25, sprintf("%.2fx", s25 / p25), 1000 / rs25, sprintf("%.2fx", rp25 / rs25)
	printf g, "25 km: ... + b-tree (gh) INCLUDE (lon, lat)", c25, sprintf("%.2fx", c25 / p25), 1000 / rc25, sprintf("%.2fx", rp25 / rc25)
	print line
	print "ratios > 1: streamkv faster (PostGIS time / streamkv time, streamkv qps / PostGIS qps);"
	print "bloom rows: time / scan baseline, except GROUP BY: its time / bloom_agg time."
	print "wall: best of N alternating runs; CPU: the backend'"'"'s user+system time (10 ms ticks),"
	print "averaged, which a busy machine does not inflate; wall qps: pgbench, 1 client."
}'
