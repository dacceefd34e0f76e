#!/usr/bin/python3
"""Differential test of streamkv's sorted sets against a real redis-server.

Applies one fixed-seed random sequence of sorted-set operations (every ZSET
command and option of the SQL API, plus the generic keyspace commands on zset
keys) to redis-server and to streamkv (PostgreSQL, schema streamkv) and
compares every reply:

  * integers, booleans (EXPIRE/PERSIST 1/0 <-> boolean), nil <-> NULL;
  * scores as doubles (Redis replies with strings, parsed with float();
    'inf'/'-inf'; -0 equals 0);
  * ranges, pops, ZUNION/ZINTER/ZDIFF as ordered lists of (member, score);
    BYLEX ranges (Redis has no WITHSCORES there) by member, the scores of the
    SQL rows checked against ZMSCORE;
  * ZRANDMEMBER by its properties only (row count, membership with the right
    score, distinctness for a positive count);
  * ZSCAN by a full iteration on both sides, compared as sets;
  * an error in Redis must be an error in streamkv; for the errors the API
    names the SQLSTATE must match (WRONGTYPE 42809 with Redis's wording, bad
    float or bound and incompatible flags 22023, NaN result 22003), other
    errors only need to be errors on both sides (their SQLSTATEs are listed in
    the summary). When Redis answers WRONGTYPE and streamkv refuses an
    argument (aggregate, weights, LIMIT) of the same call, both refused for
    different reasons (Redis looks the keys up first): noted in the summary,
    not a mismatch. A score that is not a float8 at all ('1x') fails in
    PostgreSQL's cast (22P02) before streamkv sees it: any Redis error matches.
  * inputs Redis accepts only by accident are generated with --quirks alone:
    the score bounds '' and '(' (strtod reads them as 0) and LIMIT off -1 on a
    rank range (Redis ignores the offset).

Keys: z0..z19 hold sorted sets with scores from a small pool (ties, -0, +-inf,
1e300), z0..z3 with a member pool of 300 so that Redis converts them from
listpack to skiplist; l0..l4 hold sets whose scores are all 0 (or -0), the
only keys lexicographic ranges are asked of (Redis leaves BYLEX unspecified
when scores differ); str0, str1 (strings) and hash0 (a hash) make WRONGTYPE
(lstr for lex commands), and `nokey` is never written. Store commands overwrite destinations of any
type. Real expiry is exercised in separate timed steps (pexpire 150 ms, sleep
400 ms); FLUSHDB runs once, half way; the whole keyspace is compared every
2,500 operations and at the end.

Usage: zset_diff.py --redis-port P --dsn 'host=... port=... dbname=...'
                    [--ops 50000] [--seed 20261205] [--compare-only]
                    [--keep-going N] [--quirks] [--skip op,...] [-v]
                    [--redis-only]   (checks the generated commands on Redis alone)
Exit status 0 when every reply was equal, 1 on a mismatch (the first one
stops the run unless --keep-going N, which resynchronises the keys involved
from Redis and goes on until N mismatches), 2 on a setup failure.
Requires Debian's python3-psycopg2 and python3-redis.
"""

import argparse
import random
import sys
import time

import psycopg2
import redis

ZKEYS = ['z%d' % i for i in range(20)]
BIGZ = set(ZKEYS[:4])
LKEYS = ['l%d' % i for i in range(5)]
WKEYS = ['str0', 'str1', 'hash0']
LWRONG = 'lstr'     # the wrong-type key of lex commands: always a string (WKEYS can become
                    # sorted sets with mixed scores, where BYLEX is unspecified)
MISSING = 'nokey'
ALLKEYS = ZKEYS + LKEYS + WKEYS + [LWRONG, MISSING]

SPECIAL_MEMBERS = ['', 'A', 'a', 'ab', 'a b', '\u00e9', '\u00fc\u00fc', '\x7f', 'x' * 70, 'm1\u20ac']
SMALL_POOL = ['m%d' % i for i in range(30)] + SPECIAL_MEMBERS
BIG_POOL = ['m%d' % i for i in range(300)] + SPECIAL_MEMBERS
LEX_POOL = ['', 'a', 'aa', 'ab', 'abc', 'b', 'ba', 'bb', 'c', 'ca', 'd', 'A', 'B', 'Z', '0', '9',
            '\u00e9', '\u00e9a', '\u00fc', '\x7f', 'zz', 'zzz', 'm1', 'm10', 'm2', 'a b', '-', '+', '[', '(']

SCORES = ['0', '-0', '1', '-1', '2', '2.5', '-2.5', '3', '10', '-10', '0.1', '1.5', '7', '-7',
          '100', '1e300', '-1e300', 'inf', '-inf', '+inf', '0.30000000000000004', '5e-324',
          '1.7976931348623157e308', '42', '3', '1', '2', '0']
BAD_SCORES = ['nan', 'abc', '', '1x']
INCRS = ['1', '-1', '0.5', '2.5', '0.1', '-0.1', '10', '0', '-0', '1e308', '-1e308', '1e300',
         'inf', '-inf', '3', '-2']
SCORE_BOUNDS = ['-inf', '+inf', 'inf', '(-inf', '(+inf', '0', '(0', '-0', '(-0', '1', '(1', '2',
                '(2', '2.5', '(2.5', '-1', '(-1', '3', '(3', '10', '(10', '-2.5', '7', '(7',
                '100', '1e300', '(1e300', '-1e300', '1.5', '(1.5', '5e-324', '0.1', '(0.1']
BAD_SCORE_BOUNDS = ['abc', 'nan', '(nan', '[1', '1x', '((1', '(abc']
ODD_SCORE_BOUNDS = [' 1', '+1', '1e1', '(+2', ' (1']
# Redis quirks, generated only with --quirks (streamkv refuses these inputs, Redis accepts them):
#  * score bounds are parsed with strtod, which only has to stop at the end of the string: ''
#    reads as 0 and '(' as an exclusive 0;
#  * ZRANGESTORE/ZRANGE by rank refuse LIMIT only when its count is not -1: LIMIT 5 -1 is
#    accepted and its offset ignored.
EMPTY_SCORE_BOUNDS = ['', '(']
LEX_BOUNDS = ['-', '+'] + ['[' + m for m in LEX_POOL[:24]] + ['(' + m for m in LEX_POOL[:24]] + ['[', '(']
BAD_LEX_BOUNDS = ['a', '', '+a', '-a', 'b[']
RANKS = [-1000, -200, -100, -10, -5, -3, -2, -1, 0, 0, 1, 2, 3, 4, 5, 9, 10, 50, 100, 300, 1000,
         9223372036854775807, -9223372036854775808]
