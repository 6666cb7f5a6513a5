// SPDX-License-Identifier: MIT
/*
 * Device memory (BARs) as fds: pm_device_add_bar() and its errnos, the
 * exported memfd and the device model's own view of it, peer-to-peer DMA
 * (device A's BAR fd mapped into an IOAS with MAP_FILE, device B DMAing to
 * it), and revocation on pm_device_reset(A) with B's DMA in flight: the
 * IOAS translations go and are not restored (PM_DMA_FAULT_REVOKED, access
 * reads -ENODEV) until unmapped and mapped again, the reset callback runs
 * before reset returns, and the BAR gets fresh zeroed memory behind a new
 * fd. With /dev/kvm the BAR also backs a real memslot that the reset
 * callback deletes.
 */
#include "protfd/pf_utils.h"

#define V IOVA_BASE
#define BAR_SIZE (64 * KiB)

struct reset_rec {
	struct pm_device *dev;
	int calls;
	int ran_after_return;
	int returned;
	int seq;
	void (*hook)(struct reset_rec *r);
	void *opaque;
};

static void reset_cb(struct pm_device *dev, void *opaque)
{
	struct reset_rec *r = opaque;

	if (dev != r->dev)
		FAIL("reset callback for another device");
	if (LOAD(r->returned))
		INC(r->ran_after_return);
	if (r->hook)
		r->hook(r);
	STORE(r->seq, INC(pf_seq));
	INC(r->calls);
}

/* Device A with BAR 0 (not attached anywhere), device B on an IOAS in
 * which A's BAR fd is mapped at V. */
struct bfx {
	struct pm_iommufd *ctx;
	uint32_t ioas;
	struct pm_device *a, *b;
	struct reset_rec rr;
	int afd; /* an in-kernel-style access on the IOAS */
};

static void bfx_new(struct bfx *fx)
{
	uint64_t iova = V;

	memset(fx, 0, sizeof(*fx));
	fx->ctx = ictx_open();
	fx->ioas = ioas_new(fx->ctx);
	fx->a = dev_new(fx->ctx, "bar-dev", NULL);
	fx->b = dev_new(fx->ctx, "peer-dev", NULL);
	dev_attach(fx->b, fx->ioas);
	ASSERT_OK(pm_device_add_bar(fx->a, 0, BAR_SIZE));
	ASSERT_OK(pm_ioas_map_file(fx->ctx, fx->ioas,
				   pm_device_bar_fd(fx->a, 0), 0, BAR_SIZE,
				   &iova, FIXED_RW));
	ASSERT_U64_EQ(iova, V);
	fx->afd = access_new(fx->ctx, fx->ioas, 0);
	fx->rr.dev = fx->a;
	ASSERT_OK(pm_device_set_reset_cb(fx->a, reset_cb, &fx->rr));
}

static void bfx_close(struct bfx *fx)
{
	pm_device_destroy(fx->b);
	pm_device_destroy(fx->a);
	pm_iommufd_close(fx->ctx);
}

static ino_t ino_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		FAIL("fstat %d: %s", fd, strerror(errno));
	return st.st_ino;
}

TEST(add_bar_errnos)
{
	struct pm_iommufd *ctx = ictx_open();
	struct pm_device *dev = dev_new(ctx, "bars", NULL);

	ASSERT_ERR(EINVAL, pm_device_add_bar(dev, 6, BAR_SIZE));
	ASSERT_ERR(EINVAL, pm_device_add_bar(dev, UINT32_MAX, BAR_SIZE));
	ASSERT_ERR(EINVAL, pm_device_add_bar(dev, 0, 0));
	ASSERT_ERR(EINVAL, pm_device_add_bar(dev, 0, 100));
	ASSERT_ERR(EINVAL, pm_device_add_bar(dev, 0, PG + 1));
	ASSERT_ERR(EINVAL, pm_device_add_bar(dev, 0, 3 * PG - 8));
	ASSERT_LT(pm_device_add_bar(dev, 1, ~(PG - 1)), 0);
	/* None of them created a BAR. */
	ASSERT_ERR(ENOENT, pm_device_bar_fd(dev, 0));
	ASSERT_ERR(ENOENT, pm_device_bar_fd(dev, 1));
	ASSERT_ERR(EINVAL, pm_device_bar_fd(dev, 6));
	ASSERT_TRUE(!pm_device_bar_ptr(dev, 0));
	ASSERT_TRUE(!pm_device_bar_ptr(dev, 6));

	ASSERT_OK(pm_device_add_bar(dev, 0, BAR_SIZE));
	ASSERT_ERR(EEXIST, pm_device_add_bar(dev, 0, BAR_SIZE));
	ASSERT_ERR(EEXIST, pm_device_add_bar(dev, 0, PG));
	ASSERT_OK(pm_device_add_bar(dev, 5, PG));
	ASSERT_U64_EQ(pm_device_bar_size(dev, 0), BAR_SIZE);
	ASSERT_U64_EQ(pm_device_bar_size(dev, 5), PG);
	ASSERT_GE(pm_device_bar_fd(dev, 0), 0);
	ASSERT_GE(pm_device_bar_fd(dev, 5), 0);
	ASSERT_NE(pm_device_bar_fd(dev, 0), pm_device_bar_fd(dev, 5));
	ASSERT_ERR(ENOENT, pm_device_bar_fd(dev, 3));
	ASSERT_TRUE(pm_device_bar_ptr(dev, 0));
	ASSERT_TRUE(pm_device_bar_ptr(dev, 5));
	ASSERT_TRUE(!pm_device_bar_ptr(dev, 3));
	pm_device_destroy(dev);
	pm_iommufd_close(ctx);
}

