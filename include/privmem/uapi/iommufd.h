/* SPDX-License-Identifier: MIT */
/*
 * privmem's own copy of the Linux iommufd uAPI (/dev/iommu).
 *
 * Values and layouts follow include/uapi/linux/iommufd.h as of Linux 6.18;
 * the text here is ours.  Debian 12 ships 6.1 kernel headers, which have no
 * <linux/iommufd.h> at all, so the project carries these definitions.
 *
 * Include guards: the kernel source tree spells the guard _UAPI_IOMMUFD_H,
 * "make headers_install" rewrites it to _IOMMUFD_H.  We define both, so a
 * <linux/iommufd.h> from a newer system included after this file is a
 * no-op.  If a system <linux/iommufd.h> was included first, the body here
 * is skipped and that header's (possibly older) definitions win.
 *
 * Conventions shared by every command (see also docs in the kernel):
 *  - each argument struct starts with __u32 size = sizeof(struct);
 *  - size below the command's minimum (offsetofend of its last field in
 *    the first version of the struct) fails with EINVAL; non-zero bytes
 *    past the struct the kernel knows fail with E2BIG;
 *  - unknown ioctl number: ENOTTY; unsupported flag or non-zero
 *    __reserved: EOPNOTSUPP; bad field: EINVAL; unknown ID or IOVA:
 *    ENOENT; out of memory: ENOMEM; arithmetic overflow: EOVERFLOW.
 *  - object IDs are never 0.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Compile-time layout checks that work in C11 and C++11; also used by
 * iommufd_test.h.
 */
#ifndef PRIVMEM_UAPI_ASSERT
#ifdef __cplusplus
#define PRIVMEM_UAPI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define PRIVMEM_UAPI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#endif
#ifndef PRIVMEM_UAPI_OFFSETOF
#define PRIVMEM_UAPI_OFFSETOF(type, member) __builtin_offsetof(type, member)
#define PRIVMEM_UAPI_OFFSETOFEND(type, member) \
	(PRIVMEM_UAPI_OFFSETOF(type, member) + sizeof(((type *)0)->member))
