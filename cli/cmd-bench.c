// SPDX-License-Identifier: MIT
/*
 * `privmem bench [SCENARIO...] [--json] [--plot FILE.svg] [--quick]`: the
 * performance of the whole system, as figures taken side by side in one
 * run (the scenarios are in bench/; bench/bench.h says how a figure is
 * kept). Every figure of the selected scenarios is reported: measured
 * (median, min, max of its repetitions), or skipped or failed with the
 * reason. JSON:
 *   {"host": {...}, "date", "quick", "version",
 *    "results": {NAME: {"value", "unit", "median", "min", "max", "runs",
 *                       "what", "target", "note", ...}}}
 * where value = median, and a figure not taken is
 *   {"value": null, "unit", "skipped": "reason"} (+ "failed": true).
 * Exit status: 0, 1 if a figure failed (or --plot could not draw), 2 for
 * a usage error.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cli.h"
#include "bench.h"

/*
 * How this tree was built: the project's arguments reach the library and
 * this file alike. The lock-order checker (PM_DEBUG_CHECKS) makes every
 * lock the library takes slower; figures for comparison come from a
 * release build.
 */
#ifdef PM_DEBUG_CHECKS
#define BUILD_DEBUG_CHECKS true
#else
#define BUILD_DEBUG_CHECKS false
#endif
#ifdef __OPTIMIZE__
#define BUILD_OPTIMIZED true
#else
#define BUILD_OPTIMIZED false
#endif

static void usage(FILE *f)
{
	const struct bench_scenario *const *s;

	fprintf(f, "usage: privmem bench [SCENARIO...] [--json] "
		   "[--plot FILE.svg] [--quick] [--list]\n\nscenarios (all "
		   "when none is named):\n");
	for (s = bench_scenarios; *s; s++)
		fprintf(f, "  %-8s %s\n", (*s)->name, (*s)->what);
}

static void list(void)
{
	const struct bench_scenario *const *s;
	const struct bench_fig_def *d;

	for (s = bench_scenarios; *s; s++)
		for (d = (*s)->figs; d->name; d++)
			printf("%-8s %-30s %-10s %s\n", (*s)->name, d->name,
			       d->unit, d->what);
}

static const struct bench_scenario *find_scenario(const char *name)
{
	const struct bench_scenario *const *s;

	for (s = bench_scenarios; *s; s++)
		if (!strcmp((*s)->name, name))
			return *s;
	return NULL;
}

static bool target_met(const struct bench_fig_def *d, double v)
{
	return d->better == BENCH_HIGHER ? v >= d->target : v <= d->target;
}

static const char *target_op(const struct bench_fig_def *d)
{
	return d->better == BENCH_HIGHER ? ">=" : "<=";
}

/* A number for the table: about 4 significant digits, no exponent. */
static const char *num(double v, char *buf, size_t len)
{
	double a = v < 0 ? -v : v;

	if (a >= 1e4)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 100)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.3f", v);
	else
		snprintf(buf, len, "%.4f", v);
	return buf;
}

