/*-------------------------------------------------------------------------
 *
 * geohash.c
 *	  Geohashes and Redis geo scores: the pure computations behind
 *	  streamkv's geohash_* and geo_* functions and its geo sets.
 *
 *	  Two encodings of a position live here.
 *
 *	  The standard geohash (geohash.org; PostGIS ST_GeoHash) bisects the
 *	  longitude range [-180, 180] and the latitude range [-90, 90] in turn,
 *	  longitude first, and writes each group of 5 bits as one character of
 *	  the alphabet "0123456789bcdefghjkmnpqrstuvwxyz".  The bisection is done
 *	  exactly as PostGIS 3 does it: in doubles (every midpoint is a dyadic
 *	  rational, so it is exact) and a coordinate equal to a midpoint goes to
 *	  the upper half (the comparison is "greater or equal"), so streamkv's
 *	  strings equal PostGIS's for every point and length, cell edges
 *	  included (t/050_geohash_postgis.pl checks points on edges).  Decoding, bounding
 *	  boxes and neighbours work on the integer cell indexes of the two axes
 *	  (a hash of n characters has ceil(5n/2) longitude bits and floor(5n/2)
 *	  latitude bits); neighbours wrap across the antimeridian and do not
 *	  exist beyond the poles.
 *
 *	  Redis's geo score (GEOADD) maps the longitude range [-180, 180] and the
 *	  latitude range [-85.05112878, 85.05112878] onto 26-bit fixed-point
 *	  offsets (truncated), and interleaves them with latitude on the even
 *	  bits; the integer is stored as a double.  Decoding returns the centre
 *	  of the 26-bit cell, clamped to the ranges, as GEOPOS does.  Distances
 *	  are haversine distances on Redis's sphere.  Each expression here
 *	  follows Redis's own evaluation order so that results agree bit for bit.
 *
 *	  The cover (sk_geohash_cover) answers "which geohash prefixes can hold a
 *	  point within r metres of P": it takes the bounding box of the circle on
 *	  a sphere deliberately smaller than the earth (so the box also bounds
 *	  the circle under any spherical or WGS84 distance), picks the longest
 *	  hash length whose cells cover that box in at most
 *	  SK_GEOHASH_COVER_LEVEL cells, and drops the cells whose nearest point
 *	  is farther than r.  Then, within a budget of SK_GEOHASH_COVER_MAX
 *	  cells, it replaces the cells that the circle covers least by those of
 *	  their 32 children that the circle reaches, so that an index scan reads
 *	  fewer rows outside the circle.  The cells never overlap, so each row
 *	  is found once.
 *
 *	  For b-tree searches over tables, sk_geohash_int is the 12-character
 *	  geohash as a 60-bit integer (prefixes are ranges) and
 *	  sk_geohash_int_ranges turns a radius into at most
 *	  SK_GEOHASH_RANGE_CELLS ranges of it (cells at bit granularity, the
 *	  cover's box and cell test); sk_geo_sphere_distance is PostGIS's sphere
 *	  distance, computed as PostGIS does.  sk_geohash_cells_within names the
 *	  cells of one length a radius reaches (the shards of a sharded geo set).
 *
 *	  Locking: none; every function is a pure function of its arguments.
 *	  This file depends on nothing of PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#include "geohash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* geohash.org base32 alphabet */
static const char geohash_alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";

const char *const sk_geo_dir_names[SK_GEO_NDIRS] = {
	"n", "ne", "e", "se", "s", "sw", "w", "nw"
};

/*
 * Radius of the sphere the cover measures on: a little less than WGS84's
 * smallest radius of curvature (the meridional one at the equator,
 * 6335439 m), so that r metres on it are at least as many degrees as r
 * metres under Redis's sphere (6372797.56 m), PostGIS's mean sphere
 * (6371008.77 m) or the WGS84 spheroid.
 */
#define COVER_RADIUS_M	6335000.0

#define DEG2RAD(d)	((d) * (M_PI / 180.0))
#define RAD2DEG(r)	((r) * (180.0 / M_PI))

/* value of a geohash character, or -1 (upper case is accepted too) */
static int
geohash_char_value(unsigned char c)
{
	const char *p;

	if (c >= 'A' && c <= 'Z')
		c = (unsigned char) (c - 'A' + 'a');
	if (c == '\0')
		return -1;
	p = strchr(geohash_alphabet, c);
	return p ? (int) (p - geohash_alphabet) : -1;
}

/*
 * The cell index along one axis of v at nbits bits: the i with
 * min + i*w <= v < min + (i+1)*w (w = range / 2^nbits), the last cell
 * taking v == min + range.  This is exactly where nbits steps of PostGIS's
 * bisection ("v >= mid" goes up) end: every cell edge is a dyadic rational
 * that doubles hold exactly, so after a floating-point estimate the index is
 * corrected with exact comparisons against the edges.  (A bit-by-bit
 * bisection costs a mispredicted branch per bit.)
 */
static uint64_t
axis_cell(double v, double min, double range, int nbits)
{
	int64_t		cells = INT64_C(1) << nbits;
	double		w = range / (double) cells;
	double		f = (v - min) * ((double) cells / range);
	int64_t		i;

	/* v >= min, so truncation is floor */
	if (!(f > 0))
		i = 0;
	else if (f > (double) (cells - 1))
		i = cells - 1;
	else
		i = (int64_t) f;
	while (i > 0 && v < min + (double) i * w)
		i--;
	while (i < cells - 1 && v >= min + (double) (i + 1) * w)
		i++;
	return (uint64_t) i;
}

/* spread the low 32 bits of v over the even bits of a 64-bit word */
static uint64_t spread_bits(uint32_t v);

/*
 * sk_geohash_encode -- the geohash of (lon, lat) with precision characters
 * into out (precision + 1 bytes).  Preconditions: lon in [-180, 180], lat
 * in [-90, 90], precision in 1..SK_GEOHASH_MAX_PRECISION.
 */
