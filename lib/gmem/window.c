// SPDX-License-Identifier: MIT
/*
 * The KVM window: one virtual address range for a memslot's
 * userspace_addr, on hosts whose KVM reads guest memory through it.
 *
 * Why it exists
 * -------------
 * The store keeps private pages in the private backing and shared pages in
 * the shared memfd (store.c). A KVM that enforces the split itself takes
 * private pages from the guest_memfd by (fd, offset) and needs no host
 * address for them. A KVM that does not (kvm_pvm here: software
 * virtualization, shadow paging, no memory attributes) reads every guest
 * page through userspace_addr, and a memslot with userspace_addr 0 does not
 * run a guest. The window gives such a KVM an address range that shows, run
 * by run, the backing each page is on. It is used for nothing but KVM: no
 * library or VMM code reads guest memory through it (the host view and the
 * trusted path are the ways in).
 *
 * Data model and invariants
 * -------------------------
 * The window is created on request (pm_gmem_kvm_window) as a PROT_NONE
 * reservation of the store's capacity, aligned to the granule, and then
 * covered by MAP_SHARED | MAP_FIXED pieces:
 *
 *   [0, size)          a private run maps the private backing, a shared run
 *                      the shared memfd, each at offset = window offset;
 *   [size, capacity)   PROT_NONE anonymous (the tail beyond a shrink).
 *
 * The window always matches the committed state, except inside a
 * conversion, where it changes in phase 1, after everything else that can
 * fail and before phase 2 discards the side each page leaves. The order is
 * not a detail: the window's pieces are ordinary mappings, without the
 * host view's userfaultfd guard, so a fault through a piece that still
 * showed the shared memfd over a page whose shared side was just punched
 * would allocate a shared page for a private one (and the same for the
 * private backing going shared). Remapping first means KVM can only ever
 * fault in the side the page is moving to. A failure while remapping
 * restores the pieces already changed (sys_mmap_undo, not an injection
 * point), so a failed conversion leaves the window as it was. (The kernel
 * itself can refuse an undo, e.g. at vm.max_map_count; it is logged. A
 * range the kernel tore down and could not map again is a hole, where KVM
 * gets EFAULT: never the wrong side of a page.)
 *
 * Every piece is MADV_DONTFORK: a forked child gets no mapping of private
 * memory. Punch needs no change (a punched private page reads zeros
 * through the window; a punched shared page is zeroed in place);
 * truncation hides the tail (PROT_NONE) before discarding it and shows it
 * again, by state, when the store grows; close unmaps the whole range.
 *
 * VMA count: adjacent pieces of one file at contiguous offsets merge, so
 * the window costs one VMA per run of equal state. A store with every
 * other page private costs one VMA per page, and vm.max_map_count (65530 by
 * default) bounds the number of runs: past it, a conversion that would
 * split a run more fails with -ENOMEM and changes nothing. The host view
 * stays one VMA whatever the pattern.
 *
 * Locking
 * -------
 * The layout changes under the store's convert_lock only (conversion,
 * truncation, creation), which also keeps the private tree stable, so the
 * window code reads the tree without state_lock. The pointer is set once,
 * under convert_lock, and never changes until close.
 */
#include <errno.h>
#include <sys/mman.h>
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "gmem_private.h"

enum win_kind { WIN_NONE, WIN_SHARED, WIN_PRIVATE };

static const char *kind_name(enum win_kind k)
{
	return k == WIN_PRIVATE ? "private" :
	       k == WIN_SHARED	? "shared" :
				  "none";
}

/*
 * Map [start, start + len) of the window to @kind. @undo: restoring after
 * a failure (no injection point). The range is inside the reservation.
 * *@mapped tells whether the new mapping is in place (a failure after it,
 * in madvise, leaves it there; a failed mmap(MAP_FIXED) leaves the old).
 */
static int win_map(struct pm_gmem *g, u64 start, u64 len, enum win_kind kind,
		   bool undo, bool *mapped)
{
	void *want = g->window + start, *p;
	int fd = kind == WIN_PRIVATE ? g->priv_fd : g->shared_fd;
	int rc;

	*mapped = false;
	if (kind == WIN_NONE) {
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
			    MAP_NORESERVE;

		p = undo ? sys_mmap_undo(want, len, PROT_NONE, flags, -1, 0) :
			   sys_mmap(want, len, PROT_NONE, flags, -1, 0);
		*mapped = !IS_ERR(p);
		return IS_ERR(p) ? (int)PTR_ERR(p) : 0;
	}
	/*
	 * MAP_NORESERVE: hugetlbfs would reserve pages at mmap time; pages
	 * are allocated by the store (fallocate), as for the host view.
	 */
	if (undo)
		p = sys_mmap_undo(want, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd,
				  (off_t)start);
	else
		p = sys_mmap(want, len, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd,
			     (off_t)start);
	if (IS_ERR(p)) {
		rc = (int)PTR_ERR(p);
		if (rc == -ENOMEM && !undo)
			pr_warn("gmem: KVM window: mapping 0x%llx+0x%llx "
				"%s failed (-ENOMEM: out of memory, or at "
				"vm.max_map_count)",
				(unsigned long long)start,
				(unsigned long long)len, kind_name(kind));
		return rc;
	}
	*mapped = true;
	if (undo)
		return sys_madvise_undo(want, len, MADV_DONTFORK);
	return sys_madvise(want, len, MADV_DONTFORK);
}

