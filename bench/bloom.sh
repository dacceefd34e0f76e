#!/usr/bin/env bash
# streamkv bloom filter benchmark (issue 16): one command, prints markdown tables of RATIOS measured
# in the same run against baselines in the same server.
#
#   bench/bloom.sh                         # BENCH_SECONDS=10 per pgbench run
#   BENCH_SECONDS=5 bench/bloom.sh         # quicker (about 2 minutes)
#
# Redis cannot be the baseline: Debian's redis-server has no RedisBloom module (BF.* are unknown
# commands there). The baselines are therefore streamkv's own: the stateless bloom type
# (bloom_agg / bloom_contains on a filter stored in a table row, the same sizing and hashing, no
# WAL of its own beyond the row) and the keyspace's set/get (the plainest logged write and read).
#
# It builds and installs the extension into the private install (.pgrun/inst, scripts/common.sh),
# starts its OWN throwaway cluster (.pgrun/bfbench-data, 127.0.0.1:54396 or the next free port + a
# Unix socket under /tmp, shared_buffers=256MB, max_wal_size=4GB, streamkv.max_memory=1GB, fsync
# on), stopped at exit. Output: stdout and bench/out/bloom-<date>.md.
#
# Rows:
#  1. one command per statement (pgbench -n -M prepared -c 2 -j 2 -T BENCH_SECONDS):
#     bf_add of random new items ('item:' || random(1, 1e9)) into a filter reserved for 1,000,000
#     at 0.01, vs set('s:' || random, 'v'); synchronous_commit off and on.
#     bf_exists of random items ('item:' || random(1, 2e6), half of them present) in a filter of
#     1,000,000 items, vs get('s:' || random(1, 2e6)) on 1,000,000 strings, and vs
#     bloom_contains((SELECT f FROM bt), item) on the same 1,000,000 items as a bloom value in a
#     table row.
#  2. 1,000,000 items in one statement (psql \timing, synchronous_commit=on, includes the commit):
#     bf_add_agg into a reserved filter, count(bf_add(...)) one call per row, count(bf_exists)
#     of the 1,000,000 items; vs bloom_agg (one value, not stored), bloom_contains on the stored
#     value, count(set(...)) one call per row. ns per item and bits per item (filter bits / the
#     1,000,000 items added).
# No assertions: this is a benchmark, not a test. Server errors are listed at the end.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
set +e            # a failing measurement is reported as ERR, not fatal
set -uo pipefail

SECS=${BENCH_SECONDS:-10}
N=1000000

skv_deps
skv_pick_user
skv_bench_begin bloom bfbench 54396
skv_bench_cluster "shared_buffers = 256MB" "max_wal_size = 4GB" "streamkv.max_memory = 1GB" \
	"max_connections = 20"

# pgb SYNC SCRIPTFILE -> tps (or ERR); TCP, 2 clients, prepared
pgb() {
	local sync=$1 f=$2 out rc tps
	pg_ready
	out=$(PGOPTIONS="-c synchronous_commit=$sync" "$IBIN/pgbench" -n -M prepared -c 2 -j 2 -T "$SECS" \
		-h 127.0.0.1 -p "$PGPORT_B" -U "$PGUSER_B" -f "$f" bench 2>&1)
	rc=$?
	tps=$(printf '%s\n' "$out" | awk '/^tps = /{print $3; exit}')
	if [ $rc -eq 0 ] && [ -n "$tps" ] && ! printf '%s\n' "$out" | grep -q 'number of failed transactions: [1-9]'; then
		printf '%.0f\n' "$tps"; return
	fi
	note_err "pgbench $(basename "$f") sync=$sync rc=$rc: $(printf '%s\n' "$out" | grep -iE 'error|abort|fail' | head -5 | tr '\n' ' ')"
	echo ERR
}
# psql_ms SQL -> server-side time of SQL in ms (psql \timing; autocommit: includes the commit)
psql_ms() {
	local out
	pg_ready
	out=$(printf '\\timing on\n%s;\n' "$1" |
		PGOPTIONS="-c synchronous_commit=on -c client_min_messages=warning" "${PSQL[@]}" -At 2>&1) ||
		{ note_err "psql $1: $(printf '%s' "$out" | grep -v '^Timing' | head -3 | tr '\n' ' ')"; echo ERR; return; }
	printf '%s\n' "$out" | awk '/^Time: /{print $2; exit}'
}
nsper() { awk -v ms="$1" -v n="$2" 'BEGIN{ if (ms+0 > 0) printf "%.0f", ms * 1e6 / n; else printf "ERR" }'; }
RATIO_DECIMALS=2

