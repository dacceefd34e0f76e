/*-------------------------------------------------------------------------
 *
 * geo_sql.c
 *	  SQL-callable wrappers of geohash.c: geohash_encode, geohash_decode,
 *	  geohash_bbox, geohash_neighbors, geohash_cover, geo_score,
 *	  geo_decode_score, geo_distance, and for searches over tables and
 *	  sharded geo sets geohash_int, geohash_ranges, geo_distance_sphere and
 *	  geo_shard_key (all IMMUTABLE STRICT PARALLEL SAFE).
 *
 *	  Design: these functions only validate their arguments (SQLSTATE 22023
 *	  with the offending value in the detail), call the pure core and build
 *	  the result datums.  Positions are always (lon, lat).
 *
 *	  Locking: none; no shared state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "geo.h"

PG_FUNCTION_INFO_V1(sk_geohash_encode_sql);
PG_FUNCTION_INFO_V1(sk_geohash_decode_sql);
PG_FUNCTION_INFO_V1(sk_geohash_bbox_sql);
PG_FUNCTION_INFO_V1(sk_geohash_neighbors_sql);
PG_FUNCTION_INFO_V1(sk_geohash_cover_sql);
PG_FUNCTION_INFO_V1(sk_geo_score_sql);
PG_FUNCTION_INFO_V1(sk_geo_decode_score_sql);
PG_FUNCTION_INFO_V1(sk_geo_distance_sql);
PG_FUNCTION_INFO_V1(sk_geohash_int_sql);
PG_FUNCTION_INFO_V1(sk_geohash_ranges_sql);
PG_FUNCTION_INFO_V1(sk_geo_distance_sphere_sql);
PG_FUNCTION_INFO_V1(sk_geo_shard_key_sql);

/* ereport 22023 unless lon/lat are valid WGS84 degrees */
static void
check_lonlat(double lon, double lat)
{
	if (!(lon >= -180.0 && lon <= 180.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("longitude out of range"),
				 errdetail("Longitude %s is outside [-180, 180].",
						   float8out_internal(lon))));
	if (!(lat >= -90.0 && lat <= 90.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("latitude out of range"),
				 errdetail("Latitude %s is outside [-90, 90].",
						   float8out_internal(lat))));
}

/*
 * Validate a geohash argument; returns its bytes and length (not
 * terminated).
 */
static const char *
get_geohash_arg(text *t, size_t *len)
{
	const char *s = VARDATA_ANY(t);
	size_t		n = VARSIZE_ANY_EXHDR(t);
	int			bad;

	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid geohash"),
				 errdetail("The empty string is not a geohash.")));
	if (n > SK_GEOHASH_MAX_PRECISION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid geohash"),
				 errdetail("Geohash \"%s\" has %zu characters; at most %d are supported.",
						   text_to_cstring(t), n, SK_GEOHASH_MAX_PRECISION)));
	bad = sk_geohash_check(s, n);
	if (bad >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid geohash"),
				 errdetail("Geohash \"%s\" has an invalid character at position %d; geohashes use \"0123456789bcdefghjkmnpqrstuvwxyz\".",
						   text_to_cstring(t), bad + 1)));
	*len = n;
	return s;
}

/* geohash_encode(lon float8, lat float8, precision int4 DEFAULT 12) → text */
Datum
sk_geohash_encode_sql(PG_FUNCTION_ARGS)
{
	double		lon = PG_GETARG_FLOAT8(0);
	double		lat = PG_GETARG_FLOAT8(1);
	int32		precision = PG_GETARG_INT32(2);
	text	   *result;

	check_lonlat(lon, lat);
	if (precision < SK_GEOHASH_MIN_PRECISION || precision > SK_GEOHASH_MAX_PRECISION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("geohash precision out of range"),
				 errdetail("Precision %d is outside %d..%d.", precision,
						   SK_GEOHASH_MIN_PRECISION, SK_GEOHASH_MAX_PRECISION)));
	/* room for the terminating NUL sk_geohash_encode writes */
	result = (text *) palloc(VARHDRSZ + precision + 1);
	SET_VARSIZE(result, VARHDRSZ + precision);
	sk_geohash_encode(lon, lat, precision, VARDATA(result));
	PG_RETURN_TEXT_P(result);
}

static Datum
make_float8_record(FunctionCallInfo fcinfo, const double *vals, int n)
{
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false};
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	for (i = 0; i < n; i++)
		values[i] = Float8GetDatum(vals[i]);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* geohash_decode(hash, OUT lon, OUT lat, OUT lon_err, OUT lat_err) */
