/*-------------------------------------------------------------------------
 *
 * geo_set_sql.c
 *	  The SQL functions of geo sets: thin wrappers that convert Datums, call
 *	  the C API (geo.h) and build results; and the aggregate geoadd_agg,
 *	  which writes one ZADD operation per page of members (zadd_agg's
 *	  machinery, zset_sql.c).
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

#include "geo.h"
#include "zset_int.h"

/* ------------------------------------------------------------------------
 * Arguments and results
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

/* nx, xx, ch at first.. */
static int
geoadd_flags(FunctionCallInfo fcinfo, int first)
{
	static const int bits[] = {SKZ_NX, SKZ_XX, SKZ_CH};
	int			flags = 0;
	int			i;

	for (i = 0; i < 3; i++)
	{
		if (PG_ARGISNULL(first + i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("nx, xx and ch must not be NULL")));
		if (PG_GETARG_BOOL(first + i))
			flags |= bits[i];
	}
	return flags;
}

static Datum
member_text(const char *m, uint32 mlen)
{
	pg_verifymbstr(m, mlen, false);
	return PointerGetDatum(cstring_to_text_with_len(m, mlen));
}

/* ------------------------------------------------------------------------
 * GEOADD, geoadd_agg
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_geoadd);
Datum
sk_geoadd(PG_FUNCTION_ARGS)
{
	double		lon,
				lat;
	SkBytes		member;
	int			flags;

	not_null(fcinfo, 0, 3, "key, lon, lat and member");
	flags = geoadd_flags(fcinfo, 4);
	lon = PG_GETARG_FLOAT8(1);
	lat = PG_GETARG_FLOAT8(2);
	member = bytes_arg(fcinfo, 3);
	PG_RETURN_INT64(skgeo_add(bytes_arg(fcinfo, 0), 1, &lon, &lat, &member, flags));
}

PG_FUNCTION_INFO_V1(sk_geoadd_multi);
Datum
sk_geoadd_multi(PG_FUNCTION_ARGS)
{
	double	   *lons,
			   *lats;
	SkBytes    *members;
	int			nlon,
				nlat,
				nm,
				flags;

	not_null(fcinfo, 0, 3, "key, lons, lats and members");
	flags = geoadd_flags(fcinfo, 4);
	nlon = zsql_float_array_arg(PG_GETARG_ARRAYTYPE_P(1), "lons", &lons);
	nlat = zsql_float_array_arg(PG_GETARG_ARRAYTYPE_P(2), "lats", &lats);
	nm = zsql_bytes_array_arg(fcinfo, 3, "members", &members);
	if (nlon != nm || nlat != nm)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lons, lats and members must have the same length"),
				 errdetail("lons has %d elements, lats %d, members %d.", nlon, nlat, nm)));
	PG_RETURN_INT64(skgeo_add(bytes_arg(fcinfo, 0), nm, lons, lats, members, flags));
}

/* geoadd_agg(key, lon, lat, member): zadd_agg of the positions' scores */
PG_FUNCTION_INFO_V1(sk_geoadd_agg_trans);
Datum
sk_geoadd_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	double		lon,
				lat;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "geoadd_agg called in a non-aggregate context");
	not_null(fcinfo, 1, 4, "key, lon, lat and member");
	lon = PG_GETARG_FLOAT8(2);
	lat = PG_GETARG_FLOAT8(3);
	sk_geo_check_redis_lonlat(lon, lat);
	PG_RETURN_POINTER(zadd_agg_step(PG_ARGISNULL(0) ? NULL : (ZAddAgg *) PG_GETARG_POINTER(0),
									aggcxt, bytes_arg(fcinfo, 1),
									(double) sk_geo_score(lon, lat), bytes_arg(fcinfo, 4)));
}

/* ------------------------------------------------------------------------
 * GEOPOS, GEODIST, GEOHASH
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_geopos);
Datum
sk_geopos(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SkBytes    *members;
	int			n = zsql_bytes_array_arg(fcinfo, 1, "members", &members);
	double	   *lons = palloc(sizeof(double) * Max(n, 1));
	double	   *lats = palloc(sizeof(double) * Max(n, 1));
	bool	   *found = palloc(sizeof(bool) * Max(n, 1));
	int			i;

	skgeo_pos(bytes_arg(fcinfo, 0), n, members, lons, lats, found);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, !found[i], !found[i]};

		values[0] = PointerGetDatum(cstring_to_text_with_len(members[i].p, members[i].len));
		values[1] = Float8GetDatum(found[i] ? lons[i] : 0);
		values[2] = Float8GetDatum(found[i] ? lats[i] : 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sk_geodist);
Datum
sk_geodist(PG_FUNCTION_ARGS)
{
	/* as Redis, the unit is checked before the key is read */
	double		to_meters = skgeo_unit(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	double		m;

	if (!skgeo_dist(bytes_arg(fcinfo, 0), bytes_arg(fcinfo, 1), bytes_arg(fcinfo, 2), &m))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(m / to_meters);
}

PG_FUNCTION_INFO_V1(sk_geohash);
Datum
sk_geohash(PG_FUNCTION_ARGS)
{
	SkBytes    *members;
	int			n = zsql_bytes_array_arg(fcinfo, 1, "members", &members);
	char		(*hashes)[12] = palloc(sizeof(char[12]) * Max(n, 1));
	bool	   *found = palloc(sizeof(bool) * Max(n, 1));
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1];
	int			lbs[1] = {1};
	int			i;

	skgeo_hash(bytes_arg(fcinfo, 0), n, members, hashes, found);
	for (i = 0; i < n; i++)
	{
		nulls[i] = !found[i];
		elems[i] = found[i] ? PointerGetDatum(cstring_to_text(hashes[i])) : (Datum) 0;
	}
	dims[0] = n;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false,
											 TYPALIGN_INT));
}

