/*-------------------------------------------------------------------------
 *
 * topic_api.c
 *	  The C interface of topics for consumer and share groups
 *	  (topic.h): open, bounds, read, wait, produce a copy (dead letters).
 *
 * Locking: each function takes and releases the partition's locks
 * itself; callers may hold the groups lock (taken before topic locks).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "topic_int.h"

/* ------------------------------------------------------------------------
 * Interface for consumer groups (group.c)
 * ------------------------------------------------------------------------
 */
Datum
sk_ms_to_timestamptz(int64 ms)
{
	return ts_datum(ms);
}

int64
sk_timestamptz_to_ms(TimestampTz ts)
{
	return ts_ms(ts);
}

/* Opens a topic: false when it does not exist and missing_ok. */
bool
sk_topic_open(SkTopicRef *tr, const char *name, bool missing_ok, LOCKMODE lockmode)
{
	tr->rel = open_topic_ext(name, lockmode, &tr->conf, missing_ok);
	if (tr->rel == NULL)
		return false;
	tr->slot = topic_slot(tr->rel);
	return true;
}

void
sk_topic_close(SkTopicRef *tr)
{
	index_close(tr->rel, NoLock);
}

/* A partition's log start offset and high watermark. */
void
sk_topic_bounds(SkTopicRef *tr, int partition, int64 *log_start, int64 *hwm)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	SkPartition *p = part_lock(&t, tr->rel, partition, LW_EXCLUSIVE);

	*hwm = part_hwm(p);
	*log_start = p->log_start;
	part_unlock(p);
	tr->slot = t;
}

/* The first offset whose timestamp is at or after ts_ms, or -1. */
int64
sk_topic_offset_for_time(SkTopicRef *tr, int partition, int64 ts_ms)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	SkPartition *p = part_lock(&t, tr->rel, partition, LW_EXCLUSIVE);
	int64		off = part_offset_for_time(tr->rel, p, part_hwm(p), ts_ms);

	part_unlock(p);
	tr->slot = t;
	return off;
}

/*
 * Flushes WAL that holds records past the partition's high watermark
 * (asynchronous producers), as a consumer at the end of a partition does;
 * returns whether there was any.
 */
bool
sk_topic_flush_pending(SkTopicRef *tr, int partition)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	SkPartition *p = part_lock(&t, tr->rel, partition, LW_EXCLUSIVE);
	XLogRecPtr	need = part_pending_lsn(p, part_hwm(p));

	part_unlock(p);
	tr->slot = t;
	if (need == InvalidXLogRecPtr)
		return false;
	XLogFlush(need);
	return true;
}

/* Sleeps until a partition of the topic may have grown, at most ms. */
void
sk_topic_wait(SkTopicRef *tr, long ms)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;

	(void) ConditionVariableTimedSleep(&t->cv, ms, PG_WAIT_EXTENSION);
	ConditionVariableCancelSleep();
}

void
sk_topic_prepare_wait(SkTopicRef *tr)
{
	ConditionVariablePrepareToSleep(&((SkTopicSlot *) tr->slot)->cv);
}


bool
read_rec(const char *data, Size len, BlockNumber start_blk, void *arg)
{
	ReadState  *rs = (ReadState *) arg;
	SkRecHeader h;
	SkRecordView v;

	if (len < sizeof(SkRecHeader))
		return true;
	memcpy(&h, data, sizeof(h));
	if (h.offset < rs->from)
		return true;
	if (h.offset >= rs->until || rs->n >= rs->max)
		return false;
	rec_view(&h, data, &v);
	rs->n++;
	return rs->cb(&v, rs->arg);
}

/*
 * Calls cb for the records of a partition with offsets in [from, until)
 * (until at most the high watermark), at most max of them, in offset order.
 * The view points into a locked page: cb must copy what it keeps.  Returns
 * how many records cb saw.
 */
