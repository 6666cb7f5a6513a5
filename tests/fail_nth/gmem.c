// SPDX-License-Identifier: MIT
/*
 * The gmem store under every injected failure: creation, conversion (both
 * ways, with and without KEEP, uniform and mixed ranges), populate, punch,
 * truncate (shrink and grow) and get_pfn (a new hold, and mapping a page
 * already held without a mapping). Each failed call must leave the
 * store as it was: the digest (tests/func/gmem_common.c) covers the size,
 * each page's state, pin count and content checksum, and that the host view
 * faults exactly at private pages; plus the mappings of backing files, so a
 * leaked mapping shows up as well as a leaked fd.
 *
 * Backends: memfd always; guest_memfd on a VM of the test's own when
 * /dev/kvm is there; memfd_secret when the host has it. Fixtures (8 pages,
 * "SSPPSPSP", page i holding pattern i + 1) are built without injection.
 */
#include "fail_nth.h"
#include "../func/gmem_common.c"

#define NPAGES 8
#define FX_STATES "SSPPSPSP"

struct fx {
	struct pm_gmem *g;
	struct pm_gmem_page page;
	bool held;
	struct pm_gmem_page setup_page; /* a hold made by the fixture */
	bool setup_held;
	uint8_t src[2 * PG];
	int adoptee; /* the caller's fd to adopt, or 0 */
	struct rec_notifier rn;
	struct rec_log log;
};

static struct fx the_fx;
static enum pm_gmem_backend cur_backend;
static int cur_vm = -1;

static int create_store(uint32_t flags, int vm, struct pm_gmem **out)
{
	struct pm_gmem_config cfg = {
		.backend = cur_backend,
		.size = NPAGES * PG,
		.flags = flags,
		.vm_fd = vm,
		.fd = -1,
		.name = "gmem-fail-nth",
	};

	return pm_gmem_create(&cfg, out);
}

static void *setup_empty(void)
{
	memset(&the_fx, 0, sizeof(the_fx));
	return &the_fx;
}

static void *setup_std(void)
{
	struct fx *fx = setup_empty();
	int i;

	if (create_store(0, cur_vm, &fx->g))
		return NULL;
	set_states(fx->g, FX_STATES, 0);
	for (i = 0; i < NPAGES; i++)
		page_write(fx->g, i * PG, i + 1);
	fill_pattern(fx->src, sizeof(fx->src), 77);
	rec_init(&fx->rn, &fx->log, 1);
	if (pm_gmem_register_notifier(fx->g, &fx->rn.n))
		return NULL;
	return fx;
}

/* setup_std, with private page 3 held without a mapping (NO_MAP). */
static void *setup_nomap_hold(void)
{
	struct fx *fx = setup_std();

	if (!fx || pm_gmem_get_pfn(fx->g, 3 * PG, PM_GMEM_GET_NO_MAP,
				   &fx->setup_page))
		return NULL;
	fx->setup_held = true;
	return fx;
}

static void *setup_shrunk(void)
{
	struct fx *fx = setup_std();

	if (fx && pm_gmem_truncate(fx->g, NPAGES / 2 * PG))
		return NULL;
	return fx;
}

/*
 * Adoption: the caller's fd (a memfd, or a host-mappable guest_memfd on our
 * VM), page i holding pattern i + 1. Its content is part of the state: a
 * failed adoption must not have discarded it.
 */
static bool adopt_guest_memfd;

static void *setup_adoptee(void)
{
	struct fx *fx = setup_empty();
	uint8_t *m;
	int i;

	if (adopt_guest_memfd) {
		struct kvm_create_guest_memfd gm = {
			.size = NPAGES * PG,
			.flags = GUEST_MEMFD_FLAG_MMAP |
				 GUEST_MEMFD_FLAG_INIT_SHARED,
		};

		fx->adoptee = ioctl(cur_vm, KVM_CREATE_GUEST_MEMFD, &gm);
	} else {
		fx->adoptee = memfd_create("gmem-adoptee", MFD_CLOEXEC);
		if (fx->adoptee >= 0 && ftruncate(fx->adoptee, NPAGES * PG))
			return NULL;
	}
	if (fx->adoptee < 0)
		return NULL;
	m = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fx->adoptee, 0);
	if (m == MAP_FAILED)
		return NULL;
	for (i = 0; i < NPAGES; i++)
		fill_pattern(m + i * PG, PG, i + 1);
	munmap(m, NPAGES * PG);
	return fx;
}

