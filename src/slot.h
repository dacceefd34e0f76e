/*-------------------------------------------------------------------------
 *
 * slot.h
 *	  The slot table: the in-memory copy of every store, of every kind, in
 *	  one table (docs/architecture.md, "Slots").
 *
 * A slot is the shared-memory state of one store (a database's keyspace,
 * a topic, a database's consumer groups), allocated in the DSA area and
 * found through a dshash table keyed by (store kind, RelFileNode).  There is
 * no fixed number of slots: their number is bounded only by
 * streamkv.max_memory.  A slot's header and its locks stay allocated for as
 * long as its store exists, so that a process holding a pointer to it (a
 * backend between two calls, a sleeper on one of its condition variables)
 * never sees it freed; what a slot loads (hash tables, page indexes, groups)
 * is freed when the slot is unloaded.  The headers of dropped stores go to
 * a free list of their kind and are reused, locks and condition variables
 * included (never re-initialised), for another store of that kind.
 *
 * States: NOT_LOADED -> READY (loaded from the store's pages at a
 * consistent cut with redo), READY -> BROKEN (memory ran short in redo, or
 * a write failed after changing memory) -> reloaded on next use, and
 * READY -> NOT_LOADED when the slot is unloaded, least recently used first,
 * to make room (sk_slot_make_room) -- on primaries and standbys alike: redo
 * applies an operation to memory only when the slot is READY, so an
 * unloaded slot is simply rebuilt from the replayed pages when next used.
 *
 * Locking: each kind has its own locks inside its slots (keyspace: one per
 * shard; topic: the slot lock, then one per partition; groups: one).  A
 * slot's state and key change only while the caller holds *all* of the
 * slot's locks exclusively (the kind's lock_all), so holding any one of them
 * freezes both; every user re-checks the key after locking, since a slot
 * whose store was dropped may have been handed to another store meanwhile.
 * The dshash table's partition locks are held only inside slot.c, never
 * while a slot lock is taken or while allocating.  Eviction takes slot
 * locks only conditionally, so it can run while the caller holds locks of
 * its own slot.  Lock order across streamkv: see docs/architecture.md,
 * "Locks": slot table (dshash partition) -> slot locks of one slot in the
 * kind's order -> buffer locks; never two slots' locks unconditionally.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_SLOT_H
#define STREAMKV_SLOT_H

#include "port/atomics.h"
#include "storage/relfilenode.h"
#include "utils/dsa.h"
#include "utils/rel.h"

typedef enum SkSlotState
{
	SK_SLOT_NOT_LOADED = 0,
	SK_SLOT_READY,
	SK_SLOT_BROKEN				/* memory must be freed and reloaded */
} SkSlotState;

/* The dshash key: padding-free, compared with memcmp. */
typedef struct SkSlotKey
{
	RelFileNode rnode;
	uint32		kind;			/* SK_STORE_* */
} SkSlotKey;

/*
 * The header every kind's slot struct starts with.  key and state: see the
 * locking paragraph above.  last_used: the LRU clock's value at last use.
 */
typedef struct SkSlot
{
	SkSlotKey	key;
	SkSlotState state;
	uint32		unused;
	pg_atomic_uint64 last_used;
	uint64		loads;			/* times loaded since the slot was assigned */
	uint64		unloads;		/* times unloaded to make room */
	double		last_load_ms;
	dsa_pointer self;
	dsa_pointer next_free;		/* free list of the kind */
} SkSlot;

struct SkStoreKind;

extern Size sk_slots_shmem_size(void);
extern void sk_slots_shmem_init(void *ptr, bool found, dsa_area *area);

/* Finds or creates the slot of rnode (not necessarily loaded). */
extern SkSlot *sk_slot_get(uint32 kind, RelFileNode rnode);

/* The slot of rnode if there is one (redo, the worker): no allocation. */
extern SkSlot *sk_slot_find(uint32 kind, RelFileNode rnode);

/* Whether the slot still belongs to rnode (call with one of its locks held). */
static inline bool
sk_slot_is(const SkSlot *s, uint32 kind, RelFileNode rnode)
{
	return s->key.kind == kind && RelFileNodeEquals(s->key.rnode, rnode);
}

/* Notes a use of the slot for LRU (cheap: writes when the clock moved). */
extern void sk_slot_touch(SkSlot *s);
/* Advances the LRU clock (the worker, once a round). */
extern void sk_slot_tick(void);

/*
 * Loads the slot from rel through its kind's load function, making room
 * first.  Caller holds all of the slot's locks exclusively.  On error the
 * slot is left NOT_LOADED with its memory freed.
 */
extern void sk_slot_load(SkSlot *s, Relation rel);

/*
 * Unloads the slot (frees what it loaded): caller holds all of its locks
 * exclusively.  Never errors.
 */
extern void sk_slot_unload(SkSlot *s);

/* The store is gone: unload its slot and put the header on the free list. */
extern void sk_slot_forget(uint32 kind, RelFileNode rnode);

/*
 * Unloads idle slots, least recently used first, until need more bytes fit
 * under streamkv.max_memory.  Slots whose locks someone holds are skipped
 * (so the caller's own slot is never unloaded).  Never errors; true if need
 * now fits.
 */
extern bool sk_slot_make_room(Size need);

/* Calls cb for every slot of kind (READY or not); cb may take slot locks. */
typedef void (*sk_slot_visitor) (SkSlot *s, void *arg);
extern void sk_slot_foreach(uint32 kind, sk_slot_visitor cb, void *arg);

/* Counters for info(): slots in use, loaded, unloads since start. */
extern void sk_slot_counts(uint32 kind, uint64 *nslots, uint64 *nloaded, uint64 *nunloads);

/* The write path shared by the kinds whose chains hold operations (store.h) */
struct SkOpHeader;
typedef bool (*sk_op_apply_fn) (void *target, const struct SkOpHeader *op);
extern void sk_mem_check(Size need);
struct SkChainMeta;
extern void sk_slot_load_ops(Relation rel, const struct SkChainMeta *cm, sk_op_apply_fn apply,
							 void *target, const char *what, uint64 *maxseq, uint64 *nops);
extern void sk_slot_log_op(SkSlot *s, Relation rel, uint16 chain, struct SkOpHeader *op,
						   bool frees, uint64 *applied_seq, sk_op_apply_fn apply, void *target,
						   BlockNumber *tail_hint);

#endif							/* STREAMKV_SLOT_H */
