// SPDX-License-Identifier: MIT
/*
 * Devices bound to a context, their attachment to page tables, and
 * in-library accesses.
 *
 * Data model
 * ----------
 * A device is what an IOMMU driver probed (struct device, embedded in the
 * driver's own struct; today only the selftest's mock device). Binding it
 * to a context makes a DEVICE object (struct iommufd_device), which can be
 * attached to one HWPT_PAGING at a time:
 *
 *   idev --(long-term reference)--> hwpt --(long-term reference)--> ioas
 *
 * so IOMMU_DESTROY of an attached HWPT, or of the IOAS under it, is EBUSY.
 * The driver that bound the device holds a reference on the DEVICE object
 * until unbind, and an attached device one more on itself until detach:
 * IOMMU_DESTROY cannot take a device from under its driver.
 *
 * Attaching to an IOAS uses an automatic HWPT of that IOAS (auto_domain),
 * created if there is none the device can use; the last device leaving an
 * automatic HWPT destroys it. Attaching to a HWPT uses that HWPT.
 * Replace moves an attached device in one step and keeps the old
 * attachment on failure.
 *
 * An access (struct iommufd_access) is a driver reaching an IOAS with the
 * CPU instead of DMA: it pins pages (pin_pages) or copies (rw) by IOVA.
 * While attached it is on the io_pagetable's access_list, and its ops->
 * unmap callback is how an IOAS_UNMAP over its pins gets them back
 * (iommufd_access_notify_unmap). The ACCESS object holds a reference on
 * its IOAS, and its driver holds one on the object until destroy.
 *
 * Invariants
 *  - idev->hwpt != NULL exactly while attached; then idev holds one
 *    reference on hwpt and one on itself.
 *  - hwpt->auto_domain only changes under iommufd_attach_lock, which every
 *    attach, replace and detach holds: so two devices attaching to one
 *    IOAS at once cannot create two automatic HWPTs.
 *  - access->ioas is where new pins go; access->ioas_unpin is where
 *    existing pins are. They differ only inside a change of IOAS, whose
 *    first step drops every pin (ops->unmap over everything).
 *
 * Locking
 * -------
 * iommufd_attach_lock ranks just below ctx->lock (it is taken first): the
 * attach paths look objects up, create and remove HWPTs under it. Automatic HWPTs are found
 * through the object table (iommufd_get_next_object()), which holds them
 * safely; ioas->mutex is taken only around hwpt_list and auto_domain
 * changes, since the object table ranks above it.
 *
 * access->ioas_lock ranks between the IOAS mutexes and the io_pagetable
 * locks, and is held across iopt_add_access() and the iopt_access_*()
 * calls. ctx->lock ranks lower, so object lookups happen before it is
 * taken; ops->unmap is called with it dropped, so a driver may take a lock
 * of its own, ranked lower still, both in unmap and around pin_pages.
 *
 * iommufd_access_notify_unmap() runs with no iommufd lock held (the
 * io_pagetable drops its locks first). It finds the accesses under
 * domains_rwsem (read), then holds each by id while calling ops->unmap, so
 * an access being destroyed is skipped: its destroy unpins by itself.
 */
#include <errno.h>
#include <unistd.h>
#include <privmem/uapi/iommufd.h>
#include "common/err.h"
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "common/uaccess.h"
#include "iommufd_private.h"

/*
 * The attach lock ranks below ctx->lock (the attach paths use the object
 * table under it); access->ioas_lock above the IOAS mutexes and below the
 * io_pagetable locks. Ranks: common/lock_ranks.h.
 */
static DEFINE_LOCK_CLASS(iommufd_attach_class, LOCK_RANK_IOMMUFD_ATTACH);
static DEFINE_LOCK_CLASS(iommufd_access_ioas_class, LOCK_RANK_ACCESS_IOAS);

static struct mutex iommufd_attach_lock = { PTHREAD_MUTEX_INITIALIZER,
					    &iommufd_attach_class };

