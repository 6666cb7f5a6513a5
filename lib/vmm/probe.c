// SPDX-License-Identifier: MIT
/*
 * What this host's KVM can do for a gmem guest, asked, never assumed.
 *
 * Data model
 * ----------
 * struct pm_vmm_caps holds the answers: capabilities from
 * KVM_CHECK_EXTENSION on a VM of our own (guest_memfd and its flags,
 * memory attributes, memory region 2, the hypercall exit, memory-fault
 * exits, VM types), and two behaviours no capability reports, found by
 * running a throwaway guest:
 *
 *   gmem_only_runs       A 64-bit guest of five bytes (load AL, OUT, HLT)
 *                        with its page tables in a guest_memfd memslot
 *                        whose userspace_addr is 0: does its port write
 *                        reach us? On kvm_pvm it does not (the shadow MMU
 *                        reads the guest's page tables through
 *                        userspace_addr: a triple fault).
 *                        A guest_memfd the host cannot map cannot be
 *                        loaded; then the KVM flavour decides.
 *   hypercall_completes  A guest issues KVM_HC_MAP_GPA_RANGE (VMCALL, or
 *                        VMMCALL on AMD) with KVM_CAP_EXIT_HYPERCALL on:
 *                        do we get KVM_EXIT_HYPERCALL, and does the guest
 *                        go on to its OUT when we resume it? On kvm_pvm
 *                        KVM_RUN spins on the instruction instead.
 *
 * Both run under a POSIX timer that sends the kick signal to this thread:
 * a guest that never exits makes KVM_RUN return EINTR after 50 ms, so a
 * probe cannot hang. The answers decide the modes (vmm.h): binding,
 * enforcement, conversion path. They are computed once per process and
 * cached.
 *
 * The kick signal
 * ---------------
 * KVM_RUN returns EINTR when a signal that is not blocked arrives. The
 * library installs an empty handler for the kick signal (reference
 * counted: while a VM or a probe needs it, the old action restored after),
 * keeps it blocked in vCPU threads and unblocks it only inside KVM_RUN
 * (KVM_SET_SIGNAL_MASK). A kick sent while the thread is outside KVM_RUN
 * stays pending and makes the next KVM_RUN return at once, so no kick is
 * lost; after EINTR the thread drains it (sys_sigdrain).
 *
 * Locking
 * -------
 * probe_lock (LOCK_RANK_VMM) serialises the first probe and guards the
 * cache, held while a probe takes kick_lock;
 * kick_lock (leaf) guards the handler's reference count. Neither is held
 * while another lock is taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cpuid.h>
#include <sys/mman.h>
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/sys.h"
#include "vmm_private.h"

static DEFINE_LOCK_CLASS(vmm_probe_class, LOCK_RANK_VMM);
static DEFINE_LOCK_CLASS(vmm_kick_class, LOCK_RANK_LEAF);

static struct mutex probe_lock = { PTHREAD_MUTEX_INITIALIZER,
				   &vmm_probe_class };
static struct pm_vmm_caps cached;
static bool cached_valid;

static struct mutex kick_lock = { PTHREAD_MUTEX_INITIALIZER, &vmm_kick_class };
static int kick_refs[72]; /* per signal number */
static struct sigaction kick_old[72];

#define PROBE_TIMEOUT_NS (50ULL * 1000 * 1000)
#define PROBE_MEM 0x10000ULL
#define PROBE_PORT 0x10

const char *pm_vm_binding_name(enum pm_vm_binding b)
{
	switch (b) {
	case PM_VM_BIND_GMEM_ONLY:
		return "gmem-only";
	case PM_VM_BIND_GMEM_WINDOW:
		return "gmem+window";
	case PM_VM_BIND_WINDOW:
		return "window";
	}
	return "unknown";
}

const char *pm_vm_enforcement_name(enum pm_vm_enforcement e)
{
	return e == PM_VM_ENFORCE_HARDWARE ? "hardware" : "emulated";
}

const char *pm_vm_conv_path_name(enum pm_vm_conv_path p)
{
	return p == PM_VM_CONV_HYPERCALL ? "hypercall" : "doorbell";
}

