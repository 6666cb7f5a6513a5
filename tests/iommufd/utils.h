/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the iommufd suite (the files of tests/iommufd). Our own code; the files
 * are arranged as Linux's iommufd selftests are, by area of the uAPI, but
 * nothing here is taken from them.
 *
 * Every operation has a triple:
 *   _op(...)                the call: 0 or -errno (the ioctl's errno);
 *   test_op(...)            asserts that it succeeds;
 *   test_err_op(E, ...)     asserts that it fails with E.
 * The triples are macros so that a failure names the test's line.
 *
 * Everything goes through pm_iommufd_ioctl() with Linux's structs: the
 * suite tests the uAPI as a kernel selftest would. The typed entries
 * (pm_ioas_*) are exercised where they add something (gmem maps).
 *
 * Geometry: the library's "kernel" page is 4 KiB (PG); a mock domain maps
 * 2 KiB IO pages (MOCK_PG) inside [MOCK_APERTURE_START, _LAST].
 */
#ifndef PRIVMEM_TESTS_IOMMUFD_UTILS_H
#define PRIVMEM_TESTS_IOMMUFD_UTILS_H

#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/privmem.h>
#include <privmem/uapi/iommufd.h>
#include <privmem/uapi/iommufd_test.h>
#include "harness.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define PG 4096ULL
#define MOCK_PG 2048ULL
#define AP_START ((uint64_t)MOCK_APERTURE_START)
#define AP_LAST ((uint64_t)MOCK_APERTURE_LAST)

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED_RW (IOMMU_IOAS_MAP_FIXED_IOVA | RW)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define offsetofend(type, member)                                              \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/* ------------------------------------------------------------------ */
/* The call itself.                                                    */

/* pm_iommufd_ioctl() as 0/-errno. */
static inline int ioctl_rc(struct pm_iommufd *ctx, unsigned long cmd,
			   void *arg)
{
	int rc;

	errno = 0;
	rc = pm_iommufd_ioctl(ctx, cmd, arg);
	if (rc >= 0)
		return 0;
	if (rc != -1)
		return -EPROTO; /* not what ioctl(2) returns */
	return errno ? -errno : -EPROTO;
}

/* ------------------------------------------------------------------ */
/* Context and memory.                                                 */

static inline struct pm_iommufd *ctx_open(void)
{
	struct pm_iommufd *ctx = NULL;

	ASSERT_OK(pm_iommufd_open(&ctx));
	ASSERT_TRUE(ctx);
	return ctx;
}

/*
 * @len bytes of shared anonymous memory (what Linux's selftests map too)
 * at an address aligned to @align exactly: aligned to it, and not to twice
 * it (so that the lowest set bit of the address is known).
 */
static inline void *buf_alloc(size_t len, size_t align)
{
	size_t span = len + 4 * align;
	uint8_t *p, *a;

	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap %zu: %s", span, strerror(errno));
	a = (uint8_t *)(((uintptr_t)p + 2 * align - 1) & ~(uintptr_t)(2 * align - 1));
	a += align; /* aligned to align, not to 2 * align */
	if (a > p)
		munmap(p, a - p);
	munmap(a + len, p + span - (a + len));
	return a;
}

static inline uint8_t pat_byte(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 7) * 0x9e3779b97f4a7c15ULL + seed * 0xc2b2ae3d27d4eb4fULL;

	x ^= x >> 31;
	return seed ? (uint8_t)(x | 0x80) : 0; /* never 0 unless seed 0 */
}

static inline void pat_fill(void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		((uint8_t *)p)[i] = pat_byte(seed, i);
}

/* Index of the first byte that differs from the pattern, or -1. */
static inline long pat_diff(const void *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i] != pat_byte(seed, i))
			return (long)i;
	return -1;
}

#define ASSERT_PAT(p, len, seed)                                               \
	do {                                                                   \
		long __d = pat_diff((p), (len), (seed));                       \
		if (__d >= 0)                                                  \
			FAIL("%s: byte %ld differs from pattern %u", #p, __d,  \
			     (unsigned int)(seed));                            \
	} while (0)