#define PRIVMEM_UAPI_LAYOUT(type, sz) \
	PRIVMEM_UAPI_ASSERT(sizeof(type) == (sz), "sizeof(" #type ")")
#define PRIVMEM_UAPI_OFF(type, member, off)                               \
	PRIVMEM_UAPI_ASSERT(PRIVMEM_UAPI_OFFSETOF(type, member) == (off), \
			    "offsetof(" #type ", " #member ")")
#define PRIVMEM_UAPI_MIN(type, member, sz)                                  \
	PRIVMEM_UAPI_ASSERT(PRIVMEM_UAPI_OFFSETOFEND(type, member) == (sz), \
			    "min size of " #type)
/* An iommufd ioctl: type ';', no direction, no size, number @nr. */
#define PRIVMEM_UAPI_CMD(ioctl, nr)                                            \
	PRIVMEM_UAPI_ASSERT(                                                   \
		_IOC_NR(ioctl) == (nr) && _IOC_TYPE(ioctl) == 0x3b &&          \
			_IOC_SIZE(ioctl) == 0 && _IOC_DIR(ioctl) == _IOC_NONE, \
		"ioctl fields of " #ioctl)
#endif

#ifndef _IOMMUFD_H
#define _IOMMUFD_H

#define IOMMUFD_TYPE (';')

/* Command numbers; every ioctl is _IO(IOMMUFD_TYPE, nr), no size bits. */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
};

/* IOMMU_DESTROY: drop object @id (EBUSY while other objects use it). */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* IOMMU_IOAS_ALLOC: new, empty IO address space; flags must be 0. */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* Inclusive IOVA interval [start, last]. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/*
 * IOMMU_IOAS_IOVA_RANGES: report the usable IOVA ranges of an IOAS into the
 * user array @allowed_iovas (@num_iovas entries).  @num_iovas returns the
 * total; if the array was too short the call fails with EMSGSIZE after
 * writing back the count.  @out_iova_alignment is the required alignment of
 * map/copy IOVAs and lengths.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/*
 * IOMMU_IOAS_ALLOW_IOVAS: replace the list of IOVA ranges that must stay
 * usable (and that automatic IOVA allocation is limited to).  EADDRINUSE
 * if a range already collides with a reserved region.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/* Flags for IOAS_MAP, IOAS_MAP_FILE and IOAS_COPY. */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0, /* use @iova as given */
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1, /* device may write */
	IOMMU_IOAS_MAP_READABLE = 1 << 2, /* device may read */
};

/*
 * IOMMU_IOAS_MAP: map @length bytes of user memory at @user_va.  Without
 * FIXED_IOVA the kernel picks the IOVA and returns it in @iova; with it the
 * range must be free (EEXIST on overlap).
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/* IOMMU_IOAS_MAP_FILE: like IOAS_MAP, source is (@fd, byte offset @start). */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/*
 * IOMMU_IOAS_COPY: map into @dst_ioas_id the pages already mapped at
 * [@src_iova, +@length) of @src_ioas_id, sharing the pinned pages.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/*
 * IOMMU_IOAS_UNMAP: remove whole mappings inside [@iova, +@length); a
 * mapping only partly covered gives ENOENT.  iova 0 with length U64_MAX
 * unmaps everything.  @length returns the number of bytes unmapped.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/*
 * IOMMU_OPTION ids: RLIMIT_MODE is global (object_id 0), HUGE_PAGES is per
 * IOAS (object_id = IOAS ID).
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/* IOMMU_OPTION: get or set option @option_id of @object_id via @val64. */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/* IOMMU_VFIO_IOAS: query or choose the IOAS used by the VFIO type1 shim. */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* Flags for IOMMU_HWPT_ALLOC; PASID gives EOPNOTSUPP without IOMMU support. */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

/* Intel VT-d stage-1 page table entry attribute bits. */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/* HWPT data for IOMMU_HWPT_DATA_VTD_S1. */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/* HWPT data for IOMMU_HWPT_DATA_ARM_SMMUV3: first two STE words, LE. */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

/*
 * IOMMU_HWPT_ALLOC: allocate a hardware page table for @dev_id on top of
 * @pt_id (an IOAS, a nesting parent HWPT or a vIOMMU).  With data type
 * NONE, @data_len and @data_uptr must be 0.  @fault_id is read only when
 * IOMMU_HWPT_FAULT_ID_VALID is set.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/* IOMMU_HW_INFO_TYPE_INTEL_VTD payload: raw CAP and ECAP registers. */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/* IOMMU_HW_INFO_TYPE_ARM_SMMUV3 payload: raw IDR0-5, IIDR and AIDR. */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/* IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV payload. */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;
	__u8 version;
	__u8 log2vcmdqs;
	__u8 log2vsids;
	__u8 __reserved;
};

/* NONE (output) and DEFAULT (input) share the value 0. */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
};

/* Bits of iommu_hw_info.out_capabilities. */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0, /* @in_data_type is valid */
};

/*
 * IOMMU_GET_HW_INFO: copy at most @data_len bytes of driver-specific data
 * for @dev_id to @data_uptr (a longer user buffer gets a zeroed tail);
 * @data_len returns the driver's length.  @in_data_type and
 * @out_data_type share storage.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/* IOMMU_HWPT_SET_DIRTY_TRACKING: switch dirty tracking of @hwpt_id on/off. */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP: one bit per @page_size of [@iova, +@length)
 * into the u64 array at @data; bit n is word n / 64, bit n % 64.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/* One VT-d stage-1 invalidation request (4 KiB pages). */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/* One SMMUv3 command-queue invalidation command, 128 bits LE. */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/*
 * IOMMU_HWPT_INVALIDATE: pass @entry_num requests of @entry_len bytes each
 * to a nested HWPT or vIOMMU.  @entry_num returns how many were handled;
 * @entry_num == 0 only probes whether @data_type is supported.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),
};

enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/* Page fault record read() from a fault queue fd. */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/* Response write() to a fault queue fd; @cookie comes from the fault. */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/* IOMMU_FAULT_QUEUE_ALLOC: new fault object and its fd; flags must be 0. */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/* IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV output: mmap window of VINTF page 0. */
struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};

/*
 * IOMMU_VIOMMU_ALLOC: virtual IOMMU of @type backed by @dev_id's IOMMU over
 * the nesting parent @hwpt_id; optional type data at @data_uptr.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/* IOMMU_VDEVICE_ALLOC: give @dev_id the guest-visible ID @virt_id. */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/*
 * IOMMU_IOAS_CHANGE_PROCESS: move the pinned-page accounting of every map
 * to the calling process.  EINVAL unless all maps came from IOAS_MAP_FILE;
 * on failure nothing changes.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};
#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),
};

/* Header before each vEVENT read() from a vEVENTQ fd. */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};

enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/* SMMUv3 event record, 256 bits LE. */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/* Tegra241 CMDQV logical VCMDQ error map, 128 bits LE. */
struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};

/* IOMMU_VEVENTQ_ALLOC: event queue of @type on @viommu_id, plus its fd. */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

/*
 * IOMMU_HW_QUEUE_ALLOC: hardware-accelerated queue @index of @type on a
 * vIOMMU, reading guest memory [@nesting_parent_iova, +@length).
 */
struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

/*
 * Layout checks.  A command's minimum accepted @size is the end of its last
 * field in the first version of the struct (the kernel's min_size).
 */
/* Argument structs of the commands: size, first and last (min_size) field. */
PRIVMEM_UAPI_LAYOUT(struct iommu_destroy, 8);
PRIVMEM_UAPI_OFF(struct iommu_destroy, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_destroy, id, 4);

PRIVMEM_UAPI_LAYOUT(struct iommu_ioas_alloc, 12);
PRIVMEM_UAPI_OFF(struct iommu_ioas_alloc, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_ioas_alloc, flags, 4);
PRIVMEM_UAPI_OFF(struct iommu_ioas_alloc, out_ioas_id, 8);

PRIVMEM_UAPI_LAYOUT(struct iommu_ioas_allow_iovas, 24);
PRIVMEM_UAPI_OFF(struct iommu_ioas_allow_iovas, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_ioas_allow_iovas, num_iovas, 8);
PRIVMEM_UAPI_OFF(struct iommu_ioas_allow_iovas, allowed_iovas, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_ioas_copy, 40);
PRIVMEM_UAPI_OFF(struct iommu_ioas_copy, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_ioas_copy, src_ioas_id, 12);
PRIVMEM_UAPI_OFF(struct iommu_ioas_copy, length, 16);
PRIVMEM_UAPI_OFF(struct iommu_ioas_copy, dst_iova, 24);
PRIVMEM_UAPI_OFF(struct iommu_ioas_copy, src_iova, 32);

PRIVMEM_UAPI_LAYOUT(struct iommu_ioas_iova_ranges, 32);
PRIVMEM_UAPI_OFF(struct iommu_ioas_iova_ranges, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_ioas_iova_ranges, num_iovas, 8);
PRIVMEM_UAPI_OFF(struct iommu_ioas_iova_ranges, allowed_iovas, 16);
PRIVMEM_UAPI_OFF(struct iommu_ioas_iova_ranges, out_iova_alignment, 24);

PRIVMEM_UAPI_LAYOUT(struct iommu_ioas_map, 40);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map, __reserved, 12);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map, user_va, 16);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map, length, 24);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map, iova, 32);

PRIVMEM_UAPI_LAYOUT(struct iommu_ioas_unmap, 24);
PRIVMEM_UAPI_OFF(struct iommu_ioas_unmap, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_ioas_unmap, iova, 8);
PRIVMEM_UAPI_OFF(struct iommu_ioas_unmap, length, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_option, 24);
PRIVMEM_UAPI_OFF(struct iommu_option, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_option, op, 8);
PRIVMEM_UAPI_OFF(struct iommu_option, __reserved, 10);
PRIVMEM_UAPI_OFF(struct iommu_option, object_id, 12);
PRIVMEM_UAPI_OFF(struct iommu_option, val64, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_vfio_ioas, 12);
PRIVMEM_UAPI_OFF(struct iommu_vfio_ioas, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_vfio_ioas, op, 8);
PRIVMEM_UAPI_OFF(struct iommu_vfio_ioas, __reserved, 10);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_alloc, 48);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_alloc, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_alloc, out_hwpt_id, 16);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_alloc, __reserved, 20);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_alloc, data_type, 24);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_alloc, data_uptr, 32);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_alloc, fault_id, 40);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_alloc, __reserved2, 44);

