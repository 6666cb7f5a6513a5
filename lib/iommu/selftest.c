// SPDX-License-Identifier: MIT
/*
 * The mock IOMMU driver and IOMMU_TEST_CMD: what Linux's
 * drivers/iommu/iommufd/selftest.c offers tools/testing/selftests/iommu,
 * with the same ops, ids and errnos, for this process.
 *
 * Data model
 * ----------
 * The mock driver has devices (struct mock_dev: a struct device plus the
 * MOCK_FLAGS_DEVICE_* it was created with) and paging domains (struct
 * mock_iommu_domain). A domain is a two-level page table over its
 * aperture, [MOCK_APERTURE_START, MOCK_APERTURE_LAST], in 2 KiB IO pages
 * (MOCK_IO_PAGE_SIZE, half the kernel page, so iova_alignment becomes
 * 2048): a root of MOCK_NR_LEAVES pointers, each to a leaf of PTEs that
 * covers 2 MiB. A PTE holds the host address (the kva) of its IO page,
 * which is 2 KiB aligned, and flag bits in the low bits, among them which
 * PTEs began and ended a map() call. With MOCK_FLAGS_DEVICE_HUGE_IOVA the
 * domain also claims 1 MiB pages, which only relaxes the unmap check below
 * (as in Linux, where the core may then split unmaps anywhere).
 *
 * MOCK_DOMAIN creates a mock device, binds it (a DEVICE object, device.c)
 * and attaches it; a SELFTEST object ("stdev") owns all three, and
 * destroying it detaches, unbinds and frees the device.
 *
 * CREATE_ACCESS creates an in-library access (device.c) driven by a struct
 * selftest_access, named to the caller by a file descriptor, as in Linux.
 * The descriptor is one end of an AF_UNIX socket pair whose other end the
 * library keeps. The caller may dup it: a descriptor names the access when
 * it refers to the same file (inode), whatever its number. Closing the
 * last of them must destroy the access; the library cannot see close(2),
 * but its own end sees the caller's end go (POLLHUP). So selftest accesses
 * are kept in a table and checked at every ioctl on the context (main.c
 * calls iommufd_test_reap_closed_accesses()) and at every lookup: an
 * access whose descriptors are all closed is destroyed then, so its pins
 * last until the next call into the context, not past it. Items (ACCESS_PAGES pins) hang off the selftest_access, as in
 * Linux, and the access's unmap callback drops the items an IOAS unmap
 * covers.
 *
 * Invariants
 *  - A mock domain's PTEs are written only by map() and unmap(); map()
 *    never overwrites a present PTE and unmap() is given whole earlier
 *    maps (both WARN otherwise, as Linux's mock does).
 *  - A leaf exists while it holds a present PTE (or briefly inside map()).
 *  - A selftest_access is freed by its last reference: the table holds one
 *    while it is linked, each op in flight one. The last put drops its
 *    items' pins and destroys the access.
 *
 * Locking
 * -------
 * mock_iommu_domain.lock (LOCK_RANK_IOMMU_DOMAIN) protects the page table;
 * domain ops are called under io_pagetable locks, which rank above.
 *
 * selftest_access.lock protects the items. It is held around
 * iommufd_access_pin_pages() and taken in the unmap callback, so it ranks
 * below the access's ioas_lock (device.c) and above the IOAS mutexes; the
 * unmap callback is always called with no iommufd lock held.
 *
 * staccess_lock (leaf) protects the table and the reference counts; nothing
 * else is taken under it (fstat(2) is called under it).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
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

enum {
	MOCK_IO_PAGE_SIZE = PAGE_SIZE / 2,
	MOCK_HUGE_PAGE_SIZE = 512 * MOCK_IO_PAGE_SIZE,
};

#define MOCK_IO_PAGE_SHIFT 11
#define MOCK_LEAF_SHIFT 21 /* a leaf maps 2 MiB */
#define MOCK_LEAF_ENTRIES (1U << (MOCK_LEAF_SHIFT - MOCK_IO_PAGE_SHIFT))
/* The table covers [0, MOCK_APERTURE_LAST]: the aperture and below. */
#define MOCK_TABLE_LAST ((u64)MOCK_APERTURE_LAST)
#define MOCK_NR_LEAVES ((MOCK_TABLE_LAST + 1) >> MOCK_LEAF_SHIFT)

/* Bits of a PTE below the 2 KiB aligned kva. */
enum {
	MOCK_PTE_PRESENT = 1 << 0,
	MOCK_PTE_START = 1 << 1, /* first IO page of a map() call */
	MOCK_PTE_LAST = 1 << 2, /* last IO page of a map() call */
	MOCK_PTE_READ = 1 << 3,
	MOCK_PTE_WRITE = 1 << 4,
	MOCK_PTE_FLAGS = MOCK_IO_PAGE_SIZE - 1,
};

/* Lengths ACCESS_PAGES/ACCESS_RW take at most (Linux's limit). */
#define MOCK_ACCESS_MAX_LENGTH (16ULL * 1024 * 1024)

/* Below access->ioas_lock (device.c), above the IOAS mutexes. */

static DEFINE_LOCK_CLASS(mock_domain_class, LOCK_RANK_IOMMU_DOMAIN);
static DEFINE_LOCK_CLASS(selftest_access_class, LOCK_RANK_SELFTEST_ACCESS);
static DEFINE_LOCK_CLASS(staccess_table_class, LOCK_RANK_LEAF);

/* --------------------------------------------------------- mock domain */

