/* SPDX-License-Identifier: MIT */
/*
 * Mutexes and rwlocks with lock classes, a held-assertion and a lock-order
 * checker (a small lockdep).
 *
 * Every lock belongs to a class with a name and a rank. The ranks are the
 * project's lock order, written once in lock_ranks.h: a thread may only take
 * a lock whose rank is higher than every lock it already holds. Taking a
 * lower or equal rank aborts with both lock names, the first time the wrong
 * order happens, rather than the day it deadlocks. Two locks of one class
 * (for example two IOAS in IOMMU_IOAS_COPY) are taken with the _nested
 * variant, which allows equal rank and by convention is used in address
 * order.
 *
 * The checker and lockdep_assert_held() are compiled in when PM_DEBUG_CHECKS
 * is defined (debug builds and all test builds); otherwise the wrappers are
 * plain pthread calls.
 */
#ifndef PRIVMEM_COMMON_MUTEX_H
#define PRIVMEM_COMMON_MUTEX_H

#include <pthread.h>
#include "compiler.h"

struct lock_class {
	const char *name;
	int rank;
};

#define DEFINE_LOCK_CLASS(var, rank_)                                          \
	const struct lock_class var = { .name = #var, .rank = (rank_) }

struct mutex {
	pthread_mutex_t mu;
	const struct lock_class *cls;
};

struct rwlock {
	pthread_rwlock_t rw;
	const struct lock_class *cls;
};

void mutex_init(struct mutex *m, const struct lock_class *cls);
void mutex_destroy(struct mutex *m);
void mutex_lock(struct mutex *m);
void mutex_lock_nested(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);

void rwlock_init(struct rwlock *l, const struct lock_class *cls);
void rwlock_destroy(struct rwlock *l);
void down_read(struct rwlock *l);
void down_write(struct rwlock *l);
void up_read(struct rwlock *l);
void up_write(struct rwlock *l);

/* Debug checks; no-ops without PM_DEBUG_CHECKS. */
void lockdep_assert_held(const void *lock);
void lockdep_assert_not_held(const void *lock);
/* Abort if the calling thread holds any lock (for callbacks that may block). */
void lockdep_assert_none_held(void);
/* Number of locks the calling thread holds (for tests). */
int lockdep_depth(void);

#endif
