// SPDX-License-Identifier: MIT
/*
 * gmem backends: creation, the store's accessors and fds, the initial
 * state, one round trip of conversion per backend, and fd/mapping hygiene
 * at close. Every backend gets the same checks; a backend the host lacks
 * (KVM, memfd_secret, free huge pages) SKIPs with the reason.
 */
#include "gmem_common.c"

TEST(backend_names)
{
	const char *seen[PM_GMEM_NR_BACKENDS];
	int b, i;

	ASSERT_EQ(strcmp(pm_gmem_backend_name(PM_GMEM_GUEST_MEMFD),
			 "guest_memfd"),
		  0);
	ASSERT_EQ(strcmp(pm_gmem_backend_name(PM_GMEM_MEMFD), "memfd"), 0);
	for (b = 0; b < PM_GMEM_NR_BACKENDS; b++) {
		seen[b] = pm_gmem_backend_name(b);
		ASSERT_TRUE(seen[b] && seen[b][0]);
		for (i = 0; i < b; i++)
			ASSERT_NE(strcmp(seen[i], seen[b]), 0);
	}
	/* Out of range: still a string, never a crash. */
	ASSERT_TRUE(pm_gmem_backend_name(PM_GMEM_NR_BACKENDS));
	ASSERT_TRUE(pm_gmem_backend_name((enum pm_gmem_backend)99));
}

static int try_create(enum pm_gmem_backend b, uint64_t size, uint32_t flags,
		      int fd)
{
	struct pm_gmem_config cfg = {
		.backend = b,
		.size = size,
		.flags = flags,
		.vm_fd = -1,
		.fd = fd,
	};
	struct pm_gmem *g = NULL;
	int rc = pm_gmem_create(&cfg, &g);

	if (!rc)
		pm_gmem_close(g);
	return rc;
}

/* Bad configurations are refused with -EINVAL and leave nothing behind. */
TEST(create_invalid)
{
	char fds0[4096], fds1[4096];
	long maps0 = maps_backing_count();
	int mfd, pipefd[2], devnull;

	gmem_log_setup();
	mfd = memfd_create("gmem-small", MFD_CLOEXEC);
	ASSERT_SYS(mfd);
	ASSERT_SYS(ftruncate(mfd, 4 * PG));
	ASSERT_SYS(pipe2(pipefd, O_CLOEXEC));
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_SYS(devnull);
	fd_snapshot(fds0, sizeof(fds0));

	ASSERT_ERR(EINVAL, try_create(PM_GMEM_MEMFD, 0, 0, -1));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_MEMFD, PG + 1, 0, -1));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_MEMFD, PG / 2, 0, -1));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_SECRET, 3 * PG - 512, 0, -1));
	/* A multiple of 4 KiB but not of the backend's huge page size. */
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_HUGETLB_2M, 4 * PG, 0, -1));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_HUGETLB_2M, 3 * MiB, 0, -1));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_HUGETLB_1G, 2 * MiB, 0, -1));
	/* Unknown flags, unknown backends. */
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_MEMFD, PG, 1u << 1, -1));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_MEMFD, PG, 1u << 31, -1));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_NR_BACKENDS, PG, 0, -1));
	ASSERT_ERR(EINVAL, try_create((enum pm_gmem_backend)99, PG, 0, -1));
	/* Adoption: a non-memfd, a memfd smaller than the store. */
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_ADOPT, PG, 0, pipefd[0]));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_ADOPT, PG, 0, devnull));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_ADOPT, 8 * PG, 0, mfd));
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_ADOPT, 2 * PG + 1, 0, mfd));

	fd_snapshot(fds1, sizeof(fds1));
	if (strcmp(fds0, fds1))
		FAIL("failed creations leaked fds: before [%s] after [%s]",
		     fds0, fds1);
	ASSERT_EQ(maps_backing_count(), maps0);
}

/* gmem.h: -EINVAL for a bad fd; adopting fd -1 is one. */
TEST(create_adopt_no_fd)
{
	gmem_log_setup();
	ASSERT_ERR(EINVAL, try_create(PM_GMEM_ADOPT, PG, 0, -1));
}

/*
 * The whole life of a small store: accessors, fds, initial state, shared
 * pages read and write, one page private (faults in the view, discarded),
 * back to shared (zeros), close (every fd and mapping gone).
 */
