// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_UNMAP: whole areas only, the byte count, unmap-all, and the
 * errors (ENOENT for a partial hit or an empty range, EOVERFLOW).
 */
#include "utils.h"

struct unmap_fx {
	struct pm_iommufd *ctx;
	uint32_t ioas, hwpt;
	uint8_t *buf;
};

/* An IOAS with a mock domain (@domain) and 1 MiB of memory. */
static struct unmap_fx fx_new(bool domain)
{
	struct unmap_fx fx = { .hwpt = 0 };

	fx.ctx = ctx_open();
	fx.ioas = ioas_new(fx.ctx);
	if (domain)
		test_mock_domain(fx.ctx, fx.ioas, NULL, &fx.hwpt, NULL);
	fx.buf = buf_alloc(1 * MiB, 1 * MiB);
	return fx;
}

#define BASE (AP_START + 1 * MiB)

TEST(unmap_whole_area)
{
	struct unmap_fx fx = fx_new(true);
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = fx.ioas,
		.iova = BASE,
		.length = 64 * KiB,
	};

	test_map_at(fx.ctx, fx.ioas, fx.buf, 64 * KiB, BASE);
	test_check_map(fx.ctx, fx.hwpt, BASE, 64 * KiB, fx.buf);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	ASSERT_EQ(pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_UNMAP, &cmd), 0);
	ASSERT_U64_EQ(cmd.length, 64 * KiB);
	ASSERT_U64_EQ(cmd.iova, BASE);
	/* The translation and the pin are gone. */
	test_err_check_map(EINVAL, fx.ctx, fx.hwpt, BASE, MOCK_PG, fx.buf);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 0);
	/* The IOVA can be used again. */
	test_map_at(fx.ctx, fx.ioas, fx.buf, 64 * KiB, BASE);
	test_check_map(fx.ctx, fx.hwpt, BASE, 64 * KiB, fx.buf);
	pm_iommufd_close(fx.ctx);
}

/* A range that cuts an area unmaps nothing of it. */
TEST(unmap_partial_enoent)
{
	struct unmap_fx fx = fx_new(true);

	test_map_at(fx.ctx, fx.ioas, fx.buf, 16 * KiB, BASE);
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE, 4 * KiB, NULL);
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE + 4 * KiB, 4 * KiB,
			    NULL);
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE + 4 * KiB,
			    64 * KiB, NULL);
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE - 4 * KiB,
			    16 * KiB, NULL);
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE + 16 * KiB - 1, 1,
			    NULL);
	/* The area is intact, translations and all. */
	test_check_map(fx.ctx, fx.hwpt, BASE, 16 * KiB, fx.buf);
	test_err_map_at(EEXIST, fx.ctx, fx.ioas, fx.buf, PG, BASE + 8 * KiB);
	test_unmap_exact(fx.ctx, fx.ioas, BASE, 16 * KiB);
	pm_iommufd_close(fx.ctx);
}

TEST(unmap_nothing_enoent)
{
	struct unmap_fx fx = fx_new(false);

	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE, 4 * KiB, NULL);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 16 * KiB, BASE);
	/* Next to the area, in the gap between two. */
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE + 16 * KiB, 4 * KiB,
			    NULL);
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE - 4 * KiB, 4 * KiB,
			    NULL);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 16 * KiB, BASE + 32 * KiB);
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE + 16 * KiB,
			    16 * KiB, NULL);
	/* A bad IOAS. */
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas + 1, BASE, 16 * KiB, NULL);
	test_err_ioas_unmap(ENOENT, fx.ctx, 0, 0, UINT64_MAX, NULL);
	test_unmap_all(fx.ctx, fx.ioas, 32 * KiB);
	pm_iommufd_close(fx.ctx);
}

/* One range may cover several areas whole; the count adds them up. */
TEST(unmap_several_areas)
{
	struct unmap_fx fx = fx_new(true);
	uint64_t un = 0;

	test_map_at(fx.ctx, fx.ioas, fx.buf, 16 * KiB, BASE);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 8 * KiB, BASE + 16 * KiB);
	test_map_at(fx.ctx, fx.ioas, fx.buf + MOCK_PG, MOCK_PG,
		    BASE + 64 * KiB);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 4 * KiB, BASE + 1 * MiB);
	/* Gaps inside the range are fine. */
	test_ioas_unmap(fx.ctx, fx.ioas, BASE - 1 * MiB, 1 * MiB + 128 * KiB,
			&un);
	ASSERT_U64_EQ(un, 16 * KiB + 8 * KiB + MOCK_PG);
	test_check_map(fx.ctx, fx.hwpt, BASE + 1 * MiB, 4 * KiB, fx.buf);
	test_err_check_map(EINVAL, fx.ctx, fx.hwpt, BASE, MOCK_PG, fx.buf);
	test_unmap_exact(fx.ctx, fx.ioas, BASE + 1 * MiB, 4 * KiB);
	pm_iommufd_close(fx.ctx);
}

