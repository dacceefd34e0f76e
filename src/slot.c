/*-------------------------------------------------------------------------
 *
 * slot.c
 *	  The slot table shared by every store kind (design and locking:
 *	  slot.h; docs/architecture.md, "Slots").
 *
 * The table is a dshash table in streamkv's DSA area, created by the
 * postmaster with the area (as pgstat_shmem.c does) and attached by each
 * process on first use.  Its entries map (kind, RelFileNode) to the DSA
 * address of the slot.  A slot header is allocated once, initialised once
 * by its kind (locks, condition variables) and then either belongs to a
 * store or lies on its kind's free list; it is never freed, so no process
 * can ever touch freed memory through a slot pointer it kept.
 *
 * Making room (sk_slot_make_room) is called by the allocator whenever an
 * allocation would pass streamkv.max_memory: it unloads READY slots, least
 * recently used first, taking their locks only conditionally -- a slot in
 * use, the caller's own included, is skipped.  It neither allocates nor
 * errors, so it is safe in redo and while the caller holds other locks
 * (never inside a critical section: nothing allocates there).
 *
 * Locking: slots_shared->free_lock guards the free lists.  The dshash
 * partition locks are held only inside this file, never while a slot's
 * locks are acquired unconditionally or while allocating.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_OTHER		/* what its sk_alloc counts toward (kvmem.h) */

#include "fmgr.h"
#include "funcapi.h"
#include "lib/dshash.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/lwlock.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "kinds.h"
#include "kvmem.h"
#include "slot.h"
#include "worker_log.h"

typedef struct SkSlotEntry
{
	SkSlotKey	key;
	dsa_pointer slot;
} SkSlotEntry;

#define SK_MAX_KINDS	8

typedef struct SkSlotsShared
{
	dshash_table_handle handle;
	int			tranche_id;		/* the dshash table's partition locks */
	LWLock		free_lock;
	dsa_pointer free_head[SK_MAX_KINDS];
	pg_atomic_uint64 unloads[SK_MAX_KINDS];
	pg_atomic_uint64 clock;		/* LRU clock: worker rounds and evictions */
} SkSlotsShared;

static SkSlotsShared *slots_shared = NULL;
static dshash_table *slots_hash = NULL;

static dshash_parameters
slot_params(int tranche_id)
{
	dshash_parameters p;

	p.key_size = sizeof(SkSlotKey);
	p.entry_size = sizeof(SkSlotEntry);
	p.compare_function = dshash_memcmp;
	p.hash_function = dshash_memhash;
	p.tranche_id = tranche_id;
	return p;
}

Size
sk_slots_shmem_size(void)
{
	return MAXALIGN(sizeof(SkSlotsShared));
}

/* Called in the postmaster (found = false) with the area attached. */
void
sk_slots_shmem_init(void *ptr, bool found, dsa_area *area)
{
	slots_shared = (SkSlotsShared *) ptr;
	slots_hash = NULL;
	if (!found)
	{
		dshash_parameters p;
		dshash_table *h;
		int			i;

		memset(slots_shared, 0, sizeof(SkSlotsShared));
		slots_shared->tranche_id = LWLockNewTrancheId();
		LWLockInitialize(&slots_shared->free_lock, slots_shared->tranche_id);
		for (i = 0; i < SK_MAX_KINDS; i++)
		{
			slots_shared->free_head[i] = InvalidDsaPointer;
			pg_atomic_init_u64(&slots_shared->unloads[i], 0);
		}
		pg_atomic_init_u64(&slots_shared->clock, 1);
		p = slot_params(slots_shared->tranche_id);
		h = dshash_create(area, &p, NULL);
		slots_shared->handle = dshash_get_hash_table_handle(h);
		dshash_detach(h);
	}
	LWLockRegisterTranche(slots_shared->tranche_id, "streamkv slot table");
}

static dshash_table *
table(void)
{
	if (slots_hash == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		dshash_parameters p = slot_params(slots_shared->tranche_id);

		LWLockRegisterTranche(slots_shared->tranche_id, "streamkv slot table");
		slots_hash = dshash_attach(sk_area(), &p, slots_shared->handle, NULL);
		MemoryContextSwitchTo(old);
	}
	return slots_hash;
}

static void
make_key(SkSlotKey *key, uint32 kind, RelFileNode rnode)
{
	memset(key, 0, sizeof(*key));
	key->rnode = rnode;
	key->kind = kind;
}

