/*-------------------------------------------------------------------------
 *
 * bloom.h
 *	  Bloom filter bit math shared by the streamkv.bloom type (bloom_sql.c)
 *	  and, later, named filters in shared memory.  See bloom.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_BLOOM_H
#define STREAMKV_BLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* largest filter: 2^31 bits (256 MiB), far below a varlena's 1 GB */
#define SK_BLOOM_MAX_BITS	(UINT64_C(1) << 31)

/* the two 64-bit hashes of an item (RedisBloom's bloom_hashval) */
typedef struct SkBloomHash
{
	uint64_t	a;
	uint64_t	b;
} SkBloomHash;

extern double sk_bloom_bits_per_entry(double error_rate);
extern bool sk_bloom_size(uint64_t capacity, double error_rate,
						  uint64_t *bits, uint32_t *hashes);
extern SkBloomHash sk_bloom_hash(const void *item, size_t len);
extern bool sk_bloom_add(uint8_t *bitmap, uint64_t bits, uint32_t hashes,
						 SkBloomHash h);
extern bool sk_bloom_test(const uint8_t *bitmap, uint64_t bits, uint32_t hashes,
						  SkBloomHash h);
extern uint64_t sk_bloom_popcount(const uint8_t *bitmap, size_t nbytes);
extern double sk_bloom_fpp_from_fill(uint64_t bits, uint32_t hashes,
									 uint64_t bits_set);
extern double sk_bloom_fpp_expected(uint64_t bits, uint32_t hashes,
									uint64_t items);

#endif							/* STREAMKV_BLOOM_H */
