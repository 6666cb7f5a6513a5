// SPDX-License-Identifier: MIT
/*
 * pm_gmem_convert(): argument checking (bad input changes nothing), content
 * discarded by default and kept with PM_GMEM_CONVERT_KEEP, mixed ranges
 * (pages already in the target state keep their content), and the
 * statistics: the state structure stays small for uniform state.
 */
#include <sys/resource.h>
#include "gmem_common.c"

/* Eight pages "SSPPSSPP", each with its own pattern (seed = index + 1). */
static struct pm_gmem *eight_pages(enum pm_gmem_backend b, const char *states)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 8 * gr, 0);
	int i;

	set_states(g, states, 0);
	for (i = 0; i < 8; i++)
		page_write(g, i * gr, i + 1);
	ASSERT_STATES(g, states);
	return g;
}

static void convert_args(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 8 * gr;
	struct pm_gmem *g = eight_pages(b, "SSPPSSPP");
	static char before[8192], after[8192];
	struct rec_notifier rn;
	struct rec_log log = { .nr_states = 8 };
	uint64_t eoff = 0x1234;
	int rc;

	rec_init(&rn, &log, 1);
	ASSERT_OK(pm_gmem_register_notifier(g, &rn.n));
	gmem_digest(g, size, before, sizeof(before));

	/* Unaligned offset or length. */
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 1, gr, PM_GMEM_PRIVATE, 0, &eoff));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, gr / 2, gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 0, gr + 1, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_ERR(EINVAL, pm_gmem_convert(g, 0, gr - 1, PM_GMEM_SHARED,
					   PM_GMEM_CONVERT_KEEP, NULL));
	/* Outside the store. */
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, size, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_ERR(EINVAL, pm_gmem_convert(g, size - gr, 2 * gr,
					   PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 0, size + gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 64 * size, gr, PM_GMEM_SHARED, 0, NULL));
	/* offset + length wraps (both aligned). */
	ASSERT_ERR(EOVERFLOW,
		   pm_gmem_convert(g, 2 * gr, -gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_ERR(EOVERFLOW,
		   pm_gmem_convert(g, -gr, 2 * gr, PM_GMEM_SHARED, 0, NULL));
	/* Unknown flags, bad target. */
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE, 1u << 1, NULL));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE,
				   PM_GMEM_CONVERT_KEEP | 1u << 31, NULL));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 0, gr, (enum pm_gmem_state)2, 0, NULL));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 0, gr, (enum pm_gmem_state)99, 0, NULL));
	/* An empty range is refused or does nothing (not specified). */
	rc = pm_gmem_convert(g, 0, 0, PM_GMEM_PRIVATE, 0, NULL);
	ASSERT_TRUE(rc == 0 || rc == -EINVAL);
	/* The queries refuse offsets outside the store too. */
	ASSERT_ERR(EINVAL, pm_gmem_is_private(g, size));
	ASSERT_ERR(EINVAL, pm_gmem_is_private(g, UINT64_MAX));
	ASSERT_ERR(EINVAL, pm_gmem_pin_count(g, size));

	gmem_digest(g, size, after, sizeof(after));
	if (strcmp(before, after))
		FAIL("bad input changed the store:\nbefore: %s\nafter:  %s",
		     before, after);
	/* error_offset is only written on -EAGAIN. */
	ASSERT_U64_EQ(eoff, 0x1234);
	/* No notifier ran for a call that was refused on its arguments. */
	ASSERT_EQ(log.n, 0);
	pm_gmem_unregister_notifier(g, &rn.n);
	pm_gmem_close(g);
}
GMEM_TEST_4K(convert_args)

/*
 * Content is discarded by default, both ways: a page that goes private
 * reads zeros through the trusted path, a page that comes back reads zeros
 * through the host view, and neighbours are untouched.
 */
