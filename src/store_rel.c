/*-------------------------------------------------------------------------
 *
 * store_rel.c
 *	  The store relations: the stub index access method streamkv_store,
 *	  creating and dropping stores, and finding a store by name.
 *
 * A store is an index of the stub access method on the empty table
 * streamkv.store_anchor (store.c says why).  PostgreSQL never builds, scans
 * or inserts into it: ambuild refuses unless streamkv itself is creating the
 * store (sk_store_create), and then writes only the metapage.  The pages
 * and their WAL are store.c's.
 *
 * Locking: store relations are opened with the lock their caller asks for
 * (sk_open_named_store caches the OID and, within a transaction and
 * subtransaction, the lock already taken); no buffer or LWLock is held here
 * beyond ambuild's metapage.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "access/relation.h"
#include "access/reloptions.h"
#include "access/xact.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "commands/vacuum.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/smgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/relcache.h"
#include "utils/selfuncs.h"

#include "store.h"
#include "acl.h"

/* Set while streamkv itself creates a store; ambuild refuses otherwise. */
static bool sk_creating_store = false;
static int	sk_creating_kind = 0;
static const SkTopicConf *sk_creating_conf = NULL;
static bool sk_dropping_store = false;

PG_FUNCTION_INFO_V1(streamkv_store_am_handler);
PG_FUNCTION_INFO_V1(streamkv_create_store);
/* ------------------------------------------------------------------------
 * The stub index access method
 * ------------------------------------------------------------------------
 */
static IndexBuildResult *
sk_ambuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	Buffer		buf;

	if (!sk_creating_store && !IsBinaryUpgrade)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot build or rebuild streamkv store \"%s\"",
						RelationGetRelationName(index)),
				 errdetail("Its pages are streamkv's data: REINDEX, VACUUM FULL, CLUSTER and TRUNCATE would discard them."),
				 errhint("Use streamkv's own functions (such as flushdb) to remove data.")));

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "streamkv store \"%s\" is not empty", RelationGetRelationName(index));

	buf = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
	Assert(BufferGetBlockNumber(buf) == SK_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);

	START_CRIT_SECTION();
	sk_init_metapage(BufferGetPage(buf), sk_creating_kind,
					 sk_creating_kind == SK_STORE_KEYSPACE ? SK_NSHARDS :
					 sk_creating_kind == SK_STORE_GROUPS ? 1 : SK_MAX_CHAINS);
	if (sk_creating_conf)
		SkPageGetMeta(BufferGetPage(buf))->topic = *sk_creating_conf;
	MarkBufferDirty(buf);
	log_newpage_buffer(buf, true);
	END_CRIT_SECTION();

	UnlockReleaseBuffer(buf);

	result = (IndexBuildResult *) palloc0(sizeof(IndexBuildResult));
	return result;
}

static void
sk_ambuildempty(Relation index)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("streamkv stores cannot be unlogged")));
}

static bool
sk_aminsert(Relation index, Datum *values, bool *isnull, ItemPointer ht_ctid,
			Relation heapRel, IndexUniqueCheck checkUnique, bool indexUnchanged,
			IndexInfo *indexInfo)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("streamkv.store_anchor must stay empty"),
			 errdetail("Its indexes are streamkv's page stores.")));
	return false;
}

static IndexBulkDeleteResult *
sk_ambulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
				IndexBulkDeleteCallback callback, void *callback_state)
{
	return stats;
}

static IndexBulkDeleteResult *
sk_amvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	return stats;
}

static void
sk_amcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				  Cost *indexStartupCost, Cost *indexTotalCost,
				  Selectivity *indexSelectivity, double *indexCorrelation,
				  double *indexPages)
{
	*indexStartupCost = 1.0e10;
	*indexTotalCost = 1.0e10;
	*indexSelectivity = 1.0;
	*indexCorrelation = 0.0;
	*indexPages = 1;
}

static bytea *
sk_amoptions(Datum reloptions, bool validate)
{
	return NULL;
}

static bool
sk_amvalidate(Oid opclassoid)
{
	return true;
}

static IndexScanDesc
sk_ambeginscan(Relation r, int nkeys, int norderbys)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("streamkv stores cannot be scanned")));
	return NULL;
}

