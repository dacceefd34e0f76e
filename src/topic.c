/*-------------------------------------------------------------------------
 *
 * topic.c
 *	  Kafka-style topics: partitioned append logs in the page store.
 *
 * A topic is a store (index "topic_<name>" of streamkv_store) whose
 * metapage holds the topic's configuration and one chain per partition.
 * Each record is one operation of the chain (SkRecHeader, key, value,
 * headers), split into fragments only when larger than a page.  Offsets are
 * numbered per partition from the chain itself: the log start offset is the
 * chain's seq_base in the metapage, and the next offset is one past the last
 * record, so offsets are gap-free and never reused, across retention,
 * restarts, crashes and promotion.
 *
 * Shared memory keeps, per loaded topic, per partition: the next offset, the
 * log start, byte and timestamp counters, a page index (for each page where
 * a record starts: its first offset, largest timestamp and bytes) used by
 * fetch to find a page and by retention to pick pages to free, and a small
 * ring of (end LSN, end offset) pairs from which the high watermark is
 * computed: a record is handed to consumers only once its WAL is flushed
 * and, with synchronous standbys, confirmed by them (DESIGN.md §1).  On a
 * standby, what is replayed is readable.  It is rebuilt by walking the
 * chains (the index needs every page) and kept current by the producers and
 * by redo, which also wakes blocked fetches through the partition's
 * condition variable.
 *
 * Batch produce (produce_agg) hands many records to one chain append, which
 * writes one WAL record per up to 16 pages filled, not one per record.
 *
 * Locking: SkTopicShared->lock guards the slot table.  A slot's own lock is
 * held shared by everyone using one of its partitions and exclusively to
 * load or reset the slot (so a load meets redo at a consistent cut).  Each
 * partition's LWLock guards its fields and its chain: producers and
 * retention take it exclusively, fetch shares it while reading pages (never
 * while sleeping).  Lock order: slot table, slot, partition, buffers.
 *
 *-------------------------------------------------------------------------
 */
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
static ConditionVariable *sk_wake[SK_MAX_WAKE];
static int	sk_nwake = 0;

/* Sticky partition per topic for NULL keys (KIP-480), backend-local. */
typedef struct SkSticky
{
	RelFileNode rnode;
	int			partition;
	int64		bytes;
} SkSticky;
static SkSticky sk_sticky[8];

/* ------------------------------------------------------------------------
 * Names and configuration
 * ------------------------------------------------------------------------
 */
static void
check_topic_name(const char *name)
{
	size_t		len = strlen(name);
	const char *p;

	if (len == 0 || len > SK_TOPIC_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid topic name \"%s\"", name),
				 errdetail("A topic name has 1 to %d characters, as in Kafka.", SK_TOPIC_NAME_MAX)));
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid topic name \"%s\"", name),
					 errdetail("Topic names use ASCII letters, digits, '.', '_' and '-', as in Kafka.")));
}

/*
 * The store's relation name: "topic_<name>", or for names too long for a
 * relation name, "topic_<first 40 characters>_<hash of the name>".  The
 * metapage keeps the full name, and open_topic() checks it.
 */
#define SK_TOPIC_RELNAME_DIRECT	(NAMEDATALEN - 1 - 6)

static void
store_relname(const char *topic, char *out)
{
	size_t		len = strlen(topic);

	if (len <= SK_TOPIC_RELNAME_DIRECT)
		snprintf(out, NAMEDATALEN, "topic_%s", topic);
	else
		snprintf(out, NAMEDATALEN, "topic_%.40s_%08x", topic,
				 hash_bytes((const unsigned char *) topic, (int) len));
}

static Oid
topic_relid(const char *topic, bool missing_ok)
{
	char		relname[NAMEDATALEN];
	Oid			nsp = get_namespace_oid("streamkv", false);
	Oid			relid;

	check_topic_name(topic);
	store_relname(topic, relname);
	relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(relid) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("topic \"%s\" does not exist", topic)));
	return relid;
}

static void
read_conf(Relation rel, SkTopicConf *conf)
{
	Buffer		buf = ReadBuffer(rel, SK_METAPAGE_BLKNO);
	SkMetaPageData *meta;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	meta = SkPageGetMeta(BufferGetPage(buf));
	if (meta->magic != SK_META_MAGIC || meta->kind != SK_STORE_TOPIC)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("streamkv store \"%s\" is not a topic", RelationGetRelationName(rel))));
	*conf = meta->topic;
	UnlockReleaseBuffer(buf);
}

/*
 * Opens the store of topic name (ERROR 42704 if there is none) and reads its
 * configuration, checking the full name (long names share hashed relation
 * names).
 */
static Relation
open_topic_ext(const char *name, LOCKMODE lockmode, SkTopicConf *conf, bool missing_ok)
{
	Oid			relid = topic_relid(name, missing_ok);
	Relation	rel;

	if (!OidIsValid(relid))
		return NULL;
	rel = index_open(relid, lockmode);
	read_conf(rel, conf);
	if (strcmp(conf->name, name) != 0)
	{
		index_close(rel, lockmode);
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("topic \"%s\" does not exist", name)));
	}
	return rel;
}

static Relation
open_topic(const char *name, LOCKMODE lockmode, SkTopicConf *conf)
{
	return open_topic_ext(name, lockmode, conf, false);
}

static void
check_conf_values(int32 partitions, int64 retention_ms, int64 retention_bytes, int32 max_message_bytes)
{
	if (partitions < 1 || partitions > SK_MAX_PARTITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partitions must be between 1 and %d", SK_MAX_PARTITIONS),
				 errdetail("partitions was %d.", partitions)));
	if (retention_ms < -1 || retention_ms == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_ms must be positive, or -1 for no limit"),
				 errdetail("retention_ms was " INT64_FORMAT ".", retention_ms)));
	if (retention_bytes < -1 || retention_bytes == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_bytes must be positive, or -1 for no limit"),
				 errdetail("retention_bytes was " INT64_FORMAT ".", retention_bytes)));
	if (max_message_bytes < 64 || max_message_bytes > 256 * 1024 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_message_bytes must be between 64 and %d", 256 * 1024 * 1024),
				 errdetail("max_message_bytes was %d.", max_message_bytes)));
}

/* ------------------------------------------------------------------------
 * In-memory state: slots, loading
 * ------------------------------------------------------------------------
 */
static inline dsa_area *
area(void)
{
	return sk_area();
}

static SkPageIndex *
pidx(SkPartition *p)
{
	return DsaPointerIsValid(p->index) ? dsa_get_address(area(), p->index) : NULL;
}

/* Appends an index entry; false if memory ran out (then the index is coarser). */
static bool
pidx_push(SkPartition *p, int64 first_offset, int64 ts, uint32 blk, uint32 bytes)
{
	SkPageIndex *ix = pidx(p);

	if (ix && ix->count > 0 && ix->e[ix->count - 1].blk == blk)
	{
		ix->e[ix->count - 1].bytes += bytes;
		if (ts > ix->e[ix->count - 1].max_ts)
			ix->e[ix->count - 1].max_ts = ts;
		return true;
	}
	if (ix == NULL || ix->count == ix->cap)
	{
		uint32		live = ix ? ix->count - ix->start : 0;
		uint32		ncap = Max(64, live * 2);
		dsa_pointer ndp = sk_alloc(offsetof(SkPageIndex, e) + sizeof(SkPageIdx) * ncap);
		SkPageIndex *nix;

		if (!DsaPointerIsValid(ndp))
			return false;
		nix = dsa_get_address(area(), ndp);
		ix = pidx(p);
		nix->start = 0;
		nix->count = live;
		nix->cap = ncap;
		nix->unused = 0;
		if (live > 0)
			memcpy(nix->e, ix->e + ix->start, sizeof(SkPageIdx) * live);
		if (DsaPointerIsValid(p->index))
			sk_free(p->index, offsetof(SkPageIndex, e) + sizeof(SkPageIdx) * ix->cap);
		p->index = ndp;
		ix = nix;
	}
	ix->e[ix->count].first_offset = first_offset;
	ix->e[ix->count].max_ts = ts;
	ix->e[ix->count].blk = blk;
	ix->e[ix->count].bytes = bytes;
	ix->count++;
	return true;
}

static void
part_reset(SkPartition *p)
{
	if (DsaPointerIsValid(p->index))
		sk_free(p->index, offsetof(SkPageIndex, e) + sizeof(SkPageIdx) * pidx(p)->cap);
	p->index = InvalidDsaPointer;
	p->next_offset = p->log_start = 0;
	p->bytes = 0;
	p->first_ts = p->last_ts = 0;
	p->produced = 0;
	p->win_start = 0;
	p->win_count = 0;
	p->last_rate = 0;
	p->durable_offset = 0;
	p->nring = 0;
}

/* Applies one record to a partition's memory (caller holds its lock). */
static void
part_note_record(SkPartition *p, const SkRecHeader *h, Size len, BlockNumber start_blk)
{
	if (h->offset < p->next_offset)
		return;					/* already known (load/redo overlap) */
	if (p->next_offset == p->log_start || p->bytes == 0)
		p->first_ts = h->timestamp;
	p->next_offset = h->offset + 1;
	p->bytes += len;
	p->last_ts = h->timestamp;
	if (BlockNumberIsValid(start_blk))
		(void) pidx_push(p, h->offset, h->timestamp, start_blk, len);
}

