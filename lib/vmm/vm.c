// SPDX-License-Identifier: MIT
/*
 * The VM: its RAM (a gmem store on this VM), memslots, the IOMMU context
 * its devices DMA through, launch, coordinated conversion, and teardown.
 *
 * Data model
 * ----------
 * struct pm_vm owns, in creation order: the kick signal's handler
 * reference, /dev/kvm and the VM fd, the supported CPUID, the store (RAM,
 * all private, created on this VM's fd so that its guest_memfd can only
 * ever bind here), the store's KVM window (where the binding needs it),
 * memslot 0 for RAM, an iommufd context with one IOAS holding all of RAM
 * at IOVA = GPA (mapped once, by store and offset, never again), the I/O
 * bus with its device models, and the vCPUs. pm_vm_destroy() releases them
 * in reverse; any partial creation is undone by the same function.
 *
 * RAM binding (memslot 0), by the probed mode (probe.c):
 *   gmem-only    KVM_MEM_GUEST_MEMFD, (guest_memfd, 0), userspace_addr 0;
 *   gmem+window  KVM_MEM_GUEST_MEMFD, (guest_memfd, 0), userspace_addr =
 *                the store's KVM window (this host: kvm_pvm reads every
 *                page through it);
 *   window       no guest_memfd (a hugetlbfs store): userspace_addr = the
 *                window, an ordinary memslot.
 * The window is for KVM only; the VMM and its devices reach guest memory
 * through the IOMMU (devices) and the store's host view and provider API.
 *
 * Conversion
 * ----------
 * pm_vm_convert() is the one path every request takes (hypercall,
 * doorbell, KVM_EXIT_MEMORY_FAULT, callers; the guest's three are decoded
 * from their registers by vmm_conv_request()): under the VM's conversion
 * lock, (1) KVM memory attributes, where the host has them, set to the
 * target; (2) pm_gmem_convert(), which runs the store's notifiers (the
 * IOAS's pages drop or regain untrusted translations, a trusted device's
 * domain gains or loses them), switches the KVM window and discards the
 * side each page leaves; if it fails, (1) is put back run by run. So a
 * request either happens whole or leaves attributes, store, window and
 * IOMMU as they were, and its result goes back to the guest.
 *
 * Locking
 * -------
 * conv_lock (LOCK_RANK_VMM) serialises conversions, above the store's
 * conversion lock. slots_lock (LOCK_RANK_VMM_SLOTS) guards the memslot
 * table, with nothing taken inside, so device hooks may call
 * pm_vm_map_fd/unmap_fd under their own locks. state_lock
 * (LOCK_RANK_VMM_STATE) guards vCPU states and the wait condition.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <privmem/iommufd.h>
#include <privmem/protfd.h>
#include <privmem/uapi/iommufd.h>
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "gmem/gmem_private.h"
#include "vmm_private.h"

static DEFINE_LOCK_CLASS(vmm_conv_class, LOCK_RANK_VMM);
static DEFINE_LOCK_CLASS(vmm_slots_class, LOCK_RANK_VMM_SLOTS);
static DEFINE_LOCK_CLASS(vmm_state_class, LOCK_RANK_VMM_STATE);

#define VM_MIN_MEM (4ULL << 20)
#define GDT_CODE64 0x00af9b000000ffffULL
#define GDT_DATA 0x00cf93000000ffffULL
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)

/* memslot 0 or another: KVM_SET_USER_MEMORY_REGION2 where offered. */
static int set_slot(struct pm_vm *vm, u32 slot, u32 flags, u64 gpa, u64 len,
		    void *uaddr, int gmem_fd)
{
	struct kvm_userspace_memory_region2 r2 = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = len,
		.userspace_addr = (uintptr_t)uaddr,
	};
	struct kvm_userspace_memory_region r1 = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = len,
		.userspace_addr = (uintptr_t)uaddr,
	};

	if (gmem_fd >= 0) {
		r2.guest_memfd = (u32)gmem_fd;
		r2.guest_memfd_offset = 0;
	}
	if (vm->caps.user_memory2)
		return sys_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r2);
	return sys_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r1);
}

