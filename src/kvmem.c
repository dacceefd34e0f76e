/*-------------------------------------------------------------------------
 *
 * kvmem.c
 *	  The in-memory copy of each database's keyspace.
 *
 * A fixed array of SkDb slots in shared memory, one per database whose
 * keyspace is in use, each split into SK_NSHARDS shards.  A shard is a
 * chained hash table of SkKey entries allocated in streamkv's DSA area;
 * a hash value is an SkKey whose `fields` points to another table of
 * SkField entries.  All of it is a copy: the store's chains are the truth,
 * and a slot is (re)loaded from them whenever it is not READY -- after
 * start-up, after a crash-restart (shared memory is rebuilt from scratch),
 * after redo failed to allocate, or when the store was recreated.
 *
 * Loading happens at a consistent cut with redo: the loader holds every
 * shard lock while it walks the chains; redo updates pages first, releases
 * them, then takes the shard lock and applies an operation only if its
 * sequence number is past the shard's applied_seq.  Whichever comes first,
 * each operation is applied exactly once.
 *
 * Locking: see streamkv.h.  Every function here that touches a shard's
 * tables expects the caller to hold that shard's lock (exclusively to
 * change it).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_KEYSPACE		/* what its sk_alloc counts toward (kvmem.h) */

#include "access/xlogutils.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "keyspace.h"
#include "kvmem.h"
#include "worker_log.h"

#define SK_INITIAL_BUCKETS		64

uint32
sk_hash(const char *p, Size len)
{
	return hash_bytes((const unsigned char *) p, (int) len);
}

int
sk_shard_of(uint32 hash)
{
	/* the high bits pick the shard, the low bits the bucket */
	return (hash >> 28) % SK_NSHARDS;
}

/* ------------------------------------------------------------------------
 * Allocation, with the bytes in use counted for info() and the limit
 * ------------------------------------------------------------------------
 */
const char *const sk_mem_kind_names[SK_MEM_NKINDS] = {"keyspace", "topic", "groups", "pubsub", "other"};

dsa_pointer
sk_alloc_kind(int kind, Size size)
{
	dsa_pointer dp;

	/* past the limit: unload idle slots first (never errors) */
	if (pg_atomic_read_u64(&sk_shared->mem_used) + size > sk_max_memory_bytes())
		(void) sk_slot_make_room(size);
	dp = dsa_allocate_extended(sk_area(), size, DSA_ALLOC_NO_OOM | DSA_ALLOC_HUGE);

	if (DsaPointerIsValid(dp))
	{
		pg_atomic_fetch_add_u64(&sk_shared->mem_used, size);
		pg_atomic_fetch_add_u64(&sk_shared->mem_by_kind[kind], size);
	}
	return dp;
}

void
sk_free_kind(int kind, dsa_pointer dp, Size size)
{
	dsa_free(sk_area(), dp);
	pg_atomic_fetch_sub_u64(&sk_shared->mem_used, size);
	pg_atomic_fetch_sub_u64(&sk_shared->mem_by_kind[kind], size);
}



dsa_pointer
sk_table_new(uint32 nbuckets)
{
	dsa_pointer tdp = sk_alloc(sizeof(SkTable));
	dsa_pointer bdp;
	SkTable    *t;
	dsa_pointer *b;
	uint32		i;

	if (!DsaPointerIsValid(tdp))
		return InvalidDsaPointer;
	bdp = sk_alloc(sizeof(dsa_pointer) * nbuckets);
	if (!DsaPointerIsValid(bdp))
	{
		sk_free(tdp, sizeof(SkTable));
		return InvalidDsaPointer;
	}
	t = sk_ptr(tdp);
	t->nitems = 0;
	t->nbuckets = nbuckets;
	t->unused = 0;
	t->buckets = bdp;
	b = sk_ptr(bdp);
	for (i = 0; i < nbuckets; i++)
		b[i] = InvalidDsaPointer;
	return tdp;
}

