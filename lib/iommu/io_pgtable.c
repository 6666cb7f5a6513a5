// SPDX-License-Identifier: MIT
/*
 * The emulated IOMMU's IO page table (see io_pgtable.h for the API).
 *
 * Data model
 * ----------
 * Four levels of 512-entry tables, as x86-64's 4-level paging: a level-4
 * entry covers 512 GiB, level 3 1 GiB, level 2 2 MiB, level 1 4 KiB. The
 * root (level 4) lives as long as the io_pgtable. An entry is one u64:
 *
 *   leaf:   kva of the page/block (4 KiB aligned) | WRITE | READ | PRESENT
 *   table:  address of the next-level table (8-byte aligned) | TABLE |
 *           PRESENT
 *
 * Leaves exist at levels 1, 2 (if SZ_2M is in the bitmap) and 3 (SZ_1G).
 * A table's address is a kzalloc() pointer, so it is only 8-byte aligned
 * (unlike real hardware's 4 KiB): table entries keep their flags in bits
 * 0-1, leaves in bits 0-3. Each table also counts its present entries
 * (struct pt_table.nr_present, never read by lookups), so that an emptied
 * table is found without a scan.
 *
 * Invariants (between calls)
 *  - No table but the root is empty.
 *  - Canonical shape: an aligned block of an allowed large size that is
 *    mapped throughout, with one prot and host addresses contiguous from a
 *    base aligned to the block size, is a single leaf. Map restores it by
 *    merging (only tables on the paths of the first and the last page of
 *    the range can have been completed: a block wholly inside the range
 *    was given its leaf directly, or cannot be one), unmap cannot break it.
 *    So the shape depends only on what is mapped, never on the order of
 *    the calls that mapped it, which is what the tests check.
 *  - Reserve: nr_reserve == reserve_need() = one table per 2 MiB leaf and
 *    513 per 1 GiB leaf, see below.
 *
 * Cuts and the reserve
 * --------------------
 * Unmapping part of a large leaf replaces it by a table of smaller leaves
 * (and, for a 1 GiB leaf cut at a 4 KiB boundary, one more level below).
 * unmap must not fail, and may be a gmem conversion removing every
 * translation to pages turning private, so it must not depend on being
 * able to allocate. A small pool sized for one unmap (4 tables: two ends,
 * two levels each) refilled at map time is not enough: nothing bounds
 * the number of unmaps between two maps, and cutting one page out of each
 * of N 2 MiB leaves needs N tables that all stay. So every large leaf
 * carries its worst case in the reserve, allocated by the map that
 * creates it (which fails with -ENOMEM, changing nothing, if it cannot):
 *   2 MiB leaf:  1 table (its level-1 table);
 *   1 GiB leaf:  1 level-2 table plus, for each of its 512 2 MiB parts
 *                (2 MiB leaves after the first cut, or level-1 tables
 *                directly if 2 MiB leaves are not allowed), one level-1
 *                table: 513.
 * Every transition keeps nr_reserve == reserve_need(): a cut takes exactly
 * what the leaf it removes brought (2 MiB: 1; 1 GiB: 1 and hands 512 on
 * to its new 2 MiB leaves, or takes all 513), a merge puts the tables it
 * frees into the reserve (exactly what the new leaf needs), and removing
 * a whole large leaf or freeing an emptied table leaves a surplus that is
 * given back at the end of the call. Reserve tables are not in the tree
 * (nr_tables) but are counted in the stats (reserve_tables).
 *
 * The price: the tables behind large leaves are paid for in advance, so a
 * large leaf costs as much memory as the 4 KiB mapping it stands for
 * (about 0.2% of the bytes mapped); what large leaves save is walk length
 * (lookups stop one or two levels early) and IOTLB reach, not memory. In
 * exchange unmap never allocates, never fails and is not an injection
 * point.
 *
 * Concurrency
 * -----------
 * map and unmap are serialised by the caller. Entries are read with
 * acquire loads and written with release stores, and a table is filled
 * before the entry that links it is stored, so a lookup racing with a map
 * or unmap reads whole entries and sees, for each page, either the old or
 * the new translation. But map (merges) and unmap free tables, so lookups
 * must still be excluded while they run: emu_domain.c holds an rwlock,
 * read by lookups and written by map and unmap. Tables freed into the
 * reserve are zeroed when taken out again, also under that exclusion.
 */
