/*-------------------------------------------------------------------------
 *
 * store.c
 *	  The page store: streamkv's durable state, in standard PostgreSQL pages
 *	  changed under buffer locks and logged by streamkv's resource manager.
 *
 * A store is an index of the stub access method streamkv_store on the empty
 * table streamkv.store_anchor (the way contrib/bloom and pgvector own their
 * page formats).  PostgreSQL never builds, scans or inserts into it: ambuild
 * refuses unless streamkv itself is creating the store, so REINDEX, VACUUM
 * FULL, CLUSTER and TRUNCATE fail cleanly and leave the data alone; the
 * utility hook in streamkv.c refuses REINDEX CONCURRENTLY before it can leave
 * an invalid index behind.
 *
 * Block 0 is the metapage: one SkChainMeta per chain (head, tail, pages,
 * sequence base) and the free list.  Every other page belongs to one chain or
 * to the free list, linked through SkPageOpaque->next.  A chain holds
 * operations appended in order, each split into fragments (items) when it
 * does not fit on a page.  Compaction writes a new, detached chain and then
 * switches the metapage to it, splicing the old chain onto the free list;
 * retention and FLUSH splice too.  Splicing touches only the metapage and the
 * tail of the spliced chain, whatever its length.
 *
 * Appending: one WAL record per page filled at most 16 new pages a record,
 * so an operation (or a batch of them) costs one record, not one per item.
 * Items and, for operations that span records, the whole operation are in
 * the record's main data, so redo can update the in-memory copy even when
 * the pages came from full-page images; they are packed (store.h: headers
 * as deltas from the previous item's), and registered where they lie on
 * the page rather than copied into a buffer first.
 *
 * New pages come from the free list, else from the never-used blocks at or
 * past the metapage's alloc_next; the relation is extended ahead, by up to
 * 512 blocks at a time in one write, so that a bulk append does not pay a
 * file write and a size check per page.  Blocks past alloc_next are never
 * read: after a crash they are whatever the extension left (zeros), and no
 * logged state refers to them.
 *
 * Locking: the caller of sk_chain_append/sk_chain_switch holds the chain's
 * shard lock exclusively, so one process appends to a chain at a time.
 * Buffers are locked in this order: the chain's tail, the metapage, new
 * pages.  The metapage is locked exclusively whenever pages are allocated
 * (from the free list or by extending the relation), which also serialises
 * relation extension.
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

/* Most new pages in one APPEND record (blocks 2..). */
#define SK_MAX_NEW_PER_RECORD	16

/* A fragment smaller than this does not start on a nearly full page. */
#define SK_MIN_FRAGMENT			128

/* Set while streamkv itself creates a store; ambuild refuses otherwise. */
static bool sk_creating_store = false;
static int	sk_creating_kind = 0;
static const SkTopicConf *sk_creating_conf = NULL;
static bool sk_dropping_store = false;

PG_FUNCTION_INFO_V1(streamkv_store_am_handler);
PG_FUNCTION_INFO_V1(streamkv_create_store);

/* ------------------------------------------------------------------------
 * Pages
 * ------------------------------------------------------------------------
 */
void
sk_init_page(Page page, uint16 type, uint16 chain)
{
	SkPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(SkPageOpaqueData));
	opaque = SkPageGetOpaque(page);
	opaque->next = InvalidBlockNumber;
	opaque->type = type;
	opaque->chain = chain;
	opaque->magic = SK_PAGE_MAGIC;
	opaque->unused = 0;
}

void
sk_init_metapage(Page page, uint32 kind, uint32 nchains)
{
	SkMetaPageData *meta;
	uint32		i;

	sk_init_page(page, SK_PAGE_META, 0);
	meta = SkPageGetMeta(page);
	memset(meta, 0, sizeof(SkMetaPageData));
	meta->magic = SK_META_MAGIC;
	meta->version = SK_STORE_VERSION;
	meta->kind = kind;
	meta->nchains = nchains;
	meta->free_head = InvalidBlockNumber;
	meta->nfree = 0;
	for (i = 0; i < SK_MAX_CHAINS; i++)
	{
		meta->chains[i].head = InvalidBlockNumber;
		meta->chains[i].tail = InvalidBlockNumber;
	}
	meta->alloc_next = SK_METAPAGE_BLKNO + 1;

	/*
	 * Move pd_lower past the metapage struct: the "hole" between pd_lower and
	 * pd_upper is left out of full-page images.
	 */
	((PageHeader) page)->pd_lower =
		((char *) meta + sizeof(SkMetaPageData)) - (char *) page;
}

static SkMetaPageData *
sk_page_meta_checked(Relation rel, Page page)
{
	SkMetaPageData *meta = SkPageGetMeta(page);

	if (PageIsNew(page) || meta->magic != SK_META_MAGIC ||
		SkPageGetOpaque(page)->type != SK_PAGE_META)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("streamkv store \"%s\" has a bad metapage",
						RelationGetRelationName(rel))));
	if (meta->version != SK_STORE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("streamkv store \"%s\" has version %u, this library expects %u",
						RelationGetRelationName(rel), meta->version, SK_STORE_VERSION)));
	return meta;
}

