// SPDX-License-Identifier: MIT
/*
 * The test guest: a freestanding 64-bit payload that drives privmem's
 * guarantees from inside a VM and reports each result to the VMM.
 *
 * It runs the tests selected in its parameter block (vmm_abi.h), in the
 * order of enum pm_guest_test: it writes patterns into its pages, asks for
 * conversions (MAP_GPA_RANGE, by hypercall or doorbell as the VMM says),
 * asks the host to check what the host sees (PM_REPORT_CHECK), programs
 * the DMA engine, and reports a PM_REPORT_RESULT per test. vCPU 0 runs the
 * single-vCPU tests; every vCPU takes part in PM_GT_BOOT and
 * PM_GT_MULTI_VCPU.
 *
 * Pages: test page i is test_base + i * granule (a granule is the store's
 * conversion unit, 4 KiB or 2 MiB); the benchmark's and each vCPU's pages
 * follow, 2 MiB aligned. All guest RAM starts private.
 */
#include <stdint.h>
#include <privmem/vmm_abi.h>

#define PAGE 4096ULL
#define SZ_2M (2ULL << 20)
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((a)-1))

/* The PM_GT_* ids, spelled as bits. */
#define T(id) (1ULL << (id))

enum {
	PG_TO_PRIVATE = 0,
	PG_BACK_ZEROED = 1,
	PG_HOST_READ = 2,
	PG_DMA_PRIV_SRC = 3,
	PG_DMA_PRIV_DST = 4,
	PG_DMA_SRC = 5,
	PG_DMA_DST = 6,
	PG_MEMSLOT = 7,
	PG_MAP_ALL = 8,
	PG_BAD = 9,
	PG_TDMA_SRC = 10,
	PG_TDMA_DST = 11,
	PG_TDMA_SHARED = 12,
	PG_BAR_RAM = 13,
	NR_TEST_PAGES = 16,
};

static const struct pm_guest_params *params;
static uint32_t arrived; /* the multi-vCPU barrier */

/* ------------------------------------------------------------------ */
/* Port I/O and the register-carried calls.                            */

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

/* RAX = code, RBX, RCX, RDX, RSI = arguments, OUT to @port; RAX back. */
#define PV_CALL(port, code, a0, a1, a2, a3)                                  \
	({                                                                   \
		uint64_t __r;                                                \
		__asm__ volatile("outb %%al, %[p]"                           \
				 : "=a"(__r)                                 \
				 : [p] "i"(port), "a"((uint64_t)(code)),     \
				   "b"((uint64_t)(a0)), "c"((uint64_t)(a1)), \
				   "d"((uint64_t)(a2)), "S"((uint64_t)(a3))  \
				 : "memory");                                \
		__r;                                                         \
	})

static uint64_t report(uint64_t code, uint64_t a0, uint64_t a1, uint64_t a2,
		       uint64_t a3)
{
	return PV_CALL(PM_PORT_REPORT, code, a0, a1, a2, a3);
}

static void result(uint64_t test, uint64_t fail, uint64_t a2, uint64_t a3)
{
	report(PM_REPORT_RESULT, test, fail, a2, a3);
}

static int host_says(uint64_t what, uint64_t gpa, uint64_t len, uint64_t seed)
{
	return report(PM_REPORT_CHECK, what, gpa, len, seed) == 1;
}

static void puts_(const char *s)
{
	while (*s)
		outb(PM_PORT_CONSOLE, (uint8_t)*s++);
	outb(PM_PORT_CONSOLE, '\n');
}

static uint64_t hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t r;

	switch (params->hc_mode) {
	case PM_HC_MODE_VMCALL:
		__asm__ volatile("vmcall"
				 : "=a"(r)
				 : "a"(nr), "b"(a0), "c"(a1), "d"(a2)
				 : "memory");
		return r;
	case PM_HC_MODE_VMMCALL:
		__asm__ volatile("vmmcall"
				 : "=a"(r)
				 : "a"(nr), "b"(a0), "c"(a1), "d"(a2)
				 : "memory");
		return r;
	}
	return PV_CALL(PM_PORT_HYPERCALL, nr, a0, a1, a2, 0);
}

/* Ask for [gpa, gpa + len) to become private or shared: 0 or -errno. */
static int64_t convert(uint64_t gpa, uint64_t len, int to_private)
{
	return (int64_t)hypercall(PM_HC_MAP_GPA_RANGE, gpa, len / PAGE,
				  to_private ? PM_MAP_GPA_PRIVATE : 0);
}

/* ------------------------------------------------------------------ */
/* Memory.                                                             */

/*
 * Guest memory is touched sparingly: on kvm_pvm a guest executes about a
 * million instructions a second (measured: a 5-instruction loop runs at
 * 5 us an iteration), so filling 2 MiB word by word would take a second.
 * The guest writes and checks sample words (vmm_abi.h), the first, middle
 * and last of every 4 KiB page; the host's zero checks read whole pages.
 */
#define NR_SAMPLES PM_GUEST_NR_SAMPLES
#define sample_off(i) PM_GUEST_SAMPLE_OFF(i)

