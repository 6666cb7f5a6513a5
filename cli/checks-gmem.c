// SPDX-License-Identifier: MIT
/*
 * Checks of the gmem store, on the best backend the host has (guest_memfd
 * when KVM offers it, else memfd), plus one check that every backend either
 * works or is reported missing with its reason.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <privmem/gmem.h>
#include "checks.h"

#define PAGE 4096ULL

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static enum pm_gmem_backend best_backend(const struct pm_host_info *h)
{
	return h->kvm_accessible && h->guest_memfd ? PM_GMEM_GUEST_MEMFD :
						     PM_GMEM_MEMFD;
}

static int open_store(struct run_ctx *ctx, uint64_t size, uint32_t flags,
		      struct pm_gmem **g, struct check_result *r)
{
	struct pm_gmem_config cfg = {
		.backend = best_backend(&ctx->host),
		.size = size,
		.flags = flags,
		.vm_fd = -1,
		.fd = -1,
	};
	int rc = pm_gmem_create(&cfg, g);

	if (rc)
		check_fail(r, "creating a %s store: %s",
			   pm_gmem_backend_name(cfg.backend), strerror(-rc));
	return rc;
}

static int touch_fn(void *arg)
{
	return *(volatile char *)arg;
}

/*
 * Does reading @p in a child die of SIGBUS? The child shares our address
 * space (CLONE_VM): the host view is not inherited across fork. It starts
 * with the default SIGBUS and SIGSEGV actions, set around the clone: a
 * handler installed in this process (the sanitizers install theirs) would
 * otherwise turn the signal death into an exit status.
 */
static bool child_faults(const char *p)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old_bus, old_segv;
	size_t stack_size = 1 << 16;
	char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status = 0;
	pid_t pid;

	if (stack == MAP_FAILED)
		return false;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGBUS, &dfl, &old_bus);
	sigaction(SIGSEGV, &dfl, &old_segv);
	pid = clone(touch_fn, stack + stack_size, CLONE_VM | SIGCHLD,
		    (void *)p);
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	if (pid > 0)
		waitpid(pid, &status, 0);
	munmap(stack, stack_size);
	return pid > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

/* Mappings (VMAs) of this process overlapping [p, p + len), or -1. */
static long vmas_in_range(const char *p, uint64_t len)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	char line[512];
	long n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo)
			n++;
	}
	fclose(f);
	return n;
}

static bool all_zero(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* Why a backend did not work, in words a reader can act on. */
static const char *backend_why(enum pm_gmem_backend b, int rc)
{
	if (rc == -ENOSPC && b == PM_GMEM_HUGETLB_2M)
		return "no free 2 MiB huge pages (vm.nr_hugepages)";
	if (rc == -ENOSPC && b == PM_GMEM_HUGETLB_1G)
		return "no free 1 GiB huge pages (hugepages-1048576kB/"
		       "nr_hugepages)";
	if (rc == -EOPNOTSUPP)
		return "not on this host (privmem -v run says why)";
	return strerror(-rc);
}

static void check_backends(struct run_ctx *ctx, struct check_result *r)
{
	static const enum pm_gmem_backend all[] = {
		PM_GMEM_GUEST_MEMFD, PM_GMEM_MEMFD, PM_GMEM_SECRET,
		PM_GMEM_HUGETLB_2M, PM_GMEM_HUGETLB_1G,
	};
	char line[400] = "";
	size_t i, off = 0;
	int ok = 0;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct pm_gmem_config cfg = {
			.backend = all[i],
			.size = all[i] == PM_GMEM_HUGETLB_1G ? (1ULL << 30) :
							       (2ULL << 20),
			.flags = PM_GMEM_F_INIT_PRIVATE,
			.vm_fd = -1,
			.fd = -1,
		};
		struct pm_gmem_page pg;
		struct pm_gmem *g;
		int rc = pm_gmem_create(&cfg, &g);

		/* Works means a page can be had, not only an fd. */
		if (!rc) {
			rc = pm_gmem_get_pfn(g, 0, 0, &pg);
			if (!rc)
				pm_gmem_put_pfn(g, &pg);
			pm_gmem_close(g);
		}
		if (!rc)
			ok++;
		off += snprintf(line + off, sizeof(line) - off, "%s%s: %s",
				i ? "; " : "", pm_gmem_backend_name(all[i]),
				rc ? backend_why(all[i], rc) : "ok");
		if (off >= sizeof(line))
			off = sizeof(line) - 1;
	}
	/* memfd needs nothing but the kernel: it must always work. */
	if (ok == 0)
		check_fail(r, "no backend works: %s", line);
	else
		check_pass(r, "%s", line);
	json_object_object_add(ctx->stats, "gmem_backends_ok",
			       json_object_new_int(ok));
}

