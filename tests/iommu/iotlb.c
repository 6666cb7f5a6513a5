// SPDX-License-Identifier: MIT
/*
 * The device IOTLB, seen through pm_device_get_stats() and DMA results:
 * a page translated once is a hit the next time; an unmap invalidates
 * exactly the pages it removes (counted), in every IOTLB on the domain;
 * and a translation is never stale: after unmap and remap of an IOVA,
 * after an attach elsewhere, DMA reaches the new memory.
 *
 * The IOTLB is direct-mapped (lib/iommu/iommu.c: 1024 entries indexed by
 * the low bits of the IOVA page number, tagged with the rest), so IOVAs
 * 4 MiB apart share an entry; the tests use that to check the tags.
 */
#include "iommu/dev_utils.h"

#define V IOVA_BASE
#define IOTLB_REACH (1024 * PG) /* IOVAs this far apart share an entry */

struct tfx {
	struct pm_iommufd *ctx;
	uint32_t ioas;
	struct pm_device *dev;
};

static struct tfx tfx_new(void)
{
	struct tfx fx;

	fx.ctx = ictx_open();
	fx.ioas = ioas_new(fx.ctx);
	fx.dev = dev_new(fx.ctx, "tlb", NULL);
	dev_attach(fx.dev, fx.ioas);
	return fx;
}

static void tfx_close(struct tfx *fx)
{
	pm_device_destroy(fx->dev);
	pm_iommufd_close(fx->ctx);
}

/* Read @len bytes at @iova; return the change in (hits, misses). */
#define READ_COUNTS(dev, iova, len, dhits, dmisses)                            \
	do {                                                                   \
		struct pm_device_stats __s0 = dev_stats(dev), __s1;            \
		uint8_t __b[(len)];                                            \
		ASSERT_OK(pm_dma_read((dev), (iova), __b, (len)));             \
		__s1 = dev_stats(dev);                                         \
		(dhits) = __s1.iotlb_hits - __s0.iotlb_hits;                   \
		(dmisses) = __s1.iotlb_misses - __s0.iotlb_misses;             \
	} while (0)

TEST(second_read_hits)
{
	struct tfx fx = tfx_new();
	uint8_t *buf = buf_alloc(4 * PG, 4 * PG);
	uint64_t h, m;

	pat_fill(buf, 4 * PG, 1);
	test_map_at(fx.ctx, fx.ioas, buf, 4 * PG, V);
	READ_COUNTS(fx.dev, V + 10, 64, h, m);
	ASSERT_EQ(h, 0);
	ASSERT_EQ(m, 1);
	/* The same page again, elsewhere in it: a hit. */
	READ_COUNTS(fx.dev, V + 10, 64, h, m);
	ASSERT_EQ(h, 1);
	ASSERT_EQ(m, 0);
	READ_COUNTS(fx.dev, V + PG - 1, 1, h, m);
	ASSERT_EQ(h, 1);
	ASSERT_EQ(m, 0);
	/* Another page: a miss, then a hit. */
	READ_COUNTS(fx.dev, V + 2 * PG, 8, h, m);
	ASSERT_EQ(h, 0);
	ASSERT_EQ(m, 1);
	READ_COUNTS(fx.dev, V + 2 * PG + 8, 8, h, m);
	ASSERT_EQ(h, 1);
	ASSERT_EQ(m, 0);
	/* Writes use the same entries. */
	{
		struct pm_device_stats s0 = dev_stats(fx.dev), s1;
		uint8_t w[8] = { 0 };

		ASSERT_OK(pm_dma_write(fx.dev, V + 2 * PG, w, sizeof(w)));
		s1 = dev_stats(fx.dev);
		ASSERT_EQ(s1.iotlb_hits - s0.iotlb_hits, 1);
		ASSERT_EQ(s1.iotlb_misses, s0.iotlb_misses);
	}
	/* All four pages, two of them cached: at least two hits. */
	READ_COUNTS(fx.dev, V, 4 * PG, h, m);
	ASSERT_GE(h, 2);
	READ_COUNTS(fx.dev, V, 4 * PG, h, m);
	ASSERT_EQ(m, 0);
	ASSERT_GE(h, 4);
	ASSERT_NO_FAULTS(fx.dev);
	tfx_close(&fx);
}