#include <errno.h>
#include <string.h>
#include "common/err.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "io_pgtable.h"
#include "iommufd_private.h"

#define PT_LEVELS 4
#define PT_BITS 9
#define PT_ENTRIES (1U << PT_BITS)

#define PTE_PRESENT (1ULL << 0)
#define PTE_TABLE (1ULL << 1)
#define PTE_READ (1ULL << 2)
#define PTE_WRITE (1ULL << 3)
#define PTE_LEAF_ADDR (~(SZ_4K - 1))
#define PTE_TABLE_ADDR (~7ULL)

/* Reserve tables a large leaf brings (see above). */
#define RESERVE_2M 1ULL
#define RESERVE_1G (1ULL + PT_ENTRIES)

struct pt_table {
	u64 pte[PT_ENTRIES];
	u32 nr_present; /* present entries; writer only */
};

struct io_pgtable {
	struct pt_table *root; /* level 4 */
	u64 pgsize_bitmap;
	u64 nr_tables; /* in the tree, root included */
	u64 leaves[3]; /* per leaf level */
	struct pt_table *reserve; /* free list, linked through pte[0] */
	u64 nr_reserve;
};

/* ---------------------------------------------------------- entries */

static inline unsigned int level_shift(unsigned int level)
{
	return 12 + PT_BITS * (level - 1);
}

/* The bytes one entry of a level-@level table covers. */
static inline u64 level_size(unsigned int level)
{
	return 1ULL << level_shift(level);
}

static inline unsigned int pt_index(u64 iova, unsigned int level)
{
	return (iova >> level_shift(level)) & (PT_ENTRIES - 1);
}

