/*-------------------------------------------------------------------------
 *
 * pubsub.c
 *	  Pub/sub in shared memory: subscribers with bounded ring buffers, the
 *	  channel and pattern tables, publish, receive and the PUBSUB
 *	  introspection commands.  The C API is pubsub.h; the SQL wrappers are
 *	  in pubsub_sql.c.
 *
 * Design.  Redis's model: a message is copied into the buffer of every
 * subscription that matches when it is published (the channel's
 * subscribers, then each pattern that matches, once per subscriber of the
 * pattern) and is gone once received; nothing is stored, nothing is logged.
 *
 *	  - SkPubSub (fixed shared memory, sized by MaxBackends) holds the
 *		registry lock, the two tables and one SkPsSub per PGPROC of a
 *		backend, indexed by pgprocno: a backend's subscriber slot is its own,
 *		no search and no race to claim one.
 *	  - The tables (channels, patterns) are chained hash tables in the DSA
 *		area; an entry (SkPsEntry) holds its name and an array of subscriber
 *		indexes.  An entry exists while it has subscribers.  Publishing
 *		looks the channel up, then walks every pattern (as Redis 7 does,
 *		matching each distinct pattern once with the keyspace's glob
 *		matcher, glob_match in ks_generic.c).
 *	  - A subscriber's ring buffer (DSA, counted in streamkv.max_memory)
 *		starts at 16 kB and doubles up to the subscriber's
 *		streamkv.pubsub_buffer_limit (taken when it subscribes).  A message
 *		that does not fit cuts the subscriber off (Redis's
 *		client-output-buffer-limit): its buffer is dropped, publishers skip
 *		it, and its next pub/sub call fails with the number of messages
 *		lost, dropping its subscriptions.  A drained ring larger than the
 *		minimum is given back.
 *	  - Receive sleeps on the subscriber's condition variable; a publisher
 *		signals it only when the subscriber said it waits.
 *
 * Locking: see pubsub.h (registry lock, then one subscriber lock, then the
 * DSA area).  Fields of SkPsSub are marked with the lock that guards them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define SK_MEM_KIND SK_MEM_PUBSUB		/* what its sk_alloc counts toward (kvmem.h) */

#include "access/xlog.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "keyspace_int.h"
#include "kvmem.h"
#include "pubsub.h"
#include "streamkv.h"
#include "acl.h"

/* the smallest ring a subscriber gets */
#define SK_PS_RING_MIN		((uint64) 16 * 1024)
#define SK_PS_TABLE_MIN		16

int			sk_pubsub_buffer_limit_kb = 32 * 1024;	/* Redis: pubsub hard limit
													 * 32mb */

typedef struct SkPsTable
{
	uint32		nbuckets;		/* power of two, or 0 before the first entry */
	uint32		nitems;
	dsa_pointer buckets;		/* dsa_pointer[nbuckets] */
} SkPsTable;

typedef struct SkPsEntry
{
	dsa_pointer next;			/* bucket chain */
	uint32		hash;
	uint32		nsubs;
	uint32		cap;
	Size		len;
	dsa_pointer subs;			/* int32[cap]: subscriber indexes */
	char		name[FLEXIBLE_ARRAY_MEMBER];
} SkPsEntry;

typedef struct SkPsSub
{
	LWLock		lock;			/* the fields under "sub lock" */
	ConditionVariable cv;		/* receive sleeps here */
	/* registry lock exclusive to change, shared to read */
	bool		in_use;
	int			pid;
	int32		nchannels;
	int32		npatterns;
	/* sub lock; cut_off is also read without it (a hint) */
	pg_atomic_uint32 cut_off;	/* 0, or SK_PS_CUT_* */
	bool		waiting;
	dsa_pointer ring;
	uint64		cap;			/* bytes of ring */
	uint64		head;			/* next byte to write (mod cap) */
	uint64		tail;			/* next byte to read (mod cap) */
	uint64		nmsgs;
	uint64		lost;			/* messages dropped by the cut-off */
	uint64		limit;			/* bytes */
	uint64		delivered;
} SkPsSub;

#define SK_PS_CUT_LIMIT		1
#define SK_PS_CUT_MEMORY	2

typedef struct SkPubSub
{
	LWLock		lock;			/* the registry lock */
	int			tranche_id;
	int			nsubs;
	SkPsTable	channels;
	SkPsTable	patterns;
	SkPsSub		subs[FLEXIBLE_ARRAY_MEMBER];
} SkPubSub;

/* a message in a ring: this header, then pattern, channel, data; MAXALIGNed */
typedef struct SkPsMsgHdr
{
	uint64		size;			/* all of it, aligned */
	uint64		plen;
	uint64		clen;
	uint64		mlen;
	bool		pmessage;
} SkPsMsgHdr;

static SkPubSub *sk_ps = NULL;

/* streamkv.notify_keyspace_events: the string, and its flags */
static char *sk_notify_events = NULL;
int			sk_notify_flags = 0;
bool		sk_pubsub_replicate = false;
static bool sk_ps_exit_registered = false;

/* ------------------------------------------------------------------------
 * Start-up
 * ------------------------------------------------------------------------
 */
/* Redis's keyspaceEventsStringToFlags: NULL when a letter is unknown */
static const char sk_notify_letters[] = "KEg$lshzxetmnd";

