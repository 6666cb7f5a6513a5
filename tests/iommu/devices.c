// SPDX-License-Identifier: MIT
/*
 * Emulated devices: create (bind), attach to an IOAS or a HWPT, replace,
 * detach and destroy, as Linux's iommufd_device_bind/attach/replace; and
 * the uAPI that takes their dev_id: IOMMU_HWPT_ALLOC and IOMMU_GET_HW_INFO,
 * with the errnos of Linux's drivers/iommu/iommufd (hw_pagetable.c,
 * device.c): a command wrong in several ways fails as it does there.
 */
#include "iommu/dev_utils.h"

#define V IOVA_BASE

/* IOMMU_HWPT_ALLOC with every field under the caller's control. */
static int hwpt_alloc_full(struct pm_iommufd *ctx, struct iommu_hwpt_alloc *c)
{
	c->size = sizeof(*c);
	return ioctl_rc(ctx, IOMMU_HWPT_ALLOC, c);
}

static int hw_info(struct pm_iommufd *ctx, struct iommu_hw_info *info)
{
	info->size = sizeof(*info);
	return ioctl_rc(ctx, IOMMU_GET_HW_INFO, info);
}

TEST(create_and_ids)
{
	struct pm_iommufd *ctx = ictx_open();
	struct pm_device *d1, *d2, *bad = NULL;
	uint32_t id1, id2, ioas = ioas_new(ctx), hwpt;

	d1 = dev_new(ctx, "dev1", &id1);
	d2 = dev_new(ctx, NULL, &id2);
	ASSERT_NE(id1, id2);
	ASSERT_NE(id1, ioas);
	ASSERT_NE(id2, ioas);
	/* No context: nothing is created. */
	ASSERT_ERR(EINVAL, pm_device_create(NULL, "x", &bad, &id1));
	ASSERT_TRUE(!bad);
	/* The device belongs to its driver: IOMMU_DESTROY cannot take it. */
	test_err_destroy(EBUSY, ctx, id1);
	test_err_destroy(EBUSY, ctx, id2);
	/* Its id is a DEVICE the uAPI accepts. */
	test_hwpt_alloc(ctx, id2, ioas, 0, &hwpt);
	test_destroy(ctx, hwpt);
	/* Destroyed, the id is gone and is the lowest free id again. */
	pm_device_destroy(d1);
	test_err_hwpt_alloc(ENOENT, ctx, id1, ioas, 0, NULL);
	test_err_destroy(ENOENT, ctx, id1);
	ASSERT_EQ(ioas_new(ctx), id1);
	pm_device_destroy(d2);
	pm_device_destroy(NULL);
	pm_iommufd_close(ctx);
}

/* Attach to an IOAS: an automatic HWPT, shared, gone with its last device. */
TEST(attach_ioas_auto_hwpt)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t ioas = ioas_new(ctx), id1, id2, h1, h2, pt;
	struct pm_device *d1 = dev_new(ctx, "d1", &id1);
	struct pm_device *d2 = dev_new(ctx, "d2", &id2);
	uint8_t *buf = buf_alloc(4 * PG, 4 * PG);

	pat_fill(buf, 4 * PG, 11);
	test_map_at(ctx, ioas, buf, 4 * PG, V);
	h1 = dev_attach(d1, ioas);
	ASSERT_NE(h1, ioas);
	ASSERT_NE(h1, id1);
	h2 = dev_attach(d2, ioas);
	ASSERT_EQ(h2, h1);
	ASSERT_DMA_PAT(d1, V, 4 * PG, 11);
	ASSERT_DMA_PAT(d2, V, 4 * PG, 11);
	/* Attached already: detach first, or replace. */
	pt = ioas;
	ASSERT_ERR(EINVAL, pm_device_attach(d1, &pt));
	/* Nothing under a device can be destroyed. */
	test_err_destroy(EBUSY, ctx, h1);
	test_err_destroy(EBUSY, ctx, ioas);
	/* One device leaves: the HWPT stays for the other. */
	pm_device_detach(d1);
	test_err_destroy(EBUSY, ctx, h1);
	ASSERT_DMA_PAT(d2, V, 4 * PG, 11);
	/* Detaching twice is harmless. */
	pm_device_detach(d1);
	/* The last one leaves: the automatic HWPT goes, the IOAS is free. */
	pm_device_detach(d2);
	test_err_destroy(ENOENT, ctx, h1);
	test_unmap_all(ctx, ioas, 4 * PG);
	test_destroy(ctx, ioas);
	/* Bad targets: no such object (ENOENT), not a page table (EINVAL). */
	pt = 99;
	ASSERT_ERR(ENOENT, pm_device_attach(d1, &pt));
	pt = id2;
	ASSERT_ERR(EINVAL, pm_device_attach(d1, &pt));
	ASSERT_ERR(EINVAL, pm_device_attach(d1, NULL));
	pm_device_destroy(d1);
	pm_device_destroy(d2);
	pm_iommufd_close(ctx);
}

