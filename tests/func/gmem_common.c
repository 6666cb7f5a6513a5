// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the gmem suite (tests/func/gmem_*.c and
 * tests/fail_nth/gmem.c). Not a test program of its own: each test file
 * #includes it, as harness.h is included, so every helper is static inline.
 *
 * Only the public API is used: <privmem/gmem.h>, <privmem/privmem.h>,
 * <privmem/host.h> and the KVM uAPI constants of <privmem/uapi/kvm.h>.
 *
 * Conventions of the suite:
 *  - a page's content is a pattern named by a seed (seed 0: zeros);
 *  - states are spelled as strings, one letter per granule: 'S' shared,
 *    'P' private ("SPPS");
 *  - a private page's bytes are read and written through pm_gmem_get_pfn()'s
 *    ptr (the trusted path), a shared page's through the host view;
 *  - whether the host view faults is asked without dying: in-process with a
 *    SIGBUS handler, with process_vm_readv() (EFAULT), and in a forked child
 *    that must die of SIGBUS.
 */
#ifndef PRIVMEM_TESTS_GMEM_COMMON_C
#define PRIVMEM_TESTS_GMEM_COMMON_C

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include <privmem/gmem.h>
#include <privmem/host.h>
#include <privmem/privmem.h>
#include <privmem/uapi/kvm.h>
#include "harness.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define PG 4096ULL

#define HUGE_2M_FREE "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#define HUGE_1G_FREE \
	"/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"

/* ------------------------------------------------------------------ */
/* The library's log: kept for SKIP reasons, echoed as TAP comments.  */

static char gmem_last_log[256];

static inline void gmem_log_fn(void *opaque, enum pm_log_level level,
			       const char *msg)
{
	(void)opaque;
	snprintf(gmem_last_log, sizeof(gmem_last_log), "%s", msg);
	fprintf(stderr, "# lib[%d]: %s\n", level, msg);
}

static inline void gmem_log_setup(void)
{
	gmem_last_log[0] = 0;
	pm_set_log(gmem_log_fn, NULL, PM_LOG_INFO);
}

/* ------------------------------------------------------------------ */
/* Content patterns.                                                   */

static inline uint8_t pattern_byte(uint32_t seed, uint64_t i)
{
	uint64_t x;

	if (!seed)
		return 0;
	x = (i + 1) * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)seed * 0xff51afd7ed558ccdULL;
	x ^= x >> 29;
	return (uint8_t)(x | 1); /* never 0: a zeroed byte always shows */
}

static inline void fill_pattern(void *p, size_t len, uint32_t seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern_byte(seed, i);
}

/* Index of the first byte that differs from the pattern, or -1. */
static inline long pattern_mismatch(const void *p, size_t len, uint32_t seed)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pattern_byte(seed, i))
			return (long)i;
	return -1;
}

#define ASSERT_PATTERN(p, len, seed)                                            \
	do {                                                                    \
		long __m = pattern_mismatch((p), (len), (seed));                \
		if (__m >= 0)                                                   \
			FAIL("%s: byte %ld is 0x%02x, pattern %u wants 0x%02x", \
			     #p, __m, ((const uint8_t *)(p))[__m],              \
			     (unsigned int)(seed),                              \
			     pattern_byte((seed), (uint64_t)__m));              \
	} while (0)

