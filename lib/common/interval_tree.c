// SPDX-License-Identifier: MIT
/*
 * Interval tree: a set of inclusive u64 ranges that answers "which ranges
 * intersect [start, last]?" in O(log n) per answer.
 *
 * Data model
 *
 * Each node is a caller-owned struct holding a range [start, last]. The tree
 * is a binary search tree keyed by start alone; nothing forbids overlapping
 * or identical ranges, so keys are not unique. Insertion goes right on equal
 * keys, which places a new node after every node already holding its start;
 * rotations preserve in-order sequence, so that order survives rebalancing
 * and tree order is a deterministic function of the operations performed.
 *
 * Balance
 *
 * The tree is an AVL tree: every node stores the height of its subtree, and
 * the two children's heights differ by at most one. That bounds the height
 * at about 1.44 log2(n), so every walk from a node to the root, or from the
 * root to a leaf, is O(log n). AVL over red-black because the invariant is
 * one integer per node, easy to recompute and easy to check exhaustively in
 * interval_tree_check(); our trees are small and read more than written.
 *
 * After any structural change we recompute every node on the path from the
 * change to the root, rotating wherever a node has fallen out of balance.
 * Stopping early when nothing changes would save a little; walking the
 * whole path keeps one code path for insert, remove, split and update, and
 * it is O(log n) either way.
 *
 * The augmentation
 *
 * Each node also stores __subtree_last, the largest 'last' in its subtree.
 * It depends only on the node and its two children, so it is recomputed at
 * the same moments as the height, including inside rotations.
 *
 * It is what makes the search cheap. Tree order sorts nodes by start, so
 * among the nodes whose last reaches the query's start, the first one in
 * tree order has the smallest start. If that start lies beyond the query's
 * last, every later node starts beyond it too and nothing can match; if not,
 * that node is the answer. __subtree_last tells, at each step of a descent,
 * whether the left subtree holds any node that reaches the query's start,
 * so finding that first node is a single root-to-leaf walk. The next match
 * is found the same way among the nodes after the current one: climb until
 * a subtree to the right can reach the query, then descend into it.
 *
 * Complexity
 *
 * Insert, remove, split and update are O(log n). Each step of an overlap
 * query (iter_first, iter_next) is O(log n), so reporting k matches costs
 * O((k + 1) log n) in the worst case; consecutive matches are usually
 * neighbours in the tree, which makes it much less in practice. The span
 * iterator skips nodes nested inside a span it has already covered, so each
 * span costs O(log n) per node that extends it.
 *
 * Ranges may end at ~0ULL: no code here computes last + 1 without first
 * knowing that last is below the end of the window being walked.
 *
 * No locking: callers serialise all access to a root.
 */
#include <errno.h>
#include "interval_tree.h"

static inline int height(const struct interval_tree_node *n)
{
	return n ? n->__height : 0;
}

/* Restore n's height and __subtree_last from its children's. */
static void recompute(struct interval_tree_node *n)
{
	struct interval_tree_node *l = n->__left, *r = n->__right;
	int hl = height(l), hr = height(r);
	u64 sl = n->last;

	if (l && l->__subtree_last > sl)
		sl = l->__subtree_last;
	if (r && r->__subtree_last > sl)
		sl = r->__subtree_last;
	n->__subtree_last = sl;
	n->__height = 1 + (hl > hr ? hl : hr);
}

static void replace_child(struct interval_tree_root *root,
			  struct interval_tree_node *parent,
			  struct interval_tree_node *old,
			  struct interval_tree_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->__left == old)
		parent->__left = new;
	else
		parent->__right = new;
}

/* Lift x's right child into x's place; returns it. */
static struct interval_tree_node *rotate_left(struct interval_tree_root *root,
					      struct interval_tree_node *x)
{
	struct interval_tree_node *y = x->__right;

	x->__right = y->__left;
	if (y->__left)
		y->__left->__parent = x;
	y->__parent = x->__parent;
	replace_child(root, x->__parent, x, y);
	y->__left = x;
	x->__parent = y;
	/* x is now below y, so x first. */
	recompute(x);
	recompute(y);
	return y;
}

/* Lift x's left child into x's place; returns it. */
static struct interval_tree_node *rotate_right(struct interval_tree_root *root,
					       struct interval_tree_node *x)
{
	struct interval_tree_node *y = x->__left;

	x->__left = y->__right;
	if (y->__right)
		y->__right->__parent = x;
	y->__parent = x->__parent;
	replace_child(root, x->__parent, x, y);
	y->__right = x;
	x->__parent = y;
	recompute(x);
	recompute(y);
	return y;
}

/*
 * Recompute n and all its ancestors, rotating where the AVL invariant broke.
 * Whatever changed below n must already be consistent.
 */
