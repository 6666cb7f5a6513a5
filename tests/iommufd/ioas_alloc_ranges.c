// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_ALLOC, IOMMU_IOAS_IOVA_RANGES and IOMMU_IOAS_ALLOW_IOVAS:
 * what an IO address space offers (the holes of its reserved ranges, and
 * the alignment) and where automatic allocation may place maps.
 */
#include "utils.h"

TEST(alloc_flags)
{
	struct pm_iommufd *ctx = ctx_open();
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd), .flags = 1 };
	uint32_t bit;

	for (bit = 0; bit < 32; bit++) {
		cmd.flags = 1U << bit;
		ASSERT_ERRNO(EOPNOTSUPP,
			     pm_iommufd_ioctl(ctx, IOMMU_IOAS_ALLOC, &cmd));
	}
	cmd.flags = 0;
	ASSERT_EQ(pm_iommufd_ioctl(ctx, IOMMU_IOAS_ALLOC, &cmd), 0);
	ASSERT_EQ(cmd.out_ioas_id, 1);
	ASSERT_EQ(pm_ioas_alloc(ctx, &bit), 0);
	ASSERT_EQ(bit, 2);
	pm_iommufd_close(ctx);
}

TEST(ranges_fresh)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx);

	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	pm_iommufd_close(ctx);
}

TEST(ranges_bad_args)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev, n;
	struct iommu_iova_range r[2];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 2,
		.__reserved = 1,
		.allowed_iovas = (uintptr_t)r,
	};

	ASSERT_ERRNO(EOPNOTSUPP,
		     pm_iommufd_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &cmd));
	n = 2;
	test_err_iova_ranges(ENOENT, ctx, ioas + 1, r, &n, NULL);
	test_err_iova_ranges(ENOENT, ctx, 0, r, &n, NULL);
	/* Not an IOAS. */
	test_mock_domain(ctx, ioas, &stdev, NULL, NULL);
	test_err_iova_ranges(ENOENT, ctx, stdev, r, &n, NULL);
	pm_iommufd_close(ctx);
}

/* Too small an array: EMSGSIZE, with the count and alignment filled in. */
TEST(ranges_emsgsize)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), n;
	struct iommu_iova_range r[4];
	uint64_t align = 0;

	memset(r, 0xcc, sizeof(r));
	n = 0;
	test_err_iova_ranges(EMSGSIZE, ctx, ioas, r, &n, &align);
	ASSERT_EQ(n, 1);
	ASSERT_U64_EQ(align, 1);
	ASSERT_U64_EQ(r[0].start, 0xccccccccccccccccULL);

	/* Three holes, room for two: the first two are written. */
	test_add_reserved(ctx, ioas, 4 * KiB, 4 * KiB);
	test_add_reserved(ctx, ioas, 1 * MiB, 1 * MiB);
	n = 2;
	test_err_iova_ranges(EMSGSIZE, ctx, ioas, r, &n, &align);
	ASSERT_EQ(n, 3);
	ASSERT_U64_EQ(r[0].start, 0);
	ASSERT_U64_EQ(r[0].last, 4 * KiB - 1);
	ASSERT_U64_EQ(r[1].start, 8 * KiB);
	ASSERT_U64_EQ(r[1].last, 1 * MiB - 1);
	ASSERT_U64_EQ(r[2].start, 0xccccccccccccccccULL);
	/* Exactly enough, and more than enough. */
	n = 3;
	test_iova_ranges(ctx, ioas, r, &n, &align);
	ASSERT_EQ(n, 3);
	ASSERT_U64_EQ(r[2].start, 2 * MiB);
	ASSERT_U64_EQ(r[2].last, UINT64_MAX);
	n = 4;
	r[3].start = 0x1234;
	test_iova_ranges(ctx, ioas, r, &n, &align);
	ASSERT_EQ(n, 3);
	ASSERT_U64_EQ(r[3].start, 0x1234);
	pm_iommufd_close(ctx);
}

