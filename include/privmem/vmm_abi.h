/* SPDX-License-Identifier: MIT */
/*
 * The contract between privmem's VMM and a guest: the memory layout the
 * VMM builds, the paravirtual ports, the conversion request, the DMA
 * engine's registers, and the test guest's parameters and reports.
 *
 * Freestanding: the guest payload (guest/) includes this header with
 * -ffreestanding -nostdlib, so it uses <stdint.h> only.
 *
 * Memory layout (guest physical; identity-mapped by the VMM's page tables,
 * the first 4 GiB with 2 MiB pages, so a GPA is also a guest virtual
 * address):
 *
 *   0x00001000  GDT (null, 64-bit code, data)
 *   0x00002000  PML4, PDPT, 4 page directories (to 0x7fff)
 *   0x00008000  the guest's parameter block (PM_GUEST_PARAMS_GPA)
 *   0x00080000  vCPU stacks, 16 KiB each, vCPU 0 at the top (to 0xfffff)
 *   0x00100000  the guest image (PM_GUEST_LOAD_GPA), entry at its start
 *   RAM end     guest RAM is [0, mem_size); nothing of it is reserved past
 *               the image: the guest owns the rest
 *   0xe0000000  the BAR device's memory (PM_BAR_GPA), a memslot of its own
 *   0xe8000000  the trusted DMA engine's private MMIO (PM_TDEV_PMMIO_GPA),
 *               a guest_memfd memslot while the device is in RUN
 *   0xfe000000  MMIO devices (PM_VMM_MMIO_BASE), above RAM: the DMA
 *               engine, then the trusted DMA engine (PM_TDEV_MMIO_BASE)
 *
 * Every byte the VMM writes at launch (page tables, GDT, parameters, image)
 * goes through the store's populate path into private memory: guest RAM
 * starts all private, as a confidential guest's does, and the guest converts
 * to shared what it gives to devices.
 *
 * Entry: every vCPU starts in 64-bit long mode at the image's first byte
 * with RDI = vCPU index, RSI = PM_GUEST_PARAMS_GPA, RDX = number of vCPUs,
 * RSP = the top of its stack, interrupts off. No interrupt controller: HLT
 * ends a vCPU.
 */
#ifndef PRIVMEM_VMM_ABI_H
#define PRIVMEM_VMM_ABI_H

#include <stdint.h>

#define PM_GUEST_GDT_GPA 0x1000ULL
#define PM_GUEST_PML4_GPA 0x2000ULL
#define PM_GUEST_PARAMS_GPA 0x8000ULL
#define PM_GUEST_STACKS_GPA 0x80000ULL
#define PM_GUEST_STACK_SIZE 0x4000ULL
#define PM_GUEST_LOAD_GPA 0x100000ULL
#define PM_VMM_MAX_VCPUS 32
/* Guest RAM may not reach the MMIO hole. */
#define PM_VMM_MMIO_BASE 0xfe000000ULL
#define PM_VMM_MAX_MEM 0xc0000000ULL

/* GDT selectors. */
#define PM_GUEST_CS 0x08
#define PM_GUEST_DS 0x10

/*
 * Paravirtual ports (port I/O exits, about 11 us each on kvm_pvm).
 *
 * PM_PORT_HYPERCALL: the conversion doorbell. The guest loads the
 * registers as for a KVM hypercall (RAX = number, RBX, RCX, RDX, RSI =
 * arguments) and writes AL to this port instead of executing VMCALL; the
 * result comes back in RAX. Used where the host's KVM cannot complete a
 * hypercall exit (pm_vmm_caps.conv_path).
 *
 * PM_PORT_REPORT: the report channel, same register convention: RAX = a
 * PM_REPORT_* code, RBX, RCX, RDX, RSI = its arguments; RAX returns the
 * VMM's answer.
 *
 * PM_PORT_CONSOLE: one byte of text per write, lines logged by the VMM.
 */
#define PM_PORT_HYPERCALL 0xe0
#define PM_PORT_REPORT 0xe4
#define PM_PORT_CONSOLE 0xe9

/*
 * The conversion request: KVM's MAP_GPA_RANGE hypercall (number 12) with
 * its arguments, on either path:
 *   a0 = GPA (4 KiB aligned), a1 = number of 4 KiB pages,
 *   a2 = attributes: PM_MAP_GPA_PRIVATE (KVM_MAP_GPA_RANGE_ENCRYPTED) for
 *        private, 0 for shared; every other bit (page-size bits
 *        included) is accepted and ignored.
 * Result: 0, or a negative errno (-EINVAL: misaligned, outside RAM or not a
 * multiple of the store's granule; -EAGAIN: a page is held, retry; ...).
 * Content is discarded: a page that changes sides reads zeros. A failed
 * request changed nothing.
 */