static void fix_upward(struct interval_tree_root *root,
		       struct interval_tree_node *n)
{
	while (n) {
		int bf;

		recompute(n);
		bf = height(n->__left) - height(n->__right);
		if (bf > 1) {
			struct interval_tree_node *l = n->__left;

			/*
			 * A single rotation would leave l's taller inner
			 * subtree just as deep: straighten it first. On
			 * equal heights (only after a removal) one rotation
			 * is enough and the double one would be wrong.
			 */
			if (height(l->__right) > height(l->__left))
				rotate_left(root, l);
			n = rotate_right(root, n);
		} else if (bf < -1) {
			struct interval_tree_node *r = n->__right;

			if (height(r->__left) > height(r->__right))
				rotate_right(root, r);
			n = rotate_left(root, n);
		}
		n = n->__parent;
	}
}

void interval_tree_insert(struct interval_tree_node *node,
			  struct interval_tree_root *root)
{
	struct interval_tree_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		/* Ties go right: after the nodes already there. */
		if (node->start < parent->start)
			link = &parent->__left;
		else
			link = &parent->__right;
	}
	node->__left = NULL;
	node->__right = NULL;
	node->__parent = parent;
	node->__height = 1;
	node->__subtree_last = node->last;
	*link = node;
	root->count++;
	fix_upward(root, parent);
}

void interval_tree_remove(struct interval_tree_node *node,
			  struct interval_tree_root *root)
{
	struct interval_tree_node *parent = node->__parent;
	struct interval_tree_node *l = node->__left, *r = node->__right;
	struct interval_tree_node *fix_from;

	if (!l || !r) {
		struct interval_tree_node *child = l ? l : r;

		replace_child(root, parent, node, child);
		if (child)
			child->__parent = parent;
		fix_from = parent;
	} else {
		/*
		 * Two children: the in-order successor (leftmost of the
		 * right subtree, so it has no left child) takes node's
		 * place. The nodes are the caller's, so we move links,
		 * never ranges.
		 */
		struct interval_tree_node *succ = r;

		while (succ->__left)
			succ = succ->__left;
		if (succ == r) {
			fix_from = succ;
		} else {
			fix_from = succ->__parent;
			fix_from->__left = succ->__right;
			if (succ->__right)
				succ->__right->__parent = fix_from;
			succ->__right = r;
			r->__parent = succ;
		}
		succ->__left = l;
		l->__parent = succ;
		succ->__parent = parent;
		replace_child(root, parent, node, succ);
	}
	/* A stale link followed after removal then crashes early. */
	node->__left = NULL;
	node->__right = NULL;
	node->__parent = NULL;
	root->count--;
	fix_upward(root, fix_from);
}

/*
 * The first node in tree order, within n's subtree, whose last is >= start.
 * n->__subtree_last >= start guarantees there is one.
 */
static struct interval_tree_node *first_reaching(struct interval_tree_node *n,
						 u64 start)
{
	for (;;) {
		if (n->__left && n->__left->__subtree_last >= start)
			n = n->__left;
		else if (n->last >= start)
			return n;
		else
			n = n->__right;
	}
}

/* The first node after n in tree order whose last is >= start, or NULL. */
static struct interval_tree_node *next_reaching(struct interval_tree_node *n,
						u64 start)
{
	struct interval_tree_node *p;

	if (n->__right && n->__right->__subtree_last >= start)
		return first_reaching(n->__right, start);
	/*
	 * Nothing after n in its own subtree: the next candidates are, for
	 * each ancestor we reach from its left, that ancestor and then its
	 * right subtree.
	 */
	for (p = n->__parent; p; n = p, p = p->__parent) {
		if (p->__left != n)
			continue;
		if (p->last >= start)
			return p;
		if (p->__right && p->__right->__subtree_last >= start)
			return first_reaching(p->__right, start);
	}
	return NULL;
}

struct interval_tree_node *
interval_tree_iter_first(struct interval_tree_root *root, u64 start, u64 last)
{
	struct interval_tree_node *n = root->node;

	if (start > last || !n || n->__subtree_last < start)
		return NULL;
	/* See "The augmentation" above for why one candidate suffices. */
	n = first_reaching(n, start);
	return n->start <= last ? n : NULL;
}

struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, u64 start, u64 last)
{
	struct interval_tree_node *n;

	if (start > last)
		return NULL;
	n = next_reaching(node, start);
	return n && n->start <= last ? n : NULL;
}

struct interval_tree_node *interval_tree_first(struct interval_tree_root *root)
{
	struct interval_tree_node *n = root->node;

	if (n)
		while (n->__left)
			n = n->__left;
	return n;
}

struct interval_tree_node *interval_tree_next(struct interval_tree_node *node)
{
	struct interval_tree_node *p;

	if (node->__right) {
		node = node->__right;
		while (node->__left)
			node = node->__left;
		return node;
	}
	for (p = node->__parent; p && p->__right == node; p = p->__parent)
		node = p;
	return p;
}

