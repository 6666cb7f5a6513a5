// SPDX-License-Identifier: MIT
/*
 * Checks of the trusted-device path and of device memory as fds (no guest
 * yet): a device bound through a protection fd reaches private pages only
 * in RUN, a reset revokes it at once, its private MMIO region is bindable
 * only in RUN, and a BAR exported as an fd carries peer-to-peer DMA until
 * the device resets.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/protfd.h>
#include <privmem/uapi/iommufd.h>
#include <privmem/uapi/kvm.h>
#include "checks.h"

#define RAM_SIZE (16ULL << 20)
#define PAGE 4096ULL
#define RW_FIXED                                                               \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |                 \
	 IOMMU_IOAS_MAP_WRITEABLE)

struct trust_env {
	struct pm_gmem *g;
	struct pm_iommufd *ictx;
	struct pm_device *dev;
	struct pm_protfd *pf;
	uint32_t ioas;
	int revokes;
	enum pm_protfd_revoke_reason why;
	int vm_fd;
	bool slot_live; /* the private MMIO memslot */
};

static void env_close(struct trust_env *e)
{
	pm_protfd_destroy(e->pf);
	pm_device_destroy(e->dev);
	pm_iommufd_close(e->ictx);
	pm_gmem_close(e->g);
	if (e->vm_fd >= 0)
		close(e->vm_fd);
}

/* Delete (size 0) or create the private MMIO memslot; 0 or -errno. */
static int mmio_slot(struct trust_env *e, int fd, uint64_t size)
{
	struct kvm_userspace_memory_region2 region = {
		.slot = 7,
		.flags = size ? KVM_MEM_GUEST_MEMFD : 0,
		.guest_phys_addr = 1ULL << 32,
		.memory_size = size,
		.guest_memfd = (uint32_t)fd,
	};

	return ioctl(e->vm_fd, KVM_SET_USER_MEMORY_REGION2, &region) ? -errno :
								       0;
}

static void on_revoke(struct pm_protfd *pf, enum pm_protfd_revoke_reason why,
		      void *opaque)
{
	struct trust_env *e = opaque;

	e->revokes++;
	e->why = why;
	/* What a VMM does here: the guest stops reaching the device. */
	if (e->slot_live && !mmio_slot(e, -1, 0))
		e->slot_live = false;
}

/* A VM to put the private MMIO region on, or -1 (then a memfd). */
static int open_vm(const struct pm_host_info *h)
{
	int kvm, vm;

	if (!h->kvm_accessible || !h->guest_memfd)
		return -1;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	return vm;
}

/* A store with all of it in an IOAS, a device bound through a protfd. */
static int env_open(struct run_ctx *ctx, struct trust_env *e,
		    uint64_t mmio_size, struct check_result *r)
{
	struct pm_gmem_config cfg = {
		.size = RAM_SIZE,
		.vm_fd = -1,
		.fd = -1,
	};
	struct pm_protfd_config pc = {
		.iova_base = 0, /* IOVA = GPA = store offset */
		.mmio_size = mmio_size,
		.revoke = on_revoke,
		.opaque = e,
	};
	uint64_t iova = 0;
	uint32_t dev_id, pt;
	int rc;

	memset(e, 0, sizeof(*e));
	e->vm_fd = mmio_size ? open_vm(&ctx->host) : -1;
	cfg.backend = e->vm_fd >= 0 ? PM_GMEM_GUEST_MEMFD : PM_GMEM_MEMFD;
	cfg.vm_fd = e->vm_fd;
	pc.vm_fd = e->vm_fd;
	rc = pm_gmem_create(&cfg, &e->g);
	if (!rc)
		rc = pm_iommufd_open(&e->ictx);
	if (!rc)
		rc = pm_ioas_alloc(e->ictx, &e->ioas);
	if (!rc)
		rc = pm_device_create(e->ictx, "tdi0", &e->dev, &dev_id);
	if (!rc) {
		pt = e->ioas;
		rc = pm_device_attach(e->dev, &pt);
	}
	if (!rc)
		rc = pm_ioas_map_gmem(e->ictx, e->ioas, e->g, 0, RAM_SIZE, &iova,
				      RW_FIXED);
	if (!rc) {
		pc.gmem = e->g;
		rc = pm_protfd_create(e->dev, &pc, &e->pf);
	}
	if (rc) {
		check_fail(r, "setting up store, IOAS, device and protfd: %s",
			   strerror(-rc));
		env_close(e);
	}
	return rc;
}

