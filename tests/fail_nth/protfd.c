// SPDX-License-Identifier: MIT
/*
 * The protection fd under every injected failure: binding a device to a
 * guest's private memory (without and with a private MMIO region, on a
 * memfd or on a guest_memfd of a VM), each TDISP operation that succeeds
 * in the state the fixture leaves (lock, get_report, accept, stop, error,
 * mmio, get_stats), trusted (T=1) DMA that fills the trusted domain on
 * demand (a read, a write, a read across a held and an unheld page, a read
 * of a page already held), and conversions of the guest's memory while the
 * trusted device runs: to shared with pages held (the protfd's notifier
 * releases them) and to private (nothing for the binding to do).
 *
 * The store: 8 pages, "PPSSPSSS" (pages 0, 1 and 4 private, holding
 * PV_SEED(i); the others SH_SEED(i)), mapped whole into the device's IOAS
 * at GPA_BASE, with iova_base GPA_BASE. The RUN fixtures have pages 0 and 4
 * held by the trusted path (filled by trusted reads) before the call. Every
 * DMA scenario runs on a memfd store and on a guest_memfd store (the fill's
 * get_pfn differs: SKIP without /dev/kvm or where private pages of a
 * guest_memfd cannot be mapped). Fixtures are built without injection.
 *
 * A call that failed must have changed nothing observable; the digest has:
 *   - the binding's TDISP state, whether the device is bound (a trial
 *     bind: -EBUSY when it is, else made and undone), the revoke callback's
 *     calls and reason;
 *   - the protfd's stats (trusted_held, trusted_fills, revocations);
 *   - per page: private or shared, its pin count (the trusted path's holds
 *     are pins), a checksum of its content (shared pages through the host
 *     view, private ones through a get_pfn hold, the trusted CPU path), and
 *     what an untrusted (T=0) read of it gives: its content, or a fault;
 *   - with a private MMIO region: its fd's pages' state, for a region made
 *     by a failed bind would be gone with its fd (the sweep checks fds).
 * The trusted domain itself is not probed in the digest (a trusted read
 * fills it, a change of its own); teardown checks it instead, whatever
 * the call returned: in RUN, a trusted read of each private page returns
 * what the CPU path reads and one of each shared page faults SHARED, after
 * which the trusted path holds exactly the private pages, one pin each;
 * outside RUN, trusted DMA faults NOT_RUN and nothing is held or pinned.
 * A failed fill must thus not leave a broken translation or a stray hold.
 *
 * A trusted DMA whose fill failed records a fault (the documented outcome
 * of a failed DMA): the run checks it is exactly one, PM_DMA_FAULT_MEMORY
 * at the page being filled, and none when nothing was injected.
 *
 * The trusted path's holds are an IOTLB-like cache that the store's
 * notifier empties at the begin of a conversion to shared, before the
 * store's own steps that can fail: a failed conversion leaves the pages it
 * covers unheld (a cache miss, refilled at the next trusted access, which
 * teardown's check makes). That scenario's digest leaves out the holds in
 * the converted range and nothing else.
 *
 * Operations with no injection point (lock: the digest is libcrypto's, not
 * injected; get_report, accept, stop, error, mmio, get_stats) are swept all
 * the same: "0 injection points swept" is their result.
 */
#include "fail_nth.h"
#include "protfd/pf_utils.h"

#define NPAGES 8
#define STATES "PPSSPSSS"
#define MMIO_SIZE (4 * PG)

struct fx {
	struct pfx p;
	enum pf_backing b;
	int vm; /* a VM for the private MMIO's guest_memfd, or -1 */
	/* Pages whose holds a failed conversion may drop: [first, last]. */
	int cache_first, cache_last;
	uint64_t dma_iova; /* where a DMA scenario's fill happens */
};

static struct fx the_fx;
static enum pf_backing cur_backing = PF_MEMFD;
static int cur_vm = -1;
static uint64_t cur_mmio;
static int cur_cache_first = -1, cur_cache_last = -1;

/* ------------------------------------------------------------ setup */

