#!/usr/bin/env bash
# streamkv share groups benchmark (issue 4): shared-group acquire + ack against a
# `FOR UPDATE SKIP LOCKED` queue table, measured in the same run; prints a markdown table of
# RATIOS (absolute numbers alone mean little on a noisy 2-core VM).
#
#   bench/groups.sh                               # as root or a normal user, from anywhere
#   BENCH_RECORDS=50000 bench/groups.sh           # quicker
#
# Environment: BENCH_RECORDS (default 200000) records preloaded for every run, BENCH_SESSIONS
# (default "1 2 server") consumer sessions ("server": see below), BENCH_SYNC (default "on off")
# synchronous_commit values,
# BENCH_PARTITIONS (default 1) partitions of the topic, BENCH_ROUNDS (default 1; best round kept),
# BENCH_IMPLS (default "streamkv streamkv_pb table pgmq": the consumers below; a subset skips the
# others, whose cells then read ERR), BENCH_MAX_SECONDS (default 90) cap on one run: a run still going then is stopped and its rate is
# records consumed / time (marked "*": an underestimate for the table queue, whose batches get
# slower as dead rows pile up).
#
# It builds and installs the extension into the private install (.pgrun/inst, scripts/common.sh),
# starts its OWN throwaway cluster (.pgrun/gbench-data, 127.0.0.1:54390 + a Unix socket under /tmp,
# shared_preload_libraries=streamkv, shared_buffers=512MB, max_wal_size=8GB, checkpoint_timeout=30min,
# fsync on, autovacuum on) and stops it at exit (trap). Output: stdout and bench/out/groups-<date>.md.
# Needs /usr/bin/python3 with psycopg2 (python3-psycopg2, installed by skv_deps).
#
# Every run starts from the same N preloaded records of 100 bytes (96 'x' + lpad(i, 4, '0')), made
# before the run and not timed (then CHECKPOINT). Four consumers, each one session per process
# (python/psycopg2 over TCP), batches of 100; offset/id arrays go to the server as array literals
# ('{1,2,...}'::bigint[]) on both sides, since psycopg2's list adaptation (ARRAY[...]) alone costs
# ~0.4 ms per batch of 100:
#  - streamkv: a fresh topic (BENCH_PARTITIONS partitions, filled with produce_agg, keyed when there
#    is more than one partition) and a share group on it (auto_offset_reset 'earliest',
#    lock_duration_ms 60000), one transaction per batch:
#        SELECT partition, "offset", value FROM streamkv.acquire('g', 'cN', 100);
#        SELECT streamkv.ack('g', 'cN', partition, offsets);    -- one per partition in the batch
#        COMMIT;
#    until acquire returns nothing.
#  - streamkv, acks in acquire: the same group, the consumer loop Kafka's share consumers run (the
#    acknowledgements of a batch ride on the next ShareFetch): one statement per batch, autocommit,
#        SELECT partition, "offset", value FROM streamkv.acquire('g', 'cN', 100, 0, ack_partitions, ack_offsets);
#    carrying the previous batch's (partition, offset) pairs, until acquire returns nothing (that
#    last call acknowledges the last batch). Checked after the run with pending() and lag().
#  - pgmq: pgmq's queue table (msg_id identity PRIMARY KEY, read_ct, enqueued_at, vt, message, and
#    pgmq's index on vt; message is bytea here) and pgmq's read and delete: PL/pgSQL functions that
#    EXECUTE, as pgmq.read / pgmq.delete do,
#        WITH cte AS (SELECT msg_id FROM q WHERE vt <= clock_timestamp() ORDER BY msg_id LIMIT 100 FOR UPDATE SKIP LOCKED)
#        UPDATE q m SET vt = clock_timestamp() + '60 s', read_ct = read_ct + 1 FROM cte WHERE m.msg_id = cte.msg_id
#          RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message;
#        DELETE FROM q WHERE msg_id = ANY(ids) RETURNING msg_id;
#    the client runs SELECT msg_id, message FROM pgmq_read(60, 100); SELECT count(*) FROM
#    pgmq_delete(ids); COMMIT. This is the contract of acquire + ack: a lock with a timeout (vt),
#    a delivery count (read_ct), then the acknowledgement (the delete). The issue's baseline.
#  - pop: the cheapest table queue, `q (id bigserial PRIMARY KEY, v bytea)` and one statement
#        WITH cte AS (SELECT id FROM q ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
#        DELETE FROM q USING cte WHERE q.id = cte.id RETURNING q.id, q.v;  COMMIT;
#    (no lock timeout and no delivery count: a consumer must finish inside the transaction).
# Every client fetches the values. Records/s = records consumed / time from the start signal to the
# last session's last commit.
#  - "server" sessions: the same loops run inside the server by one session, `CALL sk_drain(...)`,
#    `CALL pq_drain(...)`, `CALL tq_drain(...)`: PL/pgSQL procedures that COMMIT after every batch
#    (same statements; the values are read with sum(length(value))): the cost without the client.
# Checked after each run: every record consumed, streamkv's pending() empty and lag() 0 (and ack's
# counts add up where ack is called), the table empty (a mismatch is listed under Errors).
#
# "open snapshot": before the run another session runs
#     BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1 FROM src LIMIT 1;
# and stays idle in transaction until the run ends, so VACUUM and index-entry killing cannot remove
# the rows the queue deletes (the dead-tuple case of table queues). Slowdown = rate alone / rate with
# the open snapshot. Goal (issue 4): streamkv >= 5x the table queue (pgmq's read + delete), and
# unaffected by the snapshot.
# No assertions: this is a benchmark, not a test. Errors and server-log problems are listed at the end.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
set +e            # a failing measurement is reported as ERR, not fatal
set -uo pipefail