/*
 * Drop the creator's reference on @obj and remove it, as Linux's
 * iommufd_object_destroy_user(). An ioctl may hold the object for a moment
 * (a short-term user); Linux waits for it, up to ten seconds, and so do we.
 * Between the put and the remove an IOMMU_DESTROY of the id may win: then
 * the object is gone already (-ENOENT), which is as good.
 */
static void iommufd_object_destroy_user(struct iommufd_ctx *ictx,
					struct iommufd_object *obj)
{
	enum iommufd_object_type type = obj->type;
	unsigned int tries = 0;
	u32 id = obj->id;
	int rc;

	iommufd_object_put(ictx, obj);
	while ((rc = iommufd_object_remove(ictx, id, type)) == -EBUSY &&
	       tries++ < 10000)
		usleep(1000);
	WARN_ON(rc && rc != -ENOENT);
}

/* ---------------------------------------------------------------- devices */

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id)
{
	struct iommufd_device *idev;

	/*
	 * As Linux: iommufd always maps cache-coherently and offers no way to
	 * restore coherency, so a device must support it.
	 */
	if (!dev->iommu_ops->capable ||
	    !dev->iommu_ops->capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		return ERR_PTR(-EINVAL);

	idev = iommufd_object_alloc(ictx, sizeof(*idev), IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(idev))
		return idev;
	idev->ictx = ictx;
	idev->dev = dev;
	/* The binding driver is a user until iommufd_device_unbind(). */
	iommufd_object_get(ictx, &idev->obj);
	iommufd_object_finalize(ictx, &idev->obj);
	*id = idev->obj.id;
	return idev;
}

void iommufd_device_unbind(struct iommufd_device *idev)
{
	iommufd_object_destroy_user(idev->ictx, &idev->obj);
}

void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);

	/* An attached device holds a reference on itself. */
	WARN_ON(idev->hwpt);
}

/* May @idev's driver use @hwpt's domain? */
static int iommufd_device_check_domain(struct iommufd_device *idev,
				       struct iommufd_hwpt_paging *hwpt)
{
	struct device *dev = idev->dev;

	if (!dev->iommu_ops->attach_dev)
		return 0;
	return dev->iommu_ops->attach_dev(hwpt->domain, dev);
}

/*
 * The two ways to connect a device to @hwpt. On success *old is the HWPT
 * the device leaves (its reference to be dropped by the caller), or NULL.
 */
typedef int (*attach_fn)(struct iommufd_device *idev,
			 struct iommufd_hwpt_paging *hwpt,
			 struct iommufd_hwpt_paging **old);

static int iommufd_device_do_attach(struct iommufd_device *idev,
				    struct iommufd_hwpt_paging *hwpt,
				    struct iommufd_hwpt_paging **old)
{
	int rc;

	lockdep_assert_held(&iommufd_attach_lock);
	if (idev->hwpt)
		return -EINVAL;
	rc = iommufd_device_check_domain(idev, hwpt);
	if (rc)
		return rc;
	iommufd_object_get(idev->ictx, &hwpt->obj);
	idev->hwpt = hwpt;
	*old = NULL;
	return 0;
}

static int iommufd_device_do_replace(struct iommufd_device *idev,
				     struct iommufd_hwpt_paging *hwpt,
				     struct iommufd_hwpt_paging **old)
{
	int rc;

	lockdep_assert_held(&iommufd_attach_lock);
	if (!idev->hwpt)
		return -EINVAL;
	*old = NULL;
	if (idev->hwpt == hwpt)
		return 0;
	rc = iommufd_device_check_domain(idev, hwpt);
	if (rc)
		return rc;
	iommufd_object_get(idev->ictx, &hwpt->obj);
	*old = idev->hwpt;
	idev->hwpt = hwpt;
	return 0;
}