struct mock_leaf {
	u64 pte[MOCK_LEAF_ENTRIES];
	unsigned int nr_present;
};

struct mock_iommu_domain {
	struct iommu_domain domain;
	struct mutex lock;
	u64 nr_present;
	struct mock_leaf *leaves[MOCK_NR_LEAVES];
};

static const struct iommu_domain_ops mock_domain_ops;

static struct mock_iommu_domain *to_mock_domain(struct iommu_domain *d)
{
	return container_of(d, struct mock_iommu_domain, domain);
}

/* The PTE of @iova, or NULL where no leaf is. Under mock->lock. */
static u64 *mock_pte(struct mock_iommu_domain *mock, u64 iova)
{
	struct mock_leaf *leaf;

	if (iova > MOCK_TABLE_LAST)
		return NULL;
	leaf = mock->leaves[iova >> MOCK_LEAF_SHIFT];
	if (!leaf)
		return NULL;
	return &leaf->pte[(iova >> MOCK_IO_PAGE_SHIFT) &
			  (MOCK_LEAF_ENTRIES - 1)];
}

static void mock_free_empty_leaves(struct mock_iommu_domain *mock, u64 first,
				   u64 last)
{
	u64 l;

	for (l = first; l <= last; l++) {
		if (mock->leaves[l] && !mock->leaves[l]->nr_present) {
			kfree(mock->leaves[l]);
			mock->leaves[l] = NULL;
		}
	}
}

static int mock_domain_map(struct iommu_domain *d, u64 iova, void *kva, u64 len,
			   int prot)
{
	struct mock_iommu_domain *mock = to_mock_domain(d);
	uintptr_t pa = (uintptr_t)kva;
	u64 last, l, i, n;
	int rc = 0;

	/* Linux's mock has a failure point of its own here; so do we. */
	if (pm_should_fail())
		return -ENOENT;
	/* As iommu_map(): everything aligned to the smallest page. */
	if (!len || ((iova | pa | len) & (MOCK_IO_PAGE_SIZE - 1)))
		return -EINVAL;
	/* The core reserves everything outside the aperture. */
	if (WARN_ON(check_add_overflow(iova, len - 1, &last) ||
		    last > MOCK_TABLE_LAST))
		return -EINVAL;

	mutex_lock(&mock->lock);
	/* Every leaf first, so that a failure changes no translation. */
	for (l = iova >> MOCK_LEAF_SHIFT; l <= last >> MOCK_LEAF_SHIFT; l++) {
		if (mock->leaves[l])
			continue;
		mock->leaves[l] = kzalloc(sizeof(*mock->leaves[l]));
		if (!mock->leaves[l]) {
			mock_free_empty_leaves(mock, iova >> MOCK_LEAF_SHIFT,
					       l);
			rc = -ENOMEM;
			goto out;
		}
	}

	n = len >> MOCK_IO_PAGE_SHIFT;
	for (i = 0; i != n; i++) {
		u64 cur = iova + (i << MOCK_IO_PAGE_SHIFT);
		u64 *pte = mock_pte(mock, cur);
		u64 v = (pa + (i << MOCK_IO_PAGE_SHIFT)) | MOCK_PTE_PRESENT;

		if (prot & IOMMU_READ)
			v |= MOCK_PTE_READ;
		if (prot & IOMMU_WRITE)
			v |= MOCK_PTE_WRITE;
		if (i == 0)
			v |= MOCK_PTE_START;
		if (i == n - 1)
			v |= MOCK_PTE_LAST;
		/* Mapping over a translation is a core bug. */
		if (!WARN_ON(*pte & MOCK_PTE_PRESENT)) {
			mock->leaves[cur >> MOCK_LEAF_SHIFT]->nr_present++;
			mock->nr_present++;
		}
		*pte = v;
	}
out:
	mutex_unlock(&mock->lock);
	return rc;
}

static u64 mock_domain_unmap(struct iommu_domain *d, u64 iova, u64 len)
{
	struct mock_iommu_domain *mock = to_mock_domain(d);
	u64 last, cur, end;

	WARN_ON((iova | len) & (MOCK_IO_PAGE_SIZE - 1));
	if (!len)
		return 0;
	if (check_add_overflow(iova, len - 1, &last))
		last = UINT64_MAX;

	mutex_lock(&mock->lock);
	/*
	 * iommufd unmaps exactly what it mapped, maybe several maps at once:
	 * the range starts where a map() started and ends where one ended
	 * (checked when those IO pages are present, as Linux's mock does).
	 * A domain with huge IO pages may have its runs split by the core,
	 * so the check is off there, as in Linux.
	 */
	if (!(d->pgsize_bitmap & MOCK_HUGE_PAGE_SIZE)) {
		u64 *first_pte = mock_pte(mock, iova);
		u64 *last_pte = mock_pte(mock, last & ~(u64)MOCK_PTE_FLAGS);

		if (first_pte && (*first_pte & MOCK_PTE_PRESENT))
			WARN_ON(!(*first_pte & MOCK_PTE_START));
		if (last_pte && (*last_pte & MOCK_PTE_PRESENT))
			WARN_ON(!(*last_pte & MOCK_PTE_LAST));
	}

	/* Leaf by leaf over the part of the range the table covers. */
	end = last < MOCK_TABLE_LAST ? last : MOCK_TABLE_LAST;
	for (cur = iova; cur <= end;) {
		u64 l = cur >> MOCK_LEAF_SHIFT;
		u64 leaf_last = ((l + 1) << MOCK_LEAF_SHIFT) - 1;
		struct mock_leaf *leaf = mock->leaves[l];

		if (leaf) {
			u64 stop = end < leaf_last ? end : leaf_last, p;

			for (p = cur; p <= stop; p += MOCK_IO_PAGE_SIZE) {
				u64 *pte = mock_pte(mock, p);

				if (!(*pte & MOCK_PTE_PRESENT))
					continue;
				*pte = 0;
				leaf->nr_present--;
				mock->nr_present--;
			}
			if (!leaf->nr_present) {
				kfree(leaf);
				mock->leaves[l] = NULL;
			}
		}
		if (leaf_last >= end)
			break;
		cur = leaf_last + 1;
	}
	mutex_unlock(&mock->lock);
	/* Like Linux's mock: the whole range, present or not. */
	return len;
}

