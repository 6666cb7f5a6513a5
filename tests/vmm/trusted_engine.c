// SPDX-License-Identifier: MIT
/*
 * The trusted DMA engine device model without KVM: a memfd gmem store
 * mapped once into an IOAS (IOVA = offset), the untrusted engine and the
 * trusted one on an I/O bus, registers driven through pm_iobus_dispatch()
 * as a vCPU's exits would. The TDISP registers follow the protection fd
 * (STATE, the report digest, ACCEPT with a digest and its RESULT); trusted
 * transfers reach private pages only in RUN and shared pages never, while
 * the untrusted engine still faults on the private ones; the bus's reset
 * revokes the binding and the VMM's lock is taken again.
 */
#include <errno.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/protfd.h>
#include <privmem/vmm.h>
#include <privmem/uapi/iommufd.h>
#include "harness.h"

#define PG 4096ULL
#define NPAGES 64
#define TDEV PM_TDEV_MMIO_BASE
#define DMA PM_DMA_MMIO_BASE

struct env {
	struct pm_gmem *g;
	struct pm_iommufd *ictx;
	struct pm_iobus *bus;
	struct pm_protfd *pf;
	uint32_t ioas;
};

static void env_open(struct env *e)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_MEMFD,
		.size = NPAGES * PG,
		.vm_fd = -1,
		.fd = -1,
		.name = "trusted-engine-test",
	};
	uint64_t iova = 0;

	memset(e, 0, sizeof(*e));
	ASSERT_OK(pm_gmem_create(&cfg, &e->g));
	ASSERT_OK(pm_iommufd_open(&e->ictx));
	ASSERT_OK(pm_ioas_alloc(e->ictx, &e->ioas));
	ASSERT_OK(pm_ioas_map_gmem(
		e->ictx, e->ioas, e->g, 0, NPAGES * PG, &iova,
		IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_OK(pm_iobus_create(&e->bus));
	ASSERT_OK(pm_dma_engine_create(e->bus, e->ictx, e->ioas, 0, DMA, NULL));
	ASSERT_OK(pm_trusted_dma_engine_create(e->bus, e->ictx, e->ioas, e->g,
					       0, TDEV, NULL, &e->pf));
	ASSERT_TRUE(e->pf != NULL);
}

static void env_close(struct env *e)
{
	pm_iobus_destroy(e->bus);
	pm_iommufd_close(e->ictx);
	pm_gmem_close(e->g);
}

static void w32(struct env *e, uint64_t at, uint32_t v)
{
	ASSERT_OK(pm_iobus_dispatch(e->bus, PM_IO_MMIO, at, &v, 4, true));
}

static uint32_t r32(struct env *e, uint64_t at)
{
	uint32_t v = 0;

	ASSERT_OK(pm_iobus_dispatch(e->bus, PM_IO_MMIO, at, &v, 4, false));
	return v;
}

static uint32_t copy(struct env *e, uint64_t base, uint64_t src, uint64_t dst,
		     uint32_t len)
{
	ASSERT_OK(pm_iobus_dispatch(e->bus, PM_IO_MMIO, base + PM_DMA_SRC, &src,
				    8, true));
	ASSERT_OK(pm_iobus_dispatch(e->bus, PM_IO_MMIO, base + PM_DMA_DST, &dst,
				    8, true));
	w32(e, base + PM_DMA_LEN, len);
	w32(e, base + PM_DMA_DOORBELL, PM_DMA_GO);
	return r32(e, base + PM_DMA_STATUS);
}

static uint32_t fault(uint32_t reason)
{
	return PM_DMA_ST_ERROR | (reason << PM_DMA_ST_REASON_SHIFT);
}

static int32_t accept(struct env *e, const uint8_t *digest)
{
	unsigned int i;
	uint32_t w;

	for (i = 0; i < PM_TDEV_DIGEST_LEN; i += 4) {
		memcpy(&w, digest + i, 4);
		w32(e, TDEV + PM_TDEV_DIGEST + i, w);
		ASSERT_EQ(r32(e, TDEV + PM_TDEV_DIGEST + i), w);
	}
	w32(e, TDEV + PM_TDEV_CMD, PM_TDEV_CMD_ACCEPT);
	return (int32_t)r32(e, TDEV + PM_TDEV_RESULT);
}

static void read_report(struct env *e, uint8_t *out)
{
	unsigned int i;
	uint32_t w;

	for (i = 0; i < PM_TDEV_DIGEST_LEN; i += 4) {
		w = r32(e, TDEV + PM_TDEV_REPORT + i);
		memcpy(out + i, &w, 4);
	}
}

/* Page @n private, filled with @byte through the trusted path. */
static void private_page(struct env *e, uint64_t n, int byte)
{
	struct pm_gmem_page pg;

	ASSERT_OK(pm_gmem_convert(e->g, n * PG, PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_get_pfn(e->g, n * PG, 0, &pg));
	if (!pg.ptr)
		SKIP("this backend does not map private pages");
	memset((uint8_t *)pg.ptr + (n * PG - pg.offset), byte, PG);
	pm_gmem_put_pfn(e->g, &pg);
}

static uint8_t private_byte(struct env *e, uint64_t at)
{
	struct pm_gmem_page pg;
	uint8_t b;

	ASSERT_OK(pm_gmem_get_pfn(e->g, at, 0, &pg));
	ASSERT_TRUE(pg.is_private && pg.ptr);
	b = ((uint8_t *)pg.ptr)[at - pg.offset];
	pm_gmem_put_pfn(e->g, &pg);
	return b;
}

TEST(report_and_accept)
{
	uint8_t rep[PM_TDEV_DIGEST_LEN], zero[PM_TDEV_DIGEST_LEN] = { 0 };
	struct pm_tdi_report r;
	struct env e;
	int rc;

	env_open(&e);
	/* UNLOCKED: no report, accept refused. */
	ASSERT_EQ(r32(&e, TDEV + PM_TDEV_STATE), PM_TDI_UNLOCKED);
	read_report(&e, rep);
	ASSERT_TRUE(!memcmp(rep, zero, sizeof(rep)));
	ASSERT_EQ(accept(&e, zero), -EPERM);
	rc = pm_protfd_lock(e.pf);
	if (rc == -EOPNOTSUPP)
		SKIP("no digest library: no report");
	ASSERT_OK(rc);
	ASSERT_EQ(r32(&e, TDEV + PM_TDEV_STATE), PM_TDI_LOCKED);
	ASSERT_OK(pm_protfd_get_report(e.pf, &r));
	read_report(&e, rep);
	ASSERT_TRUE(!memcmp(rep, r.digest, sizeof(rep)));
	ASSERT_TRUE(memcmp(rep, zero, sizeof(rep)));
	/* A different digest: refused, still LOCKED. */
	rep[31] ^= 0x80;
	ASSERT_EQ(accept(&e, rep), -EKEYREJECTED);
	ASSERT_EQ(r32(&e, TDEV + PM_TDEV_STATE), PM_TDI_LOCKED);
	rep[31] ^= 0x80;
	ASSERT_EQ(accept(&e, rep), 0);
	ASSERT_EQ(r32(&e, TDEV + PM_TDEV_STATE), PM_TDI_RUN);
	ASSERT_EQ(pm_protfd_state(e.pf), PM_TDI_RUN);
	ASSERT_EQ(accept(&e, rep), -EBUSY);
	env_close(&e);
}

TEST(trusted_transfers)
{
	struct pm_protfd_stats st;
	struct pm_tdi_report r;
	struct env e;
	int rc;

	env_open(&e);
	private_page(&e, 4, 0x5a);
	private_page(&e, 5, 0x00);
	/* LOCKED but not accepted: T=1 does not run. */
	rc = pm_protfd_lock(e.pf);
	if (rc == -EOPNOTSUPP)
		SKIP("no digest library: no report");
	ASSERT_OK(rc);
	ASSERT_EQ(copy(&e, TDEV, 4 * PG, 5 * PG, PG),
		  fault(PM_DMA_FAULT_NOT_RUN));
	ASSERT_OK(pm_protfd_get_report(e.pf, &r));
	ASSERT_EQ(accept(&e, r.digest), 0);
	/* RUN: private to private. */
	ASSERT_EQ(copy(&e, TDEV, 4 * PG, 5 * PG, PG), PM_DMA_ST_DONE);
	ASSERT_EQ(private_byte(&e, 5 * PG), 0x5a);
	ASSERT_EQ(private_byte(&e, 6 * PG - 1), 0x5a);
	ASSERT_EQ(r32(&e, TDEV + PM_DMA_COUNT), 1);
	/* The untrusted engine still faults on both. */
	ASSERT_EQ(copy(&e, DMA, 4 * PG, 10 * PG, PG),
		  fault(PM_DMA_FAULT_PRIVATE));
	ASSERT_EQ(copy(&e, DMA, 10 * PG, 5 * PG, PG),
		  fault(PM_DMA_FAULT_PRIVATE));
	/* T=1 never reaches shared pages, nor one that was made shared. */
	ASSERT_EQ(copy(&e, TDEV, 10 * PG, 5 * PG, PG),
		  fault(PM_DMA_FAULT_SHARED));
	ASSERT_OK(pm_gmem_convert(e.g, 5 * PG, PG, PM_GMEM_SHARED, 0, NULL));
	ASSERT_EQ(copy(&e, TDEV, 4 * PG, 5 * PG, PG),
		  fault(PM_DMA_FAULT_SHARED));
	ASSERT_U64_EQ(r32(&e, TDEV + PM_DMA_FAULT_ADDR), 5 * PG);
	ASSERT_OK(pm_protfd_get_stats(e.pf, &st));
	ASSERT_GT(st.trusted_held, 0);
	/* Reset: revoked (holds go), locked again by the model; registers
	 * cleared; trusted DMA faults until accepted again. */
	pm_iobus_reset(e.bus);
	ASSERT_EQ(r32(&e, TDEV + PM_TDEV_STATE), PM_TDI_LOCKED);
	ASSERT_EQ(r32(&e, TDEV + PM_DMA_COUNT), 0);
	ASSERT_EQ(r32(&e, TDEV + PM_TDEV_RESULT), 0);
	ASSERT_OK(pm_protfd_get_stats(e.pf, &st));
	ASSERT_U64_EQ(st.trusted_held, 0);
	ASSERT_EQ(copy(&e, TDEV, 4 * PG, 6 * PG, PG),
		  fault(PM_DMA_FAULT_NOT_RUN));
	env_close(&e);
}

TEST(bad_accesses)
{
	struct env e;
	uint32_t v = 1;
	uint16_t h = 0;

	env_open(&e);
	ASSERT_ERR(EINVAL,
		   pm_trusted_dma_engine_create(e.bus, e.ictx, e.ioas, NULL, 0,
						TDEV + 0x1000, NULL, NULL));
	ASSERT_ERR(EINVAL,
		   pm_iobus_dispatch(e.bus, PM_IO_MMIO, TDEV + PM_TDEV_STATE,
				     &h, 2, false));
	ASSERT_ERR(EPERM, pm_iobus_dispatch(e.bus, PM_IO_MMIO,
					    TDEV + PM_TDEV_STATE, &v, 4, true));
	ASSERT_ERR(EPERM,
		   pm_iobus_dispatch(e.bus, PM_IO_MMIO, TDEV + PM_TDEV_REPORT,
				     &v, 4, true));
	v = 7;
	ASSERT_ERR(EINVAL, pm_iobus_dispatch(e.bus, PM_IO_MMIO,
					     TDEV + PM_TDEV_CMD, &v, 4, true));
	/* The window ends at PM_TDEV_REGS_SIZE. */
	ASSERT_ERR(ENOENT,
		   pm_iobus_dispatch(e.bus, PM_IO_MMIO,
				     TDEV + PM_TDEV_REGS_SIZE, &v, 4, false));
	ASSERT_EQ(pm_protfd_state(e.pf), PM_TDI_UNLOCKED);
	env_close(&e);
}

TEST_MAIN()
