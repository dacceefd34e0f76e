/*-------------------------------------------------------------------------
 *
 * group.c
 *	  Consumer groups: committed offsets, membership with server-side
 *	  partition assignment, and share (queue) groups with per-record locks,
 *	  redelivery and dead letters.
 *
 * Storage.  Every database has one groups store (streamkv.groups_store, an
 * index of streamkv_store) with a single chain of operations, SkOpHeader
 * entries whose key is the group name: CREATE_SHARE, DELETE, COMMIT (one
 * partition's offset), MEMBERS (the whole membership of a consumer group
 * after a change: generation, strategy, members with their subscriptions
 * and assignments), ACQUIRE / ACK / RELEASE / ARCHIVE / SKIP (a share
 * partition's records), and the snapshot forms SHARE_STATE and CONSUMERS
 * that compaction writes.  Appends name the groups kind so that redo
 * applies them here.  Decisions that depend on the clock (session timeouts,
 * lock expiry, offsets retention) are taken on the primary and logged as
 * explicit operations: redo never consults the clock, and lock deadlines,
 * being wall-clock times in the operations, carry across a promotion.
 *
 * Memory.  A database's groups live in the DSA area (SkGroup, with arrays of
 * topics, partitions, members and share consumers), under one LWLock per
 * database: writers hold it exclusively across the append (memory first,
 * then the page; a failed append marks the copy for reloading, as the
 * keyspace does), readers share it.  The copy is loaded lazily by walking
 * the chain, under the same lock that redo takes, so load and redo meet at a
 * consistent cut (sequence numbers skip what the load already saw).  Not
 * durable on purpose: heartbeat times (after a restart or promotion every
 * member gets a full session timeout from the load) and consumers' fetch
 * positions (back to the committed offsets, as after a Kafka rebalance).
 *
 * Share groups.  Per partition a window [start, next) of at most
 * SK_SHARE_WINDOW offsets is tracked, Kafka's share-partition design: below
 * start everything is done, at and past next nothing was delivered, inside
 * each record is available (released or lock expired), acquired (consumer,
 * delivery time, lock deadline, delivery count) or done (acknowledged or
 * dead-lettered).  start advances over done records.  A record that would
 * be delivered again after max_deliveries is produced to the dead-letter
 * topic with headers naming its origin, then archived.
 *
 * Lock order: the groups lock, then topic locks (partition locks, buffers).
 * Topics are opened (heavyweight locks) before the groups lock is taken.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/xlog.h"
#include "access/xlogutils.h"
#include "commands/dbcommands.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/pg_bitutils.h"
#include "storage/condition_variable.h"
#include "storage/smgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/timestamp.h"

#include "group.h"
#include "kvmem.h"
#include "topic.h"

#define SK_GROUP_NAME_MAX		249
#define SK_ID_MAX				255
#define SK_SHARE_WINDOW			4096
#define SK_MAX_GROUP_TOPICS		1024

#define GT_CONSUMER				1
#define GT_SHARE				2

#define ST_RANGE				0
#define ST_ROUNDROBIN			1
#define ST_STICKY				2

#define RS_EARLIEST				0
#define RS_LATEST				1
#define RS_NONE					2

#define ES_AVAILABLE			0
#define ES_ACQUIRED				1
#define ES_DONE					2

int			sk_offsets_retention_s = 7 * 24 * 3600;

/* ------------------------------------------------------------------------
 * Shared memory
 * ------------------------------------------------------------------------
 */
typedef struct SkShareEntry
{
	int64		delivered_at;
	int64		lock_until;
	int32		consumer;
	uint8		state;
	uint8		deliveries;
	uint16		unused;
} SkShareEntry;

typedef struct SkSharePart
{
	int64		start;
	int64		next;
	SkShareEntry e[SK_SHARE_WINDOW];	/* offset o at e[o % SK_SHARE_WINDOW] */
} SkSharePart;

typedef struct SkGPart
{
	int64		committed;		/* -1: none; share groups: the window start */
	int64		committed_at;
	int64		position;		/* consumer's fetch position (memory only), -1 */
	dsa_pointer meta;			/* commit metadata, or invalid (NULL) */
	int32		metalen;
	int32		unused;
	dsa_pointer share;			/* SkSharePart, allocated on first delivery */
} SkGPart;

typedef struct SkGTopic
{
	char		name[SK_TOPIC_NAME_MAX + 1];
	int32		partitions;		/* the topic's partitions at the last rebalance */
	int32		nparts;			/* entries of parts */
	dsa_pointer parts;			/* SkGPart[nparts] */
} SkGTopic;

typedef struct SkTP
{
	int32		topic;			/* index in the group's topics */
	int32		partition;
} SkTP;

typedef struct SkMember
{
	char		id[SK_ID_MAX + 1];
	char		instance[SK_ID_MAX + 1];	/* "": none */
	int32		session_ms;
	int32		reset;			/* RS_* */
	int64		last_seen;		/* memory only */
	int32		nsubs;
	int32		nassign;
	dsa_pointer subs;			/* int32[nsubs]: topic indexes */
	dsa_pointer assign;			/* SkTP[nassign] */
} SkMember;

typedef struct SkIdName
{
	char		name[SK_ID_MAX + 1];
} SkIdName;

typedef struct SkGroup
{
	char		name[SK_GROUP_NAME_MAX + 1];
	int32		type;			/* GT_* */
	int32		generation;
	int32		strategy;		/* ST_* */
	int32		lock_ms;
	int32		max_deliveries;
	int32		nmembers;
	int32		ntopics;
	int32		nconsumers;
	dsa_pointer members;		/* SkMember[nmembers] */
	dsa_pointer topics;			/* SkGTopic[ntopics] */
	dsa_pointer consumers;		/* SkIdName[nconsumers] */
	int64		empty_since;	/* consumer groups: when the last member left */
	uint32		rr;				/* where the next acquire/poll starts (memory) */
	int64		dead_retry_at;	/* share groups: no dead-letter worker before (memory) */
	char		dlq[SK_TOPIC_NAME_MAX + 1];
} SkGroup;


/* ------------------------------------------------------------------------
 * Memory helpers (never ERROR: redo uses them)
 * ------------------------------------------------------------------------
 */
static dsa_pointer
g_alloc0(Size size)
{
	dsa_pointer dp = sk_alloc(size);

	if (DsaPointerIsValid(dp))
		memset(sk_ptr(dp), 0, size);
	return dp;
}

static void
g_free(dsa_pointer *dp, Size size)
{
	if (DsaPointerIsValid(*dp))
		sk_free(*dp, size);
	*dp = InvalidDsaPointer;
}

/* Grows an array of elem-sized entries from n to want entries (zeroed). */
static bool
g_grow(dsa_pointer *dp, int32 n, int32 want, Size elem)
{
	dsa_pointer ndp;

	if (want <= n)
		return true;
	ndp = g_alloc0(elem * want);
	if (!DsaPointerIsValid(ndp))
		return false;
	if (n > 0)
	{
		memcpy(sk_ptr(ndp), sk_ptr(*dp), elem * n);
		sk_free(*dp, elem * n);
	}
	*dp = ndp;
	return true;
}

static inline SkGTopic *
g_topics(SkGroup *g)
{
	return g->ntopics > 0 ? sk_ptr(g->topics) : NULL;
}

static inline SkMember *
g_members(SkGroup *g)
{
	return g->nmembers > 0 ? sk_ptr(g->members) : NULL;
}

static inline SkGPart *
gt_parts(SkGTopic *t)
{
	return t->nparts > 0 ? sk_ptr(t->parts) : NULL;
}

static inline SkGroup *
db_group(SkGroupDb *db, int i)
{
	return sk_ptr(((dsa_pointer *) sk_ptr(db->groups))[i]);
}

static void
member_free(SkMember *m)
{
	g_free(&m->subs, sizeof(int32) * m->nsubs);
	g_free(&m->assign, sizeof(SkTP) * m->nassign);
	m->nsubs = m->nassign = 0;
}

static void
members_free(SkGroup *g)
{
	SkMember   *ms = g_members(g);
	int			i;

	for (i = 0; i < g->nmembers; i++)
		member_free(&ms[i]);
	g_free(&g->members, sizeof(SkMember) * g->nmembers);
	g->nmembers = 0;
}

static void
group_free(SkGroup *g)
{
	SkGTopic   *ts = g_topics(g);
	int			i,
				j;

	members_free(g);
	for (i = 0; i < g->ntopics; i++)
	{
		SkGPart    *ps = gt_parts(&ts[i]);

		for (j = 0; j < ts[i].nparts; j++)
		{
			g_free(&ps[j].meta, ps[j].metalen + 1);
			g_free(&ps[j].share, sizeof(SkSharePart));
		}
		g_free(&ts[i].parts, sizeof(SkGPart) * ts[i].nparts);
	}
	g_free(&g->topics, sizeof(SkGTopic) * g->ntopics);
	g_free(&g->consumers, sizeof(SkIdName) * g->nconsumers);
}

/* Frees every group of db (caller holds db->lock exclusively). */
static void
db_clear(SkGroupDb *db)
{
	int			i;

	for (i = 0; i < db->ngroups; i++)
	{
		dsa_pointer dp = ((dsa_pointer *) sk_ptr(db->groups))[i];

		group_free(sk_ptr(dp));
		sk_free(dp, sizeof(SkGroup));
	}
	g_free(&db->groups, sizeof(dsa_pointer) * db->cap);
	db->ngroups = db->cap = 0;
	db->applied_seq = 0;
	db->chain_ops = 0;
}

static int
find_group_idx(SkGroupDb *db, const char *name, Size len)
{
	int			i;

	for (i = 0; i < db->ngroups; i++)
	{
		SkGroup    *g = db_group(db, i);

		if (strlen(g->name) == len && memcmp(g->name, name, len) == 0)
			return i;
	}
	return -1;
}

static SkGroup *
find_group(SkGroupDb *db, const char *name, Size len)
{
	int			i = find_group_idx(db, name, len);

	return i < 0 ? NULL : db_group(db, i);
}

static SkGroup *
create_group(SkGroupDb *db, const char *name, Size len, int type)
{
	dsa_pointer dp;
	SkGroup    *g;

	if (len > SK_GROUP_NAME_MAX)
		return NULL;
	if (db->ngroups == db->cap)
	{
		int32		ncap = Max(16, db->cap * 2);

		if (!g_grow(&db->groups, db->cap, ncap, sizeof(dsa_pointer)))
			return NULL;
		db->cap = ncap;
	}
	dp = g_alloc0(sizeof(SkGroup));
	if (!DsaPointerIsValid(dp))
		return NULL;
	g = sk_ptr(dp);
	memcpy(g->name, name, len);
	g->type = type;
	g->members = g->topics = g->consumers = InvalidDsaPointer;
	((dsa_pointer *) sk_ptr(db->groups))[db->ngroups++] = dp;
	return g;
}

static void
delete_group_idx(SkGroupDb *db, int i)
{
	dsa_pointer *arr = sk_ptr(db->groups);
	dsa_pointer dp = arr[i];

	group_free(sk_ptr(dp));
	sk_free(dp, sizeof(SkGroup));
	arr[i] = arr[db->ngroups - 1];
	db->ngroups--;
}

static int
find_topic(SkGroup *g, const char *name, Size len)
{
	SkGTopic   *ts = g_topics(g);
	int			i;

	for (i = 0; i < g->ntopics; i++)
		if (strlen(ts[i].name) == len && memcmp(ts[i].name, name, len) == 0)
			return i;
	return -1;
}

/* The topic's index in g, added if missing; -1 on OOM or a bad name. */
static int
ensure_topic(SkGroup *g, const char *name, Size len)
{
	int			i = find_topic(g, name, len);
	SkGTopic   *t;

	if (i >= 0)
		return i;
	if (len == 0 || len > SK_TOPIC_NAME_MAX || g->ntopics >= SK_MAX_GROUP_TOPICS)
		return -1;
	if (!g_grow(&g->topics, g->ntopics, g->ntopics + 1, sizeof(SkGTopic)))
		return -1;
	t = &((SkGTopic *) sk_ptr(g->topics))[g->ntopics];
	memcpy(t->name, name, len);
	t->parts = InvalidDsaPointer;
	return g->ntopics++;
}

/* Partition p of topic ti, the array grown as needed; NULL on OOM. */
static SkGPart *
ensure_part(SkGroup *g, int ti, int p)
{
	SkGTopic   *t = &g_topics(g)[ti];
	int32		n = t->nparts;
	int			i;

	if (p < 0 || p >= SK_MAX_PARTITIONS)
		return NULL;
	if (p >= n)
	{
		if (!g_grow(&t->parts, n, p + 1, sizeof(SkGPart)))
			return NULL;
		t = &g_topics(g)[ti];
		for (i = n; i <= p; i++)
		{
			SkGPart    *gp = &((SkGPart *) sk_ptr(t->parts))[i];

			gp->committed = g->type == GT_SHARE ? 0 : -1;
			gp->position = -1;
			gp->meta = InvalidDsaPointer;
			gp->share = InvalidDsaPointer;
		}
		t->nparts = p + 1;
	}
	return &gt_parts(t)[p];
}

static SkGPart *
get_part(SkGroup *g, int ti, int p)
{
	SkGTopic   *t;

	if (ti < 0 || ti >= g->ntopics)
		return NULL;
	t = &g_topics(g)[ti];
	return p >= 0 && p < t->nparts ? &gt_parts(t)[p] : NULL;
}

static int
find_consumer(SkGroup *g, const char *name, Size len)
{
	SkIdName   *cs = g->nconsumers > 0 ? sk_ptr(g->consumers) : NULL;
	int			i;

	for (i = 0; i < g->nconsumers; i++)
		if (strlen(cs[i].name) == len && memcmp(cs[i].name, name, len) == 0)
			return i;
	return -1;
}

static int
ensure_consumer(SkGroup *g, const char *name, Size len)
{
	int			i = find_consumer(g, name, len);

	if (i >= 0)
		return i;
	if (len == 0 || len > SK_ID_MAX)
		return -1;
	if (g->nconsumers % 16 == 0 &&
		!g_grow(&g->consumers, g->nconsumers, g->nconsumers + 16, sizeof(SkIdName)))
		return -1;
	memcpy(((SkIdName *) sk_ptr(g->consumers))[g->nconsumers].name, name, len);
	return g->nconsumers++;
}

static const char *
consumer_name(SkGroup *g, int32 i)
{
	if (i < 0 || i >= g->nconsumers)
		return "";
	return ((SkIdName *) sk_ptr(g->consumers))[i].name;
}

static SkSharePart *
ensure_share(SkGPart *gp)
{
	SkSharePart *sp;

	if (DsaPointerIsValid(gp->share))
		return sk_ptr(gp->share);
	gp->share = g_alloc0(sizeof(SkSharePart));
	if (!DsaPointerIsValid(gp->share))
		return NULL;
	sp = sk_ptr(gp->share);
	sp->start = sp->next = gp->committed;
	return sp;
}

static inline SkShareEntry *
share_entry(SkSharePart *sp, int64 off)
{
	return &sp->e[off % SK_SHARE_WINDOW];
}

/*
 * Moves the window's start past done records; an empty window is freed
 * (its start is kept in gp->committed), so idle partitions cost no memory.
 * sp is invalid afterwards.
 */
static void
share_advance(SkGPart *gp, SkSharePart *sp)
{
	while (sp->start < sp->next && share_entry(sp, sp->start)->state == ES_DONE)
		sp->start++;
	gp->committed = sp->start;
	if (sp->start == sp->next)
		g_free(&gp->share, sizeof(SkSharePart));
}

