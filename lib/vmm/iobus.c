// SPDX-License-Identifier: MIT
/*
 * The I/O bus: port I/O and MMIO ranges routed to device models.
 *
 * Data model
 * ----------
 * A bus has two address spaces (PM_IO_PIO: 0..0xffff; PM_IO_MMIO: guest
 * physical addresses), each an interval tree (common/interval_tree.h) of
 * the ranges devices claimed, and an array of the devices in the order
 * they were added (at most IOBUS_MAX_DEVS). A range belongs to one device;
 * a device may claim any number of ranges in both spaces.
 *
 * Invariants: ranges of one space never overlap (pm_iodev_map refuses
 * with -EEXIST); an access is delivered only if it lies entirely inside
 * one range, at its offset from the range's start; a device lives from
 * pm_iobus_add_device() until pm_iobus_destroy(), so a pointer found under
 * the lock stays valid after it is dropped.
 *
 * Locking
 * -------
 * One rwlock (LOCK_RANK_VMM_BUS) over both trees: dispatch takes it for
 * reading to find the device and drops it before calling the device's
 * access hook, so models run with no bus lock held and may take their own
 * locks (which rank above it) and do DMA. Mapping and unmapping take it
 * for writing. The device array is append-only: its count is published
 * with release semantics after the slot is filled, so reset walks it
 * without the lock and may call hooks that take any lock.
 */
#include <errno.h>
#include <string.h>
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "vmm_private.h"

static DEFINE_LOCK_CLASS(vmm_bus_class, LOCK_RANK_VMM_BUS);

#define IOBUS_MAX_DEVS 64
#define PIO_LAST 0xffffULL

struct pm_iodev {
	struct pm_iobus *bus;
	char *name;
	const struct pm_iodev_ops *ops;
	void *opaque;
};

struct io_range {
	struct interval_tree_node node;
	struct pm_iodev *dev;
};

struct pm_iobus {
	struct rwlock lock;
	struct interval_tree_root space[2];
	struct pm_iodev *devs[IOBUS_MAX_DEVS];
	unsigned int nr_devs; /* release-published */
	u64 pio, mmio, unclaimed, errors; /* atomic */
};

