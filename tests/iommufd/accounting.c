// SPDX-License-Identifier: MIT
/*
 * RLIMIT_MEMLOCK accounting of pinned pages. Pages are charged when they
 * are pinned: at MAP when a domain exists, at domain attach (or access
 * pin) otherwise; released when unpinned. A caller with CAP_IPC_LOCK is
 * not charged. Shared pages (COPY, a second domain) are charged once; gmem
 * store memory never (it belongs to the store). The library's count is
 * per process (include/privmem/iommufd.h), Linux's is per user.
 *
 * Each test runs in its own child (harness.h), which drops CAP_IPC_LOCK
 * from its effective set and lowers RLIMIT_MEMLOCK to 64 KiB.
 */
#include <sys/resource.h>
#include <linux/capability.h>
#if HAVE_LIBCAP
#include <sys/capability.h>
#endif
#include "utils.h"

#define LIMIT (64 * KiB)
#define AT (AP_START + 1 * MiB)

static void drop_ipc_lock(void)
{
#if HAVE_LIBCAP
	const cap_value_t ipc_lock = CAP_IPC_LOCK;
	cap_t caps;

	if (!test_is_root())
		SKIP("not root: the memlock limit applies by other rules");
	caps = cap_get_proc();
	ASSERT_TRUE(caps);
	ASSERT_SYS(cap_set_flag(caps, CAP_EFFECTIVE, 1, &ipc_lock, CAP_CLEAR));
	ASSERT_SYS(cap_set_proc(caps));
	cap_free(caps);
	ASSERT_FALSE(cap_effective(CAP_IPC_LOCK));
#else
	SKIP("built without libcap");
#endif
}

static void set_memlock(uint64_t bytes)
{
	struct rlimit rl;

	ASSERT_SYS(getrlimit(RLIMIT_MEMLOCK, &rl));
	rl.rlim_cur = bytes;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < bytes)
		SKIP("RLIMIT_MEMLOCK hard limit below %llu",
		     (unsigned long long)bytes);
	ASSERT_SYS(setrlimit(RLIMIT_MEMLOCK, &rl));
}

/* An unprivileged caller under a 64 KiB limit, with an IOAS. */
struct acct_fx {
	struct pm_iommufd *ctx;
	uint32_t ioas, stdev;
	uint8_t *buf; /* 1 MiB */
};

static struct acct_fx fx_new(bool domain)
{
	struct acct_fx fx;

	drop_ipc_lock();
	set_memlock(LIMIT);
	fx.ctx = ctx_open();
	fx.ioas = ioas_new(fx.ctx);
	fx.stdev = 0;
	if (domain)
		test_mock_domain(fx.ctx, fx.ioas, &fx.stdev, NULL, NULL);
	fx.buf = buf_alloc(1 * MiB, 1 * MiB);
	return fx;
}

TEST(map_over_limit_with_domain)
{
	struct acct_fx fx = fx_new(true);
	uint64_t iova = 0;

	test_err_map_at(ENOMEM, fx.ctx, fx.ioas, fx.buf, 1 * MiB, AT);
	test_err_ioas_map(ENOMEM, fx.ctx, fx.ioas, fx.buf, LIMIT + PG, &iova,
			  RW);
	/* Nothing was mapped or left charged. */
	test_unmap_all(fx.ctx, fx.ioas, 0);
	test_check_refs(fx.ctx, fx.buf, 1 * MiB, 0);
	/* Within the limit: fine, up to the limit exactly. */
	test_map_at(fx.ctx, fx.ioas, fx.buf, 32 * KiB, AT);
	test_map_at(fx.ctx, fx.ioas, fx.buf + 32 * KiB, 32 * KiB,
		    AT + 32 * KiB);
	test_err_map_at(ENOMEM, fx.ctx, fx.ioas, fx.buf + 64 * KiB, PG,
			AT + 1 * MiB);
	pm_iommufd_close(fx.ctx);
}

