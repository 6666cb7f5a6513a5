// SPDX-License-Identifier: MIT
/*
 * gmem stores in an IOAS: the point of the library. A store mapped by
 * (store, offset) gives devices its shared pages only. Converting a page
 * to private removes its translation before the conversion completes (an
 * access holding the page is asked to let go first); converting it back
 * restores the translation at the same IOVA, with the content the
 * conversion leaves (zeros, or the old bytes with KEEP).
 *
 * Every test runs on the memfd backend, and on the guest_memfd backend
 * when /dev/kvm is usable (else that variant skips). Observations:
 *  - MD_CHECK_MAP of a shared page against the store's host view;
 *  - ACCESS_RW through an access, the CPU-side DMA path;
 *  - the store's own state (pm_gmem_is_private, pm_gmem_pin_count).
 * Private pages are never touched through the host view (they fault).
 */
#include "utils.h"

#define AT (AP_START + 1 * MiB)
#define NPAGES 8
#define NEEDS_PIN MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES

struct gfx {
	struct pm_iommufd *ctx;
	uint32_t ioas, hwpt, stdev;
	int afd; /* an access that can pin */
	struct pm_gmem *g;
	uint8_t *view;
	uint64_t gran; /* the store's granule */
};

/*
 * A store of @npages 4 KiB pages (page i: pattern i + 1, unless
 * @flags has INIT_PRIVATE), mapped whole at AT of an IOAS with a mock
 * domain (if @domain) and an access.
 */
static struct gfx gfx_new(enum pm_gmem_backend b, unsigned int npages,
			  uint32_t flags, bool domain)
{
	struct gfx fx = { .hwpt = 0 };
	uint64_t iova = AT;

	fx.g = store_new(b, npages, flags);
	fx.view = pm_gmem_host_view(fx.g);
	fx.gran = pm_gmem_granule(fx.g);
	fx.ctx = ctx_open();
	fx.ioas = ioas_new(fx.ctx);
	if (domain)
		test_mock_domain(fx.ctx, fx.ioas, &fx.stdev, &fx.hwpt, NULL);
	fx.afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	ASSERT_OK(pm_ioas_map_gmem(fx.ctx, fx.ioas, fx.g, 0, npages * PG,
				   &iova, FIXED_RW));
	ASSERT_U64_EQ(iova, AT);
	return fx;
}

static void gfx_close(struct gfx *fx)
{
	pm_iommufd_close(fx->ctx);
	pm_gmem_close(fx->g);
}

static void convert(struct gfx *fx, unsigned int page, unsigned int n,
		    enum pm_gmem_state to, uint32_t flags)
{
	ASSERT_OK(pm_gmem_convert(fx->g, page * PG, n * PG, to, flags, NULL));
}

/* The device reaches page @page at AT + page * PG; it holds @seed. */
#define ASSERT_DMA_SHARED(fx, page, seed)                                      \
	do {                                                                   \
		uint8_t __b[PG];                                               \
		uint64_t __iova = AT + (uint64_t)(page) * PG;                   \
		ASSERT_EQ(pm_gmem_is_private((fx)->g, (page) * PG), 0);        \
		if ((fx)->hwpt)                                                \
			test_check_map((fx)->ctx, (fx)->hwpt, __iova, PG,      \
				       (fx)->view + (page) * PG);              \
		test_access_rw((fx)->ctx, (fx)->afd, __iova, __b, PG, 0);      \
		ASSERT_PAT(__b, PG, (seed));                                   \
	} while (0)