typedef struct LoadArg
{
	SkPartition *p;
} LoadArg;

static bool
load_rec(const char *data, Size len, BlockNumber start_blk, void *arg)
{
	LoadArg    *la = (LoadArg *) arg;
	SkRecHeader h;

	if (len >= sizeof(SkRecHeader))
	{
		memcpy(&h, data, sizeof(h));
		part_note_record(la->p, &h, len, start_blk);
	}
	return true;
}

/* ------------------------------------------------------------------------
 * The topic's row of the store-kind registry (kinds.c): slots and loading
 * ------------------------------------------------------------------------
 */
void
sk_topic_slot_init(SkSlot *s, int tranche_id)
{
	SkTopicSlot *t = (SkTopicSlot *) s;
	int			c;

	LWLockInitialize(&t->lock, tranche_id);
	ConditionVariableInit(&t->cv);
	t->npartitions = 0;
	for (c = 0; c < SK_PART_CHUNKS; c++)
		t->chunks[c] = InvalidDsaPointer;
}

void
sk_topic_lock_all(SkSlot *s, LWLockMode mode)
{
	LWLockAcquire(&((SkTopicSlot *) s)->lock, mode);
}

bool
sk_topic_try_lock_all(SkSlot *s)
{
	return LWLockConditionalAcquire(&((SkTopicSlot *) s)->lock, LW_EXCLUSIVE);
}

void
sk_topic_unlock_all(SkSlot *s)
{
	LWLockRelease(&((SkTopicSlot *) s)->lock);
}

static void
lock_all(SkTopicSlot *t, LWLockMode mode)
{
	LWLockAcquire(&t->lock, mode);
}

static void
unlock_all(SkTopicSlot *t)
{
	LWLockRelease(&t->lock);
}

/*
 * Makes sure partitions [0, n) have their chunks (never freed).  Caller
 * holds the slot's lock exclusively.  ERRORs (53200) when memory is short.
 */
static void
ensure_parts(SkTopicSlot *t, int n)
{
	int			c;

	for (c = 0; c < SK_PART_CHUNKS && chunk_first(c) < n; c++)
	{
		SkPartition *parts;
		int			j;

		if (DsaPointerIsValid(t->chunks[c]))
			continue;
		sk_mem_check(sizeof(SkPartition) * chunk_len(c));
		t->chunks[c] = sk_alloc(sizeof(SkPartition) * chunk_len(c));
		if (!DsaPointerIsValid(t->chunks[c]))
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("streamkv.max_memory reached"),
					 errdetail("There is no room for the partitions of one more topic."),
					 errhint("Raise streamkv.max_memory and restart the server.")));
		parts = sk_ptr(t->chunks[c]);
		memset(parts, 0, sizeof(SkPartition) * chunk_len(c));
		for (j = 0; j < chunk_len(c); j++)
		{
			LWLockInitialize(&parts[j].lock, sk_kind_tranche(SK_STORE_TOPIC));
			ConditionVariableInit(&parts[j].cv);
			parts[j].slot = t->slot.self;
			parts[j].index = InvalidDsaPointer;
		}
	}
}

/* Frees what the partitions loaded.  Caller holds the slot's lock exclusively. */
void
sk_topic_unload(SkSlot *s)
{
	SkTopicSlot *t = (SkTopicSlot *) s;
	int			c,
				j;

	for (c = 0; c < SK_PART_CHUNKS; c++)
	{
		if (!DsaPointerIsValid(t->chunks[c]))
			continue;
		for (j = 0; j < chunk_len(c); j++)
			part_reset((SkPartition *) sk_ptr(t->chunks[c]) + j);
	}
	t->npartitions = 0;
}

/* Loads the topic from its store.  Caller (sk_slot_load) holds the slot's lock exclusively. */
void
sk_topic_load(SkSlot *s, Relation rel)
{
	SkTopicSlot *t = (SkTopicSlot *) s;
	SkMetaPageData *meta = palloc(sizeof(SkMetaPageData));
	int			n,
				i;

	sk_read_meta(rel, meta);
	n = Min(Max(meta->topic.partitions, 1), SK_MAX_PARTITIONS);
	ensure_parts(t, n);
	for (i = 0; i < n; i++)
	{
		SkPartition *p = tpart(t, i);
		LoadArg		la;

		part_reset(p);
		p->log_start = (int64) meta->chains[i].seq_base;
		p->next_offset = p->log_start;
		la.p = p;
		if (BlockNumberIsValid(meta->chains[i].head))
			sk_chain_walk(rel, meta->chains[i].head, meta->chains[i].tail, load_rec, &la, true);
		p->durable_offset = p->next_offset;	/* loaded from pages: durable */
	}
	t->npartitions = n;
	pfree(meta);
}

/*
 * The slot of the topic store rel, loaded (a topic has a slot as long as
 * its store exists; slot.c).
 */
static SkTopicSlot *
topic_slot(Relation rel)
{
	SkTopicSlot *t = (SkTopicSlot *) sk_slot_get(SK_STORE_TOPIC, rel->rd_node);

	if (t->slot.state != SK_SLOT_READY)
	{
		lock_all(t, LW_EXCLUSIVE);
		if (t->slot.state != SK_SLOT_READY && topic_is(t, rel->rd_node))
			sk_slot_load(&t->slot, rel);
		unlock_all(t);
	}
	return t;
}

/*
 * Locks a partition, checking that the slot still belongs to rel and
 * reloading it when it was unloaded or has fewer partitions than the
 * caller read from the metapage (alter_topic, or replay on a standby).
 */
static SkPartition *
part_lock(SkTopicSlot **tp, Relation rel, int partition, LWLockMode mode)
{
	for (;;)
	{
		SkTopicSlot *t = *tp;

		LWLockAcquire(&t->lock, LW_SHARED);
		if (t->slot.state == SK_SLOT_READY && topic_is(t, rel->rd_node))
		{
			if (partition < t->npartitions)
			{
				SkPartition *p = tpart(t, partition);

				LWLockAcquire(&p->lock, mode);
				sk_slot_touch(&t->slot);
				return p;
			}
			LWLockRelease(&t->lock);
			lock_all(t, LW_EXCLUSIVE);
			if (partition >= t->npartitions && topic_is(t, rel->rd_node))
				sk_slot_load(&t->slot, rel);
			if (partition >= t->npartitions && topic_is(t, rel->rd_node))
			{
				unlock_all(t);
				elog(ERROR, "streamkv: partition %d of topic store %u does not exist",
					 partition, rel->rd_node.relNode);
			}
			unlock_all(t);
			continue;
		}
		LWLockRelease(&t->lock);
		*tp = topic_slot(rel);
	}
}

static void
part_unlock(SkPartition *p)
{
	LWLockRelease(&p->lock);
	LWLockRelease(&part_slot(p)->lock);
}

/* ------------------------------------------------------------------------
 * Durability: the high watermark
 * ------------------------------------------------------------------------
 */
static XLogRecPtr
durable_lsn(void)
{
	XLogRecPtr	flushed = GetFlushRecPtr(NULL);

	/* with synchronous standbys, also wait for their confirmation */
	if (WalSndCtl != NULL && (WalSndCtl->sync_standbys_status & SYNC_STANDBY_DEFINED))
	{
		XLogRecPtr	synced;

		LWLockAcquire(SyncRepLock, LW_SHARED);
		synced = WalSndCtl->lsn[SYNC_REP_WAIT_FLUSH];
		LWLockRelease(SyncRepLock);
		if (synced < flushed)
			flushed = synced;
	}
	return flushed;
}

/* Advances and returns the high watermark (caller holds the partition lock). */
static int64
part_hwm(SkPartition *p)
{
	XLogRecPtr	durable;
	int			i,
				k;

	if (RecoveryInProgress())
		return p->next_offset;
	if (p->nring == 0)
		return p->durable_offset;
	durable = durable_lsn();
	for (i = 0; i < p->nring && p->ring_lsn[i] <= durable; i++)
		p->durable_offset = p->ring_end[i];
	if (i > 0)
	{
		for (k = 0; i + k < p->nring; k++)
		{
			p->ring_lsn[k] = p->ring_lsn[i + k];
			p->ring_end[k] = p->ring_end[i + k];
		}
		p->nring -= i;
	}
	return p->durable_offset;
}

/*
 * Where the WAL must be flushed for the records past the high watermark to
 * become readable (asynchronous producers), or invalid when there are none.
 * Caller holds the partition lock.
 */
static XLogRecPtr
part_pending_lsn(SkPartition *p, int64 hwm)
{
	if (p->nring > 0 && p->next_offset > hwm && !RecoveryInProgress())
		return p->ring_lsn[p->nring - 1];
	return InvalidXLogRecPtr;
}

