/*-------------------------------------------------------------------------
 *
 * keyspace.c
 *	  The Redis-style keyspace: the context every command opens (store,
 *	  slot, shard locks), building and logging operations, and Redis's
 *	  number parsing and printing.
 *
 *
 * Every write follows the write path (docs/architecture.md, "The write
 * path"): take the key's shard lock exclusively, validate against the in-memory copy, build the operation,
 * check the memory limit, apply it to memory (all allocations happen here,
 * so a failure changes nothing), then append it to the shard's chain (page
 * change + WAL record in one critical section).  If the append fails before
 * its critical section, the copy is marked for reloading from the pages.
 * Reads take the shard lock shared and copy the value out.
 *
 * Expired keys are never returned: reads compare expire_at with the clock
 * (on standbys too).  A write that meets an expired key first logs its
 * removal (SK_OP_EXPIRED), so redo never needs the clock.  The maintenance
 * worker removes expired keys actively (sk_expire_shard) and compacts
 * chains whose dead fraction is high (sk_compact_shard).
 *
 * Differences from Redis, on purpose: errors are SQL errors with SQLSTATEs
 * (42809 for WRONGTYPE, 22003 for numbers, 22023 for options, 53200 for the
 * memory limit); 1/0 replies of predicates are booleans.
 *
 * Locking: one shard lock per key (tranche "streamkv keyspace"), exclusive
 * to write, shared to read; all 16 in shard order for whole-keyspace
 * commands.  Lock order: shard locks ascending, then buffers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "keyspace_int.h"
#include "acl.h"


/*
 * Reads without the store relation.  A read of a loaded keyspace needs only
 * the store's RelFileNode, to find its slot; the relation itself (opened and
 * locked) only when the keyspace must be loaded or a read writes (lazy
 * expiry).  So ctx_open for a read takes the RelFileNode this backend
 * remembers from its last open of the store and opens nothing: no lock
 * manager call, no relcache reference, nothing to release at commit.  The
 * remembered store is forgotten on any relcache invalidation of it (or of
 * everything), which every transaction start processes: after another
 * session's DROP EXTENSION has committed, the next transaction opens the
 * store by name again.  Memory is safe without the lock: slot headers are
 * never freed and the slot's key is checked under the shard lock, as
 * always (docs/architecture.md, "Slots").
 */
static bool ks_store_known = false;
static Oid	ks_store_relid = InvalidOid;
static Oid	ks_store_db = InvalidOid;
static RelFileNode ks_store_rnode;
static bool ks_callback_registered = false;

static void
ks_relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == ks_store_relid)
		ks_store_known = false;
}

/* Opens the keyspace to read or write, after the privilege check. */
void
ctx_open(SkCtx *c, bool write)
{
	sk_acl_check(SK_ACL_KEYSPACE, "", write ? SK_PRIV_WRITE : SK_PRIV_READ);
	ctx_open_unchecked(c, write);
}

/* ctx_open without the privilege check: monitoring (info) and callers
 * that checked a stronger privilege themselves. */
void
ctx_open_unchecked(SkCtx *c, bool write)
{
	sk_check_preloaded();
	if (write)
		sk_check_writable();
	c->rel = NULL;
	c->db = NULL;
	c->now = sk_now_ms();
	c->lockmode = write ? RowExclusiveLock : AccessShareLock;
	if (!write && ks_store_known && ks_store_db == MyDatabaseId)
		c->rnode = ks_store_rnode;
	else
		ctx_rel(c);
}

/* The store relation, opened (and locked) on first need. */
Relation
ctx_rel(SkCtx *c)
{
	if (c->rel == NULL)
	{
		if (!ks_callback_registered)
		{
			CacheRegisterRelcacheCallback(ks_relcache_callback, (Datum) 0);
			ks_callback_registered = true;
		}
		c->rel = sk_open_named_store("keyspace_store", c->lockmode);
		c->rnode = c->rel->rd_node;
		ks_store_relid = RelationGetRelid(c->rel);
		ks_store_db = MyDatabaseId;
		ks_store_rnode = c->rnode;
		ks_store_known = true;
	}
	return c->rel;
}

void
ctx_close(SkCtx *c)
{
	if (c->rel != NULL)
		index_close(c->rel, NoLock);
}