/* ------------------------------------------------------------------------
 * Operation payloads
 * ------------------------------------------------------------------------
 */
typedef struct Rd
{
	const char *p;
	const char *end;
	bool		bad;
} Rd;

static int32
rd_i32(Rd *r)
{
	int32		v = 0;

	if (r->bad || r->end - r->p < (long) sizeof(v))
	{
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p, sizeof(v));
	r->p += sizeof(v);
	return v;
}

static int64
rd_i64(Rd *r)
{
	int64		v = 0;

	if (r->bad || r->end - r->p < (long) sizeof(v))
	{
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p, sizeof(v));
	r->p += sizeof(v);
	return v;
}

/* A length-prefixed string; *len set, NULL when bad. */
static const char *
rd_str(Rd *r, int32 *len)
{
	int32		l = rd_i32(r);
	const char *s;

	if (r->bad || l < 0 || r->end - r->p < l)
	{
		r->bad = true;
		*len = 0;
		return NULL;
	}
	s = r->p;
	r->p += l;
	*len = l;
	return s;
}

static void
wr_i32(StringInfo b, int32 v)
{
	appendBinaryStringInfo(b, (char *) &v, sizeof(v));
}

static void
wr_i64(StringInfo b, int64 v)
{
	appendBinaryStringInfo(b, (char *) &v, sizeof(v));
}

static void
wr_str(StringInfo b, const char *s, int32 len)
{
	wr_i32(b, len);
	appendBinaryStringInfo(b, s, len);
}

/*
 * The offsets of an ACQUIRE, ACK, RELEASE or ARCHIVE operation: a count n,
 * then either n offsets (n >= 0) or -n runs of consecutive offsets (first
 * int64, length int32), whichever is shorter (a batch is usually one run).
 */
typedef struct OffIter
{
	Rd		   *r;
	int32		n;				/* offsets or runs left to read */
	bool		runs;
	int64		next;			/* the run being read */
	int32		left;
} OffIter;

static void
oi_init(OffIter *it, Rd *r)
{
	int32		n = rd_i32(r);

	it->r = r;
	it->runs = n < 0;
	if (n == PG_INT32_MIN)
		r->bad = true;
	it->n = r->bad ? 0 : (n < 0 ? -n : n);
	it->left = 0;
}

static bool
oi_next(OffIter *it, int64 *off)
{
	if (!it->runs)
	{
		if (it->n <= 0 || it->r->bad)
			return false;
		it->n--;
		*off = rd_i64(it->r);
		return !it->r->bad;
	}
	while (it->left <= 0)
	{
		if (it->n <= 0 || it->r->bad)
			return false;
		it->n--;
		it->next = rd_i64(it->r);
		it->left = rd_i32(it->r);
		if (it->r->bad || it->left > SK_SHARE_WINDOW)
		{
			it->r->bad = true;
			return false;
		}
	}
	*off = it->next++;
	it->left--;
	return true;
}

/* Writes offsets as oi_next reads them. */
static void
wr_offsets(StringInfo b, const int64 *offs, int n)
{
	int			i,
				nruns = 1;

	for (i = 1; i < n; i++)
		if (offs[i] != offs[i - 1] + 1)
			nruns++;
	if (n == 0 || (Size) nruns * (sizeof(int64) + sizeof(int32)) >= (Size) n * sizeof(int64))
	{
		wr_i32(b, n);
		for (i = 0; i < n; i++)
			wr_i64(b, offs[i]);
		return;
	}
	wr_i32(b, -nruns);
	for (i = 0; i < n;)
	{
		int			k = i + 1;

		while (k < n && offs[k] == offs[k - 1] + 1)
			k++;
		wr_i64(b, offs[i]);
		wr_i32(b, k - i);
		i = k;
	}
}

static SkOpHeader *
make_gop(uint8 kind, const char *group, const char *field, Size flen,
		 const StringInfo payload, int64 at)
{
	Size		klen = strlen(group);
	Size		vlen = payload ? payload->len : 0;
	SkOpHeader *op;

	op = palloc0(MAXALIGN(sizeof(SkOpHeader) + klen + flen + vlen));
	op->kind = kind;
	op->keylen = klen;
	op->fieldlen = flen;
	op->vallen = vlen;
	op->expire_at = at;
	memcpy(SkOpKey(op), group, klen);
	if (flen)
		memcpy(SkOpField(op), field, flen);
	if (vlen)
		memcpy(SkOpValue(op), payload->data, vlen);
	return op;
}

/* ------------------------------------------------------------------------
 * Applying operations to memory (load, redo and the write path)
 *
 * Never ERRORs; returns false when memory ran out (the copy is then
 * rebuilt from the pages).  Malformed payloads are ignored.
 * ------------------------------------------------------------------------
 */
static bool
apply_members(SkGroupDb *db, SkGroup *g, Rd *r, int64 at)
{
	int32		gen = rd_i32(r);
	int32		strategy = rd_i32(r);
	int64		empty_since = rd_i64(r);
	int32		nt = rd_i32(r);
	int32		n;
	int			i,
				j;
	dsa_pointer ndp = InvalidDsaPointer;
	SkMember   *old = g_members(g);
	int32		nold = g->nmembers;

	if (r->bad || nt < 0 || nt > SK_MAX_GROUP_TOPICS)
		return true;
	for (i = 0; i < nt; i++)
	{
		int32		len;
		const char *name = rd_str(r, &len);
		int32		parts = rd_i32(r);
		int			ti;

		if (r->bad)
			return true;
		ti = ensure_topic(g, name, len);
		if (ti < 0)
			return false;
		g_topics(g)[ti].partitions = parts;
	}
	n = rd_i32(r);
	if (r->bad || n < 0 || n > 100000)
		return true;
	if (n > 0)
	{
		ndp = g_alloc0(sizeof(SkMember) * n);
		if (!DsaPointerIsValid(ndp))
			return false;
	}
	for (i = 0; i < n; i++)
	{
		SkMember   *m = &((SkMember *) sk_ptr(ndp))[i];
		int32		len,
					nsubs,
					nassign;
		const char *s;

		m->subs = m->assign = InvalidDsaPointer;
		s = rd_str(r, &len);
		if (r->bad || len > SK_ID_MAX)
			goto bad;
		memcpy(m->id, s, len);
		s = rd_str(r, &len);
		if (r->bad || len > SK_ID_MAX)
			goto bad;
		memcpy(m->instance, s, len);
		m->session_ms = rd_i32(r);
		m->reset = rd_i32(r);
		m->last_seen = at;
		for (j = 0; j < nold; j++)
			if (strcmp(old[j].id, m->id) == 0)
				m->last_seen = old[j].last_seen;
		nsubs = rd_i32(r);
		if (r->bad || nsubs < 0 || nsubs > SK_MAX_GROUP_TOPICS)
			goto bad;
		if (nsubs > 0)
		{
			m->subs = g_alloc0(sizeof(int32) * nsubs);
			if (!DsaPointerIsValid(m->subs))
				goto oom;
			m->nsubs = nsubs;
		}
		for (j = 0; j < nsubs; j++)
		{
			int			ti;

			s = rd_str(r, &len);
			if (r->bad)
				goto bad;
			ti = ensure_topic(g, s, len);
			if (ti < 0)
				goto oom;
			((int32 *) sk_ptr(m->subs))[j] = ti;
		}
		nassign = rd_i32(r);
		if (r->bad || nassign < 0 || nassign > SK_MAX_GROUP_TOPICS * SK_MAX_PARTITIONS)
			goto bad;
		if (nassign > 0)
		{
			m->assign = g_alloc0(sizeof(SkTP) * nassign);
			if (!DsaPointerIsValid(m->assign))
				goto oom;
			m->nassign = nassign;
		}
		for (j = 0; j < nassign; j++)
		{
			int			ti;
			int32		p;

			s = rd_str(r, &len);
			p = rd_i32(r);
			if (r->bad)
				goto bad;
			ti = ensure_topic(g, s, len);
			if (ti < 0 || !ensure_part(g, ti, p))
				goto oom;
			((SkTP *) sk_ptr(m->assign))[j].topic = ti;
			((SkTP *) sk_ptr(m->assign))[j].partition = p;
		}
	}

	/* a new generation: consumers start again from the committed offsets */
	if (gen != g->generation)
	{
		SkGTopic   *ts = g_topics(g);

		for (i = 0; i < g->ntopics; i++)
			for (j = 0; j < ts[i].nparts; j++)
				gt_parts(&ts[i])[j].position = -1;
	}
	members_free(g);
	g->members = ndp;
	g->nmembers = n;
	g->generation = gen;
	g->strategy = strategy;
	g->empty_since = empty_since;
	return true;

bad:
oom:
	for (i = 0; i < n; i++)
		member_free(&((SkMember *) sk_ptr(ndp))[i]);
	if (DsaPointerIsValid(ndp))
		sk_free(ndp, sizeof(SkMember) * n);
	return r->bad;
}

/* ACQUIRE / ACK / RELEASE / ARCHIVE / SKIP / SHARE_STATE on a share group. */
static bool
apply_share(SkGroup *g, const SkOpHeader *op, Rd *r, int64 at)
{
	int32		partition = rd_i32(r);
	SkGPart    *gp;
	SkSharePart *sp;
	int			consumer = -1;
	int32		n,
				i;

	if (r->bad || g->type != GT_SHARE || g->ntopics < 1)
		return true;
	gp = ensure_part(g, 0, partition);
	if (!gp)
		return partition < 0 || partition >= SK_MAX_PARTITIONS;
	sp = ensure_share(gp);
	if (!sp)
		return false;

	switch (op->kind)
	{
		case SK_GOP_ACQUIRE:
			{
				int64		lock_until = rd_i64(r);

				OffIter		it;
				int64		off;

				consumer = ensure_consumer(g, SkOpField(op), op->fieldlen);
				if (consumer < 0)
					return op->fieldlen == 0 || op->fieldlen > SK_ID_MAX;
				oi_init(&it, r);
				while (oi_next(&it, &off))
				{
					SkShareEntry *e;

					if (off < sp->start || off - sp->start >= SK_SHARE_WINDOW)
						continue;
					while (sp->next <= off)
					{
						e = share_entry(sp, sp->next);
						memset(e, 0, sizeof(*e));
						e->state = ES_AVAILABLE;
						sp->next++;
					}
					e = share_entry(sp, off);
					e->state = ES_ACQUIRED;
					if (e->deliveries < PG_UINT8_MAX)
						e->deliveries++;
					e->consumer = consumer;
					e->delivered_at = at;
					e->lock_until = lock_until;
				}
				break;
			}
		case SK_GOP_ACK:
		case SK_GOP_RELEASE:
		case SK_GOP_ARCHIVE:
			{
				OffIter		it;
				int64		off;

				oi_init(&it, r);
				while (oi_next(&it, &off))
				{
					if (off < sp->start || off >= sp->next)
						continue;
					share_entry(sp, off)->state = op->kind == SK_GOP_RELEASE ? ES_AVAILABLE : ES_DONE;
				}
				share_advance(gp, sp);
				break;
			}
		case SK_GOP_SKIP:
			{
				int64		to = rd_i64(r);

				if (r->bad)
					break;
				if (sp->next < to)
					sp->next = to;
				if (sp->start < to)
					sp->start = to;
				share_advance(gp, sp);
				break;
			}
		case SK_GOP_SHARE_STATE:
			{
				int64		start = rd_i64(r);
				int64		next = rd_i64(r);

				n = rd_i32(r);
				if (r->bad || next < start || next - start > SK_SHARE_WINDOW)
					break;
				sp->start = start;
				sp->next = next;
				for (i = 0; i < (int32) (next - start); i++)
				{
					SkShareEntry *e = share_entry(sp, start + i);

					memset(e, 0, sizeof(*e));
					e->state = ES_DONE;
				}
				for (i = 0; i < n && !r->bad; i++)
				{
					int64		off = rd_i64(r);
					int32		state = rd_i32(r);
					int32		deliveries = rd_i32(r);
					int32		cons = rd_i32(r);
					int64		delivered_at = rd_i64(r);
					int64		lock_until = rd_i64(r);
					SkShareEntry *e;

					if (r->bad || off < start || off >= next)
						continue;
					e = share_entry(sp, off);
					e->state = state;
					e->deliveries = deliveries;
					e->consumer = cons;
					e->delivered_at = delivered_at;
					e->lock_until = lock_until;
				}
				share_advance(gp, sp);
				break;
			}
	}
	return true;
}

