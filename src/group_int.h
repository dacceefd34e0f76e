/*-------------------------------------------------------------------------
 *
 * group_int.h
 *	  Declarations shared by the files split from group.c.orig: group_mem.c, group.c, group_assign.c, group_offsets.c, group_members.c, group_poll.c, share_group.c, group_maint.c.
 *
 * Locking: a database's groups lock (SkGroupDb.lock), then topic locks,
 * then buffers; topics are opened (heavyweight locks) before the groups
 * lock.  See docs/architecture.md, "Locks".
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_GROUP_INT_H
#define STREAMKV_GROUP_INT_H

#include "postgres.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/xlog.h"
#include "access/xlogutils.h"
#include "commands/dbcommands.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/pg_bitutils.h"
#include "storage/condition_variable.h"
#include "storage/smgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/timestamp.h"
#include "group.h"
#include "kvmem.h"
#include "topic.h"



#define SK_GROUP_NAME_MAX		249
#define SK_ID_MAX				255
#define SK_SHARE_WINDOW			4096
#define SK_MAX_GROUP_TOPICS		1024

#define GT_CONSUMER				1
#define GT_SHARE				2

#define ST_RANGE				0
#define ST_ROUNDROBIN			1
#define ST_STICKY				2

#define RS_EARLIEST				0
#define RS_LATEST				1
#define RS_NONE					2

#define ES_AVAILABLE			0
#define ES_ACQUIRED				1
#define ES_DONE					2


/* ------------------------------------------------------------------------
 * Shared memory
 * ------------------------------------------------------------------------
 */
typedef struct SkShareEntry
{
	int64		delivered_at;
	int64		lock_until;
	int32		consumer;
	uint8		state;
	uint8		deliveries;
	uint16		unused;
} SkShareEntry;

typedef struct SkSharePart
{
	int64		start;
	int64		next;
	SkShareEntry e[SK_SHARE_WINDOW];	/* offset o at e[o % SK_SHARE_WINDOW] */
} SkSharePart;

typedef struct SkGPart
{
	int64		committed;		/* -1: none; share groups: the window start */
	int64		committed_at;
	int64		position;		/* consumer's fetch position (memory only), -1 */
	dsa_pointer meta;			/* commit metadata, or invalid (NULL) */
	int32		metalen;
	int32		unused;
	dsa_pointer share;			/* SkSharePart, allocated on first delivery */
} SkGPart;

typedef struct SkGTopic
{
	char		name[SK_TOPIC_NAME_MAX + 1];
	int32		partitions;		/* the topic's partitions at the last rebalance */
	int32		nparts;			/* entries of parts */
	dsa_pointer parts;			/* SkGPart[nparts] */
} SkGTopic;

typedef struct SkTP
{
	int32		topic;			/* index in the group's topics */
	int32		partition;
} SkTP;

typedef struct SkMember
{
	char		id[SK_ID_MAX + 1];
	char		instance[SK_ID_MAX + 1];	/* "": none */
	int32		session_ms;
	int32		reset;			/* RS_* */
	int64		last_seen;		/* memory only */
	int32		nsubs;
	int32		nassign;
	dsa_pointer subs;			/* int32[nsubs]: topic indexes */
	dsa_pointer assign;			/* SkTP[nassign] */
} SkMember;

typedef struct SkIdName
{
	char		name[SK_ID_MAX + 1];
} SkIdName;

typedef struct SkGroup
{
	char		name[SK_GROUP_NAME_MAX + 1];
	int32		type;			/* GT_* */
	int32		generation;
	int32		strategy;		/* ST_* */
	int32		lock_ms;
	int32		max_deliveries;
	int32		nmembers;
	int32		ntopics;
	int32		nconsumers;
	dsa_pointer members;		/* SkMember[nmembers] */
	dsa_pointer topics;			/* SkGTopic[ntopics] */
	dsa_pointer consumers;		/* SkIdName[nconsumers] */
	int64		empty_since;	/* consumer groups: when the last member left */
	uint32		rr;				/* where the next acquire/poll starts (memory) */
	int64		dead_retry_at;	/* share groups: no dead-letter worker before (memory) */
	char		dlq[SK_TOPIC_NAME_MAX + 1];
} SkGroup;



/* ------------------------------------------------------------------------
 * Operation payloads
 * ------------------------------------------------------------------------
 */
typedef struct Rd
{
	const char *p;
	const char *end;
	bool		bad;
} Rd;

