// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the VMM's device-register handlers, without KVM.
 *
 * lib/vmm's I/O bus (struct pm_iobus) carries the device models a vCPU's
 * port and MMIO exits reach; this target drives it as a guest would, with
 * any access: the DMA engine (an untrusted device behind the emulated
 * IOMMU) at its port and MMIO windows, the trusted DMA engine (bound by a
 * protection fd: TDISP registers, trusted transfers) at its MMIO window,
 * and a probe device of our own whose ranges the program maps and unmaps.
 * Guest RAM is a gmem store (memfd backend) mapped at IOVA = GPA 0; its
 * private pages hold a canary written through the trusted path. The VMM's
 * conversion requests (the doorbell port and the hypercall) are handled in
 * the vCPU exit loop of a KVM VM, which this target cannot build; it
 * converts pages directly instead, as such a request would.
 *
 * A model predicts every access: the bus's answer (0, -EINVAL, -ENOENT,
 * the device's -errno), the range and offset a device is called with, the
 * bus statistics; the engines' registers (what reads back, STATUS,
 * COUNT, FAULT_ADDR inside the transfer); each transfer's outcome from the
 * pages' states (untrusted: shared pages only; trusted: private pages
 * only, in RUN only) and the bytes it moved. After every step every shared
 * page reads exactly the model's bytes through the host view, so no
 * private byte ever reached one; the TDISP STATE register is the binding's
 * state, and an accept through the registers succeeds exactly with the
 * report's digest in LOCKED.
 */
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/privmem.h>
#include <privmem/protfd.h>
#include <privmem/uapi/iommufd.h>
#include <privmem/vmm.h>
#include "fuzz.h"

#define NPAGES 16
#define RAM (NPAGES * FZ_PG)
#define CANARY 0xc0ffeec0ffee5afeULL
#define MAX_STEPS 64
#define NR_PROBE 6
#define PROBE_PIO 0x1000ULL
#define PROBE_MMIO 0xfd000000ULL

struct range {
	bool live;
	enum pm_io_space space;
	uint64_t base, len;
};

struct engine_m {
	uint64_t src, dst, fault_addr;
	uint32_t len, status, count;
};

struct st {
	struct pm_gmem *g;
	uint8_t *view;
	struct pm_iommufd *ctx;
	uint32_t ioas;
	struct pm_iobus *bus;
	struct pm_iodev *probe;
	struct pm_protfd *pf;
	bool trusted; /* lock works (a digest library) */
	struct range r[NR_PROBE];
	struct engine_m e[2]; /* 0: untrusted, 1: trusted */
	bool priv[NPAGES];
	uint8_t bytes[RAM];
	struct pm_iobus_stats stats;

	/* What the probe device saw last. */
	int calls;
	enum pm_io_space last_space;
	uint64_t last_off;
	unsigned int last_len;
	bool last_write;
};

static bool base_fds[FZ_NFDS];
static uint8_t buf[RAM];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet_logs();
	fz_arena_init();
	return 0;
}

/* ------------------------------------------------------------ probe */

static int probe_access(void *opaque, enum pm_io_space space, uint64_t off,
			void *data, unsigned int len, bool write)
{
	struct st *s = opaque;

	s->calls++;
	s->last_space = space;
	s->last_off = off;
	s->last_len = len;
	s->last_write = write;
	if (off % 7 == 3)
		return -EIO; /* a device error, now and then */
	if (!write)
		memset(data, (int)(off & 0xff), len);
	return 0;
}

static const struct pm_iodev_ops probe_ops = { .access = probe_access };

/* ------------------------------------------------------------ pages */

static void canary_page(struct st *s, unsigned int p)
{
	struct pm_gmem_page pg;
	uint64_t *w;
	size_t i;

	FZ_CHECK(!pm_gmem_get_pfn(s->g, p * FZ_PG, 0, &pg) && pg.ptr,
		 "get_pfn of private page %u", p);
	w = pg.ptr;
	for (i = 0; i < FZ_PG / 8; i++)
		w[i] = CANARY;
	memcpy(s->bytes + p * FZ_PG, pg.ptr, FZ_PG);
	pm_gmem_put_pfn(s->g, &pg);
}

