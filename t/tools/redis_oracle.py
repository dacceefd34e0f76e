#!/usr/bin/python3
"""Differential tests of streamkv's primitives against a real redis-server.

Usage (from the TAP tests, with Debian's python3-redis and python3-psycopg2):
  redis_oracle.py geo     <libpq connstr> <redis port> <n points> <seed>
  redis_oracle.py keyslot <libpq connstr> <redis port> <n keys>   <seed>

Prints one line "key=value ..." of counts; the TAP test asserts on them.
"""
import random
import sys

import psycopg2
import redis

GEO_LAT = 85.05112878


def geo(conn, r, n, seed):
    rnd = random.Random(seed)
    pts = []
    # edge values: Redis's latitude limits, the antimeridian, exact cell edges
    for lon in (-180.0, 180.0, 0.0, -0.0, 179.99999999, -179.99999999):
        for lat in (-GEO_LAT, GEO_LAT, 0.0, 85.0511287, -85.0511287):
            pts.append((lon, lat))
    for _ in range(200):
        k = rnd.randrange(0, 1 << 26)
        pts.append((-180.0 + k * 360.0 / (1 << 26), -GEO_LAT + rnd.randrange(0, 1 << 26) * (2 * GEO_LAT) / (1 << 26)))
    while len(pts) < n:
        lon = rnd.uniform(-180.0, 180.0)
        lat = rnd.uniform(-GEO_LAT, GEO_LAT)
        if rnd.random() < 0.02 and len(pts) > 0:
            lon = pts[-1][0]            # same longitude: GEODIST's shortcut
        pts.append((lon, lat))
    pts = pts[:n]

    r.delete("streamkv:geo")
    pipe = r.pipeline(transaction=False)
    for i, (lon, lat) in enumerate(pts):
        pipe.execute_command("GEOADD", "streamkv:geo", repr(lon), repr(lat), "p%d" % i)
    added = sum(pipe.execute())
    pipe = r.pipeline(transaction=False)
    for i in range(len(pts)):
        pipe.execute_command("ZSCORE", "streamkv:geo", "p%d" % i)
    scores = [int(float(s)) for s in pipe.execute()]
    positions = r.execute_command("GEOPOS", "streamkv:geo", *["p%d" % i for i in range(len(pts))])
    units = ["m", "km", "mi", "ft"]
    pairs = []
    for i in range(len(pts)):
        j = (i + 1) % len(pts) if rnd.random() < 0.9 else rnd.randrange(len(pts))
        pairs.append((i, j, units[i % 4]))
    pipe = r.pipeline(transaction=False)
    for i, j, u in pairs:
        pipe.execute_command("GEODIST", "streamkv:geo", "p%d" % i, "p%d" % j, u)
    dists = pipe.execute()

    cur = conn.cursor()
    cur.execute("""
        SELECT streamkv.geo_score(t.lon, t.lat)::int8, d.lon, d.lat
        FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(lon, lat, i),
             LATERAL streamkv.geo_decode_score(streamkv.geo_score(t.lon, t.lat)) d
        ORDER BY i""", ([p[0] for p in pts], [p[1] for p in pts]))
    ours = cur.fetchall()
    score_mis = pos_mis = pos_exact = 0
    examples = []
    for i, (s, lon, lat) in enumerate(ours):
        if s != scores[i]:
            score_mis += 1
            examples.append("score p%d %r: ours %d redis %d" % (i, pts[i], s, scores[i]))
        rlon, rlat = float(positions[i][0]), float(positions[i][1])
        if abs(rlon - lon) > 1e-12 or abs(rlat - lat) > 1e-12:
            pos_mis += 1
            examples.append("pos p%d: ours %r,%r redis %r,%r" % (i, lon, lat, rlon, rlat))
        elif rlon == lon and rlat == lat:
            pos_exact += 1
    cur.execute("""
        SELECT streamkv.geo_distance(a.lon, a.lat, b.lon, b.lat, u)
        FROM unnest(%s::float8[], %s::float8[], %s::float8[], %s::float8[], %s::text[])
               WITH ORDINALITY AS t(lon1, lat1, lon2, lat2, u, i),
             LATERAL streamkv.geo_decode_score(streamkv.geo_score(lon1, lat1)) a,
             LATERAL streamkv.geo_decode_score(streamkv.geo_score(lon2, lat2)) b
        ORDER BY i""", ([pts[i][0] for i, _, _ in pairs], [pts[i][1] for i, _, _ in pairs],
                        [pts[j][0] for _, j, _ in pairs], [pts[j][1] for _, j, _ in pairs],
                        [u for _, _, u in pairs]))
    dist_mis = 0
    for k, (d,) in enumerate(cur.fetchall()):
        theirs = dists[k].decode() if isinstance(dists[k], bytes) else "%.4f" % float(dists[k])
        if "%.4f" % d != theirs:
            dist_mis += 1
            examples.append("dist %r: ours %.4f redis %s" % (pairs[k], d, theirs))
    print("points=%d added=%d score_mismatches=%d geopos_mismatches=%d geopos_exact=%d "
          "geodist_pairs=%d geodist_mismatches=%d" %
          (len(pts), added, score_mis, pos_mis, pos_exact, len(pairs), dist_mis))
    for e in examples[:10]:
        print("# " + e)