PRIVMEM_UAPI_LAYOUT(struct iommu_hw_info, 40);
PRIVMEM_UAPI_OFF(struct iommu_hw_info, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_hw_info, data_uptr, 16);
PRIVMEM_UAPI_OFF(struct iommu_hw_info, in_data_type, 24);
PRIVMEM_UAPI_OFF(struct iommu_hw_info, out_data_type, 24);
PRIVMEM_UAPI_OFF(struct iommu_hw_info, out_max_pasid_log2, 28);
PRIVMEM_UAPI_OFF(struct iommu_hw_info, __reserved, 29);
PRIVMEM_UAPI_OFF(struct iommu_hw_info, out_capabilities, 32);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_set_dirty_tracking, 16);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_set_dirty_tracking, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_set_dirty_tracking, __reserved, 12);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_get_dirty_bitmap, 48);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_get_dirty_bitmap, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_get_dirty_bitmap, flags, 8);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_get_dirty_bitmap, iova, 16);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_get_dirty_bitmap, page_size, 32);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_get_dirty_bitmap, data, 40);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_invalidate, 32);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_invalidate, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_invalidate, data_uptr, 8);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_invalidate, data_type, 16);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_invalidate, entry_num, 24);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_invalidate, __reserved, 28);

PRIVMEM_UAPI_LAYOUT(struct iommu_fault_alloc, 16);
PRIVMEM_UAPI_OFF(struct iommu_fault_alloc, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_fault_alloc, out_fault_id, 8);
PRIVMEM_UAPI_OFF(struct iommu_fault_alloc, out_fault_fd, 12);

PRIVMEM_UAPI_LAYOUT(struct iommu_ioas_map_file, 40);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map_file, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map_file, fd, 12);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map_file, start, 16);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map_file, length, 24);
PRIVMEM_UAPI_OFF(struct iommu_ioas_map_file, iova, 32);

PRIVMEM_UAPI_LAYOUT(struct iommu_viommu_alloc, 40);
PRIVMEM_UAPI_OFF(struct iommu_viommu_alloc, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_viommu_alloc, hwpt_id, 16);
PRIVMEM_UAPI_OFF(struct iommu_viommu_alloc, out_viommu_id, 20);
PRIVMEM_UAPI_OFF(struct iommu_viommu_alloc, data_len, 24);
PRIVMEM_UAPI_OFF(struct iommu_viommu_alloc, data_uptr, 32);

PRIVMEM_UAPI_LAYOUT(struct iommu_vdevice_alloc, 24);
PRIVMEM_UAPI_OFF(struct iommu_vdevice_alloc, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_vdevice_alloc, out_vdevice_id, 12);
PRIVMEM_UAPI_OFF(struct iommu_vdevice_alloc, virt_id, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_ioas_change_process, 8);
PRIVMEM_UAPI_OFF(struct iommu_ioas_change_process, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_ioas_change_process, __reserved, 4);

PRIVMEM_UAPI_LAYOUT(struct iommu_veventq_alloc, 32);
PRIVMEM_UAPI_OFF(struct iommu_veventq_alloc, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_veventq_alloc, veventq_depth, 16);
PRIVMEM_UAPI_OFF(struct iommu_veventq_alloc, out_veventq_id, 20);
PRIVMEM_UAPI_OFF(struct iommu_veventq_alloc, out_veventq_fd, 24);
PRIVMEM_UAPI_OFF(struct iommu_veventq_alloc, __reserved, 28);

PRIVMEM_UAPI_LAYOUT(struct iommu_hw_queue_alloc, 40);
PRIVMEM_UAPI_OFF(struct iommu_hw_queue_alloc, size, 0);
PRIVMEM_UAPI_OFF(struct iommu_hw_queue_alloc, index, 16);
PRIVMEM_UAPI_OFF(struct iommu_hw_queue_alloc, out_hw_queue_id, 20);
PRIVMEM_UAPI_OFF(struct iommu_hw_queue_alloc, nesting_parent_iova, 24);
PRIVMEM_UAPI_OFF(struct iommu_hw_queue_alloc, length, 32);

