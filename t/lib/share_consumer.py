#!/usr/bin/python3
"""A share-group consumer for t/041_share_stress.pl.

Loops acquire(group, consumer, 100, 1000) and settles what it got, logging
every step to --out, one line each (the test checks the logs):

  A p o d id        acquired record (partition, offset, delivery count, id from the value)
  K p o d r         acknowledged: r = what ack counted for this record (1 or 0)
  B p n o1,o2,...   an array ack that counted n of the offsets but not all of them
                    (which ones is unknown: only possible when a lock ran out meanwhile)
  R p o d r         released: r = 1 or 0
  S p o d r         stale ack: acknowledged (one at a time) after sleeping past the lock
  E msg             error (the consumer exits with status 1)

Normal batches are acknowledged with one array ack per partition
(ack(group, consumer, partition, offsets[])): when it counts every offset,
each of them is logged as K ... 1. When the lock is about to run out before
the ack (less than 500 ms left), the records are acknowledged one at a time
in one statement (SELECT o, ack(..., o) FROM unnest(...)) so that the log
says exactly which ones counted.

--release-every N: every Nth batch releases half of each partition's records
(one at a time, in one statement) and acknowledges the rest.
--expire-every N: every Nth batch (at most --max-expire times) sleeps past
the lock duration, then acknowledges one at a time (S lines): records
another consumer re-acquired meanwhile must count 0, the others 1.

The consumer stops when --stop-file exists and --idle-polls acquires in a
row returned nothing, or at --deadline seconds.
"""
import argparse
import os
import random
import sys
import time

import psycopg2

ap = argparse.ArgumentParser()
ap.add_argument('--dsn', required=True)
ap.add_argument('--group', required=True)
ap.add_argument('--consumer', required=True)
ap.add_argument('--out', required=True)
ap.add_argument('--stop-file', required=True)
ap.add_argument('--lock-ms', type=int, required=True)
ap.add_argument('--release-every', type=int, default=0)
ap.add_argument('--expire-every', type=int, default=0)
ap.add_argument('--max-expire', type=int, default=5)
ap.add_argument('--idle-polls', type=int, default=4)
ap.add_argument('--deadline', type=float, default=300)
ap.add_argument('--seed', type=int, default=1)
args = ap.parse_args()

rng = random.Random(args.seed)
out = open(args.out, 'w', buffering=1 << 20)
g, c = args.group, args.consumer
t_end = time.time() + args.deadline

conn = psycopg2.connect(args.dsn, application_name='share_consumer ' + c)
conn.autocommit = True
cur = conn.cursor()

ACQUIRE = ('SELECT partition, "offset", delivery_count, extract(epoch FROM locked_until)::float8, '
           "convert_from(value, 'UTF8') FROM streamkv.acquire(%s, %s, 100, 1000)")


def one_by_one(fn, p, offs):
    """fn = ack | release for each offset, in one statement; returns {offset: 0|1}"""
    cur.execute('SELECT o, streamkv.%s(%%s, %%s, %%s, o) FROM unnest(%%s::bigint[]) WITH ORDINALITY u(o, n) ORDER BY n' % fn,
                (g, c, p, offs))
    return dict(cur.fetchall())


status = 0
batches = idle = expired = 0
try:
    while True:
        if time.time() > t_end:
            out.write('E deadline reached\n')
            status = 1
            break
        cur.execute(ACQUIRE, (g, c))
        rows = cur.fetchall()
        if not rows:
            if os.path.exists(args.stop_file):
                idle += 1
                if idle >= args.idle_polls:
                    break
            continue
        idle = 0
        batches += 1
        byp = {}
        dc = {}
        lock_end = min(r[3] for r in rows)
        for p, o, d, _, v in rows:
            out.write('A %d %d %d %s\n' % (p, o, d, v.split(':', 1)[0]))
            byp.setdefault(p, []).append(o)
            dc[(p, o)] = d

        if args.expire_every and batches % args.expire_every == 0 and expired < args.max_expire:
            expired += 1
            time.sleep(args.lock_ms / 1000.0 + 0.7)
            for p in sorted(byp):
                res = one_by_one('ack', p, byp[p])
                for o in byp[p]:
                    out.write('S %d %d %d %d\n' % (p, o, dc[(p, o)], res[o]))
            continue

        if args.release_every and batches % args.release_every == 0:
            for p in sorted(byp):
                offs = byp[p]
                rel = sorted(rng.sample(offs, (len(offs) + 1) // 2))
                res = one_by_one('release', p, rel)
                for o in rel:
                    out.write('R %d %d %d %d\n' % (p, o, dc[(p, o)], res[o]))
                byp[p] = [o for o in offs if o not in set(rel)]

        for p in sorted(byp):
            offs = byp[p]
            if not offs:
                continue
            if time.time() > lock_end - 0.5:
                res = one_by_one('ack', p, offs)
                for o in offs:
                    out.write('K %d %d %d %d\n' % (p, o, dc[(p, o)], res[o]))
                continue
            cur.execute('SELECT streamkv.ack(%s, %s, %s, %s::bigint[])', (g, c, p, offs))
            n = cur.fetchone()[0]
            if n == len(offs):
                for o in offs:
                    out.write('K %d %d %d 1\n' % (p, o, dc[(p, o)]))
            else:
                out.write('B %d %d %s\n' % (p, n, ','.join(str(o) for o in offs)))
except Exception as e:  # logged for the test, which fails on E lines and the exit status
    out.write('E %s\n' % str(e).replace('\n', ' '))
    status = 1
out.close()
print('%s: %d batches, %d expired' % (c, batches, expired))
sys.exit(status)
