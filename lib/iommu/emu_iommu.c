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
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <privmem/device.h>
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "common/uaccess.h"
#include "gmem/gmem_private.h"
#include "emu_iommu.h"
#include "io_pgtable.h"

static DEFINE_LOCK_CLASS(emu_device_class, LOCK_RANK_DEVICE);

/* ------------------------------------------------------------- driver */

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
	/*
	 * No hw_info: the emulated IOMMU has no vendor registers, and
	 * Linux's core answers IOMMU_HW_INFO_TYPE_DEFAULT with no data for a
	 * driver without the callback (a driver with one must report a type
	 * of its own).
	 */
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
	INIT_LIST_HEAD(&dev->ttlb.domain_item);
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
	/*
	 * Off the old domain first: a replace frees an automatic HWPT the
	 * device was the last user of, and its domain with it. Then onto
	 * the new one, or back onto the old if the replace failed.
	 */
	if (dev->tlb.domain)
		iotlb_detach(&dev->tlb);
	rc = iommufd_device_replace(dev->idev, pt_id);
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
	unsigned int i;

	if (!dev)
		return;
	/* An owner that forgot its binding: unbind, revoking first. */
	if (dev->protfd)
		pm_protfd_destroy(dev->protfd);
	for (i = 0; i < EMU_NR_BARS; i++)
		pm_gmem_close(dev->bar[i]);
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
	f = &dev->faults[dev->fault_head++ % EMU_FAULT_LOG];
	f->iova = iova;
	f->reason = reason;
	f->write = write;
	if (dev->fault_head - dev->fault_tail > EMU_FAULT_LOG)
		dev->fault_tail = dev->fault_head - EMU_FAULT_LOG;
	mutex_unlock(&dev->fault_lock);
	__atomic_fetch_add(&dev->nr_faults, 1, __ATOMIC_RELAXED);
	pr_debug("%s: DMA %s fault at iova 0x%llx: %s", dev->name,
		 write ? "write" : "read", (unsigned long long)iova,
		 pm_dma_fault_reason_name(reason));
}

/*
 * Copy a run that is contiguous in the host. On a fault, find the first
 * page that faults (the run's copy cannot say where it stopped) so the
 * fault is recorded at its IOVA; redoing the pages before it is harmless.
 */
static int copy_pages(u8 *kva, u8 *buf, size_t len, bool write, u64 iova,
		      u64 *fault_iova)
{
	size_t done = 0;

	if (!(write ? copy_nofault(kva, buf, len) : copy_nofault(buf, kva, len)))
		return 0;
	while (done < len) {
		size_t n = PAGE_SIZE - ((iova + done) & (PAGE_SIZE - 1));

		if (n > len - done)
			n = len - done;
		if (write ? copy_nofault(kva + done, buf + done, n) :
			    copy_nofault(buf + done, kva + done, n))
			break;
		done += n;
	}
	*fault_iova = iova + (done < len ? done : 0);
	return -EFAULT;
}

/*
 * Translate and copy, page by page through @tlb, coalescing runs that are
 * contiguous in the host. With @pf (trusted DMA), a missing translation is
 * filled on demand. Called with dev->lock and the domain's dma_lock held
 * for read. Returns 0, or the fault reason (> 0) with *fault_iova.
 */
static int xfer_run(struct iotlb *tlb, struct pm_protfd *pf, u64 iova,
		    u8 *buf, size_t len, bool write, u64 *fault_iova,
		    struct iotlb_tally *t)
{
	u64 cur = iova;

	while (len) {
		size_t chunk = PAGE_SIZE - (cur & (PAGE_SIZE - 1));
		u8 *kva, *next;
		int rc;

		if (chunk > len)
			chunk = len;
		rc = iotlb_translate(tlb, cur, write, &kva, t);
		if (rc == -ENOENT && pf) {
			int reason = protfd_fill(pf, cur);

			if (reason) {
				*fault_iova = cur;
				return reason;
			}
			rc = iotlb_translate(tlb, cur, write, &kva, t);
		}
		if (rc) {
			*fault_iova = cur;
			return rc == -EPERM ? PM_DMA_FAULT_READONLY :
					      PM_DMA_FAULT_UNMAPPED;
		}
		while (chunk < len &&
		       !iotlb_translate(tlb, cur + chunk, write, &next, t) &&
		       next == kva + chunk) {
			size_t more = len - chunk < PAGE_SIZE ? len - chunk :
								PAGE_SIZE;
			chunk += more;
		}
		if (copy_pages(kva, buf, chunk, write, cur, fault_iova))
			return PM_DMA_FAULT_MEMORY;
		buf += chunk;
		cur += chunk;
		len -= chunk;
	}
	return 0;
}

static int xfer_locked(struct iotlb *tlb, struct pm_protfd *pf, u64 iova,
		       u8 *buf, size_t len, bool write, u64 *fault_iova)
{
	struct iotlb_tally t = { 0 };
	int reason = xfer_run(tlb, pf, iova, buf, len, write, fault_iova, &t);

	iotlb_tally_commit(tlb, &t);
	return reason;
}

