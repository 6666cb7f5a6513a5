// SPDX-License-Identifier: MIT
/*
 * Trusted (T=1) DMA of a device bound through a protection fd: it reaches
 * the guest's private pages, at IOVA = iova_base + store offset, only in
 * RUN (PM_DMA_FAULT_NOT_RUN otherwise) and never a shared page
 * (PM_DMA_FAULT_SHARED); the same device's T=0 DMA still reaches shared
 * pages only (PM_DMA_FAULT_PRIVATE). Bytes written by one path are read by
 * the other (trusted DMA and pm_gmem_get_pfn). Conversion in both
 * directions with the device in RUN; the trusted path's holds (stats, pin
 * counts) and the rule that a private page is mapped into the process only
 * while it is held. Each test runs on a memfd store and on a guest_memfd
 * store (SKIP without /dev/kvm).
 *
 * The store: 8 pages, "PPSSPSSS" (0, 1 and 4 private), mapped whole into
 * the device's IOAS at GPA_BASE, iova_base GPA_BASE.
 */
#include "protfd/pf_utils.h"

#define NPAGES 8
#define STATES "PPSSPSSS"

#define BOTH(fn)                    \
	TEST(fn##_memfd)            \
	{                           \
		fn(PF_MEMFD);       \
	}                           \
	TEST(fn##_guest_memfd)      \
	{                           \
		fn(PF_GUEST_MEMFD); \
	}

/* Trusted DMA faults NOT_RUN, reading and writing, and holds nothing. */
static void assert_not_run(struct pfx *fx)
{
	ASSERT_TREAD_FAULTS(fx->dev, GPA(0), PG, GPA(0), PM_DMA_FAULT_NOT_RUN);
	ASSERT_TWRITE_FAULTS(fx->dev, GPA(4) + 8, 16, GPA(4) + 8,
			     PM_DMA_FAULT_NOT_RUN);
	/* Not even a shared page: NOT_RUN comes first. */
	ASSERT_TREAD_FAULTS(fx->dev, GPA(2), 8, GPA(2), PM_DMA_FAULT_NOT_RUN);
	ASSERT_EQ(pm_gmem_pin_count(fx->g, 0), 0);
	ASSERT_EQ(pm_gmem_pin_count(fx->g, 4 * PG), 0);
	/* (The last 8 bytes may hold an earlier partial write: see below.) */
	ASSERT_PRIV_PAT(fx->g, 4 * PG, PG - 8, PV_SEED(4));
}

/* Private pages only in RUN; shared pages never; exact fault IOVAs. */
static void trusted_only_in_run(enum pf_backing b)
{
	uint8_t buf[PG];
	struct pfx fx;
	long i;

	pfx_init(&fx, b, NPAGES, STATES);
	/* No binding at all. */
	assert_not_run(&fx);
	pf_bind(&fx);
	assert_not_run(&fx);
	pf_lock(fx.pf);
	assert_not_run(&fx);
	pf_accept(&fx);

	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, PV_SEED(0));
	ASSERT_TREAD_PAT(fx.dev, GPA(1), PG, PV_SEED(1));
	ASSERT_TREAD_PAT(fx.dev, GPA(4), PG, PV_SEED(4));
	/* Unaligned, across the two private pages 0 and 1. */
	ASSERT_OK(pm_dma_read_trusted(fx.dev, GPA(0) + 100, buf, PG));
	for (i = 0; i < (long)PG; i++) {
		uint8_t want = i < (long)PG - 100 ?
				       pat_byte(PV_SEED(0), i + 100) :
				       pat_byte(PV_SEED(1), i - (PG - 100));
		if (buf[i] != want)
			FAIL("byte %ld of a read across pages 0-1", i);
	}
	ASSERT_NO_FAULTS(fx.dev);

	/* Shared pages: SHARED at the first shared byte. */
	ASSERT_TREAD_FAULTS(fx.dev, GPA(2), PG, GPA(2), PM_DMA_FAULT_SHARED);
	ASSERT_TREAD_FAULTS(fx.dev, GPA(3) + 5, 10, GPA(3) + 5,
			    PM_DMA_FAULT_SHARED);
	ASSERT_TREAD_FAULTS(fx.dev, GPA(2) - 64, 128, GPA(2),
			    PM_DMA_FAULT_SHARED);
	ASSERT_TWRITE_FAULTS(fx.dev, GPA(3), PG, GPA(3), PM_DMA_FAULT_SHARED);
	/* From private page 4 into shared page 5: SHARED at page 5 (the
	 * bytes before it may land, as a device's partial write does). */
	ASSERT_TWRITE_FAULTS(fx.dev, GPA(5) - 8, 16, GPA(5),
			     PM_DMA_FAULT_SHARED);
	ASSERT_PAT((uint8_t *)pm_gmem_host_view(fx.g) + 3 * PG, PG, SH_SEED(3));
	ASSERT_PAT((uint8_t *)pm_gmem_host_view(fx.g) + 5 * PG, PG, SH_SEED(5));
	/* Outside the store: a fault, whatever its reason, nothing read. */
	ASSERT_ERR(EFAULT, pm_dma_read_trusted(fx.dev, GPA(NPAGES), buf, 8));
	ASSERT_EQ(faults_count(fx.dev), 1);
	ASSERT_ERR(EFAULT, pm_dma_read_trusted(fx.dev, GPA_BASE - PG, buf, 8));
	ASSERT_EQ(faults_count(fx.dev), 1);

	/* ERROR: no trusted access any more. */
	ASSERT_OK(pm_protfd_error(fx.pf));
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_ERROR);
	assert_not_run(&fx);
	ASSERT_PRIV_PAT(fx.g, 0, PG, PV_SEED(0));
	pfx_close(&fx);
}
BOTH(trusted_only_in_run)

