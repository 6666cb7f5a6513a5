// SPDX-License-Identifier: MIT
/*
 * Booting the test guest: every vCPU enters 64-bit long mode as the VMM
 * set it up (page tables, GDT, CR0/CR4/EFER), with RAM a guest_memfd store
 * on this VM bound by (fd, offset), all of it private and loaded through
 * populate. The memslot is what the probe chose, and the guest's private
 * writes land in the guest_memfd. Also: invalid configurations, memslots
 * for device memory (pm_vm_map_fd), and boot time. SKIPs without KVM.
 */
#include <sys/mman.h>
#include "kvm/kvm_utils.h"

static void boot_n(unsigned int n)
{
	struct guest_vm gv;
	enum pm_vm_binding b;
	enum pm_vm_enforcement e;
	enum pm_vm_conv_path p;
	struct pm_gmem_stats st;
	struct pm_vmm_caps c = kvm_caps_or_skip();
	unsigned int i;

	ASSERT_OK(guest_vm_create(&gv, 64 * MiB, n, PM_GMEM_GUEST_MEMFD, 0));
	pm_vm_modes(gv.vm, &b, &e, &p);
	ASSERT_EQ(b, c.binding);
	ASSERT_EQ(e, PM_VM_ENFORCE_EMULATED);
	ASSERT_EQ(p, c.conv_path);
	/* RAM: all private before the guest runs. */
	ASSERT_OK(pm_gmem_get_stats(pm_vm_gmem(gv.vm), &st));
	ASSERT_U64_EQ(st.private_bytes, 64 * MiB);
	guest_vm_run(&gv, T(PM_GT_BOOT), 0);
	ASSERT_EQ(gv.log.hellos, n);
	ASSERT_GUEST_PASSED(&gv, PM_GT_BOOT, 1);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(gv.log.hello_efer[i] & (1ULL << 10)); /* LMA */
		ASSERT_TRUE(gv.log.hello_efer[i] & (1ULL << 8)); /* LME */
		ASSERT_TRUE(gv.log.hello_cr0[i] & (1ULL << 31)); /* PG */
		ASSERT_TRUE(gv.log.hello_cr4[i] & (1ULL << 5)); /* PAE */
	}
	printf("# %u vCPU(s): first hello %.2f ms after start\n", n,
	       gv.log.t_first_hello - gv.log.t_start);
	pm_vm_destroy(gv.vm);
}

TEST(boot_one_vcpu)
{
	boot_n(1);
}

TEST(boot_four_vcpus)
{
	boot_n(4);
}

/*
 * The memslot is bound by (guest_memfd, offset) from a store made on this
 * VM: a private page the guest writes is in the guest_memfd (read through
 * the trusted path), and the KVM window maps the guest_memfd there and the
 * shared memfd nowhere (all RAM is private).
 */
TEST(memslot_is_the_guest_memfd)
{
	struct guest_vm gv;
	char link[128], path[64];
	struct pm_gmem *g;
	ssize_t n;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 16 * MiB, 1, PM_GMEM_GUEST_MEMFD, 0));
	g = pm_vm_gmem(gv.vm);
	ASSERT_EQ(pm_gmem_backend_of(g), PM_GMEM_GUEST_MEMFD);
	ASSERT_EQ(pm_gmem_vm_fd(g), pm_vm_fd(gv.vm));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pm_gmem_private_fd(g));
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = 0;
	ASSERT_TRUE(strstr(link, "kvm-gmem") != NULL);
	guest_vm_run(&gv, T(PM_GT_MEMSLOT), 0);
	ASSERT_GUEST_PASSED(&gv, PM_GT_MEMSLOT, 1);
	ASSERT_EQ(gv.log.checks_no, 0);
	pm_vm_destroy(gv.vm);
}

TEST(bad_configs)
{
	struct pm_vm_config cfg = {
		.mem_size = 16 * MiB,
		.nr_vcpus = 1,
		.backend = PM_GMEM_GUEST_MEMFD,
	};
	struct pm_vm *vm = NULL;

	kvm_caps_or_skip();
	ASSERT_ERR(EINVAL, pm_vm_create(NULL, &vm));
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, NULL));
	cfg.nr_vcpus = 0;
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, &vm));
	cfg.nr_vcpus = PM_VMM_MAX_VCPUS + 1;
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, &vm));
	cfg.nr_vcpus = 1;
	cfg.mem_size = 1 * MiB; /* below the layout's 4 MiB */
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, &vm));
	cfg.mem_size = PM_VMM_MAX_MEM + 4096; /* into the MMIO hole */
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, &vm));
	cfg.mem_size = 16 * MiB + 100;
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, &vm));
	cfg.mem_size = 16 * MiB;
	cfg.backend = PM_GMEM_MEMFD; /* RAM is guest_memfd or hugetlbfs */
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, &vm));
	cfg.backend = PM_GMEM_HUGETLB_2M;
	cfg.mem_size = 17 * MiB; /* not whole huge pages */
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, &vm));
	cfg.backend = PM_GMEM_GUEST_MEMFD;
	cfg.mem_size = 16 * MiB;
	cfg.flags = 1U << 7;
	ASSERT_ERR(EINVAL, pm_vm_create(&cfg, &vm));
	ASSERT_TRUE(vm == NULL);
}

