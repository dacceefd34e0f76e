#!/usr/bin/env bash
# streamkv sorted-set benchmark (issue #11): one command, prints markdown tables of RATIOS
# measured in the same run against redis-server and against a plain PostgreSQL table.
#
#   bench/zsets.sh                          # BENCH_SECONDS=10 per pgbench/redis-benchmark run
#   BENCH_SECONDS=5 bench/zsets.sh          # quicker (about 4 minutes)
#   BENCH_ONLY=leaderboard bench/zsets.sh   # some groups only: percall, bulk, leaderboard (comma list)
#   BENCH_ROUNDS=2 bench/zsets.sh           # table 1: best of 2 interleaved rounds (default 1)
#
# It builds and installs the extension into the private install (.pgrun/inst, scripts/common.sh),
# starts its OWN throwaway cluster (.pgrun/zbench-data, 127.0.0.1:54395 or the next free port + a
# Unix socket under /tmp, shared_buffers=256MB, max_wal_size=4GB, streamkv.max_memory=2GB, fsync on)
# and three redis-servers on 127.0.0.1 (6375, 6376, 6377 or the next free ports): no persistence,
# AOF appendfsync always, AOF appendfsync everysec. Everything is stopped at exit. Output: stdout
# and bench/out/zsets-<date>.md.
#
# Rows of the tables:
#  1. per call (group percall): one command per statement/request, 2 clients, on one sorted set
#     'zb' preloaded with 100,000 members 'member:%012d' (redis-benchmark's __rand_int__ format),
#     members random over those 100,000: zadd (random score), zscore, zrank, zincrby by 1,
#     zrange(key, 0, 9). streamkv = pgbench -n -M prepared -c 2 -j 2 -T BENCH_SECONDS;
#     redis = redis-benchmark -c 2 -r 100000 running the same command line (-n calibrated to last
#     about BENCH_SECONDS), measured right after the matching pgbench run.
#     synchronous_commit=off is compared with redis AOF appendfsync everysec, =on with appendfsync
#     always (persistence matched; goal >= 1.0x); the redis without persistence is shown too.
#  2. one statement, 1,000,000 zadds (group bulk): `SELECT count(streamkv.zadd('big', g, 'm'||g))
#     FROM generate_series(1,1000000) g` and the same through the zadd_agg aggregate (psql \timing,
#     includes the commit, synchronous_commit=on) vs redis-benchmark -P 16 -c 1 -n 1000000
#     -r 1000000000 `zadd big __rand_int__ m:__rand_int__` (rps of the run; the members it really
#     created are counted with ZCARD). Goal >= 2x.
#  3. leaderboard of 1,000,000 members 'player:%012d' with distinct scores (g*7919 mod 1000003)
#     (group leaderboard): rank of a random member (zrevrank), top 10 (zrevrange 0 9), the 10
#     around a random rank (zrevrange r-5 r+4); pgbench -M prepared -c 2, \set random member/rank;
#     vs a logged table lbt(member text PRIMARY KEY, score float8) with a b-tree on score, VACUUM
#     ANALYZEd (rank = `SELECT count(*) FROM lbt WHERE score > (SELECT score FROM lbt WHERE member
#     = $1)`, top 10 = ORDER BY score DESC LIMIT 10, around = ORDER BY score DESC OFFSET r-5
#     LIMIT 10), and vs redis (no persistence; reads) with redis-benchmark -c 2: `zrevrank lb
#     player:__rand_int__`, `zrevrange lb 0 9 withscores`, `zrevrange lb 500000 500009 withscores`
#     (redis-benchmark cannot compute a range around a random rank; ZREVRANGE by rank costs
#     O(log n + 10) wherever the rank is). Goals: rank >= 100x the table, the rest >= 1.0x redis.
#  4. memory per member: streamkv.info().memory_used before/after loading the 1M-member leaderboard
#     vs redis INFO used_memory before/after the same ZADDs (redis-cli --pipe). Goal <= 1.0x.
#  5. load after a restart (pg_ctl restart -m fast, then -m immediate) with the 1M-member
#     leaderboard: the first `SELECT streamkv.zcard('lb')` (\timing and wall time with the
#     connection), the second one, info().last_load_ms. Goal <= 1 s.
# No assertions: this is a benchmark, not a test. Server errors are listed at the end.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
set +e            # a failing measurement is reported as ERR, not fatal
set -uo pipefail