/* ------------------------------------------------------------------------
 * GEOSEARCH, GEOSEARCHSTORE
 * ------------------------------------------------------------------------
 */

/*
 * The options at argument first..: from_member, from_lon, from_lat, radius,
 * width, height, unit, sort, count, any.
 */
static void
search_args(FunctionCallInfo fcinfo, int first, const char *cmd, SkGeoSearch *s)
{
	bool		has_member = !PG_ARGISNULL(first);
	bool		has_lon = !PG_ARGISNULL(first + 1);
	bool		has_lat = !PG_ARGISNULL(first + 2);
	bool		has_radius = !PG_ARGISNULL(first + 3);
	bool		has_width = !PG_ARGISNULL(first + 4);
	bool		has_height = !PG_ARGISNULL(first + 5);

	memset(s, 0, sizeof(*s));
	if (has_member == (has_lon || has_lat) || has_lon != has_lat)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("exactly one of FROMMEMBER or FROMLONLAT can be specified for %s", cmd),
				 errdetail("Give from_member, or both from_lon and from_lat.")));
	if (has_radius == (has_width || has_height) || has_width != has_height)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("exactly one of BYRADIUS and BYBOX can be specified for %s", cmd),
				 errdetail("Give radius, or both width and height.")));
	not_null(fcinfo, first + 6, first + 6, "unit");
	not_null(fcinfo, first + 9, first + 9, "any");
	if (has_member)
	{
		s->from_member = true;
		s->member = bytes_arg(fcinfo, first);
	}
	else
	{
		s->shape.lon = PG_GETARG_FLOAT8(first + 1);
		s->shape.lat = PG_GETARG_FLOAT8(first + 2);
	}
	if (has_radius)
		s->shape.radius = PG_GETARG_FLOAT8(first + 3);
	else
	{
		s->shape.box = true;
		s->shape.width = PG_GETARG_FLOAT8(first + 4);
		s->shape.height = PG_GETARG_FLOAT8(first + 5);
	}
	s->shape.to_meters = skgeo_unit(text_to_cstring(PG_GETARG_TEXT_PP(first + 6)));
	s->sort = SKGEO_SORT_NONE;
	if (!PG_ARGISNULL(first + 7))
	{
		char	   *sort = text_to_cstring(PG_GETARG_TEXT_PP(first + 7));

		if (pg_strcasecmp(sort, "asc") == 0)
			s->sort = SKGEO_SORT_ASC;
		else if (pg_strcasecmp(sort, "desc") == 0)
			s->sort = SKGEO_SORT_DESC;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sort must be 'asc', 'desc' or NULL, not \"%s\"", sort)));
	}
	if (!PG_ARGISNULL(first + 8))
	{
		s->has_count = true;
		s->count = PG_GETARG_INT64(first + 8);
	}
	s->any = PG_GETARG_BOOL(first + 9);
}

/* the rows of geosearch and geosearch_sharded */
static void
search_rows(FunctionCallInfo fcinfo, SkGeoPoint *pts, int64 n)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = member_text(pts[i].member, pts[i].mlen);
		values[1] = Float8GetDatum(pts[i].dist);
		/* WITHHASH: the score as an integer */
		values[2] = Int64GetDatum((int64) sk_geo_score_bits(pts[i].score));
		values[3] = Float8GetDatum(pts[i].lon);
		values[4] = Float8GetDatum(pts[i].lat);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(sk_geosearch);
Datum
sk_geosearch(PG_FUNCTION_ARGS)
{
	SkGeoSearch s;
	SkGeoPoint *pts;
	int64		n;

	not_null(fcinfo, 0, 0, "key");
	search_args(fcinfo, 1, "geosearch", &s);
	pts = skgeo_search(bytes_arg(fcinfo, 0), &s, &n);
	search_rows(fcinfo, pts, n);
	return (Datum) 0;
}

/*
 * geosearch_sharded(prefix, precision, from_lon, from_lat, radius, width,
 * height, unit, sort, count, any): the options are geosearch's without
 * from_member (passed to search_args as a NULL argument).
 */
PG_FUNCTION_INFO_V1(sk_geosearch_sharded);
Datum
sk_geosearch_sharded(PG_FUNCTION_ARGS)
{
	SkGeoSearch s;
	SkGeoPoint *pts;
	int64		n;

	not_null(fcinfo, 0, 1, "prefix and precision");
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("FROMLONLAT must be specified for geosearch_sharded"),
				 errdetail("Give both from_lon and from_lat: a member does not tell which shard holds it.")));
	/* from_member is argument 1 of search_args' window: make it NULL */
	{
		bool		saved = fcinfo->args[1].isnull;

		fcinfo->args[1].isnull = true;
		search_args(fcinfo, 1, "geosearch_sharded", &s);
		fcinfo->args[1].isnull = saved;
	}
	pts = skgeo_search_shards(bytes_arg(fcinfo, 0), PG_GETARG_INT32(1), &s, &n);
	search_rows(fcinfo, pts, n);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sk_geosearchstore);
Datum
sk_geosearchstore(PG_FUNCTION_ARGS)
{
	SkGeoSearch s;

	not_null(fcinfo, 0, 1, "dst and src");
	not_null(fcinfo, 12, 12, "storedist");
	search_args(fcinfo, 2, "geosearchstore", &s);
	PG_RETURN_INT64(skgeo_searchstore(bytes_arg(fcinfo, 0), bytes_arg(fcinfo, 1), &s,
									  PG_GETARG_BOOL(12)));
}