static int mock_domain_iova_to_kva(struct iommu_domain *d, u64 iova, void **kva,
				   int *prot)
{
	struct mock_iommu_domain *mock = to_mock_domain(d);
	int rc = -ENOENT;
	u64 *pte;

	mutex_lock(&mock->lock);
	pte = mock_pte(mock, iova);
	if (pte && (*pte & MOCK_PTE_PRESENT)) {
		*kva = (void *)(uintptr_t)((*pte & ~(u64)MOCK_PTE_FLAGS) +
					   (iova & MOCK_PTE_FLAGS));
		*prot = ((*pte & MOCK_PTE_READ) ? IOMMU_READ : 0) |
			((*pte & MOCK_PTE_WRITE) ? IOMMU_WRITE : 0);
		rc = 0;
	}
	mutex_unlock(&mock->lock);
	return rc;
}

static void mock_domain_free(struct iommu_domain *d)
{
	struct mock_iommu_domain *mock = to_mock_domain(d);
	u64 l;

	/* The core unmaps everything before it frees a domain. */
	WARN_ON(mock->nr_present);
	for (l = 0; l != MOCK_NR_LEAVES; l++)
		kfree(mock->leaves[l]);
	mutex_destroy(&mock->lock);
	kfree(mock);
}

static const struct iommu_domain_ops mock_domain_ops = {
	.map = mock_domain_map,
	.unmap = mock_domain_unmap,
	.iova_to_kva = mock_domain_iova_to_kva,
	.free = mock_domain_free,
};

/* --------------------------------------------------------- mock device */

/*
 * @cache: the device's invalidation cache entries, as Linux's mock keeps
 * them for vIOMMU invalidations. Nothing here invalidates them yet (no
 * vIOMMU), so they keep IOMMU_TEST_DEV_CACHE_DEFAULT, which is what
 * DEV_CHECK_CACHE reports on a fresh device.
 */
struct mock_dev {
	struct device dev;
	u32 flags; /* MOCK_FLAGS_DEVICE_* */
	u32 cache[MOCK_DEV_CACHE_NUM];
};

static struct mock_dev *to_mock_dev(struct device *dev)
{
	return container_of(dev, struct mock_dev, dev);
}

static void *mock_hw_info(struct device *dev, u32 *length, u32 *type)
{
	struct iommu_test_hw_info *info;

	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    *type != IOMMU_HW_INFO_TYPE_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);
	info = kzalloc(sizeof(*info));
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return info;
}

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev,
						     u32 flags)
{
	struct mock_iommu_domain *mock;

	/* hw_pagetable.c passes only what it supports; so do we. */
	if (flags & ~IOMMU_HWPT_ALLOC_NEST_PARENT)
		return ERR_PTR(-EOPNOTSUPP);
	mock = kzalloc(sizeof(*mock));
	if (!mock)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mock->lock, &mock_domain_class);
	iommu_domain_init(&mock->domain, &mock_domain_ops);
	mock->domain.aperture_start = MOCK_APERTURE_START;
	mock->domain.aperture_end = MOCK_APERTURE_LAST;
	mock->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	if (to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		mock->domain.pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	return &mock->domain;
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_DIRTY_TRACKING:
		/* Reported as Linux's mock does; HWPTs cannot track yet. */
		return !(to_mock_dev(dev)->flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
	}
	return false;
}

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	/* Another driver's domain. */
	return domain->ops == &mock_domain_ops ? 0 : -EINVAL;
}

static const struct iommu_ops mock_iommu_ops = {
	.hw_info = mock_hw_info,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.capable = mock_capable,
	.attach_dev = mock_attach_dev,
};

static struct mock_dev *mock_dev_create(u32 dev_flags)
{
	struct mock_dev *mdev;
	unsigned int i;

	if (dev_flags &
	    ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |
	      MOCK_FLAGS_DEVICE_PASID))
		return ERR_PTR(-EINVAL);
	mdev = kzalloc(sizeof(*mdev));
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->flags = dev_flags;
	mdev->dev.iommu_ops = &mock_iommu_ops;
	for (i = 0; i != ARRAY_SIZE(mdev->cache); i++)
		mdev->cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;
	if (dev_flags & MOCK_FLAGS_DEVICE_PASID)
		mdev->dev.max_pasids = 1U << MOCK_PASID_WIDTH;
	return mdev;
}

/* ----------------------------------------------- stdev (SELFTEST object) */

struct selftest_obj {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_device *idev;
	struct mock_dev *mock_dev;
};

void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct selftest_obj *sobj = container_of(obj, struct selftest_obj, obj);

	iommufd_device_detach(sobj->idev);
	iommufd_device_unbind(sobj->idev);
	kfree(sobj->mock_dev);
}

