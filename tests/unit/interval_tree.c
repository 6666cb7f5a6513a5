// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/common/interval_tree.c.
 *
 * The main test drives the tree with random operations and checks every
 * query against a naive model: an array of items, each with its range, an
 * "in the tree" flag and a sequence number that records when it took its
 * current start. The model predicts the exact order of every answer: by
 * start, then by that sequence number (the tie rule in interval_tree.h).
 *
 * Ranges are drawn to hit the edges: a dense window where everything
 * overlaps, values next to 0 and next to ~0ULL, and arbitrary u64s.
 * The generator is our own fixed-seed splitmix64, so a failure replays.
 */
#include "harness.h"
#include "common/interval_tree.h"

static u64 rng_state;

static void rnd_seed(u64 seed)
{
	rng_state = seed;
}

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 sat_add(u64 a, u64 b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static u64 rnd_point(void)
{
	switch (rnd() % 8) {
	case 0:
		return rnd() % 4;
	case 1:
		return UINT64_MAX - rnd() % 4;
	case 2:
		return rnd();
	default:
		return 1000 + rnd() % 1000;
	}
}

static void rnd_range(u64 *start, u64 *last)
{
	u64 a = rnd_point(), b;

	if (rnd() % 4)
		b = sat_add(a, rnd() % 100);
	else
		b = rnd_point();
	if (a > b) {
		u64 t = a;

		a = b;
		b = t;
	}
	*start = a;
	*last = b;
}

static bool overlaps(const struct interval_tree_node *n, u64 start, u64 last)
{
	return n->start <= last && start <= n->last;
}

struct item {
	struct interval_tree_node node;
	bool in;
	u64 seq;	/* when node.start was last set */
};

#define NITEMS 400

static struct item items[NITEMS];
static u64 next_seq;
static unsigned long nr_in;

static struct item *to_item(struct interval_tree_node *n)
{
	return container_of(n, struct item, node);
}

/* A random item that is (in == true) or is not in the tree, or NULL. */
static struct item *pick(bool in)
{
	unsigned int i, base = rnd() % NITEMS;

	for (i = 0; i < NITEMS; i++) {
		struct item *it = &items[(base + i) % NITEMS];

		if (it->in == in)
			return it;
	}
	return NULL;
}

static int cmp_items(const void *a, const void *b)
{
	const struct item *x = *(struct item *const *)a;
	const struct item *y = *(struct item *const *)b;

	if (x->node.start != y->node.start)
		return x->node.start < y->node.start ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/* The model's answer to [start, last] (all items if !filter), in order. */
static unsigned int model_query(struct item **out, bool filter, u64 start,
				u64 last)
{
	unsigned int i, n = 0;

	for (i = 0; i < NITEMS; i++) {
		if (!items[i].in)
			continue;
		if (filter && !overlaps(&items[i].node, start, last))
			continue;
		out[n++] = &items[i];
	}
	qsort(out, n, sizeof(*out), cmp_items);
	return n;
}

static void check_query(struct interval_tree_root *root, u64 start, u64 last)
{
	struct item *expect[NITEMS];
	struct interval_tree_node *n;
	unsigned int i = 0, nr;

	nr = start <= last ? model_query(expect, true, start, last) : 0;
	for (n = interval_tree_iter_first(root, start, last); n;
	     n = interval_tree_iter_next(n, start, last)) {
		if (i >= nr)
			FAIL("extra node [%llx, %llx] for [%llx, %llx]",
			     (unsigned long long)n->start,
			     (unsigned long long)n->last,
			     (unsigned long long)start,
			     (unsigned long long)last);
		if (to_item(n) != expect[i])
			FAIL("#%u of [%llx,%llx]: [%llx,%llx] not [%llx,%llx]",
			     i, (unsigned long long)start,
			     (unsigned long long)last,
			     (unsigned long long)n->start,
			     (unsigned long long)n->last,
			     (unsigned long long)expect[i]->node.start,
			     (unsigned long long)expect[i]->node.last);
		i++;
	}
	ASSERT_EQ(i, nr);
}

static void check_walk(struct interval_tree_root *root)
{
	struct item *expect[NITEMS];
	struct interval_tree_node *n;
	unsigned int i = 0, nr = model_query(expect, false, 0, 0);

	for (n = interval_tree_first(root); n; n = interval_tree_next(n)) {
		ASSERT_LT(i, nr);
		ASSERT_TRUE(to_item(n) == expect[i]);
		i++;
	}
	ASSERT_EQ(i, nr);
	ASSERT_EQ(root->count, nr);
	ASSERT_EQ(interval_tree_empty(root), nr == 0);
}

static void op_insert(struct interval_tree_root *root)
{
	struct item *it = pick(false);

	if (!it)
		return;
	rnd_range(&it->node.start, &it->node.last);
	it->seq = next_seq++;
	it->in = true;
	nr_in++;
	interval_tree_insert(&it->node, root);
}

static void op_remove(struct interval_tree_root *root)
{
	struct item *it = pick(true);

	if (!it)
		return;
	interval_tree_remove(&it->node, root);
	it->in = false;
	nr_in--;
}

static void op_query(struct interval_tree_root *root)
{
	u64 start, last;

	switch (rnd() % 8) {
	case 0:
		start = 0;
		last = UINT64_MAX;
		break;
	case 1:
		start = last = rnd_point();
		break;
	case 2:
		/* Inverted: matches nothing. */
		rnd_range(&last, &start);
		break;
	default:
		rnd_range(&start, &last);
		break;
	}
	check_query(root, start, last);
}

static void op_split(struct interval_tree_root *root)
{
	struct item *it = pick(true), *new_it = pick(false);
	u64 start, last, at;
	bool valid;
	int rc;

	if (!it || !new_it)
		return;
	start = it->node.start;
	last = it->node.last;
	switch (rnd() % 4) {
	case 0:
		at = start;
		break;
	case 1:
		at = sat_add(last, 1);
		break;
	default:
		at = start + 1 + rnd() % sat_add(last - start, 1);
		break;
	}
	valid = at > start && at <= last;
	rc = interval_tree_split(root, &it->node, at, &new_it->node);
	if (!valid) {
		ASSERT_ERR(EINVAL, rc);
		ASSERT_U64_EQ(it->node.start, start);
		ASSERT_U64_EQ(it->node.last, last);
		return;
	}
	ASSERT_EQ(rc, 0);
	ASSERT_U64_EQ(it->node.start, start);
	ASSERT_U64_EQ(it->node.last, at - 1);
	ASSERT_U64_EQ(new_it->node.start, at);
	ASSERT_U64_EQ(new_it->node.last, last);
	new_it->seq = next_seq++;
	new_it->in = true;
	nr_in++;
}

static void op_update(struct interval_tree_root *root)
{
	struct item *it = pick(true);
	u64 start, last;

	if (!it)
		return;
	rnd_range(&start, &last);
	/* Often keep the start: that path changes only last. */
	if (rnd() % 3 == 0 && it->node.start <= last)
		start = it->node.start;
	if (start != it->node.start)
		it->seq = next_seq++;
	interval_tree_update(root, &it->node, start, last);
	ASSERT_U64_EQ(it->node.start, start);
	ASSERT_U64_EQ(it->node.last, last);
}

TEST(random_ops_vs_model)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	unsigned int op;

	rnd_seed(0x1badb002);
	for (op = 0; op < 40000; op++) {
		/* Grow and shrink in phases, so that sizes vary widely. */
		bool growing = (op / 4000) % 2 == 0;
		unsigned int r = rnd() % 100;

		if (r < (growing ? 30u : 10u))
			op_insert(&root);
		else if (r < 40)
			op_remove(&root);
		else if (r < 75)
			op_query(&root);
		else if (r < 88)
			op_split(&root);
		else
			op_update(&root);

		ASSERT_EQ(root.count, nr_in);
		if (op % 64 == 0) {
			ASSERT_TRUE(interval_tree_check(&root));
			check_walk(&root);
		}
	}
	ASSERT_TRUE(interval_tree_check(&root));
	check_walk(&root);
	while (nr_in) {
		op_remove(&root);
		if (nr_in % 16 == 0) {
			ASSERT_TRUE(interval_tree_check(&root));
			check_query(&root, 0, UINT64_MAX);
		}
	}
	ASSERT_TRUE(interval_tree_empty(&root));
	ASSERT_TRUE(interval_tree_check(&root));
}

TEST(ascending_inserts_stay_balanced)
{
	static struct interval_tree_node nodes[4096];
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node *n;
	unsigned int i;
	u64 expect;

	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		nodes[i].start = i * 10;
		nodes[i].last = i * 10 + 4;
		interval_tree_insert(&nodes[i], &root);
	}
	ASSERT_TRUE(interval_tree_check(&root));
	/* AVL: height < 1.45 log2(n + 2); a plain BST would be 4096 deep. */
	ASSERT_LE(root.node->__height, 17);
	for (n = interval_tree_first(&root), expect = 0; n;
	     n = interval_tree_next(n), expect += 10)
		ASSERT_U64_EQ(n->start, expect);
	ASSERT_U64_EQ(expect, 40960);

	/* Every other node out, then a query that sees only the others. */
	for (i = 0; i < ARRAY_SIZE(nodes); i += 2)
		interval_tree_remove(&nodes[i], &root);
	ASSERT_TRUE(interval_tree_check(&root));
	ASSERT_EQ(root.count, 2048);
	n = interval_tree_iter_first(&root, 0, 25);
	ASSERT_TRUE(n == &nodes[1]);
	n = interval_tree_iter_next(n, 0, 25);
	ASSERT_TRUE(n == NULL);
	/* The gap [15, 19] between node 1 and node 2 (removed). */
	ASSERT_TRUE(interval_tree_iter_first(&root, 15, 29) == NULL);
	ASSERT_TRUE(interval_tree_iter_first(&root, 15, 30) == &nodes[3]);
	for (i = 1; i < ARRAY_SIZE(nodes); i += 2)
		interval_tree_remove(&nodes[i], &root);
	ASSERT_TRUE(interval_tree_empty(&root));
	ASSERT_EQ(root.count, 0);
}