static bool
parse_notify_flags(const char *str, int *flags)
{
	int			f = 0;
	const char *p;

	for (p = str; *p; p++)
	{
		const char *l;

		if (*p == 'A')
		{
			/* A = g$lshzxetd: every class but m (key miss) and n (new key) */
			f |= SK_NOTIFY_GENERIC | SK_NOTIFY_STRING | SK_NOTIFY_LIST | SK_NOTIFY_SET |
				SK_NOTIFY_HASH | SK_NOTIFY_ZSET | SK_NOTIFY_EXPIRED | SK_NOTIFY_EVICTED |
				SK_NOTIFY_STREAM | SK_NOTIFY_MODULE;
			continue;
		}
		l = strchr(sk_notify_letters, *p);
		if (l == NULL)
			return false;
		f |= 1 << (l - sk_notify_letters);
	}
	*flags = f;
	return true;
}

static bool
check_notify_events(char **newval, void **extra, GucSource source)
{
	int			f;
	int		   *e;

	if (*newval == NULL || !parse_notify_flags(*newval, &f))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errdetail("Use Redis's notify-keyspace-events letters: K, E, g, $, l, s, h, z, x, e, t, m, n, d, A.");
		return false;
	}
	e = (int *) malloc(sizeof(int));
	if (e == NULL)
		return false;
	*e = f;
	*extra = e;
	return true;
}

static void
assign_notify_events(const char *newval, void *extra)
{
	int			f = *(int *) extra;

	/* nothing is sent unless K or E is there */
	sk_notify_flags = (f & (SK_NOTIFY_KEYSPACE | SK_NOTIFY_KEYEVENT)) ? f : 0;
}

void
sk_pubsub_define_gucs(void)
{
	DefineCustomBoolVariable("streamkv.pubsub_replicate",
							 "Logs each publish so that standbys deliver it to their subscribers.",
							 "A WAL record per message, not flushed at commit (at most once, like the rest of pub/sub).",
							 &sk_pubsub_replicate,
							 false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("streamkv.notify_keyspace_events",
							   "Keyspace events published to pub/sub, in Redis's notify-keyspace-events letters.",
							   "K: __keyspace@<db oid>__:<key> channels, E: __keyevent@<db oid>__:<event>; classes g $ h z x (e, l, s, t, m, n, d accepted, never sent); A = g$lshzxetd. Empty: none.",
							   &sk_notify_events,
							   "",
							   PGC_SIGHUP, 0, check_notify_events, assign_notify_events, NULL);
	DefineCustomIntVariable("streamkv.pubsub_buffer_limit",
							"Bytes of messages a pub/sub subscriber may have waiting before it is cut off.",
							"Taken when the session subscribes; a subscriber past it loses its buffer and its subscriptions (Redis's client-output-buffer-limit).",
							&sk_pubsub_buffer_limit_kb,
							32 * 1024, 16, 1024 * 1024,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
}

Size
sk_pubsub_shmem_size(void)
{
	return add_size(offsetof(SkPubSub, subs), mul_size(MaxBackends, sizeof(SkPsSub)));
}

void
sk_pubsub_shmem_startup(void)
{
	bool		found;
	int			i;

	sk_ps = ShmemInitStruct("streamkv pubsub", sk_pubsub_shmem_size(), &found);
	if (!found)
	{
		memset(sk_ps, 0, sk_pubsub_shmem_size());
		sk_ps->tranche_id = LWLockNewTrancheId();
		sk_ps->nsubs = MaxBackends;
		LWLockInitialize(&sk_ps->lock, sk_ps->tranche_id);
		sk_ps->channels.buckets = InvalidDsaPointer;
		sk_ps->patterns.buckets = InvalidDsaPointer;
		for (i = 0; i < sk_ps->nsubs; i++)
		{
			SkPsSub    *s = &sk_ps->subs[i];

			LWLockInitialize(&s->lock, sk_ps->tranche_id);
			ConditionVariableInit(&s->cv);
			pg_atomic_init_u32(&s->cut_off, 0);
			s->ring = InvalidDsaPointer;
		}
	}
	LWLockRegisterTranche(sk_ps->tranche_id, "streamkv pubsub");
}

static void
check_ready(void)
{
	sk_check_preloaded();
	if (sk_ps == NULL)
		elog(ERROR, "streamkv pub/sub shared memory is not set up");
	/* attach the area (and register the tranche names) before any lock */
	(void) sk_area();
}

/* ------------------------------------------------------------------------
 * Tables (registry lock: exclusive to change, shared to read)
 * ------------------------------------------------------------------------
 */
static inline SkPsEntry *
entry_ptr(dsa_pointer dp)
{
	return (SkPsEntry *) sk_ptr(dp);
}

static inline int32 *
entry_subs(SkPsEntry *e)
{
	return (int32 *) sk_ptr(e->subs);
}

/* the link that points at name's entry (or at the end of its chain) */
static dsa_pointer *
table_link(SkPsTable *t, const char *name, Size len, uint32 hash)
{
	dsa_pointer *link;

	if (t->nbuckets == 0)
		return NULL;
	link = (dsa_pointer *) sk_ptr(t->buckets) + (hash & (t->nbuckets - 1));
	while (DsaPointerIsValid(*link))
	{
		SkPsEntry  *e = entry_ptr(*link);

		if (e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0)
			return link;
		link = &e->next;
	}
	return link;
}

static SkPsEntry *
table_find(SkPsTable *t, const char *name, Size len, uint32 hash)
{
	dsa_pointer *link = table_link(t, name, len, hash);

	if (link == NULL || !DsaPointerIsValid(*link))
		return NULL;
	return entry_ptr(*link);
}

static void
out_of_memory(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("streamkv shared memory is full: cannot add %s", what),
			 errhint("Raise streamkv.max_memory or free some of streamkv's data.")));
}

