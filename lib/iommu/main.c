// SPDX-License-Identifier: MIT
/*
 * The iommufd context: what an open /dev/iommu is, its object table, and
 * the ioctl entry with Linux's size rules.
 *
 * Data model
 * ----------
 * A context (struct iommufd_ctx, wrapped one-to-one by the public struct
 * pm_iommufd) owns a table of objects: IOAS, HWPT_PAGING, DEVICE, ACCESS
 * and the selftest's objects. Every object starts with struct
 * iommufd_object and is named to the caller by a u32 id, the index of its
 * slot in ctx->objs[]. A slot is in one of three states:
 *
 *   NULL                  free;
 *   IOMMUFD_SLOT_RESERVED the id is taken by an object under construction,
 *                         which no lookup can see (Linux's XA_ZERO_ENTRY);
 *   the object            live.
 *
 * Ids start at 1 and slot 0 is never used, so 0 is never a valid id. A new
 * object takes the lowest free id, as xa_alloc() with XA_FLAGS_ALLOC1 does,
 * so a destroyed id comes back at the next creation.
 *
 * Lifetime
 * --------
 * An object is built in two steps. iommufd_object_alloc() reserves an id
 * and returns zeroed memory; the creator sets it up, and once nothing can
 * fail any more calls iommufd_object_finalize(), which makes it visible.
 * Until then iommufd_object_abort() (or _abort_and_destroy(), when the
 * destroy op must undo part of the set-up) gives the id back. So a caller
 * never sees an id that then fails to exist, and an object that others can
 * reach is never torn down behind their back.
 *
 * Two counts keep a live object alive:
 *
 *   users           1 for the table, plus 1 per long-term dependent (an
 *                   HWPT on its IOAS, a device on its HWPT: object_get/
 *                   object_put), plus 1 per short-term holder;
 *   shortterm_users the short-term holders alone: an ioctl between
 *                   iommufd_get_object() and iommufd_put_object().
 *
 * Invariants:
 *   - a visible object has users >= 1; users drops to 0 only together
 *     with its slot becoming NULL, both under ctx->lock;
 *   - shortterm_users <= users - 1 whenever observed under ctx->lock;
 *   - an object is destroyed (its type's destroy op, then freed) exactly
 *     once, by whoever took users from 1 to 0: IOMMU_DESTROY, an in-library
 *     remove, or close.
 *
 * Removal (IOMMU_DESTROY) succeeds only when the table's reference is the
 * only one: any dependent or any ioctl in flight on the object gives EBUSY.
 * Linux waits up to ten seconds for short-term users to leave; here nothing
 * waits, because an ioctl in flight holds a users reference too and so the
 * answer would be EBUSY in Linux as well.
 *
 * Close destroys leaves first: it repeatedly destroys every object whose
 * users is 1. Destroying a leaf drops its references on what it depended
 * on, which makes those leaves in turn. If a pass destroys nothing while
 * objects remain, a reference was leaked: that is a bug (WARN_ON).
 *
 * Locking
 * -------
 * ctx->lock (rank LOCK_RANK_IOMMUFD_CTX) protects objs[], nr_objs and the
 * slot states, and serialises every 1 -> 0 transition of users. It is held
 * only for table operations, never across a destroy op or the engine, so
 * destroy ops may themselves remove objects (the selftest's mock device
 * unbinds its device object that way).
 *
 * The counts themselves are atomics. Lookups and removals change them under
 * ctx->lock, but iommufd_object_get(), iommufd_object_put() and
 * iommufd_put_object() take no lock: they may be called with IOAS and
 * io_pagetable locks held, which rank below ctx->lock. The ordering that
 * makes this safe: put_object drops shortterm_users before users, so a
 * remover that sees users == 1 under ctx->lock also sees no short-term user.
 *
 * ioctl entry
 * -----------
 * pm_iommufd_ioctl() is the kernel's unlocked_ioctl: it reads the caller's
 * u32 size through copy_from_user(), checks it against the command's
 * minimum, copies the struct with copy_struct_from_user() into a zeroed
 * union (so older, shorter structs read as zero-extended and a longer one
 * must have a zero tail, E2BIG otherwise), and runs the handler. Handlers
 * return 0 or -errno; only pm_iommufd_ioctl() turns that into -1/errno.
 *
 * The typed entries (pm_ioas_map() and friends) build the same uAPI struct
 * in their own memory and call the same handler with ucmd->ubuffer NULL:
 * the handler then works on the caller's struct directly and
 * iommufd_ucmd_respond() has nothing to copy. There is no second copy of
 * any validation.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <privmem/uapi/iommufd_test.h>
#include "common/err.h"
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "common/uaccess.h"
#include "iommufd_private.h"

static DEFINE_LOCK_CLASS(iommufd_ctx_lock_class, LOCK_RANK_IOMMUFD_CTX);

/* The slot of an object between alloc and finalize or abort. */
#define IOMMUFD_SLOT_RESERVED ((struct iommufd_object *)1)

