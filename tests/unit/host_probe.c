// SPDX-License-Identifier: MIT
/*
 * pm_host_probe() against what /proc, /sys and direct system calls say, its
 * fd hygiene, and a fault-injection sweep over every point it passes.
 */
#include "harness.h"
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <privmem/privmem.h>
#include <privmem/host.h>
#include <privmem/uapi/kvm.h>

#define HUGETLB_DIR "/sys/kernel/mm/hugepages"

static int count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		FAIL("opendir /proc/self/fd: %s", strerror(errno));
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static bool read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return true;
}

static long read_num(const char *path)
{
	char buf[64];

	if (!read_text(path, buf, sizeof(buf)))
		FAIL("cannot read %s", path);
	return strtol(buf, NULL, 10);
}

static uint64_t rlim(rlim_t v)
{
	return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

static bool kvm_fields_zero(const struct pm_host_info *h)
{
	return !h->kvm_api_version && !h->vm_types && !h->guest_memfd &&
	       !h->guest_memfd_flags && !h->memory_attributes &&
	       !h->user_memory2 && !h->exit_hypercall &&
	       !h->memory_fault_info && !h->pre_fault_memory && !h->nr_vcpus &&
	       !h->max_vcpus;
}

static bool str_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

TEST(probe_succeeds_and_leaks_no_fd)
{
	struct pm_host_info h;
	int before, after;

	before = count_fds();
	ASSERT_EQ(pm_host_probe(&h), 0);
	after = count_fds();
	ASSERT_EQ(before, after);
}

TEST(kernel_and_limits_match)
{
	struct pm_host_info h;
	struct utsname u;
	struct rlimit rl;
	char buf[128], *open, *close;

	ASSERT_OK(pm_host_probe(&h));
	ASSERT_SYS(uname(&u));
	ASSERT_EQ(strcmp(h.kernel_release, u.release), 0);
	ASSERT_EQ(strcmp(h.machine, u.machine), 0);
	ASSERT_U64_EQ(h.page_size, (uint64_t)sysconf(_SC_PAGESIZE));
	ASSERT_EQ(h.max_map_count, read_num("/proc/sys/vm/max_map_count"));
	ASSERT_SYS(getrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_U64_EQ(h.memlock_cur, rlim(rl.rlim_cur));
	ASSERT_U64_EQ(h.memlock_max, rlim(rl.rlim_max));
	ASSERT_EQ(h.is_root, geteuid() == 0);
	ASSERT_EQ(h.dev_iommu, access("/dev/iommu", F_OK) == 0);
	ASSERT_EQ(h.dev_vfio, access("/dev/vfio", F_OK) == 0);

	if (read_text("/sys/kernel/mm/transparent_hugepage/enabled", buf,
		      sizeof(buf)) &&
	    (open = strchr(buf, '[')) && (close = strchr(open, ']'))) {
		*close = '\0';
		ASSERT_EQ(strcmp(h.thp_mode, open + 1), 0);
	} else {
		ASSERT_EQ(h.thp_mode[0], '\0');
	}
}

TEST(capabilities_match_status)
{
	unsigned long long eff = 0;
	struct pm_host_info h;
	char buf[4096], *p;

	ASSERT_OK(pm_host_probe(&h));
	ASSERT_TRUE(read_text("/proc/self/status", buf, sizeof(buf)));
	p = strstr(buf, "\nCapEff:");
	ASSERT_TRUE(p);
	eff = strtoull(p + 8, NULL, 16);
	ASSERT_EQ(h.cap_ipc_lock, (eff >> 14) & 1); /* CAP_IPC_LOCK */
	ASSERT_EQ(h.cap_sys_resource, (eff >> 24) & 1); /* CAP_SYS_RESOURCE */
}

TEST(memfd_secret_matches)
{
	struct pm_host_info h;
	long fd;

	ASSERT_OK(pm_host_probe(&h));
#ifdef SYS_memfd_secret
	fd = syscall(SYS_memfd_secret, O_CLOEXEC);
#else
	fd = -1;
	errno = ENOSYS;
#endif
	if (fd >= 0) {
		close((int)fd);
		ASSERT_TRUE(h.memfd_secret);
		ASSERT_EQ(h.memfd_secret_errno, 0);
	} else {
		ASSERT_FALSE(h.memfd_secret);
		ASSERT_EQ(h.memfd_secret_errno, errno);
	}
}

TEST(hugetlb_matches_sysfs)
{
	struct pm_host_info h;
	struct dirent *de;
	char path[512];
	int i, found = 0;
	unsigned long kb;
	DIR *d;

	ASSERT_OK(pm_host_probe(&h));
	ASSERT_LE(h.nr_hugetlb, PM_HOST_MAX_HUGETLB);
	for (i = 1; i < h.nr_hugetlb; i++)
		ASSERT_LT(h.hugetlb[i - 1].page_size, h.hugetlb[i].page_size);

	d = opendir(HUGETLB_DIR);
	if (!d) {
		ASSERT_EQ(h.nr_hugetlb, 0);
		return;
	}
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		found++;
		for (i = 0; i < h.nr_hugetlb; i++)
			if (h.hugetlb[i].page_size == (uint64_t)kb * 1024)
				break;
		if (i == h.nr_hugetlb) {
			/* Only a host with more pools than fit may drop one. */
			ASSERT_EQ(h.nr_hugetlb, PM_HOST_MAX_HUGETLB);
			continue;
		}
		snprintf(path, sizeof(path), HUGETLB_DIR "/%s/nr_hugepages",
			 de->d_name);
		ASSERT_EQ(h.hugetlb[i].nr, read_num(path));
		ASSERT_GE(h.hugetlb[i].free, 0);
		ASSERT_LE(h.hugetlb[i].free, h.hugetlb[i].nr);
		ASSERT_GE(h.hugetlb[i].resv, 0);
	}
	closedir(d);
	ASSERT_EQ(h.nr_hugetlb,
		  found < PM_HOST_MAX_HUGETLB ? found : PM_HOST_MAX_HUGETLB);
}

TEST(kvm_matches_dev_kvm)
{
	struct pm_host_info h;
	char path[64];
	int kvm, r;

	ASSERT_OK(pm_host_probe(&h));
	ASSERT_EQ(h.kvm_present, access("/dev/kvm", F_OK) == 0);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_EQ(h.kvm_accessible, kvm >= 0);
	if (kvm < 0) {
		ASSERT_EQ(h.kvm_open_errno, h.kvm_present ? errno : 0);
		ASSERT_TRUE(kvm_fields_zero(&h));
		SKIP("/dev/kvm: %s", strerror(errno));
	}
	ASSERT_EQ(h.kvm_open_errno, 0);
	ASSERT_EQ(h.kvm_api_version, ioctl(kvm, KVM_GET_API_VERSION, 0));
	ASSERT_EQ(h.kvm_api_version, 12);
	ASSERT_TRUE(h.vm_types & 1); /* the default VM */
	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD);
	ASSERT_EQ(h.guest_memfd, r > 0);
	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2);
	ASSERT_EQ(h.user_memory2, r > 0);
	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL);
	ASSERT_U64_EQ(h.exit_hypercall, (uint64_t)(r > 0 ? r : 0));
	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	ASSERT_EQ(h.max_vcpus, r);
	ASSERT_GE(h.max_vcpus, h.nr_vcpus);
	if (!h.guest_memfd)
		ASSERT_U64_EQ(h.guest_memfd_flags, 0);
	close(kvm);

	if (h.kvm_module[0]) {
		char mods[sizeof(h.kvm_module)], *m, *save;

		strcpy(mods, h.kvm_module);
		for (m = strtok_r(mods, ",", &save); m;
		     m = strtok_r(NULL, ",", &save)) {
			snprintf(path, sizeof(path), "/sys/module/%s", m);
			ASSERT_EQ(access(path, F_OK), 0);
		}
	}
}

