// SPDX-License-Identifier: MIT
/*
 * VFIO type1 compatibility: the container ioctls of /dev/vfio/vfio on an
 * iommufd context, and IOMMU_VFIO_IOAS, which picks the IOAS they act on.
 *
 * The behaviour is that of Linux's iommufd VFIO compatibility (the kernel's
 * answer to every number and every error is the reference), not that of
 * the old VFIO type1 driver.
 *
 * The compat IOAS
 * ---------------
 * The type1 ioctls carry no IOAS id, so they act on one IOAS of the
 * context, ictx->vfio_ioas. IOMMU_VFIO_IOAS sets (SET), reads (GET) or
 * forgets (CLEAR) it; an IOAS that is destroyed stops being it (main.c
 * clears the pointer when the object goes). Without one, every type1 ioctl
 * that needs it fails with ENODEV, as in Linux, where only attaching a VFIO
 * group creates it. VFIO_SET_IOMMU therefore does not create an IOAS here
 * either; the LD_PRELOAD shim's /dev/vfio/vfio, which has no groups, does
 * that for its callers (see shim/iommufd_shim.c).
 *
 * Commands
 * --------
 *   VFIO_GET_API_VERSION  VFIO_API_VERSION.
 *   VFIO_CHECK_EXTENSION  1 for TYPE1, TYPE1v2 and UNMAP_ALL; DMA_CC_IOMMU
 *                         is 1 when a compat IOAS exists (every domain of
 *                         this library is coherent), ENODEV without one;
 *                         0 for everything else, UPDATE_VADDR and the
 *                         obsolete NESTING type included, as Linux answers.
 *   VFIO_SET_IOMMU        TYPE1 or TYPE1v2 (else EINVAL) on the compat IOAS
 *                         (ENODEV). TYPE1 disables large pages on it, so
 *                         that a later unmap may cut any mapping.
 *   VFIO_IOMMU_GET_INFO   page sizes (VFIO_IOMMU_INFO_PGSIZES) and the
 *                         capability chain (VFIO_IOMMU_INFO_CAPS): DMA_AVAIL
 *                         (U32_MAX), then IOVA_RANGE, the holes between the
 *                         compat IOAS's reserved ranges. argsz below the
 *                         pre-capability struct is EINVAL; a short argsz
 *                         gets the capabilities that fit, cap_offset 0, and
 *                         argsz set to the size that holds them all. Nothing
 *                         is written past the caller's argsz.
 *   VFIO_IOMMU_MAP_DMA    vaddr/iova/size at a fixed IOVA; READ and WRITE
 *                         are the only flags (EINVAL otherwise).
 *   VFIO_IOMMU_UNMAP_DMA  a range, or everything with
 *                         VFIO_DMA_UNMAP_FLAG_ALL (iova and size must be 0);
 *                         size returns the bytes unmapped, also on error.
 *   anything else         ENOTTY (VFIO_IOMMU_DIRTY_PAGES included).
 *
 * TYPE1 versus TYPE1v2: cutting
 * -----------------------------
 * TYPE1v2 unmaps whole mappings only: a range that covers part of one is
 * ENOENT (the IOAS rule). TYPE1 lets a range cut mappings: Linux splits the
 * areas that straddle the range's ends (iopt_cut_iova) and then unmaps. The
 * io_pagetable here has no split operation, so a cut is emulated with its
 * public calls: the straddling area's pages are held pinned, the area is
 * unmapped, its two parts are mapped again at the same IOVAs with the same
 * pages, protection and offsets, and the hold is dropped. Nothing is
 * pinned, charged or copied again. A cut is refused as Linux refuses it:
 * EBUSY for an area being created or unmapped, EINVAL for a cut point not
 * aligned to the IOAS alignment (PAGE_SIZE once TYPE1 disabled large pages)
 * or for an area with an in-library access (Linux cannot split those
 * either), and EOPNOTSUPP for a gmem store's area (a revocable source,
 * refused like Linux refuses a DMABUF).
 * Differences from Linux's split, which is atomic:
 *  - between the unmap and the second map the straddling area's IOVAs have
 *    no translation: emulated DMA there faults in that window;
 *  - a concurrent IOMMU_IOAS_MAP could take the freed IOVAs first; then the
 *    remap fails, the area is put back whole if possible and the unmap
 *    fails with that error ("userspace should not race map/unmap").
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <linux/vfio.h>
#include "common/err.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "common/uaccess.h"
#include "iommufd_private.h"

#define offsetofend(type, member)                                              \
	(offsetof(type, member) + sizeof(((type *)0)->member))

#define PAGE_MASK (~(PAGE_SIZE - 1))

/* ------------------------------------------------------------ compat IOAS */

