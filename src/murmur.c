/*-------------------------------------------------------------------------
 *
 * murmur.c
 *	  Austin Appleby's MurmurHash2 family, in the two variants other systems
 *	  fixed as part of their on-wire or on-disk behaviour:
 *
 *	  - sk_murmur2(): the 32-bit MurmurHash2 exactly as Kafka's Java client
 *	    (Utils.murmur2) and librdkafka's murmur2 partitioners compute it, so
 *	    that sk_kafka_partition() sends a key to the same partition a Kafka
 *	    producer would.
 *	  - sk_murmur64a(): the 64-bit MurmurHash64A that RedisBloom uses for its
 *	    double hashing (see bloom.c).
 *
 *	  Design: both read their input in fixed-size blocks assembled byte by
 *	  byte in little-endian order, so the results do not depend on the host's
 *	  byte order or alignment.  All arithmetic is done on unsigned integers
 *	  (wrap-around is defined); the Java code's ">>>" is an unsigned shift.
 *
 *	  Locking: none; these are pure functions of their arguments.
 *
 *	  This file depends on nothing of PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#include "murmur.h"

/* MurmurHash2 mixing constants (Kafka Utils.murmur2: m, r) */
#define MURMUR2_M	0x5bd1e995U
#define MURMUR2_R	24

/* MurmurHash64A mixing constants */
#define MURMUR64_M	UINT64_C(0xc6a4a7935bd1e995)
#define MURMUR64_R	47

/*
 * sk_murmur2 -- Kafka's murmur2 of len bytes at data, as a signed int32
 * (the value Java's Utils.murmur2 returns).
 */
int32_t
sk_murmur2(const void *data, size_t len)
{
	const unsigned char *p = (const unsigned char *) data;
	uint32_t	h = SK_KAFKA_MURMUR2_SEED ^ (uint32_t) len;
	size_t		nblocks = len / 4;
	size_t		i;

	for (i = 0; i < nblocks; i++, p += 4)
	{
		uint32_t	k = (uint32_t) p[0] |
			((uint32_t) p[1] << 8) |
			((uint32_t) p[2] << 16) |
			((uint32_t) p[3] << 24);

		k *= MURMUR2_M;
		k ^= k >> MURMUR2_R;
		k *= MURMUR2_M;
		h *= MURMUR2_M;
		h ^= k;
	}

	switch (len & 3)
	{
		case 3:
			h ^= (uint32_t) p[2] << 16;
			/* FALLTHROUGH */
		case 2:
			h ^= (uint32_t) p[1] << 8;
			/* FALLTHROUGH */
		case 1:
			h ^= (uint32_t) p[0];
			h *= MURMUR2_M;
	}

	h ^= h >> 13;
	h *= MURMUR2_M;
	h ^= h >> 15;

	return (int32_t) h;
}

/*
 * sk_kafka_partition -- the partition Kafka's default partitioner (Java
 * client; librdkafka "murmur2" and "murmur2_random" for non-NULL keys)
 * picks for a key among partitions partitions.  partitions must be > 0.
 * Note the "& 0x7fffffff" (toPositive), not abs().
 */
int32_t
sk_kafka_partition(const void *key, size_t len, int32_t partitions)
{
	uint32_t	h = (uint32_t) sk_murmur2(key, len) & 0x7fffffffU;

	return (int32_t) (h % (uint32_t) partitions);
}

/*
 * sk_murmur64a -- MurmurHash64A of len bytes at data with the given seed.
 */
uint64_t
sk_murmur64a(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = (const unsigned char *) data;
	uint64_t	h = seed ^ ((uint64_t) len * MURMUR64_M);
	size_t		nblocks = len / 8;
	size_t		i;

	for (i = 0; i < nblocks; i++, p += 8)
	{
		uint64_t	k = (uint64_t) p[0] |
			((uint64_t) p[1] << 8) |
			((uint64_t) p[2] << 16) |
			((uint64_t) p[3] << 24) |
			((uint64_t) p[4] << 32) |
			((uint64_t) p[5] << 40) |
			((uint64_t) p[6] << 48) |
			((uint64_t) p[7] << 56);

		k *= MURMUR64_M;
		k ^= k >> MURMUR64_R;
		k *= MURMUR64_M;
		h ^= k;
		h *= MURMUR64_M;
	}

	switch (len & 7)
	{
		case 7:
			h ^= (uint64_t) p[6] << 48;
			/* FALLTHROUGH */
		case 6:
			h ^= (uint64_t) p[5] << 40;
			/* FALLTHROUGH */
		case 5:
			h ^= (uint64_t) p[4] << 32;
			/* FALLTHROUGH */
		case 4:
			h ^= (uint64_t) p[3] << 24;
			/* FALLTHROUGH */
		case 3:
			h ^= (uint64_t) p[2] << 16;
			/* FALLTHROUGH */
		case 2:
			h ^= (uint64_t) p[1] << 8;
			/* FALLTHROUGH */
		case 1:
			h ^= (uint64_t) p[0];
			h *= MURMUR64_M;
	}

	h ^= h >> MURMUR64_R;
	h *= MURMUR64_M;
	h ^= h >> MURMUR64_R;

	return h;
}
