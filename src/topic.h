/*-------------------------------------------------------------------------
 *
 * topic.h
 *	  Kafka-style topics (topic_*.c): shared memory and the hooks that
 *	  streamkv.c and the worker call.
 *
 * Locking: SkTopicSlot.lock (tranche "streamkv topic") is held shared by
 * every user of a partition and exclusively to load, unload or reload the
 * topic; each partition's lock (same tranche) after it guards the
 * partition's fields and chain.  The groups lock, when held, comes first.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_TOPIC_H
#define STREAMKV_TOPIC_H

#include "streamkv.h"

/* Most partitions a topic can have (chains of its store). */
#define SK_MAX_PARTITIONS		256

#include "slot.h"
#include "storage/condition_variable.h"

/*
 * Partitions live in chunks that double in size (1, 1, 2, 4, ... 128
 * partitions: SK_PART_CHUNKS of them cover SK_MAX_PARTITIONS), allocated
 * when a topic first has that many partitions and never freed or moved, so
 * that a partition's lock and condition variable stay where sleepers and
 * lock holders expect them for as long as the slot header exists (slot.h).
 */
#define SK_PART_CHUNKS			9

/* A topic's slot (slot.h): its header, then the topic's own fields. */
typedef struct SkTopicSlot
{
	SkSlot		slot;			/* key.rnode: the topic's store */
	LWLock		lock;			/* shared by partition users, exclusive to load/unload */
	int			npartitions;	/* partitions whose state is kept */
	ConditionVariable cv;		/* any partition grew (consumer groups wait on it) */
	dsa_pointer chunks[SK_PART_CHUNKS];	/* SkPartition arrays (above) */
} SkTopicSlot;


/* The topic's row of the store-kind registry (kinds.c) */
extern void sk_topic_slot_init(SkSlot *s, int tranche_id);
extern void sk_topic_lock_all(SkSlot *s, LWLockMode mode);
extern bool sk_topic_try_lock_all(SkSlot *s);
extern void sk_topic_unlock_all(SkSlot *s);
extern void sk_topic_load(SkSlot *s, Relation rel);
extern void sk_topic_unload(SkSlot *s);
extern void sk_topic_after_flush(void);
extern void sk_topic_maintain(MemoryContext roundcxt);

/* Interface for consumer groups (group.c) */
#include "lib/stringinfo.h"
#include "store.h"

typedef struct SkTopicRef
{
	Relation	rel;
	SkTopicConf conf;
	void	   *slot;			/* SkTopicSlot */
} SkTopicRef;

/* A record as stored, pointing into a locked page. */
typedef struct SkRecordView
{
	int64		offset;
	int64		timestamp;		/* ms since the Unix epoch */
	const char *key;			/* NULL: NULL key */
	int32		keylen;
	int32		vallen;
	const char *value;			/* NULL: NULL value */
	const char *headers;		/* encoded */
	uint32		hdrlen;
	uint16		nheaders;
} SkRecordView;

typedef bool (*sk_record_cb) (const SkRecordView *v, void *arg);

/* streamkv.header's type, looked up once per call (zero it to start). */
typedef struct SkHeaderType
{
	Oid			type;
	TupleDesc	desc;
	int16		len;
	bool		byval;
	char		align;
} SkHeaderType;

extern Datum sk_ms_to_timestamptz(int64 ms);
extern int64 sk_timestamptz_to_ms(TimestampTz ts);
extern bool sk_topic_open(SkTopicRef *tr, const char *name, bool missing_ok, LOCKMODE lockmode);
extern void sk_topic_close(SkTopicRef *tr);
extern void sk_topic_bounds(SkTopicRef *tr, int partition, int64 *log_start, int64 *hwm);
extern int64 sk_topic_offset_for_time(SkTopicRef *tr, int partition, int64 ts_ms);
extern bool sk_topic_flush_pending(SkTopicRef *tr, int partition);
extern void sk_topic_prepare_wait(SkTopicRef *tr);
extern void sk_topic_wait(SkTopicRef *tr, long ms);
extern int	sk_topic_read(SkTopicRef *tr, int partition, int64 from, int64 until, int max,
						  sk_record_cb cb, void *arg);
extern void sk_topic_record_datums(const SkRecordView *v, Datum topic, int partition,
								   Datum *values, bool *nulls, SkHeaderType *ht);
extern int	sk_topic_produce_copy(SkTopicRef *tr, const SkRecordView *v, const char *extra,
								  uint32 extralen, uint16 nextra, int64 *offset);
extern void sk_topic_encode_header(StringInfo buf, const char *key, const char *value, int32 vlen);

#endif							/* STREAMKV_TOPIC_H */