/* Every shared page is exactly the model: no private byte got there. */
static void check_pages(struct st *s)
{
	unsigned int p;

	for (p = 0; p < NPAGES; p++) {
		FZ_CHECK(pm_gmem_is_private(s->g, p * FZ_PG) == s->priv[p],
			 "page %u state", p);
		if (s->priv[p])
			continue;
		FZ_CHECK(!fz_read_nofault(buf, (uintptr_t)s->view + p * FZ_PG,
					  FZ_PG),
			 "shared page %u faults", p);
		FZ_CHECK(!memcmp(buf, s->bytes + p * FZ_PG, FZ_PG),
			 "shared page %u differs from the model", p);
	}
}

static void check_private(struct st *s, unsigned int p)
{
	struct pm_gmem_page pg;

	FZ_CHECK(!pm_gmem_get_pfn(s->g, p * FZ_PG, 0, &pg) && pg.ptr,
		 "get_pfn of private page %u", p);
	FZ_CHECK(!memcmp(pg.ptr, s->bytes + p * FZ_PG, FZ_PG),
		 "private page %u differs from the model", p);
	pm_gmem_put_pfn(s->g, &pg);
}

/* ------------------------------------------------------------ engines */

/* Can the engine (@t: trusted) reach [iova, iova + n)? The first IOVA it
 * cannot, or UINT64_MAX. */
static uint64_t reach(struct st *s, int t, uint64_t iova, uint64_t n)
{
	uint64_t a;

	for (a = iova; a < iova + n; a = (a / FZ_PG + 1) * FZ_PG) {
		if (a >= RAM)
			return a;
		if (t ? !s->priv[a / FZ_PG] : s->priv[a / FZ_PG])
			return a;
	}
	return UINT64_MAX;
}

/* A doorbell: what the engine must do, on the model. */
static void model_transfer(struct st *s, int t)
{
	struct engine_m *e = &s->e[t];
	uint64_t off, step, bad;
	bool run = !t || pm_protfd_state(s->pf) == PM_TDI_RUN;

	e->status = 0;
	e->fault_addr = 0;
	if (!e->len || e->len > PM_DMA_MAX_LEN) {
		e->status = PM_DMA_ST_ERROR |
			    (PM_DMA_ERR_LEN << PM_DMA_ST_REASON_SHIFT);
		return;
	}
	if (e->src + (e->len - 1) < e->src || e->dst + (e->len - 1) < e->dst) {
		e->status = PM_DMA_ST_ERROR |
			    (PM_DMA_ERR_RANGE << PM_DMA_ST_REASON_SHIFT);
		return;
	}
	for (off = 0; off < e->len; off += step) {
		step = e->len - off < 4096 ? e->len - off : 4096;
		bad = run ? reach(s, t, e->src + off, step) : e->src + off;
		if (bad != UINT64_MAX)
			goto fault; /* nothing of this step is written */
		bad = reach(s, t, e->dst + off, step);
		if (bad != UINT64_MAX) {
			/* DMA, as hardware's: the pages before the fault were
			 * written. */
			if (bad > e->dst + off)
				memmove(s->bytes + e->dst + off,
					s->bytes + e->src + off,
					bad - (e->dst + off));
			goto fault;
		}
		memmove(s->bytes + e->dst + off, s->bytes + e->src + off, step);
	}
	e->status = PM_DMA_ST_DONE;
	e->count++;
	return;
fault:
	/* The reason and the exact address are the IOMMU's. */
	e->status = PM_DMA_ST_ERROR;
	e->fault_addr = bad;
}

static uint32_t model_reg(struct engine_m *e, uint64_t off)
{
	switch (off) {
	case PM_DMA_SRC: return (uint32_t)e->src;
	case PM_DMA_SRC + 4: return (uint32_t)(e->src >> 32);
	case PM_DMA_DST: return (uint32_t)e->dst;
	case PM_DMA_DST + 4: return (uint32_t)(e->dst >> 32);
	case PM_DMA_LEN: return e->len;
	case PM_DMA_STATUS: return e->status;
	case PM_DMA_FAULT_ADDR: return (uint32_t)e->fault_addr;
	case PM_DMA_FAULT_ADDR + 4: return (uint32_t)(e->fault_addr >> 32);
	case PM_DMA_COUNT: return e->count;
	}
	return 0;
}

