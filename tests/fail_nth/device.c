// SPDX-License-Identifier: MIT
/*
 * The emulated devices of <privmem/device.h> under every injected failure:
 * each scenario is one public entry point that succeeds when nothing fails
 * (create; attach to an IOAS, to an IOAS whose automatic HWPT another
 * device already uses, and to a HWPT; replace onto an IOAS and onto a
 * HWPT; DMA read, write, scatter-gather and translation, each starting
 * with an IOTLB miss so the translation path runs; add_bar, bar_fd and a
 * reset with two BARs, one of them mapped into an IOAS; config space read
 * and write; read_faults, get_stats, set_reset_cb), swept with the 1st,
 * 2nd, ... point failing. Entry points with no injection point get a
 * sweep of 0 points, which asserts exactly that; so do detach and destroy,
 * which return nothing (a fault there would have to be absorbed, and
 * teardown checks that they did their work: the automatic HWPT, its pins
 * and the device id gone). A call that failed must have changed nothing
 * observable:
 *
 *   - which ids name which kind of object (IOAS, HWPT, DEVICE), and the
 *     id the next one gets: a failed create or attach leaves no object
 *     and no used id behind, a failed replace keeps the automatic HWPT it
 *     was to leave;
 *   - per IOAS: IOVA_RANGES (an attached emulated domain narrows them to
 *     its aperture), HUGE_PAGES, where an automatic map would land, and
 *     what an access reads at each probe page (buffer maps and the BAR's
 *     MAP_FILE map, which a reset revokes);
 *   - the pins on the test's buffer (MD_CHECK_REFS, page by page): a
 *     domain filled and not torn down shows there;
 *   - the device under test: every counter of pm_device_get_stats(), and
 *     the IO page table of its domain (bytes and leaves by size: the
 *     domains of IOAS A and B differ, so it tells which one the device is
 *     on, and a detached device has none); its config space; per BAR the
 *     fd, its inode, the size, the device's pointer and a checksum of the
 *     content; how often the reset callback ran.
 * The fault log cannot be read without draining it, so teardown checks
 * it instead: it must hold exactly the fault the fixture recorded, unless
 * the call was read_faults and succeeded (then it must be empty).
 *
 * Trusted DMA (pm_dma_read/write_trusted) needs a protection fd to
 * succeed at all, and is swept by tests/fail_nth/protfd.c.
 */
#include "fail_nth.h"
#include "uapi_state.h"
#include "../iommu/dev_utils.h"

#define V IOVA_BASE
#define BUFSZ (64 * KiB)
#define BAR_SIZE (16 * PG)
#define BAR_IOVA (V + 64 * PG)
#define FAULT_IOVA (V + 200 * PG)
#define MAXP 32
#define NR_BARS 6

static uint8_t *buf; /* BUFSZ, pattern 1; pages 0-7 in A, 8-9 in B */

struct fx {
	struct pm_iommufd *ctx;
	uint32_t ioas[2];
	struct pm_device *dev, *dev2; /* under test; another on A or NULL */
	uint32_t dev_id;
	uint32_t pt;	   /* where dev is attached (0: detached) */
	uint32_t hwpt;	   /* a user HWPT, or 0 */
	struct pm_device *newdev; /* what create made */
	struct fn_probe probe[MAXP];
	int nprobe;
	struct pm_dma_fault fault; /* the one the fixture recorded */
	bool faults_read;	   /* the call drained the log */
	bool gone;		   /* the call detached or destroyed dev */
	int reset_calls;
	int rc;
};

static struct fx the_fx;

static void probe_add(struct fx *fx, int ioas, uint64_t iova,
		      unsigned int npages)
{
	unsigned int i;

	for (i = 0; i < npages; i++) {
		if (fx->nprobe == MAXP)
			FAIL("too many probes");
		fx->probe[fx->nprobe++] = (struct fn_probe){ ioas, iova + i * PG };
	}
}

/* ------------------------------------------------------------ setup */

static void reset_cb(struct pm_device *dev, void *opaque)
{
	struct fx *fx = opaque;

	if (dev != fx->dev)
		FAIL("reset callback for another device");
	fx->reset_calls++;
}

