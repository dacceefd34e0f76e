/*-------------------------------------------------------------------------
 *
 * streamkv.c
 *	  Module entry: GUCs, the resource manager, shared memory, the
 *	  commit-time flush and the utility hook.
 *
 * Shared memory is one SkShared struct followed by a DSA area created in
 * place (the pattern of PostgreSQL 15's pgstat_shmem.c: the postmaster
 * creates and pins it, every process attaches on first use).  The area's
 * size is capped by streamkv.max_memory; streamkv refuses writes that would
 * pass it (SQLSTATE 53200) and keeps serving reads and deletes.
 *
 * Durability: operations are WAL-logged when they run (like nextval()).
 * At commit (XACT_EVENT_PRE_COMMIT, while an error can still be raised) the
 * backend flushes WAL up to its last streamkv record and waits for
 * synchronous standbys, following synchronous_commit exactly as a commit
 * record would: off leaves it to the WAL writer, local flushes, on /
 * remote_write / remote_apply also wait for the standbys.
 *
 * Shared memory and the LWLock tranches follow the registry of store kinds
 * (kinds.c): one tranche per kind, named "streamkv <kind>", plus
 * "streamkv" (the DSA area) and "streamkv slot table" (slot.c).
 *
 * Locking: this file takes no locks of its own beyond AddinShmemInitLock
 * at start-up; see docs/architecture.md, "Locks".
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xloginsert.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "postmaster/bgworker.h"
#include "replication/syncrep.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "group.h"
#include "kinds.h"
#include "pubsub.h"
#include "store.h"

PG_MODULE_MAGIC;

/* GUCs */
int			sk_max_memory_kb = 256 * 1024;

SkShared   *sk_shared = NULL;

static dsa_area *sk_dsa = NULL;
static XLogRecPtr sk_last_lsn = InvalidXLogRecPtr;
/* what PRE_COMMIT left for RecordTransactionCommit (sk_xact_callback) */
static XLogRecPtr sk_commit_covers = InvalidXLogRecPtr;

/* room for the DSA area's control data and a first segment, in place */
#define SK_DSA_INPLACE_SIZE		(1024 * 1024)

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

void		_PG_init(void);
extern void sk_worker_register(void);
extern void sk_worker_define_gucs(void);

Size
sk_max_memory_bytes(void)
{
	return (Size) sk_max_memory_kb * 1024;
}

static Size
sk_shmem_size(void)
{
	return MAXALIGN(sizeof(SkShared)) + SK_DSA_INPLACE_SIZE;
}


static void
sk_shmem_request(void)
{
	int			i;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(sk_shmem_size());
	RequestAddinShmemSpace(sk_slots_shmem_size());
	RequestAddinShmemSpace(sk_pubsub_shmem_size());
	for (i = 0; i < sk_nstore_kinds; i++)
		if (sk_store_kinds[i].shmem_size)
			RequestAddinShmemSpace(sk_store_kinds[i].shmem_size());
}

/* Tranche names, one per kind ("streamkv keyspace", ...): what wait_event shows. */
static char sk_tranche_names[8][NAMEDATALEN];

static void
sk_register_tranches(void)
{
	int			i;

	LWLockRegisterTranche(sk_shared->tranche_id, "streamkv");
	for (i = 0; i < sk_nstore_kinds; i++)
	{
		const SkStoreKind *k = &sk_store_kinds[i];

		snprintf(sk_tranche_names[k->kind], NAMEDATALEN, "streamkv %s", k->name);
		LWLockRegisterTranche(sk_shared->kind_tranche[k->kind], sk_tranche_names[k->kind]);
	}
}

/*
 * Shared memory: SkShared and the DSA area in place, the slot table (a
 * dshash table in the area), then each kind's fixed part, walking the
 * registry (kinds.c).
 */
static void
sk_shmem_startup(void)
{
	bool		found;
	bool		sfound;
	void	   *slots;
	dsa_area   *area = NULL;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	sk_dsa = NULL;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sk_shared = ShmemInitStruct("streamkv", sk_shmem_size(), &found);
	if (!found)
	{
		memset(sk_shared, 0, sizeof(SkShared));
		sk_shared->tranche_id = LWLockNewTrancheId();
		for (i = 0; i < sk_nstore_kinds; i++)
			sk_shared->kind_tranche[sk_store_kinds[i].kind] = LWLockNewTrancheId();
		pg_atomic_init_u64(&sk_shared->mem_used, 0);
		for (i = 0; i < (int) lengthof(sk_shared->mem_by_kind); i++)
			pg_atomic_init_u64(&sk_shared->mem_by_kind[i], 0);
		pg_atomic_init_u64(&sk_shared->wal_records, 0);
		pg_atomic_init_u64(&sk_shared->wal_bytes, 0);
		area = dsa_create_in_place((char *) sk_shared + MAXALIGN(sizeof(SkShared)),
								   SK_DSA_INPLACE_SIZE, sk_shared->tranche_id, NULL);
		dsa_pin(area);

		/*
		 * The area may grow a little past max_memory: streamkv unloads idle
		 * slots and checks its own count of bytes before each write, and
		 * this cap only stops a runaway.  Segments are allocated in steps,
		 * hence the slack.
		 */
		dsa_set_size_limit(area, sk_max_memory_bytes() + sk_max_memory_bytes() / 4 + 16 * 1024 * 1024);
	}
	slots = ShmemInitStruct("streamkv slots", sk_slots_shmem_size(), &sfound);
	sk_slots_shmem_init(slots, sfound, area);
	if (area)
		dsa_detach(area);
	for (i = 0; i < sk_nstore_kinds; i++)
	{
		const SkStoreKind *k = &sk_store_kinds[i];
		char		name[NAMEDATALEN];
		bool		kfound;
		void	   *ptr;

		if (!k->shmem_size)
			continue;
		snprintf(name, sizeof(name), "streamkv %s", k->name);
		ptr = ShmemInitStruct(name, k->shmem_size(), &kfound);
		k->shmem_init(ptr, kfound);
	}
	sk_pubsub_shmem_startup();
	LWLockRelease(AddinShmemInitLock);
	sk_register_tranches();
}