void
sk_geohash_encode(double lon, double lat, int precision, char *out)
{
	int			nlon = (5 * precision + 1) / 2;
	int			nlat = 5 * precision / 2;
	uint64_t	ilon = axis_cell(lon, -180.0, 360.0, nlon);
	uint64_t	ilat = axis_cell(lat, -90.0, 180.0, nlat);
	uint64_t	bits;
	int			i;

	/* interleave, longitude first: the last bit is longitude's iff 5p is odd */
	if (nlon > nlat)
		bits = spread_bits((uint32_t) ilon) | (spread_bits((uint32_t) ilat) << 1);
	else
		bits = (spread_bits((uint32_t) ilon) << 1) | spread_bits((uint32_t) ilat);
	for (i = 0; i < precision; i++)
		out[i] = geohash_alphabet[(bits >> (5 * (precision - 1 - i))) & 31];
	out[precision] = '\0';
}

/*
 * sk_geohash_check -- -1 when hash (len bytes, not necessarily terminated)
 * consists of geohash characters only, else the offset of the first
 * character that is not one.  The length is the caller's to check.
 */
int
sk_geohash_check(const char *hash, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (geohash_char_value((unsigned char) hash[i]) < 0)
			return (int) i;
	return -1;
}

/* the cell indexes of a valid hash: longitude and latitude bits, MSB first */
static void
geohash_to_cell(const char *hash, size_t len, uint64_t *ilon, int *nlon,
				uint64_t *ilat, int *nlat)
{
	uint64_t	x = 0,
				y = 0;
	int			bitno = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		int			v = geohash_char_value((unsigned char) hash[i]);
		int			b;

		for (b = 4; b >= 0; b--, bitno++)
		{
			if (bitno % 2 == 0)
				x = (x << 1) | ((v >> b) & 1);
			else
				y = (y << 1) | ((v >> b) & 1);
		}
	}
	*ilon = x;
	*ilat = y;
	*nlon = (int) ((5 * len + 1) / 2);
	*nlat = (int) (5 * len / 2);
}

/* the hash of len characters of the cell (ilon, ilat) */
static void
cell_to_geohash(uint64_t ilon, uint64_t ilat, size_t len, char *out)
{
	int			nlon = (int) ((5 * len + 1) / 2);
	int			nlat = (int) (5 * len / 2);
	int			bitno = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		int			v = 0;
		int			b;

		for (b = 0; b < 5; b++, bitno++)
		{
			v <<= 1;
			if (bitno % 2 == 0)
				v |= (int) ((ilon >> (--nlon)) & 1);
			else
				v |= (int) ((ilat >> (--nlat)) & 1);
		}
		out[i] = geohash_alphabet[v];
	}
	out[len] = '\0';
}

/* the box of cell (ilon, ilat) with nlon and nlat bits; exact in doubles */
static void
cell_box(uint64_t ilon, int nlon, uint64_t ilat, int nlat, SkGeoBox *box)
{
	double		w = 360.0 / (double) (UINT64_C(1) << nlon);
	double		h = 180.0 / (double) (UINT64_C(1) << nlat);

	box->min_lon = -180.0 + (double) ilon * w;
	box->max_lon = -180.0 + (double) (ilon + 1) * w;
	box->min_lat = -90.0 + (double) ilat * h;
	box->max_lat = -90.0 + (double) (ilat + 1) * h;
}

/*
 * sk_geohash_box -- the cell of a valid hash of len characters
 * (precondition: sk_geohash_check() passed, 1 <= len <= 12).
 */
void
sk_geohash_box(const char *hash, size_t len, SkGeoBox *box)
{
	uint64_t	ilon,
				ilat;
	int			nlon,
				nlat;

	geohash_to_cell(hash, len, &ilon, &nlon, &ilat, &nlat);
	cell_box(ilon, nlon, ilat, nlat, box);
}

/*
 * sk_geohash_neighbor -- the neighbour of a valid hash in direction dir,
 * into out (len + 1 bytes).  Longitude wraps around the antimeridian; there
 * is no neighbour north of the northernmost row or south of the
 * southernmost one, and then the result is false.
 */
bool
sk_geohash_neighbor(const char *hash, size_t len, SkGeoDir dir, char *out)
{
	static const int dx[SK_GEO_NDIRS] = {0, 1, 1, 1, 0, -1, -1, -1};
	static const int dy[SK_GEO_NDIRS] = {1, 1, 0, -1, -1, -1, 0, 1};
	uint64_t	ilon,
				ilat;
	int			nlon,
				nlat;
	uint64_t	lon_cells,
				lat_cells;

	geohash_to_cell(hash, len, &ilon, &nlon, &ilat, &nlat);
	lon_cells = UINT64_C(1) << nlon;
	lat_cells = UINT64_C(1) << nlat;

	if (dy[dir] > 0 && ilat + 1 >= lat_cells)
		return false;
	if (dy[dir] < 0 && ilat == 0)
		return false;
	ilat = (uint64_t) ((int64_t) ilat + dy[dir]);
	ilon = (uint64_t) ((int64_t) ilon + dx[dir] + (int64_t) lon_cells) % lon_cells;
	cell_to_geohash(ilon, ilat, len, out);
	return true;
}

/* central angle (radians) between two points given in degrees */
static double
central_angle(double lon1, double lat1, double lon2, double lat2)
{
	double		u = sin(DEG2RAD(lat2 - lat1) / 2);
	double		v = sin(DEG2RAD(lon2 - lon1) / 2);
	double		a = u * u + cos(DEG2RAD(lat1)) * cos(DEG2RAD(lat2)) * v * v;

	if (a > 1.0)
		a = 1.0;
	return 2.0 * asin(sqrt(a));
}

/*
 * A lower bound of the central angle between (lon, lat) and any point of
 * the box; may be lower than the true minimum (never higher).
 */
