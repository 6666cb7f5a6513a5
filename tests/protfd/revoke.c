// SPDX-License-Identifier: MIT
/*
 * Revocation of a protection-fd binding in RUN, by each of error, stop,
 * unbind (destroy), device reset and a configuration write, each with
 * trusted DMA in flight in other threads. After the revoking call returns
 * no trusted DMA succeeds (later ones fault NOT_RUN); the revoke callback
 * ran exactly once, with its reason, before the call returned, and with no
 * privmem lock held (it calls back into the binding, the store and the
 * device's T=0 DMA); the trusted path's holds and mappings are gone; T=0
 * DMA to shared pages never stopped. The device works again only once
 * locked and accepted again.
 *
 * The store: 8 pages, "PPPPSSSS".
 */
#include "protfd/pf_utils.h"

#define NPAGES 8
#define STATES "PPPPSSSS"
#define NR_TRUSTED 4
#define MIN_BEFORE 20 /* trusted successes per thread before revoking */
#define MIN_AFTER 50 /* attempts per thread after the call returned */

enum how { BY_ERROR, BY_STOP, BY_UNBIND, BY_RESET, BY_CONFIG };

static const char *const how_name[] = { "error", "stop", "unbind", "reset",
					"config write" };

struct reset_rec {
	int calls;
	int seq;
	int ran_after_return;
	int *returned;
	struct pm_device *dev;
};

static void reset_cb(struct pm_device *dev, void *opaque)
{
	struct reset_rec *r = opaque;

	if (dev != r->dev)
		FAIL("reset callback for another device");
	if (LOAD(*r->returned))
		INC(r->ran_after_return);
	STORE(r->seq, INC(pf_seq));
	INC(r->calls);
}

static bool all_before(struct dma_thread *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (LOAD(t[i].ok_before) < MIN_BEFORE)
			return false;
	return true;
}

static bool all_after(struct dma_thread *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (LOAD(t[i].ok_after) + LOAD(t[i].fail_after) < MIN_AFTER)
			return false;
	return true;
}

