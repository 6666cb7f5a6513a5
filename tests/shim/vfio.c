// SPDX-License-Identifier: MIT
/*
 * The VFIO type1 container ioctls on the shim's descriptors: on /dev/iommu
 * with a compat IOAS chosen by IOMMU_VFIO_IOAS, and on /dev/vfio/vfio.
 */
#include "shim_test.h"

#define BUF_PAGES 16

struct compat {
	int fd;
	uint32_t ioas, hwpt;
};

static int vfio_ioas(int fd, uint16_t op, uint32_t *id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = op,
		.ioas_id = id ? *id : 0,
	};
	int rc = ioctl(fd, IOMMU_VFIO_IOAS, &cmd);

	if (!rc && id)
		*id = cmd.ioas_id;
	return rc;
}

/* What VFIO calls a container with a group: an IOAS with a mock device. */
static struct compat compat_setup(unsigned long type)
{
	struct compat c = { .fd = -1 };

	c.fd = iommufd_open();
	c.ioas = ioas_alloc(c.fd);
	ASSERT_SYS(mock_domain(c.fd, c.ioas, NULL, &c.hwpt));
	ASSERT_SYS(vfio_ioas(c.fd, IOMMU_VFIO_IOAS_SET, &c.ioas));
	ASSERT_EQ(0, ioctl(c.fd, VFIO_SET_IOMMU, type));
	return c;
}

static int dma_map(int fd, void *va, uint64_t iova, uint64_t size,
		   uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &map);
}

#define DMA_RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static int dma_unmap(int fd, uint64_t iova, uint64_t size, uint32_t flags,
		     uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int rc = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (unmapped)
		*unmapped = unmap.size;
	return rc;
}

TEST(version_and_extensions)
{
	int fd = iommufd_open();

	ASSERT_EQ(VFIO_API_VERSION, ioctl(fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	/* What Linux's iommufd compat does not offer. */
	ASSERT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, 6 /* TYPE1_NESTING */));
	ASSERT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, 12345));
	/* Coherency is a property of the compat IOAS: none yet. */
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_CHECK_EXTENSION,
				   VFIO_DMA_CC_IOMMU));
	/* Numbers of the VFIO type that are not container ioctls. */
	ASSERT_ERRNO(ENOTTY, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, NULL));
	ASSERT_ERRNO(ENOTTY, ioctl(fd, VFIO_GROUP_GET_STATUS, NULL));
	close(fd);
}

/* Linux's order: argsz and flags, then the compat IOAS (ENODEV). */
TEST(no_compat_ioas)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = 1 };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = 1 };
	struct vfio_iommu_type1_info info = { .argsz = 1 };
	int fd = iommufd_open();

	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_GET_INFO, &info));
	map.argsz = sizeof(map);
	map.flags = 1U << 31;
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_MAP_DMA, &map));
	unmap.argsz = sizeof(unmap);
	unmap.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	map.flags = DMA_RW;
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_MAP_DMA, &map));
	unmap.flags = 0;
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	info.argsz = sizeof(info);
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_SET_IOMMU, 42));
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	/* Faults are EFAULT, before anything else. */
	ASSERT_ERRNO(EFAULT, ioctl(fd, VFIO_IOMMU_MAP_DMA, NULL));
	close(fd);
}

TEST(vfio_ioas_get_set_clear)
{
	struct iommu_vfio_ioas bad = {
		.size = sizeof(bad),
		.op = IOMMU_VFIO_IOAS_CLEAR,
		.__reserved = 1,
	};
	int fd = iommufd_open();
	uint32_t id = 0, ioas, got;

	ASSERT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	id = 99;
	ASSERT_ERRNO(ENOENT, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	ioas = ioas_alloc(fd);
	ASSERT_SYS(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas));
	got = 0;
	ASSERT_SYS(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &got));
	ASSERT_EQ(ioas, got);
	ASSERT_SYS(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, NULL));
	ASSERT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &got));
	ASSERT_ERRNO(EOPNOTSUPP, vfio_ioas(fd, 3, &got));
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_VFIO_IOAS, &bad));

	/* Destroying the compat IOAS unsets it. */
	ASSERT_SYS(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas));
	ASSERT_SYS(iommufd_destroy(fd, ioas));
	ASSERT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &got));
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	close(fd);
}

