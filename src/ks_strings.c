/*-------------------------------------------------------------------------
 *
 * ks_strings.c
 *	  Strings and counters: SET (with its options), GET, GETDEL, MGET,
 *	  MSET, APPEND, STRLEN, INCR/DECR/INCRBY/DECRBY/INCRBYFLOAT.
 *
 * Counters are strings: the new value is computed here, on the primary,
 * and logged as a SET, so redo never parses a number (type_string.c).
 *
 * Locking: the key's shard lock (MSET/MGET: their shards in order).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "keyspace_int.h"

/* ------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------
 */
/*
 * The SET command.  Returns the old value (palloc'd) through *old when
 * get_old, and whether the write happened.
 */
bool
do_set(const char *key, Size klen, const char *val, Size vlen,
	   bool nx, bool xx, bool get_old, bool old_as_text, int64 expire_at, bool keepttl,
	   char **old, Size *oldlen, bool *had_old)
{
	SkCtx		c;
	uint32		h = sk_hash(key, klen);
	int			s = sk_shard_of(h);
	SkShard    *sh;
	SkKey	   *k;
	bool		done = false;

	ctx_open(&c, true);
	if (expire_at < 0)			/* relative expiry already resolved by caller */
		expire_at = 0;
	sh = ctx_lock(&c, s, LW_EXCLUSIVE);
	k = write_lookup(&c, s, key, klen, h);
	*had_old = false;
	if (get_old && k)
	{
		if (k->type != SK_TYPE_STRING)
		{
			LWLockRelease(&sh->lock);
			wrongtype();
		}
		*oldlen = k->vallen;
		*old = palloc_extended(k->vallen + 1, MCXT_ALLOC_HUGE);
		memcpy(*old, SkKeyValue(k), k->vallen);
		*had_old = true;
		/* an old value that cannot be returned as text stops the write */
		if (old_as_text && !pg_verifymbstr(*old, *oldlen, true))
		{
			LWLockRelease(&sh->lock);
			pg_verifymbstr(*old, *oldlen, false);
		}
	}
	if ((nx && k) || (xx && !k))
		done = false;
	else
	{
		if (keepttl && k)
			expire_at = k->expire_at;
		log_op(&c, s, make_op(SK_OP_SET, key, klen, NULL, 0, val, vlen, expire_at));
		done = true;
	}
	LWLockRelease(&sh->lock);
	ctx_close(&c);
	return done;
}

int64
checked_expire(int64 now, int64 amount, int64 unit_ms, bool relative, const char *cmd)
{
	int64		ms;
	int64		result;

	if (pg_mul_s64_overflow(amount, unit_ms, &ms))
		goto bad;
	if (relative)
	{
		if (pg_add_s64_overflow(ms, now, &result))
			goto bad;
	}
	else
		result = ms;
	return result;
bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid expire time in '%s' command", cmd)));
	pg_unreachable();
}

Datum
set_common(FunctionCallInfo fcinfo, bool is_text)
{
	const char *key,
			   *val;
	Size		klen,
				vlen;
	bool		nx,
				xx,
				get_old,
				keepttl;
	int			nexp = 0;
	int64		expire_at = 0;
	int64		now = sk_now_ms();
	char	   *old = NULL;
	Size		oldlen = 0;
	bool		had_old = false;
	bool		done;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("key and value must not be NULL")));
	for (i = 2; i <= 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("nx, xx and get must not be NULL")));
	if (PG_ARGISNULL(9))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("keepttl must not be NULL")));
	KEYARG(0, key, klen);
	if (is_text)
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		val = VARDATA_ANY(t);
		vlen = VARSIZE_ANY_EXHDR(t);
	}
	else
	{
		bytea	   *b = PG_GETARG_BYTEA_PP(1);

		val = VARDATA_ANY(b);
		vlen = VARSIZE_ANY_EXHDR(b);
	}
	nx = PG_GETARG_BOOL(2);
	xx = PG_GETARG_BOOL(3);
	get_old = PG_GETARG_BOOL(4);
	keepttl = PG_GETARG_BOOL(9);
	for (i = 5; i <= 8; i++)
		if (!PG_ARGISNULL(i))
			nexp++;
	if ((nx && xx) || nexp > 1 || (keepttl && nexp > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("syntax error"),
				 errdetail("nx and xx exclude each other, and so do ex, px, exat, pxat and keepttl.")));
	for (i = 5; i <= 8; i++)
	{
		int64		v;

		if (PG_ARGISNULL(i))
			continue;
		v = PG_GETARG_INT64(i);
		if (v <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid expire time in 'set' command")));
		switch (i)
		{
			case 5:
				expire_at = checked_expire(now, v, 1000, true, "set");
				break;
			case 6:
				expire_at = checked_expire(now, v, 1, true, "set");
				break;
			case 7:
				expire_at = checked_expire(now, v, 1000, false, "set");
				break;
			case 8:
				expire_at = v;
				break;
		}
	}

	done = do_set(key, klen, val, vlen, nx, xx, get_old, is_text, expire_at, keepttl,
				  &old, &oldlen, &had_old);
	if (done)
	{
		SK_NOTIFY(SK_NOTIFY_STRING, "set", key, klen, MyDatabaseId);
		if (expire_at != 0)
			SK_NOTIFY(SK_NOTIFY_GENERIC, "expire", key, klen, MyDatabaseId);
	}
	if (get_old)
	{
		if (!had_old)
			PG_RETURN_NULL();
		if (is_text)
		{
			pg_verifymbstr(old, oldlen, false);
			PG_RETURN_TEXT_P(cstring_to_text_with_len(old, oldlen));
		}
		else
		{
			bytea	   *r = palloc(VARHDRSZ + oldlen);

			SET_VARSIZE(r, VARHDRSZ + oldlen);
			memcpy(VARDATA(r), old, oldlen);
			PG_RETURN_BYTEA_P(r);
		}
	}
	if (!done)
		PG_RETURN_NULL();
	if (is_text)
		PG_RETURN_TEXT_P(cstring_to_text("OK"));
	else
	{
		bytea	   *r = palloc(VARHDRSZ + 2);

		SET_VARSIZE(r, VARHDRSZ + 2);
		memcpy(VARDATA(r), "OK", 2);
		PG_RETURN_BYTEA_P(r);
	}
}