static json_object *result_json(const struct bench_result *r)
{
	const struct bench_fig_def *d = r->def;
	json_object *o = json_object_new_object(), *t;
	double med, mn, mx;

	if (!o)
		return NULL;
	if (!bench_stats(r, &med, &mn, &mx)) {
		json_object_object_add(o, "value", NULL);
		json_object_object_add(o, "unit",
				       json_object_new_string(d->unit));
		if (r->state == BENCH_FAILED) {
			char buf[600];

			snprintf(buf, sizeof(buf), "failed: %s", r->reason);
			json_object_object_add(o, "skipped",
					       json_object_new_string(buf));
			json_object_object_add(o, "failed",
					       json_object_new_boolean(true));
		} else {
			json_object_object_add(
				o, "skipped",
				json_object_new_string(r->reason[0] ?
							       r->reason :
							       "not measured"));
		}
		json_object_object_add(o, "what",
				       json_object_new_string(d->what));
		return o;
	}
	json_object_object_add(o, "value", json_object_new_double(med));
	json_object_object_add(o, "unit", json_object_new_string(d->unit));
	json_object_object_add(o, "median", json_object_new_double(med));
	json_object_object_add(o, "min", json_object_new_double(mn));
	json_object_object_add(o, "max", json_object_new_double(mx));
	json_object_object_add(o, "runs", json_object_new_int((int)r->n));
	json_object_object_add(o, "what", json_object_new_string(d->what));
	if (d->better != BENCH_NEUTRAL && (t = json_object_new_object())) {
		json_object_object_add(t, "op",
				       json_object_new_string(target_op(d)));
		json_object_object_add(t, "value",
				       json_object_new_double(d->target));
		json_object_object_add(
			t, "met", json_object_new_boolean(target_met(d, med)));
		json_object_object_add(o, "target", t);
	}
	if (r->note[0])
		json_object_object_add(o, "note",
				       json_object_new_string(r->note));
	if (r->extra) {
		json_object_object_foreach(r->extra, key, val)
			json_object_object_add(o, key, json_object_get(val));
	}
	return o;
}

static void print_json(struct bench *b, const char *date)
{
	json_object *root = json_object_new_object(), *res;
	unsigned int i;

	if (!root) {
		fprintf(stderr, "privmem: out of memory\n");
		exit(1);
	}
	json_object_object_add(root, "host", host_json(&b->host));
	json_object_object_add(root, "date", json_object_new_string(date));
	json_object_object_add(root, "quick",
			       json_object_new_boolean(b->quick));
	json_object_object_add(root, "version",
			       json_object_new_string(pm_version()));
	res = json_object_new_object();
	if (res) {
		json_object_object_add(
			res, "debug_checks",
			json_object_new_boolean(BUILD_DEBUG_CHECKS));
		json_object_object_add(
			res, "optimized",
			json_object_new_boolean(BUILD_OPTIMIZED));
		json_object_object_add(root, "build", res);
	}
	res = json_object_new_object();
	for (i = 0; res && i < b->nr_results; i++)
		json_object_object_add(res, b->results[i].def->name,
				       result_json(&b->results[i]));
	json_object_object_add(root, "results", res);
	json_print(root);
	json_object_put(root);
}

static void print_text(struct bench *b, const char *date)
{
	char m1[32], m2[32], m3[32], tgt[48];
	double med, mn, mx;
	unsigned int i;

	printf("privmem bench on Linux %s (%s), %s%s\n", b->host.kernel_release,
	       b->host.machine, date,
	       b->quick ? ", --quick (sizes and repetitions cut: not for "
			  "comparison)" :
			  "");
	printf("build: %s, %s\n",
	       BUILD_OPTIMIZED ? "optimized" : "not optimized",
	       BUILD_DEBUG_CHECKS ? "debug checks on (lock-order checker: "
				    "slower locks; compare release builds)" :
				    "debug checks off");
	printf("GB = 10^9 bytes, GiB = 2^30 bytes; median of the runs, with "
	       "min and max\n\n");
	printf("%-28s %10s %10s %10s  %-9s %-4s %s\n", "figure", "median",
	       "min", "max", "unit", "runs", "target");
	for (i = 0; i < b->nr_results; i++) {
		const struct bench_result *r = &b->results[i];
		const struct bench_fig_def *d = r->def;

		if (!bench_stats(r, &med, &mn, &mx)) {
			printf("%-28s %-10s %s: %s\n", d->name, d->unit,
			       r->state == BENCH_FAILED ? "FAILED" : "skipped",
			       r->reason[0] ? r->reason : "not measured");
			continue;
		}
		if (d->better == BENCH_NEUTRAL)
			snprintf(tgt, sizeof(tgt), "-");
		else
			snprintf(tgt, sizeof(tgt), "%s %s: %s", target_op(d),
				 num(d->target, m1, sizeof(m1)),
				 target_met(d, med) ? "met" : "MISSED");
		printf("%-28s %10s %10s %10s  %-9s %-4u %s\n", d->name,
		       num(med, m1, sizeof(m1)), num(mn, m2, sizeof(m2)),
		       num(mx, m3, sizeof(m3)), d->unit, r->n, tgt);
		if (r->note[0])
			printf("%-28s   %s\n", "", r->note);
	}
}

