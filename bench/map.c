// SPDX-License-Identifier: MIT
/*
 * Mapping guest memory into an IOAS: by (fd, offset) through the store
 * (IOMMU_IOAS_MAP_FILE on the store's fd) against by host address
 * (IOMMU_IOAS_MAP, which pins: fault-in + mlock), with an emulated device
 * attached so that its domain, a real IO page table, is filled by the map.
 *
 * A timed map counts only when, after the timer stops, the domain's leaves
 * add up to every mapped byte; a timed unmap only when none is left. So a
 * lazy map (one that defers IOPTEs to the first DMA) cannot score.
 *
 * Scenarios: map (4 KiB store: the ratio, GB/s, page-table memory), map_2m
 * (the same on a 2 MiB hugetlbfs store), scaling (map time from 64 MiB up
 * to 8 GiB or what MemAvailable allows with 4 GiB to spare).
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

#define MAP_IOVA GiB /* fixed IOVA of every timed map */
#define MIN_2M_SIZE (64 * MiB)
#define SCALING_MIN (64 * MiB)
#define SCALING_MAX (8 * GiB)
#define SCALING_QUICK_MAX (256 * MiB)
#define SCALING_SPARE (4 * GiB)

struct map_time {
	double map_s, unmap_s;
	uint64_t pt_bytes; /* the domain's tables while mapped */
	uint64_t leaves[3]; /* 4K, 2M, 1G */
};

/* After the timed part: every IOPTE is there, and the page-table stats. */
static int after_map(struct bench_io *io, uint64_t size, struct map_time *t,
		     char *why, size_t len)
{
	struct pm_device_stats st;
	int rc = bench_check_ioptes(io->dev, size, why, len);

	if (rc)
		return rc;
	rc = pm_device_get_stats(io->dev, &st);
	if (rc) {
		snprintf(why, len, "device stats: %s", strerror(-rc));
		return rc;
	}
	t->pt_bytes = st.pt_bytes;
	t->leaves[0] = st.pt_leaves_4k;
	t->leaves[1] = st.pt_leaves_2m;
	t->leaves[2] = st.pt_leaves_1g;
	return 0;
}

static int timed_unmap(struct bench_io *io, uint64_t size, struct map_time *t,
		       char *why, size_t len)
{
	uint64_t unmapped = 0, t0, t1;
	int rc;

	t0 = bench_now_ns();
	rc = pm_ioas_unmap(io->ictx, io->ioas, MAP_IOVA, size, &unmapped);
	t1 = bench_now_ns();
	if (rc || unmapped != size) {
		snprintf(why, len, "IOMMU_IOAS_UNMAP: %s (%" PRIu64 " bytes)",
			 rc ? strerror(-rc) : "short", unmapped);
		return rc ? rc : -EIO;
	}
	t->unmap_s = (t1 - t0) / 1e9;
	/* Nothing may be left behind for later. */
	return bench_check_ioptes(io->dev, 0, why, len);
}

/* IOMMU_IOAS_MAP_FILE of the whole store by its fd, then UNMAP. */
static int map_by_fd(struct bench_io *io, struct pm_gmem *g, struct map_time *t,
		     char *why, size_t len)
{
	uint64_t size = pm_gmem_size(g), iova = MAP_IOVA, t0, t1;
	int rc;

	t0 = bench_now_ns();
	rc = pm_ioas_map_file(io->ictx, io->ioas, pm_gmem_private_fd(g), 0,
			      size, &iova, BENCH_MAP_FIXED);
	t1 = bench_now_ns();
	if (rc) {
		snprintf(why, len, "IOMMU_IOAS_MAP_FILE: %s", strerror(-rc));
		return rc;
	}
	t->map_s = (t1 - t0) / 1e9;
	rc = after_map(io, size, t, why, len);
	if (rc) {
		pm_ioas_unmap(io->ictx, io->ioas, MAP_IOVA, size, NULL);
		return rc;
	}
	return timed_unmap(io, size, t, why, len);
}