static inline uint64_t fnv1a(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* Faults.                                                             */

static sigjmp_buf gmem_fault_jmp;
static volatile sig_atomic_t gmem_fault_sig;

static inline void gmem_fault_handler(int sig)
{
	gmem_fault_sig = sig;
	siglongjmp(gmem_fault_jmp, 1);
}

/*
 * Touch one byte at @addr in this process: read it, or write @val.
 * Return: the signal the touch raised (SIGBUS, SIGSEGV) or 0.
 */
static inline int touch_here(void *addr, bool write, uint8_t val)
{
	struct sigaction sa = { .sa_handler = gmem_fault_handler };
	struct sigaction old_bus, old_segv;
	volatile uint8_t *p = addr;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	gmem_fault_sig = 0;
	if (!sigsetjmp(gmem_fault_jmp, 1)) {
		if (write)
			*p = val;
		else
			(void)*p;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return gmem_fault_sig;
}

struct touch_arg {
	volatile uint8_t *addr;
	bool write;
};

static inline int touch_child_fn(void *arg)
{
	const struct touch_arg *t = arg;

	if (t->write)
		*t->addr = 0xa5;
	else
		(void)*t->addr;
	return 0;
}

/*
 * Touch @addr in a child process, with the default SIGBUS and SIGSEGV
 * dispositions (the sanitizers' handlers would turn a signal death into an
 * exit status).
 *
 * @share_vm false: a fork()ed child, with a copy of our address space. The
 * store marks its mappings MADV_DONTFORK (a child would inherit the view
 * without the userfaultfd guard), so such a child has no view at all.
 * @share_vm true: clone(CLONE_VM), a separate process in our own address
 * space: it sees the view exactly as we do, guard included, and a fault
 * kills it alone.
 * Return: the child's wait status.
 */
static inline int touch_in_child(void *addr, bool write, bool share_vm)
{
	struct touch_arg t = { .addr = addr, .write = write };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old_bus, old_segv;
	size_t stack_len = 256 * KiB;
	char *stack = NULL;
	int status;
	pid_t pid;

	fflush(NULL);
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGBUS, &dfl, &old_bus);
	sigaction(SIGSEGV, &dfl, &old_segv);
	if (share_vm) {
		stack = malloc(stack_len);
		if (!stack)
			FAIL("malloc");
		pid = clone(touch_child_fn, stack + stack_len,
			    CLONE_VM | SIGCHLD, &t);
	} else {
		pid = fork();
		if (!pid) {
			touch_child_fn(&t);
			_exit(0);
		}
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	if (pid < 0)
		FAIL("%s: %s", share_vm ? "clone" : "fork", strerror(errno));
	if (waitpid(pid, &status, 0) != pid)
		FAIL("waitpid: %s", strerror(errno));
	free(stack);
	return status;
}

static inline const char *describe_status(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(status));
	else
		snprintf(buf, len, "wait status 0x%x", status);
	return buf;
}

/* A child process sharing our address space dies of SIGBUS at @addr. */
#define ASSERT_CHILD_SIGBUS(addr, write)                                   \
	do {                                                               \
		int __st = touch_in_child((addr), (write), true);          \
		char __d[64];                                              \
		if (!WIFSIGNALED(__st) || WTERMSIG(__st) != SIGBUS)        \
			FAIL("a child touching %s (%s) was not killed by " \
			     "SIGBUS: %s",                                 \
			     #addr, (write) ? "write" : "read",            \
			     describe_status(__st, __d, sizeof(__d)));     \
	} while (0)

/*
 * Read @len bytes at @addr of this process the way the kernel reads a
 * user address (GUP): process_vm_readv() on ourselves.
 * Return: 0 if all was read, the errno, or -1 for a short read.
 */
static inline int vm_read_self(const void *addr, void *buf, size_t len,
			       ssize_t *got)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	if (got)
		*got = n;
	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Host resources.                                                     */

static inline long read_long_file(const char *path)
{
	char buf[64] = "";
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Drop capability @cap from this process's effective, permitted and
 * inheritable sets, for good (raw capset(2): the suite does not link
 * libcap). Call it in a test's own child (every TEST runs in one).
 */
static inline void drop_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uint32_t bit = 1U << (cap % 32);

	ASSERT_SYS(syscall(SYS_capget, &hdr, data));
	data[cap / 32].effective &= ~bit;
	data[cap / 32].permitted &= ~bit;
	data[cap / 32].inheritable &= ~bit;
	ASSERT_SYS(syscall(SYS_capset, &hdr, data));
}

/* Open /dev/kvm read-write, or SKIP with the reason. */
static inline int kvm_open_or_skip(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP("KVM unavailable: open /dev/kvm: %s", strerror(errno));
	return fd;
}

/* A VM of the test's own that supports guest_memfd, or SKIP. */
static inline int kvm_create_vm_or_skip(void)
{
	int kvm = kvm_open_or_skip();
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);

	close(kvm);
	if (vm < 0)
		SKIP("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) <= 0)
		SKIP("this KVM lacks KVM_CAP_GUEST_MEMFD on a default VM");
	return vm;
}

/* Ask for the huge pages a store of @size needs (both sides) or SKIP. */
static inline void hugetlb_require(enum pm_gmem_backend b, uint64_t size)
{
	const char *path = b == PM_GMEM_HUGETLB_2M ? HUGE_2M_FREE :
						     HUGE_1G_FREE;
	uint64_t page = b == PM_GMEM_HUGETLB_2M ? 2 * MiB : GiB;
	long need = (long)(2 * size / page);
	long free_pages = read_long_file(path);

	if (free_pages < need)
		SKIP("%s: a %llu MiB store needs %ld free huge pages (shared "
		     "and private sides), %s says %ld",
		     pm_gmem_backend_name(b), (unsigned long long)(size / MiB),
		     need, path, free_pages);
}

static inline uint64_t granule_of(enum pm_gmem_backend b)
{
	if (b == PM_GMEM_HUGETLB_2M)
		return 2 * MiB;
	if (b == PM_GMEM_HUGETLB_1G)
		return GiB;
	return PG;
}

/* ------------------------------------------------------------------ */
/* Stores.                                                             */

static inline struct pm_gmem *gmem_new_cfg(const struct pm_gmem_config *cfg)
{
	struct pm_gmem *g = NULL;
	int rc;

	gmem_log_setup();
	if (cfg->backend == PM_GMEM_GUEST_MEMFD && cfg->vm_fd < 0)
		close(kvm_open_or_skip());
	if (cfg->backend == PM_GMEM_HUGETLB_2M ||
	    cfg->backend == PM_GMEM_HUGETLB_1G)
		hugetlb_require(cfg->backend, cfg->size);
	rc = pm_gmem_create(cfg, &g);
	if (rc == -EOPNOTSUPP)
		SKIP("%s backend unavailable on this host: %s",
		     pm_gmem_backend_name(cfg->backend),
		     gmem_last_log[0] ? gmem_last_log : "-EOPNOTSUPP");
	if (rc == -ENOSPC && (cfg->backend == PM_GMEM_HUGETLB_2M ||
			      cfg->backend == PM_GMEM_HUGETLB_1G))
		SKIP("%s: -ENOSPC although the pool had free pages (taken "
		     "concurrently?)",
		     pm_gmem_backend_name(cfg->backend));
	if (rc)
		FAIL("pm_gmem_create(%s, %llu bytes, flags 0x%x): %s",
		     pm_gmem_backend_name(cfg->backend),
		     (unsigned long long)cfg->size, cfg->flags, strerror(-rc));
	ASSERT_TRUE(g);
	ASSERT_U64_EQ(pm_gmem_size(g), cfg->size);
	ASSERT_EQ(pm_gmem_backend_of(g), cfg->backend);
	ASSERT_TRUE(pm_gmem_host_view(g));
	return g;
}

/* A store of @b, @size bytes, with the library's own VM for guest_memfd. */
static inline struct pm_gmem *gmem_new(enum pm_gmem_backend b, uint64_t size,
				       uint32_t flags)
{
	struct pm_gmem_config cfg = {
		.backend = b,
		.size = size,
		.flags = flags,
		.vm_fd = -1,
		.fd = -1,
		.name = "gmem-test",
	};
	struct pm_gmem *g = gmem_new_cfg(&cfg);

	ASSERT_U64_EQ(pm_gmem_granule(g), granule_of(b));
	return g;
}

static inline uint8_t *gview(struct pm_gmem *g)
{
	return pm_gmem_host_view(g);
}

/* ------------------------------------------------------------------ */
/* States.                                                             */

/* Convert page i (granule i) to states[i]: 'S' or 'P'; others untouched. */
static inline void set_states(struct pm_gmem *g, const char *states,
			      uint32_t flags)
{
	uint64_t gr = pm_gmem_granule(g);
	size_t i;

	for (i = 0; states[i]; i++) {
		if (states[i] != 'S' && states[i] != 'P')
			continue;
		ASSERT_OK(pm_gmem_convert(g, i * gr, gr,
					  states[i] == 'P' ? PM_GMEM_PRIVATE :
							     PM_GMEM_SHARED,
					  flags, NULL));
	}
}

static inline void get_states(struct pm_gmem *g, char *buf, size_t n)
{
	uint64_t gr = pm_gmem_granule(g);
	size_t i;

	for (i = 0; i < n; i++) {
		int rc = pm_gmem_is_private(g, i * gr);

		buf[i] = rc == 1 ? 'P' : rc == 0 ? 'S' : '-';
	}
	buf[n] = 0;
}

#define ASSERT_STATES(g, want)                                           \
	do {                                                             \
		char __s[256];                                           \
		get_states((g), __s, strlen(want));                      \
		if (strcmp(__s, (want)))                                 \
			FAIL("states are %s, expected %s", __s, (want)); \
	} while (0)

/* ------------------------------------------------------------------ */
/* Page content through the public paths.                              */

/*
 * Copy the page at @off (whole granule) into @buf: a shared page through the
 * host view, a private page through a get_pfn hold (put back at once).
 * SKIPs if a private page cannot be mapped by this backend.
 */
static inline void page_read(struct pm_gmem *g, uint64_t off, void *buf)
{
	uint64_t gr = pm_gmem_granule(g);
	struct pm_gmem_page pg;
	int priv = pm_gmem_is_private(g, off);

	ASSERT_OK(priv);
	if (!priv) {
		memcpy(buf, gview(g) + off, gr);
		return;
	}
	ASSERT_OK(pm_gmem_get_pfn(g, off, 0, &pg));
	if (!pg.ptr) {
		pm_gmem_put_pfn(g, &pg);
		SKIP("%s: private pages cannot be mapped on this host (get_pfn "
		     "ptr is NULL)",
		     pm_gmem_backend_name(pm_gmem_backend_of(g)));
	}
	memcpy(buf, pg.ptr, gr);
	pm_gmem_put_pfn(g, &pg);
}

static inline void page_write(struct pm_gmem *g, uint64_t off, uint32_t seed)
{
	uint64_t gr = pm_gmem_granule(g);
	struct pm_gmem_page pg;
	int priv = pm_gmem_is_private(g, off);

	ASSERT_OK(priv);
	if (!priv) {
		fill_pattern(gview(g) + off, gr, seed);
		return;
	}
	ASSERT_OK(pm_gmem_get_pfn(g, off, 0, &pg));
	if (!pg.ptr) {
		pm_gmem_put_pfn(g, &pg);
		SKIP("%s: private pages cannot be mapped on this host (get_pfn "
		     "ptr is NULL)",
		     pm_gmem_backend_name(pm_gmem_backend_of(g)));
	}
	fill_pattern(pg.ptr, gr, seed);
	pm_gmem_put_pfn(g, &pg);
}

/* Does the page at @off hold pattern @seed (0: zeros)? FAILs if not. */
#define ASSERT_PAGE(g, off, seed)                                         \
	do {                                                              \
		uint64_t __gr = pm_gmem_granule(g);                       \
		uint8_t *__b = malloc(__gr);                              \
		long __m;                                                 \
		ASSERT_TRUE(__b);                                         \
		page_read((g), (off), __b);                               \
		__m = pattern_mismatch(__b, __gr, (seed));                \
		if (__m >= 0)                                             \
			FAIL("page at 0x%llx (%s): byte %ld is 0x%02x, "  \
			     "pattern %u wants 0x%02x",                   \
			     (unsigned long long)(off),                   \
			     pm_gmem_is_private((g), (off)) ? "private" : \
							      "shared",   \
			     __m, __b[__m], (unsigned int)(seed),         \
			     pattern_byte((seed), (uint64_t)__m));        \
		free(__b);                                                \
	} while (0)

/*
 * The observable state of a store, for before/after comparisons: its size,
 * and per granule up to @capacity: the state, the pin count, a checksum of
 * the content, and whether the host view faults there (it must exactly at
 * private pages). Content is read without lasting side effects: shared pages
 * with process_vm_readv() on the view (a hole reports FAULT rather than
 * killing us), private pages through a hold that is put back at once (a
 * private page held without a mapping reads as "nomap"). Pin counts are read
 * before the digest's own holds.
 */
static inline void gmem_digest(struct pm_gmem *g, uint64_t capacity, char *buf,
			       size_t len)
{
	uint64_t gr = pm_gmem_granule(g), off;
	size_t pos = 0;
	uint8_t *tmp = malloc(gr);
	struct pm_gmem_stats st;

	if (!tmp)
		FAIL("malloc");
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	pos += snprintf(buf + pos, len - pos,
			"size=%llu priv=%llu ext=%llu "
			"pinned=%llu |",
			(unsigned long long)pm_gmem_size(g),
			(unsigned long long)st.private_bytes,
			(unsigned long long)st.nr_extents,
			(unsigned long long)st.nr_pinned);
	for (off = 0; off < capacity && pos + 64 < len; off += gr) {
		int priv = pm_gmem_is_private(g, off);
		int pins = pm_gmem_pin_count(g, off);
		int view_err = vm_read_self(gview(g) + off, tmp, gr, NULL);
		char content[32];

		if (priv < 0) {
			pos += snprintf(buf + pos, len - pos, " -");
			continue;
		}
		if (!priv) {
			if (view_err)
				snprintf(content, sizeof(content), "FAULT%d",
					 view_err);
			else
				snprintf(content, sizeof(content), "%08llx",
					 (unsigned long long)(fnv1a(tmp, gr) &
							      0xffffffff));
		} else {
			struct pm_gmem_page pg;
			/*
			 * A page already held is read through its hold's
			 * mapping (NO_MAP), so that the digest never maps a
			 * page held without one: that would change the state
			 * it describes.
			 */
			int rc = pm_gmem_get_pfn(g, off,
						 pins > 0 ? PM_GMEM_GET_NO_MAP :
							    0,
						 &pg);

			if (rc)
				snprintf(content, sizeof(content), "get%d", rc);
			else if (!pg.ptr)
				snprintf(content, sizeof(content), "nomap");
			else
				snprintf(
					content, sizeof(content), "%08llx",
					(unsigned long long)(fnv1a(pg.ptr, gr) &
							     0xffffffff));
			if (!rc)
				pm_gmem_put_pfn(g, &pg);
			/* The view must fault at a private page. */
			if (view_err != EFAULT)
				strcat(content,
				       view_err ? "!viewerr" : "!VIEWREADABLE");
		}
		pos += snprintf(buf + pos, len - pos, " %c%d:%s",
				priv ? 'P' : 'S', pins, content);
	}
	free(tmp);
}

/* ------------------------------------------------------------------ */
/* Process state: fds and mappings.                                    */

/* The open fds of this process, as "0 1 2 7 ". */
static inline void fd_snapshot(char *buf, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	bool open_fd[4096] = { false };
	struct dirent *e;
	size_t off = 0;
	int i, dfd;

	if (!d)
		FAIL("opendir /proc/self/fd: %s", strerror(errno));
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dfd || fd < 0 || fd >= 4096)
			continue;
		open_fd[fd] = true;
	}
	closedir(d);
	buf[0] = 0;
	for (i = 0; i < 4096 && off + 8 < len; i++)
		if (open_fd[i])
			off += snprintf(buf + off, len - off, "%d ", i);
}