OFFSETS = [0, 0, 0, 1, 2, 3, 5, 10, 100, -1, -5]
COUNTS = [-1, -1, -5, 0, 1, 2, 3, 5, 10, 1000]
WEIGHTS = ['1', '2', '0', '-1', '0.5', '-0', '10', 'inf', '-inf', '1.5']
AGGREGATES = ['sum', 'min', 'max', 'sum', 'min', 'max', 'SUM', 'Max', 'mIn']
MATCHES = [None, None, '*', 'm1*', 'm?', '*5', '[ab]*', 'a*', 'nomatch*', 'm2?']

# Redis error text -> (SQLSTATEs streamkv may use, strict). Strict ones are the
# errors the SQL API specifies; for the others any error is accepted (both
# sides refused) and the pair is listed in the summary.
ERROR_MAP = [
    ('WRONGTYPE', {'42809'}, True),
    ('resulting score is not a number', {'22003'}, True),
    ('min or max is not a float', {'22023'}, True),
    ('min or max not valid string range item', {'22023'}, True),
    ('not compatible', {'22023'}, True),
    # a score that is not a float8 at all ('abc') fails in PostgreSQL's own cast: 22P02
    ('value is not a valid float', {'22023', '22P02'}, True),
    ('weight value is not a float', {'22023', '22P02'}, False),
    ('value is out of range', {'22023', '22003'}, False),
    ('value is not an integer', {'22023', '22003', '22P02'}, False),
    ("can't be negative", {'22023', '22003'}, False),
    ('at least 1 input key', {'22023', '2202E'}, False),
    ('syntax error', {'22023', '42601'}, False),
    ('wrong number of arguments', {'22023', '2202E', '22004'}, False),
]


def classify_error(msg):
    for needle, codes, strict in ERROR_MAP:
        if needle in msg:
            return codes, strict
    return None, False


def dec(b):
    if b is None:
        return None
    if isinstance(b, bytes):
        return b.decode('utf-8', 'surrogateescape')
    return b


def fl(b):
    """A Redis score reply (bulk string) as a double."""
    if b is None:
        return None
    return float(dec(b))


def pairs(flat):
    return [(dec(flat[i]), fl(flat[i + 1])) for i in range(0, len(flat), 2)]