/*
 * Drop a device's reference on @hwpt. An automatic HWPT goes with its last
 * device, as Linux's iommufd_hw_pagetable_put(); a user's HWPT stays until
 * IOMMU_DESTROY. (Between the put and the remove, only a concurrent
 * IOMMU_DESTROY of that id followed by a new HWPT taking the same id could
 * make the remove hit another object; main.c has no atomic put-and-remove
 * yet.)
 */
static void iommufd_hwpt_put(struct iommufd_ctx *ictx,
			     struct iommufd_hwpt_paging *hwpt)
{
	bool auto_domain = hwpt->auto_domain;
	u32 id = hwpt->obj.id;

	lockdep_assert_held(&iommufd_attach_lock);
	iommufd_object_put(ictx, &hwpt->obj);
	if (auto_domain)
		/* -EBUSY: other devices (or an ioctl) still use it. */
		iommufd_object_remove(ictx, id, IOMMUFD_OBJ_HWPT_PAGING);
}

/*
 * Attach through an IOAS: the first automatic HWPT of @ioas that the
 * device can use (-EINVAL from the driver: try the next), else a new one.
 * A HWPT that IOMMU_HWPT_ALLOC made is never picked automatically.
 */
static int iommufd_device_auto_get_domain(struct iommufd_device *idev,
					  struct iommufd_ioas *ioas, u32 *pt_id,
					  attach_fn do_attach,
					  struct iommufd_hwpt_paging **old)
{
	struct iommufd_ctx *ictx = idev->ictx;
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_object *obj;
	u32 id = 1;
	int rc;

	lockdep_assert_held(&iommufd_attach_lock);
	while ((obj = iommufd_get_next_object(ictx, &id,
					      IOMMUFD_OBJ_HWPT_PAGING))) {
		hwpt = container_of(obj, struct iommufd_hwpt_paging, obj);
		if (hwpt->ioas == ioas && hwpt->auto_domain) {
			rc = do_attach(idev, hwpt, old);
			if (rc != -EINVAL) {
				if (!rc)
					*pt_id = id;
				iommufd_put_object(ictx, obj);
				return rc;
			}
		}
		iommufd_put_object(ictx, obj);
		if (id == UINT32_MAX)
			break;
		id++;
	}

	hwpt = iommufd_hwpt_paging_alloc(ictx, ioas, idev, 0);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	mutex_lock(&ioas->mutex);
	hwpt->auto_domain = true;
	mutex_unlock(&ioas->mutex);
	rc = do_attach(idev, hwpt, old);
	if (rc) {
		iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
		return rc;
	}
	*pt_id = hwpt->obj.id;
	iommufd_object_finalize(ictx, &hwpt->obj);
	return 0;
}

static int iommufd_device_change_pt(struct iommufd_device *idev, u32 *pt_id,
				    attach_fn do_attach)
{
	struct iommufd_ctx *ictx = idev->ictx;
	struct iommufd_hwpt_paging *old = NULL;
	struct iommufd_object *pt_obj;
	int rc;

	lockdep_assert_held(&iommufd_attach_lock);
	pt_obj = iommufd_get_object(ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj))
		return PTR_ERR(pt_obj);

	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_PAGING:
		rc = do_attach(idev,
			       container_of(pt_obj, struct iommufd_hwpt_paging,
					    obj),
			       &old);
		break;
	case IOMMUFD_OBJ_IOAS:
		rc = iommufd_device_auto_get_domain(
			idev, container_of(pt_obj, struct iommufd_ioas, obj),
			pt_id, do_attach, &old);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(ictx, pt_obj);

	/* After our hold on the new pt_obj is gone: old may be destroyed. */
	if (!rc && old)
		iommufd_hwpt_put(ictx, old);
	return rc;
}

