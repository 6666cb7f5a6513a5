// SPDX-License-Identifier: MIT
/*
 * Device DMA by IOVA through an IOAS: pm_dma_read/write/rw_sg over maps of
 * user memory (IOMMU_IOAS_MAP) and of memfds (IOMMU_IOAS_MAP_FILE),
 * permission checks, and faults: each is returned as -EFAULT and recorded
 * with its reason and the first IOVA that failed; the fault log keeps the
 * last 64, oldest first. Huge-page backed maps (2 MiB, 1 GiB) skip without
 * free huge pages. The stats count operations, bytes and faults.
 */
#include <linux/memfd.h>
#include "iommu/dev_utils.h"

#define V IOVA_BASE

struct dfx {
	struct pm_iommufd *ctx;
	uint32_t ioas, hwpt;
	struct pm_device *dev;
};

/* A context, an IOAS and a device attached to it. */
static struct dfx dfx_new(void)
{
	struct dfx fx;

	fx.ctx = ictx_open();
	fx.ioas = ioas_new(fx.ctx);
	fx.dev = dev_new(fx.ctx, "dma", NULL);
	fx.hwpt = dev_attach(fx.dev, fx.ioas);
	return fx;
}

static void dfx_close(struct dfx *fx)
{
	pm_device_destroy(fx->dev);
	pm_iommufd_close(fx->ctx);
}

/* IOMMU_IOAS_MAP of user memory: reads and writes at any offset. */
TEST(user_memory_read_write)
{
	struct dfx fx = dfx_new();
	uint8_t *buf = buf_alloc(16 * KiB, 16 * KiB), w[300], r[300];

	pat_fill(buf, 16 * KiB, 1);
	test_map_at(fx.ctx, fx.ioas, buf, 16 * KiB, V);
	ASSERT_DMA_EQ(fx.dev, V, buf, 16 * KiB);
	/* Unaligned, inside a page and across pages. */
	ASSERT_DMA_EQ(fx.dev, V + 7, buf + 7, 100);
	ASSERT_DMA_EQ(fx.dev, V + PG - 3, buf + PG - 3, 2 * PG + 6);
	ASSERT_DMA_EQ(fx.dev, V + 16 * KiB - 1, buf + 16 * KiB - 1, 1);
	/* A write across a page boundary lands in the buffer, nowhere else. */
	pat_fill(w, sizeof(w), 2);
	ASSERT_OK(pm_dma_write(fx.dev, V + 2 * PG - 150, w, sizeof(w)));
	ASSERT_PAT(buf + 2 * PG - 150, sizeof(w), 2);
	ASSERT_PAT(buf, 2 * PG - 150, 1);
	ASSERT_EQ(buf[2 * PG + 150], pat_byte(1, 2 * PG + 150));
	/* A CPU write is what the device reads next. */
	memset(buf + 3 * PG, 0x3c, 64);
	memset(r, 0, sizeof(r));
	ASSERT_OK(pm_dma_read(fx.dev, V + 3 * PG, r, 64));
	ASSERT_EQ(r[0], 0x3c);
	ASSERT_EQ(r[63], 0x3c);
	ASSERT_NO_FAULTS(fx.dev);
	test_unmap_all(fx.ctx, fx.ioas, 16 * KiB);
	dfx_close(&fx);
}

