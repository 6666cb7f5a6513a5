// SPDX-License-Identifier: MIT
/*
 * The KVM window under every injected failure: creating it, and every
 * operation that changes it (conversion both ways, with and without KEEP,
 * uniform and mixed ranges; truncation both ways; punch). A failed call
 * must leave the store as it was (tests/func/gmem_common.c's digest) and the
 * window too: what each granule maps (file and offset, from
 * /proc/self/maps) and what it reads.
 *
 * Backends: memfd always, guest_memfd (host-mappable) where /dev/kvm has
 * one. Fixture: 8 pages "SSPPSPSP", page i holding pattern i + 1, with the
 * window made; built without injection.
 */
#include "fail_nth.h"
#include "../func/gmem_common.c"

#define NPAGES 8

struct fx {
	struct pm_gmem *g;
	void *win;
};

static struct fx the_fx;
static enum pm_gmem_backend cur_backend;
static int cur_vm = -1;

static void *setup_store(void)
{
	struct pm_gmem_config cfg = {
		.backend = cur_backend,
		.size = NPAGES * PG,
		.vm_fd = cur_vm,
		.fd = -1,
		.name = "gmem-window-fail-nth",
	};
	int i;

	memset(&the_fx, 0, sizeof(the_fx));
	if (pm_gmem_create(&cfg, &the_fx.g))
		return NULL;
	set_states(the_fx.g, "SSPPSPSP", 0);
	for (i = 0; i < NPAGES; i++)
		page_write(the_fx.g, i * PG, i + 1);
	return &the_fx;
}

static void *setup_window(void)
{
	struct fx *fx = setup_store();

	if (!fx || pm_gmem_kvm_window(fx->g, &fx->win))
		return NULL;
	return fx;
}

static void *setup_shrunk(void)
{
	struct fx *fx = setup_window();

	if (fx && pm_gmem_truncate(fx->g, NPAGES / 2 * PG))
		return NULL;
	return fx;
}

static void teardown(void *p)
{
	struct fx *fx = p;

	pm_gmem_close(fx->g);
	memset(fx, 0, sizeof(*fx));
}

/*
 * PROT_NONE anonymous mappings of @len bytes: a window's reservation (the
 * capacity plus one granule, before pieces cover it) that a failed creation
 * must not leave behind. Counting every mapping would count the
 * sanitizers' own.
 */
static long reservations(uint64_t len)
{
	char line[512];
	long n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		FAIL("fopen /proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, ino;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &s, &e, perms,
			   &ino) == 4 &&
		    !strcmp(perms, "---p") && !ino && e - s == len)
			n++;
	}
	fclose(f);
	return n;
}

static void digest(void *p, char *buf, size_t len)
{
	struct fx *fx = p;
	size_t n;

	n = (size_t)snprintf(buf, len, "maps=%ld resv=%ld ",
			     maps_backing_count(),
			     reservations((NPAGES + 1) * PG));
	gmem_digest(fx->g, NPAGES * PG, buf + n, len - n);
	n = strlen(buf);
	if (fx->win)
		window_digest(fx->g, fx->win, NPAGES * PG, buf + n, len - n);
}

static int run_create(void *p)
{
	struct fx *fx = p;
	void *w = NULL;
	int rc = pm_gmem_kvm_window(fx->g, &w);

	if (!rc && !w)
		FAIL("window created at NULL");
	return rc;
}

static int conv(void *p, uint64_t first, uint64_t n, enum pm_gmem_state to,
		uint32_t flags)
{
	return pm_gmem_convert(((struct fx *)p)->g, first * PG, n * PG, to,
			       flags, NULL);
}

static int run_to_private(void *p)
{
	return conv(p, 0, 2, PM_GMEM_PRIVATE, 0);
}

static int run_to_private_keep(void *p)
{
	return conv(p, 0, 2, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP);
}

static int run_to_shared(void *p)
{
	return conv(p, 2, 2, PM_GMEM_SHARED, 0);
}

