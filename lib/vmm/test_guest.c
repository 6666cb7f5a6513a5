// SPDX-License-Identifier: MIT
/*
 * The test guest's host side: its image, its parameters, and the answers
 * to its PM_REPORT_CHECK questions.
 *
 * Data model
 * ----------
 * The image is guest/ compiled by the system gcc into a flat binary and
 * embedded at build time as vmm_guest_image (guest/meson.build). Its
 * parameter block (struct pm_guest_params, vmm_abi.h) is filled from the
 * VM: RAM size, the store's granule, the conversion path (a hypercall
 * instruction only where the probe saw one complete, else the doorbell),
 * and the DMA engine's windows when the VM has one.
 *
 * A check is answered from what host code can observe, never from the
 * guest's word and never through the KVM window:
 *   PRIVATE            the store says private for every granule of the
 *                      range, and the host view faults at every page of
 *                      it (process_vm_readv gets EFAULT);
 *   SHARED_PATTERN     shared, and the host view holds the guest's sample
 *                      words (vmm_abi.h) at every page;
 *   SHARED_ZERO        shared, and every byte of the host view reads zero;
 *   TRUSTED_PATTERN    the private backing holds the samples, read through
 *                      the trusted path (pm_gmem_get_pfn, put at once);
 *   HOST_READ_FAULTS   every host read fails: process_vm_readv (EFAULT),
 *                      a fault-safe load through the host view (SIGBUS
 *                      caught), and get_pfn for untrusted consumers
 *                      (PM_GMEM_GET_SHARED_ONLY: -EPERM);
 *   BAR_PATTERN        the BAR device's own view of its memory
 *                      (pm_device_bar_ptr) holds the samples;
 *   BAR_WRITE          the BAR device writes the samples into its memory
 *                      through that view (answer 1 when done);
 *   TDI_RUN            the trusted device's protection fd is in RUN;
 *   PMMIO_BOUND        the trusted device's private MMIO memslot exists
 *                      and its binding is in RUN;
 *   PMMIO_UNBOUND      that memslot does not exist;
 *   PMMIO_PATTERN      the private MMIO region holds the samples, read
 *                      through its store's trusted path (get_pfn, put);
 *   DEV_RESET          not a question: every device is reset
 *                      (pm_vm_reset_devices), answered 1 when done.
 *
 * The parameters of a VM with the trusted DMA engine carry the digest the
 * guest must expect in its report: read here from pm_protfd_get_report,
 * standing in for the attestation a real guest would verify.
 *
 * Locking: none of its own; it runs in a vCPU thread inside the report
 * callback and uses the store's public calls.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <privmem/device.h>
#include <privmem/protfd.h>
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "common/uaccess.h"
#include "vmm_private.h"

extern const unsigned char vmm_guest_image[];
extern const uint64_t vmm_guest_image_len;

#define PAGE 4096ULL

void pm_vmm_test_guest(const void **image, uint64_t *len)
{
	if (image)
		*image = vmm_guest_image;
	if (len)
		*len = vmm_guest_image_len;
}

int pm_vm_test_params(struct pm_vm *vm, uint64_t tests,
		      struct pm_guest_params *p)
{
	if (!vm || !p)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->magic = PM_GUEST_MAGIC;
	p->tests = tests;
	p->mem_size = vm->mem_size;
	p->granule = vm->granule;
	p->test_base = ALIGN_UP(4ULL << 20, vm->granule);
	p->nr_vcpus = vm->nr_vcpus;
	if (vm->conv_path == PM_VM_CONV_HYPERCALL)
		p->hc_mode = vm->caps.amd ? PM_HC_MODE_VMMCALL :
					    PM_HC_MODE_VMCALL;
	else
		p->hc_mode = PM_HC_MODE_DOORBELL;
	if (vm->cfg.flags & PM_VM_F_DMA_ENGINE) {
		p->dma_mmio = PM_DMA_MMIO_BASE;
		p->dma_pio = PM_DMA_PIO_BASE;
	}
	p->iterations = 4;
	p->bench_len = vm->granule;
	if (vm->tdev_pf) {
		struct pm_tdi_report rep;

		p->tdev_mmio = PM_TDEV_MMIO_BASE;
		/* The attestation's stand-in: what the guest must see. */
		if (!pm_protfd_get_report(vm->tdev_pf, &rep))
			memcpy(p->tdi_digest, rep.digest, sizeof(p->tdi_digest));
		if (pm_protfd_mmio_store(vm->tdev_pf)) {
			p->tdev_pmmio = PM_TDEV_PMMIO_GPA;
			p->tdev_pmmio_size = PM_TDEV_PMMIO_SIZE;
		}
	}
	if (vm->bar) {
		p->bar_gpa = PM_BAR_GPA;
		p->bar_size = PM_BAR_SIZE;
	}
	return 0;
}

