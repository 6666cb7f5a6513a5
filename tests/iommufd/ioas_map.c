// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_MAP: argument checks in Linux's order, fixed IOVAs, and the
 * automatic IOVA allocator (first fit, never 0, the alignment rule, the
 * sub-page offset, ENOSPC).
 */
#include "utils.h"

#define BUF_SIZE (4 * MiB)

struct map_fx {
	struct pm_iommufd *ctx;
	uint32_t ioas;
	uint8_t *buf; /* aligned to 2 MiB exactly */
};

static struct map_fx fx_new(void)
{
	struct map_fx fx;

	fx.ctx = ctx_open();
	fx.ioas = ioas_new(fx.ctx);
	fx.buf = buf_alloc(BUF_SIZE, 2 * MiB);
	return fx;
}

TEST(map_fixed_basic)
{
	struct map_fx fx = fx_new();
	uint64_t iova = 1 * MiB;

	test_ioas_map(fx.ctx, fx.ioas, fx.buf, 16 * KiB, &iova, FIXED_RW);
	ASSERT_U64_EQ(iova, 1 * MiB);
	/* Read-only and write-only maps are maps too. */
	iova = 2 * MiB;
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, 16 * KiB, &iova,
		      IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	iova = 3 * MiB;
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, 16 * KiB, &iova,
		      IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE);
	/* Without a domain any byte alignment goes, and IOVA 0 too. */
	test_map_at(fx.ctx, fx.ioas, fx.buf + 1, 3, 0);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 1, 5 * MiB + 1);
	test_unmap_all(fx.ctx, fx.ioas, 3 * 16 * KiB + 3 + 1);
	pm_iommufd_close(fx.ctx);
}

TEST(map_flags)
{
	struct map_fx fx = fx_new();
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = FIXED_RW,
		.ioas_id = fx.ioas,
		.user_va = (uintptr_t)fx.buf,
		.length = PG,
		.iova = 1 * MiB,
	};
	uint32_t bit;

	for (bit = 3; bit < 32; bit++) {
		cmd.flags = FIXED_RW | 1U << bit;
		ASSERT_ERRNO(EOPNOTSUPP,
			     pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd));
	}
	cmd.flags = FIXED_RW;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd));
	cmd.__reserved = 0;
	/* Neither READABLE nor WRITEABLE: no access granted. */
	cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	ASSERT_ERRNO(EINVAL, pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = 0;
	ASSERT_ERRNO(EINVAL, pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd));
	/* The order: flags before overflow before access before the id. */
	cmd.flags = 1U << 5;
	cmd.length = UINT64_MAX;
	cmd.ioas_id = 99;
	ASSERT_ERRNO(EOPNOTSUPP, pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = 0;
	ASSERT_ERRNO(EOVERFLOW, pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd));
	cmd.length = PG;
	ASSERT_ERRNO(EINVAL, pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = FIXED_RW;
	ASSERT_ERRNO(ENOENT, pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd));
	cmd.ioas_id = fx.ioas;
	ASSERT_EQ(pm_iommufd_ioctl(fx.ctx, IOMMU_IOAS_MAP, &cmd), 0);
	pm_iommufd_close(fx.ctx);
}

TEST(map_length_and_overflow)
{
	struct map_fx fx = fx_new();
	uint64_t iova;

	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, 0, 1 * MiB);
	iova = 0;
	test_err_ioas_map(EINVAL, fx.ctx, fx.ioas, fx.buf, 0, &iova, RW);
	/* iova or length of U64_MAX is no address or length. */
	test_err_map_at(EOVERFLOW, fx.ctx, fx.ioas, fx.buf, PG, UINT64_MAX);
	test_err_map_at(EOVERFLOW, fx.ctx, fx.ioas, fx.buf, UINT64_MAX, 0);
	/* iova + length wraps. */
	test_err_map_at(EOVERFLOW, fx.ctx, fx.ioas, fx.buf, 2 * PG,
			UINT64_MAX - PG);
	/* The top of the space is fine, up to and including U64_MAX. */
	test_map_at(fx.ctx, fx.ioas, fx.buf, PG, UINT64_MAX - PG - 1);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 2, UINT64_MAX - 1);
	test_err_map_at(EOVERFLOW, fx.ctx, fx.ioas, fx.buf, 1, UINT64_MAX);
	test_unmap_all(fx.ctx, fx.ioas, PG + 2);
	/* An automatic IOVA for half the space cannot be aligned. */
	iova = 0;
	test_err_ioas_map(EOVERFLOW, fx.ctx, fx.ioas, fx.buf, 1ULL << 63,
			  &iova, RW);
	/* user_va + length wraps. */
	test_err_ioas_map(EOVERFLOW, fx.ctx, fx.ioas,
			  (void *)(uintptr_t)(UINT64_MAX - PG + 1), 2 * PG,
			  &iova, RW);
	pm_iommufd_close(fx.ctx);
}

