/*-------------------------------------------------------------------------
 *
 * topic_int.h
 *	  Declarations shared by the files split from topic.c.orig: topic_mem.c, topic_produce.c, topic_admin.c, topic_fetch.c, topic_retention.c, topic_api.c.
 *
 * Locking: the topic's slot lock (shared for partition users, exclusive
 * to load/unload), then a partition's lock, then buffers; fetch never
 * sleeps holding either.  See docs/architecture.md, "Locks".
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_TOPIC_INT_H
#define STREAMKV_TOPIC_INT_H

#include "postgres.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlogutils.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "replication/syncrep.h"
#include "replication/walsender_private.h"
#include "storage/bufmgr.h"
#include "storage/condition_variable.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "kinds.h"
#include "kvmem.h"
#include "murmur.h"
#include "store.h"
#include "topic.h"



/* Kafka's batch.size: a sticky partition changes after this many bytes */
#define SK_STICKY_BATCH_BYTES	16384
#define SK_DURABLE_RING			16
#define SK_RATE_WINDOW_MS		5000	/* window of the produce rate */

typedef struct SkRecHeader
{
	int64		offset;
	int64		timestamp;		/* ms since the Unix epoch */
	int32		keylen;			/* -1: NULL */
	int32		vallen;			/* -1: NULL */
	uint32		hdrlen;			/* bytes of encoded headers */
	uint16		nheaders;
	uint16		unused;
} SkRecHeader;

/* Page index entry: a page where at least one record starts. */
typedef struct SkPageIdx
{
	int64		first_offset;
	int64		max_ts;
	uint32		blk;
	uint32		bytes;
} SkPageIdx;

typedef struct SkPageIndex
{
	uint32		start;			/* first live entry */
	uint32		count;			/* entries in use, from 0 */
	uint32		cap;
	uint32		unused;
	SkPageIdx	e[FLEXIBLE_ARRAY_MEMBER];
} SkPageIndex;

typedef struct SkPartition
{
	LWLock		lock;
	dsa_pointer slot;			/* the SkTopicSlot it belongs to */
	ConditionVariable cv;
	int64		next_offset;
	int64		log_start;
	int64		bytes;
	int64		first_ts;
	int64		last_ts;
	uint64		produced;		/* since this copy was loaded */
	int64		win_start;		/* rate window: start (ms), records in it */
	int64		win_count;
	double		last_rate;		/* records/s over the last full window */
	int64		durable_offset; /* high watermark known so far */
	int			nring;
	XLogRecPtr	ring_lsn[SK_DURABLE_RING];
	int64		ring_end[SK_DURABLE_RING];
	dsa_pointer index;			/* SkPageIndex */
} SkPartition;

static inline int
chunk_of(int partition)
{
	return partition == 0 ? 0 : pg_leftmost_one_pos32((uint32) partition) + 1;
}

static inline int
chunk_first(int c)
{
	return c == 0 ? 0 : 1 << (c - 1);
}

static inline int
chunk_len(int c)
{
	return c == 0 ? 1 : 1 << (c - 1);
}

/* Partition i of t; its chunk exists (i < t->npartitions or loading). */
static inline SkPartition *
tpart(SkTopicSlot *t, int i)
{
	int			c = chunk_of(i);

	Assert(DsaPointerIsValid(t->chunks[c]));
	return (SkPartition *) sk_ptr(t->chunks[c]) + (i - chunk_first(c));
}

static inline SkTopicSlot *
part_slot(SkPartition *p)
{
	return (SkTopicSlot *) sk_ptr(p->slot);
}

static inline bool
topic_is(SkTopicSlot *t, RelFileNode rnode)
{
	return sk_slot_is(&t->slot, SK_STORE_TOPIC, rnode);
}


/* Partitions this transaction produced to: woken after the commit flush. */
#define SK_MAX_WAKE 64

/* Sticky partition per topic for NULL keys (KIP-480), backend-local. */
typedef struct SkSticky
{
	RelFileNode rnode;
	int			partition;
	int64		bytes;
} SkSticky;

/*
 * The store's relation name: "topic_<name>", or for names too long for a
 * relation name, "topic_<first 40 characters>_<hash of the name>".  The
 * metapage keeps the full name, and open_topic() checks it.
 */
#define SK_TOPIC_RELNAME_DIRECT	(NAMEDATALEN - 1 - 6)

typedef struct LoadArg
{
	SkPartition *p;
} LoadArg;

/*
 * produce_agg: records are encoded straight into one buffer per partition
 * (MAXALIGN'd, back to back: no allocation per record) and appended in
 * batches of SK_AGG_FLUSH_BYTES.
 */
#define SK_AGG_FLUSH_BYTES	(256 * 1024)

typedef struct AggPart
{
	char	   *buf;			/* encoded records */
	Size		used;
	Size		cap;
	Size	   *offs;			/* record i starts at buf + offs[i] */
	Size	   *lens;
	char	  **recs;			/* filled at flush time */
	int			n;
	int			ncap;
} AggPart;

