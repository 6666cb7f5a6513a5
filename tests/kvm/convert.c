// SPDX-License-Identifier: MIT
/*
 * Guest-driven conversion: the test guest asks for conversions (doorbell
 * or hypercall, as the probe chose) and checks what it sees, the host
 * answers its questions from the host view and the trusted path, and the
 * DMA engine (an untrusted device behind the emulated IOMMU, RAM mapped
 * once at IOVA = GPA) reaches shared pages only. After each run the test
 * itself checks that the store, the host view and the KVM window agree on
 * every page. Also: a refused conversion changes nothing, several vCPUs
 * convert at once, the hugetlbfs backend, and the cost of a round trip.
 * SKIPs without KVM.
 */
#include <sys/uio.h>
#include "kvm/kvm_utils.h"

/*
 * Every granule of RAM: the state, the host view (faults exactly at
 * private pages) and the KVM window (from /proc/self/maps: the private
 * backing at private pages, the shared memfd at shared ones) agree.
 */
static void assert_consistent(struct pm_vm *vm)
{
	struct pm_gmem *g = pm_vm_gmem(vm);
	uint64_t gr = pm_gmem_granule(g), size = pm_vm_mem_size(vm), off;
	const uint8_t *view = pm_gmem_host_view(g);
	struct stat ps, ss;
	unsigned long pino, sino;
	char line[512];
	uint64_t seen = 0;
	void *win = NULL;
	FILE *f;

	/* Only the window's lines: a trusted device's holds map private
	 * pages into the process too, elsewhere. */
	ASSERT_OK(pm_gmem_kvm_window(g, &win));
	ASSERT_SYS(fstat(pm_gmem_private_fd(g), &ps));
	ASSERT_SYS(fstat(pm_gmem_shared_fd(g), &ss));
	pino = ps.st_ino;
	sino = ss.st_ino;
	for (off = 0; off < size; off += gr) {
		struct iovec l, r;
		uint64_t w;
		int priv = pm_gmem_is_private(g, off);
		ssize_t n;

		l.iov_base = &w;
		l.iov_len = 8;
		r.iov_base = (void *)(view + off);
		r.iov_len = 8;
		n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
		if (priv == 1 && !(n < 0 && errno == EFAULT))
			FAIL("host view readable at private 0x%llx",
			     (unsigned long long)off);
		if (priv == 0 && n != 8)
			FAIL("host view faults at shared 0x%llx",
			     (unsigned long long)off);
	}
	/* The window: one line per run; each must match the state. */
	f = fopen("/proc/self/maps", "r");
	ASSERT_TRUE(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b, foff, ino;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s %lx %*s %lu", &a, &b, perms,
			   &foff, &ino) != 5 ||
		    (ino != pino && ino != sino) || perms[3] != 's')
			continue;
		/* The host view is the one shared-memfd mapping at 0. */
		if ((uintptr_t)view == a || a < (uintptr_t)win ||
		    b > (uintptr_t)win + size)
			continue;
		for (off = foff; off < foff + (b - a); off += gr) {
			int priv = pm_gmem_is_private(g, off);

			if (priv != (ino == pino))
				FAIL("the window shows the %s side at 0x%llx, "
				     "which is %s",
				     ino == pino ? "private" : "shared",
				     (unsigned long long)off,
				     priv ? "private" : "shared");
			seen += gr;
		}
	}
	fclose(f);
	ASSERT_U64_EQ(seen, size);
}

static void run_one(uint64_t tests, unsigned int vcpus, uint32_t iterations,
		    int test_id, unsigned int results)
{
	struct guest_vm gv;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 64 * MiB, vcpus, PM_GMEM_GUEST_MEMFD,
				  PM_VM_F_DMA_ENGINE));
	guest_vm_run(&gv, tests, iterations);
	ASSERT_GUEST_PASSED(&gv, test_id, results);
	ASSERT_EQ(gv.log.checks_no, 0);
	assert_consistent(gv.vm);
	pm_vm_destroy(gv.vm);
}

TEST(to_private)
{
	run_one(T(PM_GT_TO_PRIVATE), 1, 0, PM_GT_TO_PRIVATE, 1);
}

TEST(host_read_faults)
{
	run_one(T(PM_GT_HOST_READ), 1, 0, PM_GT_HOST_READ, 1);
}

TEST(dma_private_faults)
{
	run_one(T(PM_GT_DMA_PRIVATE), 1, 0, PM_GT_DMA_PRIVATE, 1);
}

