// SPDX-License-Identifier: MIT
/*
 * IOAS commands: an IO address space object and the ioctls on it.
 *
 * Each handler follows the same shape as Linux's: check the fields that
 * need no object (EOPNOTSUPP for unknown flags and non-zero __reserved,
 * EOVERFLOW for values that cannot be an address, EINVAL for a request
 * that grants no access), then look the IOAS up (ENOENT), then let the
 * io_pagetable do the work, and finally respond. The order matters: the
 * kernel selftests probe it field by field.
 *
 * Handlers hold the IOAS by a short-term reference for the duration of the
 * call and hold no lock while calling into the io_pagetable, which locks
 * itself (and may take a gmem store's conversion lock, which ranks above
 * every iommufd lock). The reads of io_pagetable state done here take
 * iova_rwsem for reading; RLIMIT_MODE takes ctx->lock to check that the
 * table is empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include "common/err.h"
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/sys.h"
#include "common/uaccess.h"
#include "iommufd_private.h"

static DEFINE_LOCK_CLASS(iommufd_ioas_mutex_class, LOCK_RANK_IOMMUFD_OBJ);

#define IOMMUFD_MAP_FLAGS                                                      \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |                \
	 IOMMU_IOAS_MAP_READABLE)

static inline void *u64_to_user_ptr(u64 v)
{
	return (void *)(uintptr_t)v;
}

void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);
	u64 unmapped = 0;
	int rc;

	/* Nothing depends on the IOAS any more: every area must go. */
	rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	WARN_ON(rc && rc != -ENOENT);
	iopt_destroy_table(&ioas->iopt);
	mutex_destroy(&ioas->mutex);
}

/* A new IOAS, reserved in the table but not yet visible (finalize it). */
struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_object_alloc(ictx, sizeof(*ioas), IOMMUFD_OBJ_IOAS);
	if (IS_ERR(ioas))
		return ioas;
	iopt_init_table(&ioas->iopt);
	INIT_LIST_HEAD(&ioas->hwpt_list);
	mutex_init(&ioas->mutex, &iommufd_ioas_mutex_class);
	return ioas;
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = iommufd_ioas_alloc(ucmd->ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/* The caller learns the id before anyone can use it, or never. */
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &ioas->obj);
		return rc;
	}
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;
}

/*
 * The usable IOVA ranges are the holes between reserved ranges; allowed
 * ranges do not narrow them. The count and the alignment always go back;
 * a short array is reported with EMSGSIZE after that.
 */
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct interval_tree_span_iter span;
	struct iommufd_ioas *ioas;
	u32 max_iovas, n = 0;
	u64 uranges;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	max_iovas = cmd->num_iovas;
	uranges = cmd->allowed_iovas;

	down_read(&ioas->iopt.iova_rwsem);
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	interval_tree_for_each_span(&span, &ioas->iopt.reserved_itree, 0,
				    UINT64_MAX) {
		struct iommu_iova_range elm;

		if (!span.is_hole)
			continue;
		if (n < max_iovas) {
			/* Unsigned: a bogus array address wraps and faults. */
			u64 uaddr = uranges + (u64)n * sizeof(elm);

			elm.start = span.start_hole;
			elm.last = span.last_hole;
			rc = copy_to_user(u64_to_user_ptr(uaddr), &elm,
					  sizeof(elm));
			if (rc)
				goto out_unlock;
		}
		n++;
	}
	cmd->num_iovas = n;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && n > max_iovas)
		rc = -EMSGSIZE;
out_unlock:
	up_read(&ioas->iopt.iova_rwsem);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

static void iommufd_free_allowed(struct interval_tree_root *itree)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_first(itree))) {
		interval_tree_remove(node, itree);
		kfree(container_of(node, struct iopt_allowed, node));
	}
}

