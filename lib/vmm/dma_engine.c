// SPDX-License-Identifier: MIT
/*
 * The DMA engine: an untrusted device model that copies guest memory by
 * DMA through the emulated IOMMU.
 *
 * Data model
 * ----------
 * Registers (vmm_abi.h): SRC and DST (64-bit IOVAs), LEN, DOORBELL,
 * STATUS, FAULT_ADDR, COUNT; the same block at a port window and at an
 * MMIO window of the I/O bus. Behind them, one emulated IOMMU device
 * (pm_device_create) attached to the IOAS that holds guest RAM at IOVA =
 * GPA, and a 4 KiB bounce buffer.
 *
 * A doorbell write runs the transfer synchronously, in the vCPU thread:
 * STATUS is cleared, LEN and both ranges are checked (an error reason of
 * PM_DMA_ERR_LEN or PM_DMA_ERR_RANGE), then each 4 KiB step reads the
 * source with pm_dma_read() and writes the destination with
 * pm_dma_write(). The engine is untrusted: its domain holds translations
 * for shared pages only, so a private page on either side faults. A fault
 * ends the transfer with STATUS = ERROR | reason << 8 and FAULT_ADDR = the
 * IOVA the IOMMU recorded (the steps before it were copied, as a real
 * engine's would be). Success sets DONE and counts in COUNT. The engine
 * never touches guest memory except through pm_dma_*.
 *
 * Invariants: STATUS describes the last transfer; registers keep their
 * values across transfers; reset clears everything.
 *
 * Locking
 * -------
 * lock (LOCK_RANK_VMM_DEV) covers the registers and the transfer, so two
 * vCPUs ringing the doorbell are serialised; the DMA inside takes the
 * IOMMU's locks, which rank below it. The bus calls us with no lock held.
 */
#include <errno.h>
#include <string.h>
#include <privmem/device.h>
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "vmm_private.h"

static DEFINE_LOCK_CLASS(vmm_dma_engine_class, LOCK_RANK_VMM_DEV);

#define STEP 4096U
#define FAULT_LOG 64

struct dma_engine {
	struct mutex lock;
	struct pm_device *dev;
	u64 src, dst, fault_addr;
	u32 len, status, count;
	u8 bounce[STEP];
	struct pm_dma_fault faults[FAULT_LOG];
};

/* The most recent fault the IOMMU recorded for the device. */
static void take_fault(struct dma_engine *e, u64 fallback)
{
	int n = pm_device_read_faults(e->dev, e->faults, FAULT_LOG);

	if (n > 0) {
		e->status = PM_DMA_ST_ERROR | ((u32)e->faults[n - 1].reason
					       << PM_DMA_ST_REASON_SHIFT);
		e->fault_addr = e->faults[n - 1].iova;
	} else {
		e->status = PM_DMA_ST_ERROR |
			    (PM_DMA_FAULT_MEMORY << PM_DMA_ST_REASON_SHIFT);
		e->fault_addr = fallback;
	}
}

static void transfer(struct dma_engine *e)
{
	u64 last, off, step;

	e->status = 0;
	e->fault_addr = 0;
	/* Faults of earlier transfers are not this one's. */
	pm_device_read_faults(e->dev, e->faults, FAULT_LOG);
	if (!e->len || e->len > PM_DMA_MAX_LEN) {
		e->status = PM_DMA_ST_ERROR |
			    (PM_DMA_ERR_LEN << PM_DMA_ST_REASON_SHIFT);
		return;
	}
	if (range_last(e->src, e->len, &last) ||
	    range_last(e->dst, e->len, &last)) {
		e->status = PM_DMA_ST_ERROR |
			    (PM_DMA_ERR_RANGE << PM_DMA_ST_REASON_SHIFT);
		return;
	}
	for (off = 0; off < e->len; off += step) {
		step = min_t(u64, STEP, e->len - off);
		if (pm_dma_read(e->dev, e->src + off, e->bounce, step)) {
			take_fault(e, e->src + off);
			return;
		}
		if (pm_dma_write(e->dev, e->dst + off, e->bounce, step)) {
			take_fault(e, e->dst + off);
			return;
		}
	}
	e->status = PM_DMA_ST_DONE;
	e->count++;
}

static u32 reg_read(struct dma_engine *e, u64 off)
{
	switch (off) {
	case PM_DMA_SRC:
		return (u32)e->src;
	case PM_DMA_SRC + 4:
		return (u32)(e->src >> 32);
	case PM_DMA_DST:
		return (u32)e->dst;
	case PM_DMA_DST + 4:
		return (u32)(e->dst >> 32);
	case PM_DMA_LEN:
		return e->len;
	case PM_DMA_STATUS:
		return e->status;
	case PM_DMA_FAULT_ADDR:
		return (u32)e->fault_addr;
	case PM_DMA_FAULT_ADDR + 4:
		return (u32)(e->fault_addr >> 32);
	case PM_DMA_COUNT:
		return e->count;
	}
	return 0; /* DOORBELL and unused offsets read zero */
}

