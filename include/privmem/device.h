/* SPDX-License-Identifier: MIT */
/*
 * Emulated devices behind privmem's emulated IOMMU, and their DMA.
 *
 * /dev/iommu has no attach ioctl: Linux binds and attaches devices through
 * VFIO cdevs (VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT).
 * Here an emulated device is created, bound, attached and replaced through
 * these calls, modelled on Linux's iommufd_device_bind/attach/replace; its
 * dev_id is an iommufd DEVICE object that the uAPI accepts (IOMMU_HWPT_ALLOC,
 * IOMMU_GET_HW_INFO).
 *
 * DMA goes through the device's IOTLB and its domain's IO page table, with
 * permission checks. A fault (unmapped IOVA, write to a read-only
 * mapping, a page that is private) is recorded with its IOVA and reason and
 * returned as an error; nothing else is lost. DMA reaches memory through
 * the backing store's host view, where private pages fault, so even a stale
 * translation cannot read a private byte.
 *
 * Guarantees on conversion, unmap, punch-hole and close: they return only
 * after DMA in flight through the affected domains has finished; DMA that
 * starts later sees the new state.
 */
#ifndef PRIVMEM_DEVICE_H
#define PRIVMEM_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pm_iommufd;
struct pm_device;

/**
 * pm_device_create() - create an emulated device and bind it to a context
 * @name: for reports (copied), may be NULL
 * @dev_id: out: the iommufd DEVICE object id
 * Return: 0 or -errno.
 */
int pm_device_create(struct pm_iommufd *ictx, const char *name,
		     struct pm_device **out, uint32_t *dev_id);
/* Detach if attached, unbind, free. Never fails. */
void pm_device_destroy(struct pm_device *dev);

/*
 * Attach to @pt_id: an IOAS (an automatic paging HWPT of that IOAS is
 * reused or created; *@pt_id returns its id) or a HWPT_PAGING.
 * Return: 0, -EINVAL (already attached), -ENOENT, -EADDRINUSE (areas
 * outside the aperture), -ENOMEM.
 */
int pm_device_attach(struct pm_device *dev, uint32_t *pt_id);
/* Move to another IOAS/HWPT; on failure the old attachment stays. */
int pm_device_replace(struct pm_device *dev, uint32_t *pt_id);
void pm_device_detach(struct pm_device *dev);
uint32_t pm_device_id(const struct pm_device *dev);

/* Device DMA by IOVA. Return: 0, or -EFAULT (a fault was recorded). */
int pm_dma_read(struct pm_device *dev, uint64_t iova, void *buf, size_t len);
int pm_dma_write(struct pm_device *dev, uint64_t iova, const void *buf,
		 size_t len);

struct pm_dma_sg {
	uint64_t iova;
	void *buf;
	size_t len;
};
/* Scatter-gather: each element in order; stops at the first fault. */
int pm_dma_rw_sg(struct pm_device *dev, const struct pm_dma_sg *sg,
		 unsigned int nr, int write);

enum pm_dma_fault_reason {
	PM_DMA_FAULT_UNMAPPED = 1, /* no translation for the IOVA */
	PM_DMA_FAULT_READONLY = 2, /* write to a read-only mapping */
	PM_DMA_FAULT_PRIVATE = 3,  /* the page is private guest memory */
	PM_DMA_FAULT_DETACHED = 4, /* the device has no domain */
	PM_DMA_FAULT_MEMORY = 5,   /* the host memory behind it faulted */
};

struct pm_dma_fault {
	uint64_t iova;
	enum pm_dma_fault_reason reason;
	int write;
};

/*
 * Faults recorded since the last call, oldest first, at most @max (older
 * ones are counted but overwritten: the log keeps the last 64).
 * Return: the number stored in @out.
 */
int pm_device_read_faults(struct pm_device *dev, struct pm_dma_fault *out,
			  unsigned int max);
const char *pm_dma_fault_reason_name(enum pm_dma_fault_reason r);

struct pm_device_stats {
	uint64_t dma_ops;
	uint64_t dma_bytes;
	uint64_t faults;
	uint64_t iotlb_hits;
	uint64_t iotlb_misses;
	uint64_t iotlb_invalidations; /* entries dropped by unmap/conversion */
};
int pm_device_get_stats(struct pm_device *dev, struct pm_device_stats *st);

#ifdef __cplusplus
}
#endif

#endif