TEST(equal_starts_keep_insertion_order)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node nodes[6], *n;
	unsigned int i;

	/* Decreasing lasts, so that no other order could come from them. */
	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		nodes[i].start = 100;
		nodes[i].last = 200 - i;
		interval_tree_insert(&nodes[i], &root);
	}
	/* Moving node 0 away and back puts it last among equals. */
	interval_tree_update(&root, &nodes[0], 0, 5);
	interval_tree_update(&root, &nodes[0], 100, 300);
	/* Same start: stays in place. */
	interval_tree_update(&root, &nodes[2], 100, 101);
	ASSERT_TRUE(interval_tree_check(&root));
	n = interval_tree_iter_first(&root, 150, 150);
	for (i = 1; i < ARRAY_SIZE(nodes); i++) {
		if (i == 2)
			continue;
		ASSERT_TRUE(n == &nodes[i]);
		n = interval_tree_iter_next(n, 150, 150);
	}
	ASSERT_TRUE(n == &nodes[0]);
	ASSERT_TRUE(interval_tree_iter_next(n, 150, 150) == NULL);
}

TEST(empty_tree)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_span_iter it;
	unsigned int spans = 0;

	ASSERT_TRUE(interval_tree_empty(&root));
	ASSERT_TRUE(interval_tree_check(&root));
	ASSERT_TRUE(interval_tree_first(&root) == NULL);
	ASSERT_TRUE(interval_tree_iter_first(&root, 0, UINT64_MAX) == NULL);
	ASSERT_TRUE(interval_tree_iter_first(&root, 7, 7) == NULL);

	interval_tree_for_each_span(&it, &root, 0, UINT64_MAX) {
		ASSERT_EQ(it.is_hole, 1);
		ASSERT_U64_EQ(it.start_hole, 0);
		ASSERT_U64_EQ(it.last_hole, UINT64_MAX);
		spans++;
	}
	ASSERT_EQ(spans, 1);
	ASSERT_EQ(it.is_hole, -1);

	interval_tree_span_iter_first(&it, &root, UINT64_MAX, UINT64_MAX);
	ASSERT_EQ(it.is_hole, 1);
	ASSERT_U64_EQ(it.start_hole, UINT64_MAX);
	ASSERT_U64_EQ(it.last_hole, UINT64_MAX);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));

	/* An empty window yields nothing at all. */
	interval_tree_span_iter_first(&it, &root, 5, 4);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));
}

