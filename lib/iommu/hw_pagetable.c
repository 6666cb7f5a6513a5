// SPDX-License-Identifier: MIT
/*
 * HWPT_PAGING objects: a hardware page table (an iommu_domain of a device's
 * IOMMU driver) kept in step with one IOAS.
 *
 * Data model
 * ----------
 * A struct iommufd_hwpt_paging owns one domain and depends on one IOAS:
 *
 *   hwpt --(long-term users reference)--> ioas
 *   hwpt->domain is in ioas->iopt.domains[] (iopt_table_add_domain), so
 *   it translates every mapped page of the IOAS, and reserves the IOVA
 *   outside the domain's aperture in the IOAS
 *   hwpt is on ioas->hwpt_list, the IOAS's HWPTs (as in Linux)
 *
 * A HWPT comes from IOMMU_HWPT_ALLOC (user-managed: it lives until
 * IOMMU_DESTROY) or from attaching a device to an IOAS (auto_domain: the
 * last device to detach destroys it, see device.c). Devices attached to
 * it hold references, so destroying an attached HWPT is EBUSY, and its
 * own reference makes destroying the IOAS EBUSY.
 *
 * Invariants
 *  - hwpt_item is on ioas->hwpt_list exactly when the domain is in the
 *    io_pagetable; the destroy op uses that to undo a partial set-up.
 *  - The domain is freed only after it left the io_pagetable (which
 *    unmaps everything from it first).
 *
 * Nesting is not implemented: NEST_PARENT is accepted and recorded (such a
 * HWPT is an ordinary paging HWPT), a HWPT as pt_id (a nested HWPT) is
 * EOPNOTSUPP, as from an IOMMU without nesting support. DIRTY_TRACKING,
 * PASID and FAULT_ID_VALID are EOPNOTSUPP: no dirty tracking, PASID
 * attach or fault objects exist yet.
 *
 * Locking
 * -------
 * ioas->mutex (LOCK_RANK_IOMMUFD_OBJ) protects hwpt_list and is held only
 * around list changes: the object table (ctx->lock) ranks above it and
 * iopt_table_add_domain()/remove_domain() take the io_pagetable locks
 * themselves. The object is created without any lock held and stays
 * invisible until the caller finalizes it.
 */
#include <errno.h>
#include <privmem/uapi/iommufd.h>
#include "common/err.h"
#include "common/log.h"
#include "iommufd_private.h"

/* IOMMU_HWPT_ALLOC flags a paging HWPT may have today. */
#define HWPT_PAGING_VALID_FLAGS IOMMU_HWPT_ALLOC_NEST_PARENT

void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt =
		container_of(obj, struct iommufd_hwpt_paging, obj);
	struct iommufd_ioas *ioas = hwpt->ioas;

	if (ioas && !list_empty(&hwpt->hwpt_item)) {
		mutex_lock(&ioas->mutex);
		list_del_init(&hwpt->hwpt_item);
		mutex_unlock(&ioas->mutex);
		iopt_table_remove_domain(&ioas->iopt, hwpt->domain);
	}
	if (hwpt->domain)
		hwpt->domain->ops->free(hwpt->domain);
	hwpt->domain = NULL;
	if (ioas)
		iommufd_object_put(hwpt->ictx, &ioas->obj);
	hwpt->ioas = NULL;
}

struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, u32 flags)
{
	struct device *dev = idev->dev;
	struct iommufd_hwpt_paging *hwpt;
	struct iommu_domain *domain;
	int rc;

	if (flags & ~HWPT_PAGING_VALID_FLAGS)
		return ERR_PTR(-EOPNOTSUPP);

	hwpt = iommufd_object_alloc(ictx, sizeof(*hwpt),
				    IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(hwpt))
		return hwpt;
	INIT_LIST_HEAD(&hwpt->hwpt_item);
	hwpt->ictx = ictx;
	hwpt->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	/* Pairs with iommufd_hwpt_paging_destroy(). */
	iommufd_object_get(ictx, &ioas->obj);
	hwpt->ioas = ioas;

	domain = dev->iommu_ops->domain_alloc_paging(dev, flags);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
		goto out_abort;
	}
	domain->owner = hwpt;
	hwpt->domain = domain;

	rc = iopt_table_add_domain(&ioas->iopt, domain);
	if (rc)
		goto out_abort;
	mutex_lock(&ioas->mutex);
	list_add_tail(&hwpt->hwpt_item, &ioas->hwpt_list);
	mutex_unlock(&ioas->mutex);
	return hwpt;

out_abort:
	iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
	return ERR_PTR(rc);
}

/*
 * IOMMU_HWPT_ALLOC. The checks run in Linux's order, so that a command
 * that is wrong in two ways fails as it does there.
 */
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;

	idev = iommufd_get_device(ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	pt_obj = iommufd_get_object(ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		rc = -EINVAL;
		goto out_put_idev;
	}

	switch (pt_obj->type) {
	case IOMMUFD_OBJ_IOAS:
		/* No driver here takes driver-specific paging data. */
		if (cmd->data_type != IOMMU_HWPT_DATA_NONE) {
			rc = -EOPNOTSUPP;
			goto out_put_pt;
		}
		hwpt = iommufd_hwpt_paging_alloc(
			ictx, container_of(pt_obj, struct iommufd_ioas, obj),
			idev, cmd->flags);
		if (IS_ERR(hwpt)) {
			rc = PTR_ERR(hwpt);
			goto out_put_pt;
		}
		break;
	case IOMMUFD_OBJ_HWPT_PAGING:
		/* A nested HWPT on a parent: no driver supports nesting. */
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	default:
		rc = -EINVAL;
		goto out_put_pt;
	}

	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
		goto out_put_pt;
	}
	iommufd_object_finalize(ictx, &hwpt->obj);

out_put_pt:
	iommufd_put_object(ictx, pt_obj);
out_put_idev:
	iommufd_put_object(ictx, &idev->obj);
	return rc;
}
