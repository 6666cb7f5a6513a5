/* SPDX-License-Identifier: MIT */
#ifndef PRIVMEM_VMM_PRIVATE_H
#define PRIVMEM_VMM_PRIVATE_H

#include <pthread.h>
#include <privmem/protfd.h>
#include <privmem/vmm.h>
#include <privmem/uapi/kvm.h>
#include "common/compiler.h"
#include "common/interval_tree.h"
#include "common/mutex.h"

#define VM_MAX_SLOTS 32
#define VM_RAM_SLOT 0

/* A memslot: slot 0 is RAM; pm_vm_map_fd() adds others. */
struct vm_slot {
	bool used;
	u64 gpa, len;
	void *map; /* the fd's mapping for userspace_addr (pm_vm_map_fd) */
};

struct pm_vcpu {
	struct pm_vm *vm;
	unsigned int idx;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	/* [vm->state_lock] */
	enum pm_vcpu_state state;
	/* written by the vCPU's thread only; read after it stopped */
	struct pm_vcpu_info info;
	char console[160];
	size_t console_len;
};

struct pm_vm {
	int kvm_fd, vm_fd;
	struct pm_vm_config cfg;
	struct pm_vmm_caps caps;
	enum pm_vm_binding binding;
	enum pm_vm_enforcement enforcement;
	enum pm_vm_conv_path conv_path;
	bool attributes; /* KVM_MEMORY_ATTRIBUTE_PRIVATE is kept in step */
	int kick_sig;
	bool kick_installed;

	struct pm_gmem *g;
	void *window; /* the store's KVM window, or NULL (gmem-only) */
	u64 mem_size, granule;

	struct mutex conv_lock;	 /* LOCK_RANK_VMM: conversion requests */
	struct mutex slots_lock; /* LOCK_RANK_VMM_SLOTS: slots[] */
	struct vm_slot slots[VM_MAX_SLOTS];

	struct pm_iommufd *ictx;
	u32 ioas_id;
	struct pm_iobus *bus;
	struct pm_protfd *tdev_pf; /* the trusted DMA engine's (the bus owns) */
	struct bar_dev *bar;	   /* the BAR device (the bus owns it) */
	/* The trusted engine's private MMIO memslot, or UINT32_MAX; atomic
	 * exchange (bound on accept, deleted by the revoke callback). */
	u32 pmmio_slot;

	struct kvm_cpuid2 *cpuid;
	struct pm_vcpu *vcpus;
	unsigned int nr_vcpus;
	bool booted;

	struct mutex state_lock; /* LOCK_RANK_VMM_STATE: vCPU states */
	pthread_cond_t state_cv; /* a vCPU stopped running */
	bool cv_ready;
	unsigned int running;
	bool started;
	bool stopping; /* atomic: vCPU threads leave their loop */

	/* statistics, atomic */
	u64 conversions, conversion_errors, bytes_converted, memory_faults;
	u64 ioas_maps, reports;
};

/* probe.c */
int vmm_probe_cached(struct pm_vmm_caps *caps);
int vmm_kick_get(int sig);
void vmm_kick_put(int sig);
int vmm_default_kick_signal(void);
/* Set up a vCPU's CPUID from KVM_GET_SUPPORTED_CPUID. */
int vmm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out);
/* KVM_SET_SIGNAL_MASK: the thread's mask with @sig unblocked. */
int vmm_set_vcpu_sigmask(int vcpu_fd, int sig);

/* vcpu.c */
int vcpu_create(struct pm_vm *vm, unsigned int idx);
void vcpu_destroy(struct pm_vcpu *vcpu);
int vcpu_set_long_mode(struct pm_vcpu *vcpu, u64 entry, u64 stack,
		       u64 params);
/* Any vCPU fd: 64-bit mode with the vmm_abi.h GDT and page tables. */
int vmm_set_long_mode(int fd, u64 entry, u64 stack, u64 rdi, u64 rsi,
		      u64 rdx);
/*
 * The GDT and page tables of vmm_abi.h, identity-mapping the first
 * @nr_gib GiB (1..4) with 2 MiB pages, written into @low, which stands for
 * guest physical [0, VMM_TABLES_END) and is zeroed by the caller.
 */
#define VMM_TABLES_END 0x8000ULL
void vmm_build_tables(u8 *low, unsigned int nr_gib);
int vcpu_start(struct pm_vcpu *vcpu);

/* bar_device.c */
struct bar_dev;
int vm_bar_device_create(struct pm_vm *vm, u64 gpa, u64 size,
			 struct bar_dev **out);
struct pm_device *vm_bar_device(const struct bar_dev *b, uint32_t *slot);

/* dma_engine.c */
/* A trusted engine's private MMIO region, and the VMM's hooks for it. */
struct vmm_tdev_pmmio {
	u64 size;  /* 0: none */
	int vm_fd; /* guest_memfd on this VM; -1: memfd */
	/* The protection fd's revoke callback (no privmem lock held). */
	void (*revoke)(struct pm_protfd *pf, enum pm_protfd_revoke_reason why,
		       void *opaque);
	/* After the guest's accept succeeded (RUN), in the vCPU thread,
	 * no lock held. */
	void (*on_run)(struct pm_protfd *pf, void *opaque);
	void *opaque;
};
/* iobus.c: a device and its ranges, added all or nothing. */
int vmm_iobus_add_mapped(struct pm_iobus *bus, const char *name,
			 const struct pm_iodev_ops *ops, void *opaque,
			 u64 pio_base, u64 mmio_base, u64 len,
			 struct pm_iodev **out);
int vmm_trusted_engine_create(struct pm_iobus *bus, struct pm_iommufd *ictx,
			      u32 ioas_id, struct pm_gmem *ram, u64 iova_base,
			      u64 mmio_base, const struct vmm_tdev_pmmio *pm,
			      struct pm_protfd **pf);

/* vm.c */
/* Where a conversion request comes from (vmm_conv_request). */
enum vmm_conv_source {
	VMM_CONV_DOORBELL,     /* OUT to PM_PORT_HYPERCALL: RAX, RBX, RCX, RDX */
	VMM_CONV_HYPERCALL,    /* KVM_EXIT_HYPERCALL: nr, args[0..2] */
	VMM_CONV_MEMORY_FAULT, /* KVM_EXIT_MEMORY_FAULT: flags, gpa, size */
};
/*
 * vmm_conv_request() - decode a guest's conversion request and carry it out
 * @nr: the call number (RAX, hypercall.nr), or the memory fault's flags
 *      (KVM_MEMORY_EXIT_FLAG_PRIVATE: to private, else to shared)
 * @a0, @a1, @a2: MAP_GPA_RANGE's gpa, number of 4 KiB pages, attributes
 *      (PM_MAP_GPA_PRIVATE); a memory fault's gpa and size (0: one byte),
 *      widened to whole granules, and a2 unused
 * @ret: out: the answer as the guest sees it in RAX or hypercall.ret: 0 or
 *      a negative errno, -PM_HC_ENOSYS for another call number
 *
 * The decoding of the exit handlers (vcpu.c), which pass their registers
 * unchanged; every conversion goes through pm_vm_convert(). Called without
 * a running vCPU by the fuzz target fuzz/vmm_conv.c.
 * Return: 0 or the conversion's -errno (what the memory-fault exit fails
 * the vCPU with), -ENOSYS for another call number (nothing done).
 */
int vmm_conv_request(struct pm_vm *vm, enum vmm_conv_source src, u64 nr,
		     u64 a0, u64 a1, u64 a2, u64 *ret);

#endif