static int set_attributes(struct pm_vm *vm, u64 gpa, u64 len,
			  enum pm_gmem_state to)
{
	struct kvm_memory_attributes a = {
		.address = gpa,
		.size = len,
		.attributes = to == PM_GMEM_PRIVATE ?
				      KVM_MEMORY_ATTRIBUTE_PRIVATE :
				      0,
	};

	return sys_ioctl(vm->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

/* Put the attributes of [gpa, gpa + len) back to the store's state. */
static void restore_attributes(struct pm_vm *vm, u64 gpa, u64 len)
{
	u64 off = gpa, end = gpa + len, run;
	int priv, rc;

	while (off < end) {
		priv = gmem_private_run(vm->g, off, end - off, &run);
		if (priv < 0)
			break;
		rc = set_attributes(vm, off, run,
				    priv ? PM_GMEM_PRIVATE : PM_GMEM_SHARED);
		if (rc)
			pr_err("vmm: restoring memory attributes at 0x%llx: "
			       "%d",
			       (unsigned long long)off, rc);
		off += run;
	}
}

int pm_vm_convert(struct pm_vm *vm, uint64_t gpa, uint64_t len,
		  enum pm_gmem_state to)
{
	u64 last;
	int rc;

	if (!vm || (to != PM_GMEM_PRIVATE && to != PM_GMEM_SHARED))
		return -EINVAL;
	rc = range_last(gpa, len, &last);
	if (rc)
		return rc;
	if (last >= vm->mem_size || !IS_ALIGNED(gpa, vm->granule) ||
	    !IS_ALIGNED(len, vm->granule))
		return -EINVAL;
	mutex_lock(&vm->conv_lock);
	if (vm->attributes) {
		rc = set_attributes(vm, gpa, len, to);
		if (rc)
			goto out;
	}
	rc = pm_gmem_convert(vm->g, gpa, len, to, 0, NULL);
	if (rc && vm->attributes)
		restore_attributes(vm, gpa, len);
out:
	if (rc) {
		__atomic_add_fetch(&vm->conversion_errors, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&vm->conversions, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&vm->bytes_converted, len, __ATOMIC_RELAXED);
	}
	mutex_unlock(&vm->conv_lock);
	return rc;
}

/* MAP_GPA_RANGE's arguments: @npages 4 KiB pages from @gpa, to @attrs. */
static int map_gpa_range(struct pm_vm *vm, u64 gpa, u64 npages, u64 attrs)
{
	if (!npages || npages > (UINT64_MAX >> 12))
		return -EINVAL;
	return pm_vm_convert(vm, gpa, npages << 12,
			     (attrs & PM_MAP_GPA_PRIVATE) ? PM_GMEM_PRIVATE :
							    PM_GMEM_SHARED);
}

/* A memory fault's range, widened to granules, to the state it wanted. */
static int memory_fault(struct pm_vm *vm, u64 flags, u64 gpa, u64 size)
{
	bool priv = flags & KVM_MEMORY_EXIT_FLAG_PRIVATE;
	u64 start = ALIGN_DOWN(gpa, vm->granule);
	u64 last, len;
	int rc;

	rc = range_last(gpa, size ? size : 1, &last);
	if (rc)
		return rc;
	len = ALIGN_UP(last + 1, vm->granule) - start;
	__atomic_add_fetch(&vm->memory_faults, 1, __ATOMIC_RELAXED);
	return pm_vm_convert(vm, start, len,
			     priv ? PM_GMEM_PRIVATE : PM_GMEM_SHARED);
}

int vmm_conv_request(struct pm_vm *vm, enum vmm_conv_source src, u64 nr,
		     u64 a0, u64 a1, u64 a2, u64 *ret)
{
	u64 call;
	int rc;

	switch (src) {
	case VMM_CONV_DOORBELL:
	case VMM_CONV_HYPERCALL:
		call = src == VMM_CONV_DOORBELL ? PM_HC_MAP_GPA_RANGE :
						  KVM_HC_MAP_GPA_RANGE;
		if (nr != call) {
			*ret = (u64)-PM_HC_ENOSYS;
			return -ENOSYS;
		}
		rc = map_gpa_range(vm, a0, a1, a2);
		break;
	case VMM_CONV_MEMORY_FAULT:
		rc = memory_fault(vm, nr, a0, a1);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	*ret = (u64)(s64)rc;
	return rc;
}

static int check_config(const struct pm_vm_config *cfg)
{
	if (!cfg || cfg->nr_vcpus < 1 || cfg->nr_vcpus > PM_VMM_MAX_VCPUS)
		return -EINVAL;
	if (cfg->mem_size < VM_MIN_MEM || cfg->mem_size > PM_VMM_MAX_MEM)
		return -EINVAL;
	if (cfg->flags & ~(u32)(PM_VM_F_DMA_ENGINE | PM_VM_F_FORCE_DOORBELL |
				PM_VM_F_TRUSTED_DEV | PM_VM_F_BAR_DEV))
		return -EINVAL;
	if (cfg->backend != PM_GMEM_GUEST_MEMFD &&
	    cfg->backend != PM_GMEM_HUGETLB_2M)
		return -EINVAL;
	if (cfg->backend == PM_GMEM_HUGETLB_2M &&
	    !IS_ALIGNED(cfg->mem_size, SZ_2M))
		return -EINVAL;
	if (!IS_ALIGNED(cfg->mem_size, SZ_4K))
		return -EINVAL;
	if (cfg->kick_signal < 0 || cfg->kick_signal >= 65)
		return -EINVAL;
	return 0;
}

static int create_ram(struct pm_vm *vm)
{
	struct pm_gmem_config gc = {
		.backend = vm->cfg.backend,
		.size = vm->cfg.mem_size,
		.flags = PM_GMEM_F_INIT_PRIVATE,
		.vm_fd = vm->vm_fd,
		.fd = -1,
		.name = "privmem-vm-ram",
	};
	int rc;

	rc = pm_gmem_create(&gc, &vm->g);
	if (rc)
		return rc;
	vm->granule = pm_gmem_granule(vm->g);
	if (vm->binding != PM_VM_BIND_GMEM_ONLY) {
		rc = pm_gmem_kvm_window(vm->g, &vm->window);
		if (rc)
			return rc;
	}
	switch (vm->binding) {
	case PM_VM_BIND_GMEM_ONLY:
		rc = set_slot(vm, VM_RAM_SLOT, KVM_MEM_GUEST_MEMFD, 0,
			      vm->mem_size, NULL, pm_gmem_private_fd(vm->g));
		break;
	case PM_VM_BIND_GMEM_WINDOW:
		rc = set_slot(vm, VM_RAM_SLOT, KVM_MEM_GUEST_MEMFD, 0,
			      vm->mem_size, vm->window,
			      pm_gmem_private_fd(vm->g));
		break;
	case PM_VM_BIND_WINDOW:
		rc = set_slot(vm, VM_RAM_SLOT, 0, 0, vm->mem_size, vm->window,
			      -1);
		break;
	}
	if (rc)
		return rc;
	vm->slots[VM_RAM_SLOT].used = true;
	vm->slots[VM_RAM_SLOT].len = vm->mem_size;
	if (vm->attributes)
		rc = set_attributes(vm, 0, vm->mem_size, PM_GMEM_PRIVATE);
	return rc;
}

/* All of RAM in one IOAS at IOVA = GPA, by store and offset, once. */
static int create_iommu(struct pm_vm *vm)
{
	u64 iova = 0;
	int rc;

	rc = pm_iommufd_open(&vm->ictx);
	if (!rc)
		rc = pm_ioas_alloc(vm->ictx, &vm->ioas_id);
	if (!rc)
		rc = pm_ioas_map_gmem(
			vm->ictx, vm->ioas_id, vm->g, 0, vm->mem_size, &iova,
			IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				IOMMU_IOAS_MAP_WRITEABLE);
	if (!rc)
		vm->ioas_maps++;
	return rc;
}

/*
 * The trusted engine's private MMIO. Bound when the guest's accept put the
 * binding in RUN; deleted by the revoke callback, which runs before the
 * revoking call returns, so from then on the guest's accesses exit and the
 * bus answers reads with all ones (nobody claims the range).
 */
static void pmmio_unbind(struct pm_vm *vm)
{
	u32 slot = __atomic_exchange_n(&vm->pmmio_slot, UINT32_MAX,
				       __ATOMIC_ACQ_REL);

	if (slot != UINT32_MAX)
		pm_vm_unmap_fd(vm, slot);
}

static void pmmio_revoke(struct pm_protfd *pf, enum pm_protfd_revoke_reason why,
			 void *opaque)
{
	(void)pf;
	pr_debug("vmm: private MMIO unbound (revoked: %d)", why);
	pmmio_unbind(opaque);
}

static void pmmio_bind(struct pm_protfd *pf, void *opaque)
{
	struct pm_vm *vm = opaque;
	u64 size;
	u32 slot;
	int fd, rc;

	rc = pm_protfd_mmio(pf, &fd, &size); /* RUN only */
	if (!rc)
		rc = pm_vm_map_gmem(vm, PM_TDEV_PMMIO_GPA,
				    pm_protfd_mmio_store(pf), 0, size, &slot);
	if (rc) {
		pr_warn("vmm: binding the private MMIO region: %d", rc);
		return;
	}
	slot = __atomic_exchange_n(&vm->pmmio_slot, slot, __ATOMIC_ACQ_REL);
	if (slot != UINT32_MAX) /* an older binding never unbound */
		pm_vm_unmap_fd(vm, slot);
	/* A revocation between the accept and the memslot found no slot to
	 * delete: it is gone from RUN, so delete ours. */
	if (pm_protfd_state(pf) != PM_TDI_RUN)
		pmmio_unbind(vm);
}

int pm_vm_create(const struct pm_vm_config *cfg, struct pm_vm **out)
{
	struct pm_vm *vm;
	unsigned int i;
	int rc;

	rc = check_config(cfg);
	if (rc || !out)
		return rc ? rc : -EINVAL;
	vm = kzalloc(sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->cfg = *cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->pmmio_slot = UINT32_MAX;
	vm->mem_size = cfg->mem_size;
	mutex_init(&vm->conv_lock, &vmm_conv_class);
	mutex_init(&vm->slots_lock, &vmm_slots_class);
	mutex_init(&vm->state_lock, &vmm_state_class);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&vm->state_cv, &ca);
		pthread_condattr_destroy(&ca);
		vm->cv_ready = true;
	}

	rc = vmm_probe_cached(&vm->caps);
	if (rc)
		goto err;
	if (!vm->caps.kvm) {
		pr_warn("vmm: no KVM: %s", vm->caps.why_not);
		rc = -EOPNOTSUPP;
		goto err;
	}
	if (cfg->backend == PM_GMEM_GUEST_MEMFD &&
	    !(vm->caps.guest_memfd && vm->caps.user_memory2)) {
		pr_warn("vmm: KVM lacks guest_memfd memslots");
		rc = -EOPNOTSUPP;
		goto err;
	}
	if (vm->caps.max_vcpus > 0 && cfg->nr_vcpus > (u32)vm->caps.max_vcpus) {
		rc = -EINVAL;
		goto err;
	}
	vm->binding = cfg->backend == PM_GMEM_GUEST_MEMFD ? vm->caps.binding :
							    PM_VM_BIND_WINDOW;
	vm->enforcement = vm->caps.enforcement;
	vm->conv_path = (cfg->flags & PM_VM_F_FORCE_DOORBELL) ?
				PM_VM_CONV_DOORBELL :
				vm->caps.conv_path;
	vm->attributes =
		(vm->caps.memory_attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE) &&
		cfg->backend == PM_GMEM_GUEST_MEMFD;

	vm->kick_sig = cfg->kick_signal ? cfg->kick_signal :
					  vmm_default_kick_signal();
	rc = vmm_kick_get(vm->kick_sig);
	if (rc)
		goto err;
	vm->kick_installed = true;

	rc = sys_open("/dev/kvm", O_RDWR, 0);
	if (rc < 0)
		goto err;
	vm->kvm_fd = rc;
	rc = sys_ioctl_val(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (rc < 0)
		goto err;
	vm->vm_fd = rc;
	rc = vmm_get_supported_cpuid(vm->kvm_fd, &vm->cpuid);
	if (rc)
		goto err;
	if (vm->conv_path == PM_VM_CONV_HYPERCALL) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL };

		cap.args[0] = 1ULL << KVM_HC_MAP_GPA_RANGE;
		rc = sys_ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap);
		if (rc)
			goto err;
	}
	rc = create_ram(vm);
	if (rc)
		goto err;
	rc = create_iommu(vm);
	if (rc)
		goto err;
	rc = pm_iobus_create(&vm->bus);
	if (rc)
		goto err;
	if (cfg->flags & PM_VM_F_DMA_ENGINE) {
		rc = pm_dma_engine_create(vm->bus, vm->ictx, vm->ioas_id,
					  PM_DMA_PIO_BASE, PM_DMA_MMIO_BASE,
					  NULL);
		if (rc)
			goto err;
	}
	if (cfg->flags & PM_VM_F_TRUSTED_DEV) {
		/* Its private MMIO: a guest_memfd on this VM where KVM has
		 * them, bound at PM_TDEV_PMMIO_GPA while in RUN. */
		struct vmm_tdev_pmmio pm = {
			.size = PM_TDEV_PMMIO_SIZE,
			.vm_fd = vm->caps.guest_memfd ? vm->vm_fd : -1,
			.revoke = pmmio_revoke,
			.on_run = pmmio_bind,
			.opaque = vm,
		};

		/* Store offset 0 is GPA 0: trusted IOVA = GPA. The VMM locks
		 * the binding; the guest fetches the report and accepts. */
		rc = vmm_trusted_engine_create(vm->bus, vm->ictx, vm->ioas_id,
					       vm->g, 0, PM_TDEV_MMIO_BASE, &pm,
					       &vm->tdev_pf);
		if (!rc)
			rc = pm_protfd_lock(vm->tdev_pf);
		if (rc)
			goto err;
	}
	if (cfg->flags & PM_VM_F_BAR_DEV) {
		rc = vm_bar_device_create(vm, PM_BAR_GPA, PM_BAR_SIZE,
					  &vm->bar);
		if (rc)
			goto err;
	}
	vm->vcpus = kcalloc(cfg->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		rc = -ENOMEM;
		goto err;
	}
	vm->nr_vcpus = cfg->nr_vcpus;
	for (i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (i = 0; i < vm->nr_vcpus; i++) {
		rc = vcpu_create(vm, i);
		if (rc)
			goto err;
	}
	pr_info("vmm: VM with %llu MiB of %s, %u vCPUs: binding %s, "
		"enforcement %s, conversion by %s",
		(unsigned long long)(vm->mem_size >> 20),
		pm_gmem_backend_name(cfg->backend), vm->nr_vcpus,
		pm_vm_binding_name(vm->binding),
		pm_vm_enforcement_name(vm->enforcement),
		pm_vm_conv_path_name(vm->conv_path));
	*out = vm;
	return 0;
err:
	pm_vm_destroy(vm);
	return rc;
}

void pm_vm_stop(struct pm_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	__atomic_store_n(&vm->stopping, true, __ATOMIC_RELEASE);
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started)
			sys_pthread_kill(vm->vcpus[i].thread, vm->kick_sig);
	for (i = 0; i < vm->nr_vcpus; i++) {
		if (!vm->vcpus[i].thread_started)
			continue;
		sys_pthread_join(vm->vcpus[i].thread);
		vm->vcpus[i].thread_started = false;
	}
}