static void
part_note_lsn(SkPartition *p, XLogRecPtr lsn, int64 end)
{
	if (p->nring == SK_DURABLE_RING)
	{
		/* coarser but safe: the newest entry covers more offsets */
		p->ring_lsn[SK_DURABLE_RING - 1] = lsn;
		p->ring_end[SK_DURABLE_RING - 1] = end;
		return;
	}
	p->ring_lsn[p->nring] = lsn;
	p->ring_end[p->nring] = end;
	p->nring++;
}

static void
remember_wake(SkPartition *p)
{
	int			i;

	for (i = 0; i < sk_nwake; i++)
		if (sk_wake[i] == &p->cv)
			return;
	if (sk_nwake < SK_MAX_WAKE)
		sk_wake[sk_nwake++] = &p->cv;
	for (i = 0; i < sk_nwake; i++)
		if (sk_wake[i] == &part_slot(p)->cv)
			return;
	if (sk_nwake < SK_MAX_WAKE)
		sk_wake[sk_nwake++] = &part_slot(p)->cv;
}

/* Called after the commit-time flush (streamkv.c): wake blocked fetches. */
void
sk_topic_after_flush(void)
{
	int			i;

	for (i = 0; i < sk_nwake; i++)
		ConditionVariableBroadcast(sk_wake[i]);
	sk_nwake = 0;
}

/* ------------------------------------------------------------------------
 * Topic management
 * ------------------------------------------------------------------------
 */
static int32
parse_ts_type(const char *s)
{
	if (pg_strcasecmp(s, "create") == 0 || pg_strcasecmp(s, "CreateTime") == 0)
		return SK_TS_CREATE;
	if (pg_strcasecmp(s, "log_append") == 0 || pg_strcasecmp(s, "LogAppendTime") == 0)
		return SK_TS_LOG_APPEND;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid timestamp_type \"%s\"", s),
			 errhint("Use 'create' (CreateTime) or 'log_append' (LogAppendTime).")));
	pg_unreachable();
}

PG_FUNCTION_INFO_V1(sk_create_topic);
Datum
sk_create_topic(PG_FUNCTION_ARGS)
{
	SkTopicConf conf;
	char	   *name;
	char		relname[NAMEDATALEN];
	int			i;

	sk_check_preloaded();
	sk_check_writable();
	for (i = 0; i < 6; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("create_topic arguments must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_topic_name(name);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.name, name, sizeof(conf.name));
	conf.partitions = PG_GETARG_INT32(1);
	conf.retention_ms = PG_GETARG_INT64(2);
	conf.retention_bytes = PG_GETARG_INT64(3);
	conf.max_message_bytes = PG_GETARG_INT32(4);
	conf.timestamp_type = parse_ts_type(text_to_cstring(PG_GETARG_TEXT_PP(5)));
	check_conf_values(conf.partitions, conf.retention_ms, conf.retention_bytes, conf.max_message_bytes);
	{
		Oid			existing = topic_relid(name, true);

		if (OidIsValid(existing))
		{
			Relation	erel = index_open(existing, AccessShareLock);
			SkTopicConf econf;

			read_conf(erel, &econf);
			index_close(erel, AccessShareLock);
			if (strcmp(econf.name, name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("topic \"%s\" already exists", name)));
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("topic \"%s\" collides with topic \"%s\"", name, econf.name),
					 errdetail("Long topic names are stored under their first 40 characters and a hash of the name.")));
		}
	}
	store_relname(name, relname);
	sk_store_create(relname, SK_STORE_TOPIC, &conf);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(sk_alter_topic);
Datum
sk_alter_topic(PG_FUNCTION_ARGS)
{
	char	   *name;
	Relation	rel;
	SkTopicConf conf;

	sk_check_preloaded();
	sk_check_writable();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("topic name must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	rel = open_topic(name, ShareUpdateExclusiveLock, &conf);
	if (!PG_ARGISNULL(1))
	{
		int32		np = PG_GETARG_INT32(1);

		if (np < conf.partitions)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("topic \"%s\" has %d partitions, it cannot have fewer", name, conf.partitions),
					 errdetail("Kafka only ever adds partitions: keys would move.")));
		conf.partitions = np;
	}
	if (!PG_ARGISNULL(2))
		conf.retention_ms = PG_GETARG_INT64(2);
	if (!PG_ARGISNULL(3))
		conf.retention_bytes = PG_GETARG_INT64(3);
	if (!PG_ARGISNULL(4))
		conf.max_message_bytes = PG_GETARG_INT32(4);
	check_conf_values(conf.partitions, conf.retention_ms, conf.retention_bytes, conf.max_message_bytes);
	sk_store_set_topic_conf(rel, &conf);
	{
		SkTopicSlot *t = topic_slot(rel);

		/* more partitions: reloaded with their chunks on next use */
		lock_all(t, LW_EXCLUSIVE);
		if (topic_is(t, rel->rd_node) && t->slot.state == SK_SLOT_READY &&
			conf.partitions > t->npartitions)
			sk_slot_load(&t->slot, rel);
		unlock_all(t);
	}
	index_close(rel, NoLock);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(sk_drop_topic);
Datum
sk_drop_topic(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	Relation	rel;
	SkTopicConf conf;
	Oid			relid;

	sk_check_preloaded();
	sk_check_writable();
	rel = open_topic(name, AccessShareLock, &conf);
	relid = RelationGetRelid(rel);
	index_close(rel, NoLock);
	sk_store_drop(relid);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(sk_topics);
Datum
sk_topics(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			nsp = get_namespace_oid("streamkv", false);
	Oid			amoid = get_am_oid("streamkv_store", false);
	Relation	classrel;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *relids = NIL;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	classrel = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(classrel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		if (c->relnamespace == nsp && c->relam == amoid &&
			strncmp(NameStr(c->relname), "topic_", 6) == 0)
			relids = lappend_oid(relids, c->oid);
	}
	systable_endscan(scan);
	table_close(classrel, AccessShareLock);

	foreach(lc, relids)
	{
		Relation	rel = try_relation_open(lfirst_oid(lc), AccessShareLock);
		SkTopicConf conf;
		Datum		values[6];
		bool		nulls[6] = {0};

		if (!rel)
			continue;
		read_conf(rel, &conf);
		values[0] = CStringGetTextDatum(conf.name);
		values[1] = Int32GetDatum(conf.partitions);
		values[2] = Int64GetDatum(conf.retention_ms);
		values[3] = Int64GetDatum(conf.retention_bytes);
		values[4] = Int32GetDatum(conf.max_message_bytes);
		values[5] = CStringGetTextDatum(conf.timestamp_type == SK_TS_CREATE ? "create" : "log_append");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		relation_close(rel, NoLock);
	}
	return (Datum) 0;
}

static Datum
ts_datum(int64 ms)
{
	return TimestampTzGetDatum((ms - ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000)) * 1000);
}

static int64
ts_ms(TimestampTz ts)
{
	return ts / 1000 + ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000);
}

PG_FUNCTION_INFO_V1(sk_partitions);
Datum
sk_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Relation	rel;
	SkTopicConf conf;
	SkTopicSlot *t;
	int			i;

	sk_check_preloaded();
	rel = open_topic(name, AccessShareLock, &conf);
	t = topic_slot(rel);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < conf.partitions; i++)
	{
		SkPartition *p = part_lock(&t, rel, i, LW_EXCLUSIVE);
		Datum		values[10];
		bool		nulls[10] = {0};
		int64		hwm = part_hwm(p);

		values[0] = Int32GetDatum(i);
		values[1] = Int64GetDatum(p->log_start);
		values[2] = Int64GetDatum(hwm);
		values[3] = Int64GetDatum(p->next_offset);
		values[4] = Int64GetDatum(p->next_offset - p->log_start);
		values[5] = Int64GetDatum(p->bytes);
		if (p->next_offset > p->log_start)
		{
			values[6] = ts_datum(p->first_ts);
			values[7] = ts_datum(p->last_ts);
		}
		else
			nulls[6] = nulls[7] = true;
		values[8] = Int64GetDatum(p->produced);
		{
			int64		now = sk_now_ms();
			double		rate = p->last_rate;

			/* the window in progress, or an idle partition's rate decays to 0 */
			if (p->win_start > 0 && now - p->win_start >= SK_RATE_WINDOW_MS)
				rate = (double) p->win_count * 1000.0 / (now - p->win_start);
			values[9] = Float8GetDatum(rate);
		}
		part_unlock(p);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	index_close(rel, NoLock);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * Produce
 * ------------------------------------------------------------------------
 */

/*
 * A record's encoding (store.h: SkRecHeader, key, value, headers) is written
 * by these two helpers only: put_record() for the fixed part, put_header()
 * for each header.
 */
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

static void
put_header(StringInfo buf, const char *key, int32 kl, const char *value, int32 vl)
{
	appendBinaryStringInfo(buf, (char *) &kl, sizeof(kl));
	appendBinaryStringInfo(buf, (char *) &vl, sizeof(vl));
	appendBinaryStringInfo(buf, key, kl);
	if (vl > 0)
		appendBinaryStringInfo(buf, value, vl);
}

/* Encodes a record (offset filled in at append time). */
static char *
encode_record(bytea *key, bytea *value, ArrayType *headers, int64 ts, Size *len)
{
	SkRecHeader h;
	StringInfoData hb;
	char	   *rec,
			   *p;

	memset(&h, 0, sizeof(h));
	h.timestamp = ts;
	h.keylen = key ? (int32) VARSIZE_ANY_EXHDR(key) : -1;
	h.vallen = value ? (int32) VARSIZE_ANY_EXHDR(value) : -1;
	hb.data = NULL;
	hb.len = 0;
	if (headers && ArrayGetNItems(ARR_NDIM(headers), ARR_DIMS(headers)) > 0)
	{
		Datum	   *elems;
		bool	   *enulls;
		int			n,
					i;

		deconstruct_array(headers, ARR_ELEMTYPE(headers), -1, false, TYPALIGN_DOUBLE,
						  &elems, &enulls, &n);
		if (n > PG_UINT16_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a record has at most %d headers", PG_UINT16_MAX)));
		initStringInfo(&hb);
		for (i = 0; i < n; i++)
		{
			HeapTupleHeader th;
			bool		isnull;
			Datum		k,
						v;
			text	   *kt;
			bytea	   *vb = NULL;

			if (enulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("a record header must not be NULL")));
			th = DatumGetHeapTupleHeader(elems[i]);
			k = GetAttributeByNum(th, 1, &isnull);
			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("a record header's key must not be NULL")));
			kt = DatumGetTextPP(k);
			v = GetAttributeByNum(th, 2, &isnull);
			if (!isnull)
				vb = DatumGetByteaPP(v);
			put_header(&hb, VARDATA_ANY(kt), VARSIZE_ANY_EXHDR(kt),
					   vb ? VARDATA_ANY(vb) : NULL, vb ? (int32) VARSIZE_ANY_EXHDR(vb) : -1);
		}
		h.nheaders = n;
		h.hdrlen = hb.len;
	}
	/* one exact allocation */
	*len = sizeof(h) + Max(h.keylen, 0) + Max(h.vallen, 0) + hb.len;
	rec = palloc_extended(*len, MCXT_ALLOC_HUGE);
	p = put_record(rec, &h, key ? VARDATA_ANY(key) : NULL, value ? VARDATA_ANY(value) : NULL);
	if (hb.len > 0)
	{
		memcpy(p, hb.data, hb.len);
		pfree(hb.data);
	}
	return rec;
}