/* The BAR is a memfd of its size, zeroed; the fd stays the device's. */
TEST(bar_fd_is_memfd)
{
	struct pm_iommufd *ctx = ictx_open();
	struct pm_device *dev = dev_new(ctx, "bars", NULL);
	char link[256];
	struct stat st;
	int fd;

	ASSERT_OK(pm_device_add_bar(dev, 2, BAR_SIZE));
	fd = pm_device_bar_fd(dev, 2);
	ASSERT_GE(fd, 0);
	fd_link_of(fd, link, sizeof(link));
	if (strncmp(link, "/memfd:", 7))
		FAIL("the BAR fd is %s, not a memfd", link);
	/* Only memfds have seals to ask about. */
	ASSERT_GE(fcntl(fd, F_GET_SEALS), 0);
	ASSERT_SYS(fstat(fd, &st));
	ASSERT_EQ(st.st_size, BAR_SIZE);
	ASSERT_TRUE(all_zero(pm_device_bar_ptr(dev, 2), BAR_SIZE));
	ASSERT_TRUE(same_file(fd, pm_device_bar_fd(dev, 2)));
	pm_device_destroy(dev);
	pm_iommufd_close(ctx);
}

/* bar_ptr and an mmap of the fd are the same memory, both ways. */
TEST(bar_ptr_is_the_fd)
{
	struct pm_iommufd *ctx = ictx_open();
	struct pm_device *dev = dev_new(ctx, "bars", NULL);
	uint8_t *p, *m, r[64];
	int fd;

	ASSERT_OK(pm_device_add_bar(dev, 0, BAR_SIZE));
	fd = pm_device_bar_fd(dev, 0);
	p = pm_device_bar_ptr(dev, 0);
	m = fd_mmap(fd, BAR_SIZE, 0);
	ASSERT_TRUE(p != m);
	pat_fill(p, BAR_SIZE, 11);
	ASSERT_PAT(m, BAR_SIZE, 11);
	pat_fill(m + 3 * PG, PG, 12);
	ASSERT_PAT(p + 3 * PG, PG, 12);
	pat_fill(r, sizeof(r), 13);
	ASSERT_EQ(pwrite(fd, r, sizeof(r), BAR_SIZE - 64), 64);
	ASSERT_PAT(p + BAR_SIZE - 64, 64, 13);
	munmap(m, BAR_SIZE);
	pm_device_destroy(dev);
	pm_iommufd_close(ctx);
}

/* Peer-to-peer: B's DMA reaches A's BAR through the IOAS, both ways. */
TEST(bar_p2p_dma)
{
	uint8_t w[PG], r[PG], *bar;
	uint64_t iova = V + 16 * MiB;
	struct bfx fx;

	bfx_new(&fx);
	bar = pm_device_bar_ptr(fx.a, 0);
	pat_fill(w, 300, 20);
	ASSERT_OK(pm_dma_write(fx.b, V + PG - 100, w, 300));
	ASSERT_PAT(bar + PG - 100, 300, 20);
	pat_fill(bar + 5 * PG, PG, 21);
	ASSERT_DMA_PAT(fx.b, V + 5 * PG, PG, 21);
	/* The last byte, and one past it. */
	ASSERT_OK(pm_dma_read(fx.b, V + BAR_SIZE - 1, r, 1));
	ASSERT_READ_FAULTS(fx.b, V + BAR_SIZE - 1, 2, V + BAR_SIZE,
			   PM_DMA_FAULT_UNMAPPED);
	/* An access (the in-kernel user of an IOAS) reads the BAR too. */
	test_access_rw(fx.ctx, fx.afd, V + 5 * PG, r, PG, 0);
	ASSERT_PAT(r, PG, 21);

	/* A window of the BAR at another IOVA. */
	ASSERT_OK(pm_ioas_map_file(fx.ctx, fx.ioas, pm_device_bar_fd(fx.a, 0),
				   4 * PG, 2 * PG, &iova, FIXED_RW));
	ASSERT_DMA_PAT(fx.b, iova + PG, PG, 21);
	pat_fill(w, PG, 22);
	ASSERT_OK(pm_dma_write(fx.b, iova, w, PG));
	ASSERT_PAT(bar + 4 * PG, PG, 22);
	ASSERT_NO_FAULTS(fx.b);
	bfx_close(&fx);
}

