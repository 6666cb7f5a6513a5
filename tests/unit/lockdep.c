// SPDX-License-Identifier: MIT
/*
 * The lock-order checker must catch an inversion the first time it happens,
 * naming both locks, and must let the documented order through.
 */
#include <signal.h>
#include <privmem/gmem.h>
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

/*
 * The gmem store's place in the order (lib/gmem/gmem_private.h): its
 * conversion lock ranks above every consumer lock, its state lock below.
 * A consumer (rank of the IOMMU's pages lock) may take its own lock in a
 * notifier and call get_pfn/put_pfn under it; it may not convert while
 * holding its lock, and a notifier may not re-enter the store's conversion
 * paths. Both are caught the first time, naming the locks.
 */
static DEFINE_LOCK_CLASS(consumer_class, LOCK_RANK_IOPT_PAGES);
static struct mutex consumer_lock;
static int (*notifier_action)(struct pm_gmem *g);

static int consumer_begin(struct pm_gmem_notifier *n, struct pm_gmem *g,
			  enum pm_gmem_event ev, uint64_t offset,
			  uint64_t length)
{
	return notifier_action ? notifier_action(g) : 0;
}

/* A 4-page memfd store with the consumer's notifier; exit 77 if the host
 * has no such store. */
static struct pm_gmem *consumer_store(struct pm_gmem_notifier *n)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_MEMFD,
		.size = 4 * 4096,
		.vm_fd = -1,
		.fd = -1,
	};
	struct pm_gmem *g;
	int rc;

	mutex_init(&consumer_lock, &consumer_class);
	rc = pm_gmem_create(&cfg, &g);
	if (rc == -EOPNOTSUPP)
		_exit(KSFT_SKIP);
	if (rc)
		abort();
	n->begin = consumer_begin;
	if (pm_gmem_register_notifier(g, n))
		abort();
	return g;
}

static int lock_and_get_pfn(struct pm_gmem *g)
{
	struct pm_gmem_page p;
	int rc;

	mutex_lock(&consumer_lock);
	rc = pm_gmem_get_pfn(g, 3 * 4096, 0, &p);
	if (!rc)
		pm_gmem_put_pfn(g, &p);
	mutex_unlock(&consumer_lock);
	return rc;
}

static void gmem_documented_order(void)
{
	struct pm_gmem_notifier n = { 0 };
	struct pm_gmem *g = consumer_store(&n);

	notifier_action = lock_and_get_pfn;
	if (pm_gmem_convert(g, 0, 4096, PM_GMEM_PRIVATE, 0, NULL))
		abort();
	/* And the consumer's own path: its lock, then get_pfn. */
	if (lock_and_get_pfn(g))
		abort();
	pm_gmem_close(g);
}

static void gmem_convert_under_consumer_lock(void)
{
	struct pm_gmem_notifier n = { 0 };
	struct pm_gmem *g = consumer_store(&n);

	mutex_lock(&consumer_lock);
	pm_gmem_convert(g, 0, 4096, PM_GMEM_PRIVATE, 0, NULL);
}

static int punch_from_notifier(struct pm_gmem *g)
{
	return pm_gmem_punch(g, 0, 4096);
}

static void gmem_reentry_from_notifier(void)
{
	struct pm_gmem_notifier n = { 0 };
	struct pm_gmem *g = consumer_store(&n);

	notifier_action = punch_from_notifier;
	pm_gmem_convert(g, 0, 4096, PM_GMEM_PRIVATE, 0, NULL);
}

#define SKIP_IF_NO_STORE(st)                                                  \
	do {                                                                  \
		if (WIFEXITED(st) && WEXITSTATUS(st) == KSFT_SKIP)            \
			SKIP("no memfd gmem store on this host (userfaultfd?)"); \
	} while (0)

TEST(gmem_order_consumer_lock_in_notifier)
{
	char out[1024];
	int st = run_child(gmem_documented_order, out, sizeof(out));

	SKIP_IF_NO_STORE(st);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("the documented order was refused: %s", out);
	ASSERT_EQ(out[0], 0);
}

TEST(gmem_convert_under_consumer_lock_aborts)
{
	char out[1024];
	int st = run_child(gmem_convert_under_consumer_lock, out, sizeof(out));

	SKIP_IF_NO_STORE(st);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	ASSERT_TRUE(strstr(out, "lock order violation"));
	ASSERT_TRUE(strstr(out, "gmem_convert_class"));
	ASSERT_TRUE(strstr(out, "consumer_class"));
}

TEST(gmem_reentry_from_notifier_aborts)
{
	char out[1024];
	int st = run_child(gmem_reentry_from_notifier, out, sizeof(out));

	SKIP_IF_NO_STORE(st);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	ASSERT_TRUE(strstr(out, "recursive locking"));
	ASSERT_TRUE(strstr(out, "gmem_convert_class"));
}

TEST_MAIN()
