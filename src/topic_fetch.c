/*-------------------------------------------------------------------------
 *
 * topic_fetch.c
 *	  Fetching from topics: fetch (result tuples built straight from the
 *	  page), blocking fetch, offsets_for_times.
 *
 * fetch finds the first page through the partition's page index, reads
 * records below the high watermark, and sleeps on the partition's
 * condition variable (never holding a lock) when wait_ms asks for it.
 *
 * Locking: the slot lock shared, the partition's lock shared while pages
 * are read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "topic_int.h"
#include "acl.h"

/* ------------------------------------------------------------------------
 * Fetch
 * ------------------------------------------------------------------------
 */

/* Index entry to start reading offset from (caller holds the lock). */
BlockNumber
start_block(SkPartition *p, int64 offset)
{
	SkPageIndex *ix = pidx(p);
	int			lo,
				hi;

	if (ix == NULL || ix->count == ix->start)
		return InvalidBlockNumber;
	lo = ix->start;
	hi = ix->count - 1;
	if (offset < ix->e[lo].first_offset)
		return ix->e[lo].blk;
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (ix->e[mid].first_offset <= offset)
			lo = mid;
		else
			hi = mid - 1;
	}
	return ix->e[lo].blk;
}


Datum
headers_datum(SkHeaderType *ht, const char *p, uint16 n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	if (!OidIsValid(ht->type))
	{
		ht->type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								   CStringGetDatum("header"),
								   ObjectIdGetDatum(get_namespace_oid("streamkv", false)));
		ht->desc = lookup_rowtype_tupdesc_copy(ht->type, -1);
		get_typlenbyvalalign(ht->type, &ht->len, &ht->byval, &ht->align);
	}
	for (i = 0; i < n; i++)
	{
		int32		kl,
					vl;
		Datum		vals[2];
		bool		nulls[2] = {false, false};

		memcpy(&kl, p, sizeof(kl));
		memcpy(&vl, p + sizeof(kl), sizeof(vl));
		p += sizeof(kl) + sizeof(vl);
		vals[0] = PointerGetDatum(cstring_to_text_with_len(p, kl));
		p += kl;
		if (vl < 0)
			nulls[1] = true;
		else
		{
			bytea	   *b = palloc(VARHDRSZ + vl);

			SET_VARSIZE(b, VARHDRSZ + vl);
			memcpy(VARDATA(b), p, vl);
			vals[1] = PointerGetDatum(b);
			p += vl;
		}
		elems[i] = HeapTupleGetDatum(heap_form_tuple(ht->desc, vals, nulls));
	}
	return PointerGetDatum(construct_array(elems, n, ht->type, ht->len, ht->byval, ht->align));
}

Datum
bytes_datum(const char *p, int32 len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), p, len);
	return PointerGetDatum(b);
}

/*
 * Whether the result descriptor is streamkv.record's (topic text, partition
 * int4, offset int8, timestamp timestamptz, key bytea, value bytea, headers),
 * so that fetch_tuple() can build its tuples.
 */
bool
record_desc_is_fast(TupleDesc desc)
{
	static const Oid types[6] = {TEXTOID, INT4OID, INT8OID, TIMESTAMPTZOID, BYTEAOID, BYTEAOID};
	static const int16 lens[6] = {-1, 4, 8, 8, -1, -1};
	static const char aligns[6] = {TYPALIGN_INT, TYPALIGN_INT, TYPALIGN_DOUBLE, TYPALIGN_DOUBLE,
	TYPALIGN_INT, TYPALIGN_INT};
	int			i;

	if (desc->natts != 7 || TupleDescAttr(desc, 6)->attisdropped)
		return false;
	for (i = 0; i < 6; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != types[i] || att->attlen != lens[i] ||
			att->attalign != aligns[i] || att->attbyval != (lens[i] > 0) ||
			(lens[i] < 0 && att->attstorage == TYPSTORAGE_PLAIN))
			return false;
	}
	return true;
}


/* Aligns *off to a multiple of a (a power of two), zeroing the padding. */

/* A varlena as heap_fill_tuple() stores it: short header when it fits. */


