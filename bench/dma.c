// SPDX-License-Identifier: MIT
/*
 * Device DMA through the emulated IOMMU, against memcpy; and translation
 * cost (ATS-style pm_dma_translate) on IOTLB hits, on misses, and over a
 * fragmented IOAS.
 *
 * DMA: pm_dma_read + pm_dma_write of each block against memcpy of the same
 * bytes between the same buffer and the store's host view, in the same
 * block order, interleaved in batches whose order alternates. Cold blocks
 * are random across the store, in batches of 64 MiB of blocks (larger than
 * the last-level cache, so neither side finds the other's lines); hot
 * blocks are random within 512 KiB. ratio = memcpy time / DMA time, per
 * round the median over its batches (hot) or pairs of batches run in
 * opposite orders (cold).
 *
 * Translation: the IOTLB is direct-mapped, 1024 entries indexed by the
 * IOVA page number mod 1024. Hits: IOVAs in 512 distinct pages, after one
 * warming pass, and the device's counters must show every translation a
 * hit. Misses: IOVAs 4 MiB apart all fall on one entry, so every
 * translation walks the page table (the counters must show every one a
 * miss), and the store is mapped at an IOVA 4 KiB off its host alignment,
 * so every leaf is a 4 KiB one and each walk goes down all four levels.
 * Fragmented: the store mapped as 4096 areas (consecutive pieces at
 * consecutive IOVAs, which the page table may merge into large leaves),
 * random IOVAs over all of it; the note gives the same with the areas
 * 4 KiB off the host alignment, 4 KiB leaves only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include "bench.h"

#define DMA_IOVA GiB
#define HOT_REGION (512 * KiB)
#define COLD_BATCH_BYTES (64 * MiB)
#define HOT_BATCH_OPS 256

/* Through a volatile pointer: the compiler may not drop or fuse copies. */
static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;

struct dma_case {
	const char *fig;
	uint64_t bs;
	bool hot;
};

static const struct dma_case dma_cases[] = {
	{ "dma_rw_64k_vs_memcpy", 64 * KiB, false },
	{ "dma_rw_4k_vs_memcpy", 4 * KiB, false },
	{ "dma_rw_64k_hot_vs_memcpy", 64 * KiB, true },
	{ "dma_rw_4k_hot_vs_memcpy", 4 * KiB, true },
};

static const struct bench_fig_def dma_figs[] = {
	{ "dma_rw_64k_vs_memcpy", "ratio",
	  "memcpy time / DMA time, 64 KiB read+write, random blocks across "
	  "the store (cold)",
	  BENCH_HIGHER, 0.97 },
	{ "dma_rw_4k_vs_memcpy", "ratio",
	  "memcpy time / DMA time, 4 KiB read+write, random blocks across "
	  "the store (cold)",
	  BENCH_NEUTRAL, 0 },
	{ "dma_rw_64k_hot_vs_memcpy", "ratio",
	  "memcpy time / DMA time, 64 KiB read+write, random blocks within "
	  "512 KiB (hot)",
	  BENCH_HIGHER, 0.97 },
	{ "dma_rw_4k_hot_vs_memcpy", "ratio",
	  "memcpy time / DMA time, 4 KiB read+write, random blocks within "
	  "512 KiB (hot)",
	  BENCH_HIGHER, 0.90 },
	{ NULL },
};

/* One batch by DMA: read each block into @buf, write it back. */
static int dma_batch(struct pm_device *dev, const uint64_t *off, unsigned int n,
		     uint64_t bs, void *buf)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = pm_dma_read(dev, DMA_IOVA + off[i], buf, bs);
		if (!rc)
			rc = pm_dma_write(dev, DMA_IOVA + off[i], buf, bs);
		if (rc)
			return rc;
	}
	return 0;
}

