/*-------------------------------------------------------------------------
 *
 * ks_zsets.c
 *	  Sorted sets, the C API of the single-key commands: ZADD (NX XX GT LT
 *	  CH INCR), ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK,
 *	  ZCOUNT, ZLEXCOUNT, ZRANGE in all its forms, ZRANGESTORE,
 *	  ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN/ZPOPMAX, ZRANDMEMBER; the parsers
 *	  of Redis's score and lex bounds.
 *
 * Redis 7.0 semantics (../shared/reference/redis-semantics.md, "Sorted
 * sets").  Each writing command decides everything on the primary and logs
 * one operation with final scores (type_zset.c), whatever the number of
 * members it touches.
 *
 * Locking: the key's shard lock (KeyLock), or several shards in ascending
 * order (ZMulti) for ZRANGESTORE.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "common/pg_prng.h"

#include "zset_int.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------
 */
void
zitem_set(SkZItem *it, const ZsNode *n)
{
	it->mlen = n->mlen;
	it->member = palloc(n->mlen + 1);
	memcpy(it->member, ZsNodeMember(n), n->mlen);
	it->member[n->mlen] = '\0';
	it->score = n->score;
}

static void
zlog(KeyLock *kl, SkOpKind kind, StringInfo entries)
{
	key_log(kl, kind, NULL, 0, entries->data, entries->len, 0);
}

/* Memory a ZADD of these members may need: node, links, dictionary share. */
static Size
zadd_need(int n, const SkBytes *members)
{
	Size		need = 128;
	int			i;

	for (i = 0; i < n; i++)
		need += members[i].len + 96;
	return need;
}

void
skz_wake_waiters(SkDb *db)
{
	if (pg_atomic_read_u32(&db->zset_waiters) > 0)
		ConditionVariableBroadcast(&db->zset_cv);
}

/* ------------------------------------------------------------------------
 * Several keys at once
 * ------------------------------------------------------------------------
 */
void
zmulti_lock(ZMulti *m, bool write, int nkeys, const SkBytes *keys)
{
	int			i;

	memset(m->shards, 0, sizeof(m->shards));
	m->write = write;
	for (i = 0; i < nkeys; i++)
		m->shards[sk_shard_of(sk_hash(keys[i].p, keys[i].len))] = true;
	ctx_open(&m->c, write);
	/* the slot must be loaded before taking several shard locks */
	ctx_lock(&m->c, 0, LW_SHARED);
	LWLockRelease(&m->c.db->shards[0].lock);
	for (i = 0; i < SK_NSHARDS; i++)
		if (m->shards[i])
			LWLockAcquire(&m->c.db->shards[i].lock, write ? LW_EXCLUSIVE : LW_SHARED);
	if (m->c.db->slot.state != SK_SLOT_READY ||
		!sk_slot_is(&m->c.db->slot, SK_STORE_KEYSPACE, m->c.rnode))
	{
		unlock_shards_of(&m->c, m->shards);
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("streamkv keyspace was reloaded during a multi-key command"),
				 errhint("Retry the command.")));
	}
}

void
zmulti_unlock(ZMulti *m)
{
	unlock_shards_of(&m->c, m->shards);
	ctx_close(&m->c);
}

SkKey *
zmulti_get(ZMulti *m, SkBytes key)
{
	uint32		h = sk_hash(key.p, key.len);
	int			s = sk_shard_of(h);
	SkKey	   *k;

	if (m->write)
		k = write_lookup(&m->c, s, key.p, key.len, h);
	else
	{
		k = sk_lookup(&m->c.db->shards[s], key.p, key.len, h);
		if (!key_live(k, m->c.now))
			k = NULL;
	}
	if (k && k->type != SK_TYPE_ZSET)
	{
		zmulti_unlock(m);
		wrongtype();
	}
	return k;
}

void
zmulti_log(ZMulti *m, SkBytes key, SkOpKind kind, StringInfo entries)
{
	int			s = sk_shard_of(sk_hash(key.p, key.len));

	Assert(m->write && m->shards[s]);
	log_op(&m->c, s, make_op(kind, key.p, key.len, NULL, 0, entries->data, entries->len, 0));
}

