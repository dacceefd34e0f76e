/*-------------------------------------------------------------------------
 *
 * group_members.c
 *	  Membership SQL functions: join, heartbeat, leave, members.
 *
 * join computes the new assignment at once (no JoinGroup/SyncGroup round
 * trips) and logs it as one MEMBERS operation; heartbeats are not durable.
 *
 * Locking: the groups lock exclusively for join/leave/heartbeat.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "group_int.h"
#include "acl.h"


/* ------------------------------------------------------------------------
 * Membership
 * ------------------------------------------------------------------------
 */
char *
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

bool
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

	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_CONSUME);
	foreach(lc, subs)
		sk_acl_check(SK_ACL_TOPIC, lfirst(lc), SK_PRIV_CONSUME);
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
SkMember *
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

	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_CONSUME);
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

	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_CONSUME);
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

Datum
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
