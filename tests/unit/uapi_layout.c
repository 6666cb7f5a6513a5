// SPDX-License-Identifier: MIT
/*
 * Run-time checks of privmem's copy of the iommufd uAPI (Linux 6.18): the
 * number of every command, the size and minimum size of the argument
 * structs, a few enum values, and that the headers build next to the C
 * library's <sys/ioctl.h>.  The headers also check most of this at compile
 * time; this program makes the facts visible in the test log.
 */
#include "harness.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>

#include "privmem/uapi/iommufd.h"
#include "privmem/uapi/iommufd_test.h"

/* A newer system header included afterwards must be a no-op. */
#if defined(__has_include)
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#define HAVE_SYSTEM_IOMMUFD_H 1
#endif
#endif

#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

struct cmd_entry {
	const char *name;
	unsigned long ioctl;
	unsigned int nr;
	size_t size; /* sizeof the argument struct */
	size_t min_size; /* end of the kernel's "last" field */
};

#define CMD(_ioctl, _nr, _type, _last)                        \
	{                                                     \
		.name = #_ioctl, .ioctl = _ioctl, .nr = _nr,  \
		.size = sizeof(struct _type),                 \
		.min_size = offsetofend(struct _type, _last), \
	}

/* Every command of Linux 6.18, plus the selftest command. */
static const struct cmd_entry cmds[] = {
	CMD(IOMMU_DESTROY, 0x80, iommu_destroy, id),
	CMD(IOMMU_IOAS_ALLOC, 0x81, iommu_ioas_alloc, out_ioas_id),
	CMD(IOMMU_IOAS_ALLOW_IOVAS, 0x82, iommu_ioas_allow_iovas,
	    allowed_iovas),
	CMD(IOMMU_IOAS_COPY, 0x83, iommu_ioas_copy, src_iova),
	CMD(IOMMU_IOAS_IOVA_RANGES, 0x84, iommu_ioas_iova_ranges,
	    out_iova_alignment),
	CMD(IOMMU_IOAS_MAP, 0x85, iommu_ioas_map, iova),
	CMD(IOMMU_IOAS_UNMAP, 0x86, iommu_ioas_unmap, length),
	CMD(IOMMU_OPTION, 0x87, iommu_option, val64),
	CMD(IOMMU_VFIO_IOAS, 0x88, iommu_vfio_ioas, __reserved),
	CMD(IOMMU_HWPT_ALLOC, 0x89, iommu_hwpt_alloc, __reserved),
	CMD(IOMMU_GET_HW_INFO, 0x8a, iommu_hw_info, __reserved),
	CMD(IOMMU_HWPT_SET_DIRTY_TRACKING, 0x8b, iommu_hwpt_set_dirty_tracking,
	    __reserved),
	CMD(IOMMU_HWPT_GET_DIRTY_BITMAP, 0x8c, iommu_hwpt_get_dirty_bitmap,
	    data),
	CMD(IOMMU_HWPT_INVALIDATE, 0x8d, iommu_hwpt_invalidate, __reserved),
	CMD(IOMMU_FAULT_QUEUE_ALLOC, 0x8e, iommu_fault_alloc, out_fault_fd),
	CMD(IOMMU_IOAS_MAP_FILE, 0x8f, iommu_ioas_map_file, iova),
	CMD(IOMMU_VIOMMU_ALLOC, 0x90, iommu_viommu_alloc, out_viommu_id),
	CMD(IOMMU_VDEVICE_ALLOC, 0x91, iommu_vdevice_alloc, virt_id),
	CMD(IOMMU_IOAS_CHANGE_PROCESS, 0x92, iommu_ioas_change_process,
	    __reserved),
	CMD(IOMMU_VEVENTQ_ALLOC, 0x93, iommu_veventq_alloc, out_veventq_fd),
	CMD(IOMMU_HW_QUEUE_ALLOC, 0x94, iommu_hw_queue_alloc, length),
	CMD(IOMMU_TEST_CMD, 0xa0, iommu_test_cmd, last),
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Expected (size, min_size) per command, from the 6.18 layouts. */
static const struct {
	const char *name;
	size_t size, min_size;
} sizes[] = {
	{ "IOMMU_DESTROY", 8, 8 },
	{ "IOMMU_IOAS_ALLOC", 12, 12 },
	{ "IOMMU_IOAS_ALLOW_IOVAS", 24, 24 },
	{ "IOMMU_IOAS_COPY", 40, 40 },
	{ "IOMMU_IOAS_IOVA_RANGES", 32, 32 },
	{ "IOMMU_IOAS_MAP", 40, 40 },
	{ "IOMMU_IOAS_UNMAP", 24, 24 },
	{ "IOMMU_OPTION", 24, 24 },
	{ "IOMMU_VFIO_IOAS", 12, 12 },
	{ "IOMMU_HWPT_ALLOC", 48, 24 },
	{ "IOMMU_GET_HW_INFO", 40, 32 },
	{ "IOMMU_HWPT_SET_DIRTY_TRACKING", 16, 16 },
	{ "IOMMU_HWPT_GET_DIRTY_BITMAP", 48, 48 },
	{ "IOMMU_HWPT_INVALIDATE", 32, 32 },
	{ "IOMMU_FAULT_QUEUE_ALLOC", 16, 16 },
	{ "IOMMU_IOAS_MAP_FILE", 40, 40 },
	{ "IOMMU_VIOMMU_ALLOC", 40, 24 },
	{ "IOMMU_VDEVICE_ALLOC", 24, 24 },
	{ "IOMMU_IOAS_CHANGE_PROCESS", 8, 8 },
	{ "IOMMU_VEVENTQ_ALLOC", 32, 28 },
	{ "IOMMU_HW_QUEUE_ALLOC", 40, 40 },
	{ "IOMMU_TEST_CMD", 72, 68 },
};

TEST(ioctl_numbers)
{
	size_t i;

	ASSERT_EQ(IOMMUFD_TYPE, 0x3b);
	ASSERT_EQ(IOMMUFD_CMD_BASE, 0x80);
	for (i = 0; i < NCMDS; i++) {
		const struct cmd_entry *c = &cmds[i];

		if (_IOC_NR(c->ioctl) != c->nr || _IOC_TYPE(c->ioctl) != 0x3b ||
		    _IOC_SIZE(c->ioctl) != 0 || _IOC_DIR(c->ioctl) != _IOC_NONE)
			FAIL("%s = %#lx does not decode to _IO(';', %#x)",
			     c->name, c->ioctl, c->nr);
		ASSERT_U64_EQ(c->ioctl, _IO(';', c->nr));
#if _IOC_NONE == 0 && _IOC_NRSHIFT == 0 && _IOC_TYPESHIFT == 8
		/* x86, arm64, riscv: the number is just 0x3b00 | nr */
		if (c->ioctl != (0x3b00UL | c->nr))
			FAIL("%s = %#lx, expected %#lx", c->name, c->ioctl,
			     0x3b00UL | c->nr);
#endif
	}
}

TEST(ioctl_literals)
{
#if _IOC_NONE == 0 && _IOC_NRSHIFT == 0 && _IOC_TYPESHIFT == 8
	ASSERT_U64_EQ(IOMMU_DESTROY, 0x3b80);
	ASSERT_U64_EQ(IOMMU_IOAS_MAP, 0x3b85);
	ASSERT_U64_EQ(IOMMU_IOAS_UNMAP, 0x3b86);
	ASSERT_U64_EQ(IOMMU_IOAS_MAP_FILE, 0x3b8f);
	ASSERT_U64_EQ(IOMMU_IOAS_CHANGE_PROCESS, 0x3b92);
	ASSERT_U64_EQ(IOMMU_VEVENTQ_ALLOC, 0x3b93);
	ASSERT_U64_EQ(IOMMU_HW_QUEUE_ALLOC, 0x3b94);
	ASSERT_U64_EQ(IOMMU_TEST_CMD, 0x3ba0);
#else
	SKIP("ioctl encoding of this architecture is not asm-generic");
#endif
}

TEST(ioctl_numbers_dense_and_unique)
{
	size_t i, j;

	/* The real commands are 0x80..0x94 in order, with no gaps. */
	for (i = 0; i + 1 < NCMDS; i++) {
		if (cmds[i].ioctl == IOMMU_TEST_CMD)
			continue;
		ASSERT_EQ(cmds[i].nr, IOMMUFD_CMD_BASE + i);
	}
	ASSERT_EQ(IOMMUFD_CMD_HW_QUEUE_ALLOC, 0x94);
	for (i = 0; i < NCMDS; i++)
		for (j = i + 1; j < NCMDS; j++)
			ASSERT_NE(cmds[i].ioctl, cmds[j].ioctl);
}

TEST(struct_sizes)
{
	size_t i;

	ASSERT_EQ(sizeof(sizes) / sizeof(sizes[0]), NCMDS);
	for (i = 0; i < NCMDS; i++) {
		const struct cmd_entry *c = &cmds[i];

		ASSERT_TRUE(!strcmp(c->name, sizes[i].name));
		if (c->size != sizes[i].size ||
		    c->min_size != sizes[i].min_size)
			FAIL("%s: size %zu min %zu, expected %zu min %zu",
			     c->name, c->size, c->min_size, sizes[i].size,
			     sizes[i].min_size);
		ASSERT_LE(c->min_size, c->size);
		/* @size is always the first u32 */
		ASSERT_GE(c->min_size, 8);
	}
	ASSERT_EQ(offsetof(struct iommu_ioas_map, size), 0);
	ASSERT_EQ(offsetof(struct iommu_ioas_map, iova), 32);
	ASSERT_EQ(offsetof(struct iommu_ioas_map_file, fd), 12);
	ASSERT_EQ(offsetof(struct iommu_hw_info, out_capabilities), 32);
	ASSERT_EQ(sizeof(struct iommu_iova_range), 16);
	ASSERT_EQ(sizeof(struct iommu_hwpt_vtd_s1), 24);
	ASSERT_EQ(sizeof(struct iommu_hwpt_arm_smmuv3), 16);
	ASSERT_EQ(sizeof(struct iommu_hw_info_arm_smmuv3), 40);
	ASSERT_EQ(sizeof(struct iommu_hwpt_pgfault), 40);
	ASSERT_EQ(sizeof(struct iommufd_vevent_header), 8);
	ASSERT_EQ(sizeof(struct iommu_vevent_arm_smmuv3), 32);
}

TEST(selftest_layout)
{
	ASSERT_EQ(sizeof(struct iommu_test_cmd), 72);
	ASSERT_EQ(offsetof(struct iommu_test_cmd, last), 64);
	ASSERT_EQ(offsetof(struct iommu_test_cmd, add_reserved.start), 16);
	ASSERT_EQ(offsetof(struct iommu_test_cmd, access_pages.uptr), 40);
	ASSERT_EQ(offsetof(struct iommu_test_cmd, dirty.out_nr_dirty), 56);
	ASSERT_EQ(offsetof(struct iommu_test_cmd, trigger_iopf.addr), 32);
	ASSERT_EQ(sizeof(struct iommu_test_hw_info), 8);
	ASSERT_EQ(sizeof(struct iommu_hwpt_selftest), 4);
	ASSERT_EQ(sizeof(struct iommu_hwpt_invalidate_selftest), 8);
	ASSERT_EQ(sizeof(struct iommu_viommu_selftest), 24);
	ASSERT_EQ(sizeof(struct iommu_viommu_invalidate_selftest), 12);
	ASSERT_EQ(sizeof(struct iommu_viommu_event_selftest), 4);
}

TEST(selftest_values)
{
	ASSERT_EQ(IOMMU_TEST_OP_ADD_RESERVED, 1);
	ASSERT_EQ(IOMMU_TEST_OP_MOCK_DOMAIN, 2);
	ASSERT_EQ(IOMMU_TEST_OP_MD_CHECK_MAP, 3);
	ASSERT_EQ(IOMMU_TEST_OP_MD_CHECK_REFS, 4);
	ASSERT_EQ(IOMMU_TEST_OP_CREATE_ACCESS, 5);
	ASSERT_EQ(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, 6);
	ASSERT_EQ(IOMMU_TEST_OP_ACCESS_PAGES, 7);
	ASSERT_EQ(IOMMU_TEST_OP_ACCESS_RW, 8);
	ASSERT_EQ(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 9);
	ASSERT_EQ(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, 10);
	ASSERT_EQ(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, 11);
	ASSERT_EQ(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, 12);
	ASSERT_EQ(IOMMU_TEST_OP_DIRTY, 13);
	ASSERT_EQ(IOMMU_TEST_OP_MD_CHECK_IOTLB, 14);
	ASSERT_EQ(IOMMU_TEST_OP_TRIGGER_IOPF, 15);
	ASSERT_EQ(IOMMU_TEST_OP_DEV_CHECK_CACHE, 16);
	ASSERT_EQ(IOMMU_TEST_OP_TRIGGER_VEVENT, 17);
	ASSERT_EQ(IOMMU_TEST_OP_PASID_ATTACH, 18);
	ASSERT_EQ(IOMMU_TEST_OP_PASID_REPLACE, 19);
	ASSERT_EQ(IOMMU_TEST_OP_PASID_DETACH, 20);
	ASSERT_EQ(IOMMU_TEST_OP_PASID_CHECK_HWPT, 21);

	ASSERT_U64_EQ(MOCK_APERTURE_START, 0x1000000);
	ASSERT_U64_EQ(MOCK_APERTURE_LAST, 0x7fffffff);
	ASSERT_EQ(MOCK_FLAGS_ACCESS_SYZ, 0x10000);
	ASSERT_EQ(MOCK_ACCESS_RW_SLOW_PATH, 4);
	ASSERT_EQ(MOCK_FLAGS_DEVICE_PASID, 4);
	ASSERT_EQ(MOCK_NESTED_DOMAIN_IOTLB_NUM, 4);
	ASSERT_EQ(MOCK_PASID_WIDTH, 20);
	ASSERT_U64_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, 0xfeedbeef);
	ASSERT_U64_EQ(IOMMU_HWPT_DATA_SELFTEST, 0xdead);
	ASSERT_U64_EQ(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0xdeadbeef);
	ASSERT_U64_EQ(IOMMU_VEVENTQ_TYPE_SELFTEST, 0xbeefbeef);
	ASSERT_U64_EQ(IOMMU_HW_QUEUE_TYPE_SELFTEST, 0xdeadbeef);
}

