// SPDX-License-Identifier: MIT
/*
 * Descriptors of the shim's contexts: duplicates share the context and the
 * last one ends it; close_range, dup2 over a descriptor, a descriptor
 * closed behind the shim's back; fork (the child cannot use the parent's
 * context), vfork (the child leaves the parent's table alone) and exec
 * (O_CLOEXEC honoured, survivors are plain memfds); the access descriptors
 * the selftest uAPI returns.
 */
#include "shim_test.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <linux/close_range.h>

#define BUF_PAGES 16

/* A context with a mock domain and BUF_PAGES pinned pages. */
static int pinned_context(uint8_t **bufp, uint32_t *ioasp)
{
	int fd = iommufd_open();
	uint32_t ioas = ioas_alloc(fd);
	uint8_t *buf = map_buffer(BUF_PAGES * PAGE_SZ);

	ASSERT_SYS(mock_domain(fd, ioas, NULL, NULL));
	ASSERT_SYS(ioas_map_fixed(fd, ioas, buf, BUF_PAGES * PAGE_SZ,
				  MOCK_APERTURE_START));
	*bufp = buf;
	if (ioasp)
		*ioasp = ioas;
	return fd;
}

/* The context named by @fd is alive: its IOAS @ioas exists. */
static void assert_alive(int fd, uint32_t ioas)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = ioas,
	};

	ASSERT_SYS(ioctl(fd, IOMMU_OPTION, &opt));
}

