// SPDX-License-Identifier: MIT
/*
 * vCPUs: one thread each, running KVM_RUN in a loop whose body is one
 * switch on the exit reason.
 *
 * Data model
 * ----------
 * struct pm_vcpu: the vCPU fd, its mapped struct kvm_run, the thread, a
 * state (CREATED -> RUNNING -> HALTED | STOPPED | FAILED, under the VM's
 * state_lock; the VM's condition variable wakes pm_vm_wait when a vCPU
 * leaves RUNNING), and pm_vcpu_info, written only by the vCPU's own thread
 * and read once it has stopped.
 *
 * The exit loop
 * -------------
 *   KVM_EXIT_IO        PM_PORT_HYPERCALL (OUT): the conversion doorbell,
 *                      registers as for a hypercall; PM_PORT_REPORT (OUT):
 *                      the report callback; PM_PORT_CONSOLE: text; any
 *                      other port: the I/O bus (string I/O element by
 *                      element); unclaimed reads return all ones.
 *   KVM_EXIT_MMIO      the I/O bus, MMIO space.
 *   KVM_EXIT_HYPERCALL KVM_HC_MAP_GPA_RANGE: the conversion request; any
 *                      other number: -KVM_ENOSYS.
 *   KVM_EXIT_HLT       the vCPU is done (HALTED).
 *   KVM_EXIT_INTR      (and KVM_RUN failing with EINTR) a kick: drain it,
 *                      leave if the VM is stopping, else run again.
 *   KVM_EXIT_MEMORY_FAULT (KVM_RUN fails with EFAULT) an implicit
 *                      conversion request for the faulting range, to the
 *                      state the access wanted, as QEMU handles it; if it
 *                      fails the vCPU fails.
 *   anything else      the vCPU fails, with the reason in its info.
 *
 * Invariants: a vCPU thread blocks the kick signal except inside KVM_RUN
 * (KVM_SET_SIGNAL_MASK), checks `stopping` before every KVM_RUN, and so
 * always notices pm_vm_stop (probe.c explains why no kick is lost). The
 * thread touches guest memory never: it reads registers and struct kvm_run
 * only.
 *
 * The three conversion exits (doorbell, hypercall, memory fault) hand their
 * registers to vmm_conv_request() (vm.c), which decodes them; the fuzz
 * target fuzz/vmm_conv.c calls it the same way, without a guest.
 *
 * Locking
 * -------
 * Exits are handled with no lock held: a conversion takes the VM's
 * conversion lock, the bus its own; the report callback and device models
 * run lock-free. state_lock (LOCK_RANK_VMM_STATE) is taken only to change
 * the state and signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "vmm_private.h"

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_MP (1ULL << 1)
#define X86_CR0_ET (1ULL << 4)
#define X86_CR0_NE (1ULL << 5)
#define X86_CR0_WP (1ULL << 16)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define X86_CR4_OSFXSR (1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

int vcpu_create(struct pm_vm *vm, unsigned int idx)
{
	struct pm_vcpu *v = &vm->vcpus[idx];
	int sz, rc;
	void *p;

	v->vm = vm;
	v->idx = idx;
	v->fd = -1;
	sz = sys_ioctl_val(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < 0)
		return sz;
	rc = sys_ioctl_val(vm->vm_fd, KVM_CREATE_VCPU, idx);
	if (rc < 0)
		return rc;
	v->fd = rc;
	p = sys_mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		     v->fd, 0);
	if (IS_ERR(p))
		return (int)PTR_ERR(p);
	v->run = p;
	v->run_size = (size_t)sz;
	rc = sys_ioctl(v->fd, KVM_SET_CPUID2, vm->cpuid);
	if (rc)
		return rc;
	v->state = PM_VCPU_CREATED;
	return 0;
}

void vcpu_destroy(struct pm_vcpu *v)
{
	if (v->run)
		sys_munmap(v->run, v->run_size);
	v->run = NULL;
	sys_close(v->fd);
	v->fd = -1;
}

int vmm_set_long_mode(int fd, u64 entry, u64 stack, u64 rdi, u64 rsi, u64 rdx)
{
	struct kvm_segment code = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = PM_GUEST_CS,
		.type = 11,
		.present = 1,
		.s = 1,
		.l = 1,
		.g = 1,
	};
	struct kvm_segment data = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = PM_GUEST_DS,
		.type = 3,
		.present = 1,
		.db = 1,
		.s = 1,
		.g = 1,
	};
	/* A busy 64-bit TSS: VMX checks TR even when nothing uses it. */
	struct kvm_segment tr = {
		.base = 0,
		.limit = 0x67,
		.selector = 0x18,
		.type = 11,
		.present = 1,
	};
	struct kvm_sregs s;
	struct kvm_regs r;
	int rc;

	rc = sys_ioctl(fd, KVM_GET_SREGS, &s);
	if (rc)
		return rc;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = tr;
	s.ldt.unusable = 1;
	s.gdt.base = PM_GUEST_GDT_GPA;
	s.gdt.limit = 3 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0; /* no IDT: an exception ends in a triple fault */
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
		X86_CR0_PG;
	s.cr3 = PM_GUEST_PML4_GPA;
	s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA;
	rc = sys_ioctl(fd, KVM_SET_SREGS, &s);
	if (rc)
		return rc;
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsp = stack;
	r.rdi = rdi;
	r.rsi = rsi;
	r.rdx = rdx;
	r.rflags = 2;
	return sys_ioctl(fd, KVM_SET_REGS, &r);
}