SkShard *
ctx_lock(SkCtx *c, int shard, LWLockMode mode)
{
	if (c->rel == NULL)
	{
		/* a read of a loaded keyspace: the slot by its RelFileNode */
		SkDb	   *db = c->db ? c->db : sk_db_get_node(c->rnode);

		LWLockAcquire(&db->shards[shard].lock, mode);
		if (db->slot.state == SK_SLOT_READY &&
			sk_slot_is(&db->slot, SK_STORE_KEYSPACE, c->rnode))
		{
			c->db = db;
			sk_slot_touch(&db->slot);
			return &db->shards[shard];
		}
		LWLockRelease(&db->shards[shard].lock);
		/* not loaded, or not this store's any more: the locked way */
		c->db = NULL;
		ctx_rel(c);
	}
	sk_db_lock_shard(&c->db, c->rel, shard, mode);
	return &c->db->shards[shard];
}


void
wrongtype(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("WRONGTYPE Operation against a key holding the wrong kind of value")));
}


/* ------------------------------------------------------------------------
 * Operations
 * ------------------------------------------------------------------------
 */
SkOpHeader *
make_op(SkOpKind kind, const char *key, Size klen, const char *field, Size flen,
		const char *val, Size vlen, int64 expire_at)
{
	SkOpHeader *op;

	if (klen > MaxAllocSize / 4 || vlen > MaxAllocHugeSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("streamkv value too large")));
	op = (SkOpHeader *) palloc_extended(MAXALIGN(sizeof(SkOpHeader) + klen + flen + vlen),
										MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	op->kind = kind;
	op->keylen = klen;
	op->fieldlen = flen;
	op->vallen = vlen;
	op->expire_at = expire_at;
	memcpy(SkOpKey(op), key, klen);
	if (flen)
		memcpy(SkOpField(op), field, flen);
	if (vlen)
		memcpy(SkOpValue(op), val, vlen);
	return op;
}


/*
 * Logs and applies op to shard (whose lock the caller holds exclusively),
 * through the write path every kind shares (slot.c).
 */
void
log_op(SkCtx *c, int shard, SkOpHeader *op)
{
	SkDb	   *db = c->db;
	SkShard    *sh = &db->shards[shard];
	bool		frees = (op->kind == SK_OP_DEL || op->kind == SK_OP_EXPIRED ||
						 op->kind == SK_OP_HDEL || op->kind == SK_OP_EXPIRE ||
						 op->kind == SK_OP_ZREM);

	Assert(c->rel != NULL);		/* opened before the shard lock: ctx_rel */
	sk_slot_log_op(&db->slot, c->rel, shard, op, frees, &sh->applied_seq, sk_keyspace_apply, sh,
				   &sh->tail_hint);
	sh->chain_ops++;
	if (op->kind == SK_OP_EXPIRED)
	{
		pg_atomic_fetch_add_u64(&db->expired_keys, 1);
		SK_NOTIFY(SK_NOTIFY_EXPIRED, "expired", SkOpKey(op), op->keylen, db->slot.key.rnode.dbNode);
	}
}

/*
 * Looks a key up for writing: an expired key is removed (logged) first.
 */
SkKey *
write_lookup(SkCtx *c, int shard, const char *key, Size klen, uint32 hash)
{
	SkKey	   *k = sk_lookup(&c->db->shards[shard], key, klen, hash);

	if (k && !key_live(k, c->now))
	{
		log_op(c, shard, make_op(SK_OP_EXPIRED, key, klen, NULL, 0, NULL, 0, 0));
		k = NULL;
	}
	return k;
}

/*
 * Locks a key's shard for reading.  On a primary, an expired key met by a
 * read is removed first (logged), as Redis's lazy expiry does, so that
 * dbsize() and scans stop counting it; a standby only hides it.
 */
SkShard *
ctx_lock_read(SkCtx *c, const char *key, Size klen, uint32 h)
{
	int			s = sk_shard_of(h);
	SkShard    *sh = ctx_lock(c, s, LW_SHARED);
	SkKey	   *k = sk_lookup(sh, key, klen, h);

	if (k == NULL || key_live(k, c->now) || RecoveryInProgress())
		return sh;
	LWLockRelease(&sh->lock);
	ctx_rel(c);					/* the removal writes: the store, before any shard lock */
	sh = ctx_lock(c, s, LW_EXCLUSIVE);
	write_lookup(c, s, key, klen, h);
	LWLockRelease(&sh->lock);
	return ctx_lock(c, s, LW_SHARED);
}


SkKey *
key_begin(FunctionCallInfo fcinfo, int argno, bool write, KeyLock *kl)
{
	text	   *t = PG_GETARG_TEXT_PP(argno);

	return key_begin_bytes(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), write, kl);
}

