// SPDX-License-Identifier: MIT
/*
 * The VFIO type1 compatibility ioctls (lib/iommu/vfio_compat.c) under every
 * injected failure, as tests/fail_nth/iommufd.c sweeps the iommufd uAPI:
 * each scenario is one call through pm_iommufd_ioctl() that succeeds when
 * nothing fails, swept with the 1st, 2nd, ... injection point failing.
 * The commands: VFIO_GET_API_VERSION and VFIO_CHECK_EXTENSION (TYPE1v2,
 * which has no point: its sweep asserts so; DMA_CC_IOMMU, which looks the
 * compat IOAS up), VFIO_SET_IOMMU (TYPE1, which disables large pages, and
 * TYPE1v2), VFIO_IOMMU_GET_INFO (with the whole capability chain, and with
 * an argsz that holds only the fixed part), VFIO_IOMMU_MAP_DMA (with and
 * without a domain), VFIO_IOMMU_UNMAP_DMA (whole mappings; a TYPE1 range
 * that cuts a mapping at both ends, with a domain; VFIO_DMA_UNMAP_FLAG_ALL)
 * and IOMMU_VFIO_IOAS GET, SET and CLEAR.
 *
 * A call that failed must have changed nothing observable:
 *   - which ids name which kind of object, and the id the next one gets;
 *   - the compat IOAS (IOMMU_VFIO_IOAS GET), and CHECK_EXTENSION of
 *     DMA_CC_IOMMU, which depends on it;
 *   - VFIO_IOMMU_GET_INFO of the compat IOAS: flags, page sizes, argsz,
 *     the DMA_AVAIL count and the IOVA_RANGE capability's ranges;
 *   - per IOAS: HUGE_PAGES (what TYPE1 turns off), IOVA_RANGES and the
 *     alignment, where an automatic map would land, and for each probe
 *     page (the maps the fixture made and those the call was to make)
 *     whether an access reads it, and what;
 *   - per HWPT: for each probe page, whether MD_CHECK_MAP finds it
 *     mapped to the memory it should be;
 *   - the pins on the test's buffer (MD_CHECK_REFS, page by page).
 *
 * VFIO_IOMMU_UNMAP_DMA writes the size unmapped back after unmapping, as
 * Linux does: when that copy-out fails the call returns EFAULT with the
 * unmap done ("also on error" in vfio_compat.c). A failure of the call's
 * last injection point with EFAULT is therefore checked against the
 * state of a successful call instead (computed once per scenario, without
 * injection): it must be exactly that, not a partial unmap. Every other
 * failure must leave the state as it was.
 */
#include <linux/vfio.h>
#include "fail_nth.h"
#include "uapi_state.h"

#define BUFSZ (64 * KiB)
#define W0 AP_START /* probe window of each IOAS */
#define MAXP 64
#define DIGESTSZ 8192
#define DMA_RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static uint8_t *buf; /* BUFSZ, pattern 1; pages of it mapped */

struct fx {
	struct pm_iommufd *ctx;
	uint32_t ioas[2];
	int nioas;
	uint32_t hwpt[2];
	int hwpt_ioas[2];
	int nhwpt;
	struct fn_probe probe[MAXP];
	int nprobe;
	unsigned long nth;  /* the point this run fails */
	bool late_efault;   /* the last point failed with EFAULT */
	bool have_first;    /* first[] holds the digest before the call */
	char first[DIGESTSZ];
};

static struct fx the_fx;
static unsigned long cur_nth;	       /* runs of the current sweep */
static char success_digest[DIGESTSZ]; /* the state after a success */

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

/* ------------------------------------------------------------ calls */

/* A VFIO ioctl: its non-negative result in *val, or -errno. */
static int vfio_call(struct pm_iommufd *ctx, unsigned long cmd, void *arg,
		     int *val)
{
	int rc;

	errno = 0;
	rc = pm_iommufd_ioctl(ctx, cmd, arg);
	if (rc >= 0) {
		if (val)
			*val = rc;
		return 0;
	}
	return errno ? -errno : -EPROTO;
}

