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

/*
 * Trusted (T=1) DMA of a device bound through a protection fd
 * (protfd.h): reaches the guest's private pages, at IOVA = iova_base +
 * store offset, while the binding is in RUN; anything else faults
 * (PM_DMA_FAULT_NOT_RUN, or PM_DMA_FAULT_SHARED for a page that is not
 * private). Return: 0 or -EFAULT (a fault was recorded).
 */
int pm_dma_read_trusted(struct pm_device *dev, uint64_t iova, void *buf,
			size_t len);
int pm_dma_write_trusted(struct pm_device *dev, uint64_t iova,
			 const void *buf, size_t len);

enum pm_dma_fault_reason {
	PM_DMA_FAULT_UNMAPPED = 1, /* no translation for the IOVA */
	PM_DMA_FAULT_READONLY = 2, /* write to a read-only mapping */
	PM_DMA_FAULT_PRIVATE = 3,  /* the page is private guest memory */
	PM_DMA_FAULT_DETACHED = 4, /* the device has no domain */
	PM_DMA_FAULT_MEMORY = 5,   /* the host memory behind it faulted */
	PM_DMA_FAULT_NOT_RUN = 6,  /* trusted DMA while not bound in RUN */
	PM_DMA_FAULT_SHARED = 7,   /* trusted DMA to a page that is not private */
	PM_DMA_FAULT_REVOKED = 8,  /* device memory behind it was revoked */
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
	/*
	 * The IO page table of the domain the device is attached to (zeros
	 * when detached, or for a domain that is not the emulated IOMMU's):
	 * bytes of tables (the cut reserve included) and leaves by size.
	 */
	uint64_t pt_bytes;
	uint64_t pt_leaves_4k, pt_leaves_2m, pt_leaves_1g;
};
int pm_device_get_stats(struct pm_device *dev, struct pm_device_stats *st);

/*
 * pm_dma_translate() - ATS-style translation requests, no data moved
 * Translate @n IOVAs (for writing if @write) through the device's IOTLB
 * and domain, as one request: a device model checks a descriptor ring's
 * buffers before using them. Nothing is recorded as a fault.
 * Return: how many of @iova translate before the first that does not
 * (@n if all do), or -EINVAL.
 */
int pm_dma_translate(struct pm_device *dev, const uint64_t *iova,
		     unsigned int n, int write);

/*
 * Configuration space (PM_DEVICE_CONFIG_SIZE bytes, zeros at creation),
 * covered by the interface report of a protection fd. Writing it while the
 * device is bound LOCKED or RUN moves the binding to ERROR (revoking it),
 * as TDISP requires; the write itself is applied.
 * Return: 0, or -EINVAL for a range outside the space.
 */
#define PM_DEVICE_CONFIG_SIZE 256
int pm_device_config_read(struct pm_device *dev, unsigned int offset,
			  void *buf, unsigned int len);
int pm_device_config_write(struct pm_device *dev, unsigned int offset,
			   const void *buf, unsigned int len);

/*
 * Device memory (BARs) as file descriptors.
 *
 * pm_device_add_bar() gives the device a memory region @bar (0..5) of
 * @size bytes (a multiple of 4 KiB), backed by a memfd. pm_device_bar_fd()
 * exports it: the VMM may bind the fd into a KVM memslot (the guest
 * reaches device memory directly) and map it into an IOAS with
 * IOMMU_IOAS_MAP_FILE (peer-to-peer DMA from another device); the fd stays
 * owned by the device. pm_device_bar_ptr() is the device model's own view
 * of its memory.
 *
 * pm_device_reset() revokes both, as Linux revokes a VFIO dma-buf: it first
 * revokes a protection-fd binding (PM_PROTFD_REVOKE_RESET), then calls the
 * reset callback (the VMM deletes memslots of the old BAR fds there), then
 * removes every IOAS translation of the old BAR memory (DMA in flight
 * drains) and gives each BAR fresh, zeroed memory behind a new fd. The IOAS
 * areas stay but are not restored: DMA through them faults with
 * PM_DMA_FAULT_REVOKED and access reads fail with -ENODEV until they are
 * unmapped and the new fd mapped again.
 *
 * Return: 0 or -errno (-EINVAL bad index or size, -EEXIST BAR in use,
 * -ENOENT no such BAR); pm_device_bar_fd() returns the fd or -errno;
 * pm_device_bar_ptr() NULL for no such BAR.
 */
int pm_device_add_bar(struct pm_device *dev, unsigned int bar, uint64_t size);
int pm_device_bar_fd(struct pm_device *dev, unsigned int bar);
void *pm_device_bar_ptr(struct pm_device *dev, unsigned int bar);
uint64_t pm_device_bar_size(struct pm_device *dev, unsigned int bar);
int pm_device_set_reset_cb(struct pm_device *dev,
			   void (*cb)(struct pm_device *dev, void *opaque),
			   void *opaque);
int pm_device_reset(struct pm_device *dev);

#ifdef __cplusplus
}
#endif

#endif
