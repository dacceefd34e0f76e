/*-------------------------------------------------------------------------
 *
 * group_maint.c
 *	  The groups' maintenance round (worker.c through kinds.c): session
 *	  timeouts, offsets retention, dead-letter requests; compact_groups().
 *
 * Decisions on the clock are taken here, on the primary, and logged as
 * operations, so redo never reads the clock.
 *
 * Locking: the groups lock exclusively per database for the round, shared
 * for the scan for records to dead-letter.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "group_int.h"
#include "worker_log.h"
#include "acl.h"

/* GUC streamkv.offsets_retention (s): Kafka's offsets.retention.minutes */
int			sk_offsets_retention_s = 7 * 24 * 3600;

void
sk_group_define_gucs(void)
{
	DefineCustomIntVariable("streamkv.offsets_retention",
							"How long a consumer group's offsets are kept after the group became empty (and after its last commit).",
							"Kafka's offsets.retention.minutes; the maintenance worker deletes such groups.",
							&sk_offsets_retention_s,
							7 * 24 * 3600, 1, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
}


/* ------------------------------------------------------------------------
 * Maintenance (the background worker): session timeouts, offsets retention
 * ------------------------------------------------------------------------
 */
/*
 * Whether a share group has records past max_deliveries whose lock expired:
 * they are to be dead-lettered (caller holds the groups lock).
 */
bool
share_has_dead(SkGroup *g, int64 now)
{
	SkGTopic   *t;
	int			p;

	if (g->type != GT_SHARE || g->ntopics < 1 || g->dead_retry_at > now)
		return false;
	t = &g_topics(g)[0];
	for (p = 0; p < t->nparts; p++)
	{
		SkGPart    *gp = &gt_parts(t)[p];
		SkSharePart *sp;
		int64		off;

		if (!DsaPointerIsValid(gp->share))
			continue;
		sp = sk_ptr(gp->share);
		for (off = gp->committed; off < sp->next; off++)
		{
			SkShareEntry *e = share_entry(sp, off);

			if (e->state != ES_DONE && !(e->state == ES_ACQUIRED && e->lock_until > now) &&
				e->deliveries >= g->max_deliveries)
				return true;
		}
	}
	return false;
}

/*
 * Dead-letters, in every share group of this database, the records past
 * max_deliveries whose lock expired (what acquire does when it meets them).
 * Run by a dead-letter worker connected to the database, in a transaction:
 * the main worker cannot open topics.  Returns how many records.
 */
int
sk_group_dead_letter_all(void)
{
	GCtx		c;
	List	   *names = NIL;
	ListCell   *lc;
	int			total = 0;
	int64	   *offs = palloc(sizeof(int64) * SK_SHARE_WINDOW);
	int		   *dels = palloc(sizeof(int) * SK_SHARE_WINDOW);

	gctx_open(&c, true);
	gctx_lock(&c, LW_SHARED);
	{
		int			k;

		for (k = 0; k < c.db->ngroups; k++)
		{
			SkGroup    *g = db_group(c.db, k);

			if (share_has_dead(g, c.now))
				names = lappend(names, pstrdup(g->name));
		}
	}
	gctx_unlock(&c);
	foreach(lc, names)
	{
		char	   *group = (char *) lfirst(lc);
		char		topic[SK_TOPIC_NAME_MAX + 1];
		char		dlq[SK_TOPIC_NAME_MAX + 1];
		SkTopicRef	tr,
					dtr;
		bool		has_dlq;
		SkGroup    *g;
		int			p,
					nparts;

		gctx_lock(&c, LW_SHARED);
		g = find_group(c.db, group, strlen(group));
		if (g == NULL || g->type != GT_SHARE)
		{
			gctx_unlock(&c);
			continue;
		}
		strlcpy(topic, g_topics(g)[0].name, sizeof(topic));
		strlcpy(dlq, g->dlq, sizeof(dlq));
		gctx_unlock(&c);
		if (!sk_topic_open(&tr, topic, true, AccessShareLock))
		{
			/* the topic was dropped: ask again in a minute, not every round */
			gctx_lock(&c, LW_EXCLUSIVE);
			g = find_group(c.db, group, strlen(group));
			if (g)
				g->dead_retry_at = c.now + 60000;
			gctx_unlock(&c);
			continue;
		}
		has_dlq = open_dlq(&dtr, dlq);
		c.now = sk_now_ms();
		gctx_lock(&c, LW_EXCLUSIVE);
		g = find_group(c.db, group, strlen(group));
		nparts = (g && g->type == GT_SHARE) ? g_topics(g)[0].nparts : 0;
		for (p = 0; p < nparts; p++)
		{
			SkGPart    *gp = &gt_parts(&g_topics(g)[0])[p];
			SkSharePart *sp;
			int64		off;
			int			n = 0;

			if (!DsaPointerIsValid(gp->share) || p >= tr.conf.partitions)
				continue;
			sp = sk_ptr(gp->share);
			for (off = gp->committed; off < sp->next && n < SK_SHARE_WINDOW; off++)
			{
				SkShareEntry *e = share_entry(sp, off);

				if (e->state != ES_DONE && !(e->state == ES_ACQUIRED && e->lock_until > c.now) &&
					e->deliveries >= g->max_deliveries)
				{
					offs[n] = off;
					dels[n] = e->deliveries;
					n++;
				}
			}
			if (n > 0)
			{
				dead_letter(&c, g, &tr, has_dlq ? &dtr : NULL, p, offs, dels, n, "max_deliveries");
				g = find_group(c.db, group, strlen(group));
				total += n;
			}
		}
		gctx_unlock(&c);
		if (has_dlq)
			sk_topic_close(&dtr);
		sk_topic_close(&tr);
	}
	gctx_close(&c);
	return total;
}

/* One database's groups in the worker's round (loaded ones only). */
void
maintain_db(SkSlot *s, void *arg)
{
	SkGroupDb  *db = (SkGroupDb *) s;
	bool		check_dlq = *(bool *) arg;
	RelFileNode rnode = s->key.rnode;
	GCtx		c;
	int			k;
	bool		want_dlq = false;

	{
		if (s->state != SK_SLOT_READY || !gdb_is(db, rnode))
			return;
		if (!sk_store_exists(rnode))
		{
			/* dropped (DROP EXTENSION, DROP DATABASE): forget the copy */
			sk_slot_forget(SK_STORE_GROUPS, rnode);
			return;
		}
		c.rel = CreateFakeRelcacheEntry(rnode);
		c.db = db;
		LWLockAcquire(&db->lock, LW_EXCLUSIVE);
		c.locked = true;
		c.now = sk_now_ms();
		if (db->slot.state == SK_SLOT_READY && gdb_is(db, rnode))
		{
			for (k = db->ngroups - 1; k >= 0; k--)
			{
				SkGroup    *g = db_group(db, k);
				int64		last;
				int			ti,
							p;

				if (g->type != GT_CONSUMER)
					continue;
				expire_members(&c, g);
				if (g->nmembers > 0)
					continue;
				/* offsets retention: from the group emptying or the last commit */
				last = g->empty_since;
				for (ti = 0; ti < g->ntopics; ti++)
					for (p = 0; p < g_topics(g)[ti].nparts; p++)
						last = Max(last, gt_parts(&g_topics(g)[ti])[p].committed_at);
				if (last + (int64) sk_offsets_retention_s * 1000 < c.now)
				{
					char		name[SK_GROUP_NAME_MAX + 1];

					strlcpy(name, g->name, sizeof(name));
					g_log(&c, make_gop(SK_GOP_DELETE, name, NULL, 0, NULL, c.now));
					sk_log_action(SK_LOG_GROUP_DELETED, rnode.dbNode, name, 1);
				}
			}
		}
		LWLockRelease(&db->lock);
		FreeFakeRelcacheEntry(c.rel);

		/* share groups with records to dead-letter: a scan of their windows, shared */
		if (check_dlq)
		{
			LWLockAcquire(&db->lock, LW_SHARED);
			if (db->slot.state == SK_SLOT_READY && gdb_is(db, rnode))
				for (k = 0; k < db->ngroups && !want_dlq; k++)
					want_dlq = share_has_dead(db_group(db, k), c.now);
			LWLockRelease(&db->lock);
		}
		if (want_dlq)
			sk_worker_request_dead_letters(rnode.dbNode);
	}
}

/* The worker's round for consumer groups (kinds.c). */
void
sk_group_maintain(MemoryContext roundcxt)
{
	static int64 last_dlq_check = 0;
	int64		now = sk_now_ms();
	bool		check_dlq = now - last_dlq_check >= 1000;	/* once a second */

	if (check_dlq)
		last_dlq_check = now;
	sk_slot_foreach(SK_STORE_GROUPS, maintain_db, &check_dlq);
}

PG_FUNCTION_INFO_V1(sk_group_compact);
Datum
sk_group_compact(PG_FUNCTION_ARGS)
{
	GCtx		c;
	int64		n;

	sk_acl_check(SK_ACL_DATABASE, "", SK_PRIV_ADMIN);
	gctx_open(&c, true);
	gctx_lock(&c, LW_EXCLUSIVE);
	g_compact(&c);
	n = c.db->chain_ops;
	gctx_close(&c);
	PG_RETURN_INT64(n);
}