/* gnuplot is there: `gnuplot --version` runs. */
static bool have_gnuplot(void)
{
	FILE *p = popen("gnuplot --version 2>/dev/null", "r");
	char line[128];
	bool ok;
	int st;

	if (!p)
		return false;
	ok = fgets(line, sizeof(line), p) != NULL;
	st = pclose(p);
	return ok && st != -1 && WIFEXITED(st) && !WEXITSTATUS(st);
}

/* map_scaling as an SVG: map time against size, log-log. 0 or 1. */
static int plot(const struct bench *b, const char *file)
{
	const struct bench_result *r = NULL;
	unsigned int i, last;
	FILE *p;
	int st;

	for (i = 0; i < b->nr_results; i++)
		if (!strcmp(b->results[i].def->name, "map_scaling"))
			r = &b->results[i];
	if (!r || !b->nr_points) {
		fprintf(stderr,
			"privmem bench: nothing to plot: map_scaling "
			"%s\n",
			r && r->reason[0] ? r->reason : "was not measured");
		return 1;
	}
	if (strpbrk(file, "'\n")) {
		fprintf(stderr, "privmem bench: --plot: a file name with a "
				"quote or newline is not supported\n");
		return 1;
	}
	/* A gnuplot that exits early must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	p = popen("gnuplot", "w");
	if (!p) {
		fprintf(stderr, "privmem bench: cannot run gnuplot\n");
		return 1;
	}
	fprintf(p,
		"set terminal svg size 800,500 dynamic font 'sans,12'\n"
		"set output '%s'\n"
		"set title 'privmem: MAP\\_FILE of a populated 4 KiB store "
		"(Linux %s, %s, %s)'\n"
		"set xlabel 'bytes mapped (GiB)'\n"
		"set ylabel 'time (ms)'\n"
		"set logscale xy 2\n"
		"set grid\n"
		"set key below\n"
		"plot '-' using 1:2:3:4 with yerrorlines lw 2 title "
		"'MAP\\_FILE until every IOPTE exists (median, min-max)', "
		"'-' using 1:2 with linespoints lw 2 title 'UNMAP (mean)', "
		"'-' using 1:2 with lines dt 2 title "
		"'linear in size (through the largest)'\n",
		file, b->host.kernel_release,
		BUILD_DEBUG_CHECKS ? "debug checks on" : "release build",
		b->quick ? "--quick" : "full run");
	for (i = 0; i < b->nr_points; i++)
		fprintf(p, "%.6f %.6f %.6f %.6f\n",
			(double)b->point_bytes[i] / GiB, b->point_s[i] * 1e3,
			b->point_min_s[i] * 1e3, b->point_max_s[i] * 1e3);
	fprintf(p, "e\n");
	for (i = 0; i < b->nr_points; i++)
		fprintf(p, "%.6f %.6f\n", (double)b->point_bytes[i] / GiB,
			b->point_unmap_s[i] * 1e3);
	fprintf(p, "e\n");
	/* Through the largest point: where smaller sizes would be if the
	 * time per byte were the same. */
	last = b->nr_points - 1;
	for (i = 0; i < b->nr_points; i++)
		fprintf(p, "%.6f %.6f\n", (double)b->point_bytes[i] / GiB,
			b->point_s[last] * 1e3 * (double)b->point_bytes[i] /
				(double)b->point_bytes[last]);
	fprintf(p, "e\n");
	st = pclose(p);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "privmem bench: gnuplot failed drawing %s\n",
			file);
		return 1;
	}
	return 0;
}