SECS=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-1}
ONLY=${BENCH_ONLY:-percall,bulk,leaderboard}
want() { [[ ",$ONLY," == *",$1,"* ]]; }
NZB=100000
N1M=1000000

skv_deps
skv_pick_user
REDIS_PIDS=()
bench_cleanup() {
	local p
	for p in "${REDIS_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${REDIS_PIDS[@]}"; do
		while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
	done
}
skv_bench_begin zsets zbench 54395
skv_bench_cluster "shared_buffers = 256MB" "max_wal_size = 4GB" "streamkv.max_memory = 2GB" \
	"max_connections = 20"

# ---- redis ------------------------------------------------------------------------------------
start_redis() { # PORT ARGS...
	local port=$1; shift
	mkdir -p "$WORK/redis-$port"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$WORK/redis-$port" --save '' \
		--daemonize no --logfile "$WORK/redis-$port/log" "$@" &
	REDIS_PIDS+=($!)
	local i; for i in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
	die "redis-server on $port did not start"
}
RPORT_NONE=$(skv_free_port 6375);     start_redis "$RPORT_NONE" --appendonly no
RPORT_ALWAYS=$(skv_free_port 6376);   start_redis "$RPORT_ALWAYS" --appendonly yes --appendfsync always
RPORT_EVERYSEC=$(skv_free_port 6377); start_redis "$RPORT_EVERYSEC" --appendonly yes --appendfsync everysec
say "redis-servers: none $RPORT_NONE, always $RPORT_ALWAYS, everysec $RPORT_EVERYSEC"
rcli() { local port=$1; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }
aof_of()  { [ "$1" = on ] && echo always || echo everysec; }
port_of() { case $1 in none) echo "$RPORT_NONE" ;; always) echo "$RPORT_ALWAYS" ;; everysec) echo "$RPORT_EVERYSEC" ;; esac; }

# ---- measurement helpers ----------------------------------------------------------------------
# pgb SYNC SCRIPTFILE -> tps (or ERR); TCP, 2 clients, prepared
pgb() {
	local sync=$1 f=$2 out rc tps try
	for try in 1 2; do
		pg_ready
		out=$(PGOPTIONS="-c synchronous_commit=$sync" "$IBIN/pgbench" -n -M prepared -c 2 -j 2 -T "$SECS" \
			-h 127.0.0.1 -p "$PGPORT_B" -U "$PGUSER_B" -f "$f" bench 2>&1)
		rc=$?
		tps=$(printf '%s\n' "$out" | awk '/^tps = /{print $3; exit}')
		if [ $rc -eq 0 ] && [ -n "$tps" ] && ! printf '%s\n' "$out" | grep -q 'number of failed transactions: [1-9]'; then
			printf '%.0f\n' "$tps"; return
		fi
		note_err "pgbench $(basename "$f") sync=$sync try $try rc=$rc: $(printf '%s\n' "$out" | grep -iE 'error|abort|fail' | head -5 | tr '\n' ' ')"
	done
	echo ERR
}
# rb_once PORT N ARGS... -> rps of the first result line of redis-benchmark --csv
rb_once() {
	local port=$1 n=$2; shift 2
	redis-benchmark -h 127.0.0.1 -p "$port" -n "$n" --csv "$@" 2>/dev/null |
		awk -F'"' 'NR>1 && $4 != "" {print $4; exit}'
}
# rb_timed PORT ARGS...: calibrate -n on a short run so that the measured run lasts ~SECS
rb_timed() {
	local port=$1; shift
	local est n r
	est=$(rb_once "$port" 2000 "$@")
	[ -z "$est" ] && { note_err "redis-benchmark -p $port $*: no result"; echo ERR; return; }
	n=$(awk -v e="$est" -v s="$SECS" 'BEGIN{n=int(e*s); if(n<2000)n=2000; print n}')
	r=$(rb_once "$port" "$n" "$@")
	[ -z "$r" ] && { note_err "redis-benchmark -p $port $*: no result"; echo ERR; return; }
	printf '%.0f\n' "$r"
}
# psql_ms SYNC SQL -> server-side time of SQL in ms (psql \timing; autocommit: includes the commit)
psql_ms() {
	local sync=$1 sql=$2 out try ok=
	for try in 1 2; do
		pg_ready
		out=$(printf '\\timing on\n%s;\n' "$sql" |
			PGOPTIONS="-c synchronous_commit=$sync -c client_min_messages=warning" "${PSQL[@]}" -At 2>&1) && { ok=1; break; }
		note_err "psql ($sync, try $try) $sql: $(printf '%s' "$out" | grep -v '^Timing' | head -3 | tr '\n' ' ')"
	done
	if [ -z "$ok" ] || ! printf '%s\n' "$out" | grep -q '^Time: '; then echo ERR; return; fi
	printf '%s\n' "$out" | awk '/^Time: /{print $2; exit}'
}
ops_per_s() { awk -v n="$1" -v ms="$2" 'BEGIN{ if (ms+0 > 0) printf "%.0f", n/(ms/1000); else printf "ERR" }'; }
best() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN{ if (a == "ERR") a = 0; if (b == "ERR") b = 0; x = (a+0 > b+0) ? a : b; if (x+0 > 0) print x; else print "ERR" }'; }
now() { date +%s.%N; }
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.0f", (b-a)*1000}'; }
RATIO_DECIMALS=2

