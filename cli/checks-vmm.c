// SPDX-License-Identifier: MIT
/*
 * Checks of the VMM with a real guest: each boots the test guest (guest/)
 * on /dev/kvm with RAM from a gmem store created on its VM, lets the guest
 * drive what the check names (conversions, DMA through the emulated IOMMU,
 * questions to the host), and asserts the guest's reported result plus
 * what the host can see for itself afterwards. Options of `privmem run`:
 * --mem, --vcpus, --backend 4k|2m (checks.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/protfd.h>
#include <privmem/vmm.h>
#include "checks.h"

#define MiB (1ULL << 20)
#define T(id) (1ULL << (id))
#define RUN_TIMEOUT_MS 60000
#define ALL_DEVICES \
	(PM_VM_F_DMA_ENGINE | PM_VM_F_TRUSTED_DEV | PM_VM_F_BAR_DEV)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What the guest reported during one run. */
struct glog {
	unsigned int hellos, dones;
	uint64_t efer[PM_VMM_MAX_VCPUS];
	unsigned int results[PM_GT_NR + 1], failures[PM_GT_NR + 1];
	uint64_t fail_code[PM_GT_NR + 1], fail_a2[PM_GT_NR + 1],
		fail_a3[PM_GT_NR + 1];
	unsigned int checks, checks_no;
	double t_start, t_hello, bench_start, bench_end;
};

static uint64_t on_report(void *opaque, struct pm_vm *vm, unsigned int vcpu,
			  const struct pm_vm_report *r)
{
	struct glog *L = opaque;
	uint64_t t, ans;

	switch (r->code) {
	case PM_REPORT_HELLO:
		if (__atomic_add_fetch(&L->hellos, 1, __ATOMIC_SEQ_CST) == 1)
			L->t_hello = now_ms();
		if (vcpu < PM_VMM_MAX_VCPUS)
			L->efer[vcpu] = r->a[3];
		break;
	case PM_REPORT_RESULT:
		t = r->a[0] < PM_GT_NR ? r->a[0] : PM_GT_NR;
		__atomic_add_fetch(&L->results[t], 1, __ATOMIC_SEQ_CST);
		if (r->a[1] && __atomic_add_fetch(&L->failures[t], 1,
						  __ATOMIC_SEQ_CST) == 1) {
			L->fail_code[t] = r->a[1];
			L->fail_a2[t] = r->a[2];
			L->fail_a3[t] = r->a[3];
		}
		break;
	case PM_REPORT_CHECK:
		ans = pm_vm_answer_check(vm, r);
		__atomic_add_fetch(&L->checks, 1, __ATOMIC_SEQ_CST);
		if (!ans)
			__atomic_add_fetch(&L->checks_no, 1, __ATOMIC_SEQ_CST);
		return ans;
	case PM_REPORT_MARK:
		if (r->a[0] == PM_MARK_BENCH_START)
			L->bench_start = now_ms();
		else if (r->a[0] == PM_MARK_BENCH_END)
			L->bench_end = now_ms();
		break;
	case PM_REPORT_DONE:
		__atomic_add_fetch(&L->dones, 1, __ATOMIC_SEQ_CST);
		break;
	}
	return 0;
}

struct grun {
	struct pm_vm *vm;
	struct glog log;
	struct pm_guest_params params;
	double create_ms, boot_ms;
};

static enum pm_gmem_backend backend_of(const struct run_ctx *ctx)
{
	return ctx->opts.backend_2m ? PM_GMEM_HUGETLB_2M : PM_GMEM_GUEST_MEMFD;
}

/*
 * Create a VM as the options say, boot the test guest with @tests, run it
 * to the end. On failure the result is set and the VM is gone.
 */
