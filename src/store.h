/*-------------------------------------------------------------------------
 *
 * store.h
 *	  The page store: page layout, metapage, chains of operations, and the
 *	  WAL record formats that change them.
 *
 * Locking: chain functions expect the caller to hold the lock that owns
 * the chain (a keyspace shard's, a topic partition's, a database's groups
 * lock) exclusively to append, switch or truncate; buffer content locks are
 * taken inside, a chain's tail before the metapage.  Redo takes buffer
 * locks only, then releases them before touching memory (wal.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_STORE_H
#define STREAMKV_STORE_H

#include "access/xlogreader.h"
#include "lib/stringinfo.h"
#include "storage/bufpage.h"
#include "storage/buf.h"
#include "utils/rel.h"

#include "streamkv.h"

#define SK_PAGE_MAGIC			0x534B5631	/* "SKV1", for pg_filedump */
#define SK_META_MAGIC			0x534B4D31	/* "SKM1" */
/*
 * The page format.  A store of another version is refused (XX002) rather
 * than misread; nothing has been released, so there is no upgrade path.
 * 2: every metapage has alloc_next; WAL records name their kind.
 */
#define SK_STORE_VERSION		2

#define SK_METAPAGE_BLKNO		0

#define SK_PAGE_META			1
#define SK_PAGE_CHAIN			2

/* Special space of every store page. */
typedef struct SkPageOpaqueData
{
	BlockNumber next;			/* next page of the chain / free list */
	uint16		type;			/* SK_PAGE_* */
	uint16		chain;			/* chain (shard) this page was written for */
	uint32		magic;			/* SK_PAGE_MAGIC */
	uint32		unused;
} SkPageOpaqueData;

typedef SkPageOpaqueData *SkPageOpaque;

#define SkPageGetOpaque(page) ((SkPageOpaque) PageGetSpecialPointer(page))

/* Most chains a store can have (topics will use one per partition). */
#define SK_MAX_CHAINS			256

typedef struct SkChainMeta
{
	BlockNumber head;			/* first page, InvalidBlockNumber if empty */
	BlockNumber tail;			/* last page */
	uint32		npages;
	uint32		unused;
	uint64		seq_base;		/* every operation in the chain has seq > this */
} SkChainMeta;

/* A topic's configuration (topic stores only), in the metapage. */
#define SK_TOPIC_NAME_MAX		249 /* Kafka's limit */
#define SK_TS_CREATE			0
#define SK_TS_LOG_APPEND		1

typedef struct SkTopicConf
{
	char		name[SK_TOPIC_NAME_MAX + 7];	/* NUL-terminated */
	int32		partitions;
	int32		max_message_bytes;
	int32		timestamp_type; /* SK_TS_* */
	int32		unused;
	int64		retention_ms;	/* -1: forever */
	int64		retention_bytes;	/* per partition, -1: unlimited */
} SkTopicConf;

typedef struct SkMetaPageData
{
	uint32		magic;
	uint32		version;
	uint32		kind;			/* SK_STORE_* */
	uint32		nchains;
	BlockNumber free_head;		/* free list, linked through opaque->next */
	uint32		nfree;
	SkChainMeta chains[SK_MAX_CHAINS];	/* topics: seq_base = log start */
	SkTopicConf topic;

	/*
	 * Every block at or past alloc_next has never been part of a chain or
	 * of the free list: blocks there that exist in the file (the relation is
	 * extended ahead, several blocks at a time, without WAL) are free and
	 * uninitialized, whatever a crash left in them.  Advanced with the
	 * APPEND record that first uses a block.
	 */
	BlockNumber alloc_next;
	uint32		unused2;
} SkMetaPageData;

#define SkPageGetMeta(page) ((SkMetaPageData *) PageGetContents(page))

/*
 * Items on chain pages are fragments of operations: a 4-byte header then
 * bytes.  An operation that fits on a page is one fragment with FIRST|LAST.
 */
#define SK_FRAG_FIRST			0x01
#define SK_FRAG_LAST			0x02

typedef struct SkFragHeader
{
	uint8		flags;
	uint8		unused[3];
} SkFragHeader;

/*
 * An operation (the logical entry of a keyspace chain, like an AOF line).
 * Generic operations act on any key; each value type (kvmem.h, registry in
 * kinds.c) owns a range of 16 kinds.
 */
