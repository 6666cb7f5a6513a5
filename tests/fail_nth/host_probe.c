// SPDX-License-Identifier: MIT
/*
 * pm_host_probe() under every injected failure: a probe may report less
 * (it absorbs failures of individual questions), but it never crashes and
 * never leaks a file descriptor.
 */
#include <privmem/host.h>
#include "fail_nth.h"

static struct pm_host_info info;

static void *setup(void)
{
	memset(&info, 0, sizeof(info));
	return &info;
}

static int run(void *fx)
{
	return pm_host_probe(fx);
}

static void teardown(void *fx)
{
	(void)fx;
}

TEST(host_probe_sweep)
{
	static const struct fail_nth_scenario s = {
		.name = "pm_host_probe",
		.setup = setup,
		.run = run,
		.teardown = teardown,
		.may_absorb = true,
	};

	ASSERT_GT(fail_nth_sweep(&s), 5);
}

TEST_MAIN()