/*
 * One DMA transfer, untrusted (T=0) through the device's domain or trusted
 * (T=1) through its protection fd's. Returns 0, or the fault reason (> 0)
 * with *fault_iova.
 */
static int dma_xfer(struct pm_device *dev, u64 iova, u8 *buf, size_t len,
		    bool write, bool trusted, u64 *fault_iova)
{
	struct pm_protfd *pf = NULL;
	struct iommu_domain *d;
	struct iotlb *tlb;
	int reason;

	*fault_iova = iova;
	down_read(&dev->lock);
	if (trusted) {
		pf = dev->protfd;
		if (!pf || !protfd_running(pf)) {
			up_read(&dev->lock);
			return PM_DMA_FAULT_NOT_RUN;
		}
		d = protfd_domain(pf);
		tlb = &dev->ttlb;
	} else {
		d = dev->tlb.domain;
		tlb = &dev->tlb;
		if (!d) {
			up_read(&dev->lock);
			return PM_DMA_FAULT_DETACHED;
		}
	}
	down_read(&d->dma_lock);
	reason = xfer_locked(tlb, pf, iova, buf, len, write, fault_iova);
	up_read(&d->dma_lock);
	/*
	 * An untrusted miss may have a reason beyond "unmapped": the page is
	 * private, or the device memory behind it was revoked. Asked with
	 * dma_lock dropped (the IOAS locks rank above it) but the device
	 * still attached, so the IOAS is still there.
	 */
	if (!trusted && (reason == PM_DMA_FAULT_UNMAPPED ||
			 reason == PM_DMA_FAULT_MEMORY)) {
		int why = iopt_iova_fault_reason(&dev->idev->hwpt->ioas->iopt,
						 *fault_iova);

		if (why)
			reason = why;
	}
	up_read(&dev->lock);
	return reason;
}

static int dma_rw(struct pm_device *dev, u64 iova, void *buf, size_t len,
		  bool write, bool trusted)
{
	u64 last, fault_iova = 0;
	int reason;

	if (!dev || (!buf && len))
		return -EINVAL;
	if (!len)
		return 0;
	if (range_last(iova, len, &last))
		return -EOVERFLOW;
	reason = dma_xfer(dev, iova, buf, len, write, trusted, &fault_iova);
	__atomic_fetch_add(&dev->dma_ops, 1, __ATOMIC_RELAXED);
	if (!reason) {
		__atomic_fetch_add(&dev->dma_bytes, len, __ATOMIC_RELAXED);
		return 0;
	}
	record_fault(dev, fault_iova, reason, write);
	return -EFAULT;
}

int pm_dma_read(struct pm_device *dev, uint64_t iova, void *buf, size_t len)
{
	return dma_rw(dev, iova, buf, len, false, false);
}

int pm_dma_write(struct pm_device *dev, uint64_t iova, const void *buf,
		 size_t len)
{
	return dma_rw(dev, iova, (void *)buf, len, true, false);
}

int pm_dma_read_trusted(struct pm_device *dev, uint64_t iova, void *buf,
			size_t len)
{
	return dma_rw(dev, iova, buf, len, false, true);
}

int pm_dma_write_trusted(struct pm_device *dev, uint64_t iova,
			 const void *buf, size_t len)
{
	return dma_rw(dev, iova, (void *)buf, len, true, true);
}

int pm_dma_rw_sg(struct pm_device *dev, const struct pm_dma_sg *sg,
		 unsigned int nr, int write)
{
	unsigned int i;
	int rc;

	if (!sg && nr)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		rc = dma_rw(dev, sg[i].iova, sg[i].buf, sg[i].len, write,
			    false);
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
		out[n++] = dev->faults[dev->fault_tail++ % EMU_FAULT_LOG];
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
	case PM_DMA_FAULT_NOT_RUN:
		return "trusted, not in RUN";
	case PM_DMA_FAULT_SHARED:
		return "trusted, not private";
	case PM_DMA_FAULT_REVOKED:
		return "revoked";
	}
	return "unknown";
}

int pm_device_get_stats(struct pm_device *dev, struct pm_device_stats *st)
{
	struct io_pgtable_stats pt;

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
	down_read(&dev->lock);
	if (dev->tlb.domain && emu_domain_get_stats(dev->tlb.domain, &pt)) {
		st->pt_bytes = pt.table_bytes + pt.reserve_bytes;
		st->pt_leaves_4k = pt.leaves[0];
		st->pt_leaves_2m = pt.leaves[1];
		st->pt_leaves_1g = pt.leaves[2];
	}
	up_read(&dev->lock);
	return 0;
}