/* Frees an empty table's buckets and header. */
void
sk_table_free(dsa_pointer tdp)
{
	SkTable    *t = sk_ptr(tdp);

	sk_free(t->buckets, sizeof(dsa_pointer) * t->nbuckets);
	sk_free(tdp, sizeof(SkTable));
}

/* Doubles a table's buckets when it is loaded; a failed allocation is fine. */
void
sk_table_maybe_grow(dsa_pointer tdp, bool is_fields)
{
	SkTable    *t = sk_ptr(tdp);
	dsa_pointer nbdp;
	dsa_pointer *ob,
			   *nb;
	uint32		n = t->nbuckets,
				i;

	if (t->nitems <= (uint64) n * 2 || n >= (1U << 30))
		return;
	nbdp = sk_alloc(sizeof(dsa_pointer) * n * 2);
	if (!DsaPointerIsValid(nbdp))
		return;
	t = sk_ptr(tdp);
	ob = sk_ptr(t->buckets);
	nb = sk_ptr(nbdp);
	for (i = 0; i < n * 2; i++)
		nb[i] = InvalidDsaPointer;
	for (i = 0; i < n; i++)
	{
		dsa_pointer dp = ob[i];

		while (DsaPointerIsValid(dp))
		{
			dsa_pointer next;
			uint32		h;

			if (is_fields)
			{
				SkField    *f = sk_ptr(dp);

				next = f->next;
				h = f->hash;
				f->next = nb[h & (n * 2 - 1)];
			}
			else
			{
				SkKey	   *k = sk_ptr(dp);

				next = k->next;
				h = k->hash;
				k->next = nb[h & (n * 2 - 1)];
			}
			nb[h & (n * 2 - 1)] = dp;
			dp = next;
		}
	}
	sk_free(t->buckets, sizeof(dsa_pointer) * n);
	t->buckets = nbdp;
	t->nbuckets = n * 2;
}

/* ------------------------------------------------------------------------
 * Lookups
 * ------------------------------------------------------------------------
 */
dsa_pointer
sk_lookup_dp(SkShard *sh, const char *key, Size klen, uint32 hash, dsa_pointer **linkp)
{
	SkTable    *t;
	dsa_pointer *link;

	if (!DsaPointerIsValid(sh->table))
		return InvalidDsaPointer;
	t = sk_ptr(sh->table);
	link = (dsa_pointer *) sk_ptr(t->buckets) + (hash & (t->nbuckets - 1));
	while (DsaPointerIsValid(*link))
	{
		SkKey	   *k = sk_ptr(*link);

		if (k->hash == hash && k->keylen == klen && memcmp(k->data, key, klen) == 0)
		{
			if (linkp)
				*linkp = link;
			return *link;
		}
		link = &k->next;
	}
	return InvalidDsaPointer;
}

SkKey *
sk_lookup(SkShard *sh, const char *key, Size klen, uint32 hash)
{
	dsa_pointer dp = sk_lookup_dp(sh, key, klen, hash, NULL);

	return DsaPointerIsValid(dp) ? sk_ptr(dp) : NULL;
}

dsa_pointer
sk_hlookup_dp(SkKey *k, const char *field, Size flen, uint32 fhash, dsa_pointer **linkp)
{
	SkTable    *t = sk_ptr(k->fields);
	dsa_pointer *link = (dsa_pointer *) sk_ptr(t->buckets) + (fhash & (t->nbuckets - 1));

	while (DsaPointerIsValid(*link))
	{
		SkField    *f = sk_ptr(*link);

		if (f->hash == fhash && f->flen == flen && memcmp(f->data, field, flen) == 0)
		{
			if (linkp)
				*linkp = link;
			return *link;
		}
		link = &f->next;
	}
	return InvalidDsaPointer;
}