/* The table starts with this many slots (slot 0 included) and doubles. */
#define IOMMUFD_TABLE_MIN 16

#define offsetofend(type, member)                                              \
	(offsetof(type, member) + sizeof(((type *)0)->member))

static inline struct iommufd_ctx *to_ictx(struct pm_iommufd *pm)
{
	return &pm->ictx;
}

/* ------------------------------------------------------------ destroy ops */

struct iommufd_object_ops {
	void (*destroy)(struct iommufd_object *obj);
};

static const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_DEVICE] = { .destroy = iommufd_device_destroy },
	[IOMMUFD_OBJ_HWPT_PAGING] = { .destroy = iommufd_hwpt_paging_destroy },
	[IOMMUFD_OBJ_IOAS] = { .destroy = iommufd_ioas_destroy },
	[IOMMUFD_OBJ_ACCESS] = { .destroy = iommufd_access_destroy_object },
	[IOMMUFD_OBJ_SELFTEST] = { .destroy = iommufd_selftest_destroy },
};

/* Run the type's destroy op and free the object. */
static void iommufd_object_destroy(struct iommufd_object *obj)
{
	if (!WARN_ON(obj->type >= IOMMUFD_OBJ_MAX ||
		     !iommufd_object_ops[obj->type].destroy))
		iommufd_object_ops[obj->type].destroy(obj);
	kfree(obj);
}

/* ----------------------------------------------------------- object table */

/* The live object in slot @id, or NULL. Called with ctx->lock held. */
static struct iommufd_object *iommufd_slot(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	lockdep_assert_held(&ictx->lock);
	if (!id || id >= ictx->nr_objs)
		return NULL;
	obj = ictx->objs[id];
	return obj == IOMMUFD_SLOT_RESERVED ? NULL : obj;
}

/*
 * Find the lowest free id, growing the table if every slot is taken.
 * Called with ctx->lock held.
 */
static int iommufd_slot_alloc(struct iommufd_ctx *ictx, u32 *id)
{
	struct iommufd_object **objs;
	u32 i, nr;

	lockdep_assert_held(&ictx->lock);
	for (i = 1; i < ictx->nr_objs; i++) {
		if (!ictx->objs[i]) {
			*id = i;
			return 0;
		}
	}

	/* As xa_alloc() in a full 32-bit range. */
	if (ictx->nr_objs == UINT32_MAX)
		return -EBUSY;
	if (!ictx->nr_objs)
		nr = IOMMUFD_TABLE_MIN;
	else if (ictx->nr_objs > UINT32_MAX / 2)
		nr = UINT32_MAX;
	else
		nr = ictx->nr_objs * 2;
	objs = krealloc_array(ictx->objs, nr, sizeof(*objs));
	if (!objs)
		return -ENOMEM;
	memset(objs + ictx->nr_objs, 0,
	       (size_t)(nr - ictx->nr_objs) * sizeof(*objs));
	*id = ictx->nr_objs ? ictx->nr_objs : 1;
	ictx->objs = objs;
	ictx->nr_objs = nr;
	return 0;
}

void *iommufd_object_alloc(struct iommufd_ctx *ictx, size_t size,
			   enum iommufd_object_type type)
{
	struct iommufd_object *obj;
	u32 id;
	int rc;

	if (WARN_ON(size < sizeof(*obj) || type == IOMMUFD_OBJ_NONE ||
		    type >= IOMMUFD_OBJ_MAX))
		return ERR_PTR(-EINVAL);

