// SPDX-License-Identifier: MIT
/*
 * io_pagetable: an IO virtual address space (the engine of an IOAS).
 *
 * Data model
 * ----------
 * Three interval trees over IOVA, as in Linux:
 *   area_itree      struct iopt_area: [iova, last] -> (pages, byte offset)
 *   reserved_itree  struct iopt_reserved: never mapped (a domain's aperture
 *                   complement, a device's reserved regions, selftest
 *                   ADD_RESERVED), with an owner
 *   allowed_itree   struct iopt_allowed: where automatic IOVA allocation
 *                   may place areas (IOMMU_IOAS_ALLOW_IOVAS); empty means
 *                   anywhere
 * and the domains attached to the IOAS (domains[]), each holding a
 * translation for every mapped page of every area, except gmem pages that
 * are not shared (see below).
 *
 * Invariants
 *  - Areas never overlap each other or a reserved range.
 *  - An area with pages == NULL is being created or destroyed; UNMAP of it
 *    is -EBUSY ("userspace should not race map/unmap").
 *  - While any domain is attached, the pages of every area are pinned
 *    (owner = the area) and mapped in every domain; with no domain nothing
 *    is pinned (Linux's lazy pinning: MAP of a bad address succeeds until a
 *    domain or an access needs the pages).
 *  - iova_alignment is the largest minimum page size of the domains and
 *    accesses (1 with none, PAGE_SIZE with large pages disabled); every
 *    area's iova, length and page offset are aligned to it.
 *  - gmem areas: a domain holds translations only for pages that are
 *    shared and not converting; the store's notifiers (iopt_gmem_invalidate)
 *    remove translations before pages become private or go, and put them
 *    back when pages become shared. Such areas are inserted into and
 *    removed from pages->areas only under the store's conversion lock, the
 *    lock notifiers run under, so a notifier can walk them.
 *
 * Locking
 * -------
 * Lock order: gmem conversion lock (gmem areas only) -> domains_rwsem ->
 * iova_rwsem -> iopt_pages.mutex -> domain locks -> gmem state lock.
 * domains_rwsem (write) changes domains[] and access lists; iova_rwsem
 * (write) changes the trees. Filling domains happens under domains_rwsem
 * (read) and iova_rwsem (write) here: simpler than Linux's insert-then-fill
 * with the IOVA lock dropped, at the cost of serialising maps per IOAS.
 *
 * Vocabulary: last is inclusive; "offset" is a byte offset into an
 * iopt_pages; every start + length - 1 goes through range_last().
 */
#include <errno.h>
#include <string.h>
#include "common/log.h"
#include "common/lock_ranks.h"
#include "common/overflow.h"
#include "common/sys.h"
#include <privmem/device.h>
#include "gmem/gmem_private.h"
#include "iommufd_private.h"

#define IOVA_MAX UINT64_MAX
/* Automatic IOVA alignment is capped at the THP size, as with THP in Linux. */
#define IOPT_MAX_ALIGNMENT SZ_2M

static DEFINE_LOCK_CLASS(iopt_domains_class, LOCK_RANK_IOPT_DOMAINS);
static DEFINE_LOCK_CLASS(iopt_iova_class, LOCK_RANK_IOPT_IOVA);

void iopt_init_table(struct io_pagetable *iopt)
{
	memset(iopt, 0, sizeof(*iopt));
	rwlock_init(&iopt->domains_rwsem, &iopt_domains_class);
	rwlock_init(&iopt->iova_rwsem, &iopt_iova_class);
	INIT_LIST_HEAD(&iopt->access_list);
	iopt->iova_alignment = 1;
}

static void free_tree(struct interval_tree_root *root, size_t node_offset)
{
	struct interval_tree_node *n;

	while ((n = interval_tree_first(root))) {
		interval_tree_remove(n, root);
		kfree((char *)n - node_offset);
	}
}

void iopt_destroy_table(struct io_pagetable *iopt)
{
	u64 unmapped;

	iopt_unmap_all(iopt, &unmapped);
	WARN_ON(!interval_tree_empty(&iopt->area_itree));
	WARN_ON(iopt->nr_domains);
	free_tree(&iopt->reserved_itree, offsetof(struct iopt_reserved, node));
	free_tree(&iopt->allowed_itree, offsetof(struct iopt_allowed, node));
	kfree(iopt->domains);
	rwlock_destroy(&iopt->domains_rwsem);
	rwlock_destroy(&iopt->iova_rwsem);
}

static struct iopt_area *area_of(struct interval_tree_node *n)
{
	return n ? container_of(n, struct iopt_area, node) : NULL;
}

static struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt,
					      u64 start, u64 last)
{
	return area_of(interval_tree_iter_first(&iopt->area_itree, start, last));
}

static struct iopt_area *iopt_area_iter_next(struct iopt_area *area,
					     u64 start, u64 last)
{
	return area_of(interval_tree_iter_next(&area->node, start, last));
}

/* Byte offset into the area's pages of @iova. */
static u64 area_offset(struct iopt_area *area, u64 iova)
{
	return area->page_offset + (iova - iopt_area_iova(area));
}

static u64 area_first_index(struct iopt_area *area)
{
	return area->page_offset / PAGE_SIZE;
}

static u64 area_last_index(struct iopt_area *area)
{
	return (area->page_offset + iopt_area_length(area) - 1) / PAGE_SIZE;
}

/* --------------------------------------------------------- IOVA allocation */

static u64 roundup_pow_of_two(u64 x)
{
	return x <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(x - 1));
}

/*
 * Can [*start, last] hold @length bytes at an address aligned to
 * @alignment with the sub-page offset @page_offset? Moves *start there.
 */
static bool check_range(u64 *start, u64 last, u64 length, u64 alignment,
			u64 page_offset)
{
	u64 aligned;

	if (check_add_overflow(*start, alignment - 1, &aligned))
		return false;
	aligned &= ~(alignment - 1);
	aligned |= page_offset;
	if (aligned >= last || last - aligned < length - 1)
		return false;
	*start = aligned;
	return true;
}

