#!/usr/bin/env bash
# streamkv DBA benchmark (issue 14): one command, prints markdown tables of RATIOS measured in the
# same run against baselines in the same server.
#
#   bench/dba.sh                          # BENCH_SECONDS=10 per pgbench run, BENCH_KEYS=1000000
#   BENCH_SECONDS=5 BENCH_KEYS=200000 bench/dba.sh   # quicker (about 2 minutes)
#
# It builds and installs the extension into the private install (.pgrun/inst), starts its OWN
# throwaway cluster (.pgrun/dbabench-data, 127.0.0.1:54397 or the next free port, fsync on),
# stopped at exit. Output: stdout and bench/out/dba-<date>.md.
#
# Rows:
#  1. Privilege checks: get and set (pgbench -M prepared -c 2, random keys, synchronous_commit
#     off) as a superuser (no check: the owner's fast path) against the same as a role holding
#     read, write on the keyspace (the checked path, answered from the backend's cache).
#  2. pg_dump / pg_restore: a database with streamkv data — BENCH_KEYS strings, a topic of
#     BENCH_KEYS/5 records of 100 bytes over 4 partitions, a sorted set of BENCH_KEYS/10 members —
#     against a database with the same data in plain tables (k text PRIMARY KEY, v text;
#     (partition, offset) PRIMARY KEY with timestamp, key, value; (member PRIMARY KEY, score)):
#     pg_dump -Fc time and size, pg_restore time (into a new database).
# No assertions: this is a benchmark, not a test. Server errors are listed at the end.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
set +e
set -uo pipefail

SECS=${BENCH_SECONDS:-10}
N=${BENCH_KEYS:-1000000}
R=$((N / 5))
Z=$((N / 10))

skv_deps
skv_pick_user
skv_bench_begin dba dbabench 54397
skv_bench_cluster "shared_buffers = 256MB" "max_wal_size = 4GB" "streamkv.max_memory = 2GB" \
	"max_connections = 20"

pgb() {
	local user=$1 f=$2 out rc tps
	pg_ready
	out=$(PGOPTIONS="-c synchronous_commit=off" "$IBIN/pgbench" -n -M prepared -c 2 -j 2 -T "$SECS" \
		-h 127.0.0.1 -p "$PGPORT_B" -U "$user" -f "$f" bench 2>&1)
	rc=$?
	tps=$(printf '%s\n' "$out" | awk '/^tps = /{print $3; exit}')
	if [ $rc -eq 0 ] && [ -n "$tps" ] && ! printf '%s\n' "$out" | grep -q 'number of failed transactions: [1-9]'; then
		printf '%.0f\n' "$tps"; return
	fi
	note_err "pgbench $(basename "$f") as $user rc=$rc: $(printf '%s\n' "$out" | grep -iE 'error|abort|fail' | head -5 | tr '\n' ' ')"
	echo ERR
}
# secs CMD...: wall seconds of a command (ERR when it fails)
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	if ! "$@" >>"$WORK/cmd.log" 2>&1; then
		note_err "$*: $(tail -3 "$WORK/cmd.log" | tr '\n' ' ')"
		echo ERR; return
	fi
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}'
}
RATIO_DECIMALS=2
mkdir -p "$WORK/pgb"
chmod a+rwx "$WORK" "$WORK/pgb"
pgscript() { cat >"$WORK/pgb/$1.sql"; chmod a+r "$WORK/pgb/$1.sql"; }
DB() { "$IBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT_B" -U "$PGUSER_B" -At -d "$1" -c "$2"; }

# ---- 1. privilege checks -------------------------------------------------------------------------
say "loading $N strings; a role with keyspace read, write"
q "SELECT count(streamkv.set('s:' || g, 'v')) FROM generate_series(1, $N) g" >/dev/null
q "DROP ROLE IF EXISTS bench_app; CREATE ROLE bench_app LOGIN; GRANT USAGE ON SCHEMA streamkv TO bench_app" >/dev/null
q "SELECT streamkv.acl_grant('keyspace', NULL, 'read, write', 'bench_app')" >/dev/null
pgscript get <<<"\\set r random(1, $N)
SELECT streamkv.get('s:' || :r);"
pgscript set <<<"\\set r random(1, $N)
SELECT streamkv.set('s:' || :r, 'w');"
declare -A T
for op in get set; do
	say "per call: $op as the superuser and as bench_app"
	T[$op,owner]=$(pgb "$PGUSER_B" "$WORK/pgb/$op.sql")
	T[$op,role]=$(pgb bench_app "$WORK/pgb/$op.sql")
done