static void
sk_amrescan(IndexScanDesc scan, ScanKey scankey, int nscankeys,
			ScanKey orderbys, int norderbys)
{
}

static void
sk_amendscan(IndexScanDesc scan)
{
}

Datum
streamkv_store_am_handler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *am = makeNode(IndexAmRoutine);

	am->amstrategies = 0;
	am->amsupport = 0;
	am->amoptsprocnum = 0;
	am->amcanorder = false;
	am->amcanorderbyop = false;
	am->amcanbackward = false;
	am->amcanunique = false;
	am->amcanmulticol = false;
	am->amoptionalkey = true;
	am->amsearcharray = false;
	am->amsearchnulls = false;
	am->amstorage = false;
	am->amclusterable = false;
	am->ampredlocks = false;
	am->amcanparallel = false;
	am->amcaninclude = false;
	am->amusemaintenanceworkmem = false;
	am->amparallelvacuumoptions = VACUUM_OPTION_NO_PARALLEL;
	am->amkeytype = InvalidOid;

	am->ambuild = sk_ambuild;
	am->ambuildempty = sk_ambuildempty;
	am->aminsert = sk_aminsert;
	am->ambulkdelete = sk_ambulkdelete;
	am->amvacuumcleanup = sk_amvacuumcleanup;
	am->amcanreturn = NULL;
	am->amcostestimate = sk_amcostestimate;
	am->amoptions = sk_amoptions;
	am->amproperty = NULL;
	am->ambuildphasename = NULL;
	am->amvalidate = sk_amvalidate;
	am->amadjustmembers = NULL;
	am->ambeginscan = sk_ambeginscan;
	am->amrescan = sk_amrescan;
	am->amgettuple = NULL;
	am->amgetbitmap = NULL;
	am->amendscan = sk_amendscan;
	am->ammarkpos = NULL;
	am->amrestrpos = NULL;
	am->amestimateparallelscan = NULL;
	am->aminitparallelscan = NULL;
	am->amparallelrescan = NULL;

	PG_RETURN_POINTER(am);
}

/*
 * streamkv._create_store(name, kind): creates the store index through SPI
 * with the creation flag set.  Called by the extension script.
 */
