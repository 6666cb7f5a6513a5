/* SPDX-License-Identifier: MIT */
/*
 * The project's lock order, as ranks: a lock may only be taken while every
 * lock already held has a lower rank. Checked in debug builds (mutex.h).
 *
 *   VMM conversion lock        (a guest's conversion request: KVM
 *                               attributes, then the store)
 *   gmem conversion lock       (held while invalidation notifiers run)
 *     -> VMM device model lock (a register access, with its DMA inside)
 *     -> emulated device lock (held by its DMA; attach/replace/detach)
 *     -> device attach lock (bind/attach/replace of emulated devices)
 *     -> iommufd context locks (object table)
 *     -> IOAS mutex, selftest access, access->ioas_lock
 *       -> IOAS / io_pagetable locks (domains_rwsem, iova_rwsem)
 *         -> iopt_pages mutex
 *           -> DMA drain lock (domain dma_lock)
 *             -> protfd holds lock (trusted fills and releases)
 *           -> IOMMU domain / IOTLB locks
 *             -> gmem state lock (get_pfn/put_pfn, called from all above)
 *               -> VMM memslot table, I/O bus, vCPU state (nothing inside)
 *               -> leaf locks (logging, counters)
 *
 * A consumer of a gmem store (the IOMMU, the VMM) may call get_pfn/put_pfn
 * with its own locks held because those take only the store's state lock,
 * which ranks below every consumer lock; the store calls its notifiers with
 * only the conversion lock held, which ranks above them.
 */
#ifndef PRIVMEM_COMMON_LOCK_RANKS_H
#define PRIVMEM_COMMON_LOCK_RANKS_H

enum lock_rank {
	LOCK_RANK_TEST_OUTER = 1,
	LOCK_RANK_VMM = 5,
	LOCK_RANK_PROTFD = 8,
	LOCK_RANK_GMEM_CONVERT = 10,
	LOCK_RANK_VMM_DEV = 12, /* a device model's registers (its DMA
				 * takes the IOMMU's locks inside) */
	LOCK_RANK_DEVICE = 15,
	LOCK_RANK_IOMMUFD_ATTACH = 18,
	LOCK_RANK_IOMMUFD_CTX = 20,
	LOCK_RANK_IOMMUFD_OBJ = 25,
	LOCK_RANK_SELFTEST_ACCESS = 26,
	LOCK_RANK_ACCESS_IOAS = 27,
	LOCK_RANK_IOPT_DOMAINS = 30,
	LOCK_RANK_IOPT_IOVA = 35,
	LOCK_RANK_PAGES_REGISTRY = 38,
	LOCK_RANK_IOPT_PAGES = 40,
	LOCK_RANK_IOMMU_DMA = 45,
	LOCK_RANK_PROTFD_HOLDS = 47,
	LOCK_RANK_IOMMU_DOMAIN = 50,
	LOCK_RANK_GMEM_STATE = 60,
	/*
	 * The VMM's inner locks take nothing else inside them; high ranks
	 * so that device hooks called under other locks (a protection fd's
	 * revoke callback deleting a memslot) may take them.
	 */
	LOCK_RANK_VMM_SLOTS = 84,
	LOCK_RANK_VMM_BUS = 86,
	LOCK_RANK_VMM_STATE = 88,
	LOCK_RANK_LEAF = 90,
};

#endif