/* Lock, check the report, accept: the guest's side of TDISP. */
static int tdi_accept(struct trust_env *e, struct check_result *r)
{
	struct pm_tdi_report rep;
	int rc = pm_protfd_lock(e->pf);

	if (!rc)
		rc = pm_protfd_get_report(e->pf, &rep);
	if (rc == -EOPNOTSUPP) {
		check_skip(r, "no digest library (libcrypto): no device "
			      "report, so no accept");
		return rc;
	}
	if (!rc)
		rc = pm_protfd_accept(e->pf, rep.digest);
	if (rc)
		check_fail(r, "lock/report/accept: %s", strerror(-rc));
	return rc;
}

/* Make page @n private with @byte through the trusted path. */
static int private_page(struct trust_env *e, uint64_t n, int byte)
{
	struct pm_gmem_page pg;
	int rc = pm_gmem_convert(e->g, n * PAGE, PAGE, PM_GMEM_PRIVATE, 0,
				 NULL);

	if (!rc)
		rc = pm_gmem_get_pfn(e->g, n * PAGE, 0, &pg);
	if (rc)
		return rc;
	if (!pg.ptr) {
		pm_gmem_put_pfn(e->g, &pg);
		return -EOPNOTSUPP;
	}
	memset(pg.ptr, byte, PAGE);
	pm_gmem_put_pfn(e->g, &pg);
	return 0;
}

static enum pm_dma_fault_reason last_fault(struct pm_device *dev)
{
	struct pm_dma_fault f[64];
	int n = pm_device_read_faults(dev, f, 64);

	return n > 0 ? f[n - 1].reason : 0;
}

static void check_trusted_private(struct run_ctx *ctx, struct check_result *r)
{
	uint8_t buf[64], w[64];
	struct trust_env e;
	int rc;

	if (env_open(ctx, &e, 0, r))
		return;
	rc = private_page(&e, 4, 0x7e);
	if (rc) {
		check_fail(r, "making a private page: %s", strerror(-rc));
		goto out;
	}
	if (pm_dma_read_trusted(e.dev, 4 * PAGE, buf, sizeof(buf)) != -EFAULT ||
	    last_fault(e.dev) != PM_DMA_FAULT_NOT_RUN) {
		check_fail(r, "trusted DMA reached a private page before RUN");
		goto out;
	}
	if (tdi_accept(&e, r))
		goto out;
	memset(w, 0x42, sizeof(w));
	if (pm_dma_read_trusted(e.dev, 4 * PAGE, buf, sizeof(buf)) ||
	    buf[0] != 0x7e || buf[63] != 0x7e ||
	    pm_dma_write_trusted(e.dev, 4 * PAGE + 64, w, sizeof(w))) {
		check_fail(r, "trusted DMA in RUN did not reach the private "
			      "page");
		goto out;
	}
	if (pm_dma_read(e.dev, 4 * PAGE, buf, sizeof(buf)) != -EFAULT ||
	    last_fault(e.dev) != PM_DMA_FAULT_PRIVATE) {
		check_fail(r, "untrusted (T=0) DMA of the same device reached "
			      "the private page");
		goto out;
	}
	if (pm_dma_read_trusted(e.dev, 5 * PAGE, buf, sizeof(buf)) != -EFAULT ||
	    last_fault(e.dev) != PM_DMA_FAULT_SHARED) {
		check_fail(r, "trusted DMA reached a shared page");
		goto out;
	}
	check_pass(r, "before RUN trusted DMA faults; in RUN it reads and "
		      "writes the private page, while T=0 faults there and "
		      "T=1 faults on shared pages");
out:
	env_close(&e);
}

struct hammer {
	struct pm_device *dev;
	volatile bool stop;
	unsigned long ok;
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;
	uint8_t buf[256];