static void fill(uint64_t gpa, uint64_t len, uint64_t seed)
{
	uint64_t pg, i;

	for (pg = gpa; pg < gpa + len; pg += PAGE)
		for (i = 0; i < NR_SAMPLES; i++)
			*(volatile uint64_t *)(pg + sample_off(i)) =
				pm_guest_pattern(pg + sample_off(i), seed);
}

/* Does [gpa, +len) hold the samples that were written at @from? */
static int holds(uint64_t gpa, uint64_t len, uint64_t from, uint64_t seed)
{
	uint64_t off, i;

	for (off = 0; off < len; off += PAGE)
		for (i = 0; i < NR_SAMPLES; i++)
			if (*(volatile uint64_t *)(gpa + off + sample_off(i)) !=
			    pm_guest_pattern(from + off + sample_off(i), seed))
				return 0;
	return 1;
}

static int is_zero(uint64_t gpa, uint64_t len)
{
	uint64_t pg, i;

	for (pg = gpa; pg < gpa + len; pg += PAGE)
		for (i = 0; i < NR_SAMPLES; i++)
			if (*(volatile uint64_t *)(pg + sample_off(i)))
				return 0;
	return 1;
}

static uint64_t page(unsigned int i)
{
	return params->test_base + i * params->granule;
}

static uint64_t bench_base(void)
{
	return ALIGN_UP(page(NR_TEST_PAGES), SZ_2M);
}

static uint64_t vcpu_page(uint32_t vcpu)
{
	uint64_t bench = params->bench_len > SZ_2M ? params->bench_len : SZ_2M;

	return bench_base() + ALIGN_UP(bench, SZ_2M) + vcpu * params->granule;
}

/* ------------------------------------------------------------------ */
/* The DMA engine.                                                     */

static int dma_mmio_mode;

static void dma_w32(uint32_t off, uint32_t v)
{
	if (dma_mmio_mode)
		*(volatile uint32_t *)(params->dma_mmio + off) = v;
	else
		outl((uint16_t)(params->dma_pio + off), v);
}

static uint32_t dma_r32(uint32_t off)
{
	if (dma_mmio_mode)
		return *(volatile uint32_t *)(params->dma_mmio + off);
	return inl((uint16_t)(params->dma_pio + off));
}

/* Copy by DMA; returns STATUS. */
static uint32_t dma_copy(uint64_t src, uint64_t dst, uint32_t len)
{
	if (dma_mmio_mode) {
		/* 64-bit MMIO writes for the addresses. */
		*(volatile uint64_t *)(params->dma_mmio + PM_DMA_SRC) = src;
		*(volatile uint64_t *)(params->dma_mmio + PM_DMA_DST) = dst;
	} else {
		dma_w32(PM_DMA_SRC, (uint32_t)src);
		dma_w32(PM_DMA_SRC + 4, (uint32_t)(src >> 32));
		dma_w32(PM_DMA_DST, (uint32_t)dst);
		dma_w32(PM_DMA_DST + 4, (uint32_t)(dst >> 32));
	}
	dma_w32(PM_DMA_LEN, len);
	dma_w32(PM_DMA_DOORBELL, PM_DMA_GO);
	return dma_r32(PM_DMA_STATUS);
}

static uint64_t dma_fault_addr(void)
{
	return dma_r32(PM_DMA_FAULT_ADDR) |
	       ((uint64_t)dma_r32(PM_DMA_FAULT_ADDR + 4) << 32);
}

static int have_dma(void)
{
	return params->dma_mmio || params->dma_pio;
}

static void dma_use(int mmio)
{
	dma_mmio_mode = mmio ? params->dma_mmio != 0 : params->dma_pio == 0;
}

#define PRIVATE_FAULT \
	(PM_DMA_ST_ERROR | (3U << PM_DMA_ST_REASON_SHIFT)) /* private */
#define SHARED_FAULT \
	(PM_DMA_ST_ERROR | (7U << PM_DMA_ST_REASON_SHIFT)) /* T=1, shared */

/* ------------------------------------------------------------------ */
/* The trusted DMA engine (MMIO only).                                 */

static uint32_t tdev_r32(uint32_t off)
{
	return *(volatile uint32_t *)(params->tdev_mmio + off);
}

static void tdev_w32(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(params->tdev_mmio + off) = v;
}

/* Trusted (T=1) copy; returns STATUS. */
static uint32_t tdma_copy(uint64_t src, uint64_t dst, uint32_t len)
{
	*(volatile uint64_t *)(params->tdev_mmio + PM_DMA_SRC) = src;
	*(volatile uint64_t *)(params->tdev_mmio + PM_DMA_DST) = dst;
	tdev_w32(PM_DMA_LEN, len);
	tdev_w32(PM_DMA_DOORBELL, PM_DMA_GO);
	return tdev_r32(PM_DMA_STATUS);
}

/* Word @i of the digest the guest was told to expect. */
static uint32_t expected_word(unsigned int i)
{
	return (uint32_t)(params->tdi_digest[i / 2] >> (32 * (i % 2)));
}

