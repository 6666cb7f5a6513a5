// SPDX-License-Identifier: MIT
/*
 * The I/O bus without KVM: port and MMIO ranges routed to device models
 * through interval trees, offsets relative to each range, overlap and
 * straddle rules, unclaimed and failing accesses, unmap, the reset and
 * release hooks, concurrency, and every allocation failing.
 */
#include <pthread.h>
#include <privmem/privmem.h>
#include <privmem/vmm.h>
#include "harness.h"

#define MAX_LOG 64

struct rec_dev {
	int id;
	struct {
		enum pm_io_space space;
		uint64_t off;
		unsigned int len;
		bool write;
		uint64_t val;
	} log[MAX_LOG];
	int n;
	int fail_with; /* -errno returned by access, or 0 */
	uint64_t reg; /* what reads return */
	int resets;
};

static int order[128], norder;

static int rec_access(void *opaque, enum pm_io_space space, uint64_t off,
		      void *data, unsigned int len, bool write)
{
	struct rec_dev *d = opaque;
	uint64_t v = 0;

	if (d->n < MAX_LOG) {
		if (write)
			memcpy(&v, data, len);
		d->log[d->n].space = space;
		d->log[d->n].off = off;
		d->log[d->n].len = len;
		d->log[d->n].write = write;
		d->log[d->n].val = v;
		d->n++;
	}
	if (!write)
		memcpy(data, &d->reg, len);
	return d->fail_with;
}

static void rec_reset(void *opaque)
{
	struct rec_dev *d = opaque;

	d->resets++;
	if (norder < 128)
		order[norder++] = d->id;
}

static void rec_release(void *opaque)
{
	struct rec_dev *d = opaque;

	if (norder < 128)
		order[norder++] = -d->id;
}

static const struct pm_iodev_ops rec_ops = {
	.access = rec_access,
	.reset = rec_reset,
	.release = rec_release,
};

static struct pm_iobus *bus_new(void)
{
	struct pm_iobus *bus = NULL;

	ASSERT_OK(pm_iobus_create(&bus));
	ASSERT_TRUE(bus);
	return bus;
}

static struct pm_iodev *dev_add(struct pm_iobus *bus, struct rec_dev *d, int id)
{
	struct pm_iodev *dev = NULL;

	memset(d, 0, sizeof(*d));
	d->id = id;
	ASSERT_OK(pm_iobus_add_device(bus, "rec", &rec_ops, d, &dev));
	ASSERT_TRUE(dev);
	return dev;
}

/* Accesses reach the device at their offset from the range's start. */
TEST(dispatch_offsets)
{
	struct pm_iobus *bus = bus_new();
	struct rec_dev a;
	struct pm_iodev *da = dev_add(bus, &a, 1);
	uint32_t v = 0x12345678;
	uint64_t q = 0x1122334455667788ULL, r = 0;
	struct pm_iobus_stats st;

	ASSERT_OK(pm_iodev_map(da, PM_IO_PIO, 0x100, 0x10));
	ASSERT_OK(pm_iodev_map(da, PM_IO_MMIO, 0xfe000000ULL, 0x1000));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_PIO, 0x104, &v, 4, true));
	ASSERT_OK(
		pm_iobus_dispatch(bus, PM_IO_MMIO, 0xfe000ff8ULL, &q, 8, true));
	a.reg = 0xabcdef;
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_MMIO, 0xfe000010ULL, &r, 8,
				    false));
	ASSERT_U64_EQ(r, 0xabcdef);
	ASSERT_EQ(a.n, 3);
	ASSERT_EQ(a.log[0].space, PM_IO_PIO);
	ASSERT_U64_EQ(a.log[0].off, 4);
	ASSERT_EQ(a.log[0].len, 4);
	ASSERT_TRUE(a.log[0].write);
	ASSERT_U64_EQ(a.log[0].val, 0x12345678);
	ASSERT_EQ(a.log[1].space, PM_IO_MMIO);
	ASSERT_U64_EQ(a.log[1].off, 0xff8);
	ASSERT_U64_EQ(a.log[1].val, q);
	ASSERT_U64_EQ(a.log[2].off, 0x10);
	ASSERT_FALSE(a.log[2].write);
	ASSERT_OK(pm_iobus_get_stats(bus, &st));
	ASSERT_U64_EQ(st.pio, 1);
	ASSERT_U64_EQ(st.mmio, 2);
	ASSERT_U64_EQ(st.unclaimed, 0);
	ASSERT_TRUE(!strcmp(pm_iodev_name(da), "rec"));
	pm_iobus_destroy(bus);
}