typedef enum SkOpKind
{
	SK_OP_DEL = 1,				/* remove key */
	SK_OP_EXPIRE = 2,			/* key's expire_at := expire_at (0: persist) */
	SK_OP_EXPIRED = 3,			/* remove key because its TTL passed */
	/* strings (type_string.c) */
	SK_OP_SET = 16,				/* key := string value, expire_at */
	SK_OP_APPEND = 17,			/* string key: value .= value */
	/* hashes (type_hash.c) */
	SK_OP_HSET = 32,			/* hash key: field := value (creates hash) */
	SK_OP_HDEL = 33,			/* hash key: remove field (and key if empty) */
	/* sorted sets (type_zset.c): the value is a list of members */
	SK_OP_ZADD = 48,			/* zset key: member := score, for each (score, member) */
	SK_OP_ZREM = 49,			/* zset key: remove each member (and key if empty) */
	SK_OP_ZSTORE = 50,			/* key := the zset of the (score, member) list (none: deleted) */
	/* bloom filters (type_bloom.c, formats in bf.h) */
	SK_OP_BFRESERVE = 64,		/* key := an empty filter of the parameters */
	SK_OP_BFADD = 65,			/* filter key (created if missing): add each item hash */
	SK_OP_BFLOAD = 66			/* filter key: a link's bitmap bytes (compaction) */
} SkOpKind;

typedef struct SkOpHeader
{
	uint8		kind;
	uint8		unused[3];
	uint32		keylen;
	uint32		fieldlen;
	uint32		vallen;
	uint64		seq;
	int64		expire_at;		/* ms since the Unix epoch, 0 = none */
} SkOpHeader;

#define SkOpKey(op)		((char *) (op) + sizeof(SkOpHeader))
#define SkOpField(op)	(SkOpKey(op) + (op)->keylen)
#define SkOpValue(op)	(SkOpField(op) + (op)->fieldlen)
#define SkOpSize(op)	(sizeof(SkOpHeader) + (op)->keylen + (op)->fieldlen + (op)->vallen)

/* ------------------------------------------------------------------------
 * WAL records (wal.c)
 * ------------------------------------------------------------------------
 */
#define XLOG_SK_APPEND			0x10
#define XLOG_SK_SWITCH			0x20
#define XLOG_SK_FLUSH			0x30
#define XLOG_SK_TRUNCATE		0x40
#define XLOG_SK_PUBLISH			0x50	/* a pub/sub message (pubsub.c): no block,
										 * no store kind, not flushed at commit;
										 * redo delivers it to the standby's
										 * subscribers */

/* xl_sk_append.flags */
#define SK_APPEND_OPDATA		0x01	/* full op follows the items: apply it */
#define SK_APPEND_DETACHED		0x02	/* chain not (yet) in the metapage */
#define SK_APPEND_META			0x04	/* block 0 is the metapage */
#define SK_APPEND_TAIL			0x08	/* block 1 is the old tail */
#define SK_APPEND_PACKED		0x20	/* items in the packed form (below) */

/*
 * APPEND: items added to a chain's tail and/or to new pages.
 * Blocks: 0 metapage (if SK_APPEND_META), 1 old tail (if SK_APPEND_TAIL),
 * 2.. new pages in chain order (REGBUF_WILL_INIT).
 * Main data: xl_sk_append, then nitems items, then the whole op if
 * SK_APPEND_OPDATA.  Everything is in the main data so that redo can update
 * the in-memory copy even when a block was restored from a full-page image.
 *
 * Items are packed (the only form; SK_APPEND_PACKED marks it): a code byte (the
 * fragment's SK_FRAG_* flags plus SK_PK_*), the block id when SK_PK_BLOCK
 * (set on the first item and whenever the block changes), the payload's
 * length (one byte with SK_PK_LEN1, else a uint16), then the payload.  With
 * SK_PK_DELTA (a FIRST fragment of at least SK_PK_HDR bytes, after another
 * one in the same record) the payload's first SK_PK_HDR bytes -- the record
 * or operation header: offsets and sequence numbers count up by one, the
 * rest rarely changes -- are not logged but given as differences from the
 * previous FIRST fragment's, per 8-byte word: a byte with a bit per word
 * that differs, then each difference as a zigzag varint.  A 100-byte record
 * costs 4 bytes of WAL beyond its payload instead of 40.
 */
#define SK_PK_BLOCK				0x04
#define SK_PK_LEN1				0x08
#define SK_PK_DELTA				0x10
#define SK_PK_HDR				32
#define SK_PK_MAXPREFIX			(1 + 1 + 2 + 1 + (SK_PK_HDR / 8) * 10)

typedef struct xl_sk_append
{
	uint16		chain;
	uint8		flags;
	uint8		nnew;			/* new pages */
	uint32		nitems;
	BlockNumber new_free_head;	/* metapage's free list after this */
	uint16		nfree_taken;	/* pages taken from the free list (<= nnew) */
	uint8		kind;			/* SK_STORE_*: whose redo applies the items */
	uint8		unused;
	uint32		opdata_len;
} xl_sk_append;


/*
 * SWITCH: a compacted chain replaces a chain; the old pages go to the free
 * list.  Blocks: 0 metapage, 1 old tail (if the old chain had pages).
 */
