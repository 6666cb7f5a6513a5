/* SPDX-License-Identifier: MIT */
/*
 * An interval tree of inclusive u64 ranges [start, last].
 *
 * The names and the semantics follow Linux's include/linux/interval_tree.h,
 * so that kernel readers feel at home; the code is our own (an AVL tree, see
 * interval_tree.c for the design).
 *
 * The tree is intrusive: the caller embeds a struct interval_tree_node in its
 * own object, sets start and last, and finds its object back with
 * container_of(). The tree never allocates, so no operation can fail for
 * want of memory.
 *
 * There is no locking: the caller serialises every call on a given root,
 * readers included, since iteration follows pointers that insert, remove,
 * split and update rewrite.
 *
 * Overlapping ranges and identical ranges may coexist. Nodes are ordered by
 * start; nodes with equal start are ordered by when they took that start: a
 * node inserted (or given a new start by split or update) goes after those
 * already in the tree with the same start. Every order below is therefore a
 * function of the sequence of operations alone.
 */
#ifndef PRIVMEM_COMMON_INTERVAL_TREE_H
#define PRIVMEM_COMMON_INTERVAL_TREE_H

#include "compiler.h"

struct interval_tree_node {
	u64 start;	/* inclusive */
	u64 last;	/* inclusive, start <= last */
	/* private: */
	u64 __subtree_last;
	struct interval_tree_node *__left, *__right, *__parent;
	int __height;
};

struct interval_tree_root {
	struct interval_tree_node *node;
	unsigned long count;
};

#define INTERVAL_TREE_ROOT_INIT { NULL, 0 }

static inline bool interval_tree_empty(const struct interval_tree_root *root)
{
	return !root->node;
}

/*
 * The caller sets node->start <= node->last first; the other fields are the
 * tree's. A node must not be inserted twice.
 */
void interval_tree_insert(struct interval_tree_node *node,
			  struct interval_tree_root *root);
void interval_tree_remove(struct interval_tree_node *node,
			  struct interval_tree_root *root);

/*
 * Overlap queries: the nodes intersecting [start, last], in tree order. A
 * query with start > last matches nothing. Each call is O(log n).
 */
struct interval_tree_node *
interval_tree_iter_first(struct interval_tree_root *root, u64 start, u64 last);
struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, u64 start, u64 last);

/* Every node, in tree order. */
struct interval_tree_node *interval_tree_first(struct interval_tree_root *root);
struct interval_tree_node *interval_tree_next(struct interval_tree_node *node);

/*
 * interval_tree_split() - cut @node, which is in the tree, at @at
 * @node becomes [start, at - 1] and @new_node, which is not in the tree, is
 * inserted as [at, last].
 * Return: 0, or -EINVAL if start < at <= last does not hold; nothing
 * changes then (@new_node is left untouched).
 */
int interval_tree_split(struct interval_tree_root *root,
			struct interval_tree_node *node, u64 at,
			struct interval_tree_node *new_node);

/* Give @node, which is in the tree, the range [start, last]. */
void interval_tree_update(struct interval_tree_root *root,
			  struct interval_tree_node *node, u64 start, u64 last);

/*
 * Debug: verify order, AVL balance, parent links, __subtree_last and count.
 * O(n); meant for tests.
 */
bool interval_tree_check(const struct interval_tree_root *root);

/*
 * Walk [first_index, last_index] as an alternation of maximal spans: "used"
 * spans, covered by the union of the nodes (touching or overlapping nodes
 * merge into one span), and "hole" spans, covered by none. The spans tile
 * the window exactly, and the walk never computes past U64 max: a window
 * ending at ~0ULL ends with whatever covers ~0ULL. An empty window
 * (first_index > last_index) yields no span at all.
 *
 * The tree must not change during the walk.
 *
 *	struct interval_tree_span_iter it;
 *
 *	interval_tree_for_each_span(&it, root, 0, ~0ULL)
 *		if (it.is_hole)
 *			use(it.start_hole, it.last_hole);
 */
struct interval_tree_span_iter {
	/* public, read by the caller: */
	u64 start_hole, last_hole;	/* valid when is_hole == 1 */
	u64 start_used, last_used;	/* valid when is_hole == 0 */
	int is_hole;			/* 1 hole, 0 used, -1 finished */
	/* private: */
	struct interval_tree_node *__next;
	u64 __pos;
	u64 __last_index;
	bool __more;
};

void interval_tree_span_iter_first(struct interval_tree_span_iter *it,
				   struct interval_tree_root *root,
				   u64 first_index, u64 last_index);
void interval_tree_span_iter_next(struct interval_tree_span_iter *it);
bool interval_tree_span_iter_done(struct interval_tree_span_iter *it);

#define interval_tree_for_each_span(it, root, first, last)                    \
	for (interval_tree_span_iter_first(it, root, first, last);             \
	     !interval_tree_span_iter_done(it);                                \
	     interval_tree_span_iter_next(it))

#endif