TEST(boot_rules)
{
	struct guest_vm gv;
	const void *img;
	uint64_t len;
	char big[8192] = { 0 };

	kvm_caps_or_skip();
	pm_vmm_test_guest(&img, &len);
	ASSERT_OK(guest_vm_create(&gv, 16 * MiB, 1, PM_GMEM_GUEST_MEMFD, 0));
	ASSERT_ERR(EINVAL, pm_vm_start(gv.vm)); /* not booted */
	ASSERT_ERR(EINVAL, pm_vm_boot(gv.vm, img, 0, NULL, 0));
	ASSERT_ERR(EINVAL, pm_vm_boot(gv.vm, img, len, big, sizeof(big)));
	ASSERT_ERR(EINVAL, pm_vm_boot(gv.vm, img, 16 * MiB, NULL, 0));
	/* Launch content goes to private memory only: RAM is private. */
	ASSERT_ERR(EINVAL, pm_vm_load(gv.vm, 16 * MiB - 8, big, 16));
	ASSERT_ERR(EOVERFLOW, pm_vm_load(gv.vm, ~0ULL - 4, big, 16));
	ASSERT_OK(pm_vm_convert(gv.vm, 8 * MiB, PG, PM_GMEM_SHARED));
	ASSERT_ERR(EINVAL, pm_vm_load(gv.vm, 8 * MiB, big, 16));
	ASSERT_OK(pm_vm_boot(gv.vm, img, len, NULL, 0));
	ASSERT_ERR(EINVAL, pm_vm_boot(gv.vm, img, len, NULL, 0));
	pm_vm_destroy(gv.vm);
}

/* Device memory as a memslot: a memfd bound by the VMM, outside RAM. */
TEST(map_fd_slots)
{
	struct guest_vm gv;
	uint32_t s1, s2;
	int fd;

	kvm_caps_or_skip();
	fd = memfd_create("bar", MFD_CLOEXEC);
	ASSERT_SYS(fd);
	ASSERT_SYS(ftruncate(fd, 2 * MiB));
	ASSERT_OK(guest_vm_create(&gv, 16 * MiB, 1, PM_GMEM_GUEST_MEMFD, 0));
	ASSERT_OK(pm_vm_map_fd(gv.vm, 0xf0000000ULL, MiB, fd, 0, true, &s1));
	ASSERT_OK(pm_vm_map_fd(gv.vm, 0xf0100000ULL, MiB, fd, MiB, false, &s2));
	ASSERT_NE(s1, s2);
	ASSERT_NE(s1, 0);
	ASSERT_ERR(EINVAL, pm_vm_map_fd(gv.vm, 8 * MiB, MiB, fd, 0, true,
					&s2)); /* RAM */
	ASSERT_ERR(EINVAL, pm_vm_map_fd(gv.vm, 0xf00ff000ULL, 8192, fd, 0, true,
					&s2)); /* overlaps s1 */
	ASSERT_ERR(EINVAL,
		   pm_vm_map_fd(gv.vm, 0xf0200100ULL, 4096, fd, 0, true, &s2));
	ASSERT_ERR(EOVERFLOW,
		   pm_vm_map_fd(gv.vm, ~0ULL - 4095, 8192, fd, 0, true, &s2));
	ASSERT_OK(pm_vm_unmap_fd(gv.vm, s1));
	ASSERT_ERR(ENOENT, pm_vm_unmap_fd(gv.vm, s1));
	ASSERT_ERR(ENOENT,
		   pm_vm_unmap_fd(gv.vm, 0)); /* RAM is not an fd slot */
	ASSERT_OK(pm_vm_map_fd(gv.vm, 0xf0000000ULL, MiB, fd, 0, true, &s1));
	pm_vm_destroy(gv.vm); /* deletes the slots it made */
	close(fd);
}

/*
 * Another store bound like RAM (a trusted device's private MMIO region
 * will be): a guest_memfd of this VM by (fd, offset) with its own window
 * where the binding needs one; a guest_memfd of another VM is refused.
 */
TEST(map_gmem_slots)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_GUEST_MEMFD,
		.size = 4 * MiB,
		.flags = PM_GMEM_F_INIT_PRIVATE,
		.fd = -1,
	};
	struct pm_gmem *mine, *other;
	struct guest_vm gv;
	uint32_t s1, s2;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 16 * MiB, 1, PM_GMEM_GUEST_MEMFD, 0));
	cfg.vm_fd = pm_vm_fd(gv.vm);
	ASSERT_OK(pm_gmem_create(&cfg, &mine));
	cfg.vm_fd = -1; /* a VM of the store's own */
	ASSERT_OK(pm_gmem_create(&cfg, &other));
	ASSERT_ERR(EINVAL, pm_vm_map_gmem(gv.vm, 0xf0000000ULL, other, 0,
					  2 * MiB, &s1));
	ASSERT_ERR(EINVAL, pm_vm_map_gmem(gv.vm, 0xf0000000ULL, mine, 0,
					  8 * MiB, &s1)); /* past the store */
	ASSERT_ERR(EINVAL, pm_vm_map_gmem(gv.vm, 8 * MiB, mine, 0, 2 * MiB,
					  &s1)); /* RAM */
	ASSERT_ERR(EINVAL,
		   pm_vm_map_gmem(gv.vm, 0xf0000100ULL, mine, 0, PG, &s1));
	ASSERT_OK(pm_vm_map_gmem(gv.vm, 0xf0000000ULL, mine, 0, 2 * MiB, &s1));
	ASSERT_OK(pm_vm_map_gmem(gv.vm, 0xf0200000ULL, mine, 2 * MiB, 2 * MiB,
				 &s2));
	ASSERT_ERR(EINVAL, pm_vm_map_gmem(gv.vm, 0xf01ff000ULL, mine, 0, 2 * PG,
					  &s2)); /* overlaps */
	ASSERT_OK(pm_vm_unmap_fd(gv.vm, s1));
	ASSERT_OK(pm_vm_unmap_fd(gv.vm, s2));
	ASSERT_ERR(ENOENT, pm_vm_unmap_fd(gv.vm, s2));
	pm_gmem_close(mine);
	pm_gmem_close(other);
	pm_vm_destroy(gv.vm);
}

TEST_MAIN()
