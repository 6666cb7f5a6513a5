// SPDX-License-Identifier: MIT
/*
 * IOMMU_OPTION: RLIMIT_MODE (global; setting it needs CAP_SYS_RESOURCE)
 * and HUGE_PAGES (per IOAS; 0 forces PAGE_SIZE IOVA alignment).
 */
#include <linux/capability.h>
#include "utils.h"

static int option_raw(struct pm_iommufd *ctx, struct iommu_option *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl_rc(ctx, IOMMU_OPTION, cmd);
}

TEST(rlimit_mode_get)
{
	struct pm_iommufd *ctx = ctx_open();
	uint64_t v = 77;

	/* A fresh context accounts per user (0), as /dev/iommu does. */
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
	/* The option is global: an object id is refused. */
	test_err_option(EOPNOTSUPP, ctx, IOMMU_OPTION_RLIMIT_MODE,
			IOMMU_OPTION_OP_GET, 1, &v);
	ioas_new(ctx);
	test_err_option(EOPNOTSUPP, ctx, IOMMU_OPTION_RLIMIT_MODE,
			IOMMU_OPTION_OP_GET, 1, &v);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
	pm_iommufd_close(ctx);
}

/* Without CAP_SYS_RESOURCE (this sandbox's root lacks it): EPERM. */
TEST(rlimit_mode_set_needs_cap)
{
	struct pm_iommufd *ctx = ctx_open();

	if (cap_effective(CAP_SYS_RESOURCE))
		SKIP("CAP_SYS_RESOURCE is effective: EPERM cannot be seen");
	test_err_option_set(EPERM, ctx, IOMMU_OPTION_RLIMIT_MODE, 0, 1);
	test_err_option_set(EPERM, ctx, IOMMU_OPTION_RLIMIT_MODE, 0, 0);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
	pm_iommufd_close(ctx);
}

TEST(rlimit_mode_set)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas;

	if (!cap_effective(CAP_SYS_RESOURCE))
		SKIP("CAP_SYS_RESOURCE is not effective (CapEff bit 24)");
	test_option_set(ctx, IOMMU_OPTION_RLIMIT_MODE, 0, 1);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_RLIMIT_MODE, 0), 1);
	test_err_option_set(EINVAL, ctx, IOMMU_OPTION_RLIMIT_MODE, 0, 2);
	test_option_set(ctx, IOMMU_OPTION_RLIMIT_MODE, 0, 0);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_RLIMIT_MODE, 0), 0);
	/* Not once objects exist. */
	ioas = ioas_new(ctx);
	test_err_option_set(EBUSY, ctx, IOMMU_OPTION_RLIMIT_MODE, 0, 1);
	test_destroy(ctx, ioas);
	test_option_set(ctx, IOMMU_OPTION_RLIMIT_MODE, 0, 1);
	pm_iommufd_close(ctx);
}

TEST(huge_pages_get_set)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), other = ioas_new(ctx);

	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_HUGE_PAGES, ioas), 1);
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 0);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_HUGE_PAGES, ioas), 0);
	/* Per IOAS. */
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_HUGE_PAGES, other), 1);
	/* Setting the same value again is fine. */
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 0);
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 1);
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 1);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_HUGE_PAGES, ioas), 1);
	test_err_option_set(EINVAL, ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 2);
	test_err_option_set(EINVAL, ctx, IOMMU_OPTION_HUGE_PAGES, ioas,
			    UINT64_MAX);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_HUGE_PAGES, ioas), 1);
	pm_iommufd_close(ctx);
}

TEST(huge_pages_bad_object)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev, hwpt;
	uint64_t v = 0;

	test_err_option(ENOENT, ctx, IOMMU_OPTION_HUGE_PAGES,
			IOMMU_OPTION_OP_GET, 0, &v);
	test_err_option(ENOENT, ctx, IOMMU_OPTION_HUGE_PAGES,
			IOMMU_OPTION_OP_GET, ioas + 10, &v);
	test_err_option(ENOENT, ctx, IOMMU_OPTION_HUGE_PAGES,
			IOMMU_OPTION_OP_SET, ioas + 10, &v);
	test_mock_domain(ctx, ioas, &stdev, &hwpt, NULL);
	test_err_option(ENOENT, ctx, IOMMU_OPTION_HUGE_PAGES,
			IOMMU_OPTION_OP_GET, hwpt, &v);
	test_err_option(ENOENT, ctx, IOMMU_OPTION_HUGE_PAGES,
			IOMMU_OPTION_OP_GET, stdev, &v);
	pm_iommufd_close(ctx);
}