/* The T=0 path of a trusted device: shared pages only, RUN or not. */
static void untrusted_shared_only(enum pf_backing b)
{
	uint8_t w[PG];
	struct pfx fx;

	pfx_new(&fx, b, NPAGES, STATES);
	pf_run(&fx);
	ASSERT_READ_FAULTS(fx.dev, GPA(0), PG, GPA(0), PM_DMA_FAULT_PRIVATE);
	ASSERT_READ_FAULTS(fx.dev, GPA(4) - 16, 32, GPA(4),
			   PM_DMA_FAULT_PRIVATE);
	ASSERT_DMA_PAT(fx.dev, GPA(2), PG, SH_SEED(2));
	pat_fill(w, sizeof(w), 40);
	ASSERT_OK(pm_dma_write(fx.dev, GPA(3), w, PG));
	ASSERT_PAT((uint8_t *)pm_gmem_host_view(fx.g) + 3 * PG, PG, 40);

	/* Held by the trusted path, a private page is still not T=0's. */
	ASSERT_TREAD_PAT(fx.dev, GPA(4), PG, PV_SEED(4));
	ASSERT_GE(pm_gmem_pin_count(fx.g, 4 * PG), 1);
	ASSERT_READ_FAULTS(fx.dev, GPA(4), 8, GPA(4), PM_DMA_FAULT_PRIVATE);
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, GPA(4), w, PG));
	ASSERT_ONE_FAULT(fx.dev, GPA(4), PM_DMA_FAULT_PRIVATE, 1);
	ASSERT_TREAD_PAT(fx.dev, GPA(4), PG, PV_SEED(4));
	ASSERT_PRIV_PAT(fx.g, 4 * PG, PG, PV_SEED(4));
	ASSERT_NOT_REVOKED(&fx.rec);
	pfx_close(&fx);
}
BOTH(untrusted_shared_only)

/* Trusted DMA and the trusted CPU path (get_pfn) see each other's bytes. */
static void trusted_write_visible(enum pf_backing b)
{
	uint8_t w[PG], r[PG];
	struct pfx fx;

	pfx_new(&fx, b, NPAGES, STATES);
	pf_run(&fx);
	pat_fill(w, PG, 50);
	ASSERT_OK(pm_dma_write_trusted(fx.dev, GPA(0), w, PG));
	ASSERT_PRIV_PAT(fx.g, 0, PG, 50);
	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, 50);

	/* The other way: written through get_pfn, read by trusted DMA. */
	pat_fill(w, PG, 51);
	priv_write(fx.g, 1 * PG, w, PG);
	ASSERT_TREAD_PAT(fx.dev, GPA(1), PG, 51);

	/* A partial write lands exactly where it was aimed. */
	pat_fill(w, 300, 52);
	ASSERT_OK(pm_dma_write_trusted(fx.dev, GPA(4) + 10, w, 300));
	priv_read(fx.g, 4 * PG, r, PG);
	ASSERT_PAT(r + 10, 300, 52);
	ASSERT_EQ(r[9], pat_byte(PV_SEED(4), 9));
	ASSERT_EQ(r[310], pat_byte(PV_SEED(4), 310));
	{
		long i;

		for (i = 310; i < (long)PG; i++)
			if (r[i] != pat_byte(PV_SEED(4), i))
				FAIL("byte %ld after a partial write", i);
	}
	/* Never through the shared view. */
	ASSERT_PAT((uint8_t *)pm_gmem_host_view(fx.g) + 2 * PG, PG, SH_SEED(2));
	ASSERT_NO_FAULTS(fx.dev);
	pfx_close(&fx);
}
BOTH(trusted_write_visible)