	while (!h->stop)
		if (!pm_dma_read_trusted(h->dev, 4 * PAGE, buf, sizeof(buf)))
			h->ok++;
	return NULL;
}

static void check_revoked_on_reset(struct run_ctx *ctx, struct check_result *r)
{
	struct pm_protfd_stats st;
	struct hammer h = { 0 };
	struct trust_env e;
	unsigned long ok_at_reset;
	uint8_t buf[64];
	pthread_t t;
	int rc;

	if (env_open(ctx, &e, 0, r))
		return;
	rc = private_page(&e, 4, 0x33);
	if (rc) {
		check_fail(r, "making a private page: %s", strerror(-rc));
		goto out;
	}
	if (tdi_accept(&e, r))
		goto out;
	h.dev = e.dev;
	if (pthread_create(&t, NULL, hammer_fn, &h)) {
		check_fail(r, "pthread_create failed");
		goto out;
	}
	while (__atomic_load_n(&h.ok, __ATOMIC_RELAXED) < 100)
		usleep(100);
	rc = pm_device_reset(e.dev);
	ok_at_reset = __atomic_load_n(&h.ok, __ATOMIC_RELAXED);
	usleep(2000);
	h.stop = true;
	pthread_join(t, NULL);
	pm_protfd_get_stats(e.pf, &st);
	if (rc || pm_protfd_state(e.pf) != PM_TDI_UNLOCKED ||
	    e.revokes != 1 || e.why != PM_PROTFD_REVOKE_RESET) {
		check_fail(r, "reset: rc %d, state %s, %d revoke callbacks",
			   rc, pm_tdi_state_name(pm_protfd_state(e.pf)),
			   e.revokes);
		goto out;
	}
	/* One read may have been in flight when reset returned: at most one. */
	if (h.ok > ok_at_reset + 1 ||
	    pm_dma_read_trusted(e.dev, 4 * PAGE, buf, sizeof(buf)) != -EFAULT ||
	    st.trusted_held || pm_gmem_pin_count(e.g, 4 * PAGE) != 0) {
		check_fail(r, "after reset: %lu more trusted reads succeeded, "
			      "%llu pages still held",
			   h.ok - ok_at_reset,
			   (unsigned long long)st.trusted_held);
		goto out;
	}
	check_pass(r, "reset with trusted DMA in flight (%lu reads): it "
		      "drained, the binding is UNLOCKED, holds released, later "
		      "trusted DMA faults",
		   ok_at_reset);
out:
	env_close(&e);
}

static void check_private_mmio(struct run_ctx *ctx, struct check_result *r)
{
	struct trust_env e;
	uint64_t size;
	int fd = -1, rc;

	if (env_open(ctx, &e, 64 * 1024, r))
		return;
	if (pm_protfd_mmio(e.pf, &fd, &size) != -EPERM) {
		check_fail(r, "the private MMIO region was bindable before "
			      "RUN");
		goto out;
	}
	if (tdi_accept(&e, r))
		goto out;
	rc = pm_protfd_mmio(e.pf, &fd, &size);
	if (rc || size != 64 * 1024 || pm_gmem_is_private(
		pm_protfd_mmio_store(e.pf), 0) != 1) {
		check_fail(r, "in RUN: %s", strerror(-rc));
		goto out;
	}
	if (e.vm_fd >= 0) {
		rc = mmio_slot(&e, fd, size);
		if (rc) {
			check_fail(r, "binding the region to a memslot by fd: "
				      "%s", strerror(-rc));
			goto out;
		}
		e.slot_live = true;
	}
	pm_protfd_stop(e.pf);
	if (e.revokes != 1 || e.slot_live ||
	    pm_protfd_mmio(e.pf, &fd, &size) != -EPERM) {
		check_fail(r, "stop did not cut the private MMIO binding before "
			      "returning");
		goto out;
	}
	/* The memslot is really gone: the same GPA range binds again. */
	if (e.vm_fd >= 0 && mmio_slot(&e, pm_gmem_private_fd(
					     pm_protfd_mmio_store(e.pf)),
				      size)) {
		check_fail(r, "the memslot was not deleted");
		goto out;
	}
	check_pass(r, "private MMIO bindable only in RUN%s; stop cut it "
		      "before returning",
		   e.vm_fd >= 0 ? " (a guest_memfd memslot on a real VM)" : "");
out:
	env_close(&e);
}

