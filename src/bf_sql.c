/*-------------------------------------------------------------------------
 *
 * bf_sql.c
 *	  The SQL functions of named bloom filters (bf_*): thin wrappers that
 *	  convert Datums, call the C API (bf.h) and build results; and the
 *	  aggregate bf_add_agg, which writes one BFADD operation per page of
 *	  item hashes.
 *
 * Text items are hashed as their bytes, so 'abc' and 'abc'::bytea are the
 * same item (as in the bloom type, bloom_sql.c).  One C function serves
 * the text and the bytea overload of each SQL function: both are varlenas.
 *
 * Locking: none here (the C API takes its locks).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "keyspace_int.h"
#include "bf.h"

/* ------------------------------------------------------------------------
 * Arguments and results
 * ------------------------------------------------------------------------
 */
static inline SkBytes
bytes_arg(FunctionCallInfo fcinfo, int n)
{
	struct varlena *v = PG_GETARG_VARLENA_PP(n);
	SkBytes		b;

	b.p = VARDATA_ANY(v);
	b.len = VARSIZE_ANY_EXHDR(v);
	return b;
}

/* A text[] or bytea[] of items (one-dimensional, no NULL, not empty). */
static int
items_arg(FunctionCallInfo fcinfo, int n, const char *cmd, SkBytes **out)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(n);
	Datum	   *elems;
	bool	   *nulls;
	int			count,
				i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("items must be a one-dimensional array")));
	deconstruct_array(arr, ARR_ELEMTYPE(arr), -1, false, TYPALIGN_INT, &elems, &nulls, &count);
	if (count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of arguments for '%s' command", cmd)));
	*out = palloc(sizeof(SkBytes) * count);
	for (i = 0; i < count; i++)
	{
		struct varlena *v;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("items must not contain NULL")));
		v = PG_DETOAST_DATUM_PACKED(elems[i]);
		(*out)[i].p = VARDATA_ANY(v);
		(*out)[i].len = VARSIZE_ANY_EXHDR(v);
	}
	return count;
}

static Datum
bool_array(const bool *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = BoolGetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, BOOLOID, 1, true, TYPALIGN_CHAR));
}

/* ------------------------------------------------------------------------
 * Writes
 * ------------------------------------------------------------------------
 */

/* bf_reserve(key, error_rate, capacity, expansion DEFAULT 2, nonscaling DEFAULT false) */
PG_FUNCTION_INFO_V1(sk_bf_reserve);
Datum
sk_bf_reserve(PG_FUNCTION_ARGS)
{
	int32		expansion = PG_GETARG_INT32(3);

	/* EXPANSION counts as given when it is not the default */
	skbf_reserve(bytes_arg(fcinfo, 0), PG_GETARG_FLOAT8(1), PG_GETARG_INT64(2), expansion,
				 PG_GETARG_BOOL(4), expansion != SKBF_DEFAULT_EXPANSION);
	PG_RETURN_TEXT_P(cstring_to_text("OK"));
}

/* bf_add(key, item text|bytea) */
PG_FUNCTION_INFO_V1(sk_bf_add);
Datum
sk_bf_add(PG_FUNCTION_ARGS)
{
	SkBytes		item = bytes_arg(fcinfo, 1);
	bool		added;

	skbf_add(bytes_arg(fcinfo, 0), 1, &item, NULL, false, &added);
	PG_RETURN_BOOL(added);
}

/* bf_madd(key, VARIADIC items text[]|bytea[]) */
PG_FUNCTION_INFO_V1(sk_bf_madd);
Datum
sk_bf_madd(PG_FUNCTION_ARGS)
{
	SkBytes    *items;
	int			n = items_arg(fcinfo, 1, "bf.madd", &items);
	bool	   *added = palloc(sizeof(bool) * n);

	skbf_add(bytes_arg(fcinfo, 0), n, items, NULL, false, added);
	PG_RETURN_DATUM(bool_array(added, n));
}

