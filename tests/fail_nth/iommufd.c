// SPDX-License-Identifier: MIT
/*
 * The userspace iommufd under every injected failure, as Linux's
 * iommufd_fail_nth.c sweeps the kernel's: each scenario is one call that
 * succeeds when nothing fails (IOAS alloc, allow, map, map_file, copy,
 * unmap, mock domain attach and replace, a second domain, accesses, gmem
 * maps, conversions and truncation, options), swept with the 1st, 2nd,
 * ... point failing. A call that failed must have changed nothing observable:
 *
 *   - which ids name which kind of object, and the id the next one gets;
 *   - per IOAS: IOVA_RANGES (holes and alignment), HUGE_PAGES, where an
 *     automatic 4 KiB map would land (shows the allowed ranges), and for
 *     each probe page (the maps the fixture made and those the call was
 *     to make) whether an access reads it, and what;
 *   - per HWPT: for each probe page, whether MD_CHECK_MAP finds it mapped
 *     to the memory it should be;
 *   - the pins on the test's buffer (MD_CHECK_REFS, page by page);
 *   - a gmem store's page states and pin counts.
 * Teardown also checks, for gmem maps, that a page is translated exactly
 * when it is shared: a conversion that "succeeds" while the IOMMU did not
 * follow would show there (whatever the sweep thinks of the call).
 */
#include <linux/capability.h>
#include "fail_nth.h"
#include "uapi_state.h"

#define BUFSZ (64 * KiB)
#define MFSZ (64 * KiB)
#define GPAGES 8
#define W0 AP_START		  /* probe window of IOAS A */
#define MAXP 64
#define NEEDS_PIN MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES

static uint8_t *buf;	/* BUFSZ, pattern 1; pages of it mapped */

struct fx {
	struct pm_iommufd *ctx;
	uint32_t ioas[2];
	int nioas;
	uint32_t hwpt[3];
	int hwpt_ioas[3];
	int nhwpt;
	uint32_t stdev, idev;
	int pacc; /* a pinning access on ioas[0], or -1 */
	uint32_t item;
	int memfd;
	uint8_t *mfmap;
	struct pm_gmem *g;
	uint64_t g_iova; /* where the store is (or is to be) mapped */
	bool g_mapped;
	struct fn_probe probe[MAXP];
	int nprobe;
	int new_fd; /* a descriptor the call made */
	uint64_t out;
};

static struct fx the_fx;

static void probe_add(struct fx *fx, int ioas, uint64_t iova,
		      const uint8_t *uptr, unsigned int npages)
{
	unsigned int i;

	for (i = 0; i < npages; i++) {
		if (fx->nprobe == MAXP)
			FAIL("too many probes");
		fx->probe[fx->nprobe++] = (struct fn_probe){ ioas, iova + i * PG,
							  uptr + i * PG };
	}
}

/* ------------------------------------------------------------ setup */

static int add_ioas(struct fx *fx)
{
	int i = fx->nioas++;

	if (_ioas_alloc(fx->ctx, &fx->ioas[i]))
		FAIL("setup: ioas");
	return i;
}

static void add_domain(struct fx *fx, int ioas)
{
	int h = fx->nhwpt++;

	if (_mock_domain(fx->ctx, fx->ioas[ioas], &fx->stdev, &fx->hwpt[h],
			 &fx->idev))
		FAIL("setup: mock domain");
	fx->hwpt_ioas[h] = ioas;
}

/* Map buf pages [first, first + n) at W0 + first * PG of IOAS @ioas. */
static void add_buf_map(struct fx *fx, int ioas, unsigned int first,
			unsigned int n)
{
	if (_map_at(fx->ctx, fx->ioas[ioas], buf + first * PG, n * PG,
		    W0 + first * PG))
		FAIL("setup: map");
	probe_add(fx, ioas, W0 + first * PG, buf + first * PG, n);
}

