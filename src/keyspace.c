/*-------------------------------------------------------------------------
 *
 * keyspace.c
 *	  The Redis-style keyspace: strings, counters, hashes and TTLs, per
 *	  database, as SQL functions in schema streamkv.
 *
 * Every write follows DESIGN.md's write path: take the key's shard lock
 * exclusively, validate against the in-memory copy, build the operation,
 * check the memory limit, apply it to memory (all allocations happen here,
 * so a failure changes nothing), then append it to the shard's chain (page
 * change + WAL record in one critical section).  If the append fails before
 * its critical section, the copy is marked for reloading from the pages.
 * Reads take the shard lock shared and copy the value out.
 *
 * Expired keys are never returned: reads compare expire_at with the clock
 * (on standbys too).  A write that meets an expired key first logs its
 * removal (SK_OP_EXPIRED), so redo never needs the clock.  The maintenance
 * worker removes expired keys actively (sk_expire_shard) and compacts
 * chains whose dead fraction is high (sk_compact_shard).
 *
 * Differences from Redis, on purpose: errors are SQL errors with SQLSTATEs
 * (42809 for WRONGTYPE, 22003 for numbers, 22023 for options, 53200 for the
 * memory limit); 1/0 replies of predicates are booleans.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/relation.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "keyspace.h"
#include "kvmem.h"

/* ------------------------------------------------------------------------
 * Context: the store relation and the database's slot
 * ------------------------------------------------------------------------
 */
typedef struct SkCtx
{
	Relation	rel;
	SkDb	   *db;
	int64		now;
} SkCtx;

static void
ctx_open(SkCtx *c, bool write)
{
	sk_check_preloaded();
	if (write)
		sk_check_writable();
	c->rel = index_open(sk_keyspace_store_oid(false),
						write ? RowExclusiveLock : AccessShareLock);
	c->db = NULL;
	c->now = sk_now_ms();
}

static void
ctx_close(SkCtx *c)
{
	index_close(c->rel, NoLock);
}

static SkShard *
ctx_lock(SkCtx *c, int shard, LWLockMode mode)
{
	sk_db_lock_shard(&c->db, c->rel, shard, mode);
	return &c->db->shards[shard];
}

#define KEYARG(n, kp, kl) \
	do { text *t_ = PG_GETARG_TEXT_PP(n); kp = VARDATA_ANY(t_); kl = VARSIZE_ANY_EXHDR(t_); } while (0)

static void
wrongtype(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("WRONGTYPE Operation against a key holding the wrong kind of value")));
}

static inline bool
key_live(SkKey *k, int64 now)
{
	return k != NULL && (k->expire_at == 0 || k->expire_at > now);
}

/* ------------------------------------------------------------------------
 * Operations
 * ------------------------------------------------------------------------
 */
static SkOpHeader *
make_op(SkOpKind kind, const char *key, Size klen, const char *field, Size flen,
		const char *val, Size vlen, int64 expire_at)
{
	SkOpHeader *op;

	if (klen > MaxAllocSize / 4 || vlen > MaxAllocHugeSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("streamkv value too large")));
	op = (SkOpHeader *) palloc_extended(MAXALIGN(sizeof(SkOpHeader) + klen + flen + vlen),
										MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	op->kind = kind;
	op->keylen = klen;
	op->fieldlen = flen;
	op->vallen = vlen;
	op->expire_at = expire_at;
	memcpy(SkOpKey(op), key, klen);
	if (flen)
		memcpy(SkOpField(op), field, flen);
	if (vlen)
		memcpy(SkOpValue(op), val, vlen);
	return op;
}

/* Applies a keyspace operation to its shard (sk_slot_log_op's callback). */
typedef struct KsApply
{
	SkDb	   *db;
	SkShard    *sh;
} KsApply;

static bool
ks_apply(void *target, const SkOpHeader *op)
{
	KsApply    *a = (KsApply *) target;

	return sk_mem_apply(a->db, a->sh, op);
}

/*
 * Logs and applies op to shard (whose lock the caller holds exclusively),
 * through the write path every kind shares (slot.c).
 */
