#!/usr/bin/env bash
# streamkv pub/sub benchmark (issue 17): one command, prints a markdown table with RATIOS measured
# in the same run against PostgreSQL's pg_notify + LISTEN (autocommit) and Redis PUBLISH/SUBSCRIBE.
#
#   bench/pubsub.sh                        # 20,000 messages per throughput run, 2,000 for latency
#   BENCH_MSGS=5000 bench/pubsub.sh        # quicker
#   BENCH_ROUNDS=3 bench/pubsub.sh         # best of 3 rounds per cell (rounds interleave systems)
#
# It builds and installs the extension into the private install (.pgrun/inst), starts its OWN
# throwaway cluster (a temporary directory, 127.0.0.1:BENCH_PORT (54366), fsync off,
# synchronous_commit off) and a redis-server without persistence on 127.0.0.1:BENCH_REDIS_PORT
# (6393); both are stopped at exit.  The driver is bench/pubsub_bench.py (its header says what is
# measured): one publisher and 1 or 10 subscribers on one channel, 100-byte messages:
#   msgs/s     one message per round trip, until every subscriber has every message
#   batched    100 messages per round trip (pg_notify: one transaction of 100 notifications)
#   p50, p99   publish -> receive latency (microseconds) at one message every 2 ms
# Ratios: streamkv / pg_notify and streamkv / Redis for rates (higher is better), and for
# latencies the other's / streamkv's (higher is better).  No assertions: a benchmark, not a test.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
INST=$REPO/.pgrun/inst
IBIN=$INST/usr/lib/postgresql/15/bin
PORT=${BENCH_PORT:-54366}
RPORT=${BENCH_REDIS_PORT:-6393}
MSGS=${BENCH_MSGS:-20000}
LMSGS=${BENCH_LAT_MSGS:-2000}
ROUNDS=${BENCH_ROUNDS:-1}
export LC_ALL=C
unset PGHOST PGPORT PGDATABASE PGUSER PGSERVICE PGOPTIONS PGDATA

say() { printf '==> %s\n' "$*" >&2; }

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
command -v redis-server >/dev/null || { echo "redis-server is needed: apt-get install redis-server" >&2; exit 1; }
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || { echo "apt-get install python3-psycopg2" >&2; exit 1; }

WORK=$(mktemp -d /tmp/streamkv-bench-pubsub.XXXXXX)
chmod 755 "$WORK"
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
max_connections = 50
jit = off
fsync = off
synchronous_commit = off
CONF
as "$IBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w start >/dev/null
as "$IBIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -d postgres -c 'CREATE EXTENSION streamkv'
as redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
	--dir "$WORK" --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
for _ in $(seq 50); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

say "$ROUNDS round(s): $MSGS messages per throughput run, $LMSGS for latency; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
	/usr/bin/python3 "$REPO/bench/pubsub_bench.py" --dsn "host=127.0.0.1 port=$PORT dbname=postgres user=postgres" \
		--redis-port "$RPORT" --msgs "$MSGS" --lat-msgs "$LMSGS" | tee -a "$WORK/results" >&2
done

echo
echo "streamkv pub/sub, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), best of $ROUNDS"
echo
/usr/bin/python3 - "$WORK/results" <<'PY'
import sys
best = {}
for line in open(sys.argv[1]):
    f = line.split()
    key = (f[0], int(f[1]))
    rate, batched, p50, p99 = float(f[2]), float(f[3]), float(f[4]), float(f[5])
    b = best.get(key)
    if b is None:
        best[key] = [rate, batched, p50, p99]
    else:
        best[key] = [max(b[0], rate), max(b[1], batched), min(b[2], p50), min(b[3], p99)]
print('| subscribers | system | msgs/s | batched msgs/s | p50 us | p99 us |')
print('|---|---|---|---|---|---|')
for n in (1, 10):
    for s in ('streamkv', 'notify', 'redis'):
        if (s, n) in best:
            b = best[(s, n)]
            print('| %d | %s | %.0f | %.0f | %.0f | %.0f |' % (n, 'pg_notify+LISTEN' if s == 'notify' else s, *b))
print()
print('| subscribers | vs | msgs/s ratio | batched ratio | p50 ratio | p99 ratio |')
print('|---|---|---|---|---|---|')
for n in (1, 10):
    k = best.get(('streamkv', n))
    for s in ('notify', 'redis'):
        o = best.get((s, n))
        if k and o:
            print('| %d | %s | %.2fx | %.2fx | %.2fx | %.2fx |'
                  % (n, 'pg_notify+LISTEN' if s == 'notify' else s,
                     k[0] / o[0], k[1] / o[1], o[2] / k[2], o[3] / k[3]))
PY
