/*-------------------------------------------------------------------------
 *
 * dump.c
 *	  The table access method of streamkv.dump_rows (dump.h): a scan
 *	  returns the database's streamkv data as rows, an insert applies one.
 *
 * The access method starts from heap's routine (so storage, truncation,
 * vacuum and size of the always-empty relation behave as for a heap) and
 * replaces scanning and inserting; everything that would read tuples by
 * position (TID, sample, bitmap, index builds, CLUSTER, ANALYZE sampling)
 * is refused or sees nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "dump.h"
#include "group.h"
#include "group_int.h"
#include "keyspace_int.h"
#include "kvmem.h"
#include "topic.h"

PG_FUNCTION_INFO_V1(streamkv_dump_am_handler);

/* columns of streamkv.dump_rows */
enum
{
	COL_KIND, COL_NAME, COL_PART, COL_POS, COL_TS, COL_KEY, COL_VALUE, COL_DATA, NCOLS
};

typedef struct DumpScanDesc
{
	TableScanDescData base;
	Tuplestorestate *rows;		/* filled on the first fetch */
	TupleDesc	tupdesc;
	MemoryContext cxt;
	bool		filled;
} DumpScanDesc;

static TableAmRoutine dump_am;
static bool dump_am_ready = false;

/* ------------------------------------------------------------------------
 * Reading: the rows
 * ------------------------------------------------------------------------
 */
static Datum
bytes_datum(const char *p, Size len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	if (len > 0)
		memcpy(VARDATA(b), p, len);
	return PointerGetDatum(b);
}

static void
put_row(void *arg, const SkDumpRow *r)
{
	DumpScanDesc *ds = (DumpScanDesc *) arg;
	Datum		values[NCOLS];
	bool		nulls[NCOLS];
	MemoryContext old = MemoryContextSwitchTo(ds->cxt);

	memset(nulls, true, sizeof(nulls));
	values[COL_KIND] = CStringGetTextDatum(r->kind);
	nulls[COL_KIND] = false;
	if (r->name)
	{
		values[COL_NAME] = CStringGetTextDatum(r->name);
		nulls[COL_NAME] = false;
	}
	if (r->has_part)
	{
		values[COL_PART] = Int32GetDatum(r->part);
		nulls[COL_PART] = false;
	}
	if (r->has_pos)
	{
		values[COL_POS] = Int64GetDatum(r->pos);
		nulls[COL_POS] = false;
	}
	if (r->has_ts)
	{
		values[COL_TS] = sk_ms_to_timestamptz(r->ts_ms);
		nulls[COL_TS] = false;
	}
	if (r->key)
	{
		values[COL_KEY] = bytes_datum(r->key, r->keylen);
		nulls[COL_KEY] = false;
	}
	if (r->value)
	{
		values[COL_VALUE] = bytes_datum(r->value, r->vallen);
		nulls[COL_VALUE] = false;
	}
	if (r->data)
	{
		values[COL_DATA] = bytes_datum(r->data, r->datalen);
		nulls[COL_DATA] = false;
	}
	tuplestore_putvalues(ds->rows, ds->tupdesc, values, nulls);
	MemoryContextSwitchTo(old);
}

/* an operation as a key_op or group_op row */
static void
op_row(void *arg, const char *kind, const SkOpHeader *op, bool name_is_key)
{
	SkDumpRow	r;
	char	   *name = NULL;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.has_part = true;
	r.part = op->kind;
	r.has_pos = true;
	r.pos = op->expire_at;
	if (name_is_key)
		name = pnstrdup(SkOpKey(op), op->keylen);
	else
	{
		r.key = SkOpKey(op);
		r.keylen = op->keylen;
	}
	r.name = name;
	r.data = op->fieldlen > 0 ? SkOpField(op) : NULL;
	r.datalen = op->fieldlen;
	r.value = op->vallen > 0 ? SkOpValue(op) : NULL;
	r.vallen = op->vallen;
	put_row(arg, &r);
	if (name)
		pfree(name);
}

typedef struct KeyDumpArg
{
	DumpScanDesc *ds;
	int64		now;
} KeyDumpArg;

