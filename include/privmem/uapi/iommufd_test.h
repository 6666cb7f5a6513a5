/* SPDX-License-Identifier: MIT */
/*
 * privmem's copy of the iommufd selftest interface (IOMMU_TEST_CMD and the
 * mock driver's data types), as in drivers/iommu/iommufd/iommufd_test.h of
 * Linux 6.18.  In Linux this header is internal to the selftests; the
 * values and layouts are kept identical so that the kernel selftests and
 * privmem's mock driver agree.  The text is ours.
 *
 * IOMMU_TEST_CMD exists only in kernels built with CONFIG_IOMMUFD_TEST.
 * Unlike the other commands, struct iommu_test_cmd has a fixed shape: the
 * minimum @size runs to the end of @last, so every op sends the full union.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/types.h>
#include "iommufd.h"

/* Ops of IOMMU_TEST_CMD, numbered from 1. */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN, /* 2 */
	IOMMU_TEST_OP_MD_CHECK_MAP, /* 3 */
	IOMMU_TEST_OP_MD_CHECK_REFS, /* 4 */
	IOMMU_TEST_OP_CREATE_ACCESS, /* 5 */
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, /* 6 */
	IOMMU_TEST_OP_ACCESS_PAGES, /* 7 */
	IOMMU_TEST_OP_ACCESS_RW, /* 8 */
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, /* 9 */
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, /* 10 */
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, /* 11 */
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, /* 12 */
	IOMMU_TEST_OP_DIRTY, /* 13 */
	IOMMU_TEST_OP_MD_CHECK_IOTLB, /* 14 */
	IOMMU_TEST_OP_TRIGGER_IOPF, /* 15 */
	IOMMU_TEST_OP_DEV_CHECK_CACHE, /* 16 */
	IOMMU_TEST_OP_TRIGGER_VEVENT, /* 17 */
	IOMMU_TEST_OP_PASID_ATTACH, /* 18 */
	IOMMU_TEST_OP_PASID_REPLACE, /* 19 */
	IOMMU_TEST_OP_PASID_DETACH, /* 20 */
	IOMMU_TEST_OP_PASID_CHECK_HWPT, /* 21 */
};

/* IOVA window of a mock domain: [16 MiB, 2 GiB - 1]. */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

/* access_pages.flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* access_rw.flags */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* mock_domain_flags.dev_flags */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

/* Per nested mock domain IOTLB slots (check_iotlb.id <= ID_MAX). */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/* Per mock device cache slots (check_dev_cache.id <= ID_MAX). */
enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* PASID kept for the PASID replace test. */
#define IOMMU_TEST_PASID_RESERVED 1024

/*
 * Argument of IOMMU_TEST_CMD.  @op picks one of the union members; @id is
 * the object the op works on (usually an IOAS, HWPT, access or mock
 * device ID).
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		/* ADD_RESERVED: reserve an IOVA range in IOAS @id */
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		/* MOCK_DOMAIN: new mock device bound and attached to @id */
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id; /* iommufd device object */
		} mock_domain;
		/* MOCK_DOMAIN_FLAGS: as MOCK_DOMAIN, plus device flags */
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		/* MOCK_DOMAIN_REPLACE: move mock device @id to @pt_id */
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		/* MD_CHECK_MAP: domain @id maps the IOVA range to @uptr */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		/* MD_CHECK_REFS: pages at @uptr hold @refs extra pins */
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		/* CREATE_ACCESS: in-kernel access on IOAS @id, as an fd */
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		/* DESTROY_ACCESS_PAGES: unpin a previous ACCESS_PAGES */
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		/* ACCESS_PAGES: pin IOVA range through access fd @id */
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		/* ACCESS_RW: copy between IOVA range and @uptr */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		/* SET_TEMP_MEMORY_LIMIT: shrink the kernel's batch buffer */
		struct {
			__u32 limit;
		} memory_limit;
		/* ACCESS_REPLACE_IOAS: move access @id to @ioas_id */
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		/* DIRTY: mark pages dirty in mock domain @id per bitmap */
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		/* MD_CHECK_IOTLB: IOTLB slot @id of nested HWPT holds @iotlb */
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		/* TRIGGER_IOPF: inject a page request from @dev_id */
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		/* DEV_CHECK_CACHE: device cache slot @id holds @cache */
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		/* TRIGGER_VEVENT: raise a vEVENT for @dev_id */
		struct {
			__u32 dev_id;
		} trigger_vevent;
		/* PASID_*: @id is the mock device (stdev) ID */
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* PASID width of the mock device and IOMMU. */
#define MOCK_PASID_WIDTH 20

