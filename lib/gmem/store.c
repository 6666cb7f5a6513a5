// SPDX-License-Identifier: MIT
/*
 * The gmem store: per-page shared/private state, conversion, the provider
 * API (get_pfn/put_pfn) and invalidation notifiers.
 *
 * Data model
 * ----------
 * A store covers [0, capacity) of two backings (backend.c): the shared
 * memfd, mapped once as the host view, and the private backing. Every page
 * is on exactly one side. The invariant that makes "no byte crosses" cheap
 * to keep:
 *
 *   the side a page is not on holds nothing: a shared page's slot in the
 *   private backing is a hole (or zeros, for memfd_secret), and a private
 *   page's slot in the shared memfd is a hole.
 *
 * A hole in the shared memfd is what makes the host view fault there
 * (userfaultfd SIGBUS mode), so the view needs no per-page protection and
 * any state pattern costs one VMA. A shared page is always allocated in the
 * shared memfd (allocated when it becomes shared), so the view never faults
 * on a shared page.
 *
 * The state is the set of private byte ranges, kept merged in an interval
 * tree (private_tree): a store whose state is uniform costs one node or
 * none, whatever its size; the worst case, every other page private, costs
 * one node per private page.
 *
 * Pages held through get_pfn are nodes in a second tree (holds), one per
 * page, with a pin count and, for a private page, the mapping made for the
 * hold.
 *
 * Conversion
 * ----------
 * pm_gmem_convert() works on the pages that change (the parts of the range
 * not already in the target state) in two phases:
 *   1. everything that can fail: notifiers' begin (may refuse), the pin
 *      check (-EAGAIN), allocating the destination side (fallocate may give
 *      ENOSPC), mapping the private backing for a content copy or a zeroing,
 *      the copy itself. A failure undoes what phase 1 did and returns.
 *   2. the commit, which cannot fail: the state tree is updated with a node
 *      allocated in phase 1, and the side each page left is discarded
 *      (punch-hole, or zeroing through the phase-1 mapping).
 * So a failed call leaves states, contents and mappings as they were.
 *
 * Locking
 * -------
 * convert_lock serialises conversions, punches, truncation, close and the
 * notifier list; notifiers run under it. state_lock protects the trees,
 * size, the converting window and the statistics; get_pfn/put_pfn take only
 * state_lock, so consumers may call them with their own locks held (see the
 * rank table in common/lock_ranks.h). While a range converts, get_pfn on it
 * returns -EAGAIN (as KVM retries a fault during an mmu_notifier
 * invalidation), so that no new hold appears between the pin check and the
 * commit.
 *
 * Vocabulary: offset/length as the caller gives them; [start, last]
 * inclusive internally; every start + length - 1 goes through range_last().
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "common/log.h"
#include "common/lock_ranks.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "gmem_private.h"

static DEFINE_LOCK_CLASS(gmem_convert_class, LOCK_RANK_GMEM_CONVERT);
static DEFINE_LOCK_CLASS(gmem_state_class, LOCK_RANK_GMEM_STATE);
static DEFINE_LOCK_CLASS(gmem_stores_class, LOCK_RANK_LEAF);

/* Every open store, so that MAP_FILE on a store's fd finds the store. */
static struct mutex stores_lock = { PTHREAD_MUTEX_INITIALIZER,
				    &gmem_stores_class };
static struct pm_gmem *stores;

static void stores_add(struct pm_gmem *g)
{
	mutex_lock(&stores_lock);
	g->registry_next = stores;
	stores = g;
	mutex_unlock(&stores_lock);
}

static void stores_del(struct pm_gmem *g)
{
	struct pm_gmem **p;

	mutex_lock(&stores_lock);
	for (p = &stores; *p; p = &(*p)->registry_next) {
		if (*p == g) {
			*p = g->registry_next;
			break;
		}
	}
	mutex_unlock(&stores_lock);
}