void pm_vm_destroy(struct pm_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	pm_vm_stop(vm);
	/* Devices first: the DMA engine's IOMMU device is in the context. */
	pm_iobus_destroy(vm->bus);
	pm_iommufd_close(vm->ictx);
	for (i = 0; i < VM_MAX_SLOTS; i++) {
		if (!vm->slots[i].used)
			continue;
		set_slot(vm, i, 0, vm->slots[i].gpa, 0, NULL, -1);
		if (vm->slots[i].map)
			sys_munmap(vm->slots[i].map, vm->slots[i].len);
	}
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	kfree(vm->vcpus);
	pm_gmem_close(vm->g);
	sys_close(vm->vm_fd);
	sys_close(vm->kvm_fd);
	kfree(vm->cpuid);
	if (vm->kick_installed)
		vmm_kick_put(vm->kick_sig);
	if (vm->cv_ready)
		pthread_cond_destroy(&vm->state_cv);
	mutex_destroy(&vm->conv_lock);
	mutex_destroy(&vm->slots_lock);
	mutex_destroy(&vm->state_lock);
	kfree(vm);
}

int pm_vm_load(struct pm_vm *vm, uint64_t gpa, const void *src, uint64_t len)
{
	u64 last;
	int rc;

	if (!vm || !src)
		return -EINVAL;
	rc = range_last(gpa, len, &last);
	if (rc)
		return rc;
	if (last >= vm->mem_size)
		return -EINVAL;
	return pm_gmem_populate(vm->g, gpa, src, len);
}

