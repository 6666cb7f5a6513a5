/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the kvm suite: a VM running the test guest (guest/) with a
 * report callback that records every HELLO, RESULT, MARK and DONE and
 * answers the guest's host checks with pm_vm_answer_check(); and snapshots
 * of the process (fds, mappings of guest-memory files and big reservations,
 * threads) for "nothing is left" assertions. Public API only. Every test
 * SKIPs with the reason when /dev/kvm is unusable.
 */
#ifndef PRIVMEM_TESTS_KVM_UTILS_H
#define PRIVMEM_TESTS_KVM_UTILS_H

#include <dirent.h>
#include <time.h>
#include <sys/stat.h>
#include <privmem/gmem.h>
#include <privmem/privmem.h>
#include <privmem/vmm.h>
#include "harness.h"

#define MiB (1ULL << 20)
#define PG 4096ULL
#define T(id) (1ULL << (id))
#define ALL_TESTS ((1ULL << PM_GT_NR) - 1)
/* Every device the test guest's tests use. */
#define ALL_DEVICES \
	(PM_VM_F_DMA_ENGINE | PM_VM_F_TRUSTED_DEV | PM_VM_F_BAR_DEV)
#define RUN_TIMEOUT_MS 30000

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char kvm_last_log[256];

static inline void kvm_log_fn(void *opaque, enum pm_log_level level,
			      const char *msg)
{
	(void)opaque;
	if (level <= PM_LOG_WARN)
		snprintf(kvm_last_log, sizeof(kvm_last_log), "%s", msg);
	if (level <= PM_LOG_INFO)
		fprintf(stderr, "# lib[%d]: %s\n", level, msg);
}

/* The probe's answer, or SKIP when KVM is unusable here. */
static inline struct pm_vmm_caps kvm_caps_or_skip(void)
{
	struct pm_vmm_caps c;

	pm_set_log(kvm_log_fn, NULL, PM_LOG_INFO);
	ASSERT_OK(pm_vmm_probe(&c));
	if (!c.kvm)
		SKIP("KVM unusable: %s", c.why_not);
	if (!c.guest_memfd || !c.user_memory2)
		SKIP("KVM lacks guest_memfd memslots");
	return c;
}

/* What the guest said. */
struct guest_log {
	unsigned int hellos, dones;
	uint64_t hello_efer[PM_VMM_MAX_VCPUS];
	uint64_t hello_cr0[PM_VMM_MAX_VCPUS], hello_cr4[PM_VMM_MAX_VCPUS];
	/* per test: results seen, failures, the first failure's words */
	unsigned int results[PM_GT_NR + 1], failures[PM_GT_NR + 1];
	uint64_t fail_code[PM_GT_NR + 1], fail_a2[PM_GT_NR + 1],
		fail_a3[PM_GT_NR + 1];
	unsigned int checks, checks_no;
	double t_start, t_first_hello, bench_start, bench_end;
	uint64_t bench_len, bench_n;
};

static inline uint64_t guest_report(void *opaque, struct pm_vm *vm,
				    unsigned int vcpu,
				    const struct pm_vm_report *r)
{
	struct guest_log *L = opaque;
	uint64_t t, ans;

	switch (r->code) {
	case PM_REPORT_HELLO:
		if (!L->hellos)
			L->t_first_hello = now_ms();
		if (vcpu < PM_VMM_MAX_VCPUS) {
			L->hello_cr0[vcpu] = r->a[1];
			L->hello_cr4[vcpu] = r->a[2];
			L->hello_efer[vcpu] = r->a[3];
		}
		__atomic_add_fetch(&L->hellos, 1, __ATOMIC_SEQ_CST);
		return 0;
	case PM_REPORT_RESULT:
		t = r->a[0] <= PM_GT_NR ? r->a[0] : PM_GT_NR;
		__atomic_add_fetch(&L->results[t], 1, __ATOMIC_SEQ_CST);
		if (r->a[1] &&
		    __atomic_add_fetch(&L->failures[t], 1, __ATOMIC_SEQ_CST) ==
			    1) {
			L->fail_code[t] = r->a[1];
			L->fail_a2[t] = r->a[2];
			L->fail_a3[t] = r->a[3];
			fprintf(stderr,
				"# guest vcpu%u: test %llu failed: code %llu "
				"(0x%llx, 0x%llx)\n",
				vcpu, (unsigned long long)r->a[0],
				(unsigned long long)r->a[1],
				(unsigned long long)r->a[2],
				(unsigned long long)r->a[3]);
		}
		return 0;
	case PM_REPORT_CHECK:
		ans = pm_vm_answer_check(vm, r);
		__atomic_add_fetch(&L->checks, 1, __ATOMIC_SEQ_CST);
		if (!ans)
			__atomic_add_fetch(&L->checks_no, 1, __ATOMIC_SEQ_CST);
		return ans;
	case PM_REPORT_MARK:
		if (r->a[0] == PM_MARK_BENCH_START) {
			L->bench_start = now_ms();
		} else if (r->a[0] == PM_MARK_BENCH_END) {
			L->bench_end = now_ms();
			L->bench_len = r->a[1];
			L->bench_n = r->a[2];
		}
		return 0;
	case PM_REPORT_DONE:
		__atomic_add_fetch(&L->dones, 1, __ATOMIC_SEQ_CST);
		return 0;
	}
	return 0;
}

