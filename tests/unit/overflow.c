// SPDX-License-Identifier: MIT
#include "harness.h"
#include "common/overflow.h"

TEST(range_last_basic)
{
	u64 last;

	ASSERT_OK(range_last(0, 1, &last));
	ASSERT_U64_EQ(last, 0);
	ASSERT_OK(range_last(4096, 4096, &last));
	ASSERT_U64_EQ(last, 8191);
	ASSERT_OK(range_last(0, UINT64_MAX, &last));
	ASSERT_U64_EQ(last, UINT64_MAX - 1);
	ASSERT_OK(range_last(1, UINT64_MAX, &last));
	ASSERT_U64_EQ(last, UINT64_MAX);
}

TEST(range_last_errors)
{
	u64 last = 42;

	ASSERT_ERR(EINVAL, range_last(5, 0, &last));
	ASSERT_ERR(EOVERFLOW, range_last(2, UINT64_MAX, &last));
	ASSERT_ERR(EOVERFLOW, range_last(UINT64_MAX, 2, &last));
	ASSERT_U64_EQ(last, 42);
}

TEST(range_within)
{
	ASSERT_OK(range_within(0, 4096, 4096));
	ASSERT_ERR(EINVAL, range_within(1, 4096, 4096));
	ASSERT_ERR(EINVAL, range_within(4096, 1, 4096));
	ASSERT_ERR(EINVAL, range_within(0, 0, 4096));
	ASSERT_ERR(EOVERFLOW, range_within(UINT64_MAX - 10, 4096, UINT64_MAX));
	ASSERT_OK(range_within(UINT64_MAX - 1, 1, UINT64_MAX));
}

TEST(overlap_contain)
{
	ASSERT_TRUE(range_overlaps(0, 9, 9, 20));
	ASSERT_FALSE(range_overlaps(0, 9, 10, 20));
	ASSERT_TRUE(range_overlaps(0, UINT64_MAX, 5, 5));
	ASSERT_TRUE(range_contains(0, 100, 10, 100));
	ASSERT_FALSE(range_contains(0, 100, 10, 101));
}

TEST(align_helpers)
{
	ASSERT_U64_EQ(ALIGN_DOWN(0x1fffULL, SZ_4K), 0x1000);
	ASSERT_U64_EQ(ALIGN_UP(0x1001ULL, SZ_4K), 0x2000);
	ASSERT_TRUE(IS_ALIGNED(SZ_2M, SZ_4K));
	ASSERT_FALSE(IS_ALIGNED(SZ_2M + 8, SZ_4K));
	ASSERT_TRUE(IS_POW2(SZ_1G));
	ASSERT_FALSE(IS_POW2(0ULL));
	ASSERT_FALSE(IS_POW2(3ULL));
}

TEST_MAIN()