	obj = kzalloc(size);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	obj->users = 1;
	obj->shortterm_users = 0;

	mutex_lock(&ictx->lock);
	rc = iommufd_slot_alloc(ictx, &id);
	if (!rc) {
		ictx->objs[id] = IOMMUFD_SLOT_RESERVED;
		obj->id = id;
	}
	mutex_unlock(&ictx->lock);
	if (rc) {
		kfree(obj);
		return ERR_PTR(rc);
	}
	return obj;
}

/*
 * Make @obj visible. Once another thread can look the object up it can
 * hold it, so creators call this only when nothing can fail any more.
 */
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj)
{
	mutex_lock(&ictx->lock);
	WARN_ON(obj->id >= ictx->nr_objs ||
		ictx->objs[obj->id] != IOMMUFD_SLOT_RESERVED);
	ictx->objs[obj->id] = obj;
	mutex_unlock(&ictx->lock);
}

/* Give the id of an object that was never finalized back, and free it. */
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	mutex_lock(&ictx->lock);
	if (!WARN_ON(obj->id >= ictx->nr_objs ||
		     ictx->objs[obj->id] != IOMMUFD_SLOT_RESERVED))
		ictx->objs[obj->id] = NULL;
	mutex_unlock(&ictx->lock);
	kfree(obj);
}

void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj)
{
	if (!WARN_ON(obj->type >= IOMMUFD_OBJ_MAX ||
		     !iommufd_object_ops[obj->type].destroy))
		iommufd_object_ops[obj->type].destroy(obj);
	iommufd_object_abort(ictx, obj);
}

struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj;

	/* A lookup can fail in Linux too (fault injection); callers cope. */
	if (pm_should_fail())
		return ERR_PTR(-ENOENT);

	mutex_lock(&ictx->lock);
	obj = iommufd_slot(ictx, id);
	if (!obj || (type != IOMMUFD_OBJ_ANY && obj->type != type)) {
		obj = ERR_PTR(-ENOENT);
	} else {
		__atomic_add_fetch(&obj->users, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&obj->shortterm_users, 1, __ATOMIC_RELAXED);
	}
	mutex_unlock(&ictx->lock);
	return obj;
}

void iommufd_put_object(struct iommufd_ctx *ictx __unused,
			struct iommufd_object *obj)
{
	/* shortterm_users first: see "Locking" above. */
	WARN_ON(__atomic_sub_fetch(&obj->shortterm_users, 1,
				   __ATOMIC_RELEASE) < 0);
	WARN_ON(__atomic_sub_fetch(&obj->users, 1, __ATOMIC_RELEASE) < 1);
}

void iommufd_object_get(struct iommufd_ctx *ictx __unused,
			struct iommufd_object *obj)
{
	WARN_ON(__atomic_add_fetch(&obj->users, 1, __ATOMIC_RELAXED) < 2);
}

void iommufd_object_put(struct iommufd_ctx *ictx __unused,
			struct iommufd_object *obj)
{
	WARN_ON(__atomic_sub_fetch(&obj->users, 1, __ATOMIC_RELEASE) < 1);
}

/*
 * Take users from 1 to 0 and empty the slot, if the table holds the only
 * reference. Called with ctx->lock held; the caller then destroys @obj.
 */
static bool iommufd_object_take_last(struct iommufd_ctx *ictx,
				     struct iommufd_object *obj)
{
	int one = 1;