/* The device cannot reach page @page: no translation, no DMA. */
#define ASSERT_DMA_GONE(fx, page)                                              \
	do {                                                                   \
		uint8_t __b[16];                                               \
		uint64_t __iova = AT + (uint64_t)(page) * PG;                   \
		ASSERT_EQ(pm_gmem_is_private((fx)->g, (page) * PG), 1);        \
		if ((fx)->hwpt)                                                \
			ASSERT_NE(_check_map((fx)->ctx, (fx)->hwpt, __iova,    \
					     MOCK_PG,                          \
					     (fx)->view + (page) * PG),        \
				  0);                                          \
		memset(__b, 0x5a, sizeof(__b));                                \
		ASSERT_NE(_access_rw((fx)->ctx, (fx)->afd, __iova, __b,        \
				     sizeof(__b), 0),                          \
			  0);                                                  \
		ASSERT_NE(_access_rw((fx)->ctx, (fx)->afd, __iova, __b,        \
				     sizeof(__b), MOCK_ACCESS_RW_WRITE),       \
			  0);                                                  \
		ASSERT_NE(_access_pages((fx)->ctx, (fx)->afd, __iova, PG,      \
					(fx)->view + (page) * PG, 0, NULL),    \
			  0);                                                  \
	} while (0)

/* One test per backend: NAME_memfd and NAME_guest_memfd. */
#define GMEM_TEST(name)                                                        \
	static void name(enum pm_gmem_backend b);                             \
	TEST(name##_memfd)                                                     \
	{                                                                      \
		name(PM_GMEM_MEMFD);                                           \
	}                                                                      \
	TEST(name##_guest_memfd)                                               \
	{                                                                      \
		name(PM_GMEM_GUEST_MEMFD);                                     \
	}                                                                      \
	static void name(enum pm_gmem_backend b)

GMEM_TEST(shared_pages_reachable)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);
	uint8_t w[100];
	unsigned int i;

	test_check_map(fx.ctx, fx.hwpt, AT, NPAGES * PG, fx.view);
	for (i = 0; i < NPAGES; i++)
		ASSERT_DMA_SHARED(&fx, i, i + 1);
	/* A device write lands in the store. */
	pat_fill(w, sizeof(w), 40);
	test_access_rw(fx.ctx, fx.afd, AT + 3 * PG - 50, w, sizeof(w),
		       MOCK_ACCESS_RW_WRITE);
	ASSERT_PAT(fx.view + 3 * PG - 50, sizeof(w), 40);
	gfx_close(&fx);
}

GMEM_TEST(to_private_removes_translation)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);
	uint8_t big[3 * PG];

	convert(&fx, 2, 1, PM_GMEM_PRIVATE, 0);
	ASSERT_DMA_GONE(&fx, 2);
	/* The neighbours are untouched. */
	ASSERT_DMA_SHARED(&fx, 1, 2);
	ASSERT_DMA_SHARED(&fx, 3, 4);
	test_check_map(fx.ctx, fx.hwpt, AT, 2 * PG, fx.view);
	test_check_map(fx.ctx, fx.hwpt, AT + 3 * PG, 5 * PG, fx.view + 3 * PG);
	/* A transfer spanning the private page fails as a whole. */
	ASSERT_NE(_access_rw(fx.ctx, fx.afd, AT + PG, big, sizeof(big), 0), 0);
	/* The page is the store's private page, not the device's. */
	{
		struct pm_gmem_page pg;

		ASSERT_OK(pm_gmem_get_pfn(fx.g, 2 * PG, 0, &pg));
		ASSERT_TRUE(pg.is_private);
		if (pg.ptr)
			test_err_check_map(EINVAL, fx.ctx, fx.hwpt, AT + 2 * PG,
					   MOCK_PG, pg.ptr);
		pm_gmem_put_pfn(fx.g, &pg);
	}
	/* Several pages, several runs. */
	convert(&fx, 4, 3, PM_GMEM_PRIVATE, 0);
	ASSERT_DMA_GONE(&fx, 4);
	ASSERT_DMA_GONE(&fx, 6);
	ASSERT_DMA_SHARED(&fx, 7, 8);
	gfx_close(&fx);
}