/* ------------------------------------------------------------------------
 * ZADD, ZINCRBY
 * ------------------------------------------------------------------------
 */

/* What one call has done to its members so far (a member may repeat). */
typedef struct ZOverlay
{
	int			size;			/* power of two, > 2n */
	int		   *slot;			/* index into ent, -1 empty */
	struct ZOvEnt
	{
		SkBytes		m;
		uint32		h;
		bool		exists;
		bool		touched;
		double		score;
	}		   *ent;
	int			nent;
} ZOverlay;

static struct ZOvEnt *
overlay_get(ZOverlay *ov, SkBytes m, SkKey *k)
{
	uint32		h = hash_bytes((const unsigned char *) m.p, (int) m.len);
	int			i = h & (ov->size - 1);
	struct ZOvEnt *e;
	ZsNode	   *node;

	for (; ov->slot[i] >= 0; i = (i + 1) & (ov->size - 1))
	{
		e = &ov->ent[ov->slot[i]];
		if (e->h == h && e->m.len == m.len && memcmp(e->m.p, m.p, m.len) == 0)
			return e;
	}
	ov->slot[i] = ov->nent;
	e = &ov->ent[ov->nent++];
	e->m = m;
	e->h = h;
	e->touched = false;
	node = k ? zs_find(&sk_zalloc, zset_handle(k), m.p, m.len) : NULL;
	e->exists = (node != NULL);
	e->score = node ? node->score : 0;
	return e;
}

int64
skz_zadd(SkBytes key, int n, const double *scores, const SkBytes *members,
		 int flags, double *incr_out, bool *incr_null)
{
	KeyLock		kl;
	SkKey	   *k;
	ZOverlay	ov;
	StringInfoData buf;
	int64		added = 0,
				changed = 0;
	int			ntouched = 0;
	int			i;
	double		last = 0;
	bool		blocked = false;

	if ((flags & SKZ_NX) && (flags & SKZ_XX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("XX and NX options at the same time are not compatible")));
	if (((flags & SKZ_GT) && (flags & SKZ_NX)) || ((flags & SKZ_LT) && (flags & SKZ_NX)) ||
		((flags & SKZ_GT) && (flags & SKZ_LT)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("GT, LT, and/or NX options at the same time are not compatible")));
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of arguments for 'zadd' command")));
	if ((flags & SKZ_INCR) && n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("INCR option supports a single increment-element pair")));
	for (i = 0; i < n; i++)
		if (isnan(scores[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("value is not a valid float")));

	ov.size = 4;
	while (ov.size <= 2 * n)
		ov.size <<= 1;
	ov.slot = palloc_extended(sizeof(int) * ov.size, MCXT_ALLOC_HUGE);
	memset(ov.slot, -1, sizeof(int) * ov.size);
	ov.ent = palloc_extended(sizeof(struct ZOvEnt) * n, MCXT_ALLOC_HUGE);
	ov.nent = 0;

	k = key_begin_bytes(key.p, key.len, true, &kl);
	key_check_type(&kl, k, SK_TYPE_ZSET);
	for (i = 0; i < n; i++)
	{
		struct ZOvEnt *e = overlay_get(&ov, members[i], k);
		double		score = scores[i];

		blocked = false;
		if (e->exists)
		{
			if (flags & SKZ_NX)
			{
				blocked = true;
				continue;
			}
			if (flags & SKZ_INCR)
			{
				score = e->score + scores[i];
				if (isnan(score))
				{
					key_end(&kl);
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("resulting score is not a number (NaN)")));
				}
			}
			if (((flags & SKZ_GT) && score <= e->score) ||
				((flags & SKZ_LT) && score >= e->score))
			{
				blocked = true;
				continue;
			}
			last = score;
			if (score != e->score)
			{
				changed++;
				e->score = score;
				if (!e->touched)
					ntouched++;
				e->touched = true;
			}
		}
		else
		{
			if (flags & SKZ_XX)
			{
				blocked = true;
				continue;
			}
			added++;
			e->exists = true;
			e->score = score;
			last = score;
			if (!e->touched)
				ntouched++;
			e->touched = true;
		}
	}
	if (ntouched > 0)
	{
		initStringInfo(&buf);
		for (i = 0; i < ov.nent; i++)
			if (ov.ent[i].touched)
				sk_zentry_put(&buf, true, ov.ent[i].score, ov.ent[i].m.p, ov.ent[i].m.len);
		sk_mem_check(zadd_need(n, members));
		zlog(&kl, SK_OP_ZADD, &buf);
	}
	key_end(&kl);
	if (ntouched > 0)
		SK_NOTIFY(SK_NOTIFY_ZSET, (flags & SKZ_INCR) ? "zincr" : "zadd", key.p, key.len, MyDatabaseId);
	if (added > 0)
		skz_wake_waiters(kl.c.db);
	if (flags & SKZ_INCR)
	{
		*incr_out = last;
		*incr_null = blocked;
	}
	return (flags & SKZ_CH) ? added + changed : added;
}

