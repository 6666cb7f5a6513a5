// SPDX-License-Identifier: MIT
/*
 * The provider API (the seed's backing-store helper) and the content
 * operations of a store: get_pfn/put_pfn, populate, punch and truncate.
 *
 * A hold is a node in g->holds covering one page, with a pin count. The
 * first get of a private page maps that page (the trusted path reads and
 * writes it through the mapping) and reads its PFN from /proc/self/pagemap;
 * the last put unmaps it. So a private page is mapped into the process only
 * while someone holds it, and a shared page is reached through the host
 * view, which is always there.
 *
 * Locking: get/put take only state_lock (see store.c), so they may be
 * called from notifiers and with consumers' locks held. Populate, punch and
 * truncate take convert_lock first, as conversions do.
 */
#include <errno.h>
#include <string.h>
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "common/uaccess.h"
#include "gmem_private.h"

#define PAGEMAP_PFN_MASK ((1ULL << 55) - 1)
#define PAGEMAP_PRESENT (1ULL << 63)

/* The PFN behind @addr (faulted in by the caller), or UNKNOWN. */
static int read_pfn(struct pm_gmem *g, const void *addr, u64 *pfn)
{
	u64 entry;
	ssize_t n;

	*pfn = PM_GMEM_PFN_UNKNOWN;
	if (g->pagemap_fd < 0)
		return 0;
	n = sys_pread(g->pagemap_fd, &entry, sizeof(entry),
		      (off_t)((uintptr_t)addr / 4096 * sizeof(entry)));
	if (n < 0)
		return (int)n;
	/* Without CAP_SYS_ADMIN the kernel reports PFN 0: unknown. */
	if (n == sizeof(entry) && (entry & PAGEMAP_PRESENT) &&
	    (entry & PAGEMAP_PFN_MASK))
		*pfn = entry & PAGEMAP_PFN_MASK;
	return 0;
}

static void fill_page(struct pm_gmem *g, struct gmem_hold *h,
		      struct pm_gmem_page *page)
{
	page->offset = h->node.start;
	page->order = g->order;
	page->is_private = h->is_private;
	page->pfn = h->pfn;
	page->ptr = h->is_private ? h->map : (u8 *)g->view + h->node.start;
	page->pins = h->pins;
	page->__hold = h;
}

static int new_hold(struct pm_gmem *g, u64 start, bool is_private,
		    u32 flags, struct gmem_hold **out)
{
	volatile u8 *touch;
	struct gmem_hold *h;
	int rc;

	h = kzalloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->node.start = start;
	h->node.last = start + g->granule - 1;
	h->is_private = is_private;
	if (is_private) {
		/* Allocate first so that a full hugetlb pool is ENOSPC, not
		 * SIGBUS on the touch below. */
		rc = gmem_alloc_private(g, start, g->granule);
		if (rc)
			goto err;
		if (!(flags & PM_GMEM_GET_NO_MAP) && g->caps.can_map) {
			rc = gmem_map_private(g, start, g->granule, &h->map);
			if (rc)
				goto err;
		}
	}
	touch = is_private ? h->map : (u8 *)g->view + start;
	if (touch) {
		(void)*touch;
		rc = read_pfn(g, (const void *)touch, &h->pfn);
		if (rc)
			goto err_unmap;
	} else {
		h->pfn = PM_GMEM_PFN_UNKNOWN;
	}
	*out = h;
	return 0;
err_unmap:
	if (h->map)
		gmem_unmap_private(h->map, g->granule);
err:
	kfree(h);
	return rc;
}

int pm_gmem_get_pfn(struct pm_gmem *g, uint64_t offset, uint32_t flags,
		    struct pm_gmem_page *page)
{
	struct interval_tree_node *n;
	struct gmem_hold *h;
	bool is_private;
	u64 start;
	int rc = 0;

