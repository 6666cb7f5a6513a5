/* SPDX-License-Identifier: MIT */
#ifndef PRIVMEM_COMMON_LOG_H
#define PRIVMEM_COMMON_LOG_H

#include <privmem/privmem.h>
#include "compiler.h"

void pmlog(enum pm_log_level level, const char *fmt, ...) __printf(2, 3);

#define pr_err(...) pmlog(PM_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) pmlog(PM_LOG_WARN, __VA_ARGS__)
#define pr_info(...) pmlog(PM_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) pmlog(PM_LOG_DEBUG, __VA_ARGS__)

/*
 * An invariant was broken. Logged always; in debug builds (PM_DEBUG_CHECKS)
 * it aborts so that tests cannot pass over it.
 */
void warn_on_failed(const char *cond, const char *file, int line);
#define WARN_ON(cond)                                                          \
	({                                                                     \
		bool __w = !!(cond);                                           \
		if (unlikely(__w))                                             \
			warn_on_failed(#cond, __FILE__, __LINE__);             \
		__w;                                                           \
	})

#endif