mkdir -p "$WORK/pgb"
pgscript() { # NAME: the script from stdin
	cat >"$WORK/pgb/$1.sql"
	chmod a+r "$WORK/pgb/$1.sql"
}

# ---- 1. per call ------------------------------------------------------------------------------
declare -A T R      # T[sync,op] streamkv tps; R[cfg,sync,op] redis rps (cfg aof|none)
OPS=(zadd zscore zrank zincrby zrange)
if want percall; then
	pgscript zadd <<EOF
\set s random(0, $((NZB - 1)))
\set m random(0, $((NZB - 1)))
SELECT streamkv.zadd('zb', :s::float8, 'member:' || lpad(:m::text, 12, '0'));
EOF
	pgscript zscore <<EOF
\set m random(0, $((NZB - 1)))
SELECT streamkv.zscore('zb', 'member:' || lpad(:m::text, 12, '0'));
EOF
	pgscript zrank <<EOF
\set m random(0, $((NZB - 1)))
SELECT streamkv.zrank('zb', 'member:' || lpad(:m::text, 12, '0'));
EOF
	pgscript zincrby <<EOF
\set m random(0, $((NZB - 1)))
SELECT streamkv.zincrby('zb', 1, 'member:' || lpad(:m::text, 12, '0'));
EOF
	pgscript zrange <<'EOF'