/* Read @num ranges from the caller into @itree, rejecting bad ones. */
static int iommufd_load_allowed(struct interval_tree_root *itree, u64 uranges,
				u32 num)
{
	u32 i;

	for (i = 0; i < num; i++) {
		u64 uaddr = uranges + (u64)i * sizeof(struct iommu_iova_range);
		struct iommu_iova_range range;
		struct iopt_allowed *allowed;
		int rc;

		rc = copy_from_user(&range, u64_to_user_ptr(uaddr),
				    sizeof(range));
		if (rc)
			return rc;
		/* A range must span at least two bytes, as in Linux. */
		if (range.start >= range.last)
			return -EINVAL;
		if (interval_tree_iter_first(itree, range.start, range.last))
			return -EINVAL;

		allowed = kzalloc(sizeof(*allowed));
		if (!allowed)
			return -ENOMEM;
		allowed->node.start = range.start;
		allowed->node.last = range.last;
		interval_tree_insert(&allowed->node, itree);
	}
	return 0;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct interval_tree_root allowed = INTERVAL_TREE_ROOT_INIT;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/*
	 * Build the whole new list aside, then swap it in: a failure at any
	 * point (a bad range, memory, a reserved conflict) leaves the old
	 * list in place. After the swap, @allowed holds the old nodes.
	 */
	rc = iommufd_load_allowed(&allowed, cmd->allowed_iovas, cmd->num_iovas);
	if (!rc)
		rc = iopt_set_allow_iova(&ioas->iopt, &allowed);
	iommufd_free_allowed(&allowed);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

static int iommufd_conv_prot(u32 map_flags)
{
	int prot = 0;

	/*
	 * Linux adds IOMMU_CACHE here: it requires coherent IOMMUs. Every
	 * domain of this library is coherent by construction (the "device"
	 * reaches memory through the CPU), so there is no flag for it.
	 */
	if (map_flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	if (map_flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMU_READ;
	return prot;
}

/*
 * The checks MAP, MAP_FILE, COPY and the gmem map share, in Linux's order:
 * flags, then the values that must be addresses or lengths, then access.
 */
static int iommufd_check_map_args(u32 flags, u64 a, u64 b, u64 c)
{
	if (flags & ~IOMMUFD_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (a >= UINT64_MAX || b >= UINT64_MAX || c >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	return 0;
}

static unsigned int iommufd_iopt_flags(u32 map_flags)
{
	return map_flags & IOMMU_IOAS_MAP_FIXED_IOVA ? 0 : IOPT_ALLOC_IOVA;
}

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	u64 iova = cmd->iova;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = iommufd_check_map_args(cmd->flags, cmd->iova, cmd->length, 0);
	if (rc)
		return rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	rc = iopt_map_user_pages(ucmd->ictx, &ioas->iopt, &iova,
				 u64_to_user_ptr(cmd->user_va), cmd->length,
				 iommufd_conv_prot(cmd->flags),
				 iommufd_iopt_flags(cmd->flags));
	if (!rc) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	u64 iova = cmd->iova;
	int rc;

	rc = iommufd_check_map_args(cmd->flags, cmd->iova, cmd->length, 0);
	if (rc)
		return rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/* The fd is resolved (EBADF) and checked by iopt_map_file_pages(). */
	rc = iopt_map_file_pages(ucmd->ictx, &ioas->iopt, &iova, cmd->fd,
				 cmd->start, cmd->length,
				 iommufd_conv_prot(cmd->flags),
				 iommufd_iopt_flags(cmd->flags));
	if (!rc) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_map_gmem(struct iommufd_ctx *ictx, u32 ioas_id,
			  struct pm_gmem *g, u64 offset, u64 length, u64 *iova,
			  u32 flags)
{
	struct iommufd_ioas *ioas;
	u64 val = *iova;
	int rc;

	rc = iommufd_check_map_args(flags, val, length, 0);
	if (rc)
		return rc;

	ioas = iommufd_get_ioas(ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	rc = iopt_map_gmem_pages(ictx, &ioas->iopt, &val, g, offset, length,
				 iommufd_conv_prot(flags),
				 iommufd_iopt_flags(flags));
	if (!rc)
		*iova = val;
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct iommufd_ioas *src_ioas, *dst_ioas;
	struct list_head pages_list;
	u64 iova;
	int rc;

	rc = iommufd_check_map_args(cmd->flags, cmd->length, cmd->src_iova,
				    cmd->dst_iova);
	if (rc)
		return rc;

	/*
	 * The source is held only while its pages are collected: the list
	 * holds references on the pages themselves, so the source IOAS may
	 * go (or unmap) before the destination maps them.
	 */
	INIT_LIST_HEAD(&pages_list);
	src_ioas = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (IS_ERR(src_ioas))
		return PTR_ERR(src_ioas);
	rc = iopt_get_pages(&src_ioas->iopt, cmd->src_iova, cmd->length,
			    &pages_list);
	iommufd_put_object(ucmd->ictx, &src_ioas->obj);
	if (rc)
		return rc;

	dst_ioas = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (IS_ERR(dst_ioas)) {
		rc = PTR_ERR(dst_ioas);
		goto out_pages;
	}

	iova = cmd->dst_iova;
	rc = iopt_map_pages_list(&dst_ioas->iopt, &pages_list, cmd->length,
				 &iova, iommufd_conv_prot(cmd->flags),
				 iommufd_iopt_flags(cmd->flags));
	if (!rc) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &dst_ioas->obj);
out_pages:
	iopt_free_pages_list(&pages_list);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	u64 unmapped = 0;
	int rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		/* Everything; an empty IOAS is not an error. */
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX) {
		rc = -EOVERFLOW;
	} else {
		rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, cmd->length,
				     &unmapped);
		/* As newer Linux: a range with no mapping in it is ENOENT. */
		if (!rc && !unmapped)
			rc = -ENOENT;
	}
	if (!rc) {
		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/*
 * capable() for the calling thread: bit @cap of its effective set, from
 * the CapEff line of /proc/thread-self/status (capabilities are per
 * thread). Return: 0 if held, -EPERM if not, or the error of reading the
 * file (which Linux's capable() cannot have; an injected fault ends here).
 */
static int iommufd_capable(unsigned int cap)
{
	static const char key[] = "\nCapEff:";
	char buf[8192];
	unsigned long long eff;
	char *p, *end;
	ssize_t n;

	n = sys_read_file("/proc/thread-self/status", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strstr(buf, key);
	if (!p)
		return -EPERM;
	p += sizeof(key) - 1;
	eff = strtoull(p, &end, 16);
	if (end == p || cap >= 64)
		return -EPERM;
	return eff >> cap & 1 ? 0 : -EPERM;
}

/* IOMMU_OPTION_RLIMIT_MODE: the context's accounting, global (object 0). */
int iommufd_option_rlimit_mode(struct iommu_option *cmd,
			       struct iommufd_ctx *ictx)
{
	int rc;

	if (cmd->object_id)
		return -EOPNOTSUPP;

	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = READ_ONCE(ictx->account_mm);
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;

	rc = iommufd_capable(CAP_SYS_RESOURCE);
	if (rc)
		return rc;

	/* Only before anything exists that was charged the other way. */
	mutex_lock(&ictx->lock);
	if (iommufd_ctx_has_objects_locked(ictx))
		rc = -EBUSY;
	else if (cmd->val64 == 0)
		WRITE_ONCE(ictx->account_mm, false);
	else if (cmd->val64 == 1)
		WRITE_ONCE(ictx->account_mm, true);
	else
		rc = -EINVAL;
	mutex_unlock(&ictx->lock);
	return rc;
}

static int iommufd_ioas_option_huge_pages(struct iommu_option *cmd,
					  struct iommufd_ioas *ioas)
{
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		down_read(&ioas->iopt.iova_rwsem);
		cmd->val64 = !ioas->iopt.disable_large_pages;
		up_read(&ioas->iopt.iova_rwsem);
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (cmd->val64 == 0)
		return iopt_disable_large_pages(&ioas->iopt);
	if (cmd->val64 == 1) {
		iopt_enable_large_pages(&ioas->iopt);
		return 0;
	}
	return -EINVAL;
}

/* Per-IOAS options; main.c's IOMMU_OPTION copies val64 back. */
int iommufd_ioas_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	switch (cmd->option_id) {
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option_huge_pages(cmd, ioas);
		break;
	default:
		rc = -EOPNOTSUPP;
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/*
 * CHANGE_PROCESS applies only to maps of files (and gmem stores): their
 * pages do not belong to an address space. -EINVAL for any user-VA map;
 * -EBUSY for a map still being created, whose kind is not known yet.
 */
static int iommufd_ioas_check_fd_backed(struct iommufd_ioas *ioas)
{
	struct io_pagetable *iopt = &ioas->iopt;
	struct interval_tree_node *node;
	int rc = 0;

	down_read(&iopt->iova_rwsem);
	for (node = interval_tree_first(&iopt->area_itree); node;
	     node = interval_tree_next(node)) {
		struct iopt_area *area =
			container_of(node, struct iopt_area, node);

		if (!area->pages) {
			rc = -EBUSY;
			break;
		}
		if (area->pages->type != IOPT_ADDRESS_FILE &&
		    area->pages->type != IOPT_ADDRESS_GMEM) {
			rc = -EINVAL;
			break;
		}
	}
	up_read(&iopt->iova_rwsem);
	return rc;
}

int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_object *obj;
	u32 id = 1;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	while ((obj = iommufd_get_next_object(ictx, &id, IOMMUFD_OBJ_IOAS))) {
		rc = iommufd_ioas_check_fd_backed(
			container_of(obj, struct iommufd_ioas, obj));
		iommufd_put_object(ictx, obj);
		if (rc)
			return rc;
		id++;
	}

	/*
	 * Linux moves the pinned-page charges of every map to the calling
	 * process here (a live update hands the iommufd to a new process).
	 * A context of this library lives in the memory of the process that
	 * opened it and is only reachable from there, so the caller is
	 * always that process: there is no other mm, task or user to charge,
	 * and nothing to move. Recording the owner is all that is left.
	 * The check above still runs, so that a caller gets Linux's answer.
	 */
	WRITE_ONCE(ictx->owner_pid, getpid());
	return 0;
}