static const SkStoreKind *
kind_of(uint32 kind)
{
	const SkStoreKind *k = sk_store_kind(kind);

	if (k == NULL || kind >= SK_MAX_KINDS)
		elog(PANIC, "streamkv: unknown store kind %u", kind);
	return k;
}

/*
 * The LRU clock is logical: the maintenance worker advances it every round
 * and every eviction pass advances it, so a slot used since the last
 * eviction is always newer than one that was not.  A use writes the slot's
 * stamp only when the clock has moved (no cache-line traffic per call).
 */
void
sk_slot_touch(SkSlot *s)
{
	uint64		now = pg_atomic_read_u64(&slots_shared->clock);

	if (pg_atomic_read_u64(&s->last_used) != now)
		pg_atomic_write_u64(&s->last_used, now);
}

void
sk_slot_tick(void)
{
	if (slots_shared)
		pg_atomic_fetch_add_u64(&slots_shared->clock, 1);
}

SkSlot *
sk_slot_find(uint32 kind, RelFileNode rnode)
{
	SkSlotKey	key;
	SkSlotEntry *e;
	dsa_pointer dp;

	if (slots_shared == NULL)
		return NULL;
	make_key(&key, kind, rnode);
	e = dshash_find(table(), &key, false);
	if (e == NULL)
		return NULL;
	dp = e->slot;
	dshash_release_lock(table(), e);
	return sk_ptr(dp);
}

/* A header of kind: from the free list, else newly allocated and initialised. */
static dsa_pointer
slot_header(const SkStoreKind *k)
{
	dsa_pointer dp;
	SkSlot	   *s;

	LWLockAcquire(&slots_shared->free_lock, LW_EXCLUSIVE);
	dp = slots_shared->free_head[k->kind];
	if (DsaPointerIsValid(dp))
		slots_shared->free_head[k->kind] = ((SkSlot *) sk_ptr(dp))->next_free;
	LWLockRelease(&slots_shared->free_lock);
	if (DsaPointerIsValid(dp))
		return dp;

	dp = sk_alloc(k->slot_size);
	if (!DsaPointerIsValid(dp))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("streamkv.max_memory reached"),
				 errdetail("There is no room for the shared memory of one more %s.", k->name),
				 errhint("Raise streamkv.max_memory and restart the server.")));
	s = sk_ptr(dp);
	memset(s, 0, k->slot_size);
	s->self = dp;
	s->next_free = InvalidDsaPointer;
	s->state = SK_SLOT_NOT_LOADED;
	pg_atomic_init_u64(&s->last_used, 0);
	k->slot_init(s, sk_kind_tranche(k->kind));
	return dp;
}

static void
slot_free_header(const SkStoreKind *k, dsa_pointer dp)
{
	SkSlot	   *s = sk_ptr(dp);

	LWLockAcquire(&slots_shared->free_lock, LW_EXCLUSIVE);
	s->next_free = slots_shared->free_head[k->kind];
	slots_shared->free_head[k->kind] = dp;
	LWLockRelease(&slots_shared->free_lock);
}