	if (!g || !page ||
	    (flags & ~(u32)(PM_GMEM_GET_SHARED_ONLY | PM_GMEM_GET_NO_MAP)))
		return -EINVAL;
	start = ALIGN_DOWN(offset, g->granule);
	mutex_lock(&g->state_lock);
	if (offset >= g->size) {
		rc = -EINVAL;
		goto out;
	}
	if (g->converting && start <= g->conv_last &&
	    start + g->granule - 1 >= g->conv_start) {
		rc = -EAGAIN;
		goto out;
	}
	is_private = interval_tree_iter_first(&g->private_tree, start, start);
	if (is_private && (flags & PM_GMEM_GET_SHARED_ONLY)) {
		rc = -EPERM;
		goto out;
	}
	n = interval_tree_iter_first(&g->holds, start, start);
	if (n) {
		h = container_of(n, struct gmem_hold, node);
		/* A hold taken without a mapping cannot serve one later. */
		if (is_private && !h->map && !(flags & PM_GMEM_GET_NO_MAP) &&
		    g->caps.can_map) {
			rc = gmem_map_private(g, start, g->granule, &h->map);
			if (rc)
				goto out;
		}
	} else {
		rc = new_hold(g, start, is_private, flags, &h);
		if (rc)
			goto out;
		interval_tree_insert(&h->node, &g->holds);
	}
	h->pins++;
	fill_page(g, h, page);
out:
	mutex_unlock(&g->state_lock);
	return rc;
}

void pm_gmem_put_pfn(struct pm_gmem *g, struct pm_gmem_page *page)
{
	struct gmem_hold *h;

	if (!g || !page || !page->__hold)
		return;
	h = page->__hold;
	page->__hold = NULL;
	page->ptr = NULL;
	mutex_lock(&g->state_lock);
	if (!WARN_ON(!h->pins) && --h->pins == 0) {
		interval_tree_remove(&h->node, &g->holds);
		if (h->map)
			gmem_unmap_private(h->map, g->granule);
		kfree(h);
	}
	mutex_unlock(&g->state_lock);
}

int pm_gmem_pin_count(struct pm_gmem *g, uint64_t offset)
{
	struct interval_tree_node *n;
	int rc;

	if (!g)
		return -EINVAL;
	mutex_lock(&g->state_lock);
	if (offset >= g->size) {
		rc = -EINVAL;
	} else {
		n = interval_tree_iter_first(&g->holds, offset, offset);
		rc = n ? (int)container_of(n, struct gmem_hold, node)->pins : 0;
	}
	mutex_unlock(&g->state_lock);
	return rc;
}

/* Is all of [start, last] private? Extents are merged, so one node must
 * cover it. */
static bool all_private_locked(struct pm_gmem *g, u64 start, u64 last)
{
	struct interval_tree_node *n =
		interval_tree_iter_first(&g->private_tree, start, start);

	return n && n->start <= start && n->last >= last;
}

int pm_gmem_populate(struct pm_gmem *g, uint64_t offset, const void *src,
		     uint64_t length)
{
	u64 last, map_start, map_len;
	bool priv;
	void *map;
	int rc;

	if (!g || !src)
		return -EINVAL;
	rc = range_last(offset, length, &last);
	if (rc)
		return rc;
	mutex_lock(&g->convert_lock);
	mutex_lock(&g->state_lock);
	priv = last < g->size && all_private_locked(g, offset, last);
	mutex_unlock(&g->state_lock);
	if (!priv) {
		rc = -EINVAL;
		goto out;
	}
	map_start = ALIGN_DOWN(offset, g->granule);
	map_len = ALIGN_UP(last + 1, g->granule) - map_start;
	rc = gmem_alloc_private(g, map_start, map_len);
	if (rc)
		goto out;
	rc = gmem_map_private(g, map_start, map_len, &map);
	if (rc)
		goto out;
	/* The source is the caller's memory: a bad pointer is EFAULT, as
	 * the kernel's launch-update ioctls report it. */
	rc = copy_from_user((u8 *)map + (offset - map_start), src, length);
	gmem_unmap_private(map, map_len);
out:
	mutex_unlock(&g->convert_lock);
	return rc;
}

/*
 * Zero [start, last]: shared spans through the host view (they stay
 * allocated, so the view keeps working there), private spans by discarding
 * them. @pmap maps the private backing from @pmap_start when the backing
 * cannot punch (memfd_secret); it was made beforehand, so this cannot fail.
 */