/* Two devices side by side: each gets its own; nobody gets the gaps. */
TEST(routing_and_unclaimed)
{
	struct pm_iobus *bus = bus_new();
	struct rec_dev a, b;
	struct pm_iodev *da = dev_add(bus, &a, 1), *db = dev_add(bus, &b, 2);
	struct pm_iobus_stats st;
	uint32_t v = 1;

	ASSERT_OK(pm_iodev_map(da, PM_IO_PIO, 0x100, 0x10));
	ASSERT_OK(pm_iodev_map(db, PM_IO_PIO, 0x110, 0x10)); /* adjacent */
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_PIO, 0x10c, &v, 4, true));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_PIO, 0x110, &v, 4, true));
	ASSERT_EQ(a.n, 1);
	ASSERT_EQ(b.n, 1);
	ASSERT_U64_EQ(b.log[0].off, 0);
	/* A straddling access belongs to nobody. */
	ASSERT_ERR(ENOENT,
		   pm_iobus_dispatch(bus, PM_IO_PIO, 0x10e, &v, 4, true));
	/* Gaps and the other space. */
	ASSERT_ERR(ENOENT,
		   pm_iobus_dispatch(bus, PM_IO_PIO, 0x120, &v, 4, false));
	ASSERT_ERR(ENOENT,
		   pm_iobus_dispatch(bus, PM_IO_MMIO, 0x100, &v, 4, false));
	/* Past the port space, and wrapping. */
	ASSERT_ERR(ENOENT,
		   pm_iobus_dispatch(bus, PM_IO_PIO, 0xfffe, &v, 4, false));
	ASSERT_ERR(ENOENT,
		   pm_iobus_dispatch(bus, PM_IO_MMIO, ~0ULL - 2, &v, 4, false));
	ASSERT_EQ(a.n, 1);
	ASSERT_EQ(b.n, 1);
	ASSERT_OK(pm_iobus_get_stats(bus, &st));
	ASSERT_U64_EQ(st.unclaimed, 5);
	ASSERT_U64_EQ(st.pio, 2);
	pm_iobus_destroy(bus);
}

TEST(map_rules)
{
	struct pm_iobus *bus = bus_new();
	struct rec_dev a, b;
	struct pm_iodev *da = dev_add(bus, &a, 1), *db = dev_add(bus, &b, 2);

	ASSERT_OK(pm_iodev_map(da, PM_IO_MMIO, 0x1000, 0x1000));
	ASSERT_ERR(EEXIST, pm_iodev_map(db, PM_IO_MMIO, 0x1fff, 0x10));
	ASSERT_ERR(EEXIST, pm_iodev_map(db, PM_IO_MMIO, 0x800, 0x801));
	ASSERT_ERR(EEXIST, pm_iodev_map(da, PM_IO_MMIO, 0x1000, 0x1000));
	ASSERT_ERR(EINVAL, pm_iodev_map(db, PM_IO_MMIO, 0x3000, 0));
	ASSERT_ERR(EOVERFLOW, pm_iodev_map(db, PM_IO_MMIO, ~0ULL, 2));
	ASSERT_ERR(EINVAL, pm_iodev_map(db, PM_IO_PIO, 0xfff0, 0x20));
	ASSERT_ERR(EINVAL, pm_iodev_map(db, (enum pm_io_space)7, 0, 1));
	ASSERT_ERR(EINVAL, pm_iodev_map(NULL, PM_IO_PIO, 0, 1));
	/* The same range in the other space is another range. */
	ASSERT_OK(pm_iodev_map(db, PM_IO_PIO, 0x1000, 0x1000));
	ASSERT_OK(pm_iodev_map(db, PM_IO_PIO, 0xfff0, 0x10));
	ASSERT_OK(pm_iodev_map(db, PM_IO_MMIO, ~0ULL - 0xfff, 0x1000));
	pm_iobus_destroy(bus);
}