static int
route(SkTopicConf *conf, Relation rel, bytea *key, int32 explicit_partition, bool has_partition,
	  Size reclen)
{
	int			i;
	SkSticky   *s = NULL;

	if (has_partition)
	{
		if (explicit_partition < 0 || explicit_partition >= conf->partitions)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("partition %d of topic \"%s\" does not exist", explicit_partition, conf->name),
					 errdetail("The topic has partitions 0 to %d.", conf->partitions - 1)));
		return explicit_partition;
	}
	if (key)
		return sk_kafka_partition(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), conf->partitions);

	/* NULL key: sticky partition, switched after a batch's worth of bytes */
	for (i = 0; i < (int) lengthof(sk_sticky); i++)
		if (RelFileNodeEquals(sk_sticky[i].rnode, rel->rd_node))
			s = &sk_sticky[i];
	if (!s)
	{
		s = &sk_sticky[random() % lengthof(sk_sticky)];
		s->rnode = rel->rd_node;
		s->partition = -1;
	}
	if (s->partition < 0 || s->partition >= conf->partitions || s->bytes >= SK_STICKY_BATCH_BYTES)
	{
		int			next = random() % conf->partitions;

		if (conf->partitions > 1 && next == s->partition)
			next = (next + 1) % conf->partitions;
		s->partition = next;
		s->bytes = 0;
	}
	s->bytes += reclen;
	return s->partition;
}

static void
check_record_size(SkTopicConf *conf, Size len)
{
	if (len > (Size) conf->max_message_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("record is too large for topic \"%s\"", conf->name),
				 errdetail("The record takes %zu bytes; the topic's max_message_bytes is %d.",
						   len, conf->max_message_bytes)));
}

/*
 * Appends n encoded records to one partition (offsets assigned here) and
 * updates memory.  Caller holds nothing; returns the first offset.
 */
static int64
append_records(Relation rel, SkTopicSlot **tp, int partition, char **recs, Size *lens, int n)
{
	SkPartition *p;
	SkChainPos	pos;
	BlockNumber *starts = palloc(sizeof(BlockNumber) * n);
	XLogRecPtr	lsn;
	int64		first;
	int			i;

	p = part_lock(tp, rel, partition, LW_EXCLUSIVE);
	first = p->next_offset;
	for (i = 0; i < n; i++)
		((SkRecHeader *) recs[i])->offset = first + i;
	pos.chain = partition;
	pos.detached = false;
	pos.head = pos.tail = InvalidBlockNumber;
	pos.npages = 0;
	PG_TRY();
	{
		lsn = sk_chain_append_ops(rel, &pos, (const char *const *) recs, lens, n,
								  SK_STORE_TOPIC, starts);
	}
	PG_CATCH();
	{
		/* pages may hold part of the batch: rebuild memory from them */
		(*tp)->slot.state = SK_SLOT_BROKEN;
		PG_RE_THROW();
	}
	PG_END_TRY();
	for (i = 0; i < n; i++)
		part_note_record(p, (SkRecHeader *) recs[i], lens[i], starts[i]);
	p->produced += n;
	{
		int64		now = sk_now_ms();

		if (p->win_start == 0)
			p->win_start = now;
		p->win_count += n;
		if (now - p->win_start >= SK_RATE_WINDOW_MS)
		{
			p->last_rate = (double) p->win_count * 1000.0 / (now - p->win_start);
			p->win_start = now;
			p->win_count = 0;
		}
	}
	part_note_lsn(p, lsn, p->next_offset);
	part_unlock(p);
	remember_wake(p);
	ConditionVariableBroadcast(&p->cv);
	ConditionVariableBroadcast(&part_slot(p)->cv);
	pfree(starts);
	return first;
}

PG_FUNCTION_INFO_V1(sk_produce);
Datum
sk_produce(PG_FUNCTION_ARGS)
{
	char	   *name;
	bytea	   *value = PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1);
	bytea	   *key = PG_ARGISNULL(2) ? NULL : PG_GETARG_BYTEA_PP(2);
	ArrayType  *headers = PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3);
	Relation	rel;
	SkTopicConf conf;
	SkTopicSlot *t;
	int64		ts;
	char	   *rec;
	Size		len;
	int			partition;
	int64		offset;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	sk_check_preloaded();
	sk_check_writable();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("topic must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rel = open_topic(name, RowExclusiveLock, &conf);
	if (conf.timestamp_type == SK_TS_LOG_APPEND || PG_ARGISNULL(5))
		ts = sk_now_ms();
	else
		ts = ts_ms(PG_GETARG_TIMESTAMPTZ(5));
	rec = encode_record(key, value, headers, ts, &len);
	check_record_size(&conf, len);
	partition = route(&conf, rel, key, PG_ARGISNULL(4) ? 0 : PG_GETARG_INT32(4), !PG_ARGISNULL(4), len);
	t = topic_slot(rel);
	offset = append_records(rel, &t, partition, &rec, &len, 1);
	index_close(rel, NoLock);

	values[0] = Int32GetDatum(partition);
	values[1] = Int64GetDatum(offset);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

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

static void
agg_flush(SkAggState *st, int partition)
{
	AggPart    *ap = &st->parts[partition];
	int			i;
	int64		now;

	if (ap->n == 0)
		return;
	/* one clock reading per batch: its records are appended together */
	now = sk_now_ms();
	for (i = 0; i < ap->n; i++)
	{
		ap->recs[i] = ap->buf + ap->offs[i];
		((SkRecHeader *) ap->recs[i])->timestamp = now;
	}
	append_records(st->rel, &st->slot, partition, ap->recs, ap->lens, ap->n);

	/*
	 * Have the WAL writer flush this batch now, as for an asynchronous
	 * commit, rather than when it next wakes up (wal_writer_delay): a bulk
	 * produce then writes its WAL to disk while it encodes the next batches
	 * instead of stalling on full WAL buffers, and the flush at commit finds
	 * little left to do.  (Durability still comes from that flush.)
	 */
	XLogSetAsyncXactLSN(GetXLogInsertRecPtr());
	st->count += ap->n;
	ap->n = 0;
	ap->used = 0;
}

PG_FUNCTION_INFO_V1(sk_produce_agg_step);
Datum
sk_produce_agg_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SkAggState *st;
	Size		len;
	int			partition;
	bytea	   *key;
	bytea	   *value;
	AggPart    *ap;
	SkRecHeader h;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "produce_agg called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (SkAggState *) PG_GETARG_POINTER(0);
	if (st == NULL)
	{
		char	   *name;

		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("topic must not be NULL")));
		sk_check_preloaded();
		sk_check_writable();
		name = text_to_cstring(PG_GETARG_TEXT_PP(1));
		st = MemoryContextAllocZero(aggcxt, sizeof(SkAggState));
		st->cxt = aggcxt;
		st->rel = open_topic(name, RowExclusiveLock, &st->conf);
		st->namelen = strlen(st->conf.name);
		st->relid = RelationGetRelid(st->rel);
		st->slot = topic_slot(st->rel);
	}
	else
	{
		text	   *t = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);

		if (t == NULL || VARSIZE_ANY_EXHDR(t) != st->namelen ||
			memcmp(VARDATA_ANY(t), st->conf.name, st->namelen) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("produce_agg writes to one topic per aggregate")));
	}

	key = PG_ARGISNULL(3) ? NULL : PG_GETARG_BYTEA_PP(3);
	value = PG_ARGISNULL(2) ? NULL : PG_GETARG_BYTEA_PP(2);

	/* the record as encode_record() makes it (timestamp set at append) */
	memset(&h, 0, sizeof(h));
	h.keylen = key ? (int32) VARSIZE_ANY_EXHDR(key) : -1;
	h.vallen = value ? (int32) VARSIZE_ANY_EXHDR(value) : -1;
	len = sizeof(h) + Max(h.keylen, 0) + Max(h.vallen, 0);
	check_record_size(&st->conf, len);
	partition = route(&st->conf, st->rel, key, 0, false, len);
	ap = &st->parts[partition];
	if (ap->n == ap->ncap)
	{
		int			ncap = Max(1024, ap->ncap * 2);

		if (ap->offs == NULL)
		{
			ap->offs = MemoryContextAlloc(st->cxt, sizeof(Size) * ncap);
			ap->lens = MemoryContextAlloc(st->cxt, sizeof(Size) * ncap);
			ap->recs = MemoryContextAlloc(st->cxt, sizeof(char *) * ncap);
		}
		else
		{
			ap->offs = repalloc(ap->offs, sizeof(Size) * ncap);
			ap->lens = repalloc(ap->lens, sizeof(Size) * ncap);
			ap->recs = repalloc(ap->recs, sizeof(char *) * ncap);
		}
		ap->ncap = ncap;
	}
	if (ap->used + MAXALIGN(len) > ap->cap)
	{
		/* from 8 kB, doubling: memory follows the data, not the partition count */
		Size		ncap = Max(Max(ap->cap * 2, 8192), ap->used + MAXALIGN(len));

		if (ap->buf == NULL)
			ap->buf = MemoryContextAllocExtended(st->cxt, ncap, MCXT_ALLOC_HUGE);
		else
			ap->buf = repalloc_huge(ap->buf, ncap);
		ap->cap = ncap;
	}
	put_record(ap->buf + ap->used, &h, key ? VARDATA_ANY(key) : NULL, value ? VARDATA_ANY(value) : NULL);
	ap->offs[ap->n] = ap->used;
	ap->lens[ap->n] = len;
	ap->n++;
	ap->used += MAXALIGN(len);
	if (ap->used >= SK_AGG_FLUSH_BYTES)
		agg_flush(st, partition);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(sk_produce_agg_final);
