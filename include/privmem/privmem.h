/* SPDX-License-Identifier: MIT */
/*
 * privmem: fd-based guest private memory for KVM, and an IOMMU framework
 * that maps device DMA by (fd, offset) instead of by host virtual address.
 *
 * Conventions of the whole public API:
 *  - Every function that can fail returns 0 (or a non-negative count) on
 *    success and -errno on failure. errno is neither set nor read, except
 *    by the ioctl-shaped entry pm_iommufd_ioctl(), which behaves as the
 *    kernel's ioctl(2) does (returns -1 and sets errno).
 *  - Destroy, close and free functions return void and cannot fail.
 *  - Ranges are (offset, length) in bytes; offset + length - 1 must not
 *    wrap (-EOVERFLOW) and must lie inside the object (-EINVAL).
 *  - Unknown flag bits are rejected (-EINVAL unless the uAPI being mirrored
 *    says otherwise).
 *  - Thread safety: objects may be used from several threads at once; each
 *    header states the locking of its objects.
 *  - ABI: the exported symbols are exactly the pm_* names; the soname
 *    version changes when an existing one changes meaning.
 */
#ifndef PRIVMEM_PRIVMEM_H
#define PRIVMEM_PRIVMEM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PM_VERSION_MAJOR 0
#define PM_VERSION_MINOR 1

/* Return the library version as "MAJOR.MINOR". */
const char *pm_version(void);

/* Log levels; the values are syslog's. */
enum pm_log_level {
	PM_LOG_ERR = 3,
	PM_LOG_WARN = 4,
	PM_LOG_INFO = 6,
	PM_LOG_DEBUG = 7,
};

typedef void (*pm_log_fn)(void *opaque, enum pm_log_level level,
			  const char *msg);

/**
 * pm_set_log() - route the library's messages to the embedder
 * @fn: called with one formatted line (no trailing newline), or NULL to
 *      silence the library (the default: it never prints on its own)
 * @opaque: passed back to @fn
 * @max_level: messages above this level are dropped before formatting
 *
 * Process-wide. @fn may be called from any thread, concurrently.
 */
void pm_set_log(pm_log_fn fn, void *opaque, enum pm_log_level max_level);

/*
 * Fault injection, for tests (the analogue of Linux's fail-nth).
 *
 * Every allocation and every system call the library makes is an injection
 * point. pm_fault_arm(n) makes the n-th point reached by the calling thread
 * from now on fail (allocations fail with -ENOMEM, system calls with the
 * errno a real failure would most plausibly give); only that one fails.
 * The counter is per thread, so helper threads are unaffected.
 */
void pm_fault_arm(unsigned long nth);
void pm_fault_disarm(void);
/* Did the armed point fire since pm_fault_arm()? */
bool pm_fault_fired(void);
/* How many points the thread has passed since pm_fault_arm(). */
unsigned long pm_fault_points(void);
/*
 * pm_should_fail() - the injection point itself
 * Library code calls it through its wrappers; it is exported so that
 * embedders and tests can add points of their own.
 */
bool pm_should_fail(void);

#ifdef __cplusplus
}
#endif

#endif
