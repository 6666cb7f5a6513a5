// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/iommu/io_pgtable.c (the emulated IOMMU's IO page
 * table) and lib/iommu/emu_domain.c (the domain around it).
 *
 * The page table never dereferences the host addresses it stores, so the
 * "kva"s here are synthetic: a fixed base plus the IOVA (contiguous, so
 * neighbouring maps can merge), or that shifted by 2 MiB or 4 KiB steps
 * (not mergeable at the sizes those break), or another base.
 *
 * The reference model is an array of 4 KiB pages (kva | prot | present)
 * over a window that crosses a 512 GiB (level-4) boundary. The table's
 * shape is canonical (io_pgtable.c): it depends only on what is mapped,
 * so the model predicts not only every lookup but also the leaf counts,
 * the number of tables and the cut reserve exactly.
 *
 * The generator is a fixed-seed splitmix64 (IO_PGTABLE_SEED overrides the
 * seed), so a failure replays.
 */
#include <pthread.h>
#include <time.h>
#include "harness.h"
#include <privmem/privmem.h>
#include "common/compiler.h"
#include "common/err.h"
#include "iommu/io_pgtable.h"
#include "iommu/iommufd_private.h"

#define RW (IOMMU_READ | IOMMU_WRITE)
#define ALL_SIZES (SZ_4K | SZ_2M | SZ_1G)
#define SZ_512G (512 * SZ_1G)
#define RESERVE_1G 513
/* Synthetic host addresses: 16 TiB, 1 GiB aligned. */
#define KBASE 0x100000000000ULL
#define TABLE_BYTES 4104 /* 512 entries and a count */

static u64 rng_state;

