#!/usr/bin/env python3
"""An independent model of RedisBloom 2.6's scalable bloom filter, for the
TAP tests: written from the algorithm as the reference describes it
(../shared/reference/redis-semantics.md, "Bloom filters"), sharing no code
with streamkv's C.

  MurmurHash64A (Austin Appleby's, seed 0xc6a4a7935bd1e995, then seeded with
  the first hash); bits per entry -ln(p) / 0.480453013918201; bits =
  trunc(capacity * bpe) (at least 1) rounded up to 64; k = ceil(ln 2 * bpe);
  bit i of an item = (a + i*b) mod bits, byte bit/8, mask 1 << bit%8; the
  first sub-filter at error/2 (unless nonscaling), each next one at
  capacity * expansion and error / 2, opened when an item that is not
  present finds the newest one full.

Usage: bloom_oracle.py ERROR CAPACITY EXPANSION NONSCALING(0|1) < items
(one item per line, UTF-8).  Prints, as key=value lines: new (items
reported new), filters, capacity, items, per sub-filter
"link<i>=bytes,bits,hashes,capacity,items", "positions=" (the bit positions
of the first item in the first sub-filter), "header=" (BF.SCANDUMP's header:
RedisBloom's packed dumpedChainHeader and dumpedChainLink structs, in hex)
and "dump=" (the sub-filters' bitmaps concatenated, in hex, as BF.SCANDUMP
returns them after its header).
"""
import math
import struct
import sys

M64 = (1 << 64) - 1


def murmur64a(data, seed):
    m = 0xc6a4a7935bd1e995
    r = 47
    n = len(data)
    h = (seed ^ ((n * m) & M64)) & M64
    nblocks = n // 8
    for i in range(nblocks):
        k = int.from_bytes(data[8 * i:8 * i + 8], 'little')
        k = (k * m) & M64
        k ^= k >> r
        k = (k * m) & M64
        h ^= k
        h = (h * m) & M64
    tail = data[8 * nblocks:]
    if tail:
        for j in range(len(tail) - 1, -1, -1):
            h ^= tail[j] << (8 * j)
        h = (h * m) & M64
    h ^= h >> r
    h = (h * m) & M64
    h ^= h >> r
    return h


def hashes_of(item):
    a = murmur64a(item, 0xc6a4a7935bd1e995)
    b = murmur64a(item, a)
    return a, b


class Link:
    def __init__(self, capacity, error):
        self.capacity = capacity
        self.error = error
        bpe = -math.log(error) / 0.480453013918201
        bits = int(capacity * bpe)
        if bits == 0:
            bits = 1
        self.bits = (bits + 63) // 64 * 64
        self.hashes = math.ceil(0.693147180559945 * bpe)
        self.bpe = bpe
        self.bitmap = bytearray(self.bits // 8)
        self.items = 0

    def positions(self, a, b):
        return [((a + i * b) & M64) % self.bits for i in range(self.hashes)]

    def test(self, a, b):
        return all(self.bitmap[x // 8] & (1 << (x % 8)) for x in self.positions(a, b))

    def add(self, a, b):
        for x in self.positions(a, b):
            self.bitmap[x // 8] |= 1 << (x % 8)


class Chain:
    def __init__(self, error, capacity, expansion, nonscaling):
        self.expansion = expansion
        self.nonscaling = nonscaling
        self.links = [Link(capacity, error * (1.0 if nonscaling else 0.5))]

    def add(self, item):
        a, b = hashes_of(item)
        if any(l.test(a, b) for l in self.links):
            return 0
        cur = self.links[-1]
        if cur.items >= cur.capacity:
            if self.nonscaling:
                return -2
            self.links.append(Link(cur.capacity * self.expansion, cur.error * 0.5))
            cur = self.links[-1]
        cur.add(a, b)
        cur.items += 1
        return 1


def main():
    error, capacity, expansion, nonscaling = (float(sys.argv[1]), int(sys.argv[2]),
                                              int(sys.argv[3]), sys.argv[4] == '1')
    c = Chain(error, capacity, expansion, nonscaling)
    items = [line.rstrip('\n').encode('utf-8') for line in sys.stdin]
    new = 0
    for it in items:
        r = c.add(it)
        if r == -2:
            break
        new += r
    print('new=%d' % new)
    print('filters=%d' % len(c.links))
    print('capacity=%d' % sum(l.capacity for l in c.links))
    print('items=%d' % sum(l.items for l in c.links))
    for i, l in enumerate(c.links):
        print('link%d=%d,%d,%d,%d,%d' % (i, l.bits // 8, l.bits, l.hashes, l.capacity, l.items))
    if items:
        a, b = hashes_of(items[0])
        print('positions=' + ','.join(str(x) for x in c.links[0].positions(a, b)))
    # options: NOROUND 1 | FORCE64 4 | NO_SCALING 8 (RedisBloom's bloom.h)
    hdr = struct.pack('<QIII', sum(l.items for l in c.links), len(c.links),
                      1 | 4 | (8 if nonscaling else 0), expansion)
    for l in c.links:
        hdr += struct.pack('<QQQddIQB', l.bits // 8, l.bits, l.items, l.error, l.bpe,
                           l.hashes, l.capacity, 0)
    print('header=' + hdr.hex())
    print('dump=' + ''.join(l.bitmap.hex() for l in c.links))


if __name__ == '__main__':
    main()