int gmem_find_by_fd(int fd, struct pm_gmem **out)
{
	struct pm_gmem *g;
	struct stat st;
	int rc;

	rc = sys_fstat(fd, &st);
	if (rc)
		return rc;
	mutex_lock(&stores_lock);
	for (g = stores; g; g = g->registry_next)
		if (((u64)st.st_dev == g->priv_dev &&
		     (u64)st.st_ino == g->priv_ino) ||
		    ((u64)st.st_dev == g->shared_dev &&
		     (u64)st.st_ino == g->shared_ino))
			break;
	mutex_unlock(&stores_lock);
	*out = g;
	return 0;
}

static const char *const backend_names[PM_GMEM_NR_BACKENDS] = {
	[PM_GMEM_GUEST_MEMFD] = "guest_memfd",
	[PM_GMEM_MEMFD] = "memfd",
	[PM_GMEM_SECRET] = "memfd_secret",
	[PM_GMEM_HUGETLB_2M] = "hugetlb_2m",
	[PM_GMEM_HUGETLB_1G] = "hugetlb_1g",
	[PM_GMEM_ADOPT] = "adopted",
};

const char *pm_gmem_backend_name(enum pm_gmem_backend b)
{
	if ((unsigned int)b >= PM_GMEM_NR_BACKENDS)
		return "unknown";
	return backend_names[b];
}

static u64 backend_granule(enum pm_gmem_backend b)
{
	switch (b) {
	case PM_GMEM_HUGETLB_2M:
		return SZ_2M;
	case PM_GMEM_HUGETLB_1G:
		return SZ_1G;
	default:
		return SZ_4K;
	}
}

static unsigned int granule_order(u64 granule)
{
	return (unsigned int)(__builtin_ctzll(granule) - 12);
}

static void store_free(struct pm_gmem *g)
{
	struct interval_tree_node *n;

	while ((n = interval_tree_first(&g->private_tree))) {
		interval_tree_remove(n, &g->private_tree);
		kfree(n);
	}
	gmem_window_close(g);
	gmem_backend_close(g);
	mutex_destroy(&g->convert_lock);
	mutex_destroy(&g->state_lock);
	kfree(g);
}

static int insert_private(struct pm_gmem *g, u64 start, u64 last)
{
	struct interval_tree_node *n = kzalloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->start = start;
	n->last = last;
	interval_tree_insert(n, &g->private_tree);
	return 0;
}

int pm_gmem_create(const struct pm_gmem_config *cfg, struct pm_gmem **out)
{
	struct pm_gmem *g;
	int rc;

	if (!cfg || !out || (unsigned int)cfg->backend >= PM_GMEM_NR_BACKENDS)
		return -EINVAL;
	if (cfg->flags & ~(u32)PM_GMEM_F_INIT_PRIVATE)
		return -EINVAL;
	if (!cfg->size || !IS_ALIGNED(cfg->size, backend_granule(cfg->backend)))
		return -EINVAL;
	if (cfg->size > (1ULL << 52))
		return -EINVAL;

	g = kzalloc(sizeof(*g));
	if (!g)
		return -ENOMEM;
	mutex_init(&g->convert_lock, &gmem_convert_class);
	mutex_init(&g->state_lock, &gmem_state_class);
	g->backend = cfg->backend;
	g->capacity = g->size = cfg->size;
	g->granule = backend_granule(cfg->backend);
	g->flags = cfg->flags;
	g->priv_fd = g->shared_fd = g->vm_fd = g->uffd = g->pagemap_fd = -1;

	rc = gmem_backend_open(g, cfg);
	if (rc)
		goto err;
	g->order = granule_order(g->granule);

	if (cfg->flags & PM_GMEM_F_INIT_PRIVATE) {
		rc = insert_private(g, 0, g->size - 1);
		if (rc)
			goto err;
		g->private_bytes = g->size;
	} else {
		rc = gmem_alloc_shared(g, 0, g->size);
		if (rc)
			goto err;
	}
	{
		struct stat ps, ss;

		rc = sys_fstat(g->priv_fd, &ps);
		if (!rc)
			rc = sys_fstat(g->shared_fd, &ss);
		if (rc)
			goto err;
		g->priv_dev = ps.st_dev;
		g->priv_ino = ps.st_ino;
		g->shared_dev = ss.st_dev;
		g->shared_ino = ss.st_ino;
	}
	/*
	 * Adopted content at offsets that start shared is discarded: last,
	 * once nothing can fail, so a failed create loses nothing.
	 */
	if (cfg->backend == PM_GMEM_ADOPT &&
	    !(cfg->flags & PM_GMEM_F_INIT_PRIVATE) && g->caps.can_punch)
		sys_punch_hole(g->priv_fd, 0, g->size);
	stores_add(g);
	*out = g;
	return 0;
err:
	store_free(g);
	return rc;
}