static int adopt(struct fx *fx, uint32_t flags)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_ADOPT,
		.size = NPAGES * PG,
		.flags = flags,
		.vm_fd = -1,
		.fd = fx->adoptee,
		.name = "gmem-fail-nth",
	};

	return pm_gmem_create(&cfg, &fx->g);
}

static int run_create_adopt(void *p)
{
	return adopt(p, 0);
}

static int run_create_adopt_init_private(void *p)
{
	return adopt(p, PM_GMEM_F_INIT_PRIVATE);
}

static void teardown(void *p)
{
	struct fx *fx = p;

	if (fx->held)
		pm_gmem_put_pfn(fx->g, &fx->page);
	if (fx->setup_held)
		pm_gmem_put_pfn(fx->g, &fx->setup_page);
	pm_gmem_close(fx->g);
	if (fx->adoptee > 0)
		close(fx->adoptee);
	memset(fx, 0, sizeof(*fx));
}

/* Open fds, mappings of backing files, and whether a store exists. */
static void digest_process(void *p, char *buf, size_t len)
{
	struct fx *fx = p;
	size_t n;

	n = (size_t)snprintf(buf, len, "store=%d maps=%ld fds=", !!fx->g,
			     maps_backing_count());
	fd_snapshot(buf + n, len - n);
}

/* The process, and a checksum per page of the caller's adopted fd. */
static void digest_adoptee(void *p, char *buf, size_t len)
{
	struct fx *fx = p;
	size_t n = 0;
	uint8_t *m;
	int i;

	m = mmap(NULL, NPAGES * PG, PROT_READ, MAP_SHARED, fx->adoptee, 0);
	if (m == MAP_FAILED)
		FAIL("mmap of the adoptee: %s", strerror(errno));
	for (i = 0; i < NPAGES; i++)
		n += (size_t)snprintf(
			buf + n, len - n, "%08llx ",
			(unsigned long long)(fnv1a(m + i * PG, PG) &
					     0xffffffff));
	munmap(m, NPAGES * PG);
	digest_process(p, buf + n, len - n);
}

static void digest_store(void *p, char *buf, size_t len)
{
	struct fx *fx = p;
	size_t n;

	n = (size_t)snprintf(buf, len, "maps=%ld ", maps_backing_count());
	gmem_digest(fx->g, NPAGES * PG, buf + n, len - n);
}

static int run_create(void *p)
{
	return create_store(0, cur_vm, &((struct fx *)p)->g);
}

static int run_create_init_private(void *p)
{
	return create_store(PM_GMEM_F_INIT_PRIVATE, cur_vm,
			    &((struct fx *)p)->g);
}

static int run_create_own_vm(void *p)
{
	return create_store(0, -1, &((struct fx *)p)->g);
}

/*
 * A conversion, with the notifier's view of it checked: as many ends as
 * begins, each end carrying the call's result (an injected failure after
 * begin must still end, with the error).
 */
static int convert(void *p, uint64_t off, uint64_t len, enum pm_gmem_state to,
		   uint32_t flags)
{
	struct fx *fx = p;
	int rc, i, begins = 0, ends = 0;

	fx->log.n = 0;
	rc = pm_gmem_convert(fx->g, off, len, to, flags, NULL);
	for (i = 0; i < fx->log.n; i++) {
		const struct rec_call *c = &fx->log.call[i];

		if (!c->is_end) {
			begins++;
			continue;
		}
		ends++;
		if (c->result != rc)
			FAIL("convert returned %d, notifier end saw %d", rc,
			     c->result);
	}
	if (begins != ends)
		FAIL("convert returned %d after %d begin and %d end calls", rc,
		     begins, ends);
	return rc;
}

/* Uniform ranges: "SS" at 0, "PP" at 2. */
static int run_to_private(void *p)
{
	return convert(p, 0, 2 * PG, PM_GMEM_PRIVATE, 0);
}

static int run_to_private_keep(void *p)
{
	return convert(p, 0, 2 * PG, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP);
}

static int run_to_shared(void *p)
{
	return convert(p, 2 * PG, 2 * PG, PM_GMEM_SHARED, 0);
}

