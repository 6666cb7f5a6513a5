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

/*
 * copy_nofault() - memcpy that survives a fault on either side
 *
 * For memory the kernel will not walk for us: process_vm_readv() goes
 * through GUP, which refuses memfd_secret pages and faults on a private
 * page of a store's host view by design. Emulated DMA and accesses to such
 * memory copy with plain loads and stores instead; a SIGSEGV or SIGBUS
 * taken inside the copy returns -EFAULT from it (the destination may hold
 * part of the data). Any other SIGSEGV or SIGBUS goes to the handler that
 * was installed before ours, or gets the default action.
 *
 * copy_nofault_init() installs the process-wide handler; it must have
 * succeeded (0) before copy_nofault() is used, and may be called again
 * after a failure. Return: 0 or -errno from sigaction.
 */
int copy_nofault_init(void);
int copy_nofault(void *dst, const void *src, size_t len);

#endif
