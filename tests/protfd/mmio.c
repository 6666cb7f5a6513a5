// SPDX-License-Identifier: MIT
/*
 * Private MMIO through the protection fd: a region of device memory in a
 * gmem store of its own, all private, that the VMM binds to a memslot by
 * (fd, offset) when pm_protfd_mmio() lets it (RUN only: -EPERM otherwise,
 * -ENOENT without a region) and unbinds from the revoke callback, before
 * the revocation returns. Host code never maps it. With /dev/kvm the region
 * is a guest_memfd on the VM given (bound to a real memslot here), else a
 * memfd.
 */
#include "protfd/pf_utils.h"

#define NPAGES 4
#define STATES "PSSS"
#define MMIO (4 * PG)
#define SLOT 7
#define SLOT_GPA (1ULL << 32)

static void mmio_fixture(struct pfx *fx, uint64_t size, int vm)
{
	int rc;

	pfx_init(fx, PF_MEMFD, NPAGES, STATES);
	fx->cfg.mmio_size = size;
	fx->cfg.vm_fd = vm;
	rc = pm_protfd_create(fx->dev, &fx->cfg, &fx->pf);
	if (rc == -EOPNOTSUPP && vm >= 0)
		SKIP("private MMIO on a guest_memfd: -EOPNOTSUPP");
	ASSERT_OK(rc);
	fx->rec.pf = fx->pf;
}

#define ASSERT_MMIO_EPERM(pf)                                          \
	do {                                                           \
		int __fd = -1;                                         \
		uint64_t __sz = 0;                                     \
		ASSERT_ERR(EPERM, pm_protfd_mmio((pf), &__fd, &__sz)); \
	} while (0)

/* The region's binding, in RUN only. */
TEST(mmio_run_only)
{
	uint64_t size = 0;
	struct pfx fx;
	int fd = -1;

	mmio_fixture(&fx, MMIO, -1);
	ASSERT_MMIO_EPERM(fx.pf);
	pf_lock(fx.pf);
	ASSERT_MMIO_EPERM(fx.pf);
	pf_accept(&fx);
	ASSERT_OK(pm_protfd_mmio(fx.pf, &fd, &size));
	ASSERT_GE(fd, 0);
	ASSERT_U64_EQ(size, MMIO);
	ASSERT_OK(pm_protfd_error(fx.pf));
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_ERROR);
	ASSERT_MMIO_EPERM(fx.pf);
	ASSERT_OK(pm_protfd_stop(fx.pf));
	ASSERT_MMIO_EPERM(fx.pf);
	pf_run(&fx);
	ASSERT_OK(pm_protfd_mmio(fx.pf, &fd, &size));
	ASSERT_U64_EQ(size, MMIO);
	ASSERT_OK(pm_protfd_stop(fx.pf));
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_STOP);
	ASSERT_MMIO_EPERM(fx.pf);
	pfx_close(&fx);
}

/* No region: -ENOENT in RUN; the report says 0. */
TEST(mmio_none)
{
	struct pm_tdi_report r;
	uint64_t size = 0;
	struct pfx fx;
	int fd = -1;

	mmio_fixture(&fx, 0, -1);
	pf_lock(fx.pf);
	pf_report(fx.pf, &r);
	ASSERT_U64_EQ(r.mmio_size, 0);
	pf_accept(&fx);
	ASSERT_ERR(ENOENT, pm_protfd_mmio(fx.pf, &fd, &size));
	/* A binding without a region still reaches private memory. */
	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, PV_SEED(0));
	pfx_close(&fx);
}

/* Not a multiple of 4 KiB: -EINVAL. */
TEST(mmio_bad_size)
{
	struct pm_protfd *pf = NULL;
	struct pfx fx;

	pfx_init(&fx, PF_MEMFD, NPAGES, STATES);
	fx.cfg.mmio_size = 3 * PG + 512;
	ASSERT_ERR(EINVAL, pm_protfd_create(fx.dev, &fx.cfg, &pf));
	fx.cfg.mmio_size = 2048;
	ASSERT_ERR(EINVAL, pm_protfd_create(fx.dev, &fx.cfg, &pf));
	pfx_close(&fx);
}

