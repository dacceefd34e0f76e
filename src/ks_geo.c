/*-------------------------------------------------------------------------
 *
 * ks_geo.c
 *	  Geo sets, the C API: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH and
 *	  GEOSEARCHSTORE over sorted sets whose scores are Redis's 52-bit geo
 *	  scores.
 *
 * Redis 7.0 semantics (../shared/reference/redis-semantics.md, "Geo"):
 * positions come back decoded (the centre of their 26-bit cell); GEOSEARCH
 * scans the score ranges of the cells geohash.c's sk_geo_search_cells picks,
 * in Redis's order, filters by exact distance, then sorts as Redis does --
 * a stable sort (glibc's qsort is a merge sort) when every result is
 * returned, Redis's partial quicksort (pqsort.c) when COUNT cuts the
 * result -- so that results, and their order when distances tie or no sort
 * is asked for, equal Redis's.
 *
 * GEOSEARCH over shards (skgeo_search_shards) scans the keys of the geohash
 * cells the search can reach, each over the same score ranges, and merges
 * what they hold into one set's answer.
 *
 * Writes: GEOADD is skz_zadd (one ZADD operation); GEOSEARCHSTORE writes one
 * ZSTORE at the destination, as ZRANGESTORE does.
 *
 * Locking: the key's shard lock through the sorted-set helpers; the shards
 * of source and destination in ascending order (ZMulti) for GEOSEARCHSTORE;
 * a search over shard keys takes each key's lock in turn, never two at once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include "geo.h"
#include "zset_int.h"

/* ------------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------------
 */
double
skgeo_unit(const char *unit)
{
	double		m = sk_geo_unit_meters(unit);

	if (m <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported unit provided. please use M, KM, FT, MI"),
				 errdetail("Unit \"%s\" is not one of m, km, ft, mi.", unit)));
	return m;
}

void
skgeo_check_search(const SkGeoSearch *s)
{
	if (!s->from_member)
		sk_geo_check_redis_lonlat(s->shape.lon, s->shape.lat);
	if (!s->shape.box && s->shape.radius < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("radius cannot be negative")));
	if (s->shape.box && (s->shape.height < 0 || s->shape.width < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("height or width cannot be negative")));
	if (isnan(s->shape.radius) || isnan(s->shape.width) || isnan(s->shape.height))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("need numeric %s", s->shape.box ? "width" : "radius")));
	if (s->has_count && s->count <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("COUNT must be > 0")));
	if (s->any && !s->has_count)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the ANY argument requires COUNT argument")));
}

/* ------------------------------------------------------------------------
 * GEOADD, GEOPOS, GEODIST, GEOHASH
 * ------------------------------------------------------------------------
 */
int64
skgeo_add(SkBytes key, int n, const double *lons, const double *lats,
		  const SkBytes *members, int flags)
{
	double	   *scores;
	int			i;

	if ((flags & SKZ_NX) && (flags & SKZ_XX))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("syntax error"),
				 errdetail("nx and xx cannot be used together.")));
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of arguments for 'geoadd' command")));
	/* as Redis: every position is checked before anything is written */
	scores = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		sk_geo_check_redis_lonlat(lons[i], lats[i]);
		scores[i] = (double) sk_geo_score(lons[i], lats[i]);
	}
	return skz_zadd(key, n, scores, members, flags & (SKZ_NX | SKZ_XX | SKZ_CH), NULL, NULL);
}

/* The scores of members (found[i] false when absent or no key). */
static void
scores_of(SkBytes key, int n, const SkBytes *members, double *scores, bool *found)
{
	skz_zmscore(key, n, members, scores, found);
}

void
skgeo_pos(SkBytes key, int n, const SkBytes *members, double *lons, double *lats, bool *found)
{
	double	   *scores = palloc(sizeof(double) * Max(n, 1));
	int			i;

	scores_of(key, n, members, scores, found);
	for (i = 0; i < n; i++)
		if (found[i])
			sk_geo_decode_score(sk_geo_score_bits(scores[i]), &lons[i], &lats[i]);
}