static int add_scenario(struct bench *b, const struct bench_scenario *s)
{
	const struct bench_fig_def *d;
	unsigned int n = 0;
	struct bench_result *r;

	for (d = s->figs; d->name; d++)
		n++;
	r = realloc(b->results, (b->nr_results + n) * sizeof(*r));
	if (!r)
		return -1;
	b->results = r;
	for (d = s->figs; d->name; d++) {
		memset(&r[b->nr_results], 0, sizeof(*r));
		r[b->nr_results++].def = d;
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "plot", required_argument, NULL, 'p' },
		{ "quick", no_argument, NULL, 'q' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct bench_scenario *sel[16];
	const struct bench_scenario *const *s;
	struct bench b = { 0 };
	const char *plot_file = NULL;
	unsigned int nsel = 0, i, j, nfailed = 0;
	bool json = false, want_scaling = false;
	char date[32];
	time_t now;
	int c, rc, status = 0;

	while ((c = getopt_long(argc, argv, "jp:qlh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			plot_file = optarg;
			break;
		case 'q':
			b.quick = true;
			break;
		case 'l':
			list();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		const struct bench_scenario *sc = find_scenario(argv[optind]);

		if (!sc) {
			fprintf(stderr, "privmem bench: no scenario '%s'\n",
				argv[optind]);
			usage(stderr);
			return 2;
		}
		for (j = 0; j < nsel && sel[j] != sc; j++)
			;
		if (j == nsel && nsel < sizeof(sel) / sizeof(sel[0]))
			sel[nsel++] = sc;
	}
	if (!nsel)
		for (s = bench_scenarios;
		     *s && nsel < sizeof(sel) / sizeof(sel[0]); s++)
			sel[nsel++] = *s;
	for (i = 0; i < nsel; i++)
		if (sel[i] == &bench_scaling_scenario)
			want_scaling = true;
	if (plot_file && !want_scaling) {
		fprintf(stderr, "privmem bench: --plot draws map_scaling: name "
				"the scaling scenario too\n");
		return 2;
	}
	if (plot_file && !have_gnuplot()) {
		fprintf(stderr, "privmem bench: --plot needs gnuplot, which is "
				"not installed here (apt-get install "
				"gnuplot-nox)\n");
		return 1;
	}

	bench_log_setup(cli_verbose);
	rc = pm_host_probe(&b.host);
	if (rc) {
		fprintf(stderr, "privmem: host probe failed: %s\n",
			strerror(-rc));
		return 1;
	}
	for (i = 0; i < nsel; i++)
		if (add_scenario(&b, sel[i])) {
			fprintf(stderr, "privmem: out of memory\n");
			return 1;
		}
	b.tty = isatty(STDERR_FILENO);
	b.nr_selected = nsel;
	now = time(NULL);
	strftime(date, sizeof(date), "%Y-%m-%d", localtime(&now));

	for (i = 0; i < nsel; i++) {
		const struct bench_fig_def *d;

		b.cur = sel[i];
		b.cur_index = i;
		bench_progress(&b, "starting");
		sel[i]->run(&b);
		/* Nothing is left out silently. */
		for (d = sel[i]->figs; d->name; d++) {
			struct bench_result *r = bench_fig(&b, d->name);

			if (r->state == BENCH_PENDING && !r->n)
				bench_fail(r, "the scenario took no sample "
					      "(internal error)");
		}
	}
	bench_progress_clear(&b);
	b.cur = NULL;

	if (json)
		print_json(&b, date);
	else
		print_text(&b, date);
	for (i = 0; i < b.nr_results; i++)
		if (b.results[i].state == BENCH_FAILED)
			nfailed++;
	if (nfailed) {
		fprintf(stderr, "privmem bench: %u figure%s failed\n", nfailed,
			nfailed == 1 ? "" : "s");
		status = 1;
	}
	if (plot_file) {
		if (plot(&b, plot_file))
			status = 1;
		else if (!json)
			printf("\nmap_scaling drawn in %s\n", plot_file);
	}
	for (i = 0; i < b.nr_results; i++) {
		free(b.results[i].samples);
		json_object_put(b.results[i].extra);
	}
	free(b.results);
	return status;
}