TEST(bad_lengths)
{
	struct pm_iobus *bus = bus_new();
	struct rec_dev a;
	struct pm_iodev *da = dev_add(bus, &a, 1);
	uint64_t v[2] = { 0, 0 };

	ASSERT_OK(pm_iodev_map(da, PM_IO_MMIO, 0, 0x100));
	ASSERT_ERR(EINVAL, pm_iobus_dispatch(bus, PM_IO_MMIO, 0, v, 0, true));
	ASSERT_ERR(EINVAL, pm_iobus_dispatch(bus, PM_IO_MMIO, 0, v, 3, true));
	ASSERT_ERR(EINVAL, pm_iobus_dispatch(bus, PM_IO_MMIO, 0, v, 16, true));
	ASSERT_ERR(EINVAL,
		   pm_iobus_dispatch(bus, PM_IO_MMIO, 0, NULL, 4, true));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_MMIO, 0, v, 1, true));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_MMIO, 0, v, 2, true));
	ASSERT_EQ(a.n, 2);
	pm_iobus_destroy(bus);
}

/* A device's error comes back and is counted. */
TEST(device_errors)
{
	struct pm_iobus *bus = bus_new();
	struct rec_dev a;
	struct pm_iodev *da = dev_add(bus, &a, 1);
	struct pm_iobus_stats st;
	uint32_t v = 0;

	ASSERT_OK(pm_iodev_map(da, PM_IO_PIO, 0x60, 4));
	a.fail_with = -EPERM;
	ASSERT_ERR(EPERM, pm_iobus_dispatch(bus, PM_IO_PIO, 0x60, &v, 4, true));
	a.fail_with = 5; /* not an errno: the bus says -EIO */
	ASSERT_ERR(EIO, pm_iobus_dispatch(bus, PM_IO_PIO, 0x60, &v, 4, true));
	ASSERT_OK(pm_iobus_get_stats(bus, &st));
	ASSERT_U64_EQ(st.errors, 2);
	pm_iobus_destroy(bus);
}

TEST(unmap)
{
	struct pm_iobus *bus = bus_new();
	struct rec_dev a, b;
	struct pm_iodev *da = dev_add(bus, &a, 1), *db = dev_add(bus, &b, 2);
	uint32_t v = 0;

	ASSERT_OK(pm_iodev_map(da, PM_IO_PIO, 0x100, 0x10));
	ASSERT_ERR(ENOENT, pm_iodev_unmap(db, PM_IO_PIO, 0x100));
	ASSERT_ERR(ENOENT, pm_iodev_unmap(da, PM_IO_PIO, 0x104));
	ASSERT_ERR(ENOENT, pm_iodev_unmap(da, PM_IO_MMIO, 0x100));
	ASSERT_OK(pm_iodev_unmap(da, PM_IO_PIO, 0x100));
	ASSERT_ERR(ENOENT, pm_iodev_unmap(da, PM_IO_PIO, 0x100));
	ASSERT_ERR(ENOENT,
		   pm_iobus_dispatch(bus, PM_IO_PIO, 0x100, &v, 4, true));
	/* The range is free for another device. */
	ASSERT_OK(pm_iodev_map(db, PM_IO_PIO, 0x100, 0x10));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_PIO, 0x100, &v, 4, true));
	ASSERT_EQ(a.n, 0);
	ASSERT_EQ(b.n, 1);
	pm_iobus_destroy(bus);
}