TEST(vm_type_names)
{
	ASSERT_EQ(strcmp(pm_vm_type_name(0), "default"), 0);
	ASSERT_EQ(strcmp(pm_vm_type_name(1), "sw_protected"), 0);
	ASSERT_EQ(strcmp(pm_vm_type_name(2), "sev"), 0);
	ASSERT_EQ(strcmp(pm_vm_type_name(3), "sev_es"), 0);
	ASSERT_EQ(strcmp(pm_vm_type_name(4), "snp"), 0);
	ASSERT_EQ(strcmp(pm_vm_type_name(5), "tdx"), 0);
	ASSERT_EQ(strcmp(pm_vm_type_name(6), "unknown"), 0);
	ASSERT_EQ(strcmp(pm_vm_type_name(~0u), "unknown"), 0);
}

/*
 * Fail each injection point the probe passes, one at a time: the probe must
 * return 0 (having reported less) or -errno, and never leak an fd.
 */
TEST(fault_sweep)
{
	struct pm_host_info h;
	unsigned long n, points, failed = 0;
	int fds, rc;

	fds = count_fds();
	pm_fault_arm(~0UL);
	ASSERT_OK(pm_host_probe(&h));
	points = pm_fault_points();
	pm_fault_disarm();
	ASSERT_GT(points, 0);

	for (n = 1; n < 1000; n++) {
		pm_fault_arm(n);
		rc = pm_host_probe(&h);
		pm_fault_disarm();
		if (!pm_fault_fired())
			break;
		ASSERT_LE(rc, 0);
		if (rc < 0)
			failed++;
		else
			ASSERT_TRUE(str_terminated(h.kernel_release,
						   sizeof(h.kernel_release)) &&
				    str_terminated(h.kvm_module,
						   sizeof(h.kvm_module)) &&
				    str_terminated(h.thp_mode,
						   sizeof(h.thp_mode)) &&
				    h.nr_hugetlb >= 0 &&
				    h.nr_hugetlb <= PM_HOST_MAX_HUGETLB);
		if (count_fds() != fds)
			FAIL("fault point %lu leaked an fd (rc %d)", n, rc);
	}
	ASSERT_LT(n, 1000);
	ASSERT_EQ(n - 1, points);
	printf("  swept %lu fault points: %lu failed the probe, %lu degraded\n",
	       n - 1, failed, n - 1 - failed);
}

TEST_MAIN()
