#!/usr/bin/env bash
# streamkv topics benchmark: one command, prints a markdown table of RATIOS measured in the same
# run (absolute numbers alone mean little on a noisy 2-core VM).
#
#   bench/topics.sh                                   # as root or a normal user, from anywhere
#   BENCH_RECORDS=200000 BENCH_SECONDS=5 bench/topics.sh   # quicker
#
# Environment: BENCH_RECORDS (default 1000000) records in the bulk/fetch rows, BENCH_SECONDS (default
# 10) per pgbench / redis-benchmark run, BENCH_ROUNDS (default 3) rounds of the one-statement rows
# (contenders alternate, best round kept), BENCH_SAMPLES (default 200) latency samples.
# BENCH_ONLY=quick runs only the goal rows: bulk produce without keys (1 and 4 partitions, logged and
# UNLOGGED baselines) and the server-side fetch row; the other rows print as ERR/n/a. Default: all.
#
# It builds and installs the extension into the private install (.pgrun/inst, scripts/common.sh),
# starts its OWN throwaway cluster (.pgrun/tbench-data, 127.0.0.1:54385 + a Unix socket under /tmp,
# shared_preload_libraries=streamkv, shared_buffers=512MB, max_wal_size=8GB, checkpoint_timeout=30min,
# fsync on) and its own redis-server on 127.0.0.1:6397 (persistence switched with CONFIG SET). Both
# are stopped at exit (trap). Output: stdout and bench/out/topics-<date>.md. Needs /usr/bin/python3
# with psycopg2 (python3-psycopg2) and redis-server/redis-benchmark (installed by skv_deps).
#
# Source of every bulk row: `src(i, v)`, N rows, v = 100 bytes (96 'x' + lpad(i, 4, '0')), key =
# convert_to(i::text, 'UTF8') where keyed. Times are psql \timing of one autocommit statement, so they
# include the commit (synchronous_commit=on: the commit waits for the WAL flush -> durable at the end).
# A CHECKPOINT precedes every timed statement (not timed).
#
# Rows:
#  1. bulk produce: `SELECT streamkv.produce_agg('t', v, NULL|key) FROM src` into a fresh topic with 1
#     and 4 partitions; records/s and MB/s (payload = value + key bytes) vs `INSERT INTO tbl (v[, k])
#     SELECT v[, key] FROM src` into a fresh table `(id bigserial PRIMARY KEY, k bytea, v bytea)`,
#     logged and UNLOGGED. Goal: >= 1,000,000 records/s and >= 5x the logged table.
#  2. one produce() call per record, N calls in one statement:
#     `SELECT count(*) FROM src, LATERAL streamkv.produce('t', src.v, NULL, NULL, 0) p` vs the same
#     logged-table INSERT ... SELECT as in 1 (measured in the same round).
#  3. one record per statement: pgbench -n -M prepared -c 2 -j 2 -T BENCH_SECONDS of
#     `SELECT streamkv.produce('tp', <100 bytes>)` (1-partition topic) vs
#     `INSERT INTO ev (v) VALUES (<100 bytes>)` (bigserial PK, logged) vs redis-benchmark -c 2
#     `XADD s * f <100 bytes>`; synchronous_commit=on vs redis appendonly+appendfsync always,
#     synchronous_commit=off vs appendfsync everysec and vs no persistence.
#  4. fetch N records in batches of 1000 from a 1-partition topic vs reading the same N rows of the
#     bigserial table in id order, 1000 at a time:
#     server side: a PL/pgSQL DO loop of `SELECT count(*), max("offset"), sum(length(value)) FROM
#     streamkv.fetch('tf', 0, off, 1000)` vs `... FROM (SELECT id, v FROM rt WHERE id > last ORDER BY id
#     LIMIT 1000)` (keyset batches over the PK index) and vs a PL/pgSQL cursor over
#     `SELECT id, v FROM rt ORDER BY id` read row by row (PL/pgSQL has no batch FETCH INTO);
#     client side (python/psycopg2 over TCP, rows transferred): repeated fetch() calls vs a server-side
#     (named) cursor `SELECT id, v FROM rt ORDER BY id` read with fetchmany(1000). Goal >= 3,000,000/s.
#  5. producer -> blocked consumer latency, median / p99 / max of BENCH_SAMPLES samples: the consumer
#     blocks in `streamkv.fetch('tl', 0, hwm, 1, 1048576, 10000)`; once pg_stat_activity shows it
#     waiting, a second session runs `SELECT streamkv.produce('tl', convert_to(clock_timestamp()::text,
#     'UTF8'))`; the consumer's query computes clock_timestamp() - that timestamp when fetch returns.
#     Producer with synchronous_commit on and off, and off again with wal_writer_delay=10ms (ALTER
#     SYSTEM + reload, reset afterwards). Also the producer's own round trip (produce call).
# No assertions: this is a benchmark, not a test. Errors and server-log problems are listed at the end.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
set +e            # a failing measurement is reported as ERR, not fatal
set -uo pipefail

