/*-------------------------------------------------------------------------
 *
 * topic_restore.c
 *	  Topics in a dump (dump.h): every topic's settings, log start offsets
 *	  and records as rows, and the restore side, which recreates a topic
 *	  and appends each record at its original offset with its original
 *	  timestamp, key, value and headers.
 *
 * Locking: reading takes each partition's lock shared for one batch of
 * records at a time (sk_topic_read); restoring takes the partition lock
 * exclusively while it sets an empty partition's log start, and the
 * write path's locks to append (append_records).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "topic_int.h"
#include "dump.h"

#define DUMP_BATCH 4096

typedef struct DumpTopicState
{
	sk_dump_emit emit;
	void	   *arg;
	const char *name;
	int			partition;
	int64		next;
} DumpTopicState;

static bool
dump_record(const SkRecordView *v, void *arg)
{
	DumpTopicState *st = (DumpTopicState *) arg;
	SkDumpRow	r;

	memset(&r, 0, sizeof(r));
	r.kind = "record";
	r.name = st->name;
	r.has_part = true;
	r.part = st->partition;
	r.has_pos = true;
	r.pos = v->offset;
	r.has_ts = true;
	r.ts_ms = v->timestamp;
	r.key = v->key;
	r.keylen = v->key ? v->keylen : 0;
	r.value = v->value;
	r.vallen = v->value ? v->vallen : 0;
	if (v->nheaders > 0)
	{
		r.data = v->headers;
		r.datalen = v->hdrlen;
	}
	st->emit(st->arg, &r);
	st->next = v->offset + 1;
	return true;
}

static void
dump_one_topic(const char *name, sk_dump_emit emit, void *arg)
{
	SkTopicRef	tr;
	SkDumpRow	r;
	char	   *settings;
	int			p;

	if (!sk_topic_open(&tr, name, true, AccessShareLock))
		return;					/* dropped meanwhile */
	settings = psprintf("retention_ms=" INT64_FORMAT " retention_bytes=" INT64_FORMAT
						" max_message_bytes=%d timestamp_type=%s",
						tr.conf.retention_ms, tr.conf.retention_bytes, tr.conf.max_message_bytes,
						tr.conf.timestamp_type == SK_TS_CREATE ? "create" : "log_append");
	memset(&r, 0, sizeof(r));
	r.kind = "topic";
	r.name = name;
	r.has_part = true;
	r.part = tr.conf.partitions;
	r.data = settings;
	r.datalen = strlen(settings);
	emit(arg, &r);
	for (p = 0; p < tr.conf.partitions; p++)
	{
		DumpTopicState st;
		int64		log_start,
					hwm;

		sk_topic_bounds(&tr, p, &log_start, &hwm);
		if (log_start > 0)
		{
			memset(&r, 0, sizeof(r));
			r.kind = "log_start";
			r.name = name;
			r.has_part = true;
			r.part = p;
			r.has_pos = true;
			r.pos = log_start;
			emit(arg, &r);
		}
		st.emit = emit;
		st.arg = arg;
		st.name = name;
		st.partition = p;
		st.next = log_start;
		while (st.next < hwm)
		{
			int64		before = st.next;

			CHECK_FOR_INTERRUPTS();
			if (sk_topic_read(&tr, p, st.next, hwm, DUMP_BATCH, dump_record, &st) == 0 ||
				st.next == before)
				break;			/* retention overtook the dump */
		}
	}
	sk_topic_close(&tr);
}

/* Every topic of this database, by name. */
void
sk_topic_dump(sk_dump_emit emit, void *arg)
{
	List	   *names = NIL;
	ListCell   *lc;
	uint64		i;
	MemoryContext outer = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT name FROM streamkv.topics() ORDER BY name", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "listing topics failed");
	for (i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		names = lappend(names, pstrdup(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1)));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	foreach(lc, names)
		dump_one_topic(lfirst(lc), emit, arg);
}

static void
bad_row(const char *what, const char *topic)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s row for topic \"%s\" in streamkv.dump_rows", what, topic)));
}

/* Creates a topic from its dump row (settings as dump_one_topic writes them). */
void
sk_topic_restore_topic(const char *name, int32 partitions, const char *settings)
{
	SkTopicConf conf;
	char		ts_type[32];
	char		relname[NAMEDATALEN];
	long long	rms,
				rbytes;
	int			maxmsg;

	check_topic_name(name);
	if (settings == NULL ||
		sscanf(settings, "retention_ms=%lld retention_bytes=%lld max_message_bytes=%d timestamp_type=%31s",
			   &rms, &rbytes, &maxmsg, ts_type) != 4)
		bad_row("topic", name);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.name, name, sizeof(conf.name));
	conf.partitions = partitions;
	conf.retention_ms = rms;
	conf.retention_bytes = rbytes;
	conf.max_message_bytes = maxmsg;
	conf.timestamp_type = parse_ts_type(ts_type);
	check_conf_values(conf.partitions, conf.retention_ms, conf.retention_bytes, conf.max_message_bytes);
	if (OidIsValid(topic_relid(name, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("topic \"%s\" already exists", name),
				 errhint("Restore into a database where the topics of the dump do not exist yet.")));
	store_relname(name, relname);
	sk_store_create(relname, SK_STORE_TOPIC, &conf);
	CommandCounterIncrement();
}

