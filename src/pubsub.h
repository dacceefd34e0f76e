/*-------------------------------------------------------------------------
 *
 * pubsub.h
 *	  Pub/sub (Redis's PUBLISH, SUBSCRIBE, PSUBSCRIBE and PUBSUB): the C API
 *	  under the SQL functions of pubsub_sql.c, for SQL and the RESP listener
 *	  alike.  Channels, patterns and messages are byte strings.
 *
 * Pub/sub is not durable state: like Redis it delivers at most once, stores
 * nothing and writes no WAL.  It lives in shared memory only (pubsub.c):
 * a fixed array of subscribers (one per backend that subscribed), each with
 * a bounded ring buffer of messages in streamkv's DSA area, and two hash
 * tables in the area, channel -> subscribers and pattern -> subscribers.
 * A session's subscriptions end with the session (a before_shmem_exit
 * callback); a crash-restart rebuilds shared memory from scratch.
 *
 * Locking (tranche "streamkv pubsub"):
 *	  - the registry lock (SkPubSub.lock): shared to publish and to read the
 *		tables, exclusive to subscribe, unsubscribe and to take or free a
 *		subscriber slot;
 *	  - one lock per subscriber (SkPsSub.lock): its ring buffer and counters;
 *		taken by publishers while holding the registry lock, and alone by the
 *		subscriber's receive.
 *	  Order: registry lock, then a subscriber lock (one at a time), then the
 *	  DSA area's own locks (allocation).  A process never takes the registry
 *	  lock while holding a subscriber lock.  Pub/sub locks come after every
 *	  slot and buffer lock of docs/architecture.md, "Locks" (a keyspace
 *	  command may publish while holding its shard locks) and no slot lock is
 *	  ever waited for while holding a pub/sub lock (sk_alloc unloads idle
 *	  slots with conditional locks only; the slot table's partition locks it
 *	  reads are held only inside slot.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_PUBSUB_H
#define STREAMKV_PUBSUB_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* Redis's proto-max-bulk-len: the largest message publish accepts */
#define SK_PS_MAX_MESSAGE		((Size) 512 * 1024 * 1024)

/* GUC streamkv.pubsub_buffer_limit, in kB */
extern int	sk_pubsub_buffer_limit_kb;

/* One reply of subscribe/unsubscribe, as Redis sends it. */
typedef struct SkPsReply
{
	const char *kind;			/* "subscribe", "unsubscribe", "psubscribe",
								 * "punsubscribe" */
	char	   *name;			/* channel or pattern; NULL for an
								 * unsubscribe-all with nothing subscribed */
	Size		len;
	int64		count;			/* the session's subscriptions after it */
} SkPsReply;

/* One delivered message. */
typedef struct SkPsMessage
{
	bool		pmessage;		/* delivered through a pattern */
	char	   *pattern;		/* NULL for a channel subscription */
	Size		plen;
	char	   *channel;
	Size		clen;
	char	   *data;
	Size		len;
} SkPsMessage;

/* One subscriber, for the subscribers view. */
typedef struct SkPsSubscriberInfo
{
	int			pid;
	List	   *channels;		/* of palloc'd text */
	List	   *patterns;
	int64		buffered_messages;
	int64		buffered_bytes;
	int64		buffer_limit;
	int64		delivered;
	bool		cut_off;
} SkPsSubscriberInfo;

/*
 * Keyspace notifications (Redis's notify-keyspace-events): the classes of
 * GUC streamkv.notify_keyspace_events, one bit per flag letter.  A keyspace
 * command calls SK_NOTIFY once where it changed a key; with the GUC empty
 * that is one test of an int.  <db> in the channel names is the database's
 * OID.  May be called holding shard locks (see Locking above).
 */
#define SK_NOTIFY_KEYSPACE	(1 << 0)	/* K */
#define SK_NOTIFY_KEYEVENT	(1 << 1)	/* E */
#define SK_NOTIFY_GENERIC	(1 << 2)	/* g */
#define SK_NOTIFY_STRING	(1 << 3)	/* $ */
#define SK_NOTIFY_LIST		(1 << 4)	/* l */
#define SK_NOTIFY_SET		(1 << 5)	/* s */
#define SK_NOTIFY_HASH		(1 << 6)	/* h */
#define SK_NOTIFY_ZSET		(1 << 7)	/* z */
#define SK_NOTIFY_EXPIRED	(1 << 8)	/* x */
#define SK_NOTIFY_EVICTED	(1 << 9)	/* e */
#define SK_NOTIFY_STREAM	(1 << 10)	/* t */
#define SK_NOTIFY_KEY_MISS	(1 << 11)	/* m */
#define SK_NOTIFY_NEW		(1 << 12)	/* n */
#define SK_NOTIFY_MODULE	(1 << 13)	/* d */

extern int	sk_notify_flags;

extern void sk_ps_notify_keyspace(int cls, const char *event, const char *key, Size klen,
								  Oid dbid);

#define SK_NOTIFY(cls, event, key, klen, dbid) \
	do { \
		if (unlikely(sk_notify_flags & (cls))) \
			sk_ps_notify_keyspace((cls), (event), (key), (klen), (dbid)); \
	} while (0)

/* start-up (streamkv.c) */
extern void sk_pubsub_define_gucs(void);
extern Size sk_pubsub_shmem_size(void);
extern void sk_pubsub_shmem_startup(void);

/*
 * SUBSCRIBE / PSUBSCRIBE: adds the session's subscriptions; one reply per
 * name (palloc'd array, *nreplies).  Every command below first reports a
 * cut-off (see sk_ps_receive) with its error.
 */
extern SkPsReply *sk_ps_subscribe(bool pattern, int n, char **names, Size *lens, int *nreplies);
/* UNSUBSCRIBE / PUNSUBSCRIBE; n = 0: all of the session's of that sort */
extern SkPsReply *sk_ps_unsubscribe(bool pattern, int n, char **names, Size *lens, int *nreplies);

/*
 * PUBLISH: the number of subscriptions (channel + pattern) that got it.
 * With streamkv.pubsub_replicate on a primary, also logs the message
 * (XLOG_SK_PUBLISH, not flushed at commit) for standbys.
 */
extern int64 sk_ps_publish(const char *channel, Size clen, const char *msg, Size mlen);

/* GUC streamkv.pubsub_replicate */
extern bool sk_pubsub_replicate;

/* redo and description of XLOG_SK_PUBLISH (wal.c); never ERRORs */
extern void sk_ps_redo_publish(const char *data, Size len);
extern void sk_ps_desc_publish(StringInfo buf, const char *data, Size len);

/*
 * Receive up to max_messages of the session's buffered messages, waiting up
 * to wait_ms for the first one when none is buffered (0: no wait), while
 * the session has subscriptions.  Cancellable.  A session that was cut off
 * gets ERROR 54000 saying how many messages were lost; its subscriptions
 * are gone and it may subscribe again.
 */
extern SkPsMessage *sk_ps_receive(int max_messages, int wait_ms, int *nmessages);

/* PUBSUB CHANNELS [pattern], NUMSUB, NUMPAT */
extern List *sk_ps_channels(const char *pattern, Size plen);	/* of text * */
extern int64 sk_ps_numsub(const char *channel, Size clen);
extern int64 sk_ps_numpat(void);
/* the subscribers, for the view */
extern List *sk_ps_subscribers(void);	/* of SkPsSubscriberInfo * */

#endif							/* STREAMKV_PUBSUB_H */
