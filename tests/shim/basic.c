// SPDX-License-Identifier: MIT
/*
 * The shim's /dev/iommu: every open entry, every IOAS command through
 * ioctl(2), DMA through the mock driver, two contexts apart, and what the
 * descriptor is besides (a memfd: generic ioctls, read, write).
 */
#include "shim_test.h"

/* glibc's _FORTIFY_SOURCE entries, called directly. */
extern int __open_2(const char *path, int flags);
extern int __open64_2(const char *path, int flags);
extern int __openat_2(int dirfd, const char *path, int flags);
extern int __openat64_2(int dirfd, const char *path, int flags);

static void check_is_iommufd(int fd)
{
	struct stat st;
	uint32_t id;

	ASSERT_GE(fd, 0);
	ASSERT_SYS(fstat(fd, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode)); /* a memfd */
	id = ioas_alloc(fd);
	ASSERT_EQ(id, 1);
	ASSERT_EQ(0, close(fd));
}

TEST(open_entries)
{
	check_is_iommufd(open("/dev/iommu", O_RDWR));
	check_is_iommufd(open64("/dev/iommu", O_RDWR));
	check_is_iommufd(openat(AT_FDCWD, "/dev/iommu", O_RDWR));
	check_is_iommufd(openat64(AT_FDCWD, "/dev/iommu", O_RDWR));
	/* An absolute path: the directory descriptor plays no part. */
	check_is_iommufd(openat(-1, "/dev/iommu", O_RDWR));
	check_is_iommufd(__open_2("/dev/iommu", O_RDWR));
	check_is_iommufd(__open64_2("/dev/iommu", O_RDWR));
	check_is_iommufd(__openat_2(AT_FDCWD, "/dev/iommu", O_RDWR));
	check_is_iommufd(__openat64_2(AT_FDCWD, "/dev/iommu", O_RDWR));
}

TEST(open_flags)
{
	int fd;

	fd = open("/dev/iommu", O_RDWR);
	ASSERT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	ASSERT_ERRNO(ENOTDIR, open("/dev/iommu", O_RDONLY | O_DIRECTORY));
	ASSERT_ERRNO(EEXIST, open("/dev/iommu", O_RDWR | O_CREAT | O_EXCL,
				  0600));
}

TEST(ioas_commands)
{
	struct iommu_iova_range ranges[4], allow = { .start = 1UL << 30,
						    .last = (1UL << 31) - 1 };
	struct iommu_ioas_iova_ranges ranges_cmd = {
		.size = sizeof(ranges_cmd),
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)ranges,
	};
	struct iommu_ioas_allow_iovas allow_cmd = {
		.size = sizeof(allow_cmd),
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&allow,
	};
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
	};
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = MAP_RW,
		.length = 4 * PAGE_SZ,
	};
	struct iommu_ioas_map_file map_file = {
		.size = sizeof(map_file),
		.flags = MAP_RW,
		.length = 4 * PAGE_SZ,
	};
	struct iommu_ioas_change_process chg = { .size = sizeof(chg) };
	int fd = iommufd_open();
	uint32_t ioas = ioas_alloc(fd), ioas2 = ioas_alloc(fd);
	void *buf = map_buffer(4 * PAGE_SZ);
	uint64_t iova = 0, unmapped;
	int mfd;

	/* IOVA_RANGES: a fresh IOAS is all of it. */
	ranges_cmd.ioas_id = ioas;
	ASSERT_SYS(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &ranges_cmd));
	ASSERT_EQ(1, ranges_cmd.num_iovas);
	ASSERT_U64_EQ(0, ranges[0].start);
	ASSERT_U64_EQ(UINT64_MAX, ranges[0].last);
	ASSERT_U64_EQ(1, ranges_cmd.out_iova_alignment);

	/* ALLOW_IOVAS, then MAP picks an IOVA inside. */
	allow_cmd.ioas_id = ioas;
	ASSERT_SYS(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &allow_cmd));
	ASSERT_SYS(ioas_map(fd, ioas, buf, 4 * PAGE_SZ, &iova, MAP_RW));
	ASSERT_GE(iova, allow.start);
	ASSERT_LE(iova + 4 * PAGE_SZ - 1, allow.last);

	/* COPY to the other IOAS, at a fixed IOVA. */
	copy.dst_ioas_id = ioas2;
	copy.src_ioas_id = ioas;
	copy.src_iova = iova;
	copy.dst_iova = 1UL << 20;
	copy.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	ASSERT_SYS(ioctl(fd, IOMMU_IOAS_COPY, &copy));

	/* UNMAP: partial is ENOENT, whole returns the length. */
	ASSERT_ERRNO(ENOENT, ioas_unmap(fd, ioas, iova, PAGE_SZ, NULL));
	ASSERT_SYS(ioas_unmap(fd, ioas, iova, 4 * PAGE_SZ, &unmapped));
	ASSERT_U64_EQ(4 * PAGE_SZ, unmapped);
	ASSERT_SYS(ioas_unmap(fd, ioas2, 0, UINT64_MAX, &unmapped));
	ASSERT_U64_EQ(4 * PAGE_SZ, unmapped);

	/* OPTION: per IOAS huge pages, the global RLIMIT_MODE. */
	opt.object_id = ioas;
	ASSERT_SYS(ioctl(fd, IOMMU_OPTION, &opt));
	ASSERT_U64_EQ(1, opt.val64);
	opt.op = IOMMU_OPTION_OP_SET;
	opt.val64 = 0;
	ASSERT_SYS(ioctl(fd, IOMMU_OPTION, &opt));
	opt.op = IOMMU_OPTION_OP_GET;
	ASSERT_SYS(ioctl(fd, IOMMU_OPTION, &opt));
	ASSERT_U64_EQ(0, opt.val64);
	opt.option_id = IOMMU_OPTION_RLIMIT_MODE;
	opt.object_id = 0;
	ASSERT_SYS(ioctl(fd, IOMMU_OPTION, &opt));
	ASSERT_U64_EQ(0, opt.val64);

	/* MAP_FILE of a memfd; CHANGE_PROCESS accepts fd-backed maps. */
	mfd = memfd_create("buf", MFD_CLOEXEC);
	ASSERT_SYS(mfd);
	ASSERT_SYS(ftruncate(mfd, 4 * PAGE_SZ));
	map_file.ioas_id = ioas;
	map_file.fd = mfd;
	ASSERT_SYS(ioctl(fd, IOMMU_IOAS_MAP_FILE, &map_file));
	ASSERT_SYS(ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &chg));
	/* ... and refuses user memory maps, as Linux. */
	iova = 0;
	ASSERT_SYS(ioas_map(fd, ioas2, buf, PAGE_SZ, &iova, MAP_RW));
	ASSERT_ERRNO(EINVAL, ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &chg));

	/* DESTROY */
	ASSERT_SYS(iommufd_destroy(fd, ioas2));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(fd, ioas2));

	/* The dispatcher's rules reach the caller as errno. */
	ASSERT_ERRNO(EFAULT, ioctl(fd, IOMMU_DESTROY, NULL));
	ASSERT_ERRNO(ENOTTY, ioctl(fd, _IO(IOMMUFD_TYPE, 0x7f), &chg));
	ASSERT_ERRNO(ENOTTY, ioctl(fd, _IO(IOMMUFD_TYPE, 0xff), &chg));
	ranges_cmd.size = sizeof(ranges_cmd) - 1;
	ASSERT_ERRNO(EINVAL, ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &ranges_cmd));

	close(mfd);
	ASSERT_EQ(0, close(fd));
}