int pm_dma_translate(struct pm_device *dev, const uint64_t *iova,
		     unsigned int n, int write)
{
	struct iotlb_tally t = { 0 };
	struct iommu_domain *d;
	unsigned int i = 0;
	u8 *kva;

	if (!dev || (!iova && n) || n > INT_MAX)
		return -EINVAL;
	down_read(&dev->lock);
	d = dev->tlb.domain;
	if (d) {
		down_read(&d->dma_lock);
		while (i < n && !iotlb_translate(&dev->tlb, iova[i], write,
						 &kva, &t))
			i++;
		iotlb_tally_commit(&dev->tlb, &t);
		up_read(&d->dma_lock);
	}
	up_read(&dev->lock);
	return (int)i;
}

/* ------------------------------------------------------ config space */

static int config_range(unsigned int offset, unsigned int len)
{
	return offset > PM_DEVICE_CONFIG_SIZE ||
			       len > PM_DEVICE_CONFIG_SIZE - offset ?
		       -EINVAL :
		       0;
}

int pm_device_config_read(struct pm_device *dev, unsigned int offset,
			  void *buf, unsigned int len)
{
	if (!dev || (!buf && len) || config_range(offset, len))
		return -EINVAL;
	memcpy(buf, dev->config + offset, len);
	return 0;
}

int pm_device_config_write(struct pm_device *dev, unsigned int offset,
			   const void *buf, unsigned int len)
{
	if (!dev || (!buf && len) || config_range(offset, len))
		return -EINVAL;
	memcpy(dev->config + offset, buf, len);
	/* A locked configuration changed: TDISP's move to ERROR. */
	if (dev->protfd)
		protfd_device_error(dev->protfd);
	return 0;
}

/* ------------------------------------------------------------- BARs */

/*
 * A BAR's memory is a gmem store of its own, all shared, on a memfd: its
 * shared fd is what pm_device_bar_fd() exports, its host view is the
 * device's own view. MAP_FILE of that fd maps through the store, so the
 * store's notifiers reach every IOAS area of it: closing the store at
 * reset removes the translations (draining DMA in flight), and the areas,
 * left without a store, fault as revoked until they are mapped again.
 */
static int bar_store(struct pm_device *dev, unsigned int bar, u64 size,
		     struct pm_gmem **out)
{
	char name[48];
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_MEMFD,
		.size = size,
		.vm_fd = -1,
		.fd = -1,
		.name = name,
	};

	snprintf(name, sizeof(name), "%s-bar%u", dev->name, bar);
	return pm_gmem_create(&cfg, out);
}

int pm_device_add_bar(struct pm_device *dev, unsigned int bar, uint64_t size)
{
	if (!dev || bar >= EMU_NR_BARS || !size || size % PAGE_SIZE)
		return -EINVAL;
	if (dev->bar[bar])
		return -EEXIST;
	dev->bar_size[bar] = size;
	return bar_store(dev, bar, size, &dev->bar[bar]);
}

int pm_device_bar_fd(struct pm_device *dev, unsigned int bar)
{
	if (!dev || bar >= EMU_NR_BARS)
		return -EINVAL;
	if (!dev->bar[bar])
		return -ENOENT;
	return pm_gmem_shared_fd(dev->bar[bar]);
}

void *pm_device_bar_ptr(struct pm_device *dev, unsigned int bar)
{
	if (!dev || bar >= EMU_NR_BARS || !dev->bar[bar])
		return NULL;
	return pm_gmem_host_view(dev->bar[bar]);
}

uint64_t pm_device_bar_size(struct pm_device *dev, unsigned int bar)
{
	if (!dev || bar >= EMU_NR_BARS || !dev->bar[bar])
		return 0;
	return dev->bar_size[bar];
}

int pm_device_set_reset_cb(struct pm_device *dev,
			   void (*cb)(struct pm_device *dev, void *opaque),
			   void *opaque)
{
	if (!dev)
		return -EINVAL;
	dev->reset_cb = cb;
	dev->reset_opaque = opaque;
	return 0;
}

int pm_device_reset(struct pm_device *dev)
{
	struct pm_gmem *fresh[EMU_NR_BARS] = { NULL };
	unsigned int i;
	int rc;

	if (!dev)
		return -EINVAL;
	/* What can fail first: the reset either happens whole or not. */
	for (i = 0; i < EMU_NR_BARS; i++) {
		if (!dev->bar[i])
			continue;
		rc = bar_store(dev, i, dev->bar_size[i], &fresh[i]);
		if (rc) {
			while (i--)
				pm_gmem_close(fresh[i]);
			return rc;
		}
	}
	if (dev->protfd)
		protfd_device_reset(dev->protfd);
	if (dev->reset_cb)
		dev->reset_cb(dev, dev->reset_opaque);
	for (i = 0; i < EMU_NR_BARS; i++) {
		if (!dev->bar[i])
			continue;
		pm_gmem_close(dev->bar[i]);
		dev->bar[i] = fresh[i];
	}
	return 0;
}
