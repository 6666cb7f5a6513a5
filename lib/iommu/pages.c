// SPDX-License-Identifier: MIT
/*
 * The pages behind IOAS areas: where each page comes from, how it is
 * pinned, and who pays for it.
 *
 * Data model
 * ----------
 * struct iopt_pages is a logical 0-based array of npages pages from one
 * source:
 *   USER  the caller's memory at a page-aligned address (IOMMU_IOAS_MAP);
 *   FILE  a memfd, hugetlbfs memfd, memfd_secret or host-mappable
 *         guest_memfd, by (fd, offset) (IOMMU_IOAS_MAP_FILE); GUP refuses
 *         memfd_secret, so it is faulted in and copied by plain loads and
 *         stores (secret_fault_in(), iopt_pages_copy());
 *   GMEM  a privmem gmem store, by (store, offset): MAP_FILE on a store's
 *         fd, or pm_ioas_map_gmem().
 * Several areas, in one IOAS or several (IOMMU_IOAS_COPY), share one
 * iopt_pages; offsets into it are bytes from index 0.
 *
 * Pinning
 * -------
 * Userspace cannot take the kernel's long-term GUP pin. A pin here is:
 * fault the pages in (MADV_POPULATE_READ/WRITE, which reports a bad
 * address as an error, as GUP does), mlock() them, and use the address.
 * FILE pages are mapped into this process once (file_kva) and pinned the
 * same way; USER pages are used at the caller's address, so if the caller
 * munmaps them, later DMA faults and is recorded (Linux would keep
 * reaching the old page). mlock is not reference counted by the kernel:
 * unpinning munlocks the range even if the caller had locked it too.
 *
 * A page is pinned while any user covers its index in users_itree: an area
 * filled into the IOAS's domains (owner = the area), or an access pin.
 * Pinning fills exactly the holes of users_itree, unpinning empties the
 * holes left after a user goes, so a page is pinned once however many
 * users share it; COPY adds users, never pins or charges.
 *
 * GMEM pages are not pinned for domains: the store's notifiers remove their
 * translations before a page converts, is punched or goes (see
 * io_pagetable.c); access pins hold the pages in the store (get_pfn), so a
 * conversion waits for the access's unmap callback to let go. Store memory
 * belongs to the store and is never charged here.
 *
 * Accounting
 * ----------
 * As Linux: a pages object made by a caller with CAP_IPC_LOCK is not
 * charged; otherwise pinned pages are charged against RLIMIT_MEMLOCK after
 * the pin (ENOMEM past the limit, and the pin is undone). The count is per
 * process for both IOMMU_OPTION_RLIMIT_MODE values (Linux's user mode
 * counts per user; ours cannot see other processes).
 *
 * Locking: pages->mutex protects users_itree, npinned, file_kva. Lock
 * order: IOAS locks -> pages->mutex -> gmem state lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include "common/log.h"
#include "common/uaccess.h"
#include "common/lock_ranks.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "gmem/gmem_private.h"
#include "iommufd_private.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static DEFINE_LOCK_CLASS(iopt_pages_class, LOCK_RANK_IOPT_PAGES);
static DEFINE_LOCK_CLASS(pages_registry_class, LOCK_RANK_PAGES_REGISTRY);

/* Every live USER and FILE pages object, for the selftest's MD_CHECK_REFS. */
struct pages_registry_entry {
	struct iopt_pages *pages;
	struct pages_registry_entry *next;
};
static struct mutex registry_lock = { PTHREAD_MUTEX_INITIALIZER,
				      &pages_registry_class };
static struct pages_registry_entry *registry;

static void registry_add(struct pages_registry_entry *e,
			 struct iopt_pages *pages)
{
	e->pages = pages;
	mutex_lock(&registry_lock);
	e->next = registry;
	registry = e;
	mutex_unlock(&registry_lock);
}