static void
check_partition_arg(SkTopicRef *tr, const char *name, int32 partition)
{
	if (partition < 0 || partition >= tr->conf.partitions)
	{
		sk_topic_close(tr);
		bad_row("partition", name);
	}
}

/*
 * Starts an empty partition at log_start: the chain's base (metapage,
 * WAL-logged by a SWITCH to an empty chain) and the partition's memory.
 */
void
sk_topic_restore_log_start(const char *name, int32 partition, int64 log_start)
{
	SkTopicRef	tr;
	SkTopicSlot *t;
	SkPartition *p;
	SkChainPos	empty;

	sk_topic_open(&tr, name, false, RowExclusiveLock);
	check_partition_arg(&tr, name, partition);
	t = (SkTopicSlot *) tr.slot;
	p = part_lock(&t, tr.rel, partition, LW_EXCLUSIVE);
	if (p->next_offset != p->log_start || log_start < p->next_offset)
	{
		part_unlock(p);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("partition %d of topic \"%s\" is not empty: its log start cannot be set", partition, name)));
	}
	memset(&empty, 0, sizeof(empty));
	empty.chain = partition;
	empty.head = empty.tail = InvalidBlockNumber;
	PG_TRY();
	{
		(void) sk_chain_switch(tr.rel, partition, &empty, (uint64) log_start, (uint64) log_start);
	}
	PG_CATCH();
	{
		t->slot.state = SK_SLOT_BROKEN;	/* reloaded from the pages when next used */
		PG_RE_THROW();
	}
	PG_END_TRY();
	p->log_start = p->next_offset = p->durable_offset = log_start;
	part_unlock(p);
	tr.slot = t;
	sk_topic_close(&tr);
}

/* Appends one record at its original offset (the partition's next one). */
void
sk_topic_restore_record(const char *name, int32 partition, int64 offset, int64 ts_ms,
						const char *key, int32 keylen, const char *value, int32 vallen,
						const char *headers, uint32 hdrlen)
{
	SkTopicRef	tr;
	SkTopicSlot *t;
	SkPartition *p;
	SkRecHeader h;
	int64		next;
	uint32		nh = 0;
	uint32		at = 0;
	char	   *rec;
	char	   *q;
	Size		len;

	/* count the headers, checking their encoding */
	while (at < hdrlen)
	{
		int32		kl,
					vl;

		if (hdrlen - at < 2 * sizeof(int32))
			bad_row("record headers", name);
		memcpy(&kl, headers + at, sizeof(kl));
		memcpy(&vl, headers + at + sizeof(kl), sizeof(vl));
		at += 2 * sizeof(int32);
		if (kl < 0 || vl < -1 || (uint64) kl + Max(vl, 0) > hdrlen - at)
			bad_row("record headers", name);
		at += kl + Max(vl, 0);
		if (++nh > PG_UINT16_MAX)
			bad_row("record headers", name);
	}

	sk_topic_open(&tr, name, false, RowExclusiveLock);
	check_partition_arg(&tr, name, partition);
	t = (SkTopicSlot *) tr.slot;
	p = part_lock(&t, tr.rel, partition, LW_SHARED);
	next = p->next_offset;
	part_unlock(p);
	if (offset != next)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("record at offset " INT64_FORMAT " of partition %d of topic \"%s\" is out of order",
						offset, partition, name),
				 errdetail("The partition's next offset is " INT64_FORMAT ".", next)));

	memset(&h, 0, sizeof(h));
	h.timestamp = ts_ms;
	h.keylen = key ? keylen : -1;
	h.vallen = value ? vallen : -1;
	h.nheaders = (uint16) nh;
	h.hdrlen = hdrlen;
	len = sizeof(h) + Max(h.keylen, 0) + Max(h.vallen, 0) + hdrlen;
	if (len > (Size) tr.conf.max_message_bytes + sizeof(h))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("record at offset " INT64_FORMAT " of topic \"%s\" is larger than its max_message_bytes", offset, name)));
	rec = palloc_extended(len, MCXT_ALLOC_HUGE);
	q = put_record(rec, &h, key, value);
	if (hdrlen > 0)
		memcpy(q, headers, hdrlen);
	(void) append_records(tr.rel, &t, partition, &rec, &len, 1);
	tr.slot = t;
	pfree(rec);
	sk_topic_close(&tr);
}

/*
 * Redo of a topic chain's SWITCH, which only a restore's log start writes
 * (to an empty chain, live_ops carrying the new log start): an empty
 * partition starts there.
 */
void
sk_topic_redo_switch(RelFileNode rnode, uint16 chain, uint64 live_ops)
{
	SkPartition *p = redo_part_lock(rnode, chain);

	if (p == NULL)
		return;
	if (p->next_offset == p->log_start)
		p->log_start = p->next_offset = p->durable_offset = (int64) live_ops;
	part_unlock(p);
}