Datum
streamkv_create_store(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		kind = PG_GETARG_INT32(1);

	if (kind != SK_STORE_KEYSPACE && kind != SK_STORE_GROUPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown streamkv store kind %d", kind)));
	sk_store_create(name, kind, NULL);
	PG_RETURN_VOID();
}

/*
 * Creates the store relname (an index on streamkv.store_anchor) through SPI,
 * with the creation flag set so that ambuild accepts it.  Transactional.
 */
void
sk_store_create(const char *relname, uint32 kind, const SkTopicConf *conf)
{
	StringInfoData sql;
	Oid			save_userid;
	int			save_sec;

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "CREATE INDEX %s ON streamkv.store_anchor USING streamkv_store (id)",
					 quote_identifier(relname));

	/* as the extension's owner, who owns the anchor table: the caller's
	 * privilege on the topic or database was checked (acl.h) */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(sk_acl_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	SPI_connect();
	sk_creating_store = true;
	sk_creating_kind = kind;
	sk_creating_conf = conf;
	PG_TRY();
	{
		SPI_execute(sql.data, false, 0);
	}
	PG_FINALLY();
	{
		sk_creating_store = false;
		sk_creating_kind = 0;
		sk_creating_conf = NULL;
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	SPI_finish();
}

/*
 * Whether a store's relation still exists, from its RelFileNode only (the
 * worker has no database connection).  A dropped relation's first segment
 * is truncated at commit and unlinked at the next checkpoint, and a live
 * store always has its metapage: empty means gone.
 */
bool
sk_store_exists(RelFileNode rnode)
{
	SMgrRelation srel = smgropen(rnode, InvalidBackendId);

	return smgrexists(srel, MAIN_FORKNUM) && smgrnblocks(srel, MAIN_FORKNUM) > 0;
}

/* Drops a store (transactional); the utility hook lets this one through. */
void
sk_store_drop(Oid relid)
{
	StringInfoData sql;
	Oid			save_userid;
	int			save_sec;

	initStringInfo(&sql);
	appendStringInfo(&sql, "DROP INDEX %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												get_rel_name(relid)));
	/* as the extension's owner, who owns the anchor table: the caller's
	 * privilege on the topic or database was checked (acl.h) */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(sk_acl_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	SPI_connect();
	sk_dropping_store = true;
	PG_TRY();
	{
		SPI_execute(sql.data, false, 0);
	}
	PG_FINALLY();
	{
		sk_dropping_store = false;
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	SPI_finish();
}

bool
sk_store_dropping(void)
{
	return sk_dropping_store;
}

Oid
sk_named_store_oid(const char *relname, bool missing_ok)
{
	Oid			nsp = get_namespace_oid("streamkv", true);
	Oid			relid = InvalidOid;

	if (OidIsValid(nsp))
		relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(relid) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"streamkv\" is not installed in database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errhint("Run CREATE EXTENSION streamkv.")));
	return relid;
}

Oid
sk_keyspace_store_oid(bool missing_ok)
{
	return sk_named_store_oid("keyspace_store", missing_ok);
}

/*
 * Opens the database's store relname (keyspace_store, groups_store) with
 * lockmode.  The OID found by name is remembered for the next call (two
 * catalog-cache lookups less per command) and checked once the relation is
 * locked: still an index of that name in schema streamkv, or it is looked
 * up again (DROP EXTENSION and CREATE EXTENSION make a new store).
 *
 * Within one (sub)transaction the lock taken by the first call is held
 * until its end (callers close with NoLock), so later calls of the same
 * transaction and subtransaction that need no stronger lock skip the lock
 * manager and the catalog-cache probe of try_relation_open and take the
 * relcache entry directly -- what relation_open does after locking.  A
 * subtransaction that aborted released the locks it took: its successor
 * has another SubTransactionId and locks again.
 */
Relation
sk_open_named_store(const char *relname, LOCKMODE lockmode)
{
	static Oid	cached_relid[2];
	static Oid	cached_nsp[2];
	static Oid	cached_db[2];
	static LocalTransactionId locked_lxid[2];
	static SubTransactionId locked_subxid[2];
	static LOCKMODE locked_mode[2];
	int			slot = strcmp(relname, "keyspace_store") == 0 ? 0 : 1;
	Relation	rel;
	Oid			relid;

	if (cached_db[slot] == MyDatabaseId && OidIsValid(cached_relid[slot]))
	{
		if (locked_lxid[slot] == MyProc->lxid && locked_lxid[slot] != InvalidLocalTransactionId &&
			locked_subxid[slot] == GetCurrentSubTransactionId() &&
			locked_mode[slot] >= lockmode)
		{
			/* locked by this (sub)transaction already */
			rel = RelationIdGetRelation(cached_relid[slot]);
			if (rel != NULL)
			{
				if (rel->rd_rel->relkind == RELKIND_INDEX &&
					RelationGetNamespace(rel) == cached_nsp[slot] &&
					strcmp(RelationGetRelationName(rel), relname) == 0)
				{
					pgstat_init_relation(rel);
					return rel;
				}
				RelationClose(rel);
			}
		}
		rel = try_relation_open(cached_relid[slot], lockmode);
		if (rel != NULL)
		{
			if (rel->rd_rel->relkind == RELKIND_INDEX &&
				RelationGetNamespace(rel) == cached_nsp[slot] &&
				strcmp(RelationGetRelationName(rel), relname) == 0)
			{
				locked_lxid[slot] = MyProc->lxid;
				locked_subxid[slot] = GetCurrentSubTransactionId();
				locked_mode[slot] = lockmode;
				return rel;
			}
			relation_close(rel, lockmode);
		}
	}
	locked_lxid[slot] = InvalidLocalTransactionId;
	relid = sk_named_store_oid(relname, false);
	rel = index_open(relid, lockmode);
	cached_relid[slot] = relid;
	cached_nsp[slot] = RelationGetNamespace(rel);
	cached_db[slot] = MyDatabaseId;
	locked_lxid[slot] = MyProc->lxid;
	locked_subxid[slot] = GetCurrentSubTransactionId();
	locked_mode[slot] = lockmode;
	return rel;
}