static int iopt_alloc_iova(struct io_pagetable *iopt, u64 *iova, u64 addr,
			   u64 length)
{
	u64 page_offset = addr % PAGE_SIZE;
	struct interval_tree_span_iter allowed, resv, used;
	u64 alignment;
	bool no_allowed;

	lockdep_assert_held(&iopt->iova_rwsem);
	/* Protect roundup_pow_of_two() from overflow. */
	if (length == 0 || length >= IOVA_MAX / 2)
		return -EOVERFLOW;
	/* Keep the alignment present in addr: more chance of huge IOPTEs. */
	alignment = roundup_pow_of_two(length);
	if (addr && alignment > (1ULL << __builtin_ctzll(addr)))
		alignment = 1ULL << __builtin_ctzll(addr);
	if (alignment > IOPT_MAX_ALIGNMENT)
		alignment = IOPT_MAX_ALIGNMENT;
	if (alignment < iopt->iova_alignment)
		return -EINVAL;

	no_allowed = interval_tree_empty(&iopt->allowed_itree);
	interval_tree_for_each_span(&allowed, &iopt->allowed_itree, PAGE_SIZE,
				    IOVA_MAX - PAGE_SIZE) {
		u64 s, l;

		if (no_allowed) {
			s = PAGE_SIZE;
			l = IOVA_MAX - PAGE_SIZE;
		} else if (allowed.is_hole) {
			continue;
		} else {
			s = allowed.start_used;
			l = allowed.last_used;
		}
		/* The holes of reserved ∪ areas inside [s, l], first fit. */
		interval_tree_for_each_span(&resv, &iopt->reserved_itree, s, l) {
			if (!resv.is_hole)
				continue;
			interval_tree_for_each_span(&used, &iopt->area_itree,
						    resv.start_hole,
						    resv.last_hole) {
				u64 start = used.start_hole;

				if (!used.is_hole)
					continue;
				if (!check_range(&start, used.last_hole, length,
						 alignment, page_offset))
					continue;
				*iova = start;
				return 0;
			}
		}
		if (no_allowed)
			break;
	}
	return -ENOSPC;
}

static int iopt_check_iova(struct io_pagetable *iopt, u64 iova, u64 length)
{
	u64 last;

	lockdep_assert_held(&iopt->iova_rwsem);
	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (interval_tree_iter_first(&iopt->reserved_itree, iova, last))
		return -EINVAL;
	if (iopt_area_iter_first(iopt, iova, last))
		return -EEXIST;
	return 0;
}

/* ------------------------------------------------------ filling domains */

/* Map one run; gmem runs granule by granule unless the domain can cut. */
static int map_run(struct iopt_area *area, struct iommu_domain *d, u64 iova,
		   u8 *kva, u64 len)
{
	struct iopt_pages *pages = area->pages;
	u64 granule, done = 0;
	int rc;

	if (pages->type != IOPT_ADDRESS_GMEM || d->can_cut || !pages->gmem)
		return iommu_map(d, iova, kva, len, area->iommu_prot);
	granule = pm_gmem_granule(pages->gmem);
	while (done < len) {
		/* Up to the next granule boundary of the store offset. */
		u64 off = pages->start + area_offset(area, iova + done);
		u64 n = ALIGN_DOWN(off, granule) + granule - off;

		if (n > len - done)
			n = len - done;
		rc = iommu_map(d, iova + done, kva + done, n,
				 area->iommu_prot);
		if (rc) {
			if (done)
				iommu_unmap(d, iova, done);
			return rc;
		}
		done += n;
	}
	return 0;
}

/*
 * Map [iova, last] of @area into @d: every run of reachable pages (all of
 * them, except gmem pages that are not shared). With @skip_mapped, pages
 * the domain already translates are left alone (a conversion back to
 * shared of a range that was partly shared already). On failure nothing
 * this call mapped stays mapped: without @skip_mapped the range was
 * unmapped to begin with, so the part done is unmapped whole; with it,
 * what was mapped here cannot be told from what was there, and stays (the
 * caller reports the failure; every page mapped is shared).
 */
static int fill_domain_range(struct iopt_area *area, struct iommu_domain *d,
			     u64 iova, u64 last, bool skip_mapped)
{
	struct iopt_pages *pages = area->pages;
	u64 first = iova;
	int rc = 0;

	while (iova <= last) {
		u64 off = area_offset(area, iova), run;
		int shared = iopt_pages_run(pages, off, last - iova + 1, &run);
		u8 *kva;

		if (shared < 0) {
			rc = shared;
			goto err;
		}
		if (!run || run > last - iova + 1)
			run = last - iova + 1;
		if (shared) {
			kva = iopt_pages_kva(pages, off);
			if (!kva) {
				rc = -EFAULT;
				goto err;
			}
			if (skip_mapped) {
				u64 p = iova, end = iova + run - 1;

				/* Page by page: map only what is missing. */
				while (p <= end) {
					u64 next = ALIGN_DOWN(p, PAGE_SIZE) +
						   PAGE_SIZE;
					u64 n = (next - 1 < end ? next - 1 :
								  end) -
						p + 1;
					void *cur;
					int prot;

					if (iommu_iova_to_kva(d, p, &cur,
							      &prot)) {
						rc = iommu_map(
							d, p, kva + (p - iova),
							n, area->iommu_prot);
						if (rc)
							return rc;
					}
					p += n;
				}
			} else {
				rc = map_run(area, d, iova, kva, run);
				if (rc)
					goto err;
			}
		}
		if (iova + run - 1 < iova || iova + run - 1 >= last)
			break;
		iova += run;
	}
	return 0;
err:
	if (!skip_mapped && iova > first)
		iommu_unmap(d, first, iova - first);
	return rc;
}

static void unfill_domain(struct iopt_area *area, struct iommu_domain *d)
{
	iommu_unmap(d, iopt_area_iova(area), iopt_area_length(area));
}

