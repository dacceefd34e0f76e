/*-------------------------------------------------------------------------
 *
 * zset_core.h
 *	  The sorted-set core: Redis's skiplist (at most 32 levels, p = 1/4,
 *	  a span on every forward link so that rank is O(log n)) plus a
 *	  member -> node dictionary (chained hash table), in memory reached
 *	  through handles.
 *
 * A pure core: no PostgreSQL headers.  Memory comes from the caller's
 * allocator (ZsAlloc): in the server, streamkv's DSA area (handles are
 * dsa_pointers); in the unit test (t/unit/zset_core_test.c), malloc.  The
 * structure is the same everywhere; the random level of a new node comes
 * from a per-set xorshift state, so a set's shape is a function of the
 * operations applied to it (no global state, no clock).
 *
 * Order: by score, then by member bytes (memcmp, shorter first on a common
 * prefix) -- never by collation.  Scores are doubles; NaN is the caller's
 * to refuse; -0 and 0 compare equal (C's == on doubles).
 *
 * Node pointers: a ZsNode * returned here is an addr() of its handle, so it
 * is valid as long as the allocator's addresses are (see ZsAlloc) and the
 * node is in the set: zs_delete of that member frees it, zs_destroy frees
 * all.  zs_add never moves or frees an existing node: a score change keeps
 * the same node (relinked at its new place when its order changes, which
 * only zs_add of that member does), and adding another member allocates one
 * new node and perhaps a larger dictionary.  zs_delete's member may point
 * into the node being deleted (e.g. ZsNodeMember of a zs_by_rank result).
 * zs_add copies its member after allocating, so it must not point into
 * memory the allocation may move (never the case with DSA).  Nodes carry no
 * pointer to their set: zs_rank's node must belong to the set passed.
 *
 * Out of memory: only zs_create and zs_add of a new member can fail (ZS_NULL,
 * ZS_OOM), and then nothing changed, the random state included.  An update
 * of an existing member's score never allocates.  (A member longer than
 * UINT32_MAX bytes is refused with ZS_OOM too.)  A dictionary that cannot
 * grow stays as it is (longer chains, still correct).
 *
 * Locking: none here.  The caller serialises access (in the server, the
 * key's shard lock: exclusive to change a set, shared to read it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_ZSET_CORE_H
#define STREAMKV_ZSET_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZS_MAXLEVEL		32		/* Redis's ZSKIPLIST_MAXLEVEL */
#define ZS_P_INV		4		/* p = 1/4, Redis's ZSKIPLIST_P */

typedef uint64_t zs_ptr;		/* a handle; 0 is no node */
#define ZS_NULL			((zs_ptr) 0)

/*
 * The caller's memory.  alloc returns ZS_NULL when memory ran out (the core
 * then leaves the set as it was and reports ZS_OOM); addr maps a handle to
 * an address valid until the next call that may allocate or free.
 */
typedef struct ZsAlloc
{
	void	   *ctx;
	zs_ptr		(*alloc) (void *ctx, size_t size);
	void		(*free) (void *ctx, zs_ptr p, size_t size);
	void	   *(*addr) (void *ctx, zs_ptr p);
} ZsAlloc;

typedef struct ZsLevel
{
	zs_ptr		forward;
	uint64_t	span;			/* nodes this link skips over, +1 */
} ZsLevel;

/* A member: skiplist node and dictionary entry in one allocation. */
typedef struct ZsNode
{
	zs_ptr		dict_next;		/* dictionary bucket chain */
	zs_ptr		backward;		/* previous node at level 0, ZS_NULL for the first */
	double		score;
	uint32_t	hash;			/* of the member */
	uint32_t	mlen;			/* member length */
	uint8_t		level;			/* number of levels[] */
	uint8_t		unused[7];
	ZsLevel		levels[];		/* then the member's bytes */
} ZsNode;

#define ZsNodeMember(n)		((const char *) &(n)->levels[(n)->level])
#define ZsNodeSize(level, mlen) \
	(offsetof(ZsNode, levels) + sizeof(ZsLevel) * (size_t) (level) + (size_t) (mlen))