GMEM_TEST(back_to_shared_restores)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);

	convert(&fx, 2, 2, PM_GMEM_PRIVATE, 0);
	convert(&fx, 2, 1, PM_GMEM_SHARED, 0);
	/* Back at the same IOVA; the content did not cross: zeros. */
	test_check_map(fx.ctx, fx.hwpt, AT + 2 * PG, PG, fx.view + 2 * PG);
	ASSERT_DMA_SHARED(&fx, 2, 0);
	ASSERT_DMA_GONE(&fx, 3);
	ASSERT_DMA_SHARED(&fx, 1, 2);
	/* A mixed range converts; the shared pages keep their bytes. */
	convert(&fx, 0, NPAGES, PM_GMEM_SHARED, 0);
	ASSERT_DMA_SHARED(&fx, 0, 1);
	ASSERT_DMA_SHARED(&fx, 3, 0);
	ASSERT_DMA_SHARED(&fx, 4, 5);
	test_check_map(fx.ctx, fx.hwpt, AT, NPAGES * PG, fx.view);
	/* With KEEP the bytes travel both ways. */
	convert(&fx, 5, 1, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP);
	ASSERT_DMA_GONE(&fx, 5);
	convert(&fx, 5, 1, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
	ASSERT_DMA_SHARED(&fx, 5, 6);
	/* Round trips do not leak translations or leave stale ones. */
	for (int i = 0; i < 20; i++) {
		convert(&fx, 6, 1, PM_GMEM_PRIVATE, 0);
		convert(&fx, 6, 1, PM_GMEM_SHARED, 0);
	}
	test_check_map(fx.ctx, fx.hwpt, AT, NPAGES * PG, fx.view);
	test_unmap_exact(fx.ctx, fx.ioas, AT, NPAGES * PG);
	gfx_close(&fx);
}

/* A store that starts private: nothing reachable until it converts. */
GMEM_TEST(init_private_store)
{
	struct gfx fx = gfx_new(b, 4, PM_GMEM_F_INIT_PRIVATE, true);
	uint8_t src[PG];
	unsigned int i;

	for (i = 0; i < 4; i++)
		ASSERT_DMA_GONE(&fx, i);
	pat_fill(src, sizeof(src), 33);
	ASSERT_OK(pm_gmem_populate(fx.g, PG, src, PG));
	convert(&fx, 1, 1, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
	ASSERT_DMA_SHARED(&fx, 1, 33);
	ASSERT_DMA_GONE(&fx, 0);
	ASSERT_DMA_GONE(&fx, 2);
	gfx_close(&fx);
}

/*
 * An access pin holds the page in the store: the conversion asks the
 * access to let go (its unmap callback; the mock access unpins) and then
 * succeeds. Other pins of the access stay.
 */
GMEM_TEST(conversion_waits_for_access_unmap)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);
	uint32_t item, other;

	test_access_pages(fx.ctx, fx.afd, AT + 3 * PG, PG, fx.view + 3 * PG,
			  0, &item);
	test_access_pages(fx.ctx, fx.afd, AT + 6 * PG, 2 * PG,
			  fx.view + 6 * PG, MOCK_FLAGS_ACCESS_WRITE, &other);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 3 * PG), 1);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 7 * PG), 1);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 2 * PG), 0);
	convert(&fx, 3, 1, PM_GMEM_PRIVATE, 0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 3 * PG), 0);
	ASSERT_EQ(pm_gmem_is_private(fx.g, 3 * PG), 1);
	test_err_destroy_access_pages(ENOENT, fx.ctx, fx.afd, item);
	ASSERT_DMA_GONE(&fx, 3);
	/* The pin elsewhere is intact. */
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 6 * PG), 1);
	test_destroy_access_pages(fx.ctx, fx.afd, other);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 6 * PG), 0);
	/* Pins of a range with a private page in it fail, none left held. */
	ASSERT_NE(_access_pages(fx.ctx, fx.afd, AT + 2 * PG, 3 * PG,
				fx.view + 2 * PG, 0, NULL),
		  0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 2 * PG), 0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 4 * PG), 0);
	/* Also without a domain. */
	{
		struct gfx f2 = gfx_new(b, 4, 0, false);

		test_access_pages(f2.ctx, f2.afd, AT, 4 * PG, f2.view, 0,
				  &item);
		ASSERT_EQ(pm_gmem_pin_count(f2.g, PG), 1);
		convert(&f2, 1, 1, PM_GMEM_PRIVATE, 0);
		ASSERT_EQ(pm_gmem_pin_count(f2.g, 0), 0);
		test_err_destroy_access_pages(ENOENT, f2.ctx, f2.afd, item);
		ASSERT_DMA_GONE(&f2, 1);
		ASSERT_DMA_SHARED(&f2, 0, 1);
		gfx_close(&f2);
	}
	gfx_close(&fx);
}

