// SPDX-License-Identifier: MIT
/*
 * gmem backends: where a store's pages live.
 *
 * Every store has two backings (see store.c for why):
 *   shared   a memfd (hugetlbfs memfd for the huge-page backends), mapped
 *            once as the host view and guarded by userfaultfd in SIGBUS
 *            mode, so that a page missing from it faults on touch;
 *   private  the backend proper: a KVM guest_memfd, a memfd, a
 *            memfd_secret or a hugetlbfs memfd, or an fd the caller hands
 *            over. It is never mapped for long: only the trusted path
 *            (get_pfn to put_pfn) and content-keeping conversions map a
 *            page of it, and unmap it when done.
 *
 * What a private backing can do differs (guest_memfd and memfd punch holes,
 * memfd_secret cannot and is zeroed through a short mapping instead;
 * guest_memfd can be mapped only with GUEST_MEMFD_FLAG_MMAP|INIT_SHARED), so
 * it is probed at creation into struct gmem_backing_caps, never assumed
 * from the kernel version. A backend the host lacks gives -EOPNOTSUPP with
 * the reason logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <linux/memfd.h>
#include <linux/userfaultfd.h>
#include <privmem/uapi/kvm.h>
#include "common/log.h"
#include "common/sys.h"
#include "gmem_private.h"

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#define MFD_HUGE_1GB (30U << 26)
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00) /* Linux 6.1 */
#endif

static int create_memfd(const char *name, enum pm_gmem_backend b,
			const char *side)
{
	char buf[64];
	unsigned int flags = 0;

	if (b == PM_GMEM_HUGETLB_2M)
		flags = MFD_HUGETLB | MFD_HUGE_2MB;
	else if (b == PM_GMEM_HUGETLB_1G)
		flags = MFD_HUGETLB | MFD_HUGE_1GB;
	snprintf(buf, sizeof(buf), "%s-%s", name ? name : "privmem", side);
	return sys_memfd_create(buf, flags);
}

static int unsupported(const char *why)
{
	pr_warn("gmem: backend unavailable: %s", why);
	return -EOPNOTSUPP;
}

static int open_guest_memfd(struct pm_gmem *g, const struct pm_gmem_config *cfg)
{
	struct kvm_create_guest_memfd gm = { .size = g->capacity };
	int kvm, vm, rc, fd;
	int flags;

	vm = cfg->vm_fd;
	if (vm < 0) {
		kvm = sys_open("/dev/kvm", O_RDWR, 0);
		if (kvm == -ENOENT || kvm == -EACCES || kvm == -EPERM)
			return unsupported("/dev/kvm not available");
		if (kvm < 0)
			return kvm;
		vm = sys_ioctl_val(kvm, KVM_CREATE_VM, 0);
		sys_close(kvm);
		if (vm < 0)
			return vm;
		g->own_vm = true;
	}
	g->vm_fd = vm;
	rc = sys_ioctl_val(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return unsupported("KVM lacks KVM_CAP_GUEST_MEMFD");
	flags = sys_ioctl_val(vm, KVM_CHECK_EXTENSION,
			      KVM_CAP_GUEST_MEMFD_FLAGS);
	if (flags < 0 && flags != -EINVAL)
		return flags;
	/*
	 * Host-mappable guest_memfd (6.18): MMAP lets the store map a page for
	 * the trusted path and content-keeping conversion; INIT_SHARED makes
	 * such faults legal on a host without in-place conversion. Without
	 * both the store still works, but cannot keep content or hand out
	 * pointers to private pages.
	 */
	if (flags > 0 && (flags & GUEST_MEMFD_FLAG_MMAP) &&
	    (flags & GUEST_MEMFD_FLAG_INIT_SHARED)) {
		gm.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
		g->caps.can_map = true;
	}
	fd = sys_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gm);
	if (fd < 0)
		return fd;
	g->priv_fd = fd;
	g->caps.is_kvm = true;
	g->caps.can_punch = true;
	g->caps.can_alloc = true;
	return 0;
}

static int open_memfd(struct pm_gmem *g, enum pm_gmem_backend b)
{
	int fd = create_memfd(NULL, b, "private");
	int rc;

	if (fd == -EINVAL && b != PM_GMEM_MEMFD)
		return unsupported("hugetlbfs page size not supported");
	if (fd < 0)
		return fd;
	g->priv_fd = fd;
	rc = sys_ftruncate(fd, g->capacity);
	if (rc)
		return rc;
	g->caps.can_punch = true;
	g->caps.can_alloc = true;
	g->caps.can_map = true;
	return 0;
}

static int open_secret(struct pm_gmem *g)
{
	int fd = sys_memfd_secret(0);
	int rc;

	if (fd == -ENOSYS || fd == -EINVAL || fd == -EPERM)
		return unsupported("memfd_secret(2) unavailable "
				   "(secretmem.enable=0 or no kernel support)");
	if (fd < 0)
		return fd;
	g->priv_fd = fd;
	rc = sys_ftruncate(fd, g->capacity);
	if (rc)
		return rc;
	/* secretmem has no fallocate: discard zeroes through a mapping. */
	g->caps.can_map = true;
	return 0;
}

