// SPDX-License-Identifier: MIT
/*
 * Checks of the IOMMU with a gmem store and emulated devices (no VM yet):
 * guest RAM mapped once by fd+offset, ordinary devices reaching shared
 * pages and faulting on private ones, without the IOMMU being touched again
 * when pages convert.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/uapi/iommufd.h>
#include "checks.h"

#define RAM_SIZE (64ULL << 20)
#define IOVA_BASE 0ULL /* IOVA = guest physical address */
#define PAGE 4096ULL

struct iommu_env {
	struct pm_gmem *g;
	struct pm_iommufd *ictx;
	struct pm_device *dev;
	uint32_t ioas;
	double map_us;
};

static void env_close(struct iommu_env *e)
{
	pm_device_destroy(e->dev);
	pm_iommufd_close(e->ictx);
	pm_gmem_close(e->g);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A store, an IOAS with all of it mapped by fd+offset, a device on it. */
static int env_open(struct run_ctx *ctx, struct iommu_env *e,
		    struct check_result *r)
{
	struct pm_gmem_config cfg = {
		.backend = ctx->host.kvm_accessible && ctx->host.guest_memfd ?
				   PM_GMEM_GUEST_MEMFD :
				   PM_GMEM_MEMFD,
		.size = RAM_SIZE,
		.vm_fd = -1,
		.fd = -1,
	};
	uint64_t iova = IOVA_BASE;
	uint32_t dev_id, pt;
	double t0;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = pm_gmem_create(&cfg, &e->g);
	if (!rc)
		rc = pm_iommufd_open(&e->ictx);
	if (!rc)
		rc = pm_ioas_alloc(e->ictx, &e->ioas);
	if (!rc)
		rc = pm_device_create(e->ictx, "dma0", &e->dev, &dev_id);
	if (!rc) {
		pt = e->ioas;
		rc = pm_device_attach(e->dev, &pt);
	}
	if (!rc) {
		/* MAP_FILE on the store's guest_memfd: fd + offset, no VA. */
		t0 = now_us();
		rc = pm_ioas_map_file(e->ictx, e->ioas,
				      pm_gmem_private_fd(e->g), 0, RAM_SIZE,
				      &iova,
				      IOMMU_IOAS_MAP_FIXED_IOVA |
					      IOMMU_IOAS_MAP_READABLE |
					      IOMMU_IOAS_MAP_WRITEABLE);
		e->map_us = now_us() - t0;
	}
	if (rc) {
		check_fail(r, "setting up store, IOAS and device: %s",
			   strerror(-rc));
		env_close(e);
	}
	return rc;
}

static void check_map_all(struct run_ctx *ctx, struct check_result *r)
{
	struct iommu_env e;
	char buf[16];

	if (env_open(ctx, &e, r))
		return;
	memcpy((char *)pm_gmem_host_view(e.g) + RAM_SIZE - PAGE, "end", 4);
	if (pm_dma_read(e.dev, IOVA_BASE + RAM_SIZE - PAGE, buf, 4) ||
	    strcmp(buf, "end"))
		check_fail(r, "the last page is not reachable by DMA");
	else
		check_pass(r, "%llu MiB of %s mapped once by fd+offset in "
			      "%.0f us; DMA reads it at IOVA = offset",
			   (unsigned long long)(RAM_SIZE >> 20),
			   pm_gmem_backend_name(pm_gmem_backend_of(e.g)),
			   e.map_us);
	json_object_object_add(ctx->stats, "iommu_map_64m_by_fd_us",
			       json_object_new_double(e.map_us));
	env_close(&e);
}

static void check_shared_ok(struct run_ctx *ctx, struct check_result *r)
{
	static const char msg[] = "from the device";
	struct iommu_env e;
	char *view;

	if (env_open(ctx, &e, r))
		return;
	view = pm_gmem_host_view(e.g);
	if (pm_dma_write(e.dev, IOVA_BASE + 5 * PAGE, msg, sizeof(msg)) ||
	    memcmp(view + 5 * PAGE, msg, sizeof(msg)))
		check_fail(r, "DMA write to a shared page did not land");
	else
		check_pass(r, "untrusted device wrote a shared page; the host "
			      "view sees the bytes");
	env_close(&e);
}

static void check_private_faults(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_dma_fault f = { 0 };
	struct iommu_env e;
	char buf[64];
	int rc;

	if (env_open(ctx, &e, r))
		return;
	memset((char *)pm_gmem_host_view(e.g) + 8 * PAGE, 0x5a, PAGE);
	rc = pm_gmem_convert(e.g, 8 * PAGE, PAGE, PM_GMEM_PRIVATE,
			     PM_GMEM_CONVERT_KEEP, NULL);
	if (rc) {
		check_fail(r, "conversion failed: %s", strerror(-rc));
		goto out;
	}
	rc = pm_dma_read(e.dev, IOVA_BASE + 8 * PAGE, buf, sizeof(buf));
	if (rc != -EFAULT || pm_device_read_faults(e.dev, &f, 1) != 1 ||
	    f.reason != PM_DMA_FAULT_PRIVATE ||
	    f.iova != IOVA_BASE + 8 * PAGE) {
		check_fail(r, "DMA to a private page: rc %d, fault %s at 0x%llx",
			   rc, pm_dma_fault_reason_name(f.reason),
			   (unsigned long long)f.iova);
		goto out;
	}
	/* Back to shared: reachable again at the same IOVA, zeroed. */
	rc = pm_gmem_convert(e.g, 8 * PAGE, PAGE, PM_GMEM_SHARED, 0, NULL);
	if (rc || pm_dma_read(e.dev, IOVA_BASE + 8 * PAGE, buf, sizeof(buf)) ||
	    buf[0] != 0) {
		check_fail(r, "page not reachable (or not zeroed) after "
			      "converting back");
		goto out;
	}
	check_pass(r, "DMA to a private page faults (recorded: private at "
		      "0x%llx); after conversion back it reads zeros at the "
		      "same IOVA, with no IOMMU call by the caller",
		   (unsigned long long)f.iova);
out:
	env_close(&e);
}

const struct check iommu_checks[] = {
	{ "map_all_by_fd", "guest RAM mapped once into an IOAS by fd+offset",
	  MANDATORY_ALWAYS, 0, check_map_all },
	{ "untrusted_dma_shared_ok", "an ordinary device reaches shared pages",
	  MANDATORY_ALWAYS, 0, check_shared_ok },
	{ "untrusted_dma_private_faults",
	  "an ordinary device faults on private pages",
	  MANDATORY_ALWAYS, 0, check_private_faults },
	{ NULL },
};
