// SPDX-License-Identifier: MIT
/*
 * The canary stress: no untrusted DMA ever reads a private byte.
 *
 * A gmem store is mapped into an IOAS (one area per MiB) with an emulated
 * device attached. Private pages hold a canary pattern written through the
 * trusted path (get_pfn's mapping). Reader threads do untrusted DMA at
 * random IOVAs and scan what they read for the canary; writer threads DMA
 * a harmless pattern; other threads convert pages to private (writing the
 * canary) and back (discarding: the page reads zeros), unmap and remap
 * areas, and punch holes. A closer thread cycles a second, small store
 * mapped right after the first (readers reach both): created with canary
 * pages, mapped, shrunk and grown back, then closed under DMA and
 * unmapped. A single canary byte seen by a reader fails the test; faults
 * are expected and counted.
 *
 * PM_STRESS_SECONDS sets the duration (default 2; `make test-tsan` and the
 * reliability runs use 60).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/uapi/iommufd.h>
#include "harness.h"

#define STORE_SIZE (16ULL << 20)
#define AREA_SIZE (1ULL << 20)
#define IOVA_BASE (1ULL << 30)
#define PAGE 4096ULL
#define CANARY 0xC0FFEEC0FFEE5AFEULL
#define NR_READERS 3
#define SIDE_SIZE (256ULL << 10) /* the closer's store, after the first */
#define SPAN (STORE_SIZE + SIDE_SIZE)