static struct pm_gmem_notifier *next_notifier(struct pm_gmem_notifier *n)
{
	return n->__next;
}

int gmem_notify_begin(struct pm_gmem *g, enum pm_gmem_event ev, u64 offset,
		      u64 length, bool may_refuse,
		      struct pm_gmem_notifier **stopped)
{
	struct pm_gmem_notifier *n;
	int rc;

	*stopped = NULL;
	for (n = g->notifiers; n; n = next_notifier(n)) {
		if (!n->begin)
			continue;
		rc = n->begin(n, g, ev, offset, length);
		if (rc && may_refuse) {
			*stopped = n;
			return rc < 0 ? rc : -EINVAL;
		}
	}
	return 0;
}

/* end() for every notifier that began, i.e. those before @stopped. */
void gmem_notify_end(struct pm_gmem *g, enum pm_gmem_event ev, u64 offset,
		     u64 length, int result, struct pm_gmem_notifier *stopped)
{
	struct pm_gmem_notifier *n;

	for (n = g->notifiers; n && n != stopped; n = next_notifier(n))
		if (n->end)
			n->end(n, g, ev, offset, length, result);
}

int pm_gmem_register_notifier(struct pm_gmem *g, struct pm_gmem_notifier *n)
{
	struct pm_gmem_notifier **p;

	if (!g || !n || (!n->begin && !n->end))
		return -EINVAL;
	mutex_lock(&g->convert_lock);
	for (p = &g->notifiers; *p; p = (struct pm_gmem_notifier **)&(*p)->__next) {
		if (*p == n) {
			mutex_unlock(&g->convert_lock);
			return -EEXIST;
		}
	}
	n->__next = NULL;
	*p = n;
	mutex_unlock(&g->convert_lock);
	return 0;
}

void pm_gmem_unregister_notifier(struct pm_gmem *g, struct pm_gmem_notifier *n)
{
	struct pm_gmem_notifier **p;

	if (!g || !n)
		return;
	mutex_lock(&g->convert_lock);
	for (p = &g->notifiers; *p; p = (struct pm_gmem_notifier **)&(*p)->__next) {
		if (*p == n) {
			*p = n->__next;
			break;
		}
	}
	mutex_unlock(&g->convert_lock);
}

void pm_gmem_close(struct pm_gmem *g)
{
	struct pm_gmem_notifier *stopped;
	struct interval_tree_node *n;

	if (!g)
		return;
	stores_del(g);
	mutex_lock(&g->convert_lock);
	gmem_notify_begin(g, PM_GMEM_EV_CLOSE, 0, g->capacity, false, &stopped);
	gmem_notify_end(g, PM_GMEM_EV_CLOSE, 0, g->capacity, 0, NULL);
	mutex_unlock(&g->convert_lock);

	/* Holders were told; whatever they still hold goes now. */
	mutex_lock(&g->state_lock);
	while ((n = interval_tree_first(&g->holds))) {
		struct gmem_hold *h = container_of(n, struct gmem_hold, node);

		pr_warn("gmem: closing with page 0x%llx still held (%u pins)",
			(unsigned long long)n->start, h->pins);
		interval_tree_remove(n, &g->holds);
		if (h->map)
			gmem_unmap_private(h->map, g->granule);
		kfree(h);
	}
	mutex_unlock(&g->state_lock);
	store_free(g);
}

uint64_t pm_gmem_size(const struct pm_gmem *g)
{
	/*
	 * Without state_lock: truncate changes the size under it (each
	 * store a WRITE_ONCE), and a caller racing it gets either size.
	 */
	return READ_ONCE(g->size);
}

uint64_t pm_gmem_granule(const struct pm_gmem *g)
{
	return g->granule;
}

enum pm_gmem_backend pm_gmem_backend_of(const struct pm_gmem *g)
{
	return g->backend;
}