static void rnd_seed(u64 seed)
{
	const char *s = getenv("IO_PGTABLE_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : seed;
}

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct io_pgtable *new_pgt(u64 bitmap)
{
	struct io_pgtable *pgt = io_pgtable_alloc(bitmap);

	if (IS_ERR(pgt))
		FAIL("io_pgtable_alloc(0x%llx): %ld",
		     (unsigned long long)bitmap, PTR_ERR(pgt));
	return pgt;
}

static void *kv(u64 a)
{
	return (void *)(uintptr_t)a;
}

static struct io_pgtable_stats stats(struct io_pgtable *pgt)
{
	struct io_pgtable_stats st;

	io_pgtable_get_stats(pgt, &st);
	return st;
}

static void expect_shape(struct io_pgtable *pgt, u64 n4k, u64 n2m, u64 n1g,
			 u64 tables, int line)
{
	struct io_pgtable_stats st = stats(pgt);

	if (st.leaves[0] != n4k || st.leaves[1] != n2m || st.leaves[2] != n1g ||
	    st.nr_tables != tables || st.table_bytes != tables * TABLE_BYTES ||
	    st.reserve_tables != n2m + RESERVE_1G * n1g ||
	    st.reserve_bytes != st.reserve_tables * TABLE_BYTES)
		FAIL("line %d: leaves %llu/%llu/%llu tables %llu reserve %llu, "
		     "expected %llu/%llu/%llu tables %llu reserve %llu",
		     line, (unsigned long long)st.leaves[0],
		     (unsigned long long)st.leaves[1],
		     (unsigned long long)st.leaves[2],
		     (unsigned long long)st.nr_tables,
		     (unsigned long long)st.reserve_tables,
		     (unsigned long long)n4k, (unsigned long long)n2m,
		     (unsigned long long)n1g, (unsigned long long)tables,
		     (unsigned long long)(n2m + RESERVE_1G * n1g));
}
#define SHAPE(pgt, n4k, n2m, n1g, tables)                                      \
	expect_shape(pgt, n4k, n2m, n1g, tables, __LINE__)

static void expect_xlate(struct io_pgtable *pgt, u64 iova, u64 kva, int prot,
			 unsigned int level, int line)
{
	unsigned int l = 0;
	void *k = NULL;
	int p = -1, rc;

	rc = io_pgtable_lookup(pgt, iova, &k, &p, &l);
	if (rc || (u64)(uintptr_t)k != kva || p != prot || l != level)
		FAIL("line %d: lookup 0x%llx: rc %d kva 0x%llx prot %d "
		     "level %u, expected kva 0x%llx prot %d level %u",
		     line, (unsigned long long)iova, rc,
		     (unsigned long long)(uintptr_t)k, p, l,
		     (unsigned long long)kva, prot, level);
}
#define XLATE(pgt, iova, kva, prot, level)                                     \
	expect_xlate(pgt, iova, kva, prot, level, __LINE__)

#define NOXLATE(pgt, iova)                                                     \
	do {                                                                   \
		void *__k;                                                     \
		ASSERT_ERR(ENOENT, io_pgtable_lookup(pgt, iova, &__k, NULL,    \
						     NULL));                   \
	} while (0)

/* --------------------------------------------------------- basics */

TEST(arguments)
{
	struct io_pgtable *pgt;
	u64 top = IO_PGTABLE_IOVA_LAST + 1;

	ASSERT_EQ(PTR_ERR(io_pgtable_alloc(0)), -EINVAL);
	ASSERT_EQ(PTR_ERR(io_pgtable_alloc(SZ_2M | SZ_1G)), -EINVAL);
	ASSERT_EQ(PTR_ERR(io_pgtable_alloc(SZ_4K | 0x2000)), -EINVAL);
	ASSERT_EQ(PTR_ERR(io_pgtable_alloc(SZ_4K | SZ_512G)), -EINVAL);

	pgt = new_pgt(ALL_SIZES);
	SHAPE(pgt, 0, 0, 0, 1);
	ASSERT_ERR(EINVAL, io_pgtable_map(pgt, 0, kv(KBASE), 0, RW));
	ASSERT_ERR(EINVAL, io_pgtable_map(pgt, 0x800, kv(KBASE), SZ_4K, RW));
	ASSERT_ERR(EINVAL, io_pgtable_map(pgt, 0, kv(KBASE + 8), SZ_4K, RW));
	ASSERT_ERR(EINVAL, io_pgtable_map(pgt, 0, kv(KBASE), 100, RW));
	ASSERT_ERR(EINVAL, io_pgtable_map(pgt, 0, kv(KBASE), SZ_4K, 4));
	/* The aperture is [0, 2^48 - 1]. */
	ASSERT_ERR(EINVAL, io_pgtable_map(pgt, top, kv(KBASE), SZ_4K, RW));
	ASSERT_ERR(EINVAL,
		   io_pgtable_map(pgt, top - SZ_4K, kv(KBASE), 2 * SZ_4K, RW));
	ASSERT_ERR(EINVAL, io_pgtable_map(pgt, UINT64_MAX - SZ_4K + 1,
					  kv(KBASE), 2 * SZ_4K, RW));
	ASSERT_ERR(EINVAL, io_pgtable_map(pgt, 0, kv(UINT64_MAX - SZ_4K + 1),
					  2 * SZ_4K, RW));
	SHAPE(pgt, 0, 0, 0, 1);

	/* The last page and the first page of the aperture. */
	ASSERT_OK(io_pgtable_map(pgt, top - SZ_4K, kv(KBASE), SZ_4K, RW));
	ASSERT_OK(io_pgtable_map(pgt, 0, kv(KBASE + SZ_4K), SZ_4K, IOMMU_READ));
	XLATE(pgt, top - 1, KBASE + SZ_4K - 1, RW, 1);
	XLATE(pgt, 5, KBASE + SZ_4K + 5, IOMMU_READ, 1);
	NOXLATE(pgt, top);
	NOXLATE(pgt, UINT64_MAX);
	NOXLATE(pgt, SZ_4K);
	/* Lookups may leave out prot and level. */
	{
		void *k;

		ASSERT_OK(io_pgtable_lookup(pgt, 7, &k, NULL, NULL));
		ASSERT_U64_EQ((uintptr_t)k, KBASE + SZ_4K + 7);
	}
	/* A mapping without permissions is still a translation. */
	ASSERT_OK(io_pgtable_map(pgt, SZ_1G, kv(KBASE), SZ_4K, 0));
	XLATE(pgt, SZ_1G, KBASE, 0, 1);

	ASSERT_EQ(io_pgtable_unmap(pgt, 0, 0), 0);
	ASSERT_EQ(io_pgtable_unmap(pgt, top, SZ_4K), 0);
	/* Past the aperture or wrapping: clamped. */
	ASSERT_EQ(io_pgtable_unmap(pgt, top - SZ_4K, 16 * SZ_4K), SZ_4K);
	ASSERT_EQ(io_pgtable_unmap(pgt, 0, ALIGN_DOWN(UINT64_MAX, SZ_4K)),
		  2 * SZ_4K);
	SHAPE(pgt, 0, 0, 0, 1);
	io_pgtable_free(pgt);
}

TEST(leaf_sizes)
{
	struct io_pgtable *pgt = new_pgt(ALL_SIZES);
	u64 base = 7 * SZ_1G;

	/* 1 GiB: iova and kva aligned, the range covers it. */
	ASSERT_OK(io_pgtable_map(pgt, base, kv(KBASE + base), SZ_1G, RW));
	SHAPE(pgt, 0, 0, 1, 2);
	XLATE(pgt, base + 0x12345, KBASE + base + 0x12345, RW, 3);
	XLATE(pgt, base + SZ_1G - 1, KBASE + base + SZ_1G - 1, RW, 3);
	NOXLATE(pgt, base + SZ_1G);
	NOXLATE(pgt, base - 1);

	/* kva only 2 MiB aligned: 512 2 MiB leaves. */
	ASSERT_OK(io_pgtable_map(pgt, base + SZ_1G, kv(KBASE + SZ_2M), SZ_1G,
				 IOMMU_READ));
	SHAPE(pgt, 0, 512, 1, 3);
	XLATE(pgt, base + SZ_1G + SZ_2M + 9, KBASE + 2 * SZ_2M + 9, IOMMU_READ,
	      2);

	/* kva only 4 KiB aligned: 4 KiB leaves. */
	ASSERT_OK(io_pgtable_map(pgt, base + 2 * SZ_1G, kv(KBASE + SZ_4K),
				 SZ_2M, RW));
	SHAPE(pgt, 512, 512, 1, 5);
	XLATE(pgt, base + 2 * SZ_1G + SZ_2M - 1, KBASE + SZ_4K + SZ_2M - 1, RW,
	      1);

	/* A range not covering the block: the largest pieces that fit. */
	ASSERT_OK(io_pgtable_map(pgt, base + 3 * SZ_1G - SZ_4K,
				 kv(KBASE - SZ_4K), SZ_4K + SZ_2M + SZ_4K, RW));
	/* one 4 KiB page, one 2 MiB block, one 4 KiB page */
	SHAPE(pgt, 514, 513, 1, 8);
	XLATE(pgt, base + 3 * SZ_1G - SZ_4K, KBASE - SZ_4K, RW, 1);
	XLATE(pgt, base + 3 * SZ_1G, KBASE, RW, 2);
	XLATE(pgt, base + 3 * SZ_1G + SZ_2M, KBASE + SZ_2M, RW, 1);

	ASSERT_EQ(io_pgtable_unmap(pgt, base, 4 * SZ_1G),
		  2 * SZ_1G + 2 * SZ_2M + 2 * SZ_4K);
	SHAPE(pgt, 0, 0, 0, 1);
	io_pgtable_free(pgt);
}

/* The example of the design: one 1 GiB leaf, cut and joined again. */
TEST(split_and_merge_1g)
{
	struct io_pgtable *pgt = new_pgt(ALL_SIZES);
	u64 b = SZ_1G, k = KBASE + SZ_1G, mid = b + 300 * SZ_2M + 17 * SZ_4K;
	u64 i;

	ASSERT_OK(io_pgtable_map(pgt, b, kv(k), SZ_1G, RW));
	/* One 1 GiB leaf, a table per level above it, 513 in reserve. */
	SHAPE(pgt, 0, 0, 1, 2);

	/* Cut one page out of the middle: 511 2 MiB + 511 4 KiB leaves. */
	ASSERT_EQ(io_pgtable_unmap(pgt, mid, SZ_4K), SZ_4K);
	SHAPE(pgt, 511, 511, 0, 4);
	NOXLATE(pgt, mid);
	XLATE(pgt, mid - 1, k + (mid - 1 - b), RW, 1);
	XLATE(pgt, mid + SZ_4K, k + (mid + SZ_4K - b), RW, 1);
	XLATE(pgt, b, k, RW, 2);
	XLATE(pgt, b + SZ_1G - 1, k + SZ_1G - 1, RW, 2);
	/* Unmapping a hole unmaps nothing. */
	ASSERT_EQ(io_pgtable_unmap(pgt, mid, SZ_4K), 0);

	/* Mapped back the same: merges all the way to 1 GiB. */
	ASSERT_OK(io_pgtable_map(pgt, mid, kv(k + (mid - b)), SZ_4K, RW));
	SHAPE(pgt, 0, 0, 1, 2);
	XLATE(pgt, mid, k + (mid - b), RW, 3);

	/* Mapped back with another kva or prot: no merge. */
	ASSERT_EQ(io_pgtable_unmap(pgt, mid, SZ_4K), SZ_4K);
	ASSERT_OK(io_pgtable_map(pgt, mid, kv(k), SZ_4K, RW));
	SHAPE(pgt, 512, 511, 0, 4);
	ASSERT_EQ(io_pgtable_unmap(pgt, mid, SZ_4K), SZ_4K);
	ASSERT_OK(
		io_pgtable_map(pgt, mid, kv(k + (mid - b)), SZ_4K, IOMMU_READ));
	SHAPE(pgt, 512, 511, 0, 4);
	ASSERT_EQ(io_pgtable_unmap(pgt, mid, SZ_4K), SZ_4K);

	/* A 2 MiB aligned hole: no level-1 table. */
	ASSERT_EQ(io_pgtable_unmap(pgt, b + 300 * SZ_2M, SZ_2M), SZ_2M - SZ_4K);
	SHAPE(pgt, 0, 511, 0, 3);
	/* Two cuts at once, across 2 MiB boundaries. */
	ASSERT_EQ(io_pgtable_unmap(pgt, b + 10 * SZ_2M - SZ_4K,
				   SZ_2M + 2 * SZ_4K),
		  SZ_2M + 2 * SZ_4K);
	SHAPE(pgt, 1022, 508, 0, 5);
	/* Joined back by one map across both, then the hole. */
	ASSERT_OK(io_pgtable_map(pgt, b + 10 * SZ_2M - SZ_4K,
				 kv(k + 10 * SZ_2M - SZ_4K), SZ_2M + 2 * SZ_4K,
				 RW));
	SHAPE(pgt, 0, 511, 0, 3);
	ASSERT_OK(io_pgtable_map(pgt, b + 300 * SZ_2M, kv(k + 300 * SZ_2M),
				 SZ_2M, RW));
	SHAPE(pgt, 0, 0, 1, 2);

	/* Built page by page and block by block, it ends as one leaf. */
	ASSERT_EQ(io_pgtable_unmap(pgt, b, SZ_1G), SZ_1G);
	SHAPE(pgt, 0, 0, 0, 1);
	for (i = 0; i < 512; i++)
		ASSERT_OK(io_pgtable_map(pgt, b + 5 * SZ_2M + i * SZ_4K,
					 kv(k + 5 * SZ_2M + i * SZ_4K), SZ_4K,
					 RW));
	SHAPE(pgt, 0, 1, 0, 3);
	for (i = 0; i < 512; i++) {
		if (i == 5)
			continue;
		ASSERT_OK(io_pgtable_map(pgt, b + i * SZ_2M, kv(k + i * SZ_2M),
					 SZ_2M, RW));
	}
	SHAPE(pgt, 0, 0, 1, 2);

	/* Unmapping across the leaf's ends. */
	ASSERT_EQ(io_pgtable_unmap(pgt, b - SZ_1G, SZ_1G + SZ_4K), SZ_4K);
	SHAPE(pgt, 511, 511, 0, 4);
	ASSERT_EQ(io_pgtable_unmap(pgt, b + SZ_1G - SZ_4K, SZ_1G), SZ_4K);
	SHAPE(pgt, 1022, 510, 0, 5);
	ASSERT_EQ(io_pgtable_unmap(pgt, 0, 4 * SZ_1G), SZ_1G - 2 * SZ_4K);
	SHAPE(pgt, 0, 0, 0, 1);
	io_pgtable_free(pgt);
}

/* Overlapping maps fail with -EEXIST and change nothing. */
TEST(eexist_changes_nothing)
{
	static const struct {
		u64 iova, len;
	} bad[] = {
		{ 2 * SZ_1G - SZ_4K, 2 * SZ_4K }, /* the 1 GiB leaf's start */
		{ 3 * SZ_1G - SZ_4K, SZ_1G }, /* its end */
		{ 2 * SZ_1G + SZ_2M, SZ_4K }, /* inside */
		{ 0, 8 * SZ_1G }, /* everything */
		{ 4 * SZ_1G, 2 * SZ_2M }, /* a 2 MiB leaf's start */
		{ 4 * SZ_1G + 5 * SZ_4K, SZ_4K }, /* a lone page */
		{ 4 * SZ_1G + 4 * SZ_4K, 3 * SZ_4K }, /* around it */
		{ 5 * SZ_1G, SZ_1G }, /* a 1 GiB block */
	};
	struct io_pgtable *pgt = new_pgt(ALL_SIZES);
	struct io_pgtable_stats before, after;
	unsigned int i;

	ASSERT_OK(io_pgtable_map(pgt, 2 * SZ_1G, kv(KBASE), SZ_1G, RW));
	ASSERT_OK(io_pgtable_map(pgt, 4 * SZ_1G + 5 * SZ_4K, kv(KBASE), SZ_4K,
				 RW));
	ASSERT_OK(io_pgtable_map(pgt, 4 * SZ_1G + SZ_2M, kv(KBASE), SZ_2M, RW));
	ASSERT_OK(io_pgtable_map(pgt, 5 * SZ_1G + SZ_1G - SZ_4K, kv(KBASE),
				 SZ_4K, RW));
	before = stats(pgt);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_ERR(EEXIST, io_pgtable_map(pgt, bad[i].iova,
						  kv(KBASE + 64 * SZ_1G),
						  bad[i].len, IOMMU_READ));
		after = stats(pgt);
		ASSERT_EQ(memcmp(&before, &after, sizeof(before)), 0);
	}
	XLATE(pgt, 2 * SZ_1G + 5, KBASE + 5, RW, 3);
	XLATE(pgt, 4 * SZ_1G + SZ_2M, KBASE, RW, 2);
	XLATE(pgt, 4 * SZ_1G + 5 * SZ_4K, KBASE, RW, 1);
	NOXLATE(pgt, 4 * SZ_1G);
	NOXLATE(pgt, 4 * SZ_1G + 4 * SZ_4K);
	NOXLATE(pgt, 5 * SZ_1G);
	ASSERT_EQ(io_pgtable_unmap(pgt, 0, 8 * SZ_1G),
		  SZ_1G + SZ_2M + 2 * SZ_4K);
	SHAPE(pgt, 0, 0, 0, 1);
	io_pgtable_free(pgt);
}

