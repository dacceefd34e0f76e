/*-------------------------------------------------------------------------
 *
 * kvmem.h
 *	  The in-memory copy of a database's keyspace: hash tables in the DSA
 *	  area, rebuilt from the store's pages and kept current by the write path
 *	  and by redo.
 *
 * Locking: every function here runs under the lock of the shard it touches
 * (SkShard.lock, tranche "streamkv keyspace"), exclusively to change it,
 * shared to read; value types' functions likewise (kinds.c registry).
 * Allocation (sk_alloc) may unload other slots, taking their locks only
 * conditionally (slot.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_KVMEM_H
#define STREAMKV_KVMEM_H

#include "store.h"

/* Value types (SkKey.type): one row each in sk_value_types[] (kinds.c). */
#define SK_TYPE_STRING	1
#define SK_TYPE_HASH	2
#define SK_TYPE_ZSET	3
#define SK_TYPE_BLOOM	4
#define SK_MAX_VALUE_TYPES	8

/* Chained hash table (buckets of dsa_pointers). */
typedef struct SkTable
{
	uint64		nitems;
	uint32		nbuckets;		/* power of two */
	uint32		unused;
	dsa_pointer buckets;
} SkTable;

typedef struct SkKey
{
	dsa_pointer next;			/* bucket chain */
	uint32		hash;
	uint8		type;			/* SK_TYPE_* */
	uint8		unused[3];
	int64		expire_at;		/* ms since the Unix epoch, 0 = none */
	uint32		keylen;
	uint32		vallen;			/* strings */
	dsa_pointer fields;			/* hashes: SkTable of SkField; zsets: ZsSet */
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* key, then value */
} SkKey;

typedef struct SkField
{
	dsa_pointer next;
	uint32		hash;
	uint32		flen;
	uint32		vlen;
	uint32		unused;
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* field, then value */
} SkField;

#define SkKeyValue(k)	((k)->data + (k)->keylen)
#define SkFieldValue(f) ((f)->data + (f)->flen)

#define SkKeySize(klen, vlen)	(offsetof(SkKey, data) + (klen) + (vlen))
#define SkFieldSize(flen, vlen) (offsetof(SkField, data) + (flen) + (vlen))

/*
 * A keyspace value type: the operations it owns (first_op..last_op), how
 * they change a shard, how its values are freed, snapshot for compaction
 * and measured.  Adding a type is one file with these functions and one
 * row in sk_value_types[] (kinds.c).  Every function runs with the shard's
 * lock held exclusively (snapshot and memory: at least shared); apply
 * returns false with nothing changed when memory ran out, and never
 * ERRORs (redo calls it).
 */
typedef void (*sk_snapshot_emit) (void *arg, uint8 opkind, const SkKey *k,
								  const char *field, Size flen,
								  const char *val, Size vlen, int64 expire_at);

typedef struct SkValueType
{
	uint8		type;			/* SK_TYPE_*: SkKey.type */
	const char *name;			/* what TYPE answers */
	uint8		first_op;		/* the SkOpKind range it owns */
	uint8		last_op;
	const char *const *op_names;	/* for rm_desc, indexed from first_op */
	bool		(*apply) (SkShard *sh, const SkOpHeader *op, uint32 hash,
						  SkKey *old, dsa_pointer *link);
	void		(*free_value) (SkShard *sh, SkKey *k);	/* what the key points to */
	void		(*snapshot) (const SkKey *k, sk_snapshot_emit emit, void *arg);
	Size		(*memory) (const SkKey *k);	/* bytes beyond the SkKey itself */
} SkValueType;

extern const SkValueType sk_value_types[];
extern const int sk_nvalue_types;
extern const SkValueType *sk_value_type(uint8 type);
extern const SkValueType *sk_value_type_of_op(uint8 opkind);

/* type_string.c, type_hash.c */
extern bool sk_string_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old,
							dsa_pointer *link);
extern void sk_string_snapshot(const SkKey *k, sk_snapshot_emit emit, void *arg);
extern Size sk_string_memory(const SkKey *k);
extern const char *const sk_string_op_names[];
extern bool sk_hash_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old,
						  dsa_pointer *link);
extern void sk_hash_free(SkShard *sh, SkKey *k);
extern void sk_hash_snapshot(const SkKey *k, sk_snapshot_emit emit, void *arg);
extern Size sk_hash_memory(const SkKey *k);
extern const char *const sk_hash_op_names[];
extern bool sk_zset_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old,
						  dsa_pointer *link);
extern void sk_zset_free(SkShard *sh, SkKey *k);
extern void sk_zset_snapshot(const SkKey *k, sk_snapshot_emit emit, void *arg);
extern Size sk_zset_memory(const SkKey *k);
extern const char *const sk_zset_op_names[];
extern bool sk_bloom_apply(SkShard *sh, const SkOpHeader *op, uint32 hash, SkKey *old,
						   dsa_pointer *link);
extern void sk_bloom_free(SkShard *sh, SkKey *k);
extern void sk_bloom_snapshot(const SkKey *k, sk_snapshot_emit emit, void *arg);
extern Size sk_bloom_memory(const SkKey *k);
extern const char *const sk_bloom_op_names[];