void
fetch_tuple(FetchState *fs, const SkRecHeader *h, const char *key, const char *value)
{
	Size		hoff = SK_FETCH_HOFF;
	Size		need = hoff + fs->topiclen + 64 + Max(h->keylen, 0) + Max(h->vallen, 0);
	HeapTupleHeader td;
	HeapTupleData tuple;
	char	   *data;
	Size		off;
	int64		ts;
	bits8		bits = 0x0f;	/* topic, partition, offset, timestamp */

	if (need > fs->tupcap)
	{
		fs->tupcap = Max(need, 1024);
		fs->tup = fs->tup ? repalloc(fs->tup, fs->tupcap) : palloc(fs->tupcap);
	}
	td = (HeapTupleHeader) fs->tup;
	data = fs->tup + hoff;
	if (fs->prefix == 0)
	{
		/* header; topic (text), partition (int4), padding to offset (int8) */
		memset(td, 0, hoff);
		HeapTupleHeaderSetTypeId(td, fs->rsinfo->setDesc->tdtypeid);
		HeapTupleHeaderSetTypMod(td, fs->rsinfo->setDesc->tdtypmod);
		ItemPointerSetInvalid(&td->t_ctid);
		HeapTupleHeaderSetNatts(td, 7);
		td->t_hoff = hoff;
		td->t_infomask = HEAP_HASNULL | HEAP_HASVARWIDTH;
		off = 0;
		tup_varlena(data, &off, VARDATA_ANY(DatumGetPointer(fs->topic_datum)), fs->topiclen);
		tup_align(data, &off, ALIGNOF_INT);
		memcpy(data + off, &fs->partition, sizeof(int32));
		off += sizeof(int32);
		tup_align(data, &off, ALIGNOF_DOUBLE);
		fs->prefix = off;
	}

	/* offset (int8), timestamp (timestamptz), key and value (bytea) */
	off = fs->prefix;
	memcpy(data + off, &h->offset, sizeof(int64));
	off += sizeof(int64);
	ts = DatumGetTimestampTz(ts_datum(h->timestamp));
	memcpy(data + off, &ts, sizeof(int64));
	off += sizeof(int64);
	if (key)
	{
		tup_varlena(data, &off, key, h->keylen);
		bits |= 0x10;
	}
	if (value)
	{
		tup_varlena(data, &off, value, h->vallen);
		bits |= 0x20;
	}
	/* headers: NULL */
	HeapTupleHeaderSetDatumLength(td, hoff + off);
	td->t_bits[0] = bits;

	tuple.t_len = hoff + off;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = td;

#ifdef USE_ASSERT_CHECKING
	{
		Datum		values[7];
		bool		nulls[7] = {0};
		HeapTuple	ref;

		values[0] = fs->topic_datum;
		values[1] = Int32GetDatum(fs->partition);
		values[2] = Int64GetDatum(h->offset);
		values[3] = ts_datum(h->timestamp);
		nulls[4] = key == NULL;
		values[4] = key ? bytes_datum(key, h->keylen) : (Datum) 0;
		nulls[5] = value == NULL;
		values[5] = value ? bytes_datum(value, h->vallen) : (Datum) 0;
		nulls[6] = true;
		ref = heap_form_tuple(fs->rsinfo->setDesc, values, nulls);
		/*
		 * What a minimal tuple's reader uses: attribute count, the
		 * HASNULL/HASVARWIDTH/HASEXTERNAL bits, t_hoff, bitmap and data.
		 */
		Assert(ref->t_len == tuple.t_len);
		Assert(HeapTupleHeaderGetNatts(ref->t_data) == HeapTupleHeaderGetNatts(td));
		Assert((ref->t_data->t_infomask & HEAP_INFOMASK_ATTRS) ==
			   (td->t_infomask & HEAP_INFOMASK_ATTRS));
		Assert(memcmp((char *) ref->t_data + offsetof(HeapTupleHeaderData, t_hoff),
					  (char *) td + offsetof(HeapTupleHeaderData, t_hoff),
					  tuple.t_len - offsetof(HeapTupleHeaderData, t_hoff)) == 0);
		heap_freetuple(ref);
	}
#endif

	tuplestore_puttuple(fs->rsinfo->setResult, &tuple);
}

/* The view of a stored record (h: its header, copied out of data). */
void
rec_view(const SkRecHeader *h, const char *data, SkRecordView *v)
{
	const char *p = data + sizeof(SkRecHeader);

	v->offset = h->offset;
	v->timestamp = h->timestamp;
	v->keylen = h->keylen;
	v->key = h->keylen >= 0 ? p : NULL;
	p += Max(h->keylen, 0);
	v->vallen = h->vallen;
	v->value = h->vallen >= 0 ? p : NULL;
	p += Max(h->vallen, 0);
	v->nheaders = h->nheaders;
	v->hdrlen = h->hdrlen;
	v->headers = p;
}