/* The leaf sizes follow the bitmap, in maps, cuts and merges. */
TEST(pgsize_bitmaps)
{
	struct io_pgtable *pgt;
	u64 b = SZ_1G, mid = b + 77 * SZ_2M + 3 * SZ_4K;

	/* 4 KiB only: a 1 GiB map is 512 level-1 tables. */
	pgt = new_pgt(SZ_4K);
	ASSERT_OK(io_pgtable_map(pgt, b, kv(KBASE), SZ_1G, RW));
	SHAPE(pgt, 512 * 512, 0, 0, 1 + 1 + 1 + 512);
	XLATE(pgt, mid, KBASE + mid - b, RW, 1);
	ASSERT_EQ(io_pgtable_unmap(pgt, b, SZ_1G), SZ_1G);
	SHAPE(pgt, 0, 0, 0, 1);
	io_pgtable_free(pgt);

	/* 4 KiB and 2 MiB. */
	pgt = new_pgt(SZ_4K | SZ_2M);
	ASSERT_OK(io_pgtable_map(pgt, b, kv(KBASE), SZ_1G, RW));
	SHAPE(pgt, 0, 512, 0, 3);
	ASSERT_EQ(io_pgtable_unmap(pgt, mid, SZ_4K), SZ_4K);
	SHAPE(pgt, 511, 511, 0, 4);
	ASSERT_OK(io_pgtable_map(pgt, mid, kv(KBASE + mid - b), SZ_4K, RW));
	SHAPE(pgt, 0, 512, 0, 3);
	ASSERT_EQ(io_pgtable_unmap(pgt, b, SZ_1G), SZ_1G);
	io_pgtable_free(pgt);

	/*
	 * 4 KiB and 1 GiB: a cut turns the 1 GiB leaf into 512 level-1
	 * tables at once (513 reserve tables), a completing map turns them
	 * back into one leaf.
	 */
	pgt = new_pgt(SZ_4K | SZ_1G);
	ASSERT_OK(io_pgtable_map(pgt, b, kv(KBASE), SZ_1G, RW));
	SHAPE(pgt, 0, 0, 1, 2);
	ASSERT_EQ(io_pgtable_unmap(pgt, mid, SZ_4K), SZ_4K);
	SHAPE(pgt, 512 * 512 - 1, 0, 0, 2 + 1 + 512);
	XLATE(pgt, mid + SZ_4K, KBASE + mid + SZ_4K - b, RW, 1);
	ASSERT_OK(io_pgtable_map(pgt, mid, kv(KBASE + mid - b), SZ_4K, RW));
	SHAPE(pgt, 0, 0, 1, 2);
	/* A 2 MiB aligned range gets 4 KiB leaves. */
	ASSERT_OK(io_pgtable_map(pgt, 4 * SZ_1G, kv(KBASE), SZ_2M, RW));
	SHAPE(pgt, 512, 0, 1, 4);
	XLATE(pgt, 4 * SZ_1G, KBASE, RW, 1);
	ASSERT_EQ(io_pgtable_unmap(pgt, 0, 8 * SZ_1G), SZ_1G + SZ_2M);
	SHAPE(pgt, 0, 0, 0, 1);
	io_pgtable_free(pgt);
}

