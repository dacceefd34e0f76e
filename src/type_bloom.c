/*-------------------------------------------------------------------------
 *
 * type_bloom.c
 *	  The keyspace's bloom filter value type ('MBbloom--', as RedisBloom's
 *	  TYPE answers): a row of sk_value_types[] (kinds.c).
 *
 * A filter is an SkKey whose `fields` is an SkBfChain (bf.h): RedisBloom's
 * scalable chain of links, each link's bitmap a separate allocation, all
 * from the DSA area through sk_alloc, so they count against
 * streamkv.max_memory.  Link i's shape follows from the filter's parameters
 * alone (skbf_link_shape): capacity x expansion^i, error x 0.5^(i+1) (x 1
 * for the only link of a NONSCALING filter), sized by the bloom core.
 *
 * Operations (formats in bf.h): BFRESERVE creates an empty filter; BFADD
 * carries the items' two 64-bit hashes, hashed once on the primary, and
 * applies RedisBloom's SBChain_Add to each (present in some link: nothing;
 * else into the newest link, which is first replaced by a new link when it
 * holds its capacity), so the primary, redo and a load set the same bits
 * and open the same links; BFLOAD is compaction's snapshot, a link's
 * bitmap in chunks of SKBF_SNAPSHOT_BYTES.
 *
 * An apply changes all of an operation or nothing: a BFADD allocates, before
 * it sets any bit, every link its items could open if all were new (and
 * frees those it did not need), so running out of memory changes nothing.
 *
 * Locking: every function runs under the shard's lock (exclusive for apply
 * and free), as kvmem.h states for value types.  The capture of results
 * (skbf_capture) is backend-local.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_KEYSPACE		/* what its sk_alloc counts toward (kvmem.h) */

#include <math.h>

#include "bf.h"

const char *const sk_bloom_op_names[] = {"BFRESERVE", "BFADD", "BFLOAD"};

/* The BFADD whose results this backend wants, and where they go. */
static const SkOpHeader *capture_op = NULL;
static bool *capture_added = NULL;
static int	capture_n = 0;

void
skbf_capture(const SkOpHeader *op, bool *added, int n)
{
	capture_op = op;
	capture_added = added;
	capture_n = n;
}

/* ------------------------------------------------------------------------
 * Links
 * ------------------------------------------------------------------------
 */
bool
skbf_link_shape(const SkBfParams *p, uint32 i, uint64 *capacity, double *error,
				uint64 *bits, uint32 *hashes)
{
	uint64		cap = p->capacity;
	double		err = p->error * ((p->flags & SKBF_NONSCALING) ? 1.0 : SKBF_TIGHTENING);
	uint32		j;

	if (cap < 1 || p->expansion < 1 || !(err > 0 && err < 1))
		return false;
	for (j = 0; j < i; j++)
	{
		if (cap > PG_UINT64_MAX / p->expansion)
			return false;
		cap *= p->expansion;
		err *= SKBF_TIGHTENING;
	}
	if (!(err > 0))
		return false;
	*capacity = cap;
	*error = err;
	return sk_bloom_size(cap, err, bits, hashes);
}

/* A new empty link i (its bitmap allocated, zeroed); false when out of memory. */
static bool
link_alloc(const SkBfParams *p, uint32 i, SkBfLink *l)
{
	memset(l, 0, sizeof(SkBfLink));
	if (!skbf_link_shape(p, i, &l->capacity, &l->error, &l->bits, &l->hashes))
		return false;
	l->bitmap = sk_alloc(l->bits / 8);
	if (!DsaPointerIsValid(l->bitmap))
		return false;
	memset(sk_ptr(l->bitmap), 0, l->bits / 8);
	return true;
}

static void
link_free(SkBfLink *l)
{
	sk_free(l->bitmap, l->bits / 8);
	l->bitmap = InvalidDsaPointer;
}