int vcpu_set_long_mode(struct pm_vcpu *v, u64 entry, u64 stack, u64 params)
{
	return vmm_set_long_mode(v->fd, entry, stack, v->idx, params,
				 v->vm->nr_vcpus);
}

static void set_state(struct pm_vcpu *v, enum pm_vcpu_state st)
{
	struct pm_vm *vm = v->vm;

	mutex_lock(&vm->state_lock);
	if (v->state == PM_VCPU_RUNNING && st != PM_VCPU_RUNNING) {
		vm->running--;
		pthread_cond_broadcast(&vm->state_cv);
	}
	v->state = st;
	v->info.state = st;
	mutex_unlock(&vm->state_lock);
}

static void fail(struct pm_vcpu *v, int err, const char *fmt, ...)
	__printf(3, 4);
static void fail(struct pm_vcpu *v, int err, const char *fmt, ...)
{
	struct kvm_regs r;
	va_list ap;

	v->info.error = err;
	va_start(ap, fmt);
	vsnprintf(v->info.why, sizeof(v->info.why), fmt, ap);
	va_end(ap);
	if (!sys_ioctl(v->fd, KVM_GET_REGS, &r))
		v->info.rip = r.rip;
	pr_err("vmm: vcpu%u failed: %s (rip 0x%llx)", v->idx, v->info.why,
	       (unsigned long long)v->info.rip);
	set_state(v, PM_VCPU_FAILED);
}

static void console_put(struct pm_vcpu *v, u8 c)
{
	if (c != '\n' && v->console_len < sizeof(v->console) - 1) {
		v->console[v->console_len++] = (char)c;
		return;
	}
	v->console[v->console_len] = 0;
	pr_info("guest vcpu%u: %s", v->idx, v->console);
	v->console_len = 0;
	if (c != '\n')
		v->console[v->console_len++] = (char)c;
}

/*
 * A register-carried call (the doorbell, a report): RAX = number or code,
 * RBX, RCX, RDX, RSI = arguments; the answer goes back in RAX.
 */
static int reg_call(struct pm_vcpu *v, u16 port)
{
	struct pm_vm *vm = v->vm;
	struct pm_vm_report rep;
	struct kvm_regs r;
	u64 ret = 0;
	int rc;

	rc = sys_ioctl(v->fd, KVM_GET_REGS, &r);
	if (rc)
		return rc;
	if (port == PM_PORT_HYPERCALL) {
		v->info.doorbells++;
		vmm_conv_request(vm, VMM_CONV_DOORBELL, r.rax, r.rbx, r.rcx,
				 r.rdx, &ret);
	} else {
		rep.code = r.rax;
		rep.a[0] = r.rbx;
		rep.a[1] = r.rcx;
		rep.a[2] = r.rdx;
		rep.a[3] = r.rsi;
		__atomic_add_fetch(&vm->reports, 1, __ATOMIC_RELAXED);
		if (vm->cfg.report)
			ret = vm->cfg.report(vm->cfg.opaque, vm, v->idx, &rep);
	}
	r.rax = ret;
	return sys_ioctl(v->fd, KVM_SET_REGS, &r);
}

static int handle_io(struct pm_vcpu *v)
{
	struct kvm_run *run = v->run;
	u8 *data = (u8 *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	u32 i;

	v->info.io_exits++;
	if (out && (run->io.port == PM_PORT_HYPERCALL ||
		    run->io.port == PM_PORT_REPORT))
		return reg_call(v, run->io.port);
	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (out && run->io.port == PM_PORT_CONSOLE) {
			console_put(v, data[0]);
			continue;
		}
		if (pm_iobus_dispatch(v->vm->bus, PM_IO_PIO, run->io.port, data,
				      run->io.size, out) &&
		    !out)
			memset(data, 0xff, run->io.size);
	}
	return 0;
}