/* Attach to a HWPT from IOMMU_HWPT_ALLOC: it is used as it is. */
TEST(attach_user_hwpt)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t ioas = ioas_new(ctx), id1, id2, user, h, auto_h;
	struct pm_device *d1 = dev_new(ctx, "d1", &id1);
	struct pm_device *d2 = dev_new(ctx, "d2", &id2);
	uint8_t *buf = buf_alloc(8 * PG, 8 * PG);

	pat_fill(buf, 8 * PG, 21);
	test_map_at(ctx, ioas, buf, 4 * PG, V);
	test_hwpt_alloc(ctx, id1, ioas, 0, &user);
	ASSERT_NE(user, 0);
	h = dev_attach(d1, user);
	ASSERT_EQ(h, user);
	/* Maps made before and after the attach both translate. */
	test_map_at(ctx, ioas, buf + 4 * PG, 4 * PG, V + 1 * MiB);
	ASSERT_DMA_EQ(d1, V, buf, 4 * PG);
	ASSERT_DMA_EQ(d1, V + 1 * MiB, buf + 4 * PG, 4 * PG);
	/* A user HWPT is never picked for an attach through the IOAS. */
	auto_h = dev_attach(d2, ioas);
	ASSERT_NE(auto_h, user);
	ASSERT_DMA_EQ(d2, V + 1 * MiB, buf + 4 * PG, 4 * PG);
	/* IOMMU_DESTROY of an attached HWPT is EBUSY, and of its IOAS. */
	test_err_destroy(EBUSY, ctx, user);
	test_err_destroy(EBUSY, ctx, ioas);
	pm_device_detach(d1);
	/* A user HWPT outlives its devices, until IOMMU_DESTROY. */
	test_destroy(ctx, user);
	test_err_destroy(ENOENT, ctx, user);
	ASSERT_DMA_EQ(d2, V, buf, 4 * PG);
	pm_device_destroy(d2);
	/* Destroying an attached device detached it: its HWPT went. */
	test_err_destroy(ENOENT, ctx, auto_h);
	test_unmap_all(ctx, ioas, 8 * PG);
	test_destroy(ctx, ioas);
	pm_device_destroy(d1);
	pm_iommufd_close(ctx);
}

/*
 * IOMMU_HWPT_ALLOC errnos, in Linux's order (hw_pagetable.c,
 * iommufd_hwpt_alloc): __reserved EOPNOTSUPP; data_type and data_len
 * inconsistent EINVAL; then the device (ENOENT), then pt_id (any lookup
 * failure is EINVAL); on an IOAS, flags the driver lacks and driver data
 * are EOPNOTSUPP; on a HWPT (a nested request) EOPNOTSUPP.
 */
TEST(hwpt_alloc_errnos)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t ioas = ioas_new(ctx), id, hwpt, parent;
	struct pm_device *dev = dev_new(ctx, "dev", &id);
	struct iommu_hwpt_vtd_s1 vtd = { 0 };
	struct iommu_hwpt_alloc c;