/* ------------------------------------------------------------------------
 * ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK
 * ------------------------------------------------------------------------
 */
int64
skz_zrem(SkBytes key, int n, const SkBytes *members)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, true, &kl);
	StringInfoData buf;
	int64		removed = 0;
	int			i;

	key_check_type(&kl, k, SK_TYPE_ZSET);
	if (k)
	{
		bool	   *seen = palloc0(sizeof(bool) * Max(n, 1));

		initStringInfo(&buf);
		for (i = 0; i < n; i++)
		{
			int			j;
			bool		dup = false;

			if (!zs_find(&sk_zalloc, zset_handle(k), members[i].p, members[i].len))
				continue;
			/* a member named twice is removed once (small n: quadratic is fine) */
			for (j = 0; j < i && !dup; j++)
				dup = seen[j] && members[j].len == members[i].len &&
					memcmp(members[j].p, members[i].p, members[i].len) == 0;
			if (dup)
				continue;
			seen[i] = true;
			removed++;
			sk_zentry_put(&buf, false, 0, members[i].p, members[i].len);
		}
		if (removed > 0)
			zlog(&kl, SK_OP_ZREM, &buf);
	}
	key_end(&kl);
	return removed;
}

int64
skz_zcard(SkBytes key)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	int64		n;

	key_check_type(&kl, k, SK_TYPE_ZSET);
	n = k ? (int64) zset_set(k)->length : 0;
	key_end(&kl);
	return n;
}

bool
skz_zscore(SkBytes key, SkBytes member, double *score)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	ZsNode	   *node;

	key_check_type(&kl, k, SK_TYPE_ZSET);
	node = k ? zs_find(&sk_zalloc, zset_handle(k), member.p, member.len) : NULL;
	if (node)
		*score = node->score;
	key_end(&kl);
	return node != NULL;
}

void
skz_zmscore(SkBytes key, int n, const SkBytes *members, double *scores, bool *found)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	int			i;

	key_check_type(&kl, k, SK_TYPE_ZSET);
	for (i = 0; i < n; i++)
	{
		ZsNode	   *node = k ? zs_find(&sk_zalloc, zset_handle(k), members[i].p, members[i].len) : NULL;

		found[i] = (node != NULL);
		scores[i] = node ? node->score : 0;
	}
	key_end(&kl);
}

bool
skz_zrank(SkBytes key, SkBytes member, bool rev, int64 *rank)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	ZsNode	   *node;

	key_check_type(&kl, k, SK_TYPE_ZSET);
	node = k ? zs_find(&sk_zalloc, zset_handle(k), member.p, member.len) : NULL;
	if (node)
	{
		int64		r = (int64) zs_rank(&sk_zalloc, zset_handle(k), node);

		*rank = rev ? (int64) zset_set(k)->length - 1 - r : r;
	}
	key_end(&kl);
	return node != NULL;
}

/* ------------------------------------------------------------------------
 * Bounds
 * ------------------------------------------------------------------------
 */

