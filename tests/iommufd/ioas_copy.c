// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_COPY: the destination maps the source's pages themselves (one
 * pin however many IOASes), sub-ranges of contiguous areas, and the errors.
 */
#include "utils.h"

struct copy_fx {
	struct pm_iommufd *ctx;
	uint32_t src, dst, src_hwpt, dst_hwpt;
	uint8_t *buf;
};

#define SRC (AP_START + 1 * MiB)
#define DST (AP_START + 8 * MiB)

/* Two IOASes, each with its mock domain; 64 KiB of pattern 1. */
static struct copy_fx fx_new(void)
{
	struct copy_fx fx;

	fx.ctx = ctx_open();
	fx.src = ioas_new(fx.ctx);
	fx.dst = ioas_new(fx.ctx);
	test_mock_domain(fx.ctx, fx.src, NULL, &fx.src_hwpt, NULL);
	test_mock_domain(fx.ctx, fx.dst, NULL, &fx.dst_hwpt, NULL);
	fx.buf = buf_alloc(64 * KiB, 64 * KiB);
	pat_fill(fx.buf, 64 * KiB, 1);
	return fx;
}

TEST(copy_shares_pages)
{
	struct copy_fx fx = fx_new();
	uint64_t iova = DST;
	uint8_t data[64 * KiB];
	int afd;

	test_map_at(fx.ctx, fx.src, fx.buf, 64 * KiB, SRC);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	test_ioas_copy(fx.ctx, fx.dst, fx.src, SRC, 64 * KiB, &iova, FIXED_RW);
	ASSERT_U64_EQ(iova, DST);
	/* Translated in the destination's domain, still one pin. */
	test_check_map(fx.ctx, fx.dst_hwpt, DST, 64 * KiB, fx.buf);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	/* The source can go; the destination keeps the pages. */
	test_unmap_exact(fx.ctx, fx.src, SRC, 64 * KiB);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	afd = access_new(fx.ctx, fx.dst, 0);
	test_access_rw(fx.ctx, afd, DST, data, sizeof(data), 0);
	ASSERT_PAT(data, sizeof(data), 1);
	/* Writes through the copy land in the caller's memory. */
	pat_fill(data, PG, 9);
	test_access_rw(fx.ctx, afd, DST + PG, data, PG, MOCK_ACCESS_RW_WRITE);
	ASSERT_PAT(fx.buf + PG, PG, 9);
	test_unmap_exact(fx.ctx, fx.dst, DST, 64 * KiB);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 0);
	pm_iommufd_close(fx.ctx);
}

/* Copying into an IOAS without a domain, and into the same IOAS. */
TEST(copy_lazy_and_same_ioas)
{
	struct copy_fx fx = fx_new();
	uint32_t plain = ioas_new(fx.ctx), hwpt;
	uint64_t iova = 0;

	test_map_at(fx.ctx, fx.src, fx.buf, 64 * KiB, SRC);
	test_ioas_copy(fx.ctx, plain, fx.src, SRC, 64 * KiB, &iova, RW);
	ASSERT_NE(iova, 0);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	/* The same IOAS, automatic IOVA: another area, the same pin. */
	test_ioas_copy(fx.ctx, fx.src, fx.src, SRC, 64 * KiB, &iova, RW);
	ASSERT_GE(iova, AP_START);
	ASSERT_NE(iova, SRC);
	test_check_map(fx.ctx, fx.src_hwpt, iova, 64 * KiB, fx.buf);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	/* A domain on the plain IOAS later translates its copy too. */
	test_unmap_all(fx.ctx, plain, 64 * KiB);
	iova = DST;
	test_ioas_copy(fx.ctx, plain, fx.src, SRC, 64 * KiB, &iova, FIXED_RW);
	test_mock_domain(fx.ctx, plain, NULL, &hwpt, NULL);
	test_check_map(fx.ctx, hwpt, DST, 64 * KiB, fx.buf);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	pm_iommufd_close(fx.ctx);
}