static void
key_emit(void *arg, uint8 opkind, const SkKey *k, const char *field, Size flen,
		 const char *val, Size vlen, int64 expire_at)
{
	KeyDumpArg *ka = (KeyDumpArg *) arg;
	SkOpHeader *op = make_op(opkind, k->data, k->keylen, field, flen, val, vlen, expire_at);

	op_row(ka->ds, "key_op", op, false);
	pfree(op);
}

static bool
key_visit(SkKey *k, void *arg)
{
	KeyDumpArg *ka = (KeyDumpArg *) arg;
	const SkValueType *vt;

	if (!key_live(k, ka->now))
		return true;
	vt = sk_value_type(k->type);
	if (vt)
		vt->snapshot(k, key_emit, arg);
	return true;
}

/* One shard's keys, under its lock (released on error too). */
static void
dump_shard(SkCtx *c, int s, KeyDumpArg *ka)
{
	SkShard    *sh = ctx_lock(c, s, LW_SHARED);
	bool		wrapped;

	PG_TRY();
	{
		if (DsaPointerIsValid(sh->table))
			(void) sk_table_scan(sh->table, 0, PG_UINT32_MAX, key_visit, ka, &wrapped);
	}
	PG_FINALLY();
	{
		LWLockRelease(&sh->lock);
	}
	PG_END_TRY();
}

static void
dump_keyspace(DumpScanDesc *ds)
{
	SkCtx		c;
	KeyDumpArg	ka;
	int			s;

	ctx_open_unchecked(&c, false);
	ka.ds = ds;
	ka.now = c.now;
	for (s = 0; s < SK_NSHARDS; s++)
	{
		dump_shard(&c, s, &ka);
		CHECK_FOR_INTERRUPTS();
	}
	ctx_close(&c);
}

static void
group_emit(void *arg, SkOpHeader *op)
{
	/* members are sessions: a restored group has none */
	if (op->kind == SK_GOP_MEMBERS)
		return;
	op_row(arg, "group_op", op, true);
}

static void
dump_groups(DumpScanDesc *ds)
{
	GCtx		c;
	GCompact	gc;
	int			i;

	gctx_open(&c, false);
	gctx_lock(&c, LW_SHARED);
	memset(&gc, 0, sizeof(gc));
	gc.emit = group_emit;
	gc.emit_arg = ds;
	PG_TRY();
	{
		for (i = 0; i < c.db->ngroups; i++)
			compact_group(&gc, db_group(c.db, i));
	}
	PG_FINALLY();
	{
		gctx_close(&c);
	}
	PG_END_TRY();
}

static void
fill_rows(DumpScanDesc *ds)
{
	SkDumpRow	r;

	memset(&r, 0, sizeof(r));
	r.kind = "format";
	r.name = "streamkv";
	r.has_pos = true;
	r.pos = SK_DUMP_FORMAT;
	put_row(ds, &r);
	sk_topic_dump(put_row, ds);
	dump_keyspace(ds);
	dump_groups(ds);
	ds->filled = true;
}

/* ------------------------------------------------------------------------
 * Writing: a restore
 * ------------------------------------------------------------------------
 */
static void
bad_row(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid row for streamkv.dump_rows: %s", why),
			 errhint("Rows of streamkv.dump_rows come from pg_dump of a database with streamkv.")));
}

static void
need(bool *isnull, int col, const char *what)
{
	if (isnull[col])
		bad_row(what);
}

static const char *
bytes_of(Datum d, Size *len)
{
	bytea	   *b = DatumGetByteaPP(d);

	*len = VARSIZE_ANY_EXHDR(b);
	return VARDATA_ANY(b);
}

static void
restore_key_op(Datum *v, bool *isnull)
{
	const char *key,
			   *field = NULL,
			   *val = NULL;
	Size		klen,
				flen = 0,
				vlen = 0;
	int32		kind;
	SkOpHeader *op;
	KeyLock		kl;

	need(isnull, COL_PART, "key_op without an operation kind");
	need(isnull, COL_KEY, "key_op without a key");
	kind = DatumGetInt32(v[COL_PART]);
	if (kind < 0 || kind > PG_UINT8_MAX ||
		(sk_value_type_of_op((uint8) kind) == NULL && kind != SK_OP_EXPIRE))
		bad_row("unknown keyspace operation");
	key = bytes_of(v[COL_KEY], &klen);
	if (!isnull[COL_DATA])
		field = bytes_of(v[COL_DATA], &flen);
	if (!isnull[COL_VALUE])
		val = bytes_of(v[COL_VALUE], &vlen);
	op = make_op((uint8) kind, key, klen, field, flen, val, vlen,
				 isnull[COL_POS] ? 0 : DatumGetInt64(v[COL_POS]));
	(void) key_begin_bytes(SkOpKey(op), op->keylen, true, &kl);
	log_op(&kl.c, kl.shard, op);
	key_end(&kl);
	pfree(op);
}