/* IOMMU_IOAS_MAP_FILE of a memfd: DMA reaches the file at the offset. */
TEST(memfd_map_file)
{
	struct dfx fx = dfx_new();
	int fd = memfd_new(64 * KiB, 3);
	uint8_t *map = fd_mmap(fd, 64 * KiB, 0), w[100];
	uint64_t iova = V;

	test_ioas_map_file(fx.ctx, fx.ioas, fd, 8 * KiB, 16 * KiB, &iova,
			   FIXED_RW);
	ASSERT_U64_EQ(iova, V);
	ASSERT_DMA_EQ(fx.dev, V, map + 8 * KiB, 16 * KiB);
	ASSERT_DMA_EQ(fx.dev, V + PG + 1, map + 8 * KiB + PG + 1, 2 * PG);
	pat_fill(w, sizeof(w), 4);
	ASSERT_OK(pm_dma_write(fx.dev, V + PG - 50, w, sizeof(w)));
	ASSERT_PAT(map + 8 * KiB + PG - 50, sizeof(w), 4);
	/* The write is in the file itself. */
	{
		uint8_t r[100];

		ASSERT_EQ(pread(fd, r, sizeof(r), 8 * KiB + PG - 50),
			  sizeof(r));
		ASSERT_PAT(r, sizeof(r), 4);
	}
	/* The end of the mapped window is the end of what DMA reaches. */
	ASSERT_READ_FAULTS(fx.dev, V + 16 * KiB - 8, 16, V + 16 * KiB,
			   PM_DMA_FAULT_UNMAPPED);
	/* Read-only, by automatic IOVA. */
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, 8 * KiB, &iova, RO);
	ASSERT_DMA_EQ(fx.dev, iova, map, 8 * KiB);
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, iova + 8, w, 8));
	ASSERT_ONE_FAULT(fx.dev, iova + 8, PM_DMA_FAULT_READONLY, 1);
	ASSERT_PAT(map, 8 * KiB, 3);
	dfx_close(&fx);
	munmap(map, 64 * KiB);
	close(fd);
}

/* Writes to a read-only mapping fault; reads work; memory unchanged. */
TEST(readonly_mapping)
{
	struct dfx fx = dfx_new();
	uint8_t *rw = buf_alloc(2 * PG, 2 * PG);
	uint8_t *ro = buf_alloc(2 * PG, 2 * PG);
	uint8_t w[64];

	pat_fill(rw, 2 * PG, 5);
	pat_fill(ro, 2 * PG, 6);
	test_map_at(fx.ctx, fx.ioas, rw, 2 * PG, V);
	test_ioas_map(fx.ctx, fx.ioas, ro, 2 * PG, &(uint64_t){ V + 2 * PG },
		      FIXED_RO);
	ASSERT_DMA_PAT(fx.dev, V + 2 * PG, 2 * PG, 6);
	memset(w, 0x77, sizeof(w));
	/* Translation cached by the read, or not: the same refusal. */
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + 2 * PG + 5, w, sizeof(w)));
	ASSERT_ONE_FAULT(fx.dev, V + 2 * PG + 5, PM_DMA_FAULT_READONLY, 1);
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + 3 * PG, w, sizeof(w)));
	ASSERT_ONE_FAULT(fx.dev, V + 3 * PG, PM_DMA_FAULT_READONLY, 1);
	ASSERT_PAT(ro, 2 * PG, 6);
	/* From the writable map into the read-only one: the first RO byte. */
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + 2 * PG - 32, w, sizeof(w)));
	ASSERT_ONE_FAULT(fx.dev, V + 2 * PG, PM_DMA_FAULT_READONLY, 1);
	ASSERT_PAT(ro, 2 * PG, 6);
	/* Reads across both are fine. */
	ASSERT_OK(pm_dma_read(fx.dev, V + 2 * PG - 32, w, sizeof(w)));
	ASSERT_NO_FAULTS(fx.dev);
	dfx_close(&fx);
}

/* No translation: UNMAPPED at the exact IOVA, read or write. */
TEST(unmapped_iova)
{
	struct dfx fx = dfx_new();
	uint8_t *buf = buf_alloc(PG, PG), b[32];

	memset(b, 0x11, sizeof(b));
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V + 5, b, sizeof(b)));
	ASSERT_ONE_FAULT(fx.dev, V + 5, PM_DMA_FAULT_UNMAPPED, 0);
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, 0, b, sizeof(b)));
	ASSERT_ONE_FAULT(fx.dev, 0, PM_DMA_FAULT_UNMAPPED, 1);
	/* Mapped, then unmapped again. */
	test_map_at(fx.ctx, fx.ioas, buf, PG, V);
	ASSERT_OK(pm_dma_read(fx.dev, V + 5, b, sizeof(b)));
	test_unmap_exact(fx.ctx, fx.ioas, V, PG);
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V + 5, b, sizeof(b)));
	ASSERT_ONE_FAULT(fx.dev, V + 5, PM_DMA_FAULT_UNMAPPED, 0);
	/* Beyond the aperture; bits above 48 do not alias lower IOVAs. */
	test_map_at(fx.ctx, fx.ioas, buf, PG, V);
	ASSERT_OK(pm_dma_read(fx.dev, V, b, 8));
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V + (1ULL << 48), b, 8));
	ASSERT_ONE_FAULT(fx.dev, V + (1ULL << 48), PM_DMA_FAULT_UNMAPPED, 0);
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V | (1ULL << 63), b, 8));
	ASSERT_ONE_FAULT(fx.dev, V | (1ULL << 63), PM_DMA_FAULT_UNMAPPED, 0);
	dfx_close(&fx);
}

