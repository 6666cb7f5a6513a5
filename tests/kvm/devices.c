// SPDX-License-Identifier: MIT
/*
 * The VM's trusted DMA engine and BAR device, driven by the test guest:
 * the guest checks the trusted device's report against the digest it was
 * told to expect, sees a wrong digest refused and accepts with the right
 * one; trusted DMA then copies between its private pages while the
 * untrusted engine still faults on them; the BAR's memslot carries the
 * guest's loads and stores to the device's memory and back; the DMA engine
 * copies to and from the BAR peer to peer; a device reset revokes the
 * memslot and the IOAS translation, and the trusted binding; the trusted
 * engine's private MMIO is bound only while it is in RUN. SKIPs without
 * KVM.
 */
#include <privmem/device.h>
#include <privmem/protfd.h>
#include "kvm/kvm_utils.h"

#define DEV_FLAGS (PM_VM_F_DMA_ENGINE | PM_VM_F_TRUSTED_DEV | PM_VM_F_BAR_DEV)

/* Program the untrusted DMA engine from the host, as the guest would. */
static uint32_t host_dma(struct pm_vm *vm, uint64_t src, uint64_t dst,
			 uint32_t len)
{
	struct pm_iobus *bus = pm_vm_iobus(vm);
	uint32_t go = PM_DMA_GO, st = 0;

	ASSERT_OK(pm_iobus_dispatch(
		bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_SRC, &src, 8, true));
	ASSERT_OK(pm_iobus_dispatch(
		bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_DST, &dst, 8, true));
	ASSERT_OK(pm_iobus_dispatch(
		bus, PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_LEN, &len, 4, true));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_MMIO,
				    PM_DMA_MMIO_BASE + PM_DMA_DOORBELL, &go, 4,
				    true));
	ASSERT_OK(pm_iobus_dispatch(bus, PM_IO_MMIO,
				    PM_DMA_MMIO_BASE + PM_DMA_STATUS, &st, 4,
				    false));
	return st;
}

TEST(trusted_accept_and_dma)
{
	struct pm_protfd_stats pst;
	struct pm_tdi_report rep;
	struct guest_vm gv;
	struct pm_protfd *pf;
	uint8_t zero[PM_TDEV_DIGEST_LEN] = { 0 };

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 32 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  DEV_FLAGS));
	pf = pm_vm_protfd(gv.vm);
	ASSERT_TRUE(pf != NULL);
	/* The VMM locked it; the guest is told the report's digest. */
	ASSERT_EQ(pm_protfd_state(pf), PM_TDI_LOCKED);
	ASSERT_OK(pm_protfd_get_report(pf, &rep));
	guest_vm_run(&gv, T(PM_GT_TRUSTED_ACCEPT) | T(PM_GT_TRUSTED_DMA), 0);
	ASSERT_TRUE(memcmp(gv.params.tdi_digest, rep.digest,
			   PM_TDEV_DIGEST_LEN) == 0);
	ASSERT_TRUE(memcmp(rep.digest, zero, sizeof(zero)) != 0);
	ASSERT_GUEST_PASSED(&gv, PM_GT_TRUSTED_ACCEPT, 1);
	ASSERT_GUEST_PASSED(&gv, PM_GT_TRUSTED_DMA, 1);
	ASSERT_EQ(gv.log.checks_no, 0);
	ASSERT_EQ(pm_protfd_state(pf), PM_TDI_RUN);
	/* The trusted path filled translations and holds the pages. */
	ASSERT_OK(pm_protfd_get_stats(pf, &pst));
	ASSERT_GT(pst.trusted_fills, 0);
	ASSERT_GT(pst.trusted_held, 0);
	/* A reset revokes: UNLOCKED, holds released; the VMM locks again. */
	pm_vm_reset_devices(gv.vm);
	ASSERT_EQ(pm_protfd_state(pf), PM_TDI_LOCKED);
	ASSERT_OK(pm_protfd_get_stats(pf, &pst));
	ASSERT_EQ(pst.trusted_held, 0);
	ASSERT_GE(pst.revocations, 1);
	pm_vm_destroy(gv.vm);
}