bool
skgeo_dist(SkBytes key, SkBytes m1, SkBytes m2, double *meters)
{
	SkBytes		ms[2];
	double		sc[2];
	bool		found[2];
	double		lon1,
				lat1,
				lon2,
				lat2;

	ms[0] = m1;
	ms[1] = m2;
	scores_of(key, 2, ms, sc, found);
	if (!found[0] || !found[1])
		return false;
	sk_geo_decode_score(sk_geo_score_bits(sc[0]), &lon1, &lat1);
	sk_geo_decode_score(sk_geo_score_bits(sc[1]), &lon2, &lat2);
	*meters = sk_geo_distance(lon1, lat1, lon2, lat2);
	return true;
}

void
skgeo_hash(SkBytes key, int n, const SkBytes *members, char (*hashes)[12], bool *found)
{
	double	   *scores = palloc(sizeof(double) * Max(n, 1));
	int			i;

	scores_of(key, n, members, scores, found);
	for (i = 0; i < n; i++)
		if (found[i])
			sk_geo_redis_geohash(sk_geo_score_bits(scores[i]), hashes[i]);
}

/* ------------------------------------------------------------------------
 * Sorting as Redis does
 * ------------------------------------------------------------------------
 */

/* sort_gp_asc / sort_gp_desc */
static inline int
point_cmp(const SkGeoPoint *a, const SkGeoPoint *b, bool desc)
{
	int			r = (a->dist > b->dist) ? 1 : (a->dist == b->dist ? 0 : -1);

	return desc ? -r : r;
}

/*
 * Every result returned: Redis calls qsort, which in glibc is a merge sort
 * (stable); any stable sort gives the same order.
 */
static void
merge_sort(SkGeoPoint *p, SkGeoPoint *tmp, int64 n, bool desc)
{
	int64		n1 = n / 2,
				i = 0,
				j = n1,
				k = 0;

	if (n < 2)
		return;
	merge_sort(p, tmp, n1, desc);
	merge_sort(p + n1, tmp, n - n1, desc);
	while (i < n1 && j < n)
	{
		if (point_cmp(&p[i], &p[j], desc) <= 0)
			tmp[k++] = p[i++];
		else
			tmp[k++] = p[j++];
	}
	while (i < n1)
		tmp[k++] = p[i++];
	while (j < n)
		tmp[k++] = p[j++];
	memcpy(p, tmp, sizeof(SkGeoPoint) * n);
}

/*
 * COUNT cutting the result: Redis's pqsort (Bentley & McIlroy's quicksort,
 * recursing only into partitions that overlap ranks lo..hi).  Elements are
 * addressed by index; its moves are the same swaps, so ties end up where
 * Redis puts them.
 */
static inline void
pt_swap(SkGeoPoint *p, int64 a, int64 b)
{
	SkGeoPoint	t = p[a];

	p[a] = p[b];
	p[b] = t;
}

static inline void
pt_vecswap(SkGeoPoint *p, int64 a, int64 b, int64 n)
{
	int64		i;

	for (i = 0; i < n; i++)
		pt_swap(p, a + i, b + i);
}

static inline int64
pt_med3(SkGeoPoint *p, int64 a, int64 b, int64 c, bool desc)
{
	return point_cmp(&p[a], &p[b], desc) < 0 ?
		(point_cmp(&p[b], &p[c], desc) < 0 ? b : (point_cmp(&p[a], &p[c], desc) < 0 ? c : a))
		: (point_cmp(&p[b], &p[c], desc) > 0 ? b : (point_cmp(&p[a], &p[c], desc) < 0 ? a : c));
}

