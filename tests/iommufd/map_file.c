// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_MAP_FILE: mapping by (fd, offset). The files that can back
 * DMA (memfd, hugetlbfs memfd, memfd_secret, a host-mappable guest_memfd,
 * a gmem store's fds), what the device sees through them (ACCESS_RW reads
 * and writes, MD_CHECK_MAP against the test's own mapping of the file),
 * and the errors.
 */
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include <privmem/uapi/kvm.h>
#include "utils.h"

#define SZ (64 * KiB)
#define AT (AP_START + 1 * MiB)

struct mf_fx {
	struct pm_iommufd *ctx;
	uint32_t ioas, hwpt;
	int afd; /* an access on the IOAS */
};

static struct mf_fx fx_new(bool domain)
{
	struct mf_fx fx = { .hwpt = 0 };

	fx.ctx = ctx_open();
	fx.ioas = ioas_new(fx.ctx);
	if (domain)
		test_mock_domain(fx.ctx, fx.ioas, NULL, &fx.hwpt, NULL);
	fx.afd = access_new(fx.ctx, fx.ioas, 0);
	return fx;
}

/*
 * The device's view of a file mapped at @iova: reads give what the file
 * holds (pattern @seed), writes land in the file (seen through @map, the
 * test's own mapping), and the domain translates to the same pages.
 */
static void check_dma_view(struct mf_fx *fx, uint64_t iova, uint8_t *map,
			   size_t len, uint32_t seed)
{
	uint8_t *b = malloc(len);

	ASSERT_TRUE(b);
	test_access_rw(fx->ctx, fx->afd, iova, b, len, 0);
	ASSERT_PAT(b, len, seed);
	/* The slow path reads the same. */
	memset(b, 0, len);
	test_access_rw(fx->ctx, fx->afd, iova, b, len,
		       MOCK_ACCESS_RW_SLOW_PATH);
	ASSERT_PAT(b, len, seed);
	/* A write across a page boundary, seen by the CPU. */
	pat_fill(b, 100, seed + 50);
	test_access_rw(fx->ctx, fx->afd, iova + PG - 50, b, 100,
		       MOCK_ACCESS_RW_WRITE);
	ASSERT_PAT(map + PG - 50, 100, seed + 50);
	/* A CPU write, seen by the device. */
	pat_fill(map + 2 * PG, PG, seed + 60);
	test_access_rw(fx->ctx, fx->afd, iova + 2 * PG, b, PG, 0);
	ASSERT_PAT(b, PG, seed + 60);
	if (fx->hwpt)
		test_check_map(fx->ctx, fx->hwpt, iova, len, map);
	free(b);
}

TEST(memfd)
{
	struct mf_fx fx = fx_new(true);
	int fd = memfd_new(SZ, 1);
	uint8_t *map = fd_mmap(fd, SZ, 0);
	uint64_t iova = AT;

	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, SZ, &iova, FIXED_RW);
	ASSERT_U64_EQ(iova, AT);
	check_dma_view(&fx, AT, map, SZ, 1);
	test_unmap_exact(fx.ctx, fx.ioas, AT, SZ);
	test_err_check_map(EINVAL, fx.ctx, fx.hwpt, AT, MOCK_PG, map);
	pm_iommufd_close(fx.ctx);
}

/* Mapped first, then a domain: pinned at attach, translated the same. */
TEST(memfd_lazy_then_domain)
{
	struct mf_fx fx = fx_new(false);
	int fd = memfd_new(SZ, 2);
	uint8_t *map = fd_mmap(fd, SZ, 0);
	uint64_t iova = AT;

	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, SZ, &iova, FIXED_RW);
	check_dma_view(&fx, AT, map, SZ, 2);
	test_mock_domain(fx.ctx, fx.ioas, NULL, &fx.hwpt, NULL);
	test_check_map(fx.ctx, fx.hwpt, AT, SZ, map);
	pm_iommufd_close(fx.ctx);
}