# ---- 2. pg_dump / pg_restore ---------------------------------------------------------------------
say "loading the dump databases: streamkv data and the same in tables"
q "SELECT streamkv.flushdb()" >/dev/null
for d in skv tab; do DB postgres "DROP DATABASE IF EXISTS $d"; DB postgres "CREATE DATABASE $d"; done >/dev/null
DB skv "CREATE EXTENSION streamkv;
	SELECT count(streamkv.set('s:' || g, md5(g::text))) FROM generate_series(1, $N) g;
	SELECT streamkv.create_topic('events', 4);
	SELECT streamkv.produce_agg('events', convert_to(rpad(g::text, 100, 'x'), 'UTF8'), convert_to('k' || (g % 1000), 'UTF8')) FROM generate_series(1, $R) g;
	SELECT streamkv.zadd('board', array_agg(g::float8), array_agg('m' || g)) FROM generate_series(1, $Z) g;" >/dev/null
DB tab "CREATE TABLE kv (k text PRIMARY KEY, v text);
	INSERT INTO kv SELECT 's:' || g, md5(g::text) FROM generate_series(1, $N) g;
	CREATE TABLE events (partition int, \"offset\" bigint, ts timestamptz, key bytea, value bytea, PRIMARY KEY (partition, \"offset\"));
	INSERT INTO events SELECT g % 4, g / 4, now(), convert_to('k' || (g % 1000), 'UTF8'), convert_to(rpad(g::text, 100, 'x'), 'UTF8') FROM generate_series(1, $R) g;
	CREATE TABLE board (member text PRIMARY KEY, score float8);
	INSERT INTO board SELECT 'm' || g, g FROM generate_series(1, $Z) g;
	CHECKPOINT;" >/dev/null
declare -A D
for db in skv tab; do
	say "pg_dump -Fc $db, pg_restore into ${db}_copy"
	D[$db,dump]=$(secs "$IBIN/pg_dump" -Fc -h 127.0.0.1 -p "$PGPORT_B" -U "$PGUSER_B" -d "$db" -f "$WORK/$db.dump")
	D[$db,size]=$(stat -c %s "$WORK/$db.dump" 2>/dev/null || echo 0)
	DB postgres "DROP DATABASE IF EXISTS ${db}_copy" >/dev/null
	DB postgres "CREATE DATABASE ${db}_copy" >/dev/null
	D[$db,restore]=$(secs "$IBIN/pg_restore" -h 127.0.0.1 -p "$PGPORT_B" -U "$PGUSER_B" -d "${db}_copy" "$WORK/$db.dump")
done
D[check]=$(DB skv_copy "SELECT streamkv.dbsize() || ' keys, ' || (SELECT sum(high_watermark) FROM streamkv.partitions('events')) || ' records, ' || streamkv.zcard('board') || ' members'")
mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b / 1048576}'; }

# ---- report --------------------------------------------------------------------------------------
{
	echo "# streamkv DBA benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$(uname -n), $(nproc) cores, $("$IBIN/postgres" --version),"
	echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo '+dirty'), BENCH_SECONDS=$SECS, BENCH_KEYS=$N, fsync on. Ratios are measured in the same run."
	echo
	echo "## 1. Privilege checks (pgbench -M prepared -c 2 -j 2 -T $SECS, synchronous_commit off, $N keys)"
	echo
	echo "| op | as a superuser (owner: no lookup) tps | as a role granted read, write tps | **ratio** |"
	echo "|---|---:|---:|---:|"
	for op in get set; do
		echo "| \`$op\` random keys | $(fmt "${T[$op,owner]}") | $(fmt "${T[$op,role]}") | **$(ratio "${T[$op,role]}" "${T[$op,owner]}")** |"
	done
	echo
	echo "## 2. pg_dump -Fc and pg_restore: streamkv data vs the same data in tables"
	echo
	echo "$N strings, a topic of $R records of 100 bytes (4 partitions), a sorted set of $Z members; the tables have primary keys like the stores' lookups. Restored copy: ${D[check]}."
	echo
	echo "| step | streamkv s | tables s | **time ratio** (streamkv / tables) |"
	echo "|---|---:|---:|---:|"
	echo "| \`pg_dump -Fc\` | ${D[skv,dump]} | ${D[tab,dump]} | **$(ratio "${D[skv,dump]}" "${D[tab,dump]}")** |"
	echo "| \`pg_restore\` | ${D[skv,restore]} | ${D[tab,restore]} | **$(ratio "${D[skv,restore]}" "${D[tab,restore]}")** |"
	echo "| dump size MB | $(mb "${D[skv,size]}") | $(mb "${D[tab,size]}") | $(ratio "${D[skv,size]}" "${D[tab,size]}") |"
	echo
	skv_bench_errors
} | tee "$OUT"
say "saved to $OUT"