static int run_to_shared_keep(void *p)
{
	return conv(p, 2, 2, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
}

/* Several runs change: the window's undo restores the ones done. */
static int run_mixed_private(void *p)
{
	return conv(p, 0, NPAGES, PM_GMEM_PRIVATE, 0);
}

static int run_mixed_private_keep(void *p)
{
	return conv(p, 1, 6, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP);
}

static int run_mixed_shared(void *p)
{
	return conv(p, 0, NPAGES, PM_GMEM_SHARED, 0);
}

static int run_mixed_shared_keep(void *p)
{
	return conv(p, 1, 7, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
}

static int run_shrink(void *p)
{
	return pm_gmem_truncate(((struct fx *)p)->g, PG);
}

static int run_grow(void *p)
{
	return pm_gmem_truncate(((struct fx *)p)->g, NPAGES * PG);
}

static int run_punch(void *p)
{
	return pm_gmem_punch(((struct fx *)p)->g, 0, NPAGES * PG);
}

#define SCENARIO(name_, setup_)                                      \
	{                                                            \
		.name = #name_, .setup = setup_, .run = run_##name_, \
		.digest = digest, .teardown = teardown,              \
	}

static const struct fail_nth_scenario scenarios[] = {
	SCENARIO(create, setup_store),
	SCENARIO(to_private, setup_window),
	SCENARIO(to_private_keep, setup_window),
	SCENARIO(to_shared, setup_window),
	SCENARIO(to_shared_keep, setup_window),
	SCENARIO(mixed_private, setup_window),
	SCENARIO(mixed_private_keep, setup_window),
	SCENARIO(mixed_shared, setup_window),
	SCENARIO(mixed_shared_keep, setup_window),
	SCENARIO(shrink, setup_window),
	SCENARIO(grow, setup_shrunk),
	SCENARIO(punch, setup_window),
};

static void sweep(enum pm_gmem_backend b, const char *name)
{
	struct fail_nth_scenario s;
	struct pm_gmem *g;
	char full[128];
	void *w;
	size_t i;
	int rc;

	cur_backend = b;
	cur_vm = b == PM_GMEM_GUEST_MEMFD ? kvm_create_vm_or_skip() : -1;
	if (setup_store() == NULL)
		SKIP("%s backend unavailable", pm_gmem_backend_name(b));
	g = the_fx.g;
	rc = pm_gmem_kvm_window(g, &w);
	pm_gmem_close(g);
	if (rc == -EOPNOTSUPP)
		SKIP("%s: no window (private backing not mappable)",
		     pm_gmem_backend_name(b));
	ASSERT_OK(rc);
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (strcmp(scenarios[i].name, name))
			continue;
		s = scenarios[i];
		snprintf(full, sizeof(full), "%s/window_%s",
			 pm_gmem_backend_name(b), name);
		s.name = full;
		/* Punch cannot fail on these backends: nothing to sweep,
		 * but the run itself is checked. */
		if (fail_nth_sweep(&s) == 0 && strcmp(name, "punch"))
			FAIL("%s: no injection point", full);
		return;
	}
	FAIL("no scenario %s", name);
}

#define SWEEP(name)                                \
	TEST(name##_memfd)                         \
	{                                          \
		sweep(PM_GMEM_MEMFD, #name);       \
	}                                          \
	TEST(name##_guest_memfd)                   \
	{                                          \
		sweep(PM_GMEM_GUEST_MEMFD, #name); \
	}

SWEEP(create)
SWEEP(to_private)
SWEEP(to_private_keep)
SWEEP(to_shared)
SWEEP(to_shared_keep)
SWEEP(mixed_private)
SWEEP(mixed_private_keep)
SWEEP(mixed_shared)
SWEEP(mixed_shared_keep)
SWEEP(shrink)
SWEEP(grow)
SWEEP(punch)

TEST_MAIN()
