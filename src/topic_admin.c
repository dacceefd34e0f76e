/*-------------------------------------------------------------------------
 *
 * topic_admin.c
 *	  Topic names and configuration: create_topic, alter_topic,
 *	  drop_topic, topics(), partitions().
 *
 * A topic is a store (index "topic_<name>" of streamkv_store) whose
 * metapage holds its configuration; names longer than fit a relation name
 * are stored under a prefix and a hash.
 *
 * Locking: heavyweight locks on the store for DDL; the topic's slot lock
 * exclusively to reload it after alter_topic adds partitions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "topic_int.h"
#include "acl.h"

/* ------------------------------------------------------------------------
 * Names and configuration
 * ------------------------------------------------------------------------
 */
void
check_topic_name(const char *name)
{
	size_t		len = strlen(name);
	const char *p;

	if (len == 0 || len > SK_TOPIC_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid topic name \"%s\"", name),
				 errdetail("A topic name has 1 to %d characters, as in Kafka.", SK_TOPIC_NAME_MAX)));
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid topic name \"%s\"", name),
					 errdetail("Topic names use ASCII letters, digits, '.', '_' and '-', as in Kafka.")));
}


void
store_relname(const char *topic, char *out)
{
	size_t		len = strlen(topic);

	if (len <= SK_TOPIC_RELNAME_DIRECT)
		snprintf(out, NAMEDATALEN, "topic_%s", topic);
	else
		snprintf(out, NAMEDATALEN, "topic_%.40s_%08x", topic,
				 hash_bytes((const unsigned char *) topic, (int) len));
}

Oid
topic_relid(const char *topic, bool missing_ok)
{
	char		relname[NAMEDATALEN];
	Oid			nsp = get_namespace_oid("streamkv", false);
	Oid			relid;

	check_topic_name(topic);
	store_relname(topic, relname);
	relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(relid) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("topic \"%s\" does not exist", topic)));
	return relid;
}

void
read_conf(Relation rel, SkTopicConf *conf)
{
	Buffer		buf = ReadBuffer(rel, SK_METAPAGE_BLKNO);
	SkMetaPageData *meta;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	meta = SkPageGetMeta(BufferGetPage(buf));
	if (meta->magic != SK_META_MAGIC || meta->kind != SK_STORE_TOPIC)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("streamkv store \"%s\" is not a topic", RelationGetRelationName(rel))));
	*conf = meta->topic;
	UnlockReleaseBuffer(buf);
}

/*
 * Opens the store of topic name (ERROR 42704 if there is none) and reads its
 * configuration, checking the full name (long names share hashed relation
 * names).
 */
Relation
open_topic_ext(const char *name, LOCKMODE lockmode, SkTopicConf *conf, bool missing_ok)
{
	Oid			relid = topic_relid(name, missing_ok);
	Relation	rel;

	if (!OidIsValid(relid))
		return NULL;
	rel = index_open(relid, lockmode);
	read_conf(rel, conf);
	if (strcmp(conf->name, name) != 0)
	{
		index_close(rel, lockmode);
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("topic \"%s\" does not exist", name)));
	}
	return rel;
}

Relation
open_topic(const char *name, LOCKMODE lockmode, SkTopicConf *conf)
{
	return open_topic_ext(name, lockmode, conf, false);
}

void
check_conf_values(int32 partitions, int64 retention_ms, int64 retention_bytes, int32 max_message_bytes)
{
	if (partitions < 1 || partitions > SK_MAX_PARTITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partitions must be between 1 and %d", SK_MAX_PARTITIONS),
				 errdetail("partitions was %d.", partitions)));
	if (retention_ms < -1 || retention_ms == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_ms must be positive, or -1 for no limit"),
				 errdetail("retention_ms was " INT64_FORMAT ".", retention_ms)));
	if (retention_bytes < -1 || retention_bytes == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_bytes must be positive, or -1 for no limit"),
				 errdetail("retention_bytes was " INT64_FORMAT ".", retention_bytes)));
	if (max_message_bytes < 64 || max_message_bytes > 256 * 1024 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_message_bytes must be between 64 and %d", 256 * 1024 * 1024),
				 errdetail("max_message_bytes was %d.", max_message_bytes)));
}

