/*-------------------------------------------------------------------------
 *
 * type_zset.c
 *	  The keyspace's sorted-set value type: a row of sk_value_types[]
 *	  (kinds.c).
 *
 * A sorted set is an SkKey whose `fields` is the handle of a ZsSet
 * (zset_core.c: Redis's skiplist with spans plus a member dictionary) whose
 * memory comes from streamkv's DSA area through sk_alloc, so it counts
 * against streamkv.max_memory.
 *
 * Operations, one per command whatever the number of members it touches
 * (ks_zsets.c logs them; redo and loading apply them here):
 *	  ZADD    member := score for each (score, member) of the value; creates
 *	          the set.  Scores are final (ZINCRBY, GT/LT, NX/XX were decided
 *	          on the primary), so redo never computes.
 *	  ZREM    removes each member of the value; the key goes with its last.
 *	  ZSTORE  the key becomes the set of the value's pairs (no pairs: the key
 *	          is deleted), without expiry: ZUNIONSTORE, ZRANGESTORE, ...
 * The value is a list of entries: [float8 score] (ZADD, ZSTORE) then a
 * uint32 length and the member's bytes, unaligned.  Compaction snapshots a
 * set as ZADDs of up to SK_ZSET_SNAPSHOT_MEMBERS members each; the first
 * carries the set's size as its field (a uint64), so that loading sizes the
 * member dictionary once instead of rehashing at every doubling.
 *
 * An apply changes all of an operation or nothing: a ZADD that runs out of
 * memory halfway undoes what it did (an update reuses its node, so undoing
 * it allocates nothing); a ZSTORE builds the new set before it drops the
 * old one.
 *
 * Locking: every function runs under the shard's lock (exclusive for apply
 * and free), as kvmem.h states for value types.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_KEYSPACE		/* what its sk_alloc counts toward (kvmem.h) */

#include "kvmem.h"
#include "zset.h"

const char *const sk_zset_op_names[] = {"ZADD", "ZREM", "ZSTORE"};

/* ------------------------------------------------------------------------
 * The core's memory: the DSA area, accounted
 * ------------------------------------------------------------------------
 */
static zs_ptr
za_alloc(void *ctx, size_t size)
{
	return (zs_ptr) sk_alloc(size);
}

static void
za_free(void *ctx, zs_ptr p, size_t size)
{
	sk_free((dsa_pointer) p, size);
}

static void *
za_addr(void *ctx, zs_ptr p)
{
	return sk_ptr((dsa_pointer) p);
}

const ZsAlloc sk_zalloc = {NULL, za_alloc, za_free, za_addr};

/* ------------------------------------------------------------------------
 * The value of an operation: entries
 * ------------------------------------------------------------------------
 */
void
sk_zentry_put(StringInfo buf, bool with_score, double score, const char *m, uint32 mlen)
{
	if (with_score)
		appendBinaryStringInfo(buf, (const char *) &score, sizeof(double));
	appendBinaryStringInfo(buf, (const char *) &mlen, sizeof(uint32));
	appendBinaryStringInfo(buf, m, mlen);
}

bool
sk_zentry_next(SkZEntries *it, double *score, const char **m, uint32 *mlen)
{
	Size		hdr = (it->with_score ? sizeof(double) : 0) + sizeof(uint32);

	if (it->p + hdr > it->end)
		return false;
	if (it->with_score)
	{
		memcpy(score, it->p, sizeof(double));
		it->p += sizeof(double);
	}
	else
		*score = 0;
	memcpy(mlen, it->p, sizeof(uint32));
	it->p += sizeof(uint32);
	if (*mlen > (Size) (it->end - it->p))
		return false;			/* truncated: never logged so */
	*m = it->p;
	it->p += *mlen;
	return true;
}

void
sk_zentries_init(SkZEntries *it, const SkOpHeader *op)
{
	it->p = SkOpValue(op);
	it->end = it->p + op->vallen;
	it->with_score = (op->kind != SK_OP_ZREM);
}

/* ------------------------------------------------------------------------
 * Apply
 * ------------------------------------------------------------------------
 */

