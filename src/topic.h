/*-------------------------------------------------------------------------
 *
 * topic.h
 *	  Kafka-style topics (topic.c): shared memory and the hooks that
 *	  streamkv.c and the worker call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_TOPIC_H
#define STREAMKV_TOPIC_H

#include "streamkv.h"

/* Most partitions a topic can have (chains of its store). */
#define SK_MAX_PARTITIONS		256

extern Size sk_topic_shmem_size(void);
extern void sk_topic_shmem_init(void *ptr, bool found, int tranche_id);
extern void sk_topic_after_flush(void);
extern void sk_topic_maintain(void);

#endif							/* STREAMKV_TOPIC_H */