/* A 32-bit register write on the model: 0 or -EPERM. */
static int model_write(struct st *s, int t, uint64_t off, uint32_t v)
{
	struct engine_m *e = &s->e[t];

	switch (off) {
	case PM_DMA_SRC:
		e->src = (e->src & ~0xffffffffULL) | v;
		return 0;
	case PM_DMA_SRC + 4:
		e->src = (e->src & 0xffffffffULL) | ((uint64_t)v << 32);
		return 0;
	case PM_DMA_DST:
		e->dst = (e->dst & ~0xffffffffULL) | v;
		return 0;
	case PM_DMA_DST + 4:
		e->dst = (e->dst & 0xffffffffULL) | ((uint64_t)v << 32);
		return 0;
	case PM_DMA_LEN:
		e->len = v;
		return 0;
	case PM_DMA_DOORBELL:
		if (v == PM_DMA_GO)
			model_transfer(s, t);
		return 0;
	}
	return -EPERM;
}

/* After a transfer: STATUS as the model says, FAULT_ADDR where it could
 * be, and the pages. */
static void check_engine(struct st *s, int t, uint64_t base,
			 enum pm_io_space space)
{
	struct engine_m *e = &s->e[t];
	uint32_t v;
	uint64_t fa;
	int rc;

	rc = pm_iobus_dispatch(s->bus, space, base + PM_DMA_STATUS, &v, 4,
			       false);
	FZ_CHECK(!rc, "STATUS read: %d", rc);
	FZ_TRACE("engine %d: 0x%llx -> 0x%llx, 0x%x bytes: STATUS 0x%x "
		 "(model 0x%x)",
		 t, (unsigned long long)e->src, (unsigned long long)e->dst,
		 e->len, v, e->status);
	s->stats.mmio += space == PM_IO_MMIO;
	s->stats.pio += space == PM_IO_PIO;
	if (e->status & PM_DMA_ST_ERROR && !(e->status >> PM_DMA_ST_REASON_SHIFT)) {
		/* A fault: the IOMMU's reason, at an IOVA of the transfer. */
		FZ_CHECK((v & 0xff) == PM_DMA_ST_ERROR,
			 "engine %d: STATUS 0x%x, model: a fault", t, v);
		e->status = v;
		rc = pm_iobus_dispatch(s->bus, space, base + PM_DMA_FAULT_ADDR,
				       &v, 4, false);
		fa = v;
		rc |= pm_iobus_dispatch(s->bus, space,
					base + PM_DMA_FAULT_ADDR + 4, &v, 4,
					false);
		fa |= (uint64_t)v << 32;
		s->stats.mmio += 2 * (space == PM_IO_MMIO);
		s->stats.pio += 2 * (space == PM_IO_PIO);
		FZ_CHECK(!rc, "FAULT_ADDR read");
		FZ_CHECK((fa >= e->src && fa - e->src < e->len) ||
				 (fa >= e->dst && fa - e->dst < e->len),
			 "engine %d: FAULT_ADDR 0x%llx outside the transfer",
			 t, (unsigned long long)fa);
		e->fault_addr = fa;
	} else {
		FZ_CHECK(v == e->status, "engine %d: STATUS 0x%x, model 0x%x", t,
			 v, e->status);
	}
}

/* ------------------------------------------------------------ access */

static struct range *find(struct st *s, enum pm_io_space space,
			  uint64_t addr, uint64_t last, int *who)
{
	int i;

	*who = -1;
	if (space == PM_IO_PIO && addr <= PM_DMA_PIO_BASE + PM_DMA_REGS_SIZE - 1 &&
	    last >= PM_DMA_PIO_BASE) {
		*who = (addr >= PM_DMA_PIO_BASE &&
			last <= PM_DMA_PIO_BASE + PM_DMA_REGS_SIZE - 1) ?
			       0 :
			       -2;
		return NULL;
	}
	if (space == PM_IO_MMIO && addr <= PM_DMA_MMIO_BASE + PM_DMA_REGS_SIZE - 1 &&
	    last >= PM_DMA_MMIO_BASE) {
		*who = (addr >= PM_DMA_MMIO_BASE &&
			last <= PM_DMA_MMIO_BASE + PM_DMA_REGS_SIZE - 1) ?
			       0 :
			       -2;
		return NULL;
	}
	if (space == PM_IO_MMIO && s->pf &&
	    addr <= PM_TDEV_MMIO_BASE + PM_TDEV_REGS_SIZE - 1 &&
	    last >= PM_TDEV_MMIO_BASE) {
		*who = (addr >= PM_TDEV_MMIO_BASE &&
			last <= PM_TDEV_MMIO_BASE + PM_TDEV_REGS_SIZE - 1) ?
			       1 :
			       -2;
		return NULL;
	}
	for (i = 0; i < NR_PROBE; i++) {
		struct range *r = &s->r[i];

		if (!r->live || r->space != space || addr > r->base + (r->len - 1) ||
		    last < r->base)
			continue;
		*who = addr >= r->base && last <= r->base + (r->len - 1) ? 2 :
									   -2;
		return r;
	}
	return NULL;
}

