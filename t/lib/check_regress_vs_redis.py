#!/usr/bin/python3
"""Checks a pg_regress expected output against redis-server.

Every statement in sql/NAME.sql that ends with a comment
    -- redis: CMD args ;; CMD args ...
is mirrored by those Redis commands (one per result column). This script
replays the annotated commands, in order, on a redis-server (FLUSHALL first;
the pseudo command SLEEP s sleeps), reads the result of each annotated
statement from expected/NAME.out (or any psql -a style output) and compares
column by column:

    Redis 1/0          <-> t/f (when the column is boolean)
    Redis nil          <-> NULL (shown empty)
    Redis OK           <-> OK
    Redis array        <-> text[] literal
    Redis error        <-> "SQLSTATE: message" from pg_temp.try(), or an ERROR

Columns whose SQL value is a boolean computed from a number (e.g.
"ttl(k) > 0") are shown but not compared. Prints one line per annotated
statement (OK / DIFF / SKIP); exit status 1 when any DIFF.

Usage: check_regress_vs_redis.py --redis-port 6381 sql/ttl.sql expected/ttl.out
"""

import argparse
import re
import shlex
import sys
import time

import redis

ERROR_CODES = {
    'WRONGTYPE': '42809',
}


def pg_array(lst):
    out = []
    for x in lst:
        if x is None:
            out.append('NULL')
        elif x == '' or re.search(r'[\s,{}"\\]', x) or x.upper() == 'NULL':
            out.append('"' + x.replace('\\', '\\\\').replace('"', '\\"') + '"')
        else:
            out.append(x)
    return '{' + ','.join(out) + '}'


def parse_out(path):
    """Returns {statement text (one line): [list of result rows as lists]},
    in order, for one-line statements of a psql -a output."""
    lines = open(path, encoding='utf-8').read().split('\n')
    results = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if '-- redis:' in line and line.startswith('SELECT'):
            stmt = line
            i += 1
            # either an ERROR: line or a table
            if i < len(lines) and lines[i].startswith('ERROR:'):
                results.append((stmt, 'error', lines[i][len('ERROR:'):].strip()))
                i += 1
                continue
            header = lines[i]
            sep = lines[i + 1]
            rows = []
            i += 2
            while i < len(lines) and not re.match(r'^\(\d+ rows?\)$', lines[i]):
                rows.append(lines[i])
                i += 1
            # split by the separator's column boundaries
            bounds = [m.span() for m in re.finditer(r'-+', sep)]
            parsed = []
            for r in rows:
                cols = []
                for a, b in bounds:
                    cols.append(r[a:b].strip() if a < len(r) else "")
                parsed.append(cols)
            results.append((stmt, 'rows', parsed))
        i += 1
    return results


def norm_redis(rep):
    if isinstance(rep, bytes):
        return rep.decode('utf-8', 'surrogateescape')
    if isinstance(rep, list):
        return [norm_redis(x) for x in rep]
    return rep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--redis-port', type=int, required=True)
    ap.add_argument('sql')
    ap.add_argument('out')
    args = ap.parse_args()

    rc = redis.Redis(host='127.0.0.1', port=args.redis_port)
    rc.response_callbacks = {}
    rc.execute_command('FLUSHALL')

    results = parse_out(args.out)
    annotated = [l for l in open(args.sql, encoding='utf-8').read().split('\n')
                 if '-- redis:' in l and l.startswith('SELECT')]
    if len(annotated) != len(results):
        print('annotated statements: %d in %s, %d in %s' % (len(annotated), args.sql, len(results), args.out))
    diffs = 0
    for stmt, kind, res in results:
        cmds = [c.strip() for c in stmt.split('-- redis:', 1)[1].split(';;')]
        replies = []
        for c in cmds:
            parts = shlex.split(c)
            if parts[0].upper() == 'SLEEP':
                time.sleep(float(parts[1]))
                replies.append(('sleep', None))
                continue
            try:
                replies.append(('ok', norm_redis(rc.execute_command(*parts))))
            except redis.exceptions.ResponseError as e:
                replies.append(('err', str(e)))
        if kind == 'error':
            ok = all(r[0] == 'err' for r in replies) and len(replies) == 1
            status = 'OK' if ok else 'DIFF'
            print('%-4s %s\n       pg ERROR: %s\n       redis: %r' % (status, stmt, res, replies))
            diffs += status == 'DIFF'
            continue
        if len(res) != 1:
            print('SKIP %s (%d rows)' % (stmt, len(res)))
            continue
        cols = res[0]
        if len(cols) != len(replies):
            print('DIFF %s: %d columns, %d redis commands' % (stmt, len(cols), len(replies)))
            diffs += 1
            continue
        line_ok = True
        notes = []
        for col, (rk, rv) in zip(cols, replies):
            if rk == 'sleep':
                continue
            if rk == 'err':
                m = re.match(r'^([0-9A-Z]{5}): (.*)$', col)
                if not m:
                    line_ok = False
                    notes.append('redis error %r, pg %r' % (rv, col))
                else:
                    code = m.group(1)
                    want = ERROR_CODES.get(rv.split(' ')[0])
                    if want and want != code:
                        line_ok = False
                    notes.append('error: redis %r | pg %s %r' % (rv, code, m.group(2)))
                continue
            if rv == 'OK' and col == '' and 'flushdb()' in stmt:
                continue            # FLUSHDB: OK <-> void
            if isinstance(rv, list):
                exp = pg_array(rv)
            elif rv is None:
                exp = ''
            elif isinstance(rv, int):
                if col in ('t', 'f') and rv in (0, 1):
                    exp = 't' if rv else 'f'
                elif col in ('t', 'f'):
                    notes.append('unchecked: redis %r, pg %r' % (rv, col))
                    continue
                else:
                    exp = str(rv)
            else:
                exp = rv
            if col != exp:
                line_ok = False
                notes.append('redis %r, pg %r' % (exp, col))
        status = 'OK' if line_ok else 'DIFF'
        diffs += not line_ok
        print('%-4s %s%s' % (status, stmt, ''.join('\n       ' + n for n in notes)))
    print('%d annotated statements, %d differences' % (len(results), diffs))
    return 1 if diffs else 0


if __name__ == '__main__':
    sys.exit(main())