TEST(dma_shared_ok)
{
	run_one(T(PM_GT_DMA_SHARED), 1, 0, PM_GT_DMA_SHARED, 1);
}

TEST(back_zeroed)
{
	run_one(T(PM_GT_BACK_ZEROED), 1, 0, PM_GT_BACK_ZEROED, 1);
}

TEST(map_all_by_fd)
{
	struct guest_vm gv;
	struct pm_vm_stats st;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 64 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  PM_VM_F_DMA_ENGINE));
	guest_vm_run(&gv, T(PM_GT_MAP_ALL), 0);
	ASSERT_GUEST_PASSED(&gv, PM_GT_MAP_ALL, 1);
	/* Four conversions, and RAM was mapped into the IOAS once. */
	ASSERT_OK(pm_vm_get_stats(gv.vm, &st));
	ASSERT_U64_EQ(st.ioas_maps, 1);
	ASSERT_U64_EQ(st.conversions, 4);
	pm_vm_destroy(gv.vm);
}

/* Bad requests come back as errors and change nothing. */
TEST(bad_requests)
{
	run_one(T(PM_GT_BAD_REQUEST), 1, 0, PM_GT_BAD_REQUEST, 1);
}

/* The DMA tests without a DMA engine say so rather than pass. */
TEST(no_device)
{
	struct guest_vm gv;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 64 * MiB, 1, PM_GMEM_GUEST_MEMFD, 0));
	guest_vm_run(&gv, T(PM_GT_DMA_SHARED), 0);
	ASSERT_EQ(gv.log.failures[PM_GT_DMA_SHARED], 1);
	ASSERT_U64_EQ(gv.log.fail_code[PM_GT_DMA_SHARED], PM_GF_NO_DEVICE);
	pm_vm_destroy(gv.vm);
}

/*
 * A page the host holds (get_pfn) cannot change state: the guest's request
 * gets -EAGAIN, and the page, the host view and the window are as before.
 */
static struct pm_gmem_page held;

TEST(held_page_refused)
{
	struct guest_vm gv;
	struct pm_vm_config cfg = {
		.mem_size = 64 * MiB,
		.nr_vcpus = 1,
		.backend = PM_GMEM_GUEST_MEMFD,
		.flags = PM_VM_F_DMA_ENGINE,
		.report = guest_report,
		.opaque = &gv.log,
	};
	uint64_t page0;

	kvm_caps_or_skip();
	memset(&gv, 0, sizeof(gv));
	ASSERT_OK(pm_vm_create(&cfg, &gv.vm));
	ASSERT_OK(pm_vm_test_params(gv.vm, 0, &gv.params));
	page0 = gv.params.test_base; /* PM_GT_TO_PRIVATE's page */
	ASSERT_OK(pm_gmem_get_pfn(pm_vm_gmem(gv.vm), page0, 0, &held));
	guest_vm_run(&gv, T(PM_GT_TO_PRIVATE), 0);
	ASSERT_EQ(gv.log.failures[PM_GT_TO_PRIVATE], 1);
	ASSERT_U64_EQ(gv.log.fail_code[PM_GT_TO_PRIVATE], PM_GF_CONVERT);
	ASSERT_EQ((int64_t)gv.log.fail_a2[PM_GT_TO_PRIVATE], -EAGAIN);
	ASSERT_EQ(pm_gmem_is_private(pm_vm_gmem(gv.vm), page0), 1);
	pm_gmem_put_pfn(pm_vm_gmem(gv.vm), &held);
	assert_consistent(gv.vm);
	/* Let go, the same request from the host goes through. */
	ASSERT_OK(pm_vm_convert(gv.vm, page0, PG, PM_GMEM_SHARED));
	assert_consistent(gv.vm);
	pm_vm_destroy(gv.vm);
}

/* Several vCPUs convert their own pages at once, repeatedly. */
TEST(multi_vcpu_convert)
{
	struct guest_vm gv;
	struct pm_vm_stats st;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 64 * MiB, 4, PM_GMEM_GUEST_MEMFD, 0));
	guest_vm_run(&gv, T(PM_GT_MULTI_VCPU), 16);
	ASSERT_GUEST_PASSED(&gv, PM_GT_MULTI_VCPU, 4);
	ASSERT_OK(pm_vm_get_stats(gv.vm, &st));
	ASSERT_U64_EQ(st.conversions, 4 * 16 * 2);
	ASSERT_U64_EQ(st.conversion_errors, 0);
	assert_consistent(gv.vm);
	pm_vm_destroy(gv.vm);
}