/* A chain with room for maxlinks links and its first link; Invalid on OOM. */
static dsa_pointer
chain_new(const SkBfParams *p, uint32 maxlinks)
{
	dsa_pointer cdp = sk_alloc(SkBfChainSize(maxlinks));
	SkBfChain  *c;

	if (!DsaPointerIsValid(cdp))
		return InvalidDsaPointer;
	c = sk_ptr(cdp);
	memset(c, 0, SkBfChainSize(maxlinks));
	c->params = *p;
	c->maxlinks = maxlinks;
	if (!link_alloc(p, 0, &c->links[0]))
	{
		sk_free(cdp, SkBfChainSize(maxlinks));
		return InvalidDsaPointer;
	}
	c->nlinks = 1;
	return cdp;
}

/* Room in k's chain for want links (moves the chain); false on OOM. */
static bool
chain_reserve(SkKey *k, uint32 want)
{
	SkBfChain  *c = skbf_chain(k);
	uint32		maxlinks;
	dsa_pointer ndp;

	if (want <= c->maxlinks)
		return true;
	maxlinks = Max(want, c->maxlinks * 2);
	ndp = sk_alloc(SkBfChainSize(maxlinks));
	if (!DsaPointerIsValid(ndp))
		return false;
	c = skbf_chain(k);			/* re-derive after allocating */
	memset(sk_ptr(ndp), 0, SkBfChainSize(maxlinks));
	memcpy(sk_ptr(ndp), c, SkBfChainSize(c->nlinks));
	((SkBfChain *) sk_ptr(ndp))->maxlinks = maxlinks;
	sk_free(k->fields, SkBfChainSize(c->maxlinks));
	k->fields = ndp;
	return true;
}

/* A new filter key (not linked) of parameters p; Invalid on OOM. */
static dsa_pointer
new_bloom_key(const SkOpHeader *op, uint32 hash, const SkBfParams *p)
{
	dsa_pointer cdp = chain_new(p, 4);
	dsa_pointer kdp;
	SkKey	   *k;

	if (!DsaPointerIsValid(cdp))
		return InvalidDsaPointer;
	kdp = sk_alloc(SkKeySize(op->keylen, 0));
	if (!DsaPointerIsValid(kdp))
	{
		SkBfChain  *c = sk_ptr(cdp);

		link_free(&c->links[0]);
		sk_free(cdp, SkBfChainSize(c->maxlinks));
		return InvalidDsaPointer;
	}
	k = sk_ptr(kdp);
	k->hash = hash;
	k->type = SK_TYPE_BLOOM;
	memset(k->unused, 0, sizeof(k->unused));
	k->expire_at = 0;
	k->keylen = op->keylen;
	k->vallen = 0;
	k->fields = cdp;
	memcpy(k->data, SkOpKey(op), op->keylen);
	return kdp;
}

/* Links a key new_bloom_key made, counting its first link. */
static SkKey *
link_bloom_key(SkShard *sh, dsa_pointer kdp)
{
	SkKey	   *k = sk_ptr(kdp);

	sk_link_key(sh, kdp);
	sh->nbfchunks += skbf_link_chunks(skbf_chain(k)->links[0].bits / 8);
	return k;
}

/*
 * Allocates links first..last of chain c (not yet part of it) into out;
 * false, with everything freed, on OOM.
 */
static bool
links_prealloc(const SkBfParams *p, uint32 first, uint32 last, SkBfLink *out)
{
	uint32		i;

	for (i = first; i <= last; i++)
		if (!link_alloc(p, i, &out[i - first]))
		{
			while (i-- > first)
				link_free(&out[i - first]);
			return false;
		}
	return true;
}

/*
 * New links that n new items would open in c (RedisBloom opens one when an
 * item that is not present finds the newest link at its capacity).  A
 * NONSCALING filter opens none.
 */
static uint32
links_needed(const SkBfChain *c, uint64 n)
{
	const SkBfLink *cur = &c->links[c->nlinks - 1];
	uint64		room = cur->items < cur->capacity ? cur->capacity - cur->items : 0;
	uint32		i = c->nlinks;
	uint32		cnt = 0;

	if (c->params.flags & SKBF_NONSCALING)
		return 0;
	while (n > room)
	{
		uint64		cap,
					bits;
		double		err;
		uint32		hashes;

		n -= room;
		if (!skbf_link_shape(&c->params, i, &cap, &err, &bits, &hashes))
			return cnt + 1;		/* link_alloc will refuse it */
		room = cap;
		i++;
		cnt++;
	}
	return cnt;
}