static void lifecycle(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 4 * gr;
	char fds0[4096], fds1[4096];
	struct pm_gmem_stats st;
	long maps0 = maps_backing_count();
	struct pm_gmem *g;
	char link[256];
	uint8_t *v;
	int i, priv, shared;

	fd_snapshot(fds0, sizeof(fds0));
	g = gmem_new(b, size, 0);
	v = gview(g);
	priv = pm_gmem_private_fd(g);
	shared = pm_gmem_shared_fd(g);
	ASSERT_GE(priv, 0);
	ASSERT_GE(shared, 0);
	ASSERT_NE(priv, shared);
	ASSERT_TRUE(fd_is_open(priv));
	ASSERT_TRUE(fd_is_open(shared));
	/* The shared fd is a memfd, named after the store (for /proc). */
	fd_link(shared, link, sizeof(link));
	if (strncmp(link, "/memfd:", 7) || !strstr(link, "gmem-test"))
		FAIL("the shared fd is %s, not a memfd named for the store",
		     link);
	if (b == PM_GMEM_GUEST_MEMFD) {
		ASSERT_GE(pm_gmem_vm_fd(g), 0);
		ASSERT_TRUE(fd_is_open(pm_gmem_vm_fd(g)));
	} else {
		ASSERT_EQ(pm_gmem_vm_fd(g), -1);
	}

	ASSERT_STATES(g, "SSSS");
	ASSERT_ERR(EINVAL, pm_gmem_is_private(g, size));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.size, size);
	ASSERT_U64_EQ(st.private_bytes, 0);
	ASSERT_U64_EQ(st.shared_bytes, size);
	ASSERT_U64_EQ(st.nr_extents, 0);
	ASSERT_U64_EQ(st.nr_pinned, 0);
	ASSERT_U64_EQ(st.conversions, 0);
	ASSERT_U64_EQ(st.bytes_converted, 0);

	/* A new store reads zeros; shared pages read and write. */
	for (i = 0; i < 4; i++)
		ASSERT_PATTERN(v + i * gr, gr, 0);
	for (i = 0; i < 4; i++)
		fill_pattern(v + i * gr, gr, i + 1);
	for (i = 0; i < 4; i++)
		ASSERT_PATTERN(v + i * gr, gr, i + 1);

	ASSERT_OK(pm_gmem_convert(g, gr, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_STATES(g, "SPSS");
	ASSERT_EQ(touch_here(v + gr, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(v + 2 * gr - 1, true, 1), SIGBUS);
	ASSERT_PAGE(g, gr, 0);
	ASSERT_PATTERN(v, gr, 1);
	ASSERT_PATTERN(v + 2 * gr, gr, 3);
	ASSERT_PATTERN(v + 3 * gr, gr, 4);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.private_bytes, gr);
	ASSERT_U64_EQ(st.shared_bytes, size - gr);
	ASSERT_U64_EQ(st.nr_extents, 1);
	ASSERT_U64_EQ(st.conversions, 1);
	ASSERT_U64_EQ(st.bytes_converted, gr);

	ASSERT_OK(pm_gmem_convert(g, gr, gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_STATES(g, "SSSS");
	ASSERT_PATTERN(v + gr, gr, 0);
	ASSERT_PATTERN(v, gr, 1);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.private_bytes, 0);
	ASSERT_U64_EQ(st.nr_extents, 0);
	ASSERT_U64_EQ(st.conversions, 2);
	ASSERT_U64_EQ(st.bytes_converted, 2 * gr);

	pm_gmem_close(g);
	fd_snapshot(fds1, sizeof(fds1));
	if (strcmp(fds0, fds1))
		FAIL("close left fds: before [%s] after [%s]", fds0, fds1);
	ASSERT_EQ(maps_backing_count(), maps0);
}
GMEM_TEST_ALL(lifecycle)

/* PM_GMEM_F_INIT_PRIVATE: every page private, one extent, view faults. */
static void init_private(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 4 * gr;
	struct pm_gmem_stats st;
	struct pm_gmem *g = gmem_new(b, size, PM_GMEM_F_INIT_PRIVATE);
	int i;

	ASSERT_STATES(g, "PPPP");
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.private_bytes, size);
	ASSERT_U64_EQ(st.shared_bytes, 0);
	ASSERT_U64_EQ(st.nr_extents, 1);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(touch_here(gview(g) + i * gr, false, 0), SIGBUS);
		ASSERT_PAGE(g, i * gr, 0);
	}
	ASSERT_OK(pm_gmem_convert(g, 0, size, PM_GMEM_SHARED, 0, NULL));
	ASSERT_STATES(g, "SSSS");
	ASSERT_PATTERN(gview(g), size, 0);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(init_private)

/*
 * Closing with pages still held (shared and private) and a notifier still
 * registered: the store lets them go; no fd and no mapping survives.
 */
static void close_with_holds(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	char fds0[4096], fds1[4096];
	struct pm_gmem_page p0, p1, p1b;
	long maps0 = maps_backing_count(), maps1;
	struct pm_gmem *g;

	fd_snapshot(fds0, sizeof(fds0));
	g = gmem_new(b, 4 * gr, 0);
	maps1 = maps_backing_count();
	set_states(g, "SP", 0);
	ASSERT_OK(pm_gmem_get_pfn(g, 0, 0, &p0));
	ASSERT_OK(pm_gmem_get_pfn(g, gr, 0, &p1));
	ASSERT_OK(pm_gmem_get_pfn(g, gr, 0, &p1b));
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 2);
	/* The two holds of the private page share at most one mapping. */
	ASSERT_LE(maps_backing_count(), maps1 + 1);
	pm_gmem_close(g);
	fd_snapshot(fds1, sizeof(fds1));
	if (strcmp(fds0, fds1))
		FAIL("close left fds: before [%s] after [%s]", fds0, fds1);
	/* Neither the view nor a hold's private mapping survives. */
	ASSERT_EQ(maps_backing_count(), maps0);
}
GMEM_TEST_4K(close_with_holds)