static inline bool all_zero(const void *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((const uint8_t *)p)[i])
			return false;
	return true;
}

/* A memfd of @size bytes holding pattern @seed (seed 0: zeros). */
static inline int memfd_new(size_t size, uint32_t seed)
{
	int fd = memfd_create("iommufd-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *m;

	if (fd < 0)
		FAIL("memfd_create: %s", strerror(errno));
	if (ftruncate(fd, (off_t)size))
		FAIL("ftruncate: %s", strerror(errno));
	if (seed) {
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			FAIL("mmap memfd: %s", strerror(errno));
		pat_fill(m, size, seed);
		munmap(m, size);
	}
	return fd;
}

static inline void *fd_mmap(int fd, size_t size, off_t off)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	if (m == MAP_FAILED)
		FAIL("mmap fd %d: %s", fd, strerror(errno));
	return m;
}

/* Is bit @cap of this thread's effective capability set on? */
static inline bool cap_effective(unsigned int cap)
{
	char line[256];
	bool on = false;
	FILE *f = fopen("/proc/thread-self/status", "re");

	if (!f)
		FAIL("open /proc/thread-self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long eff;

		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			on = eff >> cap & 1;
			break;
		}
	}
	fclose(f);
	return on;
}

/* ------------------------------------------------------------------ */
/* IOMMU_DESTROY, IOMMU_IOAS_ALLOC                                     */

static inline int _destroy(struct pm_iommufd *ctx, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl_rc(ctx, IOMMU_DESTROY, &cmd);
}
#define test_destroy(...) ASSERT_OK(_destroy(__VA_ARGS__))
#define test_err_destroy(E, ...) ASSERT_ERR(E, _destroy(__VA_ARGS__))

static inline int _ioas_alloc(struct pm_iommufd *ctx, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = ioctl_rc(ctx, IOMMU_IOAS_ALLOC, &cmd);

	*id = rc ? 0 : cmd.out_ioas_id;
	return rc;
}
#define test_ioas_alloc(...) ASSERT_OK(_ioas_alloc(__VA_ARGS__))
#define test_err_ioas_alloc(E, ...) ASSERT_ERR(E, _ioas_alloc(__VA_ARGS__))

static inline uint32_t ioas_new(struct pm_iommufd *ctx)
{
	uint32_t id = 0;

	test_ioas_alloc(ctx, &id);
	ASSERT_NE(id, 0);
	return id;
}

/* ------------------------------------------------------------------ */
/* IOMMU_IOAS_MAP / MAP_FILE / UNMAP / COPY                            */

/* With FIXED_IOVA *iova is the input; on success it holds the IOVA. */
static inline int _ioas_map(struct pm_iommufd *ctx, uint32_t ioas,
			    const void *va, uint64_t len, uint64_t *iova,
			    uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = (flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? *iova : 0,
	};
	int rc = ioctl_rc(ctx, IOMMU_IOAS_MAP, &cmd);

	if (!rc && iova)
		*iova = cmd.iova;
	return rc;
}
#define test_ioas_map(...) ASSERT_OK(_ioas_map(__VA_ARGS__))
#define test_err_ioas_map(E, ...) ASSERT_ERR(E, _ioas_map(__VA_ARGS__))

/* Fixed, read-write: the common case. */
static inline int _map_at(struct pm_iommufd *ctx, uint32_t ioas,
			  const void *va, uint64_t len, uint64_t iova)
{
	return _ioas_map(ctx, ioas, va, len, &iova, FIXED_RW);
}
#define test_map_at(...) ASSERT_OK(_map_at(__VA_ARGS__))
#define test_err_map_at(E, ...) ASSERT_ERR(E, _map_at(__VA_ARGS__))