/*
 * UNMAP of one page (one area) drops exactly its entry: DMA to it faults
 * at once, its neighbours still hit, and the invalidation is counted.
 */
TEST(unmap_invalidates_precisely)
{
	struct tfx fx = tfx_new();
	uint8_t *buf = buf_alloc(3 * PG, 3 * PG);
	struct pm_device_stats s0, s1;
	uint64_t h, m;
	int i;

	pat_fill(buf, 3 * PG, 2);
	for (i = 0; i < 3; i++)
		test_map_at(fx.ctx, fx.ioas, buf + i * PG, PG, V + i * PG);
	for (i = 0; i < 3; i++)
		ASSERT_DMA_EQ(fx.dev, V + i * PG, buf + i * PG, PG);
	s0 = dev_stats(fx.dev);
	test_unmap_exact(fx.ctx, fx.ioas, V + PG, PG);
	s1 = dev_stats(fx.dev);
	ASSERT_EQ(s1.iotlb_invalidations - s0.iotlb_invalidations, 1);
	ASSERT_READ_FAULTS(fx.dev, V + PG, 8, V + PG, PM_DMA_FAULT_UNMAPPED);
	ASSERT_READ_FAULTS(fx.dev, V + PG - 4, 8, V + PG,
			   PM_DMA_FAULT_UNMAPPED);
	READ_COUNTS(fx.dev, V, 16, h, m);
	ASSERT_EQ(h, 1);
	ASSERT_EQ(m, 0);
	READ_COUNTS(fx.dev, V + 2 * PG, 16, h, m);
	ASSERT_EQ(h, 1);
	ASSERT_EQ(m, 0);
	/* Unmapping a page never translated invalidates nothing. */
	test_map_at(fx.ctx, fx.ioas, buf + PG, PG, V + 10 * PG);
	s0 = dev_stats(fx.dev);
	test_unmap_exact(fx.ctx, fx.ioas, V + 10 * PG, PG);
	s1 = dev_stats(fx.dev);
	ASSERT_EQ(s1.iotlb_invalidations, s0.iotlb_invalidations);
	/* A larger area: every cached page of it goes, counted once each. */
	test_map_at(fx.ctx, fx.ioas, buf, 3 * PG, V + 20 * PG);
	ASSERT_DMA_EQ(fx.dev, V + 20 * PG, buf, 3 * PG);
	s0 = dev_stats(fx.dev);
	test_unmap_exact(fx.ctx, fx.ioas, V + 20 * PG, 3 * PG);
	s1 = dev_stats(fx.dev);
	ASSERT_EQ(s1.iotlb_invalidations - s0.iotlb_invalidations, 3);
	ASSERT_READ_FAULTS(fx.dev, V + 22 * PG, 8, V + 22 * PG,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_DMA_EQ(fx.dev, V + 2 * PG, buf + 2 * PG, PG);
	tfx_close(&fx);
}

/*
 * Two areas that together make one 2 MiB block, 2 MiB aligned in IOVA and
 * contiguous in the host (a single large leaf): unmapping one of them
 * cuts the block, and only its half faults.
 */
TEST(unmap_inside_large_block)
{
	struct tfx fx = tfx_new();
	uint8_t *buf = buf_alloc(2 * MiB, 2 * MiB);
	uint64_t at = 2 * V; /* 2 MiB aligned */

	pat_fill(buf, 2 * MiB, 3);
	test_map_at(fx.ctx, fx.ioas, buf, 1 * MiB, at);
	test_map_at(fx.ctx, fx.ioas, buf + 1 * MiB, 1 * MiB, at + 1 * MiB);
	ASSERT_DMA_EQ(fx.dev, at, buf, 2 * MiB);
	test_unmap_exact(fx.ctx, fx.ioas, at + 1 * MiB, 1 * MiB);
	ASSERT_READ_FAULTS(fx.dev, at + 1 * MiB, 8, at + 1 * MiB,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_READ_FAULTS(fx.dev, at + 2 * MiB - 8, 8, at + 2 * MiB - 8,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_DMA_EQ(fx.dev, at, buf, 1 * MiB);
	/* Joined again. */
	test_map_at(fx.ctx, fx.ioas, buf + 1 * MiB, 1 * MiB, at + 1 * MiB);
	ASSERT_DMA_EQ(fx.dev, at, buf, 2 * MiB);
	ASSERT_NO_FAULTS(fx.dev);
	tfx_close(&fx);
}

/* The same IOVA, remapped to other memory: DMA reads the new memory. */
TEST(remap_reads_new_memory)
{
	struct tfx fx = tfx_new();
	uint8_t *a = buf_alloc(2 * PG, 2 * PG), *b = buf_alloc(2 * PG, 2 * PG);
	int fd = memfd_new(4 * PG, 6);
	uint8_t *fmap = fd_mmap(fd, 4 * PG, 0);
	uint64_t iova = V;
	uint8_t w[16];
	int i;

	pat_fill(a, 2 * PG, 4);
	pat_fill(b, 2 * PG, 5);
	test_map_at(fx.ctx, fx.ioas, a, 2 * PG, V);
	ASSERT_DMA_PAT(fx.dev, V, 2 * PG, 4);
	ASSERT_DMA_PAT(fx.dev, V, 2 * PG, 4);
	test_unmap_exact(fx.ctx, fx.ioas, V, 2 * PG);
	test_map_at(fx.ctx, fx.ioas, b, 2 * PG, V);
	ASSERT_DMA_PAT(fx.dev, V, 2 * PG, 5);
	/* Writes too. */
	memset(w, 0x42, sizeof(w));
	ASSERT_OK(pm_dma_write(fx.dev, V + PG, w, sizeof(w)));
	ASSERT_EQ(b[PG], 0x42);
	ASSERT_PAT(a, 2 * PG, 4);
	/* To a file, at another offset, read-only: the new permission too. */
	test_unmap_exact(fx.ctx, fx.ioas, V, 2 * PG);
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 2 * PG, 2 * PG, &iova,
			   FIXED_RO);
	ASSERT_DMA_EQ(fx.dev, V, fmap + 2 * PG, 2 * PG);
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + PG, w, sizeof(w)));
	ASSERT_ONE_FAULT(fx.dev, V + PG, PM_DMA_FAULT_READONLY, 1);
	/* And back to writable memory: no stale read-only entry. */
	test_unmap_exact(fx.ctx, fx.ioas, V, 2 * PG);
	test_map_at(fx.ctx, fx.ioas, a, 2 * PG, V);
	ASSERT_OK(pm_dma_write(fx.dev, V + PG, w, sizeof(w)));
	ASSERT_EQ(a[PG], 0x42);
	/* Many rounds, alternating. */
	for (i = 0; i < 50; i++) {
		uint8_t *m = i & 1 ? a : b;

		test_unmap_exact(fx.ctx, fx.ioas, V, 2 * PG);
		test_map_at(fx.ctx, fx.ioas, m, 2 * PG, V);
		ASSERT_DMA_EQ(fx.dev, V + 100, m + 100, PG);
	}
	ASSERT_NO_FAULTS(fx.dev);
	tfx_close(&fx);
	munmap(fmap, 4 * PG);
	close(fd);
}

