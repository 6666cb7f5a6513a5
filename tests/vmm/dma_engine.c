// SPDX-License-Identifier: MIT
/*
 * The DMA engine device model without KVM: a memfd gmem store mapped once
 * into an IOAS (IOVA = offset), the engine on an I/O bus, its registers
 * driven through pm_iobus_dispatch() as a vCPU's exits would. Shared pages
 * copy, private pages fault on either side with the reason and the address
 * in STATUS and FAULT_ADDR, conversions change what the engine reaches
 * with no IOMMU call, bad programming is refused, and reset clears it.
 */
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/privmem.h>
#include <privmem/vmm.h>
#include <privmem/uapi/iommufd.h>
#include "harness.h"

#define PG 4096ULL
#define NPAGES 64
#define MMIO PM_DMA_MMIO_BASE
#define PIO PM_DMA_PIO_BASE

struct env {
	struct pm_gmem *g;
	struct pm_iommufd *ictx;
	struct pm_iobus *bus;
	uint32_t ioas;
	uint8_t *view;
};

static void env_open(struct env *e)
{
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_MEMFD,
		.size = NPAGES * PG,
		.vm_fd = -1,
		.fd = -1,
		.name = "dma-engine-test",
	};
	uint64_t iova = 0;

	memset(e, 0, sizeof(*e));
	ASSERT_OK(pm_gmem_create(&cfg, &e->g));
	e->view = pm_gmem_host_view(e->g);
	ASSERT_OK(pm_iommufd_open(&e->ictx));
	ASSERT_OK(pm_ioas_alloc(e->ictx, &e->ioas));
	ASSERT_OK(pm_ioas_map_gmem(
		e->ictx, e->ioas, e->g, 0, NPAGES * PG, &iova,
		IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_OK(pm_iobus_create(&e->bus));
	ASSERT_OK(pm_dma_engine_create(e->bus, e->ictx, e->ioas, PIO, MMIO,
				       NULL));
}

static void env_close(struct env *e)
{
	pm_iobus_destroy(e->bus);
	pm_iommufd_close(e->ictx);
	pm_gmem_close(e->g);
}

static void w32(struct env *e, uint32_t off, uint32_t v)
{
	ASSERT_OK(pm_iobus_dispatch(e->bus, PM_IO_PIO, PIO + off, &v, 4, true));
}

static uint32_t r32(struct env *e, uint32_t off)
{
	uint32_t v = 0;

	ASSERT_OK(
		pm_iobus_dispatch(e->bus, PM_IO_PIO, PIO + off, &v, 4, false));
	return v;
}

static void w64_mmio(struct env *e, uint32_t off, uint64_t v)
{
	ASSERT_OK(
		pm_iobus_dispatch(e->bus, PM_IO_MMIO, MMIO + off, &v, 8, true));
}

static uint64_t r64_mmio(struct env *e, uint32_t off)
{
	uint64_t v = 0;

	ASSERT_OK(pm_iobus_dispatch(e->bus, PM_IO_MMIO, MMIO + off, &v, 8,
				    false));
	return v;
}

/* Program by ports (32-bit halves) or MMIO (64-bit); returns STATUS. */
static uint32_t copy(struct env *e, bool mmio, uint64_t src, uint64_t dst,
		     uint32_t len)
{
	if (mmio) {
		w64_mmio(e, PM_DMA_SRC, src);
		w64_mmio(e, PM_DMA_DST, dst);
	} else {
		w32(e, PM_DMA_SRC, (uint32_t)src);
		w32(e, PM_DMA_SRC + 4, (uint32_t)(src >> 32));
		w32(e, PM_DMA_DST, (uint32_t)dst);
		w32(e, PM_DMA_DST + 4, (uint32_t)(dst >> 32));
	}
	w32(e, PM_DMA_LEN, len);
	w32(e, PM_DMA_DOORBELL, PM_DMA_GO);
	return r32(e, PM_DMA_STATUS);
}

static uint32_t fault_status(uint32_t reason)
{
	return PM_DMA_ST_ERROR | (reason << PM_DMA_ST_REASON_SHIFT);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + 1);
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

TEST(copies_shared_pages)
{
	struct env e;

	env_open(&e);
	fill(e.view + 2 * PG, 3 * PG, 5);
	ASSERT_EQ(copy(&e, false, 2 * PG, 10 * PG, 3 * PG), PM_DMA_ST_DONE);
	ASSERT_EQ(memcmp(e.view + 2 * PG, e.view + 10 * PG, 3 * PG), 0);
	/* Unaligned, odd length, by MMIO. */
	fill(e.view + 20 * PG + 3, 5000, 9);
	ASSERT_EQ(copy(&e, true, 20 * PG + 3, 30 * PG + 11, 5000),
		  PM_DMA_ST_DONE);
	ASSERT_EQ(memcmp(e.view + 20 * PG + 3, e.view + 30 * PG + 11, 5000), 0);
	ASSERT_EQ(r32(&e, PM_DMA_COUNT), 2);
	/* The registers read back. */
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_SRC), 20 * PG + 3);
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_DST), 30 * PG + 11);
	ASSERT_EQ(r32(&e, PM_DMA_LEN), 5000);
	ASSERT_EQ(r32(&e, PM_DMA_DOORBELL), 0);
	env_close(&e);
}