bool
skbf_can_grow(const SkBfChain *c, uint64 n)
{
	uint32		cnt = links_needed(c, n);
	uint32		i;

	for (i = c->nlinks; i < c->nlinks + cnt; i++)
	{
		uint64		cap,
					bits;
		double		err;
		uint32		hashes;

		if (!skbf_link_shape(&c->params, i, &cap, &err, &bits, &hashes))
			return false;
	}
	return true;
}

Size
skbf_add_need(const SkBfChain *c, const SkBfParams *create, uint64 n)
{
	Size		need = 0;
	uint32		first,
				cnt,
				i;
	const SkBfParams *p;
	union
	{
		SkBfChain	c;
		char		buf[SkBfChainSize(1)];
	}			one;

	if (c == NULL)
	{
		uint64		cap,
					bits;
		double		err;
		uint32		hashes;

		if (!skbf_link_shape(create, 0, &cap, &err, &bits, &hashes))
			return 0;
		need += SkBfChainSize(4) + bits / 8 + 128;
		memset(&one, 0, sizeof(one));
		one.c.params = *create;
		one.c.nlinks = 1;
		one.c.maxlinks = 4;
		/* links_needed reads links[0]: an empty link of that shape */
		one.c.links[0].capacity = cap;
		c = &one.c;
	}
	p = &c->params;
	first = c->nlinks;
	cnt = links_needed(c, n);
	for (i = first; i < first + cnt; i++)
	{
		uint64		cap,
					bits;
		double		err;
		uint32		hashes;

		if (skbf_link_shape(p, i, &cap, &err, &bits, &hashes))
			need += bits / 8;
	}
	if (first + cnt > c->maxlinks)
		need += SkBfChainSize(Max(first + cnt, c->maxlinks * 2));
	return need;
}

/* ------------------------------------------------------------------------
 * Adding items (RedisBloom's SBChain_Add)
 * ------------------------------------------------------------------------
 */
static inline bool
chain_test(const SkBfChain *c, SkBloomHash h)
{
	int			j;

	for (j = (int) c->nlinks - 1; j >= 0; j--)
	{
		const SkBfLink *l = &c->links[j];

		if (sk_bloom_test(sk_ptr(l->bitmap), l->bits, l->hashes, h))
			return true;
	}
	return false;
}

bool
skbf_test(const SkBfChain *c, SkBloomHash h)
{
	return chain_test(c, h);
}