/*
 * One fault in the log, learnt by reading it (which drains it) and made
 * again: a DMA read where nothing is mapped.
 */
static void add_fault(struct fx *fx)
{
	uint8_t b;

	if (pm_dma_read(fx->dev, FAULT_IOVA, &b, 1) != -EFAULT ||
	    pm_device_read_faults(fx->dev, &fx->fault, 1) != 1 ||
	    pm_dma_read(fx->dev, FAULT_IOVA, &b, 1) != -EFAULT)
		FAIL("setup: fault");
}

/* A with buf pages 0-7, B with 8-9; the device, detached. */
static struct fx *fx_new(void)
{
	struct fx *fx = &the_fx;

	memset(fx, 0, sizeof(*fx));
	pat_fill(buf, BUFSZ, 1);
	if (pm_iommufd_open(&fx->ctx))
		return NULL;
	if (_ioas_alloc(fx->ctx, &fx->ioas[0]) ||
	    _ioas_alloc(fx->ctx, &fx->ioas[1]) ||
	    _map_at(fx->ctx, fx->ioas[0], buf, 8 * PG, V) ||
	    _map_at(fx->ctx, fx->ioas[1], buf + 8 * PG, 2 * PG, V))
		FAIL("setup: IOAS");
	probe_add(fx, 0, V, 8);
	probe_add(fx, 1, V, 2);
	if (pm_device_create(fx->ctx, "nth", &fx->dev, &fx->dev_id))
		FAIL("setup: device");
	if (pm_device_set_reset_cb(fx->dev, reset_cb, fx))
		FAIL("setup: reset callback");
	return fx;
}

static void attach(struct fx *fx, uint32_t pt)
{
	fx->pt = pt;
	if (pm_device_attach(fx->dev, &fx->pt))
		FAIL("setup: attach");
}

static void *done(struct fx *fx)
{
	add_fault(fx);
	return fx;
}

static void *setup_detached(void)
{
	return done(fx_new());
}

/* The device on A (its automatic HWPT). */
static void *setup_on_a(void)
{
	struct fx *fx = fx_new();

	attach(fx, fx->ioas[0]);
	return done(fx);
}

/* Another device on A: its automatic HWPT exists, filled. */
static void *setup_shared(void)
{
	struct fx *fx = fx_new();
	uint32_t pt = fx->ioas[0];

	if (pm_device_create(fx->ctx, "nth-2", &fx->dev2, NULL) ||
	    pm_device_attach(fx->dev2, &pt))
		FAIL("setup: second device");
	return done(fx);
}

/* A user HWPT on A, the device detached. */
static void *setup_hwpt_a(void)
{
	struct fx *fx = fx_new();

	if (_hwpt_alloc(fx->ctx, fx->dev_id, fx->ioas[0], 0, &fx->hwpt))
		FAIL("setup: HWPT");
	return done(fx);
}

/* The device on A, a user HWPT on B. */
static void *setup_on_a_hwpt_b(void)
{
	struct fx *fx = fx_new();

	attach(fx, fx->ioas[0]);
	if (_hwpt_alloc(fx->ctx, fx->dev_id, fx->ioas[1], 0, &fx->hwpt))
		FAIL("setup: HWPT");
	return done(fx);
}

/* BAR 0 (pattern 3) and BAR 3 (pattern 4). */
static void add_bars(struct fx *fx)
{
	if (pm_device_add_bar(fx->dev, 0, BAR_SIZE) ||
	    pm_device_add_bar(fx->dev, 3, 2 * PG))
		FAIL("setup: BARs");
	pat_fill(pm_device_bar_ptr(fx->dev, 0), BAR_SIZE, 3);
	pat_fill(pm_device_bar_ptr(fx->dev, 3), 2 * PG, 4);
}

static void *setup_bars(void)
{
	struct fx *fx = fx_new();

	add_bars(fx);
	return done(fx);
}

/*
 * The device on A with its BARs, BAR 0 mapped into A at BAR_IOVA
 * (MAP_FILE of its fd, as a peer's DMA target).
 */