static bool all_bytes(const uint8_t *p, uint8_t c, size_t len)
{
	while (len--)
		if (*p++ != c)
			return false;
	return true;
}

TEST(get_info)
{
	struct compat c = compat_setup(VFIO_TYPE1v2_IOMMU);
	size_t bufsz = 4096, full;
	uint8_t *buf = malloc(bufsz);
	struct vfio_iommu_type1_info *info = (void *)buf;
	const struct vfio_info_cap_header *cap;
	bool seen_range = false, seen_avail = false;
	uint32_t argsz;

	ASSERT_EQ(1, ioctl(c.fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));

	/* Before capabilities: the old struct, nothing written past it. */
	memset(buf, 0xaa, bufsz);
	memset(info, 0, offsetof(struct vfio_iommu_type1_info, cap_offset));
	info->argsz = offsetof(struct vfio_iommu_type1_info, cap_offset);
	ASSERT_SYS(ioctl(c.fd, VFIO_IOMMU_GET_INFO, buf));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	ASSERT_TRUE(info->iova_pgsizes & PAGE_SZ);
	ASSERT_EQ(0, info->iova_pgsizes & (PAGE_SZ - 1));
	ASSERT_TRUE(all_bytes(buf + offsetof(struct vfio_iommu_type1_info,
					     cap_offset),
			      0xaa,
			      bufsz - offsetof(struct vfio_iommu_type1_info,
					       cap_offset)));

	/* The struct alone: argsz grows to what the chain needs. */
	memset(buf, 0xaa, bufsz);
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	ASSERT_SYS(ioctl(c.fd, VFIO_IOMMU_GET_INFO, buf));
	ASSERT_EQ(0, info->cap_offset);
	ASSERT_GT(info->argsz, sizeof(*info));
	full = info->argsz;
	ASSERT_TRUE(all_bytes(buf + sizeof(*info), 0xaa, bufsz - sizeof(*info)));

	/* Every size in between: never a byte past argsz, never a chain. */
	for (argsz = sizeof(*info); argsz < full; argsz++) {
		memset(buf, 0xaa, bufsz);
		memset(info, 0, sizeof(*info));
		info->argsz = argsz;
		ASSERT_SYS(ioctl(c.fd, VFIO_IOMMU_GET_INFO, buf));
		ASSERT_EQ(0, info->cap_offset);
		ASSERT_EQ(full, info->argsz);
		ASSERT_TRUE(all_bytes(buf + argsz, 0xaa, bufsz - argsz));
	}

	/* Enough room: the whole chain. */
	memset(buf, 0xaa, bufsz);
	memset(info, 0, sizeof(*info));
	info->argsz = (uint32_t)full;
	ASSERT_SYS(ioctl(c.fd, VFIO_IOMMU_GET_INFO, buf));
	ASSERT_EQ(sizeof(*info), info->cap_offset);
	ASSERT_TRUE(all_bytes(buf + full, 0xaa, bufsz - full));
	for (cap = (void *)(buf + info->cap_offset);;
	     cap = (void *)(buf + cap->next)) {
		ASSERT_EQ(0, ((uint8_t *)cap - buf) % 8);
		ASSERT_EQ(1, cap->version);
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			const struct vfio_iommu_type1_info_cap_iova_range *r =
				(const void *)cap;

			ASSERT_EQ(1, r->nr_iovas);
			ASSERT_U64_EQ(MOCK_APERTURE_START,
				      r->iova_ranges[0].start);
			ASSERT_U64_EQ(MOCK_APERTURE_LAST,
				      r->iova_ranges[0].end);
			seen_range = true;
		} else if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			const struct vfio_iommu_type1_info_dma_avail *a =
				(const void *)cap;

			ASSERT_EQ(UINT32_MAX, a->avail);
			seen_avail = true;
		} else {
			FAIL("unknown capability %u", cap->id);
		}
		if (!cap->next)
			break;
		ASSERT_GT(cap->next, (uint8_t *)cap - buf);
		ASSERT_LE(cap->next + sizeof(*cap), full);
	}
	ASSERT_TRUE(seen_range && seen_avail);
	free(buf);
	close(c.fd);
}

