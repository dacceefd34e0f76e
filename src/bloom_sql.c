/*-------------------------------------------------------------------------
 *
 * bloom_sql.c
 *	  The streamkv.bloom type: a bloom filter as a value that can be stored
 *	  in a table column, with its I/O functions, bloom_new, bloom_add,
 *	  bloom_contains (and the @> operator), bloom_union, bloom_info and the
 *	  bloom_agg aggregate.
 *
 *	  Design: a bloom value is a varlena holding a fixed header (format
 *	  version, capacity, error rate, bits, hashes, items added) followed by
 *	  the bitmap, whose bit math is in bloom.c.  The shape (bits, hashes) is
 *	  a function of (capacity, error rate); input functions recompute it and
 *	  reject values that disagree.  "items" counts additions that set at
 *	  least one new bit (RedisBloom's BF.ADD returning 1); bloom_union adds
 *	  the two counts, which makes it an upper bound.
 *
 *	  bloom_add returns a modified copy; inside bloom_agg the transition
 *	  value is modified in place.  bloom_contains keeps the last detoasted
 *	  filter in fn_extra, keyed by its TOAST pointer, so that probing many
 *	  items against one stored filter detoasts it once per query rather
 *	  than once per item (TOAST values are immutable, so the key cannot go
 *	  stale).
 *
 *	  Locking: none; values are private to the backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "access/htup_details.h"
#include "common/base64.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "bloom.h"

/* on-disk/on-wire format version of the bloom type */
#define SK_BLOOM_VERSION	1

typedef struct SkBloom
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;		/* SK_BLOOM_VERSION */
	uint8		flags;			/* unused, 0 */
	uint16		unused;			/* 0 */
	uint32		hashes;			/* k */
	uint64		capacity;		/* requested capacity */
	float8		error_rate;		/* requested false-positive rate */
	uint64		bits;			/* m, a multiple of 64 */
	uint64		items;			/* additions that set a new bit */
	uint8		data[FLEXIBLE_ARRAY_MEMBER];	/* bits / 8 bytes */
} SkBloom;

#define BLOOM_HDRSZ			offsetof(SkBloom, data)
#define BLOOM_NBYTES(f)		((size_t) ((f)->bits / 8))

#define DatumGetBloomP(X)		((SkBloom *) PG_DETOAST_DATUM(X))
#define DatumGetBloomPCopy(X)	((SkBloom *) PG_DETOAST_DATUM_COPY(X))
#define PG_GETARG_BLOOM_P(n)	DatumGetBloomP(PG_GETARG_DATUM(n))
#define PG_GETARG_BLOOM_P_COPY(n) DatumGetBloomPCopy(PG_GETARG_DATUM(n))

PG_FUNCTION_INFO_V1(sk_bloom_in);
PG_FUNCTION_INFO_V1(sk_bloom_out);
PG_FUNCTION_INFO_V1(sk_bloom_recv);
PG_FUNCTION_INFO_V1(sk_bloom_send);
PG_FUNCTION_INFO_V1(sk_bloom_new);
PG_FUNCTION_INFO_V1(sk_bloom_add_sql);
PG_FUNCTION_INFO_V1(sk_bloom_contains);
PG_FUNCTION_INFO_V1(sk_bloom_union);
PG_FUNCTION_INFO_V1(sk_bloom_info);
PG_FUNCTION_INFO_V1(sk_bloom_agg_trans);
PG_FUNCTION_INFO_V1(sk_bloom_agg_combine);

/*
 * Check capacity and error rate and compute the shape; ereports 22023 on
 * bad arguments and 54000 on a filter too large.
 */
static void
bloom_check_shape(int64 capacity, double error_rate, uint64 *bits,
				  uint32 *hashes)
{
	if (capacity < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bloom filter capacity must be positive"),
				 errdetail("Capacity " INT64_FORMAT " is not greater than 0.", capacity)));
	if (!(error_rate > 0.0 && error_rate < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bloom filter error rate must be between 0 and 1"),
				 errdetail("Error rate %s is not in the open interval (0, 1).",
						   float8out_internal(error_rate))));
	if (!sk_bloom_size((uint64) capacity, error_rate, bits, hashes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("bloom filter too large"),
				 errdetail("Capacity " INT64_FORMAT " at error rate %s needs more than %llu bits.",
						   capacity, float8out_internal(error_rate),
						   (unsigned long long) SK_BLOOM_MAX_BITS),
				 errhint("Use a smaller capacity or a larger error rate.")));
}