SkField *
sk_hlookup(SkKey *k, const char *field, Size flen)
{
	dsa_pointer dp = sk_hlookup_dp(k, field, flen, sk_hash(field, flen), NULL);

	return DsaPointerIsValid(dp) ? sk_ptr(dp) : NULL;
}

/* ------------------------------------------------------------------------
 * Freeing
 * ------------------------------------------------------------------------
 */
static void
sk_key_free(SkShard *sh, dsa_pointer dp)
{
	SkKey	   *k = sk_ptr(dp);
	const SkValueType *vt = sk_value_type(k->type);

	if (k->expire_at != 0)
		sh->nvolatile--;
	if (vt && vt->free_value)
		vt->free_value(sh, k);
	sh->nkeys[k->type]--;
	sk_free(dp, SkKeySize(k->keylen, k->vallen));
}

void
sk_shard_clear(SkShard *sh)
{
	SkTable    *t;
	dsa_pointer *b;
	uint32		i;

	if (DsaPointerIsValid(sh->table))
	{
		t = sk_ptr(sh->table);
		b = sk_ptr(t->buckets);
		for (i = 0; i < t->nbuckets; i++)
		{
			dsa_pointer dp = b[i];

			while (DsaPointerIsValid(dp))
			{
				dsa_pointer next = ((SkKey *) sk_ptr(dp))->next;

				sk_key_free(sh, dp);
				dp = next;
			}
		}
		sk_free(t->buckets, sizeof(dsa_pointer) * t->nbuckets);
		sk_free(sh->table, sizeof(SkTable));
	}
	sh->table = InvalidDsaPointer;
	memset(sh->nkeys, 0, sizeof(sh->nkeys));
	sh->nelems = sh->nvolatile = sh->nzmembers = sh->nbfchunks = 0;
	sh->chain_ops = 0;
	sh->expire_cursor = 0;
	/* flush, unload: the chain's tail is read from the metapage again */
	sh->tail_hint = InvalidBlockNumber;
}

/* ------------------------------------------------------------------------
 * Applying an operation
 * ------------------------------------------------------------------------
 */
void
sk_unlink_key(SkShard *sh, dsa_pointer *link)
{
	dsa_pointer dp = *link;
	SkKey	   *k = sk_ptr(dp);
	SkTable    *t = sk_ptr(sh->table);

	*link = k->next;
	t->nitems--;
	sk_key_free(sh, dp);
}

void
sk_link_key(SkShard *sh, dsa_pointer dp)
{
	SkKey	   *k = sk_ptr(dp);
	SkTable    *t = sk_ptr(sh->table);
	dsa_pointer *b = sk_ptr(t->buckets);

	k->next = b[k->hash & (t->nbuckets - 1)];
	b[k->hash & (t->nbuckets - 1)] = dp;
	t->nitems++;
	sh->nkeys[k->type]++;
	if (k->expire_at != 0)
		sh->nvolatile++;
	sk_table_maybe_grow(sh->table, false);
}

/*
 * Applies op to the shard.  Returns false, with nothing changed, when
 * shared memory could not be allocated.  Caller holds the shard lock
 * exclusively and has checked that the op is valid for the current state
 * (on the primary) -- redo applies whatever the primary logged.
 */
bool
sk_mem_apply(SkDb *db, SkShard *sh, const SkOpHeader *op)
{
	const char *key = SkOpKey(op);
	uint32		hash = sk_hash(key, op->keylen);
	dsa_pointer *link = NULL;
	dsa_pointer olddp;
	SkKey	   *old;

	if (!DsaPointerIsValid(sh->table))
	{
		sh->table = sk_table_new(SK_INITIAL_BUCKETS);
		if (!DsaPointerIsValid(sh->table))
			return false;
	}
	olddp = sk_lookup_dp(sh, key, op->keylen, hash, &link);
	old = DsaPointerIsValid(olddp) ? sk_ptr(olddp) : NULL;

	switch ((SkOpKind) op->kind)
	{
		case SK_OP_DEL:
		case SK_OP_EXPIRED:
			if (old)
				sk_unlink_key(sh, link);
			return true;
		case SK_OP_EXPIRE:
			if (old)
			{
				if (old->expire_at != 0)
					sh->nvolatile--;
				old->expire_at = op->expire_at;
				if (old->expire_at != 0)
					sh->nvolatile++;
			}
			return true;
		default:
			{
				/* the value type that owns the operation (kinds.c) */
				const SkValueType *vt = sk_value_type_of_op(op->kind);

				/* unknown kinds are refused before logging; redo ignores them */
				if (vt == NULL)
					return true;
				return vt->apply(sh, op, hash, old, link);
			}
	}
}

