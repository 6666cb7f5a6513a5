// SPDX-License-Identifier: MIT
/*
 * Memlock accounting is enforced and released, for a caller without
 * CAP_IPC_LOCK, after any sequence.
 *
 * Each test runs in its own child (harness.h), which drops CAP_IPC_LOCK
 * from its effective set and sets RLIMIT_MEMLOCK to LIMIT pages. A seeded
 * random sequence maps distinct pieces of user memory and of a memfd into
 * two IOASes, copies areas between them (IOMMU_IOAS_COPY), unmaps, maps a
 * gmem store, and attaches and destroys mock domains. A reference model
 * knows which pages objects are pinned (one of their areas sits in an IOAS
 * with a domain) and so what is charged; every call must succeed exactly
 * when the charge stays within the limit (ENOMEM otherwise, changing
 * nothing), and store memory is never charged. At the end, after unmapping
 * everything, or after closing the context with everything still mapped,
 * exactly LIMIT pages can be pinned again, and not one more.
 */
#include <sys/resource.h>
#include <linux/capability.h>
#if HAVE_LIBCAP
#include <sys/capability.h>
#endif
#include "iommufd/utils.h"

#define LIMIT_PAGES 64
#define SLOT_PAGES 8
#define NR_SLOTS 32 /* per source: user memory and the memfd */
#define NR_AREAS 64
#define STEPS 300
#define AT (AP_START + 1 * MiB)

static void drop_ipc_lock(void)
{
#if HAVE_LIBCAP
	const cap_value_t ipc_lock = CAP_IPC_LOCK;
	struct rlimit rl;
	cap_t caps;

	if (test_is_root()) {
		caps = cap_get_proc();
		ASSERT_TRUE(caps);
		ASSERT_SYS(cap_set_flag(caps, CAP_EFFECTIVE, 1, &ipc_lock,
					CAP_CLEAR));
		ASSERT_SYS(cap_set_proc(caps));
		cap_free(caps);
	}
	if (cap_effective(CAP_IPC_LOCK))
		SKIP("cannot drop CAP_IPC_LOCK");
	ASSERT_SYS(getrlimit(RLIMIT_MEMLOCK, &rl));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < LIMIT_PAGES * PG)
		SKIP("RLIMIT_MEMLOCK hard limit below the test's");
	rl.rlim_cur = LIMIT_PAGES * PG;
	ASSERT_SYS(setrlimit(RLIMIT_MEMLOCK, &rl));
#else
	SKIP("built without libcap");
#endif
}

/* A pages object: one MAP of one slot, shared by its COPYs. */
struct po {
	bool live;
	unsigned int pages;
};

struct area {
	bool live;
	int ioas; /* 0 or 1 */
	uint64_t iova;
	int po;
	bool gmem; /* store memory: never charged */
};

struct acct {
	struct pm_iommufd *ctx;
	uint32_t ioas[2], stdev[2];
	bool domain[2];
	uint8_t *buf, *mf;
	int memfd;
	struct pm_gmem *g;
	struct po po[2 * NR_SLOTS]; /* po i <-> slot i (memfd: NR_SLOTS + i) */
	struct area a[NR_AREAS];
	uint64_t next_iova[2];
	uint64_t rng;
	unsigned long ok, enomem;
};