Datum
sk_produce_agg_final(PG_FUNCTION_ARGS)
{
	SkAggState   *st = PG_ARGISNULL(0) ? NULL : (SkAggState *) PG_GETARG_POINTER(0);
	int			i;

	if (st == NULL)
		PG_RETURN_INT64(0);
	for (i = 0; i < st->conf.partitions; i++)
		agg_flush(st, i);
	index_close(st->rel, NoLock);
	PG_RETURN_INT64(st->count);
}

/* ------------------------------------------------------------------------
 * Fetch
 * ------------------------------------------------------------------------
 */

/* Index entry to start reading offset from (caller holds the lock). */
static BlockNumber
start_block(SkPartition *p, int64 offset)
{
	SkPageIndex *ix = pidx(p);
	int			lo,
				hi;

	if (ix == NULL || ix->count == ix->start)
		return InvalidBlockNumber;
	lo = ix->start;
	hi = ix->count - 1;
	if (offset < ix->e[lo].first_offset)
		return ix->e[lo].blk;
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (ix->e[mid].first_offset <= offset)
			lo = mid;
		else
			hi = mid - 1;
	}
	return ix->e[lo].blk;
}

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

static Datum
headers_datum(SkHeaderType *ht, const char *p, uint16 n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	if (!OidIsValid(ht->type))
	{
		ht->type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								   CStringGetDatum("header"),
								   ObjectIdGetDatum(get_namespace_oid("streamkv", false)));
		ht->desc = lookup_rowtype_tupdesc_copy(ht->type, -1);
		get_typlenbyvalalign(ht->type, &ht->len, &ht->byval, &ht->align);
	}
	for (i = 0; i < n; i++)
	{
		int32		kl,
					vl;
		Datum		vals[2];
		bool		nulls[2] = {false, false};

		memcpy(&kl, p, sizeof(kl));
		memcpy(&vl, p + sizeof(kl), sizeof(vl));
		p += sizeof(kl) + sizeof(vl);
		vals[0] = PointerGetDatum(cstring_to_text_with_len(p, kl));
		p += kl;
		if (vl < 0)
			nulls[1] = true;
		else
		{
			bytea	   *b = palloc(VARHDRSZ + vl);

			SET_VARSIZE(b, VARHDRSZ + vl);
			memcpy(VARDATA(b), p, vl);
			vals[1] = PointerGetDatum(b);
			p += vl;
		}
		elems[i] = HeapTupleGetDatum(heap_form_tuple(ht->desc, vals, nulls));
	}
	return PointerGetDatum(construct_array(elems, n, ht->type, ht->len, ht->byval, ht->align));
}

static Datum
bytes_datum(const char *p, int32 len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), p, len);
	return PointerGetDatum(b);
}

/*
 * Whether the result descriptor is streamkv.record's (topic text, partition
 * int4, offset int8, timestamp timestamptz, key bytea, value bytea, headers),
 * so that fetch_tuple() can build its tuples.
 */
static bool
record_desc_is_fast(TupleDesc desc)
{
	static const Oid types[6] = {TEXTOID, INT4OID, INT8OID, TIMESTAMPTZOID, BYTEAOID, BYTEAOID};
	static const int16 lens[6] = {-1, 4, 8, 8, -1, -1};
	static const char aligns[6] = {TYPALIGN_INT, TYPALIGN_INT, TYPALIGN_DOUBLE, TYPALIGN_DOUBLE,
	TYPALIGN_INT, TYPALIGN_INT};
	int			i;

	if (desc->natts != 7 || TupleDescAttr(desc, 6)->attisdropped)
		return false;
	for (i = 0; i < 6; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != types[i] || att->attlen != lens[i] ||
			att->attalign != aligns[i] || att->attbyval != (lens[i] > 0) ||
			(lens[i] < 0 && att->attstorage == TYPSTORAGE_PLAIN))
			return false;
	}
	return true;
}

#define HEAP_INFOMASK_ATTRS (HEAP_HASNULL | HEAP_HASVARWIDTH | HEAP_HASEXTERNAL)

/* Aligns *off to a multiple of a (a power of two), zeroing the padding. */
static inline void
tup_align(char *data, Size *off, Size a)
{
	Size		aligned = TYPEALIGN(a, *off);

	memset(data + *off, 0, aligned - *off);
	*off = aligned;
}

/* A varlena as heap_fill_tuple() stores it: short header when it fits. */
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

/*
 * Puts a record without headers into the result, building the tuple
 * straight from the page, byte for byte what heap_form_tuple() makes of
 * fetch_rec()'s values (checked in assert-enabled builds): one copy of the
 * key and value into the tuple, which the tuplestore copies.  The tuple's
 * header and its first columns (topic, partition) are the same for every
 * record of a call: they are written once, with the first record.
 */
#define SK_FETCH_HOFF	MAXALIGN(offsetof(HeapTupleHeaderData, t_bits) + BITMAPLEN(7))

