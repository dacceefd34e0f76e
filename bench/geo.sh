#!/usr/bin/env bash
# Benchmark of geo sets (issue 12) against Redis GEOSEARCH and PostGIS.
#
#   bench/geo.sh            (from the repository root, as root or any user)
#
# Builds the extension, installs it with DESTDIR into the private PostgreSQL
# copy under .pgrun/inst (as bench/primitives.sh; needs postgresql-15-postgis-3
# and redis-server), starts a throw-away cluster on 127.0.0.1:${BENCH_PORT:-54368}
# and a redis-server without persistence on ${BENCH_REDIS_PORT:-6394}, loads the
# same 1,000,000 points (a 40 x 25 degree region) into a geo set, into Redis
# and into a PostGIS table, and prints one markdown table measured in this run
# (also saved to bench/out/geo-<date>.md, git-ignored):
#   1. bulk load of 1,000,000 points: geoadd_agg and one geoadd of arrays,
#      against redis-benchmark -P 16 GEOADD (points per second);
#   2. searches by radius 1 km, 5 km, 50 km around the same centre (10, 45),
#      2 clients: geosearch (pgbench with prepared statements, -M prepared, as
#      every SQL contender; and once more with the simple protocol, parsed and
#      planned each time) against Redis GEOSEARCH (redis-benchmark),
#      PostGIS ST_DWithin on geography with a GiST index, and a geometry GiST
#      degree box plus a distance filter; the geohash-indexed table search
#      (geohash_ranges + a b-tree on geohash_int + geo_distance_sphere) on a
#      table of the same points, with the radius PostGIS gets, whose rows must
#      be PostGIS's; and geosearch_sharded over the same points in shard keys
#      of 3-character geohashes; the number of members found by each.
# Every reply is computed in full (the SQL queries count the rows of the set
# the function returns; Redis sends the members).
# Each search is measured in BENCH_ROUNDS rounds (default 3), the contenders
# taking turns, and each keeps its best round.
# Environment: BENCH_PORT, BENCH_REDIS_PORT, BENCH_SECONDS per pgbench run
# (default 3), BENCH_ROUNDS, BENCH_SKIP_BUILD=1 to benchmark what is
# installed as it is.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
INST=$REPO/.pgrun/inst
IBIN=$INST/usr/lib/postgresql/15/bin
PORT=${BENCH_PORT:-54368}
RPORT=${BENCH_REDIS_PORT:-6394}
SECS=${BENCH_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
N=1000000
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
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
	{ echo "redis-server and redis-benchmark are needed: apt-get install redis-server" >&2; exit 1; }

# ---- a throw-away cluster and redis-server ---------------------------------
WORK=$(mktemp -d /tmp/streamkv-bench-geo.XXXXXX)
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres "$WORK"
	RUNAS=(runuser -u postgres --)
fi
as() { "${RUNAS[@]}" "$@"; }
cleanup() {
	as "$IBIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true
	[ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true
	sleep 0.2
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
streamkv.max_memory = '2GB'
CONF
as "$IBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w start >/dev/null
PSQL=(as "$IBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h /tmp -p "$PORT" -d postgres)
as redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
	--dir "$WORK" --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
for _ in $(seq 50); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
RCLI=(redis-cli -p "$RPORT")

# seconds an SQL statement takes (psql's \timing)
sql_secs() {
	"${PSQL[@]}" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ print $1 / 1000 }'
}

say "loading $N points: PostGIS table, geo set (geoadd_agg, geoadd of arrays), Redis"
"${PSQL[@]}" <<SQL
CREATE EXTENSION streamkv;
CREATE EXTENSION postgis;
SELECT setseed(0.42);
CREATE TABLE gpts AS
  SELECT i AS id, lon, lat, ST_MakePoint(lon, lat)::geography AS geog,
         ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom
  FROM (SELECT i, -10 + 40 * random() AS lon, 35 + 25 * random() AS lat
        FROM generate_series(1, $N) i) s;
CREATE INDEX gpts_geog ON gpts USING gist (geog);
CREATE INDEX gpts_geom ON gpts USING gist (geom);
VACUUM ANALYZE gpts;
-- the table search's own table: the same points, a b-tree on geohash_int
CREATE TABLE gtab AS SELECT id, lon, lat FROM gpts;
ALTER TABLE gtab ADD COLUMN gh bigint GENERATED ALWAYS AS (streamkv.geohash_int(lon, lat)) STORED;
CREATE INDEX gtab_gh ON gtab (gh) INCLUDE (lon, lat);
VACUUM ANALYZE gtab;
SQL
T_AGG=$(sql_secs "SELECT streamkv.geoadd_agg('pts', lon, lat, id::text) FROM gpts")
T_ARR=$(sql_secs "SELECT streamkv.geoadd('pts2', array_agg(lon), array_agg(lat), array_agg(id::text)) FROM gpts")
"${PSQL[@]}" -c "SELECT count(*) FROM (SELECT streamkv.geoadd_agg(streamkv.geo_shard_key('sh:', lon, lat, 3), lon, lat, id::text) FROM gpts GROUP BY streamkv.geo_shard_key('sh:', lon, lat, 3)) s" >/dev/null
# the same points into Redis (RESP through redis-cli --pipe)
"${PSQL[@]}" -c "COPY (SELECT id, lon, lat FROM gpts) TO STDOUT" |
	/usr/bin/python3 -c '
import sys
out = sys.stdout
for line in sys.stdin:
    i, lon, lat = line.split("\t")
    args = ["GEOADD", "pts", lon, lat.strip(), i]
    out.write("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args))
' | "${RCLI[@]}" --pipe >/dev/null
[ "$("${RCLI[@]}" zcard pts)" = "$N" ] || { echo "Redis did not load $N points" >&2; exit 1; }
R_ADD=$(redis-benchmark -p "$RPORT" -P 16 -c 2 -n "$N" -r "$N" -q \
	GEOADD bulk 13.361389 38.115556 'm:__rand_int__' 2>/dev/null | tr '\r' '\n' |
	sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1)

# ---- searches --------------------------------------------------------------
cat > "$WORK/geoset.sql" <<'PGB'
SELECT count(*) FROM streamkv.geosearch('pts', from_lon => 10, from_lat => 45, radius => :r, unit => 'km');
PGB
cat > "$WORK/geog.sql" <<'PGB'
SELECT count(*) FROM gpts WHERE ST_DWithin(geog, ST_MakePoint(10, 45)::geography, :r * 1000 * 6371008.7714 / 6372797.560856, false);
PGB
# a degree box around the circle (latitude delta, longitude delta at the box's
# far edge), then the distance on Redis's sphere
cat > "$WORK/geom.sql" <<'PGB'
SELECT count(*) FROM gpts WHERE geom && ST_MakeEnvelope(10 - degrees(:r * 1000 / 6372797.560856 / cos(radians(45 + degrees(:r * 1000 / 6372797.560856)))), 45 - degrees(:r * 1000 / 6372797.560856), 10 + degrees(:r * 1000 / 6372797.560856 / cos(radians(45 + degrees(:r * 1000 / 6372797.560856)))), 45 + degrees(:r * 1000 / 6372797.560856), 4326) AND streamkv.geo_distance(10, 45, lon, lat) <= :r * 1000;
PGB
# the table search, on PostGIS's sphere with PostGIS's radius
cat > "$WORK/gtab.sql" <<'PGB'
SELECT count(*) FROM streamkv.geohash_ranges(10, 45, :r * 1000 * 6371008.7714 / 6372797.560856) g JOIN LATERAL (SELECT lon, lat FROM gtab WHERE gh BETWEEN g.lo AND g.hi) p ON true WHERE streamkv.geo_distance_sphere(p.lon, p.lat, 10, 45) <= :r * 1000 * 6371008.7714 / 6372797.560856;
PGB
cat > "$WORK/gshard.sql" <<'PGB'
SELECT count(*) FROM streamkv.geosearch_sharded('sh:', 3, from_lon => 10, from_lat => 45, radius => :r, unit => 'km');
PGB
chmod a+r "$WORK"/*.sql
qps() { # script radius_km [protocol]: transactions per second, 2 clients, SECS seconds
	as "$IBIN/pgbench" -n -M "${3:-prepared}" -h /tmp -p "$PORT" -c 2 -j 2 -T "$SECS" -D r="$2" -f "$WORK/$1" postgres 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
rqps() { # radius_km requests: GEOSEARCH requests per second, 2 clients
	redis-benchmark -p "$RPORT" -c 2 -n "$2" -q GEOSEARCH pts FROMLONLAT 10 45 BYRADIUS "$1" km 2>/dev/null |
		tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a) ? b : a }'; }
ROWS=()
for r in 1 5 50; do
	say "radius $r km"
	n_set=$("${PSQL[@]}" -c "SELECT count(*) FROM streamkv.geosearch('pts', from_lon => 10, from_lat => 45, radius => $r, unit => 'km')")
	n_redis=$("${RCLI[@]}" geosearch pts fromlonlat 10 45 byradius "$r" km | wc -l)
	n_geog=$("${PSQL[@]}" -c "$(sed "s/:r/$r/g" "$WORK/geog.sql")")
	n_geom=$("${PSQL[@]}" -c "$(sed "s/:r/$r/g" "$WORK/geom.sql")")
	n_tab=$("${PSQL[@]}" -c "$(sed "s/:r/$r/g" "$WORK/gtab.sql")")
	n_shard=$("${PSQL[@]}" -c "$(sed "s/:r/$r/g" "$WORK/gshard.sql")")
	# the table search's rows are PostGIS's rows (ids compared both ways)
	rr="$r * 1000 * 6371008.7714 / 6372797.560856"
	d_tab=$("${PSQL[@]}" -c "SELECT count(*) FROM ((SELECT p.id FROM streamkv.geohash_ranges(10, 45, $rr) g JOIN LATERAL (SELECT id, lon, lat FROM gtab WHERE gh BETWEEN g.lo AND g.hi) p ON true WHERE streamkv.geo_distance_sphere(p.lon, p.lat, 10, 45) <= $rr EXCEPT SELECT id FROM gpts WHERE ST_DWithin(geog, ST_MakePoint(10, 45)::geography, $rr, false)) UNION ALL (SELECT id FROM gpts WHERE ST_DWithin(geog, ST_MakePoint(10, 45)::geography, $rr, false) EXCEPT SELECT p.id FROM streamkv.geohash_ranges(10, 45, $rr) g JOIN LATERAL (SELECT id, lon, lat FROM gtab WHERE gh BETWEEN g.lo AND g.hi) p ON true WHERE streamkv.geo_distance_sphere(p.lon, p.lat, 10, 45) <= $rr)) d")
	# and the sharded search's members are the one set's, in order
	d_shard=$("${PSQL[@]}" -c "SELECT ((SELECT array_agg(member) FROM streamkv.geosearch('pts', from_lon => 10, from_lat => 45, radius => $r, unit => 'km')) IS DISTINCT FROM (SELECT array_agg(member) FROM streamkv.geosearch_sharded('sh:', 3, from_lon => 10, from_lat => 45, radius => $r, unit => 'km')))::int")
	# ROUNDS rounds, the contenders in turn; each keeps its best round (the
	# VM is shared: the best round is the one least disturbed)
	q_set=0 q_simple=0 q_redis=0 q_geog=0 q_geom=0 q_tab=0 q_shard=0
	for _ in $(seq "$ROUNDS"); do
		q_set=$(best "$q_set" "$(qps geoset.sql "$r")")
		q_simple=$(best "$q_simple" "$(qps geoset.sql "$r" simple)")
		q_redis=$(best "$q_redis" "$(rqps "$r" $([ "$r" = 50 ] && echo 10000 || echo 100000))")
		q_geog=$(best "$q_geog" "$(qps geog.sql "$r")")
		q_geom=$(best "$q_geom" "$(qps geom.sql "$r")")
		q_tab=$(best "$q_tab" "$(qps gtab.sql "$r")")
		q_shard=$(best "$q_shard" "$(qps gshard.sql "$r")")
	done
	ROWS+=("$r $n_set $n_redis $n_geog $n_geom $q_set $q_redis $q_geog $q_geom $n_tab $q_tab $d_tab $n_shard $q_shard $d_shard $q_simple")
done

OUT_DIR=$REPO/bench/out
mkdir -p "$OUT_DIR"
OUT=$OUT_DIR/geo-$(date -u +%Y%m%d-%H%M).md
{
	echo "### geo sets: $N points, $(date -u +%Y-%m-%d) ($(nproc) CPUs; pgbench -M prepared and redis-benchmark with 2 clients, ${SECS} s runs, best of ${ROUNDS} rounds)"
	echo
	echo "| bulk load of $N points | points/s | vs Redis |"
	echo "|---|---:|---:|"
	awk -v a="$T_AGG" -v b="$T_ARR" -v r="$R_ADD" -v n="$N" 'BEGIN {
		printf "| Redis GEOADD, redis-benchmark -P 16 | %.0f | 1.00x |\n", r
		printf "| geoadd_agg (one ZADD per page) | %.0f | %.2fx |\n", n / a, n / a / r
		printf "| geoadd of arrays (one statement) | %.0f | %.2fx |\n", n / b, n / b / r
	}'
	echo
	echo "| search around (10, 45) | found | queries/s | vs Redis | vs PostGIS geography |"
	echo "|---|---:|---:|---:|---:|"
	for row in "${ROWS[@]}"; do
		# shellcheck disable=SC2086
		set -- $row
		awk -v r="$1" -v ns="$2" -v nr="$3" -v ng="$4" -v nm="$5" -v qs="$6" -v qr="$7" -v qg="$8" -v qm="$9" \
			-v nt="${10}" -v qt="${11}" -v dt="${12}" -v nh="${13}" -v qh="${14}" -v dh="${15}" -v qp="${16}" 'BEGIN {
			printf "| %s km: Redis GEOSEARCH | %d | %.0f | 1.00x | %.2fx |\n", r, nr, qr, qr / qg
			printf "| %s km: streamkv.geosearch | %d | %.0f | %.2fx | %.2fx |\n", r, ns, qs, qs / qr, qs / qg
			printf "| %s km: streamkv.geosearch, simple protocol (parsed and planned each time) | %d | %.0f | %.2fx | %.2fx |\n", r, ns, qp, qp / qr, qp / qg
			printf "| %s km: PostGIS ST_DWithin(geography) + GiST | %d | %.0f | %.2fx | 1.00x |\n", r, ng, qg, qg / qr
			printf "| %s km: PostGIS geometry box + GiST + geo_distance | %d | %.0f | %.2fx | %.2fx |\n", r, nm, qm, qm / qr, qm / qg
			printf "| %s km: table search, geohash_ranges + b-tree (%s rows differ from PostGIS) | %d | %.0f | %.2fx | %.2fx |\n", r, dt, nt, qt, qt / qr, qt / qg
			printf "| %s km: geosearch_sharded, 3-character shards (%s) | %d | %.0f | %.2fx | %.2fx |\n", r, dh == 0 ? "same as one set" : "DIFFERS", nh, qh, qh / qr, qh / qg
		}'
	done
	echo
	echo "Found: members (rows) each search returns; the geo set and Redis must agree; PostGIS"
	echo "measures between the exact points, the geo set between decoded cell centres, so the"
	echo "borders may differ by a point. The table search measures on PostGIS's sphere with the"
	echo "radius PostGIS gets (the radius scaled by 6371008.7714 / 6372797.560856), so its rows"
	echo "must be PostGIS's exactly."
} | tee "$OUT"
say "saved to $OUT"