/* Put a piece back to @kind after a failure; the kernel may still refuse. */
static void win_restore(struct pm_gmem *g, u64 start, u64 len,
			enum win_kind kind)
{
	bool mapped;
	int rc = win_map(g, start, len, kind, true, &mapped);

	if (rc)
		pr_err("gmem: KVM window: restoring 0x%llx+0x%llx as %s "
		       "failed: %d",
		       (unsigned long long)start, (unsigned long long)len,
		       kind_name(kind), rc);
}

/* Change one piece from @from to @to; on failure it is @from again. */
static int win_switch(struct pm_gmem *g, u64 start, u64 len, enum win_kind from,
		      enum win_kind to)
{
	bool mapped;
	int rc = win_map(g, start, len, to, false, &mapped);

	/*
	 * A failed mmap(MAP_FIXED) leaves the old mapping in place (Linux
	 * unmaps the old pieces only once the new mapping is made); a failed
	 * madvise after it leaves the new one, which goes back.
	 */
	if (rc && mapped)
		win_restore(g, start, len, from);
	return rc;
}

int gmem_window_convert(struct pm_gmem *g, const struct gmem_change *c,
			size_t n, enum pm_gmem_state to)
{
	enum win_kind nk = to == PM_GMEM_PRIVATE ? WIN_PRIVATE : WIN_SHARED;
	enum win_kind ok = to == PM_GMEM_PRIVATE ? WIN_SHARED : WIN_PRIVATE;
	size_t i, j;
	int rc;

	if (!g->window)
		return 0;
	for (i = 0; i < n; i++) {
		rc = win_switch(g, c[i].start, c[i].last - c[i].start + 1, ok,
				nk);
		if (rc) {
			for (j = 0; j < i; j++)
				win_restore(g, c[j].start,
					    c[j].last - c[j].start + 1, ok);
			return rc;
		}
	}
	return 0;
}

/* Map [start, last] by the recorded state; on failure it is NONE again. */
static int win_show(struct pm_gmem *g, u64 start, u64 last)
{
	struct interval_tree_span_iter it;
	int rc = 0;

	interval_tree_for_each_span(&it, &g->private_tree, start, last) {
		u64 s = it.is_hole ? it.start_hole : it.start_used;
		u64 l = it.is_hole ? it.last_hole : it.last_used;

		rc = win_switch(g, s, l - s + 1, WIN_NONE,
				it.is_hole ? WIN_SHARED : WIN_PRIVATE);
		if (rc) {
			if (s > start)
				win_restore(g, start, s - start, WIN_NONE);
			return rc;
		}
	}
	return 0;
}

int gmem_window_show(struct pm_gmem *g, u64 start, u64 last)
{
	if (!g->window)
		return 0;
	return win_show(g, start, last);
}

int gmem_window_hide(struct pm_gmem *g, u64 start, u64 last)
{
	bool mapped;

	if (!g->window)
		return 0;
	/* One call: a failed MAP_FIXED leaves the pieces it would replace. */
	return win_map(g, start, last - start + 1, WIN_NONE, false, &mapped);
}

void gmem_window_close(struct pm_gmem *g)
{
	if (g->window_reserve)
		sys_munmap(g->window_reserve, g->window_reserve_len);
	g->window = NULL;
	g->window_reserve = NULL;
}

int pm_gmem_kvm_window(struct pm_gmem *g, void **addr)
{
	u64 len;
	u8 *res;
	int rc = 0;

	if (!g || !addr)
		return -EINVAL;
	if (!g->caps.can_map) {
		pr_warn("gmem: no KVM window: the private backing of this "
			"store cannot be mapped (guest_memfd without "
			"GUEST_MEMFD_FLAG_MMAP)");
		return -EOPNOTSUPP;
	}
	mutex_lock(&g->convert_lock);
	if (g->window)
		goto out;
	/* capacity <= 2^52 and granule <= 1 GiB: no overflow. */
	len = g->capacity + g->granule;
	res = sys_mmap(NULL, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (IS_ERR(res)) {
		rc = (int)PTR_ERR(res);
		goto out;
	}
	g->window_reserve = res;
	g->window_reserve_len = len;
	g->window = (u8 *)ALIGN_UP((uintptr_t)res, (uintptr_t)g->granule);
	rc = win_show(g, 0, g->size - 1);
	if (rc)
		gmem_window_close(g);
out:
	if (!rc)
		*addr = g->window;
	mutex_unlock(&g->convert_lock);
	return rc;
}