/* Doubles the buckets of a crowded table; keeps it as it is when memory is short. */
static void
table_maybe_grow(SkPsTable *t)
{
	uint32		newn;
	dsa_pointer ndp;
	dsa_pointer *nb;
	dsa_pointer *ob;
	uint32		i;

	if (t->nbuckets != 0 && t->nitems <= t->nbuckets * 2)
		return;
	newn = t->nbuckets == 0 ? SK_PS_TABLE_MIN : t->nbuckets * 2;
	ndp = sk_alloc(sizeof(dsa_pointer) * newn);
	if (!DsaPointerIsValid(ndp))
	{
		if (t->nbuckets == 0)
			out_of_memory("a pub/sub subscription");
		return;
	}
	nb = (dsa_pointer *) sk_ptr(ndp);
	for (i = 0; i < newn; i++)
		nb[i] = InvalidDsaPointer;
	if (t->nbuckets != 0)
	{
		ob = (dsa_pointer *) sk_ptr(t->buckets);
		for (i = 0; i < t->nbuckets; i++)
		{
			dsa_pointer dp = ob[i];

			while (DsaPointerIsValid(dp))
			{
				SkPsEntry  *e = entry_ptr(dp);
				dsa_pointer next = e->next;
				uint32		b = e->hash & (newn - 1);

				e->next = nb[b];
				nb[b] = dp;
				dp = next;
			}
		}
		sk_free(t->buckets, sizeof(dsa_pointer) * t->nbuckets);
	}
	t->buckets = ndp;
	t->nbuckets = newn;
}

static bool
entry_has(SkPsEntry *e, int32 idx)
{
	int32	   *subs = entry_subs(e);
	uint32		i;

	for (i = 0; i < e->nsubs; i++)
		if (subs[i] == idx)
			return true;
	return false;
}

/*
 * Adds subscriber idx to name's entry, creating it.  Returns false when idx
 * was already there.  ERRORs (changing nothing) when memory is short.
 */
static bool
table_add(SkPsTable *t, const char *name, Size len, int32 idx)
{
	uint32		hash = sk_hash(name, len);
	dsa_pointer *link;
	SkPsEntry  *e;

	table_maybe_grow(t);
	link = table_link(t, name, len, hash);
	if (!DsaPointerIsValid(*link))
	{
		Size		esize = offsetof(SkPsEntry, name) + len;
		dsa_pointer edp = sk_alloc(esize);
		dsa_pointer sdp;

		if (!DsaPointerIsValid(edp))
			out_of_memory("a pub/sub subscription");
		sdp = sk_alloc(sizeof(int32) * 4);
		if (!DsaPointerIsValid(sdp))
		{
			sk_free(edp, esize);
			out_of_memory("a pub/sub subscription");
		}
		e = entry_ptr(edp);
		e->next = InvalidDsaPointer;
		e->hash = hash;
		e->nsubs = 0;
		e->cap = 4;
		e->len = len;
		e->subs = sdp;
		memcpy(e->name, name, len);
		*link = edp;
		t->nitems++;
	}
	e = entry_ptr(*link);
	if (entry_has(e, idx))
		return false;
	if (e->nsubs == e->cap)
	{
		dsa_pointer ndp = sk_alloc(sizeof(int32) * e->cap * 2);

		if (!DsaPointerIsValid(ndp))
			out_of_memory("a pub/sub subscription");
		memcpy(sk_ptr(ndp), entry_subs(e), sizeof(int32) * e->nsubs);
		sk_free(e->subs, sizeof(int32) * e->cap);
		e->subs = ndp;
		e->cap *= 2;
	}
	entry_subs(e)[e->nsubs++] = idx;
	return true;
}

/* Removes subscriber idx from name's entry; false when it was not there. */
static bool
table_remove(SkPsTable *t, const char *name, Size len, int32 idx)
{
	uint32		hash = sk_hash(name, len);
	dsa_pointer *link = table_link(t, name, len, hash);
	dsa_pointer edp;
	SkPsEntry  *e;
	int32	   *subs;
	uint32		i;

	if (link == NULL || !DsaPointerIsValid(*link))
		return false;
	edp = *link;
	e = entry_ptr(edp);
	subs = entry_subs(e);
	for (i = 0; i < e->nsubs; i++)
		if (subs[i] == idx)
			break;
	if (i == e->nsubs)
		return false;
	/* keep the order of the others (delivery order does not depend on it) */
	memmove(&subs[i], &subs[i + 1], sizeof(int32) * (e->nsubs - i - 1));
	e->nsubs--;
	if (e->nsubs == 0)
	{
		*link = e->next;
		sk_free(e->subs, sizeof(int32) * e->cap);
		sk_free(edp, offsetof(SkPsEntry, name) + e->len);
		t->nitems--;
	}
	return true;
}

typedef void (*entry_visitor) (SkPsEntry *e, void *arg);