typedef struct xl_sk_switch
{
	uint16		chain;
	uint16		kind;			/* SK_STORE_* */
	BlockNumber new_head;
	BlockNumber new_tail;
	uint32		new_npages;
	BlockNumber old_head;
	uint32		old_npages;
	BlockNumber old_free_head;	/* the old tail's new next */
	uint32		unused2;
	uint64		seq_base;
	uint64		live_ops;		/* operations in the new chain */
} xl_sk_switch;

/*
 * FLUSH: every chain is emptied onto the free list.  Blocks: 0 metapage,
 * 1 + i the old tail of chain i when it had pages.
 */
typedef struct xl_sk_flush
{
	uint32		nchains;
	BlockNumber new_free_head;
	uint32		nfree_added;
	uint32		kind;			/* SK_STORE_* */
	BlockNumber tail_next[SK_NSHARDS];	/* each old tail's new next */
	uint64		seq_base[SK_NSHARDS];
} xl_sk_flush;

/*
 * TRUNCATE: retention frees pages from a chain's head.  Blocks: 0 metapage,
 * 1 the last freed page (it now links to the old free list).
 */
typedef struct xl_sk_truncate
{
	uint16		chain;
	uint16		kind;			/* SK_STORE_* */
	BlockNumber old_head;
	BlockNumber new_head;
	uint32		nfreed;
	BlockNumber old_free_head;
	uint32		unused2;
	int64		new_log_start;
} xl_sk_truncate;

/* ------------------------------------------------------------------------
 * store.c
 * ------------------------------------------------------------------------
 */
extern void sk_init_page(Page page, uint16 type, uint16 chain);
extern void sk_init_metapage(Page page, uint32 kind, uint32 nchains);
extern void sk_store_create(const char *relname, uint32 kind, const SkTopicConf *conf);
extern void sk_store_drop(Oid relid);
extern bool sk_store_dropping(void);
extern bool sk_store_exists(RelFileNode rnode);
extern XLogRecPtr sk_store_set_topic_conf(Relation rel, const SkTopicConf *conf);
extern XLogRecPtr sk_chain_truncate(Relation rel, uint16 chain, BlockNumber new_head,
									BlockNumber last_freed, uint32 nfreed, int64 new_log_start);
extern Oid	sk_keyspace_store_oid(bool missing_ok);
extern Oid	sk_named_store_oid(const char *relname, bool missing_ok);
extern Relation sk_open_named_store(const char *relname, LOCKMODE lockmode);
extern void sk_read_meta(Relation rel, SkMetaPageData *meta);

/* Where a chain is: a chain of the metapage, or a detached one. */
typedef struct SkChainPos
{
	uint16		chain;
	bool		detached;
	BlockNumber head;			/* detached chains only */
	BlockNumber tail;
	uint32		npages;
} SkChainPos;

extern XLogRecPtr sk_chain_append(Relation rel, SkChainPos *pos,
								  const char *op, Size oplen, uint8 kind);
extern XLogRecPtr sk_chain_append_ops(Relation rel, SkChainPos *pos,
									  const char *const *ops, const Size *lens,
									  int nops, uint8 kind, BlockNumber *start_blks);
extern XLogRecPtr sk_chain_append_ops_hinted(Relation rel, SkChainPos *pos,
											 const char *const *ops, const Size *lens,
											 int nops, uint8 kind, BlockNumber *start_blks,
											 BlockNumber *tail_hint);

/* Callback for each complete operation found while walking a chain. */
typedef void (*sk_op_callback) (const SkOpHeader *op, void *arg);
extern uint64 sk_for_each_op(const char *data, Size len, sk_op_callback cb, void *arg);
/* Callback for each complete fragment sequence (an op, or a blob of ops). */
typedef bool (*sk_seq_callback) (const char *data, Size len, BlockNumber start_blk, void *arg);
extern uint64 sk_chain_walk(Relation rel, BlockNumber head, BlockNumber tail,
							sk_seq_callback cb, void *arg, bool in_place);

extern XLogRecPtr sk_chain_switch(Relation rel, uint16 chain, SkChainPos *newpos,
								  uint64 seq_base, uint64 live_ops);
extern XLogRecPtr sk_store_flush(Relation rel, const uint64 *seq_base);

extern void sk_op_desc(StringInfo buf, const char *p, Size len, const char *name);

/* wal.c */
extern void sk_rmgr_register(void);
extern void sk_meta_note_new_block(Page metapage, BlockNumber blk);

/* topic.c hooks used by redo */
extern void sk_topic_redo_record(RelFileNode rnode, uint16 chain, const char *rec,
								 Size len, BlockNumber start_blk);
extern void sk_topic_redo_truncate(RelFileNode rnode, uint16 chain, BlockNumber new_head,
								   int64 new_log_start);

#endif							/* STREAMKV_STORE_H */