static void registry_del(struct iopt_pages *pages)
{
	struct pages_registry_entry **pe, *e;

	mutex_lock(&registry_lock);
	for (pe = &registry; *pe; pe = &(*pe)->next) {
		if ((*pe)->pages == pages) {
			e = *pe;
			*pe = e->next;
			kfree(e);
			break;
		}
	}
	mutex_unlock(&registry_lock);
}

/* Pages charged against RLIMIT_MEMLOCK by this process. */
static u64 locked_pages;

static int account_pages(struct iopt_pages *pages, u64 n)
{
	struct rlimit rl;
	u64 limit, cur;
	int rc;

	if (pages->account_mode == IOPT_PAGES_ACCOUNT_NONE || !n)
		return 0;
	rc = sys_getrlimit(RLIMIT_MEMLOCK, &rl);
	if (rc)
		return rc;
	limit = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
					       rl.rlim_cur / PAGE_SIZE;
	cur = __atomic_load_n(&locked_pages, __ATOMIC_RELAXED);
	do {
		if (cur + n > limit || cur + n < cur)
			return -ENOMEM;
	} while (!__atomic_compare_exchange_n(&locked_pages, &cur, cur + n,
					      false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	pages->last_npinned += n;
	return 0;
}

static void unaccount_pages(struct iopt_pages *pages, u64 n)
{
	if (pages->account_mode == IOPT_PAGES_ACCOUNT_NONE || !n)
		return;
	if (WARN_ON(n > pages->last_npinned))
		n = pages->last_npinned;
	pages->last_npinned -= n;
	__atomic_fetch_sub(&locked_pages, n, __ATOMIC_RELAXED);
}

static struct iopt_pages *pages_alloc(enum iopt_address_type type,
				      u64 npages, bool writable)
{
	struct iopt_pages *pages = kzalloc(sizeof(*pages));

	if (!pages)
		return NULL;
	pages->refs = 1;
	mutex_init(&pages->mutex, &iopt_pages_class);
	pages->type = type;
	pages->npages = npages;
	pages->writable = writable;
	pages->fd = -1;
	pages->account_mode = sys_capable(CAP_IPC_LOCK) ?
				      IOPT_PAGES_ACCOUNT_NONE :
				      IOPT_PAGES_ACCOUNT_USER;
	INIT_LIST_HEAD(&pages->areas);
	return pages;
}

/* The page-aligned cover of [addr, addr + length): first page and count. */
static int page_cover(u64 addr, u64 length, u64 *first, u64 *npages)
{
	u64 last;
	int rc = range_last(addr, length, &last);

	if (rc)
		return rc == -EOVERFLOW ? -EOVERFLOW : -EINVAL;
	if (length > SIZE_MAX - PAGE_SIZE)
		return -EINVAL;
	*first = ALIGN_DOWN(addr, PAGE_SIZE);
	*npages = (last / PAGE_SIZE) - (*first / PAGE_SIZE) + 1;
	return 0;
}

int iopt_alloc_user_pages(void *uptr, u64 length, bool writable,
			  struct iopt_pages **out)
{
	struct pages_registry_entry *e;
	struct iopt_pages *pages;
	u64 first, npages;
	int rc;

	rc = page_cover((uintptr_t)uptr, length, &first, &npages);
	if (rc)
		return rc;
	e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	pages = pages_alloc(IOPT_ADDRESS_USER, npages, writable);
	if (!pages) {
		kfree(e);
		return -ENOMEM;
	}
	pages->uptr = (u8 *)(uintptr_t)first;
	registry_add(e, pages);
	*out = pages;
	return 0;
}

/*
 * Which files can back DMA by (fd, offset): those this process can map and
 * pin: shmem (memfd), hugetlbfs, memfd_secret and a guest_memfd the host
 * can map (GUEST_MEMFD_FLAG_MMAP | INIT_SHARED). A guest_memfd or shared
 * memfd that belongs to a gmem store is mapped through the store instead.
 */
static int check_dma_file(int fd, bool writable, u64 end, u64 *blksize,
			  bool *secret)
{
	char path[64], link[256];
	struct statfs sfs;
	struct stat st;
	long fl, seals;
	ssize_t n;
	int rc;

	rc = sys_fstat(fd, &st);
	if (rc)
		return rc;
	rc = sys_fstatfs(fd, &sfs);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = sys_readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return (int)n;
	link[n] = '\0';
	if (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC &&
	    !strstr(link, "secretmem") && !strstr(link, "kvm-gmem")) {
		pr_err("iommufd: fd %d (%s) cannot back DMA: not a memfd, "
		       "hugetlbfs, memfd_secret or guest_memfd",
		       fd, link);
		return -EINVAL;
	}
	fl = sys_fcntl(fd, F_GETFL, 0);
	if (fl < 0)
		return (int)fl;
	if (writable && (fl & O_ACCMODE) != O_RDWR)
		return -EPERM;
	if ((fl & O_ACCMODE) == O_WRONLY)
		return -EPERM;
	/* EINVAL: a file that takes no seals (guest_memfd, memfd_secret). */
	seals = sys_fcntl(fd, F_GET_SEALS, 0);
	if (seals == -EINVAL)
		seals = 0;
	if (seals < 0)
		return (int)seals;
	if (writable &&
	    (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EPERM;
	if ((u64)st.st_size < end)
		return -EINVAL;
	*blksize = st.st_blksize > (blksize_t)PAGE_SIZE ? (u64)st.st_blksize :
							  PAGE_SIZE;
	*secret = strstr(link, "secretmem") != NULL;
	return 0;
}

int iopt_alloc_file_pages(int fd, u64 start, u64 length, bool writable,
			  struct iopt_pages **out)
{
	struct pages_registry_entry *e;
	struct iopt_pages *pages;
	u64 first, npages, blksize;
	bool secret;
	int rc, dfd;

	if (fd < 0)
		return -EBADF;
	rc = page_cover(start, length, &first, &npages);
	if (rc)
		return rc;
	rc = check_dma_file(fd, writable, start + length, &blksize, &secret);
	if (rc)
		return rc;
	if (secret) {
		rc = copy_nofault_init();
		if (rc)
			return rc;
	}
	e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	dfd = sys_dup_cloexec(fd);
	if (dfd < 0) {
		kfree(e);
		return dfd;
	}
	pages = pages_alloc(IOPT_ADDRESS_FILE, npages, writable);
	if (!pages) {
		kfree(e);
		sys_close(dfd);
		return -ENOMEM;
	}
	rc = sys_fstat(dfd, &pages->file_stat);
	if (rc) {
		kfree(e);
		sys_close(dfd);
		mutex_destroy(&pages->mutex);
		kfree(pages);
		return rc;
	}
	registry_add(e, pages);
	pages->fd = dfd;
	pages->secret = secret;
	pages->start = first;
	/* hugetlbfs maps whole huge pages: map the aligned cover. */
	pages->map_skew = first - ALIGN_DOWN(first, blksize);
	pages->map_len = ALIGN_UP(pages->map_skew + npages * PAGE_SIZE,
				  blksize);
	/* Memory of a store, or of a file, is not the caller's to pin. */
	*out = pages;
	return 0;
}

static int gmem_notify_begin_cb(struct pm_gmem_notifier *nb, struct pm_gmem *g,
				enum pm_gmem_event ev, uint64_t offset,
				uint64_t length);
static void gmem_notify_end_cb(struct pm_gmem_notifier *nb, struct pm_gmem *g,
			       enum pm_gmem_event ev, uint64_t offset,
			       uint64_t length, int result);

int iopt_alloc_gmem_pages(struct pm_gmem *g, u64 offset, u64 length,
			  bool writable, struct iopt_pages **out)
{
	struct iopt_pages *pages;
	u64 first, npages, last;
	int rc;

	rc = page_cover(offset, length, &first, &npages);
	if (rc)
		return rc;
	last = offset + length - 1;
	if (last >= pm_gmem_size(g))
		return -EINVAL;
	pages = pages_alloc(IOPT_ADDRESS_GMEM, npages, writable);
	if (!pages)
		return -ENOMEM;
	pages->account_mode = IOPT_PAGES_ACCOUNT_NONE;
	pages->gmem = g;
	pages->start = first;
	pages->gmem_nb.begin = gmem_notify_begin_cb;
	pages->gmem_nb.end = gmem_notify_end_cb;
	pages->gmem_nb.opaque = pages;
	rc = pm_gmem_register_notifier(g, &pages->gmem_nb);
	if (rc) {
		mutex_destroy(&pages->mutex);
		kfree(pages);
		return rc;
	}
	*out = pages;
	return 0;
}

void iopt_get_pages_ref(struct iopt_pages *pages)
{
	__atomic_fetch_add(&pages->refs, 1, __ATOMIC_RELAXED);
}

void iopt_put_pages(struct iopt_pages *pages)
{
	if (__atomic_sub_fetch(&pages->refs, 1, __ATOMIC_ACQ_REL))
		return;
	WARN_ON(pages->npinned || !interval_tree_empty(&pages->users_itree));
	if (pages->type != IOPT_ADDRESS_GMEM)
		registry_del(pages);
	if (pages->type == IOPT_ADDRESS_GMEM && pages->gmem)
		pm_gmem_unregister_notifier(pages->gmem, &pages->gmem_nb);
	if (pages->file_kva)
		sys_munmap(pages->file_kva, pages->map_len);
	sys_close(pages->fd);
	mutex_destroy(&pages->mutex);
	kfree(pages);
}

u64 iopt_pages_source_addr(struct iopt_pages *pages)
{
	return pages->type == IOPT_ADDRESS_USER ? (uintptr_t)pages->uptr :
						  pages->start;
}

/* Map a FILE source into this process (once). */
static int file_map(struct iopt_pages *pages)
{
	int prot = PROT_READ | (pages->writable ? PROT_WRITE : 0);
	void *p;
	int rc;

	if (pages->file_kva)
		return 0;
	p = sys_mmap(NULL, pages->map_len, prot, MAP_SHARED, pages->fd,
		     (off_t)(pages->start - pages->map_skew));
	if (IS_ERR(p))
		return (int)PTR_ERR(p);
	/* A child must not inherit mappings of DMA memory. */
	rc = sys_madvise(p, pages->map_len, MADV_DONTFORK);
	if (rc) {
		sys_munmap(p, pages->map_len);
		return rc;
	}
	pages->file_kva = p;
	return 0;
}

u8 *iopt_pages_kva(struct iopt_pages *pages, u64 offset)
{
	struct pm_gmem *g;

	switch (pages->type) {
	case IOPT_ADDRESS_USER:
		return (u8 *)((uintptr_t)pages->uptr + offset);
	case IOPT_ADDRESS_FILE:
		if (!pages->file_kva) {
			mutex_lock(&pages->mutex);
			file_map(pages);
			mutex_unlock(&pages->mutex);
		}
		return pages->file_kva ?
			       pages->file_kva + pages->map_skew + offset :
			       NULL;
	case IOPT_ADDRESS_GMEM:
		g = iopt_pages_gmem(pages);
		return g ? (u8 *)pm_gmem_host_view(g) + pages->start + offset :
			   NULL;
	}
	return NULL;
}

int iopt_pages_run(struct iopt_pages *pages, u64 offset, u64 limit, u64 *len)
{
	struct pm_gmem *g;
	int rc;

	if (pages->type != IOPT_ADDRESS_GMEM) {
		*len = limit;
		return 1;
	}
	g = iopt_pages_gmem(pages);
	if (!g) {
		*len = limit;
		return 0;
	}
	rc = gmem_shared_run(g, pages->start + offset, limit, len);
	if (rc == -EINVAL && limit) {
		/*
		 * Past the store's end: an area outlives a shrinking
		 * truncate, and nothing there is reachable until the store
		 * grows again (PM_GMEM_EV_GROW maps it then).
		 */
		*len = limit;
		return 0;
	}
	return rc;
}

/*
 * memfd_secret pages are outside the kernel's direct map, so GUP (and with
 * it MADV_POPULATE_* and process_vm_readv) refuses them, and the kernel
 * makes every secretmem mapping VM_LOCKED at mmap. Pinning them is
 * touching each page through our own mapping; they stay locked.
 */
static int secret_fault_in(u8 *addr, u64 len)
{
	u64 off;
	u8 b;

	for (off = 0; off < len; off += PAGE_SIZE)
		if (copy_nofault(&b, addr + off, 1))
			return -EFAULT;
	return 0;
}

int iopt_pages_copy(struct iopt_pages *pages, u8 *kva, void *buf, u64 len,
		    bool write)
{
	/* USER memory may be gone (munmap): the kernel checks for us. */
	if (!pages->secret)
		return write ? copy_to_user(kva, buf, len) :
			       copy_from_user(buf, kva, len);
	return write ? copy_nofault(kva, buf, len) :
		       copy_nofault(buf, kva, len);
}

/* Pin the source pages [first, last] (indexes); the holes of users_itree. */
static int pin_source(struct iopt_pages *pages, u64 first, u64 last)
{
	u64 len = (last - first + 1) * PAGE_SIZE;
	int advice = pages->writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;
	u8 *addr;
	int rc;

	if (pages->type == IOPT_ADDRESS_GMEM)
		return 0;
	if (pages->type == IOPT_ADDRESS_FILE) {
		rc = file_map(pages);
		if (rc)
			return rc;
		addr = pages->file_kva + pages->map_skew + first * PAGE_SIZE;
		if (pages->secret)
			return secret_fault_in(addr, len);
	} else {
		/* In integers: uptr may be NULL (a map at address 0). */
		addr = (u8 *)((uintptr_t)pages->uptr + first * PAGE_SIZE);
	}
	rc = sys_madvise(addr, len, advice);
	if (rc)
		/* Unmapped or wrong permissions: what GUP reports as EFAULT. */
		return rc == -ENOMEM || rc == -EINVAL || rc == -EFAULT ?
			       -EFAULT :
			       rc;
	rc = sys_mlock(addr, len);
	if (rc)
		return rc == -EAGAIN || rc == -EPERM ? -ENOMEM : rc;
	return 0;
}

static void unpin_source(struct iopt_pages *pages, u64 first, u64 last)
{
	u64 len = (last - first + 1) * PAGE_SIZE;

	if (pages->type == IOPT_ADDRESS_USER)
		sys_munlock((u8 *)((uintptr_t)pages->uptr + first * PAGE_SIZE),
			    len);
	else if (pages->type == IOPT_ADDRESS_FILE && pages->file_kva &&
		 !pages->secret)
		sys_munlock(pages->file_kva + pages->map_skew +
				    first * PAGE_SIZE,
			    len);
}

/* Unpin the holes of users_itree in [first, last]; returns pages unpinned. */
static u64 unpin_holes(struct iopt_pages *pages, u64 first, u64 last)
{
	struct interval_tree_span_iter it;
	u64 n = 0;

	interval_tree_for_each_span(&it, &pages->users_itree, first, last) {
		if (!it.is_hole)
			continue;
		unpin_source(pages, it.start_hole, it.last_hole);
		n += it.last_hole - it.start_hole + 1;
	}
	return n;
}

static void put_gmem_holds(struct iopt_pages *pages,
			   struct iopt_pages_user *user, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		pm_gmem_put_pfn(pages->gmem, &user->gmem_pages[i]);
	kfree(user->gmem_pages);
	user->gmem_pages = NULL;
}

static int hold_gmem(struct iopt_pages *pages, struct iopt_pages_user *user)
{
	u64 n = user->node.last - user->node.start + 1, i;
	int rc = 0;

	if (!pages->gmem)
		return -EFAULT;
	user->gmem_pages = kcalloc(n, sizeof(*user->gmem_pages));
	if (!user->gmem_pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rc = pm_gmem_get_pfn(pages->gmem,
				     pages->start +
					     (user->node.start + i) * PAGE_SIZE,
				     PM_GMEM_GET_SHARED_ONLY,
				     &user->gmem_pages[i]);
		if (rc)
			break;
	}
	if (rc) {
		put_gmem_holds(pages, user, i);
		/* A private page is not there for an untrusted access. */
		return rc == -EPERM ? -EFAULT : rc;
	}
	return 0;
}

int iopt_pages_pin(struct iopt_pages *pages, u64 start_index, u64 last_index,
		   void *owner, bool hold)
{
	struct interval_tree_span_iter it;
	struct iopt_pages_user *user;
	u64 pinned = 0, touched_last = 0;
	bool touched = false, accounted = false;
	int rc = 0;

	if (WARN_ON(last_index >= pages->npages || start_index > last_index))
		return -EINVAL;
	user = kzalloc(sizeof(*user));
	if (!user)
		return -ENOMEM;
	user->node.start = start_index;
	user->node.last = last_index;
	user->owner = owner;

	mutex_lock(&pages->mutex);
	interval_tree_for_each_span(&it, &pages->users_itree, start_index,
				    last_index) {
		if (!it.is_hole)
			continue;
		touched = true;
		touched_last = it.last_hole;
		rc = pin_source(pages, it.start_hole, it.last_hole);
		if (rc)
			break;
		/* gmem pages are the store's: nothing pinned or charged. */
		if (pages->type != IOPT_ADDRESS_GMEM)
			pinned += it.last_hole - it.start_hole + 1;
	}
	if (!rc) {
		rc = account_pages(pages, pinned);
		accounted = !rc;
	}
	if (!rc && hold && pages->type == IOPT_ADDRESS_GMEM)
		rc = hold_gmem(pages, user);
	if (rc) {
		/* Charges and pins go back; the user was never inserted. */
		if (accounted)
			unaccount_pages(pages, pinned);
		if (touched)
			unpin_holes(pages, start_index, touched_last);
		mutex_unlock(&pages->mutex);
		kfree(user);
		return rc;
	}
	interval_tree_insert(&user->node, &pages->users_itree);
	pages->npinned += pinned;
	mutex_unlock(&pages->mutex);
	return 0;
}

void iopt_pages_unpin(struct iopt_pages *pages, u64 start_index,
		      u64 last_index, void *owner)
{
	struct interval_tree_node *n;
	struct iopt_pages_user *user = NULL;
	u64 unpinned;

	mutex_lock(&pages->mutex);
	for (n = interval_tree_iter_first(&pages->users_itree, start_index,
					  last_index);
	     n; n = interval_tree_iter_next(n, start_index, last_index)) {
		struct iopt_pages_user *u =
			container_of(n, struct iopt_pages_user, node);

		if (n->start == start_index && n->last == last_index &&
		    u->owner == owner) {
			user = u;
			break;
		}
	}
	if (WARN_ON(!user)) {
		mutex_unlock(&pages->mutex);
		return;
	}
	interval_tree_remove(&user->node, &pages->users_itree);
	if (user->gmem_pages)
		put_gmem_holds(pages, user, last_index - start_index + 1);
	if (pages->type != IOPT_ADDRESS_GMEM) {
		unpinned = unpin_holes(pages, start_index, last_index);
		pages->npinned -= unpinned;
		unaccount_pages(pages, unpinned);
	}
	mutex_unlock(&pages->mutex);
	kfree(user);
}

/*
 * The file and offset mapped at @addr, from /proc/self/maps (test only:
 * a memfd page pinned through our own mapping of the file is the page the
 * caller sees through theirs).
 */
static int uaddr_file(u64 addr, u64 *dev, u64 *ino, u64 *off)
{
	size_t len = 1 << 20;
	char *buf = kmalloc(len), *line;
	int found = 0;
	ssize_t n;

	/*
	 * A failure is an error, not "anonymous": answering without the file
	 * would count a file page's pins as none.
	 */
	if (!buf)
		return -ENOMEM;
	n = sys_read_file("/proc/self/maps", buf, len);
	if (n < 0) {
		kfree(buf);
		return (int)n;
	}
	for (line = buf; line && *line; line = strchr(line, '\n')) {
		unsigned long long s, e, o, i;
		unsigned int maj, min;

		if (*line == '\n')
			line++;
		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &s, &e, &o,
			   &maj, &min, &i) != 6)
			continue;
		if (addr < s || addr >= e || !i)
			continue;
		*dev = makedev(maj, min);
		*ino = i;
		*off = o + (addr - s);
		found = 1;
		break;
	}
	kfree(buf);
	return found;
}

static bool index_pinned(struct iopt_pages *p, u64 index)
{
	bool pinned;

	mutex_lock(&p->mutex);
	pinned = interval_tree_iter_first(&p->users_itree, index, index);
	mutex_unlock(&p->mutex);
	return pinned;
}

int iopt_test_page_refs(void *uaddr)
{
	u64 addr = ALIGN_DOWN((uintptr_t)uaddr, PAGE_SIZE);
	struct pages_registry_entry *e;
	u64 dev = 0, ino = 0, foff = 0;
	int have_file = uaddr_file(addr, &dev, &ino, &foff);
	int refs = 0;

	if (have_file < 0)
		return have_file;

	mutex_lock(&registry_lock);
	for (e = registry; e; e = e->next) {
		struct iopt_pages *p = e->pages;
		u64 base, at;

		if (p->type == IOPT_ADDRESS_USER) {
			base = (uintptr_t)p->uptr;
			at = addr;
		} else if (have_file && (u64)p->file_stat.st_dev == dev &&
			   (u64)p->file_stat.st_ino == ino) {
			base = p->start;
			at = foff;
		} else {
			continue;
		}
		if (at < base || at >= base + p->npages * PAGE_SIZE)
			continue;
		if (index_pinned(p, (at - base) / PAGE_SIZE))
			refs++;
	}
	mutex_unlock(&registry_lock);
	return refs;
}

/* The store's notifiers reach the areas; io_pagetable.c does the work. */
static int gmem_notify_begin_cb(struct pm_gmem_notifier *nb, struct pm_gmem *g,
				enum pm_gmem_event ev, uint64_t offset,
				uint64_t length)
{
	struct iopt_pages *pages = nb->opaque;
	struct iopt_area *area;
	int rc = iopt_gmem_invalidate(pages, ev, offset, length, true, 0);

	if (ev != PM_GMEM_EV_CLOSE)
		return rc;
	/*
	 * The store is freed once its notifiers have run. Readers that are
	 * not in a DMA (fault classification, access reads: they hold
	 * iova_rwsem for read) must not see it after that: publish NULL,
	 * then wait out every reader that may have loaded the old pointer.
	 */
	WRITE_ONCE(pages->gmem, NULL);
	list_for_each_entry(area, &pages->areas, pages_item) {
		down_write(&area->iopt->iova_rwsem);
		up_write(&area->iopt->iova_rwsem);
	}
	return rc;
}

static void gmem_notify_end_cb(struct pm_gmem_notifier *nb, struct pm_gmem *g,
			       enum pm_gmem_event ev, uint64_t offset,
			       uint64_t length, int result)
{
	struct iopt_pages *pages = nb->opaque;

	iopt_gmem_invalidate(pages, ev, offset, length, false, result);
}
