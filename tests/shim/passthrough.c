// SPDX-License-Identifier: MIT
/*
 * Everything that is not a context goes to libc unchanged: files, pipes,
 * their ioctls and their errors, paths that only look like the devices.
 */
#include "shim_test.h"

TEST(regular_file)
{
	char path[] = "/tmp/privmem-shim-XXXXXX", back[6];
	int fd = mkstemp(path), fd2, n;

	ASSERT_SYS(fd);
	ASSERT_EQ(0, close(fd));
	/* open() with a mode argument, through the shim. */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_SYS(fd);
	ASSERT_EQ(5, write(fd, "hello", 5));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	fd2 = dup(fd);
	ASSERT_SYS(fd2);
	ASSERT_EQ(5, read(fd2, back, 5));
	ASSERT_EQ(0, memcmp(back, "hello", 5));
	/* ioctl(2): the file's own answers and errors. */
	ASSERT_SYS(ioctl(fd, FIONREAD, &n));
	ASSERT_EQ(0, n);
	ASSERT_ERRNO(ENOTTY, ioctl(fd, IOMMU_IOAS_ALLOC, &n));
	ASSERT_ERRNO(ENOTTY, ioctl(fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, close(fd));
	ASSERT_ERRNO(EBADF, close(fd));
	fd = openat(AT_FDCWD, path, O_RDONLY);
	ASSERT_SYS(fd);
	ASSERT_EQ(0, close(fd));
	ASSERT_SYS(unlink(path));
	ASSERT_ERRNO(ENOENT, open(path, O_RDONLY));
}

TEST(pipe_ends)
{
	int p[2], n, d;
	char c;

	ASSERT_SYS(pipe(p));
	ASSERT_EQ(3, write(p[1], "abc", 3));
	ASSERT_SYS(ioctl(p[0], FIONREAD, &n));
	ASSERT_EQ(3, n);
	ASSERT_ERRNO(ENOTTY, ioctl(p[0], IOMMU_IOAS_ALLOC, &n));
	d = fcntl(p[0], F_DUPFD_CLOEXEC, 50);
	ASSERT_GE(d, 50);
	ASSERT_EQ(1, read(d, &c, 1));
	ASSERT_EQ('a', c);
	ASSERT_EQ(0, close(d));
	ASSERT_EQ(0, close(p[0]));
	ASSERT_EQ(0, close(p[1]));
}

TEST(bad_descriptors)
{
	ASSERT_ERRNO(EBADF, close(-1));
	ASSERT_ERRNO(EBADF, close(1 << 30));
	ASSERT_ERRNO(EBADF, ioctl(-1, IOMMU_IOAS_ALLOC, NULL));
	ASSERT_ERRNO(EBADF, ioctl(1 << 30, IOMMU_IOAS_ALLOC, NULL));
	ASSERT_ERRNO(EBADF, dup(-1));
	ASSERT_ERRNO(EBADF, dup2(-1, 5));
	ASSERT_ERRNO(EBADF, fcntl(-1, F_DUPFD, 0));
}

/* Only the exact device paths are the shim's (documented). */
TEST(other_paths)
{
	struct stat st;
	int dir, fd;

	ASSERT_ERRNO(ENOENT, open("/dev/iommu2", O_RDWR));
	ASSERT_ERRNO(ENOENT, open("/dev/iommu/", O_RDWR));
	fd = open("/dev/null", O_RDWR);
	ASSERT_SYS(fd);
	ASSERT_ERRNO(ENOTTY, ioctl(fd, IOMMU_IOAS_ALLOC, NULL));
	close(fd);
	if (!stat("/dev/iommu", &st))
		SKIP("the host has a /dev/iommu");
	/* Relative to /dev: not matched, the host answers. */
	dir = open("/dev", O_RDONLY | O_DIRECTORY);
	ASSERT_SYS(dir);
	ASSERT_ERRNO(ENOENT, openat(dir, "iommu", O_RDWR));
	close(dir);
}

TEST_MAIN()