static void bar_reset_cb(struct pm_device *dev, void *opaque)
{
	(*(int *)opaque)++;
}

static void check_bar_p2p(struct run_ctx *ctx, struct check_result *r)
{
	static const char msg[] = "peer to peer";
	struct pm_device *a = NULL, *b = NULL;
	struct pm_iommufd *ictx = NULL;
	uint64_t iova = 1ULL << 30;
	uint32_t ioas, id, pt;
	int resets = 0, rc;
	char buf[sizeof(msg)];
	char *bar;

	(void)ctx;
	rc = pm_iommufd_open(&ictx);
	if (!rc)
		rc = pm_ioas_alloc(ictx, &ioas);
	if (!rc)
		rc = pm_device_create(ictx, "bar-dev", &a, &id);
	if (!rc)
		rc = pm_device_create(ictx, "dma-dev", &b, &id);
	if (!rc)
		rc = pm_device_add_bar(a, 0, 64 * 1024);
	if (!rc) {
		pt = ioas;
		rc = pm_device_attach(b, &pt);
	}
	if (!rc)
		rc = pm_ioas_map_file(ictx, ioas, pm_device_bar_fd(a, 0), 0,
				      64 * 1024, &iova, RW_FIXED);
	if (rc) {
		check_fail(r, "setting up two devices and a BAR: %s",
			   strerror(-rc));
		goto out;
	}
	pm_device_set_reset_cb(a, bar_reset_cb, &resets);
	bar = pm_device_bar_ptr(a, 0);
	if (pm_dma_write(b, iova + 8, msg, sizeof(msg)) ||
	    memcmp(bar + 8, msg, sizeof(msg))) {
		check_fail(r, "P2P DMA did not reach the BAR");
		goto out;
	}
	rc = pm_device_reset(a);
	if (rc || resets != 1 ||
	    pm_dma_read(b, iova + 8, buf, sizeof(buf)) != -EFAULT ||
	    last_fault(b) != PM_DMA_FAULT_REVOKED) {
		check_fail(r, "reset did not revoke the BAR's IOAS mapping");
		goto out;
	}
	/* Mapped again (the new memory), it works, and it is fresh. */
	rc = pm_ioas_unmap(ictx, ioas, iova, 64 * 1024, NULL);
	if (!rc)
		rc = pm_ioas_map_file(ictx, ioas, pm_device_bar_fd(a, 0), 0,
				      64 * 1024, &iova, RW_FIXED);
	if (rc || pm_dma_read(b, iova + 8, buf, sizeof(buf)) || buf[0]) {
		check_fail(r, "after mapping the new BAR fd: %s",
			   rc ? strerror(-rc) : "stale content");
		goto out;
	}
	check_pass(r, "a device's BAR fd mapped with MAP_FILE carried P2P DMA "
		      "from another device; reset revoked it (DMA faults "
		      "\"revoked\") until mapped again");
out:
	pm_device_destroy(a);
	pm_device_destroy(b);
	pm_iommufd_close(ictx);
}

const struct check protfd_checks[] = {
	{ "trusted_dma_private_ok",
	  "a trusted device in RUN reaches private pages, and only then",
	  MANDATORY_ALWAYS, 0, check_trusted_private },
	{ "trusted_revoked_on_reset",
	  "a device reset revokes trusted DMA at once, with DMA in flight",
	  MANDATORY_ALWAYS, 0, check_revoked_on_reset },
	{ "private_mmio_run_only",
	  "the private MMIO region is bound only in RUN, cut on revocation",
	  MANDATORY_ALWAYS, 0, check_private_mmio },
	{ "bar_p2p_dma",
	  "a BAR exported as an fd carries P2P DMA until the device resets",
	  MANDATORY_ALWAYS, 0, check_bar_p2p },
	{ NULL },
};