struct guest_vm {
	struct pm_vm *vm;
	struct guest_log log;
	struct pm_guest_params params;
};

static inline int guest_vm_create(struct guest_vm *gv, uint64_t mem,
				  unsigned int vcpus,
				  enum pm_gmem_backend backend, uint32_t flags)
{
	struct pm_vm_config cfg = {
		.mem_size = mem,
		.nr_vcpus = vcpus,
		.backend = backend,
		.flags = flags,
		.report = guest_report,
		.opaque = &gv->log,
	};

	memset(gv, 0, sizeof(*gv));
	return pm_vm_create(&cfg, &gv->vm);
}

/* Boot the test guest with @tests and run it to the end. */
static inline void guest_vm_run(struct guest_vm *gv, uint64_t tests,
				uint32_t iterations)
{
	const void *img;
	uint64_t len;
	unsigned int i;
	int rc;

	pm_vmm_test_guest(&img, &len);
	ASSERT_GT(len, 0);
	ASSERT_OK(pm_vm_test_params(gv->vm, tests, &gv->params));
	if (iterations)
		gv->params.iterations = iterations;
	ASSERT_OK(pm_vm_boot(gv->vm, img, len, &gv->params,
			     sizeof(gv->params)));
	gv->log.t_start = now_ms();
	ASSERT_OK(pm_vm_start(gv->vm));
	rc = pm_vm_wait(gv->vm, RUN_TIMEOUT_MS);
	if (rc)
		FAIL("the guest did not finish in %d ms", RUN_TIMEOUT_MS);
	for (i = 0; i < pm_vm_nr_vcpus(gv->vm); i++) {
		struct pm_vcpu_info in;

		ASSERT_OK(pm_vm_vcpu_info(gv->vm, i, &in));
		if (in.state != PM_VCPU_HALTED)
			FAIL("vcpu%u ended in state %d: %s (exit %u, rip "
			     "0x%llx)",
			     i, in.state, in.why, in.last_exit,
			     (unsigned long long)in.rip);
	}
	ASSERT_EQ(gv->log.dones, pm_vm_nr_vcpus(gv->vm));
}

/* Test @t reported @n results, all passes. */
#define ASSERT_GUEST_PASSED(gv, t, n)                                         \
	do {                                                                  \
		if ((gv)->log.failures[t])                                    \
			FAIL("guest test %d failed: code %llu (0x%llx, "      \
			     "0x%llx)",                                       \
			     (int)(t),                                        \
			     (unsigned long long)(gv)->log.fail_code[t],      \
			     (unsigned long long)(gv)->log.fail_a2[t],        \
			     (unsigned long long)(gv)->log.fail_a3[t]);       \
		ASSERT_EQ((gv)->log.results[t], (n));                         \
	} while (0)

/* ------------------------------------------------------------------ */
/* The process, for "nothing left behind".                             */

struct proc_snap {
	char fds[4096];
	long maps;    /* mappings of guest-memory files and VM objects */
	long threads; /* entries of /proc/self/task */
};

static inline long count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	long n = 0;

	if (!d)
		FAIL("opendir %s", path);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static inline void proc_snapshot(struct proc_snap *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char line[512];
	size_t off = 0;
	FILE *f;
	int dfd;

	memset(s, 0, sizeof(*s));
	if (!d)
		FAIL("opendir /proc/self/fd");
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dfd)
			continue;
		off += snprintf(s->fds + off, sizeof(s->fds) - off, "%s ",
				e->d_name);
		if (off >= sizeof(s->fds) - 16)
			break;
	}
	closedir(d);
	f = fopen("/proc/self/maps", "r");
	if (!f)
		FAIL("fopen /proc/self/maps");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "memfd:") || strstr(line, "kvm") ||
		    strstr(line, "anon_inode"))
			s->maps++;
	fclose(f);
	s->threads = count_dir("/proc/self/task");
}

#define ASSERT_SNAP_EQ(a, b)                                                  \
	do {                                                                  \
		if (strcmp((a)->fds, (b)->fds))                               \
			FAIL("fds: before [%s] after [%s]", (a)->fds,         \
			     (b)->fds);                                       \
		ASSERT_EQ((a)->maps, (b)->maps);                              \
		ASSERT_EQ((a)->threads, (b)->threads);                        \
	} while (0)

/* Mappings overlapping [addr, addr + len). */
static inline long maps_in(const void *addr, uint64_t len)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	char line[512];
	long n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		FAIL("fopen /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < hi && b > lo)
			n++;
	}
	fclose(f);
	return n;
}

/* Free 2 MiB huge pages, or -1. */
static inline long free_hugepages_2m(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/"
			"free_hugepages",
			"r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

#endif
