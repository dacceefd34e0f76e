/*-------------------------------------------------------------------------
 *
 * ks_maint.c
 *	  Keyspace maintenance and observability: active expiry and compaction
 *	  (the worker's round and compact()), info().
 *
 * Active expiry samples streamkv.expire_sample buckets per shard per round
 * (a cursor that wraps), as Redis samples its expires dict; compaction
 * rewrites a shard as the snapshot of its keys, each value type giving its
 * own operations (SkValueType.snapshot), then switches the metapage.
 *
 * Locking: one shard lock at a time, exclusively.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "keyspace_int.h"

/* GUCs of keyspace maintenance */
double		sk_compact_dead_fraction = 0.5;
int			sk_compact_min_pages = 8;
int			sk_expire_sample = 1000;

void
sk_keyspace_define_gucs(void)
{
	DefineCustomRealVariable("streamkv.compact_dead_fraction",
							 "Fraction of dead operations in a keyspace shard's chain that triggers its compaction.",
							 NULL,
							 &sk_compact_dead_fraction,
							 0.5, 0.05, 0.95,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("streamkv.compact_min_pages",
							"Chains shorter than this many pages are never compacted by the worker.",
							NULL,
							&sk_compact_min_pages,
							8, 1, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("streamkv.expire_sample",
							"Hash buckets per shard the worker examines for expired keys each round.",
							NULL,
							&sk_expire_sample,
							1000, 1, 1000000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
}
#include "kinds.h"
#include "acl.h"


bool
collect_expired(SkKey *k, void *arg)
{
	ExpireCollect *ec = (ExpireCollect *) arg;

	if (k->expire_at != 0 && k->expire_at <= ec->now)
	{
		StringInfo	s = makeStringInfo();

		appendBinaryStringInfo(s, k->data, k->keylen);
		ec->keys = lappend(ec->keys, s);
	}
	return true;
}

/*
 * Removes expired keys among the next streamkv.expire_sample buckets of a
 * shard, logging each removal.  Returns the number removed.
 */
int
sk_expire_shard(Relation rel, SkDb **dbp, int shard)
{
	SkCtx		c;
	SkShard    *sh;
	ExpireCollect ec;
	ListCell   *lc;
	bool		wrapped;

	c.rel = rel;
	c.db = *dbp;
	c.now = sk_now_ms();
	sh = ctx_lock(&c, shard, LW_EXCLUSIVE);
	*dbp = c.db;
	if (sh->nvolatile == 0)
	{
		LWLockRelease(&sh->lock);
		return 0;
	}
	ec.now = c.now;
	ec.keys = NIL;
	sh->expire_cursor = sk_table_scan(sh->table, sh->expire_cursor, sk_expire_sample,
									  collect_expired, &ec, &wrapped);
	foreach(lc, ec.keys)
	{
		StringInfo	s = lfirst(lc);

		log_op(&c, shard, make_op(SK_OP_EXPIRED, s->data, s->len, NULL, 0, NULL, 0, 0));
	}
	LWLockRelease(&sh->lock);
	return list_length(ec.keys);
}


void
compact_flush(CompactState *cs)
{
	if (cs->buf.len > 0)
		sk_chain_append(cs->rel, &cs->pos, cs->buf.data, cs->buf.len, SK_STORE_KEYSPACE);
	resetStringInfo(&cs->buf);
}

void
compact_add(CompactState *cs, SkOpHeader *op)
{
	Size		size = MAXALIGN(SkOpSize(op));

	op->seq = cs->seq;
	appendBinaryStringInfo(&cs->buf, (char *) op, size);
	cs->nops++;
	pfree(op);
	if (cs->buf.len >= 64 * 1024)
		compact_flush(cs);
}

/* One operation of a value's snapshot (SkValueType.snapshot's emit). */
void
compact_emit(void *arg, uint8 opkind, const SkKey *k, const char *field, Size flen,
			 const char *val, Size vlen, int64 expire_at)
{
	compact_add((CompactState *) arg, make_op(opkind, k->data, k->keylen, field, flen,
											  val, vlen, expire_at));
}

/* A key as the operations that rebuild it, from its value type (kinds.c). */
bool
compact_key(SkKey *k, void *arg)
{
	const SkValueType *vt = sk_value_type(k->type);

	if (vt)
		vt->snapshot(k, compact_emit, arg);
	return true;
}

/*
 * Rewrites a shard's chain as one operation per live item, when force or
 * when its dead fraction passes streamkv.compact_dead_fraction.  Returns
 * whether it did.
 */
bool
sk_compact_shard(Relation rel, SkDb **dbp, int shard, bool force)
{
	SkCtx		c;
	SkShard    *sh;
	CompactState cs;
	uint64		live;
	SkMetaPageData meta;
	bool		wrapped;

	c.rel = rel;
	c.db = *dbp;
	sh = ctx_lock(&c, shard, LW_EXCLUSIVE);
	*dbp = c.db;
	live = sk_shard_live_ops(sh);
	if (sh->chain_ops <= live ||
		(!force && ((double) (sh->chain_ops - live) / sh->chain_ops < sk_compact_dead_fraction)))
	{
		LWLockRelease(&sh->lock);
		return false;
	}
	if (!force)
	{
		sk_read_meta(rel, &meta);
		if (meta.chains[shard].npages < (uint32) sk_compact_min_pages)
		{
			LWLockRelease(&sh->lock);
			return false;
		}
	}

	memset(&cs, 0, sizeof(cs));
	initStringInfo(&cs.buf);
	cs.rel = rel;
	cs.pos.chain = shard;
	cs.pos.detached = true;
	cs.pos.head = cs.pos.tail = InvalidBlockNumber;
	cs.pos.npages = 0;
	cs.seq = sh->applied_seq;
	sk_table_scan(sh->table, 0, PG_UINT32_MAX, compact_key, &cs, &wrapped);
	compact_flush(&cs);
	sk_chain_switch(rel, shard, &cs.pos, cs.seq, cs.nops);
	sh->tail_hint = InvalidBlockNumber;	/* a new chain, a new tail */
	sh->chain_ops = cs.nops;
	c.db->compactions++;
	c.db->last_compaction = GetCurrentTimestamp();
	LWLockRelease(&sh->lock);
	pfree(cs.buf.data);
	return true;
}

PG_FUNCTION_INFO_V1(sk_compact);
Datum
sk_compact(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	int			s;
	int			n = 0;

	sk_acl_check(SK_ACL_KEYSPACE, "", SK_PRIV_ADMIN);
	ctx_open_unchecked(&c, true);
	for (s = 0; s < SK_NSHARDS; s++)
		if (sk_compact_shard(c.rel, &c.db, s, true))
			n++;
	ctx_close(&c);
	PG_RETURN_INT32(n);
}

/* ------------------------------------------------------------------------
 * Observability
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_info);
Datum
sk_info(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	TupleDesc	tupdesc;
	Datum		values[17];
	bool		nulls[17];
	int64		strings = 0,
				hashes = 0,
				zsets = 0,
				blooms = 0;
	SkMetaPageData meta;
	int			s;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	ctx_open_unchecked(&c, false);	/* monitoring: no privilege needed */
	for (s = 0; s < SK_NSHARDS; s++)
	{
		SkShard    *sh = ctx_lock(&c, s, LW_SHARED);

		strings += sh->nkeys[SK_TYPE_STRING];
		hashes += sh->nkeys[SK_TYPE_HASH];
		zsets += sh->nkeys[SK_TYPE_ZSET];
		blooms += sh->nkeys[SK_TYPE_BLOOM];
		LWLockRelease(&sh->lock);
	}
	sk_read_meta(ctx_rel(&c), &meta);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(pg_atomic_read_u64(&sk_shared->mem_used));
	values[1] = Int64GetDatum(sk_max_memory_bytes());
	values[2] = Int64GetDatum(strings);
	values[3] = Int64GetDatum(hashes);
	{
		BlockNumber nblocks = RelationGetNumberOfBlocks(ctx_rel(&c));

		values[4] = Int64GetDatum(nblocks);
		/* the free list, and blocks allocated ahead never used (alloc_next 0: not tracked) */
		values[5] = Int64GetDatum((int64) meta.nfree +
								  (meta.alloc_next > 0 && nblocks > meta.alloc_next ?
								   nblocks - meta.alloc_next : 0));
	}
	values[6] = Int64GetDatum(pg_atomic_read_u64(&sk_shared->wal_records));
	values[7] = Int64GetDatum(pg_atomic_read_u64(&sk_shared->wal_bytes));
	values[8] = Int64GetDatum(c.db->slot.loads);
	values[9] = Float8GetDatum(c.db->slot.last_load_ms);
	values[10] = Int64GetDatum(c.db->compactions);
	if (c.db->last_compaction == 0)
		nulls[11] = true;
	else
		values[11] = TimestampTzGetDatum(c.db->last_compaction);
	values[12] = Int64GetDatum(pg_atomic_read_u64(&c.db->expired_keys));
	values[13] = Int64GetDatum(c.db->slot.unloads);
	{
		uint64		total = 0;
		int			k;

		for (k = 0; k < sk_nstore_kinds; k++)
		{
			uint64		n,
						loaded,
						unloads;

			sk_slot_counts(sk_store_kinds[k].kind, &n, &loaded, &unloads);
			total += unloads;
		}
		values[14] = Int64GetDatum((int64) total);
	}
	values[15] = Int64GetDatum(zsets);
	values[16] = Int64GetDatum(blooms);
	ctx_close(&c);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ------------------------------------------------------------------------
 * Memory of keys (MEMORY USAGE) and of the keyspace
 * ------------------------------------------------------------------------
 */

/* Bytes of shared memory a key holds: its SkKey (key and string value) and its value type's. */
static Size
key_memory(const SkKey *k)
{
	const SkValueType *vt = sk_value_type(k->type);

	return MAXALIGN(SkKeySize(k->keylen, k->vallen)) + (vt ? vt->memory(k) : 0);
}

/* streamkv.memory_usage(key): Redis's MEMORY USAGE; NULL when the key does not exist */
PG_FUNCTION_INFO_V1(sk_memory_usage);
Datum
sk_memory_usage(PG_FUNCTION_ARGS)
{
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, false, &kl);
	Size		bytes = k ? key_memory(k) : 0;

	key_end(&kl);
	if (k == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) bytes);
}

static bool
add_key_memory(SkKey *k, void *arg)
{
	*(uint64 *) arg += key_memory(k);
	return true;
}

/*
 * streamkv.keyspace_memory(): bytes this database's keyspace holds in
 * shared memory — every key as memory_usage counts it plus the shards'
 * bucket arrays — computed by a scan under each shard's lock in turn.
 */
PG_FUNCTION_INFO_V1(sk_keyspace_memory);
Datum
sk_keyspace_memory(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	uint64		bytes = 0;
	int			s;

	ctx_open_unchecked(&c, false);	/* monitoring: no privilege needed */
	for (s = 0; s < SK_NSHARDS; s++)
	{
		SkShard    *sh = ctx_lock(&c, s, LW_SHARED);
		bool		wrapped;

		if (DsaPointerIsValid(sh->table))
		{
			bytes += sizeof(SkTable) + sizeof(dsa_pointer) * (uint64) sk_table_nbuckets(sh->table);
			(void) sk_table_scan(sh->table, 0, PG_UINT32_MAX, add_key_memory, &bytes, &wrapped);
		}
		LWLockRelease(&sh->lock);
		CHECK_FOR_INTERRUPTS();
	}
	ctx_close(&c);
	PG_RETURN_INT64((int64) bytes);
}
