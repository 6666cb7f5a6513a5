// SPDX-License-Identifier: MIT
/*
 * The lock-order checker must catch an inversion the first time it happens,
 * naming both locks, and must let the documented order through.
 */
#include <signal.h>
#include "harness.h"
#include "common/mutex.h"
#include "common/lock_ranks.h"

static DEFINE_LOCK_CLASS(outer_class, LOCK_RANK_GMEM_CONVERT);
static DEFINE_LOCK_CLASS(inner_class, LOCK_RANK_IOPT_PAGES);
static DEFINE_LOCK_CLASS(leaf_class, LOCK_RANK_GMEM_STATE);

/* Run fn in a child with stderr captured; return its output and status. */
static int run_child(void (*fn)(void), char *out, size_t len)
{
	int p[2], status;
	ssize_t n, off = 0;
	pid_t pid;

	ASSERT_SYS(pipe(p));
	pid = fork();
	ASSERT_SYS(pid);
	if (!pid) {
		dup2(p[1], 2);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], out + off, len - 1 - off)) > 0)
		off += n;
	out[off] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void right_order(void)
{
	struct mutex a, b;
	struct rwlock c;

	mutex_init(&a, &outer_class);
	mutex_init(&b, &inner_class);
	rwlock_init(&c, &leaf_class);
	mutex_lock(&a);
	mutex_lock(&b);
	down_read(&c);
	lockdep_assert_held(&a);
	lockdep_assert_held(&c);
	if (lockdep_depth() != 3)
		abort();
	up_read(&c);
	/* Release out of order is allowed. */
	mutex_unlock(&a);
	mutex_unlock(&b);
	if (lockdep_depth() != 0)
		abort();
	lockdep_assert_not_held(&a);
}

static void wrong_order(void)
{
	struct mutex a, b;

	mutex_init(&a, &outer_class);
	mutex_init(&b, &inner_class);
	mutex_lock(&b);
	mutex_lock(&a); /* inner held, outer taken: must abort */
}

static void same_class(void)
{
	struct mutex a, b;

	mutex_init(&a, &inner_class);
	mutex_init(&b, &inner_class);
	mutex_lock(&a);
	mutex_lock(&b);
}

static void same_class_nested(void)
{
	struct mutex a, b;

	mutex_init(&a, &inner_class);
	mutex_init(&b, &inner_class);
	mutex_lock(&a);
	mutex_lock_nested(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);
}

static void assert_unheld(void)
{
	struct mutex a;

	mutex_init(&a, &outer_class);
	lockdep_assert_held(&a);
}

static void recursive(void)
{
	struct rwlock l;

	rwlock_init(&l, &leaf_class);
	down_read(&l);
	down_read(&l);
}

TEST(order_respected)
{
	char out[1024];
	int st = run_child(right_order, out, sizeof(out));

	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(out[0], 0);
}

TEST(inversion_aborts_with_both_names)
{
	char out[1024];
	int st = run_child(wrong_order, out, sizeof(out));

	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	ASSERT_TRUE(strstr(out, "lock order violation"));
	ASSERT_TRUE(strstr(out, "outer_class"));
	ASSERT_TRUE(strstr(out, "inner_class"));
}

TEST(same_class_needs_nested)
{
	char out[1024];
	int st = run_child(same_class, out, sizeof(out));

	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	st = run_child(same_class_nested, out, sizeof(out));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(assert_held_catches)
{
	char out[1024];
	int st = run_child(assert_unheld, out, sizeof(out));

	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	ASSERT_TRUE(strstr(out, "not held"));
}

TEST(recursion_caught)
{
	char out[1024];
	int st = run_child(recursive, out, sizeof(out));

	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	ASSERT_TRUE(strstr(out, "recursive"));
}

TEST_MAIN()