static void zero_range(struct pm_gmem *g, u64 start, u64 last, bool shared_too,
		       u8 *pmap, u64 pmap_start)
{
	struct interval_tree_span_iter it;

	interval_tree_for_each_span(&it, &g->private_tree, start, last) {
		if (it.is_hole) {
			if (shared_too)
				memset((u8 *)g->view + it.start_hole, 0,
				       it.last_hole - it.start_hole + 1);
			else
				gmem_discard_shared(g, it.start_hole,
						    it.last_hole - it.start_hole +
							    1);
		} else if (g->caps.can_punch) {
			gmem_discard_private(g, it.start_used,
					     it.last_used - it.start_used + 1,
					     NULL);
		} else {
			memset(pmap + (it.start_used - pmap_start), 0,
			       it.last_used - it.start_used + 1);
		}
	}
}

/* Map the private backing over the private part of [start, last] when it
 * has to be zeroed by hand. *map stays NULL when no mapping is needed. */
static int map_for_zeroing(struct pm_gmem *g, u64 start, u64 last, u8 **map,
			   u64 *map_start, u64 *map_len)
{
	struct interval_tree_node *first, *n, *lastn = NULL;

	*map = NULL;
	*map_len = 0;
	if (g->caps.can_punch)
		return 0;
	first = interval_tree_iter_first(&g->private_tree, start, last);
	if (!first)
		return 0;
	for (n = first; n; n = interval_tree_iter_next(n, start, last))
		lastn = n;
	*map_start = first->start > start ? first->start : start;
	*map_len = (lastn->last < last ? lastn->last : last) - *map_start + 1;
	return gmem_map_private(g, *map_start, *map_len, (void **)map);
}

int pm_gmem_punch(struct pm_gmem *g, uint64_t offset, uint64_t length)
{
	struct pm_gmem_notifier *stopped;
	u64 last, map_start = 0, map_len = 0;
	u8 *map = NULL;
	int rc;

	if (!g)
		return -EINVAL;
	mutex_lock(&g->convert_lock);
	mutex_lock(&g->state_lock);
	rc = gmem_check_range(g, offset, length, &last);
	if (!rc)
		rc = map_for_zeroing(g, offset, last, &map, &map_start,
				     &map_len);
	mutex_unlock(&g->state_lock);
	if (rc)
		goto out;
	gmem_notify_begin(g, PM_GMEM_EV_PUNCH, offset, length, false, &stopped);
	mutex_lock(&g->state_lock);
	zero_range(g, offset, last, true, map, map_start);
	mutex_unlock(&g->state_lock);
	gmem_notify_end(g, PM_GMEM_EV_PUNCH, offset, length, 0, NULL);
	if (map)
		gmem_unmap_private(map, map_len);
out:
	mutex_unlock(&g->convert_lock);
	return rc;
}

static int grow(struct pm_gmem *g, u64 old, u64 size)
{
	struct interval_tree_span_iter it;
	u64 done_last = old; /* shared spans below this were allocated */
	int rc = 0;

	interval_tree_for_each_span(&it, &g->private_tree, old, size - 1) {
		if (!it.is_hole)
			continue;
		rc = gmem_alloc_shared(g, it.start_hole,
				       it.last_hole - it.start_hole + 1);
		if (rc)
			break;
		done_last = it.last_hole + 1;
	}
	if (rc) {
		/* Put the shared side of the tail back to holes. */
		if (done_last > old)
			gmem_discard_shared(g, old, done_last - old);
		return rc;
	}
	WRITE_ONCE(g->size, size);
	return 0;
}

/* Undo a grow(): the tail's shared side back to holes, the old size. */
static void grow_undo(struct pm_gmem *g, u64 old, u64 size)
{
	struct interval_tree_span_iter it;

	interval_tree_for_each_span(&it, &g->private_tree, old, size - 1)
		if (it.is_hole)
			gmem_discard_shared(g, it.start_hole,
					    it.last_hole - it.start_hole + 1);
	WRITE_ONCE(g->size, old);
}