TEST(option_unknown)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx);
	struct iommu_option cmd = {
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = ioas,
	};

	ASSERT_OK(option_raw(ctx, &cmd));
	ASSERT_U64_EQ(cmd.val64, 1);
	cmd.__reserved = 1;
	ASSERT_ERR(EOPNOTSUPP, option_raw(ctx, &cmd));
	cmd.__reserved = 0;
	cmd.op = 2;
	ASSERT_ERR(EOPNOTSUPP, option_raw(ctx, &cmd));
	cmd.op = 0xffff;
	ASSERT_ERR(EOPNOTSUPP, option_raw(ctx, &cmd));
	cmd.op = IOMMU_OPTION_OP_GET;
	cmd.option_id = 2;
	ASSERT_ERR(EOPNOTSUPP, option_raw(ctx, &cmd));
	cmd.option_id = UINT32_MAX;
	ASSERT_ERR(EOPNOTSUPP, option_raw(ctx, &cmd));
	/* The same for the global option. */
	cmd.option_id = IOMMU_OPTION_RLIMIT_MODE;
	cmd.object_id = 0;
	cmd.op = 2;
	ASSERT_ERR(EOPNOTSUPP, option_raw(ctx, &cmd));
	cmd.op = IOMMU_OPTION_OP_GET;
	cmd.__reserved = 0x8000;
	ASSERT_ERR(EOPNOTSUPP, option_raw(ctx, &cmd));
	/* Only val64 is written back. */
	cmd.__reserved = 0;
	cmd.val64 = 55;
	ASSERT_OK(option_raw(ctx, &cmd));
	ASSERT_U64_EQ(cmd.val64, 0);
	ASSERT_EQ(cmd.option_id, IOMMU_OPTION_RLIMIT_MODE);
	ASSERT_EQ(cmd.op, IOMMU_OPTION_OP_GET);
	pm_iommufd_close(ctx);
}

/* HUGE_PAGES = 0: every IOVA is PAGE_SIZE aligned. */
TEST(huge_pages_alignment)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), hwpt;
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);
	uint64_t iova = 0;

	ASSERT_U64_EQ(iova_alignment(ctx, ioas), 1);
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 0);
	ASSERT_U64_EQ(iova_alignment(ctx, ioas), PG);
	test_err_map_at(EINVAL, ctx, ioas, buf, MOCK_PG, 1 * MiB);
	test_err_map_at(EINVAL, ctx, ioas, buf, PG, 1 * MiB + MOCK_PG);
	test_err_map_at(EINVAL, ctx, ioas, buf + MOCK_PG, PG, 1 * MiB);
	test_map_at(ctx, ioas, buf, PG, 1 * MiB);
	test_ioas_map(ctx, ioas, buf, 3 * PG, &iova, RW);
	ASSERT_U64_EQ(iova % PG, 0);
	/* Back to 1 with no domain. */
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 1);
	ASSERT_U64_EQ(iova_alignment(ctx, ioas), 1);
	test_unmap_all(ctx, ioas, 4 * PG);

	/* With a domain and no map: 4 KiB wins over the 2 KiB IO page. */
	test_mock_domain(ctx, ioas, NULL, &hwpt, NULL);
	ASSERT_U64_EQ(iova_alignment(ctx, ioas), MOCK_PG);
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 0);
	ASSERT_U64_EQ(iova_alignment(ctx, ioas), PG);
	test_err_map_at(EINVAL, ctx, ioas, buf, MOCK_PG, AP_START);
	test_map_at(ctx, ioas, buf, PG, AP_START);
	test_check_map(ctx, hwpt, AP_START, PG, buf);
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 1);
	ASSERT_U64_EQ(iova_alignment(ctx, ioas), MOCK_PG);
	pm_iommufd_close(ctx);
}

/* Not while a domain already holds maps. */
TEST(huge_pages_busy)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev;
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);

	test_map_at(ctx, ioas, buf, 64 * KiB, AP_START);
	/* Maps without a domain are fine. */
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 0);
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 1);
	test_mock_domain(ctx, ioas, &stdev, NULL, NULL);
	test_err_option_set(EINVAL, ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 0);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_HUGE_PAGES, ioas), 1);
	ASSERT_U64_EQ(iova_alignment(ctx, ioas), MOCK_PG);
	/* Enabling is always possible. */
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 1);
	test_unmap_all(ctx, ioas, 64 * KiB);
	test_option_set(ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 0);
	pm_iommufd_close(ctx);
}

/* A map not PAGE_SIZE aligned keeps HUGE_PAGES = 0 from applying. */
TEST(huge_pages_vs_misaligned_map)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx);
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);

	test_map_at(ctx, ioas, buf, MOCK_PG, 1 * MiB);
	test_err_option_set(EADDRINUSE, ctx, IOMMU_OPTION_HUGE_PAGES, ioas, 0);
	ASSERT_U64_EQ(option_get(ctx, IOMMU_OPTION_HUGE_PAGES, ioas), 1);
	ASSERT_U64_EQ(iova_alignment(ctx, ioas), 1);
	pm_iommufd_close(ctx);
}

TEST_MAIN()
