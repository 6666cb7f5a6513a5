// SPDX-License-Identifier: MIT
/*
 * Everything that is not a context goes to libc unchanged: files, pipes,
 * their ioctls and their errors, paths that only look like the devices,
 * and the devices themselves when the host has them.
 */
#include "shim_test.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

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

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * A private mount namespace (and a user namespace if that is what it
 * takes) where /dev is a tmpfs. Return: an O_PATH descriptor of the
 * namespace's /dev/null from before the tmpfs (a bind source must be a
 * mount of the caller's namespace), or -1 if the host allows neither.
 */
static int private_dev(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];
	int chr;

	if (unshare(CLONE_NEWNS)) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
			return -1;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		if (write_str("/proc/self/uid_map", map))
			return -1;
		write_str("/proc/self/setgroups", "deny");
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		if (write_str("/proc/self/gid_map", map))
			return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	chr = open("/dev/null", O_PATH | O_CLOEXEC);
	if (chr < 0 || mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755"))
		return -1;
	return chr;
}

/* Put the character device open as @chr_fd at @path (a new file). */
static void bind_chr(int chr_fd, const char *path)
{
	char src[64];

	/* mknod(), not open(O_CREAT): the shim would answer that open. */
	ASSERT_SYS(mknod(path, S_IFREG | 0600, 0));
	snprintf(src, sizeof(src), "/proc/self/fd/%d", chr_fd);
	ASSERT_SYS(mount(src, path, NULL, MS_BIND, NULL));
}

/* @path opens to the host's device (or fails as it does), not the shim. */
static void assert_host_answers(const char *path, unsigned long request)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		/* e.g. EACCES: a nodev mount in a user namespace. */
		ASSERT_NE(ENOENT, errno);
		return;
	}
	ASSERT_SYS(fstat(fd, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_ERRNO(ENOTTY, ioctl(fd, request, NULL));
	ASSERT_EQ(0, close(fd));
}

static void host_device_child(void)
{
	int chr = private_dev(), fd;
	struct stat st;

	if (chr < 0)
		SKIP("no mount namespace: %s", strerror(errno));
	/* The host's devices: character devices at both paths. */
	bind_chr(chr, "/dev/iommu");
	ASSERT_SYS(mkdir("/dev/vfio", 0755));
	bind_chr(chr, "/dev/vfio/vfio");
	ASSERT_SYS(stat("/dev/iommu", &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));

	/* Unset, or anything but "1": the shim steps aside. */
	ASSERT_SYS(unsetenv("PRIVMEM_SHIM_FORCE"));
	assert_host_answers("/dev/iommu", IOMMU_IOAS_ALLOC);
	assert_host_answers("/dev/vfio/vfio", VFIO_GET_API_VERSION);
	ASSERT_SYS(setenv("PRIVMEM_SHIM_FORCE", "0", 1));
	assert_host_answers("/dev/iommu", IOMMU_IOAS_ALLOC);
	ASSERT_SYS(setenv("PRIVMEM_SHIM_FORCE", "yes", 1));
	assert_host_answers("/dev/iommu", IOMMU_IOAS_ALLOC);

	/* PRIVMEM_SHIM_FORCE=1: the shim's contexts all the same. */
	ASSERT_SYS(setenv("PRIVMEM_SHIM_FORCE", "1", 1));
	fd = iommufd_open();
	ASSERT_SYS(fstat(fd, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(1, ioas_alloc(fd));
	ASSERT_EQ(0, close(fd));
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_SYS(fd);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(0, close(fd));
	exit(0);
}

/*
 * A host with /dev/iommu, faked: /dev/null bound at /dev/iommu and
 * /dev/vfio/vfio in a private mount namespace.
 */
TEST(host_device_takes_precedence)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_SYS(pid);
	if (!pid)
		host_device_child();
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == KSFT_SKIP)
		SKIP("needs a mount or user namespace");
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_MAIN()