/*
 * Adopting an fd: recognise what it is from its /proc/self/fd link, as the
 * kernel names it ("anon_inode:[kvm-gmem]", "/memfd:NAME (deleted)").
 */
static int open_adopted(struct pm_gmem *g, const struct pm_gmem_config *cfg,
			enum pm_gmem_backend *shared_kind)
{
	char path[64], link[256];
	struct stat st;
	void *probe;
	int fd, rc;
	ssize_t n;

	if (cfg->fd < 0)
		return -EINVAL;
	fd = sys_dup_cloexec(cfg->fd);
	if (fd < 0)
		return fd;
	g->priv_fd = fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = sys_readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return (int)n;
	link[n] = '\0';
	rc = sys_fstat(fd, &st);
	if (rc)
		return rc;
	if ((u64)st.st_size < g->capacity)
		return -EINVAL;
	*shared_kind = PM_GMEM_MEMFD;
	if (strstr(link, "kvm-gmem")) {
		g->caps.is_kvm = true;
		g->caps.can_punch = true;
		g->caps.can_alloc = true;
		/* Mappable only if created with MMAP|INIT_SHARED: ask. */
		probe = sys_mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (!IS_ERR(probe)) {
			sys_munmap(probe, 4096);
			g->caps.can_map = true;
		} else if (PTR_ERR(probe) != -ENODEV &&
			   PTR_ERR(probe) != -EINVAL) {
			return (int)PTR_ERR(probe);
		}
		return 0;
	}
	if (!strncmp(link, "/memfd:", 7)) {
		if (st.st_blksize == (blksize_t)SZ_2M)
			*shared_kind = PM_GMEM_HUGETLB_2M;
		else if (st.st_blksize == (blksize_t)SZ_1G)
			*shared_kind = PM_GMEM_HUGETLB_1G;
		g->granule = st.st_blksize > 4096 ? (u64)st.st_blksize : SZ_4K;
		if (!IS_ALIGNED(g->capacity, g->granule))
			return -EINVAL;
		g->caps.can_punch = true;
		g->caps.can_alloc = true;
		g->caps.can_map = true;
		return 0;
	}
	pr_err("gmem: cannot adopt fd %d (%s): not a guest_memfd or memfd",
	       cfg->fd, link);
	return -EINVAL;
}

/*
 * A userfaultfd that also catches the kernel's own accesses (no
 * UFFD_USER_MODE_ONLY). userfaultfd(2) gives one only to a caller with
 * CAP_SYS_PTRACE, or with vm.unprivileged_userfaultfd=1; /dev/userfaultfd
 * (Linux 6.1) gives one to whoever may open the device, so an administrator
 * can grant it to a user or group by the file's mode. -EPERM when neither.
 */
static int open_uffd(void)
{
	int dev, fd;

	fd = sys_userfaultfd(O_NONBLOCK);
	if (fd != -EPERM)
		return fd;
	dev = sys_open("/dev/userfaultfd", O_RDWR, 0);
	if (dev == -EACCES || dev == -EPERM || dev == -ENOENT)
		return -EPERM;
	if (dev < 0)
		return dev;
	fd = sys_ioctl_val(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	sys_close(dev);
	return fd;
}

/*
 * The host view. userfaultfd in SIGBUS mode (UFFD_FEATURE_SIGBUS) makes every
 * touch of a page absent from the shared memfd raise SIGBUS, and makes the
 * kernel's own accesses through it (process_vm_readv, GUP) fail with
 * EFAULT, without a handler thread. It is registered without
 * UFFD_USER_MODE_ONLY on purpose: a kernel-mode access must not silently
 * allocate a page for a private offset.
 */
static int open_view(struct pm_gmem *g)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS };
	struct uffdio_register reg = { 0 };
	void *view;
	int rc;

	/*
	 * MAP_NORESERVE: hugetlbfs would reserve every page at mmap time;
	 * shared pages are allocated by fallocate instead, which reports
	 * ENOSPC where a touch would be SIGBUS.
	 */
	view = sys_mmap(NULL, g->capacity, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_NORESERVE, g->shared_fd, 0);
	if (IS_ERR(view))
		return (int)PTR_ERR(view);
	g->view = view;
	/*
	 * A forked child would inherit the mapping but not the userfaultfd
	 * registration, and a touch there would allocate a page at a private
	 * offset of the parent's shared memfd. Children get no view.
	 */
	rc = sys_madvise(view, g->capacity, MADV_DONTFORK);
	if (rc)
		return rc;

	rc = open_uffd();
	if (rc == -EPERM || rc == -ENOSYS)
		return unsupported("userfaultfd unavailable: the host view "
				   "could not make private pages fault (it "
				   "needs CAP_SYS_PTRACE, "
				   "vm.unprivileged_userfaultfd=1 or access "
				   "to /dev/userfaultfd)");
	if (rc < 0)
		return rc;
	g->uffd = rc;
	rc = sys_ioctl(g->uffd, UFFDIO_API, &api);
	if (rc)
		return rc;
	reg.range.start = (unsigned long)view;
	reg.range.len = g->capacity;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	rc = sys_ioctl(g->uffd, UFFDIO_REGISTER, &reg);
	if (rc == -EINVAL)
		return unsupported("userfaultfd cannot guard this backing");
	return rc;
}