/* Write @flip ^ the expected digest into DIGEST and ring ACCEPT. */
static int32_t tdi_accept(uint32_t flip)
{
	unsigned int i;

	for (i = 0; i < PM_TDEV_DIGEST_LEN / 4; i++)
		tdev_w32(PM_TDEV_DIGEST + 4 * i, expected_word(i) ^ flip);
	tdev_w32(PM_TDEV_CMD, PM_TDEV_CMD_ACCEPT);
	return (int32_t)tdev_r32(PM_TDEV_RESULT);
}

/* Write the samples of the pattern for @as (not @gpa) at @gpa. */
static void fill_as(uint64_t gpa, uint64_t len, uint64_t as, uint64_t seed)
{
	uint64_t off, i;

	for (off = 0; off < len; off += PAGE)
		for (i = 0; i < NR_SAMPLES; i++)
			*(volatile uint64_t *)(gpa + off + sample_off(i)) =
				pm_guest_pattern(as + off + sample_off(i), seed);
}

/* ------------------------------------------------------------------ */
/* The tests. Each returns after reporting its result.                 */

#define CONVERT_OR_FAIL(test, gpa, len, priv)                                 \
	do {                                                                  \
		int64_t __rc = convert((gpa), (len), (priv));                 \
		if (__rc) {                                                   \
			result((test), PM_GF_CONVERT, (uint64_t)__rc, (gpa)); \
			return;                                               \
		}                                                             \
	} while (0)

static void t_memslot(void)
{
	uint64_t p = page(PG_MEMSLOT);

	/* A private page the VMM never wrote: the guest writes it, and the
	 * host finds the bytes in the private backing (the guest_memfd). */
	fill(p, PAGE, 0x51);
	if (!host_says(PM_CHECK_TRUSTED_PATTERN, p, PAGE, 0x51))
		return result(PM_GT_MEMSLOT, PM_GF_HOST_CHECK, 1, p);
	if (!host_says(PM_CHECK_PRIVATE, p, params->granule, 0))
		return result(PM_GT_MEMSLOT, PM_GF_HOST_CHECK, 2, p);
	result(PM_GT_MEMSLOT, 0, 0, p);
}

static void t_map_all(void)
{
	uint64_t last = params->mem_size - params->granule;
	uint64_t p = page(PG_MAP_ALL);
	uint32_t st;

	if (!have_dma())
		return result(PM_GT_MAP_ALL, PM_GF_NO_DEVICE, 0, 0);
	CONVERT_OR_FAIL(PM_GT_MAP_ALL, p, params->granule, 0);
	CONVERT_OR_FAIL(PM_GT_MAP_ALL, last, params->granule, 0);
	fill(p, PAGE, 0x81);
	dma_use(1);
	/* To the last page of RAM and back: IOVA = GPA end to end. */
	st = dma_copy(p, last + params->granule - PAGE, PAGE);
	if (st != PM_DMA_ST_DONE)
		return result(PM_GT_MAP_ALL, PM_GF_DMA_STATUS, st, last);
	if (!holds(last + params->granule - PAGE, PAGE, p, 0x81))
		return result(PM_GT_MAP_ALL, PM_GF_CONTENT, 1, last);
	fill(last, PAGE, 0x82);
	st = dma_copy(last, p + PAGE * (params->granule > PAGE), PAGE);
	if (st != PM_DMA_ST_DONE)
		return result(PM_GT_MAP_ALL, PM_GF_DMA_STATUS, st, p);
	if (!holds(p + PAGE * (params->granule > PAGE), PAGE, last, 0x82))
		return result(PM_GT_MAP_ALL, PM_GF_CONTENT, 2, p);
	CONVERT_OR_FAIL(PM_GT_MAP_ALL, p, params->granule, 1);
	CONVERT_OR_FAIL(PM_GT_MAP_ALL, last, params->granule, 1);
	result(PM_GT_MAP_ALL, 0, 0, last);
}

static void t_to_private(void)
{
	uint64_t p = page(PG_TO_PRIVATE), g = params->granule;

	CONVERT_OR_FAIL(PM_GT_TO_PRIVATE, p, g, 0);
	if (!is_zero(p, g))
		return result(PM_GT_TO_PRIVATE, PM_GF_NOT_ZERO, 1, p);
	fill(p, g, 0x10);
	if (!host_says(PM_CHECK_SHARED_PATTERN, p, g, 0x10))
		return result(PM_GT_TO_PRIVATE, PM_GF_HOST_CHECK, 1, p);
	CONVERT_OR_FAIL(PM_GT_TO_PRIVATE, p, g, 1);
	/* Content discarded: nothing of the shared bytes came along. */
	if (!is_zero(p, g))
		return result(PM_GT_TO_PRIVATE, PM_GF_NOT_ZERO, 2, p);
	fill(p, g, 0x11);
	if (!holds(p, g, p, 0x11))
		return result(PM_GT_TO_PRIVATE, PM_GF_CONTENT, 0, p);
	if (!host_says(PM_CHECK_PRIVATE, p, g, 0))
		return result(PM_GT_TO_PRIVATE, PM_GF_HOST_CHECK, 2, p);
	if (!host_says(PM_CHECK_TRUSTED_PATTERN, p, g, 0x11))
		return result(PM_GT_TO_PRIVATE, PM_GF_HOST_CHECK, 3, p);
	result(PM_GT_TO_PRIVATE, 0, 0, p);
}