static int grun_start(struct run_ctx *ctx, struct grun *g, uint64_t tests,
		      uint32_t iterations, uint64_t bench_len,
		      unsigned int vcpus, struct check_result *r)
{
	struct pm_vm_config cfg = {
		.mem_size = ctx->opts.mem,
		.nr_vcpus = vcpus ? vcpus : ctx->opts.vcpus,
		.backend = backend_of(ctx),
		.flags = ALL_DEVICES,
		.report = on_report,
		.opaque = &g->log,
	};
	const void *img;
	uint64_t len;
	double t0;
	unsigned int i;
	int rc;

	memset(g, 0, sizeof(*g));
	t0 = now_ms();
	rc = pm_vm_create(&cfg, &g->vm);
	g->create_ms = now_ms() - t0;
	if (rc) {
		if (rc == -ENOSPC)
			check_fail(r,
				   "creating the VM: no free 2 MiB huge "
				   "pages for a %llu MiB store",
				   (unsigned long long)(cfg.mem_size >> 20));
		else
			check_fail(r,
				   "creating the VM (%llu MiB of %s, %u "
				   "vCPUs): %s",
				   (unsigned long long)(cfg.mem_size >> 20),
				   pm_gmem_backend_name(cfg.backend),
				   cfg.nr_vcpus, strerror(-rc));
		return rc;
	}
	pm_vmm_test_guest(&img, &len);
	rc = pm_vm_test_params(g->vm, tests, &g->params);
	if (iterations)
		g->params.iterations = iterations;
	if (bench_len)
		g->params.bench_len = bench_len;
	t0 = now_ms();
	if (!rc)
		rc = pm_vm_boot(g->vm, img, len, &g->params, sizeof(g->params));
	g->boot_ms = now_ms() - t0;
	g->log.t_start = now_ms();
	if (!rc)
		rc = pm_vm_start(g->vm);
	if (!rc)
		rc = pm_vm_wait(g->vm, RUN_TIMEOUT_MS);
	if (rc) {
		check_fail(r, "running the guest: %s", strerror(-rc));
		goto err;
	}
	for (i = 0; i < pm_vm_nr_vcpus(g->vm); i++) {
		struct pm_vcpu_info in;

		pm_vm_vcpu_info(g->vm, i, &in);
		if (in.state != PM_VCPU_HALTED) {
			check_fail(r, "vcpu%u stopped: %s (exit %u)", i,
				   in.why[0] ? in.why : "not halted",
				   in.last_exit);
			rc = -EIO;
			goto err;
		}
	}
	return 0;
err:
	pm_vm_destroy(g->vm);
	g->vm = NULL;
	return rc;
}

static const char *fail_name(uint64_t code)
{
	switch (code) {
	case PM_GF_CONVERT:
		return "a conversion request failed";
	case PM_GF_CONTENT:
		return "memory did not hold what it should";
	case PM_GF_HOST_CHECK:
		return "the host's check said no";
	case PM_GF_DMA_STATUS:
		return "the DMA engine's status was wrong";
	case PM_GF_NOT_ZERO:
		return "a page that should read zeros did not";
	case PM_GF_NO_DEVICE:
		return "no DMA engine";
	case PM_GF_LONG_MODE:
		return "not in long mode";
	case PM_GF_BAD_ACCEPTED:
		return "a bad request was accepted";
	case PM_GF_TOO_SMALL:
		return "guest RAM too small for the tests (--mem)";
	case PM_GF_TDI_STATE:
		return "the trusted device's STATE was wrong";
	case PM_GF_TDI_REPORT:
		return "the device report differs from the expected digest";
	case PM_GF_TDI_RESULT:
		return "a TDISP command's RESULT was wrong";
	}
	return "unknown failure";
}

/* Did guest test @t report @n passes (and no failure)? Sets @r if not. */
static bool guest_passed(struct grun *g, int t, unsigned int n,
			 struct check_result *r)
{
	if (g->log.results[PM_GT_NR]) {
		check_fail(r, "guest: %s",
			   fail_name(g->log.fail_code[PM_GT_NR]));
		return false;
	}
	if (g->log.failures[t]) {
		check_fail(r, "guest test %d: %s (0x%llx, 0x%llx)", t,
			   fail_name(g->log.fail_code[t]),
			   (unsigned long long)g->log.fail_a2[t],
			   (unsigned long long)g->log.fail_a3[t]);
		return false;
	}
	if (g->log.results[t] != n) {
		check_fail(r, "guest test %d reported %u results, not %u", t,
			   g->log.results[t], n);
		return false;
	}
	return true;
}