/* Pin the area and map it into every domain, or change nothing. */
static int iopt_area_fill_domains(struct iopt_area *area,
				  struct iopt_pages *pages)
{
	struct io_pagetable *iopt = area->iopt;
	unsigned int i;
	int rc;

	if (!iopt->nr_domains)
		return 0;
	rc = iopt_pages_pin(pages, area_first_index(area),
			    area_last_index(area), area, false);
	if (rc)
		return rc;
	area->pages = pages; /* fill_domain_range reads it */
	for (i = 0; i < iopt->nr_domains; i++) {
		rc = fill_domain_range(area, iopt->domains[i],
				       iopt_area_iova(area),
				       iopt_area_last_iova(area), false);
		if (rc)
			goto err;
	}
	area->pages = NULL;
	return 0;
err:
	while (i--)
		unfill_domain(area, iopt->domains[i]);
	area->pages = NULL;
	iopt_pages_unpin(pages, area_first_index(area), area_last_index(area),
			 area);
	return rc;
}

static void iopt_area_unfill_domains(struct iopt_area *area,
				     struct iopt_pages *pages)
{
	struct io_pagetable *iopt = area->iopt;
	unsigned int i;

	if (!iopt->nr_domains)
		return;
	for (i = 0; i < iopt->nr_domains; i++)
		unfill_domain(area, iopt->domains[i]);
	iopt_pages_unpin(pages, area_first_index(area), area_last_index(area),
			 area);
}

/* ------------------------------------------------------------ map / unmap */

static struct pm_gmem *pages_gmem(struct iopt_pages *pages)
{
	return pages->type == IOPT_ADDRESS_GMEM ? pages->gmem : NULL;
}

/*
 * Insert an area for [start_byte, start_byte + length) of @pages at *iova
 * (or an allocated IOVA) and fill the domains. Holds the iopt locks; the
 * caller holds the store's conversion lock for gmem pages.
 */
static int iopt_insert_area_locked(struct io_pagetable *iopt,
				   struct iopt_pages *pages, u64 *iova,
				   u64 start_byte, u64 length, int iommu_prot,
				   bool alloc)
{
	struct iopt_area *area;
	int rc;

	if ((iommu_prot & IOMMU_WRITE) && !pages->writable)
		return -EPERM;
	if (!length || (length & (iopt->iova_alignment - 1)))
		return -EINVAL;
	if ((start_byte % PAGE_SIZE) & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (alloc)
		rc = iopt_alloc_iova(iopt, iova,
				     iopt_pages_source_addr(pages) + start_byte,
				     length);
	else
		rc = iopt_check_iova(iopt, *iova, length);
	if (rc)
		return rc;

	area = kzalloc(sizeof(*area));
	if (!area)
		return -ENOMEM;
	area->node.start = *iova;
	area->node.last = *iova + length - 1;
	area->iopt = iopt;
	area->page_offset = start_byte;
	area->iommu_prot = iommu_prot;
	INIT_LIST_HEAD(&area->pages_item);
	rc = iopt_area_fill_domains(area, pages);
	if (rc) {
		kfree(area);
		return rc;
	}
	area->pages = pages;
	iopt_get_pages_ref(pages);
	if (pages->type == IOPT_ADDRESS_GMEM)
		list_add_tail(&area->pages_item, &pages->areas);
	interval_tree_insert(&area->node, &iopt->area_itree);
	return 0;
}

int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages *pages,
		   u64 *iova, u64 start_byte, u64 length, int iommu_prot,
		   unsigned int flags)
{
	struct pm_gmem *g = pages_gmem(pages);
	int rc;

	if (g)
		gmem_lock_conversions(g);
	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	rc = iopt_insert_area_locked(iopt, pages, iova, start_byte, length,
				     iommu_prot, flags & IOPT_ALLOC_IOVA);
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
	if (g)
		gmem_unlock_conversions(g);
	return rc;
}

static int map_new_pages(struct io_pagetable *iopt, struct iopt_pages *pages,
			 u64 *iova, u64 start_byte, u64 length, int iommu_prot,
			 unsigned int flags, bool promote_mm)
{
	int rc;

	if (promote_mm && pages->account_mode == IOPT_PAGES_ACCOUNT_USER)
		pages->account_mode = IOPT_PAGES_ACCOUNT_MM;
	rc = iopt_map_pages(iopt, pages, iova, start_byte, length, iommu_prot,
			    flags);
	/* On success the area took its own reference. */
	iopt_put_pages(pages);
	return rc;
}

int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			u64 *iova, void *uptr, u64 length, int iommu_prot,
			unsigned int flags)
{
	struct iopt_pages *pages;
	int rc;

	rc = iopt_alloc_user_pages(uptr, length, iommu_prot & IOMMU_WRITE,
				   &pages);
	if (rc)
		return rc;
	return map_new_pages(iopt, pages, iova, (uintptr_t)uptr % PAGE_SIZE,
			     length, iommu_prot, flags, ictx->account_mm);
}

int iopt_map_gmem_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			u64 *iova, struct pm_gmem *g, u64 offset, u64 length,
			int iommu_prot, unsigned int flags)
{
	struct iopt_pages *pages;
	int rc;

	(void)ictx;
	if (!g)
		return -EINVAL;
	rc = iopt_alloc_gmem_pages(g, offset, length, iommu_prot & IOMMU_WRITE,
				   &pages);
	if (rc)
		return rc;
	return map_new_pages(iopt, pages, iova, offset % PAGE_SIZE, length,
			     iommu_prot, flags, false);
}

int iopt_map_file_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			u64 *iova, int fd, u64 start, u64 length,
			int iommu_prot, unsigned int flags)
{
	struct iopt_pages *pages;
	struct pm_gmem *g = NULL;
	u64 last;
	int rc;

	if (!length)
		return -EINVAL;
	rc = range_last(start, length, &last);
	if (rc)
		return rc;
	if (fd < 0)
		return -EBADF;
	/* A store's fd maps the store: private pages stay out of reach. */
	rc = gmem_find_by_fd(fd, &g);
	if (rc)
		return rc;
	if (g)
		return iopt_map_gmem_pages(ictx, iopt, iova, g, start, length,
					   iommu_prot, flags);
	rc = iopt_alloc_file_pages(fd, start, length, iommu_prot & IOMMU_WRITE,
				   &pages);
	if (rc)
		return rc;
	return map_new_pages(iopt, pages, iova, start % PAGE_SIZE, length,
			     iommu_prot, flags, ictx->account_mm);
}

