// SPDX-License-Identifier: MIT
/*
 * Mock domains (IOMMU_TEST_OP_MOCK_DOMAIN and friends) and HWPTs: ids,
 * translations before and after attach, the aperture, replace, several
 * domains on one IOAS, lazy pinning, and destroy rules.
 */
#include "utils.h"

#define AT (AP_START + 1 * MiB)

TEST(mock_domain_ids)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev, hwpt, idev, stdev2, hwpt2, idev2;
	struct iommu_hw_info info = { .size = sizeof(info) };
	struct iommu_test_hw_info data;

	test_mock_domain(ctx, ioas, &stdev, &hwpt, &idev);
	ASSERT_NE(stdev, 0);
	ASSERT_NE(hwpt, 0);
	ASSERT_NE(idev, 0);
	ASSERT_TRUE(stdev != hwpt && hwpt != idev && idev != stdev);
	ASSERT_TRUE(stdev != ioas && hwpt != ioas && idev != ioas);
	/* The device answers GET_HW_INFO as the selftest device. */
	memset(&data, 0xff, sizeof(data));
	info.dev_id = idev;
	info.data_len = sizeof(data);
	info.data_uptr = (uintptr_t)&data;
	ASSERT_EQ(pm_iommufd_ioctl(ctx, IOMMU_GET_HW_INFO, &info), 0);
	ASSERT_EQ(info.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	ASSERT_EQ(info.data_len, sizeof(data));
	ASSERT_EQ(data.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	info.dev_id = hwpt;
	ASSERT_ERRNO(ENOENT, pm_iommufd_ioctl(ctx, IOMMU_GET_HW_INFO, &info));
	/* A second device on the IOAS shares the automatic HWPT. */
	test_mock_domain(ctx, ioas, &stdev2, &hwpt2, &idev2);
	ASSERT_EQ(hwpt2, hwpt);
	ASSERT_NE(stdev2, stdev);
	ASSERT_NE(idev2, idev);
	/* On an IOAS that does not exist, or on no IOAS. */
	test_err_mock_domain(ENOENT, ctx, 99, NULL, NULL, NULL);
	test_err_mock_domain(EINVAL, ctx, stdev, NULL, NULL, NULL);
	/* A failed creation leaves no ids behind. */
	ASSERT_EQ(ioas_new(ctx), idev2 + 1);
	pm_iommufd_close(ctx);
}

/* Translations appear whether the map or the domain came first. */
TEST(check_map_before_and_after_attach)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), hwpt;
	uint8_t *buf = buf_alloc(256 * KiB, 256 * KiB);
	uint8_t *other = buf_alloc(16 * KiB, 16 * KiB);

	test_map_at(ctx, ioas, buf, 128 * KiB, AT);
	test_check_refs(ctx, buf, 128 * KiB, 0); /* lazy */
	test_mock_domain(ctx, ioas, NULL, &hwpt, NULL);
	test_check_map(ctx, hwpt, AT, 128 * KiB, buf);
	test_check_refs(ctx, buf, 128 * KiB, 1);
	test_map_at(ctx, ioas, buf + 128 * KiB, 128 * KiB, AT + 1 * MiB);
	test_check_map(ctx, hwpt, AT + 1 * MiB, 128 * KiB, buf + 128 * KiB);
	test_check_refs(ctx, buf, 256 * KiB, 1);
	/* A wrong address, an unmapped IOVA, a misaligned argument. */
	test_err_check_map(EINVAL, ctx, hwpt, AT, 16 * KiB, other);
	test_err_check_map(EINVAL, ctx, hwpt, AT + 128 * KiB, MOCK_PG,
			   buf + 128 * KiB);
	test_err_check_map(EINVAL, ctx, hwpt, AT + 1024, MOCK_PG, buf + 1024);
	/* Not a HWPT. */
	test_err_check_map(ENOENT, ctx, ioas, AT, MOCK_PG, buf);
	test_err_check_map(ENOENT, ctx, 99, AT, MOCK_PG, buf);
	pm_iommufd_close(ctx);
}