/* Reset in the order devices were added, release in reverse. */
TEST(reset_and_release_order)
{
	struct pm_iobus *bus = bus_new();
	struct rec_dev d[3];
	int i;

	for (i = 0; i < 3; i++)
		dev_add(bus, &d[i], i + 1);
	norder = 0;
	pm_iobus_reset(bus);
	ASSERT_EQ(norder, 3);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(order[i], i + 1);
	norder = 0;
	pm_iobus_destroy(bus);
	ASSERT_EQ(norder, 3);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(order[i], -(3 - i));
}

TEST(device_limit)
{
	struct pm_iobus *bus = bus_new();
	static struct rec_dev d[65];
	struct pm_iodev *dev;
	int i;

	for (i = 0; i < 64; i++)
		dev_add(bus, &d[i], i);
	ASSERT_ERR(ENOSPC,
		   pm_iobus_add_device(bus, "x", &rec_ops, &d[64], &dev));
	ASSERT_ERR(EINVAL, pm_iobus_add_device(bus, "x", NULL, &d[64], &dev));
	pm_iobus_destroy(bus);
}

/* vCPU-like threads dispatch while ranges come and go next to them. */
struct race {
	struct pm_iobus *bus;
	volatile bool stop;
	unsigned long done;
};

static void *dispatcher(void *arg)
{
	struct race *r = arg;
	uint32_t v = 7;

	while (!r->stop) {
		if (pm_iobus_dispatch(r->bus, PM_IO_PIO, 0x100, &v, 4, true))
			FAIL("the fixed range went missing");
		__atomic_add_fetch(&r->done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int count_access(void *opaque, enum pm_io_space space, uint64_t off,
			void *data, unsigned int len, bool write)
{
	__atomic_add_fetch((unsigned long *)opaque, 1, __ATOMIC_RELAXED);
	return 0;
}

TEST(concurrent_dispatch_and_map)
{
	static const struct pm_iodev_ops ops = { .access = count_access };
	struct race r = { .bus = bus_new() };
	unsigned long hits = 0, other = 0;
	struct pm_iodev *fixed, *moving;
	pthread_t t[2];
	int i;

	ASSERT_OK(pm_iobus_add_device(r.bus, "fixed", &ops, &hits, &fixed));
	ASSERT_OK(pm_iobus_add_device(r.bus, "moving", &ops, &other, &moving));
	ASSERT_OK(pm_iodev_map(fixed, PM_IO_PIO, 0x100, 4));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, dispatcher, &r), 0);
	for (i = 0; i < 20000; i++) {
		ASSERT_OK(pm_iodev_map(moving, PM_IO_PIO, 0x200 + (i % 8) * 4,
				       4));
		ASSERT_OK(
			pm_iodev_unmap(moving, PM_IO_PIO, 0x200 + (i % 8) * 4));
	}
	r.stop = true;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(hits, r.done);
	ASSERT_EQ(other, 0);
	pm_iobus_destroy(r.bus);
}

/* Every allocation fails once: an error, and nothing half-made. */
TEST(fail_nth)
{
	unsigned long n;
	int fired_total = 0;

	for (n = 1; n < 50; n++) {
		struct pm_iobus *bus = NULL;
		struct pm_iodev *dev = NULL;
		struct rec_dev d = { 0 };
		int rc;
		bool fired;

		pm_fault_arm(n);
		rc = pm_iobus_create(&bus);
		if (!rc)
			rc = pm_iobus_add_device(bus, "x", &rec_ops, &d, &dev);
		if (!rc)
			rc = pm_iodev_map(dev, PM_IO_MMIO, 0x1000, 0x100);
		fired = pm_fault_fired();
		pm_fault_disarm();
		if (!fired) {
			ASSERT_OK(rc);
			pm_iobus_destroy(bus);
			break;
		}
		fired_total++;
		ASSERT_ERR(ENOMEM, rc);
		pm_iobus_destroy(bus);
	}
	ASSERT_GE(fired_total, 3);
}

TEST_MAIN()
