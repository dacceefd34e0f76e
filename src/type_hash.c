/*-------------------------------------------------------------------------
 *
 * type_hash.c
 *	  The keyspace's hash value type: a row of sk_value_types[] (kinds.c).
 *
 * A hash is an SkKey whose `fields` points to a chained table of SkField
 * entries (field then value in one allocation), in the DSA area.  It owns
 * HSET (creates the hash when needed) and HDEL (removes the key with its
 * last field, as Redis does).  sh->nelems counts the fields of all hashes
 * of a shard: compaction's estimate of live operations.  Compaction
 * snapshots a hash as one HSET per field, then an EXPIRE when it has one.
 *
 * Locking: every function runs under the shard's lock (exclusive for
 * apply and free), as kvmem.h states for value types.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_KEYSPACE		/* what its sk_alloc counts toward (kvmem.h) */

#include "kvmem.h"

#define SK_INITIAL_FIELD_BUCKETS 8

const char *const sk_hash_op_names[] = {"HSET", "HDEL"};

/* Frees every field and the field table (the key itself is the caller's). */
void
sk_hash_free(SkShard *sh, SkKey *k)
{
	SkTable    *t = sk_ptr(k->fields);
	dsa_pointer *b = sk_ptr(t->buckets);
	uint32		i;

	sh->nelems -= t->nitems;
	for (i = 0; i < t->nbuckets; i++)
	{
		dsa_pointer dp = b[i];

		while (DsaPointerIsValid(dp))
		{
			SkField    *f = sk_ptr(dp);
			dsa_pointer next = f->next;

			sk_free(dp, SkFieldSize(f->flen, f->vlen));
			dp = next;
		}
	}
	sk_table_free(k->fields);
	k->fields = InvalidDsaPointer;
}

static bool
hset(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old, dsa_pointer *link)
{
	const char *key = SkOpKey(op);
	const char *field = SkOpField(op);
	uint32		fhash = sk_hash(field, op->fieldlen);
	dsa_pointer fdp;
	dsa_pointer kdp = InvalidDsaPointer;
	dsa_pointer ftab = InvalidDsaPointer;
	dsa_pointer *flink = NULL;
	dsa_pointer ofdp;
	SkField    *f;
	SkTable    *t;

	if (old && old->type != SK_TYPE_HASH)
	{
		/* the primary never logs this; redo tolerates it */
		sk_unlink_key(sh, link);
		old = NULL;
	}
	if (old)
	{
		/* a field whose value keeps its length is overwritten in place */
		ofdp = sk_hlookup_dp(old, field, op->fieldlen, fhash, NULL);
		if (DsaPointerIsValid(ofdp))
		{
			SkField    *of = sk_ptr(ofdp);

			if (of->vlen == op->vallen)
			{
				memcpy(SkFieldValue(of), SkOpValue(op), op->vallen);
				return true;
			}
		}
	}
	fdp = sk_alloc(SkFieldSize(op->fieldlen, op->vallen));
	if (!DsaPointerIsValid(fdp))
		return false;
	if (!old)
	{
		ftab = sk_table_new(SK_INITIAL_FIELD_BUCKETS);
		if (DsaPointerIsValid(ftab))
			kdp = sk_alloc(SkKeySize(op->keylen, 0));
		if (!DsaPointerIsValid(kdp))
		{
			if (DsaPointerIsValid(ftab))
				sk_table_free(ftab);
			sk_free(fdp, SkFieldSize(op->fieldlen, op->vallen));
			return false;
		}
		old = sk_ptr(kdp);
		old->hash = hash;
		old->type = SK_TYPE_HASH;
		memset(old->unused, 0, sizeof(old->unused));
		old->expire_at = 0;
		old->keylen = op->keylen;
		old->vallen = 0;
		old->fields = ftab;
		memcpy(old->data, key, op->keylen);
		sk_link_key(sh, kdp);
	}
	f = sk_ptr(fdp);
	f->hash = fhash;
	f->flen = op->fieldlen;
	f->vlen = op->vallen;
	f->unused = 0;
	memcpy(f->data, field, op->fieldlen);
	memcpy(f->data + op->fieldlen, SkOpValue(op), op->vallen);

	ofdp = sk_hlookup_dp(old, field, op->fieldlen, fhash, &flink);
	t = sk_ptr(old->fields);
	if (DsaPointerIsValid(ofdp))
	{
		SkField    *of = sk_ptr(ofdp);

		f->next = of->next;
		*flink = fdp;
		sk_free(ofdp, SkFieldSize(of->flen, of->vlen));
	}
	else
	{
		dsa_pointer *b = sk_ptr(t->buckets);

		f->next = b[fhash & (t->nbuckets - 1)];
		b[fhash & (t->nbuckets - 1)] = fdp;
		t->nitems++;
		sh->nelems++;
		sk_table_maybe_grow(old->fields, true);
	}
	return true;
}

static void
hdel(SkShard *sh, const SkOpHeader *op, SkKey *old, dsa_pointer *link)
{
	const char *field = SkOpField(op);
	dsa_pointer *flink = NULL;
	dsa_pointer ofdp;

	if (!old || old->type != SK_TYPE_HASH)
		return;
	ofdp = sk_hlookup_dp(old, field, op->fieldlen, sk_hash(field, op->fieldlen), &flink);
	if (DsaPointerIsValid(ofdp))
	{
		SkField    *of = sk_ptr(ofdp);
		SkTable    *t = sk_ptr(old->fields);

		*flink = of->next;
		sk_free(ofdp, SkFieldSize(of->flen, of->vlen));
		t->nitems--;
		sh->nelems--;
		if (t->nitems == 0)
			sk_unlink_key(sh, link);
	}
}

bool
sk_hash_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old, dsa_pointer *link)
{
	switch ((SkOpKind) op->kind)
	{
		case SK_OP_HSET:
			return hset(sh, op, hash, old, link);
		case SK_OP_HDEL:
			hdel(sh, op, old, link);
			return true;
		default:
			return true;		/* not ours: ignored, as redo ignores unknown kinds */
	}
}

typedef struct SnapArg
{
	const SkKey *k;
	sk_snapshot_emit emit;
	void	   *arg;
} SnapArg;

static void
snap_field(SkField *f, void *arg)
{
	SnapArg    *sa = (SnapArg *) arg;

	sa->emit(sa->arg, SK_OP_HSET, sa->k, f->data, f->flen, SkFieldValue(f), f->vlen, 0);
}

void
sk_hash_snapshot(const SkKey *k, sk_snapshot_emit emit, void *arg)
{
	SnapArg		sa;

	sa.k = k;
	sa.emit = emit;
	sa.arg = arg;
	sk_hash_scan(unconstify(SkKey *, k), snap_field, &sa);
	if (k->expire_at != 0)
		emit(arg, SK_OP_EXPIRE, k, NULL, 0, NULL, 0, k->expire_at);
}

Size
sk_hash_memory(const SkKey *k)
{
	SkTable    *t = sk_ptr(k->fields);
	dsa_pointer *b = sk_ptr(t->buckets);
	Size		total = sizeof(SkTable) + sizeof(dsa_pointer) * t->nbuckets;
	uint32		i;

	for (i = 0; i < t->nbuckets; i++)
	{
		dsa_pointer dp = b[i];

		while (DsaPointerIsValid(dp))
		{
			SkField    *f = sk_ptr(dp);

			total += SkFieldSize(f->flen, f->vlen);
			dp = f->next;
		}
	}
	return total;
}