static struct fx *fx_init(void)
{
	struct fx *fx = &the_fx;

	memset(fx, 0, sizeof(*fx));
	fx->b = cur_backing;
	fx->vm = cur_vm;
	fx->cache_first = cur_cache_first;
	fx->cache_last = cur_cache_last;
	pfx_init(&fx->p, fx->b, NPAGES, STATES);
	fx->p.cfg.mmio_size = cur_mmio;
	fx->p.cfg.vm_fd = cur_vm;
	return fx;
}

static void *setup_unbound(void)
{
	return fx_init();
}

static void *setup_unlocked(void)
{
	struct fx *fx = fx_init();

	pf_bind(&fx->p);
	return fx;
}

static void *setup_locked(void)
{
	struct fx *fx = setup_unlocked();
	struct pm_tdi_report r;

	pf_lock(fx->p.pf);
	pf_report(fx->p.pf, &r);
	memcpy(fx->p.digest, r.digest, sizeof(fx->p.digest));
	return fx;
}

/* RUN, pages 0 and 4 held by the trusted path. */
static void *setup_run(void)
{
	struct fx *fx = setup_locked();

	pf_accept(&fx->p);
	ASSERT_TREAD_PAT(fx->p.dev, GPA(0), PG, PV_SEED(0));
	ASSERT_TREAD_PAT(fx->p.dev, GPA(4), PG, PV_SEED(4));
	ASSERT_EQ(pf_stats(fx->p.pf).trusted_held, 2);
	ASSERT_NO_FAULTS(fx->p.dev);
	return fx;
}

static void *setup_error(void)
{
	struct fx *fx = setup_run();

	ASSERT_OK(pm_protfd_error(fx->p.pf));
	ASSERT_REVOKED_ONCE(&fx->p.rec, PM_PROTFD_REVOKE_ERROR);
	return fx;
}

/* ------------------------------------------------------------ digest */

/* Is the device bound? A trial bind answers, and is undone. */
static char bound_char(struct fx *fx)
{
	struct pm_protfd_config cfg = fx->p.cfg;
	struct pm_protfd *t = NULL;
	int rc;

	cfg.mmio_size = 0;
	cfg.revoke = NULL;
	rc = pm_protfd_create(fx->p.dev, &cfg, &t);
	if (!rc) {
		pm_protfd_destroy(t);
		return 'n';
	}
	return rc == -EBUSY ? 'y' : '?';
}

static bool in_cache_range(struct fx *fx, int i)
{
	return fx->cache_first >= 0 && i >= fx->cache_first &&
	       i <= fx->cache_last;
}

static void digest(void *p, char *out, size_t len)
{
	struct fx *fx = p;
	struct pm_gmem *g = fx->p.g;
	struct pm_dma_fault f[64];
	uint8_t page[PG];
	size_t n = 0;
	int i;

	FN_OUT("bound=%c", bound_char(fx));
	if (fx->p.pf) {
		struct pm_protfd_stats st = pf_stats(fx->p.pf);
		uint64_t held = st.trusted_held;

		/* Holds in the range a failed conversion may drop: not
		 * counted (see the header). */
		for (i = 0; i < NPAGES; i++)
			if (in_cache_range(fx, i) &&
			    pm_gmem_pin_count(g, i * PG) > 0)
				held--;
		FN_OUT(" state=%s held=%llu fills=%llu revocations=%llu",
		       pm_tdi_state_name(pm_protfd_state(fx->p.pf)),
		       (unsigned long long)held,
		       (unsigned long long)st.trusted_fills,
		       (unsigned long long)st.revocations);
	}
	FN_OUT(" revoke=%d/%d", LOAD(fx->p.rec.calls), LOAD(fx->p.rec.reason));
	FN_OUT(" pages:");
	for (i = 0; i < NPAGES; i++) {
		int priv = pm_gmem_is_private(g, i * PG);
		uint8_t b[16];
		char t0;
		int rc;

		if (priv == 1)
			priv_read(g, i * PG, page, PG);
		else
			memcpy(page, (uint8_t *)pm_gmem_host_view(g) + i * PG,
			       PG);
		memset(b, 0xee, sizeof(b));
		rc = pm_dma_read(fx->p.dev, GPA(i), b, sizeof(b));
		t0 = rc ? 'f' : !memcmp(b, page, sizeof(b)) ? 'r' : 'x';
		if (in_cache_range(fx, i))
			FN_OUT(" %c-:%08x%c", priv == 1 ? 'P' : 'S',
			       fail_nth_cksum(page, PG), t0);
		else
			FN_OUT(" %c%d:%08x%c", priv == 1 ? 'P' : 'S',
			       pm_gmem_pin_count(g, i * PG), fail_nth_cksum(page, PG), t0);
	}
	/* T=0 reads of private pages fault by design: forget those. */
	faults_drain(fx->p.dev, f, 64);
}

