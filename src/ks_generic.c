/*-------------------------------------------------------------------------
 *
 * ks_generic.c
 *	  Generic keyspace commands: TYPE, EXISTS, DEL, KEYS, SCAN, DBSIZE,
 *	  FLUSHDB.
 *
 * Commands over many keys lock shards one at a time (KEYS, SCAN, DBSIZE)
 * or all of them (FLUSHDB, logged as one FLUSH record).
 *
 * Locking: shard locks as in keyspace.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "keyspace_int.h"
#include "acl.h"

/* ------------------------------------------------------------------------
 * Generic keyspace: TYPE, EXISTS, DEL, KEYS, SCAN, DBSIZE, FLUSHDB
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_type);
Datum
sk_type(PG_FUNCTION_ARGS)
{
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, false, &kl);
	const char *t = !k ? "none" : sk_value_type(k->type)->name;

	key_end(&kl);
	PG_RETURN_TEXT_P(cstring_to_text(t));
}

/* Deconstructs a text[] argument, refusing NULL elements. */
int
text_array_arg(ArrayType *arr, Datum **elems, const char *what)
{
	bool	   *nulls;
	int			n,
				i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
	return n;
}

PG_FUNCTION_INFO_V1(sk_exists);
Datum
sk_exists(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	Datum	   *keys;
	int			n = text_array_arg(PG_GETARG_ARRAYTYPE_P(0), &keys, "keys");
	int64		count = 0;
	int			i;

	ctx_open(&c, false);
	for (i = 0; i < n; i++)
	{
		text	   *t = DatumGetTextPP(keys[i]);
		uint32		h = sk_hash(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		SkShard    *sh = ctx_lock_read(&c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), h);

		if (key_live(sk_lookup(sh, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), h), c.now))
			count++;
		LWLockRelease(&sh->lock);
	}
	ctx_close(&c);
	PG_RETURN_INT64(count);
}

PG_FUNCTION_INFO_V1(sk_del);
Datum
sk_del(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	Datum	   *keys;
	int			n = text_array_arg(PG_GETARG_ARRAYTYPE_P(0), &keys, "keys");
	int64		count = 0;
	int			i;

	ctx_open(&c, true);
	for (i = 0; i < n; i++)
	{
		text	   *t = DatumGetTextPP(keys[i]);
		const char *key = VARDATA_ANY(t);
		Size		klen = VARSIZE_ANY_EXHDR(t);
		uint32		h = sk_hash(key, klen);
		int			s = sk_shard_of(h);
		SkShard    *sh = ctx_lock(&c, s, LW_EXCLUSIVE);

		if (write_lookup(&c, s, key, klen, h))
		{
			log_op(&c, s, make_op(SK_OP_DEL, key, klen, NULL, 0, NULL, 0, 0));
			count++;
			SK_NOTIFY(SK_NOTIFY_GENERIC, "del", key, klen, MyDatabaseId);
		}
		LWLockRelease(&sh->lock);
	}
	ctx_close(&c);
	PG_RETURN_INT64(count);
}

/* Redis's stringmatchlen: glob-style matching. */
bool
glob_match(const char *p, int plen, const char *s, int slen, int nesting)
{
	if (nesting > 1000)
		return false;
	while (plen && slen)
	{
		switch (p[0])
		{
			case '*':
				while (plen > 1 && p[1] == '*')
				{
					p++;
					plen--;
				}
				if (plen == 1)
					return true;
				while (slen)
				{
					if (glob_match(p + 1, plen - 1, s, slen, nesting + 1))
						return true;
					s++;
					slen--;
				}
				return false;
			case '?':
				s++;
				slen--;
				break;
			case '[':
				{
					bool		not,
								match = false;

					p++;
					plen--;
					not = plen && p[0] == '^';
					if (not)
					{
						p++;
						plen--;
					}
					while (plen)
					{
						if (p[0] == '\\' && plen >= 2)
						{
							p++;
							plen--;
							if (p[0] == s[0])
								match = true;
						}
						else if (p[0] == ']')
							break;
						else if (plen >= 3 && p[1] == '-')
						{
							int			start = (unsigned char) p[0];
							int			end = (unsigned char) p[2];
							int			cc = (unsigned char) s[0];

							if (start > end)
							{
								int			t = start;

								start = end;
								end = t;
							}
							p += 2;
							plen -= 2;
							if (cc >= start && cc <= end)
								match = true;
						}
						else if (p[0] == s[0])
							match = true;
						p++;
						plen--;
					}
					if (not)
						match = !match;
					if (!match)
						return false;
					s++;
					slen--;
					if (plen == 0)
						return slen == 0;
					break;
				}
			case '\\':
				if (plen >= 2)
				{
					p++;
					plen--;
				}
				/* FALLTHROUGH */
			default:
				if (p[0] != s[0])
					return false;
				s++;
				slen--;
				break;
		}
		p++;
		plen--;
		if (slen == 0)
		{
			while (plen && *p == '*')
			{
				p++;
				plen--;
			}
			break;
		}
	}
	return plen == 0 && slen == 0;
}


bool
collect_key(SkKey *k, void *arg)
{
	KeyCollect *kc = (KeyCollect *) arg;

	if (!key_live(k, kc->now))
		return true;
	if (kc->type && k->type != kc->type)
		return true;
	if (kc->pat && !(kc->patlen == 1 && kc->pat[0] == '*') &&
		!glob_match(kc->pat, kc->patlen, k->data, k->keylen, 0))
		return true;
	kc->out = lappend(kc->out, cstring_to_text_with_len(k->data, k->keylen));
	kc->count++;
	return true;
}