int interval_tree_split(struct interval_tree_root *root,
			struct interval_tree_node *node, u64 at,
			struct interval_tree_node *new_node)
{
	/* at > start also makes at - 1 below safe. */
	if (at <= node->start || at > node->last)
		return -EINVAL;
	new_node->start = at;
	new_node->last = node->last;
	/* The shrunk node keeps its place: only __subtree_last moves. */
	node->last = at - 1;
	fix_upward(root, node);
	interval_tree_insert(new_node, root);
	return 0;
}

void interval_tree_update(struct interval_tree_root *root,
			  struct interval_tree_node *node, u64 start, u64 last)
{
	if (start == node->start) {
		/* The key is unchanged, so the shape is too. */
		node->last = last;
		fix_upward(root, node);
		return;
	}
	interval_tree_remove(node, root);
	node->start = start;
	node->last = last;
	interval_tree_insert(node, root);
}

struct check_state {
	const struct interval_tree_root *root;
	const struct interval_tree_node *prev;
	unsigned long seen;
};

/* Height of n's subtree, or -1 if any invariant is broken in it. */
static int check_subtree(struct check_state *st,
			 const struct interval_tree_node *n,
			 const struct interval_tree_node *parent)
{
	const struct interval_tree_node *l, *r;
	int hl, hr;
	u64 sl;

	if (!n)
		return 0;
	/* Counting before descending bounds the walk even on a cycle. */
	if (n->__parent != parent || ++st->seen > st->root->count ||
	    n->start > n->last)
		return -1;
	l = n->__left;
	r = n->__right;
	hl = check_subtree(st, l, n);
	if (hl < 0)
		return -1;
	if (st->prev && st->prev->start > n->start)
		return -1;
	st->prev = n;
	hr = check_subtree(st, r, n);
	if (hr < 0)
		return -1;
	if (hl - hr > 1 || hr - hl > 1)
		return -1;
	if (n->__height != 1 + (hl > hr ? hl : hr))
		return -1;
	sl = n->last;
	if (l && l->__subtree_last > sl)
		sl = l->__subtree_last;
	if (r && r->__subtree_last > sl)
		sl = r->__subtree_last;
	if (n->__subtree_last != sl)
		return -1;
	return n->__height;
}

bool interval_tree_check(const struct interval_tree_root *root)
{
	struct check_state st = { .root = root };

	if (check_subtree(&st, root->node, NULL) < 0)
		return false;
	return st.seen == root->count;
}

/*
 * The span iterator keeps one position, __pos, the first index not yet
 * reported, and one node, __next: the first node in tree order whose last
 * reaches __pos (and that starts inside the window). Every node before
 * __next ends before __pos, so __next alone decides what comes next: a used
 * span if it starts at or before __pos, else a hole up to its start.
 *
 * A used span grows by asking for the next node reaching one past its
 * current end, so nodes nested inside the span cost nothing. If that
 * node starts further than one past the end, the span is over and that
 * node is the new __next, which keeps the invariant.
 *
 * __more is false once a span has reached last_index: that is how the walk
 * ends without ever computing last_index + 1.
 */
void interval_tree_span_iter_first(struct interval_tree_span_iter *it,
				   struct interval_tree_root *root,
				   u64 first_index, u64 last_index)
{
	it->__pos = first_index;
	it->__last_index = last_index;
	it->__more = first_index <= last_index;
	it->__next = interval_tree_iter_first(root, first_index, last_index);
	interval_tree_span_iter_next(it);
}

void interval_tree_span_iter_next(struct interval_tree_span_iter *it)
{
	struct interval_tree_node *n = it->__next;
	u64 end;

	if (!it->__more) {
		it->is_hole = -1;
		return;
	}
	if (!n || n->start > it->__pos) {
		it->is_hole = 1;
		it->start_hole = it->__pos;
		if (n) {
			/* n->start > __pos >= 0: no wrap. */
			it->last_hole = n->start - 1;
			it->__pos = n->start;
		} else {
			it->last_hole = it->__last_index;
			it->__more = false;
		}
		return;
	}
	end = n->last;
	while (end < it->__last_index) {
		n = interval_tree_iter_next(n, end + 1, it->__last_index);
		if (!n || n->start > end + 1)
			break;
		/* n reaches end + 1, so the span strictly grows. */
		end = n->last;
	}
	it->is_hole = 0;
	it->start_used = it->__pos;
	if (end >= it->__last_index) {
		it->last_used = it->__last_index;
		it->__more = false;
	} else {
		it->last_used = end;
		it->__pos = end + 1;
		it->__next = n;
	}
}

bool interval_tree_span_iter_done(struct interval_tree_span_iter *it)
{
	return it->is_hole == -1;
}
