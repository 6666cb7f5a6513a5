/* SPDX-License-Identifier: MIT */
/*
 * Overflow-checked range arithmetic.
 *
 * Vocabulary used throughout privmem: a range is (start, length) from the
 * caller, and [start, last] internally, where last is inclusive. Every
 * conversion from one to the other goes through range_last() so that
 * start + length - 1 is never computed unchecked.
 */
#ifndef PRIVMEM_COMMON_OVERFLOW_H
#define PRIVMEM_COMMON_OVERFLOW_H

#include <errno.h>
#include "compiler.h"

#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d) __builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)

/*
 * range_last() - the inclusive end of [start, start + length)
 * Return: 0, -EINVAL for an empty range, -EOVERFLOW if it wraps.
 */
static inline int range_last(u64 start, u64 length, u64 *last)
{
	u64 l;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(start, length - 1, &l))
		return -EOVERFLOW;
	*last = l;
	return 0;
}

/*
 * range_within() - is [start, start + length) inside [0, size)?
 * Return: 0, -EINVAL for an empty range or one past the end, -EOVERFLOW.
 */
static inline int range_within(u64 start, u64 length, u64 size)
{
	u64 last;
	int rc = range_last(start, length, &last);

	if (rc)
		return rc;
	if (last >= size)
		return -EINVAL;
	return 0;
}

/* Two inclusive ranges intersect. */
static inline bool range_overlaps(u64 s1, u64 l1, u64 s2, u64 l2)
{
	return s1 <= l2 && s2 <= l1;
}

/* [s1, l1] lies entirely inside [s2, l2]. */
static inline bool range_contains(u64 s2, u64 l2, u64 s1, u64 l1)
{
	return s2 <= s1 && l1 <= l2;
}

#endif
