// SPDX-License-Identifier: MIT
/*
 * What every scenario shares: the scenario table, results and their
 * statistics, the progress line, clocks, stores and IOAS set-ups, and the
 * IO page-table check that makes a map count only once every IOPTE exists.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include "bench.h"

const struct bench_scenario *const bench_scenarios[] = {
	&bench_map_scenario,	 &bench_map_2m_scenario,
	&bench_dma_scenario,	 &bench_iotlb_scenario,
	&bench_convert_scenario, &bench_scaling_scenario,
	&bench_vmm_scenario,	 NULL,
};

/* ------------------------------------------------------------ results */

struct bench_result *bench_fig(struct bench *b, const char *name)
{
	unsigned int i;

	for (i = 0; i < b->nr_results; i++)
		if (!strcmp(b->results[i].def->name, name))
			return &b->results[i];
	fprintf(stderr, "privmem bench: internal error: no figure %s\n", name);
	abort();
}

static void set_text(char *dst, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(dst, len, fmt, ap);
}

bool bench_sample(struct bench_result *r, double v)
{
	if (r->state != BENCH_PENDING)
		return false;
	if (r->n == r->cap) {
		unsigned int cap = r->cap ? r->cap * 2 : 16;
		double *s;

		if (cap < r->cap ||
		    !(s = realloc(r->samples, cap * sizeof(*s)))) {
			bench_fail(r, "out of memory for samples");
			return false;
		}
		r->samples = s;
		r->cap = cap;
	}
	r->samples[r->n++] = v;
	return true;
}

static void verdict(struct bench_result *r, enum bench_state st,
		    const char *fmt, va_list ap)
{
	/* The first verdict stands: it is the cause. */
	if (r->state != BENCH_PENDING)
		return;
	r->state = st;
	r->n = 0;
	set_text(r->reason, sizeof(r->reason), fmt, ap);
}

void bench_skip(struct bench_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict(r, BENCH_SKIPPED, fmt, ap);
	va_end(ap);
}

void bench_fail(struct bench_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict(r, BENCH_FAILED, fmt, ap);
	va_end(ap);
}