static void *setup_base(void)
{
	struct fx *fx = &the_fx;

	memset(fx, 0, sizeof(*fx));
	fx->pacc = -1;
	fx->new_fd = -1;
	fx->memfd = -1;
	pat_fill(buf, BUFSZ, 1);
	if (pm_iommufd_open(&fx->ctx))
		return NULL;
	add_ioas(fx);
	return fx;
}

static void add_memfd(struct fx *fx)
{
	fx->memfd = memfd_new(MFSZ, 2);
	fx->mfmap = fd_mmap(fx->memfd, MFSZ, 0);
}

static void add_store(struct fx *fx)
{
	fx->g = store_new(PM_GMEM_MEMFD, GPAGES, 0);
	fx->g_iova = W0 + 32 * PG;
	probe_add(fx, 0, fx->g_iova, pm_gmem_host_view(fx->g), GPAGES);
}

static void map_store(struct fx *fx)
{
	uint64_t iova = fx->g_iova;

	if (pm_ioas_map_gmem(fx->ctx, fx->ioas[0], fx->g, 0, GPAGES * PG,
			     &iova, FIXED_RW))
		FAIL("setup: map store");
	fx->g_mapped = true;
}

static void *setup_domain(void)
{
	struct fx *fx = setup_base();

	add_domain(fx, 0);
	return fx;
}

/* A: a domain, buf pages 0-3 mapped, memfd pages 0-3 at W0 + 16 pages. */
static void *setup_domain_maps(void)
{
	struct fx *fx = setup_domain();
	uint64_t iova = W0 + 16 * PG;

	add_buf_map(fx, 0, 0, 4);
	add_memfd(fx);
	if (_ioas_map_file(fx->ctx, fx->ioas[0], fx->memfd, 0, 4 * PG, &iova,
			   FIXED_RW))
		FAIL("setup: map_file");
	probe_add(fx, 0, iova, fx->mfmap, 4);
	return fx;
}

/* The same maps, without a domain. */
static void *setup_maps(void)
{
	struct fx *fx = setup_base();
	uint64_t iova = W0 + 16 * PG;

	add_buf_map(fx, 0, 0, 4);
	add_memfd(fx);
	if (_ioas_map_file(fx->ctx, fx->ioas[0], fx->memfd, 0, 4 * PG, &iova,
			   FIXED_RW))
		FAIL("setup: map_file");
	probe_add(fx, 0, iova, fx->mfmap, 4);
	return fx;
}

/* A with domain and maps; B with a domain of its own. */
static void *setup_two_ioas(void)
{
	struct fx *fx = setup_domain_maps();
	int b = add_ioas(fx);

	add_domain(fx, b);
	return fx;
}

/* A with maps and a pinning access. */
static void *setup_access(void)
{
	struct fx *fx = setup_domain_maps();

	if (_create_access(fx->ctx, fx->ioas[0], NEEDS_PIN, &fx->pacc))
		FAIL("setup: access");
	return fx;
}

static void *setup_access_nodomain(void)
{
	struct fx *fx = setup_maps();

	if (_create_access(fx->ctx, fx->ioas[0], NEEDS_PIN, &fx->pacc))
		FAIL("setup: access");
	return fx;
}

static void *setup_store(void)
{
	struct fx *fx = setup_domain();

	add_store(fx);
	return fx;
}

static void *setup_store_mapped(void)
{
	struct fx *fx = setup_store();

	map_store(fx);
	return fx;
}

/* Mapped, pages 2-3 private. */
static void *setup_store_private(void)
{
	struct fx *fx = setup_store_mapped();

	if (pm_gmem_convert(fx->g, 2 * PG, 2 * PG, PM_GMEM_PRIVATE, 0, NULL))
		FAIL("setup: convert");
	return fx;
}

/*
 * Mapped, pages 2-3 and 6 private, then truncated to half: the tail is
 * unmapped, the area still spans it.
 */