/* Redis's zslParseRange for one bound: "(x" exclusive, else x; strtod. */
static bool
parse_score_bound(SkBytes b, double *v, bool *ex)
{
	char	   *s = pnstrdup(b.p, b.len);
	char	   *p = s;
	char	   *end;

	*ex = false;
	if (*p == '(')
	{
		*ex = true;
		p++;
	}
	/* as Redis: strtod of "" is 0, so '' is 0 and '(' exclusive 0 */
	if (strlen(s) != b.len)
		return false;
	errno = 0;
	*v = strtod(p, &end);
	if (*end != '\0' || isnan(*v))
		return false;
	return true;
}

void
skz_parse_score_range(SkZRangeSpec *spec, SkBytes min, SkBytes max)
{
	if (!parse_score_bound(min, &spec->score.min, &spec->score.minex) ||
		!parse_score_bound(max, &spec->score.max, &spec->score.maxex))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min or max is not a float")));
}

/* Redis's zslParseLexRangeItem: "-", "+", "[x", "(x". */
static bool
parse_lex_bound(SkBytes b, bool is_min, ZsLexRange *r)
{
	if (b.len == 0)
		return false;
	if (b.len == 1 && (b.p[0] == '-' || b.p[0] == '+'))
	{
		bool		plus = (b.p[0] == '+');

		if (is_min)
		{
			r->min_inf = !plus;
			r->min_plus = plus;
		}
		else
		{
			r->max_inf = plus;
			r->max_minus = !plus;
		}
		return true;
	}
	if (b.p[0] != '[' && b.p[0] != '(')
		return false;
	if (is_min)
	{
		r->min = b.p + 1;
		r->minlen = b.len - 1;
		r->minex = (b.p[0] == '(');
	}
	else
	{
		r->max = b.p + 1;
		r->maxlen = b.len - 1;
		r->maxex = (b.p[0] == '(');
	}
	return true;
}

void
skz_parse_lex_range(SkZRangeSpec *spec, SkBytes min, SkBytes max)
{
	memset(&spec->lex, 0, sizeof(spec->lex));
	if (!parse_lex_bound(min, true, &spec->lex) || !parse_lex_bound(max, false, &spec->lex))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min or max not valid string range item")));
}

/* ------------------------------------------------------------------------
 * Ranges
 * ------------------------------------------------------------------------
 */
int64
skz_zcount(SkBytes key, const SkZRangeSpec *spec)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	int64		n = 0;

	key_check_type(&kl, k, SK_TYPE_ZSET);
	if (k && spec->by == SKZ_BY_SCORE)
		n = (int64) zs_count_range(&sk_zalloc, zset_handle(k), &spec->score);
	else if (k && spec->by == SKZ_BY_LEX)
		n = (int64) zs_count_lex(&sk_zalloc, zset_handle(k), &spec->lex);
	key_end(&kl);
	return n;
}

static inline bool
node_in_spec(const SkZRangeSpec *spec, const ZsNode *node)
{
	if (spec->by == SKZ_BY_SCORE)
		return zs_in_range(&spec->score, node->score);
	return zs_in_lex(&spec->lex, ZsNodeMember(node), node->mlen);
}

/*
 * The members a range selects, in reply order (palloc'd items; *n of them).
 * Caller holds the key's shard lock; k is a live zset.
 */