static double
box_min_angle(double lon, double lat, const SkGeoBox *box)
{
	double		dlon;
	double		edge;
	double		foot;

	/* within the box's longitudes: straight north or south */
	if (lon >= box->min_lon && lon <= box->max_lon)
	{
		if (lat < box->min_lat)
			return DEG2RAD(box->min_lat - lat);
		if (lat > box->max_lat)
			return DEG2RAD(lat - box->max_lat);
		return 0.0;
	}

	/*
	 * Otherwise the nearest point lies on the meridian edge nearer in
	 * longitude (distance along a parallel grows with the longitude
	 * difference), at the foot of the perpendicular from the point clamped
	 * to the edge.  Beyond 90 degrees of longitude give up: 0 keeps the cell.
	 */
	dlon = fmod(box->min_lon - lon + 720.0, 360.0);
	edge = box->min_lon;
	if (fmod(lon - box->max_lon + 720.0, 360.0) < dlon)
	{
		dlon = fmod(lon - box->max_lon + 720.0, 360.0);
		edge = box->max_lon;
	}
	if (dlon >= 90.0)
		return 0.0;
	foot = RAD2DEG(atan(tan(DEG2RAD(lat)) / cos(DEG2RAD(dlon))));
	if (foot < box->min_lat)
		foot = box->min_lat;
	if (foot > box->max_lat)
		foot = box->max_lat;
	return central_angle(lon, lat, edge, foot);
}

static int
cmp_cells(const void *a, const void *b)
{
	return strcmp((const char *) a, (const char *) b);
}

/* the children of a cell that can hold points within ang of (lon, lat) */
static int
cover_children(const char *parent, size_t len, double lon, double lat,
			   double ang, char kids[32][SK_GEOHASH_MAX_PRECISION + 1])
{
	int			n = 0;
	int			c;

	for (c = 0; c < 32; c++)
	{
		SkGeoBox	box;

		memcpy(kids[n], parent, len);
		kids[n][len] = geohash_alphabet[c];
		kids[n][len + 1] = '\0';
		sk_geohash_box(kids[n], len + 1, &box);
		if (box_min_angle(lon, lat, &box) <= ang)
			n++;
	}
	return n;
}

/*
 * The longitude/latitude box holding every point within ang radians of
 * (lon, lat) on a sphere of radius COVER_RADIUS_M (so on any of the
 * others); *all_lon when it spans every longitude (a pole inside, or too
 * wide).  min_lon may be below -180 and max_lon above 180 (the box crosses
 * the antimeridian); latitudes are clamped to [-90, 90].
 */
static void
radius_box(double lon, double lat, double ang, SkGeoBox *b, bool *all_lon)
{
	double		dlat = RAD2DEG(ang);

	b->min_lat = lat - dlat;
	b->max_lat = lat + dlat;
	if (ang >= M_PI)
	{
		b->min_lat = -90.0;
		b->max_lat = 90.0;
	}
	*all_lon = true;
	b->min_lon = -180.0;
	b->max_lon = 180.0;
	if (b->min_lat > -90.0 && b->max_lat < 90.0)
	{
		double		s = sin(ang) / cos(DEG2RAD(lat));

		if (s < 1.0)
		{
			double		dlon = RAD2DEG(asin(s)) * (1.0 + 1e-9) + 1e-12;

			*all_lon = false;
			b->min_lon = lon - dlon;
			b->max_lon = lon + dlon;
		}
	}
	if (b->min_lat < -90.0)
		b->min_lat = -90.0;
	if (b->max_lat > 90.0)
		b->max_lat = 90.0;
}

/*
 * The cell indexes (nlon longitude bits, nlat latitude bits) the box spans:
 * longitudes i0..i1 (i0 may be negative when the box crosses the
 * antimeridian: take i modulo the number of cells), latitudes j0..j1.
 */
static void
grid_span(const SkGeoBox *b, bool all_lon, int nlon, int nlat,
		  int64_t *i0, int64_t *i1, int64_t *j0, int64_t *j1)
{
	int64_t		lon_cells = INT64_C(1) << nlon;
	int64_t		lat_cells = INT64_C(1) << nlat;
	double		w = 360.0 / (double) lon_cells;
	double		h = 180.0 / (double) lat_cells;

	if (all_lon)
	{
		*i0 = 0;
		*i1 = lon_cells - 1;
	}
	else
	{
		*i0 = (int64_t) floor((b->min_lon + 180.0) / w);
		*i1 = (int64_t) floor((b->max_lon + 180.0) / w);
		if (*i1 - *i0 + 1 >= lon_cells)
		{
			*i0 = 0;
			*i1 = lon_cells - 1;
		}
	}
	*j0 = (int64_t) floor((b->min_lat + 90.0) / h);
	*j1 = (int64_t) floor((b->max_lat + 90.0) / h);
	if (*j0 < 0)
		*j0 = 0;
	if (*j1 > lat_cells - 1)
		*j1 = lat_cells - 1;
}

/* angular radius of radius_m metres on the cover's sphere, with a margin for rounding */
static inline double
cover_angle(double radius_m)
{
	return radius_m / COVER_RADIUS_M * (1.0 + 1e-9) + 1e-12;
}

/*
 * sk_geohash_cover -- geohashes whose cells together contain every point
 * within radius_m metres of (lon, lat), into cells (sorted, non-overlapping,
 * of one or two lengths).  Returns how many (1..SK_GEOHASH_COVER_MAX).
 * Preconditions: lon in [-180, 180], lat in [-90, 90], radius_m finite and
 * >= 0.
 */