static bool ok_before(struct dma_thread *t, int n, long min)
{
	int i;

	for (i = 0; i < n; i++)
		if (LOAD(t[i].ok_before) < min)
			return false;
	return true;
}

static bool tried_after(struct dma_thread *t, int n, long min)
{
	int i;

	for (i = 0; i < n; i++)
		if (LOAD(t[i].ok_after) + LOAD(t[i].fail_after) < min)
			return false;
	return true;
}

/* Reset of A with B's DMA in flight: revoked, not restored, new memory. */
TEST(bar_reset_revokes_p2p)
{
	struct dma_thread th[3];
	struct pm_dma_fault f[64];
	uint8_t *old_map, *bar, w[PG], r[16];
	uint64_t unmapped = 0, iova = V;
	int old_fd, new_fd, after = 0, i, n, acc_rc[2];
	ino_t old_ino;
	struct bfx fx;

	bfx_new(&fx);
	bar = pm_device_bar_ptr(fx.a, 0);
	pat_fill(bar, BAR_SIZE, 30);
	old_fd = pm_device_bar_fd(fx.a, 0);
	old_ino = ino_of(old_fd);
	old_map = fd_mmap(old_fd, BAR_SIZE, 0); /* e.g. the VMM's memslot */

	dma_thread_start(&th[0], fx.b, V, 256, true, false, &after);
	dma_thread_start(&th[1], fx.b, V + PG, PG, false, false, &after);
	dma_thread_start(&th[2], fx.b, V + 2 * PG, 8 * PG, false, false,
			 &after);
	if (!WAIT_FOR(ok_before(th, 3, 20), 5))
		FAIL("P2P DMA did not run before the reset");

	STORE(fx.rr.returned, 0);
	ASSERT_OK(pm_device_reset(fx.a));
	STORE(after, 1);
	STORE(fx.rr.returned, 1);
	ASSERT_EQ(LOAD(fx.rr.calls), 1);
	ASSERT_EQ(LOAD(fx.rr.ran_after_return), 0);

	if (!WAIT_FOR(tried_after(th, 3, 50), 5))
		FAIL("DMA threads stalled after the reset");
	for (i = 0; i < 3; i++) {
		dma_thread_stop(&th[i]);
		if (th[i].ok_after)
			FAIL("thread %d: %ld DMAs to the old BAR succeeded "
			     "after reset returned",
			     i, th[i].ok_after);
	}
	n = faults_drain(fx.b, f, 64);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++)
		if (f[i].reason != PM_DMA_FAULT_REVOKED)
			FAIL("fault %d of %d after reset: %s at 0x%llx", i, n,
			     pm_dma_fault_reason_name(f[i].reason),
			     (unsigned long long)f[i].iova);
	ASSERT_READ_FAULTS(fx.b, V + 3 * PG, 16, V + 3 * PG,
			   PM_DMA_FAULT_REVOKED);
	ASSERT_ERR(EFAULT, pm_dma_write(fx.b, V + 7, r, sizeof(r)));
	ASSERT_ONE_FAULT(fx.b, V + 7, PM_DMA_FAULT_REVOKED, 1);
	acc_rc[0] = _access_rw(fx.ctx, fx.afd, V, r, sizeof(r), 0);

	/* Fresh, zeroed memory behind a new fd. */
	bar = pm_device_bar_ptr(fx.a, 0);
	ASSERT_TRUE(bar);
	ASSERT_U64_EQ(pm_device_bar_size(fx.a, 0), BAR_SIZE);
	ASSERT_TRUE(all_zero(bar, BAR_SIZE));
	new_fd = pm_device_bar_fd(fx.a, 0);
	ASSERT_GE(new_fd, 0);
	if (ino_of(new_fd) == old_ino)
		FAIL("the BAR fd after reset is the old memfd");
	/* The old memory is detached from the device. */
	memset(old_map, 0x77, PG);
	ASSERT_TRUE(all_zero(bar, PG));

	/* Not restored: new BAR content does not show through the old map. */
	pat_fill(bar, BAR_SIZE, 31);
	ASSERT_READ_FAULTS(fx.b, V, 16, V, PM_DMA_FAULT_REVOKED);
	acc_rc[1] = _access_rw(fx.ctx, fx.afd, V + PG, r, sizeof(r), 0);
	ASSERT_PAT(bar, BAR_SIZE, 31);

	/* Unmap (the area is still there) and map the new fd: P2P again. */
	ASSERT_OK(pm_ioas_unmap(fx.ctx, fx.ioas, V, BAR_SIZE, &unmapped));
	ASSERT_U64_EQ(unmapped, BAR_SIZE);
	ASSERT_READ_FAULTS(fx.b, V, 16, V, PM_DMA_FAULT_UNMAPPED);
	ASSERT_OK(pm_ioas_map_file(fx.ctx, fx.ioas, new_fd, 0, BAR_SIZE, &iova,
				   FIXED_RW));
	ASSERT_DMA_PAT(fx.b, V, BAR_SIZE, 31);
	pat_fill(w, PG, 32);
	ASSERT_OK(pm_dma_write(fx.b, V + 9 * PG, w, PG));
	ASSERT_PAT(bar + 9 * PG, PG, 32);
	test_access_rw(fx.ctx, fx.afd, V + 9 * PG, r, sizeof(r), 0);
	ASSERT_PAT(r, sizeof(r), 32);
	ASSERT_NO_FAULTS(fx.b);
	/* The old memory kept what we wrote to it, and only that. */
	ASSERT_EQ(old_map[0], 0x77);
	munmap(old_map, BAR_SIZE);
	/* Access reads of the revoked area (checked last, to see the rest). */
	if (acc_rc[0] != -ENODEV || acc_rc[1] != -ENODEV)
		FAIL("access reads of a revoked BAR area returned %d, %d "
		     "(%s), expected -ENODEV",
		     acc_rc[0], acc_rc[1], strerror(-acc_rc[0]));
	bfx_close(&fx);
}