/* A transfer running off the end of a map faults at the first bad IOVA. */
TEST(crossing_into_unmapped)
{
	struct dfx fx = dfx_new();
	uint8_t *buf = buf_alloc(4 * PG, 4 * PG), b[5 * PG];

	pat_fill(buf, 4 * PG, 7);
	test_map_at(fx.ctx, fx.ioas, buf, PG, V);
	ASSERT_READ_FAULTS(fx.dev, V + PG - 100, 200, V + PG,
			   PM_DMA_FAULT_UNMAPPED);
	/* Four contiguous pages (coalesced into one copy), then a hole. */
	test_map_at(fx.ctx, fx.ioas, buf + PG, 3 * PG, V + PG);
	ASSERT_READ_FAULTS(fx.dev, V + 100, 4 * PG, V + 4 * PG,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + 3 * PG, b, 2 * PG));
	ASSERT_ONE_FAULT(fx.dev, V + 4 * PG, PM_DMA_FAULT_UNMAPPED, 1);
	/* A hole in the middle: the first page of it. */
	test_map_at(fx.ctx, fx.ioas, buf, PG, V + 6 * PG);
	ASSERT_READ_FAULTS(fx.dev, V + 3 * PG, 4 * PG, V + 4 * PG,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V, b, 5 * PG));
	ASSERT_ONE_FAULT(fx.dev, V + 4 * PG, PM_DMA_FAULT_UNMAPPED, 0);
	dfx_close(&fx);
}

/*
 * The caller munmaps memory it mapped by address (docs/design-iommu.md:
 * later DMA faults, recorded, instead of reaching the old page). A
 * transfer from the live page into the gone one faults at the gone one.
 */
TEST(munmapped_user_memory)
{
	struct dfx fx = dfx_new();
	uint8_t *buf = buf_alloc(2 * PG, 2 * PG), b[2 * PG];

	pat_fill(buf, 2 * PG, 8);
	test_map_at(fx.ctx, fx.ioas, buf, 2 * PG, V);
	ASSERT_DMA_PAT(fx.dev, V, 2 * PG, 8);
	ASSERT_SYS(munmap(buf + PG, PG));
	ASSERT_DMA_PAT(fx.dev, V, PG, 8);
	ASSERT_READ_FAULTS(fx.dev, V + PG + 16, 16, V + PG + 16,
			   PM_DMA_FAULT_MEMORY);
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V, b, 2 * PG));
	ASSERT_ONE_FAULT(fx.dev, V + PG, PM_DMA_FAULT_MEMORY, 0);
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + PG - 8, b, 16));
	ASSERT_ONE_FAULT(fx.dev, V + PG, PM_DMA_FAULT_MEMORY, 1);
	test_unmap_all(fx.ctx, fx.ioas, 2 * PG);
	dfx_close(&fx);
}