/* bf_insert(key, items, capacity, error, expansion, nocreate, nonscaling) */
PG_FUNCTION_INFO_V1(sk_bf_insert);
Datum
sk_bf_insert(PG_FUNCTION_ARGS)
{
	SkBytes    *items;
	int			n = items_arg(fcinfo, 1, "bf.insert", &items);
	int64		capacity = PG_GETARG_INT64(2);
	double		error = PG_GETARG_FLOAT8(3);
	int32		expansion = PG_GETARG_INT32(4);
	bool		nocreate = PG_GETARG_BOOL(5);
	bool	   *added = palloc(sizeof(bool) * n);
	SkBfParams	p;

	/* RedisBloom checks these whether or not the filter exists */
	if (isnan(error) || error <= 0 || error >= 1 || capacity < 1 || expansion < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Bad argument received")));
	memset(&p, 0, sizeof(p));
	p.error = error;
	p.capacity = (uint64) capacity;
	p.expansion = (uint32) expansion;
	p.flags = PG_GETARG_BOOL(6) ? SKBF_NONSCALING : 0;
	skbf_add(bytes_arg(fcinfo, 0), n, items, &p, nocreate, added);
	PG_RETURN_DATUM(bool_array(added, n));
}

/* ------------------------------------------------------------------------
 * Reads
 * ------------------------------------------------------------------------
 */

/* bf_exists(key, item text|bytea) */
PG_FUNCTION_INFO_V1(sk_bf_exists);
Datum
sk_bf_exists(PG_FUNCTION_ARGS)
{
	SkBytes		item = bytes_arg(fcinfo, 1);
	bool		found;

	skbf_exists(bytes_arg(fcinfo, 0), 1, &item, &found);
	PG_RETURN_BOOL(found);
}

/* bf_mexists(key, VARIADIC items text[]|bytea[]) */
PG_FUNCTION_INFO_V1(sk_bf_mexists);
Datum
sk_bf_mexists(PG_FUNCTION_ARGS)
{
	SkBytes    *items;
	int			n = items_arg(fcinfo, 1, "bf.mexists", &items);
	bool	   *found = palloc(sizeof(bool) * n);

	skbf_exists(bytes_arg(fcinfo, 0), n, items, found);
	PG_RETURN_DATUM(bool_array(found, n));
}

/* bf_info(key) → (capacity, size, filters, items, expansion) */
PG_FUNCTION_INFO_V1(sk_bf_info);
Datum
sk_bf_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	SkBfInfo	info;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	skbf_info(bytes_arg(fcinfo, 0), &info);
	values[0] = Int64GetDatum(info.capacity);
	values[1] = Int64GetDatum(info.size);
	values[2] = Int64GetDatum(info.filters);
	values[3] = Int64GetDatum(info.items);
	values[4] = Int64GetDatum(info.expansion);
	nulls[4] = info.nonscaling;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* bf_card(key) */
PG_FUNCTION_INFO_V1(sk_bf_card);
Datum
sk_bf_card(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(skbf_card(bytes_arg(fcinfo, 0)));
}

/* bf_debug(key) → setof (filter, bytes, bits, hashes, capacity, items, error_rate) */
PG_FUNCTION_INFO_V1(sk_bf_debug);
Datum
sk_bf_debug(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		total;
	int			n,
				i;
	SkBfLinkInfo *links;

	links = skbf_debug(bytes_arg(fcinfo, 0), &total, &n);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};

		values[0] = Int32GetDatum(i);
		values[1] = Int64GetDatum(links[i].bytes);
		values[2] = Int64GetDatum(links[i].bits);
		values[3] = Int32GetDatum(links[i].hashes);
		values[4] = Int64GetDatum(links[i].capacity);
		values[5] = Int64GetDatum(links[i].items);
		values[6] = Float8GetDatum(links[i].error);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* bf_scandump(key, iter) → (next_iter, data) */
PG_FUNCTION_INFO_V1(sk_bf_scandump);
Datum
sk_bf_scandump(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	char	   *data;
	Size		len;
	int64		next;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	next = skbf_scandump(bytes_arg(fcinfo, 0), PG_GETARG_INT64(1), &data, &len);
	values[0] = Int64GetDatum(next);
	if (data == NULL)
		nulls[1] = true;
	else
	{
		bytea	   *b = palloc(VARHDRSZ + len);

		SET_VARSIZE(b, VARHDRSZ + len);
		memcpy(VARDATA(b), data, len);
		values[1] = PointerGetDatum(b);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* ------------------------------------------------------------------------
 * bf_add_agg(key, item): item hashes gathered a page at a time, each page
 * one BFADD (one operation, one WAL record); the final function adds the
 * rest and returns the items that were new.
 * ------------------------------------------------------------------------
 */
#define BF_AGG_ITEMS	448		/* 7,168 bytes of hashes: about a page */

typedef struct BfAddAgg
{
	StringInfoData key;
	int			n;
	SkBloomHash h[BF_AGG_ITEMS];
	bool		added[BF_AGG_ITEMS];
	int64		nadded;
} BfAddAgg;

static void
bf_agg_flush(BfAddAgg *st)
{
	SkBytes		key;
	int			i;

	if (st->n == 0)
		return;
	key.p = st->key.data;
	key.len = st->key.len;
	skbf_add_hashes(key, st->n, st->h, NULL, false, st->added);
	for (i = 0; i < st->n; i++)
		st->nadded += st->added[i];
	st->n = 0;
}

PG_FUNCTION_INFO_V1(sk_bf_add_agg_trans);
Datum
sk_bf_add_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	BfAddAgg   *st;
	SkBytes		key,
				item;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "bf_add_agg called in a non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (BfAddAgg *) PG_GETARG_POINTER(0);
	/* NULL keys or items are skipped, as aggregates skip NULLs */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	key = bytes_arg(fcinfo, 1);
	item = bytes_arg(fcinfo, 2);
	if (st == NULL)
	{
		st = MemoryContextAllocZero(aggcxt, sizeof(BfAddAgg));
		st->key.data = MemoryContextAlloc(aggcxt, key.len + 1);
		st->key.maxlen = key.len + 1;
		appendBinaryStringInfo(&st->key, key.p, key.len);
	}
	else if ((Size) st->key.len != key.len || memcmp(st->key.data, key.p, key.len) != 0)
	{
		MemoryContext old;

		/* another key: what was gathered goes to the old one first */
		bf_agg_flush(st);
		old = MemoryContextSwitchTo(aggcxt);
		resetStringInfo(&st->key);
		appendBinaryStringInfo(&st->key, key.p, key.len);
		MemoryContextSwitchTo(old);
	}
	st->h[st->n++] = sk_bloom_hash(item.p, item.len);
	if (st->n == BF_AGG_ITEMS)
		bf_agg_flush(st);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(sk_bf_add_agg_final);
Datum
sk_bf_add_agg_final(PG_FUNCTION_ARGS)
{
	BfAddAgg   *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	st = (BfAddAgg *) PG_GETARG_POINTER(0);
	bf_agg_flush(st);
	PG_RETURN_INT64(st->nadded);
}
