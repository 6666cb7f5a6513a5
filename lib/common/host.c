// SPDX-License-Identifier: MIT
/*
 * pm_host_probe(): what this host offers privmem, asked of the kernel itself
 * rather than inferred from its version, since backports, configuration and
 * out-of-tree modules (kvm_pvm) make version checks lie.
 *
 *  - KVM: /dev/kvm is opened read-write; KVM_GET_API_VERSION and
 *    KVM_CHECK_EXTENSION on the system fd; one default VM is created to ask
 *    KVM_CAP_GUEST_MEMFD_FLAGS, which only a VM answers, and closed again.
 *    These decide whether guest memory can live in a guest_memfd and whether
 *    the kernel itself can keep it private (private VM types, attributes).
 *    The vendor module comes from /sys/module, so it is known even when
 *    /dev/kvm cannot be opened.
 *  - Memory backends: a memfd_secret(2) fd is created and closed; the
 *    hugetlb pools of /sys/kernel/mm/hugepages; the THP mode;
 *    vm.max_map_count, which bounds how many mappings a guest may use.
 *  - Pinning: RLIMIT_MEMLOCK, CAP_IPC_LOCK and CAP_SYS_RESOURCE, which
 *    decide how much the emulated IOMMU may pin.
 *  - /dev/iommu and /dev/vfio, which privmem emulates when absent.
 *
 * A question the host does not answer leaves its field zero. Only running
 * out of memory or file descriptors (real or injected) fails the probe: an
 * answer would then be wrong rather than missing. Every fd opened here is
 * closed before returning, on every path.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if HAVE_LIBCAP
#include <sys/capability.h>
#else
#include <linux/capability.h>
#endif
#include <privmem/privmem.h>
#include <privmem/host.h>
#include <privmem/uapi/kvm.h>
#include "sys.h"
#include "overflow.h"

#define HUGETLB_DIR "/sys/kernel/mm/hugepages"
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/* The process ran out of something: the probe cannot answer truthfully. */
static bool resource_error(long err)
{
	return err == -ENOMEM || err == -EMFILE || err == -ENFILE;
}

