#!/usr/bin/python3
"""Differential test of keyspace notifications against a real redis-server.

Both sides run with notify-keyspace-events = --flags (Redis: CONFIG SET;
streamkv: streamkv.notify_keyspace_events, set by the caller).  One
subscriber per side psubscribes '__key*__:*'; a second connection runs a
fixed-seed random sequence of SET (plain, PX, NX, XX), DEL, EXPIRE (future,
past), HSET, ZADD (new, same score, changed score, NX, XX, INCR) over a small
key pool, and after every operation both subscribers' messages are compared
exactly: channel (Redis's db number 0 mapped to the database's OID in
streamkv) and message, in order.  Then keys get short TTLs and are left to
expire -- half met by reads (lazy expiry), the rest by each side's
background expiry -- and the 'expired' events are compared as multisets
(when the background job gets to a key differs between the two).

Usage: keyspace_events_diff.py --redis-port P --dsn DSN --dboid OID
                               [--ops 2000] [--seed 20261205] [--flags KEA]
Exit status 0 when equal, 1 on a mismatch, 2 on a setup failure.
"""

import argparse
import random
import sys
import time

import psycopg2
import redis
from redis.connection import Connection

KEYS = ['k%d' % i for i in range(8)]
HKEYS = ['h%d' % i for i in range(3)]
ZKEYS = ['z%d' % i for i in range(3)]


def s(b):
    return b.decode() if isinstance(b, bytes) else b


class RedisSub:
    def __init__(self, port):
        self.c = Connection(host='127.0.0.1', port=port)
        self.c.connect()
        self.c.send_command('PSUBSCRIBE', '__key*__:*')
        self.c.read_response()

    def drain(self):
        self.c.send_command('PING')
        out = []
        while True:
            r = self.c.read_response()
            if s(r[0]) == 'pong':
                return out
            out.append((s(r[2]), s(r[3])))