static inline int _ioas_map_file(struct pm_iommufd *ctx, uint32_t ioas, int fd,
				 uint64_t start, uint64_t len, uint64_t *iova,
				 uint32_t flags)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.fd = fd,
		.start = start,
		.length = len,
		.iova = (flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? *iova : 0,
	};
	int rc = ioctl_rc(ctx, IOMMU_IOAS_MAP_FILE, &cmd);

	if (!rc && iova)
		*iova = cmd.iova;
	return rc;
}
#define test_ioas_map_file(...) ASSERT_OK(_ioas_map_file(__VA_ARGS__))
#define test_err_ioas_map_file(E, ...) ASSERT_ERR(E, _ioas_map_file(__VA_ARGS__))

static inline int _ioas_unmap(struct pm_iommufd *ctx, uint32_t ioas,
			      uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = ioctl_rc(ctx, IOMMU_IOAS_UNMAP, &cmd);

	if (!rc && unmapped)
		*unmapped = cmd.length;
	return rc;
}
#define test_ioas_unmap(...) ASSERT_OK(_ioas_unmap(__VA_ARGS__))
#define test_err_ioas_unmap(E, ...) ASSERT_ERR(E, _ioas_unmap(__VA_ARGS__))

/* Unmap exactly @len bytes at @iova, and assert that many went. */
#define test_unmap_exact(ctx, ioas, iova, len)                                 \
	do {                                                                   \
		uint64_t __un = 0;                                             \
		test_ioas_unmap(ctx, ioas, iova, len, &__un);                  \
		ASSERT_U64_EQ(__un, (len));                                    \
	} while (0)

/* Unmap everything (iova 0, length U64_MAX); assert @want bytes went. */
#define test_unmap_all(ctx, ioas, want)                                        \
	do {                                                                   \
		uint64_t __un = 0;                                             \
		test_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &__un);              \
		ASSERT_U64_EQ(__un, (want));                                   \
	} while (0)

static inline int _ioas_copy(struct pm_iommufd *ctx, uint32_t dst,
			     uint32_t src, uint64_t src_iova, uint64_t len,
			     uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = len,
		.dst_iova = (flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? *dst_iova : 0,
		.src_iova = src_iova,
	};
	int rc = ioctl_rc(ctx, IOMMU_IOAS_COPY, &cmd);

	if (!rc && dst_iova)
		*dst_iova = cmd.dst_iova;
	return rc;
}
#define test_ioas_copy(...) ASSERT_OK(_ioas_copy(__VA_ARGS__))
#define test_err_ioas_copy(E, ...) ASSERT_ERR(E, _ioas_copy(__VA_ARGS__))

/* ------------------------------------------------------------------ */
/* IOVA_RANGES / ALLOW_IOVAS / OPTION / CHANGE_PROCESS                 */

/*
 * IOVA_RANGES into @r (capacity *num); *num becomes the total count the
 * library reports, *align the alignment (both also on EMSGSIZE).
 */
static inline int _iova_ranges(struct pm_iommufd *ctx, uint32_t ioas,
			       struct iommu_iova_range *r, uint32_t *num,
			       uint64_t *align)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)r,
	};
	int rc = ioctl_rc(ctx, IOMMU_IOAS_IOVA_RANGES, &cmd);

	if (!rc || rc == -EMSGSIZE) {
		*num = cmd.num_iovas;
		if (align)
			*align = cmd.out_iova_alignment;
	}
	return rc;
}
#define test_iova_ranges(...) ASSERT_OK(_iova_ranges(__VA_ARGS__))
#define test_err_iova_ranges(E, ...) ASSERT_ERR(E, _iova_ranges(__VA_ARGS__))

/* Assert that IOVA_RANGES reports exactly one range [start, last]. */
#define ASSERT_ONE_RANGE(ctx, ioas, start_, last_, align_)                     \
	do {                                                                   \
		struct iommu_iova_range __rg[4];                                \
		uint32_t __n = ARRAY_LEN(__rg);                                 \
		uint64_t __al = 0;                                             \
		test_iova_ranges(ctx, ioas, __rg, &__n, &__al);                 \
		ASSERT_EQ(__n, 1);                                             \
		ASSERT_U64_EQ(__rg[0].start, (start_));                         \
		ASSERT_U64_EQ(__rg[0].last, (last_));                           \
		ASSERT_U64_EQ(__al, (align_));                                 \
	} while (0)