/* One access, as a guest's exit would make it, predicted first. */
static void op_access(struct st *s, struct fz *f)
{
	uint8_t k = fz_u8(f), lk = fz_u8(f);
	enum pm_io_space space = k & 1 ? PM_IO_MMIO : PM_IO_PIO;
	static const unsigned int lens[] = { 4, 4, 4, 8, 1, 2, 3, 0 };
	unsigned int len = lens[lk % 8];
	uint64_t addr, last, base = 0, off = 0;
	uint8_t data[8];
	struct range *r;
	bool write = k & 2;
	int who, want, rc, t = 0;
	uint32_t lo, hi;

	switch ((k >> 2) % 6) {
	case 0: case 1:
		addr = (space == PM_IO_PIO ? PM_DMA_PIO_BASE : PM_DMA_MMIO_BASE) +
		       (fz_u8(f) % (PM_DMA_REGS_SIZE + 8));
		break;
	case 2:
		addr = PM_TDEV_MMIO_BASE + fz_u8(f) % (PM_TDEV_REGS_SIZE + 8);
		space = PM_IO_MMIO;
		break;
	case 3:
		addr = (space == PM_IO_PIO ? PROBE_PIO : PROBE_MMIO) +
		       fz_u16(f) % 512;
		break;
	case 4:
		addr = space == PM_IO_PIO ? 0xffffULL - fz_u8(f) % 8 :
					    UINT64_MAX - fz_u8(f) % 8;
		break;
	default:
		addr = fz_u64(f);
		if (space == PM_IO_PIO)
			addr &= 0x1ffff;
		break;
	}
	fz_bytes(f, data, 8);

	/* Predict the bus. */
	if (len != 1 && len != 2 && len != 4 && len != 8) {
		want = -EINVAL;
		who = -3;
	} else if (addr + (len - 1) < addr ||
		   (space == PM_IO_PIO && addr + (len - 1) > 0xffff)) {
		want = -ENOENT;
		who = -3;
		s->stats.unclaimed++;
	} else {
		last = addr + (len - 1);
		r = find(s, space, addr, last, &who);
		if (who < 0) {
			want = -ENOENT;
			s->stats.unclaimed++;
		} else {
			if (space == PM_IO_PIO)
				s->stats.pio++;
			else
				s->stats.mmio++;
			want = 0;
			if (who == 2) {
				base = r->base;
			} else {
				t = who;
				base = t ? PM_TDEV_MMIO_BASE :
				       space == PM_IO_PIO ? PM_DMA_PIO_BASE :
							    PM_DMA_MMIO_BASE;
			}
			off = addr - base;
		}
	}
	if (who == 2 && off % 7 == 3)
		want = -EIO;
	if (who == 0 || who == 1) {
		uint64_t size = t ? PM_TDEV_REGS_SIZE : PM_DMA_REGS_SIZE;

		if ((len != 4 && !(len == 8 && space == PM_IO_MMIO)) ||
		    off % len || off + len > size)
			want = -EINVAL;
		else if (off >= PM_DMA_REGS_SIZE)
			want = 1; /* TDISP registers: checked below */
		else if (write) {
			memcpy(&lo, data, 4);
			memcpy(&hi, data + 4, 4);
			want = len == 8 ? model_write(s, t, off + 4, hi) : 0;
			if (!want)
				want = model_write(s, t, off, lo);
		}
	}

	s->calls = 0;
	rc = pm_iobus_dispatch(s->bus, space, addr, data, len, write);
	if (want == 1) {
		/* TDISP: the state register is the binding's state. */
		FZ_CHECK(rc == 0 || rc == -EPERM || rc == -EINVAL,
			 "TDISP register 0x%llx: %d", (unsigned long long)off,
			 rc);
		if (!rc && !write && off == PM_TDEV_STATE) {
			memcpy(&lo, data, 4);
			FZ_CHECK(lo == (uint32_t)pm_protfd_state(s->pf),
				 "STATE %u, binding %d", lo,
				 pm_protfd_state(s->pf));
		}
		want = rc;
	}
	FZ_CHECK(rc == want,
		 "%s %s of %u at 0x%llx: %d, model %d (device %d)",
		 space == PM_IO_PIO ? "PIO" : "MMIO", write ? "write" : "read",
		 len, (unsigned long long)addr, rc, want, who);
	/* The bus counts the errors devices return. */
	if (rc && who >= 0)
		s->stats.errors++;
	if (who == 2) {
		FZ_CHECK(s->calls == 1 && s->last_space == space &&
				 s->last_off == off && s->last_len == len &&
				 s->last_write == write,
			 "probe called %d times at 0x%llx (model 0x%llx)",
			 s->calls, (unsigned long long)s->last_off,
			 (unsigned long long)off);
	} else {
		FZ_CHECK(!s->calls, "probe called for another device's access");
	}
	if ((who == 0 || who == 1) && !rc && !write && off < PM_DMA_REGS_SIZE &&
	    off != PM_DMA_STATUS && off != PM_DMA_FAULT_ADDR &&
	    off != PM_DMA_FAULT_ADDR + 4) {
		memcpy(&lo, data, 4);
		FZ_CHECK(lo == model_reg(&s->e[t], off),
			 "engine %d register 0x%llx: 0x%x, model 0x%x", t,
			 (unsigned long long)off, lo, model_reg(&s->e[t], off));
	}
	if ((who == 0 || who == 1) && write && !rc &&
	    (off == PM_DMA_DOORBELL || (len == 8 && off + 4 == PM_DMA_DOORBELL)))
		check_engine(s, t, base, space);
}

