#!/usr/bin/python3
"""Differential test of streamkv's keyspace against a real redis-server.

Applies one fixed-seed random sequence of string, counter, hash and TTL
operations to redis-server and to streamkv (PostgreSQL, schema streamkv) and
compares every reply:

  * Redis integer 1/0 <-> SQL boolean for EXPIRE*/PERSIST/HSETNX/HEXISTS;
    status OK <-> 'OK'; nil <-> NULL; arrays <-> text[]; HGETALL as a dict;
    HKEYS/HVALS as multisets.
  * TTL/EXPIRETIME within 1 s, PTTL/PEXPIRETIME within 1000 ms (the two
    servers run the same operation a fraction of a millisecond apart).
  * An error in Redis must be an error in streamkv with the corresponding
    SQLSTATE (WRONGTYPE -> 42809, with Redis's wording in the message), and an
    error in streamkv where Redis answered is a mismatch.

The key and field universe is small so that types collide (WRONGTYPE) and
options meet existing keys. TTLs are chosen from well separated "levels" so
that NX/XX/GT/LT comparisons cannot race between the two servers, and real
expiry is exercised in separate timed steps (pexpire 150 ms, sleep 400 ms).
The sequence finishes with a full comparison of both keyspaces.

Usage: keyspace_diff.py --redis-port P --dsn 'host=... port=... dbname=...'
                        [--ops 10000] [--seed 20240601] [--compare-only] [-v]
Exit status 0 when every reply was equal, 1 on any mismatch, 2 on a setup
failure. Requires Debian's python3-psycopg2 and python3-redis.
"""

import argparse
import random
import sys
import time

import psycopg2
import redis

KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']
# string operations use k0..k4, hash operations k3..k7: k3 and k4 collide
SKEYS = KEYS[:5]
HKEYS = KEYS[3:]
FIELDS = ['f0', 'f1', 'f2', 'f3']
VALUES = ['0', '1', '-1', '42', '7', '10.5', '-3.25', '1e3', ' 1', '+1', '01',
          '1.0', '-0', 'abc', '', 'hello world', '9223372036854775807',
          '-9223372036854775808', '9223372036854775808', '0x10', 'inf', '3']
APPENDS = ['x', '12', '-', '0', '', '.5', 'yz']
INT_INCRS = [1, -1, 2, 5, -7, 100, -1000, 0, 2 ** 62, -(2 ** 62),
             9223372036854775807, -9223372036854775808]
# INCRBYFLOAT increments: the SQL argument is numeric, so both servers parse
# the same decimal text (strtold).
FLOAT_INCRS = ['0.1', '-0.1', '1', '0.5', '-2.25', '10', '1.1', '3.0e-1', '1000.125', '0',
               '1e10', '-1e10', '5.0e3', '0.000001', '-7']
FLOAT_SPECIAL = ['inf', '-inf', 'nan']

# Redis error text -> SQLSTATEs streamkv may use for it. The first one is the
# one we expect; alternatives are other standard codes that fit the meaning.
ERROR_MAP = [
    ('WRONGTYPE', {'42809'}),
    ('value is not an integer or out of range', {'22003', '22P02'}),
    ('increment or decrement would overflow', {'22003'}),
    ('decrement would overflow', {'22003'}),
    ('hash value is not an integer', {'22P02', '22003'}),
    ('hash value is not a float', {'22P02', '22003'}),
    ('value is not a valid float', {'22P02', '22023', '22003'}),
    ('increment would produce NaN or Infinity', {'22003', '2201E', '22023'}),
    ('value is NaN or Infinity', {'22003', '2201E', '22023', '22P02'}),
    ('invalid expire time', {'22023', '22003'}),
    ('syntax error', {'22023', '42601'}),
    ('not compatible', {'22023', '42601'}),
]


def redis_error_codes(msg):
    for needle, codes in ERROR_MAP:
        if needle in msg:
            return codes
    return None


class Op:
    __slots__ = ('name', 'redis', 'sql', 'params', 'kind', 'text')

    def __init__(self, name, redis_args, sql, params, kind):
        self.name = name
        self.redis = redis_args
        self.sql = sql
        self.params = params
        self.kind = kind          # how to normalise the replies
        self.text = ' '.join(repr(a) if isinstance(a, str) and (a == '' or ' ' in a) else str(a)
                             for a in redis_args)