static bool
g_apply(SkGroupDb *db, const SkOpHeader *op)
{
	const char *name = SkOpKey(op);
	Size		nlen = op->keylen;
	SkGroup    *g = find_group(db, name, nlen);
	Rd			r;
	int64		at = op->expire_at;

	r.p = SkOpValue(op);
	r.end = r.p + op->vallen;
	r.bad = false;

	switch (op->kind)
	{
		case SK_GOP_CREATE_SHARE:
			{
				int32		lock_ms = rd_i32(&r);
				int32		maxd = rd_i32(&r);
				int32		dlen;
				const char *dlq = rd_str(&r, &dlen);
				int32		nparts = rd_i32(&r);
				int			ti,
							i;

				if (r.bad || g != NULL || dlen > SK_TOPIC_NAME_MAX ||
					nparts < 0 || nparts > SK_MAX_PARTITIONS)
					return true;
				g = create_group(db, name, nlen, GT_SHARE);
				if (!g)
					return nlen > SK_GROUP_NAME_MAX;
				g->lock_ms = lock_ms;
				g->max_deliveries = maxd;
				memcpy(g->dlq, dlq, dlen);
				ti = ensure_topic(g, SkOpField(op), op->fieldlen);
				if (ti < 0)
					return false;
				g_topics(g)[ti].partitions = nparts;
				for (i = 0; i < nparts; i++)
				{
					int64		start = rd_i64(&r);
					SkGPart    *gp;

					if (r.bad)
						break;
					gp = ensure_part(g, ti, i);
					if (!gp)
						return false;
					gp->committed = start;
				}
				return true;
			}
		case SK_GOP_DELETE:
			{
				int			i = find_group_idx(db, name, nlen);

				if (i >= 0)
					delete_group_idx(db, i);
				return true;
			}
		case SK_GOP_COMMIT:
			{
				int32		partition = rd_i32(&r);
				int64		offset = rd_i64(&r);
				int32		hasmeta = rd_i32(&r);
				int32		mlen;
				const char *meta = rd_str(&r, &mlen);
				int			ti;
				SkGPart    *gp;
				dsa_pointer mdp = InvalidDsaPointer;

				if (r.bad)
					return true;
				if (!g)
				{
					g = create_group(db, name, nlen, GT_CONSUMER);
					if (!g)
						return nlen > SK_GROUP_NAME_MAX;
					g->empty_since = at;
				}
				ti = ensure_topic(g, SkOpField(op), op->fieldlen);
				if (ti < 0)
					return op->fieldlen == 0 || op->fieldlen > SK_TOPIC_NAME_MAX;
				gp = ensure_part(g, ti, partition);
				if (!gp)
					return partition < 0 || partition >= SK_MAX_PARTITIONS;
				if (hasmeta)
				{
					mdp = sk_alloc(mlen + 1);
					if (!DsaPointerIsValid(mdp))
						return false;
					memcpy(sk_ptr(mdp), meta, mlen);
					((char *) sk_ptr(mdp))[mlen] = '\0';
				}
				g_free(&gp->meta, gp->metalen + 1);
				gp->meta = mdp;
				gp->metalen = hasmeta ? mlen : 0;
				gp->committed = offset;
				gp->committed_at = at;
				return true;
			}
		case SK_GOP_MEMBERS:
			if (!g)
			{
				g = create_group(db, name, nlen, GT_CONSUMER);
				if (!g)
					return nlen > SK_GROUP_NAME_MAX;
			}
			if (g->type != GT_CONSUMER)
				return true;
			return apply_members(db, g, &r, at);
		case SK_GOP_CONSUMERS:
			{
				int32		n = rd_i32(&r);
				int			i;

				if (!g || r.bad || n < 0)
					return true;
				g_free(&g->consumers, sizeof(SkIdName) * g->nconsumers);
				g->nconsumers = 0;
				for (i = 0; i < n; i++)
				{
					int32		len;
					const char *s = rd_str(&r, &len);

					if (r.bad)
						return true;
					/* keep indexes: a bad name still takes its place */
					if (g->nconsumers % 16 == 0 &&
						!g_grow(&g->consumers, g->nconsumers, g->nconsumers + 16, sizeof(SkIdName)))
						return false;
					memcpy(((SkIdName *) sk_ptr(g->consumers))[g->nconsumers].name, s,
						   Min(len, SK_ID_MAX));
					g->nconsumers++;
				}
				return true;
			}
		case SK_GOP_ACQUIRE:
		case SK_GOP_ACK:
		case SK_GOP_RELEASE:
		case SK_GOP_ARCHIVE:
		case SK_GOP_SKIP:
		case SK_GOP_SHARE_STATE:
			if (!g)
				return true;
			return apply_share(g, op, &r, at);
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Slots, loading, redo
 * ------------------------------------------------------------------------
 */
/* The groups' row of the store-kind registry (kinds.c). */
void
sk_group_slot_init(SkSlot *s, int tranche_id)
{
	SkGroupDb  *db = (SkGroupDb *) s;

	LWLockInitialize(&db->lock, tranche_id);
	db->groups = InvalidDsaPointer;
}

void
sk_group_lock_all(SkSlot *s, LWLockMode mode)
{
	LWLockAcquire(&((SkGroupDb *) s)->lock, mode);
}

bool
sk_group_try_lock_all(SkSlot *s)
{
	return LWLockConditionalAcquire(&((SkGroupDb *) s)->lock, LW_EXCLUSIVE);
}

void
sk_group_unlock_all(SkSlot *s)
{
	LWLockRelease(&((SkGroupDb *) s)->lock);
}

void
sk_group_unload(SkSlot *s)
{
	db_clear((SkGroupDb *) s);
}

static inline bool
gdb_is(SkGroupDb *db, RelFileNode rnode)
{
	return sk_slot_is(&db->slot, SK_STORE_GROUPS, rnode);
}

static SkGroupDb *
gdb_get(Relation rel)
{
	return (SkGroupDb *) sk_slot_get(SK_STORE_GROUPS, rel->rd_node);
}

typedef struct GLoad
{
	SkGroupDb  *db;
	uint64		maxseq;
	uint64		nops;
} GLoad;

static void
gload_op(const SkOpHeader *op, void *arg)
{
	GLoad	   *gl = (GLoad *) arg;

	if (!g_apply(gl->db, op))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("streamkv.max_memory is too small to load the consumer groups of this database"),
				 errhint("Raise streamkv.max_memory (currently %d kB) and restart the server.",
						 sk_max_memory_kb)));
	if (op->seq > gl->maxseq)
		gl->maxseq = op->seq;
}

static bool
gload_seq(const char *data, Size len, BlockNumber start_blk, void *arg)
{
	GLoad	   *gl = (GLoad *) arg;

	gl->nops += sk_for_each_op(data, len, gload_op, arg);
	return true;
}

/*
 * Heartbeat times are not durable: after a load, or on a promoted standby
 * whose copy redo kept, every member gets a full session timeout from now.
 */
static void
touch_members(SkGroupDb *db, int64 now)
{
	int			i,
				j;

	for (i = 0; i < db->ngroups; i++)
	{
		SkGroup    *g = db_group(db, i);
		SkMember   *ms = g_members(g);

		for (j = 0; j < g->nmembers; j++)
			ms[j].last_seen = now;
	}
	db->replayed = false;
}

/* Loads the groups.  Caller (sk_slot_load) holds db->lock exclusively. */
void
sk_group_load(SkSlot *s, Relation rel)
{
	SkGroupDb  *db = (SkGroupDb *) s;
	SkMetaPageData meta;
	GLoad		gl;
	int64		now = sk_now_ms();

	if (s->loads == 0)
		db->compactions = 0;
	sk_read_meta(rel, &meta);
	gl.db = db;
	gl.maxseq = meta.chains[0].seq_base;
	gl.nops = 0;
	sk_chain_walk(rel, meta.chains[0].head, meta.chains[0].tail, gload_seq, &gl, false);
	db->applied_seq = gl.maxseq;
	db->chain_ops = gl.nops;
	db->snapshot_ops = gl.nops;
	touch_members(db, now);
}

/* Locks rel's groups (loading them first when needed). */
static SkGroupDb *
gdb_lock(Relation rel, LWLockMode mode)
{
	for (;;)
	{
		SkGroupDb  *db = gdb_get(rel);

		LWLockAcquire(&db->lock, mode);
		if (!gdb_is(db, rel->rd_node))
		{
			LWLockRelease(&db->lock);
			continue;
		}
		if (db->slot.state == SK_SLOT_READY)
		{
			sk_slot_touch(&db->slot);
			return db;
		}
		LWLockRelease(&db->lock);
		LWLockAcquire(&db->lock, LW_EXCLUSIVE);
		if (db->slot.state != SK_SLOT_READY && gdb_is(db, rel->rd_node))
			sk_slot_load(&db->slot, rel);
		LWLockRelease(&db->lock);
	}
}

static SkGroupDb *
gdb_for_redo(RelFileNode rnode)
{
	return (SkGroupDb *) sk_slot_find(SK_STORE_GROUPS, rnode);
}

void
sk_group_redo_op(RelFileNode rnode, const SkOpHeader *op)
{
	SkGroupDb  *db = gdb_for_redo(rnode);

	if (db == NULL)
		return;
	LWLockAcquire(&db->lock, LW_EXCLUSIVE);
	if (db->slot.state == SK_SLOT_READY && gdb_is(db, rnode) &&
		op->seq > db->applied_seq)
	{
		if (g_apply(db, op))
		{
			db->applied_seq = op->seq;
			db->chain_ops++;
			db->replayed = true;
		}
		else
			db->slot.state = SK_SLOT_BROKEN;
	}
	LWLockRelease(&db->lock);
}

void
sk_group_redo_switch(RelFileNode rnode, uint64 live_ops)
{
	SkGroupDb  *db = gdb_for_redo(rnode);

	if (db == NULL)
		return;
	/* also a barrier: a load in progress finishes before pages are reused */
	LWLockAcquire(&db->lock, LW_EXCLUSIVE);
	if (db->slot.state == SK_SLOT_READY && gdb_is(db, rnode))
	{
		db->chain_ops = live_ops;
		db->snapshot_ops = live_ops;
		db->compactions++;
	}
	LWLockRelease(&db->lock);
}

const char *
sk_group_op_name(uint8 kind)
{
	switch (kind)
	{
		case SK_GOP_CREATE_SHARE:
			return "CREATE_SHARE";
		case SK_GOP_DELETE:
			return "DELETE_GROUP";
		case SK_GOP_COMMIT:
			return "COMMIT";
		case SK_GOP_MEMBERS:
			return "MEMBERS";
		case SK_GOP_ACQUIRE:
			return "ACQUIRE";
		case SK_GOP_ACK:
			return "ACK";
		case SK_GOP_RELEASE:
			return "RELEASE";
		case SK_GOP_ARCHIVE:
			return "ARCHIVE";
		case SK_GOP_SKIP:
			return "SKIP";
		case SK_GOP_SHARE_STATE:
			return "SHARE_STATE";
		case SK_GOP_CONSUMERS:
			return "CONSUMERS";
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * The write path
 * ------------------------------------------------------------------------
 */
typedef struct GCtx
{
	Relation	rel;
	SkGroupDb  *db;
	int64		now;
	bool		locked;
} GCtx;

static Oid
groups_store_oid(void)
{
	return sk_named_store_oid("groups_store", false);
}

static void
gctx_open(GCtx *c, bool write)
{
	sk_check_preloaded();
	if (write)
		sk_check_writable();
	c->rel = index_open(groups_store_oid(), write ? RowExclusiveLock : AccessShareLock);
	c->db = NULL;
	c->now = sk_now_ms();
	c->locked = false;
}

static void
gctx_lock(GCtx *c, LWLockMode mode)
{
	c->db = gdb_lock(c->rel, mode);
	c->locked = true;
	c->now = sk_now_ms();
}

static void
gctx_unlock(GCtx *c)
{
	if (c->locked)
		LWLockRelease(&c->db->lock);
	c->locked = false;
}

static void
gctx_close(GCtx *c)
{
	gctx_unlock(c);
	index_close(c->rel, NoLock);
}

static void g_maybe_compact(GCtx *c);

static bool
g_apply_cb(void *target, const SkOpHeader *op)
{
	SkGroupDb  *db = (SkGroupDb *) target;

	if (g_apply(db, op))
		return true;
	db->slot.state = SK_SLOT_BROKEN;	/* g_apply may have changed part of it */
	return false;
}

/*
 * Applies op to memory and appends it, through the write path every kind
 * shares (slot.c).  Caller holds the lock exclusively.
 */
static void
g_log(GCtx *c, SkOpHeader *op)
{
	SkGroupDb  *db = c->db;
	bool		frees = (op->kind == SK_GOP_DELETE || op->kind == SK_GOP_ACK ||
						 op->kind == SK_GOP_ARCHIVE);

	/* a first delivery may allocate a share window too */
	if (!frees)
		sk_mem_check(MAXALIGN(SkOpSize(op)) + sizeof(SkSharePart));
	sk_slot_log_op(&db->slot, c->rel, 0, op, frees, &db->applied_seq, g_apply_cb, db);
	db->chain_ops++;
	pfree(op);
	g_maybe_compact(c);
}

/* ------------------------------------------------------------------------
 * Argument checks and errors
 * ------------------------------------------------------------------------
 */
static char *
arg_text(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static void
check_group_name(const char *name)
{
	size_t		len = strlen(name);

	if (len == 0 || len > SK_GROUP_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid group name \"%s\"", name),
				 errdetail("A group name has 1 to %d bytes.", SK_GROUP_NAME_MAX)));
}

static void
check_id(const char *id, const char *what)
{
	size_t		len = strlen(id);

	if (len == 0 || len > SK_ID_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", what, id),
				 errdetail("A %s has 1 to %d bytes.", what, SK_ID_MAX)));
}

static void
no_group(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("group \"%s\" does not exist", name)));
}

static void
wrong_group_type(SkGroup *g, int want)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" is a %s group, not a %s group", g->name,
					g->type == GT_SHARE ? "share" : "consumer",
					want == GT_SHARE ? "share" : "consumer")));
}

static SkGroup *
must_group(GCtx *c, const char *name, int type)
{
	SkGroup    *g = find_group(c->db, name, strlen(name));

	if (!g)
		no_group(name);
	if (type != 0 && g->type != type)
		wrong_group_type(g, type);
	return g;
}

static void
check_partition(SkTopicRef *tr, int32 partition)
{
	if (partition < 0 || partition >= tr->conf.partitions)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partition %d of topic \"%s\" does not exist", partition, tr->conf.name),
				 errdetail("The topic has partitions 0 to %d.", tr->conf.partitions - 1)));
}

static int
parse_reset(const char *s, bool allow_none)
{
	if (strcmp(s, "earliest") == 0)
		return RS_EARLIEST;
	if (strcmp(s, "latest") == 0)
		return RS_LATEST;
	if (allow_none && strcmp(s, "none") == 0)
		return RS_NONE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid auto_offset_reset \"%s\"", s),
			 errhint(allow_none ? "Use earliest, latest or none." : "Use earliest or latest.")));
	return 0;
}

static const char *const strategy_names[] = {"range", "roundrobin", "sticky"};

static int
parse_strategy(const char *s)
{
	int			i;

	for (i = 0; i < (int) lengthof(strategy_names); i++)
		if (strcmp(s, strategy_names[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid assignment strategy \"%s\"", s),
			 errhint("Use range, roundrobin or sticky.")));
	return 0;
}

static Datum
text_datum(const char *s)
{
	return PointerGetDatum(cstring_to_text(s));
}

/* ------------------------------------------------------------------------
 * Membership: a local copy of the members, assignment, logging
 * ------------------------------------------------------------------------
 */
typedef struct LTP
{
	char	   *topic;
	int32		partition;
} LTP;

typedef struct LMember
{
	char	   *id;
	char	   *instance;
	int32		session_ms;
	int32		reset;
	int64		last_seen;
	List	   *subs;			/* char * topic names */
	int			nassign;
	LTP		   *assign;
	int			nprev;			/* previous assignment (sticky) */
	LTP		   *prev;
} LMember;

static LMember *
members_local(SkGroup *g, int *n)
{
	SkMember   *ms = g_members(g);
	SkGTopic   *ts = g_topics(g);
	LMember    *lm = palloc0(sizeof(LMember) * (g->nmembers + 1));
	int			i,
				j;

	for (i = 0; i < g->nmembers; i++)
	{
		SkMember   *m = &ms[i];
		int32	   *subs = m->nsubs > 0 ? sk_ptr(m->subs) : NULL;
		SkTP	   *as = m->nassign > 0 ? sk_ptr(m->assign) : NULL;

		lm[i].id = pstrdup(m->id);
		lm[i].instance = pstrdup(m->instance);
		lm[i].session_ms = m->session_ms;
		lm[i].reset = m->reset;
		lm[i].last_seen = m->last_seen;
		for (j = 0; j < m->nsubs; j++)
			lm[i].subs = lappend(lm[i].subs, pstrdup(ts[subs[j]].name));
		lm[i].nassign = m->nassign;
		lm[i].assign = palloc(sizeof(LTP) * Max(m->nassign, 1));
		for (j = 0; j < m->nassign; j++)
		{
			lm[i].assign[j].topic = pstrdup(ts[as[j].topic].name);
			lm[i].assign[j].partition = as[j].partition;
		}
		lm[i].nprev = lm[i].nassign;
		lm[i].prev = lm[i].assign;
	}
	*n = g->nmembers;
	return lm;
}

/* A topic's partition count as the membership knows it. */
typedef struct LTopic
{
	char	   *name;
	int32		partitions;
} LTopic;

static List *
ltopics_from_group(SkGroup *g)
{
	SkGTopic   *ts = g_topics(g);
	List	   *l = NIL;
	int			i;

	for (i = 0; i < g->ntopics; i++)
	{
		LTopic	   *lt = palloc(sizeof(LTopic));

		lt->name = pstrdup(ts[i].name);
		lt->partitions = ts[i].partitions;
		l = lappend(l, lt);
	}
	return l;
}

static LTopic *
ltopic_find(List *l, const char *name)
{
	ListCell   *lc;

	foreach(lc, l)
		if (strcmp(((LTopic *) lfirst(lc))->name, name) == 0)
			return lfirst(lc);
	return NULL;
}