#define RESET_CMD()                                                            \
	do {                                                                   \
		memset(&c, 0, sizeof(c));                                      \
		c.dev_id = id;                                                 \
		c.pt_id = ioas;                                                \
	} while (0)

	/* Success on an IOAS; NEST_PARENT is accepted. */
	RESET_CMD();
	ASSERT_OK(hwpt_alloc_full(ctx, &c));
	ASSERT_NE(c.out_hwpt_id, 0);
	hwpt = c.out_hwpt_id;
	test_hwpt_alloc(ctx, id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	ASSERT_NE(parent, hwpt);

	/* Unknown flags, and DIRTY_TRACKING the emulated IOMMU lacks. */
	test_err_hwpt_alloc(EOPNOTSUPP, ctx, id, ioas, 1U << 4, NULL);
	test_err_hwpt_alloc(EOPNOTSUPP, ctx, id, ioas, 1U << 31, NULL);
	test_err_hwpt_alloc(EOPNOTSUPP, ctx, id, ioas,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL);

	/* __reserved: EOPNOTSUPP, before anything else is looked at. */
	RESET_CMD();
	c.__reserved = 1;
	ASSERT_ERR(EOPNOTSUPP, hwpt_alloc_full(ctx, &c));
	c.dev_id = 99;
	ASSERT_ERR(EOPNOTSUPP, hwpt_alloc_full(ctx, &c));

	/* DATA_NONE with a length, or a data type without one: EINVAL. */
	RESET_CMD();
	c.data_len = sizeof(vtd);
	c.data_uptr = (uintptr_t)&vtd;
	ASSERT_ERR(EINVAL, hwpt_alloc_full(ctx, &c));
	RESET_CMD();
	c.data_type = IOMMU_HWPT_DATA_VTD_S1;
	ASSERT_ERR(EINVAL, hwpt_alloc_full(ctx, &c));
	/* ... checked before the device: a bad dev_id changes nothing. */
	c.dev_id = 99;
	ASSERT_ERR(EINVAL, hwpt_alloc_full(ctx, &c));

	/*
	 * Driver data without a parent (pt_id an IOAS): the emulated IOMMU
	 * takes no driver-specific paging data.
	 */
	RESET_CMD();
	c.data_type = IOMMU_HWPT_DATA_VTD_S1;
	c.data_len = sizeof(vtd);
	c.data_uptr = (uintptr_t)&vtd;
	ASSERT_ERR(EOPNOTSUPP, hwpt_alloc_full(ctx, &c));
	/* With a parent HWPT it would be nesting, which it lacks too. */
	c.pt_id = parent;
	ASSERT_ERR(EOPNOTSUPP, hwpt_alloc_full(ctx, &c));
	/* And a parent without data. */
	test_err_hwpt_alloc(EOPNOTSUPP, ctx, id, parent, 0, NULL);

	/* Bad dev_id: ENOENT, whether absent or another type of object. */
	test_err_hwpt_alloc(ENOENT, ctx, 99, ioas, 0, NULL);
	test_err_hwpt_alloc(ENOENT, ctx, ioas, ioas, 0, NULL);
	test_err_hwpt_alloc(ENOENT, ctx, hwpt, ioas, 0, NULL);
	test_err_hwpt_alloc(ENOENT, ctx, 0, ioas, 0, NULL);
	/* Bad pt_id: EINVAL (Linux maps every lookup failure to it). */
	test_err_hwpt_alloc(EINVAL, ctx, id, 99, 0, NULL);
	test_err_hwpt_alloc(EINVAL, ctx, id, 0, 0, NULL);
	test_err_hwpt_alloc(EINVAL, ctx, id, id, 0, NULL);
	/* The device is checked before pt_id. */
	test_err_hwpt_alloc(ENOENT, ctx, 99, 98, 0, NULL);

	/* None of the failures left an object behind. */
	test_destroy(ctx, parent);
	test_destroy(ctx, hwpt);
	ASSERT_EQ(ioas_new(ctx), hwpt < parent ? hwpt : parent);
#undef RESET_CMD
	pm_device_destroy(dev);
	pm_iommufd_close(ctx);
}

/*
 * IOMMU_GET_HW_INFO on an emulated device: IOMMU_HW_INFO_TYPE_DEFAULT, no
 * vendor data (data_len 0, the caller's buffer zeroed as Linux does), and
 * honest capabilities: no dirty tracking (HWPT_ALLOC refuses it), no PASID.
 */