static void modes_line(struct pm_vm *vm, char *buf, size_t len)
{
	enum pm_vm_binding b;
	enum pm_vm_enforcement e;
	enum pm_vm_conv_path p;

	pm_vm_modes(vm, &b, &e, &p);
	snprintf(buf, len, "binding %s, enforcement %s, conversion by %s",
		 pm_vm_binding_name(b), pm_vm_enforcement_name(e),
		 pm_vm_conv_path_name(p));
}

static void check_boot(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_vmm_caps caps;
	char modes[128];
	struct grun g;
	unsigned int i;
	double boot;

	/* Probe first (once per process), so the boot time is the boot's. */
	pm_vmm_probe(&caps);
	if (grun_start(ctx, &g, T(PM_GT_BOOT), 0, 0, 0, r))
		return;
	if (!guest_passed(&g, PM_GT_BOOT, 1, r))
		goto out;
	if (g.log.hellos != pm_vm_nr_vcpus(g.vm)) {
		check_fail(r, "%u of %u vCPUs reported", g.log.hellos,
			   pm_vm_nr_vcpus(g.vm));
		goto out;
	}
	for (i = 0; i < pm_vm_nr_vcpus(g.vm); i++) {
		if (!(g.log.efer[i] & (1ULL << 10))) {
			check_fail(r, "vcpu%u not in long mode (EFER 0x%llx)",
				   i, (unsigned long long)g.log.efer[i]);
			goto out;
		}
	}
	boot = g.create_ms + g.boot_ms + (g.log.t_hello - g.log.t_start);
	modes_line(g.vm, modes, sizeof(modes));
	json_object_object_add(ctx->stats, "guest_boot_ms",
			       json_object_new_double(boot));
	json_object_object_add(
		ctx->stats, "guest_first_report_ms",
		json_object_new_double(g.log.t_hello - g.log.t_start));
	json_object_object_add(ctx->stats, "vmm_modes",
			       json_object_new_string(modes));
	json_object_object_add(ctx->stats, "vmm_probe_ms",
			       json_object_new_double(caps.probe_ms));
	check_pass(r,
		   "%u vCPU(s) in 64-bit long mode on %s: booted in "
		   "%.1f ms (create %.1f, load %.1f, first report %.2f "
		   "after start; the host probe before it %.0f ms); %s",
		   pm_vm_nr_vcpus(g.vm), caps.kvm_module, boot, g.create_ms,
		   g.boot_ms, g.log.t_hello - g.log.t_start, caps.probe_ms,
		   modes);
out:
	pm_vm_destroy(g.vm);
}

static void check_memslot(struct run_ctx *ctx, struct check_result *r)
{
	char path[64], link[128];
	struct pm_gmem *gm;
	struct grun g;
	ssize_t n;

	if (grun_start(ctx, &g, T(PM_GT_MEMSLOT), 0, 0, 1, r))
		return;
	gm = pm_vm_gmem(g.vm);
	snprintf(path, sizeof(path), "/proc/self/fd/%d",
		 pm_gmem_private_fd(gm));
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (!strstr(link, "kvm-gmem") || pm_gmem_vm_fd(gm) != pm_vm_fd(g.vm)) {
		check_fail(r, "RAM is not a guest_memfd of this VM (%s)", link);
		goto out;
	}
	if (!guest_passed(&g, PM_GT_MEMSLOT, 1, r))
		goto out;
	check_pass(r, "RAM is a guest_memfd created on this VM, bound with "
		      "KVM_SET_USER_MEMORY_REGION2 by (fd, offset); the "
		      "guest's private write was read back from the "
		      "guest_memfd through the trusted path");
out:
	pm_vm_destroy(g.vm);
}