/* Scatter-gather: in order, stopping at the first fault. */
TEST(scatter_gather)
{
	struct dfx fx = dfx_new();
	uint8_t *buf = buf_alloc(8 * PG, 8 * PG);
	uint8_t a[100], b[PG + 10], c[7], r1[100], r2[PG + 10], r3[7];
	struct pm_dma_sg w_sg[] = {
		{ V + 6 * PG + 1, a, sizeof(a) },
		{ V + PG - 5, b, sizeof(b) },
		{ V + 4 * PG, c, sizeof(c) },
	};
	struct pm_dma_sg r_sg[] = {
		{ V + 6 * PG + 1, r1, sizeof(r1) },
		{ V + PG - 5, r2, sizeof(r2) },
		{ V + 4 * PG, r3, sizeof(r3) },
	};
	struct pm_dma_sg bad_sg[] = {
		{ V, a, sizeof(a) },
		{ V + 8 * PG - 10, b, 20 },
		{ V + 2 * PG, c, sizeof(c) },
	};

	memset(buf, 0, 8 * PG);
	test_map_at(fx.ctx, fx.ioas, buf, 8 * PG, V);
	pat_fill(a, sizeof(a), 9);
	pat_fill(b, sizeof(b), 10);
	pat_fill(c, sizeof(c), 11);
	ASSERT_OK(pm_dma_rw_sg(fx.dev, w_sg, 3, 1));
	ASSERT_PAT(buf + 6 * PG + 1, sizeof(a), 9);
	ASSERT_PAT(buf + PG - 5, sizeof(b), 10);
	ASSERT_PAT(buf + 4 * PG, sizeof(c), 11);
	ASSERT_OK(pm_dma_rw_sg(fx.dev, r_sg, 3, 0));
	ASSERT_PAT(r1, sizeof(r1), 9);
	ASSERT_PAT(r2, sizeof(r2), 10);
	ASSERT_PAT(r3, sizeof(r3), 11);
	ASSERT_NO_FAULTS(fx.dev);
	/* The second element runs off the map: the third never happens. */
	memset(buf, 0, 8 * PG);
	ASSERT_ERR(EFAULT, pm_dma_rw_sg(fx.dev, bad_sg, 3, 1));
	ASSERT_PAT(buf, sizeof(a), 9);
	ASSERT_TRUE(all_zero(buf + 2 * PG, PG));
	ASSERT_ONE_FAULT(fx.dev, V + 8 * PG, PM_DMA_FAULT_UNMAPPED, 1);
	/* Empty lists. */
	ASSERT_OK(pm_dma_rw_sg(fx.dev, NULL, 0, 0));
	ASSERT_ERR(EINVAL, pm_dma_rw_sg(fx.dev, NULL, 1, 0));
	dfx_close(&fx);
}

/* Arguments: a zero length is nothing; bad ones are not device faults. */
TEST(arguments)
{
	struct dfx fx = dfx_new();
	uint8_t *buf = buf_alloc(PG, PG), b[8];
	struct pm_dma_fault f;

	test_map_at(fx.ctx, fx.ioas, buf, PG, V);
	ASSERT_OK(pm_dma_read(fx.dev, V + 3 * PG, b, 0));
	ASSERT_OK(pm_dma_write(fx.dev, V, NULL, 0));
	ASSERT_ERR(EINVAL, pm_dma_read(fx.dev, V, NULL, 8));
	ASSERT_ERR(EINVAL, pm_dma_read(NULL, V, b, 8));
	ASSERT_ERR(EOVERFLOW, pm_dma_read(fx.dev, UINT64_MAX - 3, b, 8));
	ASSERT_ERR(EINVAL, pm_device_read_faults(fx.dev, NULL, 1));
	ASSERT_EQ(pm_device_read_faults(fx.dev, NULL, 0), 0);
	ASSERT_EQ(pm_device_read_faults(fx.dev, &f, 1), 0);
	ASSERT_EQ(dev_stats(fx.dev).faults, 0);
	ASSERT_ERR(EINVAL, pm_device_get_stats(fx.dev, NULL));
	dfx_close(&fx);
}

