// SPDX-License-Identifier: MIT
/*
 * The emulated IOMMU and its devices: what QEMU's intel-iommu model is to a
 * guest, this is to the host-side code of privmem (emulated DMA engines,
 * the VMM's devices).
 *
 * Data model
 * ----------
 * struct pm_device is one emulated PCI function behind the IOMMU:
 *   - a struct device whose iommu_ops is this driver (hw_info reports
 *     IOMMU_HW_INFO_TYPE_DEFAULT, paging domains are emu_domain IO page
 *     tables with 4 KiB, 2 MiB and 1 GiB leaves);
 *   - an iommufd DEVICE object (bound to the context: its dev_id works with
 *     IOMMU_HWPT_ALLOC and IOMMU_GET_HW_INFO);
 *   - an IOTLB (iommu.c) attached to the domain of its current HWPT;
 *   - a log of the last DMA faults.
 *
 * DMA
 * ---
 * A DMA operation holds the device lock (read: attach/replace/detach take
 * it for write) and its domain's dma_lock (read: unmaps drain it), then
 * translates page by page through the IOTLB, coalesces runs that are
 * contiguous in the host, and copies with copy_nofault() (common/uaccess.h):
 * the memory behind a translation is the backing store's host view, where
 * private pages raise SIGBUS, and a caller's munmap()ed buffer raises
 * SIGSEGV; such a fault, taken inside a DMA copy, becomes a recorded fault
 * instead of a crash. Faults are classified after the
 * locks are dropped: no translation for a page that is private in a gmem
 * store is PM_DMA_FAULT_PRIVATE.
 *
 * Locking: device lock (LOCK_RANK_DEVICE) -> iommufd locks (attach) or
 * domain dma_lock (DMA) -> domain locks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <privmem/device.h>
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "common/uaccess.h"
#include "gmem/gmem_private.h"
#include "iommufd_private.h"

#define FAULT_LOG 64

static DEFINE_LOCK_CLASS(emu_device_class, LOCK_RANK_DEVICE);

struct pm_device {
	struct device dev;
	struct rwlock lock; /* attachment; DMA holds it for read */
	struct iommufd_ctx *ictx;
	struct iommufd_device *idev;
	u32 dev_id;
	char name[32];
	struct iotlb tlb; /* attached while idev->hwpt is set */

	struct mutex fault_lock; /* the fault log */
	struct pm_dma_fault faults[FAULT_LOG];
	u64 fault_head, fault_tail; /* ring indexes */
	u64 nr_faults, dma_ops, dma_bytes; /* relaxed atomics */
};

/* ------------------------------------------------------------- driver */

static void *emu_hw_info(struct device *dev, u32 *length, u32 *type)
{
	(void)dev;
	/* The emulated IOMMU has no vendor registers to report. */
	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT)
		return ERR_PTR(-EOPNOTSUPP);
	*length = 0;
	return NULL;
}

static struct iommu_domain *emu_domain_alloc_paging(struct device *dev,
						    u32 flags)
{
	(void)dev;
	if (flags & ~(u32)IOMMU_HWPT_ALLOC_NEST_PARENT)
		return ERR_PTR(-EOPNOTSUPP);
	return emu_domain_alloc(SZ_4K | SZ_2M | SZ_1G);
}

static bool emu_capable(struct device *dev, enum iommu_cap cap)
{
	(void)dev;
	return cap == IOMMU_CAP_CACHE_COHERENCY;
}

static const struct iommu_ops emu_iommu_ops = {
	.hw_info = emu_hw_info,
	.domain_alloc_paging = emu_domain_alloc_paging,
	.capable = emu_capable,
};

/* ------------------------------------------------------------ devices */

int pm_device_create(struct pm_iommufd *pm, const char *name,
		     struct pm_device **out, uint32_t *dev_id)
{
	struct iommufd_ctx *ictx = pm ? &pm->ictx : NULL;
	struct pm_device *dev;
	int rc;