/* key_begin for the C API: the key as bytes. */
SkKey *
key_begin_bytes(const char *key, Size klen, bool write, KeyLock *kl)
{
	SkKey	   *k;

	kl->key = key;
	kl->klen = klen;
	kl->h = sk_hash(kl->key, kl->klen);
	kl->shard = sk_shard_of(kl->h);
	ctx_open(&kl->c, write);
	if (write)
	{
		kl->sh = ctx_lock(&kl->c, kl->shard, LW_EXCLUSIVE);
		return write_lookup(&kl->c, kl->shard, kl->key, kl->klen, kl->h);
	}
	kl->sh = ctx_lock_read(&kl->c, kl->key, kl->klen, kl->h);
	k = sk_lookup(kl->sh, kl->key, kl->klen, kl->h);
	return key_live(k, kl->c.now) ? k : NULL;
}

void
key_end(KeyLock *kl)
{
	LWLockRelease(&kl->sh->lock);
	ctx_close(&kl->c);
}

/* WRONGTYPE unless k (when present) has the type; releases on error. */
void
key_check_type(KeyLock *kl, SkKey *k, uint8 type)
{
	if (k && k->type != type)
	{
		LWLockRelease(&kl->sh->lock);
		wrongtype();
	}
}

/* Logs op on the locked key's shard. */
void
key_log(KeyLock *kl, SkOpKind kind, const char *field, Size flen,
		const char *val, Size vlen, int64 expire_at)
{
	log_op(&kl->c, kl->shard, make_op(kind, kl->key, kl->klen, field, flen, val, vlen, expire_at));
}

/* ------------------------------------------------------------------------
 * Number parsing and printing, as Redis does it
 * ------------------------------------------------------------------------
 */

/* Redis's string2ll: strict, no spaces, no '+', no leading zeros. */
bool
parse_ll(const char *s, Size len, int64 *out)
{
	const char *p = s;
	Size		plen = 0;
	bool		neg = false;
	uint64		v;

	if (len == 0 || len > 20)
		return false;
	if (len == 1 && p[0] == '0')
	{
		*out = 0;
		return true;
	}
	if (p[0] == '-')
	{
		neg = true;
		p++;
		plen++;
		if (plen == len)
			return false;
	}
	if (p[0] < '1' || p[0] > '9')
		return false;
	v = p[0] - '0';
	p++;
	plen++;
	while (plen < len)
	{
		if (p[0] < '0' || p[0] > '9')
			return false;
		if (v > (PG_UINT64_MAX / 10))
			return false;
		v *= 10;
		if (v > (PG_UINT64_MAX - (p[0] - '0')))
			return false;
		v += p[0] - '0';
		p++;
		plen++;
	}
	if (neg)
	{
		if (v > ((uint64) (-(PG_INT64_MIN + 1)) + 1))
			return false;
		*out = (int64) (0 - v);
	}
	else
	{
		if (v > (uint64) PG_INT64_MAX)
			return false;
		*out = (int64) v;
	}
	return true;
}

/* Redis's string2ld. */
bool
parse_ld(const char *s, Size len, long double *out)
{
	char		buf[5 * 1024];
	char	   *end;
	long double v;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (isspace((unsigned char) buf[0]))
		return false;
	errno = 0;
	v = strtold(buf, &end);
	if (*end != '\0' ||
		(errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
		isnan(v))
		return false;
	*out = v;
	return true;
}

/*
 * Redis's ld2string(LD_STR_HUMAN). Returns palloc'd text.  PostgreSQL's
 * snprintf (src/port) has no long double conversions: use the C library's.
 */
#undef snprintf
char *
format_ld(long double v, Size *len)
{
	char		buf[5 * 1024];
	int			l;

	l = snprintf(buf, sizeof(buf), "%.17Lf", v);
	if (l < 0 || l + 1 > (int) sizeof(buf))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("increment would produce NaN or Infinity")));
	if (strchr(buf, '.') != NULL)
	{
		char	   *p = buf + l - 1;

		while (*p == '0')
		{
			p--;
			l--;
		}
		if (*p == '.')
			l--;
	}
	if (l == 2 && buf[0] == '-' && buf[1] == '0')
	{
		buf[0] = '0';
		l = 1;
	}
	*len = l;
	return pnstrdup(buf, l);
}

/* A numeric increment as a long double; NaN is refused, infinities pass. */
long double
numeric_arg_ld(Datum num)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, num));
	long double v;

	if (!parse_ld(s, strlen(s), &v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value is not a valid float"),
				 errdetail("The increment was %s.", s)));
	return v;
}

void
not_integer(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value is not an integer or out of range")));
}
