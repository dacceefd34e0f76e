#!/usr/bin/python3
"""Differential test of streamkv's pub/sub against a real redis-server.

Several clients on each side (Redis: one RESP connection each, driven with
redis-py's low-level Connection so that no client-side pub/sub state gets in
the way; streamkv: one psycopg2 connection each, autocommit) plus one
publisher connection on each side run the same fixed-seed random sequence of
SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE (with names, or none: all),
PUBLISH and PUBSUB CHANNELS / NUMSUB / NUMPAT, and compare:

  * every subscribe/unsubscribe reply: (kind, name, count) row by row; for an
    unsubscribe of everything (Redis answers in its dict's order) the names
    as a set and the counts as a sorted list;
  * every PUBLISH reply (the number of receiving subscriptions);
  * PUBSUB CHANNELS (as sets), NUMSUB and NUMPAT;
  * the messages every client received, drained every few operations and at
    the end (Redis: PING on the subscribed connection and read up to its
    pong; streamkv: receive()): the same sequence of publishes, and within
    one publish the same (kind, pattern, channel, message) tuples (Redis 7
    walks its pattern dict in hash order, so the order of one publish's
    pmessages is not part of its contract and is compared as a multiset).

Channels and patterns are chosen to exercise Redis's glob matcher: *, ?,
classes, negated classes, ranges (also reversed), escapes inside and outside
classes, an unterminated class and a trailing backslash.

Usage: pubsub_diff.py --redis-port P --dsn 'host=... port=... dbname=...'
                      [--ops 4000] [--seed 20261205] [--clients 6] [-v]
Exit status 0 when everything was equal, 1 on a mismatch (the first stops the
run), 2 on a setup failure.
"""

import argparse
import random
import sys

import psycopg2
import redis
from redis.connection import Connection

CHANNELS = ['news', 'news.1', 'news.2', 'news.10', 'sport', 'a', 'b', 'ab', 'abc', 'x*', 'x?', 'xy',
            '[a]', 'a]', 'h\\llo', 'hello', 'hallo', 'hxllo', 'z-a', 'c', 'ca', '', 'n', '^', '-',
            'long.' + 'q' * 40]
PATTERNS = ['*', 'news*', 'news.?', 'news.[12]', 'news.[^1]*', '[a-c]*', '[c-a]', 'x\\*', 'x\\?',
            'x?', '\\[a\\]', '[[]a]', '*b', 'a[\\]]', 'a[b', 'h\\\\llo', 'h[ae]llo', 'h[^e]llo',
            'h?llo', '[^a-m]*', '*.*', 'ab\\', 'a*c', '?', '??', '[', '[]', '[^]', 'n', 'sport',
            '*[0-9]', 'z\\-a', '[\\-]', '[a-]']


class Mismatch(Exception):
    pass


def s(b):
    return b.decode() if isinstance(b, bytes) else b


class RedisClient:
    def __init__(self, port):
        self.c = Connection(host='127.0.0.1', port=port)
        self.c.connect()
        self.got = []           # delivered (kind, pattern, channel, message)
        self.channels = set()   # this connection's subscriptions, from the replies
        self.patterns = set()

    def _read_reply(self):
        """Reads until a reply that is not a delivered message; messages are queued."""
        while True:
            r = self.c.read_response()
            if isinstance(r, list) and r and s(r[0]) == 'message':
                self.got.append(('message', None, s(r[1]), s(r[2])))
            elif isinstance(r, list) and r and s(r[0]) == 'pmessage':
                self.got.append(('pmessage', s(r[1]), s(r[2]), s(r[3])))
            else:
                return r

    def command(self, kind, names):
        self.c.send_command(kind.upper(), *names)
        mine = self.patterns if kind in ('psubscribe', 'punsubscribe') else self.channels
        # with no name: one reply per subscription dropped, or one with nil
        n = len(names) if names else max(1, len(mine))
        out = []
        for _ in range(n):
            r = self._read_reply()
            out.append((s(r[0]), s(r[1]), r[2]))
            if r[1] is not None:
                if kind.endswith('unsubscribe'):
                    mine.discard(s(r[1]))
                else:
                    mine.add(s(r[1]))
        return out

    def drain(self):
        self.c.send_command('PING')
        while True:
            r = self._read_reply()
            if (isinstance(r, list) and s(r[0]) == 'pong') or s(r) == 'PONG':
                break
        got, self.got = self.got, []
        return got


class PgClient:
    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        self.cur = self.conn.cursor()

    def command(self, kind, names):
        if names:
            self.cur.execute('SELECT * FROM streamkv.%s(VARIADIC %%s::text[])' % kind, (names,))
        else:
            self.cur.execute('SELECT * FROM streamkv.%s()' % kind)
        return [tuple(r) for r in self.cur.fetchall()]

    def drain(self):
        out = []
        while True:
            self.cur.execute('SELECT kind, pattern, channel, message FROM streamkv.receive_text(10000, 0)')
            rows = self.cur.fetchall()
            out.extend(tuple(r) for r in rows)
            if len(rows) < 10000:
                return out