/* The same bytes by memcpy, between the same buffer and the host view. */
static void memcpy_batch(uint8_t *view, const uint64_t *off, unsigned int n,
			 uint64_t bs, void *buf)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		copy_fn(buf, view + off[i], bs);
		copy_fn(view + off[i], buf, bs);
	}
}

static void dma_case_run(struct bench *b, struct bench_io *io,
			 struct pm_gmem *g, const struct dma_case *c,
			 uint64_t *seed, void *buf)
{
	struct bench_result *r = bench_fig(b, c->fig);
	uint64_t size = pm_gmem_size(g);
	uint64_t region = c->hot ? HOT_REGION : size;
	uint64_t nblocks = region / c->bs;
	unsigned int batch = c->hot ? HOT_BATCH_OPS :
				      (unsigned int)(COLD_BATCH_BYTES / c->bs);
	unsigned int nbatches = c->hot ? (c->bs >= 64 * KiB ? 64 : 256) : 8;
	unsigned int rounds = bench_reps(b, 11, 3), round, j;
	uint8_t *view = pm_gmem_host_view(g);
	unsigned int total;
	uint64_t *off;
	char sz[32], bsz[32];

	if (b->quick)
		nbatches = c->hot ? 16 : 2;
	if (!c->hot && (uint64_t)batch * c->bs > size)
		batch = (unsigned int)(size / c->bs);
	if (__builtin_mul_overflow(batch, nbatches, &total)) {
		bench_fail(r, "too many blocks");
		return;
	}
	off = malloc((size_t)total * sizeof(*off));
	if (!off) {
		bench_fail(r, "out of memory");
		return;
	}
	for (round = 0; round < rounds; round++) {
		uint64_t t_dma = 0, t_mem = 0, t0, t1, tm, td;
		uint64_t tm_prev = 0, td_prev = 0;
		struct bench_result pairs = { .def = r->def };
		double med, mn, mx;

		bench_progress(b, "%s round %u/%u", c->fig, round + 1, rounds);
		for (j = 0; j < total; j++)
			off[j] = (bench_rand(seed) % nblocks) * c->bs;
		for (j = 0; j < nbatches; j++) {
			const uint64_t *o = off + (size_t)j * batch;
			bool dma_first = !((round + j) & 1);
			int rc = 0;

			tm = 0;
			if (!dma_first) {
				t0 = bench_now_ns();
				memcpy_batch(view, o, batch, c->bs, buf);
				tm = bench_now_ns() - t0;
			}
			t0 = bench_now_ns();
			rc = dma_batch(io->dev, o, batch, c->bs, buf);
			t1 = bench_now_ns();
			td = t1 - t0;
			if (rc) {
				bench_fail(r, "DMA failed: %s", strerror(-rc));
				free(pairs.samples);
				free(off);
				return;
			}
			if (dma_first) {
				t0 = bench_now_ns();
				memcpy_batch(view, o, batch, c->bs, buf);
				tm = bench_now_ns() - t0;
			}
			t_mem += tm;
			t_dma += td;
			/* Cold: two batches, one in each order, per pair. */
			if (c->hot && td)
				bench_sample(&pairs, (double)tm / (double)td);
			if (!c->hot && (j & 1) && td + td_prev) {
				bench_sample(&pairs,
					     (double)(tm + tm_prev) /
						     (double)(td + td_prev));
			}
			tm_prev = tm;
			td_prev = td;
		}
		/*
		 * The median over the pairs, so that a preemption on a shared
		 * host spoils one pair, not the round. Hot: each batch's two
		 * sides back to back on the same cache-resident blocks. Cold:
		 * a pair is two batches, one in each order, since the side
		 * that runs second may find some of its blocks in the cache
		 * and only the alternation cancels that out.
		 */
		if (bench_stats(&pairs, &med, &mn, &mx))
			bench_sample(r, med);
		else
			bench_sample(r, (double)t_mem / (double)t_dma);
		free(pairs.samples);
		if (round == rounds - 1)
			bench_note(r,
				   "%s blocks %s %s, %u per round in batches "
				   "of %u%s; last round: memcpy %.1f ms, DMA "
				   "%.1f ms",
				   bench_size_str(c->bs, bsz, sizeof(bsz)),
				   c->hot ? "within" : "across",
				   bench_size_str(region, sz, sizeof(sz)),
				   total, batch,
				   c->hot ? ", median of the batches" :
					    ", median of the batch pairs",
				   t_mem / 1e6, t_dma / 1e6);
	}
	free(off);
}

