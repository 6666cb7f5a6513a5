// SPDX-License-Identifier: MIT
/*
 * Device DMA across shared/private conversion of a gmem store, through
 * the emulated IOMMU (tests/iommufd/gmem.c covers the same store through
 * the mock domain and an access; here it is a device with an IOTLB):
 *
 *  - converting a page to private removes its translation from every
 *    domain and IOTLB before pm_gmem_convert() returns: DMA then faults
 *    with PM_DMA_FAULT_PRIVATE at the page's IOVA; its neighbours keep
 *    their (cached) translations;
 *  - converting it back makes it reachable at the same IOVA, with zeros
 *    (the default discard) or its bytes (PM_GMEM_CONVERT_KEEP);
 *  - drain: DMA in flight finishes before a conversion or punch returns,
 *    and DMA that starts afterwards sees the new state, checked with
 *    threads doing DMA while the main thread converts; private pages hold
 *    a canary written through the trusted path (pm_gmem_get_pfn());
 *  - punch-hole, truncate and close of the store with a device attached.
 *
 * The store is on guest_memfd where /dev/kvm allows, else on a memfd
 * (store_new_best()); it is mapped by pm_ioas_map_gmem() or by MAP_FILE
 * of either of its fds.
 */
#include <pthread.h>
#include <stdatomic.h>
#include "iommu/dev_utils.h"

#define V IOVA_BASE
#define NPAGES 16
#define CANARY 0xC0FFEEC0FFEE5AFEULL /* a word no pattern holds */

enum map_how { BY_GMEM, BY_PRIVATE_FD, BY_SHARED_FD };

struct cfx {
	struct pm_iommufd *ctx;
	uint32_t ioas, hwpt;
	struct pm_device *dev;
	struct pm_gmem *g;
	uint8_t *view;
	unsigned int npages;
};

static void map_store(struct cfx *fx, uint32_t ioas, uint64_t iova,
		      enum map_how how)
{
	uint64_t at = iova;
	uint64_t len = fx->npages * PG;

	switch (how) {
	case BY_GMEM:
		ASSERT_OK(pm_ioas_map_gmem(fx->ctx, ioas, fx->g, 0, len, &at,
					   FIXED_RW));
		break;
	case BY_PRIVATE_FD:
		test_ioas_map_file(fx->ctx, ioas, pm_gmem_private_fd(fx->g), 0,
				   len, &at, FIXED_RW);
		break;
	case BY_SHARED_FD:
		test_ioas_map_file(fx->ctx, ioas, pm_gmem_shared_fd(fx->g), 0,
				   len, &at, FIXED_RW);
		break;
	}
	ASSERT_U64_EQ(at, iova);
}

/* A store (page i: pattern i + 1) mapped at V, a device attached. */
static struct cfx cfx_new(unsigned int npages, enum map_how how)
{
	struct cfx fx;

	fx.ctx = ictx_open();
	fx.npages = npages;
	fx.g = store_new_best(npages);
	fx.view = pm_gmem_host_view(fx.g);
	fx.ioas = ioas_new(fx.ctx);
	fx.dev = dev_new(fx.ctx, "untrusted", NULL);
	fx.hwpt = dev_attach(fx.dev, fx.ioas);
	map_store(&fx, fx.ioas, V, how);
	printf("# store on %s\n",
	       pm_gmem_backend_name(pm_gmem_backend_of(fx.g)));
	return fx;
}

static void cfx_close(struct cfx *fx)
{
	pm_device_destroy(fx->dev);
	pm_iommufd_close(fx->ctx);
	if (fx->g)
		pm_gmem_close(fx->g);
}

static void convert(struct cfx *fx, unsigned int page, unsigned int n,
		    enum pm_gmem_state to, uint32_t flags)
{
	ASSERT_OK(pm_gmem_convert(fx->g, page * PG, n * PG, to, flags, NULL));
}

/*
 * The trusted path: fill private page @page with @byte through
 * pm_gmem_get_pfn()'s mapping. Return false if this backend cannot map a
 * private page (then there is no canary to look for).
 */