/* ------------------------------------------------- the model test */

/* Model page: kva | prot << 1 | 1, or 0 when unmapped. */
#define M_PRESENT 1ULL
#define M_PROT(p) ((u64)(p) << 1)
#define M_KVA(e) ((e) & ~(SZ_4K - 1))

struct model {
	u64 base, npages; /* the window: 1 GiB aligned */
	u64 *pg;
	u64 bitmap;
};

static void model_init(struct model *m, u64 base, u64 size, u64 bitmap)
{
	m->base = base;
	m->npages = size / SZ_4K;
	m->pg = calloc(m->npages, sizeof(u64));
	m->bitmap = bitmap;
	ASSERT_TRUE(m->pg);
}

static u64 *mpage(struct model *m, u64 iova)
{
	return &m->pg[(iova - m->base) / SZ_4K];
}

static bool model_any(struct model *m, u64 iova, u64 len)
{
	u64 i;

	for (i = 0; i < len; i += SZ_4K)
		if (*mpage(m, iova + i))
			return true;
	return false;
}

/* Is [iova, iova + size) one block: mapped, one prot, contiguous, aligned? */
static bool model_block(struct model *m, u64 iova, u64 size)
{
	u64 *p = mpage(m, iova), n = size / SZ_4K, i;

	if (!p[0] || !IS_ALIGNED(M_KVA(p[0]), size))
		return false;
	for (i = 1; i < n; i++)
		if (p[i] != p[0] + i * SZ_4K)
			return false;
	return true;
}

/* The stats the canonical shape of the model's mappings has. */
static void model_stats(struct model *m, struct io_pgtable_stats *st)
{
	u64 g, c, i, last_region = UINT64_MAX;

	memset(st, 0, sizeof(*st));
	st->nr_tables = 1;
	for (g = m->base; g < m->base + m->npages * SZ_4K; g += SZ_1G) {
		bool used = false;

		if ((m->bitmap & SZ_1G) && model_block(m, g, SZ_1G)) {
			st->leaves[2]++;
			used = true;
		} else {
			for (c = g; c < g + SZ_1G; c += SZ_2M) {
				u64 *p = mpage(m, c), n = 0;

				if ((m->bitmap & SZ_2M) &&
				    model_block(m, c, SZ_2M)) {
					st->leaves[1]++;
					used = true;
					continue;
				}
				for (i = 0; i < 512; i++)
					n += !!p[i];
				if (n) {
					st->leaves[0] += n;
					st->nr_tables++;
					used = true;
				}
			}
			if (used)
				st->nr_tables++; /* the level-2 table */
		}
		if (used && g / SZ_512G != last_region) {
			st->nr_tables++; /* the level-3 table */
			last_region = g / SZ_512G;
		}
	}
	st->table_bytes = st->nr_tables * TABLE_BYTES;
	st->reserve_tables = st->leaves[1] + RESERVE_1G * st->leaves[2];
	st->reserve_bytes = st->reserve_tables * TABLE_BYTES;
}

static void check_stats(struct io_pgtable *pgt, struct model *m, u64 op)
{
	struct io_pgtable_stats want, got = stats(pgt);

	model_stats(m, &want);
	if (memcmp(&want, &got, sizeof(want)))
		FAIL("op %llu: leaves %llu/%llu/%llu tables %llu reserve %llu, "
		     "model %llu/%llu/%llu tables %llu reserve %llu",
		     (unsigned long long)op, (unsigned long long)got.leaves[0],
		     (unsigned long long)got.leaves[1],
		     (unsigned long long)got.leaves[2],
		     (unsigned long long)got.nr_tables,
		     (unsigned long long)got.reserve_tables,
		     (unsigned long long)want.leaves[0],
		     (unsigned long long)want.leaves[1],
		     (unsigned long long)want.leaves[2],
		     (unsigned long long)want.nr_tables,
		     (unsigned long long)want.reserve_tables);
}

static void check_page(struct io_pgtable *pgt, struct model *m, u64 iova,
		       unsigned int want_level, u64 op)
{
	u64 off = rnd() % SZ_4K, e;
	unsigned int level;
	void *k;
	int prot, rc;

	if (iova < m->base || iova >= m->base + m->npages * SZ_4K)
		return;
	e = *mpage(m, iova);
	rc = io_pgtable_lookup(pgt, iova + off, &k, &prot, &level);
	if (!e) {
		if (rc != -ENOENT)
			FAIL("op %llu: 0x%llx: rc %d, expected unmapped",
			     (unsigned long long)op, (unsigned long long)iova,
			     rc);
		return;
	}
	if (rc || (u64)(uintptr_t)k != M_KVA(e) + off ||
	    M_PROT(prot) != (e & ~M_KVA(e) & ~M_PRESENT))
		FAIL("op %llu: 0x%llx: rc %d kva 0x%llx prot %d, expected "
		     "0x%llx/%llu",
		     (unsigned long long)op, (unsigned long long)(iova + off),
		     rc, (unsigned long long)(uintptr_t)k, prot,
		     (unsigned long long)(M_KVA(e) + off),
		     (unsigned long long)((e >> 1) & 3));
	if (want_level && level != want_level)
		FAIL("op %llu: 0x%llx: level %u, expected %u",
		     (unsigned long long)op, (unsigned long long)iova, level,
		     want_level);
}

