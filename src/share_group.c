/*-------------------------------------------------------------------------
 *
 * share_group.c
 *	  Share groups: create, acquire (with acknowledgements), ack, release,
 *	  reject, and dead letters.
 *
 * Per partition a window of at most SK_SHARE_WINDOW offsets tracks each
 * record's state (available, acquired with a lock deadline and a delivery
 * count, done), Kafka's share-partition design.  Every change is an
 * ACQUIRE/ACK/RELEASE/ARCHIVE/SKIP operation whose offsets are logged as
 * runs when that is shorter.  A record delivered max_deliveries times is
 * produced to the dead-letter topic and archived.
 *
 * Locking: topics are opened before the groups lock; the groups lock
 * (exclusive) then the topics' partition locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "group_int.h"
#include "acl.h"


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
	sk_acl_check(SK_ACL_DATABASE, "", SK_PRIV_CREATE);
	sk_acl_check(SK_ACL_TOPIC, topic, SK_PRIV_CONSUME);
	if (dlq)
		sk_acl_check(SK_ACL_TOPIC, dlq, SK_PRIV_PRODUCE);
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
	sk_acl_grant_creator(SK_ACL_GROUP, group);
	PG_RETURN_VOID();
}

/* Logs an operation on offsets of a share partition. */
void
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


char *
copy_bytes(const char *p, Size len)
{
	char	   *c = palloc(Max(len, 1));

	memcpy(c, p, len);
	return c;
}

bool
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
void
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
void
share_names(GCtx *c, const char *group, char *topic, char *dlq)
{
	SkGroup    *g;

	gctx_lock(c, LW_SHARED);
	g = must_group(c, group, GT_SHARE);
	strlcpy(topic, g_topics(g)[0].name, SK_TOPIC_NAME_MAX + 1);
	strlcpy(dlq, g->dlq, SK_TOPIC_NAME_MAX + 1);
	gctx_unlock(c);
}

bool
open_dlq(SkTopicRef *dtr, const char *dlq)
{
	return dlq[0] != '\0' && sk_topic_open(dtr, dlq, true, AccessShareLock);
}


/*
 * Sorts out which of the offsets (ascending, duplicates allowed) the consumer
 * holds in a share partition: those to acknowledge or release go to held[],
 * those to dead-letter (rejected, or released past max_deliveries) to dead[]
 * with their delivery counts.  Offsets the consumer does not hold are ignored,
 * like XACK's.  Returns how many it holds.  Caller holds the groups lock.
 */
int
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


int
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
AckPair *
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
SkGroup *
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


int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

/*
 * acquire(group, consumer, max_records, wait_ms, ack_partitions,
 * ack_offsets): Kafka's ShareFetch.  About 220 lines on purpose: the
 * acknowledgements, the round over partitions and the wait share one
 * groups-lock discipline (never held while sleeping, retaken after), which
 * is easier to check in one place.
 */
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
	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_CONSUME);
	gctx_open(&c, true);
	InitMaterializedSRF(fcinfo, 0);
	share_names(&c, group, topic, dlq);
	sk_acl_check(SK_ACL_TOPIC, topic, SK_PRIV_CONSUME);
	sk_topic_open(&tr, topic, false, AccessShareLock);
	acks = ack_pairs(PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4),
					 PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5),
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

Datum
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
	sk_acl_check(SK_ACL_GROUP, group, SK_PRIV_CONSUME);
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