TEST(single_full_range)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node node = { .start = 0, .last = UINT64_MAX };
	struct interval_tree_span_iter it;
	const u64 q[][2] = {
		{ 0, 0 }, { UINT64_MAX, UINT64_MAX }, { 0, UINT64_MAX },
		{ 12345, 67890 }, { UINT64_MAX - 1, UINT64_MAX },
	};
	unsigned int i;

	interval_tree_insert(&node, &root);
	ASSERT_TRUE(interval_tree_check(&root));
	ASSERT_FALSE(interval_tree_empty(&root));
	ASSERT_TRUE(interval_tree_first(&root) == &node);
	ASSERT_TRUE(interval_tree_next(&node) == NULL);
	for (i = 0; i < ARRAY_SIZE(q); i++) {
		struct interval_tree_node *n;

		n = interval_tree_iter_first(&root, q[i][0], q[i][1]);
		ASSERT_TRUE(n == &node);
		ASSERT_TRUE(interval_tree_iter_next(n, q[i][0], q[i][1]) ==
			    NULL);
	}
	/* Inverted query: no match even though the node covers both. */
	ASSERT_TRUE(interval_tree_iter_first(&root, 10, 9) == NULL);

	interval_tree_span_iter_first(&it, &root, 0, UINT64_MAX);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.start_used, 0);
	ASSERT_U64_EQ(it.last_used, UINT64_MAX);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));

	interval_tree_span_iter_first(&it, &root, 10, 20);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.start_used, 10);
	ASSERT_U64_EQ(it.last_used, 20);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));

	interval_tree_remove(&node, &root);
	ASSERT_TRUE(interval_tree_empty(&root));
	ASSERT_EQ(root.count, 0);
	ASSERT_TRUE(interval_tree_check(&root));
}