/* Every test at once, with two vCPUs: the way privmem run drives it. */
TEST(everything)
{
	struct guest_vm gv;
	int t;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 64 * MiB, 2, PM_GMEM_GUEST_MEMFD,
				  ALL_DEVICES));
	guest_vm_run(&gv, ALL_TESTS, 4);
	for (t = 0; t < PM_GT_NR; t++)
		ASSERT_GUEST_PASSED(&gv, t, t == PM_GT_MULTI_VCPU ? 2 : 1);
	ASSERT_EQ(gv.log.checks_no, 0);
	assert_consistent(gv.vm);
	pm_vm_destroy(gv.vm);
}

/* The cost of one guest conversion round trip (shared, then private). */
static void bench(uint64_t len, enum pm_gmem_backend b, uint64_t mem)
{
	struct guest_vm gv;
	int rc;

	kvm_caps_or_skip();
	rc = guest_vm_create(&gv, mem, 1, b, 0);
	if (rc == -ENOSPC || rc == -EOPNOTSUPP)
		SKIP("%s store: %s", pm_gmem_backend_name(b), strerror(-rc));
	ASSERT_OK(rc);
	ASSERT_OK(pm_vm_test_params(gv.vm, 0, &gv.params));
	{
		const void *img;
		uint64_t ilen;

		pm_vmm_test_guest(&img, &ilen);
		gv.params.tests = T(PM_GT_BENCH);
		gv.params.iterations = 32;
		gv.params.bench_len = len;
		ASSERT_OK(pm_vm_boot(gv.vm, img, ilen, &gv.params,
				     sizeof(gv.params)));
		ASSERT_OK(pm_vm_start(gv.vm));
		ASSERT_OK(pm_vm_wait(gv.vm, RUN_TIMEOUT_MS));
	}
	ASSERT_GUEST_PASSED(&gv, PM_GT_BENCH, 1);
	ASSERT_U64_EQ(gv.log.bench_n, 32);
	printf("# %s: %llu KiB round trip %.1f us\n", pm_gmem_backend_name(b),
	       (unsigned long long)(len >> 10),
	       (gv.log.bench_end - gv.log.bench_start) * 1e3 / 32);
	pm_vm_destroy(gv.vm);
}

TEST(bench_4k)
{
	bench(PG, PM_GMEM_GUEST_MEMFD, 64 * MiB);
}

TEST(bench_2m)
{
	bench(2 * MiB, PM_GMEM_GUEST_MEMFD, 64 * MiB);
}

/*
 * The hugetlbfs backend: a 2 MiB granule, bound as an ordinary memslot on
 * the KVM window (no guest_memfd), the same guest tests.
 */
TEST(hugetlb_2m_backend)
{
	struct guest_vm gv;
	enum pm_vm_binding b;
	long want = 48, have = free_hugepages_2m();
	int rc, t;

	kvm_caps_or_skip();
	if (have < want)
		SKIP("needs %ld free 2 MiB huge pages, the pool has %ld", want,
		     have);
	rc = guest_vm_create(&gv, 48 * MiB, 2, PM_GMEM_HUGETLB_2M,
			     ALL_DEVICES);
	if (rc == -ENOSPC)
		SKIP("huge pages taken concurrently");
	ASSERT_OK(rc);
	pm_vm_modes(gv.vm, &b, NULL, NULL);
	ASSERT_EQ(b, PM_VM_BIND_WINDOW);
	ASSERT_U64_EQ(pm_gmem_granule(pm_vm_gmem(gv.vm)), 2 * MiB);
	guest_vm_run(&gv, ALL_TESTS & ~T(PM_GT_BENCH), 2);
	for (t = 0; t < PM_GT_NR; t++)
		if (t != PM_GT_BENCH)
			ASSERT_GUEST_PASSED(&gv, t,
					    t == PM_GT_MULTI_VCPU ? 2 : 1);
	assert_consistent(gv.vm);
	pm_vm_destroy(gv.vm);
}

/*
 * pm_vm_convert (the path every guest request takes) under every injected
 * failure, on a VM whose vCPUs are not running: a failed call leaves the
 * store, the host view, the KVM window and the DMA engine's reach (through
 * the IOMMU) exactly as they were. Uniform and mixed ranges, both ways.
 */