TEST(attach_outside_aperture)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), hwpt;
	uint8_t *buf = buf_alloc(16 * KiB, 16 * KiB);

	test_map_at(ctx, ioas, buf, PG, AP_START - PG);
	test_err_mock_domain(EADDRINUSE, ctx, ioas, NULL, NULL, NULL);
	test_unmap_all(ctx, ioas, PG);
	test_map_at(ctx, ioas, buf, PG, AP_LAST + 1);
	test_err_mock_domain(EADDRINUSE, ctx, ioas, NULL, NULL, NULL);
	/* Nothing changed: the full range, alignment 1, the map intact. */
	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	test_check_refs(ctx, buf, PG, 0);
	test_unmap_all(ctx, ioas, PG);
	/* Inside the aperture, but not on a 2 KiB boundary. */
	test_map_at(ctx, ioas, buf, PG, AT + 1);
	test_err_mock_domain(EADDRINUSE, ctx, ioas, NULL, NULL, NULL);
	test_unmap_all(ctx, ioas, PG);
	test_map_at(ctx, ioas, buf, MOCK_PG + 1, AT);
	test_err_mock_domain(EADDRINUSE, ctx, ioas, NULL, NULL, NULL);
	test_unmap_all(ctx, ioas, MOCK_PG + 1);
	/* At the aperture's edges it goes. */
	test_map_at(ctx, ioas, buf, PG, AP_START);
	test_map_at(ctx, ioas, buf, PG, AP_LAST - PG + 1);
	test_mock_domain(ctx, ioas, NULL, &hwpt, NULL);
	test_check_map(ctx, hwpt, AP_START, PG, buf);
	test_check_map(ctx, hwpt, AP_LAST - PG + 1, PG, buf);
	pm_iommufd_close(ctx);
}

TEST(destroy_rules)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev, hwpt, idev;
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);

	test_mock_domain(ctx, ioas, &stdev, &hwpt, &idev);
	test_map_at(ctx, ioas, buf, 64 * KiB, AT);
	test_err_destroy(EBUSY, ctx, ioas);
	test_err_destroy(EBUSY, ctx, hwpt);
	test_err_destroy(EBUSY, ctx, idev);
	test_check_map(ctx, hwpt, AT, 64 * KiB, buf);
	/* The stdev detaches: the domain, its aperture and pins go. */
	test_destroy(ctx, stdev);
	test_err_destroy(ENOENT, ctx, stdev);
	test_err_check_map(ENOENT, ctx, hwpt, AT, MOCK_PG, buf);
	test_check_refs(ctx, buf, 64 * KiB, 0);
	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	/* The map stays, unpinned; the IOAS is free to go. */
	test_map_at(ctx, ioas, buf, PG, 0);
	test_err_map_at(EEXIST, ctx, ioas, buf, PG, AT);
	test_destroy(ctx, ioas);
	pm_iommufd_close(ctx);
}

TEST(user_hwpt)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), ioas2 = ioas_new(ctx), stdev, hwpt,
		 idev, user, user2, out;
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);

	test_mock_domain(ctx, ioas, &stdev, &hwpt, &idev);
	test_map_at(ctx, ioas2, buf, 64 * KiB, AT);
	/* A user HWPT on another IOAS is filled with its maps. */
	test_hwpt_alloc(ctx, idev, ioas2, 0, &user);
	test_check_map(ctx, user, AT, 64 * KiB, buf);
	ASSERT_ONE_RANGE(ctx, ioas2, AP_START, AP_LAST, MOCK_PG);
	/* NEST_PARENT is accepted; the other flags are not supported. */
	test_hwpt_alloc(ctx, idev, ioas2, IOMMU_HWPT_ALLOC_NEST_PARENT, &user2);
	test_check_map(ctx, user2, AT, 64 * KiB, buf);
	test_err_hwpt_alloc(EOPNOTSUPP, ctx, idev, ioas2,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL);
	test_err_hwpt_alloc(EOPNOTSUPP, ctx, idev, ioas2, 1U << 20, NULL);
	/* Bad device, bad page table. */
	test_err_hwpt_alloc(ENOENT, ctx, ioas, ioas2, 0, NULL);
	test_err_hwpt_alloc(ENOENT, ctx, 99, ioas2, 0, NULL);
	test_err_hwpt_alloc(EINVAL, ctx, idev, 99, 0, NULL);
	test_err_hwpt_alloc(EINVAL, ctx, idev, stdev, 0, NULL);
	/* A HWPT as pt_id asks for nesting, which no mock driver offers. */
	test_err_hwpt_alloc(EOPNOTSUPP, ctx, idev, user, 0, NULL);
	/* Its own IOAS cannot be destroyed under it; it can be. */
	test_err_destroy(EBUSY, ctx, ioas2);
	test_destroy(ctx, user2);
	/* The device moves onto the user HWPT; the automatic one goes. */
	test_mock_domain_replace(ctx, stdev, user, &out);
	ASSERT_EQ(out, user);
	test_err_destroy(ENOENT, ctx, hwpt);
	test_err_destroy(EBUSY, ctx, user);
	/* Off it again: the user HWPT stays until destroyed. */
	test_mock_domain_replace(ctx, stdev, ioas, &out);
	ASSERT_NE(out, user);
	test_check_map(ctx, user, AT, 64 * KiB, buf);
	test_destroy(ctx, user);
	test_err_check_map(ENOENT, ctx, user, AT, MOCK_PG, buf);
	test_check_refs(ctx, buf, 64 * KiB, 0);
	pm_iommufd_close(ctx);
}

