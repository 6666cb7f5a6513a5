/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the shim suite. Every program of the suite is an "unmodified
 * program": it reaches /dev/iommu through open(2) and ioctl(2) only, with
 * the uAPI headers, and links nothing of privmem. meson runs it with
 * libprivmem-iommufd.so preloaded (PRIVMEM_SHIM_FORCE=1, so that a host
 * /dev/iommu does not take its place).
 */
#ifndef PRIVMEM_TESTS_SHIM_TEST_H
#define PRIVMEM_TESTS_SHIM_TEST_H

#include "harness.h"
#include <stddef.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/vfio.h>
#include <privmem/uapi/iommufd.h>
#include <privmem/uapi/iommufd_test.h>

#define PAGE_SZ 4096UL

static inline int iommufd_open_flags(int flags)
{
	int fd = open("/dev/iommu", flags);

	if (fd < 0)
		FAIL("open(/dev/iommu): %s (is libprivmem-iommufd.so preloaded?)",
		     strerror(errno));
	return fd;
}

static inline int iommufd_open(void)
{
	return iommufd_open_flags(O_RDWR | O_CLOEXEC);
}

static inline int ioas_alloc_rc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_ioas_id;
	return rc;
}

static inline uint32_t ioas_alloc(int fd)
{
	uint32_t id = 0;

	ASSERT_SYS(ioas_alloc_rc(fd, &id));
	ASSERT_NE(id, 0);
	return id;
}

static inline int ioas_map(int fd, uint32_t ioas, void *va, uint64_t len,
			   uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = *iova,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!rc)
		*iova = cmd.iova;
	return rc;
}

#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static inline int ioas_map_fixed(int fd, uint32_t ioas, void *va,
				 uint64_t len, uint64_t iova)
{
	return ioas_map(fd, ioas, va, len, &iova,
			MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA);
}

static inline int ioas_unmap(int fd, uint32_t ioas, uint64_t iova,
			     uint64_t len, uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (unmapped)
		*unmapped = cmd.length;
	return rc;
}

static inline int iommufd_destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

/* A mock device bound and attached to @pt_id (selftest mock driver). */
static inline int mock_domain(int fd, uint32_t pt_id, uint32_t *stdev_id,
			      uint32_t *hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (!rc && stdev_id)
		*stdev_id = cmd.mock_domain.out_stdev_id;
	if (!rc && hwpt_id)
		*hwpt_id = cmd.mock_domain.out_hwpt_id;
	return rc;
}

/* Does mock domain @hwpt_id map [iova, iova + len) to @va? */
static inline int mock_check_map(int fd, uint32_t hwpt_id, uint64_t iova,
				 uint64_t len, void *va)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)va },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static inline int access_create(int fd, uint32_t ioas, uint32_t flags,
				int *access_fd)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
		.create_access = { .flags = flags },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (!rc)
		*access_fd = (int)cmd.create_access.out_access_fd;
	return rc;
}

/* Device-side copy between IOVA and @buf through access @access_fd. */
static inline int access_rw(int fd, int access_fd, uint64_t iova, void *buf,
			    uint64_t len, bool write)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = (uint32_t)access_fd,
		.access_rw = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)buf,
			       .flags = write ? MOCK_ACCESS_RW_WRITE : 0 },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static inline void *map_buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		FAIL("mmap: %s", strerror(errno));
	memset(p, 0x5a, len);
	return p;
}

/*
 * Do the library's pins of this process hold the pages of [va, va + len)
 * @refs times each? (MD_CHECK_REFS counts over every context of the
 * process, so any context can look.) Return: the ioctl's.
 */
static inline int check_refs(int fd, void *va, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)va,
				.refs = refs },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* VmLck of this process in kB. */
static inline long vm_locked_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		FAIL("/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		FAIL("no VmLck in /proc/self/status");
	return kb;
}

#endif