/* IOMMU_GET_HW_INFO data of a mock device. */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* HWPT data type of a mock nested domain (not a real data type value). */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/* IOMMU_HWPT_DATA_SELFTEST payload: initial value of every IOTLB slot. */
struct iommu_hwpt_selftest {
	__u32 iotlb;
};

/* Invalidation data type of a mock nested HWPT, and a rejected one. */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* flags bit: ignore the index and invalidate every slot */
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)

/* One mock HWPT invalidation request: reset IOTLB slot @iotlb_id. */
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/* Mock vIOMMU data: @out_data echoes @in_data; an mmap window is returned. */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

/* Invalidation data type of a mock vIOMMU, and a rejected one. */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* One mock vIOMMU request: reset cache slot @cache_id of vdevice @vdev_id. */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};

/* vEVENTQ type of the mock vIOMMU; its event carries the virtual ID. */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

/* HW queue type of the mock vIOMMU and its number of queues. */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

/* Layout checks. */
PRIVMEM_UAPI_LAYOUT(struct iommu_test_cmd, 72);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, op, 4);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, id, 8);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, __reserved, 12);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, last, 64);
PRIVMEM_UAPI_MIN(struct iommu_test_cmd, last, 68);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, add_reserved.start, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, add_reserved.length, 24);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, mock_domain.out_stdev_id, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, mock_domain.out_hwpt_id, 20);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, mock_domain.out_idev_id, 24);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, mock_domain_flags.dev_flags, 28);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, mock_domain_replace.pt_id, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_map.iova, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_map.length, 24);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_map.uptr, 32);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_refs.length, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_refs.uptr, 24);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_refs.refs, 32);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, create_access.out_access_fd, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, create_access.flags, 20);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, destroy_access_pages.access_pages_id,
		 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_pages.flags, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_pages.out_access_pages_id, 20);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_pages.iova, 24);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_pages.length, 32);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_pages.uptr, 40);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_rw.iova, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_rw.length, 24);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_rw.uptr, 32);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_rw.flags, 40);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, memory_limit.limit, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, access_replace_ioas.ioas_id, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, dirty.flags, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, dirty.iova, 24);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, dirty.length, 32);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, dirty.page_size, 40);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, dirty.uptr, 48);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, dirty.out_nr_dirty, 56);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_iotlb.id, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_iotlb.iotlb, 20);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, trigger_iopf.dev_id, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, trigger_iopf.perm, 28);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, trigger_iopf.addr, 32);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_dev_cache.id, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, check_dev_cache.cache, 20);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, trigger_vevent.dev_id, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, pasid_attach.pasid, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, pasid_attach.pt_id, 20);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, pasid_replace.pt_id, 20);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, pasid_detach.pasid, 16);
PRIVMEM_UAPI_OFF(struct iommu_test_cmd, pasid_check.hwpt_id, 20);

PRIVMEM_UAPI_LAYOUT(struct iommu_test_hw_info, 8);
PRIVMEM_UAPI_OFF(struct iommu_test_hw_info, test_reg, 4);
PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_selftest, 4);
PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_invalidate_selftest, 8);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_invalidate_selftest, iotlb_id, 4);
PRIVMEM_UAPI_LAYOUT(struct iommu_viommu_selftest, 24);
PRIVMEM_UAPI_OFF(struct iommu_viommu_selftest, out_data, 4);
PRIVMEM_UAPI_OFF(struct iommu_viommu_selftest, out_mmap_offset, 8);
PRIVMEM_UAPI_OFF(struct iommu_viommu_selftest, out_mmap_length, 16);
PRIVMEM_UAPI_LAYOUT(struct iommu_viommu_invalidate_selftest, 12);
PRIVMEM_UAPI_OFF(struct iommu_viommu_invalidate_selftest, vdev_id, 4);
PRIVMEM_UAPI_OFF(struct iommu_viommu_invalidate_selftest, cache_id, 8);
PRIVMEM_UAPI_LAYOUT(struct iommu_viommu_event_selftest, 4);

PRIVMEM_UAPI_ASSERT(IOMMU_TEST_OP_PASID_CHECK_HWPT == 21, "test op numbering");
PRIVMEM_UAPI_CMD(IOMMU_TEST_CMD, 0xa0);
#if _IOC_NONE == 0 && _IOC_NRSHIFT == 0 && _IOC_TYPESHIFT == 8
PRIVMEM_UAPI_ASSERT(IOMMU_TEST_CMD == 0x3ba0, "value of IOMMU_TEST_CMD");
#endif

#endif /* _UAPI_IOMMUFD_TEST_H */