TEST(split_errors_and_edges)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node a = { .start = 10, .last = 20 };
	struct interval_tree_node b, c, d;
	struct interval_tree_span_iter it;
	const u64 bad[] = { 0, 9, 10, 21, UINT64_MAX };
	unsigned int i;

	interval_tree_insert(&a, &root);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&b, 0x5a, sizeof(b));
		ASSERT_ERR(EINVAL, interval_tree_split(&root, &a, bad[i], &b));
		ASSERT_U64_EQ(a.start, 10);
		ASSERT_U64_EQ(a.last, 20);
		ASSERT_EQ(root.count, 1);
		ASSERT_TRUE(interval_tree_check(&root));
		ASSERT_TRUE(interval_tree_next(&a) == NULL);
		ASSERT_U64_EQ(b.start, 0x5a5a5a5a5a5a5a5aULL);
	}
	/* The highest legal cut leaves a one-index tail. */
	ASSERT_OK(interval_tree_split(&root, &a, 20, &b));
	ASSERT_U64_EQ(a.last, 19);
	ASSERT_U64_EQ(b.start, 20);
	ASSERT_U64_EQ(b.last, 20);
	ASSERT_TRUE(interval_tree_check(&root));
	ASSERT_TRUE(interval_tree_iter_first(&root, 20, 30) == &b);
	ASSERT_TRUE(interval_tree_iter_first(&root, 0, 19) == &a);
	ASSERT_TRUE(interval_tree_iter_next(&a, 0, 19) == NULL);
	/* A one-index node cannot be cut. */
	ASSERT_ERR(EINVAL, interval_tree_split(&root, &b, 20, &c));
	ASSERT_ERR(EINVAL, interval_tree_split(&root, &b, 21, &c));
	interval_tree_remove(&a, &root);
	interval_tree_remove(&b, &root);

	/* Cuts at both ends of the full range. */
	a.start = 0;
	a.last = UINT64_MAX;
	interval_tree_insert(&a, &root);
	ASSERT_ERR(EINVAL, interval_tree_split(&root, &a, 0, &b));
	ASSERT_OK(interval_tree_split(&root, &a, UINT64_MAX, &b));
	ASSERT_U64_EQ(a.last, UINT64_MAX - 1);
	ASSERT_U64_EQ(b.start, UINT64_MAX);
	ASSERT_U64_EQ(b.last, UINT64_MAX);
	ASSERT_OK(interval_tree_split(&root, &a, 1, &c));
	ASSERT_U64_EQ(a.last, 0);
	ASSERT_U64_EQ(c.start, 1);
	ASSERT_U64_EQ(c.last, UINT64_MAX - 1);
	ASSERT_TRUE(interval_tree_check(&root));
	ASSERT_EQ(root.count, 3);
	ASSERT_TRUE(interval_tree_iter_first(&root, UINT64_MAX, UINT64_MAX) ==
		    &b);
	ASSERT_TRUE(interval_tree_iter_first(&root, 0, 0) == &a);
	/* Adjacent pieces still make one used span. */
	interval_tree_span_iter_first(&it, &root, 0, UINT64_MAX);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.start_used, 0);
	ASSERT_U64_EQ(it.last_used, UINT64_MAX);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));
	/* Cut the middle piece and drop its head: a hole opens. */
	ASSERT_OK(interval_tree_split(&root, &c, 100, &d));
	interval_tree_remove(&c, &root);
	interval_tree_span_iter_first(&it, &root, 0, UINT64_MAX);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.last_used, 0);
	interval_tree_span_iter_next(&it);
	ASSERT_EQ(it.is_hole, 1);
	ASSERT_U64_EQ(it.start_hole, 1);
	ASSERT_U64_EQ(it.last_hole, 99);
	interval_tree_span_iter_next(&it);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.start_used, 100);
	ASSERT_U64_EQ(it.last_used, UINT64_MAX);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));
}

