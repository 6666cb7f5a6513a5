// SPDX-License-Identifier: MIT
/*
 * PM_GMEM_ADOPT with a memfd the caller made: content at offsets that start
 * private is kept, at offsets that start shared it is discarded; the fd is
 * duplicated (the caller keeps its own); and what happens when the caller
 * changes the fd behind the store's back (unsupported, documented here).
 * guest_memfd adoption is in gmem_kvm.c.
 */
#include <linux/falloc.h>
#include "gmem_common.c"

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26) /* log2(2 MiB) << MFD_HUGE_SHIFT */
#endif

/* A memfd of @pages 4 KiB pages, page i holding pattern seed0 + i. */
static int make_memfd(unsigned int pages, uint32_t seed0)
{
	int fd = memfd_create("gmem-adoptee", MFD_CLOEXEC);
	uint8_t buf[PG];
	unsigned int i;

	ASSERT_SYS(fd);
	ASSERT_SYS(ftruncate(fd, pages * PG));
	for (i = 0; i < pages; i++) {
		fill_pattern(buf, PG, seed0 + i);
		ASSERT_EQ(pwrite(fd, buf, PG, i * PG), (ssize_t)PG);
	}
	return fd;
}

static void assert_fd_page(int fd, uint64_t off, uint32_t seed)
{
	uint8_t buf[PG];

	ASSERT_EQ(pread(fd, buf, PG, off), (ssize_t)PG);
	ASSERT_PATTERN(buf, PG, seed);
}

static struct pm_gmem *adopt(int fd, uint64_t size, uint32_t flags)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_ADOPT,
		.size = size,
		.flags = flags,
		.vm_fd = -1,
		.fd = fd,
		.name = "gmem-test",
	};

	return gmem_new_cfg(&cfg);
}

