/* SPDX-License-Identifier: MIT */
#ifndef PRIVMEM_GMEM_PRIVATE_H
#define PRIVMEM_GMEM_PRIVATE_H

#include <privmem/gmem.h>
#include "common/compiler.h"
#include "common/interval_tree.h"
#include "common/mutex.h"

/* What a backend's private fd can do; decided by probing at creation. */
struct gmem_backing_caps {
	bool can_punch; /* FALLOC_FL_PUNCH_HOLE discards pages */
	bool can_alloc; /* fallocate(0) allocates (reports ENOSPC early) */
	bool can_map;	/* mmap of the private fd works (trusted path, copies) */
	bool is_kvm;	/* a KVM guest_memfd */
};

/*
 * struct pm_gmem - one store
 *
 * Lock order: convert_lock -> (consumers' locks, taken in notifiers) ->
 * state_lock. Ranks in common/lock_ranks.h: LOCK_RANK_GMEM_CONVERT ranks
 * above every consumer lock and LOCK_RANK_GMEM_STATE below them, so that
 * the store can call notifiers that take IOMMU locks, and the IOMMU can
 * call get_pfn/put_pfn with its own locks held.
 */
struct pm_gmem {
	struct mutex convert_lock; /* serialises convert/punch/truncate/close
				    * and the notifier list */
	struct mutex state_lock;   /* protects every field marked [S] */

	enum pm_gmem_backend backend;
	u64 capacity; /* bytes the backings were sized to; fixed */
	u64 size;     /* [S] current size, <= capacity */
	u64 granule;  /* conversion granule and page size */
	unsigned int order;
	u32 flags;

	int priv_fd;	 /* private backing */
	int shared_fd;	 /* shared backing (memfd or hugetlbfs memfd) */
	int vm_fd;	 /* VM of a guest_memfd, or -1 */
	bool own_vm;	 /* vm_fd was created by the store */
	int uffd;	 /* guards the host view */
	int pagemap_fd;	 /* /proc/self/pagemap, or -1 (PFNs unknown) */
	void *view;	 /* host view: shared_fd mapped whole */
	struct gmem_backing_caps caps;

	/* [S] private extents, merged: [start, last] in bytes. */
	struct interval_tree_root private_tree;
	/* [S] held pages, one node per page. */
	struct interval_tree_root holds;
	/* [S] the range being converted; get_pfn there gets -EAGAIN */
	bool converting;
	u64 conv_start, conv_last;

	/* convert_lock: notifiers in registration order */
	struct pm_gmem_notifier *notifiers;

	/* identity of the two backings, for MAP_FILE on a store's fd */
	u64 priv_dev, priv_ino, shared_dev, shared_ino;
	struct pm_gmem *registry_next; /* stores_lock */

	/*
	 * The KVM window (window.c): NULL until pm_gmem_kvm_window(). Its
	 * layout changes under convert_lock only; the pointer is set once.
	 */
	u8 *window;
	u8 *window_reserve; /* the reservation, window aligned inside it */
	u64 window_reserve_len;

	/* [S] statistics */
	u64 private_bytes;
	u64 conversions;
	u64 bytes_converted;
};

/* A maximal run of pages that change state in one conversion. */
struct gmem_change {
	u64 start, last;
};

/* A page held through pm_gmem_get_pfn(), in pm_gmem.holds. */
struct gmem_hold {
	struct interval_tree_node node; /* the page */
	u32 pins;
	bool is_private;
	void *map; /* private page mapped for the hold, or NULL */
	u64 pfn;
};

/* store.c */
int gmem_check_range(struct pm_gmem *g, u64 offset, u64 length, u64 *last);
int gmem_notify_begin(struct pm_gmem *g, enum pm_gmem_event ev, u64 offset,
		      u64 length, bool may_refuse,
		      struct pm_gmem_notifier **stopped);
void gmem_notify_end(struct pm_gmem *g, enum pm_gmem_event ev, u64 offset,
		     u64 length, int result, struct pm_gmem_notifier *stopped);

/* window.c */
/*
 * Phase 1 of a conversion: show the @n changes of a conversion to @to in
 * the window. Return: 0, or -errno with the window as it was.
 */
int gmem_window_convert(struct pm_gmem *g, const struct gmem_change *c,
			size_t n, enum pm_gmem_state to);
/* Truncation: hide [start, last] (the tail leaves the store), or show it
 * again by the recorded state (grow). -errno with the window unchanged. */
int gmem_window_hide(struct pm_gmem *g, u64 start, u64 last);
int gmem_window_show(struct pm_gmem *g, u64 start, u64 last);
void gmem_window_close(struct pm_gmem *g);

/* backend.c */
int gmem_backend_open(struct pm_gmem *g, const struct pm_gmem_config *cfg);
void gmem_backend_close(struct pm_gmem *g);
int gmem_map_private(struct pm_gmem *g, u64 offset, u64 length, void **out);
void gmem_unmap_private(void *p, u64 length);
/* Allocate private pages ahead of use where the backing can (ENOSPC). */
int gmem_alloc_private(struct pm_gmem *g, u64 offset, u64 length);
/* Discard private pages; never fails (zeroes through a mapping if needed). */
int gmem_prepare_discard_private(struct pm_gmem *g, u64 offset, u64 length,
				 void **map);
void gmem_discard_private(struct pm_gmem *g, u64 offset, u64 length,
			  void *map);
void gmem_discard_shared(struct pm_gmem *g, u64 offset, u64 length);
int gmem_alloc_shared(struct pm_gmem *g, u64 offset, u64 length);

/*
 * For consumers inside the library (the IOMMU). A consumer that keeps
 * per-store structures its notifier walks (the IOMMU's list of areas on a
 * store) changes them under the conversion lock, which notifiers run under.
 */
void gmem_lock_conversions(struct pm_gmem *g);
void gmem_unlock_conversions(struct pm_gmem *g);
/*
 * The run of pages from @offset, at most @limit bytes, that are all shared
 * and not being converted (returns 1) or all not (returns 0); *len is its
 * length. -EINVAL past the end.
 */
int gmem_shared_run(struct pm_gmem *g, u64 offset, u64 limit, u64 *len);
/*
 * The same by the committed state alone, ignoring a conversion in
 * progress: the run from @offset that is private (1) or shared (0). A
 * notifier uses it to tell the pages a conversion changes from those
 * already in the target state.
 */
int gmem_private_run(struct pm_gmem *g, u64 offset, u64 limit, u64 *len);
/*
 * The open store whose private or shared backing is the file @fd refers
 * to in *@out, or NULL. Return: 0, or -errno when @fd cannot be looked at
 * (callers must not then treat it as an ordinary file: it may be a
 * store's private fd).
 */
int gmem_find_by_fd(int fd, struct pm_gmem **out);

#endif