TEST(span_edges_at_zero_and_max)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node top = { .start = 5, .last = UINT64_MAX };
	struct interval_tree_node bottom = { .start = 0, .last = 0 };
	struct interval_tree_node point = { .start = UINT64_MAX,
					    .last = UINT64_MAX };
	struct interval_tree_span_iter it;

	/* Used to the very end: no hole after it. */
	interval_tree_insert(&top, &root);
	interval_tree_span_iter_first(&it, &root, 0, UINT64_MAX);
	ASSERT_EQ(it.is_hole, 1);
	ASSERT_U64_EQ(it.start_hole, 0);
	ASSERT_U64_EQ(it.last_hole, 4);
	interval_tree_span_iter_next(&it);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.start_used, 5);
	ASSERT_U64_EQ(it.last_used, UINT64_MAX);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));
	interval_tree_remove(&top, &root);

	/* A node at 0 and one at the maximum, a hole between. */
	interval_tree_insert(&point, &root);
	interval_tree_insert(&bottom, &root);
	interval_tree_span_iter_first(&it, &root, 0, UINT64_MAX);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.start_used, 0);
	ASSERT_U64_EQ(it.last_used, 0);
	interval_tree_span_iter_next(&it);
	ASSERT_EQ(it.is_hole, 1);
	ASSERT_U64_EQ(it.start_hole, 1);
	ASSERT_U64_EQ(it.last_hole, UINT64_MAX - 1);
	interval_tree_span_iter_next(&it);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.start_used, UINT64_MAX);
	ASSERT_U64_EQ(it.last_used, UINT64_MAX);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));
	/* Stepping past the end stays finished. */
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));

	/* A window that starts inside a node is clipped to the window. */
	interval_tree_span_iter_first(&it, &root, UINT64_MAX, UINT64_MAX);
	ASSERT_EQ(it.is_hole, 0);
	ASSERT_U64_EQ(it.start_used, UINT64_MAX);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));
	interval_tree_span_iter_first(&it, &root, 1, UINT64_MAX - 1);
	ASSERT_EQ(it.is_hole, 1);
	ASSERT_U64_EQ(it.start_hole, 1);
	ASSERT_U64_EQ(it.last_hole, UINT64_MAX - 1);
	interval_tree_span_iter_next(&it);
	ASSERT_TRUE(interval_tree_span_iter_done(&it));
}

struct span {
	u64 start, last;
	int is_hole;
};

static void add_span(struct span *s, unsigned int *n, u64 start, u64 last,
		     int is_hole)
{
	/* Spans are added in order, so last + 1 cannot wrap here. */
	if (*n && s[*n - 1].is_hole == is_hole &&
	    s[*n - 1].last + 1 == start) {
		s[*n - 1].last = last;
		return;
	}
	s[*n].start = start;
	s[*n].last = last;
	s[*n].is_hole = is_hole;
	(*n)++;
}

/*
 * The spans of [a, b] by brute force, when every node lies inside the
 * 64-index universe [base, base + 63] and bit i of cov says whether
 * base + i is covered: one span per index, merged.
 */
