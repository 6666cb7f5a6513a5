/* SPDX-License-Identifier: MIT */
/*
 * The guarantee suite's world: one guest store reached every way host code
 * and devices can reach guest memory, a reference model of it, and the
 * sweep that checks, after every step of a seeded random sequence, that no
 * private byte is readable by any of them. Public API only.
 *
 * The store (NPAGES pages) is reached through:
 *   ioas[0]  the store mapped by pm_ioas_map_gmem() at GPA_BASE; device
 *            dev[0], the trusted device's T=0 side and access afd[0];
 *            device A's BAR mapped at BAR_IOVA (MAP_FILE of its fd)
 *   ioas[1]  IOMMU_IOAS_COPY of ioas[0]'s store area, at COPY_BASE;
 *            dev[1] and afd[1]
 *   ioas[2]  IOMMU_IOAS_MAP_FILE of the store's shared fd; dev[2], afd[2]
 *   ioas[3]  IOMMU_IOAS_MAP_FILE of the store's private fd; dev[3], afd[3]
 *   the host view, and the trusted device (a protection fd in RUN: T=1
 *   DMA at GPA_BASE + offset) when the host has a digest library.
 *
 * Private pages hold a canary, written through the trusted path (the
 * mapping pm_gmem_get_pfn() gives a private page) or by trusted DMA. The
 * sweep reads every page every way: a private page must fault for every
 * untrusted reader (and the buffer must not hold a canary word); a shared
 * page must read what the model says (zeros after a conversion that did
 * not ask to keep the content). Trusted DMA reads private pages only in
 * RUN, and nothing once revoked. No buffer anywhere, the BAR included,
 * may ever hold the canary.
 */
#ifndef PRIVMEM_TESTS_GUARANTEE_WORLD_H
#define PRIVMEM_TESTS_GUARANTEE_WORLD_H

#include <setjmp.h>
#include <signal.h>
#include <sys/uio.h>
#include "protfd/pf_utils.h"

#define NPAGES 32
#define GSIZE ((uint64_t)NPAGES * PG)
#define COPY_BASE (IOVA_BASE + (1ULL << 28))
#define BAR_IOVA (IOVA_BASE + (1ULL << 29))
#define MMIO_IOVA (IOVA_BASE + (1ULL << 29) + (1ULL << 24))
#define BAR_PAGES 8
#define MMIO_PAGES 2
#define NR_IOAS 4
#define CANARY 0xc0ffeec0ffee5afeULL
#define WATCHDOG_S 50

static inline uint64_t g_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct world {
	struct pm_iommufd *ctx;
	struct pm_gmem *g;
	const char *backend;
	uint32_t ioas[NR_IOAS];
	uint64_t base[NR_IOAS]; /* IOVA of store offset 0 in each */
	bool mapped[NR_IOAS];	/* the store is reachable there */
	struct pm_device *dev[NR_IOAS];
	int afd[NR_IOAS];
	struct pm_device *tdev; /* trusted device, T=0 on ioas[0] */
	struct pm_protfd *pf;
	bool trusted; /* lock/accept work here (a digest library) */
	bool mmio_mapped; /* the private MMIO fd is mapped at MMIO_IOVA */
	struct pm_device *bdev; /* device A, with the BAR */
	uint32_t bar_seed[BAR_PAGES];

	/* The model. */
	bool priv[NPAGES];
	uint32_t seed[NPAGES]; /* a shared page's pattern; 0: zeros */
	uint64_t rng;

	/* What the sweeps saw. */
	unsigned long sweeps, reads_faulted, reads_ok, trusted_ok,
		canary_hits;
};

/* Any aligned canary word in @buf? */
static inline bool canary_in(const void *buf, size_t len)
{
	const uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (p[i] == CANARY)
			return true;
	return false;
}

/* The same, where finding one is a hit (the caller FAILs). */
static inline bool has_canary(struct world *w, const void *buf, size_t len)
{
	if (!canary_in(buf, len))
		return false;
	w->canary_hits++;
	return true;
}

static inline void canary_fill(void *buf, size_t len)
{
	uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = CANARY;
}

/* Read @len bytes at @addr of this process without faulting: 0 or -EFAULT. */
static inline int read_nofault(void *dst, const void *addr, size_t len)
{
	struct iovec l = { dst, len }, r = { (void *)addr, len };

	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)len ?
		       0 :
		       -EFAULT;
}