class Gen:
    def __init__(self, seed, now_s, now_ms):
        self.r = random.Random(seed)
        self.now_s = now_s
        self.now_ms = now_ms

    def key(self):
        return self.r.choice(KEYS)

    def skey(self):
        return self.r.choice(SKEYS)

    def hkey(self):
        return self.r.choice(HKEYS)

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.r.randint(lo, hi))]

    def field(self):
        return self.r.choice(FIELDS)

    def value(self):
        return self.r.choice(VALUES)

    def float_incr(self):
        if self.r.random() < 0.03:
            return self.r.choice(FLOAT_SPECIAL)
        return self.r.choice(FLOAT_INCRS)

    # TTL levels (see the module docstring): relative seconds 100/300/1000,
    # pexpire 200 s/500 s, expireat now+400/800 s, pexpireat now+600/900.5 s;
    # non-positive ones delete (or are rejected by SET).
    def expire_seconds(self):
        return self.r.choice([100, 300, 1000, 100, 300, 0, -5, 9223372036854775807])

    def pexpire_ms(self):
        return self.r.choice([200000, 500000, 200000, 0, -100])

    def expireat_s(self):
        return self.r.choice([self.now_s + 400, self.now_s + 800, self.now_s + 400,
                              1, self.now_s - 10])

    def pexpireat_ms(self):
        return self.r.choice([self.now_ms + 600000, self.now_ms + 900500,
                              self.now_ms + 600000, self.now_ms - 1000])

    def ttl_flags(self):
        x = self.r.random()
        if x < 0.45:
            return {}
        if x < 0.92:
            return {self.r.choice(['nx', 'xx', 'gt', 'lt']): True}
        # combinations: xx+gt / xx+lt are valid, the others are errors
        return dict.fromkeys(self.r.choice([['xx', 'gt'], ['xx', 'lt'], ['nx', 'xx'],
                                            ['gt', 'lt'], ['nx', 'gt']]), True)

    def op(self):
        r = self.r
        name = r.choices(
            ['set', 'get', 'getdel', 'mget', 'mset', 'append', 'strlen', 'incr',
             'incrby', 'decr', 'decrby', 'incrbyfloat', 'hset', 'hsetnx', 'hget',
             'hmget', 'hdel', 'hgetall', 'hkeys', 'hvals', 'hlen', 'hexists',
             'hincrby', 'hincrbyfloat', 'expire', 'pexpire', 'expireat',
             'pexpireat', 'ttl', 'pttl', 'persist', 'expiretime', 'pexpiretime',
             'type', 'exists', 'del', 'dbsize'],
            [14, 6, 2, 3, 2, 3, 2, 4,
             3, 2, 2, 4, 8, 2, 4,
             2, 3, 2, 1, 1, 2, 2,
             3, 3, 4, 2, 2,
             2, 3, 2, 2, 2, 1,
             2, 2, 2, 1])[0]
        return getattr(self, 'op_' + name)()

    # ---- strings --------------------------------------------------------
    def op_set(self):
        r = self.r
        k, v = self.skey(), self.value()
        red = ['SET', k, v]
        sqlargs = []
        params = [k, v]
        opts = {}
        x = r.random()
        if x < 0.15:
            opts['nx'] = True
        elif x < 0.30:
            opts['xx'] = True
        elif x < 0.32:
            opts['nx'] = True
            opts['xx'] = True
        if r.random() < 0.25:
            opts['get'] = True
        x = r.random()
        exp = []
        if x < 0.12:
            exp = [('ex', r.choice([100, 300, 100, 0, -3]))]
        elif x < 0.20:
            exp = [('px', r.choice([200000, 200000, 0, -1]))]
        elif x < 0.25:
            exp = [('exat', r.choice([self.now_s + 400, self.now_s + 400, 1, 0]))]
        elif x < 0.30:
            exp = [('pxat', r.choice([self.now_ms + 600000, self.now_ms - 5000]))]
        elif x < 0.40:
            exp = [('keepttl', True)]
        elif x < 0.42:
            exp = r.choice([[('ex', 100), ('px', 5000)], [('keepttl', True), ('ex', 100)]])
        for o, val in list(opts.items()) + exp:
            if val is True:
                red.append(o.upper())
                sqlargs.append('%s => true' % o)
            else:
                red.extend([o.upper(), str(val)])
                sqlargs.append('%s => %%s' % o)
                params.append(val)
        sql = 'SELECT streamkv.set(%s, %s::text' + ''.join(', ' + a for a in sqlargs) + ')'
        return Op('set', red, sql, params, 'str')

    def op_get(self):
        k = self.skey()
        return Op('get', ['GET', k], 'SELECT streamkv.get(%s)', [k], 'str')

    def op_getdel(self):
        k = self.skey()
        return Op('getdel', ['GETDEL', k], 'SELECT streamkv.getdel(%s)', [k], 'str')

    def op_mget(self):
        ks = self.keys()
        return Op('mget', ['MGET'] + ks,
                  'SELECT streamkv.mget(%s)' % ', '.join(['%s'] * len(ks)), ks, 'list')

    def op_mset(self):
        kv = []
        for _ in range(self.r.randint(1, 3)):
            kv += [self.skey(), self.value()]
        return Op('mset', ['MSET'] + kv,
                  'SELECT streamkv.mset(%s)' % ', '.join(['%s::text'] * len(kv)), kv, 'str')

    def op_append(self):
        k, v = self.skey(), self.r.choice(APPENDS)
        return Op('append', ['APPEND', k, v], 'SELECT streamkv.append(%s, %s::text)', [k, v], 'int')

    def op_strlen(self):
        k = self.skey()
        return Op('strlen', ['STRLEN', k], 'SELECT streamkv.strlen(%s)', [k], 'int')

    def op_incr(self):
        k = self.skey()
        return Op('incr', ['INCR', k], 'SELECT streamkv.incr(%s)', [k], 'int')

    def op_decr(self):
        k = self.skey()
        return Op('decr', ['DECR', k], 'SELECT streamkv.decr(%s)', [k], 'int')

    def op_incrby(self):
        k, n = self.skey(), self.r.choice(INT_INCRS)
        return Op('incrby', ['INCRBY', k, str(n)], 'SELECT streamkv.incrby(%s, %s::bigint)', [k, str(n)], 'int')

    def op_decrby(self):
        k, n = self.skey(), self.r.choice(INT_INCRS)
        return Op('decrby', ['DECRBY', k, str(n)], 'SELECT streamkv.decrby(%s, %s::bigint)', [k, str(n)], 'int')

    def op_incrbyfloat(self):
        k, f = self.skey(), self.float_incr()
        return Op('incrbyfloat', ['INCRBYFLOAT', k, f],
                  'SELECT streamkv.incrbyfloat(%s, %s::numeric)', [k, f], 'str')

    # ---- hashes ---------------------------------------------------------
    def op_hset(self):
        k = self.hkey()
        fv = []
        for _ in range(self.r.randint(1, 3)):
            fv += [self.field(), self.value()]
        return Op('hset', ['HSET', k] + fv,
                  'SELECT streamkv.hset(%%s, %s)' % ', '.join(['%s::text'] * len(fv)), [k] + fv, 'int')

    def op_hsetnx(self):
        k, f, v = self.hkey(), self.field(), self.value()
        return Op('hsetnx', ['HSETNX', k, f, v], 'SELECT streamkv.hsetnx(%s, %s, %s::text)', [k, f, v], 'bool')

    def op_hget(self):
        k, f = self.hkey(), self.field()
        return Op('hget', ['HGET', k, f], 'SELECT streamkv.hget(%s, %s)', [k, f], 'str')

    def op_hmget(self):
        k = self.hkey()
        fs = [self.field() for _ in range(self.r.randint(1, 3))]
        return Op('hmget', ['HMGET', k] + fs,
                  'SELECT streamkv.hmget(%%s, %s)' % ', '.join(['%s::text'] * len(fs)), [k] + fs, 'list')

    def op_hdel(self):
        k = self.hkey()
        fs = [self.field() for _ in range(self.r.randint(1, 3))]
        return Op('hdel', ['HDEL', k] + fs,
                  'SELECT streamkv.hdel(%%s, %s)' % ', '.join(['%s::text'] * len(fs)), [k] + fs, 'int')

    def op_hgetall(self):
        k = self.hkey()
        return Op('hgetall', ['HGETALL', k], 'SELECT field, value FROM streamkv.hgetall(%s)', [k], 'dict')

    def op_hkeys(self):
        k = self.hkey()
        return Op('hkeys', ['HKEYS', k], 'SELECT streamkv.hkeys(%s)', [k], 'multiset')

    def op_hvals(self):
        k = self.hkey()
        return Op('hvals', ['HVALS', k], 'SELECT streamkv.hvals(%s)', [k], 'multiset')

    def op_hlen(self):
        k = self.hkey()
        return Op('hlen', ['HLEN', k], 'SELECT streamkv.hlen(%s)', [k], 'int')

    def op_hexists(self):
        k, f = self.hkey(), self.field()
        return Op('hexists', ['HEXISTS', k, f], 'SELECT streamkv.hexists(%s, %s)', [k, f], 'bool')

    def op_hincrby(self):
        k, f, n = self.hkey(), self.field(), self.r.choice(INT_INCRS)
        return Op('hincrby', ['HINCRBY', k, f, str(n)],
                  'SELECT streamkv.hincrby(%s, %s, %s::bigint)', [k, f, str(n)], 'int')

    def op_hincrbyfloat(self):
        k, f, x = self.hkey(), self.field(), self.float_incr()
        return Op('hincrbyfloat', ['HINCRBYFLOAT', k, f, x],
                  'SELECT streamkv.hincrbyfloat(%s, %s, %s::numeric)', [k, f, x], 'str')

    # ---- TTL ------------------------------------------------------------
    def _expire(self, name, amount):
        k = self.hkey()
        flags = self.ttl_flags()
        red = [name.upper(), k, str(amount)] + [f.upper() for f in flags]
        sql = 'SELECT streamkv.%s(%%s, %%s::bigint%s)' % (
            name, ''.join(', %s => true' % f for f in flags))
        op = Op(name, red, sql, [k, str(amount)], 'bool')
        return op

    def op_expire(self):
        return self._expire('expire', self.expire_seconds())

    def op_pexpire(self):
        return self._expire('pexpire', self.pexpire_ms())

    def op_expireat(self):
        return self._expire('expireat', self.expireat_s())

    def op_pexpireat(self):
        return self._expire('pexpireat', self.pexpireat_ms())

    def op_ttl(self):
        k = self.key()
        return Op('ttl', ['TTL', k], 'SELECT streamkv.ttl(%s)', [k], 'ttl_s')

    def op_pttl(self):
        k = self.key()
        return Op('pttl', ['PTTL', k], 'SELECT streamkv.pttl(%s)', [k], 'ttl_ms')

    def op_expiretime(self):
        k = self.key()
        return Op('expiretime', ['EXPIRETIME', k], 'SELECT streamkv.expiretime(%s)', [k], 'ttl_s')

    def op_pexpiretime(self):
        k = self.key()
        return Op('pexpiretime', ['PEXPIRETIME', k], 'SELECT streamkv.pexpiretime(%s)', [k], 'ttl_ms')

    def op_persist(self):
        k = self.key()
        return Op('persist', ['PERSIST', k], 'SELECT streamkv.persist(%s)', [k], 'bool')

    # ---- generic --------------------------------------------------------
    def op_type(self):
        k = self.key()
        return Op('type', ['TYPE', k], 'SELECT streamkv.type(%s)', [k], 'str')

    def op_exists(self):
        ks = self.keys()
        return Op('exists', ['EXISTS'] + ks,
                  'SELECT streamkv.exists(%s)' % ', '.join(['%s'] * len(ks)), ks, 'int')

    def op_del(self):
        ks = self.keys(1, 2)
        return Op('del', ['DEL'] + ks,
                  'SELECT streamkv.del(%s)' % ', '.join(['%s'] * len(ks)), ks, 'int')

    def op_dbsize(self):
        return Op('dbsize', ['DBSIZE'], 'SELECT streamkv.dbsize()', [], 'int')