int pm_gmem_private_fd(const struct pm_gmem *g)
{
	return g->priv_fd;
}

int pm_gmem_shared_fd(const struct pm_gmem *g)
{
	return g->shared_fd;
}

int pm_gmem_vm_fd(const struct pm_gmem *g)
{
	return g->vm_fd;
}

void *pm_gmem_host_view(const struct pm_gmem *g)
{
	return g->view;
}

static bool is_private_locked(struct pm_gmem *g, u64 offset)
{
	return interval_tree_iter_first(&g->private_tree, offset, offset);
}

int pm_gmem_is_private(struct pm_gmem *g, uint64_t offset)
{
	int rc;

	if (!g)
		return -EINVAL;
	mutex_lock(&g->state_lock);
	if (offset >= g->size)
		rc = -EINVAL;
	else
		rc = is_private_locked(g, offset);
	mutex_unlock(&g->state_lock);
	return rc;
}

/* Private bytes in [0, end): the state past a shrink is kept, not counted. */
static u64 private_bytes_below(struct pm_gmem *g, u64 end)
{
	struct interval_tree_node *n;
	u64 bytes = g->private_bytes;

	if (end == g->capacity || !end)
		return end ? bytes : 0;
	for (n = interval_tree_iter_first(&g->private_tree, end, g->capacity - 1);
	     n; n = interval_tree_iter_next(n, end, g->capacity - 1))
		bytes -= n->last - (n->start > end ? n->start : end) + 1;
	return bytes;
}

int pm_gmem_get_stats(struct pm_gmem *g, struct pm_gmem_stats *st)
{
	if (!g || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	mutex_lock(&g->state_lock);
	st->size = g->size;
	st->private_bytes = private_bytes_below(g, g->size);
	st->shared_bytes = g->size - st->private_bytes;
	st->nr_extents = g->private_tree.count;
	st->state_bytes = g->private_tree.count *
			  sizeof(struct interval_tree_node);
	st->nr_pinned = g->holds.count;
	st->conversions = g->conversions;
	st->bytes_converted = g->bytes_converted;
	mutex_unlock(&g->state_lock);
	return 0;
}

/* Validate a granule-aligned range inside the store; gives its last byte. */
int gmem_check_range(struct pm_gmem *g, u64 offset, u64 length, u64 *last)
{
	int rc = range_last(offset, length, last);

	if (rc)
		return rc;
	if (!IS_ALIGNED(offset, g->granule) || !IS_ALIGNED(length, g->granule))
		return -EINVAL;
	if (*last >= g->size)
		return -EINVAL;
	return 0;
}

/*
 * The runs of [start, last] whose state differs from @to: the holes of the
 * private tree when going private, its used spans when going shared.
 */
static int collect_changes(struct pm_gmem *g, u64 start, u64 last,
			   enum pm_gmem_state to, struct gmem_change **out,
			   size_t *nr, u64 *bytes)
{
	struct interval_tree_span_iter it;
	struct gmem_change *c;
	size_t n = 0, i = 0;
	int want_hole = to == PM_GMEM_PRIVATE;

	*bytes = 0;
	interval_tree_for_each_span(&it, &g->private_tree, start, last)
		if (it.is_hole == want_hole)
			n++;
	*nr = n;
	*out = NULL;
	if (!n)
		return 0;
	c = kcalloc(n, sizeof(*c));
	if (!c)
		return -ENOMEM;
	interval_tree_for_each_span(&it, &g->private_tree, start, last) {
		if (it.is_hole != want_hole)
			continue;
		c[i].start = want_hole ? it.start_hole : it.start_used;
		c[i].last = want_hole ? it.last_hole : it.last_used;
		*bytes += c[i].last - c[i].start + 1;
		i++;
	}
	*out = c;
	return 0;
}

/* First held page inside any change, or U64_MAX. */
static u64 first_held(struct pm_gmem *g, const struct gmem_change *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct interval_tree_node *h =
			interval_tree_iter_first(&g->holds, c[i].start,
						 c[i].last);
		if (h)
			return h->start > c[i].start ? h->start : c[i].start;
	}
	return UINT64_MAX;
}