TEST(dma_through_mock_domain)
{
	int fd = iommufd_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd), hwpt = 0;
	uint8_t *buf = map_buffer(4 * PAGE_SZ), out[64], in[64];
	uint64_t iova = MOCK_APERTURE_START;

	ASSERT_SYS(mock_domain(fd, ioas, NULL, &hwpt));
	ASSERT_SYS(ioas_map_fixed(fd, ioas, buf, 4 * PAGE_SZ, iova));
	ASSERT_SYS(mock_check_map(fd, hwpt, iova, 4 * PAGE_SZ, buf));

	/* The access fd the uAPI returns is a real descriptor. */
	ASSERT_SYS(access_create(fd, ioas, 0, &afd));
	ASSERT_SYS(fcntl(afd, F_GETFD));
	memset(out, 0xa7, sizeof(out));
	ASSERT_SYS(access_rw(fd, afd, iova + PAGE_SZ - 8, out, sizeof(out),
			     true));
	ASSERT_EQ(0, memcmp(buf + PAGE_SZ - 8, out, sizeof(out)));
	buf[2 * PAGE_SZ] = 0x11;
	ASSERT_SYS(access_rw(fd, afd, iova + 2 * PAGE_SZ, in, 1, false));
	ASSERT_EQ(0x11, in[0]);
	ASSERT_EQ(0, close(afd));
	ASSERT_EQ(0, close(fd));
}

TEST(two_contexts_isolated)
{
	int a = iommufd_open(), b = iommufd_open(), afd = -1;
	uint32_t ia = ioas_alloc(a), ia2 = ioas_alloc(a);
	uint32_t ib = ioas_alloc(b);
	uint8_t byte;

	/* Each context numbers its objects from 1. */
	ASSERT_EQ(1, ia);
	ASSERT_EQ(1, ib);
	/* An id of one is nothing in the other. */
	ASSERT_ERRNO(ENOENT, iommufd_destroy(b, ia2));
	/* Nor is an access descriptor of one, as in Linux (EBADFD). */
	ASSERT_SYS(access_create(a, ia, 0, &afd));
	ASSERT_ERRNO(EBADFD, access_rw(b, afd, MOCK_APERTURE_START, &byte, 1,
				       false));
	ASSERT_EQ(0, close(afd));
	ASSERT_SYS(iommufd_destroy(a, ia2));
	ASSERT_SYS(iommufd_destroy(b, ib));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(b, ia));
	ASSERT_SYS(iommufd_destroy(a, ia));
	close(a);
	close(b);
}

TEST(descriptor_is_a_memfd)
{
	int fd = iommufd_open_flags(O_RDWR), on = 1;
	char c;

	/* The VFS's own ioctls act on the descriptor itself. */
	ASSERT_SYS(ioctl(fd, FIOCLEX));
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_SYS(ioctl(fd, FIONCLEX));
	ASSERT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_SYS(ioctl(fd, FIONBIO, &on));
	ASSERT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	/* Any other number is the context's: unknown ones are ENOTTY. */
	ASSERT_ERRNO(ENOTTY, ioctl(fd, FIONREAD, &on));
	/* Empty and sealed. */
	ASSERT_EQ(0, read(fd, &c, 1));
	ASSERT_ERRNO(EPERM, write(fd, "x", 1));
	close(fd);
}

TEST_MAIN()