static void t_host_read(void)
{
	uint64_t p = page(PG_HOST_READ), g = params->granule;

	fill(p, g, 0x22);
	if (!host_says(PM_CHECK_HOST_READ_FAULTS, p, g, 0x22))
		return result(PM_GT_HOST_READ, PM_GF_HOST_CHECK, 1, p);
	/* The host's attempts left the secret alone. */
	if (!holds(p, g, p, 0x22))
		return result(PM_GT_HOST_READ, PM_GF_CONTENT, 0, p);
	result(PM_GT_HOST_READ, 0, 0, p);
}

static void t_dma_private(void)
{
	uint64_t s = page(PG_DMA_PRIV_SRC), d = page(PG_DMA_PRIV_DST);
	uint32_t st;

	if (!have_dma())
		return result(PM_GT_DMA_PRIVATE, PM_GF_NO_DEVICE, 0, 0);
	fill(s, PAGE, 0x33);
	CONVERT_OR_FAIL(PM_GT_DMA_PRIVATE, d, params->granule, 0);
	dma_use(1);
	/* Reading a private page: the IOMMU has no translation for it. */
	st = dma_copy(s, d, PAGE);
	if (st != PRIVATE_FAULT)
		return result(PM_GT_DMA_PRIVATE, PM_GF_DMA_STATUS, st, 1);
	if (dma_fault_addr() != s)
		return result(PM_GT_DMA_PRIVATE, PM_GF_DMA_STATUS,
			      dma_fault_addr(), 2);
	if (!is_zero(d, PAGE))
		return result(PM_GT_DMA_PRIVATE, PM_GF_NOT_ZERO, 3, d);
	/* Writing one, through the port window this time. */
	fill(d, PAGE, 0x44);
	dma_use(0);
	st = dma_copy(d, s, PAGE);
	if (st != PRIVATE_FAULT)
		return result(PM_GT_DMA_PRIVATE, PM_GF_DMA_STATUS, st, 4);
	if (dma_fault_addr() != s)
		return result(PM_GT_DMA_PRIVATE, PM_GF_DMA_STATUS,
			      dma_fault_addr(), 5);
	if (!holds(s, PAGE, s, 0x33))
		return result(PM_GT_DMA_PRIVATE, PM_GF_CONTENT, 6, s);
	CONVERT_OR_FAIL(PM_GT_DMA_PRIVATE, d, params->granule, 1);
	result(PM_GT_DMA_PRIVATE, 0, 0, s);
}

static void t_dma_shared(void)
{
	uint64_t s = page(PG_DMA_SRC), d = page(PG_DMA_DST);
	uint64_t len = params->granule < 64 * 1024 ? params->granule :
						     64 * 1024;
	uint32_t st;

	if (!have_dma())
		return result(PM_GT_DMA_SHARED, PM_GF_NO_DEVICE, 0, 0);
	CONVERT_OR_FAIL(PM_GT_DMA_SHARED, s, params->granule, 0);
	CONVERT_OR_FAIL(PM_GT_DMA_SHARED, d, params->granule, 0);
	fill(s, len, 0x55);
	dma_use(1);
	st = dma_copy(s, d, (uint32_t)len);
	if (st != PM_DMA_ST_DONE)
		return result(PM_GT_DMA_SHARED, PM_GF_DMA_STATUS, st, 1);
	if (!holds(d, len, s, 0x55))
		return result(PM_GT_DMA_SHARED, PM_GF_CONTENT, 1, d);
	/* The host view sees what the device wrote. */
	fill(s, PAGE, 0x56);
	st = dma_copy(s, s + PAGE, PAGE);
	if (st != PM_DMA_ST_DONE || !holds(s + PAGE, PAGE, s, 0x56))
		return result(PM_GT_DMA_SHARED, PM_GF_DMA_STATUS, st, 2);
	/* And through the port window. */
	fill(d, PAGE, 0x66);
	dma_use(0);
	st = dma_copy(d, s, PAGE);
	if (st != PM_DMA_ST_DONE)
		return result(PM_GT_DMA_SHARED, PM_GF_DMA_STATUS, st, 3);
	if (!holds(s, PAGE, d, 0x66))
		return result(PM_GT_DMA_SHARED, PM_GF_CONTENT, 3, s);
	fill(d, PAGE, 0x67);
	if (!host_says(PM_CHECK_SHARED_PATTERN, d, PAGE, 0x67))
		return result(PM_GT_DMA_SHARED, PM_GF_HOST_CHECK, 4, d);
	CONVERT_OR_FAIL(PM_GT_DMA_SHARED, s, params->granule, 1);
	CONVERT_OR_FAIL(PM_GT_DMA_SHARED, d, params->granule, 1);
	result(PM_GT_DMA_SHARED, 0, len, d);
}