static inline uint64_t iova_alignment(struct pm_iommufd *ctx, uint32_t ioas)
{
	struct iommu_iova_range r[8];
	uint32_t n = ARRAY_LEN(r);
	uint64_t align = 0;

	test_iova_ranges(ctx, ioas, r, &n, &align);
	return align;
}

static inline int _allow_iovas(struct pm_iommufd *ctx, uint32_t ioas,
			       const struct iommu_iova_range *r, uint32_t n)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	return ioctl_rc(ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}
#define test_allow_iovas(...) ASSERT_OK(_allow_iovas(__VA_ARGS__))
#define test_err_allow_iovas(E, ...) ASSERT_ERR(E, _allow_iovas(__VA_ARGS__))

static inline int _option(struct pm_iommufd *ctx, uint32_t option_id,
			  uint16_t op, uint32_t object_id, uint64_t *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
		.val64 = *val,
	};
	int rc = ioctl_rc(ctx, IOMMU_OPTION, &cmd);

	if (!rc)
		*val = cmd.val64;
	return rc;
}
#define test_option(...) ASSERT_OK(_option(__VA_ARGS__))
#define test_err_option(E, ...) ASSERT_ERR(E, _option(__VA_ARGS__))

static inline uint64_t option_get(struct pm_iommufd *ctx, uint32_t option_id,
				  uint32_t object_id)
{
	uint64_t v = 0xdead;

	test_option(ctx, option_id, IOMMU_OPTION_OP_GET, object_id, &v);
	return v;
}

static inline int _option_set(struct pm_iommufd *ctx, uint32_t option_id,
			      uint32_t object_id, uint64_t val)
{
	return _option(ctx, option_id, IOMMU_OPTION_OP_SET, object_id, &val);
}
#define test_option_set(...) ASSERT_OK(_option_set(__VA_ARGS__))
#define test_err_option_set(E, ...) ASSERT_ERR(E, _option_set(__VA_ARGS__))

static inline int _change_process(struct pm_iommufd *ctx)
{
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };

	return ioctl_rc(ctx, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
}
#define test_change_process(...) ASSERT_OK(_change_process(__VA_ARGS__))
#define test_err_change_process(E, ...) ASSERT_ERR(E, _change_process(__VA_ARGS__))

/* ------------------------------------------------------------------ */
/* HWPT_ALLOC / GET_HW_INFO                                            */

static inline int _hwpt_alloc(struct pm_iommufd *ctx, uint32_t dev_id,
			      uint32_t pt_id, uint32_t flags, uint32_t *hwpt)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int rc = ioctl_rc(ctx, IOMMU_HWPT_ALLOC, &cmd);

	if (hwpt)
		*hwpt = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}
#define test_hwpt_alloc(...) ASSERT_OK(_hwpt_alloc(__VA_ARGS__))
#define test_err_hwpt_alloc(E, ...) ASSERT_ERR(E, _hwpt_alloc(__VA_ARGS__))

/* ------------------------------------------------------------------ */
/* IOMMU_TEST_CMD ops                                                  */

static inline int test_cmd(struct pm_iommufd *ctx, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl_rc(ctx, IOMMU_TEST_CMD, cmd);
}

static inline int _add_reserved(struct pm_iommufd *ctx, uint32_t ioas,
				uint64_t start, uint64_t len)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas,
		.add_reserved = { .start = start, .length = len },
	};

	return test_cmd(ctx, &cmd);
}
#define test_add_reserved(...) ASSERT_OK(_add_reserved(__VA_ARGS__))
#define test_err_add_reserved(E, ...) ASSERT_ERR(E, _add_reserved(__VA_ARGS__))