/* Write the canary into private page @i through the trusted path. */
static inline void canary_write(struct world *w, unsigned int i)
{
	struct pm_gmem_page pg;

	ASSERT_OK(pm_gmem_get_pfn(w->g, i * PG, 0, &pg));
	ASSERT_TRUE(pg.is_private);
	ASSERT_TRUE(pg.ptr);
	canary_fill(pg.ptr, PG);
	pm_gmem_put_pfn(w->g, &pg);
}

static inline struct pm_gmem *world_store(bool guest_memfd)
{
	struct pm_gmem_config cfg = {
		.backend = guest_memfd ? PM_GMEM_GUEST_MEMFD : PM_GMEM_MEMFD,
		.size = GSIZE,
		.vm_fd = -1,
		.fd = -1,
		.name = "guarantee",
	};
	struct pm_gmem_page pg;
	struct pm_gmem *g = NULL;
	int rc;

	if (guest_memfd && access("/dev/kvm", R_OK | W_OK))
		SKIP("guest_memfd: /dev/kvm: %s", strerror(errno));
	rc = pm_gmem_create(&cfg, &g);
	if (rc == -EOPNOTSUPP)
		SKIP("%s backend unavailable", pm_gmem_backend_name(cfg.backend));
	ASSERT_OK(rc);
	if (guest_memfd) {
		/* The trusted path maps private pages: it must work here. */
		ASSERT_OK(pm_gmem_convert(g, 0, PG, PM_GMEM_PRIVATE, 0, NULL));
		ASSERT_OK(pm_gmem_get_pfn(g, 0, 0, &pg));
		rc = pg.ptr != NULL;
		pm_gmem_put_pfn(g, &pg);
		ASSERT_OK(pm_gmem_convert(g, 0, PG, PM_GMEM_SHARED, 0, NULL));
		if (!rc) {
			pm_gmem_close(g);
			SKIP("guest_memfd: private pages cannot be mapped here");
		}
	}
	return g;
}

static inline void world_lock_accept(struct world *w)
{
	struct pm_tdi_report r;
	int rc;

	rc = pm_protfd_lock(w->pf);
	if (rc == -EOPNOTSUPP) {
		w->trusted = false;
		return;
	}
	ASSERT_OK(rc);
	ASSERT_OK(pm_protfd_get_report(w->pf, &r));
	ASSERT_OK(pm_protfd_accept(w->pf, r.digest));
	ASSERT_STATE(w->pf, PM_TDI_RUN);
	w->trusted = true;
}

