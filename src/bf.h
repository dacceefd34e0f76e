/*-------------------------------------------------------------------------
 *
 * bf.h
 *	  Named bloom filters in the keyspace (RedisBloom's BF.* commands): the
 *	  in-memory value and the operation formats (type_bloom.c), and the C
 *	  API of the commands (ks_bloom.c), under the SQL functions (bf_sql.c).
 *
 * A filter is a scalable bloom filter exactly as RedisBloom 2.6 builds one
 * (sb.c): a chain of sub-filters ("links"), each sized by the bloom core
 * (bloom.c).  The first link has the requested capacity and half the
 * requested error rate (the whole rate when NONSCALING); when the newest
 * link holds `capacity` items, an item that is not yet present opens a new
 * link with capacity x expansion and error x 0.5.  An item is present when
 * every one of its bits is set in some link; a new item goes into the
 * newest link.
 *
 * The C API takes keys and items as bytes (SkBytes), returns C values and
 * raises errors with ereport, worded as RedisBloom's (README, "Bloom
 * filters").  Every command opens the keyspace itself; a write refuses on
 * a standby (25006).
 *
 * Locking: each command holds its key's shard lock (KeyLock) for its
 * duration: exclusively to write, shared to read.  The value type's
 * functions run under the shard lock as kvmem.h states.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_BF_H
#define STREAMKV_BF_H

#include "bloom.h"
#include "kvmem.h"
#include "zset.h"				/* SkBytes */

/* RedisBloom's defaults for filters BF.ADD creates (rebloom.c, config.c) */
#define SKBF_DEFAULT_ERROR		0.01
#define SKBF_DEFAULT_CAPACITY	100
#define SKBF_DEFAULT_EXPANSION	2
/* RedisBloom's ERROR_TIGHTENING_RATIO (sb.c) */
#define SKBF_TIGHTENING			0.5

/* SkBfParams.flags */
#define SKBF_NONSCALING			0x01

/* How a filter is created: BF.RESERVE's arguments (also in operations). */
typedef struct SkBfParams
{
	double		error;			/* requested error rate, 0 < error < 1 */
	uint64		capacity;		/* of the first link, >= 1 */
	uint32		expansion;		/* >= 1 */
	uint32		flags;			/* SKBF_* */
} SkBfParams;

/* A link (sub-filter) of a filter. */
typedef struct SkBfLink
{
	uint64		capacity;		/* items it takes before the next link opens */
	double		error;			/* its error rate */
	uint64		bits;			/* a multiple of 64 */
	uint64		items;			/* items added to it */
	uint32		hashes;
	uint32		unused;
	dsa_pointer bitmap;			/* bits / 8 bytes */
} SkBfLink;

/* A filter: SkKey.fields of a key of type SK_TYPE_BLOOM. */
typedef struct SkBfChain
{
	SkBfParams	params;
	uint64		items;			/* sum of the links' items */
	uint32		nlinks;
	uint32		maxlinks;		/* room in links[] */
	SkBfLink	links[FLEXIBLE_ARRAY_MEMBER];
} SkBfChain;

#define SkBfChainSize(maxlinks) (offsetof(SkBfChain, links) + sizeof(SkBfLink) * (maxlinks))

/*
 * Operations (store.h, SK_OP_BF*):
 *	  BFRESERVE  value: SkBfParams.  The key becomes an empty filter.
 *	  BFADD      field: SkBfParams or nothing (the defaults): how to create
 *	             the filter when the key has none; value: SkBloomHash[], the
 *	             items' two hashes (computed on the primary; redo does not
 *	             hash).  Adds each item as RedisBloom's SBChain_Add does.
 *	  BFLOAD     field: SkBfLoad; value: bytes of a link's bitmap at an
 *	             offset.  Compaction's snapshot of a filter: the links up to
 *	             `link` are created as the chain would have created them, the
 *	             link's item count is set and the bytes copied in.
 */
typedef struct SkBfLoad
{
	SkBfParams	params;
	uint32		link;
	uint32		unused;
	uint64		items;			/* the link's */
	uint64		offset;			/* of the bytes, in the link's bitmap */
} SkBfLoad;

/* Bytes of a bitmap that one BFLOAD of a snapshot carries at most. */
#define SKBF_SNAPSHOT_BYTES		32768