TEST(adopt_memfd_init_private)
{
	char fds0[4096], fds1[4096];
	int fd = make_memfd(4, 120), i;
	struct pm_gmem_stats st;
	struct pm_gmem *g;

	fd_snapshot(fds0, sizeof(fds0));
	g = adopt(fd, 4 * PG, PM_GMEM_F_INIT_PRIVATE);
	ASSERT_EQ(pm_gmem_backend_of(g), PM_GMEM_ADOPT);
	ASSERT_U64_EQ(pm_gmem_granule(g), PG);
	ASSERT_NE(pm_gmem_private_fd(g), fd);
	ASSERT_EQ(pm_gmem_vm_fd(g), -1);
	ASSERT_STATES(g, "PPPP");
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_extents, 1);
	for (i = 0; i < 4; i++)
		ASSERT_PAGE(g, i * PG, 120 + i);
	ASSERT_EQ(touch_here(gview(g) + PG, false, 0), SIGBUS);

	ASSERT_OK(pm_gmem_convert(g, 0, PG, PM_GMEM_SHARED,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_PATTERN(gview(g), PG, 120);
	ASSERT_OK(pm_gmem_convert(g, PG, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_PATTERN(gview(g) + PG, PG, 0);
	ASSERT_PAGE(g, 2 * PG, 122);

	pm_gmem_close(g);
	fd_snapshot(fds1, sizeof(fds1));
	if (strcmp(fds0, fds1))
		FAIL("close left fds: before [%s] after [%s]", fds0, fds1);
	/* The caller's fd is its own: still open, still usable. */
	ASSERT_TRUE(fd_is_open(fd));
	assert_fd_page(fd, 3 * PG, 123);
	close(fd);
}

/* Offsets that start shared: the adopted content is discarded. */
TEST(adopt_memfd_init_shared)
{
	int fd = make_memfd(4, 130), i;
	struct pm_gmem *g = adopt(fd, 4 * PG, 0);

	ASSERT_STATES(g, "SSSS");
	for (i = 0; i < 4; i++) {
		ASSERT_PATTERN(gview(g) + i * PG, PG, 0);
		/* Discarded from the file itself, which the caller shares. */
		assert_fd_page(fd, i * PG, 0);
	}
	/* Going private without KEEP finds nothing of the old bytes. */
	ASSERT_OK(pm_gmem_convert(g, 0, 4 * PG, PM_GMEM_PRIVATE, 0, NULL));
	for (i = 0; i < 4; i++)
		ASSERT_PAGE(g, i * PG, 0);
	pm_gmem_close(g);
	close(fd);
}

/* A larger fd is fine: the store covers its first @size bytes. */
TEST(adopt_memfd_larger)
{
	int fd = make_memfd(8, 140), i;
	struct pm_gmem *g = adopt(fd, 4 * PG, PM_GMEM_F_INIT_PRIVATE);

	ASSERT_U64_EQ(pm_gmem_size(g), 4 * PG);
	for (i = 0; i < 4; i++)
		ASSERT_PAGE(g, i * PG, 140 + i);
	ASSERT_ERR(EINVAL, pm_gmem_is_private(g, 4 * PG));
	pm_gmem_close(g);
	close(fd);
}

/*
 * adopt_behind_back_unsupported: gmem.h says changes made to the adopted fd
 * behind the store's back (fallocate, write) are not observed and are
 * unsupported. This test records what they do, so that a change in it is
 * noticed: the store shares the file with the caller (the fd is dup()ed, not
 * copied), so a hole the caller punches at a private page shows through the
 * trusted path as zeros, and bytes the caller writes show too, while the
 * store's own record (state, statistics) is unchanged: it never learns.
 */
TEST(adopt_behind_back_unsupported)
{
	int fd = make_memfd(4, 150);
	struct pm_gmem *g = adopt(fd, 4 * PG, PM_GMEM_F_INIT_PRIVATE);
	static char before[8192], after[8192];
	struct pm_gmem_stats st0, st;
	uint8_t buf[PG];

	ASSERT_PAGE(g, PG, 151);
	ASSERT_OK(pm_gmem_get_stats(g, &st0));

	/* The caller punches page 1 (private) of its own fd. */
	ASSERT_SYS(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG,
			     PG));
	ASSERT_PAGE(g, PG, 0);
	ASSERT_STATES(g, "PPPP");
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.private_bytes, st0.private_bytes);
	ASSERT_U64_EQ(st.nr_extents, st0.nr_extents);

	/* The caller writes page 2 (private): the trusted path sees it. */
	fill_pattern(buf, PG, 160);
	ASSERT_EQ(pwrite(fd, buf, PG, 2 * PG), (ssize_t)PG);
	ASSERT_PAGE(g, 2 * PG, 160);

	/*
	 * The caller writes page 3 while it is shared: the view does not see
	 * it (the shared side is the store's own memfd). What a later
	 * conversion to private without KEEP shows is up to the store (the
	 * caller broke its "nothing on the other side" invariant): reported,
	 * not asserted.
	 */
	ASSERT_OK(pm_gmem_convert(g, 3 * PG, PG, PM_GMEM_SHARED, 0, NULL));
	gmem_digest(g, 4 * PG, before, sizeof(before));
	fill_pattern(buf, PG, 161);
	ASSERT_EQ(pwrite(fd, buf, PG, 3 * PG), (ssize_t)PG);
	ASSERT_PATTERN(gview(g) + 3 * PG, PG, 0);
	gmem_digest(g, 4 * PG, after, sizeof(after));
	ASSERT_EQ(strcmp(before, after), 0);
	ASSERT_OK(pm_gmem_convert(g, 3 * PG, PG, PM_GMEM_PRIVATE, 0, NULL));
	page_read(g, 3 * PG, buf);
	printf("# a page the caller wrote behind the store's back while shared "
	       "reads %s after going private without KEEP\n",
	       pattern_mismatch(buf, PG, 0) < 0	  ? "zeros" :
	       pattern_mismatch(buf, PG, 161) < 0 ? "the caller's bytes" :
						    "something else");
	pm_gmem_close(g);
	close(fd);
}

/* An adopted hugetlbfs memfd: its granule is its page size. */
TEST(adopt_memfd_hugetlb_2m)
{
	const uint64_t size = 2 * 2 * MiB;
	struct pm_gmem *g;
	int fd;

	hugetlb_require(PM_GMEM_HUGETLB_2M, size);
	fd = memfd_create("gmem-adoptee",
			  MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
	if (fd < 0)
		SKIP("memfd_create(MFD_HUGETLB | MFD_HUGE_2MB): %s",
		     strerror(errno));
	ASSERT_SYS(ftruncate(fd, size));
	g = adopt(fd, size, PM_GMEM_F_INIT_PRIVATE);
	ASSERT_U64_EQ(pm_gmem_granule(g), 2 * MiB);
	ASSERT_STATES(g, "PP");
	ASSERT_ERR(EINVAL, pm_gmem_convert(g, 0, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_OK(pm_gmem_convert(g, 0, 2 * MiB, PM_GMEM_SHARED, 0, NULL));
	ASSERT_STATES(g, "SP");
	pm_gmem_close(g);
	close(fd);
}

TEST_MAIN()