static void
log_op(SkCtx *c, int shard, SkOpHeader *op)
{
	SkDb	   *db = c->db;
	SkShard    *sh = &db->shards[shard];
	KsApply		a = {db, sh};
	bool		frees = (op->kind == SK_OP_DEL || op->kind == SK_OP_EXPIRED ||
						 op->kind == SK_OP_HDEL || op->kind == SK_OP_EXPIRE);

	sk_slot_log_op(&db->slot, c->rel, shard, op, frees, &sh->applied_seq, ks_apply, &a);
	sh->chain_ops++;
	if (op->kind == SK_OP_EXPIRED)
		pg_atomic_fetch_add_u64(&db->expired_keys, 1);
}

/*
 * Looks a key up for writing: an expired key is removed (logged) first.
 */
static SkKey *
write_lookup(SkCtx *c, int shard, const char *key, Size klen, uint32 hash)
{
	SkKey	   *k = sk_lookup(&c->db->shards[shard], key, klen, hash);

	if (k && !key_live(k, c->now))
	{
		log_op(c, shard, make_op(SK_OP_EXPIRED, key, klen, NULL, 0, NULL, 0, 0));
		k = NULL;
	}
	return k;
}

/*
 * Locks a key's shard for reading.  On a primary, an expired key met by a
 * read is removed first (logged), as Redis's lazy expiry does, so that
 * dbsize() and scans stop counting it; a standby only hides it.
 */
static SkShard *
ctx_lock_read(SkCtx *c, const char *key, Size klen, uint32 h)
{
	int			s = sk_shard_of(h);
	SkShard    *sh = ctx_lock(c, s, LW_SHARED);
	SkKey	   *k = sk_lookup(sh, key, klen, h);

	if (k == NULL || key_live(k, c->now) || RecoveryInProgress())
		return sh;
	LWLockRelease(&sh->lock);
	sh = ctx_lock(c, s, LW_EXCLUSIVE);
	write_lookup(c, s, key, klen, h);
	LWLockRelease(&sh->lock);
	return ctx_lock(c, s, LW_SHARED);
}

/*
 * The per-key prologue shared by the single-key functions: the key in
 * argument argno, the keyspace opened and the key's shard locked --
 * exclusively for writes (an expired key is removed first), shared for
 * reads (lazy expiry as in ctx_lock_read).  key_begin returns the live key
 * or NULL; key_end releases what key_begin took.
 */
typedef struct KeyLock
{
	SkCtx		c;
	const char *key;
	Size		klen;
	uint32		h;
	int			shard;
	SkShard    *sh;
} KeyLock;

static SkKey *
key_begin(FunctionCallInfo fcinfo, int argno, bool write, KeyLock *kl)
{
	text	   *t = PG_GETARG_TEXT_PP(argno);
	SkKey	   *k;

	kl->key = VARDATA_ANY(t);
	kl->klen = VARSIZE_ANY_EXHDR(t);
	kl->h = sk_hash(kl->key, kl->klen);
	kl->shard = sk_shard_of(kl->h);
	ctx_open(&kl->c, write);
	if (write)
	{
		kl->sh = ctx_lock(&kl->c, kl->shard, LW_EXCLUSIVE);
		return write_lookup(&kl->c, kl->shard, kl->key, kl->klen, kl->h);
	}
	kl->sh = ctx_lock_read(&kl->c, kl->key, kl->klen, kl->h);
	k = sk_lookup(kl->sh, kl->key, kl->klen, kl->h);
	return key_live(k, kl->c.now) ? k : NULL;
}

static void
key_end(KeyLock *kl)
{
	LWLockRelease(&kl->sh->lock);
	ctx_close(&kl->c);
}

/* WRONGTYPE unless k (when present) has the type; releases on error. */
static void
key_check_type(KeyLock *kl, SkKey *k, uint8 type)
{
	if (k && k->type != type)
	{
		LWLockRelease(&kl->sh->lock);
		wrongtype();
	}
}

/* Logs op on the locked key's shard. */
static void
key_log(KeyLock *kl, SkOpKind kind, const char *field, Size flen,
		const char *val, Size vlen, int64 expire_at)
{
	log_op(&kl->c, kl->shard, make_op(kind, kl->key, kl->klen, field, flen, val, vlen, expire_at));
}

/* ------------------------------------------------------------------------
 * Number parsing and printing, as Redis does it
 * ------------------------------------------------------------------------
 */

