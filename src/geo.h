/*-------------------------------------------------------------------------
 *
 * geo.h
 *	  Geo sets: the C API of GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH and
 *	  GEOSEARCHSTORE (ks_geo.c) over sorted sets (zset.h), under the SQL
 *	  functions (geo_set_sql.c).
 *
 * A geo set is a sorted set whose scores are Redis's 52-bit geo scores
 * (geohash.c); every sorted-set command works on it.  Writes go through the
 * sorted sets' write path: GEOADD is one ZADD operation, GEOSEARCHSTORE one
 * ZSTORE.  Errors use Redis's wording with the keyspace's SQLSTATEs (see
 * README, "Geo sets").
 *
 * Locking: as zset.h -- the key's shard lock (shared to read, exclusive to
 * write), or the shards of source and destination in ascending order for
 * GEOSEARCHSTORE.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_GEO_H
#define STREAMKV_GEO_H

#include "geohash.h"
#include "zset.h"

/* GEOADD: flags SKZ_NX, SKZ_XX, SKZ_CH; returns added (with CH: changed too) */
extern int64 skgeo_add(SkBytes key, int n, const double *lons, const double *lats,
					   const SkBytes *members, int flags);

/* GEOPOS: found[i] and the decoded position of each member */
extern void skgeo_pos(SkBytes key, int n, const SkBytes *members, double *lons,
					  double *lats, bool *found);

/* GEODIST in metres; false when the key or either member is missing */
extern bool skgeo_dist(SkBytes key, SkBytes m1, SkBytes m2, double *meters);

/* GEOHASH: 11 characters + NUL per found member */
extern void skgeo_hash(SkBytes key, int n, const SkBytes *members, char (*hashes)[12],
					   bool *found);

/* GEOSEARCH options */
#define SKGEO_SORT_NONE	0
#define SKGEO_SORT_ASC	1
#define SKGEO_SORT_DESC	2

typedef struct SkGeoSearch
{
	bool		from_member;	/* else lon, lat */
	SkBytes		member;
	SkGeoShape	shape;			/* lon/lat filled in from the member */
	int			sort;
	bool		has_count;		/* COUNT given */
	int64		count;			/* COUNT, 0 when not given */
	bool		any;
} SkGeoSearch;

/*
 * A result (member NUL-terminated, valid until the next search); dist in
 * the search's unit.
 */
typedef struct SkGeoPoint
{
	char	   *member;
	Size		moff;			/* ks_geo.c's own use */
	uint32		mlen;
	double		dist;
	double		score;
	double		lon;
	double		lat;
} SkGeoPoint;

/* ERROR 22023 with Redis's wording unless the options are valid. */
extern void skgeo_check_search(const SkGeoSearch *s);
extern SkGeoPoint *skgeo_search(SkBytes key, SkGeoSearch *s, int64 *n);
extern int64 skgeo_searchstore(SkBytes dst, SkBytes src, SkGeoSearch *s, bool storedist);

/* 22023 "invalid longitude,latitude pair" unless GEOADD takes the position (geo_sql.c) */
extern void sk_geo_check_redis_lonlat(double lon, double lat);
/* metres per unit; 22023 "unsupported unit provided. please use M, KM, FT, MI" */
extern double skgeo_unit(const char *unit);

/* 22023 "geohash precision out of range" unless 1..12 (geo_sql.c) */
extern void sk_geo_check_shard_precision(int32 precision);
/* the shard key prefix{hash} as a text (geo_sql.c) */
extern struct varlena *sk_geo_shard_key(const char *prefix, size_t plen, const char *hash);

/*
 * GEOSEARCH over the shards prefix{hash} of one logical geo set, hash the
 * geohashes of precision characters the search area may reach: the answer
 * of one set holding every shard's members (ks_geo.c).  from_member is not
 * allowed.  Each shard is read under its own lock, one after the other.
 */
#define SKGEO_SHARD_MAX_KEYS	65536
extern SkGeoPoint *skgeo_search_shards(SkBytes prefix, int precision, SkGeoSearch *s,
									   int64 *n);

#endif							/* STREAMKV_GEO_H */