static void check_map_all(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_vm_stats st;
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_MAP_ALL), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_MAP_ALL, 1, r))
		goto out;
	pm_vm_get_stats(g.vm, &st);
	if (st.ioas_maps != 1 || st.conversions != 4) {
		check_fail(r, "RAM mapped %llu times, %llu conversions",
			   (unsigned long long)st.ioas_maps,
			   (unsigned long long)st.conversions);
		goto out;
	}
	check_pass(
		r,
		"%llu MiB of guest RAM mapped once into an IOAS by "
		"(store, offset) at IOVA = GPA; the guest's DMA reached "
		"its test page and RAM's last page (0x%llx) across 4 "
		"conversions with no further IOMMU call",
		(unsigned long long)(pm_vm_mem_size(g.vm) >> 20),
		(unsigned long long)(pm_vm_mem_size(g.vm) - g.params.granule));
out:
	pm_vm_destroy(g.vm);
}

static int touch_fn(void *arg)
{
	return *(volatile char *)arg;
}

/* A CLONE_VM child reading @p dies of SIGBUS (the host view's guard). */
static bool child_sigbus(const char *p)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, ob, os;
	size_t sz = 1 << 16;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status = 0;
	pid_t pid;

	if (stack == MAP_FAILED)
		return false;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGBUS, &dfl, &ob);
	sigaction(SIGSEGV, &dfl, &os);
	pid = clone(touch_fn, stack + sz, CLONE_VM | SIGCHLD, (void *)p);
	sigaction(SIGBUS, &ob, NULL);
	sigaction(SIGSEGV, &os, NULL);
	if (pid > 0)
		waitpid(pid, &status, 0);
	munmap(stack, sz);
	return pid > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

/* The test page of guest test page index @i. */
static uint64_t test_page(struct grun *g, unsigned int i)
{
	return g->params.test_base + i * g->params.granule;
}

static void check_to_private(struct run_ctx *ctx, struct check_result *r)
{
	struct grun g;
	uint64_t p;

	if (grun_start(ctx, &g, T(PM_GT_TO_PRIVATE), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_TO_PRIVATE, 1, r))
		goto out;
	p = test_page(&g, 0);
	if (pm_gmem_is_private(pm_vm_gmem(g.vm), p) != 1) {
		check_fail(r, "the store says 0x%llx is not private",
			   (unsigned long long)p);
		goto out;
	}
	check_pass(r,
		   "the guest's page 0x%llx went shared (host view saw "
		   "its bytes), then private: content discarded (guest read "
		   "zeros), the host view faults there, the store and the "
		   "trusted path hold it (%u host checks)",
		   (unsigned long long)p, g.log.checks);
out:
	pm_vm_destroy(g.vm);
}

static void check_host_read(struct run_ctx *ctx, struct check_result *r)
{
	struct grun g;
	uint64_t p;
	struct iovec l, rm;
	char buf[8];

	if (grun_start(ctx, &g, T(PM_GT_HOST_READ), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_HOST_READ, 1, r))
		goto out;
	/* The guest's secret is still there: try once more, from here. */
	p = test_page(&g, 2);
	l.iov_base = buf;
	l.iov_len = sizeof(buf);
	rm.iov_base = (char *)pm_gmem_host_view(pm_vm_gmem(g.vm)) + p;
	rm.iov_len = sizeof(buf);
	if (process_vm_readv(getpid(), &l, 1, &rm, 1, 0) >= 0 ||
	    errno != EFAULT) {
		check_fail(r, "the host read a private page of the guest");
		goto out;
	}
	if (!child_sigbus(rm.iov_base)) {
		check_fail(r, "touching the guest's private page did not raise "
			      "SIGBUS");
		goto out;
	}
	check_pass(r, "a private page the guest wrote: host view reads fault "
		      "(EFAULT, SIGBUS), untrusted get_pfn is refused; the "
		      "guest found its secret intact");
out:
	pm_vm_destroy(g.vm);
}

static void check_dma_private(struct run_ctx *ctx, struct check_result *r)
{
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_DMA_PRIVATE), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_DMA_PRIVATE, 1, r))
		goto out;
	check_pass(r, "the guest's DMA engine, reading and writing a private "
		      "page (by MMIO and by port), stopped with STATUS = "
		      "error/private and FAULT_ADDR = the page; neither page "
		      "changed");
out:
	pm_vm_destroy(g.vm);
}