/* BFLOAD operations of a link of nbytes in a snapshot (at least one). */
static inline uint64
skbf_link_chunks(uint64 nbytes)
{
	return nbytes == 0 ? 1 : (nbytes + SKBF_SNAPSHOT_BYTES - 1) / SKBF_SNAPSHOT_BYTES;
}

static inline SkBfChain *
skbf_chain(const SkKey *k)
{
	return (SkBfChain *) sk_ptr(k->fields);
}

/* type_bloom.c */

/* The shape of link i of a chain with these parameters (false: too big). */
extern bool skbf_link_shape(const SkBfParams *p, uint32 i, uint64 *capacity, double *error,
							uint64 *bits, uint32 *hashes);

/*
 * Results of the BFADD this backend is logging (the write path's apply
 * fills them in): set just before logging op, cleared after.
 */
extern void skbf_capture(const SkOpHeader *op, bool *added, int n);

/* Whether the item of hash h is present in some link of c. */
extern bool skbf_test(const SkBfChain *c, SkBloomHash h);

/*
 * Whether items (hashes) fit in a NONSCALING filter c (NULL: a new one of
 * parameters create): runs the adds on a private copy of its link; added
 * gets each item's result, and the function returns the index of the first
 * item that found the filter full, or -1.
 */
extern int	skbf_dry_run(const SkBfChain *c, const SkBfParams *create, int n,
						 const SkBloomHash *h, bool *added);

/* Whether every link n new items could open can be made (not too big). */
extern bool skbf_can_grow(const SkBfChain *c, uint64 n);

/* Memory links opened by adding n new items may need (an upper bound). */
extern Size skbf_add_need(const SkBfChain *c, const SkBfParams *create, uint64 n);

/* ------------------------------------------------------------------------
 * The C API (ks_bloom.c)
 * ------------------------------------------------------------------------
 */

/* Checks BF.RESERVE's arguments (ERROR 22023 with RedisBloom's words). */
extern void skbf_check_reserve(double error_rate, int64 capacity, int64 expansion,
							   bool nonscaling, bool expansion_given);

/* BF.RESERVE (expansion_given: EXPANSION was in the command) */
extern void skbf_reserve(SkBytes key, double error_rate, int64 capacity, int64 expansion,
						 bool nonscaling, bool expansion_given);

/*
 * BF.ADD, BF.MADD, BF.INSERT: adds n items given by their hashes; added[i]
 * is whether item i was new.  create (NULL: RedisBloom's defaults) says how
 * to create a missing filter; nocreate refuses a missing one ("not found").
 */
extern void skbf_add_hashes(SkBytes key, int n, const SkBloomHash *hashes,
							const SkBfParams *create, bool nocreate, bool *added);
extern void skbf_add(SkBytes key, int n, const SkBytes *items, const SkBfParams *create,
					 bool nocreate, bool *added);

/* BF.EXISTS, BF.MEXISTS: false for every item of a missing key. */
extern void skbf_exists(SkBytes key, int n, const SkBytes *items, bool *found);

/* BF.INFO */
typedef struct SkBfInfo
{
	int64		capacity;		/* sum of the links' capacities */
	int64		size;			/* RedisBloom's memory figure (BFMemUsage) */
	int64		filters;
	int64		items;
	int64		expansion;
	bool		nonscaling;		/* expansion is then NULL */
} SkBfInfo;

extern void skbf_info(SkBytes key, SkBfInfo *info);

/* BF.CARD: items added, 0 for a missing key. */
extern int64 skbf_card(SkBytes key);

/* BF.DEBUG: one row per link. */
typedef struct SkBfLinkInfo
{
	int64		bytes;
	int64		bits;
	int32		hashes;
	int64		capacity;
	int64		items;
	double		error;
} SkBfLinkInfo;

extern SkBfLinkInfo *skbf_debug(SkBytes key, int64 *total_items, int *nlinks);

/*
 * BF.SCANDUMP: iter 0 gives RedisBloom's header (next iter 1); iter >= 1
 * gives up to max bytes of the links' bitmaps from byte iter - 1, and the
 * next iter; 0 and no data when done.
 */
extern int64 skbf_scandump(SkBytes key, int64 iter, char **data, Size *len);

#endif							/* STREAMKV_BF_H */