static void t_back_zeroed(void)
{
	uint64_t p = page(PG_BACK_ZEROED), g = params->granule;

	fill(p, g, 0x77);
	CONVERT_OR_FAIL(PM_GT_BACK_ZEROED, p, g, 0);
	if (!is_zero(p, g))
		return result(PM_GT_BACK_ZEROED, PM_GF_NOT_ZERO, 1, p);
	if (!host_says(PM_CHECK_SHARED_ZERO, p, g, 0))
		return result(PM_GT_BACK_ZEROED, PM_GF_HOST_CHECK, 1, p);
	CONVERT_OR_FAIL(PM_GT_BACK_ZEROED, p, g, 1);
	if (!is_zero(p, g))
		return result(PM_GT_BACK_ZEROED, PM_GF_NOT_ZERO, 2, p);
	result(PM_GT_BACK_ZEROED, 0, 0, p);
}

static void t_bad_request(void)
{
	uint64_t p = page(PG_BAD), g = params->granule;
	struct {
		uint64_t gpa, len;
	} bad[] = {
		{ p + 8, g }, /* misaligned */
		{ params->mem_size, g }, /* past RAM */
		{ p, 0 }, /* empty */
		{ 0xfffffffffffff000ULL, 2 * PAGE }, /* wraps */
		{ p, g + PAGE }, /* not whole granules... */
	};
	unsigned int i, n = sizeof(bad) / sizeof(bad[0]);

	/* ...only when the granule is bigger than a page. */
	if (g == PAGE)
		n--;
	fill(p, PAGE, 0x99);
	for (i = 0; i < n; i++)
		if (convert(bad[i].gpa, bad[i].len, 0) == 0)
			return result(PM_GT_BAD_REQUEST, PM_GF_BAD_ACCEPTED, i,
				      bad[i].gpa);
	/* Nothing changed: still private, the content intact. */
	if (!holds(p, PAGE, p, 0x99))
		return result(PM_GT_BAD_REQUEST, PM_GF_CONTENT, 0, p);
	if (!host_says(PM_CHECK_PRIVATE, p, g, 0))
		return result(PM_GT_BAD_REQUEST, PM_GF_HOST_CHECK, 0, p);
	result(PM_GT_BAD_REQUEST, 0, n, p);
}

/*
 * The guest's side of TDISP: the device is LOCKED by the VMM; the guest
 * reads its report, compares it with the digest it was told to expect,
 * sees a wrong digest refused, and accepts with the right one.
 */
static void t_trusted_accept(void)
{
	uint32_t st, w;
	int32_t rc;
	unsigned int i;

	if (!params->tdev_mmio)
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_NO_DEVICE, 0, 0);
	st = tdev_r32(PM_TDEV_STATE);
	if (st != 1) /* LOCKED */
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_TDI_STATE, st, 1);
	for (i = 0; i < PM_TDEV_DIGEST_LEN / 4; i++) {
		w = tdev_r32(PM_TDEV_REPORT + 4 * i);
		if (w != expected_word(i))
			return result(PM_GT_TRUSTED_ACCEPT, PM_GF_TDI_REPORT, i,
				      w);
	}
	/* Not yet accepted: trusted DMA does not run. */
	st = tdma_copy(page(PG_TDMA_SRC), page(PG_TDMA_DST), 8);
	if (st != (PM_DMA_ST_ERROR | (6U << PM_DMA_ST_REASON_SHIFT)))
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_DMA_STATUS, st, 2);
	/* A digest other than the report's is refused; still LOCKED. */
	rc = tdi_accept(0x1);
	if (rc != -PM_TDEV_EKEYREJECTED)
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_TDI_RESULT,
			      (uint64_t)(int64_t)rc, 3);
	st = tdev_r32(PM_TDEV_STATE);
	if (st != 1)
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_TDI_STATE, st, 4);
	rc = tdi_accept(0);
	if (rc)
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_TDI_RESULT,
			      (uint64_t)(int64_t)rc, 5);
	st = tdev_r32(PM_TDEV_STATE);
	if (st != 2) /* RUN */
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_TDI_STATE, st, 6);
	if (!host_says(PM_CHECK_TDI_RUN, 0, 0, 0))
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_HOST_CHECK, 7, 0);
	/* Accepting twice is refused. */
	rc = tdi_accept(0);
	if (rc != -16) /* -EBUSY */
		return result(PM_GT_TRUSTED_ACCEPT, PM_GF_TDI_RESULT,
			      (uint64_t)(int64_t)rc, 8);
	result(PM_GT_TRUSTED_ACCEPT, 0, 0, 0);
}

/*
 * Trusted DMA between two private pages the guest owns; the untrusted
 * engine still faults on them; trusted DMA does not reach shared pages.
 */
