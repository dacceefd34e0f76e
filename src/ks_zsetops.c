/*-------------------------------------------------------------------------
 *
 * ks_zsetops.c
 *	  Sorted sets, the C API of the commands over several keys and of the
 *	  iterators: ZUNION/ZINTER/ZDIFF and their STORE forms, ZINTERCARD,
 *	  ZSCAN, BZPOPMIN/BZPOPMAX.
 *
 * Set operations follow Redis's zunionInterDiffGenericCommand: a weight
 * multiplies each score (a NaN product, 0 * inf, counts as 0), SUM/MIN/MAX
 * aggregate (a NaN sum, inf + -inf, counts as 0), the result is ordered by
 * score then member, and an empty result deletes the destination.
 *
 * Locking: the shards of all the keys, in ascending order (ZMulti);
 * blocking pops hold no lock while they sleep.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/condition_variable.h"

#include "zset_int.h"

/* ------------------------------------------------------------------------
 * ZUNION, ZINTER, ZDIFF
 * ------------------------------------------------------------------------
 */

/* The result being built: members (pointing into the sets) and scores. */
typedef struct ZAcc
{
	int			size;			/* power of two */
	int		   *slot;			/* index into ent, -1 empty */
	struct ZAccEnt
	{
		const char *m;
		uint32		mlen;
		uint32		h;
		double		score;
	}		   *ent;
	int			nent;
	int			cap;
} ZAcc;

static void
acc_init(ZAcc *a, uint64 expect)
{
	a->size = 16;
	while ((uint64) a->size < expect * 2 && a->size < (1 << 30))
		a->size <<= 1;
	a->slot = palloc_extended(sizeof(int) * a->size, MCXT_ALLOC_HUGE);
	memset(a->slot, -1, sizeof(int) * a->size);
	a->cap = Max(8, (int) Min(expect, (uint64) (1 << 29)));
	a->ent = palloc_extended(sizeof(struct ZAccEnt) * a->cap, MCXT_ALLOC_HUGE);
	a->nent = 0;
}

static void
acc_grow(ZAcc *a)
{
	int			i;

	a->size <<= 1;
	a->slot = repalloc_huge(a->slot, sizeof(int) * a->size);
	memset(a->slot, -1, sizeof(int) * a->size);
	for (i = 0; i < a->nent; i++)
	{
		int			j = a->ent[i].h & (a->size - 1);

		while (a->slot[j] >= 0)
			j = (j + 1) & (a->size - 1);
		a->slot[j] = i;
	}
}

/* The entry of member m (created when create), or NULL. */
static struct ZAccEnt *
acc_get(ZAcc *a, const char *m, uint32 mlen, bool create)
{
	uint32		h = hash_bytes((const unsigned char *) m, (int) mlen);
	int			i = h & (a->size - 1);
	struct ZAccEnt *e;

	for (; a->slot[i] >= 0; i = (i + 1) & (a->size - 1))
	{
		e = &a->ent[a->slot[i]];
		if (e->h == h && e->mlen == mlen && memcmp(e->m, m, mlen) == 0)
			return e;
	}
	if (!create)
		return NULL;
	if (a->nent == a->cap)
	{
		a->cap *= 2;
		a->ent = repalloc_huge(a->ent, sizeof(struct ZAccEnt) * a->cap);
	}
	a->slot[i] = a->nent;
	e = &a->ent[a->nent++];
	e->m = m;
	e->mlen = mlen;
	e->h = h;
	e->score = 0;
	if ((uint64) a->nent * 2 > (uint64) a->size)
		acc_grow(a);
	return e;
}

static inline double
agg(SkZAgg how, double acc, double v)
{
	double		r;

	switch (how)
	{
		case SKZ_MIN:
			return v < acc ? v : acc;
		case SKZ_MAX:
			return v > acc ? v : acc;
		default:
			r = acc + v;
			return isnan(r) ? 0.0 : r;
	}
}

static int
item_cmp(const void *a, const void *b)
{
	const SkZItem *x = (const SkZItem *) a;
	const SkZItem *y = (const SkZItem *) b;

	if (x->score < y->score)
		return -1;
	if (x->score > y->score)
		return 1;
	return zs_member_cmp(x->member, x->mlen, y->member, y->mlen);
}