static unsigned int naive_spans(struct span *s, u64 base, u64 cov, u64 a,
				u64 b)
{
	unsigned int i, n = 0;

	if (a < base)
		add_span(s, &n, a, b < base ? b : base - 1, 1);
	for (i = 0; i < 64; i++) {
		u64 x = base + i;

		if (x >= a && x <= b)
			add_span(s, &n, x, x, !((cov >> i) & 1));
	}
	if (base + 63 < b)
		add_span(s, &n, a > base + 64 ? a : base + 64, b, 1);
	return n;
}

static u64 window_point(u64 base)
{
	switch (rnd() % 6) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX;
	case 2:
		return base ? base - 1 : base;
	case 3:
		return base + 63 < UINT64_MAX ? base + 64 : base + 63;
	default:
		return base + rnd() % 64;
	}
}

static void span_trials(u64 base, unsigned int trials)
{
	struct interval_tree_node nodes[10];
	struct span expect[200];
	unsigned int t, i;

	for (t = 0; t < trials; t++) {
		struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
		unsigned int nr = rnd() % ARRAY_SIZE(nodes), w;
		u64 cov = 0;

		for (i = 0; i < nr; i++) {
			u64 s = rnd() % 64;
			u64 l = s + rnd() % (rnd() % 2 ? 4 : 64);
			unsigned int j;

			if (l > 63)
				l = 63;
			for (j = s; j <= l; j++)
				cov |= 1ULL << j;
			nodes[i].start = base + s;
			nodes[i].last = base + l;
			interval_tree_insert(&nodes[i], &root);
		}
		for (w = 0; w < 8; w++) {
			struct interval_tree_span_iter it;
			u64 a = window_point(base), b = window_point(base);
			unsigned int nexp, k = 0;

			if (a > b) {
				u64 tmp = a;

				a = b;
				b = tmp;
			}
			nexp = naive_spans(expect, base, cov, a, b);
			interval_tree_for_each_span(&it, &root, a, b) {
				ASSERT_LT(k, nexp);
				ASSERT_EQ(it.is_hole, expect[k].is_hole);
				if (it.is_hole) {
					ASSERT_U64_EQ(it.start_hole,
						      expect[k].start);
					ASSERT_U64_EQ(it.last_hole,
						      expect[k].last);
				} else {
					ASSERT_U64_EQ(it.start_used,
						      expect[k].start);
					ASSERT_U64_EQ(it.last_used,
						      expect[k].last);
				}
				k++;
			}
			ASSERT_EQ(k, nexp);
		}
	}
}

TEST(span_iter_vs_naive_low)
{
	rnd_seed(1);
	span_trials(0, 3000);
}

TEST(span_iter_vs_naive_middle)
{
	rnd_seed(2);
	span_trials(1ULL << 40, 3000);
}

TEST(span_iter_vs_naive_top)
{
	rnd_seed(3);
	span_trials(UINT64_MAX - 63, 3000);
}

/* interval_tree_check() must not be vacuous: the tests rely on it. */
TEST(check_catches_corruption)
{
	struct interval_tree_root root = INTERVAL_TREE_ROOT_INIT;
	struct interval_tree_node nodes[15], *r, *succ;
	unsigned int i;
	u64 saved;

	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		nodes[i].start = i * 10;
		nodes[i].last = i * 10 + 5;
		interval_tree_insert(&nodes[i], &root);
	}
	ASSERT_TRUE(interval_tree_check(&root));
	r = root.node;

	saved = r->__left->__subtree_last;
	r->__left->__subtree_last = saved + 1;
	ASSERT_FALSE(interval_tree_check(&root));
	r->__left->__subtree_last = saved;

	root.count++;
	ASSERT_FALSE(interval_tree_check(&root));
	root.count--;

	r->__height++;
	ASSERT_FALSE(interval_tree_check(&root));
	r->__height--;

	/* r's successor, moved before r without touching anything else. */
	succ = r->__right;
	while (succ->__left)
		succ = succ->__left;
	saved = succ->start;
	succ->start = r->start - 1;
	ASSERT_FALSE(interval_tree_check(&root));
	succ->start = saved;

	r->__left->__parent = r->__right;
	ASSERT_FALSE(interval_tree_check(&root));
	r->__left->__parent = r;

	ASSERT_TRUE(interval_tree_check(&root));
}

TEST_MAIN()