/* A guest that is told the wrong digest does not accept. */
TEST(trusted_wrong_expectation_refused)
{
	const void *img;
	uint64_t len;
	struct guest_vm gv;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 32 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  DEV_FLAGS));
	pm_vmm_test_guest(&img, &len);
	ASSERT_OK(
		pm_vm_test_params(gv.vm, T(PM_GT_TRUSTED_ACCEPT), &gv.params));
	gv.params.tdi_digest[2] ^= 1;
	ASSERT_OK(pm_vm_boot(gv.vm, img, len, &gv.params, sizeof(gv.params)));
	ASSERT_OK(pm_vm_start(gv.vm));
	ASSERT_OK(pm_vm_wait(gv.vm, RUN_TIMEOUT_MS));
	ASSERT_EQ(gv.log.failures[PM_GT_TRUSTED_ACCEPT], 1);
	ASSERT_EQ(gv.log.fail_code[PM_GT_TRUSTED_ACCEPT], PM_GF_TDI_REPORT);
	ASSERT_EQ(pm_protfd_state(pm_vm_protfd(gv.vm)), PM_TDI_LOCKED);
	pm_vm_destroy(gv.vm);
}

TEST(bar_memslot_and_p2p)
{
	struct guest_vm gv;
	struct pm_device *dev;
	uint64_t word, to = PM_BAR_GPA + 2 * PG;
	uint32_t slot, slot2, st;
	uint8_t *bar;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 32 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  DEV_FLAGS));
	dev = pm_vm_bar_device(gv.vm, &slot);
	ASSERT_TRUE(dev != NULL);
	ASSERT_NE(slot, UINT32_MAX);
	ASSERT_U64_EQ(pm_device_bar_size(dev, 0), PM_BAR_SIZE);
	guest_vm_run(&gv, T(PM_GT_BAR_MMIO) | T(PM_GT_BAR_P2P), 0);
	ASSERT_GUEST_PASSED(&gv, PM_GT_BAR_MMIO, 1);
	ASSERT_GUEST_PASSED(&gv, PM_GT_BAR_P2P, 1);
	ASSERT_EQ(gv.log.checks_no, 0);
	/* The device's own view holds what the guest wrote, and the DMA. */
	bar = pm_device_bar_ptr(dev, 0);
	memcpy(&word, bar, 8);
	ASSERT_U64_EQ(word, pm_guest_pattern(PM_BAR_GPA, 0xb1));
	memcpy(&word, bar + 2 * PG + 2048, 8);
	ASSERT_U64_EQ(word, pm_guest_pattern(to + 2048, 0xc1));
	/* The memslot is there: the same GPA range cannot bind again. */
	ASSERT_ERR(EINVAL,
		   pm_vm_map_fd(gv.vm, PM_BAR_GPA, PG, pm_device_bar_fd(dev, 0),
				0, true, &slot2));
	ASSERT_EQ(host_dma(gv.vm, to, 0x100000, 8),
		  PM_DMA_ST_ERROR |
			  (PM_DMA_FAULT_PRIVATE << PM_DMA_ST_REASON_SHIFT));

	/* Reset: the memslot is deleted by the callback, P2P is revoked. */
	pm_vm_reset_devices(gv.vm);
	pm_vm_bar_device(gv.vm, &slot2);
	ASSERT_EQ(slot2, UINT32_MAX);
	ASSERT_ERR(ENOENT, pm_vm_unmap_fd(gv.vm, slot));
	ASSERT_OK(pm_vm_map_fd(gv.vm, PM_BAR_GPA, PG, pm_device_bar_fd(dev, 0),
			       0, true, &slot2));
	ASSERT_OK(pm_vm_unmap_fd(gv.vm, slot2));
	st = host_dma(gv.vm, to, to + PG, 8);
	ASSERT_EQ(st, PM_DMA_ST_ERROR |
			      (PM_DMA_FAULT_REVOKED << PM_DMA_ST_REASON_SHIFT));
	/* Fresh memory behind the device: nothing of the old content. */
	bar = pm_device_bar_ptr(dev, 0);
	memcpy(&word, bar, 8);
	ASSERT_U64_EQ(word, 0);
	pm_vm_destroy(gv.vm);
}