class PgSub:
    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        self.cur = self.conn.cursor()
        self.cur.execute("SELECT count(*) FROM streamkv.psubscribe('__key*__:*')")

    def drain(self, wait_ms=0):
        self.cur.execute('SELECT channel, message FROM streamkv.receive_text(100000, %s)', (wait_ms,))
        return [tuple(r) for r in self.cur.fetchall()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--redis-port', type=int, required=True)
    ap.add_argument('--dsn', required=True)
    ap.add_argument('--dboid', required=True)
    ap.add_argument('--ops', type=int, default=2000)
    ap.add_argument('--seed', type=int, default=20261205)
    ap.add_argument('--flags', default='KEA')
    a = ap.parse_args()
    try:
        r = redis.Redis(host='127.0.0.1', port=a.redis_port, decode_responses=True)
        r.config_set('notify-keyspace-events', a.flags)
        r.flushall()
        rsub = RedisSub(a.redis_port)
        pconn = psycopg2.connect(a.dsn)
        pconn.autocommit = True
        p = pconn.cursor()
        p.execute('SELECT streamkv.flushdb()')
        p.execute('SHOW streamkv.notify_keyspace_events')
        if p.fetchone()[0] != a.flags:
            print('setup failed: streamkv.notify_keyspace_events is not %s' % a.flags)
            return 2
        psub = PgSub(a.dsn)
        psub.drain()
    except Exception as e:  # noqa: BLE001
        print('setup failed: %s' % e)
        return 2

    def mapped(msgs):
        return [(c.replace('@0__:', '@%s__:' % a.dboid, 1), m) for c, m in msgs]

    rng = random.Random(a.seed)
    counts = {}
    history = []
    for op in range(a.ops):
        x = rng.random()
        if x < 0.35:
            k = rng.choice(KEYS)
            v = 'v%d' % op
            opt = rng.choice(['', '', 'nx', 'xx', 'px'])
            history.append(('set', k, opt))
            if opt == 'px':
                r.set(k, v, px=600000)
                p.execute('SELECT streamkv.set(%s, %s, px => 600000)', (k, v))
            elif opt:
                r.set(k, v, **{opt: True})
                p.execute('SELECT streamkv.set(%%s, %%s, %s => true)' % opt, (k, v))
            else:
                r.set(k, v)
                p.execute('SELECT streamkv.set(%s, %s)', (k, v))
        elif x < 0.45:
            ks = rng.sample(KEYS + HKEYS + ZKEYS, rng.choice([1, 2]))
            history.append(('del', ks))
            r.delete(*ks)
            p.execute('SELECT streamkv.del(VARIADIC %s::text[])', (ks,))
        elif x < 0.6:
            k = rng.choice(KEYS + HKEYS + ZKEYS)
            secs = rng.choice([1000, 5000, -1])
            history.append(('expire', k, secs))
            r.expire(k, secs)
            p.execute('SELECT streamkv.expire(%s, %s)', (k, secs))
        elif x < 0.75:
            k = rng.choice(HKEYS)
            f = rng.choice(['a', 'b', 'c'])
            history.append(('hset', k, f))
            r.hset(k, f, 'x%d' % (op % 3))
            p.execute('SELECT streamkv.hset(%s, %s, %s)', (k, f, 'x%d' % (op % 3)))
        else:
            k = rng.choice(ZKEYS)
            m = rng.choice(['a', 'b', 'c'])
            sc = rng.choice([1, 2, 3])
            opt = rng.choice(['', '', 'nx', 'xx', 'incr'])
            history.append(('zadd', k, m, sc, opt))
            try:
                if opt == 'incr':
                    r.zincrby(k, sc, m)
                    p.execute('SELECT streamkv.zincrby(%s, %s, %s)', (k, sc, m))
                elif opt:
                    r.zadd(k, {m: sc}, **{opt: True})
                    p.execute('SELECT streamkv.zadd(%%s, %%s, %%s, %s => true)' % opt, (k, sc, m))
                else:
                    r.zadd(k, {m: sc})
                    p.execute('SELECT streamkv.zadd(%s, %s, %s)', (k, sc, m))
            except redis.exceptions.ResponseError:
                pass
        rv = mapped(rsub.drain())
        pv = psub.drain()
        if rv != pv:
            print('MISMATCH at op %d %r' % (op, history[-1]))
            print('  redis:    %r' % (rv,))
            print('  streamkv: %r' % (pv,))
            for h in history[-10:]:
                print('    %r' % (h,))
            return 1
        for c, m in rv:
            ev = m if c.startswith('__keyspace') else c.split(':', 1)[1]
            counts[ev] = counts.get(ev, 0) + 1

    # expiry: 40 keys with 100 ms TTLs, half read back after 300 ms (lazy expiry on both sides
    # unless the background job was first), then wait for the rest
    exp_keys = ['e%d' % i for i in range(40)]
    for k in exp_keys:
        r.set(k, 'v', px=100)
        p.execute("SELECT streamkv.set(%s, 'v', px => 100)", (k,))
    time.sleep(0.3)
    for k in exp_keys[:20]:
        r.get(k)
        p.execute('SELECT streamkv.get(%s)', (k,))

    def expired(msgs):
        return [(c, m) for c, m in msgs if m == 'expired' or c.endswith(':expired')]

    nch = ('K' in a.flags) + ('E' in a.flags)
    want = 40 * nch if ('x' in a.flags or 'A' in a.flags) else 0
    deadline = time.time() + (20 if want else 2)
    rv, pv = [], []
    while time.time() < deadline and (len(rv) < want or len(pv) < want or not want):
        rv += expired(mapped(rsub.drain()))
        pv += expired(psub.drain(200))
        time.sleep(0.1)
    if sorted(rv) != sorted(pv):
        print('MISMATCH in expiry events')
        print('  redis:    %r' % (sorted(rv),))
        print('  streamkv: %r' % (sorted(pv),))
        return 1
    counts['expired'] = len(rv) // max(nch, 1)
    print('ops: %d, mismatches: 0, events: %s' % (a.ops, ', '.join('%s %d' % kv for kv in sorted(counts.items()))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