	lockdep_assert_held(&ictx->lock);
	if (__atomic_load_n(&obj->shortterm_users, __ATOMIC_ACQUIRE))
		return false;
	if (!__atomic_compare_exchange_n(&obj->users, &one, 0, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	ictx->objs[obj->id] = NULL;
	if (ictx->vfio_ioas && &ictx->vfio_ioas->obj == obj)
		ictx->vfio_ioas = NULL;
	return true;
}

int iommufd_object_remove(struct iommufd_ctx *ictx, u32 id,
			  enum iommufd_object_type type)
{
	struct iommufd_object *obj;
	int rc = 0;

	mutex_lock(&ictx->lock);
	obj = iommufd_slot(ictx, id);
	if (!obj || (type != IOMMUFD_OBJ_ANY && obj->type != type))
		rc = -ENOENT;
	else if (!iommufd_object_take_last(ictx, obj))
		rc = -EBUSY;
	mutex_unlock(&ictx->lock);
	if (rc)
		return rc;

	iommufd_object_destroy(obj);
	return 0;
}

bool iommufd_ctx_has_objects_locked(struct iommufd_ctx *ictx)
{
	u32 i;

	lockdep_assert_held(&ictx->lock);
	for (i = 1; i < ictx->nr_objs; i++)
		if (ictx->objs[i])
			return true;
	return false;
}

struct iommufd_object *iommufd_get_next_object(struct iommufd_ctx *ictx,
					       u32 *id,
					       enum iommufd_object_type type)
{
	struct iommufd_object *obj = NULL;
	u32 i;

	mutex_lock(&ictx->lock);
	for (i = *id ? *id : 1; i < ictx->nr_objs; i++) {
		obj = iommufd_slot(ictx, i);
		if (obj && (type == IOMMUFD_OBJ_ANY || obj->type == type))
			break;
		obj = NULL;
	}
	if (obj) {
		__atomic_add_fetch(&obj->users, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&obj->shortterm_users, 1, __ATOMIC_RELAXED);
		*id = i;
	}
	mutex_unlock(&ictx->lock);
	return obj;
}

/*
 * One pass of close: destroy every object that nothing else uses.
 * Return: how many were destroyed; *left is set if objects remain.
 */
static unsigned int iommufd_destroy_leaves(struct iommufd_ctx *ictx,
					   bool *left)
{
	unsigned int destroyed = 0;
	u32 id;

	*left = false;
	for (id = 1;; id++) {
		struct iommufd_object *obj, *victim = NULL;

		mutex_lock(&ictx->lock);
		if (id >= ictx->nr_objs) {
			mutex_unlock(&ictx->lock);
			break;
		}
		obj = ictx->objs[id];
		if (obj == IOMMUFD_SLOT_RESERVED)
			*left = true; /* a creation in flight during close */
		else if (obj && iommufd_object_take_last(ictx, obj))
			victim = obj;
		else if (obj)
			*left = true;
		mutex_unlock(&ictx->lock);

		/* Unlocked: a destroy op may remove other objects. */
		if (victim) {
			iommufd_object_destroy(victim);
			destroyed++;
		}
	}
	return destroyed;
}

/* ------------------------------------------------------------- context */

int pm_iommufd_open(struct pm_iommufd **out)
{
	struct pm_iommufd *pm;
	struct iommufd_ctx *ictx;

	if (!out)
		return -EINVAL;
	pm = kzalloc(sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	ictx = to_ictx(pm);
	mutex_init(&ictx->lock, &iommufd_ctx_lock_class);
	/* As a fresh /dev/iommu: per-user accounting (RLIMIT_MODE 0). */
	ictx->account_mm = false;
	ictx->owner_pid = getpid();
	*out = pm;
	return 0;
}

void pm_iommufd_close(struct pm_iommufd *pm)
{
	struct iommufd_ctx *ictx;
	bool left;

	if (!pm)
		return;
	ictx = to_ictx(pm);
	iommufd_test_destroy_accesses(ictx);

	/*
	 * Leaves first: each pass destroys the objects at users == 1, which
	 * releases what they depended on for the next pass. A pass that
	 * destroys nothing while objects remain means a leaked reference.
	 */
	for (;;) {
		unsigned int destroyed = iommufd_destroy_leaves(ictx, &left);

		if (!left || WARN_ON(!destroyed))
			break;
	}

	kfree(ictx->objs);
	mutex_destroy(&ictx->lock);
	kfree(pm);
}

/* ------------------------------------------------------------------ ioctl */

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len)
{
	/* An in-library call: the handler wrote the caller's struct. */
	if (!ucmd->ubuffer)
		return 0;
	return copy_to_user(ucmd->ubuffer, ucmd->cmd,
			    min_t(size_t, ucmd->user_size, cmd_len));
}

static int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_object_remove(ucmd->ictx, cmd->id, IOMMUFD_OBJ_ANY);
}

/* IOMMU_OPTION: route by option, then return val64 alone. */
static int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = iommufd_option_rlimit_mode(cmd, ucmd->ictx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc || !ucmd->ubuffer)
		return rc;
	return copy_to_user((u8 *)ucmd->ubuffer +
				    offsetof(struct iommu_option, val64),
			    &cmd->val64, sizeof(cmd->val64));
}