/* Lines of /proc/self/maps; with @substr, only those containing it. */
static inline long maps_count(const char *substr)
{
	char line[512];
	long n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		FAIL("fopen /proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!substr || strstr(line, substr))
			n++;
	fclose(f);
	return n;
}

/* Lines of /proc/self/maps (VMAs) overlapping [addr, addr + len). */
static inline long maps_in_range(const void *addr, uint64_t len)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	char line[512];
	long n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		FAIL("fopen /proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo)
			n++;
	}
	fclose(f);
	return n;
}

/* Mappings of memory-backing files: memfds, guest_memfds, memfd_secret. */
static inline long maps_backing_count(void)
{
	return maps_count("memfd:") + maps_count("kvm-gmem") +
	       maps_count("secretmem");
}

/* ------------------------------------------------------------------ */
/* The KVM window (pm_gmem_kvm_window).                                */

/*
 * What the window shows at each granule of [0, @capacity), from
 * /proc/self/maps: 'P' the private backing at the same offset, 'S' the
 * shared memfd at the same offset, '-' nothing usable (the PROT_NONE tail),
 * '?' anything else (a wrong file or offset, or no mapping at all).
 */
static inline void window_layout(struct pm_gmem *g, const void *win,
				 uint64_t capacity, char *buf)
{
	uint64_t gr = pm_gmem_granule(g), n = capacity / gr, i;
	uintptr_t lo = (uintptr_t)win, hi = lo + capacity;
	struct stat ps, ss;
	char line[512];
	FILE *f;

	if (fstat(pm_gmem_private_fd(g), &ps) ||
	    fstat(pm_gmem_shared_fd(g), &ss))
		FAIL("fstat of the store's fds: %s", strerror(errno));
	for (i = 0; i < n; i++)
		buf[i] = '?';
	buf[n] = 0;
	f = fopen("/proc/self/maps", "r");
	if (!f)
		FAIL("fopen /proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, off, ino;
		char perms[8];
		uintptr_t a;

		if (sscanf(line, "%lx-%lx %7s %lx %*s %lu", &s, &e, perms,
			   &off, &ino) != 5 ||
		    s >= hi || e <= lo)
			continue;
		for (a = s > lo ? s : lo; a < e && a < hi; a += gr) {
			uint64_t woff = a - lo;
			uint64_t foff = off + (a - s);
			char c = '?';

			if (!strcmp(perms, "---p") && ino == 0)
				c = '-';
			else if (ino == ps.st_ino && foff == woff &&
				 perms[3] == 's')
				c = 'P';
			else if (ino == ss.st_ino && foff == woff &&
				 perms[3] == 's')
				c = 'S';
			buf[woff / gr] = c;
		}
	}
	fclose(f);
}

