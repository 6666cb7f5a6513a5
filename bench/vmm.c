// SPDX-License-Identifier: MIT
/*
 * The VMM's figures: a guest booted from nothing, and the guest's own
 * conversion requests timed end to end.
 *
 * guest_boot_ms: pm_vm_create (RAM a guest_memfd store, memslots, IOMMU
 * context, vCPU) + pm_vm_boot (page tables, GDT and image loaded through
 * the store's populate path) + pm_vm_start, until the test guest reports
 * HELLO from 64-bit mode. The run then goes on to the guest's halt, which
 * must come with every test passed.
 *
 * guest_convert_roundtrip_us: the test guest's PM_GT_BENCH, which issues
 * conversion requests (hypercall or doorbell, whichever this host's KVM
 * completes) of one granule to private and back, between two marks the
 * VMM timestamps; the figure is the time between the marks divided by the
 * iterations.
 *
 * The VMM is another part of the library (lib/vmm), built in parallel with
 * this one. The header decides at compile time; the symbols are weak, so
 * a library without them is found at run time and both figures are
 * reported as skipped with the reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "bench.h"

static const struct bench_fig_def vmm_figs[] = {
	{ "guest_boot_ms", "ms",
	  "pm_vm_create + pm_vm_boot + pm_vm_start until the guest's first "
	  "report from 64-bit mode",
	  BENCH_NEUTRAL, 0 },
	{ "guest_convert_roundtrip_us", "us",
	  "a guest conversion request to private and back (PM_GT_BENCH), "
	  "per round trip",
	  BENCH_NEUTRAL, 0 },
	{ NULL },
};

#define VMM_UNAVAILABLE "the VMM is not available in this build"

#if defined(__has_include)
#if __has_include(<privmem/vmm.h>)
#define HAVE_VMM_H 1
#endif
#endif

#ifdef HAVE_VMM_H
#include <privmem/gmem.h>
#include <privmem/vmm.h>

#pragma weak pm_vmm_probe
#pragma weak pm_vm_create
#pragma weak pm_vm_destroy
#pragma weak pm_vm_boot
#pragma weak pm_vm_start
#pragma weak pm_vm_wait
#pragma weak pm_vm_stop
#pragma weak pm_vm_gmem
#pragma weak pm_vm_modes
#pragma weak pm_vm_vcpu_info
#pragma weak pm_vmm_test_guest
#pragma weak pm_vm_binding_name
#pragma weak pm_vm_enforcement_name
#pragma weak pm_vm_conv_path_name

#define VM_MEM (64 * MiB)
#define VM_WAIT_MS 60000

struct vm_run {
	uint64_t t_start;
	uint64_t t_hello, t_mark_start, t_mark_end;
	unsigned int failures;
	uint64_t failed_test, failed_code;
	bool done;
};

static uint64_t on_report(void *opaque, struct pm_vm *vm, unsigned int vcpu,
			  const struct pm_vm_report *r)
{
	struct vm_run *run = opaque;
	uint64_t now = bench_now_ns();

	switch (r->code) {
	case PM_REPORT_HELLO:
		if (!run->t_hello)
			run->t_hello = now;
		break;
	case PM_REPORT_MARK:
		if (r->a[0] == PM_MARK_BENCH_START)
			run->t_mark_start = now;
		else if (r->a[0] == PM_MARK_BENCH_END)
			run->t_mark_end = now;
		break;
	case PM_REPORT_RESULT:
		if (r->a[1]) {
			run->failures++;
			run->failed_test = r->a[0];
			run->failed_code = r->a[1];
		}
		break;
	case PM_REPORT_DONE:
		run->done = true;
		break;
	}
	return 0;
}

static bool vmm_linked(void)
{
	return pm_vmm_probe && pm_vm_create && pm_vm_destroy && pm_vm_boot &&
	       pm_vm_start && pm_vm_wait && pm_vm_stop && pm_vm_gmem &&
	       pm_vm_modes && pm_vm_vcpu_info && pm_vmm_test_guest &&
	       pm_vm_binding_name && pm_vm_enforcement_name &&
	       pm_vm_conv_path_name;
}

/* One VM from nothing to halt. 0, or -errno with @why. */
static int vm_once(const struct pm_vmm_caps *caps, uint32_t iterations,
		   struct vm_run *run, char *why, size_t len)
{
	struct pm_vm_config cfg = {
		.mem_size = VM_MEM,
		.nr_vcpus = 1,
		.backend = PM_GMEM_GUEST_MEMFD,
		.report = on_report,
		.opaque = run,
	};
	struct pm_guest_params params = {
		.magic = PM_GUEST_MAGIC,
		.tests = 1ULL << PM_GT_BOOT | 1ULL << PM_GT_BENCH,
		.mem_size = VM_MEM,
		.nr_vcpus = 1,
		.iterations = iterations,
	};
	enum pm_vm_binding binding;
	enum pm_vm_enforcement enforcement;
	enum pm_vm_conv_path conv;
	struct pm_vcpu_info info;
	struct pm_vm *vm = NULL;
	const void *image;
	uint64_t image_len, end;
	int rc;

