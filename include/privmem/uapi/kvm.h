/* SPDX-License-Identifier: MIT */
/*
 * The parts of Linux's KVM uAPI (include/uapi/linux/kvm.h,
 * arch/x86/include/uapi/asm/kvm.h and kvm_para.h, as of Linux 6.18) that
 * privmem uses and that Debian 12's 6.1 headers lack: guest_memfd,
 * KVM_SET_USER_MEMORY_REGION2, memory attributes, KVM_EXIT_MEMORY_FAULT,
 * the MAP_GPA_RANGE hypercall and the VM types.
 *
 * It includes the system <linux/kvm.h> and adds each group under a guard on
 * one of its own names, so that it also builds against headers that already
 * carry them. Values and layouts are ABI facts; every struct size is checked
 * at compile time below.
 */
#ifndef PRIVMEM_UAPI_KVM_H
#define PRIVMEM_UAPI_KVM_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>

/* Capabilities (KVM_CHECK_EXTENSION). */
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif
#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES 233 /* returns the attribute mask */
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235 /* returns a mask of 1 << type */
#endif
#ifndef KVM_CAP_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY 236
#endif
#ifndef KVM_CAP_GUEST_MEMFD_FLAGS
#define KVM_CAP_GUEST_MEMFD_FLAGS 244 /* per VM: mask of GUEST_MEMFD_FLAG_* */
#endif

/* x86 VM types (KVM_CREATE_VM argument). */
#ifndef KVM_X86_DEFAULT_VM
#define KVM_X86_DEFAULT_VM 0
#define KVM_X86_SW_PROTECTED_VM 1
#define KVM_X86_SEV_VM 2
#define KVM_X86_SEV_ES_VM 3
#define KVM_X86_SNP_VM 4
#define KVM_X86_TDX_VM 5
#endif

/* Memslots bound to a guest_memfd. */
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD (1UL << 2)
#endif

#ifndef KVM_SET_USER_MEMORY_REGION2
struct kvm_userspace_memory_region2 {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad1;
	__u64 pad2[14];
};
#define KVM_SET_USER_MEMORY_REGION2                                            \
	_IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#endif

#ifndef KVM_CREATE_GUEST_MEMFD
struct kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD                                                 \
	_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif
#ifndef GUEST_MEMFD_FLAG_MMAP
#define GUEST_MEMFD_FLAG_MMAP (1ULL << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED (1ULL << 1)
#endif

#ifndef KVM_SET_MEMORY_ATTRIBUTES
struct kvm_memory_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags; /* must be 0 */
};
#define KVM_SET_MEMORY_ATTRIBUTES                                              \
	_IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#define KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3)
#endif

#ifndef KVM_PRE_FAULT_MEMORY
struct kvm_pre_fault_memory {
	__u64 gpa;
	__u64 size;
	__u64 flags;
	__u64 padding[5];
};
#define KVM_PRE_FAULT_MEMORY _IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif

/*
 * KVM_EXIT_MEMORY_FAULT: KVM_RUN fails with EFAULT and exit_reason set; the
 * union member of struct kvm_run is read through pm_kvm_memory_fault(),
 * since 6.1's struct kvm_run does not name it.
 */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
#ifndef KVM_MEMORY_EXIT_FLAG_PRIVATE
#define KVM_MEMORY_EXIT_FLAG_PRIVATE (1ULL << 3)
#endif
struct pm_kvm_memory_fault {
	__u64 flags;
	__u64 gpa;
	__u64 size;
};
_Static_assert(sizeof(struct pm_kvm_memory_fault) == 24,
	       "kvm_run.memory_fault layout");
#define PM_KVM_RUN_EXIT_UNION_OFFSET 32
static inline struct pm_kvm_memory_fault *
pm_kvm_memory_fault(struct kvm_run *run)
{
	return (struct pm_kvm_memory_fault *)((char *)run +
					      PM_KVM_RUN_EXIT_UNION_OFFSET);
}

/* The MAP_GPA_RANGE hypercall (KVM_EXIT_HYPERCALL with KVM_CAP_EXIT_HYPERCALL). */
#ifndef KVM_HC_MAP_GPA_RANGE
#define KVM_HC_MAP_GPA_RANGE 12
#endif
#ifndef KVM_MAP_GPA_RANGE_PAGE_SZ_4K
#define KVM_MAP_GPA_RANGE_PAGE_SZ_4K 0
#define KVM_MAP_GPA_RANGE_PAGE_SZ_2M (1 << 0)
#define KVM_MAP_GPA_RANGE_PAGE_SZ_1G (1 << 1)
#define KVM_MAP_GPA_RANGE_ENC_STAT(n) ((n) << 4)
#define KVM_MAP_GPA_RANGE_ENCRYPTED KVM_MAP_GPA_RANGE_ENC_STAT(1)
#define KVM_MAP_GPA_RANGE_DECRYPTED KVM_MAP_GPA_RANGE_ENC_STAT(0)
#endif
#ifndef KVM_EXIT_HYPERCALL_LONG_MODE
#define KVM_EXIT_HYPERCALL_LONG_MODE (1ULL << 0)
#endif

#if !defined(__cplusplus)
_Static_assert(sizeof(struct kvm_userspace_memory_region2) == 160,
	       "kvm_userspace_memory_region2");
_Static_assert(offsetof(struct kvm_userspace_memory_region2,
			guest_memfd_offset) == 32, "guest_memfd_offset");
_Static_assert(offsetof(struct kvm_userspace_memory_region2, guest_memfd) ==
		       40, "guest_memfd");
_Static_assert(sizeof(struct kvm_create_guest_memfd) == 64,
	       "kvm_create_guest_memfd");
_Static_assert(sizeof(struct kvm_memory_attributes) == 32,
	       "kvm_memory_attributes");
_Static_assert(sizeof(struct kvm_pre_fault_memory) == 64,
	       "kvm_pre_fault_memory");
_Static_assert(offsetof(struct kvm_run, hypercall) ==
		       PM_KVM_RUN_EXIT_UNION_OFFSET, "kvm_run exit union");
_Static_assert(KVM_CREATE_GUEST_MEMFD == 0xC040AED4, "KVM_CREATE_GUEST_MEMFD");
_Static_assert(KVM_SET_USER_MEMORY_REGION2 == 0x40A0AE49,
	       "KVM_SET_USER_MEMORY_REGION2");
_Static_assert(KVM_SET_MEMORY_ATTRIBUTES == 0x4020AED2,
	       "KVM_SET_MEMORY_ATTRIBUTES");
#endif

#endif