def keyslot(conn, r, n, seed):
    rnd = random.Random(seed)
    alphabet = b"abcxyz0123{}{}{}"

    def rbytes(m, binary):
        if binary:
            return bytes(rnd.randrange(256) for _ in range(m))
        return bytes(rnd.choice(alphabet) for _ in range(m))

    keys = [b"", b"{}", b"{", b"}", b"}{", b"{a}", b"a{b}c", b"foo{}{bar}", b"foo{{bar}}zap",
            b"foo{bar}{zap}", b"\x00", b"{\x00}", b"\xff{\xfe}\xfd", b"123456789"]
    while len(keys) < n:
        kind = rnd.randrange(4)
        binary = rnd.random() < 0.3
        if kind == 0:       # plain
            k = rbytes(rnd.randrange(0, 40), binary)
        elif kind == 1:     # a hash tag
            k = rbytes(rnd.randrange(0, 8), binary) + b"{" + rbytes(rnd.randrange(0, 10), binary) + b"}" + rbytes(rnd.randrange(0, 8), binary)
        elif kind == 2:     # empty tag, then maybe another
            k = rbytes(rnd.randrange(0, 5), binary) + b"{}" + rbytes(rnd.randrange(0, 5), binary) + b"{" + rbytes(rnd.randrange(1, 5), binary) + b"}"
        else:               # unbalanced braces
            k = rbytes(rnd.randrange(0, 8), binary) + rnd.choice([b"{", b"}", b"}{", b"{{", b"}}"]) + rbytes(rnd.randrange(0, 8), binary)
        keys.append(k)
    keys = keys[:n]
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.execute_command("CLUSTER", "KEYSLOT", k)
    slots = [int(s) for s in pipe.execute()]
    cur = conn.cursor()
    cur.execute("""SELECT streamkv.key_slot(k) FROM unnest(%s::bytea[]) WITH ORDINALITY AS t(k, i)
                   ORDER BY i""", ([psycopg2.Binary(k) for k in keys],))
    ours = [row[0] for row in cur.fetchall()]
    text_keys = []
    for i, k in enumerate(keys):
        try:
            if b"\x00" not in k:
                text_keys.append((i, k.decode("utf-8")))
        except UnicodeDecodeError:
            pass
    cur.execute("""SELECT streamkv.key_slot(k) FROM unnest(%s::text[]) WITH ORDINALITY AS t(k, i)
                   ORDER BY i""", ([k for _, k in text_keys],))
    ours_text = [row[0] for row in cur.fetchall()]
    mis = sum(1 for a, b in zip(ours, slots) if a != b)
    mis_text = sum(1 for (i, _), a in zip(text_keys, ours_text) if a != slots[i])
    tagged = sum(1 for k in keys if b"{" in k and b"}" in k[k.index(b"{") + 2:])
    binary = sum(1 for k in keys if any(c >= 128 or c == 0 for c in k))
    print("keys=%d tagged=%d binary=%d mismatches=%d text_keys=%d text_mismatches=%d" %
          (len(keys), tagged, binary, mis, len(text_keys), mis_text))
    for i, (a, b) in enumerate(zip(ours, slots)):
        if a != b:
            print("# key %r: ours %d redis %d" % (keys[i], a, b))
            break


def main():
    mode, connstr, port, n, seed = sys.argv[1:6]
    conn = psycopg2.connect(connstr)
    conn.set_client_encoding("UTF8")
    r = redis.Redis(host="127.0.0.1", port=int(port))
    {"geo": geo, "keyslot": keyslot}[mode](conn, r, int(n), int(seed))
    conn.close()


if __name__ == "__main__":
    main()