static void
check_keys(int nkeys, const char *cmd)
{
	if (nkeys <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at least 1 input key is needed for '%s' command", cmd)));
}

/*
 * The result of op over keys, sorted, in palloc'd items.  Caller holds the
 * shards of keys (m); limit > 0 stops an intersection at that many members
 * (ZINTERCARD, unsorted then).
 */
static SkZItem *
zsetop_locked(ZMulti *m, SkZSetOp op, int nkeys, const SkBytes *keys, const double *weights,
			  SkZAgg how, int64 limit, bool sort, int64 *n)
{
	SkKey	  **sets = palloc0(sizeof(SkKey *) * nkeys);
	int		   *ord = palloc(sizeof(int) * nkeys);
	uint64	   *len = palloc0(sizeof(uint64) * nkeys);
	ZAcc		a;
	SkZItem    *items;
	uint64		expect = 0;
	int			i,
				j;
	int64		out = 0;
	ZsNode	   *node;

	*n = 0;
	for (i = 0; i < nkeys; i++)
	{
		sets[i] = zmulti_get(m, keys[i]);
		len[i] = sets[i] ? zset_set(sets[i])->length : 0;
		expect = Max(expect, len[i]);
	}
	/*
	 * As Redis: union and intersection visit the sets from the smallest to
	 * the largest (a stable order, so that sums add up in Redis's order);
	 * a difference keeps the first set first.
	 */
	for (i = 0; i < nkeys; i++)
	{
		int			x = i;

		if (op != SKZ_DIFF)
			for (j = i; j > 0 && len[ord[j - 1]] > len[x]; j--)
				ord[j] = ord[j - 1];
		else
			j = i;
		ord[j] = x;
	}
	if ((op == SKZ_INTER || op == SKZ_DIFF) && !sets[ord[0]])
		return NULL;
	acc_init(&a, op == SKZ_UNION ? expect : len[ord[0]]);

	if (op == SKZ_UNION)
	{
		for (j = 0; j < nkeys; j++)
		{
			i = ord[j];
			if (!sets[i])
				continue;
			for (node = zs_by_rank(&sk_zalloc, zset_handle(sets[i]), 0); node;
				 node = zs_next(&sk_zalloc, node))
			{
				bool		isnew = (acc_get(&a, ZsNodeMember(node), node->mlen, false) == NULL);
				struct ZAccEnt *e = acc_get(&a, ZsNodeMember(node), node->mlen, true);
				double		v = (weights ? weights[i] : 1.0) * node->score;

				if (isnan(v))
					v = 0;
				e->score = isnew ? v : agg(how, e->score, v);
			}
			CHECK_FOR_INTERRUPTS();
		}
	}
	else if (op == SKZ_INTER)
	{
		/* every member of the smallest set that all the others hold */
		int			first = ord[0];

		for (node = zs_by_rank(&sk_zalloc, zset_handle(sets[first]), 0); node;
			 node = zs_next(&sk_zalloc, node))
		{
			double		score = (weights ? weights[first] : 1.0) * node->score;
			bool		all = true;

			if (isnan(score))
				score = 0;
			for (j = 1; j < nkeys && all; j++)
			{
				ZsNode	   *o;

				i = ord[j];
				o = zs_find(&sk_zalloc, zset_handle(sets[i]), ZsNodeMember(node), node->mlen);
				if (!o)
					all = false;
				else
					score = agg(how, score, o->score * (weights ? weights[i] : 1.0));
			}
			if (all)
			{
				acc_get(&a, ZsNodeMember(node), node->mlen, true)->score = score;
				if (limit > 0 && a.nent >= limit)
					break;
			}
		}
	}
	else
	{
		/* the first set less the others */
		for (node = zs_by_rank(&sk_zalloc, zset_handle(sets[0]), 0); node;
			 node = zs_next(&sk_zalloc, node))
		{
			bool		found = false;

			for (i = 1; i < nkeys && !found; i++)
				found = sets[i] &&
					zs_find(&sk_zalloc, zset_handle(sets[i]), ZsNodeMember(node), node->mlen) != NULL;
			if (!found)
				acc_get(&a, ZsNodeMember(node), node->mlen, true)->score = node->score;
		}
	}

	items = palloc_extended(sizeof(SkZItem) * Max(a.nent, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < a.nent; i++)
	{
		SkZItem    *it = &items[out++];

		it->mlen = a.ent[i].mlen;
		it->member = palloc(it->mlen + 1);
		memcpy(it->member, a.ent[i].m, it->mlen);
		it->member[it->mlen] = '\0';
		it->score = a.ent[i].score;
	}
	if (sort && out > 1)
		qsort(items, out, sizeof(SkZItem), item_cmp);
	*n = out;
	return items;
}

static const char *
setop_name(SkZSetOp op, bool store)
{
	switch (op)
	{
		case SKZ_UNION:
			return store ? "zunionstore" : "zunion";
		case SKZ_INTER:
			return store ? "zinterstore" : "zinter";
		default:
			return store ? "zdiffstore" : "zdiff";
	}
}

SkZItem *
skz_zsetop(SkZSetOp op, int nkeys, const SkBytes *keys, const double *weights,
		   SkZAgg how, int64 *n)
{
	ZMulti		m;
	SkZItem    *items;

	check_keys(nkeys, setop_name(op, false));
	zmulti_lock(&m, false, nkeys, keys);
	items = zsetop_locked(&m, op, nkeys, keys, weights, how, 0, true, n);
	zmulti_unlock(&m);
	return items;
}

int64
skz_zsetop_store(SkBytes dst, SkZSetOp op, int nkeys, const SkBytes *keys,
				 const double *weights, SkZAgg how)
{
	ZMulti		m;
	SkBytes    *all;
	SkZItem    *items;
	int64		n;
	int64		i;
	StringInfoData buf;

	check_keys(nkeys, setop_name(op, true));
	all = palloc(sizeof(SkBytes) * (nkeys + 1));
	memcpy(all, keys, sizeof(SkBytes) * nkeys);
	all[nkeys] = dst;
	zmulti_lock(&m, true, nkeys + 1, all);
	items = zsetop_locked(&m, op, nkeys, keys, weights, how, 0, false, &n);
	initStringInfo(&buf);
	for (i = 0; i < n; i++)
		sk_zentry_put(&buf, true, items[i].score, items[i].member, items[i].mlen);
	if (n > 0)
		sk_mem_check(buf.len + n * 96);
	zmulti_log(&m, dst, SK_OP_ZSTORE, &buf);
	zmulti_unlock(&m);
	if (n > 0)
		skz_wake_waiters(m.c.db);
	return n;
}

int64
skz_zintercard(int nkeys, const SkBytes *keys, int64 limit)
{
	ZMulti		m;
	int64		n;

	check_keys(nkeys, "zintercard");
	if (limit < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("LIMIT can't be negative")));
	zmulti_lock(&m, false, nkeys, keys);
	(void) zsetop_locked(&m, SKZ_INTER, nkeys, keys, NULL, SKZ_SUM, limit, false, &n);
	zmulti_unlock(&m);
	return n;
}

/* ------------------------------------------------------------------------
 * ZSCAN: the member dictionary's buckets in reverse-binary order, as
 * Redis's dictScan, so that a member present for the whole scan is
 * returned at least once even when the dictionary grows in between.
 * ------------------------------------------------------------------------
 */
static inline uint64
rev_bits(uint64 v)
{
	uint64		r = 0;
	int			i;

	for (i = 0; i < 64; i++)
	{
		r = (r << 1) | (v & 1);
		v >>= 1;
	}
	return r;
}

uint64
skz_zscan(SkBytes key, uint64 cursor, SkBytes pattern, bool has_pattern,
		  int count, SkZItem **items, int64 *n)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	ZsSet	   *set;
	zs_ptr	   *buckets;
	uint64		mask;
	int			cap = 16;
	int64		got = 0;
	int			visited = 0;

	*items = NULL;
	*n = 0;
	/* as Redis's SCAN family (and scan()): '*' filters nothing, '' included */
	if (has_pattern && pattern.len == 1 && pattern.p[0] == '*')
		has_pattern = false;
	if (count < 1)
	{
		key_end(&kl);
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("syntax error"),
				 errdetail("count must be at least 1.")));
	}
	key_check_type(&kl, k, SK_TYPE_ZSET);
	if (!k)
	{
		key_end(&kl);
		return 0;
	}
	set = zset_set(k);
	buckets = (zs_ptr *) sk_ptr((dsa_pointer) set->buckets);
	mask = set->nbuckets - 1;
	*items = palloc(sizeof(SkZItem) * cap);
	do
	{
		zs_ptr		p = buckets[cursor & mask];

		while (p != ZS_NULL)
		{
			ZsNode	   *node = (ZsNode *) sk_ptr((dsa_pointer) p);

			p = node->dict_next;
			if (has_pattern &&
				!glob_match(pattern.p, (int) pattern.len, ZsNodeMember(node), (int) node->mlen, 0))
				continue;
			if (got == cap)
			{
				cap *= 2;
				*items = repalloc_huge(*items, sizeof(SkZItem) * cap);
			}
			zitem_set(&(*items)[got++], node);
		}
		visited++;
		/* the next cursor: increment the reversed bits of the unmasked part */
		cursor |= ~mask;
		cursor = rev_bits(cursor);
		cursor++;
		cursor = rev_bits(cursor);
	} while (cursor != 0 && visited < count);
	key_end(&kl);
	*n = got;
	return cursor;
}