/*
 * Nested translation and the vIOMMU objects (vIOMMU, vDEVICE, HW queue)
 * ---------------------------------------------------------------------
 * No IOMMU driver here (the selftest mock, the emulated IOMMU) offers
 * nesting or a vIOMMU, so no HWPT_NESTED, VIOMMU or VDEVICE object can
 * exist. These commands still exist, as they do in every Linux kernel
 * with iommufd: the size rules apply, then the argument checks Linux makes
 * before it needs such an object or driver support, with Linux's errnos
 * and order, and the result a kernel gives on an IOMMU without the
 * feature.
 */

/* Linux's bounds on one IOMMU_HWPT_INVALIDATE call. */
#define IOMMU_HWPT_INVALIDATE_MAX_ENTRIES (1U << 19)

/*
 * IOMMU_HWPT_INVALIDATE: takes a nested HWPT or a vIOMMU, of which there
 * are none: ENOENT for an unknown id, EINVAL for any other object (as
 * Linux for a paging HWPT). entry_num always reports 0 entries handled.
 */
static int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommufd_object *obj;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
	} else if (cmd->entry_num &&
		   (!cmd->data_uptr || !cmd->entry_len ||
		    cmd->entry_len > PAGE_SIZE ||
		    cmd->entry_num > IOMMU_HWPT_INVALIDATE_MAX_ENTRIES)) {
		rc = -EINVAL;
	} else {
		obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id,
					 IOMMUFD_OBJ_ANY);
		if (IS_ERR(obj)) {
			rc = PTR_ERR(obj);
		} else {
			rc = -EINVAL;
			iommufd_put_object(ucmd->ictx, obj);
		}
	}
	cmd->entry_num = 0;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}

/* IOMMU_VIOMMU_ALLOC: the device's driver has no vIOMMU: EOPNOTSUPP. */
static int iommufd_viommu_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommufd_device *idev;

	if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	idev = iommufd_get_device(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return -EOPNOTSUPP;
}

/* IOMMU_VDEVICE_ALLOC: @viommu_id can name no vIOMMU: ENOENT. */
static int iommufd_vdevice_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;

	/* Linux keeps vDEVICEs in an xarray indexed by virt_id. */
	if ((unsigned long)cmd->virt_id != cmd->virt_id)
		return -EINVAL;
	return -ENOENT;
}

/* IOMMU_HW_QUEUE_ALLOC: after the argument checks, no vIOMMU: ENOENT. */
static int iommufd_hw_queue_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_queue_alloc *cmd = ucmd->cmd;
	u64 last;

	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (check_add_overflow(cmd->nesting_parent_iova, cmd->length - 1,
			       &last))
		return -EOVERFLOW;
	return -ENOENT;
}

/* Every command struct the dispatcher may copy in. */
union ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_hw_info info;
	struct iommu_hwpt_alloc hwpt;
	struct iommu_hwpt_invalidate hwpt_invalidate;
	struct iommu_hw_queue_alloc hw_queue;
	struct iommu_ioas_alloc alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_change_process change_process;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_test_cmd test;
	struct iommu_vdevice_alloc vdevice;
	struct iommu_viommu_alloc viommu;
};

/*
 * One command: its full number, its handler, the size of the struct this
 * library knows (copied in, zero-extended), and the smallest size a caller
 * may pass: the end of the last field of the command's first version.
 */
struct iommufd_ioctl_op {
	unsigned int ioctl_num;
	int (*execute)(struct iommufd_ucmd *ucmd);
	u32 size;
	u32 min_size;
};