void vmm_build_tables(u8 *low, unsigned int nr_gib)
{
	u64 *gdt = (u64 *)(low + PM_GUEST_GDT_GPA);
	u64 *pml4 = (u64 *)(low + PM_GUEST_PML4_GPA);
	u64 *pdpt = pml4 + 512, *pd = pml4 + 1024;
	u64 i;

	gdt[0] = 0;
	gdt[1] = GDT_CODE64;
	gdt[2] = GDT_DATA;
	pml4[0] = (PM_GUEST_PML4_GPA + 0x1000) | PTE_P | PTE_RW;
	for (i = 0; i < nr_gib; i++)
		pdpt[i] = (PM_GUEST_PML4_GPA + 0x2000 + i * 0x1000) | PTE_P |
			  PTE_RW;
	for (i = 0; i < nr_gib * 512; i++)
		pd[i] = (i * SZ_2M) | PTE_P | PTE_RW | PTE_PS;
}

/* GDT and the identity map of the first 4 GiB, by populate. */
static int load_tables(struct pm_vm *vm)
{
	u8 *low = kzalloc(VMM_TABLES_END);
	int rc;

	if (!low)
		return -ENOMEM;
	vmm_build_tables(low, 4);
	rc = pm_vm_load(vm, PM_GUEST_GDT_GPA, low + PM_GUEST_GDT_GPA,
			VMM_TABLES_END - PM_GUEST_GDT_GPA);
	kfree(low);
	return rc;
}

