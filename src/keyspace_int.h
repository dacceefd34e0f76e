/*-------------------------------------------------------------------------
 *
 * keyspace_int.h
 *	  Declarations shared by the files split from keyspace.c.orig: keyspace.c, ks_generic.c, ks_strings.c, ks_hashes.c, ks_expire.c, ks_compact.c.
 *
 * Locking: the shard lock of the key (SkShard.lock, tranche "streamkv
 * keyspace"), exclusive to write, shared to read; multi-key commands take
 * shards in ascending order, flushdb and compaction take what they need
 * the same way; then buffers.  See docs/architecture.md, "Locks".
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_KEYSPACE_INT_H
#define STREAMKV_KEYSPACE_INT_H

#include "postgres.h"
#include <math.h>
#include "access/genam.h"
#include "access/relation.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/inval.h"
#include "keyspace.h"
#include "kvmem.h"
#include "pubsub.h"





/* ------------------------------------------------------------------------
 * Context: the store relation and the database's slot
 * ------------------------------------------------------------------------
 */
typedef struct SkCtx
{
	Relation	rel;			/* NULL until needed, for reads (ctx_open) */
	SkDb	   *db;
	int64		now;
	LOCKMODE	lockmode;		/* what ctx_rel locks rel with */
	RelFileNode rnode;			/* the store's, when rel is NULL */
} SkCtx;

#define KEYARG(n, kp, kl) \
	do { text *t_ = PG_GETARG_TEXT_PP(n); kp = VARDATA_ANY(t_); kl = VARSIZE_ANY_EXHDR(t_); } while (0)

/*
 * The per-key prologue shared by the single-key functions: the key in
 * argument argno, the keyspace opened and the key's shard locked --
 * exclusively for writes (an expired key is removed first), shared for
 * reads (lazy expiry as in ctx_lock_read).  key_begin returns the live key
 * or NULL; key_end releases what key_begin took.
 */
typedef struct KeyLock
{
	SkCtx		c;
	const char *key;
	Size		klen;
	uint32		h;
	int			shard;
	SkShard    *sh;
} KeyLock;

typedef struct KeyCollect
{
	const char *pat;
	int			patlen;
	int			type;			/* 0 = any */
	int64		now;
	List	   *out;			/* of text * */
	int64		count;
} KeyCollect;

typedef struct FieldCollect
{
	List	   *fields;
	List	   *values;
} FieldCollect;

/* ------------------------------------------------------------------------
 * Maintenance: expiry and compaction (called by the worker and compact())
 * ------------------------------------------------------------------------
 */
typedef struct ExpireCollect
{
	int64		now;
	List	   *keys;			/* of StringInfo */
} ExpireCollect;

typedef struct CompactState
{
	StringInfoData buf;			/* ops waiting to be appended, MAXALIGN'd */
	Relation	rel;
	SkChainPos	pos;
	uint64		seq;
	uint64		nops;
} CompactState;


extern void ctx_open(SkCtx *c, bool write);
extern void ctx_open_unchecked(SkCtx *c, bool write);
extern Relation ctx_rel(SkCtx *c);
extern void ctx_close(SkCtx *c);
extern SkShard * ctx_lock(SkCtx *c, int shard, LWLockMode mode);
extern void wrongtype(void);
extern SkOpHeader * make_op(SkOpKind kind, const char *key, Size klen, const char *field, Size flen,
			const char *val, Size vlen, int64 expire_at);
extern void log_op(SkCtx *c, int shard, SkOpHeader *op);
extern SkKey * write_lookup(SkCtx *c, int shard, const char *key, Size klen, uint32 hash);
extern SkShard * ctx_lock_read(SkCtx *c, const char *key, Size klen, uint32 h);
extern SkKey * key_begin(FunctionCallInfo fcinfo, int argno, bool write, KeyLock *kl);
extern SkKey * key_begin_bytes(const char *key, Size klen, bool write, KeyLock *kl);
extern void key_end(KeyLock *kl);
extern void key_check_type(KeyLock *kl, SkKey *k, uint8 type);
extern void key_log(KeyLock *kl, SkOpKind kind, const char *field, Size flen,
			const char *val, Size vlen, int64 expire_at);
extern bool parse_ll(const char *s, Size len, int64 *out);
extern bool parse_ld(const char *s, Size len, long double *out);
extern char * format_ld(long double v, Size *len);
extern long double numeric_arg_ld(Datum num);
extern void not_integer(void);
extern Datum sk_type(PG_FUNCTION_ARGS);
extern int text_array_arg(ArrayType *arr, Datum **elems, const char *what);
extern Datum sk_exists(PG_FUNCTION_ARGS);
extern Datum sk_del(PG_FUNCTION_ARGS);
extern bool glob_match(const char *p, int plen, const char *s, int slen, int nesting);
extern bool collect_key(SkKey *k, void *arg);
extern Datum return_text_list(FunctionCallInfo fcinfo, List *items);
extern Datum sk_keys(PG_FUNCTION_ARGS);
extern Datum sk_scan(PG_FUNCTION_ARGS);
extern Datum sk_dbsize(PG_FUNCTION_ARGS);
extern Datum sk_flushdb(PG_FUNCTION_ARGS);
extern bool do_set(const char *key, Size klen, const char *val, Size vlen,
		   bool nx, bool xx, bool get_old, bool old_as_text, int64 expire_at, bool keepttl,
		   char **old, Size *oldlen, bool *had_old);
