/*-------------------------------------------------------------------------
 *
 * group.c
 *	  Consumer groups: the write path (GCtx, g_log through the shared
 *	  write path), argument checks, and compaction of the groups chain.
 *
 * Every SQL function of groups opens the database's groups store (GCtx),
 * takes the groups lock, checks its arguments, and logs each change as one
 * operation through g_log (memory first, then the chain and its WAL record,
 * sk_slot_log_op).  The chain is rewritten as a snapshot of every group
 * when it has grown four times past the last one.
 *
 * Locking: the groups lock (SkGroupDb.lock, tranche "streamkv groups") is
 * held exclusively by writers across the append, shared by readers.  Topics
 * are opened (heavyweight locks) before it is taken; topic locks are taken
 * after it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "group_int.h"



void
gctx_open(GCtx *c, bool write)
{
	sk_check_preloaded();
	if (write)
		sk_check_writable();
	c->rel = sk_open_named_store("groups_store", write ? RowExclusiveLock : AccessShareLock);
	c->db = NULL;
	c->now = sk_now_ms();
	c->locked = false;
}

void
gctx_lock(GCtx *c, LWLockMode mode)
{
	c->db = gdb_lock(c->rel, mode);
	c->locked = true;
	c->now = sk_now_ms();
}

void
gctx_unlock(GCtx *c)
{
	if (c->locked)
		LWLockRelease(&c->db->lock);
	c->locked = false;
}

void
gctx_close(GCtx *c)
{
	gctx_unlock(c);
	index_close(c->rel, NoLock);
}


bool
g_apply_cb(void *target, const SkOpHeader *op)
{
	SkGroupDb  *db = (SkGroupDb *) target;

	if (g_apply(db, op))
		return true;
	db->slot.state = SK_SLOT_BROKEN;	/* g_apply may have changed part of it */
	return false;
}

/*
 * Applies op to memory and appends it, through the write path every kind
 * shares (slot.c).  Caller holds the lock exclusively.
 */
void
g_log(GCtx *c, SkOpHeader *op)
{
	SkGroupDb  *db = c->db;
	bool		frees = (op->kind == SK_GOP_DELETE || op->kind == SK_GOP_ACK ||
						 op->kind == SK_GOP_ARCHIVE);

	/* a first delivery may allocate a share window too */
	if (!frees)
		sk_mem_check(MAXALIGN(SkOpSize(op)) + sizeof(SkSharePart));
	sk_slot_log_op(&db->slot, c->rel, 0, op, frees, &db->applied_seq, g_apply_cb, db, NULL);
	db->chain_ops++;
	pfree(op);
	g_maybe_compact(c);
}

/* ------------------------------------------------------------------------
 * Argument checks and errors
 * ------------------------------------------------------------------------
 */
char *
arg_text(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

void
check_group_name(const char *name)
{
	size_t		len = strlen(name);

	if (len == 0 || len > SK_GROUP_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid group name \"%s\"", name),
				 errdetail("A group name has 1 to %d bytes.", SK_GROUP_NAME_MAX)));
}

void
check_id(const char *id, const char *what)
{
	size_t		len = strlen(id);

	if (len == 0 || len > SK_ID_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\"", what, id),
				 errdetail("A %s has 1 to %d bytes.", what, SK_ID_MAX)));
}

void
no_group(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("group \"%s\" does not exist", name)));
}

void
wrong_group_type(SkGroup *g, int want)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" is a %s group, not a %s group", g->name,
					g->type == GT_SHARE ? "share" : "consumer",
					want == GT_SHARE ? "share" : "consumer")));
}

SkGroup *
must_group(GCtx *c, const char *name, int type)
{
	SkGroup    *g = find_group(c->db, name, strlen(name));

	if (!g)
		no_group(name);
	if (type != 0 && g->type != type)
		wrong_group_type(g, type);
	return g;
}

void
check_partition(SkTopicRef *tr, int32 partition)
{
	if (partition < 0 || partition >= tr->conf.partitions)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partition %d of topic \"%s\" does not exist", partition, tr->conf.name),
				 errdetail("The topic has partitions 0 to %d.", tr->conf.partitions - 1)));
}

int
parse_reset(const char *s, bool allow_none)
{
	if (strcmp(s, "earliest") == 0)
		return RS_EARLIEST;
	if (strcmp(s, "latest") == 0)
		return RS_LATEST;
	if (allow_none && strcmp(s, "none") == 0)
		return RS_NONE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid auto_offset_reset \"%s\"", s),
			 errhint(allow_none ? "Use earliest, latest or none." : "Use earliest or latest.")));
	return 0;
}

const char *const strategy_names[] = {"range", "roundrobin", "sticky"};

int
parse_strategy(const char *s)
{
	int			i;

	for (i = 0; i < (int) lengthof(strategy_names); i++)
		if (strcmp(s, strategy_names[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid assignment strategy \"%s\"", s),
			 errhint("Use range, roundrobin or sticky.")));
	return 0;
}

Datum
text_datum(const char *s)
{
	return PointerGetDatum(cstring_to_text(s));
}


void
gc_flush(GCompact *gc)
{
	if (gc->buf.len > 0)
	{
		const char *data = gc->buf.data;
		Size		len = gc->buf.len;

		sk_chain_append_ops(gc->rel, &gc->pos, &data, &len, 1, SK_STORE_GROUPS, NULL);
	}
	resetStringInfo(&gc->buf);
}