Datum
sk_geohash_decode_sql(PG_FUNCTION_ARGS)
{
	size_t		len;
	const char *hash = get_geohash_arg(PG_GETARG_TEXT_PP(0), &len);
	SkGeoBox	box;
	double		vals[4];

	sk_geohash_box(hash, len, &box);
	vals[0] = (box.min_lon + box.max_lon) / 2;
	vals[1] = (box.min_lat + box.max_lat) / 2;
	vals[2] = (box.max_lon - box.min_lon) / 2;
	vals[3] = (box.max_lat - box.min_lat) / 2;
	PG_RETURN_DATUM(make_float8_record(fcinfo, vals, 4));
}

/* geohash_bbox(hash, OUT min_lon, OUT min_lat, OUT max_lon, OUT max_lat) */
Datum
sk_geohash_bbox_sql(PG_FUNCTION_ARGS)
{
	size_t		len;
	const char *hash = get_geohash_arg(PG_GETARG_TEXT_PP(0), &len);
	SkGeoBox	box;
	double		vals[4];

	sk_geohash_box(hash, len, &box);
	vals[0] = box.min_lon;
	vals[1] = box.min_lat;
	vals[2] = box.max_lon;
	vals[3] = box.max_lat;
	PG_RETURN_DATUM(make_float8_record(fcinfo, vals, 4));
}

/* geohash_neighbors(hash, OUT n, ne, e, se, s, sw, w, nw text) */
Datum
sk_geohash_neighbors_sql(PG_FUNCTION_ARGS)
{
	size_t		len;
	const char *hash = get_geohash_arg(PG_GETARG_TEXT_PP(0), &len);
	TupleDesc	tupdesc;
	Datum		values[SK_GEO_NDIRS];
	bool		nulls[SK_GEO_NDIRS];
	int			d;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	for (d = 0; d < SK_GEO_NDIRS; d++)
	{
		char		buf[SK_GEOHASH_MAX_PRECISION + 1];

		if (sk_geohash_neighbor(hash, len, (SkGeoDir) d, buf))
		{
			values[d] = PointerGetDatum(cstring_to_text_with_len(buf, (int) len));
			nulls[d] = false;
		}
		else
		{
			values[d] = (Datum) 0;
			nulls[d] = true;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* geohash_cover(lon, lat, radius_m) → text[] */
Datum
sk_geohash_cover_sql(PG_FUNCTION_ARGS)
{
	double		lon = PG_GETARG_FLOAT8(0);
	double		lat = PG_GETARG_FLOAT8(1);
	double		radius = PG_GETARG_FLOAT8(2);
	char		cells[SK_GEOHASH_COVER_MAX][SK_GEOHASH_MAX_PRECISION + 1];
	Datum		elems[SK_GEOHASH_COVER_MAX];
	int			n;
	int			i;

	check_lonlat(lon, lat);
	if (!(radius >= 0.0) || isinf(radius))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("radius out of range"),
				 errdetail("Radius %s is not a finite number of metres >= 0.",
						   float8out_internal(radius))));
	n = sk_geohash_cover(lon, lat, radius, cells);
	for (i = 0; i < n; i++)
		elems[i] = PointerGetDatum(cstring_to_text(cells[i]));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* ereport 22023 unless GEOADD accepts the position (geo sets use it too) */
void
sk_geo_check_redis_lonlat(double lon, double lat)
{
	if (!sk_geo_valid_lonlat(lon, lat))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid longitude,latitude pair %s,%s",
						float8out_internal(lon), float8out_internal(lat)),
				 errdetail("Redis geo positions need a longitude in [-180, 180] and a latitude in [-85.05112878, 85.05112878].")));
}

/* geo_score(lon, lat) → float8 */
Datum
sk_geo_score_sql(PG_FUNCTION_ARGS)
{
	double		lon = PG_GETARG_FLOAT8(0);
	double		lat = PG_GETARG_FLOAT8(1);

	sk_geo_check_redis_lonlat(lon, lat);
	PG_RETURN_FLOAT8((double) sk_geo_score(lon, lat));
}

/* geo_decode_score(score, OUT lon, OUT lat) */
Datum
sk_geo_decode_score_sql(PG_FUNCTION_ARGS)
{
	double		score = PG_GETARG_FLOAT8(0);
	double		vals[2];

	/* 2^54: the largest score geo_score() can produce is below it */
	if (!(score >= 0.0 && score < 18014398509481984.0) || score != floor(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid geo score"),
				 errdetail("Score %s is not an integer in [0, 2^54).",
						   float8out_internal(score))));
	sk_geo_decode_score((uint64) score, &vals[0], &vals[1]);
	PG_RETURN_DATUM(make_float8_record(fcinfo, vals, 2));
}

/* metres per unit, as Redis's extractUnitOrReply; 0 if unknown */
static double
unit_to_meters(text *unit)
{
	char	   *u = text_to_cstring(unit);
	double		m = sk_geo_unit_meters(u);

	if (m > 0)
		return m;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unsupported unit"),
			 errdetail("Unit \"%s\" is not one of m, km, mi, ft.", u)));
	return 0.0;					/* keep compiler quiet */
}

