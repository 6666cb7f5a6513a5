// SPDX-License-Identifier: MIT
#include "harness.h"
#include "common/log.h"

static char last[256];
static int calls;

static void capture(void *opaque, enum pm_log_level level, const char *msg)
{
	(void)level;
	*(int *)opaque += 1;
	snprintf(last, sizeof(last), "%s", msg);
}

TEST(silent_by_default_then_routed)
{
	pr_err("dropped %d", 1);
	pm_set_log(capture, &calls, PM_LOG_INFO);
	pr_err("hello %d", 42);
	ASSERT_EQ(calls, 1);
	ASSERT_EQ(strcmp(last, "hello 42"), 0);
	pr_debug("too verbose");
	ASSERT_EQ(calls, 1);
	pm_set_log(NULL, NULL, PM_LOG_DEBUG);
	pr_err("dropped again");
	ASSERT_EQ(calls, 1);
	ASSERT_EQ(strcmp(pm_version(), "0.1"), 0);
}

TEST_MAIN()