/* Every page, and the leaf level the canonical shape gives it. */
static void check_all(struct io_pgtable *pgt, struct model *m, u64 op)
{
	u64 end = m->base + m->npages * SZ_4K, g, c, p;

	for (g = m->base; g < end; g += SZ_1G) {
		bool big = (m->bitmap & SZ_1G) && model_block(m, g, SZ_1G);

		for (c = g; c < g + SZ_1G; c += SZ_2M) {
			unsigned int level = big ? 3 :
					     ((m->bitmap & SZ_2M) &&
					      model_block(m, c, SZ_2M)) ?
						   2 :
						   1;

			for (p = c; p < c + SZ_2M; p += SZ_4K)
				check_page(pgt, m, p, level, op);
		}
	}
}

/* Pages around and inside a range just changed, and some anywhere. */
static void check_range(struct io_pgtable *pgt, struct model *m, u64 iova,
			u64 len, u64 op)
{
	u64 last = iova + len - SZ_4K, i;

	for (i = 0; i < 3; i++) {
		check_page(pgt, m, iova - SZ_4K + i * SZ_4K, 0, op);
		check_page(pgt, m, last - SZ_4K + i * SZ_4K, 0, op);
		check_page(pgt, m, ALIGN_DOWN(iova, SZ_2M) - SZ_4K + i * SZ_4K,
			   0, op);
		check_page(pgt, m, ALIGN_UP(last, SZ_2M) - SZ_4K + i * SZ_4K, 0,
			   op);
	}
	for (i = 0; i < 32; i++) {
		check_page(pgt, m, iova + ALIGN_DOWN(rnd() % len, SZ_4K), 0,
			   op);
		check_page(pgt, m, m->base + (rnd() % m->npages) * SZ_4K, 0,
			   op);
	}
}

static u64 rnd_len(void)
{
	switch (rnd() % 8) {
	case 0:
	case 1:
	case 2:
		return (1 + rnd() % 16) * SZ_4K;
	case 3:
		return (1 + rnd() % 700) * SZ_4K;
	case 4:
	case 5:
		return (1 + rnd() % 8) * SZ_2M;
	case 6:
		return (1 + rnd() % 8) * SZ_2M + (rnd() % 3 - 1) * SZ_4K;
	default:
		return rnd() % 4 ? SZ_1G : SZ_1G + (1 + rnd() % 4) * SZ_2M;
	}
}

static u64 rnd_iova(struct model *m, u64 len)
{
	static const u64 align[] = { SZ_4K, SZ_2M, SZ_1G };
	u64 a = align[rnd() % 3], off;

	if (len > m->npages * SZ_4K)
		len = m->npages * SZ_4K;
	off = ALIGN_DOWN(rnd() % (m->npages * SZ_4K - len + 1), a);
	/* Sometimes just off the alignment. */
	if (rnd() % 4 == 0 && off >= SZ_4K)
		off -= SZ_4K;
	return m->base + off;
}

static u64 rnd_kva(u64 iova)
{
	switch (rnd() % 10) {
	case 0:
		return KBASE + iova + (1 + rnd() % 511) * SZ_2M;
	case 1:
		return KBASE + iova + (1 + rnd() % 511) * SZ_4K;
	case 2:
		return KBASE + iova + (1 + rnd() % 8) * SZ_1G;
	default:
		return KBASE + iova; /* contiguous with its neighbours */
	}
}

static int rnd_prot(void)
{
	switch (rnd() % 16) {
	case 0:
		return IOMMU_READ;
	case 1:
		return IOMMU_WRITE;
	default:
		return RW;
	}
}

struct run {
	struct io_pgtable *pgt;
	struct model m;
	u64 op;
	/* what happened */
	u64 maps, eexist, unmaps, merges, splits, with_1g;
};

static void run_map(struct run *r, u64 iova, u64 len, u64 kva, int prot)
{
	struct io_pgtable_stats before = stats(r->pgt), after;
	int rc = io_pgtable_map(r->pgt, iova, kv(kva), len, prot);
	unsigned int l;
	u64 i;

	after = stats(r->pgt);
	if (model_any(&r->m, iova, len)) {
		if (rc != -EEXIST)
			FAIL("op %llu: map 0x%llx+0x%llx: %d, expected -EEXIST",
			     (unsigned long long)r->op,
			     (unsigned long long)iova, (unsigned long long)len,
			     rc);
		/* Nothing changed (lookups: check_range() below). */
		ASSERT_EQ(memcmp(&before, &after, sizeof(before)), 0);
		r->eexist++;
		return;
	}
	if (rc)
		FAIL("op %llu: map 0x%llx+0x%llx: %d",
		     (unsigned long long)r->op, (unsigned long long)iova,
		     (unsigned long long)len, rc);
	for (i = 0; i < len; i += SZ_4K)
		*mpage(&r->m, iova + i) = (kva + i) | M_PROT(prot) | M_PRESENT;
	r->maps++;
	/* A map removes leaves only by merging them. */
	for (l = 0; l < 2; l++) {
		if (after.leaves[l] < before.leaves[l]) {
			r->merges++;
			break;
		}
	}
}

static void run_unmap(struct run *r, u64 iova, u64 len)
{
	struct io_pgtable_stats before = stats(r->pgt), after;
	u64 want = 0, got, i;
	unsigned int l;

	for (i = 0; i < len; i += SZ_4K) {
		u64 *p = mpage(&r->m, iova + i);

		if (*p)
			want += SZ_4K;
		*p = 0;
	}
	got = io_pgtable_unmap(r->pgt, iova, len);
	if (got != want)
		FAIL("op %llu: unmap 0x%llx+0x%llx: 0x%llx, expected 0x%llx",
		     (unsigned long long)r->op, (unsigned long long)iova,
		     (unsigned long long)len, (unsigned long long)got,
		     (unsigned long long)want);
	after = stats(r->pgt);
	r->unmaps++;
	/* An unmap adds leaves only by cutting larger ones. */
	for (l = 0; l < 2; l++) {
		if (after.leaves[l] > before.leaves[l]) {
			r->splits++;
			break;
		}
	}
}