#define PM_HC_MAP_GPA_RANGE 12
#define PM_MAP_GPA_PRIVATE (1ULL << 4)
#define PM_HC_ENOSYS 1000 /* unknown number: -KVM_ENOSYS */

/* How the guest issues the conversion request (pm_guest_params.hc_mode). */
#define PM_HC_MODE_DOORBELL 0 /* OUT to PM_PORT_HYPERCALL */
#define PM_HC_MODE_VMCALL 1   /* Intel VMCALL */
#define PM_HC_MODE_VMMCALL 2  /* AMD VMMCALL */

/*
 * The DMA engine (an untrusted device behind the emulated IOMMU; IOVA =
 * GPA). The same registers at a port window and an MMIO window; offsets in
 * bytes, 32-bit registers, 64-bit ones as low/high halves. Port accesses
 * are 4 bytes; MMIO accesses 4 or 8 bytes, naturally aligned.
 */
#define PM_DMA_PIO_BASE 0xc000
#define PM_DMA_MMIO_BASE PM_VMM_MMIO_BASE
#define PM_DMA_REGS_SIZE 0x40

#define PM_DMA_SRC 0x00	       /* 64-bit source IOVA */
#define PM_DMA_DST 0x08	       /* 64-bit destination IOVA */
#define PM_DMA_LEN 0x10	       /* bytes, 1 .. PM_DMA_MAX_LEN */
#define PM_DMA_DOORBELL 0x14   /* write PM_DMA_GO: copy, synchronously */
#define PM_DMA_STATUS 0x18     /* read-only, below */
#define PM_DMA_FAULT_ADDR 0x20 /* 64-bit IOVA of the fault */
#define PM_DMA_COUNT 0x28      /* transfers completed without error */
#define PM_DMA_MAX_LEN (1U << 20)
#define PM_DMA_GO 1

#define PM_DMA_ST_DONE (1U << 0)
#define PM_DMA_ST_ERROR (1U << 1)
/* bits 8..15: the reason of an error: a pm_dma_fault_reason for an IOMMU
 * fault (unmapped 1, read-only 2, private 3, detached 4, memory 5, ...),
 * or one of these. */
#define PM_DMA_ST_REASON_SHIFT 8
#define PM_DMA_ERR_LEN 0x80 /* length 0 or above PM_DMA_MAX_LEN */
#define PM_DMA_ERR_RANGE 0x81 /* source or destination wraps */

/*
 * The trusted DMA engine: the same engine bound to the guest through a
 * protection fd (protfd.h), MMIO only. Its DMA registers (offsets 0x00 to
 * 0x3f, as above) move data by trusted (T=1) transactions: private pages
 * only, while the binding is in RUN; otherwise STATUS says ERROR with a
 * pm_dma_fault_reason (not-run 6, shared 7). Above them, the TDISP side,
 * 32-bit registers (8-byte MMIO accesses are split into two):
 *   STATE   read-only: the binding's pm_tdi_state (0 UNLOCKED, 1 LOCKED,
 *           2 RUN, 3 ERROR); the VMM locks it before the guest runs
 *   CMD     write PM_TDEV_CMD_ACCEPT: accept with the digest in DIGEST
 *   RESULT  read-only: the last command's result, 0 or a negative Linux
 *           errno (-EKEYREJECTED 129: the digest differs; -EPERM: not
 *           locked; -EBUSY: already running; -EIO: in ERROR)
 *   REPORT  read-only, 32 bytes: the device interface report's digest
 *           (zeros when there is none: not LOCKED or RUN)
 *   DIGEST  read-write, 32 bytes: the digest the guest accepts
 */
#define PM_TDEV_MMIO_BASE (PM_VMM_MMIO_BASE + 0x1000)
#define PM_TDEV_REGS_SIZE 0x100
#define PM_TDEV_STATE 0x40
#define PM_TDEV_CMD 0x44
#define PM_TDEV_RESULT 0x48
#define PM_TDEV_REPORT 0x60
#define PM_TDEV_DIGEST 0x80
#define PM_TDEV_DIGEST_LEN 32
#define PM_TDEV_CMD_ACCEPT 1
#define PM_TDEV_EKEYREJECTED 129 /* Linux's EKEYREJECTED */