/* The probe's ranges: map and unmap, predicted. */
static void op_map(struct st *s, struct fz *f)
{
	uint8_t k = fz_u8(f);
	struct range *r = &s->r[k % NR_PROBE];
	enum pm_io_space space = k & 8 ? PM_IO_MMIO : PM_IO_PIO;
	uint64_t base, len, last;
	int who, rc, want, i;

	if (r->live && k & 16) {
		rc = pm_iodev_unmap(s->probe, r->space, r->base);
		FZ_CHECK(!rc, "unmap of a live range: %d", rc);
		r->live = false;
		FZ_CHECK(pm_iodev_unmap(s->probe, r->space, r->base) == -ENOENT,
			 "unmapped twice");
		return;
	}
	if (r->live)
		return;
	base = (space == PM_IO_PIO ? PROBE_PIO : PROBE_MMIO) +
	       fz_u16(f) % 384;
	len = 1 + fz_u8(f) % 64;
	if (k > 240) {
		base = fz_u64(f);
		len = fz_u64(f);
	}
	if (k > 230 && k <= 240)
		base = space == PM_IO_PIO ? PM_DMA_PIO_BASE + 4 : PM_DMA_MMIO_BASE;
	/* Predict. */
	if (!len)
		want = -EINVAL;
	else if (base + (len - 1) < base)
		want = -EOVERFLOW;
	else if (space == PM_IO_PIO && base + (len - 1) > 0xffff)
		want = -EINVAL;
	else {
		last = base + (len - 1);
		want = 0;
		find(s, space, base, last, &who);
		if (who != -1)
			want = -EEXIST;
		for (i = 0; i < NR_PROBE && !want; i++)
			if (s->r[i].live && s->r[i].space == space &&
			    base <= s->r[i].base + (s->r[i].len - 1) &&
			    last >= s->r[i].base)
				want = -EEXIST;
	}
	rc = pm_iodev_map(s->probe, space, base, len);
	FZ_CHECK(rc == want, "map 0x%llx +0x%llx: %d, model %d",
		 (unsigned long long)base, (unsigned long long)len, rc, want);
	if (!rc)
		*r = (struct range){ true, space, base, len };
}