struct stress {
	struct pm_iommufd *ictx;
	struct pm_gmem *g;
	struct pm_device *dev;
	uint32_t ioas;
	atomic_bool stop;
	enum pm_gmem_backend backend;
	atomic_ulong canary_hits, dma_ok, dma_faults, conversions, remaps,
		punches, closes;
	pthread_mutex_t area_lock[STORE_SIZE / AREA_SIZE];
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *reader(void *arg)
{
	struct stress *st = arg;
	uint64_t seed = (uintptr_t)&seed | 1, buf[16384 / 8];

	while (!atomic_load(&st->stop)) {
		uint64_t len = (1 + rnd(&seed) % 4) * PAGE;
		uint64_t off = rnd(&seed) % (SPAN - len);
		size_t i;

		off &= ~(PAGE - 1);
		memset(buf, 0, len);
		if (pm_dma_read(st->dev, IOVA_BASE + off, buf, len)) {
			atomic_fetch_add(&st->dma_faults, 1);
			/* A failed transfer may have copied a prefix: scan it. */
		} else {
			atomic_fetch_add(&st->dma_ok, 1);
		}
		for (i = 0; i < len / 8; i++)
			if (buf[i] == CANARY)
				atomic_fetch_add(&st->canary_hits, 1);
	}
	return NULL;
}

static void *writer(void *arg)
{
	struct stress *st = arg;
	uint64_t seed = (uintptr_t)&seed | 3, buf[PAGE / 8];

	memset(buf, 0x11, sizeof(buf));
	while (!atomic_load(&st->stop)) {
		uint64_t off = (rnd(&seed) % (SPAN / PAGE)) * PAGE;

		if (pm_dma_write(st->dev, IOVA_BASE + off, buf, PAGE))
			atomic_fetch_add(&st->dma_faults, 1);
	}
	return NULL;
}

/* The trusted path writes the secret into the private pages. */
static void write_canary(struct pm_gmem *g, uint64_t off, uint64_t len)
{
	uint64_t p;

	for (p = off; p < off + len; p += PAGE) {
		struct pm_gmem_page pg;
		uint64_t *w;
		size_t i;

		if (pm_gmem_get_pfn(g, p, 0, &pg))
			continue;
		w = pg.ptr;
		if (pg.is_private && w)
			for (i = 0; i < PAGE / 8; i++)
				w[i] = CANARY;
		pm_gmem_put_pfn(g, &pg);
	}
}

static void *converter(void *arg)
{
	struct stress *st = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	while (!atomic_load(&st->stop)) {
		uint64_t n = 1 + rnd(&seed) % 8;
		uint64_t off = (rnd(&seed) % (STORE_SIZE / PAGE - n)) * PAGE;

		if (pm_gmem_convert(st->g, off, n * PAGE, PM_GMEM_PRIVATE, 0,
				    NULL))
			continue;
		write_canary(st->g, off, n * PAGE);
		atomic_fetch_add(&st->conversions, 1);
		if (rnd(&seed) & 1)
			pm_gmem_convert(st->g, off, n * PAGE, PM_GMEM_SHARED, 0,
					NULL);
	}
	return NULL;
}

static void *remapper(void *arg)
{
	struct stress *st = arg;
	uint64_t seed = 0x1234567ULL;

	while (!atomic_load(&st->stop)) {
		uint64_t a = rnd(&seed) % (STORE_SIZE / AREA_SIZE);
		uint64_t iova = IOVA_BASE + a * AREA_SIZE, unmapped;

		pthread_mutex_lock(&st->area_lock[a]);
		if (!pm_ioas_unmap(st->ictx, st->ioas, iova, AREA_SIZE,
				   &unmapped)) {
			usleep(100);
			if (pm_ioas_map_gmem(st->ictx, st->ioas, st->g,
					     a * AREA_SIZE, AREA_SIZE, &iova,
					     IOMMU_IOAS_MAP_FIXED_IOVA |
						     IOMMU_IOAS_MAP_READABLE |
						     IOMMU_IOAS_MAP_WRITEABLE))
				FAIL("remap of area %llu failed",
				     (unsigned long long)a);
			atomic_fetch_add(&st->remaps, 1);
		}
		pthread_mutex_unlock(&st->area_lock[a]);
	}
	return NULL;
}

static void *puncher(void *arg)
{
	struct stress *st = arg;
	uint64_t seed = 0xabcdefULL;

	while (!atomic_load(&st->stop)) {
		uint64_t off = (rnd(&seed) % (STORE_SIZE / PAGE - 4)) * PAGE;

		if (!pm_gmem_punch(st->g, off, 4 * PAGE))
			atomic_fetch_add(&st->punches, 1);
		usleep(50);
	}
	return NULL;
}

/*
 * A store's whole life under DMA: made with canary pages (every other
 * 16 KiB private), mapped after the main store, shrunk and grown back
 * (GROW maps the regrown shared pages again), closed while readers and
 * the writer hit it (the area is revoked: DMA faults), then unmapped.
 */
static void *closer(void *arg)
{
	struct stress *st = arg;
	struct pm_gmem_config cfg = { .backend = st->backend,
				      .size = SIDE_SIZE,
				      .vm_fd = -1,
				      .fd = -1 };
	uint64_t off, iova, unmapped;
	struct pm_gmem *g;

	while (!atomic_load(&st->stop)) {
		if (pm_gmem_create(&cfg, &g))
			FAIL("closer: create");
		for (off = 0; off < SIDE_SIZE; off += 8 * PAGE) {
			if (pm_gmem_convert(g, off, 4 * PAGE, PM_GMEM_PRIVATE,
					    0, NULL))
				FAIL("closer: convert");
			write_canary(g, off, 4 * PAGE);
		}
		iova = IOVA_BASE + STORE_SIZE;
		if (pm_ioas_map_gmem(st->ictx, st->ioas, g, 0, SIDE_SIZE,
				     &iova,
				     IOMMU_IOAS_MAP_FIXED_IOVA |
					     IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE))
			FAIL("closer: map");
		usleep(200);
		if (pm_gmem_truncate(g, SIDE_SIZE / 2) ||
		    pm_gmem_truncate(g, SIDE_SIZE))
			FAIL("closer: truncate");
		usleep(200);
		pm_gmem_close(g);
		usleep(100);
		if (pm_ioas_unmap(st->ictx, st->ioas, iova, SIDE_SIZE,
				  &unmapped) ||
		    unmapped != SIDE_SIZE)
			FAIL("closer: unmap");
		atomic_fetch_add(&st->closes, 1);
	}
	return NULL;
}

static void run_stress(enum pm_gmem_backend backend)
{
	struct pm_gmem_config cfg = { .backend = backend,
				      .size = STORE_SIZE,
				      .vm_fd = -1,
				      .fd = -1 };
	const char *secs_env = getenv("PM_STRESS_SECONDS");
	double secs = secs_env ? atof(secs_env) : 2.0;
	pthread_t th[NR_READERS + 5];
	struct stress *st = calloc(1, sizeof(*st));
	uint32_t dev_id, pt;
	uint64_t a, iova;
	int i, n = 0, rc;

	st->backend = backend;
	rc = pm_gmem_create(&cfg, &st->g);
	if (rc == -EOPNOTSUPP)
		SKIP("%s backend unavailable", pm_gmem_backend_name(backend));
	ASSERT_OK(rc);
	ASSERT_OK(pm_iommufd_open(&st->ictx));
	ASSERT_OK(pm_ioas_alloc(st->ictx, &st->ioas));
	for (a = 0; a < STORE_SIZE / AREA_SIZE; a++) {
		pthread_mutex_init(&st->area_lock[a], NULL);
		iova = IOVA_BASE + a * AREA_SIZE;
		ASSERT_OK(pm_ioas_map_gmem(st->ictx, st->ioas, st->g,
					   a * AREA_SIZE, AREA_SIZE, &iova,
					   IOMMU_IOAS_MAP_FIXED_IOVA |
						   IOMMU_IOAS_MAP_READABLE |
						   IOMMU_IOAS_MAP_WRITEABLE));
	}
	ASSERT_OK(pm_device_create(st->ictx, "stress", &st->dev, &dev_id));
	pt = st->ioas;
	ASSERT_OK(pm_device_attach(st->dev, &pt));

	for (i = 0; i < NR_READERS; i++)
		pthread_create(&th[n++], NULL, reader, st);
	pthread_create(&th[n++], NULL, writer, st);
	pthread_create(&th[n++], NULL, converter, st);
	pthread_create(&th[n++], NULL, remapper, st);
	pthread_create(&th[n++], NULL, puncher, st);
	pthread_create(&th[n++], NULL, closer, st);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&st->stop, true);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);

	printf("# %s: %.1f s, %lu DMA ok, %lu faults, %lu conversions, "
	       "%lu remaps, %lu punches, %lu stores closed, %lu canary "
	       "hits\n",
	       pm_gmem_backend_name(backend), secs,
	       atomic_load(&st->dma_ok), atomic_load(&st->dma_faults),
	       atomic_load(&st->conversions), atomic_load(&st->remaps),
	       atomic_load(&st->punches), atomic_load(&st->closes),
	       atomic_load(&st->canary_hits));
	ASSERT_EQ(atomic_load(&st->canary_hits), 0);
	/* The run did exercise both sides. */
	ASSERT_GT(atomic_load(&st->dma_ok), 0);
	ASSERT_GT(atomic_load(&st->conversions), 0);
	ASSERT_GT(atomic_load(&st->dma_faults), 0);
	ASSERT_GT(atomic_load(&st->closes), 0);

	pm_device_destroy(st->dev);
	pm_iommufd_close(st->ictx);
	pm_gmem_close(st->g);
	free(st);
}

TEST(canary_memfd)
{
	run_stress(PM_GMEM_MEMFD);
}

TEST(canary_guest_memfd)
{
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP("no usable /dev/kvm");
	run_stress(PM_GMEM_GUEST_MEMFD);
}

TEST_MAIN()
