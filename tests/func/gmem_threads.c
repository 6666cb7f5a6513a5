// SPDX-License-Identifier: MIT
/*
 * gmem.h's locking promise: a store may be used from any number of threads;
 * conversions serialise, get_pfn/put_pfn run concurrently with them. Two
 * properties are checked under contention:
 *  - a held page does not change state: a shared page held by a reader is
 *    readable through its ptr for as long as it is held (a conversion that
 *    slipped past the hold would make the read SIGBUS and kill the test),
 *    and pm_gmem_is_private() agrees with the hold;
 *  - KEEP conversions from several threads never lose or mix content: every
 *    page keeps its own tag through any interleaving.
 * Each test runs for a bounded number of iterations (well under a second
 * in the plain build).
 */
#include <pthread.h>
#include <stdatomic.h>
#include "gmem_common.c"

#define NPAGES 16
#define ITERS 4000

struct ctx {
	struct pm_gmem *g;
	atomic_bool stop;
	atomic_long holds, private_holds, refused;
	atomic_long conversions, eagain;
	atomic_uint seed;
};

static unsigned int rnd(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Take pages and check them while they are held. */
static void *reader(void *arg)
{
	struct ctx *c = arg;
	unsigned int seed = atomic_fetch_add(&c->seed, 1) * 7919u + 1;

	while (!atomic_load(&c->stop)) {
		uint64_t off = (rnd(&seed) % NPAGES) * PG;
		uint32_t flags = rnd(&seed) & 1 ? PM_GMEM_GET_SHARED_ONLY : 0;
		struct pm_gmem_page p;
		volatile uint8_t *b;
		int rc = pm_gmem_get_pfn(c->g, off, flags, &p);

		if (rc == -EAGAIN || rc == -EPERM) {
			atomic_fetch_add(&c->refused, 1);
			continue;
		}
		if (rc)
			FAIL("get_pfn(0x%llx): %s", (unsigned long long)off,
			     strerror(-rc));
		if (p.is_private && flags)
			FAIL("SHARED_ONLY returned a private page");
		/* Held: the state is fixed and the bytes are reachable. */
		if (pm_gmem_is_private(c->g, off) != (int)p.is_private)
			FAIL("page 0x%llx changed state while held",
			     (unsigned long long)off);
		b = p.ptr;
		if (b) {
			uint64_t tag;

			memcpy(&tag, (const void *)b, sizeof(tag));
			if (tag != off / PG)
				FAIL("page 0x%llx has tag %llu while held",
				     (unsigned long long)off,
				     (unsigned long long)tag);
			(void)b[PG - 1];
		}
		if (pm_gmem_is_private(c->g, off) != (int)p.is_private)
			FAIL("page 0x%llx changed state while held",
			     (unsigned long long)off);
		if (p.is_private)
			atomic_fetch_add(&c->private_holds, 1);
		atomic_fetch_add(&c->holds, 1);
		pm_gmem_put_pfn(c->g, &p);
	}
	return NULL;
}

/* Convert random ranges with KEEP, both ways. */
static void *converter(void *arg)
{
	struct ctx *c = arg;
	unsigned int seed = atomic_fetch_add(&c->seed, 1) * 104729u + 3;
	int i;

	for (i = 0; i < ITERS; i++) {
		uint64_t a = rnd(&seed) % NPAGES, n = 1 + rnd(&seed) % 4, eoff;
		enum pm_gmem_state to = rnd(&seed) & 1 ? PM_GMEM_PRIVATE :
							 PM_GMEM_SHARED;
		int rc;

		if (a + n > NPAGES)
			n = NPAGES - a;
		eoff = UINT64_MAX;
		rc = pm_gmem_convert(c->g, a * PG, n * PG, to,
				     PM_GMEM_CONVERT_KEEP, &eoff);
		if (rc == -EAGAIN) {
			if (eoff < a * PG || eoff >= (a + n) * PG || eoff % PG)
				FAIL("-EAGAIN with error_offset 0x%llx outside "
				     "[0x%llx, 0x%llx)",
				     (unsigned long long)eoff,
				     (unsigned long long)(a * PG),
				     (unsigned long long)((a + n) * PG));
			atomic_fetch_add(&c->eagain, 1);
			continue;
		}
		if (rc)
			FAIL("convert: %s", strerror(-rc));
		atomic_fetch_add(&c->conversions, 1);
	}
	return NULL;
}

static void check_final(struct pm_gmem *g)
{
	struct pm_gmem_stats st;
	uint8_t buf[PG];
	uint64_t i, tag;

	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_pinned, 0);
	for (i = 0; i < NPAGES; i++) {
		int priv = pm_gmem_is_private(g, i * PG);

		ASSERT_EQ(pm_gmem_pin_count(g, i * PG), 0);
		/* The view faults exactly at private pages. */
		ASSERT_EQ(vm_read_self(gview(g) + i * PG, buf, 8, NULL),
			  priv ? EFAULT : 0);
		page_read(g, i * PG, buf);
		memcpy(&tag, buf, sizeof(tag));
		if (tag != i)
			FAIL("page %llu ends with tag %llu",
			     (unsigned long long)i, (unsigned long long)tag);
	}
}

static struct pm_gmem *tagged_store(enum pm_gmem_backend b)
{
	struct pm_gmem *g = gmem_new(b, NPAGES * PG, 0);
	uint64_t i;

	for (i = 0; i < NPAGES; i++)
		memcpy(gview(g) + i * PG, &i, sizeof(i));
	/* Probe KEEP once: a guest_memfd the host cannot map lacks it. */
	if (pm_gmem_convert(g, 0, PG, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP,
			    NULL) == -EOPNOTSUPP)
		SKIP("%s: KEEP conversions unsupported on this host",
		     pm_gmem_backend_name(b));
	return g;
}

/* One converter, two readers holding pages. */
static void holds_vs_convert(enum pm_gmem_backend b)
{
	struct ctx c = { .g = tagged_store(b) };
	pthread_t r[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&r[i], NULL, reader, &c), 0);
	converter(&c);
	atomic_store(&c.stop, true);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(pthread_join(r[i], NULL), 0);
	printf("# %ld conversions, %ld -EAGAIN, %ld holds (%ld private), "
	       "%ld get_pfn refused\n",
	       atomic_load(&c.conversions), atomic_load(&c.eagain),
	       atomic_load(&c.holds), atomic_load(&c.private_holds),
	       atomic_load(&c.refused));
	ASSERT_GT(atomic_load(&c.conversions), 0);
	ASSERT_GT(atomic_load(&c.holds), 0);
	check_final(c.g);
	pm_gmem_close(c.g);
}
GMEM_TEST_4K(holds_vs_convert)

/* Three converters at once: serialised, content intact. */
static void concurrent_converts(enum pm_gmem_backend b)
{
	struct ctx c = { .g = tagged_store(b) };
	pthread_t t[3];
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, converter, &c), 0);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(pthread_join(t[i], NULL), 0);
	ASSERT_EQ(atomic_load(&c.conversions), 3 * ITERS);
	check_final(c.g);
	pm_gmem_close(c.g);
}
GMEM_TEST_4K(concurrent_converts)

TEST_MAIN()