/* The region is a store of private pages that nobody maps. */
static void check_region(struct pfx *fx, int fd, const char *kind)
{
	struct pm_gmem *s = pm_protfd_mmio_store(fx->pf);
	struct stat st;
	char link[256];
	uint64_t off;

	fd_link_of(fd, link, sizeof(link));
	if (!strstr(link, kind))
		FAIL("the private MMIO fd is %s, not a %s", link, kind);
	ASSERT_TRUE(s);
	ASSERT_U64_EQ(pm_gmem_size(s), MMIO);
	for (off = 0; off < MMIO; off += PG)
		ASSERT_EQ(pm_gmem_is_private(s, off), 1);
	ASSERT_ERR(EINVAL, pm_gmem_is_private(s, MMIO));
	/* The fd the VMM binds is the store's private backing. */
	ASSERT_TRUE(same_file(fd, pm_gmem_private_fd(s)));
	ASSERT_SYS(fstat(fd, &st));
	ASSERT_GE(st.st_size, MMIO);
	/* Host code has no mapping of it. */
	ASSERT_EQ(file_vmas(fd, 0, 0), 0);
	/* The region is not guest RAM: the binding's own store is another. */
	ASSERT_TRUE(s != fx->g);
}

TEST(mmio_memfd_region)
{
	uint64_t size = 0;
	struct pfx fx;
	int fd = -1;

	mmio_fixture(&fx, MMIO, -1);
	/* The store exists from create, private from the start. */
	ASSERT_TRUE(pm_protfd_mmio_store(fx.pf));
	ASSERT_EQ(pm_gmem_is_private(pm_protfd_mmio_store(fx.pf), 0), 1);
	pf_run(&fx);
	ASSERT_OK(pm_protfd_mmio(fx.pf, &fd, &size));
	ASSERT_EQ(pm_gmem_backend_of(pm_protfd_mmio_store(fx.pf)),
		  PM_GMEM_MEMFD);
	check_region(&fx, fd, "memfd:");
	/* The fd stays the protfd's: still open after a revocation. */
	ASSERT_OK(pm_protfd_stop(fx.pf));
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_STOP);
	ASSERT_EQ(file_vmas(fd, 0, 0), 0);
	pfx_close(&fx);
}

/* The VMM's memslot, deleted from the revoke callback. */
struct slot {
	int vm;
	int bound;
	int deletes;
	int delete_rc;
	int cb_mmio_rc; /* pm_protfd_mmio() from inside the callback */
};

static int set_slot(int vm, int fd, uint64_t size)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = SLOT,
		.flags = size ? KVM_MEM_GUEST_MEMFD : 0,
		.guest_phys_addr = SLOT_GPA,
		.memory_size = size,
		.userspace_addr = 0,
		.guest_memfd_offset = 0,
		.guest_memfd = (uint32_t)fd,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r) ? -errno : 0;
}

static void slot_hook(struct revoke_rec *r, enum pm_protfd_revoke_reason why)
{
	struct slot *s = r->hook_opaque;
	uint64_t size;
	int fd;

	(void)why;
	/* Any state query is allowed here; the result is not asserted. */
	s->cb_mmio_rc = pm_protfd_mmio(r->pf, &fd, &size);
	if (s->bound) {
		s->delete_rc = set_slot(s->vm, -1, 0);
		s->bound = 0;
		INC(s->deletes);
	}
}

enum how { BY_STOP, BY_ERROR, BY_RESET, BY_CONFIG, BY_UNBIND };

static void revoke_bound_slot(struct pfx *fx, struct slot *s, enum how how,
			      enum pm_protfd_revoke_reason why)
{
	uint64_t size = 0;
	uint8_t v = (uint8_t)how + 1;
	int fd = -1, rc;