	if (!ictx || !out)
		return -EINVAL;
	rc = copy_nofault_init();
	if (rc)
		return rc;
	dev = kzalloc(sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->dev.iommu_ops = &emu_iommu_ops;
	rwlock_init(&dev->lock, &emu_device_class);
	mutex_init(&dev->fault_lock, &emu_device_class);
	INIT_LIST_HEAD(&dev->tlb.domain_item);
	snprintf(dev->name, sizeof(dev->name), "%s", name ? name : "emu");
	dev->ictx = ictx;
	dev->idev = iommufd_device_bind(ictx, &dev->dev, &dev->dev_id);
	if (IS_ERR(dev->idev)) {
		rc = (int)PTR_ERR(dev->idev);
		kfree(dev);
		return rc;
	}
	*out = dev;
	if (dev_id)
		*dev_id = dev->dev_id;
	return 0;
}

uint32_t pm_device_id(const struct pm_device *dev)
{
	return dev->dev_id;
}

static void tlb_follow_locked(struct pm_device *dev)
{
	struct iommufd_hwpt_paging *hwpt = dev->idev->hwpt;

	if (dev->tlb.domain)
		iotlb_detach(&dev->tlb);
	if (hwpt)
		iotlb_attach(&dev->tlb, hwpt->domain);
}

int pm_device_attach(struct pm_device *dev, uint32_t *pt_id)
{
	int rc;

	if (!dev || !pt_id)
		return -EINVAL;
	down_write(&dev->lock);
	rc = iommufd_device_attach(dev->idev, pt_id);
	if (!rc)
		tlb_follow_locked(dev);
	up_write(&dev->lock);
	return rc;
}

int pm_device_replace(struct pm_device *dev, uint32_t *pt_id)
{
	int rc;

	if (!dev || !pt_id)
		return -EINVAL;
	down_write(&dev->lock);
	rc = iommufd_device_replace(dev->idev, pt_id);
	if (!rc)
		tlb_follow_locked(dev);
	up_write(&dev->lock);
	return rc;
}

void pm_device_detach(struct pm_device *dev)
{
	if (!dev)
		return;
	down_write(&dev->lock);
	if (dev->idev->hwpt) {
		iotlb_detach(&dev->tlb);
		iommufd_device_detach(dev->idev);
	}
	up_write(&dev->lock);
}

void pm_device_destroy(struct pm_device *dev)
{
	if (!dev)
		return;
	pm_device_detach(dev);
	iommufd_device_unbind(dev->idev);
	rwlock_destroy(&dev->lock);
	mutex_destroy(&dev->fault_lock);
	kfree(dev);
}

/* ---------------------------------------------------------------- DMA */

static void record_fault(struct pm_device *dev, u64 iova,
			 enum pm_dma_fault_reason reason, bool write)
{
	struct pm_dma_fault *f;