/* Keep a resource error, drop any other (the host did not answer). */
static int fatal_only(long err)
{
	return resource_error(err) ? (int)err : 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A decimal integer from procfs or sysfs; *val stays 0 if unanswered. */
static int read_long(const char *path, long *val)
{
	char buf[32], *end;
	ssize_t n;
	long v;

	*val = 0;
	n = sys_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return fatal_only(n);
	v = strtol(buf, &end, 10);
	if (end != buf)
		*val = v;
	return 0;
}

static int probe_uname(struct pm_host_info *info)
{
	struct utsname u;
	int r;

	r = sys_uname(&u);
	if (r < 0)
		return fatal_only(r);
	copy_str(info->kernel_release, sizeof(info->kernel_release), u.release);
	copy_str(info->machine, sizeof(info->machine), u.machine);
	return 0;
}

/*
 * The loaded vendor modules, comma-separated if more than one is (kvm_pvm
 * may be loaded next to kvm_intel or kvm_amd).
 */
static int probe_kvm_module(struct pm_host_info *info)
{
	static const char *const modules[] = { "kvm_intel", "kvm_amd",
					       "kvm_pvm" };
	size_t i, len = 0;
	char path[64];
	int r;

	for (i = 0; i < ARRAY_SIZE(modules); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", modules[i]);
		r = sys_access(path, F_OK);
		if (r < 0) {
			if (resource_error(r))
				return r;
			continue;
		}
		r = snprintf(info->kvm_module + len,
			     sizeof(info->kvm_module) - len, "%s%s",
			     len ? "," : "", modules[i]);
		if (r < 0 || (size_t)r >= sizeof(info->kvm_module) - len)
			break;
		len += r;
	}
	return 0;
}

/* KVM_CHECK_EXTENSION; *val is 0 when the capability is not answered. */
static int kvm_check(int fd, long cap, long *val)
{
	int r = sys_ioctl_val(fd, KVM_CHECK_EXTENSION, cap);

	*val = r < 0 ? 0 : r;
	return fatal_only(r);
}

enum {
	C_VM_TYPES,
	C_GUEST_MEMFD,
	C_MEMORY_ATTRIBUTES,
	C_USER_MEMORY2,
	C_EXIT_HYPERCALL,
	C_MEMORY_FAULT_INFO,
	C_PRE_FAULT_MEMORY,
	C_NR_VCPUS,
	C_MAX_VCPUS,
	NR_KVM_CAPS,
};

static const long kvm_caps[NR_KVM_CAPS] = {
	[C_VM_TYPES] = KVM_CAP_VM_TYPES,
	[C_GUEST_MEMFD] = KVM_CAP_GUEST_MEMFD,
	[C_MEMORY_ATTRIBUTES] = KVM_CAP_MEMORY_ATTRIBUTES,
	[C_USER_MEMORY2] = KVM_CAP_USER_MEMORY2,
	[C_EXIT_HYPERCALL] = KVM_CAP_EXIT_HYPERCALL,
	[C_MEMORY_FAULT_INFO] = KVM_CAP_MEMORY_FAULT_INFO,
	[C_PRE_FAULT_MEMORY] = KVM_CAP_PRE_FAULT_MEMORY,
	[C_NR_VCPUS] = KVM_CAP_NR_VCPUS,
	[C_MAX_VCPUS] = KVM_CAP_MAX_VCPUS,
};

static int probe_kvm_fd(struct pm_host_info *info, int kvm)
{
	long val[NR_KVM_CAPS], flags;
	int r, vm;
	size_t i;

	r = sys_ioctl_val(kvm, KVM_GET_API_VERSION, 0);
	if (r < 0)
		return fatal_only(r);
	info->kvm_api_version = r;

	for (i = 0; i < NR_KVM_CAPS; i++) {
		r = kvm_check(kvm, kvm_caps[i], &val[i]);
		if (r)
			return r;
	}
	info->vm_types = (uint64_t)val[C_VM_TYPES];
	info->guest_memfd = val[C_GUEST_MEMFD] > 0;
	info->memory_attributes = (uint64_t)val[C_MEMORY_ATTRIBUTES];
	info->user_memory2 = val[C_USER_MEMORY2] > 0;
	info->exit_hypercall = (uint64_t)val[C_EXIT_HYPERCALL];
	info->memory_fault_info = val[C_MEMORY_FAULT_INFO] > 0;
	info->pre_fault_memory = val[C_PRE_FAULT_MEMORY] > 0;
	info->nr_vcpus = (int)val[C_NR_VCPUS];
	info->max_vcpus = (int)val[C_MAX_VCPUS];

	/* guest_memfd flags are a per-VM answer: ask a throwaway VM. */
	vm = sys_ioctl_val(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	if (vm < 0)
		return fatal_only(vm);
	r = kvm_check(vm, KVM_CAP_GUEST_MEMFD_FLAGS, &flags);
	sys_close(vm);
	if (r)
		return r;
	info->guest_memfd_flags = (uint64_t)flags;
	/* Kernels without KVM_CAP_VM_TYPES still created a default VM. */
	if (!info->vm_types)
		info->vm_types = 1ULL << KVM_X86_DEFAULT_VM;
	return 0;
}

static int probe_kvm(struct pm_host_info *info)
{
	int kvm, r;

	r = probe_kvm_module(info);
	if (r)
		return r;

	kvm = sys_open("/dev/kvm", O_RDWR, 0);
	if (kvm < 0) {
		if (resource_error(kvm))
			return kvm;
		info->kvm_present = kvm != -ENOENT;
		if (info->kvm_present)
			info->kvm_open_errno = -kvm;
		return 0;
	}
	info->kvm_present = true;
	info->kvm_accessible = true;
	r = probe_kvm_fd(info, kvm);
	sys_close(kvm);
	return r;
}

static int probe_memfd_secret(struct pm_host_info *info)
{
	int fd = sys_memfd_secret(0);

	if (fd < 0) {
		if (resource_error(fd))
			return fd;
		info->memfd_secret_errno = -fd;
		return 0;
	}
	sys_close(fd);
	info->memfd_secret = true;
	return 0;
}

/* "hugepages-2048kB" -> 2 MiB; false for any other name. */
static bool hugetlb_page_size(const char *name, uint64_t *size)
{
	static const char prefix[] = "hugepages-";
	unsigned long long kb;
	char *end;

	if (strncmp(name, prefix, sizeof(prefix) - 1))
		return false;
	name += sizeof(prefix) - 1;
	if (*name < '0' || *name > '9')
		return false;
	kb = strtoull(name, &end, 10);
	if (strcmp(end, "kB") || !kb)
		return false;
	return !check_mul_overflow((uint64_t)kb, (uint64_t)1024, size);
}

/* Keep the pools sorted by page size; when full, drop the largest. */
static void hugetlb_insert(struct pm_host_info *info,
			   const struct pm_hugetlb_pool *pool)
{
	int i = info->nr_hugetlb;

	if (i == PM_HOST_MAX_HUGETLB) {
		if (pool->page_size >= info->hugetlb[i - 1].page_size)
			return;
		i--;
	} else {
		info->nr_hugetlb++;
	}
	for (; i > 0 && info->hugetlb[i - 1].page_size > pool->page_size; i--)
		info->hugetlb[i] = info->hugetlb[i - 1];
	info->hugetlb[i] = *pool;
}

static int hugetlb_read(const char *dir, const char *file, long *val)
{
	char path[128];
	int n;

	n = snprintf(path, sizeof(path), HUGETLB_DIR "/%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		*val = 0;
		return 0;
	}
	return read_long(path, val);
}

static int probe_hugetlb(struct pm_host_info *info)
{
	struct pm_hugetlb_pool pool;
	struct dirent *de;
	int r = 0;
	DIR *dir;

	dir = sys_opendir(HUGETLB_DIR);
	if (IS_ERR(dir))
		return fatal_only(PTR_ERR(dir));
	for (;;) {
		de = sys_readdir(dir);
		if (IS_ERR_OR_NULL(de)) {
			if (IS_ERR(de))
				r = fatal_only(PTR_ERR(de));
			break;
		}
		if (!hugetlb_page_size(de->d_name, &pool.page_size))
			continue;
		r = hugetlb_read(de->d_name, "nr_hugepages", &pool.nr);
		if (!r)
			r = hugetlb_read(de->d_name, "free_hugepages",
					 &pool.free);
		if (!r)
			r = hugetlb_read(de->d_name, "resv_hugepages",
					 &pool.resv);
		if (r)
			break;
		hugetlb_insert(info, &pool);
	}
	sys_closedir(dir);
	return r;
}

/* "always [madvise] never": the bracketed mode is the selected one. */
static int probe_thp(struct pm_host_info *info)
{
	char buf[64], *open, *close;
	ssize_t n;

	n = sys_read_file(THP_ENABLED, buf, sizeof(buf));
	if (n < 0)
		return fatal_only(n);
	open = strchr(buf, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close || (size_t)(close - open - 1) >= sizeof(info->thp_mode))
		return 0;
	memcpy(info->thp_mode, open + 1, close - open - 1);
	info->thp_mode[close - open - 1] = '\0';
	return 0;
}

static int probe_vm_limits(struct pm_host_info *info)
{
	long page_size = sysconf(_SC_PAGESIZE);

	if (page_size > 0)
		info->page_size = (uint64_t)page_size;
	return read_long("/proc/sys/vm/max_map_count", &info->max_map_count);
}

static uint64_t rlim_u64(rlim_t v)
{
	return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

#if HAVE_LIBCAP
static bool cap_effective(cap_t caps, cap_value_t cap)
{
	cap_flag_value_t v;

	return !cap_get_flag(caps, cap, CAP_EFFECTIVE, &v) && v == CAP_SET;
}

static int probe_caps(struct pm_host_info *info)
{
	cap_t caps;

	/* libcap allocates and calls capget(2): count it as one point. */
	if (pm_should_fail())
		return -ENOMEM;
	caps = cap_get_proc();
	if (!caps)
		return -ENOMEM;
	info->cap_ipc_lock = cap_effective(caps, CAP_IPC_LOCK);
	info->cap_sys_resource = cap_effective(caps, CAP_SYS_RESOURCE);
	cap_free(caps);
	return 0;
}
#else
/* Without libcap: the CapEff line of /proc/self/status. */
static int probe_caps(struct pm_host_info *info)
{
	static const char key[] = "\nCapEff:";
	const size_t len = 4096;
	unsigned long long eff;
	char *buf, *p, *end;
	ssize_t n;

	buf = kmalloc(len);
	if (!buf)
		return -ENOMEM;
	n = sys_read_file("/proc/self/status", buf, len);
	if (n < 0) {
		kfree(buf);
		return fatal_only(n);
	}
	p = strstr(buf, key);
	if (p) {
		eff = strtoull(p + sizeof(key) - 1, &end, 16);
		if (end != p + sizeof(key) - 1) {
			info->cap_ipc_lock = eff >> CAP_IPC_LOCK & 1;
			info->cap_sys_resource = eff >> CAP_SYS_RESOURCE & 1;
		}
	}
	kfree(buf);
	return 0;
}
#endif

static int probe_pinning(struct pm_host_info *info)
{
	struct rlimit rl;

	if (!sys_getrlimit(RLIMIT_MEMLOCK, &rl)) {
		info->memlock_cur = rlim_u64(rl.rlim_cur);
		info->memlock_max = rlim_u64(rl.rlim_max);
	}
	info->is_root = sys_geteuid() == 0;
	return probe_caps(info);
}

static int path_exists(const char *path, bool *exists)
{
	int r = sys_access(path, F_OK);

	*exists = r == 0;
	return fatal_only(r);
}

static int probe_iommu(struct pm_host_info *info)
{
	int r = path_exists("/dev/iommu", &info->dev_iommu);

	if (r)
		return r;
	return path_exists("/dev/vfio", &info->dev_vfio);
}

int pm_host_probe(struct pm_host_info *info)
{
	static int (*const probes[])(struct pm_host_info *) = {
		probe_uname, probe_kvm,	      probe_memfd_secret, probe_hugetlb,
		probe_thp,   probe_vm_limits, probe_pinning,	  probe_iommu,
	};
	size_t i;
	int r;

	memset(info, 0, sizeof(*info));
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		r = probes[i](info);
		if (r)
			return r;
	}
	return 0;
}

const char *pm_vm_type_name(unsigned int type)
{
	static const char *const names[] = {
		[KVM_X86_DEFAULT_VM] = "default",
		[KVM_X86_SW_PROTECTED_VM] = "sw_protected",
		[KVM_X86_SEV_VM] = "sev",
		[KVM_X86_SEV_ES_VM] = "sev_es",
		[KVM_X86_SNP_VM] = "snp",
		[KVM_X86_TDX_VM] = "tdx",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown";
}