static bool trusted_fill(struct pm_gmem *g, unsigned int page, uint64_t word)
{
	struct pm_gmem_page pg;
	uint64_t *p;
	size_t i;
	bool ok;

	ASSERT_OK(pm_gmem_get_pfn(g, page * PG, 0, &pg));
	ASSERT_TRUE(pg.is_private);
	ok = pg.ptr != NULL;
	if (ok) {
		p = (uint64_t *)((uint8_t *)pg.ptr + (page * PG - pg.offset));
		for (i = 0; i < PG / 8; i++)
			p[i] = word;
	}
	pm_gmem_put_pfn(g, &pg);
	return ok;
}

/* Read private page @page through the trusted path into @buf, or false. */
static bool trusted_read(struct pm_gmem *g, unsigned int page, uint8_t *buf)
{
	struct pm_gmem_page pg;
	bool ok;

	ASSERT_OK(pm_gmem_get_pfn(g, page * PG, 0, &pg));
	ASSERT_TRUE(pg.is_private);
	ok = pg.ptr != NULL;
	if (ok)
		memcpy(buf, (uint8_t *)pg.ptr + (page * PG - pg.offset), PG);
	pm_gmem_put_pfn(g, &pg);
	return ok;
}

static void to_private_and_back(enum map_how how)
{
	struct cfx fx = cfx_new(NPAGES, how);
	struct pm_device_stats s0, s1;
	uint8_t b[3 * PG], w[PG];

	/* Every page reachable, and now cached. */
	ASSERT_DMA_EQ(fx.dev, V, fx.view, NPAGES * PG);
	s0 = dev_stats(fx.dev);
	convert(&fx, 2, 1, PM_GMEM_PRIVATE, 0);
	s1 = dev_stats(fx.dev);
	/* Gone before convert returned: the cached entry was dropped. */
	ASSERT_GE(s1.iotlb_invalidations - s0.iotlb_invalidations, 1);
	ASSERT_READ_FAULTS(fx.dev, V + 2 * PG, PG, V + 2 * PG,
			   PM_DMA_FAULT_PRIVATE);
	ASSERT_READ_FAULTS(fx.dev, V + 2 * PG + 100, 8, V + 2 * PG + 100,
			   PM_DMA_FAULT_PRIVATE);
	memset(w, 0x5a, sizeof(w));
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + 2 * PG, w, 16));
	ASSERT_ONE_FAULT(fx.dev, V + 2 * PG, PM_DMA_FAULT_PRIVATE, 1);
	/* A transfer from page 1 into page 2 faults at page 2's first byte. */
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V + PG, b, 3 * PG));
	ASSERT_ONE_FAULT(fx.dev, V + 2 * PG, PM_DMA_FAULT_PRIVATE, 0);
	/* The neighbours still translate, from the IOTLB. */
	s0 = dev_stats(fx.dev);
	ASSERT_DMA_PAT(fx.dev, V + PG, PG, 2);
	ASSERT_DMA_PAT(fx.dev, V + 3 * PG, PG, 4);
	s1 = dev_stats(fx.dev);
	ASSERT_EQ(s1.iotlb_hits - s0.iotlb_hits, 2);
	ASSERT_EQ(s1.iotlb_misses - s0.iotlb_misses, 0);
	ASSERT_EQ(pm_gmem_is_private(fx.g, 2 * PG), 1);

	/* Back to shared (discard): the same IOVA, zeros, writable. */
	convert(&fx, 2, 1, PM_GMEM_SHARED, 0);
	memset(b, 0xee, PG);
	ASSERT_OK(pm_dma_read(fx.dev, V + 2 * PG, b, PG));
	ASSERT_TRUE(all_zero(b, PG));
	pat_fill(w, PG, 61);
	ASSERT_OK(pm_dma_write(fx.dev, V + 2 * PG, w, PG));
	ASSERT_PAT(fx.view + 2 * PG, PG, 61);
	ASSERT_DMA_PAT(fx.dev, V + PG, PG, 2);

	/* KEEP: the bytes a device wrote travel to private and back. */
	pat_fill(w, PG, 62);
	ASSERT_OK(pm_dma_write(fx.dev, V + 5 * PG, w, PG));
	convert(&fx, 5, 1, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP);
	ASSERT_READ_FAULTS(fx.dev, V + 5 * PG, 8, V + 5 * PG,
			   PM_DMA_FAULT_PRIVATE);
	convert(&fx, 5, 1, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
	ASSERT_DMA_PAT(fx.dev, V + 5 * PG, PG, 62);

	/* A run of pages, then a mixed range back. */
	convert(&fx, 8, 4, PM_GMEM_PRIVATE, 0);
	ASSERT_READ_FAULTS(fx.dev, V + 7 * PG, 2 * PG, V + 8 * PG,
			   PM_DMA_FAULT_PRIVATE);
	ASSERT_READ_FAULTS(fx.dev, V + 11 * PG + 8, 8, V + 11 * PG + 8,
			   PM_DMA_FAULT_PRIVATE);
	ASSERT_DMA_PAT(fx.dev, V + 12 * PG, PG, 13);
	convert(&fx, 0, NPAGES, PM_GMEM_SHARED, 0);
	ASSERT_DMA_PAT(fx.dev, V, PG, 1);
	memset(b, 0xee, sizeof(b));
	ASSERT_OK(pm_dma_read(fx.dev, V + 8 * PG, b, 3 * PG));
	ASSERT_TRUE(all_zero(b, 3 * PG));
	ASSERT_DMA_PAT(fx.dev, V + 15 * PG, PG, 16);
	ASSERT_NO_FAULTS(fx.dev);
	cfx_close(&fx);
}