	if (pm_protfd_state(fx->pf) == PM_TDI_ERROR)
		ASSERT_OK(pm_protfd_stop(fx->pf));
	pf_run(fx);
	ASSERT_OK(pm_protfd_mmio(fx->pf, &fd, &size));
	check_region(fx, fd, "kvm-gmem");
	rc = set_slot(s->vm, fd, size);
	if (rc)
		FAIL("binding the private MMIO guest_memfd to a memslot: %s",
		     strerror(-rc));
	s->bound = 1;
	s->deletes = 0;
	rec_arm(&fx->rec);
	switch (how) {
	case BY_STOP:
		ASSERT_OK(pm_protfd_stop(fx->pf));
		break;
	case BY_ERROR:
		ASSERT_OK(pm_protfd_error(fx->pf));
		break;
	case BY_RESET:
		ASSERT_OK(pm_device_reset(fx->dev));
		break;
	case BY_CONFIG:
		ASSERT_OK(pm_device_config_write(fx->dev, 0x60, &v, 1));
		break;
	case BY_UNBIND:
		pm_protfd_destroy(fx->pf);
		fx->pf = NULL;
		break;
	}
	rec_returned(&fx->rec);
	ASSERT_REVOKED_ONCE(&fx->rec, why);
	/* The memslot went from the callback, before the call returned. */
	ASSERT_EQ(LOAD(s->deletes), 1);
	ASSERT_EQ(s->delete_rc, 0);
	ASSERT_EQ(s->bound, 0);
	if (fx->pf)
		ASSERT_MMIO_EPERM(fx->pf);
}

/* With a VM: the region is a guest_memfd on it, bound to a real memslot,
 * deleted from the callback on each kind of revocation. */
TEST(mmio_guest_memfd_memslot)
{
	struct slot s = { 0 };
	struct pfx fx;
	int vm = vm_new_or_skip();

	mmio_fixture(&fx, MMIO, vm);
	s.vm = vm;
	fx.rec.hook = slot_hook;
	fx.rec.hook_opaque = &s;
	ASSERT_EQ(pm_gmem_backend_of(pm_protfd_mmio_store(fx.pf)),
		  PM_GMEM_GUEST_MEMFD);
	ASSERT_EQ(pm_gmem_vm_fd(pm_protfd_mmio_store(fx.pf)), vm);
	revoke_bound_slot(&fx, &s, BY_STOP, PM_PROTFD_REVOKE_STOP);
	revoke_bound_slot(&fx, &s, BY_ERROR, PM_PROTFD_REVOKE_ERROR);
	revoke_bound_slot(&fx, &s, BY_RESET, PM_PROTFD_REVOKE_RESET);
	revoke_bound_slot(&fx, &s, BY_CONFIG, PM_PROTFD_REVOKE_ERROR);
	revoke_bound_slot(&fx, &s, BY_UNBIND, PM_PROTFD_REVOKE_UNBIND);
	pfx_close(&fx);
	/* The caller's VM is the caller's: still open. */
	ASSERT_SYS(fcntl(vm, F_GETFD));
	close(vm);
}

/* The memfd region: the callback runs before each revocation returns. */
TEST(mmio_memfd_revocations)
{
	static const struct {
		enum how how;
		enum pm_protfd_revoke_reason why;
	} seq[] = {
		{ BY_STOP, PM_PROTFD_REVOKE_STOP },
		{ BY_ERROR, PM_PROTFD_REVOKE_ERROR },
		{ BY_RESET, PM_PROTFD_REVOKE_RESET },
		{ BY_CONFIG, PM_PROTFD_REVOKE_ERROR },
		{ BY_UNBIND, PM_PROTFD_REVOKE_UNBIND },
	};
	struct pfx fx;
	unsigned int i;
	uint8_t v = 0;

	mmio_fixture(&fx, MMIO, -1);
	for (i = 0; i < ARRAY_LEN(seq); i++) {
		uint64_t size = 0;
		int fd = -1;

		if (pm_protfd_state(fx.pf) == PM_TDI_ERROR)
			ASSERT_OK(pm_protfd_stop(fx.pf));
		pf_run(&fx);
		ASSERT_OK(pm_protfd_mmio(fx.pf, &fd, &size));
		rec_arm(&fx.rec);
		switch (seq[i].how) {
		case BY_STOP:
			ASSERT_OK(pm_protfd_stop(fx.pf));
			break;
		case BY_ERROR:
			ASSERT_OK(pm_protfd_error(fx.pf));
			break;
		case BY_RESET:
			ASSERT_OK(pm_device_reset(fx.dev));
			break;
		case BY_CONFIG:
			v++;
			ASSERT_OK(pm_device_config_write(fx.dev, 8, &v, 1));
			break;
		case BY_UNBIND:
			pm_protfd_destroy(fx.pf);
			fx.pf = NULL;
			break;
		}
		rec_returned(&fx.rec);
		ASSERT_REVOKED_ONCE(&fx.rec, seq[i].why);
		if (fx.pf)
			ASSERT_MMIO_EPERM(fx.pf);
	}
	pfx_close(&fx);
}

TEST_MAIN()
