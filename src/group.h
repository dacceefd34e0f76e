/*-------------------------------------------------------------------------
 *
 * group.h
 *	  Consumer groups and share groups (group*.c, share_group.c): shared memory, redo hooks
 *	  and the maintenance entry point.
 *
 * Locking: SkGroupDb.lock (tranche "streamkv groups") guards all of a
 * database's groups, exclusively to change them, shared to read; topics are
 * opened before it is taken and their locks are taken after it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_GROUP_H
#define STREAMKV_GROUP_H

#include "store.h"

/* Operation kinds of a groups store's chain (SkOpHeader.kind). */
#define SK_GOP_CREATE_SHARE		64
#define SK_GOP_DELETE			65
#define SK_GOP_COMMIT			66
#define SK_GOP_MEMBERS			67
#define SK_GOP_ACQUIRE			68
#define SK_GOP_ACK				69
#define SK_GOP_RELEASE			70
#define SK_GOP_ARCHIVE			71
#define SK_GOP_SKIP				72
#define SK_GOP_SHARE_STATE		73
#define SK_GOP_CONSUMERS		74

extern int	sk_offsets_retention_s;

#include "slot.h"

/*
 * Locking: lock (tranche "streamkv groups") guards everything of the
 * database's groups; the slot's state changes only under it, exclusively.
 */
/* A database's consumer groups: a slot of the slot table (slot.h). */
typedef struct SkGroupDb
{
	SkSlot		slot;			/* key.rnode: the database's groups store */
	LWLock		lock;
	uint64		applied_seq;
	uint64		chain_ops;
	uint64		snapshot_ops;	/* operations written by the last compaction */
	uint64		compactions;
	bool		replayed;		/* redo changed it: heartbeat times are stale */
	int32		ngroups;
	int32		cap;
	dsa_pointer groups;			/* dsa_pointer[cap] of SkGroup */
} SkGroupDb;

/* The groups' row of the store-kind registry (kinds.c) */
extern void sk_group_slot_init(SkSlot *s, int tranche_id);
extern void sk_group_lock_all(SkSlot *s, LWLockMode mode);
extern bool sk_group_try_lock_all(SkSlot *s);
extern void sk_group_unlock_all(SkSlot *s);
extern void sk_group_load(SkSlot *s, Relation rel);
extern void sk_group_unload(SkSlot *s);
extern void sk_group_maintain(MemoryContext roundcxt);
extern void sk_group_define_gucs(void);
extern int	sk_group_dead_letter_all(void);

/* worker.c: starts a dead-letter worker in the database unless one runs */
extern void sk_worker_request_dead_letters(Oid dbid);
extern const char *sk_group_op_name(uint8 kind);

/* redo hooks (wal.c) */
extern void sk_group_redo_op(RelFileNode rnode, const SkOpHeader *op);
extern void sk_group_redo_switch(RelFileNode rnode, uint64 live_ops);

#endif							/* STREAMKV_GROUP_H */
