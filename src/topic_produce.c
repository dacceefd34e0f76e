/*-------------------------------------------------------------------------
 *
 * topic_produce.c
 *	  Producing to topics: record encoding, key -> partition routing
 *	  (Kafka's murmur2 partitioner, sticky partitions for NULL keys),
 *	  produce and produce_agg.
 *
 * Records are appended to the partition's chain, many per WAL record for
 * produce_agg (one per up to 16 pages).  A record becomes visible to
 * consumers at the high watermark (topic_mem.c).
 *
 * Locking: the slot lock shared, then the partition's lock exclusively
 * across the append.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "topic_int.h"
#include "acl.h"

static SkSticky sk_sticky[8];

/* ------------------------------------------------------------------------
 * Produce
 * ------------------------------------------------------------------------
 */

/*
 * A record's encoding (store.h: SkRecHeader, key, value, headers) is written
 * by these two helpers only: put_record() for the fixed part, put_header()
 * for each header.
 */

void
put_header(StringInfo buf, const char *key, int32 kl, const char *value, int32 vl)
{
	appendBinaryStringInfo(buf, (char *) &kl, sizeof(kl));
	appendBinaryStringInfo(buf, (char *) &vl, sizeof(vl));
	appendBinaryStringInfo(buf, key, kl);
	if (vl > 0)
		appendBinaryStringInfo(buf, value, vl);
}

/* Encodes a record (offset filled in at append time). */
char *
encode_record(bytea *key, bytea *value, ArrayType *headers, int64 ts, Size *len)
{
	SkRecHeader h;
	StringInfoData hb;
	char	   *rec,
			   *p;

	memset(&h, 0, sizeof(h));
	h.timestamp = ts;
	h.keylen = key ? (int32) VARSIZE_ANY_EXHDR(key) : -1;
	h.vallen = value ? (int32) VARSIZE_ANY_EXHDR(value) : -1;
	hb.data = NULL;
	hb.len = 0;
	if (headers && ArrayGetNItems(ARR_NDIM(headers), ARR_DIMS(headers)) > 0)
	{
		Datum	   *elems;
		bool	   *enulls;
		int			n,
					i;

		deconstruct_array(headers, ARR_ELEMTYPE(headers), -1, false, TYPALIGN_DOUBLE,
						  &elems, &enulls, &n);
		if (n > PG_UINT16_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a record has at most %d headers", PG_UINT16_MAX)));
		initStringInfo(&hb);
		for (i = 0; i < n; i++)
		{
			HeapTupleHeader th;
			bool		isnull;
			Datum		k,
						v;
			text	   *kt;
			bytea	   *vb = NULL;

			if (enulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("a record header must not be NULL")));
			th = DatumGetHeapTupleHeader(elems[i]);
			k = GetAttributeByNum(th, 1, &isnull);
			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("a record header's key must not be NULL")));
			kt = DatumGetTextPP(k);
			v = GetAttributeByNum(th, 2, &isnull);
			if (!isnull)
				vb = DatumGetByteaPP(v);
			put_header(&hb, VARDATA_ANY(kt), VARSIZE_ANY_EXHDR(kt),
					   vb ? VARDATA_ANY(vb) : NULL, vb ? (int32) VARSIZE_ANY_EXHDR(vb) : -1);
		}
		h.nheaders = n;
		h.hdrlen = hb.len;
	}
	/* one exact allocation */
	*len = sizeof(h) + Max(h.keylen, 0) + Max(h.vallen, 0) + hb.len;
	rec = palloc_extended(*len, MCXT_ALLOC_HUGE);
	p = put_record(rec, &h, key ? VARDATA_ANY(key) : NULL, value ? VARDATA_ANY(value) : NULL);
	if (hb.len > 0)
	{
		memcpy(p, hb.data, hb.len);
		pfree(hb.data);
	}
	return rec;
}

int
route(SkTopicConf *conf, Relation rel, bytea *key, int32 explicit_partition, bool has_partition,
	  Size reclen)
{
	int			i;
	SkSticky   *s = NULL;

	if (has_partition)
	{
		if (explicit_partition < 0 || explicit_partition >= conf->partitions)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("partition %d of topic \"%s\" does not exist", explicit_partition, conf->name),
					 errdetail("The topic has partitions 0 to %d.", conf->partitions - 1)));
		return explicit_partition;
	}
	if (key)
		return sk_kafka_partition(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key), conf->partitions);

	/* NULL key: sticky partition, switched after a batch's worth of bytes */
	for (i = 0; i < (int) lengthof(sk_sticky); i++)
		if (RelFileNodeEquals(sk_sticky[i].rnode, rel->rd_node))
			s = &sk_sticky[i];
	if (!s)
	{
		s = &sk_sticky[random() % lengthof(sk_sticky)];
		s->rnode = rel->rd_node;
		s->partition = -1;
	}
	if (s->partition < 0 || s->partition >= conf->partitions || s->bytes >= SK_STICKY_BATCH_BYTES)
	{
		int			next = random() % conf->partitions;

		if (conf->partitions > 1 && next == s->partition)
			next = (next + 1) % conf->partitions;
		s->partition = next;
		s->bytes = 0;
	}
	s->bytes += reclen;
	return s->partition;
}