	memset(run, 0, sizeof(*run));
	pm_vmm_test_guest(&image, &image_len);
	bench_log_clear();
	run->t_start = bench_now_ns();
	rc = pm_vm_create(&cfg, &vm);
	if (rc) {
		char err[200];

		snprintf(why, len, "pm_vm_create: %s",
			 bench_err(rc, err, sizeof(err)));
		return rc;
	}
	params.granule = pm_gmem_granule(pm_vm_gmem(vm));
	params.bench_len = params.granule;
	if (__builtin_add_overflow(PM_GUEST_LOAD_GPA, image_len, &end) ||
	    __builtin_add_overflow(end, 2 * MiB - 1, &end) || end > VM_MEM) {
		snprintf(why, len,
			 "test guest of %" PRIu64 " bytes does not fit",
			 image_len);
		pm_vm_destroy(vm);
		return -EINVAL;
	}
	params.test_base = end & ~(2 * MiB - 1);
	pm_vm_modes(vm, &binding, &enforcement, &conv);
	params.hc_mode =
		conv == PM_VM_CONV_HYPERCALL ?
			(caps->amd ? PM_HC_MODE_VMMCALL : PM_HC_MODE_VMCALL) :
			PM_HC_MODE_DOORBELL;
	rc = pm_vm_boot(vm, image, image_len, &params, sizeof(params));
	if (!rc)
		rc = pm_vm_start(vm);
	if (rc) {
		snprintf(why, len, "boot/start: %s", strerror(-rc));
		pm_vm_destroy(vm);
		return rc;
	}
	rc = pm_vm_wait(vm, VM_WAIT_MS);
	pm_vm_stop(vm);
	if (!rc)
		rc = pm_vm_vcpu_info(vm, 0, &info);
	pm_vm_destroy(vm);
	if (rc) {
		snprintf(why, len, "the guest did not halt: %s", strerror(-rc));
		return rc;
	}
	if (info.state != PM_VCPU_HALTED) {
		snprintf(why, len, "vCPU 0 ended in state %d: %s", info.state,
			 info.why);
		return -EIO;
	}
	if (run->failures) {
		snprintf(why, len,
			 "guest test %" PRIu64 " failed (code %" PRIu64 ")",
			 run->failed_test, run->failed_code);
		return -EIO;
	}
	if (!run->t_hello || !run->t_mark_start ||
	    run->t_mark_end <= run->t_mark_start) {
		snprintf(why, len,
			 "the guest did not report HELLO and both "
			 "bench marks");
		return -EIO;
	}
	return 0;
}

static void run_vmm(struct bench *b)
{
	struct bench_result *boot = bench_fig(b, "guest_boot_ms");
	struct bench_result *rt = bench_fig(b, "guest_convert_roundtrip_us");
	unsigned int i, reps = bench_reps(b, 5, 2);
	uint32_t iters = b->quick ? 200 : 2000;
	struct pm_vmm_caps caps;
	struct vm_run run;
	char why[512];
	int rc;

	if (!vmm_linked()) {
		bench_skip_all(b,
			       VMM_UNAVAILABLE " (libprivmem has no pm_vm_*)");
		return;
	}
	rc = pm_vmm_probe(&caps);
	if (rc) {
		bench_fail_all(b, "pm_vmm_probe: %s", strerror(-rc));
		return;
	}
	if (!caps.kvm) {
		bench_skip_all(b, "no KVM: %s", caps.why_not);
		return;
	}
	for (i = 0; i < reps; i++) {
		bench_progress(b, "guest %u/%u", i + 1, reps);
		rc = vm_once(&caps, iters, &run, why, sizeof(why));
		if (rc == -EOPNOTSUPP) {
			bench_skip_all(b, "%s", why);
			return;
		}
		if (rc) {
			bench_fail_all(b, "%s", why);
			return;
		}
		bench_sample(boot, (run.t_hello - run.t_start) / 1e6);
		bench_sample(rt,
			     (run.t_mark_end - run.t_mark_start) / 1e3 / iters);
	}
	bench_note(boot,
		   "64 MiB guest_memfd RAM, 1 vCPU; binding %s, %s "
		   "enforcement",
		   pm_vm_binding_name(caps.binding),
		   pm_vm_enforcement_name(caps.enforcement));
	bench_note(rt,
		   "%u round trips of one granule per guest, through the "
		   "%s",
		   iters, pm_vm_conv_path_name(caps.conv_path));
}

#else /* !HAVE_VMM_H */

static void run_vmm(struct bench *b)
{
	bench_skip_all(b, VMM_UNAVAILABLE " (no privmem/vmm.h)");
}

#endif

const struct bench_scenario bench_vmm_scenario = {
	.name = "vmm",
	.what = "the VMM: guest boot and guest-driven conversion",
	.figs = vmm_figs,
	.run = run_vmm,
};