static void run_dma(struct bench *b)
{
	uint64_t size = bench_size(b), iova = DMA_IOVA,
		 seed = 0x9e3779b97f4a7c15;
	struct pm_gmem *g = NULL;
	struct bench_io io;
	char kind[64], sz[32], why[256];
	unsigned int i;
	void *buf;
	int rc;

	bench_progress(b, "creating and populating a %s store",
		       bench_size_str(size, sz, sizeof(sz)));
	rc = bench_store_4k(b, size, &g, kind, sizeof(kind));
	if (rc) {
		bench_skip_all(b, "cannot create a %s store: %s", sz,
			       bench_err(rc, why, sizeof(why)));
		return;
	}
	bench_populate(g);
	rc = bench_io_open(&io, "bench-dma");
	if (!rc)
		rc = pm_ioas_map_file(io.ictx, io.ioas, pm_gmem_private_fd(g),
				      0, size, &iova, BENCH_MAP_FIXED);
	if (rc) {
		bench_fail_all(b, "IOAS with the store mapped: %s",
			       strerror(-rc));
		goto out_store;
	}
	buf = aligned_alloc(PAGE_4K, 64 * KiB);
	if (!buf) {
		bench_fail_all(b, "out of memory");
		goto out;
	}
	memset(buf, 0x5a, 64 * KiB);
	for (i = 0; i < sizeof(dma_cases) / sizeof(dma_cases[0]); i++)
		dma_case_run(b, &io, g, &dma_cases[i], &seed, buf);
	free(buf);
out:
	bench_io_close(&io);
out_store:
	pm_gmem_close(g);
}

const struct bench_scenario bench_dma_scenario = {
	.name = "dma",
	.what = "device DMA read+write through the IOMMU vs memcpy",
	.figs = dma_figs,
	.run = run_dma,
};

/* ------------------------------------------------------------ IOTLB */

#define IOTLB_ENTRIES 1024
#define XLATE_N 65536U
/* The store mapped twice into one IOAS: aligned with the host view (large
 * leaves possible), and 4 KiB off it (4 KiB leaves only). */
#define ALIGNED_IOVA (64 * GiB)
#define SKEWED_IOVA (128 * GiB + PAGE_4K)
#define FRAG_AREAS 4096U
#define FRAG_IOVA (256 * GiB)

static const struct bench_fig_def iotlb_figs[] = {
	{ "iotlb_hit_ns", "ns",
	  "pm_dma_translate per IOVA, every translation an IOTLB hit",
	  BENCH_LOWER, 2.5 },
	{ "iotlb_miss_ns", "ns",
	  "pm_dma_translate per IOVA, IOVAs 4 MiB apart (one IOTLB set), "
	  "every translation a 4-level walk to a 4 KiB leaf",
	  BENCH_LOWER, 50 },
	{ "dma_translate_ns_fragmented", "ns",
	  "pm_dma_translate per IOVA, random IOVAs over the store mapped as "
	  "4096 consecutive areas",
	  BENCH_LOWER, 10 },
	{ NULL },
};

struct xlate_expect {
	bool all_hits, all_misses;
};

