/*-------------------------------------------------------------------------
 *
 * kinds.h
 *	  The registry of store kinds (kinds.c): one row per kind of store, the
 *	  way PostgreSQL's rmgrlist.h lists resource managers.
 *
 * Everything that must know every kind -- shared-memory setup, redo
 * routing, WAL descriptions, the worker's round, the commit hook, the slot
 * table -- walks sk_store_kinds[] instead of naming the kinds.  Adding a
 * store kind is one file with its functions plus one row in kinds.c.
 *
 * Every WAL record of streamkv names its store's kind explicitly (a kind
 * byte in the record); redo dispatches through the row of that kind and
 * PANICs on a kind it does not know.
 *
 * Locking: the rows are constant.  Each row's functions state their own
 * locking in the kind's header.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_KINDS_H
#define STREAMKV_KINDS_H

#include "lib/stringinfo.h"
#include "storage/block.h"
#include "storage/lwlock.h"
#include "utils/rel.h"

#include "slot.h"

typedef struct SkStoreKind
{
	uint32		kind;			/* SK_STORE_*: also the kind byte of WAL records */
	const char *name;			/* in messages, info() and the LWLock tranche */
	const char *chain_name;		/* what a chain is in this kind ("shard", "partition") */

	/* the kind's GUCs, defined in _PG_init (may be NULL) */
	void		(*define_gucs) (void);

	/* fixed shared memory of the kind (may be 0/NULL) */
	Size		(*shmem_size) (void);
	void		(*shmem_init) (void *ptr, bool found);

	/* slots (slot.c): the kind's slot struct starts with an SkSlot */
	Size		slot_size;
	void		(*slot_init) (SkSlot *s, int tranche_id);	/* once per header: locks, CVs */
	void		(*lock_all) (SkSlot *s, LWLockMode mode);
	bool		(*try_lock_all) (SkSlot *s);	/* exclusively, without waiting */
	void		(*unlock_all) (SkSlot *s);
	void		(*load) (SkSlot *s, Relation rel);	/* all locks held; may ERROR */
	void		(*unload) (SkSlot *s);	/* all locks held; frees; never ERRORs */

	/* redo of records naming this kind (never ERROR; see wal.c) */
	void		(*redo_seq) (RelFileNode rnode, uint16 chain, const char *data, Size len,
							 BlockNumber start_blk);
	void		(*redo_switch) (RelFileNode rnode, uint16 chain, uint64 live_ops);
	void		(*redo_flush) (RelFileNode rnode);
	void		(*redo_truncate) (RelFileNode rnode, uint16 chain, BlockNumber new_head,
								  int64 new_log_start);
	/* one complete operation or record of a chain, for rm_desc */
	void		(*desc_seq) (StringInfo buf, const char *data, Size len);

	/* the maintenance worker's round (primary only), and the commit hook */
	void		(*maintain) (MemoryContext roundcxt);
	void		(*after_commit) (void);
} SkStoreKind;

extern const SkStoreKind sk_store_kinds[];
extern const int sk_nstore_kinds;

/* The row of kind, or NULL when no kind has that number. */
extern const SkStoreKind *sk_store_kind(uint32 kind);

/* The kind's LWLock tranche (one per kind, named after it). */
extern int	sk_kind_tranche(uint32 kind);

#endif							/* STREAMKV_KINDS_H */