/* ------------------------------------------------------------------------
 * Topic management
 * ------------------------------------------------------------------------
 */
int32
parse_ts_type(const char *s)
{
	if (pg_strcasecmp(s, "create") == 0 || pg_strcasecmp(s, "CreateTime") == 0)
		return SK_TS_CREATE;
	if (pg_strcasecmp(s, "log_append") == 0 || pg_strcasecmp(s, "LogAppendTime") == 0)
		return SK_TS_LOG_APPEND;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid timestamp_type \"%s\"", s),
			 errhint("Use 'create' (CreateTime) or 'log_append' (LogAppendTime).")));
	pg_unreachable();
}

PG_FUNCTION_INFO_V1(sk_create_topic);
Datum
sk_create_topic(PG_FUNCTION_ARGS)
{
	SkTopicConf conf;
	char	   *name;
	char		relname[NAMEDATALEN];
	int			i;

	sk_check_preloaded();
	sk_check_writable();
	for (i = 0; i < 6; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("create_topic arguments must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_topic_name(name);
	sk_acl_check(SK_ACL_DATABASE, "", SK_PRIV_CREATE);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.name, name, sizeof(conf.name));
	conf.partitions = PG_GETARG_INT32(1);
	conf.retention_ms = PG_GETARG_INT64(2);
	conf.retention_bytes = PG_GETARG_INT64(3);
	conf.max_message_bytes = PG_GETARG_INT32(4);
	conf.timestamp_type = parse_ts_type(text_to_cstring(PG_GETARG_TEXT_PP(5)));
	check_conf_values(conf.partitions, conf.retention_ms, conf.retention_bytes, conf.max_message_bytes);
	{
		Oid			existing = topic_relid(name, true);

		if (OidIsValid(existing))
		{
			Relation	erel = index_open(existing, AccessShareLock);
			SkTopicConf econf;

			read_conf(erel, &econf);
			index_close(erel, AccessShareLock);
			if (strcmp(econf.name, name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("topic \"%s\" already exists", name)));
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("topic \"%s\" collides with topic \"%s\"", name, econf.name),
					 errdetail("Long topic names are stored under their first 40 characters and a hash of the name.")));
		}
	}
	store_relname(name, relname);
	sk_store_create(relname, SK_STORE_TOPIC, &conf);
	sk_acl_grant_creator(SK_ACL_TOPIC, name);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(sk_alter_topic);
Datum
sk_alter_topic(PG_FUNCTION_ARGS)
{
	char	   *name;
	Relation	rel;
	SkTopicConf conf;

	sk_check_preloaded();
	sk_check_writable();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("topic name must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	sk_acl_check(SK_ACL_TOPIC, name, SK_PRIV_ADMIN);
	rel = open_topic(name, ShareUpdateExclusiveLock, &conf);
	if (!PG_ARGISNULL(1))
	{
		int32		np = PG_GETARG_INT32(1);

		if (np < conf.partitions)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("topic \"%s\" has %d partitions, it cannot have fewer", name, conf.partitions),
					 errdetail("Kafka only ever adds partitions: keys would move.")));
		conf.partitions = np;
	}
	if (!PG_ARGISNULL(2))
		conf.retention_ms = PG_GETARG_INT64(2);
	if (!PG_ARGISNULL(3))
		conf.retention_bytes = PG_GETARG_INT64(3);
	if (!PG_ARGISNULL(4))
		conf.max_message_bytes = PG_GETARG_INT32(4);
	check_conf_values(conf.partitions, conf.retention_ms, conf.retention_bytes, conf.max_message_bytes);
	sk_store_set_topic_conf(rel, &conf);
	{
		SkTopicSlot *t = topic_slot(rel);

		/* more partitions: reloaded with their chunks on next use */
		lock_all(t, LW_EXCLUSIVE);
		if (topic_is(t, rel->rd_node) && t->slot.state == SK_SLOT_READY &&
			conf.partitions > t->npartitions)
			sk_slot_load(&t->slot, rel);
		unlock_all(t);
	}
	index_close(rel, NoLock);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(sk_drop_topic);