/* ns per translation of one call over @iova, counters checked. */
static int xlate_once(struct pm_device *dev, const uint64_t *iova,
		      unsigned int n, struct xlate_expect ex, double *ns,
		      char *why, size_t len)
{
	struct pm_device_stats s0, s1;
	uint64_t t0, t1;
	int got, rc;

	rc = pm_device_get_stats(dev, &s0);
	if (rc) {
		snprintf(why, len, "device stats: %s", strerror(-rc));
		return rc;
	}
	t0 = bench_now_ns();
	got = pm_dma_translate(dev, iova, n, 0);
	t1 = bench_now_ns();
	if (got != (int)n) {
		snprintf(why, len, "pm_dma_translate translated %d of %u", got,
			 n);
		return -EIO;
	}
	rc = pm_device_get_stats(dev, &s1);
	if (rc) {
		snprintf(why, len, "device stats: %s", strerror(-rc));
		return rc;
	}
	if (ex.all_hits && (s1.iotlb_hits - s0.iotlb_hits != n ||
			    s1.iotlb_misses != s0.iotlb_misses)) {
		snprintf(why, len,
			 "not all hits: %" PRIu64 " hits, %" PRIu64
			 " misses of %u",
			 s1.iotlb_hits - s0.iotlb_hits,
			 s1.iotlb_misses - s0.iotlb_misses, n);
		return -EIO;
	}
	if (ex.all_misses && (s1.iotlb_misses - s0.iotlb_misses != n ||
			      s1.iotlb_hits != s0.iotlb_hits)) {
		snprintf(why, len,
			 "not all misses: %" PRIu64 " hits, %" PRIu64
			 " misses of %u",
			 s1.iotlb_hits - s0.iotlb_hits,
			 s1.iotlb_misses - s0.iotlb_misses, n);
		return -EIO;
	}
	*ns = (double)(t1 - t0) / n;
	return 0;
}

/* Repeated calls: the figure gets one sample per call. */
static void xlate_figure(struct bench *b, struct bench_result *r,
			 struct pm_device *dev, const uint64_t *iova,
			 unsigned int n, struct xlate_expect ex)
{
	unsigned int i, reps = bench_reps(b, 15, 3);
	char why[512];
	double ns;

	for (i = 0; i < reps; i++) {
		bench_progress(b, "%s call %u/%u", r->def->name, i + 1, reps);
		if (xlate_once(dev, iova, n, ex, &ns, why, sizeof(why))) {
			bench_fail(r, "%s", why);
			return;
		}
		bench_sample(r, ns);
	}
}

/* The leaves the device's domain holds. */
static void leaves(struct pm_device *dev, uint64_t l[3])
{
	struct pm_device_stats st = { 0 };

	pm_device_get_stats(dev, &st);
	l[0] = st.pt_leaves_4k;
	l[1] = st.pt_leaves_2m;
	l[2] = st.pt_leaves_1g;
}

/* Map the store as FRAG_AREAS consecutive pieces from @base. */
static int map_fragmented(struct bench_io *io, struct pm_gmem *g, uint64_t base,
			  char *why, size_t len)
{
	uint64_t size = pm_gmem_size(g), piece = size / FRAG_AREAS;
	unsigned int i;
	int rc;

	for (i = 0; i < FRAG_AREAS; i++) {
		uint64_t iova = base + i * piece;

		rc = pm_ioas_map_file(io->ictx, io->ioas, pm_gmem_private_fd(g),
				      i * piece, piece, &iova, BENCH_MAP_FIXED);
		if (rc) {
			snprintf(why, len, "MAP_FILE of piece %u: %s", i,
				 strerror(-rc));
			return rc;
		}
	}
	return bench_check_ioptes(io->dev, size, why, len);
}