/* A private page faults as a source and as a destination. */
TEST(private_pages_fault)
{
	struct pm_gmem_page pg;
	struct env e;

	env_open(&e);
	ASSERT_OK(pm_gmem_convert(e.g, 4 * PG, PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_OK(pm_gmem_get_pfn(e.g, 4 * PG, 0, &pg));
	memset(pg.ptr, 0x5a, PG); /* the guest's secret */
	pm_gmem_put_pfn(e.g, &pg);

	ASSERT_EQ(copy(&e, true, 4 * PG, 8 * PG, PG),
		  fault_status(PM_DMA_FAULT_PRIVATE));
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_FAULT_ADDR), 4 * PG);
	ASSERT_TRUE(all(e.view + 8 * PG, PG, 0));

	fill(e.view + 8 * PG, PG, 1);
	ASSERT_EQ(copy(&e, false, 8 * PG, 4 * PG + 16, 64),
		  fault_status(PM_DMA_FAULT_PRIVATE));
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_FAULT_ADDR) & ~(PG - 1), 4 * PG);
	ASSERT_OK(pm_gmem_get_pfn(e.g, 4 * PG, 0, &pg));
	ASSERT_TRUE(all(pg.ptr, PG, 0x5a));
	pm_gmem_put_pfn(e.g, &pg);
	ASSERT_EQ(r32(&e, PM_DMA_COUNT), 0);
	env_close(&e);
}

/*
 * A transfer running into a private page copies what comes before it and
 * stops there; converting the page back (no IOMMU call) lets it through.
 */
TEST(conversion_moves_the_boundary)
{
	struct env e;

	env_open(&e);
	fill(e.view, 2 * PG, 3);
	ASSERT_OK(pm_gmem_convert(e.g, PG, PG, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_EQ(copy(&e, true, 0, 16 * PG, 2 * PG),
		  fault_status(PM_DMA_FAULT_PRIVATE));
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_FAULT_ADDR), PG);
	ASSERT_EQ(memcmp(e.view, e.view + 16 * PG, PG), 0);
	ASSERT_TRUE(all(e.view + 17 * PG, PG, 0));

	ASSERT_OK(pm_gmem_convert(e.g, PG, PG, PM_GMEM_SHARED, 0, NULL));
	fill(e.view + PG, PG, 4);
	ASSERT_EQ(copy(&e, true, 0, 16 * PG, 2 * PG), PM_DMA_ST_DONE);
	ASSERT_EQ(memcmp(e.view, e.view + 16 * PG, 2 * PG), 0);
	env_close(&e);
}

