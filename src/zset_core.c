/*-------------------------------------------------------------------------
 *
 * zset_core.c
 *	  The sorted-set core: a skiplist with spans (the algorithm of Redis's
 *	  t_zset.c, written anew) and a chained member -> node hash table, in
 *	  memory reached through the caller's handles.  See zset_core.h.
 *
 * Addresses: the allocator's addr() result is valid only until the next
 * call that may allocate or free, so every function here either allocates
 * before it looks at any node, or frees only after its last look.
 *
 * Out of memory: the only allocations after zs_create are a new node (made
 * before anything is changed; the set's random state is put back when it
 * fails) and a larger dictionary (after the insert is complete; when it
 * fails the old, still correct, table stays).  An update never allocates:
 * a node that must move is unlinked and linked again at its new place.
 *
 * No PostgreSQL headers: this file is also compiled by the unit test.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "zset_core.h"

#define ZS_INITIAL_BUCKETS	8
#define ZS_MAX_BUCKETS		((uint32_t) 1 << 31)

#define ADDR(a, p)			((a)->addr((a)->ctx, (p)))
#define NODE(a, p)			((ZsNode *) ADDR(a, p))
#define SET(a, p)			((ZsSet *) ADDR(a, p))
#define BUCKETS(a, s)		((zs_ptr *) ADDR(a, (s)->buckets))

/* ---- small helpers ------------------------------------------------------ */

int
zs_member_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		n = alen < blen ? alen : blen;
	int			c = n > 0 ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c < 0 ? -1 : 1;
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

/* FNV-1a over the bytes, then murmur3's 32-bit finaliser for the low bits. */
static uint32_t
zs_hash(const char *m, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (uint8_t) m[i];
		h *= 16777619u;
	}
	h ^= (uint32_t) len;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* xorshift64 step; the state never becomes 0 from a non-zero state. */
static uint64_t
zs_rand(ZsSet *s)
{
	uint64_t	x = s->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);	/* xorshift64*: better high bits */
}

/* 1 + the number of successes in a row with probability 1/ZS_P_INV (= 1/4). */
static int
zs_random_level(ZsSet *s)
{
	uint64_t	r = zs_rand(s);
	int			level = 1;

	/* two bits per trial, from the top: 31 trials at most, so <= 32 */
	while (level < ZS_MAXLEVEL && (r >> 62) == 0)
	{
		level++;
		r <<= 2;
	}
	return level;
}

static inline size_t
zs_node_size(const ZsNode *n)
{
	return ZsNodeSize(n->level, n->mlen);
}

/* Is the node's key (score, member) less than (score, member)? */
static inline bool
zs_node_lt(const ZsNode *n, double score, const char *m, size_t mlen)
{
	if (n->score < score)
		return true;
	if (n->score == score)
		return zs_member_cmp(ZsNodeMember(n), n->mlen, m, mlen) < 0;
	return false;
}

/* Key of node n compared with (score, member): <0, 0, >0. */
static inline int
zs_node_cmp(const ZsNode *n, double score, const char *m, size_t mlen)
{
	if (n->score < score)
		return -1;
	if (n->score > score)
		return 1;
	return zs_member_cmp(ZsNodeMember(n), n->mlen, m, mlen);
}

/* ---- ranges ------------------------------------------------------------- */

static inline bool
zs_gte_min(const ZsRange *r, double v)
{
	return r->minex ? v > r->min : v >= r->min;
}

static inline bool
zs_lte_max(const ZsRange *r, double v)
{
	return r->maxex ? v < r->max : v <= r->max;
}

bool
zs_in_range(const ZsRange *r, double score)
{
	return zs_gte_min(r, score) && zs_lte_max(r, score);
}