int
sk_geohash_cover(double lon, double lat, double radius_m,
				 char cells[][SK_GEOHASH_MAX_PRECISION + 1])
{
	double		ang = cover_angle(radius_m);
	SkGeoBox	bbox;
	bool		all_lon;
	int			p;
	int			precision = 1;
	int			n = 0;

	radius_box(lon, lat, ang, &bbox, &all_lon);

	/* the longest length whose cells cover the box in few enough cells */
	for (p = SK_GEOHASH_MAX_PRECISION; p >= 1; p--)
	{
		int			nlon = (5 * p + 1) / 2;
		int			nlat = 5 * p / 2;
		int64_t		lon_cells = INT64_C(1) << nlon;
		int64_t		i0,
					i1,
					j0,
					j1,
					i,
					j;

		grid_span(&bbox, all_lon, nlon, nlat, &i0, &i1, &j0, &j1);
		if ((i1 - i0 + 1) * (j1 - j0 + 1) > SK_GEOHASH_COVER_LEVEL)
			continue;			/* too many cells: try shorter hashes */

		for (i = i0; i <= i1; i++)
		{
			uint64_t	ci = (uint64_t) (((i % lon_cells) + lon_cells) % lon_cells);

			for (j = j0; j <= j1; j++)
			{
				SkGeoBox	box;

				cell_box(ci, nlon, (uint64_t) j, nlat, &box);
				if (box_min_angle(lon, lat, &box) > ang)
					continue;
				cell_to_geohash(ci, (uint64_t) j, (size_t) p, cells[n++]);
			}
		}
		precision = p;
		break;
	}

	/* the point's own cell always qualifies, but be safe about rounding */
	if (n == 0)
	{
		sk_geohash_encode(lon, lat, precision, cells[0]);
		n = 1;
	}

	/*
	 * Refine: replace cells by their reachable children, fewest children
	 * first (the most rows outside the circle saved per cell), while the
	 * budget allows.  Cells all of whose children are reachable gain nothing.
	 */
	if (precision < SK_GEOHASH_MAX_PRECISION)
	{
		int			nkids[SK_GEOHASH_COVER_LEVEL];
		bool		done[SK_GEOHASH_COVER_LEVEL] = {false};
		int			ncoarse = n;
		int			k;

		for (k = 0; k < ncoarse; k++)
		{
			char		kids[32][SK_GEOHASH_MAX_PRECISION + 1];

			nkids[k] = cover_children(cells[k], (size_t) precision, lon, lat, ang, kids);
		}
		for (;;)
		{
			int			best = -1;

			for (k = 0; k < ncoarse; k++)
				if (!done[k] && nkids[k] < 32 &&
					n - 1 + nkids[k] <= SK_GEOHASH_COVER_MAX &&
					(best < 0 || nkids[k] < nkids[best]))
					best = k;
			if (best < 0)
				break;
			{
				char		kids[32][SK_GEOHASH_MAX_PRECISION + 1];
				int			m = cover_children(cells[best], (size_t) precision,
											   lon, lat, ang, kids);
				int			c;

				done[best] = true;
				if (m == 0)
				{
					/* cannot happen (the parent was reachable); keep it */
					continue;
				}
				/* the first child takes the parent's slot, the rest go last */
				memcpy(cells[best], kids[0], sizeof(kids[0]));
				for (c = 1; c < m; c++)
					memcpy(cells[n++], kids[c], sizeof(kids[c]));
			}
		}
	}
	qsort(cells, n, sizeof(cells[0]), cmp_cells);
	return n;
}

/* ---------------------------------------------------------------------
 * Geohashes as integers: table search and shard cells
 * ---------------------------------------------------------------------
 */

/* the interleaved bits of cell (ilon, ilat), longitude first */
static inline uint64_t
interleave_cell(uint64_t ilon, int nlon, uint64_t ilat, int nlat)
{
	if (nlon > nlat)
		return spread_bits((uint32_t) ilon) | (spread_bits((uint32_t) ilat) << 1);
	return (spread_bits((uint32_t) ilon) << 1) | spread_bits((uint32_t) ilat);
}

/*
 * sk_geohash_int -- the 12-character geohash of (lon, lat) as a 60-bit
 * integer (its characters' 5-bit values in order), so that integers sort
 * as the strings do and a prefix of n characters is a range of integers.
 * Preconditions: lon in [-180, 180], lat in [-90, 90].
 */