/*
 * The guest asks the VMM to reset its devices and sees the revocation:
 * the BAR's memslot is gone (its reads are unclaimed MMIO: all ones), P2P
 * DMA to it faults "revoked", the trusted binding is LOCKED again and
 * trusted DMA faults until the guest accepts anew.
 */
TEST(guest_sees_reset_revoke)
{
	struct pm_iobus_stats bs0, bs1;
	struct guest_vm gv;
	uint32_t slot;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 32 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  DEV_FLAGS));
	ASSERT_OK(pm_iobus_get_stats(pm_vm_iobus(gv.vm), &bs0));
	guest_vm_run(&gv, T(PM_GT_DEV_RESET), 0);
	ASSERT_GUEST_PASSED(&gv, PM_GT_DEV_RESET, 1);
	ASSERT_OK(pm_iobus_get_stats(pm_vm_iobus(gv.vm), &bs1));
	/* The guest's read of the revoked BAR was an unclaimed exit. */
	ASSERT_GT(bs1.unclaimed, bs0.unclaimed);
	pm_vm_bar_device(gv.vm, &slot);
	ASSERT_EQ(slot, UINT32_MAX);
	ASSERT_EQ(pm_protfd_state(pm_vm_protfd(gv.vm)), PM_TDI_RUN);
	pm_vm_destroy(gv.vm);
}

/* The word at @off of the private MMIO region, through the trusted path. */
static uint64_t pmmio_word(struct pm_protfd *pf, uint64_t off)
{
	struct pm_gmem *s = pm_protfd_mmio_store(pf);
	struct pm_gmem_page pg;
	uint64_t word;

	ASSERT_OK(pm_gmem_get_pfn(s, off, 0, &pg));
	ASSERT_TRUE(pg.ptr != NULL);
	memcpy(&word, (uint8_t *)pg.ptr + (off - pg.offset), 8);
	pm_gmem_put_pfn(s, &pg);
	return word;
}

/*
 * The trusted engine's private MMIO: filled by the device before RUN,
 * bound at PM_TDEV_PMMIO_GPA on the guest's accept (the guest reads the
 * device's pattern without exits, the device sees the guest's store), and
 * after the guest's reset the revoke callback has deleted the memslot: the
 * same read is an unclaimed MMIO exit and the guest reads all ones.
 */