/* Mapped without a domain, the charge comes at attach. */
TEST(charged_at_attach)
{
	struct acct_fx fx = fx_new(false);
	uint32_t hwpt;

	test_map_at(fx.ctx, fx.ioas, fx.buf, 1 * MiB, AT);
	test_err_mock_domain(ENOMEM, fx.ctx, fx.ioas, NULL, NULL, NULL);
	ASSERT_ONE_RANGE(fx.ctx, fx.ioas, 0, UINT64_MAX, 1);
	test_check_refs(fx.ctx, fx.buf, 1 * MiB, 0);
	test_unmap_exact(fx.ctx, fx.ioas, AT, 1 * MiB);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 48 * KiB, AT);
	test_mock_domain(fx.ctx, fx.ioas, NULL, &hwpt, NULL);
	test_check_map(fx.ctx, hwpt, AT, 48 * KiB, fx.buf);
	pm_iommufd_close(fx.ctx);
}

TEST(charge_released_on_unmap)
{
	struct acct_fx fx = fx_new(true);
	uint32_t ioas2, stdev2;
	int i;

	test_map_at(fx.ctx, fx.ioas, fx.buf, 48 * KiB, AT);
	/* The charges add up. */
	test_err_map_at(ENOMEM, fx.ctx, fx.ioas, fx.buf + 64 * KiB, 48 * KiB,
			AT + 1 * MiB);
	for (i = 0; i < 5; i++) {
		test_unmap_exact(fx.ctx, fx.ioas, AT, 48 * KiB);
		test_map_at(fx.ctx, fx.ioas, fx.buf + 64 * KiB, 48 * KiB, AT);
		test_unmap_exact(fx.ctx, fx.ioas, AT, 48 * KiB);
		test_map_at(fx.ctx, fx.ioas, fx.buf, 48 * KiB, AT);
	}
	/* The last domain leaving unpins, and releases the charge too. */
	ioas2 = ioas_new(fx.ctx);
	test_mock_domain(fx.ctx, ioas2, &stdev2, NULL, NULL);
	test_err_map_at(ENOMEM, fx.ctx, ioas2, fx.buf + 64 * KiB, 48 * KiB,
			AT);
	test_destroy(fx.ctx, fx.stdev);
	test_map_at(fx.ctx, ioas2, fx.buf + 64 * KiB, 48 * KiB, AT);
	pm_iommufd_close(fx.ctx);
}

/* COPY and a second domain share the pin: no second charge. */
TEST(copy_not_charged_again)
{
	struct acct_fx fx = fx_new(true);
	uint32_t ioas2 = ioas_new(fx.ctx), idev, h2;
	uint64_t iova = AT;

	test_mock_domain(fx.ctx, ioas2, NULL, NULL, &idev);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 48 * KiB, AT);
	test_ioas_copy(fx.ctx, ioas2, fx.ioas, AT, 48 * KiB, &iova, FIXED_RW);
	iova = 0;
	test_ioas_copy(fx.ctx, fx.ioas, fx.ioas, AT, 48 * KiB, &iova, RW);
	test_hwpt_alloc(fx.ctx, idev, fx.ioas, 0, &h2);
	test_check_map(fx.ctx, h2, AT, 48 * KiB, fx.buf);
	/* Still 48 KiB charged: 16 KiB more fit, not 32. */
	test_map_at(fx.ctx, fx.ioas, fx.buf + 64 * KiB, 16 * KiB,
		    AT + 1 * MiB);
	test_err_map_at(ENOMEM, fx.ctx, fx.ioas, fx.buf + 128 * KiB, PG,
			AT + 2 * MiB);
	pm_iommufd_close(fx.ctx);
}

