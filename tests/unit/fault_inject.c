// SPDX-License-Identifier: MIT
/* The injection points fail exactly once, at the armed count, per thread. */
#include <fcntl.h>
#include <pthread.h>
#include "harness.h"
#include <privmem/privmem.h>
#include "common/sys.h"

TEST(nth_point_fails_once)
{
	void *p[5];
	int i;

	pm_fault_arm(3);
	for (i = 0; i < 5; i++)
		p[i] = kmalloc(32);
	ASSERT_TRUE(pm_fault_fired());
	ASSERT_EQ(pm_fault_points(), 5);
	pm_fault_disarm();
	ASSERT_TRUE(p[0] && p[1] && p[3] && p[4]);
	ASSERT_TRUE(p[2] == NULL);
	for (i = 0; i < 5; i++)
		kfree(p[i]);
}

TEST(syscalls_are_points)
{
	void *m;
	int fd;

	pm_fault_arm(1);
	ASSERT_ERR(EMFILE, sys_open("/dev/null", O_RDONLY, 0));
	pm_fault_arm(1);
	m = sys_mmap(NULL, 4096, 3, 0x22, -1, 0);
	ASSERT_TRUE(IS_ERR(m));
	ASSERT_EQ(PTR_ERR(m), -ENOMEM);
	pm_fault_arm(1);
	ASSERT_ERR(ENOMEM, sys_ioctl(0, 0, NULL));
	pm_fault_disarm();
	fd = sys_open("/dev/null", O_RDONLY, 0);
	ASSERT_GE(fd, 0);
	/* Opened with O_CLOEXEC always. */
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	sys_close(fd);
	ASSERT_ERR(ENOENT, sys_open("/nonexistent/x", O_RDONLY, 0));
}

static void *other_thread(void *arg)
{
	void *p = kmalloc(8);

	*(bool *)arg = p != NULL;
	kfree(p);
	return NULL;
}

TEST(per_thread)
{
	pthread_t t;
	bool ok = false;

	pm_fault_arm(1);
	ASSERT_EQ(pthread_create(&t, NULL, other_thread, &ok), 0);
	pthread_join(t, NULL);
	ASSERT_TRUE(ok);
	ASSERT_FALSE(pm_fault_fired());
	pm_fault_disarm();
}

TEST(disarmed_is_free)
{
	void *p;

	pm_fault_disarm();
	p = kzalloc(16);
	ASSERT_TRUE(p);
	ASSERT_FALSE(pm_fault_fired());
	kfree(p);
	ASSERT_TRUE(kcalloc(SIZE_MAX / 2, 4) == NULL);
}

TEST_MAIN()