/* A mock device on @pt_id (an IOAS or a HWPT); any out pointer may be NULL. */
static inline int _mock_domain_flags(struct pm_iommufd *ctx, uint32_t pt_id,
				     uint32_t dev_flags, uint32_t *stdev,
				     uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int rc = test_cmd(ctx, &cmd);

	if (stdev)
		*stdev = rc ? 0 : cmd.mock_domain_flags.out_stdev_id;
	if (hwpt)
		*hwpt = rc ? 0 : cmd.mock_domain_flags.out_hwpt_id;
	if (idev)
		*idev = rc ? 0 : cmd.mock_domain_flags.out_idev_id;
	return rc;
}

static inline int _mock_domain(struct pm_iommufd *ctx, uint32_t pt_id,
			       uint32_t *stdev, uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};
	int rc = test_cmd(ctx, &cmd);

	if (stdev)
		*stdev = rc ? 0 : cmd.mock_domain.out_stdev_id;
	if (hwpt)
		*hwpt = rc ? 0 : cmd.mock_domain.out_hwpt_id;
	if (idev)
		*idev = rc ? 0 : cmd.mock_domain.out_idev_id;
	return rc;
}
#define test_mock_domain(...) ASSERT_OK(_mock_domain(__VA_ARGS__))
#define test_err_mock_domain(E, ...) ASSERT_ERR(E, _mock_domain(__VA_ARGS__))

static inline int _mock_domain_replace(struct pm_iommufd *ctx, uint32_t stdev,
				       uint32_t pt_id, uint32_t *out_pt)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc = test_cmd(ctx, &cmd);

	if (out_pt)
		*out_pt = rc ? 0 : cmd.mock_domain_replace.pt_id;
	return rc;
}
#define test_mock_domain_replace(...) ASSERT_OK(_mock_domain_replace(__VA_ARGS__))
#define test_err_mock_domain_replace(E, ...)                                   \
	ASSERT_ERR(E, _mock_domain_replace(__VA_ARGS__))

/* Does HWPT @hwpt translate [iova, iova + len) to the memory at @uptr? */
static inline int _check_map(struct pm_iommufd *ctx, uint32_t hwpt,
			     uint64_t iova, uint64_t len, const void *uptr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)uptr },
	};

	return test_cmd(ctx, &cmd);
}
#define test_check_map(...) ASSERT_OK(_check_map(__VA_ARGS__))
#define test_err_check_map(E, ...) ASSERT_ERR(E, _check_map(__VA_ARGS__))

/* Does every page at [uptr, uptr + len) hold @refs pins? */
static inline int _check_refs(struct pm_iommufd *ctx, const void *uptr,
			      uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len,
				.uptr = (uintptr_t)uptr,
				.refs = refs },
	};

	return test_cmd(ctx, &cmd);
}
#define test_check_refs(...) ASSERT_OK(_check_refs(__VA_ARGS__))
#define test_err_check_refs(E, ...) ASSERT_ERR(E, _check_refs(__VA_ARGS__))

static inline int _create_access(struct pm_iommufd *ctx, uint32_t ioas,
				 uint32_t flags, int *fd)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
		.create_access = { .flags = flags },
	};
	int rc = test_cmd(ctx, &cmd);

	*fd = rc ? -1 : (int)cmd.create_access.out_access_fd;
	return rc;
}
#define test_create_access(...) ASSERT_OK(_create_access(__VA_ARGS__))
#define test_err_create_access(E, ...) ASSERT_ERR(E, _create_access(__VA_ARGS__))

static inline int access_new(struct pm_iommufd *ctx, uint32_t ioas,
			     uint32_t flags)
{
	int fd = -1;

	test_create_access(ctx, ioas, flags, &fd);
	ASSERT_GE(fd, 0);
	return fd;
}

static inline int _access_rw(struct pm_iommufd *ctx, int access_fd,
			     uint64_t iova, void *buf, uint64_t len,
			     uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = (uint32_t)access_fd,
		.access_rw = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)buf,
			       .flags = flags },
	};

	return test_cmd(ctx, &cmd);
}
#define test_access_rw(...) ASSERT_OK(_access_rw(__VA_ARGS__))
#define test_err_access_rw(E, ...) ASSERT_ERR(E, _access_rw(__VA_ARGS__))