/* An access pin is a pin: charged the same way. */
TEST(access_pin_charged)
{
	struct acct_fx fx = fx_new(false);
	int afd;

	test_map_at(fx.ctx, fx.ioas, fx.buf, 1 * MiB, AT);
	afd = access_new(fx.ctx, fx.ioas,
			 MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	test_err_access_pages(ENOMEM, fx.ctx, afd, AT, 1 * MiB, fx.buf, 0,
			      NULL);
	test_check_refs(fx.ctx, fx.buf, 1 * MiB, 0);
	test_access_pages(fx.ctx, afd, AT, 32 * KiB, fx.buf, 0, NULL);
	test_access_pages(fx.ctx, afd, AT + 32 * KiB, 32 * KiB,
			  fx.buf + 32 * KiB, 0, NULL);
	test_err_access_pages(ENOMEM, fx.ctx, afd, AT + 64 * KiB, PG,
			      fx.buf + 64 * KiB, 0, NULL);
	/* Overlapping pins do not charge twice. */
	test_access_pages(fx.ctx, afd, AT, 64 * KiB, fx.buf, 0, NULL);
	pm_iommufd_close(fx.ctx);
}

TEST(map_file_charged)
{
	struct acct_fx fx = fx_new(true);
	int fd = memfd_new(1 * MiB, 0);
	uint64_t iova = AT;

	test_err_ioas_map_file(ENOMEM, fx.ctx, fx.ioas, fd, 0, 1 * MiB, &iova,
			       FIXED_RW);
	test_ioas_map_file(fx.ctx, fx.ioas, fd, 0, 32 * KiB, &iova, FIXED_RW);
	pm_iommufd_close(fx.ctx);
}

/* The memory of a gmem store is the store's: never charged here. */
TEST(gmem_not_charged)
{
	struct pm_gmem *g;
	struct acct_fx fx;
	uint32_t hwpt;
	uint64_t iova = AT;

	drop_ipc_lock();
	g = store_new(PM_GMEM_MEMFD, 256, 0); /* 1 MiB */
	fx = fx_new(true);
	hwpt = 0;
	ASSERT_OK(pm_ioas_map_gmem(fx.ctx, fx.ioas, g, 0, 1 * MiB, &iova,
				   FIXED_RW));
	/* Through its fd too. */
	iova = AT + 2 * MiB;
	test_ioas_map_file(fx.ctx, fx.ioas, pm_gmem_private_fd(g), 0, 1 * MiB,
			   &iova, FIXED_RW);
	/* A domain attached afterwards charges nothing either. */
	test_mock_domain(fx.ctx, fx.ioas, NULL, &hwpt, NULL);
	test_check_map(fx.ctx, hwpt, AT, 1 * MiB, pm_gmem_host_view(g));
	/* And the whole limit is still there for user memory. */
	test_map_at(fx.ctx, fx.ioas, fx.buf, LIMIT, AT + 4 * MiB);
	pm_iommufd_close(fx.ctx);
	pm_gmem_close(g);
}

/* One process, one count: two contexts share the limit. */
TEST(per_process_across_contexts)
{
	struct acct_fx fx = fx_new(true);
	struct pm_iommufd *ctx2;
	uint32_t ioas2;

	test_map_at(fx.ctx, fx.ioas, fx.buf, 48 * KiB, AT);
	ctx2 = ctx_open();
	ioas2 = ioas_new(ctx2);
	test_mock_domain(ctx2, ioas2, NULL, NULL, NULL);
	test_err_map_at(ENOMEM, ctx2, ioas2, fx.buf + 64 * KiB, 48 * KiB, AT);
	/* Closing the first context releases its charge. */
	pm_iommufd_close(fx.ctx);
	test_map_at(ctx2, ioas2, fx.buf + 64 * KiB, 48 * KiB, AT);
	pm_iommufd_close(ctx2);
}

/* With CAP_IPC_LOCK, no limit applies. */
TEST(cap_ipc_lock_not_charged)
{
	struct pm_iommufd *ctx;
	uint32_t ioas, hwpt;
	uint8_t *buf;
	int afd;

	if (!cap_effective(CAP_IPC_LOCK))
		SKIP("CAP_IPC_LOCK is not effective");
	set_memlock(LIMIT);
	ctx = ctx_open();
	ioas = ioas_new(ctx);
	test_mock_domain(ctx, ioas, NULL, &hwpt, NULL);
	buf = buf_alloc(1 * MiB, 1 * MiB);
	test_map_at(ctx, ioas, buf, 1 * MiB, AT);
	test_check_map(ctx, hwpt, AT, 1 * MiB, buf);
	afd = access_new(ctx, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	test_access_pages(ctx, afd, AT, 1 * MiB, buf, 0, NULL);
	test_map_at(ctx, ioas, buf, 1 * MiB, AT + 2 * MiB);
	pm_iommufd_close(ctx);
}

TEST_MAIN()