/* a new, empty filter in CurrentMemoryContext */
static SkBloom *
bloom_create(int64 capacity, double error_rate)
{
	uint64		bits;
	uint32		hashes;
	SkBloom    *f;

	bloom_check_shape(capacity, error_rate, &bits, &hashes);
	f = (SkBloom *) palloc0(BLOOM_HDRSZ + bits / 8);
	SET_VARSIZE(f, BLOOM_HDRSZ + bits / 8);
	f->version = SK_BLOOM_VERSION;
	f->hashes = hashes;
	f->capacity = (uint64) capacity;
	f->error_rate = error_rate;
	f->bits = bits;
	f->items = 0;
	return f;
}

/*
 * Validate a header read from outside (text or binary input); errcode is
 * 22P02 or 22P03.  nbytes is the size of the bitmap that came with it.
 */
static void
bloom_validate_input(const SkBloom *f, size_t nbytes, int errcode_)
{
	uint64		bits;
	uint32		hashes;

	if (f->version != SK_BLOOM_VERSION)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid bloom filter"),
				 errdetail("Format version %d is not supported.", f->version)));
	if (f->capacity < 1 || f->capacity > (uint64) PG_INT64_MAX ||
		!(f->error_rate > 0.0 && f->error_rate < 1.0) ||
		!sk_bloom_size(f->capacity, f->error_rate, &bits, &hashes))
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid bloom filter"),
				 errdetail("Capacity %llu and error rate %s do not make a valid filter.",
						   (unsigned long long) f->capacity,
						   float8out_internal(f->error_rate))));
	if (bits != f->bits || hashes != f->hashes || nbytes != bits / 8)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid bloom filter"),
				 errdetail("Capacity %llu and error rate %s make %llu bits and %u hashes, not %llu bits and %u hashes with %zu bytes of data.",
						   (unsigned long long) f->capacity,
						   float8out_internal(f->error_rate),
						   (unsigned long long) bits, hashes,
						   (unsigned long long) f->bits, f->hashes, nbytes)));
}

/*
 * Text form: bloom(v1,capacity=C,error_rate=P,bits=M,hashes=K,items=N):B
 * where B is the bitmap in base64.
 */
Datum
sk_bloom_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int			version;
	unsigned long long capacity,
				bits,
				items;
	unsigned int hashes;
	double		error_rate;
	int			consumed = -1;
	SkBloom		hdr;
	SkBloom    *f;
	size_t		b64len;
	int			declen;

	if (sscanf(str, "bloom(v%d,capacity=%llu,error_rate=%lf,bits=%llu,hashes=%u,items=%llu):%n",
			   &version, &capacity, &error_rate, &bits, &hashes, &items,
			   &consumed) != 6 || consumed < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%.60s\"", "bloom", str),
				 errdetail("Expected bloom(v1,capacity=C,error_rate=P,bits=M,hashes=K,items=N):BASE64.")));

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = (uint8) Min(version, 255);
	hdr.capacity = capacity;
	hdr.error_rate = error_rate;
	hdr.bits = bits;
	hdr.hashes = hashes;
	hdr.items = items;
	b64len = strlen(str + consumed);
	if (version < 0 || b64len > (size_t) PG_INT32_MAX)
		hdr.version = 0;
	bloom_validate_input(&hdr, (b64len / 4) * 3 -
						 (b64len >= 1 && str[consumed + b64len - 1] == '=') -
						 (b64len >= 2 && str[consumed + b64len - 2] == '='),
						 ERRCODE_INVALID_TEXT_REPRESENTATION);
	if (b64len % 4 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid bloom filter"),
				 errdetail("The base64 data has a length that is not a multiple of 4.")));

	f = (SkBloom *) palloc0(BLOOM_HDRSZ + bits / 8 + 3);
	memcpy(f, &hdr, BLOOM_HDRSZ);
	SET_VARSIZE(f, BLOOM_HDRSZ + bits / 8);
	declen = pg_b64_decode(str + consumed, (int) b64len, (char *) f->data,
						   (int) (bits / 8 + 3));
	if (declen != (int) (bits / 8))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid bloom filter"),
				 errdetail("The base64 data is invalid or does not hold %llu bytes.",
						   bits / 8)));
	PG_RETURN_POINTER(f);
}