Datum
return_text_list(FunctionCallInfo fcinfo, List *items)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	foreach(lc, items)
	{
		Datum		v = PointerGetDatum(lfirst(lc));
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sk_keys);
Datum
sk_keys(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	text	   *pat = PG_GETARG_TEXT_PP(0);
	KeyCollect	kc;
	int			s;

	ctx_open(&c, false);
	memset(&kc, 0, sizeof(kc));
	kc.pat = VARDATA_ANY(pat);
	kc.patlen = VARSIZE_ANY_EXHDR(pat);
	kc.now = c.now;
	for (s = 0; s < SK_NSHARDS; s++)
	{
		SkShard    *sh = ctx_lock(&c, s, LW_SHARED);
		bool		wrapped;

		sk_table_scan(sh->table, 0, PG_UINT32_MAX, collect_key, &kc, &wrapped);
		LWLockRelease(&sh->lock);
	}
	ctx_close(&c);
	return return_text_list(fcinfo, kc.out);
}

/*
 * SCAN: the cursor is (shard << 32 | bucket).  Buckets only ever grow (by
 * doubling), so a key present for the whole iteration is returned at least
 * once, as in Redis; a key may be returned twice.
 */
PG_FUNCTION_INFO_V1(sk_scan);
Datum
sk_scan(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	int64		cursor;
	KeyCollect	kc;
	int32		count = PG_ARGISNULL(2) ? 10 : PG_GETARG_INT32(2);
	int			shard;
	uint32		bucket;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	ListCell   *lc;
	Datum	   *elems;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cursor must not be NULL")));
	cursor = PG_GETARG_INT64(0);
	if (cursor < 0 || (cursor >> 32) >= SK_NSHARDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cursor"),
				 errdetail("Cursor " INT64_FORMAT " was not returned by scan().", cursor)));
	if (count < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("count must be positive"),
				 errdetail("count was %d.", count)));
	memset(&kc, 0, sizeof(kc));
	if (!PG_ARGISNULL(1))
	{
		text	   *pat = PG_GETARG_TEXT_PP(1);

		kc.pat = VARDATA_ANY(pat);
		kc.patlen = VARSIZE_ANY_EXHDR(pat);
	}
	if (!PG_ARGISNULL(3))
	{
		char	   *t = text_to_cstring(PG_GETARG_TEXT_PP(3));
		int			i;

		kc.type = -1;			/* as Redis: an unknown type matches nothing */
		for (i = 0; i < sk_nvalue_types; i++)
			if (pg_strcasecmp(t, sk_value_types[i].name) == 0)
				kc.type = sk_value_types[i].type;
	}
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	ctx_open(&c, false);
	kc.now = c.now;
	shard = (int) (cursor >> 32);
	bucket = (uint32) (cursor & 0xFFFFFFFF);
	/* visit buckets until about count keys were examined */
	while (shard < SK_NSHARDS)
	{
		SkShard    *sh = ctx_lock(&c, shard, LW_SHARED);
		bool		wrapped;
		uint32		nb = sk_table_nbuckets(sh->table);
		uint32		step = Max(1, Min((uint32) count, nb));

		if (bucket >= nb)
			wrapped = true;
		else
			bucket = sk_table_scan(sh->table, bucket, step, collect_key, &kc, &wrapped);
		LWLockRelease(&sh->lock);
		if (wrapped)
		{
			shard++;
			bucket = 0;
		}
		if (kc.count >= count || list_length(kc.out) >= count)
			break;
		if (!wrapped && step >= (uint32) count)
			break;
	}
	ctx_close(&c);

	elems = palloc(sizeof(Datum) * Max(1, list_length(kc.out)));
	i = 0;
	foreach(lc, kc.out)
		elems[i++] = PointerGetDatum(lfirst(lc));
	values[0] = Int64GetDatum(shard >= SK_NSHARDS ? 0 : (((int64) shard) << 32) | bucket);
	values[1] = PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(sk_dbsize);
Datum
sk_dbsize(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	int64		n = 0;
	int			s;

	ctx_open(&c, false);
	for (s = 0; s < SK_NSHARDS; s++)
	{
		SkShard    *sh = ctx_lock(&c, s, LW_SHARED);

		n += sk_shard_nkeys(sh);
		LWLockRelease(&sh->lock);
	}
	ctx_close(&c);
	PG_RETURN_INT64(n);
}

PG_FUNCTION_INFO_V1(sk_flushdb);
Datum
sk_flushdb(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	uint64		seqs[SK_NSHARDS];
	int			s;

	sk_acl_check(SK_ACL_KEYSPACE, "", SK_PRIV_ADMIN);
	ctx_open_unchecked(&c, true);
	sk_db_lock_all(&c.db, c.rel, LW_EXCLUSIVE);
	for (s = 0; s < SK_NSHARDS; s++)
		seqs[s] = c.db->shards[s].applied_seq;
	PG_TRY();
	{
		sk_store_flush(c.rel, seqs);
	}
	PG_CATCH();
	{
		sk_db_unlock_all(c.db);
		PG_RE_THROW();
	}
	PG_END_TRY();
	for (s = 0; s < SK_NSHARDS; s++)
		sk_shard_clear(&c.db->shards[s]);
	sk_db_unlock_all(c.db);
	ctx_close(&c);
	PG_RETURN_VOID();
}