void
sk_read_meta(Relation rel, SkMetaPageData *out)
{
	Buffer		buf = ReadBuffer(rel, SK_METAPAGE_BLKNO);

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	memcpy(out, sk_page_meta_checked(rel, BufferGetPage(buf)), sizeof(SkMetaPageData));
	UnlockReleaseBuffer(buf);
}

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

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "CREATE INDEX %s ON streamkv.store_anchor USING streamkv_store (id)",
					 quote_identifier(relname));

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

	initStringInfo(&sql);
	appendStringInfo(&sql, "DROP INDEX %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												get_rel_name(relid)));
	SPI_connect();
	sk_dropping_store = true;
	PG_TRY();
	{
		SPI_execute(sql.data, false, 0);
	}
	PG_FINALLY();
	{
		sk_dropping_store = false;
	}
	PG_END_TRY();
	SPI_finish();
}

bool
sk_store_dropping(void)
{
	return sk_dropping_store;
}

/* Rewrites a topic's configuration in its metapage (logged as a page image). */
XLogRecPtr
sk_store_set_topic_conf(Relation rel, const SkTopicConf *conf)
{
	Buffer		buf = ReadBuffer(rel, SK_METAPAGE_BLKNO);
	XLogRecPtr	lsn;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	(void) sk_page_meta_checked(rel, BufferGetPage(buf));
	START_CRIT_SECTION();
	SkPageGetMeta(BufferGetPage(buf))->topic = *conf;
	MarkBufferDirty(buf);
	lsn = log_newpage_buffer(buf, true);
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
	sk_note_wal(lsn, BLCKSZ);
	return lsn;
}

/*
 * Retention: frees a chain's pages from its head up to (not including)
 * new_head; last_freed is the page just before new_head.  Caller holds the
 * chain's lock exclusively.
 */