static void revoke_in_flight(enum how how)
{
	static const enum pm_protfd_revoke_reason why[] = {
		[BY_ERROR] = PM_PROTFD_REVOKE_ERROR,
		[BY_STOP] = PM_PROTFD_REVOKE_STOP,
		[BY_UNBIND] = PM_PROTFD_REVOKE_UNBIND,
		[BY_RESET] = PM_PROTFD_REVOKE_RESET,
		[BY_CONFIG] = PM_PROTFD_REVOKE_ERROR,
	};
	struct dma_thread th[NR_TRUSTED + 1], *t0 = &th[NR_TRUSTED];
	uint8_t old_digest[PM_TDI_DIGEST_LEN], page[PG];
	struct pm_dma_fault f[64];
	struct reset_rec rr = { 0 };
	uint32_t cfg_v = 0xabcd0123;
	int after = 0, i, n, pfd;
	struct pfx fx;

	fprintf(stderr, "# revocation by %s\n", how_name[how]);
	pfx_new(&fx, PF_BEST, NPAGES, STATES);
	fx.rec.shared_iova = GPA(5);
	rr.returned = &fx.rec.returned;
	rr.dev = fx.dev;
	ASSERT_OK(pm_device_set_reset_cb(fx.dev, reset_cb, &rr));
	pfd = pm_gmem_private_fd(fx.g);
	pf_run(&fx);
	memcpy(old_digest, fx.digest, sizeof(old_digest));

	/* Trusted readers and writers, small and large, and one T=0 reader. */
	dma_thread_start(&th[0], fx.dev, GPA(0), PG, false, true, &after);
	dma_thread_start(&th[1], fx.dev, GPA(1), 512, true, true, &after);
	dma_thread_start(&th[2], fx.dev, GPA(2) - 100, PG + 200, false, true,
			 &after);
	dma_thread_start(&th[3], fx.dev, GPA(0), 4 * PG, false, true, &after);
	dma_thread_start(t0, fx.dev, GPA(5), PG, false, false, &after);
	if (!WAIT_FOR(all_before(th, NR_TRUSTED + 1), 5))
		FAIL("trusted DMA did not run before the revocation");

	rec_arm(&fx.rec);
	switch (how) {
	case BY_ERROR:
		ASSERT_OK(pm_protfd_error(fx.pf));
		break;
	case BY_STOP:
		ASSERT_OK(pm_protfd_stop(fx.pf));
		break;
	case BY_UNBIND:
		pm_protfd_destroy(fx.pf);
		fx.pf = NULL;
		break;
	case BY_RESET:
		ASSERT_OK(pm_device_reset(fx.dev));
		break;
	case BY_CONFIG:
		ASSERT_OK(pm_device_config_write(fx.dev, 0x30, &cfg_v,
						 sizeof(cfg_v)));
		break;
	}
	STORE(after, 1);
	rec_returned(&fx.rec);
	/* The callback ran once, before the call returned. */
	ASSERT_REVOKED_ONCE(&fx.rec, why[how]);
	if (how == BY_RESET) {
		ASSERT_EQ(LOAD(rr.calls), 1);
		ASSERT_EQ(LOAD(rr.ran_after_return), 0);
		/* The binding is revoked first, then the reset callback. */
		ASSERT_LT(LOAD(fx.rec.seq), LOAD(rr.seq));
	} else {
		ASSERT_EQ(LOAD(rr.calls), 0);
	}
	if (fx.pf)
		ASSERT_STATE(fx.pf, how == BY_ERROR || how == BY_CONFIG ?
					    PM_TDI_ERROR :
					    PM_TDI_UNLOCKED);

	if (!WAIT_FOR(all_after(th, NR_TRUSTED + 1), 5))
		FAIL("DMA threads stalled after the revocation");
	for (i = 0; i <= NR_TRUSTED; i++)
		dma_thread_stop(&th[i]);
	for (i = 0; i < NR_TRUSTED; i++) {
		if (th[i].ok_after)
			FAIL("thread %d: %ld trusted DMAs succeeded after the "
			     "revoking call returned",
			     i, th[i].ok_after);
		ASSERT_GE(th[i].fail_after, MIN_AFTER);
	}
	/* T=0 DMA to a shared page was never affected. */
	ASSERT_EQ(t0->fail_before + t0->fail_after, 0);
	ASSERT_GE(t0->ok_after, MIN_AFTER);
	/* The latest faults (all after the call returned) are NOT_RUN. */
	n = faults_drain(fx.dev, f, 64);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++)
		if (f[i].reason != PM_DMA_FAULT_NOT_RUN)
			FAIL("fault %d of %d after revocation: %s at 0x%llx", i,
			     n, pm_dma_fault_reason_name(f[i].reason),
			     (unsigned long long)f[i].iova);

	/* Holds and mappings are gone. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(pm_gmem_pin_count(fx.g, i * PG), 0);
	ASSERT_EQ(file_vmas(pfd, 0, 0), 0);
	if (fx.pf) {
		struct pm_protfd_stats st = pf_stats(fx.pf);

		ASSERT_U64_EQ(st.trusted_held, 0);
		ASSERT_U64_EQ(st.revocations, 1);
	}
	/* The pages stay private, with what trusted DMA wrote before. */
	priv_read(fx.g, PG, page, PG);
	for (i = 0; i < 512; i++)
		ASSERT_EQ(page[i], 0x3c);
	for (i = 512; i < (int)PG; i++)
		ASSERT_EQ(page[i], pat_byte(PV_SEED(1), i));
	ASSERT_PRIV_PAT(fx.g, 3 * PG, PG, PV_SEED(3));

	/* Only lock and accept again bring it back. */
	if (!fx.pf) {
		pf_bind(&fx);
	} else if (pm_protfd_state(fx.pf) == PM_TDI_ERROR) {
		ASSERT_ERR(EIO, pm_protfd_accept(fx.pf, old_digest));
		ASSERT_ERR(EIO, pm_protfd_lock(fx.pf));
		ASSERT_STATE(fx.pf, PM_TDI_ERROR);
		ASSERT_OK(pm_protfd_stop(fx.pf));
	}
	ASSERT_STATE(fx.pf, PM_TDI_UNLOCKED);
	ASSERT_ERR(EPERM, pm_protfd_accept(fx.pf, old_digest));
	ASSERT_TREAD_FAULTS(fx.dev, GPA(0), PG, GPA(0), PM_DMA_FAULT_NOT_RUN);
	pf_lock(fx.pf);
	ASSERT_TREAD_FAULTS(fx.dev, GPA(0), PG, GPA(0), PM_DMA_FAULT_NOT_RUN);
	if (how == BY_CONFIG) {
		/* The configuration changed: the old report is refused. */
		ASSERT_ERR(EKEYREJECTED, pm_protfd_accept(fx.pf, old_digest));
		ASSERT_STATE(fx.pf, PM_TDI_LOCKED);
	}
	pf_accept(&fx);
	if (how != BY_CONFIG)
		ASSERT_EQ(memcmp(fx.digest, old_digest, sizeof(old_digest)), 0);
	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, PV_SEED(0));
	ASSERT_TREAD_PAT(fx.dev, GPA(3), PG, PV_SEED(3));
	ASSERT_NO_FAULTS(fx.dev);
	ASSERT_NOT_REVOKED(&fx.rec);
	pfx_close(&fx);
}