typedef struct SkAggState
{
	MemoryContext cxt;
	Oid			relid;
	Relation	rel;
	SkTopicConf conf;
	Size		namelen;
	SkTopicSlot *slot;
	AggPart		parts[SK_MAX_PARTITIONS];
	int64		count;
} SkAggState;

typedef struct FetchState
{
	ReturnSetInfo *rsinfo;
	Datum		topic_datum;
	int			partition;
	int64		from;
	int64		until;			/* high watermark */
	int			max_records;
	int64		max_bytes;
	int			nrecs;
	int64		nbytes;
	/* per call, not per record */
	bool		fast;			/* setDesc has streamkv.record's layout */
	Size		topiclen;
	char	   *tup;			/* fast path: the tuple being built */
	Size		tupcap;
	Size		prefix;			/* its data bytes that stay (0: not yet written) */
	SkHeaderType ht;			/* headers: streamkv.header, on first use */
} FetchState;

#define HEAP_INFOMASK_ATTRS (HEAP_HASNULL | HEAP_HASVARWIDTH | HEAP_HASEXTERNAL)

/*
 * Puts a record without headers into the result, building the tuple
 * straight from the page, byte for byte what heap_form_tuple() makes of
 * fetch_rec()'s values (checked in assert-enabled builds): one copy of the
 * key and value into the tuple, which the tuplestore copies.  The tuple's
 * header and its first columns (topic, partition) are the same for every
 * record of a call: they are written once, with the first record.
 */
#define SK_FETCH_HOFF	MAXALIGN(offsetof(HeapTupleHeaderData, t_bits) + BITMAPLEN(7))

/*
 * fetch's result tuples live in a context of the backend's own, kept from
 * one call to the next, instead of in the query's: a consumer loop of small
 * batches then reuses the same memory rather than having fresh memory
 * faulted in (and handed back to the kernel) for every batch, which cost
 * more than building the tuples.  The executor frees each tuplestore
 * (tuplestore_end) when the query ends; a query that fails leaves its
 * tuples behind, so the context is reset once it is idle -- no query of the
 * backend holds a fetch result, which a reset callback on each calling
 * query's context counts -- and larger than SK_FETCH_CXT_KEEP.
 */
#define SK_FETCH_CXT_KEEP	(16 * 1024 * 1024)

typedef struct ReadState
{
	int64		from;
	int64		until;
	int			max;
	int			n;
	sk_record_cb cb;
	void	   *arg;
} ReadState;


extern void check_topic_name(const char *name);
extern void store_relname(const char *topic, char *out);
extern Oid topic_relid(const char *topic, bool missing_ok);
extern void read_conf(Relation rel, SkTopicConf *conf);
extern Relation open_topic_ext(const char *name, LOCKMODE lockmode, SkTopicConf *conf, bool missing_ok);
extern Relation open_topic(const char *name, LOCKMODE lockmode, SkTopicConf *conf);
extern void check_conf_values(int32 partitions, int64 retention_ms, int64 retention_bytes, int32 max_message_bytes);
extern SkPageIndex * pidx(SkPartition *p);
extern bool pidx_push(SkPartition *p, int64 first_offset, int64 ts, uint32 blk, uint32 bytes);
extern void part_reset(SkPartition *p);
extern void part_note_record(SkPartition *p, const SkRecHeader *h, Size len, BlockNumber start_blk);
extern bool load_rec(const char *data, Size len, BlockNumber start_blk, void *arg);
extern void sk_topic_slot_init(SkSlot *s, int tranche_id);
extern void sk_topic_lock_all(SkSlot *s, LWLockMode mode);
extern bool sk_topic_try_lock_all(SkSlot *s);
extern void sk_topic_unlock_all(SkSlot *s);
extern void lock_all(SkTopicSlot *t, LWLockMode mode);
extern void unlock_all(SkTopicSlot *t);
extern void ensure_parts(SkTopicSlot *t, int n);
extern void sk_topic_unload(SkSlot *s);
extern void sk_topic_load(SkSlot *s, Relation rel);
extern SkTopicSlot * topic_slot(Relation rel);
extern SkPartition * part_lock(SkTopicSlot **tp, Relation rel, int partition, LWLockMode mode);
extern void part_unlock(SkPartition *p);
extern XLogRecPtr durable_lsn(void);
extern int64 part_hwm(SkPartition *p);
extern XLogRecPtr part_pending_lsn(SkPartition *p, int64 hwm);
extern void part_note_lsn(SkPartition *p, XLogRecPtr lsn, int64 end);
extern void remember_wake(SkPartition *p);
extern void sk_topic_after_flush(void);
extern int32 parse_ts_type(const char *s);
extern Datum sk_create_topic(PG_FUNCTION_ARGS);
extern Datum sk_alter_topic(PG_FUNCTION_ARGS);
extern Datum sk_drop_topic(PG_FUNCTION_ARGS);
extern Datum sk_topics(PG_FUNCTION_ARGS);
extern Datum ts_datum(int64 ms);
extern int64 ts_ms(TimestampTz ts);
extern Datum sk_partitions(PG_FUNCTION_ARGS);
extern void put_header(StringInfo buf, const char *key, int32 kl, const char *value, int32 vl);
extern char * encode_record(bytea *key, bytea *value, ArrayType *headers, int64 ts, Size *len);
extern int route(SkTopicConf *conf, Relation rel, bytea *key, int32 explicit_partition, bool has_partition,
		  Size reclen);