/* A range over whole areas and part of another: ENOENT, that one stays. */
TEST(unmap_partial_among_whole)
{
	struct unmap_fx fx = fx_new(true);

	test_map_at(fx.ctx, fx.ioas, fx.buf, 4 * KiB, BASE);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 8 * KiB, BASE + 8 * KiB);
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.ioas, BASE, 12 * KiB, NULL);
	/* The area cut by the range is still there, translated. */
	test_check_map(fx.ctx, fx.hwpt, BASE + 8 * KiB, 8 * KiB, fx.buf);
	test_err_map_at(EEXIST, fx.ctx, fx.ioas, fx.buf, PG, BASE + 12 * KiB);
	pm_iommufd_close(fx.ctx);
}

TEST(unmap_everything)
{
	struct unmap_fx fx = fx_new(true);
	uint64_t un = 123;

	/* Empty: success, zero bytes. */
	test_ioas_unmap(fx.ctx, fx.ioas, 0, UINT64_MAX, &un);
	ASSERT_U64_EQ(un, 0);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 16 * KiB, AP_START);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 2 * MOCK_PG, AP_LAST - PG + 1);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 1 * MiB, BASE);
	test_unmap_all(fx.ctx, fx.ioas, 16 * KiB + PG + 1 * MiB);
	test_check_refs(fx.ctx, fx.buf, 1 * MiB, 0);
	test_ioas_unmap(fx.ctx, fx.ioas, 0, UINT64_MAX, &un);
	ASSERT_U64_EQ(un, 0);
	/* Without a domain, tiny and odd areas anywhere go as well. */
	{
		struct unmap_fx f2 = fx_new(false);

		test_map_at(f2.ctx, f2.ioas, f2.buf + 3, 5, 0);
		test_map_at(f2.ctx, f2.ioas, f2.buf, PG, UINT64_MAX - PG);
		test_unmap_all(f2.ctx, f2.ioas, 5 + PG);
		pm_iommufd_close(f2.ctx);
	}
	pm_iommufd_close(fx.ctx);
}

TEST(unmap_overflow)
{
	struct unmap_fx fx = fx_new(false);

	test_map_at(fx.ctx, fx.ioas, fx.buf, PG, UINT64_MAX - PG);
	test_err_ioas_unmap(EOVERFLOW, fx.ctx, fx.ioas, UINT64_MAX, 1, NULL);
	test_err_ioas_unmap(EOVERFLOW, fx.ctx, fx.ioas, 1, UINT64_MAX, NULL);
	test_err_ioas_unmap(EOVERFLOW, fx.ctx, fx.ioas, UINT64_MAX - PG,
			    PG + 2, NULL);
	test_err_ioas_unmap(EOVERFLOW, fx.ctx, fx.ioas, UINT64_MAX - PG,
			    UINT64_MAX, NULL);
	/* Length 0 is no range. */
	test_err_ioas_unmap(EINVAL, fx.ctx, fx.ioas, UINT64_MAX - PG, 0, NULL);
	test_unmap_exact(fx.ctx, fx.ioas, UINT64_MAX - PG, PG);
	pm_iommufd_close(fx.ctx);
}

/* Two maps of the same memory are separate areas. */
TEST(unmap_same_memory_twice)
{
	struct unmap_fx fx = fx_new(true);

	test_map_at(fx.ctx, fx.ioas, fx.buf, 64 * KiB, BASE);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 64 * KiB, BASE + 1 * MiB);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 2);
	test_unmap_exact(fx.ctx, fx.ioas, BASE, 64 * KiB);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	test_check_map(fx.ctx, fx.hwpt, BASE + 1 * MiB, 64 * KiB, fx.buf);
	test_unmap_exact(fx.ctx, fx.ioas, BASE + 1 * MiB, 64 * KiB);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 0);
	pm_iommufd_close(fx.ctx);
}

TEST(typed_pm_ioas_unmap)
{
	struct unmap_fx fx = fx_new(false);
	uint64_t un = 7;

	test_map_at(fx.ctx, fx.ioas, fx.buf, 8 * KiB, BASE);
	ASSERT_ERR(ENOENT, pm_ioas_unmap(fx.ctx, fx.ioas, BASE, PG, &un));
	ASSERT_U64_EQ(un, 7);
	ASSERT_ERR(EOVERFLOW,
		   pm_ioas_unmap(fx.ctx, fx.ioas, BASE, UINT64_MAX - 1, &un));
	ASSERT_OK(pm_ioas_unmap(fx.ctx, fx.ioas, BASE, 8 * KiB, &un));
	ASSERT_U64_EQ(un, 8 * KiB);
	ASSERT_OK(pm_ioas_unmap(fx.ctx, fx.ioas, 0, UINT64_MAX, NULL));
	pm_iommufd_close(fx.ctx);
}

TEST_MAIN()