/* Remove a populated area; iova_rwsem (write) and domains (read) held. */
static struct iopt_pages *remove_area_locked(struct iopt_area *area)
{
	struct iopt_pages *pages = area->pages;

	interval_tree_remove(&area->node, &area->iopt->area_itree);
	iopt_area_unfill_domains(area, pages);
	if (pages->type == IOPT_ADDRESS_GMEM)
		list_del_init(&area->pages_item);
	kfree(area);
	return pages;
}

static int __iopt_unmap_iova(struct io_pagetable *iopt, u64 start, u64 last,
			     u64 *unmapped)
{
	struct pm_gmem *locked_gmem = NULL;
	u64 unmapped_bytes = 0;
	struct iopt_area *area;
	int tries = 0, rc = -ENOENT;

again:
	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	while ((area = iopt_area_iter_first(iopt, start, last))) {
		u64 area_first = iopt_area_iova(area);
		u64 area_last = iopt_area_last_iova(area);
		struct iopt_pages *pages = area->pages;
		struct pm_gmem *g;

		if (!pages) {
			rc = -EBUSY;
			goto out_unlock;
		}
		if (area_first < start || area_last > last) {
			rc = -ENOENT;
			goto out_unlock;
		}
		if (area_first != start)
			tries = 0;
		g = pages_gmem(pages);
		if (area->num_accesses || (g && g != locked_gmem)) {
			start = area_first;
			area->prevent_access = area->num_accesses != 0;
			up_write(&iopt->iova_rwsem);
			up_read(&iopt->domains_rwsem);
			if (area->num_accesses) {
				iommufd_access_notify_unmap(
					iopt, area_first,
					area_last - area_first + 1);
				/* Something does not answer unmap requests. */
				if (WARN_ON(++tries > 100)) {
					rc = -EDEADLK;
					goto out_unmapped;
				}
			}
			if (g != locked_gmem) {
				/* Take the store's conversion lock first. */
				if (locked_gmem)
					gmem_unlock_conversions(locked_gmem);
				locked_gmem = g;
				if (g)
					gmem_lock_conversions(g);
			}
			goto again;
		}
		pages = remove_area_locked(area);
		unmapped_bytes += area_last - area_first + 1;
		rc = 0;
		if (g) {
			/*
			 * The last put of gmem pages unregisters the store's
			 * notifier, which takes the conversion lock we hold:
			 * put after letting go of everything, then go on.
			 */
			up_write(&iopt->iova_rwsem);
			up_read(&iopt->domains_rwsem);
			gmem_unlock_conversions(locked_gmem);
			locked_gmem = NULL;
			iopt_put_pages(pages);
			if (area_last == last)
				goto out_unmapped;
			start = area_last + 1;
			goto again;
		}
		iopt_put_pages(pages);
		if (area_last == last)
			break;
		start = area_last + 1;
	}
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
out_unmapped:
	if (locked_gmem)
		gmem_unlock_conversions(locked_gmem);
	if (unmapped)
		*unmapped = unmapped_bytes;
	return rc;
}