TEST(copy_sub_range)
{
	struct copy_fx fx = fx_new();
	uint8_t *buf2 = buf_alloc(16 * KiB, 16 * KiB);
	uint64_t iova = DST;

	test_map_at(fx.ctx, fx.src, fx.buf, 16 * KiB, SRC);
	/* Any sub-range of an area, down to an IO page. */
	test_ioas_copy(fx.ctx, fx.dst, fx.src, SRC + 4 * KiB, 8 * KiB, &iova,
		       FIXED_RW);
	test_check_map(fx.ctx, fx.dst_hwpt, DST, 8 * KiB, fx.buf + 4 * KiB);
	iova = DST + 1 * MiB;
	test_ioas_copy(fx.ctx, fx.dst, fx.src, SRC + MOCK_PG, MOCK_PG, &iova,
		       FIXED_RW);
	test_check_map(fx.ctx, fx.dst_hwpt, DST + 1 * MiB, MOCK_PG,
		       fx.buf + MOCK_PG);
	/* Across two contiguous areas of different memory. */
	test_map_at(fx.ctx, fx.src, buf2, 16 * KiB, SRC + 16 * KiB);
	iova = DST + 2 * MiB;
	test_ioas_copy(fx.ctx, fx.dst, fx.src, SRC + 8 * KiB, 16 * KiB, &iova,
		       FIXED_RW);
	test_check_map(fx.ctx, fx.dst_hwpt, DST + 2 * MiB, 8 * KiB,
		       fx.buf + 8 * KiB);
	test_check_map(fx.ctx, fx.dst_hwpt, DST + 2 * MiB + 8 * KiB, 8 * KiB,
		       buf2);
	test_check_refs(fx.ctx, fx.buf, 16 * KiB, 1);
	test_check_refs(fx.ctx, buf2, 16 * KiB, 1);
	/* Each source area became an area of its own. */
	test_err_ioas_unmap(ENOENT, fx.ctx, fx.dst, DST + 2 * MiB, 4 * KiB,
			    NULL);
	test_unmap_exact(fx.ctx, fx.dst, DST + 2 * MiB, 16 * KiB);
	test_unmap_all(fx.ctx, fx.dst, 8 * KiB + MOCK_PG);
	pm_iommufd_close(fx.ctx);
}

TEST(copy_gaps_enoent)
{
	struct copy_fx fx = fx_new();
	uint64_t iova = DST;

	test_err_ioas_copy(ENOENT, fx.ctx, fx.dst, fx.src, SRC, PG, &iova,
			   FIXED_RW);
	test_map_at(fx.ctx, fx.src, fx.buf, 4 * KiB, SRC);
	test_map_at(fx.ctx, fx.src, fx.buf, 4 * KiB, SRC + 8 * KiB);
	/* A hole in the middle, at the start, at the end. */
	test_err_ioas_copy(ENOENT, fx.ctx, fx.dst, fx.src, SRC, 12 * KiB,
			   &iova, FIXED_RW);
	test_err_ioas_copy(ENOENT, fx.ctx, fx.dst, fx.src, SRC - 4 * KiB,
			   8 * KiB, &iova, FIXED_RW);
	test_err_ioas_copy(ENOENT, fx.ctx, fx.dst, fx.src, SRC + 8 * KiB,
			   8 * KiB, &iova, FIXED_RW);
	/* Nothing was mapped in the destination. */
	test_unmap_all(fx.ctx, fx.dst, 0);
	pm_iommufd_close(fx.ctx);
}