int pm_iobus_create(struct pm_iobus **out)
{
	struct pm_iobus *bus;

	if (!out)
		return -EINVAL;
	bus = kzalloc(sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	rwlock_init(&bus->lock, &vmm_bus_class);
	*out = bus;
	return 0;
}

void pm_iobus_destroy(struct pm_iobus *bus)
{
	struct interval_tree_node *n;
	unsigned int i, s;

	if (!bus)
		return;
	for (s = 0; s < 2; s++) {
		while ((n = interval_tree_first(&bus->space[s]))) {
			interval_tree_remove(n, &bus->space[s]);
			kfree(container_of(n, struct io_range, node));
		}
	}
	for (i = bus->nr_devs; i-- > 0;) {
		struct pm_iodev *d = bus->devs[i];

		if (d->ops->release)
			d->ops->release(d->opaque);
		kfree(d->name);
		kfree(d);
	}
	rwlock_destroy(&bus->lock);
	kfree(bus);
}

int pm_iobus_add_device(struct pm_iobus *bus, const char *name,
			const struct pm_iodev_ops *ops, void *opaque,
			struct pm_iodev **out)
{
	struct pm_iodev *d;
	int rc = 0;

	if (!bus || !ops || !ops->access)
		return -EINVAL;
	d = kzalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->name = kstrdup(name ? name : "device");
	if (!d->name) {
		kfree(d);
		return -ENOMEM;
	}
	d->bus = bus;
	d->ops = ops;
	d->opaque = opaque;
	down_write(&bus->lock);
	if (bus->nr_devs == IOBUS_MAX_DEVS) {
		rc = -ENOSPC;
	} else {
		bus->devs[bus->nr_devs] = d;
		__atomic_store_n(&bus->nr_devs, bus->nr_devs + 1,
				 __ATOMIC_RELEASE);
	}
	up_write(&bus->lock);
	if (rc) {
		kfree(d->name);
		kfree(d);
		return rc;
	}
	if (out)
		*out = d;
	return 0;
}

const char *pm_iodev_name(const struct pm_iodev *dev)
{
	return dev ? dev->name : "";
}

static int check_space(enum pm_io_space space, u64 base, u64 len, u64 *last)
{
	int rc;

	if (space != PM_IO_PIO && space != PM_IO_MMIO)
		return -EINVAL;
	rc = range_last(base, len, last);
	if (rc)
		return rc;
	if (space == PM_IO_PIO && *last > PIO_LAST)
		return -EINVAL;
	return 0;
}

/*
 * vmm_iobus_add_mapped() - add a device with its ranges, all or nothing
 * For models created inside the library (the DMA engines): the device and
 * a range per non-zero base (@len bytes each) are allocated first, then
 * checked and published under one write lock, so a failure leaves the bus
 * as it was. pm_iobus_add_device() followed by pm_iodev_map() could not:
 * the device array is append-only (reset walks it without the lock), so a
 * device whose map failed would stay on the bus.
 */
int vmm_iobus_add_mapped(struct pm_iobus *bus, const char *name,
			 const struct pm_iodev_ops *ops, void *opaque,
			 u64 pio_base, u64 mmio_base, u64 len,
			 struct pm_iodev **out)
{
	u64 base[2] = { pio_base, mmio_base }, last[2] = { 0, 0 };
	struct io_range *r[2] = { NULL, NULL };
	struct pm_iodev *d;
	unsigned int s;
	int rc = 0;

	if (!bus || !ops || !ops->access)
		return -EINVAL;
	for (s = 0; s < 2 && !rc; s++)
		if (base[s])
			rc = check_space(s, base[s], len, &last[s]);
	if (rc)
		return rc;
	d = kzalloc(sizeof(*d));
	if (d)
		d->name = kstrdup(name);
	for (s = 0; s < 2 && d && d->name; s++) {
		if (!base[s])
			continue;
		r[s] = kzalloc(sizeof(*r[s]));
		if (!r[s])
			break;
		r[s]->node.start = base[s];
		r[s]->node.last = last[s];
		r[s]->dev = d;
	}
	if (!d || !d->name || (base[0] && !r[0]) || (base[1] && !r[1])) {
		rc = -ENOMEM;
		goto out;
	}
	d->bus = bus;
	d->ops = ops;
	d->opaque = opaque;
	down_write(&bus->lock);
	if (bus->nr_devs == IOBUS_MAX_DEVS)
		rc = -ENOSPC;
	for (s = 0; s < 2 && !rc; s++)
		if (r[s] && interval_tree_iter_first(&bus->space[s], base[s],
						     last[s]))
			rc = -EEXIST;
	if (!rc) {
		for (s = 0; s < 2; s++)
			if (r[s])
				interval_tree_insert(&r[s]->node,
						     &bus->space[s]);
		bus->devs[bus->nr_devs] = d;
		__atomic_store_n(&bus->nr_devs, bus->nr_devs + 1,
				 __ATOMIC_RELEASE);
		r[0] = r[1] = NULL;
		*out = d;
		d = NULL;
	}
	up_write(&bus->lock);
out:
	kfree(r[0]);
	kfree(r[1]);
	if (d)
		kfree(d->name);
	kfree(d);
	return rc;
}

int pm_iodev_map(struct pm_iodev *dev, enum pm_io_space space, uint64_t base,
		 uint64_t len)
{
	struct pm_iobus *bus;
	struct io_range *r;
	u64 last;
	int rc;

	if (!dev)
		return -EINVAL;
	rc = check_space(space, base, len, &last);
	if (rc)
		return rc;
	bus = dev->bus;
	r = kzalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->node.start = base;
	r->node.last = last;
	r->dev = dev;
	down_write(&bus->lock);
	if (interval_tree_iter_first(&bus->space[space], base, last)) {
		rc = -EEXIST;
	} else {
		interval_tree_insert(&r->node, &bus->space[space]);
		r = NULL;
	}
	up_write(&bus->lock);
	kfree(r);
	return rc;
}

int pm_iodev_unmap(struct pm_iodev *dev, enum pm_io_space space, uint64_t base)
{
	struct interval_tree_node *n;
	struct pm_iobus *bus;
	struct io_range *r = NULL;

	if (!dev || (space != PM_IO_PIO && space != PM_IO_MMIO))
		return -ENOENT;
	bus = dev->bus;
	down_write(&bus->lock);
	n = interval_tree_iter_first(&bus->space[space], base, base);
	if (n && n->start == base &&
	    container_of(n, struct io_range, node)->dev == dev) {
		interval_tree_remove(n, &bus->space[space]);
		r = container_of(n, struct io_range, node);
	}
	up_write(&bus->lock);
	if (!r)
		return -ENOENT;
	kfree(r);
	return 0;
}

int pm_iobus_dispatch(struct pm_iobus *bus, enum pm_io_space space,
		      uint64_t addr, void *data, unsigned int len, bool write)
{
	struct interval_tree_node *n;
	struct pm_iodev *dev = NULL;
	u64 last, start = 0;
	int rc;

	if (!bus || !data || (len != 1 && len != 2 && len != 4 && len != 8))
		return -EINVAL;
	if (check_space(space, addr, len, &last)) {
		__atomic_add_fetch(&bus->unclaimed, 1, __ATOMIC_RELAXED);
		return -ENOENT;
	}
	down_read(&bus->lock);
	n = interval_tree_iter_first(&bus->space[space], addr, last);
	if (n && n->start <= addr && n->last >= last) {
		dev = container_of(n, struct io_range, node)->dev;
		start = n->start;
	}
	up_read(&bus->lock);
	if (!dev) {
		__atomic_add_fetch(&bus->unclaimed, 1, __ATOMIC_RELAXED);
		return -ENOENT;
	}
	__atomic_add_fetch(space == PM_IO_PIO ? &bus->pio : &bus->mmio, 1,
			   __ATOMIC_RELAXED);
	rc = dev->ops->access(dev->opaque, space, addr - start, data, len,
			      write);
	if (rc) {
		__atomic_add_fetch(&bus->errors, 1, __ATOMIC_RELAXED);
		return rc < 0 ? rc : -EIO;
	}
	return 0;
}

void pm_iobus_reset(struct pm_iobus *bus)
{
	unsigned int i, n;

	if (!bus)
		return;
	n = __atomic_load_n(&bus->nr_devs, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++)
		if (bus->devs[i]->ops->reset)
			bus->devs[i]->ops->reset(bus->devs[i]->opaque);
}

int pm_iobus_get_stats(struct pm_iobus *bus, struct pm_iobus_stats *st)
{
	if (!bus || !st)
		return -EINVAL;
	st->pio = __atomic_load_n(&bus->pio, __ATOMIC_RELAXED);
	st->mmio = __atomic_load_n(&bus->mmio, __ATOMIC_RELAXED);
	st->unclaimed = __atomic_load_n(&bus->unclaimed, __ATOMIC_RELAXED);
	st->errors = __atomic_load_n(&bus->errors, __ATOMIC_RELAXED);
	return 0;
}