static void *setup_bar_mapped(void)
{
	struct fx *fx = fx_new();
	uint64_t iova = BAR_IOVA;

	add_bars(fx);
	attach(fx, fx->ioas[0]);
	if (_ioas_map_file(fx->ctx, fx->ioas[0], pm_device_bar_fd(fx->dev, 0),
			   0, 4 * PG, &iova, FIXED_RW))
		FAIL("setup: map the BAR");
	probe_add(fx, 0, BAR_IOVA, 4);
	return done(fx);
}

/* ------------------------------------------------------------ digest */

static void digest(void *p, char *out, size_t len)
{
	struct fx *fx = p;
	struct pm_device_stats st;
	uint8_t cfg[PM_DEVICE_CONFIG_SIZE];
	size_t n = fn_digest_ids(fx->ctx, out, len, 0);
	unsigned int b;
	int i;

	for (i = 0; i < 2; i++)
		n = fn_digest_ioas(fx->ctx, i, fx->ioas[i], buf + 15 * PG,
				   fx->probe, fx->nprobe, out, len, n);
	n = fn_digest_refs(fx->ctx, buf, BUFSZ / PG, out, len, n);

	if (pm_device_get_stats(fx->dev, &st))
		FAIL("digest: stats");
	FN_OUT(" stats:%llu/%llu/%llu/%llu/%llu/%llu pt:%llu/%llu/%llu/%llu",
	       (unsigned long long)st.dma_ops, (unsigned long long)st.dma_bytes,
	       (unsigned long long)st.faults, (unsigned long long)st.iotlb_hits,
	       (unsigned long long)st.iotlb_misses,
	       (unsigned long long)st.iotlb_invalidations,
	       (unsigned long long)st.pt_bytes,
	       (unsigned long long)st.pt_leaves_4k,
	       (unsigned long long)st.pt_leaves_2m,
	       (unsigned long long)st.pt_leaves_1g);
	if (pm_device_config_read(fx->dev, 0, cfg, sizeof(cfg)))
		FAIL("digest: config");
	FN_OUT(" cfg:%08x", fail_nth_cksum(cfg, sizeof(cfg)));
	for (b = 0; b < NR_BARS; b++) {
		uint64_t size = pm_device_bar_size(fx->dev, b);
		uint8_t *ptr = pm_device_bar_ptr(fx->dev, b);
		int fd = pm_device_bar_fd(fx->dev, b);
		struct stat sb = { 0 };

		if (fd >= 0 && fstat(fd, &sb))
			FAIL("digest: fstat BAR %u", b);
		FN_OUT(" bar%u:%d/%lu/%llu/%p", b, fd, (unsigned long)sb.st_ino,
		       (unsigned long long)size, (void *)ptr);
		if (ptr && size)
			FN_OUT("/%08x", fail_nth_cksum(ptr, size));
	}
	FN_OUT(" resets:%d", fx->reset_calls);
}

/* ------------------------------------------------------------ teardown */

/*
 * After detach or destroy, which cannot fail: the automatic HWPT went
 * with its last device, and its pins with it.
 */
static void check_gone(struct fx *fx)
{
	struct iommu_hw_info info = { .size = sizeof(info),
				      .dev_id = fx->dev_id };
	struct pm_device_stats st;
	int rc;

	if (_check_map(fx->ctx, fx->pt, 0, 0, NULL) != -ENOENT)
		FAIL("the automatic HWPT %u is still there", fx->pt);
	rc = _check_refs(fx->ctx, buf, BUFSZ, 0);
	if (rc)
		FAIL("pages are still pinned: %s", strerror(-rc));
	if (fx->dev) {
		if (pm_device_get_stats(fx->dev, &st) || st.pt_bytes)
			FAIL("a detached device has an IO page table");
	} else if (ioctl_rc(fx->ctx, IOMMU_GET_HW_INFO, &info) != -ENOENT) {
		FAIL("the destroyed device's id %u is still there", fx->dev_id);
	}
}