/*
 * The trusted DMA engine's private MMIO region (protfd.h): device memory in
 * a guest_memfd of its own, bound by the VMM into a memslot at
 * PM_TDEV_PMMIO_GPA when the guest's accept puts the binding in RUN (the
 * guest reaches it directly, no exits) and unbound by the revoke callback
 * before any revocation returns (then accesses exit, nobody claims them,
 * and reads return all ones). The device model fills it before RUN with
 * the samples of pm_guest_pattern(store offset, PM_TDEV_PMMIO_SEED).
 */
#define PM_TDEV_PMMIO_GPA 0xe8000000ULL
#define PM_TDEV_PMMIO_SIZE 0x4000ULL
#define PM_TDEV_PMMIO_SEED 0x5eULL

/*
 * The BAR device: a device whose memory region (BAR 0, a memfd exported as
 * an fd) is bound into a memslot at PM_BAR_GPA (the guest reaches it
 * directly, no exits) and mapped into the VM's IOAS at IOVA = PM_BAR_GPA
 * (the DMA engine reaches it peer to peer). A device reset revokes both.
 */
#define PM_BAR_GPA 0xe0000000ULL
#define PM_BAR_SIZE 0x10000ULL

/* ------------------------------------------------------------------ */
/* The test guest (guest/): parameters and reports.                    */

#define PM_GUEST_MAGIC 0x6d656d7670697270ULL /* "privmem" + 'm' */

/* Tests the guest runs (pm_guest_params.tests), each reported. */
enum pm_guest_test {
	PM_GT_BOOT = 0,		   /* long mode; every vCPU says hello */
	PM_GT_MEMSLOT = 1,	   /* a private write is in the guest_memfd */
	PM_GT_MAP_ALL = 2,	   /* DMA reaches RAM's first and last pages */
	PM_GT_TO_PRIVATE = 3,	   /* shared -> private, content discarded */
	PM_GT_HOST_READ = 4,	   /* the host cannot read a private page */
	PM_GT_DMA_PRIVATE = 5,	   /* DMA to/from a private page faults */
	PM_GT_DMA_SHARED = 6,	   /* DMA between shared pages works */
	PM_GT_BACK_ZEROED = 7,	   /* private -> shared reads zeros */
	PM_GT_MULTI_VCPU = 8,	   /* every vCPU converts its pages */
	PM_GT_BENCH = 9,	   /* conversion round trips, timed by the VMM */
	PM_GT_BAD_REQUEST = 10,	   /* bad requests fail, nothing changes */
	PM_GT_TRUSTED_ACCEPT = 11, /* check the report, accept the device */
	PM_GT_TRUSTED_DMA = 12,	   /* trusted DMA between private pages */
	PM_GT_BAR_MMIO = 13,	   /* BAR memory through its memslot */
	PM_GT_BAR_P2P = 14,	   /* DMA engine to and from the BAR */
	PM_GT_DEV_RESET = 15,	   /* a device reset revokes, seen by the guest */
	PM_GT_PRIVATE_MMIO = 16,   /* private MMIO: direct in RUN, exits after */
	PM_GT_NR
};

struct pm_guest_params {
	uint64_t magic;
	uint64_t tests;	    /* mask of 1 << pm_guest_test */
	uint64_t mem_size;  /* RAM bytes */
	uint64_t granule;   /* conversion granule of the store */
	uint64_t test_base; /* first GPA the tests may use, granule-aligned */
	uint32_t nr_vcpus;
	uint32_t hc_mode;   /* PM_HC_MODE_* */
	uint64_t dma_mmio;  /* DMA engine's MMIO base, or 0 */
	uint32_t dma_pio;   /* DMA engine's port base, or 0 */
	uint32_t iterations; /* PM_GT_MULTI_VCPU, PM_GT_BENCH */
	uint64_t bench_len;  /* PM_GT_BENCH: bytes per conversion */
	uint64_t tdev_mmio;  /* the trusted DMA engine's MMIO base, or 0 */
	uint64_t bar_gpa;    /* the BAR device's memory, or 0 */
	/* The report digest the guest expects of the trusted device (what
	 * an attestation would vouch for), PM_TDEV_DIGEST_LEN bytes. */
	uint64_t tdi_digest[4];
	uint64_t bar_size;   /* bytes at bar_gpa */
	uint64_t tdev_pmmio; /* the trusted engine's private MMIO, or 0 */
	uint64_t tdev_pmmio_size; /* bytes at tdev_pmmio */
	uint64_t reserved[3];
};