int iommufd_device_attach(struct iommufd_device *idev, u32 *pt_id)
{
	int rc;

	mutex_lock(&iommufd_attach_lock);
	if (idev->hwpt)
		rc = -EINVAL; /* detach first, or replace */
	else
		rc = iommufd_device_change_pt(idev, pt_id,
					      iommufd_device_do_attach);
	if (!rc)
		/* Until detach: destroying an attached device is a bug. */
		iommufd_object_get(idev->ictx, &idev->obj);
	mutex_unlock(&iommufd_attach_lock);
	return rc;
}

int iommufd_device_replace(struct iommufd_device *idev, u32 *pt_id)
{
	int rc;

	mutex_lock(&iommufd_attach_lock);
	if (!idev->hwpt)
		rc = -EINVAL; /* nothing to replace: attach */
	else
		rc = iommufd_device_change_pt(idev, pt_id,
					      iommufd_device_do_replace);
	mutex_unlock(&iommufd_attach_lock);
	return rc;
}

void iommufd_device_detach(struct iommufd_device *idev)
{
	struct iommufd_hwpt_paging *hwpt;

	mutex_lock(&iommufd_attach_lock);
	hwpt = idev->hwpt;
	if (!WARN_ON(!hwpt)) {
		/* The device is blocked now: no domain, no DMA. */
		idev->hwpt = NULL;
		iommufd_hwpt_put(idev->ictx, hwpt);
		iommufd_object_put(idev->ictx, &idev->obj);
	}
	mutex_unlock(&iommufd_attach_lock);
}

/* ------------------------------------------------------- IOMMU_GET_HW_INFO */

static u8 ilog2_u32(u32 v)
{
	return v ? (u8)(31 - __builtin_clz(v)) : 0;
}

/* Zero @len bytes of caller memory (Linux's clear_user()). */
static int clear_user(void *udst, u64 len)
{
	static const u8 zeros[4096];

	while (len) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		int rc = copy_to_user(udst, zeros, n);

		if (rc)
			return rc;
		udst = (u8 *)udst + n;
		len -= n;
	}
	return 0;
}

