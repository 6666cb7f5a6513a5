// SPDX-License-Identifier: MIT
/*
 * The emulated IOMMU's paging domain: an iommu_domain whose translations
 * live in an x86-64-like IO page table (io_pgtable.c) with 4 KiB, 2 MiB and
 * 1 GiB leaves, over the IOVA aperture [0, 2^48 - 1].
 *
 * The hardware's smallest page is 4 KiB, so map() takes only 4 KiB
 * aligned iova, kva and length (the core guarantees it: the domain's
 * smallest page is its IOVA alignment). The domain can cut: unmap() may
 * remove any 4 KiB aligned part of earlier maps, splitting large leaves,
 * and never fails (the page table keeps the tables a cut needs in reserve).
 *
 * Locking
 * -------
 * emu_domain.lock (LOCK_RANK_IOMMU_DOMAIN) is an rwlock: map and unmap take
 * it for write, iova_to_kva (the core, and DMA through the IOTLBs with the
 * domain's dma_lock held) for read, so translations run in parallel and
 * never walk a table that map or unmap is freeing. The read side is a
 * pthread rwlock read acquisition and a walk of at most four entries: no
 * allocation and no system call.
 */
#include <errno.h>
#include "common/err.h"
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/sys.h"
#include "io_pgtable.h"
#include "iommufd_private.h"

static DEFINE_LOCK_CLASS(emu_domain_class, LOCK_RANK_IOMMU_DOMAIN);

struct emu_domain {
	struct iommu_domain domain;
	struct rwlock lock; /* pgt: write for map/unmap, read for lookups */
	struct io_pgtable *pgt;
};

static const struct iommu_domain_ops emu_domain_ops;

static struct emu_domain *to_emu_domain(struct iommu_domain *d)
{
	return container_of(d, struct emu_domain, domain);
}

static int emu_domain_map(struct iommu_domain *d, u64 iova, void *kva, u64 len,
			  int prot)
{
	struct emu_domain *ed = to_emu_domain(d);
	int rc;

	down_write(&ed->lock);
	rc = io_pgtable_map(ed->pgt, iova, kva, len, prot);
	up_write(&ed->lock);
	return rc;
}

static u64 emu_domain_unmap(struct iommu_domain *d, u64 iova, u64 len)
{
	struct emu_domain *ed = to_emu_domain(d);
	u64 unmapped;

	down_write(&ed->lock);
	unmapped = io_pgtable_unmap(ed->pgt, iova, len);
	up_write(&ed->lock);
	return unmapped;
}

static int emu_domain_iova_to_kva(struct iommu_domain *d, u64 iova, void **kva,
				  int *prot)
{
	struct emu_domain *ed = to_emu_domain(d);
	int rc;

	down_read(&ed->lock);
	rc = io_pgtable_lookup(ed->pgt, iova, kva, prot, NULL);
	up_read(&ed->lock);
	return rc;
}

static void emu_domain_free(struct iommu_domain *d)
{
	struct emu_domain *ed = to_emu_domain(d);
	struct io_pgtable_stats st;

	/* The core unmaps everything before it frees a domain. */
	io_pgtable_get_stats(ed->pgt, &st);
	WARN_ON(st.leaves[0] || st.leaves[1] || st.leaves[2]);
	io_pgtable_free(ed->pgt);
	rwlock_destroy(&ed->lock);
	kfree(ed);
}

static const struct iommu_domain_ops emu_domain_ops = {
	.map = emu_domain_map,
	.unmap = emu_domain_unmap,
	.iova_to_kva = emu_domain_iova_to_kva,
	.free = emu_domain_free,
};

struct iommu_domain *emu_domain_alloc(u64 pgsize_bitmap)
{
	struct emu_domain *ed;
	struct io_pgtable *pgt;

	if (!pgsize_bitmap)
		pgsize_bitmap = IO_PGTABLE_PGSIZES;
	pgt = io_pgtable_alloc(pgsize_bitmap);
	if (IS_ERR(pgt))
		return (struct iommu_domain *)pgt;
	ed = kzalloc(sizeof(*ed));
	if (!ed) {
		io_pgtable_free(pgt);
		return ERR_PTR(-ENOMEM);
	}
	ed->pgt = pgt;
	rwlock_init(&ed->lock, &emu_domain_class);
	iommu_domain_init(&ed->domain, &emu_domain_ops);
	ed->domain.can_cut = true;
	ed->domain.pgsize_bitmap = pgsize_bitmap;
	ed->domain.aperture_start = 0;
	ed->domain.aperture_end = IO_PGTABLE_IOVA_LAST;
	return &ed->domain;
}

bool emu_domain_get_stats(struct iommu_domain *d,
			  struct io_pgtable_stats *stats)
{
	struct emu_domain *ed;

	if (d->ops != &emu_domain_ops)
		return false;
	ed = to_emu_domain(d);
	down_read(&ed->lock);
	io_pgtable_get_stats(ed->pgt, stats);
	up_read(&ed->lock);
	return true;
}