/*
 * The compat IOAS, held as by iommufd_get_ioas(), or ERR_PTR(-ENODEV).
 * The pointer is read under ctx->lock and the object looked up by id, so a
 * destroy or a SET racing with us shows as a changed pointer: look again.
 */
static struct iommufd_ioas *get_compat_ioas(struct iommufd_ctx *ictx)
{
	for (;;) {
		struct iommufd_ioas *ioas;
		bool same;
		u32 id;

		mutex_lock(&ictx->lock);
		id = ictx->vfio_ioas ? ictx->vfio_ioas->obj.id : 0;
		mutex_unlock(&ictx->lock);
		if (!id)
			return ERR_PTR(-ENODEV);

		ioas = iommufd_get_ioas(ictx, id);
		if (IS_ERR(ioas))
			return ERR_PTR(-ENODEV);

		mutex_lock(&ictx->lock);
		same = ictx->vfio_ioas == ioas;
		mutex_unlock(&ictx->lock);
		if (same)
			return ioas;
		iommufd_put_object(ictx, &ioas->obj);
	}
}

int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = get_compat_ioas(ictx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_object(ictx, &ioas->obj);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));

	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ictx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		/* Held: a destroy cannot take it before it is recorded. */
		mutex_lock(&ictx->lock);
		ictx->vfio_ioas = ioas;
		mutex_unlock(&ictx->lock);
		iommufd_put_object(ictx, &ioas->obj);
		return 0;

	case IOMMU_VFIO_IOAS_CLEAR:
		mutex_lock(&ictx->lock);
		ictx->vfio_ioas = NULL;
		mutex_unlock(&ictx->lock);
		return 0;

	default:
		return -EOPNOTSUPP;
	}
}

/* ----------------------------------------------------------- extensions */

static int vfio_compat_cc_iommu(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = get_compat_ioas(ictx);

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/*
	 * Linux answers 0 if any HWPT of the IOAS does not enforce cache
	 * coherency. The emulated devices reach memory through the CPU, so
	 * every domain here is coherent.
	 */
	iommufd_put_object(ictx, &ioas->obj);
	return 1;
}

static int vfio_compat_check_extension(struct iommufd_ctx *ictx,
				       unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return vfio_compat_cc_iommu(ictx);
	/*
	 * No no-IOMMU mode (Linux: 1 only with CONFIG_VFIO_NOIOMMU); nesting
	 * type1 is obsolete; VFIO_DMA_MAP_FLAG_VADDR (UPDATE_VADDR) is not
	 * offered by iommufd, which cannot do it safely.
	 */
	case VFIO_NOIOMMU_IOMMU:
	case VFIO_UPDATE_VADDR:
	default:
		return 0;
	}
}