TEST(dups_share_the_context)
{
	int fd = iommufd_open(), d1, d2, d3, d4, d5;
	uint32_t ioas = ioas_alloc(fd), other = 0;

	d1 = dup(fd);
	d2 = dup2(fd, 100);
	d3 = dup3(fd, 101, O_CLOEXEC);
	d4 = fcntl(fd, F_DUPFD, 200);
	d5 = fcntl(fd, F_DUPFD_CLOEXEC, 300);
	ASSERT_SYS(d1);
	ASSERT_EQ(100, d2);
	ASSERT_EQ(101, d3);
	ASSERT_GE(d4, 200);
	ASSERT_GE(d5, 300);
	ASSERT_EQ(FD_CLOEXEC, fcntl(d3, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(FD_CLOEXEC, fcntl(d5, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, fcntl(d4, F_GETFD) & FD_CLOEXEC);

	/* One context: an object made through one is seen through all. */
	ASSERT_SYS(ioas_alloc_rc(d3, &other));
	ASSERT_EQ(ioas + 1, other);
	assert_alive(d1, other);
	assert_alive(d2, ioas);
	assert_alive(d4, other);
	ASSERT_SYS(iommufd_destroy(d5, other));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(fd, other));

	/* It outlives any of them but the last. */
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, close(d1));
	ASSERT_EQ(0, close(d2));
	ASSERT_EQ(0, close(d3));
	ASSERT_EQ(0, close(d4));
	assert_alive(d5, ioas);
	ASSERT_EQ(0, close(d5));
	ASSERT_ERRNO(EBADF, ioctl(d5, IOMMU_IOAS_ALLOC, NULL));
}

TEST(last_close_ends_the_context)
{
	int probe = iommufd_open();
	uint8_t *buf;
	uint32_t ioas;
	int fd = pinned_context(&buf, &ioas), d;

	ASSERT_SYS(check_refs(probe, buf, BUF_PAGES * PAGE_SZ, 1));
	d = dup(fd);
	ASSERT_EQ(0, close(fd));
	/* Still pinned: the context lives on through the duplicate. */
	ASSERT_SYS(check_refs(probe, buf, BUF_PAGES * PAGE_SZ, 1));
	assert_alive(d, ioas);
	ASSERT_EQ(0, close(d));
	/* Every object destroyed, every page unpinned. */
	ASSERT_SYS(check_refs(probe, buf, BUF_PAGES * PAGE_SZ, 0));
	close(probe);

	/* A new context knows nothing of the old one. */
	fd = iommufd_open();
	ASSERT_ERRNO(ENOENT, iommufd_destroy(fd, ioas + 1));
	close(fd);
}

TEST(dup2_over_descriptors)
{
	int probe = iommufd_open();
	uint8_t *buf;
	uint32_t ioas;
	int fd = pinned_context(&buf, &ioas), p[2], n;

	ASSERT_SYS(pipe(p));
	/* A context's descriptor onto a pipe's: now a handle. */
	ASSERT_EQ(p[1], dup2(fd, p[1]));
	assert_alive(p[1], ioas);
	/* A pipe onto the context's descriptors: handles dropped. */
	ASSERT_EQ(fd, dup2(p[0], fd));
	ASSERT_ERRNO(ENOTTY, ioctl(fd, IOMMU_IOAS_ALLOC, NULL));
	ASSERT_SYS(check_refs(probe, buf, BUF_PAGES * PAGE_SZ, 1));
	ASSERT_EQ(p[1], dup3(p[0], p[1], O_CLOEXEC));
	ASSERT_SYS(check_refs(probe, buf, BUF_PAGES * PAGE_SZ, 0));
	close(probe);
	ASSERT_SYS(ioctl(p[1], FIONREAD, &n));
	ASSERT_EQ(0, n);
	close(p[0]);
	close(p[1]);
	close(fd);
}

TEST(close_range_and_closefrom)
{
	int a = iommufd_open(), b = iommufd_open(), c;
	uint32_t ia = ioas_alloc(a);

	/* CLOEXEC marks them: still working. */
	ASSERT_SYS(close_range(a, b, CLOSE_RANGE_CLOEXEC));
	assert_alive(a, ia);
	ASSERT_SYS(close_range(a < b ? a : b, a < b ? b : a, 0));
	ASSERT_ERRNO(EBADF, fcntl(a, F_GETFD));
	/* The numbers come back for fresh contexts, and for plain files. */
	c = iommufd_open();
	ASSERT_TRUE(c == a || c == b);
	ASSERT_ERRNO(ENOENT, iommufd_destroy(c, 2));
	closefrom(c);
	ASSERT_ERRNO(EBADF, fcntl(c, F_GETFD));
	c = open("/dev/null", O_RDWR);
	ASSERT_TRUE(c == a || c == b);
	ASSERT_ERRNO(ENOTTY, ioctl(c, IOMMU_IOAS_ALLOC, NULL));
	close(c);
}

TEST(closed_behind_the_shims_back)
{
	int fd = iommufd_open(), again;
	char c;

	ioas_alloc(fd);
	/* Not through libc: the shim cannot see it. */
	ASSERT_SYS(syscall(SYS_close, fd));
	again = open("/dev/zero", O_RDONLY);
	ASSERT_EQ(fd, again);
	/* The stale slot is recognised: /dev/zero answers, not a context. */
	ASSERT_ERRNO(ENOTTY, ioctl(again, IOMMU_IOAS_ALLOC, NULL));
	ASSERT_EQ(1, read(again, &c, 1));
	ASSERT_EQ(0, close(again));
	/* And a new context there is a new one. */
	fd = iommufd_open();
	ASSERT_EQ(1, ioas_alloc(fd));
	close(fd);
}

/*
 * fork: the child inherits the descriptors, not the use of the context.
 * It may close or dup them without harm to the parent, and open its own.
 */
TEST(fork_child_cannot_use_parent_context)
{
	struct iommu_ioas_change_process chg = { .size = sizeof(chg) };
	uint8_t *buf;
	uint32_t ioas;
	int fd = pinned_context(&buf, &ioas), status, d;
	pid_t pid;

	d = dup(fd);
	ASSERT_SYS(check_refs(fd, buf, BUF_PAGES * PAGE_SZ, 1));
	pid = fork();
	ASSERT_SYS(pid);
	if (!pid) {
		int own, d2;

		/* mlock() is not inherited: nothing is pinned here. */
		ASSERT_EQ(0, vm_locked_kb());
		ASSERT_ERRNO(ENOTTY, ioctl(fd, IOMMU_IOAS_ALLOC, NULL));
		ASSERT_ERRNO(ENOTTY, ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS,
					   &chg));
		ASSERT_ERRNO(ENOTTY, iommufd_destroy(fd, ioas));
		d2 = dup(fd);
		ASSERT_SYS(d2);
		ASSERT_ERRNO(ENOTTY, ioctl(d2, IOMMU_IOAS_ALLOC, NULL));
		ASSERT_EQ(0, close(d2));
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, close(d));
		/* A context of its own works as usual. */
		own = iommufd_open();
		ASSERT_EQ(1, ioas_alloc(own));
		ASSERT_SYS(ioctl(own, IOMMU_IOAS_CHANGE_PROCESS, &chg));
		ASSERT_EQ(0, close(own));
		exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* The parent's context is untouched: objects, pins. */
	assert_alive(fd, ioas);
	assert_alive(d, ioas);
	ASSERT_SYS(check_refs(fd, buf, BUF_PAGES * PAGE_SZ, 1));
	/* CHANGE_PROCESS from the opener: EINVAL for user memory maps. */
	ASSERT_ERRNO(EINVAL, ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &chg));
	ASSERT_SYS(ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL));
	ASSERT_SYS(ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &chg));
	close(d);
	close(fd);
}

/*
 * A vfork() child shares the parent's memory, the shim's table included,
 * but not its descriptor table: its close() must not drop the parent's
 * slot, and its open() of the device is not the shim's.
 */
