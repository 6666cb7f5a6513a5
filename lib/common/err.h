/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style error pointers for internal functions that return an object:
 * the last page of the address space is never a valid user pointer on the
 * architectures we support, so -errno values can travel inside a pointer.
 * Public constructors return int and fill an out pointer instead.
 */
#ifndef PRIVMEM_COMMON_ERR_H
#define PRIVMEM_COMMON_ERR_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_ERRNO 4095

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return (uintptr_t)ptr >= (uintptr_t)-MAX_ERRNO;
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

#endif