static void run_fragmented(struct bench *b, struct pm_gmem *g, uint64_t *seed)
{
	struct bench_result *r = bench_fig(b, "dma_translate_ns_fragmented");
	uint64_t size = pm_gmem_size(g), *iova, l[3], s4[3], unmapped;
	struct bench_result skewed = { .def = r->def };
	double med = 0, mn, mx;
	struct bench_io io;
	char why[512], sz[32], psz[32];
	unsigned int i;
	int rc;

	iova = malloc(XLATE_N * sizeof(*iova));
	if (!iova) {
		bench_fail(r, "out of memory");
		return;
	}
	rc = bench_io_open(&io, "bench-frag");
	if (rc) {
		bench_fail(r, "IOAS with a device: %s", strerror(-rc));
		free(iova);
		return;
	}
	bench_progress(b, "mapping the store as %u areas", FRAG_AREAS);
	/* The figure: consecutive pieces at consecutive IOVAs. */
	if (map_fragmented(&io, g, FRAG_IOVA, why, sizeof(why))) {
		bench_fail(r, "%s", why);
		goto out;
	}
	leaves(io.dev, l);
	for (i = 0; i < XLATE_N; i++)
		iova[i] = FRAG_IOVA + bench_rand(seed) % size;
	/* One pass to warm the tables (the IOTLB cannot hold them). */
	xlate_once(io.dev, iova, XLATE_N, (struct xlate_expect){ 0 }, &med, why,
		   sizeof(why));
	xlate_figure(b, r, io.dev, iova, XLATE_N, (struct xlate_expect){ 0 });

	/* Context: the same areas 4 KiB off the host alignment, so every
	 * leaf is a 4 KiB one and every walk goes down four levels. */
	rc = pm_ioas_unmap(io.ictx, io.ioas, FRAG_IOVA, size, &unmapped);
	if (rc || unmapped != size ||
	    map_fragmented(&io, g, FRAG_IOVA + PAGE_4K, why, sizeof(why)))
		goto out;
	leaves(io.dev, s4);
	for (i = 0; i < XLATE_N; i++)
		iova[i] += PAGE_4K;
	for (i = 0; i < bench_reps(b, 9, 2); i++)
		if (!xlate_once(io.dev, iova, XLATE_N,
				(struct xlate_expect){ 0 }, &med, why,
				sizeof(why)))
			bench_sample(&skewed, med);
	if (bench_stats(&skewed, &med, &mn, &mx))
		bench_note(r,
			   "%u areas of %s, random IOVAs over %s; leaves "
			   "%" PRIu64 " 4K, %" PRIu64 " 2M, %" PRIu64
			   " 1G; with the areas 4 KiB off the host "
			   "alignment (%" PRIu64 " 4K leaves): %.1f ns",
			   FRAG_AREAS,
			   bench_size_str(size / FRAG_AREAS, psz, sizeof(psz)),
			   bench_size_str(size, sz, sizeof(sz)), l[0], l[1],
			   l[2], s4[0], med);
	free(skewed.samples);
out:
	bench_io_close(&io);
	free(iova);
}