SELECT member, score FROM streamkv.zrange('zb', 0, 9);
EOF
	rcmd() {
		case $1 in
		zadd)    echo "zadd zb __rand_int__ member:__rand_int__" ;;
		zscore)  echo "zscore zb member:__rand_int__" ;;
		zrank)   echo "zrank zb member:__rand_int__" ;;
		zincrby) echo "zincrby zb 1 member:__rand_int__" ;;
		zrange)  echo "zrange zb 0 9 withscores" ;;
		esac
	}
	load_zb() {
		q "SELECT streamkv.del('zb')" >/dev/null
		q "SELECT count(streamkv.zadd('zb', g, 'member:' || lpad(g::text, 12, '0'))) FROM generate_series(0, $((NZB - 1))) g" >/dev/null
		local port
		for port in "$RPORT_NONE" "$RPORT_ALWAYS" "$RPORT_EVERYSEC"; do
			rcli "$port" del zb >/dev/null
			seq 0 $((NZB - 1)) | awk '{printf "ZADD zb %d member:%012d\r\n", $1, $1}' |
				rcli "$port" --pipe >"$WORK/pipe.log" 2>&1 || note_err "redis-cli --pipe zb: $(tail -2 "$WORK/pipe.log" | tr '\n' ' ')"
		done
	}
	say "per call: pgbench ${SECS}s per run, redis-benchmark -c 2 right after, $ROUNDS round(s)"
	for r in $(seq 1 "$ROUNDS"); do
		for sync in off on; do
			aof=$(aof_of $sync)
			load_zb
			say "  round $r, sync=$sync: zb has $(q "SELECT streamkv.zcard('zb')") members (redis $(rcli "$(port_of $aof)" zcard zb))"
			for op in "${OPS[@]}"; do
				T[$sync,$op]=$(best "${T[$sync,$op]:-0}" "$(pgb $sync "$WORK/pgb/$op.sql")")
				# shellcheck disable=SC2046
				R[aof,$sync,$op]=$(best "${R[aof,$sync,$op]:-0}" "$(rb_timed "$(port_of $aof)" -c 2 -r $NZB $(rcmd $op))")
				R[none,$sync,$op]=$(best "${R[none,$sync,$op]:-0}" "$(rb_timed "$RPORT_NONE" -c 2 -r $NZB $(rcmd $op))")
				say "    $op: streamkv ${T[$sync,$op]} tps, redis AOF $aof ${R[aof,$sync,$op]} rps, no persistence ${R[none,$sync,$op]} rps"
			done
		done
	done
	q "SELECT streamkv.del('zb')" >/dev/null
	for port in "$RPORT_NONE" "$RPORT_ALWAYS" "$RPORT_EVERYSEC"; do rcli "$port" flushall >/dev/null; done
fi

# ---- 2. one statement, 1M zadds --------------------------------------------------------------
declare -A B
if want bulk; then
	say "bulk: 1M zadds in one statement, through zadd_agg, and redis-benchmark -P 16"
	q 'SELECT streamkv.flushdb()' >/dev/null
	q 'CHECKPOINT' >/dev/null
	B[stmt]=$(psql_ms on "SELECT count(streamkv.zadd('big', g, 'm' || g)) FROM generate_series(1, $N1M) g")
	B[stmt_card]=$(q "SELECT streamkv.zcard('big')")
	q "SELECT streamkv.del('big')" >/dev/null
	q 'CHECKPOINT' >/dev/null
	B[agg]=$(psql_ms on "SELECT streamkv.zadd_agg('big', g, 'm' || g) FROM generate_series(1, $N1M) g")
	B[agg_card]=$(q "SELECT streamkv.zcard('big')")
	q "SELECT streamkv.del('big')" >/dev/null
	B[stmt_off]=$(psql_ms off "SELECT count(streamkv.zadd('big', g, 'm' || g)) FROM generate_series(1, $N1M) g")
	q "SELECT streamkv.del('big')" >/dev/null
	B[agg_off]=$(psql_ms off "SELECT streamkv.zadd_agg('big', g, 'm' || g) FROM generate_series(1, $N1M) g")
	q 'SELECT streamkv.flushdb()' >/dev/null
	say "  streamkv: one statement ${B[stmt]} ms (${B[stmt_card]} members), zadd_agg ${B[agg]} ms (${B[agg_card]} members); sync off ${B[stmt_off]} / ${B[agg_off]} ms"
	# (not AOF always: a 1M-zadd statement fsyncs once at commit; redis -P 16 with appendfsync
	# always fsyncs once per pipeline of 16 and takes about a minute here)
	for cfg in none everysec; do
		port=$(port_of $cfg)
		rcli "$port" flushall >/dev/null
		t0=$(now)
		B[r_$cfg]=$(rb_once "$port" $N1M -P 16 -c 1 -r 1000000000 zadd big __rand_int__ m:__rand_int__)
		B[r_${cfg}_ms]=$(ms_since "$t0")
		[ -z "${B[r_$cfg]}" ] && { note_err "redis-benchmark -P 16 $cfg zadd: no result"; B[r_$cfg]=ERR; }
		B[r_${cfg}_card]=$(rcli "$port" zcard big)
		rcli "$port" flushall >/dev/null
		say "  redis -P 16 $cfg: ${B[r_$cfg]} rps, ${B[r_${cfg}_card]} members created, ${B[r_${cfg}_ms]} ms wall"
	done