/*
 * The offsets of an ACQUIRE, ACK, RELEASE or ARCHIVE operation: a count n,
 * then either n offsets (n >= 0) or -n runs of consecutive offsets (first
 * int64, length int32), whichever is shorter (a batch is usually one run).
 */
typedef struct OffIter
{
	Rd		   *r;
	int32		n;				/* offsets or runs left to read */
	bool		runs;
	int64		next;			/* the run being read */
	int32		left;
} OffIter;


/* ------------------------------------------------------------------------
 * The write path
 * ------------------------------------------------------------------------
 */
typedef struct GCtx
{
	Relation	rel;
	SkGroupDb  *db;
	int64		now;
	bool		locked;
} GCtx;

/* ------------------------------------------------------------------------
 * Membership: a local copy of the members, assignment, logging
 * ------------------------------------------------------------------------
 */
typedef struct LTP
{
	char	   *topic;
	int32		partition;
} LTP;

typedef struct LMember
{
	char	   *id;
	char	   *instance;
	int32		session_ms;
	int32		reset;
	int64		last_seen;
	List	   *subs;			/* char * topic names */
	int			nassign;
	LTP		   *assign;
	int			nprev;			/* previous assignment (sticky) */
	LTP		   *prev;
} LMember;

/* A topic's partition count as the membership knows it. */
typedef struct LTopic
{
	char	   *name;
	int32		partitions;
} LTopic;

/* ------------------------------------------------------------------------
 * Compaction: the chain rewritten as a snapshot of every group
 * ------------------------------------------------------------------------
 */
typedef struct GCompact
{
	Relation	rel;
	SkChainPos	pos;
	StringInfoData buf;
	uint64		seq;
	uint64		nops;
	/* when set, operations go here instead of the chain (a dump, dump.h) */
	void		(*emit) (void *arg, SkOpHeader *op);
	void	   *emit_arg;
} GCompact;

typedef struct LagTopic
{
	char	   *name;
	int			nparts;
	int64	   *committed;
} LagTopic;

typedef struct GroupRow
{
	char	   *name;
	SkGroup		copy;
	List	   *topics;
} GroupRow;

typedef struct MemberRow
{
	char	   *id;
	Datum		values[5];
	bool		nulls[5];
} MemberRow;

/* ------------------------------------------------------------------------
 * Reading records for poll and acquire
 * ------------------------------------------------------------------------
 */
typedef struct OpenTopic
{
	char	   *name;
	SkTopicRef	tr;
	Datum		name_datum;
} OpenTopic;

typedef struct EmitState
{
	ReturnSetInfo *rsinfo;
	Datum		topic;
	int			partition;
	/* acquire: the offsets handed out, ascending, with their deliveries */
	int64	   *offsets;
	int		   *deliveries;
	int			n;
	int			cur;
	int64		locked_until;
	SkHeaderType *ht;			/* the call's header type cache */
} EmitState;

typedef struct PollPlan
{
	int			topic;			/* index in the opened topics */
	int			partition;
	int64		from;
	int			n;
} PollPlan;

typedef struct DeadCopy
{
	SkRecordView v;
	bool		found;
} DeadCopy;

#define SETTLE_ACK		0

#define SETTLE_RELEASE	1

#define SETTLE_REJECT	2

typedef struct AckPair
{
	int64		partition;
	int64		offset;
} AckPair;

typedef struct AcqPlan
{
	int			partition;
	int			n;
	int64	   *offs;
	int		   *deliveries;
} AcqPlan;

extern const char *const strategy_names[];

extern dsa_pointer g_alloc0(Size size);
extern void g_free(dsa_pointer *dp, Size size);
extern bool g_grow(dsa_pointer *dp, int32 n, int32 want, Size elem);
extern void member_free(SkMember *m);
extern void members_free(SkGroup *g);
extern void group_free(SkGroup *g);
extern void db_clear(SkGroupDb *db);
extern int find_group_idx(SkGroupDb *db, const char *name, Size len);
extern SkGroup * find_group(SkGroupDb *db, const char *name, Size len);
extern SkGroup * create_group(SkGroupDb *db, const char *name, Size len, int type);
extern void delete_group_idx(SkGroupDb *db, int i);
extern int find_topic(SkGroup *g, const char *name, Size len);
extern int ensure_topic(SkGroup *g, const char *name, Size len);
extern SkGPart * ensure_part(SkGroup *g, int ti, int p);
extern SkGPart * get_part(SkGroup *g, int ti, int p);
extern int find_consumer(SkGroup *g, const char *name, Size len);
extern int ensure_consumer(SkGroup *g, const char *name, Size len);
extern const char * consumer_name(SkGroup *g, int32 i);
extern SkSharePart * ensure_share(SkGPart *gp);
extern void share_advance(SkGPart *gp, SkSharePart *sp);
extern int32 rd_i32(Rd *r);
extern int64 rd_i64(Rd *r);
extern const char * rd_str(Rd *r, int32 *len);
extern void wr_i32(StringInfo b, int32 v);
extern void wr_i64(StringInfo b, int64 v);
extern void wr_str(StringInfo b, const char *s, int32 len);
extern void oi_init(OffIter *it, Rd *r);
extern bool oi_next(OffIter *it, int64 *off);
extern void wr_offsets(StringInfo b, const int64 *offs, int n);
extern SkOpHeader * make_gop(uint8 kind, const char *group, const char *field, Size flen,
			 const StringInfo payload, int64 at);