int gmem_backend_open(struct pm_gmem *g, const struct pm_gmem_config *cfg)
{
	enum pm_gmem_backend shared_kind = cfg->backend;
	int rc, fd;

	switch (cfg->backend) {
	case PM_GMEM_GUEST_MEMFD:
		shared_kind = PM_GMEM_MEMFD;
		rc = open_guest_memfd(g, cfg);
		break;
	case PM_GMEM_MEMFD:
	case PM_GMEM_HUGETLB_2M:
	case PM_GMEM_HUGETLB_1G:
		rc = open_memfd(g, cfg->backend);
		break;
	case PM_GMEM_SECRET:
		shared_kind = PM_GMEM_MEMFD;
		rc = open_secret(g);
		break;
	case PM_GMEM_ADOPT:
		rc = open_adopted(g, cfg, &shared_kind);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc)
		return rc;

	fd = create_memfd(cfg->name, shared_kind, "shared");
	if (fd < 0)
		return fd;
	g->shared_fd = fd;
	rc = sys_ftruncate(fd, g->capacity);
	if (rc)
		return rc;
	rc = open_view(g);
	if (rc)
		return rc;

	fd = sys_open("/proc/self/pagemap", O_RDONLY, 0);
	if (fd == -EACCES || fd == -EPERM || fd == -ENOENT)
		fd = -1; /* PFNs reported as unknown */
	else if (fd < 0)
		return fd;
	g->pagemap_fd = fd;
	return 0;
}

void gmem_backend_close(struct pm_gmem *g)
{
	sys_munmap(g->view, g->capacity);
	sys_close(g->uffd);
	sys_close(g->pagemap_fd);
	sys_close(g->shared_fd);
	sys_close(g->priv_fd);
	if (g->own_vm)
		sys_close(g->vm_fd);
}

int gmem_map_private(struct pm_gmem *g, u64 offset, u64 length, void **out)
{
	void *p;
	int rc;

	if (!g->caps.can_map)
		return -EOPNOTSUPP;
	p = sys_mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED,
		     g->priv_fd, (off_t)offset);
	/*
	 * memfd_secret mappings are locked memory: past RLIMIT_MEMLOCK
	 * (without CAP_IPC_LOCK) mmap says EAGAIN. The store's -EAGAIN means
	 * "a page is held, retry", which retrying would not cure here: report
	 * the limit as -ENOMEM, as mlock(2) does.
	 */
	if (PTR_ERR(p) == -EAGAIN)
		return -ENOMEM;
	if (IS_ERR(p))
		return (int)PTR_ERR(p);
	/* A mapping of private memory is never inherited by a child. */
	rc = sys_madvise(p, length, MADV_DONTFORK);
	if (rc) {
		sys_munmap(p, length);
		return rc;
	}
	*out = p;
	return 0;
}

void gmem_unmap_private(void *p, u64 length)
{
	sys_munmap(p, length);
}

int gmem_alloc_private(struct pm_gmem *g, u64 offset, u64 length)
{
	if (!g->caps.can_alloc)
		return 0;
	return sys_fallocate(g->priv_fd, FALLOC_FL_KEEP_SIZE, (off_t)offset,
			     (off_t)length);
}

/*
 * Discarding is split in two so that a conversion can do everything that
 * may fail before anything it cannot undo: prepare maps what must be zeroed
 * by hand (memfd_secret), discard then cannot fail.
 */
int gmem_prepare_discard_private(struct pm_gmem *g, u64 offset, u64 length,
				 void **map)
{
	*map = NULL;
	if (g->caps.can_punch)
		return 0;
	return gmem_map_private(g, offset, length, map);
}

void gmem_discard_private(struct pm_gmem *g, u64 offset, u64 length,
			  void *map)
{
	if (g->caps.can_punch) {
		sys_punch_hole(g->priv_fd, offset, length);
		return;
	}
	memset(map, 0, length);
	gmem_unmap_private(map, length);
}

void gmem_discard_shared(struct pm_gmem *g, u64 offset, u64 length)
{
	sys_punch_hole(g->shared_fd, offset, length);
}

int gmem_alloc_shared(struct pm_gmem *g, u64 offset, u64 length)
{
	return sys_fallocate(g->shared_fd, FALLOC_FL_KEEP_SIZE, (off_t)offset,
			     (off_t)length);
}