N=${BENCH_RECORDS:-1000000}
ONLY=${BENCH_ONLY:-}
SECS=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
SAMPLES=${BENCH_SAMPLES:-200}
PGPORT_B=54385
RPORT=6397

skv_deps
skv_pick_user
REDIS_PID=
bench_cleanup() {
	if [ -n "$REDIS_PID" ]; then
		kill "$REDIS_PID" 2>/dev/null
		while kill -0 "$REDIS_PID" 2>/dev/null; do sleep 0.1; done
	fi
}
skv_bench_begin topics tbench "$PGPORT_B"
skv_bench_cluster "shared_buffers = 512MB" "max_wal_size = 8GB" "checkpoint_timeout = 30min" \
	"max_connections = 20" "synchronous_commit = on"

# ---- redis --------------------------------------------------------------------------
mkdir -p "$WORK/redis"
redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$WORK/redis" --save '' --appendonly no \
	--daemonize no --logfile "$WORK/redis/log" &
REDIS_PID=$!
for i in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$RPORT" ping >/dev/null 2>&1 || die "redis-server on $RPORT did not start"
redis_mode() { # none | always | everysec
	local r=$RPORT
	redis-cli -p $r flushall >/dev/null
	case $1 in
	none) redis-cli -p $r config set appendonly no >/dev/null ;;
	*)    redis-cli -p $r config set appendfsync "$1" >/dev/null
	      redis-cli -p $r config set appendonly yes >/dev/null
	      # wait for the initial AOF rewrite to finish
	      local i; for i in $(seq 100); do
	          redis-cli -p $r info persistence | grep -q 'aof_rewrite_in_progress:0' && break; sleep 0.1; done ;;
	esac
}

# ---- measurement helpers ---------------------------------------------------------------

# pgb SYNC SCRIPTFILE -> tps (or ERR)
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

# rb N ARGS... -> rps of the first result line of redis-benchmark --csv
rb_once() {
	local n=$1; shift
	redis-benchmark -h 127.0.0.1 -p "$RPORT" -n "$n" --csv "$@" 2>/dev/null |
		awk -F'"' 'NR>1 && $4 != "" {print $4; exit}'
}
rb_timed() { # ARGS...: calibrate -n so that the measured run lasts ~SECS
	local est n r
	est=$(rb_once 2000 "$@")
	[ -z "$est" ] && { note_err "redis-benchmark $*: no result"; echo ERR; return; }
	n=$(awk -v e="$est" -v s="$SECS" 'BEGIN{n=int(e*s); if(n<2000)n=2000; print n}')
	r=$(rb_once "$n" "$@")
	[ -z "$r" ] && { note_err "redis-benchmark $*: no result"; echo ERR; return; }
	printf '%.0f\n' "$r"
}

fmt1()  { awk -v a="$1" 'BEGIN{ if (a ~ /^[0-9.]+$/) printf "%.1f", a; else printf "%s", a }'; }
per_s() { awk -v n="$1" -v ms="$2" 'BEGIN{ if (ms+0 > 0) printf "%.0f", n/(ms/1000); else printf "ERR" }'; }
mb_s()  { awk -v b="$1" -v ms="$2" 'BEGIN{ if (ms+0 > 0 && b+0 > 0) printf "%.1f", b/1e6/(ms/1000); else printf "ERR" }'; }
minv()  { awk -v a="$1" -v b="$2" 'BEGIN{ if (a+0 <= 0) print b; else if (b+0 <= 0) print a; else if (a+0 < b+0) print a; else print b }'; }