static void check_to_private(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_gmem_page pg;
	struct pm_gmem *g;
	char *view;
	double t0, t;
	int rc;

	if (open_store(ctx, 4ULL << 20, 0, &g, r))
		return;
	view = pm_gmem_host_view(g);
	memset(view, 0xab, 2 << 20);
	t0 = now_s();
	rc = pm_gmem_convert(g, 0, 2 << 20, PM_GMEM_PRIVATE, 0, NULL);
	t = now_s() - t0;
	if (rc) {
		check_fail(r, "convert 2 MiB to private: %s", strerror(-rc));
		goto out;
	}
	if (pm_gmem_is_private(g, 0) != 1 || pm_gmem_is_private(g, 2 << 20)) {
		check_fail(r, "state wrong after conversion");
		goto out;
	}
	rc = pm_gmem_get_pfn(g, 4096, 0, &pg);
	if (rc || !pg.is_private || (pg.ptr && !all_zero(pg.ptr, PAGE))) {
		check_fail(r, "private page not reachable or not zeroed (%d)",
			   rc);
		if (!rc)
			pm_gmem_put_pfn(g, &pg);
		goto out;
	}
	pm_gmem_put_pfn(g, &pg);
	json_object_object_add(ctx->stats, "gmem_convert_2m_private_us",
			       json_object_new_double(t * 1e6));
	check_pass(r, "2 MiB of %s became private in %.0f us; content "
		      "discarded, trusted path reads zeros",
		   pm_gmem_backend_name(pm_gmem_backend_of(g)), t * 1e6);
out:
	pm_gmem_close(g);
}

static void check_host_read_faults(struct run_ctx *ctx, struct check_result *r)
{
	struct iovec local, remote;
	struct pm_gmem *g;
	char buf[64];
	char *view;
	ssize_t n;

	if (open_store(ctx, 2ULL << 20, 0, &g, r))
		return;
	view = pm_gmem_host_view(g);
	if (pm_gmem_convert(g, PAGE, PAGE, PM_GMEM_PRIVATE, 0, NULL)) {
		check_fail(r, "conversion failed");
		goto out;
	}
	local.iov_base = buf;
	local.iov_len = sizeof(buf);
	remote.iov_base = view + PAGE;
	remote.iov_len = sizeof(buf);
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n >= 0 || errno != EFAULT) {
		check_fail(r, "kernel read of a private page through the host "
			      "view did not fault (%zd)", n);
		goto out;
	}
	if (!child_faults(view + PAGE)) {
		check_fail(r, "touching a private page did not raise SIGBUS");
		goto out;
	}
	if (child_faults(view)) {
		check_fail(r, "a shared page faulted");
		goto out;
	}
	check_pass(r, "host view: private page raises SIGBUS (child) and "
		      "EFAULT (process_vm_readv); shared page reads");
out:
	pm_gmem_close(g);
}

static void check_back_zeroed(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_gmem_page pg;
	struct pm_gmem *g;
	char *view;

	if (open_store(ctx, 2ULL << 20, PM_GMEM_F_INIT_PRIVATE, &g, r))
		return;
	view = pm_gmem_host_view(g);
	if (pm_gmem_get_pfn(g, 0, 0, &pg)) {
		check_fail(r, "get_pfn failed");
		goto out;
	}
	if (!pg.ptr) {
		pm_gmem_put_pfn(g, &pg);
		check_skip(r, "backend cannot map private pages");
		goto out;
	}
	memset(pg.ptr, 0x5a, PAGE); /* a secret, written by the guest side */
	pm_gmem_put_pfn(g, &pg);
	if (pm_gmem_convert(g, 0, 2 << 20, PM_GMEM_SHARED, 0, NULL)) {
		check_fail(r, "conversion to shared failed");
		goto out;
	}
	if (!all_zero(view, 2 << 20)) {
		check_fail(r, "a private byte crossed to the shared side");
		goto out;
	}
	check_pass(r, "private page with content, converted back: host "
		      "view reads zeros");
out:
	pm_gmem_close(g);
}