/* ------------------------------------------------------------ teardown */

/* The trusted domain holds what it should (see the header). */
static void check_trusted_path(struct fx *fx)
{
	struct pm_device *dev = fx->p.dev;
	struct pm_gmem *g = fx->p.g;
	bool run = fx->p.pf && pm_protfd_state(fx->p.pf) == PM_TDI_RUN;
	uint64_t nr_priv = 0;
	struct pm_dma_fault f[64];
	uint8_t a[64], b[64];
	int i;

	faults_drain(dev, f, 64);
	for (i = 0; i < NPAGES; i++) {
		int priv = pm_gmem_is_private(g, i * PG);

		if (!run) {
			ASSERT_TREAD_FAULTS(dev, GPA(i) + 8, 16, GPA(i) + 8,
					    PM_DMA_FAULT_NOT_RUN);
			ASSERT_EQ(pm_gmem_pin_count(g, i * PG), 0);
			continue;
		}
		if (priv != 1) {
			ASSERT_TREAD_FAULTS(dev, GPA(i) + 8, 16, GPA(i) + 8,
					    PM_DMA_FAULT_SHARED);
			continue;
		}
		nr_priv++;
		if (pm_dma_read_trusted(dev, GPA(i) + 8, a, sizeof(a)))
			FAIL("private page %d: trusted read failed", i);
		priv_read(g, i * PG + 8, b, sizeof(b));
		if (memcmp(a, b, sizeof(a)))
			FAIL("private page %d: the trusted path and the CPU "
			     "path read different bytes",
			     i);
	}
	ASSERT_NO_FAULTS(dev);
	if (!fx->p.pf)
		return;
	ASSERT_EQ(pf_stats(fx->p.pf).trusted_held, run ? nr_priv : 0);
	for (i = 0; run && i < NPAGES; i++)
		ASSERT_EQ(pm_gmem_pin_count(g, i * PG),
			  pm_gmem_is_private(g, i * PG) == 1);
	ASSERT_EQ(LOAD(fx->p.rec.wrong_pf), 0);
}

static void teardown(void *p)
{
	struct fx *fx = p;

	check_trusted_path(fx);
	pfx_close(&fx->p);
	memset(fx, 0, sizeof(*fx));
}

/* ------------------------------------------------------------ runs */

static int run_create(void *p)
{
	struct fx *fx = p;
	int rc = pm_protfd_create(fx->p.dev, &fx->p.cfg, &fx->p.pf);

	if (rc)
		fx->p.pf = NULL;
	fx->p.rec.pf = fx->p.pf;
	return rc;
}

static int run_lock(void *p)
{
	return pm_protfd_lock(((struct fx *)p)->p.pf);
}

static int run_get_report(void *p)
{
	struct fx *fx = p;
	struct pm_tdi_report r;
	int rc = pm_protfd_get_report(fx->p.pf, &r);

	if (!rc && memcmp(r.digest, fx->p.digest, sizeof(r.digest)))
		FAIL("get_report: not the digest taken at lock");
	return rc;
}

static int run_accept(void *p)
{
	struct fx *fx = p;
	return pm_protfd_accept(fx->p.pf, fx->p.digest);
}