static inline void world_new(struct world *w, bool guest_memfd, uint64_t seed)
{
	struct pm_protfd_config pcfg = { 0 };
	uint64_t iova;
	unsigned int i;
	int rc;

	memset(w, 0, sizeof(*w));
	alarm(WATCHDOG_S);
	w->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	w->g = world_store(guest_memfd);
	w->backend = pm_gmem_backend_name(pm_gmem_backend_of(w->g));
	for (i = 0; i < NPAGES; i++) {
		w->seed[i] = i + 1;
		pat_fill((uint8_t *)pm_gmem_host_view(w->g) + i * PG, PG,
			 w->seed[i]);
	}
	w->ctx = ctx_open();
	for (i = 0; i < NR_IOAS; i++) {
		w->ioas[i] = ioas_new(w->ctx);
		w->base[i] = i == 1 ? COPY_BASE : GPA_BASE;
	}
	iova = GPA_BASE;
	ASSERT_OK(pm_ioas_map_gmem(w->ctx, w->ioas[0], w->g, 0, GSIZE, &iova,
				   FIXED_RW));
	iova = COPY_BASE;
	test_ioas_copy(w->ctx, w->ioas[1], w->ioas[0], GPA_BASE, GSIZE, &iova,
		       FIXED_RW);
	iova = GPA_BASE;
	test_ioas_map_file(w->ctx, w->ioas[2], pm_gmem_shared_fd(w->g), 0,
			   GSIZE, &iova, FIXED_RW);
	iova = GPA_BASE;
	rc = _ioas_map_file(w->ctx, w->ioas[3], pm_gmem_private_fd(w->g), 0,
			    GSIZE, &iova, FIXED_RW);
	/* By the private fd too, through the store; refusing is fine. */
	ASSERT_TRUE(rc == 0 || rc == -EINVAL || rc == -EPERM);
	for (i = 0; i < NR_IOAS; i++) {
		w->mapped[i] = i != 3 || rc == 0;
		w->dev[i] = dev_new(w->ctx, "untrusted", NULL);
		dev_attach(w->dev[i], w->ioas[i]);
		w->afd[i] = access_new(w->ctx, w->ioas[i], 0);
	}

	/* The trusted device, bound and in RUN, with private MMIO. */
	w->tdev = dev_new(w->ctx, "trusted", NULL);
	dev_attach(w->tdev, w->ioas[0]);
	pcfg.gmem = w->g;
	pcfg.iova_base = GPA_BASE;
	pcfg.mmio_size = MMIO_PAGES * PG;
	pcfg.vm_fd = -1;
	ASSERT_OK(pm_protfd_create(w->tdev, &pcfg, &w->pf));
	world_lock_accept(w);

	/*
	 * Host code mapping the private MMIO region's fd into an untrusted
	 * IOAS gets nothing: it is a store whose pages are all private.
	 */
	if (w->trusted) {
		struct pm_gmem *mg = pm_protfd_mmio_store(w->pf);
		uint64_t msize;
		int mfd;

		ASSERT_OK(pm_protfd_mmio(w->pf, &mfd, &msize));
		ASSERT_U64_EQ(msize, MMIO_PAGES * PG);
		for (i = 0; i < MMIO_PAGES; i++) {
			struct pm_gmem_page pg;

			ASSERT_OK(pm_gmem_get_pfn(mg, i * PG, 0, &pg));
			ASSERT_TRUE(pg.is_private && pg.ptr);
			canary_fill(pg.ptr, PG);
			pm_gmem_put_pfn(mg, &pg);
		}
		iova = MMIO_IOVA;
		rc = _ioas_map_file(w->ctx, w->ioas[0], mfd, 0, msize, &iova,
				    FIXED_RW);
		ASSERT_TRUE(rc == 0 || rc == -EINVAL || rc == -EPERM);
		w->mmio_mapped = rc == 0;
	}

	/* Device A's BAR, for peer-to-peer DMA through ioas[0]. */
	w->bdev = dev_new(w->ctx, "bar", NULL);
	ASSERT_OK(pm_device_add_bar(w->bdev, 0, BAR_PAGES * PG));
	iova = BAR_IOVA;
	test_ioas_map_file(w->ctx, w->ioas[0], pm_device_bar_fd(w->bdev, 0), 0,
			   BAR_PAGES * PG, &iova, FIXED_RW);
}

static inline void world_free(struct world *w)
{
	unsigned int i;

	pm_protfd_destroy(w->pf);
	pm_device_destroy(w->tdev);
	pm_device_destroy(w->bdev);
	for (i = 0; i < NR_IOAS; i++) {
		pm_device_destroy(w->dev[i]);
		close(w->afd[i]);
	}
	pm_iommufd_close(w->ctx);
	pm_gmem_close(w->g);
	alarm(0);
}

/* ------------------------------------------------------------ sweep */