SkSlot *
sk_slot_get(uint32 kind, RelFileNode rnode)
{
	const SkStoreKind *k = kind_of(kind);
	SkSlot	   *s = sk_slot_find(kind, rnode);
	SkSlotKey	key;
	SkSlotEntry *e;
	volatile dsa_pointer dp;
	bool		found;

	if (s)
		return s;

	/* a header, given its key before anyone can find it */
	dp = slot_header(k);
	s = sk_ptr(dp);
	k->lock_all(s, LW_EXCLUSIVE);
	make_key(&s->key, kind, rnode);
	s->state = SK_SLOT_NOT_LOADED;
	s->loads = 0;
	s->unloads = 0;
	s->last_load_ms = 0;
	sk_slot_touch(s);
	k->unlock_all(s);

	make_key(&key, kind, rnode);
	PG_TRY();
	{
		e = dshash_find_or_insert(table(), &key, &found);
	}
	PG_CATCH();
	{
		memset(&s->key, 0, sizeof(s->key));
		slot_free_header(k, dp);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (found)
	{
		dsa_pointer other = e->slot;

		dshash_release_lock(table(), e);
		k->lock_all(s, LW_EXCLUSIVE);
		memset(&s->key, 0, sizeof(s->key));
		k->unlock_all(s);
		slot_free_header(k, dp);
		return sk_ptr(other);
	}
	e->slot = dp;
	dshash_release_lock(table(), e);
	return s;
}

void
sk_slot_unload(SkSlot *s)
{
	kind_of(s->key.kind)->unload(s);
	s->state = SK_SLOT_NOT_LOADED;
}

void
sk_slot_load(SkSlot *s, Relation rel)
{
	const SkStoreKind *k = kind_of(s->key.kind);
	instr_time	start,
				dur;

	INSTR_TIME_SET_CURRENT(start);
	if (s->state != SK_SLOT_NOT_LOADED)
		sk_slot_unload(s);
	PG_TRY();
	{
		k->load(s, rel);
	}
	PG_CATCH();
	{
		sk_slot_unload(s);
		PG_RE_THROW();
	}
	PG_END_TRY();
	INSTR_TIME_SET_CURRENT(dur);
	INSTR_TIME_SUBTRACT(dur, start);
	s->loads++;
	s->last_load_ms = INSTR_TIME_GET_MILLISEC(dur);
	s->state = SK_SLOT_READY;
	sk_slot_touch(s);
}

void
sk_slot_forget(uint32 kind, RelFileNode rnode)
{
	const SkStoreKind *k = kind_of(kind);
	SkSlotKey	key;
	SkSlotEntry *e;
	dsa_pointer dp;
	SkSlot	   *s;

	if (slots_shared == NULL)
		return;
	make_key(&key, kind, rnode);
	e = dshash_find(table(), &key, true);
	if (e == NULL)
		return;
	dp = e->slot;
	dshash_delete_entry(table(), e);

	s = sk_ptr(dp);
	k->lock_all(s, LW_EXCLUSIVE);
	if (s->state != SK_SLOT_NOT_LOADED)
		sk_slot_unload(s);
	memset(&s->key, 0, sizeof(s->key));
	k->unlock_all(s);
	slot_free_header(k, dp);
}

/* ------------------------------------------------------------------------
 * Making room: unload the least recently used idle slots
 * ------------------------------------------------------------------------
 */
#define SK_EVICT_BATCH	32

typedef struct EvictCand
{
	dsa_pointer dp;
	uint64		last_used;
} EvictCand;

static int
cand_cmp(const void *a, const void *b)
{
	uint64		x = ((const EvictCand *) a)->last_used;
	uint64		y = ((const EvictCand *) b)->last_used;

	return (x > y) - (x < y);
}

static bool
fits(Size need, Size limit)
{
	return pg_atomic_read_u64(&sk_shared->mem_used) + need <= limit;
}

bool
sk_slot_make_room(Size need)
{
	Size		limit = sk_max_memory_bytes();
	/* unload a sixteenth more than needed, so that the next writes fit too */
	Size		want = need + limit / 16;
	int			pass;

	if (slots_shared == NULL || fits(need, limit))
		return true;
	/* each pass unloads the SK_EVICT_BATCH oldest READY slots it can lock */
	for (pass = 0; pass < 64; pass++)
	{
		EvictCand	c[SK_EVICT_BATCH];
		int			n = 0,
					i,
					unloaded = 0;
		dshash_seq_status st;
		SkSlotEntry *e;
		Oid			unloaded_db = InvalidOid;
		const char *unloaded_kind = NULL;

		dshash_seq_init(&st, table(), false);
		while ((e = dshash_seq_next(&st)) != NULL)
		{
			SkSlot	   *s = sk_ptr(e->slot);
			uint64		lu;

			if (s->state != SK_SLOT_READY)
				continue;
			lu = pg_atomic_read_u64(&s->last_used);
			if (n < SK_EVICT_BATCH)
				c[n++] = (EvictCand) {e->slot, lu};
			else
			{
				/* replace the most recent candidate if this one is older */
				int			newest = 0;

				for (i = 1; i < n; i++)
					if (c[i].last_used > c[newest].last_used)
						newest = i;
				if (lu < c[newest].last_used)
					c[newest] = (EvictCand) {e->slot, lu};
			}
		}
		dshash_seq_term(&st);
		if (n == 0)
			break;
		sk_slot_tick();
		qsort(c, n, sizeof(EvictCand), cand_cmp);
		for (i = 0; i < n && !fits(want, limit); i++)
		{
			SkSlot	   *s = sk_ptr(c[i].dp);
			const SkStoreKind *k = sk_store_kind(s->key.kind);

			if (k == NULL || !k->try_lock_all(s))
				continue;
			if (s->state == SK_SLOT_READY)
			{
				sk_slot_unload(s);
				s->unloads++;
				pg_atomic_fetch_add_u64(&slots_shared->unloads[s->key.kind], 1);
				unloaded++;
				elog(DEBUG1, "streamkv: unloaded the %s of relfilenode %u of database %u to make room",
					 k->name, s->key.rnode.relNode, s->key.rnode.dbNode);
				unloaded_db = s->key.rnode.dbNode;
				unloaded_kind = k->name;
			}
			k->unlock_all(s);
			/* logged after the slot's locks are released */
			if (unloaded_kind)
			{
				sk_log_action(SK_LOG_UNLOADED, unloaded_db, unloaded_kind, 1);
				unloaded_kind = NULL;
			}
		}
		if (fits(want, limit) || unloaded == 0)
			break;
	}
	return fits(need, limit);
}

/* ------------------------------------------------------------------------
 * Iteration and counters
 * ------------------------------------------------------------------------
 */
void
sk_slot_foreach(uint32 kind, sk_slot_visitor cb, void *arg)
{
	dshash_seq_status st;
	SkSlotEntry *e;
	dsa_pointer *dps;
	int			n = 0,
				cap = 64,
				i;

	if (slots_shared == NULL)
		return;
	dps = palloc(sizeof(dsa_pointer) * cap);
	dshash_seq_init(&st, table(), false);
	while ((e = dshash_seq_next(&st)) != NULL)
	{
		if (e->key.kind != kind)
			continue;
		if (n == cap)
		{
			/* repalloc may ERROR: leave the scan first */
			dshash_seq_term(&st);
			cap *= 2;
			dps = repalloc(dps, sizeof(dsa_pointer) * cap);
			n = 0;
			dshash_seq_init(&st, table(), false);
			continue;
		}
		dps[n++] = e->slot;
	}
	dshash_seq_term(&st);
	for (i = 0; i < n; i++)
		cb((SkSlot *) sk_ptr(dps[i]), arg);
	pfree(dps);
}

void
sk_slot_counts(uint32 kind, uint64 *nslots, uint64 *nloaded, uint64 *nunloads)
{
	dshash_seq_status st;
	SkSlotEntry *e;

	*nslots = *nloaded = *nunloads = 0;
	if (slots_shared == NULL || kind >= SK_MAX_KINDS)
		return;
	dshash_seq_init(&st, table(), false);
	while ((e = dshash_seq_next(&st)) != NULL)
	{
		if (e->key.kind != kind)
			continue;
		(*nslots)++;
		if (((SkSlot *) sk_ptr(e->slot))->state == SK_SLOT_READY)
			(*nloaded)++;
	}
	dshash_seq_term(&st);
	*nunloads = pg_atomic_read_u64(&slots_shared->unloads[kind]);
}

/* ------------------------------------------------------------------------
 * The write path of every kind whose chains hold operations
 * ------------------------------------------------------------------------
 */

/*
 * Refuses, with 53200 and nothing changed, a write that needs need more
 * bytes past streamkv.max_memory once idle slots have been unloaded --
 * Redis's noeviction policy for the data in use.
 */
void
sk_mem_check(Size need)
{
	uint64		used = pg_atomic_read_u64(&sk_shared->mem_used);

	if (used + need <= sk_max_memory_bytes() || sk_slot_make_room(need))
		return;
	used = pg_atomic_read_u64(&sk_shared->mem_used);
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("streamkv.max_memory reached: OOM command not allowed when used memory > 'maxmemory'"),
			 errdetail("streamkv uses %llu bytes of %llu; this write needs about %zu more.",
					   (unsigned long long) used,
					   (unsigned long long) sk_max_memory_bytes(), need),
			 errhint("Delete keys, groups or expiries, or raise streamkv.max_memory and restart.")));
}