mkdir -p "$WORK/pgb"
pgscript() { cat >"$WORK/pgb/$1.sql"; chmod a+r "$WORK/pgb/$1.sql"; }

# ---- data ----------------------------------------------------------------------------------------
say "loading: a filter of 1,000,000 items, 1,000,000 strings, a bloom value of 1,000,000 items"
q "SELECT streamkv.bf_reserve('bfr', 0.01, $N)" >/dev/null
q "SELECT streamkv.bf_add_agg('bfr', 'item:' || g) FROM generate_series(1, $N) g" >/dev/null
q "SELECT count(streamkv.set('s:' || g, 'v')) FROM generate_series(1, $N) g" >/dev/null
q "CREATE TABLE bt AS SELECT streamkv.bloom_agg('item:' || g, $N, 0.01) AS f FROM generate_series(1, $N) g" >/dev/null
q "SELECT streamkv.bf_reserve('bfw', 0.01, $N)" >/dev/null
q "CHECKPOINT" >/dev/null

# ---- 1. per call ---------------------------------------------------------------------------------
pgscript bf_add <<<$'\\set r random(1, 1000000000)\nSELECT streamkv.bf_add(\'bfw\', \'item:\' || :r);'
pgscript set <<<$'\\set r random(1, 1000000000)\nSELECT streamkv.set(\'w:\' || :r, \'v\');'
pgscript bf_exists <<<$'\\set r random(1, 2000000)\nSELECT streamkv.bf_exists(\'bfr\', \'item:\' || :r);'
pgscript get <<<$'\\set r random(1, 2000000)\nSELECT streamkv.get(\'s:\' || :r);'
pgscript bloom_contains <<<$'\\set r random(1, 2000000)\nSELECT streamkv.bloom_contains((SELECT f FROM bt), \'item:\' || :r);'
declare -A T
for sync in off on; do
	say "per call, synchronous_commit=$sync: bf_add, set"
	T[$sync,bf_add]=$(pgb $sync "$WORK/pgb/bf_add.sql")
	T[$sync,set]=$(pgb $sync "$WORK/pgb/set.sql")
done
say "per call: bf_exists, get, bloom_contains"
T[bf_exists]=$(pgb off "$WORK/pgb/bf_exists.sql")
T[get]=$(pgb off "$WORK/pgb/get.sql")
T[bloom_contains]=$(pgb off "$WORK/pgb/bloom_contains.sql")

# ---- 2. 1,000,000 in one statement ---------------------------------------------------------------
say "one statement: 1,000,000 items"
declare -A B
q "SELECT streamkv.bf_reserve('bulk_agg', 0.01, $N), streamkv.bf_reserve('bulk_row', 0.01, $N)" >/dev/null
B[agg]=$(psql_ms "SELECT streamkv.bf_add_agg('bulk_agg', 'item:' || g) FROM generate_series(1, $N) g")
B[row]=$(psql_ms "SELECT count(*) FILTER (WHERE streamkv.bf_add('bulk_row', 'item:' || g)) FROM generate_series(1, $N) g")
B[exists]=$(psql_ms "SELECT count(*) FILTER (WHERE streamkv.bf_exists('bulk_agg', 'item:' || g)) FROM generate_series(1, $N) g")
B[bloom_agg]=$(psql_ms "SELECT streamkv.bloom_info(streamkv.bloom_agg('item:' || g, $N, 0.01)) FROM generate_series(1, $N) g")
B[bloom_contains]=$(psql_ms "SELECT count(*) FILTER (WHERE streamkv.bloom_contains(s.f, 'item:' || g)) FROM (SELECT f FROM bt) s, generate_series(1, $N) g")
B[set]=$(psql_ms "SELECT count(streamkv.set('bulk:' || g, 'v')) FROM generate_series(1, $N) g")
B[bits]=$(q "SELECT sum(bits) FROM streamkv.bf_debug('bulk_agg')")
B[card]=$(q "SELECT streamkv.bf_card('bulk_agg')")
B[bloom_bits]=$(q "SELECT bits || ' ' || items FROM bt, streamkv.bloom_info(f)")
bpi() { awk -v b="$1" -v n="$2" 'BEGIN{ if (n+0 > 0) printf "%.3f", b / n; else printf "n/a" }'; }
THEORY=$(awk 'BEGIN{printf "%.3f", -log(0.005) / (log(2)^2)}')
THEORY1=$(awk 'BEGIN{printf "%.3f", -log(0.01) / (log(2)^2)}')