int pm_vm_boot(struct pm_vm *vm, const void *image, uint64_t image_len,
	       const void *params, uint64_t params_len)
{
	unsigned int i;
	int rc;

	if (!vm || !image || !image_len || vm->booted || vm->started)
		return -EINVAL;
	if (image_len > vm->mem_size - PM_GUEST_LOAD_GPA ||
	    (params && (!params_len || params_len > 4096)))
		return -EINVAL;
	rc = load_tables(vm);
	if (!rc)
		rc = pm_vm_load(vm, PM_GUEST_LOAD_GPA, image, image_len);
	if (!rc && params)
		rc = pm_vm_load(vm, PM_GUEST_PARAMS_GPA, params, params_len);
	for (i = 0; !rc && i < vm->nr_vcpus; i++)
		rc = vcpu_set_long_mode(&vm->vcpus[i], PM_GUEST_LOAD_GPA,
					PM_GUEST_LOAD_GPA -
						i * PM_GUEST_STACK_SIZE,
					PM_GUEST_PARAMS_GPA);
	if (!rc)
		vm->booted = true;
	return rc;
}

int pm_vm_start(struct pm_vm *vm)
{
	unsigned int i;
	int rc = 0;

	if (!vm || !vm->booted || vm->started)
		return -EINVAL;
	vm->started = true;
	for (i = 0; i < vm->nr_vcpus && !rc; i++)
		rc = vcpu_start(&vm->vcpus[i]);
	if (rc)
		pm_vm_stop(vm);
	return rc;
}

