// SPDX-License-Identifier: MIT
/*
 * guest_memfd stores and KVM: the store's guest_memfd belongs to the VM it
 * was created on (the caller's, or one of the library's own), binds to a
 * memslot of that VM and of no other; an adopted guest_memfd works like a
 * created one. All SKIP without /dev/kvm.
 */
#include "gmem_common.c"

static struct pm_gmem *gmem_on_vm(int vm, uint64_t size, uint32_t flags)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_GUEST_MEMFD,
		.size = size,
		.flags = flags,
		.vm_fd = vm,
		.fd = -1,
		.name = "gmem-test",
	};

	return gmem_new_cfg(&cfg);
}

static int set_region(int vm, uint32_t slot, int gmem_fd, uint64_t size)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = 0,
		.memory_size = size,
		.userspace_addr = 0,
		.guest_memfd_offset = 0,
		.guest_memfd = (uint32_t)gmem_fd,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r);
}

/* The caller's VM: used, reported, and left open at close. */
TEST(kvm_caller_vm)
{
	int vm = kvm_create_vm_or_skip();
	struct pm_gmem *g = gmem_on_vm(vm, 2 * MiB, 0);
	char link[256];

	ASSERT_EQ(pm_gmem_vm_fd(g), vm);
	fd_link(pm_gmem_private_fd(g), link, sizeof(link));
	if (!strstr(link, "kvm-gmem"))
		FAIL("the private fd is %s, not a guest_memfd", link);
	pm_gmem_close(g);
	ASSERT_TRUE(fd_is_open(vm));
	ASSERT_SYS(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD));
	close(vm);
}

/* vm_fd -1: the store makes a VM of its own, and closes it. */
TEST(kvm_own_vm)
{
	char fds0[4096], fds1[4096], link[256];
	struct pm_gmem *g;
	int vm;

	fd_snapshot(fds0, sizeof(fds0));
	g = gmem_new(PM_GMEM_GUEST_MEMFD, 2 * MiB, 0);
	vm = pm_gmem_vm_fd(g);
	ASSERT_GE(vm, 0);
	fd_link(vm, link, sizeof(link));
	if (!strstr(link, "kvm-vm"))
		FAIL("pm_gmem_vm_fd() is %s, not a VM", link);
	pm_gmem_close(g);
	fd_snapshot(fds1, sizeof(fds1));
	if (strcmp(fds0, fds1))
		FAIL("close left fds: before [%s] after [%s]", fds0, fds1);
}

/*
 * A vm_fd that is not a VM (or not open) is refused; the caller's fd is not
 * closed and nothing leaks.
 */
TEST(kvm_bad_vm_fd)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_GUEST_MEMFD,
		.size = 2 * MiB,
		.fd = -1,
	};
	char fds0[4096], fds1[4096];
	struct pm_gmem *g = NULL;
	int mfd, rc;

	close(kvm_open_or_skip());
	mfd = memfd_create("gmem-not-a-vm", MFD_CLOEXEC);
	ASSERT_SYS(mfd);
	fd_snapshot(fds0, sizeof(fds0));
	cfg.vm_fd = mfd;
	rc = pm_gmem_create(&cfg, &g);
	if (rc >= 0)
		FAIL("a memfd was accepted as a VM");
	cfg.vm_fd = 4000;
	rc = pm_gmem_create(&cfg, &g);
	if (rc >= 0)
		FAIL("a closed fd was accepted as a VM");
	fd_snapshot(fds1, sizeof(fds1));
	if (strcmp(fds0, fds1))
		FAIL("failed creations changed fds: before [%s] after [%s]",
		     fds0, fds1);
	ASSERT_TRUE(fd_is_open(mfd));
	close(mfd);
}

/*
 * A guest_memfd can only ever be bound to its own VM: a memslot on another
 * VM is refused (EINVAL, from kvm_gmem_bind()), one on its VM is accepted.
 */
TEST(kvm_bind_wrong_vm)
{
	int vm_a = kvm_create_vm_or_skip(), vm_b = kvm_create_vm_or_skip();
	struct pm_gmem *g;
	int gfd, rc;

	if (ioctl(vm_a, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2) <= 0)
		SKIP("KVM lacks KVM_CAP_USER_MEMORY2");
	g = gmem_on_vm(vm_a, 2 * MiB, 0);
	gfd = pm_gmem_private_fd(g);

	ASSERT_ERRNO(EINVAL, set_region(vm_b, 0, gfd, 2 * MiB));

	rc = set_region(vm_a, 0, gfd, 2 * MiB);
	if (rc)
		FAIL("KVM_SET_USER_MEMORY_REGION2 on the store's own VM "
		     "failed: %s (a guest_memfd memslot at GPA 0, 2 MiB, "
		     "userspace_addr 0)",
		     strerror(errno));
	/* The same range on the wrong VM is still refused. */
	ASSERT_ERRNO(EINVAL, set_region(vm_b, 1, gfd, 2 * MiB));

	/* Bound, the store still converts (KVM sees the private side). */
	ASSERT_OK(pm_gmem_convert(g, 0, MiB, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_convert(g, 0, MiB, PM_GMEM_SHARED, 0, NULL));

	/* Delete the slot, then close. */
	ASSERT_SYS(set_region(vm_a, 0, gfd, 0));
	pm_gmem_close(g);
	close(vm_a);
	close(vm_b);
}

/* The guest_memfd flags this VM offers (KVM_CAP_GUEST_MEMFD_FLAGS). */
static uint64_t gmem_flags(int vm)
{
	int r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);

	return r > 0 ? (uint64_t)r : 0;
}