def group_by_publish(msgs):
    """[(kind, pattern, channel, message)] -> [sorted tuples of one publish]: messages are unique per publish."""
    groups = []
    for m in msgs:
        if groups and groups[-1][0] == m[3]:
            groups[-1][1].append(m)
        else:
            groups.append((m[3], [m]))
    return [(k, sorted(g, key=lambda t: (t[0], t[1] or '', t[2]))) for k, g in groups]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--redis-port', type=int, required=True)
    ap.add_argument('--dsn', required=True)
    ap.add_argument('--ops', type=int, default=4000)
    ap.add_argument('--seed', type=int, default=20261205)
    ap.add_argument('--clients', type=int, default=6)
    ap.add_argument('-v', action='store_true')
    a = ap.parse_args()

    try:
        rpub = redis.Redis(host='127.0.0.1', port=a.redis_port, decode_responses=True)
        rpub.ping()
        rcl = [RedisClient(a.redis_port) for _ in range(a.clients)]
        ppub = PgClient(a.dsn)
        pcl = [PgClient(a.dsn) for _ in range(a.clients)]
    except Exception as e:  # noqa: BLE001
        print('setup failed: %s' % e)
        return 2

    rng = random.Random(a.seed)
    history = []
    stats = {'publish': 0, 'delivered': 0, 'receivers': 0, 'subscribe': 0, 'psubscribe': 0,
             'unsubscribe': 0, 'punsubscribe': 0, 'unsub_all': 0, 'introspect': 0, 'drains': 0,
             'pmessages': 0}

    def fail(what, rv, pv):
        print('MISMATCH at op %d: %s' % (len(history), what))
        print('  redis:    %r' % (rv,))
        print('  streamkv: %r' % (pv,))
        print('  last ops:')
        for h in history[-15:]:
            print('    %r' % (h,))
        raise Mismatch()

    def drain_all():
        stats['drains'] += 1
        for i in range(a.clients):
            rg = group_by_publish(rcl[i].drain())
            pg = group_by_publish(pcl[i].drain())
            if rg != pg:
                fail('messages delivered to client %d' % i, rg, pg)
            for _, g in rg:
                stats['delivered'] += len(g)
                stats['pmessages'] += sum(1 for m in g if m[0] == 'pmessage')

    try:
        for op in range(a.ops):
            r = rng.random()
            i = rng.randrange(a.clients)
            if r < 0.40:
                ch = rng.choice(CHANNELS)
                msg = 'm%d' % op
                history.append(('publish', ch, msg))
                rv = rpub.publish(ch, msg)
                ppub.cur.execute('SELECT streamkv.publish(%s, %s::text)', (ch, msg))
                pv = ppub.cur.fetchone()[0]
                if rv != pv:
                    fail('publish %r' % ch, rv, pv)
                stats['publish'] += 1
                stats['receivers'] += rv
            elif r < 0.82:
                kind = rng.choice(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'])
                pool = PATTERNS if kind in ('psubscribe', 'punsubscribe') else CHANNELS
                if kind.startswith('un') or kind.startswith('pun'):
                    k = rng.choice([0, 1, 1, 2, 3])
                else:
                    k = rng.choice([1, 1, 2, 3])
                names = [rng.choice(pool) for _ in range(k)]
                history.append((kind, i, names))
                rv = rcl[i].command(kind, names)
                pv = pcl[i].command(kind, names)
                if names:
                    if rv != pv:
                        fail('%s by client %d' % (kind, i), rv, pv)
                else:
                    stats['unsub_all'] += 1
                    rs = (sorted(x[1] or '' for x in rv), sorted(x[2] for x in rv), {x[0] for x in rv})
                    ps = (sorted(x[1] or '' for x in pv), sorted(x[2] for x in pv), {x[0] for x in pv})
                    if rs != ps or len(rv) != len(pv):
                        fail('%s (all) by client %d' % (kind, i), rv, pv)
                stats[kind] += 1
            elif r < 0.92:
                stats['introspect'] += 1
                what = rng.choice(['channels', 'channels_pat', 'numsub', 'numpat'])
                history.append(('pubsub', what))
                if what == 'channels':
                    rv = sorted(rpub.execute_command('PUBSUB', 'CHANNELS'))  # redis-py's default is '*'
                    ppub.cur.execute('SELECT * FROM streamkv.pubsub_channels()')
                    pv = sorted(x[0] for x in ppub.cur.fetchall())
                elif what == 'channels_pat':
                    pat = rng.choice(PATTERNS)
                    rv = sorted(rpub.execute_command('PUBSUB', 'CHANNELS', pat))
                    ppub.cur.execute('SELECT * FROM streamkv.pubsub_channels(%s)', (pat,))
                    pv = sorted(x[0] for x in ppub.cur.fetchall())
                elif what == 'numsub':
                    chs = rng.sample(CHANNELS, 4)
                    rv = [(c, n) for c, n in rpub.pubsub_numsub(*chs)]
                    ppub.cur.execute('SELECT * FROM streamkv.pubsub_numsub(VARIADIC %s::text[])', (chs,))
                    pv = [tuple(x) for x in ppub.cur.fetchall()]
                else:
                    rv = rpub.pubsub_numpat()
                    ppub.cur.execute('SELECT streamkv.pubsub_numpat()')
                    pv = ppub.cur.fetchone()[0]
                if rv != pv:
                    fail('pubsub %s' % what, rv, pv)
            else:
                history.append(('drain',))
                drain_all()
        drain_all()
    except Mismatch:
        return 1

    print('ops: %d, clients: %d, mismatches: 0, publishes: %d (receivers %d), delivered: %d '
          '(pmessage %d), subscribe %d, psubscribe %d, unsubscribe %d, punsubscribe %d '
          '(of them all: %d), introspection %d, drains %d'
          % (a.ops, a.clients, stats['publish'], stats['receivers'], stats['delivered'],
             stats['pmessages'], stats['subscribe'], stats['psubscribe'], stats['unsubscribe'],
             stats['punsubscribe'], stats['unsub_all'], stats['introspect'], stats['drains']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