int iopt_unmap_iova(struct io_pagetable *iopt, u64 iova, u64 length,
		    u64 *unmapped)
{
	u64 last;
	int rc = range_last(iova, length, &last);

	*unmapped = 0;
	if (rc)
		return rc;
	return __iopt_unmap_iova(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, u64 *unmapped)
{
	int rc = __iopt_unmap_iova(iopt, 0, IOVA_MAX, unmapped);

	/* An empty IOAS unmaps nothing, successfully. */
	return rc == -ENOENT ? 0 : rc;
}

/* ------------------------------------------------------------------ COPY */

int iopt_get_pages(struct io_pagetable *iopt, u64 iova, u64 length,
		   struct list_head *pages_list)
{
	struct iopt_area *area;
	u64 last, next;
	int rc;

	rc = range_last(iova, length, &last);
	if (rc)
		return rc;
	INIT_LIST_HEAD(pages_list);
	down_read(&iopt->iova_rwsem);
	next = iova;
	for (area = iopt_area_iter_first(iopt, iova, last); area;
	     area = iopt_area_iter_next(area, iova, last)) {
		struct iopt_pages_list *elm;
		u64 s = next, l;

		/* Contiguous, fully populated areas only. */
		if (iopt_area_iova(area) > next || !area->pages) {
			rc = -ENOENT;
			goto err;
		}
		l = iopt_area_last_iova(area) < last ? iopt_area_last_iova(area) :
						       last;
		elm = kzalloc(sizeof(*elm));
		if (!elm) {
			rc = -ENOMEM;
			goto err;
		}
		elm->pages = area->pages;
		iopt_get_pages_ref(area->pages);
		elm->area = area;
		elm->start_byte = area_offset(area, s);
		elm->length = l - s + 1;
		list_add_tail(&elm->next, pages_list);
		if (l == last) {
			up_read(&iopt->iova_rwsem);
			return 0;
		}
		next = l + 1;
	}
	rc = -ENOENT;
err:
	up_read(&iopt->iova_rwsem);
	iopt_free_pages_list(pages_list);
	return rc;
}

void iopt_free_pages_list(struct list_head *pages_list)
{
	struct iopt_pages_list *elm, *tmp;

	list_for_each_entry_safe(elm, tmp, pages_list, next) {
		iopt_put_pages(elm->pages);
		list_del_init(&elm->next);
		kfree(elm);
	}
}

int iopt_map_pages_list(struct io_pagetable *iopt, struct list_head *pages_list,
			u64 length, u64 *dst_iova, int iommu_prot,
			unsigned int flags)
{
	struct iopt_pages_list *elm, *first;
	u64 iova, done = 0;
	int rc = 0;

	if (list_empty(pages_list))
		return -EINVAL;
	first = list_first_entry(pages_list, struct iopt_pages_list, next);
	/*
	 * Areas of different stores could need several conversion locks; a
	 * list mixing gmem pages with others is mapped one area at a time,
	 * each under its own store's lock, after the IOVA range is checked.
	 */
	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (flags & IOPT_ALLOC_IOVA)
		rc = iopt_alloc_iova(iopt, dst_iova,
				     iopt_pages_source_addr(first->pages) +
					     first->start_byte,
				     length);
	else
		rc = iopt_check_iova(iopt, *dst_iova, length);
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
	if (rc)
		return rc;

	iova = *dst_iova;
	list_for_each_entry(elm, pages_list, next) {
		u64 at = iova;

		rc = iopt_map_pages(iopt, elm->pages, &at, elm->start_byte,
				    elm->length, iommu_prot, 0);
		if (rc)
			break;
		iova += elm->length;
		done += elm->length;
	}
	if (rc && done) {
		u64 unmapped;

		iopt_unmap_iova(iopt, *dst_iova, done, &unmapped);
	}
	return rc;
}

/* -------------------------------------------------- reserved and allowed */

int iopt_reserve_iova(struct io_pagetable *iopt, u64 start, u64 last,
		      void *owner)
{
	struct iopt_reserved *r;
	int rc = 0;

	if (start > last)
		return -EINVAL;
	down_write(&iopt->iova_rwsem);
	if (iopt_area_iter_first(iopt, start, last) ||
	    interval_tree_iter_first(&iopt->allowed_itree, start, last)) {
		rc = -EADDRINUSE;
		goto out;
	}
	r = kzalloc(sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto out;
	}
	r->node.start = start;
	r->node.last = last;
	r->owner = owner;
	interval_tree_insert(&r->node, &iopt->reserved_itree);
out:
	up_write(&iopt->iova_rwsem);
	return rc;
}

static void remove_reserved_locked(struct io_pagetable *iopt, void *owner)
{
	struct interval_tree_node *n, *next;

	for (n = interval_tree_first(&iopt->reserved_itree); n; n = next) {
		struct iopt_reserved *r =
			container_of(n, struct iopt_reserved, node);

		next = interval_tree_next(n);
		if (r->owner != owner)
			continue;
		interval_tree_remove(n, &iopt->reserved_itree);
		kfree(r);
	}
}

void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner)
{
	down_write(&iopt->iova_rwsem);
	remove_reserved_locked(iopt, owner);
	up_write(&iopt->iova_rwsem);
}

int iopt_set_allow_iova(struct io_pagetable *iopt,
			struct interval_tree_root *allowed_iova)
{
	struct interval_tree_root old;
	struct interval_tree_node *n;

	down_write(&iopt->iova_rwsem);
	for (n = interval_tree_first(allowed_iova); n;
	     n = interval_tree_next(n)) {
		if (interval_tree_iter_first(&iopt->reserved_itree, n->start,
					     n->last)) {
			up_write(&iopt->iova_rwsem);
			return -EADDRINUSE;
		}
	}
	old = iopt->allowed_itree;
	iopt->allowed_itree = *allowed_iova;
	*allowed_iova = old; /* the caller frees the old list */
	up_write(&iopt->iova_rwsem);
	return 0;
}

/* --------------------------------------------------------------- domains */

static int check_alignment_locked(struct io_pagetable *iopt, u64 align)
{
	struct interval_tree_node *n;

	for (n = interval_tree_first(&iopt->area_itree); n;
	     n = interval_tree_next(n)) {
		struct iopt_area *area = area_of(n);

		if ((iopt_area_iova(area) & (align - 1)) ||
		    (iopt_area_length(area) & (align - 1)) ||
		    ((area->page_offset % PAGE_SIZE) & (align - 1)))
			return -EADDRINUSE;
	}
	return 0;
}

static u64 domain_min_page(struct iommu_domain *d)
{
	return d->pgsize_bitmap ? 1ULL << __builtin_ctzll(d->pgsize_bitmap) :
				  PAGE_SIZE;
}

/* Recompute iova_alignment from the domains and accesses. */
static int calculate_alignment_locked(struct io_pagetable *iopt)
{
	struct iommufd_access *access;
	u64 align = iopt->disable_large_pages ? PAGE_SIZE : 1;
	unsigned int i;
	int rc;

	for (i = 0; i < iopt->nr_domains; i++)
		if (domain_min_page(iopt->domains[i]) > align)
			align = domain_min_page(iopt->domains[i]);
	list_for_each_entry(access, &iopt->access_list, ioas_node)
		if (access->iova_alignment > align)
			align = access->iova_alignment;
	if (align > PAGE_SIZE)
		return -EINVAL;
	if (align > iopt->iova_alignment) {
		rc = check_alignment_locked(iopt, align);
		if (rc)
			return rc;
	}
	iopt->iova_alignment = align;
	return 0;
}

