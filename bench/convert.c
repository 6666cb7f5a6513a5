// SPDX-License-Identifier: MIT
/*
 * Shared/private conversion of a fully populated 4 KiB store (guest_memfd,
 * memfd without KVM), content discarded, with every consumer a VMM would
 * have attached:
 *   - the store mapped into an IOAS (MAP_FILE by its fd, IOVA = offset)
 *     with an untrusted device attached, whose IO page table holds a
 *     translation for every shared page;
 *   - a trusted device bound through a protection fd and in RUN (locked,
 *     report taken, accepted), whose trusted domain holds translations for
 *     private pages it has touched (one region stays private and touched
 *     throughout; each converted range is touched by trusted DMA while
 *     private, before it goes back to shared).
 * pm_gmem_convert() returns only after every translation is updated, so
 * the timer around it covers the IOMMU work. After each timed conversion,
 * outside the timer, the untrusted page table must hold exactly the shared
 * bytes, untrusted DMA to the range must fault (to private) or read zeros
 * (to shared), and trusted DMA to a touched page must fault once it is
 * shared, with the trusted path's holds released.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/protfd.h>
#include "bench.h"

#define SLOT (2 * MiB)

static const struct bench_fig_def convert_figs[] = {
	{ "convert_2m_us", "us",
	  "pm_gmem_convert of 2 MiB shared -> private, untrusted and trusted "
	  "domains updated",
	  BENCH_LOWER, 10 },
	{ "convert_2m_to_shared_us", "us",
	  "pm_gmem_convert of 2 MiB private -> shared (touched by trusted DMA)",
	  BENCH_NEUTRAL, 0 },
	{ "convert_1g_ms", "ms",
	  "pm_gmem_convert of 1 GiB shared -> private, untrusted and trusted "
	  "domains updated",
	  BENCH_LOWER, 2 },
	{ "convert_1g_to_shared_ms", "ms",
	  "pm_gmem_convert of 1 GiB private -> shared (touched by trusted DMA)",
	  BENCH_NEUTRAL, 0 },
	{ NULL },
};

struct conv_env {
	struct pm_gmem *g;
	struct bench_io io; /* the untrusted device */
	struct pm_device *tdev; /* the trusted device */
	struct pm_protfd *pf;
	uint64_t size; /* whole store */
	uint64_t private_bytes; /* private now */
	uint64_t held; /* pages the trusted path holds */
};

static void env_close(struct conv_env *e)
{
	pm_protfd_destroy(e->pf);
	pm_device_destroy(e->tdev);
	bench_io_close(&e->io);
	pm_gmem_close(e->g);
}

/* Every shared byte has its IOPTE in the untrusted domain, no other. */
static int check_untrusted(struct conv_env *e, char *why, size_t len)
{
	return bench_check_ioptes(e->io.dev, e->size - e->private_bytes, why,
				  len);
}

/* Touch every @step-th page of [off, off + len) by trusted DMA. */
static int trusted_touch(struct conv_env *e, uint64_t off, uint64_t len,
			 uint64_t step, char *why, size_t wlen)
{
	uint64_t p, v;
	int rc;

	for (p = off; p < off + len; p += step) {
		v = p | 1;
		rc = pm_dma_write_trusted(e->tdev, p, &v, sizeof(v));
		if (rc) {
			snprintf(why, wlen,
				 "trusted DMA to private page 0x%" PRIx64
				 ": %s",
				 p, strerror(-rc));
			return rc;
		}
		e->held++;
	}
	return 0;
}

static int check_held(struct conv_env *e, char *why, size_t len)
{
	struct pm_protfd_stats st;
	int rc = pm_protfd_get_stats(e->pf, &st);

	if (rc) {
		snprintf(why, len, "protfd stats: %s", strerror(-rc));
		return rc;
	}
	if (st.trusted_held != e->held) {
		snprintf(why, len,
			 "trusted path holds %" PRIu64
			 " pages, expected %" PRIu64,
			 st.trusted_held, e->held);
		return -EIO;
	}
	return 0;
}

/*
 * One round trip of [off, off + len): timed shared -> private, checks,
 * trusted touches, timed private -> shared, checks.
 */