static void
partial_sort(SkGeoPoint *p, int64 a, int64 n, int64 lo, int64 hi, bool desc)
{
	int64		pa,
				pb,
				pc,
				pd,
				pl,
				pm,
				pn,
				d,
				r;
	int			c;

loop:
	CHECK_FOR_INTERRUPTS();
	if (n < 7)
	{
		for (pm = a + 1; pm < a + n; pm++)
			for (pl = pm; pl > a && point_cmp(&p[pl - 1], &p[pl], desc) > 0; pl--)
				pt_swap(p, pl, pl - 1);
		return;
	}
	pm = a + n / 2;
	if (n > 7)
	{
		pl = a;
		pn = a + n - 1;
		if (n > 40)
		{
			d = n / 8;
			pl = pt_med3(p, pl, pl + d, pl + 2 * d, desc);
			pm = pt_med3(p, pm - d, pm, pm + d, desc);
			pn = pt_med3(p, pn - 2 * d, pn - d, pn, desc);
		}
		pm = pt_med3(p, pl, pm, pn, desc);
	}
	pt_swap(p, a, pm);
	pa = pb = a + 1;
	pc = pd = a + n - 1;
	for (;;)
	{
		while (pb <= pc && (c = point_cmp(&p[pb], &p[a], desc)) <= 0)
		{
			if (c == 0)
			{
				pt_swap(p, pa, pb);
				pa++;
			}
			pb++;
		}
		while (pb <= pc && (c = point_cmp(&p[pc], &p[a], desc)) >= 0)
		{
			if (c == 0)
			{
				pt_swap(p, pc, pd);
				pd--;
			}
			pc--;
		}
		if (pb > pc)
			break;
		pt_swap(p, pb, pc);
		pb++;
		pc--;
	}
	pn = a + n;
	r = Min(pa - a, pb - pa);
	pt_vecswap(p, a, pb - r, r);
	r = Min(pd - pc, pn - pd - 1);
	pt_vecswap(p, pb, pn - r, r);
	/* recurse only into partitions holding some of ranks lo..hi */
	if ((r = pb - pa) > 1 && hi >= a && lo < a + r)
		partial_sort(p, a, r, lo, hi, desc);
	if ((r = pd - pc) > 1)
	{
		a = pn - r;
		n = r;
		if (hi >= a && lo < a + n)
			goto loop;
	}
}

/* ------------------------------------------------------------------------
 * GEOSEARCH, GEOSEARCHSTORE
 * ------------------------------------------------------------------------
 */
/*
 * The points a search finds.  Member bytes go to one buffer (m), each
 * point's moff its offset, until ga_done sets the member pointers.
 *
 * A search of one key uses buffers the backend keeps from one search to the
 * next (cached), up to GEO_CACHE_KEEP bytes each: a search returning
 * hundreds of points then allocates nothing that outlives it, so malloc
 * does not give memory back to the kernel and take it again on every query
 * (brk/munmap with TLB shootdowns cost as much as the search itself, on
 * VMs).  The results of a cached search are valid until the next search.
 */
typedef struct GeoArray
{
	SkGeoPoint *p;
	int64		n;
	int64		cap;
	char	   *m;
	Size		mlen;
	Size		mcap;
	bool		cached;
} GeoArray;

#define GEO_CACHE_KEEP	(1024 * 1024)

static SkGeoPoint *cache_p;
static int64 cache_cap;
static char *cache_m;
static Size cache_mcap;
static SkGeoPoint *cache_tmp;
static int64 cache_tmp_cap;

/* start a search with the backend's buffers (those of a big search are given back first) */
static void
ga_init_cached(GeoArray *ga)
{
	if (cache_p && cache_cap * sizeof(SkGeoPoint) > GEO_CACHE_KEEP)
	{
		pfree(cache_p);
		cache_p = NULL;
		cache_cap = 0;
	}
	if (cache_m && cache_mcap > GEO_CACHE_KEEP)
	{
		pfree(cache_m);
		cache_m = NULL;
		cache_mcap = 0;
	}
	if (cache_tmp && cache_tmp_cap * sizeof(SkGeoPoint) > GEO_CACHE_KEEP)
	{
		pfree(cache_tmp);
		cache_tmp = NULL;
		cache_tmp_cap = 0;
	}
	memset(ga, 0, sizeof(*ga));
	ga->p = cache_p;
	ga->cap = cache_cap;
	ga->m = cache_m;
	ga->mcap = cache_mcap;
	ga->cached = true;
}

/* room for one more point of mlen member bytes */
static void
ga_reserve(GeoArray *ga, uint32 mlen)
{
	MemoryContext cxt = ga->cached ? TopMemoryContext : CurrentMemoryContext;

	if (ga->n == ga->cap)
	{
		int64		cap = ga->cap == 0 ? 256 : ga->cap * 2;

		ga->p = ga->p ? repalloc_huge(ga->p, sizeof(SkGeoPoint) * cap)
			: MemoryContextAllocHuge(cxt, sizeof(SkGeoPoint) * cap);
		ga->cap = cap;
		if (ga->cached)
		{
			cache_p = ga->p;
			cache_cap = cap;
		}
	}
	if (ga->mlen + mlen + 1 > ga->mcap)
	{
		Size		mcap = Max(ga->mcap * 2, ga->mlen + mlen + 1);

		mcap = Max(mcap, 8192);
		ga->m = ga->m ? repalloc_huge(ga->m, mcap) : MemoryContextAllocHuge(cxt, mcap);
		ga->mcap = mcap;
		if (ga->cached)
		{
			cache_m = ga->m;
			cache_mcap = mcap;
		}
	}
}