static uint32_t dma_status(struct pm_vm *vm, uint64_t src, uint64_t dst)
{
	struct pm_iobus *bus = pm_vm_iobus(vm);
	uint32_t len = 64, go = PM_DMA_GO, st = 0;

	ASSERT_OK(pm_iobus_dispatch(
		bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_SRC, &src, 8, true));
	ASSERT_OK(pm_iobus_dispatch(
		bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_DST, &dst, 8, true));
	ASSERT_OK(pm_iobus_dispatch(
		bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_LEN, &len, 4, true));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_MMIO,
				    PM_DMA_MMIO_BASE + PM_DMA_DOORBELL, &go, 4,
				    true));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_MMIO,
				    PM_DMA_MMIO_BASE + PM_DMA_STATUS, &st, 4,
				    false));
	return st;
}

/* States of pages 0..7 from @base, and whether DMA reads each. */
static void vm_digest(struct pm_vm *vm, uint64_t base, uint64_t scratch,
		      char *buf)
{
	int i;

	for (i = 0; i < 8; i++) {
		uint64_t p = base + i * PG;

		buf[2 * i] = pm_gmem_is_private(pm_vm_gmem(vm), p) ? 'P' : 'S';
		buf[2 * i + 1] = dma_status(vm, p, scratch) == PM_DMA_ST_DONE ?
					 'd' :
					 '-';
	}
	buf[16] = 0;
	assert_consistent(vm);
}

TEST(convert_fail_nth)
{
	static const struct {
		uint64_t first, n;
		enum pm_gmem_state to;
	} cases[] = {
		{ 0, 2, PM_GMEM_SHARED }, /* PP -> SS */
		{ 2, 2, PM_GMEM_PRIVATE }, /* SS -> PP */
		{ 0, 8, PM_GMEM_SHARED }, /* mixed: several runs */
		{ 0, 8, PM_GMEM_PRIVATE },
	};
	struct guest_vm gv;
	uint64_t base = 8 * MiB, scratch = 16 * MiB;
	char before[32], after[32];
	unsigned long n, points = 0;
	size_t c;
	int rc;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 32 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  PM_VM_F_DMA_ENGINE));
	ASSERT_OK(pm_vm_convert(gv.vm, scratch, PG, PM_GMEM_SHARED));
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (n = 1; n < 500; n++) {
			bool fired;

			/* "PPSSPSPS" before every attempt. */
			ASSERT_OK(pm_vm_convert(gv.vm, base, 8 * PG,
						PM_GMEM_PRIVATE));
			ASSERT_OK(pm_vm_convert(gv.vm, base + 2 * PG, 2 * PG,
						PM_GMEM_SHARED));
			ASSERT_OK(pm_vm_convert(gv.vm, base + 5 * PG, PG,
						PM_GMEM_SHARED));
			ASSERT_OK(pm_vm_convert(gv.vm, base + 7 * PG, PG,
						PM_GMEM_SHARED));
			vm_digest(gv.vm, base, scratch, before);
			pm_fault_arm(n);
			rc = pm_vm_convert(gv.vm, base + cases[c].first * PG,
					   cases[c].n * PG, cases[c].to);
			fired = pm_fault_fired();
			pm_fault_disarm();
			if (!fired) {
				ASSERT_OK(rc);
				break;
			}
			points++;
			if (rc >= 0)
				FAIL("case %zu point %lu: succeeded", c, n);
			vm_digest(gv.vm, base, scratch, after);
			if (strcmp(before, after))
				FAIL("case %zu point %lu (%d): %s -> %s", c, n,
				     rc, before, after);
		}
	}
	printf("# %lu injection points swept\n", points);
	ASSERT_GT(points, 10);
	pm_vm_destroy(gv.vm);
}

/* The paths this host cannot exercise say why. */
TEST(hypercall_path)
{
	struct pm_vmm_caps c = kvm_caps_or_skip();

	if (!c.hypercall_completes)
		SKIP("this KVM does not complete MAP_GPA_RANGE hypercalls "
		     "(%s): conversions use the doorbell",
		     c.hypercall_how);
	run_one(T(PM_GT_TO_PRIVATE) | T(PM_GT_BACK_ZEROED), 1, 0,
		PM_GT_TO_PRIVATE, 1);
}

TEST(memory_fault_exits)
{
	struct pm_vmm_caps c = kvm_caps_or_skip();

	if (!(c.memory_attributes & (1ULL << 3)))
		SKIP("no KVM private memory attributes on this host: KVM "
		     "never exits with KVM_EXIT_MEMORY_FAULT for a private "
		     "access");
	FAIL("a host with memory attributes: write this test there");
}

TEST_MAIN()
