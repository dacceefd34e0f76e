#!/usr/bin/env bash
# streamkv topic scale benchmark: one topic filled to BENCH_GB gigabytes of 100-byte records
# (default 10 GB = 100 M records), one gigabyte at a time. Prints, same run:
#   - produce_agg rate of each gigabyte (records/s), and last GB / first GB;
#   - fetch rate (1 M records in batches of 1,000, a server-side loop) from the start of the
#     first GB and of the last GB, measured at the end, and last / first;
#   - shared memory the topic's copy takes (info().memory_used growth) per GB of records;
#   - the store's size on disk;
#   - load time after a restart (the first partitions() call, which loads the topic).
# Goals (issue "one shape for every kind"): rates of the last GB within 10 % of the first;
# load <= 1 s; <= 128 kB of shared memory per GB.
#
#   bench/topic_scale.sh                 # as root or as a normal user
#   BENCH_GB=2 bench/topic_scale.sh      # smaller
#
# Its own throwaway cluster (.pgrun/tscale-data, 127.0.0.1:54387, synchronous_commit=off,
# max_wal_size=2GB so WAL is recycled); stopped at exit. Output: stdout and bench/out/.
# No assertions: this is a benchmark, not a test.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
set +e
set -uo pipefail

GB=${BENCH_GB:-10}
PER_GB=10000000                 # 10 M records of 100 B = 1 GB of payload
FETCH_N=1000000

skv_deps
skv_pick_user
skv_bench_begin topic_scale tscale 54387
skv_bench_cluster "shared_buffers = 1GB" "max_wal_size = 2GB" "checkpoint_timeout = 30min" \
	"synchronous_commit = off" "streamkv.max_memory = 256MB" "max_connections = 10"

# ms SQL -> server-side ms (psql \timing)
ms() {
	local out
	pg_ready
	out=$(printf '\\timing on\n%s;\n' "$1" | PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -At 2>&1) ||
		{ note_err "psql $1: $(printf '%s' "$out" | head -3 | tr '\n' ' ')"; echo ERR; return; }
	printf '%s\n' "$out" | awk '/^Time: /{print $2; exit}'
}
best2() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "ERR") a = 0; if (b == "ERR") b = 0; print (a+0 > b+0) ? a : b }'; }
rate() { awk -v n="$1" -v ms="$2" 'BEGIN{ if (ms+0 > 0) printf "%.0f", n/(ms/1000); else printf "ERR" }'; }

q "SELECT streamkv.create_topic('big', 1, retention_ms => -1)" >/dev/null
q "CREATE FUNCTION fetch_n(start bigint, n bigint) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE got bigint := 0; off bigint := start; c bigint;
BEGIN
  WHILE got < n LOOP
    SELECT count(*), max(\"offset\") + 1 INTO c, off FROM streamkv.fetch('big', 0, off, 1000) ;
    EXIT WHEN c = 0;
    got := got + c;
  END LOOP;
  RETURN got;
END \$\$" >/dev/null
MEM0=$(q 'SELECT memory_used FROM streamkv.info()')
declare -a PRATE
say "filling topic 'big' with $GB GB of 100-byte records"
for g in $(seq 1 "$GB"); do
	t=$(ms "SELECT streamkv.produce_agg('big', v, NULL::bytea) FROM (SELECT convert_to(repeat('x', 100), 'UTF8') v FROM generate_series(1, $PER_GB)) s")
	PRATE[$g]=$(rate $PER_GB "$t")
	say "  GB $g: ${PRATE[$g]} records/s (${t} ms), memory_used $(q 'SELECT memory_used FROM streamkv.info()')"
done
MEM1=$(q 'SELECT memory_used FROM streamkv.info()')
SIZE=$(q "SELECT pg_relation_size(c.oid) FROM pg_class c WHERE relname = 'topic_big'")
HWM=$(q "SELECT high_watermark FROM streamkv.partitions('big')")
F_FIRST=$(rate $FETCH_N "$(ms "SELECT fetch_n(0, $FETCH_N)")")
F_LAST=$(rate $FETCH_N "$(ms "SELECT fetch_n($(( (GB - 1) * PER_GB )), $FETCH_N)")")
F_FIRST2=$(rate $FETCH_N "$(ms "SELECT fetch_n(0, $FETCH_N)")")
F_LAST2=$(rate $FETCH_N "$(ms "SELECT fetch_n($(( (GB - 1) * PER_GB )), $FETCH_N)")")
say "  fetch: first GB $F_FIRST / $F_FIRST2, last GB $F_LAST / $F_LAST2 records/s"

say "restart"
skv_pg_ctl -D "$DATA" -l "$PGLOG" -m fast -w -t 600 restart >/dev/null 2>&1 || note_err "restart failed"
LOAD=$(ms "SELECT count(*) FROM streamkv.partitions('big')")
SECOND=$(ms "SELECT count(*) FROM streamkv.partitions('big')")
say "  first partitions() after restart ${LOAD} ms (second ${SECOND} ms)"

perk() { awk -v a="$1" -v b="$2" -v g="$3" 'BEGIN{ if (g > 0) printf "%.0f", (b-a)/g/1024; else print "n/a" }'; }
{
	echo "# streamkv topic scale — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)"
	echo
	echo "$(nproc) cores; one topic, one partition, $GB × 10 M records of 100 B (high watermark $(fmt "$HWM")), produce_agg per GB, synchronous_commit=off."
	echo
	echo "| measure | first GB | last GB | **last / first** | goal |"
	echo "|---|---:|---:|---:|---|"
	echo "| produce_agg, records/s | $(fmt "${PRATE[1]}") | $(fmt "${PRATE[$GB]}") | **$(ratio "${PRATE[$GB]}" "${PRATE[1]}")** | within 10 % |"
	echo "| fetch 1 M in batches of 1,000, records/s (best of 2) | $(fmt "$(best2 "$F_FIRST" "$F_FIRST2")") | $(fmt "$(best2 "$F_LAST" "$F_LAST2")") | **$(ratio "$(best2 "$F_LAST" "$F_LAST2")" "$(best2 "$F_FIRST" "$F_FIRST2")")** | within 10 % |"
	echo
	echo "| measure | value | goal |"
	echo "|---|---:|---|"
	echo "| shared memory of the topic's copy (memory_used growth) | $(fmt "$((MEM1 - MEM0))") bytes = **$(perk "$MEM0" "$MEM1" "$GB") kB per GB** | ≤ 128 kB per GB |"
	echo "| store on disk | $(fmt "$SIZE") bytes ($(awk -v s="$SIZE" -v g="$GB" 'BEGIN{printf "%.2f", s/g/1073741824}') GiB per GB of payload) | |"
	echo "| load after restart (first partitions(), ms) | **$(fmt "$LOAD")** (second call $(fmt "$SECOND")) | ≤ 1,000 ms |"
	echo
	echo "produce_agg per GB, records/s: $(for g in $(seq 1 "$GB"); do printf '%s ' "${PRATE[$g]}"; done)"
	echo
	skv_bench_errors
} | tee "$OUT"