/*
 * MEMBERS payload: generation, strategy, empty_since, the partition counts
 * of the topics, then each member.
 */
static void
members_payload(StringInfo b, int32 gen, int32 strategy, int64 empty_since, List *ltopics,
				LMember *lm, int n)
{
	int			i,
				j;
	ListCell   *lc;

	wr_i32(b, gen);
	wr_i32(b, strategy);
	wr_i64(b, empty_since);
	wr_i32(b, list_length(ltopics));
	foreach(lc, ltopics)
	{
		LTopic	   *lt = lfirst(lc);

		wr_str(b, lt->name, strlen(lt->name));
		wr_i32(b, lt->partitions);
	}
	wr_i32(b, n);
	for (i = 0; i < n; i++)
	{
		wr_str(b, lm[i].id, strlen(lm[i].id));
		wr_str(b, lm[i].instance, strlen(lm[i].instance));
		wr_i32(b, lm[i].session_ms);
		wr_i32(b, lm[i].reset);
		wr_i32(b, list_length(lm[i].subs));
		foreach(lc, lm[i].subs)
			wr_str(b, lfirst(lc), strlen(lfirst(lc)));
		wr_i32(b, lm[i].nassign);
		for (j = 0; j < lm[i].nassign; j++)
		{
			wr_str(b, lm[i].assign[j].topic, strlen(lm[i].assign[j].topic));
			wr_i32(b, lm[i].assign[j].partition);
		}
	}
}

static int
cmp_member(const void *a, const void *b)
{
	return strcmp(((const LMember *) a)->id, ((const LMember *) b)->id);
}

static int
cmp_str(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

static bool
subscribes(LMember *m, const char *topic)
{
	ListCell   *lc;

	foreach(lc, m->subs)
		if (strcmp(lfirst(lc), topic) == 0)
			return true;
	return false;
}

static void
add_assign(LMember *m, const char *topic, int32 p)
{
	m->assign = repalloc(m->assign, sizeof(LTP) * (m->nassign + 1));
	m->assign[m->nassign].topic = (char *) topic;
	m->assign[m->nassign].partition = p;
	m->nassign++;
}

static int
cmp_ltp(const void *a, const void *b)
{
	const LTP  *x = a;
	const LTP  *y = b;
	int			c = strcmp(x->topic, y->topic);

	if (c != 0)
		return c;
	return x->partition < y->partition ? -1 : x->partition > y->partition;
}

static int
topic_partitions(List *ltopics, const char *topic)
{
	LTopic	   *lt = ltopic_find(ltopics, topic);

	return lt ? lt->partitions : 0;
}

/*
 * Computes every member's assignment with the group's strategy.  Topics'
 * partition counts come from g (set before by the caller).
 */
static void
assign_partitions(int strategy, List *ltopics, LMember *lm, int n)
{
	List	   *topics = NIL;
	ListCell   *lc;
	int			i,
				j;

	qsort(lm, n, sizeof(LMember), cmp_member);
	for (i = 0; i < n; i++)
	{
		foreach(lc, lm[i].subs)
		{
			bool		dup = false;
			ListCell   *lc2;

			foreach(lc2, topics)
				if (strcmp(lfirst(lc2), lfirst(lc)) == 0)
					dup = true;
			if (!dup)
				topics = lappend(topics, lfirst(lc));
		}
		lm[i].nassign = 0;
		lm[i].assign = palloc(sizeof(LTP));
	}
	list_sort(topics, cmp_str);

	if (strategy == ST_RANGE)
	{
		foreach(lc, topics)
		{
			char	   *t = lfirst(lc);
			int			np = topic_partitions(ltopics, t);
			int			nsub = 0,
						k = 0,
						p = 0;

			for (i = 0; i < n; i++)
				nsub += subscribes(&lm[i], t);
			if (nsub == 0)
				continue;
			for (i = 0; i < n; i++)
			{
				int			cnt;

				if (!subscribes(&lm[i], t))
					continue;
				cnt = np / nsub + (k < np % nsub ? 1 : 0);
				for (j = 0; j < cnt; j++)
					add_assign(&lm[i], t, p++);
				k++;
			}
		}
	}
	else if (strategy == ST_ROUNDROBIN)
	{
		int			next = 0;

		foreach(lc, topics)
		{
			char	   *t = lfirst(lc);
			int			np = topic_partitions(ltopics, t);
			int			p;

			for (p = 0; p < np; p++)
			{
				for (j = 0; j < n; j++)
				{
					LMember    *m = &lm[(next + j) % n];

					if (subscribes(m, t))
					{
						add_assign(m, t, p);
						next = (next + j + 1) % n;
						break;
					}
				}
			}
		}
	}
	else
	{
		/* sticky: keep previous partitions up to a balanced share, then fill */
		int			total = 0;
		int			quota;
		LTP		   *all;
		int			nall = 0;
		bool	   *taken;

		foreach(lc, topics)
			total += topic_partitions(ltopics, lfirst(lc));
		all = palloc(sizeof(LTP) * Max(total, 1));
		foreach(lc, topics)
		{
			int			p;

			for (p = 0; p < topic_partitions(ltopics, lfirst(lc)); p++)
			{
				all[nall].topic = lfirst(lc);
				all[nall].partition = p;
				nall++;
			}
		}
		taken = palloc0(sizeof(bool) * Max(nall, 1));
		quota = n > 0 ? (nall + n - 1) / n : 0;
		for (i = 0; i < n; i++)
		{
			for (j = 0; j < lm[i].nprev && lm[i].nassign < quota; j++)
			{
				LTP		   *pv = &lm[i].prev[j];
				int			k;

				if (!subscribes(&lm[i], pv->topic))
					continue;
				for (k = 0; k < nall; k++)
					if (!taken[k] && all[k].partition == pv->partition &&
						strcmp(all[k].topic, pv->topic) == 0)
					{
						taken[k] = true;
						add_assign(&lm[i], all[k].topic, all[k].partition);
						break;
					}
			}
		}
		for (j = 0; j < nall; j++)
		{
			int			best = -1;

			if (taken[j])
				continue;
			for (i = 0; i < n; i++)
				if (subscribes(&lm[i], all[j].topic) &&
					(best < 0 || lm[i].nassign < lm[best].nassign))
					best = i;
			if (best >= 0)
				add_assign(&lm[best], all[j].topic, all[j].partition);
		}
	}
	for (i = 0; i < n; i++)
		if (lm[i].nassign > 1)
			qsort(lm[i].assign, lm[i].nassign, sizeof(LTP), cmp_ltp);
}

/*
 * Logs the membership lm of group name: a new generation with every
 * assignment recomputed when rebalance.
 */
static void
log_members(GCtx *c, const char *name, int32 strategy, int32 gen, int64 empty_since,
			List *ltopics, LMember *lm, int n, bool rebalance)
{
	StringInfoData b;

	if (rebalance)
	{
		assign_partitions(strategy, ltopics, lm, n);
		gen++;
	}
	if (n > 0)
		empty_since = 0;
	else if (empty_since == 0)
		empty_since = c->now;
	initStringInfo(&b);
	members_payload(&b, gen, strategy, empty_since, ltopics, lm, n);
	g_log(c, make_gop(SK_GOP_MEMBERS, name, NULL, 0, &b, c->now));
	pfree(b.data);
}

/*
 * Removes members whose session timed out; logs the rebalance.  Returns
 * whether any was removed.  Caller holds the lock exclusively.
 */
static bool
expire_members(GCtx *c, SkGroup *g)
{
	SkMember   *ms = g_members(g);
	LMember    *lm;
	int			n,
				i,
				k = 0;
	bool		any = false;

	if (g->type != GT_CONSUMER || RecoveryInProgress())
		return false;
	if (c->db->replayed)
		touch_members(c->db, c->now);
	for (i = 0; i < g->nmembers; i++)
		if (ms[i].last_seen + ms[i].session_ms < c->now)
			any = true;
	if (!any)
		return false;
	lm = members_local(g, &n);
	for (i = 0; i < n; i++)
		if (lm[i].last_seen + lm[i].session_ms >= c->now)
			lm[k++] = lm[i];
	log_members(c, pstrdup(g->name), g->strategy, g->generation, g->empty_since,
				ltopics_from_group(g), lm, k, true);
	return true;
}

static SkMember *
find_member(SkGroup *g, const char *id)
{
	SkMember   *ms = g_members(g);
	int			i;

	for (i = 0; i < g->nmembers; i++)
		if (strcmp(ms[i].id, id) == 0)
			return &ms[i];
	return NULL;
}

static void
unknown_member(SkGroup *g, const char *member)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("member \"%s\" is not in consumer group \"%s\"", member, g->name),
			 errdetail("It left, or its session timed out and the group was rebalanced."),
			 errhint("Join the group again with streamkv.join().")));
}

static void
check_generation(SkGroup *g, int32 generation)
{
	if (generation != g->generation)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("generation %d of consumer group \"%s\" is stale", generation, g->name),
				 errdetail("The group is at generation %d.", g->generation),
				 errhint("The group was rebalanced: call streamkv.heartbeat() or streamkv.join() for the new assignment.")));
}

static Datum tp_array(SkGroup *g, SkMember *m);

/* (member_id, generation_id, assignment) of a member, as a composite. */
static Datum
assignment_result(FunctionCallInfo fcinfo, SkGroup *g, SkMember *m)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = text_datum(m->id);
	values[1] = Int32GetDatum(g->generation);
	values[2] = tp_array(g, m);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* ------------------------------------------------------------------------
 * Compaction: the chain rewritten as a snapshot of every group
 * ------------------------------------------------------------------------
 */
typedef struct GCompact
{
	Relation	rel;
	SkChainPos	pos;
	StringInfoData buf;
	uint64		seq;
	uint64		nops;
} GCompact;

static void
gc_flush(GCompact *gc)
{
	if (gc->buf.len > 0)
	{
		const char *data = gc->buf.data;
		Size		len = gc->buf.len;

		sk_chain_append_ops(gc->rel, &gc->pos, &data, &len, 1, SK_STORE_GROUPS, NULL);
	}
	resetStringInfo(&gc->buf);
}

static void
gc_add(GCompact *gc, SkOpHeader *op)
{
	op->seq = gc->seq;
	appendBinaryStringInfo(&gc->buf, (char *) op, MAXALIGN(SkOpSize(op)));
	gc->nops++;
	pfree(op);
	if (gc->buf.len >= 64 * 1024)
		gc_flush(gc);
}


static void
compact_group(GCompact *gc, SkGroup *g)
{
	SkGTopic   *ts = g_topics(g);
	StringInfoData b;
	int			i,
				j;

	initStringInfo(&b);
	if (g->type == GT_SHARE)
	{
		SkGPart    *ps = gt_parts(&ts[0]);
		SkIdName   *cs = g->nconsumers > 0 ? sk_ptr(g->consumers) : NULL;

		wr_i32(&b, g->lock_ms);
		wr_i32(&b, g->max_deliveries);
		wr_str(&b, g->dlq, strlen(g->dlq));
		wr_i32(&b, ts[0].nparts);
		for (j = 0; j < ts[0].nparts; j++)
			wr_i64(&b, ps[j].committed);
		gc_add(gc, make_gop(SK_GOP_CREATE_SHARE, g->name, ts[0].name, strlen(ts[0].name), &b, 0));
		if (g->nconsumers > 0)
		{
			resetStringInfo(&b);
			wr_i32(&b, g->nconsumers);
			for (i = 0; i < g->nconsumers; i++)
				wr_str(&b, cs[i].name, strlen(cs[i].name));
			gc_add(gc, make_gop(SK_GOP_CONSUMERS, g->name, NULL, 0, &b, 0));
		}
		for (j = 0; j < ts[0].nparts; j++)
		{
			SkSharePart *sp;
			int64		off;
			int32		n = 0;
			int			npos;

			if (!DsaPointerIsValid(ps[j].share))
				continue;
			sp = sk_ptr(ps[j].share);
			if (sp->start == sp->next)
				continue;
			resetStringInfo(&b);
			wr_i32(&b, j);
			wr_i64(&b, sp->start);
			wr_i64(&b, sp->next);
			npos = b.len;
			wr_i32(&b, 0);
			for (off = sp->start; off < sp->next; off++)
			{
				SkShareEntry *e = share_entry(sp, off);

				if (e->state == ES_DONE)
					continue;
				wr_i64(&b, off);
				wr_i32(&b, e->state);
				wr_i32(&b, e->deliveries);
				wr_i32(&b, e->consumer);
				wr_i64(&b, e->delivered_at);
				wr_i64(&b, e->lock_until);
				n++;
			}
			memcpy(b.data + npos, &n, sizeof(n));
			gc_add(gc, make_gop(SK_GOP_SHARE_STATE, g->name, NULL, 0, &b, 0));
		}
	}
	else
	{
		LMember    *lm;
		int			n;

		lm = members_local(g, &n);
		members_payload(&b, g->generation, g->strategy, g->empty_since, ltopics_from_group(g), lm, n);
		gc_add(gc, make_gop(SK_GOP_MEMBERS, g->name, NULL, 0, &b, 0));
		for (i = 0; i < g->ntopics; i++)
		{
			SkGPart    *ps = gt_parts(&ts[i]);

			for (j = 0; j < ts[i].nparts; j++)
			{
				if (ps[j].committed < 0)
					continue;
				resetStringInfo(&b);
				wr_i32(&b, j);
				wr_i64(&b, ps[j].committed);
				wr_i32(&b, DsaPointerIsValid(ps[j].meta));
				wr_str(&b, DsaPointerIsValid(ps[j].meta) ? sk_ptr(ps[j].meta) : "",
					   DsaPointerIsValid(ps[j].meta) ? ps[j].metalen : 0);
				gc_add(gc, make_gop(SK_GOP_COMMIT, g->name, ts[i].name, strlen(ts[i].name), &b,
									ps[j].committed_at));
			}
		}
	}
	pfree(b.data);
}

static void
g_compact(GCtx *c)
{
	GCompact	gc;
	SkGroupDb  *db = c->db;
	int			i;

	memset(&gc, 0, sizeof(gc));
	gc.rel = c->rel;
	gc.pos.chain = 0;
	gc.pos.detached = true;
	gc.pos.head = gc.pos.tail = InvalidBlockNumber;
	gc.seq = db->applied_seq;
	initStringInfo(&gc.buf);
	for (i = 0; i < db->ngroups; i++)
		compact_group(&gc, db_group(db, i));
	gc_flush(&gc);
	sk_chain_switch(c->rel, 0, &gc.pos, gc.seq, gc.nops);
	db->chain_ops = gc.nops;
	db->snapshot_ops = gc.nops;
	db->compactions++;
	pfree(gc.buf.data);
}

static void
g_maybe_compact(GCtx *c)
{
	SkGroupDb  *db = c->db;

	if (db->chain_ops >= 4096 && db->chain_ops > 4 * (db->snapshot_ops + 256))
		g_compact(c);
}


/* ------------------------------------------------------------------------
 * Committed offsets
 * ------------------------------------------------------------------------
 */
static void
null_arg(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be NULL", what)));
}

/* Logs a COMMIT of one partition's offset. */
static void
log_commit(GCtx *c, const char *group, const char *topic, int32 partition, int64 offset,
		   const char *meta)
{
	StringInfoData b;

	initStringInfo(&b);
	wr_i32(&b, partition);
	wr_i64(&b, offset);
	wr_i32(&b, meta != NULL);
	wr_str(&b, meta ? meta : "", meta ? strlen(meta) : 0);
	g_log(c, make_gop(SK_GOP_COMMIT, group, topic, strlen(topic), &b, c->now));
	pfree(b.data);
}