/* IOVAs that share an IOTLB entry never read each other's memory. */
TEST(aliasing_entries)
{
	struct tfx fx = tfx_new();
	uint8_t *a = buf_alloc(PG, PG), *b = buf_alloc(PG, PG);
	uint8_t *c = buf_alloc(PG, PG);
	uint64_t far = V + (1ULL << 40); /* same index, tag far apart */
	uint64_t h, m;
	int i;

	pat_fill(a, PG, 7);
	pat_fill(b, PG, 8);
	pat_fill(c, PG, 9);
	test_map_at(fx.ctx, fx.ioas, a, PG, V);
	test_map_at(fx.ctx, fx.ioas, b, PG, V + IOTLB_REACH);
	test_map_at(fx.ctx, fx.ioas, c, PG, far);
	for (i = 0; i < 3; i++) {
		ASSERT_DMA_PAT(fx.dev, V, PG, 7);
		ASSERT_DMA_PAT(fx.dev, V + IOTLB_REACH, PG, 8);
		ASSERT_DMA_PAT(fx.dev, far, PG, 9);
	}
	/* Each evicts the other: misses, never hits on a wrong tag. */
	READ_COUNTS(fx.dev, V, 8, h, m);
	ASSERT_EQ(h, 0);
	ASSERT_EQ(m, 1);
	/* An unmap of one leaves the entry of the other alone. */
	test_unmap_exact(fx.ctx, fx.ioas, V + IOTLB_REACH, PG);
	READ_COUNTS(fx.dev, V, 8, h, m);
	ASSERT_EQ(h, 1);
	ASSERT_READ_FAULTS(fx.dev, V + IOTLB_REACH, 8, V + IOTLB_REACH,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_DMA_PAT(fx.dev, far, PG, 9);
	tfx_close(&fx);
}

/*
 * Every IOTLB on the domain is flushed: two devices on one automatic
 * HWPT, and a third on a user HWPT of the same IOAS.
 */
TEST(unmap_flushes_every_device)
{
	struct tfx fx = tfx_new();
	uint32_t id2, user;
	struct pm_device *d2 = dev_new(fx.ctx, "tlb2", &id2);
	struct pm_device *d3 = dev_new(fx.ctx, "tlb3", NULL);
	struct pm_device *devs[3] = { fx.dev, d2, d3 };
	struct pm_device_stats s0[3];
	uint8_t *buf = buf_alloc(2 * PG, 2 * PG);
	int i;

	pat_fill(buf, 2 * PG, 10);
	dev_attach(d2, fx.ioas);
	test_hwpt_alloc(fx.ctx, id2, fx.ioas, 0, &user);
	dev_attach(d3, user);
	test_map_at(fx.ctx, fx.ioas, buf, PG, V);
	test_map_at(fx.ctx, fx.ioas, buf + PG, PG, V + PG);
	for (i = 0; i < 3; i++) {
		ASSERT_DMA_PAT(devs[i], V, 2 * PG, 10);
		s0[i] = dev_stats(devs[i]);
	}
	test_unmap_exact(fx.ctx, fx.ioas, V, PG);
	for (i = 0; i < 3; i++) {
		struct pm_device_stats s1 = dev_stats(devs[i]);
		uint64_t h, m;

		ASSERT_EQ(s1.iotlb_invalidations - s0[i].iotlb_invalidations,
			  1);
		ASSERT_READ_FAULTS(devs[i], V, 8, V, PM_DMA_FAULT_UNMAPPED);
		READ_COUNTS(devs[i], V + PG, 8, h, m);
		ASSERT_EQ(h, 1);
		ASSERT_EQ(m, 0);
	}
	pm_device_destroy(d3);
	pm_device_destroy(d2);
	test_destroy(fx.ctx, user);
	tfx_close(&fx);
}

/* Attach elsewhere: the IOTLB keeps nothing of the old domain. */
TEST(reattach_starts_empty)
{
	struct tfx fx = tfx_new();
	uint32_t other = ioas_new(fx.ctx);
	uint8_t *a = buf_alloc(PG, PG), *b = buf_alloc(PG, PG);
	uint64_t h, m;

	pat_fill(a, PG, 11);
	pat_fill(b, PG, 12);
	test_map_at(fx.ctx, fx.ioas, a, PG, V);
	test_map_at(fx.ctx, other, b, PG, V);
	ASSERT_DMA_PAT(fx.dev, V, PG, 11);
	ASSERT_DMA_PAT(fx.dev, V, PG, 11);
	pm_device_detach(fx.dev);
	dev_attach(fx.dev, other);
	READ_COUNTS(fx.dev, V, 8, h, m);
	ASSERT_EQ(h, 0);
	ASSERT_EQ(m, 1);
	ASSERT_DMA_PAT(fx.dev, V, PG, 12);
	/* An IOVA only the old IOAS maps is not reachable. */
	test_map_at(fx.ctx, fx.ioas, a, PG, V + PG);
	ASSERT_READ_FAULTS(fx.dev, V + PG, 8, V + PG, PM_DMA_FAULT_UNMAPPED);
	tfx_close(&fx);
}

TEST_MAIN()