TEST(vfork_child_leaves_the_table_alone)
{
	int fd = iommufd_open(), status;
	uint32_t ioas = ioas_alloc(fd);
	struct stat st;
	pid_t pid;

	pid = vfork();
	ASSERT_SYS(pid);
	if (!pid) {
		int dev;

		close(fd);
		/* The host's answer (ENOENT here), never a memfd context. */
		dev = open("/dev/iommu", O_RDWR);
		if (dev >= 0 && !fstat(dev, &st) && S_ISREG(st.st_mode))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	assert_alive(fd, ioas);
	ASSERT_EQ(0, close(fd));
}

/*
 * IOMMU_TEST_OP_CREATE_ACCESS returns a real descriptor, close-on-exec as
 * Linux's; closing it destroys the access and drops its pins.
 */
TEST(access_fd_close_destroys_the_access)
{
	int fd = iommufd_open(), afd = -1;
	uint32_t ioas = ioas_alloc(fd);
	uint8_t *buf = map_buffer(4 * PAGE_SZ), byte;
	uint64_t iova = MOCK_APERTURE_START;
	struct iommu_test_cmd pin = {
		.size = sizeof(pin),
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.access_pages = { .iova = iova, .length = PAGE_SZ,
				  .uptr = (uintptr_t)buf },
	};
	struct stat st;

	ASSERT_SYS(ioas_map_fixed(fd, ioas, buf, 4 * PAGE_SZ, iova));
	ASSERT_SYS(access_create(fd, ioas,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	ASSERT_SYS(fstat(afd, &st));
	ASSERT_EQ(FD_CLOEXEC, fcntl(afd, F_GETFD) & FD_CLOEXEC);
	pin.id = (uint32_t)afd;
	ASSERT_SYS(ioctl(fd, IOMMU_TEST_CMD, &pin));
	/* No domain: the access's pin is the only one. */
	ASSERT_SYS(check_refs(fd, buf, PAGE_SZ, 1));
	ASSERT_SYS(access_rw(fd, afd, iova, &byte, 1, false));

	ASSERT_EQ(0, close(afd));
	ASSERT_SYS(check_refs(fd, buf, PAGE_SZ, 0));
	ASSERT_ERRNO(EBADFD, access_rw(fd, afd, iova, &byte, 1, false));
	/* Its number, reused by another file, is no access either. */
	ASSERT_EQ(afd, open("/dev/null", O_RDONLY));
	ASSERT_ERRNO(EBADFD, access_rw(fd, afd, iova, &byte, 1, false));
	close(afd);
	ASSERT_SYS(ioas_unmap(fd, ioas, iova, 4 * PAGE_SZ, NULL));
	ASSERT_EQ(0, close(fd));
}

/* Run in the exec'd copy of this program: see main(). */
static int exec_check(int cloexec_fd, int kept_fd)
{
	uint32_t id;
	int fd;

	if (fcntl(cloexec_fd, F_GETFD) != -1 || errno != EBADF)
		return 10;
	if (fcntl(kept_fd, F_GETFD) < 0)
		return 11;
	/* A survivor is a plain memfd here: no context. */
	if (ioctl(kept_fd, IOMMU_IOAS_ALLOC, &id) != -1 || errno != ENOTTY)
		return 12;
	if (close(kept_fd))
		return 13;
	/* The new program opens its own. */
	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0 || ioas_alloc_rc(fd, &id) || id != 1 || close(fd))
		return 14;
	return 0;
}

TEST(exec_cloexec_and_survivors)
{
	int a = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	int b = open("/dev/iommu", O_RDWR);
	char sa[16], sb[16];
	int status;
	pid_t pid;

	ASSERT_SYS(a);
	ASSERT_SYS(b);
	ioas_alloc(a);
	ioas_alloc(b);
	snprintf(sa, sizeof(sa), "%d", a);
	snprintf(sb, sizeof(sb), "%d", b);
	pid = fork();
	ASSERT_SYS(pid);
	if (!pid) {
		execl("/proc/self/exe", "shim_fds", "--exec-check", sa, sb,
		      (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	close(a);
	close(b);
}

struct race {
	int fd;
	uint32_t ioas;
	int errors;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < 2000; i++) {
		struct iommu_option opt = {
			.size = sizeof(opt),
			.option_id = IOMMU_OPTION_HUGE_PAGES,
			.op = IOMMU_OPTION_OP_GET,
			.object_id = r->ioas,
		};
		int d = dup(r->fd);

		if (d < 0 || ioctl(d, IOMMU_OPTION, &opt) || close(d))
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST(threads_dup_ioctl_close)
{
	struct race r = { .fd = iommufd_open() };
	pthread_t t[4];
	int i;

	r.ioas = ioas_alloc(r.fd);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_thread, &r));
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(0, r.errors);
	assert_alive(r.fd, r.ioas);
	close(r.fd);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--exec-check"))
		return exec_check(atoi(argv[2]), atoi(argv[3]));
	return test_main();
}
