/*-------------------------------------------------------------------------
 *
 * topic_mem.c
 *	  Kafka-style topics: the in-memory copy of each topic (slots,
 *	  partitions in chunks, the page index), loading, the high watermark
 *	  and redo.
 *
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
 * and, with synchronous standbys, confirmed by them (docs/architecture.md).  On a
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
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_TOPIC		/* what its sk_alloc counts toward (kvmem.h) */

#include "topic_int.h"

static ConditionVariable *sk_wake[SK_MAX_WAKE];
static int	sk_nwake = 0;

/* ------------------------------------------------------------------------
 * In-memory state: slots, loading
 * ------------------------------------------------------------------------
 */

SkPageIndex *
pidx(SkPartition *p)
{
	return DsaPointerIsValid(p->index) ? dsa_get_address(area(), p->index) : NULL;
}

/* Appends an index entry; false if memory ran out (then the index is coarser). */
bool
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
		uint32		ncap = Max(8, live * 2);
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

void
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
void
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


bool
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

void
lock_all(SkTopicSlot *t, LWLockMode mode)
{
	LWLockAcquire(&t->lock, mode);
}

void
unlock_all(SkTopicSlot *t)
{
	LWLockRelease(&t->lock);
}

/*
 * Makes sure partitions [0, n) have their chunks (never freed).  Caller
 * holds the slot's lock exclusively.  ERRORs (53200) when memory is short.
 */
void
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
SkTopicSlot *
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
SkPartition *
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

void
part_unlock(SkPartition *p)
{
	LWLockRelease(&p->lock);
	LWLockRelease(&part_slot(p)->lock);
}

/* ------------------------------------------------------------------------
 * Durability: the high watermark
 * ------------------------------------------------------------------------
 */
XLogRecPtr
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
int64
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
XLogRecPtr
part_pending_lsn(SkPartition *p, int64 hwm)
{
	if (p->nring > 0 && p->next_offset > hwm && !RecoveryInProgress())
		return p->ring_lsn[p->nring - 1];
	return InvalidXLogRecPtr;
}

void
part_note_lsn(SkPartition *p, XLogRecPtr lsn, int64 end)
{
	if (p->nring == SK_DURABLE_RING)
	{
		/*
		 * Full: the oldest pair goes, so its offsets become readable with
		 * the next one's LSN (coarser but safe).  Replacing the newest pair
		 * instead kept the high watermark at the 15th pair for as long as a
		 * producer kept appending.
		 */
		memmove(&p->ring_lsn[0], &p->ring_lsn[1], sizeof(XLogRecPtr) * (SK_DURABLE_RING - 1));
		memmove(&p->ring_end[0], &p->ring_end[1], sizeof(int64) * (SK_DURABLE_RING - 1));
		p->nring--;
	}
	p->ring_lsn[p->nring] = lsn;
	p->ring_end[p->nring] = end;
	p->nring++;
}

void
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
 * Redo hooks
 * ------------------------------------------------------------------------
 */

/*
 * The partition chain of a loaded topic, with the slot lock (shared) and
 * the partition's lock (exclusive) held; NULL when the topic is not loaded.
 * A chain past the loaded partitions (alter_topic added it) marks the slot
 * for reloading instead.
 */
SkPartition *
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