static void t_trusted_dma(void)
{
	uint64_t s = page(PG_TDMA_SRC), d = page(PG_TDMA_DST);
	uint64_t sh = page(PG_TDMA_SHARED);
	uint32_t st;
	int32_t rc;

	if (!params->tdev_mmio || !have_dma())
		return result(PM_GT_TRUSTED_DMA, PM_GF_NO_DEVICE, 0, 0);
	if (tdev_r32(PM_TDEV_STATE) != 2) {
		rc = tdi_accept(0);
		if (rc)
			return result(PM_GT_TRUSTED_DMA, PM_GF_TDI_RESULT,
				      (uint64_t)(int64_t)rc, 0);
	}
	fill(s, PAGE, 0xa1);
	fill(d, PAGE, 0xa2);
	st = tdma_copy(s, d, PAGE);
	if (st != PM_DMA_ST_DONE)
		return result(PM_GT_TRUSTED_DMA, PM_GF_DMA_STATUS, st, 1);
	if (!holds(d, PAGE, s, 0xa1))
		return result(PM_GT_TRUSTED_DMA, PM_GF_CONTENT, 1, d);
	if (!host_says(PM_CHECK_PRIVATE, d, params->granule, 0))
		return result(PM_GT_TRUSTED_DMA, PM_GF_HOST_CHECK, 1, d);
	/* The untrusted engine (T=0), reading the same private page... */
	CONVERT_OR_FAIL(PM_GT_TRUSTED_DMA, sh, params->granule, 0);
	dma_use(1);
	st = dma_copy(s, sh, PAGE);
	if (st != PRIVATE_FAULT || dma_fault_addr() != s)
		return result(PM_GT_TRUSTED_DMA, PM_GF_DMA_STATUS, st, 2);
	if (!is_zero(sh, PAGE))
		return result(PM_GT_TRUSTED_DMA, PM_GF_NOT_ZERO, 2, sh);
	/* ...and writing the page the trusted engine wrote. */
	fill(sh, PAGE, 0xa3);
	st = dma_copy(sh, d, PAGE);
	if (st != PRIVATE_FAULT || dma_fault_addr() != d)
		return result(PM_GT_TRUSTED_DMA, PM_GF_DMA_STATUS, st, 3);
	if (!holds(d, PAGE, s, 0xa1))
		return result(PM_GT_TRUSTED_DMA, PM_GF_CONTENT, 3, d);
	/* T=1 reaches private pages only. */
	st = tdma_copy(sh, d, PAGE);
	if (st != SHARED_FAULT)
		return result(PM_GT_TRUSTED_DMA, PM_GF_DMA_STATUS, st, 4);
	CONVERT_OR_FAIL(PM_GT_TRUSTED_DMA, sh, params->granule, 1);
	result(PM_GT_TRUSTED_DMA, 0, 0, d);
}

/* The BAR's memslot: the guest's stores reach the device and back. */
static void t_bar_mmio(void)
{
	uint64_t b = params->bar_gpa;

	if (!b || params->bar_size < 4 * PAGE)
		return result(PM_GT_BAR_MMIO, PM_GF_NO_DEVICE, 0, 0);
	fill(b, PAGE, 0xb1);
	if (!host_says(PM_CHECK_BAR_PATTERN, b, PAGE, 0xb1))
		return result(PM_GT_BAR_MMIO, PM_GF_HOST_CHECK, 1, b);
	if (!host_says(PM_CHECK_BAR_WRITE, b + PAGE, PAGE, 0xb2))
		return result(PM_GT_BAR_MMIO, PM_GF_HOST_CHECK, 2, b + PAGE);
	if (!holds(b + PAGE, PAGE, b + PAGE, 0xb2))
		return result(PM_GT_BAR_MMIO, PM_GF_CONTENT, 2, b + PAGE);
	result(PM_GT_BAR_MMIO, 0, 0, b);
}

/* The DMA engine copies RAM -> BAR and BAR -> RAM, IOVA = GPA. */
static void t_bar_p2p(void)
{
	uint64_t b = params->bar_gpa, p = page(PG_BAR_RAM);
	uint64_t to = b + 2 * PAGE, from = b + 3 * PAGE;
	uint32_t st;

	if (!b || params->bar_size < 4 * PAGE || !have_dma())
		return result(PM_GT_BAR_P2P, PM_GF_NO_DEVICE, 0, 0);
	CONVERT_OR_FAIL(PM_GT_BAR_P2P, p, params->granule, 0);
	fill_as(p, PAGE, to, 0xc1);
	dma_use(1);
	st = dma_copy(p, to, PAGE);
	if (st != PM_DMA_ST_DONE)
		return result(PM_GT_BAR_P2P, PM_GF_DMA_STATUS, st, 1);
	if (!holds(to, PAGE, to, 0xc1))
		return result(PM_GT_BAR_P2P, PM_GF_CONTENT, 1, to);
	if (!host_says(PM_CHECK_BAR_PATTERN, to, PAGE, 0xc1))
		return result(PM_GT_BAR_P2P, PM_GF_HOST_CHECK, 1, to);
	fill_as(from, PAGE, p, 0xc2);
	dma_use(0);
	st = dma_copy(from, p, PAGE);
	if (st != PM_DMA_ST_DONE)
		return result(PM_GT_BAR_P2P, PM_GF_DMA_STATUS, st, 2);
	if (!holds(p, PAGE, p, 0xc2))
		return result(PM_GT_BAR_P2P, PM_GF_CONTENT, 2, p);
	CONVERT_OR_FAIL(PM_GT_BAR_P2P, p, params->granule, 1);
	result(PM_GT_BAR_P2P, 0, 0, to);
}