/* Building blocks for the value types (kvmem.c); caller holds the shard lock. */
extern dsa_pointer sk_table_new(uint32 nbuckets);
extern void sk_table_free(dsa_pointer tdp);
extern void sk_table_maybe_grow(dsa_pointer tdp, bool is_fields);
extern dsa_pointer sk_hlookup_dp(SkKey *k, const char *field, Size flen, uint32 fhash,
								 dsa_pointer **linkp);
extern void sk_unlink_key(SkShard *sh, dsa_pointer *link);
extern void sk_link_key(SkShard *sh, dsa_pointer dp);

/* Keys of a shard, of every type. */
static inline uint64
sk_shard_nkeys(const SkShard *sh)
{
	uint64		n = 0;
	int			i;

	for (i = 0; i < SK_MAX_VALUE_TYPES; i++)
		n += sh->nkeys[i];
	return n;
}

/* Members of a sorted set that compaction writes in one operation at most. */
#define SK_ZSET_SNAPSHOT_MEMBERS	256

/*
 * Operations a snapshot of the shard would hold (compaction's estimate):
 * one per string, one per element of a hash, one per expiry, one per
 * sorted set plus one per SK_ZSET_SNAPSHOT_MEMBERS of its members, the
 * BFLOADs of the bloom filters (bf.h).
 */
static inline uint64
sk_shard_live_ops(const SkShard *sh)
{
	return sh->nkeys[SK_TYPE_STRING] + sh->nelems + sh->nvolatile +
		sh->nkeys[SK_TYPE_ZSET] + sh->nzmembers / SK_ZSET_SNAPSHOT_MEMBERS +
		sh->nbfchunks;
}

/*
 * Memory is counted per kind (stat_memory): a file that allocates defines
 * SK_MEM_KIND before its includes, and its sk_alloc/sk_free count toward
 * that kind; memory is freed by a file of the kind that allocated it.
 */
#define SK_MEM_KEYSPACE		0
#define SK_MEM_TOPIC		1
#define SK_MEM_GROUPS		2
#define SK_MEM_PUBSUB		3
#define SK_MEM_OTHER		4	/* slot table chunks */
#define SK_MEM_NKINDS		5
#ifndef SK_MEM_KIND
#define SK_MEM_KIND SK_MEM_OTHER
#endif
extern const char *const sk_mem_kind_names[SK_MEM_NKINDS];
extern dsa_pointer sk_alloc_kind(int kind, Size size);
extern void sk_free_kind(int kind, dsa_pointer dp, Size size);
#define sk_alloc(size)			sk_alloc_kind(SK_MEM_KIND, (size))
#define sk_free(dp, size)		sk_free_kind(SK_MEM_KIND, (dp), (size))

/* The address of dp in this process (hot: inline). */
static inline void *
sk_ptr(dsa_pointer dp)
{
	return dsa_get_address(sk_area(), dp);
}
extern uint32 sk_hash(const char *p, Size len);
extern int	sk_shard_of(uint32 hash);

extern SkDb *sk_db_get(Relation rel);
extern SkDb *sk_db_get_node(RelFileNode rnode);
extern void sk_db_lock_shard(SkDb **dbp, Relation rel, int shard, LWLockMode mode);
extern void sk_db_lock_all(SkDb **dbp, Relation rel, LWLockMode mode);
extern void sk_db_unlock_all(SkDb *db);

/* The keyspace's row of the store-kind registry (kinds.c) */
extern void sk_keyspace_slot_init(SkSlot *s, int tranche_id);
extern void sk_keyspace_lock_all(SkSlot *s, LWLockMode mode);
extern bool sk_keyspace_try_lock_all(SkSlot *s);
extern void sk_keyspace_unlock_all(SkSlot *s);
extern void sk_keyspace_load(SkSlot *s, Relation rel);
extern void sk_keyspace_unload(SkSlot *s);
extern void sk_keyspace_redo_seq(RelFileNode rnode, uint16 chain, const char *data, Size len,
								 BlockNumber start_blk);
extern void sk_keyspace_redo_switch(RelFileNode rnode, uint16 chain, uint64 live_ops);
extern void sk_keyspace_redo_flush(RelFileNode rnode);
extern void sk_keyspace_maintain(MemoryContext roundcxt);
extern bool sk_keyspace_apply(void *target, const SkOpHeader *op);
extern void sk_keyspace_define_gucs(void);
extern void sk_keyspace_desc_seq(StringInfo buf, const char *data, Size len);

extern SkKey *sk_lookup(SkShard *sh, const char *key, Size klen, uint32 hash);
extern dsa_pointer sk_lookup_dp(SkShard *sh, const char *key, Size klen, uint32 hash,
								dsa_pointer **linkp);
extern SkField *sk_hlookup(SkKey *k, const char *field, Size flen);
extern bool sk_mem_apply(SkDb *db, SkShard *sh, const SkOpHeader *op);
extern void sk_shard_clear(SkShard *sh);

/* Iteration over a table's buckets (caller holds the shard lock). */
typedef bool (*sk_key_visitor) (SkKey *k, void *arg);
extern uint32 sk_table_scan(dsa_pointer tabledp, uint32 start_bucket, uint32 nbuckets_max,
							sk_key_visitor visit, void *arg, bool *wrapped);
extern uint32 sk_table_nbuckets(dsa_pointer tabledp);

typedef void (*sk_field_visitor) (SkField *f, void *arg);
extern void sk_hash_scan(SkKey *k, sk_field_visitor visit, void *arg);

#endif							/* STREAMKV_KVMEM_H */