/* A part of the file, starting inside a page. */
TEST(memfd_offset)
{
	struct mf_fx fx = fx_new(true);
	int fd = memfd_new(SZ, 3);
	uint8_t *map = fd_mmap(fd, SZ, 0), b[PG];
	uint64_t iova = 0;

	test_ioas_map_file(fx.ctx, fx.ioas, fd, 8 * KiB + MOCK_PG,
			   16 * KiB, &iova, RW);
	/* The offset's place in its page is kept in the IOVA. */
	ASSERT_U64_EQ(iova % PG, MOCK_PG);
	test_check_map(fx.ctx, fx.hwpt, iova, 16 * KiB,
		       map + 8 * KiB + MOCK_PG);
	test_access_rw(fx.ctx, fx.afd, iova, b, sizeof(b), 0);
	ASSERT_EQ(memcmp(b, map + 8 * KiB + MOCK_PG, sizeof(b)), 0);
	/* Without a domain, any byte offset. */
	{
		struct mf_fx f2 = fx_new(false);

		test_ioas_map_file(f2.ctx, f2.ioas, fd, 12345, 100, &iova, RW);
		ASSERT_U64_EQ(iova % PG, 12345 % PG);
		test_access_rw(f2.ctx, f2.afd, iova, b, 100, 0);
		ASSERT_EQ(memcmp(b, map + 12345, 100), 0);
		pm_iommufd_close(f2.ctx);
	}
	pm_iommufd_close(fx.ctx);
}

/* Automatic IOVAs follow the file offset's alignment, not a VA's. */
TEST(memfd_auto_alignment)
{
	struct mf_fx fx = fx_new(false);
	int fd = memfd_new(4 * MiB, 0);
	uint64_t iova = 0;

	/* Offset 0: roundup_pow_of_two(length). */
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, 64 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 64 * KiB);
	/* Offset 4K: 4 KiB aligned, first fit. */
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 4 * KiB, 32 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 4 * KiB);
	/* Offset 0, length 4M: capped at 2 MiB. */
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, 4 * MiB, &iova, RW);
	ASSERT_U64_EQ(iova, 2 * MiB);
	pm_iommufd_close(fx.ctx);
}

TEST(hugetlbfs_memfd)
{
	struct mf_fx fx = fx_new(true);
	long free_pages = 0;
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "re");
	uint64_t iova = AT;
	uint8_t *map;
	int fd;

	if (f) {
		if (fscanf(f, "%ld", &free_pages) != 1)
			free_pages = 0;
		fclose(f);
	}
	if (free_pages < 1)
		SKIP("no free 2 MiB huge page");
	fd = memfd_create("iommufd-huge", MFD_CLOEXEC | MFD_HUGETLB |
						  MFD_HUGE_2MB);
	if (fd < 0)
		SKIP("memfd_create(MFD_HUGETLB): %s", strerror(errno));
	ASSERT_SYS(ftruncate(fd, 2 * MiB));
	map = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		SKIP("mmap of a huge page: %s", strerror(errno));
	pat_fill(map, 2 * MiB, 4);
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, 2 * MiB, &iova, FIXED_RW);
	check_dma_view(&fx, AT, map, 2 * MiB, 4);
	/* A part inside the huge page. */
	iova = AT + 4 * MiB;
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 1 * MiB + 8 * KiB, 8 * KiB,
			   &iova, FIXED_RW);
	test_check_map(fx.ctx, fx.hwpt, AT + 4 * MiB, 8 * KiB,
		       map + 1 * MiB + 8 * KiB);
	/* Past the end of the file. */
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, fd, 2 * MiB - PG,
			       2 * PG, &iova, RW);
	pm_iommufd_close(fx.ctx);
}

/* A memfd_secret of @size bytes holding pattern @seed, or SKIP. */
static int secret_new(size_t size, uint32_t seed, uint8_t **map)
{
	int fd;

#ifdef SYS_memfd_secret
	fd = (int)syscall(SYS_memfd_secret, O_CLOEXEC);
#else
	fd = -1;
	errno = ENOSYS;
#endif
	if (fd < 0)
		SKIP("memfd_secret: %s", strerror(errno));
	ASSERT_SYS(ftruncate(fd, (off_t)size));
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED)
		SKIP("mmap of memfd_secret: %s", strerror(errno));
	pat_fill(*map, size, seed);
	return fd;
}