TEST(replace_device)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t a = ioas_new(ctx), b = ioas_new(ctx), c = ioas_new(ctx);
	uint32_t stdev, ha, hb, out;
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);

	test_mock_domain(ctx, a, &stdev, &ha, NULL);
	test_map_at(ctx, b, buf, 64 * KiB, AT);
	test_mock_domain_replace(ctx, stdev, b, &hb);
	ASSERT_NE(hb, ha);
	test_check_map(ctx, hb, AT, 64 * KiB, buf);
	test_check_refs(ctx, buf, 64 * KiB, 1);
	/* A lost its last device: its automatic HWPT went, A is free. */
	test_err_check_map(ENOENT, ctx, ha, AT, MOCK_PG, buf);
	ASSERT_ONE_RANGE(ctx, a, 0, UINT64_MAX, 1);
	/* Replacing onto the same place is a no-op. */
	test_mock_domain_replace(ctx, stdev, hb, &out);
	ASSERT_EQ(out, hb);
	test_mock_domain_replace(ctx, stdev, b, &out);
	ASSERT_EQ(out, hb);
	/* Failures keep the old attachment. */
	test_err_mock_domain_replace(ENOENT, ctx, stdev, 99, NULL);
	test_map_at(ctx, c, buf, PG, 0);
	test_err_mock_domain_replace(EADDRINUSE, ctx, stdev, c, NULL);
	test_err_mock_domain_replace(ENOENT, ctx, 99, a, NULL);
	test_err_mock_domain_replace(ENOENT, ctx, hb, a, NULL);
	test_check_map(ctx, hb, AT, 64 * KiB, buf);
	ASSERT_ONE_RANGE(ctx, c, 0, UINT64_MAX, 1);
	/* Back to A: B is unpinned and free. */
	test_mock_domain_replace(ctx, stdev, a, &out);
	test_check_refs(ctx, buf, 64 * KiB, 0);
	test_err_check_map(ENOENT, ctx, hb, AT, MOCK_PG, buf);
	test_destroy(ctx, b);
	test_err_destroy(EBUSY, ctx, a);
	pm_iommufd_close(ctx);
}

/* Two domains on one IOAS see every map; either may go first. */
TEST(two_domains)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), s1, s2, h1, h2, idev, out;
	uint8_t *buf = buf_alloc(128 * KiB, 128 * KiB);

	test_map_at(ctx, ioas, buf, 64 * KiB, AT);
	test_mock_domain(ctx, ioas, &s1, &h1, &idev);
	test_hwpt_alloc(ctx, idev, ioas, 0, &h2);
	ASSERT_NE(h1, h2);
	test_mock_domain(ctx, h2, &s2, &out, NULL);
	ASSERT_EQ(out, h2);
	test_check_map(ctx, h1, AT, 64 * KiB, buf);
	test_check_map(ctx, h2, AT, 64 * KiB, buf);
	/* One pin for both. */
	test_check_refs(ctx, buf, 64 * KiB, 1);
	test_map_at(ctx, ioas, buf + 64 * KiB, 64 * KiB, AT + 1 * MiB);
	test_check_map(ctx, h1, AT + 1 * MiB, 64 * KiB, buf + 64 * KiB);
	test_check_map(ctx, h2, AT + 1 * MiB, 64 * KiB, buf + 64 * KiB);
	test_unmap_exact(ctx, ioas, AT, 64 * KiB);
	test_err_check_map(EINVAL, ctx, h1, AT, MOCK_PG, buf);
	test_err_check_map(EINVAL, ctx, h2, AT, MOCK_PG, buf);
	/* The first domain goes: the second keeps translating and pinning. */
	test_destroy(ctx, s1);
	test_check_map(ctx, h2, AT + 1 * MiB, 64 * KiB, buf + 64 * KiB);
	test_check_refs(ctx, buf + 64 * KiB, 64 * KiB, 1);
	test_destroy(ctx, s2);
	test_check_refs(ctx, buf + 64 * KiB, 64 * KiB, 1);
	test_check_map(ctx, h2, AT + 1 * MiB, 64 * KiB, buf + 64 * KiB);
	test_destroy(ctx, h2);
	test_check_refs(ctx, buf + 64 * KiB, 64 * KiB, 0);
	pm_iommufd_close(ctx);
}