static inline u64 pte_get(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void pte_set(u64 *p, u64 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline struct pt_table *pte_table(u64 e)
{
	return (struct pt_table *)(uintptr_t)(e & PTE_TABLE_ADDR);
}

static inline u64 mk_table(struct pt_table *t)
{
	return (u64)(uintptr_t)t | PTE_TABLE | PTE_PRESENT;
}

static inline u64 prot_to_pte(int prot)
{
	return (prot & IOMMU_READ ? PTE_READ : 0) |
	       (prot & IOMMU_WRITE ? PTE_WRITE : 0);
}

static inline u64 mk_leaf(u64 kva, u64 prot_bits)
{
	return kva | prot_bits | PTE_PRESENT;
}

static inline u64 leaf_kva(u64 e)
{
	return e & PTE_LEAF_ADDR;
}

static inline u64 leaf_prot_bits(u64 e)
{
	return e & (PTE_READ | PTE_WRITE);
}

/* May a level-@level entry be a leaf? */
static inline bool leaf_allowed(struct io_pgtable *pgt, unsigned int level)
{
	return level == 1 ||
	       (level <= 3 && (pgt->pgsize_bitmap & level_size(level)));
}

/* Count @n more (or fewer) leaves at @level. */
static inline void leaves_add(struct io_pgtable *pgt, unsigned int level, s64 n)
{
	if (!WARN_ON(level < 1 || level > 3))
		pgt->leaves[level - 1] += n;
}

/* ---------------------------------------------------------- tables */

static u64 reserve_need(struct io_pgtable *pgt)
{
	return pgt->leaves[1] * RESERVE_2M + pgt->leaves[2] * RESERVE_1G;
}

static void reserve_push(struct io_pgtable *pgt, struct pt_table *t)
{
	t->pte[0] = (u64)(uintptr_t)pgt->reserve;
	pgt->reserve = t;
	pgt->nr_reserve++;
}

/* A zeroed table from the reserve (the caller checked there is one). */
static struct pt_table *reserve_pop(struct io_pgtable *pgt)
{
	struct pt_table *t = pgt->reserve;

	pgt->reserve = (struct pt_table *)(uintptr_t)t->pte[0];
	pgt->nr_reserve--;
	memset(t, 0, sizeof(*t));
	return t;
}

static int reserve_fill(struct io_pgtable *pgt, u64 target)
{
	while (pgt->nr_reserve < target) {
		struct pt_table *t = kzalloc(sizeof(*t));

		if (!t)
			return -ENOMEM;
		reserve_push(pgt, t);
	}
	return 0;
}

/* Give back what the leaves no longer need. */
static void reserve_trim(struct io_pgtable *pgt)
{
	u64 need = reserve_need(pgt);

	WARN_ON(pgt->nr_reserve < need);
	while (pgt->nr_reserve > need) {
		struct pt_table *t = pgt->reserve;

		pgt->reserve = (struct pt_table *)(uintptr_t)t->pte[0];
		pgt->nr_reserve--;
		kfree(t);
	}
}

/* A table leaves the tree: into the reserve (trimmed at the end). */
static void table_release(struct io_pgtable *pgt, struct pt_table *t)
{
	pgt->nr_tables--;
	reserve_push(pgt, t);
}

/* ------------------------------------------------------------- map */

/* Does any translation lie in [iova, last], within level-@level @t? */
static bool pt_range_mapped(struct pt_table *t, unsigned int level, u64 iova,
			    u64 last)
{
	u64 size = level_size(level), cur = iova;

	for (;;) {
		u64 slot_last = cur | (size - 1);
		u64 l = last < slot_last ? last : slot_last;
		u64 e = pte_get(&t->pte[pt_index(cur, level)]);

		if (e & PTE_PRESENT) {
			if (!(e & PTE_TABLE))
				return true;
			/* Tables are never empty. */
			if (IS_ALIGNED(cur, size) && l == slot_last)
				return true;
			if (pt_range_mapped(pte_table(e), level - 1, cur, l))
				return true;
		}
		if (l == last)
			return false;
		cur = l + 1;
	}
}

/* Large leaves of each size a map of [iova, end) creates; see pt_map(). */
static u64 nr_blocks(u64 iova, u64 end, u64 size)
{
	u64 a = ALIGN_UP(iova, size), b = ALIGN_DOWN(end, size);

	return b > a ? (b - a) / size : 0;
}

/*
 * Fill [iova, last] (all unmapped) within level-@level @t with leaves
 * mapping iova + delta: at each slot the range covers wholly, a leaf if
 * allowed and aligned, else a table (allocated if missing) and below.
 */
static int pt_map(struct io_pgtable *pgt, struct pt_table *t,
		  unsigned int level, u64 iova, u64 last, u64 delta,
		  u64 prot_bits)
{
	u64 size = level_size(level), cur = iova;

	for (;;) {
		u64 slot_last = cur | (size - 1);
		u64 l = last < slot_last ? last : slot_last;
		u64 *p = &t->pte[pt_index(cur, level)];
		u64 e = pte_get(p);

		if (IS_ALIGNED(cur, size) && l == slot_last &&
		    leaf_allowed(pgt, level) && IS_ALIGNED(cur + delta, size)) {
			if (WARN_ON(e & PTE_PRESENT))
				return -EEXIST;
			pte_set(p, mk_leaf(cur + delta, prot_bits));
			t->nr_present++;
			leaves_add(pgt, level, 1);
		} else {
			struct pt_table *child;
			int rc;

			if (WARN_ON(level == 1 ||
				    ((e & PTE_PRESENT) && !(e & PTE_TABLE))))
				return -EEXIST;
			if (!(e & PTE_PRESENT)) {
				child = kzalloc(sizeof(*child));
				if (!child)
					return -ENOMEM;
				pgt->nr_tables++;
				pte_set(p, mk_table(child));
				t->nr_present++;
			} else {
				child = pte_table(e);
			}
			rc = pt_map(pgt, child, level - 1, cur, l, delta,
				    prot_bits);
			if (rc)
				return rc;
		}
		if (l == last)
			return 0;
		cur = l + 1;
	}
}

/*
 * Does level-@level @t map all of its span with one prot and host
 * addresses contiguous from *kva0? (Level-1 tables below a level-2 one are
 * followed: with SZ_1G but not SZ_2M allowed, they merge straight to 1 GiB.)
 */
static bool pt_uniform(struct pt_table *t, unsigned int level, u64 *kva0,
		       u64 *prot_bits)
{
	u64 size = level_size(level);
	unsigned int i;

	if (t->nr_present != PT_ENTRIES)
		return false;
	for (i = 0; i < PT_ENTRIES; i++) {
		u64 e = pte_get(&t->pte[i]), kva, prot;

		if (e & PTE_TABLE) {
			if (level != 2 ||
			    !pt_uniform(pte_table(e), 1, &kva, &prot))
				return false;
		} else {
			kva = leaf_kva(e);
			prot = leaf_prot_bits(e);
		}
		if (!i) {
			*kva0 = kva;
			*prot_bits = prot;
		} else if (kva != *kva0 + i * size || prot != *prot_bits) {
			return false;
		}
	}
	return true;
}

/* Take level-@level @t and every table below it out of the tree. */
static void pt_release_tree(struct io_pgtable *pgt, struct pt_table *t,
			    unsigned int level)
{
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++) {
		u64 e = pte_get(&t->pte[i]);

		if (!(e & PTE_PRESENT))
			continue;
		if (e & PTE_TABLE)
			pt_release_tree(pgt, pte_table(e), level - 1);
		else
			leaves_add(pgt, level, -1);
	}
	table_release(pgt, t);
}

/* Merge, bottom-up, the tables on the path to @iova that became blocks. */
static void pt_merge_path(struct io_pgtable *pgt, u64 iova)
{
	struct pt_table *path[PT_LEVELS + 1];
	unsigned int level = PT_LEVELS;

	path[PT_LEVELS] = pgt->root;
	while (level > 1) {
		u64 e = pte_get(&path[level]->pte[pt_index(iova, level)]);

		if (!(e & PTE_TABLE))
			break;
		level--;
		path[level] = pte_table(e);
	}
	/* A level-@level table can become a leaf of level level + 1. */
	for (; level < 3; level++) {
		u64 kva, prot_bits, *p;

		if (!leaf_allowed(pgt, level + 1) ||
		    !pt_uniform(path[level], level, &kva, &prot_bits) ||
		    !IS_ALIGNED(kva, level_size(level + 1)))
			continue;
		p = &path[level + 1]->pte[pt_index(iova, level + 1)];
		pte_set(p, mk_leaf(kva, prot_bits));
		leaves_add(pgt, level + 1, 1);
		pt_release_tree(pgt, path[level], level);
	}
}

int io_pgtable_map(struct io_pgtable *pgt, u64 iova, void *kva, u64 len,
		   int prot)
{
	u64 pa = (u64)(uintptr_t)kva, last, klast, delta, n1g, n2m, target;
	int rc;

	if (!len || !IS_ALIGNED(iova | pa | len, SZ_4K))
		return -EINVAL;
	if (prot & ~(IOMMU_READ | IOMMU_WRITE))
		return -EINVAL;
	if (check_add_overflow(iova, len - 1, &last) ||
	    last > IO_PGTABLE_IOVA_LAST ||
	    check_add_overflow(pa, len - 1, &klast))
		return -EINVAL;
	if (pt_range_mapped(pgt->root, PT_LEVELS, iova, last))
		return -EEXIST;

	/* The reserve for the large leaves this map creates, first. */
	delta = pa - iova;
	n1g = n2m = 0;
	if ((pgt->pgsize_bitmap & SZ_1G) && IS_ALIGNED(delta, SZ_1G))
		n1g = nr_blocks(iova, last + 1, SZ_1G);
	if ((pgt->pgsize_bitmap & SZ_2M) && IS_ALIGNED(delta, SZ_2M))
		n2m = nr_blocks(iova, last + 1, SZ_2M) - n1g * PT_ENTRIES;
	target = reserve_need(pgt) + n2m * RESERVE_2M + n1g * RESERVE_1G;
	rc = reserve_fill(pgt, target);
	if (rc) {
		reserve_trim(pgt);
		return rc;
	}

	rc = pt_map(pgt, pgt->root, PT_LEVELS, iova, last, delta,
		    prot_to_pte(prot));
	if (rc) {
		/*
		 * The range was free and nothing is merged yet, so this
		 * removes exactly the leaves just written, cuts nothing and
		 * frees the tables just allocated.
		 */
		io_pgtable_unmap(pgt, iova, len);
		return rc;
	}
	WARN_ON(pgt->nr_reserve != reserve_need(pgt));

	pt_merge_path(pgt, iova);
	if (ALIGN_DOWN(last, SZ_2M) != ALIGN_DOWN(iova, SZ_2M))
		pt_merge_path(pgt, last);
	reserve_trim(pgt);
	return 0;
}

/* ----------------------------------------------------------- unmap */

/*
 * The level-(@level - 1) table standing for leaf @e of level @level, made
 * of reserve tables: smaller leaves of the same pages, or for a 1 GiB leaf
 * when 2 MiB ones are not allowed, level-1 tables of 4 KiB leaves.
 */
static struct pt_table *pt_split(struct io_pgtable *pgt, u64 e,
				 unsigned int level)
{
	unsigned int sub = level - 1, i, j;
	u64 kva = leaf_kva(e), prot_bits = leaf_prot_bits(e);
	u64 subsize = level_size(sub);
	bool leaves = leaf_allowed(pgt, sub);
	struct pt_table *t;

	/* Cannot happen: the leaf brought these when it was made. */
	if (WARN_ON(pgt->nr_reserve < (leaves ? 1 : 1 + PT_ENTRIES)))
		return NULL;
	t = reserve_pop(pgt);
	for (i = 0; i < PT_ENTRIES; i++) {
		u64 k = kva + i * subsize;
		struct pt_table *gc;

		if (leaves) {
			t->pte[i] = mk_leaf(k, prot_bits);
			continue;
		}
		gc = reserve_pop(pgt);
		for (j = 0; j < PT_ENTRIES; j++)
			gc->pte[j] = mk_leaf(k + j * SZ_4K, prot_bits);
		gc->nr_present = PT_ENTRIES;
		pgt->nr_tables++;
		t->pte[i] = mk_table(gc);
	}
	t->nr_present = PT_ENTRIES;
	pgt->nr_tables++;
	leaves_add(pgt, level, -1);
	if (leaves)
		leaves_add(pgt, sub, PT_ENTRIES);
	else
		leaves_add(pgt, 1, (s64)PT_ENTRIES * PT_ENTRIES);
	return t;
}

static u64 pt_unmap(struct io_pgtable *pgt, struct pt_table *t,
		    unsigned int level, u64 iova, u64 last)
{
	u64 size = level_size(level), cur = iova, done = 0;

	for (;;) {
		u64 slot_last = cur | (size - 1);
		u64 l = last < slot_last ? last : slot_last;
		u64 *p = &t->pte[pt_index(cur, level)];
		u64 e = pte_get(p);
		bool whole = IS_ALIGNED(cur, size) && l == slot_last;

		if (!(e & PTE_PRESENT))
			goto next;
		if (!(e & PTE_TABLE)) {
			struct pt_table *split = NULL;

			if (!whole)
				split = pt_split(pgt, e, level);
			if (!split) {
				/*
				 * The whole leaf (or, were the reserve ever
				 * short, more than asked: never less).
				 */
				pte_set(p, 0);
				t->nr_present--;
				leaves_add(pgt, level, -1);
				done += l - cur + 1;
				goto next;
			}
			e = mk_table(split);
			pte_set(p, e);
		}
		done += pt_unmap(pgt, pte_table(e), level - 1, cur, l);
		if (!pte_table(e)->nr_present) {
			pte_set(p, 0);
			t->nr_present--;
			table_release(pgt, pte_table(e));
		}
next:
		if (l == last)
			return done;
		cur = l + 1;
	}
}

u64 io_pgtable_unmap(struct io_pgtable *pgt, u64 iova, u64 len)
{
	u64 last, done;

	if (!len)
		return 0;
	if (WARN_ON(!IS_ALIGNED(iova | len, SZ_4K)))
		return 0;
	if (iova > IO_PGTABLE_IOVA_LAST)
		return 0;
	if (check_add_overflow(iova, len - 1, &last) ||
	    last > IO_PGTABLE_IOVA_LAST)
		last = IO_PGTABLE_IOVA_LAST;
	done = pt_unmap(pgt, pgt->root, PT_LEVELS, iova, last);
	reserve_trim(pgt);
	return done;
}

/* ---------------------------------------------------------- lookup */

int io_pgtable_lookup(struct io_pgtable *pgt, u64 iova, void **kva, int *prot,
		      unsigned int *level)
{
	struct pt_table *t = pgt->root;
	unsigned int l;

	if (iova > IO_PGTABLE_IOVA_LAST)
		return -ENOENT;
	for (l = PT_LEVELS; l; l--) {
		u64 e = pte_get(&t->pte[pt_index(iova, l)]);

		if (!(e & PTE_PRESENT))
			return -ENOENT;
		if (e & PTE_TABLE) {
			t = pte_table(e);
			continue;
		}
		*kva = (void *)(uintptr_t)(leaf_kva(e) +
					   (iova & (level_size(l) - 1)));
		if (prot)
			*prot = (e & PTE_READ ? IOMMU_READ : 0) |
				(e & PTE_WRITE ? IOMMU_WRITE : 0);
		if (level)
			*level = l;
		return 0;
	}
	return -ENOENT;
}

/* ------------------------------------------------------- lifecycle */

struct io_pgtable *io_pgtable_alloc(u64 pgsize_bitmap)
{
	struct io_pgtable *pgt;

	if (!(pgsize_bitmap & SZ_4K) || (pgsize_bitmap & ~IO_PGTABLE_PGSIZES))
		return ERR_PTR(-EINVAL);
	pgt = kzalloc(sizeof(*pgt));
	if (!pgt)
		return ERR_PTR(-ENOMEM);
	pgt->root = kzalloc(sizeof(*pgt->root));
	if (!pgt->root) {
		kfree(pgt);
		return ERR_PTR(-ENOMEM);
	}
	pgt->nr_tables = 1;
	pgt->pgsize_bitmap = pgsize_bitmap;
	return pgt;
}

static void pt_free_tree(struct pt_table *t, unsigned int level)
{
	unsigned int i;

	for (i = 0; level > 1 && i < PT_ENTRIES; i++) {
		u64 e = t->pte[i];

		if ((e & PTE_PRESENT) && (e & PTE_TABLE))
			pt_free_tree(pte_table(e), level - 1);
	}
	kfree(t);
}

void io_pgtable_free(struct io_pgtable *pgt)
{
	if (IS_ERR_OR_NULL(pgt))
		return;
	pt_free_tree(pgt->root, PT_LEVELS);
	while (pgt->reserve) {
		struct pt_table *t = pgt->reserve;

		pgt->reserve = (struct pt_table *)(uintptr_t)t->pte[0];
		kfree(t);
	}
	kfree(pgt);
}

void io_pgtable_get_stats(struct io_pgtable *pgt,
			  struct io_pgtable_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->nr_tables = pgt->nr_tables;
	stats->table_bytes = pgt->nr_tables * sizeof(struct pt_table);
	memcpy(stats->leaves, pgt->leaves, sizeof(stats->leaves));
	stats->reserve_tables = pgt->nr_reserve;
	stats->reserve_bytes = pgt->nr_reserve * sizeof(struct pt_table);
}