static void
restore_group_op(Datum *v, bool *isnull)
{
	const char *field = NULL;
	Size		flen = 0;
	StringInfoData payload;
	int32		kind;
	char	   *group;
	GCtx		c;
	SkOpHeader *op;

	need(isnull, COL_NAME, "group_op without a group");
	need(isnull, COL_PART, "group_op without an operation kind");
	kind = DatumGetInt32(v[COL_PART]);
	if (kind < SK_GOP_CREATE_SHARE || kind > SK_GOP_CONSUMERS || kind == SK_GOP_MEMBERS)
		bad_row("unknown group operation");
	group = TextDatumGetCString(v[COL_NAME]);
	check_group_name(group);
	initStringInfo(&payload);
	if (!isnull[COL_VALUE])
	{
		Size		vlen;
		const char *val = bytes_of(v[COL_VALUE], &vlen);

		appendBinaryStringInfo(&payload, val, vlen);
	}
	if (!isnull[COL_DATA])
		field = bytes_of(v[COL_DATA], &flen);
	op = make_gop((uint8) kind, group, field, flen, &payload,
				  isnull[COL_POS] ? 0 : DatumGetInt64(v[COL_POS]));
	gctx_open(&c, true);
	gctx_lock(&c, LW_EXCLUSIVE);
	g_log(&c, op);				/* frees op */
	gctx_close(&c);
	pfree(payload.data);
}

static void
restore_row(TupleTableSlot *slot)
{
	Datum	   *v;
	bool	   *isnull;
	char	   *kind;
	char	   *name;

	slot_getallattrs(slot);
	v = slot->tts_values;
	isnull = slot->tts_isnull;
	need(isnull, COL_KIND, "no kind");
	kind = TextDatumGetCString(v[COL_KIND]);
	name = isnull[COL_NAME] ? NULL : TextDatumGetCString(v[COL_NAME]);

	if (strcmp(kind, "format") == 0)
	{
		if (isnull[COL_POS] || DatumGetInt64(v[COL_POS]) != SK_DUMP_FORMAT)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("streamkv.dump_rows: dump format " INT64_FORMAT " is not supported (this build reads format %d)",
							isnull[COL_POS] ? (int64) 0 : DatumGetInt64(v[COL_POS]), SK_DUMP_FORMAT)));
	}
	else if (strcmp(kind, "topic") == 0)
	{
		need(isnull, COL_NAME, "topic without a name");
		need(isnull, COL_PART, "topic without partitions");
		need(isnull, COL_DATA, "topic without settings");
		{
			Size		len;
			const char *d = bytes_of(v[COL_DATA], &len);

			sk_topic_restore_topic(name, DatumGetInt32(v[COL_PART]), pnstrdup(d, len));
		}
	}
	else if (strcmp(kind, "log_start") == 0)
	{
		need(isnull, COL_NAME, "log_start without a topic");
		need(isnull, COL_PART, "log_start without a partition");
		need(isnull, COL_POS, "log_start without an offset");
		sk_topic_restore_log_start(name, DatumGetInt32(v[COL_PART]), DatumGetInt64(v[COL_POS]));
	}
	else if (strcmp(kind, "record") == 0)
	{
		const char *key = NULL,
				   *val = NULL,
				   *hdr = NULL;
		Size		klen = 0,
					vlen = 0,
					hlen = 0;

		need(isnull, COL_NAME, "record without a topic");
		need(isnull, COL_PART, "record without a partition");
		need(isnull, COL_POS, "record without an offset");
		need(isnull, COL_TS, "record without a timestamp");
		if (!isnull[COL_KEY])
			key = bytes_of(v[COL_KEY], &klen);
		if (!isnull[COL_VALUE])
			val = bytes_of(v[COL_VALUE], &vlen);
		if (!isnull[COL_DATA])
			hdr = bytes_of(v[COL_DATA], &hlen);
		sk_topic_restore_record(name, DatumGetInt32(v[COL_PART]), DatumGetInt64(v[COL_POS]),
								sk_timestamptz_to_ms(DatumGetTimestampTz(v[COL_TS])),
								key, (int32) klen, val, (int32) vlen, hdr, (uint32) hlen);
	}
	else if (strcmp(kind, "key_op") == 0)
		restore_key_op(v, isnull);
	else if (strcmp(kind, "group_op") == 0)
		restore_group_op(v, isnull);
	else
		bad_row(psprintf("unknown kind \"%s\"", kind));
}