/* Every BAR of the device is revoked and renewed; another device's BAR in
 * the same IOAS is not touched. */
TEST(bar_reset_all_bars)
{
	uint64_t i2 = V + 1 * MiB, ic = V + 2 * MiB;
	struct pm_device *c;
	uint8_t *p0, *p2, *pc;
	int fd0, fd2;
	ino_t ino0, ino2;
	struct bfx fx;

	bfx_new(&fx);
	ASSERT_OK(pm_device_add_bar(fx.a, 2, 2 * PG));
	ASSERT_OK(pm_ioas_map_file(fx.ctx, fx.ioas, pm_device_bar_fd(fx.a, 2),
				   0, 2 * PG, &i2, FIXED_RW));
	c = dev_new(fx.ctx, "other-bar-dev", NULL);
	ASSERT_OK(pm_device_add_bar(c, 0, PG));
	ASSERT_OK(pm_ioas_map_file(fx.ctx, fx.ioas, pm_device_bar_fd(c, 0), 0,
				   PG, &ic, FIXED_RW));
	pat_fill(pm_device_bar_ptr(fx.a, 0), BAR_SIZE, 40);
	pat_fill(pm_device_bar_ptr(fx.a, 2), 2 * PG, 41);
	pat_fill(pm_device_bar_ptr(c, 0), PG, 42);
	fd0 = pm_device_bar_fd(fx.a, 0);
	fd2 = pm_device_bar_fd(fx.a, 2);
	ino0 = ino_of(fd0);
	ino2 = ino_of(fd2);
	ASSERT_DMA_PAT(fx.b, i2, 2 * PG, 41);

	ASSERT_OK(pm_device_reset(fx.a));
	ASSERT_EQ(LOAD(fx.rr.calls), 1);
	ASSERT_READ_FAULTS(fx.b, V, 8, V, PM_DMA_FAULT_REVOKED);
	ASSERT_READ_FAULTS(fx.b, i2 + PG, 8, i2 + PG, PM_DMA_FAULT_REVOKED);
	p0 = pm_device_bar_ptr(fx.a, 0);
	p2 = pm_device_bar_ptr(fx.a, 2);
	ASSERT_TRUE(p0 && p2);
	ASSERT_TRUE(all_zero(p0, BAR_SIZE));
	ASSERT_TRUE(all_zero(p2, 2 * PG));
	ASSERT_U64_EQ(pm_device_bar_size(fx.a, 2), 2 * PG);
	ASSERT_TRUE(ino_of(pm_device_bar_fd(fx.a, 0)) != ino0);
	ASSERT_TRUE(ino_of(pm_device_bar_fd(fx.a, 2)) != ino2);
	/* C's BAR is C's: untouched, still reachable. */
	pc = pm_device_bar_ptr(c, 0);
	ASSERT_PAT(pc, PG, 42);
	ASSERT_DMA_PAT(fx.b, ic, PG, 42);
	ASSERT_NO_FAULTS(fx.b);
	/* A second reset revokes nothing more and renews again. */
	ASSERT_OK(pm_device_reset(fx.a));
	ASSERT_EQ(LOAD(fx.rr.calls), 2);
	ASSERT_DMA_PAT(fx.b, ic, PG, 42);
	pm_device_destroy(c);
	bfx_close(&fx);
}