/* Closing the store while mapped: the IOAS stays usable. */
GMEM_TEST(close_store_while_mapped)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);
	uint8_t *buf = buf_alloc(16 * KiB, 16 * KiB), tmp[16];
	uint64_t iova = AT + 1 * MiB;
	uint32_t item;

	test_access_pages(fx.ctx, fx.afd, AT + PG, PG, fx.view + PG, 0, &item);
	pm_gmem_close(fx.g);
	/* Nothing of the store is reachable any more. */
	ASSERT_NE(_access_rw(fx.ctx, fx.afd, AT, tmp, sizeof(tmp), 0), 0);
	test_err_destroy_access_pages(ENOENT, fx.ctx, fx.afd, item);
	/* The IOAS works: other maps, and the unmap of the store's area. */
	test_ioas_map(fx.ctx, fx.ioas, buf, 16 * KiB, &iova, FIXED_RW);
	test_check_map(fx.ctx, fx.hwpt, iova, 16 * KiB, buf);
	test_unmap_exact(fx.ctx, fx.ioas, AT, NPAGES * PG);
	test_map_at(fx.ctx, fx.ioas, buf, 16 * KiB, AT);
	test_check_map(fx.ctx, fx.hwpt, AT, 16 * KiB, buf);
	/* Domains come and go. */
	test_destroy(fx.ctx, fx.stdev);
	test_mock_domain(fx.ctx, fx.ioas, NULL, NULL, NULL);
	pm_iommufd_close(fx.ctx);
}

/* Closed while mapped with no domain, then a domain arrives. */
GMEM_TEST(close_store_then_attach)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, false);
	uint32_t hwpt;

	pm_gmem_close(fx.g);
	test_mock_domain(fx.ctx, fx.ioas, NULL, &hwpt, NULL);
	test_unmap_all(fx.ctx, fx.ioas, NPAGES * PG);
	pm_iommufd_close(fx.ctx);
}

/* MAP_FILE of the store's private fd maps the store: same semantics. */
GMEM_TEST(map_file_private_fd)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);
	uint64_t iova = AT + 1 * MiB;
	uint8_t secret[PG], b2[16];

	test_ioas_map_file(fx.ctx, fx.ioas, pm_gmem_private_fd(fx.g), 0,
			   NPAGES * PG, &iova, FIXED_RW);
	test_check_map(fx.ctx, fx.hwpt, iova, NPAGES * PG, fx.view);
	/* A private page, with content, is not reachable through it. */
	convert(&fx, 4, 1, PM_GMEM_PRIVATE, 0);
	pat_fill(secret, sizeof(secret), 77);
	ASSERT_OK(pm_gmem_populate(fx.g, 4 * PG, secret, PG));
	ASSERT_NE(_access_rw(fx.ctx, fx.afd, iova + 4 * PG, b2, sizeof(b2), 0),
		  0);
	ASSERT_NE(_check_map(fx.ctx, fx.hwpt, iova + 4 * PG, MOCK_PG,
			     fx.view + 4 * PG),
		  0);
	test_check_map(fx.ctx, fx.hwpt, iova + 5 * PG, 3 * PG,
		       fx.view + 5 * PG);
	/* Back to shared with the content: both maps see it. */
	convert(&fx, 4, 1, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
	ASSERT_DMA_SHARED(&fx, 4, 77);
	test_check_map(fx.ctx, fx.hwpt, iova + 4 * PG, PG, fx.view + 4 * PG);
	ASSERT_DMA_READS(fx.ctx, fx.afd, iova + 4 * PG, secret, PG);
	gfx_close(&fx);
}