/*
 * Commit a state change of [start, last] in the private tree. @spare is a
 * node allocated beforehand; it is consumed (returns true) or left to the
 * caller to free. Cannot fail.
 */
static bool tree_set_private(struct pm_gmem *g, u64 start, u64 last,
			     struct interval_tree_node *spare)
{
	u64 qs = start ? start - 1 : 0;
	u64 ql = last + 1; /* last < size <= 2^52: no wrap */
	struct interval_tree_node *n, *next;

	/* Absorb every extent that overlaps or touches [start, last]. */
	for (n = interval_tree_iter_first(&g->private_tree, qs, ql); n;
	     n = next) {
		next = interval_tree_iter_next(n, qs, ql);
		if (n->start < start)
			start = n->start;
		if (n->last > last)
			last = n->last;
		interval_tree_remove(n, &g->private_tree);
		kfree(n);
	}
	spare->start = start;
	spare->last = last;
	interval_tree_insert(spare, &g->private_tree);
	return true;
}

static bool tree_set_shared(struct pm_gmem *g, u64 start, u64 last,
			    struct interval_tree_node *spare)
{
	struct interval_tree_node *n, *next;
	bool used = false;

	for (n = interval_tree_iter_first(&g->private_tree, start, last); n;
	     n = next) {
		next = interval_tree_iter_next(n, start, last);
		if (n->start < start && n->last > last) {
			/* The hole punched in the middle splits the extent. */
			WARN_ON(interval_tree_split(&g->private_tree, n,
						    last + 1, spare));
			interval_tree_update(&g->private_tree, n, n->start,
					     start - 1);
			used = true;
			break;
		} else if (n->start < start) {
			interval_tree_update(&g->private_tree, n, n->start,
					     start - 1);
		} else if (n->last > last) {
			interval_tree_update(&g->private_tree, n, last + 1,
					     n->last);
		} else {
			interval_tree_remove(n, &g->private_tree);
			kfree(n);
		}
	}
	return used;
}

/* Map the private backing over all changes at once: one VMA, not one each. */
static int map_changes(struct pm_gmem *g, const struct gmem_change *c,
		       size_t n, u8 **map, u64 *map_start, u64 *map_len)
{
	*map_start = c[0].start;
	*map_len = c[n - 1].last - c[0].start + 1;
	return gmem_map_private(g, *map_start, *map_len, (void **)map);
}