/* IOMMU_IOAS_MAP of the same memory by its host address (pins), UNMAP. */
static int map_by_va(struct bench_io *io, struct pm_gmem *g, struct map_time *t,
		     char *why, size_t len)
{
	uint64_t size = pm_gmem_size(g), iova = MAP_IOVA, t0, t1;
	int rc;

	t0 = bench_now_ns();
	rc = pm_ioas_map(io->ictx, io->ioas, pm_gmem_host_view(g), size, &iova,
			 BENCH_MAP_FIXED);
	t1 = bench_now_ns();
	if (rc) {
		snprintf(why, len, "IOMMU_IOAS_MAP by address: %s%s",
			 strerror(-rc),
			 rc == -ENOMEM ? " (RLIMIT_MEMLOCK; needs "
					 "CAP_IPC_LOCK or a higher limit)" :
					 "");
		return rc;
	}
	t->map_s = (t1 - t0) / 1e9;
	rc = after_map(io, size, t, why, len);
	if (rc) {
		pm_ioas_unmap(io->ictx, io->ioas, MAP_IOVA, size, NULL);
		return rc;
	}
	return timed_unmap(io, size, t, why, len);
}

static double gbps(uint64_t bytes, double s)
{
	return s > 0 ? bytes / 1e9 / s : 0;
}

static void pt_figure(struct bench_result *r, uint64_t size,
		      const struct map_time *t)
{
	double per_gib = (double)t->pt_bytes * (double)GiB / (double)size;

	bench_sample(r, per_gib);
	bench_note(r,
		   "%.3f%% of the bytes mapped; leaves: %" PRIu64
		   " 4K, %" PRIu64 " 2M, %" PRIu64 " 1G",
		   100.0 * per_gib / (double)GiB, t->leaves[0], t->leaves[1],
		   t->leaves[2]);
	if (r->extra || (r->extra = json_object_new_object())) {
		json_object_object_add(
			r->extra, "percent_of_mapped",
			json_object_new_double(100.0 * per_gib / (double)GiB));
		json_object_object_add(r->extra, "leaves_4k",
				       json_object_new_uint64(t->leaves[0]));
		json_object_object_add(r->extra, "leaves_2m",
				       json_object_new_uint64(t->leaves[1]));
		json_object_object_add(r->extra, "leaves_1g",
				       json_object_new_uint64(t->leaves[2]));
	}
}

/* ------------------------------------------------------------ 4 KiB */

static const struct bench_fig_def map_figs[] = {
	{ "map_file_vs_map_ratio_4k", "ratio",
	  "(MAP by address + UNMAP) / (MAP_FILE by fd + UNMAP), populated "
	  "4 KiB store, every IOPTE checked",
	  BENCH_HIGHER, 10 },
	{ "map_file_gbps_4k", "GB/s",
	  "IOMMU_IOAS_MAP_FILE of a populated 4 KiB store, until every IOPTE "
	  "exists",
	  BENCH_NEUTRAL, 0 },
	{ "unmap_gbps_4k", "GB/s",
	  "IOMMU_IOAS_UNMAP of that mapping, until no IOPTE is left",
	  BENCH_NEUTRAL, 0 },
	{ "pt_bytes_per_gib_4k", "bytes/GiB",
	  "IO page-table memory per GiB mapped by MAP_FILE, 4 KiB store",
	  BENCH_LOWER, 0.002 * (double)GiB },
	{ NULL },
};