/* ------------------------------------------------------------------------
 * Iteration
 * ------------------------------------------------------------------------
 */
uint32
sk_table_nbuckets(dsa_pointer tabledp)
{
	if (!DsaPointerIsValid(tabledp))
		return 0;
	return ((SkTable *) sk_ptr(tabledp))->nbuckets;
}

/*
 * Visits the keys of buckets [start, start + nmax) (wrapping is reported,
 * not done).  A visitor returning false stops the scan.  The visitor may
 * not change the table.  Returns the next bucket to scan.
 */
uint32
sk_table_scan(dsa_pointer tabledp, uint32 start, uint32 nmax,
			  sk_key_visitor visit, void *arg, bool *wrapped)
{
	SkTable    *t;
	dsa_pointer *b;
	uint32		i;

	*wrapped = false;
	if (!DsaPointerIsValid(tabledp))
	{
		*wrapped = true;
		return 0;
	}
	t = sk_ptr(tabledp);
	b = sk_ptr(t->buckets);
	for (i = start; i < t->nbuckets && i - start < nmax; i++)
	{
		dsa_pointer dp = b[i];

		while (DsaPointerIsValid(dp))
		{
			SkKey	   *k = sk_ptr(dp);

			dp = k->next;
			if (!visit(k, arg))
				return i + 1;
		}
	}
	if (i >= t->nbuckets)
	{
		*wrapped = true;
		return 0;
	}
	return i;
}

void
sk_hash_scan(SkKey *k, sk_field_visitor visit, void *arg)
{
	SkTable    *t = sk_ptr(k->fields);
	dsa_pointer *b = sk_ptr(t->buckets);
	uint32		i;

	for (i = 0; i < t->nbuckets; i++)
	{
		dsa_pointer dp = b[i];

		while (DsaPointerIsValid(dp))
		{
			SkField    *f = sk_ptr(dp);

			dp = f->next;
			visit(f, arg);
		}
	}
}

/* ------------------------------------------------------------------------
 * The keyspace's row of the store-kind registry: slots and loading
 * ------------------------------------------------------------------------
 */
void
sk_keyspace_slot_init(SkSlot *s, int tranche_id)
{
	SkDb	   *db = (SkDb *) s;
	int			j;

	pg_atomic_init_u64(&db->expired_keys, 0);
	pg_atomic_init_u32(&db->zset_waiters, 0);
	ConditionVariableInit(&db->zset_cv);
	for (j = 0; j < SK_NSHARDS; j++)
	{
		LWLockInitialize(&db->shards[j].lock, tranche_id);
		db->shards[j].table = InvalidDsaPointer;
		db->shards[j].tail_hint = InvalidBlockNumber;
	}
}

void
sk_keyspace_lock_all(SkSlot *s, LWLockMode mode)
{
	SkDb	   *db = (SkDb *) s;
	int			i;

	for (i = 0; i < SK_NSHARDS; i++)
		LWLockAcquire(&db->shards[i].lock, mode);
}

bool
sk_keyspace_try_lock_all(SkSlot *s)
{
	SkDb	   *db = (SkDb *) s;
	int			i;

	for (i = 0; i < SK_NSHARDS; i++)
	{
		if (!LWLockConditionalAcquire(&db->shards[i].lock, LW_EXCLUSIVE))
		{
			while (--i >= 0)
				LWLockRelease(&db->shards[i].lock);
			return false;
		}
	}
	return true;
}