# psql_ms SYNC SQL -> server-side time of SQL in ms (psql \timing; autocommit: includes the commit)
psql_ms() {
	local sync=$1 sql=$2 out
	pg_ready
	out=$(printf '\\timing on\n%s;\n' "$sql" |
		PGOPTIONS="-c synchronous_commit=$sync -c client_min_messages=warning" "${PSQL[@]}" -At 2>&1) ||
		{ note_err "psql ($sync) $sql: $(printf '%s' "$out" | grep -v '^Time' | head -3 | tr '\n' ' ')"; echo ERR; return; }
	printf '%s\n' "$out" | awk '/^Time: /{t=$2} END{ if (t != "") print t; else print "ERR" }'
}

# ---- source data -------------------------------------------------------------------------
say "preparing src ($N records of 100 bytes)"
q "CREATE TABLE src AS SELECT i, convert_to(repeat('x', 96) || lpad(i::text, 4, '0'), 'UTF8') AS v,
     convert_to(i::text, 'UTF8') AS k FROM generate_series(1, $N) i" >/dev/null || die "cannot create src"
q "VACUUM ANALYZE src" >/dev/null
q "CREATE EXTENSION IF NOT EXISTS pg_prewarm" >/dev/null && q "SELECT pg_prewarm('src')" >/dev/null
BYTES_V=$(q "SELECT sum(length(v)) FROM src")
BYTES_VK=$(q "SELECT sum(length(v) + length(k)) FROM src")
q "SELECT streamkv.create_topic('warmup', 1)" >/dev/null
q "SELECT streamkv.produce('warmup', 'x'::bytea)" >/dev/null

# ---- 1 + 2: one statement -------------------------------------------------------------------
declare -A B  # B[case] -> best ms over rounds
CASES=(agg1 agg1k agg4 agg4k each1 ins_log ins_logk ins_unl ins_unlk)
[ "$ONLY" = quick ] && CASES=(agg1 agg4 ins_log ins_unl)
run_case() { # CASE ROUND -> "ms wal_bytes"
	local c=$1 r=$2 t=t_${1}_$2 ms lsn0 wal
	case $c in
	agg*|each*)
		local parts=1; case $c in *4*) parts=4 ;; esac
		q "SELECT streamkv.create_topic('$t', $parts)" >/dev/null || { echo ERR; return; }
		q CHECKPOINT >/dev/null
		lsn0=$(q "SELECT pg_current_wal_insert_lsn()")
		case $c in
		agg1|agg4)   ms=$(psql_ms on "SELECT streamkv.produce_agg('$t', v, NULL) FROM src") ;;
		agg1k|agg4k) ms=$(psql_ms on "SELECT streamkv.produce_agg('$t', v, k) FROM src") ;;
		each1)       ms=$(psql_ms on "SELECT count(*) FROM src, LATERAL streamkv.produce('$t', src.v, NULL, NULL, 0) p") ;;
		esac
		wal=$(q "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0')")
		local got; got=$(q "SELECT sum(log_end_offset - log_start_offset) FROM streamkv.partitions('$t')")
		[ "$got" = "$N" ] || note_err "$c round $r: topic $t holds $got records, expected $N"
		q "SELECT streamkv.drop_topic('$t')" >/dev/null ;;
	ins*)
		local unl=; case $c in ins_unl*) unl=UNLOGGED ;; esac
		q "CREATE $unl TABLE $t (id bigserial PRIMARY KEY, k bytea, v bytea)" >/dev/null || { echo ERR; return; }
		q CHECKPOINT >/dev/null
		lsn0=$(q "SELECT pg_current_wal_insert_lsn()")
		case $c in
		*k) ms=$(psql_ms on "INSERT INTO $t (k, v) SELECT k, v FROM src") ;;
		*)  ms=$(psql_ms on "INSERT INTO $t (v) SELECT v FROM src") ;;
		esac
		wal=$(q "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn0')")
		q "DROP TABLE $t" >/dev/null ;;
	esac
	echo "$ms ${wal:-ERR}"
}
for r in $(seq "$ROUNDS"); do
	say "one-statement round $r/$ROUNDS"
	list=("${CASES[@]}")
	[ $((r % 2)) -eq 0 ] && list=($(printf '%s\n' "${CASES[@]}" | tac))
	for c in "${list[@]}"; do
		read -r ms wal < <(run_case "$c" "$r")
		B[$c,wal]=$wal
		say "  $c: $ms ms, WAL $wal bytes"
		B[$c]=$(minv "${B[$c]:-0}" "$ms")
		B[$c,all]="${B[$c,all]:+${B[$c,all]}/}$(fmt "$ms")"
	done