/*
 * memfd_secret is documented as a file that can back DMA
 * (lib/iommu/pages.c: "FILE a memfd, hugetlbfs memfd, memfd_secret or
 * host-mappable guest_memfd"). Through an access, without a domain:
 */
TEST(memfd_secret_access)
{
	struct mf_fx fx = fx_new(false);
	uint64_t iova = AT;
	uint8_t *map, b[256];
	int fd = secret_new(SZ, 5, &map);

	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, SZ, &iova, FIXED_RW);
	test_access_rw(fx.ctx, fx.afd, AT + PG, b, sizeof(b), 0);
	ASSERT_EQ(memcmp(b, map + PG, sizeof(b)), 0);
	pat_fill(b, sizeof(b), 6);
	test_access_rw(fx.ctx, fx.afd, AT + 3 * PG, b, sizeof(b),
		       MOCK_ACCESS_RW_WRITE);
	ASSERT_PAT(map + 3 * PG, sizeof(b), 6);
	pm_iommufd_close(fx.ctx);
}

/* ...and with a domain, which pins the file's pages. */
TEST(memfd_secret_domain)
{
	struct mf_fx fx = fx_new(true);
	uint64_t iova = AT;
	uint8_t *map;
	int fd = secret_new(SZ, 5, &map);

	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, SZ, &iova, FIXED_RW);
	test_unmap_exact(fx.ctx, fx.ioas, AT, SZ);
	pm_iommufd_close(fx.ctx);
}

/* A guest_memfd the host may map (MMAP | INIT_SHARED), made by the test. */
TEST(guest_memfd_mmap)
{
	struct kvm_create_guest_memfd gm = {
		.size = SZ,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};
	struct mf_fx fx;
	uint64_t iova = AT;
	int kvm, vm, fd;
	uint8_t *map;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		SKIP("/dev/kvm: %s", strerror(errno));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		SKIP("KVM_CREATE_VM: %s", strerror(errno));
	fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gm);
	if (fd < 0)
		SKIP("KVM_CREATE_GUEST_MEMFD(MMAP | INIT_SHARED): %s",
		     strerror(errno));
	map = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		SKIP("mmap of guest_memfd: %s", strerror(errno));
	pat_fill(map, SZ, 7);

	fx = fx_new(true);
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, SZ, &iova, FIXED_RW);
	check_dma_view(&fx, AT, map, SZ, 7);
	/* The file stays referenced by the map. */
	ASSERT_SYS(close(fd));
	ASSERT_DMA_READS(fx.ctx, fx.afd, AT + 9 * PG, map + 9 * PG, PG);
	test_check_map(fx.ctx, fx.hwpt, AT, SZ, map);
	pm_iommufd_close(fx.ctx);
	close(vm);
	close(kvm);
}

