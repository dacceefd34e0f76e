/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The maintenance background worker: active expiry and compaction.
 *
 * One worker serves every database whose keyspace is loaded in shared
 * memory.  It needs no database connection: it reaches each store through
 * its RelFileNode (a fake relcache entry, as redo does) and logs its
 * decisions as ordinary operations (SK_OP_EXPIRED, compaction's APPEND and
 * SWITCH records), so standbys follow without consulting their clocks.  It
 * starts when recovery has finished, so a hot standby runs none of this.
 *
 * Every streamkv.worker_naptime it visits each loaded keyspace: for each
 * shard with keys that have a TTL it examines the next
 * streamkv.expire_sample hash buckets (a cursor that wraps around, the
 * counterpart of Redis's sampling of its expires dict) and removes what has
 * expired; then it compacts shards whose chains are mostly dead operations.
 * A keyspace that is not loaded is not visited: reads hide its expired keys
 * anyway, and loading happens on first use.
 *
 * Locking: takes one shard lock at a time, through the same functions as
 * the SQL interface.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlogutils.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/bufmgr.h"
#include "storage/condition_variable.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/smgr.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/resowner_private.h"
#include "utils/snapmgr.h"

#include "group.h"
#include "kinds.h"
#include "worker_log.h"

PGDLLEXPORT void sk_worker_main(Datum arg);
PGDLLEXPORT void sk_dead_letter_worker_main(Datum arg);
void		sk_worker_register(void);
void		sk_worker_define_gucs(void);

/* GUCs of the worker */
int			sk_worker_naptime_ms = 100;
bool		sk_worker_enabled = true;

void
sk_worker_define_gucs(void)
{
	DefineCustomIntVariable("streamkv.worker_naptime",
							"Time between rounds of the maintenance worker (expiry, compaction).",
							NULL,
							&sk_worker_naptime_ms,
							100, 10, 60 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomBoolVariable("streamkv.worker",
							 "Runs the maintenance worker (expiry, compaction) on the primary.",
							 NULL,
							 &sk_worker_enabled,
							 true,
							 PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("streamkv.log_maintenance_interval",
							"Shortest time between two LOG lines about the same maintenance action (expiry, compaction, retention, session time-outs, dead-lettering, unloads).",
							"Actions in between are counted and summarised in the next line; 0 logs every action at once, -1 logs none.",
							&sk_log_maintenance_interval_ms,
							10000, -1, 24 * 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
}

/*
 * Dead-letter workers: the maintenance worker has no database connection, so
 * it cannot open a share group's topics to dead-letter records whose lock
 * expired after their last delivery.  It starts a short-lived worker
 * connected to that database instead, one per database at a time (the
 * handles live in the maintenance worker, the only process that starts
 * them).
 */
#define SK_DLQ_WORKERS 8
#define SK_DLQ_RETRY_MS 5000	/* at most one start per database in that time */

static struct
{
	Oid			dbid;
	int64		started_at;
	BackgroundWorkerHandle *handle;
}			dlq_workers[SK_DLQ_WORKERS];

void
sk_worker_request_dead_letters(Oid dbid)
{
	BackgroundWorker bgw;
	int			i,
				slot = -1;
	pid_t		pid;
	int64		now = sk_now_ms();

	for (i = 0; i < SK_DLQ_WORKERS; i++)
	{
		if (dlq_workers[i].handle != NULL &&
			GetBackgroundWorkerPid(dlq_workers[i].handle, &pid) == BGWH_STOPPED)
		{
			pfree(dlq_workers[i].handle);
			dlq_workers[i].handle = NULL;
		}
		if (dlq_workers[i].dbid == dbid)
		{
			/* one is starting or running there, or started a moment ago */
			if (dlq_workers[i].handle != NULL || now - dlq_workers[i].started_at < SK_DLQ_RETRY_MS)
				return;
			slot = i;
		}
	}
	for (i = 0; i < SK_DLQ_WORKERS && slot < 0; i++)
		if (dlq_workers[i].handle == NULL)
			slot = i;
	if (slot < 0)
		return;					/* all busy: try again on a later round */
	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "streamkv");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "sk_dead_letter_worker_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "streamkv dead-letter worker for database %u", dbid);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "streamkv dead-letter worker");
	bgw.bgw_main_arg = ObjectIdGetDatum(dbid);
	bgw.bgw_notify_pid = 0;
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		BackgroundWorkerHandle *h;

		dlq_workers[slot].dbid = dbid;
		dlq_workers[slot].started_at = now;
		if (RegisterDynamicBackgroundWorker(&bgw, &h))
			dlq_workers[slot].handle = h;
		MemoryContextSwitchTo(old);
	}
}

void
sk_dead_letter_worker_main(Datum arg)
{
	int			n;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(arg), InvalidOid, 0);
	pgstat_report_appname("streamkv dead-letter worker");
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	n = sk_group_dead_letter_all();
	PopActiveSnapshot();
	CommitTransactionCommand();
	sk_log_action(SK_LOG_DEAD_LETTERED, MyDatabaseId, NULL, n);
	sk_log_flush(true);
	proc_exit(0);
}

void
sk_worker_register(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	/* a connection to no database, to be seen in pg_stat_activity */
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 5;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "streamkv");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "sk_worker_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "streamkv maintenance worker");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "streamkv maintenance worker");
	RegisterBackgroundWorker(&bgw);
}