/* To shared with the device in RUN: out of the trusted domain at once,
 * reachable through T=0 at the same IOVA (zeros, or the bytes with KEEP). */
static void convert_to_shared(enum pf_backing b)
{
	uint8_t w[PG];
	struct pfx fx;
	int rc;

	pfx_new(&fx, b, NPAGES, STATES);
	pf_run(&fx);
	pat_fill(w, PG, 60);
	ASSERT_OK(pm_dma_write_trusted(fx.dev, GPA(0), w, PG));
	ASSERT_EQ(pf_stats(fx.pf).trusted_held, 1);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 1);

	/* The held page converts: the trusted path lets go of it. */
	ASSERT_OK(pm_gmem_convert(fx.g, 0, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_EQ(pm_gmem_is_private(fx.g, 0), 0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 0);
	ASSERT_EQ(pf_stats(fx.pf).trusted_held, 0);
	ASSERT_TREAD_FAULTS(fx.dev, GPA(0), PG, GPA(0), PM_DMA_FAULT_SHARED);
	ASSERT_TWRITE_FAULTS(fx.dev, GPA(0), 8, GPA(0), PM_DMA_FAULT_SHARED);
	ASSERT_DMA_ZERO(fx.dev, GPA(0), PG);
	pat_fill(w, PG, 61);
	ASSERT_OK(pm_dma_write(fx.dev, GPA(0), w, PG));
	ASSERT_PAT((uint8_t *)pm_gmem_host_view(fx.g), PG, 61);
	ASSERT_TREAD_FAULTS(fx.dev, GPA(0), PG, GPA(0), PM_DMA_FAULT_SHARED);

	/* KEEP: the bytes the trusted device wrote come across. */
	pat_fill(w, PG, 62);
	ASSERT_OK(pm_dma_write_trusted(fx.dev, GPA(1), w, PG));
	rc = pm_gmem_convert(fx.g, PG, PG, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP,
			     NULL);
	if (rc != -EOPNOTSUPP) {
		ASSERT_OK(rc);
		ASSERT_DMA_PAT(fx.dev, GPA(1), PG, 62);
		ASSERT_TREAD_FAULTS(fx.dev, GPA(1), PG, GPA(1),
				    PM_DMA_FAULT_SHARED);
		ASSERT_EQ(pm_gmem_pin_count(fx.g, PG), 0);
	}
	/* Private page 4, never touched, is unaffected. */
	ASSERT_TREAD_PAT(fx.dev, GPA(4), PG, PV_SEED(4));
	ASSERT_STATE(fx.pf, PM_TDI_RUN);
	ASSERT_NOT_REVOKED(&fx.rec);
	ASSERT_EQ(pf_stats(fx.pf).revocations, 0);
	pfx_close(&fx);
}
BOTH(convert_to_shared)

/* To private with the device in RUN: trusted DMA works at once; T=0 no
 * longer. And back again. */
static void convert_to_private(enum pf_backing b)
{
	uint8_t w[PG];
	struct pfx fx;
	int rc;

	pfx_new(&fx, b, NPAGES, STATES);
	pf_run(&fx);
	ASSERT_DMA_PAT(fx.dev, GPA(2), PG, SH_SEED(2));
	ASSERT_TREAD_FAULTS(fx.dev, GPA(2), PG, GPA(2), PM_DMA_FAULT_SHARED);

	ASSERT_OK(pm_gmem_convert(fx.g, 2 * PG, PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_TREAD_ZERO(fx.dev, GPA(2), PG);
	ASSERT_READ_FAULTS(fx.dev, GPA(2), PG, GPA(2), PM_DMA_FAULT_PRIVATE);
	pat_fill(w, PG, 70);
	ASSERT_OK(pm_dma_write_trusted(fx.dev, GPA(2), w, PG));
	ASSERT_PRIV_PAT(fx.g, 2 * PG, PG, 70);

	/* KEEP: the shared bytes are what the trusted device reads. */
	rc = pm_gmem_convert(fx.g, 3 * PG, PG, PM_GMEM_PRIVATE,
			     PM_GMEM_CONVERT_KEEP, NULL);
	if (rc != -EOPNOTSUPP) {
		ASSERT_OK(rc);
		ASSERT_TREAD_PAT(fx.dev, GPA(3), PG, SH_SEED(3));
		ASSERT_READ_FAULTS(fx.dev, GPA(3), 8, GPA(3),
				   PM_DMA_FAULT_PRIVATE);
	}

	/* A range across pages 1-2, both private now, reads in one go. */
	ASSERT_OK(pm_dma_read_trusted(fx.dev, GPA(2) - 16, w, 32));

	/* And back to shared: out of the trusted domain, T=0 again. */
	ASSERT_OK(pm_gmem_convert(fx.g, 2 * PG, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_TREAD_FAULTS(fx.dev, GPA(2), PG, GPA(2), PM_DMA_FAULT_SHARED);
	ASSERT_DMA_ZERO(fx.dev, GPA(2), PG);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 2 * PG), 0);
	ASSERT_STATE(fx.pf, PM_TDI_RUN);
	ASSERT_NOT_REVOKED(&fx.rec);
	pfx_close(&fx);
}
BOTH(convert_to_private)

/* Holds: taken on first trusted access, one per page, dropped on
 * conversion to shared and on revocation (and retaken afterwards). */
static void holds_and_stats(enum pf_backing b)
{
	struct pm_protfd_stats st;
	struct pm_gmem_stats gs;
	uint8_t buf[64];
	uint64_t fills;
	struct pfx fx;

	pfx_new(&fx, b, NPAGES, STATES);
	pf_run(&fx);
	st = pf_stats(fx.pf);
	ASSERT_U64_EQ(st.trusted_held, 0);
	ASSERT_U64_EQ(st.trusted_fills, 0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 0);

	ASSERT_OK(pm_dma_read_trusted(fx.dev, GPA(0), buf, sizeof(buf)));
	st = pf_stats(fx.pf);
	ASSERT_U64_EQ(st.trusted_held, 1);
	ASSERT_U64_EQ(st.trusted_fills, 1);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 1);
	ASSERT_OK(pm_gmem_get_stats(fx.g, &gs));
	ASSERT_U64_EQ(gs.nr_pinned, 1);
	/* The same page again: no new hold, no new fill. */
	ASSERT_OK(pm_dma_read_trusted(fx.dev, GPA(0) + 100, buf, 8));
	ASSERT_OK(pm_dma_write_trusted(fx.dev, GPA(0) + 200, buf, 8));
	st = pf_stats(fx.pf);
	ASSERT_U64_EQ(st.trusted_held, 1);
	ASSERT_U64_EQ(st.trusted_fills, 1);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 1);

	ASSERT_OK(pm_dma_read_trusted(fx.dev, GPA(1), buf, 8));
	ASSERT_OK(pm_dma_write_trusted(fx.dev, GPA(4) + PG - 8, buf, 8));
	st = pf_stats(fx.pf);
	ASSERT_U64_EQ(st.trusted_held, 3);
	ASSERT_U64_EQ(st.trusted_fills, 3);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, PG), 1);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 4 * PG), 1);
	/* A fault takes no hold. */
	ASSERT_TREAD_FAULTS(fx.dev, GPA(2), 8, GPA(2), PM_DMA_FAULT_SHARED);
	ASSERT_EQ(pf_stats(fx.pf).trusted_held, 3);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 2 * PG), 0);

	/* Conversion to shared drops that page's hold only. */
	ASSERT_OK(pm_gmem_convert(fx.g, 0, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_EQ(pf_stats(fx.pf).trusted_held, 2);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, PG), 1);

	/* A hold of the caller's own adds to the trusted path's. */
	{
		struct pm_gmem_page pg;

		ASSERT_OK(pm_gmem_get_pfn(fx.g, PG, 0, &pg));
		ASSERT_EQ(pm_gmem_pin_count(fx.g, PG), 2);
		pm_gmem_put_pfn(fx.g, &pg);
		ASSERT_EQ(pm_gmem_pin_count(fx.g, PG), 1);
	}

	/* Revocation drops every hold. */
	fills = pf_stats(fx.pf).trusted_fills;
	ASSERT_OK(pm_protfd_stop(fx.pf));
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_STOP);
	st = pf_stats(fx.pf);
	ASSERT_U64_EQ(st.trusted_held, 0);
	ASSERT_U64_EQ(st.revocations, 1);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, PG), 0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 4 * PG), 0);
	ASSERT_OK(pm_gmem_get_stats(fx.g, &gs));
	ASSERT_U64_EQ(gs.nr_pinned, 0);

	/* In RUN again the translations are filled anew. */
	pf_run(&fx);
	ASSERT_EQ(pf_stats(fx.pf).trusted_held, 0);
	ASSERT_TREAD_PAT(fx.dev, GPA(4), 8, PV_SEED(4));
	st = pf_stats(fx.pf);
	ASSERT_U64_EQ(st.trusted_held, 1);
	ASSERT_GT(st.trusted_fills, fills);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 4 * PG), 1);
	pfx_close(&fx);
}
BOTH(holds_and_stats)

