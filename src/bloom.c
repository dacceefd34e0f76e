/*-------------------------------------------------------------------------
 *
 * bloom.c
 *	  Bloom filter bit math, compatible with RedisBloom's filters.
 *
 *	  Sizing (RedisBloom 2.6's bloom_init with BLOOM_OPT_NOROUND, the mode
 *	  of every filter BF.RESERVE and BF.ADD create): bits per entry
 *	  bpe = -ln(p) / 0.480453013918201 (ln(2)^2 as RedisBloom writes it);
 *	  the filter has (uint64) (capacity * bpe) bits -- truncated, at least
 *	  one -- rounded up to a multiple of 64, and k = ceil(ln(2) * bpe) hash
 *	  functions.  Hashing: a = MurmurHash64A(item, seed 0xc6a4a7935bd1e995),
 *	  b = MurmurHash64A(item, seed a); the i-th bit of an item (0 <= i < k)
 *	  is (a + i * b) mod bits, stored at byte bit/8, mask 1 << (bit % 8).
 *	  (Kirsch & Mitzenmacher's double hashing: two hashes give k.)
 *
 *	  The functions here work on a bare bitmap and its shape (bits,
 *	  hashes); the caller owns the memory and its header, whether that is a
 *	  varlena value (bloom_sql.c) or a shared-memory filter.
 *
 *	  Locking: none here; a caller sharing a bitmap between processes must
 *	  serialize sk_bloom_add() calls on it.
 *	  This file depends on nothing of PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#include "bloom.h"

#include <math.h>

#include "murmur.h"

/* ln(2), the value RedisBloom uses */
#define LN2		0.693147180559945
/* ln(2)^2, the constant RedisBloom's calc_bpe divides by */
#define LN2_SQUARED	0.480453013918201

/*
 * sk_bloom_bits_per_entry -- -ln(p) / ln(2)^2, the optimal bits per item
 * for false-positive rate p.
 */
double
sk_bloom_bits_per_entry(double error_rate)
{
	return -log(error_rate) / LN2_SQUARED;
}

/*
 * sk_bloom_size -- the shape of a filter for capacity items at error_rate.
 * Preconditions: capacity >= 1, 0 < error_rate < 1.  Returns false when
 * the filter would exceed SK_BLOOM_MAX_BITS.
 */
bool
sk_bloom_size(uint64_t capacity, double error_rate, uint64_t *bits,
			  uint32_t *hashes)
{
	double		bpe = sk_bloom_bits_per_entry(error_rate);
	double		dbits = (double) capacity * bpe;
	uint64_t	nbits;

	if (!(dbits <= (double) SK_BLOOM_MAX_BITS))
		return false;
	nbits = (uint64_t) dbits;	/* truncated, as RedisBloom does */
	if (nbits == 0)
		nbits = 1;
	nbits = (nbits + 63) / 64 * 64;
	if (nbits > SK_BLOOM_MAX_BITS)
		return false;
	*bits = nbits;
	*hashes = (uint32_t) ceil(LN2 * bpe);
	if (*hashes < 1)
		*hashes = 1;
	return true;
}

/* sk_bloom_hash -- the two 64-bit hashes of an item */
SkBloomHash
sk_bloom_hash(const void *item, size_t len)
{
	SkBloomHash h;

	h.a = sk_murmur64a(item, len, SK_BLOOM_MURMUR64_SEED);
	h.b = sk_murmur64a(item, len, h.a);
	return h;
}

/*
 * sk_bloom_add -- sets the item's bits; returns true when at least one of
 * them was clear (the item was certainly new).
 */
bool
sk_bloom_add(uint8_t *bitmap, uint64_t bits, uint32_t hashes, SkBloomHash h)
{
	bool		changed = false;
	uint32_t	i;

	for (i = 0; i < hashes; i++)
	{
		uint64_t	x = (h.a + (uint64_t) i * h.b) % bits;
		uint8_t		mask = (uint8_t) (1 << (x % 8));

		if (!(bitmap[x / 8] & mask))
		{
			bitmap[x / 8] |= mask;
			changed = true;
		}
	}
	return changed;
}

/* sk_bloom_test -- whether all of the item's bits are set */
bool
sk_bloom_test(const uint8_t *bitmap, uint64_t bits, uint32_t hashes,
			  SkBloomHash h)
{
	uint32_t	i;

	for (i = 0; i < hashes; i++)
	{
		uint64_t	x = (h.a + (uint64_t) i * h.b) % bits;

		if (!(bitmap[x / 8] & (1 << (x % 8))))
			return false;
	}
	return true;
}

/* sk_bloom_popcount -- number of set bits */
uint64_t
sk_bloom_popcount(const uint8_t *bitmap, size_t nbytes)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < nbytes; i++)
		n += (uint64_t) __builtin_popcount(bitmap[i]);
	return n;
}

/*
 * sk_bloom_fpp_from_fill -- estimated false-positive rate of a filter
 * from its fill: (bits_set / bits)^k.
 */
double
sk_bloom_fpp_from_fill(uint64_t bits, uint32_t hashes, uint64_t bits_set)
{
	return pow((double) bits_set / (double) bits, (double) hashes);
}

/*
 * sk_bloom_fpp_expected -- the textbook expectation of the false-positive
 * rate after items distinct insertions: (1 - e^(-k n / m))^k.
 */
double
sk_bloom_fpp_expected(uint64_t bits, uint32_t hashes, uint64_t items)
{
	return pow(1.0 - exp(-(double) hashes * (double) items / (double) bits),
			   (double) hashes);
}