TEST(to_private_and_back_map_gmem)
{
	to_private_and_back(BY_GMEM);
}

TEST(to_private_and_back_map_file_private_fd)
{
	to_private_and_back(BY_PRIVATE_FD);
}

TEST(to_private_and_back_map_file_shared_fd)
{
	to_private_and_back(BY_SHARED_FD);
}

/*
 * Every untrusted domain follows: a second device on another IOAS that
 * maps the store too (at another IOVA), and a third on a user HWPT.
 */
TEST(every_domain_follows)
{
	struct cfx fx = cfx_new(NPAGES, BY_GMEM);
	uint32_t other = ioas_new(fx.ctx), id2, user;
	struct pm_device *d2 = dev_new(fx.ctx, "second", &id2);
	struct pm_device *d3 = dev_new(fx.ctx, "third", NULL);
	const uint64_t V2 = V + 1 * GiB;
	uint8_t b[PG];

	map_store(&fx, other, V2, BY_PRIVATE_FD);
	dev_attach(d2, other);
	test_hwpt_alloc(fx.ctx, id2, fx.ioas, 0, &user);
	dev_attach(d3, user);
	ASSERT_DMA_PAT(fx.dev, V + 6 * PG, PG, 7);
	ASSERT_DMA_PAT(d2, V2 + 6 * PG, PG, 7);
	ASSERT_DMA_PAT(d3, V + 6 * PG, PG, 7);
	convert(&fx, 6, 1, PM_GMEM_PRIVATE, 0);
	ASSERT_READ_FAULTS(fx.dev, V + 6 * PG, 8, V + 6 * PG,
			   PM_DMA_FAULT_PRIVATE);
	ASSERT_READ_FAULTS(d2, V2 + 6 * PG, 8, V2 + 6 * PG,
			   PM_DMA_FAULT_PRIVATE);
	ASSERT_READ_FAULTS(d3, V + 6 * PG, 8, V + 6 * PG, PM_DMA_FAULT_PRIVATE);
	ASSERT_DMA_PAT(d2, V2 + 7 * PG, PG, 8);
	convert(&fx, 6, 1, PM_GMEM_SHARED, 0);
	ASSERT_OK(pm_dma_read(d2, V2 + 6 * PG, b, PG));
	ASSERT_TRUE(all_zero(b, PG));
	ASSERT_OK(pm_dma_read(d3, V + 6 * PG, b, PG));
	ASSERT_TRUE(all_zero(b, PG));
	ASSERT_NO_FAULTS(d2);
	ASSERT_NO_FAULTS(d3);
	pm_device_destroy(d3);
	pm_device_destroy(d2);
	test_destroy(fx.ctx, user);
	cfx_close(&fx);
}

/* A device attached after the conversion never sees the private page. */
TEST(attach_after_conversion)
{
	struct cfx fx = cfx_new(NPAGES, BY_GMEM);
	struct pm_device *late = dev_new(fx.ctx, "late", NULL);

	convert(&fx, 3, 2, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP);
	dev_attach(late, fx.ioas);
	ASSERT_READ_FAULTS(late, V + 4 * PG, 8, V + 4 * PG,
			   PM_DMA_FAULT_PRIVATE);
	ASSERT_DMA_PAT(late, V + 5 * PG, PG, 6);
	convert(&fx, 3, 2, PM_GMEM_SHARED, PM_GMEM_CONVERT_KEEP);
	ASSERT_DMA_PAT(late, V + 4 * PG, PG, 5);
	pm_device_destroy(late);
	cfx_close(&fx);
}