static int handle_mmio(struct pm_vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned int len = run->mmio.len;

	v->info.mmio_exits++;
	if (len > sizeof(run->mmio.data))
		return -EINVAL;
	if (pm_iobus_dispatch(v->vm->bus, PM_IO_MMIO, run->mmio.phys_addr,
			      run->mmio.data, len, run->mmio.is_write) &&
	    !run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
	return 0;
}

static void handle_hypercall(struct pm_vcpu *v)
{
	struct kvm_run *run = v->run;
	u64 ret;

	v->info.hypercalls++;
	vmm_conv_request(v->vm, VMM_CONV_HYPERCALL, run->hypercall.nr,
			 run->hypercall.args[0], run->hypercall.args[1],
			 run->hypercall.args[2], &ret);
	run->hypercall.ret = ret;
}

/* KVM_EXIT_MEMORY_FAULT: convert the range to what the access wanted. */
static int handle_memory_fault(struct pm_vcpu *v)
{
	struct pm_kvm_memory_fault *mf = pm_kvm_memory_fault(v->run);
	u64 ret;

	return vmm_conv_request(v->vm, VMM_CONV_MEMORY_FAULT, mf->flags,
				mf->gpa, mf->size, 0, &ret);
}

static void vcpu_loop(struct pm_vcpu *v)
{
	struct kvm_run *run = v->run;
	int sig = v->vm->kick_sig;
	int rc;

	for (;;) {
		if (__atomic_load_n(&v->vm->stopping, __ATOMIC_ACQUIRE)) {
			set_state(v, PM_VCPU_STOPPED);
			return;
		}
		rc = sys_ioctl_val(v->fd, KVM_RUN, 0);
		v->info.exits++;
		v->info.last_exit = run->exit_reason;
		if (rc == -EINTR || rc == -EAGAIN) {
			sys_sigdrain(sig);
			continue;
		}
		if (rc == -EFAULT &&
		    run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			rc = handle_memory_fault(v);
			if (rc) {
				fail(v, rc,
				     "memory fault at 0x%llx: "
				     "conversion failed",
				     (unsigned long long)pm_kvm_memory_fault(
					     run)
					     ->gpa);
				return;
			}
			continue;
		}
		if (rc) {
			fail(v, rc, "KVM_RUN: %s", strerror(-rc));
			return;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			rc = handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			rc = handle_mmio(v);
			break;
		case KVM_EXIT_HYPERCALL:
			handle_hypercall(v);
			break;
		case KVM_EXIT_INTR:
			sys_sigdrain(sig);
			break;
		case KVM_EXIT_HLT:
			set_state(v, PM_VCPU_HALTED);
			return;
		case KVM_EXIT_SHUTDOWN:
			fail(v, -EIO, "KVM_EXIT_SHUTDOWN (triple fault)");
			return;
		case KVM_EXIT_INTERNAL_ERROR:
			fail(v, -EIO, "KVM_EXIT_INTERNAL_ERROR (suberror %u)",
			     run->internal.suberror);
			return;
		case KVM_EXIT_FAIL_ENTRY:
			fail(v, -EIO, "KVM_EXIT_FAIL_ENTRY (reason 0x%llx)",
			     (unsigned long long)run->fail_entry
				     .hardware_entry_failure_reason);
			return;
		default:
			fail(v, -EIO, "unhandled exit %u", run->exit_reason);
			return;
		}
		if (rc) {
			fail(v, rc, "handling exit %u: %s", run->exit_reason,
			     strerror(-rc));
			return;
		}
	}
}

static void *vcpu_thread(void *arg)
{
	struct pm_vcpu *v = arg;
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, v->vm->kick_sig);
	rc = sys_pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!rc)
		rc = vmm_set_vcpu_sigmask(v->fd, v->vm->kick_sig);
	if (rc) {
		fail(v, rc, "signal mask: %s", strerror(-rc));
		return NULL;
	}
	vcpu_loop(v);
	if (v->console_len)
		console_put(v, '\n');
	return NULL;
}

int vcpu_start(struct pm_vcpu *v)
{
	struct pm_vm *vm = v->vm;
	int rc;

	mutex_lock(&vm->state_lock);
	v->state = v->info.state = PM_VCPU_RUNNING;
	vm->running++;
	mutex_unlock(&vm->state_lock);
	rc = sys_pthread_create(&v->thread, vcpu_thread, v);
	if (rc) {
		mutex_lock(&vm->state_lock);
		v->state = v->info.state = PM_VCPU_CREATED;
		vm->running--;
		mutex_unlock(&vm->state_lock);
		return rc;
	}
	v->thread_started = true;
	return 0;
}