TEST(map_unmap_v2)
{
	struct compat c = compat_setup(VFIO_TYPE1v2_IOMMU);
	uint8_t *buf = map_buffer(BUF_PAGES * PAGE_SZ);
	uint64_t iova = MOCK_APERTURE_START, unmapped;
	int i;

	ASSERT_SYS(dma_map(c.fd, buf, iova, BUF_PAGES * PAGE_SZ, DMA_RW));
	ASSERT_SYS(mock_check_map(c.fd, c.hwpt, iova, BUF_PAGES * PAGE_SZ,
				  buf));
	/* Overlap: EEXIST. */
	ASSERT_ERRNO(EEXIST, dma_map(c.fd, buf, iova, PAGE_SZ, DMA_RW));
	/* type1v2 never cuts a mapping. */
	ASSERT_ERRNO(ENOENT, dma_unmap(c.fd, iova + PAGE_SZ, PAGE_SZ, 0,
				       NULL));
	ASSERT_SYS(dma_unmap(c.fd, iova, BUF_PAGES * PAGE_SZ, 0, &unmapped));
	ASSERT_U64_EQ(BUF_PAGES * PAGE_SZ, unmapped);
	/* Nothing there any more: ENOENT, as Linux's compat answers. */
	ASSERT_ERRNO(ENOENT, dma_unmap(c.fd, iova, PAGE_SZ, 0, NULL));

	/* UNMAP_ALL wants iova and size 0, and returns the total. */
	for (i = 0; i < BUF_PAGES; i++)
		ASSERT_SYS(dma_map(c.fd, buf + i * PAGE_SZ,
				   iova + i * PAGE_SZ, PAGE_SZ,
				   VFIO_DMA_MAP_FLAG_READ));
	ASSERT_ERRNO(EINVAL, dma_unmap(c.fd, iova, PAGE_SZ,
				       VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_SYS(dma_unmap(c.fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_U64_EQ(BUF_PAGES * PAGE_SZ, unmapped);
	ASSERT_SYS(dma_unmap(c.fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_U64_EQ(0, unmapped);

	/* Outside the mock aperture: reserved, EINVAL. */
	ASSERT_ERRNO(EINVAL, dma_map(c.fd, buf, PAGE_SZ, PAGE_SZ, DMA_RW));

	/* As Linux's compat, unlike the type1 driver: no flags is a map. */
	ASSERT_SYS(dma_map(c.fd, buf, iova, PAGE_SZ, 0));
	/* Length 0, and a range that wraps: iopt_unmap_iova()'s errors. */
	ASSERT_ERRNO(EINVAL, dma_unmap(c.fd, iova, 0, 0, &unmapped));
	ASSERT_U64_EQ(0, unmapped);
	ASSERT_ERRNO(EOVERFLOW, dma_unmap(c.fd, UINT64_MAX - PAGE_SZ + 1,
					  2 * PAGE_SZ, 0, &unmapped));
	ASSERT_U64_EQ(0, unmapped);
	/* A range larger than the mapping takes it whole. */
	ASSERT_SYS(dma_unmap(c.fd, iova - PAGE_SZ, 4 * PAGE_SZ, 0, &unmapped));
	ASSERT_U64_EQ(PAGE_SZ, unmapped);
	close(c.fd);
}

/* TYPE1 cannot be had once a domain holds mappings (Linux: EINVAL). */
TEST(set_type1_after_maps)
{
	struct compat c = compat_setup(VFIO_TYPE1v2_IOMMU);
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = c.ioas,
	};
	uint8_t *buf = map_buffer(4 * PAGE_SZ);
	uint64_t iova = MOCK_APERTURE_START;

	ASSERT_SYS(dma_map(c.fd, buf, iova, 4 * PAGE_SZ, DMA_RW));
	ASSERT_ERRNO(EINVAL, ioctl(c.fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_SYS(ioctl(c.fd, IOMMU_OPTION, &opt));
	ASSERT_U64_EQ(1, opt.val64);
	/* TYPE1v2 again is fine; with the IOAS empty, TYPE1 is too. */
	ASSERT_EQ(0, ioctl(c.fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_SYS(dma_unmap(c.fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_EQ(0, ioctl(c.fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_SYS(ioctl(c.fd, IOMMU_OPTION, &opt));
	ASSERT_U64_EQ(0, opt.val64);
	close(c.fd);
}

TEST(map_read_only_enforced)
{
	struct compat c = compat_setup(VFIO_TYPE1v2_IOMMU);
	uint8_t *buf = map_buffer(PAGE_SZ), byte = 1;
	uint64_t iova = MOCK_APERTURE_START;
	int afd = -1;

	ASSERT_SYS(dma_map(c.fd, buf, iova, PAGE_SZ, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_SYS(access_create(c.fd, c.ioas, 0, &afd));
	ASSERT_SYS(access_rw(c.fd, afd, iova, &byte, 1, false));
	ASSERT_EQ(0x5a, byte);
	ASSERT_ERRNO(EPERM, access_rw(c.fd, afd, iova, &byte, 1, true));
	close(afd);
	close(c.fd);
}

TEST(type1_cuts_mappings)
{
	struct compat c = compat_setup(VFIO_TYPE1_IOMMU);
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.val64 = 3,
	};
	uint8_t *buf = map_buffer(BUF_PAGES * PAGE_SZ), byte;
	uint64_t iova = MOCK_APERTURE_START, unmapped;
	int afd = -1;

	/* TYPE1 turned large pages off on the compat IOAS. */
	opt.object_id = c.ioas;
	ASSERT_SYS(ioctl(c.fd, IOMMU_OPTION, &opt));
	ASSERT_U64_EQ(0, opt.val64);

	ASSERT_SYS(dma_map(c.fd, buf, iova, BUF_PAGES * PAGE_SZ, DMA_RW));
	ASSERT_SYS(check_refs(c.fd, buf, BUF_PAGES * PAGE_SZ, 1));

	/* A hole in the middle: the rest stays mapped, and pinned. */
	ASSERT_SYS(dma_unmap(c.fd, iova + 5 * PAGE_SZ, PAGE_SZ, 0,
			     &unmapped));
	ASSERT_U64_EQ(PAGE_SZ, unmapped);
	ASSERT_SYS(mock_check_map(c.fd, c.hwpt, iova, 5 * PAGE_SZ, buf));
	ASSERT_SYS(mock_check_map(c.fd, c.hwpt, iova + 6 * PAGE_SZ,
				  10 * PAGE_SZ, buf + 6 * PAGE_SZ));
	ASSERT_SYS(check_refs(c.fd, buf, 5 * PAGE_SZ, 1));
	ASSERT_SYS(check_refs(c.fd, buf + 5 * PAGE_SZ, PAGE_SZ, 0));
	ASSERT_SYS(check_refs(c.fd, buf + 6 * PAGE_SZ, 10 * PAGE_SZ, 1));
	ASSERT_SYS(access_create(c.fd, c.ioas, 0, &afd));
	ASSERT_ERRNO(ENOENT, access_rw(c.fd, afd, iova + 5 * PAGE_SZ, &byte,
				       1, false));
	ASSERT_SYS(access_rw(c.fd, afd, iova + 4 * PAGE_SZ, &byte, 1, false));
	ASSERT_SYS(access_rw(c.fd, afd, iova + 6 * PAGE_SZ, &byte, 1, false));
	close(afd);

	/* Cut points must be page aligned once large pages are off. */
	ASSERT_ERRNO(EINVAL, dma_unmap(c.fd, iova + PAGE_SZ / 2, PAGE_SZ, 0,
				       NULL));
	/* The head, then a range over the hole and into the tail. */
	ASSERT_SYS(dma_unmap(c.fd, iova, 2 * PAGE_SZ, 0, &unmapped));
	ASSERT_U64_EQ(2 * PAGE_SZ, unmapped);
	ASSERT_SYS(dma_unmap(c.fd, iova + 4 * PAGE_SZ, 4 * PAGE_SZ, 0,
			     &unmapped));
	ASSERT_U64_EQ(3 * PAGE_SZ, unmapped);
	ASSERT_SYS(dma_unmap(c.fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_U64_EQ(10 * PAGE_SZ, unmapped);
	close(c.fd);
}

/* Linux cannot split an area that an in-kernel access has pinned. */
TEST(type1_cut_refused_under_access)
{
	struct compat c = compat_setup(VFIO_TYPE1_IOMMU);
	uint8_t *buf = map_buffer(4 * PAGE_SZ);
	uint64_t iova = MOCK_APERTURE_START;
	struct iommu_test_cmd pin = {
		.size = sizeof(pin),
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.access_pages = { .iova = iova, .length = PAGE_SZ,
				  .uptr = (uintptr_t)buf },
	};
	int afd = -1;

	ASSERT_SYS(dma_map(c.fd, buf, iova, 4 * PAGE_SZ, DMA_RW));
	ASSERT_SYS(access_create(c.fd, c.ioas,
				 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				 &afd));
	pin.id = (uint32_t)afd;
	ASSERT_SYS(ioctl(c.fd, IOMMU_TEST_CMD, &pin));
	ASSERT_ERRNO(EINVAL, dma_unmap(c.fd, iova + 2 * PAGE_SZ, PAGE_SZ, 0,
				       NULL));
	/* A whole unmap still works: the access lets go. */
	ASSERT_SYS(dma_unmap(c.fd, iova, 4 * PAGE_SZ, 0, NULL));
	close(afd);
	close(c.fd);
}

/* CAP_SYS_RESOURCE in the effective set (IOMMU_OPTION RLIMIT_MODE SET). */
static bool has_cap_sys_resource(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff >> 24 & 1; /* CAP_SYS_RESOURCE */
}

TEST(dev_vfio_vfio_container)
{
	struct iommu_option mode = {
		.size = sizeof(mode),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	uint8_t *buf = map_buffer(4 * PAGE_SZ);
	uint64_t unmapped;
	uint32_t id = 0;
	int fd;

	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_SYS(fd);
	/* MM accounting, as Linux's container, where IOMMU_OPTION may. */
	ASSERT_SYS(ioctl(fd, IOMMU_OPTION, &mode));
	ASSERT_U64_EQ(has_cap_sys_resource() ? 1 : 0, mode.val64);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	/* No type set yet: no compat IOAS. */
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	/* A bad type creates nothing. */
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_SET_IOMMU, 42));
	ASSERT_ERRNO(ENODEV, vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	/* SET_IOMMU stands for the group VFIO would need: an IOAS appears. */
	ASSERT_EQ(0, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_SYS(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_EQ(1, id);
	/* A second SET_IOMMU uses it. */
	ASSERT_EQ(0, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_SYS(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_EQ(1, id);

	ASSERT_SYS(ioctl(fd, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info.flags);
	ASSERT_GT(info.argsz, sizeof(info));

	ASSERT_SYS(dma_map(fd, buf, 1UL << 32, 4 * PAGE_SZ, DMA_RW));
	ASSERT_SYS(dma_unmap(fd, (1UL << 32) + PAGE_SZ, PAGE_SZ, 0,
			     &unmapped));
	ASSERT_U64_EQ(PAGE_SZ, unmapped);
	ASSERT_SYS(dma_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_U64_EQ(3 * PAGE_SZ, unmapped);
	ASSERT_EQ(0, close(fd));
}

TEST_MAIN()
