/*-------------------------------------------------------------------------
 *
 * murmur.h
 *	  MurmurHash2 (32-bit, Kafka's partitioner) and MurmurHash64A (64-bit,
 *	  RedisBloom's filter hashing).  Pure functions; see murmur.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_MURMUR_H
#define STREAMKV_MURMUR_H

#include <stddef.h>
#include <stdint.h>

/* Kafka Utils.murmur2 seed */
#define SK_KAFKA_MURMUR2_SEED	0x9747b28cU

/* RedisBloom's first MurmurHash64A seed */
#define SK_BLOOM_MURMUR64_SEED	UINT64_C(0xc6a4a7935bd1e995)

extern int32_t sk_murmur2(const void *data, size_t len);
extern int32_t sk_kafka_partition(const void *key, size_t len, int32_t partitions);
extern uint64_t sk_murmur64a(const void *data, size_t len, uint64_t seed);

#endif							/* STREAMKV_MURMUR_H */