static void
table_scan(SkPsTable *t, entry_visitor visit, void *arg)
{
	dsa_pointer *b;
	uint32		i;

	if (t->nbuckets == 0)
		return;
	b = (dsa_pointer *) sk_ptr(t->buckets);
	for (i = 0; i < t->nbuckets; i++)
	{
		dsa_pointer dp = b[i];

		while (DsaPointerIsValid(dp))
		{
			SkPsEntry  *e = entry_ptr(dp);

			dp = e->next;		/* visit may not free e, but read it first */
			visit(e, arg);
		}
	}
}

/* subscribers of an entry that are not cut off (registry lock held) */
static int64
entry_live_subs(SkPsEntry *e)
{
	int32	   *subs = entry_subs(e);
	int64		n = 0;
	uint32		i;

	for (i = 0; i < e->nsubs; i++)
		if (pg_atomic_read_u32(&sk_ps->subs[subs[i]].cut_off) == 0)
			n++;
	return n;
}

/* ------------------------------------------------------------------------
 * Rings (sub lock held)
 * ------------------------------------------------------------------------
 */
static void
ring_put(char *ring, uint64 cap, uint64 pos, const void *src, Size len)
{
	uint64		off = pos % cap;
	Size		first = Min(len, cap - off);

	memcpy(ring + off, src, first);
	if (len > first)
		memcpy(ring, (const char *) src + first, len - first);
}

static void
ring_get(const char *ring, uint64 cap, uint64 pos, void *dst, Size len)
{
	uint64		off = pos % cap;
	Size		first = Min(len, cap - off);

	memcpy(dst, ring + off, first);
	if (len > first)
		memcpy((char *) dst + first, ring, len - first);
}

static void
ring_free(SkPsSub *s)
{
	if (DsaPointerIsValid(s->ring))
		sk_free(s->ring, s->cap);
	s->ring = InvalidDsaPointer;
	s->cap = 0;
	s->head = s->tail = 0;
	s->nmsgs = 0;
}

/* Makes room for need more bytes; false when the subscriber must be cut off. */
static bool
ring_reserve(SkPsSub *s, uint64 need, int *why)
{
	uint64		used = s->head - s->tail;
	uint64		newcap;
	dsa_pointer ndp;

	if (used + need <= s->cap)
		return true;
	if (used + need > s->limit)
	{
		*why = SK_PS_CUT_LIMIT;
		return false;
	}
	newcap = Max(s->cap * 2, SK_PS_RING_MIN);
	while (newcap < used + need)
		newcap *= 2;
	newcap = Min(newcap, s->limit);
	ndp = sk_alloc(newcap);
	if (!DsaPointerIsValid(ndp))
	{
		*why = SK_PS_CUT_MEMORY;
		return false;
	}
	if (used > 0)
		ring_get(sk_ptr(s->ring), s->cap, s->tail, sk_ptr(ndp), used);
	if (DsaPointerIsValid(s->ring))
		sk_free(s->ring, s->cap);
	s->ring = ndp;
	s->cap = newcap;
	s->tail = 0;
	s->head = used;
	return true;
}

/*
 * Copies one message into subscriber idx's ring.  True when it was
 * delivered (counts for PUBLISH's reply).  Caller holds the registry lock.
 */
static bool
deliver(int32 idx, const char *pat, Size plen, const char *ch, Size clen,
		const char *msg, Size mlen)
{
	SkPsSub    *s = &sk_ps->subs[idx];
	SkPsMsgHdr	h;
	bool		wake;
	int			why = 0;
	char	   *ring;

	h.plen = pat ? plen : 0;
	h.clen = clen;
	h.mlen = mlen;
	h.pmessage = (pat != NULL);
	h.size = MAXALIGN(sizeof(SkPsMsgHdr) + h.plen + clen + mlen);

	LWLockAcquire(&s->lock, LW_EXCLUSIVE);
	if (pg_atomic_read_u32(&s->cut_off) != 0)
	{
		LWLockRelease(&s->lock);
		return false;
	}
	if (!ring_reserve(s, h.size, &why))
	{
		/* cut off: what it had buffered and this message are lost */
		s->lost = s->nmsgs + 1;
		ring_free(s);
		pg_atomic_write_u32(&s->cut_off, why);
		wake = s->waiting;
		LWLockRelease(&s->lock);
		if (wake)
			ConditionVariableSignal(&s->cv);
		return false;
	}
	ring = sk_ptr(s->ring);
	ring_put(ring, s->cap, s->head, &h, sizeof(h));
	if (h.plen)
		ring_put(ring, s->cap, s->head + sizeof(h), pat, h.plen);
	ring_put(ring, s->cap, s->head + sizeof(h) + h.plen, ch, clen);
	ring_put(ring, s->cap, s->head + sizeof(h) + h.plen + clen, msg, mlen);
	s->head += h.size;
	s->nmsgs++;
	s->delivered++;
	wake = s->waiting;
	LWLockRelease(&s->lock);
	if (wake)
		ConditionVariableSignal(&s->cv);
	return true;
}

/* ------------------------------------------------------------------------
 * The session's subscriber
 * ------------------------------------------------------------------------
 */
static int32
my_index(void)
{
	int32		idx = MyProc ? MyProc->pgprocno : -1;

	if (idx < 0 || idx >= sk_ps->nsubs)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this process cannot use streamkv pub/sub")));
	return idx;
}

typedef struct DropCtx
{
	int32		idx;
	List	   *names;			/* of text * */
} DropCtx;