/* Redis's string2ll: strict, no spaces, no '+', no leading zeros. */
static bool
parse_ll(const char *s, Size len, int64 *out)
{
	const char *p = s;
	Size		plen = 0;
	bool		neg = false;
	uint64		v;

	if (len == 0 || len > 20)
		return false;
	if (len == 1 && p[0] == '0')
	{
		*out = 0;
		return true;
	}
	if (p[0] == '-')
	{
		neg = true;
		p++;
		plen++;
		if (plen == len)
			return false;
	}
	if (p[0] < '1' || p[0] > '9')
		return false;
	v = p[0] - '0';
	p++;
	plen++;
	while (plen < len)
	{
		if (p[0] < '0' || p[0] > '9')
			return false;
		if (v > (PG_UINT64_MAX / 10))
			return false;
		v *= 10;
		if (v > (PG_UINT64_MAX - (p[0] - '0')))
			return false;
		v += p[0] - '0';
		p++;
		plen++;
	}
	if (neg)
	{
		if (v > ((uint64) (-(PG_INT64_MIN + 1)) + 1))
			return false;
		*out = (int64) (0 - v);
	}
	else
	{
		if (v > (uint64) PG_INT64_MAX)
			return false;
		*out = (int64) v;
	}
	return true;
}

/* Redis's string2ld. */
static bool
parse_ld(const char *s, Size len, long double *out)
{
	char		buf[5 * 1024];
	char	   *end;
	long double v;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (isspace((unsigned char) buf[0]))
		return false;
	errno = 0;
	v = strtold(buf, &end);
	if (*end != '\0' ||
		(errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
		isnan(v))
		return false;
	*out = v;
	return true;
}

/*
 * Redis's ld2string(LD_STR_HUMAN). Returns palloc'd text.  PostgreSQL's
 * snprintf (src/port) has no long double conversions: use the C library's.
 */
#undef snprintf
static char *
format_ld(long double v, Size *len)
{
	char		buf[5 * 1024];
	int			l;

	l = snprintf(buf, sizeof(buf), "%.17Lf", v);
	if (l < 0 || l + 1 > (int) sizeof(buf))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("increment would produce NaN or Infinity")));
	if (strchr(buf, '.') != NULL)
	{
		char	   *p = buf + l - 1;

		while (*p == '0')
		{
			p--;
			l--;
		}
		if (*p == '.')
			l--;
	}
	if (l == 2 && buf[0] == '-' && buf[1] == '0')
	{
		buf[0] = '0';
		l = 1;
	}
	*len = l;
	return pnstrdup(buf, l);
}

/* A numeric increment as a long double; NaN is refused, infinities pass. */
static long double
numeric_arg_ld(Datum num)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, num));
	long double v;

	if (!parse_ld(s, strlen(s), &v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value is not a valid float"),
				 errdetail("The increment was %s.", s)));
	return v;
}

static void
not_integer(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value is not an integer or out of range")));
}

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
static int
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
		}
		LWLockRelease(&sh->lock);
	}
	ctx_close(&c);
	PG_RETURN_INT64(count);
}

/* Redis's stringmatchlen: glob-style matching. */
static bool
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

typedef struct KeyCollect
{
	const char *pat;
	int			patlen;
	int			type;			/* 0 = any */
	int64		now;
	List	   *out;			/* of text * */
	int64		count;
} KeyCollect;

static bool
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

static Datum
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

		if (pg_strcasecmp(t, "string") == 0)
			kc.type = SK_TYPE_STRING;
		else if (pg_strcasecmp(t, "hash") == 0)
			kc.type = SK_TYPE_HASH;
		else
			kc.type = -1;		/* as Redis: an unknown type matches nothing */
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

	ctx_open(&c, true);
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

/* ------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------
 */
/*
 * The SET command.  Returns the old value (palloc'd) through *old when
 * get_old, and whether the write happened.
 */
static bool
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

static int64
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

static Datum
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
static bool
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

static Datum
string_result(char *buf, Size len, bool as_text)
{
	if (as_text)
		pg_verifymbstr(buf + VARHDRSZ, len, false);
	SET_VARSIZE(buf, VARHDRSZ + len);
	return PointerGetDatum(buf);
}

