// SPDX-License-Identifier: MIT
/*
 * The privacy guarantee after any sequence: seeded random sequences of
 * conversions (both ways, with and without KEEP), punches, truncations
 * (shrink and grow back), trusted and untrusted DMA, emulated-device
 * accesses, IOMMU_IOAS_COPY refreshes, peer-to-peer DMA into a BAR, BAR
 * resets, and revocations of the trusted device (stop, error, reset, a
 * config write), with the world's sweep
 * (world.h) after every step: no private byte is readable by anything but
 * the trusted device in RUN, a page converted back to shared reads zeros
 * unless KEEP was asked for, and untrusted writes never reach a private
 * page.
 *
 * PM_GUARANTEE_SEED=N runs that one seed (and prints every step) to
 * replay a failure.
 */
#include "world.h"

#define STEPS 100

static bool verbose;

#define STEP(fmt, ...)                                                         \
	do {                                                                   \
		if (verbose)                                                   \
			printf("#   " fmt "\n", ##__VA_ARGS__);                \
	} while (0)

/* What private pages hold: the canary, or zeros after a punch. */
static bool pcanary[NPAGES];
static uint32_t next_seed = 1000;

static void pick_range(struct world *w, unsigned int *first, unsigned int *n)
{
	*n = 1 + g_rnd(&w->rng) % 6;
	*first = g_rnd(&w->rng) % (NPAGES - *n + 1);
}

static void priv_check(struct world *w, unsigned int i)
{
	static uint8_t buf[PG], want[PG];
	struct pm_gmem_page pg;

	ASSERT_OK(pm_gmem_get_pfn(w->g, i * PG, 0, &pg));
	ASSERT_TRUE(pg.is_private && pg.ptr);
	memcpy(buf, pg.ptr, PG);
	pm_gmem_put_pfn(w->g, &pg);
	if (pcanary[i])
		canary_fill(want, PG);
	else
		memset(want, 0, PG);
	if (memcmp(buf, want, PG))
		FAIL("%s: private page %u does not hold %s", w->backend, i,
		     pcanary[i] ? "its canary" : "zeros");
}

static void sweep(struct world *w)
{
	unsigned int i;

	world_sweep(w);
	for (i = 0; i < NPAGES; i++)
		if (w->priv[i])
			priv_check(w, i);
}

static void step_to_private(struct world *w)
{
	static uint8_t page[PG], want[PG];
	bool keep = g_rnd(&w->rng) & 1, was[NPAGES];
	unsigned int first, n, i;
	struct pm_gmem_page pg;

	pick_range(w, &first, &n);
	STEP("to private [%u, +%u)%s", first, n, keep ? " KEEP" : "");
	memcpy(was, w->priv, sizeof(was));
	ASSERT_OK(pm_gmem_convert(w->g, first * PG, n * PG, PM_GMEM_PRIVATE,
				  keep ? PM_GMEM_CONVERT_KEEP : 0, NULL));
	for (i = first; i < first + n; i++) {
		if (was[i])
			continue;
		w->priv[i] = true;
		/* The bytes moved with KEEP, else the page starts zeroed. */
		ASSERT_OK(pm_gmem_get_pfn(w->g, i * PG, 0, &pg));
		memcpy(page, pg.ptr, PG);
		pm_gmem_put_pfn(w->g, &pg);
		if (keep && w->seed[i])
			pat_fill(want, PG, w->seed[i]);
		else
			memset(want, 0, PG);
		if (memcmp(page, want, PG))
			FAIL("%s: page %u went private %s its content",
			     w->backend, i, keep ? "without" : "with");
		canary_write(w, i);
		pcanary[i] = true;
	}
}

static void step_to_shared(struct world *w)
{
	static uint8_t page[PG];
	bool keep = g_rnd(&w->rng) % 3 == 0, was[NPAGES];
	uint8_t *view = pm_gmem_host_view(w->g);
	unsigned int first, n, i;

	pick_range(w, &first, &n);
	STEP("to shared [%u, +%u)%s", first, n, keep ? " KEEP" : "");
	memcpy(was, w->priv, sizeof(was));
	ASSERT_OK(pm_gmem_convert(w->g, first * PG, n * PG, PM_GMEM_SHARED,
				  keep ? PM_GMEM_CONVERT_KEEP : 0, NULL));
	for (i = first; i < first + n; i++) {
		if (!was[i])
			continue;
		w->priv[i] = false;
		if (!keep) {
			w->seed[i] = 0; /* the sweep checks the zeros */
			continue;
		}
		/*
		 * Asked for: the bytes crossed. Check, then scrub them, so
		 * that the canary stays a secret everywhere else.
		 */
		ASSERT_OK(read_nofault(page, view + i * PG, PG));
		if (pcanary[i]) {
			if (!canary_in(page, PG))
				FAIL("%s: KEEP lost page %u's content",
				     w->backend, i);
		} else {
			ASSERT_TRUE(all_zero(page, PG));
		}
		w->seed[i] = next_seed++;
		pat_fill(view + i * PG, PG, w->seed[i]);
	}
}

static void step_punch(struct world *w)
{
	unsigned int first, n, i;

	pick_range(w, &first, &n);
	STEP("punch [%u, +%u)", first, n);
	ASSERT_OK(pm_gmem_punch(w->g, first * PG, n * PG));
	for (i = first; i < first + n; i++) {
		if (w->priv[i])
			pcanary[i] = false;
		else
			w->seed[i] = 0;
	}
}

/*
 * Shrink to a random size and grow back: the tail's content is gone
 * (shared pages read zeros, private ones hold zeros) and every way that
 * reached the tail before reaches it again (the GROW event), private
 * pages still only by the trusted path.
 */
static void step_truncate(struct world *w)
{
	unsigned int keep = 1 + g_rnd(&w->rng) % (NPAGES - 1), i;

	STEP("truncate to %u pages and back", keep);
	ASSERT_OK(pm_gmem_truncate(w->g, keep * PG));
	ASSERT_OK(pm_gmem_truncate(w->g, GSIZE));
	for (i = keep; i < NPAGES; i++) {
		if (w->priv[i])
			pcanary[i] = false;
		else
			w->seed[i] = 0;
	}
}

/* Trusted DMA writes the canary: private pages in RUN only. */
static void step_trusted_write(struct world *w)
{
	static uint8_t buf[PG];
	unsigned int i = g_rnd(&w->rng) % NPAGES;
	bool run = pm_protfd_state(w->pf) == PM_TDI_RUN;
	int rc;

	STEP("trusted write page %u", i);
	canary_fill(buf, PG);
	rc = pm_dma_write_trusted(w->tdev, GPA_BASE + i * PG, buf, PG);
	if (run && w->priv[i]) {
		ASSERT_OK(rc);
		pcanary[i] = true;
	} else {
		ASSERT_ERR(EFAULT, rc);
	}
}

/* Untrusted DMA and accesses write shared pages, never private ones. */
static void step_untrusted_write(struct world *w)
{
	static uint8_t buf[PG];
	unsigned int i = g_rnd(&w->rng) % NPAGES, k;
	bool by_access = g_rnd(&w->rng) & 1;
	uint32_t seed = next_seed++;
	uint64_t iova;
	int rc;

	do
		k = g_rnd(&w->rng) % NR_IOAS;
	while (!w->mapped[k]);
	iova = w->base[k] + i * PG;
	STEP("untrusted %s write page %u through IOAS %u",
	     by_access ? "access" : "DMA", i, k);
	pat_fill(buf, PG, seed);
	if (by_access)
		rc = _access_rw(w->ctx, w->afd[k], iova, buf, PG,
				MOCK_ACCESS_RW_WRITE);
	else
		rc = pm_dma_write(w->dev[k], iova, buf, PG);
	if (w->priv[i]) {
		if (!rc)
			FAIL("%s: untrusted write to private page %u "
			     "succeeded",
			     w->backend, i);
	} else {
		ASSERT_OK(rc);
		w->seed[i] = seed;
	}
}

/* IOMMU_IOAS_COPY again: the copy follows the store from the start. */
static void step_copy_refresh(struct world *w)
{
	uint64_t iova = COPY_BASE;

	STEP("copy refresh");
	test_unmap_all(w->ctx, w->ioas[1], GSIZE);
	test_ioas_copy(w->ctx, w->ioas[1], w->ioas[0], GPA_BASE, GSIZE, &iova,
		       FIXED_RW);
}

/* Peer to peer: a guest page into the BAR, through ioas[0]. */
static void step_p2p(struct world *w)
{
	static uint8_t buf[PG], back[PG];
	unsigned int i = g_rnd(&w->rng) % NPAGES;
	unsigned int b = g_rnd(&w->rng) % BAR_PAGES;
	int rc;

	STEP("p2p page %u to BAR page %u", i, b);
	memset(buf, 0, PG);
	rc = pm_dma_read(w->dev[0], GPA_BASE + i * PG, buf, PG);
	if (w->priv[i]) {
		ASSERT_ERR(EFAULT, rc);
		return;
	}
	ASSERT_OK(rc);
	ASSERT_OK(pm_dma_write(w->dev[0], BAR_IOVA + b * PG, buf, PG));
	ASSERT_OK(pm_dma_read(w->dev[0], BAR_IOVA + b * PG, back, PG));
	ASSERT_TRUE(!memcmp(back, buf, PG));
	ASSERT_TRUE(!memcmp(
		(uint8_t *)pm_device_bar_ptr(w->bdev, 0) + b * PG, buf, PG));
}

/* A reset takes the BAR away from the IOAS; map the new one. */
static void step_bar_reset(struct world *w)
{
	static uint8_t buf[PG];
	uint64_t iova = BAR_IOVA;

	STEP("BAR reset");
	ASSERT_OK(pm_device_reset(w->bdev));
	ASSERT_ERR(EFAULT, pm_dma_read(w->dev[0], BAR_IOVA, buf, PG));
	test_unmap_exact(w->ctx, w->ioas[0], BAR_IOVA, BAR_PAGES * PG);
	test_ioas_map_file(w->ctx, w->ioas[0], pm_device_bar_fd(w->bdev, 0), 0,
			   BAR_PAGES * PG, &iova, FIXED_RW);
	ASSERT_OK(pm_dma_read(w->dev[0], BAR_IOVA, buf, PG));
	ASSERT_TRUE(all_zero(buf, PG));
}

/* Revoke the trusted device one way or another; or bring it back. */
static void step_revoke(struct world *w)
{
	enum pm_tdi_state s = pm_protfd_state(w->pf);
	uint8_t v = (uint8_t)g_rnd(&w->rng);
	static uint8_t buf[PG];
	unsigned int i;

	if (!w->trusted)
		return;
	if (s != PM_TDI_RUN) {
		STEP("trusted device back to RUN");
		if (s == PM_TDI_ERROR || s == PM_TDI_LOCKED)
			ASSERT_OK(pm_protfd_stop(w->pf));
		world_lock_accept(w);
		return;
	}
	switch (g_rnd(&w->rng) % 4) {
	case 0:
		STEP("revoke: stop");
		ASSERT_OK(pm_protfd_stop(w->pf));
		ASSERT_STATE(w->pf, PM_TDI_UNLOCKED);
		break;
	case 1:
		STEP("revoke: error");
		ASSERT_OK(pm_protfd_error(w->pf));
		ASSERT_STATE(w->pf, PM_TDI_ERROR);
		break;
	case 2:
		STEP("revoke: device reset");
		ASSERT_OK(pm_device_reset(w->tdev));
		ASSERT_STATE(w->pf, PM_TDI_UNLOCKED);
		break;
	default:
		STEP("revoke: config write");
		ASSERT_OK(pm_device_config_write(w->tdev, 0x40, &v, 1));
		ASSERT_STATE(w->pf, PM_TDI_ERROR);
		break;
	}
	/* Revoked: no trusted DMA, nothing held or mapped for it. */
	for (i = 0; i < NPAGES; i++) {
		memset(buf, 0, PG);
		ASSERT_ERR(EFAULT, pm_dma_read_trusted(w->tdev,
						       GPA_BASE + i * PG, buf,
						       PG));
		if (has_canary(w, buf, PG))
			FAIL("%s: canary after revocation", w->backend);
		ASSERT_EQ(pm_gmem_pin_count(w->g, i * PG), 0);
	}
	ASSERT_U64_EQ(pf_stats(w->pf).trusted_held, 0);
}

static void run_seed(bool guest_memfd, uint64_t seed)
{
	struct world w;
	int step;

	world_new(&w, guest_memfd, seed);
	memset(pcanary, 0, sizeof(pcanary));
	sweep(&w);
	for (step = 0; step < STEPS; step++) {
		switch (g_rnd(&w.rng) % 17) {
		case 0: case 1: case 2: step_to_private(&w); break;
		case 3: case 4: step_to_shared(&w); break;
		case 5: step_punch(&w); break;
		case 6: case 7: step_trusted_write(&w); break;
		case 8: case 9: step_untrusted_write(&w); break;
		case 10: step_copy_refresh(&w); break;
		case 11: case 12: step_p2p(&w); break;
		case 13: step_bar_reset(&w); break;
		case 16: step_truncate(&w); break;
		default: step_revoke(&w); break;
		}
		sweep(&w);
	}
	printf("# %s seed %llu: %d steps, %lu sweeps, %lu reads ok, %lu "
	       "faulted, %lu trusted reads, %lu canary hits; private fd "
	       "mapped: %s, private MMIO mapped: %s%s\n",
	       w.backend, (unsigned long long)seed, STEPS, w.sweeps, w.reads_ok,
	       w.reads_faulted, w.trusted_ok, w.canary_hits,
	       w.mapped[3] ? "yes" : "refused",
	       w.mmio_mapped ? "yes" : "refused",
	       w.trusted ? "" : " (no trusted device: no digest library)");
	ASSERT_EQ(w.canary_hits, 0);
	ASSERT_GT(w.reads_faulted, 0);
	ASSERT_GT(w.reads_ok, 0);
	world_free(&w);
}

static void run_seeds(bool guest_memfd, uint64_t first, int n)
{
	const char *env = getenv("PM_GUARANTEE_SEED");
	int i;

	if (env) {
		verbose = true;
		run_seed(guest_memfd, strtoull(env, NULL, 0));
		return;
	}
	for (i = 0; i < n; i++)
		run_seed(guest_memfd, first + i);
}

static sigjmp_buf touch_env;

static void on_sigbus(int sig)
{
	siglongjmp(touch_env, sig);
}

/* Host code touching a private page in the view gets SIGBUS, not bytes. */
TEST(direct_touch_faults)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile const uint64_t *p;
	struct world w;
	unsigned int i;
	int sig;

	world_new(&w, false, 7);
	ASSERT_OK(pm_gmem_convert(w.g, 4 * PG, 8 * PG, PM_GMEM_PRIVATE, 0,
				  NULL));
	for (i = 4; i < 12; i++) {
		w.priv[i] = true;
		canary_write(&w, i);
	}
	sigemptyset(&sa.sa_mask);
	ASSERT_SYS(sigaction(SIGBUS, &sa, &old));
	for (i = 0; i < NPAGES; i++) {
		p = (const uint64_t *)((const uint8_t *)pm_gmem_host_view(w.g) +
				       i * PG);
		sig = sigsetjmp(touch_env, 1);
		if (!sig) {
			uint64_t v = p[i % (PG / 8)];

			if (w.priv[i])
				FAIL("private page %u read through the view "
				     "(0x%llx)",
				     i, (unsigned long long)v);
			ASSERT_NE(v, CANARY);
		} else {
			ASSERT_EQ(sig, SIGBUS);
			ASSERT_TRUE(w.priv[i]);
		}
	}
	ASSERT_SYS(sigaction(SIGBUS, &old, NULL));
	world_sweep(&w);
	world_free(&w);
}

TEST(sequences_memfd)
{
	run_seeds(false, 1, 6);
}

TEST(sequences_guest_memfd)
{
	run_seeds(true, 101, 3);
}

TEST_MAIN()