void
check_record_size(SkTopicConf *conf, Size len)
{
	if (len > (Size) conf->max_message_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("record is too large for topic \"%s\"", conf->name),
				 errdetail("The record takes %zu bytes; the topic's max_message_bytes is %d.",
						   len, conf->max_message_bytes)));
}

/*
 * Appends n encoded records to one partition (offsets assigned here) and
 * updates memory.  Caller holds nothing; returns the first offset.
 */
int64
append_records(Relation rel, SkTopicSlot **tp, int partition, char **recs, Size *lens, int n)
{
	SkPartition *p;
	SkChainPos	pos;
	BlockNumber *starts = palloc(sizeof(BlockNumber) * n);
	XLogRecPtr	lsn;
	int64		first;
	int			i;

	p = part_lock(tp, rel, partition, LW_EXCLUSIVE);
	first = p->next_offset;
	for (i = 0; i < n; i++)
		((SkRecHeader *) recs[i])->offset = first + i;
	pos.chain = partition;
	pos.detached = false;
	pos.head = pos.tail = InvalidBlockNumber;
	pos.npages = 0;
	PG_TRY();
	{
		lsn = sk_chain_append_ops(rel, &pos, (const char *const *) recs, lens, n,
								  SK_STORE_TOPIC, starts);
	}
	PG_CATCH();
	{
		/* pages may hold part of the batch: rebuild memory from them */
		(*tp)->slot.state = SK_SLOT_BROKEN;
		PG_RE_THROW();
	}
	PG_END_TRY();
	for (i = 0; i < n; i++)
		part_note_record(p, (SkRecHeader *) recs[i], lens[i], starts[i]);
	p->produced += n;
	{
		int64		now = sk_now_ms();

		if (p->win_start == 0)
			p->win_start = now;
		p->win_count += n;
		if (now - p->win_start >= SK_RATE_WINDOW_MS)
		{
			p->last_rate = (double) p->win_count * 1000.0 / (now - p->win_start);
			p->win_start = now;
			p->win_count = 0;
		}
	}
	part_note_lsn(p, lsn, p->next_offset);
	part_unlock(p);
	remember_wake(p);
	ConditionVariableBroadcast(&p->cv);
	ConditionVariableBroadcast(&part_slot(p)->cv);
	pfree(starts);
	return first;
}

PG_FUNCTION_INFO_V1(sk_produce);
Datum
sk_produce(PG_FUNCTION_ARGS)
{
	char	   *name;
	bytea	   *value = PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1);
	bytea	   *key = PG_ARGISNULL(2) ? NULL : PG_GETARG_BYTEA_PP(2);
	ArrayType  *headers = PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3);
	Relation	rel;
	SkTopicConf conf;
	SkTopicSlot *t;
	int64		ts;
	char	   *rec;
	Size		len;
	int			partition;
	int64		offset;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	sk_check_preloaded();
	sk_check_writable();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("topic must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	sk_acl_check(SK_ACL_TOPIC, name, SK_PRIV_PRODUCE);
	rel = open_topic(name, RowExclusiveLock, &conf);
	if (conf.timestamp_type == SK_TS_LOG_APPEND || PG_ARGISNULL(5))
		ts = sk_now_ms();
	else
		ts = ts_ms(PG_GETARG_TIMESTAMPTZ(5));
	rec = encode_record(key, value, headers, ts, &len);
	check_record_size(&conf, len);
	partition = route(&conf, rel, key, PG_ARGISNULL(4) ? 0 : PG_GETARG_INT32(4), !PG_ARGISNULL(4), len);
	t = topic_slot(rel);
	offset = append_records(rel, &t, partition, &rec, &len, 1);
	index_close(rel, NoLock);

	values[0] = Int32GetDatum(partition);
	values[1] = Int64GetDatum(offset);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}




void
agg_flush(SkAggState *st, int partition)
{
	AggPart    *ap = &st->parts[partition];
	int			i;
	int64		now;

	if (ap->n == 0)
		return;
	/* one clock reading per batch: its records are appended together */
	now = sk_now_ms();
	for (i = 0; i < ap->n; i++)
	{
		ap->recs[i] = ap->buf + ap->offs[i];
		((SkRecHeader *) ap->recs[i])->timestamp = now;
	}
	append_records(st->rel, &st->slot, partition, ap->recs, ap->lens, ap->n);

	/*
	 * Have the WAL writer flush this batch now, as for an asynchronous
	 * commit, rather than when it next wakes up (wal_writer_delay): a bulk
	 * produce then writes its WAL to disk while it encodes the next batches
	 * instead of stalling on full WAL buffers, and the flush at commit finds
	 * little left to do.  (Durability still comes from that flush.)  The
	 * end of this backend's last record, not GetXLogInsertRecPtr(): at a
	 * page boundary that points past a page header not yet written, and the
	 * WAL writer PANICs on it ("xlog write request ... is past end of log").
	 */
	XLogSetAsyncXactLSN(XactLastRecEnd);
	st->count += ap->n;
	ap->n = 0;
	ap->used = 0;
}