/* A conversion, as a guest's request would make it. */
static void op_convert(struct st *s, struct fz *f)
{
	uint8_t k = fz_u8(f);
	unsigned int a = fz_u8(f) % NPAGES, n = 1 + fz_u8(f) % 4, p;
	bool to_priv = k & 1;
	int rc;

	if (a + n > NPAGES)
		n = NPAGES - a;
	rc = pm_gmem_convert(s->g, a * FZ_PG, n * FZ_PG,
			     to_priv ? PM_GMEM_PRIVATE : PM_GMEM_SHARED, 0,
			     NULL);
	FZ_CHECK(!rc, "convert: %d", rc);
	for (p = a; p < a + n; p++) {
		if (s->priv[p] == to_priv)
			continue;
		s->priv[p] = to_priv;
		if (to_priv)
			canary_page(s, p);
		else
			memset(s->bytes + p * FZ_PG, 0, FZ_PG);
	}
}

/* The VMM's side of the binding: lock, stop, error; the guest's accept
 * through the registers. */
static void op_binding(struct st *s, struct fz *f)
{
	uint8_t k = fz_u8(f);
	struct pm_tdi_report rep;
	uint8_t digest[PM_TDEV_DIGEST_LEN];
	enum pm_tdi_state before;
	uint32_t v, i;
	int rc;

	if (!s->trusted)
		return;
	before = pm_protfd_state(s->pf);
	switch (k % 4) {
	case 0:
		pm_protfd_lock(s->pf);
		break;
	case 1:
		pm_protfd_stop(s->pf);
		break;
	case 2:
		pm_protfd_error(s->pf);
		break;
	default:
		/* The guest copies the report's digest (or garbage) and
		 * accepts. */
		if (pm_protfd_get_report(s->pf, &rep))
			memset(rep.digest, 0, sizeof(rep.digest));
		memcpy(digest, rep.digest, sizeof(digest));
		if (k & 4)
			digest[k % sizeof(digest)] ^= 1 + (k >> 3);
		for (i = 0; i < PM_TDEV_DIGEST_LEN; i += 4) {
			memcpy(&v, digest + i, 4);
			rc = pm_iobus_dispatch(s->bus, PM_IO_MMIO,
					       PM_TDEV_MMIO_BASE +
						       PM_TDEV_DIGEST + i,
					       &v, 4, true);
			FZ_CHECK(!rc, "DIGEST write: %d", rc);
		}
		v = PM_TDEV_CMD_ACCEPT;
		rc = pm_iobus_dispatch(s->bus, PM_IO_MMIO,
				       PM_TDEV_MMIO_BASE + PM_TDEV_CMD, &v, 4,
				       true);
		FZ_CHECK(!rc, "CMD write: %d", rc);
		rc = pm_iobus_dispatch(s->bus, PM_IO_MMIO,
				       PM_TDEV_MMIO_BASE + PM_TDEV_RESULT, &v,
				       4, false);
		FZ_CHECK(!rc, "RESULT read: %d", rc);
		s->stats.mmio += PM_TDEV_DIGEST_LEN / 4 + 2;
		if (before == PM_TDI_LOCKED && !(k & 4))
			FZ_CHECK(v == 0 && pm_protfd_state(s->pf) == PM_TDI_RUN,
				 "accept of the report's digest: %d", (int)v);
		else if (before == PM_TDI_LOCKED)
			FZ_CHECK((int)v == -EKEYREJECTED &&
					 pm_protfd_state(s->pf) ==
						 PM_TDI_LOCKED,
				 "accept of a wrong digest: %d", (int)v);
		else
			FZ_CHECK((int)v < 0 && pm_protfd_state(s->pf) == before,
				 "accept in state %d: %d", before, (int)v);
		break;
	}
	/* Out of RUN: the trusted path holds nothing any more. */
	if (pm_protfd_state(s->pf) != PM_TDI_RUN) {
		struct pm_protfd_stats ps;

		FZ_CHECK(!pm_protfd_get_stats(s->pf, &ps) &&
				 ps.trusted_held == 0,
			 "pages still held outside RUN");
	}
}

static void op_reset(struct st *s)
{
	pm_iobus_reset(s->bus);
	memset(s->e, 0, sizeof(s->e));
	/* The trusted engine's reset revokes and locks again. */
	if (s->trusted)
		FZ_CHECK(pm_protfd_state(s->pf) == PM_TDI_LOCKED,
			 "trusted engine after reset: state %d",
			 pm_protfd_state(s->pf));
}

/* ------------------------------------------------------------ main */