#define IOMMUFD_CMD(_num, _fn, _struct, _last_field)                           \
	[_IOC_NR(_num) - IOMMUFD_CMD_BASE] = {                                 \
		.ioctl_num = (_num),                                           \
		.execute = (_fn),                                              \
		.size = sizeof(_struct),                                       \
		.min_size = offsetofend(_struct, _last_field),                 \
	}

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOMMUFD_CMD(IOMMU_DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOMMUFD_CMD(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl,
		    struct iommu_ioas_alloc, out_ioas_id),
	IOMMUFD_CMD(IOMMU_IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas,
		    struct iommu_ioas_allow_iovas, allowed_iovas),
	IOMMUFD_CMD(IOMMU_IOAS_COPY, iommufd_ioas_copy, struct iommu_ioas_copy,
		    src_iova),
	IOMMUFD_CMD(IOMMU_IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges,
		    struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOMMUFD_CMD(IOMMU_IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map,
		    iova),
	IOMMUFD_CMD(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap,
		    struct iommu_ioas_unmap, length),
	IOMMUFD_CMD(IOMMU_OPTION, iommufd_option, struct iommu_option, val64),
	IOMMUFD_CMD(IOMMU_VFIO_IOAS, iommufd_vfio_ioas, struct iommu_vfio_ioas,
		    __reserved),
	IOMMUFD_CMD(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc,
		    struct iommu_hwpt_alloc, __reserved),
	IOMMUFD_CMD(IOMMU_GET_HW_INFO, iommufd_get_hw_info,
		    struct iommu_hw_info, __reserved),
	IOMMUFD_CMD(IOMMU_HWPT_INVALIDATE, iommufd_hwpt_invalidate,
		    struct iommu_hwpt_invalidate, __reserved),
	IOMMUFD_CMD(IOMMU_IOAS_MAP_FILE, iommufd_ioas_map_file,
		    struct iommu_ioas_map_file, iova),
	IOMMUFD_CMD(IOMMU_VIOMMU_ALLOC, iommufd_viommu_alloc,
		    struct iommu_viommu_alloc, out_viommu_id),
	IOMMUFD_CMD(IOMMU_VDEVICE_ALLOC, iommufd_vdevice_alloc,
		    struct iommu_vdevice_alloc, virt_id),
	IOMMUFD_CMD(IOMMU_IOAS_CHANGE_PROCESS, iommufd_ioas_change_process,
		    struct iommu_ioas_change_process, __reserved),
	IOMMUFD_CMD(IOMMU_HW_QUEUE_ALLOC, iommufd_hw_queue_alloc,
		    struct iommu_hw_queue_alloc, length),
	IOMMUFD_CMD(IOMMU_TEST_CMD, iommufd_test, struct iommu_test_cmd, last),
};

static int iommufd_dispatch(struct iommufd_ctx *ictx, unsigned int cmd,
			    void *arg)
{
	struct iommufd_ucmd ucmd = { .ictx = ictx, .ubuffer = arg };
	const struct iommufd_ioctl_op *op;
	unsigned int nr = _IOC_NR(cmd);
	union ucmd_buffer buf;
	int rc;

	/*
	 * An access whose fd was closed is destroyed before anything else
	 * can see it: the library cannot intercept close(2) itself.
	 */
	iommufd_test_reap_closed_accesses(ictx);
	/* Below the iommufd range: VFIO type1 compatibility (or ENOTTY). */
	if (nr < IOMMUFD_CMD_BASE)
		return iommufd_vfio_ioctl(ictx, cmd, arg);
	if (nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(iommufd_ioctl_ops))
		return -ENOTTY;
	op = &iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE];

	/* As Linux: the size is read before the number is matched. */
	rc = copy_from_user(&ucmd.user_size, arg, sizeof(ucmd.user_size));
	if (rc)
		return rc;
	if (!op->execute || op->ioctl_num != cmd)
		return -ENOTTY;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;

	memset(&buf, 0, sizeof(buf));
	ucmd.cmd = &buf;
	rc = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				   ucmd.user_size);
	if (rc)
		return rc;
	return op->execute(&ucmd);
}