static void
ga_append(GeoArray *ga, const ZsNode *node, double lon, double lat, double dist)
{
	SkGeoPoint *gp;

	ga_reserve(ga, node->mlen);
	gp = &ga->p[ga->n++];
	gp->mlen = node->mlen;
	gp->member = NULL;
	gp->moff = ga->mlen;
	memcpy(ga->m + ga->mlen, ZsNodeMember(node), node->mlen);
	ga->m[ga->mlen + node->mlen] = '\0';
	ga->mlen += node->mlen + 1;
	gp->score = node->score;
	gp->lon = lon;
	gp->lat = lat;
	gp->dist = dist;
}

/* the member pointers, once the buffer no longer moves */
static void
ga_done(GeoArray *ga)
{
	int64		i;

	for (i = 0; i < ga->n; i++)
		ga->p[i].member = ga->m + ga->p[i].moff;
}

/* geoGetPointsInRange: members with min <= score < max inside the shape */
static void
points_in_range(SkKey *k, double min, double max, const SkGeoShape *shape, GeoArray *ga,
				int64 limit)
{
	ZsRange		range;
	ZsNode	   *node;

	range.min = min;
	range.max = max;
	range.minex = false;
	range.maxex = true;
	for (node = zs_first_in_range(&sk_zalloc, zset_handle(k), &range); node;
		 node = zs_next(&sk_zalloc, node))
	{
		double		lon,
					lat,
					dist = 0;

		if (!(node->score < max))
			break;
		if (sk_geo_in_shape(shape, node->score, &lon, &lat, &dist))
			ga_append(ga, node, lon, lat, dist);
		if (ga->n && limit && ga->n >= limit)
			break;
	}
}

/*
 * The score ranges [min[i], max[i]) Redis scans for the shape, in its
 * order (membersOfAllNeighbors); returns how many.
 */
static int
search_ranges(const SkGeoShape *shape, double min[SK_GEO_NCELLS], double max[SK_GEO_NCELLS])
{
	SkGeoCell	cells[SK_GEO_NCELLS];
	int			i,
				n = 0,
				last = 0;

	sk_geo_search_cells(shape, cells);
	for (i = 0; i < SK_GEO_NCELLS; i++)
	{
		if (cells[i].bits == 0 && cells[i].step == 0)
			continue;
		/* huge radii: a neighbour equal to the one scanned last is skipped */
		if (last != 0 && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step)
			continue;
		sk_geo_cell_scores(cells[i], &min[n], &max[n]);
		n++;
		last = i;
	}
	return n;
}

/*
 * The points inside the shape, in the order Redis finds them (its cells in
 * its order, scores ascending within a cell); with ANY, the first count.
 * Caller holds k's shard lock; s->shape's centre must be set.
 */
static void
search_gather(SkKey *k, SkGeoSearch *s, GeoArray *ga)
{
	double		min[SK_GEO_NCELLS],
				max[SK_GEO_NCELLS];
	int64		limit = s->any ? s->count : 0;
	int			nr = search_ranges(&s->shape, min, max);
	int			i;

	sk_geo_shape_prepare(&s->shape);
	for (i = 0; i < nr; i++)
	{
		if (ga->n && limit && ga->n >= limit)
			break;
		points_in_range(k, min[i], max[i], &s->shape, ga, limit);
	}
}

/*
 * The points returned, in order, dist in the unit; *n of them.  No lock
 * needed: the points are copies.
 */