/* The fault log: oldest first, partial reads, the last 64 kept. */
TEST(fault_log_order_and_overflow)
{
	struct dfx fx = dfx_new();
	uint8_t *buf = buf_alloc(PG, PG), b[8];
	struct pm_dma_fault f[80];
	uint64_t base;
	int i, n;

	test_ioas_map(fx.ctx, fx.ioas, buf, PG, &(uint64_t){ V }, FIXED_RO);
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V + 10 * PG, b, 8));
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + 16, b, 8));
	ASSERT_ERR(EFAULT, pm_dma_write(fx.dev, V + 20 * PG + 1, b, 8));
	pm_device_detach(fx.dev);
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V + 30 * PG, b, 8));
	ASSERT_EQ(dev_stats(fx.dev).faults, 4);
	/* Two now, two later, then none. */
	n = pm_device_read_faults(fx.dev, f, 2);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(f[0].iova, V + 10 * PG);
	ASSERT_EQ(f[0].reason, PM_DMA_FAULT_UNMAPPED);
	ASSERT_EQ(f[0].write, 0);
	ASSERT_U64_EQ(f[1].iova, V + 16);
	ASSERT_EQ(f[1].reason, PM_DMA_FAULT_READONLY);
	ASSERT_EQ(f[1].write, 1);
	n = pm_device_read_faults(fx.dev, f, 80);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(f[0].iova, V + 20 * PG + 1);
	ASSERT_EQ(f[0].reason, PM_DMA_FAULT_UNMAPPED);
	ASSERT_EQ(f[0].write, 1);
	ASSERT_U64_EQ(f[1].iova, V + 30 * PG);
	ASSERT_EQ(f[1].reason, PM_DMA_FAULT_DETACHED);
	ASSERT_EQ(pm_device_read_faults(fx.dev, f, 80), 0);

	/* 70 faults: the first 6 are overwritten, but all are counted. */
	base = V + 100 * PG;
	for (i = 0; i < 70; i++)
		ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, base + i * PG, b, 1));
	ASSERT_EQ(dev_stats(fx.dev).faults, 74);
	n = pm_device_read_faults(fx.dev, f, 80);
	ASSERT_EQ(n, 64);
	for (i = 0; i < 64; i++)
		ASSERT_U64_EQ(f[i].iova, base + (uint64_t)(i + 6) * PG);
	ASSERT_EQ(pm_device_read_faults(fx.dev, f, 80), 0);
	/* The reasons have names, all different. */
	for (i = PM_DMA_FAULT_UNMAPPED; i <= PM_DMA_FAULT_MEMORY; i++) {
		int j;

		ASSERT_TRUE(pm_dma_fault_reason_name(i));
		for (j = PM_DMA_FAULT_UNMAPPED; j < i; j++)
			ASSERT_NE(strcmp(pm_dma_fault_reason_name(i),
					 pm_dma_fault_reason_name(j)),
				  0);
	}
	dfx_close(&fx);
}

/* Stats: operations, bytes and faults of this device only. */
TEST(stats_counters)
{
	struct dfx fx = dfx_new();
	struct pm_device *other = dev_new(fx.ctx, "other", NULL);
	uint8_t *buf = buf_alloc(4 * PG, 4 * PG), b[3 * PG];
	struct pm_device_stats st = dev_stats(fx.dev);

	ASSERT_EQ(st.dma_ops, 0);
	ASSERT_EQ(st.dma_bytes, 0);
	ASSERT_EQ(st.faults, 0);
	ASSERT_EQ(st.iotlb_hits, 0);
	ASSERT_EQ(st.iotlb_misses, 0);
	ASSERT_EQ(st.iotlb_invalidations, 0);
	test_map_at(fx.ctx, fx.ioas, buf, 4 * PG, V);
	ASSERT_OK(pm_dma_read(fx.dev, V, b, 10));
	ASSERT_OK(pm_dma_write(fx.dev, V + 5, b, PG));
	ASSERT_OK(pm_dma_read(fx.dev, V + PG, b, 3 * PG));
	st = dev_stats(fx.dev);
	ASSERT_EQ(st.dma_ops, 3);
	ASSERT_EQ(st.dma_bytes, 10 + PG + 3 * PG);
	ASSERT_EQ(st.faults, 0);
	ASSERT_GT(st.iotlb_misses, 0);
	/* A fault at the first byte: counted, no bytes. */
	ASSERT_ERR(EFAULT, pm_dma_read(fx.dev, V + 8 * PG, b, 10));
	st = dev_stats(fx.dev);
	ASSERT_EQ(st.faults, 1);
	ASSERT_EQ(st.dma_bytes, 10 + PG + 3 * PG);
	/* The other device saw nothing. */
	st = dev_stats(other);
	ASSERT_EQ(st.dma_ops + st.dma_bytes + st.faults + st.iotlb_hits +
			  st.iotlb_misses,
		  0);
	pm_device_destroy(other);
	dfx_close(&fx);
}