static int vfio_compat_set_iommu(struct iommufd_ctx *ictx, unsigned long type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;

	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/*
	 * TYPE1 may unmap inside a mapping. With large pages disabled every
	 * IOPTE is a single page, so any page-aligned cut is possible.
	 */
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_disable_large_pages(&ioas->iopt);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/* ----------------------------------------------------------------- info */

static u64 vfio_compat_pagesizes(struct iommufd_ioas *ioas)
{
	struct io_pagetable *iopt = &ioas->iopt;
	u64 pgsizes = UINT64_MAX;
	unsigned int i;

	down_read(&iopt->domains_rwsem);
	for (i = 0; i < iopt->nr_domains; i++)
		pgsizes &= iopt->domains[i]->pgsize_bitmap;
	/* Sizes below a CPU page are reported as the CPU page, as VFIO does. */
	if (pgsizes & ~PAGE_MASK) {
		pgsizes &= PAGE_MASK;
		pgsizes |= PAGE_SIZE;
	}
	if (pgsizes < iopt->iova_alignment)
		pgsizes = iopt->iova_alignment;
	up_read(&iopt->domains_rwsem);
	return pgsizes;
}

/*
 * Each filler writes its capability at @ucap if @avail bytes hold it (and
 * nothing otherwise) and returns its size, or -EFAULT.
 */
typedef int (*vfio_fill_cap_fn)(struct iommufd_ioas *ioas, u8 *ucap,
				size_t avail);

static int vfio_fill_cap_dma_avail(struct iommufd_ioas *ioas __unused,
				   u8 *ucap, size_t avail)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			.version = 1,
		},
		/*
		 * Linux's iommufd has no mapping count limit and reports
		 * U32_MAX (VFIO would say U16_MAX); so does this library.
		 */
		.avail = UINT32_MAX,
	};

	if (avail >= sizeof(cap) && copy_to_user(ucap, &cap, sizeof(cap)))
		return -EFAULT;
	return sizeof(cap);
}

/* The IOVA ranges: the holes of the reserved tree. iova_rwsem held. */
static int vfio_fill_cap_iova(struct iommufd_ioas *ioas, u8 *ucap,
			      size_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			.version = 1,
		},
	};
	struct interval_tree_span_iter span;
	const size_t elm = sizeof(struct vfio_iova_range);

	interval_tree_for_each_span(&span, &ioas->iopt.reserved_itree, 0,
				    UINT64_MAX) {
		struct vfio_iova_range range;
		size_t at = sizeof(cap) + (size_t)cap.nr_iovas * elm;

		if (!span.is_hole)
			continue;
		range.start = span.start_hole;
		range.end = span.last_hole;
		if (avail >= at + elm &&
		    copy_to_user(ucap + at, &range, sizeof(range)))
			return -EFAULT;
		cap.nr_iovas++;
	}
	if (avail >= sizeof(cap) + (size_t)cap.nr_iovas * elm &&
	    copy_to_user(ucap, &cap, sizeof(cap)))
		return -EFAULT;
	return (int)(sizeof(cap) + (size_t)cap.nr_iovas * elm);
}

