/*-------------------------------------------------------------------------
 *
 * zset_sql.c
 *	  The SQL functions of sorted sets: thin wrappers that convert Datums,
 *	  call the C API (zset.h) and build results; and the aggregate
 *	  zadd_agg, which writes one ZADD operation per page of members.
 *
 * Locking: none here (the C API takes its locks).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "zset_int.h"

/* ------------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------------
 */
static inline SkBytes
bytes_arg(FunctionCallInfo fcinfo, int n)
{
	text	   *t = PG_GETARG_TEXT_PP(n);
	SkBytes		b;

	b.p = VARDATA_ANY(t);
	b.len = VARSIZE_ANY_EXHDR(t);
	return b;
}

static void
not_null(FunctionCallInfo fcinfo, int from, int to, const char *what)
{
	int			i;

	for (i = from; i <= to; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", what)));
}

/* A text[] argument as bytes (no NULL elements). */
int
zsql_bytes_array_arg(FunctionCallInfo fcinfo, int n, const char *what, SkBytes **out)
{
	Datum	   *elems;
	int			count = text_array_arg(PG_GETARG_ARRAYTYPE_P(n), &elems, what);
	int			i;

	*out = palloc(sizeof(SkBytes) * Max(count, 1));
	for (i = 0; i < count; i++)
	{
		text	   *t = DatumGetTextPP(elems[i]);

		(*out)[i].p = VARDATA_ANY(t);
		(*out)[i].len = VARSIZE_ANY_EXHDR(t);
	}
	return count;
}

/* A float8[] argument (no NULL elements). */
int
zsql_float_array_arg(ArrayType *arr, const char *what, double **out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count,
				i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &count);
	*out = palloc(sizeof(double) * Max(count, 1));
	for (i = 0; i < count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
		(*out)[i] = DatumGetFloat8(elems[i]);
	}
	return count;
}

static int
zadd_flags(FunctionCallInfo fcinfo, int first, int nflags)
{
	static const int bits[] = {SKZ_NX, SKZ_XX, SKZ_GT, SKZ_LT, SKZ_CH};
	int			flags = 0;
	int			i;

	for (i = 0; i < nflags; i++)
	{
		if (PG_ARGISNULL(first + i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("nx, xx, gt, lt and ch must not be NULL")));
		if (PG_GETARG_BOOL(first + i))
			flags |= bits[i];
	}
	return flags;
}

/* ------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------
 */
static Datum
member_datum(const SkZItem *it)
{
	pg_verifymbstr(it->member, it->mlen, false);
	return PointerGetDatum(cstring_to_text_with_len(it->member, it->mlen));
}

/* Rows (member, score), or (key, member, score) when key is given. */
static Datum
return_items(FunctionCallInfo fcinfo, const SkZItem *items, int64 n, const SkBytes *key)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		int			c = 0;

		if (key)
			values[c++] = PointerGetDatum(cstring_to_text_with_len(key->p, key->len));
		values[c++] = member_datum(&items[i]);
		values[c++] = Float8GetDatum(items[i].score);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_zadd);
Datum
sk_zadd(PG_FUNCTION_ARGS)
{
	double		score;
	SkBytes		member;
	int			flags;

	not_null(fcinfo, 0, 2, "key, score and member");
	flags = zadd_flags(fcinfo, 3, 5);
	score = PG_GETARG_FLOAT8(1);
	member = bytes_arg(fcinfo, 2);
	PG_RETURN_INT64(skz_zadd(bytes_arg(fcinfo, 0), 1, &score, &member, flags, NULL, NULL));
}

PG_FUNCTION_INFO_V1(sk_zadd_multi);
Datum
sk_zadd_multi(PG_FUNCTION_ARGS)
{
	double	   *scores;
	SkBytes    *members;
	int			ns,
				nm,
				flags;

	not_null(fcinfo, 0, 2, "key, scores and members");
	flags = zadd_flags(fcinfo, 3, 5);
	ns = zsql_float_array_arg(PG_GETARG_ARRAYTYPE_P(1), "scores", &scores);
	nm = zsql_bytes_array_arg(fcinfo, 2, "members", &members);
	if (ns != nm)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scores and members must have the same length"),
				 errdetail("scores has %d elements, members %d.", ns, nm)));
	PG_RETURN_INT64(skz_zadd(bytes_arg(fcinfo, 0), nm, scores, members, flags, NULL, NULL));
}