bool
fetch_rec(const char *data, Size len, BlockNumber start_blk, void *arg)
{
	FetchState *fs = (FetchState *) arg;
	SkRecHeader h;
	SkRecordView v;
	Datum		values[7];
	bool		nulls[7];

	if (len < sizeof(SkRecHeader))
		return true;
	memcpy(&h, data, sizeof(h));
	if (h.offset < fs->from)
		return true;
	if (h.offset >= fs->until || fs->nrecs >= fs->max_records ||
		(fs->nrecs > 0 && fs->nbytes + (int64) len > fs->max_bytes))
		return false;
	rec_view(&h, data, &v);
	if (fs->fast && h.nheaders == 0)
	{
		fetch_tuple(fs, &h, v.key, v.value);
		fs->nrecs++;
		fs->nbytes += len;
		return true;
	}
	sk_topic_record_datums(&v, fs->topic_datum, fs->partition, values, nulls, &fs->ht);
	tuplestore_putvalues(fs->rsinfo->setResult, fs->rsinfo->setDesc, values, nulls);
	fs->nrecs++;
	fs->nbytes += len;
	return true;
}


static MemoryContext fetch_cxt = NULL;
static int	fetch_live = 0;

void
fetch_query_done(void *arg)
{
	fetch_live--;
	if (fetch_live == 0 && fetch_cxt != NULL &&
		MemoryContextMemAllocated(fetch_cxt, false) > SK_FETCH_CXT_KEEP)
		MemoryContextReset(fetch_cxt);
}

/* InitMaterializedSRF(fcinfo, 0), with the tuplestore in fetch_cxt. */
void
fetch_init_result(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext per_query;
	MemoryContext old;
	MemoryContextCallback *cb;
	TupleDesc	tupdesc;
	Tuplestorestate *ts;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (fetch_cxt == NULL)
		fetch_cxt = AllocSetContextCreate(TopMemoryContext, "streamkv fetch results",
										  ALLOCSET_DEFAULT_SIZES);
	per_query = rsinfo->econtext->ecxt_per_query_memory;
	old = MemoryContextSwitchTo(per_query);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = fetch_query_done;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(per_query, cb);
	fetch_live++;
	MemoryContextSwitchTo(fetch_cxt);
	ts = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
							   false, work_mem);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = tupdesc;
}

void
out_of_range(const char *topic, int partition, int64 offset, int64 log_start, int64 hwm)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("offset " INT64_FORMAT " is out of range for partition %d of topic \"%s\"",
					offset, partition, topic),
			 errdetail("The log start offset is " INT64_FORMAT " and the high watermark is " INT64_FORMAT ".",
					   log_start, hwm),
			 errhint("Kafka reports this as OFFSET_OUT_OF_RANGE; reset the consumer's offset.")));
}