static int vfio_compat_get_info(struct iommufd_ctx *ictx, u8 *uarg)
{
	static const vfio_fill_cap_fn fill_fns[] = {
		vfio_fill_cap_dma_avail,
		vfio_fill_cap_iova,
	};
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info;
	size_t total, last_cap = 0;
	struct iommufd_ioas *ioas;
	unsigned int i;
	int rc;

	memset(&info, 0, sizeof(info));
	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* The fixed part goes back up to what the caller's argsz covers. */
	minsz = min_t(size_t, info.argsz, sizeof(info));

	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = vfio_compat_pagesizes(ioas);
	info.cap_offset = 0;

	down_read(&ioas->iopt.iova_rwsem);
	total = sizeof(info);
	for (i = 0; i < ARRAY_SIZE(fill_fns); i++) {
		int size;

		if (info.argsz > total)
			size = fill_fns[i](ioas, uarg + total,
					   info.argsz - total);
		else
			size = fill_fns[i](ioas, NULL, 0);
		if (size < 0) {
			rc = size;
			goto out_unlock;
		}
		/* Every capability starts 8-byte aligned. */
		size = ALIGN_UP(size, (int)sizeof(u64));

		/* Link the previous one, if it was written whole. */
		if (last_cap && info.argsz >= total) {
			u32 next = (u32)total;

			if (copy_to_user(uarg + last_cap +
						 offsetof(struct vfio_info_cap_header,
							  next),
					 &next, sizeof(next))) {
				rc = -EFAULT;
				goto out_unlock;
			}
		}
		last_cap = total;
		total += (size_t)size;
	}

	/*
	 * A short buffer got the capabilities that fit and no chain; argsz
	 * tells the size that holds them all.
	 */
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = (u32)total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	rc = copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;

out_unlock:
	up_read(&ioas->iopt.iova_rwsem);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/* ------------------------------------------------------------- map/unmap */

static int vfio_compat_map_dma(struct iommufd_ctx *ictx, u8 *uarg)
{
	const u32 supported = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct iommufd_ioas *ioas;
	int prot = 0;
	u64 iova;
	int rc;

	if (copy_from_user(&map, uarg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || (map.flags & ~supported))
		return -EINVAL;

	/*
	 * As Linux: a map with neither flag is accepted and grants no access
	 * (the type1 driver refused it; iommufd's compat does not).
	 */
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;

	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/* type1 maps are always at the caller's IOVA. */
	iova = map.iova;
	rc = iopt_map_user_pages(ictx, &ioas->iopt, &iova,
				 (void *)(uintptr_t)map.vaddr, map.size, prot,
				 0);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/* What a cut needs to know about the area it splits. */
struct vfio_cut {
	struct iopt_pages *pages; /* referenced */
	u64 start, last;	  /* the area */
	u64 page_offset;	  /* of start in pages */
	int prot;
};

/*
 * Find the area that holds @iova and decide whether it must be split so
 * that @iova becomes the last byte of an area. Return: 1 with @cut filled
 * (and a reference on the pages), 0 when nothing is to be done, or -errno
 * when the area cannot be split (Linux's iopt_area_split() rules).
 */
static int vfio_cut_prepare(struct io_pagetable *iopt, u64 iova,
			    struct vfio_cut *cut)
{
	struct interval_tree_node *node;
	struct iopt_area *area;
	u64 align;
	int rc = 1;

	down_read(&iopt->iova_rwsem);
	node = interval_tree_iter_first(&iopt->area_itree, iova, iova);
	if (!node) {
		rc = 0;
		goto out;
	}
	area = container_of(node, struct iopt_area, node);
	/* As Linux: a cut at either end of an area leaves it alone. */
	if (iova == iopt_area_iova(area) || iova == iopt_area_last_iova(area)) {
		rc = 0;
		goto out;
	}
	align = iopt->iova_alignment;
	if (!area->pages || area->prevent_access) {
		rc = -EBUSY;
	} else if (area->pages->type == IOPT_ADDRESS_GMEM) {
		rc = -EOPNOTSUPP;
	} else if (((iova + 1) & (align - 1)) ||
		   ((area->page_offset + (iova + 1 - iopt_area_iova(area))) &
		    (align - 1))) {
		rc = -EINVAL;
	} else if (READ_ONCE(area->num_accesses)) {
		/* Pins of an access cannot be told apart per part. */
		rc = -EINVAL;
	} else {
		cut->pages = area->pages;
		iopt_get_pages_ref(cut->pages);
		cut->start = iopt_area_iova(area);
		cut->last = iopt_area_last_iova(area);
		cut->page_offset = area->page_offset;
		cut->prot = area->iommu_prot;
	}
out:
	up_read(&iopt->iova_rwsem);
	return rc;
}

/* Map [start, last] of the cut area again; its IOVA and offset follow. */
static int vfio_cut_map(struct io_pagetable *iopt, struct vfio_cut *cut,
			u64 start, u64 last)
{
	u64 iova = start;

	return iopt_map_pages(iopt, cut->pages, &iova,
			      cut->page_offset + (start - cut->start),
			      last - start + 1, cut->prot, 0);
}

/*
 * Split the area holding @iova into [start, iova] and [iova + 1, last]:
 * unmap it and map both parts again (see "cutting" at the top).
 */
static int vfio_cut_at(struct io_pagetable *iopt, u64 iova)
{
	struct vfio_cut cut;
	u64 first_index, last_index, unmapped;
	bool held = false, domains;
	int rc;

	rc = vfio_cut_prepare(iopt, iova, &cut);
	if (rc <= 0)
		return rc;

	/*
	 * With a domain attached the area's pages are pinned; a hold keeps
	 * them so while no area covers them, so that unmapping does not
	 * unpin and uncharge what the remap would pin and charge again.
	 * Without a domain nothing is pinned (lazy pinning) and nothing must
	 * be: the caller's memory may not even be there.
	 */
	down_read(&iopt->domains_rwsem);
	domains = iopt->nr_domains != 0;
	up_read(&iopt->domains_rwsem);
	first_index = cut.page_offset / PAGE_SIZE;
	last_index = (cut.page_offset + (cut.last - cut.start)) / PAGE_SIZE;
	if (domains) {
		rc = iopt_pages_pin(cut.pages, first_index, last_index, &cut,
				    false);
		if (rc)
			goto out_put;
		held = true;
	}

	rc = iopt_unmap_iova(iopt, cut.start, cut.last - cut.start + 1,
			     &unmapped);
	if (rc)
		goto out_unhold;

	rc = vfio_cut_map(iopt, &cut, cut.start, iova);
	if (!rc) {
		rc = vfio_cut_map(iopt, &cut, iova + 1, cut.last);
		if (rc)
			iopt_unmap_iova(iopt, cut.start, iova - cut.start + 1,
					&unmapped);
	}
	if (rc && vfio_cut_map(iopt, &cut, cut.start, cut.last))
		pr_err("vfio compat: a mapping at 0x%llx-0x%llx was lost while cutting it\n",
		       (unsigned long long)cut.start,
		       (unsigned long long)cut.last);

out_unhold:
	if (held)
		iopt_pages_unpin(cut.pages, first_index, last_index, &cut);
out_put:
	iopt_put_pages(cut.pages);
	return rc;
}

static int vfio_compat_unmap_dma(struct iommufd_ctx *ictx, u8 *uarg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	struct iommufd_ioas *ioas;
	u64 unmapped = 0, last;
	int rc;

	if (copy_from_user(&unmap, uarg, minsz))
		return -EFAULT;
	/* GET_DIRTY_BITMAP and VADDR are not offered (Linux: the same). */
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;

	ioas = get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size) {
			rc = -EINVAL;
			goto out_put;
		}
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		/*
		 * TYPE1: cut at the range's last byte and before its first,
		 * then unmap what lies inside. A range with no valid end is
		 * left to iopt_unmap_iova() to refuse, without cutting. As in
		 * Linux, a failed cut answers without writing size back.
		 */
		if (READ_ONCE(ioas->iopt.disable_large_pages) &&
		    !range_last(unmap.iova, unmap.size, &last)) {
			rc = vfio_cut_at(&ioas->iopt, last);
			if (!rc && unmap.iova)
				rc = vfio_cut_at(&ioas->iopt, unmap.iova - 1);
			if (rc)
				goto out_put;
		}
		rc = iopt_unmap_iova(&ioas->iopt, unmap.iova, unmap.size,
				     &unmapped);
	}
	unmap.size = unmapped;
	if (copy_to_user(uarg, &unmap, minsz))
		rc = -EFAULT;
out_put:
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/* ---------------------------------------------------------------- entry */

/*
 * Every number below the iommufd range. For VFIO_SET_IOMMU and
 * VFIO_CHECK_EXTENSION the argument is a number, not a pointer: @arg
 * carries it, as ioctl(2)'s third argument does.
 */
int iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd, void *arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_SET_IOMMU:
		return vfio_compat_set_iommu(ictx, (unsigned long)(uintptr_t)arg);
	case VFIO_CHECK_EXTENSION:
		return vfio_compat_check_extension(ictx,
						   (unsigned long)(uintptr_t)arg);
	case VFIO_IOMMU_GET_INFO:
		return vfio_compat_get_info(ictx, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_compat_map_dma(ictx, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_compat_unmap_dma(ictx, arg);
	case VFIO_IOMMU_DIRTY_PAGES:
	default:
		return -ENOTTY;
	}
}
