// SPDX-License-Identifier: MIT
/*
 * The library's only voice. Nothing is printed unless the embedder installs
 * a callback with pm_set_log(); the level check happens before formatting so
 * that a silent library costs one atomic load per message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include "log.h"

static pm_log_fn log_fn;
static void *log_opaque;
static int log_max = PM_LOG_INFO;

const char *pm_version(void)
{
	return "0.1";
}

void pm_set_log(pm_log_fn fn, void *opaque, enum pm_log_level max_level)
{
	__atomic_store_n(&log_opaque, opaque, __ATOMIC_RELAXED);
	__atomic_store_n(&log_max, (int)max_level, __ATOMIC_RELAXED);
	__atomic_store_n(&log_fn, fn, __ATOMIC_RELEASE);
}

void pmlog(enum pm_log_level level, const char *fmt, ...)
{
	pm_log_fn fn = __atomic_load_n(&log_fn, __ATOMIC_ACQUIRE);
	char buf[512];
	va_list ap;

	if (!fn || (int)level > __atomic_load_n(&log_max, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn(__atomic_load_n(&log_opaque, __ATOMIC_RELAXED), level, buf);
}

void warn_on_failed(const char *cond, const char *file, int line)
{
	pmlog(PM_LOG_ERR, "WARN_ON(%s) at %s:%d", cond, file, line);
#ifdef PM_DEBUG_CHECKS
	fprintf(stderr, "privmem: WARN_ON(%s) at %s:%d\n", cond, file, line);
	abort();
#endif
}
