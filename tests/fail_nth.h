/* SPDX-License-Identifier: MIT */
/*
 * fail_nth sweeps, the userspace analogue of Linux's iommufd_fail_nth.c.
 *
 * A scenario is an operation that succeeds when nothing fails. The sweep
 * runs it with the 1st, 2nd, 3rd, ... injection point failing, rebuilding
 * the fixture each time, until a run completes with nothing injected. For
 * every run in which a fault fired it asserts:
 *   - the operation returned an error (unless the scenario may absorb
 *     faults, as a probe that reports less may);
 *   - the state after equals the state before (the scenario's own digest);
 *   - teardown leaves the same set of open file descriptors as before setup
 *     (memory leaks are left to LeakSanitizer in the ASan build).
 * It returns the number of points swept.
 */
#ifndef PRIVMEM_TESTS_FAIL_NTH_H
#define PRIVMEM_TESTS_FAIL_NTH_H

#include <dirent.h>
#include <privmem/privmem.h>
#include "harness.h"

#define FAIL_NTH_MAX 5000

struct fail_nth_scenario {
	const char *name;
	void *(*setup)(void);	  /* not injected; NULL on failure */
	int (*run)(void *fx);	  /* injected; 0 or -errno */
	/* Describe the observable state into buf (NUL-terminated). */
	void (*digest)(void *fx, char *buf, size_t len);
	void (*teardown)(void *fx);
	bool may_absorb; /* a fired fault may still end in success */
};

/*
 * Append to a digest being written: out[0..len), n bytes so far (a
 * variable of the caller's); a digest cut at len still compares.
 */
#define FN_OUT(...)                                                            \
	do {                                                                   \
		if (n < len)                                                   \
			n += (size_t)snprintf(out + n, len - n, __VA_ARGS__);  \
	} while (0)

/* A digest's short name for @len bytes of content (FNV-1a). */
static inline uint32_t fail_nth_cksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* The open fds of this process as a bitmap string ("0 1 2 5 "). */
static inline void fail_nth_fds(char *buf, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int dfd;
	size_t off = 0;
	bool open_fd[1024] = { false };
	int i;

	if (!d)
		FAIL("opendir /proc/self/fd");
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dfd || fd >= 1024)
			continue;
		open_fd[fd] = true;
	}
	closedir(d);
	buf[0] = 0;
	for (i = 0; i < 1024 && off + 8 < len; i++)
		if (open_fd[i])
			off += snprintf(buf + off, len - off, "%d ", i);
}

static inline unsigned long fail_nth_sweep(const struct fail_nth_scenario *s)
{
	static char before[8192], after[8192], fds0[4096], fds1[4096];
	unsigned long n;

	for (n = 1; n < FAIL_NTH_MAX; n++) {
		void *fx;
		bool fired;
		int rc;

		fail_nth_fds(fds0, sizeof(fds0));
		fx = s->setup();
		if (!fx)
			FAIL("%s: setup failed", s->name);
		if (s->digest)
			s->digest(fx, before, sizeof(before));
		pm_fault_arm(n);
		rc = s->run(fx);
		fired = pm_fault_fired();
		pm_fault_disarm();
		if (!fired) {
			if (rc < 0)
				FAIL("%s: failed with nothing injected: %s",
				     s->name, strerror(-rc));
			s->teardown(fx);
			printf("# %s: %lu injection points swept\n", s->name,
			       n - 1);
			return n - 1;
		}
		if (rc >= 0 && !s->may_absorb)
			FAIL("%s: point %lu failed but the call succeeded",
			     s->name, n);
		if (rc < 0 && s->digest) {
			s->digest(fx, after, sizeof(after));
			if (strcmp(before, after))
				FAIL("%s: point %lu (%s) changed state:\n"
				     "before: %s\nafter:  %s",
				     s->name, n, strerror(-rc), before, after);
		}
		s->teardown(fx);
		fail_nth_fds(fds1, sizeof(fds1));
		if (strcmp(fds0, fds1))
			FAIL("%s: point %lu leaked fds: before [%s] after [%s]",
			     s->name, n, fds0, fds1);
	}
	FAIL("%s: sweep did not end after %d points", s->name, FAIL_NTH_MAX);
	return 0;
}

static inline void fail_nth_no_prep(const struct fail_nth_scenario *s)
{
	(void)s;
}

/*
 * One sweep as a test, nth_NAME: RUN swept from SETUP, PREP(&scenario)
 * called first (fail_nth_no_prep: nothing). It must find at least MIN
 * points; MIN 0 says the call has none at all (the sweep then checks
 * that it succeeds and changes nothing it should not).
 */
#define FAIL_NTH_TEST(name_, run_, setup_, digest_, teardown_, absorb_, min_, \
		      prep_)                                                   \
	TEST(nth_##name_)                                                      \
	{                                                                      \
		static const struct fail_nth_scenario s = {                    \
			.name = #name_,                                        \
			.setup = setup_,                                       \
			.run = run_,                                           \
			.digest = digest_,                                     \
			.teardown = teardown_,                                 \
			.may_absorb = absorb_,                                 \
		};                                                             \
		unsigned long swept;                                           \
                                                                               \
		prep_(&s);                                                     \
		swept = fail_nth_sweep(&s);                                    \
		if (min_)                                                      \
			ASSERT_GE(swept, (unsigned long)(min_));               \
		else                                                           \
			ASSERT_EQ(swept, 0);                                   \
	}

#endif