PG_FUNCTION_INFO_V1(sk_fetch);
Datum
sk_fetch(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		partition = PG_GETARG_INT32(1);
	int64		offset = PG_GETARG_INT64(2);
	int32		max_records = PG_GETARG_INT32(3);
	int32		max_bytes = PG_GETARG_INT32(4);
	int32		wait_ms = PG_GETARG_INT32(5);
	Relation	rel;
	SkTopicConf conf;
	SkTopicSlot *t;
	SkPartition *p;
	FetchState	fs;
	int64		hwm,
				log_start;
	BlockNumber blk;
	instr_time	start,
				now;
	bool		flushed = false;

	sk_check_preloaded();
	if (max_records < 1 || max_bytes < 1 || wait_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_records and max_bytes must be positive and wait_ms not negative")));
	sk_acl_check(SK_ACL_TOPIC, name, SK_PRIV_CONSUME);
	rel = open_topic(name, AccessShareLock, &conf);
	if (partition < 0 || partition >= conf.partitions)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partition %d of topic \"%s\" does not exist", partition, name),
				 errdetail("The topic has partitions 0 to %d.", conf.partitions - 1)));
	t = topic_slot(rel);

	INSTR_TIME_SET_CURRENT(start);
	for (;;)
	{
		p = part_lock(&t, rel, partition, LW_EXCLUSIVE);
		hwm = part_hwm(p);
		log_start = p->log_start;
		if (offset < log_start || offset > hwm)
		{
			part_unlock(p);
			out_of_range(name, partition, offset, log_start, hwm);
		}
		if (offset < hwm)
			break;

		/*
		 * Records exist past the high watermark but their WAL is not flushed
		 * yet (asynchronous producers): flush it rather than wait for the
		 * WAL writer, once per wake-up.
		 */
		if (!flushed)
		{
			XLogRecPtr	need = part_pending_lsn(p, hwm);

			if (!XLogRecPtrIsInvalid(need))
			{
				part_unlock(p);
				XLogFlush(need);
				flushed = true;
				continue;
			}
		}
		if (wait_ms == 0)
			break;
		part_unlock(p);

		/* wait for a record: woken by producers, their commits and redo */
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		if (INSTR_TIME_GET_MILLISEC(now) >= wait_ms)
		{
			p = part_lock(&t, rel, partition, LW_EXCLUSIVE);
			break;
		}
		ConditionVariablePrepareToSleep(&p->cv);
		p = part_lock(&t, rel, partition, LW_EXCLUSIVE);
		hwm = part_hwm(p);
		part_unlock(p);
		if (offset >= hwm)
		{
			/* short sleeps: an asynchronous WAL flush sends no wake-up */
			(void) ConditionVariableTimedSleep(&p->cv, 10, PG_WAIT_EXTENSION);
		}
		ConditionVariableCancelSleep();
		flushed = false;
		CHECK_FOR_INTERRUPTS();
	}

	/* read under a shared lock (producers wait less) */
	part_unlock(p);
	/* the result, now that the range checks and the wait are behind us */
	fetch_init_result(fcinfo);
	p = part_lock(&t, rel, partition, LW_SHARED);
	if (offset < p->log_start)
	{
		log_start = p->log_start;
		part_unlock(p);
		out_of_range(name, partition, offset, log_start, hwm);
	}
	memset(&fs, 0, sizeof(fs));
	fs.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	fs.topic_datum = CStringGetTextDatum(conf.name);
	fs.partition = partition;
	fs.from = offset;
	fs.until = hwm;
	fs.max_records = max_records;
	fs.max_bytes = max_bytes;
	fs.topiclen = strlen(conf.name);
	fs.fast = record_desc_is_fast(fs.rsinfo->setDesc);
	blk = offset < hwm ? start_block(p, offset) : InvalidBlockNumber;
	/* an error releases the LWLocks at abort */
	if (BlockNumberIsValid(blk))
		sk_chain_walk(rel, blk, InvalidBlockNumber, fetch_rec, &fs, true);
	part_unlock(p);
	index_close(rel, NoLock);
	return (Datum) 0;
}

/*
 * The first offset below hwm whose timestamp is at or after target, or -1
 * (caller holds the partition lock).  The first page whose largest
 * timestamp reaches the target holds the answer, or it is the first record
 * of a later page.
 */
int64
part_offset_for_time(Relation rel, SkPartition *p, int64 hwm, int64 target)
{
	SkPageIndex *ix = pidx(p);
	uint32		e;

	for (e = ix ? ix->start : 0; ix && e < ix->count; e++)
	{
		SkPageIdx  *pe = &ix->e[e];
		Buffer		buf;
		Page		page;
		OffsetNumber off;
		int64		found = -1;
		bool		past = false;

		if (pe->max_ts < target || pe->first_offset >= hwm)
			continue;
		buf = ReadBuffer(rel, pe->blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		for (off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
		{
			ItemId		iid = PageGetItemId(page, off);
			char	   *item = PageGetItem(page, iid);
			SkFragHeader fh;
			SkRecHeader h;

			memcpy(&fh, item, sizeof(fh));
			if (!(fh.flags & SK_FRAG_FIRST))
				continue;
			memcpy(&h, item + sizeof(fh), sizeof(h));
			if (h.offset >= hwm)
			{
				past = true;
				break;
			}
			if (h.timestamp >= target)
			{
				found = h.offset;
				break;
			}
		}
		UnlockReleaseBuffer(buf);
		if (found >= 0 || past)
			return found;
	}
	return -1;
}

PG_FUNCTION_INFO_V1(sk_offsets_for_times);
Datum
sk_offsets_for_times(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		target = ts_ms(PG_GETARG_TIMESTAMPTZ(1));
	Relation	rel;
	SkTopicConf conf;
	SkTopicSlot *t;
	int			i;

	sk_check_preloaded();
	sk_acl_check(SK_ACL_TOPIC, name, SK_PRIV_CONSUME);
	rel = open_topic(name, AccessShareLock, &conf);
	t = topic_slot(rel);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < conf.partitions; i++)
	{
		SkPartition *p = part_lock(&t, rel, i, LW_EXCLUSIVE);
		Datum		values[2];
		bool		nulls[2] = {false, false};
		int64		off = part_offset_for_time(rel, p, part_hwm(p), target);

		part_unlock(p);
		values[0] = Int32GetDatum(i);
		values[1] = Int64GetDatum(off);
		nulls[1] = off < 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	index_close(rel, NoLock);
	return (Datum) 0;
}