fi

# ---- 3. leaderboard, 4. memory, 5. load after restart ------------------------------------------
declare -A LB M L
if want leaderboard; then
	say "leaderboard: 1M members"
	q 'SELECT streamkv.flushdb()' >/dev/null
	MEM0=$(q 'SELECT memory_used FROM streamkv.info()')
	LB[load_ms]=$(psql_ms off "SELECT count(streamkv.zadd('lb', ((g::bigint * 7919) % 1000003)::float8, 'player:' || lpad(g::text, 12, '0'))) FROM generate_series(0, $((N1M - 1))) g")
	MEM1=$(q 'SELECT memory_used FROM streamkv.info()')
	CARD=$(q "SELECT streamkv.zcard('lb')")
	q 'DROP TABLE IF EXISTS lbt' >/dev/null
	q 'CREATE TABLE lbt (member text PRIMARY KEY, score float8)' >/dev/null
	LB[table_ms]=$(psql_ms off "INSERT INTO lbt SELECT 'player:' || lpad(g::text, 12, '0'), ((g::bigint * 7919) % 1000003)::float8 FROM generate_series(0, $((N1M - 1))) g")
	q 'CREATE INDEX lbt_score ON lbt (score)' >/dev/null
	q 'VACUUM ANALYZE lbt' >/dev/null
	q 'CHECKPOINT' >/dev/null
	rcli "$RPORT_NONE" flushall >/dev/null
	RMEM0=$(rcli "$RPORT_NONE" info memory | awk -F: '/^used_memory:/{print $2+0}')
	t0=$(now)
	seq 0 $((N1M - 1)) | awk '{printf "ZADD lb %d player:%012d\r\n", ($1 * 7919) % 1000003, $1}' |
		rcli "$RPORT_NONE" --pipe >"$WORK/pipe.log" 2>&1 || note_err "redis-cli --pipe lb: $(tail -2 "$WORK/pipe.log" | tr '\n' ' ')"
	LB[redis_load_ms]=$(ms_since "$t0")
	RMEM1=$(rcli "$RPORT_NONE" info memory | awk -F: '/^used_memory:/{print $2+0}')
	RCARD=$(rcli "$RPORT_NONE" zcard lb)
	say "  loaded: streamkv $CARD members in ${LB[load_ms]} ms, table in ${LB[table_ms]} ms, redis $RCARD in ${LB[redis_load_ms]} ms (--pipe, wall)"
	say "  memory: streamkv $MEM0 -> $MEM1, redis $RMEM0 -> $RMEM1"
	# the same answers on all three (a sanity check, noted as an error when they differ)
	chk_sk=$(q "SELECT streamkv.zrevrank('lb', 'player:000000123456') || ' ' || (SELECT string_agg(member, ',') FROM streamkv.zrevrange('lb', 0, 2))")
	chk_t=$(q "SELECT (SELECT count(*) FROM lbt WHERE score > (SELECT score FROM lbt WHERE member = 'player:000000123456')) || ' ' || (SELECT string_agg(member, ',' ORDER BY score DESC) FROM (SELECT member, score FROM lbt ORDER BY score DESC LIMIT 3) s)")
	chk_r="$(rcli "$RPORT_NONE" zrevrank lb player:000000123456) $(rcli "$RPORT_NONE" zrevrange lb 0 2 | paste -sd,)"
	if [ "$chk_sk" != "$chk_t" ] || [ "$chk_sk" != "$chk_r" ]; then
		note_err "leaderboard answers differ: streamkv '$chk_sk', table '$chk_t', redis '$chk_r'"
	fi
	say "  check (rank of player 123456, top 3): streamkv '$chk_sk', table '$chk_t', redis '$chk_r'"

	pgscript lb_rank_sk <<EOF
