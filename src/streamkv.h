/*-------------------------------------------------------------------------
 *
 * streamkv.h
 *	  Declarations shared by streamkv's subsystems: GUCs, the resource
 *	  manager id, shared memory and the per-database in-memory state.
 *
 * Layout of the extension (docs/architecture.md describes it whole):
 *	  streamkv.c  _PG_init, GUCs, shared memory, commit-time flush, utility hook
 *	  kinds.c     the registries: store kinds and keyspace value types
 *	  slot.c      the slot table every store kind uses; the shared write path
 *	  store.c     the page store: stub index AM, metapage, chains, free list
 *	  wal.c       the custom WAL resource manager (redo, desc, identify, mask)
 *	  kvmem.c     the in-memory keyspace (hash tables in the DSA area)
 *	  type_*.c    keyspace value types (string, hash, zset); zset_core.c the skiplist
 *	  keyspace.c, ks_*.c      the Redis-style SQL functions
 *	  topic_*.c   Kafka-style topics; group*.c, share_group.c: consumer groups
 *	  worker.c    the maintenance background worker
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_H
#define STREAMKV_H

#include "postgres.h"

#include "access/rmgr.h"
#include "access/xlogdefs.h"
#include "storage/block.h"
#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "storage/relfilenode.h"
#include "port/atomics.h"
#include "utils/dsa.h"
#include "utils/timestamp.h"

/*
 * The resource manager id. RM_EXPERIMENTAL_ID (128) while in development; a
 * reserved id replaces it here and nowhere else.
 */
#define STREAMKV_RMGR_ID		RM_EXPERIMENTAL_ID
#define STREAMKV_RMGR_NAME		"streamkv"

/* Keyspace stores are split into this many shards (independent chains). */
#define SK_NSHARDS				16

/* Store kinds, kept in the metapage. */
#define SK_STORE_KEYSPACE		1
#define SK_STORE_TOPIC			2
#define SK_STORE_GROUPS			3

/* GUCs (streamkv.c) */
extern int	sk_max_memory_kb;
extern int	sk_worker_naptime_ms;
extern double sk_compact_dead_fraction;
extern int	sk_compact_min_pages;
extern int	sk_expire_sample;
extern bool sk_worker_enabled;

/* ------------------------------------------------------------------------
 * In-memory state of one database's keyspace (kvmem.c): a slot of the slot
 * table (slot.h) of kind SK_STORE_KEYSPACE.
 *
 * Locking: each shard's LWLock (tranche "streamkv keyspace") guards
 * everything in that shard: its hash table, its counters and its applied
 * sequence number.  The slot's state and key change only while all of its
 * shard locks are held exclusively (in shard order), so holding any one
 * shard lock freezes them.  Lock order: shard locks in ascending order,
 * then buffers (docs/architecture.md, "Locks").
 * ------------------------------------------------------------------------
 */
#include "slot.h"

/* The slot states under their keyspace names (one state machine: slot.h). */
#define SK_DB_NOT_LOADED	SK_SLOT_NOT_LOADED
#define SK_DB_READY			SK_SLOT_READY
#define SK_DB_BROKEN		SK_SLOT_BROKEN

typedef struct SkShard
{
	LWLock		lock;
	uint64		applied_seq;	/* last operation applied to memory */
	dsa_pointer table;			/* SkTable of SkKey, or InvalidDsaPointer */
	uint64		nkeys[8];		/* keys per value type (SkKey.type, kvmem.h) */
	uint64		nelems;			/* elements of aggregate values (hash fields) */
	uint64		nzmembers;		/* members of sorted sets */
	uint64		nbfchunks;		/* BFLOADs a snapshot of its bloom filters has */
	uint64		nvolatile;		/* keys with an expiry */
	uint64		chain_ops;		/* operations in the chain (live or dead) */
	uint32		expire_cursor;	/* bucket where the next expiry scan starts */
	BlockNumber tail_hint;		/* the chain's tail as the last append left it,
								 * or InvalidBlockNumber: see
								 * sk_chain_append_ops_hinted */
} SkShard;

typedef struct SkDb
{
	SkSlot		slot;			/* key.rnode: the keyspace store */
	uint64		compactions;
	TimestampTz last_compaction;
	pg_atomic_uint64 expired_keys;
	/* blocking pops (bzpopmin): waiters sleep on zset_cv, writers wake them */
	pg_atomic_uint32 zset_waiters;
	ConditionVariable zset_cv;
	SkShard		shards[SK_NSHARDS];
} SkDb;

/*
 * The fixed shared memory of streamkv: counters, the LWLock tranches, then
 * the DSA area created in place.  Everything else is in the area.
 */
typedef struct SkShared
{
	int			tranche_id;		/* "streamkv": the DSA area */
	int			kind_tranche[8];	/* one per store kind (kinds.c) */
	pg_atomic_uint64 mem_used;	/* bytes allocated in the DSA area */
	pg_atomic_uint64 mem_by_kind[5];	/* the same per SK_MEM_* kind (kvmem.h,
										 * SK_MEM_NKINDS) */
	pg_atomic_uint64 wal_records;
	pg_atomic_uint64 wal_bytes;
	pid_t		worker_pid;
	/* the DSA area is created in place after this struct */
} SkShared;

extern SkShared *sk_shared;

/* streamkv.c */
extern void sk_check_preloaded(void);
extern void sk_check_writable(void);
extern dsa_area *sk_area(void);
extern void sk_note_wal(XLogRecPtr end_lsn, uint32 len);
extern int64 sk_now_ms(void);
extern void sk_async_flush(void);
extern Size sk_max_memory_bytes(void);

#endif							/* STREAMKV_H */