PG_FUNCTION_INFO_V1(sk_set_text);
Datum
sk_set_text(PG_FUNCTION_ARGS)
{
	return set_common(fcinfo, true);
}

PG_FUNCTION_INFO_V1(sk_set_bytea);
Datum
sk_set_bytea(PG_FUNCTION_ARGS)
{
	return set_common(fcinfo, false);
}

/* Copies out the string value at key; false when missing. */
bool
get_string(const char *key, Size klen, char **val, Size *vlen, bool del, bool as_text)
{
	SkCtx		c;
	uint32		h = sk_hash(key, klen);
	int			s = sk_shard_of(h);
	SkShard    *sh;
	SkKey	   *k;
	bool		found = false;

	ctx_open(&c, del);
	sh = del ? ctx_lock(&c, s, LW_EXCLUSIVE) : ctx_lock_read(&c, key, klen, h);
	k = del ? write_lookup(&c, s, key, klen, h) : sk_lookup(sh, key, klen, h);
	if (key_live(k, c.now))
	{
		if (k->type != SK_TYPE_STRING)
		{
			LWLockRelease(&sh->lock);
			wrongtype();
		}
		*vlen = k->vallen;
		*val = palloc_extended(k->vallen + VARHDRSZ + 1, MCXT_ALLOC_HUGE);
		memcpy(*val + VARHDRSZ, SkKeyValue(k), k->vallen);
		found = true;
		/* a value that cannot be returned as text is not deleted */
		if (del && as_text && !pg_verifymbstr(*val + VARHDRSZ, *vlen, true))
		{
			LWLockRelease(&sh->lock);
			pg_verifymbstr(*val + VARHDRSZ, *vlen, false);
		}
		if (del)
			log_op(&c, s, make_op(SK_OP_DEL, key, klen, NULL, 0, NULL, 0, 0));
	}
	LWLockRelease(&sh->lock);
	ctx_close(&c);
	return found;
}

Datum
string_result(char *buf, Size len, bool as_text)
{
	if (as_text)
		pg_verifymbstr(buf + VARHDRSZ, len, false);
	SET_VARSIZE(buf, VARHDRSZ + len);
	return PointerGetDatum(buf);
}

/* GET / GET as bytea / GETDEL on the key in argument 0. */
Datum
get_common(FunctionCallInfo fcinfo, bool del, bool as_text)
{
	const char *key;
	Size		klen,
				vlen;
	char	   *val;

	KEYARG(0, key, klen);
	if (!get_string(key, klen, &val, &vlen, del, as_text))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(string_result(val, vlen, as_text));
}

PG_FUNCTION_INFO_V1(sk_get_text);
Datum
sk_get_text(PG_FUNCTION_ARGS)
{
	return get_common(fcinfo, false, true);
}

PG_FUNCTION_INFO_V1(sk_get_bytea);
Datum
sk_get_bytea(PG_FUNCTION_ARGS)
{
	return get_common(fcinfo, false, false);
}

PG_FUNCTION_INFO_V1(sk_getdel_text);
Datum
sk_getdel_text(PG_FUNCTION_ARGS)
{
	return get_common(fcinfo, true, true);
}