TEST(guest_private_mmio_run_only)
{
	struct pm_iobus_stats bs0, bs1;
	struct pm_vcpu_info in;
	struct guest_vm gv;
	struct pm_protfd *pf;
	uint32_t slot;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 32 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  DEV_FLAGS));
	pf = pm_vm_protfd(gv.vm);
	ASSERT_TRUE(pm_protfd_mmio_store(pf) != NULL);
	ASSERT_EQ(pm_gmem_backend_of(pm_protfd_mmio_store(pf)),
		  PM_GMEM_GUEST_MEMFD);
	ASSERT_EQ(pm_gmem_vm_fd(pm_protfd_mmio_store(pf)), pm_vm_fd(gv.vm));
	/* Not bound before RUN; the device's pattern is already there. */
	ASSERT_EQ(pm_vm_private_mmio_slot(gv.vm), UINT32_MAX);
	ASSERT_U64_EQ(pmmio_word(pf, PG + 2048),
		      pm_guest_pattern(PG + 2048, PM_TDEV_PMMIO_SEED));
	ASSERT_OK(pm_iobus_get_stats(pm_vm_iobus(gv.vm), &bs0));
	guest_vm_run(&gv, T(PM_GT_PRIVATE_MMIO), 0);
	ASSERT_GUEST_PASSED(&gv, PM_GT_PRIVATE_MMIO, 1);
	ASSERT_EQ(gv.log.checks_no, 0);
	ASSERT_OK(pm_iobus_get_stats(pm_vm_iobus(gv.vm), &bs1));
	/* Before the accept and after the revocation: unclaimed exits. */
	ASSERT_GE(bs1.unclaimed, bs0.unclaimed + 2);
	ASSERT_OK(pm_vm_vcpu_info(gv.vm, 0, &in));
	ASSERT_GE(in.mmio_exits, 2);
	/* What the guest stored in RUN, the device saw. */
	ASSERT_U64_EQ(pmmio_word(pf, PG + 4088),
		      pm_guest_pattern(PM_TDEV_PMMIO_GPA + PG + 4088, 0xe1));
	/* The reset left it LOCKED; the memslot is gone and binds again. */
	ASSERT_EQ(pm_protfd_state(pf), PM_TDI_LOCKED);
	ASSERT_EQ(pm_vm_private_mmio_slot(gv.vm), UINT32_MAX);
	ASSERT_OK(pm_vm_map_gmem(gv.vm, PM_TDEV_PMMIO_GPA,
				 pm_protfd_mmio_store(pf), 0,
				 PM_TDEV_PMMIO_SIZE, &slot));
	ASSERT_OK(pm_vm_unmap_fd(gv.vm, slot));
	pm_vm_destroy(gv.vm);
}

/* A stop from the host cuts the binding before it returns. */
TEST(private_mmio_cut_by_stop)
{
	struct guest_vm gv;
	struct pm_protfd *pf;
	uint32_t slot;

	kvm_caps_or_skip();
	ASSERT_OK(guest_vm_create(&gv, 32 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  DEV_FLAGS));
	pf = pm_vm_protfd(gv.vm);
	guest_vm_run(&gv, T(PM_GT_TRUSTED_ACCEPT), 0);
	ASSERT_GUEST_PASSED(&gv, PM_GT_TRUSTED_ACCEPT, 1);
	ASSERT_EQ(pm_protfd_state(pf), PM_TDI_RUN);
	slot = pm_vm_private_mmio_slot(gv.vm);
	ASSERT_NE(slot, UINT32_MAX);
	/* Bound: the range is taken. */
	ASSERT_ERR(EINVAL,
		   pm_vm_map_gmem(gv.vm, PM_TDEV_PMMIO_GPA,
				  pm_protfd_mmio_store(pf), 0, PG, &slot));
	ASSERT_OK(pm_protfd_stop(pf));
	ASSERT_EQ(pm_vm_private_mmio_slot(gv.vm), UINT32_MAX);
	ASSERT_OK(pm_vm_map_gmem(gv.vm, PM_TDEV_PMMIO_GPA,
				 pm_protfd_mmio_store(pf), 0, PG, &slot));
	ASSERT_OK(pm_vm_unmap_fd(gv.vm, slot));
	pm_vm_destroy(gv.vm);
}

/* Everything the devices hold goes with the VM. */
TEST(devices_teardown_clean)
{
	struct proc_snap s0, s1;
	struct guest_vm gv;

	kvm_caps_or_skip();
	proc_snapshot(&s0);
	ASSERT_OK(guest_vm_create(&gv, 32 * MiB, 1, PM_GMEM_GUEST_MEMFD,
				  DEV_FLAGS));
	guest_vm_run(&gv,
		     T(PM_GT_TRUSTED_ACCEPT) | T(PM_GT_TRUSTED_DMA) |
			     T(PM_GT_BAR_MMIO) | T(PM_GT_BAR_P2P),
		     0);
	ASSERT_EQ(pm_protfd_state(pm_vm_protfd(gv.vm)), PM_TDI_RUN);
	pm_vm_destroy(gv.vm);
	proc_snapshot(&s1);
	ASSERT_SNAP_EQ(&s0, &s1);
}

TEST_MAIN()