/* No standing mapping: a private page is mapped into the process while
 * the trusted path holds it, and only then. */
static void no_standing_mapping(enum pf_backing b)
{
	struct pfx fx;
	int pfd;

	pfx_new(&fx, b, NPAGES, STATES);
	pfd = pm_gmem_private_fd(fx.g);
	ASSERT_GE(pfd, 0);
	ASSERT_EQ(file_vmas(pfd, 0, 0), 0);
	pf_run(&fx);
	ASSERT_EQ(file_vmas(pfd, 0, 0), 0);

	ASSERT_TREAD_PAT(fx.dev, GPA(0), 8, PV_SEED(0));
	ASSERT_TREAD_PAT(fx.dev, GPA(1), 8, PV_SEED(1));
	ASSERT_GE(file_vmas(pfd, 0, PG), 1);
	ASSERT_GE(file_vmas(pfd, PG, PG), 1);
	ASSERT_EQ(file_vmas(pfd, 4 * PG, PG), 0); /* not accessed */

	/* Converted to shared: its hold and its mapping go. */
	ASSERT_OK(pm_gmem_convert(fx.g, 0, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_EQ(file_vmas(pfd, 0, PG), 0);
	ASSERT_GE(file_vmas(pfd, PG, PG), 1);

	/* Revoked: nothing of the private side stays mapped. */
	ASSERT_OK(pm_protfd_stop(fx.pf));
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_STOP);
	ASSERT_EQ(file_vmas(pfd, 0, 0), 0);

	/* Nor after an error, or after unbind. */
	pf_run(&fx);
	ASSERT_TREAD_PAT(fx.dev, GPA(4), 8, PV_SEED(4));
	ASSERT_GE(file_vmas(pfd, 4 * PG, PG), 1);
	ASSERT_OK(pm_protfd_error(fx.pf));
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_ERROR);
	ASSERT_EQ(file_vmas(pfd, 0, 0), 0);
	ASSERT_OK(pm_protfd_stop(fx.pf));
	pf_run(&fx);
	ASSERT_TREAD_PAT(fx.dev, GPA(1), 8, PV_SEED(1));
	ASSERT_GE(file_vmas(pfd, PG, PG), 1);
	pm_protfd_destroy(fx.pf);
	fx.pf = NULL;
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_UNBIND);
	ASSERT_EQ(file_vmas(pfd, 0, 0), 0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, PG), 0);
	pfx_close(&fx);
}
BOTH(no_standing_mapping)