/* One round: each kind's maintenance, in the registry's order (kinds.c). */
static void
sk_worker_round(MemoryContext roundcxt)
{
	int			i;

	sk_slot_tick();
	for (i = 0; i < sk_nstore_kinds; i++)
	{
		if (sk_store_kinds[i].maintain == NULL)
			continue;
		MemoryContextReset(roundcxt);
		sk_store_kinds[i].maintain(roundcxt);
	}
}

void
sk_worker_main(Datum arg)
{
	sigjmp_buf	local_sigjmp_buf;
	MemoryContext roundcxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	/*
	 * Connected to no database, as the logical replication launcher is: the
	 * worker then has a pg_stat_activity row (backend_type "streamkv
	 * maintenance worker") where it reports what it is doing.  It reaches
	 * stores through their RelFileNodes, never through the catalogs.
	 */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("streamkv maintenance worker");

	CurrentResourceOwner = ResourceOwnerCreate(NULL, "streamkv worker");
	roundcxt = AllocSetContextCreate(TopMemoryContext, "streamkv worker round",
									 ALLOCSET_DEFAULT_SIZES);
	sk_shared->worker_pid = MyProcPid;

	/*
	 * Errors end the round, not the process: release what the round held
	 * (buffer pins and locks, as bgwriter.c does) and carry on.  Exiting
	 * with buffer pins would leak them in shared memory.
	 */
	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
	{
		error_context_stack = NULL;
		HOLD_INTERRUPTS();
		EmitErrorReport();
		LWLockReleaseAll();
		ConditionVariableCancelSleep();
		AbortBufferIO();
		UnlockBuffers();
		ResourceOwnerRelease(CurrentResourceOwner, RESOURCE_RELEASE_BEFORE_LOCKS, false, true);
		ResourceOwnerRelease(CurrentResourceOwner, RESOURCE_RELEASE_LOCKS, false, true);
		ResourceOwnerRelease(CurrentResourceOwner, RESOURCE_RELEASE_AFTER_LOCKS, false, true);
		AtEOXact_Buffers(false);
		AtEOXact_SMgr();
		AtEOXact_Files(false);
		MemoryContextSwitchTo(TopMemoryContext);
		FlushErrorState();
		MemoryContextReset(roundcxt);
		pgstat_report_activity(STATE_IDLE, NULL);
		RESUME_INTERRUPTS();
		/* do not spin on a persistent error */
		pg_usleep(1000000L);
	}
	PG_exception_stack = &local_sigjmp_buf;

	for (;;)
	{
		MemoryContext old;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sk_worker_naptime_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		if (ShutdownRequestPending)
			break;
		/*
		 * A connected worker has a ProcSignal slot: absorb barriers (DROP
		 * DATABASE waits for every process to release its files) and other
		 * interrupts, as the logical replication launcher does.
		 */
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (RecoveryInProgress())
			continue;

		old = MemoryContextSwitchTo(roundcxt);
		pgstat_report_activity(STATE_RUNNING, "maintenance round: expiry, compaction, retention, group sessions");
		sk_worker_round(roundcxt);
		sk_async_flush();
		pgstat_report_activity(STATE_IDLE, NULL);
		MemoryContextSwitchTo(old);
		sk_log_round();
	}
	sk_log_flush(true);
	proc_exit(0);
}