static void run_map(struct bench *b)
{
	struct bench_result *ratio = bench_fig(b, "map_file_vs_map_ratio_4k");
	struct bench_result *mg = bench_fig(b, "map_file_gbps_4k");
	struct bench_result *ug = bench_fig(b, "unmap_gbps_4k");
	struct bench_result *pt = bench_fig(b, "pt_bytes_per_gib_4k");
	unsigned int i, reps = bench_reps(b, 7, 3);
	uint64_t size = bench_size(b);
	struct pm_gmem *g = NULL;
	struct bench_io io;
	char why[512], kind[64], sz[32];
	bool va_ok = true;
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
	rc = bench_io_open(&io, "bench-map");
	if (rc) {
		bench_fail_all(b, "IOAS with a device: %s", strerror(-rc));
		pm_gmem_close(g);
		return;
	}

	/* One untimed round of each, so that neither side pays first use. */
	{
		struct map_time w;

		rc = map_by_fd(&io, g, &w, why, sizeof(why));
		if (rc) {
			bench_fail_all(b, "%s", why);
			goto out;
		}
		if (map_by_va(&io, g, &w, why, sizeof(why))) {
			va_ok = false;
			if (strstr(why, "RLIMIT_MEMLOCK"))
				bench_skip(ratio, "%s", why);
			else
				bench_fail(ratio, "%s", why);
		}
	}

	/* Pairs, interleaved, the order alternating: ABBA ABBA ... */
	for (i = 0; i < reps; i++) {
		struct map_time a, v;
		bool fd_first = !(i & 1);

		bench_progress(b, "%s: MAP_FILE vs MAP, pair %u/%u", sz, i + 1,
			       reps);
		if (!fd_first && va_ok &&
		    map_by_va(&io, g, &v, why, sizeof(why))) {
			bench_fail(ratio, "%s", why);
			va_ok = false;
		}
		if (map_by_fd(&io, g, &a, why, sizeof(why))) {
			bench_fail_all(b, "%s", why);
			goto out;
		}
		if (fd_first && va_ok &&
		    map_by_va(&io, g, &v, why, sizeof(why))) {
			bench_fail(ratio, "%s", why);
			va_ok = false;
		}
		bench_sample(mg, gbps(size, a.map_s));
		bench_sample(ug, gbps(size, a.unmap_s));
		pt_figure(pt, size, &a);
		if (va_ok)
			bench_sample(ratio, (v.map_s + v.unmap_s) /
						    (a.map_s + a.unmap_s));
		if (i == reps - 1) {
			bench_note(mg,
				   "%s %s store, fixed IOVA; IO page table "
				   "leaves: %" PRIu64 " 4K, %" PRIu64
				   " 2M, %" PRIu64 " 1G",
				   sz, kind, a.leaves[0], a.leaves[1],
				   a.leaves[2]);
			if (va_ok)
				bench_note(ratio,
					   "%s %s store; MAP by address "
					   "%.1f + %.1f ms vs MAP_FILE "
					   "%.2f + %.2f ms (last pair)",
					   sz, kind, v.map_s * 1e3,
					   v.unmap_s * 1e3, a.map_s * 1e3,
					   a.unmap_s * 1e3);
		}
	}
	bench_note(ug, "%s %s store", sz, kind);
out:
	bench_io_close(&io);
	pm_gmem_close(g);
}

const struct bench_scenario bench_map_scenario = {
	.name = "map",
	.what = "MAP_FILE by fd vs MAP by address, 4 KiB store",
	.figs = map_figs,
	.run = run_map,
};

/* ------------------------------------------------------------ 2 MiB */

static const struct bench_fig_def map_2m_figs[] = {
	{ "map_file_gbps_2m", "GB/s",
	  "IOMMU_IOAS_MAP_FILE of a 2 MiB hugetlbfs store, until every IOPTE "
	  "exists",
	  BENCH_NEUTRAL, 0 },
	{ "unmap_gbps_2m", "GB/s",
	  "IOMMU_IOAS_UNMAP of that mapping, until no IOPTE is left",
	  BENCH_NEUTRAL, 0 },
	{ "pt_bytes_per_gib_2m", "bytes/GiB",
	  "IO page-table memory per GiB mapped by MAP_FILE, 2 MiB store",
	  BENCH_NEUTRAL, 0 },
	{ NULL },
};