dsa_area *
sk_area(void)
{
	if (sk_dsa == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		sk_register_tranches();
		sk_dsa = dsa_attach_in_place((char *) sk_shared + MAXALIGN(sizeof(SkShared)), NULL);
		dsa_pin_mapping(sk_dsa);
		MemoryContextSwitchTo(old);
	}
	return sk_dsa;
}

void
sk_check_preloaded(void)
{
	if (sk_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("streamkv must be loaded via shared_preload_libraries"),
				 errhint("Add streamkv to shared_preload_libraries in postgresql.conf and restart the server.")));
}

void
sk_check_writable(void)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot change streamkv data during recovery"),
				 errhint("Write to the primary server; a standby serves reads.")));
}

void
sk_note_wal(XLogRecPtr end_lsn, uint32 len)
{
	if (end_lsn == InvalidXLogRecPtr)
		return;
	if (end_lsn > sk_last_lsn)
		sk_last_lsn = end_lsn;
	if (sk_shared)
	{
		pg_atomic_fetch_add_u64(&sk_shared->wal_records, 1);
		if (len > 0)
			pg_atomic_fetch_add_u64(&sk_shared->wal_bytes, len);
	}
}

/* Asks the WAL writer to flush what this process logged (no commit here). */
void
sk_async_flush(void)
{
	if (sk_last_lsn != InvalidXLogRecPtr)
		XLogSetAsyncXactLSN(sk_last_lsn);
	sk_last_lsn = InvalidXLogRecPtr;
}

int64
sk_now_ms(void)
{
	TimestampTz now = GetCurrentTimestamp();

	return (int64) (now / 1000) +
		((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000);
}

/* Each kind's hook after the commit-time flush (topics wake consumers). */
static void
sk_after_commit_hooks(void)
{
	int			i;

	for (i = 0; i < sk_nstore_kinds; i++)
		if (sk_store_kinds[i].after_commit)
			sk_store_kinds[i].after_commit();
}

/*
 * Commit: make this transaction's streamkv records durable as
 * synchronous_commit says, once, up to the last one.
 *
 * With synchronous_commit = off, a top-level commit needs nothing from us
 * when PostgreSQL's own commit will do the same: RecordTransactionCommit
 * (xact.c), which runs after XACT_EVENT_PRE_COMMIT, calls
 * XLogSetAsyncXactLSN(XactLastRecEnd) whenever this transaction wrote WAL --
 * with or without an xid (without one it writes no commit record but still
 * "triggers flushing those entries the same as a commit record would"), or
 * flushes synchronously when it must.  XactLastRecEnd is the end of this
 * backend's last record of the transaction, so it covers ours when it is
 * not behind sk_last_lsn.  A second call would cost a spinlock and, on
 * PostgreSQL 15, often a second kill() of the WAL writer.  sk_last_lsn is
 * kept until XACT_EVENT_COMMIT, so that an error between the two (the
 * transaction then aborts) still flushes our records in the abort branch.
 */
static void
sk_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (event == XACT_EVENT_PRE_COMMIT &&
				synchronous_commit == SYNCHRONOUS_COMMIT_OFF &&
				sk_last_lsn != InvalidXLogRecPtr &&
				XactLastRecEnd >= sk_last_lsn)
			{
				/* RecordTransactionCommit asks for it: see above */
				sk_commit_covers = sk_last_lsn;
			}
			else if (sk_last_lsn != InvalidXLogRecPtr)
			{
				XLogRecPtr	lsn = sk_last_lsn;

				sk_last_lsn = InvalidXLogRecPtr;
				if (synchronous_commit > SYNCHRONOUS_COMMIT_OFF)
				{
					XLogFlush(lsn);
					HOLD_INTERRUPTS();
					SyncRepWaitForLSN(lsn, true);
					RESUME_INTERRUPTS();
				}
				else
					XLogSetAsyncXactLSN(lsn);
			}
			sk_after_commit_hooks();
			break;
		case XACT_EVENT_COMMIT:
			/* what PRE_COMMIT left to RecordTransactionCommit is done now */
			if (sk_commit_covers != InvalidXLogRecPtr && sk_last_lsn <= sk_commit_covers)
				sk_last_lsn = InvalidXLogRecPtr;
			sk_commit_covers = InvalidXLogRecPtr;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:

			/*
			 * Not undone by the abort, and visible: flush it as a commit
			 * would, so an immediate stop cannot take back what other
			 * sessions saw (without waiting for standbys, as an abort
			 * cannot wait).
			 */
			if (sk_last_lsn != InvalidXLogRecPtr)
			{
				if (synchronous_commit > SYNCHRONOUS_COMMIT_OFF)
					XLogFlush(sk_last_lsn);
				else
					XLogSetAsyncXactLSN(sk_last_lsn);
			}
			sk_last_lsn = InvalidXLogRecPtr;
			sk_commit_covers = InvalidXLogRecPtr;
			sk_after_commit_hooks();
			break;
		default:
			break;
	}
}