/*
 * The VMM resets its devices: the BAR's memslot is gone (reads exit and
 * nobody claims them: all ones), P2P DMA to it faults "revoked", and the
 * trusted binding was revoked and locked again: trusted DMA faults until
 * the guest checks the report and accepts anew.
 */
static void t_dev_reset(void)
{
	uint64_t b = params->bar_gpa, p = page(PG_BAR_RAM);
	uint64_t s = page(PG_TDMA_SRC), d = page(PG_TDMA_DST);
	uint32_t st, i;
	int32_t rc;

	if (!b || !params->tdev_mmio || !have_dma())
		return result(PM_GT_DEV_RESET, PM_GF_NO_DEVICE, 0, 0);
	if (tdev_r32(PM_TDEV_STATE) != 2) {
		rc = tdi_accept(0);
		if (rc)
			return result(PM_GT_DEV_RESET, PM_GF_TDI_RESULT,
				      (uint64_t)(int64_t)rc, 0);
	}
	fill(b, PAGE, 0xd1);
	if (!host_says(PM_CHECK_DEV_RESET, 0, 0, 0))
		return result(PM_GT_DEV_RESET, PM_GF_HOST_CHECK, 1, 0);
	if (*(volatile uint64_t *)b != ~0ULL)
		return result(PM_GT_DEV_RESET, PM_GF_CONTENT, 1, b);
	CONVERT_OR_FAIL(PM_GT_DEV_RESET, p, params->granule, 0);
	fill(p, PAGE, 0xd2);
	dma_use(1);
	st = dma_copy(p, b, 8);
	if (st != (PM_DMA_ST_ERROR | (8U << PM_DMA_ST_REASON_SHIFT)))
		return result(PM_GT_DEV_RESET, PM_GF_DMA_STATUS, st, 2);
	CONVERT_OR_FAIL(PM_GT_DEV_RESET, p, params->granule, 1);
	if ((st = tdev_r32(PM_TDEV_STATE)) != 1)
		return result(PM_GT_DEV_RESET, PM_GF_TDI_STATE, st, 3);
	fill(s, PAGE, 0xd3);
	st = tdma_copy(s, d, PAGE);
	if (st != (PM_DMA_ST_ERROR | (6U << PM_DMA_ST_REASON_SHIFT)))
		return result(PM_GT_DEV_RESET, PM_GF_DMA_STATUS, st, 4);
	for (i = 0; i < PM_TDEV_DIGEST_LEN / 4; i++)
		if (tdev_r32(PM_TDEV_REPORT + 4 * i) != expected_word(i))
			return result(PM_GT_DEV_RESET, PM_GF_TDI_REPORT, i, 5);
	rc = tdi_accept(0);
	if (rc)
		return result(PM_GT_DEV_RESET, PM_GF_TDI_RESULT,
			      (uint64_t)(int64_t)rc, 6);
	st = tdma_copy(s, d, PAGE);
	if (st != PM_DMA_ST_DONE || !holds(d, PAGE, s, 0xd3))
		return result(PM_GT_DEV_RESET, PM_GF_DMA_STATUS, st, 7);
	result(PM_GT_DEV_RESET, 0, 0, b);
}

/*
 * The trusted engine's private MMIO: an exit (all ones) before the accept,
 * direct memory in RUN (the device's pattern is there; what the guest
 * writes the device sees through its trusted path), and after the guest
 * asks for a revocation (a device reset) an exit again, answered with all
 * ones as for an absent device.
 */
static void t_private_mmio(void)
{
	uint64_t m = params->tdev_pmmio, n = params->tdev_pmmio_size;
	uint64_t v;
	int32_t rc;

	if (!m || n < 2 * PAGE || !params->tdev_mmio)
		return result(PM_GT_PRIVATE_MMIO, PM_GF_NO_DEVICE, 0, 0);
	if (tdev_r32(PM_TDEV_STATE) != 2) {
		v = *(volatile uint64_t *)m;
		if (v != ~0ULL || !host_says(PM_CHECK_PMMIO_UNBOUND, 0, 0, 0))
			return result(PM_GT_PRIVATE_MMIO, PM_GF_CONTENT, 1, v);
		rc = tdi_accept(0);
		if (rc)
			return result(PM_GT_PRIVATE_MMIO, PM_GF_TDI_RESULT,
				      (uint64_t)(int64_t)rc, 0);
	}
	if (!host_says(PM_CHECK_PMMIO_BOUND, 0, 0, 0))
		return result(PM_GT_PRIVATE_MMIO, PM_GF_HOST_CHECK, 2, m);
	if (!holds(m, n, 0, PM_TDEV_PMMIO_SEED))
		return result(PM_GT_PRIVATE_MMIO, PM_GF_CONTENT, 3,
			      *(volatile uint64_t *)m);
	fill(m + PAGE, PAGE, 0xe1);
	if (!host_says(PM_CHECK_PMMIO_PATTERN, m + PAGE, PAGE, 0xe1))
		return result(PM_GT_PRIVATE_MMIO, PM_GF_HOST_CHECK, 4, m);
	/* The revocation the guest asks for. */
	if (!host_says(PM_CHECK_DEV_RESET, 0, 0, 0))
		return result(PM_GT_PRIVATE_MMIO, PM_GF_HOST_CHECK, 5, 0);
	if (!host_says(PM_CHECK_PMMIO_UNBOUND, 0, 0, 0))
		return result(PM_GT_PRIVATE_MMIO, PM_GF_HOST_CHECK, 6, m);
	v = *(volatile uint64_t *)(m + PAGE);
	if (v != ~0ULL)
		return result(PM_GT_PRIVATE_MMIO, PM_GF_CONTENT, 7, v);
	result(PM_GT_PRIVATE_MMIO, 0, v, m + PAGE);
}