/* A new zset key (not linked), or InvalidDsaPointer when memory ran out. */
static dsa_pointer
new_zset_key(const SkOpHeader *op, uint32 hash, int64 expire_at)
{
	zs_ptr		set = zs_create(&sk_zalloc, (uint64) hash * 0x9E3779B97F4A7C15ULL + 1);
	dsa_pointer kdp;
	SkKey	   *k;

	if (set == ZS_NULL)
		return InvalidDsaPointer;
	kdp = sk_alloc(SkKeySize(op->keylen, 0));
	if (!DsaPointerIsValid(kdp))
	{
		zs_destroy(&sk_zalloc, set);
		return InvalidDsaPointer;
	}
	k = sk_ptr(kdp);
	k->hash = hash;
	k->type = SK_TYPE_ZSET;
	memset(k->unused, 0, sizeof(k->unused));
	k->expire_at = expire_at;
	k->keylen = op->keylen;
	k->vallen = 0;
	k->fields = (dsa_pointer) set;
	memcpy(k->data, SkOpKey(op), op->keylen);
	return kdp;
}

static inline ZsSet *
zset_of(const SkKey *k)
{
	return (ZsSet *) sk_ptr((dsa_pointer) k->fields);
}

/*
 * Sizes the set's dictionary for what the operation brings in one rehash:
 * its entries, or the size of the whole set when compaction wrote it (the
 * first ZADD of a snapshot carries that count as its field).
 */
static void
zset_reserve(zs_ptr set, const SkOpHeader *op, uint64 nentries)
{
	uint64		want = ((ZsSet *) sk_ptr((dsa_pointer) set))->length + nentries;

	if (op->fieldlen == sizeof(uint64))
	{
		uint64		hint;

		memcpy(&hint, SkOpField(op), sizeof(uint64));
		want = Max(want, hint);
	}
	zs_reserve(&sk_zalloc, set, want);
}

typedef struct ZUndo
{
	const char *m;
	uint32		mlen;
	bool		had;
	double		old;
} ZUndo;

static bool
zadd(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old, dsa_pointer *link)
{
	SkZEntries	it;
	ZUndo		one,
			   *undo = &one;
	int			nundo = 0,
				nmax = 0;
	double		score;
	const char *m;
	uint32		mlen;
	bool		created = false;
	zs_ptr		set;

	if (old && old->type != SK_TYPE_ZSET)
	{
		/* the primary never logs this; redo tolerates it */
		sk_unlink_key(sh, link);
		old = NULL;
	}
	sk_zentries_init(&it, op);
	while (sk_zentry_next(&it, &score, &m, &mlen))
		nmax++;
	if (nmax == 0)
		return true;
	if (nmax > 1)
	{
		undo = palloc_extended(sizeof(ZUndo) * nmax, MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
		if (undo == NULL)
			return false;
	}
	if (!old)
	{
		dsa_pointer kdp = new_zset_key(op, hash, 0);

		if (!DsaPointerIsValid(kdp))
		{
			if (undo != &one)
				pfree(undo);
			return false;
		}
		sk_link_key(sh, kdp);
		old = sk_ptr(kdp);
		/* the key just linked is the head of its bucket */
		link = NULL;
		created = true;
	}
	set = (zs_ptr) old->fields;
	zset_reserve(set, op, nmax);

	sk_zentries_init(&it, op);
	while (sk_zentry_next(&it, &score, &m, &mlen))
	{
		double		prev = 0;
		ZsResult	r = zs_add(&sk_zalloc, set, score, m, mlen, &prev);

		if (r == ZS_OOM)
		{
			/* undo, newest first: deletes free, updates reuse their node */
			while (--nundo >= 0)
			{
				ZUndo	   *u = &undo[nundo];

				if (u->had)
					(void) zs_add(&sk_zalloc, set, u->old, u->m, u->mlen, &prev);
				else if (zs_delete(&sk_zalloc, set, u->m, u->mlen))
					sh->nzmembers--;
			}
			if (created)
				sk_zset_drop_key(sh, SkOpKey(op), op->keylen, hash);
			if (undo != &one)
				pfree(undo);
			return false;
		}
		undo[nundo].m = m;
		undo[nundo].mlen = mlen;
		undo[nundo].had = (r != ZS_ADDED);
		undo[nundo].old = prev;
		nundo++;
		if (r == ZS_ADDED)
			sh->nzmembers++;
	}
	if (undo != &one)
		pfree(undo);
	return true;
}

static void
zrem(SkShard *sh, const SkOpHeader *op, SkKey *old, dsa_pointer *link)
{
	SkZEntries	it;
	double		score;
	const char *m;
	uint32		mlen;
	zs_ptr		set;

	if (!old || old->type != SK_TYPE_ZSET)
		return;
	set = (zs_ptr) old->fields;
	sk_zentries_init(&it, op);
	while (sk_zentry_next(&it, &score, &m, &mlen))
		if (zs_delete(&sk_zalloc, set, m, mlen))
			sh->nzmembers--;
	if (zset_of(old)->length == 0)
		sk_unlink_key(sh, link);
}

static bool
zstore(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old, dsa_pointer *link)
{
	SkZEntries	it;
	double		score;
	const char *m;
	uint32		mlen;
	dsa_pointer kdp;
	SkKey	   *k;
	zs_ptr		set;
	uint64		added = 0;

	sk_zentries_init(&it, op);
	if (!sk_zentry_next(&it, &score, &m, &mlen))
	{
		/* an empty result deletes the destination */
		if (old)
			sk_unlink_key(sh, link);
		return true;
	}
	kdp = new_zset_key(op, hash, op->expire_at);
	if (!DsaPointerIsValid(kdp))
		return false;
	k = sk_ptr(kdp);
	set = (zs_ptr) k->fields;
	{
		int			nent = 0;

		while (sk_zentry_next(&it, &score, &m, &mlen))
			nent++;
		zset_reserve(set, op, nent + 1);
	}
	sk_zentries_init(&it, op);
	while (sk_zentry_next(&it, &score, &m, &mlen))
	{
		double		prev;
		ZsResult	r = zs_add(&sk_zalloc, set, score, m, mlen, &prev);

		if (r == ZS_OOM)
		{
			zs_destroy(&sk_zalloc, set);
			sk_free(kdp, SkKeySize(op->keylen, 0));
			return false;
		}
		if (r == ZS_ADDED)
			added++;
	}
	if (old)
		sk_unlink_key(sh, link);
	sk_link_key(sh, kdp);
	sh->nzmembers += added;
	return true;
}

bool
sk_zset_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old, dsa_pointer *link)
{
	switch ((SkOpKind) op->kind)
	{
		case SK_OP_ZADD:
			return zadd(sh, op, hash, old, link);
		case SK_OP_ZREM:
			zrem(sh, op, old, link);
			return true;
		case SK_OP_ZSTORE:
			return zstore(sh, op, hash, old, link);
		default:
			return true;		/* not ours: ignored, as redo ignores unknown kinds */
	}
}