/* GET / GET as bytea / GETDEL on the key in argument 0. */
static Datum
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
static void
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

static Datum
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

static int64
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

typedef struct FieldCollect
{
	List	   *fields;
	List	   *values;
} FieldCollect;

static void
collect_field(SkField *f, void *arg)
{
	FieldCollect *fc = (FieldCollect *) arg;

	fc->fields = lappend(fc->fields, cstring_to_text_with_len(f->data, f->flen));
	fc->values = lappend(fc->values, cstring_to_text_with_len(SkFieldValue(f), f->vlen));
}

static void
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
static text *
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

/* ------------------------------------------------------------------------
 * TTL
 * ------------------------------------------------------------------------
 */
static Datum
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
static int64
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

/* ------------------------------------------------------------------------
 * Maintenance: expiry and compaction (called by the worker and compact())
 * ------------------------------------------------------------------------
 */
typedef struct ExpireCollect
{
	int64		now;
	List	   *keys;			/* of StringInfo */
} ExpireCollect;

static bool
collect_expired(SkKey *k, void *arg)
{
	ExpireCollect *ec = (ExpireCollect *) arg;

	if (k->expire_at != 0 && k->expire_at <= ec->now)
	{
		StringInfo	s = makeStringInfo();

		appendBinaryStringInfo(s, k->data, k->keylen);
		ec->keys = lappend(ec->keys, s);
	}
	return true;
}

/*
 * Removes expired keys among the next streamkv.expire_sample buckets of a
 * shard, logging each removal.  Returns the number removed.
 */
int
sk_expire_shard(Relation rel, SkDb **dbp, int shard)
{
	SkCtx		c;
	SkShard    *sh;
	ExpireCollect ec;
	ListCell   *lc;
	bool		wrapped;

	c.rel = rel;
	c.db = *dbp;
	c.now = sk_now_ms();
	sh = ctx_lock(&c, shard, LW_EXCLUSIVE);
	*dbp = c.db;
	if (sh->nvolatile == 0)
	{
		LWLockRelease(&sh->lock);
		return 0;
	}
	ec.now = c.now;
	ec.keys = NIL;
	sh->expire_cursor = sk_table_scan(sh->table, sh->expire_cursor, sk_expire_sample,
									  collect_expired, &ec, &wrapped);
	foreach(lc, ec.keys)
	{
		StringInfo	s = lfirst(lc);

		log_op(&c, shard, make_op(SK_OP_EXPIRED, s->data, s->len, NULL, 0, NULL, 0, 0));
	}
	LWLockRelease(&sh->lock);
	return list_length(ec.keys);
}

typedef struct CompactState
{
	StringInfoData buf;			/* ops waiting to be appended, MAXALIGN'd */
	Relation	rel;
	SkChainPos	pos;
	uint64		seq;
	uint64		nops;
} CompactState;

static void
compact_flush(CompactState *cs)
{
	if (cs->buf.len > 0)
		sk_chain_append(cs->rel, &cs->pos, cs->buf.data, cs->buf.len, SK_STORE_KEYSPACE);
	resetStringInfo(&cs->buf);
}

static void
compact_add(CompactState *cs, SkOpHeader *op)
{
	Size		size = MAXALIGN(SkOpSize(op));

	op->seq = cs->seq;
	appendBinaryStringInfo(&cs->buf, (char *) op, size);
	cs->nops++;
	pfree(op);
	if (cs->buf.len >= 64 * 1024)
		compact_flush(cs);
}

/* One operation of a value's snapshot (SkValueType.snapshot's emit). */
static void
compact_emit(void *arg, uint8 opkind, const SkKey *k, const char *field, Size flen,
			 const char *val, Size vlen, int64 expire_at)
{
	compact_add((CompactState *) arg, make_op(opkind, k->data, k->keylen, field, flen,
											  val, vlen, expire_at));
}

/* A key as the operations that rebuild it, from its value type (kinds.c). */
static bool
compact_key(SkKey *k, void *arg)
{
	const SkValueType *vt = sk_value_type(k->type);

	if (vt)
		vt->snapshot(k, compact_emit, arg);
	return true;
}

/*
 * Rewrites a shard's chain as one operation per live item, when force or
 * when its dead fraction passes streamkv.compact_dead_fraction.  Returns
 * whether it did.
 */