static int run_to_shared_keep(void *p)
{
	return convert(p, 2 * PG, 2 * PG, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
}

/* Mixed ranges: several runs change, others stay. */
static int run_mixed_private(void *p)
{
	return convert(p, 0, NPAGES * PG, PM_GMEM_PRIVATE, 0);
}

static int run_mixed_private_keep(void *p)
{
	return convert(p, PG, 6 * PG, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP);
}

static int run_mixed_shared(void *p)
{
	return convert(p, 0, NPAGES * PG, PM_GMEM_SHARED, 0);
}

static int run_mixed_shared_keep(void *p)
{
	return convert(p, PG, 7 * PG, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
}

static int run_populate(void *p)
{
	struct fx *fx = p;

	/* Pages 2 and 3 are private; unaligned on both ends. */
	return pm_gmem_populate(fx->g, 2 * PG + 100, fx->src, PG + 50);
}

static int run_punch(void *p)
{
	return pm_gmem_punch(((struct fx *)p)->g, 0, NPAGES * PG);
}

static int run_shrink(void *p)
{
	return pm_gmem_truncate(((struct fx *)p)->g, PG);
}

static int run_grow(void *p)
{
	return pm_gmem_truncate(((struct fx *)p)->g, NPAGES * PG);
}

static int get_pfn(void *p, uint64_t off, uint32_t flags)
{
	struct fx *fx = p;
	int rc = pm_gmem_get_pfn(fx->g, off, flags, &fx->page);

	fx->held = !rc;
	return rc;
}

static int run_get_pfn_private(void *p)
{
	return get_pfn(p, 2 * PG + 5, 0);
}

static int run_get_pfn_private_nomap(void *p)
{
	return get_pfn(p, 3 * PG, PM_GMEM_GET_NO_MAP);
}

/* A mapped get on a page held without a mapping maps it for the hold. */
static int run_get_pfn_map_held(void *p)
{
	return get_pfn(p, 3 * PG, 0);
}

static int run_get_pfn_shared(void *p)
{
	return get_pfn(p, PG, 0);
}

/*
 * The rest of gmem.h: a second notifier, the queries, and put_pfn, which
 * cannot fail. Each has no injection point today; the sweep proves it
 * and that they change nothing.
 */
static struct rec_notifier extra_rn;
static struct rec_log extra_log;

static int run_register_notifier(void *p)
{
	struct fx *fx = p;

	rec_init(&extra_rn, &extra_log, 2);
	return pm_gmem_register_notifier(fx->g, &extra_rn.n);
}

static int run_queries(void *p)
{
	struct fx *fx = p;
	struct pm_gmem_stats st;
	int rc = pm_gmem_get_stats(fx->g, &st);

	if (!rc && pm_gmem_is_private(fx->g, 2 * PG) != 1)
		rc = -EIO;
	if (!rc && pm_gmem_pin_count(fx->g, 3 * PG) < 0)
		rc = -EIO;
	return rc;
}

static int run_put_pfn(void *p)
{
	struct fx *fx = p;

	pm_gmem_put_pfn(fx->g, &fx->setup_page);
	fx->setup_held = false;
	return 0;
}

#define STORE_SCENARIO(name_, setup_)                                \
	{                                                            \
		.name = #name_, .setup = setup_, .run = run_##name_, \
		.digest = digest_store, .teardown = teardown,        \
	}
#define CREATE_SCENARIO(name_)                                            \
	{                                                                 \
		.name = #name_, .setup = setup_empty, .run = run_##name_, \
		.digest = digest_process, .teardown = teardown,           \
	}

static const struct fail_nth_scenario scenarios[] = {
	CREATE_SCENARIO(create),
	CREATE_SCENARIO(create_init_private),
	STORE_SCENARIO(to_private, setup_std),
	STORE_SCENARIO(to_private_keep, setup_std),
	STORE_SCENARIO(to_shared, setup_std),
	STORE_SCENARIO(to_shared_keep, setup_std),
	STORE_SCENARIO(mixed_private, setup_std),
	STORE_SCENARIO(mixed_private_keep, setup_std),
	STORE_SCENARIO(mixed_shared, setup_std),
	STORE_SCENARIO(mixed_shared_keep, setup_std),
	STORE_SCENARIO(populate, setup_std),
	STORE_SCENARIO(punch, setup_std),
	STORE_SCENARIO(shrink, setup_std),
	STORE_SCENARIO(grow, setup_shrunk),
	STORE_SCENARIO(get_pfn_private, setup_std),
	STORE_SCENARIO(get_pfn_private_nomap, setup_std),
	STORE_SCENARIO(get_pfn_shared, setup_std),
	STORE_SCENARIO(get_pfn_map_held, setup_nomap_hold),
	STORE_SCENARIO(register_notifier, setup_std),
	STORE_SCENARIO(queries, setup_std),
	STORE_SCENARIO(put_pfn, setup_nomap_hold),
};

static const struct fail_nth_scenario adopt_scenarios[] = {
	{
		.name = "create_adopt",
		.setup = setup_adoptee,
		.run = run_create_adopt,
		.digest = digest_adoptee,
		.teardown = teardown,
	},
	{
		.name = "create_adopt_init_private",
		.setup = setup_adoptee,
		.run = run_create_adopt_init_private,
		.digest = digest_adoptee,
		.teardown = teardown,
	},
};

static const struct fail_nth_scenario own_vm_scenario =
	CREATE_SCENARIO(create_own_vm);

/* Sweep the scenario named @name on the current backend. */
static void sweep(const char *name)
{
	struct fail_nth_scenario s;
	char full[128];
	size_t i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (strcmp(scenarios[i].name, name))
			continue;
		s = scenarios[i];
		snprintf(full, sizeof(full), "%s/%s",
			 pm_gmem_backend_name(cur_backend), name);
		s.name = full;
		fail_nth_sweep(&s);
		return;
	}
	FAIL("no scenario %s", name);
}

/* Pick the backend; SKIP where the host lacks it. */
static void use_backend(enum pm_gmem_backend b)
{
	struct pm_gmem *g;
	int rc;

	cur_backend = b;
	cur_vm = -1;
	if (b == PM_GMEM_GUEST_MEMFD)
		cur_vm = kvm_create_vm_or_skip();
	rc = create_store(0, cur_vm, &g);
	if (rc == -EOPNOTSUPP)
		SKIP("%s backend unavailable on this host",
		     pm_gmem_backend_name(b));
	ASSERT_OK(rc);
	pm_gmem_close(g);
}

#define SWEEP_ONE(name, suffix, b) \
	TEST(name##_##suffix)      \
	{                          \
		use_backend(b);    \
		sweep(#name);      \
	}
#define SWEEP(name)                                       \
	SWEEP_ONE(name, memfd, PM_GMEM_MEMFD)             \
	SWEEP_ONE(name, guest_memfd, PM_GMEM_GUEST_MEMFD) \
	SWEEP_ONE(name, secret, PM_GMEM_SECRET)

SWEEP(create)
SWEEP(create_init_private)
SWEEP(to_private)
SWEEP(to_private_keep)
SWEEP(to_shared)
SWEEP(to_shared_keep)
SWEEP(mixed_private)
SWEEP(mixed_private_keep)
SWEEP(mixed_shared)
SWEEP(mixed_shared_keep)
SWEEP(populate)
SWEEP(punch)
SWEEP(shrink)
SWEEP(grow)
SWEEP(get_pfn_private)
SWEEP(get_pfn_private_nomap)
SWEEP(get_pfn_shared)
SWEEP(get_pfn_map_held)
SWEEP(register_notifier)
SWEEP(queries)
SWEEP(put_pfn)

/* guest_memfd with a VM the store makes (and must close) itself. */
TEST(create_own_vm_guest_memfd)
{
	use_backend(PM_GMEM_GUEST_MEMFD);
	close(cur_vm);
	cur_vm = -1;
	ASSERT_GT(fail_nth_sweep(&own_vm_scenario), 3);
}

/*
 * Adopting the caller's memfd or guest_memfd, with and without INIT_PRIVATE:
 * a failed adoption leaves the caller's fd as it was, content included.
 */
static void sweep_adopt(bool guest_memfd, int which)
{
	const uint64_t want = GUEST_MEMFD_FLAG_MMAP |
			      GUEST_MEMFD_FLAG_INIT_SHARED;
	int r;

	use_backend(guest_memfd ? PM_GMEM_GUEST_MEMFD : PM_GMEM_MEMFD);
	if (guest_memfd) {
		r = ioctl(cur_vm, KVM_CHECK_EXTENSION,
			  KVM_CAP_GUEST_MEMFD_FLAGS);
		if (r <= 0 || ((uint64_t)r & want) != want)
			SKIP("this KVM cannot create a host-mappable "
			     "guest_memfd");
	}
	adopt_guest_memfd = guest_memfd;
	ASSERT_GT(fail_nth_sweep(&adopt_scenarios[which]), 3);
}

TEST(create_adopt_memfd)
{
	sweep_adopt(false, 0);
}

TEST(create_adopt_init_private_memfd)
{
	sweep_adopt(false, 1);
}

TEST(create_adopt_guest_memfd)
{
	sweep_adopt(true, 0);
}

TEST(create_adopt_init_private_guest_memfd)
{
	sweep_adopt(true, 1);
}

/* Creation has many points on every backend: the sweep really swept. */
TEST(create_points_memfd)
{
	use_backend(PM_GMEM_MEMFD);
	ASSERT_GT(fail_nth_sweep(&scenarios[0]), 5);
}

TEST_MAIN()
