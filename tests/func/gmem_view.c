// SPDX-License-Identifier: MIT
/*
 * The host view (pm_gmem_host_view): shared pages read and write, private
 * pages fault: SIGBUS for a CPU touch (in this process and in a forked
 * child), EFAULT for a kernel access (process_vm_readv on ourselves). The
 * view is one mapping whatever the state pattern, and the shared fd maps
 * the same bytes.
 */
#include "gmem_common.c"

/* "SPSP", each page with its own pattern. */
static struct pm_gmem *spsp(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	int i;

	set_states(g, "SPSP", 0);
	for (i = 0; i < 4; i++)
		page_write(g, i * gr, 40 + i);
	return g;
}

/* Touching a private page through the view raises SIGBUS, here. */
static void view_sigbus(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = spsp(b);
	uint8_t *v = gview(g);

	ASSERT_EQ(touch_here(v + gr, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(v + gr + gr / 2, true, 0x77), SIGBUS);
	ASSERT_EQ(touch_here(v + 4 * gr - 1, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(v + 3 * gr, true, 0x77), SIGBUS);
	/* Shared neighbours work, and a fault changed nothing. */
	ASSERT_EQ(touch_here(v + gr - 1, false, 0), 0);
	ASSERT_EQ(touch_here(v + 2 * gr, false, 0), 0);
	ASSERT_PATTERN(v, gr, 40);
	ASSERT_PATTERN(v + 2 * gr, gr, 42);
	ASSERT_PAGE(g, gr, 41);
	ASSERT_PAGE(g, 3 * gr, 43);
	ASSERT_STATES(g, "SPSP");
	pm_gmem_close(g);
}
GMEM_TEST_ALL(view_sigbus)

/*
 * The same proved in a child process, which must die of SIGBUS (the parent
 * checks WTERMSIG). The child shares our address space (clone(CLONE_VM)):
 * the store marks the view MADV_DONTFORK, so a fork()ed child has no view
 * to touch. A fork()ed child is tried too: whatever kills it, its touch
 * must not make the private offset reachable: the parent's view must still
 * fault there and the store must be unchanged.
 */
static void view_sigbus_child(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = spsp(b);
	static char before[8192], after[8192];
	uint8_t *v = gview(g);
	char d[64];
	int st;

	gmem_digest(g, 4 * gr, before, sizeof(before));
	/* Sanity: a child reading a shared page exits normally. */
	st = touch_in_child(v + 2 * gr, false, true);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("a child reading a shared page: %s",
		     describe_status(st, d, sizeof(d)));
	ASSERT_CHILD_SIGBUS(v + gr, false);
	ASSERT_CHILD_SIGBUS(v + 3 * gr + 5, true);

	st = touch_in_child(v + gr, false, false);
	printf("# fork()ed child reading a private page: %s\n",
	       describe_status(st, d, sizeof(d)));
	if (!WIFSIGNALED(st))
		FAIL("a fork()ed child read a private page: %s", d);
	st = touch_in_child(v + 3 * gr, true, false);
	if (!WIFSIGNALED(st))
		FAIL("a fork()ed child wrote a private page: %s",
		     describe_status(st, d, sizeof(d)));

	ASSERT_EQ(touch_here(v + gr, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(v + 3 * gr, false, 0), SIGBUS);
	gmem_digest(g, 4 * gr, after, sizeof(after));
	if (strcmp(before, after))
		FAIL("a child's touch changed the store:\nbefore: %s\n"
		     "after:  %s",
		     before, after);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(view_sigbus_child)

/* A kernel access (GUP) to a private page through the view: EFAULT. */
static void view_process_vm_readv(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = spsp(b);
	uint8_t *v = gview(g), *buf = malloc(2 * gr);
	ssize_t got;

	ASSERT_TRUE(buf);
	ASSERT_EQ(vm_read_self(v, buf, gr, &got), 0);
	ASSERT_PATTERN(buf, gr, 40);
	ASSERT_EQ(vm_read_self(v + gr, buf, gr, &got), EFAULT);
	ASSERT_EQ(vm_read_self(v + 3 * gr + 100, buf, 16, &got), EFAULT);
	/* Shared then private: the read stops at the private page. */
	memset(buf, 0, 2 * gr);
	ASSERT_EQ(vm_read_self(v, buf, 2 * gr, &got), -1);
	ASSERT_EQ(got, (ssize_t)gr);
	ASSERT_PATTERN(buf, gr, 40);
	/* Writes through the kernel fail the same way. */
	{
		struct iovec l = { .iov_base = buf, .iov_len = 16 };
		struct iovec r = { .iov_base = v + gr, .iov_len = 16 };
		int pfd[2];

		errno = 0;
		ASSERT_EQ(process_vm_writev(getpid(), &l, 1, &r, 1, 0), -1);
		ASSERT_EQ(errno, EFAULT);
		/* And so do read(2) and write(2) on a pipe. */
		ASSERT_SYS(pipe2(pfd, O_CLOEXEC));
		ASSERT_ERRNO(EFAULT, write(pfd[1], v + gr, 16));
		ASSERT_EQ(write(pfd[1], buf, 16), 16);
		ASSERT_ERRNO(EFAULT, read(pfd[0], v + 3 * gr, 16));
		close(pfd[0]);
		close(pfd[1]);
	}
	/* The kernel's attempts allocated nothing on the shared side. */
	ASSERT_EQ(touch_here(v + gr, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(v + 3 * gr, false, 0), SIGBUS);
	ASSERT_PAGE(g, gr, 41);
	ASSERT_PAGE(g, 3 * gr, 43);
	free(buf);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(view_process_vm_readv)

/*
 * One mapping, whatever the pattern: making every other page private adds
 * no VMA (the view is not split per page).
 */
static void view_one_vma(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), i, n = 64;
	struct pm_gmem *g;
	long maps0, maps1;

	if (b == PM_GMEM_HUGETLB_2M || b == PM_GMEM_HUGETLB_1G)
		n = 4;
	g = gmem_new(b, n * gr, 0);
	ASSERT_EQ(maps_in_range(gview(g), n * gr), 1);
	maps0 = maps_backing_count();
	for (i = 0; i < n; i += 2)
		ASSERT_OK(pm_gmem_convert(g, i * gr, gr, PM_GMEM_PRIVATE, 0,
					  NULL));
	ASSERT_EQ(maps_in_range(gview(g), n * gr), 1);
	maps1 = maps_backing_count();
	ASSERT_EQ(maps1, maps0);
	ASSERT_EQ(touch_here(gview(g), false, 0), SIGBUS);
	ASSERT_EQ(touch_here(gview(g) + gr, false, 0), 0);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(view_one_vma)

/* The shared fd is an ordinary memfd: mapped, it shows the view's bytes. */
static void view_shared_fd(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = spsp(b);
	uint8_t *m;

	m = mmap(NULL, gr, PROT_READ | PROT_WRITE, MAP_SHARED,
		 pm_gmem_shared_fd(g), 2 * gr);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_PATTERN(m, gr, 42);
	fill_pattern(m, gr, 99);
	ASSERT_PATTERN(gview(g) + 2 * gr, gr, 99);
	munmap(m, gr);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(view_shared_fd)

TEST_MAIN()