bool
sk_compact_shard(Relation rel, SkDb **dbp, int shard, bool force)
{
	SkCtx		c;
	SkShard    *sh;
	CompactState cs;
	uint64		live;
	SkMetaPageData meta;
	bool		wrapped;

	c.rel = rel;
	c.db = *dbp;
	sh = ctx_lock(&c, shard, LW_EXCLUSIVE);
	*dbp = c.db;
	live = sk_shard_live_ops(sh);
	if (sh->chain_ops <= live ||
		(!force && ((double) (sh->chain_ops - live) / sh->chain_ops < sk_compact_dead_fraction)))
	{
		LWLockRelease(&sh->lock);
		return false;
	}
	if (!force)
	{
		sk_read_meta(rel, &meta);
		if (meta.chains[shard].npages < (uint32) sk_compact_min_pages)
		{
			LWLockRelease(&sh->lock);
			return false;
		}
	}

	memset(&cs, 0, sizeof(cs));
	initStringInfo(&cs.buf);
	cs.rel = rel;
	cs.pos.chain = shard;
	cs.pos.detached = true;
	cs.pos.head = cs.pos.tail = InvalidBlockNumber;
	cs.pos.npages = 0;
	cs.seq = sh->applied_seq;
	sk_table_scan(sh->table, 0, PG_UINT32_MAX, compact_key, &cs, &wrapped);
	compact_flush(&cs);
	sk_chain_switch(rel, shard, &cs.pos, cs.seq, cs.nops);
	sh->chain_ops = cs.nops;
	c.db->compactions++;
	c.db->last_compaction = GetCurrentTimestamp();
	LWLockRelease(&sh->lock);
	pfree(cs.buf.data);
	return true;
}

PG_FUNCTION_INFO_V1(sk_compact);
Datum
sk_compact(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	int			s;
	int			n = 0;

	ctx_open(&c, true);
	for (s = 0; s < SK_NSHARDS; s++)
		if (sk_compact_shard(c.rel, &c.db, s, true))
			n++;
	ctx_close(&c);
	PG_RETURN_INT32(n);
}

/* ------------------------------------------------------------------------
 * Observability
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_info);
Datum
sk_info(PG_FUNCTION_ARGS)
{
	SkCtx		c;
	TupleDesc	tupdesc;
	Datum		values[13];
	bool		nulls[13];
	int64		strings = 0,
				hashes = 0;
	SkMetaPageData meta;
	int			s;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	ctx_open(&c, false);
	for (s = 0; s < SK_NSHARDS; s++)
	{
		SkShard    *sh = ctx_lock(&c, s, LW_SHARED);

		strings += sh->nkeys[SK_TYPE_STRING];
		hashes += sh->nkeys[SK_TYPE_HASH];
		LWLockRelease(&sh->lock);
	}
	sk_read_meta(c.rel, &meta);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(pg_atomic_read_u64(&sk_shared->mem_used));
	values[1] = Int64GetDatum(sk_max_memory_bytes());
	values[2] = Int64GetDatum(strings);
	values[3] = Int64GetDatum(hashes);
	{
		BlockNumber nblocks = RelationGetNumberOfBlocks(c.rel);

		values[4] = Int64GetDatum(nblocks);
		/* the free list, and blocks allocated ahead never used (alloc_next 0: not tracked) */
		values[5] = Int64GetDatum((int64) meta.nfree +
								  (meta.alloc_next > 0 && nblocks > meta.alloc_next ?
								   nblocks - meta.alloc_next : 0));
	}
	values[6] = Int64GetDatum(pg_atomic_read_u64(&sk_shared->wal_records));
	values[7] = Int64GetDatum(pg_atomic_read_u64(&sk_shared->wal_bytes));
	values[8] = Int64GetDatum(c.db->slot.loads);
	values[9] = Float8GetDatum(c.db->slot.last_load_ms);
	values[10] = Int64GetDatum(c.db->compactions);
	if (c.db->last_compaction == 0)
		nulls[11] = true;
	else
		values[11] = TimestampTzGetDatum(c.db->last_compaction);
	values[12] = Int64GetDatum(pg_atomic_read_u64(&c.db->expired_keys));
	ctx_close(&c);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