/* ------------------------------------------------------------------ */
/* Drain: DMA in another thread while the main thread converts.        */

#define DRAIN_ROUNDS 48
#define DRAIN_READERS 2

struct drain {
	struct cfx *fx;
	atomic_int page; /* the page of this round */
	atomic_int converted; /* the last page whose conversion returned */
	atomic_bool stop;
	atomic_ulong reads, ok, faults;
	atomic_ulong after_ok; /* started after convert returned, yet OK */
	atomic_ulong torn; /* OK, but not the page's shared content */
	atomic_ulong canary; /* a canary word seen */
	atomic_ulong bad_fault; /* a fault other than PRIVATE at the page */
	atomic_ulong writes_after; /* writes started after, yet OK */
};

static void *drain_reader(void *arg)
{
	struct drain *d = arg;
	struct pm_device *dev = d->fx->dev;
	uint64_t words[PG / 8];
	uint8_t *buf = (uint8_t *)words;

	while (!atomic_load(&d->stop)) {
		int page = atomic_load(&d->page);
		bool after = atomic_load(&d->converted) == page;
		size_t i;

		memset(words, 0, sizeof(words));
		if (!pm_dma_read(dev, V + page * PG, buf, PG)) {
			atomic_fetch_add(&d->ok, 1);
			if (after)
				atomic_fetch_add(&d->after_ok, 1);
			if (pat_diff(buf, PG, page + 1) >= 0)
				atomic_fetch_add(&d->torn, 1);
		} else {
			atomic_fetch_add(&d->faults, 1);
		}
		for (i = 0; i < PG / 8; i++)
			if (words[i] == CANARY) {
				atomic_fetch_add(&d->canary, 1);
				break;
			}
		atomic_fetch_add(&d->reads, 1);
	}
	return NULL;
}

static void wait_reads(struct drain *d, unsigned long more)
{
	unsigned long target = atomic_load(&d->reads) + more;

	while (atomic_load(&d->reads) < target)
		sched_yield();
}

/*
 * Readers DMA the page of the round without pause; the main thread
 * converts it to private, writes a canary into it through the trusted
 * path, and moves on. Every read that succeeds holds the whole shared
 * content (in flight, it finished before the conversion); every read that
 * started after the conversion returned faults; no read sees the canary.
 */
TEST(drain_reads_on_conversion)
{
	struct cfx fx = cfx_new(DRAIN_ROUNDS + 1, BY_GMEM);
	struct drain *d = calloc(1, sizeof(*d));
	pthread_t th[DRAIN_READERS];
	struct pm_dma_fault f[64];
	bool canary = true;
	int i, n, round;

	ASSERT_TRUE(d);
	d->fx = &fx;
	atomic_store(&d->page, 1);
	atomic_store(&d->converted, -1);
	for (i = 0; i < DRAIN_READERS; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, drain_reader, d), 0);
	for (round = 1; round <= DRAIN_ROUNDS; round++) {
		atomic_store(&d->page, round);
		wait_reads(d, 40);
		convert(&fx, round, 1, PM_GMEM_PRIVATE, 0);
		atomic_store(&d->converted, round);
		canary &= trusted_fill(fx.g, round, CANARY);
		wait_reads(d, 40);
		/* The log holds only PRIVATE faults of pages converted. */
		while ((n = pm_device_read_faults(fx.dev, f, 64)) > 0)
			for (i = 0; i < n; i++)
				if (f[i].reason != PM_DMA_FAULT_PRIVATE ||
				    f[i].iova % PG || f[i].iova < V + PG ||
				    f[i].iova > V + round * PG)
					atomic_fetch_add(&d->bad_fault, 1);
	}
	atomic_store(&d->stop, true);
	for (i = 0; i < DRAIN_READERS; i++)
		pthread_join(th[i], NULL);
	printf("# %lu reads: %lu ok, %lu faults; canary %s\n",
	       atomic_load(&d->reads), atomic_load(&d->ok),
	       atomic_load(&d->faults), canary ? "written" : "not mappable");
	ASSERT_EQ(atomic_load(&d->after_ok), 0);
	ASSERT_EQ(atomic_load(&d->torn), 0);
	ASSERT_EQ(atomic_load(&d->canary), 0);
	ASSERT_EQ(atomic_load(&d->bad_fault), 0);
	/* Both outcomes happened. */
	ASSERT_GT(atomic_load(&d->ok), 0);
	ASSERT_GE(atomic_load(&d->faults), DRAIN_ROUNDS);
	free(d);
	cfx_close(&fx);
}

