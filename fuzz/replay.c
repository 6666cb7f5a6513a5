// SPDX-License-Identifier: MIT
/*
 * A standalone driver for the fuzz targets, for builds without libFuzzer
 * (gcc, the ASan build): it feeds every file named on the command line,
 * and every file in every directory named, to LLVMFuzzerTestOneInput()
 * once, in name order. A broken invariant aborts, as under libFuzzer; the
 * program exits 0 when every input ran, 1 if a path cannot be read, 77
 * (meson's skip) if the target cannot run here (fz_skip_reason, fuzz.h).
 *
 *   fuzz-replay-uapi fuzz/corpus/uapi [more files or directories]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <time.h>
#include <sys/stat.h>
#include "fuzz.h"

const bool fz_replay = true;

static unsigned long nr_inputs;
static size_t nr_bytes;

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	nr_inputs++;
	nr_bytes += n;
	return 0;
}

static int skip_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int run_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	int i, n, rc = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	n = scandir(path, &names, skip_dot, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char *p;

		if (asprintf(&p, "%s/%s", path, names[i]->d_name) < 0) {
			rc = -1;
		} else {
			if (run_file(p))
				rc = -1;
			free(p);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	if (fz_skip_reason && fz_skip_reason()) {
		printf("SKIP %s: %s\n", argv[0], fz_skip_reason());
		return 77;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i < argc; i++)
		if (run_path(argv[i]))
			rc = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %s: %lu inputs (%zu bytes) replayed in %.2f s\n", argv[0],
	       nr_inputs, nr_bytes,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);
	if (!nr_inputs) {
		fprintf(stderr, "replay: no inputs\n");
		rc = 1;
	}
	return rc;
}