extern void check_record_size(SkTopicConf *conf, Size len);
extern int64 append_records(Relation rel, SkTopicSlot **tp, int partition, char **recs, Size *lens, int n);
extern Datum sk_produce(PG_FUNCTION_ARGS);
extern void agg_flush(SkAggState *st, int partition);
extern Datum sk_produce_agg_step(PG_FUNCTION_ARGS);
extern Datum sk_produce_agg_final(PG_FUNCTION_ARGS);
extern BlockNumber start_block(SkPartition *p, int64 offset);
extern Datum headers_datum(SkHeaderType *ht, const char *p, uint16 n);
extern Datum bytes_datum(const char *p, int32 len);
extern bool record_desc_is_fast(TupleDesc desc);
extern void fetch_tuple(FetchState *fs, const SkRecHeader *h, const char *key, const char *value);
extern void rec_view(const SkRecHeader *h, const char *data, SkRecordView *v);
extern bool fetch_rec(const char *data, Size len, BlockNumber start_blk, void *arg);
extern void fetch_query_done(void *arg);
extern void fetch_init_result(FunctionCallInfo fcinfo);
extern void out_of_range(const char *topic, int partition, int64 offset, int64 log_start, int64 hwm);
extern Datum sk_fetch(PG_FUNCTION_ARGS);
extern int64 part_offset_for_time(Relation rel, SkPartition *p, int64 hwm, int64 target);
extern Datum sk_offsets_for_times(PG_FUNCTION_ARGS);
extern int retain_partition(Relation rel, SkTopicSlot **tp, int partition, SkTopicConf *conf, int64 now);
extern void maintain_topic(SkSlot *s, void *arg);
extern void sk_topic_maintain(MemoryContext roundcxt);
extern SkPartition * redo_part_lock(RelFileNode rnode, uint16 chain);
extern void sk_topic_redo_record(RelFileNode rnode, uint16 chain, const char *rec, Size len,
						 BlockNumber start_blk);
extern void sk_topic_redo_truncate(RelFileNode rnode, uint16 chain, BlockNumber new_head, int64 new_log_start);
extern Datum sk_ms_to_timestamptz(int64 ms);
extern int64 sk_timestamptz_to_ms(TimestampTz ts);
extern bool sk_topic_open(SkTopicRef *tr, const char *name, bool missing_ok, LOCKMODE lockmode);
extern void sk_topic_close(SkTopicRef *tr);
extern void sk_topic_bounds(SkTopicRef *tr, int partition, int64 *log_start, int64 *hwm);
extern int64 sk_topic_offset_for_time(SkTopicRef *tr, int partition, int64 ts_ms);
extern bool sk_topic_flush_pending(SkTopicRef *tr, int partition);
extern void sk_topic_wait(SkTopicRef *tr, long ms);
extern void sk_topic_prepare_wait(SkTopicRef *tr);
extern bool read_rec(const char *data, Size len, BlockNumber start_blk, void *arg);
extern int sk_topic_read(SkTopicRef *tr, int partition, int64 from, int64 until, int max,
				  sk_record_cb cb, void *arg);
extern void sk_topic_record_datums(const SkRecordView *v, Datum topic, int partition,
						   Datum *values, bool *nulls, SkHeaderType *ht);
extern int sk_topic_produce_copy(SkTopicRef *tr, const SkRecordView *v, const char *extra,
						  uint32 extralen, uint16 nextra, int64 *offset);
extern void sk_topic_encode_header(StringInfo buf, const char *key, const char *value, int32 vlen);

static inline dsa_area *
area(void)
{
	return sk_area();
}

static inline char *
put_record(char *dst, const SkRecHeader *h, const char *key, const char *value)
{
	memcpy(dst, h, sizeof(*h));
	dst += sizeof(*h);
	if (h->keylen > 0)
	{
		memcpy(dst, key, h->keylen);
		dst += h->keylen;
	}
	if (h->vallen > 0)
	{
		memcpy(dst, value, h->vallen);
		dst += h->vallen;
	}
	return dst;
}

static inline void
tup_align(char *data, Size *off, Size a)
{
	Size		aligned = TYPEALIGN(a, *off);

	memset(data + *off, 0, aligned - *off);
	*off = aligned;
}

static inline void
tup_varlena(char *data, Size *off, const char *p, Size len)
{
	if (len + VARHDRSZ_SHORT <= VARATT_SHORT_MAX)
	{
		SET_VARSIZE_SHORT(data + *off, len + VARHDRSZ_SHORT);
		memcpy(data + *off + VARHDRSZ_SHORT, p, len);
		*off += len + VARHDRSZ_SHORT;
	}
	else
	{
		tup_align(data, off, ALIGNOF_INT);
		SET_VARSIZE(data + *off, len + VARHDRSZ);
		memcpy(data + *off + VARHDRSZ, p, len);
		*off += len + VARHDRSZ;
	}
}

#endif							/* STREAMKV_TOPIC_INT_H */