/* Can the interval hold anything at all? */
static bool
zs_range_empty(const ZsRange *r)
{
	return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

static inline bool
zs_lex_gte_min(const ZsLexRange *r, const char *m, size_t mlen)
{
	int			c;

	if (r->min_plus)
		return false;			/* nothing is >= '+' */
	if (r->min_inf)
		return true;
	c = zs_member_cmp(m, mlen, r->min, r->minlen);
	return r->minex ? c > 0 : c >= 0;
}

static inline bool
zs_lex_lte_max(const ZsLexRange *r, const char *m, size_t mlen)
{
	int			c;

	if (r->max_minus)
		return false;			/* nothing is <= '-' */
	if (r->max_inf)
		return true;
	c = zs_member_cmp(m, mlen, r->max, r->maxlen);
	return r->maxex ? c < 0 : c <= 0;
}

bool
zs_in_lex(const ZsLexRange *r, const char *member, size_t mlen)
{
	return zs_lex_gte_min(r, member, mlen) && zs_lex_lte_max(r, member, mlen);
}

static bool
zs_lex_empty(const ZsLexRange *r)
{
	int			c;

	if (r->min_plus || r->max_minus)
		return true;
	if (r->min_inf || r->max_inf)
		return false;
	c = zs_member_cmp(r->min, r->minlen, r->max, r->maxlen);
	return c > 0 || (c == 0 && (r->minex || r->maxex));
}

/* ---- creation and destruction ------------------------------------------- */

zs_ptr
zs_create(const ZsAlloc *a, uint64_t seed)
{
	zs_ptr		sp,
				hp,
				bp;
	size_t		hsize = ZsNodeSize(ZS_MAXLEVEL, 0);
	size_t		bsize = sizeof(zs_ptr) * ZS_INITIAL_BUCKETS;
	ZsSet	   *s;
	ZsNode	   *h;
	uint64_t	z;
	int			i;

	sp = a->alloc(a->ctx, sizeof(ZsSet));
	if (sp == ZS_NULL)
		return ZS_NULL;
	hp = a->alloc(a->ctx, hsize);
	if (hp == ZS_NULL)
	{
		a->free(a->ctx, sp, sizeof(ZsSet));
		return ZS_NULL;
	}
	bp = a->alloc(a->ctx, bsize);
	if (bp == ZS_NULL)
	{
		a->free(a->ctx, hp, hsize);
		a->free(a->ctx, sp, sizeof(ZsSet));
		return ZS_NULL;
	}

	/* all allocations done: addresses are stable from here on */
	h = NODE(a, hp);
	memset(h, 0, hsize);
	h->level = ZS_MAXLEVEL;
	for (i = 0; i < ZS_MAXLEVEL; i++)
	{
		h->levels[i].forward = ZS_NULL;
		h->levels[i].span = 0;
	}
	memset(ADDR(a, bp), 0, bsize);

	s = SET(a, sp);
	memset(s, 0, sizeof(ZsSet));
	s->header = hp;
	s->tail = ZS_NULL;
	s->length = 0;
	s->bytes = sizeof(ZsSet) + hsize + bsize;
	s->buckets = bp;
	s->nbuckets = ZS_INITIAL_BUCKETS;
	s->level = 1;

	/* splitmix64 of the seed, so that nearby seeds give unrelated states */
	z = seed + UINT64_C(0x9E3779B97F4A7C15);
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	z ^= z >> 31;
	s->rng = z != 0 ? z : UINT64_C(0x9E3779B97F4A7C15);
	return sp;
}

void
zs_destroy(const ZsAlloc *a, zs_ptr set)
{
	ZsSet	   *s;
	zs_ptr		p,
				hp,
				bp;
	uint32_t	nb;

	if (set == ZS_NULL)
		return;
	s = SET(a, set);
	hp = s->header;
	bp = s->buckets;
	nb = s->nbuckets;
	p = NODE(a, hp)->levels[0].forward;
	while (p != ZS_NULL)
	{
		ZsNode	   *n = NODE(a, p);
		zs_ptr		next = n->levels[0].forward;
		size_t		size = zs_node_size(n);

		a->free(a->ctx, p, size);
		p = next;
	}
	a->free(a->ctx, hp, ZsNodeSize(ZS_MAXLEVEL, 0));
	a->free(a->ctx, bp, sizeof(zs_ptr) * (size_t) nb);
	a->free(a->ctx, set, sizeof(ZsSet));
}

/* ---- dictionary --------------------------------------------------------- */

/* The member's node handle, or ZS_NULL.  *prevp: the chain predecessor. */
static zs_ptr
zs_dict_lookup(const ZsAlloc *a, ZsSet *s, const char *member, size_t mlen,
			   uint32_t hash, zs_ptr *prevp)
{
	zs_ptr	   *b = BUCKETS(a, s);
	zs_ptr		p = b[hash & (s->nbuckets - 1)];
	zs_ptr		prev = ZS_NULL;

	while (p != ZS_NULL)
	{
		ZsNode	   *n = NODE(a, p);

		if (n->hash == hash && n->mlen == mlen &&
			(mlen == 0 || memcmp(ZsNodeMember(n), member, mlen) == 0))
		{
			if (prevp)
				*prevp = prev;
			return p;
		}
		prev = p;
		p = n->dict_next;
	}
	return ZS_NULL;
}

/*
 * Grows the table to newn buckets (a power of two larger than the current
 * size) in one rehash; keeps the old one when memory ran out.
 */
static void
zs_dict_resize(const ZsAlloc *a, zs_ptr set, uint32_t newn)
{
	ZsSet	   *s = SET(a, set);
	uint32_t	oldn = s->nbuckets,
				i;
	size_t		newsize;
	zs_ptr		newb,
				oldb;
	zs_ptr	   *ob,
			   *nb;

	newsize = sizeof(zs_ptr) * (size_t) newn;
	newb = a->alloc(a->ctx, newsize);
	if (newb == ZS_NULL)
		return;

	/* addresses again: the allocation may have moved them */
	s = SET(a, set);
	oldb = s->buckets;
	ob = (zs_ptr *) ADDR(a, oldb);
	nb = (zs_ptr *) ADDR(a, newb);
	memset(nb, 0, newsize);
	for (i = 0; i < oldn; i++)
	{
		zs_ptr		p = ob[i];

		while (p != ZS_NULL)
		{
			ZsNode	   *n = NODE(a, p);
			zs_ptr		next = n->dict_next;
			uint32_t	j = n->hash & (newn - 1);

			n->dict_next = nb[j];
			nb[j] = p;
			p = next;
		}
	}
	s->buckets = newb;
	s->nbuckets = newn;
	s->bytes = s->bytes - sizeof(zs_ptr) * (size_t) oldn + newsize;
	a->free(a->ctx, oldb, sizeof(zs_ptr) * (size_t) oldn);
}

/* Doubles the table (at most ZS_MAX_BUCKETS buckets). */
static void
zs_dict_grow(const ZsAlloc *a, zs_ptr set)
{
	uint32_t	oldn = SET(a, set)->nbuckets;

	if (oldn < ZS_MAX_BUCKETS)
		zs_dict_resize(a, set, oldn * 2);
}

void
zs_reserve(const ZsAlloc *a, zs_ptr set, uint64_t members)
{
	uint32_t	n = SET(a, set)->nbuckets;
	uint32_t	want = n;

	while (want < members && want < ZS_MAX_BUCKETS)
		want *= 2;
	if (want > n)
		zs_dict_resize(a, set, want);
}

ZsNode *
zs_find(const ZsAlloc *a, zs_ptr set, const char *member, size_t mlen)
{
	ZsSet	   *s = SET(a, set);
	zs_ptr		p = zs_dict_lookup(a, s, member, mlen, zs_hash(member, mlen), NULL);

	return p == ZS_NULL ? NULL : NODE(a, p);
}

/* ---- skiplist ----------------------------------------------------------- */

/*
 * A search path: for each level i below s->level, the last node whose key
 * is below the key searched (node[i], handle[i]) and its 1-based rank
 * (rank[i], 0 for the header).  Redis's update[] and rank[].
 */
typedef struct ZsPath
{
	ZsNode	   *node[ZS_MAXLEVEL];
	zs_ptr		handle[ZS_MAXLEVEL];
	uint64_t	rank[ZS_MAXLEVEL];
} ZsPath;

static void
zs_sl_path(const ZsAlloc *a, ZsSet *s, double score, const char *m, size_t mlen,
		   ZsPath *path)
{
	zs_ptr		xp = s->header;
	ZsNode	   *x = NODE(a, xp);
	uint64_t	rank = 0;
	int			i;

	for (i = s->level - 1; i >= 0; i--)
	{
		while (x->levels[i].forward != ZS_NULL)
		{
			zs_ptr		fp = x->levels[i].forward;
			ZsNode	   *f = NODE(a, fp);

			if (!zs_node_lt(f, score, m, mlen))
				break;
			rank += x->levels[i].span;
			xp = fp;
			x = f;
		}
		path->node[i] = x;
		path->handle[i] = xp;
		path->rank[i] = rank;
	}
}

/*
 * Links node x (handle xp; its level and key set, not yet in the list) at
 * the place found by zs_sl_path for its key.  May raise s->level.
 */
static void
zs_sl_link(const ZsAlloc *a, ZsSet *s, ZsPath *path, zs_ptr xp, ZsNode *x)
{
	int			level = x->level;
	int			i;

	if (level > s->level)
	{
		ZsNode	   *h = NODE(a, s->header);

		for (i = s->level; i < level; i++)
		{
			path->node[i] = h;
			path->handle[i] = s->header;
			path->rank[i] = 0;
			h->levels[i].forward = ZS_NULL;
			h->levels[i].span = s->length;
		}
		s->level = level;
	}
	for (i = 0; i < level; i++)
	{
		ZsNode	   *u = path->node[i];
		uint64_t	before = path->rank[0] - path->rank[i];	/* u .. x's predecessor */

		x->levels[i].forward = u->levels[i].forward;
		x->levels[i].span = u->levels[i].span - before;
		u->levels[i].forward = xp;
		u->levels[i].span = before + 1;
	}
	/* the higher links that pass over x now pass over one more node */
	for (i = level; i < s->level; i++)
		path->node[i]->levels[i].span++;

	x->backward = (path->handle[0] == s->header) ? ZS_NULL : path->handle[0];
	if (x->levels[0].forward != ZS_NULL)
		NODE(a, x->levels[0].forward)->backward = xp;
	else
		s->tail = xp;
	s->length++;
}

/* Unlinks node x (handle xp), path found by zs_sl_path for its key. */
static void
zs_sl_unlink(const ZsAlloc *a, ZsSet *s, ZsPath *path, zs_ptr xp, ZsNode *x)
{
	int			i;
	ZsNode	   *h;

	for (i = 0; i < s->level; i++)
	{
		ZsNode	   *u = path->node[i];

		if (u->levels[i].forward == xp)
		{
			u->levels[i].span += x->levels[i].span - 1;
			u->levels[i].forward = x->levels[i].forward;
		}
		else
			u->levels[i].span--;
	}
	if (x->levels[0].forward != ZS_NULL)
		NODE(a, x->levels[0].forward)->backward = x->backward;
	else
		s->tail = x->backward;
	h = NODE(a, s->header);
	while (s->level > 1 && h->levels[s->level - 1].forward == ZS_NULL)
		s->level--;
	s->length--;
}

ZsResult
zs_add(const ZsAlloc *a, zs_ptr set, double score,
	   const char *member, size_t mlen, double *old)
{
	ZsSet	   *s = SET(a, set);
	uint32_t	hash = zs_hash(member, mlen);
	zs_ptr		np = zs_dict_lookup(a, s, member, mlen, hash, NULL);
	ZsNode	   *n;
	ZsPath		path;
	uint64_t	saved_rng;
	int			level;
	size_t		size;
	zs_ptr	   *b;
	uint32_t	bi;

	if (np != ZS_NULL)
	{
		zs_ptr		prev,
					next;

		n = NODE(a, np);
		if (old)
			*old = n->score;
		if (n->score == score)
			return ZS_NOP;

		/* still between its neighbours?  then only the score changes */
		prev = n->backward;
		next = n->levels[0].forward;
		if ((prev == ZS_NULL ||
			 zs_node_cmp(NODE(a, prev), score, ZsNodeMember(n), n->mlen) < 0) &&
			(next == ZS_NULL ||
			 zs_node_cmp(NODE(a, next), score, ZsNodeMember(n), n->mlen) > 0))
		{
			n->score = score;
			return ZS_UPDATED;
		}

		/* else unlink it and link it again at its new place: no allocation */
		zs_sl_path(a, s, n->score, ZsNodeMember(n), n->mlen, &path);
		zs_sl_unlink(a, s, &path, np, n);
		n->score = score;
		zs_sl_path(a, s, score, ZsNodeMember(n), n->mlen, &path);
		zs_sl_link(a, s, &path, np, n);
		return ZS_UPDATED;
	}

	if (mlen > UINT32_MAX)
		return ZS_OOM;

	/* a new node, allocated before anything changes */
	saved_rng = s->rng;
	level = zs_random_level(s);
	size = ZsNodeSize(level, mlen);
	np = a->alloc(a->ctx, size);
	s = SET(a, set);
	if (np == ZS_NULL)
	{
		s->rng = saved_rng;
		return ZS_OOM;
	}
	n = NODE(a, np);
	memset(n, 0, ZsNodeSize(level, 0));
	n->score = score;
	n->hash = hash;
	n->mlen = (uint32_t) mlen;
	n->level = (uint8_t) level;
	if (mlen > 0)
		memcpy((char *) ZsNodeMember(n), member, mlen);

	zs_sl_path(a, s, score, ZsNodeMember(n), mlen, &path);
	zs_sl_link(a, s, &path, np, n);

	b = BUCKETS(a, s);
	bi = hash & (s->nbuckets - 1);
	n->dict_next = b[bi];
	b[bi] = np;
	s->bytes += size;

	if (s->length > s->nbuckets)
		zs_dict_grow(a, set);
	return ZS_ADDED;
}

bool
zs_delete(const ZsAlloc *a, zs_ptr set, const char *member, size_t mlen)
{
	ZsSet	   *s = SET(a, set);
	uint32_t	hash = zs_hash(member, mlen);
	zs_ptr		prev = ZS_NULL;
	zs_ptr		np = zs_dict_lookup(a, s, member, mlen, hash, &prev);
	ZsNode	   *n;
	ZsPath		path;
	size_t		size;

	if (np == ZS_NULL)
		return false;
	n = NODE(a, np);
	/* the node's own copy of the member: 'member' may point into it */
	zs_sl_path(a, s, n->score, ZsNodeMember(n), n->mlen, &path);
	zs_sl_unlink(a, s, &path, np, n);
	if (prev != ZS_NULL)
		NODE(a, prev)->dict_next = n->dict_next;
	else
		BUCKETS(a, s)[hash & (s->nbuckets - 1)] = n->dict_next;
	size = zs_node_size(n);
	s->bytes -= size;
	a->free(a->ctx, np, size);
	return true;
}

uint64_t
zs_rank(const ZsAlloc *a, zs_ptr set, const ZsNode *node)
{
	ZsSet	   *s = SET(a, set);
	ZsNode	   *x = NODE(a, s->header);
	const char *m = ZsNodeMember(node);
	uint64_t	rank = 0;
	int			i;

	for (i = s->level - 1; i >= 0; i--)
	{
		while (x->levels[i].forward != ZS_NULL)
		{
			ZsNode	   *f = NODE(a, x->levels[i].forward);

			if (zs_node_cmp(f, node->score, m, node->mlen) > 0)
				break;
			rank += x->levels[i].span;
			x = f;
		}
		if (x == node)
			break;
	}
	return rank - 1;
}

ZsNode *
zs_by_rank(const ZsAlloc *a, zs_ptr set, uint64_t rank)
{
	ZsSet	   *s = SET(a, set);
	ZsNode	   *x;
	uint64_t	target,
				traversed = 0;
	int			i;

	if (rank >= s->length)
		return NULL;
	target = rank + 1;
	x = NODE(a, s->header);
	for (i = s->level - 1; i >= 0; i--)
	{
		while (x->levels[i].forward != ZS_NULL &&
			   traversed + x->levels[i].span <= target)
		{
			traversed += x->levels[i].span;
			x = NODE(a, x->levels[i].forward);
		}
		if (traversed == target)
			return x;
	}
	return NULL;
}

ZsNode *
zs_next(const ZsAlloc *a, const ZsNode *node)
{
	return node->levels[0].forward == ZS_NULL ? NULL : NODE(a, node->levels[0].forward);
}

ZsNode *
zs_prev(const ZsAlloc *a, const ZsNode *node)
{
	return node->backward == ZS_NULL ? NULL : NODE(a, node->backward);
}

/* ---- first / last in an interval ----------------------------------------- */

/*
 * Generic over the interval: below(n) is "n lies before the interval" and
 * above(n) "n lies after it"; the nodes inside are contiguous.
 */
typedef bool (*zs_side) (const void *r, const ZsNode *n);

static bool
zs_score_below(const void *r, const ZsNode *n)
{
	return !zs_gte_min((const ZsRange *) r, n->score);
}

static bool
zs_score_above(const void *r, const ZsNode *n)
{
	return !zs_lte_max((const ZsRange *) r, n->score);
}

static bool
zs_lex_below(const void *r, const ZsNode *n)
{
	return !zs_lex_gte_min((const ZsLexRange *) r, ZsNodeMember(n), n->mlen);
}

static bool
zs_lex_above(const void *r, const ZsNode *n)
{
	return !zs_lex_lte_max((const ZsLexRange *) r, ZsNodeMember(n), n->mlen);
}

/* The first node inside, or NULL; *rank gets its 1-based rank. */
static ZsNode *
zs_first_in(const ZsAlloc *a, ZsSet *s, const void *r,
			zs_side below, zs_side above, uint64_t *rank)
{
	ZsNode	   *x = NODE(a, s->header);
	uint64_t	traversed = 0;
	int			i;

	if (s->length == 0)
		return NULL;
	/* the interval misses the set entirely?  (Redis's zslIsInRange) */
	if (below(r, NODE(a, s->tail)) || above(r, NODE(a, x->levels[0].forward)))
		return NULL;
	for (i = s->level - 1; i >= 0; i--)
	{
		while (x->levels[i].forward != ZS_NULL &&
			   below(r, NODE(a, x->levels[i].forward)))
		{
			traversed += x->levels[i].span;
			x = NODE(a, x->levels[i].forward);
		}
	}
	/* not NULL: the tail is not below */
	x = NODE(a, x->levels[0].forward);
	if (above(r, x))
		return NULL;
	*rank = traversed + 1;
	return x;
}

/* The last node inside, or NULL; *rank gets its 1-based rank. */
static ZsNode *
zs_last_in(const ZsAlloc *a, ZsSet *s, const void *r,
		   zs_side below, zs_side above, uint64_t *rank)
{
	ZsNode	   *x = NODE(a, s->header);
	uint64_t	traversed = 0;
	int			i;

	if (s->length == 0)
		return NULL;
	if (below(r, NODE(a, s->tail)) || above(r, NODE(a, x->levels[0].forward)))
		return NULL;
	for (i = s->level - 1; i >= 0; i--)
	{
		while (x->levels[i].forward != ZS_NULL &&
			   !above(r, NODE(a, x->levels[i].forward)))
		{
			traversed += x->levels[i].span;
			x = NODE(a, x->levels[i].forward);
		}
	}
	/* not the header: the first node is not above */
	if (below(r, x))
		return NULL;
	*rank = traversed;
	return x;
}

ZsNode *
zs_first_in_range(const ZsAlloc *a, zs_ptr set, const ZsRange *r)
{
	uint64_t	rank;

	if (zs_range_empty(r))
		return NULL;
	return zs_first_in(a, SET(a, set), r, zs_score_below, zs_score_above, &rank);
}

ZsNode *
zs_last_in_range(const ZsAlloc *a, zs_ptr set, const ZsRange *r)
{
	uint64_t	rank;

	if (zs_range_empty(r))
		return NULL;
	return zs_last_in(a, SET(a, set), r, zs_score_below, zs_score_above, &rank);
}

ZsNode *
zs_first_in_lex(const ZsAlloc *a, zs_ptr set, const ZsLexRange *r)
{
	uint64_t	rank;

	if (zs_lex_empty(r))
		return NULL;
	return zs_first_in(a, SET(a, set), r, zs_lex_below, zs_lex_above, &rank);
}

ZsNode *
zs_last_in_lex(const ZsAlloc *a, zs_ptr set, const ZsLexRange *r)
{
	uint64_t	rank;

	if (zs_lex_empty(r))
		return NULL;
	return zs_last_in(a, SET(a, set), r, zs_lex_below, zs_lex_above, &rank);
}

static uint64_t
zs_count_in(const ZsAlloc *a, ZsSet *s, const void *r, zs_side below, zs_side above)
{
	uint64_t	first,
				last;

	if (zs_first_in(a, s, r, below, above, &first) == NULL)
		return 0;
	if (zs_last_in(a, s, r, below, above, &last) == NULL)
		return 0;				/* cannot happen: the first one is inside */
	return last - first + 1;
}

uint64_t
zs_count_range(const ZsAlloc *a, zs_ptr set, const ZsRange *r)
{
	if (zs_range_empty(r))
		return 0;
	return zs_count_in(a, SET(a, set), r, zs_score_below, zs_score_above);
}

uint64_t
zs_count_lex(const ZsAlloc *a, zs_ptr set, const ZsLexRange *r)
{
	if (zs_lex_empty(r))
		return 0;
	return zs_count_in(a, SET(a, set), r, zs_lex_below, zs_lex_above);
}

/* ---- consistency check ---------------------------------------------------- */

#define ZS_FAIL(msg)	do { if (why) *why = (msg); return false; } while (0)

bool
zs_check(const ZsAlloc *a, zs_ptr set, const char **why)
{
	ZsSet	   *s;
	ZsNode	   *h,
			   *x,
			   *prev;
	zs_ptr		xp,
				prevp;
	uint64_t	n,
				bytes,
				perlevel[ZS_MAXLEVEL];
	zs_ptr	   *b;
	uint32_t	i;
	int			l;

	if (why)
		*why = "ok";
	if (set == ZS_NULL)
		ZS_FAIL("no set");
	s = SET(a, set);
	if (s->level < 1 || s->level > ZS_MAXLEVEL)
		ZS_FAIL("set level out of range");
	if (s->rng == 0)
		ZS_FAIL("random state is 0");
	if (s->nbuckets < ZS_INITIAL_BUCKETS || (s->nbuckets & (s->nbuckets - 1)) != 0)
		ZS_FAIL("bucket count not a power of two >= 8");
	if (s->header == ZS_NULL || s->buckets == ZS_NULL)
		ZS_FAIL("no header or no buckets");
	h = NODE(a, s->header);
	if (h->level != ZS_MAXLEVEL || h->mlen != 0 || h->backward != ZS_NULL)
		ZS_FAIL("header node malformed");
	for (l = s->level; l < ZS_MAXLEVEL; l++)
		if (h->levels[l].forward != ZS_NULL)
			ZS_FAIL("header link above the set's level");
	if (s->level > 1 && h->levels[s->level - 1].forward == ZS_NULL)
		ZS_FAIL("set level higher than its highest link");

	/* level 0: order, backward links, levels, tail, length, bytes */
	memset(perlevel, 0, sizeof(perlevel));
	bytes = sizeof(ZsSet) + ZsNodeSize(ZS_MAXLEVEL, 0) + sizeof(zs_ptr) * (uint64_t) s->nbuckets;
	n = 0;
	prev = NULL;
	prevp = ZS_NULL;
	for (xp = h->levels[0].forward; xp != ZS_NULL; xp = x->levels[0].forward)
	{
		x = NODE(a, xp);
		if (++n > s->length)
			ZS_FAIL("level 0 has more nodes than the length");
		if (x->level < 1 || x->level > s->level)
			ZS_FAIL("node level out of range");
		if (x->backward != prevp)
			ZS_FAIL("backward link wrong");
		if (x->score != x->score)
			ZS_FAIL("NaN score");
		if (prev && zs_node_cmp(prev, x->score, ZsNodeMember(x), x->mlen) >= 0)
			ZS_FAIL("level 0 out of order (or duplicate member)");
		for (l = 0; l < x->level; l++)
			perlevel[l]++;
		bytes += zs_node_size(x);
		prev = x;
		prevp = xp;
	}
	if (n != s->length)
		ZS_FAIL("level 0 has fewer nodes than the length");
	if (s->tail != prevp)
		ZS_FAIL("tail is not the last node");
	if (bytes != s->bytes)
		ZS_FAIL("bytes do not match the allocations");

	/*
	 * Every level: its nodes in level-0 order, each span the number of
	 * level-0 steps it covers (a link to the end: the nodes after its
	 * start), every node of that height on it.
	 */
	for (l = 0; l < s->level; l++)
	{
		zs_ptr		c0p = s->header;	/* level-0 cursor */
		uint64_t	rank = 0,
					onlevel = 0;

		x = h;
		for (;;)
		{
			zs_ptr		fp = x->levels[l].forward;
			uint64_t	steps = 0;

			if (fp == ZS_NULL)
			{
				if (x->levels[l].span != s->length - rank)
					ZS_FAIL("span of a last link wrong");
				break;
			}
			while (c0p != fp)
			{
				c0p = NODE(a, c0p)->levels[0].forward;
				steps++;
				if (c0p == ZS_NULL)
					ZS_FAIL("link to a node not after it on level 0");
			}
			if (x->levels[l].span != steps)
				ZS_FAIL("span wrong");
			x = NODE(a, fp);
			if (x->level <= l)
				ZS_FAIL("link at a level the node does not have");
			rank += steps;
			onlevel++;
		}
		if (onlevel != perlevel[l])
			ZS_FAIL("a node missing from one of its levels");
	}

	/* dictionary: every chain in its bucket, every node found, count */
	b = BUCKETS(a, s);
	n = 0;
	for (i = 0; i < s->nbuckets; i++)
	{
		for (xp = b[i]; xp != ZS_NULL; xp = x->dict_next)
		{
			x = NODE(a, xp);
			if (++n > s->length)
				ZS_FAIL("dictionary has more entries than the length");
			if (x->hash != zs_hash(ZsNodeMember(x), x->mlen))
				ZS_FAIL("stored hash wrong");
			if ((x->hash & (s->nbuckets - 1)) != i)
				ZS_FAIL("dictionary entry in the wrong bucket");
		}
	}
	if (n != s->length)
		ZS_FAIL("dictionary has fewer entries than the length");
	for (xp = h->levels[0].forward; xp != ZS_NULL; xp = x->levels[0].forward)
	{
		x = NODE(a, xp);
		if (zs_dict_lookup(a, s, ZsNodeMember(x), x->mlen, x->hash, NULL) != xp)
			ZS_FAIL("node not found in the dictionary");
	}
	return true;
}