int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	void *user_ptr = (void *)(uintptr_t)cmd->data_uptr;
	struct iommufd_device *idev;
	u32 data_len, copy_len, type;
	struct device *dev;
	void *data;
	int rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	/* Without the flag the field is output only: ignore what it holds. */
	if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;

	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	dev = idev->dev;

	if (dev->iommu_ops->hw_info) {
		type = cmd->in_data_type;
		data = dev->iommu_ops->hw_info(dev, &data_len, &type);
		if (IS_ERR(data)) {
			rc = PTR_ERR(data);
			goto out_put;
		}
		/* A driver with hw_info has a type of its own. */
		if (WARN_ON(type == IOMMU_HW_INFO_TYPE_NONE)) {
			rc = -EOPNOTSUPP;
			goto out_free;
		}
		cmd->out_data_type = type;
	} else {
		cmd->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
		data_len = 0;
		data = NULL;
	}

	copy_len = min_t(u32, cmd->data_len, data_len);
	rc = copy_to_user(user_ptr, data, copy_len);
	if (rc)
		goto out_free;
	/* A longer user buffer gets a zeroed tail. */
	if (copy_len < cmd->data_len) {
		rc = clear_user((u8 *)user_ptr + copy_len,
				cmd->data_len - copy_len);
		if (rc)
			goto out_free;
	}
	/* The full length, which may exceed the caller's buffer. */
	cmd->data_len = data_len;

	cmd->out_capabilities = 0;
	if (dev->iommu_ops->capable &&
	    dev->iommu_ops->capable(dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	/* No PCI PASID capability bits: no device here is a PCI function. */
	cmd->out_max_pasid_log2 = ilog2_u32(dev->max_pasids);

	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	kfree(data);
out_put:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/* --------------------------------------------------------------- accesses */

struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data, u32 *id)
{
	struct iommufd_access *access;

	/*
	 * No uAPI names an access, but it is an object anyway, as in Linux:
	 * its reference on the IOAS then shows like any other.
	 */
	access =
		iommufd_object_alloc(ictx, sizeof(*access), IOMMUFD_OBJ_ACCESS);
	if (IS_ERR(access))
		return access;
	access->ictx = ictx;
	access->ops = ops;
	access->data = data;
	INIT_LIST_HEAD(&access->ioas_node);
	/* Pins are whole pages: the IOAS must keep areas page aligned. */
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;
	mutex_init(&access->ioas_lock, &iommufd_access_ioas_class);
	/* The creating driver is a user until iommufd_access_destroy(). */
	iommufd_object_get(ictx, &access->obj);
	iommufd_object_finalize(ictx, &access->obj);
	*id = access->obj.id;
	return access;
}

void iommufd_access_destroy(struct iommufd_access *access)
{
	iommufd_object_destroy_user(access->ictx, &access->obj);
}

/*
 * Move @access to @new_ioas (NULL: detach), with ioas_lock held; it is
 * dropped around ops->unmap. The caller took a reference on @new_ioas for
 * the access; on failure it drops it again. In every case *put is an IOAS
 * whose reference the caller drops after unlocking, or NULL: the old IOAS
 * on success, @new_ioas itself when nothing changed.
 */
static int iommufd_access_change_ioas(struct iommufd_access *access,
				      struct iommufd_ioas *new_ioas,
				      struct iommufd_ioas **put)
{
	struct iommufd_ioas *cur = access->ioas;
	int rc;

	lockdep_assert_held(&access->ioas_lock);
	*put = NULL;
	/* Another change is between its unmap and its end. */
	if (cur != access->ioas_unpin)
		return -EBUSY;
	if (cur == new_ioas) {
		*put = new_ioas;
		return 0;
	}

	/*
	 * No new pins from here on; unpins still find ioas_unpin. The access
	 * stays on the old access_list until its pins are gone, so an unmap
	 * there still reaches it meanwhile.
	 */
	access->ioas = NULL;
	if (cur) {
		if (access->ops->unmap) {
			mutex_unlock(&access->ioas_lock);
			access->ops->unmap(access->data, 0, UINT64_MAX);
			mutex_lock(&access->ioas_lock);
		}
		iopt_remove_access(&cur->iopt, access);
	}
	if (new_ioas) {
		rc = iopt_add_access(&new_ioas->iopt, access);
		if (rc) {
			/* Back where it was, now without pins. */
			if (cur &&
			    WARN_ON(iopt_add_access(&cur->iopt, access))) {
				access->ioas_unpin = NULL;
				*put = cur;
				return rc;
			}
			access->ioas = cur;
			return rc;
		}
	}
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	*put = cur;
	return 0;
}

/* Attach (@replace false) or replace the IOAS of @access by id. */
static int iommufd_access_set_ioas(struct iommufd_access *access, u32 ioas_id,
				   bool replace)
{
	struct iommufd_ctx *ictx = access->ictx;
	struct iommufd_ioas *ioas, *put = NULL;
	int rc;

	ioas = iommufd_get_ioas(ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* The access's own reference, taken before ioas_lock (see above). */
	iommufd_object_get(ictx, &ioas->obj);
	iommufd_put_object(ictx, &ioas->obj);

	mutex_lock(&access->ioas_lock);
	if (replace && !access->ioas)
		rc = -ENOENT;
	else if (!replace && WARN_ON(access->ioas))
		rc = -EINVAL;
	else
		rc = iommufd_access_change_ioas(access, ioas, &put);
	mutex_unlock(&access->ioas_lock);

	if (rc)
		iommufd_object_put(ictx, &ioas->obj);
	if (put)
		iommufd_object_put(ictx, &put->obj);
	return rc;
}

int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id)
{
	return iommufd_access_set_ioas(access, ioas_id, false);
}

int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id)
{
	return iommufd_access_set_ioas(access, ioas_id, true);
}