void
gc_add(GCompact *gc, SkOpHeader *op)
{
	if (gc->emit)
	{
		gc->emit(gc->emit_arg, op);
		pfree(op);
		return;
	}
	op->seq = gc->seq;
	appendBinaryStringInfo(&gc->buf, (char *) op, MAXALIGN(SkOpSize(op)));
	gc->nops++;
	pfree(op);
	if (gc->buf.len >= 64 * 1024)
		gc_flush(gc);
}


void
compact_group(GCompact *gc, SkGroup *g)
{
	SkGTopic   *ts = g_topics(g);
	StringInfoData b;
	int			i,
				j;

	initStringInfo(&b);
	if (g->type == GT_SHARE)
	{
		SkGPart    *ps = gt_parts(&ts[0]);
		SkIdName   *cs = g->nconsumers > 0 ? sk_ptr(g->consumers) : NULL;

		wr_i32(&b, g->lock_ms);
		wr_i32(&b, g->max_deliveries);
		wr_str(&b, g->dlq, strlen(g->dlq));
		wr_i32(&b, ts[0].nparts);
		for (j = 0; j < ts[0].nparts; j++)
			wr_i64(&b, ps[j].committed);
		gc_add(gc, make_gop(SK_GOP_CREATE_SHARE, g->name, ts[0].name, strlen(ts[0].name), &b, 0));
		if (g->nconsumers > 0)
		{
			resetStringInfo(&b);
			wr_i32(&b, g->nconsumers);
			for (i = 0; i < g->nconsumers; i++)
				wr_str(&b, cs[i].name, strlen(cs[i].name));
			gc_add(gc, make_gop(SK_GOP_CONSUMERS, g->name, NULL, 0, &b, 0));
		}
		for (j = 0; j < ts[0].nparts; j++)
		{
			SkSharePart *sp;
			int64		off;
			int32		n = 0;
			int			npos;

			if (!DsaPointerIsValid(ps[j].share))
				continue;
			sp = sk_ptr(ps[j].share);
			if (sp->start == sp->next)
				continue;
			resetStringInfo(&b);
			wr_i32(&b, j);
			wr_i64(&b, sp->start);
			wr_i64(&b, sp->next);
			npos = b.len;
			wr_i32(&b, 0);
			for (off = sp->start; off < sp->next; off++)
			{
				SkShareEntry *e = share_entry(sp, off);

				if (e->state == ES_DONE)
					continue;
				wr_i64(&b, off);
				wr_i32(&b, e->state);
				wr_i32(&b, e->deliveries);
				wr_i32(&b, e->consumer);
				wr_i64(&b, e->delivered_at);
				wr_i64(&b, e->lock_until);
				n++;
			}
			memcpy(b.data + npos, &n, sizeof(n));
			gc_add(gc, make_gop(SK_GOP_SHARE_STATE, g->name, NULL, 0, &b, 0));
		}
	}
	else
	{
		LMember    *lm;
		int			n;

		lm = members_local(g, &n);
		members_payload(&b, g->generation, g->strategy, g->empty_since, ltopics_from_group(g), lm, n);
		gc_add(gc, make_gop(SK_GOP_MEMBERS, g->name, NULL, 0, &b, 0));
		for (i = 0; i < g->ntopics; i++)
		{
			SkGPart    *ps = gt_parts(&ts[i]);

			for (j = 0; j < ts[i].nparts; j++)
			{
				if (ps[j].committed < 0)
					continue;
				resetStringInfo(&b);
				wr_i32(&b, j);
				wr_i64(&b, ps[j].committed);
				wr_i32(&b, DsaPointerIsValid(ps[j].meta));
				wr_str(&b, DsaPointerIsValid(ps[j].meta) ? sk_ptr(ps[j].meta) : "",
					   DsaPointerIsValid(ps[j].meta) ? ps[j].metalen : 0);
				gc_add(gc, make_gop(SK_GOP_COMMIT, g->name, ts[i].name, strlen(ts[i].name), &b,
									ps[j].committed_at));
			}
		}
	}
	pfree(b.data);
}

void
g_compact(GCtx *c)
{
	GCompact	gc;
	SkGroupDb  *db = c->db;
	int			i;

	memset(&gc, 0, sizeof(gc));
	gc.rel = c->rel;
	gc.pos.chain = 0;
	gc.pos.detached = true;
	gc.pos.head = gc.pos.tail = InvalidBlockNumber;
	gc.seq = db->applied_seq;
	initStringInfo(&gc.buf);
	for (i = 0; i < db->ngroups; i++)
		compact_group(&gc, db_group(db, i));
	gc_flush(&gc);
	sk_chain_switch(c->rel, 0, &gc.pos, gc.seq, gc.nops);
	db->chain_ops = gc.nops;
	db->snapshot_ops = gc.nops;
	db->compactions++;
	pfree(gc.buf.data);
}

void
g_maybe_compact(GCtx *c)
{
	SkGroupDb  *db = c->db;

	if (db->chain_ops >= 4096 && db->chain_ops > 4 * (db->snapshot_ops + 256))
		g_compact(c);
}
