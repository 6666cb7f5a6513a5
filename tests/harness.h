/* SPDX-License-Identifier: MIT */
/*
 * A small test harness in the spirit of kselftest_harness.h (our own code).
 *
 *   TEST(name) { ASSERT_EQ(1, 1); }
 *   TEST_MAIN()
 *
 * Each TEST runs in a forked child so that a crash, an abort from the
 * lock checker or a leaked fd stays inside it; PM_TEST_NOFORK=1 runs them
 * in-process (for gdb). PM_TEST_FILTER=substr runs only matching tests.
 *
 * Exit status of the program: 1 if any test failed, else 77 if every test
 * was skipped, else 0. SKIP(fmt, ...) ends the current test as skipped and
 * prints the reason; a test that skips never counts as a pass.
 */
#ifndef PRIVMEM_TESTS_HARNESS_H
#define PRIVMEM_TESTS_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#define KSFT_SKIP 77

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

static struct test_case *test_list, **test_tail = &test_list;

static inline void test_register(struct test_case *t)
{
	*test_tail = t;
	test_tail = &t->next;
}

#define TEST(name_)                                                            \
	static void test_##name_(void);                                        \
	static struct test_case tc_##name_ = { #name_, test_##name_, NULL };   \
	__attribute__((constructor)) static void reg_##name_(void)             \
	{                                                                      \
		test_register(&tc_##name_);                                    \
	}                                                                      \
	static void test_##name_(void)

#define FAIL(fmt, ...)                                                         \
	do {                                                                   \
		fprintf(stderr, "  FAIL %s:%d: " fmt "\n", __FILE__, __LINE__, \
			##__VA_ARGS__);                                        \
		exit(1);                                                       \
	} while (0)

#define SKIP(fmt, ...)                                                         \
	do {                                                                   \
		fprintf(stderr, "  SKIP: " fmt "\n", ##__VA_ARGS__);           \
		exit(KSFT_SKIP);                                               \
	} while (0)

#define ASSERT_TRUE(c)                                                         \
	do {                                                                   \
		if (!(c))                                                      \
			FAIL("expected %s", #c);                               \
	} while (0)
#define ASSERT_FALSE(c) ASSERT_TRUE(!(c))

#define ASSERT_OP(a, op, b)                                                    \
	do {                                                                   \
		long long __a = (long long)(a), __b = (long long)(b);          \
		if (!(__a op __b))                                             \
			FAIL("%s %s %s (%lld vs %lld)", #a, #op, #b, __a,      \
			     __b);                                             \
	} while (0)
#define ASSERT_EQ(a, b) ASSERT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_OP(a, >=, b)

#define ASSERT_U64_EQ(a, b)                                                    \
	do {                                                                   \
		unsigned long long __a = (a), __b = (b);                       \
		if (__a != __b)                                                \
			FAIL("%s == %s (0x%llx vs 0x%llx)", #a, #b, __a, __b); \
	} while (0)

/* A library call returning 0/-errno. */
#define ASSERT_OK(expr)                                                        \
	do {                                                                   \
		long __r = (long)(expr);                                       \
		if (__r < 0)                                                   \
			FAIL("%s failed: %s", #expr, strerror((int)-__r));     \
	} while (0)
#define ASSERT_ERR(err, expr)                                                  \
	do {                                                                   \
		long __r = (long)(expr);                                       \
		if (__r != -(err))                                             \
			FAIL("%s: expected -%s, got %ld (%s)", #expr, #err,    \
			     __r, __r < 0 ? strerror((int)-__r) : "success"); \
	} while (0)
/* An ioctl-shaped call returning -1 with errno. */
#define ASSERT_ERRNO(err, expr)                                                \
	do {                                                                   \
		errno = 0;                                                     \
		long __r = (long)(expr);                                       \
		if (__r != -1 || errno != (err))                               \
			FAIL("%s: expected %s, got %ld errno %d (%s)", #expr,  \
			     #err, __r, errno, strerror(errno));               \
	} while (0)
#define ASSERT_SYS(expr)                                                       \
	do {                                                                   \
		long __r = (long)(expr);                                       \
		if (__r < 0)                                                   \
			FAIL("%s: %s", #expr, strerror(errno));                \
	} while (0)

static inline bool test_is_root(void)
{
	return geteuid() == 0;
}

static inline int test_run_one(struct test_case *t)
{
	int status;
	pid_t pid;

	if (getenv("PM_TEST_NOFORK")) {
		t->fn();
		return 0;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		t->fn();
		/* exit(), not _exit(): LeakSanitizer checks the child too. */
		exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "  killed by signal %d\n", WTERMSIG(status));
	return 1;
}

static inline int test_main(void)
{
	const char *filter = getenv("PM_TEST_FILTER");
	int pass = 0, fail = 0, skip = 0;
	struct test_case *t;

	for (t = test_list; t; t = t->next) {
		int rc;

		if (filter && !strstr(t->name, filter))
			continue;
		rc = test_run_one(t);
		if (rc == 0) {
			printf("ok %s\n", t->name);
			pass++;
		} else if (rc == KSFT_SKIP) {
			printf("skip %s\n", t->name);
			skip++;
		} else {
			printf("not ok %s\n", t->name);
			fail++;
		}
		fflush(stdout);
	}
	printf("# %d passed, %d failed, %d skipped\n", pass, fail, skip);
	if (fail)
		return 1;
	if (!pass && skip)
		return KSFT_SKIP;
	return pass ? 0 : 1;
}

#define TEST_MAIN()                                                            \
	int main(void)                                                         \
	{                                                                      \
		return test_main();                                            \
	}

#endif