/* The unmapped run around @iova inside its @bound-aligned block, or 0. */
static u64 model_hole(struct model *m, u64 iova, u64 bound, u64 *start)
{
	u64 lo = ALIGN_DOWN(iova, bound), hi = lo + bound, s, e;

	if (lo < m->base)
		lo = m->base;
	if (hi > m->base + m->npages * SZ_4K)
		hi = m->base + m->npages * SZ_4K;
	if (*mpage(m, iova))
		return 0;
	for (s = iova; s > lo && !*mpage(m, s - SZ_4K); s -= SZ_4K)
		;
	for (e = iova + SZ_4K; e < hi && !*mpage(m, e); e += SZ_4K)
		;
	*start = s;
	return e - s;
}

/*
 * One random operation: maps of random ranges and host addresses, maps
 * that fill a hole exactly with contiguous host addresses (to complete
 * blocks, so that they merge), unmaps of random ranges (cutting large
 * leaves), and now and then a whole 1 GiB block cleared or mapped.
 */
static void run_op(struct run *r)
{
	struct model *m = &r->m;
	u64 win = m->npages * SZ_4K;
	u64 len = rnd_len(), iova = rnd_iova(m, len), s;
	unsigned int pick = rnd() % 20, i;

	if (len > win)
		len = win;
	if (pick >= 7 && pick <= 10) {
		u64 bound = rnd() % 2 ? SZ_1G : SZ_2M;

		for (i = 0; i < 8; i++) {
			u64 p = m->base + (rnd() % m->npages) * SZ_4K;
			u64 n = model_hole(m, p, bound, &s);

			if (n) {
				run_map(r, s, n, KBASE + s,
					rnd() % 8 ? RW : rnd_prot());
				check_range(r->pgt, m, s, n, r->op);
				return;
			}
		}
		pick = 0;
	}
	if (pick <= 6) {
		run_map(r, iova, len, rnd_kva(iova), rnd_prot());
	} else if (pick <= 17) {
		run_unmap(r, iova, len);
	} else {
		iova = m->base + (rnd() % (win / SZ_1G)) * SZ_1G;
		len = SZ_1G;
		if (pick == 18) {
			if (rnd() % 3 == 0) {
				iova = m->base;
				len = win;
			}
			run_unmap(r, iova, len);
		} else {
			run_map(r, iova, len, KBASE + iova, RW);
		}
	}
	check_range(r->pgt, m, iova, len, r->op);
}

static void model_run(u64 bitmap, u64 seed, u64 nops, u64 min_events,
		      u64 min_merges)
{
	struct run r = { .pgt = new_pgt(bitmap) };
	struct io_pgtable_stats base = stats(r.pgt), st;

	rnd_seed(seed);
	/* 3 GiB across the first 512 GiB boundary. */
	model_init(&r.m, SZ_512G - SZ_1G, 3 * SZ_1G, bitmap);
	for (r.op = 0; r.op < nops; r.op++) {
		run_op(&r);
		st = stats(r.pgt);
		r.with_1g += st.leaves[2] > 0;
		if (r.op % 16 == 0)
			check_stats(r.pgt, &r.m, r.op);
		if (r.op % 1024 == 1023)
			check_all(r.pgt, &r.m, r.op);
	}
	check_stats(r.pgt, &r.m, r.op);
	check_all(r.pgt, &r.m, r.op);
	printf("  bitmap 0x%llx: %llu maps (%llu merging), %llu EEXIST, "
	       "%llu unmaps (%llu cutting), %llu ops with a 1 GiB leaf\n",
	       (unsigned long long)bitmap, (unsigned long long)r.maps,
	       (unsigned long long)r.merges, (unsigned long long)r.eexist,
	       (unsigned long long)r.unmaps, (unsigned long long)r.splits,
	       (unsigned long long)r.with_1g);
	/* The run exercised what it is meant to. */
	ASSERT_GE(r.eexist, min_events);
	if (bitmap & (SZ_2M | SZ_1G)) {
		ASSERT_GE(r.merges, min_merges);
		ASSERT_GE(r.splits, min_events);
	}
	if (bitmap & SZ_1G)
		ASSERT_GE(r.with_1g, min_events);

	/* Everything unmapped: back to the empty table, nothing leaked. */
	io_pgtable_unmap(r.pgt, 0, IO_PGTABLE_IOVA_LAST + 1);
	st = stats(r.pgt);
	ASSERT_EQ(memcmp(&st, &base, sizeof(st)), 0);
	io_pgtable_free(r.pgt);
	free(r.m.pg);
}

TEST(random_vs_model)
{
	model_run(ALL_SIZES, 1, 4000, 100, 80);
}

TEST(random_vs_model_bitmaps)
{
	model_run(SZ_4K | SZ_2M, 2, 800, 25, 15);
	/* Only whole 1 GiB blocks merge here. */
	model_run(SZ_4K | SZ_1G, 3, 1200, 25, 3);
	model_run(SZ_4K, 4, 400, 25, 0);
}

/* ------------------------------------------------- fault injection */

static const u64 probes[] = {
	SZ_1G,
	SZ_1G + SZ_1G - 1,
	SZ_512G - 4 * SZ_2M - SZ_4K,
	SZ_512G - 4 * SZ_2M,
	SZ_512G - SZ_4K,
	SZ_512G,
	SZ_512G + 4 * SZ_2M,
	SZ_512G + 4 * SZ_2M + 4 * SZ_4K,
	SZ_512G + 4 * SZ_2M + 5 * SZ_4K,
	SZ_512G + 8 * SZ_2M + 77,
	3 * SZ_1G,
	3 * SZ_1G + SZ_1G - 1,
};

struct snapshot {
	struct io_pgtable_stats st;
	u64 kva[ARRAY_SIZE(probes)];
	int rc[ARRAY_SIZE(probes)];
	unsigned int level[ARRAY_SIZE(probes)];
};

static void snap(struct io_pgtable *pgt, struct snapshot *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->st = stats(pgt);
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		void *k = NULL;

		s->rc[i] = io_pgtable_lookup(pgt, probes[i], &k, NULL,
					     &s->level[i]);
		s->kva[i] = (uintptr_t)k;
	}
}

/* Map under a fault sweep: every failure changes nothing. */
static unsigned long sweep_map(struct io_pgtable *pgt, u64 iova, u64 len)
{
	struct snapshot before, after;
	unsigned long n;

	snap(pgt, &before);
	for (n = 1;; n++) {
		int rc;

		pm_fault_arm(n);
		rc = io_pgtable_map(pgt, iova, kv(KBASE + iova), len, RW);
		pm_fault_disarm();
		if (!pm_fault_fired()) {
			ASSERT_OK(rc);
			return n;
		}
		ASSERT_ERR(ENOMEM, rc);
		snap(pgt, &after);
		if (memcmp(&before, &after, sizeof(before)))
			FAIL("map failing at point %lu changed the table", n);
	}
}

