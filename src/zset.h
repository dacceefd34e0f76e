/*-------------------------------------------------------------------------
 *
 * zset.h
 *	  Sorted sets: the operation format (type_zset.c) and the C API of the
 *	  ZSET commands (ks_zsets.c, ks_zsetops.c), under the SQL functions
 *	  (zset_sql.c) and, later, the Redis-protocol listener.
 *
 * The C API takes keys and members as bytes (SkBytes) and plain C values,
 * returns C structs in palloc'd memory, and raises errors with ereport
 * (SQLSTATEs as the README lists them).  Every command opens the keyspace
 * itself; a write refuses on a standby (25006).
 *
 * Locking: a single-key command holds its key's shard lock (exclusive to
 * write, shared to read) for its duration; a multi-key command takes the
 * shards of all its keys in ascending order, as mset does.  Blocking pops
 * sleep on the database's zset_cv (SkDb) holding no lock; writers that add
 * members broadcast it when someone waits (SkDb.zset_waiters).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_ZSET_H
#define STREAMKV_ZSET_H

#include "lib/stringinfo.h"

#include "kvmem.h"
#include "zset_core.h"

/* The DSA area as the core's allocator (type_zset.c). */
extern const ZsAlloc sk_zalloc;

/* Entries of a ZADD/ZREM/ZSTORE operation's value (type_zset.c). */
typedef struct SkZEntries
{
	const char *p;
	const char *end;
	bool		with_score;		/* ZADD, ZSTORE */
} SkZEntries;

extern void sk_zentry_put(StringInfo buf, bool with_score, double score,
						  const char *m, uint32 mlen);
extern void sk_zentries_init(SkZEntries *it, const SkOpHeader *op);
extern bool sk_zentry_next(SkZEntries *it, double *score, const char **m, uint32 *mlen);
extern void sk_zset_drop_key(SkShard *sh, const char *key, Size klen, uint32 hash);

/* ------------------------------------------------------------------------
 * The C API
 * ------------------------------------------------------------------------
 */
typedef struct SkBytes
{
	const char *p;
	Size		len;
} SkBytes;

/* A member and its score in a reply (member palloc'd, NUL-terminated). */
typedef struct SkZItem
{
	char	   *member;
	uint32		mlen;
	double		score;
} SkZItem;

/* ZADD flags */
#define SKZ_NX		0x01
#define SKZ_XX		0x02
#define SKZ_GT		0x04
#define SKZ_LT		0x08
#define SKZ_CH		0x10
#define SKZ_INCR	0x20

/*
 * ZADD: returns members added (with CH: added or changed).  With SKZ_INCR
 * (one pair), *incr_out is the new score, *incr_null when a flag blocked it.
 */
extern int64 skz_zadd(SkBytes key, int n, const double *scores, const SkBytes *members,
					  int flags, double *incr_out, bool *incr_null);
extern int64 skz_zrem(SkBytes key, int n, const SkBytes *members);
extern int64 skz_zcard(SkBytes key);
extern bool skz_zscore(SkBytes key, SkBytes member, double *score);
extern void skz_zmscore(SkBytes key, int n, const SkBytes *members, double *scores,
						bool *found);
extern bool skz_zrank(SkBytes key, SkBytes member, bool rev, int64 *rank);

/* What a range selects: ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT o c] */
typedef enum SkZBy
{
	SKZ_BY_RANK,
	SKZ_BY_SCORE,
	SKZ_BY_LEX
} SkZBy;

typedef struct SkZRangeSpec
{
	SkZBy		by;
	bool		rev;
	int64		start;			/* SKZ_BY_RANK */
	int64		stop;
	ZsRange		score;			/* SKZ_BY_SCORE: min <= max as in ZRANGEBYSCORE */
	ZsLexRange	lex;			/* SKZ_BY_LEX */
	int64		offset;			/* LIMIT (by score or lex): offset < 0 selects nothing */
	int64		count;			/* < 0: all */
} SkZRangeSpec;

/* Parsers of Redis's bounds; ERROR 22023 with Redis's wording. */
extern void skz_parse_score_range(SkZRangeSpec *spec, SkBytes min, SkBytes max);
extern void skz_parse_lex_range(SkZRangeSpec *spec, SkBytes min, SkBytes max);

extern int64 skz_zcount(SkBytes key, const SkZRangeSpec *spec);
extern SkZItem *skz_zrange(SkBytes key, const SkZRangeSpec *spec, int64 *n);
extern int64 skz_zrangestore(SkBytes dst, SkBytes src, const SkZRangeSpec *spec);
extern int64 skz_zremrange(SkBytes key, const SkZRangeSpec *spec);
extern SkZItem *skz_zpop(SkBytes key, bool max, int64 count, int64 *n);
extern SkZItem *skz_zrandmember(SkBytes key, int64 count, bool with_count, int64 *n);

/* ZUNION / ZINTER / ZDIFF and their STORE forms */
typedef enum SkZSetOp
{
	SKZ_UNION,
	SKZ_INTER,
	SKZ_DIFF
} SkZSetOp;

typedef enum SkZAgg
{
	SKZ_SUM,
	SKZ_MIN,
	SKZ_MAX
} SkZAgg;

extern SkZItem *skz_zsetop(SkZSetOp op, int nkeys, const SkBytes *keys, const double *weights,
						   SkZAgg agg, int64 *n);
extern int64 skz_zsetop_store(SkBytes dst, SkZSetOp op, int nkeys, const SkBytes *keys,
							  const double *weights, SkZAgg agg);
extern int64 skz_zintercard(int nkeys, const SkBytes *keys, int64 limit);

/* ZSCAN: one step; returns the next cursor (0: done). */
extern uint64 skz_zscan(SkBytes key, uint64 cursor, SkBytes pattern, bool has_pattern,
						int count, SkZItem **items, int64 *n);

/*
 * BZPOPMIN/BZPOPMAX: pops from the first non-empty set of keys, waiting up
 * to wait_ms (0: no wait) for one; false when the time ran out.
 */
extern bool skz_bzpop(int nkeys, const SkBytes *keys, bool max, int64 wait_ms,
					  int *which, SkZItem *out);

/* Wakes blocked pops of the database after members were added. */
extern void skz_wake_waiters(SkDb *db);

#endif							/* STREAMKV_ZSET_H */