int
skbf_dry_run(const SkBfChain *c, const SkBfParams *create, int n, const SkBloomHash *h,
			 bool *added)
{
	SkBfLink	cur;
	uint8	   *copy;
	int			i,
				j;

	if (c != NULL)
	{
		cur = c->links[c->nlinks - 1];
		copy = palloc_extended(cur.bits / 8, MCXT_ALLOC_HUGE);
		memcpy(copy, sk_ptr(cur.bitmap), cur.bits / 8);
	}
	else
	{
		memset(&cur, 0, sizeof(cur));
		if (!skbf_link_shape(create, 0, &cur.capacity, &cur.error, &cur.bits, &cur.hashes))
			return -1;			/* refused when created */
		copy = palloc_extended(cur.bits / 8, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	}
	for (i = 0; i < n; i++)
	{
		bool		present = sk_bloom_test(copy, cur.bits, cur.hashes, h[i]);

		for (j = c ? (int) c->nlinks - 2 : -1; j >= 0 && !present; j--)
			present = sk_bloom_test(sk_ptr(c->links[j].bitmap), c->links[j].bits,
									c->links[j].hashes, h[i]);
		added[i] = false;
		if (present)
			continue;
		if (cur.items >= cur.capacity)
		{
			pfree(copy);
			return i;
		}
		sk_bloom_add(copy, cur.bits, cur.hashes, h[i]);
		cur.items++;
		added[i] = true;
	}
	pfree(copy);
	return -1;
}

/* Removes the key just linked by this apply (the head of its bucket). */
static void
drop_new_key(SkShard *sh, const SkOpHeader *op, uint32 hash)
{
	dsa_pointer *link = NULL;
	dsa_pointer dp = sk_lookup_dp(sh, SkOpKey(op), op->keylen, hash, &link);

	if (DsaPointerIsValid(dp))
		sk_unlink_key(sh, link);
}

static const SkBfParams bf_defaults = {
	SKBF_DEFAULT_ERROR, SKBF_DEFAULT_CAPACITY, SKBF_DEFAULT_EXPANSION, 0
};

static bool
bf_add_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *k, dsa_pointer *link)
{
	uint64		n = op->vallen / sizeof(SkBloomHash);
	const char *hv = SkOpValue(op);
	SkBfParams	p = bf_defaults;
	SkBfLink   *pre = NULL;
	uint32		npre,
				used = 0,
				first;
	bool		created = false;
	bool	   *out = (capture_op == op) ? capture_added : NULL;
	SkBfChain  *c;
	uint64		i;

	if (op->fieldlen == sizeof(SkBfParams))
		memcpy(&p, SkOpField(op), sizeof(SkBfParams));
	if (k && k->type != SK_TYPE_BLOOM)
	{
		/* the primary never logs this; redo tolerates it */
		sk_unlink_key(sh, link);
		k = NULL;
	}
	if (k == NULL)
	{
		dsa_pointer kdp = new_bloom_key(op, hash, &p);

		if (!DsaPointerIsValid(kdp))
			return false;
		k = link_bloom_key(sh, kdp);
		created = true;
	}

	/* every link these items could open, before any bit is set */
	c = skbf_chain(k);
	first = c->nlinks;
	npre = links_needed(c, n);
	if (npre > 0)
	{
		pre = palloc_extended(sizeof(SkBfLink) * npre, MCXT_ALLOC_NO_OOM);
		if (pre == NULL || !chain_reserve(k, first + npre) ||
			!links_prealloc(&skbf_chain(k)->params, first, first + npre - 1, pre))
		{
			if (pre)
				pfree(pre);
			if (created)
				drop_new_key(sh, op, hash);
			return false;
		}
	}

	c = skbf_chain(k);
	for (i = 0; i < n; i++)
	{
		SkBloomHash h;
		SkBfLink   *cur;

		memcpy(&h, hv + i * sizeof(SkBloomHash), sizeof(SkBloomHash));
		if (out && i < (uint64) capture_n)
			out[i] = false;
		if (chain_test(c, h))
			continue;
		cur = &c->links[c->nlinks - 1];
		if (cur->items >= cur->capacity)
		{
			if ((c->params.flags & SKBF_NONSCALING) || used == npre)
				break;			/* full: the primary never logs this */
			c->links[c->nlinks++] = pre[used];
			sh->nbfchunks += skbf_link_chunks(pre[used].bits / 8);
			used++;
			cur = &c->links[c->nlinks - 1];
		}
		sk_bloom_add(sk_ptr(cur->bitmap), cur->bits, cur->hashes, h);
		cur->items++;
		c->items++;
		if (out && i < (uint64) capture_n)
			out[i] = true;
	}
	for (; used < npre; used++)
		link_free(&pre[used]);
	if (pre)
		pfree(pre);
	return true;
}

/* ------------------------------------------------------------------------
 * Apply
 * ------------------------------------------------------------------------
 */

static bool
bf_reserve_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old, dsa_pointer *link)
{
	SkBfParams	p;
	dsa_pointer kdp;

	if (op->vallen != sizeof(SkBfParams))
		return true;			/* never logged so */
	memcpy(&p, SkOpValue(op), sizeof(SkBfParams));
	kdp = new_bloom_key(op, hash, &p);
	if (!DsaPointerIsValid(kdp))
		return false;
	if (old)
		sk_unlink_key(sh, link);
	(void) link_bloom_key(sh, kdp);
	return true;
}