PG_FUNCTION_INFO_V1(sk_mget);
Datum
sk_mget(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	Datum	   *keys;
	int			n = text_array_arg(PG_GETARG_ARRAYTYPE_P(0), &keys, "keys");
	Datum	   *out = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1],
				lbs[1] = {1};
	int			i;

	ctx_open(&c, false);
	for (i = 0; i < n; i++)
	{
		text	   *t = DatumGetTextPP(keys[i]);
		uint32		h = sk_hash(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		SkShard    *sh = ctx_lock_read(&c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), h);
		SkKey	   *k = sk_lookup(sh, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), h);

		nulls[i] = true;
		if (key_live(k, c.now) && k->type == SK_TYPE_STRING)
		{
			text	   *v = (text *) palloc_extended(VARHDRSZ + k->vallen, MCXT_ALLOC_HUGE);

			SET_VARSIZE(v, VARHDRSZ + k->vallen);
			memcpy(VARDATA(v), SkKeyValue(k), k->vallen);
			out[i] = PointerGetDatum(v);
			nulls[i] = false;
		}
		LWLockRelease(&sh->lock);
		if (!nulls[i])
			pg_verifymbstr(VARDATA(DatumGetPointer(out[i])), VARSIZE(DatumGetPointer(out[i])) - VARHDRSZ, false);
	}
	ctx_close(&c);
	dims[0] = n;
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
	PG_RETURN_ARRAYTYPE_P(construct_md_array(out, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Releases the shard locks mset took (in ascending order, for atomicity). */
void
unlock_shards_of(SkCtx *c, const bool *shards)
{
	int			s;

	for (s = SK_NSHARDS - 1; s >= 0; s--)
		if (shards[s])
			LWLockRelease(&c->db->shards[s].lock);
}

PG_FUNCTION_INFO_V1(sk_mset);
Datum
sk_mset(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	Datum	   *kv;
	int			n = text_array_arg(PG_GETARG_ARRAYTYPE_P(0), &kv, "key_values");
	bool		shards[SK_NSHARDS] = {false};
	int			i;

	if (n == 0 || n % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of arguments for 'mset' command"),
				 errdetail("mset takes key, value pairs; got %d arguments.", n)));
	ctx_open(&c, true);
	for (i = 0; i < n; i += 2)
	{
		text	   *t = DatumGetTextPP(kv[i]);

		shards[sk_shard_of(sk_hash(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)))] = true;
	}
	{
		Size		need = 0;

		for (i = 0; i < n; i++)
			need += VARSIZE_ANY_EXHDR(DatumGetTextPP(kv[i])) + 64;
		sk_mem_check(need);
	}
	/* the slot must be loaded before taking several shard locks */
	ctx_lock(&c, 0, LW_SHARED);
	LWLockRelease(&c.db->shards[0].lock);
	for (i = 0; i < SK_NSHARDS; i++)
		if (shards[i])
			LWLockAcquire(&c.db->shards[i].lock, LW_EXCLUSIVE);
	if (c.db->slot.state != SK_SLOT_READY)
	{
		unlock_shards_of(&c, shards);
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("streamkv keyspace was reloaded during mset"),
				 errhint("Retry the command.")));
	}
	for (i = 0; i < n; i += 2)
	{
		text	   *k = DatumGetTextPP(kv[i]);
		text	   *v = DatumGetTextPP(kv[i + 1]);
		uint32		h = sk_hash(VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k));
		int			s = sk_shard_of(h);

		write_lookup(&c, s, VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k), h);
		log_op(&c, s, make_op(SK_OP_SET, VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k), NULL, 0,
							  VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), 0));
	}
	unlock_shards_of(&c, shards);
	ctx_close(&c);
	PG_RETURN_TEXT_P(cstring_to_text("OK"));
}

Datum
append_common(FunctionCallInfo fcinfo)
{
	bytea	   *v = PG_GETARG_BYTEA_PP(1);
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, true, &kl);
	int64		newlen;

	key_check_type(&kl, k, SK_TYPE_STRING);
	newlen = (k ? k->vallen : 0) + VARSIZE_ANY_EXHDR(v);
	if (newlen > 512 * 1024 * 1024)
	{
		LWLockRelease(&kl.sh->lock);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("string exceeds maximum allowed size (proto-max-bulk-len)")));
	}
	key_log(&kl, SK_OP_APPEND, NULL, 0, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), 0);
	key_end(&kl);
	PG_RETURN_INT64(newlen);
}

PG_FUNCTION_INFO_V1(sk_append_text);
Datum
sk_append_text(PG_FUNCTION_ARGS)
{
	return append_common(fcinfo);
}

PG_FUNCTION_INFO_V1(sk_append_bytea);
Datum
sk_append_bytea(PG_FUNCTION_ARGS)
{
	return append_common(fcinfo);
}

