// SPDX-License-Identifier: MIT
/* Checks of the host itself: what the rest of `privmem run` stands on. */
#include <stdio.h>
#include <string.h>
#include "checks.h"

static void check_host_probe(struct run_ctx *ctx, struct check_result *r)
{
	const struct pm_host_info *h = &ctx->host;

	if (!h->kernel_release[0])
		check_fail(r, "kernel release unknown");
	else if (!h->page_size)
		check_fail(r, "page size unknown");
	else
		check_pass(r, "Linux %s %s, page size %llu", h->kernel_release,
		   h->machine, (unsigned long long)h->page_size);
}

static void check_kvm_guest_memfd(struct run_ctx *ctx, struct check_result *r)
{
	const struct pm_host_info *h = &ctx->host;

	if (!h->guest_memfd)
		check_fail(r, "KVM_CAP_GUEST_MEMFD not reported");
	else if (!h->user_memory2)
		check_fail(r, "KVM_CAP_USER_MEMORY2 not reported");
	else
		check_pass(r, "guest_memfd with flags 0x%llx via %s",
		   (unsigned long long)h->guest_memfd_flags,
		   h->kvm_module[0] ? h->kvm_module : "kvm");
}

static void check_enforcement(struct run_ctx *ctx, struct check_result *r)
{
	const struct pm_host_info *h = &ctx->host;
	/* SEV-SNP and TDX VM types make the CPU enforce private memory. */
	uint64_t hw = (1ULL << 4) | (1ULL << 5);

	if (h->vm_types & hw)
		check_pass(r, "hardware: confidential VM types available");
	else
		check_pass(r, "emulated: no confidential VM type; privmem "
			      "keeps private pages from host code and devices, "
			      "not from the kernel");
}

static void check_memfd_secret(struct run_ctx *ctx, struct check_result *r)
{
	(void)ctx;
	check_pass(r, "memfd_secret(2) available: private pages can be kept "
		      "out of the kernel's direct map");
}

static void check_iommu_backend(struct run_ctx *ctx, struct check_result *r)
{
	if (ctx->host.dev_iommu)
		check_pass(r, "/dev/iommu present; privmem's emulated iommufd "
			      "is used alongside it");
	else
		check_pass(r, "/dev/iommu absent: privmem emulates iommufd "
			      "in userspace");
}

const struct check host_checks[] = {
	{ "host_probe", "the host answers the probe", MANDATORY_ALWAYS, 0,
	  check_host_probe },
	{ "kvm_guest_memfd", "KVM offers guest_memfd and memory region 2",
	  MANDATORY_IF_HOST, NEED_KVM, check_kvm_guest_memfd },
	{ "enforcement_mode", "who enforces private memory on this host",
	  OPTIONAL, 0, check_enforcement },
	{ "memfd_secret", "memfd_secret backend available", OPTIONAL,
	  NEED_MEMFD_SECRET, check_memfd_secret },
	{ "iommu_backend", "which iommufd serves DMA mappings", OPTIONAL, 0,
	  check_iommu_backend },
	{ NULL },
};
