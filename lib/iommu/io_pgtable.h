/* SPDX-License-Identifier: MIT */
/*
 * The emulated IOMMU's IO page table: an x86-64-like four-level radix tree
 * over a 48-bit IOVA space, 512 entries a level, with 4 KiB (level 1),
 * 2 MiB (level 2) and 1 GiB (level 3) leaves. A leaf holds the host
 * address ("kva", this emulation's physical address) of its page or block
 * and its permissions (IOMMU_READ, IOMMU_WRITE of iommufd_private.h).
 *
 * The table is always in one canonical shape, whatever the history of
 * maps and unmaps that led to it: a block of an allowed large size whose
 * every page is mapped, with one prot and contiguous host addresses
 * aligned to the block size, is one leaf (a map that completes it merges
 * the tables below into that leaf); a leaf only partly unmapped is split
 * into smaller leaves (a "cut"); a table that becomes empty is freed.
 *
 * Cuts never fail and never allocate: every large leaf carries its split
 * tables with it, preallocated at map time in a reserve (see io_pgtable.c
 * and io_pgtable_stats.reserve_tables).
 *
 * Concurrency: io_pgtable_map() and io_pgtable_unmap() must be serialised
 * by the caller. io_pgtable_lookup() may run concurrently with them as far
 * as entries go (they are read and written atomically, and a new table is
 * complete before it is linked), but map and unmap free tables, so the
 * caller must exclude lookups while it maps or unmaps: emu_domain.c holds
 * an rwlock, read for lookups, write for map and unmap.
 */
#ifndef PRIVMEM_IOMMU_IO_PGTABLE_H
#define PRIVMEM_IOMMU_IO_PGTABLE_H

#include "common/compiler.h"

#define IO_PGTABLE_IOVA_BITS 48
/* The aperture: [0, IO_PGTABLE_IOVA_LAST]. */
#define IO_PGTABLE_IOVA_LAST ((1ULL << IO_PGTABLE_IOVA_BITS) - 1)
#define IO_PGTABLE_PGSIZES (SZ_4K | SZ_2M | SZ_1G)

struct io_pgtable;

struct io_pgtable_stats {
	u64 table_bytes; /* tables in the tree, the root included */
	u64 nr_tables;
	u64 leaves[3]; /* 4 KiB, 2 MiB, 1 GiB */
	/* Preallocated tables kept for cuts of large leaves. */
	u64 reserve_tables;
	u64 reserve_bytes;
};

/*
 * A new, empty table (its root level allocated). @pgsize_bitmap: the leaf
 * sizes it may use, a subset of IO_PGTABLE_PGSIZES with SZ_4K in it.
 * Return: the table, ERR_PTR(-EINVAL) or ERR_PTR(-ENOMEM).
 */
struct io_pgtable *io_pgtable_alloc(u64 pgsize_bitmap);
/* Free the table and every table in it, mapped or not. */
void io_pgtable_free(struct io_pgtable *pgt);

/*
 * Map [iova, iova + len) to [kva, kva + len) with @prot, using the largest
 * leaf that fits each piece (both addresses aligned to it, the range
 * covering it, its size in the bitmap), then merging blocks it completes.
 * Return: 0; -EINVAL (misaligned, empty, outside the aperture, unknown
 * prot bits); -EEXIST (some page of the range is mapped: nothing changed);
 * -ENOMEM (nothing changed).
 */
int io_pgtable_map(struct io_pgtable *pgt, u64 iova, void *kva, u64 len,
		   int prot);
/*
 * Unmap every translation in [iova, iova + len) (holes allowed), cutting
 * leaves that straddle an end. Never fails and never allocates.
 * Return: the bytes that were mapped in the range.
 */
u64 io_pgtable_unmap(struct io_pgtable *pgt, u64 iova, u64 len);
/*
 * Translate @iova: *kva is the host byte address for it, *prot its
 * permissions and *level the level of its leaf (1: 4 KiB, 2: 2 MiB,
 * 3: 1 GiB); @prot and @level may be NULL. No allocation, no system call.
 * Return: 0 or -ENOENT.
 */
int io_pgtable_lookup(struct io_pgtable *pgt, u64 iova, void **kva, int *prot,
		      unsigned int *level);
void io_pgtable_get_stats(struct io_pgtable *pgt,
			  struct io_pgtable_stats *stats);

#endif