Datum
sk_bloom_out(PG_FUNCTION_ARGS)
{
	SkBloom    *f = PG_GETARG_BLOOM_P(0);
	StringInfoData buf;
	int			enclen = pg_b64_enc_len((int) BLOOM_NBYTES(f));
	int			n;

	initStringInfo(&buf);
	appendStringInfo(&buf, "bloom(v%d,capacity=%llu,error_rate=%s,bits=%llu,hashes=%u,items=%llu):",
					 f->version, (unsigned long long) f->capacity,
					 float8out_internal(f->error_rate),
					 (unsigned long long) f->bits, f->hashes,
					 (unsigned long long) f->items);
	enlargeStringInfo(&buf, enclen + 1);
	n = pg_b64_encode((const char *) f->data, (int) BLOOM_NBYTES(f),
					  buf.data + buf.len, enclen + 1);
	if (n < 0)
		elog(ERROR, "could not encode bloom filter");
	buf.len += n;
	buf.data[buf.len] = '\0';
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Binary form: uint8 version, int8 capacity, float8 error_rate, int8 bits,
 * int4 hashes, int8 items, then bits / 8 bytes of bitmap.
 */
Datum
sk_bloom_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	SkBloom		hdr;
	SkBloom    *f;
	size_t		nbytes;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = (uint8) pq_getmsgbyte(buf);
	hdr.capacity = (uint64) pq_getmsgint64(buf);
	hdr.error_rate = pq_getmsgfloat8(buf);
	hdr.bits = (uint64) pq_getmsgint64(buf);
	hdr.hashes = (uint32) pq_getmsgint(buf, 4);
	hdr.items = (uint64) pq_getmsgint64(buf);
	nbytes = (size_t) (buf->len - buf->cursor);
	bloom_validate_input(&hdr, nbytes, ERRCODE_INVALID_BINARY_REPRESENTATION);

	f = (SkBloom *) palloc(BLOOM_HDRSZ + nbytes);
	memcpy(f, &hdr, BLOOM_HDRSZ);
	SET_VARSIZE(f, BLOOM_HDRSZ + nbytes);
	pq_copymsgbytes(buf, (char *) f->data, (int) nbytes);
	PG_RETURN_POINTER(f);
}

Datum
sk_bloom_send(PG_FUNCTION_ARGS)
{
	SkBloom    *f = PG_GETARG_BLOOM_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, f->version);
	pq_sendint64(&buf, (int64) f->capacity);
	pq_sendfloat8(&buf, f->error_rate);
	pq_sendint64(&buf, (int64) f->bits);
	pq_sendint32(&buf, f->hashes);
	pq_sendint64(&buf, (int64) f->items);
	pq_sendbytes(&buf, (const char *) f->data, (int) BLOOM_NBYTES(f));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* bloom_new(capacity int8, error_rate float8 DEFAULT 0.01) → bloom */
Datum
sk_bloom_new(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(bloom_create(PG_GETARG_INT64(0), PG_GETARG_FLOAT8(1)));
}

/* add one item (text or bytea) to f, which the caller may modify */
static inline void
bloom_add_item(SkBloom *f, struct varlena *item)
{
	SkBloomHash h = sk_bloom_hash(VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item));

	if (sk_bloom_add(f->data, f->bits, f->hashes, h))
		f->items++;
}

/* bloom_add(filter, item text|bytea) → bloom: a copy with item added */
Datum
sk_bloom_add_sql(PG_FUNCTION_ARGS)
{
	SkBloom    *f = PG_GETARG_BLOOM_P_COPY(0);

	bloom_add_item(f, PG_GETARG_VARLENA_PP(1));
	PG_RETURN_POINTER(f);
}

/* the detoasted filter cached across calls of bloom_contains */
typedef struct BloomCache
{
	Oid			toastrelid;
	Oid			valueid;
	SkBloom    *filter;
} BloomCache;

/*
 * The filter argument argno, detoasted; a filter stored out of line is
 * detoasted once and kept in fn_extra for the next calls.
 */
static SkBloom *
bloom_arg_cached(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varatt_external ptr;
	BloomCache *cache;
	MemoryContext old;

	if (!VARATT_IS_EXTERNAL_ONDISK(raw))
		return DatumGetBloomP(PointerGetDatum(raw));

	VARATT_EXTERNAL_GET_POINTER(ptr, raw);
	cache = (BloomCache *) fcinfo->flinfo->fn_extra;
	if (cache && cache->filter && cache->toastrelid == ptr.va_toastrelid &&
		cache->valueid == ptr.va_valueid)
		return cache->filter;

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == NULL)
	{
		cache = (BloomCache *) palloc0(sizeof(BloomCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->filter)
		pfree(cache->filter);
	cache->filter = NULL;
	cache->filter = (SkBloom *) detoast_attr(raw);
	cache->toastrelid = ptr.va_toastrelid;
	cache->valueid = ptr.va_valueid;
	MemoryContextSwitchTo(old);
	return cache->filter;
}

/* bloom_contains(filter, item text|bytea) → bool, and the @> operator */
Datum
sk_bloom_contains(PG_FUNCTION_ARGS)
{
	SkBloom    *f = bloom_arg_cached(fcinfo, 0);
	struct varlena *item = PG_GETARG_VARLENA_PP(1);
	SkBloomHash h = sk_bloom_hash(VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item));

	PG_RETURN_BOOL(sk_bloom_test(f->data, f->bits, f->hashes, h));
}