/* A gmem store's fds map the store itself; so does pm_ioas_map_gmem(). */
TEST(gmem_store_fds)
{
	struct mf_fx fx = fx_new(true);
	struct pm_gmem *g = store_new(PM_GMEM_MEMFD, 16, 0);
	uint8_t *view = pm_gmem_host_view(g);
	uint64_t iova = AT;

	test_ioas_map_file(fx.ctx, fx.ioas, pm_gmem_private_fd(g), 0, 16 * PG,
			   &iova, FIXED_RW);
	test_check_map(fx.ctx, fx.hwpt, AT, 16 * PG, view);
	ASSERT_DMA_READS(fx.ctx, fx.afd, AT + 5 * PG, view + 5 * PG, PG);
	ASSERT_PAT(view + 5 * PG, PG, 6);
	/* The shared backing fd is the same store. */
	iova = AT + 1 * MiB;
	test_ioas_map_file(fx.ctx, fx.ioas, pm_gmem_shared_fd(g), 4 * PG,
			   4 * PG, &iova, FIXED_RW);
	test_check_map(fx.ctx, fx.hwpt, AT + 1 * MiB, 4 * PG, view + 4 * PG);
	/* The typed entry. */
	iova = AT + 2 * MiB;
	ASSERT_OK(pm_ioas_map_gmem(fx.ctx, fx.ioas, g, 8 * PG, 8 * PG, &iova,
				   FIXED_RW));
	test_check_map(fx.ctx, fx.hwpt, AT + 2 * MiB, 8 * PG, view + 8 * PG);
	iova = 0;
	ASSERT_OK(pm_ioas_map_gmem(fx.ctx, fx.ioas, g, 0, PG, &iova, RW));
	ASSERT_GE(iova, AP_START);
	ASSERT_ERR(EINVAL, pm_ioas_map_gmem(fx.ctx, fx.ioas, g, 8 * PG,
					    9 * PG, &iova, RW));
	ASSERT_ERR(EINVAL, pm_ioas_map_gmem(fx.ctx, fx.ioas, g, 0, 0, &iova,
					    RW));
	ASSERT_ERR(EINVAL, pm_ioas_map_gmem(fx.ctx, fx.ioas, g, 0, PG, &iova,
					    0));
	ASSERT_ERR(EOPNOTSUPP, pm_ioas_map_gmem(fx.ctx, fx.ioas, g, 0, PG,
						&iova, RW | 1U << 9));
	ASSERT_ERR(ENOENT,
		   pm_ioas_map_gmem(fx.ctx, 99, g, 0, PG, &iova, RW));
	ASSERT_ERR(EINVAL,
		   pm_ioas_map_gmem(fx.ctx, fx.ioas, NULL, 0, PG, &iova, RW));
	/* Past the store's end through its fd. */
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, pm_gmem_private_fd(g),
			       15 * PG, 2 * PG, &iova, RW);
	test_unmap_all(fx.ctx, fx.ioas, 16 * PG + 4 * PG + 8 * PG + PG);
	pm_iommufd_close(fx.ctx);
	pm_gmem_close(g);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

TEST(readonly_fd)
{
	struct mf_fx fx = fx_new(true);
	int fd = memfd_new(SZ, 8), ro;
	char path[64];
	uint64_t iova = AT;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_SYS(ro);
	test_err_ioas_map_file(EPERM, fx.ctx, fx.ioas, ro, 0, SZ, &iova,
			       FIXED_RW);
	test_err_ioas_map_file(EPERM, fx.ctx, fx.ioas, ro, 0, SZ, &iova,
			       IOMMU_IOAS_MAP_WRITEABLE);
	/* Read-only DMA from a read-only fd is fine. */
	test_ioas_map_file(fx.ctx, fx.ioas, ro, 0, SZ, &iova,
			   IOMMU_IOAS_MAP_FIXED_IOVA |
				   IOMMU_IOAS_MAP_READABLE);
	{
		uint8_t b[PG];

		test_access_rw(fx.ctx, fx.afd, AT, b, sizeof(b), 0);
		ASSERT_PAT(b, sizeof(b), 8);
		test_err_access_rw(EPERM, fx.ctx, fx.afd, AT, b, sizeof(b),
				   MOCK_ACCESS_RW_WRITE);
	}
	pm_iommufd_close(fx.ctx);
}

TEST(sealed_memfd)
{
	struct mf_fx fx = fx_new(false);
	int fd = memfd_new(SZ, 0);
	uint64_t iova = 0;

	ASSERT_SYS(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	test_err_ioas_map_file(EPERM, fx.ctx, fx.ioas, fd, 0, SZ, &iova, RW);
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, SZ, &iova,
			   IOMMU_IOAS_MAP_READABLE);
	pm_iommufd_close(fx.ctx);
}

/* Files that cannot back DMA: a regular file, a pipe, /dev/zero. */
TEST(not_a_memory_file)
{
	static const char *const dirs[] = { "/var/tmp", "/tmp", "." };
	struct mf_fx fx = fx_new(false);
	uint64_t iova = 0;
	char path[256];
	int fd = -1, p[2], z;
	size_t i;

	for (i = 0; i < ARRAY_LEN(dirs) && fd < 0; i++) {
		struct statfs sfs;

		if (statfs(dirs[i], &sfs) || sfs.f_type == TMPFS_MAGIC)
			continue; /* a tmpfs file is shmem: it can back DMA */
		snprintf(path, sizeof(path), "%s/iommufd-test-XXXXXX", dirs[i]);
		fd = mkstemp(path);
		if (fd >= 0)
			unlink(path);
	}
	if (fd >= 0) {
		ASSERT_SYS(ftruncate(fd, SZ));
		test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, fd, 0, SZ,
				       &iova, RW);
		test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, fd, 0, SZ,
				       &iova, IOMMU_IOAS_MAP_READABLE);
		close(fd);
	}
	ASSERT_SYS(pipe2(p, O_CLOEXEC));
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, p[0], 0, PG, &iova, RW);
	z = open("/dev/zero", O_RDWR | O_CLOEXEC);
	ASSERT_SYS(z);
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, z, 0, PG, &iova, RW);
	/* Nothing was mapped. */
	test_unmap_all(fx.ctx, fx.ioas, 0);
	pm_iommufd_close(fx.ctx);
	if (fd < 0)
		SKIP("no directory off tmpfs for a regular file");
}