/* The set: header of the skiplist and of the dictionary. */
typedef struct ZsSet
{
	zs_ptr		header;			/* ZS_MAXLEVEL levels, no member */
	zs_ptr		tail;			/* last node, ZS_NULL when empty */
	uint64_t	length;			/* members */
	uint64_t	bytes;			/* memory of the set, this struct included */
	zs_ptr		buckets;		/* dictionary: nbuckets zs_ptr heads */
	uint32_t	nbuckets;		/* power of two */
	int32_t		level;			/* highest level in use, >= 1 */
	uint64_t	rng;			/* xorshift64 state, never 0 */
} ZsSet;

/* A score interval: [min, max], either end exclusive. */
typedef struct ZsRange
{
	double		min;
	double		max;
	bool		minex;
	bool		maxex;
} ZsRange;

/*
 * A lex interval: '-' is min_inf, '+' is max_inf; otherwise the bytes,
 * inclusive ('[') unless ..ex ('(').  (Meaningful only when all members
 * have the same score, as in Redis; the core compares members only.)
 */
typedef struct ZsLexRange
{
	const char *min;
	size_t		minlen;
	const char *max;
	size_t		maxlen;
	bool		minex;
	bool		maxex;
	bool		min_inf;		/* '-' */
	bool		max_inf;		/* '+' */
	bool		min_plus;		/* min is '+': empty */
	bool		max_minus;		/* max is '-': empty */
} ZsLexRange;

typedef enum ZsResult
{
	ZS_OOM = -1,				/* memory ran out; nothing changed */
	ZS_NOP = 0,					/* member present with that score */
	ZS_ADDED = 1,				/* new member */
	ZS_UPDATED = 2				/* member present, score changed */
} ZsResult;

/* A new empty set (ZS_NULL when memory ran out); its ZsSet via addr. */
extern zs_ptr zs_create(const ZsAlloc *a, uint64_t seed);
/* Frees every node, the dictionary and the set. */
extern void zs_destroy(const ZsAlloc *a, zs_ptr set);

/* The member's node, or NULL. */
extern ZsNode *zs_find(const ZsAlloc *a, zs_ptr set, const char *member, size_t mlen);

/* member := score (added when absent).  *old gets the old score when present. */
extern ZsResult zs_add(const ZsAlloc *a, zs_ptr set, double score,
					   const char *member, size_t mlen, double *old);

/*
 * Sizes the member dictionary for this many members at once (one rehash
 * instead of one per doubling); a failed allocation keeps the old table.
 */
extern void zs_reserve(const ZsAlloc *a, zs_ptr set, uint64_t members);

/* Removes the member; false when absent. */
extern bool zs_delete(const ZsAlloc *a, zs_ptr set, const char *member, size_t mlen);

/* 0-based rank of a member of the set (by score ascending). */
extern uint64_t zs_rank(const ZsAlloc *a, zs_ptr set, const ZsNode *node);

/* The node of 0-based rank, or NULL when rank >= length.  O(log n). */
extern ZsNode *zs_by_rank(const ZsAlloc *a, zs_ptr set, uint64_t rank);

/* Neighbours at level 0 (NULL at the ends). */
extern ZsNode *zs_next(const ZsAlloc *a, const ZsNode *node);
extern ZsNode *zs_prev(const ZsAlloc *a, const ZsNode *node);

/* First / last node inside the interval, or NULL.  O(log n). */
extern ZsNode *zs_first_in_range(const ZsAlloc *a, zs_ptr set, const ZsRange *r);
extern ZsNode *zs_last_in_range(const ZsAlloc *a, zs_ptr set, const ZsRange *r);
extern ZsNode *zs_first_in_lex(const ZsAlloc *a, zs_ptr set, const ZsLexRange *r);
extern ZsNode *zs_last_in_lex(const ZsAlloc *a, zs_ptr set, const ZsLexRange *r);

/* Is the value inside the interval? */
extern bool zs_in_range(const ZsRange *r, double score);
extern bool zs_in_lex(const ZsLexRange *r, const char *member, size_t mlen);

/* Members inside the interval (ranks of first and last, O(log n)). */
extern uint64_t zs_count_range(const ZsAlloc *a, zs_ptr set, const ZsRange *r);
extern uint64_t zs_count_lex(const ZsAlloc *a, zs_ptr set, const ZsLexRange *r);

/* memcmp order of members, shorter first on a common prefix. */
extern int	zs_member_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Consistency check for tests: spans, order, backward links, dictionary. */
extern bool zs_check(const ZsAlloc *a, zs_ptr set, const char **why);

#endif							/* STREAMKV_ZSET_CORE_H */