void
sk_keyspace_unlock_all(SkSlot *s)
{
	sk_db_unlock_all((SkDb *) s);
}

void
sk_db_unlock_all(SkDb *db)
{
	int			i;

	for (i = SK_NSHARDS - 1; i >= 0; i--)
		LWLockRelease(&db->shards[i].lock);
}

/* Frees the loaded keys.  Caller holds all shard locks exclusively. */
void
sk_keyspace_unload(SkSlot *s)
{
	SkDb	   *db = (SkDb *) s;
	int			i;

	for (i = 0; i < SK_NSHARDS; i++)
	{
		sk_shard_clear(&db->shards[i]);
		db->shards[i].applied_seq = 0;
	}
}

/* sk_mem_apply as an sk_op_apply_fn: target is the shard (load, write path). */
bool
sk_keyspace_apply(void *target, const SkOpHeader *op)
{
	SkShard    *sh = (SkShard *) target;

	return sk_mem_apply(NULL, sh, op);
}

/*
 * Loads the keyspace from its store rel.  Caller (sk_slot_load) holds every
 * shard lock exclusively; on error it unloads what was loaded.
 */
void
sk_keyspace_load(SkSlot *s, Relation rel)
{
	SkDb	   *db = (SkDb *) s;
	SkMetaPageData meta;
	int			i;

	if (s->loads == 0)
	{
		/* the first load since the slot was given to this store */
		db->compactions = 0;
		db->last_compaction = 0;
		pg_atomic_write_u64(&db->expired_keys, 0);
	}
	sk_read_meta(rel, &meta);
	for (i = 0; i < SK_NSHARDS; i++)
		db->shards[i].tail_hint = InvalidBlockNumber;
	for (i = 0; i < SK_NSHARDS; i++)
		sk_slot_load_ops(rel, &meta.chains[i], sk_keyspace_apply, &db->shards[i], "keyspace",
						 &db->shards[i].applied_seq, &db->shards[i].chain_ops);
}

/*
 * The keyspace slot this backend used last, and the store it belonged to
 * then: a backend works in one database, so nearly every call finds its
 * slot here instead of in the slot table (a dshash lookup under a partition
 * lock).  The pointer may be stale -- the slot unloaded, or its store
 * dropped and the header reused for another store -- but never dangling:
 * slot headers are never freed (docs/architecture.md, "Slots").  Every
 * caller re-checks the slot's key under one of its locks, as it must for a
 * slot found in the table too, and forgets the cached slot when the key no
 * longer matches (sk_db_forget_cached).
 */
static SkDb *cached_db = NULL;
static RelFileNode cached_rnode;

/* Returns the slot of the keyspace store rnode (not necessarily loaded). */
SkDb *
sk_db_get_node(RelFileNode rnode)
{
	if (cached_db == NULL || !RelFileNodeEquals(cached_rnode, rnode))
	{
		cached_db = NULL;
		cached_db = (SkDb *) sk_slot_get(SK_STORE_KEYSPACE, rnode);
		cached_rnode = rnode;
	}
	return cached_db;
}

/* Returns the slot of rel's keyspace (not necessarily loaded). */
SkDb *
sk_db_get(Relation rel)
{
	return sk_db_get_node(rel->rd_node);
}

/* db was found not to be rel's keyspace any more: look it up next time. */
static inline void
sk_db_forget_cached(SkDb *db)
{
	if (cached_db == db)
		cached_db = NULL;
}

static inline bool
sk_db_is(SkDb *db, Relation rel)
{
	return sk_slot_is(&db->slot, SK_STORE_KEYSPACE, rel->rd_node);
}

