/*-------------------------------------------------------------------------
 *
 * worker_log.c
 *	  Rate-limited LOG lines for maintenance actions (see worker_log.h).
 *
 * A DBA wants to see that keys expire, topics are truncated and sessions
 * time out, without a line per key every 100 ms: actions are counted by
 * (event, database, object) and printed as one line per entry at most once
 * an interval, e.g.
 *
 *	 LOG:  streamkv: expired 1532 keys in database 16384 (in 10 s)
 *	 LOG:  streamkv: retention freed 12 pages of topic "orders" partition 3 in database 16384 (in 10 s)
 *
 * The table holds SK_LOG_ENTRIES entries; when it is full the lines are
 * printed early.  Databases are named by OID: the maintenance worker has no
 * database connection to look names up (pg_database.oid).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "worker_log.h"

#define SK_LOG_ENTRIES 32
#define SK_LOG_OBJECT 96

int			sk_log_maintenance_interval_ms = 10000;

typedef struct LogEntry
{
	SkLogEvent	ev;
	Oid			dbid;
	char		object[SK_LOG_OBJECT];
	int64		n;
} LogEntry;

static LogEntry entries[SK_LOG_ENTRIES];
static int	nentries = 0;
static TimestampTz last_flush = 0;
static TimestampTz last_round_log = 0;
static int64 rounds = 0;

static void
emit(const LogEntry *e, long secs)
{
	char		span[32];

	if (secs > 0)
		snprintf(span, sizeof(span), " (in %ld s)", secs);
	else
		span[0] = '\0';

	switch (e->ev)
	{
		case SK_LOG_EXPIRED:
			ereport(LOG, (errmsg("streamkv: expired " INT64_FORMAT " keys in database %u%s",
								 e->n, e->dbid, span)));
			break;
		case SK_LOG_COMPACTED:
			ereport(LOG, (errmsg("streamkv: compacted " INT64_FORMAT " chains of the %s of database %u%s",
								 e->n, e->object, e->dbid, span)));
			break;
		case SK_LOG_RETENTION:
			ereport(LOG, (errmsg("streamkv: retention freed " INT64_FORMAT " pages of %s in database %u%s",
								 e->n, e->object, e->dbid, span)));
			break;
		case SK_LOG_SESSION_TIMEOUT:
			ereport(LOG, (errmsg("streamkv: session of " INT64_FORMAT " members of consumer group \"%s\" in database %u timed out%s",
								 e->n, e->object, e->dbid, span)));
			break;
		case SK_LOG_GROUP_DELETED:
			ereport(LOG, (errmsg("streamkv: deleted empty consumer group \"%s\" in database %u: its offsets expired (streamkv.offsets_retention)",
								 e->object, e->dbid)));
			break;
		case SK_LOG_DEAD_LETTERED:
			ereport(LOG, (errmsg("streamkv: dead-lettered " INT64_FORMAT " share-group records in database %u%s",
								 e->n, e->dbid, span)));
			break;
		case SK_LOG_UNLOADED:
			ereport(LOG, (errmsg("streamkv: unloaded " INT64_FORMAT " %s slots of database %u to make room (streamkv.max_memory)%s",
								 e->n, e->object, e->dbid, span)));
			break;
		case SK_NLOG_EVENTS:
			break;
	}
}

void
sk_log_flush(bool force)
{
	TimestampTz now;
	long		secs;
	int			us;
	int			i,
				n;

	if (nentries == 0)
		return;
	now = GetCurrentTimestamp();
	if (!force && sk_log_maintenance_interval_ms > 0 &&
		!TimestampDifferenceExceeds(last_flush, now, sk_log_maintenance_interval_ms))
		return;
	TimestampDifference(last_flush, now, &secs, &us);
	if (last_flush == 0)
		secs = 0;
	/* the table is emptied first: an error while printing loses lines, not the process */
	n = nentries;
	nentries = 0;
	last_flush = now;
	for (i = 0; i < n; i++)
		emit(&entries[i], secs);
}

void
sk_log_action(SkLogEvent ev, Oid dbid, const char *object, int64 n)
{
	LogEntry   *e = NULL;
	int			i;

	if (sk_log_maintenance_interval_ms < 0 || n <= 0)
		return;
	if (object == NULL)
		object = "";
	for (i = 0; i < nentries; i++)
		if (entries[i].ev == ev && entries[i].dbid == dbid &&
			strncmp(entries[i].object, object, SK_LOG_OBJECT - 1) == 0)
		{
			e = &entries[i];
			break;
		}
	if (e == NULL)
	{
		if (nentries == SK_LOG_ENTRIES)
			sk_log_flush(true);
		e = &entries[nentries++];
		e->ev = ev;
		e->dbid = dbid;
		strlcpy(e->object, object, SK_LOG_OBJECT);
		e->n = 0;
	}
	e->n += n;
	sk_log_flush(false);
}

void
sk_log_round(void)
{
	TimestampTz now;

	rounds++;
	if (message_level_is_interesting(DEBUG1))
	{
		now = GetCurrentTimestamp();
		if (sk_log_maintenance_interval_ms <= 0 ||
			TimestampDifferenceExceeds(last_round_log, now, sk_log_maintenance_interval_ms))
		{
			ereport(DEBUG1, (errmsg("streamkv: maintenance worker: " INT64_FORMAT " rounds since the last message",
									rounds)));
			rounds = 0;
			last_round_log = now;
		}
	}
	sk_log_flush(false);
}
