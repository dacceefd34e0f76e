/*-------------------------------------------------------------------------
 *
 * group_offsets.c
 *	  Committed offsets: commit, committed, lag, reset_offsets, delete and
 *	  list of groups.
 *
 * A commit is one COMMIT operation (partition, offset, metadata), fenced by
 * the member's generation for consumer groups with members.
 *
 * Locking: the groups lock, exclusively to change, shared to read; a
 * topic's partition locks after it (lag reads the high watermark).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "group_int.h"
#include "acl.h"


/* ------------------------------------------------------------------------
 * Committed offsets
 * ------------------------------------------------------------------------
 */
void
null_arg(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be NULL", what)));
}

/* Logs a COMMIT of one partition's offset. */
void
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
	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_CONSUME);
	sk_acl_check(SK_ACL_TOPIC, topic, SK_PRIV_CONSUME);
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
bool
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


/* qsort comparator of structs whose first member is their char * name */
int
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
	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_ADMIN);
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

	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_ADMIN);
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



Datum
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
