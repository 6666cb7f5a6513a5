// SPDX-License-Identifier: MIT
/*
 * Lock wrappers with a per-thread record of held locks (see mutex.h).
 *
 * The record is a small stack per thread: (lock address, class). Releasing
 * removes the entry wherever it is, since locks need not be released in
 * reverse order. Depth beyond HELD_MAX is a bug in itself and aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mutex.h"

#ifdef PM_DEBUG_CHECKS
#define HELD_MAX 16

struct held_lock {
	const void *lock;
	const struct lock_class *cls;
};

static __thread struct held_lock held[HELD_MAX];
static __thread int held_depth;

static void __attribute__((noreturn)) lock_bug(const char *what,
					       const struct lock_class *a,
					       const struct lock_class *b)
{
	fprintf(stderr,
		"privmem lockdep: %s: taking %s (rank %d) while holding %s (rank %d)\n",
		what, a->name, a->rank, b ? b->name : "-", b ? b->rank : 0);
	abort();
}

static void acquire_check(const void *lock, const struct lock_class *cls,
			  bool nested)
{
	int i;

	for (i = 0; i < held_depth; i++) {
		if (held[i].lock == lock)
			lock_bug("recursive locking", cls, held[i].cls);
		if (held[i].cls->rank > cls->rank ||
		    (held[i].cls->rank == cls->rank && !nested))
			lock_bug("lock order violation", cls, held[i].cls);
	}
	if (held_depth == HELD_MAX)
		lock_bug("too many locks held", cls, NULL);
}

/* A trylock cannot deadlock: only the record's own limit applies. */
static void trylock_check(const struct lock_class *cls)
{
	if (held_depth == HELD_MAX)
		lock_bug("too many locks held", cls, NULL);
}

static void acquired(const void *lock, const struct lock_class *cls)
{
	held[held_depth].lock = lock;
	held[held_depth].cls = cls;
	held_depth++;
}

static void released(const void *lock, const struct lock_class *cls)
{
	int i;

	for (i = held_depth - 1; i >= 0; i--) {
		if (held[i].lock == lock) {
			memmove(&held[i], &held[i + 1],
				(held_depth - i - 1) * sizeof(held[0]));
			held_depth--;
			return;
		}
	}
	lock_bug("releasing a lock not held", cls, NULL);
}

static bool is_held(const void *lock)
{
	int i;

	for (i = 0; i < held_depth; i++)
		if (held[i].lock == lock)
			return true;
	return false;
}

void lockdep_assert_held(const void *lock)
{
	if (!is_held(lock)) {
		fprintf(stderr, "privmem lockdep: lock %p not held\n", lock);
		abort();
	}
}

void lockdep_assert_not_held(const void *lock)
{
	if (is_held(lock)) {
		fprintf(stderr, "privmem lockdep: lock %p unexpectedly held\n",
			lock);
		abort();
	}
}

void lockdep_assert_none_held(void)
{
	if (held_depth)
		lock_bug("a lock is held where none may be", held[0].cls,
			 NULL);
}

int lockdep_depth(void)
{
	return held_depth;
}
#else
#define acquire_check(l, c, n) ((void)(l), (void)(c), (void)(n))
#define trylock_check(c) ((void)(c))
#define acquired(l, c) ((void)(l), (void)(c))
#define released(l, c) ((void)(l), (void)(c))
void lockdep_assert_held(const void *lock)
{
	(void)lock;
}
void lockdep_assert_not_held(const void *lock)
{
	(void)lock;
}
void lockdep_assert_none_held(void)
{
}
int lockdep_depth(void)
{
	return 0;
}
#endif

void mutex_init(struct mutex *m, const struct lock_class *cls)
{
	pthread_mutex_init(&m->mu, NULL);
	m->cls = cls;
}

void mutex_destroy(struct mutex *m)
{
	pthread_mutex_destroy(&m->mu);
}

void mutex_lock(struct mutex *m)
{
	acquire_check(m, m->cls, false);
	pthread_mutex_lock(&m->mu);
	acquired(m, m->cls);
}

void mutex_lock_nested(struct mutex *m)
{
	acquire_check(m, m->cls, true);
	pthread_mutex_lock(&m->mu);
	acquired(m, m->cls);
}

bool mutex_trylock(struct mutex *m)
{
	/*
	 * A trylock cannot deadlock, so the order is not checked; a trylock
	 * of a lock this thread holds simply fails (default pthread mutex).
	 */
	trylock_check(m->cls);
	if (pthread_mutex_trylock(&m->mu))
		return false;
	acquired(m, m->cls);
	return true;
}

void mutex_unlock(struct mutex *m)
{
	released(m, m->cls);
	pthread_mutex_unlock(&m->mu);
}

void rwlock_init(struct rwlock *l, const struct lock_class *cls)
{
	pthread_rwlock_init(&l->rw, NULL);
	l->cls = cls;
}

void rwlock_destroy(struct rwlock *l)
{
	pthread_rwlock_destroy(&l->rw);
}

void down_read(struct rwlock *l)
{
	acquire_check(l, l->cls, false);
	pthread_rwlock_rdlock(&l->rw);
	acquired(l, l->cls);
}

void down_write(struct rwlock *l)
{
	acquire_check(l, l->cls, false);
	pthread_rwlock_wrlock(&l->rw);
	acquired(l, l->cls);
}

void up_read(struct rwlock *l)
{
	released(l, l->cls);
	pthread_rwlock_unlock(&l->rw);
}

void up_write(struct rwlock *l)
{
	released(l, l->cls);
	pthread_rwlock_unlock(&l->rw);
}