# ---- report --------------------------------------------------------------------------------------
{
	echo "# streamkv bloom filter benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$(uname -n), $(nproc) cores, $("$IBIN/postgres" --version),"
	echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo '+dirty'), BENCH_SECONDS=$SECS, fsync on, 2 clients. Ratios are measured in the same run."
	echo "No Redis column: Debian's redis-server has no RedisBloom module. Baselines: streamkv's set/get (the plainest logged write and read of the keyspace) and the stateless bloom type (bloom_agg/bloom_contains on a value stored in a table row)."
	echo
	echo "## 1. One command per statement (pgbench -M prepared -c 2 -j 2 -T $SECS)"
	echo
	echo "| op | synchronous_commit | tps | baseline | baseline tps | **ratio** |"
	echo "|---|---|---:|---|---:|---:|"
	for sync in off on; do
		echo "| \`bf_add('bfw', 'item:'\|\|random)\` (new items) | $sync | $(fmt "${T[$sync,bf_add]}") | \`set('w:'\|\|random, 'v')\` | $(fmt "${T[$sync,set]}") | **$(ratio "${T[$sync,bf_add]}" "${T[$sync,set]}")** |"
	done
	echo "| \`bf_exists('bfr', item)\` (1M items, half the probes present) | off | $(fmt "${T[bf_exists]}") | \`get('s:'\|\|random)\` (1M strings) | $(fmt "${T[get]}") | **$(ratio "${T[bf_exists]}" "${T[get]}")** |"
	echo "| the same \`bf_exists\` | off | $(fmt "${T[bf_exists]}") | \`bloom_contains((SELECT f FROM bt), item)\` (the same 1M items as a bloom value in a row) | $(fmt "${T[bloom_contains]}") | **$(ratio "${T[bf_exists]}" "${T[bloom_contains]}")** |"
	echo
	echo "## 2. 1,000,000 items in one statement (psql \\timing, synchronous_commit=on, includes the commit)"
	echo
	echo "| statement | ms | ns/item | bits/item | baseline | baseline ms | baseline ns/item | **time ratio** |"
	echo "|---|---:|---:|---:|---|---:|---:|---:|"
	echo "| \`bf_add_agg('bulk_agg', 'item:'\|\|g)\` into a filter reserved for 1M at 0.01 | $(fmt "${B[agg]}") | $(nsper "${B[agg]}" $N) | $(bpi "${B[bits]}" $N) (theory $THEORY: the first sub-filter is at 0.005) | \`bloom_agg('item:'\|\|g, 1e6, 0.01)\` (not stored, no WAL) | $(fmt "${B[bloom_agg]}") | $(nsper "${B[bloom_agg]}" $N) | **$(ratio "${B[agg]}" "${B[bloom_agg]}")** |"
	echo "| \`count(bf_add('bulk_row', 'item:'\|\|g))\` (one operation per row) | $(fmt "${B[row]}") | $(nsper "${B[row]}" $N) | | \`count(set('bulk:'\|\|g, 'v'))\` | $(fmt "${B[set]}") | $(nsper "${B[set]}" $N) | **$(ratio "${B[row]}" "${B[set]}")** |"
	echo "| \`count(bf_exists('bulk_agg', 'item:'\|\|g))\` | $(fmt "${B[exists]}") | $(nsper "${B[exists]}" $N) | | \`count(bloom_contains(f, 'item:'\|\|g))\` | $(fmt "${B[bloom_contains]}") | $(nsper "${B[bloom_contains]}" $N) | **$(ratio "${B[exists]}" "${B[bloom_contains]}")** |"
	echo
	set -- ${B[bloom_bits]:-0 0}
	echo "Bits per item (bits / 1,000,000 items added): the named filter $(bpi "${B[bits]}" $N) (${B[bits]} bits in one sub-filter at 0.005; ${B[card]} items reported new, the rest false positives at insertion), the bloom value $(bpi "$1" $N) (at 0.01, theory $THEORY1). A time ratio below 1 means streamkv's named filter is faster."
	echo
	skv_bench_errors
} | tee "$OUT"
say "saved to $OUT"