static void check_dma_shared(struct run_ctx *ctx, struct check_result *r)
{
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_DMA_SHARED), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_DMA_SHARED, 1, r))
		goto out;
	check_pass(r,
		   "the guest converted two pages to shared and its DMA "
		   "engine copied between them (%llu KiB by MMIO, 4 KiB by "
		   "port); the host view saw the result",
		   (unsigned long long)((g.params.granule < 65536 ?
						 g.params.granule :
						 65536) >>
					10));
out:
	pm_vm_destroy(g.vm);
}

static void check_back_zeroed(struct run_ctx *ctx, struct check_result *r)
{
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_BACK_ZEROED), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_BACK_ZEROED, 1, r))
		goto out;
	check_pass(r, "a private page holding the guest's secret, converted "
		      "to shared: the guest and the host view read zeros");
out:
	pm_vm_destroy(g.vm);
}

static void check_multi_vcpu(struct run_ctx *ctx, struct check_result *r)
{
	const uint32_t iters = 16;
	struct pm_vm_stats st;
	struct grun g;
	/* Several vCPUs by definition: at least 2 whatever --vcpus says. */
	unsigned int n = ctx->opts.vcpus < 2 ? 2 : ctx->opts.vcpus;

	if (grun_start(ctx, &g, T(PM_GT_MULTI_VCPU), iters, 0, n, r))
		return;
	if (!guest_passed(&g, PM_GT_MULTI_VCPU, n, r))
		goto out;
	pm_vm_get_stats(g.vm, &st);
	if (st.conversions != 2ULL * n * iters || st.conversion_errors) {
		check_fail(r, "%llu conversions (%llu failed), expected %u",
			   (unsigned long long)st.conversions,
			   (unsigned long long)st.conversion_errors,
			   2 * n * iters);
		goto out;
	}
	check_pass(r,
		   "%u vCPUs each converted their page %u times both "
		   "ways at once (%llu conversions); content discarded "
		   "every time",
		   n, iters, (unsigned long long)st.conversions);
out:
	pm_vm_destroy(g.vm);
}

static void check_trusted_accept(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_tdi_report rep;
	struct pm_protfd *pf;
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_TRUSTED_ACCEPT), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_TRUSTED_ACCEPT, 1, r))
		goto out;
	pf = pm_vm_protfd(g.vm);
	if (pm_protfd_state(pf) != PM_TDI_RUN || pm_protfd_get_report(pf, &rep) ||
	    memcmp(rep.digest, g.params.tdi_digest, PM_TDEV_DIGEST_LEN)) {
		check_fail(r, "after the guest's accept the binding is %s",
			   pm_tdi_state_name(pm_protfd_state(pf)));
		goto out;
	}
	check_pass(r, "the VMM locked the trusted DMA engine's protection fd; "
		      "the guest read the report digest from its registers, "
		      "matched it to the expected one, saw a wrong digest "
		      "refused (-EKEYREJECTED, still LOCKED) and accepted: RUN");
out:
	pm_vm_destroy(g.vm);
}

static void check_trusted_dma(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_protfd_stats st;
	struct pm_protfd *pf;
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_TRUSTED_DMA), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_TRUSTED_DMA, 1, r))
		goto out;
	pf = pm_vm_protfd(g.vm);
	pm_protfd_get_stats(pf, &st);
	if (pm_protfd_state(pf) != PM_TDI_RUN || !st.trusted_fills) {
		check_fail(r, "binding %s, %llu trusted fills",
			   pm_tdi_state_name(pm_protfd_state(pf)),
			   (unsigned long long)st.trusted_fills);
		goto out;
	}
	/* A reset revokes at once: the holds go. */
	pm_vm_reset_devices(g.vm);
	pm_protfd_get_stats(pf, &st);
	if (pm_protfd_state(pf) == PM_TDI_RUN || st.trusted_held) {
		check_fail(r, "a device reset left the binding %s with %llu "
			      "pages held",
			   pm_tdi_state_name(pm_protfd_state(pf)),
			   (unsigned long long)st.trusted_held);
		goto out;
	}
	check_pass(r, "accepted, the trusted engine (T=1) copied a private "
		      "page the guest wrote to another private page, which "
		      "stayed private; the untrusted engine (T=0) faulted on "
		      "both, T=1 faulted on a shared page; a reset revoked it");
