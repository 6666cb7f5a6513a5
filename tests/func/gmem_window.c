// SPDX-License-Identifier: MIT
/*
 * The KVM window (pm_gmem_kvm_window): an address range that shows, page
 * run by page run, the private backing for private pages and the shared
 * memfd for shared ones, kept in step by conversion, punch, truncation and
 * close. The tests read /proc/self/maps for what each granule maps (file
 * and offset) and compare content through the window with the content the
 * store's own paths give (host view, trusted path). Writes through the
 * window stand in for KVM's.
 *
 * Backends: memfd always, guest_memfd where /dev/kvm offers a host-mappable
 * one, hugetlb 2M where pages are free.
 */
#include "gmem_common.c"

static void *window_of(struct pm_gmem *g)
{
	void *w = NULL;
	int rc = pm_gmem_kvm_window(g, &w);

	if (rc == -EOPNOTSUPP)
		SKIP("%s: private backing cannot be mapped here",
		     pm_gmem_backend_name(pm_gmem_backend_of(g)));
	ASSERT_OK(rc);
	ASSERT_TRUE(w);
	ASSERT_EQ((uintptr_t)w % pm_gmem_granule(g), 0);
	return w;
}

/* Read the granule at @off through the window; FAILs on a fault. */
static void window_read(const uint8_t *win, uint64_t off, void *buf,
			uint64_t gr)
{
	int err = vm_read_self(win + off, buf, gr, NULL);

	if (err)
		FAIL("reading the window at 0x%llx: %d",
		     (unsigned long long)off, err);
}

#define ASSERT_WINDOW_PAGE(win, off, gr, seed)                                 \
	do {                                                                   \
		uint8_t *__b = malloc(gr);                                     \
		ASSERT_TRUE(__b);                                              \
		window_read((win), (off), __b, (gr));                          \
		if (pattern_mismatch(__b, (gr), (seed)) >= 0)                  \
			FAIL("window at 0x%llx does not hold pattern %u",      \
			     (unsigned long long)(off), (unsigned int)(seed)); \
		free(__b);                                                     \
	} while (0)

/* The window equals the state and the content after conversions both ways,
 * discarding and keeping. */
static void follows_state(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 8 * gr, 0);
	uint8_t *win;
	int i;

	set_states(g, "SSPPSSPP", 0);
	for (i = 0; i < 8; i++)
		page_write(g, i * gr, i + 1);
	win = window_of(g);
	ASSERT_WINDOW(g, win, "SSPPSSPP");
	for (i = 0; i < 8; i++)
		ASSERT_WINDOW_PAGE(win, i * gr, gr, i + 1);

	/* Discarding, both ways, over a mixed range. */
	ASSERT_OK(pm_gmem_convert(g, 0, 4 * gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_WINDOW(g, win, "PPPPSSPP");
	ASSERT_WINDOW_PAGE(win, 0, gr, 0);
	ASSERT_WINDOW_PAGE(win, 2 * gr, gr, 3);
	ASSERT_OK(pm_gmem_convert(g, 2 * gr, 4 * gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_WINDOW(g, win, "PPSSSSPP");
	ASSERT_WINDOW_PAGE(win, 2 * gr, gr, 0);
	ASSERT_WINDOW_PAGE(win, 4 * gr, gr, 5);
	ASSERT_PATTERN(gview(g) + 2 * gr, gr, 0);

	/* Keeping: the bytes move and the window follows them. */
	page_write(g, 4 * gr, 40);
	page_write(g, 6 * gr, 60);
	if (pm_gmem_convert(g, 4 * gr, gr, PM_GMEM_PRIVATE,
			    PM_GMEM_CONVERT_KEEP, NULL) == 0) {
		ASSERT_WINDOW(g, win, "PPSSPSPP");
		ASSERT_WINDOW_PAGE(win, 4 * gr, gr, 40);
		ASSERT_OK(pm_gmem_convert(g, 6 * gr, gr, PM_GMEM_SHARED,
					  PM_GMEM_CONVERT_KEEP, NULL));
		ASSERT_WINDOW(g, win, "PPSSPSSP");
		ASSERT_WINDOW_PAGE(win, 6 * gr, gr, 60);
		ASSERT_PATTERN(gview(g) + 6 * gr, gr, 60);
	}
	pm_gmem_close(g);
}

TEST(follows_state_memfd)
{
	follows_state(PM_GMEM_MEMFD);
}

TEST(follows_state_guest_memfd)
{
	follows_state(PM_GMEM_GUEST_MEMFD);
}

TEST(follows_state_hugetlb_2m)
{
	follows_state(PM_GMEM_HUGETLB_2M);
}

/*
 * Writes through the window (KVM's) land on the side the page is on: a
 * shared page in the host view, a private page in the private backing
 * only. A private page written through the window never gets a shared
 * page: the host view still faults there.
 */
static void writes_land(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	uint8_t *win = window_of(g);

	ASSERT_OK(pm_gmem_convert(g, gr, gr, PM_GMEM_PRIVATE, 0, NULL));
	fill_pattern(win, gr, 7);
	fill_pattern(win + gr, gr, 8);
	ASSERT_PATTERN(gview(g), gr, 7);
	ASSERT_PAGE(g, gr, 8);
	ASSERT_EQ(vm_read_self(gview(g) + gr, win + 3 * gr, 1, NULL), EFAULT);
	ASSERT_CHILD_SIGBUS(gview(g) + gr, false);
	/* Back to shared: the private bytes do not cross. */
	ASSERT_OK(pm_gmem_convert(g, gr, gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_PATTERN(gview(g) + gr, gr, 0);
	ASSERT_PATTERN(win + gr, gr, 0);
	pm_gmem_close(g);
}

TEST(writes_land_memfd)
{
	writes_land(PM_GMEM_MEMFD);
}

TEST(writes_land_guest_memfd)
{
	writes_land(PM_GMEM_GUEST_MEMFD);
}

/*
 * A window made late shows the state as it is; every other page private
 * costs one VMA per run, and converting back to uniform merges them into
 * one again. The host view stays one mapping throughout.
 */
TEST(alternation_vma_per_run)
{
	const uint64_t n = 512;
	struct pm_gmem *g = gmem_new(PM_GMEM_MEMFD, n * PG, 0);
	char want[n + 1];
	uint64_t i;
	uint8_t *win;

	for (i = 0; i < n; i++)
		want[i] = i % 2 ? 'P' : 'S';
	want[n] = 0;
	for (i = 1; i < n; i += 2)
		ASSERT_OK(pm_gmem_convert(g, i * PG, PG, PM_GMEM_PRIVATE, 0,
					  NULL));
	win = window_of(g);
	ASSERT_WINDOW(g, win, want);
	ASSERT_EQ(maps_in_range(win, n * PG), n);
	ASSERT_EQ(maps_in_range(gview(g), n * PG), 1);

	/* Alternate the other way with the window there. */
	for (i = 0; i < n; i++) {
		ASSERT_OK(pm_gmem_convert(
			g, i * PG, PG, i % 2 ? PM_GMEM_SHARED : PM_GMEM_PRIVATE,
			0, NULL));
		want[i] = i % 2 ? 'S' : 'P';
	}
	ASSERT_WINDOW(g, win, want);
	ASSERT_EQ(maps_in_range(win, n * PG), n);

	ASSERT_OK(pm_gmem_convert(g, 0, n * PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_EQ(maps_in_range(win, n * PG), 1);
	ASSERT_OK(pm_gmem_convert(g, 0, n * PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_EQ(maps_in_range(win, n * PG), 1);
	ASSERT_EQ(maps_in_range(gview(g), n * PG), 1);
	pm_gmem_close(g);
}

/* The same address every time; a store made private-first shows it. */
TEST(created_once)
{
	struct pm_gmem *g =
		gmem_new(PM_GMEM_MEMFD, 4 * PG, PM_GMEM_F_INIT_PRIVATE);
	void *a = window_of(g), *b = window_of(g);

	ASSERT_TRUE(a == b);
	ASSERT_WINDOW(g, a, "PPPP");
	ASSERT_ERR(EINVAL, pm_gmem_kvm_window(NULL, &a));
	ASSERT_ERR(EINVAL, pm_gmem_kvm_window(g, NULL));
	pm_gmem_close(g);
}

/* Punch: zeros through the window, layout unchanged. */
TEST(punch)
{
	struct pm_gmem *g = gmem_new(PM_GMEM_MEMFD, 4 * PG, 0);
	uint8_t *win = window_of(g);

	set_states(g, "SPSP", 0);
	fill_pattern(win, 4 * PG, 3);
	ASSERT_OK(pm_gmem_punch(g, 0, 4 * PG));
	ASSERT_WINDOW(g, win, "SPSP");
	ASSERT_PATTERN(win, 4 * PG, 0);
	pm_gmem_close(g);
}

/*
 * Truncation hides the tail (a touch there faults instead of allocating a
 * page at an offset outside the store) and growing shows it again by the
 * recorded state.
 */
TEST(truncate_hides_tail)
{
	struct pm_gmem *g = gmem_new(PM_GMEM_MEMFD, 4 * PG, 0);
	uint8_t *win = window_of(g);
	int st;

	set_states(g, "SPSP", 0);
	ASSERT_OK(pm_gmem_truncate(g, 2 * PG));
	ASSERT_WINDOW(g, win, "SP--");
	st = touch_in_child(win + 3 * PG, true, true);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	ASSERT_EQ(vm_read_self(win + 2 * PG, &st, 1, NULL), EFAULT);
	ASSERT_OK(pm_gmem_truncate(g, 4 * PG));
	ASSERT_WINDOW(g, win, "SPSP");
	ASSERT_PATTERN(win + 2 * PG, 2 * PG, 0);
	pm_gmem_close(g);
}

/* Close leaves no mapping; a forked child never has the window. */
TEST(close_and_fork)
{
	struct pm_gmem *g = gmem_new(PM_GMEM_MEMFD, 4 * PG, 0);
	uint8_t *win = window_of(g);
	long before = maps_backing_count();
	int st;

	set_states(g, "SPSP", 0);
	st = touch_in_child(win + PG, false, false);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	st = touch_in_child(win, false, false);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	ASSERT_GT(before, 0);
	pm_gmem_close(g);
	ASSERT_EQ(maps_in_range(win, 4 * PG), 0);
	ASSERT_EQ(maps_backing_count(), 0);
}

/* A guest_memfd the host cannot map has no window. */
TEST(unmappable_guest_memfd)
{
	int vm = kvm_create_vm_or_skip();
	struct kvm_create_guest_memfd gm = { .size = 4 * PG };
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_ADOPT,
		.size = 4 * PG,
		.vm_fd = -1,
	};
	struct pm_gmem *g;
	void *w = NULL;

	cfg.fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gm);
	ASSERT_SYS(cfg.fd);
	g = gmem_new_cfg(&cfg);
	ASSERT_ERR(EOPNOTSUPP, pm_gmem_kvm_window(g, &w));
	ASSERT_TRUE(w == NULL);
	pm_gmem_close(g);
	close(cfg.fd);
	close(vm);
}

TEST_MAIN()