/* ------------------------------------------------------------------------
 * BZPOPMIN, BZPOPMAX
 * ------------------------------------------------------------------------
 */

/* One pop from the first non-empty key; false when all are empty. */
static bool
bzpop_try(int nkeys, const SkBytes *keys, bool max, int *which, SkZItem *out, SkDb **dbp)
{
	int			i;

	for (i = 0; i < nkeys; i++)
	{
		KeyLock		kl;
		SkKey	   *k = key_begin_bytes(keys[i].p, keys[i].len, true, &kl);
		ZsNode	   *node;
		StringInfoData buf;

		*dbp = kl.c.db;
		key_check_type(&kl, k, SK_TYPE_ZSET);
		if (!k)
		{
			key_end(&kl);
			continue;
		}
		node = max ? zs_by_rank(&sk_zalloc, zset_handle(k), zset_set(k)->length - 1)
			: zs_by_rank(&sk_zalloc, zset_handle(k), 0);
		zitem_set(out, node);
		initStringInfo(&buf);
		sk_zentry_put(&buf, false, 0, out->member, out->mlen);
		key_log(&kl, SK_OP_ZREM, NULL, 0, buf.data, buf.len, 0);
		key_end(&kl);
		*which = i;
		return true;
	}
	return false;
}

bool
skz_bzpop(int nkeys, const SkBytes *keys, bool max, int64 wait_ms, int *which, SkZItem *out)
{
	SkDb	   *db = NULL;
	TimestampTz deadline;
	SkDb	   *volatile wdb = NULL;	/* whose zset_waiters we count in */
	volatile bool done = false;

	if (nkeys <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of arguments for '%s' command", max ? "bzpopmax" : "bzpopmin")));
	if (wait_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout is negative")));
	if (bzpop_try(nkeys, keys, max, which, out, &db))
		return true;
	if (wait_ms == 0)
		return false;
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	PG_TRY();
	{
		for (;;)
		{
			long		left;

			if (wdb == NULL)
			{
				wdb = db;
				pg_atomic_fetch_add_u32(&wdb->zset_waiters, 1);
				ConditionVariablePrepareToSleep(&wdb->zset_cv);
			}
			/* checked after PrepareToSleep: a writer's broadcast is not missed */
			if (bzpop_try(nkeys, keys, max, which, out, &db))
			{
				done = true;
				break;
			}
			left = (long) ((deadline - GetCurrentTimestamp()) / 1000);
			if (left <= 0)
				break;
			(void) ConditionVariableTimedSleep(&wdb->zset_cv, Min(left, 1000L), PG_WAIT_EXTENSION);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_FINALLY();
	{
		if (wdb != NULL)
		{
			ConditionVariableCancelSleep();
			pg_atomic_fetch_sub_u32(&wdb->zset_waiters, 1);
		}
	}
	PG_END_TRY();
	return done;
}
