// SPDX-License-Identifier: MIT
/*
 * The IOMMU core between io_pagetable and the domains (Linux's
 * drivers/iommu/iommu.c plays this part): every map, unmap and translation
 * of a domain goes through here, and so does every IOTLB.
 *
 * Draining
 * --------
 * A DMA operation holds domain->dma_lock for read from its first
 * translation to the end of its copy. iommu_unmap() takes it for write:
 * it waits for DMA in flight, removes the translations, flushes the
 * IOTLBs and lets DMA go on. So when an unmap returns (and hence when a
 * conversion, UNMAP or close that unmaps returns) no DMA is still reading
 * or writing the old pages, and DMA that starts afterwards misses.
 * iommu_map() needs no drain: new translations cannot affect DMA in
 * flight, and IOTLBs never cache a missing translation.
 *
 * IOTLB
 * -----
 * One per device: IOTLB_ENTRIES direct-mapped entries indexed by the low
 * bits of the IOVA page number. An entry packs, in one 64-bit word,
 *   bits 63..38  tag: IOVA page number >> log2(IOTLB_ENTRIES)
 *   bits 37..2   host page number (the page's address >> 12)
 *   bits 1..0    permissions (1 read, 2 write; 0 = invalid)
 * so it is read and written with single atomic accesses and DMA threads of
 * one device share the IOTLB without a lock. IOVAs and host addresses must
 * lie below 2^48 (the emulated IOMMU's aperture; x86-64 user addresses);
 * a translation that does not fit is simply not cached.
 *
 * Flushing is precise: an unmap of N pages clears the entries that hold
 * those pages (or the whole IOTLB when N exceeds its size), counted as
 * invalidations.
 *
 * Locking: dma_lock ranks LOCK_RANK_IOMMU_DMA, below the io_pagetable
 * locks and above the domains' own locks (rank table in lock_ranks.h).
 */
#include <errno.h>
#include <string.h>
#include "common/lock_ranks.h"
#include "common/log.h"
#include "iommufd_private.h"

static DEFINE_LOCK_CLASS(iommu_dma_class, LOCK_RANK_IOMMU_DMA);

_Static_assert(1 << IOTLB_SHIFT == IOTLB_ENTRIES, "IOTLB size");

void iommu_domain_init(struct iommu_domain *d,
		       const struct iommu_domain_ops *ops)
{
	d->ops = ops;
	rwlock_init(&d->dma_lock, &iommu_dma_class);
	INIT_LIST_HEAD(&d->iotlbs);
}

int iommu_map(struct iommu_domain *d, u64 iova, void *kva, u64 len, int prot)
{
	return d->ops->map(d, iova, kva, len, prot);
}

static void iotlb_flush_locked(struct iotlb *tlb, u64 iova, u64 len)
{
	u64 first = iova >> PAGE_SHIFT;
	u64 last = (iova + len - 1) >> PAGE_SHIFT;
	u64 pfn, n = 0;

	if (last - first + 1 >= IOTLB_ENTRIES) {
		unsigned int i;

		for (i = 0; i < IOTLB_ENTRIES; i++) {
			if (__atomic_load_n(&tlb->entry[i], __ATOMIC_RELAXED)) {
				__atomic_store_n(&tlb->entry[i], 0,
						 __ATOMIC_RELAXED);
				n++;
			}
		}
	} else {
		for (pfn = first; pfn <= last; pfn++) {
			u64 *e = &tlb->entry[pfn & (IOTLB_ENTRIES - 1)];
			u64 v = __atomic_load_n(e, __ATOMIC_RELAXED);

			if (v && (v >> (IOTLB_PFN_BITS + 2)) ==
					 (pfn >> IOTLB_SHIFT)) {
				__atomic_store_n(e, 0, __ATOMIC_RELAXED);
				n++;
			}
		}
	}
	__atomic_fetch_add(&tlb->invalidations, n, __ATOMIC_RELAXED);
}

u64 iommu_unmap(struct iommu_domain *d, u64 iova, u64 len)
{
	struct iotlb *tlb;
	u64 unmapped;

	if (!len)
		return 0;
	down_write(&d->dma_lock);
	unmapped = d->ops->unmap(d, iova, len);
	list_for_each_entry(tlb, &d->iotlbs, domain_item)
		iotlb_flush_locked(tlb, iova, len);
	up_write(&d->dma_lock);
	return unmapped;
}

int iommu_iova_to_kva(struct iommu_domain *d, u64 iova, void **kva, int *prot)
{
	return d->ops->iova_to_kva(d, iova, kva, prot);
}

void iommu_drain(struct iommu_domain *d)
{
	down_write(&d->dma_lock);
	up_write(&d->dma_lock);
}

void iotlb_attach(struct iotlb *tlb, struct iommu_domain *d)
{
	down_write(&d->dma_lock);
	memset(tlb->entry, 0, sizeof(tlb->entry));
	tlb->domain = d;
	list_add_tail(&tlb->domain_item, &d->iotlbs);
	up_write(&d->dma_lock);
}

void iotlb_detach(struct iotlb *tlb)
{
	struct iommu_domain *d = tlb->domain;

	if (!d)
		return;
	down_write(&d->dma_lock);
	list_del_init(&tlb->domain_item);
	tlb->domain = NULL;
	up_write(&d->dma_lock);
}

int iotlb_translate_miss(struct iotlb *tlb, u64 iova, bool write, u8 **kva)
{
	u64 pfn = iova >> PAGE_SHIFT;
	u64 *e = &tlb->entry[pfn & (IOTLB_ENTRIES - 1)];
	u64 need = write ? 2 : 1;
	void *k;
	int prot, rc;

	rc = iommu_iova_to_kva(tlb->domain, iova, &k, &prot);
	if (rc)
		return -ENOENT;
	if (!(prot & need))
		return -EPERM;
	*kva = k;
	{
		u64 page = ((uintptr_t)k - (iova & (PAGE_SIZE - 1))) >>
			   PAGE_SHIFT;
		u64 perm = (prot & IOMMU_READ ? 1 : 0) |
			   (prot & IOMMU_WRITE ? 2 : 0);

		/*
		 * Cache only what the entry can hold exactly, and only for
		 * domains whose smallest page is the 4 KiB the entry covers.
		 */
		if (!(tlb->domain->pgsize_bitmap & (PAGE_SIZE - 1)) &&
		    !(page & ~IOTLB_PFN_MASK) && !(pfn >> 36) && perm &&
		    !(((uintptr_t)k ^ iova) & (PAGE_SIZE - 1)))
			__atomic_store_n(e,
					 ((pfn >> IOTLB_SHIFT)
					  << (IOTLB_PFN_BITS + 2)) |
						 (page << 2) | perm,
					 __ATOMIC_RELAXED);
	}
	return 0;
}