int pm_gmem_convert(struct pm_gmem *g, uint64_t offset, uint64_t length,
		    enum pm_gmem_state to, uint32_t flags,
		    uint64_t *error_offset)
{
	bool keep = flags & PM_GMEM_CONVERT_KEEP;
	enum pm_gmem_event ev = to == PM_GMEM_PRIVATE ? PM_GMEM_EV_TO_PRIVATE :
						       PM_GMEM_EV_TO_SHARED;
	struct pm_gmem_notifier *stopped = NULL;
	struct interval_tree_node *spare = NULL;
	struct gmem_change *c = NULL;
	u64 last, bytes, held, map_start = 0, map_len = 0;
	u8 *map = NULL, *view = g ? g->view : NULL;
	size_t n = 0, i, done = 0;
	int rc;

	if (!g || (to != PM_GMEM_SHARED && to != PM_GMEM_PRIVATE) ||
	    (flags & ~(u32)PM_GMEM_CONVERT_KEEP))
		return -EINVAL;
	mutex_lock(&g->convert_lock);
	mutex_lock(&g->state_lock);
	rc = gmem_check_range(g, offset, length, &last);
	if (!rc)
		rc = collect_changes(g, offset, last, to, &c, &n, &bytes);
	if (!rc && n) {
		g->converting = true;
		g->conv_start = offset;
		g->conv_last = last;
	}
	if (!rc && !n)
		g->conversions++; /* nothing to change: done */
	mutex_unlock(&g->state_lock);
	if (rc || !n)
		goto out_unlock;

	spare = kzalloc(sizeof(*spare));
	if (!spare) {
		rc = -ENOMEM;
		goto out_window;
	}
	if (keep && !g->caps.can_map) {
		/* guest_memfd without MMAP: content cannot be moved. */
		rc = -EOPNOTSUPP;
		goto out_window;
	}

	/* Phase 1: everything that can fail. */
	rc = gmem_notify_begin(g, ev, offset, length, true, &stopped);
	if (rc)
		goto out_end;
	mutex_lock(&g->state_lock);
	held = first_held(g, c, n);
	mutex_unlock(&g->state_lock);
	if (held != UINT64_MAX) {
		if (error_offset)
			*error_offset = held;
		rc = -EAGAIN;
		goto out_end;
	}

	if (to == PM_GMEM_SHARED) {
		for (done = 0; done < n; done++) {
			rc = gmem_alloc_shared(g, c[done].start,
					       c[done].last - c[done].start + 1);
			if (rc)
				goto undo_shared;
		}
		if (keep || !g->caps.can_punch) {
			rc = map_changes(g, c, n, &map, &map_start, &map_len);
			if (rc)
				goto undo_shared;
		}
		if (keep)
			for (i = 0; i < n; i++)
				memcpy(view + c[i].start,
				       map + (c[i].start - map_start),
				       c[i].last - c[i].start + 1);
	} else if (keep) {
		for (done = 0; done < n; done++) {
			rc = gmem_alloc_private(g, c[done].start,
						c[done].last - c[done].start + 1);
			if (rc)
				goto undo_private;
		}
		rc = map_changes(g, c, n, &map, &map_start, &map_len);
		if (rc)
			goto undo_private;
		for (i = 0; i < n; i++)
			memcpy(map + (c[i].start - map_start),
			       view + c[i].start, c[i].last - c[i].start + 1);
	}
	/*
	 * Last in phase 1, before phase 2 discards anything: the KVM window
	 * shows the side each page moves to (window.c says why the order
	 * matters). On failure it is as it was.
	 */
	rc = gmem_window_convert(g, c, n, to);
	if (rc)
		goto undo;

	/* Phase 2: commit; nothing below can fail. */
	mutex_lock(&g->state_lock);
	if (to == PM_GMEM_PRIVATE) {
		if (tree_set_private(g, offset, last, spare))
			spare = NULL;
		g->private_bytes += bytes;
	} else {
		for (i = 0; i < n; i++)
			if (tree_set_shared(g, c[i].start, c[i].last, spare))
				spare = NULL;
		g->private_bytes -= bytes;
	}
	g->conversions++;
	g->bytes_converted += bytes;
	mutex_unlock(&g->state_lock);

	for (i = 0; i < n; i++) {
		u64 len = c[i].last - c[i].start + 1;

		if (to == PM_GMEM_PRIVATE) {
			gmem_discard_shared(g, c[i].start, len);
		} else if (g->caps.can_punch) {
			gmem_discard_private(g, c[i].start, len, NULL);
		} else {
			memset(map + (c[i].start - map_start), 0, len);
		}
	}
	if (map)
		gmem_unmap_private(map, map_len);
	rc = 0;
	goto out_end;

undo:
	if (to == PM_GMEM_SHARED)
		goto undo_shared;
undo_private:
	if (map)
		gmem_unmap_private(map, map_len);
	/* The private side of a shared page must stay empty. */
	for (i = 0; i < done && g->caps.can_punch; i++)
		gmem_discard_private(g, c[i].start, c[i].last - c[i].start + 1,
				     NULL);
	goto out_end;
undo_shared:
	if (map)
		gmem_unmap_private(map, map_len);
	for (i = 0; i < done; i++)
		gmem_discard_shared(g, c[i].start, c[i].last - c[i].start + 1);
out_end:
	/*
	 * The state is final before end runs: consumers re-establishing
	 * translations in end (the IOMMU) must see the pages as they now are.
	 */
	mutex_lock(&g->state_lock);
	g->converting = false;
	mutex_unlock(&g->state_lock);
	gmem_notify_end(g, ev, offset, length, rc, stopped);
	goto out_unlock;
out_window:
	mutex_lock(&g->state_lock);
	g->converting = false;
	mutex_unlock(&g->state_lock);
out_unlock:
	mutex_unlock(&g->convert_lock);
	kfree(spare);
	kfree(c);
	return rc;
}