extern int64 checked_expire(int64 now, int64 amount, int64 unit_ms, bool relative, const char *cmd);
extern Datum set_common(FunctionCallInfo fcinfo, bool is_text);
extern Datum sk_set_text(PG_FUNCTION_ARGS);
extern Datum sk_set_bytea(PG_FUNCTION_ARGS);
extern bool get_string(const char *key, Size klen, char **val, Size *vlen, bool del, bool as_text);
extern Datum string_result(char *buf, Size len, bool as_text);
extern Datum get_common(FunctionCallInfo fcinfo, bool del, bool as_text);
extern Datum sk_get_text(PG_FUNCTION_ARGS);
extern Datum sk_get_bytea(PG_FUNCTION_ARGS);
extern Datum sk_getdel_text(PG_FUNCTION_ARGS);
extern Datum sk_mget(PG_FUNCTION_ARGS);
extern void unlock_shards_of(SkCtx *c, const bool *shards);
extern Datum sk_mset(PG_FUNCTION_ARGS);
extern Datum append_common(FunctionCallInfo fcinfo);
extern Datum sk_append_text(PG_FUNCTION_ARGS);
extern Datum sk_append_bytea(PG_FUNCTION_ARGS);
extern Datum sk_strlen(PG_FUNCTION_ARGS);
extern int64 incr_common(const char *key, Size klen, int64 incr);
extern Datum sk_incr(PG_FUNCTION_ARGS);
extern Datum sk_decr(PG_FUNCTION_ARGS);
extern Datum sk_incrby(PG_FUNCTION_ARGS);
extern Datum sk_decrby(PG_FUNCTION_ARGS);
extern Datum sk_incrbyfloat(PG_FUNCTION_ARGS);
extern Datum sk_hset(PG_FUNCTION_ARGS);
extern Datum sk_hsetnx(PG_FUNCTION_ARGS);
extern Datum sk_hget(PG_FUNCTION_ARGS);
extern Datum sk_hmget(PG_FUNCTION_ARGS);
extern Datum sk_hdel(PG_FUNCTION_ARGS);
extern void collect_field(SkField *f, void *arg);
extern void collect_hash(FunctionCallInfo fcinfo, FieldCollect *fc);
extern Datum sk_hgetall(PG_FUNCTION_ARGS);
extern Datum sk_hkeys(PG_FUNCTION_ARGS);
extern Datum sk_hvals(PG_FUNCTION_ARGS);
extern Datum sk_hlen(PG_FUNCTION_ARGS);
extern Datum sk_hexists(PG_FUNCTION_ARGS);
extern text * hincr_common(FunctionCallInfo fcinfo, bool is_float);
extern Datum sk_hincrby(PG_FUNCTION_ARGS);
extern Datum sk_hincrbyfloat(PG_FUNCTION_ARGS);
extern Datum expire_common(FunctionCallInfo fcinfo, int64 unit_ms, bool relative, const char *cmd);
extern Datum sk_expire(PG_FUNCTION_ARGS);
extern Datum sk_pexpire(PG_FUNCTION_ARGS);
extern Datum sk_expireat(PG_FUNCTION_ARGS);
extern Datum sk_pexpireat(PG_FUNCTION_ARGS);
extern int64 get_expire(FunctionCallInfo fcinfo, int64 *now);
extern Datum sk_ttl(PG_FUNCTION_ARGS);
extern Datum sk_pttl(PG_FUNCTION_ARGS);
extern Datum sk_expiretime(PG_FUNCTION_ARGS);
extern Datum sk_pexpiretime(PG_FUNCTION_ARGS);
extern Datum sk_persist(PG_FUNCTION_ARGS);
extern bool collect_expired(SkKey *k, void *arg);
extern int sk_expire_shard(Relation rel, SkDb **dbp, int shard);
extern void compact_flush(CompactState *cs);
extern void compact_add(CompactState *cs, SkOpHeader *op);
extern void compact_emit(void *arg, uint8 opkind, const SkKey *k, const char *field, Size flen,
				 const char *val, Size vlen, int64 expire_at);
extern bool compact_key(SkKey *k, void *arg);
extern bool sk_compact_shard(Relation rel, SkDb **dbp, int shard, bool force);
extern Datum sk_compact(PG_FUNCTION_ARGS);
extern Datum sk_info(PG_FUNCTION_ARGS);

static inline bool
key_live(SkKey *k, int64 now)
{
	return k != NULL && (k->expire_at == 0 || k->expire_at > now);
}

#endif							/* STREAMKV_KEYSPACE_INT_H */