static void
fetch_tuple(FetchState *fs, const SkRecHeader *h, const char *key, const char *value)
{
	Size		hoff = SK_FETCH_HOFF;
	Size		need = hoff + fs->topiclen + 64 + Max(h->keylen, 0) + Max(h->vallen, 0);
	HeapTupleHeader td;
	HeapTupleData tuple;
	char	   *data;
	Size		off;
	int64		ts;
	bits8		bits = 0x0f;	/* topic, partition, offset, timestamp */

	if (need > fs->tupcap)
	{
		fs->tupcap = Max(need, 1024);
		fs->tup = fs->tup ? repalloc(fs->tup, fs->tupcap) : palloc(fs->tupcap);
	}
	td = (HeapTupleHeader) fs->tup;
	data = fs->tup + hoff;
	if (fs->prefix == 0)
	{
		/* header; topic (text), partition (int4), padding to offset (int8) */
		memset(td, 0, hoff);
		HeapTupleHeaderSetTypeId(td, fs->rsinfo->setDesc->tdtypeid);
		HeapTupleHeaderSetTypMod(td, fs->rsinfo->setDesc->tdtypmod);
		ItemPointerSetInvalid(&td->t_ctid);
		HeapTupleHeaderSetNatts(td, 7);
		td->t_hoff = hoff;
		td->t_infomask = HEAP_HASNULL | HEAP_HASVARWIDTH;
		off = 0;
		tup_varlena(data, &off, VARDATA_ANY(DatumGetPointer(fs->topic_datum)), fs->topiclen);
		tup_align(data, &off, ALIGNOF_INT);
		memcpy(data + off, &fs->partition, sizeof(int32));
		off += sizeof(int32);
		tup_align(data, &off, ALIGNOF_DOUBLE);
		fs->prefix = off;
	}

	/* offset (int8), timestamp (timestamptz), key and value (bytea) */
	off = fs->prefix;
	memcpy(data + off, &h->offset, sizeof(int64));
	off += sizeof(int64);
	ts = DatumGetTimestampTz(ts_datum(h->timestamp));
	memcpy(data + off, &ts, sizeof(int64));
	off += sizeof(int64);
	if (key)
	{
		tup_varlena(data, &off, key, h->keylen);
		bits |= 0x10;
	}
	if (value)
	{
		tup_varlena(data, &off, value, h->vallen);
		bits |= 0x20;
	}
	/* headers: NULL */
	HeapTupleHeaderSetDatumLength(td, hoff + off);
	td->t_bits[0] = bits;

	tuple.t_len = hoff + off;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = td;

#ifdef USE_ASSERT_CHECKING
	{
		Datum		values[7];
		bool		nulls[7] = {0};
		HeapTuple	ref;

		values[0] = fs->topic_datum;
		values[1] = Int32GetDatum(fs->partition);
		values[2] = Int64GetDatum(h->offset);
		values[3] = ts_datum(h->timestamp);
		nulls[4] = key == NULL;
		values[4] = key ? bytes_datum(key, h->keylen) : (Datum) 0;
		nulls[5] = value == NULL;
		values[5] = value ? bytes_datum(value, h->vallen) : (Datum) 0;
		nulls[6] = true;
		ref = heap_form_tuple(fs->rsinfo->setDesc, values, nulls);
		/*
		 * What a minimal tuple's reader uses: attribute count, the
		 * HASNULL/HASVARWIDTH/HASEXTERNAL bits, t_hoff, bitmap and data.
		 */
		Assert(ref->t_len == tuple.t_len);
		Assert(HeapTupleHeaderGetNatts(ref->t_data) == HeapTupleHeaderGetNatts(td));
		Assert((ref->t_data->t_infomask & HEAP_INFOMASK_ATTRS) ==
			   (td->t_infomask & HEAP_INFOMASK_ATTRS));
		Assert(memcmp((char *) ref->t_data + offsetof(HeapTupleHeaderData, t_hoff),
					  (char *) td + offsetof(HeapTupleHeaderData, t_hoff),
					  tuple.t_len - offsetof(HeapTupleHeaderData, t_hoff)) == 0);
		heap_freetuple(ref);
	}
#endif

	tuplestore_puttuple(fs->rsinfo->setResult, &tuple);
}

/* The view of a stored record (h: its header, copied out of data). */
static void
rec_view(const SkRecHeader *h, const char *data, SkRecordView *v)
{
	const char *p = data + sizeof(SkRecHeader);

	v->offset = h->offset;
	v->timestamp = h->timestamp;
	v->keylen = h->keylen;
	v->key = h->keylen >= 0 ? p : NULL;
	p += Max(h->keylen, 0);
	v->vallen = h->vallen;
	v->value = h->vallen >= 0 ? p : NULL;
	p += Max(h->vallen, 0);
	v->nheaders = h->nheaders;
	v->hdrlen = h->hdrlen;
	v->headers = p;
}

static bool
fetch_rec(const char *data, Size len, BlockNumber start_blk, void *arg)
{
	FetchState *fs = (FetchState *) arg;
	SkRecHeader h;
	SkRecordView v;
	Datum		values[7];
	bool		nulls[7];

	if (len < sizeof(SkRecHeader))
		return true;
	memcpy(&h, data, sizeof(h));
	if (h.offset < fs->from)
		return true;
	if (h.offset >= fs->until || fs->nrecs >= fs->max_records ||
		(fs->nrecs > 0 && fs->nbytes + (int64) len > fs->max_bytes))
		return false;
	rec_view(&h, data, &v);
	if (fs->fast && h.nheaders == 0)
	{
		fetch_tuple(fs, &h, v.key, v.value);
		fs->nrecs++;
		fs->nbytes += len;
		return true;
	}
	sk_topic_record_datums(&v, fs->topic_datum, fs->partition, values, nulls, &fs->ht);
	tuplestore_putvalues(fs->rsinfo->setResult, fs->rsinfo->setDesc, values, nulls);
	fs->nrecs++;
	fs->nbytes += len;
	return true;
}

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

static MemoryContext fetch_cxt = NULL;
static int	fetch_live = 0;

static void
fetch_query_done(void *arg)
{
	fetch_live--;
	if (fetch_live == 0 && fetch_cxt != NULL &&
		MemoryContextMemAllocated(fetch_cxt, false) > SK_FETCH_CXT_KEEP)
		MemoryContextReset(fetch_cxt);
}

/* InitMaterializedSRF(fcinfo, 0), with the tuplestore in fetch_cxt. */
static void
fetch_init_result(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext per_query;
	MemoryContext old;
	MemoryContextCallback *cb;
	TupleDesc	tupdesc;
	Tuplestorestate *ts;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (fetch_cxt == NULL)
		fetch_cxt = AllocSetContextCreate(TopMemoryContext, "streamkv fetch results",
										  ALLOCSET_DEFAULT_SIZES);
	per_query = rsinfo->econtext->ecxt_per_query_memory;
	old = MemoryContextSwitchTo(per_query);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = fetch_query_done;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(per_query, cb);
	fetch_live++;
	MemoryContextSwitchTo(fetch_cxt);
	ts = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
							   false, work_mem);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = tupdesc;
}

static void
out_of_range(const char *topic, int partition, int64 offset, int64 log_start, int64 hwm)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("offset " INT64_FORMAT " is out of range for partition %d of topic \"%s\"",
					offset, partition, topic),
			 errdetail("The log start offset is " INT64_FORMAT " and the high watermark is " INT64_FORMAT ".",
					   log_start, hwm),
			 errhint("Kafka reports this as OFFSET_OUT_OF_RANGE; reset the consumer's offset.")));
}

PG_FUNCTION_INFO_V1(sk_fetch);
Datum
sk_fetch(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		partition = PG_GETARG_INT32(1);
	int64		offset = PG_GETARG_INT64(2);
	int32		max_records = PG_GETARG_INT32(3);
	int32		max_bytes = PG_GETARG_INT32(4);
	int32		wait_ms = PG_GETARG_INT32(5);
	Relation	rel;
	SkTopicConf conf;
	SkTopicSlot *t;
	SkPartition *p;
	FetchState	fs;
	int64		hwm,
				log_start;
	BlockNumber blk;
	instr_time	start,
				now;
	bool		flushed = false;

	sk_check_preloaded();
	if (max_records < 1 || max_bytes < 1 || wait_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_records and max_bytes must be positive and wait_ms not negative")));
	rel = open_topic(name, AccessShareLock, &conf);
	if (partition < 0 || partition >= conf.partitions)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partition %d of topic \"%s\" does not exist", partition, name),
				 errdetail("The topic has partitions 0 to %d.", conf.partitions - 1)));
	t = topic_slot(rel);

	INSTR_TIME_SET_CURRENT(start);
	for (;;)
	{
		p = part_lock(&t, rel, partition, LW_EXCLUSIVE);
		hwm = part_hwm(p);
		log_start = p->log_start;
		if (offset < log_start || offset > hwm)
		{
			part_unlock(p);
			out_of_range(name, partition, offset, log_start, hwm);
		}
		if (offset < hwm)
			break;

		/*
		 * Records exist past the high watermark but their WAL is not flushed
		 * yet (asynchronous producers): flush it rather than wait for the
		 * WAL writer, once per wake-up.
		 */
		if (!flushed)
		{
			XLogRecPtr	need = part_pending_lsn(p, hwm);

			if (!XLogRecPtrIsInvalid(need))
			{
				part_unlock(p);
				XLogFlush(need);
				flushed = true;
				continue;
			}
		}
		if (wait_ms == 0)
			break;
		part_unlock(p);

		/* wait for a record: woken by producers, their commits and redo */
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		if (INSTR_TIME_GET_MILLISEC(now) >= wait_ms)
		{
			p = part_lock(&t, rel, partition, LW_EXCLUSIVE);
			break;
		}
		ConditionVariablePrepareToSleep(&p->cv);
		p = part_lock(&t, rel, partition, LW_EXCLUSIVE);
		hwm = part_hwm(p);
		part_unlock(p);
		if (offset >= hwm)
		{
			/* short sleeps: an asynchronous WAL flush sends no wake-up */
			(void) ConditionVariableTimedSleep(&p->cv, 10, PG_WAIT_EXTENSION);
		}
		ConditionVariableCancelSleep();
		flushed = false;
		CHECK_FOR_INTERRUPTS();
	}

	/* read under a shared lock (producers wait less) */
	part_unlock(p);
	/* the result, now that the range checks and the wait are behind us */
	fetch_init_result(fcinfo);
	p = part_lock(&t, rel, partition, LW_SHARED);
	if (offset < p->log_start)
	{
		log_start = p->log_start;
		part_unlock(p);
		out_of_range(name, partition, offset, log_start, hwm);
	}
	memset(&fs, 0, sizeof(fs));
	fs.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	fs.topic_datum = CStringGetTextDatum(conf.name);
	fs.partition = partition;
	fs.from = offset;
	fs.until = hwm;
	fs.max_records = max_records;
	fs.max_bytes = max_bytes;
	fs.topiclen = strlen(conf.name);
	fs.fast = record_desc_is_fast(fs.rsinfo->setDesc);
	blk = offset < hwm ? start_block(p, offset) : InvalidBlockNumber;
	/* an error releases the LWLocks at abort */
	if (BlockNumberIsValid(blk))
		sk_chain_walk(rel, blk, InvalidBlockNumber, fetch_rec, &fs, true);
	part_unlock(p);
	index_close(rel, NoLock);
	return (Datum) 0;
}