static void run_iotlb(struct bench *b)
{
	struct bench_result *hit = bench_fig(b, "iotlb_hit_ns");
	struct bench_result *miss = bench_fig(b, "iotlb_miss_ns");
	struct bench_result aligned_miss = { .def = miss->def };
	uint64_t size = bench_size(b), seed = 0x2545f4914f6cdd1d, l[3];
	uint64_t *iova = NULL, iova_a = ALIGNED_IOVA, iova_s = SKEWED_IOVA;
	uint64_t nset = size / (IOTLB_ENTRIES * PAGE_4K), prev = UINT64_MAX;
	struct pm_gmem *g = NULL;
	double med, mn, mx, ns;
	struct bench_io io;
	char kind[64], sz[32], why[256];
	unsigned int i;
	int rc;

	bench_progress(b, "creating and populating a %s store",
		       bench_size_str(size, sz, sizeof(sz)));
	rc = bench_store_4k(b, size, &g, kind, sizeof(kind));
	if (rc) {
		bench_skip_all(b, "cannot create a %s store: %s", sz,
			       bench_err(rc, why, sizeof(why)));
		return;
	}
	bench_populate(g);
	iova = malloc(XLATE_N * sizeof(*iova));
	rc = iova ? bench_io_open(&io, "bench-iotlb") : -ENOMEM;
	if (rc) {
		bench_fail_all(b, "IOAS with a device: %s", strerror(-rc));
		goto out_store;
	}
	rc = pm_ioas_map_file(io.ictx, io.ioas, pm_gmem_private_fd(g), 0, size,
			      &iova_s, BENCH_MAP_FIXED);
	if (!rc) {
		leaves(io.dev, l);
		if (l[1] || l[2] || l[0] != size / PAGE_4K) {
			bench_fail_all(b,
				       "skewed map: expected %" PRIu64
				       " 4 KiB leaves, found %" PRIu64
				       " 4K, %" PRIu64 " 2M, %" PRIu64 " 1G",
				       size / PAGE_4K, l[0], l[1], l[2]);
			goto out;
		}
		rc = pm_ioas_map_file(io.ictx, io.ioas, pm_gmem_private_fd(g),
				      0, size, &iova_a, BENCH_MAP_FIXED);
	}
	if (rc) {
		bench_fail_all(b, "MAP_FILE of the store: %s", strerror(-rc));
		goto out;
	}

	/* Hits: 512 pages of distinct IOTLB sets, warmed by one pass. */
	for (i = 0; i < XLATE_N; i++)
		iova[i] = SKEWED_IOVA + (bench_rand(&seed) % 512) * PAGE_4K +
			  bench_rand(&seed) % PAGE_4K;
	for (i = 0; i < 512; i++) {
		uint64_t w = SKEWED_IOVA + i * PAGE_4K;

		if (pm_dma_translate(io.dev, &w, 1, 0) != 1) {
			bench_fail(hit, "warming pass did not translate");
			break;
		}
	}
	xlate_figure(b, hit, io.dev, iova, XLATE_N,
		     (struct xlate_expect){ .all_hits = true });
	bench_note(hit, "%u random IOVAs in 512 pages, one call each", XLATE_N);

	/* Misses: one IOTLB set, consecutive IOVAs always different. */
	if (nset < 2) {
		bench_fail(miss, "store too small for two IOVAs 4 MiB apart");
	} else {
		for (i = 0; i < XLATE_N; i++) {
			uint64_t k;

			do
				k = bench_rand(&seed) % nset;
			while (k == prev);
			prev = k;
			iova[i] = SKEWED_IOVA + k * IOTLB_ENTRIES * PAGE_4K +
				  bench_rand(&seed) % PAGE_4K;
		}
		xlate_figure(b, miss, io.dev, iova, XLATE_N,
			     (struct xlate_expect){ .all_misses = true });
		/* Context: the same against the aligned map's large leaves. */
		for (i = 0; i < XLATE_N; i++)
			iova[i] = iova[i] - SKEWED_IOVA + ALIGNED_IOVA;
		for (i = 0; i < bench_reps(b, 9, 2); i++)
			if (!xlate_once(io.dev, iova, XLATE_N,
					(struct xlate_expect){ .all_misses =
								       true },
					&ns, why, sizeof(why)))
				bench_sample(&aligned_miss, ns);
		if (bench_stats(&aligned_miss, &med, &mn, &mx))
			bench_note(miss,
				   "%" PRIu64 " IOVAs 4 MiB apart in "
				   "random order; against large leaves "
				   "(aligned map): %.1f ns",
				   nset, med);
		free(aligned_miss.samples);
	}
	bench_io_close(&io);
	run_fragmented(b, g, &seed);
	goto out_store;
out:
	bench_io_close(&io);
out_store:
	free(iova);
	pm_gmem_close(g);
}

const struct bench_scenario bench_iotlb_scenario = {
	.name = "iotlb",
	.what = "translation cost: IOTLB hit, miss, fragmented IOAS",
	.figs = iotlb_figs,
	.run = run_iotlb,
};
