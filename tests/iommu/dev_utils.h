/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the iommu suite (the files of tests/iommu): emulated devices
 * behind the emulated IOMMU, their DMA, faults and IOTLB counters. Public
 * API only: <privmem/device.h>, <privmem/iommufd.h>, <privmem/gmem.h> and
 * the uAPI.
 *
 * The iommufd suite's helpers (tests/iommufd/utils.h: contexts, IOAS
 * commands through pm_iommufd_ioctl(), patterns, buffers, memfds) are
 * reused as they are; this file adds what a device needs.
 *
 * Geometry: the emulated IOMMU translates 4 KiB pages (PG) over the
 * aperture [0, 2^48 - 1]; tests map at IOVA_BASE and above.
 */
#ifndef PRIVMEM_TESTS_IOMMU_DEV_UTILS_H
#define PRIVMEM_TESTS_IOMMU_DEV_UTILS_H

#include <privmem/device.h>
#include "iommufd/utils.h"

#define IOVA_BASE (1ULL << 30)
#define EMU_APERTURE_LAST ((1ULL << 48) - 1)
#define RO IOMMU_IOAS_MAP_READABLE
#define FIXED_RO (IOMMU_IOAS_MAP_FIXED_IOVA | RO)

#define HUGE_2M_FREE "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#define HUGE_1G_FREE \
	"/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"

/*
 * Every test opens its context with this: it also arms a watchdog, so a
 * test that hangs (a deadlock, a lock on freed memory) dies of SIGALRM in
 * seconds and is reported, instead of holding the suite to its timeout.
 */
#define TEST_WATCHDOG_S 10

static inline struct pm_iommufd *ictx_open(void)
{
	alarm(TEST_WATCHDOG_S);
	return ctx_open();
}

/* An emulated device bound to @ctx; *dev_id (may be NULL) gets its id. */
static inline struct pm_device *dev_new(struct pm_iommufd *ctx,
					const char *name, uint32_t *dev_id)
{
	struct pm_device *dev = NULL;
	uint32_t id = 0;

	ASSERT_OK(pm_device_create(ctx, name, &dev, &id));
	ASSERT_TRUE(dev);
	ASSERT_NE(id, 0);
	ASSERT_EQ(pm_device_id(dev), id);
	if (dev_id)
		*dev_id = id;
	return dev;
}

/* Attach @dev to @pt (an IOAS or a HWPT); return the HWPT it is on. */
static inline uint32_t dev_attach(struct pm_device *dev, uint32_t pt)
{
	uint32_t id = pt;

	ASSERT_OK(pm_device_attach(dev, &id));
	ASSERT_NE(id, 0);
	return id;
}

static inline struct pm_device_stats dev_stats(struct pm_device *dev)
{
	struct pm_device_stats st;

	memset(&st, 0xff, sizeof(st));
	ASSERT_OK(pm_device_get_stats(dev, &st));
	return st;
}

/* Drain the fault log; return how many there were (at most @max kept). */
static inline int faults_drain(struct pm_device *dev, struct pm_dma_fault *out,
			       unsigned int max)
{
	int n = pm_device_read_faults(dev, out, max);

	ASSERT_GE(n, 0);
	return n;
}

#define ASSERT_NO_FAULTS(dev)                                                  \
	do {                                                                   \
		struct pm_dma_fault __f[4];                                    \
		int __n = faults_drain((dev), __f, 4);                         \
		if (__n)                                                       \
			FAIL("%d unexpected fault(s); first: %s at 0x%llx", \
			     __n, pm_dma_fault_reason_name(__f[0].reason),     \
			     (unsigned long long)__f[0].iova);                 \
	} while (0)

/* Exactly one fault is in the log: @reason at @iova, a write or not. */
#define ASSERT_ONE_FAULT(dev, iova_, reason_, write_)                          \
	do {                                                                   \
		struct pm_dma_fault __f[4];                                    \
		int __n = faults_drain((dev), __f, 4);                         \
		ASSERT_EQ(__n, 1);                                             \
		if (__f[0].reason != (reason_))                                \
			FAIL("fault reason %s (%d), expected %s",              \
			     pm_dma_fault_reason_name(__f[0].reason),          \
			     (int)__f[0].reason,                               \
			     pm_dma_fault_reason_name(reason_));               \
		ASSERT_U64_EQ(__f[0].iova, (iova_));                           \
		ASSERT_EQ(!!__f[0].write, !!(write_));                         \
	} while (0)

/* A DMA read of @len bytes at @iova fails with @reason at @fault_iova. */
#define ASSERT_READ_FAULTS(dev, iova, len, fault_iova, reason)                 \
	do {                                                                   \
		size_t __l = (len);                                            \
		uint8_t *__b = malloc(__l);                                    \
		ASSERT_TRUE(__b);                                              \
		ASSERT_ERR(EFAULT, pm_dma_read((dev), (iova), __b, __l));      \
		free(__b);                                                     \
		ASSERT_ONE_FAULT((dev), (fault_iova), (reason), 0);            \
	} while (0)

/* A DMA read of @len bytes at @iova succeeds and equals @want. */
#define ASSERT_DMA_EQ(dev, iova, want, len)                                    \
	do {                                                                   \
		size_t __l = (len);                                            \
		uint8_t *__b = malloc(__l);                                    \
		ASSERT_TRUE(__b);                                              \
		memset(__b, 0xee, __l);                                        \
		ASSERT_OK(pm_dma_read((dev), (iova), __b, __l));               \
		if (memcmp(__b, (want), __l))                                  \
			FAIL("DMA read at 0x%llx differs from %s",             \
			     (unsigned long long)(iova), #want);               \
		free(__b);                                                     \
	} while (0)

/* A DMA read at @iova succeeds and shows pattern @seed. */
#define ASSERT_DMA_PAT(dev, iova, len, seed)                                   \
	do {                                                                   \
		size_t __l = (len);                                            \
		uint8_t *__b = malloc(__l);                                    \
		ASSERT_TRUE(__b);                                              \
		ASSERT_OK(pm_dma_read((dev), (iova), __b, __l));               \
		ASSERT_PAT(__b, __l, (seed));                                  \
		free(__b);                                                     \
	} while (0)

static inline long free_hugepages(const char *path)
{
	long n = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * A store of @npages 4 KiB pages, all shared, page i holding pattern
 * i + 1: on guest_memfd where /dev/kvm and the backend work, else on a
 * memfd (the brief of this suite: the real thing where possible).
 */
static inline struct pm_gmem *store_new_best(unsigned int npages)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_GUEST_MEMFD,
		.size = npages * PG,
		.vm_fd = -1,
		.fd = -1,
		.name = "iommu-test",
	};
	struct pm_gmem *g = NULL;
	unsigned int i;
	int rc = -EOPNOTSUPP;

	if (!access("/dev/kvm", R_OK | W_OK))
		rc = pm_gmem_create(&cfg, &g);
	if (rc) {
		cfg.backend = PM_GMEM_MEMFD;
		rc = pm_gmem_create(&cfg, &g);
	}
	if (rc)
		FAIL("pm_gmem_create(%s): %s",
		     pm_gmem_backend_name(cfg.backend), strerror(-rc));
	for (i = 0; i < npages; i++)
		pat_fill((uint8_t *)pm_gmem_host_view(g) + i * PG, PG, i + 1);
	return g;
}

#endif
