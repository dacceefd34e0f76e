/*-------------------------------------------------------------------------
 *
 * ks_bloom.c
 *	  Bloom filters, the C API of the commands: BF.RESERVE, BF.ADD, BF.MADD,
 *	  BF.INSERT, BF.EXISTS, BF.MEXISTS, BF.INFO, BF.CARD, BF.DEBUG,
 *	  BF.SCANDUMP.
 *
 * RedisBloom 2.6 semantics (../shared/reference/redis-semantics.md, "Bloom
 * filters"; formats and the scalable chain in bf.h).  A write hashes its
 * items here, on the primary, decides what RedisBloom would refuse (a
 * reserve over an existing key, NOCREATE on a missing one, a full
 * NONSCALING filter: checked by a dry run on a private copy, so an error
 * changes nothing) and logs one BFADD with every item's hashes; applying it
 * (type_bloom.c) gives each item's result, which the write path's apply
 * reports back (skbf_capture).  Adds whose items are all present already
 * log nothing.
 *
 * Differences from RedisBloom, on purpose: errors are SQL errors with
 * SQLSTATEs; a BF.MADD/BF.INSERT that meets a full NONSCALING filter is one
 * error and adds nothing (RedisBloom adds the items before it and replies
 * with an error element).
 *
 * Locking: the key's shard lock (KeyLock), exclusive to write, shared to
 * read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "keyspace_int.h"
#include "bf.h"

/*
 * The sizes RedisBloom's BF.INFO "Size" adds up (BFMemUsage on a 64-bit
 * build): sizeof(SBChain) once and sizeof(SBLink) per link, plus the
 * links' bitmaps.
 */
#define SKBF_RB_CHAIN_BYTES		32
#define SKBF_RB_LINK_BYTES		64

/* RedisBloom's BLOOM_OPT_* bits (bloom.h), as BF.SCANDUMP's header has them */
#define SKBF_RB_OPT_NOROUND		1
#define SKBF_RB_OPT_FORCE64		4
#define SKBF_RB_OPT_NO_SCALING	8

/* RedisBloom's MAX_SCANDUMP_SIZE (rebloom.c) */
#define SKBF_SCANDUMP_MAX		(16 * 1024 * 1024)

static void
bf_bad(const char *msg)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", msg)));
}

/* Whether a filter of these parameters can be created. */
static bool
shape_ok(const SkBfParams *p)
{
	uint64		cap,
				bits;
	double		err;
	uint32		hashes;

	return skbf_link_shape(p, 0, &cap, &err, &bits, &hashes);
}

/* ERROR 54000 unless a filter of these parameters can be created. */
static void
check_shape(const SkBfParams *p)
{
	if (!shape_ok(p))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("could not create filter"),
				 errdetail("A sub-filter may have at most %llu bits.",
						   (unsigned long long) SK_BLOOM_MAX_BITS)));
}

void
skbf_check_reserve(double error_rate, int64 capacity, int64 expansion, bool nonscaling,
				   bool expansion_given)
{
	SkBfParams	p;

	if (isnan(error_rate) || error_rate <= 0 || error_rate >= 1)
		bf_bad("(0 < error rate range < 1)");
	if (capacity <= 0)
		bf_bad("(capacity should be larger than 0)");
	if (nonscaling && expansion_given)
		bf_bad("Nonscaling filters cannot expand");
	if (expansion < 1)
		bf_bad("expansion should be greater or equal to 1");
	if (expansion > PG_INT32_MAX)
		bf_bad("bad expansion");
	p.error = error_rate;
	p.capacity = (uint64) capacity;
	p.expansion = (uint32) expansion;
	p.flags = nonscaling ? SKBF_NONSCALING : 0;
	check_shape(&p);
}

/* ------------------------------------------------------------------------
 * BF.RESERVE
 * ------------------------------------------------------------------------
 */
void
skbf_reserve(SkBytes key, double error_rate, int64 capacity, int64 expansion, bool nonscaling,
			 bool expansion_given)
{
	KeyLock		kl;
	SkKey	   *k;
	SkBfParams	p;

	skbf_check_reserve(error_rate, capacity, expansion, nonscaling, expansion_given);
	memset(&p, 0, sizeof(p));
	p.error = error_rate;
	p.capacity = (uint64) capacity;
	p.expansion = (uint32) expansion;
	p.flags = nonscaling ? SKBF_NONSCALING : 0;

	k = key_begin_bytes(key.p, key.len, true, &kl);
	key_check_type(&kl, k, SK_TYPE_BLOOM);
	if (k)
	{
		key_end(&kl);
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("item exists")));
	}
	sk_mem_check(skbf_add_need(NULL, &p, 0));
	log_op(&kl.c, kl.shard, make_op(SK_OP_BFRESERVE, key.p, key.len, NULL, 0,
									(const char *) &p, sizeof(p), 0));
	key_end(&kl);
}

/* ------------------------------------------------------------------------
 * BF.ADD, BF.MADD, BF.INSERT
 * ------------------------------------------------------------------------
 */
static const SkBfParams bf_defaults = {
	SKBF_DEFAULT_ERROR, SKBF_DEFAULT_CAPACITY, SKBF_DEFAULT_EXPANSION, 0
};

/* Logs a BFADD, its apply reporting each item's result into added. */
static void
log_captured(KeyLock *kl, SkOpHeader *op, bool *added, int n)
{
	skbf_capture(op, added, n);
	PG_TRY();
	{
		log_op(&kl->c, kl->shard, op);
	}
	PG_FINALLY();
	{
		skbf_capture(NULL, NULL, 0);
	}
	PG_END_TRY();
}

void
skbf_add_hashes(SkBytes key, int n, const SkBloomHash *hashes, const SkBfParams *create,
				bool nocreate, bool *added)
{
	KeyLock		kl;
	SkKey	   *k;
	SkBfChain  *c;
	const SkBfParams *p = create ? create : &bf_defaults;
	SkOpHeader *op;
	int			i;

	if (n <= 0)
		return;
	memset(added, 0, sizeof(bool) * n);
	k = key_begin_bytes(key.p, key.len, true, &kl);
	key_check_type(&kl, k, SK_TYPE_BLOOM);
	if (k == NULL && nocreate)
	{
		key_end(&kl);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("not found")));
	}
	c = k ? skbf_chain(k) : NULL;
	if (k == NULL && create != NULL && !shape_ok(create))
	{
		key_end(&kl);
		check_shape(create);
	}

	if (c != NULL)
	{
		/* nothing to log when every item is present already */
		for (i = 0; i < n; i++)
			if (!skbf_test(c, hashes[i]))
				break;
		if (i == n)
		{
			key_end(&kl);
			return;
		}
	}

	/* a NONSCALING filter that could fill up: refuse before logging */
	if ((c ? c->params.flags : p->flags) & SKBF_NONSCALING)
	{
		const SkBfLink *cur = c ? &c->links[c->nlinks - 1] : NULL;
		uint64		items = cur ? cur->items : 0;
		uint64		cap = cur ? cur->capacity : p->capacity;

		if (items + (uint64) n > cap && skbf_dry_run(c, p, n, hashes, added) >= 0)
		{
			key_end(&kl);
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("non scaling filter is full"),
					 errdetail("The filter holds its capacity of %llu items; nothing was added.",
							   (unsigned long long) cap)));
		}
	}

	if (c != NULL && !skbf_can_grow(c, (uint64) n))
	{
		key_end(&kl);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("could not create filter"),
				 errdetail("The next sub-filter would have more than %llu bits.",
						   (unsigned long long) SK_BLOOM_MAX_BITS)));
	}
	sk_mem_check(skbf_add_need(c, p, (uint64) n) + sizeof(SkBloomHash) * n + 128);
	op = make_op(SK_OP_BFADD, key.p, key.len,
				 k == NULL ? (const char *) p : NULL, k == NULL ? sizeof(SkBfParams) : 0,
				 (const char *) hashes, sizeof(SkBloomHash) * n, 0);
	log_captured(&kl, op, added, n);
	key_end(&kl);
	pfree(op);
}

void
skbf_add(SkBytes key, int n, const SkBytes *items, const SkBfParams *create, bool nocreate,
		 bool *added)
{
	SkBloomHash *h = palloc_extended(sizeof(SkBloomHash) * Max(n, 1), MCXT_ALLOC_HUGE);
	int			i;

	for (i = 0; i < n; i++)
		h[i] = sk_bloom_hash(items[i].p, items[i].len);
	skbf_add_hashes(key, n, h, create, nocreate, added);
	pfree(h);
}

/* ------------------------------------------------------------------------
 * Reads: BF.EXISTS, BF.MEXISTS, BF.INFO, BF.CARD, BF.DEBUG, BF.SCANDUMP
 * ------------------------------------------------------------------------
 */
void
skbf_exists(SkBytes key, int n, const SkBytes *items, bool *found)
{
	KeyLock		kl;
	SkKey	   *k;
	SkBloomHash *h = palloc_extended(sizeof(SkBloomHash) * Max(n, 1), MCXT_ALLOC_HUGE);
	int			i;

	/* hash before taking the lock */
	for (i = 0; i < n; i++)
		h[i] = sk_bloom_hash(items[i].p, items[i].len);
	k = key_begin_bytes(key.p, key.len, false, &kl);
	key_check_type(&kl, k, SK_TYPE_BLOOM);
	for (i = 0; i < n; i++)
		found[i] = k ? skbf_test(skbf_chain(k), h[i]) : false;
	key_end(&kl);
	pfree(h);
}