int vmm_default_kick_signal(void)
{
	return SIGRTMIN + 5;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int vmm_kick_get(int sig)
{
	struct sigaction sa;
	int rc = 0;

	if (sig <= 0 || sig >= (int)ARRAY_SIZE(kick_refs))
		return -EINVAL;
	mutex_lock(&kick_lock);
	if (!kick_refs[sig]) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = kick_handler;
		sigemptyset(&sa.sa_mask);
		rc = sys_sigaction(sig, &sa, &kick_old[sig]);
	}
	if (!rc)
		kick_refs[sig]++;
	mutex_unlock(&kick_lock);
	return rc;
}

void vmm_kick_put(int sig)
{
	mutex_lock(&kick_lock);
	if (!WARN_ON(kick_refs[sig] <= 0) && --kick_refs[sig] == 0)
		sys_sigaction_undo(sig, &kick_old[sig]);
	mutex_unlock(&kick_lock);
}

int vmm_set_vcpu_sigmask(int vcpu_fd, int sig)
{
	struct {
		struct kvm_signal_mask hdr;
		u8 set[8];
	} m;
	sigset_t cur;
	int rc;

	rc = sys_pthread_sigmask(SIG_BLOCK, NULL, &cur);
	if (rc)
		return rc;
	sigdelset(&cur, sig);
	/* The kernel's sigset is 64 bits, glibc's sigset_t begins with it. */
	m.hdr.len = 8;
	memcpy(m.set, &cur, 8);
	return sys_ioctl(vcpu_fd, KVM_SET_SIGNAL_MASK, &m);
}

int vmm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out)
{
	unsigned int n = 64;
	struct kvm_cpuid2 *c;
	int rc;

	for (;;) {
		c = kzalloc(sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		rc = sys_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (rc != -E2BIG || n >= 4096)
			break;
		kfree(c);
		n *= 2;
	}
	if (rc) {
		kfree(c);
		return rc;
	}
	*out = c;
	return 0;
}

/*
 * Run @vcpu once, interrupted after PROBE_TIMEOUT_NS by the kick signal.
 * Return: KVM_RUN's result (0, -EINTR, ...).
 */
static int run_bounded(int vcpu)
{
	int sig = vmm_default_kick_signal();
	sigset_t block, old;
	timer_t t;
	int rc;

	rc = vmm_kick_get(sig);
	if (rc)
		return rc;
	sigemptyset(&block);
	sigaddset(&block, sig);
	rc = sys_pthread_sigmask(SIG_BLOCK, &block, &old);
	if (rc)
		goto out_put;
	rc = vmm_set_vcpu_sigmask(vcpu, sig);
	if (rc)
		goto out_mask;
	rc = sys_timer_create_tid(sig, sys_gettid(), &t);
	if (rc)
		goto out_mask;
	rc = sys_timer_settime_ns(t, PROBE_TIMEOUT_NS);
	if (!rc)
		rc = sys_ioctl_val(vcpu, KVM_RUN, 0);
	sys_timer_delete(t);
	sys_sigdrain(sig);
out_mask:
	sys_pthread_sigmask(SIG_SETMASK, &old, NULL);
out_put:
	vmm_kick_put(sig);
	return rc;
}

/*
 * The probes' guest memory: vmm_abi.h's GDT and page tables, the code at
 * PROBE_CODE, the stack below PROBE_STACK. Guests start in 64-bit mode,
 * as the VMM's do (kvm_pvm runs no real-mode guest at all).
 */
#define PROBE_CODE 0x8000ULL
#define PROBE_STACK 0xf000ULL

static void probe_image(u8 *m, const u8 *code, size_t len)
{
	memset(m, 0, PROBE_MEM);
	vmm_build_tables(m, 1);
	memcpy(m + PROBE_CODE, code, len);
}

/* A vCPU in 64-bit mode at PROBE_CODE, with its kvm_run mapped. */
static int probe_vcpu(int kvm, int vm, int *vcpu_out, struct kvm_run **run,
		      size_t *run_size)
{
	struct kvm_cpuid2 *cpuid = NULL;
	int vcpu, sz, rc;
	void *p;

	sz = sys_ioctl_val(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < 0)
		return sz;
	rc = vmm_get_supported_cpuid(kvm, &cpuid);
	if (rc)
		return rc;
	vcpu = sys_ioctl_val(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		kfree(cpuid);
		return vcpu;
	}
	p = sys_mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
		     0);
	if (IS_ERR(p)) {
		kfree(cpuid);
		sys_close(vcpu);
		return (int)PTR_ERR(p);
	}
	rc = sys_ioctl(vcpu, KVM_SET_CPUID2, cpuid);
	kfree(cpuid);
	if (!rc)
		rc = vmm_set_long_mode(vcpu, PROBE_CODE, PROBE_STACK, 0, 0, 0);
	if (rc) {
		sys_munmap(p, (size_t)sz);
		sys_close(vcpu);
		return rc;
	}
	*vcpu_out = vcpu;
	*run = p;
	*run_size = (size_t)sz;
	return 0;
}