static void convert_discard(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	uint8_t *v = gview(g);

	fill_pattern(v, gr, 11);
	fill_pattern(v + gr, gr, 12);
	fill_pattern(v + 2 * gr, gr, 13);

	/* shared -> private: the shared bytes do not follow. */
	ASSERT_OK(pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_PAGE(g, 0, 0);
	ASSERT_EQ(touch_here(v, false, 0), SIGBUS);

	/* private -> shared: the private bytes do not follow. */
	page_write(g, 0, 14);
	ASSERT_PAGE(g, 0, 14);
	ASSERT_OK(pm_gmem_convert(g, 0, gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_PATTERN(v, gr, 0);

	/* Written while shared, private, then shared again: zeros. */
	ASSERT_OK(pm_gmem_convert(g, gr, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_convert(g, gr, gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_PATTERN(v + gr, gr, 0);

	/* And going private again does not resurrect old private bytes. */
	ASSERT_OK(pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_PAGE(g, 0, 0);

	ASSERT_PATTERN(v + 2 * gr, gr, 13);
	ASSERT_PATTERN(v + 3 * gr, gr, 0);
	ASSERT_STATES(g, "PSSS");
	pm_gmem_close(g);
}
GMEM_TEST_ALL(convert_discard)

/* The page the store could not keep content for: SKIP, not FAIL. */
static void keep_or_skip(struct pm_gmem *g, int rc)
{
	if (rc == -EOPNOTSUPP && pm_gmem_backend_of(g) == PM_GMEM_GUEST_MEMFD)
		SKIP("guest_memfd without GUEST_MEMFD_FLAG_MMAP: KEEP is "
		     "-EOPNOTSUPP");
	ASSERT_OK(rc);
}

/* PM_GMEM_CONVERT_KEEP: the bytes move with the page, both ways. */
static void convert_keep(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	uint8_t *v = gview(g);
	int i;

	for (i = 0; i < 4; i++)
		fill_pattern(v + i * gr, gr, 21 + i);

	keep_or_skip(g, pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE,
					PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_STATES(g, "PSSS");
	ASSERT_PAGE(g, 0, 21);
	ASSERT_EQ(touch_here(v, false, 0), SIGBUS);

	/* Changed on the private side, then back with KEEP. */
	page_write(g, 0, 31);
	ASSERT_OK(pm_gmem_convert(g, 0, gr, PM_GMEM_SHARED,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_STATES(g, "SSSS");
	ASSERT_PATTERN(v, gr, 31);

	/* Several pages at once, each keeps its own bytes. */
	ASSERT_OK(pm_gmem_convert(g, gr, 3 * gr, PM_GMEM_PRIVATE,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_STATES(g, "SPPP");
	for (i = 1; i < 4; i++)
		ASSERT_PAGE(g, i * gr, 21 + i);
	ASSERT_PATTERN(v, gr, 31);
	ASSERT_OK(pm_gmem_convert(g, 0, 4 * gr, PM_GMEM_SHARED,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_PATTERN(v, gr, 31);
	for (i = 1; i < 4; i++)
		ASSERT_PATTERN(v + i * gr, gr, 21 + i);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(convert_keep)

/*
 * A mixed range converts the pages that differ and leaves the others as
 * they were, content included, with and without KEEP, both directions.
 */
static void convert_mixed(enum pm_gmem_backend b)
{
	static const char *const mix = "SPSPPSSP";
	uint64_t gr = granule_of(b), size = 8 * gr;
	struct pm_gmem_stats st0, st;
	struct pm_gmem *g;
	int i, keep;

	for (keep = 0; keep < 2; keep++) {
		uint32_t fl = keep ? PM_GMEM_CONVERT_KEEP : 0;

		/* To private: the shared half moves. */
		g = eight_pages(b, mix);
		ASSERT_OK(pm_gmem_get_stats(g, &st0));
		keep_or_skip(g, pm_gmem_convert(g, 0, size, PM_GMEM_PRIVATE, fl,
						NULL));
		ASSERT_STATES(g, "PPPPPPPP");
		for (i = 0; i < 8; i++)
			ASSERT_PAGE(g, i * gr,
				    mix[i] == 'P' || keep ? i + 1 : 0);
		ASSERT_OK(pm_gmem_get_stats(g, &st));
		ASSERT_U64_EQ(st.conversions, st0.conversions + 1);
		ASSERT_U64_EQ(st.bytes_converted, st0.bytes_converted + 4 * gr);
		ASSERT_U64_EQ(st.private_bytes, size);
		ASSERT_U64_EQ(st.nr_extents, 1);
		pm_gmem_close(g);

		/* To shared: the private half moves. */
		g = eight_pages(b, mix);
		ASSERT_OK(pm_gmem_get_stats(g, &st0));
		ASSERT_OK(
			pm_gmem_convert(g, 0, size, PM_GMEM_SHARED, fl, NULL));
		ASSERT_STATES(g, "SSSSSSSS");
		for (i = 0; i < 8; i++)
			ASSERT_PATTERN(gview(g) + i * gr, gr,
				       mix[i] == 'S' || keep ? i + 1 : 0);
		ASSERT_OK(pm_gmem_get_stats(g, &st));
		ASSERT_U64_EQ(st.conversions, st0.conversions + 1);
		ASSERT_U64_EQ(st.bytes_converted, st0.bytes_converted + 4 * gr);
		ASSERT_U64_EQ(st.private_bytes, 0);
		ASSERT_U64_EQ(st.nr_extents, 0);
		pm_gmem_close(g);

		/* A sub-range in the middle: pages 2..5 only. */
		g = eight_pages(b, mix);
		ASSERT_OK(pm_gmem_convert(g, 2 * gr, 4 * gr, PM_GMEM_PRIVATE,
					  fl, NULL));
		ASSERT_STATES(g, "SPPPPPSP");
		for (i = 0; i < 8; i++) {
			bool moved = i >= 2 && i < 6 && mix[i] == 'S';

			ASSERT_PAGE(g, i * gr, moved && !keep ? 0 : i + 1);
		}
		ASSERT_OK(pm_gmem_get_stats(g, &st));
		ASSERT_U64_EQ(st.nr_extents, 2);
		pm_gmem_close(g);
	}
}
GMEM_TEST_ALL(convert_mixed)

/* Converting a range already in the target state succeeds, changes nothing. */
static void convert_noop(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 8 * gr;
	struct pm_gmem *g = eight_pages(b, "SSPPSSPP");
	static char before[8192], after[8192];

	gmem_digest(g, size, before, sizeof(before));
	ASSERT_OK(pm_gmem_convert(g, 2 * gr, 2 * gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_convert(g, 4 * gr, 2 * gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_OK(pm_gmem_convert(g, 6 * gr, 2 * gr, PM_GMEM_PRIVATE,
				  PM_GMEM_CONVERT_KEEP, NULL));
	gmem_digest(g, size, after, sizeof(after));
	if (strcmp(before, after))
		FAIL("a no-op conversion changed the store:\nbefore: %s\n"
		     "after:  %s",
		     before, after);
	pm_gmem_close(g);
}
GMEM_TEST_4K(convert_noop)

/*
 * stats.conversions counts "successful pm_gmem_convert() calls" (gmem.h):
 * a call that finds nothing to change succeeds, so it counts; no byte
 * moved, so bytes_converted does not grow.
 */
static void convert_noop_stats(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	struct pm_gmem_stats st0, st;

	set_states(g, "SP", 0);
	ASSERT_OK(pm_gmem_get_stats(g, &st0));
	ASSERT_OK(pm_gmem_convert(g, gr, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_convert(g, 2 * gr, 2 * gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.bytes_converted, st0.bytes_converted);
	ASSERT_U64_EQ(st.conversions, st0.conversions + 2);
	pm_gmem_close(g);
}
GMEM_TEST_4K(convert_noop_stats)

/* Extents merge and split as pages change state in any order. */
static void extents_merge(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 16 * gr, 0);
	struct pm_gmem_stats st;

#define EXTENTS(n)                                    \
	do {                                          \
		ASSERT_OK(pm_gmem_get_stats(g, &st)); \
		ASSERT_U64_EQ(st.nr_extents, (n));    \
	} while (0)

	set_states(g, "..P.P", 0);
	EXTENTS(2);
	set_states(g, "...P", 0); /* fills the gap */
	EXTENTS(1);
	set_states(g, ".P", 0); /* touches on the left */
	EXTENTS(1);
	set_states(g, ".....P", 0); /* touches on the right */
	EXTENTS(1);
	set_states(g, "...S", 0); /* splits */
	EXTENTS(2);
	ASSERT_STATES(g, "SPPSPPSSSSSSSSSS");
	set_states(g, "..........PPPPPP", 0); /* up to the end */
	EXTENTS(3);
	ASSERT_OK(pm_gmem_convert(g, 0, 16 * gr, PM_GMEM_PRIVATE, 0, NULL));
	EXTENTS(1);
	ASSERT_U64_EQ(st.private_bytes, 16 * gr);
	ASSERT_OK(pm_gmem_convert(g, 0, 16 * gr, PM_GMEM_SHARED, 0, NULL));
	EXTENTS(0);
	ASSERT_U64_EQ(st.private_bytes, 0);
#undef EXTENTS
	pm_gmem_close(g);
}
GMEM_TEST_4K(extents_merge)

/*
 * A 1 GiB store in uniform state costs one extent and a few bytes of state,
 * whether it starts private, or starts shared and converts whole.
 */
static void stats_uniform_1g(enum pm_gmem_backend b)
{
	struct pm_gmem_stats st;
	struct pm_gmem *g = gmem_new(b, GiB, PM_GMEM_F_INIT_PRIVATE);

	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.size, GiB);
	ASSERT_U64_EQ(st.private_bytes, GiB);
	ASSERT_U64_EQ(st.shared_bytes, 0);
	ASSERT_U64_EQ(st.nr_extents, 1);
	ASSERT_LE(st.state_bytes, 256);

	/* A hole in the middle splits it; filling it merges it back. */
	ASSERT_OK(pm_gmem_convert(g, GiB / 2, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_extents, 2);
	ASSERT_U64_EQ(st.private_bytes, GiB - PG);
	ASSERT_U64_EQ(st.shared_bytes, PG);
	ASSERT_OK(pm_gmem_convert(g, GiB / 2, PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_extents, 1);
	ASSERT_LE(st.state_bytes, 256);
	pm_gmem_close(g);

	g = gmem_new(b, GiB, 0);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_extents, 0);
	ASSERT_U64_EQ(st.private_bytes, 0);
	ASSERT_U64_EQ(st.shared_bytes, GiB);
	ASSERT_LE(st.state_bytes, 256);
	ASSERT_OK(pm_gmem_convert(g, 0, GiB, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_extents, 1);
	ASSERT_U64_EQ(st.private_bytes, GiB);
	ASSERT_U64_EQ(st.bytes_converted, GiB);
	ASSERT_U64_EQ(st.conversions, 1);
	ASSERT_LE(st.state_bytes, 256);
	pm_gmem_close(g);
}

/*
 * The figure: 1 TiB of guest memory in uniform state costs
 * kilobytes. A 1 TiB store that starts private allocates nothing (both
 * backings are sparse, the view is one MAP_NORESERVE mapping), so it can be
 * made here; a page converted in the middle splits the one extent into two
 * and merges back.
 */
static void stats_uniform_1t(enum pm_gmem_backend b)
{
	const uint64_t size = 1024 * GiB, mid = size / 2;
	struct pm_gmem_stats st;
	struct pm_gmem *g = gmem_new(b, size, PM_GMEM_F_INIT_PRIVATE);

	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.private_bytes, size);
	ASSERT_U64_EQ(st.nr_extents, 1);
	ASSERT_LE(st.state_bytes, 1024);
	ASSERT_EQ(pm_gmem_is_private(g, size - PG), 1);

	ASSERT_OK(pm_gmem_convert(g, mid, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_extents, 2);
	ASSERT_U64_EQ(st.shared_bytes, PG);
	ASSERT_LE(st.state_bytes, 1024);
	fill_pattern(gview(g) + mid, PG, 3);
	ASSERT_PATTERN(gview(g) + mid, PG, 3);
	ASSERT_EQ(touch_here(gview(g) + mid + PG, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(gview(g) + size - 1, false, 0), SIGBUS);

	ASSERT_OK(pm_gmem_convert(g, mid, PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_extents, 1);
	ASSERT_U64_EQ(st.private_bytes, size);
	pm_gmem_close(g);
}
GMEM_TEST_4K(stats_uniform_1t)

/*
 * memfd_secret memory is locked memory: without CAP_IPC_LOCK, mapping more
 * of it than RLIMIT_MEMLOCK at once fails. A conversion back to shared
 * zeroes the private side through such a mapping (secretmem cannot punch
 * holes), so converting more than the limit at once must fail cleanly, and
 * with -ENOMEM: -EAGAIN would tell the caller that a held page blocks it and
 * that a retry can succeed, which it never would. Smaller pieces work.
 */
TEST(secret_memlock_limit)
{
	const uint64_t size = 4 * MiB;
	struct rlimit rl = { .rlim_cur = MiB, .rlim_max = MiB };
	static char before[65536], after[65536];
	struct pm_gmem *g;
	uint64_t eoff = 0x1234, off;

	drop_cap(CAP_IPC_LOCK);
	ASSERT_SYS(setrlimit(RLIMIT_MEMLOCK, &rl));
	g = gmem_new(PM_GMEM_SECRET, size, PM_GMEM_F_INIT_PRIVATE);
	gmem_digest(g, size, before, sizeof(before));

	ASSERT_ERR(ENOMEM, pm_gmem_convert(g, 0, size, PM_GMEM_SHARED, 0,
					   &eoff));
	ASSERT_ERR(ENOMEM, pm_gmem_convert(g, 0, size, PM_GMEM_SHARED,
					   PM_GMEM_CONVERT_KEEP, &eoff));
	ASSERT_ERR(ENOMEM, pm_gmem_punch(g, 0, size));
	ASSERT_U64_EQ(eoff, 0x1234);
	gmem_digest(g, size, after, sizeof(after));
	if (strcmp(before, after))
		FAIL("a refused conversion changed the store:\nbefore: %s\n"
		     "after:  %s",
		     before, after);

	for (off = 0; off < size; off += MiB / 2)
		ASSERT_OK(pm_gmem_convert(g, off, MiB / 2, PM_GMEM_SHARED, 0,
					  NULL));
	ASSERT_STATES(g, "SSSS");
	ASSERT_PATTERN(gview(g), size, 0);
	pm_gmem_close(g);
}

TEST(stats_uniform_1g_memfd)
{
	stats_uniform_1g(PM_GMEM_MEMFD);
}

TEST(stats_uniform_1g_guest_memfd)
{
	stats_uniform_1g(PM_GMEM_GUEST_MEMFD);
}

TEST_MAIN()