/*
 * The first offset below hwm whose timestamp is at or after target, or -1
 * (caller holds the partition lock).  The first page whose largest
 * timestamp reaches the target holds the answer, or it is the first record
 * of a later page.
 */
static int64
part_offset_for_time(Relation rel, SkPartition *p, int64 hwm, int64 target)
{
	SkPageIndex *ix = pidx(p);
	uint32		e;

	for (e = ix ? ix->start : 0; ix && e < ix->count; e++)
	{
		SkPageIdx  *pe = &ix->e[e];
		Buffer		buf;
		Page		page;
		OffsetNumber off;
		int64		found = -1;
		bool		past = false;

		if (pe->max_ts < target || pe->first_offset >= hwm)
			continue;
		buf = ReadBuffer(rel, pe->blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		for (off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
		{
			ItemId		iid = PageGetItemId(page, off);
			char	   *item = PageGetItem(page, iid);
			SkFragHeader fh;
			SkRecHeader h;

			memcpy(&fh, item, sizeof(fh));
			if (!(fh.flags & SK_FRAG_FIRST))
				continue;
			memcpy(&h, item + sizeof(fh), sizeof(h));
			if (h.offset >= hwm)
			{
				past = true;
				break;
			}
			if (h.timestamp >= target)
			{
				found = h.offset;
				break;
			}
		}
		UnlockReleaseBuffer(buf);
		if (found >= 0 || past)
			return found;
	}
	return -1;
}

PG_FUNCTION_INFO_V1(sk_offsets_for_times);
Datum
sk_offsets_for_times(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		target = ts_ms(PG_GETARG_TIMESTAMPTZ(1));
	Relation	rel;
	SkTopicConf conf;
	SkTopicSlot *t;
	int			i;

	sk_check_preloaded();
	rel = open_topic(name, AccessShareLock, &conf);
	t = topic_slot(rel);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < conf.partitions; i++)
	{
		SkPartition *p = part_lock(&t, rel, i, LW_EXCLUSIVE);
		Datum		values[2];
		bool		nulls[2] = {false, false};
		int64		off = part_offset_for_time(rel, p, part_hwm(p), target);

		part_unlock(p);
		values[0] = Int32GetDatum(i);
		values[1] = Int64GetDatum(off);
		nulls[1] = off < 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	index_close(rel, NoLock);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * Retention (the maintenance worker)
 * ------------------------------------------------------------------------
 */

/*
 * Frees head pages of one partition past its retention.  Never frees the
 * page where the newest record starts.  Returns pages freed.
 */
static int
retain_partition(Relation rel, SkTopicSlot **tp, int partition, SkTopicConf *conf, int64 now)
{
	SkPartition *p;
	SkPageIndex *ix;
	uint32		e;
	uint32		keep;
	int64		bytes;
	BlockNumber blk,
				last = InvalidBlockNumber;
	uint32		nfreed = 0;
	XLogRecPtr	lsn;
	bool		preflushed = false;

retry:
	p = part_lock(tp, rel, partition, LW_EXCLUSIVE);
	ix = pidx(p);
	bytes = p->bytes;
	if (ix == NULL || ix->count - ix->start < 2)
	{
		part_unlock(p);
		return 0;
	}
	keep = ix->start;
	for (e = ix->start; e + 1 < ix->count; e++)
	{
		bool		by_time = conf->retention_ms > 0 && ix->e[e].max_ts < now - conf->retention_ms;
		bool		by_bytes = conf->retention_bytes > 0 && bytes - ix->e[e].bytes >= conf->retention_bytes;

		if (!by_time && !by_bytes)
			break;
		bytes -= ix->e[e].bytes;
		keep = e + 1;
	}
	if (keep == ix->start)
	{
		part_unlock(p);
		return 0;
	}
	if (!preflushed)
	{
		/*
		 * Pages go: first flush the WAL already written (asynchronous
		 * producers' records, say) outside the lock, so that the flush of
		 * the TRUNCATE below, under the lock, covers only that record.
		 */
		part_unlock(p);
		XLogFlush(GetXLogInsertRecPtr());
		preflushed = true;
		goto retry;
	}

	/* the page just before the new head, and how many pages go */
	blk = ix->e[ix->start].blk;
	while (blk != ix->e[keep].blk)
	{
		Buffer		buf = ReadBuffer(rel, blk);

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		last = blk;
		blk = SkPageGetOpaque(BufferGetPage(buf))->next;
		UnlockReleaseBuffer(buf);
		nfreed++;
		if (!BlockNumberIsValid(blk))
			elog(ERROR, "streamkv: page index of partition %d does not match its chain", partition);
	}
	lsn = sk_chain_truncate(rel, partition, ix->e[keep].blk, last, nfreed,
							ix->e[keep].first_offset);

	/*
	 * Flushed before anyone can see the new log start: a crash must not take
	 * it back and show records again that a reader was told were gone.  A
	 * fsync under the partition lock, once per retention pass that frees
	 * pages.
	 */
	XLogFlush(lsn);
	ix = pidx(p);
	p->log_start = ix->e[keep].first_offset;
	p->bytes = bytes;
	ix->start = keep;
	p->first_ts = ix->e[keep].max_ts;	/* approximate: largest on the page */
	part_unlock(p);
	return nfreed;
}

static void
maintain_topic(SkSlot *s, void *arg)
{
	SkTopicSlot *t = (SkTopicSlot *) s;
	RelFileNode rnode = s->key.rnode;
	int64		now = *(int64 *) arg;
	Relation	rel;
	SkTopicConf conf;
	int			j;

	if (s->state != SK_SLOT_READY || !topic_is(t, rnode))
		return;
	/* a dropped topic: forget its copy and free the slot */
	if (!sk_store_exists(rnode))
	{
		sk_slot_forget(SK_STORE_TOPIC, rnode);
		return;
	}
	/* on an error the worker releases what it held and goes on */
	rel = CreateFakeRelcacheEntry(rnode);
	read_conf(rel, &conf);
	for (j = 0; j < conf.partitions && j < SK_MAX_PARTITIONS; j++)
	{
		SkTopicSlot *tp = t;

		/* unloaded meanwhile: retention waits for the next load */
		if (!topic_is(t, rnode) || t->slot.state != SK_SLOT_READY || j >= t->npartitions)
			break;
		retain_partition(rel, &tp, j, &conf, now);
	}
	FreeFakeRelcacheEntry(rel);
}

/* The worker's round for topics (kinds.c): retention of every loaded topic. */
void
sk_topic_maintain(MemoryContext roundcxt)
{
	int64		now = sk_now_ms();

	sk_slot_foreach(SK_STORE_TOPIC, maintain_topic, &now);
}

/* ------------------------------------------------------------------------
 * Redo hooks
 * ------------------------------------------------------------------------
 */

/*
 * The partition chain of a loaded topic, with the slot lock (shared) and
 * the partition's lock (exclusive) held; NULL when the topic is not loaded.
 * A chain past the loaded partitions (alter_topic added it) marks the slot
 * for reloading instead.
 */
static SkPartition *
redo_part_lock(RelFileNode rnode, uint16 chain)
{
	SkTopicSlot *t = (SkTopicSlot *) sk_slot_find(SK_STORE_TOPIC, rnode);
	SkPartition *p;

	if (t == NULL || chain >= SK_MAX_PARTITIONS)
		return NULL;
	lock_all(t, LW_SHARED);
	if (t->slot.state != SK_SLOT_READY || !topic_is(t, rnode))
	{
		unlock_all(t);
		return NULL;
	}
	if (chain >= t->npartitions)
	{
		unlock_all(t);
		lock_all(t, LW_EXCLUSIVE);
		if (t->slot.state == SK_SLOT_READY && topic_is(t, rnode) && chain >= t->npartitions)
			t->slot.state = SK_SLOT_BROKEN;	/* reloaded from pages when next used */
		unlock_all(t);
		return NULL;
	}
	p = tpart(t, chain);
	LWLockAcquire(&p->lock, LW_EXCLUSIVE);
	return p;
}

void
sk_topic_redo_record(RelFileNode rnode, uint16 chain, const char *rec, Size len,
					 BlockNumber start_blk)
{
	SkPartition *p;
	SkRecHeader h;

	if (len < sizeof(SkRecHeader) || (p = redo_part_lock(rnode, chain)) == NULL)
		return;
	memcpy(&h, rec, sizeof(h));
	part_note_record(p, &h, len, start_blk);
	p->durable_offset = p->next_offset;
	ConditionVariableBroadcast(&p->cv);
	ConditionVariableBroadcast(&part_slot(p)->cv);
	part_unlock(p);
}

void
sk_topic_redo_truncate(RelFileNode rnode, uint16 chain, BlockNumber new_head, int64 new_log_start)
{
	SkPartition *p = redo_part_lock(rnode, chain);
	SkPageIndex *ix;

	if (p == NULL)
		return;
	ix = pidx(p);
	while (ix && ix->start < ix->count && ix->e[ix->start].blk != new_head)
	{
		p->bytes -= ix->e[ix->start].bytes;
		ix->start++;
	}
	p->log_start = new_log_start;
	part_unlock(p);
}

/* ------------------------------------------------------------------------
 * Interface for consumer groups (group.c)
 * ------------------------------------------------------------------------
 */
Datum
sk_ms_to_timestamptz(int64 ms)
{
	return ts_datum(ms);
}

int64
sk_timestamptz_to_ms(TimestampTz ts)
{
	return ts_ms(ts);
}

/* Opens a topic: false when it does not exist and missing_ok. */
bool
sk_topic_open(SkTopicRef *tr, const char *name, bool missing_ok, LOCKMODE lockmode)
{
	tr->rel = open_topic_ext(name, lockmode, &tr->conf, missing_ok);
	if (tr->rel == NULL)
		return false;
	tr->slot = topic_slot(tr->rel);
	return true;
}

void
sk_topic_close(SkTopicRef *tr)
{
	index_close(tr->rel, NoLock);
}

/* A partition's log start offset and high watermark. */
void
sk_topic_bounds(SkTopicRef *tr, int partition, int64 *log_start, int64 *hwm)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	SkPartition *p = part_lock(&t, tr->rel, partition, LW_EXCLUSIVE);

	*hwm = part_hwm(p);
	*log_start = p->log_start;
	part_unlock(p);
	tr->slot = t;
}

/* The first offset whose timestamp is at or after ts_ms, or -1. */
int64
sk_topic_offset_for_time(SkTopicRef *tr, int partition, int64 ts_ms)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	SkPartition *p = part_lock(&t, tr->rel, partition, LW_EXCLUSIVE);
	int64		off = part_offset_for_time(tr->rel, p, part_hwm(p), ts_ms);

	part_unlock(p);
	tr->slot = t;
	return off;
}

/*
 * Flushes WAL that holds records past the partition's high watermark
 * (asynchronous producers), as a consumer at the end of a partition does;
 * returns whether there was any.
 */
bool
sk_topic_flush_pending(SkTopicRef *tr, int partition)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	SkPartition *p = part_lock(&t, tr->rel, partition, LW_EXCLUSIVE);
	XLogRecPtr	need = part_pending_lsn(p, part_hwm(p));

	part_unlock(p);
	tr->slot = t;
	if (need == InvalidXLogRecPtr)
		return false;
	XLogFlush(need);
	return true;
}