/* The trusted address space is iova_base + offset, whatever the IOAS
 * does: here the IOAS maps the store at GPA_BASE, iova_base is elsewhere. */
TEST(iova_base_is_the_trusted_address)
{
	const uint64_t base = 1ULL << 40;
	uint8_t buf[8];
	struct pfx fx;

	pfx_init(&fx, PF_MEMFD, NPAGES, STATES);
	fx.cfg.iova_base = base;
	pf_bind(&fx);
	pf_run(&fx);
	ASSERT_OK(pm_dma_read_trusted(fx.dev, base + 4 * PG, buf, sizeof(buf)));
	ASSERT_PAT(buf, sizeof(buf), PV_SEED(4));
	ASSERT_TREAD_FAULTS(fx.dev, base + 2 * PG, 8, base + 2 * PG,
			    PM_DMA_FAULT_SHARED);
	/* GPA_BASE is no trusted address of this binding. */
	ASSERT_ERR(EFAULT, pm_dma_read_trusted(fx.dev, GPA(4), buf, 8));
	ASSERT_EQ(faults_count(fx.dev), 1);
	/* The T=0 path is the IOAS's. */
	ASSERT_DMA_PAT(fx.dev, GPA(2), PG, SH_SEED(2));
	pfx_close(&fx);
}

TEST_MAIN()