/*
 * Locks one shard of rel's keyspace, loading the keyspace first when it is
 * not ready.  *dbp is the slot (looked up if NULL).
 */
void
sk_db_lock_shard(SkDb **dbp, Relation rel, int shard, LWLockMode mode)
{
	for (;;)
	{
		SkDb	   *db = *dbp ? *dbp : sk_db_get(rel);

		*dbp = db;
		LWLockAcquire(&db->shards[shard].lock, mode);
		if (db->slot.state == SK_SLOT_READY && sk_db_is(db, rel))
		{
			sk_slot_touch(&db->slot);
			return;
		}
		LWLockRelease(&db->shards[shard].lock);

		if (!sk_db_is(db, rel))
		{
			sk_db_forget_cached(db);
			*dbp = NULL;
			continue;
		}
		sk_keyspace_lock_all(&db->slot, LW_EXCLUSIVE);
		if (db->slot.state != SK_SLOT_READY && sk_db_is(db, rel))
			sk_slot_load(&db->slot, rel);
		sk_db_unlock_all(db);
	}
}

void
sk_db_lock_all(SkDb **dbp, Relation rel, LWLockMode mode)
{
	for (;;)
	{
		SkDb	   *db = *dbp ? *dbp : sk_db_get(rel);

		*dbp = db;
		sk_keyspace_lock_all(&db->slot, LW_EXCLUSIVE);
		if (!sk_db_is(db, rel))
		{
			sk_db_unlock_all(db);
			sk_db_forget_cached(db);
			*dbp = NULL;
			continue;
		}
		if (db->slot.state != SK_SLOT_READY)
			sk_slot_load(&db->slot, rel);
		sk_slot_touch(&db->slot);
		if (mode == LW_EXCLUSIVE)
			return;
		sk_db_unlock_all(db);
		sk_keyspace_lock_all(&db->slot, mode);
		if (db->slot.state == SK_SLOT_READY && sk_db_is(db, rel))
			return;
		sk_db_unlock_all(db);
	}
}

/* ------------------------------------------------------------------------
 * Redo hooks
 * ------------------------------------------------------------------------
 */
static SkDb *
sk_db_for_redo(RelFileNode rnode)
{
	return (SkDb *) sk_slot_find(SK_STORE_KEYSPACE, rnode);
}

static void
redo_apply_op(RelFileNode rnode, uint16 chain, const SkOpHeader *op)
{
	SkDb	   *db = sk_db_for_redo(rnode);
	SkShard    *sh;

	if (db == NULL || chain >= SK_NSHARDS)
		return;
	sh = &db->shards[chain];
	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	if (db->slot.state == SK_SLOT_READY &&
		sk_slot_is(&db->slot, SK_STORE_KEYSPACE, rnode) &&
		op->seq > sh->applied_seq)
	{
		if (sk_mem_apply(db, sh, op))
		{
			sh->applied_seq = op->seq;
			sh->chain_ops++;
		}
		else
			db->slot.state = SK_SLOT_BROKEN;	/* reloaded from pages when next used */
	}
	LWLockRelease(&sh->lock);
}

typedef struct SkRedoArg
{
	RelFileNode rnode;
	uint16		chain;
} SkRedoArg;

static void
redo_op_cb(const SkOpHeader *op, void *arg)
{
	SkRedoArg  *ra = (SkRedoArg *) arg;

	redo_apply_op(ra->rnode, ra->chain, op);
}

/* A complete blob of operations of shard chain, replayed. */
void
sk_keyspace_redo_seq(RelFileNode rnode, uint16 chain, const char *data, Size len,
					 BlockNumber start_blk)
{
	SkRedoArg	ra;

	ra.rnode = rnode;
	ra.chain = chain;
	sk_for_each_op(data, len, redo_op_cb, &ra);
}

