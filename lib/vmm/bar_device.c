// SPDX-License-Identifier: MIT
/*
 * The BAR device: device memory held in an fd, reached by the guest
 * directly and by other devices peer to peer.
 *
 * Data model
 * ----------
 * One emulated IOMMU device (device.h) with BAR 0 of @size bytes, a memfd
 * the device exports (pm_device_bar_fd). The VMM binds that fd:
 *   - into a memslot at @gpa with pm_vm_map_fd(): the guest's loads and
 *     stores reach device memory with no exit, and the device model sees
 *     them in its own view (pm_device_bar_ptr);
 *   - into the VM's IOAS with MAP_FILE at IOVA = @gpa: the DMA engine,
 *     attached to that IOAS, copies to and from it (peer-to-peer DMA).
 * It has no registers: the bus entry exists for the reset and release
 * hooks. A reset (the bus's, or pm_device_reset) revokes both bindings, as
 * Linux revokes a VFIO dma-buf: the device's reset callback deletes the
 * memslot (pm_vm_unmap_fd) before pm_device_reset goes on to remove every
 * IOAS translation of the old memory; the IOAS area stays, revoked (DMA
 * faults "revoked"), until released. Nothing is bound again.
 *
 * Invariants: slot is the memslot while bound, UINT32_MAX after a reset;
 * the IOAS area is unmapped only at release.
 *
 * Locking
 * -------
 * slot changes by atomic exchange, so a reset racing release deletes the
 * memslot once; pm_vm_unmap_fd takes only the VM's leaf-rank slots lock.
 */
#include <errno.h>
#include <privmem/device.h>
#include <privmem/iommufd.h>
#include <privmem/uapi/iommufd.h>
#include "common/log.h"
#include "common/sys.h"
#include "vmm_private.h"

struct bar_dev {
	struct pm_vm *vm;
	struct pm_device *dev;
	u64 gpa, size;
	u32 slot; /* atomic; UINT32_MAX: not bound */
	bool ioas_mapped;
};

/* The device's reset callback: the guest stops reaching the old memory. */
static void bar_revoke(struct pm_device *dev, void *opaque)
{
	struct bar_dev *b = opaque;
	u32 slot = __atomic_exchange_n(&b->slot, UINT32_MAX, __ATOMIC_ACQ_REL);

	(void)dev;
	if (slot != UINT32_MAX)
		pm_vm_unmap_fd(b->vm, slot);
}

static int bar_access(void *opaque, enum pm_io_space space, u64 off, void *data,
		      unsigned int len, bool write)
{
	(void)opaque;
	(void)space;
	(void)off;
	(void)data;
	(void)len;
	(void)write;
	return -ENOENT; /* no registers; never routed */
}

static void bar_reset(void *opaque)
{
	struct bar_dev *b = opaque;
	int rc = pm_device_reset(b->dev);

	if (rc)
		pr_warn("vmm: BAR device reset: %d", rc);
}

static void bar_release(void *opaque)
{
	struct bar_dev *b = opaque;

	bar_revoke(b->dev, b);
	if (b->ioas_mapped)
		pm_ioas_unmap(pm_vm_iommufd(b->vm), pm_vm_ioas(b->vm), b->gpa,
			      b->size, NULL);
	pm_device_destroy(b->dev);
	kfree(b);
}

static const struct pm_iodev_ops bar_ops = {
	.access = bar_access,
	.reset = bar_reset,
	.release = bar_release,
};

int vm_bar_device_create(struct pm_vm *vm, u64 gpa, u64 size,
			 struct bar_dev **out)
{
	struct bar_dev *b;
	u64 iova = gpa;
	u32 dev_id, slot;
	int rc, fd;

	b = kzalloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->vm = vm;
	b->gpa = gpa;
	b->size = size;
	b->slot = UINT32_MAX;
	rc = pm_device_create(pm_vm_iommufd(vm), "bar-device", &b->dev,
			      &dev_id);
	if (rc) {
		kfree(b);
		return rc;
	}
	rc = pm_device_add_bar(b->dev, 0, size);
	if (!rc)
		rc = pm_device_set_reset_cb(b->dev, bar_revoke, b);
	fd = rc ? rc : pm_device_bar_fd(b->dev, 0);
	if (fd < 0) {
		rc = fd;
		goto err;
	}
	rc = pm_vm_map_fd(vm, gpa, size, fd, 0, true, &slot);
	if (rc)
		goto err;
	b->slot = slot;
	rc = pm_ioas_map_file(
		pm_vm_iommufd(vm), pm_vm_ioas(vm), fd, 0, size, &iova,
		IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			IOMMU_IOAS_MAP_WRITEABLE);
	if (rc)
		goto err;
	b->ioas_mapped = true;
	rc = pm_iobus_add_device(pm_vm_iobus(vm), "bar-device", &bar_ops, b,
				 NULL);
	if (rc)
		goto err;
	*out = b;
	return 0;
err:
	bar_release(b);
	return rc;
}

struct pm_device *vm_bar_device(const struct bar_dev *b, uint32_t *slot)
{
	if (slot)
		*slot = b ? __atomic_load_n(&b->slot, __ATOMIC_ACQUIRE) :
			    UINT32_MAX;
	return b ? b->dev : NULL;
}