/*
 * @npages huge pages of @size from hugetlbfs (a memfd), mapped whole at
 * IOVA @iova (aligned to @size) by MAP_FILE and, through the test's own
 * mapping, by MAP at @iova2. SKIP without free huge pages.
 */
static void huge_dma(size_t size, unsigned int huge_flag, const char *free_path,
		     unsigned int npages)
{
	struct dfx fx;
	size_t len = size * npages;
	uint64_t iova = 4 * size, iova2 = 8 * size, at;
	uint8_t *map, b[2 * PG], w[2 * PG];
	int fd;

	if (free_hugepages(free_path) < (long)npages)
		SKIP("%u free huge pages of %zu MiB needed (%s)", npages,
		     size >> 20, free_path);
	fd = memfd_create("iommu-huge", MFD_CLOEXEC | MFD_HUGETLB | huge_flag);
	if (fd < 0)
		SKIP("memfd_create(MFD_HUGETLB): %s", strerror(errno));
	if (ftruncate(fd, (off_t)len))
		SKIP("ftruncate of a hugetlbfs memfd: %s", strerror(errno));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		   fd, 0);
	if (map == MAP_FAILED)
		SKIP("mmap of %u huge pages: %s", npages, strerror(errno));
	fx = dfx_new();
	/* Patterns near every edge (filling GiBs would be slow). */
	for (at = 0; at < len; at += size) {
		pat_fill(map + at, 2 * PG, (uint32_t)(at / size) + 20);
		pat_fill(map + at + size / 2, PG, 30);
		pat_fill(map + at + size - 2 * PG, 2 * PG,
			 (uint32_t)(at / size) + 40);
	}
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, len, &iova, FIXED_RW);
	test_map_at(fx.ctx, fx.ioas, map, len, iova2);
	for (at = 0; at < len; at += size) {
		ASSERT_DMA_EQ(fx.dev, iova + at, map + at, 2 * PG);
		ASSERT_DMA_EQ(fx.dev, iova2 + at + size / 2,
			      map + at + size / 2, PG);
		ASSERT_DMA_EQ(fx.dev, iova + at + size - 2 * PG,
			      map + at + size - 2 * PG, 2 * PG);
	}
	/* Across the boundary between two huge pages, both ways. */
	if (npages > 1) {
		ASSERT_OK(pm_dma_read(fx.dev, iova + size - PG, b, sizeof(b)));
		ASSERT_TRUE(!memcmp(b, map + size - PG, sizeof(b)));
		pat_fill(w, sizeof(w), 50);
		ASSERT_OK(pm_dma_write(fx.dev, iova2 + size - 100, w,
				       sizeof(w)));
		ASSERT_PAT(map + size - 100, sizeof(w), 50);
	}
	/* A write through one map is read through the other. */
	pat_fill(w, sizeof(w), 51);
	ASSERT_OK(pm_dma_write(fx.dev, iova + len - 2 * PG, w, sizeof(w)));
	ASSERT_DMA_PAT(fx.dev, iova2 + len - 2 * PG, sizeof(w), 51);
	/* The end of the huge map is its end. */
	ASSERT_READ_FAULTS(fx.dev, iova + len - 8, 16, iova + len,
			   PM_DMA_FAULT_UNMAPPED);
	ASSERT_NO_FAULTS(fx.dev);
	test_unmap_exact(fx.ctx, fx.ioas, iova, len);
	ASSERT_READ_FAULTS(fx.dev, iova, 8, iova, PM_DMA_FAULT_UNMAPPED);
	ASSERT_DMA_PAT(fx.dev, iova2 + len - 2 * PG, sizeof(w), 51);
	dfx_close(&fx);
	munmap(map, len);
	close(fd);
}

TEST(hugetlb_2m)
{
	huge_dma(2 * MiB, MFD_HUGE_2MB, HUGE_2M_FREE, 2);
}

TEST(hugetlb_1g)
{
	huge_dma(1 * GiB, MFD_HUGE_1GB, HUGE_1G_FREE, 1);
}

TEST_MAIN()