PG_FUNCTION_INFO_V1(sk_produce_agg_step);
Datum
sk_produce_agg_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SkAggState *st;
	Size		len;
	int			partition;
	bytea	   *key;
	bytea	   *value;
	AggPart    *ap;
	SkRecHeader h;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "produce_agg called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (SkAggState *) PG_GETARG_POINTER(0);
	if (st == NULL)
	{
		char	   *name;

		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("topic must not be NULL")));
		sk_check_preloaded();
		sk_check_writable();
		name = text_to_cstring(PG_GETARG_TEXT_PP(1));
		st = MemoryContextAllocZero(aggcxt, sizeof(SkAggState));
		st->cxt = aggcxt;
		sk_acl_check(SK_ACL_TOPIC, name, SK_PRIV_PRODUCE);
		st->rel = open_topic(name, RowExclusiveLock, &st->conf);
		st->namelen = strlen(st->conf.name);
		st->relid = RelationGetRelid(st->rel);
		st->slot = topic_slot(st->rel);
	}
	else
	{
		text	   *t = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);

		if (t == NULL || VARSIZE_ANY_EXHDR(t) != st->namelen ||
			memcmp(VARDATA_ANY(t), st->conf.name, st->namelen) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("produce_agg writes to one topic per aggregate")));
	}

	key = PG_ARGISNULL(3) ? NULL : PG_GETARG_BYTEA_PP(3);
	value = PG_ARGISNULL(2) ? NULL : PG_GETARG_BYTEA_PP(2);

	/* the record as encode_record() makes it (timestamp set at append) */
	memset(&h, 0, sizeof(h));
	h.keylen = key ? (int32) VARSIZE_ANY_EXHDR(key) : -1;
	h.vallen = value ? (int32) VARSIZE_ANY_EXHDR(value) : -1;
	len = sizeof(h) + Max(h.keylen, 0) + Max(h.vallen, 0);
	check_record_size(&st->conf, len);
	partition = route(&st->conf, st->rel, key, 0, false, len);
	ap = &st->parts[partition];
	if (ap->n == ap->ncap)
	{
		int			ncap = Max(1024, ap->ncap * 2);

		if (ap->offs == NULL)
		{
			ap->offs = MemoryContextAlloc(st->cxt, sizeof(Size) * ncap);
			ap->lens = MemoryContextAlloc(st->cxt, sizeof(Size) * ncap);
			ap->recs = MemoryContextAlloc(st->cxt, sizeof(char *) * ncap);
		}
		else
		{
			ap->offs = repalloc(ap->offs, sizeof(Size) * ncap);
			ap->lens = repalloc(ap->lens, sizeof(Size) * ncap);
			ap->recs = repalloc(ap->recs, sizeof(char *) * ncap);
		}
		ap->ncap = ncap;
	}
	if (ap->used + MAXALIGN(len) > ap->cap)
	{
		/* from 8 kB, doubling: memory follows the data, not the partition count */
		Size		ncap = Max(Max(ap->cap * 2, 8192), ap->used + MAXALIGN(len));

		if (ap->buf == NULL)
			ap->buf = MemoryContextAllocExtended(st->cxt, ncap, MCXT_ALLOC_HUGE);
		else
			ap->buf = repalloc_huge(ap->buf, ncap);
		ap->cap = ncap;
	}
	put_record(ap->buf + ap->used, &h, key ? VARDATA_ANY(key) : NULL, value ? VARDATA_ANY(value) : NULL);
	ap->offs[ap->n] = ap->used;
	ap->lens[ap->n] = len;
	ap->n++;
	ap->used += MAXALIGN(len);
	if (ap->used >= SK_AGG_FLUSH_BYTES)
		agg_flush(st, partition);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(sk_produce_agg_final);
Datum
sk_produce_agg_final(PG_FUNCTION_ARGS)
{
	SkAggState   *st = PG_ARGISNULL(0) ? NULL : (SkAggState *) PG_GETARG_POINTER(0);
	int			i;

	if (st == NULL)
		PG_RETURN_INT64(0);
	for (i = 0; i < st->conf.partitions; i++)
		agg_flush(st, i);
	index_close(st->rel, NoLock);
	PG_RETURN_INT64(st->count);
}