TEST(bad_programming)
{
	struct env e;
	uint64_t q = 0;
	uint16_t h = 0;

	env_open(&e);
	ASSERT_EQ(copy(&e, true, 0, PG, 0), fault_status(PM_DMA_ERR_LEN));
	ASSERT_EQ(copy(&e, true, 0, PG, PM_DMA_MAX_LEN + 1),
		  fault_status(PM_DMA_ERR_LEN));
	ASSERT_EQ(copy(&e, true, ~0ULL - 10, PG, 100),
		  fault_status(PM_DMA_ERR_RANGE));
	ASSERT_EQ(copy(&e, true, 0, ~0ULL - 10, 100),
		  fault_status(PM_DMA_ERR_RANGE));
	/* Beyond RAM: nothing mapped at that IOVA. */
	ASSERT_EQ(copy(&e, true, NPAGES * PG, 0, 8),
		  fault_status(PM_DMA_FAULT_UNMAPPED));
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_FAULT_ADDR), NPAGES * PG);
	/* Accesses the registers refuse. */
	ASSERT_ERR(EINVAL, pm_iobus_dispatch(e.bus, PM_IO_PIO, PIO, &q, 8,
					     false)); /* 8 bytes by port */
	ASSERT_ERR(EINVAL,
		   pm_iobus_dispatch(e.bus, PM_IO_PIO, PIO, &h, 2, true));
	ASSERT_ERR(EINVAL, pm_iobus_dispatch(e.bus, PM_IO_MMIO, MMIO + 4, &q, 8,
					     true)); /* misaligned */
	ASSERT_ERR(EPERM, pm_iobus_dispatch(e.bus, PM_IO_MMIO,
					    MMIO + PM_DMA_STATUS, &q, 4, true));
	ASSERT_ERR(EPERM,
		   pm_iobus_dispatch(e.bus, PM_IO_MMIO,
				     MMIO + PM_DMA_FAULT_ADDR, &q, 8, true));
	/* A doorbell value other than GO does nothing. */
	w32(&e, PM_DMA_LEN, 8);
	w32(&e, PM_DMA_DOORBELL, 2);
	ASSERT_EQ(r32(&e, PM_DMA_STATUS), fault_status(PM_DMA_FAULT_UNMAPPED));
	env_close(&e);
}

TEST(reset_clears)
{
	struct env e;

	env_open(&e);
	ASSERT_EQ(copy(&e, true, 0, PG, 8), PM_DMA_ST_DONE);
	ASSERT_EQ(copy(&e, true, NPAGES * PG, 0, 8),
		  fault_status(PM_DMA_FAULT_UNMAPPED));
	pm_iobus_reset(e.bus);
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_SRC), 0);
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_DST), 0);
	ASSERT_EQ(r32(&e, PM_DMA_LEN), 0);
	ASSERT_EQ(r32(&e, PM_DMA_STATUS), 0);
	ASSERT_EQ(r32(&e, PM_DMA_COUNT), 0);
	ASSERT_U64_EQ(r64_mmio(&e, PM_DMA_FAULT_ADDR), 0);
	/* Still works. */
	ASSERT_EQ(copy(&e, false, 0, PG, 8), PM_DMA_ST_DONE);
	env_close(&e);
}

/* Windows: either may be left out; an overlap is refused. */
TEST(windows)
{
	struct env e;
	struct pm_iodev *dev;
	uint32_t v;

	env_open(&e);
	ASSERT_ERR(EEXIST,
		   pm_dma_engine_create(e.bus, e.ictx, e.ioas, PIO, 0, &dev));
	ASSERT_OK(pm_dma_engine_create(e.bus, e.ictx, e.ioas, 0, MMIO + 0x1000,
				       &dev));
	ASSERT_ERR(ENOENT,
		   pm_iobus_dispatch(e.bus, PM_IO_PIO, 0, &v, 4, false));
	ASSERT_OK(pm_iobus_dispatch(
		e.bus, PM_IO_MMIO, MMIO + 0x1000 + PM_DMA_COUNT, &v, 4, false));
	ASSERT_EQ(v, 0);
	ASSERT_ERR(EINVAL,
		   pm_dma_engine_create(NULL, e.ictx, e.ioas, 0, 0, &dev));
	env_close(&e);
}

/* Every injection point of creation: an error and nothing left over. */
TEST(create_fail_nth)
{
	unsigned long n;
	int fired = 0;

	for (n = 1; n < 500; n++) {
		struct pm_iodev *dev = NULL;
		struct env e;
		int rc;
		bool f;

		env_open(&e);
		pm_fault_arm(n);
		rc = pm_dma_engine_create(e.bus, e.ictx, e.ioas, 0x100,
					  MMIO + 0x10000, &dev);
		f = pm_fault_fired();
		pm_fault_disarm();
		env_close(&e);
		if (!f) {
			ASSERT_OK(rc);
			break;
		}
		fired++;
		if (rc >= 0)
			FAIL("point %lu failed but creation succeeded", n);
	}
	ASSERT_GE(fired, 3);
	printf("# %d injection points swept\n", fired);
}

TEST_MAIN()