static int vfio_ioas(struct pm_iommufd *ctx, uint16_t op, uint32_t *id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = op,
		.ioas_id = id ? *id : 0,
	};
	int rc = ioctl_rc(ctx, IOMMU_VFIO_IOAS, &cmd);

	if (!rc && id)
		*id = cmd.ioas_id;
	return rc;
}

static int set_iommu(struct pm_iommufd *ctx, unsigned long type)
{
	return vfio_call(ctx, VFIO_SET_IOMMU, (void *)(uintptr_t)type, NULL);
}

static int dma_map(struct pm_iommufd *ctx, const void *va, uint64_t iova,
		   uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = DMA_RW,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return vfio_call(ctx, VFIO_IOMMU_MAP_DMA, &map, NULL);
}

static int dma_unmap(struct pm_iommufd *ctx, uint64_t iova, uint64_t size,
		     uint32_t flags, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int rc = vfio_call(ctx, VFIO_IOMMU_UNMAP_DMA, &unmap, NULL);

	if (unmapped)
		*unmapped = unmap.size;
	return rc;
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

	if (_mock_domain(fx->ctx, fx->ioas[ioas], NULL, &fx->hwpt[h], NULL))
		FAIL("setup: mock domain");
	fx->hwpt_ioas[h] = ioas;
}

/* Map buf pages [first, first + n) at W0 + first * PG of the compat IOAS. */
static void add_vfio_map(struct fx *fx, unsigned int first, unsigned int n)
{
	if (dma_map(fx->ctx, buf + first * PG, W0 + first * PG, n * PG))
		FAIL("setup: MAP_DMA");
	probe_add(fx, 0, W0 + first * PG, buf + first * PG, n);
}

/* IOAS A, not yet the compat IOAS. */
static void *setup_bare(void)
{
	struct fx *fx = &the_fx;

	memset(fx, 0, sizeof(*fx));
	fx->nth = ++cur_nth;
	pat_fill(buf, BUFSZ, 1);
	if (pm_iommufd_open(&fx->ctx))
		return NULL;
	add_ioas(fx);
	return fx;
}

/* A is the compat IOAS. */
static void *setup_compat(void)
{
	struct fx *fx = setup_bare();

	if (vfio_ioas(fx->ctx, IOMMU_VFIO_IOAS_SET, &fx->ioas[0]))
		FAIL("setup: VFIO_IOAS SET");
	return fx;
}

/* ... with buf pages 0-3 and 8-11 mapped through MAP_DMA, no domain. */
static void *setup_compat_maps(void)
{
	struct fx *fx = setup_compat();

	add_vfio_map(fx, 0, 4);
	add_vfio_map(fx, 8, 4);
	return fx;
}

/* ... TYPE1v2, with a mock domain. */
static void *setup_v2_domain(void)
{
	struct fx *fx = setup_compat();

	if (set_iommu(fx->ctx, VFIO_TYPE1v2_IOMMU))
		FAIL("setup: SET_IOMMU");
	add_domain(fx, 0);
	return fx;
}

/* ... and the two maps. */
static void *setup_v2_domain_maps(void)
{
	struct fx *fx = setup_v2_domain();

	add_vfio_map(fx, 0, 4);
	add_vfio_map(fx, 8, 4);
	return fx;
}

/* TYPE1 (large pages off), a domain, buf pages 0-7 mapped as one area. */
static void *setup_v1_domain_maps(void)
{
	struct fx *fx = setup_compat();

	if (set_iommu(fx->ctx, VFIO_TYPE1_IOMMU))
		FAIL("setup: SET_IOMMU TYPE1");
	add_domain(fx, 0);
	add_vfio_map(fx, 0, 8);
	return fx;
}