static void teardown(void *p)
{
	struct fx *fx = p;
	struct pm_dma_fault f[4];
	int nf = 1;

	if (fx->gone)
		check_gone(fx);
	if (fx->dev)
		nf = pm_device_read_faults(fx->dev, f, 4);
	else
		f[0] = fx->fault; /* destroyed with its log */
	if (fx->faults_read && !fx->rc) {
		if (nf != 0)
			FAIL("%d faults left after reading them", nf);
	} else if (nf != 1 || f[0].iova != fx->fault.iova ||
		   f[0].reason != fx->fault.reason ||
		   f[0].write != fx->fault.write) {
		FAIL("the fault log changed: %d fault(s), the first %s at "
		     "0x%llx",
		     nf, nf > 0 ? pm_dma_fault_reason_name(f[0].reason) : "-",
		     nf > 0 ? (unsigned long long)f[0].iova : 0ULL);
	}
	pm_device_destroy(fx->newdev);
	pm_device_destroy(fx->dev2);
	pm_device_destroy(fx->dev);
	pm_iommufd_close(fx->ctx);
	memset(fx, 0, sizeof(*fx));
}

/* ------------------------------------------------------------ runs */

#define RUN(name_)                                                             \
	static int run_##name_##_(struct fx *fx);                              \
	static int run_##name_(void *p)                                        \
	{                                                                      \
		struct fx *fx = p;                                             \
		return fx->rc = run_##name_##_(fx);                            \
	}                                                                      \
	static int run_##name_##_(struct fx *fx)

RUN(create)
{
	uint32_t id = 0;
	int rc = pm_device_create(fx->ctx, "nth-new", &fx->newdev, &id);

	if (!rc && (!fx->newdev || !id))
		FAIL("create: no device or no id");
	if (rc && fx->newdev)
		FAIL("create failed but gave a device");
	return rc;
}

RUN(attach_ioas)
{
	uint32_t pt = fx->ioas[0];
	int rc = pm_device_attach(fx->dev, &pt);

	if (!rc && pt == fx->ioas[0])
		FAIL("attach: the IOAS id came back, not its HWPT's");
	return rc;
}

RUN(attach_hwpt)
{
	uint32_t pt = fx->hwpt;
	int rc = pm_device_attach(fx->dev, &pt);

	if (!rc && pt != fx->hwpt)
		FAIL("attach to HWPT %u: %u", fx->hwpt, pt);
	return rc;
}

RUN(replace_ioas)
{
	uint32_t pt = fx->ioas[1];

	return pm_device_replace(fx->dev, &pt);
}

RUN(replace_hwpt)
{
	uint32_t pt = fx->hwpt;

	return pm_device_replace(fx->dev, &pt);
}

/* 3 pages from the middle of page 1: IOTLB misses, one host run. */
RUN(dma_read)
{
	uint8_t b[3 * PG];
	int rc = pm_dma_read(fx->dev, V + PG + 100, b, sizeof(b));

	if (!rc && memcmp(b, buf + PG + 100, sizeof(b)))
		FAIL("DMA read differs from the buffer");
	return rc;
}

/* Pattern 9 over pages 2-3: the access probes see it on success. */
RUN(dma_write)
{
	uint8_t b[2 * PG];

	pat_fill(b, sizeof(b), 9);
	return pm_dma_write(fx->dev, V + 2 * PG, b, sizeof(b));
}

RUN(dma_rw_sg)
{
	uint8_t w[PG], r[2 * PG];
	struct pm_dma_sg sg[2] = {
		{ V + 5 * PG, w, sizeof(w) },
		{ V + 6 * PG - 10, r, sizeof(r) },
	};
	int rc;

	pat_fill(w, sizeof(w), 11);
	rc = pm_dma_rw_sg(fx->dev, sg, 1, 1);
	if (!rc)
		rc = pm_dma_rw_sg(fx->dev, sg + 1, 1, 0);
	return rc;
}

RUN(dma_translate)
{
	uint64_t iova[8];
	int i, rc;

	for (i = 0; i < 8; i++)
		iova[i] = V + (uint64_t)(7 - i) * PG + 8;
	rc = pm_dma_translate(fx->dev, iova, 8, 1);
	if (rc < 0)
		return rc;
	if (rc != 8)
		FAIL("translate: %d of 8", rc);
	return 0;
}