/* MOCK_DOMAIN(_FLAGS): a mock device, bound and attached to @cmd->id. */
static int iommufd_test_mock_domain(struct iommufd_ucmd *ucmd,
				    struct iommu_test_cmd *cmd)
{
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_device *idev;
	struct selftest_obj *sobj;
	u32 pt_id = cmd->id;
	u32 dev_flags = 0;
	u32 idev_id;
	int rc;

	sobj = iommufd_object_alloc(ictx, sizeof(*sobj), IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	sobj->ictx = ictx;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		dev_flags = cmd->mock_domain_flags.dev_flags;
	sobj->mock_dev = mock_dev_create(dev_flags);
	if (IS_ERR(sobj->mock_dev)) {
		rc = PTR_ERR(sobj->mock_dev);
		goto out_sobj;
	}

	idev = iommufd_device_bind(ictx, &sobj->mock_dev->dev, &idev_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_mdev;
	}
	sobj->idev = idev;

	rc = iommufd_device_attach(idev, &pt_id);
	if (rc)
		goto out_unbind;

	/* The caller destroys stdev_id to destroy all of it. */
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_detach;
	iommufd_object_finalize(ictx, &sobj->obj);
	return 0;

out_detach:
	iommufd_device_detach(idev);
out_unbind:
	iommufd_device_unbind(idev);
out_mdev:
	kfree(sobj->mock_dev);
out_sobj:
	iommufd_object_abort(ictx, &sobj->obj);
	return rc;
}

/* MOCK_DOMAIN_REPLACE: move stdev @stdev_id to @pt_id (IOAS or HWPT). */
static int iommufd_test_mock_domain_replace(struct iommufd_ucmd *ucmd,
					    u32 stdev_id, u32 pt_id,
					    struct iommu_test_cmd *cmd)
{
	struct iommufd_object *obj;
	struct selftest_obj *sobj;
	int rc;