TEST(map_fixed_eexist)
{
	struct map_fx fx = fx_new();

	test_map_at(fx.ctx, fx.ioas, fx.buf, 16 * KiB, 1 * MiB);
	test_err_map_at(EEXIST, fx.ctx, fx.ioas, fx.buf, 16 * KiB, 1 * MiB);
	test_err_map_at(EEXIST, fx.ctx, fx.ioas, fx.buf, PG,
			1 * MiB + 16 * KiB - 1);
	test_err_map_at(EEXIST, fx.ctx, fx.ioas, fx.buf, 16 * KiB,
			1 * MiB - 16 * KiB + 1);
	test_err_map_at(EEXIST, fx.ctx, fx.ioas, fx.buf, 64 * KiB,
			1 * MiB - 16 * KiB);
	/* Adjacent on both sides is fine. */
	test_map_at(fx.ctx, fx.ioas, fx.buf, 16 * KiB, 1 * MiB - 16 * KiB);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 16 * KiB, 1 * MiB + 16 * KiB);
	/* The same memory may be mapped any number of times. */
	test_unmap_all(fx.ctx, fx.ioas, 3 * 16 * KiB);
	pm_iommufd_close(fx.ctx);
}

TEST(map_fixed_reserved)
{
	struct map_fx fx = fx_new();

	test_add_reserved(fx.ctx, fx.ioas, 1 * MiB, 1 * MiB);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, PG, 1 * MiB);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, PG, 2 * MiB - PG);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, 2 * PG, 1 * MiB - PG);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, 4 * MiB, 0);
	test_map_at(fx.ctx, fx.ioas, fx.buf, PG, 1 * MiB - PG);
	test_map_at(fx.ctx, fx.ioas, fx.buf, PG, 2 * MiB);
	/* Reserved wins over existing: EINVAL, not EEXIST. */
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, 2 * PG, 1 * MiB - PG);
	pm_iommufd_close(fx.ctx);
}

/* With a mock domain: its aperture is reserved and 2 KiB is the unit. */
TEST(map_fixed_with_domain)
{
	struct map_fx fx = fx_new();
	uint32_t hwpt;

	test_mock_domain(fx.ctx, fx.ioas, NULL, &hwpt, NULL);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, PG, 0);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, PG, AP_START - PG);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, PG, AP_LAST + 1);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, 2 * PG, AP_LAST - PG);
	/* Misaligned IOVA, length or sub-page offset. */
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, PG, AP_START + 1024);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf, 1024, AP_START);
	test_err_map_at(EINVAL, fx.ctx, fx.ioas, fx.buf + 1024, MOCK_PG,
			AP_START);
	/* Half pages are fine: the IO page is 2 KiB. */
	test_map_at(fx.ctx, fx.ioas, fx.buf + MOCK_PG, MOCK_PG,
		    AP_START + MOCK_PG);
	test_check_map(fx.ctx, hwpt, AP_START + MOCK_PG, MOCK_PG,
		       fx.buf + MOCK_PG);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 3 * MOCK_PG, AP_START + 8 * PG);
	test_check_map(fx.ctx, hwpt, AP_START + 8 * PG, 3 * MOCK_PG, fx.buf);
	test_map_at(fx.ctx, fx.ioas, fx.buf, PG, AP_LAST - PG + 1);
	test_check_map(fx.ctx, hwpt, AP_LAST - PG + 1, PG, fx.buf);
	pm_iommufd_close(fx.ctx);
}