TEST(ranges_reserved_holes)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), n;
	struct iommu_iova_range r[8];

	/* Reserved at both ends and touching ranges merge into one hole edge. */
	test_add_reserved(ctx, ioas, 0, 64 * KiB);
	test_add_reserved(ctx, ioas, 1 * MiB, 64 * KiB);
	test_add_reserved(ctx, ioas, 1 * MiB + 64 * KiB, 64 * KiB);
	test_add_reserved(ctx, ioas, UINT64_MAX - 4 * KiB + 1, 4 * KiB);
	n = ARRAY_LEN(r);
	test_iova_ranges(ctx, ioas, r, &n, NULL);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(r[0].start, 64 * KiB);
	ASSERT_U64_EQ(r[0].last, 1 * MiB - 1);
	ASSERT_U64_EQ(r[1].start, 1 * MiB + 128 * KiB);
	ASSERT_U64_EQ(r[1].last, UINT64_MAX - 4 * KiB);
	/* Overlapping reservations are allowed (owners differ in Linux). */
	test_add_reserved(ctx, ioas, 1 * MiB + 32 * KiB, 64 * KiB);
	n = ARRAY_LEN(r);
	test_iova_ranges(ctx, ioas, r, &n, NULL);
	ASSERT_EQ(n, 2);
	/* Reserved IOVA cannot be mapped, fixed or automatic. */
	{
		uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);
		uint64_t iova = 0;

		test_err_map_at(EINVAL, ctx, ioas, buf, 4 * KiB, 1 * MiB);
		test_err_map_at(EINVAL, ctx, ioas, buf, 8 * KiB,
				1 * MiB - 4 * KiB);
		test_ioas_map(ctx, ioas, buf, 64 * KiB, &iova, RW);
		ASSERT_U64_EQ(iova, 64 * KiB);
		/* A reservation over a map is refused. */
		test_err_add_reserved(EADDRINUSE, ctx, ioas, 96 * KiB, 4 * KiB);
	}
	pm_iommufd_close(ctx);
}

/* A mock domain: its aperture and IO page size show. */
TEST(ranges_mock_domain)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev, stdev2, n;
	struct iommu_iova_range r[4];
	uint64_t align;

	test_mock_domain(ctx, ioas, &stdev, NULL, NULL);
	ASSERT_ONE_RANGE(ctx, ioas, AP_START, AP_LAST, MOCK_PG);
	ASSERT_U64_EQ(AP_START, 16 * MiB);
	ASSERT_U64_EQ(AP_LAST, 2 * GiB - 1);
	/* A second device changes nothing; reservations cut the window. */
	test_mock_domain(ctx, ioas, &stdev2, NULL, NULL);
	test_add_reserved(ctx, ioas, AP_START + 1 * MiB, 1 * MiB);
	n = ARRAY_LEN(r);
	test_iova_ranges(ctx, ioas, r, &n, &align);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(r[0].start, AP_START);
	ASSERT_U64_EQ(r[0].last, AP_START + 1 * MiB - 1);
	ASSERT_U64_EQ(r[1].start, AP_START + 2 * MiB);
	ASSERT_U64_EQ(r[1].last, AP_LAST);
	ASSERT_U64_EQ(align, MOCK_PG);
	/* The aperture goes with the last domain, reservations stay. */
	test_destroy(ctx, stdev);
	n = ARRAY_LEN(r);
	test_iova_ranges(ctx, ioas, r, &n, &align);
	ASSERT_EQ(n, 2);
	test_destroy(ctx, stdev2);
	n = ARRAY_LEN(r);
	test_iova_ranges(ctx, ioas, r, &n, &align);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(r[0].start, 0);
	ASSERT_U64_EQ(r[0].last, AP_START + 1 * MiB - 1);
	ASSERT_U64_EQ(r[1].start, AP_START + 2 * MiB);
	ASSERT_U64_EQ(r[1].last, UINT64_MAX);
	ASSERT_U64_EQ(align, 1);
	pm_iommufd_close(ctx);
}

/* ------------------------------------------------------------------ */
/* ALLOW_IOVAS                                                         */

TEST(allow_iovas_bad_args)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx);
	struct iommu_iova_range r[3] = {
		{ 1 * MiB, 2 * MiB - 1 },
		{ 4 * MiB, 5 * MiB - 1 },
	};
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 1,
		.__reserved = 1,
		.allowed_iovas = (uintptr_t)r,
	};

	ASSERT_ERRNO(EOPNOTSUPP,
		     pm_iommufd_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	test_err_allow_iovas(ENOENT, ctx, ioas + 1, r, 1);
	test_err_allow_iovas(ENOENT, ctx, 0, r, 1);
	/* A range must span two bytes at least: start == last is refused. */
	r[0].start = r[0].last = 1 * MiB;
	test_err_allow_iovas(EINVAL, ctx, ioas, r, 1);
	r[0].start = 2 * MiB;
	r[0].last = 1 * MiB;
	test_err_allow_iovas(EINVAL, ctx, ioas, r, 1);
	r[0].start = 1 * MiB;
	r[0].last = 1 * MiB + 1;
	test_allow_iovas(ctx, ioas, r, 1);
	/* Ranges of one list may not overlap, nor even share a byte. */
	r[0].start = 1 * MiB;
	r[0].last = 2 * MiB - 1;
	r[1].start = 2 * MiB - 1;
	r[1].last = 3 * MiB;
	test_err_allow_iovas(EINVAL, ctx, ioas, r, 2);
	r[1].start = 0;
	r[1].last = UINT64_MAX;
	test_err_allow_iovas(EINVAL, ctx, ioas, r, 2);
	r[1].start = 2 * MiB; /* adjacent is fine */
	test_allow_iovas(ctx, ioas, r, 2);
	/* The whole space, in one range. */
	r[0].start = 0;
	r[0].last = UINT64_MAX;
	test_allow_iovas(ctx, ioas, r, 1);
	pm_iommufd_close(ctx);
}