/* Does the host view fault at every page of [gpa, gpa + len)? */
static bool view_faults(struct pm_vm *vm, u64 gpa, u64 len)
{
	u8 *view = pm_gmem_host_view(vm->g);
	struct iovec local, remote;
	u64 off, word;

	for (off = 0; off < len; off += PAGE) {
		local.iov_base = &word;
		local.iov_len = sizeof(word);
		remote.iov_base = view + gpa + off;
		remote.iov_len = sizeof(word);
		if (sys_process_vm_readv(&local, 1, &remote, 1) != -EFAULT)
			return false;
	}
	return true;
}

static bool all_state(struct pm_vm *vm, u64 gpa, u64 len, int priv)
{
	u64 off;

	for (off = 0; off < len; off += vm->granule)
		if (pm_gmem_is_private(vm->g, gpa + off) != priv)
			return false;
	return true;
}

static bool samples_hold(const u8 *p, u64 gpa, u64 len, u64 seed)
{
	u64 off, word;
	int i;

	for (off = 0; off < len; off += PAGE) {
		for (i = 0; i < PM_GUEST_NR_SAMPLES; i++) {
			u64 o = off + PM_GUEST_SAMPLE_OFF(i);

			memcpy(&word, p + o, sizeof(word));
			if (word != pm_guest_pattern(gpa + o, seed))
				return false;
		}
	}
	return true;
}

/* Store @g at @base holds the samples for GPA @gpa on (trusted path). */
static bool store_pattern(struct pm_gmem *g, u64 base, u64 gpa, u64 len,
			  u64 seed)
{
	struct pm_gmem_page pg;
	u64 off, chunk;
	bool ok = true;

	for (off = 0; off < len && ok; off += chunk) {
		u64 at = base + off, in;

		if (pm_gmem_get_pfn(g, at, 0, &pg))
			return false;
		in = at - pg.offset;
		chunk = min_t(u64, (PAGE << pg.order) - in, len - off);
		ok = pg.is_private && pg.ptr &&
		     samples_hold((u8 *)pg.ptr + in, gpa + off, chunk, seed);
		pm_gmem_put_pfn(g, &pg);
	}
	return ok;
}

static bool trusted_pattern(struct pm_vm *vm, u64 gpa, u64 len, u64 seed)
{
	return store_pattern(vm->g, gpa, gpa, len, seed);
}

/* Private MMIO questions: whole pages inside the region. */
static uint64_t answer_pmmio(struct pm_vm *vm, u64 what, u64 gpa, u64 len,
			     u64 seed)
{
	struct pm_gmem *s = vm->tdev_pf ? pm_protfd_mmio_store(vm->tdev_pf) :
					  NULL;
	u64 last;

	if (!s)
		return 0;
	if (what == PM_CHECK_PMMIO_BOUND)
		return pm_vm_private_mmio_slot(vm) != UINT32_MAX &&
		       pm_protfd_state(vm->tdev_pf) == PM_TDI_RUN;
	if (what == PM_CHECK_PMMIO_UNBOUND)
		return pm_vm_private_mmio_slot(vm) == UINT32_MAX;
	if (range_last(gpa, len, &last) || gpa < PM_TDEV_PMMIO_GPA ||
	    last >= PM_TDEV_PMMIO_GPA + pm_gmem_size(s) ||
	    !IS_ALIGNED(gpa, PAGE) || !IS_ALIGNED(len, PAGE))
		return 0;
	return store_pattern(s, gpa - PM_TDEV_PMMIO_GPA, gpa, len, seed);
}