int pm_gmem_truncate(struct pm_gmem *g, uint64_t size)
{
	struct pm_gmem_notifier *stopped;
	u64 old, map_start = 0, map_len = 0;
	u8 *map = NULL;
	int rc = 0;

	if (!g || size > g->capacity || !IS_ALIGNED(size, g->granule))
		return -EINVAL;
	mutex_lock(&g->convert_lock);
	mutex_lock(&g->state_lock);
	old = g->size;
	if (size > old)
		rc = grow(g, old, size);
	else if (size < old)
		rc = map_for_zeroing(g, size, old - 1, &map, &map_start,
				     &map_len);
	mutex_unlock(&g->state_lock);
	if (!rc && size > old) {
		/*
		 * Consumers that reach the store by offset (an IOAS mapping
		 * it) put the tail's shared pages back; one that cannot
		 * refuses the grow. Then the KVM window shows the tail
		 * again, by state.
		 */
		rc = gmem_notify_begin(g, PM_GMEM_EV_GROW, old, size - old,
				       true, &stopped);
		if (!rc)
			rc = gmem_window_show(g, old, size - 1);
		if (rc) {
			mutex_lock(&g->state_lock);
			grow_undo(g, old, size);
			mutex_unlock(&g->state_lock);
		}
		/* An abort's end sees the old size, as a conversion's. */
		gmem_notify_end(g, PM_GMEM_EV_GROW, old, size - old, rc,
				stopped);
	}
	if (rc || size >= old)
		goto out;
	/*
	 * The window hides the tail before its sides are discarded: a fault
	 * through a stale piece would allocate a page there again.
	 */
	rc = gmem_window_hide(g, size, old - 1);
	if (rc) {
		if (map)
			gmem_unmap_private(map, map_len);
		goto out;
	}

	gmem_notify_begin(g, PM_GMEM_EV_TRUNCATE, size, old - size, false,
			  &stopped);
	mutex_lock(&g->state_lock);
	WRITE_ONCE(g->size, size);
	/* The tail leaves the view too: its shared side becomes holes. */
	zero_range(g, size, old - 1, false, map, map_start);
	mutex_unlock(&g->state_lock);
	gmem_notify_end(g, PM_GMEM_EV_TRUNCATE, size, old - size, 0, NULL);
	if (map)
		gmem_unmap_private(map, map_len);
out:
	mutex_unlock(&g->convert_lock);
	return rc;
}

void gmem_lock_conversions(struct pm_gmem *g)
{
	mutex_lock(&g->convert_lock);
}

void gmem_unlock_conversions(struct pm_gmem *g)
{
	mutex_unlock(&g->convert_lock);
}

static int state_run(struct pm_gmem *g, u64 offset, u64 limit, u64 *len,
		     bool window)
{
	struct interval_tree_node *n;
	u64 end, stop;
	int shared;

	mutex_lock(&g->state_lock);
	if (offset >= g->size || !limit) {
		mutex_unlock(&g->state_lock);
		return -EINVAL;
	}
	end = offset + limit < offset || offset + limit > g->size ?
		      g->size : offset + limit;
	n = interval_tree_iter_first(&g->private_tree, offset, end - 1);
	if (n && n->start <= offset) {
		shared = 0;
		stop = n->last + 1 < end ? n->last + 1 : end;
	} else {
		shared = 1;
		stop = n ? n->start : end;
	}
	/* Pages in a conversion window count as not shared. */
	if (window && g->converting) {
		if (shared && g->conv_start <= offset && g->conv_last >= offset) {
			shared = 0;
			stop = g->conv_last + 1 < end ? g->conv_last + 1 : end;
		} else if (shared && g->conv_start > offset &&
			   g->conv_start < stop) {
			stop = g->conv_start;
		}
	}
	*len = stop - offset;
	mutex_unlock(&g->state_lock);
	return shared;
}

int gmem_shared_run(struct pm_gmem *g, u64 offset, u64 limit, u64 *len)
{
	return state_run(g, offset, limit, len, true);
}

int gmem_private_run(struct pm_gmem *g, u64 offset, u64 limit, u64 *len)
{
	int shared = state_run(g, offset, limit, len, false);

	return shared < 0 ? shared : !shared;
}