struct writer {
	struct cfx *fx;
	atomic_int page;
	atomic_int converted;
	atomic_bool stop;
	atomic_ulong writes, after_ok;
};

static void *drain_writer(void *arg)
{
	struct writer *w = arg;
	uint8_t buf[PG];
	unsigned int n = 0;

	while (!atomic_load(&w->stop)) {
		int page = atomic_load(&w->page);
		bool after = atomic_load(&w->converted) == page;

		memset(buf, 0x10 + (n++ % 0x80), sizeof(buf));
		if (!pm_dma_write(w->fx->dev, V + page * PG, buf, PG) && after)
			atomic_fetch_add(&w->after_ok, 1);
		atomic_fetch_add(&w->writes, 1);
	}
	return NULL;
}

/*
 * Writes drain too: a device writes whole pages of one byte value without
 * pause while the page converts with KEEP. The private page then holds
 * one whole write (never a torn mix of two, nor a write that landed while
 * the content moved), and writes that start afterwards fault.
 */
TEST(drain_writes_on_keep_conversion)
{
	struct cfx fx = cfx_new(DRAIN_ROUNDS + 1, BY_GMEM);
	struct writer *w = calloc(1, sizeof(*w));
	uint8_t page[PG];
	unsigned int torn = 0, checked = 0;
	pthread_t th;
	int round;
	size_t i;

	ASSERT_TRUE(w);
	w->fx = &fx;
	atomic_store(&w->page, 1);
	atomic_store(&w->converted, -1);
	ASSERT_EQ(pthread_create(&th, NULL, drain_writer, w), 0);
	for (round = 1; round <= DRAIN_ROUNDS; round++) {
		unsigned long target;

		atomic_store(&w->page, round);
		target = atomic_load(&w->writes) + 40;
		while (atomic_load(&w->writes) < target)
			sched_yield();
		convert(&fx, round, 1, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP);
		atomic_store(&w->converted, round);
		if (trusted_read(fx.g, round, page)) {
			checked++;
			for (i = 1; i < PG; i++)
				if (page[i] != page[0])
					break;
			if (i < PG || page[0] < 0x10)
				torn++;
		}
		target = atomic_load(&w->writes) + 40;
		while (atomic_load(&w->writes) < target)
			sched_yield();
	}
	atomic_store(&w->stop, true);
	pthread_join(th, NULL);
	printf("# %lu writes; %u private pages checked\n",
	       atomic_load(&w->writes), checked);
	ASSERT_EQ(torn, 0);
	ASSERT_EQ(atomic_load(&w->after_ok), 0);
	free(w);
	cfx_close(&fx);
}

struct punch_reader {
	struct cfx *fx;
	atomic_bool punched, stop;
	atomic_ulong reads, after_nonzero, other_bad;
};