/*
 * Logs one operation of slot s: the memory check (unless the operation only
 * frees), its sequence number (*applied_seq + 1), the change to memory
 * (apply; false means memory ran out, and apply left memory as it was or
 * marked the slot BROKEN), then the append to chain with its WAL record.
 * When the append fails after memory changed, the slot is BROKEN: it is
 * rebuilt from the pages on next use.  On success *applied_seq is the
 * operation's number.  tail_hint, when not NULL, is the chain's remembered
 * tail (sk_chain_append_ops_hinted), kept by the caller under the chain's
 * lock.
 *
 * Caller holds the chain's lock exclusively (which freezes the slot).
 */
void
sk_slot_log_op(SkSlot *s, Relation rel, uint16 chain, SkOpHeader *op, bool frees,
			   uint64 *applied_seq, sk_op_apply_fn apply, void *target,
			   BlockNumber *tail_hint)
{
	Size		size = MAXALIGN(SkOpSize(op));
	const char *data = (const char *) op;
	SkChainPos	pos;

	if (!frees)
		sk_mem_check(size + 128);
	op->seq = *applied_seq + 1;
	if (!apply(target, op))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("streamkv.max_memory reached: OOM command not allowed when used memory > 'maxmemory'"),
				 errhint("Delete keys, groups or expiries, or raise streamkv.max_memory and restart.")));
	pos.chain = chain;
	pos.detached = false;
	pos.head = pos.tail = InvalidBlockNumber;
	pos.npages = 0;
	PG_TRY();
	{
		sk_chain_append_ops_hinted(rel, &pos, &data, &size, 1, (uint8) s->key.kind, NULL,
								   tail_hint);
	}
	PG_CATCH();
	{
		/* memory is ahead of the pages: rebuild it from them */
		s->state = SK_SLOT_BROKEN;
		PG_RE_THROW();
	}
	PG_END_TRY();
	*applied_seq = op->seq;
}