void
sk_keyspace_redo_switch(RelFileNode rnode, uint16 chain, uint64 live_ops)
{
	SkDb	   *db = sk_db_for_redo(rnode);
	SkShard    *sh;

	if (db == NULL || chain >= SK_NSHARDS)
		return;
	sh = &db->shards[chain];

	/* also a barrier: a load in progress finishes before pages are reused */
	LWLockAcquire(&sh->lock, LW_EXCLUSIVE);
	if (db->slot.state == SK_SLOT_READY && sk_slot_is(&db->slot, SK_STORE_KEYSPACE, rnode))
	{
		sh->chain_ops = live_ops;
		db->compactions++;
		db->last_compaction = GetCurrentTimestamp();
	}
	LWLockRelease(&sh->lock);
}

void
sk_keyspace_redo_flush(RelFileNode rnode)
{
	SkDb	   *db = sk_db_for_redo(rnode);
	int			i;

	if (db == NULL)
		return;
	sk_keyspace_lock_all(&db->slot, LW_EXCLUSIVE);
	if (db->slot.state != SK_SLOT_NOT_LOADED && sk_slot_is(&db->slot, SK_STORE_KEYSPACE, rnode))
	{
		for (i = 0; i < SK_NSHARDS; i++)
			sk_shard_clear(&db->shards[i]);
	}
	sk_db_unlock_all(db);
}

/* ------------------------------------------------------------------------
 * The maintenance round (worker.c): expiry and compaction of every loaded
 * keyspace
 * ------------------------------------------------------------------------
 */
static void
maintain_db(SkSlot *s, void *arg)
{
	SkDb	   *db = (SkDb *) s;
	RelFileNode rnode = s->key.rnode;
	Relation	rel;
	int			i;
	int64		expired = 0;
	int			compacted = 0;

	/* unloaded keyspaces are not visited: reads hide expired keys anyway */
	if (s->state != SK_SLOT_READY || !sk_slot_is(s, SK_STORE_KEYSPACE, rnode))
		return;
	/* a store dropped (DROP EXTENSION, DROP DATABASE): forget its copy */
	if (!sk_store_exists(rnode))
	{
		sk_slot_forget(SK_STORE_KEYSPACE, rnode);
		return;
	}
	rel = CreateFakeRelcacheEntry(rnode);
	for (i = 0; i < SK_NSHARDS; i++)
	{
		SkDb	   *dbp = db;

		CHECK_FOR_INTERRUPTS();

		/*
		 * The slot may have been unloaded or given to another store
		 * meanwhile: the lock functions would load it; skip instead.
		 */
		if (!sk_slot_is(s, SK_STORE_KEYSPACE, rnode) || s->state != SK_SLOT_READY)
			break;
		expired += sk_expire_shard(rel, &dbp, i);
		if (sk_compact_shard(rel, &dbp, i, false))
			compacted++;
	}
	FreeFakeRelcacheEntry(rel);
	sk_log_action(SK_LOG_EXPIRED, rnode.dbNode, NULL, expired);
	sk_log_action(SK_LOG_COMPACTED, rnode.dbNode, "keyspace", compacted);
}

void
sk_keyspace_maintain(MemoryContext roundcxt)
{
	sk_slot_foreach(SK_STORE_KEYSPACE, maintain_db, NULL);
}

/* ------------------------------------------------------------------------
 * WAL descriptions
 * ------------------------------------------------------------------------
 */
static const char *
op_name(uint8 kind)
{
	const SkValueType *vt;

	switch ((SkOpKind) kind)
	{
		case SK_OP_DEL:
			return "DEL";
		case SK_OP_EXPIRE:
			return "EXPIRE";
		case SK_OP_EXPIRED:
			return "EXPIRED";
		default:
			vt = sk_value_type_of_op(kind);
			return vt ? vt->op_names[kind - vt->first_op] : NULL;
	}
}

void
sk_keyspace_desc_seq(StringInfo buf, const char *data, Size len)
{
	sk_op_desc(buf, data, len, len >= 1 ? op_name((uint8) data[0]) : NULL);
}