def same_float(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b       # -0 == 0; inf == inf


def same_pairs(a, b):
    if len(a) != len(b):
        return False
    return all(x[0] == y[0] and same_float(x[1], y[1]) for x, y in zip(a, b))


class Op:
    __slots__ = ('name', 'redis', 'sql', 'params', 'kind', 'text', 'keys', 'extra')

    def __init__(self, name, redis_args, sql, params, kind, keys=(), extra=None):
        self.name = name
        self.redis = [str(a) for a in redis_args]
        self.sql = sql
        # integers travel as quoted literals: psycopg2 writes -9223372036854775808 bare, and
        # -9223372036854775808::bigint is -(9223372036854775808::bigint), out of range
        self.params = [str(p) if isinstance(p, int) and not isinstance(p, bool) else p
                       for p in params]
        self.kind = kind          # how to normalise and compare the replies
        self.keys = list(keys)    # keys involved (for the report and resync)
        self.extra = extra
        self.text = ' '.join(repr(a) if (a == '' or ' ' in a or not a.isprintable()) else a
                             for a in self.redis)


def flags_sql(flags):
    return ''.join(', %s => true' % f for f in flags)


class Gen:
    def __init__(self, seed, quirks=False):
        self.r = random.Random(seed)
        self.quirks = quirks
        self.odd_bounds = ODD_SCORE_BOUNDS + (EMPTY_SCORE_BOUNDS if quirks else [])

    # ---- choices ----------------------------------------------------------
    def p(self, x):
        return self.r.random() < x

    def zkey(self):
        """A key for score writes: a score set (the large ones more often), now
        and then a wrong-type key."""
        x = self.r.random()
        if x < 0.03:
            return self.r.choice(WKEYS)
        if x < 0.33:
            return self.r.choice(sorted(BIGZ))
        return self.r.choice(ZKEYS)

    def rkey(self):
        """A key for reads and removals: any key."""
        x = self.r.random()
        if x < 0.04:
            return self.r.choice(WKEYS)
        if x < 0.06:
            return MISSING
        if x < 0.16:
            return self.r.choice(LKEYS)
        return self.r.choice(ZKEYS)

    def lkey(self, write=False):
        x = self.r.random()
        if x < 0.03:
            return LWRONG
        if x < 0.05 and not write:
            return MISSING
        return self.r.choice(LKEYS)

    def dstkey(self):
        x = self.r.random()
        if x < 0.03:
            return self.r.choice(WKEYS)
        return self.r.choice(ZKEYS)

    def srckeys(self, lo=1, hi=4):
        return [self.rkey() for _ in range(self.r.randint(lo, hi))]

    def member(self, key):
        if key in LKEYS:
            return self.r.choice(LEX_POOL)
        return self.r.choice(BIG_POOL if key in BIGZ else SMALL_POOL)

    def score(self):
        return self.r.choice(SCORES)

    def score_maybe_bad(self):
        return self.r.choice(BAD_SCORES) if self.p(0.01) else self.score()

    def sbound(self):
        x = self.r.random()
        if x < 0.015:
            return self.r.choice(BAD_SCORE_BOUNDS)
        if x < 0.025:
            return self.r.choice(self.odd_bounds)
        return self.r.choice(SCORE_BOUNDS)

    def sbounds(self):
        """(min, max), usually ordered."""
        a, b = self.sbound(), self.sbound()
        if self.p(0.8):
            try:
                fa, fb = float(a.lstrip('(')), float(b.lstrip('('))
                if fa > fb:
                    a, b = b, a
            except ValueError:
                pass
        return a, b

    def lbound(self):
        if self.p(0.015):
            return self.r.choice(BAD_LEX_BOUNDS)
        return self.r.choice(LEX_BOUNDS)

    def lbounds(self):
        a, b = self.lbound(), self.lbound()

        def rank(x):
            if x == '-':
                return (0, b'')
            if x == '+':
                return (2, b'')
            return (1, x[1:].encode())
        if self.p(0.8) and a[:1] in '-+[(' and b[:1] in '-+[(' and a and b:
            if rank(a) > rank(b):
                a, b = b, a
        return a, b

    def rank(self):
        return self.r.choice(RANKS)

    def limit(self):
        """None (no LIMIT) or (offset, count)."""
        if self.p(0.5):
            return None
        return (self.r.choice(OFFSETS), self.r.choice(COUNTS))

    def zadd_flags(self, incr=False):
        x = self.r.random()
        if x < 0.35:
            return []
        if x < 0.45 and not incr:
            return ['ch']
        names = ['nx', 'xx', 'gt', 'lt'] + ([] if incr else ['ch'])
        if x < 0.88:
            # a valid combination: [NX|XX] [GT|LT] [CH], NX never with GT/LT
            f = []
            y = self.r.random()
            if y < 0.3:
                f.append('nx')
            elif y < 0.6:
                f.append('xx')
            if 'nx' not in f and self.p(0.6):
                f.append(self.r.choice(['gt', 'lt']))
            if not incr and self.p(0.4):
                f.append('ch')
            return f
        # any subset, the invalid ones (nx+xx, gt+lt, nx+gt/lt) included
        return [f for f in names if self.p(0.5)]

    # ---- the operation mix ------------------------------------------------
    MIX = [
        ('zadd', 10), ('zadd_multi', 6), ('zadd_incr', 4), ('zincrby', 5), ('zadd_lex', 5),
        ('zadd_agg', 1), ('zrem', 4), ('zcard', 2), ('zscore', 3), ('zmscore', 2), ('zrank', 2),
        ('zrevrank', 2), ('zcount', 3), ('zlexcount', 2), ('zrange', 4), ('zrevrange', 3),
        ('zrangebyscore', 4), ('zrevrangebyscore', 3), ('zrangebylex', 3), ('zrevrangebylex', 2),
        ('zrangestore', 3), ('zpopmin', 2), ('zpopmax', 2), ('zrandmember', 2),
        ('zremrangebyrank', 1), ('zremrangebyscore', 1), ('zremrangebylex', 1),
        ('zunionstore', 2), ('zinterstore', 2), ('zdiffstore', 1.5), ('zunion', 1.5),
        ('zinter', 1.5), ('zdiff', 1), ('zintercard', 1.5), ('zscan', 1), ('bzpopmin', 0.6),
        ('bzpopmax', 0.6), ('type', 1), ('exists', 1), ('del', 0.6), ('expire', 0.6),
        ('ttl', 0.6), ('persist', 0.4), ('set', 0.4), ('hset', 0.2), ('set_over', 0.15),
        ('keys', 0.2), ('scan', 0.2), ('dbsize', 0.2),
    ]

    def op(self):
        names = [n for n, _ in self.MIX]
        weights = [w for _, w in self.MIX]
        name = self.r.choices(names, weights)[0]
        return getattr(self, 'op_' + name)()

    # ---- writes -----------------------------------------------------------
    def op_zadd(self):
        k = self.zkey()
        m, s = self.member(k), self.score_maybe_bad()
        fl_ = self.zadd_flags()
        red = ['ZADD', k] + [f.upper() for f in fl_] + [s, m]
        sql = 'SELECT streamkv.zadd(%%s, %%s::float8, %%s%s)' % flags_sql(fl_)
        return Op('zadd', red, sql, [k, s, m], 'int', [k])

    def op_zadd_multi(self, k=None, lex=False):
        k = k or self.zkey()
        n = self.r.randint(1, 30 if k in BIGZ else 8)
        ms = [self.member(k) for _ in range(n)]
        if lex:
            ss = [self.r.choice(['0', '0', '-0']) for _ in range(n)]
        else:
            ss = [self.score() for _ in range(n)]
            if self.p(0.02):
                ss[self.r.randrange(n)] = self.r.choice(BAD_SCORES)
        fl_ = self.zadd_flags()
        red = ['ZADD', k] + [f.upper() for f in fl_]
        for s, m in zip(ss, ms):
            red += [s, m]
        sql = 'SELECT streamkv.zadd(%%s, %%s::float8[], %%s::text[]%s)' % flags_sql(fl_)
        return Op('zadd', red, sql, [k, ss, ms], 'int', [k])

    def op_zadd_lex(self):
        k = self.lkey(write=True)
        if self.p(0.15):
            # INCR by 0 keeps the set lex-pure
            m = self.member(k)
            fl_ = self.zadd_flags(incr=True)
            inc = self.r.choice(['0', '-0'])
            red = ['ZADD', k] + [f.upper() for f in fl_] + ['INCR', inc, m]
            sql = 'SELECT streamkv.zadd_incr(%%s, %%s::float8, %%s%s)' % flags_sql(fl_)
            return Op('zadd_incr', red, sql, [k, inc, m], 'float', [k])
        return self.op_zadd_multi(k, lex=True)

    def op_zadd_incr(self):
        k = self.zkey()
        m = self.member(k)
        inc = self.r.choice(INCRS) if not self.p(0.01) else self.r.choice(BAD_SCORES)
        fl_ = self.zadd_flags(incr=True)
        red = ['ZADD', k] + [f.upper() for f in fl_] + ['INCR', inc, m]
        sql = 'SELECT streamkv.zadd_incr(%%s, %%s::float8, %%s%s)' % flags_sql(fl_)
        return Op('zadd_incr', red, sql, [k, inc, m], 'float', [k])

    def op_zincrby(self):
        k = self.zkey()
        m = self.member(k)
        inc = self.r.choice(INCRS) if not self.p(0.01) else self.r.choice(BAD_SCORES)
        return Op('zincrby', ['ZINCRBY', k, inc, m],
                  'SELECT streamkv.zincrby(%s, %s::float8, %s)', [k, inc, m], 'float', [k])

    def op_zadd_agg(self):
        k = self.zkey()
        n = self.r.randint(1, 300 if k in BIGZ else 40)
        ms = [self.member(k) for _ in range(n)]
        ss = [self.score() for _ in range(n)]
        red = ['ZADD', k]
        for s, m in zip(ss, ms):
            red += [s, m]
        sql = ('SELECT streamkv.zadd_agg(%s, s, m ORDER BY i) FROM '
               'unnest(%s::float8[], %s::text[]) WITH ORDINALITY AS t(s, m, i)')
        return Op('zadd_agg', red, sql, [k, ss, ms], 'int', [k])

    def op_zrem(self):
        k = self.rkey()
        ms = [self.member(k) for _ in range(self.r.randint(1, 5))]
        return Op('zrem', ['ZREM', k] + ms, 'SELECT streamkv.zrem(%s, VARIADIC %s::text[])',
                  [k, ms], 'int', [k])

    # ---- point reads --------------------------------------------------------
    def op_zcard(self):
        k = self.rkey()
        return Op('zcard', ['ZCARD', k], 'SELECT streamkv.zcard(%s)', [k], 'int', [k])

    def op_zscore(self):
        k = self.rkey()
        m = self.member(k)
        return Op('zscore', ['ZSCORE', k, m], 'SELECT streamkv.zscore(%s, %s)', [k, m], 'float', [k])

    def op_zmscore(self):
        k = self.rkey()
        ms = [self.member(k) for _ in range(self.r.randint(1, 5))]
        return Op('zmscore', ['ZMSCORE', k] + ms, 'SELECT streamkv.zmscore(%s, VARIADIC %s::text[])',
                  [k, ms], 'floats', [k])

    def op_zrank(self, rev=False):
        k = self.rkey()
        m = self.member(k)
        name = 'zrevrank' if rev else 'zrank'
        return Op(name, [name.upper(), k, m], 'SELECT streamkv.%s(%%s, %%s)' % name, [k, m], 'int', [k])

    def op_zrevrank(self):
        return self.op_zrank(rev=True)

    def op_zcount(self):
        k = self.rkey()
        a, b = self.sbounds()
        return Op('zcount', ['ZCOUNT', k, a, b], 'SELECT streamkv.zcount(%s, %s, %s)', [k, a, b], 'int', [k])

    def op_zlexcount(self):
        k = self.lkey()
        a, b = self.lbounds()
        return Op('zlexcount', ['ZLEXCOUNT', k, a, b], 'SELECT streamkv.zlexcount(%s, %s, %s)',
                  [k, a, b], 'int', [k])

    # ---- ranges -------------------------------------------------------------
    def op_zrange(self, rev=False):
        k = self.rkey()
        a, b = self.rank(), self.rank()
        name = 'zrevrange' if rev else 'zrange'
        return Op(name, [name.upper(), k, a, b, 'WITHSCORES'],
                  'SELECT member, score FROM streamkv.%s(%%s, %%s::bigint, %%s::bigint)' % name,
                  [k, a, b], 'pairs', [k])

    def op_zrevrange(self):
        return self.op_zrange(rev=True)

    def _limit_sql(self, lim, red, params):
        if lim is None:
            return ''
        red += ['LIMIT', lim[0], lim[1]]
        params += [lim[0], lim[1]]
        return ', "offset" => %s::bigint, count => %s::bigint'

    def op_zrangebyscore(self, rev=False):
        k = self.rkey()
        lo, hi = self.sbounds()
        a, b = (hi, lo) if rev else (lo, hi)
        name = 'zrevrangebyscore' if rev else 'zrangebyscore'
        red = [name.upper(), k, a, b, 'WITHSCORES']
        params = [k, a, b]
        lim = self._limit_sql(self.limit(), red, params)
        return Op(name, red, 'SELECT member, score FROM streamkv.%s(%%s, %%s, %%s%s)' % (name, lim),
                  params, 'pairs', [k])

    def op_zrevrangebyscore(self):
        return self.op_zrangebyscore(rev=True)

    def op_zrangebylex(self, rev=False):
        k = self.lkey()
        lo, hi = self.lbounds()
        a, b = (hi, lo) if rev else (lo, hi)
        name = 'zrevrangebylex' if rev else 'zrangebylex'
        red = [name.upper(), k, a, b]
        params = [k, a, b]
        lim = self._limit_sql(self.limit(), red, params)
        return Op(name, red, 'SELECT member, score FROM streamkv.%s(%%s, %%s, %%s%s)' % (name, lim),
                  params, 'lexpairs', [k])

    def op_zrevrangebylex(self):
        return self.op_zrangebylex(rev=True)

    def op_zrangestore(self):
        dst = self.dstkey()
        by = self.r.choice(['rank', 'score', 'lex'])
        rev = self.p(0.4)
        if by == 'rank':
            src = self.rkey()
            a, b = str(self.rank()), str(self.rank())
            if self.p(0.01):
                a = 'x'
            lim = (self.r.choice(OFFSETS), self.r.choice(COUNTS)) if self.p(0.03) else None
            if lim is not None and lim[1] == -1 and lim[0] != 0 and not self.quirks:
                lim = (lim[0], 2)
        elif by == 'score':
            src = self.rkey()
            lo, hi = self.sbounds()
            a, b = (hi, lo) if rev else (lo, hi)
            lim = self.limit()
        else:
            src = self.lkey()
            lo, hi = self.lbounds()
            a, b = (hi, lo) if rev else (lo, hi)
            lim = self.limit()
        red = ['ZRANGESTORE', dst, src, a, b]
        if by != 'rank':
            red.append('BY' + by.upper())
        if rev:
            red.append('REV')
        off, cnt = 0, -1
        if lim is not None:
            off, cnt = lim
            if not (by == 'rank' and lim == (0, -1)):
                red += ['LIMIT', off, cnt]
        sql = ('SELECT streamkv.zrangestore(%s, %s, %s, %s, by => %s, rev => %s, '
               '"offset" => %s::bigint, count => %s::bigint)')
        return Op('zrangestore', red, sql, [dst, src, a, b, by, rev, off, cnt], 'int', [dst, src])

    # ---- pops and random ------------------------------------------------------
    def op_zpopmin(self, name='zpopmin'):
        k = self.rkey()
        c = self.r.choice([None, None, None, 0, 1, 2, 3, 5, 20, -1])
        if c is None:
            return Op(name, [name.upper(), k], 'SELECT member, score FROM streamkv.%s(%%s)' % name,
                      [k], 'pairs', [k])
        return Op(name, [name.upper(), k, c],
                  'SELECT member, score FROM streamkv.%s(%%s, %%s::bigint)' % name, [k, c], 'pairs', [k])

    def op_zpopmax(self):
        return self.op_zpopmin('zpopmax')

    def op_bzpopmin(self, name='bzpopmin'):
        ks = self.srckeys(1, 3)
        return Op(name, [name.upper()] + ks + ['0.01'],
                  'SELECT key, member, score FROM streamkv.%s(%%s::text[], 10)' % name,
                  [ks], 'bzpop', ks)

    def op_bzpopmax(self):
        return self.op_bzpopmin('bzpopmax')

    def op_zrandmember(self):
        k = self.rkey()
        c = self.r.choice([None, None, 0, 1, 2, 3, 5, 10, 1000, -1, -2, -5, -20])
        if c is None:
            return Op('zrandmember', ['ZRANDMEMBER', k],
                      'SELECT member, score FROM streamkv.zrandmember(%s)', [k], 'randmember', [k], c)
        return Op('zrandmember', ['ZRANDMEMBER', k, c, 'WITHSCORES'],
                  'SELECT member, score FROM streamkv.zrandmember(%s, %s::bigint)', [k, c],
                  'randmember', [k], c)

    # ---- range removals -----------------------------------------------------
    def op_zremrangebyrank(self):
        k = self.rkey()
        a, b = self.rank(), self.rank()
        return Op('zremrangebyrank', ['ZREMRANGEBYRANK', k, a, b],
                  'SELECT streamkv.zremrangebyrank(%s, %s::bigint, %s::bigint)', [k, a, b], 'int', [k])

    def op_zremrangebyscore(self):
        k = self.rkey()
        a, b = self.sbounds()
        return Op('zremrangebyscore', ['ZREMRANGEBYSCORE', k, a, b],
                  'SELECT streamkv.zremrangebyscore(%s, %s, %s)', [k, a, b], 'int', [k])

    def op_zremrangebylex(self):
        k = self.lkey()
        a, b = self.lbounds()
        return Op('zremrangebylex', ['ZREMRANGEBYLEX', k, a, b],
                  'SELECT streamkv.zremrangebylex(%s, %s, %s)', [k, a, b], 'int', [k])

    # ---- set operations -------------------------------------------------------
    def _setop_args(self, with_weights=True):
        ks = self.srckeys(1, 4) if not self.p(0.01) else []
        weights = None
        agg = None
        if with_weights:
            if self.p(0.45):
                weights = [self.r.choice(WEIGHTS) for _ in ks]
                if self.p(0.03):
                    weights.append('1')           # wrong number of weights
                elif self.p(0.01) and weights:
                    weights[0] = 'nan'
            if self.p(0.7):
                agg = self.r.choice(AGGREGATES) if not self.p(0.02) else 'avg'
        red = [len(ks)] + ks
        sqlargs = ''
        params = [ks]
        if weights is not None:
            red += ['WEIGHTS'] + weights
            sqlargs += ', weights => %s::float8[]'
            params.append(weights)
        if agg is not None:
            red += ['AGGREGATE', agg]
            sqlargs += ', aggregate => %s'
            params.append(agg)
        return ks, red, sqlargs, params

    def op_zunionstore(self, name='zunionstore'):
        dst = self.dstkey()
        ks, red, sqlargs, params = self._setop_args(name != 'zdiffstore')
        return Op(name, [name.upper(), dst] + red,
                  'SELECT streamkv.%s(%%s, %%s::text[]%s)' % (name, sqlargs), [dst] + params,
                  'int', [dst] + ks)

    def op_zinterstore(self):
        return self.op_zunionstore('zinterstore')

    def op_zdiffstore(self):
        return self.op_zunionstore('zdiffstore')

    def op_zunion(self, name='zunion'):
        ks, red, sqlargs, params = self._setop_args(name != 'zdiff')
        return Op(name, [name.upper()] + red + ['WITHSCORES'],
                  'SELECT member, score FROM streamkv.%s(%%s::text[]%s)' % (name, sqlargs), params,
                  'pairs', ks)

    def op_zinter(self):
        return self.op_zunion('zinter')

    def op_zdiff(self):
        return self.op_zunion('zdiff')

    def op_zintercard(self):
        ks = self.srckeys(1, 4) if not self.p(0.01) else []
        red = ['ZINTERCARD', len(ks)] + ks
        if self.p(0.5):
            lim = self.r.choice([0, 1, 2, 3, 5, 100, -1])
            red += ['LIMIT', lim]
            return Op('zintercard', red, 'SELECT streamkv.zintercard(%s::text[], "limit" => %s::bigint)',
                      [ks, lim], 'int', ks)
        return Op('zintercard', red, 'SELECT streamkv.zintercard(%s::text[])', [ks], 'int', ks)

    def op_zscan(self):
        k = self.rkey()
        match = self.r.choice(MATCHES)
        count = self.r.choice([1, 3, 10, 100])
        return Op('zscan', ['ZSCAN', k, 0] + (['MATCH', match] if match else []) + ['COUNT', count],
                  None, [k, match, count], 'zscan', [k])

    # ---- generic keyspace commands on zset keys ---------------------------------
    def op_type(self):
        k = self.rkey()
        return Op('type', ['TYPE', k], 'SELECT streamkv.type(%s)', [k], 'str', [k])

    def op_exists(self):
        ks = self.srckeys(1, 3)
        return Op('exists', ['EXISTS'] + ks, 'SELECT streamkv.exists(VARIADIC %s::text[])', [ks], 'int', ks)

    def op_del(self):
        ks = self.srckeys(1, 2)
        return Op('del', ['DEL'] + ks, 'SELECT streamkv.del(VARIADIC %s::text[])', [ks], 'int', ks)

    def op_expire(self):
        k = self.rkey()
        s = self.r.choice([100, 300, 1000, 100, 300, 0, -1])
        return Op('expire', ['EXPIRE', k, s], 'SELECT streamkv.expire(%s, %s::bigint)', [k, s], 'bool', [k])

    def op_ttl(self):
        k = self.rkey()
        return Op('ttl', ['TTL', k], 'SELECT streamkv.ttl(%s)', [k], 'ttl', [k])

    def op_persist(self):
        k = self.rkey()
        return Op('persist', ['PERSIST', k], 'SELECT streamkv.persist(%s)', [k], 'bool', [k])

    def op_set(self):
        k = self.r.choice(['str0', 'str1'])
        v = self.r.choice(['v', '1', 'hello'])
        return Op('set', ['SET', k, v], 'SELECT streamkv.set(%s, %s::text)', [k, v], 'str', [k])

    def op_hset(self):
        k = 'hash0'
        f, v = self.r.choice(['f0', 'f1']), self.r.choice(['x', 'y'])
        return Op('hset', ['HSET', k, f, v], 'SELECT streamkv.hset(%s, %s, %s::text)', [k, f, v], 'int', [k])

    def op_set_over(self):
        """SET replaces a sorted set with a string."""
        k = self.r.choice(ZKEYS)
        return Op('set', ['SET', k, 'over'], 'SELECT streamkv.set(%s, %s::text)', [k, 'over'], 'str', [k])

    def op_keys(self):
        pat = self.r.choice(['*', 'z*', 'l?', 'z1*', 'str*'])
        return Op('keys', ['KEYS', pat], 'SELECT k FROM streamkv.keys(%s) k', [pat], 'keyset')

    def op_scan(self):
        return Op('scan', ['SCAN', 0, 'TYPE', 'zset'], None, [], 'scan')

    def op_dbsize(self):
        return Op('dbsize', ['DBSIZE'], 'SELECT streamkv.dbsize()', [], 'int')


class Mismatch(Exception):
    pass


class Runner:
    def __init__(self, args):
        self.verbose = args.verbose
        self.rc = redis.Redis(host='127.0.0.1', port=args.redis_port, decode_responses=False)
        self.rc.response_callbacks = {}   # raw RESP replies
        self.redis_only = args.redis_only
        if not self.redis_only:
            self.pg = psycopg2.connect(args.dsn)
            self.pg.set_client_encoding('UTF8')   # members are UTF-8 (the test database is UTF8)
            self.pg.autocommit = True
            self.cur = self.pg.cursor()
        self.mismatches = 0
        self.compared = 0
        self.errors_seen = {}       # redis message -> {sqlstate message: count}
        self.history = []
        self.notes = {}

    def note(self, what):
        self.notes[what] = self.notes.get(what, 0) + 1

    # ---- calling Redis ---------------------------------------------------------
    def rcall(self, *args):
        return self.rc.execute_command(*args)

    def call_redis(self, op):
        try:
            if op.kind == 'zscan':
                return ('ok', self.redis_zscan(op))
            if op.kind == 'scan':
                return ('ok', self.redis_scan_zsets())
            rep = self.rcall(*op.redis)
        except redis.exceptions.ResponseError as e:
            return ('err', str(e), None)
        k = op.kind
        if k == 'int':
            return ('ok', None if rep is None else int(rep))
        if k == 'bool':
            return ('ok', bool(int(rep)))
        if k == 'ttl':
            return ('ok', int(rep))
        if k == 'str':
            return ('ok', dec(rep))
        if k == 'float':
            return ('ok', fl(rep))
        if k == 'floats':
            return ('ok', [fl(x) for x in rep])
        if k == 'pairs':
            return ('ok', pairs(rep))
        if k == 'lexpairs':
            ms = [dec(x) for x in rep]
            scores = [fl(x) for x in self.rcall('ZMSCORE', op.redis[1], *ms)] if ms else []
            return ('ok', list(zip(ms, scores)))
        if k == 'bzpop':
            if rep is None:
                return ('ok', None)
            return ('ok', (dec(rep[0]), dec(rep[1]), fl(rep[2])))
        if k == 'randmember':
            if op.extra is None:
                return ('ok', [] if rep is None else [(dec(rep), None)])
            return ('ok', pairs(rep))
        if k == 'keyset':
            return ('ok', sorted(dec(x) for x in rep))
        raise AssertionError(k)

    def redis_zscan(self, op):
        k, match, count = op.params
        cur, out, n = 0, [], 0
        while True:
            args = ['ZSCAN', k, cur] + (['MATCH', match] if match else []) + ['COUNT', count]
            rep = self.rcall(*args)
            cur = int(rep[0])
            out += pairs(rep[1])
            n += 1
            if cur == 0 or n > 100000:
                break
        return sorted(set(out))

    def redis_scan_zsets(self):
        cur, out = 0, set()
        while True:
            rep = self.rcall('SCAN', cur, 'COUNT', 10, 'TYPE', 'zset')
            cur = int(rep[0])
            out.update(dec(x) for x in rep[1])
            if cur == 0:
                break
        return sorted(out)

    # ---- calling streamkv ----------------------------------------------------------
    def pg_zscan(self, op):
        k, match, count = op.params
        cur, out, n = 0, [], 0
        while True:
            self.cur.execute('SELECT next_cursor, members, scores FROM '
                             'streamkv.zscan(%s, %s::bigint, match => %s, count => %s)',
                             [k, cur, match, count])
            rows = self.cur.fetchall()
            if len(rows) != 1:
                raise Mismatch('zscan returned %d rows' % len(rows))
            cur, ms, ss = rows[0]
            if cur is None:
                raise Mismatch('zscan returned a NULL cursor')
            ms, ss = ms or [], ss or []
            if len(ms) != len(ss):
                raise Mismatch('zscan: %d members, %d scores' % (len(ms), len(ss)))
            out += list(zip(ms, ss))
            n += 1
            if cur == 0:
                break
            if n > 100000:
                raise Mismatch('zscan does not end')
        return sorted(set(out))

    def pg_scan_zsets(self):
        cur, out, n = 0, set(), 0
        while True:
            self.cur.execute("SELECT next_cursor, keys FROM streamkv.scan(%s::bigint, count => 10, "
                             "type => 'zset')", [cur])
            cur, ks = self.cur.fetchone()
            out.update(ks or [])
            n += 1
            if cur == 0 or n > 100000:
                break
        return sorted(out)

    def call_pg(self, op):
        try:
            if op.kind == 'zscan':
                return ('ok', self.pg_zscan(op))
            if op.kind == 'scan':
                return ('ok', self.pg_scan_zsets())
            self.cur.execute(op.sql, op.params)
            rows = self.cur.fetchall()
        except psycopg2.Error as e:
            msg = (e.diag.message_primary or str(e)).strip()
            return ('err', msg, e.pgcode)
        except Mismatch as e:
            return ('bad', str(e))
        k = op.kind
        if k in ('int', 'bool', 'ttl', 'str', 'float', 'floats'):
            if len(rows) != 1:
                return ('bad', 'expected one row, got %d' % len(rows))
            v = rows[0][0]
            if k in ('int', 'ttl') and v is not None:
                v = int(v)
            if k == 'floats' and v is not None:
                v = list(v)
            return ('ok', v)
        if k in ('pairs', 'lexpairs', 'randmember'):
            return ('ok', [(m, s) for m, s in rows])
        if k == 'bzpop':
            if len(rows) > 1:
                return ('bad', 'bzpop returned %d rows' % len(rows))
            return ('ok', tuple(rows[0]) if rows else None)
        if k == 'keyset':
            return ('ok', sorted(r[0] for r in rows))
        raise AssertionError(k)

    # ---- comparing -------------------------------------------------------------------
    def equal(self, op, a, b):
        """a: Redis reply, b: streamkv reply. Returns (ok, why)."""
        if a[0] == 'err':
            if b[0] != 'err':
                return False, 'Redis error %r, streamkv returned %r' % (a[1], b[1])
            codes, strict = classify_error(a[1])
            key = '%s %s' % (b[2], b[1])
            self.errors_seen.setdefault(a[1], {}).setdefault(key, 0)
            self.errors_seen[a[1]][key] += 1
            if codes is None:
                return True, None      # an unclassified Redis error: both refused
            if b[2] == '22P02' and 'invalid input syntax for type' in b[1]:
                # a score that is not a float8 ('1x') never reaches streamkv: PostgreSQL's
                # cast refuses it first, whatever else Redis would have complained about
                return True, None
            if 'WRONGTYPE' in a[1] and b[2] in ('22023', '42601', '22003', '22P02'):
                # both refused, for different reasons: Redis looks the keys up before it
                # parses WEIGHTS/AGGREGATE/LIMIT, streamkv checks its arguments first
                self.note('error precedence: Redis %r, streamkv %s %r' % (a[1], b[2], b[1]))
                return True, None
            if strict and b[2] not in codes:
                return False, 'Redis error %r, streamkv SQLSTATE %s %r (expected %s)' % (
                    a[1], b[2], b[1], '/'.join(sorted(codes)))
            if 'WRONGTYPE' in a[1] and 'Operation against a key holding the wrong kind of value' not in b[1]:
                return False, 'WRONGTYPE message differs: %r' % b[1]
            return True, None
        if b[0] != 'ok':
            return False, 'Redis returned %r, streamkv %s' % (
                a[1], b[1] if b[0] == 'bad' else '%s error %r' % (b[2], b[1]))
        x, y = a[1], b[1]
        k = op.kind
        if k == 'float':
            return same_float(x, y), None
        if k == 'floats':
            if y is None or len(x) != len(y):
                return False, None
            return all(same_float(p, q) for p, q in zip(x, y)), None
        if k in ('pairs', 'lexpairs'):
            return same_pairs(x, y), None
        if k == 'bzpop':
            if x is None or y is None:
                return x is None and y is None, None
            return x[0] == y[0] and x[1] == y[1] and same_float(x[2], y[2]), None
        if k == 'ttl':
            if x < 0 or y is None or y < 0:
                return x == y, None
            return abs(x - y) <= 1, None
        if k == 'randmember':
            return self.check_randmember(op, x, y)
        return x == y, None

    def check_randmember(self, op, x, y):
        key, c = op.params[0], op.extra
        content = dict(self.redis_zset(key))
        card = len(content)
        if c is None:
            want = 1 if card else 0
        elif c >= 0:
            want = min(c, card)
        else:
            want = -c if card else 0
        for side, rows in (('redis', x), ('streamkv', y)):
            if len(rows) != want:
                return False, '%s returned %d members, expected %d (card %d, count %s)' % (
                    side, len(rows), want, card, c)
            for m, s in rows:
                if m not in content:
                    return False, '%s returned %r, not a member' % (side, m)
                if (s is not None or side == 'streamkv') and not same_float(s, content[m]):
                    return False, '%s returned %r with score %r, the set has %r' % (side, m, s, content[m])
            if c is not None and c > 0 and len(set(m for m, _ in rows)) != len(rows):
                return False, '%s returned repeated members for a positive count' % side
        return True, None

    def step(self, i, op):
        if op.name == 'dbsize':
            self.touch_all()
        a = self.call_redis(op)
        if self.redis_only:
            if a[0] == 'err':
                self.errors_seen.setdefault(a[1], {}).setdefault(op.name, 0)
                self.errors_seen[a[1]][op.name] += 1
            return True
        b = self.call_pg(op)
        self.compared += 1
        ok, why = self.equal(op, a, b)
        self.history.append((i, op.text, a[1]))
        if len(self.history) > 8:
            self.history.pop(0)
        if self.verbose:
            print('%6d %-70s redis=%r streamkv=%r' % (i, op.text, a[1:], b[1:]))
        if not ok:
            self.mismatches += 1
            print('MISMATCH at op %d: %s' % (i, op.text))
            if op.sql:
                print('    SQL:      %s  %r' % (op.sql, op.params))
            print('    redis:    %r' % (a[1:],))
            print('    streamkv: %r' % (b[1:],))
            if why:
                print('    why:      %s' % why)
            print('    previous ops:')
            for h in self.history[:-1]:
                print('      %6d %s -> %r' % h)
            for key in sorted(set(op.keys)):
                print('    key %r: redis %s' % (key, self.describe_redis(key)))
                print('    %s  streamkv %s' % (' ' * len(repr(key)), self.describe_pg(key)))
            sys.stdout.flush()
        return ok

    # ---- state -------------------------------------------------------------------------
    def redis_zset(self, key):
        try:
            return pairs(self.rcall('ZRANGE', key, 0, -1, 'WITHSCORES'))
        except redis.exceptions.ResponseError:
            return []

    def describe_redis(self, key):
        t = dec(self.rcall('TYPE', key))
        ttl = 'ttl' if int(self.rcall('PTTL', key)) >= 0 else 'nottl'
        if t == 'string':
            return 'string %r %s' % (dec(self.rcall('GET', key)), ttl)
        if t == 'hash':
            rep = self.rcall('HGETALL', key)
            return 'hash %r %s' % (sorted((dec(rep[i]), dec(rep[i + 1])) for i in range(0, len(rep), 2)), ttl)
        if t == 'zset':
            return 'zset %r %s' % (self.redis_zset(key), ttl)
        return t

    def describe_pg(self, key):
        try:
            self.cur.execute('SELECT streamkv.type(%s), streamkv.pttl(%s)', [key, key])
            t, pttl = self.cur.fetchone()
            ttl = 'ttl' if pttl is not None and pttl >= 0 else 'nottl'
            if t == 'string':
                self.cur.execute('SELECT streamkv.get(%s)', [key])
                return 'string %r %s' % (self.cur.fetchone()[0], ttl)
            if t == 'hash':
                self.cur.execute('SELECT field, value FROM streamkv.hgetall(%s)', [key])
                return 'hash %r %s' % (sorted(self.cur.fetchall()), ttl)
            if t == 'zset':
                self.cur.execute('SELECT member, score FROM streamkv.zrange(%s, 0, -1)', [key])
                return 'zset %r %s' % ([(m, s) for m, s in self.cur.fetchall()], ttl)
            return t
        except psycopg2.Error as e:
            return 'error %s %s' % (e.pgcode, e)

    def resync(self, keys):
        """Makes streamkv's copy of the keys equal to Redis's (--keep-going)."""
        for key in set(keys):
            try:
                self.cur.execute('SELECT streamkv.del(%s)', [key])
                t = dec(self.rcall('TYPE', key))
                if t == 'zset':
                    z = self.redis_zset(key)
                    self.cur.execute('SELECT streamkv.zadd(%s, %s::float8[], %s::text[])',
                                     [key, [repr(s) for _, s in z], [m for m, _ in z]])
                elif t == 'string':
                    self.cur.execute('SELECT streamkv.set(%s, %s::text)', [key, dec(self.rcall('GET', key))])
                elif t == 'hash':
                    rep = self.rcall('HGETALL', key)
                    for j in range(0, len(rep), 2):
                        self.cur.execute('SELECT streamkv.hset(%s, %s, %s::text)',
                                         [key, dec(rep[j]), dec(rep[j + 1])])
                pttl = int(self.rcall('PTTL', key))
                if pttl > 0:
                    self.cur.execute('SELECT streamkv.pexpire(%s, %s::bigint)', [key, pttl])
            except psycopg2.Error as e:
                print('    resync of %r failed: %s' % (key, e))

    def touch_all(self):
        """Reads every key on both sides, so that lazily expired keys are gone."""
        self.rcall('EXISTS', *ALLKEYS)
        if self.redis_only:
            return
        self.cur.execute('SELECT streamkv.exists(VARIADIC %s::text[])', [ALLKEYS])
        self.cur.fetchall()

    def setup_wrongtype(self):
        for cmd, sql, params in ((['SET', 'str0', 'hello'], 'SELECT streamkv.set(%s, %s::text)', ['str0', 'hello']),
                                 (['SET', 'str1', '1.5'], 'SELECT streamkv.set(%s, %s::text)', ['str1', '1.5']),
                                 (['HSET', 'hash0', 'f', 'v'], 'SELECT streamkv.hset(%s, %s, %s::text)',
                                  ['hash0', 'f', 'v']),
                                 (['SET', LWRONG, 'x'], 'SELECT streamkv.set(%s, %s::text)', [LWRONG, 'x'])):
            self.rcall(*cmd)
            if not self.redis_only:
                self.cur.execute(sql, params)

    def timed_expiry(self, i, gen):
        """Real expiry: a sorted set with 150 ms to live, 400 ms later."""
        k = gen.r.choice(ZKEYS)
        ok = self.step(i, Op('zadd', ['ZADD', k, '1', 'expiring'],
                             'SELECT streamkv.zadd(%s, %s::float8, %s)', [k, '1', 'expiring'], 'int', [k]))
        ok &= self.step(i, Op('pexpire', ['PEXPIRE', k, '150'],
                              'SELECT streamkv.pexpire(%s, %s::bigint)', [k, 150], 'bool', [k]))
        time.sleep(0.4)
        ok &= self.step(i, Op('exists', ['EXISTS', k], 'SELECT streamkv.exists(%s)', [k], 'int', [k]))
        ok &= self.step(i, Op('type', ['TYPE', k], 'SELECT streamkv.type(%s)', [k], 'str', [k]))
        ok &= self.step(i, Op('zcard', ['ZCARD', k], 'SELECT streamkv.zcard(%s)', [k], 'int', [k]))
        ok &= self.step(i, Op('dbsize', ['DBSIZE'], 'SELECT streamkv.dbsize()', [], 'int'))
        return ok

    def flushdb(self, i):
        self.rcall('FLUSHDB')
        if not self.redis_only:
            self.cur.execute('SELECT streamkv.flushdb()')
        ok = self.step(i, Op('dbsize', ['DBSIZE'], 'SELECT streamkv.dbsize()', [], 'int'))
        self.setup_wrongtype()
        return ok

    def full_compare(self, label):
        """Compares the whole keyspace: keys, types, contents, whether a TTL is set."""
        self.touch_all()
        if self.redis_only:
            return True, 0
        rkeys = sorted(dec(k) for k in self.rcall('KEYS', '*'))
        self.cur.execute("SELECT k FROM streamkv.keys('*') k")
        pkeys = sorted(r[0] for r in self.cur.fetchall())
        bad = 0
        if rkeys != pkeys:
            print('FULL COMPARE (%s): key sets differ: redis %r streamkv %r' % (label, rkeys, pkeys))
            bad += 1
        for k in sorted(set(rkeys) | set(pkeys)):
            dr, dp = self.describe_redis(k), self.describe_pg(k)
            if dr != dp:
                # scores compare as doubles: compare the zsets again structurally
                if dr.startswith('zset ') and dp.startswith('zset '):
                    self.cur.execute('SELECT member, score FROM streamkv.zrange(%s, 0, -1)', [k])
                    if same_pairs(self.redis_zset(k), self.cur.fetchall()) and \
                            dr.rsplit(' ', 1)[1] == dp.rsplit(' ', 1)[1]:
                        continue
                print('FULL COMPARE (%s): key %r:\n    redis    %s\n    streamkv %s' % (label, k, dr, dp))
                bad += 1
        self.compared += 1
        self.mismatches += bad
        return bad == 0, len(rkeys)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--redis-port', type=int, required=True)
    ap.add_argument('--dsn', required=True)
    ap.add_argument('--ops', type=int, default=50000)
    ap.add_argument('--seed', type=int, default=20261205)
    ap.add_argument('--timed-steps', type=int, default=4)
    ap.add_argument('--compare-only', action='store_true',
                    help='only compare the two keyspaces as they are now')
    ap.add_argument('--keep-going', type=int, default=0, metavar='N',
                    help='after a mismatch, copy the keys involved from Redis to streamkv and go '
                         'on, up to N mismatches (exploration)')
    ap.add_argument('--skip', default='',
                    help='comma-separated op names not to run (exploration; the sequence is '
                         'otherwise unchanged)')
    ap.add_argument('--quirks', action='store_true',
                    help="also generate the inputs Redis accepts by accident (score bounds '' and "
                         "'(', LIMIT off -1 with a rank range)")
    ap.add_argument('--redis-only', action='store_true',
                    help='check the generated commands against Redis alone (development)')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()

    try:
        run = Runner(args)
    except Exception as e:                  # noqa: BLE001 - setup failure
        print('setup failed: %s' % e)
        return 2

    if args.compare_only:
        ok, nkeys = run.full_compare('compare-only')
        zsets = sum(1 for k in run.rcall('KEYS', '*') if dec(run.rcall('TYPE', k)) == 'zset')
        members = sum(int(run.rcall('ZCARD', k)) for k in run.rcall('KEYS', '*')
                      if dec(run.rcall('TYPE', k)) == 'zset')
        print('keys: %d, zsets: %d, members: %d, mismatches: %d' % (nkeys, zsets, members, run.mismatches))
        return 0 if ok else 1

    try:
        run.rcall('FLUSHALL')
        if not run.redis_only:
            run.cur.execute('SELECT streamkv.flushdb()')
        run.setup_wrongtype()
    except Exception as e:                  # noqa: BLE001 - setup failure
        print('setup failed: %s' % e)
        return 2

    gen = Gen(args.seed, args.quirks)
    skip = set(x for x in args.skip.split(',') if x)
    t0 = time.time()
    counts = {}
    timed_every = max(1, args.ops // (args.timed_steps + 1)) if args.timed_steps else 0
    flush_at = args.ops // 2 if args.ops >= 1000 else 0
    stopped = False
    maxcard = 0
    for i in range(1, args.ops + 1):
        op = gen.op()
        if op.name in skip:
            continue
        counts[op.name] = counts.get(op.name, 0) + 1
        ok = run.step(i, op)
        if not ok:
            if run.mismatches > args.keep_going:
                stopped = True
                break
            run.resync(op.keys)
        if timed_every and i % timed_every == 0 and i < args.ops:
            if not run.timed_expiry(i, gen) and run.mismatches > args.keep_going:
                stopped = True
                break
        if i == flush_at:
            run.flushdb(i)
        if i % 2500 == 0:
            for k in ZKEYS:
                try:
                    maxcard = max(maxcard, int(run.rcall('ZCARD', k)))
                except redis.exceptions.ResponseError:
                    pass
            ok, _ = run.full_compare('after op %d' % i)
            if not ok and run.mismatches > args.keep_going:
                stopped = True
                break
            if not ok:
                run.resync(ALLKEYS)
    if not stopped:
        run.full_compare('end')
    elapsed = time.time() - t0

    print('operations per command: %s' % ', '.join('%s=%d' % kv for kv in sorted(counts.items())))
    print('largest sorted set seen: %d members' % maxcard)
    if run.notes:
        print('notes (accepted differences):')
        for m in sorted(run.notes):
            print('    %s: %d' % (m, run.notes[m]))
    print('errors seen (Redis message -> streamkv SQLSTATE message: count):')
    for m in sorted(run.errors_seen):
        for s, n in sorted(run.errors_seen[m].items()):
            print('    %-70s -> %s: %d' % (m, s, n))
    print('ops: %d, comparisons: %d, mismatches: %d, seconds: %.1f%s' % (
        sum(counts.values()), run.compared, run.mismatches, elapsed,
        ' (stopped at the first mismatch)' if stopped else ''))
    return 1 if run.mismatches else 0


if __name__ == '__main__':
    sys.exit(main())
