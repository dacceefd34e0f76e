#!/usr/bin/python3
"""Pub/sub benchmark driver for bench/pubsub.sh (issue 17).

For each system -- streamkv (publish / receive), PostgreSQL's pg_notify +
LISTEN in autocommit, Redis PUBLISH / SUBSCRIBE -- and for 1 and 10
subscribers, with 100-byte messages on one channel:

  throughput  one publisher sends --msgs messages as fast as it can, one
              round trip per message (streamkv and pg_notify through a
              prepared statement, Redis through a raw socket);
              messages/s = messages / (time from the first publish until
              every subscriber has received every message).
  latency     the publisher sends --lat-msgs messages, one every --gap-us
              microseconds (well below saturation); each message carries
              its send time (CLOCK_MONOTONIC, shared by the processes);
              each subscriber records receive time - send time; p50 and p99
              over all subscribers' samples.

Subscribers are separate processes: streamkv's loop on
receive_text(10000, 1000); LISTEN's on select() + poll(); Redis's on
read_response().  Every client is Python (psycopg2 over libpq; Redis over raw sockets
with a minimal RESP writer/reader), the same per-message client overhead on
every side.

  batched     as throughput, 100 messages per round trip (streamkv and
              pg_notify: one statement over unnest() -- for pg_notify that is
              one transaction, delivered at its commit; Redis: 100 pipelined
              PUBLISHes).

Prints one line per system and subscriber count: system subs msgs_s
batched_msgs_s p50_us p99_us, then the received/expected counts.
"""

import argparse
import multiprocessing as mp
import select
import socket
import sys
import time

import psycopg2

CHANNEL = 'bench'
SIZE = 100


def payload():
    t = '%020d' % time.monotonic_ns()
    return t + 'x' * (SIZE - len(t))


def sub_streamkv(dsn, expect, ready, out, deadline_s):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute('SELECT count(*) FROM streamkv.subscribe(%s)', (CHANNEL,))
    cur.execute('PREPARE recv AS SELECT message FROM streamkv.receive_text(10000, 1000)')
    ready.put(1)
    lat = []
    n = 0
    end = time.monotonic() + deadline_s
    while n < expect and time.monotonic() < end:
        cur.execute('EXECUTE recv')
        rows = cur.fetchall()
        now = time.monotonic_ns()
        for (m,) in rows:
            lat.append(now - int(m[:20]))
        n += len(rows)
    out.put((n, time.monotonic_ns(), lat))


def sub_notify(dsn, expect, ready, out, deadline_s):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute('LISTEN ' + CHANNEL)
    ready.put(1)
    lat = []
    n = 0
    end = time.monotonic() + deadline_s
    while n < expect and time.monotonic() < end:
        if select.select([conn], [], [], 1.0) == ([], [], []):
            continue
        conn.poll()
        now = time.monotonic_ns()
        while conn.notifies:
            m = conn.notifies.pop(0).payload
            lat.append(now - int(m[:20]))
            n += 1
    out.put((n, time.monotonic_ns(), lat))


def sub_redis(port, expect, ready, out, deadline_s):
    # a raw socket and a parser for the one reply shape a subscriber gets
    # (redis-py's pure-Python parser would cost more than the server)
    sk = socket.create_connection(('127.0.0.1', port))
    sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sk.settimeout(1.0)
    sk.sendall(b'*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n' % (len(CHANNEL), CHANNEL.encode()))
    buf = b''
    while buf.count(b'\r\n') < 6:
        buf += sk.recv(65536)
    buf = buf[buf.index(b':') :]
    buf = buf[buf.index(b'\r\n') + 2 :]
    ready.put(1)
    lat = []
    n = 0
    end = time.monotonic() + deadline_s
    head = b'*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n' % (len(CHANNEL), CHANNEL.encode(), SIZE)
    one = len(head) + SIZE + 2
    while n < expect and time.monotonic() < end:
        try:
            chunk = sk.recv(1 << 20)
        except socket.timeout:
            continue
        now = time.monotonic_ns()
        buf += chunk
        k = len(buf) // one
        for i in range(k):
            off = i * one
            assert buf[off:off + len(head)] == head
            lat.append(now - int(buf[off + len(head):off + len(head) + 20]))
        buf = buf[k * one:]
        n += k
    out.put((n, time.monotonic_ns(), lat))


