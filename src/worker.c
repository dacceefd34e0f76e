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

#include "group.h"
#include "keyspace.h"
#include "kvmem.h"
#include "topic.h"

PGDLLEXPORT void sk_worker_main(Datum arg);
void		sk_worker_register(void);

void
sk_worker_register(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 5;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "streamkv");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "sk_worker_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "streamkv maintenance worker");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "streamkv maintenance worker");
	RegisterBackgroundWorker(&bgw);
}

static void
sk_worker_round(MemoryContext roundcxt)
{
	int			i,
				s;

	for (i = 0; i < SK_MAX_DATABASES; i++)
	{
		SkDb	   *db = &sk_shared->dbs[i];
		RelFileNode rnode;
		Relation	rel;
		bool		ready;

		LWLockAcquire(&sk_shared->slots_lock, LW_SHARED);
		ready = OidIsValid(db->dbid) && db->state == SK_DB_READY;
		rnode = db->rnode;
		LWLockRelease(&sk_shared->slots_lock);
		if (!ready)
			continue;

		/* a store dropped (DROP EXTENSION, DROP DATABASE): forget its copy */
		if (!sk_store_exists(rnode))
		{
			sk_db_forget(db, rnode);
			continue;
		}

		MemoryContextReset(roundcxt);
		rel = CreateFakeRelcacheEntry(rnode);
		for (s = 0; s < SK_NSHARDS; s++)
		{
			SkDb	   *dbp = db;

			CHECK_FOR_INTERRUPTS();

			/*
			 * The slot may have been given to another store meanwhile: the
			 * lock functions check the slot against rel's node and would
			 * load it; skip instead when it no longer matches.
			 */
			if (!RelFileNodeEquals(db->rnode, rnode) || db->state != SK_DB_READY)
				break;
			sk_expire_shard(rel, &dbp, s);
			sk_compact_shard(rel, &dbp, s, false);
		}
		FreeFakeRelcacheEntry(rel);
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
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (RecoveryInProgress())
			continue;

		old = MemoryContextSwitchTo(roundcxt);
		sk_worker_round(roundcxt);
		sk_topic_maintain();
		sk_group_maintain();
		sk_async_flush();
		MemoryContextSwitchTo(old);
	}
	proc_exit(0);
}
