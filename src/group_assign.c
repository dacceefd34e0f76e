/*-------------------------------------------------------------------------
 *
 * group_assign.c
 *	  Consumer-group membership: a local copy of the members and the
 *	  assignors (range, roundrobin, sticky), then logging the result.
 *
 * The assignors work on a palloc'd copy of the members (LMember) and of
 * the topics' partition counts (LTopic), so they are plain functions of
 * their input; the new membership is logged as one MEMBERS operation.
 *
 * Locking: callers hold the groups lock exclusively.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "group_int.h"
#include "worker_log.h"




LMember *
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


List *
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

LTopic *
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
void
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

int
cmp_member(const void *a, const void *b)
{
	return strcmp(((const LMember *) a)->id, ((const LMember *) b)->id);
}

int
cmp_str(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

bool
subscribes(LMember *m, const char *topic)
{
	ListCell   *lc;

	foreach(lc, m->subs)
		if (strcmp(lfirst(lc), topic) == 0)
			return true;
	return false;
}

void
add_assign(LMember *m, const char *topic, int32 p)
{
	m->assign = repalloc(m->assign, sizeof(LTP) * (m->nassign + 1));
	m->assign[m->nassign].topic = (char *) topic;
	m->assign[m->nassign].partition = p;
	m->nassign++;
}

int
cmp_ltp(const void *a, const void *b)
{
	const LTP  *x = a;
	const LTP  *y = b;
	int			c = strcmp(x->topic, y->topic);

	if (c != 0)
		return c;
	return x->partition < y->partition ? -1 : x->partition > y->partition;
}

int
topic_partitions(List *ltopics, const char *topic)
{
	LTopic	   *lt = ltopic_find(ltopics, topic);

	return lt ? lt->partitions : 0;
}

/*
 * Computes every member's assignment with the group's strategy.  Topics'
 * partition counts come from g (set before by the caller).
 */
void
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
void
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
bool
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
	sk_log_action(SK_LOG_SESSION_TIMEOUT, c->rel->rd_node.dbNode, g->name, n - k);
	log_members(c, pstrdup(g->name), g->strategy, g->generation, g->empty_since,
				ltopics_from_group(g), lm, k, true);
	return true;
}

SkMember *
find_member(SkGroup *g, const char *id)
{
	SkMember   *ms = g_members(g);
	int			i;

	for (i = 0; i < g->nmembers; i++)
		if (strcmp(ms[i].id, id) == 0)
			return &ms[i];
	return NULL;
}

void
unknown_member(SkGroup *g, const char *member)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("member \"%s\" is not in consumer group \"%s\"", member, g->name),
			 errdetail("It left, or its session timed out and the group was rebalanced."),
			 errhint("Join the group again with streamkv.join().")));
}

void
check_generation(SkGroup *g, int32 generation)
{
	if (generation != g->generation)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("generation %d of consumer group \"%s\" is stale", generation, g->name),
				 errdetail("The group is at generation %d.", g->generation),
				 errhint("The group was rebalanced: call streamkv.heartbeat() or streamkv.join() for the new assignment.")));
}


/* (member_id, generation_id, assignment) of a member, as a composite. */
Datum
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