/* Removes a key by name (the caller holds the shard lock exclusively). */
void
sk_zset_drop_key(SkShard *sh, const char *key, Size klen, uint32 hash)
{
	dsa_pointer *link = NULL;
	dsa_pointer dp = sk_lookup_dp(sh, key, klen, hash, &link);

	if (DsaPointerIsValid(dp))
		sk_unlink_key(sh, link);
}

/* Frees the set (the key itself is the caller's). */
void
sk_zset_free(SkShard *sh, SkKey *k)
{
	sh->nzmembers -= zset_of(k)->length;
	zs_destroy(&sk_zalloc, (zs_ptr) k->fields);
	k->fields = InvalidDsaPointer;
}

void
sk_zset_snapshot(const SkKey *k, sk_snapshot_emit emit, void *arg)
{
	StringInfoData buf;
	ZsNode	   *n = zs_by_rank(&sk_zalloc, (zs_ptr) k->fields, 0);
	int			inbuf = 0;
	uint64		size = zset_of(k)->length;	/* the first op's sizing hint */
	bool		first = true;

	initStringInfo(&buf);
	for (; n != NULL; n = zs_next(&sk_zalloc, n))
	{
		sk_zentry_put(&buf, true, n->score, ZsNodeMember(n), n->mlen);
		if (++inbuf == SK_ZSET_SNAPSHOT_MEMBERS || buf.len >= 64 * 1024)
		{
			emit(arg, SK_OP_ZADD, k, first ? (const char *) &size : NULL,
				 first ? sizeof(size) : 0, buf.data, buf.len, 0);
			first = false;
			resetStringInfo(&buf);
			inbuf = 0;
		}
	}
	if (inbuf > 0)
		emit(arg, SK_OP_ZADD, k, first ? (const char *) &size : NULL,
			 first ? sizeof(size) : 0, buf.data, buf.len, 0);
	pfree(buf.data);
	if (k->expire_at != 0)
		emit(arg, SK_OP_EXPIRE, k, NULL, 0, NULL, 0, k->expire_at);
}

Size
sk_zset_memory(const SkKey *k)
{
	return (Size) zset_of(k)->bytes;
}