\set g random(0, $((N1M - 1)))
SELECT streamkv.zrevrank('lb', 'player:' || lpad(:g::text, 12, '0'));
EOF
	pgscript lb_rank_t <<EOF
\set g random(0, $((N1M - 1)))
SELECT count(*) FROM lbt WHERE score > (SELECT score FROM lbt WHERE member = 'player:' || lpad(:g::text, 12, '0'));
EOF
	pgscript lb_top_sk <<'EOF'
SELECT member, score FROM streamkv.zrevrange('lb', 0, 9);
EOF
	pgscript lb_top_t <<'EOF'
SELECT member, score FROM lbt ORDER BY score DESC LIMIT 10;
EOF
	pgscript lb_around_sk <<EOF
\set r random(5, $((N1M - 6)))
SELECT member, score FROM streamkv.zrevrange('lb', :r - 5, :r + 4);
EOF
	pgscript lb_around_t <<EOF
\set r random(5, $((N1M - 6)))
SELECT member, score FROM lbt ORDER BY score DESC OFFSET :r - 5 LIMIT 10;
EOF
	for qn in rank top around; do
		LB[sk,$qn]=$(pgb off "$WORK/pgb/lb_${qn}_sk.sql")
		LB[t,$qn]=$(pgb off "$WORK/pgb/lb_${qn}_t.sql")
		case $qn in
		rank)   LB[r,$qn]=$(rb_timed "$RPORT_NONE" -c 2 -r $N1M zrevrank lb 'player:__rand_int__') ;;
		top)    LB[r,$qn]=$(rb_timed "$RPORT_NONE" -c 2 zrevrange lb 0 9 withscores) ;;
		around) LB[r,$qn]=$(rb_timed "$RPORT_NONE" -c 2 zrevrange lb 500000 500009 withscores) ;;
		esac
		say "  $qn: streamkv ${LB[sk,$qn]} tps, table ${LB[t,$qn]} tps, redis ${LB[r,$qn]} rps"
	done
	q 'DROP TABLE IF EXISTS lbt' >/dev/null

	for mode in fast immediate; do
		say "restart -m $mode with the $CARD-member leaderboard"
		t0=$(now)
		skv_pg_ctl -D "$DATA" -l "$PGLOG" -m "$mode" -w -t 300 restart >/dev/null 2>&1 ||
			{ note_err "pg_ctl restart -m $mode failed"; tail -n 20 "$PGLOG" >&2; }
		L[$mode,restart]=$(ms_since "$t0")
		pg_ready
		t0=$(now)
		L[$mode,first]=$(psql_ms on "SELECT streamkv.zcard('lb')")
		L[$mode,wall]=$(ms_since "$t0")
		L[$mode,second]=$(psql_ms on "SELECT streamkv.zcard('lb')")
		L[$mode,card]=$(q "SELECT streamkv.zcard('lb')")
		L[$mode,info]=$(q "SELECT loads || ' loads, last_load_ms ' || round(last_load_ms::numeric, 1) FROM streamkv.info()")
		say "  restart ${L[$mode,restart]} ms, first zcard ${L[$mode,first]} ms (wall ${L[$mode,wall]} ms), second ${L[$mode,second]} ms, ${L[$mode,info]}"
	done
	MEM2=$(q 'SELECT memory_used FROM streamkv.info()')
	rcli "$RPORT_NONE" flushall >/dev/null
fi