PG_FUNCTION_INFO_V1(sk_strlen);
Datum
sk_strlen(PG_FUNCTION_ARGS)
{
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, false, &kl);
	int64		len;

	key_check_type(&kl, k, SK_TYPE_STRING);
	len = k ? k->vallen : 0;
	key_end(&kl);
	PG_RETURN_INT64(len);
}

int64
incr_common(const char *key, Size klen, int64 incr)
{
	SkCtx		c;
	uint32		h = sk_hash(key, klen);
	int			s = sk_shard_of(h);
	SkShard    *sh;
	SkKey	   *k;
	int64		cur = 0;
	int64		result;
	int64		expire_at = 0;
	char		buf[32];

	ctx_open(&c, true);
	sh = ctx_lock(&c, s, LW_EXCLUSIVE);
	k = write_lookup(&c, s, key, klen, h);
	if (k)
	{
		if (k->type != SK_TYPE_STRING)
		{
			LWLockRelease(&sh->lock);
			wrongtype();
		}
		if (!parse_ll(SkKeyValue(k), k->vallen, &cur))
		{
			LWLockRelease(&sh->lock);
			not_integer();
		}
		expire_at = k->expire_at;
	}
	if (pg_add_s64_overflow(cur, incr, &result))
	{
		LWLockRelease(&sh->lock);
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("increment or decrement would overflow")));
	}
	snprintf(buf, sizeof(buf), INT64_FORMAT, result);
	log_op(&c, s, make_op(SK_OP_SET, key, klen, NULL, 0, buf, strlen(buf), expire_at));
	LWLockRelease(&sh->lock);
	ctx_close(&c);
	return result;
}

PG_FUNCTION_INFO_V1(sk_incr);
Datum
sk_incr(PG_FUNCTION_ARGS)
{
	const char *key;
	Size		klen;

	KEYARG(0, key, klen);
	PG_RETURN_INT64(incr_common(key, klen, 1));
}

PG_FUNCTION_INFO_V1(sk_decr);
Datum
sk_decr(PG_FUNCTION_ARGS)
{
	const char *key;
	Size		klen;

	KEYARG(0, key, klen);
	PG_RETURN_INT64(incr_common(key, klen, -1));
}

PG_FUNCTION_INFO_V1(sk_incrby);
Datum
sk_incrby(PG_FUNCTION_ARGS)
{
	const char *key;
	Size		klen;

	KEYARG(0, key, klen);
	PG_RETURN_INT64(incr_common(key, klen, PG_GETARG_INT64(1)));
}

PG_FUNCTION_INFO_V1(sk_decrby);
Datum
sk_decrby(PG_FUNCTION_ARGS)
{
	const char *key;
	Size		klen;
	int64		d = PG_GETARG_INT64(1);

	KEYARG(0, key, klen);
	if (d == PG_INT64_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("decrement would overflow")));
	PG_RETURN_INT64(incr_common(key, klen, -d));
}

PG_FUNCTION_INFO_V1(sk_incrbyfloat);
Datum
sk_incrbyfloat(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	const char *key;
	Size		klen;
	char	   *incr_str = DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(1)));
	long double incr = 0;
	bool		incr_ok = parse_ld(incr_str, strlen(incr_str), &incr);
	long double cur = 0;
	uint32		h;
	int			s;
	SkShard    *sh;
	SkKey	   *k;
	int64		expire_at = 0;
	char	   *out;
	Size		outlen;

	KEYARG(0, key, klen);
	h = sk_hash(key, klen);
	s = sk_shard_of(h);
	ctx_open(&c, true);
	sh = ctx_lock(&c, s, LW_EXCLUSIVE);
	k = write_lookup(&c, s, key, klen, h);
	if (k)
	{
		if (k->type != SK_TYPE_STRING)
		{
			LWLockRelease(&sh->lock);
			wrongtype();
		}
		if (!parse_ld(SkKeyValue(k), k->vallen, &cur))
		{
			LWLockRelease(&sh->lock);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value is not a valid float")));
		}
		expire_at = k->expire_at;
	}
	if (!incr_ok)
	{
		LWLockRelease(&sh->lock);
		(void) numeric_arg_ld(PG_GETARG_DATUM(1));	/* raises the error */
	}
	cur += incr;
	if (isnan(cur) || isinf(cur))
	{
		LWLockRelease(&sh->lock);
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("increment would produce NaN or Infinity")));
	}
	out = format_ld(cur, &outlen);
	log_op(&c, s, make_op(SK_OP_SET, key, klen, NULL, 0, out, outlen, expire_at));
	LWLockRelease(&sh->lock);
	ctx_close(&c);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, outlen));
}