PG_FUNCTION_INFO_V1(sk_zadd_incr);
Datum
sk_zadd_incr(PG_FUNCTION_ARGS)
{
	double		incr,
				result = 0;
	bool		isnull = false;
	SkBytes		member;
	int			flags;

	not_null(fcinfo, 0, 2, "key, increment and member");
	flags = zadd_flags(fcinfo, 3, 4) | SKZ_INCR;
	incr = PG_GETARG_FLOAT8(1);
	member = bytes_arg(fcinfo, 2);
	(void) skz_zadd(bytes_arg(fcinfo, 0), 1, &incr, &member, flags, &result, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}

PG_FUNCTION_INFO_V1(sk_zincrby);
Datum
sk_zincrby(PG_FUNCTION_ARGS)
{
	double		incr = PG_GETARG_FLOAT8(1),
				result = 0;
	bool		isnull = false;
	SkBytes		member = bytes_arg(fcinfo, 2);

	(void) skz_zadd(bytes_arg(fcinfo, 0), 1, &incr, &member, SKZ_INCR, &result, &isnull);
	PG_RETURN_FLOAT8(result);
}

PG_FUNCTION_INFO_V1(sk_zrem);
Datum
sk_zrem(PG_FUNCTION_ARGS)
{
	SkBytes    *members;
	int			n = zsql_bytes_array_arg(fcinfo, 1, "members", &members);

	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of arguments for 'zrem' command")));
	PG_RETURN_INT64(skz_zrem(bytes_arg(fcinfo, 0), n, members));
}

PG_FUNCTION_INFO_V1(sk_zcard);
Datum
sk_zcard(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(skz_zcard(bytes_arg(fcinfo, 0)));
}

PG_FUNCTION_INFO_V1(sk_zscore);
Datum
sk_zscore(PG_FUNCTION_ARGS)
{
	double		score;

	if (!skz_zscore(bytes_arg(fcinfo, 0), bytes_arg(fcinfo, 1), &score))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(score);
}

PG_FUNCTION_INFO_V1(sk_zmscore);
Datum
sk_zmscore(PG_FUNCTION_ARGS)
{
	SkBytes    *members;
	int			n = zsql_bytes_array_arg(fcinfo, 1, "members", &members);
	double	   *scores = palloc(sizeof(double) * Max(n, 1));
	bool	   *found = palloc(sizeof(bool) * Max(n, 1));
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n},
				lbs[1] = {1},
				i;

	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of arguments for 'zmscore' command")));
	skz_zmscore(bytes_arg(fcinfo, 0), n, members, scores, found);
	for (i = 0; i < n; i++)
	{
		d[i] = Float8GetDatum(scores[i]);
		nulls[i] = !found[i];
	}
	PG_RETURN_ARRAYTYPE_P(construct_md_array(d, nulls, 1, dims, lbs, FLOAT8OID, sizeof(float8),
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
zrank_common(FunctionCallInfo fcinfo, bool rev)
{
	int64		rank;

	if (!skz_zrank(bytes_arg(fcinfo, 0), bytes_arg(fcinfo, 1), rev, &rank))
		PG_RETURN_NULL();
	PG_RETURN_INT64(rank);
}

PG_FUNCTION_INFO_V1(sk_zrank);
Datum
sk_zrank(PG_FUNCTION_ARGS)
{
	return zrank_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(sk_zrevrank);
Datum
sk_zrevrank(PG_FUNCTION_ARGS)
{
	return zrank_common(fcinfo, true);
}

/* ------------------------------------------------------------------------
 * Ranges
 * ------------------------------------------------------------------------
 */

/* A spec from (min, max) text bounds of the kind by; rev takes (max, min). */
static void
spec_from_bounds(SkZRangeSpec *spec, SkZBy by, bool rev, SkBytes a, SkBytes b)
{
	SkBytes		min = rev ? b : a,
				max = rev ? a : b;

	memset(spec, 0, sizeof(*spec));
	spec->by = by;
	spec->rev = rev;
	spec->count = -1;
	if (by == SKZ_BY_SCORE)
		skz_parse_score_range(spec, min, max);
	else
		skz_parse_lex_range(spec, min, max);
}

/* (key, a, b, offset, count): the limit arguments at 3 and 4, when given. */
static void
spec_limit(FunctionCallInfo fcinfo, SkZRangeSpec *spec, int argno)
{
	not_null(fcinfo, argno, argno + 1, "offset and count");
	spec->offset = PG_GETARG_INT64(argno);
	spec->count = PG_GETARG_INT64(argno + 1);
}

PG_FUNCTION_INFO_V1(sk_zcount);
Datum
sk_zcount(PG_FUNCTION_ARGS)
{
	SkZRangeSpec spec;

	spec_from_bounds(&spec, SKZ_BY_SCORE, false, bytes_arg(fcinfo, 1), bytes_arg(fcinfo, 2));
	PG_RETURN_INT64(skz_zcount(bytes_arg(fcinfo, 0), &spec));
}

PG_FUNCTION_INFO_V1(sk_zlexcount);
Datum
sk_zlexcount(PG_FUNCTION_ARGS)
{
	SkZRangeSpec spec;

	spec_from_bounds(&spec, SKZ_BY_LEX, false, bytes_arg(fcinfo, 1), bytes_arg(fcinfo, 2));
	PG_RETURN_INT64(skz_zcount(bytes_arg(fcinfo, 0), &spec));
}

static Datum
zrange_rank(FunctionCallInfo fcinfo, bool rev)
{
	SkZRangeSpec spec;
	SkZItem    *items;
	int64		n;

	memset(&spec, 0, sizeof(spec));
	spec.by = SKZ_BY_RANK;
	spec.rev = rev;
	spec.start = PG_GETARG_INT64(1);
	spec.stop = PG_GETARG_INT64(2);
	items = skz_zrange(bytes_arg(fcinfo, 0), &spec, &n);
	return return_items(fcinfo, items, n, NULL);
}

static Datum
zrange_bounds(FunctionCallInfo fcinfo, SkZBy by, bool rev)
{
	SkZRangeSpec spec;
	SkZItem    *items;
	int64		n;

	not_null(fcinfo, 0, 2, "key, min and max");
	spec_from_bounds(&spec, by, rev, bytes_arg(fcinfo, 1), bytes_arg(fcinfo, 2));
	spec_limit(fcinfo, &spec, 3);
	items = skz_zrange(bytes_arg(fcinfo, 0), &spec, &n);
	return return_items(fcinfo, items, n, NULL);
}

PG_FUNCTION_INFO_V1(sk_zrange);
Datum
sk_zrange(PG_FUNCTION_ARGS)
{
	return zrange_rank(fcinfo, false);
}

PG_FUNCTION_INFO_V1(sk_zrevrange);
Datum
sk_zrevrange(PG_FUNCTION_ARGS)
{
	return zrange_rank(fcinfo, true);
}

PG_FUNCTION_INFO_V1(sk_zrangebyscore);
Datum
sk_zrangebyscore(PG_FUNCTION_ARGS)
{
	return zrange_bounds(fcinfo, SKZ_BY_SCORE, false);
}

PG_FUNCTION_INFO_V1(sk_zrevrangebyscore);
Datum
sk_zrevrangebyscore(PG_FUNCTION_ARGS)
{
	return zrange_bounds(fcinfo, SKZ_BY_SCORE, true);
}

PG_FUNCTION_INFO_V1(sk_zrangebylex);
Datum
sk_zrangebylex(PG_FUNCTION_ARGS)
{
	return zrange_bounds(fcinfo, SKZ_BY_LEX, false);
}

PG_FUNCTION_INFO_V1(sk_zrevrangebylex);
Datum
sk_zrevrangebylex(PG_FUNCTION_ARGS)
{
	return zrange_bounds(fcinfo, SKZ_BY_LEX, true);
}

/* Redis's string2ll for a rank given as text. */
static int64
rank_arg(SkBytes b)
{
	int64		v;

	if (!parse_ll(b.p, b.len, &v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value is not an integer or out of range")));
	return v;
}

/* zrangestore(dst, src, min, max, by, rev, offset, count) */
PG_FUNCTION_INFO_V1(sk_zrangestore);
Datum
sk_zrangestore(PG_FUNCTION_ARGS)
{
	SkZRangeSpec spec;
	char	   *by;
	bool		rev;
	SkZBy		kind;

	not_null(fcinfo, 0, 7, "zrangestore's arguments");
	by = text_to_cstring(PG_GETARG_TEXT_PP(4));
	rev = PG_GETARG_BOOL(5);
	if (pg_strcasecmp(by, "rank") == 0)
		kind = SKZ_BY_RANK;
	else if (pg_strcasecmp(by, "score") == 0)
		kind = SKZ_BY_SCORE;
	else if (pg_strcasecmp(by, "lex") == 0)
		kind = SKZ_BY_LEX;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("by must be 'rank', 'score' or 'lex', not \"%s\"", by)));
	if (kind == SKZ_BY_RANK)
	{
		memset(&spec, 0, sizeof(spec));
		spec.by = SKZ_BY_RANK;
		spec.rev = rev;
		spec.start = rank_arg(bytes_arg(fcinfo, 2));
		spec.stop = rank_arg(bytes_arg(fcinfo, 3));
		/* as Redis: only a count other than -1 makes LIMIT an error here */
		if (PG_GETARG_INT64(7) != -1)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")));
	}
	else
	{
		spec_from_bounds(&spec, kind, rev, bytes_arg(fcinfo, 2), bytes_arg(fcinfo, 3));
		spec_limit(fcinfo, &spec, 6);
	}
	PG_RETURN_INT64(skz_zrangestore(bytes_arg(fcinfo, 0), bytes_arg(fcinfo, 1), &spec));
}

PG_FUNCTION_INFO_V1(sk_zremrangebyrank);
Datum
sk_zremrangebyrank(PG_FUNCTION_ARGS)
{
	SkZRangeSpec spec;

	memset(&spec, 0, sizeof(spec));
	spec.by = SKZ_BY_RANK;
	spec.start = PG_GETARG_INT64(1);
	spec.stop = PG_GETARG_INT64(2);
	PG_RETURN_INT64(skz_zremrange(bytes_arg(fcinfo, 0), &spec));
}

PG_FUNCTION_INFO_V1(sk_zremrangebyscore);
Datum
sk_zremrangebyscore(PG_FUNCTION_ARGS)
{
	SkZRangeSpec spec;

	spec_from_bounds(&spec, SKZ_BY_SCORE, false, bytes_arg(fcinfo, 1), bytes_arg(fcinfo, 2));
	PG_RETURN_INT64(skz_zremrange(bytes_arg(fcinfo, 0), &spec));
}

PG_FUNCTION_INFO_V1(sk_zremrangebylex);
Datum
sk_zremrangebylex(PG_FUNCTION_ARGS)
{
	SkZRangeSpec spec;

	spec_from_bounds(&spec, SKZ_BY_LEX, false, bytes_arg(fcinfo, 1), bytes_arg(fcinfo, 2));
	PG_RETURN_INT64(skz_zremrange(bytes_arg(fcinfo, 0), &spec));
}

/* ------------------------------------------------------------------------
 * Pops and random members
 * ------------------------------------------------------------------------
 */
static Datum
zpop_common(FunctionCallInfo fcinfo, bool max)
{
	int64		n;
	SkZItem    *items = skz_zpop(bytes_arg(fcinfo, 0), max, PG_GETARG_INT64(1), &n);

	return return_items(fcinfo, items, n, NULL);
}

PG_FUNCTION_INFO_V1(sk_zpopmin);
Datum
sk_zpopmin(PG_FUNCTION_ARGS)
{
	return zpop_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(sk_zpopmax);
Datum
sk_zpopmax(PG_FUNCTION_ARGS)
{
	return zpop_common(fcinfo, true);
}

PG_FUNCTION_INFO_V1(sk_zrandmember);
Datum
sk_zrandmember(PG_FUNCTION_ARGS)
{
	int64		n;
	SkZItem    *items;

	not_null(fcinfo, 0, 0, "key");
	items = skz_zrandmember(bytes_arg(fcinfo, 0), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1),
							!PG_ARGISNULL(1), &n);
	return return_items(fcinfo, items, n, NULL);
}

static Datum
bzpop_common(FunctionCallInfo fcinfo, bool max)
{
	SkBytes    *keys;
	int			n = zsql_bytes_array_arg(fcinfo, 0, "keys", &keys);
	int			which;
	SkZItem		item;

	if (!skz_bzpop(n, keys, max, PG_GETARG_INT32(1), &which, &item))
		return return_items(fcinfo, NULL, 0, &keys[0]);
	return return_items(fcinfo, &item, 1, &keys[which]);
}

PG_FUNCTION_INFO_V1(sk_bzpopmin);
Datum
sk_bzpopmin(PG_FUNCTION_ARGS)
{
	return bzpop_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(sk_bzpopmax);
Datum
sk_bzpopmax(PG_FUNCTION_ARGS)
{
	return bzpop_common(fcinfo, true);
}

/* ------------------------------------------------------------------------
 * Set operations
 * ------------------------------------------------------------------------
 */
static SkZAgg
agg_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *a;

	not_null(fcinfo, argno, argno, "aggregate");
	a = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (pg_strcasecmp(a, "sum") == 0)
		return SKZ_SUM;
	if (pg_strcasecmp(a, "min") == 0)
		return SKZ_MIN;
	if (pg_strcasecmp(a, "max") == 0)
		return SKZ_MAX;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("aggregate must be 'sum', 'min' or 'max', not \"%s\"", a)));
	return SKZ_SUM;				/* keep the compiler quiet */
}

static double *
weights_arg(FunctionCallInfo fcinfo, int argno, int nkeys)
{
	double	   *w;
	int			n,
				i;

	if (PG_ARGISNULL(argno))
		return NULL;
	n = zsql_float_array_arg(PG_GETARG_ARRAYTYPE_P(argno), "weights", &w);
	if (n != nkeys)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("syntax error"),
				 errdetail("weights has %d elements for %d keys.", n, nkeys)));
	for (i = 0; i < n; i++)
		if (isnan(w[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weight value is not a float")));
	return w;
}

/* (keys, weights, aggregate) or (dst, keys, weights, aggregate) */
static Datum
setop_common(FunctionCallInfo fcinfo, SkZSetOp op, bool store)
{
	int			k0 = store ? 1 : 0;
	SkBytes    *keys;
	int			n;
	double	   *w = NULL;
	SkZAgg		how = SKZ_SUM;
	int64		count;
	SkZItem    *items;

	not_null(fcinfo, 0, k0, store ? "dst and keys" : "keys");
	n = zsql_bytes_array_arg(fcinfo, k0, "keys", &keys);
	if (op != SKZ_DIFF)
	{
		w = weights_arg(fcinfo, k0 + 1, n);
		how = agg_arg(fcinfo, k0 + 2);
	}
	if (store)
		PG_RETURN_INT64(skz_zsetop_store(bytes_arg(fcinfo, 0), op, n, keys, w, how));
	items = skz_zsetop(op, n, keys, w, how, &count);
	return return_items(fcinfo, items, count, NULL);
}

PG_FUNCTION_INFO_V1(sk_zunionstore);
Datum
sk_zunionstore(PG_FUNCTION_ARGS)
{
	return setop_common(fcinfo, SKZ_UNION, true);
}

PG_FUNCTION_INFO_V1(sk_zinterstore);
Datum
sk_zinterstore(PG_FUNCTION_ARGS)
{
	return setop_common(fcinfo, SKZ_INTER, true);
}

PG_FUNCTION_INFO_V1(sk_zdiffstore);
Datum
sk_zdiffstore(PG_FUNCTION_ARGS)
{
	return setop_common(fcinfo, SKZ_DIFF, true);
}

PG_FUNCTION_INFO_V1(sk_zunion);
Datum
sk_zunion(PG_FUNCTION_ARGS)
{
	return setop_common(fcinfo, SKZ_UNION, false);
}

PG_FUNCTION_INFO_V1(sk_zinter);
Datum
sk_zinter(PG_FUNCTION_ARGS)
{
	return setop_common(fcinfo, SKZ_INTER, false);
}

PG_FUNCTION_INFO_V1(sk_zdiff);
Datum
sk_zdiff(PG_FUNCTION_ARGS)
{
	return setop_common(fcinfo, SKZ_DIFF, false);
}

PG_FUNCTION_INFO_V1(sk_zintercard);
Datum
sk_zintercard(PG_FUNCTION_ARGS)
{
	SkBytes    *keys;
	int			n = zsql_bytes_array_arg(fcinfo, 0, "keys", &keys);

	PG_RETURN_INT64(skz_zintercard(n, keys, PG_GETARG_INT64(1)));
}

/* zscan(key, cursor, match, count, OUT next_cursor, OUT members, OUT scores) */
PG_FUNCTION_INFO_V1(sk_zscan);
Datum
sk_zscan(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	SkBytes		pat = {NULL, 0};
	SkZItem    *items;
	int64		n,
				i;
	uint64		next;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	Datum	   *m,
			   *s;
	int			dims[1],
				lbs[1] = {1};

	not_null(fcinfo, 0, 1, "key and cursor");
	not_null(fcinfo, 3, 3, "count");
	if (PG_GETARG_INT64(1) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cursor")));
	if (!PG_ARGISNULL(2))
		pat = bytes_arg(fcinfo, 2);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	next = skz_zscan(bytes_arg(fcinfo, 0), (uint64) PG_GETARG_INT64(1), pat, !PG_ARGISNULL(2),
					 PG_GETARG_INT32(3), &items, &n);
	m = palloc(sizeof(Datum) * Max(n, 1));
	s = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		m[i] = member_datum(&items[i]);
		s[i] = Float8GetDatum(items[i].score);
	}
	dims[0] = (int) n;
	values[0] = Int64GetDatum((int64) (next & PG_INT64_MAX));
	values[1] = PointerGetDatum(construct_md_array(m, NULL, 1, dims, lbs, TEXTOID, -1, false,
												   TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_md_array(s, NULL, 1, dims, lbs, FLOAT8OID, sizeof(float8),
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ------------------------------------------------------------------------
 * zadd_agg(key, score, member): members gathered a page at a time, each
 * page one ZADD (one operation, one WAL record); the final function adds
 * the rest and returns the members added.
 * ------------------------------------------------------------------------
 */
#define ZADD_AGG_BYTES	7000	/* about a page of entries */


static void
zadd_agg_flush(ZAddAgg *st)
{
	SkBytes		key;
	int			i;
	Size		off = 0;

	if (st->n == 0)
		return;
	key.p = st->key.data;
	key.len = st->key.len;
	/* members point into bytes, which may have moved when it grew */
	for (i = 0; i < st->n; i++)
	{
		st->members[i].p = st->bytes.data + off;
		off += st->members[i].len;
	}
	st->added += skz_zadd(key, st->n, st->scores, st->members, 0, NULL, NULL);
	st->n = 0;
	resetStringInfo(&st->bytes);
}

/*
 * One row of zadd_agg (or geoadd_agg, geo_set_sql.c): state is the
 * aggregate's state or NULL for the first row; returns the state.
 */
ZAddAgg *
zadd_agg_step(ZAddAgg *st, MemoryContext aggcxt, SkBytes key, double score, SkBytes member)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);

	if (st == NULL)
	{
		st = palloc0(sizeof(ZAddAgg));
		st->cxt = aggcxt;
		initStringInfo(&st->key);
		appendBinaryStringInfo(&st->key, key.p, key.len);
		initStringInfo(&st->bytes);
		st->cap = 64;
		st->scores = palloc(sizeof(double) * st->cap);
		st->members = palloc(sizeof(SkBytes) * st->cap);
	}
	if ((Size) st->key.len != key.len || memcmp(st->key.data, key.p, key.len) != 0)
	{
		/* another key: what was gathered goes to the old one first */
		zadd_agg_flush(st);
		resetStringInfo(&st->key);
		appendBinaryStringInfo(&st->key, key.p, key.len);
	}
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->scores = repalloc(st->scores, sizeof(double) * st->cap);
		st->members = repalloc(st->members, sizeof(SkBytes) * st->cap);
	}
	st->scores[st->n] = score;
	st->members[st->n].len = member.len;
	appendBinaryStringInfo(&st->bytes, member.p, member.len);
	st->n++;
	MemoryContextSwitchTo(old);
	if ((Size) st->bytes.len + st->n * 12 >= ZADD_AGG_BYTES)
		zadd_agg_flush(st);
	return st;
}

PG_FUNCTION_INFO_V1(sk_zadd_agg_trans);
Datum
sk_zadd_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "zadd_agg called in a non-aggregate context");
	not_null(fcinfo, 1, 3, "key, score and member");
	if (isnan(PG_GETARG_FLOAT8(2)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value is not a valid float")));
	PG_RETURN_POINTER(zadd_agg_step(PG_ARGISNULL(0) ? NULL : (ZAddAgg *) PG_GETARG_POINTER(0),
									aggcxt, bytes_arg(fcinfo, 1), PG_GETARG_FLOAT8(2),
									bytes_arg(fcinfo, 3)));
}

PG_FUNCTION_INFO_V1(sk_zadd_agg_final);
Datum
sk_zadd_agg_final(PG_FUNCTION_ARGS)
{
	ZAddAgg    *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	st = (ZAddAgg *) PG_GETARG_POINTER(0);
	zadd_agg_flush(st);
	PG_RETURN_INT64(st->added);
}