int pm_vm_wait(struct pm_vm *vm, int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	if (!vm)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout_ms >= 0) {
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
	}
	mutex_lock(&vm->state_lock);
	while (vm->running && !rc) {
		if (timeout_ms < 0)
			pthread_cond_wait(&vm->state_cv, &vm->state_lock.mu);
		else if (pthread_cond_timedwait(&vm->state_cv,
						&vm->state_lock.mu,
						&ts) == ETIMEDOUT)
			rc = vm->running ? -ETIMEDOUT : 0;
	}
	mutex_unlock(&vm->state_lock);
	return rc;
}

void pm_vm_reset_devices(struct pm_vm *vm)
{
	if (vm)
		pm_iobus_reset(vm->bus);
}

/*
 * A free slot for [gpa, last], or -EINVAL (overlap) / -ENOSPC. Called with
 * slots_lock held.
 */
static int find_slot(struct pm_vm *vm, u64 gpa, u64 last, unsigned int *out)
{
	unsigned int i, free_slot = 0;

	lockdep_assert_held(&vm->slots_lock);
	for (i = 0; i < VM_MAX_SLOTS; i++) {
		const struct vm_slot *s = &vm->slots[i];

		if (!s->used) {
			if (!free_slot && i != VM_RAM_SLOT)
				free_slot = i;
			continue;
		}
		if (range_overlaps(gpa, last, s->gpa, s->gpa + s->len - 1))
			return -EINVAL;
	}
	if (!free_slot)
		return -ENOSPC;
	*out = free_slot;
	return 0;
}

