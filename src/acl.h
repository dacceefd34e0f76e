/*-------------------------------------------------------------------------
 *
 * acl.h
 *	  Privileges on streamkv's objects (README, "Privileges"): who may read,
 *	  write and administer the keyspace, produce to, consume from and
 *	  administer a topic, consume in and administer a consumer or share
 *	  group, and create topics and share groups.
 *
 * Grants are PostgreSQL ACL items (aclitem[]) kept in the table
 * streamkv.acl, one row per (object_type, object_name); the name '*'
 * stands for every object of its type.  Being a table, grants are
 * transactional, replicate to standbys, survive restarts and are carried
 * by pg_dump (pg_extension_config_dump).  Checks use PostgreSQL's aclmask()
 * with role membership (has_privs_of_role), so a grant to a group role
 * reaches its members.  Superusers and members of the extension owner's
 * role hold every privilege; any other role holds none until granted.
 *
 * A check is answered from a backend-local cache that a relcache
 * invalidation of streamkv.acl, or a change of roles or memberships,
 * empties; so a check costs a hash lookup in steady state.
 *
 * Locking: sk_acl_check takes AccessShareLock on streamkv.acl when it
 * reads it (cache miss).  acl_grant/acl_revoke lock the table in SHARE ROW
 * EXCLUSIVE mode for the rest of the transaction, so two grants never
 * compute a row's new ACL from the same old one.  No LWLock is involved.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STREAMKV_ACL_H
#define STREAMKV_ACL_H

#include "postgres.h"
#include "utils/acl.h"

typedef enum SkAclObject
{
	SK_ACL_KEYSPACE,			/* the database's keyspace; name "" */
	SK_ACL_TOPIC,
	SK_ACL_GROUP,				/* consumer or share group (one namespace) */
	SK_ACL_DATABASE				/* creating topics and share groups, compacting
								 * the groups store; name "" */
} SkAclObject;

/* Privileges, as PostgreSQL ACL bits (their letters show in aclitem text) */
#define SK_PRIV_READ		ACL_SELECT	/* keyspace: read */
#define SK_PRIV_CONSUME		ACL_SELECT	/* topic, group: consume */
#define SK_PRIV_WRITE		ACL_UPDATE	/* keyspace: write */
#define SK_PRIV_PRODUCE		ACL_INSERT	/* topic: produce */
#define SK_PRIV_ADMIN		ACL_TRUNCATE	/* every type: administer */
#define SK_PRIV_CREATE		ACL_CREATE	/* database: create topics, share groups */

/*
 * Raises 42501 unless the current user holds priv on the object; changes
 * nothing.  name is NUL-terminated; "" for the keyspace and the database.
 */
extern void sk_acl_check(SkAclObject type, const char *name, AclMode priv);

/* Whether the current user is a superuser or a member of the owner's role */
extern bool sk_acl_is_owner(void);

/* The extension's owner (cached) */
extern Oid	sk_acl_owner(void);

/*
 * Grants every privilege of the type on name to the current user (the
 * creator of a topic or share group), unless it holds them already as an
 * owner.  Transactional, like the creation.
 */
extern void sk_acl_grant_creator(SkAclObject type, const char *name);

#endif							/* STREAMKV_ACL_H */
