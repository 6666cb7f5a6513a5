/* SPDX-License-Identifier: MIT */
/*
 * The VMM: a KVM guest whose RAM is a gmem store created on its own VM,
 * bound to memslots by (guest_memfd, offset), with vCPU threads, port-I/O
 * and MMIO devices, and guest-driven shared/private conversion.
 *
 * pm_vmm_probe() asks the host what it can do and decides three modes,
 * reported by `privmem run` and docs/design-vmm.md:
 *   binding      gmem-only (memslot by guest_memfd alone, no host
 *                mapping), gmem+window (guest_memfd plus the store's KVM
 *                window as userspace_addr, where a gmem-only memslot does
 *                not run a guest), or window (an ordinary memslot on the
 *                window: hugetlbfs stores, which are not guest_memfd);
 *   enforcement  hardware on confidential VM types, emulated otherwise
 *                (privmem keeps private pages from host code and devices,
 *                not from the kernel, which reads them through the window);
 *   conv_path    the KVM_HC_MAP_GPA_RANGE hypercall where the host's KVM
 *                completes it (KVM_CAP_EXIT_HYPERCALL), else a port-I/O
 *                doorbell carrying the same arguments and result.
 *
 * A guest's conversion request (either path, or an implicit one from
 * KVM_EXIT_MEMORY_FAULT) is one coordinated conversion (pm_vm_convert):
 * KVM memory attributes where the host has them, the store, whose notifiers
 * update the IOMMU and whose KVM window follows, all or nothing.
 *
 * Devices are models on an I/O bus (struct pm_iobus): port and MMIO ranges
 * in interval trees, dispatched from the vCPU exit loop, with a reset and a
 * release hook. The bus works without KVM (the vmm test suite drives it
 * directly). The DMA engine is one such model; the trusted DMA engine (the
 * same engine bound through a protection fd, accepted by the guest through
 * its registers) and the BAR device (its BAR's memfd bound with
 * pm_vm_map_fd() and mapped into the IOAS, the memslot deleted with
 * pm_vm_unmap_fd() from its reset callback) plug in the same way;
 * pm_vm_map_gmem() binds a store by fd and offset for memory such as a
 * trusted device's private MMIO.
 *
 * Errors are -errno. Thread safety: a VM's calls may come from any thread;
 * vCPU threads call the report callback and device models.
 */
#ifndef PRIVMEM_VMM_H
#define PRIVMEM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <privmem/gmem.h>
#include <privmem/vmm_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pm_vm;
struct pm_iobus;
struct pm_iodev;
struct pm_iommufd;

/* ------------------------------------------------------------------ */
/* What the host can do.                                              */

enum pm_vm_binding {
	PM_VM_BIND_GMEM_ONLY = 0,   /* guest_memfd, userspace_addr 0 */
	PM_VM_BIND_GMEM_WINDOW = 1, /* guest_memfd + KVM window */
	PM_VM_BIND_WINDOW = 2,	    /* ordinary memslot on the KVM window */
};

enum pm_vm_enforcement {
	PM_VM_ENFORCE_EMULATED = 0,
	PM_VM_ENFORCE_HARDWARE = 1,
};

enum pm_vm_conv_path {
	PM_VM_CONV_DOORBELL = 0,  /* OUT to PM_PORT_HYPERCALL */
	PM_VM_CONV_HYPERCALL = 1, /* KVM_HC_MAP_GPA_RANGE, KVM_EXIT_HYPERCALL */
};

struct pm_vmm_caps {
	bool kvm;	      /* /dev/kvm opened and a VM created */
	char why_not[128];    /* when !kvm */
	char kvm_module[32];  /* kvm_intel, kvm_amd, kvm_pvm, ... */
	bool guest_memfd;     /* KVM_CAP_GUEST_MEMFD */
	uint64_t guest_memfd_flags; /* KVM_CAP_GUEST_MEMFD_FLAGS */
	bool user_memory2;    /* KVM_CAP_USER_MEMORY2 */
	uint64_t memory_attributes; /* KVM_CAP_MEMORY_ATTRIBUTES on our VM */
	uint64_t vm_types;    /* KVM_CAP_VM_TYPES */
	bool exit_hypercall;  /* KVM_CAP_EXIT_HYPERCALL offers MAP_GPA_RANGE */
	bool memory_fault_info; /* KVM_CAP_MEMORY_FAULT_INFO */
	int max_vcpus;
	bool amd;	      /* the CPU's hypercall instruction is VMMCALL */