/*
 * The 1 GiB backend on a one-page store. The per-backend tests above use
 * four or eight granules (4-16 free 1 GiB pages), more than a host usually
 * has (`make test` lends two), so this is where hugetlb_1g is exercised:
 * a single granule needs one page on each side at most (two while a KEEP
 * conversion copies). Content is checked at sample offsets (filling 1 GiB
 * with a pattern would take seconds).
 */
static const uint64_t samples_1g[] = { 0, 4095, 4096, 123456789, 512 * MiB,
				       GiB - 4096, GiB - 1 };

static void fill_samples(uint8_t *p, uint8_t val)
{
	size_t i;

	for (i = 0; i < sizeof(samples_1g) / sizeof(samples_1g[0]); i++)
		p[samples_1g[i]] = (uint8_t)(val + i);
}

#define ASSERT_SAMPLES(p, val)                                            \
	do {                                                              \
		size_t __i;                                               \
		for (__i = 0; __i < sizeof(samples_1g) / sizeof(samples_1g[0]); \
		     __i++)                                               \
			ASSERT_EQ((p)[samples_1g[__i]],                   \
				  (uint8_t)((val) ? (val) + __i : 0));    \
	} while (0)

TEST(hugetlb_1g_one_page)
{
	char fds0[4096], fds1[4096];
	long maps0 = maps_backing_count();
	struct pm_gmem_page p;
	struct pm_gmem *g;
	uint8_t *v;
	int rc;

	fd_snapshot(fds0, sizeof(fds0));
	g = gmem_new(PM_GMEM_HUGETLB_1G, GiB, 0);
	v = gview(g);
	ASSERT_STATES(g, "S");
	/* Finer than the granule: refused. */
	ASSERT_ERR(EINVAL, pm_gmem_convert(g, 0, 2 * MiB, PM_GMEM_PRIVATE, 0,
					   NULL));
	fill_samples(v, 1);
	ASSERT_OK(pm_gmem_get_pfn(g, 5 * MiB, 0, &p));
	ASSERT_U64_EQ(p.offset, 0);
	ASSERT_EQ(p.order, 18);
	ASSERT_FALSE(p.is_private);
	ASSERT_TRUE(p.ptr == v);
	pm_gmem_put_pfn(g, &p);

	/* Shared -> private, discarding: the view faults, zeros inside. */
	ASSERT_OK(pm_gmem_convert(g, 0, GiB, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_STATES(g, "P");
	ASSERT_EQ(touch_here(v, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(v + GiB - 1, true, 1), SIGBUS);
	ASSERT_OK(pm_gmem_get_pfn(g, GiB - 1, 0, &p));
	ASSERT_TRUE(p.is_private);
	ASSERT_EQ(p.order, 18);
	ASSERT_TRUE(p.ptr);
	ASSERT_SAMPLES((uint8_t *)p.ptr, 0);
	fill_samples(p.ptr, 50);
	pm_gmem_put_pfn(g, &p);

	/* Private -> shared keeping content: the bytes follow. */
	rc = pm_gmem_convert(g, 0, GiB, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP,
			     NULL);
	if (rc == -ENOSPC)
		SKIP("hugetlb_1g: a KEEP conversion needs a second free 1 GiB "
		     "page");
	ASSERT_OK(rc);
	ASSERT_STATES(g, "S");
	ASSERT_SAMPLES(v, 50);

	/* And back to private keeping, then to shared discarding: zeros. */
	ASSERT_OK(pm_gmem_convert(g, 0, GiB, PM_GMEM_PRIVATE,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_OK(pm_gmem_get_pfn(g, 0, 0, &p));
	ASSERT_SAMPLES((uint8_t *)p.ptr, 50);
	pm_gmem_put_pfn(g, &p);
	ASSERT_OK(pm_gmem_convert(g, 0, GiB, PM_GMEM_SHARED, 0, NULL));
	ASSERT_SAMPLES(v, 0);

	pm_gmem_close(g);
	fd_snapshot(fds1, sizeof(fds1));
	if (strcmp(fds0, fds1))
		FAIL("close left fds: before [%s] after [%s]", fds0, fds1);
	ASSERT_EQ(maps_backing_count(), maps0);
}

/*
 * Without CAP_SYS_PTRACE (and with vm.unprivileged_userfaultfd=0, the
 * default) userfaultfd(2) refuses the kernel-mode guard the host view needs.
 * The store then gets it from /dev/userfaultfd where the caller may open
 * that; where it may not, creation is -EOPNOTSUPP, never a view that does
 * not fault. Either way a store that exists guards both user and kernel
 * accesses. Runs in the test's own child, which drops the capability.
 */
TEST(create_without_cap_sys_ptrace)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_MEMFD,
		.size = 4 * PG,
		.vm_fd = -1,
		.fd = -1,
	};
	struct pm_gmem *g = NULL;
	uint8_t buf[16];
	int fd, rc, dev;

	if (read_long_file("/proc/sys/vm/unprivileged_userfaultfd") == 1)
		SKIP("vm.unprivileged_userfaultfd=1: userfaultfd(2) is open "
		     "to everyone here, nothing to prove");
	drop_cap(CAP_SYS_PTRACE);
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		SKIP("userfaultfd(2) still allowed without CAP_SYS_PTRACE");
	ASSERT_EQ(errno, EPERM);
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

	gmem_log_setup();
	rc = pm_gmem_create(&cfg, &g);
	if (dev < 0) {
		printf("# /dev/userfaultfd: %s\n", strerror(errno));
		ASSERT_ERR(EOPNOTSUPP, rc);
		ASSERT_TRUE(strstr(gmem_last_log, "userfaultfd"));
		return;
	}
	close(dev);
	ASSERT_OK(rc);
	ASSERT_OK(pm_gmem_convert(g, PG, PG, PM_GMEM_PRIVATE, 0, NULL));
	fill_pattern(gview(g), PG, 7);
	ASSERT_PATTERN(gview(g), PG, 7);
	ASSERT_EQ(touch_here(gview(g) + PG, false, 0), SIGBUS);
	/* Kernel-mode accesses are guarded too (no UFFD_USER_MODE_ONLY). */
	ASSERT_EQ(vm_read_self(gview(g) + PG, buf, sizeof(buf), NULL), EFAULT);
	ASSERT_EQ(touch_here(gview(g) + PG, false, 0), SIGBUS);
	pm_gmem_close(g);
}

TEST(close_null)
{
	pm_gmem_close(NULL);
}

TEST_MAIN()