static void
collect_mine(SkPsEntry *e, void *arg)
{
	DropCtx    *d = (DropCtx *) arg;

	if (entry_has(e, d->idx))
	{
		text	   *t = (text *) palloc(VARHDRSZ + e->len);

		SET_VARSIZE(t, VARHDRSZ + e->len);
		memcpy(VARDATA(t), e->name, e->len);
		d->names = lappend(d->names, t);
	}
}

/* the names of idx's subscriptions in t (registry lock held) */
static List *
names_of(SkPsTable *t, int32 idx)
{
	DropCtx		d;

	d.idx = idx;
	d.names = NIL;
	table_scan(t, collect_mine, &d);
	return d.names;
}

/*
 * Drops every subscription of idx and, with release, gives its slot back.
 * Registry lock held exclusively.  Allocates only lists of names in local
 * memory: it may ERROR on out-of-memory there, leaving the tables and the
 * counts consistent (the subscriber is then merely still subscribed).
 */
static void
drop_all(int32 idx, bool release)
{
	SkPsSub    *s = &sk_ps->subs[idx];
	SkPsTable  *tables[2] = {&sk_ps->channels, &sk_ps->patterns};
	int			i;

	for (i = 0; i < 2; i++)
	{
		/* the names first: removing an entry would upset the walk */
		List	   *names = names_of(tables[i], idx);
		ListCell   *lc;

		foreach(lc, names)
		{
			text	   *t = (text *) lfirst(lc);

			if (table_remove(tables[i], VARDATA(t), VARSIZE(t) - VARHDRSZ, idx))
			{
				if (i == 0)
					s->nchannels--;
				else
					s->npatterns--;
			}
		}
		list_free_deep(names);
	}
	Assert(s->nchannels == 0 && s->npatterns == 0);
	LWLockAcquire(&s->lock, LW_EXCLUSIVE);
	if (release)
	{
		ring_free(s);
		s->lost = 0;
		pg_atomic_write_u32(&s->cut_off, 0);
		s->in_use = false;
		s->pid = 0;
	}
	LWLockRelease(&s->lock);
}

static void
pubsub_exit(int code, Datum arg)
{
	int32		idx;

	if (sk_ps == NULL || MyProc == NULL)
		return;
	idx = MyProc->pgprocno;
	if (idx < 0 || idx >= sk_ps->nsubs || !sk_ps->subs[idx].in_use)
		return;
	/* an error may have left locks or a sleep behind */
	ConditionVariableCancelSleep();
	LWLockReleaseAll();
	(void) sk_area();
	LWLockAcquire(&sk_ps->lock, LW_EXCLUSIVE);
	drop_all(idx, true);
	LWLockRelease(&sk_ps->lock);
}

/*
 * The session's subscriber slot, taken on first use.  Caller holds the
 * registry lock exclusively.
 */
static SkPsSub *
claim_slot(int32 idx)
{
	SkPsSub    *s = &sk_ps->subs[idx];

	if (!sk_ps_exit_registered)
	{
		before_shmem_exit(pubsub_exit, (Datum) 0);
		sk_ps_exit_registered = true;
	}
	if (!s->in_use)
	{
		LWLockAcquire(&s->lock, LW_EXCLUSIVE);
		ring_free(s);
		s->lost = 0;
		s->delivered = 0;
		s->waiting = false;
		pg_atomic_write_u32(&s->cut_off, 0);
		s->nchannels = s->npatterns = 0;
		s->pid = MyProcPid;
		s->in_use = true;
		LWLockRelease(&s->lock);
	}
	return s;
}

/*
 * A session that was cut off learns it here, from whichever pub/sub command
 * it runs next: its subscriptions are dropped and an error says how many
 * messages were lost.  Then it starts clean.
 */
static void
report_cut_off(void)
{
	int32		idx = my_index();
	SkPsSub    *s = &sk_ps->subs[idx];
	uint64		lost;
	uint32		why;
	uint64		limit;

	if (!s->in_use || pg_atomic_read_u32(&s->cut_off) == 0)
		return;
	LWLockAcquire(&sk_ps->lock, LW_EXCLUSIVE);
	drop_all(idx, false);
	LWLockAcquire(&s->lock, LW_EXCLUSIVE);
	lost = s->lost;
	why = pg_atomic_read_u32(&s->cut_off);
	limit = s->limit;
	s->lost = 0;
	ring_free(s);
	pg_atomic_write_u32(&s->cut_off, 0);
	LWLockRelease(&s->lock);
	LWLockRelease(&sk_ps->lock);

	if (why == SK_PS_CUT_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg_plural("pub/sub subscriber was cut off: %llu message lost",
							   "pub/sub subscriber was cut off: %llu messages lost",
							   lost, (unsigned long long) lost),
				 errdetail("streamkv.max_memory was reached while its buffer grew; its subscriptions were dropped."),
				 errhint("Subscribe again; receive more often or raise streamkv.max_memory.")));
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg_plural("pub/sub subscriber was cut off: %llu message lost",
						   "pub/sub subscriber was cut off: %llu messages lost",
						   lost, (unsigned long long) lost),
			 errdetail("Its waiting messages passed streamkv.pubsub_buffer_limit (%llu bytes); its subscriptions were dropped.",
					   (unsigned long long) limit),
			 errhint("Subscribe again; receive more often or raise streamkv.pubsub_buffer_limit.")));
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------
 */