TEST(get_hw_info)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t id, ioas = ioas_new(ctx);
	struct pm_device *dev = dev_new(ctx, "dev", &id);
	struct iommu_hw_info info;
	uint8_t data[32];
	int rc;

	memset(&info, 0, sizeof(info));
	memset(data, 0xa5, sizeof(data));
	info.dev_id = id;
	info.data_len = sizeof(data);
	info.data_uptr = (uintptr_t)data;
	info.out_capabilities = ~0ULL;
	info.out_max_pasid_log2 = 0xff;
	ASSERT_OK(hw_info(ctx, &info));
	ASSERT_EQ(info.out_data_type, IOMMU_HW_INFO_TYPE_DEFAULT);
	ASSERT_EQ(info.data_len, 0);
	ASSERT_TRUE(all_zero(data, sizeof(data)));
	ASSERT_U64_EQ(info.out_capabilities, 0);
	ASSERT_EQ(info.out_max_pasid_log2, 0);
	test_err_hwpt_alloc(EOPNOTSUPP, ctx, id, ioas,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL);

	/* No buffer at all is fine. */
	memset(&info, 0, sizeof(info));
	info.dev_id = id;
	ASSERT_OK(hw_info(ctx, &info));
	ASSERT_EQ(info.out_data_type, IOMMU_HW_INFO_TYPE_DEFAULT);
	ASSERT_EQ(info.data_len, 0);

	/* Without FLAG_INPUT_TYPE the type field is output only. */
	memset(&info, 0, sizeof(info));
	info.dev_id = id;
	info.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	ASSERT_OK(hw_info(ctx, &info));
	ASSERT_EQ(info.out_data_type, IOMMU_HW_INFO_TYPE_DEFAULT);
	/* With it, DEFAULT is what the emulated IOMMU has ... */
	memset(&info, 0, sizeof(info));
	info.dev_id = id;
	info.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	info.in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	ASSERT_OK(hw_info(ctx, &info));
	ASSERT_EQ(info.out_data_type, IOMMU_HW_INFO_TYPE_DEFAULT);
	/*
	 * ... and asked for a vendor type it is not, it never claims it:
	 * EOPNOTSUPP (a driver with hw_info refuses), or DEFAULT (Linux's
	 * core answers for a driver without hw_info).
	 */
	info.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	rc = hw_info(ctx, &info);
	if (rc)
		ASSERT_EQ(rc, -EOPNOTSUPP);
	else
		ASSERT_EQ(info.out_data_type, IOMMU_HW_INFO_TYPE_DEFAULT);
	pm_device_destroy(dev);
	pm_iommufd_close(ctx);
}

/* GET_HW_INFO errnos, Linux's order: flags, __reserved, then dev_id. */
TEST(get_hw_info_errnos)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t id, ioas = ioas_new(ctx);
	struct pm_device *dev = dev_new(ctx, "dev", &id);
	struct iommu_hw_info info;

	memset(&info, 0, sizeof(info));
	info.dev_id = id;
	info.flags = 1U << 1;
	ASSERT_ERR(EOPNOTSUPP, hw_info(ctx, &info));
	info.flags = 1U << 31;
	ASSERT_ERR(EOPNOTSUPP, hw_info(ctx, &info));
	info.dev_id = 99; /* flags first */
	ASSERT_ERR(EOPNOTSUPP, hw_info(ctx, &info));

	memset(&info, 0, sizeof(info));
	info.dev_id = id;
	info.__reserved[1] = 1;
	ASSERT_ERR(EOPNOTSUPP, hw_info(ctx, &info));
	info.dev_id = 99; /* __reserved before the device */
	ASSERT_ERR(EOPNOTSUPP, hw_info(ctx, &info));

	memset(&info, 0, sizeof(info));
	info.dev_id = 99;
	ASSERT_ERR(ENOENT, hw_info(ctx, &info));
	info.dev_id = 0;
	ASSERT_ERR(ENOENT, hw_info(ctx, &info));
	info.dev_id = ioas;
	ASSERT_ERR(ENOENT, hw_info(ctx, &info));
	/* A destroyed device's id. */
	pm_device_destroy(dev);
	info.dev_id = id;
	ASSERT_ERR(ENOENT, hw_info(ctx, &info));
	pm_iommufd_close(ctx);
}

/*
 * Replace moves DMA from one IOAS to another: the same IOVA reaches the
 * new IOAS's memory at once (no stale IOTLB entry), and the automatic HWPT
 * the device left goes with it.
 */