/* The compat IOAS A with a domain and maps; B with a domain of its own. */
static void *setup_two_ioas(void)
{
	struct fx *fx = setup_v2_domain_maps();
	int b = add_ioas(fx);

	add_domain(fx, b);
	if (_map_at(fx->ctx, fx->ioas[b], buf + 12 * PG, 2 * PG, W0))
		FAIL("setup: map B");
	probe_add(fx, b, W0, buf + 12 * PG, 2);
	return fx;
}

/* ------------------------------------------------------------ digest */

/* VFIO_IOMMU_GET_INFO of the compat IOAS, with its capability chain. */
static size_t digest_info(struct fx *fx, char *out, size_t len, size_t n)
{
	union {
		struct vfio_iommu_type1_info info;
		uint8_t b[1024];
	} u;
	uint32_t off;
	int rc, hops = 0;

	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u);
	rc = vfio_call(fx->ctx, VFIO_IOMMU_GET_INFO, &u, NULL);
	FN_OUT(" info:%c", fn_rc_char(rc));
	if (rc)
		return n;
	FN_OUT("f%x/pg%llx/sz%u", u.info.flags,
	       (unsigned long long)u.info.iova_pgsizes, u.info.argsz);
	for (off = u.info.cap_offset; off && hops < 8; hops++) {
		struct vfio_info_cap_header *h = (void *)(u.b + off);

		if (off + sizeof(*h) > sizeof(u))
			FAIL("digest: capability past the buffer");
		FN_OUT(" cap%u.v%u", h->id, h->version);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			struct vfio_iommu_type1_info_dma_avail *c = (void *)h;

			FN_OUT("=%u", c->avail);
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *c =
				(void *)h;
			uint32_t k;

			FN_OUT("=%u", c->nr_iovas);
			for (k = 0; k < c->nr_iovas && k < 8; k++)
				FN_OUT("[%llx,%llx]",
				       (unsigned long long)c->iova_ranges[k].start,
				       (unsigned long long)c->iova_ranges[k].end);
		}
		off = h->next;
	}
	return n;
}

static void digest_state(struct fx *fx, char *out, size_t len)
{
	size_t n = fn_digest_ids(fx->ctx, out, len, 0);
	uint32_t compat = 0;
	int i, rc, cc = -1;

	rc = vfio_ioas(fx->ctx, IOMMU_VFIO_IOAS_GET, &compat);
	FN_OUT(" compat=%c%u", fn_rc_char(rc), compat);
	rc = vfio_call(fx->ctx, VFIO_CHECK_EXTENSION,
		       (void *)(uintptr_t)VFIO_DMA_CC_IOMMU, &cc);
	FN_OUT(" cc=%c%d", fn_rc_char(rc), cc);
	n = digest_info(fx, out, len, n);
	for (i = 0; i < fx->nioas; i++)
		n = fn_digest_ioas(fx->ctx, i, fx->ioas[i], buf + 15 * PG,
				   fx->probe, fx->nprobe, out, len, n);
	for (i = 0; i < fx->nhwpt; i++)
		n = fn_digest_hwpt(fx->ctx, i, fx->hwpt[i], fx->hwpt_ioas[i],
				   fx->probe, fx->nprobe, out, len, n);
	fn_digest_refs(fx->ctx, buf, BUFSZ / PG, out, len, n);
}

/*
 * The state, except after a failed copy-out of the answer (see the top):
 * then the state must be that of a success, and what is compared with the
 * state before the call is the state before the call.
 */
static void digest(void *p, char *out, size_t len)
{
	struct fx *fx = p;

	digest_state(fx, out, len);
	if (!fx->have_first) {
		snprintf(fx->first, sizeof(fx->first), "%s", out);
		fx->have_first = true;
	} else if (fx->late_efault && !strcmp(out, success_digest)) {
		snprintf(out, len, "%s", fx->first);
	}
}

/* ------------------------------------------------------------ teardown */

