/*-------------------------------------------------------------------------
 *
 * ks_expire.c
 *	  TTL commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX/XX/GT/LT),
 *	  TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
 *
 * A TTL in the past deletes the key (logged as DEL), as Redis does.
 *
 * Locking: the key's shard lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "keyspace_int.h"

/* ------------------------------------------------------------------------
 * TTL
 * ------------------------------------------------------------------------
 */
Datum
expire_common(FunctionCallInfo fcinfo, int64 unit_ms, bool relative, const char *cmd)
{
	SkCtx		c;
	const char *key;
	Size		klen;
	int64		amount;
	bool		nx,
				xx,
				gt,
				lt;
	int64		when;
	uint32		h;
	int			s;
	SkShard    *sh;
	SkKey	   *k;
	bool		result = false;
	int			i;

	for (i = 0; i < 6; i++)
		if (PG_ARGISNULL(i))
		{
			if (i < 2)
				PG_RETURN_NULL();
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("nx, xx, gt and lt must not be NULL")));
		}
	KEYARG(0, key, klen);
	amount = PG_GETARG_INT64(1);
	nx = PG_GETARG_BOOL(2);
	xx = PG_GETARG_BOOL(3);
	gt = PG_GETARG_BOOL(4);
	lt = PG_GETARG_BOOL(5);
	if (nx && (xx || gt || lt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("NX and XX, GT or LT options at the same time are not compatible")));
	if (gt && lt)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("GT and LT options at the same time are not compatible")));

	ctx_open(&c, true);
	when = checked_expire(c.now, amount, unit_ms, relative, cmd);
	h = sk_hash(key, klen);
	s = sk_shard_of(h);
	sh = ctx_lock(&c, s, LW_EXCLUSIVE);
	k = write_lookup(&c, s, key, klen, h);
	if (k)
	{
		int64		cur = k->expire_at;		/* 0 = no TTL = infinite */
		bool		ok = true;

		if (nx && cur != 0)
			ok = false;
		if (xx && cur == 0)
			ok = false;
		if (gt && (cur == 0 || when <= cur))
			ok = false;
		if (lt && cur != 0 && when >= cur)
			ok = false;
		if (ok)
		{
			if (when <= c.now)
				log_op(&c, s, make_op(SK_OP_DEL, key, klen, NULL, 0, NULL, 0, 0));
			else
				log_op(&c, s, make_op(SK_OP_EXPIRE, key, klen, NULL, 0, NULL, 0, when));
			result = true;
			SK_NOTIFY(SK_NOTIFY_GENERIC, when <= c.now ? "del" : "expire", key, klen, MyDatabaseId);
		}
	}
	LWLockRelease(&sh->lock);
	ctx_close(&c);
	PG_RETURN_BOOL(result);
}

PG_FUNCTION_INFO_V1(sk_expire);
Datum
sk_expire(PG_FUNCTION_ARGS)
{
	return expire_common(fcinfo, 1000, true, "expire");
}

PG_FUNCTION_INFO_V1(sk_pexpire);
Datum
sk_pexpire(PG_FUNCTION_ARGS)
{
	return expire_common(fcinfo, 1, true, "pexpire");
}

PG_FUNCTION_INFO_V1(sk_expireat);
Datum
sk_expireat(PG_FUNCTION_ARGS)
{
	return expire_common(fcinfo, 1000, false, "expireat");
}

PG_FUNCTION_INFO_V1(sk_pexpireat);
Datum
sk_pexpireat(PG_FUNCTION_ARGS)
{
	return expire_common(fcinfo, 1, false, "pexpireat");
}

/* Returns -2 (missing), -1 (no expiry) or the expiry in ms since epoch. */
int64
get_expire(FunctionCallInfo fcinfo, int64 *now)
{
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, false, &kl);
	int64		r = !k ? -2 : k->expire_at == 0 ? -1 : k->expire_at;

	*now = kl.c.now;
	key_end(&kl);
	return r;
}

PG_FUNCTION_INFO_V1(sk_ttl);
Datum
sk_ttl(PG_FUNCTION_ARGS)
{
	int64		now;
	int64		e = get_expire(fcinfo, &now);

	if (e < 0)
		PG_RETURN_INT64(e);
	PG_RETURN_INT64((e - now + 500) / 1000);
}

PG_FUNCTION_INFO_V1(sk_pttl);
Datum
sk_pttl(PG_FUNCTION_ARGS)
{
	int64		now;
	int64		e = get_expire(fcinfo, &now);

	if (e < 0)
		PG_RETURN_INT64(e);
	PG_RETURN_INT64(e - now);
}

PG_FUNCTION_INFO_V1(sk_expiretime);
Datum
sk_expiretime(PG_FUNCTION_ARGS)
{
	int64		now;
	int64		e = get_expire(fcinfo, &now);

	if (e < 0)
		PG_RETURN_INT64(e);
	PG_RETURN_INT64((e + 500) / 1000);
}

PG_FUNCTION_INFO_V1(sk_pexpiretime);
Datum
sk_pexpiretime(PG_FUNCTION_ARGS)
{
	int64		now;

	PG_RETURN_INT64(get_expire(fcinfo, &now));
}

PG_FUNCTION_INFO_V1(sk_persist);
Datum
sk_persist(PG_FUNCTION_ARGS)
{
	KeyLock		kl;
	SkKey	   *k = key_begin(fcinfo, 0, true, &kl);
	bool		result = false;

	if (k && k->expire_at != 0)
	{
		key_log(&kl, SK_OP_EXPIRE, NULL, 0, NULL, 0, 0);
		result = true;
	}
	key_end(&kl);
	PG_RETURN_BOOL(result);
}
