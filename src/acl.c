/*-------------------------------------------------------------------------
 *
 * acl.c
 *	  Privileges on streamkv's objects: the checks, their cache, and the SQL
 *	  functions acl_grant / acl_revoke (acl.h states the model and locks).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "acl.h"

/* Longest object name the cache keeps; longer names are looked up each time */
#define ACL_KEYLEN 320

typedef struct AclCacheKey
{
	Oid			role;
	int32		type;
	char		name[ACL_KEYLEN];
} AclCacheKey;

typedef struct AclCacheEntry
{
	AclCacheKey key;
	AclMode		mask;
} AclCacheEntry;

static const char *const type_names[] = {"keyspace", "topic", "group", "database"};

/* Everything cached here is forgotten together by acl_reset */
static HTAB *acl_cache = NULL;
static bool callbacks_registered = false;
static Oid	acl_relid = InvalidOid;		/* streamkv.acl, once looked up */
static bool acl_relid_known = false;
static Oid	ext_owner = InvalidOid;
static Oid	owner_checked_role = InvalidOid;	/* last role is_owner answered for */
static bool owner_checked_answer = false;
static Oid	ks_role = InvalidOid;		/* the keyspace's answer for one role */
static AclMode ks_mask = 0;

static void
acl_reset(void)
{
	if (acl_cache != NULL)
	{
		hash_destroy(acl_cache);
		acl_cache = NULL;
	}
	acl_relid_known = false;
	ext_owner = InvalidOid;
	owner_checked_role = InvalidOid;
	ks_role = InvalidOid;
}

static void
acl_relcache_cb(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == acl_relid || !acl_relid_known)
		acl_reset();
}

static void
acl_syscache_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	acl_reset();
}

static void
register_callbacks(void)
{
	if (callbacks_registered)
		return;
	CacheRegisterRelcacheCallback(acl_relcache_cb, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, acl_syscache_cb, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, acl_syscache_cb, (Datum) 0);
	callbacks_registered = true;
}

/* The OID of streamkv.acl, or InvalidOid while it does not exist */
static Oid
acl_table(void)
{
	if (!acl_relid_known)
	{
		Oid			nsp = get_namespace_oid("streamkv", true);

		acl_relid = OidIsValid(nsp) ? get_relname_relid("acl", nsp) : InvalidOid;
		acl_relid_known = true;
	}
	return acl_relid;
}

Oid
sk_acl_owner(void)
{
	register_callbacks();
	if (!OidIsValid(ext_owner))
	{
		Oid			extoid = get_extension_oid("streamkv", true);
		Relation	rel;
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		if (!OidIsValid(extoid))
			return BOOTSTRAP_SUPERUSERID;
		rel = table_open(ExtensionRelationId, AccessShareLock);
		ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(extoid));
		scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
		tup = systable_getnext(scan);
		if (HeapTupleIsValid(tup))
			ext_owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		if (!OidIsValid(ext_owner))
			return BOOTSTRAP_SUPERUSERID;
	}
	return ext_owner;
}

bool
sk_acl_is_owner(void)
{
	Oid			role = GetUserId();

	register_callbacks();
	if (role != owner_checked_role || !OidIsValid(owner_checked_role))
	{
		/* superuser first: the maintenance worker has no database to look
		 * the extension up in */
		owner_checked_answer = superuser_arg(role) ||
			has_privs_of_role(role, sk_acl_owner());
		owner_checked_role = role;
	}
	return owner_checked_answer;
}

static AclMode
type_all(SkAclObject type)
{
	switch (type)
	{
		case SK_ACL_KEYSPACE:
			return SK_PRIV_READ | SK_PRIV_WRITE | SK_PRIV_ADMIN;
		case SK_ACL_TOPIC:
			return SK_PRIV_PRODUCE | SK_PRIV_CONSUME | SK_PRIV_ADMIN;
		case SK_ACL_GROUP:
			return SK_PRIV_CONSUME | SK_PRIV_ADMIN;
		case SK_ACL_DATABASE:
			return SK_PRIV_CREATE | SK_PRIV_ADMIN;
	}
	return ACL_NO_RIGHTS;
}

