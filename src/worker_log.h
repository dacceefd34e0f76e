/*-------------------------------------------------------------------------
 *
 * worker_log.h
 *	  Rate-limited LOG lines for what maintenance does: expiry, compaction,
 *	  retention, session time-outs, group deletion, dead-lettering and slot
 *	  unloads.
 *
 * Each process keeps its own small table of counts by (event, database,
 * object) and turns it into LOG lines at most once every
 * streamkv.log_maintenance_interval (the first action of a quiet interval
 * is logged at once).  Rounds of the maintenance worker are logged at
 * DEBUG1, summarised the same way.
 *
 * Locks: none.  Process-local state only; callable while holding any lock,
 * but never inside a critical section (ereport may allocate).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_WORKER_LOG_H
#define STREAMKV_WORKER_LOG_H

typedef enum SkLogEvent
{
	SK_LOG_EXPIRED,				/* n keys expired (object: NULL) */
	SK_LOG_COMPACTED,			/* n keyspace shards / groups chains rewritten */
	SK_LOG_RETENTION,			/* n pages freed from a topic partition's head */
	SK_LOG_SESSION_TIMEOUT,		/* n members of a consumer group timed out */
	SK_LOG_GROUP_DELETED,		/* offsets retention deleted an empty group */
	SK_LOG_DEAD_LETTERED,		/* n share-group records dead-lettered */
	SK_LOG_UNLOADED,			/* n slots unloaded to make room (object: kind) */
	SK_NLOG_EVENTS
} SkLogEvent;

extern int	sk_log_maintenance_interval_ms;

/* Counts n more of ev for (dbid, object); may emit the accumulated lines. */
extern void sk_log_action(SkLogEvent ev, Oid dbid, const char *object, int64 n);

/* Emits the accumulated lines if the interval has passed (or force). */
extern void sk_log_flush(bool force);

/* One maintenance round finished (DEBUG1 summary, rate-limited). */
extern void sk_log_round(void);

#endif							/* STREAMKV_WORKER_LOG_H */