	/* Probes: throwaway VMs, each bounded by a timer signal. */
	bool gmem_only_runs;	 /* a gmem-only memslot ran a guest */
	char gmem_only_how[96];	 /* what the probe saw */
	bool hypercall_completes; /* a MAP_GPA_RANGE hypercall came back */
	char hypercall_how[96];

	/* The modes a VM gets here (guest_memfd backend). */
	enum pm_vm_binding binding;
	enum pm_vm_enforcement enforcement;
	enum pm_vm_conv_path conv_path;
	double probe_ms; /* what the probes took (once per process) */
};

/*
 * pm_vmm_probe() - what this host's KVM can do for a gmem guest
 * Runs the probes once per process (later calls copy the cached answer).
 * Return: 0 (caps->kvm false with the reason when KVM is unusable), or
 * -errno if probing itself failed (allocation, an injected fault).
 */
int pm_vmm_probe(struct pm_vmm_caps *caps);

const char *pm_vm_binding_name(enum pm_vm_binding b);
const char *pm_vm_enforcement_name(enum pm_vm_enforcement e);
const char *pm_vm_conv_path_name(enum pm_vm_conv_path p);

/* ------------------------------------------------------------------ */
/* The I/O bus and device models (no KVM needed).                     */

enum pm_io_space {
	PM_IO_PIO = 0,	/* port I/O, addresses 0..0xffff */
	PM_IO_MMIO = 1, /* guest physical addresses outside RAM */
};

struct pm_iodev_ops {
	/*
	 * A guest access at @offset from the start of the range it hit, of
	 * @len bytes (1, 2, 4 or 8). A read fills @data. Return 0, or -errno:
	 * the access is then dropped (a read returns all ones) and counted.
	 * Called from vCPU threads, with no library lock held, possibly
	 * concurrently for different vCPUs.
	 */
	int (*access)(void *opaque, enum pm_io_space space, uint64_t offset,
		      void *data, unsigned int len, bool write);
	/* pm_iobus_reset(): back to the power-on state, revoking what the
	 * device gave the guest (e.g. memslots through pm_vm_unmap_fd). */
	void (*reset)(void *opaque);
	/* The bus is being destroyed; free the model. May be NULL. */
	void (*release)(void *opaque);
};

int pm_iobus_create(struct pm_iobus **out);
/* Release every device (release hooks, in reverse order), free the bus. */
void pm_iobus_destroy(struct pm_iobus *bus);

/*
 * pm_iobus_add_device() - put a device model on the bus
 * @name: copied. The bus owns the model from now on (its release hook
 * runs at pm_iobus_destroy). Return: 0 or -ENOMEM.
 */
int pm_iobus_add_device(struct pm_iobus *bus, const char *name,
			const struct pm_iodev_ops *ops, void *opaque,
			struct pm_iodev **out);
/*
 * pm_iodev_map() - route [base, base + len) of @space to the device
 * Return: 0, -EINVAL (empty, or a port range past 0xffff), -EOVERFLOW
 * (wraps), -EEXIST (overlaps a range already routed), -ENOMEM.
 */
int pm_iodev_map(struct pm_iodev *dev, enum pm_io_space space, uint64_t base,
		 uint64_t len);
/* Remove the range that starts at @base. Return: 0 or -ENOENT. */
int pm_iodev_unmap(struct pm_iodev *dev, enum pm_io_space space,
		   uint64_t base);
const char *pm_iodev_name(const struct pm_iodev *dev);

/*
 * pm_iobus_dispatch() - deliver one access
 * Return: 0 (a device took it), -ENOENT (no device there: a read returns
 * all ones), -EINVAL (a bad length), or the device's -errno (a read
 * returns all ones). An access must lie inside one range: one that
 * straddles two is -ENOENT.
 */
int pm_iobus_dispatch(struct pm_iobus *bus, enum pm_io_space space,
		      uint64_t addr, void *data, unsigned int len, bool write);
/* Every device's reset hook, in the order they were added. */
void pm_iobus_reset(struct pm_iobus *bus);

struct pm_iobus_stats {
	uint64_t pio, mmio;	  /* accesses dispatched to a device */
	uint64_t unclaimed;	  /* accesses no device took */
	uint64_t errors;	  /* a device returned -errno */
};
int pm_iobus_get_stats(struct pm_iobus *bus, struct pm_iobus_stats *st);

/*
 * The DMA engine: an untrusted device behind the emulated IOMMU
 * (include/privmem/device.h), attached to @ioas_id, with the registers of
 * vmm_abi.h at ports [@pio_base, +PM_DMA_REGS_SIZE) and MMIO [@mmio_base,
 * +PM_DMA_REGS_SIZE) (either 0: not mapped there). A doorbell write copies
 * LEN bytes from SRC to DST by DMA (IOVA = GPA when guest RAM is mapped at
 * IOVA 0), in 4 KiB steps; a fault stops it and is reported in STATUS and
 * FAULT_ADDR (bytes before the fault were copied). The bus owns it.
 * Return: 0 or -errno (creating or attaching the IOMMU device, mapping).
 */
