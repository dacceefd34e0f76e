/*-------------------------------------------------------------------------
 *
 * group_mem.c
 *	  The in-memory copy of a database's consumer and share groups: its
 *	  structures in the DSA area, the operations' payloads, applying them
 *	  (load, redo, write path), and the groups' slot (slot.h).
 *
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
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_GROUPS		/* what its sk_alloc counts toward (kvmem.h) */

#include "group_int.h"

/* ------------------------------------------------------------------------
 * Memory helpers (never ERROR: redo uses them)
 * ------------------------------------------------------------------------
 */
dsa_pointer
g_alloc0(Size size)
{
	dsa_pointer dp = sk_alloc(size);

	if (DsaPointerIsValid(dp))
		memset(sk_ptr(dp), 0, size);
	return dp;
}

void
g_free(dsa_pointer *dp, Size size)
{
	if (DsaPointerIsValid(*dp))
		sk_free(*dp, size);
	*dp = InvalidDsaPointer;
}

/* Grows an array of elem-sized entries from n to want entries (zeroed). */
bool
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





void
member_free(SkMember *m)
{
	g_free(&m->subs, sizeof(int32) * m->nsubs);
	g_free(&m->assign, sizeof(SkTP) * m->nassign);
	m->nsubs = m->nassign = 0;
}

void
members_free(SkGroup *g)
{
	SkMember   *ms = g_members(g);
	int			i;

	for (i = 0; i < g->nmembers; i++)
		member_free(&ms[i]);
	g_free(&g->members, sizeof(SkMember) * g->nmembers);
	g->nmembers = 0;
}

void
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
void
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

int
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

SkGroup *
find_group(SkGroupDb *db, const char *name, Size len)
{
	int			i = find_group_idx(db, name, len);

	return i < 0 ? NULL : db_group(db, i);
}

SkGroup *
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

void
delete_group_idx(SkGroupDb *db, int i)
{
	dsa_pointer *arr = sk_ptr(db->groups);
	dsa_pointer dp = arr[i];

	group_free(sk_ptr(dp));
	sk_free(dp, sizeof(SkGroup));
	arr[i] = arr[db->ngroups - 1];
	db->ngroups--;
}

int
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
int
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
SkGPart *
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

SkGPart *
get_part(SkGroup *g, int ti, int p)
{
	SkGTopic   *t;

	if (ti < 0 || ti >= g->ntopics)
		return NULL;
	t = &g_topics(g)[ti];
	return p >= 0 && p < t->nparts ? &gt_parts(t)[p] : NULL;
}

int
find_consumer(SkGroup *g, const char *name, Size len)
{
	SkIdName   *cs = g->nconsumers > 0 ? sk_ptr(g->consumers) : NULL;
	int			i;

	for (i = 0; i < g->nconsumers; i++)
		if (strlen(cs[i].name) == len && memcmp(cs[i].name, name, len) == 0)
			return i;
	return -1;
}

int
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

const char *
consumer_name(SkGroup *g, int32 i)
{
	if (i < 0 || i >= g->nconsumers)
		return "";
	return ((SkIdName *) sk_ptr(g->consumers))[i].name;
}

SkSharePart *
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


/*
 * Moves the window's start past done records; an empty window is freed
 * (its start is kept in gp->committed), so idle partitions cost no memory.
 * sp is invalid afterwards.
 */
void
share_advance(SkGPart *gp, SkSharePart *sp)
{
	while (sp->start < sp->next && share_entry(sp, sp->start)->state == ES_DONE)
		sp->start++;
	gp->committed = sp->start;
	if (sp->start == sp->next)
		g_free(&gp->share, sizeof(SkSharePart));
}


int32
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

int64
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
const char *
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

void
wr_i32(StringInfo b, int32 v)
{
	appendBinaryStringInfo(b, (char *) &v, sizeof(v));
}

void
wr_i64(StringInfo b, int64 v)
{
	appendBinaryStringInfo(b, (char *) &v, sizeof(v));
}

void
wr_str(StringInfo b, const char *s, int32 len)
{
	wr_i32(b, len);
	appendBinaryStringInfo(b, s, len);
}


void
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

bool
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
void
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

SkOpHeader *
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
bool
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
bool
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

bool
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


SkGroupDb *
gdb_get(Relation rel)
{
	return (SkGroupDb *) sk_slot_get(SK_STORE_GROUPS, rel->rd_node);
}


/*
 * Heartbeat times are not durable: after a load, or on a promoted standby
 * whose copy redo kept, every member gets a full session timeout from now.
 */
void
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
	int64		now = sk_now_ms();

	if (s->loads == 0)
		db->compactions = 0;
	sk_read_meta(rel, &meta);
	sk_slot_load_ops(rel, &meta.chains[0], g_apply_cb, db, "consumer groups",
					 &db->applied_seq, &db->chain_ops);
	db->snapshot_ops = db->chain_ops;
	touch_members(db, now);
}

/* Locks rel's groups (loading them first when needed). */
SkGroupDb *
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

SkGroupDb *
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