/* A writeable copy of read-only pages is refused. */
TEST(copy_readonly_eperm)
{
	struct copy_fx fx = fx_new();
	uint64_t iova = SRC;

	test_ioas_map(fx.ctx, fx.src, fx.buf, 16 * KiB, &iova,
		      IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	iova = DST;
	test_err_ioas_copy(EPERM, fx.ctx, fx.dst, fx.src, SRC, 16 * KiB, &iova,
			   FIXED_RW);
	test_err_ioas_copy(EPERM, fx.ctx, fx.dst, fx.src, SRC, 16 * KiB, &iova,
			   IOMMU_IOAS_MAP_WRITEABLE);
	test_ioas_copy(fx.ctx, fx.dst, fx.src, SRC, 16 * KiB, &iova,
		       IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	test_check_map(fx.ctx, fx.dst_hwpt, DST, 16 * KiB, fx.buf);
	/* A writeable source may be copied read-only. */
	iova = SRC + 1 * MiB;
	test_ioas_map(fx.ctx, fx.src, fx.buf, 16 * KiB, &iova, FIXED_RW);
	iova = DST + 1 * MiB;
	test_ioas_copy(fx.ctx, fx.dst, fx.src, SRC + 1 * MiB, 16 * KiB, &iova,
		       IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	/* And then writes through the read-only copy are refused. */
	{
		int afd = access_new(fx.ctx, fx.dst, 0);
		uint8_t b[16] = { 0 };

		test_err_access_rw(EPERM, fx.ctx, afd, DST + 1 * MiB, b,
				   sizeof(b), MOCK_ACCESS_RW_WRITE);
		test_access_rw(fx.ctx, afd, DST + 1 * MiB, b, sizeof(b), 0);
		ASSERT_PAT(b, sizeof(b), 1);
	}
	pm_iommufd_close(fx.ctx);
}

TEST(copy_bad_args)
{
	struct copy_fx fx = fx_new();
	uint64_t iova = DST;

	test_map_at(fx.ctx, fx.src, fx.buf, 16 * KiB, SRC);
	test_err_ioas_copy(EOPNOTSUPP, fx.ctx, fx.dst, fx.src, SRC, PG, &iova,
			   FIXED_RW | 1U << 4);
	test_err_ioas_copy(EINVAL, fx.ctx, fx.dst, fx.src, SRC, PG, &iova,
			   IOMMU_IOAS_MAP_FIXED_IOVA);
	test_err_ioas_copy(EINVAL, fx.ctx, fx.dst, fx.src, SRC, 0, &iova,
			   FIXED_RW);
	test_err_ioas_copy(EOVERFLOW, fx.ctx, fx.dst, fx.src, UINT64_MAX, PG,
			   &iova, FIXED_RW);
	test_err_ioas_copy(EOVERFLOW, fx.ctx, fx.dst, fx.src, SRC, UINT64_MAX,
			   &iova, FIXED_RW);
	test_err_ioas_copy(EOVERFLOW, fx.ctx, fx.dst, fx.src, UINT64_MAX - 1,
			   2 * PG, &iova, FIXED_RW);
	iova = UINT64_MAX;
	test_err_ioas_copy(EOVERFLOW, fx.ctx, fx.dst, fx.src, SRC, PG, &iova,
			   FIXED_RW);
	iova = DST;
	test_err_ioas_copy(ENOENT, fx.ctx, fx.dst, 99, SRC, PG, &iova,
			   FIXED_RW);
	test_err_ioas_copy(ENOENT, fx.ctx, 99, fx.src, SRC, PG, &iova,
			   FIXED_RW);
	test_err_ioas_copy(ENOENT, fx.ctx, fx.dst_hwpt, fx.src, SRC, PG,
			   &iova, FIXED_RW);
	/* The destination's rules: reserved, occupied, aligned. */
	iova = 0;
	test_err_ioas_copy(EINVAL, fx.ctx, fx.dst, fx.src, SRC, PG, &iova,
			   FIXED_RW);
	iova = DST + 1024;
	test_err_ioas_copy(EINVAL, fx.ctx, fx.dst, fx.src, SRC, PG, &iova,
			   FIXED_RW);
	iova = DST;
	test_ioas_copy(fx.ctx, fx.dst, fx.src, SRC, PG, &iova, FIXED_RW);
	test_err_ioas_copy(EEXIST, fx.ctx, fx.dst, fx.src, SRC, PG, &iova,
			   FIXED_RW);
	test_unmap_all(fx.ctx, fx.dst, PG);
	pm_iommufd_close(fx.ctx);
}

TEST(typed_pm_ioas_copy)
{
	struct copy_fx fx = fx_new();
	uint64_t iova = DST;

	test_map_at(fx.ctx, fx.src, fx.buf, 16 * KiB, SRC);
	ASSERT_OK(pm_ioas_copy(fx.ctx, fx.dst, fx.src, SRC, 16 * KiB, &iova,
			       FIXED_RW));
	ASSERT_U64_EQ(iova, DST);
	ASSERT_ERR(EEXIST, pm_ioas_copy(fx.ctx, fx.dst, fx.src, SRC, 16 * KiB,
					&iova, FIXED_RW));
	iova = 0;
	ASSERT_OK(pm_ioas_copy(fx.ctx, fx.dst, fx.src, SRC, 16 * KiB, &iova,
			       RW));
	ASSERT_NE(iova, DST);
	test_check_map(fx.ctx, fx.dst_hwpt, iova, 16 * KiB, fx.buf);
	pm_iommufd_close(fx.ctx);
}

TEST_MAIN()