static void teardown(void *p)
{
	struct fx *fx = p;

	pm_iommufd_close(fx->ctx);
	memset(fx, 0, sizeof(*fx));
}

/* ------------------------------------------------------------ runs */

/*
 * Note whether the run failed at its last point, with EFAULT: for UNMAP_DMA
 * that is the copy-out of the size, after the unmap (see the top).
 */
static int ended(struct fx *fx, int rc)
{
	fx->late_efault = rc == -EFAULT && pm_fault_fired() &&
			  pm_fault_points() == fx->nth;
	return rc;
}

static int run_api_version(void *p)
{
	struct fx *fx = p;
	int v = -1;
	int rc = vfio_call(fx->ctx, VFIO_GET_API_VERSION, NULL, &v);

	if (!rc && v != VFIO_API_VERSION)
		FAIL("VFIO_GET_API_VERSION: %d", v);
	return rc;
}

static int run_check_extension(void *p)
{
	struct fx *fx = p;
	int v = -1;
	int rc = vfio_call(fx->ctx, VFIO_CHECK_EXTENSION,
			   (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU, &v);

	if (!rc && v != 1)
		FAIL("CHECK_EXTENSION(TYPE1v2): %d", v);
	return rc;
}

static int run_check_extension_cc(void *p)
{
	struct fx *fx = p;
	int v = -1;
	int rc = vfio_call(fx->ctx, VFIO_CHECK_EXTENSION,
			   (void *)(uintptr_t)VFIO_DMA_CC_IOMMU, &v);

	if (!rc && v != 1)
		FAIL("CHECK_EXTENSION(DMA_CC_IOMMU): %d", v);
	return rc;
}

static int run_set_iommu_type1(void *p)
{
	return set_iommu(((struct fx *)p)->ctx, VFIO_TYPE1_IOMMU);
}

static int run_set_iommu_type1v2(void *p)
{
	return set_iommu(((struct fx *)p)->ctx, VFIO_TYPE1v2_IOMMU);
}

static int run_get_info(void *p)
{
	struct fx *fx = p;
	union {
		struct vfio_iommu_type1_info info;
		uint8_t b[512];
	} u;

	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u);
	return vfio_call(fx->ctx, VFIO_IOMMU_GET_INFO, &u, NULL);
}

/* An argsz that holds the fixed part only: the capabilities are sized. */
static int run_get_info_short(void *p)
{
	struct fx *fx = p;
	struct vfio_iommu_type1_info info;
	int rc;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	rc = vfio_call(fx->ctx, VFIO_IOMMU_GET_INFO, &info, NULL);
	if (!rc && (info.cap_offset || info.argsz <= sizeof(info)))
		FAIL("GET_INFO short: cap_offset %u argsz %u", info.cap_offset,
		     info.argsz);
	return rc;
}

static int run_map_dma(void *p)
{
	struct fx *fx = p;

	/* No answer to copy out: every failure must leave nothing. */
	return dma_map(fx->ctx, buf + 4 * PG, W0 + 4 * PG, 4 * PG);
}

static void *setup_map_dma(void)
{
	struct fx *fx = setup_v2_domain_maps();

	probe_add(fx, 0, W0 + 4 * PG, buf + 4 * PG, 4);
	return fx;
}

static void *setup_map_dma_nodomain(void)
{
	struct fx *fx = setup_compat_maps();

	probe_add(fx, 0, W0 + 4 * PG, buf + 4 * PG, 4);
	return fx;
}

static int run_unmap_dma(void *p)
{
	struct fx *fx = p;
	uint64_t un = 0;
	int rc = ended(fx, dma_unmap(fx->ctx, W0, 4 * PG, 0, &un));

	if (!rc && un != 4 * PG)
		FAIL("UNMAP_DMA unmapped %llu", (unsigned long long)un);
	return rc;
}