static void *setup_store_shrunk(void)
{
	struct fx *fx = setup_store_private();

	if (pm_gmem_convert(fx->g, 6 * PG, PG, PM_GMEM_PRIVATE, 0, NULL) ||
	    pm_gmem_truncate(fx->g, GPAGES / 2 * PG))
		FAIL("setup: shrink");
	return fx;
}

/* ------------------------------------------------------------ digest */

static void digest(void *p, char *out, size_t len)
{
	struct fx *fx = p;
	size_t n = fn_digest_ids(fx->ctx, out, len, 0);
	int i, k;

	for (i = 0; i < fx->nioas; i++)
		n = fn_digest_ioas(fx->ctx, i, fx->ioas[i], buf + 15 * PG,
				   fx->probe, fx->nprobe, out, len, n);
	for (i = 0; i < fx->nhwpt; i++)
		n = fn_digest_hwpt(fx->ctx, i, fx->hwpt[i], fx->hwpt_ioas[i],
				   fx->probe, fx->nprobe, out, len, n);
	n = fn_digest_refs(fx->ctx, buf, BUFSZ / PG, out, len, n);
	if (fx->g) {
		FN_OUT(" gmem:");
		for (k = 0; k < GPAGES; k++) {
			int pr = pm_gmem_is_private(fx->g, k * PG);

			/* '-': past the store's end (truncated). */
			FN_OUT("%c%d", pr < 0 ? '-' : pr ? 'P' : 'S',
			       pm_gmem_pin_count(fx->g, k * PG));
		}
	}
}

/* ------------------------------------------------------------ teardown */

/* A mapped store page is translated exactly when it is shared. */
static void check_store_invariant(struct fx *fx)
{
	int k, h;

	if (!fx->g || !fx->g_mapped)
		return;
	for (h = 0; h < fx->nhwpt; h++) {
		if (fx->hwpt_ioas[h] != 0)
			continue;
		for (k = 0; k < GPAGES; k++) {
			int priv = pm_gmem_is_private(fx->g, k * PG);
			int rc = _check_map(fx->ctx, fx->hwpt[h],
					    fx->g_iova + k * PG, PG,
					    (uint8_t *)pm_gmem_host_view(fx->g) +
						    k * PG);

			if (priv == 0 && rc)
				FAIL("store page %d is shared but not "
				     "translated in HWPT %u: %s",
				     k, fx->hwpt[h], strerror(-rc));
			if (priv == 1 && !rc)
				FAIL("store page %d is private but "
				     "translated", k);
			if (priv < 0 && !rc)
				FAIL("store page %d is past the store's end "
				     "but translated", k);
		}
	}
}

static void teardown(void *p)
{
	struct fx *fx = p;

	check_store_invariant(fx);
	pm_iommufd_close(fx->ctx);
	if (fx->pacc >= 0)
		close(fx->pacc);
	if (fx->new_fd >= 0)
		close(fx->new_fd);
	if (fx->mfmap)
		munmap(fx->mfmap, MFSZ);
	if (fx->memfd >= 0)
		close(fx->memfd);
	if (fx->g)
		pm_gmem_close(fx->g);
	memset(fx, 0, sizeof(*fx));
}

/* ------------------------------------------------------------ runs */

/* A second context (the fixture's stays): nothing of it may remain. */
static int run_open(void *p)
{
	struct fx *fx = p;
	struct pm_iommufd *ctx = NULL;
	int rc = pm_iommufd_open(&ctx);

	if (!rc) {
		if (!ctx)
			FAIL("open succeeded without a context");
		pm_iommufd_close(ctx);
	} else if (ctx) {
		FAIL("a failed open left a context");
	}
	(void)fx;
	return rc;
}

static int run_ioas_alloc(void *p)
{
	struct fx *fx = p;
	uint32_t id;

	return _ioas_alloc(fx->ctx, &id);
}

static int run_allow_iovas(void *p)
{
	struct fx *fx = p;
	static const struct iommu_iova_range r[2] = {
		{ W0 + 40 * PG, W0 + 48 * PG - 1 },
		{ W0 + 56 * PG, W0 + 60 * PG - 1 },
	};

	return _allow_iovas(fx->ctx, fx->ioas[0], r, 2);
}

static int run_iova_ranges(void *p)
{
	struct fx *fx = p;
	struct iommu_iova_range r[4];
	uint32_t nr = 4;

	return _iova_ranges(fx->ctx, fx->ioas[0], r, &nr, NULL);
}

/* The maps a call makes are probed as well. */
/*
 * MAP, MAP_FILE, COPY and UNMAP run through the typed entries: through
 * the ioctl, the response is copied out after the change is made, and a
 * failed copy returns EFAULT with the change in place, as in Linux.
 */
static int run_map_fixed(void *p)
{
	struct fx *fx = p;
	uint64_t iova = W0 + 8 * PG;

	return pm_ioas_map(fx->ctx, fx->ioas[0], buf + 8 * PG, 4 * PG, &iova,
			   FIXED_RW);
}

static void *setup_map_fixed(void)
{
	struct fx *fx = setup_domain();

	probe_add(fx, 0, W0 + 8 * PG, buf + 8 * PG, 4);
	return fx;
}

static void *setup_map_fixed_nodomain(void)
{
	struct fx *fx = setup_base();

	probe_add(fx, 0, W0 + 8 * PG, buf + 8 * PG, 4);
	return fx;
}

static int run_map_auto(void *p)
{
	struct fx *fx = p;

	fx->out = 0;
	return pm_ioas_map(fx->ctx, fx->ioas[0], buf + 4 * PG, 4 * PG,
			   &fx->out, RW);
}

static void *setup_map_auto(void)
{
	struct fx *fx = setup_domain_maps();

	/* First fit after buf pages 0-3: W0 + 4 pages, from buf page 4. */
	probe_add(fx, 0, W0 + 4 * PG, buf + 4 * PG, 4);
	return fx;
}

static int run_map_file(void *p)
{
	struct fx *fx = p;
	uint64_t iova = W0 + 24 * PG;

	return pm_ioas_map_file(fx->ctx, fx->ioas[0], fx->memfd, 4 * PG,
				4 * PG, &iova, FIXED_RW);
}

static void *setup_map_file(void)
{
	struct fx *fx = setup_domain_maps();

	probe_add(fx, 0, W0 + 24 * PG, fx->mfmap + 4 * PG, 4);
	return fx;
}

static int run_unmap(void *p)
{
	struct fx *fx = p;
	uint64_t un;

	return pm_ioas_unmap(fx->ctx, fx->ioas[0], W0, 4 * PG, &un);
}

static int run_unmap_all(void *p)
{
	struct fx *fx = p;
	uint64_t un;

	return pm_ioas_unmap(fx->ctx, fx->ioas[0], 0, UINT64_MAX, &un);
}

static int run_copy(void *p)
{
	struct fx *fx = p;
	uint64_t iova = W0 + 8 * PG;

	return pm_ioas_copy(fx->ctx, fx->ioas[1], fx->ioas[0], W0 + PG, 3 * PG,
			    &iova, FIXED_RW);
}

static void *setup_copy(void)
{
	struct fx *fx = setup_two_ioas();

	probe_add(fx, 1, W0 + 8 * PG, buf + PG, 3);
	return fx;
}

static int run_mock_domain(void *p)
{
	struct fx *fx = p;

	return _mock_domain(fx->ctx, fx->ioas[0], NULL, NULL, NULL);
}

static void *setup_attach(void)
{
	return setup_maps();
}

static int run_hwpt_alloc(void *p)
{
	struct fx *fx = p;

	return _hwpt_alloc(fx->ctx, fx->idev, fx->ioas[0], 0, NULL);
}

static int run_replace(void *p)
{
	struct fx *fx = p;

	return _mock_domain_replace(fx->ctx, fx->stdev, fx->ioas[1], NULL);
}

/* The device on A; B has maps and no domain. */
static void *setup_replace(void)
{
	struct fx *fx = setup_domain_maps();
	int b = add_ioas(fx);

	add_buf_map(fx, b, 8, 4);
	return fx;
}

static int run_destroy_stdev(void *p)
{
	struct fx *fx = p;

	return _destroy(fx->ctx, fx->stdev);
}

static int run_create_access(void *p)
{
	struct fx *fx = p;

	return _create_access(fx->ctx, fx->ioas[0], NEEDS_PIN, &fx->new_fd);
}

static int run_access_read(void *p)
{
	struct fx *fx = p;
	uint8_t b[3 * PG];

	return _access_rw(fx->ctx, fx->pacc, W0 + 100, b, sizeof(b), 0);
}

static int run_access_write(void *p)
{
	struct fx *fx = p;
	uint8_t b[2 * PG];

	pat_fill(b, sizeof(b), 1); /* what is there: a write of the same */
	return _access_rw(fx->ctx, fx->pacc, W0 + PG, b, sizeof(b),
			  MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH);
}

static int run_access_pages(void *p)
{
	struct fx *fx = p;

	return _access_pages(fx->ctx, fx->pacc, W0, 3 * PG, buf, 0,
			     &fx->item);
}

static int run_access_pages_file(void *p)
{
	struct fx *fx = p;

	return _access_pages(fx->ctx, fx->pacc, W0 + 16 * PG, 2 * PG,
			     fx->mfmap, MOCK_FLAGS_ACCESS_WRITE, &fx->item);
}

static int run_huge_pages_off(void *p)
{
	struct fx *fx = p;

	return _option_set(fx->ctx, IOMMU_OPTION_HUGE_PAGES, fx->ioas[0], 0);
}

static int run_change_process(void *p)
{
	return _change_process(((struct fx *)p)->ctx);
}

static void *setup_files_only(void)
{
	struct fx *fx = setup_domain();
	uint64_t iova = W0 + 16 * PG;

	add_memfd(fx);
	if (_ioas_map_file(fx->ctx, fx->ioas[0], fx->memfd, 0, 4 * PG, &iova,
			   FIXED_RW))
		FAIL("setup: map_file");
	probe_add(fx, 0, iova, fx->mfmap, 4);
	return fx;
}

static int run_gmem_map(void *p)
{
	struct fx *fx = p;
	uint64_t iova = fx->g_iova;
	int rc = pm_ioas_map_gmem(fx->ctx, fx->ioas[0], fx->g, 0, GPAGES * PG,
				  &iova, FIXED_RW);

	fx->g_mapped = !rc;
	return rc;
}

static int run_gmem_map_file(void *p)
{
	struct fx *fx = p;
	uint64_t iova = fx->g_iova;
	int rc = pm_ioas_map_file(fx->ctx, fx->ioas[0],
				  pm_gmem_private_fd(fx->g), 0, GPAGES * PG,
				  &iova, FIXED_RW);

	fx->g_mapped = !rc;
	return rc;
}

static int run_gmem_to_private(void *p)
{
	struct fx *fx = p;

	return pm_gmem_convert(fx->g, PG, 3 * PG, PM_GMEM_PRIVATE, 0, NULL);
}

static int run_gmem_to_shared(void *p)
{
	struct fx *fx = p;

	return pm_gmem_convert(fx->g, 2 * PG, 2 * PG, PM_GMEM_SHARED, 0, NULL);
}

static int run_gmem_to_shared_keep(void *p)
{
	struct fx *fx = p;

	return pm_gmem_convert(fx->g, 0, GPAGES * PG, PM_GMEM_SHARED,
			       PM_GMEM_CONVERT_KEEP, NULL);
}

/* Grow back: the regrown shared pages are translated again. */
static int run_gmem_grow(void *p)
{
	struct fx *fx = p;

	return pm_gmem_truncate(fx->g, GPAGES * PG);
}

/* A second domain while pages are private: it must leave them out. */
static int run_gmem_attach(void *p)
{
	struct fx *fx = p;
	uint32_t h = 0;
	int rc = _hwpt_alloc(fx->ctx, fx->idev, fx->ioas[0], 0, &h);

	if (!rc) {
		fx->hwpt_ioas[fx->nhwpt] = 0;
		fx->hwpt[fx->nhwpt++] = h;
	}
	return rc;
}

/*
 * The commands that remain: object destruction, queries, the test ops and
 * the commands that have no object to act on here (no vIOMMU, no nested
 * HWPT), whose right answer is an error: for those the scenario succeeds
 * when the dispatcher gives exactly that error, so that an injected fault
 * shows as any other answer.
 */
static int expect_err(int rc, int want)
{
	if (!rc)
		FAIL("expected %s, the call succeeded", strerror(want));
	return rc == -want ? 0 : rc;
}

/* A and B each with a map, A with a domain; B goes. */
static void *setup_destroy_ioas(void)
{
	struct fx *fx = setup_domain_maps();
	int b = add_ioas(fx);

	add_buf_map(fx, b, 8, 2);
	return fx;
}

static int run_destroy_ioas(void *p)
{
	struct fx *fx = p;
	int rc = _destroy(fx->ctx, fx->ioas[1]);

	if (!rc)
		fx->nioas--; /* not in the digest any more */
	return rc;
}

/* A second, unattached HWPT on A goes. */
static void *setup_destroy_hwpt(void)
{
	struct fx *fx = setup_domain_maps();

	if (_hwpt_alloc(fx->ctx, fx->idev, fx->ioas[0], 0,
			&fx->hwpt[fx->nhwpt]))
		FAIL("setup: hwpt");
	fx->hwpt_ioas[fx->nhwpt++] = 0;
	return fx;
}

static int run_destroy_hwpt(void *p)
{
	struct fx *fx = p;
	int rc = _destroy(fx->ctx, fx->hwpt[fx->nhwpt - 1]);

	if (!rc)
		fx->nhwpt--;
	return rc;
}

static int run_get_hw_info(void *p)
{
	struct fx *fx = p;
	uint8_t data[64];
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = fx->idev,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)data,
	};

	return ioctl_rc(fx->ctx, IOMMU_GET_HW_INFO, &cmd);
}

static int run_hwpt_invalidate(void *p)
{
	struct fx *fx = p;
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = fx->hwpt[0],
	};

	/* A paging HWPT takes no invalidation: EINVAL, as Linux. */
	return expect_err(ioctl_rc(fx->ctx, IOMMU_HWPT_INVALIDATE, &cmd),
			  EINVAL);
}

static int run_viommu_alloc(void *p)
{
	struct fx *fx = p;
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = fx->idev,
		.hwpt_id = fx->hwpt[0],
	};

	return expect_err(ioctl_rc(fx->ctx, IOMMU_VIOMMU_ALLOC, &cmd),
			  EOPNOTSUPP);
}

static int run_vdevice_alloc(void *p)
{
	struct fx *fx = p;
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = fx->hwpt[0],
		.dev_id = fx->idev,
		.virt_id = 1,
	};

	return expect_err(ioctl_rc(fx->ctx, IOMMU_VDEVICE_ALLOC, &cmd),
			  ENOENT);
}

static int run_hw_queue_alloc(void *p)
{
	struct fx *fx = p;
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = fx->hwpt[0],
		.type = 1,
		.length = PG,
		.nesting_parent_iova = W0,
	};

	return expect_err(ioctl_rc(fx->ctx, IOMMU_HW_QUEUE_ALLOC, &cmd),
			  ENOENT);
}

static int run_add_reserved(void *p)
{
	struct fx *fx = p;

	/* Clear of the maps: between buf's and the memfd's. */
	return _add_reserved(fx->ctx, fx->ioas[0], W0 + 8 * PG, 4 * PG);
}

static int run_mock_domain_flags(void *p)
{
	struct fx *fx = p;
	uint32_t stdev, hwpt, idev;
	int rc = _mock_domain_flags(fx->ctx, fx->ioas[0],
				    MOCK_FLAGS_DEVICE_HUGE_IOVA, &stdev, &hwpt,
				    &idev);

	if (!rc) {
		fx->hwpt_ioas[fx->nhwpt] = 0;
		fx->hwpt[fx->nhwpt++] = hwpt;
	}
	return rc;
}

static int run_check_map(void *p)
{
	struct fx *fx = p;

	return _check_map(fx->ctx, fx->hwpt[0], W0, 4 * PG, buf);
}

static int run_check_refs(void *p)
{
	struct fx *fx = p;

	return _check_refs(fx->ctx, buf, 4 * PG, 1);
}

/* A's pinning access moves to B, whose maps cover the same IOVAs. */
static void *setup_access_replace(void)
{
	struct fx *fx = setup_access();
	int b = add_ioas(fx);

	add_buf_map(fx, b, 0, 4);
	return fx;
}

static int run_access_replace(void *p)
{
	struct fx *fx = p;
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = (uint32_t)fx->pacc,
		.access_replace_ioas = { .ioas_id = fx->ioas[1] },
	};

	return test_cmd(fx->ctx, &cmd);
}

/* A pinning access holding buf pages 0-1 through an item. */
static void *setup_access_item(void)
{
	struct fx *fx = setup_access();

	if (_access_pages(fx->ctx, fx->pacc, W0, 2 * PG, NULL, 0, &fx->item))
		FAIL("setup: access pages");
	return fx;
}

static int run_destroy_access_pages(void *p)
{
	struct fx *fx = p;

	return _destroy_access_pages(fx->ctx, fx->pacc, fx->item);
}

static int run_dev_check_cache(void *p)
{
	struct fx *fx = p;
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = fx->idev,
		.check_dev_cache = { .id = 0,
				     .cache = IOMMU_TEST_DEV_CACHE_DEFAULT },
	};

	return test_cmd(fx->ctx, &cmd);
}

static int run_temp_memory_limit(void *p)
{
	struct fx *fx = p;
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = 4096 },
	};

	return test_cmd(fx->ctx, &cmd);
}

/*
 * RLIMIT_MODE, on a context with no object yet. Setting it needs
 * CAP_SYS_RESOURCE: without it the answer is EPERM (after the capability
 * check, a point of its own).
 */
static void *setup_empty(void)
{
	struct fx *fx = setup_base();

	if (_destroy(fx->ctx, fx->ioas[0]))
		FAIL("setup: destroy");
	fx->nioas = 0;
	return fx;
}

static int run_rlimit_mode(void *p)
{
	struct fx *fx = p;
	int rc = _option_set(fx->ctx, IOMMU_OPTION_RLIMIT_MODE, 0, 1);

	return cap_effective(CAP_SYS_RESOURCE) ? rc : expect_err(rc, EPERM);
}

/* ------------------------------------------------------------ sweeps */





#define SCENARIO_AS(name_, run_, setup_, absorb_)                              \
	FAIL_NTH_TEST(name_, run_, setup_, digest, teardown, absorb_, 1,      \
		      fail_nth_no_prep)
