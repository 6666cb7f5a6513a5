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
 * The trusted engine (pm_trusted_dma_engine_create) is the same model
 * with a protection fd binding its IOMMU device to the guest's RAM store
 * (iova_base = GPA of store offset 0). Its doorbell moves data by trusted
 * (T=1) transactions, pm_dma_read_trusted / pm_dma_write_trusted, which
 * reach private pages only while the binding is in RUN; its T=0 domain is
 * the ordinary one, attached to the same IOAS. Above the DMA registers it
 * has the TDISP registers of vmm_abi.h: STATE, the report's digest (read
 * from pm_protfd_get_report at each access), a DIGEST the guest writes and
 * a CMD whose ACCEPT calls pm_protfd_accept with it, the result in RESULT.
 * The VMM locks the binding (the model's reset locks it again, since a
 * device reset leaves it UNLOCKED).
 *
 * A VM's trusted engine (vmm_trusted_engine_create) also has a private
 * MMIO region (protfd.h): the model fills it through the store's trusted
 * path at creation, and after a successful ACCEPT calls the VMM's on_run
 * hook, which binds it into a memslot; the protection fd's revoke callback
 * (the VMM's too) deletes that memslot.
 *
 * Invariants: STATUS describes the last transfer; registers keep their
 * values across transfers; reset clears everything.
 *
 * Locking
 * -------
 * lock (LOCK_RANK_VMM_DEV) covers the registers and the transfer, so two
 * vCPUs ringing the doorbell are serialised; the DMA inside takes the
 * IOMMU's locks, which rank below it. The bus calls us with no lock held.
 * The protection fd's lock ranks above ours (LOCK_RANK_PROTFD), so the
 * TDISP registers call pm_protfd_* with our lock dropped: a command copies
 * DIGEST under the lock, accepts without it, and stores RESULT under it.
 */
#include <errno.h>
#include <string.h>
#include <privmem/device.h>
#include <privmem/protfd.h>
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
	struct pm_protfd *pf; /* the trusted engine's binding, else NULL */
	/* After the guest's accept put the binding in RUN (no lock held). */
	void (*on_run)(struct pm_protfd *pf, void *opaque);
	void *run_opaque;
	u64 src, dst, fault_addr;
	u32 len, status, count;
	u32 tdi_result;			     /* [lock] RESULT */
	u8 accept_digest[PM_TDEV_DIGEST_LEN]; /* [lock] DIGEST */
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
		if (e->pf ? pm_dma_read_trusted(e->dev, e->src + off, e->bounce,
						step) :
			    pm_dma_read(e->dev, e->src + off, e->bounce, step)) {
			take_fault(e, e->src + off);
			return;
		}
		if (e->pf ? pm_dma_write_trusted(e->dev, e->dst + off,
						 e->bounce, step) :
			    pm_dma_write(e->dev, e->dst + off, e->bounce,
					 step)) {
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

/* One 32-bit TDISP register of the trusted engine; no lock held. */
static int tdi_word(struct dma_engine *e, u64 off, u32 *v, bool write)
{
	u8 digest[PM_TDEV_DIGEST_LEN];
	struct pm_tdi_report rep;
	int rc;

	if (off >= PM_TDEV_REPORT &&
	    off < PM_TDEV_REPORT + PM_TDEV_DIGEST_LEN) {
		if (write)
			return -EPERM;
		/* Zeros when there is no report (not LOCKED or RUN). */
		if (pm_protfd_get_report(e->pf, &rep))
			memset(rep.digest, 0, sizeof(rep.digest));
		memcpy(v, rep.digest + (off - PM_TDEV_REPORT), 4);
		return 0;
	}
	if (off >= PM_TDEV_DIGEST &&
	    off < PM_TDEV_DIGEST + PM_TDEV_DIGEST_LEN) {
		mutex_lock(&e->lock);
		if (write)
			memcpy(e->accept_digest + (off - PM_TDEV_DIGEST), v, 4);
		else
			memcpy(v, e->accept_digest + (off - PM_TDEV_DIGEST), 4);
		mutex_unlock(&e->lock);
		return 0;
	}
	switch (off) {
	case PM_TDEV_STATE:
		if (write)
			return -EPERM;
		*v = (u32)pm_protfd_state(e->pf);
		return 0;
	case PM_TDEV_RESULT:
		if (write)
			return -EPERM;
		mutex_lock(&e->lock);
		*v = e->tdi_result;
		mutex_unlock(&e->lock);
		return 0;
	case PM_TDEV_CMD:
		if (!write) {
			*v = 0;
			return 0;
		}
		if (*v != PM_TDEV_CMD_ACCEPT)
			return -EINVAL;
		mutex_lock(&e->lock);
		memcpy(digest, e->accept_digest, sizeof(digest));
		mutex_unlock(&e->lock);
		/* The guest's accept, through the VMM. */
		rc = pm_protfd_accept(e->pf, digest);
		mutex_lock(&e->lock);
		e->tdi_result = (u32)rc;
		mutex_unlock(&e->lock);
		pr_debug("vmm: trusted DMA engine: the guest's accept: %d (%s)",
			rc, pm_tdi_state_name(pm_protfd_state(e->pf)));
		/* RUN: the VMM binds the private MMIO region before the
		 * guest's next instruction. */
		if (!rc && e->on_run)
			e->on_run(e->pf, e->run_opaque);
		return 0;
	}
	if (!write)
		*v = 0; /* unused offsets read zero */
	return write ? -EPERM : 0;
}

static int tdi_access(struct dma_engine *e, u64 off, void *data,
		      unsigned int len, bool write)
{
	unsigned int i;
	u32 v;
	int rc;

	for (i = 0; i < len; i += 4) {
		if (write)
			memcpy(&v, (u8 *)data + i, 4);
		rc = tdi_word(e, off + i, &v, write);
		if (rc)
			return rc;
		if (!write)
			memcpy((u8 *)data + i, &v, 4);
	}
	return 0;
}

static int engine_access(void *opaque, enum pm_io_space space, u64 off,
			 void *data, unsigned int len, bool write)
{
	struct dma_engine *e = opaque;
	u64 size = e->pf ? PM_TDEV_REGS_SIZE : PM_DMA_REGS_SIZE;
	u32 lo, hi = 0;
	int rc = 0;

	/* Ports: 4-byte accesses; MMIO: 4 or 8, naturally aligned. */
	if ((len != 4 && !(len == 8 && space == PM_IO_MMIO)) ||
	    !IS_ALIGNED(off, len) || off + len > size)
		return -EINVAL;
	if (off >= PM_DMA_REGS_SIZE)
		return tdi_access(e, off, data, len, write);
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
	int rc;

	if (e->pf) {
		/* Revokes the binding (trusted DMA drains, translations go,
		 * UNLOCKED), then the VMM locks it again for a new accept. */
		rc = pm_device_reset(e->dev);
		if (!rc)
			rc = pm_protfd_lock(e->pf);
		if (rc)
			pr_warn("vmm: trusted DMA engine reset: %d", rc);
	}
	mutex_lock(&e->lock);
	e->src = e->dst = e->fault_addr = 0;
	e->len = e->status = e->count = 0;
	e->tdi_result = 0;
	memset(e->accept_digest, 0, sizeof(e->accept_digest));
	pm_device_read_faults(e->dev, e->faults, FAULT_LOG);
	mutex_unlock(&e->lock);
}

static void engine_release(void *opaque)
{
	struct dma_engine *e = opaque;

	pm_protfd_destroy(e->pf);
	pm_device_destroy(e->dev);
	mutex_destroy(&e->lock);
	kfree(e);
}

static const struct pm_iodev_ops engine_ops = {
	.access = engine_access,
	.reset = engine_reset,
	.release = engine_release,
};

/*
 * The device's own content of its private MMIO region, written through the
 * store's trusted path (get_pfn, the pointer, put) before any RUN: the
 * samples of pm_guest_pattern(store offset, PM_TDEV_PMMIO_SEED).
 */
static int pmmio_fill(struct pm_gmem *s, u64 size)
{
	struct pm_gmem_page pg;
	u64 off, word;
	int i, rc;

	for (off = 0; off < size; off += STEP) {
		rc = pm_gmem_get_pfn(s, off, 0, &pg);
		if (rc)
			return rc;
		if (!pg.ptr) {
			pm_gmem_put_pfn(s, &pg);
			return -EFAULT;
		}
		for (i = 0; i < PM_GUEST_NR_SAMPLES; i++) {
			u64 o = off + PM_GUEST_SAMPLE_OFF(i);

			word = pm_guest_pattern(o, PM_TDEV_PMMIO_SEED);
			memcpy((u8 *)pg.ptr + (o - pg.offset), &word,
			       sizeof(word));
		}
		pm_gmem_put_pfn(s, &pg);
	}
	return 0;
}

static int engine_create(struct pm_iobus *bus, struct pm_iommufd *ictx,
			 uint32_t ioas_id, struct pm_gmem *ram,
			 uint64_t iova_base, uint16_t pio_base,
			 uint64_t mmio_base, const struct vmm_tdev_pmmio *pm,
			 struct pm_iodev **out, struct pm_protfd **pf_out)
{
	const char *name = ram ? "trusted-dma-engine" : "dma-engine";
	struct pm_protfd_config pc = {
		.gmem = ram,
		.iova_base = iova_base,
		.vm_fd = -1,
	};
	struct pm_iodev *iodev;
	struct dma_engine *e;
	u32 dev_id, pt = ioas_id;
	u64 size = ram ? PM_TDEV_REGS_SIZE : PM_DMA_REGS_SIZE;
	int rc;

	if (!bus || !ictx)
		return -EINVAL;
	e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	mutex_init(&e->lock, &vmm_dma_engine_class);
	if (pm && pm->size) {
		pc.mmio_size = pm->size;
		pc.vm_fd = pm->vm_fd;
		pc.revoke = pm->revoke;
		pc.opaque = pm->opaque;
		e->on_run = pm->on_run;
		e->run_opaque = pm->opaque;
	}
	rc = pm_device_create(ictx, name, &e->dev, &dev_id);
	if (!rc)
		rc = pm_device_attach(e->dev, &pt);
	if (!rc && ram)
		rc = pm_protfd_create(e->dev, &pc, &e->pf);
	if (!rc && pc.mmio_size)
		rc = pmmio_fill(pm_protfd_mmio_store(e->pf), pc.mmio_size);
	/*
	 * The engine and its ranges go on the bus together: a failure
	 * leaves the bus, the IOMMU context and the store as they were.
	 */
	if (!rc)
		rc = vmm_iobus_add_mapped(bus, name, &engine_ops, e, pio_base,
					  mmio_base, size, &iodev);
	if (rc) {
		pm_protfd_destroy(e->pf);
		pm_device_destroy(e->dev);
		mutex_destroy(&e->lock);
		kfree(e);
		return rc;
	}
	if (out)
		*out = iodev;
	if (pf_out)
		*pf_out = e->pf;
	return 0;
}

int pm_dma_engine_create(struct pm_iobus *bus, struct pm_iommufd *ictx,
			 uint32_t ioas_id, uint16_t pio_base,
			 uint64_t mmio_base, struct pm_iodev **out)
{
	return engine_create(bus, ictx, ioas_id, NULL, 0, pio_base, mmio_base,
			     NULL, out, NULL);
}

int pm_trusted_dma_engine_create(struct pm_iobus *bus,
				 struct pm_iommufd *ictx, uint32_t ioas_id,
				 struct pm_gmem *ram, uint64_t iova_base,
				 uint64_t mmio_base, struct pm_iodev **out,
				 struct pm_protfd **pf)
{
	if (!ram)
		return -EINVAL;
	return engine_create(bus, ictx, ioas_id, ram, iova_base, 0, mmio_base,
			     NULL, out, pf);
}

int vmm_trusted_engine_create(struct pm_iobus *bus, struct pm_iommufd *ictx,
			      u32 ioas_id, struct pm_gmem *ram, u64 iova_base,
			      u64 mmio_base, const struct vmm_tdev_pmmio *pm,
			      struct pm_protfd **pf)
{
	if (!ram)
		return -EINVAL;
	return engine_create(bus, ictx, ioas_id, ram, iova_base, 0, mmio_base,
			     pm, NULL, pf);
}
