/* SPDX-License-Identifier: MIT */
/*
 * A userspace iommufd: Linux's /dev/iommu object model and uAPI, with a
 * second mapping protocol by (fd, offset) that reaches guest_memfd through
 * the gmem store's provider API instead of pinning a host virtual address.
 *
 * A context is what an open /dev/iommu is. pm_iommufd_ioctl() takes Linux's
 * command numbers and struct layouts (include/privmem/uapi/iommufd.h) and
 * behaves as the kernel does, including the size rules, EFAULT for bad
 * pointers, and returning -1 with errno set. The typed functions below sit
 * on the same code for embedders and return 0 or -errno.
 *
 * Differences from Linux, by design (see docs/design-iommu.md):
 *  - "Pinning" user memory (IOMMU_IOAS_MAP) means faulting it in, mlock()ing
 *    it and using that address; if the caller munmaps it, later DMA faults
 *    and is recorded instead of reaching the old page.
 *  - RLIMIT_MEMLOCK accounting in user mode is per process, not per user.
 *  - The context lives in this process's memory; IOMMU_IOAS_CHANGE_PROCESS
 *    re-charges pinned pages to the calling process.
 *
 * Thread safety: a context may be used from several threads at once, as a
 * file descriptor may.
 */
#ifndef PRIVMEM_IOMMUFD_H
#define PRIVMEM_IOMMUFD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pm_iommufd;
struct pm_gmem;

/* Open a context (an open /dev/iommu). Return: 0 or -ENOMEM. */
int pm_iommufd_open(struct pm_iommufd **out);
/* Close: every object is destroyed, leaves first. Never fails. */
void pm_iommufd_close(struct pm_iommufd *ictx);

/*
 * pm_iommufd_ioctl() - ioctl(2) on the context
 * Return: >= 0 on success; -1 with errno set on failure, as Linux returns.
 */
int pm_iommufd_ioctl(struct pm_iommufd *ictx, unsigned long cmd, void *arg);

/* Typed entries; flags are IOMMU_IOAS_MAP_* from the uAPI. */
int pm_iommufd_destroy(struct pm_iommufd *ictx, uint32_t id);
int pm_ioas_alloc(struct pm_iommufd *ictx, uint32_t *ioas_id);
int pm_ioas_map(struct pm_iommufd *ictx, uint32_t ioas_id, void *va,
		uint64_t length, uint64_t *iova, uint32_t flags);
int pm_ioas_map_file(struct pm_iommufd *ictx, uint32_t ioas_id, int fd,
		     uint64_t start, uint64_t length, uint64_t *iova,
		     uint32_t flags);
/*
 * Map [offset, offset + length) of a gmem store. Shared pages are reachable
 * by DMA; private pages have no translation, and pages that convert follow:
 * to private, their translations go before the conversion completes; back
 * to shared, they return at the same IOVA. Memory of a store is not charged
 * against RLIMIT_MEMLOCK again.
 */
int pm_ioas_map_gmem(struct pm_iommufd *ictx, uint32_t ioas_id,
		     struct pm_gmem *g, uint64_t offset, uint64_t length,
		     uint64_t *iova, uint32_t flags);
int pm_ioas_unmap(struct pm_iommufd *ictx, uint32_t ioas_id, uint64_t iova,
		  uint64_t length, uint64_t *unmapped);
int pm_ioas_copy(struct pm_iommufd *ictx, uint32_t dst_ioas_id,
		 uint32_t src_ioas_id, uint64_t src_iova, uint64_t length,
		 uint64_t *dst_iova, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif
