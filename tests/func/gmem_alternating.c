// SPDX-License-Identifier: MIT
/*
 * The worst state pattern: a 1 GiB store with every other 4 KiB page
 * private (131072 private extents). It must cost one extent per private
 * page and no more, keep the host view a single mapping (no VMA per page,
 * so vm.max_map_count is no limit), and still fault exactly at the private
 * pages.
 *
 * The store starts all private (PM_GMEM_F_INIT_PRIVATE) and every even page
 * is converted back to shared, one 4 KiB conversion at a time: 131072
 * conversions, and only the shared half is ever allocated (512 MiB).
 */
#include <time.h>
#include "gmem_common.c"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void alternating_1g(enum pm_gmem_backend b)
{
	const uint64_t size = GiB, n = size / PG;
	struct pm_gmem_stats st;
	struct pm_gmem_page p;
	struct pm_gmem *g;
	long maps0, maps1, backing0;
	double t0, t1;
	uint64_t i;
	uint8_t *v, buf[64];

	t0 = now();
	g = gmem_new(b, size, PM_GMEM_F_INIT_PRIVATE);
	v = gview(g);
	maps0 = maps_count(NULL);
	backing0 = maps_backing_count();
	ASSERT_EQ(maps_in_range(v, size), 1);
	for (i = 0; i < n; i += 2) {
		int rc =
			pm_gmem_convert(g, i * PG, PG, PM_GMEM_SHARED, 0, NULL);

		if (rc)
			FAIL("converting page %llu: %s", (unsigned long long)i,
			     strerror(-rc));
	}
	t1 = now();
	printf("# %s: created and made %llu conversions in %.2f s\n",
	       pm_gmem_backend_name(b), (unsigned long long)(n / 2), t1 - t0);

	ASSERT_OK(pm_gmem_get_stats(g, &st));
	printf("# nr_extents %llu, state_bytes %llu\n",
	       (unsigned long long)st.nr_extents,
	       (unsigned long long)st.state_bytes);
	ASSERT_U64_EQ(st.nr_extents, n / 2);
	ASSERT_U64_EQ(st.private_bytes, size / 2);
	ASSERT_U64_EQ(st.shared_bytes, size / 2);
	ASSERT_U64_EQ(st.conversions, n / 2);
	ASSERT_U64_EQ(st.bytes_converted, size / 2);
	/* One extent costs a tree node: bounded, not a page table per page. */
	ASSERT_LE(st.state_bytes, n / 2 * 128);

	/*
	 * The view is still one mapping, and the process gained no VMA per
	 * page: a handful at most (the sanitizers' allocator maps its own
	 * regions for the 131072 state nodes).
	 */
	maps1 = maps_count(NULL);
	printf("# /proc/self/maps: %ld lines before, %ld after\n", maps0,
	       maps1);
	ASSERT_EQ(maps_in_range(v, size), 1);
	ASSERT_EQ(maps_backing_count(), backing0);
	ASSERT_LE(maps1, maps0 + 32);

	/* The pattern holds everywhere (sampled), and at both ends. */
	ASSERT_STATES(g, "SPSPSPSPSPSPSPSP");
	for (i = 0; i < n; i += 4099)
		ASSERT_EQ(pm_gmem_is_private(g, i * PG), (int)(i & 1));
	ASSERT_EQ(pm_gmem_is_private(g, size - PG), 1);
	ASSERT_EQ(pm_gmem_is_private(g, size - 2 * PG), 0);

	/* Shared pages read and write, private pages fault. */
	fill_pattern(v + 2 * PG, PG, 90);
	ASSERT_PATTERN(v + 2 * PG, PG, 90);
	fill_pattern(v + size - 2 * PG, PG, 91);
	ASSERT_PATTERN(v + size - 2 * PG, PG, 91);
	ASSERT_PATTERN(v + size / 2, PG, 0);
	ASSERT_EQ(touch_here(v + 3 * PG, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(v + size - PG, true, 1), SIGBUS);
	ASSERT_EQ(touch_here(v + size / 2 + PG, false, 0), SIGBUS);
	ASSERT_CHILD_SIGBUS(v + 5 * PG, false);
	ASSERT_CHILD_SIGBUS(v + size / 2 + 3 * PG, true);
	ASSERT_EQ(vm_read_self(v + 7 * PG, buf, sizeof(buf), NULL), EFAULT);
	ASSERT_EQ(vm_read_self(v + 6 * PG, buf, sizeof(buf), NULL), 0);

	/* The trusted path reaches a private page in the middle. */
	ASSERT_OK(pm_gmem_get_pfn(g, size / 2 + PG, 0, &p));
	ASSERT_TRUE(p.is_private);
	if (p.ptr)
		ASSERT_PATTERN(p.ptr, PG, 0);
	pm_gmem_put_pfn(g, &p);

	/* And the whole store converts back in one call. */
	t0 = now();
	ASSERT_OK(pm_gmem_convert(g, 0, size, PM_GMEM_PRIVATE, 0, NULL));
	t1 = now();
	printf("# one conversion of 131072 runs to private: %.2f s\n", t1 - t0);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_extents, 1);
	ASSERT_U64_EQ(st.private_bytes, size);
	ASSERT_EQ(touch_here(v + 2 * PG, false, 0), SIGBUS);
	ASSERT_EQ(maps_in_range(v, size), 1);
	ASSERT_LE(maps_count(NULL), maps0 + 32);
	pm_gmem_close(g);
}

TEST(alternating_1g_memfd)
{
	alternating_1g(PM_GMEM_MEMFD);
}

TEST(alternating_1g_guest_memfd)
{
	alternating_1g(PM_GMEM_GUEST_MEMFD);
}

TEST_MAIN()