int pm_iommufd_ioctl(struct pm_iommufd *pm, unsigned long cmd, void *arg)
{
	int rc;

	if (!pm) {
		errno = EBADF;
		return -1;
	}
	/* ioctl(2) takes the number as an unsigned int, as here. */
	rc = iommufd_dispatch(to_ictx(pm), (unsigned int)cmd, arg);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

/* --------------------------------------------------------- typed entries */

/*
 * Run a handler on a struct in library memory. ubuffer NULL tells the
 * handler and iommufd_ucmd_respond() that @cmd is the caller's own struct:
 * results are written straight into it and nothing is copied.
 */
static int iommufd_call(struct pm_iommufd *pm,
			int (*fn)(struct iommufd_ucmd *ucmd), void *cmd,
			u32 size)
{
	struct iommufd_ucmd ucmd = {
		.ubuffer = NULL,
		.user_size = size,
		.cmd = cmd,
	};

	if (!pm)
		return -EINVAL;
	ucmd.ictx = to_ictx(pm);
	iommufd_test_reap_closed_accesses(ucmd.ictx);
	return fn(&ucmd);
}

int pm_iommufd_destroy(struct pm_iommufd *pm, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return iommufd_call(pm, iommufd_destroy, &cmd, sizeof(cmd));
}

int pm_ioas_alloc(struct pm_iommufd *pm, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc;

	if (!ioas_id)
		return -EINVAL;
	rc = iommufd_call(pm, iommufd_ioas_alloc_ioctl, &cmd, sizeof(cmd));
	if (!rc)
		*ioas_id = cmd.out_ioas_id;
	return rc;
}

/*
 * The IOVA argument of the map entries: read only with FIXED_IOVA (where it
 * is then required), written back on success when given. Without
 * FIXED_IOVA the value passed on is 0, as the allocator ignores it.
 */
static bool iommufd_iova_in(const uint64_t *iova, uint32_t flags, u64 *val)
{
	*val = 0;
	if (!(flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		return true;
	if (!iova)
		return false;
	*val = *iova;
	return true;
}

int pm_ioas_map(struct pm_iommufd *pm, uint32_t ioas_id, void *va,
		uint64_t length, uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = length,
	};
	u64 val;
	int rc;

	if (!iommufd_iova_in(iova, flags, &val))
		return -EINVAL;
	cmd.iova = val;
	rc = iommufd_call(pm, iommufd_ioas_map, &cmd, sizeof(cmd));
	if (!rc && iova)
		*iova = cmd.iova;
	return rc;
}

int pm_ioas_map_file(struct pm_iommufd *pm, uint32_t ioas_id, int fd,
		     uint64_t start, uint64_t length, uint64_t *iova,
		     uint32_t flags)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.fd = fd,
		.start = start,
		.length = length,
	};
	u64 val;
	int rc;

	if (!iommufd_iova_in(iova, flags, &val))
		return -EINVAL;
	cmd.iova = val;
	rc = iommufd_call(pm, iommufd_ioas_map_file, &cmd, sizeof(cmd));
	if (!rc && iova)
		*iova = cmd.iova;
	return rc;
}

int pm_ioas_map_gmem(struct pm_iommufd *pm, uint32_t ioas_id,
		     struct pm_gmem *g, uint64_t offset, uint64_t length,
		     uint64_t *iova, uint32_t flags)
{
	u64 val;
	int rc;

	if (!pm || !g)
		return -EINVAL;
	if (!iommufd_iova_in(iova, flags, &val))
		return -EINVAL;
	rc = iommufd_ioas_map_gmem(to_ictx(pm), ioas_id, g, offset, length,
				   &val, flags);
	if (!rc && iova)
		*iova = val;
	return rc;
}

int pm_ioas_unmap(struct pm_iommufd *pm, uint32_t ioas_id, uint64_t iova,
		  uint64_t length, uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc;

	rc = iommufd_call(pm, iommufd_ioas_unmap, &cmd, sizeof(cmd));
	if (!rc && unmapped)
		*unmapped = cmd.length;
	return rc;
}

int pm_ioas_copy(struct pm_iommufd *pm, uint32_t dst_ioas_id,
		 uint32_t src_ioas_id, uint64_t src_iova, uint64_t length,
		 uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_ioas_id,
		.src_ioas_id = src_ioas_id,
		.length = length,
		.src_iova = src_iova,
	};
	u64 val;
	int rc;

	if (!iommufd_iova_in(dst_iova, flags, &val))
		return -EINVAL;
	cmd.dst_iova = val;
	rc = iommufd_call(pm, iommufd_ioas_copy, &cmd, sizeof(cmd));
	if (!rc && dst_iova)
		*dst_iova = cmd.dst_iova;
	return rc;
}