uint64_t
sk_geohash_int(double lon, double lat)
{
	int			nbits = SK_GEOHASH_INT_BITS / 2;

	return interleave_cell(axis_cell(lon, -180.0, 360.0, nbits), nbits,
						   axis_cell(lat, -90.0, 180.0, nbits), nbits);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a;
	uint64_t	y = *(const uint64_t *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * sk_geohash_int_ranges -- the ranges lo[i]..hi[i] (inclusive, ascending,
 * disjoint and not adjacent) of sk_geohash_int values that hold every
 * point within radius_m metres of (lon, lat); returns how many
 * (1..SK_GEOHASH_RANGE_CELLS).
 *
 * The cells are those of the longest bit length (longitude and latitude
 * bits in turn, so lengths need not be whole characters) at which at most
 * SK_GEOHASH_RANGE_CELLS cells span the circle's bounding box (see
 * radius_box), less those the circle cannot reach; neighbouring cells
 * whose integers follow each other merge into one range.  Few ranges keep
 * the b-tree descents few; bit lengths keep the scanned area within about
 * 2 to 4 times the box's.
 * Preconditions: lon in [-180, 180], lat in [-90, 90], radius_m >= 0 (not
 * NaN; infinity covers the earth).
 */
int
sk_geohash_int_ranges(double lon, double lat, double radius_m,
					  uint64_t lo[SK_GEOHASH_RANGE_CELLS], uint64_t hi[SK_GEOHASH_RANGE_CELLS])
{
	double		ang = cover_angle(radius_m);
	SkGeoBox	bbox;
	bool		all_lon;
	uint64_t	starts[SK_GEOHASH_RANGE_CELLS];
	int			k;
	int			n = 0;
	int			shift = 0;
	int			m;
	int			i;

	radius_box(lon, lat, ang, &bbox, &all_lon);
	for (k = SK_GEOHASH_INT_BITS; k >= 0; k--)
	{
		int			nlon = (k + 1) / 2;
		int			nlat = k / 2;
		int64_t		lon_cells = INT64_C(1) << nlon;
		int64_t		i0,
					i1,
					j0,
					j1,
					ii,
					j;

		grid_span(&bbox, all_lon, nlon, nlat, &i0, &i1, &j0, &j1);
		if ((i1 - i0 + 1) * (j1 - j0 + 1) > SK_GEOHASH_RANGE_CELLS)
			continue;
		shift = SK_GEOHASH_INT_BITS - k;
		for (ii = i0; ii <= i1; ii++)
		{
			uint64_t	ci = (uint64_t) (((ii % lon_cells) + lon_cells) % lon_cells);

			for (j = j0; j <= j1; j++)
			{
				SkGeoBox	box;

				cell_box(ci, nlon, (uint64_t) j, nlat, &box);
				if (box_min_angle(lon, lat, &box) > ang)
					continue;
				starts[n++] = interleave_cell(ci, nlon, (uint64_t) j, nlat) << shift;
			}
		}
		break;
	}
	/* the point's own cell always qualifies, but be safe about rounding */
	if (n == 0)
		starts[n++] = (sk_geohash_int(lon, lat) >> shift) << shift;
	qsort(starts, n, sizeof(uint64_t), cmp_u64);
	m = 0;
	for (i = 0; i < n; i++)
	{
		uint64_t	end = starts[i] + ((UINT64_C(1) << shift) - 1);

		if (m > 0 && starts[i] == hi[m - 1] + 1)
			hi[m - 1] = end;
		else
		{
			lo[m] = starts[i];
			hi[m] = end;
			m++;
		}
	}
	return m;
}

/*
 * sk_geohash_cells_within -- the geohashes of precision characters whose
 * cells may hold a point within radius_m metres of (lon, lat) (under
 * Redis's sphere, PostGIS's or the spheroid), into cells (room for max);
 * returns how many, or -1 when the circle's bounding box spans more than
 * max cells.  Unsorted.
 * Preconditions: as sk_geohash_int_ranges; precision in 1..12.
 */
int64_t
sk_geohash_cells_within(double lon, double lat, double radius_m, int precision,
						char (*cells)[SK_GEOHASH_MAX_PRECISION + 1], int64_t max)
{
	double		ang = cover_angle(radius_m);
	SkGeoBox	bbox;
	bool		all_lon;
	int			nlon = (5 * precision + 1) / 2;
	int			nlat = 5 * precision / 2;
	int64_t		lon_cells = INT64_C(1) << nlon;
	int64_t		i0,
				i1,
				j0,
				j1,
				i,
				j,
				n = 0;

	radius_box(lon, lat, ang, &bbox, &all_lon);
	grid_span(&bbox, all_lon, nlon, nlat, &i0, &i1, &j0, &j1);
	/* both factors are at most 2^30: no overflow */
	if ((i1 - i0 + 1) * (j1 - j0 + 1) > max)
		return -1;
	for (i = i0; i <= i1; i++)
	{
		uint64_t	ci = (uint64_t) (((i % lon_cells) + lon_cells) % lon_cells);

		for (j = j0; j <= j1; j++)
		{
			SkGeoBox	box;

			cell_box(ci, nlon, (uint64_t) j, nlat, &box);
			if (box_min_angle(lon, lat, &box) > ang)
				continue;
			cell_to_geohash(ci, (uint64_t) j, (size_t) precision, cells[n++]);
		}
	}
	return n;
}

/*
 * PostGIS's sphere: geography functions with use_spheroid => false measure
 * on a sphere of the WGS84 ellipsoid's mean radius (2a + b) / 3 (PostGIS
 * liblwgeom spheroid_init), a = 6378137 m, 1/f = 298.257223563 (WGS84).
 */
#define WGS84_A		6378137.0
#define WGS84_RF	298.257223563

double
sk_geo_sphere_radius(void)
{
	double		b = WGS84_A - WGS84_A / WGS84_RF;

	return (2.0 * WGS84_A + b) / 3.0;
}

/* radians in (-pi, pi], as PostGIS's geodetic code normalises longitudes */
static double
lon_rad_normalize(double lon)
{
	if (lon == -M_PI)
		return M_PI;
	if (lon == -2.0 * M_PI)
		return 0.0;
	if (lon > 2.0 * M_PI)
		lon = remainder(lon, 2.0 * M_PI);
	if (lon < -2.0 * M_PI)
		lon = remainder(lon, -2.0 * M_PI);
	if (lon > M_PI)
		lon = -2.0 * M_PI + lon;
	if (lon < -M_PI)
		lon = 2.0 * M_PI + lon;
	if (lon == -2.0 * M_PI)
		lon *= -1.0;
	return lon;
}

/* radians in [-pi/2, pi/2] (valid latitudes are left as they are) */
static double
lat_rad_normalize(double lat)
{
	if (lat > 2.0 * M_PI)
		lat = remainder(lat, 2.0 * M_PI);
	if (lat < -2.0 * M_PI)
		lat = remainder(lat, -2.0 * M_PI);
	if (lat > M_PI)
		lat = M_PI - lat;
	if (lat < -M_PI)
		lat = -M_PI - lat;
	if (lat > M_PI_2)
		lat = M_PI - lat;
	if (lat < -M_PI_2)
		lat = -M_PI - lat;
	return lat;
}

/*
 * sk_geo_sphere_distance -- metres between two positions on PostGIS's
 * sphere, computed as PostGIS computes the distance between two points
 * (degrees to radians as pi * d / 180, normalised; the great-circle angle
 * as atan2 of the cross and dot products' parts; times the radius), so
 * that "distance <= r" agrees with ST_DWithin(ST_MakePoint(lon1, lat1)::geography,
 * ST_MakePoint(lon2, lat2)::geography, r, false) to the last bit.  The
 * argument order matters to the last bit, as it does to PostGIS.
 */
double
sk_geo_sphere_distance(double lon1, double lat1, double lon2, double lat2)
{
	double		slon = lon_rad_normalize(M_PI * lon1 / 180.0);
	double		slat = lat_rad_normalize(M_PI * lat1 / 180.0);
	double		elon = lon_rad_normalize(M_PI * lon2 / 180.0);
	double		elat = lat_rad_normalize(M_PI * lat2 / 180.0);
	double		d_lon = elon - slon;
	double		cos_d_lon = cos(d_lon);
	double		cos_lat_e = cos(elat);
	double		sin_lat_e = sin(elat);
	double		cos_lat_s = cos(slat);
	double		sin_lat_s = sin(slat);
	double		x = cos_lat_e * sin(d_lon);
	double		y = cos_lat_s * sin_lat_e - sin_lat_s * cos_lat_e * cos_d_lon;
	double		z = sin_lat_s * sin_lat_e + cos_lat_s * cos_lat_e * cos_d_lon;

	return sk_geo_sphere_radius() * atan2(sqrt(x * x + y * y), z);
}

/* ---------------------------------------------------------------------
 * Redis geo scores
 * ---------------------------------------------------------------------
 */

/* spread the 32 bits of v over the even bits of a 64-bit word */
static uint64_t
spread_bits(uint32_t v)
{
	uint64_t	x = v;

	x = (x | (x << 16)) & UINT64_C(0x0000FFFF0000FFFF);
	x = (x | (x << 8)) & UINT64_C(0x00FF00FF00FF00FF);
	x = (x | (x << 4)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
	x = (x | (x << 2)) & UINT64_C(0x3333333333333333);
	x = (x | (x << 1)) & UINT64_C(0x5555555555555555);
	return x;
}

/* gather the even bits of a 64-bit word into 32 bits */
static uint32_t
gather_bits(uint64_t x)
{
	x &= UINT64_C(0x5555555555555555);
	x = (x | (x >> 1)) & UINT64_C(0x3333333333333333);
	x = (x | (x >> 2)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
	x = (x | (x >> 4)) & UINT64_C(0x00FF00FF00FF00FF);
	x = (x | (x >> 8)) & UINT64_C(0x0000FFFF0000FFFF);
	x = (x | (x >> 16)) & UINT64_C(0x00000000FFFFFFFF);
	return (uint32_t) x;
}

/*
 * Redis's geohashEncode: step bits per axis over longitude [-180, 180] and
 * latitude [lat_min, lat_max], offsets truncated, latitude on the even bits.
 * A coordinate equal to its range's maximum spills into bit 2*step(+1).
 */
static uint64_t
encode_step(double lon, double lat, int step, double lat_min, double lat_max)
{
	double		lat_offset = (lat - lat_min) / (lat_max - lat_min);
	double		lon_offset = (lon - SK_GEO_LONG_MIN) / (SK_GEO_LONG_MAX - SK_GEO_LONG_MIN);

	lat_offset *= (double) (UINT64_C(1) << step);
	lon_offset *= (double) (UINT64_C(1) << step);
	return spread_bits((uint32_t) lat_offset) |
		(spread_bits((uint32_t) lon_offset) << 1);
}

/*
 * sk_geo_valid_lonlat -- whether GEOADD accepts the position (Redis:
 * "invalid longitude,latitude pair" otherwise).  NaN is rejected too.
 */
bool
sk_geo_valid_lonlat(double lon, double lat)
{
	return lon >= SK_GEO_LONG_MIN && lon <= SK_GEO_LONG_MAX &&
		lat >= SK_GEO_LAT_MIN && lat <= SK_GEO_LAT_MAX;
}

/*
 * sk_geo_score -- the 52-bit interleaved geohash GEOADD stores as the score
 * (precondition: sk_geo_valid_lonlat()).  As in Redis, a coordinate equal
 * to its range's maximum yields offset 2^26, which spills into bit 52/53.
 */
uint64_t
sk_geo_score(double lon, double lat)
{
	return encode_step(lon, lat, SK_GEO_STEP, SK_GEO_LAT_MIN, SK_GEO_LAT_MAX);
}

/*
 * sk_geo_decode_score -- the position GEOPOS reports for a score's bits:
 * the centre of its cell, clamped to the valid ranges.
 */
void
sk_geo_decode_score(uint64_t bits, double *lon, double *lat)
{
	uint32_t	ilat = gather_bits(bits);
	uint32_t	ilon = gather_bits(bits >> 1);
	double		lat_scale = SK_GEO_LAT_MAX - SK_GEO_LAT_MIN;
	double		lon_scale = SK_GEO_LONG_MAX - SK_GEO_LONG_MIN;
	double		cells = (double) (UINT64_C(1) << SK_GEO_STEP);
	double		lat_min = SK_GEO_LAT_MIN + (ilat * 1.0 / cells) * lat_scale;
	double		lat_max = SK_GEO_LAT_MIN + ((ilat + 1) * 1.0 / cells) * lat_scale;
	double		lon_min = SK_GEO_LONG_MIN + (ilon * 1.0 / cells) * lon_scale;
	double		lon_max = SK_GEO_LONG_MIN + ((ilon + 1) * 1.0 / cells) * lon_scale;
	double		x = (lon_min + lon_max) / 2;
	double		y = (lat_min + lat_max) / 2;

	if (x > SK_GEO_LONG_MAX)
		x = SK_GEO_LONG_MAX;
	if (x < SK_GEO_LONG_MIN)
		x = SK_GEO_LONG_MIN;
	if (y > SK_GEO_LAT_MAX)
		y = SK_GEO_LAT_MAX;
	if (y < SK_GEO_LAT_MIN)
		y = SK_GEO_LAT_MIN;
	*lon = x;
	*lat = y;
}

/* Redis geohash_helper.c deg_rad() */
static inline double
deg_rad(double ang)
{
	return ang * (M_PI / 180.0);
}

/*
 * sk_geo_distance -- metres between two positions on Redis's sphere
 * (haversine), as GEODIST computes it, including its shortcut for equal
 * longitudes.
 */
double
sk_geo_distance(double lon1, double lat1, double lon2, double lat2)
{
	double		lon1r = deg_rad(lon1);
	double		lon2r = deg_rad(lon2);
	double		v = sin((lon2r - lon1r) / 2);
	double		lat1r,
				lat2r,
				u,
				a;

	if (v == 0.0)
		return SK_GEO_EARTH_RADIUS_M * fabs(deg_rad(lat2) - deg_rad(lat1));
	lat1r = deg_rad(lat1);
	lat2r = deg_rad(lat2);
	u = sin((lat2r - lat1r) / 2);
	a = u * u + cos(lat1r) * cos(lat2r) * v * v;
	return 2.0 * SK_GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

/* ---------------------------------------------------------------------
 * Redis GEOHASH, units, score bits
 * ---------------------------------------------------------------------
 */
double
sk_geo_unit_meters(const char *u)
{
	if (strcasecmp(u, "m") == 0)
		return 1.0;
	if (strcasecmp(u, "km") == 0)
		return 1000.0;
	if (strcasecmp(u, "ft") == 0)
		return 0.3048;
	if (strcasecmp(u, "mi") == 0)
		return 1609.34;
	return 0.0;
}

uint64_t
sk_geo_score_bits(double score)
{
	/* 2^63 and 2^64 */
	if (score >= 0.0 && score < 18446744073709551616.0)
		return (uint64_t) score;
	if (score < 0.0 && score > -9223372036854775808.0)
		return (uint64_t) (int64_t) score;
	if (score < 0.0)
		return UINT64_C(0x8000000000000000);
	return 0;
}

/*
 * sk_geo_redis_geohash -- what GEOHASH prints: the decoded position
 * re-encoded at 26 bits per axis over the standard latitude range [-90, 90],
 * 10 characters of those 52 bits and a '0'.
 */
void
sk_geo_redis_geohash(uint64_t bits, char out[12])
{
	double		lon,
				lat;
	uint64_t	h;
	int			i;

	sk_geo_decode_score(bits, &lon, &lat);
	h = encode_step(lon, lat, SK_GEO_STEP, -90.0, 90.0);
	for (i = 0; i < 10; i++)
		out[i] = geohash_alphabet[(h >> (52 - (i + 1) * 5)) & 0x1f];
	out[10] = '0';
	out[11] = '\0';
}

/* ---------------------------------------------------------------------
 * Redis GEOSEARCH: the cells to scan and the exact filter
 *
 * Each step below is Redis 7.0's (geohash.c, geohash_helper.c, geo.c),
 * expression for expression, because its cells decide which members a
 * search finds (and in which order when unsorted): the step estimated from
 * the radius, the bounding box, the neighbours wrapping around, the step
 * decreased once when a neighbour does not reach the box, and neighbours
 * the box does not reach dropped.
 * ---------------------------------------------------------------------
 */

/* Redis geohash_helper.c: MERCATOR_MAX */
#define SK_GEO_MERCATOR_MAX	20037726.37

static inline double
rad_deg(double ang)
{
	return ang / (M_PI / 180.0);
}

/* geohashEstimateStepsByRadius */
static int
estimate_steps(double range_m, double lat)
{
	int			step = 1;

	if (range_m == 0)
		return SK_GEO_STEP;
	while (range_m < SK_GEO_MERCATOR_MAX)
	{
		range_m *= 2;
		step++;
	}
	step -= 2;
	if (lat > 66 || lat < -66)
	{
		step--;
		if (lat > 80 || lat < -80)
			step--;
	}
	if (step < 1)
		step = 1;
	if (step > SK_GEO_STEP)
		step = SK_GEO_STEP;
	return step;
}

/* geohashDecode over Redis's ranges */
static void
cell_area(SkGeoCell c, SkGeoBox *a)
{
	uint32_t	ilat = gather_bits(c.bits);
	uint32_t	ilon = gather_bits(c.bits >> 1);
	double		lat_scale = SK_GEO_LAT_MAX - SK_GEO_LAT_MIN;
	double		lon_scale = SK_GEO_LONG_MAX - SK_GEO_LONG_MIN;
	double		cells = (double) (UINT64_C(1) << c.step);

	a->min_lat = SK_GEO_LAT_MIN + (ilat * 1.0 / cells) * lat_scale;
	a->max_lat = SK_GEO_LAT_MIN + ((ilat + 1) * 1.0 / cells) * lat_scale;
	a->min_lon = SK_GEO_LONG_MIN + (ilon * 1.0 / cells) * lon_scale;
	a->max_lon = SK_GEO_LONG_MIN + ((ilon + 1) * 1.0 / cells) * lon_scale;
}

/*
 * geohash_move_x / geohash_move_y: one cell east (+1) or west (-1), north
 * (+1) or south (-1), wrapping around within step bits (only the moved
 * axis is masked, as in Redis).
 */
static SkGeoCell
cell_move(SkGeoCell c, int dx, int dy)
{
	uint64_t	odd = UINT64_C(0xaaaaaaaaaaaaaaaa);
	uint64_t	even = UINT64_C(0x5555555555555555);
	int			sh = 64 - c.step * 2;

	if (dx != 0)
	{
		uint64_t	x = c.bits & odd;
		uint64_t	y = c.bits & even;
		uint64_t	zz = even >> sh;

		if (dx > 0)
			x = x + (zz + 1);
		else
			x = (x | zz) - (zz + 1);
		x &= odd >> sh;
		c.bits = x | y;
	}
	if (dy != 0)
	{
		uint64_t	x = c.bits & odd;
		uint64_t	y = c.bits & even;
		uint64_t	zz = odd >> sh;

		if (dy > 0)
			y = y + (zz + 1);
		else
			y = (y | zz) - (zz + 1);
		y &= even >> sh;
		c.bits = x | y;
	}
	return c;
}

/* cells[0] = centre at step, then N, S, E, W, NE, NW, SE, SW */
static void
cells_at(const SkGeoShape *s, int step, SkGeoCell cells[SK_GEO_NCELLS])
{
	static const int dx[SK_GEO_NCELLS] = {0, 0, 0, 1, -1, 1, -1, 1, -1};
	static const int dy[SK_GEO_NCELLS] = {0, 1, -1, 0, 0, 1, 1, -1, -1};
	int			i;

	cells[0].bits = encode_step(s->lon, s->lat, step, SK_GEO_LAT_MIN, SK_GEO_LAT_MAX);
	cells[0].step = step;
	for (i = 1; i < SK_GEO_NCELLS; i++)
		cells[i] = cell_move(cells[0], dx[i], dy[i]);
}

#define CELL_N	1
#define CELL_S	2
#define CELL_E	3
#define CELL_W	4
#define CELL_NE	5
#define CELL_NW	6
#define CELL_SE	7
#define CELL_SW	8

static inline void
cell_zero(SkGeoCell *c)
{
	c->bits = 0;
	c->step = 0;
}

void
sk_geo_search_cells(const SkGeoShape *s, SkGeoCell cells[SK_GEO_NCELLS])
{
	double		height = s->to_meters * (s->box ? s->height / 2 : s->radius);
	double		width = s->to_meters * (s->box ? s->width / 2 : s->radius);
	double		lat_delta,
				lon_delta_top,
				lon_delta_bottom;
	double		min_lon,
				max_lon,
				min_lat,
				max_lat;
	double		radius_m;
	int			steps;
	bool		decrease = false;
	SkGeoBox	area,
				n,
				so,
				e,
				w;

	/* geohashBoundingBox */
	lat_delta = rad_deg(height / SK_GEO_EARTH_RADIUS_M);
	lon_delta_top = rad_deg(width / SK_GEO_EARTH_RADIUS_M / cos(deg_rad(s->lat + lat_delta)));
	lon_delta_bottom = rad_deg(width / SK_GEO_EARTH_RADIUS_M / cos(deg_rad(s->lat - lat_delta)));
	if (s->lat < 0)
	{
		min_lon = s->lon - lon_delta_bottom;
		max_lon = s->lon + lon_delta_bottom;
	}
	else
	{
		min_lon = s->lon - lon_delta_top;
		max_lon = s->lon + lon_delta_top;
	}
	min_lat = s->lat - lat_delta;
	max_lat = s->lat + lat_delta;

	/* a box's step comes from the distance from its centre to a corner */
	radius_m = s->box ?
		sqrt((s->width / 2) * (s->width / 2) + (s->height / 2) * (s->height / 2)) : s->radius;
	radius_m *= s->to_meters;
	steps = estimate_steps(radius_m, s->lat);
	cells_at(s, steps, cells);

	/* one step less when a neighbour does not reach the bounding box */
	cell_area(cells[CELL_N], &n);
	cell_area(cells[CELL_S], &so);
	cell_area(cells[CELL_E], &e);
	cell_area(cells[CELL_W], &w);
	if (n.max_lat < max_lat)
		decrease = true;
	if (so.min_lat > min_lat)
		decrease = true;
	if (e.max_lon < max_lon)
		decrease = true;
	if (w.min_lon > min_lon)
		decrease = true;
	if (steps > 1 && decrease)
	{
		steps--;
		cells_at(s, steps, cells);
	}
	cell_area(cells[0], &area);

	/* neighbours beyond the bounding box are not scanned */
	if (steps >= 2)
	{
		if (area.min_lat < min_lat)
		{
			cell_zero(&cells[CELL_S]);
			cell_zero(&cells[CELL_SW]);
			cell_zero(&cells[CELL_SE]);
		}
		if (area.max_lat > max_lat)
		{
			cell_zero(&cells[CELL_N]);
			cell_zero(&cells[CELL_NE]);
			cell_zero(&cells[CELL_NW]);
		}
		if (area.min_lon < min_lon)
		{
			cell_zero(&cells[CELL_W]);
			cell_zero(&cells[CELL_SW]);
			cell_zero(&cells[CELL_NW]);
		}
		if (area.max_lon > max_lon)
		{
			cell_zero(&cells[CELL_E]);
			cell_zero(&cells[CELL_SE]);
			cell_zero(&cells[CELL_NE]);
		}
	}
}

void
sk_geo_cell_scores(SkGeoCell c, double *min, double *max)
{
	int			sh = 52 - c.step * 2;

	*min = (double) (c.bits << sh);
	*max = (double) ((c.bits + 1) << sh);
}

void
sk_geo_shape_prepare(SkGeoShape *s)
{
	s->prepared = !s->box;
	s->lat_rad = deg_rad(s->lat);
	s->cos_lat = cos(s->lat_rad);
	/*
	 * The great-circle distance is at least R * |latitude difference|; a
	 * margin far above rounding keeps every point Redis accepts.
	 */
	s->reject_m = s->radius * s->to_meters * (1.0 + 1e-9) + 1e-6;
}

/*
 * sk_geo_distance from a prepared centre (lon1, lat1r = s->lat_rad, cos
 * s->cos_lat): the same operations in the same order, so the same bits.
 */
static inline double
distance_from(const SkGeoShape *s, double lon2, double lat2)
{
	double		lon1r = deg_rad(s->lon);
	double		lon2r = deg_rad(lon2);
	double		v = sin((lon2r - lon1r) / 2);
	double		lat2r,
				u,
				a;

	if (v == 0.0)
		return SK_GEO_EARTH_RADIUS_M * fabs(deg_rad(lat2) - s->lat_rad);
	lat2r = deg_rad(lat2);
	u = sin((lat2r - s->lat_rad) / 2);
	a = u * u + s->cos_lat * cos(lat2r) * v * v;
	return 2.0 * SK_GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

bool
sk_geo_in_shape(const SkGeoShape *s, double score, double *lon, double *lat, double *dist_m)
{
	sk_geo_decode_score(sk_geo_score_bits(score), lon, lat);
	if (!s->box && s->prepared)
	{
		if (SK_GEO_EARTH_RADIUS_M * fabs(deg_rad(*lat) - s->lat_rad) > s->reject_m)
			return false;
		*dist_m = distance_from(s, *lon, *lat);
		return !(*dist_m > s->radius * s->to_meters);
	}
	if (!s->box)
	{
		*dist_m = sk_geo_distance(s->lon, s->lat, *lon, *lat);
		return !(*dist_m > s->radius * s->to_meters);
	}
	/* geohashGetDistanceIfInRectangle: latitude first, then longitude at the point's latitude */
	if (sk_geo_distance(*lon, *lat, *lon, s->lat) > s->height * s->to_meters / 2)
		return false;
	if (sk_geo_distance(*lon, *lat, s->lon, *lat) > s->width * s->to_meters / 2)
		return false;
	*dist_m = sk_geo_distance(s->lon, s->lat, *lon, *lat);
	return true;
}