int pm_vm_map_gmem(struct pm_vm *vm, uint64_t gpa, struct pm_gmem *g,
		   uint64_t offset, uint64_t len, uint32_t *slot)
{
	bool is_gmem = g && pm_gmem_backend_of(g) == PM_GMEM_GUEST_MEMFD;
	u64 last, olast, gran;
	unsigned int idx;
	u8 *win = NULL;
	int rc;

	if (!vm || !g || !slot)
		return -EINVAL;
	rc = range_last(gpa, len, &last);
	if (!rc)
		rc = range_last(offset, len, &olast);
	if (rc)
		return rc;
	gran = pm_gmem_granule(g);
	if (!IS_ALIGNED(gpa, gran) || !IS_ALIGNED(len, gran) ||
	    !IS_ALIGNED(offset, gran) || olast >= pm_gmem_size(g))
		return -EINVAL;
	/* A guest_memfd binds only to the VM it was created on. */
	if (is_gmem && pm_gmem_vm_fd(g) != vm->vm_fd)
		return -EINVAL;
	if (!is_gmem || vm->binding != PM_VM_BIND_GMEM_ONLY) {
		rc = pm_gmem_kvm_window(g, (void **)&win);
		if (rc)
			return rc;
		win += offset;
	}
	mutex_lock(&vm->slots_lock);
	rc = find_slot(vm, gpa, last, &idx);
	if (!rc && !is_gmem) {
		rc = set_slot(vm, idx, 0, gpa, len, win, -1);
	} else if (!rc) {
		struct kvm_userspace_memory_region2 r = {
			.slot = idx,
			.flags = KVM_MEM_GUEST_MEMFD,
			.guest_phys_addr = gpa,
			.memory_size = len,
			.userspace_addr = (uintptr_t)win,
			.guest_memfd_offset = offset,
			.guest_memfd = (u32)pm_gmem_private_fd(g),
		};

		rc = sys_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r);
	}
	if (!rc) {
		vm->slots[idx].used = true;
		vm->slots[idx].gpa = gpa;
		vm->slots[idx].len = len;
		vm->slots[idx].map = NULL; /* the store owns its window */
		*slot = idx;
	}
	mutex_unlock(&vm->slots_lock);
	return rc;
}

int pm_vm_map_fd(struct pm_vm *vm, uint64_t gpa, uint64_t len, int fd,
		 uint64_t offset, bool writable, uint32_t *slot)
{
	u64 last, olast;
	unsigned int free_slot = 0;
	void *p;
	int rc;

	if (!vm || !slot || fd < 0)
		return -EINVAL;
	rc = range_last(gpa, len, &last);
	if (!rc)
		rc = range_last(offset, len, &olast);
	if (rc)
		return rc;
	if (!IS_ALIGNED(gpa, SZ_4K) || !IS_ALIGNED(len, SZ_4K) ||
	    !IS_ALIGNED(offset, SZ_4K))
		return -EINVAL;
	mutex_lock(&vm->slots_lock);
	rc = find_slot(vm, gpa, last, &free_slot);
	if (rc)
		goto out;
	p = sys_mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0),
		     MAP_SHARED, fd, (off_t)offset);
	if (IS_ERR(p)) {
		rc = (int)PTR_ERR(p);
		goto out;
	}
	rc = sys_madvise(p, len, MADV_DONTFORK);
	if (!rc)
		rc = set_slot(vm, free_slot, writable ? 0 : KVM_MEM_READONLY,
			      gpa, len, p, -1);
	if (rc) {
		sys_munmap(p, len);
		goto out;
	}
	vm->slots[free_slot].used = true;
	vm->slots[free_slot].gpa = gpa;
	vm->slots[free_slot].len = len;
	vm->slots[free_slot].map = p;
	*slot = free_slot;