N=${BENCH_RECORDS:-200000}
SESSIONS=${BENCH_SESSIONS:-"1 2 server"}
SYNCS=${BENCH_SYNC:-"on off"}
PARTS=${BENCH_PARTITIONS:-1}
ROUNDS=${BENCH_ROUNDS:-1}
MAXS=${BENCH_MAX_SECONDS:-90}
IMPLS=${BENCH_IMPLS:-"streamkv streamkv_pb table pgmq"}
PGPORT_B=54390

skv_deps
skv_pick_user
skv_bench_begin groups gbench "$PGPORT_B"
skv_bench_cluster "shared_buffers = 512MB" "max_wal_size = 8GB" "checkpoint_timeout = 30min" \
	"max_connections = 20" "synchronous_commit = on"

# ---- source data -------------------------------------------------------------------------
say "preparing src ($N records of 100 bytes)"
q "CREATE TABLE src AS SELECT i, convert_to(repeat('x', 96) || lpad(i::text, 4, '0'), 'UTF8') AS v,
     convert_to(i::text, 'UTF8') AS k FROM generate_series(1, $N) i" >/dev/null || die "cannot create src"
q "VACUUM ANALYZE src" >/dev/null
q "CREATE EXTENSION IF NOT EXISTS pg_prewarm" >/dev/null && q "SELECT pg_prewarm('src')" >/dev/null
# the server-side loops ("server" sessions): one transaction per batch of 100
q "CREATE PROCEDURE sk_drain(g text, maxs float8, pb boolean, INOUT n bigint DEFAULT 0, INOUT acked bigint DEFAULT 0,
     INOUT capped int DEFAULT 0) LANGUAGE plpgsql AS \$\$
   DECLARE r record; got int; b bigint; pp int[] := '{}'; oo bigint[] := '{}';
     t_end timestamptz := clock_timestamp() + make_interval(secs => maxs);
   BEGIN
     LOOP
       IF clock_timestamp() > t_end THEN capped := 1; EXIT; END IF;
       got := 0;
       IF pb THEN
         -- the previous batch's acknowledgements ride on the next acquire
         SELECT coalesce(array_agg(partition), '{}'), coalesce(array_agg(\"offset\"), '{}'), count(*), sum(length(value))
           INTO pp, oo, got, b FROM streamkv.acquire(g, 'server', 100, 0, pp, oo);
       ELSE
         FOR r IN SELECT partition AS p, array_agg(\"offset\") AS offs, count(*) AS c, sum(length(value)) AS b
                    FROM streamkv.acquire(g, 'server', 100) GROUP BY partition LOOP
           acked := acked + streamkv.ack(g, 'server', r.p, r.offs);
           got := got + r.c;
         END LOOP;
       END IF;
       EXIT WHEN got = 0;
       n := n + got;
       COMMIT;
     END LOOP;
   END \$\$" >/dev/null || die "cannot create sk_drain"
q "CREATE PROCEDURE tq_drain(maxs float8, INOUT n bigint DEFAULT 0, INOUT capped int DEFAULT 0) LANGUAGE plpgsql AS \$\$
   DECLARE got int; b bigint; t_end timestamptz := clock_timestamp() + make_interval(secs => maxs);
   BEGIN
     LOOP
       IF clock_timestamp() > t_end THEN capped := 1; EXIT; END IF;
       WITH cte AS (SELECT id FROM q ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED),
            d AS (DELETE FROM q USING cte WHERE q.id = cte.id RETURNING q.id, q.v)
       SELECT count(*), sum(length(v)) INTO got, b FROM d;
       EXIT WHEN got = 0;
       n := n + got;
       COMMIT;
     END LOOP;
   END \$\$" >/dev/null || die "cannot create tq_drain"
# pgmq's read and delete, as pgmq.read / pgmq.delete run them (dynamic SQL in PL/pgSQL) on pgmq's
# queue table (created per run, see run_case)
q "CREATE TYPE pq_message AS (msg_id bigint, read_ct int, enqueued_at timestamptz, vt timestamptz, message bytea)" >/dev/null ||
	die "cannot create pq_message"
q "CREATE FUNCTION pgmq_read(vt_s integer, qty integer) RETURNS SETOF pq_message LANGUAGE plpgsql AS \$\$
   BEGIN
     RETURN QUERY EXECUTE format(\$Q\$
       WITH cte AS (SELECT msg_id FROM %I WHERE vt <= clock_timestamp() ORDER BY msg_id ASC LIMIT \$1 FOR UPDATE SKIP LOCKED)
       UPDATE %I m SET vt = clock_timestamp() + %L, read_ct = read_ct + 1 FROM cte WHERE m.msg_id = cte.msg_id
       RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message\$Q\$,
       'q', 'q', make_interval(secs => vt_s)) USING qty;
   END \$\$" >/dev/null || die "cannot create pgmq_read"
q "CREATE FUNCTION pgmq_delete(ids bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS \$\$
   BEGIN
     RETURN QUERY EXECUTE format(\$Q\$DELETE FROM %I WHERE msg_id = ANY(\$1) RETURNING msg_id\$Q\$, 'q') USING ids;
   END \$\$" >/dev/null || die "cannot create pgmq_delete"
q "CREATE PROCEDURE pq_drain(maxs float8, INOUT n bigint DEFAULT 0, INOUT capped int DEFAULT 0) LANGUAGE plpgsql AS \$\$
   DECLARE ids bigint[]; b bigint; t_end timestamptz := clock_timestamp() + make_interval(secs => maxs);
   BEGIN
     LOOP
       IF clock_timestamp() > t_end THEN capped := 1; EXIT; END IF;
       SELECT array_agg(msg_id), sum(length(message)) INTO ids, b FROM pgmq_read(60, 100);
       EXIT WHEN ids IS NULL;
       PERFORM count(*) FROM pgmq_delete(ids);
       n := n + cardinality(ids);
       COMMIT;
     END LOOP;
   END \$\$" >/dev/null || die "cannot create pq_drain"

# ---- the driver ---------------------------------------------------------------------------
cat >"$WORK/driver.py" <<'EOF'
import sys, time, multiprocessing as mp
import psycopg2

dsn, impl, sync, snap, maxs = sys.argv[1], sys.argv[2], sys.argv[4], sys.argv[5] == '1', float(sys.argv[6])
server = sys.argv[3] == 'server'
sessions = 1 if server else int(sys.argv[3])
group = sys.argv[7] if len(sys.argv) > 7 else None

ACQ = 'SELECT partition, "offset", value FROM streamkv.acquire(%s, %s, 100)'
ACQ_ACK = 'SELECT partition, "offset", value FROM streamkv.acquire(%s, %s, 100, 0, %s::int[], %s::bigint[])'
ACK = 'SELECT streamkv.ack(%s, %s, %s, %s::bigint[])'
POP = ('WITH cte AS (SELECT id FROM q ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED) '
       'DELETE FROM q USING cte WHERE q.id = cte.id RETURNING q.id, q.v')
READ = 'SELECT msg_id, message FROM pgmq_read(60, 100)'
DELETE = 'SELECT count(*) FROM pgmq_delete(%s::bigint[])'

def lit(nums):
    # an array literal: one text parameter, parsed by array_in
    return '{' + ','.join(map(str, nums)) + '}'

def worker(i, ready, go, res):
    try:
        c = psycopg2.connect(dsn, options='-c synchronous_commit=%s' % sync)
        cur = c.cursor()
        name = 'c%d' % i
        got = acked = nbytes = 0
        if server or impl == 'streamkv_pb':
            c.autocommit = True
        ready.put(i)
        go.wait()
        deadline = time.monotonic() + maxs
        capped = 0
        if server:
            if impl.startswith('streamkv'):
                cur.execute('CALL sk_drain(%s, %s, %s)', (group, maxs, impl == 'streamkv_pb'))
                got, acked, capped = cur.fetchone()
                if impl == 'streamkv_pb':
                    acked = got
            else:
                cur.execute('CALL %s(%%s)' % ('pq_drain' if impl == 'pgmq' else 'tq_drain'), (maxs,))
                got, capped = cur.fetchone()
                acked = got
            res.put((i, got, acked, nbytes, time.monotonic(), capped, ''))
            c.close()
            return
        parts, offs = [], []
        while True:
            if time.monotonic() > deadline:
                capped = 1
                break
            if impl == 'streamkv':
                cur.execute(ACQ, (group, name))
                rows = cur.fetchall()
                if not rows:
                    c.commit()
                    break
                byp = {}
                for p, o, v in rows:
                    byp.setdefault(p, []).append(o)
                    nbytes += len(v)
                for p, po in byp.items():
                    cur.execute(ACK, (group, name, p, lit(po)))
                    acked += cur.fetchone()[0]
                c.commit()
            elif impl == 'streamkv_pb':
                # autocommit: the acks of the previous batch and this acquire commit together
                # acquire does not count the acks it applies: pending() and lag() check them
                cur.execute(ACQ_ACK, (group, name, lit(parts), lit(offs)))
                rows = cur.fetchall()
                acked += len(offs)
                if not rows:
                    break
                parts = [r[0] for r in rows]
                offs = [r[1] for r in rows]
                for _, _, v in rows:
                    nbytes += len(v)
            elif impl == 'pgmq':
                cur.execute(READ)
                rows = cur.fetchall()
                if rows:
                    cur.execute(DELETE, (lit([r[0] for r in rows]),))
                    cur.fetchone()
                c.commit()
                if not rows:
                    break
                for _, v in rows:
                    nbytes += len(v)
                acked += len(rows)
            else:
                cur.execute(POP)
                rows = cur.fetchall()
                c.commit()
                if not rows:
                    break
                for _, v in rows:
                    nbytes += len(v)
                acked += len(rows)
            got += len(rows)
        res.put((i, got, acked, nbytes, time.monotonic(), capped, ''))
        c.close()
    except Exception as e:
        res.put((i, 0, 0, 0, time.monotonic(), 0, str(e).replace('\n', ' ')))

if __name__ == '__main__':
    ready, res, go = mp.Queue(), mp.Queue(), mp.Event()
    procs = [mp.Process(target=worker, args=(i + 1, ready, go, res)) for i in range(sessions)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    holder = None
    if snap:
        holder = psycopg2.connect(dsn)
        hc = holder.cursor()
        hc.execute('BEGIN ISOLATION LEVEL REPEATABLE READ')
        hc.execute('SELECT 1 FROM src LIMIT 1')
        hc.fetchall()
    t0 = time.monotonic()
    go.set()
    out = [res.get() for _ in procs]
    for p in procs:
        p.join()
    t1 = max(r[4] for r in out)
    if holder is not None:
        # the snapshot was held for the whole run: check it still is, then let it go
        hc.execute("SELECT backend_xmin IS NOT NULL FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        held = hc.fetchone()[0]
        holder.rollback(); holder.close()
    else:
        held = True
    errs = [r[6] for r in out if r[6]]
    print('got=%d acked=%d bytes=%d ms=%.1f capped=%d snapshot_held=%d err=%s' % (
        sum(r[1] for r in out), sum(r[2] for r in out), sum(r[3] for r in out), (t1 - t0) * 1000,
        max(r[5] for r in out), 1 if held else 0, ('|'.join(errs) or '-').replace(' ', '_')))
EOF
chmod a+r "$WORK/driver.py"
DSN="host=127.0.0.1 port=$PGPORT_B user=$PGUSER_B dbname=bench"

# settle: let the previous run's aftermath pass before a measurement (a table-queue run leaves
# autovacuum work and a backlog of WAL segments to recycle): wait until no autovacuum worker runs
# (at most 60 s), then 2 s more; with BENCH_SETTLE=0, not at all.
settle() {
	[ "${BENCH_SETTLE:-1}" = 0 ] && return 0
	local i
	for i in $(seq 60); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
		sleep 1
	done
	sleep 2
}

RUN_NO=0
# run_case IMPL SESSIONS SYNC SNAP RUN_NO -> "rate capped got"  (runs in a subshell)
run_case() {
	local impl=$1 s=$2 sync=$3 snap=$4 out got acked ms capped held err g t rate
	t=q_$5 g=g_$5
	case $impl in
	streamkv*)
		q "SELECT streamkv.create_topic('$t', $PARTS)" >/dev/null || { echo "ERR 0 0"; return; }
		q "SELECT streamkv.create_share_group('$g', '$t', lock_duration_ms => 60000, auto_offset_reset => 'earliest')" >/dev/null ||
			{ echo "ERR 0 0"; return; }
		if [ "$PARTS" -gt 1 ]; then q "SELECT streamkv.produce_agg('$t', v, k) FROM src" >/dev/null
		else q "SELECT streamkv.produce_agg('$t', v, NULL) FROM src" >/dev/null; fi
		;;
	pgmq)
		q "DROP TABLE IF EXISTS q" >/dev/null
		# pgmq's queue table and its index on vt (message is bytea here, jsonb in pgmq)
		q "CREATE TABLE q (msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, read_ct int NOT NULL DEFAULT 0,
		     enqueued_at timestamptz NOT NULL DEFAULT now(), vt timestamptz NOT NULL, message bytea)" >/dev/null ||
			{ echo "ERR 0 0"; return; }
		q "CREATE INDEX q_vt_idx ON q (vt ASC)" >/dev/null
		q "INSERT INTO q (vt, message) SELECT clock_timestamp(), v FROM src ORDER BY i" >/dev/null
		q "VACUUM ANALYZE q" >/dev/null
		q "SELECT pg_prewarm('q'), pg_prewarm('q_pkey'), pg_prewarm('q_vt_idx')" >/dev/null
		;;
	*)
		q "DROP TABLE IF EXISTS q" >/dev/null
		q "CREATE TABLE q (id bigserial PRIMARY KEY, v bytea)" >/dev/null || { echo "ERR 0 0"; return; }
		q "INSERT INTO q (v) SELECT v FROM src ORDER BY i" >/dev/null
		q "VACUUM ANALYZE q" >/dev/null
		q "SELECT pg_prewarm('q'), pg_prewarm('q_pkey')" >/dev/null
		;;
	esac
	q CHECKPOINT >/dev/null
	settle
	pg_ready
	out=$(/usr/bin/python3 "$WORK/driver.py" "$DSN" "$impl" "$s" "$sync" "$snap" "$MAXS" "$g" 2>"$WORK/py.err") ||
		note_err "driver $impl sessions=$s sync=$sync snapshot=$snap: $(tail -3 "$WORK/py.err" | tr '\n' ' ')"
	got=$(kv "$out" got); acked=$(kv "$out" acked); ms=$(kv "$out" ms); capped=$(kv "$out" capped)
	held=$(kv "$out" snapshot_held); err=$(kv "$out" err)
	[ "$err" != "-" ] && note_err "driver $impl sessions=$s sync=$sync snapshot=$snap: $err"
	[ "$held" = 1 ] || note_err "$impl sessions=$s sync=$sync: the snapshot was not held for the whole run"
	if [ "${impl#streamkv}" != "$impl" ]; then
		local pend lag; pend=$(q "SELECT count(*) FROM streamkv.pending('$g')")
		lag=$(q "SELECT coalesce(sum(lag), -1) FROM streamkv.lag('$g')")
		[ "$acked" = "$got" ] || note_err "$impl sessions=$s sync=$sync snapshot=$snap: acks counted $acked of $got acquired"
		[ "$capped" = 1 ] || [ "$got" = "$N" ] || note_err "$impl sessions=$s sync=$sync snapshot=$snap: consumed $got of $N"
		[ "$capped" = 1 ] || [ "$pend" = 0 ] || note_err "$impl sessions=$s sync=$sync snapshot=$snap: $pend records still pending"
		[ "$capped" = 1 ] || [ "$lag" = 0 ] || note_err "$impl sessions=$s sync=$sync snapshot=$snap: lag $lag after the run"
		q "SELECT streamkv.delete_group('$g')" >/dev/null
		q "SELECT streamkv.drop_topic('$t')" >/dev/null
	else
		local left; left=$(q "SELECT count(*) FROM q")
		[ "$capped" = 1 ] || { [ "$got" = "$N" ] && [ "$left" = 0 ]; } ||
			note_err "$impl sessions=$s sync=$sync snapshot=$snap: consumed $got of $N, $left rows left"
		q "DROP TABLE q" >/dev/null
	fi
	rate=$(awk -v n="$got" -v ms="$ms" 'BEGIN{ if (ms+0 > 0 && n+0 > 0) printf "%.0f", n/(ms/1000); else print "ERR" }')
	say "  $impl sessions=$s sync=$sync snapshot=$snap: $got records in $ms ms = $rate records/s$( [ "$capped" = 1 ] && echo " (capped at ${MAXS}s)")"
	echo "$rate $capped $got"
}

declare -A R   # R[impl,s,sync,snap] = best rate; R[...,capped], R[...,got]
for r in $(seq "$ROUNDS"); do
	for sync in $SYNCS; do
		for s in $SESSIONS; do
			for snap in 0 1; do
				# alternate the order between rounds and between alone / open snapshot
				impls=($IMPLS)
				[ $(( (r + snap) % 2 )) -eq 0 ] && impls=($(printf '%s\n' $IMPLS | tac))
				for impl in "${impls[@]}"; do
					say "round $r/$ROUNDS: $impl, $s session(s), synchronous_commit=$sync, open snapshot=$snap"
					RUN_NO=$((RUN_NO + 1))
					read -r rate capped got < <(run_case "$impl" "$s" "$sync" "$snap" "$RUN_NO")
					k="$impl,$s,$sync,$snap"
					if [ "${R[$k]:-ERR}" = ERR ] || awk -v a="$rate" -v b="${R[$k]}" 'BEGIN{exit !(a+0 > b+0)}'; then
						R[$k]=$rate; R[$k,capped]=$capped; R[$k,got]=$got
					fi
					R[$k,all]="${R[$k,all]:+${R[$k,all]}/}$(fmt "$rate")"
				done
			done
		done
	done
done

# ---- table ------------------------------------------------------------------------------------------
cell() { # KEY -> formatted rate (with * when capped)
	local k=$1
	printf '%s%s' "$(fmt "${R[$k]:-ERR}")" "$( [ "${R[$k,capped]:-0}" = 1 ] && echo '*')"
}
{
	echo "# streamkv share groups benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$(uname -n), $(nproc) cores, $("$IBIN/postgres" --version),"
	echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo '+dirty'), BENCH_RECORDS=$N, BENCH_PARTITIONS=$PARTS, BENCH_ROUNDS=$ROUNDS, BENCH_MAX_SECONDS=$MAXS, fsync on, shared_buffers=512MB."
	echo
	echo "## Consuming $(fmt "$N") preloaded records of 100 bytes in batches of 100 (records/s)"
	echo
	echo "- **streamkv** (share group on a $PARTS-partition topic): \`acquire(g, c, 100)\` + \`ack(g, c, partition, offsets)\` + COMMIT;"
	echo "- **streamkv, acks in acquire**: \`acquire(g, c, 100, 0, ack_partitions, ack_offsets)\` carrying the previous batch's acknowledgements, one autocommitted statement per batch (Kafka's share consumer loop);"
	echo "- **pgmq** (the issue's baseline, the same contract as acquire + ack): pgmq's table (PRIMARY KEY msg_id, index on vt) and pgmq's read (\`WITH cte AS (SELECT msg_id … WHERE vt <= clock_timestamp() ORDER BY msg_id LIMIT 100 FOR UPDATE SKIP LOCKED) UPDATE … SET vt = clock_timestamp() + 60 s, read_ct = read_ct + 1 … RETURNING …\`) + pgmq's delete (\`DELETE … WHERE msg_id = ANY(ids)\`), in PL/pgSQL functions that EXECUTE as pgmq's do, + COMMIT;"
	echo "- **pop**: \`WITH cte AS (SELECT id FROM q ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED) DELETE FROM q USING cte WHERE q.id = cte.id RETURNING q.id, q.v\` + COMMIT on \`q (id bigserial PRIMARY KEY, v bytea)\` (no lock timeout, no delivery count)."
	echo
	echo "Arrays go to the server as array literals on both sides. Open snapshot: another session idle in \`BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1 FROM src LIMIT 1;\` for the whole run."
	echo "Server side: the same loops in PL/pgSQL procedures (COMMIT after every batch), without the client. Goal: streamkv ≥ 5× the table queue (pgmq), and unaffected by the open snapshot."
	[ "$ROUNDS" -gt 1 ] && echo "Best of $ROUNDS rounds; all rounds in the last table."
	anycap=0
	for snap in 0 1; do
		echo
		if [ "$snap" = 0 ]; then echo "### Alone"; else echo "### While another session holds a snapshot open"; fi
		echo
		echo "| synchronous_commit | sessions | streamkv | streamkv, acks in acquire | pgmq | pop | **streamkv / pgmq** | **acks in acquire / pgmq** | streamkv / pop | acks in acquire / pop |"
		echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
		for sync in $SYNCS; do
			for s in $SESSIONS; do
				sk=${R[streamkv,$s,$sync,$snap]:-ERR} sp=${R[streamkv_pb,$s,$sync,$snap]:-ERR}
				pq=${R[pgmq,$s,$sync,$snap]:-ERR} tq=${R[table,$s,$sync,$snap]:-ERR}
				for k in streamkv streamkv_pb pgmq table; do
					[ "${R[$k,$s,$sync,$snap,capped]:-0}" = 1 ] && anycap=1
				done
				lab=$s; [ "$s" = server ] && lab="server side (1 session, PL/pgSQL)"
				echo "| $sync | $lab | $(cell streamkv,$s,$sync,$snap) | $(cell streamkv_pb,$s,$sync,$snap) | $(cell pgmq,$s,$sync,$snap) | $(cell table,$s,$sync,$snap) | **$(ratio "$sk" "$pq")×** | **$(ratio "$sp" "$pq")×** | $(ratio "$sk" "$tq")× | $(ratio "$sp" "$tq")× |"
			done
		done
	done
	echo
	echo "### Slowdown from the open snapshot (rate alone / rate with the snapshot)"
	echo
	echo "| synchronous_commit | sessions | streamkv | streamkv, acks in acquire | pgmq | pop |"
	echo "|---|---|---:|---:|---:|---:|"
	for sync in $SYNCS; do
		for s in $SESSIONS; do
			lab=$s; [ "$s" = server ] && lab="server side"
			row="| $sync | $lab |"
			for k in streamkv streamkv_pb pgmq table; do
				row="$row $(ratio "${R[$k,$s,$sync,0]:-ERR}" "${R[$k,$s,$sync,1]:-ERR}")× |"
			done
			echo "$row"
		done
	done
	if [ "$anycap" = 1 ]; then
		echo
		echo "\\* stopped after BENCH_MAX_SECONDS=$MAXS s:"
		for k in "${!R[@]}"; do
			case $k in *,capped) ;; *) continue ;; esac
			[ "${R[$k]}" = 1 ] || continue
			b=${k%,capped}
			echo "  ${b//,/ } consumed $(fmt "${R[$b,got]}") of $(fmt "$N") records (the rate is of those)"
		done
	fi
	if [ "$ROUNDS" -gt 1 ]; then
		echo
		echo "| run | rounds (records/s) |"
		echo "|---|---|"
		for k in "${!R[@]}"; do
			case $k in *,all) echo "| ${k%,all} | ${R[$k]} |" ;; esac
		done | sort
	fi
	echo
	skv_bench_errors
} | tee "$OUT"
say "saved to $OUT"