static void run_map_2m(struct bench *b)
{
	struct bench_result *mg = bench_fig(b, "map_file_gbps_2m");
	struct bench_result *ug = bench_fig(b, "unmap_gbps_2m");
	struct bench_result *pt = bench_fig(b, "pt_bytes_per_gib_2m");
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_HUGETLB_2M,
		.vm_fd = -1,
		.fd = -1,
		.name = "bench-2m",
	};
	unsigned int i, reps = bench_reps(b, 9, 3);
	uint64_t want = bench_size(b), size = want;
	long free_pages = bench_free_2m_pages(b);
	struct pm_gmem *g = NULL;
	struct map_time t;
	struct bench_io io;
	char why[512], sz[32], wsz[32];
	int rc;

	if (free_pages < 0 || (uint64_t)free_pages < MIN_2M_SIZE / (2 * MiB)) {
		bench_skip_all(b,
			       "%ld free 2 MiB huge pages; %" PRIu64
			       " needed for "
			       "the smallest size, 64 MiB (vm.nr_hugepages)",
			       free_pages < 0 ? 0 : free_pages,
			       MIN_2M_SIZE / (2 * MiB));
		return;
	}
	if ((uint64_t)free_pages < want / (2 * MiB))
		size = (uint64_t)free_pages * 2 * MiB;
	bench_size_str(size, sz, sizeof(sz));
	bench_size_str(want, wsz, sizeof(wsz));
	bench_progress(b, "creating a %s hugetlbfs store", sz);
	cfg.size = size;
	bench_log_clear();
	rc = pm_gmem_create(&cfg, &g);
	if (rc) {
		bench_skip_all(b,
			       "cannot create a %s 2 MiB hugetlbfs store: "
			       "%s",
			       sz, bench_err(rc, why, sizeof(why)));
		return;
	}
	bench_populate(g);
	rc = bench_io_open(&io, "bench-map-2m");
	if (rc) {
		bench_fail_all(b, "IOAS with a device: %s", strerror(-rc));
		pm_gmem_close(g);
		return;
	}
	/* Warm-up round, untimed. */
	if (map_by_fd(&io, g, &t, why, sizeof(why))) {
		bench_fail_all(b, "%s", why);
		goto out;
	}
	for (i = 0; i < reps; i++) {
		bench_progress(b, "%s: MAP_FILE, round %u/%u", sz, i + 1, reps);
		if (map_by_fd(&io, g, &t, why, sizeof(why))) {
			bench_fail_all(b, "%s", why);
			goto out;
		}
		bench_sample(mg, gbps(size, t.map_s));
		bench_sample(ug, gbps(size, t.unmap_s));
		pt_figure(pt, size, &t);
	}
	if (size < want) {
		bench_note(mg,
			   "%s, not %s: only %ld free 2 MiB huge pages "
			   "(%" PRIu64 " needed)",
			   sz, wsz, free_pages, want / (2 * MiB));
		bench_note(ug, "%s, not %s: only %ld free 2 MiB huge pages", sz,
			   wsz, free_pages);
		memcpy(why, pt->note, sizeof(why));
		why[sizeof(why) - 1] = '\0';
		bench_note(pt, "%s (measured on %s: %ld free 2 MiB huge pages)",
			   why, sz, free_pages);
	} else {
		bench_note(mg,
			   "%s hugetlbfs 2 MiB store; leaves: %" PRIu64
			   " 4K, %" PRIu64 " 2M, %" PRIu64 " 1G",
			   sz, t.leaves[0], t.leaves[1], t.leaves[2]);
		bench_note(ug, "%s hugetlbfs 2 MiB store", sz);
	}
out:
	bench_io_close(&io);
	pm_gmem_close(g);
}

const struct bench_scenario bench_map_2m_scenario = {
	.name = "map_2m",
	.what = "MAP_FILE by fd of a 2 MiB hugetlbfs store",
	.figs = map_2m_figs,
	.run = run_map_2m,
};

/* ---------------------------------------------------------- scaling */

static const struct bench_fig_def scaling_figs[] = {
	{ "map_scaling", "GB/s",
	  "MAP_FILE of a populated 4 KiB store from 64 MiB doubling up; the "
	  "value is the largest size's rate, the points are in \"points\"",
	  BENCH_NEUTRAL, 0 },
	{ NULL },
};

/*
 * Map time of one size, its rates replacing the figure's samples (so the
 * figure ends with the largest size's). False (figure failed or skipped)
 * to stop.
 */
static bool scaling_point(struct bench *b, struct bench_result *r,
			  uint64_t size)
{
	unsigned int i, reps = bench_reps(b, size >= 4 * GiB ? 3 : 5, 3);
	struct bench_result pts = { .def = r->def };
	double med, mn, mx, umed = 0;
	struct pm_gmem *g = NULL;
	struct map_time t;
	struct bench_io io;
	char why[512], kind[64], sz[32];
	double *unmap_s;
	int rc;

	bench_size_str(size, sz, sizeof(sz));
	bench_progress(b, "%s: creating and populating the store", sz);
	rc = bench_store_4k(b, size, &g, kind, sizeof(kind));
	if (rc) {
		bench_skip(r, "cannot create a %s store: %s", sz,
			   bench_err(rc, why, sizeof(why)));
		return false;
	}
	bench_populate(g);
	rc = bench_io_open(&io, "bench-scaling");
	if (rc) {
		bench_fail(r, "IOAS with a device: %s", strerror(-rc));
		pm_gmem_close(g);
		return false;
	}
	unmap_s = calloc(reps, sizeof(*unmap_s));
	r->n = 0;
	rc = unmap_s ? map_by_fd(&io, g, &t, why, sizeof(why)) : -ENOMEM;
	for (i = 0; !rc && i < reps; i++) {
		bench_progress(b, "%s: MAP_FILE, round %u/%u", sz, i + 1, reps);
		rc = map_by_fd(&io, g, &t, why, sizeof(why));
		if (!rc) {
			bench_sample(&pts, t.map_s);
			unmap_s[i] = t.unmap_s;
			bench_sample(r, gbps(size, t.map_s));
		}
	}
	bench_io_close(&io);
	pm_gmem_close(g);
	if (rc) {
		bench_fail(r, "%s: %s", sz,
			   rc == -ENOMEM && !unmap_s ? "out of memory" : why);
		free(unmap_s);
		free(pts.samples);
		return false;
	}
	for (i = 0; i < reps; i++)
		umed += unmap_s[i] / reps;
	free(unmap_s);
	if (!bench_stats(&pts, &med, &mn, &mx) ||
	    b->nr_points >=
		    sizeof(b->point_bytes) / sizeof(b->point_bytes[0])) {
		free(pts.samples);
		return false;
	}
	b->point_bytes[b->nr_points] = size;
	b->point_s[b->nr_points] = med;
	b->point_min_s[b->nr_points] = mn;
	b->point_max_s[b->nr_points] = mx;
	b->point_unmap_s[b->nr_points] = umed;
	b->nr_points++;
	free(pts.samples);
	return true;
}

