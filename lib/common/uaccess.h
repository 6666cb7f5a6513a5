/* SPDX-License-Identifier: MIT */
/*
 * Fault-safe access to caller memory, the userspace analogue of the
 * kernel's copy_from_user()/copy_to_user().
 *
 * The ioctl-shaped entries take structs and pointers from callers that may
 * be wrong. Dereferencing them directly would crash the process where Linux
 * returns EFAULT, so every such access copies through process_vm_readv(2) /
 * process_vm_writev(2) on the process itself: the kernel walks our own page
 * tables and reports an unmapped or protected address as EFAULT.
 *
 * All functions return 0 or -EFAULT (partial copies count as faults; the
 * destination may then hold part of the data, as in Linux).
 */
#ifndef PRIVMEM_COMMON_UACCESS_H
#define PRIVMEM_COMMON_UACCESS_H

#include <stddef.h>
#include "compiler.h"

int copy_from_user(void *dst, const void *usrc, size_t len);
int copy_to_user(void *udst, const void *src, size_t len);

/*
 * copy_struct_from_user() - Linux's extensible-struct rule
 * Copies min(ksize, usize) bytes and zero-fills the rest of @dst. If the
 * caller's struct is longer (@usize > @ksize), the extra bytes must all be
 * zero: otherwise -E2BIG. Return: 0, -EFAULT or -E2BIG.
 */
int copy_struct_from_user(void *dst, size_t ksize, const void *usrc,
			  size_t usize);

#endif