/* ------------------------------------------------------------------ */
/* Automatic IOVAs                                                     */

TEST(auto_never_zero_first_fit)
{
	struct map_fx fx = fx_new();
	uint64_t a = 0, b = 0, c = 0;

	/* The window starts at PAGE_SIZE, whatever the alignment. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + PG, PG, &a, RW);
	ASSERT_U64_EQ(a, PG);
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + PG, PG, &b, RW);
	ASSERT_U64_EQ(b, 2 * PG);
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + PG, PG, &c, RW);
	ASSERT_U64_EQ(c, 3 * PG);
	/* A freed hole is found again: first fit, not next fit. */
	test_unmap_exact(fx.ctx, fx.ioas, b, PG);
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + PG, PG, &b, RW);
	ASSERT_U64_EQ(b, 2 * PG);
	/* Tiny maps never land at 0 either. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + 1, 1, &a, RW);
	ASSERT_NE(a, 0);
	ASSERT_U64_EQ(a, 4 * PG + 1);
	/* Even with [0, 4K) free and allowed. */
	test_allow_iovas(fx.ctx, fx.ioas,
			 &(struct iommu_iova_range){ 0, 2 * PG - 1 }, 1);
	test_err_ioas_map(ENOSPC, fx.ctx, fx.ioas, fx.buf + PG, PG, &a, RW);
	test_err_ioas_map(ENOSPC, fx.ctx, fx.ioas, fx.buf + 1, 1, &a, RW);
	pm_iommufd_close(fx.ctx);
}

/* min(roundup_pow_of_two(length), lowest set bit of the VA), capped at 2M. */
TEST(auto_alignment)
{
	struct map_fx fx = fx_new();
	uint64_t iova = 0;

	test_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, &iova, RW);
	ASSERT_U64_EQ(iova, PG);
	/* 64 KiB from a 2 MiB aligned VA: 64 KiB aligned. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, 64 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 64 * KiB);
	/* 12 KiB: rounded up to 16 KiB; first fit in [8K, 64K). */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, 12 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 16 * KiB);
	/* 8 KiB from a VA with bit 12 set: 4 KiB aligned, at 8 KiB. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + PG, 8 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 8 * KiB);
	/* 4 MiB from a 2 MiB aligned VA: capped at 2 MiB. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, 4 * MiB, &iova, RW);
	ASSERT_U64_EQ(iova, 2 * MiB);
	/* 1 MiB from 2 MiB alignment: 1 MiB aligned, below the 4 MiB map. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, 1 * MiB, &iova, RW);
	ASSERT_U64_EQ(iova, 1 * MiB);
	/* 32 KiB at VA + 32K: the hole [28K, 64K) holds it at 32K. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + 32 * KiB, 32 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 32 * KiB);
	pm_iommufd_close(fx.ctx);
}

/* The VA's offset in its page is kept in the IOVA. */
TEST(auto_sub_page_offset)
{
	struct map_fx fx = fx_new();
	uint64_t iova = 0;
	uint32_t hwpt;

	test_ioas_map(fx.ctx, fx.ioas, fx.buf + 0x123, 100, &iova, RW);
	ASSERT_U64_EQ(iova % PG, 0x123);
	ASSERT_U64_EQ(iova, PG + 0x123);
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + 0xfff, 2, &iova, RW);
	ASSERT_U64_EQ(iova % PG, 0xfff);
	test_unmap_all(fx.ctx, fx.ioas, 102);

	/* With a domain, half a page in: the IOVA is half a page in too. */
	test_mock_domain(fx.ctx, fx.ioas, NULL, &hwpt, NULL);
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + MOCK_PG, MOCK_PG, &iova, RW);
	ASSERT_U64_EQ(iova, AP_START + MOCK_PG);
	test_check_map(fx.ctx, hwpt, iova, MOCK_PG, fx.buf + MOCK_PG);
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + PG + MOCK_PG, 3 * MOCK_PG,
		      &iova, RW);
	ASSERT_U64_EQ(iova % PG, MOCK_PG);
	test_check_map(fx.ctx, hwpt, iova, 3 * MOCK_PG, fx.buf + PG + MOCK_PG);
	/* A VA alignment below the IOVA alignment cannot be kept. */
	test_err_ioas_map(EINVAL, fx.ctx, fx.ioas, fx.buf + 1024, MOCK_PG,
			  &iova, RW);
	pm_iommufd_close(fx.ctx);
}