PG_FUNCTION_INFO_V1(sk_group_commit);
Datum
sk_group_commit(PG_FUNCTION_ARGS)
{
	char	   *group = arg_text(fcinfo, 0, "group");
	char	   *topic = arg_text(fcinfo, 1, "topic");
	int32		partition;
	int64		offset;
	char	   *meta = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	char	   *member = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	GCtx		c;
	SkTopicRef	tr;
	SkGroup    *g;

	if (PG_ARGISNULL(2))
		null_arg("partition");
	if (PG_ARGISNULL(3))
		null_arg("offset");
	partition = PG_GETARG_INT32(2);
	offset = PG_GETARG_INT64(3);
	check_group_name(group);
	if (offset < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset must not be negative"),
				 errdetail("offset was " INT64_FORMAT ".", offset)));
	if (!PG_ARGISNULL(6) && member == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a generation needs a member")));
	if (meta && strlen(meta) > 4096)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("commit metadata is too large"),
				 errdetail("It has %zu bytes; the limit is 4096 (Kafka's offset.metadata.max.bytes).",
						   strlen(meta))));
	gctx_open(&c, true);
	sk_topic_open(&tr, topic, false, AccessShareLock);
	check_partition(&tr, partition);
	sk_topic_close(&tr);

	gctx_lock(&c, LW_EXCLUSIVE);
	g = find_group(c.db, group, strlen(group));
	if (g && g->type != GT_CONSUMER)
		wrong_group_type(g, GT_CONSUMER);
	if (member)
	{
		if (!g)
			no_group(group);
		expire_members(&c, g);
		if (!find_member(g, member))
			unknown_member(g, member);
		if (!PG_ARGISNULL(6))
			check_generation(g, PG_GETARG_INT32(6));
	}
	log_commit(&c, group, topic, partition, offset, meta);
	gctx_close(&c);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(sk_group_committed);
