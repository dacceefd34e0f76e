/*-------------------------------------------------------------------------
 *
 * zset_int.h
 *	  Declarations shared by the files of the ZSET commands: ks_zsets.c
 *	  (single-key commands, ranges, pops), ks_zsetops.c (set operations,
 *	  ZSCAN, blocking pops) and zset_sql.c (the SQL wrappers).
 *
 * Locking: as zset.h states -- one key's shard lock, or the shards of
 * several keys taken in ascending order (ZMulti).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_ZSET_INT_H
#define STREAMKV_ZSET_INT_H

#include "keyspace_int.h"
#include "zset.h"

/* The ZsSet of a zset key. */
static inline zs_ptr
zset_handle(const SkKey *k)
{
	return (zs_ptr) k->fields;
}

static inline ZsSet *
zset_set(const SkKey *k)
{
	return (ZsSet *) sk_ptr((dsa_pointer) k->fields);
}

/* Several keys' shards locked at once, in ascending order. */
typedef struct ZMulti
{
	SkCtx		c;
	bool		write;
	bool		shards[SK_NSHARDS];
} ZMulti;

extern void zmulti_lock(ZMulti *m, bool write, int nkeys, const SkBytes *keys);
extern void zmulti_unlock(ZMulti *m);
/* The live zset at key (NULL: none); WRONGTYPE (locks released) for another type. */
extern SkKey *zmulti_get(ZMulti *m, SkBytes key);
/* Logs op on key's shard (locked by m, which must be write). */
extern void zmulti_log(ZMulti *m, SkBytes key, SkOpKind kind, StringInfo entries);

/* Items of a reply. */
extern void zitem_set(SkZItem *it, const ZsNode *n);
extern SkZItem *zcollect_range(SkKey *k, const SkZRangeSpec *spec, int64 *n);

/* Array arguments of the SQL wrappers (zset_sql.c): no NULL elements. */
extern int	zsql_bytes_array_arg(FunctionCallInfo fcinfo, int n, const char *what, SkBytes **out);
extern int	zsql_float_array_arg(ArrayType *arr, const char *what, double **out);

/* The state of zadd_agg (zset_sql.c), shared with geoadd_agg. */
typedef struct ZAddAgg
{
	MemoryContext cxt;
	StringInfoData key;
	int			n;
	int			cap;
	double	   *scores;
	SkBytes    *members;
	StringInfoData bytes;		/* the members' bytes */
	int64		added;
} ZAddAgg;

extern ZAddAgg *zadd_agg_step(ZAddAgg *st, MemoryContext aggcxt, SkBytes key, double score,
							  SkBytes member);

#endif							/* STREAMKV_ZSET_INT_H */