static SkGeoPoint *
search_finish(const SkGeoSearch *s, GeoArray *ga, int64 *n)
{
	int			sort = s->sort;
	int64		ret,
				j;

	if (ga->m)
		ga_done(ga);

	/* COUNT without ANY returns the nearest: sorted ascending unless asked */
	if (s->count != 0 && sort == SKGEO_SORT_NONE && !s->any)
		sort = SKGEO_SORT_ASC;
	ret = (s->count == 0 || ga->n < s->count) ? ga->n : s->count;
	if (sort != SKGEO_SORT_NONE && ga->n > 1)
	{
		bool		desc = (sort == SKGEO_SORT_DESC);

		if (ret == ga->n && ga->cached)
		{
			if (cache_tmp_cap < ga->n)
			{
				if (cache_tmp)
					pfree(cache_tmp);
				cache_tmp = NULL;
				cache_tmp_cap = 0;
				cache_tmp = MemoryContextAllocHuge(TopMemoryContext, sizeof(SkGeoPoint) * ga->n);
				cache_tmp_cap = ga->n;
			}
			merge_sort(ga->p, cache_tmp, ga->n, desc);
		}
		else if (ret == ga->n)
		{
			SkGeoPoint *tmp = palloc_extended(sizeof(SkGeoPoint) * ga->n, MCXT_ALLOC_HUGE);

			merge_sort(ga->p, tmp, ga->n, desc);
			pfree(tmp);
		}
		else
			partial_sort(ga->p, 0, ga->n, 0, ret - 1, desc);
	}
	for (j = 0; j < ret; j++)
		ga->p[j].dist /= s->shape.to_meters;
	*n = ret;
	return ga->p;
}

/* The member's decoded position as the centre; false when absent. */
static bool
centre_from_member(SkKey *k, SkGeoSearch *s)
{
	ZsNode	   *node = zs_find(&sk_zalloc, zset_handle(k), s->member.p, s->member.len);

	if (!node)
		return false;
	sk_geo_decode_score(sk_geo_score_bits(node->score), &s->shape.lon, &s->shape.lat);
	return true;
}

static void
member_not_found(const SkGeoSearch *s, SkBytes key)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("could not decode requested zset member"),
			 errdetail("Member \"%s\" is not in the sorted set \"%s\".",
					   pnstrdup(s->member.p, s->member.len), pnstrdup(key.p, key.len))));
}

SkGeoPoint *
skgeo_search(SkBytes key, SkGeoSearch *s, int64 *n)
{
	KeyLock		kl;
	SkKey	   *k;
	GeoArray	ga;

	*n = 0;
	skgeo_check_search(s);
	ga_init_cached(&ga);
	k = key_begin_bytes(key.p, key.len, false, &kl);
	key_check_type(&kl, k, SK_TYPE_ZSET);
	if (k)
	{
		if (s->from_member && !centre_from_member(k, s))
		{
			key_end(&kl);
			member_not_found(s, key);
		}
		search_gather(k, s, &ga);
	}
	key_end(&kl);
	/* sorted with the lock released */
	return search_finish(s, &ga, n);
}

int64
skgeo_searchstore(SkBytes dst, SkBytes src, SkGeoSearch *s, bool storedist)
{
	ZMulti		m;
	SkBytes		keys[2];
	SkKey	   *k;
	SkGeoPoint *pts = NULL;
	GeoArray	ga;
	int64		n = 0,
				i;
	StringInfoData buf;

	skgeo_check_search(s);
	ga_init_cached(&ga);
	keys[0] = dst;
	keys[1] = src;
	zmulti_lock(&m, true, 2, keys);
	k = zmulti_get(&m, src);
	if (k)
	{
		if (s->from_member && !centre_from_member(k, s))
		{
			zmulti_unlock(&m);
			member_not_found(s, src);
		}
		search_gather(k, s, &ga);
		/* the sort decides which members COUNT keeps: done under the locks */
		pts = search_finish(s, &ga, &n);
	}
	/* dst may be of any type: it is overwritten (deleted when nothing is found) */
	initStringInfo(&buf);
	for (i = 0; i < n; i++)
		sk_zentry_put(&buf, true, storedist ? pts[i].dist : pts[i].score,
					  pts[i].member, pts[i].mlen);
	if (n > 0)
		sk_mem_check(buf.len + n * 96);
	zmulti_log(&m, dst, SK_OP_ZSTORE, &buf);
	zmulti_unlock(&m);
	if (n > 0)
		skz_wake_waiters(m.c.db);
	return n;
}

/* ------------------------------------------------------------------------
 * GEOSEARCH over shards
 * ------------------------------------------------------------------------
 */