/*
 * Reports: RAX = code, RBX/RCX/RDX/RSI = a0..a3 (PM_PORT_REPORT).
 *
 * PM_REPORT_HELLO   a0 = vCPU, a1 = CR0, a2 = CR4, a3 = EFER
 * PM_REPORT_RESULT  a0 = test, a1 = 0 pass or a PM_GF_* failure code,
 *                   a2, a3 = detail (the value seen, the GPA)
 * PM_REPORT_CHECK   a0 = PM_CHECK_*, a1 = GPA, a2 = length, a3 = pattern
 *                   seed; the VMM's host-side verdict comes back in RAX
 *                   (1 yes, 0 no)
 * PM_REPORT_MARK    a0 = mark id, a1..a3 free: timestamps for the VMM
 * PM_REPORT_DONE    a0 = vCPU: it halts next
 */
#define PM_REPORT_HELLO 1
#define PM_REPORT_RESULT 2
#define PM_REPORT_CHECK 3
#define PM_REPORT_MARK 4
#define PM_REPORT_DONE 5

/* PM_REPORT_CHECK questions, answered by the host. */
#define PM_CHECK_PRIVATE 1	  /* the store says private; host view faults */
#define PM_CHECK_SHARED_PATTERN 2 /* shared; the host view holds the pattern */
#define PM_CHECK_SHARED_ZERO 3	  /* shared; the host view reads zeros */
#define PM_CHECK_TRUSTED_PATTERN 4 /* the private backing holds the pattern
				    * (read through the trusted path) */
#define PM_CHECK_HOST_READ_FAULTS 5 /* every host read of the page fails */
/* BAR questions: a1 = GPA inside the BAR, a2 = length, a3 = seed. */
#define PM_CHECK_BAR_PATTERN 6 /* the device's own view of its BAR holds
				* the samples (pm_device_bar_ptr) */
#define PM_CHECK_BAR_WRITE 7   /* the device writes the samples into its
				* BAR (answer 1 when done) */
#define PM_CHECK_TDI_RUN 8     /* the trusted device's binding is in RUN */
#define PM_CHECK_DEV_RESET 9   /* the VMM resets every device
				* (pm_vm_reset_devices); answer 1 when done */
#define PM_CHECK_PMMIO_BOUND 10	/* the private MMIO memslot is bound (and
				 * the trusted binding is in RUN) */
#define PM_CHECK_PMMIO_PATTERN 11 /* the device's trusted view of its
				   * private MMIO holds the samples at a1
				   * (a GPA inside the region) */
#define PM_CHECK_PMMIO_UNBOUND 12 /* no private MMIO memslot is bound */

/* PM_REPORT_MARK ids for PM_GT_BENCH. */
#define PM_MARK_BENCH_START 1
#define PM_MARK_BENCH_END 2

/* Failure codes in PM_REPORT_RESULT a1. */
#define PM_GF_CONVERT 1	     /* a conversion request failed (a2 = result) */
#define PM_GF_CONTENT 2	     /* memory did not hold what it should */
#define PM_GF_HOST_CHECK 3   /* the host's verdict was no */
#define PM_GF_DMA_STATUS 4   /* the DMA engine's status was wrong (a2) */
#define PM_GF_NOT_ZERO 5     /* a page that should read zeros did not */
#define PM_GF_NO_DEVICE 6    /* the test needs the DMA engine */
#define PM_GF_LONG_MODE 7    /* EFER.LMA not set */
#define PM_GF_BAD_ACCEPTED 8 /* a bad request succeeded (a2 = which) */
#define PM_GF_TOO_SMALL 9    /* RAM too small for the test */
#define PM_GF_TDI_STATE 10   /* the trusted device's STATE was wrong (a2) */
#define PM_GF_TDI_REPORT 11  /* the report differs from the expected one */
#define PM_GF_TDI_RESULT 12  /* a TDISP command's RESULT was wrong (a2) */

/*
 * The guest's content pattern: a 64-bit word from its GPA and a seed,
 * never zero. The guest writes and checks it at sample words only, the
 * first, middle and last of every 4 KiB page (PM_GUEST_SAMPLE_OFF): a
 * guest on kvm_pvm runs about a million instructions a second. The host's
 * pattern checks compare the same samples; its zero checks read whole
 * pages.
 */
#define PM_GUEST_NR_SAMPLES 3
#define PM_GUEST_SAMPLE_OFF(i) ((i) == 0 ? 0 : (i) == 1 ? 2048 : 4088)

static inline uint64_t pm_guest_pattern(uint64_t gpa, uint64_t seed)
{
	uint64_t x = (gpa + 1) * 0x9e3779b97f4a7c15ULL ^
		     (seed + 1) * 0xff51afd7ed558ccdULL;

	x ^= x >> 31;
	return x | 1;
}

#endif