extern bool apply_members(SkGroupDb *db, SkGroup *g, Rd *r, int64 at);
extern bool apply_share(SkGroup *g, const SkOpHeader *op, Rd *r, int64 at);
extern bool g_apply(SkGroupDb *db, const SkOpHeader *op);
extern void sk_group_slot_init(SkSlot *s, int tranche_id);
extern void sk_group_lock_all(SkSlot *s, LWLockMode mode);
extern bool sk_group_try_lock_all(SkSlot *s);
extern void sk_group_unlock_all(SkSlot *s);
extern void sk_group_unload(SkSlot *s);
extern SkGroupDb * gdb_get(Relation rel);
extern void touch_members(SkGroupDb *db, int64 now);
extern void sk_group_load(SkSlot *s, Relation rel);
extern SkGroupDb * gdb_lock(Relation rel, LWLockMode mode);
extern SkGroupDb * gdb_for_redo(RelFileNode rnode);
extern void sk_group_redo_op(RelFileNode rnode, const SkOpHeader *op);
extern void sk_group_redo_switch(RelFileNode rnode, uint64 live_ops);
extern const char * sk_group_op_name(uint8 kind);
extern void gctx_open(GCtx *c, bool write);
extern void gctx_lock(GCtx *c, LWLockMode mode);
extern void gctx_unlock(GCtx *c);
extern void gctx_close(GCtx *c);
extern bool g_apply_cb(void *target, const SkOpHeader *op);
extern void g_log(GCtx *c, SkOpHeader *op);
extern char * arg_text(FunctionCallInfo fcinfo, int n, const char *what);
extern void check_group_name(const char *name);
extern void check_id(const char *id, const char *what);
extern void no_group(const char *name);
extern void wrong_group_type(SkGroup *g, int want);
extern SkGroup * must_group(GCtx *c, const char *name, int type);
extern void check_partition(SkTopicRef *tr, int32 partition);
extern int parse_reset(const char *s, bool allow_none);
extern int parse_strategy(const char *s);
extern Datum text_datum(const char *s);
extern LMember * members_local(SkGroup *g, int *n);
extern List * ltopics_from_group(SkGroup *g);
extern LTopic * ltopic_find(List *l, const char *name);
extern void members_payload(StringInfo b, int32 gen, int32 strategy, int64 empty_since, List *ltopics,
					LMember *lm, int n);
extern int cmp_member(const void *a, const void *b);
extern int cmp_str(const ListCell *a, const ListCell *b);
extern bool subscribes(LMember *m, const char *topic);
extern void add_assign(LMember *m, const char *topic, int32 p);
extern int cmp_ltp(const void *a, const void *b);
extern int topic_partitions(List *ltopics, const char *topic);
extern void assign_partitions(int strategy, List *ltopics, LMember *lm, int n);
extern void log_members(GCtx *c, const char *name, int32 strategy, int32 gen, int64 empty_since,
				List *ltopics, LMember *lm, int n, bool rebalance);
extern bool expire_members(GCtx *c, SkGroup *g);
extern SkMember * find_member(SkGroup *g, const char *id);
extern void unknown_member(SkGroup *g, const char *member);
extern void check_generation(SkGroup *g, int32 generation);
extern Datum assignment_result(FunctionCallInfo fcinfo, SkGroup *g, SkMember *m);
extern void gc_flush(GCompact *gc);
extern void gc_add(GCompact *gc, SkOpHeader *op);
extern void compact_group(GCompact *gc, SkGroup *g);
extern void g_compact(GCtx *c);
extern void g_maybe_compact(GCtx *c);
extern void null_arg(const char *what);
extern void log_commit(GCtx *c, const char *group, const char *topic, int32 partition, int64 offset,
			   const char *meta);