static int round_trip(struct conv_env *e, uint64_t off, uint64_t len,
		      uint64_t touch_step, double *to_priv_s,
		      double *to_shared_s, char *why, size_t wlen)
{
	struct pm_dma_fault f[64];
	uint64_t t0, t1, v = 1, touched;
	int rc;

	t0 = bench_now_ns();
	rc = pm_gmem_convert(e->g, off, len, PM_GMEM_PRIVATE, 0, NULL);
	t1 = bench_now_ns();
	if (rc) {
		snprintf(why, wlen, "convert to private: %s", strerror(-rc));
		return rc;
	}
	*to_priv_s = (t1 - t0) / 1e9;
	e->private_bytes += len;
	rc = check_untrusted(e, why, wlen);
	if (rc)
		return rc;
	if (pm_dma_read(e->io.dev, off + len - PAGE_4K, &v, sizeof(v)) !=
	    -EFAULT) {
		snprintf(why, wlen, "untrusted DMA reached a private page");
		return -EIO;
	}
	pm_device_read_faults(e->io.dev, f, 64);

	touched = e->held;
	rc = trusted_touch(e, off, len, touch_step, why, wlen);
	if (!rc)
		rc = check_held(e, why, wlen);
	if (rc)
		return rc;
	touched = e->held - touched;

	t0 = bench_now_ns();
	rc = pm_gmem_convert(e->g, off, len, PM_GMEM_SHARED, 0, NULL);
	t1 = bench_now_ns();
	if (rc) {
		snprintf(why, wlen, "convert to shared: %s", strerror(-rc));
		return rc;
	}
	*to_shared_s = (t1 - t0) / 1e9;
	e->private_bytes -= len;
	e->held -= touched;
	rc = check_untrusted(e, why, wlen);
	if (!rc)
		rc = check_held(e, why, wlen);
	if (rc)
		return rc;
	v = 1;
	if (pm_dma_read(e->io.dev, off, &v, sizeof(v)) || v) {
		snprintf(why, wlen,
			 "untrusted DMA after conversion to shared: "
			 "not zeros");
		return -EIO;
	}
	if (pm_dma_read_trusted(e->tdev, off, &v, sizeof(v)) != -EFAULT) {
		snprintf(why, wlen, "trusted DMA reached a page now shared");
		return -EIO;
	}
	pm_device_read_faults(e->tdev, f, 64);
	/* Shared pages are allocated again by the conversion; touch them so
	 * the next round starts from a store populated as the first. */
	{
		volatile uint8_t *view = pm_gmem_host_view(e->g);
		uint64_t p;

		for (p = off; p < off + len; p += PAGE_4K)
			view[p] = 1;
	}
	return 0;
}

static int env_open(struct bench *b, struct conv_env *e, uint64_t size,
		    char *kind, size_t klen, char *why, size_t wlen)
{
	struct pm_protfd_config pc = { .iova_base = 0, .vm_fd = -1 };
	struct pm_tdi_report rep;
	uint64_t iova = 0;
	uint32_t dev_id, pt;
	int rc;

	memset(e, 0, sizeof(*e));
	e->size = size;
	rc = bench_store_4k(b, size, &e->g, kind, klen);
	if (rc) {
		char err[400];

		snprintf(why, wlen, "cannot create the store: %s",
			 bench_err(rc, err, sizeof(err)));
		return -EOPNOTSUPP;
	}
	bench_populate(e->g);
	rc = bench_io_open(&e->io, "bench-untrusted");
	if (!rc)
		rc = pm_ioas_map_file(e->io.ictx, e->io.ioas,
				      pm_gmem_private_fd(e->g), 0, size, &iova,
				      BENCH_MAP_FIXED);
	if (!rc)
		rc = pm_device_create(e->io.ictx, "bench-trusted", &e->tdev,
				      &dev_id);
	if (!rc) {
		pt = e->io.ioas;
		rc = pm_device_attach(e->tdev, &pt);
	}
	if (!rc) {
		pc.gmem = e->g;
		rc = pm_protfd_create(e->tdev, &pc, &e->pf);
	}
	if (rc) {
		snprintf(why, wlen, "store, IOAS, devices, protfd: %s",
			 strerror(-rc));
		return rc;
	}
	rc = pm_protfd_lock(e->pf);
	if (!rc)
		rc = pm_protfd_get_report(e->pf, &rep);
	if (rc == -EOPNOTSUPP) {
		snprintf(why, wlen,
			 "no digest library (libcrypto): the trusted "
			 "device cannot be accepted into RUN");
		return -EOPNOTSUPP;
	}
	if (!rc)
		rc = pm_protfd_accept(e->pf, rep.digest);
	if (rc) {
		snprintf(why, wlen, "protfd lock/report/accept: %s",
			 strerror(-rc));
		return rc;
	}
	return check_untrusted(e, why, wlen);
}