/* The window must show @want ("SPP-"), granule by granule. */
#define ASSERT_WINDOW(g, win, want)                                          \
	do {                                                                 \
		char __w[1024];                                              \
		window_layout((g), (win), strlen(want) * pm_gmem_granule(g), \
			      __w);                                          \
		if (strcmp(__w, (want)))                                     \
			FAIL("window shows %s, expected %s", __w, (want));   \
	} while (0)

/*
 * The window's layout and a checksum per granule of what it shows (read
 * with process_vm_readv: a hole or PROT_NONE reads as FAULT), for digests.
 */
static inline void window_digest(struct pm_gmem *g, const void *win,
				 uint64_t capacity, char *buf, size_t len)
{
	uint64_t gr = pm_gmem_granule(g), off;
	uint8_t *tmp = malloc(gr);
	size_t pos;

	if (!tmp)
		FAIL("malloc");
	if (len < capacity / gr + 8)
		FAIL("digest buffer too small");
	memcpy(buf, "win=", 4);
	window_layout(g, win, capacity, buf + 4);
	pos = strlen(buf);
	for (off = 0; off < capacity && pos + 16 < len; off += gr) {
		int err = vm_read_self((const uint8_t *)win + off, tmp, gr,
				       NULL);

		if (err)
			pos += snprintf(buf + pos, len - pos, " FAULT");
		else
			pos += snprintf(buf + pos, len - pos, " %08llx",
					(unsigned long long)(fnv1a(tmp, gr) &
							     0xffffffff));
	}
	free(tmp);
}

