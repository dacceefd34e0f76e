/* unit-sources: src/zset_core.c */
/*
 * Unit test of the sorted-set core (src/zset_core.c), no server needed:
 * Redis's ordering and range vectors, out-of-memory at every allocation,
 * corruption that zs_check must see, and a deterministic randomized test
 * of every operation against a naive sorted-array model.
 *
 * Prints each failure; the last line is "N passed, M failed" (test cases);
 * exit status 0 only when M is 0.  Run by scripts/test.sh (suite unit).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zset_core.h"

/* ---- test cases and failures ---------------------------------------------- */

static const char *cur_test;
static int	cur_failures;
static int	cases_passed,
			cases_failed;

static void
failf(const char *file, int line, const char *fmt,...)
{
	va_list		ap;

	cur_failures++;
	if (cur_failures > 20)
		return;					/* the first ones tell the story */
	printf("FAIL %s (%s:%d): ", cur_test, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (cur_failures == 20)
		printf("FAIL %s: further failures of this case not shown\n", cur_test);
}

#define CHECK(cond, ...) \
	do { if (!(cond)) failf(__FILE__, __LINE__, __VA_ARGS__); } while (0)

static void
run_case(const char *name, void (*fn) (void))
{
	cur_test = name;
	cur_failures = 0;
	fn();
	if (cur_failures == 0)
	{
		cases_passed++;
		printf("ok     %s\n", name);
	}
	else
	{
		cases_failed++;
		printf("FAILED %s (%d failures)\n", name, cur_failures);
	}
}

/* ---- the allocator: malloc, live bytes, a chosen allocation fails --------- */

typedef struct TestAlloc
{
	uint64_t	live;			/* bytes allocated and not freed */
	uint64_t	blocks;			/* blocks likewise */
	uint64_t	allocs;			/* allocations made */
	uint64_t	bad_frees;		/* frees with a size other than allocated */
	uint64_t	fail_in;		/* > 0: the fail_in-th allocation from now fails */
} TestAlloc;

#define BLOCK_HDR	16			/* keeps the 8-byte alignment of the block */

static zs_ptr
t_alloc(void *ctx, size_t size)
{
	TestAlloc  *t = ctx;
	char	   *p;

	if (t->fail_in > 0 && --t->fail_in == 0)
		return ZS_NULL;
	p = malloc(size + BLOCK_HDR);
	if (p == NULL)
	{
		fprintf(stderr, "out of real memory\n");
		exit(2);
	}
	memcpy(p, &size, sizeof(size));
	/* poison: the core must initialise what it uses */
	memset(p + BLOCK_HDR, 0xA5, size);
	t->live += size;
	t->blocks++;
	t->allocs++;
	return (zs_ptr) (uintptr_t) (p + BLOCK_HDR);
}

static void
t_free(void *ctx, zs_ptr h, size_t size)
{
	TestAlloc  *t = ctx;
	char	   *p = (char *) (uintptr_t) h - BLOCK_HDR;
	size_t		was;

	memcpy(&was, p, sizeof(was));
	if (was != size)
		t->bad_frees++;
	memset(p, 0x5A, was + BLOCK_HDR);
	t->live -= was;
	t->blocks--;
	free(p);
}

static void *
t_addr(void *ctx, zs_ptr h)
{
	(void) ctx;
	return (void *) (uintptr_t) h;
}

static TestAlloc ta;
static const ZsAlloc A = {&ta, t_alloc, t_free, t_addr};

static ZsSet *
S(zs_ptr set)
{
	return (ZsSet *) A.addr(A.ctx, set);
}

static void
check_set(zs_ptr set, const char *where)
{
	const char *why = NULL;

	CHECK(zs_check(&A, set, &why), "zs_check after %s: %s", where, why ? why : "(null)");
}

/* ---- a test's own byte order (independent of zs_member_cmp) ---------------- */

static int
ref_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	size_t		i;

	for (i = 0; i < alen && i < blen; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

/* ---- members of the randomized test ---------------------------------------- */

/*
 * Member id <-> bytes: every string of length 0..4 over an alphabet with
 * NUL, 0x7f, 0x80 and 0xff in it, so prefixes and ties abound.
 */
static const unsigned char ALPHA[8] = {0x00, 0x01, 'A', 'a', 'b', 0x7f, 0x80, 0xff};
#define MAXMLEN		4
#define NMEMBERS	(1 + 8 + 64 + 512 + 4096)

typedef struct Member
{
	unsigned char b[MAXMLEN];
	size_t		len;
} Member;

static Member members[NMEMBERS];

static void
init_members(void)
{
	int			id = 0,
				len,
				k;

	for (len = 0; len <= MAXMLEN; len++)
	{
		int			count = 1;

		for (k = 0; k < len; k++)
			count *= 8;
		for (k = 0; k < count; k++)
		{
			int			v = k,
						j;

			members[id].len = (size_t) len;
			for (j = len - 1; j >= 0; j--)
			{
				members[id].b[j] = ALPHA[v % 8];
				v /= 8;
			}
			id++;
		}
	}
}

/* the test's random numbers: splitmix64 */
static uint64_t trng = 20261205;

static uint64_t
rnd(void)
{
	uint64_t	z = (trng += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint32_t
rndn(uint32_t n)
{
	return (uint32_t) (rnd() % n);
}

/* ---- the model: score and presence per member id, ids in order ------------- */

typedef struct Model
{
	const char *name;
	zs_ptr		set;
	int			kind;			/* 0 mixed, 1 lex (all scores 0), 2 wide, 3 small */
	int			ndomain;		/* member ids used: 0 .. ndomain-1 */
	bool		present[NMEMBERS];
	double		score[NMEMBERS];
	int			order[NMEMBERS];	/* ids by (score, member) */
	int			n;
	uint64_t	ops;
} Model;

static int
model_key_cmp(const Model *m, int id, double score, int id2)
{
	if (m->score[id] < score)
		return -1;
	if (m->score[id] > score)
		return 1;
	return ref_cmp(members[id].b, members[id].len, members[id2].b, members[id2].len);
}

/* index of the first entry not below (score, id) */
static int
model_lower(const Model *m, double score, int id)
{
	int			lo = 0,
				hi = m->n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (model_key_cmp(m, m->order[mid], score, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
model_index(const Model *m, int id)
{
	int			i = model_lower(m, m->score[id], id);

	if (i >= m->n || m->order[i] != id)
	{
		fprintf(stderr, "model broken\n");
		exit(2);
	}
	return i;
}

static void
model_remove(Model *m, int id)
{
	int			i = model_index(m, id);

	memmove(&m->order[i], &m->order[i + 1], sizeof(int) * (size_t) (m->n - i - 1));
	m->n--;
	m->present[id] = false;
}

static void
model_insert(Model *m, int id, double score)
{
	int			i;

	m->score[id] = score;
	i = model_lower(m, score, id);
	memmove(&m->order[i + 1], &m->order[i], sizeof(int) * (size_t) (m->n - i));
	m->order[i] = id;
	m->n++;
	m->present[id] = true;
}

static bool
node_is(const ZsNode *node, const Model *m, int id)
{
	return node != NULL &&
		ref_cmp((const unsigned char *) ZsNodeMember(node), node->mlen,
				members[id].b, members[id].len) == 0 &&
		(node->score == m->score[id]) &&
		signbit(node->score) == signbit(m->score[id]);
}

static const char *
show(const unsigned char *b, size_t len)
{
	static char buf[8][64];
	static int	k;
	char	   *o = buf[k++ % 8];
	size_t		i,
				w = 0;

	o[w++] = '"';
	for (i = 0; i < len && w < 50; i++)
		w += (size_t) snprintf(o + w, 64 - w, (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') ? "%c" : "\\x%02x", b[i]);
	o[w++] = '"';
	o[w] = 0;
	return o;
}

static const char *
show_node(const ZsNode *node)
{
	static char buf[4][96];
	static int	k;
	char	   *o = buf[k++ % 4];

	if (node == NULL)
		return "NULL";
	snprintf(o, 96, "%s@%g", show((const unsigned char *) ZsNodeMember(node), node->mlen), node->score);
	return o;
}

static const char *
show_id(const Model *m, int idx)
{
	static char buf[4][96];
	static int	k;
	char	   *o = buf[k++ % 4];

	if (idx < 0 || idx >= m->n)
		return "NULL";
	snprintf(o, 96, "%s@%g", show(members[m->order[idx]].b, members[m->order[idx]].len),
			 m->score[m->order[idx]]);
	return o;
}

/* the node for model index idx (or NULL when idx is out of bounds) */
static bool
node_at(const ZsNode *node, const Model *m, int idx)
{
	if (idx < 0 || idx >= m->n)
		return node == NULL;
	return node_is(node, m, m->order[idx]);
}

/* the whole set against the model, both directions */
static void
compare_full(Model *m, const char *where)
{
	ZsNode	   *x;
	int			i = 0;

	CHECK(S(m->set)->length == (uint64_t) m->n, "%s %s: length %llu, model %d", m->name, where,
		  (unsigned long long) S(m->set)->length, m->n);
	for (x = zs_by_rank(&A, m->set, 0); x != NULL && i < m->n + 1; x = zs_next(&A, x), i++)
		if (!node_at(x, m, i))
		{
			CHECK(false, "%s %s: forward walk at %d: %s, model %s", m->name, where, i,
				  show_node(x), show_id(m, i));
			return;
		}
	CHECK(i == m->n, "%s %s: forward walk gave %d nodes, model %d", m->name, where, i, m->n);
	i = m->n - 1;
	x = S(m->set)->tail ? (ZsNode *) A.addr(A.ctx, S(m->set)->tail) : NULL;
	for (; x != NULL && i >= -1; x = zs_prev(&A, x), i--)
		if (!node_at(x, m, i))
		{
			CHECK(false, "%s %s: backward walk at %d: %s, model %s", m->name, where, i,
				  show_node(x), show_id(m, i));
			return;
		}
	CHECK(i == -1, "%s %s: backward walk ended at %d", m->name, where, i);
}

/* ---- random operands ------------------------------------------------------- */

static const double SCORE_POOL[] = {
	-INFINITY, -1e300, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 1e300, INFINITY
};
#define NPOOL	(sizeof(SCORE_POOL) / sizeof(SCORE_POOL[0]))

static double
rnd_score(const Model *m)
{
	switch (m->kind)
	{
		case 1:
			return rndn(4) == 0 ? -0.0 : 0.0;
		case 2:
			switch (rndn(4))
			{
				case 0:
					return SCORE_POOL[rndn(NPOOL)];
				case 1:
					return (double) ((int) rndn(200) - 100);
				default:
					return ((double) (int64_t) rnd()) / 1e10;
			}
		default:
			return SCORE_POOL[rndn(NPOOL)];
	}
}

/* a score for a range end: from the pool, or near the set's scores */
static double
rnd_bound(const Model *m)
{
	if (m->n > 0 && rndn(2) == 0)
		return m->score[m->order[rndn((uint32_t) m->n)]];
	return rnd_score(m);
}

static int
rnd_id(const Model *m)
{
	/* a present member half of the time, when there is one */
	if (m->n > 0 && rndn(2) == 0)
		return m->order[rndn((uint32_t) m->n)];
	return (int) rndn((uint32_t) m->ndomain);
}

/* ---- the model's intervals (own code, not the core's) ---------------------- */

static bool
ref_in_range(const ZsRange *r, double v)
{
	bool		lo = r->minex ? (v > r->min) : (v >= r->min);
	bool		hi = r->maxex ? (v < r->max) : (v <= r->max);

	return lo && hi;
}

static bool
ref_in_lex(const ZsLexRange *r, const unsigned char *b, size_t len)
{
	bool		lo,
				hi;

	if (r->min_plus)
		lo = false;
	else if (r->min_inf)
		lo = true;
	else
	{
		int			c = ref_cmp(b, len, (const unsigned char *) r->min, r->minlen);

		lo = r->minex ? c > 0 : c >= 0;
	}
	if (r->max_minus)
		hi = false;
	else if (r->max_inf)
		hi = true;
	else
	{
		int			c = ref_cmp(b, len, (const unsigned char *) r->max, r->maxlen);

		hi = r->maxex ? c < 0 : c <= 0;
	}
	return lo && hi;
}

/* ---- one randomized operation ---------------------------------------------- */

static uint64_t total_ops;

static void
op_add(Model *m, bool inject_oom)
{
	int			id = rnd_id(m);
	double		score = rnd_score(m);
	double		old = 12345.0;
	const Member *mb = &members[id];
	ZsResult	want,
				got;
	bool		was = m->present[id];
	double		oldscore = m->score[id];

	if (inject_oom && !was)
	{
		/* the node's allocation fails: nothing may change */
		uint64_t	len = S(m->set)->length,
					bytes = S(m->set)->bytes,
					rng = S(m->set)->rng,
					live = ta.live;

		ta.fail_in = 1;
		got = zs_add(&A, m->set, score, (const char *) mb->b, mb->len, &old);
		ta.fail_in = 0;
		CHECK(got == ZS_OOM, "%s: add under OOM gave %d", m->name, got);
		CHECK(S(m->set)->length == len && S(m->set)->bytes == bytes && S(m->set)->rng == rng &&
			  ta.live == live, "%s: a failed add changed the set", m->name);
		CHECK(zs_find(&A, m->set, (const char *) mb->b, mb->len) == NULL,
			  "%s: a failed add left the member", m->name);
		compare_full(m, "after OOM add");
		check_set(m->set, "OOM add");
	}
	else if (inject_oom && was)
	{
		/* an update never allocates: a pending failure stays pending */
		ta.fail_in = 1;
	}

	if (!was)
		want = ZS_ADDED;
	else if (oldscore == score)
		want = ZS_NOP;
	else
		want = ZS_UPDATED;
	got = zs_add(&A, m->set, score, (const char *) mb->b, mb->len, &old);
	if (inject_oom && was)
	{
		CHECK(ta.fail_in == 1, "%s: an update allocated", m->name);
		ta.fail_in = 0;
	}
	CHECK(got == want, "%s: add %s@%g gave %d, want %d", m->name, show(mb->b, mb->len), score,
		  got, want);
	if (was)
		CHECK(old == oldscore && signbit(old) == signbit(oldscore),
			  "%s: add %s: old %g, want %g", m->name, show(mb->b, mb->len), old, oldscore);
	if (got == ZS_ADDED || got == ZS_UPDATED)
	{
		if (was)
			model_remove(m, id);
		model_insert(m, id, score);
	}
}

static void
op_delete(Model *m)
{
	int			id = rnd_id(m);
	const Member *mb = &members[id];
	bool		got;

	if (m->present[id] && rndn(4) == 0)
	{
		/* the member bytes inside the very node being deleted */
		ZsNode	   *node = zs_find(&A, m->set, (const char *) mb->b, mb->len);

		got = node && zs_delete(&A, m->set, ZsNodeMember(node), node->mlen);
	}
	else
		got = zs_delete(&A, m->set, (const char *) mb->b, mb->len);
	CHECK(got == m->present[id], "%s: delete %s gave %d", m->name, show(mb->b, mb->len), got);
	if (m->present[id])
		model_remove(m, id);
}

static void
op_find_rank(Model *m)
{
	int			id = rnd_id(m);
	const Member *mb = &members[id];
	ZsNode	   *node = zs_find(&A, m->set, (const char *) mb->b, mb->len);

	if (!m->present[id])
	{
		CHECK(node == NULL, "%s: find %s: found an absent member", m->name, show(mb->b, mb->len));
		return;
	}
	CHECK(node_is(node, m, id), "%s: find %s gave %s", m->name, show(mb->b, mb->len), show_node(node));
	if (node)
	{
		uint64_t	r = zs_rank(&A, m->set, node);
		int			want = model_index(m, id);

		CHECK(r == (uint64_t) want, "%s: rank of %s: %llu, want %d", m->name,
			  show(mb->b, mb->len), (unsigned long long) r, want);
	}
}

static void
op_by_rank_neighbours(Model *m)
{
	int			k = (int) rndn((uint32_t) m->n + 3);
	ZsNode	   *node = zs_by_rank(&A, m->set, (uint64_t) k);

	CHECK(node_at(node, m, k), "%s: by_rank %d: %s, want %s", m->name, k, show_node(node), show_id(m, k));
	if (node && k < m->n)
	{
		ZsNode	   *nx = zs_next(&A, node),
				   *pv = zs_prev(&A, node);

		CHECK(node_at(nx, m, k + 1), "%s: next of %d: %s, want %s", m->name, k, show_node(nx), show_id(m, k + 1));
		CHECK(node_at(pv, m, k - 1), "%s: prev of %d: %s, want %s", m->name, k, show_node(pv), show_id(m, k - 1));
		CHECK(zs_rank(&A, m->set, node) == (uint64_t) k, "%s: rank(by_rank(%d))", m->name, k);
	}
	/* far out of bounds */
	CHECK(zs_by_rank(&A, m->set, UINT64_MAX) == NULL, "%s: by_rank(UINT64_MAX) not NULL", m->name);
}

static void
op_range(Model *m)
{
	ZsRange		r;
	int			first = -1,
				last = -1,
				i,
				count = 0;
	ZsNode	   *f,
			   *l;
	uint64_t	c;
	double		v;

	r.min = rnd_bound(m);
	r.max = rndn(8) == 0 ? rnd_bound(m) : (rndn(2) ? r.min : rnd_bound(m));
	if (r.min > r.max && rndn(4) != 0)
	{
		double		t = r.min;

		r.min = r.max;
		r.max = t;
	}
	r.minex = rndn(3) == 0;
	r.maxex = rndn(3) == 0;
	for (i = 0; i < m->n; i++)
		if (ref_in_range(&r, m->score[m->order[i]]))
		{
			if (first < 0)
				first = i;
			last = i;
			count++;
		}
	f = zs_first_in_range(&A, m->set, &r);
	l = zs_last_in_range(&A, m->set, &r);
	c = zs_count_range(&A, m->set, &r);
	CHECK(node_at(f, m, first), "%s: first in %s%g,%g%s: %s, want %s", m->name, r.minex ? "(" : "[",
		  r.min, r.max, r.maxex ? ")" : "]", show_node(f), show_id(m, first));
	CHECK(node_at(l, m, last), "%s: last in %s%g,%g%s: %s, want %s", m->name, r.minex ? "(" : "[",
		  r.min, r.max, r.maxex ? ")" : "]", show_node(l), show_id(m, last));
	CHECK(c == (uint64_t) count, "%s: count in %s%g,%g%s: %llu, want %d", m->name, r.minex ? "(" : "[",
		  r.min, r.max, r.maxex ? ")" : "]", (unsigned long long) c, count);
	v = rnd_bound(m);
	CHECK(zs_in_range(&r, v) == ref_in_range(&r, v), "%s: in_range %g", m->name, v);
}

static void
rnd_lex(ZsLexRange *r, const Member **lo, const Member **hi)
{
	memset(r, 0, sizeof(*r));
	*lo = &members[rndn(NMEMBERS)];
	*hi = rndn(3) == 0 ? *lo : &members[rndn(NMEMBERS)];
	if (ref_cmp((*lo)->b, (*lo)->len, (*hi)->b, (*hi)->len) > 0 && rndn(4) != 0)
	{
		const Member *t = *lo;

		*lo = *hi;
		*hi = t;
	}
	switch (rndn(12))
	{
		case 0:
			r->min_inf = true;
			break;
		case 1:
			r->min_plus = true;
			break;
		default:
			r->min = (const char *) (*lo)->b;
			r->minlen = (*lo)->len;
			r->minex = rndn(2) == 0;
	}
	switch (rndn(12))
	{
		case 0:
			r->max_inf = true;
			break;
		case 1:
			r->max_minus = true;
			break;
		default:
			r->max = (const char *) (*hi)->b;
			r->maxlen = (*hi)->len;
			r->maxex = rndn(2) == 0;
	}
}

static void
op_lex(Model *m)
{
	ZsLexRange	r;
	const Member *lo,
			   *hi;
	int			first = -1,
				last = -1,
				i,
				count = 0;
	ZsNode	   *f,
			   *l;
	uint64_t	c;
	const Member *v;
	char		desc[160];

	rnd_lex(&r, &lo, &hi);
	snprintf(desc, sizeof(desc), "%s%s .. %s%s",
			 r.min_inf ? "-" : r.min_plus ? "+" : r.minex ? "(" : "[",
			 (r.min_inf || r.min_plus) ? "" : show(lo->b, lo->len),
			 r.max_inf ? "+" : r.max_minus ? "-" : r.maxex ? "(" : "[",
			 (r.max_inf || r.max_minus) ? "" : show(hi->b, hi->len));
	for (i = 0; i < m->n; i++)
	{
		const Member *mb = &members[m->order[i]];

		if (ref_in_lex(&r, mb->b, mb->len))
		{
			if (first < 0)
				first = i;
			last = i;
			count++;
		}
	}
	f = zs_first_in_lex(&A, m->set, &r);
	l = zs_last_in_lex(&A, m->set, &r);
	c = zs_count_lex(&A, m->set, &r);
	CHECK(node_at(f, m, first), "%s: first in lex %s: %s, want %s", m->name, desc,
		  show_node(f), show_id(m, first));
	CHECK(node_at(l, m, last), "%s: last in lex %s: %s, want %s", m->name, desc,
		  show_node(l), show_id(m, last));
	CHECK(c == (uint64_t) count, "%s: lex count in %s: %llu, want %d", m->name, desc,
		  (unsigned long long) c, count);
	v = &members[rndn(NMEMBERS)];
	CHECK(zs_in_lex(&r, (const char *) v->b, v->len) == ref_in_lex(&r, v->b, v->len),
		  "%s: in_lex %s", m->name, show(v->b, v->len));
}

static void
one_op(Model *m)
{
	uint32_t	p = rndn(100);

	m->ops++;
	total_ops++;
	if (p < 34)
		op_add(m, rndn(100) == 0);
	else if (p < 52)
		op_delete(m);
	else if (p < 64)
		op_find_rank(m);
	else if (p < 74)
		op_by_rank_neighbours(m);
	else if (p < 87)
		op_range(m);
	else
	{
		if (m->kind == 1)
			op_lex(m);
		else
			op_range(m);
	}

	/*
	 * The dictionary's growth failing: the add succeeds, the table stays.
	 * Exercised whenever the next new member will make the set outgrow it.
	 */
	if ((uint64_t) m->n == S(m->set)->nbuckets && m->n < m->ndomain && rndn(4) == 0)
	{
		int			id;
		uint32_t	nb = S(m->set)->nbuckets;
		double		sc = rnd_score(m);

		for (id = (int) rndn((uint32_t) m->ndomain); m->present[id]; id = (id + 1) % m->ndomain)
			;
		ta.fail_in = 2;
		CHECK(zs_add(&A, m->set, sc, (const char *) members[id].b, members[id].len, NULL) == ZS_ADDED,
			  "%s: add with the growth failing", m->name);
		ta.fail_in = 0;
		CHECK(S(m->set)->nbuckets == nb, "%s: table grew although its allocation failed", m->name);
		model_insert(m, id, sc);
		check_set(m->set, "failed growth");
	}
}

/* ---- test cases -------------------------------------------------------------- */

#define ADD(set, sc, str) zs_add(&A, set, sc, str, sizeof(str) - 1, NULL)

static void
test_member_order(void)
{
	/* Redis's byte order: "" < \0 < \0\0 < A < a < ab < \x7f < \x80 < \xff */
	static const struct
	{
		const char *b;
		size_t		len;
	}			want[] = {
		{"", 0}, {"\0", 1}, {"\0\0", 2}, {"A", 1}, {"a", 1}, {"ab", 2},
		{"\x7f", 1}, {"\x80", 1}, {"\xff", 1}
	};
	int			n = (int) (sizeof(want) / sizeof(want[0]));
	int			order[] = {5, 8, 0, 3, 7, 1, 6, 2, 4};	/* insertion order */
	int			i,
				j;
	zs_ptr		set = zs_create(&A, 1);
	ZsNode	   *x;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
		{
			CHECK(zs_member_cmp(want[i].b, want[i].len, want[j].b, want[j].len) < 0,
				  "member_cmp %d < %d", i, j);
			CHECK(zs_member_cmp(want[j].b, want[j].len, want[i].b, want[i].len) > 0,
				  "member_cmp %d > %d", j, i);
		}
	CHECK(zs_member_cmp("", 0, "", 0) == 0, "member_cmp of empty members");
	for (i = 0; i < n; i++)
		CHECK(zs_add(&A, set, 0.0, want[order[i]].b, want[order[i]].len, NULL) == ZS_ADDED,
			  "add %d", order[i]);
	check_set(set, "adds");
	for (i = 0, x = zs_by_rank(&A, set, 0); i < n; i++, x = zs_next(&A, x))
	{
		CHECK(x && x->mlen == want[i].len && memcmp(ZsNodeMember(x), want[i].b, want[i].len) == 0,
			  "rank %d: %s", i, show_node(x));
		if (!x)
			break;
		CHECK(zs_rank(&A, set, x) == (uint64_t) i, "zs_rank of rank %d", i);
	}
	CHECK(x == NULL, "more nodes than members");
	/* \0 and \0\0 and "" are three members */
	CHECK(zs_find(&A, set, "\0\0", 2) && zs_find(&A, set, "\0", 1) && zs_find(&A, set, "", 0),
		  "NUL members not found");
	CHECK(zs_find(&A, set, "\0\0\0", 3) == NULL, "\\0\\0\\0 found");
	zs_destroy(&A, set);
}

static void
test_rank_vectors(void)
{
	zs_ptr		set = zs_create(&A, 2);
	const char *names = "abcde";
	ZsNode	   *x;
	int			i;
	double		old = 0;
	ZsRange		r;

	/* ZADD z 1 a 2 b 3 c 4 d 5 e, added out of order */
	ADD(set, 3, "c");
	ADD(set, 1, "a");
	ADD(set, 5, "e");
	ADD(set, 2, "b");
	ADD(set, 4, "d");
	for (i = 0; i < 5; i++)
	{
		x = zs_find(&A, set, names + i, 1);
		CHECK(x && zs_rank(&A, set, x) == (uint64_t) i, "ZRANK %c", names[i]);
		x = zs_by_rank(&A, set, (uint64_t) i);
		CHECK(x && x->mlen == 1 && ZsNodeMember(x)[0] == names[i] && x->score == i + 1,
			  "by_rank %d: %s", i, show_node(x));
	}
	CHECK(zs_by_rank(&A, set, 5) == NULL, "by_rank 5 not NULL");
	CHECK(zs_prev(&A, zs_by_rank(&A, set, 0)) == NULL, "prev of first");
	CHECK(zs_next(&A, zs_by_rank(&A, set, 4)) == NULL, "next of last");

	/* ZADD again: NOP, old score; update in place (c: 3 -> 3.5 stays) */
	CHECK(zs_add(&A, set, 3.0, "c", 1, &old) == ZS_NOP && old == 3.0, "same score: NOP");
	CHECK(zs_add(&A, set, 3.5, "c", 1, &old) == ZS_UPDATED && old == 3.0, "3.5: UPDATED");
	CHECK(zs_rank(&A, set, zs_find(&A, set, "c", 1)) == 2, "c stays at rank 2");
	/* a moves to the end, then e to the front */
	CHECK(zs_add(&A, set, 10, "a", 1, &old) == ZS_UPDATED && old == 1, "a: 1 -> 10");
	CHECK(zs_rank(&A, set, zs_find(&A, set, "a", 1)) == 4, "a at rank 4");
	CHECK(zs_add(&A, set, -1, "e", 1, NULL) == ZS_UPDATED, "e: 5 -> -1");
	CHECK(zs_rank(&A, set, zs_find(&A, set, "e", 1)) == 0, "e at rank 0");
	/* tie: b gets d's score 4: b < d by member */
	CHECK(zs_add(&A, set, 4, "b", 1, NULL) == ZS_UPDATED, "b: 2 -> 4");
	CHECK(zs_rank(&A, set, zs_find(&A, set, "b", 1)) == 2 &&
		  zs_rank(&A, set, zs_find(&A, set, "d", 1)) == 3, "b before d on a tie");
	check_set(set, "updates");

	/* ZCOUNT and ranges: e -1, c 3.5, b 4, d 4, a 10 */
	r = (ZsRange) {-INFINITY, INFINITY, false, false};
	CHECK(zs_count_range(&A, set, &r) == 5, "count -inf +inf");
	r = (ZsRange) {4, 4, false, false};
	CHECK(zs_count_range(&A, set, &r) == 2, "count [4 4]");
	x = zs_first_in_range(&A, set, &r);
	CHECK(x && ZsNodeMember(x)[0] == 'b', "first in [4 4]");
	x = zs_last_in_range(&A, set, &r);
	CHECK(x && ZsNodeMember(x)[0] == 'd', "last in [4 4]");
	r = (ZsRange) {4, 4, true, false};
	CHECK(zs_count_range(&A, set, &r) == 0 && zs_first_in_range(&A, set, &r) == NULL, "(4 4] empty");
	r = (ZsRange) {3.5, 10, true, true};
	CHECK(zs_count_range(&A, set, &r) == 2, "count (3.5 (10");
	r = (ZsRange) {11, 20, false, false};
	CHECK(zs_first_in_range(&A, set, &r) == NULL && zs_last_in_range(&A, set, &r) == NULL, "above all");
	r = (ZsRange) {5, 1, false, false};
	CHECK(zs_count_range(&A, set, &r) == 0, "min > max");
	r = (ZsRange) {0, 3, false, false};
	CHECK(zs_count_range(&A, set, &r) == 0 && zs_first_in_range(&A, set, &r) == NULL, "a gap");
	CHECK(zs_delete(&A, set, "c", 1) && !zs_delete(&A, set, "c", 1), "delete c once");
	CHECK(zs_by_rank(&A, set, 1) && ZsNodeMember(zs_by_rank(&A, set, 1))[0] == 'b', "b moved up");
	check_set(set, "delete");
	zs_destroy(&A, set);
}

static void
test_lex_vectors(void)
{
	zs_ptr		set = zs_create(&A, 3);
	ZsLexRange	r;
	ZsNode	   *f,
			   *l;

	/* ZADD myzset 0 a 0 b 0 c 0 d 0 e 0 f 0 g (Redis's ZRANGEBYLEX page) */
	ADD(set, 0, "g");
	ADD(set, 0, "e");
	ADD(set, 0, "a");
	ADD(set, 0, "c");
	ADD(set, 0, "b");
	ADD(set, 0, "f");
	ADD(set, 0, "d");
	/* - [c -> a b c */
	r = (ZsLexRange) {.min_inf = true, .max = "c", .maxlen = 1};
	f = zs_first_in_lex(&A, set, &r);
	l = zs_last_in_lex(&A, set, &r);
	CHECK(f && ZsNodeMember(f)[0] == 'a' && l && ZsNodeMember(l)[0] == 'c' &&
		  zs_count_lex(&A, set, &r) == 3, "- [c");
	/* - (c -> a b */
	r.maxex = true;
	CHECK(zs_count_lex(&A, set, &r) == 2, "- (c");
	/* [aaa (g -> b c d e f */
	r = (ZsLexRange) {.min = "aaa", .minlen = 3, .max = "g", .maxlen = 1, .maxex = true};
	f = zs_first_in_lex(&A, set, &r);
	l = zs_last_in_lex(&A, set, &r);
	CHECK(f && ZsNodeMember(f)[0] == 'b' && l && ZsNodeMember(l)[0] == 'f' &&
		  zs_count_lex(&A, set, &r) == 5, "[aaa (g");
	/* ZLEXCOUNT - + = 7, [b [f = 5 */
	r = (ZsLexRange) {.min_inf = true, .max_inf = true};
	CHECK(zs_count_lex(&A, set, &r) == 7, "- +");
	r = (ZsLexRange) {.min = "b", .minlen = 1, .max = "f", .maxlen = 1};
	CHECK(zs_count_lex(&A, set, &r) == 5, "[b [f");
	/* + as min, - as max: empty */
	r = (ZsLexRange) {.min_plus = true, .max_inf = true};
	CHECK(zs_count_lex(&A, set, &r) == 0 && zs_first_in_lex(&A, set, &r) == NULL, "+ +");
	r = (ZsLexRange) {.min_inf = true, .max_minus = true};
	CHECK(zs_count_lex(&A, set, &r) == 0 && zs_last_in_lex(&A, set, &r) == NULL, "- -");
	/* [c (c empty, [c [c one, (c [b empty */
	r = (ZsLexRange) {.min = "c", .minlen = 1, .max = "c", .maxlen = 1, .maxex = true};
	CHECK(zs_count_lex(&A, set, &r) == 0, "[c (c");
	r.maxex = false;
	CHECK(zs_count_lex(&A, set, &r) == 1, "[c [c");
	r = (ZsLexRange) {.min = "c", .minlen = 1, .max = "b", .maxlen = 1, .minex = true};
	CHECK(zs_count_lex(&A, set, &r) == 0, "(c [b");
	/* in_lex */
	r = (ZsLexRange) {.min = "b", .minlen = 1, .minex = true, .max_inf = true};
	CHECK(!zs_in_lex(&r, "b", 1) && zs_in_lex(&r, "b\0", 2) && zs_in_lex(&r, "zz", 2), "in_lex (b +");
	r = (ZsLexRange) {.min_inf = true, .max = "", .maxlen = 0};
	CHECK(zs_in_lex(&r, "", 0) && !zs_in_lex(&r, "\0", 1), "in_lex - [\"\"");
	zs_destroy(&A, set);
}

static void
test_scores(void)
{
	zs_ptr		set = zs_create(&A, 4);
	double		old = 1;
	ZsRange		r;
	ZsNode	   *x;

	/* -0 and 0 are equal: a tie, ordered by member; re-adding is a NOP */
	CHECK(ADD(set, 0.0, "b") == ZS_ADDED, "b 0");
	CHECK(ADD(set, -0.0, "a") == ZS_ADDED, "a -0");
	CHECK(zs_add(&A, set, -0.0, "b", 1, &old) == ZS_NOP && old == 0.0 && !signbit(old), "b -0: NOP");
	x = zs_by_rank(&A, set, 0);
	CHECK(x && ZsNodeMember(x)[0] == 'a', "a first on the -0/0 tie");
	r = (ZsRange) {0.0, 0.0, false, false};
	CHECK(zs_count_range(&A, set, &r) == 2, "[0 0] holds -0 and 0");
	r = (ZsRange) {-0.0, -0.0, false, true};
	CHECK(zs_count_range(&A, set, &r) == 0, "[-0 (-0 empty");
	/* infinities */
	CHECK(ADD(set, INFINITY, "z") == ZS_ADDED && ADD(set, -INFINITY, "y") == ZS_ADDED, "inf adds");
	x = zs_by_rank(&A, set, 0);
	CHECK(x && ZsNodeMember(x)[0] == 'y', "-inf first");
	x = zs_by_rank(&A, set, 3);
	CHECK(x && ZsNodeMember(x)[0] == 'z' && zs_next(&A, x) == NULL, "+inf last");
	r = (ZsRange) {-INFINITY, INFINITY, true, true};
	CHECK(zs_count_range(&A, set, &r) == 2, "(-inf (+inf");
	r = (ZsRange) {INFINITY, INFINITY, false, false};
	CHECK(zs_count_range(&A, set, &r) == 1, "[inf inf]");
	CHECK(ADD(set, -INFINITY, "w") == ZS_ADDED, "second -inf");
	CHECK(ADD(set, INFINITY, "y") == ZS_UPDATED, "y -inf -> +inf");
	x = zs_by_rank(&A, set, 3);		/* w -inf, a -0, b 0, y inf, z inf */
	CHECK(x && ZsNodeMember(x)[0] == 'y' && zs_next(&A, x) && ZsNodeMember(zs_next(&A, x))[0] == 'z',
		  "y before z at +inf");
	check_set(set, "infinities");
	zs_destroy(&A, set);
}

static void
test_empty_set(void)
{
	zs_ptr		set = zs_create(&A, 0);	/* seed 0 is allowed; the state is not 0 */
	ZsRange		r = {-INFINITY, INFINITY, false, false};
	ZsLexRange	l = {.min_inf = true, .max_inf = true};

	CHECK(set != ZS_NULL, "create");
	CHECK(S(set)->rng != 0 && S(set)->nbuckets == 8 && S(set)->level == 1, "fresh set fields");
	CHECK(zs_by_rank(&A, set, 0) == NULL && zs_find(&A, set, "", 0) == NULL, "empty finds");
	CHECK(zs_first_in_range(&A, set, &r) == NULL && zs_last_in_range(&A, set, &r) == NULL &&
		  zs_count_range(&A, set, &r) == 0, "empty ranges");
	CHECK(zs_first_in_lex(&A, set, &l) == NULL && zs_last_in_lex(&A, set, &l) == NULL &&
		  zs_count_lex(&A, set, &l) == 0, "empty lex");
	CHECK(!zs_delete(&A, set, "x", 1), "delete from empty");
	check_set(set, "empty");
	/* the empty member alone, then gone again */
	CHECK(zs_add(&A, set, 1, "", 0, NULL) == ZS_ADDED, "add \"\"");
	CHECK(zs_find(&A, set, "", 0) != NULL && S(set)->length == 1, "find \"\"");
	CHECK(zs_delete(&A, set, "", 0), "delete \"\"");
	check_set(set, "empty again");
	CHECK(S(set)->tail == ZS_NULL && S(set)->level == 1, "empty again: tail, level");
	zs_destroy(&A, set);
}

static void
test_oom_create(void)
{
	uint64_t	n;

	for (n = 1; n <= 3; n++)
	{
		ta.fail_in = n;
		CHECK(zs_create(&A, 7) == ZS_NULL, "create with allocation %llu failing", (unsigned long long) n);
		ta.fail_in = 0;
		CHECK(ta.live == 0 && ta.blocks == 0, "create failing at %llu leaked", (unsigned long long) n);
	}
}

/* bytes: the set's own count against the allocator, and growth/shrinking */
static void
test_bytes_and_growth(void)
{
	zs_ptr		set = zs_create(&A, 5);
	char		m[16];
	int			i;

	CHECK(S(set)->bytes == ta.live, "bytes of an empty set %llu, allocator %llu",
		  (unsigned long long) S(set)->bytes, (unsigned long long) ta.live);
	for (i = 0; i < 5000; i++)
	{
		int			len = snprintf(m, sizeof(m), "m%d", i);

		if (zs_add(&A, set, (double) (i % 37), m, (size_t) len, NULL) != ZS_ADDED)
			CHECK(false, "add %s", m);
	}
	CHECK(S(set)->bytes == ta.live, "bytes %llu, allocator %llu", (unsigned long long) S(set)->bytes,
		  (unsigned long long) ta.live);
	CHECK(S(set)->nbuckets >= 4096 && S(set)->length <= S(set)->nbuckets, "table grew: %u buckets",
		  S(set)->nbuckets);
	check_set(set, "5000 adds");
	for (i = 0; i < 5000; i += 2)
	{
		int			len = snprintf(m, sizeof(m), "m%d", i);

		CHECK(zs_delete(&A, set, m, (size_t) len), "delete %s", m);
	}
	CHECK(S(set)->bytes == ta.live, "bytes after deletes");
	check_set(set, "2500 deletes");
	zs_destroy(&A, set);
	CHECK(ta.live == 0 && ta.blocks == 0, "destroy left %llu bytes", (unsigned long long) ta.live);
}

/* a large set: many levels, ranks and counts by arithmetic */
static void
test_large(void)
{
	zs_ptr		set = zs_create(&A, 8);
	char		m[16];
	int			i,
				n = 200000;
	ZsNode	   *x;
	ZsRange		r;

	/* member i has score i / 2: ties in pairs, ordered by member bytes */
	for (i = n - 1; i >= 0; i--)
	{
		int			len = snprintf(m, sizeof(m), "%07d", i);

		if (zs_add(&A, set, (double) (i / 2), m, (size_t) len, NULL) != ZS_ADDED)
			CHECK(false, "add %s", m);
	}
	check_set(set, "200000 adds");
	CHECK(S(set)->level >= 6, "only %d levels for %d members", S(set)->level, n);
	for (i = 0; i < n; i += 997)
	{
		x = zs_by_rank(&A, set, (uint64_t) i);
		snprintf(m, sizeof(m), "%07d", i);
		CHECK(x && x->mlen == 7 && memcmp(ZsNodeMember(x), m, 7) == 0, "by_rank %d: %s", i, show_node(x));
		x = zs_find(&A, set, m, 7);
		CHECK(x && zs_rank(&A, set, x) == (uint64_t) i, "rank of %s", m);
	}
	r = (ZsRange) {1000, 2000, false, true};
	CHECK(zs_count_range(&A, set, &r) == 2000, "count [1000 (2000");
	x = zs_first_in_range(&A, set, &r);
	CHECK(x && zs_rank(&A, set, x) == 2000, "first in [1000 (2000");
	x = zs_last_in_range(&A, set, &r);
	CHECK(x && zs_rank(&A, set, x) == 3999, "last in [1000 (2000");
	/* every other member gone: member 2k+1 is now at rank k */
	for (i = 0; i < n; i += 2)
	{
		snprintf(m, sizeof(m), "%07d", i);
		if (!zs_delete(&A, set, m, 7))
			CHECK(false, "delete %s", m);
	}
	check_set(set, "100000 deletes");
	for (i = 1; i < n; i += 2000)
	{
		snprintf(m, sizeof(m), "%07d", i);
		x = zs_find(&A, set, m, 7);
		CHECK(x && zs_rank(&A, set, x) == (uint64_t) (i / 2), "rank of %s after deletes", m);
	}
	/* move every member to the other end: each update unlinks and links */
	for (i = 1; i < n; i += 2)
	{
		snprintf(m, sizeof(m), "%07d", i);
		if (zs_add(&A, set, (double) -i, m, 7, NULL) != ZS_UPDATED)
			CHECK(false, "move %s", m);
	}
	check_set(set, "100000 moves");
	x = zs_by_rank(&A, set, 0);
	CHECK(x && memcmp(ZsNodeMember(x), "0199999", 7) == 0, "first after moves: %s", show_node(x));
	CHECK(S(set)->bytes == ta.live, "bytes %llu, allocator %llu", (unsigned long long) S(set)->bytes,
		  (unsigned long long) ta.live);
	zs_destroy(&A, set);
	CHECK(ta.live == 0, "destroy left %llu bytes", (unsigned long long) ta.live);
}

/* zs_check must notice a broken structure (and the test with it) */
static void
test_check_detects(void)
{
	zs_ptr		set = zs_create(&A, 6);
	char		m[16];
	int			i;
	ZsNode	   *x,
			   *tall = NULL;
	const char *why;
	uint64_t	span;
	zs_ptr		saved;
	double		sc;

	for (i = 0; i < 300; i++)
	{
		int			len = snprintf(m, sizeof(m), "k%03d", i);

		zs_add(&A, set, (double) (i / 3), m, (size_t) len, NULL);
	}
	check_set(set, "setup");
	for (x = zs_by_rank(&A, set, 0); x; x = zs_next(&A, x))
		if (x->level >= 2 && x->levels[1].forward != ZS_NULL)
		{
			tall = x;
			break;
		}
	CHECK(tall != NULL, "no node of level 2 in 300");
	if (tall == NULL)
		return;
	span = tall->levels[1].span;
	tall->levels[1].span++;
	CHECK(!zs_check(&A, set, &why), "a span off by one not caught");
	tall->levels[1].span = span;
	tall->levels[0].span = 2;
	CHECK(!zs_check(&A, set, &why), "a level-0 span of 2 not caught");
	tall->levels[0].span = 1;
	saved = tall->backward;
	tall->backward = ZS_NULL;
	CHECK(!zs_check(&A, set, &why), "a wrong backward link not caught");
	tall->backward = saved;
	sc = tall->score;
	tall->score = 1e9;
	CHECK(!zs_check(&A, set, &why), "a score out of order not caught");
	tall->score = sc;
	tall->hash ^= 1;
	CHECK(!zs_check(&A, set, &why), "a wrong hash not caught");
	tall->hash ^= 1;
	S(set)->bytes++;
	CHECK(!zs_check(&A, set, &why), "wrong bytes not caught");
	S(set)->bytes--;
	check_set(set, "restored");
	zs_destroy(&A, set);
}

/* The randomized model test. */
#define RANDOM_OPS	1000000

static Model models[4];

static void
test_randomized(void)
{
	static const char *names[] = {"mixed", "lex", "wide", "small"};
	static const int weights[] = {40, 30, 20, 10};
	struct timespec t0,
				t1;
	int			k,
				i;
	uint64_t	sum;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < 4; k++)
	{
		Model	   *m = &models[k];

		memset(m, 0, sizeof(*m));
		m->name = names[k];
		m->kind = k;
		m->ndomain = k == 3 ? 16 : NMEMBERS;
		m->set = zs_create(&A, 1000 + (uint64_t) k);
		CHECK(m->set != ZS_NULL, "create %s", names[k]);
	}
	for (i = 0; i < RANDOM_OPS; i++)
	{
		uint32_t	w = rndn(100);
		Model	   *m;

		for (k = 0; w >= (uint32_t) weights[k]; k++)
			w -= (uint32_t) weights[k];
		m = &models[k];
		/* the mixed set drains now and then, so that it is also small */
		if (k == 0 && (i / 20000) % 4 == 2 && m->n > 0 && rndn(2) == 0)
		{
			int			id = m->order[rndn((uint32_t) m->n)];

			CHECK(zs_delete(&A, m->set, (const char *) members[id].b, members[id].len),
				  "drain delete");
			model_remove(m, id);
			total_ops++;
			continue;
		}
		one_op(m);
		if (m->ops % 1000 == 0)
		{
			check_set(m->set, m->name);
			compare_full(m, "periodic");
		}
		if (cur_failures > 20)
			break;
	}
	sum = 0;
	for (k = 0; k < 4; k++)
	{
		check_set(models[k].set, "end");
		compare_full(&models[k], "end");
		sum += S(models[k].set)->bytes;
	}
	CHECK(sum == ta.live, "bytes of the sets %llu, allocator %llu", (unsigned long long) sum,
		  (unsigned long long) ta.live);
	for (k = 0; k < 4; k++)
		zs_destroy(&A, models[k].set);
	CHECK(ta.live == 0 && ta.blocks == 0, "after destroy: %llu bytes in %llu blocks live",
		  (unsigned long long) ta.live, (unsigned long long) ta.blocks);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("randomized: %llu operations on 4 sets (sizes at end %d %d %d %d) in %.2f s\n",
		   (unsigned long long) total_ops, models[0].n, models[1].n, models[2].n, models[3].n,
		   (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static void
test_allocator_clean(void)
{
	CHECK(ta.live == 0 && ta.blocks == 0, "live bytes %llu", (unsigned long long) ta.live);
	CHECK(ta.bad_frees == 0, "%llu frees with the wrong size", (unsigned long long) ta.bad_frees);
}

/* zs_reserve: one rehash to the size asked for; contents and bytes stay right. */
static void
test_reserve(void)
{
	zs_ptr		set = zs_create(&A, 42);
	char		m[32];
	int			i;
	uint64_t	allocs;

	CHECK(set != ZS_NULL, "create");
	for (i = 0; i < 100; i++)
	{
		snprintf(m, sizeof(m), "r%d", i);
		CHECK(zs_add(&A, set, i, m, strlen(m), NULL) == ZS_ADDED, "add %d", i);
	}
	zs_reserve(&A, set, 5000);
	CHECK(S(set)->nbuckets == 8192, "reserve 5000: %u buckets", S(set)->nbuckets);
	check_set(set, "reserve");
	zs_reserve(&A, set, 10);	/* never shrinks */
	CHECK(S(set)->nbuckets == 8192, "reserve 10 shrank to %u", S(set)->nbuckets);
	allocs = ta.allocs;
	for (i = 100; i < 5000; i++)
	{
		snprintf(m, sizeof(m), "r%d", i);
		CHECK(zs_add(&A, set, i, m, strlen(m), NULL) == ZS_ADDED, "add %d", i);
	}
	CHECK(ta.allocs - allocs == 4900, "adds after reserve allocated %llu blocks (no rehash: 4900)",
		  (unsigned long long) (ta.allocs - allocs));
	for (i = 0; i < 5000; i += 97)
	{
		ZsNode	   *n;

		snprintf(m, sizeof(m), "r%d", i);
		n = zs_find(&A, set, m, strlen(m));
		CHECK(n != NULL && n->score == i && zs_rank(&A, set, n) == (uint64_t) i, "find r%d", i);
	}
	/* a failed reserve keeps the old table */
	ta.fail_in = 1;
	zs_reserve(&A, set, 100000);
	ta.fail_in = 0;
	CHECK(S(set)->nbuckets == 8192, "failed reserve changed the table to %u", S(set)->nbuckets);
	check_set(set, "failed reserve");
	zs_destroy(&A, set);
}

int
main(void)
{
	init_members();
	run_case("member_order", test_member_order);
	run_case("rank_vectors", test_rank_vectors);
	run_case("lex_vectors", test_lex_vectors);
	run_case("scores", test_scores);
	run_case("empty_set", test_empty_set);
	run_case("oom_create", test_oom_create);
	run_case("bytes_and_growth", test_bytes_and_growth);
	run_case("large", test_large);
	run_case("check_detects", test_check_detects);
	run_case("reserve", test_reserve);
	run_case("randomized", test_randomized);
	run_case("allocator_clean", test_allocator_clean);
	printf("%d passed, %d failed\n", cases_passed, cases_failed);
	return cases_failed == 0 ? 0 : 1;
}