SkZItem *
zcollect_range(SkKey *k, const SkZRangeSpec *spec, int64 *n)
{
	zs_ptr		set = zset_handle(k);
	int64		len = (int64) zset_set(k)->length;
	ZsNode	   *node = NULL;
	int64		want;
	SkZItem    *items;
	int64		got = 0;

	*n = 0;
	if (spec->by == SKZ_BY_RANK)
	{
		int64		start = spec->start,
					stop = spec->stop;

		if (start < 0)
			start = len + start;
		if (stop < 0)
			stop = len + stop;
		if (start < 0)
			start = 0;
		if (start > stop || start >= len)
			return NULL;
		if (stop >= len)
			stop = len - 1;
		want = stop - start + 1;
		node = zs_by_rank(&sk_zalloc, set, spec->rev ? (uint64) (len - 1 - start) : (uint64) start);
	}
	else
	{
		int64		r;

		if (spec->offset < 0 || spec->count == 0)
			return NULL;
		if (spec->by == SKZ_BY_SCORE)
			node = spec->rev ? zs_last_in_range(&sk_zalloc, set, &spec->score)
				: zs_first_in_range(&sk_zalloc, set, &spec->score);
		else
			node = spec->rev ? zs_last_in_lex(&sk_zalloc, set, &spec->lex)
				: zs_first_in_lex(&sk_zalloc, set, &spec->lex);
		if (node == NULL)
			return NULL;
		if (spec->offset > 0)
		{
			/* skip by rank: O(log n) whatever the offset */
			r = (int64) zs_rank(&sk_zalloc, set, node);
			r = spec->rev ? r - spec->offset : r + spec->offset;
			if (r < 0 || r >= len)
				return NULL;
			node = zs_by_rank(&sk_zalloc, set, (uint64) r);
			if (!node_in_spec(spec, node))
				return NULL;
		}
		want = spec->count < 0 ? len : Min(spec->count, len);
	}
	items = palloc_extended(sizeof(SkZItem) * Max(Min(want, len), 1), MCXT_ALLOC_HUGE);
	while (node != NULL && got < want)
	{
		if (spec->by != SKZ_BY_RANK && !node_in_spec(spec, node))
			break;
		zitem_set(&items[got++], node);
		node = spec->rev ? zs_prev(&sk_zalloc, node) : zs_next(&sk_zalloc, node);
	}
	*n = got;
	return items;
}

SkZItem *
skz_zrange(SkBytes key, const SkZRangeSpec *spec, int64 *n)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	SkZItem    *items = NULL;

	*n = 0;
	key_check_type(&kl, k, SK_TYPE_ZSET);
	if (k)
		items = zcollect_range(k, spec, n);
	key_end(&kl);
	return items;
}

/* The entries of a ZSTORE/ZADD of items. */
static void
items_to_entries(StringInfo buf, const SkZItem *items, int64 n, bool with_score)
{
	int64		i;

	initStringInfo(buf);
	for (i = 0; i < n; i++)
		sk_zentry_put(buf, with_score, items[i].score, items[i].member, items[i].mlen);
}

int64
skz_zrangestore(SkBytes dst, SkBytes src, const SkZRangeSpec *spec)
{
	ZMulti		m;
	SkBytes		keys[2];
	SkKey	   *k;
	SkZItem    *items = NULL;
	int64		n = 0;
	StringInfoData buf;

	keys[0] = dst;
	keys[1] = src;
	zmulti_lock(&m, true, 2, keys);
	k = zmulti_get(&m, src);
	if (k)
		items = zcollect_range(k, spec, &n);
	/* dst may be of any type: it is overwritten */
	items_to_entries(&buf, items, n, true);
	if (n > 0)
		sk_mem_check(buf.len + n * 96);
	zmulti_log(&m, dst, SK_OP_ZSTORE, &buf);
	zmulti_unlock(&m);
	if (n > 0)
		skz_wake_waiters(m.c.db);
	return n;
}

int64
skz_zremrange(SkBytes key, const SkZRangeSpec *spec)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, true, &kl);
	SkZItem    *items = NULL;
	int64		n = 0;
	StringInfoData buf;

	key_check_type(&kl, k, SK_TYPE_ZSET);
	if (k)
		items = zcollect_range(k, spec, &n);
	if (n > 0)
	{
		items_to_entries(&buf, items, n, false);
		zlog(&kl, SK_OP_ZREM, &buf);
	}
	key_end(&kl);
	return n;
}

/* ------------------------------------------------------------------------
 * ZPOPMIN, ZPOPMAX, ZRANDMEMBER
 * ------------------------------------------------------------------------
 */