/* Read @len bytes at @iova through the access and compare with @want. */
#define ASSERT_DMA_READS(ctx, afd, iova, want, len)                            \
	do {                                                                   \
		size_t __len = (len);                                          \
		uint8_t *__b = calloc(1, __len);                               \
		ASSERT_TRUE(__b);                                              \
		test_access_rw(ctx, afd, iova, __b, __len, 0);                 \
		if (memcmp(__b, (want), __len))                                \
			FAIL("DMA read at 0x%llx differs from %s",             \
			     (unsigned long long)(iova), #want);               \
		free(__b);                                                     \
	} while (0)

static inline int _access_pages(struct pm_iommufd *ctx, int access_fd,
				uint64_t iova, uint64_t len, const void *uptr,
				uint32_t flags, uint32_t *item)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = (uint32_t)access_fd,
		.access_pages = { .flags = flags,
				  .iova = iova,
				  .length = len,
				  .uptr = (uintptr_t)uptr },
	};
	int rc = test_cmd(ctx, &cmd);

	if (item)
		*item = rc ? UINT32_MAX : cmd.access_pages.out_access_pages_id;
	return rc;
}
#define test_access_pages(...) ASSERT_OK(_access_pages(__VA_ARGS__))
#define test_err_access_pages(E, ...) ASSERT_ERR(E, _access_pages(__VA_ARGS__))

static inline int _destroy_access_pages(struct pm_iommufd *ctx, int access_fd,
					uint32_t item)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = (uint32_t)access_fd,
		.destroy_access_pages = { .access_pages_id = item },
	};

	return test_cmd(ctx, &cmd);
}
#define test_destroy_access_pages(...) ASSERT_OK(_destroy_access_pages(__VA_ARGS__))
#define test_err_destroy_access_pages(E, ...)                                  \
	ASSERT_ERR(E, _destroy_access_pages(__VA_ARGS__))

/* ------------------------------------------------------------------ */
/* gmem stores                                                         */

static inline void quiet_log(void *opaque, enum pm_log_level level,
			     const char *msg)
{
	(void)opaque;
	fprintf(stderr, "# lib[%d]: %s\n", level, msg);
}

/*
 * A store of @npages 4 KiB pages, all shared; page i holds pattern i + 1.
 * SKIP if the host lacks the backend.
 */
static inline struct pm_gmem *store_new(enum pm_gmem_backend b,
					unsigned int npages, uint32_t flags)
{
	struct pm_gmem_config cfg = {
		.backend = b,
		.size = npages * PG,
		.flags = flags,
		.vm_fd = -1,
		.fd = -1,
		.name = "iommufd-test",
	};
	struct pm_gmem *g = NULL;
	unsigned int i;
	int rc;

	if (b == PM_GMEM_GUEST_MEMFD && access("/dev/kvm", R_OK | W_OK))
		SKIP("guest_memfd backend: /dev/kvm: %s", strerror(errno));
	rc = pm_gmem_create(&cfg, &g);
	if (rc == -EOPNOTSUPP)
		SKIP("%s backend unavailable on this host",
		     pm_gmem_backend_name(b));
	if (rc == -ENOSPC &&
	    (b == PM_GMEM_HUGETLB_2M || b == PM_GMEM_HUGETLB_1G))
		SKIP("%s: not enough free huge pages",
		     pm_gmem_backend_name(b));
	if (rc)
		FAIL("pm_gmem_create(%s): %s", pm_gmem_backend_name(b),
		     strerror(-rc));
	if (!(flags & PM_GMEM_F_INIT_PRIVATE))
		for (i = 0; i < npages; i++)
			pat_fill((uint8_t *)pm_gmem_host_view(g) + i * PG, PG,
				 i + 1);
	return g;
}

#endif
