/* SPDX-License-Identifier: MIT */
/*
 * What this host offers privmem: KVM and its guest_memfd capabilities, the
 * memory backends, and the limits that decide what may be pinned.
 *
 * pm_host_probe() asks the kernel every question itself (KVM_CHECK_EXTENSION
 * on /dev/kvm and on a throwaway VM, a memfd_secret that is created and
 * closed, sysfs and procfs); nothing is assumed from the kernel version.
 */
#ifndef PRIVMEM_HOST_H
#define PRIVMEM_HOST_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PM_HOST_MAX_HUGETLB 4

struct pm_hugetlb_pool {
	uint64_t page_size; /* bytes */
	long nr;	    /* nr_hugepages */
	long free;	    /* free_hugepages */
	long resv;	    /* resv_hugepages */
};

struct pm_host_info {
	char kernel_release[65];
	char machine[65];

	/* KVM. When !kvm_accessible the KVM fields below are all zero. */
	bool kvm_present;	   /* /dev/kvm exists */
	bool kvm_accessible;	   /* /dev/kvm could be opened read-write */
	int kvm_open_errno;	   /* why not, when present but not opened */
	int kvm_api_version;	   /* KVM_GET_API_VERSION */
	char kvm_module[32];	   /* kvm_intel, kvm_amd, kvm_pvm, or "" */
	uint64_t vm_types;	   /* KVM_CAP_VM_TYPES: mask of 1 << type */
	bool guest_memfd;	   /* KVM_CAP_GUEST_MEMFD */
	uint64_t guest_memfd_flags; /* KVM_CAP_GUEST_MEMFD_FLAGS, default VM */
	uint64_t memory_attributes; /* KVM_CAP_MEMORY_ATTRIBUTES mask */
	bool user_memory2;	   /* KVM_CAP_USER_MEMORY2 */
	uint64_t exit_hypercall;   /* KVM_CAP_EXIT_HYPERCALL: mask of 1 << nr */
	bool memory_fault_info;	   /* KVM_CAP_MEMORY_FAULT_INFO */
	bool pre_fault_memory;	   /* KVM_CAP_PRE_FAULT_MEMORY */
	int nr_vcpus;		   /* KVM_CAP_NR_VCPUS (recommended) */
	int max_vcpus;		   /* KVM_CAP_MAX_VCPUS */

	/* Memory backends. */
	bool memfd_secret;	/* memfd_secret(2) created an fd */
	int memfd_secret_errno; /* why not */
	int nr_hugetlb;
	struct pm_hugetlb_pool hugetlb[PM_HOST_MAX_HUGETLB];
	char thp_mode[16]; /* always, madvise, never (the selected one) */
	long max_map_count; /* vm.max_map_count */
	uint64_t page_size;

	/* Pinning limits of the calling process. UINT64_MAX = unlimited. */
	uint64_t memlock_cur;
	uint64_t memlock_max;
	bool cap_ipc_lock;     /* effective CAP_IPC_LOCK */
	bool cap_sys_resource; /* effective CAP_SYS_RESOURCE */
	bool is_root;

	/* Real IOMMU and VFIO nodes (privmem emulates them when absent). */
	bool dev_iommu;
	bool dev_vfio;
};

/**
 * pm_host_probe() - fill @info by asking this host
 * Return: 0; fields the host does not answer are left zero. Only a failure
 * to allocate or an injected fault gives -errno.
 */
int pm_host_probe(struct pm_host_info *info);

/* KVM_X86_* VM type names for reports ("default", "sw_protected", ...). */
const char *pm_vm_type_name(unsigned int type);

#ifdef __cplusplus
}
#endif

#endif
