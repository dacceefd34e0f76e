/*-------------------------------------------------------------------------
 *
 * ks_hashes.c
 *	  Hashes: HSET, HSETNX, HGET, HMGET, HDEL, HGETALL, HKEYS, HVALS, HLEN,
 *	  HEXISTS, HINCRBY, HINCRBYFLOAT.
 *
 * One HSET/HDEL operation per field (type_hash.c applies them).
 *
 * Locking: the key's shard lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "keyspace_int.h"

/* ------------------------------------------------------------------------
 * Hashes
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_hset);
Datum
sk_hset(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	const char *key;
	Size		klen;
	Datum	   *fv;
	int			n = text_array_arg(PG_GETARG_ARRAYTYPE_P(1), &fv, "field_values");
	uint32		h;
	int			s;
	SkShard    *sh;
	SkKey	   *k;
	int64		added = 0;
	int			i;

	KEYARG(0, key, klen);
	if (n == 0 || n % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of arguments for 'hset' command"),
				 errdetail("hset takes field, value pairs; got %d arguments.", n)));
	h = sk_hash(key, klen);
	s = sk_shard_of(h);
	ctx_open(&c, true);
	sh = ctx_lock(&c, s, LW_EXCLUSIVE);
	k = write_lookup(&c, s, key, klen, h);
	if (k && k->type != SK_TYPE_HASH)
	{
		LWLockRelease(&sh->lock);
		wrongtype();
	}
	{
		Size		need = 0;

		for (i = 0; i < n; i++)
			need += VARSIZE_ANY_EXHDR(DatumGetTextPP(fv[i])) + 64;
		sk_mem_check(need);
	}
	for (i = 0; i < n; i += 2)
	{
		text	   *f = DatumGetTextPP(fv[i]);
		text	   *v = DatumGetTextPP(fv[i + 1]);

		k = sk_lookup(sh, key, klen, h);
		if (!k || !sk_hlookup(k, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f)))
			added++;
		log_op(&c, s, make_op(SK_OP_HSET, key, klen, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f),
							  VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), 0));
	}
	LWLockRelease(&sh->lock);
	ctx_close(&c);
	SK_NOTIFY(SK_NOTIFY_HASH, "hset", key, klen, MyDatabaseId);
	PG_RETURN_INT64(added);
}

PG_FUNCTION_INFO_V1(sk_hsetnx);
Datum
sk_hsetnx(PG_FUNCTION_ARGS)
{
	text	   *f = PG_GETARG_TEXT_PP(1);
	text	   *v = PG_GETARG_TEXT_PP(2);
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, true, &kl);
	bool		set = false;

	key_check_type(&kl, k, SK_TYPE_HASH);
	if (!k || !sk_hlookup(k, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f)))
	{
		key_log(&kl, SK_OP_HSET, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f),
				VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), 0);
		set = true;
	}
	key_end(&kl);
	PG_RETURN_BOOL(set);
}


PG_FUNCTION_INFO_V1(sk_hget);
Datum
sk_hget(PG_FUNCTION_ARGS)
{
	text	   *f = PG_GETARG_TEXT_PP(1);
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, false, &kl);
	SkField    *fl;
	text	   *result = NULL;

	key_check_type(&kl, k, SK_TYPE_HASH);
	fl = k ? sk_hlookup(k, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f)) : NULL;
	if (fl)
		result = cstring_to_text_with_len(SkFieldValue(fl), fl->vlen);
	key_end(&kl);
	if (!result)
		PG_RETURN_NULL();
	pg_verifymbstr(VARDATA_ANY(result), VARSIZE_ANY_EXHDR(result), false);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(sk_hmget);
Datum
sk_hmget(PG_FUNCTION_ARGS)
{
	Datum	   *fields;
	int			n = text_array_arg(PG_GETARG_ARRAYTYPE_P(1), &fields, "fields");
	Datum	   *out = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1],
				lbs[1] = {1};
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, false, &kl);
	int			i;

	key_check_type(&kl, k, SK_TYPE_HASH);
	for (i = 0; i < n; i++)
	{
		text	   *f = DatumGetTextPP(fields[i]);
		SkField    *fl = k ? sk_hlookup(k, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f)) : NULL;

		nulls[i] = (fl == NULL);
		if (fl)
			out[i] = PointerGetDatum(cstring_to_text_with_len(SkFieldValue(fl), fl->vlen));
	}
	key_end(&kl);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			pg_verifymbstr(VARDATA_ANY(DatumGetPointer(out[i])), VARSIZE_ANY_EXHDR(DatumGetPointer(out[i])), false);
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
	dims[0] = n;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(out, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(sk_hdel);
Datum
sk_hdel(PG_FUNCTION_ARGS)
{
	Datum	   *fields;
	int			n = text_array_arg(PG_GETARG_ARRAYTYPE_P(1), &fields, "fields");
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, true, &kl);
	int64		removed = 0;
	int			i;

	key_check_type(&kl, k, SK_TYPE_HASH);
	for (i = 0; i < n && k; i++)
	{
		text	   *f = DatumGetTextPP(fields[i]);

		k = sk_lookup(kl.sh, kl.key, kl.klen, kl.h);
		if (k && sk_hlookup(k, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f)))
		{
			key_log(&kl, SK_OP_HDEL, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f), NULL, 0, 0);
			removed++;
		}
	}
	key_end(&kl);
	PG_RETURN_INT64(removed);
}


void
collect_field(SkField *f, void *arg)
{
	FieldCollect *fc = (FieldCollect *) arg;

	fc->fields = lappend(fc->fields, cstring_to_text_with_len(f->data, f->flen));
	fc->values = lappend(fc->values, cstring_to_text_with_len(SkFieldValue(f), f->vlen));
}

void
collect_hash(FunctionCallInfo fcinfo, FieldCollect *fc)
{
	KeyLock		kl;
	SkKey	   *k;

	memset(fc, 0, sizeof(*fc));
	k = key_begin(fcinfo, 0, false, &kl);
	key_check_type(&kl, k, SK_TYPE_HASH);
	if (k)
		sk_hash_scan(k, collect_field, fc);
	key_end(&kl);
}

PG_FUNCTION_INFO_V1(sk_hgetall);
Datum
sk_hgetall(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FieldCollect fc;
	ListCell   *lf,
			   *lv;

	collect_hash(fcinfo, &fc);
	InitMaterializedSRF(fcinfo, 0);
	forboth(lf, fc.fields, lv, fc.values)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		text	   *v = lfirst(lv);

		pg_verifymbstr(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), false);
		values[0] = PointerGetDatum(lfirst(lf));
		values[1] = PointerGetDatum(v);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sk_hkeys);
Datum
sk_hkeys(PG_FUNCTION_ARGS)
{
	FieldCollect fc;

	collect_hash(fcinfo, &fc);
	return return_text_list(fcinfo, fc.fields);
}

PG_FUNCTION_INFO_V1(sk_hvals);
Datum
sk_hvals(PG_FUNCTION_ARGS)
{
	FieldCollect fc;
	ListCell   *lc;

	collect_hash(fcinfo, &fc);
	foreach(lc, fc.values)
		pg_verifymbstr(VARDATA_ANY((text *) lfirst(lc)), VARSIZE_ANY_EXHDR((text *) lfirst(lc)), false);
	return return_text_list(fcinfo, fc.values);
}

PG_FUNCTION_INFO_V1(sk_hlen);
Datum
sk_hlen(PG_FUNCTION_ARGS)
{
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, false, &kl);
	int64		n = 0;

	key_check_type(&kl, k, SK_TYPE_HASH);
	if (k)
		n = ((SkTable *) dsa_get_address(sk_area(), k->fields))->nitems;
	key_end(&kl);
	PG_RETURN_INT64(n);
}

PG_FUNCTION_INFO_V1(sk_hexists);
Datum
sk_hexists(PG_FUNCTION_ARGS)
{
	text	   *f = PG_GETARG_TEXT_PP(1);
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, false, &kl);
	bool		found;

	key_check_type(&kl, k, SK_TYPE_HASH);
	found = k && sk_hlookup(k, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f)) != NULL;
	key_end(&kl);
	PG_RETURN_BOOL(found);
}

/* HINCRBY / HINCRBYFLOAT: is_float selects the arithmetic. */
text *
hincr_common(FunctionCallInfo fcinfo, bool is_float)
{
	SkCtx		c;
	const char *key;
	Size		klen;
	text	   *f = PG_GETARG_TEXT_PP(1);
	uint32		h;
	int			s;
	SkShard    *sh;
	SkKey	   *k;
	SkField    *fl = NULL;
	char		buf[64];
	char	   *out;
	Size		outlen;
	long double ldincr = 0;

	if (is_float)
	{
		ldincr = numeric_arg_ld(PG_GETARG_DATUM(2));
		if (isinf(ldincr))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("value is NaN or Infinity")));
	}
	KEYARG(0, key, klen);
	h = sk_hash(key, klen);
	s = sk_shard_of(h);
	ctx_open(&c, true);
	sh = ctx_lock(&c, s, LW_EXCLUSIVE);
	k = write_lookup(&c, s, key, klen, h);
	if (k && k->type != SK_TYPE_HASH)
	{
		LWLockRelease(&sh->lock);
		wrongtype();
	}
	if (k)
		fl = sk_hlookup(k, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f));
	if (is_float)
	{
		long double cur = 0;

		if (fl && !parse_ld(SkFieldValue(fl), fl->vlen, &cur))
		{
			LWLockRelease(&sh->lock);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("hash value is not a float")));
		}
		cur += ldincr;
		if (isnan(cur) || isinf(cur))
		{
			LWLockRelease(&sh->lock);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("increment would produce NaN or Infinity")));
		}
		out = format_ld(cur, &outlen);
	}
	else
	{
		int64		cur = 0,
					result;

		if (fl && !parse_ll(SkFieldValue(fl), fl->vlen, &cur))
		{
			LWLockRelease(&sh->lock);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("hash value is not an integer")));
		}
		if (pg_add_s64_overflow(cur, PG_GETARG_INT64(2), &result))
		{
			LWLockRelease(&sh->lock);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("increment or decrement would overflow")));
		}
		snprintf(buf, sizeof(buf), INT64_FORMAT, result);
		out = buf;
		outlen = strlen(buf);
	}
	log_op(&c, s, make_op(SK_OP_HSET, key, klen, VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f),
						  out, outlen, 0));
	LWLockRelease(&sh->lock);
	ctx_close(&c);
	return cstring_to_text_with_len(out, outlen);
}

PG_FUNCTION_INFO_V1(sk_hincrby);
Datum
sk_hincrby(PG_FUNCTION_ARGS)
{
	text	   *t = hincr_common(fcinfo, false);
	char	   *s = text_to_cstring(t);
	int64		v;

	(void) parse_ll(s, strlen(s), &v);
	PG_RETURN_INT64(v);
}

PG_FUNCTION_INFO_V1(sk_hincrbyfloat);
Datum
sk_hincrbyfloat(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(hincr_common(fcinfo, true));
}