SkZItem *
skz_zpop(SkBytes key, bool max, int64 count, int64 *n)
{
	KeyLock		kl;
	SkKey	   *k;
	SkZItem    *items = NULL;
	SkZRangeSpec spec;
	StringInfoData buf;

	*n = 0;
	if (count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value is out of range, must be positive")));
	k = key_begin_bytes(key.p, key.len, true, &kl);
	key_check_type(&kl, k, SK_TYPE_ZSET);
	if (k && count > 0)
	{
		memset(&spec, 0, sizeof(spec));
		spec.by = SKZ_BY_RANK;
		spec.rev = max;
		spec.start = 0;
		spec.stop = Min(count, (int64) zset_set(k)->length) - 1;
		items = zcollect_range(k, &spec, n);
		if (*n > 0)
		{
			items_to_entries(&buf, items, *n, false);
			zlog(&kl, SK_OP_ZREM, &buf);
		}
	}
	key_end(&kl);
	return items;
}

/* A set of ranks for ZRANDMEMBER's distinct draw (open addressing). */
typedef struct RankSet
{
	uint64		mask;
	uint64	   *slots;			/* rank + 1; 0 empty */
} RankSet;

static bool
rankset_add(RankSet *rs, uint64 r)
{
	uint64		i = (r * UINT64CONST(0x9E3779B97F4A7C15)) & rs->mask;

	for (; rs->slots[i] != 0; i = (i + 1) & rs->mask)
		if (rs->slots[i] == r + 1)
			return false;
	rs->slots[i] = r + 1;
	return true;
}

SkZItem *
skz_zrandmember(SkBytes key, int64 count, bool with_count, int64 *n)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	SkZItem    *items = NULL;
	zs_ptr		set;
	uint64		len;
	int64		i;

	*n = 0;
	key_check_type(&kl, k, SK_TYPE_ZSET);
	if (!k || (with_count && count == 0))
	{
		key_end(&kl);
		return NULL;
	}
	set = zset_handle(k);
	len = zset_set(k)->length;
	if (!with_count || count < 0)
	{
		/* one member, or -count members with repeats */
		int64		want = with_count ? -count : 1;

		/* Redis refuses counts beyond LONG_MAX / 2 either way; more than
		 * MaxAllocHugeSize items could not be returned anyway */
		if (with_count && (count < -(int64) (MaxAllocHugeSize / sizeof(SkZItem))))
		{
			key_end(&kl);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("value is out of range")));
		}
		items = palloc_extended(sizeof(SkZItem) * want, MCXT_ALLOC_HUGE);
		for (i = 0; i < want; i++)
		{
			CHECK_FOR_INTERRUPTS();
			zitem_set(&items[i], zs_by_rank(&sk_zalloc, set,
											pg_prng_uint64_range(&pg_global_prng_state, 0, len - 1)));
		}
		*n = want;
	}
	else if ((uint64) count >= len)
	{
		/* every member */
		SkZRangeSpec spec;

		memset(&spec, 0, sizeof(spec));
		spec.by = SKZ_BY_RANK;
		spec.start = 0;
		spec.stop = -1;
		items = zcollect_range(k, &spec, n);
	}
	else
	{
		/* count distinct ranks (Floyd's algorithm), then their members */
		uint64	   *ranks = palloc_extended(sizeof(uint64) * count, MCXT_ALLOC_HUGE);
		RankSet		rs;
		int64		got = 0;
		uint64		j,
					size = 4;

		while (size < (uint64) count * 2)
			size <<= 1;
		rs.mask = size - 1;
		rs.slots = palloc_extended(sizeof(uint64) * size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (j = len - (uint64) count; j < len; j++)
		{
			uint64		t = pg_prng_uint64_range(&pg_global_prng_state, 0, j);

			if (!rankset_add(&rs, t))
			{
				t = j;
				(void) rankset_add(&rs, t);
			}
			ranks[got++] = t;
		}
		/* a random order, as Redis's reply has */
		for (i = got - 1; i > 0; i--)
		{
			uint64		s = pg_prng_uint64_range(&pg_global_prng_state, 0, i);
			uint64		tmp = ranks[i];

			ranks[i] = ranks[s];
			ranks[s] = tmp;
		}
		items = palloc_extended(sizeof(SkZItem) * got, MCXT_ALLOC_HUGE);
		for (i = 0; i < got; i++)
			zitem_set(&items[i], zs_by_rank(&sk_zalloc, set, ranks[i]));
		*n = got;
	}
	key_end(&kl);
	return items;
}