/* ------------------------------------------------------------------------
 * Utility hook: REINDEX CONCURRENTLY would leave an invalid copy of a store
 * behind (its catalog entry commits before the build fails), so refuse it
 * up front for anything that includes a store.
 * ------------------------------------------------------------------------
 */
static bool
sk_is_store_index(Oid relid)
{
	HeapTuple	tup;
	bool		result = false;
	Oid			amoid = get_am_oid("streamkv_store", true);

	if (!OidIsValid(amoid))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_class) GETSTRUCT(tup))->relam == amoid;
		ReleaseSysCache(tup);
	}
	return result;
}

static void
sk_check_reindex(ReindexStmt *stmt)
{
	ListCell   *lc;
	bool		concurrently = false;
	Oid			nsp = get_namespace_oid("streamkv", true);
	bool		hits = false;

	foreach(lc, stmt->params)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, "concurrently") == 0)
			concurrently = defGetBoolean(opt);
	}
	if (!concurrently || !OidIsValid(nsp))
		return;

	switch (stmt->kind)
	{
		case REINDEX_OBJECT_INDEX:
			{
				Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);

				hits = OidIsValid(relid) && sk_is_store_index(relid);
				break;
			}
		case REINDEX_OBJECT_TABLE:
			{
				Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);

				hits = OidIsValid(relid) && get_rel_namespace(relid) == nsp &&
					strcmp(get_rel_name(relid), "store_anchor") == 0;
				break;
			}
		case REINDEX_OBJECT_SCHEMA:
			hits = strcmp(stmt->name, "streamkv") == 0;
			break;
		case REINDEX_OBJECT_SYSTEM:
			hits = false;
			break;
		case REINDEX_OBJECT_DATABASE:
			hits = true;
			break;
	}
	if (hits)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot reindex streamkv stores concurrently"),
				 errdetail("The indexes on streamkv.store_anchor hold streamkv's data and cannot be rebuilt."),
				 errhint("Reindex the other tables or indexes by name.")));
}

/* DROP INDEX of a store would throw its data away behind streamkv's back. */
static void
sk_check_drop(DropStmt *stmt)
{
	ListCell   *lc;

	if (stmt->removeType != OBJECT_INDEX || sk_store_dropping())
		return;
	foreach(lc, stmt->objects)
	{
		RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);

		if (OidIsValid(relid) && sk_is_store_index(relid))
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot drop streamkv store \"%s\"", rv->relname),
					 errdetail("It holds streamkv's data."),
					 errhint("DROP EXTENSION streamkv removes streamkv with its data.")));
	}
}

static void
sk_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				  ProcessUtilityContext context, ParamListInfo params,
				  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, ReindexStmt))
		sk_check_reindex((ReindexStmt *) pstmt->utilityStmt);
	else if (IsA(pstmt->utilityStmt, DropStmt))
		sk_check_drop((DropStmt *) pstmt->utilityStmt);

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

void
_PG_init(void)
{
	int			i;

	/* the utility hook protects stores even without preloading */
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = sk_ProcessUtility;

	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomIntVariable("streamkv.max_memory",
							"Shared memory streamkv may use for in-memory copies of its data.",
							"Writes that would pass it fail with SQLSTATE 53200; reads and deletes still work.",
							&sk_max_memory_kb,
							256 * 1024, 4 * 1024, INT_MAX / 2,
							PGC_POSTMASTER, GUC_UNIT_KB, NULL, NULL, NULL);
	/* the GUCs of each kind and of the worker, defined by their owners */
	for (i = 0; i < sk_nstore_kinds; i++)
		if (sk_store_kinds[i].define_gucs)
			sk_store_kinds[i].define_gucs();
	sk_worker_define_gucs();
	sk_pubsub_define_gucs();
	MarkGUCPrefixReserved("streamkv");

	sk_rmgr_register();

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = sk_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = sk_shmem_startup;

	RegisterXactCallback(sk_xact_callback, NULL);

	if (sk_worker_enabled)
		sk_worker_register();
}