RUN(add_bar)
{
	int rc = pm_device_add_bar(fx->dev, 1, BAR_SIZE);

	if (!rc && !pm_device_bar_ptr(fx->dev, 1))
		FAIL("add_bar: no BAR");
	return rc;
}

RUN(bar_fd)
{
	int fd = pm_device_bar_fd(fx->dev, 0);

	return fd < 0 ? fd : 0;
}

RUN(reset)
{
	int rc = pm_device_reset(fx->dev);

	if (!rc && fx->reset_calls != 1)
		FAIL("reset: the callback ran %d times", fx->reset_calls);
	if (rc && fx->reset_calls)
		FAIL("a failed reset ran the callback");
	return rc;
}

RUN(config_read)
{
	uint8_t b[16];

	return pm_device_config_read(fx->dev, 64, b, sizeof(b));
}

RUN(config_write)
{
	static const uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	return pm_device_config_write(fx->dev, 16, b, sizeof(b));
}

RUN(read_faults)
{
	struct pm_dma_fault f[4];
	int rc = pm_device_read_faults(fx->dev, f, 4);

	fx->faults_read = true;
	if (rc < 0)
		return rc;
	if (rc != 1 || f[0].iova != FAULT_IOVA)
		FAIL("read_faults: %d", rc);
	return 0;
}

RUN(get_stats)
{
	struct pm_device_stats st;

	return pm_device_get_stats(fx->dev, &st);
}

RUN(set_reset_cb)
{
	return pm_device_set_reset_cb(fx->dev, reset_cb, fx);
}

/* Void: the sweep checks that faults are absorbed, without leaks. */
RUN(detach)
{
	pm_device_detach(fx->dev);
	fx->gone = true;
	return 0;
}

RUN(destroy)
{
	pm_device_destroy(fx->dev);
	fx->dev = NULL;
	fx->gone = true;
	return 0;
}

/* ------------------------------------------------------------ sweeps */

/* min_: at least this many points swept (0: exactly none). */
#define SCENARIO_AS(name_, run_, setup_, absorb_, min_)                        \
	FAIL_NTH_TEST(name_, run_, setup_, digest, teardown, absorb_, min_,    \
		      fail_nth_no_prep)
#define SCENARIO(name_, setup_, absorb_, min_)                                 \
	SCENARIO_AS(name_, run_##name_, setup_, absorb_, min_)

SCENARIO(create, setup_detached, false, 2)
SCENARIO(attach_ioas, setup_detached, false, 3)
SCENARIO_AS(attach_ioas_shared, run_attach_ioas, setup_shared, false, 1)
SCENARIO(attach_hwpt, setup_hwpt_a, false, 1)
SCENARIO(replace_ioas, setup_on_a, false, 3)
SCENARIO(replace_hwpt, setup_on_a_hwpt_b, false, 1)
SCENARIO(dma_read, setup_on_a, false, 0)
SCENARIO(dma_write, setup_on_a, false, 0)
SCENARIO(dma_rw_sg, setup_on_a, false, 0)
SCENARIO(dma_translate, setup_on_a, false, 0)
SCENARIO(add_bar, setup_bars, false, 3)
SCENARIO(bar_fd, setup_bars, false, 0)
SCENARIO(reset, setup_bar_mapped, false, 3)
SCENARIO(config_read, setup_on_a, false, 0)
SCENARIO(config_write, setup_on_a, false, 0)
SCENARIO(read_faults, setup_on_a, false, 0)
SCENARIO(get_stats, setup_on_a, false, 0)
SCENARIO(set_reset_cb, setup_detached, false, 0)
/*
 * Detach and destroy return nothing and never fail: any fault met on the
 * way (tearing the automatic HWPT and its domain down) must be absorbed.
 * Teardown checks that they did their work all the same.
 */
SCENARIO(detach, setup_on_a, true, 0)
SCENARIO(destroy, setup_bar_mapped, true, 0)

/* Every sweep starts from the same buffer, made once. */
__attribute__((constructor)) static void make_buf(void)
{
	buf = buf_alloc(BUFSZ, BUFSZ);
}

TEST_MAIN()