/* Sleeps until a partition of the topic may have grown, at most ms. */
void
sk_topic_wait(SkTopicRef *tr, long ms)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;

	(void) ConditionVariableTimedSleep(&t->cv, ms, PG_WAIT_EXTENSION);
	ConditionVariableCancelSleep();
}

void
sk_topic_prepare_wait(SkTopicRef *tr)
{
	ConditionVariablePrepareToSleep(&((SkTopicSlot *) tr->slot)->cv);
}

typedef struct ReadState
{
	int64		from;
	int64		until;
	int			max;
	int			n;
	sk_record_cb cb;
	void	   *arg;
} ReadState;

static bool
read_rec(const char *data, Size len, BlockNumber start_blk, void *arg)
{
	ReadState  *rs = (ReadState *) arg;
	SkRecHeader h;
	SkRecordView v;

	if (len < sizeof(SkRecHeader))
		return true;
	memcpy(&h, data, sizeof(h));
	if (h.offset < rs->from)
		return true;
	if (h.offset >= rs->until || rs->n >= rs->max)
		return false;
	rec_view(&h, data, &v);
	rs->n++;
	return rs->cb(&v, rs->arg);
}

/*
 * Calls cb for the records of a partition with offsets in [from, until)
 * (until at most the high watermark), at most max of them, in offset order.
 * The view points into a locked page: cb must copy what it keeps.  Returns
 * how many records cb saw.
 */
int
sk_topic_read(SkTopicRef *tr, int partition, int64 from, int64 until, int max,
			  sk_record_cb cb, void *arg)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	SkPartition *p = part_lock(&t, tr->rel, partition, LW_SHARED);
	ReadState	rs;
	BlockNumber blk;

	rs.from = Max(from, p->log_start);
	rs.until = Min(until, p->durable_offset);
	if (RecoveryInProgress())
		rs.until = Min(until, p->next_offset);
	rs.max = max;
	rs.n = 0;
	rs.cb = cb;
	rs.arg = arg;
	blk = rs.from < rs.until ? start_block(p, rs.from) : InvalidBlockNumber;
	if (BlockNumberIsValid(blk))
		sk_chain_walk(tr->rel, blk, InvalidBlockNumber, read_rec, &rs, true);
	part_unlock(p);
	tr->slot = t;
	return rs.n;
}

/* Datums of a record view: topic name datum given; values[0..6]. */
void
sk_topic_record_datums(const SkRecordView *v, Datum topic, int partition,
					   Datum *values, bool *nulls, SkHeaderType *ht)
{
	values[0] = topic;
	nulls[0] = false;
	values[1] = Int32GetDatum(partition);
	nulls[1] = false;
	values[2] = Int64GetDatum(v->offset);
	nulls[2] = false;
	values[3] = ts_datum(v->timestamp);
	nulls[3] = false;
	nulls[4] = v->key == NULL;
	if (v->key)
		values[4] = bytes_datum(v->key, v->keylen);
	nulls[5] = v->value == NULL;
	if (v->value)
		values[5] = bytes_datum(v->value, v->vallen);
	nulls[6] = v->nheaders == 0;
	if (v->nheaders > 0)
		values[6] = headers_datum(ht, v->headers, v->nheaders);
}

/*
 * Appends a copy of a record (key, value, timestamp, headers) with extra
 * encoded headers after its own, routed by its key (sticky when NULL), as
 * the dead-letter path needs.  Returns the partition; *offset is set.
 */
int
sk_topic_produce_copy(SkTopicRef *tr, const SkRecordView *v, const char *extra,
					  uint32 extralen, uint16 nextra, int64 *offset)
{
	SkRecHeader h;
	char	   *rec;
	Size		len;
	char	   *p;
	bytea	   *key = NULL;
	int			partition;
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	int			nkeep = v->nheaders;
	uint32		keeplen = v->hdrlen;

	if (nkeep + nextra > PG_UINT16_MAX)
	{
		/*
		 * A record has at most 65535 headers: keep the first original ones
		 * that fit beside the extra ones (a record that already had almost
		 * that many loses its last few).
		 */
		const char *q = v->headers;
		int			i;

		nkeep = PG_UINT16_MAX - nextra;
		for (i = 0; i < nkeep; i++)
		{
			int32		kl,
						vl;

			memcpy(&kl, q, sizeof(kl));
			memcpy(&vl, q + sizeof(kl), sizeof(vl));
			q += sizeof(kl) + sizeof(vl) + kl + Max(vl, 0);
		}
		keeplen = q - v->headers;
	}
	memset(&h, 0, sizeof(h));
	h.timestamp = tr->conf.timestamp_type == SK_TS_LOG_APPEND ? sk_now_ms() : v->timestamp;
	h.keylen = v->keylen;
	h.vallen = v->vallen;
	h.nheaders = nkeep + nextra;
	h.hdrlen = keeplen + extralen;
	len = sizeof(h) + Max(v->keylen, 0) + Max(v->vallen, 0) + keeplen + extralen;
	rec = palloc_extended(len, MCXT_ALLOC_HUGE);
	p = put_record(rec, &h, v->key, v->value);
	if (keeplen > 0)
		memcpy(p, v->headers, keeplen);
	p += keeplen;
	if (extralen > 0)
		memcpy(p, extra, extralen);
	if (v->key)
	{
		key = palloc(VARHDRSZ + v->keylen);
		SET_VARSIZE(key, VARHDRSZ + v->keylen);
		memcpy(VARDATA(key), v->key, v->keylen);
	}
	partition = route(&tr->conf, tr->rel, key, 0, false, len);
	*offset = append_records(tr->rel, &t, partition, &rec, &len, 1);
	tr->slot = t;
	return partition;
}

/* Encodes one header (as encode_record does) onto buf. */
void
sk_topic_encode_header(StringInfo buf, const char *key, const char *value, int32 vlen)
{
	put_header(buf, key, strlen(key), value, vlen);
}