TEST(uapi_enum_values)
{
	ASSERT_EQ(IOMMU_IOAS_MAP_FIXED_IOVA, 1);
	ASSERT_EQ(IOMMU_IOAS_MAP_WRITEABLE, 2);
	ASSERT_EQ(IOMMU_IOAS_MAP_READABLE, 4);
	ASSERT_EQ(IOMMU_OPTION_RLIMIT_MODE, 0);
	ASSERT_EQ(IOMMU_OPTION_HUGE_PAGES, 1);
	ASSERT_EQ(IOMMU_OPTION_OP_GET, 1);
	ASSERT_EQ(IOMMU_VFIO_IOAS_CLEAR, 2);
	ASSERT_EQ(IOMMU_HWPT_ALLOC_PASID, 8);
	ASSERT_EQ(IOMMU_HWPT_DATA_ARM_SMMUV3, 2);
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, 3);
	ASSERT_EQ(IOMMU_HW_CAP_PCI_PASID_PRIV, 4);
	ASSERT_EQ(IOMMU_HW_INFO_FLAG_INPUT_TYPE, 1);
	ASSERT_EQ(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 1);
	ASSERT_EQ(IOMMU_PGFAULT_PERM_PRIV, 8);
	ASSERT_EQ(IOMMUFD_PAGE_RESP_INVALID, 1);
	ASSERT_EQ(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, 2);
	ASSERT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 1);
	ASSERT_EQ(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, 2);
	ASSERT_EQ(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 1);
}

/* The numbers go through libc's ioctl() unchanged; /dev/null knows none. */
TEST(ioctl_via_libc)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = 0 };
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_SYS(fd);
	ASSERT_ERRNO(ENOTTY, ioctl(fd, IOMMU_DESTROY, &d));
	close(fd);
}

TEST(system_header_is_noop)
{
#ifdef HAVE_SYSTEM_IOMMUFD_H
	/* Still our definitions: the body of <linux/iommufd.h> was skipped. */
	ASSERT_EQ(sizeof(struct iommu_hw_queue_alloc), 40);
#else
	SKIP("no <linux/iommufd.h> on this system");
#endif
}

TEST_MAIN()
