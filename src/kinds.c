/*-------------------------------------------------------------------------
 *
 * kinds.c
 *	  The two registries: store kinds (kinds.h) and keyspace value types
 *	  (kvmem.h), one row each.
 *
 * sk_store_kinds[] is the only place that lists the store kinds, and
 * sk_value_types[] the only place that lists the keyspace's value types.  streamkv.c walks it
 * to size and initialise shared memory and to run the commit hooks, wal.c
 * to route redo and descriptions by the kind byte of each record, slot.c to
 * load and unload slots, and the maintenance worker to run each kind's
 * round.
 *
 * Locking: none (constant data).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "group.h"
#include "kinds.h"
#include "kvmem.h"
#include "topic.h"
#include "dump.h"

/* ---- adapters for the kinds whose code predates the registry ---------- */


static void
topic_desc_seq(StringInfo buf, const char *data, Size len)
{
	int64		off;

	if (len < sizeof(off))
		return;
	memcpy(&off, data, sizeof(off));
	appendStringInfo(buf, " first record offset " INT64_FORMAT, off);
}


typedef struct GroupRedoArg
{
	RelFileNode rnode;
} GroupRedoArg;

static void
groups_redo_op(const SkOpHeader *op, void *arg)
{
	sk_group_redo_op(((GroupRedoArg *) arg)->rnode, op);
}

static void
groups_redo_seq(RelFileNode rnode, uint16 chain, const char *data, Size len,
				BlockNumber start_blk)
{
	GroupRedoArg a;

	a.rnode = rnode;
	sk_for_each_op(data, len, groups_redo_op, &a);
}

static void
groups_redo_switch(RelFileNode rnode, uint16 chain, uint64 live_ops)
{
	sk_group_redo_switch(rnode, live_ops);
}

static void
groups_desc_seq(StringInfo buf, const char *data, Size len)
{
	sk_op_desc(buf, data, len, len >= 1 ? sk_group_op_name((uint8) data[0]) : NULL);
}


/* ---- the registry ------------------------------------------------------ */

const SkStoreKind sk_store_kinds[] = {
	{
		.kind = SK_STORE_KEYSPACE,
		.name = "keyspace",
		.chain_name = "shard",
		.define_gucs = sk_keyspace_define_gucs,
		.slot_size = sizeof(SkDb),
		.slot_init = sk_keyspace_slot_init,
		.lock_all = sk_keyspace_lock_all,
		.try_lock_all = sk_keyspace_try_lock_all,
		.unlock_all = sk_keyspace_unlock_all,
		.load = sk_keyspace_load,
		.unload = sk_keyspace_unload,
		.redo_seq = sk_keyspace_redo_seq,
		.redo_switch = sk_keyspace_redo_switch,
		.redo_flush = sk_keyspace_redo_flush,
		.desc_seq = sk_keyspace_desc_seq,
		.maintain = sk_keyspace_maintain,
	},
	{
		.kind = SK_STORE_TOPIC,
		.name = "topic",
		.chain_name = "partition",
		.slot_size = sizeof(SkTopicSlot),
		.slot_init = sk_topic_slot_init,
		.lock_all = sk_topic_lock_all,
		.try_lock_all = sk_topic_try_lock_all,
		.unlock_all = sk_topic_unlock_all,
		.load = sk_topic_load,
		.unload = sk_topic_unload,
		.redo_seq = sk_topic_redo_record,
		.redo_truncate = sk_topic_redo_truncate,
		.redo_switch = sk_topic_redo_switch,	/* a restored log start (dump.h) */
		.desc_seq = topic_desc_seq,
		.maintain = sk_topic_maintain,
		.after_commit = sk_topic_after_flush,
	},
	{
		.kind = SK_STORE_GROUPS,
		.name = "groups",
		.chain_name = "chain",
		.define_gucs = sk_group_define_gucs,
		.slot_size = sizeof(SkGroupDb),
		.slot_init = sk_group_slot_init,
		.lock_all = sk_group_lock_all,
		.try_lock_all = sk_group_try_lock_all,
		.unlock_all = sk_group_unlock_all,
		.load = sk_group_load,
		.unload = sk_group_unload,
		.redo_seq = groups_redo_seq,
		.redo_switch = groups_redo_switch,
		.desc_seq = groups_desc_seq,
		.maintain = sk_group_maintain,
	},
};

const int	sk_nstore_kinds = lengthof(sk_store_kinds);

/*
 * The registry of keyspace value types (kvmem.h).  Adding a type is one
 * file with these functions plus one row here; its operations take the
 * next free range of 16 SkOpKind values (store.h).
 */
const SkValueType sk_value_types[] = {
	{
		.type = SK_TYPE_STRING,
		.name = "string",
		.first_op = SK_OP_SET,
		.last_op = SK_OP_APPEND,
		.op_names = sk_string_op_names,
		.apply = sk_string_apply,
		.free_value = NULL,
		.snapshot = sk_string_snapshot,
		.memory = sk_string_memory,
	},
	{
		.type = SK_TYPE_HASH,
		.name = "hash",
		.first_op = SK_OP_HSET,
		.last_op = SK_OP_HDEL,
		.op_names = sk_hash_op_names,
		.apply = sk_hash_apply,
		.free_value = sk_hash_free,
		.snapshot = sk_hash_snapshot,
		.memory = sk_hash_memory,
	},
	{
		.type = SK_TYPE_ZSET,
		.name = "zset",
		.first_op = SK_OP_ZADD,
		.last_op = SK_OP_ZSTORE,
		.op_names = sk_zset_op_names,
		.apply = sk_zset_apply,
		.free_value = sk_zset_free,
		.snapshot = sk_zset_snapshot,
		.memory = sk_zset_memory,
	},
	{
		.type = SK_TYPE_BLOOM,
		.name = "MBbloom--",	/* what RedisBloom's TYPE answers */
		.first_op = SK_OP_BFRESERVE,
		.last_op = SK_OP_BFLOAD,
		.op_names = sk_bloom_op_names,
		.apply = sk_bloom_apply,
		.free_value = sk_bloom_free,
		.snapshot = sk_bloom_snapshot,
		.memory = sk_bloom_memory,
	},
};

const int	sk_nvalue_types = lengthof(sk_value_types);

const SkValueType *
sk_value_type(uint8 type)
{
	int			i;

	for (i = 0; i < sk_nvalue_types; i++)
		if (sk_value_types[i].type == type)
			return &sk_value_types[i];
	return NULL;
}

const SkValueType *
sk_value_type_of_op(uint8 opkind)
{
	int			i;

	for (i = 0; i < sk_nvalue_types; i++)
		if (opkind >= sk_value_types[i].first_op && opkind <= sk_value_types[i].last_op)
			return &sk_value_types[i];
	return NULL;
}

const SkStoreKind *
sk_store_kind(uint32 kind)
{
	int			i;

	for (i = 0; i < sk_nstore_kinds; i++)
		if (sk_store_kinds[i].kind == kind)
			return &sk_store_kinds[i];
	return NULL;
}

int
sk_kind_tranche(uint32 kind)
{
	Assert(kind < lengthof(sk_shared->kind_tranche));
	return sk_shared->kind_tranche[kind];
}
