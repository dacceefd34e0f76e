#!/usr/bin/python3
"""Differential test of streamkv's geo sets against a real redis-server.

One fixed-seed set of points (uniform over the globe, and many near the
latitude limits +-85.05112878, the antimeridian +-180, (0, 0) and in dense
clusters with repeated positions, so that distances tie) is loaded into both
with GEOADD (streamkv: the array form and geoadd_agg).  Then every reply is
compared:

  * the sorted sets themselves (ZRANGE 0 -1 WITHSCORES: members, scores, order);
  * GEOPOS of every member, at Redis's printed precision (%.17Lf, trailing
    zeros removed);
  * GEOHASH of every member;
  * GEODIST from every member to another, in a random unit, at Redis's 4
    decimals (fixedpoint_d2string: llrint(d * 10^4));
  * random GEOSEARCH queries (radius or box, 1 m to 5,000 km, a few to
    20,000 km; from a member or from a position, every unit, ASC / DESC /
    unsorted, COUNT with and without ANY) WITHDIST WITHHASH WITHCOORD: the member lists in the same
    order, distances at 4 decimals, hashes, coordinates at Redis's precision;
  * some of them as GEOSEARCHSTORE (with and without STOREDIST): the count
    and the stored set;
  * error replies (a member that is not there, negative radius, COUNT 0).

Usage: geo_set_diff.py --redis-port P --dsn DSN [--points 12000]
                       [--queries 2500] [--seed 20261205] [--compare-only]
Prints a summary line "points: N, searches: N, ..., mismatches: 0".  Exit
status 0 when every reply was equal, 1 on a mismatch, 2 on a setup failure.
Requires Debian's python3-psycopg2 and python3-redis.
"""

import argparse
import math
import random
import sys

import psycopg2
import redis

LAT_MAX = 85.05112878
KEY = 'geo:diff'
UNITS = {'m': 1.0, 'km': 1000.0, 'mi': 1609.34, 'ft': 0.3048}


def human_ld(v):
    """Redis's addReplyHumanLongDouble of a double: %.17Lf, zeros trimmed."""
    s = '%.17f' % v
    if '.' in s:
        s = s.rstrip('0')
        if s.endswith('.'):
            s = s[:-1]
    if s == '-0':
        s = '0'
    return s