extern Datum sk_group_commit(PG_FUNCTION_ARGS);
extern Datum sk_group_committed(PG_FUNCTION_ARGS);
extern bool topic_referenced(SkGroup *g, int ti);
extern int cmp_leading_name(const void *a, const void *b);
extern Datum sk_group_lag(PG_FUNCTION_ARGS);
extern Datum sk_group_reset_offsets(PG_FUNCTION_ARGS);
extern Datum sk_group_delete(PG_FUNCTION_ARGS);
extern Datum text_array(List *l);
extern Datum sk_group_list(PG_FUNCTION_ARGS);
extern char * generated_member_id(const char *instance);
extern bool same_subs(List *a, List *b);
extern Datum sk_group_join(PG_FUNCTION_ARGS);
extern SkMember * live_member(GCtx *c, const char *group, const char *member, bool has_gen, int32 gen,
				SkGroup **gp);
extern Datum sk_group_heartbeat(PG_FUNCTION_ARGS);
extern Datum sk_group_leave(PG_FUNCTION_ARGS);
extern Datum tp_array(SkGroup *g, SkMember *m);
extern Datum sk_group_members(PG_FUNCTION_ARGS);
extern bool emit_record(const SkRecordView *v, void *arg);
extern bool wait_for_records(SkTopicRef *const *trs, int ntr, instr_time start, int wait_ms);
extern bool refresh_partition_counts(GCtx *c, SkGroup *g, OpenTopic *ot, int nt);
extern Datum sk_group_poll(PG_FUNCTION_ARGS);
extern Datum sk_share_create(PG_FUNCTION_ARGS);
extern void log_share_offsets(GCtx *c, uint8 kind, const char *group, const char *consumer, int32 partition,
					  int64 lock_until, const int64 *offs, int n);
extern char * copy_bytes(const char *p, Size len);
extern bool copy_record(const SkRecordView *v, void *arg);
extern void dead_letter(GCtx *c, SkGroup *g, SkTopicRef *tr, SkTopicRef *dtr, int32 partition,
				const int64 *offs, const int *deliveries, int n, const char *reason);
extern void share_names(GCtx *c, const char *group, char *topic, char *dlq);
extern bool open_dlq(SkTopicRef *dtr, const char *dlq);
extern int settle_collect(SkGroup *g, const char *consumer, int32 partition, const int64 *offs, int ne,
				   int how, int64 *held, int *nr, int64 *dead, int *ddel, int *nd);
extern int cmp_ackpair(const void *a, const void *b);
extern AckPair * ack_pairs(ArrayType *parts, ArrayType *offs, SkTopicRef *tr, int *n);
extern SkGroup * ack_pairs_apply(GCtx *c, SkGroup *g, const char *group, const char *consumer,
					const AckPair *pairs, int n, int64 *offs, int64 *held);
extern int cmp_int64(const void *a, const void *b);
extern Datum sk_share_acquire(PG_FUNCTION_ARGS);
extern Datum share_settle(FunctionCallInfo fcinfo, int how);
extern Datum sk_share_ack(PG_FUNCTION_ARGS);
extern Datum sk_share_release(PG_FUNCTION_ARGS);
extern Datum sk_share_reject(PG_FUNCTION_ARGS);
extern Datum sk_share_pending(PG_FUNCTION_ARGS);
extern bool share_has_dead(SkGroup *g, int64 now);
extern int sk_group_dead_letter_all(void);
extern void maintain_db(SkSlot *s, void *arg);
extern void sk_group_maintain(MemoryContext roundcxt);
extern Datum sk_group_compact(PG_FUNCTION_ARGS);

static inline SkGTopic *
g_topics(SkGroup *g)
{
	return g->ntopics > 0 ? sk_ptr(g->topics) : NULL;
}

static inline SkMember *
g_members(SkGroup *g)
{
	return g->nmembers > 0 ? sk_ptr(g->members) : NULL;
}

static inline SkGPart *
gt_parts(SkGTopic *t)
{
	return t->nparts > 0 ? sk_ptr(t->parts) : NULL;
}

static inline SkGroup *
db_group(SkGroupDb *db, int i)
{
	return sk_ptr(((dsa_pointer *) sk_ptr(db->groups))[i]);
}

static inline SkShareEntry *
share_entry(SkSharePart *sp, int64 off)
{
	return &sp->e[off % SK_SHARE_WINDOW];
}

static inline bool
gdb_is(SkGroupDb *db, RelFileNode rnode)
{
	return sk_slot_is(&db->slot, SK_STORE_GROUPS, rnode);
}

#endif							/* STREAMKV_GROUP_INT_H */