def dec(b):
    if b is None:
        return None
    if isinstance(b, bytes):
        return b.decode('utf-8', 'surrogateescape')
    return b


class Runner:
    def __init__(self, args):
        self.verbose = args.verbose
        self.rc = redis.Redis(host='127.0.0.1', port=args.redis_port, decode_responses=False)
        self.rc.response_callbacks = {}   # raw RESP replies
        self.pg = psycopg2.connect(args.dsn)
        self.pg.autocommit = True
        self.cur = self.pg.cursor()
        self.mismatches = 0
        self.compared = 0
        self.errors_seen = {}       # redis message -> {sqlstate: count}
        self.soft_notes = {}
        self.history = []

    # ---- calling both sides --------------------------------------------
    def call_redis(self, op):
        try:
            rep = self.rc.execute_command(*op.redis)
        except redis.exceptions.ResponseError as e:
            return ('err', str(e), None)
        k = op.kind
        if k == 'str':
            return ('ok', dec(rep))
        if k == 'int':
            return ('ok', int(rep))
        if k == 'bool':
            return ('ok', bool(int(rep)))
        if k in ('ttl_s', 'ttl_ms'):
            return ('ok', int(rep))
        if k == 'list':
            return ('ok', [dec(x) for x in rep])
        if k == 'dict':
            return ('ok', {dec(rep[i]): dec(rep[i + 1]) for i in range(0, len(rep), 2)})
        if k == 'multiset':
            return ('ok', sorted(dec(x) for x in rep))
        raise AssertionError(k)

    def call_pg(self, op):
        try:
            self.cur.execute(op.sql, op.params)
            rows = self.cur.fetchall()
        except psycopg2.Error as e:
            msg = (e.diag.message_primary or str(e)).strip()
            return ('err', msg, e.pgcode)
        k = op.kind
        if k in ('str', 'int', 'bool', 'ttl_s', 'ttl_ms'):
            if len(rows) != 1:
                return ('bad', 'expected one row, got %d' % len(rows))
            v = rows[0][0]
            if k == 'int' or k.startswith('ttl'):
                v = None if v is None else int(v)
            return ('ok', v)
        if k == 'list':
            v = rows[0][0]
            return ('ok', v if v is None else list(v))
        if k == 'dict':
            d = {}
            for f, v in rows:
                if f in d:
                    return ('bad', 'duplicate field %r in hgetall' % f)
                d[f] = v
            return ('ok', d)
        if k == 'multiset':
            return ('ok', sorted(r[0] for r in rows))
        raise AssertionError(k)

    def equal(self, op, a, b):
        """a: Redis reply, b: streamkv reply. Returns (ok, why)."""
        if a[0] == 'err':
            if b[0] != 'err':
                return False, 'Redis error %r, streamkv returned %r' % (a[1], b[1])
            codes = redis_error_codes(a[1])
            self.errors_seen.setdefault(a[1], {}).setdefault('%s %s' % (b[2], b[1]), 0)
            self.errors_seen[a[1]]['%s %s' % (b[2], b[1])] += 1
            if codes is None:
                return False, 'unclassified Redis error %r (streamkv: %s %r)' % (a[1], b[2], b[1])
            if b[2] not in codes:
                return False, 'Redis error %r, streamkv SQLSTATE %s %r (expected one of %s)' % (
                    a[1], b[2], b[1], sorted(codes))
            if 'WRONGTYPE' in a[1] and 'Operation against a key holding the wrong kind of value' not in b[1]:
                return False, 'WRONGTYPE message differs: %r' % b[1]
            return True, None
        if b[0] != 'ok':
            return False, 'Redis returned %r, streamkv %s' % (a[1], b[1] if b[0] == 'bad' else
                                                                '%s error %r' % (b[2], b[1]))
        x, y = a[1], b[1]
        if op.kind in ('ttl_s', 'ttl_ms'):
            tol = 1 if op.kind == 'ttl_s' else 1000
            if x is None or y is None:
                return x == y, None
            if x < 0 or y < 0:
                return x == y, None
            return abs(x - y) <= tol, None
        return x == y, None

    def touch_all(self):
        """Reads every key of the universe on both sides. Redis deletes an
        expired key when it is read (lazy expiry) and otherwise whenever its
        active expiry cycle gets to it, so its DBSIZE right after a SET with an
        expiry time in the past depends on timing; after this it does not."""
        self.rc.execute_command('EXISTS', *KEYS)
        self.cur.execute('SELECT streamkv.exists(VARIADIC %s)', [KEYS])
        self.cur.fetchall()

    def step(self, i, op):
        if op.name == 'dbsize':
            self.touch_all()
        a = self.call_redis(op)
        b = self.call_pg(op)
        self.compared += 1
        ok, why = self.equal(op, a, b)
        self.history.append((i, op.text, a[1]))
        if len(self.history) > 8:
            self.history.pop(0)
        if self.verbose:
            print('%6d %-60s redis=%r streamkv=%r' % (i, op.text, a[1:], b[1:]))
        if not ok:
            self.mismatches += 1
            if self.mismatches <= 60:
                print('MISMATCH at op %d: %s' % (i, op.text))
                print('    SQL:      %s  %r' % (op.sql, op.params))
                print('    redis:    %r' % (a[1:],))
                print('    streamkv: %r' % (b[1:],))
                if why:
                    print('    why:      %s' % why)
                print('    previous ops:')
                for h in self.history[:-1]:
                    print('      %6d %s -> %r' % h)
                # the state of the keys involved, both sides
                for key in sorted(set(p for p in op.params if isinstance(p, str) and p in KEYS)):
                    print('    key %s: redis %s | streamkv %s' % (key, self.describe_redis(key),
                                                                    self.describe_pg(key)))
        return ok

    def describe_redis(self, key):
        t = dec(self.rc.execute_command('TYPE', key))
        ttl = self.rc.execute_command('PTTL', key)
        if t == 'string':
            return 'string %r pttl %s' % (dec(self.rc.execute_command('GET', key)), ttl)
        if t == 'hash':
            rep = self.rc.execute_command('HGETALL', key)
            return 'hash %r pttl %s' % (sorted((dec(rep[i]), dec(rep[i + 1])) for i in range(0, len(rep), 2)), ttl)
        return t

    def describe_pg(self, key):
        try:
            self.cur.execute('SELECT streamkv.type(%s), streamkv.pttl(%s)', [key, key])
            t, ttl = self.cur.fetchone()
            if t == 'string':
                self.cur.execute('SELECT streamkv.get(%s)', [key])
                return 'string %r pttl %s' % (self.cur.fetchone()[0], ttl)
            if t == 'hash':
                self.cur.execute('SELECT field, value FROM streamkv.hgetall(%s)', [key])
                return 'hash %r pttl %s' % (sorted(self.cur.fetchall()), ttl)
            return t
        except psycopg2.Error as e:
            return 'error %s %s' % (e.pgcode, e)

    # ---- phases ---------------------------------------------------------
    def timed_expiry(self, i, gen):
        """Real expiry: give a key 150 ms to live on both sides, wait 400 ms,
        compare. Also SET ... PX 150 on another key."""
        r = gen.r
        k1, k2 = r.choice(KEYS), r.choice(KEYS)
        ok = True
        ok &= self.step(i, Op('pexpire', ['PEXPIRE', k1, '150'],
                              'SELECT streamkv.pexpire(%s, %s::bigint)', [k1, 150], 'bool'))
        if k2 != k1:
            ok &= self.step(i, Op('set', ['SET', k2, 'short', 'PX', '150'],
                                  'SELECT streamkv.set(%s, %s::text, px => %s)', [k2, 'short', 150], 'str'))
        time.sleep(0.4)
        for k in (k1, k2):
            ok &= self.step(i, Op('exists', ['EXISTS', k], 'SELECT streamkv.exists(%s)', [k], 'int'))
            ok &= self.step(i, Op('type', ['TYPE', k], 'SELECT streamkv.type(%s)', [k], 'str'))
            ok &= self.step(i, Op('pttl', ['PTTL', k], 'SELECT streamkv.pttl(%s)', [k], 'ttl_ms'))
        ok &= self.step(i, Op('dbsize', ['DBSIZE'], 'SELECT streamkv.dbsize()', [], 'int'))
        return ok

    def full_compare(self, label):
        """Compares the whole keyspace: keys, types, values, TTLs."""
        rkeys = sorted(dec(k) for k in self.rc.execute_command('KEYS', '*'))
        self.cur.execute("SELECT k FROM streamkv.keys('*') k ORDER BY 1")
        pkeys = sorted(r[0] for r in self.cur.fetchall())
        bad = 0
        if rkeys != pkeys:
            print('FULL COMPARE (%s): key sets differ: redis %r streamkv %r' % (label, rkeys, pkeys))
            bad += 1
        for k in sorted(set(rkeys) | set(pkeys)):
            dr, dp = self.describe_redis(k), self.describe_pg(k)
            # compare without the exact pttl
            def strip(s):
                return s.rsplit(' pttl ', 1)
            sr, sp = strip(dr), strip(dp)
            same = sr[0] == sp[0]
            if same and len(sr) == 2 and len(sp) == 2:
                tr, tp = int(sr[1]), int(sp[1])
                same = (tr == tp) if (tr < 0 or tp < 0) else abs(tr - tp) <= 1000
            if not same:
                print('FULL COMPARE (%s): key %s: redis %s | streamkv %s' % (label, k, dr, dp))
                bad += 1
        self.compared += 1
        self.mismatches += bad
        return bad == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--redis-port', type=int, required=True)
    ap.add_argument('--dsn', required=True)
    ap.add_argument('--ops', type=int, default=10000)
    ap.add_argument('--seed', type=int, default=20240601)
    ap.add_argument('--timed-steps', type=int, default=5)
    ap.add_argument('--skip', default='',
                    help='comma-separated commands not to generate (exploration only; '
                         'changes the sequence)')
    ap.add_argument('--compare-only', action='store_true',
                    help='only compare the two keyspaces as they are now')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()

    if args.compare_only:
        try:
            run = Runner(args)
        except Exception as e:                  # noqa: BLE001 - setup failure
            print('setup failed: %s' % e)
            return 2
        ok = run.full_compare('compare-only')
        print('keys: %d, mismatches: %d' % (run.rc.execute_command('DBSIZE'), run.mismatches))
        return 0 if ok else 1

    try:
        run = Runner(args)
        run.rc.execute_command('FLUSHALL')
        run.cur.execute('SELECT streamkv.flushdb()')
    except Exception as e:                      # noqa: BLE001 - setup failure
        print('setup failed: %s' % e)
        return 2

    now_ms = int(time.time() * 1000)
    now_s = now_ms // 1000
    gen = Gen(args.seed, now_s, now_ms)
    skip = set(x for x in args.skip.split(',') if x)
    t0 = time.time()
    counts = {}
    timed_every = max(1, args.ops // (args.timed_steps + 1)) if args.timed_steps else 0
    for i in range(1, args.ops + 1):
        op = gen.op()
        while op.name in skip:
            op = gen.op()
        counts[op.name] = counts.get(op.name, 0) + 1
        if op.name in ('expire', 'pexpire', 'expireat', 'pexpireat') and (
                'GT' in op.redis or 'LT' in op.redis):
            # a GT/LT comparison against an expiry set in the same millisecond
            # with the same level would be a tie on one server only
            time.sleep(0.002)
        run.step(i, op)
        if timed_every and i % timed_every == 0 and i < args.ops:
            run.timed_expiry(i, gen)
        if i % 2500 == 0:
            run.full_compare('after op %d' % i)
    run.full_compare('end')
    elapsed = time.time() - t0

    print('operations per command: %s' % ', '.join('%s=%d' % kv for kv in sorted(counts.items())))
    print('errors seen (Redis message -> streamkv SQLSTATE message: count):')
    for m in sorted(run.errors_seen):
        for s, n in sorted(run.errors_seen[m].items()):
            print('    %-70s -> %s: %d' % (m, s, n))
    print('ops: %d, comparisons: %d, mismatches: %d, seconds: %.1f' % (
        args.ops, run.compared, run.mismatches, elapsed))
    return 1 if run.mismatches else 0


if __name__ == '__main__':
    sys.exit(main())