TEST(replace_moves_dma)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t a = ioas_new(ctx), b = ioas_new(ctx), ha, hb, pt;
	struct pm_device *dev = dev_new(ctx, "dev", NULL);
	uint8_t *ma = buf_alloc(2 * PG, 2 * PG);
	uint8_t *mb = buf_alloc(2 * PG, 2 * PG);
	uint8_t w[64];

	pat_fill(ma, 2 * PG, 31);
	pat_fill(mb, 2 * PG, 32);
	test_map_at(ctx, a, ma, 2 * PG, V);
	test_map_at(ctx, b, mb, 2 * PG, V);
	/* Nothing to replace yet. */
	pt = b;
	ASSERT_ERR(EINVAL, pm_device_replace(dev, &pt));
	ASSERT_ERR(EINVAL, pm_device_replace(dev, NULL));

	ha = dev_attach(dev, a);
	/* Twice: the second read is served by the IOTLB. */
	ASSERT_DMA_PAT(dev, V, 2 * PG, 31);
	ASSERT_DMA_PAT(dev, V, 2 * PG, 31);
	pt = b;
	ASSERT_OK(pm_device_replace(dev, &pt));
	hb = pt;
	ASSERT_NE(hb, ha);
	ASSERT_NE(hb, b);
	ASSERT_DMA_PAT(dev, V, 2 * PG, 32);
	/* A lost its last device: its automatic HWPT went, A is free. */
	test_err_destroy(ENOENT, ctx, ha);
	/* A DMA write lands in B's memory only. */
	pat_fill(w, sizeof(w), 33);
	ASSERT_OK(pm_dma_write(dev, V + 100, w, sizeof(w)));
	ASSERT_PAT(mb + 100, sizeof(w), 33);
	ASSERT_PAT(ma, 2 * PG, 31);
	test_destroy(ctx, a);
	/* CPU writes to B's memory are what the device reads next. */
	pat_fill(mb, 2 * PG, 34);
	ASSERT_DMA_PAT(dev, V, 2 * PG, 34);
	ASSERT_NO_FAULTS(dev);
	pm_device_destroy(dev);
	test_err_destroy(ENOENT, ctx, hb);
	pm_iommufd_close(ctx);
}

/*
 * Replace between user HWPTs (which stay after the device leaves), onto
 * the same place (a no-op), and failures, which keep the old attachment.
 */
TEST(replace_user_hwpts_and_failures)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t a = ioas_new(ctx), b = ioas_new(ctx), c = ioas_new(ctx);
	uint32_t id, ua, ub, pt;
	struct pm_device *dev = dev_new(ctx, "dev", &id);
	uint8_t *ma = buf_alloc(2 * PG, 2 * PG);
	uint8_t *mb = buf_alloc(2 * PG, 2 * PG);
	uint8_t *mc = buf_alloc(PG, PG);

	pat_fill(ma, 2 * PG, 35);
	pat_fill(mb, 2 * PG, 36);
	test_map_at(ctx, a, ma, 2 * PG, V);
	test_map_at(ctx, b, mb, 2 * PG, V);
	test_hwpt_alloc(ctx, id, a, 0, &ua);
	test_hwpt_alloc(ctx, id, b, 0, &ub);
	ASSERT_EQ(dev_attach(dev, ua), ua);
	ASSERT_DMA_PAT(dev, V, 2 * PG, 35);
	ASSERT_DMA_PAT(dev, V, 2 * PG, 35);

	/* Onto the same place: a no-op. */
	pt = ua;
	ASSERT_OK(pm_device_replace(dev, &pt));
	ASSERT_EQ(pt, ua);
	/* Failures keep the old attachment. */
	pt = 99;
	ASSERT_ERR(ENOENT, pm_device_replace(dev, &pt));
	pt = id;
	ASSERT_ERR(EINVAL, pm_device_replace(dev, &pt));
	/* C has an area beyond the emulated IOMMU's aperture. */
	test_map_at(ctx, c, mc, PG, EMU_APERTURE_LAST + 1);
	pt = c;
	ASSERT_ERR(EADDRINUSE, pm_device_replace(dev, &pt));
	ASSERT_ONE_RANGE(ctx, c, 0, UINT64_MAX, 1);
	ASSERT_DMA_PAT(dev, V, 2 * PG, 35);
	test_err_destroy(EBUSY, ctx, ua);

	/* From one user HWPT to another: DMA follows, both HWPTs stay. */
	pt = ub;
	ASSERT_OK(pm_device_replace(dev, &pt));
	ASSERT_EQ(pt, ub);
	ASSERT_DMA_PAT(dev, V, 2 * PG, 36);
	test_err_destroy(EBUSY, ctx, ub);
	test_destroy(ctx, ua);
	test_destroy(ctx, a);
	ASSERT_NO_FAULTS(dev);
	pm_device_detach(dev);
	test_destroy(ctx, ub);
	pm_device_destroy(dev);
	pm_iommufd_close(ctx);
}