/* ereport 22023 unless a and b have the same shape */
static void
bloom_check_same_shape(const SkBloom *a, const SkBloom *b)
{
	if (a->capacity != b->capacity || a->error_rate != b->error_rate ||
		a->bits != b->bits || a->hashes != b->hashes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bloom filters of different shapes cannot be combined"),
				 errdetail("Capacity %llu, error rate %s (%llu bits, %u hashes) differs from capacity %llu, error rate %s (%llu bits, %u hashes).",
						   (unsigned long long) a->capacity,
						   float8out_internal(a->error_rate),
						   (unsigned long long) a->bits, a->hashes,
						   (unsigned long long) b->capacity,
						   float8out_internal(b->error_rate),
						   (unsigned long long) b->bits, b->hashes)));
}

/* OR b into a (same shape) */
static void
bloom_or_into(SkBloom *a, const SkBloom *b)
{
	size_t		n = BLOOM_NBYTES(a);
	size_t		i;

	for (i = 0; i < n; i++)
		a->data[i] |= b->data[i];
	a->items = (a->items > PG_UINT64_MAX - b->items) ? PG_UINT64_MAX
		: a->items + b->items;
}

/* bloom_union(a, b) → bloom */
Datum
sk_bloom_union(PG_FUNCTION_ARGS)
{
	SkBloom    *a = PG_GETARG_BLOOM_P_COPY(0);
	SkBloom    *b = PG_GETARG_BLOOM_P(1);

	bloom_check_same_shape(a, b);
	bloom_or_into(a, b);
	PG_RETURN_POINTER(a);
}

/*
 * bloom_info(filter, OUT capacity int8, OUT error_rate float8, OUT bits
 * int8, OUT hashes int4, OUT items int8, OUT bits_set int8, OUT
 * bits_per_item float8, OUT fpp_estimate float8)
 */
Datum
sk_bloom_info(PG_FUNCTION_ARGS)
{
	SkBloom    *f = PG_GETARG_BLOOM_P(0);
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false};
	uint64		set = sk_bloom_popcount(f->data, BLOOM_NBYTES(f));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int64GetDatum((int64) f->capacity);
	values[1] = Float8GetDatum(f->error_rate);
	values[2] = Int64GetDatum((int64) f->bits);
	values[3] = Int32GetDatum((int32) f->hashes);
	values[4] = Int64GetDatum((int64) Min(f->items, (uint64) PG_INT64_MAX));
	values[5] = Int64GetDatum((int64) set);
	values[6] = Float8GetDatum((double) f->bits / (double) f->capacity);
	values[7] = Float8GetDatum(sk_bloom_fpp_from_fill(f->bits, f->hashes, set));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * bloom_agg transition: (state bloom, item text|bytea, capacity int8,
 * error_rate float8).  Not strict: the first call creates the filter, NULL
 * items are skipped.  Inside an aggregate the state is modified in place.
 */
Datum
sk_bloom_agg_trans(PG_FUNCTION_ARGS)
{
	SkBloom    *f;

	if (PG_ARGISNULL(0))
	{
		if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("bloom_agg capacity and error rate must not be NULL")));
		f = bloom_create(PG_GETARG_INT64(2), PG_GETARG_FLOAT8(3));
	}
	else if (AggCheckCallContext(fcinfo, NULL))
		f = (SkBloom *) PG_GETARG_POINTER(0);	/* our own, never toasted */
	else
		f = PG_GETARG_BLOOM_P_COPY(0);

	if (!PG_ARGISNULL(1))
		bloom_add_item(f, PG_GETARG_VARLENA_PP(1));
	PG_RETURN_POINTER(f);
}

/* bloom_agg combine function (strict): OR the second state into the first */
Datum
sk_bloom_agg_combine(PG_FUNCTION_ARGS)
{
	SkBloom    *a;
	SkBloom    *b = PG_GETARG_BLOOM_P(1);

	if (AggCheckCallContext(fcinfo, NULL))
		a = (SkBloom *) PG_GETARG_POINTER(0);
	else
		a = PG_GETARG_BLOOM_P_COPY(0);
	bloom_check_same_shape(a, b);
	bloom_or_into(a, b);
	PG_RETURN_POINTER(a);
}
