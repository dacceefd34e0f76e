/*-------------------------------------------------------------------------
 *
 * group_poll.c
 *	  Reading records for poll and acquire, and poll itself.
 *
 * poll reads the member's assigned partitions from its fetch positions
 * (memory only, back to the committed offsets after a restart) and waits
 * on the topics' condition variables when nothing is there.
 *
 * Locking: the groups lock, then the topics' partition locks; neither is
 * held while sleeping.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "group_int.h"
#include "acl.h"




bool
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
bool
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
bool
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
	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_CONSUME);
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