TEST(auto_enospc)
{
	struct map_fx fx = fx_new();
	struct iommu_iova_range win = { 1 * MiB, 1 * MiB + 8 * KiB - 1 };
	uint64_t iova = 0;

	test_allow_iovas(fx.ctx, fx.ioas, &win, 1);
	test_err_ioas_map(ENOSPC, fx.ctx, fx.ioas, fx.buf, 16 * KiB, &iova, RW);
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, 8 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 1 * MiB);
	test_err_ioas_map(ENOSPC, fx.ctx, fx.ioas, fx.buf, PG, &iova, RW);
	test_err_ioas_map(ENOSPC, fx.ctx, fx.ioas, fx.buf + 1, 1, &iova, RW);
	test_unmap_exact(fx.ctx, fx.ioas, 1 * MiB, 8 * KiB);
	test_ioas_map(fx.ctx, fx.ioas, fx.buf + PG, PG, &iova, RW);
	ASSERT_U64_EQ(iova, 1 * MiB);

	/* The same inside a domain's aperture, filled by reservations. */
	{
		struct pm_iommufd *ctx = ctx_open();
		uint32_t ioas = ioas_new(ctx);

		test_mock_domain(ctx, ioas, NULL, NULL, NULL);
		test_add_reserved(ctx, ioas, AP_START + 4 * KiB,
				  AP_LAST - AP_START + 1 - 4 * KiB);
		test_ioas_map(ctx, ioas, fx.buf, PG, &iova, RW);
		ASSERT_U64_EQ(iova, AP_START);
		test_err_ioas_map(ENOSPC, ctx, ioas, fx.buf, MOCK_PG, &iova,
				  RW);
		pm_iommufd_close(ctx);
	}
	pm_iommufd_close(fx.ctx);
}

/* The typed entry: -errno, and the IOVA written back. */
TEST(typed_pm_ioas_map)
{
	struct map_fx fx = fx_new();
	uint64_t iova = 1 * MiB, un = 0;

	ASSERT_OK(pm_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, &iova, FIXED_RW));
	ASSERT_U64_EQ(iova, 1 * MiB);
	ASSERT_ERR(EEXIST,
		   pm_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, &iova, FIXED_RW));
	ASSERT_ERR(EINVAL, pm_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, &iova,
				       IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_ERR(EOPNOTSUPP,
		   pm_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, &iova, 1U << 7));
	ASSERT_ERR(ENOENT, pm_ioas_map(fx.ctx, 77, fx.buf, PG, &iova, RW));
	iova = 0;
	ASSERT_OK(pm_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, &iova, RW));
	ASSERT_U64_EQ(iova, PG);
	ASSERT_OK(pm_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, NULL, RW));
	ASSERT_OK(pm_ioas_unmap(fx.ctx, fx.ioas, 0, UINT64_MAX, &un));
	ASSERT_U64_EQ(un, 3 * PG);
	pm_iommufd_close(fx.ctx);
}

TEST(map_bad_ioas)
{
	struct map_fx fx = fx_new();
	uint32_t stdev, hwpt, idev;

	test_mock_domain(fx.ctx, fx.ioas, &stdev, &hwpt, &idev);
	/* A HWPT, a device or a stdev is not an IOAS. */
	test_err_map_at(ENOENT, fx.ctx, hwpt, fx.buf, PG, AP_START);
	test_err_map_at(ENOENT, fx.ctx, idev, fx.buf, PG, AP_START);
	test_err_map_at(ENOENT, fx.ctx, stdev, fx.buf, PG, AP_START);
	test_map_at(fx.ctx, fx.ioas, fx.buf, PG, AP_START);
	pm_iommufd_close(fx.ctx);
}

TEST_MAIN()