/* What the rows (type, name) and (type, '*') grant role, read from the table */
static AclMode
read_mask(SkAclObject type, const char *name, Oid role)
{
	Oid			relid = acl_table();
	Oid			owner = sk_acl_owner();
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	AclMode		mask = ACL_NO_RIGHTS;
	AclMode		want = type_all(type);
	Snapshot	snap;

	if (!OidIsValid(relid))
		return ACL_NO_RIGHTS;
	rel = table_open(relid, AccessShareLock);
	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   C_COLLATION_OID, F_TEXTEQ,
						   CStringGetTextDatum(type_names[type]));
	/* the latest snapshot: grants committed meanwhile and this transaction's own */
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(rel, InvalidOid, false, snap, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d;
		text	   *objname;

		d = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		objname = DatumGetTextPP(d);
		if (!((VARSIZE_ANY_EXHDR(objname) == strlen(name) &&
			   memcmp(VARDATA_ANY(objname), name, strlen(name)) == 0) ||
			  (VARSIZE_ANY_EXHDR(objname) == 1 && *VARDATA_ANY(objname) == '*')))
			continue;
		d = heap_getattr(tup, 3, RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		mask |= aclmask(DatumGetAclP(d), role, owner, want, ACLMASK_ALL);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return mask;
}

static AclMode
role_mask(SkAclObject type, const char *name, Oid role)
{
	AclCacheKey key;
	AclCacheEntry *e;
	bool		found;

	if (sk_acl_is_owner())
		return type_all(type);
	if (strlen(name) >= ACL_KEYLEN)
		return read_mask(type, name, role);
	if (acl_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(AclCacheKey);
		ctl.entrysize = sizeof(AclCacheEntry);
		ctl.hcxt = CacheMemoryContext;
		acl_cache = hash_create("streamkv privileges", 64, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.role = role;
	key.type = type;
	strlcpy(key.name, name, ACL_KEYLEN);
	e = hash_search(acl_cache, &key, HASH_FIND, NULL);
	if (e == NULL)
	{
		AclMode		mask = read_mask(type, name, role);

		/* read_mask may have processed invalidations that reset the cache */
		if (acl_cache == NULL)
			return mask;
		e = hash_search(acl_cache, &key, HASH_ENTER, &found);
		e->mask = mask;
	}
	return e->mask;
}

static const char *
priv_name(SkAclObject type, AclMode priv)
{
	switch (priv)
	{
		case ACL_SELECT:
			return type == SK_ACL_KEYSPACE ? "read" : "consume";
		case ACL_UPDATE:
			return "write";
		case ACL_INSERT:
			return "produce";
		case ACL_TRUNCATE:
			return "admin";
		case ACL_CREATE:
			return "create";
	}
	return "?";
}

static void
deny(SkAclObject type, const char *name, AclMode priv)
{
	const char *role = GetUserNameFromId(GetUserId(), false);
	const char *pn = priv_name(type, priv);

	if (type == SK_ACL_KEYSPACE || type == SK_ACL_DATABASE)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg(type == SK_ACL_KEYSPACE ?
						"permission denied: role \"%s\" lacks %s on the keyspace of database \"%s\"" :
						"permission denied: role \"%s\" lacks %s in database \"%s\"",
						role, pn, get_database_name(MyDatabaseId)),
				 errhint("The extension's owner or a superuser can grant it: SELECT streamkv.acl_grant('%s', NULL, '%s', '%s');",
						 type_names[type], pn, role)));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied: role \"%s\" lacks %s on %s \"%s\"",
					role, pn, type_names[type], name),
			 errhint("The extension's owner or a superuser can grant it: SELECT streamkv.acl_grant('%s', '%s', '%s', '%s');",
					 type_names[type], name, pn, role)));
}

void
sk_acl_check(SkAclObject type, const char *name, AclMode priv)
{
	Oid			role = GetUserId();
	AclMode		mask;

	if (type == SK_ACL_KEYSPACE && role == ks_role && OidIsValid(ks_role))
		mask = ks_mask;
	else
	{
		register_callbacks();
		mask = role_mask(type, name, role);
		if (type == SK_ACL_KEYSPACE)
		{
			ks_role = role;
			ks_mask = mask;
		}
	}
	if ((mask & priv) != priv)
		deny(type, name, priv);
}

/* ------------------------------------------------------------------------
 * Granting and revoking
 * ------------------------------------------------------------------------
 */
static SkAclObject
parse_type(const char *s)
{
	int			i;

	for (i = 0; i < (int) lengthof(type_names); i++)
		if (pg_strcasecmp(s, type_names[i]) == 0)
			return (SkAclObject) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown object type \"%s\"", s),
			 errhint("Use 'keyspace', 'topic', 'group' or 'database'.")));
	pg_unreachable();
}

/* A comma-separated list of privilege names, or 'all', as ACL bits */
static AclMode
parse_privs(SkAclObject type, const char *s)
{
	AclMode		mask = ACL_NO_RIGHTS;
	char	   *copy = pstrdup(s);
	char	   *tok;
	char	   *save = NULL;

	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
	{
		AclMode		bit = ACL_NO_RIGHTS;

		if (pg_strcasecmp(tok, "all") == 0)
			bit = type_all(type);
		else if (pg_strcasecmp(tok, "admin") == 0)
			bit = SK_PRIV_ADMIN;
		else if (type == SK_ACL_KEYSPACE && pg_strcasecmp(tok, "read") == 0)
			bit = SK_PRIV_READ;
		else if (type == SK_ACL_KEYSPACE && pg_strcasecmp(tok, "write") == 0)
			bit = SK_PRIV_WRITE;
		else if (type == SK_ACL_TOPIC && pg_strcasecmp(tok, "produce") == 0)
			bit = SK_PRIV_PRODUCE;
		else if ((type == SK_ACL_TOPIC || type == SK_ACL_GROUP) &&
				 pg_strcasecmp(tok, "consume") == 0)
			bit = SK_PRIV_CONSUME;
		else if (type == SK_ACL_DATABASE && pg_strcasecmp(tok, "create") == 0)
			bit = SK_PRIV_CREATE;
		if (bit == ACL_NO_RIGHTS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown privilege \"%s\" for %s", tok, type_names[type]),
					 errhint("%s", type == SK_ACL_KEYSPACE ? "A keyspace has read, write and admin." :
							 type == SK_ACL_TOPIC ? "A topic has produce, consume and admin." :
							 type == SK_ACL_GROUP ? "A group has consume and admin." :
							 "A database has create and admin.")));
		mask |= bit;
	}
	if (mask == ACL_NO_RIGHTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no privilege named")));
	return mask;
}

