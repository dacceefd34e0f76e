/*-------------------------------------------------------------------------
 *
 * geohash.h
 *	  Standard base32 geohashes (as PostGIS ST_GeoHash) and Redis's 52-bit
 *	  geo scores and distances.  Pure functions; see geohash.c.
 *
 *	  Every function takes longitude before latitude.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_GEOHASH_H
#define STREAMKV_GEOHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* geohash string lengths streamkv accepts (60 bits at most) */
#define SK_GEOHASH_MIN_PRECISION	1
#define SK_GEOHASH_MAX_PRECISION	12

/* Redis geo.h: GEO_STEP_MAX, 26 bits per axis, 52 in all */
#define SK_GEO_STEP		26
/* Redis geohash.h: GEO_LAT_MIN/MAX, the EPSG:900913 (web mercator) limits */
#define SK_GEO_LAT_MIN	(-85.05112878)
#define SK_GEO_LAT_MAX	85.05112878
#define SK_GEO_LONG_MIN	(-180.0)
#define SK_GEO_LONG_MAX	180.0
/* Redis geohash_helper.c: EARTH_RADIUS_IN_METERS */
#define SK_GEO_EARTH_RADIUS_M	6372797.560856

/* A cell: longitude and latitude ranges */
typedef struct SkGeoBox
{
	double		min_lon;
	double		max_lon;
	double		min_lat;
	double		max_lat;
} SkGeoBox;

/* the eight neighbours, in this order */
typedef enum SkGeoDir
{
	SK_DIR_N = 0, SK_DIR_NE, SK_DIR_E, SK_DIR_SE,
	SK_DIR_S, SK_DIR_SW, SK_DIR_W, SK_DIR_NW
} SkGeoDir;
#define SK_GEO_NDIRS 8

extern const char *const sk_geo_dir_names[SK_GEO_NDIRS];

/* ---- standard geohash ---- */
extern void sk_geohash_encode(double lon, double lat, int precision, char *out);
extern int	sk_geohash_check(const char *hash, size_t len);
extern void sk_geohash_box(const char *hash, size_t len, SkGeoBox *box);
extern bool sk_geohash_neighbor(const char *hash, size_t len, SkGeoDir dir, char *out);

/*
 * the cover: first at most SK_GEOHASH_COVER_LEVEL cells of one length, then
 * some of them replaced by their children, SK_GEOHASH_COVER_MAX cells at most
 */
#define SK_GEOHASH_COVER_LEVEL	32
#define SK_GEOHASH_COVER_MAX	64
extern int	sk_geohash_cover(double lon, double lat, double radius_m,
							 char cells[][SK_GEOHASH_MAX_PRECISION + 1]);

/* ---- geohashes as integers: table search, shard cells ---- */

/* sk_geohash_int: the 12-character geohash as a 60-bit integer */
#define SK_GEOHASH_INT_BITS		60
extern uint64_t sk_geohash_int(double lon, double lat);

/* at most this many cells, hence ranges, per radius */
#define SK_GEOHASH_RANGE_CELLS	8
extern int	sk_geohash_int_ranges(double lon, double lat, double radius_m,
								  uint64_t lo[SK_GEOHASH_RANGE_CELLS],
								  uint64_t hi[SK_GEOHASH_RANGE_CELLS]);

/* geohashes of one length whose cells may hold points within radius_m; -1 if more than max */
extern int64_t sk_geohash_cells_within(double lon, double lat, double radius_m, int precision,
									   char (*cells)[SK_GEOHASH_MAX_PRECISION + 1], int64_t max);

/* PostGIS's sphere (use_spheroid => false): radius and point-to-point distance in metres */
extern double sk_geo_sphere_radius(void);
extern double sk_geo_sphere_distance(double lon1, double lat1, double lon2, double lat2);

/* ---- Redis geo ---- */
extern bool sk_geo_valid_lonlat(double lon, double lat);
extern uint64_t sk_geo_score(double lon, double lat);
extern void sk_geo_decode_score(uint64_t bits, double *lon, double *lat);
extern double sk_geo_distance(double lon1, double lat1, double lon2, double lat2);

/* metres per unit as Redis's extractUnitOrReply (m, km, ft, mi, any case); 0 if unknown */
extern double sk_geo_unit_meters(const char *unit);

/*
 * The bits of a score as Redis's decodeGeohash takes them ((uint64_t) of the
 * double, with x86-64's results for scores no geo score has).
 */
extern uint64_t sk_geo_score_bits(double score);

/* Redis GEOHASH: the 11-character standard geohash of a score's position */
extern void sk_geo_redis_geohash(uint64_t bits, char out[12]);

/* ---- Redis GEOSEARCH (geohash_helper.c, geo.c) ---- */

/* A cell of Redis's grid: step bits per axis; step 0 (and bits 0) is none. */
typedef struct SkGeoCell
{
	uint64_t	bits;
	int			step;
} SkGeoCell;

/* A search area: centre, circle (radius) or box (width, height), in units. */
typedef struct SkGeoShape
{
	double		lon;
	double		lat;
	bool		box;
	double		radius;
	double		width;
	double		height;
	double		to_meters;		/* metres per unit */
	/* set by sk_geo_shape_prepare (circles): the centre's latitude in radians, its cosine */
	bool		prepared;
	double		lat_rad;
	double		cos_lat;
	double		reject_m;		/* a latitude distance beyond this is outside */
} SkGeoShape;

/*
 * The cells Redis scans, in its order: centre, N, S, E, W, NE, NW, SE, SW
 * (geohashCalculateAreasByShapeWGS84); removed ones have step 0.
 */
#define SK_GEO_NCELLS	9
extern void sk_geo_search_cells(const SkGeoShape *shape, SkGeoCell cells[SK_GEO_NCELLS]);
/* The score range [min, max) of a cell's members (scoresOfGeoHashBox). */
extern void sk_geo_cell_scores(SkGeoCell cell, double *min, double *max);
/*
 * Whether a score's position is inside the shape (geoWithinShape); its
 * decoded position and distance in metres from the centre in any case
 * *lon, *lat, *dist_m (dist only when inside).
 */
/*
 * Precompute what every sk_geo_in_shape of the shape needs (the centre set):
 * the same answers and distances to the last bit, fewer sines and cosines.
 */
extern void sk_geo_shape_prepare(SkGeoShape *shape);
extern bool sk_geo_in_shape(const SkGeoShape *shape, double score, double *lon,
							double *lat, double *dist_m);

#endif							/* STREAMKV_GEOHASH_H */
