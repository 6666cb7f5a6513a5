/* SPDX-License-Identifier: MIT */
/*
 * The emulated IOMMU's devices, shared between emu_iommu.c (devices, DMA,
 * BARs) and protfd.c (the trusted binding).
 */
#ifndef PRIVMEM_IOMMU_EMU_IOMMU_H
#define PRIVMEM_IOMMU_EMU_IOMMU_H

#include <privmem/device.h>
#include <privmem/protfd.h>
#include "iommufd_private.h"

#define EMU_FAULT_LOG 64
#define EMU_NR_BARS 6

/*
 * Lock order: protfd->lock -> dev->lock -> (iommufd locks | a domain's
 * dma_lock -> protfd->holds_lock -> domain locks -> gmem state lock).
 */
struct pm_device {
	struct device dev;
	/*
	 * The attachment and the binding: DMA holds it for read, attach,
	 * replace, detach and protfd create/destroy take it for write.
	 */
	struct rwlock lock;
	struct iommufd_ctx *ictx;
	struct iommufd_device *idev;
	u32 dev_id;
	char name[32];
	struct iotlb tlb; /* attached while idev->hwpt is set */
	struct pm_protfd *protfd; /* the trusted binding, or NULL */
	struct iotlb ttlb; /* trusted IOTLB: on protfd's domain while bound */

	struct mutex fault_lock; /* the fault log */
	struct pm_dma_fault faults[EMU_FAULT_LOG];
	u64 fault_head, fault_tail; /* ring indexes */
	u64 nr_faults, dma_ops, dma_bytes; /* relaxed atomics */

	/*
	 * Config space and BARs: changed by the device's owner, not
	 * concurrently with DMA to the BARs or with reset (the caller
	 * serializes, as a device model's own thread does).
	 */
	u8 config[PM_DEVICE_CONFIG_SIZE];
	struct pm_gmem *bar[EMU_NR_BARS];
	u64 bar_size[EMU_NR_BARS];
	void (*reset_cb)(struct pm_device *dev, void *opaque);
	void *reset_opaque;
};

/* protfd.c, for the DMA path of emu_iommu.c. */

/* The trusted domain of a binding (never NULL while bound). */
struct iommu_domain *protfd_domain(struct pm_protfd *pf);
bool protfd_running(struct pm_protfd *pf);
/*
 * Fill the trusted translation of @iova on demand. Called with dev->lock
 * and the trusted domain's dma_lock held for read. Return: 0, or the
 * fault reason (> 0).
 */
int protfd_fill(struct pm_protfd *pf, u64 iova);
/* The device changed under the binding: reset or error transitions. */
void protfd_device_reset(struct pm_protfd *pf);
void protfd_device_error(struct pm_protfd *pf);

#endif