TEST(allow_iovas_vs_reserved)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx);
	uint8_t *buf = buf_alloc(16 * KiB, 16 * KiB);
	struct iommu_iova_range r[2] = {
		{ 8 * MiB, 9 * MiB - 1 },
		{ 1 * MiB, 2 * MiB - 1 },
	};
	uint64_t iova = 0;

	test_allow_iovas(ctx, ioas, r, 1);
	/* Reserving inside an allowed range is refused. */
	test_err_add_reserved(EADDRINUSE, ctx, ioas, 8 * MiB + 4 * KiB, PG);
	test_add_reserved(ctx, ioas, 1 * MiB, 4 * KiB);
	/* Allowing over a reservation is refused; the old list stays. */
	test_err_allow_iovas(EADDRINUSE, ctx, ioas, r, 2);
	test_ioas_map(ctx, ioas, buf, 16 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 8 * MiB);
	/* The allowed list does not narrow IOVA_RANGES. */
	{
		struct iommu_iova_range out[4];
		uint32_t n = ARRAY_LEN(out);

		test_iova_ranges(ctx, ioas, out, &n, NULL);
		ASSERT_EQ(n, 2);
		ASSERT_U64_EQ(out[0].start, 0);
		ASSERT_U64_EQ(out[1].last, UINT64_MAX);
	}
	pm_iommufd_close(ctx);
}

/* Allowed ranges steer automatic allocation only. */
TEST(allow_iovas_restricts_automatic_only)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx);
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);
	struct iommu_iova_range r[2] = {
		{ 3 * MiB, 3 * MiB + 8 * KiB - 1 },
		{ 1 * MiB, 1 * MiB + 64 * KiB - 1 },
	};
	uint64_t iova = 0;

	test_allow_iovas(ctx, ioas, r, 2);
	/* Lowest allowed range first, first fit inside it. */
	test_ioas_map(ctx, ioas, buf, 4 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 1 * MiB);
	test_ioas_map(ctx, ioas, buf + 4 * KiB, 4 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 1 * MiB + 4 * KiB);
	/* Alignment still applies inside the window. */
	test_ioas_map(ctx, ioas, buf, 32 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 1 * MiB + 32 * KiB);
	test_ioas_map(ctx, ioas, buf, 16 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 1 * MiB + 16 * KiB);
	test_ioas_map(ctx, ioas, buf, 8 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 1 * MiB + 8 * KiB);
	/* The first range is full, the second too small for 16 KiB... */
	test_err_ioas_map(ENOSPC, ctx, ioas, buf, 16 * KiB, &iova, RW);
	/* ...but not for 8 KiB; then it is full as well. */
	test_ioas_map(ctx, ioas, buf, 8 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 3 * MiB);
	test_err_ioas_map(ENOSPC, ctx, ioas, buf, 4 * KiB, &iova, RW);
	/* Fixed maps go anywhere that is not reserved. */
	test_map_at(ctx, ioas, buf, 4 * KiB, 16 * MiB);
	test_map_at(ctx, ioas, buf, 4 * KiB, 0);
	/* An empty list lifts the restriction. */
	test_allow_iovas(ctx, ioas, NULL, 0);
	test_ioas_map(ctx, ioas, buf, 4 * KiB, &iova, RW);
	ASSERT_U64_EQ(iova, 4 * KiB);
	pm_iommufd_close(ctx);
}

/* An allowed range outside a domain's aperture keeps the domain out. */
TEST(allow_iovas_vs_domain)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx);
	struct iommu_iova_range r[1] = { { 1 * MiB, 2 * MiB - 1 } };

	test_allow_iovas(ctx, ioas, r, 1);
	test_err_mock_domain(EADDRINUSE, ctx, ioas, NULL, NULL, NULL);
	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	r[0].start = AP_START;
	r[0].last = AP_START + 1 * MiB - 1;
	test_allow_iovas(ctx, ioas, r, 1);
	test_mock_domain(ctx, ioas, NULL, NULL, NULL);
	/* Now the aperture's complement is reserved. */
	r[0].start = 1 * MiB;
	r[0].last = 2 * MiB - 1;
	test_err_allow_iovas(EADDRINUSE, ctx, ioas, r, 1);
	pm_iommufd_close(ctx);
}

TEST_MAIN()
