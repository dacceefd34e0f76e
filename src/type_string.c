/*-------------------------------------------------------------------------
 *
 * type_string.c
 *	  The keyspace's string value type: a row of sk_value_types[] (kinds.c).
 *
 * A string is an SkKey whose value follows its key in the same allocation
 * (SkKeyValue).  It owns two operations: SET (the whole value and its
 * expiry) and APPEND (the value grows, the expiry stays).  Counters live in
 * the value: INCR and friends are SETs of the new value, decided on the
 * primary, so redo never parses a number.  Compaction snapshots a string as
 * one SET carrying its expiry.
 *
 * Locking: every function runs under the shard's lock (exclusive for
 * apply), as kvmem.h states for value types.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_KEYSPACE		/* what its sk_alloc counts toward (kvmem.h) */

#include "kvmem.h"

const char *const sk_string_op_names[] = {"SET", "APPEND"};

/*
 * SET or APPEND: the new value in a new allocation, which replaces the old
 * key (of any type, for SET) in its bucket.  False, with nothing changed,
 * when memory ran out.
 *
 * A SET over a string value of the same length (an overwrite, a counter
 * that keeps its number of digits) overwrites the value in place: no
 * allocation, no free, the same bytes counted.  The result is the same
 * either way, so the write path and redo may each take either branch.
 */
bool
sk_string_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old,
				dsa_pointer *link)
{
	const char *key = SkOpKey(op);
	Size		prefix = 0;
	dsa_pointer ndp;
	SkKey	   *nk;
	int64		expire_at = op->expire_at;

	if (op->kind != SK_OP_SET && op->kind != SK_OP_APPEND)
		return true;			/* not ours: ignored, as redo ignores unknown kinds */
	if (op->kind == SK_OP_SET && old && old->type == SK_TYPE_STRING &&
		old->vallen == op->vallen)
	{
		if (old->expire_at != 0)
			sh->nvolatile--;
		old->expire_at = expire_at;
		if (old->expire_at != 0)
			sh->nvolatile++;
		memcpy(SkKeyValue(old), SkOpValue(op), op->vallen);
		return true;
	}
	if (op->kind == SK_OP_APPEND && old && old->type == SK_TYPE_STRING)
	{
		prefix = old->vallen;
		expire_at = old->expire_at;
	}
	ndp = sk_alloc(SkKeySize(op->keylen, prefix + op->vallen));
	if (!DsaPointerIsValid(ndp))
		return false;
	nk = sk_ptr(ndp);
	nk->hash = hash;
	nk->type = SK_TYPE_STRING;
	memset(nk->unused, 0, sizeof(nk->unused));
	nk->expire_at = expire_at;
	nk->keylen = op->keylen;
	nk->vallen = prefix + op->vallen;
	nk->fields = InvalidDsaPointer;
	memcpy(nk->data, key, op->keylen);
	if (prefix > 0)
	{
		/* the allocation may have moved nothing, but re-derive the address */
		old = sk_ptr(*link);
		memcpy(nk->data + op->keylen, SkKeyValue(old), prefix);
	}
	memcpy(nk->data + op->keylen + prefix, SkOpValue(op), op->vallen);
	if (old)
		sk_unlink_key(sh, link);
	sk_link_key(sh, ndp);
	return true;
}

void
sk_string_snapshot(const SkKey *k, sk_snapshot_emit emit, void *arg)
{
	emit(arg, SK_OP_SET, k, NULL, 0, SkKeyValue(k), k->vallen, k->expire_at);
}

Size
sk_string_memory(const SkKey *k)
{
	return 0;					/* the value is inside the SkKey */
}