/* ------------------------------------------------------------------------
 * Loading a chain of operations (keyspace shards, the groups chain)
 * ------------------------------------------------------------------------
 */
typedef struct OpLoad
{
	sk_op_apply_fn apply;
	void	   *target;
	const char *what;
	uint64		maxseq;
	uint64		nops;
} OpLoad;

static void
opload_op(const SkOpHeader *op, void *arg)
{
	OpLoad	   *ol = (OpLoad *) arg;

	if (!ol->apply(ol->target, op))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("streamkv.max_memory is too small to load the %s of this database", ol->what),
				 errhint("Raise streamkv.max_memory (currently %d kB) and restart the server.",
						 sk_max_memory_kb)));
	if (op->seq > ol->maxseq)
		ol->maxseq = op->seq;
}

static bool
opload_seq(const char *data, Size len, BlockNumber start_blk, void *arg)
{
	OpLoad	   *ol = (OpLoad *) arg;

	ol->nops += sk_for_each_op(data, len, opload_op, arg);
	return true;
}

/*
 * Applies every operation of the chain cm (through apply, as the write path
 * and redo do) to target: the load of a kind whose chains hold operations.
 * Sets *maxseq to the last sequence number (the chain's seq_base when it is
 * empty) and *nops to the operations read.  Caller holds the slot's locks
 * exclusively (a consistent cut with redo: slot.h); ERRORs (54000) when
 * memory runs out even after making room.
 */
void
sk_slot_load_ops(Relation rel, const SkChainMeta *cm, sk_op_apply_fn apply, void *target,
				 const char *what, uint64 *maxseq, uint64 *nops)
{
	OpLoad		ol;

	ol.apply = apply;
	ol.target = target;
	ol.what = what;
	ol.maxseq = cm->seq_base;
	ol.nops = 0;
	sk_chain_walk(rel, cm->head, cm->tail, opload_seq, &ol, false);
	*maxseq = ol.maxseq;
	*nops = ol.nops;
}

/* ------------------------------------------------------------------------
 * streamkv.slots(): the slot table, per kind
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_slots);
Datum
sk_slots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	sk_check_preloaded();
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < sk_nstore_kinds; i++)
	{
		const SkStoreKind *k = &sk_store_kinds[i];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		uint64		n,
					loaded,
					unloads;

		sk_slot_counts(k->kind, &n, &loaded, &unloads);
		values[0] = CStringGetTextDatum(k->name);
		values[1] = Int64GetDatum((int64) n);
		values[2] = Int64GetDatum((int64) loaded);
		values[3] = Int64GetDatum((int64) unloads);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* streamkv.memory_by_kind(): bytes of the DSA area in use, per kind */
PG_FUNCTION_INFO_V1(sk_memory_by_kind);
Datum
sk_memory_by_kind(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	sk_check_preloaded();
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < SK_MEM_NKINDS; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(sk_mem_kind_names[i]);
		values[1] = Int64GetDatum((int64) pg_atomic_read_u64(&sk_shared->mem_by_kind[i]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
