/* SPDX-License-Identifier: MIT */
/*
 * `privmem bench`: the scenarios and the figures they take.
 *
 * A scenario (one per group of figures that share a setup) declares its
 * figures up front: name, unit, what it measures, which way is better and
 * the target. The runner (cli/cmd-bench.c) creates a result for
 * every declared figure before the scenario runs; the scenario adds one
 * sample per repetition, or marks the figure skipped (the host cannot take
 * it: the reason is reported) or failed (a check of the definition did not
 * hold, e.g. an IO page-table entry is missing after a map). A figure the
 * scenario leaves without samples and without a verdict is reported as
 * failed, so nothing is ever left out silently.
 *
 * Each figure is the median of its samples, with the min and the max.
 * Units are explicit: GB = 10^9 bytes, GiB = 2^30 bytes.
 *
 * Public API only (include/privmem/); bench code never reaches into lib/.
 */
#ifndef PRIVMEM_BENCH_H
#define PRIVMEM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <privmem/privmem.h>
#include <privmem/host.h>
#include <privmem/uapi/iommufd.h>

struct pm_gmem;
struct pm_iommufd;
struct pm_device;

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define PAGE_4K ((uint64_t)4096)

enum bench_better {
	BENCH_NEUTRAL = 0, /* context, no target */
	BENCH_HIGHER, /* target: value >= target */
	BENCH_LOWER, /* target: value <= target */
};

struct bench_fig_def {
	const char *name;
	const char *unit;
	const char *what; /* one line: what is measured */
	enum bench_better better;
	double target; /* meaningful when better != BENCH_NEUTRAL */
};

enum bench_state {
	BENCH_PENDING = 0,
	BENCH_SKIPPED, /* cannot be taken on this host: reason */
	BENCH_FAILED, /* the definition's check did not hold: reason */
};

struct bench_result {
	const struct bench_fig_def *def;
	double *samples;
	unsigned int n, cap;
	enum bench_state state;
	char reason[512];
	char note[256];
	json_object *extra; /* more keys for the JSON entry, or NULL */
};

struct bench;

struct bench_scenario {
	const char *name;
	const char *what;
	const struct bench_fig_def *figs; /* terminated by a NULL name */
	void (*run)(struct bench *b);
};

struct bench {
	bool quick;
	bool tty; /* progress line on stderr */
	struct pm_host_info host;
	struct bench_result *results;
	unsigned int nr_results;
	/* The scenario running, for progress and figure lookup. */
	const struct bench_scenario *cur;
	unsigned int cur_index, nr_selected;
	bool progress_shown;
	/* map_scaling's points, for --plot: bytes and map seconds. */
	unsigned int nr_points;
	uint64_t point_bytes[16];
	double point_s[16], point_min_s[16], point_max_s[16];
	double point_unmap_s[16]; /* mean */
};

extern const struct bench_scenario *const bench_scenarios[];

/* ------------------------------------------------------------ results */

/* The result of figure @name of the running scenario (aborts if unknown:
 * a scenario may only report what it declared). */
struct bench_result *bench_fig(struct bench *b, const char *name);
/* Add one sample. Returns false (and fails the figure) without memory. */
bool bench_sample(struct bench_result *r, double v);
void bench_skip(struct bench_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bench_fail(struct bench_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bench_note(struct bench_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Skip (or fail) every figure of the running scenario that has no verdict
 * yet; samples already taken are dropped. */
void bench_skip_all(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bench_fail_all(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Median, min and max of the samples; false if there are none. */
bool bench_stats(const struct bench_result *r, double *median, double *min,
		 double *max);

/* The progress line (stderr, when it is a terminal). */
void bench_progress(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bench_progress_clear(struct bench *b);

/* ------------------------------------------------------------ helpers */

/*
 * The library's messages: bench_log_hook (for pm_set_log) keeps the last
 * warning or error, so that a skip can say why (-EOPNOTSUPP alone does
 * not), and copies every message to stderr when @verbose.
 */
void bench_log_hook(void *opaque, enum pm_log_level level, const char *msg);
void bench_log_setup(bool verbose);
void bench_log_clear(void);
/* "strerror(-rc)", with the library's last warning since the last clear. */
const char *bench_err(int rc, char *buf, size_t len);

uint64_t bench_now_ns(void);
/* Repetitions: @full normally, @quick with --quick. */
unsigned int bench_reps(const struct bench *b, unsigned int full,
			unsigned int quick);
/* The size a 1 GiB scenario uses (64 MiB with --quick). */
uint64_t bench_size(const struct bench *b);
/* "1 GiB", "64 MiB", "1.5 GiB". */
const char *bench_size_str(uint64_t bytes, char *buf, size_t len);

/* xorshift64*: deterministic pseudo-random numbers. */
uint64_t bench_rand(uint64_t *state);

/* 4 KiB store of the usual kind: guest_memfd when KVM has it, else memfd. */
int bench_store_4k(struct bench *b, uint64_t size, struct pm_gmem **out,
		   char *why, size_t why_len);
/* Free 2 MiB huge pages on this host (0 if none). */
long bench_free_2m_pages(const struct bench *b);
/* Write one byte of every 4 KiB page through the host view. */
void bench_populate(struct pm_gmem *g);

/* A context, an IOAS, and an emulated device attached to it (its domain a
 * real IO page table). */
struct bench_io {
	struct pm_iommufd *ictx;
	uint32_t ioas;
	struct pm_device *dev;
};
int bench_io_open(struct bench_io *io, const char *dev_name);
void bench_io_close(struct bench_io *io);

/*
 * Every IOPTE of @bytes exists: the attached domain's leaves add up to
 * @bytes exactly (pt_leaves_4k * 4 KiB + pt_leaves_2m * 2 MiB +
 * pt_leaves_1g * 1 GiB). 0, or -EIO with the counts in @why.
 */
int bench_check_ioptes(struct pm_device *dev, uint64_t bytes, char *why,
		       size_t why_len);

/* Flags of a read-write map at a fixed IOVA. */
#define BENCH_MAP_FIXED                                         \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
	 IOMMU_IOAS_MAP_READABLE)

/* MemAvailable of /proc/meminfo in bytes (0 if unknown). */
uint64_t bench_mem_available(void);

/* The scenarios, by file. */
extern const struct bench_scenario bench_map_scenario;
extern const struct bench_scenario bench_map_2m_scenario;
extern const struct bench_scenario bench_scaling_scenario;
extern const struct bench_scenario bench_dma_scenario;
extern const struct bench_scenario bench_iotlb_scenario;
extern const struct bench_scenario bench_convert_scenario;
extern const struct bench_scenario bench_vmm_scenario;

#endif