SkPsReply *
sk_ps_subscribe(bool pattern, int n, char **names, Size *lens, int *nreplies)
{
	SkPsReply  *r = palloc(sizeof(SkPsReply) * Max(n, 1));
	int32		idx;
	SkPsSub    *s;
	int			i;

	check_ready();
	sk_acl_check(SK_ACL_KEYSPACE, "", SK_PRIV_READ);
	report_cut_off();
	idx = my_index();
	LWLockAcquire(&sk_ps->lock, LW_EXCLUSIVE);
	s = claim_slot(idx);
	LWLockAcquire(&s->lock, LW_EXCLUSIVE);
	s->limit = (uint64) sk_pubsub_buffer_limit_kb * 1024;
	LWLockRelease(&s->lock);
	for (i = 0; i < n; i++)
	{
		if (table_add(pattern ? &sk_ps->patterns : &sk_ps->channels, names[i], lens[i], idx))
		{
			if (pattern)
				s->npatterns++;
			else
				s->nchannels++;
		}
		r[i].kind = pattern ? "psubscribe" : "subscribe";
		r[i].name = names[i];
		r[i].len = lens[i];
		r[i].count = s->nchannels + s->npatterns;
	}
	LWLockRelease(&sk_ps->lock);
	*nreplies = n;
	return r;
}

SkPsReply *
sk_ps_unsubscribe(bool pattern, int n, char **names, Size *lens, int *nreplies)
{
	SkPsTable  *t;
	SkPsReply  *r;
	int32		idx;
	SkPsSub    *s;
	List	   *all = NIL;
	int			i;

	check_ready();
	report_cut_off();
	idx = my_index();
	s = &sk_ps->subs[idx];
	t = pattern ? &sk_ps->patterns : &sk_ps->channels;
	LWLockAcquire(&sk_ps->lock, LW_EXCLUSIVE);
	if (n == 0 && s->in_use)
	{
		ListCell   *lc;

		all = names_of(t, idx);
		n = list_length(all);
		names = palloc(sizeof(char *) * Max(n, 1));
		lens = palloc(sizeof(Size) * Max(n, 1));
		i = 0;
		foreach(lc, all)
		{
			text	   *tx = (text *) lfirst(lc);

			names[i] = VARDATA(tx);
			lens[i] = VARSIZE(tx) - VARHDRSZ;
			i++;
		}
	}
	r = palloc(sizeof(SkPsReply) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (s->in_use && table_remove(t, names[i], lens[i], idx))
		{
			if (pattern)
				s->npatterns--;
			else
				s->nchannels--;
		}
		r[i].kind = pattern ? "punsubscribe" : "unsubscribe";
		r[i].name = names[i];
		r[i].len = lens[i];
		r[i].count = s->in_use ? s->nchannels + s->npatterns : 0;
	}
	if (n == 0)
	{
		/* Redis: one reply with a nil name when there was nothing to drop */
		r[0].kind = pattern ? "punsubscribe" : "unsubscribe";
		r[0].name = NULL;
		r[0].len = 0;
		r[0].count = s->in_use ? s->nchannels + s->npatterns : 0;
		n = 1;
	}
	LWLockRelease(&sk_ps->lock);
	*nreplies = n;
	return r;
}

typedef struct PubCtx
{
	const char *ch;
	Size		clen;
	const char *msg;
	Size		mlen;
	int64		receivers;
} PubCtx;

static void
publish_pattern(SkPsEntry *e, void *arg)
{
	PubCtx	   *p = (PubCtx *) arg;
	int32	   *subs;
	uint32		i;

	if (!glob_match(e->name, (int) e->len, p->ch, (int) p->clen, 0))
		return;
	subs = entry_subs(e);
	for (i = 0; i < e->nsubs; i++)
		if (deliver(subs[i], e->name, e->len, p->ch, p->clen, p->msg, p->mlen))
			p->receivers++;
}

/*
 * Delivers a message to this server's subscriptions (registry lock shared).
 * Never ERRORs: redo calls it.
 */
static int64
publish_local(const char *channel, Size clen, const char *msg, Size mlen)
{
	PubCtx		p;
	SkPsEntry  *e;

	(void) sk_area();
	p.ch = channel;
	p.clen = clen;
	p.msg = msg;
	p.mlen = mlen;
	p.receivers = 0;
	LWLockAcquire(&sk_ps->lock, LW_SHARED);
	if (sk_ps->channels.nitems > 0 &&
		(e = table_find(&sk_ps->channels, channel, clen, sk_hash(channel, clen))) != NULL)
	{
		int32	   *subs = entry_subs(e);
		uint32		i;

		for (i = 0; i < e->nsubs; i++)
			if (deliver(subs[i], NULL, 0, channel, clen, msg, mlen))
				p.receivers++;
	}
	if (sk_ps->patterns.nitems > 0)
		table_scan(&sk_ps->patterns, publish_pattern, &p);
	LWLockRelease(&sk_ps->lock);
	return p.receivers;
}