# ---- report -------------------------------------------------------------------------------------
perm() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN{ if (n+0 > 0 && a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.1f", (b-a)/n; else printf "n/a" }'; }
{
	echo "# streamkv sorted-set benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$(uname -n), $(nproc) cores, $("$IBIN/postgres" --version), redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//'),"
	echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo '+dirty'), BENCH_SECONDS=$SECS, fsync on, 2 clients. Ratios are streamkv / other, measured in the same run."
	echo
	if want percall; then
		echo "## 1. One command per statement (pgbench -M prepared -c 2 -j 2 -T $SECS; redis-benchmark -c 2 -r $NZB; one set of $(fmt $NZB) members, random members; best of $ROUNDS)"
		echo
		echo "| op | synchronous_commit | streamkv tps | redis AOF fsync | redis rps, AOF | **streamkv / redis AOF** | redis rps, no persistence | streamkv / redis | goal |"
		echo "|---|---|---:|---|---:|---:|---:|---:|---|"
		for sync in off on; do
			aof=$(aof_of $sync)
			for op in "${OPS[@]}"; do
				label=$op; [ $op = zrange ] && label='zrange(key, 0, 9)'
				a=${T[$sync,$op]:-ERR} ra=${R[aof,$sync,$op]:-ERR} rn=${R[none,$sync,$op]:-ERR}
				echo "| \`$label\` | $sync | $(fmt "$a") | $aof | $(fmt "$ra") | **$(ratio "$a" "$ra")** | $(fmt "$rn") | $(ratio "$a" "$rn") | ≥ 1.0 |"
			done
		done
		echo
	fi
	if want bulk; then
		echo "## 2. 1,000,000 zadds of new members in one statement (psql \\timing, includes the commit) vs redis-benchmark -P 16 -c 1 -n $N1M -r 1000000000 \`zadd big __rand_int__ m:__rand_int__\`"
		echo
		so=$(ops_per_s $N1M "${B[stmt]}"); ao=$(ops_per_s $N1M "${B[agg]}")
		soo=$(ops_per_s $N1M "${B[stmt_off]}"); aoo=$(ops_per_s $N1M "${B[agg_off]}")
		echo "| statement | synchronous_commit | ms | members | streamkv zadds/s | redis -P 16 rps, AOF everysec | **ratio** | redis rps, no persistence | ratio | goal |"
		echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
		echo "| \`SELECT count(streamkv.zadd('big', g, 'm'\|\|g)) FROM generate_series(1,1e6) g\` | on | $(fmt "${B[stmt]}") | $(fmt "${B[stmt_card]}") | $(fmt "$so") | $(fmt "${B[r_everysec]}") | **$(ratio "$so" "${B[r_everysec]}")** | $(fmt "${B[r_none]}") | $(ratio "$so" "${B[r_none]}") | ≥ 2 |"
		echo "| \`SELECT streamkv.zadd_agg('big', g, 'm'\|\|g) FROM generate_series(1,1e6) g\` | on | $(fmt "${B[agg]}") | $(fmt "${B[agg_card]}") | $(fmt "$ao") | $(fmt "${B[r_everysec]}") | **$(ratio "$ao" "${B[r_everysec]}")** | $(fmt "${B[r_none]}") | $(ratio "$ao" "${B[r_none]}") | ≥ 2 |"
		echo "| the same statement | off | $(fmt "${B[stmt_off]}") | | $(fmt "$soo") | $(fmt "${B[r_everysec]}") | $(ratio "$soo" "${B[r_everysec]}") | $(fmt "${B[r_none]}") | $(ratio "$soo" "${B[r_none]}") | |"
		echo "| the same zadd_agg | off | $(fmt "${B[agg_off]}") | | $(fmt "$aoo") | $(fmt "${B[r_everysec]}") | $(ratio "$aoo" "${B[r_everysec]}") | $(fmt "${B[r_none]}") | $(ratio "$aoo" "${B[r_none]}") | |"
		echo
		echo "redis-benchmark created $(fmt "${B[r_everysec_card]}") / $(fmt "${B[r_none_card]}") distinct members (everysec / none; the rest were updates of a member drawn twice), wall $(fmt "${B[r_everysec_ms]}") / $(fmt "${B[r_none_ms]}") ms. Not against AOF always: a statement fsyncs once at its commit, redis -P 16 once per pipeline of 16."
		echo
	fi
	if want leaderboard; then
		echo "## 3. Leaderboard of $(fmt "$CARD") members (pgbench -M prepared -c 2 -j 2 -T $SECS, synchronous_commit=off; redis-benchmark -c 2, no persistence)"
		echo
		echo "Table: \`lbt (member text PRIMARY KEY, score float8)\` + b-tree on score, VACUUM ANALYZEd. Redis's \"around\" row uses the fixed range 500000..500009 (redis-benchmark has no arithmetic; the cost of a ZREVRANGE by rank does not depend on where the rank is)."
		echo
		echo "| query | streamkv | streamkv tps | table | table tps | **streamkv / table** | redis | redis rps | **streamkv / redis** | goal |"
		echo "|---|---|---:|---|---:|---:|---|---:|---:|---|"
		echo "| rank of a random member | \`zrevrank('lb', m)\` | $(fmt "${LB[sk,rank]}") | \`count(*) WHERE score > (score of m)\` | $(fmt "${LB[t,rank]}") | **$(ratio "${LB[sk,rank]}" "${LB[t,rank]}")** | \`ZREVRANK lb m\` | $(fmt "${LB[r,rank]}") | **$(ratio "${LB[sk,rank]}" "${LB[r,rank]}")** | ≥ 100× table |"
		echo "| top 10 | \`zrevrange('lb', 0, 9)\` | $(fmt "${LB[sk,top]}") | \`ORDER BY score DESC LIMIT 10\` | $(fmt "${LB[t,top]}") | **$(ratio "${LB[sk,top]}" "${LB[t,top]}")** | \`ZREVRANGE lb 0 9 WITHSCORES\` | $(fmt "${LB[r,top]}") | **$(ratio "${LB[sk,top]}" "${LB[r,top]}")** | ≥ 1.0× redis |"
		echo "| 10 around a random rank | \`zrevrange('lb', r-5, r+4)\` | $(fmt "${LB[sk,around]}") | \`ORDER BY score DESC OFFSET r-5 LIMIT 10\` | $(fmt "${LB[t,around]}") | **$(ratio "${LB[sk,around]}" "${LB[t,around]}")** | \`ZREVRANGE lb 500000 500009 WITHSCORES\` | $(fmt "${LB[r,around]}") | **$(ratio "${LB[sk,around]}" "${LB[r,around]}")** | ≥ 1.0× redis |"
		echo
		echo "Loading the 1M members: streamkv one statement $(fmt "${LB[load_ms]}") ms (synchronous_commit=off), table INSERT $(fmt "${LB[table_ms]}") ms (+ index), redis-cli --pipe $(fmt "${LB[redis_load_ms]}") ms wall."
		echo
		echo "## 4. Memory per member (the $(fmt "$CARD")-member leaderboard, members \`player:%012d\`)"
		echo
		skg=$(perm "$MEM0" "$MEM1" "$CARD"); rg=$(perm "$RMEM0" "$RMEM1" "$RCARD")
		echo "| | members | memory before | memory after | **bytes/member** |"
		echo "|---|---:|---:|---:|---:|"
		echo "| streamkv.info().memory_used | $(fmt "$CARD") | $(fmt "$MEM0") | $(fmt "$MEM1") | $skg |"
		echo "| redis INFO used_memory | $(fmt "$RCARD") | $(fmt "$RMEM0") | $(fmt "$RMEM1") | $rg |"
		echo "| **streamkv / redis** (goal ≤ 1.0) | | | | **$(ratio "$skg" "$rg")** |"
		echo
		echo "(after the restarts below memory_used was $(fmt "${MEM2:-n/a}") bytes)"
		echo
		echo "## 5. Load after a restart ($(fmt "$CARD") members in one sorted set; goal ≤ 1 s)"
		echo
		echo "| pg_ctl restart | restart wall ms | first \`SELECT streamkv.zcard('lb')\` ms (\\timing) | same, wall ms incl. psql connect | second zcard ms | zcard after | info() |"
		echo "|---|---:|---:|---:|---:|---:|---|"
		for mode in fast immediate; do
			echo "| -m $mode | $(fmt "${L[$mode,restart]}") | **$(fmt "${L[$mode,first]}")** | $(fmt "${L[$mode,wall]}") | ${L[$mode,second]} | $(fmt "${L[$mode,card]}") | ${L[$mode,info]} |"
		done
		echo
	fi
	skv_bench_errors
} | tee "$OUT"
say "saved to $OUT"