static void check_keep(struct run_ctx *ctx, struct check_result *r)
{
	static const char msg[] = "kept across conversion";
	struct pm_gmem_page pg;
	struct pm_gmem *g;
	char *view;
	int rc;

	if (open_store(ctx, 2ULL << 20, 0, &g, r))
		return;
	view = pm_gmem_host_view(g);
	memcpy(view + PAGE, msg, sizeof(msg));
	rc = pm_gmem_convert(g, 0, 4 * PAGE, PM_GMEM_PRIVATE,
			     PM_GMEM_CONVERT_KEEP, NULL);
	if (rc == -EOPNOTSUPP) {
		check_skip(r, "backend cannot move content in place");
		goto out;
	}
	if (rc || pm_gmem_get_pfn(g, PAGE, 0, &pg)) {
		check_fail(r, "keep conversion to private failed");
		goto out;
	}
	rc = pg.ptr && !memcmp(pg.ptr, msg, sizeof(msg));
	pm_gmem_put_pfn(g, &pg);
	if (!rc) {
		check_fail(r, "content lost going private");
		goto out;
	}
	rc = pm_gmem_convert(g, 0, 4 * PAGE, PM_GMEM_SHARED,
			     PM_GMEM_CONVERT_KEEP, NULL);
	if (rc || memcmp(view + PAGE, msg, sizeof(msg))) {
		check_fail(r, "content lost going shared");
		goto out;
	}
	check_pass(r, "PM_GMEM_CONVERT_KEEP moves the bytes both ways");
out:
	pm_gmem_close(g);
}

static void check_alternating(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_gmem_stats st;
	struct pm_gmem *g;
	uint64_t off, size = 1ULL << 30;
	double t0, t;
	char *view;
	long vmas;
	int rc = 0;

	if (open_store(ctx, size, PM_GMEM_F_INIT_PRIVATE, &g, r))
		return;
	view = pm_gmem_host_view(g);
	t0 = now_s();
	for (off = 0; off < size && !rc; off += 2 * PAGE)
		rc = pm_gmem_convert(g, off, PAGE, PM_GMEM_SHARED, 0, NULL);
	t = now_s() - t0;
	if (rc) {
		check_fail(r, "alternating conversion stopped at 0x%llx: %s",
			   (unsigned long long)off, strerror(-rc));
		goto out;
	}
	rc = pm_gmem_get_stats(g, &st);
	if (rc || st.nr_extents != size / PAGE / 2 ||
	    !child_faults(view + PAGE) || child_faults(view + size - 2 * PAGE)) {
		check_fail(r, "state or host view wrong after alternation");
		goto out;
	}
	vmas = vmas_in_range(view, size);
	if (vmas != 1) {
		check_fail(r, "the host view is %ld mappings after alternation, "
			      "not one", vmas);
		goto out;
	}
	json_object_object_add(ctx->stats, "gmem_alternating_1g_s",
			       json_object_new_double(t));
	check_pass(r, "every other 4 KiB page of 1 GiB shared: %llu extents "
		      "(%llu KiB of state), host view still one mapping, "
		      "%.2f s",
		   (unsigned long long)st.nr_extents,
		   (unsigned long long)st.state_bytes / 1024, t);
out:
	pm_gmem_close(g);
}

const struct check gmem_checks[] = {
	{ "store_backends", "each backend works or says why not",
	  MANDATORY_ALWAYS, 0, check_backends },
	{ "convert_to_private", "shared pages become private, content gone",
	  MANDATORY_ALWAYS, 0, check_to_private },
	{ "host_read_private_faults", "host code cannot read a private page",
	  MANDATORY_ALWAYS, 0, check_host_read_faults },
	{ "convert_back_zeroed", "a page back from private reads zeros",
	  MANDATORY_ALWAYS, 0, check_back_zeroed },
	{ "convert_keep_content", "in-place conversion keeps the bytes",
	  MANDATORY_ALWAYS, 0, check_keep },
	{ "alternating_1g", "1 GiB with every other page private",
	  MANDATORY_ALWAYS, 0, check_alternating },
	{ NULL },
};