/* Minimum sizes the kernel accepts (its per-command "last field"). */
PRIVMEM_UAPI_MIN(struct iommu_destroy, id, 8);
PRIVMEM_UAPI_MIN(struct iommu_ioas_alloc, out_ioas_id, 12);
PRIVMEM_UAPI_MIN(struct iommu_ioas_allow_iovas, allowed_iovas, 24);
PRIVMEM_UAPI_MIN(struct iommu_ioas_copy, src_iova, 40);
PRIVMEM_UAPI_MIN(struct iommu_ioas_iova_ranges, out_iova_alignment, 32);
PRIVMEM_UAPI_MIN(struct iommu_ioas_map, iova, 40);
PRIVMEM_UAPI_MIN(struct iommu_ioas_unmap, length, 24);
PRIVMEM_UAPI_MIN(struct iommu_option, val64, 24);
PRIVMEM_UAPI_MIN(struct iommu_vfio_ioas, __reserved, 12);
PRIVMEM_UAPI_MIN(struct iommu_hwpt_alloc, __reserved, 24);
PRIVMEM_UAPI_MIN(struct iommu_hw_info, __reserved, 32);
PRIVMEM_UAPI_MIN(struct iommu_hwpt_set_dirty_tracking, __reserved, 16);
PRIVMEM_UAPI_MIN(struct iommu_hwpt_get_dirty_bitmap, data, 48);
PRIVMEM_UAPI_MIN(struct iommu_hwpt_invalidate, __reserved, 32);
PRIVMEM_UAPI_MIN(struct iommu_fault_alloc, out_fault_fd, 16);
PRIVMEM_UAPI_MIN(struct iommu_ioas_map_file, iova, 40);
PRIVMEM_UAPI_MIN(struct iommu_viommu_alloc, out_viommu_id, 24);
PRIVMEM_UAPI_MIN(struct iommu_vdevice_alloc, virt_id, 24);
PRIVMEM_UAPI_MIN(struct iommu_ioas_change_process, __reserved, 8);
PRIVMEM_UAPI_MIN(struct iommu_veventq_alloc, out_veventq_fd, 28);
PRIVMEM_UAPI_MIN(struct iommu_hw_queue_alloc, length, 40);

/* Payload and record structs. */
PRIVMEM_UAPI_LAYOUT(struct iommu_iova_range, 16);
PRIVMEM_UAPI_OFF(struct iommu_iova_range, last, 8);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_vtd_s1, 24);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_vtd_s1, pgtbl_addr, 8);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_vtd_s1, addr_width, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_arm_smmuv3, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_hw_info_vtd, 24);
PRIVMEM_UAPI_OFF(struct iommu_hw_info_vtd, cap_reg, 8);
PRIVMEM_UAPI_OFF(struct iommu_hw_info_vtd, ecap_reg, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_hw_info_arm_smmuv3, 40);
PRIVMEM_UAPI_OFF(struct iommu_hw_info_arm_smmuv3, idr, 8);
PRIVMEM_UAPI_OFF(struct iommu_hw_info_arm_smmuv3, iidr, 32);
PRIVMEM_UAPI_OFF(struct iommu_hw_info_arm_smmuv3, aidr, 36);

PRIVMEM_UAPI_LAYOUT(struct iommu_hw_info_tegra241_cmdqv, 8);
PRIVMEM_UAPI_OFF(struct iommu_hw_info_tegra241_cmdqv, version, 4);
PRIVMEM_UAPI_OFF(struct iommu_hw_info_tegra241_cmdqv, __reserved, 7);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_vtd_s1_invalidate, 24);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_vtd_s1_invalidate, npages, 8);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_vtd_s1_invalidate, flags, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_viommu_arm_smmuv3_invalidate, 16);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_pgfault, 40);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_pgfault, perm, 16);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_pgfault, __reserved, 20);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_pgfault, addr, 24);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_pgfault, length, 32);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_pgfault, cookie, 36);

PRIVMEM_UAPI_LAYOUT(struct iommu_hwpt_page_response, 8);
PRIVMEM_UAPI_OFF(struct iommu_hwpt_page_response, code, 4);

PRIVMEM_UAPI_LAYOUT(struct iommu_viommu_tegra241_cmdqv, 16);
PRIVMEM_UAPI_OFF(struct iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8);

PRIVMEM_UAPI_LAYOUT(struct iommufd_vevent_header, 8);
PRIVMEM_UAPI_OFF(struct iommufd_vevent_header, sequence, 4);

PRIVMEM_UAPI_LAYOUT(struct iommu_vevent_arm_smmuv3, 32);
PRIVMEM_UAPI_LAYOUT(struct iommu_vevent_tegra241_cmdqv, 16);

/*
 * Command numbers.  The decoded fields hold on every architecture; the
 * literal values (0x3b00 | nr) hold where _IOC_NONE is 0 and the number
 * field comes first (asm-generic layout: x86, arm, arm64, riscv, ...).
 */