XLogRecPtr
sk_chain_truncate(Relation rel, uint16 chain, BlockNumber new_head,
				  BlockNumber last_freed, uint32 nfreed, int64 new_log_start)
{
	Buffer		lastbuf;
	Buffer		metabuf;
	SkMetaPageData *meta;
	SkChainMeta *cm;
	xl_sk_truncate xlrec;
	XLogRecPtr	lsn;

	lastbuf = ReadBuffer(rel, last_freed);
	LockBuffer(lastbuf, BUFFER_LOCK_EXCLUSIVE);
	metabuf = ReadBuffer(rel, SK_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = sk_page_meta_checked(rel, BufferGetPage(metabuf));
	cm = &meta->chains[chain];
	if (SkPageGetOpaque(BufferGetPage(lastbuf))->next != new_head ||
		!BlockNumberIsValid(new_head) || cm->npages <= nfreed)
		elog(ERROR, "streamkv: bad retention request for chain %u", chain);

	memset(&xlrec, 0, sizeof(xlrec));
	xlrec.chain = chain;
	xlrec.kind = meta->kind;
	xlrec.old_head = cm->head;
	xlrec.new_head = new_head;
	xlrec.nfreed = nfreed;
	xlrec.old_free_head = meta->free_head;
	xlrec.new_log_start = new_log_start;

	START_CRIT_SECTION();
	SkPageGetOpaque(BufferGetPage(lastbuf))->next = meta->free_head;
	meta->free_head = cm->head;
	meta->nfree += nfreed;
	cm->head = new_head;
	cm->npages -= nfreed;
	cm->seq_base = (uint64) new_log_start;
	MarkBufferDirty(lastbuf);
	MarkBufferDirty(metabuf);
	XLogBeginInsert();
	XLogRegisterData((char *) &xlrec, sizeof(xlrec));
	XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
	XLogRegisterBuffer(1, lastbuf, REGBUF_STANDARD);
	lsn = XLogInsert(STREAMKV_RMGR_ID, XLOG_SK_TRUNCATE);
	PageSetLSN(BufferGetPage(metabuf), lsn);
	PageSetLSN(BufferGetPage(lastbuf), lsn);
	END_CRIT_SECTION();

	sk_note_wal(lsn, sizeof(xlrec));
	UnlockReleaseBuffer(metabuf);
	UnlockReleaseBuffer(lastbuf);
	return lsn;
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

/* ------------------------------------------------------------------------
 * Appending to a chain
 * ------------------------------------------------------------------------
 */

/* Bytes between pd_lower and pd_upper on a fresh chain page. */
static Size
sk_fresh_page_avail(void)
{
	return BLCKSZ - SizeOfPageHeaderData - MAXALIGN(sizeof(SkPageOpaqueData));
}

/* Most payload one more item can carry on a page with avail free bytes. */
static Size
sk_payload_room(Size avail)
{
	Size		room;

	if (avail < sizeof(ItemIdData) + MAXALIGN(sizeof(SkFragHeader) + 1))
		return 0;
	room = (avail - sizeof(ItemIdData)) & ~((Size) MAXIMUM_ALIGNOF - 1);
	return room - sizeof(SkFragHeader);
}

/* Space an item of payload len takes on a page. */
static Size
sk_item_cost(Size len)
{
	return MAXALIGN(sizeof(SkFragHeader) + len) + sizeof(ItemIdData);
}

/* planning entries kept on the stack by sk_chain_append_ops_hinted */
#define SK_APPEND_LOCAL_ITEMS	32

typedef struct SkPlanItem
{
	int			page;			/* 0: the tail, 1..: new pages */
	uint8		flags;
	int			op;				/* index of the op it belongs to */
	const char *data;
	Size		len;
} SkPlanItem;

/*
 * Redo and the primary alike: a new page of an APPEND record at or past
 * alloc_next moves it (caller holds the metapage exclusively, in a critical
 * section or in redo).
 */
void
sk_meta_note_new_block(Page metapage, BlockNumber blk)
{
	SkMetaPageData *meta = SkPageGetMeta(metapage);

	if (blk >= meta->alloc_next)
		meta->alloc_next = blk + 1;
}

/*
 * Makes the relation at least need + 1 blocks long, extending it ahead by
 * an eighth of its size (8 to 512 blocks) in one write of its last block,
 * as hash indexes do (_hash_alloc_buckets): the blocks in between are holes
 * that read as zeros.  Nothing is logged: no WAL record names these blocks
 * until an APPEND initializes one (REGBUF_WILL_INIT), and redo extends the
 * relation as far as it needs.  Caller holds the metapage exclusively (which
 * serializes the store's allocations) and is not in a critical section (this
 * can fail, e.g. on a full disk).  Returns the new number of blocks.
 */
static BlockNumber
sk_extend(Relation rel, BlockNumber need, BlockNumber nblocks)
{
	BlockNumber chunk = Min(Max(nblocks / 8, 8), 512);
	BlockNumber target = Max(need + 1, nblocks) + chunk;
	PGAlignedBlock zero;

	LockRelationForExtension(rel, ExclusiveLock);
	nblocks = RelationGetNumberOfBlocks(rel);
	if (nblocks <= need)
	{
		memset(zero.data, 0, BLCKSZ);
		smgrextend(RelationGetSmgr(rel), MAIN_FORKNUM, target - 1, zero.data, false);
		nblocks = target;
	}
	UnlockRelationForExtension(rel, ExclusiveLock);
	return nblocks;
}

/*
 * Appends an item (fragment header, then len bytes of data) after the last
 * one of a chain page, as PageAddItem would (redo uses it on the logged
 * copy), without an intermediate copy.  Returns the item on the page.
 */
static char *
sk_add_item_crit(Page page, uint8 flags, const char *data, Size len)
{
	PageHeader	ph = (PageHeader) page;
	Size		itemlen = sizeof(SkFragHeader) + len;
	OffsetNumber off = PageGetMaxOffsetNumber(page) + 1;
	SkFragHeader fh;
	char	   *dst;

	if (ph->pd_upper < ph->pd_lower + sizeof(ItemIdData) + MAXALIGN(itemlen) ||
		ph->pd_upper > ph->pd_special)
		elog(PANIC, "streamkv: failed to add item of %zu bytes to page", itemlen);
	ph->pd_upper -= MAXALIGN(itemlen);
	ItemIdSetNormal(PageGetItemId(page, off), ph->pd_upper, itemlen);
	ph->pd_lower += sizeof(ItemIdData);
	dst = (char *) page + ph->pd_upper;
	memset(&fh, 0, sizeof(fh));
	fh.flags = flags;
	memcpy(dst, &fh, sizeof(fh));
	memcpy(dst + sizeof(fh), data, len);
	return dst;
}

static inline char *
sk_pk_varint(char *p, uint64 v)
{
	while (v >= 0x80)
	{
		*p++ = (char) ((v & 0x7F) | 0x80);
		v >>= 7;
	}
	*p++ = (char) v;
	return p;
}

/*
 * Writes the packed prefix of an item (store.h, SK_APPEND_PACKED) at p and
 * returns its end.  prevhdr: the previous FIRST fragment's payload in this
 * record (at least SK_PK_HDR bytes), or NULL.  *skip receives the payload
 * bytes the prefix stands for.
 */
static char *
sk_pk_prefix(char *p, uint8 flags, bool newblock, uint8 block_id,
			 const char *data, Size len, const char *prevhdr, Size *skip)
{
	uint8		code = flags;
	char	   *codep = p++;

	*skip = 0;
	if (newblock)
	{
		code |= SK_PK_BLOCK;
		*p++ = (char) block_id;
	}
	if (len < 256)
	{
		code |= SK_PK_LEN1;
		*p++ = (char) len;
	}
	else
	{
		uint16		l = (uint16) len;

		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	if (prevhdr && (flags & SK_FRAG_FIRST) && len >= SK_PK_HDR)
	{
		char	   *maskp = p++;
		uint8		mask = 0;
		int			w;

		code |= SK_PK_DELTA;
		for (w = 0; w < SK_PK_HDR / 8; w++)
		{
			uint64		a,
						b,
						d;

			memcpy(&a, data + w * 8, 8);
			memcpy(&b, prevhdr + w * 8, 8);
			d = a - b;
			if (d != 0)
			{
				mask |= 1 << w;
				/* zigzag: small negative differences stay short too */
				p = sk_pk_varint(p, (d << 1) ^ (uint64) ((int64) d >> 63));
			}
		}
		*maskp = (char) mask;
		*skip = SK_PK_HDR;
	}
	*codep = (char) code;
	return p;
}

/*
 * Appends nops operations to a chain, in order, each split into fragments
 * where it does not fit on a page, with one WAL record for up to
 * SK_MAX_NEW_PER_RECORD new pages.  For a metapage chain, the tail comes
 * from the metapage; a detached chain carries its own head/tail in pos,
 * updated here.  kind (SK_STORE_*) is the store's kind, named in each
 * record for redo's dispatch (kinds.c).  If start_blks is not NULL,
 * it receives the block where each operation's first fragment went.
 * Returns the end LSN of the last record.
 *
 * Caller holds the chain's shard lock exclusively.  May ERROR before a
 * record's critical section (e.g. when the relation cannot be extended); an
 * operation that spans several records and fails between them leaves an
 * incomplete op at the chain's end, which readers ignore.
 *
 * Why one function of about 290 lines: each WAL record's page layout, its
 * critical section and its registration of the same items must agree item
 * for item; planning, writing and logging a record are kept together so
 * that they cannot drift apart (the hot path of every write).
 */
XLogRecPtr
sk_chain_append_ops(Relation rel, SkChainPos *pos, const char *const *ops,
					const Size *lens, int nops, uint8 kind, BlockNumber *start_blks)
{
	return sk_chain_append_ops_hinted(rel, pos, ops, lens, nops, kind, start_blks, NULL);
}

/* The chain's tail as the metapage says. */
static BlockNumber
sk_meta_chain_tail(Relation rel, uint16 chain)
{
	Buffer		mbuf = ReadBuffer(rel, SK_METAPAGE_BLKNO);
	BlockNumber tail;

	LockBuffer(mbuf, BUFFER_LOCK_SHARE);
	tail = sk_page_meta_checked(rel, BufferGetPage(mbuf))->chains[chain].tail;
	UnlockReleaseBuffer(mbuf);
	return tail;
}

/*
 * sk_chain_append_ops with a remembered tail (an attached chain only):
 * *tail_hint, when valid, is taken for the chain's tail instead of reading
 * the metapage -- a buffer lookup, pin and share lock of a page every
 * writer of the store shares -- and is set to the tail after the append.
 * The caller keeps *tail_hint under the chain's lock and resets it to
 * InvalidBlockNumber whenever the chain's tail may change other than by
 * these appends (compaction's switch, flush, load, unload).  As a second
 * guard, a hinted page that is not a chain page of this chain without a
 * next page is not trusted: the metapage is read instead.
 */
XLogRecPtr
sk_chain_append_ops_hinted(Relation rel, SkChainPos *pos, const char *const *ops,
						   const Size *lens, int nops, uint8 kind, BlockNumber *start_blks,
						   BlockNumber *tail_hint)
{
	XLogRecPtr	lsn = InvalidXLogRecPtr;
	Size		fresh_room = sk_payload_room(sk_fresh_page_avail());
	BlockNumber tailblk;
	bool		hinted = false;
	int			opi = 0;
	Size		offset = 0;
	int			maxitems = SK_APPEND_LOCAL_ITEMS;

	/* planning arrays on the stack for the usual few items (no palloc) */
	SkPlanItem	items_local[SK_APPEND_LOCAL_ITEMS];
	char		pk_local[SK_PK_MAXPREFIX * SK_APPEND_LOCAL_ITEMS];
	uint32		pkoff_local[SK_APPEND_LOCAL_ITEMS];
	uint16		pkskip_local[SK_APPEND_LOCAL_ITEMS];
	SkPlanItem *items = items_local;
	char	   *pk = pk_local;
	uint32	   *pkoff = pkoff_local;
	uint16	   *pkskip = pkskip_local;

	if (pos->detached)
		tailblk = pos->tail;
	else if (tail_hint && BlockNumberIsValid(*tail_hint) && *tail_hint != SK_METAPAGE_BLKNO)
	{
		tailblk = *tail_hint;
		hinted = true;
	}
	else
		tailblk = sk_meta_chain_tail(rel, pos->chain);

	while (opi < nops)
	{
		Buffer		tailbuf = InvalidBuffer;
		Buffer		metabuf = InvalidBuffer;
		Buffer		newbufs[SK_MAX_NEW_PER_RECORD];
		int			nitems = 0;
		int			nnew = 0;
		int			ntaken = 0;
		BlockNumber new_free_head = InvalidBlockNumber;
		Size		avail = 0;	/* free bytes on the current page */
		int			cur = -1;	/* current page: 0 tail, 1.. new, -1 none */
		int			first_op = opi;
		bool		first_is_continued = (offset > 0);
		xl_sk_append xlrec;
		SkMetaPageData *meta = NULL;
		int			i;
		Size		wal_len;

		if (hinted)
		{
			/* a page once written stays: the relation is never truncated */
			Page		p;
			SkPageOpaque op;

			hinted = false;
			tailbuf = ReadBuffer(rel, tailblk);
			LockBuffer(tailbuf, BUFFER_LOCK_EXCLUSIVE);
			p = BufferGetPage(tailbuf);
			op = (PageIsNew(p) ||
				  PageGetSpecialSize(p) != MAXALIGN(sizeof(SkPageOpaqueData))) ?
				NULL : SkPageGetOpaque(p);
			if (op == NULL ||
				op->magic != SK_PAGE_MAGIC || op->type != SK_PAGE_CHAIN ||
				op->chain != pos->chain || BlockNumberIsValid(op->next))
			{
				UnlockReleaseBuffer(tailbuf);
				tailbuf = InvalidBuffer;
			}
			if (!BufferIsValid(tailbuf))
			{
				/* not the tail after all: ask the metapage */
				*tail_hint = InvalidBlockNumber;
				tailblk = sk_meta_chain_tail(rel, pos->chain);
			}
		}
		if (BufferIsValid(tailbuf))
		{
			PageHeader	ph = (PageHeader) BufferGetPage(tailbuf);

			avail = ph->pd_upper > ph->pd_lower ? ph->pd_upper - ph->pd_lower : 0;
			cur = 0;
		}
		else if (BlockNumberIsValid(tailblk))
		{
			PageHeader	ph;

			tailbuf = ReadBuffer(rel, tailblk);
			LockBuffer(tailbuf, BUFFER_LOCK_EXCLUSIVE);
			ph = (PageHeader) BufferGetPage(tailbuf);
			avail = ph->pd_upper > ph->pd_lower ? ph->pd_upper - ph->pd_lower : 0;
			cur = 0;
		}

		/* Plan the items of this record. */
		while (opi < nops)
		{
			Size		rem = lens[opi] - offset;
			Size		room = cur >= 0 ? sk_payload_room(avail) : 0;
			Size		take;

			if (nitems + 1 >= maxitems)
			{
				maxitems *= 2;
				if (items == items_local)
				{
					items = palloc(sizeof(SkPlanItem) * maxitems);
					memcpy(items, items_local, sizeof(items_local));
					pk = palloc(SK_PK_MAXPREFIX * maxitems);
					memcpy(pk, pk_local, sizeof(pk_local));
					pkoff = palloc(sizeof(uint32) * maxitems);
					memcpy(pkoff, pkoff_local, sizeof(pkoff_local));
					pkskip = palloc(sizeof(uint16) * maxitems);
					memcpy(pkskip, pkskip_local, sizeof(pkskip_local));
				}
				else
				{
					items = repalloc(items, sizeof(SkPlanItem) * maxitems);
					pk = repalloc(pk, SK_PK_MAXPREFIX * maxitems);
					pkoff = repalloc(pkoff, sizeof(uint32) * maxitems);
					pkskip = repalloc(pkskip, sizeof(uint16) * maxitems);
				}
			}
			if (rem <= room ||
				(room >= SK_MIN_FRAGMENT && (rem > fresh_room || offset > 0)))
			{
				take = Min(rem, room);
			}
			else
			{
				/* the rest goes on a new page */
				if (nnew == SK_MAX_NEW_PER_RECORD)
					break;
				nnew++;
				cur = nnew;
				avail = sk_fresh_page_avail();
				take = Min(rem, fresh_room);
			}
			items[nitems].page = cur;
			items[nitems].op = opi;
			items[nitems].data = ops[opi] + offset;
			items[nitems].len = take;
			items[nitems].flags = (offset == 0 ? SK_FRAG_FIRST : 0) |
				(offset + take == lens[opi] ? SK_FRAG_LAST : 0);
			nitems++;
			avail -= sk_item_cost(take);
			offset += take;
			if (offset == lens[opi])
			{
				opi++;
				offset = 0;
			}
		}

		/*
		 * Allocate new pages: the free list first, then never-used blocks
		 * from alloc_next on (extending the relation ahead when it ends
		 * there).  Those are read without I/O (RBM_ZERO_AND_LOCK): whatever
		 * the file holds there, no logged state refers to it.
		 */
		if (nnew > 0)
		{
			BlockNumber next_fresh;
			BlockNumber nblocks = InvalidBlockNumber;

			metabuf = ReadBuffer(rel, SK_METAPAGE_BLKNO);
			LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
			meta = sk_page_meta_checked(rel, BufferGetPage(metabuf));
			new_free_head = meta->free_head;
			next_fresh = Max(meta->alloc_next, SK_METAPAGE_BLKNO + 1);
			for (i = 0; i < nnew; i++)
			{
				if (BlockNumberIsValid(new_free_head))
				{
					newbufs[i] = ReadBuffer(rel, new_free_head);
					LockBuffer(newbufs[i], BUFFER_LOCK_EXCLUSIVE);
					new_free_head = SkPageGetOpaque(BufferGetPage(newbufs[i]))->next;
					ntaken++;
				}
				else
				{
					if (!BlockNumberIsValid(nblocks))
						nblocks = RelationGetNumberOfBlocks(rel);
					if (next_fresh >= nblocks)
						nblocks = sk_extend(rel, next_fresh, nblocks);
					newbufs[i] = ReadBufferExtended(rel, MAIN_FORKNUM, next_fresh,
													RBM_ZERO_AND_LOCK, NULL);
					next_fresh++;
				}
			}
		}

		/* The record's main data: header, items, the continued op. */
		memset(&xlrec, 0, sizeof(xlrec));
		xlrec.chain = pos->chain;
		xlrec.flags = 0;
		xlrec.kind = kind;
		xlrec.unused = 0;
		if (pos->detached)
			xlrec.flags |= SK_APPEND_DETACHED;
		if (nnew > 0)
			xlrec.flags |= SK_APPEND_META;
		if (BufferIsValid(tailbuf))
			xlrec.flags |= SK_APPEND_TAIL;
		xlrec.nnew = nnew;
		xlrec.nitems = nitems;
		xlrec.new_free_head = new_free_head;
		xlrec.nfree_taken = ntaken;
		/* an op that started in an earlier record and ends here goes whole */
		if (first_is_continued && nitems > 0 && (items[0].flags & SK_FRAG_LAST))
		{
			xlrec.flags |= SK_APPEND_OPDATA;
			xlrec.opdata_len = lens[first_op];
		}
		/*
		 * The record's main data: header, then each item packed (store.h):
		 * its prefix from pk, then the rest of its payload registered in
		 * place on the page (no copy), then the continued op.
		 */
		xlrec.flags |= SK_APPEND_PACKED;
		wal_len = sizeof(xlrec);
		{
			char	   *p = pk;
			const char *prevhdr = NULL;

			for (i = 0; i < nitems; i++)
			{
				Size		skip;
				char	   *start = p;

				p = sk_pk_prefix(p, items[i].flags, i == 0 || items[i].page != items[i - 1].page,
								 items[i].page + 1, items[i].data, items[i].len, prevhdr, &skip);
				pkoff[i] = start - pk;
				pkskip[i] = skip;
				if ((items[i].flags & SK_FRAG_FIRST) && items[i].len >= SK_PK_HDR)
					prevhdr = items[i].data;
				wal_len += (p - start) + items[i].len - skip;
			}
			pkoff[nitems] = p - pk;
		}
		wal_len += xlrec.opdata_len;

		XLogEnsureRecordSpace(1 + nnew, 2 + 2 * nitems);

		START_CRIT_SECTION();

		for (i = 0; i < nnew; i++)
		{
			Page		p = BufferGetPage(newbufs[i]);

			sk_meta_note_new_block(BufferGetPage(metabuf), BufferGetBlockNumber(newbufs[i]));
			sk_init_page(p, SK_PAGE_CHAIN, pos->chain);
			SkPageGetOpaque(p)->next =
				(i + 1 < nnew) ? BufferGetBlockNumber(newbufs[i + 1]) : InvalidBlockNumber;
		}
		if (BufferIsValid(tailbuf) && nnew > 0)
			SkPageGetOpaque(BufferGetPage(tailbuf))->next = BufferGetBlockNumber(newbufs[0]);

		/*
		 * Every store change is WAL-logged, always (never RelationNeedsWAL):
		 * redo keeps standbys' in-memory copies current from these records
		 * (docs/architecture.md, "WAL").
		 */
		XLogBeginInsert();
		XLogRegisterData((char *) &xlrec, sizeof(xlrec));
		for (i = 0; i < nitems; i++)
		{
			Page		page = items[i].page == 0 ? BufferGetPage(tailbuf) :
			BufferGetPage(newbufs[items[i].page - 1]);
			char	   *onpage = sk_add_item_crit(page, items[i].flags, items[i].data, items[i].len);

			XLogRegisterData(pk + pkoff[i], pkoff[i + 1] - pkoff[i]);
			if (items[i].len > pkskip[i])
				XLogRegisterData(onpage + sizeof(SkFragHeader) + pkskip[i],
								 items[i].len - pkskip[i]);
		}
		if (xlrec.opdata_len > 0)
			XLogRegisterData(unconstify(char *, ops[first_op]), lens[first_op]);

		if (nnew > 0)
		{
			meta->free_head = new_free_head;
			meta->nfree -= ntaken;
			if (!pos->detached)
			{
				SkChainMeta *cm = &meta->chains[pos->chain];

				if (!BlockNumberIsValid(cm->head))
					cm->head = BufferGetBlockNumber(newbufs[0]);
				cm->tail = BufferGetBlockNumber(newbufs[nnew - 1]);
				cm->npages += nnew;
			}
			MarkBufferDirty(metabuf);
		}
		if (BufferIsValid(tailbuf))
			MarkBufferDirty(tailbuf);
		for (i = 0; i < nnew; i++)
			MarkBufferDirty(newbufs[i]);

		if (nnew > 0)
			XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
		if (BufferIsValid(tailbuf))
			XLogRegisterBuffer(1, tailbuf, REGBUF_STANDARD);
		for (i = 0; i < nnew; i++)
			XLogRegisterBuffer(2 + i, newbufs[i], REGBUF_WILL_INIT | REGBUF_STANDARD);

		lsn = XLogInsert(STREAMKV_RMGR_ID, XLOG_SK_APPEND);

		if (nnew > 0)
			PageSetLSN(BufferGetPage(metabuf), lsn);
		if (BufferIsValid(tailbuf))
			PageSetLSN(BufferGetPage(tailbuf), lsn);
		for (i = 0; i < nnew; i++)
			PageSetLSN(BufferGetPage(newbufs[i]), lsn);

		END_CRIT_SECTION();

		sk_note_wal(lsn, wal_len);

		if (start_blks)
			for (i = 0; i < nitems; i++)
				if (items[i].flags & SK_FRAG_FIRST)
					start_blks[items[i].op] = items[i].page == 0 ? tailblk :
						BufferGetBlockNumber(newbufs[items[i].page - 1]);

		if (nnew > 0)
		{
			tailblk = BufferGetBlockNumber(newbufs[nnew - 1]);
			if (pos->detached)
			{
				if (!BlockNumberIsValid(pos->head))
					pos->head = BufferGetBlockNumber(newbufs[0]);
				pos->tail = tailblk;
				pos->npages += nnew;
			}
			for (i = 0; i < nnew; i++)
				UnlockReleaseBuffer(newbufs[i]);
			UnlockReleaseBuffer(metabuf);
		}
		if (BufferIsValid(tailbuf))
			UnlockReleaseBuffer(tailbuf);
	}
	if (items != items_local)
	{
		pfree(items);
		pfree(pk);
		pfree(pkoff);
		pfree(pkskip);
	}
	if (tail_hint && !pos->detached)
		*tail_hint = tailblk;
	return lsn;
}

XLogRecPtr
sk_chain_append(Relation rel, SkChainPos *pos, const char *op, Size oplen, uint8 kind)
{
	return sk_chain_append_ops(rel, pos, &op, &oplen, 1, kind, NULL);
}

/* ------------------------------------------------------------------------
 * Reading a chain
 * ------------------------------------------------------------------------
 */

/*
 * A reassembled fragment sequence holds one or more operations back to
 * back, each padded to MAXALIGN (compaction packs many in one).  data must
 * be MAXALIGN'd.  Returns how many operations it held.
 */
uint64
sk_for_each_op(const char *data, Size len, sk_op_callback cb, void *arg)
{
	Size		off = 0;
	uint64		n = 0;

	while (off + sizeof(SkOpHeader) <= len)
	{
		const SkOpHeader *op = (const SkOpHeader *) (data + off);
		Size		size = SkOpSize(op);

		if (off + size > len)
			break;				/* malformed: ignore the rest */
		cb(op, arg);
		n++;
		off += MAXALIGN(size);
	}
	return n;
}

/*
 * Walks a chain from head to tail (or to its end when tail is invalid),
 * calling cb for each complete fragment sequence, reassembled into a
 * MAXALIGN'd buffer -- or, with in_place, handed straight from the page when
 * it is one item (then not aligned: the callback must copy what it reads).
 * cb returns false to stop.  An incomplete sequence (a crash between the
 * records of a large one) is skipped.  Returns the number of sequences
 * visited.  Caller must prevent concurrent changes of the chain (its lock,
 * or redo blocked on it).
 */
uint64
sk_chain_walk(Relation rel, BlockNumber head, BlockNumber tail,
			  sk_seq_callback cb, void *arg, bool in_place)
{
	BlockNumber blk = head;
	StringInfoData acc;
	bool		in_op = false;
	uint64		nseq = 0;
	BlockNumber start_blk = InvalidBlockNumber;
	bool		stop = false;

	initStringInfo(&acc);
	while (BlockNumberIsValid(blk) && !stop)
	{
		Buffer		buf = ReadBuffer(rel, blk);
		Page		page;
		OffsetNumber off,
					maxoff;
		BlockNumber next;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (PageIsNew(page) || SkPageGetOpaque(page)->magic != SK_PAGE_MAGIC ||
			SkPageGetOpaque(page)->type != SK_PAGE_CHAIN)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("streamkv store \"%s\": block %u is not a chain page",
							RelationGetRelationName(rel), blk)));
		maxoff = PageGetMaxOffsetNumber(page);
		for (off = FirstOffsetNumber; off <= maxoff && !stop; off++)
		{
			ItemId		iid = PageGetItemId(page, off);
			char	   *item = PageGetItem(page, iid);
			Size		len = ItemIdGetLength(iid);
			SkFragHeader fh;

			memcpy(&fh, item, sizeof(fh));
			if (in_place && (fh.flags & SK_FRAG_FIRST) && (fh.flags & SK_FRAG_LAST))
			{
				/* a whole sequence in one item: no copy (not MAXALIGN'd) */
				stop = !cb(item + sizeof(SkFragHeader), len - sizeof(SkFragHeader), blk, arg);
				nseq++;
				in_op = false;
				continue;
			}
			if (fh.flags & SK_FRAG_FIRST)
			{
				resetStringInfo(&acc);
				in_op = true;
				start_blk = blk;
			}
			if (!in_op)
				continue;		/* tail of an op whose start we skipped */
			appendBinaryStringInfo(&acc, item + sizeof(SkFragHeader), len - sizeof(SkFragHeader));
			if (fh.flags & SK_FRAG_LAST)
			{
				stop = !cb(acc.data, acc.len, start_blk, arg);
				nseq++;
				in_op = false;
			}
		}
		next = SkPageGetOpaque(page)->next;
		UnlockReleaseBuffer(buf);
		if (blk == tail)
			break;
		blk = next;
		CHECK_FOR_INTERRUPTS();
	}
	pfree(acc.data);
	return nseq;
}

/* ------------------------------------------------------------------------
 * Switching a chain to a compacted copy, and flushing
 * ------------------------------------------------------------------------
 */

/*
 * Makes the detached chain newpos the chain's content and moves the old
 * pages to the free list.  Caller holds the shard lock exclusively.
 */
XLogRecPtr
sk_chain_switch(Relation rel, uint16 chain, SkChainPos *newpos,
				uint64 seq_base, uint64 live_ops)
{
	Buffer		metabuf;
	Buffer		tailbuf = InvalidBuffer;
	SkMetaPageData *meta;
	SkChainMeta *cm;
	xl_sk_switch xlrec;
	XLogRecPtr	lsn = InvalidXLogRecPtr;
	BlockNumber oldtail;

	/* Lock order: the old tail, then the metapage. */
	{
		SkMetaPageData m;

		sk_read_meta(rel, &m);
		oldtail = m.chains[chain].tail;
	}
	if (BlockNumberIsValid(oldtail))
	{
		tailbuf = ReadBuffer(rel, oldtail);
		LockBuffer(tailbuf, BUFFER_LOCK_EXCLUSIVE);
	}
	metabuf = ReadBuffer(rel, SK_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = sk_page_meta_checked(rel, BufferGetPage(metabuf));
	cm = &meta->chains[chain];
	Assert(cm->tail == oldtail);

	xlrec.chain = chain;
	xlrec.kind = meta->kind;
	xlrec.new_head = newpos->head;
	xlrec.new_tail = newpos->tail;
	xlrec.new_npages = newpos->npages;
	xlrec.old_head = cm->head;
	xlrec.old_npages = cm->npages;
	xlrec.old_free_head = meta->free_head;
	xlrec.unused2 = 0;
	xlrec.seq_base = seq_base;
	xlrec.live_ops = live_ops;

	START_CRIT_SECTION();
	if (BufferIsValid(tailbuf))
	{
		SkPageGetOpaque(BufferGetPage(tailbuf))->next = meta->free_head;
		meta->free_head = cm->head;
		meta->nfree += cm->npages;
		MarkBufferDirty(tailbuf);
	}
	cm->head = newpos->head;
	cm->tail = newpos->tail;
	cm->npages = newpos->npages;
	cm->seq_base = seq_base;
	MarkBufferDirty(metabuf);

	XLogBeginInsert();
	XLogRegisterData((char *) &xlrec, sizeof(xlrec));
	XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
	if (BufferIsValid(tailbuf))
		XLogRegisterBuffer(1, tailbuf, REGBUF_STANDARD);
	lsn = XLogInsert(STREAMKV_RMGR_ID, XLOG_SK_SWITCH);
	PageSetLSN(BufferGetPage(metabuf), lsn);
	if (BufferIsValid(tailbuf))
		PageSetLSN(BufferGetPage(tailbuf), lsn);
	END_CRIT_SECTION();

	sk_note_wal(lsn, sizeof(xlrec));

	UnlockReleaseBuffer(metabuf);
	if (BufferIsValid(tailbuf))
		UnlockReleaseBuffer(tailbuf);
	return lsn;
}

/*
 * Empties every chain of a keyspace store onto the free list.  Caller holds
 * all shard locks exclusively.  seq_base[i] is the last sequence number used
 * in shard i, so numbering continues after the flush.
 */
XLogRecPtr
sk_store_flush(Relation rel, const uint64 *seq_base)
{
	SkMetaPageData m;
	Buffer		tails[SK_NSHARDS];
	Buffer		metabuf;
	SkMetaPageData *meta;
	xl_sk_flush xlrec;
	XLogRecPtr	lsn;
	int			i;

	sk_read_meta(rel, &m);
	for (i = 0; i < SK_NSHARDS; i++)
	{
		tails[i] = InvalidBuffer;
		if (BlockNumberIsValid(m.chains[i].tail))
		{
			tails[i] = ReadBuffer(rel, m.chains[i].tail);
			LockBuffer(tails[i], BUFFER_LOCK_EXCLUSIVE);
		}
	}
	metabuf = ReadBuffer(rel, SK_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	meta = sk_page_meta_checked(rel, BufferGetPage(metabuf));

	memset(&xlrec, 0, sizeof(xlrec));
	xlrec.nchains = SK_NSHARDS;
	xlrec.kind = meta->kind;
	memcpy(xlrec.seq_base, seq_base, sizeof(xlrec.seq_base));
	{
		BlockNumber fh = meta->free_head;

		for (i = 0; i < SK_NSHARDS; i++)
		{
			xlrec.tail_next[i] = InvalidBlockNumber;
			if (BufferIsValid(tails[i]))
			{
				xlrec.tail_next[i] = fh;
				fh = meta->chains[i].head;
				xlrec.nfree_added += meta->chains[i].npages;
			}
		}
		xlrec.new_free_head = fh;
	}

	XLogEnsureRecordSpace(SK_NSHARDS, 0);

	START_CRIT_SECTION();
	for (i = 0; i < SK_NSHARDS; i++)
	{
		SkChainMeta *cm = &meta->chains[i];

		if (BufferIsValid(tails[i]))
		{
			SkPageGetOpaque(BufferGetPage(tails[i]))->next = meta->free_head;
			meta->free_head = cm->head;
			meta->nfree += cm->npages;
			MarkBufferDirty(tails[i]);
		}
		cm->head = cm->tail = InvalidBlockNumber;
		cm->npages = 0;
		cm->seq_base = seq_base[i];
	}
	MarkBufferDirty(metabuf);

	XLogBeginInsert();
	XLogRegisterData((char *) &xlrec, sizeof(xlrec));
	XLogRegisterBuffer(0, metabuf, REGBUF_STANDARD);
	for (i = 0; i < SK_NSHARDS; i++)
		if (BufferIsValid(tails[i]))
			XLogRegisterBuffer(1 + i, tails[i], REGBUF_STANDARD);
	lsn = XLogInsert(STREAMKV_RMGR_ID, XLOG_SK_FLUSH);
	PageSetLSN(BufferGetPage(metabuf), lsn);
	for (i = 0; i < SK_NSHARDS; i++)
		if (BufferIsValid(tails[i]))
			PageSetLSN(BufferGetPage(tails[i]), lsn);
	END_CRIT_SECTION();

	sk_note_wal(lsn, sizeof(xlrec));

	UnlockReleaseBuffer(metabuf);
	for (i = 0; i < SK_NSHARDS; i++)
		if (BufferIsValid(tails[i]))
			UnlockReleaseBuffer(tails[i]);
	return lsn;
}

/*
 * Describes one operation (SkOpHeader, key, field, value) for rm_desc;
 * name is the kind's name for op->kind.
 */
void
sk_op_desc(StringInfo buf, const char *p, Size len, const char *name)
{
	SkOpHeader	op;
	int			klen;

	if (len < sizeof(SkOpHeader))
		return;
	memcpy(&op, p, sizeof(op));
	klen = Min(op.keylen, len - sizeof(SkOpHeader));
	klen = Min(klen, 64);
	appendStringInfo(buf, " op %s seq " UINT64_FORMAT " key \"%.*s\"",
					 name ? name : "?", op.seq, klen, p + sizeof(SkOpHeader));
	if (op.fieldlen > 0)
		appendStringInfo(buf, " field %u bytes", op.fieldlen);
	appendStringInfo(buf, " value %u bytes", op.vallen);
	if (op.expire_at != 0)
		appendStringInfo(buf, " expire_at " INT64_FORMAT, op.expire_at);
}