static int create_guest_memfd(int vm, uint64_t size, uint64_t flags)
{
	struct kvm_create_guest_memfd gm = { .size = size, .flags = flags };
	int fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gm);

	if (fd < 0)
		FAIL("KVM_CREATE_GUEST_MEMFD(size %llu, flags 0x%llx): %s",
		     (unsigned long long)size, (unsigned long long)flags,
		     strerror(errno));
	return fd;
}

static struct pm_gmem *adopt(int fd, uint64_t size, uint32_t flags)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_ADOPT,
		.size = size,
		.flags = flags,
		.vm_fd = -1,
		.fd = fd,
		.name = "gmem-test",
	};

	return gmem_new_cfg(&cfg);
}

/*
 * Adopting a host-mappable guest_memfd (MMAP | INIT_SHARED) with content:
 * INIT_PRIVATE keeps it; the caller keeps its own fd.
 */
TEST(adopt_guest_memfd)
{
	const uint64_t want = GUEST_MEMFD_FLAG_MMAP |
			      GUEST_MEMFD_FLAG_INIT_SHARED;
	int vm = kvm_create_vm_or_skip(), fd, i;
	char fds0[4096], fds1[4096];
	struct pm_gmem *g;
	uint8_t *m;

	if ((gmem_flags(vm) & want) != want)
		SKIP("this KVM cannot create a host-mappable guest_memfd "
		     "(KVM_CAP_GUEST_MEMFD_FLAGS 0x%llx)",
		     (unsigned long long)gmem_flags(vm));
	fd = create_guest_memfd(vm, 4 * PG, want);
	m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	for (i = 0; i < 4; i++)
		fill_pattern(m + i * PG, PG, 100 + i);
	munmap(m, 4 * PG);

	fd_snapshot(fds0, sizeof(fds0));
	g = adopt(fd, 4 * PG, PM_GMEM_F_INIT_PRIVATE);
	ASSERT_U64_EQ(pm_gmem_granule(g), PG);
	ASSERT_NE(pm_gmem_private_fd(g), fd);
	ASSERT_STATES(g, "PPPP");
	for (i = 0; i < 4; i++)
		ASSERT_PAGE(g, i * PG, 100 + i);
	ASSERT_EQ(touch_here(gview(g), false, 0), SIGBUS);

	/* KEEP to shared shows the adopted bytes in the view. */
	ASSERT_OK(pm_gmem_convert(g, 0, PG, PM_GMEM_SHARED,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_PATTERN(gview(g), PG, 100);
	/* Without KEEP the bytes are discarded. */
	ASSERT_OK(pm_gmem_convert(g, PG, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_PATTERN(gview(g) + PG, PG, 0);
	ASSERT_OK(pm_gmem_convert(g, PG, PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_PAGE(g, PG, 0);
	ASSERT_PAGE(g, 2 * PG, 102);
	pm_gmem_close(g);
	fd_snapshot(fds1, sizeof(fds1));
	if (strcmp(fds0, fds1))
		FAIL("close left fds: before [%s] after [%s]", fds0, fds1);
	ASSERT_TRUE(fd_is_open(fd));
	close(fd);
	close(vm);
}

/*
 * A guest_memfd created without MMAP cannot be mapped by the host: the
 * store still tracks and converts it, get_pfn hands out private pages with
 * no pointer, and a page that starts shared reads zeros.
 */
TEST(adopt_guest_memfd_unmappable)
{
	int vm = kvm_create_vm_or_skip();
	int fd = create_guest_memfd(vm, 4 * PG, 0);
	struct pm_gmem_page p;
	struct pm_gmem *g = adopt(fd, 4 * PG, 0);

	ASSERT_STATES(g, "SSSS");
	fill_pattern(gview(g), PG, 110);
	ASSERT_OK(pm_gmem_convert(g, PG, 2 * PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_STATES(g, "SPPS");
	ASSERT_OK(pm_gmem_get_pfn(g, PG, 0, &p));
	ASSERT_TRUE(p.is_private);
	ASSERT_TRUE(p.ptr == NULL);
	pm_gmem_put_pfn(g, &p);
	ASSERT_OK(pm_gmem_convert(g, PG, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_PATTERN(gview(g) + PG, PG, 0);
	ASSERT_PATTERN(gview(g), PG, 110);
	pm_gmem_close(g);
	close(fd);
	close(vm);
}

TEST_MAIN()