TEST(revoke_by_error)
{
	revoke_in_flight(BY_ERROR);
}
TEST(revoke_by_stop)
{
	revoke_in_flight(BY_STOP);
}
TEST(revoke_by_unbind)
{
	revoke_in_flight(BY_UNBIND);
}
TEST(revoke_by_reset)
{
	revoke_in_flight(BY_RESET);
}
TEST(revoke_by_config_write)
{
	revoke_in_flight(BY_CONFIG);
}

/* Many rounds, each reason in turn: one callback per revocation, and the
 * revocations counter counts them all. */
TEST(revoke_repeatedly)
{
	static const enum how order[] = { BY_STOP, BY_ERROR, BY_RESET,
					  BY_CONFIG };
	struct pfx fx;
	uint8_t v = 0;
	int round;

	pfx_new(&fx, PF_MEMFD, NPAGES, STATES);
	fx.rec.shared_iova = GPA(6);
	for (round = 0; round < 40; round++) {
		enum how how = order[round % 4];

		if (pm_protfd_state(fx.pf) == PM_TDI_ERROR)
			ASSERT_OK(pm_protfd_stop(fx.pf));
		pf_run(&fx);
		ASSERT_TREAD_PAT(fx.dev, GPA(round % 4), 64,
				 PV_SEED(round % 4));
		rec_arm(&fx.rec);
		switch (how) {
		case BY_STOP:
			ASSERT_OK(pm_protfd_stop(fx.pf));
			break;
		case BY_ERROR:
			ASSERT_OK(pm_protfd_error(fx.pf));
			break;
		case BY_RESET:
			ASSERT_OK(pm_device_reset(fx.dev));
			break;
		default:
			v++;
			ASSERT_OK(pm_device_config_write(fx.dev, 0x50, &v, 1));
			break;
		}
		rec_returned(&fx.rec);
		ASSERT_REVOKED_ONCE(&fx.rec,
				    how == BY_STOP  ? PM_PROTFD_REVOKE_STOP :
				    how == BY_RESET ? PM_PROTFD_REVOKE_RESET :
						      PM_PROTFD_REVOKE_ERROR);
		ASSERT_U64_EQ(pf_stats(fx.pf).revocations, round + 1);
		ASSERT_EQ(pf_stats(fx.pf).trusted_held, 0);
		ASSERT_TREAD_FAULTS(fx.dev, GPA(0), 8, GPA(0),
				    PM_DMA_FAULT_NOT_RUN);
	}
	pfx_close(&fx);
}

/* Leaving states other than RUN revokes nothing (no callback): the full
 * stop/error/reset/config cycle outside RUN. */
TEST(no_callback_outside_run)
{
	struct pfx fx;
	uint8_t v = 1;

	pfx_new(&fx, PF_MEMFD, NPAGES, STATES);
	ASSERT_OK(pm_protfd_stop(fx.pf));
	ASSERT_OK(pm_protfd_error(fx.pf));
	ASSERT_OK(pm_device_reset(fx.dev));
	pf_lock(fx.pf);
	ASSERT_OK(pm_protfd_stop(fx.pf));
	pf_lock(fx.pf);
	ASSERT_OK(pm_device_config_write(fx.dev, 0, &v, 1));
	ASSERT_STATE(fx.pf, PM_TDI_ERROR);
	ASSERT_OK(pm_protfd_error(fx.pf));
	ASSERT_OK(pm_device_reset(fx.dev));
	ASSERT_STATE(fx.pf, PM_TDI_UNLOCKED);
	pf_lock(fx.pf);
	pm_protfd_destroy(fx.pf);
	fx.pf = NULL;
	ASSERT_NOT_REVOKED(&fx.rec);
	pf_bind(&fx);
	ASSERT_U64_EQ(pf_stats(fx.pf).revocations, 0);
	pfx_close(&fx);
}

/* A binding without a callback revokes just the same. */
TEST(revoke_without_callback)
{
	struct pfx fx;

	pfx_init(&fx, PF_MEMFD, NPAGES, STATES);
	fx.cfg.revoke = NULL;
	pf_bind(&fx);
	pf_run(&fx);
	ASSERT_TREAD_PAT(fx.dev, GPA(2), PG, PV_SEED(2));
	ASSERT_OK(pm_device_reset(fx.dev));
	ASSERT_STATE(fx.pf, PM_TDI_UNLOCKED);
	ASSERT_TREAD_FAULTS(fx.dev, GPA(2), PG, GPA(2), PM_DMA_FAULT_NOT_RUN);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 2 * PG), 0);
	ASSERT_U64_EQ(pf_stats(fx.pf).revocations, 1);
	pfx_close(&fx);
}

TEST_MAIN()