out:
	pm_vm_destroy(g.vm);
}

static void check_bar_mmio(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_device *dev;
	uint32_t slot, again;
	uint64_t word;
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_BAR_MMIO), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_BAR_MMIO, 1, r))
		goto out;
	dev = pm_vm_bar_device(g.vm, &slot);
	memcpy(&word, pm_device_bar_ptr(dev, 0), sizeof(word));
	if (word != pm_guest_pattern(PM_BAR_GPA, 0xb1)) {
		check_fail(r, "the device's view of its BAR lacks the guest's "
			      "store");
		goto out;
	}
	/* Reset: the callback deletes the memslot; the range binds again. */
	pm_vm_reset_devices(g.vm);
	pm_vm_bar_device(g.vm, &again);
	if (again != UINT32_MAX || pm_vm_unmap_fd(g.vm, slot) != -ENOENT ||
	    pm_vm_map_fd(g.vm, PM_BAR_GPA, 4096, pm_device_bar_fd(dev, 0), 0,
			 true, &again) ||
	    pm_vm_unmap_fd(g.vm, again)) {
		check_fail(r, "a device reset did not delete the BAR's memslot");
		goto out;
	}
	check_pass(r, "BAR 0 (a memfd) bound into a memslot at 0x%llx with "
		      "pm_vm_map_fd: the guest's stores reached the device's "
		      "view (pm_device_bar_ptr) and the device's writes the "
		      "guest; a device reset deleted the memslot",
		   (unsigned long long)PM_BAR_GPA);
out:
	pm_vm_destroy(g.vm);
}

static void check_bar_p2p(struct run_ctx *ctx, struct check_result *r)
{
	uint64_t to = PM_BAR_GPA + 2 * 4096, word;
	struct pm_iobus *bus;
	struct pm_device *dev;
	uint32_t v, st = 0;
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_BAR_P2P), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_BAR_P2P, 1, r))
		goto out;
	dev = pm_vm_bar_device(g.vm, NULL);
	memcpy(&word, (char *)pm_device_bar_ptr(dev, 0) + 2 * 4096 + 4088, 8);
	if (word != pm_guest_pattern(to + 4088, 0xc1)) {
		check_fail(r, "the BAR does not hold what the guest's DMA "
			      "wrote");
		goto out;
	}
	/* After a reset the same DMA faults: the IOAS mapping is revoked. */
	pm_vm_reset_devices(g.vm);
	bus = pm_vm_iobus(g.vm);
	pm_iobus_dispatch(bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_SRC, &to,
			  8, true);
	word = to + 4096;
	pm_iobus_dispatch(bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_DST,
			  &word, 8, true);
	v = 8;
	pm_iobus_dispatch(bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_LEN, &v,
			  4, true);
	v = PM_DMA_GO;
	pm_iobus_dispatch(bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_DOORBELL,
			  &v, 4, true);
	pm_iobus_dispatch(bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_STATUS,
			  &st, 4, false);
	if (st != (PM_DMA_ST_ERROR |
		   (PM_DMA_FAULT_REVOKED << PM_DMA_ST_REASON_SHIFT))) {
		check_fail(r, "DMA to the BAR after a reset: status 0x%x", st);
		goto out;
	}
	check_pass(r, "BAR 0 mapped into the VM's IOAS with MAP_FILE at IOVA "
		      "= its GPA: the guest's DMA engine copied RAM -> BAR and "
		      "BAR -> RAM, the device saw the bytes; after a reset the "
		      "same DMA faults \"revoked\"");
out:
	pm_vm_destroy(g.vm);
}

