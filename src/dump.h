/*-------------------------------------------------------------------------
 *
 * dump.h
 *	  What pg_dump carries (README, "Backups with pg_dump"): the table
 *	  streamkv.dump_rows, whose access method (dump.c) returns the database's
 *	  streamkv data as rows when read — topics and their records, the
 *	  keyspace, consumer and share groups — and applies rows written into
 *	  it.  It is an extension configuration table, so `pg_dump` copies it
 *	  out with COPY ... TO and a restore copies it in with COPY ... FROM.
 *
 * Rows (kind, name, part, pos, ts, key, value, data), in this order:
 *   format      name 'streamkv', pos = format version
 *   topic       name, part = partitions, data = settings as text
 *   log_start   name (topic), part, pos = log start offset (when > 0)
 *   record      name (topic), part, pos = offset, ts, key, value, data =
 *               encoded headers
 *   key_op      part = operation kind, key, data = field, value, pos =
 *               expire_at (ms): the operations compaction writes (a
 *               value type's snapshot), replayed through the write path
 *   group_op    name = group, part = operation kind, data = field, value =
 *               payload, pos = time: the groups store's snapshot
 *               operations without members (sessions do not survive)
 *
 * Reading takes each store's locks briefly (shard by shard, partition by
 * partition): the rows are the state when the scan ran, not at the
 * dump's snapshot — these stores are not MVCC.  Writing requires the
 * table's INSERT privilege (its owner) and takes the locks of the write
 * path it replays.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_DUMP_H
#define STREAMKV_DUMP_H

#include "postgres.h"

#define SK_DUMP_FORMAT 1

typedef struct SkDumpRow
{
	const char *kind;
	const char *name;			/* NULL: none */
	bool		has_part;
	int32		part;
	bool		has_pos;
	int64		pos;
	bool		has_ts;
	int64		ts_ms;
	const char *key;			/* NULL: SQL NULL */
	Size		keylen;
	const char *value;
	Size		vallen;
	const char *data;
	Size		datalen;
} SkDumpRow;

typedef void (*sk_dump_emit) (void *arg, const SkDumpRow *row);

/* topic_restore.c */
extern void sk_topic_dump(sk_dump_emit emit, void *arg);
extern void sk_topic_restore_topic(const char *name, int32 partitions, const char *settings);
extern void sk_topic_restore_log_start(const char *name, int32 partition, int64 log_start);
extern void sk_topic_restore_record(const char *name, int32 partition, int64 offset, int64 ts_ms,
									const char *key, int32 keylen, const char *value, int32 vallen,
									const char *headers, uint32 hdrlen);
extern void sk_topic_redo_switch(RelFileNode rnode, uint16 chain, uint64 live_ops);

#endif							/* STREAMKV_DUMP_H */