TEST(bad_fd)
{
	struct mf_fx fx = fx_new(false);
	uint64_t iova = 0;
	int fd = memfd_new(SZ, 0);

	test_err_ioas_map_file(EBADF, fx.ctx, fx.ioas, -1, 0, PG, &iova, RW);
	test_err_ioas_map_file(EBADF, fx.ctx, fx.ioas, -77, 0, PG, &iova, RW);
	ASSERT_SYS(close(fd));
	test_err_ioas_map_file(EBADF, fx.ctx, fx.ioas, fd, 0, PG, &iova, RW);
	test_err_ioas_map_file(EBADF, fx.ctx, fx.ioas, 4000, 0, PG, &iova, RW);
	pm_iommufd_close(fx.ctx);
}

TEST(range_errors)
{
	struct mf_fx fx = fx_new(false);
	int fd = memfd_new(SZ, 0);
	uint64_t iova = 0;

	/* Past EOF, wholly or partly. */
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, fd, SZ - PG, 2 * PG,
			       &iova, RW);
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, fd, SZ, PG, &iova, RW);
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, fd, 0, SZ + 1, &iova,
			       RW);
	test_ioas_map_file(fx.ctx, fx.ioas, fd, SZ - 1, 1, &iova, RW);
	/* Empty, wrapping, and the flag checks MAP has. */
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, fd, 0, 0, &iova, RW);
	test_err_ioas_map_file(EOVERFLOW, fx.ctx, fx.ioas, fd, UINT64_MAX - 10,
			       100, &iova, RW);
	test_err_ioas_map_file(EOVERFLOW, fx.ctx, fx.ioas, fd, 0, UINT64_MAX,
			       &iova, RW);
	test_err_ioas_map_file(EOPNOTSUPP, fx.ctx, fx.ioas, fd, 0, PG, &iova,
			       RW | 1U << 3);
	test_err_ioas_map_file(EINVAL, fx.ctx, fx.ioas, fd, 0, PG, &iova, 0);
	test_err_ioas_map_file(ENOENT, fx.ctx, 42, fd, 0, PG, &iova, RW);
	iova = PG;
	test_err_ioas_map_file(EEXIST, fx.ctx, fx.ioas, fd, 0, SZ, &iova,
			       FIXED_RW);
	iova = 1 * MiB;
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, SZ, &iova, FIXED_RW);
	pm_iommufd_close(fx.ctx);
}

/* CHANGE_PROCESS accepts only maps of files. */
TEST(change_process_files_only)
{
	struct mf_fx fx = fx_new(true);
	int fd = memfd_new(SZ, 0);
	uint8_t *buf = buf_alloc(SZ, SZ);
	uint64_t iova = AT;
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd),
						 .__reserved = 1 };

	test_change_process(fx.ctx);
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, SZ, &iova, FIXED_RW);
	test_change_process(fx.ctx);
	ASSERT_ERRNO(EOPNOTSUPP, pm_iommufd_ioctl(fx.ctx,
						  IOMMU_IOAS_CHANGE_PROCESS,
						  &cmd));
	/* A user VA map in any IOAS makes it EINVAL. */
	test_map_at(fx.ctx, ioas_new(fx.ctx), buf, SZ, 0);
	test_err_change_process(EINVAL, fx.ctx);
	test_unmap_all(fx.ctx, fx.ioas, SZ);
	test_err_change_process(EINVAL, fx.ctx);
	pm_iommufd_close(fx.ctx);
}

TEST_MAIN()