/* XLOG_SK_PUBLISH: uint32 channel length, the channel, the message */
int64
sk_ps_publish(const char *channel, Size clen, const char *msg, Size mlen)
{
	check_ready();
	sk_acl_check(SK_ACL_KEYSPACE, "", SK_PRIV_WRITE);
	if (mlen > SK_PS_MAX_MESSAGE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pub/sub message too large: %zu bytes", mlen),
				 errdetail("A message holds at most %zu bytes (512 MB, as Redis's proto-max-bulk-len).",
						   SK_PS_MAX_MESSAGE)));
	if (sk_pubsub_replicate && !RecoveryInProgress())
	{
		uint32		l = (uint32) clen;
		XLogRecPtr	end;

		if (clen > PG_UINT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("pub/sub channel name too long to replicate")));
		XLogBeginInsert();
		XLogRegisterData((char *) &l, sizeof(l));
		XLogRegisterData(unconstify(char *, channel), clen);
		XLogRegisterData(unconstify(char *, msg), mlen);
		end = XLogInsert(STREAMKV_RMGR_ID, XLOG_SK_PUBLISH);
		/* not durable: no commit-time flush, but wake the WAL writer now */
		XLogSetAsyncXactLSN(end);
	}
	return publish_local(channel, clen, msg, mlen);
}

void
sk_ps_redo_publish(const char *data, Size len)
{
	uint32		clen;

	if (len < sizeof(clen))
		elog(PANIC, "streamkv redo: short PUBLISH record");
	memcpy(&clen, data, sizeof(clen));
	if (clen > len - sizeof(clen))
		elog(PANIC, "streamkv redo: malformed PUBLISH record");
	if (sk_ps == NULL)
		return;
	(void) publish_local(data + sizeof(clen), clen, data + sizeof(clen) + clen,
						 len - sizeof(clen) - clen);
}

void
sk_ps_desc_publish(StringInfo buf, const char *data, Size len)
{
	uint32		clen;

	if (len < sizeof(clen))
		return;
	memcpy(&clen, data, sizeof(clen));
	if (clen > len - sizeof(clen))
	{
		appendStringInfoString(buf, "(malformed)");
		return;
	}
	appendStringInfo(buf, "channel \"%.*s\": %zu bytes", (int) Min(clen, 64), data + sizeof(clen),
					 len - sizeof(clen) - clen);
}

/* Copies up to max messages out of the ring (sub lock held). */
static int
take_messages(SkPsSub *s, SkPsMessage **outp, int *cap, int max)
{
	int			n = 0;
	char	   *ring;

	if (s->nmsgs == 0)
		return 0;
	ring = sk_ptr(s->ring);
	while (n < max && s->nmsgs > 0)
	{
		SkPsMsgHdr	h;
		char	   *buf;
		SkPsMessage *m;

		if (n == *cap)
		{
			*cap *= 2;
			*outp = repalloc(*outp, sizeof(SkPsMessage) * *cap);
		}
		m = &(*outp)[n++];

		ring_get(ring, s->cap, s->tail, &h, sizeof(h));
		buf = palloc(h.plen + h.clen + h.mlen + 1);
		ring_get(ring, s->cap, s->tail + sizeof(h), buf, h.plen + h.clen + h.mlen);
		m->pmessage = h.pmessage;
		m->pattern = h.pmessage ? buf : NULL;
		m->plen = h.plen;
		m->channel = buf + h.plen;
		m->clen = h.clen;
		m->data = buf + h.plen + h.clen;
		m->len = h.mlen;
		s->tail += h.size;
		s->nmsgs--;
	}
	/* give back a grown ring once it is drained */
	if (s->nmsgs == 0)
	{
		s->head = s->tail = 0;
		if (s->cap > SK_PS_RING_MIN)
			ring_free(s);
	}
	return n;
}