/* A protection-fd binding in RUN is revoked first, then the reset
 * callback runs; both before reset returns. */
TEST(bar_reset_with_binding)
{
	struct pfx fx;
	struct reset_rec rr = { 0 };

	pfx_init(&fx, PF_MEMFD, 4, "PSSS");
	ASSERT_OK(pm_device_add_bar(fx.dev, 0, BAR_SIZE));
	rr.dev = fx.dev;
	ASSERT_OK(pm_device_set_reset_cb(fx.dev, reset_cb, &rr));
	pf_bind(&fx);
	pf_run(&fx);
	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, PV_SEED(0));
	pat_fill(pm_device_bar_ptr(fx.dev, 0), BAR_SIZE, 50);
	rec_arm(&fx.rec);
	ASSERT_OK(pm_device_reset(fx.dev));
	rec_returned(&fx.rec);
	STORE(rr.returned, 1);
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_RESET);
	ASSERT_EQ(LOAD(rr.calls), 1);
	ASSERT_LT(LOAD(fx.rec.seq), LOAD(rr.seq));
	ASSERT_STATE(fx.pf, PM_TDI_UNLOCKED);
	ASSERT_TRUE(all_zero(pm_device_bar_ptr(fx.dev, 0), BAR_SIZE));
	ASSERT_TREAD_FAULTS(fx.dev, GPA(0), PG, GPA(0), PM_DMA_FAULT_NOT_RUN);
	pfx_close(&fx);
}

/* With KVM: the BAR backs a memslot; the reset callback deletes it. */
struct vmm {
	int vm;
	uint8_t *map;
	int delete_rc;
};

static int set_mem(int vm, void *addr, uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = 2,
		.guest_phys_addr = 1ULL << 32,
		.memory_size = size,
		.userspace_addr = (uintptr_t)addr,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static void delete_slot(struct reset_rec *r)
{
	struct vmm *v = r->opaque;

	v->delete_rc = set_mem(v->vm, NULL, 0);
	munmap(v->map, BAR_SIZE);
	v->map = NULL;
}

TEST(bar_memslot_deleted_on_reset)
{
	struct vmm v = { .delete_rc = 1 };
	struct bfx fx;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0)
		SKIP("KVM unavailable: open /dev/kvm: %s", strerror(errno));
	v.vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	if (v.vm < 0)
		SKIP("KVM_CREATE_VM: %s", strerror(errno));
	bfx_new(&fx);
	v.map = fd_mmap(pm_device_bar_fd(fx.a, 0), BAR_SIZE, 0);
	ASSERT_OK(set_mem(v.vm, v.map, BAR_SIZE));
	fx.rr.hook = delete_slot;
	fx.rr.opaque = &v;
	ASSERT_OK(pm_device_reset(fx.a));
	ASSERT_EQ(LOAD(fx.rr.calls), 1);
	ASSERT_EQ(v.delete_rc, 0);
	ASSERT_TRUE(!v.map);
	/* The VMM binds the new BAR fd in its place. */
	v.map = fd_mmap(pm_device_bar_fd(fx.a, 0), BAR_SIZE, 0);
	ASSERT_OK(set_mem(v.vm, v.map, BAR_SIZE));
	ASSERT_OK(set_mem(v.vm, NULL, 0));
	munmap(v.map, BAR_SIZE);
	bfx_close(&fx);
	close(v.vm);
}

TEST_MAIN()