static int run_stop(void *p)
{
	return pm_protfd_stop(((struct fx *)p)->p.pf);
}

static int run_error(void *p)
{
	return pm_protfd_error(((struct fx *)p)->p.pf);
}

static int run_mmio(void *p)
{
	struct fx *fx = p;
	uint64_t size = 0;
	int fd = -1, rc = pm_protfd_mmio(fx->p.pf, &fd, &size);

	if (!rc && (fd < 0 || size != MMIO_SIZE))
		FAIL("mmio: fd %d size %llu", fd, (unsigned long long)size);
	return rc;
}

static int run_get_stats(void *p)
{
	struct pm_protfd_stats st;

	return pm_protfd_get_stats(((struct fx *)p)->p.pf, &st);
}

/*
 * A trusted DMA: on an injected failure, exactly one fault, MEMORY, at
 * the page being filled (fx->dma_iova); with nothing injected, none.
 */
static int dma_checked(struct fx *fx, int rc, bool write)
{
	struct pm_dma_fault f[4];
	int nf = faults_drain(fx->p.dev, f, 4);

	if (!pm_fault_fired()) {
		if (nf)
			FAIL("%d fault(s) with nothing injected: %s at 0x%llx",
			     nf, pm_dma_fault_reason_name(f[0].reason),
			     (unsigned long long)f[0].iova);
		return rc;
	}
	if (!rc)
		return rc; /* the sweep reports it */
	if (rc != -EFAULT || nf != 1)
		FAIL("a failed fill: rc %d, %d faults", rc, nf);
	if (f[0].reason != PM_DMA_FAULT_MEMORY)
		FAIL("a failed fill recorded %s (%d), expected MEMORY",
		     pm_dma_fault_reason_name(f[0].reason), (int)f[0].reason);
	ASSERT_U64_EQ(f[0].iova, fx->dma_iova);
	ASSERT_EQ(!!f[0].write, write);
	return rc;
}

/* Page 1: private, not held. */
static int run_tread_fill(void *p)
{
	struct fx *fx = p;
	uint8_t b[PG];
	int i, rc;

	fx->dma_iova = GPA(1) + 100;
	rc = pm_dma_read_trusted(fx->p.dev, GPA(1) + 100, b, 200);
	for (i = 0; !rc && i < 200; i++)
		if (b[i] != pat_byte(PV_SEED(1), i + 100))
			FAIL("a trusted read of page 1: byte %d", i);
	return dma_checked(fx, rc, false);
}

/* The same bytes as are there: content stays, a fill is needed. */
static int run_twrite_fill(void *p)
{
	struct fx *fx = p;
	uint8_t b[PG];

	pat_fill(b, PG, PV_SEED(1));
	fx->dma_iova = GPA(1);
	return dma_checked(fx, pm_dma_write_trusted(fx->p.dev, GPA(1), b, PG),
			   true);
}

/* Across held page 0 into unheld page 1: the fill is at page 1. */
static int run_tread_cross(void *p)
{
	struct fx *fx = p;
	uint8_t b[PG];

	fx->dma_iova = GPA(1);
	return dma_checked(fx,
			   pm_dma_read_trusted(fx->p.dev, GPA(0) + PG / 2, b,
					       PG),
			   false);
}

/* Page 4 is held: no fill. */
static int run_tread_held(void *p)
{
	struct fx *fx = p;
	uint8_t b[PG];

	fx->dma_iova = GPA(4);
	return dma_checked(fx, pm_dma_read_trusted(fx->p.dev, GPA(4), b, PG),
			   false);
}

static int convert(struct fx *fx, int first, int npages, enum pm_gmem_state to)
{
	return pm_gmem_convert(fx->p.g, first * PG, npages * PG, to, 0, NULL);
}

/* Page 0, held, to shared. */
static int run_to_shared_held(void *p)
{
	return convert(p, 0, 1, PM_GMEM_SHARED);
}

/* Pages 0-4 (0 and 4 held, 1 not, 2-3 shared already) to shared. */
static int run_to_shared_mixed(void *p)
{
	return convert(p, 0, 5, PM_GMEM_SHARED);
}