SkPsMessage *
sk_ps_receive(int max_messages, int wait_ms, int *nmessages)
{
	SkPsMessage *out;
	int			outcap;
	SkPsSub    *s;
	int			n = 0;
	bool		sleeping = false;
	TimestampTz deadline = 0;

	check_ready();
	if (max_messages < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_messages must be at least 1")));
	if (wait_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait_ms must not be negative")));
	report_cut_off();
	s = &sk_ps->subs[my_index()];
	*nmessages = 0;
	if (!s->in_use)
		return NULL;
	outcap = Min(max_messages, 256);
	out = palloc(sizeof(SkPsMessage) * outcap);
	if (wait_ms > 0)
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	for (;;)
	{
		bool		cut;
		bool		wait;

		LWLockAcquire(&s->lock, LW_EXCLUSIVE);
		cut = pg_atomic_read_u32(&s->cut_off) != 0;
		if (!cut)
			n = take_messages(s, &out, &outcap, max_messages);
		/* wait only for what subscriptions can bring */
		wait = !cut && n == 0 && wait_ms > 0 && s->nchannels + s->npatterns > 0;
		s->waiting = wait;
		LWLockRelease(&s->lock);
		if (cut)
		{
			if (sleeping)
				ConditionVariableCancelSleep();
			report_cut_off();
		}
		if (!wait)
			break;
		if (!sleeping)
		{
			/* prepare, then look once more before sleeping: no lost wake-up */
			ConditionVariablePrepareToSleep(&s->cv);
			sleeping = true;
			continue;
		}
		{
			long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);

			if (left <= 0)
				break;
			(void) ConditionVariableTimedSleep(&s->cv, Min(left, 1000L), PG_WAIT_EXTENSION);
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (sleeping)
	{
		ConditionVariableCancelSleep();
		LWLockAcquire(&s->lock, LW_EXCLUSIVE);
		s->waiting = false;
		LWLockRelease(&s->lock);
	}
	*nmessages = n;
	return out;
}

/* ------------------------------------------------------------------------
 * Introspection (registry lock shared)
 * ------------------------------------------------------------------------
 */
typedef struct ChanCtx
{
	const char *pat;
	Size		plen;
	List	   *out;
} ChanCtx;

static void
collect_channel(SkPsEntry *e, void *arg)
{
	ChanCtx    *c = (ChanCtx *) arg;

	if (entry_live_subs(e) == 0)
		return;
	if (c->pat && !glob_match(c->pat, (int) c->plen, e->name, (int) e->len, 0))
		return;
	c->out = lappend(c->out, cstring_to_text_with_len(e->name, e->len));
}

List *
sk_ps_channels(const char *pattern, Size plen)
{
	ChanCtx		c;

	check_ready();
	c.pat = pattern;
	c.plen = plen;
	c.out = NIL;
	LWLockAcquire(&sk_ps->lock, LW_SHARED);
	table_scan(&sk_ps->channels, collect_channel, &c);
	LWLockRelease(&sk_ps->lock);
	return c.out;
}

int64
sk_ps_numsub(const char *channel, Size clen)
{
	SkPsEntry  *e;
	int64		n = 0;

	check_ready();
	LWLockAcquire(&sk_ps->lock, LW_SHARED);
	e = table_find(&sk_ps->channels, channel, clen, sk_hash(channel, clen));
	if (e)
		n = entry_live_subs(e);
	LWLockRelease(&sk_ps->lock);
	return n;
}

static void
count_pattern(SkPsEntry *e, void *arg)
{
	if (entry_live_subs(e) > 0)
		(*(int64 *) arg)++;
}

int64
sk_ps_numpat(void)
{
	int64		n = 0;

	check_ready();
	LWLockAcquire(&sk_ps->lock, LW_SHARED);
	table_scan(&sk_ps->patterns, count_pattern, &n);
	LWLockRelease(&sk_ps->lock);
	return n;
}

typedef struct SubsCtx
{
	SkPsSubscriberInfo **by_idx;
	bool		patterns;
} SubsCtx;

static void
collect_subscriber_names(SkPsEntry *e, void *arg)
{
	SubsCtx    *c = (SubsCtx *) arg;
	int32	   *subs = entry_subs(e);
	uint32		i;

	for (i = 0; i < e->nsubs; i++)
	{
		SkPsSubscriberInfo *info = c->by_idx[subs[i]];
		text	   *t;

		if (info == NULL)
			continue;
		t = cstring_to_text_with_len(e->name, e->len);
		if (c->patterns)
			info->patterns = lappend(info->patterns, t);
		else
			info->channels = lappend(info->channels, t);
	}
}

List *
sk_ps_subscribers(void)
{
	SubsCtx		c;
	List	   *out = NIL;
	int			i;

	check_ready();
	c.by_idx = palloc0(sizeof(SkPsSubscriberInfo *) * sk_ps->nsubs);
	LWLockAcquire(&sk_ps->lock, LW_SHARED);
	for (i = 0; i < sk_ps->nsubs; i++)
	{
		SkPsSub    *s = &sk_ps->subs[i];
		SkPsSubscriberInfo *info;

		if (!s->in_use)
			continue;
		info = palloc0(sizeof(SkPsSubscriberInfo));
		info->pid = s->pid;
		LWLockAcquire(&s->lock, LW_SHARED);
		info->buffered_messages = s->nmsgs;
		info->buffered_bytes = s->head - s->tail;
		info->buffer_limit = s->limit;
		info->delivered = s->delivered;
		info->cut_off = pg_atomic_read_u32(&s->cut_off) != 0;
		LWLockRelease(&s->lock);
		c.by_idx[i] = info;
		out = lappend(out, info);
	}
	c.patterns = false;
	table_scan(&sk_ps->channels, collect_subscriber_names, &c);
	c.patterns = true;
	table_scan(&sk_ps->patterns, collect_subscriber_names, &c);
	LWLockRelease(&sk_ps->lock);
	return out;
}

/* ------------------------------------------------------------------------
 * Keyspace notifications
 * ------------------------------------------------------------------------
 */

/*
 * Publishes a keyspace event as Redis's notifyKeyspaceEvent does: on
 * __keyspace@<db>__:<key> with the event as message (K), then on
 * __keyevent@<db>__:<event> with the key as message (E).  <db> is the
 * database's OID.  cls is the event's class (SK_NOTIFY_*); SK_NOTIFY has
 * checked that it is enabled.
 */
void
sk_ps_notify_keyspace(int cls, const char *event, const char *key, Size klen, Oid dbid)
{
	StringInfoData ch;
	Size		elen = strlen(event);

	if (!(sk_notify_flags & cls) || sk_ps == NULL)
		return;
	initStringInfo(&ch);
	if (sk_notify_flags & SK_NOTIFY_KEYSPACE)
	{
		appendStringInfo(&ch, "__keyspace@%u__:", dbid);
		appendBinaryStringInfo(&ch, key, klen);
		(void) publish_local(ch.data, ch.len, event, elen);
	}
	if (sk_notify_flags & SK_NOTIFY_KEYEVENT)
	{
		resetStringInfo(&ch);
		appendStringInfo(&ch, "__keyevent@%u__:%s", dbid, event);
		(void) publish_local(ch.data, ch.len, key, klen);
	}
	pfree(ch.data);
}