static uint64_t rnd(struct acct *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

static bool pinned(struct acct *t, int po)
{
	int i;

	for (i = 0; i < NR_AREAS; i++)
		if (t->a[i].live && !t->a[i].gmem && t->a[i].po == po &&
		    t->domain[t->a[i].ioas])
			return true;
	return false;
}

static unsigned int charged(struct acct *t)
{
	unsigned int n = 0;
	int i;

	for (i = 0; i < 2 * NR_SLOTS; i++)
		if (t->po[i].live && pinned(t, i))
			n += t->po[i].pages;
	return n;
}

static int free_area(struct acct *t)
{
	int i;

	for (i = 0; i < NR_AREAS; i++)
		if (!t->a[i].live)
			return i;
	return -1;
}

/* Pages objects that would become pinned if @ioas got a domain. */
static unsigned int needed_by_domain(struct acct *t, int ioas)
{
	unsigned int n = 0;
	int i, j;

	for (i = 0; i < 2 * NR_SLOTS; i++) {
		bool in = false;

		if (!t->po[i].live || pinned(t, i))
			continue;
		for (j = 0; j < NR_AREAS; j++)
			in |= t->a[j].live && !t->a[j].gmem &&
			      t->a[j].po == i && t->a[j].ioas == ioas;
		if (in)
			n += t->po[i].pages;
	}
	return n;
}

static void expect(struct acct *t, int rc, bool fits, const char *what)
{
	if (fits && rc)
		FAIL("%s: %s with %u of %d pages charged", what, strerror(-rc),
		     charged(t), LIMIT_PAGES);
	if (!fits && rc != -ENOMEM)
		FAIL("%s: %d instead of ENOMEM with %u of %d pages charged",
		     what, rc, charged(t), LIMIT_PAGES);
	if (rc)
		t->enomem++;
	else
		t->ok++;
}

static void step_map(struct acct *t)
{
	int ioas = rnd(t) & 1, ai = free_area(t);
	bool file = rnd(t) & 1;
	unsigned int slot = rnd(t) % NR_SLOTS, n = 1 + rnd(t) % SLOT_PAGES;
	int po = (file ? NR_SLOTS : 0) + slot;
	uint64_t iova = t->next_iova[ioas];
	bool fits;
	int rc;

	if (ai < 0 || t->po[po].live)
		return;
	fits = !t->domain[ioas] || charged(t) + n <= LIMIT_PAGES;
	if (file)
		rc = _ioas_map_file(t->ctx, t->ioas[ioas], t->memfd,
				    slot * SLOT_PAGES * PG, n * PG, &iova,
				    FIXED_RW);
	else
		rc = _map_at(t->ctx, t->ioas[ioas],
			     t->buf + slot * SLOT_PAGES * PG, n * PG, iova);
	expect(t, rc, fits, file ? "MAP_FILE" : "MAP");
	if (rc)
		return;
	t->po[po] = (struct po){ true, n };
	t->a[ai] = (struct area){ true, ioas, iova, po, false };
	t->next_iova[ioas] += (SLOT_PAGES + 1) * PG;
}

/* COPY shares the pages: charged only if this pins them first. */
static void step_copy(struct acct *t)
{
	int src = (int)(rnd(t) % NR_AREAS), ai = free_area(t), dst;
	struct area *s = &t->a[src];
	uint64_t iova;
	bool fits;
	int rc;

	if (ai < 0 || !s->live || s->gmem)
		return;
	dst = rnd(t) & 1;
	iova = t->next_iova[dst];
	fits = pinned(t, s->po) || !t->domain[dst] ||
	       charged(t) + t->po[s->po].pages <= LIMIT_PAGES;
	rc = _ioas_copy(t->ctx, t->ioas[dst], t->ioas[s->ioas], s->iova,
			t->po[s->po].pages * PG, &iova, FIXED_RW);
	expect(t, rc, fits, "COPY");
	if (rc)
		return;
	t->a[ai] = (struct area){ true, dst, iova, s->po, false };
	t->next_iova[dst] += (SLOT_PAGES + 1) * PG;
}

static void step_unmap(struct acct *t)
{
	struct area *a = &t->a[rnd(t) % NR_AREAS];
	unsigned int pages;
	int i, users = 0;

	if (!a->live)
		return;
	pages = a->gmem ? SLOT_PAGES : t->po[a->po].pages;
	test_unmap_exact(t->ctx, t->ioas[a->ioas], a->iova, pages * PG);
	a->live = false;
	for (i = 0; i < NR_AREAS && !a->gmem; i++)
		users += t->a[i].live && !t->a[i].gmem && t->a[i].po == a->po;
	if (!a->gmem && !users)
		t->po[a->po].live = false;
}

/* Store memory, even at the limit: never charged. */
static void step_gmem(struct acct *t)
{
	int ioas = rnd(t) & 1, ai = free_area(t);
	uint64_t iova = t->next_iova[ioas];

	if (ai < 0)
		return;
	ASSERT_OK(pm_ioas_map_gmem(t->ctx, t->ioas[ioas], t->g,
				   (rnd(t) % 4) * SLOT_PAGES * PG,
				   SLOT_PAGES * PG, &iova, FIXED_RW));
	t->a[ai] = (struct area){ true, ioas, iova, -1, true };
	t->next_iova[ioas] += (SLOT_PAGES + 1) * PG;
	t->ok++;
}

static void step_domain(struct acct *t)
{
	int ioas = rnd(t) & 1;
	unsigned int need;
	int rc;

	if (t->domain[ioas]) {
		test_destroy(t->ctx, t->stdev[ioas]);
		t->domain[ioas] = false;
		return;
	}
	need = needed_by_domain(t, ioas);
	rc = _mock_domain(t->ctx, t->ioas[ioas], &t->stdev[ioas], NULL, NULL);
	expect(t, rc, charged(t) + need <= LIMIT_PAGES, "domain attach");
	t->domain[ioas] = !rc;
}

/* With nothing charged: exactly the limit pins, one page more does not. */
static void assert_limit_free(struct pm_iommufd *ctx, uint8_t *buf)
{
	uint32_t ioas = ioas_new(ctx);

	test_mock_domain(ctx, ioas, NULL, NULL, NULL);
	test_err_map_at(ENOMEM, ctx, ioas, buf, (LIMIT_PAGES + 1) * PG, AT);
	test_map_at(ctx, ioas, buf, LIMIT_PAGES * PG, AT);
	test_err_map_at(ENOMEM, ctx, ioas, buf + LIMIT_PAGES * PG, PG,
			AT + 1 * MiB);
}

static void run(uint64_t seed, bool unmap_first)
{
	struct acct t;
	int step;

	drop_ipc_lock();
	memset(&t, 0, sizeof(t));
	t.rng = seed * 0x2545f4914f6cdd1dULL + 7;
	t.ctx = ctx_open();
	t.ioas[0] = ioas_new(t.ctx);
	t.ioas[1] = ioas_new(t.ctx);
	t.next_iova[0] = t.next_iova[1] = AT;
	t.buf = buf_alloc(NR_SLOTS * SLOT_PAGES * PG, 2 * MiB);
	t.memfd = memfd_new(NR_SLOTS * SLOT_PAGES * PG, 3);
	t.g = store_new(PM_GMEM_MEMFD, 4 * SLOT_PAGES, 0);
	for (step = 0; step < STEPS; step++) {
		switch (rnd(&t) % 8) {
		case 0: case 1: case 2: step_map(&t); break;
		case 3: step_copy(&t); break;
		case 4: case 5: step_unmap(&t); break;
		case 6: step_gmem(&t); break;
		default: step_domain(&t); break;
		}
	}
	printf("# seed %llu: %lu calls within the limit, %lu ENOMEM; %u "
	       "pages charged at the end\n",
	       (unsigned long long)seed, t.ok, t.enomem, charged(&t));
	ASSERT_GT(t.enomem, 0);
	ASSERT_GT(t.ok, 0);

	if (unmap_first) {
		/* Everything unmapped: the charge is gone, the context lives. */
		test_ioas_unmap(t.ctx, t.ioas[0], 0, UINT64_MAX, NULL);
		test_ioas_unmap(t.ctx, t.ioas[1], 0, UINT64_MAX, NULL);
		assert_limit_free(t.ctx, t.buf);
	}
	/* Closed with whatever is left: a new context has the whole limit. */
	pm_iommufd_close(t.ctx);
	t.ctx = ctx_open();
	assert_limit_free(t.ctx, t.buf);
	pm_iommufd_close(t.ctx);
	pm_gmem_close(t.g);
	close(t.memfd);
}

TEST(enforced_and_released_unmapped)
{
	int i;

	for (i = 1; i <= 4; i++)
		run(i, true);
}

TEST(enforced_and_released_closed)
{
	int i;

	for (i = 11; i <= 14; i++)
		run(i, false);
}

TEST_MAIN()