/* ------------------------------------------------------------------------
 * The access method
 * ------------------------------------------------------------------------
 */
static const TupleTableSlotOps *
dump_slot_callbacks(Relation rel)
{
	return &TTSOpsMinimalTuple;
}

static TableScanDesc
dump_scan_begin(Relation rel, Snapshot snapshot, int nkeys, struct ScanKeyData *key,
				ParallelTableScanDesc pscan, uint32 flags)
{
	DumpScanDesc *ds = palloc0(sizeof(DumpScanDesc));

	if (pscan != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("streamkv.dump_rows cannot be scanned in parallel")));
	ds->base.rs_rd = rel;
	ds->base.rs_snapshot = snapshot;
	ds->base.rs_nkeys = nkeys;
	ds->base.rs_flags = flags;
	ds->cxt = CurrentMemoryContext;
	ds->tupdesc = RelationGetDescr(rel);
	ds->rows = tuplestore_begin_heap(false, false, work_mem);
	return (TableScanDesc) ds;
}

static void
dump_scan_end(TableScanDesc scan)
{
	DumpScanDesc *ds = (DumpScanDesc *) scan;

	tuplestore_end(ds->rows);
	if (scan->rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(scan->rs_snapshot);
	pfree(ds);
}

static void
dump_scan_rescan(TableScanDesc scan, struct ScanKeyData *key, bool set_params,
				 bool allow_strat, bool allow_sync, bool allow_pagemode)
{
	DumpScanDesc *ds = (DumpScanDesc *) scan;

	if (ds->filled)
		tuplestore_rescan(ds->rows);
}

static bool
dump_scan_getnextslot(TableScanDesc scan, ScanDirection direction, TupleTableSlot *slot)
{
	DumpScanDesc *ds = (DumpScanDesc *) scan;

	if (!ds->filled)
	{
		MemoryContext old = MemoryContextSwitchTo(ds->cxt);

		fill_rows(ds);
		MemoryContextSwitchTo(old);
	}
	if (!tuplestore_gettupleslot(ds->rows, ScanDirectionIsForward(direction) || ScanDirectionIsNoMovement(direction), false, slot))
	{
		ExecClearTuple(slot);
		return false;
	}
	slot->tts_tableOid = RelationGetRelid(scan->rs_rd);
	ItemPointerSet(&slot->tts_tid, 0, 1);
	return true;
}

static void
not_supported(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("streamkv.dump_rows does not support %s", what),
			 errhint("Read it whole (SELECT, COPY TO) or append rows to it (INSERT, COPY FROM).")));
}

static void
dump_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
				  struct BulkInsertStateData *bistate)
{
	restore_row(slot);
	slot->tts_tableOid = RelationGetRelid(rel);
	ItemPointerSet(&slot->tts_tid, 0, 1);
}

static void
dump_multi_insert(Relation rel, TupleTableSlot **slots, int nslots, CommandId cid,
				  int options, struct BulkInsertStateData *bistate)
{
	int			i;

	for (i = 0; i < nslots; i++)
		dump_tuple_insert(rel, slots[i], cid, options, bistate);
}

static void
dump_finish_bulk_insert(Relation rel, int options)
{
}

static void
dump_tuple_insert_speculative(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
							  struct BulkInsertStateData *bistate, uint32 specToken)
{
	not_supported("INSERT ... ON CONFLICT");
}