static int reg_write(struct dma_engine *e, u64 off, u32 v)
{
	switch (off) {
	case PM_DMA_SRC:
		e->src = (e->src & ~0xffffffffULL) | v;
		return 0;
	case PM_DMA_SRC + 4:
		e->src = (e->src & 0xffffffffULL) | ((u64)v << 32);
		return 0;
	case PM_DMA_DST:
		e->dst = (e->dst & ~0xffffffffULL) | v;
		return 0;
	case PM_DMA_DST + 4:
		e->dst = (e->dst & 0xffffffffULL) | ((u64)v << 32);
		return 0;
	case PM_DMA_LEN:
		e->len = v;
		return 0;
	case PM_DMA_DOORBELL:
		if (v == PM_DMA_GO)
			transfer(e);
		return 0;
	}
	return -EPERM; /* read-only or unused */
}

static int engine_access(void *opaque, enum pm_io_space space, u64 off,
			 void *data, unsigned int len, bool write)
{
	struct dma_engine *e = opaque;
	u32 lo, hi = 0;
	int rc = 0;

	/* Ports: 4-byte accesses; MMIO: 4 or 8, naturally aligned. */
	if ((len != 4 && !(len == 8 && space == PM_IO_MMIO)) ||
	    !IS_ALIGNED(off, len) || off + len > PM_DMA_REGS_SIZE)
		return -EINVAL;
	mutex_lock(&e->lock);
	if (write) {
		memcpy(&lo, data, 4);
		if (len == 8)
			memcpy(&hi, (u8 *)data + 4, 4);
		/* A 64-bit write: the high half first, so that a doorbell
		 * never runs with half a register. */
		if (len == 8)
			rc = reg_write(e, off + 4, hi);
		if (!rc)
			rc = reg_write(e, off, lo);
	} else {
		lo = reg_read(e, off);
		memcpy(data, &lo, 4);
		if (len == 8) {
			hi = reg_read(e, off + 4);
			memcpy((u8 *)data + 4, &hi, 4);
		}
	}
	mutex_unlock(&e->lock);
	return rc;
}

static void engine_reset(void *opaque)
{
	struct dma_engine *e = opaque;

	mutex_lock(&e->lock);
	e->src = e->dst = e->fault_addr = 0;
	e->len = e->status = e->count = 0;
	pm_device_read_faults(e->dev, e->faults, FAULT_LOG);
	mutex_unlock(&e->lock);
}

static void engine_release(void *opaque)
{
	struct dma_engine *e = opaque;

	pm_device_destroy(e->dev);
	mutex_destroy(&e->lock);
	kfree(e);
}

static const struct pm_iodev_ops engine_ops = {
	.access = engine_access,
	.reset = engine_reset,
	.release = engine_release,
};

int pm_dma_engine_create(struct pm_iobus *bus, struct pm_iommufd *ictx,
			 uint32_t ioas_id, uint16_t pio_base,
			 uint64_t mmio_base, struct pm_iodev **out)
{
	struct pm_iodev *iodev;
	struct dma_engine *e;
	u32 dev_id, pt = ioas_id;
	int rc;

	if (!bus || !ictx)
		return -EINVAL;
	e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	mutex_init(&e->lock, &vmm_dma_engine_class);
	rc = pm_device_create(ictx, "dma-engine", &e->dev, &dev_id);
	if (!rc)
		rc = pm_device_attach(e->dev, &pt);
	if (!rc)
		rc = pm_iobus_add_device(bus, "dma-engine", &engine_ops, e,
					 &iodev);
	if (rc) {
		pm_device_destroy(e->dev);
		mutex_destroy(&e->lock);
		kfree(e);
		return rc;
	}
	/* The bus owns the engine now; a failed map leaves it inert. */
	if (pio_base)
		rc = pm_iodev_map(iodev, PM_IO_PIO, pio_base, PM_DMA_REGS_SIZE);
	if (!rc && mmio_base)
		rc = pm_iodev_map(iodev, PM_IO_MMIO, mmio_base,
				  PM_DMA_REGS_SIZE);
	if (rc) {
		if (pio_base)
			pm_iodev_unmap(iodev, PM_IO_PIO, pio_base);
		return rc;
	}
	if (out)
		*out = iodev;
	return 0;
}