static void describe_exit(char *buf, size_t len, int rc, struct kvm_run *run)
{
	if (rc == -EINTR)
		snprintf(buf, len,
			 "no exit within %llu ms (KVM_RUN "
			 "interrupted)",
			 PROBE_TIMEOUT_NS / 1000000);
	else if (rc)
		snprintf(buf, len, "KVM_RUN: %s", strerror(-rc));
	else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		snprintf(buf, len, "KVM_EXIT_INTERNAL_ERROR (suberror %u)",
			 run->internal.suberror);
	else if (run->exit_reason == KVM_EXIT_SHUTDOWN)
		snprintf(buf, len, "KVM_EXIT_SHUTDOWN (triple fault)");
	else
		snprintf(buf, len, "exit %u", run->exit_reason);
}

/* mov al, 0x42; OUT PROBE_PORT, AL; HLT */
static const u8 gmem_only_code[] = { 0xb0, 0x42, 0xe6, PROBE_PORT, 0xf4 };

static int probe_gmem_only(int kvm, int vm, struct pm_vmm_caps *c)
{
	const u64 want = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	struct kvm_create_guest_memfd gm = { .size = PROBE_MEM };
	struct kvm_userspace_memory_region2 r = { 0 };
	struct kvm_run *run = NULL;
	size_t run_size = 0;
	int gfd, vcpu = -1, rc;
	u8 *m;

	if ((c->guest_memfd_flags & want) != want) {
		/* Nothing can be loaded into it: decide by flavour. */
		c->gmem_only_runs = strcmp(c->kvm_module, "kvm_pvm") != 0;
		snprintf(c->gmem_only_how, sizeof(c->gmem_only_how),
			 "not probed (guest_memfd not mappable); by %s",
			 c->kvm_module[0] ? c->kvm_module : "kvm");
		return 0;
	}
	gm.flags = want;
	gfd = sys_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gm);
	if (gfd < 0)
		return gfd;
	m = sys_mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE, MAP_SHARED, gfd,
		     0);
	if (IS_ERR(m)) {
		rc = (int)PTR_ERR(m);
		goto out_fd;
	}
	probe_image(m, gmem_only_code, sizeof(gmem_only_code));
	sys_munmap(m, PROBE_MEM);
	r.slot = 0;
	r.flags = KVM_MEM_GUEST_MEMFD;
	r.memory_size = PROBE_MEM;
	r.guest_memfd = (u32)gfd;
	rc = sys_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r);
	if (rc) {
		c->gmem_only_runs = false;
		snprintf(c->gmem_only_how, sizeof(c->gmem_only_how),
			 "memslot refused: %s", strerror(-rc));
		rc = 0;
		goto out_fd;
	}
	rc = probe_vcpu(kvm, vm, &vcpu, &run, &run_size);
	if (rc)
		goto out_fd;
	rc = run_bounded(vcpu);
	c->gmem_only_runs = !rc && run->exit_reason == KVM_EXIT_IO &&
			    run->io.port == PROBE_PORT;
	if (c->gmem_only_runs)
		snprintf(c->gmem_only_how, sizeof(c->gmem_only_how),
			 "the probe guest's port write arrived");
	else
		describe_exit(c->gmem_only_how, sizeof(c->gmem_only_how), rc,
			      run);
	rc = 0;
	sys_munmap(run, run_size);
	sys_close(vcpu);