static void t_bench(void)
{
	uint64_t b = bench_base(), len = params->bench_len;
	uint32_t i, n = params->iterations ? params->iterations : 1;

	if (!len || len % params->granule || b + len > params->mem_size)
		return result(PM_GT_BENCH, PM_GF_TOO_SMALL, len, b);
	report(PM_REPORT_MARK, PM_MARK_BENCH_START, len, n, 0);
	for (i = 0; i < n; i++) {
		CONVERT_OR_FAIL(PM_GT_BENCH, b, len, 0);
		CONVERT_OR_FAIL(PM_GT_BENCH, b, len, 1);
	}
	report(PM_REPORT_MARK, PM_MARK_BENCH_END, len, n, 0);
	result(PM_GT_BENCH, 0, n, len);
}

static void t_multi(uint32_t vcpu, uint32_t nr)
{
	uint64_t p = vcpu_page(vcpu), g = params->granule;
	uint32_t k, n = params->iterations ? params->iterations : 1;

	/* Everyone starts together, so conversions overlap in time. */
	__atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < nr)
		__asm__ volatile("pause");
	for (k = 0; k < n; k++) {
		uint64_t seed = ((uint64_t)vcpu << 32) | k;

		CONVERT_OR_FAIL(PM_GT_MULTI_VCPU, p, g, 0);
		if (!is_zero(p, g))
			return result(PM_GT_MULTI_VCPU, PM_GF_NOT_ZERO, k,
				      vcpu);
		fill(p, PAGE, seed);
		if (!holds(p, PAGE, p, seed))
			return result(PM_GT_MULTI_VCPU, PM_GF_CONTENT, k, vcpu);
		CONVERT_OR_FAIL(PM_GT_MULTI_VCPU, p, g, 1);
		if (!is_zero(p, PAGE))
			return result(PM_GT_MULTI_VCPU, PM_GF_NOT_ZERO, k,
				      vcpu);
		fill(p, PAGE, seed + 1);
	}
	result(PM_GT_MULTI_VCPU, 0, n, vcpu);
}

static uint64_t read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static uint64_t read_efer(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
	return ((uint64_t)hi << 32) | lo;
}

void guest_main(uint32_t vcpu, const struct pm_guest_params *p, uint32_t nr);

void guest_main(uint32_t vcpu, const struct pm_guest_params *p, uint32_t nr)
{
	uint64_t t, efer = read_efer();

	params = p;
	if (p->magic != PM_GUEST_MAGIC) {
		puts_("privmem guest: bad parameter block");
		return;
	}
	t = p->tests;
	report(PM_REPORT_HELLO, vcpu, read_cr0(), read_cr4(), efer);
	if (vcpu == 0) {
		if (t & T(PM_GT_BOOT))
			result(PM_GT_BOOT,
			       efer & (1ULL << 10) ? 0 : PM_GF_LONG_MODE, efer,
			       nr);
		if (vcpu_page(nr) > p->mem_size) {
			puts_("privmem guest: RAM too small for the tests");
			result(PM_GT_NR, PM_GF_TOO_SMALL, vcpu_page(nr),
			       p->mem_size);
			t = 0;
		}
		if (t & T(PM_GT_MEMSLOT))
			t_memslot();
		if (t & T(PM_GT_MAP_ALL))
			t_map_all();
		if (t & T(PM_GT_TO_PRIVATE))
			t_to_private();
		if (t & T(PM_GT_HOST_READ))
			t_host_read();
		if (t & T(PM_GT_DMA_PRIVATE))
			t_dma_private();
		if (t & T(PM_GT_DMA_SHARED))
			t_dma_shared();
		if (t & T(PM_GT_BACK_ZEROED))
			t_back_zeroed();
		if (t & T(PM_GT_BAD_REQUEST))
			t_bad_request();
		if (t & T(PM_GT_TRUSTED_ACCEPT))
			t_trusted_accept();
		if (t & T(PM_GT_TRUSTED_DMA))
			t_trusted_dma();
		if (t & T(PM_GT_BAR_MMIO))
			t_bar_mmio();
		if (t & T(PM_GT_BAR_P2P))
			t_bar_p2p();
		if (t & T(PM_GT_DEV_RESET))
			t_dev_reset();
		if (t & T(PM_GT_PRIVATE_MMIO))
			t_private_mmio();
		if (t & T(PM_GT_BENCH))
			t_bench();
	}
	if ((t & T(PM_GT_MULTI_VCPU)) && vcpu_page(nr) <= p->mem_size)
		t_multi(vcpu, nr);
	report(PM_REPORT_DONE, vcpu, 0, 0, 0);
}