Datum
sk_group_committed(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *group = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *topic = text_to_cstring(PG_GETARG_TEXT_PP(1));
	GCtx		c;
	SkGroup    *g;
	int			ti,
				p;

	gctx_open(&c, false);
	InitMaterializedSRF(fcinfo, 0);
	gctx_lock(&c, LW_SHARED);
	g = must_group(&c, group, 0);
	ti = find_topic(g, topic, strlen(topic));
	if (ti >= 0)
	{
		SkGTopic   *t = &g_topics(g)[ti];

		for (p = 0; p < t->nparts; p++)
		{
			SkGPart    *gp = &gt_parts(t)[p];
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			if (gp->committed < 0)
				continue;
			values[0] = Int32GetDatum(p);
			values[1] = Int64GetDatum(gp->committed);
			if (DsaPointerIsValid(gp->meta))
				values[2] = text_datum(sk_ptr(gp->meta));
			else
				nulls[2] = true;
			if (gp->committed_at > 0)
				values[3] = sk_ms_to_timestamptz(gp->committed_at);
			else
				nulls[3] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	gctx_close(&c);
	return (Datum) 0;
}

/*
 * Whether a group still refers to its topic ti: a share group's topic, or a
 * topic with a committed offset or a member subscribed to it.
 */
static bool
topic_referenced(SkGroup *g, int ti)
{
	SkGTopic   *t = &g_topics(g)[ti];
	SkMember   *ms = g_members(g);
	int			i,
				j;

	if (g->type == GT_SHARE)
		return true;
	for (i = 0; i < t->nparts; i++)
		if (gt_parts(t)[i].committed >= 0)
			return true;
	for (i = 0; i < g->nmembers; i++)
		for (j = 0; j < ms[i].nsubs; j++)
			if (((int32 *) sk_ptr(ms[i].subs))[j] == ti)
				return true;
	return false;
}

typedef struct LagTopic
{
	char	   *name;
	int			nparts;
	int64	   *committed;
} LagTopic;

/* qsort comparator of structs whose first member is their char * name */
static int
cmp_leading_name(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

PG_FUNCTION_INFO_V1(sk_group_lag);
Datum
sk_group_lag(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *group = text_to_cstring(PG_GETARG_TEXT_PP(0));
	GCtx		c;
	SkGroup    *g;
	LagTopic   *lt;
	int			nt,
				i,
				p;

	gctx_open(&c, false);
	InitMaterializedSRF(fcinfo, 0);
	gctx_lock(&c, LW_SHARED);
	g = must_group(&c, group, 0);
	lt = palloc0(sizeof(LagTopic) * Max(g->ntopics, 1));
	nt = 0;
	for (i = 0; i < g->ntopics; i++)
	{
		SkGTopic   *t = &g_topics(g)[i];

		if (!topic_referenced(g, i))
			continue;
		lt[nt].name = pstrdup(t->name);
		lt[nt].nparts = t->nparts;
		lt[nt].committed = palloc(sizeof(int64) * Max(t->nparts, 1));
		for (p = 0; p < t->nparts; p++)
			lt[nt].committed[p] = gt_parts(t)[p].committed;
		nt++;
	}
	gctx_unlock(&c);
	qsort(lt, nt, sizeof(LagTopic), cmp_leading_name);

	for (i = 0; i < nt; i++)
	{
		SkTopicRef	tr;

		if (!sk_topic_open(&tr, lt[i].name, true, AccessShareLock))
			continue;
		for (p = 0; p < tr.conf.partitions; p++)
		{
			int64		log_start,
						hwm;
			int64		committed = p < lt[i].nparts ? lt[i].committed[p] : -1;
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};

			sk_topic_bounds(&tr, p, &log_start, &hwm);
			values[0] = text_datum(lt[i].name);
			values[1] = Int32GetDatum(p);
			if (committed >= 0)
				values[2] = Int64GetDatum(committed);
			else
				nulls[2] = true;
			values[3] = Int64GetDatum(hwm);
			values[4] = Int64GetDatum(Max(0, hwm - (committed >= 0 ? Max(committed, log_start) : log_start)));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		sk_topic_close(&tr);
	}
	gctx_close(&c);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sk_group_reset_offsets);
Datum
sk_group_reset_offsets(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *group = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *topic = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			totype = get_fn_expr_argtype(fcinfo->flinfo, 2);
	GCtx		c;
	SkTopicRef	tr;
	SkGroup    *g;
	int64	   *target;
	int			p,
				mode = -1;

	check_group_name(group);
	if (totype == TEXTOID)
	{
		char	   *to = text_to_cstring(PG_GETARG_TEXT_PP(2));

		if (strcmp(to, "earliest") == 0)
			mode = RS_EARLIEST;
		else if (strcmp(to, "latest") == 0)
			mode = RS_LATEST;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid offset reset target \"%s\"", to),
					 errhint("Use 'earliest', 'latest', a timestamp or an offset.")));
	}
	gctx_open(&c, true);
	InitMaterializedSRF(fcinfo, 0);
	sk_topic_open(&tr, topic, false, AccessShareLock);
	target = palloc(sizeof(int64) * tr.conf.partitions);
	for (p = 0; p < tr.conf.partitions; p++)
	{
		int64		log_start,
					hwm;

		sk_topic_bounds(&tr, p, &log_start, &hwm);
		if (mode == RS_EARLIEST)
			target[p] = log_start;
		else if (mode == RS_LATEST)
			target[p] = hwm;
		else if (totype == TIMESTAMPTZOID)
		{
			int64		off = sk_topic_offset_for_time(&tr, p, sk_timestamptz_to_ms(PG_GETARG_TIMESTAMPTZ(2)));

			target[p] = off < 0 ? hwm : off;
		}
		else
			target[p] = Min(Max(PG_GETARG_INT64(2), log_start), hwm);
	}

	gctx_lock(&c, LW_EXCLUSIVE);
	g = find_group(c.db, group, strlen(group));
	if (g && g->type != GT_CONSUMER)
		wrong_group_type(g, GT_CONSUMER);
	if (g)
		expire_members(&c, g);
	if (g && g->nmembers > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("consumer group \"%s\" has %d active members", group, g->nmembers),
				 errhint("Offsets can be reset only while the group is empty, as with kafka-consumer-groups --reset-offsets.")));
	for (p = 0; p < tr.conf.partitions; p++)
		log_commit(&c, group, topic, p, target[p], NULL);
	gctx_unlock(&c);
	for (p = 0; p < tr.conf.partitions; p++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int32GetDatum(p);
		values[1] = Int64GetDatum(target[p]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	sk_topic_close(&tr);
	gctx_close(&c);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(sk_group_delete);
Datum
sk_group_delete(PG_FUNCTION_ARGS)
{
	char	   *group = text_to_cstring(PG_GETARG_TEXT_PP(0));
	GCtx		c;
	SkGroup    *g;

	gctx_open(&c, true);
	gctx_lock(&c, LW_EXCLUSIVE);
	g = must_group(&c, group, 0);
	expire_members(&c, g);
	if (g->type == GT_CONSUMER && g->nmembers > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("consumer group \"%s\" has %d active members", group, g->nmembers),
				 errhint("Members must leave (or time out) before the group is deleted.")));
	g_log(&c, make_gop(SK_GOP_DELETE, group, NULL, 0, NULL, c.now));
	gctx_close(&c);
	PG_RETURN_VOID();
}

typedef struct GroupRow
{
	char	   *name;
	SkGroup		copy;
	List	   *topics;
} GroupRow;


static Datum
text_array(List *l)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(list_length(l), 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, l)
		d[i++] = text_datum(lfirst(lc));
	return PointerGetDatum(construct_array(d, i, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(sk_group_list);
Datum
sk_group_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	GCtx		c;
	GroupRow   *rows;
	int			n,
				i,
				j;

	gctx_open(&c, false);
	InitMaterializedSRF(fcinfo, 0);
	gctx_lock(&c, LW_SHARED);
	n = c.db->ngroups;
	rows = palloc0(sizeof(GroupRow) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		SkGroup    *g = db_group(c.db, i);

		rows[i].name = pstrdup(g->name);
		rows[i].copy = *g;
		for (j = 0; j < g->ntopics; j++)
			if (topic_referenced(g, j))
				rows[i].topics = lappend(rows[i].topics, pstrdup(g_topics(g)[j].name));
		list_sort(rows[i].topics, cmp_str);
	}
	gctx_unlock(&c);
	qsort(rows, n, sizeof(GroupRow), cmp_leading_name);
	for (i = 0; i < n; i++)
	{
		SkGroup    *g = &rows[i].copy;
		Datum		values[7];
		bool		nulls[7] = {0};
		bool		share = g->type == GT_SHARE;

		values[0] = text_datum(rows[i].name);
		values[1] = text_datum(share ? "share" : "consumer");
		values[2] = text_datum(share || g->nmembers > 0 ? "Stable" : "Empty");
		values[3] = Int32GetDatum(g->generation);
		nulls[3] = share;
		values[4] = Int32GetDatum(share ? g->nconsumers : g->nmembers);
		if (share || g->nmembers == 0)
			nulls[5] = true;
		else
			values[5] = text_datum(strategy_names[g->strategy]);
		values[6] = text_array(rows[i].topics);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	gctx_close(&c);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * Membership
 * ------------------------------------------------------------------------
 */
static char *
generated_member_id(const char *instance)
{
	uint8		rnd[8];
	char		hex[17];
	int			i;

	if (!pg_strong_random(rnd, sizeof(rnd)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random member id")));
	for (i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	return psprintf("%.200s-%s", instance && *instance ? instance : "member", hex);
}

static bool
same_subs(List *a, List *b)
{
	ListCell   *la,
			   *lb;

	if (list_length(a) != list_length(b))
		return false;
	forboth(la, a, lb, b)
		if (strcmp(lfirst(la), lfirst(lb)) != 0)
		return false;
	return true;
}

PG_FUNCTION_INFO_V1(sk_group_join);
Datum
sk_group_join(PG_FUNCTION_ARGS)
{
	char	   *group = arg_text(fcinfo, 0, "group");
	ArrayType  *arr;
	char	   *member = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	int			strategy = parse_strategy(arg_text(fcinfo, 3, "strategy"));
	int32		session_ms;
	char	   *instance = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	int			reset = parse_reset(arg_text(fcinfo, 6, "auto_offset_reset"), true);
	Datum	   *elems;
	bool	   *enulls;
	int			ne,
				i;
	List	   *subs = NIL;
	List	   *counts = NIL;	/* LTopic: the subscribed topics now */
	GCtx		c;
	SkGroup    *g;
	LMember    *lm;
	int			n = 0,
				me = -1;
	bool		rebalance = false,
				changed = false;
	List	   *ltopics;
	ListCell   *lc;
	SkMember   *m;
	Datum		result;

	check_group_name(group);
	if (PG_ARGISNULL(1))
		null_arg("topics");
	if (PG_ARGISNULL(4))
		null_arg("session_timeout_ms");
	session_ms = PG_GETARG_INT32(4);
	if (session_ms < 100 || session_ms > 3600000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session_timeout_ms must be between 100 and 3600000"),
				 errdetail("session_timeout_ms was %d.", session_ms)));
	if (member)
		check_id(member, "member id");
	if (instance)
		check_id(instance, "instance id");
	arr = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &ne);
	if (ne == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topics must not be empty")));
	for (i = 0; i < ne; i++)
	{
		char	   *t;
		bool		dup = false;

		if (enulls[i])
			null_arg("a topic");
		t = TextDatumGetCString(elems[i]);
		foreach(lc, subs)
			if (strcmp(lfirst(lc), t) == 0)
				dup = true;
		if (!dup)
			subs = lappend(subs, t);
	}
	list_sort(subs, cmp_str);
	if (list_length(subs) > 256)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a member subscribes to at most 256 topics"),
				 errdetail("%d topics were given.", list_length(subs))));

	gctx_open(&c, true);
	foreach(lc, subs)
	{
		SkTopicRef	tr;
		LTopic	   *lt = palloc(sizeof(LTopic));

		sk_topic_open(&tr, lfirst(lc), false, AccessShareLock);
		lt->name = lfirst(lc);
		lt->partitions = tr.conf.partitions;
		counts = lappend(counts, lt);
		sk_topic_close(&tr);
	}

	gctx_lock(&c, LW_EXCLUSIVE);
	g = find_group(c.db, group, strlen(group));
	if (g && g->type != GT_CONSUMER)
		wrong_group_type(g, GT_CONSUMER);
	if (g)
		expire_members(&c, g);
	if (g)
	{
		lm = members_local(g, &n);
		ltopics = ltopics_from_group(g);
	}
	else
	{
		lm = palloc0(sizeof(LMember));
		ltopics = NIL;
	}
	if (g && n > 0 && g->strategy != strategy)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("assignment strategy \"%s\" differs from the \"%s\" of consumer group \"%s\"",
						strategy_names[strategy], strategy_names[g->strategy], group),
				 errhint("Every member of a group uses the same strategy (Kafka's INCONSISTENT_GROUP_PROTOCOL).")));

	/* the topics' partition counts now: a change rebalances */
	foreach(lc, counts)
	{
		LTopic	   *now = lfirst(lc);
		LTopic	   *old = ltopic_find(ltopics, now->name);

		if (!old)
			ltopics = lappend(ltopics, now);
		else if (old->partitions != now->partitions)
		{
			old->partitions = now->partitions;
			rebalance = true;
		}
	}

	for (i = 0; i < n && member; i++)
		if (strcmp(lm[i].id, member) == 0)
			me = i;
	if (me < 0 && instance)
	{
		/* static membership: the new incarnation takes the old one's place */
		for (i = 0; i < n; i++)
			if (strcmp(lm[i].instance, instance) == 0)
				me = i;
		if (me >= 0)
		{
			lm[me].id = member ? member : generated_member_id(instance);
			changed = true;
		}
	}
	if (me < 0)
	{
		me = n++;
		memset(&lm[me], 0, sizeof(LMember));
		lm[me].id = member ? member : generated_member_id(instance);
		lm[me].instance = instance ? instance : "";
		lm[me].assign = palloc(sizeof(LTP));
		lm[me].prev = lm[me].assign;
		rebalance = true;
	}
	if (!same_subs(lm[me].subs, subs))
	{
		lm[me].subs = subs;
		rebalance = true;
	}
	if (lm[me].session_ms != session_ms || lm[me].reset != reset ||
		strcmp(lm[me].instance, instance ? instance : "") != 0)
	{
		lm[me].session_ms = session_ms;
		lm[me].reset = reset;
		lm[me].instance = instance ? instance : "";
		changed = true;
	}
	member = pstrdup(lm[me].id);
	if (!g || rebalance || changed)
		log_members(&c, group, strategy, g ? g->generation : 0, g ? g->empty_since : 0,
					ltopics, lm, n, rebalance || !g);
	g = must_group(&c, group, GT_CONSUMER);
	m = find_member(g, member);
	Assert(m != NULL);
	m->last_seen = c.now;
	result = assignment_result(fcinfo, g, m);
	gctx_close(&c);
	PG_RETURN_DATUM(result);
}

/* The group and member of a heartbeat-like call, checked (lock held). */
static SkMember *
live_member(GCtx *c, const char *group, const char *member, bool has_gen, int32 gen,
			SkGroup **gp)
{
	SkGroup    *g = must_group(c, group, GT_CONSUMER);
	SkMember   *m;

	expire_members(c, g);
	m = find_member(g, member);
	if (!m)
		unknown_member(g, member);
	if (has_gen)
		check_generation(g, gen);
	m->last_seen = c->now;
	*gp = g;
	return m;
}

PG_FUNCTION_INFO_V1(sk_group_heartbeat);
Datum
sk_group_heartbeat(PG_FUNCTION_ARGS)
{
	char	   *group = arg_text(fcinfo, 0, "group");
	char	   *member = arg_text(fcinfo, 1, "member");
	GCtx		c;
	SkGroup    *g;
	SkMember   *m;
	Datum		result;

	gctx_open(&c, !RecoveryInProgress());
	gctx_lock(&c, LW_EXCLUSIVE);
	m = live_member(&c, group, member, !PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2), &g);
	result = assignment_result(fcinfo, g, m);
	gctx_close(&c);
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(sk_group_leave);
Datum
sk_group_leave(PG_FUNCTION_ARGS)
{
	char	   *group = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *member = text_to_cstring(PG_GETARG_TEXT_PP(1));
	GCtx		c;
	SkGroup    *g;
	LMember    *lm;
	int			n,
				i,
				k = 0;
	bool		found = false;

	gctx_open(&c, true);
	gctx_lock(&c, LW_EXCLUSIVE);
	g = must_group(&c, group, GT_CONSUMER);
	expire_members(&c, g);
	lm = members_local(g, &n);
	for (i = 0; i < n; i++)
	{
		if (strcmp(lm[i].id, member) == 0)
			found = true;
		else
			lm[k++] = lm[i];
	}
	if (found)
		log_members(&c, group, g->strategy, g->generation, g->empty_since,
					ltopics_from_group(g), lm, k, true);
	gctx_close(&c);
	PG_RETURN_BOOL(found);
}

static Datum
tp_array(SkGroup *g, SkMember *m)
{
	Oid			tptype = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("topic_partition"),
										 ObjectIdGetDatum(get_namespace_oid("streamkv", false)));
	TupleDesc	tpdesc = lookup_rowtype_tupdesc(tptype, -1);
	SkTP	   *as = m->nassign > 0 ? sk_ptr(m->assign) : NULL;
	Datum	   *elems = palloc(sizeof(Datum) * Max(m->nassign, 1));
	int			i;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	for (i = 0; i < m->nassign; i++)
	{
		Datum		v[2];
		bool		nl[2] = {false, false};

		v[0] = text_datum(g_topics(g)[as[i].topic].name);
		v[1] = Int32GetDatum(as[i].partition);
		elems[i] = HeapTupleGetDatum(heap_form_tuple(tpdesc, v, nl));
	}
	ReleaseTupleDesc(tpdesc);
	get_typlenbyvalalign(tptype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(elems, m->nassign, tptype, typlen, typbyval, typalign));
}

typedef struct MemberRow
{
	char	   *id;
	Datum		values[5];
	bool		nulls[5];
} MemberRow;


PG_FUNCTION_INFO_V1(sk_group_members);
Datum
sk_group_members(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *group = text_to_cstring(PG_GETARG_TEXT_PP(0));
	GCtx		c;
	SkGroup    *g;
	MemberRow  *rows;
	int			n,
				i;

	gctx_open(&c, !RecoveryInProgress());
	InitMaterializedSRF(fcinfo, 0);
	gctx_lock(&c, LW_EXCLUSIVE);
	g = must_group(&c, group, GT_CONSUMER);
	expire_members(&c, g);
	n = g->nmembers;
	rows = palloc0(sizeof(MemberRow) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		SkMember   *m = &g_members(g)[i];

		rows[i].id = pstrdup(m->id);
		rows[i].values[0] = text_datum(m->id);
		rows[i].values[1] = text_datum(m->instance);
		rows[i].nulls[1] = m->instance[0] == '\0';
		rows[i].values[2] = Int32GetDatum(m->session_ms);
		rows[i].values[3] = sk_ms_to_timestamptz(m->last_seen);
		rows[i].values[4] = tp_array(g, m);
	}
	gctx_unlock(&c);
	qsort(rows, n, sizeof(MemberRow), cmp_leading_name);
	for (i = 0; i < n; i++)
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, rows[i].values, rows[i].nulls);
	gctx_close(&c);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * Reading records for poll and acquire
 * ------------------------------------------------------------------------
 */
typedef struct OpenTopic
{
	char	   *name;
	SkTopicRef	tr;
	Datum		name_datum;
} OpenTopic;

typedef struct EmitState
{
	ReturnSetInfo *rsinfo;
	Datum		topic;
	int			partition;
	/* acquire: the offsets handed out, ascending, with their deliveries */
	int64	   *offsets;
	int		   *deliveries;
	int			n;
	int			cur;
	int64		locked_until;
	SkHeaderType *ht;			/* the call's header type cache */
} EmitState;

static bool
emit_record(const SkRecordView *v, void *arg)
{
	EmitState  *es = (EmitState *) arg;
	Datum		values[9];
	bool		nulls[9];

	if (es->offsets)
	{
		while (es->cur < es->n && es->offsets[es->cur] < v->offset)
			es->cur++;
		if (es->cur >= es->n)
			return false;
		if (es->offsets[es->cur] != v->offset)
			return true;
		values[7] = Int32GetDatum(es->deliveries[es->cur]);
		nulls[7] = false;
		values[8] = sk_ms_to_timestamptz(es->locked_until);
		nulls[8] = false;
	}
	sk_topic_record_datums(v, es->topic, es->partition, values, nulls, es->ht);
	tuplestore_putvalues(es->rsinfo->setResult, es->rsinfo->setDesc, values, nulls);
	return true;
}

/*
 * Waits for records of the topics trs[0..ntr-1] (all open): flushes what
 * asynchronous producers logged past a high watermark, else sleeps a little
 * on the first topic.  False once wait_ms has passed since start.
 */
static bool
wait_for_records(SkTopicRef *const *trs, int ntr, instr_time start, int wait_ms)
{
	instr_time	now;
	double		left;
	bool		flushed = false;
	int			k,
				p;

	for (k = 0; k < ntr; k++)
		for (p = 0; p < trs[k]->conf.partitions; p++)
			flushed |= sk_topic_flush_pending(trs[k], p);
	if (flushed)
		return true;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	left = wait_ms - INSTR_TIME_GET_MILLISEC(now);
	if (left <= 0 || ntr == 0)
		return false;
	sk_topic_prepare_wait(trs[0]);
	/* short sleeps: lock expiry and asynchronous WAL flushes send no wake-up */
	sk_topic_wait(trs[0], (long) Min(left, 10.0) + 1);
	CHECK_FOR_INTERRUPTS();
	return true;
}

/*
 * A topic of the group gained partitions (alter_topic): rebalance, as Kafka
 * does on a metadata change.  Returns whether it did.
 */
static bool
refresh_partition_counts(GCtx *c, SkGroup *g, OpenTopic *ot, int nt)
{
	List	   *ltopics;
	LMember    *lm;
	int			n,
				k;
	bool		changed = false;

	for (k = 0; k < nt; k++)
	{
		int			ti;

		if (!ot[k].name)
			continue;
		ti = find_topic(g, ot[k].name, strlen(ot[k].name));
		if (ti >= 0 && g_topics(g)[ti].partitions != ot[k].tr.conf.partitions)
			changed = true;
	}
	if (!changed)
		return false;
	ltopics = ltopics_from_group(g);
	for (k = 0; k < nt; k++)
	{
		LTopic	   *lt = ot[k].name ? ltopic_find(ltopics, ot[k].name) : NULL;

		if (lt)
			lt->partitions = ot[k].tr.conf.partitions;
	}
	lm = members_local(g, &n);
	log_members(c, pstrdup(g->name), g->strategy, g->generation, g->empty_since, ltopics, lm, n, true);
	return true;
}

typedef struct PollPlan
{
	int			topic;			/* index in the opened topics */
	int			partition;
	int64		from;
	int			n;
} PollPlan;

PG_FUNCTION_INFO_V1(sk_group_poll);
Datum
sk_group_poll(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *group = arg_text(fcinfo, 0, "group");
	char	   *member = arg_text(fcinfo, 1, "member");
	int32		max_records,
				wait_ms;
	bool		has_gen = !PG_ARGISNULL(4);
	int32		gen = has_gen ? PG_GETARG_INT32(4) : 0;
	GCtx		c;
	SkGroup    *g;
	SkMember   *m;
	OpenTopic  *ot;
	int			nt = 0,
				i;
	PollPlan   *plan;
	int			nplan;
	instr_time	start;
	SkHeaderType ht;
	SkTopicRef **open;			/* the topics that could be opened */
	int			nopen = 0;

	if (PG_ARGISNULL(2))
		null_arg("max_records");
	if (PG_ARGISNULL(3))
		null_arg("wait_ms");
	max_records = PG_GETARG_INT32(2);
	wait_ms = PG_GETARG_INT32(3);
	if (max_records < 1 || wait_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_records must be positive and wait_ms not negative")));
	gctx_open(&c, false);
	InitMaterializedSRF(fcinfo, 0);

	/* open the member's topics before taking the groups lock */
	gctx_lock(&c, LW_EXCLUSIVE);
	m = live_member(&c, group, member, has_gen, gen, &g);
	ot = palloc0(sizeof(OpenTopic) * Max(g->ntopics, 1));
	for (i = 0; i < m->nsubs; i++)
		ot[nt++].name = pstrdup(g_topics(g)[((int32 *) sk_ptr(m->subs))[i]].name);
	gctx_unlock(&c);
	open = palloc(sizeof(SkTopicRef *) * Max(nt, 1));
	for (i = 0; i < nt; i++)
	{
		if (!sk_topic_open(&ot[i].tr, ot[i].name, true, AccessShareLock))
			ot[i].name = NULL;
		else
		{
			ot[i].name_datum = text_datum(ot[i].name);
			open[nopen++] = &ot[i].tr;
		}
	}

	INSTR_TIME_SET_CURRENT(start);
	plan = palloc(sizeof(PollPlan) * SK_MAX_PARTITIONS * Max(nt, 1));
	for (;;)
	{
		int			left = max_records;
		SkTP	   *as;
		int			na;

		nplan = 0;
		gctx_lock(&c, LW_EXCLUSIVE);
		m = live_member(&c, group, member, has_gen, gen, &g);
		if (refresh_partition_counts(&c, g, ot, nt))
			m = live_member(&c, group, member, has_gen, gen, &g);
		as = m->nassign > 0 ? sk_ptr(m->assign) : NULL;
		na = m->nassign;
		for (i = 0; i < na && left > 0; i++)
		{
			SkTP	   *tp = &as[(g->rr + i) % na];
			char	   *tname = g_topics(g)[tp->topic].name;
			int			k;
			SkGPart    *gp = get_part(g, tp->topic, tp->partition);
			int64		log_start,
						hwm,
						pos;
			int			take;

			for (k = 0; k < nt; k++)
				if (ot[k].name && strcmp(ot[k].name, tname) == 0)
					break;
			if (k == nt || !gp || tp->partition >= ot[k].tr.conf.partitions)
				continue;
			sk_topic_bounds(&ot[k].tr, tp->partition, &log_start, &hwm);
			pos = gp->position;
			if (pos < 0 || pos < log_start || pos > hwm)
			{
				pos = gp->committed;
				if (pos < 0 || pos < log_start || pos > hwm)
				{
					if (m->reset == RS_NONE)
						ereport(ERROR,
								(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
								 errmsg("no valid committed offset for partition %d of topic \"%s\" in consumer group \"%s\"",
										tp->partition, tname, group),
								 errdetail(gp->committed < 0 ? "Nothing was committed." :
										   "The committed offset is out of range."),
								 errhint("auto_offset_reset is none: commit or reset an offset first.")));
					pos = m->reset == RS_EARLIEST ? log_start : hwm;
				}
			}
			take = (int) Min((int64) left, hwm - pos);
			gp->position = pos + take;
			if (take > 0)
			{
				plan[nplan].topic = k;
				plan[nplan].partition = tp->partition;
				plan[nplan].from = pos;
				plan[nplan].n = take;
				nplan++;
				left -= take;
			}
		}
		g->rr++;
		gctx_unlock(&c);
		if (nplan > 0 || wait_ms == 0 || nopen == 0)
			break;
		if (!wait_for_records(open, nopen, start, wait_ms))
			break;
	}

	memset(&ht, 0, sizeof(ht));
	for (i = 0; i < nplan; i++)
	{
		EmitState	es;

		memset(&es, 0, sizeof(es));
		es.rsinfo = rsinfo;
		es.ht = &ht;
		es.topic = ot[plan[i].topic].name_datum;
		es.partition = plan[i].partition;
		sk_topic_read(&ot[plan[i].topic].tr, plan[i].partition, plan[i].from,
					  plan[i].from + plan[i].n, plan[i].n, emit_record, &es);
	}
	for (i = 0; i < nt; i++)
		if (ot[i].name)
			sk_topic_close(&ot[i].tr);
	gctx_close(&c);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * Share groups
 * ------------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(sk_share_create);
Datum
sk_share_create(PG_FUNCTION_ARGS)
{
	char	   *group = arg_text(fcinfo, 0, "group");
	char	   *topic = arg_text(fcinfo, 1, "topic");
	int32		lock_ms,
				maxd;
	char	   *dlq = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	int			reset = parse_reset(arg_text(fcinfo, 5, "auto_offset_reset"), false);
	GCtx		c;
	SkTopicRef	tr;
	StringInfoData b;
	int			p;

	check_group_name(group);
	if (PG_ARGISNULL(2))
		null_arg("lock_duration_ms");
	if (PG_ARGISNULL(3))
		null_arg("max_deliveries");
	lock_ms = PG_GETARG_INT32(2);
	maxd = PG_GETARG_INT32(3);
	if (lock_ms < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lock_duration_ms must be positive"),
				 errdetail("lock_duration_ms was %d.", lock_ms)));
	if (maxd < 1 || maxd > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_deliveries must be between 1 and 100"),
				 errdetail("max_deliveries was %d.", maxd)));
	if (dlq && strcmp(dlq, topic) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the dead-letter topic must differ from the group's topic")));
	gctx_open(&c, true);
	if (dlq)
	{
		SkTopicRef	dtr;

		sk_topic_open(&dtr, dlq, false, AccessShareLock);
		sk_topic_close(&dtr);
	}
	sk_topic_open(&tr, topic, false, AccessShareLock);
	initStringInfo(&b);
	wr_i32(&b, lock_ms);
	wr_i32(&b, maxd);
	wr_str(&b, dlq ? dlq : "", dlq ? strlen(dlq) : 0);
	wr_i32(&b, tr.conf.partitions);
	for (p = 0; p < tr.conf.partitions; p++)
	{
		int64		log_start,
					hwm;

		sk_topic_bounds(&tr, p, &log_start, &hwm);
		wr_i64(&b, reset == RS_EARLIEST ? log_start : hwm);
	}
	gctx_lock(&c, LW_EXCLUSIVE);
	if (find_group(c.db, group, strlen(group)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("group \"%s\" already exists", group)));
	g_log(&c, make_gop(SK_GOP_CREATE_SHARE, group, topic, strlen(topic), &b, c.now));
	sk_topic_close(&tr);
	gctx_close(&c);
	PG_RETURN_VOID();
}

/* Logs an operation on offsets of a share partition. */
static void
log_share_offsets(GCtx *c, uint8 kind, const char *group, const char *consumer, int32 partition,
				  int64 lock_until, const int64 *offs, int n)
{
	StringInfoData b;

	if (n == 0)
		return;
	initStringInfo(&b);
	wr_i32(&b, partition);
	if (kind == SK_GOP_ACQUIRE)
		wr_i64(&b, lock_until);
	wr_offsets(&b, offs, n);
	g_log(c, make_gop(kind, group, consumer, consumer ? strlen(consumer) : 0, &b, c->now));
	pfree(b.data);
}

typedef struct DeadCopy
{
	SkRecordView v;
	bool		found;
} DeadCopy;

static char *
copy_bytes(const char *p, Size len)
{
	char	   *c = palloc(Max(len, 1));

	memcpy(c, p, len);
	return c;
}

static bool
copy_record(const SkRecordView *v, void *arg)
{
	DeadCopy   *dc = (DeadCopy *) arg;

	dc->v = *v;
	dc->v.key = v->key ? copy_bytes(v->key, v->keylen) : NULL;
	dc->v.value = v->value ? copy_bytes(v->value, v->vallen) : NULL;
	dc->v.headers = copy_bytes(v->headers, v->hdrlen);
	dc->found = true;
	return false;
}

/*
 * Dead-letters records of a share partition: each is produced to the
 * dead-letter topic (if the group has one and it exists) with headers naming
 * its origin, then archived.  Caller holds the groups lock exclusively.
 */
static void
dead_letter(GCtx *c, SkGroup *g, SkTopicRef *tr, SkTopicRef *dtr, int32 partition,
			const int64 *offs, const int *deliveries, int n, const char *reason)
{
	char		group[SK_GROUP_NAME_MAX + 1];
	int			i;

	if (n == 0)
		return;
	strlcpy(group, g->name, sizeof(group));
	for (i = 0; i < n && dtr; i++)
	{
		DeadCopy	dc;
		StringInfoData h;
		char		num[32];
		int64		doff;

		dc.found = false;
		sk_topic_read(tr, partition, offs[i], offs[i] + 1, 1, copy_record, &dc);
		if (!dc.found)
			continue;			/* removed by retention meanwhile */
		initStringInfo(&h);
		sk_topic_encode_header(&h, "streamkv.dlq.topic", tr->conf.name, strlen(tr->conf.name));
		snprintf(num, sizeof(num), "%d", partition);
		sk_topic_encode_header(&h, "streamkv.dlq.partition", num, strlen(num));
		snprintf(num, sizeof(num), INT64_FORMAT, offs[i]);
		sk_topic_encode_header(&h, "streamkv.dlq.offset", num, strlen(num));
		sk_topic_encode_header(&h, "streamkv.dlq.group", group, strlen(group));
		sk_topic_encode_header(&h, "streamkv.dlq.reason", reason, strlen(reason));
		snprintf(num, sizeof(num), "%d", deliveries[i]);
		sk_topic_encode_header(&h, "streamkv.dlq.deliveries", num, strlen(num));
		sk_topic_produce_copy(dtr, &dc.v, h.data, h.len, 6, &doff);
		pfree(h.data);
	}
	log_share_offsets(c, SK_GOP_ARCHIVE, group, NULL, partition, 0, offs, n);
}

/* The share group's topic and dead-letter topic names (under a shared lock). */
static void
share_names(GCtx *c, const char *group, char *topic, char *dlq)
{
	SkGroup    *g;

	gctx_lock(c, LW_SHARED);
	g = must_group(c, group, GT_SHARE);
	strlcpy(topic, g_topics(g)[0].name, SK_TOPIC_NAME_MAX + 1);
	strlcpy(dlq, g->dlq, SK_TOPIC_NAME_MAX + 1);
	gctx_unlock(c);
}

static bool
open_dlq(SkTopicRef *dtr, const char *dlq)
{
	return dlq[0] != '\0' && sk_topic_open(dtr, dlq, true, AccessShareLock);
}

#define SETTLE_ACK		0
#define SETTLE_RELEASE	1
#define SETTLE_REJECT	2

/*
 * Sorts out which of the offsets (ascending, duplicates allowed) the consumer
 * holds in a share partition: those to acknowledge or release go to held[],
 * those to dead-letter (rejected, or released past max_deliveries) to dead[]
 * with their delivery counts.  Offsets the consumer does not hold are ignored,
 * like XACK's.  Returns how many it holds.  Caller holds the groups lock.
 */
static int
settle_collect(SkGroup *g, const char *consumer, int32 partition, const int64 *offs, int ne,
			   int how, int64 *held, int *nr, int64 *dead, int *ddel, int *nd)
{
	int			cidx = find_consumer(g, consumer, strlen(consumer));
	SkGPart    *gp = get_part(g, 0, partition);
	SkSharePart *sp = gp && DsaPointerIsValid(gp->share) ? sk_ptr(gp->share) : NULL;
	int			i,
				n = 0;

	*nr = *nd = 0;
	for (i = 0; i < ne && sp && cidx >= 0; i++)
	{
		SkShareEntry *e;

		if ((i > 0 && offs[i] == offs[i - 1]) || offs[i] < sp->start || offs[i] >= sp->next)
			continue;
		e = share_entry(sp, offs[i]);
		if (e->state != ES_ACQUIRED || e->consumer != cidx)
			continue;
		if (how == SETTLE_REJECT || (how == SETTLE_RELEASE && e->deliveries >= g->max_deliveries))
		{
			dead[*nd] = offs[i];
			ddel[*nd] = e->deliveries;
			(*nd)++;
		}
		else
			held[(*nr)++] = offs[i];
		n++;
	}
	return n;
}

typedef struct AckPair
{
	int64		partition;
	int64		offset;
} AckPair;

static int
cmp_ackpair(const void *a, const void *b)
{
	const AckPair *x = (const AckPair *) a;
	const AckPair *y = (const AckPair *) b;

	if (x->partition != y->partition)
		return x->partition < y->partition ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * acquire's piggybacked acknowledgements (as Kafka's ShareFetch carries them):
 * two parallel arrays of partitions and offsets, returned sorted by partition
 * and offset.  Checks the partitions against the topic.
 */
static AckPair *
ack_pairs(ArrayType *parts, ArrayType *offs, SkTopicRef *tr, int *n)
{
	Datum	   *pe,
			   *oe;
	bool	   *pn,
			   *on;
	int			np,
				no,
				i;
	AckPair    *pairs;

	*n = 0;
	if (parts == NULL && offs == NULL)
		return NULL;			/* NULL (array_agg of nothing): no acknowledgements */
	if (parts == NULL || offs == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ack_partitions and ack_offsets must both be NULL or both not NULL")));
	if (ARR_NDIM(parts) > 1 || ARR_NDIM(offs) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ack_partitions and ack_offsets must be one-dimensional arrays")));
	deconstruct_array(parts, INT4OID, 4, true, TYPALIGN_INT, &pe, &pn, &np);
	deconstruct_array(offs, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &oe, &on, &no);
	if (np != no)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ack_partitions and ack_offsets must have the same length"),
				 errdetail("ack_partitions has %d elements and ack_offsets %d.", np, no)));
	pairs = palloc(sizeof(AckPair) * Max(np, 1));
	for (i = 0; i < np; i++)
	{
		if (pn[i])
			null_arg("a partition in ack_partitions");
		if (on[i])
			null_arg("an offset in ack_offsets");
		pairs[i].partition = DatumGetInt32(pe[i]);
		pairs[i].offset = DatumGetInt64(oe[i]);
		check_partition(tr, (int32) pairs[i].partition);
	}
	qsort(pairs, np, sizeof(AckPair), cmp_ackpair);
	*n = np;
	return pairs;
}

/*
 * Acknowledges the piggybacked pairs, one ACK operation per partition; offs
 * and held are scratch arrays of n entries, allocated before the lock.
 * Caller holds the groups lock exclusively; returns the group, which logging
 * may have moved.
 */
static SkGroup *
ack_pairs_apply(GCtx *c, SkGroup *g, const char *group, const char *consumer,
				const AckPair *pairs, int n, int64 *offs, int64 *held)
{
	int			s = 0;

	while (s < n)
	{
		int			e,
					nr,
					nd;

		for (e = s; e < n && pairs[e].partition == pairs[s].partition; e++)
			offs[e - s] = pairs[e].offset;
		settle_collect(g, consumer, (int32) pairs[s].partition, offs, e - s, SETTLE_ACK,
					   held, &nr, NULL, NULL, &nd);
		if (nr > 0)
		{
			log_share_offsets(c, SK_GOP_ACK, group, consumer, (int32) pairs[s].partition, 0,
							  held, nr);
			g = must_group(c, group, GT_SHARE);
		}
		s = e;
	}
	return g;
}

typedef struct AcqPlan
{
	int			partition;
	int			n;
	int64	   *offs;
	int		   *deliveries;
} AcqPlan;

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

PG_FUNCTION_INFO_V1(sk_share_acquire);
Datum
sk_share_acquire(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *group = arg_text(fcinfo, 0, "group");
	char	   *consumer = arg_text(fcinfo, 1, "consumer");
	int32		max_records;
	int32		wait_ms;
	char		topic[SK_TOPIC_NAME_MAX + 1];
	char		dlq[SK_TOPIC_NAME_MAX + 1];
	GCtx		c;
	SkTopicRef	tr,
				dtr;
	SkTopicRef *trp;
	bool		has_dlq;
	AcqPlan    *plan;
	int			nplan = 0,
				i;
	int64		lock_until = 0;
	instr_time	start;
	int64	   *doffs;
	int		   *ddel;
	Datum		topic_datum;
	SkHeaderType ht;
	AckPair    *acks;
	int			nacks;
	int64	   *ack_offs = NULL,
			   *ack_held = NULL;

	if (PG_ARGISNULL(2))
		null_arg("max_records");
	if (PG_ARGISNULL(3))
		null_arg("wait_ms");
	max_records = PG_GETARG_INT32(2);
	wait_ms = PG_GETARG_INT32(3);
	check_id(consumer, "consumer name");
	/* max_records 0: acknowledge only (Kafka's ShareAcknowledge) */
	if (max_records < 0 || wait_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_records and wait_ms must not be negative")));
	gctx_open(&c, true);
	InitMaterializedSRF(fcinfo, 0);
	share_names(&c, group, topic, dlq);
	sk_topic_open(&tr, topic, false, AccessShareLock);
	/* (a catalog from an older install script may pass only four arguments) */
	acks = ack_pairs(PG_NARGS() > 4 && !PG_ARGISNULL(4) ? PG_GETARG_ARRAYTYPE_P(4) : NULL,
					 PG_NARGS() > 5 && !PG_ARGISNULL(5) ? PG_GETARG_ARRAYTYPE_P(5) : NULL,
					 &tr, &nacks);
	if (nacks > 0)
	{
		ack_offs = palloc(sizeof(int64) * nacks);
		ack_held = palloc(sizeof(int64) * nacks);
	}
	has_dlq = open_dlq(&dtr, dlq);
	topic_datum = text_datum(topic);
	trp = &tr;
	plan = palloc0(sizeof(AcqPlan) * tr.conf.partitions);
	doffs = palloc(sizeof(int64) * SK_SHARE_WINDOW);
	ddel = palloc(sizeof(int) * SK_SHARE_WINDOW);
	INSTR_TIME_SET_CURRENT(start);

	for (;;)
	{
		SkGroup    *g;
		int			left = max_records;
		int			pi;
		int			nparts = tr.conf.partitions;
		uint32		rr;

		gctx_lock(&c, LW_EXCLUSIVE);
		g = must_group(&c, group, GT_SHARE);
		if (nacks > 0)
		{
			/* acknowledged first: that frees room in the windows */
			g = ack_pairs_apply(&c, g, group, consumer, acks, nacks, ack_offs, ack_held);
			nacks = 0;
		}
		rr = g->rr++;
		lock_until = c.now + g->lock_ms;
		nplan = 0;
		for (pi = 0; pi < nparts && left > 0; pi++)
		{
			int			p = (rr + pi) % nparts;
			int64		log_start,
						hwm,
						off,
						sstart,
						snext;
			SkGPart    *gp;
			SkSharePart *sp;
			AcqPlan    *ap = &plan[nplan];
			int			nd = 0;
			int			maxd;

			sk_topic_bounds(&tr, p, &log_start, &hwm);
			gp = get_part(g, 0, p);
			sstart = gp ? gp->committed : 0;
			if (sstart < log_start)
			{
				/* retention removed records the group had not finished */
				StringInfoData b;

				initStringInfo(&b);
				wr_i32(&b, p);
				wr_i64(&b, log_start);
				g_log(&c, make_gop(SK_GOP_SKIP, group, NULL, 0, &b, c.now));
				pfree(b.data);
				gp = get_part(g, 0, p);
				sstart = gp->committed;
			}
			sp = gp && DsaPointerIsValid(gp->share) ? sk_ptr(gp->share) : NULL;
			snext = sp ? sp->next : sstart;
			maxd = g->max_deliveries;
			if (ap->offs == NULL)
			{
				/* a partition hands out at most max_records, and one window */
				ap->offs = palloc(sizeof(int64) * Min(max_records, SK_SHARE_WINDOW));
				ap->deliveries = palloc(sizeof(int) * Min(max_records, SK_SHARE_WINDOW));
			}
			ap->partition = p;
			ap->n = 0;
			/* redeliveries: released, or locks that expired */
			for (off = sstart; sp && off < snext; off++)
			{
				SkShareEntry *e = share_entry(sp, off);

				if (e->state == ES_DONE || (e->state == ES_ACQUIRED && e->lock_until > c.now))
					continue;
				if (e->deliveries >= maxd)
				{
					doffs[nd] = off;
					ddel[nd] = e->deliveries;
					nd++;
				}
				else if (left > 0)
				{
					ap->offs[ap->n] = off;
					ap->deliveries[ap->n] = e->deliveries + 1;
					ap->n++;
					left--;
				}
			}
			/* records never delivered, within the window */
			for (off = snext; off < hwm && off - sstart < SK_SHARE_WINDOW && left > 0; off++)
			{
				ap->offs[ap->n] = off;
				ap->deliveries[ap->n] = 1;
				ap->n++;
				left--;
			}
			if (nd > 0)
			{
				dead_letter(&c, g, &tr, has_dlq ? &dtr : NULL, p, doffs, ddel, nd, "max_deliveries");
				g = must_group(&c, group, GT_SHARE);
			}
			if (ap->n > 0)
			{
				/*
				 * Durable at commit like every write: the delivery count must
				 * survive a crash, or a record that crashes the server would
				 * be redelivered forever instead of reaching max_deliveries.
				 */
				log_share_offsets(&c, SK_GOP_ACQUIRE, group, consumer, p, lock_until, ap->offs, ap->n);
				g = must_group(&c, group, GT_SHARE);
				nplan++;
			}
		}
		gctx_unlock(&c);
		if (nplan > 0 || wait_ms == 0 || max_records == 0)
			break;
		if (!wait_for_records(&trp, 1, start, wait_ms))
			break;
	}

	memset(&ht, 0, sizeof(ht));
	for (i = 0; i < nplan; i++)
	{
		AcqPlan    *ap = &plan[i];
		EmitState	es;
		int64	   *sorted = ap->offs;
		int			k;

		/* redeliveries come first in the plan; both parts are ascending */
		for (k = 1; k < ap->n && sorted[k - 1] < sorted[k]; k++)
			;
		if (k < ap->n)
		{
			/* sort offsets with their delivery counts */
			int64	   *pairs = palloc(sizeof(int64) * 2 * ap->n);

			for (k = 0; k < ap->n; k++)
			{
				pairs[2 * k] = ap->offs[k];
				pairs[2 * k + 1] = ap->deliveries[k];
			}
			qsort(pairs, ap->n, 2 * sizeof(int64), cmp_int64);
			for (k = 0; k < ap->n; k++)
			{
				ap->offs[k] = pairs[2 * k];
				ap->deliveries[k] = (int) pairs[2 * k + 1];
			}
		}
		memset(&es, 0, sizeof(es));
		es.rsinfo = rsinfo;
		es.ht = &ht;
		es.topic = topic_datum;
		es.partition = ap->partition;
		es.offsets = ap->offs;
		es.deliveries = ap->deliveries;
		es.n = ap->n;
		es.locked_until = lock_until;
		sk_topic_read(&tr, ap->partition, ap->offs[0], ap->offs[ap->n - 1] + 1,
					  (int) (ap->offs[ap->n - 1] + 1 - ap->offs[0]), emit_record, &es);
	}
	if (has_dlq)
		sk_topic_close(&dtr);
	sk_topic_close(&tr);
	gctx_close(&c);
	return (Datum) 0;
}

static Datum
share_settle(FunctionCallInfo fcinfo, int how)
{
	char	   *group = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *consumer = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int32		partition = PG_GETARG_INT32(2);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(3);
	char		topic[SK_TOPIC_NAME_MAX + 1];
	char		dlq[SK_TOPIC_NAME_MAX + 1];
	Datum	   *elems;
	bool	   *enulls;
	int			ne,
				i,
				n = 0,
				nd = 0,
				nr = 0;
	int64	   *offs,
			   *held,
			   *dead;
	int		   *ddel;
	GCtx		c;
	SkTopicRef	tr,
				dtr;
	bool		has_dlq = false;
	SkGroup    *g;

	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &enulls, &ne);
	offs = palloc(sizeof(int64) * Max(ne, 1));
	for (i = 0; i < ne; i++)
	{
		if (enulls[i])
			null_arg("an offset");
		offs[i] = DatumGetInt64(elems[i]);
	}
	qsort(offs, ne, sizeof(int64), cmp_int64);
	gctx_open(&c, true);
	share_names(&c, group, topic, dlq);
	sk_topic_open(&tr, topic, false, AccessShareLock);
	check_partition(&tr, partition);
	if (how != SETTLE_ACK)
		has_dlq = open_dlq(&dtr, dlq);
	held = palloc(sizeof(int64) * Max(ne, 1));
	dead = palloc(sizeof(int64) * Max(ne, 1));
	ddel = palloc(sizeof(int) * Max(ne, 1));

	gctx_lock(&c, LW_EXCLUSIVE);
	g = must_group(&c, group, GT_SHARE);
	n = settle_collect(g, consumer, partition, offs, ne, how, held, &nr, dead, ddel, &nd);
	log_share_offsets(&c, how == SETTLE_ACK ? SK_GOP_ACK : SK_GOP_RELEASE, group, consumer,
					  partition, 0, held, nr);
	if (nd > 0)
	{
		g = must_group(&c, group, GT_SHARE);
		dead_letter(&c, g, &tr, has_dlq ? &dtr : NULL, partition, dead, ddel, nd,
					how == SETTLE_REJECT ? "rejected" : "max_deliveries");
	}
	gctx_unlock(&c);
	if (has_dlq)
		sk_topic_close(&dtr);
	sk_topic_close(&tr);
	gctx_close(&c);
	PG_RETURN_INT32(n);
}

PG_FUNCTION_INFO_V1(sk_share_ack);
Datum
sk_share_ack(PG_FUNCTION_ARGS)
{
	return share_settle(fcinfo, SETTLE_ACK);
}

PG_FUNCTION_INFO_V1(sk_share_release);
Datum
sk_share_release(PG_FUNCTION_ARGS)
{
	return share_settle(fcinfo, SETTLE_RELEASE);
}

PG_FUNCTION_INFO_V1(sk_share_reject);
Datum
sk_share_reject(PG_FUNCTION_ARGS)
{
	return share_settle(fcinfo, SETTLE_REJECT);
}

PG_FUNCTION_INFO_V1(sk_share_pending);
Datum
sk_share_pending(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *group = text_to_cstring(PG_GETARG_TEXT_PP(0));
	GCtx		c;
	SkGroup    *g;
	SkGTopic   *t;
	int			p;

	gctx_open(&c, false);
	InitMaterializedSRF(fcinfo, 0);
	gctx_lock(&c, LW_SHARED);
	g = must_group(&c, group, GT_SHARE);
	t = &g_topics(g)[0];
	for (p = 0; p < t->nparts; p++)
	{
		SkGPart    *gp = &gt_parts(t)[p];
		SkSharePart *sp;
		int64		off;

		if (!DsaPointerIsValid(gp->share))
			continue;
		sp = sk_ptr(gp->share);
		for (off = sp->start; off < sp->next; off++)
		{
			SkShareEntry *e = share_entry(sp, off);
			Datum		values[6];
			bool		nulls[6] = {0};
			Interval   *idle;

			if (e->state != ES_ACQUIRED)
				continue;
			idle = palloc0(sizeof(Interval));
			idle->time = (c.now - e->delivered_at) * 1000;
			values[0] = Int32GetDatum(p);
			values[1] = Int64GetDatum(off);
			values[2] = text_datum(consumer_name(g, e->consumer));
			values[3] = IntervalPGetDatum(idle);
			values[4] = Int32GetDatum(e->deliveries);
			values[5] = sk_ms_to_timestamptz(e->lock_until);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	gctx_close(&c);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * Maintenance (the background worker): session timeouts, offsets retention
 * ------------------------------------------------------------------------
 */
/*
 * Whether a share group has records past max_deliveries whose lock expired:
 * they are to be dead-lettered (caller holds the groups lock).
 */
static bool
share_has_dead(SkGroup *g, int64 now)
{
	SkGTopic   *t;
	int			p;

	if (g->type != GT_SHARE || g->ntopics < 1 || g->dead_retry_at > now)
		return false;
	t = &g_topics(g)[0];
	for (p = 0; p < t->nparts; p++)
	{
		SkGPart    *gp = &gt_parts(t)[p];
		SkSharePart *sp;
		int64		off;

		if (!DsaPointerIsValid(gp->share))
			continue;
		sp = sk_ptr(gp->share);
		for (off = gp->committed; off < sp->next; off++)
		{
			SkShareEntry *e = share_entry(sp, off);

			if (e->state != ES_DONE && !(e->state == ES_ACQUIRED && e->lock_until > now) &&
				e->deliveries >= g->max_deliveries)
				return true;
		}
	}
	return false;
}

/*
 * Dead-letters, in every share group of this database, the records past
 * max_deliveries whose lock expired (what acquire does when it meets them).
 * Run by a dead-letter worker connected to the database, in a transaction:
 * the main worker cannot open topics.  Returns how many records.
 */
int
sk_group_dead_letter_all(void)
{
	GCtx		c;
	List	   *names = NIL;
	ListCell   *lc;
	int			total = 0;
	int64	   *offs = palloc(sizeof(int64) * SK_SHARE_WINDOW);
	int		   *dels = palloc(sizeof(int) * SK_SHARE_WINDOW);

	gctx_open(&c, true);
	gctx_lock(&c, LW_SHARED);
	{
		int			k;

		for (k = 0; k < c.db->ngroups; k++)
		{
			SkGroup    *g = db_group(c.db, k);

			if (share_has_dead(g, c.now))
				names = lappend(names, pstrdup(g->name));
		}
	}
	gctx_unlock(&c);
	foreach(lc, names)
	{
		char	   *group = (char *) lfirst(lc);
		char		topic[SK_TOPIC_NAME_MAX + 1];
		char		dlq[SK_TOPIC_NAME_MAX + 1];
		SkTopicRef	tr,
					dtr;
		bool		has_dlq;
		SkGroup    *g;
		int			p,
					nparts;

		gctx_lock(&c, LW_SHARED);
		g = find_group(c.db, group, strlen(group));
		if (g == NULL || g->type != GT_SHARE)
		{
			gctx_unlock(&c);
			continue;
		}
		strlcpy(topic, g_topics(g)[0].name, sizeof(topic));
		strlcpy(dlq, g->dlq, sizeof(dlq));
		gctx_unlock(&c);
		if (!sk_topic_open(&tr, topic, true, AccessShareLock))
		{
			/* the topic was dropped: ask again in a minute, not every round */
			gctx_lock(&c, LW_EXCLUSIVE);
			g = find_group(c.db, group, strlen(group));
			if (g)
				g->dead_retry_at = c.now + 60000;
			gctx_unlock(&c);
			continue;
		}
		has_dlq = open_dlq(&dtr, dlq);
		c.now = sk_now_ms();
		gctx_lock(&c, LW_EXCLUSIVE);
		g = find_group(c.db, group, strlen(group));
		nparts = (g && g->type == GT_SHARE) ? g_topics(g)[0].nparts : 0;
		for (p = 0; p < nparts; p++)
		{
			SkGPart    *gp = &gt_parts(&g_topics(g)[0])[p];
			SkSharePart *sp;
			int64		off;
			int			n = 0;

			if (!DsaPointerIsValid(gp->share) || p >= tr.conf.partitions)
				continue;
			sp = sk_ptr(gp->share);
			for (off = gp->committed; off < sp->next && n < SK_SHARE_WINDOW; off++)
			{
				SkShareEntry *e = share_entry(sp, off);

				if (e->state != ES_DONE && !(e->state == ES_ACQUIRED && e->lock_until > c.now) &&
					e->deliveries >= g->max_deliveries)
				{
					offs[n] = off;
					dels[n] = e->deliveries;
					n++;
				}
			}
			if (n > 0)
			{
				dead_letter(&c, g, &tr, has_dlq ? &dtr : NULL, p, offs, dels, n, "max_deliveries");
				g = find_group(c.db, group, strlen(group));
				total += n;
			}
		}
		gctx_unlock(&c);
		if (has_dlq)
			sk_topic_close(&dtr);
		sk_topic_close(&tr);
	}
	gctx_close(&c);
	return total;
}

/* One database's groups in the worker's round (loaded ones only). */
static void
maintain_db(SkSlot *s, void *arg)
{
	SkGroupDb  *db = (SkGroupDb *) s;
	bool		check_dlq = *(bool *) arg;
	RelFileNode rnode = s->key.rnode;
	GCtx		c;
	int			k;
	bool		want_dlq = false;

	{
		if (s->state != SK_SLOT_READY || !gdb_is(db, rnode))
			return;
		if (!sk_store_exists(rnode))
		{
			/* dropped (DROP EXTENSION, DROP DATABASE): forget the copy */
			sk_slot_forget(SK_STORE_GROUPS, rnode);
			return;
		}
		c.rel = CreateFakeRelcacheEntry(rnode);
		c.db = db;
		LWLockAcquire(&db->lock, LW_EXCLUSIVE);
		c.locked = true;
		c.now = sk_now_ms();
		if (db->slot.state == SK_SLOT_READY && gdb_is(db, rnode))
		{
			for (k = db->ngroups - 1; k >= 0; k--)
			{
				SkGroup    *g = db_group(db, k);
				int64		last;
				int			ti,
							p;

				if (g->type != GT_CONSUMER)
					continue;
				expire_members(&c, g);
				if (g->nmembers > 0)
					continue;
				/* offsets retention: from the group emptying or the last commit */
				last = g->empty_since;
				for (ti = 0; ti < g->ntopics; ti++)
					for (p = 0; p < g_topics(g)[ti].nparts; p++)
						last = Max(last, gt_parts(&g_topics(g)[ti])[p].committed_at);
				if (last + (int64) sk_offsets_retention_s * 1000 < c.now)
				{
					char		name[SK_GROUP_NAME_MAX + 1];

					strlcpy(name, g->name, sizeof(name));
					g_log(&c, make_gop(SK_GOP_DELETE, name, NULL, 0, NULL, c.now));
				}
			}
		}
		LWLockRelease(&db->lock);
		FreeFakeRelcacheEntry(c.rel);

		/* share groups with records to dead-letter: a scan of their windows, shared */
		if (check_dlq)
		{
			LWLockAcquire(&db->lock, LW_SHARED);
			if (db->slot.state == SK_SLOT_READY && gdb_is(db, rnode))
				for (k = 0; k < db->ngroups && !want_dlq; k++)
					want_dlq = share_has_dead(db_group(db, k), c.now);
			LWLockRelease(&db->lock);
		}
		if (want_dlq)
			sk_worker_request_dead_letters(rnode.dbNode);
	}
}

/* The worker's round for consumer groups (kinds.c). */
void
sk_group_maintain(MemoryContext roundcxt)
{
	static int64 last_dlq_check = 0;
	int64		now = sk_now_ms();
	bool		check_dlq = now - last_dlq_check >= 1000;	/* once a second */

	if (check_dlq)
		last_dlq_check = now;
	sk_slot_foreach(SK_STORE_GROUPS, maintain_db, &check_dlq);
}

PG_FUNCTION_INFO_V1(sk_group_compact);
Datum
sk_group_compact(PG_FUNCTION_ARGS)
{
	GCtx		c;
	int64		n;

	gctx_open(&c, true);
	gctx_lock(&c, LW_EXCLUSIVE);
	g_compact(&c);
	n = c.db->chain_ops;
	gctx_close(&c);
	PG_RETURN_INT64(n);
}