def dist4(d):
    """Redis's addReplyDoubleDistance: fixedpoint_d2string(d, 4)."""
    if d == 0:
        return '0.0000'
    n = int(round(d * 10000.0))     # llrint, round half to even
    sign = '-' if n < 0 else ''
    a = abs(n)
    return '%s%d.%04d' % (sign, a // 10000, a % 10000)


def rnd_lat(r):
    return r.uniform(-LAT_MAX, LAT_MAX)


def make_points(r, n):
    """n (lon, lat) pairs; the mix described in the module docstring."""
    pts = []
    clusters = [(r.uniform(-180, 180), rnd_lat(r)) for _ in range(30)]
    # a few clusters exactly on the special lines
    clusters += [(180.0, 0.0), (-180.0, 10.0), (0.0, 0.0), (0.0, LAT_MAX - 0.001),
                 (179.999, -LAT_MAX + 0.001), (-0.0005, 0.0005)]
    while len(pts) < n:
        kind = r.random()
        if kind < 0.25:
            p = (r.uniform(-180, 180), rnd_lat(r))
        elif kind < 0.40:
            # near the latitude limits (some exactly on them)
            lat = LAT_MAX - abs(r.gauss(0, 0.3))
            if r.random() < 0.05:
                lat = LAT_MAX
            lat = min(lat, LAT_MAX)
            p = (r.uniform(-180, 180), lat if r.random() < 0.5 else -lat)
        elif kind < 0.55:
            # near the antimeridian (some exactly on it)
            lon = 180 - abs(r.gauss(0, 0.3))
            if r.random() < 0.05:
                lon = 180.0
            p = (lon if r.random() < 0.5 else -lon, rnd_lat(r))
        elif kind < 0.65:
            # near (0, 0), the equator and the prime meridian
            a = r.gauss(0, 0.2)
            b = r.gauss(0, 0.2) if r.random() < 0.7 else r.uniform(-80, 80)
            if r.random() < 0.05:
                a = 0.0
            if r.random() < 0.05:
                b = 0.0
            p = (a, b) if r.random() < 0.5 else (b, a)
        elif kind < 0.95:
            # dense clusters: metres to kilometres apart
            cx, cy = r.choice(clusters)
            spread = r.choice([0.00001, 0.0001, 0.001, 0.01, 0.1])
            lon = cx + r.gauss(0, spread)
            lat = cy + r.gauss(0, spread)
            if r.random() < 0.4:
                # on a grid around the centre: equal positions and equal distances
                g = spread * 2
                lon = cx + round((lon - cx) / g) * g
                lat = cy + round((lat - cy) / g) * g
            if lon > 180:
                lon -= 360
            if lon < -180:
                lon += 360
            p = (lon, max(-LAT_MAX, min(LAT_MAX, lat)))
        else:
            # the same position as an earlier point (distance ties)
            p = r.choice(pts) if pts else (0.0, 0.0)
        pts.append(p)
    return pts


class Diff:
    def __init__(self, args):
        self.args = args
        self.r = redis.Redis(host='127.0.0.1', port=args.redis_port, decode_responses=True)
        for c in ('GEOSEARCH', 'GEOSEARCHSTORE', 'GEOPOS', 'GEODIST', 'GEOHASH', 'GEOADD',
                  'ZRANGE'):
            self.r.set_response_callback(c, lambda x, **kw: x)
        self.pg = psycopg2.connect(args.dsn)
        self.pg.autocommit = True
        self.cur = self.pg.cursor()
        self.mismatches = 0
        self.compared = 0
        self.stats = {}

    def count(self, what, n=1):
        self.stats[what] = self.stats.get(what, 0) + n

    def mismatch(self, what, redis_reply, sk_reply):
        self.mismatches += 1
        if self.mismatches <= 20:
            print('MISMATCH %s\n  redis:    %r\n  streamkv: %r' % (what, redis_reply, sk_reply))

    def check(self, what, redis_reply, sk_reply):
        self.compared += 1
        if redis_reply != sk_reply:
            self.mismatch(what, redis_reply, sk_reply)

    # ---------------------------------------------------------------- load
    def load(self, pts):
        self.r.delete(KEY)
        self.cur.execute('SELECT streamkv.del(%s)', (KEY,))
        members = ['p%d' % i for i in range(len(pts))]
        half = len(pts) // 2
        radded = 0
        for i in range(0, len(pts), 500):
            args = []
            for j in range(i, min(i + 500, len(pts))):
                args += [repr(pts[j][0]), repr(pts[j][1]), members[j]]
            radded += self.r.execute_command('GEOADD', KEY, *args)
        sadded = 0
        for i in range(0, half, 500):
            j = min(i + 500, half)
            self.cur.execute('SELECT streamkv.geoadd(%s, %s::float8[], %s::float8[], %s::text[])',
                             (KEY, [p[0] for p in pts[i:j]], [p[1] for p in pts[i:j]],
                              members[i:j]))
            sadded += self.cur.fetchone()[0]
        self.cur.execute('SELECT streamkv.geoadd_agg(%s, lon, lat, m) '
                         'FROM unnest(%s::float8[], %s::float8[], %s::text[]) u(lon, lat, m)',
                         (KEY, [p[0] for p in pts[half:]], [p[1] for p in pts[half:]],
                          members[half:]))
        sadded += self.cur.fetchone()[0]
        self.check('GEOADD count', radded, sadded)
        self.count('points', len(pts))
        # the sets themselves
        self.compare_sets()
        return members

    def compare_sets(self):
        rz = self.r.execute_command('ZRANGE', KEY, 0, -1, 'WITHSCORES')
        rz = [(rz[i], float(rz[i + 1])) for i in range(0, len(rz), 2)]
        self.cur.execute('SELECT member, score FROM streamkv.zrange(%s, 0, -1)', (KEY,))
        self.check('ZRANGE WITHSCORES', rz, [(m, s) for m, s in self.cur.fetchall()])

    # --------------------------------------------------- per-member replies
    def per_member(self, members, rng):
        for i in range(0, len(members), 500):
            ms = members[i:i + 500] + ['absent%d' % i]
            rp = self.r.execute_command('GEOPOS', KEY, *ms)
            rp = [None if p is None else (p[0], p[1]) for p in rp]
            self.cur.execute('SELECT lon, lat FROM streamkv.geopos(%s, VARIADIC %s::text[])',
                             (KEY, ms))
            sp = [None if lon is None else (human_ld(lon), human_ld(lat))
                  for lon, lat in self.cur.fetchall()]
            self.check('GEOPOS %s..' % ms[0], rp, sp)
            self.count('geopos', len(ms))
            rh = self.r.execute_command('GEOHASH', KEY, *ms)
            self.cur.execute('SELECT streamkv.geohash(%s, VARIADIC %s::text[])', (KEY, ms))
            self.check('GEOHASH %s..' % ms[0], rh, self.cur.fetchone()[0])
            self.count('geohash', len(ms))
        # GEODIST from every member to another one
        pairs = [(m, rng.choice(members), rng.choice(list(UNITS))) for m in members]
        pairs.append((members[0], 'absent', 'km'))
        pipe = self.r.pipeline(transaction=False)
        for a, b, u in pairs:
            pipe.execute_command('GEODIST', KEY, a, b, u)
        rd = pipe.execute()
        self.cur.execute('SELECT streamkv.geodist(%s, a, b, u) FROM unnest(%s::text[], %s::text[], '
                         '%s::text[]) WITH ORDINALITY x(a, b, u, o) ORDER BY o',
                         (KEY, [p[0] for p in pairs], [p[1] for p in pairs],
                          [p[2] for p in pairs]))
        sd = [None if d is None else dist4(d) for (d,) in self.cur.fetchall()]
        for k, (a, b, u) in enumerate(pairs):
            self.check('GEODIST %s %s %s' % (a, b, u), rd[k], sd[k])
        self.count('geodist', len(pairs))

    # ------------------------------------------------------------ searches
    def random_query(self, rng, pts, members):
        q = {}
        if rng.random() < 0.4:
            q['member'] = rng.choice(members)
        else:
            if rng.random() < 0.5:
                lon, lat = rng.choice(pts)
                lon = max(-180.0, min(180.0, lon + rng.gauss(0, 0.01)))
                lat = max(-LAT_MAX, min(LAT_MAX, lat + rng.gauss(0, 0.01)))
            else:
                lon, lat = make_points(rng, 1)[0]
            q['lon'], q['lat'] = lon, lat
        unit = rng.choice(list(UNITS))
        q['unit'] = unit
        # 1 m to 5,000 km, log-uniform, written in the unit with 6 significant
        # digits; a few huge ones (to 20,000 km: neighbours repeat, steps bottom out)
        def length():
            top = 2.0e7 if rng.random() < 0.04 else 5.0e6
            m = math.exp(rng.uniform(math.log(1.0), math.log(top)))
            return float('%.6g' % (m / UNITS[unit]))
        if rng.random() < 0.5:
            q['radius'] = length()
        else:
            q['width'], q['height'] = length(), length()
            if rng.random() < 0.2:
                q['height'] = q['width']
        q['sort'] = rng.choice([None, 'asc', 'desc'])
        if rng.random() < 0.5:
            q['count'] = rng.choice([1, 2, 3, 5, 10, 50, 200, 100000])
            q['any'] = rng.random() < 0.5
        else:
            q['count'] = None
            q['any'] = False
        return q

    def redis_args(self, q):
        a = []
        if 'member' in q:
            a += ['FROMMEMBER', q['member']]
        else:
            a += ['FROMLONLAT', repr(q['lon']), repr(q['lat'])]
        if 'radius' in q:
            a += ['BYRADIUS', repr(q['radius']), q['unit']]
        else:
            a += ['BYBOX', repr(q['width']), repr(q['height']), q['unit']]
        if q['sort']:
            a.append(q['sort'].upper())
        if q['count'] is not None:
            a += ['COUNT', str(q['count'])]
            if q['any']:
                a.append('ANY')
        return a

    def sql_args(self, q):
        return (q.get('member'), q.get('lon'), q.get('lat'), q.get('radius'), q.get('width'),
                q.get('height'), q['unit'], q['sort'], q['count'], q['any'])

    SEARCH = ('SELECT member, dist, hash, lon, lat FROM streamkv.geosearch(%s, %s, %s, %s, %s, '
              '%s, %s, %s, %s, %s, %s)')
    STORE = ('SELECT streamkv.geosearchstore(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)')

    def search(self, q):
        what = 'GEOSEARCH %s' % ' '.join(self.redis_args(q))
        rr = self.r.execute_command('GEOSEARCH', KEY, *self.redis_args(q),
                                    'WITHDIST', 'WITHHASH', 'WITHCOORD')
        rr = [(x[0], x[1], int(x[2]), x[3][0], x[3][1]) for x in rr]
        self.cur.execute(self.SEARCH, (KEY,) + self.sql_args(q))
        sr = [(m, dist4(d), h, human_ld(lon), human_ld(lat))
              for m, d, h, lon, lat in self.cur.fetchall()]
        self.check(what, rr, sr)
        self.count('searches')
        self.count('results', len(rr))
        self.count('box' if 'width' in q else 'radius')
        self.count('from_member' if 'member' in q else 'from_lonlat')
        self.count('sort_%s' % q['sort'])
        if q['count'] is not None:
            self.count('count_any' if q['any'] else 'count')
            if len(rr) == q['count']:
                self.count('count_cut')

    def store(self, q, storedist):
        what = 'GEOSEARCHSTORE %s%s' % (' '.join(self.redis_args(q)),
                                        ' STOREDIST' if storedist else '')
        dst = 'geo:dst'
        rn = self.r.execute_command('GEOSEARCHSTORE', dst, KEY, *self.redis_args(q),
                                    *(['STOREDIST'] if storedist else []))
        self.cur.execute(self.STORE, (dst, KEY) + self.sql_args(q) + (storedist,))
        self.check(what, rn, self.cur.fetchone()[0])
        rz = self.r.execute_command('ZRANGE', dst, 0, -1, 'WITHSCORES')
        rz = [(rz[i], float(rz[i + 1])) for i in range(0, len(rz), 2)]
        self.cur.execute('SELECT member, score FROM streamkv.zrange(%s, 0, -1)', (dst,))
        self.check(what + ' (stored set)', rz, [(m, s) for m, s in self.cur.fetchall()])
        self.count('stores')

    def errors(self, members):
        cases = [
            (['FROMMEMBER', 'no-such-member', 'BYRADIUS', '1', 'km'],
             {'member': 'no-such-member', 'radius': 1.0, 'unit': 'km'}, '42704'),
            (['FROMLONLAT', '0', '0', 'BYRADIUS', '-1', 'km'],
             {'lon': 0.0, 'lat': 0.0, 'radius': -1.0, 'unit': 'km'}, '22023'),
            (['FROMLONLAT', '0', '0', 'BYBOX', '1', '-1', 'km'],
             {'lon': 0.0, 'lat': 0.0, 'width': 1.0, 'height': -1.0, 'unit': 'km'}, '22023'),
            (['FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'COUNT', '0'],
             {'lon': 0.0, 'lat': 0.0, 'radius': 1.0, 'unit': 'km', 'count': 0}, '22023'),
            (['FROMLONLAT', '0', '86', 'BYRADIUS', '1', 'km'],
             {'lon': 0.0, 'lat': 86.0, 'radius': 1.0, 'unit': 'km'}, '22023'),
            (['FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'yd'],
             {'lon': 0.0, 'lat': 0.0, 'radius': 1.0, 'unit': 'yd'}, '22023'),
        ]
        for rargs, q, state in cases:
            q.setdefault('sort', None)
            q.setdefault('count', None)
            q.setdefault('any', False)
            try:
                self.r.execute_command('GEOSEARCH', KEY, *rargs)
                rerr = None
            except redis.ResponseError as e:
                rerr = str(e)
                if rerr.startswith('ERR '):
                    rerr = rerr[4:]
            try:
                self.cur.execute(self.SEARCH, (KEY,) + self.sql_args(q))
                serr, scode = None, None
            except psycopg2.Error as e:
                serr, scode = e.diag.message_primary, e.pgcode
            self.compared += 1
            if rerr is None or serr is None or scode != state or not rerr.startswith(serr.split(' %')[0][:20]):
                self.mismatch('error %s' % ' '.join(rargs), rerr, (scode, serr))
            self.count('errors')

    def run(self):
        rng = random.Random(self.args.seed)
        pts = make_points(rng, self.args.points)
        if self.args.compare_only:
            members = ['p%d' % i for i in range(len(pts))]
            self.compare_sets()
            self.count('points', len(pts))
        else:
            members = self.load(pts)
            self.per_member(members, rng)
        for i in range(self.args.queries):
            q = self.random_query(rng, pts, members)
            self.search(q)
            if i % 10 == 0:
                self.store(q, storedist=(i % 20 == 0))
        self.errors(members)
        print('points: %d, searches: %d, results: %d, stores: %d, geopos: %d, geohash: %d, '
              'geodist: %d, errors: %d, comparisons: %d, mismatches: %d'
              % (self.stats.get('points', 0), self.stats.get('searches', 0),
                 self.stats.get('results', 0), self.stats.get('stores', 0),
                 self.stats.get('geopos', 0), self.stats.get('geohash', 0),
                 self.stats.get('geodist', 0), self.stats.get('errors', 0),
                 self.compared, self.mismatches))
        print('mix: ' + ', '.join('%s=%d' % kv for kv in sorted(self.stats.items())))
        return 0 if self.mismatches == 0 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--redis-port', type=int, required=True)
    ap.add_argument('--dsn', required=True)
    ap.add_argument('--points', type=int, default=12000)
    ap.add_argument('--queries', type=int, default=2500)
    ap.add_argument('--seed', type=int, default=20261205)
    ap.add_argument('--compare-only', action='store_true',
                    help='load nothing: compare the sets, then search')
    args = ap.parse_args()
    try:
        d = Diff(args)
    except Exception as e:          # noqa: BLE001
        print('setup failed: %s' % e)
        return 2
    return d.run()


if __name__ == '__main__':
    sys.exit(main())