/*
 * Lazy pinning: with no domain, MAP takes any address; the attach that
 * needs the pages fails with EFAULT and changes nothing.
 */
TEST(lazy_pinning_efault_at_attach)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), hwpt;
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);
	uint8_t *gone = buf_alloc(16 * KiB, 16 * KiB);

	ASSERT_SYS(munmap(gone, 16 * KiB));
	test_map_at(ctx, ioas, buf, 64 * KiB, AT);
	test_map_at(ctx, ioas, gone, 16 * KiB, AT + 1 * MiB);
	test_err_mock_domain(EFAULT, ctx, ioas, NULL, NULL, NULL);
	/* No domain came: no aperture, no alignment, no pins. */
	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	test_check_refs(ctx, buf, 64 * KiB, 0);
	test_unmap_exact(ctx, ioas, AT + 1 * MiB, 16 * KiB);
	test_mock_domain(ctx, ioas, NULL, &hwpt, NULL);
	test_check_map(ctx, hwpt, AT, 64 * KiB, buf);
	/* With a domain, the bad address fails at MAP. */
	test_err_map_at(EFAULT, ctx, ioas, gone, 16 * KiB, AT + 1 * MiB);
	test_unmap_all(ctx, ioas, 64 * KiB);
	pm_iommufd_close(ctx);
}

/* The caller unmaps its memory under a domain: later DMA faults safely. */
TEST(munmap_under_domain)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), hwpt;
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB), b[64];
	int afd;

	test_mock_domain(ctx, ioas, NULL, &hwpt, NULL);
	test_map_at(ctx, ioas, buf, 64 * KiB, AT);
	afd = access_new(ctx, ioas, 0);
	ASSERT_SYS(munmap(buf, 64 * KiB));
	test_err_access_rw(EFAULT, ctx, afd, AT, b, sizeof(b), 0);
	test_unmap_all(ctx, ioas, 64 * KiB);
	pm_iommufd_close(ctx);
}

TEST(huge_iova_device)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), hwpt, stdev;
	uint8_t *buf = buf_alloc(4 * MiB, 2 * MiB);

	ASSERT_OK(_mock_domain_flags(ctx, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA,
				     &stdev, &hwpt, NULL));
	ASSERT_ONE_RANGE(ctx, ioas, AP_START, AP_LAST, MOCK_PG);
	test_map_at(ctx, ioas, buf, 4 * MiB, AT + 1 * MiB);
	test_check_map(ctx, hwpt, AT + 1 * MiB, 4 * MiB, buf);
	test_unmap_all(ctx, ioas, 4 * MiB);
	ASSERT_ERR(EINVAL, _mock_domain_flags(ctx, ioas, 1U << 20, NULL, NULL,
					      NULL));
	pm_iommufd_close(ctx);
}

/* The device cache entries vIOMMU invalidation would clear: defaults. */
static int _dev_check_cache(struct pm_iommufd *ctx, uint32_t idev, uint32_t id,
			    uint32_t cache)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = idev,
		.check_dev_cache = { .id = id, .cache = cache },
	};

	return test_cmd(ctx, &cmd);
}

TEST(dev_check_cache)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev, hwpt, idev, i;

	test_mock_domain(ctx, ioas, &stdev, &hwpt, &idev);
	for (i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		ASSERT_OK(_dev_check_cache(ctx, idev, i,
					   IOMMU_TEST_DEV_CACHE_DEFAULT));
	/* Another value, or an entry past the last: EINVAL. */
	ASSERT_ERR(EINVAL, _dev_check_cache(ctx, idev, 0, 0));
	ASSERT_ERR(EINVAL,
		   _dev_check_cache(ctx, idev, MOCK_DEV_CACHE_ID_MAX + 1,
				    IOMMU_TEST_DEV_CACHE_DEFAULT));
	/* Not a device object (the selftest object, the IOAS, nothing). */
	ASSERT_ERR(ENOENT, _dev_check_cache(ctx, stdev, 0,
					    IOMMU_TEST_DEV_CACHE_DEFAULT));
	ASSERT_ERR(ENOENT, _dev_check_cache(ctx, ioas, 0,
					    IOMMU_TEST_DEV_CACHE_DEFAULT));
	ASSERT_ERR(ENOENT,
		   _dev_check_cache(ctx, 0, 0, IOMMU_TEST_DEV_CACHE_DEFAULT));
	/* Gone with its device. */
	test_destroy(ctx, stdev);
	ASSERT_ERR(ENOENT, _dev_check_cache(ctx, idev, 0,
					    IOMMU_TEST_DEV_CACHE_DEFAULT));
	pm_iommufd_close(ctx);
}

TEST_MAIN()