/* Pages 2-3 to private while the device runs. */
static int run_to_private_run(void *p)
{
	return convert(p, 2, 2, PM_GMEM_PRIVATE);
}

/* ------------------------------------------------------------ sweeps */

static unsigned long sweep(const char *name, void *(*setup)(void),
			   int (*run)(void *))
{
	char full[96];
	struct fail_nth_scenario s = {
		.name = full,
		.setup = setup,
		.run = run,
		.digest = digest,
		.teardown = teardown,
	};

	snprintf(full, sizeof(full), "%s%s", name,
		 cur_backing == PF_GUEST_MEMFD ? "/guest_memfd" : "");
	return fail_nth_sweep(&s);
}

/* Binding: an IOMMU domain, a notifier, the device's binding. */
TEST(create)
{
	ASSERT_GT(sweep("create", setup_unbound, run_create), 0);
}

/* With a private MMIO region on a memfd: a store of its own. */
TEST(create_mmio)
{
	cur_mmio = MMIO_SIZE;
	ASSERT_GT(sweep("create_mmio", setup_unbound, run_create), 2);
}

/* With the private MMIO region on a guest_memfd of a VM. */
TEST(create_mmio_vm)
{
	cur_vm = vm_new_or_skip();
	cur_mmio = MMIO_SIZE;
	ASSERT_GT(sweep("create_mmio_vm", setup_unbound, run_create), 2);
	close(cur_vm);
}

TEST(lock)
{
	sweep("lock", setup_unlocked, run_lock);
}

TEST(get_report)
{
	sweep("get_report", setup_locked, run_get_report);
}

TEST(accept)
{
	sweep("accept", setup_locked, run_accept);
}

TEST(stop_locked)
{
	sweep("stop_locked", setup_locked, run_stop);
}

TEST(error_locked)
{
	sweep("error_locked", setup_locked, run_error);
}

/* Revocations with pages held: release, then the callback. */
TEST(stop_run)
{
	sweep("stop_run", setup_run, run_stop);
}

TEST(error_run)
{
	sweep("error_run", setup_run, run_error);
}

TEST(stop_error)
{
	sweep("stop_error", setup_error, run_stop);
}

TEST(mmio)
{
	cur_mmio = MMIO_SIZE;
	sweep("mmio", setup_run, run_mmio);
}

TEST(get_stats)
{
	sweep("get_stats", setup_run, run_get_stats);
}

/* The pages whose holds a conversion to shared covers: see the header. */
#define CACHE_to_shared_held 0, 0
#define CACHE_to_shared_mixed 0, 4
#define CACHE_none -1, -1

static void cache_range(int first, int last)
{
	cur_cache_first = first;
	cur_cache_last = last;
}

#define BOTH(name_, setup_, min_, cache_)                                      \
	TEST(name_##_memfd)                                                    \
	{                                                                      \
		cache_range(cache_);                                           \
		ASSERT_GE(sweep(#name_, setup_, run_##name_), min_);           \
	}                                                                      \
	TEST(name_##_guest_memfd)                                              \
	{                                                                      \
		cache_range(cache_);                                           \
		cur_backing = PF_GUEST_MEMFD;                                  \
		ASSERT_GE(sweep(#name_, setup_, run_##name_), min_);           \
	}

/* Trusted DMA: the fill (a hold by get_pfn, a trusted map). */
BOTH(tread_fill, setup_run, 1, CACHE_none)
BOTH(twrite_fill, setup_run, 1, CACHE_none)
BOTH(tread_cross, setup_run, 1, CACHE_none)
BOTH(tread_held, setup_run, 0, CACHE_none)
/* Conversions while the trusted device runs with pages held. */
BOTH(to_shared_held, setup_run, 1, CACHE_to_shared_held)
BOTH(to_shared_mixed, setup_run, 1, CACHE_to_shared_mixed)
BOTH(to_private_run, setup_run, 1, CACHE_none)

TEST_MAIN()