/*
 * The aperture: an area beyond 2^48 makes attach fail (EADDRINUSE) and
 * changes nothing; attached, the IOAS reports the aperture and 4 KiB
 * alignment, and refuses maps outside it.
 */
TEST(attach_outside_aperture)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t ioas = ioas_new(ctx), pt;
	struct pm_device *dev = dev_new(ctx, "dev", NULL);
	uint8_t *buf = buf_alloc(2 * PG, 2 * PG), b[8];

	pat_fill(buf, 2 * PG, 41);
	test_map_at(ctx, ioas, buf, PG, EMU_APERTURE_LAST + 1);
	pt = ioas;
	ASSERT_ERR(EADDRINUSE, pm_device_attach(dev, &pt));
	ASSERT_EQ(pt, ioas);
	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	ASSERT_ERR(EFAULT, pm_dma_read(dev, V, b, sizeof(b)));
	ASSERT_ONE_FAULT(dev, V, PM_DMA_FAULT_DETACHED, 0);
	test_unmap_all(ctx, ioas, PG);

	/* The last page of the aperture is fine. */
	test_map_at(ctx, ioas, buf, PG, EMU_APERTURE_LAST + 1 - PG);
	dev_attach(dev, ioas);
	ASSERT_ONE_RANGE(ctx, ioas, 0, EMU_APERTURE_LAST, PG);
	ASSERT_DMA_PAT(dev, EMU_APERTURE_LAST + 1 - PG, PG, 41);
	ASSERT_NE(_map_at(ctx, ioas, buf + PG, PG, EMU_APERTURE_LAST + 1), 0);
	/* Sub-page IOVAs are refused once the 4 KiB domain is attached. */
	ASSERT_NE(_map_at(ctx, ioas, buf + PG, PG, V + 512), 0);
	pm_device_destroy(dev);
	/* With the domain gone, so are its limits. */
	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	pm_iommufd_close(ctx);
}

/* Detach blocks DMA; the device can attach elsewhere afterwards. */
TEST(detach_blocks_dma)
{
	struct pm_iommufd *ctx = ictx_open();
	uint32_t a = ioas_new(ctx), b = ioas_new(ctx);
	struct pm_device *dev = dev_new(ctx, "dev", NULL);
	uint8_t *ma = buf_alloc(PG, PG), *mb = buf_alloc(PG, PG), x[16];

	pat_fill(ma, PG, 51);
	pat_fill(mb, PG, 52);
	test_map_at(ctx, a, ma, PG, V);
	test_map_at(ctx, b, mb, PG, V);
	/* Never attached. */
	ASSERT_ERR(EFAULT, pm_dma_write(dev, V + 8, x, sizeof(x)));
	ASSERT_ONE_FAULT(dev, V + 8, PM_DMA_FAULT_DETACHED, 1);
	dev_attach(dev, a);
	ASSERT_DMA_PAT(dev, V, PG, 51);
	pm_device_detach(dev);
	ASSERT_ERR(EFAULT, pm_dma_read(dev, V, x, sizeof(x)));
	ASSERT_ONE_FAULT(dev, V, PM_DMA_FAULT_DETACHED, 0);
	/* Elsewhere: the IOTLB holds nothing of A. */
	dev_attach(dev, b);
	ASSERT_DMA_PAT(dev, V, PG, 52);
	ASSERT_NO_FAULTS(dev);
	test_destroy(ctx, a);
	pm_device_destroy(dev);
	pm_iommufd_close(ctx);
}

TEST_MAIN()