PRIVMEM_UAPI_CMD(IOMMU_DESTROY, 0x80);
PRIVMEM_UAPI_CMD(IOMMU_IOAS_ALLOC, 0x81);
PRIVMEM_UAPI_CMD(IOMMU_IOAS_ALLOW_IOVAS, 0x82);
PRIVMEM_UAPI_CMD(IOMMU_IOAS_COPY, 0x83);
PRIVMEM_UAPI_CMD(IOMMU_IOAS_IOVA_RANGES, 0x84);
PRIVMEM_UAPI_CMD(IOMMU_IOAS_MAP, 0x85);
PRIVMEM_UAPI_CMD(IOMMU_IOAS_UNMAP, 0x86);
PRIVMEM_UAPI_CMD(IOMMU_OPTION, 0x87);
PRIVMEM_UAPI_CMD(IOMMU_VFIO_IOAS, 0x88);
PRIVMEM_UAPI_CMD(IOMMU_HWPT_ALLOC, 0x89);
PRIVMEM_UAPI_CMD(IOMMU_GET_HW_INFO, 0x8a);
PRIVMEM_UAPI_CMD(IOMMU_HWPT_SET_DIRTY_TRACKING, 0x8b);
PRIVMEM_UAPI_CMD(IOMMU_HWPT_GET_DIRTY_BITMAP, 0x8c);
PRIVMEM_UAPI_CMD(IOMMU_HWPT_INVALIDATE, 0x8d);
PRIVMEM_UAPI_CMD(IOMMU_FAULT_QUEUE_ALLOC, 0x8e);
PRIVMEM_UAPI_CMD(IOMMU_IOAS_MAP_FILE, 0x8f);
PRIVMEM_UAPI_CMD(IOMMU_VIOMMU_ALLOC, 0x90);
PRIVMEM_UAPI_CMD(IOMMU_VDEVICE_ALLOC, 0x91);
PRIVMEM_UAPI_CMD(IOMMU_IOAS_CHANGE_PROCESS, 0x92);
PRIVMEM_UAPI_CMD(IOMMU_VEVENTQ_ALLOC, 0x93);
PRIVMEM_UAPI_CMD(IOMMU_HW_QUEUE_ALLOC, 0x94);

#if _IOC_NONE == 0 && _IOC_NRSHIFT == 0 && _IOC_TYPESHIFT == 8
#define PRIVMEM_UAPI_NUM(ioctl, val) \
	PRIVMEM_UAPI_ASSERT((ioctl) == (val), "value of " #ioctl)
PRIVMEM_UAPI_NUM(IOMMU_DESTROY, 0x3b80);
PRIVMEM_UAPI_NUM(IOMMU_IOAS_ALLOC, 0x3b81);
PRIVMEM_UAPI_NUM(IOMMU_IOAS_ALLOW_IOVAS, 0x3b82);
PRIVMEM_UAPI_NUM(IOMMU_IOAS_COPY, 0x3b83);
PRIVMEM_UAPI_NUM(IOMMU_IOAS_IOVA_RANGES, 0x3b84);
PRIVMEM_UAPI_NUM(IOMMU_IOAS_MAP, 0x3b85);
PRIVMEM_UAPI_NUM(IOMMU_IOAS_UNMAP, 0x3b86);
PRIVMEM_UAPI_NUM(IOMMU_OPTION, 0x3b87);
PRIVMEM_UAPI_NUM(IOMMU_VFIO_IOAS, 0x3b88);
PRIVMEM_UAPI_NUM(IOMMU_HWPT_ALLOC, 0x3b89);
PRIVMEM_UAPI_NUM(IOMMU_GET_HW_INFO, 0x3b8a);
PRIVMEM_UAPI_NUM(IOMMU_HWPT_SET_DIRTY_TRACKING, 0x3b8b);
PRIVMEM_UAPI_NUM(IOMMU_HWPT_GET_DIRTY_BITMAP, 0x3b8c);
PRIVMEM_UAPI_NUM(IOMMU_HWPT_INVALIDATE, 0x3b8d);
PRIVMEM_UAPI_NUM(IOMMU_FAULT_QUEUE_ALLOC, 0x3b8e);
PRIVMEM_UAPI_NUM(IOMMU_IOAS_MAP_FILE, 0x3b8f);
PRIVMEM_UAPI_NUM(IOMMU_VIOMMU_ALLOC, 0x3b90);
PRIVMEM_UAPI_NUM(IOMMU_VDEVICE_ALLOC, 0x3b91);
PRIVMEM_UAPI_NUM(IOMMU_IOAS_CHANGE_PROCESS, 0x3b92);
PRIVMEM_UAPI_NUM(IOMMU_VEVENTQ_ALLOC, 0x3b93);
PRIVMEM_UAPI_NUM(IOMMU_HW_QUEUE_ALLOC, 0x3b94);
#endif

#endif /* _IOMMUFD_H */
#endif /* _UAPI_IOMMUFD_H */