/* geo_distance(lon1, lat1, lon2, lat2, unit DEFAULT 'm') → float8 */
Datum
sk_geo_distance_sql(PG_FUNCTION_ARGS)
{
	double		lon1 = PG_GETARG_FLOAT8(0);
	double		lat1 = PG_GETARG_FLOAT8(1);
	double		lon2 = PG_GETARG_FLOAT8(2);
	double		lat2 = PG_GETARG_FLOAT8(3);
	double		to_meters = unit_to_meters(PG_GETARG_TEXT_PP(4));

	check_lonlat(lon1, lat1);
	check_lonlat(lon2, lat2);
	PG_RETURN_FLOAT8(sk_geo_distance(lon1, lat1, lon2, lat2) / to_meters);
}

/* ------------------------------------------------------------------------
 * Geohash-indexed search over a table; shard keys
 * ------------------------------------------------------------------------
 */

/* ereport 22023 unless radius is a number of metres >= 0 (infinity allowed) */
static void
check_radius(double radius)
{
	if (!(radius >= 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("radius out of range"),
				 errdetail("Radius %s is not a number of metres >= 0.",
						   float8out_internal(radius))));
}

/* geohash_int(lon, lat) → bigint */
Datum
sk_geohash_int_sql(PG_FUNCTION_ARGS)
{
	double		lon = PG_GETARG_FLOAT8(0);
	double		lat = PG_GETARG_FLOAT8(1);

	check_lonlat(lon, lat);
	PG_RETURN_INT64((int64) sk_geohash_int(lon, lat));
}

/* geohash_ranges(lon, lat, radius_m, OUT lo bigint, OUT hi bigint) → SETOF record */
Datum
sk_geohash_ranges_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		lon = PG_GETARG_FLOAT8(0);
	double		lat = PG_GETARG_FLOAT8(1);
	double		radius = PG_GETARG_FLOAT8(2);
	uint64		lo[SK_GEOHASH_RANGE_CELLS];
	uint64		hi[SK_GEOHASH_RANGE_CELLS];
	int			n;
	int			i;

	check_lonlat(lon, lat);
	check_radius(radius);
	n = sk_geohash_int_ranges(lon, lat, radius, lo, hi);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int64GetDatum((int64) lo[i]);
		values[1] = Int64GetDatum((int64) hi[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* geo_distance_sphere(lon1, lat1, lon2, lat2) → float8 metres */
Datum
sk_geo_distance_sphere_sql(PG_FUNCTION_ARGS)
{
	double		lon1 = PG_GETARG_FLOAT8(0);
	double		lat1 = PG_GETARG_FLOAT8(1);
	double		lon2 = PG_GETARG_FLOAT8(2);
	double		lat2 = PG_GETARG_FLOAT8(3);

	check_lonlat(lon1, lat1);
	check_lonlat(lon2, lat2);
	PG_RETURN_FLOAT8(sk_geo_sphere_distance(lon1, lat1, lon2, lat2));
}

/* geo_shard_key(prefix, lon, lat, precision) → text: prefix || '{' || geohash || '}' */
Datum
sk_geo_shard_key_sql(PG_FUNCTION_ARGS)
{
	text	   *prefix = PG_GETARG_TEXT_PP(0);
	double		lon = PG_GETARG_FLOAT8(1);
	double		lat = PG_GETARG_FLOAT8(2);
	int32		precision = PG_GETARG_INT32(3);
	char		hash[SK_GEOHASH_MAX_PRECISION + 1];

	check_lonlat(lon, lat);
	sk_geo_check_shard_precision(precision);
	sk_geohash_encode(lon, lat, precision, hash);
	PG_RETURN_TEXT_P(sk_geo_shard_key(VARDATA_ANY(prefix), VARSIZE_ANY_EXHDR(prefix), hash));
}

/* ereport 22023 unless precision is a geohash length (1..12) */
void
sk_geo_check_shard_precision(int32 precision)
{
	if (precision < SK_GEOHASH_MIN_PRECISION || precision > SK_GEOHASH_MAX_PRECISION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("geohash precision out of range"),
				 errdetail("Precision %d is outside %d..%d.", precision,
						   SK_GEOHASH_MIN_PRECISION, SK_GEOHASH_MAX_PRECISION)));
}

/* prefix (plen bytes) || '{' || hash || '}' as a palloc'd text */
text *
sk_geo_shard_key(const char *prefix, size_t plen, const char *hash)
{
	size_t		hlen = strlen(hash);
	text	   *t = (text *) palloc(VARHDRSZ + plen + hlen + 2);
	char	   *p = VARDATA(t);

	SET_VARSIZE(t, VARHDRSZ + plen + hlen + 2);
	memcpy(p, prefix, plen);
	p[plen] = '{';
	memcpy(p + plen + 1, hash, hlen);
	p[plen + 1 + hlen] = '}';
	return t;
}