static void setup(struct st *s, uint8_t first)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_MEMFD,
		.size = RAM,
		.vm_fd = -1,
		.fd = -1,
		.name = "fuzz-vmm-ram",
	};
	uint64_t iova = 0;
	unsigned int p;
	int rc;

	FZ_CHECK(!pm_gmem_create(&cfg, &s->g), "store");
	s->view = pm_gmem_host_view(s->g);
	for (p = 0; p < RAM; p++)
		s->bytes[p] = (uint8_t)(p * 11 + (p >> 12) + 1);
	memcpy(s->view, s->bytes, RAM);
	for (p = 0; p < NPAGES; p++) {
		if (!(first >> (p % 8) & 1) || p % 3)
			continue;
		FZ_CHECK(!pm_gmem_convert(s->g, p * FZ_PG, FZ_PG,
					  PM_GMEM_PRIVATE, 0, NULL),
			 "convert");
		s->priv[p] = true;
		canary_page(s, p);
	}
	FZ_CHECK(!pm_iommufd_open(&s->ctx), "open");
	FZ_CHECK(!pm_ioas_alloc(s->ctx, &s->ioas), "ioas");
	rc = pm_ioas_map_gmem(s->ctx, s->ioas, s->g, 0, RAM, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA |
				      IOMMU_IOAS_MAP_READABLE |
				      IOMMU_IOAS_MAP_WRITEABLE);
	FZ_CHECK(!rc, "RAM at IOVA 0: %d", rc);
	FZ_CHECK(!pm_iobus_create(&s->bus), "bus");
	FZ_CHECK(!pm_dma_engine_create(s->bus, s->ctx, s->ioas,
				       PM_DMA_PIO_BASE, PM_DMA_MMIO_BASE, NULL),
		 "engine");
	rc = pm_trusted_dma_engine_create(s->bus, s->ctx, s->ioas, s->g, 0,
					  PM_TDEV_MMIO_BASE, NULL, &s->pf);
	FZ_CHECK(!rc, "trusted engine: %d", rc);
	rc = pm_protfd_lock(s->pf);
	s->trusted = rc == 0;
	FZ_CHECK(!rc || rc == -EOPNOTSUPP, "lock: %d", rc);
	FZ_CHECK(!pm_iobus_add_device(s->bus, "probe", &probe_ops, s,
				      &s->probe),
		 "probe");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct st st;
	struct st *s = &st;
	struct fz in = { data, size };
	struct pm_iobus_stats bs;
	bool now[FZ_NFDS];
	int i, step;

	fz_fds(base_fds);
	memset(s, 0, sizeof(*s));
	setup(s, fz_u8(&in));
	check_pages(s);
	for (step = 0; step < MAX_STEPS && fz_more(&in); step++) {
		uint8_t op = fz_u8(&in);

		switch (op % 10) {
		case 0: case 1: case 2: case 3: case 4:
			op_access(s, &in);
			break;
		case 5: op_map(s, &in); break;
		case 6: op_convert(s, &in); break;
		case 7: op_binding(s, &in); break;
		case 8: if (op > 200) op_reset(s); break;
		default:
			check_private(s, fz_u8(&in) % NPAGES);
			break;
		}
		check_pages(s);
		FZ_CHECK(!pm_iobus_get_stats(s->bus, &bs), "stats");
		FZ_CHECK(bs.pio == s->stats.pio && bs.mmio == s->stats.mmio &&
				 bs.unclaimed == s->stats.unclaimed &&
				 bs.errors == s->stats.errors,
			 "bus stats pio %llu mmio %llu unclaimed %llu errors "
			 "%llu; model %llu %llu %llu %llu",
			 (unsigned long long)bs.pio, (unsigned long long)bs.mmio,
			 (unsigned long long)bs.unclaimed,
			 (unsigned long long)bs.errors,
			 (unsigned long long)s->stats.pio,
			 (unsigned long long)s->stats.mmio,
			 (unsigned long long)s->stats.unclaimed,
			 (unsigned long long)s->stats.errors);
	}
	for (i = 0; i < NPAGES; i++)
		if (s->priv[i])
			check_private(s, (unsigned int)i);
	/* The bus owns the engines (and the binding): one call frees all. */
	pm_iobus_destroy(s->bus);
	pm_iommufd_close(s->ctx);
	pm_gmem_close(s->g);
	fz_fds(now);
	for (i = 0; i < FZ_NFDS; i++)
		FZ_CHECK(now[i] == base_fds[i], "fd %d %s at the end", i,
			 now[i] ? "left open" : "closed");
	return 0;
}