out_fd:
	sys_close(gfd);
	return rc;
}

static int probe_hypercall(int kvm, int vm, struct pm_vmm_caps *c)
{
	/* mov eax, 12; xor ebx, ebx; mov ecx, 1; xor edx, edx; VMCALL;
	 * mov al, 0x42; OUT PROBE_PORT, AL; HLT (64-bit code) */
	u8 code[] = { 0xb8,	  PM_HC_MAP_GPA_RANGE,
		      0,	  0,
		      0,	  0x31,
		      0xdb,	  0xb9,
		      1,	  0,
		      0,	  0,
		      0x31,	  0xd2,
		      0x0f,	  0x01,
		      0xc1,	  0xb0,
		      0x42,	  0xe6,
		      PROBE_PORT, 0xf4 };
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL };
	struct kvm_userspace_memory_region r = { 0 };
	struct kvm_run *run = NULL;
	size_t run_size = 0;
	int vcpu = -1, rc;
	u8 *m;

	if (!c->exit_hypercall) {
		c->hypercall_completes = false;
		snprintf(c->hypercall_how, sizeof(c->hypercall_how),
			 "KVM_CAP_EXIT_HYPERCALL lacks MAP_GPA_RANGE");
		return 0;
	}
	if (c->amd)
		code[16] = 0xd9; /* VMMCALL */
	cap.args[0] = 1ULL << KVM_HC_MAP_GPA_RANGE;
	rc = sys_ioctl(vm, KVM_ENABLE_CAP, &cap);
	if (rc)
		return rc;
	m = sys_mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (IS_ERR(m))
		return (int)PTR_ERR(m);
	probe_image(m, code, sizeof(code));
	r.memory_size = PROBE_MEM;
	r.userspace_addr = (uintptr_t)m;
	rc = sys_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
	if (!rc)
		rc = probe_vcpu(kvm, vm, &vcpu, &run, &run_size);
	if (rc)
		goto out;
	rc = run_bounded(vcpu);
	if (!rc && run->exit_reason == KVM_EXIT_HYPERCALL &&
	    run->hypercall.nr == KVM_HC_MAP_GPA_RANGE) {
		run->hypercall.ret = 0;
		rc = run_bounded(vcpu);
		c->hypercall_completes = !rc &&
					 run->exit_reason == KVM_EXIT_IO &&
					 run->io.port == PROBE_PORT;
		if (c->hypercall_completes)
			snprintf(c->hypercall_how, sizeof(c->hypercall_how),
				 "KVM_EXIT_HYPERCALL, and the guest resumed");
		else
			describe_exit(c->hypercall_how,
				      sizeof(c->hypercall_how), rc, run);
	} else {
		c->hypercall_completes = false;
		describe_exit(c->hypercall_how, sizeof(c->hypercall_how), rc,
			      run);
		if (rc == -EINTR)
			snprintf(c->hypercall_how, sizeof(c->hypercall_how),
				 "%s: KVM_RUN spins on it (interrupted after "
				 "%llu ms)",
				 c->amd ? "VMMCALL" : "VMCALL",
				 PROBE_TIMEOUT_NS / 1000000);
	}
	rc = 0;
	sys_munmap(run, run_size);
	sys_close(vcpu);
out:
	sys_munmap(m, PROBE_MEM);
	return rc;
}

static bool cpu_is_amd(void)
{
	unsigned int a, b, cx, d;

	if (!__get_cpuid(0, &a, &b, &cx, &d))
		return false;
	/* "AuthenticAMD" or "HygonGenuine": ebx holds the first 4 bytes. */
	return b == 0x68747541 || b == 0x6f677948;
}

/*
 * Probing fails, rather than answering that the host can do less, when a
 * question cannot be asked (allocation, an injected fault): the answer is
 * cached for the process, and a transient failure must not become a host
 * without guest_memfd until exit. Only "absent" is an answer.
 */