int
sk_topic_read(SkTopicRef *tr, int partition, int64 from, int64 until, int max,
			  sk_record_cb cb, void *arg)
{
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	SkPartition *p = part_lock(&t, tr->rel, partition, LW_SHARED);
	ReadState	rs;
	BlockNumber blk;

	rs.from = Max(from, p->log_start);
	rs.until = Min(until, p->durable_offset);
	if (RecoveryInProgress())
		rs.until = Min(until, p->next_offset);
	rs.max = max;
	rs.n = 0;
	rs.cb = cb;
	rs.arg = arg;
	blk = rs.from < rs.until ? start_block(p, rs.from) : InvalidBlockNumber;
	if (BlockNumberIsValid(blk))
		sk_chain_walk(tr->rel, blk, InvalidBlockNumber, read_rec, &rs, true);
	part_unlock(p);
	tr->slot = t;
	return rs.n;
}

/* Datums of a record view: topic name datum given; values[0..6]. */
void
sk_topic_record_datums(const SkRecordView *v, Datum topic, int partition,
					   Datum *values, bool *nulls, SkHeaderType *ht)
{
	values[0] = topic;
	nulls[0] = false;
	values[1] = Int32GetDatum(partition);
	nulls[1] = false;
	values[2] = Int64GetDatum(v->offset);
	nulls[2] = false;
	values[3] = ts_datum(v->timestamp);
	nulls[3] = false;
	nulls[4] = v->key == NULL;
	if (v->key)
		values[4] = bytes_datum(v->key, v->keylen);
	nulls[5] = v->value == NULL;
	if (v->value)
		values[5] = bytes_datum(v->value, v->vallen);
	nulls[6] = v->nheaders == 0;
	if (v->nheaders > 0)
		values[6] = headers_datum(ht, v->headers, v->nheaders);
}

/*
 * Appends a copy of a record (key, value, timestamp, headers) with extra
 * encoded headers after its own, routed by its key (sticky when NULL), as
 * the dead-letter path needs.  Returns the partition; *offset is set.
 */
int
sk_topic_produce_copy(SkTopicRef *tr, const SkRecordView *v, const char *extra,
					  uint32 extralen, uint16 nextra, int64 *offset)
{
	SkRecHeader h;
	char	   *rec;
	Size		len;
	char	   *p;
	bytea	   *key = NULL;
	int			partition;
	SkTopicSlot *t = (SkTopicSlot *) tr->slot;
	int			nkeep = v->nheaders;
	uint32		keeplen = v->hdrlen;

	if (nkeep + nextra > PG_UINT16_MAX)
	{
		/*
		 * A record has at most 65535 headers: keep the first original ones
		 * that fit beside the extra ones (a record that already had almost
		 * that many loses its last few).
		 */
		const char *q = v->headers;
		int			i;

		nkeep = PG_UINT16_MAX - nextra;
		for (i = 0; i < nkeep; i++)
		{
			int32		kl,
						vl;

			memcpy(&kl, q, sizeof(kl));
			memcpy(&vl, q + sizeof(kl), sizeof(vl));
			q += sizeof(kl) + sizeof(vl) + kl + Max(vl, 0);
		}
		keeplen = q - v->headers;
	}
	memset(&h, 0, sizeof(h));
	h.timestamp = tr->conf.timestamp_type == SK_TS_LOG_APPEND ? sk_now_ms() : v->timestamp;
	h.keylen = v->keylen;
	h.vallen = v->vallen;
	h.nheaders = nkeep + nextra;
	h.hdrlen = keeplen + extralen;
	len = sizeof(h) + Max(v->keylen, 0) + Max(v->vallen, 0) + keeplen + extralen;
	rec = palloc_extended(len, MCXT_ALLOC_HUGE);
	p = put_record(rec, &h, v->key, v->value);
	if (keeplen > 0)
		memcpy(p, v->headers, keeplen);
	p += keeplen;
	if (extralen > 0)
		memcpy(p, extra, extralen);
	if (v->key)
	{
		key = palloc(VARHDRSZ + v->keylen);
		SET_VARSIZE(key, VARHDRSZ + v->keylen);
		memcpy(VARDATA(key), v->key, v->keylen);
	}
	partition = route(&tr->conf, tr->rel, key, 0, false, len);
	*offset = append_records(tr->rel, &t, partition, &rec, &len, 1);
	tr->slot = t;
	return partition;
}

/* Encodes one header (as encode_record does) onto buf. */
void
sk_topic_encode_header(StringInfo buf, const char *key, const char *value, int32 vlen)
{
	put_header(buf, key, strlen(key), value, vlen);
}