TEST(map_fault_injection)
{
	struct io_pgtable *pgt = new_pgt(ALL_SIZES);
	struct snapshot s;
	unsigned long n;

	/* Something there already, sharing tables with the maps below. */
	ASSERT_OK(io_pgtable_map(pgt, SZ_1G, kv(KBASE + SZ_1G), SZ_1G, RW));
	ASSERT_OK(io_pgtable_map(pgt, SZ_512G + 4 * SZ_2M + 5 * SZ_4K,
				 kv(KBASE), 2 * SZ_4K, RW));
	ASSERT_OK(
		io_pgtable_map(pgt, SZ_512G + 8 * SZ_2M, kv(KBASE), SZ_2M, RW));

	/*
	 * Across the 512 GiB boundary: 4 KiB leaves in a new level-1 table
	 * and in an existing one, 2 MiB leaves in new and existing level-2
	 * tables, a new level-3 table.
	 */
	n = sweep_map(pgt, SZ_512G - 4 * SZ_2M - SZ_4K, 8 * SZ_2M + 6 * SZ_4K);
	printf("  mixed map: %lu injection points\n", n - 1);
	ASSERT_GE(n, 8);
	XLATE(pgt, SZ_512G - SZ_4K, KBASE + SZ_512G - SZ_4K, RW, 2);
	XLATE(pgt, SZ_512G + 4 * SZ_2M + 4 * SZ_4K,
	      KBASE + SZ_512G + 4 * SZ_2M + 4 * SZ_4K, RW, 1);

	/* A 1 GiB leaf: the 513 reserve tables it brings, one by one. */
	n = sweep_map(pgt, 3 * SZ_1G, SZ_1G);
	printf("  1 GiB map: %lu injection points\n", n - 1);
	ASSERT_EQ(n - 1, RESERVE_1G);
	XLATE(pgt, 3 * SZ_1G + 5, KBASE + 3 * SZ_1G + 5, RW, 3);

	/* Cuts and merges allocate nothing: they cannot fail. */
	snap(pgt, &s);
	pm_fault_arm(1);
	ASSERT_EQ(io_pgtable_unmap(pgt, 3 * SZ_1G + 5 * SZ_2M + SZ_4K, SZ_4K),
		  SZ_4K);
	ASSERT_EQ(io_pgtable_unmap(pgt, SZ_1G + SZ_1G - SZ_4K, 2 * SZ_4K),
		  SZ_4K);
	ASSERT_EQ(io_pgtable_unmap(pgt, SZ_512G - SZ_2M - SZ_4K, 2 * SZ_4K),
		  2 * SZ_4K);
	ASSERT_OK(io_pgtable_map(pgt, 3 * SZ_1G + 5 * SZ_2M + SZ_4K,
				 kv(KBASE + 3 * SZ_1G + 5 * SZ_2M + SZ_4K),
				 SZ_4K, RW));
	ASSERT_OK(io_pgtable_map(pgt, SZ_1G + SZ_1G - SZ_4K,
				 kv(KBASE + SZ_1G + SZ_1G - SZ_4K), SZ_4K, RW));
	ASSERT_FALSE(pm_fault_fired());
	ASSERT_EQ(pm_fault_points(), 0);
	pm_fault_disarm();
	XLATE(pgt, 3 * SZ_1G + 5 * SZ_2M, KBASE + 3 * SZ_1G + 5 * SZ_2M, RW, 3);
	XLATE(pgt, SZ_1G, KBASE + SZ_1G, RW, 3);

	ASSERT_EQ(io_pgtable_unmap(pgt, 0, IO_PGTABLE_IOVA_LAST + 1),
		  2 * SZ_1G + 8 * SZ_2M + 4 * SZ_4K + 2 * SZ_4K + SZ_2M);
	SHAPE(pgt, 0, 0, 0, 1);
	io_pgtable_free(pgt);
}

TEST(alloc_fault_injection)
{
	unsigned long n;

	for (n = 1;; n++) {
		struct iommu_domain *d;

		pm_fault_arm(n);
		d = emu_domain_alloc(0);
		pm_fault_disarm();
		if (!pm_fault_fired()) {
			ASSERT_FALSE(IS_ERR(d));
			d->ops->free(d);
			break;
		}
		ASSERT_EQ(PTR_ERR(d), -ENOMEM);
	}
	ASSERT_EQ(n, 4);
}

/* ------------------------------------------------------ emu_domain */

TEST(emu_domain)
{
	struct io_pgtable_stats st;
	struct iommu_domain *d;
	void *k;
	int prot;

	ASSERT_EQ(PTR_ERR(emu_domain_alloc(SZ_2M)), -EINVAL);
	d = emu_domain_alloc(0);
	ASSERT_FALSE(IS_ERR(d));
	ASSERT_TRUE(d->can_cut);
	ASSERT_U64_EQ(d->pgsize_bitmap, ALL_SIZES);
	ASSERT_U64_EQ(d->aperture_start, 0);
	ASSERT_U64_EQ(d->aperture_end, (1ULL << 48) - 1);
	ASSERT_OK(d->ops->map(d, SZ_1G, kv(KBASE), SZ_1G, IOMMU_READ));
	ASSERT_ERR(EEXIST, d->ops->map(d, SZ_1G, kv(KBASE), SZ_4K, RW));
	ASSERT_ERR(EINVAL, d->ops->map(d, 0, kv(KBASE + 512), SZ_4K, RW));
	ASSERT_OK(d->ops->iova_to_kva(d, SZ_1G + 99, &k, &prot));
	ASSERT_U64_EQ((uintptr_t)k, KBASE + 99);
	ASSERT_EQ(prot, IOMMU_READ);
	ASSERT_EQ(d->ops->unmap(d, SZ_1G + SZ_2M, SZ_4K), SZ_4K);
	ASSERT_ERR(ENOENT, d->ops->iova_to_kva(d, SZ_1G + SZ_2M, &k, &prot));
	emu_domain_get_stats(d, &st);
	ASSERT_EQ(st.leaves[0], 511);
	ASSERT_EQ(st.leaves[1], 511);
	ASSERT_EQ(d->ops->unmap(d, 0, 4 * SZ_1G), SZ_1G - SZ_4K);
	d->ops->free(d);

	d = emu_domain_alloc(SZ_4K | SZ_2M);
	ASSERT_FALSE(IS_ERR(d));
	ASSERT_U64_EQ(d->pgsize_bitmap, SZ_4K | SZ_2M);
	d->ops->free(d);
}

/* ---------------------------------------------------------- threads */

/*
 * One writer maps and unmaps in a window (whole 1 GiB, 2 MiB blocks,
 * pages: so merges and cuts happen) while two readers translate at random
 * through the domain: a translation is always absent or kva(iova).
 */
#define T_BASE (5 * SZ_1G)
#define T_KVA(iova) (KBASE + (iova))