done

# ---- 3: one record per statement -------------------------------------------------------------
declare -A P
if [ "$ONLY" != quick ]; then
say "one record per statement: pgbench ${SECS}s, redis-benchmark XADD"
VAL=$(printf 'x%.0s' $(seq 100))
q "SELECT streamkv.create_topic('tp', 1)" >/dev/null
q "CREATE TABLE ev (id bigserial PRIMARY KEY, v bytea)" >/dev/null
mkdir -p "$WORK/pgb"
printf "SELECT streamkv.produce('tp', '%s'::bytea);\n" "$VAL" >"$WORK/pgb/produce.sql"
printf "INSERT INTO ev (v) VALUES ('%s'::bytea);\n" "$VAL" >"$WORK/pgb/insert.sql"
chmod -R a+rX "$WORK/pgb"
for sync in on off; do
	q CHECKPOINT >/dev/null
	P[$sync,ins]=$(pgb $sync "$WORK/pgb/insert.sql")
	P[$sync,produce]=$(pgb $sync "$WORK/pgb/produce.sql")
	if [ $sync = on ]; then
		redis_mode always; P[$sync,redis_aof]=$(rb_timed -c 2 XADD s '*' f "$VAL")
	else
		redis_mode everysec; P[$sync,redis_aof]=$(rb_timed -c 2 XADD s '*' f "$VAL")
		redis_mode none; P[$sync,redis_none]=$(rb_timed -c 2 XADD s '*' f "$VAL")
	fi
	P[$sync,ins2]=$(pgb $sync "$WORK/pgb/insert.sql")
	P[$sync,produce2]=$(pgb $sync "$WORK/pgb/produce.sql")
	say "  sync=$sync produce ${P[$sync,produce]}/${P[$sync,produce2]} tps, INSERT ${P[$sync,ins]}/${P[$sync,ins2]} tps, redis AOF ${P[$sync,redis_aof]} none ${P[$sync,redis_none]:-}"
done
redis_mode none
TP_RECORDS=$(q "SELECT sum(log_end_offset - log_start_offset) FROM streamkv.partitions('tp')")
EV_ROWS=$(q "SELECT count(*) FROM ev")
fi