static void run_scaling(struct bench *b)
{
	struct bench_result *r = bench_fig(b, "map_scaling");
	uint64_t max = b->quick ? SCALING_QUICK_MAX : SCALING_MAX, size, top;
	char sz[32], avail_s[32];
	json_object *points;
	uint64_t avail;
	unsigned int i;

	/* The largest size that leaves 4 GiB spare (checked once more before
	 * each size, as other work on the host may take memory). */
	avail = bench_mem_available();
	for (top = max; top >= SCALING_MIN; top /= 2)
		if (avail >= SCALING_SPARE && top <= avail - SCALING_SPARE)
			break;
	if (top < SCALING_MIN) {
		bench_skip(r,
			   "MemAvailable is %s: not 64 MiB with 4 GiB to "
			   "spare",
			   bench_size_str(avail, avail_s, sizeof(avail_s)));
		return;
	}
	b->nr_points = 0;
	for (size = SCALING_MIN; size <= top; size *= 2) {
		avail = bench_mem_available();
		if (avail < SCALING_SPARE || size > avail - SCALING_SPARE) {
			top = size / 2;
			break;
		}
		if (!scaling_point(b, r, size))
			return;
	}
	if (!b->nr_points)
		return;
	top = b->point_bytes[b->nr_points - 1];
	if (top < max)
		bench_note(r,
			   "%s to %s (stopped there: MemAvailable %s, 4 GiB "
			   "kept spare)",
			   bench_size_str(SCALING_MIN, avail_s,
					  sizeof(avail_s)),
			   bench_size_str(top, sz, sizeof(sz)),
			   bench_size_str(bench_mem_available(), avail_s,
					  sizeof(avail_s)));
	else
		bench_note(r, "64 MiB to %s, doubling",
			   bench_size_str(top, sz, sizeof(sz)));
	points = json_object_new_array();
	for (i = 0; points && i < b->nr_points; i++) {
		json_object *p = json_object_new_object();

		if (!p)
			break;
		json_object_object_add(
			p, "bytes", json_object_new_uint64(b->point_bytes[i]));
		json_object_object_add(
			p, "map_ms_median",
			json_object_new_double(b->point_s[i] * 1e3));
		json_object_object_add(
			p, "map_ms_min",
			json_object_new_double(b->point_min_s[i] * 1e3));
		json_object_object_add(
			p, "map_ms_max",
			json_object_new_double(b->point_max_s[i] * 1e3));
		json_object_object_add(
			p, "unmap_ms_mean",
			json_object_new_double(b->point_unmap_s[i] * 1e3));
		json_object_object_add(
			p, "map_gbps",
			json_object_new_double(
				gbps(b->point_bytes[i], b->point_s[i])));
		json_object_array_add(points, p);
	}
	if (points && (r->extra || (r->extra = json_object_new_object())))
		json_object_object_add(r->extra, "points", points);
	else
		json_object_put(points);
}

const struct bench_scenario bench_scaling_scenario = {
	.name = "scaling",
	.what = "MAP_FILE time from 64 MiB doubling up to 8 GiB",
	.figs = scaling_figs,
	.run = run_scaling,
};