int pm_dma_engine_create(struct pm_iobus *bus, struct pm_iommufd *ictx,
			 uint32_t ioas_id, uint16_t pio_base,
			 uint64_t mmio_base, struct pm_iodev **out);

/*
 * The trusted DMA engine: the same engine as a device trusted by the guest,
 * bound through a protection fd (protfd.h) to @ram with store offset 0 at
 * trusted IOVA @iova_base (the GPA), its ordinary (T=0) domain attached to
 * @ioas_id. Registers at MMIO [@mmio_base, +PM_TDEV_REGS_SIZE) (vmm_abi.h):
 * the DMA registers, whose transfers are trusted (T=1: private pages only,
 * in RUN only), and the TDISP ones (STATE, REPORT, DIGEST, CMD ACCEPT,
 * RESULT) through which the guest checks the report and accepts. The
 * binding starts UNLOCKED; *@pf (owned by the model) is for the VMM to
 * lock it. The model's reset resets the device (revoking the binding) and
 * locks it again. The bus owns it.
 * Return: 0 or -errno.
 */
struct pm_protfd;
int pm_trusted_dma_engine_create(struct pm_iobus *bus,
				 struct pm_iommufd *ictx, uint32_t ioas_id,
				 struct pm_gmem *ram, uint64_t iova_base,
				 uint64_t mmio_base, struct pm_iodev **out,
				 struct pm_protfd **pf);

/* ------------------------------------------------------------------ */
/* The VM.                                                            */

struct pm_vm_report {
	uint64_t code; /* PM_REPORT_* */
	uint64_t a[4];
};

/*
 * Called in the vCPU thread on every write to PM_PORT_REPORT; the return
 * value goes back to the guest in RAX. May call any pm_ function except
 * pm_vm_stop() and pm_vm_destroy() on this VM.
 */
typedef uint64_t (*pm_vm_report_fn)(void *opaque, struct pm_vm *vm,
				    unsigned int vcpu,
				    const struct pm_vm_report *r);

/* pm_vm_config.flags */
enum {
	PM_VM_F_DMA_ENGINE = 1 << 0, /* the DMA engine at PM_DMA_PIO_BASE
				      * and PM_DMA_MMIO_BASE */
	PM_VM_F_FORCE_DOORBELL = 1 << 1, /* ignore a working hypercall */
	PM_VM_F_TRUSTED_DEV = 1 << 2, /* the trusted DMA engine at
				       * PM_TDEV_MMIO_BASE, bound through a
				       * protection fd and LOCKED by the VMM */
	PM_VM_F_BAR_DEV = 1 << 3,     /* the BAR device: BAR 0 bound into a
				       * memslot and the IOAS at PM_BAR_GPA */
};

struct pm_vm_config {
	uint64_t mem_size;	      /* RAM at GPA 0, <= PM_VMM_MAX_MEM */
	unsigned int nr_vcpus;	      /* 1 .. PM_VMM_MAX_VCPUS */
	enum pm_gmem_backend backend; /* GUEST_MEMFD or HUGETLB_2M */
	uint32_t flags;
	pm_vm_report_fn report;	      /* may be NULL */
	void *opaque;
	/*
	 * The signal that interrupts KVM_RUN (0: SIGRTMIN + 5). The library
	 * installs an empty handler for it while any VM exists and blocks
	 * it in vCPU threads outside KVM_RUN.
	 */
	int kick_signal;
};

/*
 * pm_vm_create() - a VM with its RAM, memslots, IOMMU context and vCPUs
 * RAM is a store of @backend created on this VM, all private, bound by
 * the probed binding; it is mapped once into an IOAS of the VM's own
 * iommufd context at IOVA = GPA (pm_ioas_map_gmem). vCPUs exist but do
 * not run until pm_vm_start().
 * Return: 0, -EINVAL (config), -EOPNOTSUPP (no KVM, or the host cannot
 * bind this backend: the reason is logged), -ENOSPC (huge pages), -ENOMEM,
 * or the errno of a failing system call.
 */
int pm_vm_create(const struct pm_vm_config *cfg, struct pm_vm **out);

/*
 * pm_vm_destroy() - stop and free everything: vCPU threads (interrupted by
 * the kick signal wherever they are, even spinning inside KVM_RUN), device
 * models, memslots, the IOMMU context, the store, the VM. Nothing is left:
 * no thread, fd or mapping. Never fails.
 */
