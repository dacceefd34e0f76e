/*-------------------------------------------------------------------------
 *
 * keyspace.h
 *	  Maintenance entry points of the keyspace, used by the worker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_KEYSPACE_H
#define STREAMKV_KEYSPACE_H

#include "utils/rel.h"

#include "streamkv.h"

extern int	sk_expire_shard(Relation rel, SkDb **dbp, int shard);
extern bool sk_compact_shard(Relation rel, SkDb **dbp, int shard, bool force);

#endif							/* STREAMKV_KEYSPACE_H */