int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain)
{
	struct iommu_domain **domains;
	struct interval_tree_node *n;
	u64 old_align;
	int rc;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	old_align = iopt->iova_alignment;
	if (domain_min_page(domain) > PAGE_SIZE) {
		rc = -EINVAL;
		goto out_unlock;
	}

	/* Nothing may be mapped outside the aperture. */
	if (domain->aperture_start &&
	    (interval_tree_iter_first(&iopt->area_itree, 0,
				      domain->aperture_start - 1) ||
	     interval_tree_iter_first(&iopt->allowed_itree, 0,
				      domain->aperture_start - 1))) {
		rc = -EADDRINUSE;
		goto out_unlock;
	}
	if (domain->aperture_end != IOVA_MAX &&
	    (interval_tree_iter_first(&iopt->area_itree,
				      domain->aperture_end + 1, IOVA_MAX) ||
	     interval_tree_iter_first(&iopt->allowed_itree,
				      domain->aperture_end + 1, IOVA_MAX))) {
		rc = -EADDRINUSE;
		goto out_unlock;
	}
	domains = krealloc_array(iopt->domains, iopt->nr_domains + 1,
				 sizeof(*domains));
	if (!domains) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	iopt->domains = domains;
	/* Reserve the aperture's complement, owned by the domain. */
	rc = 0;
	if (domain->aperture_start) {
		struct iopt_reserved *r = kzalloc(sizeof(*r));

		if (!r) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		r->node.start = 0;
		r->node.last = domain->aperture_start - 1;
		r->owner = domain;
		interval_tree_insert(&r->node, &iopt->reserved_itree);
	}
	if (domain->aperture_end != IOVA_MAX) {
		struct iopt_reserved *r = kzalloc(sizeof(*r));

		if (!r) {
			rc = -ENOMEM;
			goto err_resv;
		}
		r->node.start = domain->aperture_end + 1;
		r->node.last = IOVA_MAX;
		r->owner = domain;
		interval_tree_insert(&r->node, &iopt->reserved_itree);
	}
	iopt->domains[iopt->nr_domains++] = domain;
	rc = calculate_alignment_locked(iopt);
	if (rc)
		goto err_remove;

	/* Fill the new domain with every area; the first domain pins. */
	for (n = interval_tree_first(&iopt->area_itree); n;
	     n = interval_tree_next(n)) {
		struct iopt_area *area = area_of(n);

		if (iopt->nr_domains == 1) {
			rc = iopt_pages_pin(area->pages,
					    area_first_index(area),
					    area_last_index(area), area,
					    false);
			if (rc)
				goto err_unfill;
		}
		rc = fill_domain_range(area, domain, iopt_area_iova(area),
				       iopt_area_last_iova(area), false);
		if (rc) {
			if (iopt->nr_domains == 1)
				iopt_pages_unpin(area->pages,
						 area_first_index(area),
						 area_last_index(area), area);
			goto err_unfill;
		}
	}
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return 0;

err_unfill:
	{
		struct interval_tree_node *m;

		for (m = interval_tree_first(&iopt->area_itree); m != n;
		     m = interval_tree_next(m)) {
			struct iopt_area *area = area_of(m);

			unfill_domain(area, domain);
			if (iopt->nr_domains == 1)
				iopt_pages_unpin(area->pages,
						 area_first_index(area),
						 area_last_index(area), area);
		}
	}
err_remove:
	iopt->nr_domains--;
err_resv:
	remove_reserved_locked(iopt, domain);
	iopt->iova_alignment = old_align;
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain)
{
	struct interval_tree_node *n;
	unsigned int i;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	for (i = 0; i < iopt->nr_domains; i++)
		if (iopt->domains[i] == domain)
			break;
	if (WARN_ON(i == iopt->nr_domains))
		goto out;
	for (n = interval_tree_first(&iopt->area_itree); n;
	     n = interval_tree_next(n)) {
		struct iopt_area *area = area_of(n);

		unfill_domain(area, domain);
		/* The last domain leaving unpins: lazy again. */
		if (iopt->nr_domains == 1 && area->pages)
			iopt_pages_unpin(area->pages, area_first_index(area),
					 area_last_index(area), area);
	}
	memmove(&iopt->domains[i], &iopt->domains[i + 1],
		(iopt->nr_domains - i - 1) * sizeof(*iopt->domains));
	iopt->nr_domains--;
	remove_reserved_locked(iopt, domain);
	/* Alignment can only shrink here: this cannot fail. */
	iopt->iova_alignment = 1;
	WARN_ON(calculate_alignment_locked(iopt));
out:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc = 0;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (iopt->disable_large_pages)
		goto out;
	/* Not once domains already have pages mapped in them. */
	if (iopt->nr_domains && !interval_tree_empty(&iopt->area_itree)) {
		rc = -EINVAL;
		goto out;
	}
	iopt->disable_large_pages = true;
	rc = calculate_alignment_locked(iopt);
	if (rc)
		iopt->disable_large_pages = false;
out:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	iopt->disable_large_pages = false;
	WARN_ON(calculate_alignment_locked(iopt));
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/* -------------------------------------------------------------- accesses */

int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access)
{
	int rc;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	list_add_tail(&access->ioas_node, &iopt->access_list);
	rc = calculate_alignment_locked(iopt);
	if (rc)
		list_del_init(&access->ioas_node);
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access)
{
	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	list_del_init(&access->ioas_node);
	iopt->iova_alignment = 1;
	WARN_ON(calculate_alignment_locked(iopt));
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/*
 * Walk the areas covering [iova, last] contiguously. Returns the number of
 * areas, or -ENOENT at a gap or unpopulated area.
 */
static int contig_areas(struct io_pagetable *iopt, u64 iova, u64 last,
			struct iopt_area **areas, int max)
{
	struct iopt_area *area;
	u64 next = iova;
	int n = 0;

	for (area = iopt_area_iter_first(iopt, iova, last); area;
	     area = iopt_area_iter_next(area, iova, last)) {
		if (iopt_area_iova(area) > next || !area->pages)
			return -ENOENT;
		if (areas && n < max)
			areas[n] = area;
		n++;
		if (iopt_area_last_iova(area) >= last)
			return n;
		next = iopt_area_last_iova(area) + 1;
	}
	return -ENOENT;
}

#define ACCESS_MAX_AREAS 64

static void access_unpin_areas(struct iopt_area **areas, int n, u64 iova,
			       u64 last)
{
	int i;

	for (i = 0; i < n; i++) {
		struct iopt_area *a = areas[i];
		u64 s = iopt_area_iova(a) > iova ? iopt_area_iova(a) : iova;
		u64 l = iopt_area_last_iova(a) < last ? iopt_area_last_iova(a) :
							last;

		iopt_pages_unpin(a->pages, area_offset(a, s) / PAGE_SIZE,
				 area_offset(a, l) / PAGE_SIZE, a->iopt);
		a->num_accesses--;
	}
}

int iopt_access_pin_pages(struct io_pagetable *iopt, u64 iova, u64 length,
			  void **kvas, bool write)
{
	struct iopt_area *areas[ACCESS_MAX_AREAS];
	u64 last, page = 0;
	int n, i, rc;

	rc = range_last(iova, length, &last);
	if (rc)
		return rc;
	down_read(&iopt->iova_rwsem);
	n = contig_areas(iopt, iova, last, areas, ACCESS_MAX_AREAS);
	if (n < 0 || n > ACCESS_MAX_AREAS) {
		rc = n < 0 ? n : -EINVAL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct iopt_area *a = areas[i];
		u64 s = iopt_area_iova(a) > iova ? iopt_area_iova(a) : iova;
		u64 l = iopt_area_last_iova(a) < last ? iopt_area_last_iova(a) :
							last;
		u64 first = area_offset(a, s) / PAGE_SIZE;
		u64 lastidx = area_offset(a, l) / PAGE_SIZE, idx;

		if (a->prevent_access) {
			rc = -EINVAL;
			break;
		}
		if (write && !(a->iommu_prot & IOMMU_WRITE)) {
			rc = -EPERM;
			break;
		}
		rc = iopt_pages_pin(a->pages, first, lastidx, iopt, true);
		if (rc)
			break;
		/* iova_rwsem (read) is enough: unmap takes it for write. */
		__atomic_fetch_add(&a->num_accesses, 1, __ATOMIC_RELAXED);
		for (idx = first; idx <= lastidx; idx++)
			kvas[page++] = iopt_pages_kva(a->pages,
						      idx * PAGE_SIZE);
	}
	if (rc)
		access_unpin_areas(areas, i, iova, last);
out:
	up_read(&iopt->iova_rwsem);
	return rc;
}

void iopt_access_unpin_pages(struct io_pagetable *iopt, u64 iova, u64 length)
{
	struct iopt_area *areas[ACCESS_MAX_AREAS];
	u64 last;
	int n;

	if (range_last(iova, length, &last))
		return;
	down_read(&iopt->iova_rwsem);
	n = contig_areas(iopt, iova, last, areas, ACCESS_MAX_AREAS);
	if (!WARN_ON(n < 0 || n > ACCESS_MAX_AREAS))
		access_unpin_areas(areas, n, iova, last);
	up_read(&iopt->iova_rwsem);
}

int iopt_access_rw(struct io_pagetable *iopt, u64 iova, void *data,
		   u64 length, bool write)
{
	struct iopt_area *area;
	u64 last, cur;
	u8 *buf = data;
	int n, rc = 0;

	rc = range_last(iova, length, &last);
	if (rc)
		return rc;
	down_read(&iopt->iova_rwsem);
	n = contig_areas(iopt, iova, last, NULL, 0);
	if (n < 0) {
		rc = n;
		goto out;
	}
	cur = iova;
	for (area = iopt_area_iter_first(iopt, iova, last); area && !rc;
	     area = iopt_area_iter_next(area, iova, last)) {
		u64 l = iopt_area_last_iova(area) < last ?
				iopt_area_last_iova(area) :
				last;

		if (area->prevent_access) {
			rc = -EINVAL;
			break;
		}
		if (write && !(area->iommu_prot & IOMMU_WRITE)) {
			rc = -EPERM;
			break;
		}
		while (cur <= l && !rc) {
			u64 off = area_offset(area, cur), run;
			int shared = iopt_pages_run(area->pages, off,
						    l - cur + 1, &run);
			u8 *kva;

			if (shared <= 0) {
				/*
				 * A private gmem page: not for this path. A
				 * store that closed (a reset device's BAR):
				 * the memory is gone until mapped again.
				 */
				rc = shared < 0		   ? shared :
				     !iopt_pages_gmem(area->pages) ? -ENODEV :
							  -EFAULT;
				break;
			}
			kva = iopt_pages_kva(area->pages, off);
			if (!kva) {
				rc = -EFAULT;
				break;
			}
			rc = iopt_pages_copy(area->pages, kva,
					     buf + (cur - iova), run, write);
			cur += run;
		}
	}
out:
	up_read(&iopt->iova_rwsem);
	return rc;
}

/* ------------------------------------------------- gmem invalidation */

/* The part of @area that store range [offset, ev_last] covers, as IOVAs. */
static bool area_event_range(struct iopt_area *area, u64 offset, u64 ev_last,
			     u64 *iova, u64 *iova_last)
{
	u64 s0 = area->pages->start + area->page_offset;
	u64 s1 = s0 + iopt_area_length(area) - 1;
	u64 a = offset > s0 ? offset : s0;
	u64 b = ev_last < s1 ? ev_last : s1;

	if (a > b)
		return false;
	*iova = iopt_area_iova(area) + (a - s0);
	*iova_last = *iova + (b - a);
	return true;
}

/*
 * Unmap from @d the pages of [iova, last] that are private by the store's
 * committed state: what premap_private() mapped for a conversion to
 * shared that then failed (the state is back as it was).
 */
static void unmap_private_runs(struct iopt_area *area, struct iommu_domain *d,
			       u64 iova, u64 last)
{
	while (iova <= last) {
		u64 run;
		int priv = gmem_private_run(area->pages->gmem,
					    area->pages->start +
						    area_offset(area, iova),
					    last - iova + 1, &run);

		if (priv < 0)
			return;
		if (priv)
			iommu_unmap(d, iova, run);
		if (run > last - iova)
			return;
		iova += run;
	}
}

/*
 * Map into @d the pages of [iova, last] that a conversion to shared is
 * about to make shared (those private now), or change nothing.
 */
static int premap_private(struct iopt_area *area, struct iommu_domain *d,
			  u64 iova, u64 last)
{
	u64 cur = iova;

	while (cur <= last) {
		u64 off = area_offset(area, cur), run;
		int rc = gmem_private_run(area->pages->gmem,
					  area->pages->start + off,
					  last - cur + 1, &run);

		if (rc > 0)
			rc = map_run(area, d, cur, iopt_pages_kva(area->pages, off),
				     run);
		if (rc < 0) {
			if (cur > iova)
				unmap_private_runs(area, d, iova, cur - 1);
			return rc;
		}
		if (run > last - cur)
			break;
		cur += run;
	}
	return 0;
}

/*
 * Undo premap_private() (@grown: the fill of a grown tail, all of which
 * was unmapped before) on every area of @pages and domain before
 * (@stop_area, @stop_domain), in the order iopt_gmem_invalidate() went.
 */
static void undo_premap(struct iopt_pages *pages, u64 offset, u64 ev_last,
			struct iopt_area *stop_area, unsigned int stop_domain,
			bool grown)
{
	struct iopt_area *area;

	list_for_each_entry(area, &pages->areas, pages_item) {
		struct io_pagetable *iopt = area->iopt;
		u64 iova, iova_last;
		unsigned int i;

		if (area_event_range(area, offset, ev_last, &iova,
				     &iova_last)) {
			down_read(&iopt->domains_rwsem);
			for (i = 0; i < iopt->nr_domains; i++) {
				if (area == stop_area && i == stop_domain)
					break;
				if (grown)
					iommu_unmap(iopt->domains[i], iova,
						    iova_last - iova + 1);
				else
					unmap_private_runs(area,
							   iopt->domains[i],
							   iova, iova_last);
			}
			up_read(&iopt->domains_rwsem);
		}
		if (area == stop_area)
			return;
	}
}

/*
 * The store's notifier (called with its conversion lock held, so
 * pages->areas is stable):
 *
 *   to private, truncate, close: begin asks accesses to let go and removes
 *     the translations (draining DMA in flight); an aborted conversion to
 *     private maps the pages again in end.
 *   punch: begin drains DMA in flight; the translations stay (the pages
 *     stay shared, with new zeroed content).
 *   to shared: begin maps the pages that will become shared, so that a
 *     failure to map refuses the conversion instead of leaving shared pages
 *     unreachable after it. Until the store commits, those translations
 *     reach holes of the host view, which fault: no DMA sees the page
 *     before it is shared. A conversion that fails later unmaps them in end.
 *   grow: the range joined the store (after a shrink had unmapped it):
 *     begin maps its shared pages again, so the area translates as it did
 *     before the shrink; a failure refuses the grow, and a grow that fails
 *     later unmaps them in end.
 */
int iopt_gmem_invalidate(struct iopt_pages *pages, enum pm_gmem_event ev,
			 u64 offset, u64 length, bool begin, int result)
{
	bool to_shared = ev == PM_GMEM_EV_TO_SHARED;
	bool refill = !begin && ev == PM_GMEM_EV_TO_PRIVATE && result;
	bool grow = ev == PM_GMEM_EV_GROW;
	bool unpremap = !begin && (to_shared || grow) && result;
	struct iopt_area *area;
	u64 ev_last;

	if (!length || (!begin && !refill && !unpremap))
		return 0;
	ev_last = offset + length - 1;
	if (unpremap) {
		undo_premap(pages, offset, ev_last, NULL, 0, grow);
		return 0;
	}
	list_for_each_entry(area, &pages->areas, pages_item) {
		struct io_pagetable *iopt = area->iopt;
		u64 iova, iova_last;
		unsigned int i;
		int rc;

		if (!area_event_range(area, offset, ev_last, &iova, &iova_last))
			continue;
		/* Accesses let go first (their unmap callback). */
		if (begin && area->num_accesses && !to_shared && !grow &&
		    ev != PM_GMEM_EV_PUNCH)
			iommufd_access_notify_unmap(iopt, iova,
						    iova_last - iova + 1);
		down_read(&iopt->domains_rwsem);
		for (i = 0; i < iopt->nr_domains; i++) {
			struct iommu_domain *d = iopt->domains[i];

			if (begin && (to_shared || grow)) {
				rc = grow ? fill_domain_range(area, d, iova,
							      iova_last, false) :
					    premap_private(area, d, iova,
							   iova_last);
				if (rc) {
					if (grow)
						iommu_unmap(d, iova,
							    iova_last - iova + 1);
					up_read(&iopt->domains_rwsem);
					undo_premap(pages, offset, ev_last,
						    area, i, grow);
					return rc;
				}
			} else if (begin && ev == PM_GMEM_EV_PUNCH) {
				iommu_drain(d);
			} else if (begin) {
				iommu_unmap(d, iova, iova_last - iova + 1);
			} else if (fill_domain_range(area, d, iova, iova_last,
						     true)) {
				/*
				 * Out of memory while restoring translations
				 * of an aborted conversion: the call already
				 * fails; DMA to these shared pages faults
				 * (unmapped) until they are mapped again.
				 */
				pr_err("iommufd: aborted conversion: cannot "
				       "restore iova 0x%llx-0x%llx",
				       (unsigned long long)iova,
				       (unsigned long long)iova_last);
			}
		}
		up_read(&iopt->domains_rwsem);
	}
	return 0;
}

int iopt_iova_fault_reason(struct io_pagetable *iopt, u64 iova)
{
	struct iopt_area *area;
	int why = 0;
	u64 run;

	down_read(&iopt->iova_rwsem);
	area = iopt_area_iter_first(iopt, iova, iova);
	if (area && area->pages && area->pages->type == IOPT_ADDRESS_GMEM) {
		struct pm_gmem *g = iopt_pages_gmem(area->pages);
		u64 off = area_offset(area, iova);

		if (!g)
			why = PM_DMA_FAULT_REVOKED;
		else if (area->pages->start + off >= pm_gmem_size(g))
			why = 0; /* truncated away: unmapped, not private */
		else if (!iopt_pages_run(area->pages, off, 1, &run))
			why = PM_DMA_FAULT_PRIVATE;
	}
	up_read(&iopt->iova_rwsem);
	return why;
}