static void run_convert(struct bench *b)
{
	struct bench_result *p2 = bench_fig(b, "convert_2m_us");
	struct bench_result *s2 = bench_fig(b, "convert_2m_to_shared_us");
	struct bench_result *p1 = bench_fig(b, "convert_1g_ms");
	struct bench_result *s1 = bench_fig(b, "convert_1g_to_shared_ms");
	uint64_t big = bench_size(b), extra = b->quick ? 16 * MiB : 64 * MiB;
	uint64_t nslots = (extra - SLOT) / SLOT, perm = big + extra - SLOT;
	unsigned int i, reps2 = bench_reps(b, 15, 3),
			reps1 = bench_reps(b, 5, 2);
	char why[512], kind[64], sz[32];
	struct conv_env e;
	double tp, ts;
	int rc;

	bench_progress(b, "creating, populating and mapping the store");
	rc = env_open(b, &e, big + extra, kind, sizeof(kind), why, sizeof(why));
	if (rc) {
		if (rc == -EOPNOTSUPP)
			bench_skip_all(b, "%s", why);
		else
			bench_fail_all(b, "%s", why);
		env_close(&e);
		return;
	}
	/* The region that stays private, with trusted translations. */
	rc = pm_gmem_convert(e.g, perm, SLOT, PM_GMEM_PRIVATE, 0, NULL);
	if (!rc) {
		e.private_bytes += SLOT;
		rc = trusted_touch(&e, perm, SLOT, 16 * PAGE_4K, why,
				   sizeof(why));
	} else {
		snprintf(why, sizeof(why), "convert: %s", strerror(-rc));
	}
	if (rc) {
		bench_fail_all(b, "%s", why);
		env_close(&e);
		return;
	}

	for (i = 0; i < reps2; i++) {
		bench_progress(b, "2 MiB round trip %u/%u", i + 1, reps2);
		rc = round_trip(&e, big + (i % nslots) * SLOT, SLOT,
				8 * PAGE_4K, &tp, &ts, why, sizeof(why));
		if (rc) {
			bench_fail(p2, "%s", why);
			bench_fail(s2, "%s", why);
			break;
		}
		bench_sample(p2, tp * 1e6);
		bench_sample(s2, ts * 1e6);
	}
	for (i = 0; i < reps1; i++) {
		bench_progress(b, "%s round trip %u/%u",
			       bench_size_str(big, sz, sizeof(sz)), i + 1,
			       reps1);
		rc = round_trip(&e, 0, big, SLOT, &tp, &ts, why, sizeof(why));
		if (rc) {
			bench_fail(p1, "%s", why);
			bench_fail(s1, "%s", why);
			break;
		}
		bench_sample(p1, tp * 1e3);
		bench_sample(s1, ts * 1e3);
	}
	bench_note(p2,
		   "%s store of %s, all populated; 64 pages of each range "
		   "touched by trusted DMA before it goes back",
		   kind, bench_size_str(e.size, sz, sizeof(sz)));
	bench_note(s2, "%s store; 64 trusted translations removed per range",
		   kind);
	bench_note(p1, "%s of a %s store%s",
		   bench_size_str(big, sz, sizeof(sz)), kind,
		   b->quick ? " (--quick: 64 MiB, not 1 GiB)" : "");
	bench_note(s1,
		   "%s; one page per 2 MiB touched by trusted DMA "
		   "(%" PRIu64 " trusted translations removed)",
		   kind, big / SLOT);
	env_close(&e);
}

const struct bench_scenario bench_convert_scenario = {
	.name = "convert",
	.what = "shared <-> private conversion with untrusted and trusted "
		"devices attached",
	.figs = convert_figs,
	.run = run_convert,
};