static void *punch_reader_fn(void *arg)
{
	struct punch_reader *r = arg;
	uint8_t buf[PG];

	while (!atomic_load(&r->stop)) {
		bool after = atomic_load(&r->punched);

		memset(buf, 0xee, sizeof(buf));
		if (pm_dma_read(r->fx->dev, V + 3 * PG, buf, PG))
			atomic_fetch_add(&r->other_bad, 1);
		else if (after && !all_zero(buf, PG))
			atomic_fetch_add(&r->after_nonzero, 1);
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

/*
 * Punch-hole with a device attached: the pages stay shared and mapped,
 * and read zeros, through the IOTLB entries cached before; a read that
 * starts after the punch returned never sees the old bytes.
 */
TEST(punch_with_device)
{
	struct cfx fx = cfx_new(NPAGES, BY_GMEM);
	struct punch_reader *r = calloc(1, sizeof(*r));
	uint8_t b[4 * PG], w[64];
	pthread_t th;
	unsigned long target;

	ASSERT_TRUE(r);
	ASSERT_DMA_EQ(fx.dev, V, fx.view, NPAGES * PG);
	ASSERT_OK(pm_gmem_punch(fx.g, 2 * PG, 2 * PG));
	memset(b, 0xee, sizeof(b));
	ASSERT_OK(pm_dma_read(fx.dev, V + 2 * PG, b, 2 * PG));
	ASSERT_TRUE(all_zero(b, 2 * PG));
	ASSERT_DMA_PAT(fx.dev, V + PG, PG, 2);
	ASSERT_DMA_PAT(fx.dev, V + 4 * PG, PG, 5);
	/* Still writable; the host view sees it. */
	pat_fill(w, sizeof(w), 63);
	ASSERT_OK(pm_dma_write(fx.dev, V + 3 * PG + 8, w, sizeof(w)));
	ASSERT_PAT(fx.view + 3 * PG + 8, sizeof(w), 63);
	ASSERT_NO_FAULTS(fx.dev);

	/* With DMA running. */
	pat_fill(fx.view + 3 * PG, PG, 64);
	r->fx = &fx;
	ASSERT_EQ(pthread_create(&th, NULL, punch_reader_fn, r), 0);
	target = atomic_load(&r->reads) + 50;
	while (atomic_load(&r->reads) < target)
		sched_yield();
	ASSERT_OK(pm_gmem_punch(fx.g, 3 * PG, PG));
	atomic_store(&r->punched, true);
	target = atomic_load(&r->reads) + 50;
	while (atomic_load(&r->reads) < target)
		sched_yield();
	atomic_store(&r->stop, true);
	pthread_join(th, NULL);
	ASSERT_EQ(atomic_load(&r->other_bad), 0);
	ASSERT_EQ(atomic_load(&r->after_nonzero), 0);
	ASSERT_NO_FAULTS(fx.dev);
	free(r);
	cfx_close(&fx);
}

/*
 * Truncate: pages that leave the store leave the device's reach; the rest
 * stays reachable.
 */
TEST(truncate_with_device)
{
	struct cfx fx = cfx_new(NPAGES, BY_GMEM);

	ASSERT_DMA_PAT(fx.dev, V + 12 * PG, PG, 13);
	ASSERT_OK(pm_gmem_truncate(fx.g, 8 * PG));
	ASSERT_READ_FAULTS(fx.dev, V + 12 * PG, 8, V + 12 * PG,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_READ_FAULTS(fx.dev, V + 7 * PG, 2 * PG, V + 8 * PG,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_DMA_PAT(fx.dev, V + 7 * PG, PG, 8);
	cfx_close(&fx);
}

/*
 * Truncate down, then back up: the regrown tail is reachable again at the
 * same IOVAs (shared pages zeroed, private ones still private), for the
 * domain that was there and for one allocated while the store was short.
 */
TEST(truncate_grow_with_device)
{
	struct cfx fx = cfx_new(NPAGES, BY_GMEM);
	uint32_t id2, hwpt2;
	struct pm_device *d2 = dev_new(fx.ctx, "second", &id2);
	uint8_t b[PG];

	convert(&fx, 14, 1, PM_GMEM_PRIVATE, 0);
	ASSERT_DMA_PAT(fx.dev, V + 12 * PG, PG, 13);
	ASSERT_OK(pm_gmem_truncate(fx.g, 8 * PG));
	ASSERT_READ_FAULTS(fx.dev, V + 12 * PG, 8, V + 12 * PG,
			   PM_DMA_FAULT_UNMAPPED);
	/* A domain filled while the area reaches past the store's end. */
	test_hwpt_alloc(fx.ctx, id2, fx.ioas, 0, &hwpt2);
	dev_attach(d2, hwpt2);
	ASSERT_DMA_PAT(d2, V + 7 * PG, PG, 8);
	ASSERT_READ_FAULTS(d2, V + 12 * PG, 8, V + 12 * PG,
			   PM_DMA_FAULT_UNMAPPED);

	ASSERT_OK(pm_gmem_truncate(fx.g, NPAGES * PG));
	memset(b, 0xee, PG);
	ASSERT_OK(pm_dma_read(fx.dev, V + 12 * PG, b, PG));
	ASSERT_TRUE(all_zero(b, PG));
	memset(b, 0xee, PG);
	ASSERT_OK(pm_dma_read(d2, V + 15 * PG, b, PG));
	ASSERT_TRUE(all_zero(b, PG));
	pat_fill(b, PG, 71);
	ASSERT_OK(pm_dma_write(d2, V + 12 * PG, b, PG));
	ASSERT_PAT(fx.view + 12 * PG, PG, 71);
	ASSERT_DMA_PAT(fx.dev, V + 12 * PG, PG, 71);
	ASSERT_DMA_PAT(fx.dev, V + 7 * PG, PG, 8);
	ASSERT_READ_FAULTS(fx.dev, V + 14 * PG, 8, V + 14 * PG,
			   PM_DMA_FAULT_PRIVATE);
	ASSERT_READ_FAULTS(d2, V + 14 * PG, 8, V + 14 * PG,
			   PM_DMA_FAULT_PRIVATE);
	/* And it converts like any other page. */
	convert(&fx, 14, 1, PM_GMEM_SHARED, 0);
	ASSERT_OK(pm_dma_read(d2, V + 14 * PG, b, PG));
	ASSERT_TRUE(all_zero(b, PG));
	pm_device_destroy(d2);
	cfx_close(&fx);
}

struct close_reader {
	struct pm_device *dev;
	atomic_bool closed, stop;
	atomic_ulong reads, after_ok;
};

static void *close_reader_fn(void *arg)
{
	struct close_reader *r = arg;
	uint8_t buf[PG];

	while (!atomic_load(&r->stop)) {
		bool after = atomic_load(&r->closed);

		if (!pm_dma_read(r->dev, V + 5 * PG, buf, PG) && after)
			atomic_fetch_add(&r->after_ok, 1);
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

/*
 * The store closes with a device attached and DMA running: close returns
 * after DMA in flight, later DMA faults (no translation, the store is not
 * there to be private), and the device and IOAS go on working.
 */
TEST(close_store_with_device)
{
	struct cfx fx = cfx_new(NPAGES, BY_GMEM);
	struct close_reader *r = calloc(1, sizeof(*r));
	uint8_t *buf = buf_alloc(PG, PG);
	unsigned long target;
	pthread_t th;

	ASSERT_TRUE(r);
	pat_fill(buf, PG, 65);
	test_map_at(fx.ctx, fx.ioas, buf, PG, V + 1 * GiB);
	r->dev = fx.dev;
	ASSERT_EQ(pthread_create(&th, NULL, close_reader_fn, r), 0);
	target = atomic_load(&r->reads) + 50;
	while (atomic_load(&r->reads) < target)
		sched_yield();
	pm_gmem_close(fx.g);
	fx.g = NULL;
	atomic_store(&r->closed, true);
	target = atomic_load(&r->reads) + 50;
	while (atomic_load(&r->reads) < target)
		sched_yield();
	atomic_store(&r->stop, true);
	pthread_join(th, NULL);
	ASSERT_EQ(atomic_load(&r->after_ok), 0);
	/* Drop what the reader left in the log. */
	while (pm_device_read_faults(fx.dev, (struct pm_dma_fault[64]){ 0 },
				     64) > 0)
		;
	/* Not "private": that page is no guest's; the store is gone. */
	{
		struct pm_dma_fault f[4];
		uint8_t tmp[8];

		ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V + 5 * PG, tmp, 8));
		ASSERT_EQ(pm_device_read_faults(fx.dev, f, 4), 1);
		ASSERT_U64_EQ(f[0].iova, V + 5 * PG);
		if (f[0].reason != PM_DMA_FAULT_UNMAPPED &&
		    f[0].reason != PM_DMA_FAULT_REVOKED)
			FAIL("fault reason %s, expected unmapped or revoked",
			     pm_dma_fault_reason_name(f[0].reason));
	}
	ASSERT_DMA_PAT(fx.dev, V + 1 * GiB, PG, 65);
	/* The dead area can be unmapped, and the IOVA reused. */
	test_unmap_exact(fx.ctx, fx.ioas, V, NPAGES * PG);
	test_map_at(fx.ctx, fx.ioas, buf, PG, V);
	ASSERT_DMA_PAT(fx.dev, V, PG, 65);
	free(r);
	cfx_close(&fx);
}

TEST_MAIN()