Datum
sk_drop_topic(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	Relation	rel;
	SkTopicConf conf;
	Oid			relid;

	sk_check_preloaded();
	sk_check_writable();
	sk_acl_check(SK_ACL_TOPIC, name, SK_PRIV_ADMIN);
	rel = open_topic(name, AccessShareLock, &conf);
	relid = RelationGetRelid(rel);
	index_close(rel, NoLock);
	sk_store_drop(relid);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(sk_topics);
Datum
sk_topics(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			nsp = get_namespace_oid("streamkv", false);
	Oid			amoid = get_am_oid("streamkv_store", false);
	Relation	classrel;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *relids = NIL;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	classrel = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(classrel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		if (c->relnamespace == nsp && c->relam == amoid &&
			strncmp(NameStr(c->relname), "topic_", 6) == 0)
			relids = lappend_oid(relids, c->oid);
	}
	systable_endscan(scan);
	table_close(classrel, AccessShareLock);

	foreach(lc, relids)
	{
		Relation	rel = try_relation_open(lfirst_oid(lc), AccessShareLock);
		SkTopicConf conf;
		Datum		values[6];
		bool		nulls[6] = {0};

		if (!rel)
			continue;
		read_conf(rel, &conf);
		values[0] = CStringGetTextDatum(conf.name);
		values[1] = Int32GetDatum(conf.partitions);
		values[2] = Int64GetDatum(conf.retention_ms);
		values[3] = Int64GetDatum(conf.retention_bytes);
		values[4] = Int32GetDatum(conf.max_message_bytes);
		values[5] = CStringGetTextDatum(conf.timestamp_type == SK_TS_CREATE ? "create" : "log_append");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		relation_close(rel, NoLock);
	}
	return (Datum) 0;
}

Datum
ts_datum(int64 ms)
{
	return TimestampTzGetDatum((ms - ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000)) * 1000);
}

int64
ts_ms(TimestampTz ts)
{
	return ts / 1000 + ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000);
}

PG_FUNCTION_INFO_V1(sk_partitions);
Datum
sk_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Relation	rel;
	SkTopicConf conf;
	SkTopicSlot *t;
	int			i;

	sk_check_preloaded();
	rel = open_topic(name, AccessShareLock, &conf);
	t = topic_slot(rel);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < conf.partitions; i++)
	{
		SkPartition *p = part_lock(&t, rel, i, LW_EXCLUSIVE);
		Datum		values[10];
		bool		nulls[10] = {0};
		int64		hwm = part_hwm(p);

		values[0] = Int32GetDatum(i);
		values[1] = Int64GetDatum(p->log_start);
		values[2] = Int64GetDatum(hwm);
		values[3] = Int64GetDatum(p->next_offset);
		values[4] = Int64GetDatum(p->next_offset - p->log_start);
		values[5] = Int64GetDatum(p->bytes);
		if (p->next_offset > p->log_start)
		{
			values[6] = ts_datum(p->first_ts);
			values[7] = ts_datum(p->last_ts);
		}
		else
			nulls[6] = nulls[7] = true;
		values[8] = Int64GetDatum(p->produced);
		{
			int64		now = sk_now_ms();
			double		rate = p->last_rate;

			/* the window in progress, or an idle partition's rate decays to 0 */
			if (p->win_start > 0 && now - p->win_start >= SK_RATE_WINDOW_MS)
				rate = (double) p->win_count * 1000.0 / (now - p->win_start);
			values[9] = Float8GetDatum(rate);
		}
		part_unlock(p);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	index_close(rel, NoLock);
	return (Datum) 0;
}