#define SCENARIO(name_, setup_, absorb_)                                       \
	SCENARIO_AS(name_, run_##name_, setup_, absorb_)
#define SCENARIO_NODIGEST(name_, setup_)                                       \
	FAIL_NTH_TEST(name_, run_##name_, setup_, NULL, teardown, false, 1,    \
		      fail_nth_no_prep)

SCENARIO(open, setup_base, false)
SCENARIO(ioas_alloc, setup_base, false)
SCENARIO(allow_iovas, setup_domain_maps, false)
SCENARIO(iova_ranges, setup_domain_maps, false)
SCENARIO_AS(map_fixed_nodomain, run_map_fixed, setup_map_fixed_nodomain, false)
SCENARIO(map_fixed, setup_map_fixed, false)
SCENARIO(map_auto, setup_map_auto, false)
SCENARIO(map_file, setup_map_file, false)
/* Unmapping cannot fail past the lookup: it may absorb a fault. */
SCENARIO(unmap, setup_domain_maps, true)
SCENARIO(unmap_all, setup_domain_maps, true)
SCENARIO(copy, setup_copy, false)
SCENARIO(mock_domain, setup_attach, false)
SCENARIO_AS(mock_domain_nomaps, run_mock_domain, setup_base, false)
SCENARIO(hwpt_alloc, setup_domain_maps, false)
/*
 * REPLACE and OPTION copy their answer out after the change (as Linux
 * does): an injected failure of that copy returns EFAULT with the change
 * made, so these two are swept for crashes, leaks and fds only.
 */
SCENARIO_NODIGEST(replace, setup_replace)
SCENARIO(destroy_stdev, setup_domain_maps, true)
SCENARIO(create_access, setup_domain_maps, false)
/*
 * With an access alive, every ioctl first checks its descriptor (fstat:
 * the library cannot see close(2)) and keeps it when the check itself
 * fails: a fault there is absorbed.
 */
SCENARIO(access_read, setup_access_nodomain, true)
SCENARIO(access_write, setup_access, true)
SCENARIO(access_pages, setup_access, true)
SCENARIO(access_pages_file, setup_access, true)
SCENARIO_NODIGEST(huge_pages_off, setup_base)
SCENARIO(change_process, setup_files_only, false)
SCENARIO(gmem_map, setup_store, false)
SCENARIO(gmem_map_file, setup_store, false)
SCENARIO(gmem_to_private, setup_store_mapped, false)
SCENARIO(gmem_to_shared, setup_store_private, false)
SCENARIO(gmem_to_shared_keep, setup_store_private, false)
SCENARIO(gmem_attach, setup_store_private, false)
SCENARIO(gmem_grow, setup_store_shrunk, false)
SCENARIO(destroy_ioas, setup_destroy_ioas, true)
SCENARIO(destroy_hwpt, setup_destroy_hwpt, true)
SCENARIO(get_hw_info, setup_domain_maps, false)
SCENARIO(hwpt_invalidate, setup_domain_maps, false)
SCENARIO(viommu_alloc, setup_domain_maps, false)
SCENARIO(vdevice_alloc, setup_domain_maps, false)
SCENARIO(hw_queue_alloc, setup_domain_maps, false)
SCENARIO(add_reserved, setup_domain_maps, false)
SCENARIO(mock_domain_flags, setup_domain_maps, false)
SCENARIO(check_map, setup_domain_maps, false)
SCENARIO(check_refs, setup_domain_maps, false)
SCENARIO(access_replace, setup_access_replace, true)
SCENARIO(destroy_access_pages, setup_access_item, true)
SCENARIO(dev_check_cache, setup_domain_maps, false)
SCENARIO(temp_memory_limit, setup_domain_maps, false)
SCENARIO(rlimit_mode, setup_empty, false)
/* ... and while the store is shorter than the area: the tail stays out. */
SCENARIO_AS(gmem_attach_shrunk, run_gmem_attach, setup_store_shrunk, false)

/* Every sweep starts from the same buffer, made once. */
__attribute__((constructor)) static void make_buf(void)
{
	buf = buf_alloc(BUFSZ, BUFSZ);
}

TEST_MAIN()