out:
	mutex_unlock(&vm->slots_lock);
	return rc;
}

int pm_vm_unmap_fd(struct pm_vm *vm, uint32_t slot)
{
	struct vm_slot *s;
	int rc = 0;

	if (!vm || slot == VM_RAM_SLOT || slot >= VM_MAX_SLOTS)
		return -ENOENT;
	mutex_lock(&vm->slots_lock);
	s = &vm->slots[slot];
	if (!s->used) {
		rc = -ENOENT;
	} else {
		/*
		 * Deleting a memslot can fail (KVM allocates for it): then
		 * the slot stays, mapping included. Unmapping memory KVM
		 * still translates would let a later mmap at that address
		 * show up in the guest.
		 */
		rc = set_slot(vm, slot, 0, s->gpa, 0, NULL, -1);
		if (!rc) {
			if (s->map)
				sys_munmap(s->map, s->len);
			memset(s, 0, sizeof(*s));
		}
	}
	mutex_unlock(&vm->slots_lock);
	return rc;
}

struct pm_protfd *pm_vm_protfd(const struct pm_vm *vm)
{
	return vm ? vm->tdev_pf : NULL;
}

uint32_t pm_vm_private_mmio_slot(const struct pm_vm *vm)
{
	return vm ? __atomic_load_n(&vm->pmmio_slot, __ATOMIC_ACQUIRE) :
		    UINT32_MAX;
}

struct pm_device *pm_vm_bar_device(const struct pm_vm *vm, uint32_t *slot)
{
	return vm_bar_device(vm ? vm->bar : NULL, slot);
}

int pm_vm_fd(const struct pm_vm *vm)
{
	return vm->vm_fd;
}

struct pm_gmem *pm_vm_gmem(const struct pm_vm *vm)
{
	return vm->g;
}

struct pm_iobus *pm_vm_iobus(const struct pm_vm *vm)
{
	return vm->bus;
}

struct pm_iommufd *pm_vm_iommufd(const struct pm_vm *vm)
{
	return vm->ictx;
}

uint32_t pm_vm_ioas(const struct pm_vm *vm)
{
	return vm->ioas_id;
}

unsigned int pm_vm_nr_vcpus(const struct pm_vm *vm)
{
	return vm->nr_vcpus;
}

uint64_t pm_vm_mem_size(const struct pm_vm *vm)
{
	return vm->mem_size;
}

void pm_vm_modes(const struct pm_vm *vm, enum pm_vm_binding *binding,
		 enum pm_vm_enforcement *enforcement,
		 enum pm_vm_conv_path *conv_path)
{
	if (binding)
		*binding = vm->binding;
	if (enforcement)
		*enforcement = vm->enforcement;
	if (conv_path)
		*conv_path = vm->conv_path;
}

int pm_vm_vcpu_info(struct pm_vm *vm, unsigned int vcpu,
		    struct pm_vcpu_info *info)
{
	if (!vm || !info || vcpu >= vm->nr_vcpus)
		return -EINVAL;
	mutex_lock(&vm->state_lock);
	*info = vm->vcpus[vcpu].info;
	info->state = vm->vcpus[vcpu].state;
	mutex_unlock(&vm->state_lock);
	return 0;
}

int pm_vm_get_stats(struct pm_vm *vm, struct pm_vm_stats *st)
{
	unsigned int i;

	if (!vm || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->conversions = __atomic_load_n(&vm->conversions, __ATOMIC_RELAXED);
	st->conversion_errors =
		__atomic_load_n(&vm->conversion_errors, __ATOMIC_RELAXED);
	st->bytes_converted =
		__atomic_load_n(&vm->bytes_converted, __ATOMIC_RELAXED);
	st->memory_faults =
		__atomic_load_n(&vm->memory_faults, __ATOMIC_RELAXED);
	st->ioas_maps = vm->ioas_maps;
	st->reports = __atomic_load_n(&vm->reports, __ATOMIC_RELAXED);
	mutex_lock(&vm->state_lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		st->exits += vm->vcpus[i].info.exits;
	mutex_unlock(&vm->state_lock);
	return 0;
}