/* Where /proc/self/fd/@fd points ("/memfd:NAME (deleted)", ...). */
static inline void fd_link(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		FAIL("readlink %s: %s", path, strerror(errno));
	buf[n] = 0;
}

static inline bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* ------------------------------------------------------------------ */
/* Notifier recording.                                                 */

#define REC_MAX 64

struct rec_call {
	int id;
	bool is_end;
	enum pm_gmem_event ev;
	uint64_t offset, length;
	int result;
	char states[32]; /* the store's states seen from the callback */
};

struct rec_log {
	struct rec_call call[REC_MAX];
	int n;
	size_t nr_states; /* how many granules to record */
};

struct rec_notifier {
	struct pm_gmem_notifier n; /* first: container_of by cast */
	struct rec_log *log;
	int id;
	int refuse; /* begin returns this */
	struct pm_gmem_page *release; /* begin puts this hold */
};

static inline void rec_add(struct rec_notifier *r, struct pm_gmem *g,
			   bool is_end, enum pm_gmem_event ev, uint64_t offset,
			   uint64_t length, int result)
{
	struct rec_log *log = r->log;
	struct rec_call *c;
	size_t i, n = log->nr_states < 31 ? log->nr_states : 31;

	if (log->n >= REC_MAX)
		return;
	c = &log->call[log->n++];
	c->id = r->id;
	c->is_end = is_end;
	c->ev = ev;
	c->offset = offset;
	c->length = length;
	c->result = result;
	for (i = 0; i < n && ev != PM_GMEM_EV_CLOSE; i++) {
		int rc = pm_gmem_is_private(g, i * pm_gmem_granule(g));

		c->states[i] = rc == 1 ? 'P' : rc == 0 ? 'S' : '-';
	}
	c->states[i] = 0;
}