static int probe_module(struct pm_vmm_caps *c)
{
	static const char *const mods[] = { "kvm_pvm", "kvm_intel", "kvm_amd" };
	char path[64];
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(mods); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", mods[i]);
		rc = sys_access(path, F_OK);
		if (rc == 0) {
			snprintf(c->kvm_module, sizeof(c->kvm_module), "%s",
				 mods[i]);
			return 0;
		}
		if (rc != -ENOENT)
			return rc;
	}
	return 0;
}

/* KVM_CHECK_EXTENSION; an error (none is expected) goes to *@err. */
static int ext(int fd, long cap, int *err)
{
	int r = sys_ioctl_val(fd, KVM_CHECK_EXTENSION, (unsigned long)cap);

	if (r < 0 && !*err)
		*err = r;
	return r < 0 ? 0 : r;
}

static int probe_host(struct pm_vmm_caps *c)
{
	struct timespec t0, t1;
	int kvm, vm, vm2, rc, err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(c, 0, sizeof(*c));
	kvm = sys_open("/dev/kvm", O_RDWR, 0);
	if (kvm < 0) {
		snprintf(c->why_not, sizeof(c->why_not), "open /dev/kvm: %s",
			 strerror(-kvm));
		return kvm == -ENOMEM || kvm == -EMFILE ? kvm : 0;
	}
	vm = sys_ioctl_val(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(c->why_not, sizeof(c->why_not), "KVM_CREATE_VM: %s",
			 strerror(-vm));
		sys_close(kvm);
		return vm == -ENOMEM ? vm : 0;
	}
	c->kvm = true;
	err = probe_module(c);
	c->amd = cpu_is_amd();
	c->guest_memfd = ext(vm, KVM_CAP_GUEST_MEMFD, &err) > 0;
	c->guest_memfd_flags = (u64)ext(vm, KVM_CAP_GUEST_MEMFD_FLAGS, &err);
	c->user_memory2 = ext(vm, KVM_CAP_USER_MEMORY2, &err) > 0;
	c->memory_attributes = (u64)ext(vm, KVM_CAP_MEMORY_ATTRIBUTES, &err);
	c->vm_types = (u64)ext(kvm, KVM_CAP_VM_TYPES, &err);
	c->exit_hypercall = (ext(vm, KVM_CAP_EXIT_HYPERCALL, &err) &
			     (1 << KVM_HC_MAP_GPA_RANGE)) != 0;
	c->memory_fault_info = ext(vm, KVM_CAP_MEMORY_FAULT_INFO, &err) > 0;
	c->max_vcpus = ext(vm, KVM_CAP_MAX_VCPUS, &err);

	if (err) {
		sys_close(vm);
		sys_close(kvm);
		return err;
	}
	rc = 0;
	if (c->guest_memfd && c->user_memory2)
		rc = probe_gmem_only(kvm, vm, c);
	else
		snprintf(c->gmem_only_how, sizeof(c->gmem_only_how),
			 "no guest_memfd memslots here");
	sys_close(vm);
	if (!rc) {
		/* A VM of its own: the capability is enabled on it. */
		vm2 = sys_ioctl_val(kvm, KVM_CREATE_VM, 0);
		rc = vm2 < 0 ? vm2 : probe_hypercall(kvm, vm2, c);
		sys_close(vm2);
	}
	sys_close(kvm);
	if (rc)
		return rc;

	c->binding = c->gmem_only_runs ? PM_VM_BIND_GMEM_ONLY :
					 PM_VM_BIND_GMEM_WINDOW;
	/* privmem creates default VMs: the CPU enforces nothing for them. */
	c->enforcement = PM_VM_ENFORCE_EMULATED;
	c->conv_path = c->hypercall_completes ? PM_VM_CONV_HYPERCALL :
						PM_VM_CONV_DOORBELL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c->probe_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return 0;
}

int vmm_probe_cached(struct pm_vmm_caps *caps)
{
	int rc = 0;

	mutex_lock(&probe_lock);
	if (!cached_valid) {
		rc = probe_host(&cached);
		cached_valid = !rc;
	}
	if (!rc)
		*caps = cached;
	mutex_unlock(&probe_lock);
	return rc;
}

int pm_vmm_probe(struct pm_vmm_caps *caps)
{
	if (!caps)
		return -EINVAL;
	return vmm_probe_cached(caps);
}