static TM_Result
dump_tuple_delete(Relation rel, ItemPointer tid, CommandId cid, Snapshot snapshot,
				  Snapshot crosscheck, bool wait, TM_FailureData *tmfd, bool changingPart)
{
	not_supported("DELETE");
	return TM_Ok;
}

static TM_Result
dump_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot, CommandId cid,
				  Snapshot snapshot, Snapshot crosscheck, bool wait, TM_FailureData *tmfd,
				  LockTupleMode *lockmode, bool *update_indexes)
{
	not_supported("UPDATE");
	return TM_Ok;
}

static TM_Result
dump_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot,
				CommandId cid, LockTupleMode mode, LockWaitPolicy wait_policy, uint8 flags,
				TM_FailureData *tmfd)
{
	not_supported("row locks");
	return TM_Ok;
}

static bool
dump_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot, TupleTableSlot *slot)
{
	not_supported("fetching rows by position");
	return false;
}

static void
dump_set_tidrange(TableScanDesc scan, ItemPointer mintid, ItemPointer maxtid)
{
	not_supported("TID range scans");
}

static bool
dump_scan_sample_next_block(TableScanDesc scan, struct SampleScanState *scanstate)
{
	not_supported("TABLESAMPLE");
	return false;
}

static bool
dump_scan_analyze_next_block(TableScanDesc scan, BlockNumber blockno, BufferAccessStrategy bstrategy)
{
	return false;				/* nothing to sample: the rows are not stored */
}

static double
dump_index_build_range_scan(Relation table_rel, Relation index_rel, struct IndexInfo *index_info,
							bool allow_sync, bool anyvisible, bool progress,
							BlockNumber start_blockno, BlockNumber numblocks,
							IndexBuildCallback callback, void *callback_state, TableScanDesc scan)
{
	not_supported("indexes");
	return 0;
}

static void
dump_copy_for_cluster(Relation OldTable, Relation NewTable, Relation OldIndex, bool use_sort,
					  TransactionId OldestXmin, TransactionId *xid_cutoff,
					  MultiXactId *multi_cutoff, double *num_tuples, double *tups_vacuumed,
					  double *tups_recently_dead)
{
	not_supported("CLUSTER and VACUUM FULL");
}

static bool
dump_needs_toast_table(Relation rel)
{
	return false;				/* nothing is stored */
}

static void
dump_estimate_size(Relation rel, int32 *attr_widths, BlockNumber *pages, double *tuples,
				   double *allvisfrac)
{
	*pages = 1;
	*tuples = 1000;
	*allvisfrac = 0;
}

Datum
streamkv_dump_am_handler(PG_FUNCTION_ARGS)
{
	if (!dump_am_ready)
	{
		dump_am = *GetHeapamTableAmRoutine();
		dump_am.slot_callbacks = dump_slot_callbacks;
		dump_am.scan_begin = dump_scan_begin;
		dump_am.scan_end = dump_scan_end;
		dump_am.scan_rescan = dump_scan_rescan;
		dump_am.scan_getnextslot = dump_scan_getnextslot;
		dump_am.scan_set_tidrange = dump_set_tidrange;
		dump_am.tuple_fetch_row_version = dump_fetch_row_version;
		dump_am.tuple_insert = dump_tuple_insert;
		dump_am.tuple_insert_speculative = dump_tuple_insert_speculative;
		dump_am.multi_insert = dump_multi_insert;
		dump_am.finish_bulk_insert = dump_finish_bulk_insert;
		dump_am.tuple_delete = dump_tuple_delete;
		dump_am.tuple_update = dump_tuple_update;
		dump_am.tuple_lock = dump_tuple_lock;
		dump_am.scan_analyze_next_block = dump_scan_analyze_next_block;
		dump_am.scan_sample_next_block = dump_scan_sample_next_block;
		dump_am.index_build_range_scan = dump_index_build_range_scan;
		dump_am.relation_copy_for_cluster = dump_copy_for_cluster;
		dump_am.relation_estimate_size = dump_estimate_size;
		dump_am.relation_needs_toast_table = dump_needs_toast_table;
		dump_am_ready = true;
	}
	PG_RETURN_POINTER(&dump_am);
}