void bench_note(struct bench_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

static void verdict_all(struct bench *b, enum bench_state st, const char *fmt,
			va_list ap)
{
	const struct bench_fig_def *d;
	char why[512];

	vsnprintf(why, sizeof(why), fmt, ap);
	for (d = b->cur->figs; d->name; d++) {
		struct bench_result *r = bench_fig(b, d->name);

		if (r->state == BENCH_PENDING) {
			r->state = st;
			r->n = 0;
			snprintf(r->reason, sizeof(r->reason), "%s", why);
		}
	}
}

void bench_skip_all(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict_all(b, BENCH_SKIPPED, fmt, ap);
	va_end(ap);
}

void bench_fail_all(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict_all(b, BENCH_FAILED, fmt, ap);
	va_end(ap);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

bool bench_stats(const struct bench_result *r, double *median, double *min,
		 double *max)
{
	double *s;
	unsigned int n = r->n;

	if (r->state != BENCH_PENDING || !n)
		return false;
	s = malloc(n * sizeof(*s));
	if (!s)
		return false;
	memcpy(s, r->samples, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	*min = s[0];
	*max = s[n - 1];
	*median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return true;
}

/* ----------------------------------------------------------- progress */

void bench_progress(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->tty)
		return;
	fprintf(stderr, "\r\033[K[%u/%u %s] ", b->cur_index + 1, b->nr_selected,
		b->cur ? b->cur->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	b->progress_shown = true;
}

void bench_progress_clear(struct bench *b)
{
	if (!b->tty || !b->progress_shown)
		return;
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
	b->progress_shown = false;
}

/* ------------------------------------------------------------ helpers */

static struct {
	bool verbose;
	char last[300];
} bench_log;

void bench_log_hook(void *opaque, enum pm_log_level level, const char *msg)
{
	if (bench_log.verbose)
		fprintf(stderr, "privmem[%d]: %s\n", level, msg);
	if (level <= PM_LOG_WARN)
		snprintf(bench_log.last, sizeof(bench_log.last), "%s", msg);
}

void bench_log_setup(bool verbose)
{
	bench_log.verbose = verbose;
	pm_set_log(bench_log_hook, NULL, verbose ? PM_LOG_DEBUG : PM_LOG_WARN);
}

void bench_log_clear(void)
{
	bench_log.last[0] = '\0';
}

const char *bench_err(int rc, char *buf, size_t len)
{
	if (bench_log.last[0])
		snprintf(buf, len, "%s (%s)", strerror(-rc), bench_log.last);
	else
		snprintf(buf, len, "%s", strerror(-rc));
	bench_log_clear();
	return buf;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

unsigned int bench_reps(const struct bench *b, unsigned int full,
			unsigned int quick)
{
	return b->quick ? quick : full;
}

uint64_t bench_size(const struct bench *b)
{
	return b->quick ? 64 * MiB : GiB;
}

const char *bench_size_str(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= GiB && !(bytes % GiB))
		snprintf(buf, len, "%" PRIu64 " GiB", bytes / GiB);
	else if (bytes >= GiB)
		snprintf(buf, len, "%.2f GiB", (double)bytes / GiB);
	else if (bytes >= MiB && !(bytes % MiB))
		snprintf(buf, len, "%" PRIu64 " MiB", bytes / MiB);
	else if (bytes >= KiB && !(bytes % KiB))
		snprintf(buf, len, "%" PRIu64 " KiB", bytes / KiB);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
	return buf;
}

uint64_t bench_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

int bench_store_4k(struct bench *b, uint64_t size, struct pm_gmem **out,
		   char *why, size_t why_len)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_MEMFD,
		.size = size,
		.vm_fd = -1,
		.fd = -1,
		.name = "bench",
	};
	int rc;

	bench_log_clear();
	if (b->host.kvm_accessible && b->host.guest_memfd) {
		cfg.backend = PM_GMEM_GUEST_MEMFD;
		rc = pm_gmem_create(&cfg, out);
		if (!rc) {
			snprintf(why, why_len, "guest_memfd");
			return 0;
		}
		if (rc != -EOPNOTSUPP)
			return rc;
		cfg.backend = PM_GMEM_MEMFD;
		snprintf(why, why_len, "memfd (guest_memfd store refused)");
	} else {
		snprintf(why, why_len, "memfd (no KVM guest_memfd here)");
	}
	return pm_gmem_create(&cfg, out);
}

long bench_free_2m_pages(const struct bench *b)
{
	int i;

	for (i = 0; i < b->host.nr_hugetlb; i++)
		if (b->host.hugetlb[i].page_size == 2 * MiB)
			return b->host.hugetlb[i].free;
	return 0;
}

void bench_populate(struct pm_gmem *g)
{
	volatile uint64_t *view = pm_gmem_host_view(g);
	uint64_t size = pm_gmem_size(g), off;

	for (off = 0; off < size; off += PAGE_4K)
		view[off / sizeof(*view)] = off | 1;
}

int bench_io_open(struct bench_io *io, const char *dev_name)
{
	uint32_t dev_id, pt;
	int rc;

	memset(io, 0, sizeof(*io));
	rc = pm_iommufd_open(&io->ictx);
	if (!rc)
		rc = pm_ioas_alloc(io->ictx, &io->ioas);
	if (!rc)
		rc = pm_device_create(io->ictx, dev_name, &io->dev, &dev_id);
	if (!rc) {
		pt = io->ioas;
		rc = pm_device_attach(io->dev, &pt);
	}
	if (rc)
		bench_io_close(io);
	return rc;
}

void bench_io_close(struct bench_io *io)
{
	pm_device_destroy(io->dev);
	pm_iommufd_close(io->ictx);
	memset(io, 0, sizeof(*io));
}

int bench_check_ioptes(struct pm_device *dev, uint64_t bytes, char *why,
		       size_t why_len)
{
	struct pm_device_stats st;
	uint64_t b4, b2, b1, sum;
	int rc = pm_device_get_stats(dev, &st);

	if (rc) {
		snprintf(why, why_len, "device stats: %s", strerror(-rc));
		return rc;
	}
	if (__builtin_mul_overflow(st.pt_leaves_4k, PAGE_4K, &b4) ||
	    __builtin_mul_overflow(st.pt_leaves_2m, 2 * MiB, &b2) ||
	    __builtin_mul_overflow(st.pt_leaves_1g, GiB, &b1) ||
	    __builtin_add_overflow(b4, b2, &sum) ||
	    __builtin_add_overflow(sum, b1, &sum) || sum != bytes) {
		snprintf(why, why_len,
			 "IO page table holds %" PRIu64 " 4K + %" PRIu64
			 " 2M + %" PRIu64 " 1G leaves, not %" PRIu64 " bytes",
			 st.pt_leaves_4k, st.pt_leaves_2m, st.pt_leaves_1g,
			 bytes);
		return -EIO;
	}
	return 0;
}

uint64_t bench_mem_available(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	if (kb > UINT64_MAX / 1024)
		return UINT64_MAX;
	return (uint64_t)kb * 1024;
}