/* The live filter at key for a read that needs one ("not found" else). */
static SkBfChain *
read_filter(SkBytes key, KeyLock *kl)
{
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, kl);

	key_check_type(kl, k, SK_TYPE_BLOOM);
	if (k == NULL)
	{
		key_end(kl);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("not found")));
	}
	return skbf_chain(k);
}

void
skbf_info(SkBytes key, SkBfInfo *info)
{
	KeyLock		kl;
	SkBfChain  *c = read_filter(key, &kl);
	uint32		i;

	memset(info, 0, sizeof(*info));
	info->size = SKBF_RB_CHAIN_BYTES;
	for (i = 0; i < c->nlinks; i++)
	{
		info->capacity += (int64) c->links[i].capacity;
		info->size += SKBF_RB_LINK_BYTES + (int64) (c->links[i].bits / 8);
	}
	info->filters = c->nlinks;
	info->items = (int64) c->items;
	info->expansion = c->params.expansion;
	info->nonscaling = (c->params.flags & SKBF_NONSCALING) != 0;
	key_end(&kl);
}

int64
skbf_card(SkBytes key)
{
	KeyLock		kl;
	SkKey	   *k = key_begin_bytes(key.p, key.len, false, &kl);
	int64		n;

	key_check_type(&kl, k, SK_TYPE_BLOOM);
	n = k ? (int64) skbf_chain(k)->items : 0;
	key_end(&kl);
	return n;
}

SkBfLinkInfo *
skbf_debug(SkBytes key, int64 *total_items, int *nlinks)
{
	KeyLock		kl;
	SkBfChain  *c = read_filter(key, &kl);
	SkBfLinkInfo *out = palloc(sizeof(SkBfLinkInfo) * c->nlinks);
	uint32		i;

	for (i = 0; i < c->nlinks; i++)
	{
		const SkBfLink *l = &c->links[i];

		out[i].bytes = (int64) (l->bits / 8);
		out[i].bits = (int64) l->bits;
		out[i].hashes = (int32) l->hashes;
		out[i].capacity = (int64) l->capacity;
		out[i].items = (int64) l->items;
		out[i].error = l->error;
	}
	*nlinks = (int) c->nlinks;
	*total_items = (int64) c->items;
	key_end(&kl);
	return out;
}

/* Little-endian, packed, as RedisBloom's dumped structs are on x86-64. */
static void
put_le(StringInfo buf, uint64 v, int nbytes)
{
	int			i;

	for (i = 0; i < nbytes; i++)
		appendStringInfoChar(buf, (char) ((v >> (8 * i)) & 0xff));
}

static void
put_double(StringInfo buf, double d)
{
	uint64		v;

	memcpy(&v, &d, sizeof(v));
	put_le(buf, v, 8);
}

int64
skbf_scandump(SkBytes key, int64 iter, char **data, Size *len)
{
	KeyLock		kl;
	SkBfChain  *c;
	int64		next = 0;
	uint32		i;

	if (iter < 0)
		bf_bad("Second argument must be numeric");
	c = read_filter(key, &kl);
	*data = NULL;
	*len = 0;
	if (iter == 0)
	{
		StringInfoData buf;

		/* dumpedChainHeader, then a dumpedChainLink per link (sb.c) */
		initStringInfo(&buf);
		put_le(&buf, c->items, 8);
		put_le(&buf, c->nlinks, 4);
		put_le(&buf, SKBF_RB_OPT_NOROUND | SKBF_RB_OPT_FORCE64 |
			   ((c->params.flags & SKBF_NONSCALING) ? SKBF_RB_OPT_NO_SCALING : 0), 4);
		put_le(&buf, c->params.expansion, 4);
		for (i = 0; i < c->nlinks; i++)
		{
			const SkBfLink *l = &c->links[i];

			put_le(&buf, l->bits / 8, 8);
			put_le(&buf, l->bits, 8);
			put_le(&buf, l->items, 8);
			put_double(&buf, l->error);
			put_double(&buf, sk_bloom_bits_per_entry(l->error));
			put_le(&buf, l->hashes, 4);
			put_le(&buf, l->capacity, 8);
			put_le(&buf, 0, 1); /* n2: no power-of-two rounding */
		}
		*data = buf.data;
		*len = buf.len;
		next = 1;
	}
	else
	{
		uint64		pos = (uint64) iter - 1;
		uint64		seek = 0;

		for (i = 0; i < c->nlinks; i++)
		{
			uint64		nbytes = c->links[i].bits / 8;

			if (seek + nbytes > pos)
			{
				uint64		off = pos - seek;
				uint64		n = Min(nbytes - off, (uint64) SKBF_SCANDUMP_MAX);

				*data = palloc_extended(n, MCXT_ALLOC_HUGE);
				memcpy(*data, (char *) sk_ptr(c->links[i].bitmap) + off, n);
				*len = n;
				next = iter + (int64) n;
				break;
			}
			seek += nbytes;
		}
	}
	key_end(&kl);
	return next;
}