	/*
	 * Hold the stdev, not the device: IOMMU_DESTROY of the stdev (which
	 * detaches) is then EBUSY until we are done.
	 */
	obj = iommufd_get_object(ucmd->ictx, stdev_id, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	sobj = container_of(obj, struct selftest_obj, obj);

	rc = iommufd_device_replace(sobj->idev, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, obj);
	return rc;
}

/* ---------------------------------------------------------- ADD_RESERVED */

/* The owner of every range ADD_RESERVED adds, in whichever IOAS. */
static const char selftest_reserved_owner;

static int iommufd_test_add_reserved(struct iommufd_ucmd *ucmd, u32 ioas_id,
				     u64 start, u64 length)
{
	struct iommufd_ioas *ioas;
	u64 last;
	int rc;

	rc = range_last(start, length, &last);
	if (rc)
		return rc;
	ioas = iommufd_get_ioas(ucmd->ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_reserve_iova(&ioas->iopt, start, last,
			       (void *)&selftest_reserved_owner);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/* ------------------------------------------------- is it the same memory? */

/*
 * Linux compares struct pages. Here a page can be reached at two
 * addresses (the caller's mapping of a memfd and the library's), so two
 * addresses are the same memory when they are equal, or when
 * /proc/self/pagemap gives both a PFN (it does for CAP_SYS_ADMIN) and the
 * PFNs and page offsets match, or else when both lie in shared mappings of
 * one file at one file offset (/proc/self/maps).
 */
struct vma_info {
	u64 start, end; /* [start, end) */
	u64 offset;
	u64 dev, ino;
	bool shared;
	bool valid;
};

struct same_mem {
	int pagemap_fd; /* -1: not opened yet, -2: unreadable */
	u64 host_page;
	struct vma_info vma[2]; /* the last mapping found for each side */
};

static void same_mem_init(struct same_mem *sm)
{
	long ps = sysconf(_SC_PAGESIZE);

	memset(sm, 0, sizeof(*sm));
	sm->pagemap_fd = -1;
	sm->host_page = ps > 0 ? (u64)ps : PAGE_SIZE;
}

static void same_mem_release(struct same_mem *sm)
{
	if (sm->pagemap_fd >= 0)
		sys_close(sm->pagemap_fd);
}

/* The PFN of the host page at @addr, if pagemap reveals it. */
static bool pagemap_pfn(struct same_mem *sm, uintptr_t addr, u64 *pfn)
{
	u64 ent;

	if (sm->pagemap_fd == -1) {
		sm->pagemap_fd = sys_open("/proc/self/pagemap", O_RDONLY, 0);
		if (sm->pagemap_fd < 0)
			sm->pagemap_fd = -2;
	}
	if (sm->pagemap_fd < 0)
		return false;
	if (sys_pread(sm->pagemap_fd, &ent, sizeof(ent),
		      (off_t)(addr / sm->host_page * sizeof(ent))) !=
	    sizeof(ent))
		return false;
	/* Bit 63: present; bits 0-54: the PFN, 0 without CAP_SYS_ADMIN. */
	if (!(ent & (1ULL << 63)))
		return false;
	*pfn = ent & ((1ULL << 55) - 1);
	return *pfn != 0;
}

/* Parse one /proc/self/maps line; true if it covers @addr. */
static bool maps_line(const char *line, uintptr_t addr, struct vma_info *vma)
{
	unsigned long long start, end, offset, ino;
	unsigned int major, minor;
	char perms[8];

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms,
		   &offset, &major, &minor, &ino) != 7)
		return false;
	if (addr < start || addr >= end)
		return false;
	vma->start = start;
	vma->end = end;
	vma->offset = offset;
	vma->dev = ((u64)major << 32) | minor;
	vma->ino = ino;
	vma->shared = perms[3] == 's';
	vma->valid = true;
	return true;
}

/* The mapping that holds @addr, from /proc/self/maps. */
static bool find_vma(uintptr_t addr, struct vma_info *vma)
{
	char buf[4096];
	size_t used = 0;
	bool found = false;
	int fd;

	fd = sys_open("/proc/self/maps", O_RDONLY, 0);
	if (fd < 0)
		return false;
	while (!found) {
		ssize_t n = sys_read(fd, buf + used, sizeof(buf) - 1 - used);
		char *line, *nl;

		if (n <= 0)
			break;
		used += n;
		buf[used] = 0;
		line = buf;
		while (!found && (nl = strchr(line, '\n'))) {
			*nl = 0;
			found = maps_line(line, addr, vma);
			line = nl + 1;
		}
		/* Keep the partial last line for the next read. */
		used -= line - buf;
		memmove(buf, line, used);
		if (used == sizeof(buf) - 1)
			used = 0; /* a line longer than the buffer: skip it */
	}
	sys_close(fd);
	return found;
}

static bool vma_lookup(struct vma_info *cache, uintptr_t addr)
{
	if (cache->valid && addr >= cache->start && addr < cache->end)
		return true;
	cache->valid = false;
	return find_vma(addr, cache);
}

static bool same_memory(struct same_mem *sm, const void *kva, const void *uva)
{
	uintptr_t a = (uintptr_t)kva, b = (uintptr_t)uva;
	u64 pa, pb;

	if (a == b)
		return true;
	if (!a || !b)
		return false;
	if (pagemap_pfn(sm, a, &pa) && pagemap_pfn(sm, b, &pb))
		return pa == pb && a % sm->host_page == b % sm->host_page;
	if (!vma_lookup(&sm->vma[0], a) || !vma_lookup(&sm->vma[1], b))
		return false;
	/* Private mappings may hold copies: only shared ones are the file. */
	return sm->vma[0].shared && sm->vma[1].shared && sm->vma[0].ino &&
	       sm->vma[0].dev == sm->vma[1].dev &&
	       sm->vma[0].ino == sm->vma[1].ino &&
	       a - sm->vma[0].start + sm->vma[0].offset ==
		       b - sm->vma[1].start + sm->vma[1].offset;
}

/* Fault in the caller's page at @uptr, as get_user_pages() would. */
static int touch_user(u64 uptr)
{
	u8 byte;

	return copy_from_user(&byte, (const void *)(uintptr_t)uptr, 1);
}

/* ---------------------------------------------------- MD_CHECK_MAP/REFS */

/* Every IO page of [iova, iova + length) translates to the memory at uptr. */
static int iommufd_test_md_check_pa(struct iommufd_ucmd *ucmd, u32 hwpt_id,
				    u64 iova, u64 length, u64 uptr)
{
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_object *obj;
	struct iommu_domain *domain;
	struct same_mem sm;
	u64 page_size, end;
	int rc = 0;

	obj = iommufd_get_object(ucmd->ictx, hwpt_id, IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	hwpt = container_of(obj, struct iommufd_hwpt_paging, obj);
	domain = hwpt->domain;
	if (domain->ops != &mock_domain_ops) {
		rc = -EINVAL;
		goto out_put;
	}

	page_size = domain->pgsize_bitmap & -domain->pgsize_bitmap;
	if (iova % page_size || length % page_size || uptr % page_size ||
	    check_add_overflow(uptr, length, &end)) {
		rc = -EINVAL;
		goto out_put;
	}

	same_mem_init(&sm);
	for (; length; length -= page_size) {
		void *kva;
		int prot;

		rc = touch_user(uptr);
		if (rc)
			break;
		/* Unmapped, or mapped elsewhere: the check fails. */
		if (domain->ops->iova_to_kva(domain, iova, &kva, &prot) ||
		    !same_memory(&sm, kva, (void *)(uintptr_t)uptr)) {
			rc = -EINVAL;
			break;
		}
		iova += page_size;
		uptr += page_size;
	}
	same_mem_release(&sm);
out_put:
	iommufd_put_object(ucmd->ictx, obj);
	return rc;
}

/*
 * Each page at [uptr, uptr + length) holds @refs pins by the library (the
 * library's own count stands in for Linux's page reference count).
 */
static int iommufd_test_md_check_refs(u64 uptr, u64 length, u32 refs)
{
	u64 end;
	int rc, n;

	if (length % PAGE_SIZE || uptr % PAGE_SIZE ||
	    check_add_overflow(uptr, length, &end))
		return -EINVAL;

	for (; length; length -= PAGE_SIZE, uptr += PAGE_SIZE) {
		rc = touch_user(uptr);
		if (rc)
			return rc;
		n = iopt_test_page_refs((void *)(uintptr_t)uptr);
		if (n < 0)
			return n;
		if ((u32)n != refs)
			return -EIO;
	}
	return 0;
}

/*
 * DEV_CHECK_CACHE: entry @cache_id of the invalidation cache of the device
 * object @idev_id holds @cache. ENOENT if @idev_id names no device, EINVAL
 * for an entry out of range, a value that differs, or a device that is
 * not a mock device (it has no such cache).
 */
static int iommufd_test_dev_check_cache(struct iommufd_ucmd *ucmd, u32 idev_id,
					u32 cache_id, u32 cache)
{
	struct iommufd_device *idev;
	struct device *dev;
	int rc = -EINVAL;

	idev = iommufd_get_device(ucmd->ictx, idev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	dev = idev->dev;
	if (dev->iommu_ops == &mock_iommu_ops &&
	    cache_id < ARRAY_SIZE(to_mock_dev(dev)->cache) &&
	    to_mock_dev(dev)->cache[cache_id] == cache)
		rc = 0;
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/* ----------------------------------------------------- selftest accesses */

struct selftest_access {
	struct iommufd_access *access;
	struct iommufd_ctx *ictx;
	/* The caller's end (number as handed out, and its file) and ours. */
	int fd;
	dev_t st_dev;
	ino_t st_ino;
	int peer;
	struct mutex lock; /* items, next_id */
	struct list_head items;
	unsigned int next_id;
	/* Under staccess_lock: */
	int refs;
	struct list_head node; /* in staccess_list while linked */
	struct selftest_access *dead_next;
};

struct selftest_access_item {
	struct list_head items_elm;
	u64 iova;
	u64 length;
	unsigned int id;
};

static struct mutex staccess_lock = { PTHREAD_MUTEX_INITIALIZER,
				      &staccess_table_class };
static struct list_head staccess_list = LIST_HEAD_INIT(staccess_list);

/* ops->unmap: drop every item that [iova, iova + length) touches. */
static void iommufd_test_access_unmap(void *data, u64 iova, u64 length)
{
	struct selftest_access *staccess = data;
	struct selftest_access_item *item, *tmp;
	u64 last;

	if (!length)
		return;
	if (check_add_overflow(iova, length - 1, &last))
		last = UINT64_MAX;
	mutex_lock(&staccess->lock);
	list_for_each_entry_safe(item, tmp, &staccess->items, items_elm) {
		if (iova > item->iova + item->length - 1 || last < item->iova)
			continue;
		list_del_init(&item->items_elm);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		kfree(item);
	}
	mutex_unlock(&staccess->lock);
}

static const struct iommufd_access_ops selftest_access_ops_pin = {
	.needs_pin_pages = true,
	.unmap = iommufd_test_access_unmap,
};

static const struct iommufd_access_ops selftest_access_ops = {
	.unmap = iommufd_test_access_unmap,
};

static void staccess_free(struct selftest_access *staccess)
{
	if (staccess->access) {
		iommufd_test_access_unmap(staccess, 0, UINT64_MAX);
		iommufd_access_destroy(staccess->access);
	}
	sys_close(staccess->peer);
	mutex_destroy(&staccess->lock);
	kfree(staccess);
}

static void staccess_put(struct selftest_access *staccess)
{
	bool last;

	mutex_lock(&staccess_lock);
	last = !--staccess->refs;
	mutex_unlock(&staccess_lock);
	if (last)
		staccess_free(staccess);
}

/* Is any descriptor of the caller's end still open? */
static bool staccess_fd_open(struct selftest_access *staccess)
{
	return !sys_peer_closed(staccess->peer);
}

/* Unlinked entries: drop the table's references, with no lock held. */
static void staccess_put_dead(struct selftest_access *dead)
{
	while (dead) {
		struct selftest_access *next = dead->dead_next;

		staccess_put(dead);
		dead = next;
	}
}

/*
 * The access whose descriptor is @fd in @ictx, held, or -EBADFD as Linux
 * answers for a descriptor that is no access. Entries found closed on the
 * way are reaped.
 */
static struct selftest_access *staccess_get(struct iommufd_ctx *ictx, u32 fd)
{
	struct selftest_access *staccess, *tmp, *found = NULL, *dead = NULL;
	struct stat st;

	if (fd > INT_MAX || sys_fstat((int)fd, &st))
		return ERR_PTR(-EBADFD);
	mutex_lock(&staccess_lock);
	list_for_each_entry_safe(staccess, tmp, &staccess_list, node) {
		if (staccess->ictx != ictx || staccess->st_dev != st.st_dev ||
		    staccess->st_ino != st.st_ino)
			continue;
		if (staccess_fd_open(staccess)) {
			staccess->refs++;
			found = staccess;
			break;
		}
		list_del_init(&staccess->node);
		staccess->dead_next = dead;
		dead = staccess;
	}
	mutex_unlock(&staccess_lock);
	staccess_put_dead(dead);
	return found ? found : ERR_PTR(-EBADFD);
}

/* Unlink every access of @ictx (@all) or only those whose fd is gone. */
static void staccess_reap(struct iommufd_ctx *ictx, bool all)
{
	struct selftest_access *staccess, *tmp, *dead = NULL;

	mutex_lock(&staccess_lock);
	list_for_each_entry_safe(staccess, tmp, &staccess_list, node) {
		if (staccess->ictx != ictx ||
		    (!all && staccess_fd_open(staccess)))
			continue;
		list_del_init(&staccess->node);
		staccess->dead_next = dead;
		dead = staccess;
	}
	mutex_unlock(&staccess_lock);
	staccess_put_dead(dead);
}

void iommufd_test_reap_closed_accesses(struct iommufd_ctx *ictx)
{
	staccess_reap(ictx, false);
}

void iommufd_test_destroy_accesses(struct iommufd_ctx *ictx)
{
	staccess_reap(ictx, true);
}

/* CREATE_ACCESS: an access on IOAS @ioas_id, named by a new descriptor. */
static int iommufd_test_create_access(struct iommufd_ucmd *ucmd, u32 ioas_id,
				      u32 flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct selftest_access *staccess;
	struct iommufd_access *access;
	struct stat st;
	int sv[2];
	u32 id;
	int rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;

	staccess = kzalloc(sizeof(*staccess));
	if (!staccess)
		return -ENOMEM;
	INIT_LIST_HEAD(&staccess->items);
	INIT_LIST_HEAD(&staccess->node);
	mutex_init(&staccess->lock, &selftest_access_class);
	staccess->ictx = ictx;
	staccess->refs = 1; /* the table's, once linked */

	/* Close-on-exec, as Linux's O_CLOEXEC descriptor. */
	rc = sys_socketpair_hangup(sv);
	if (rc)
		goto out_free;
	staccess->fd = sv[0];
	staccess->peer = sv[1];
	rc = sys_fstat(staccess->fd, &st);
	if (rc)
		goto out_close;
	staccess->st_dev = st.st_dev;
	staccess->st_ino = st.st_ino;

	access = iommufd_access_create(
		ictx,
		(flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) ?
			&selftest_access_ops_pin :
			&selftest_access_ops,
		staccess, &id);
	if (IS_ERR(access)) {
		rc = PTR_ERR(access);
		goto out_close;
	}
	staccess->access = access;
	rc = iommufd_access_attach(access, ioas_id);
	if (rc)
		goto out_destroy;
	cmd->create_access.out_access_fd = staccess->fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_destroy;

	/* An older entry with this number named a file since closed. */
	iommufd_test_reap_closed_accesses(ictx);
	mutex_lock(&staccess_lock);
	list_add_tail(&staccess->node, &staccess_list);
	mutex_unlock(&staccess_lock);
	return 0;

out_destroy:
	iommufd_access_destroy(access);
out_close:
	sys_close(staccess->fd);
	sys_close(staccess->peer);
out_free:
	mutex_destroy(&staccess->lock);
	kfree(staccess);
	return rc;
}

/* Syzkaller mode: *iova is {u32 nth_area, u32 offset}; 0 if no such area. */
static u64 iommufd_test_syz_conv_iova(struct io_pagetable *iopt,
				      const void *iova)
{
	struct {
		u32 nth_area;
		u32 offset;
	} syz;
	struct interval_tree_node *n;
	u64 ret = 0;

	memcpy(&syz, iova, sizeof(syz));
	down_read(&iopt->iova_rwsem);
	for (n = interval_tree_first(&iopt->area_itree); n;
	     n = interval_tree_next(n)) {
		if (!syz.nth_area--) {
			ret = n->start + syz.offset;
			break;
		}
	}
	up_read(&iopt->iova_rwsem);
	return ret;
}

static u64 iommufd_test_syz_conv_access_iova(struct iommufd_access *access,
					     const void *iova)
{
	u64 ret = 0;

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		ret = iommufd_test_syz_conv_iova(&access->ioas->iopt, iova);
	mutex_unlock(&access->ioas_lock);
	return ret;
}

void iommufd_test_syz_conv_iova_id(struct iommufd_ucmd *ucmd, u32 ioas_id,
				   u64 *iova, u32 *flags)
{
	struct iommufd_ioas *ioas;

	if (!(*flags & MOCK_FLAGS_ACCESS_SYZ))
		return;
	*flags &= ~(u32)MOCK_FLAGS_ACCESS_SYZ;
	ioas = iommufd_get_ioas(ucmd->ictx, ioas_id);
	if (IS_ERR(ioas))
		return;
	*iova = iommufd_test_syz_conv_iova(&ioas->iopt, iova);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
}

static int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd,
					    u32 access_fd, u32 ioas_id)
{
	struct selftest_access *staccess;
	int rc;

	staccess = staccess_get(ucmd->ictx, access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	rc = iommufd_access_replace(staccess->access, ioas_id);
	staccess_put(staccess);
	return rc;
}

/* The pinned pages are the caller's pages at @uptr, page by page. */
static int iommufd_test_check_pages(u64 uptr, void **kvas, u64 npages)
{
	struct same_mem sm;
	int rc = 0;
	u64 i;

	same_mem_init(&sm);
	for (i = 0; i != npages; i++, uptr += PAGE_SIZE) {
		u64 page = ALIGN_DOWN(uptr, PAGE_SIZE);

		rc = touch_user(uptr);
		if (rc)
			break;
		if (!same_memory(&sm, kvas[i], (void *)(uintptr_t)page)) {
			rc = -EBADE;
			break;
		}
	}
	same_mem_release(&sm);
	return rc;
}

/* ACCESS_PAGES: pin [iova, iova + length) through access @access_fd. */
static int iommufd_test_access_pages(struct iommufd_ucmd *ucmd, u32 access_fd,
				     u64 iova, u64 length, u64 uptr, u32 flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	u64 npages = 1, last;
	void **kvas;
	int rc;

	/* Linux's limit, there against huge allocations from syzkaller. */
	if (length > MOCK_ACCESS_MAX_LENGTH)
		return -ENOMEM;
	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;

	staccess = staccess_get(ucmd->ictx, access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	if (!staccess->access->ops->needs_pin_pages) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = iommufd_test_syz_conv_access_iova(
			staccess->access, &cmd->access_pages.iova);

	/* An empty or wrapping range fails in pin_pages below. */
	if (!range_last(iova, length, &last))
		npages = last / PAGE_SIZE - iova / PAGE_SIZE + 1;
	kvas = kcalloc(npages, sizeof(*kvas));
	if (!kvas) {
		rc = -ENOMEM;
		goto out_put;
	}

	/*
	 * As Linux's test driver: one lock around pin and item, so an unmap
	 * callback (which takes it too) cannot miss an item being added.
	 */
	mutex_lock(&staccess->lock);
	rc = iommufd_access_pin_pages(staccess->access, iova, length, kvas,
				      (flags & MOCK_FLAGS_ACCESS_WRITE) ?
					      IOMMUFD_ACCESS_RW_WRITE :
					      0);
	if (rc)
		goto out_unlock;

	/* uptr 0 (syzkaller) skips the check. */
	if (uptr) {
		rc = iommufd_test_check_pages(
			uptr - (iova - ALIGN_DOWN(iova, PAGE_SIZE)), kvas,
			npages);
		if (rc)
			goto out_unpin;
	}

	item = kzalloc(sizeof(*item));
	if (!item) {
		rc = -ENOMEM;
		goto out_unpin;
	}
	item->iova = iova;
	item->length = length;
	item->id = staccess->next_id++;
	list_add_tail(&item->items_elm, &staccess->items);

	cmd->access_pages.out_access_pages_id = item->id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc)
		goto out_unlock;
	list_del_init(&item->items_elm);
	kfree(item);
out_unpin:
	iommufd_access_unpin_pages(staccess->access, iova, length);
out_unlock:
	mutex_unlock(&staccess->lock);
	kfree(kvas);
out_put:
	staccess_put(staccess);
	return rc;
}

/* DESTROY_ACCESS_PAGES: unpin item @item_id of access @access_fd. */
static int iommufd_test_access_item_destroy(struct iommufd_ucmd *ucmd,
					    u32 access_fd, u32 item_id)
{
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	int rc = -ENOENT;

	staccess = staccess_get(ucmd->ictx, access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);

	mutex_lock(&staccess->lock);
	list_for_each_entry(item, &staccess->items, items_elm) {
		if (item->id != item_id)
			continue;
		list_del_init(&item->items_elm);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		kfree(item);
		rc = 0;
		break;
	}
	mutex_unlock(&staccess->lock);
	staccess_put(staccess);
	return rc;
}

/* ACCESS_RW: copy between [iova, iova + length) and the caller's uptr. */
static int iommufd_test_access_rw(struct iommufd_ucmd *ucmd, u32 access_fd,
				  u64 iova, u64 length, u64 uptr, u32 flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	void *ubuf = (void *)(uintptr_t)uptr;
	struct selftest_access *staccess;
	void *tmp;
	int rc;

	if (length > MOCK_ACCESS_MAX_LENGTH)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH |
		      MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;

	staccess = staccess_get(ucmd->ictx, access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);

	tmp = kzalloc(length ? length : 1);
	if (!tmp) {
		rc = -ENOMEM;
		goto out_put;
	}
	if (flags & MOCK_ACCESS_RW_WRITE) {
		rc = copy_from_user(tmp, ubuf, length);
		if (rc)
			goto out_free;
	}
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = iommufd_test_syz_conv_access_iova(staccess->access,
							 &cmd->access_rw.iova);

	/* The slow path flag has no meaning here: there is one path. */
	rc = iommufd_access_rw(staccess->access, iova, tmp, length,
			       flags & (MOCK_ACCESS_RW_WRITE |
					MOCK_ACCESS_RW_SLOW_PATH));
	if (!rc && !(flags & MOCK_ACCESS_RW_WRITE))
		rc = copy_to_user(ubuf, tmp, length);
out_free:
	kfree(tmp);
out_put:
	staccess_put(staccess);
	return rc;
}

_Static_assert((unsigned int)MOCK_ACCESS_RW_WRITE == IOMMUFD_ACCESS_RW_WRITE,
	       "ACCESS_RW write flag");
_Static_assert((unsigned int)MOCK_ACCESS_RW_SLOW_PATH ==
		       __IOMMUFD_ACCESS_RW_SLOW_PATH,
	       "ACCESS_RW slow path flag");

/* ----------------------------------------------------------- dispatcher */

int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return iommufd_test_add_reserved(ucmd, cmd->id,
						 cmd->add_reserved.start,
						 cmd->add_reserved.length);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return iommufd_test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return iommufd_test_mock_domain_replace(
			ucmd, cmd->id, cmd->mock_domain_replace.pt_id, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return iommufd_test_md_check_pa(ucmd, cmd->id,
						cmd->check_map.iova,
						cmd->check_map.length,
						cmd->check_map.uptr);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return iommufd_test_md_check_refs(cmd->check_refs.uptr,
						  cmd->check_refs.length,
						  cmd->check_refs.refs);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd, cmd->id,
						  cmd->create_access.flags);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(
			ucmd, cmd->id, cmd->access_replace_ioas.ioas_id);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd, cmd->id,
						 cmd->access_pages.iova,
						 cmd->access_pages.length,
						 cmd->access_pages.uptr,
						 cmd->access_pages.flags);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(ucmd, cmd->id,
					      cmd->access_rw.iova,
					      cmd->access_rw.length,
					      cmd->access_rw.uptr,
					      cmd->access_rw.flags);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_access_item_destroy(
			ucmd, cmd->id,
			cmd->destroy_access_pages.access_pages_id);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return iommufd_test_dev_check_cache(ucmd, cmd->id,
						    cmd->check_dev_cache.id,
						    cmd->check_dev_cache.cache);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* As Linux: at least one batch element (a pfn and a count). */
		if (cmd->memory_limit.limit <
		    sizeof(unsigned long) + sizeof(u32))
			return -EINVAL;
		WRITE_ONCE(ucmd->ictx->temp_memory_limit,
			   (u64)cmd->memory_limit.limit);
		return 0;
	default:
		/* Dirty tracking, nesting, faults, vIOMMU, PASID: not yet. */
		return -EOPNOTSUPP;
	}
}