static inline int rec_begin(struct pm_gmem_notifier *n, struct pm_gmem *g,
			    enum pm_gmem_event ev, uint64_t offset,
			    uint64_t length)
{
	struct rec_notifier *r = (struct rec_notifier *)n;

	rec_add(r, g, false, ev, offset, length, 0);
	if (r->release) {
		pm_gmem_put_pfn(g, r->release);
		r->release = NULL;
	}
	return r->refuse;
}

static inline void rec_end(struct pm_gmem_notifier *n, struct pm_gmem *g,
			   enum pm_gmem_event ev, uint64_t offset,
			   uint64_t length, int result)
{
	rec_add((struct rec_notifier *)n, g, true, ev, offset, length, result);
}

static inline void rec_init(struct rec_notifier *r, struct rec_log *log, int id)
{
	memset(r, 0, sizeof(*r));
	r->n.begin = rec_begin;
	r->n.end = rec_end;
	r->log = log;
	r->id = id;
}

#define ASSERT_CALL(log, i, id_, end_, ev_, off_, len_, res_) \
	do {                                                  \
		const struct rec_call *__c = &(log)->call[i]; \
		ASSERT_GT((log)->n, (i));                     \
		ASSERT_EQ(__c->id, (id_));                    \
		ASSERT_EQ(__c->is_end, (end_));               \
		ASSERT_EQ(__c->ev, (ev_));                    \
		ASSERT_U64_EQ(__c->offset, (off_));           \
		ASSERT_U64_EQ(__c->length, (len_));           \
		ASSERT_EQ(__c->result, (res_));               \
	} while (0)

/* ------------------------------------------------------------------ */
/* One test per backend.                                               */

/*
 * GMEM_TEST_4K(fn): TEST(fn_memfd), TEST(fn_guest_memfd), TEST(fn_secret)
 * each calling fn(backend); the guest_memfd and memfd_secret ones SKIP with
 * the reason where the host lacks them.
 */
#define GMEM_TEST_ONE(fn, suffix, b) \
	TEST(fn##_##suffix)          \
	{                            \
		fn(b);               \
	}
#define GMEM_TEST_4K(fn)                                    \
	GMEM_TEST_ONE(fn, memfd, PM_GMEM_MEMFD)             \
	GMEM_TEST_ONE(fn, guest_memfd, PM_GMEM_GUEST_MEMFD) \
	GMEM_TEST_ONE(fn, secret, PM_GMEM_SECRET)
#define GMEM_TEST_ALL(fn)                                 \
	GMEM_TEST_4K(fn)                                  \
	GMEM_TEST_ONE(fn, hugetlb_2m, PM_GMEM_HUGETLB_2M) \
	GMEM_TEST_ONE(fn, hugetlb_1g, PM_GMEM_HUGETLB_1G)

#endif