void pm_vm_destroy(struct pm_vm *vm);

/*
 * pm_vm_load() - launch content into RAM at @gpa, through the store's
 * populate path (the range must be private: it is, before the guest
 * converts anything). Return: 0 or -errno.
 */
int pm_vm_load(struct pm_vm *vm, uint64_t gpa, const void *src, uint64_t len);

/*
 * pm_vm_boot() - build the long-mode environment (GDT, identity page
 * tables, stacks; vmm_abi.h) by populate, load @image at PM_GUEST_LOAD_GPA
 * and @params (may be NULL) at PM_GUEST_PARAMS_GPA, and set every vCPU's
 * registers to enter the image in 64-bit mode. Before pm_vm_start().
 */
int pm_vm_boot(struct pm_vm *vm, const void *image, uint64_t image_len,
	       const void *params, uint64_t params_len);

/* Start one thread per vCPU. Return: 0 or -errno (threads then stopped). */
int pm_vm_start(struct pm_vm *vm);
/*
 * Wait until every vCPU has stopped (HLT, an error, or pm_vm_stop), at
 * most @timeout_ms (< 0: forever). Return: 0, or -ETIMEDOUT.
 */
int pm_vm_wait(struct pm_vm *vm, int timeout_ms);
/* Interrupt every vCPU and join its thread. Idempotent. */
void pm_vm_stop(struct pm_vm *vm);
/* Devices' reset hooks (pm_iobus_reset on the VM's bus). */
void pm_vm_reset_devices(struct pm_vm *vm);

/*
 * pm_vm_convert() - one coordinated conversion of [gpa, gpa + len)
 * KVM memory attributes (where the host has them), then the store, whose
 * notifiers take untrusted IOMMU translations away from private pages and
 * give them back to shared ones, and whose KVM window follows. Content is
 * discarded. On failure nothing changed.
 * Return: 0, -EINVAL (misaligned to the store's granule, outside RAM),
 * -EOVERFLOW, -EAGAIN (a page is held), or the errno of the failing step.
 */
int pm_vm_convert(struct pm_vm *vm, uint64_t gpa, uint64_t len,
		  enum pm_gmem_state to);

/*
 * pm_vm_map_fd() - bind @len bytes of @fd at @offset into the guest at
 * @gpa as an ordinary memslot (for device memory such as a BAR exported as
 * a memfd): the VMM maps the fd for KVM's userspace_addr and nothing else.
 * Return: 0 and *@slot, -EINVAL (alignment, overlaps RAM or another
 * slot), -EOVERFLOW, -ENOSPC (no free slot), or the errno of mmap/KVM.
 */
int pm_vm_map_fd(struct pm_vm *vm, uint64_t gpa, uint64_t len, int fd,
		 uint64_t offset, bool writable, uint32_t *slot);
/*
 * pm_vm_map_gmem() - bind [@offset, @offset + @len) of another gmem store
 * into the guest at @gpa, the way RAM is bound (for memory that must be
 * reached by (fd, offset), such as a trusted device's private MMIO region
 * held in a store of its own): a guest_memfd store, which must have been
 * created on this VM (pm_vm_fd), gets a KVM_MEM_GUEST_MEMFD memslot with
 * the store's KVM window as userspace_addr where the binding needs it;
 * any other store an ordinary memslot on its window. Delete it with
 * pm_vm_unmap_fd() before closing the store.
 * Return: 0 and *@slot, -EINVAL (alignment to the store's granule, outside
 * the store, a guest_memfd of another VM, overlaps), -EOVERFLOW, -ENOSPC,
 * -EOPNOTSUPP (no window for this store), or KVM's errno.
 */
int pm_vm_map_gmem(struct pm_vm *vm, uint64_t gpa, struct pm_gmem *g,
		   uint64_t offset, uint64_t len, uint32_t *slot);
/* Delete a memslot made by pm_vm_map_fd() or pm_vm_map_gmem().
 * Return: 0, -ENOENT, or KVM's errno (the memslot then stays). */
int pm_vm_unmap_fd(struct pm_vm *vm, uint32_t slot);

/* Accessors. */
struct pm_device;
/* The trusted DMA engine's protection fd (PM_VM_F_TRUSTED_DEV), or NULL. */
struct pm_protfd *pm_vm_protfd(const struct pm_vm *vm);
/*
 * The trusted DMA engine's private MMIO region (PM_TDEV_PMMIO_SIZE bytes,
 * pm_protfd_mmio_store of its protection fd) is bound by pm_vm_map_gmem()
 * at PM_TDEV_PMMIO_GPA when the guest's accept puts the binding in RUN,
 * and the protection fd's revoke callback deletes that memslot before any
 * revocation returns. The memslot while bound, else UINT32_MAX.
 */