static void check_private_mmio(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_vcpu_info in;
	struct pm_protfd *pf;
	uint32_t slot;
	struct grun g;

	if (grun_start(ctx, &g, T(PM_GT_PRIVATE_MMIO), 0, 0, 1, r))
		return;
	if (!guest_passed(&g, PM_GT_PRIVATE_MMIO, 1, r))
		goto out;
	pf = pm_vm_protfd(g.vm);
	pm_vm_vcpu_info(g.vm, 0, &in);
	if (!pm_protfd_mmio_store(pf) ||
	    pm_protfd_state(pf) == PM_TDI_RUN ||
	    pm_vm_private_mmio_slot(g.vm) != UINT32_MAX || in.mmio_exits < 2) {
		check_fail(r, "after the revocation: binding %s, memslot %s, "
			      "%llu MMIO exits",
			   pm_tdi_state_name(pm_protfd_state(pf)),
			   pm_vm_private_mmio_slot(g.vm) == UINT32_MAX ?
				   "deleted" : "still bound",
			   (unsigned long long)in.mmio_exits);
		goto out;
	}
	/* The callback deleted the memslot: the same range binds again. */
	if (pm_vm_map_gmem(g.vm, PM_TDEV_PMMIO_GPA, pm_protfd_mmio_store(pf),
			   0, PM_TDEV_PMMIO_SIZE, &slot) ||
	    pm_vm_unmap_fd(g.vm, slot)) {
		check_fail(r, "the private MMIO range does not bind again");
		goto out;
	}
	check_pass(r, "the trusted engine's private MMIO (a %llu KiB "
		      "guest_memfd) bound at 0x%llx on the guest's accept: "
		      "the guest read the device's pattern directly and the "
		      "device saw its store through the trusted path; after "
		      "the guest's reset the revoke callback had deleted the "
		      "memslot and the same read was an MMIO exit answered "
		      "with all ones",
		   (unsigned long long)(PM_TDEV_PMMIO_SIZE >> 10),
		   (unsigned long long)PM_TDEV_PMMIO_GPA);
out:
	pm_vm_destroy(g.vm);
}

/* fds, mappings of VM objects and guest memory files, threads. */
struct snap {
	char fds[2048];
	long nfds, maps, threads;
};

static void snapshot(struct snap *s)
{
	char line[512];
	struct dirent *e;
	size_t off = 0;
	DIR *d;
	FILE *f;

	memset(s, 0, sizeof(*s));
	d = opendir("/proc/self/fd");
	if (d) {
		int dfd = dirfd(d);

		while ((e = readdir(d)) && off < sizeof(s->fds) - 16)
			if (e->d_name[0] != '.' && atoi(e->d_name) != dfd) {
				off += snprintf(s->fds + off,
						sizeof(s->fds) - off, "%s ",
						e->d_name);
				s->nfds++;
			}
		closedir(d);
	}
	f = fopen("/proc/self/maps", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "memfd:") || strstr(line, "kvm") ||
			    strstr(line, "anon_inode"))
				s->maps++;
		fclose(f);
	}
	d = opendir("/proc/self/task");
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				s->threads++;
		closedir(d);
	}
}

static void check_teardown(struct run_ctx *ctx, struct check_result *r)
{
	struct snap s0, s1, s2;
	struct grun g;
	void *win = NULL;
	uint64_t mem = ctx->opts.mem;
	char line[512];
	long in_window = 0;
	FILE *f;
	double t0;

	snapshot(&s0);
	if (grun_start(ctx, &g, (1ULL << PM_GT_NR) - 1 - T(PM_GT_BENCH), 2, 0,
		       0, r))
		return;
	snapshot(&s1);
	pm_gmem_kvm_window(pm_vm_gmem(g.vm), &win);
	t0 = now_ms();
	pm_vm_destroy(g.vm);
	t0 = now_ms() - t0;
	snapshot(&s2);
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx", &a, &b) == 2 &&
		    a < (uintptr_t)win + mem && b > (uintptr_t)win)
			in_window++;
	}
	if (f)
		fclose(f);
	if (strcmp(s0.fds, s2.fds) || s0.maps != s2.maps ||
	    s0.threads != s2.threads || in_window) {
		check_fail(r,
			   "left behind: fds [%s] -> [%s], mappings %ld -> "
			   "%ld (%ld in the window), threads %ld -> %ld",
			   s0.fds, s2.fds, s0.maps, s2.maps, in_window,
			   s0.threads, s2.threads);
		return;
	}
	check_pass(r,
		   "after a full guest run the VM held %ld fd(s), %ld "
		   "mapping(s) and %ld task(s); destroyed in %.1f ms, "
		   "nothing is left (/proc/self/fd, maps, task)",
		   s1.nfds - s0.nfds, s1.maps - s0.maps,
		   s1.threads - s0.threads, t0);
}