/*
 * Adds (is_grant) or removes privs for grantee on (type, name), as the
 * extension's owner so that callers need no rights on the table itself.
 */
static void
change_acl(SkAclObject type, const char *name, AclMode privs, Oid grantee, bool is_grant)
{
	Oid			owner = sk_acl_owner();
	Oid			save_userid;
	int			save_sec;
	AclItem		item;
	Datum		args[3];
	Oid			argtypes[3] = {TEXTOID, TEXTOID, ACLITEMARRAYOID};
	Acl		   *old_acl;
	Acl		   *new_acl;

	item.ai_grantee = grantee;
	item.ai_grantor = owner;
	ACLITEM_SET_PRIVS_GOPTIONS(item, privs, ACL_NO_RIGHTS);

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		SPI_execute("LOCK TABLE streamkv.acl IN SHARE ROW EXCLUSIVE MODE", false, 0);
		args[0] = CStringGetTextDatum(type_names[type]);
		args[1] = CStringGetTextDatum(name);
		if (SPI_execute_with_args("SELECT acl FROM streamkv.acl WHERE object_type = $1 AND object_name = $2",
								  2, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "reading streamkv.acl failed");
		if (SPI_processed > 0)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			old_acl = isnull ? make_empty_acl() : DatumGetAclPCopy(d);
		}
		else
			old_acl = make_empty_acl();
		new_acl = aclupdate(old_acl, &item, is_grant ? ACL_MODECHG_ADD : ACL_MODECHG_DEL,
							owner, DROP_RESTRICT);
		if (ACL_NUM(new_acl) == 0)
			SPI_execute_with_args("DELETE FROM streamkv.acl WHERE object_type = $1 AND object_name = $2",
								  2, argtypes, args, NULL, false, 0);
		else
		{
			args[2] = PointerGetDatum(new_acl);
			SPI_execute_with_args("INSERT INTO streamkv.acl AS a VALUES ($1, $2, $3) "
								  "ON CONFLICT (object_type, object_name) DO UPDATE SET acl = EXCLUDED.acl",
								  3, argtypes, args, NULL, false, 0);
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
}

static void
grant_revoke(FunctionCallInfo fcinfo, bool is_grant)
{
	SkAclObject type;
	const char *name;
	AclMode		privs;
	const char *grantee_name;
	Oid			grantee;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("object_type, privileges and role must not be NULL")));
	type = parse_type(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (type == SK_ACL_KEYSPACE || type == SK_ACL_DATABASE)
	{
		if (!PG_ARGISNULL(1) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(1)) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the %s takes no object name", type_names[type]),
					 errhint("Pass NULL: the %s is this database's.", type_names[type])));
		name = "";
	}
	else
	{
		if (PG_ARGISNULL(1) || VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(1)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a %s privilege needs an object name ('*' for every %s)",
							type_names[type], type_names[type])));
		name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	}
	privs = parse_privs(type, text_to_cstring(PG_GETARG_TEXT_PP(2)));
	grantee_name = text_to_cstring(PG_GETARG_TEXT_PP(3));
	grantee = pg_strcasecmp(grantee_name, "public") == 0 ? ACL_ID_PUBLIC :
		get_role_oid(grantee_name, false);

	if (!sk_acl_is_owner())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: only the owner of extension streamkv or a superuser can %s streamkv privileges",
						is_grant ? "grant" : "revoke")));
	change_acl(type, name, privs, grantee, is_grant);
}

PG_FUNCTION_INFO_V1(sk_acl_grant);
Datum
sk_acl_grant(PG_FUNCTION_ARGS)
{
	grant_revoke(fcinfo, true);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(sk_acl_revoke);
Datum
sk_acl_revoke(PG_FUNCTION_ARGS)
{
	grant_revoke(fcinfo, false);
	PG_RETURN_VOID();
}

void
sk_acl_grant_creator(SkAclObject type, const char *name)
{
	if (sk_acl_is_owner())
		return;
	change_acl(type, name, type_all(type), GetUserId(), true);
}

/*
 * Statement trigger on streamkv.acl: every change, by acl_grant or by hand
 * (pg_restore's COPY included), invalidates the cached answers of every
 * backend at commit, and of this one at the next command.
 */
PG_FUNCTION_INFO_V1(sk_acl_changed);
Datum
sk_acl_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sk_acl_changed: not called as a trigger")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