/* the order of a big set's range scan: score, then member bytes */
static int
point_score_cmp(const void *a, const void *b)
{
	const SkGeoPoint *x = (const SkGeoPoint *) a;
	const SkGeoPoint *y = (const SkGeoPoint *) b;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return zs_member_cmp(x->member, x->mlen, y->member, y->mlen);
}

/*
 * A member's shard is the geohash cell of the position it was added at;
 * every member a search of one big set returns lies within the search's
 * reach of the centre (the radius, or half the box's width plus half its
 * height: the latitude distance plus the distance along the parallel bound
 * the great-circle one), and its added position within a metre of its
 * decoded one.  So the shards of the cells within reach + 2 m hold them
 * all.  Each shard is scanned over Redis's score ranges as the big set
 * would be, the points of each range from every shard are put back in the
 * big set's order (score, member), the ranges concatenated in Redis's
 * order, and the result cut and sorted as for one set: the same members in
 * the same order, unsorted and ANY results included (as long as a member
 * lives in one shard only).
 */
SkGeoPoint *
skgeo_search_shards(SkBytes prefix, int precision, SkGeoSearch *s, int64 *n)
{
	double		min[SK_GEO_NCELLS],
				max[SK_GEO_NCELLS];
	GeoArray	per[SK_GEO_NCELLS];
	GeoArray	ga;
	int64		limit;
	double		reach;
	char		(*cells)[SK_GEOHASH_MAX_PRECISION + 1];
	int64		ncells,
				c;
	int			nr,
				i;

	*n = 0;
	Assert(!s->from_member);
	skgeo_check_search(s);
	sk_geo_check_shard_precision(precision);
	limit = s->any ? s->count : 0;
	reach = (s->shape.box ? s->shape.width / 2 + s->shape.height / 2 : s->shape.radius) *
		s->shape.to_meters;
	cells = palloc_extended(sizeof(*cells) * SKGEO_SHARD_MAX_KEYS, MCXT_ALLOC_HUGE);
	ncells = sk_geohash_cells_within(s->shape.lon, s->shape.lat, reach + 2.0, precision,
									 cells, SKGEO_SHARD_MAX_KEYS);
	if (ncells < 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("search reaches more than %d shard keys", SKGEO_SHARD_MAX_KEYS),
				 errdetail("A reach of %s m around (%s, %s) spans more than %d geohash cells of %d characters.",
						   float8out_internal(reach), float8out_internal(s->shape.lon),
						   float8out_internal(s->shape.lat), SKGEO_SHARD_MAX_KEYS, precision),
				 errhint("Shard by shorter geohashes, or search a smaller area.")));
	nr = search_ranges(&s->shape, min, max);
	sk_geo_shape_prepare(&s->shape);
	memset(per, 0, sizeof(per));
	memset(&ga, 0, sizeof(ga));
	for (c = 0; c < ncells; c++)
	{
		text	   *key = sk_geo_shard_key(prefix.p, prefix.len, cells[c]);
		KeyLock		kl;
		SkKey	   *k;

		CHECK_FOR_INTERRUPTS();
		k = key_begin_bytes(VARDATA(key), VARSIZE(key) - VARHDRSZ, false, &kl);
		key_check_type(&kl, k, SK_TYPE_ZSET);
		if (k)
			for (i = 0; i < nr; i++)
				points_in_range(k, min[i], max[i], &s->shape, &per[i],
								limit ? per[i].n + limit : 0);
		key_end(&kl);
		pfree(key);
	}
	pfree(cells);
	/* the big set's order; with ANY, its first count */
	for (i = 0; i < nr; i++)
	{
		int64		j;

		ga_done(&per[i]);
		if (per[i].n > 1)
			qsort(per[i].p, per[i].n, sizeof(SkGeoPoint), point_score_cmp);
		for (j = 0; j < per[i].n && !(limit && ga.n >= limit); j++)
		{
			if (ga.n == ga.cap)
			{
				ga.cap = ga.cap == 0 ? 64 : ga.cap * 2;
				ga.p = ga.p ? repalloc_huge(ga.p, sizeof(SkGeoPoint) * ga.cap)
					: palloc_extended(sizeof(SkGeoPoint) * ga.cap, MCXT_ALLOC_HUGE);
			}
			ga.p[ga.n++] = per[i].p[j];
		}
	}
	return search_finish(s, &ga, n);
}