/* Pages converted before a domain arrives are left out of it. */
GMEM_TEST(attach_after_conversion)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, false);

	convert(&fx, 1, 2, PM_GMEM_PRIVATE, 0);
	test_mock_domain(fx.ctx, fx.ioas, &fx.stdev, &fx.hwpt, NULL);
	ASSERT_DMA_SHARED(&fx, 0, 1);
	ASSERT_DMA_GONE(&fx, 1);
	ASSERT_DMA_GONE(&fx, 2);
	ASSERT_DMA_SHARED(&fx, 3, 4);
	convert(&fx, 1, 2, PM_GMEM_SHARED, 0);
	ASSERT_DMA_SHARED(&fx, 1, 0);
	test_check_map(fx.ctx, fx.hwpt, AT, NPAGES * PG, fx.view);
	/* And a domain leaving and coming back. */
	convert(&fx, 5, 1, PM_GMEM_PRIVATE, 0);
	test_destroy(fx.ctx, fx.stdev);
	test_mock_domain(fx.ctx, fx.ioas, &fx.stdev, &fx.hwpt, NULL);
	ASSERT_DMA_GONE(&fx, 5);
	ASSERT_DMA_SHARED(&fx, 6, 7);
	gfx_close(&fx);
}

/* Every domain and every IOAS mapping the page follows its conversion. */
GMEM_TEST(copies_and_domains_follow)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);
	uint32_t ioas2 = ioas_new(fx.ctx), h2, h3, idev;
	uint64_t iova = AT;

	test_mock_domain(fx.ctx, ioas2, NULL, &h2, &idev);
	test_ioas_copy(fx.ctx, ioas2, fx.ioas, AT + 2 * PG, 4 * PG, &iova,
		       FIXED_RW);
	test_check_map(fx.ctx, h2, AT, 4 * PG, fx.view + 2 * PG);
	/* A second domain on the first IOAS. */
	test_hwpt_alloc(fx.ctx, idev, fx.ioas, 0, &h3);
	test_check_map(fx.ctx, h3, AT, NPAGES * PG, fx.view);
	convert(&fx, 3, 1, PM_GMEM_PRIVATE, 0);
	ASSERT_DMA_GONE(&fx, 3);
	ASSERT_NE(_check_map(fx.ctx, h2, AT + PG, MOCK_PG, fx.view + 3 * PG),
		  0);
	ASSERT_NE(_check_map(fx.ctx, h3, AT + 3 * PG, MOCK_PG,
			     fx.view + 3 * PG),
		  0);
	test_check_map(fx.ctx, h2, AT, PG, fx.view + 2 * PG);
	test_check_map(fx.ctx, h2, AT + 2 * PG, 2 * PG, fx.view + 4 * PG);
	test_check_map(fx.ctx, h3, AT + 4 * PG, 4 * PG, fx.view + 4 * PG);
	convert(&fx, 3, 1, PM_GMEM_SHARED, 0);
	test_check_map(fx.ctx, h2, AT, 4 * PG, fx.view + 2 * PG);
	test_check_map(fx.ctx, h3, AT, NPAGES * PG, fx.view);
	test_check_map(fx.ctx, fx.hwpt, AT, NPAGES * PG, fx.view);
	/* The copy outlives the original map. */
	test_unmap_exact(fx.ctx, fx.ioas, AT, NPAGES * PG);
	convert(&fx, 2, 1, PM_GMEM_PRIVATE, 0);
	ASSERT_NE(_check_map(fx.ctx, h2, AT, MOCK_PG, fx.view + 2 * PG), 0);
	test_check_map(fx.ctx, h2, AT + PG, 3 * PG, fx.view + 3 * PG);
	gfx_close(&fx);
}