static bool host_reads_fail(struct pm_vm *vm, u64 gpa, u64 len)
{
	u8 *view = pm_gmem_host_view(vm->g);
	struct pm_gmem_page pg;
	u64 off, word;
	int rc;

	if (!view_faults(vm, gpa, len))
		return false;
	if (copy_nofault_init())
		return false;
	for (off = 0; off < len; off += PAGE) {
		if (copy_nofault(&word, view + gpa + off, sizeof(word)) !=
		    -EFAULT)
			return false;
		rc = pm_gmem_get_pfn(vm->g, gpa + off, PM_GMEM_GET_SHARED_ONLY,
				     &pg);
		if (!rc)
			pm_gmem_put_pfn(vm->g, &pg);
		if (rc != -EPERM)
			return false;
	}
	return true;
}

static bool zero(const u8 *p, u64 len)
{
	u64 i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* BAR questions: whole pages inside the BAR device's memory. */
static uint64_t answer_bar(struct pm_vm *vm, u64 what, u64 gpa, u64 len,
			   u64 seed)
{
	struct pm_device *dev = vm_bar_device(vm->bar, NULL);
	u64 last, off;
	u8 *bar;
	int i;

	if (!dev || range_last(gpa, len, &last) || gpa < PM_BAR_GPA ||
	    last >= PM_BAR_GPA + pm_device_bar_size(dev, 0) ||
	    !IS_ALIGNED(gpa, PAGE) || !IS_ALIGNED(len, PAGE))
		return 0;
	bar = (u8 *)pm_device_bar_ptr(dev, 0);
	if (!bar)
		return 0;
	bar += gpa - PM_BAR_GPA;
	if (what == PM_CHECK_BAR_PATTERN)
		return samples_hold(bar, gpa, len, seed);
	for (off = 0; off < len; off += PAGE) {
		for (i = 0; i < PM_GUEST_NR_SAMPLES; i++) {
			u64 o = off + PM_GUEST_SAMPLE_OFF(i);
			u64 word = pm_guest_pattern(gpa + o, seed);

			memcpy(bar + o, &word, sizeof(word));
		}
	}
	return 1;
}

uint64_t pm_vm_answer_check(struct pm_vm *vm, const struct pm_vm_report *r)
{
	u64 gpa, len, last;
	const u8 *view;

	if (!vm || !r || r->code != PM_REPORT_CHECK)
		return 0;
	gpa = r->a[1];
	len = r->a[2];
	switch (r->a[0]) {
	case PM_CHECK_BAR_PATTERN:
	case PM_CHECK_BAR_WRITE:
		return answer_bar(vm, r->a[0], gpa, len, r->a[3]);
	case PM_CHECK_PMMIO_BOUND:
	case PM_CHECK_PMMIO_PATTERN:
	case PM_CHECK_PMMIO_UNBOUND:
		return answer_pmmio(vm, r->a[0], gpa, len, r->a[3]);
	case PM_CHECK_TDI_RUN:
		return vm->tdev_pf && pm_protfd_state(vm->tdev_pf) == PM_TDI_RUN;
	case PM_CHECK_DEV_RESET:
		pm_vm_reset_devices(vm);
		return 1;
	}
	/* Whole pages inside RAM, or no. */
	if (range_last(gpa, len, &last) || last >= vm->mem_size ||
	    !IS_ALIGNED(gpa, PAGE) || !IS_ALIGNED(len, PAGE))
		return 0;
	view = (const u8 *)pm_gmem_host_view(vm->g) + gpa;
	switch (r->a[0]) {
	case PM_CHECK_PRIVATE:
		return all_state(vm, ALIGN_DOWN(gpa, vm->granule), len, 1) &&
		       view_faults(vm, gpa, len);
	case PM_CHECK_SHARED_PATTERN:
		return all_state(vm, ALIGN_DOWN(gpa, vm->granule), len, 0) &&
		       samples_hold(view, gpa, len, r->a[3]);
	case PM_CHECK_SHARED_ZERO:
		return all_state(vm, ALIGN_DOWN(gpa, vm->granule), len, 0) &&
		       zero(view, len);
	case PM_CHECK_TRUSTED_PATTERN:
		return trusted_pattern(vm, gpa, len, r->a[3]);
	case PM_CHECK_HOST_READ_FAULTS:
		return all_state(vm, ALIGN_DOWN(gpa, vm->granule), len, 1) &&
		       host_reads_fail(vm, gpa, len);
	}
	return 0;
}