class PgPublisher:
    def __init__(self, dsn, fn):
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        self.cur = self.conn.cursor()
        self.cur.execute("PREPARE pub(text) AS SELECT %s('%s', $1)" % (fn, CHANNEL))
        self.cur.execute("PREPARE pubmany(text[]) AS SELECT count(%s('%s', m)) FROM unnest($1) m"
                         % (fn, CHANNEL))

    def publish(self, m):
        self.cur.execute('EXECUTE pub(%s)', (m,))
        self.cur.fetchone()

    def publish_many(self, ms):
        self.cur.execute('EXECUTE pubmany(%s)', (ms,))
        self.cur.fetchone()


class RedisPublisher:
    def __init__(self, port):
        self.sk = socket.create_connection(('127.0.0.1', port))
        self.sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pre = b'*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n' % (len(CHANNEL), CHANNEL.encode(), SIZE)

    def publish(self, m):
        self.sk.sendall(self.pre + m.encode() + b'\r\n')
        r = self.sk.recv(64)
        while not r.endswith(b'\r\n'):
            r += self.sk.recv(64)

    def publish_many(self, ms):
        self.sk.sendall(b''.join(self.pre + m.encode() + b'\r\n' for m in ms))
        r = b''
        while r.count(b'\r\n') < len(ms):
            r += self.sk.recv(65536)


def run(system, nsubs, nmsgs, gap_us, a, batch=1):
    ctx = mp.get_context('fork')
    ready = ctx.Queue()
    out = ctx.Queue()
    if system == 'streamkv':
        target, arg = sub_streamkv, a.dsn
        pub = PgPublisher(a.dsn, 'streamkv.publish')
    elif system == 'notify':
        target, arg = sub_notify, a.dsn
        pub = PgPublisher(a.dsn, 'pg_notify')
    else:
        target, arg = sub_redis, a.redis_port
        pub = RedisPublisher(a.redis_port)
    procs = [ctx.Process(target=target, args=(arg, nmsgs, ready, out, a.timeout)) for _ in range(nsubs)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=30)
    time.sleep(0.2)
    t0 = time.monotonic_ns()
    if gap_us:
        nxt = time.monotonic_ns()
        for _ in range(nmsgs):
            while time.monotonic_ns() < nxt:
                pass
            pub.publish(payload())
            nxt += gap_us * 1000
    elif batch > 1:
        for _ in range(nmsgs // batch):
            pub.publish_many([payload() for _ in range(batch)])
    else:
        for _ in range(nmsgs):
            pub.publish(payload())
    res = [out.get(timeout=a.timeout + 30) for _ in procs]
    for p in procs:
        p.join()
    got = sum(r[0] for r in res)
    t_end = max(r[1] for r in res)
    lat = sorted(x for r in res for x in r[2])
    secs = (t_end - t0) / 1e9
    return got, nmsgs * nsubs, nmsgs / secs, lat


def pct(lat, q):
    if not lat:
        return float('nan')
    return lat[min(len(lat) - 1, int(q * len(lat)))] / 1000.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dsn', required=True)
    ap.add_argument('--redis-port', type=int, required=True)
    ap.add_argument('--msgs', type=int, default=20000)
    ap.add_argument('--lat-msgs', type=int, default=2000)
    ap.add_argument('--gap-us', type=int, default=2000)
    ap.add_argument('--subs', default='1,10')
    ap.add_argument('--systems', default='streamkv,notify,redis')
    ap.add_argument('--timeout', type=float, default=120)
    a = ap.parse_args()
    for nsubs in [int(x) for x in a.subs.split(',')]:
        for system in a.systems.split(','):
            got, want, rate, _ = run(system, nsubs, a.msgs, 0, a)
            bgot, bwant, brate, _ = run(system, nsubs, a.msgs, 0, a, batch=100)
            lgot, lwant, _, lat = run(system, nsubs, a.lat_msgs, a.gap_us, a)
            print('%s %d %.0f %.0f %.1f %.1f %d/%d %d/%d %d/%d'
                  % (system, nsubs, rate, brate, pct(lat, 0.50), pct(lat, 0.99),
                     got, want, bgot, bwant, lgot, lwant))
            sys.stdout.flush()


if __name__ == '__main__':
    main()