# ---- 4: fetch ---------------------------------------------------------------------------------
say "fetch: preparing topic tf and table rt with $N records"
q "SELECT streamkv.create_topic('tf', 1)" >/dev/null
q "SELECT streamkv.produce_agg('tf', v, NULL) FROM src" >/dev/null
q "CREATE TABLE rt (id bigserial PRIMARY KEY, v bytea)" >/dev/null
q "INSERT INTO rt (v) SELECT v FROM src ORDER BY i" >/dev/null
q "VACUUM ANALYZE rt" >/dev/null
q "SELECT pg_prewarm('rt'), pg_prewarm('rt_pkey')" >/dev/null
q CHECKPOINT >/dev/null
FETCH_SQL="DO \$\$ DECLARE off bigint; n bigint; mx bigint; b bigint; tot bigint := 0; bytes bigint := 0; BEGIN
  SELECT log_start_offset INTO off FROM streamkv.partitions('tf') WHERE partition = 0;
  LOOP
    SELECT count(*), max(\"offset\"), sum(length(value)) INTO n, mx, b FROM streamkv.fetch('tf', 0, off, 1000);
    EXIT WHEN n = 0;
    tot := tot + n; bytes := bytes + b; off := mx + 1;
  END LOOP;
  IF tot <> $N THEN RAISE EXCEPTION 'fetched % records, expected $N', tot; END IF;
END \$\$"
KEYSET_SQL="DO \$\$ DECLARE last bigint := 0; n bigint; mx bigint; b bigint; tot bigint := 0; bytes bigint := 0; BEGIN
  LOOP
    SELECT count(*), max(id), sum(length(v)) INTO n, mx, b FROM (SELECT id, v FROM rt WHERE id > last ORDER BY id LIMIT 1000) s;
    EXIT WHEN n = 0;
    tot := tot + n; bytes := bytes + b; last := mx;
  END LOOP;
  IF tot <> $N THEN RAISE EXCEPTION 'read % rows, expected $N', tot; END IF;
END \$\$"
CURSOR_SQL="DO \$\$ DECLARE c refcursor; n bigint; mx bigint; vv bytea; tot bigint := 0; bytes bigint := 0; BEGIN
  OPEN c NO SCROLL FOR SELECT id, v FROM rt ORDER BY id;
  LOOP
    -- PL/pgSQL has no batch FETCH INTO: read the cursor row by row (1000 per batch is moot here)
    FETCH c INTO mx, vv;
    EXIT WHEN NOT FOUND;
    tot := tot + 1;
  END LOOP;
  CLOSE c;
  IF tot <> $N THEN RAISE EXCEPTION 'read % rows, expected $N', tot; END IF;
END \$\$"
declare -A F
for r in $(seq "$ROUNDS"); do
	F[fetch]=$(minv "${F[fetch]:-0}" "$(psql_ms on "$FETCH_SQL")")
	F[keyset]=$(minv "${F[keyset]:-0}" "$(psql_ms on "$KEYSET_SQL")")
	[ "$ONLY" = quick ] || F[cursor]=$(minv "${F[cursor]:-0}" "$(psql_ms on "$CURSOR_SQL")")
	say "  round $r: fetch ${F[fetch]} ms, keyset ${F[keyset]} ms, plpgsql cursor ${F[cursor]:-} ms (best so far)"
done
declare -A LAT
if [ "$ONLY" != quick ]; then

# ---- 4 (client side) + 5: python -----------------------------------------------------------------
cat >"$WORK/client.py" <<'EOF'
import sys, time, threading, statistics
import psycopg2

dsn, n, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def conn(sync='on'):
    c = psycopg2.connect(dsn, options='-c synchronous_commit=%s' % sync)
    c.autocommit = True
    return c

def client_fetch(rounds=2):
    best = {}
    c = conn()
    cur = c.cursor()
    for _ in range(rounds):
        cur.execute("SELECT log_start_offset FROM streamkv.partitions('tf') WHERE partition = 0")
        off = cur.fetchone()[0]
        t0 = time.perf_counter(); tot = 0
        while True:
            cur.execute('SELECT "offset", value FROM streamkv.fetch(%s, 0, %s, 1000)', ('tf', off))
            rows = cur.fetchall()
            if not rows:
                break
            tot += len(rows); off = rows[-1][0] + 1
        dt = time.perf_counter() - t0
        assert tot == n, ('fetch', tot)
        best['fetch'] = min(best.get('fetch', 1e9), dt)
        c2 = psycopg2.connect(dsn)  # a named cursor needs a transaction
        cur2 = c2.cursor(name='rd')
        cur2.itersize = 1000
        t0 = time.perf_counter(); tot = 0
        cur2.execute('SELECT id, v FROM rt ORDER BY id')
        while True:
            rows = cur2.fetchmany(1000)
            if not rows:
                break
            tot += len(rows)
        c2.commit(); c2.close()
        dt = time.perf_counter() - t0
        assert tot == n, ('cursor', tot)
        best['cursor'] = min(best.get('cursor', 1e9), dt)
    c.close()
    return best

def latency(sync):
    cons, prod = conn(), conn(sync)
    cc, pc = cons.cursor(), prod.cursor()
    cc.execute('SELECT pg_backend_pid()'); cpid = cc.fetchone()[0]
    pc.execute("SELECT high_watermark FROM streamkv.partitions('tl') WHERE partition = 0")
    hwm = pc.fetchone()[0]
    lat, rtt, errs = [], [], 0
    for i in range(samples):
        res = {}
        def consume():
            try:
                cc.execute("SELECT extract(epoch FROM clock_timestamp() - convert_from(value, 'UTF8')::timestamptz) * 1000, \"offset\" "
                           "FROM streamkv.fetch('tl', 0, %s, 1, 1048576, 10000)", (hwm,))
                res['rows'] = cc.fetchall()
            except Exception as e:
                res['err'] = e
        th = threading.Thread(target=consume); th.start()
        # wait until the consumer is blocked in fetch (condition-variable sleep, wait_event_type Extension)
        t_end = time.time() + 5
        while time.time() < t_end:
            pc.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s AND state = 'active'", (cpid,))
            r = pc.fetchone()
            if r and r[0] == 'Extension':
                break
        t0 = time.perf_counter()
        pc.execute("SELECT \"offset\" FROM streamkv.produce('tl', convert_to(clock_timestamp()::text, 'UTF8'))")
        rtt.append((time.perf_counter() - t0) * 1000)
        off = pc.fetchone()[0]
        th.join()
        rows = res.get('rows')
        if not rows or rows[0][1] != off:
            errs += 1
            print('sample %d: %r' % (i, res), file=sys.stderr)
            pc.execute("SELECT high_watermark FROM streamkv.partitions('tl') WHERE partition = 0")
            hwm = pc.fetchone()[0]
            continue
        lat.append(float(rows[0][0])); hwm = off + 1
    cons.close(); prod.close()
    def pct(a, p):
        a = sorted(a); return a[min(len(a) - 1, int(round(p / 100.0 * (len(a) - 1))))] if a else float('nan')
    return dict(median=statistics.median(lat) if lat else float('nan'), p99=pct(lat, 99), max=max(lat) if lat else float('nan'),
                rtt_median=statistics.median(rtt) if rtt else float('nan'), rtt_p99=pct(rtt, 99), n=len(lat), errs=errs)

what = sys.argv[4]
if what == 'fetch':
    b = client_fetch()
    print('fetch_ms=%.1f cursor_ms=%.1f' % (b['fetch'] * 1000, b['cursor'] * 1000))
else:
    r = latency(what)
    print(' '.join('%s=%.3f' % (k, v) if isinstance(v, float) else '%s=%s' % (k, v) for k, v in r.items()))
EOF
chmod a+r "$WORK/client.py"
DSN="host=127.0.0.1 port=$PGPORT_B user=$PGUSER_B dbname=bench"
pyrun() { # ARGS -> key=value line (or empty)
	local out
	pg_ready
	out=$(/usr/bin/python3 "$WORK/client.py" "$DSN" "$N" "$SAMPLES" "$@" 2>"$WORK/py.err") ||
		note_err "python client.py $*: $(tail -3 "$WORK/py.err" | tr '\n' ' ')"
	[ -s "$WORK/py.err" ] && note_err "python client.py $* stderr: $(head -5 "$WORK/py.err" | tr '\n' ' ')"
	printf '%s\n' "$out"
}
say "fetch, client side (python/psycopg2)"
PYF=$(pyrun fetch)
F[cfetch]=$(kv "$PYF" fetch_ms); F[ccursor]=$(kv "$PYF" cursor_ms)
say "  client fetch ${F[cfetch]} ms, client cursor ${F[ccursor]} ms"

say "latency: $SAMPLES samples, producer synchronous_commit on/off"
q "SELECT streamkv.create_topic('tl', 1)" >/dev/null
for sync in on off; do
	LAT[$sync]=$(pyrun "$sync")
	say "  sync=$sync: ${LAT[$sync]}"
done
# with synchronous_commit=off a record becomes visible when the WAL writer flushes it: show the
# effect of wal_writer_delay (default 200ms) by repeating the off case with 10ms
q "ALTER SYSTEM SET wal_writer_delay = '10ms'" >/dev/null && q "SELECT pg_reload_conf()" >/dev/null && sleep 1
LAT[off10]=$(pyrun off)
say "  sync=off, wal_writer_delay=10ms: ${LAT[off10]}"
q "ALTER SYSTEM RESET wal_writer_delay" >/dev/null && q "SELECT pg_reload_conf()" >/dev/null
fi

# ---- table ------------------------------------------------------------------------------------------
if [ "$ONLY" = quick ]; then  # rows not measured print as ERR / n/a
	for c in agg1k agg4k each1 ins_logk ins_unlk; do B[$c]=ERR; B[$c,all]=; B[$c,wal]=ERR; done
	for k in on,produce on,produce2 on,ins on,ins2 on,redis_aof off,produce off,produce2 off,ins off,ins2 off,redis_aof off,redis_none; do P[$k]=ERR; done
	F[cursor]=ERR; F[cfetch]=ERR; F[ccursor]=ERR; TP_RECORDS=0; EV_ROWS=0
	LAT[on]=; LAT[off]=; LAT[off10]=
fi
rps_row() { # LABEL CASE BYTES BASE_LOG BASE_UNL
	local ms=${B[$2]} rps mbs
	rps=$(per_s "$N" "$ms"); mbs=$(mb_s "$3" "$ms")
	echo "| $1 | $(fmt1 "$ms") (${B[$2,all]}) | $(fmt "$rps") | $mbs | $(awk -v w="${B[$2,wal]}" 'BEGIN{ if (w ~ /^[0-9.]+$/) printf "%.0f", w/1e6; else print "ERR" }') | **$(ratio "$rps" "$(per_s "$N" "${B[$4]}")")** | **$(ratio "$rps" "$(per_s "$N" "${B[$5]}")")** |"
}
{
	echo "# streamkv topics benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$(uname -n), $(nproc) cores, $("$IBIN/postgres" --version), redis $(redis-server --version | awk '{print $3}' | sed 's/v=//'),"
	echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo '+dirty'), BENCH_RECORDS=$N, BENCH_SECONDS=$SECS, BENCH_ROUNDS=$ROUNDS, fsync on, shared_buffers=512MB."
	echo
	echo "## 1. Bulk produce of $(fmt "$N") records of 100 bytes in one statement (synchronous_commit=on, psql \\timing incl. the commit; best of $ROUNDS, all rounds in brackets)"
	echo
	echo "Baselines: \`INSERT INTO tbl (v[, k]) SELECT v[, k] FROM src\` into \`(id bigserial PRIMARY KEY, k bytea, v bytea)\`. Goal: ≥ 1,000,000 records/s and ≥ 5× the logged table."
	echo
	echo "| statement | ms | records/s | MB/s (payload) | WAL MB (last round) | **/ logged INSERT** | **/ UNLOGGED INSERT** |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	rps_row "\`produce_agg('t', v, NULL)\`, 1 partition" agg1 "$BYTES_V" ins_log ins_unl
	rps_row "\`produce_agg('t', v, NULL)\`, 4 partitions" agg4 "$BYTES_V" ins_log ins_unl
	rps_row "\`produce_agg('t', v, key)\`, 1 partition" agg1k "$BYTES_VK" ins_logk ins_unlk
	rps_row "\`produce_agg('t', v, key)\`, 4 partitions" agg4k "$BYTES_VK" ins_logk ins_unlk
	rps_row "baseline: INSERT … SELECT v, logged, bigserial PK" ins_log "$BYTES_V" ins_log ins_unl
	rps_row "baseline: INSERT … SELECT v, UNLOGGED, bigserial PK" ins_unl "$BYTES_V" ins_log ins_unl
	rps_row "baseline: INSERT … SELECT k, v, logged" ins_logk "$BYTES_VK" ins_logk ins_unlk
	rps_row "baseline: INSERT … SELECT k, v, UNLOGGED" ins_unlk "$BYTES_VK" ins_logk ins_unlk
	echo
	echo "## 2. One produce() call per record, $(fmt "$N") calls in one statement (synchronous_commit=on)"
	echo
	echo "| statement | ms | records/s | MB/s | WAL MB (last round) | **/ logged INSERT** | **/ UNLOGGED INSERT** |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	rps_row "\`SELECT count(*) FROM src, LATERAL streamkv.produce('t', src.v, NULL, NULL, 0) p\`" each1 "$BYTES_V" ins_log ins_unl
	rps_row "\`produce_agg\` (row 1, for comparison)" agg1 "$BYTES_V" ins_log ins_unl
	echo
	echo "## 3. One record per statement, 2 clients (pgbench -M prepared -c 2 -j 2 -T $SECS; redis-benchmark -c 2 \`XADD s * f <100 bytes>\`)"
	echo
	echo "Each pgbench figure is measured twice (before/after redis), mean used; the topic received $(fmt "$TP_RECORDS") records, the table $(fmt "$EV_ROWS") rows."
	echo
	echo "| synchronous_commit | produce tps (runs) | 1-row INSERT tps (runs) | **produce / INSERT** | redis XADD AOF | redis rps | **produce / redis** | redis XADD no persistence | **produce / redis (none)** |"
	echo "|---|---:|---:|---:|---|---:|---:|---:|---:|"
	for sync in on off; do
		pm=$(awk -v a="${P[$sync,produce]}" -v b="${P[$sync,produce2]}" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.0f", (a+b)/2; else print "ERR"}')
		im=$(awk -v a="${P[$sync,ins]}" -v b="${P[$sync,ins2]}" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.0f", (a+b)/2; else print "ERR"}')
		aof=always; [ $sync = off ] && aof=everysec
		rn=${P[$sync,redis_none]:-}
		echo "| $sync | $(fmt "$pm") (${P[$sync,produce]}/${P[$sync,produce2]}) | $(fmt "$im") (${P[$sync,ins]}/${P[$sync,ins2]}) | **$(ratio "$pm" "$im")** | appendfsync $aof | $(fmt "${P[$sync,redis_aof]}") | **$(ratio "$pm" "${P[$sync,redis_aof]}")** | $( [ -n "$rn" ] && fmt "$rn" || echo '—') | $( [ -n "$rn" ] && echo "**$(ratio "$pm" "$rn")**" || echo '—') |"
	done
	echo
	echo "## 4. Reading $(fmt "$N") records in batches of 1,000 (best of $ROUNDS; goal ≥ 3,000,000 records/s)"
	echo
	fr=$(per_s "$N" "${F[fetch]}"); kr=$(per_s "$N" "${F[keyset]}"); cr=$(per_s "$N" "${F[cursor]}")
	cfr=$(per_s "$N" "${F[cfetch]}"); ccr=$(per_s "$N" "${F[ccursor]}")
	echo "| reader | ms | records/s | MB/s (values) | **fetch / this** |"
	echo "|---|---:|---:|---:|---:|"
	echo "| server side: PL/pgSQL loop of \`streamkv.fetch('tf', 0, off, 1000)\` (count, max offset, sum(length(value))) | $(fmt1 "${F[fetch]}") | $(fmt "$fr") | $(mb_s "$BYTES_V" "${F[fetch]}") | 1.00 |"
	echo "| server side: PL/pgSQL loop of \`SELECT id, v FROM rt WHERE id > last ORDER BY id LIMIT 1000\` (same aggregates) | $(fmt1 "${F[keyset]}") | $(fmt "$kr") | $(mb_s "$BYTES_V" "${F[keyset]}") | **$(ratio "$fr" "$kr")** |"
	echo "| server side: PL/pgSQL cursor over \`SELECT id, v FROM rt ORDER BY id\`, FETCH row by row | $(fmt1 "${F[cursor]}") | $(fmt "$cr") | $(mb_s "$BYTES_V" "${F[cursor]}") | **$(ratio "$fr" "$cr")** |"
	echo "| client (python/psycopg2, TCP): repeated \`SELECT \"offset\", value FROM streamkv.fetch('tf', 0, off, 1000)\` | $(fmt1 "${F[cfetch]}") | $(fmt "$cfr") | $(mb_s "$BYTES_V" "${F[cfetch]}") | 1.00 (client) |"
	echo "| client: named cursor \`SELECT id, v FROM rt ORDER BY id\`, fetchmany(1000) | $(fmt1 "${F[ccursor]}") | $(fmt "$ccr") | $(mb_s "$BYTES_V" "${F[ccursor]}") | **$(ratio "$cfr" "$ccr")** |"
	echo
	echo "## 5. Producer → blocked consumer latency ($SAMPLES samples; ms; consumer in \`fetch(..., wait_ms => 10000)\`)"
	echo
	echo "| producer synchronous_commit | median | p99 | max | samples ok / failed | producer's produce() round trip median / p99 |"
	echo "|---|---:|---:|---:|---:|---:|"
	for sync in on off off10; do
		l=${LAT[$sync]}
		label=$sync; [ $sync = off10 ] && label="off, wal_writer_delay=10ms (default 200ms)"
		echo "| $label | $(kv "$l" median) | $(kv "$l" p99) | $(kv "$l" max) | $(kv "$l" n) / $(kv "$l" errs) | $(kv "$l" rtt_median) / $(kv "$l" rtt_p99) |"
	done
	echo
	skv_bench_errors
} | tee "$OUT"
say "saved to $OUT"