/* A map of part of the store only follows conversions inside it. */
GMEM_TEST(partial_map)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);
	uint64_t iova = AT + 1 * MiB;

	/* Pages 2..5 again, at another IOVA, read-only. */
	ASSERT_OK(pm_ioas_map_gmem(fx.ctx, fx.ioas, fx.g, 2 * PG, 4 * PG,
				   &iova,
				   IOMMU_IOAS_MAP_FIXED_IOVA |
					   IOMMU_IOAS_MAP_READABLE));
	test_check_map(fx.ctx, fx.hwpt, iova, 4 * PG, fx.view + 2 * PG);
	convert(&fx, 3, 1, PM_GMEM_PRIVATE, 0);
	convert(&fx, 7, 1, PM_GMEM_PRIVATE, 0);
	ASSERT_NE(_check_map(fx.ctx, fx.hwpt, iova + PG, MOCK_PG,
			     fx.view + 3 * PG),
		  0);
	test_check_map(fx.ctx, fx.hwpt, iova + 2 * PG, 2 * PG,
		       fx.view + 4 * PG);
	test_check_map(fx.ctx, fx.hwpt, iova, PG, fx.view + 2 * PG);
	convert(&fx, 3, 1, PM_GMEM_SHARED, 0);
	test_check_map(fx.ctx, fx.hwpt, iova, 4 * PG, fx.view + 2 * PG);
	/* Read-only: a device write is refused. */
	{
		uint8_t w[8] = { 1 };

		test_err_access_rw(EPERM, fx.ctx, fx.afd, iova, w, sizeof(w),
				   MOCK_ACCESS_RW_WRITE);
	}
	gfx_close(&fx);
}

/* Punching keeps the translation; the content reads as zeros. */
GMEM_TEST(punch_reads_zeros)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);

	ASSERT_OK(pm_gmem_punch(fx.g, 2 * PG, 2 * PG));
	ASSERT_DMA_SHARED(&fx, 2, 0);
	ASSERT_DMA_SHARED(&fx, 3, 0);
	ASSERT_DMA_SHARED(&fx, 4, 5);
	test_check_map(fx.ctx, fx.hwpt, AT, NPAGES * PG, fx.view);
	gfx_close(&fx);
}

/* Unmapped areas stop following the store; the store does not care. */
GMEM_TEST(unmap_then_convert)
{
	struct gfx fx = gfx_new(b, NPAGES, 0, true);

	test_unmap_exact(fx.ctx, fx.ioas, AT, NPAGES * PG);
	convert(&fx, 0, NPAGES, PM_GMEM_PRIVATE, 0);
	convert(&fx, 0, NPAGES, PM_GMEM_SHARED, 0);
	ASSERT_NE(_check_map(fx.ctx, fx.hwpt, AT, MOCK_PG, fx.view), 0);
	/* Mapped again, at once reachable. */
	ASSERT_OK(pm_ioas_map_gmem(fx.ctx, fx.ioas, fx.g, 0, NPAGES * PG,
				   &(uint64_t){ AT }, FIXED_RW));
	ASSERT_DMA_SHARED(&fx, 1, 0);
	/* Destroying the whole context first leaves the store usable. */
	pm_iommufd_close(fx.ctx);
	ASSERT_OK(pm_gmem_convert(fx.g, 0, PG, PM_GMEM_PRIVATE, 0, NULL));
	pm_gmem_close(fx.g);
}

/* A huge-page store converts by 2 MiB granule. */
TEST(hugetlb_2m_granule)
{
	struct gfx fx = gfx_new(PM_GMEM_HUGETLB_2M, 1024, 0, true);
	uint8_t b[PG];

	ASSERT_U64_EQ(fx.gran, 2 * MiB);
	test_check_map(fx.ctx, fx.hwpt, AT, 4 * MiB, fx.view);
	ASSERT_OK(pm_gmem_convert(fx.g, 2 * MiB, 2 * MiB, PM_GMEM_PRIVATE, 0,
				  NULL));
	ASSERT_NE(_access_rw(fx.ctx, fx.afd, AT + 2 * MiB + 5 * PG, b, 16, 0),
		  0);
	test_check_map(fx.ctx, fx.hwpt, AT, 2 * MiB, fx.view);
	test_access_rw(fx.ctx, fx.afd, AT + 2 * MiB - PG, b, PG, 0);
	ASSERT_PAT(b, PG, 512);
	ASSERT_OK(pm_gmem_convert(fx.g, 2 * MiB, 2 * MiB, PM_GMEM_SHARED, 0,
				  NULL));
	test_check_map(fx.ctx, fx.hwpt, AT, 4 * MiB, fx.view);
	test_access_rw(fx.ctx, fx.afd, AT + 3 * MiB, b, PG, 0);
	ASSERT_TRUE(all_zero(b, PG));
	gfx_close(&fx);
}

TEST_MAIN()