/* The cost of one guest conversion round trip, 4 KiB and 2 MiB. */
static void check_round_trip(struct run_ctx *ctx, struct check_result *r)
{
	static const uint64_t lens[2] = { 4096, 2 * MiB };
	char detail[256] = "";
	double us[2] = { 0, 0 };
	size_t off = 0;
	int i;

	for (i = 0; i < 2; i++) {
		struct grun g;

		if (lens[i] % (ctx->opts.backend_2m ? 2 * MiB : 4096))
			continue;
		if (grun_start(ctx, &g, T(PM_GT_BENCH), 32, lens[i], 1, r))
			return;
		if (!guest_passed(&g, PM_GT_BENCH, 1, r)) {
			pm_vm_destroy(g.vm);
			return;
		}
		us[i] = (g.log.bench_end - g.log.bench_start) * 1e3 / 32;
		pm_vm_destroy(g.vm);
		off += snprintf(detail + off, sizeof(detail) - off,
				"%s%s %.1f us", off ? ", " : "",
				i ? "2 MiB" : "4 KiB", us[i]);
		json_object_object_add(ctx->stats,
				       i ? "guest_convert_rt_2m_us" :
					   "guest_convert_rt_4k_us",
				       json_object_new_double(us[i]));
	}
	check_pass(r,
		   "one guest request to shared and one back to private, "
		   "end to end: %s",
		   detail);
}

const struct check vmm_checks[] = {
	{ "guest_boot", "a guest boots into long mode on every vCPU",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_boot },
	{ "gmem_memslot", "RAM is a guest_memfd bound by (fd, offset)",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD | NEED_GMEM_RAM,
	  check_memslot },
	{ "guest_map_all_by_fd",
	  "guest RAM mapped once into an IOAS by fd+offset, IOVA = GPA",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_map_all },
	{ "guest_convert_to_private", "the guest makes a page private",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_to_private },
	{ "guest_private_host_read_faults",
	  "host code cannot read the guest's private page", MANDATORY_VM,
	  NEED_KVM | NEED_GUEST_MEMFD, check_host_read },
	{ "guest_untrusted_dma_private_faults",
	  "the guest's untrusted DMA faults on private pages",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_dma_private },
	{ "guest_untrusted_dma_shared_ok",
	  "the guest's untrusted DMA works on shared pages", MANDATORY_VM,
	  NEED_KVM | NEED_GUEST_MEMFD, check_dma_shared },
	{ "guest_trusted_accept",
	  "the guest checks the trusted device's report and accepts it",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_trusted_accept },
	{ "guest_trusted_dma_private_ok",
	  "the accepted device's trusted DMA reaches private pages",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_trusted_dma },
	{ "guest_convert_back_zeroed",
	  "a page the guest makes shared again reads zeros", MANDATORY_VM,
	  NEED_KVM | NEED_GUEST_MEMFD, check_back_zeroed },
	{ "guest_private_mmio_run_only",
	  "the guest reaches the trusted device's private MMIO in RUN only",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_private_mmio },
	{ "bar_memslot_mmio",
	  "the guest reaches a device's BAR fd through a memslot",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_bar_mmio },
	{ "guest_bar_p2p_dma",
	  "the guest's DMA engine reaches a BAR peer to peer through the IOAS",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_bar_p2p },
	{ "multi_vcpu_convert", "several vCPUs convert at once",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_multi_vcpu },
	{ "teardown_clean", "a destroyed VM leaves no fd, mapping or thread",
	  MANDATORY_VM, NEED_KVM | NEED_GUEST_MEMFD, check_teardown },
	{ "guest_convert_round_trip",
	  "what one guest conversion round trip costs", OPTIONAL,
	  NEED_KVM | NEED_GUEST_MEMFD, check_round_trip },
	{ NULL },
};