static bool
bf_load_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *k, dsa_pointer *link)
{
	SkBfLoad	hdr;
	SkBfChain  *c;
	SkBfLink   *l;
	bool		created = false;

	if (op->fieldlen != sizeof(SkBfLoad))
		return true;			/* never logged so */
	memcpy(&hdr, SkOpField(op), sizeof(SkBfLoad));
	if (k && k->type != SK_TYPE_BLOOM)
	{
		sk_unlink_key(sh, link);
		k = NULL;
	}
	if (k == NULL)
	{
		dsa_pointer kdp = new_bloom_key(op, hash, &hdr.params);

		if (!DsaPointerIsValid(kdp))
			return false;
		k = link_bloom_key(sh, kdp);
		created = true;
	}
	c = skbf_chain(k);
	if (hdr.link >= c->nlinks)
	{
		uint32		first = c->nlinks;
		uint32		cnt = hdr.link + 1 - first;
		SkBfLink   *pre = palloc_extended(sizeof(SkBfLink) * cnt, MCXT_ALLOC_NO_OOM);
		uint32		i;

		if (pre == NULL || !chain_reserve(k, hdr.link + 1) ||
			!links_prealloc(&skbf_chain(k)->params, first, hdr.link, pre))
		{
			if (pre)
				pfree(pre);
			if (created)
				drop_new_key(sh, op, hash);
			return false;
		}
		c = skbf_chain(k);
		for (i = 0; i < cnt; i++)
		{
			c->links[c->nlinks++] = pre[i];
			sh->nbfchunks += skbf_link_chunks(pre[i].bits / 8);
		}
		pfree(pre);
	}
	l = &c->links[hdr.link];
	c->items = c->items - l->items + hdr.items;
	l->items = hdr.items;
	if (hdr.offset <= l->bits / 8 && op->vallen <= l->bits / 8 - hdr.offset)
		memcpy((char *) sk_ptr(l->bitmap) + hdr.offset, SkOpValue(op), op->vallen);
	return true;
}

bool
sk_bloom_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old, dsa_pointer *link)
{
	switch ((SkOpKind) op->kind)
	{
		case SK_OP_BFRESERVE:
			return bf_reserve_apply(sh, op, hash, old, link);
		case SK_OP_BFADD:
			return bf_add_apply(sh, op, hash, old, link);
		case SK_OP_BFLOAD:
			return bf_load_apply(sh, op, hash, old, link);
		default:
			return true;		/* not ours: ignored, as redo ignores unknown kinds */
	}
}

/* Frees the chain and its links (the key itself is the caller's). */
void
sk_bloom_free(SkShard *sh, SkKey *k)
{
	SkBfChain  *c = skbf_chain(k);
	uint32		i;

	for (i = 0; i < c->nlinks; i++)
	{
		sh->nbfchunks -= skbf_link_chunks(c->links[i].bits / 8);
		link_free(&c->links[i]);
	}
	sk_free(k->fields, SkBfChainSize(c->maxlinks));
	k->fields = InvalidDsaPointer;
}

void
sk_bloom_snapshot(const SkKey *k, sk_snapshot_emit emit, void *arg)
{
	const SkBfChain *c = skbf_chain(k);
	uint32		nlinks = c->nlinks;
	uint32		i;

	for (i = 0; i < nlinks; i++)
	{
		SkBfLoad	hdr;
		uint64		nbytes;
		uint64		off = 0;

		c = skbf_chain(k);		/* emit allocates: re-derive */
		nbytes = c->links[i].bits / 8;
		memset(&hdr, 0, sizeof(hdr));
		hdr.params = c->params;
		hdr.link = i;
		hdr.items = c->links[i].items;
		for (;;)
		{
			uint64		len = Min(nbytes - off, (uint64) SKBF_SNAPSHOT_BYTES);

			hdr.offset = off;
			c = skbf_chain(k);
			emit(arg, SK_OP_BFLOAD, k, (const char *) &hdr, sizeof(hdr),
				 (const char *) sk_ptr(c->links[i].bitmap) + off, len, 0);
			off += len;
			if (off >= nbytes)
				break;
		}
	}
	if (k->expire_at != 0)
		emit(arg, SK_OP_EXPIRE, k, NULL, 0, NULL, 0, k->expire_at);
}

Size
sk_bloom_memory(const SkKey *k)
{
	const SkBfChain *c = skbf_chain(k);
	Size		n = SkBfChainSize(c->maxlinks);
	uint32		i;

	for (i = 0; i < c->nlinks; i++)
		n += c->links[i].bits / 8;
	return n;
}