/* TYPE1: pages 2-5 of the 8-page mapping, cut at both ends. */
static int run_unmap_dma_cut(void *p)
{
	struct fx *fx = p;
	uint64_t un = 0;
	int rc = ended(fx, dma_unmap(fx->ctx, W0 + 2 * PG, 4 * PG, 0, &un));

	if (!rc && un != 4 * PG)
		FAIL("UNMAP_DMA (cut) unmapped %llu", (unsigned long long)un);
	return rc;
}

static int run_unmap_dma_all(void *p)
{
	struct fx *fx = p;
	uint64_t un = 0;
	int rc = ended(fx, dma_unmap(fx->ctx, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				     &un));

	if (!rc && un != 8 * PG)
		FAIL("UNMAP_DMA ALL unmapped %llu", (unsigned long long)un);
	return rc;
}

static int run_vfio_ioas_get(void *p)
{
	struct fx *fx = p;
	uint32_t id = 0;
	int rc = vfio_ioas(fx->ctx, IOMMU_VFIO_IOAS_GET, &id);

	if (!rc && id != fx->ioas[0])
		FAIL("VFIO_IOAS GET: %u, not %u", id, fx->ioas[0]);
	return rc;
}

static int run_vfio_ioas_set(void *p)
{
	struct fx *fx = p;

	return vfio_ioas(fx->ctx, IOMMU_VFIO_IOAS_SET, &fx->ioas[1]);
}

static int run_vfio_ioas_clear(void *p)
{
	return vfio_ioas(((struct fx *)p)->ctx, IOMMU_VFIO_IOAS_CLEAR, NULL);
}

/* ------------------------------------------------------------ sweeps */

/*
 * The state a success leaves, for the late copy-out failures: one run of
 * the scenario without injection.
 */
static void learn_success(const struct fail_nth_scenario *s)
{
	void *fx = s->setup();

	if (!fx)
		FAIL("%s: setup failed", s->name);
	if (s->run(fx))
		FAIL("%s: fails with nothing injected", s->name);
	digest_state(fx, success_digest, sizeof(success_digest));
	s->teardown(fx);
	cur_nth = 0;
}

/* min_: at least this many points swept (0: exactly none). */
#define SCENARIO_AS(name_, run_, setup_, absorb_, min_)                        \
	FAIL_NTH_TEST(name_, run_, setup_, digest, teardown, absorb_, min_,    \
		      learn_success)
#define SCENARIO(name_, setup_, absorb_, min_)                                 \
	SCENARIO_AS(name_, run_##name_, setup_, absorb_, min_)

SCENARIO(api_version, setup_compat, false, 0)
SCENARIO(check_extension, setup_compat, false, 0)
SCENARIO(check_extension_cc, setup_compat, false, 1)
SCENARIO(set_iommu_type1, setup_compat_maps, false, 1)
SCENARIO(set_iommu_type1v2, setup_compat_maps, false, 1)
SCENARIO(get_info, setup_v2_domain_maps, false, 3)
SCENARIO(get_info_short, setup_v2_domain_maps, false, 2)
SCENARIO(map_dma, setup_map_dma, false, 3)
SCENARIO_AS(map_dma_nodomain, run_map_dma, setup_map_dma_nodomain, false, 2)
SCENARIO(unmap_dma, setup_v2_domain_maps, false, 2)
SCENARIO(unmap_dma_cut, setup_v1_domain_maps, false, 3)
SCENARIO(unmap_dma_all, setup_v2_domain_maps, false, 2)
SCENARIO(vfio_ioas_get, setup_compat, false, 2)
SCENARIO(vfio_ioas_set, setup_two_ioas, false, 2)
SCENARIO(vfio_ioas_clear, setup_v2_domain_maps, false, 1)

/* Every sweep starts from the same buffer, made once. */
__attribute__((constructor)) static void make_buf(void)
{
	buf = buf_alloc(BUFSZ, BUFSZ);
}

TEST_MAIN()
