/*-------------------------------------------------------------------------
 *
 * topic_retention.c
 *	  Retention (the maintenance worker's round for topics): whole pages
 *	  freed from a partition's head by time and by size.
 *
 * Retention is a lower bound on how long records stay, as in Kafka:
 * decided on the primary from the page index and logged as TRUNCATE
 * records, flushed before the new log start is shown.  Only loaded topics
 * are visited; an unloaded topic is retained when next loaded.
 *
 * Locking: the slot lock shared, the partition's lock exclusively.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "topic_int.h"
#include "worker_log.h"

/* ------------------------------------------------------------------------
 * Retention (the maintenance worker)
 * ------------------------------------------------------------------------
 */

/*
 * Frees head pages of one partition past its retention.  Never frees the
 * page where the newest record starts.  Returns pages freed.
 */
int
retain_partition(Relation rel, SkTopicSlot **tp, int partition, SkTopicConf *conf, int64 now)
{
	SkPartition *p;
	SkPageIndex *ix;
	uint32		e;
	uint32		keep;
	int64		bytes;
	BlockNumber blk,
				last = InvalidBlockNumber;
	uint32		nfreed = 0;
	XLogRecPtr	lsn;
	bool		preflushed = false;

retry:
	p = part_lock(tp, rel, partition, LW_EXCLUSIVE);
	ix = pidx(p);
	bytes = p->bytes;
	if (ix == NULL || ix->count - ix->start < 2)
	{
		part_unlock(p);
		return 0;
	}
	keep = ix->start;
	for (e = ix->start; e + 1 < ix->count; e++)
	{
		bool		by_time = conf->retention_ms > 0 && ix->e[e].max_ts < now - conf->retention_ms;
		bool		by_bytes = conf->retention_bytes > 0 && bytes - ix->e[e].bytes >= conf->retention_bytes;

		if (!by_time && !by_bytes)
			break;
		bytes -= ix->e[e].bytes;
		keep = e + 1;
	}
	if (keep == ix->start)
	{
		part_unlock(p);
		return 0;
	}
	if (!preflushed)
	{
		/*
		 * Pages go: first flush the WAL already written (asynchronous
		 * producers' records, say) outside the lock, so that the flush of
		 * the TRUNCATE below, under the lock, covers only that record.
		 */
		part_unlock(p);
		/*
		 * What is written so far (GetXLogInsertRecPtr() can point past a
		 * page header not yet written, which XLogFlush refuses).
		 */
		XLogFlush(GetXLogWriteRecPtr());
		preflushed = true;
		goto retry;
	}

	/* the page just before the new head, and how many pages go */
	blk = ix->e[ix->start].blk;
	while (blk != ix->e[keep].blk)
	{
		Buffer		buf = ReadBuffer(rel, blk);

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		last = blk;
		blk = SkPageGetOpaque(BufferGetPage(buf))->next;
		UnlockReleaseBuffer(buf);
		nfreed++;
		if (!BlockNumberIsValid(blk))
			elog(ERROR, "streamkv: page index of partition %d does not match its chain", partition);
	}
	lsn = sk_chain_truncate(rel, partition, ix->e[keep].blk, last, nfreed,
							ix->e[keep].first_offset);

	/*
	 * Flushed before anyone can see the new log start: a crash must not take
	 * it back and show records again that a reader was told were gone.  A
	 * fsync under the partition lock, once per retention pass that frees
	 * pages.
	 */
	XLogFlush(lsn);
	ix = pidx(p);
	p->log_start = ix->e[keep].first_offset;
	p->bytes = bytes;
	ix->start = keep;
	p->first_ts = ix->e[keep].max_ts;	/* approximate: largest on the page */
	part_unlock(p);
	return nfreed;
}

void
maintain_topic(SkSlot *s, void *arg)
{
	SkTopicSlot *t = (SkTopicSlot *) s;
	RelFileNode rnode = s->key.rnode;
	int64		now = *(int64 *) arg;
	Relation	rel;
	SkTopicConf conf;
	int			j;
	uint32		nfreed;

	if (s->state != SK_SLOT_READY || !topic_is(t, rnode))
		return;
	/* a dropped topic: forget its copy and free the slot */
	if (!sk_store_exists(rnode))
	{
		sk_slot_forget(SK_STORE_TOPIC, rnode);
		return;
	}
	/* on an error the worker releases what it held and goes on */
	rel = CreateFakeRelcacheEntry(rnode);
	read_conf(rel, &conf);
	for (j = 0; j < conf.partitions && j < SK_MAX_PARTITIONS; j++)
	{
		SkTopicSlot *tp = t;

		/* unloaded meanwhile: retention waits for the next load */
		if (!topic_is(t, rnode) || t->slot.state != SK_SLOT_READY || j >= t->npartitions)
			break;
		nfreed = retain_partition(rel, &tp, j, &conf, now);
		if (nfreed > 0)
		{
			char		obj[SK_TOPIC_NAME_MAX + 40];

			snprintf(obj, sizeof(obj), "topic \"%s\" partition %d", conf.name, j);
			sk_log_action(SK_LOG_RETENTION, rnode.dbNode, obj, nfreed);
		}
	}
	FreeFakeRelcacheEntry(rel);
}

/* The worker's round for topics (kinds.c): retention of every loaded topic. */
void
sk_topic_maintain(MemoryContext roundcxt)
{
	static int64 last_pass = 0;
	int64		now = sk_now_ms();

	/*
	 * Once a second at most (Kafka checks every log.retention.check.interval
	 * .ms, 5 minutes by default): with thousands of topics a pass reads every
	 * metapage.
	 */
	if (now - last_pass < 1000 && now >= last_pass)
		return;
	last_pass = now;
	sk_slot_foreach(SK_STORE_TOPIC, maintain_topic, &now);
}