void iommufd_access_detach(struct iommufd_access *access)
{
	struct iommufd_ioas *put = NULL;

	mutex_lock(&access->ioas_lock);
	if (!WARN_ON(!access->ioas))
		WARN_ON(iommufd_access_change_ioas(access, NULL, &put));
	mutex_unlock(&access->ioas_lock);
	if (put)
		iommufd_object_put(access->ictx, &put->obj);
}

void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);
	struct iommufd_ioas *put = NULL;

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		WARN_ON(iommufd_access_change_ioas(access, NULL, &put));
	mutex_unlock(&access->ioas_lock);
	if (put)
		iommufd_object_put(access->ictx, &put->obj);
	mutex_destroy(&access->ioas_lock);
}

int iommufd_access_pin_pages(struct iommufd_access *access, u64 iova,
			     u64 length, void **kvas, unsigned int flags)
{
	u64 last;
	int rc;

	/* Pinning needs whole-page areas and a way to get the pins back. */
	if (WARN_ON(access->iova_alignment != PAGE_SIZE || !access->ops->unmap))
		return -EINVAL;
	rc = range_last(iova, length, &last);
	if (rc)
		return rc;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas)
		rc = -ENOENT;
	else
		rc = iopt_access_pin_pages(&access->ioas->iopt, iova, length,
					   kvas,
					   flags & IOMMUFD_ACCESS_RW_WRITE);
	mutex_unlock(&access->ioas_lock);
	return rc;
}

void iommufd_access_unpin_pages(struct iommufd_access *access, u64 iova,
				u64 length)
{
	u64 last;

	if (WARN_ON(range_last(iova, length, &last)))
		return;
	mutex_lock(&access->ioas_lock);
	/* A driver unpinning what it never pinned. */
	if (!WARN_ON(!access->ioas_unpin))
		iopt_access_unpin_pages(&access->ioas_unpin->iopt, iova,
					length);
	mutex_unlock(&access->ioas_lock);
}

int iommufd_access_rw(struct iommufd_access *access, u64 iova, void *data,
		      u64 length, unsigned int flags)
{
	u64 last;
	int rc;

	rc = range_last(iova, length, &last);
	if (rc)
		return rc;
	mutex_lock(&access->ioas_lock);
	if (!access->ioas)
		rc = -ENOENT;
	else
		rc = iopt_access_rw(&access->ioas->iopt, iova, data, length,
				    flags & IOMMUFD_ACCESS_RW_WRITE);
	mutex_unlock(&access->ioas_lock);
	return rc;
}

void iommufd_access_notify_unmap(struct io_pagetable *iopt, u64 iova,
				 u64 length)
{
	struct iommufd_ioas *ioas =
		container_of(iopt, struct iommufd_ioas, iopt);
	u32 done = 0;

	/* In id order, one access at a time, none of our locks held. */
	for (;;) {
		struct iommufd_access *access;
		struct iommufd_ctx *ictx = NULL;
		struct iommufd_object *obj;
		bool attached;
		u32 id = 0;

		down_read(&iopt->domains_rwsem);
		list_for_each_entry(access, &iopt->access_list, ioas_node) {
			if (access->obj.id > done &&
			    (!id || access->obj.id < id)) {
				id = access->obj.id;
				ictx = access->ictx;
			}
		}
		up_read(&iopt->domains_rwsem);
		if (!id)
			return;
		done = id;

		/* Fails for an access being destroyed: it unpins itself. */
		obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_ACCESS);
		if (IS_ERR(obj))
			continue;
		access = container_of(obj, struct iommufd_access, obj);
		/* The id may have been reused meanwhile, by another access. */
		mutex_lock(&access->ioas_lock);
		attached = access->ioas_unpin == ioas;
		mutex_unlock(&access->ioas_lock);
		if (attached && access->ops->unmap)
			access->ops->unmap(access->data, iova, length);
		iommufd_put_object(ictx, obj);
	}
}