/* Every untrusted way to read page @i, and the trusted one. */
static inline void sweep_page(struct world *w, unsigned int i)
{
	static uint8_t buf[PG], want[PG];
	const uint8_t *view = pm_gmem_host_view(w->g);
	bool priv = w->priv[i];
	unsigned int k;
	int rc;

	ASSERT_EQ(pm_gmem_is_private(w->g, i * PG), priv);
	if (!priv) {
		pat_fill(want, PG, w->seed[i]);
		if (!w->seed[i])
			memset(want, 0, PG);
	}

	/* The host view. */
	memset(buf, 0, PG);
	rc = read_nofault(buf, view + i * PG, PG);
	if (priv && rc != -EFAULT)
		FAIL("%s: private page %u readable through the host view",
		     w->backend, i);
	if (!priv && rc)
		FAIL("%s: shared page %u faults in the host view", w->backend,
		     i);
	if (has_canary(w, buf, PG))
		FAIL("%s: canary of page %u through the host view", w->backend,
		     i);
	if (!priv && memcmp(buf, want, PG))
		FAIL("%s: shared page %u: host view differs from the model "
		     "(seed %u)",
		     w->backend, i, w->seed[i]);

	/* Devices and accesses on each IOAS. */
	for (k = 0; k < NR_IOAS; k++) {
		uint64_t iova = w->base[k] + i * PG;

		if (!w->mapped[k])
			continue;
		memset(buf, 0, PG);
		rc = pm_dma_read(w->dev[k], iova, buf, PG);
		if (has_canary(w, buf, PG))
			FAIL("%s: canary of page %u by DMA through IOAS %u",
			     w->backend, i, k);
		if (priv && rc != -EFAULT)
			FAIL("%s: private page %u: DMA through IOAS %u: %d",
			     w->backend, i, k, rc);
		if (!priv) {
			if (rc)
				FAIL("%s: shared page %u: DMA through IOAS %u "
				     "faults",
				     w->backend, i, k);
			if (memcmp(buf, want, PG))
				FAIL("%s: shared page %u: DMA through IOAS %u "
				     "differs from the model",
				     w->backend, i, k);
		}
		memset(buf, 0, PG);
		rc = _access_rw(w->ctx, w->afd[k], iova, buf, PG, 0);
		if (has_canary(w, buf, PG))
			FAIL("%s: canary of page %u by an access on IOAS %u",
			     w->backend, i, k);
		if (priv && !rc)
			FAIL("%s: private page %u read by an access on IOAS "
			     "%u",
			     w->backend, i, k);
		if (!priv && (rc || memcmp(buf, want, PG)))
			FAIL("%s: shared page %u: access on IOAS %u: %d",
			     w->backend, i, k, rc);
		if (rc)
			w->reads_faulted++;
		else
			w->reads_ok++;
	}
	/* The trusted device's T=0 side is an ordinary device. */
	memset(buf, 0, PG);
	rc = pm_dma_read(w->tdev, GPA_BASE + i * PG, buf, PG);
	if (has_canary(w, buf, PG) || (priv && rc != -EFAULT))
		FAIL("%s: private page %u by the trusted device's T=0 DMA "
		     "(%d)",
		     w->backend, i, rc);

	/* T=1: private pages only, and only in RUN. */
	memset(buf, 0, PG);
	rc = pm_dma_read_trusted(w->tdev, GPA_BASE + i * PG, buf, PG);
	if (rc == 0) {
		if (!priv || pm_protfd_state(w->pf) != PM_TDI_RUN)
			FAIL("%s: trusted DMA read page %u (%s) in state %s",
			     w->backend, i, priv ? "private" : "shared",
			     pm_tdi_state_name(pm_protfd_state(w->pf)));
		w->trusted_ok++;
	} else {
		ASSERT_EQ(rc, -EFAULT);
		if (has_canary(w, buf, PG))
			FAIL("%s: a failed trusted DMA left canary bytes",
			     w->backend);
	}
}

/* Everything, every way; the BAR and the private MMIO too. */
static inline void world_sweep(struct world *w)
{
	static uint8_t buf[BAR_PAGES * PG];
	struct pm_dma_fault f[64];
	unsigned int i;
	int rc;

	for (i = 0; i < NPAGES; i++)
		sweep_page(w, i);
	/* Peer-to-peer: the BAR, by DMA and through the device's view. */
	memset(buf, 0, sizeof(buf));
	rc = pm_dma_read(w->dev[0], BAR_IOVA, buf, sizeof(buf));
	if (!rc && has_canary(w, buf, sizeof(buf)))
		FAIL("%s: canary in the BAR (P2P read)", w->backend);
	if (has_canary(w, pm_device_bar_ptr(w->bdev, 0), BAR_PAGES * PG))
		FAIL("%s: canary in the BAR (device view)", w->backend);
	if (w->mmio_mapped) {
		memset(buf, 0, sizeof(buf));
		rc = pm_dma_read(w->dev[0], MMIO_IOVA, buf, MMIO_PAGES * PG);
		if (!rc || has_canary(w, buf, MMIO_PAGES * PG))
			FAIL("%s: private MMIO read by untrusted DMA (%d)",
			     w->backend, rc);
		rc = _access_rw(w->ctx, w->afd[0], MMIO_IOVA, buf, PG, 0);
		if (!rc || has_canary(w, buf, PG))
			FAIL("%s: private MMIO read by an access (%d)",
			     w->backend, rc);
	}
	for (i = 0; i < NR_IOAS; i++)
		pm_device_read_faults(w->dev[i], f, 64);
	pm_device_read_faults(w->tdev, f, 64);
	w->sweeps++;
}

#endif