struct thr {
	struct iommu_domain *d;
	int stop; /* atomic */
	u64 seed;
	u64 lookups, hits, bad;
};

static u64 thr_rnd(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void *reader(void *arg)
{
	struct thr *t = arg;
	u64 s = t->seed;

	while (!__atomic_load_n(&t->stop, __ATOMIC_RELAXED)) {
		u64 iova = T_BASE + thr_rnd(&s) % (SZ_1G + 4 * SZ_2M);
		void *k;
		int prot, rc;

		rc = t->d->ops->iova_to_kva(t->d, iova, &k, &prot);
		t->lookups++;
		if (!rc) {
			t->hits++;
			if ((u64)(uintptr_t)k != T_KVA(iova) || prot != RW)
				t->bad++;
		} else if (rc != -ENOENT) {
			t->bad++;
		}
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Random maps and unmaps in [base, base + nblk * 2 MiB), all with
 * kva = T_KVA(iova).
 */
static void writer_noise(struct iommu_domain *d, u64 *s, int n, u64 base,
			 u64 nblk)
{
	while (n--) {
		u64 pick = thr_rnd(s) % 8, iova, len;

		if (pick < 3) {
			iova = base + (thr_rnd(s) % nblk) * SZ_2M;
			len = (1 + thr_rnd(s) % 4) * SZ_2M;
		} else {
			iova = base + (thr_rnd(s) % (nblk * 512)) * SZ_4K;
			len = (1 + thr_rnd(s) % 600) * SZ_4K;
		}
		if (thr_rnd(s) % 2) {
			int rc = d->ops->map(d, iova, kv(T_KVA(iova)), len, RW);

			ASSERT_TRUE(rc == 0 || rc == -EEXIST);
		} else {
			d->ops->unmap(d, iova, len);
		}
	}
}

/*
 * Cycles of: the window emptied, one 1 GiB leaf mapped, holes cut in
 * eight of its 2 MiB blocks (splitting it), random maps and unmaps around
 * it, then the holes mapped back, which merges it into one leaf again.
 */
TEST(concurrent_lookups)
{
	struct thr r[2] = { { .seed = 11 }, { .seed = 12 } };
	struct iommu_domain *d = emu_domain_alloc(0);
	struct io_pgtable_stats st;
	u64 s = 99, cycles = 0;
	pthread_t th[2];
	double end;
	int i;

	ASSERT_FALSE(IS_ERR(d));
	for (i = 0; i < 2; i++) {
		r[i].d = d;
		ASSERT_EQ(pthread_create(&th[i], NULL, reader, &r[i]), 0);
	}
	end = now() + 0.4;
	while (now() < end || cycles < 3) {
		u64 hole[8], hlen[8], blk[8];
		int j;

		d->ops->unmap(d, T_BASE, SZ_1G + 8 * SZ_2M);
		ASSERT_OK(d->ops->map(d, T_BASE, kv(T_KVA(T_BASE)), SZ_1G, RW));
		for (j = 0; j < 8; j++) {
			u64 off = thr_rnd(&s) % 512;
			int k;

			/* Eight distinct 2 MiB blocks of the 1 GiB leaf. */
			do {
				blk[j] = thr_rnd(&s) % 512;
				for (k = 0; k < j && blk[k] != blk[j]; k++)
					;
			} while (k < j);
			hole[j] = T_BASE + blk[j] * SZ_2M + off * SZ_4K;
			hlen[j] = (1 + thr_rnd(&s) % (512 - off)) * SZ_4K;
			ASSERT_EQ(d->ops->unmap(d, hole[j], hlen[j]), hlen[j]);
		}
		emu_domain_get_stats(d, &st);
		ASSERT_EQ(st.leaves[2], 0);
		/* Noise beyond the 1 GiB block only (its holes must stay). */
		writer_noise(d, &s, 4, T_BASE + SZ_1G, 4);
		d->ops->unmap(d, T_BASE + SZ_1G, 8 * SZ_2M);
		for (j = 7; j >= 0; j--)
			ASSERT_OK(d->ops->map(d, hole[j], kv(T_KVA(hole[j])),
					      hlen[j], RW));
		emu_domain_get_stats(d, &st);
		ASSERT_EQ(st.leaves[0] + st.leaves[1], 0);
		ASSERT_EQ(st.leaves[2], 1);
		writer_noise(d, &s, 8, T_BASE, 516);
		cycles++;
	}
	__atomic_store_n(&r[0].stop, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&r[1].stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("  %llu split/merge cycles; lookups %llu (%llu hits) and %llu "
	       "(%llu hits)\n",
	       (unsigned long long)cycles, (unsigned long long)r[0].lookups,
	       (unsigned long long)r[0].hits, (unsigned long long)r[1].lookups,
	       (unsigned long long)r[1].hits);
	ASSERT_EQ(r[0].bad + r[1].bad, 0);
	ASSERT_GT(r[0].hits, 0);
	ASSERT_GT(r[1].hits, 0);
	d->ops->unmap(d, 0, IO_PGTABLE_IOVA_LAST + 1);
	emu_domain_get_stats(d, &st);
	ASSERT_EQ(st.nr_tables, 1);
	ASSERT_EQ(st.reserve_tables, 0);
	d->ops->free(d);
}

/* ---------------------------------------------------------- figures */

/*
 * Page-table memory per GiB mapped, with its cut reserve: the project's
 * target is at most 0.2% of the bytes mapped at 4 KiB leaves. Large
 * leaves cost the same (their tables are reserved for cuts).
 */
TEST(memory_per_gib)
{
	static const struct {
		const char *what;
		u64 kva_off;
	} cases[] = {
		{ "4 KiB leaves", SZ_4K },
		{ "2 MiB leaves", SZ_2M },
		{ "1 GiB leaves", 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct io_pgtable *pgt = new_pgt(ALL_SIZES);
		struct io_pgtable_stats st0 = stats(pgt), st;
		u64 tree, total;

		/* 4 GiB, so that the level-3 table is shared as in use. */
		ASSERT_OK(io_pgtable_map(pgt, 4 * SZ_1G,
					 kv(KBASE + cases[i].kva_off),
					 4 * SZ_1G, RW));
		st = stats(pgt);
		tree = (st.table_bytes - st0.table_bytes) / 4;
		total = tree + st.reserve_bytes / 4;
		printf("  %s: %llu bytes of tables + %llu reserved per GiB "
		       "(%.4f%%)\n",
		       cases[i].what, (unsigned long long)tree,
		       (unsigned long long)(st.reserve_bytes / 4),
		       100.0 * total / SZ_1G);
		ASSERT_LE(total * 500, SZ_1G); /* <= 0.2% */
		io_pgtable_unmap(pgt, 0, IO_PGTABLE_IOVA_LAST + 1);
		io_pgtable_free(pgt);
	}
}

TEST_MAIN()