uint32_t pm_vm_private_mmio_slot(const struct pm_vm *vm);
/*
 * The BAR device (PM_VM_F_BAR_DEV), or NULL: BAR 0 (PM_BAR_SIZE bytes) is
 * bound into the guest at PM_BAR_GPA by pm_vm_map_fd() and mapped into the
 * VM's IOAS by MAP_FILE at IOVA = PM_BAR_GPA. Its reset (pm_vm_reset_devices
 * or pm_device_reset) revokes both: the reset callback deletes the memslot
 * (pm_vm_unmap_fd) and the IOAS translations go; neither comes back.
 * *@slot: the memslot while bound, else UINT32_MAX.
 */
struct pm_device *pm_vm_bar_device(const struct pm_vm *vm, uint32_t *slot);
int pm_vm_fd(const struct pm_vm *vm);
struct pm_gmem *pm_vm_gmem(const struct pm_vm *vm);
struct pm_iobus *pm_vm_iobus(const struct pm_vm *vm);
struct pm_iommufd *pm_vm_iommufd(const struct pm_vm *vm);
uint32_t pm_vm_ioas(const struct pm_vm *vm);
unsigned int pm_vm_nr_vcpus(const struct pm_vm *vm);
uint64_t pm_vm_mem_size(const struct pm_vm *vm);
/* The modes this VM runs with. */
void pm_vm_modes(const struct pm_vm *vm, enum pm_vm_binding *binding,
		 enum pm_vm_enforcement *enforcement,
		 enum pm_vm_conv_path *conv_path);

enum pm_vcpu_state {
	PM_VCPU_CREATED = 0,
	PM_VCPU_RUNNING = 1,
	PM_VCPU_HALTED = 2,  /* the guest executed HLT */
	PM_VCPU_STOPPED = 3, /* pm_vm_stop() interrupted it */
	PM_VCPU_FAILED = 4,  /* an exit the VMM cannot handle */
};

struct pm_vcpu_info {
	enum pm_vcpu_state state;
	uint32_t last_exit;  /* KVM_EXIT_* of the last exit */
	int error;	     /* PM_VCPU_FAILED: -errno or KVM_RUN's error */
	char why[96];	     /* PM_VCPU_FAILED: what happened */
	uint64_t rip;	     /* at the stop */
	uint64_t exits, io_exits, mmio_exits, hypercalls, doorbells;
};
int pm_vm_vcpu_info(struct pm_vm *vm, unsigned int vcpu,
		    struct pm_vcpu_info *info);

struct pm_vm_stats {
	uint64_t conversions;	      /* requests that succeeded */
	/*
	 * Well-formed requests that failed (held pages: -EAGAIN, memory);
	 * a malformed one (misaligned, outside RAM, zero pages, wrapping)
	 * is answered -EINVAL/-EOVERFLOW and counted nowhere.
	 */
	uint64_t conversion_errors;
	uint64_t bytes_converted;
	/* KVM_EXIT_MEMORY_FAULT exits with a range that does not wrap. */
	uint64_t memory_faults;
	uint64_t ioas_maps;	      /* maps of RAM into the IOAS: 1 */
	uint64_t exits;		      /* all vCPUs */
	uint64_t reports;
};
int pm_vm_get_stats(struct pm_vm *vm, struct pm_vm_stats *st);

/*
 * The test guest built from guest/ and embedded in the library: a flat
 * binary for pm_vm_boot(), driven by struct pm_guest_params.
 */
void pm_vmm_test_guest(const void **image, uint64_t *len);
/*
 * The test guest's parameters for this VM: @tests (mask of 1 <<
 * pm_guest_test), RAM size, granule, the conversion path this VM uses, the
 * DMA engine's windows when it has one, 4 iterations, a one-granule
 * benchmark. Return: 0 or -EINVAL.
 */
int pm_vm_test_params(struct pm_vm *vm, uint64_t tests,
		      struct pm_guest_params *p);
/*
 * Answer a PM_REPORT_CHECK from what host code observes (the store's
 * state, the host view, the trusted path; never the KVM window): 1 yes,
 * 0 no. For report callbacks. See lib/vmm/test_guest.c for each question.
 */
uint64_t pm_vm_answer_check(struct pm_vm *vm, const struct pm_vm_report *r);

#ifdef __cplusplus
}
#endif

#endif
