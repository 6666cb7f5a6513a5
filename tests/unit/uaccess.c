// SPDX-License-Identifier: MIT
/* A bad pointer handed to the library gives -EFAULT, never a crash. */
#include <sys/mman.h>
#include "harness.h"
#include "common/uaccess.h"

TEST(copy_roundtrip)
{
	char src[64] = "hello", dst[64] = { 0 };

	ASSERT_OK(copy_from_user(dst, src, sizeof(src)));
	ASSERT_EQ(strcmp(dst, "hello"), 0);
	strcpy(src, "world");
	ASSERT_OK(copy_to_user(dst, src, 6));
	ASSERT_EQ(strcmp(dst, "world"), 0);
}

TEST(bad_pointers_efault)
{
	char buf[16];
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(page != MAP_FAILED);
	ASSERT_ERR(EFAULT, copy_from_user(buf, NULL, sizeof(buf)));
	ASSERT_ERR(EFAULT, copy_from_user(buf, (void *)1, sizeof(buf)));
	ASSERT_ERR(EFAULT, copy_to_user((void *)8, buf, sizeof(buf)));
	/* Straddling into a PROT_NONE page faults as a whole. */
	ASSERT_SYS(mprotect(page + 4096, 4096, PROT_NONE));
	ASSERT_ERR(EFAULT, copy_from_user(buf, page + 4090, sizeof(buf)));
	ASSERT_OK(copy_from_user(buf, page + 4080, sizeof(buf)));
	/* Read-only memory cannot be written through copy_to_user. */
	ASSERT_SYS(mprotect(page, 4096, PROT_READ));
	ASSERT_ERR(EFAULT, copy_to_user(page, buf, sizeof(buf)));
	munmap(page, 8192);
}

struct v2 {
	uint32_t size;
	uint32_t a;
	uint64_t b;
};

TEST(copy_struct_rules)
{
	struct v2 k;
	unsigned char u[64];

	memset(u, 0, sizeof(u));
	u[0] = 7;
	/* Shorter: tail zero-filled. */
	memset(&k, 0xff, sizeof(k));
	ASSERT_OK(copy_struct_from_user(&k, sizeof(k), u, 8));
	ASSERT_EQ(k.size, 7);
	ASSERT_U64_EQ(k.b, 0);
	/* Longer with a zero tail: accepted. */
	ASSERT_OK(copy_struct_from_user(&k, sizeof(k), u, sizeof(u)));
	/* Longer with a non-zero byte anywhere in the tail: E2BIG. */
	u[63] = 1;
	ASSERT_ERR(E2BIG, copy_struct_from_user(&k, sizeof(k), u, sizeof(u)));
	u[63] = 0;
	u[16] = 1;
	ASSERT_ERR(E2BIG, copy_struct_from_user(&k, sizeof(k), u, 17));
	ASSERT_ERR(EFAULT, copy_struct_from_user(&k, sizeof(k), NULL, 8));
}

TEST_MAIN()