	mutex_lock(&dev->fault_lock);
	f = &dev->faults[dev->fault_head++ % FAULT_LOG];
	f->iova = iova;
	f->reason = reason;
	f->write = write;
	if (dev->fault_head - dev->fault_tail > FAULT_LOG)
		dev->fault_tail = dev->fault_head - FAULT_LOG;
	mutex_unlock(&dev->fault_lock);
	__atomic_fetch_add(&dev->nr_faults, 1, __ATOMIC_RELAXED);
	pr_debug("%s: DMA %s fault at iova 0x%llx: %s", dev->name,
		 write ? "write" : "read", (unsigned long long)iova,
		 pm_dma_fault_reason_name(reason));
}

/*
 * One DMA transfer. Returns 0, or the fault reason (> 0) with *fault_iova.
 * Holds dev->lock (read) and the domain's dma_lock (read) throughout.
 */
static int dma_xfer(struct pm_device *dev, u64 iova, u8 *buf, size_t len,
		    bool write, u64 *fault_iova, struct iommufd_ioas **ioas)
{
	struct iommu_domain *d;
	u64 cur = iova;
	int reason = 0;

	down_read(&dev->lock);
	d = dev->tlb.domain;
	if (!d) {
		up_read(&dev->lock);
		*fault_iova = iova;
		return PM_DMA_FAULT_DETACHED;
	}
	*ioas = dev->idev->hwpt->ioas;
	down_read(&d->dma_lock);
	while (len) {
		size_t chunk = PAGE_SIZE - (cur & (PAGE_SIZE - 1));
		u8 *kva, *next;
		int rc;

		if (chunk > len)
			chunk = len;
		rc = iotlb_translate(&dev->tlb, cur, write, &kva);
		if (rc) {
			reason = rc == -EPERM ? PM_DMA_FAULT_READONLY :
						PM_DMA_FAULT_UNMAPPED;
			*fault_iova = cur;
			break;
		}
		/* Coalesce pages that follow each other in the host. */
		while (chunk < len &&
		       !iotlb_translate(&dev->tlb, cur + chunk, write, &next) &&
		       next == kva + chunk) {
			size_t more = len - chunk < PAGE_SIZE ? len - chunk :
								PAGE_SIZE;
			chunk += more;
		}
		if (write ? copy_nofault(kva, buf, chunk) :
			    copy_nofault(buf, kva, chunk)) {
			reason = PM_DMA_FAULT_MEMORY;
			*fault_iova = cur;
			break;
		}
		buf += chunk;
		cur += chunk;
		len -= chunk;
	}
	up_read(&d->dma_lock);
	up_read(&dev->lock);
	return reason;
}

static int dma_rw(struct pm_device *dev, u64 iova, void *buf, size_t len,
		  bool write)
{
	struct iommufd_ioas *ioas = NULL;
	u64 last, fault_iova = 0;
	int reason;

	if (!dev || (!buf && len))
		return -EINVAL;
	if (!len)
		return 0;
	if (range_last(iova, len, &last))
		return -EOVERFLOW;
	reason = dma_xfer(dev, iova, buf, len, write, &fault_iova, &ioas);
	__atomic_fetch_add(&dev->dma_ops, 1, __ATOMIC_RELAXED);
	if (!reason) {
		__atomic_fetch_add(&dev->dma_bytes, len, __ATOMIC_RELAXED);
		return 0;
	}
	/* Locks dropped: now tell an unmapped page from a private one. */
	if (ioas && (reason == PM_DMA_FAULT_UNMAPPED ||
		     reason == PM_DMA_FAULT_MEMORY) &&
	    iopt_iova_is_private(&ioas->iopt, fault_iova))
		reason = PM_DMA_FAULT_PRIVATE;
	record_fault(dev, fault_iova, reason, write);
	return -EFAULT;
}

int pm_dma_read(struct pm_device *dev, uint64_t iova, void *buf, size_t len)
{
	return dma_rw(dev, iova, buf, len, false);
}

int pm_dma_write(struct pm_device *dev, uint64_t iova, const void *buf,
		 size_t len)
{
	return dma_rw(dev, iova, (void *)buf, len, true);
}

int pm_dma_rw_sg(struct pm_device *dev, const struct pm_dma_sg *sg,
		 unsigned int nr, int write)
{
	unsigned int i;
	int rc;

	if (!sg && nr)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		rc = dma_rw(dev, sg[i].iova, sg[i].buf, sg[i].len, write);
		if (rc)
			return rc;
	}
	return 0;
}

int pm_device_read_faults(struct pm_device *dev, struct pm_dma_fault *out,
			  unsigned int max)
{
	unsigned int n = 0;

	if (!dev || (!out && max))
		return -EINVAL;
	mutex_lock(&dev->fault_lock);
	while (n < max && dev->fault_tail < dev->fault_head)
		out[n++] = dev->faults[dev->fault_tail++ % FAULT_LOG];
	mutex_unlock(&dev->fault_lock);
	return (int)n;
}

const char *pm_dma_fault_reason_name(enum pm_dma_fault_reason r)
{
	switch (r) {
	case PM_DMA_FAULT_UNMAPPED:
		return "unmapped";
	case PM_DMA_FAULT_READONLY:
		return "read-only";
	case PM_DMA_FAULT_PRIVATE:
		return "private";
	case PM_DMA_FAULT_DETACHED:
		return "detached";
	case PM_DMA_FAULT_MEMORY:
		return "memory fault";
	}
	return "unknown";
}

int pm_device_get_stats(struct pm_device *dev, struct pm_device_stats *st)
{
	if (!dev || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->dma_ops = __atomic_load_n(&dev->dma_ops, __ATOMIC_RELAXED);
	st->dma_bytes = __atomic_load_n(&dev->dma_bytes, __ATOMIC_RELAXED);
	st->faults = __atomic_load_n(&dev->nr_faults, __ATOMIC_RELAXED);
	st->iotlb_hits = __atomic_load_n(&dev->tlb.hits, __ATOMIC_RELAXED);
	st->iotlb_misses = __atomic_load_n(&dev->tlb.misses, __ATOMIC_RELAXED);
	st->iotlb_invalidations =
		__atomic_load_n(&dev->tlb.invalidations, __ATOMIC_RELAXED);
	return 0;
}
