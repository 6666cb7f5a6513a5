/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of the userspace iommufd. The split and the names
 * follow Linux's drivers/iommu/iommufd/ so that a kernel reader finds each
 * piece where the kernel keeps it:
 *
 *   main.c          the context (an open /dev/iommu), object table, ioctl
 *                   dispatch and the size rules
 *   ioas.c          IOAS commands: validate, call iopt_*, respond
 *   io_pagetable.c  IOVA space: areas, reserved and allowed ranges, IOVA
 *                   allocation, map/unmap/copy, domain fill (iopt_*)
 *   pages.c         the pages behind areas: pinning per source (user VA,
 *                   memfd, gmem store), accounting, access pins (iopt_pages_*)
 *   hw_pagetable.c  HWPT_PAGING objects wrapping a domain
 *   device.c        devices and in-library accesses (iommufd_access_*)
 *   selftest.c      the mock driver behind IOMMU_TEST_CMD
 *
 * Address spaces: iova (device), kva (this process's address through which
 * the library touches a page: the "kernel" address of the emulation), and
 * pfn (host physical frame, reported only).
 *
 * Page size: the emulated "kernel" page is 4 KiB (PAGE_SIZE below).
 */
#ifndef PRIVMEM_IOMMUFD_PRIVATE_H
#define PRIVMEM_IOMMUFD_PRIVATE_H

#include <sys/stat.h>
#include <privmem/iommufd.h>
#include <privmem/gmem.h>
#include <privmem/uapi/iommufd.h>
#include "common/compiler.h"
#include "common/err.h"
#include "common/interval_tree.h"
#include "common/list.h"
#include "common/mutex.h"

#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12
#define ULONG_MAX_ UINT64_MAX

struct iommufd_ctx;
struct iommufd_access;
struct iommufd_ioas;
struct io_pagetable;
struct iopt_pages;
struct iommu_domain;

/* ---------------------------------------------------------------- objects */

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_SELFTEST,
	IOMMUFD_OBJ_MAX,
};

/*
 * Base of every object. @users counts the table's reference (1) plus one
 * per dependent object; IOMMU_DESTROY succeeds only at users == 1.
 * @shortterm_users counts in-flight ioctls holding the object.
 */
struct iommufd_object {
	enum iommufd_object_type type;
	u32 id;
	int users;	     /* protected by ctx->lock */
	int shortterm_users; /* protected by ctx->lock */
};

/*
 * An open /dev/iommu.
 * Lock order: ctx->lock is taken alone to look objects up; it is never held
 * across the engine (objects hold references instead).
 */
struct iommufd_ctx {
	struct mutex lock;		/* the object table */
	struct iommufd_object **objs;	/* index = id; NULL free; */
	u32 nr_objs;			/* size of objs[] */
	bool account_mm;		/* IOMMU_OPTION_RLIMIT_MODE 1 */
	struct iommufd_ioas *vfio_ioas; /* VFIO compat IOAS, or NULL */
	u64 temp_memory_limit;		/* selftest SET_TEMP_MEMORY_LIMIT */
	pid_t owner_pid;		/* the process whose memory is charged */
};

/* The object being built is reserved (id taken, invisible) until finalize. */
void *iommufd_object_alloc(struct iommufd_ctx *ictx, size_t size,
			   enum iommufd_object_type type);
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx,
			  struct iommufd_object *obj);
/* Abort an object whose destroy op must run (it was partly set up). */
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj);
/* Look up and take a short-term reference; ERR_PTR(-ENOENT) if absent. */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type);
void iommufd_put_object(struct iommufd_ctx *ictx, struct iommufd_object *obj);
/* Long-term dependency (e.g. an HWPT on its IOAS). */
void iommufd_object_get(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_object_put(struct iommufd_ctx *ictx, struct iommufd_object *obj);
/* Remove by id (IOMMU_DESTROY); -EBUSY if others depend on it. */
int iommufd_object_remove(struct iommufd_ctx *ictx, u32 id,
			  enum iommufd_object_type type);

/* An ioctl in progress. */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	void *ubuffer; /* the caller's struct */
	u32 user_size;
	void *cmd; /* kernel copy, zero-extended */
};

/* Copy the command struct back: min(user size, @cmd_len) bytes. */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);

/* ------------------------------------------------------------ io_pagetable */

/*
 * struct io_pagetable - an IO virtual address space
 *
 * Lock order: domains_rwsem -> iova_rwsem -> iopt_pages.mutex
 *                -> domain locks -> gmem state lock
 */
struct io_pagetable {
	struct rwlock domains_rwsem; /* domains[], accesses */
	struct rwlock iova_rwsem;    /* the three trees, iova_alignment */
	struct interval_tree_root area_itree;	  /* struct iopt_area */
	struct interval_tree_root reserved_itree; /* struct iopt_reserved */
	struct interval_tree_root allowed_itree;  /* struct iopt_allowed */
	struct iommu_domain **domains;
	unsigned int nr_domains;
	struct list_head access_list; /* struct iommufd_access.ioas_node */
	u64 iova_alignment;
	bool disable_large_pages;
};

struct iopt_area {
	struct interval_tree_node node; /* IOVA range */
	struct list_head pages_item;	/* GMEM: in pages->areas */
	struct iopt_pages *pages;	/* NULL while being created */
	struct io_pagetable *iopt;
	u64 page_offset;		/* byte offset of iova in pages */
	int iommu_prot;			/* IOMMU_READ | IOMMU_WRITE */
	unsigned int num_accesses;
	bool prevent_access;
};

struct iopt_reserved {
	struct interval_tree_node node;
	void *owner;
};

struct iopt_allowed {
	struct interval_tree_node node;
};

#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)

static inline u64 iopt_area_iova(const struct iopt_area *a)
{
	return a->node.start;
}

static inline u64 iopt_area_last_iova(const struct iopt_area *a)
{
	return a->node.last;
}

static inline u64 iopt_area_length(const struct iopt_area *a)
{
	return a->node.last - a->node.start + 1;
}

void iopt_init_table(struct io_pagetable *iopt);
void iopt_destroy_table(struct io_pagetable *iopt);

/* Map flags for iopt_map_pages. */
enum { IOPT_ALLOC_IOVA = 1 << 0 };

/* Insert @pages (reference consumed on success) at *iova (or allocated). */
int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages *pages,
		   u64 *iova, u64 start_byte, u64 length, int iommu_prot,
		   unsigned int flags);
int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			u64 *iova, void *uptr, u64 length, int iommu_prot,
			unsigned int flags);
int iopt_map_file_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			u64 *iova, int fd, u64 start, u64 length,
			int iommu_prot, unsigned int flags);
int iopt_unmap_iova(struct io_pagetable *iopt, u64 iova, u64 length,
		    u64 *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, u64 *unmapped);

/* IOAS_COPY: the pages behind [iova, iova + length) of @iopt. */
struct iopt_pages_list {
	struct iopt_pages *pages;
	struct iopt_area *area;
	u64 start_byte; /* offset into pages */
	u64 length;
	struct list_head next;
};
int iopt_get_pages(struct io_pagetable *iopt, u64 iova, u64 length,
		   struct list_head *pages_list);
void iopt_free_pages_list(struct list_head *pages_list);
int iopt_map_pages_list(struct io_pagetable *iopt, struct list_head *pages_list,
			u64 length, u64 *dst_iova, int iommu_prot,
			unsigned int flags);

int iopt_reserve_iova(struct io_pagetable *iopt, u64 start, u64 last,
		      void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner);
int iopt_set_allow_iova(struct io_pagetable *iopt,
			struct interval_tree_root *allowed_iova);
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain);
void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain);
int iopt_disable_large_pages(struct io_pagetable *iopt);
void iopt_enable_large_pages(struct io_pagetable *iopt);
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access);
void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access);

/*
 * In-library accesses (an emulated device's CPU access by IOVA).
 * pin: every page of [iova, iova + length) must be mapped (-ENOENT), not
 * being unmapped (-EINVAL), writable when @write (-EPERM); @kvas (one per
 * PAGE_SIZE page of the range, page-aligned addresses) receives where the
 * library reaches each page. rw copies, fault-safely.
 */
int iopt_access_pin_pages(struct io_pagetable *iopt, u64 iova, u64 length,
			  void **kvas, bool write);
void iopt_access_unpin_pages(struct io_pagetable *iopt, u64 iova, u64 length);
int iopt_access_rw(struct io_pagetable *iopt, u64 iova, void *data,
		   u64 length, bool write);
/* device.c: ask every access on @iopt to drop pins in the range. */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, u64 iova,
				 u64 length);

/* ------------------------------------------------------------------ pages */

enum iopt_address_type {
	IOPT_ADDRESS_USER,
	IOPT_ADDRESS_FILE, /* a memfd / hugetlbfs memfd */
	IOPT_ADDRESS_GMEM, /* a privmem gmem store */
};

enum iopt_pages_account {
	IOPT_PAGES_ACCOUNT_NONE,
	IOPT_PAGES_ACCOUNT_USER,
	IOPT_PAGES_ACCOUNT_MM,
};

/*
 * struct iopt_pages - the pages behind one or more areas
 *
 * A logical 0-based array of npages pages from one source, starting at a
 * page-aligned address (USER), file offset (FILE) or store offset (GMEM).
 * A page is pinned while any user covers its index in users_itree (an
 * area that is filled into domains, or an access pin): exactly once,
 * however many users, so COPY shares pins and charges.
 *
 * Lock order: iopt locks -> pages->mutex -> gmem state lock.
 * For GMEM pages, @areas changes only under the store's conversion lock,
 * which the store's notifiers run under.
 */
struct iopt_pages {
	int refs; /* atomic: areas and COPY lists referencing it */
	struct mutex mutex; /* users_itree, npinned, file_kva */
	enum iopt_address_type type;
	enum iopt_pages_account account_mode;
	bool writable;
	bool secret; /* FILE: memfd_secret, beyond GUP's reach */
	u64 npages;
	u64 npinned;	  /* pages pinned now */
	u64 last_npinned; /* pages charged */
	/* source */
	u8 *uptr;	/* USER: page-aligned address */
	int fd;		/* FILE: our dup of the memfd */
	u64 start;	/* FILE/GMEM: page-aligned offset in the fd/store */
	u64 map_skew;	/* FILE: start - offset of file_kva (huge pages) */
	u64 map_len;	/* FILE: length of file_kva */
	u8 *file_kva;	/* FILE: our mapping, made at the first pin */
	struct stat file_stat; /* FILE: identity of the file */
	/*
	 * GMEM; NULL once the store closed. Set to NULL (WRITE_ONCE) by the
	 * store's close notifier, which then waits for every iova_rwsem
	 * reader; readers outside the store's conversion lock use
	 * iopt_pages_gmem().
	 */
	struct pm_gmem *gmem;
	struct pm_gmem_notifier gmem_nb;
	struct list_head areas; /* GMEM: struct iopt_area.pages_item */
	struct interval_tree_root users_itree; /* struct iopt_pages_user */
};

/* A user of a range of page indexes (area in domains, or access pin). */
struct iopt_pages_user {
	struct interval_tree_node node; /* [start_index, last_index] */
	void *owner;
	struct pm_gmem_page *gmem_pages; /* GMEM access pins: held pages */
};

static inline struct pm_gmem *iopt_pages_gmem(struct iopt_pages *pages)
{
	return READ_ONCE(pages->gmem);
}

int iopt_alloc_user_pages(void *uptr, u64 length, bool writable,
			  struct iopt_pages **out);
int iopt_alloc_file_pages(int fd, u64 start, u64 length, bool writable,
			  struct iopt_pages **out);
int iopt_alloc_gmem_pages(struct pm_gmem *g, u64 offset, u64 length,
			  bool writable, struct iopt_pages **out);
/*
 * Copy @len bytes between @buf and @kva, an address iopt_pages_kva() gave
 * for @pages, without trusting the source still to be there.
 * Return: 0 or -EFAULT.
 */
int iopt_pages_copy(struct iopt_pages *pages, u8 *kva, void *buf, u64 len,
		    bool write);
void iopt_get_pages_ref(struct iopt_pages *pages);
void iopt_put_pages(struct iopt_pages *pages);
/* The byte address in the source that index 0 of @pages stands for. */
u64 iopt_pages_source_addr(struct iopt_pages *pages);

/*
 * Pin [start_index, last_index] for @owner. For GMEM pages, @hold makes
 * each page held in the store (an access pin: the store's conversions
 * wait for it); areas in domains rely on the store's notifiers instead.
 * Return: 0, -EFAULT (bad user memory), -ENOMEM (over RLIMIT_MEMLOCK),
 * -EPERM (a private page for a hold).
 */
int iopt_pages_pin(struct iopt_pages *pages, u64 start_index, u64 last_index,
		   void *owner, bool hold);
void iopt_pages_unpin(struct iopt_pages *pages, u64 start_index,
		      u64 last_index, void *owner);
/*
 * Host address of byte @offset of @pages, valid for @len bytes, or NULL
 * where the page cannot be reached (a private gmem page, an unmapped file).
 * For USER pages this is the caller's address: access it fault-safely.
 */
u8 *iopt_pages_kva(struct iopt_pages *pages, u64 offset);
/* For GMEM pages: the run from @offset that is shared (1) or not (0). */
int iopt_pages_run(struct iopt_pages *pages, u64 offset, u64 limit, u64 *len);
/* Library pins of the user page at @uaddr (selftest MD_CHECK_REFS). */
int iopt_test_page_refs(void *uaddr);
/*
 * A gmem store's notifier for @pages (io_pagetable.c): in begin, remove
 * the translations of [offset, offset + length) of the store from every
 * domain of every area on @pages and ask accesses to let go; in end, put
 * back translations for pages that are (still or now) shared.
 */
int iopt_gmem_invalidate(struct iopt_pages *pages, enum pm_gmem_event ev,
			 u64 offset, u64 length, bool begin, int result);

/* ----------------------------------------------------------------- domains */

struct iommu_domain_ops {
	/* Map [iova, iova + len) to host addresses [kva, kva + len). */
	int (*map)(struct iommu_domain *d, u64 iova, void *kva, u64 len,
		   int prot);
	/* Unmap; returns the bytes unmapped. Never fails. */
	u64 (*unmap)(struct iommu_domain *d, u64 iova, u64 len);
	/* Translate; -ENOENT if unmapped. */
	int (*iova_to_kva)(struct iommu_domain *d, u64 iova, void **kva,
			   int *prot);
	void (*free)(struct iommu_domain *d);
};

struct iommu_domain {
	const struct iommu_domain_ops *ops;
	/*
	 * DMA in flight holds dma_lock for read, from translation to the end
	 * of its copy; iommu_unmap() takes it for write, so an unmap returns
	 * only after DMA through the range has drained, and flushes the
	 * IOTLBs on iotlbs (protected by dma_lock) before releasing it.
	 */
	struct rwlock dma_lock;
	struct list_head iotlbs;
	/*
	 * The domain can unmap any page-aligned part of an earlier map (a
	 * "cut"). Without it, the core maps gmem pages one conversion granule
	 * at a time, so that a conversion's unmap is always a union of whole
	 * earlier maps (IOPTEs never larger than the shared/private granule).
	 */
	bool can_cut;
	u64 pgsize_bitmap;
	u64 aperture_start, aperture_end;
	void *owner; /* the hwpt */
};

/*
 * iommu.c: the IOMMU core between io_pagetable and the domains, as Linux's
 * drivers/iommu/iommu.c: every map and unmap of a domain goes through it.
 */
void iommu_domain_init(struct iommu_domain *d, const struct iommu_domain_ops *ops);
int iommu_map(struct iommu_domain *d, u64 iova, void *kva, u64 len, int prot);
/* Drains DMA in flight and flushes IOTLBs for the range; never fails. */
u64 iommu_unmap(struct iommu_domain *d, u64 iova, u64 len);
int iommu_iova_to_kva(struct iommu_domain *d, u64 iova, void **kva,
		      int *prot);
/* Wait for every DMA in flight through @d (punch-hole). */
void iommu_drain(struct iommu_domain *d);
/*
 * Why DMA found no usable translation at @iova, beyond "unmapped":
 * PM_DMA_FAULT_PRIVATE (a gmem page private or converting right now),
 * PM_DMA_FAULT_REVOKED (the area's store is gone: a reset device's BAR),
 * or 0.
 */
int iopt_iova_fault_reason(struct io_pagetable *iopt, u64 iova);

/*
 * An IOTLB: a direct-mapped cache of 4 KiB translations in front of a
 * domain, one per device. An entry is one 64-bit word (tag, host page,
 * permissions) read and written atomically, so DMA threads of a device
 * share it without a lock; it is filled under dma_lock (read) and
 * flushed under dma_lock (write).
 */
#define IOTLB_ENTRIES 1024
#define IOTLB_SHIFT 10 /* log2(IOTLB_ENTRIES) */
#define IOTLB_PFN_BITS 36
#define IOTLB_PFN_MASK ((1ULL << IOTLB_PFN_BITS) - 1)
struct iotlb {
	u64 entry[IOTLB_ENTRIES];
	struct list_head domain_item; /* in domain->iotlbs */
	struct iommu_domain *domain;
	u64 hits, misses, invalidations; /* relaxed atomics */
};

void iotlb_attach(struct iotlb *tlb, struct iommu_domain *d);
void iotlb_detach(struct iotlb *tlb);

/*
 * Hits and misses of one DMA operation, added to the IOTLB's shared
 * counters once, at its end (iotlb_tally_commit()): an atomic add per
 * translation was most of the cost of a hit.
 */
struct iotlb_tally {
	u64 hits, misses;
};

/* The walk and the fill, for a translation the IOTLB does not hold. */
int iotlb_translate_miss(struct iotlb *tlb, u64 iova, bool write, u8 **kva);

/*
 * Translate @iova for DMA: 0 and the host address, or -ENOENT/-EPERM.
 * Called with the domain's dma_lock held for read. The hit path is inline.
 */
static inline int iotlb_translate(struct iotlb *tlb, u64 iova, bool write,
				  u8 **kva, struct iotlb_tally *t)
{
	u64 pfn = iova >> PAGE_SHIFT;
	u64 v = __atomic_load_n(&tlb->entry[pfn & (IOTLB_ENTRIES - 1)],
				__ATOMIC_RELAXED);

	if (likely(v && (v >> (IOTLB_PFN_BITS + 2)) == (pfn >> IOTLB_SHIFT))) {
		if (unlikely(!(v & (write ? 2 : 1))))
			return -EPERM;
		t->hits++;
		*kva = (u8 *)(uintptr_t)(((v >> 2) & IOTLB_PFN_MASK)
					 << PAGE_SHIFT) +
		       (iova & (PAGE_SIZE - 1));
		return 0;
	}
	t->misses++;
	return iotlb_translate_miss(tlb, iova, write, kva);
}

static inline void iotlb_tally_commit(struct iotlb *tlb,
				      const struct iotlb_tally *t)
{
	if (t->hits)
		__atomic_fetch_add(&tlb->hits, t->hits, __ATOMIC_RELAXED);
	if (t->misses)
		__atomic_fetch_add(&tlb->misses, t->misses, __ATOMIC_RELAXED);
}

/* Accesses ------------------------------------------------------------- */

struct iommufd_access_ops {
	/* The access will pin pages (iommufd_access_pin_pages). device.c */
	bool needs_pin_pages;
	/* The access must drop pins in [iova, iova + length). */
	void (*unmap)(void *data, u64 iova, u64 length);
};

struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_ioas *ioas;
	struct list_head ioas_node;
	const struct iommufd_access_ops *ops;
	void *data;
	u64 iova_alignment;
	struct mutex ioas_lock;
	/* Where pins were taken; differs from @ioas while changing. device.c */
	struct iommufd_ioas *ioas_unpin;
};

/* IOAS, HWPT, device -------------------------------------------------- */

struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	struct mutex mutex;
	struct list_head hwpt_list;
};

struct iommufd_hwpt_paging {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	struct iommufd_ioas *ioas;
	struct list_head hwpt_item;
	bool auto_domain;
	/* hw_pagetable.c */
	struct iommufd_ctx *ictx;
	bool nest_parent;
};

struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_hwpt_paging *hwpt; /* attached to, or NULL */
	void *dev;			  /* the driver's device */
};

/* ioas.c handlers */
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option(struct iommufd_ucmd *ucmd);
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd);
int iommufd_option_rlimit_mode(struct iommu_option *cmd,
			       struct iommufd_ctx *ictx);
void iommufd_ioas_destroy(struct iommufd_object *obj);
struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx);

static inline struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx,
						    u32 id)
{
	struct iommufd_object *obj =
		iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS);

	if (IS_ERR(obj))
		return (struct iommufd_ioas *)obj;
	return container_of(obj, struct iommufd_ioas, obj);
}

/* ------------------------------------ added for main.c and ioas.c (ctx) */

/* The public handle is the context itself. */
struct pm_iommufd {
	struct iommufd_ctx ictx;
};

/*
 * Notes on the object API above (main.c):
 *  - iommufd_object_alloc() returns ERR_PTR(-ENOMEM) (or -EBUSY when the
 *    32-bit id space is full), never NULL;
 *  - ctx->objs[] belongs to main.c: a slot may hold a marker for an object
 *    under construction, so walk objects with iommufd_get_next_object();
 *  - iommufd_get_object(), _alloc(), _finalize(), _abort() and _remove()
 *    take ctx->lock (rank LOCK_RANK_IOMMUFD_CTX), so they must not be
 *    called with an IOAS mutex or io_pagetable lock held;
 *    iommufd_object_get(), _object_put() and iommufd_put_object() take no
 *    lock (the counts are atomics) and may be called anywhere.
 *
 * struct iommufd_ucmd with ubuffer == NULL is an in-library call (the typed
 * pm_* entries): cmd is then the caller's own struct, handlers write their
 * results straight into it and iommufd_ucmd_respond() copies nothing.
 */

/*
 * The next live object of @type (IOMMUFD_OBJ_ANY for all) with id >= *id,
 * held as by iommufd_get_object() (release with iommufd_put_object());
 * *id is set to its id. NULL when there is none. Not a fault-injection
 * point.
 */
struct iommufd_object *iommufd_get_next_object(struct iommufd_ctx *ictx,
					       u32 *id,
					       enum iommufd_object_type type);
/* Any object, live or under construction? Called with ctx->lock held. */
bool iommufd_ctx_has_objects_locked(struct iommufd_ctx *ictx);

/* Destroy ops of the other object types, called by main.c. */
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
void iommufd_device_destroy(struct iommufd_object *obj);
void iommufd_access_destroy_object(struct iommufd_object *obj);
void iommufd_selftest_destroy(struct iommufd_object *obj);

/* ioctl handlers outside ioas.c, dispatched by main.c. */
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);	/* hw_pagetable.c */
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);	/* device.c */
int iommufd_test(struct iommufd_ucmd *ucmd);		/* selftest.c */
/*
 * VFIO type1 compatibility: every number with _IOC_NR(cmd) < 0x80.
 * Return: >= 0, or -errno (-ENOTTY for an unknown number).
 */
int iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd, void *arg);

/*
 * io_pagetable.c: map [offset, offset + length) of a gmem store, as
 * iopt_map_file_pages() maps a memfd.
 */
int iopt_map_gmem_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			u64 *iova, struct pm_gmem *g, u64 offset, u64 length,
			int iommu_prot, unsigned int flags);

/*
 * ioas.c relies on iopt_set_allow_iova() swapping trees: on return
 * @allowed_iova holds the nodes to free (the old ones on success, the new
 * ones on failure), each a kzalloc()ed struct iopt_allowed.
 */

/*
 * ioas.c: pm_ioas_map_gmem() behind the IOAS_MAP checks. @flags are
 * IOMMU_IOAS_MAP_*; *iova is read with FIXED_IOVA and set on success.
 */
int iommufd_ioas_map_gmem(struct iommufd_ctx *ictx, u32 ioas_id,
			  struct pm_gmem *g, u64 offset, u64 length, u64 *iova,
			  u32 flags);

/* ------------------------------- end of the additions for main.c/ioas.c */

/* ------------- added for hw_pagetable.c, device.c and selftest.c ------- */

/*
 * IOMMU drivers (device.c). A device that iommufd can bind is a struct
 * device embedded in its driver's own struct; iommufd_device.dev points to
 * it. The only driver so far is the selftest's mock (selftest.c).
 */
enum iommu_cap {
	IOMMU_CAP_CACHE_COHERENCY, /* required to bind */
	IOMMU_CAP_DIRTY_TRACKING,  /* reported by IOMMU_GET_HW_INFO */
};

struct device;

struct iommu_ops {
	/*
	 * IOMMU_GET_HW_INFO data: kzalloc()ed, freed by the caller, or
	 * ERR_PTR. *type is in: the type asked for (0 = the default), out:
	 * the type of the data; *length out: its size.
	 */
	void *(*hw_info)(struct device *dev, u32 *length, u32 *type);
	/* A new, empty paging domain; @flags are IOMMU_HWPT_ALLOC_*. */
	struct iommu_domain *(*domain_alloc_paging)(struct device *dev,
						    u32 flags);
	bool (*capable)(struct device *dev, enum iommu_cap cap);
	/* May @dev use @domain? Optional (NULL: yes). -EINVAL: incompatible. */
	int (*attach_dev)(struct iommu_domain *domain, struct device *dev);
};

struct device {
	const struct iommu_ops *iommu_ops;
	u32 max_pasids; /* 0: no PASID support */
};

/* hw_pagetable.c ------------------------------------------------------- */

/*
 * A new HWPT_PAGING on @ioas with a domain from @idev's driver, filled
 * with every area of @ioas and on ioas->hwpt_list, not yet finalized: the
 * caller finalizes it or calls iommufd_object_abort_and_destroy(). Called
 * with no IOAS or io_pagetable lock held.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, u32 flags);

/* device.c ------------------------------------------------------------- */

static inline struct iommufd_device *
iommufd_get_device(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj =
		iommufd_get_object(ictx, id, IOMMUFD_OBJ_DEVICE);

	if (IS_ERR(obj))
		return (struct iommufd_device *)obj;
	return container_of(obj, struct iommufd_device, obj);
}

/*
 * Devices, with Linux's semantics. bind: a finalized DEVICE object that
 * holds a reference on itself until unbind (so IOMMU_DESTROY of it is
 * EBUSY). attach: *pt_id is an IOAS (an automatic HWPT of that IOAS is
 * reused or created; *pt_id returns its id) or a HWPT_PAGING; the device
 * then holds a reference on the HWPT and on itself until detach. replace:
 * as detach + attach, but the old attachment stays if it fails. Callers
 * hold no iommufd lock.
 */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
void iommufd_device_unbind(struct iommufd_device *idev);
int iommufd_device_attach(struct iommufd_device *idev, u32 *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, u32 *pt_id);
void iommufd_device_detach(struct iommufd_device *idev);

/* Flags of iommufd_access_rw() (Linux's IOMMUFD_ACCESS_RW_*). */
enum {
	IOMMUFD_ACCESS_RW_READ = 0,
	IOMMUFD_ACCESS_RW_WRITE = 1 << 0,
	IOMMUFD_ACCESS_RW_KTHREAD = 1 << 1, /* no meaning here */
	__IOMMUFD_ACCESS_RW_SLOW_PATH = 1 << 2, /* selftest; no meaning here */
};

/*
 * In-library accesses (an emulated device reaching an IOAS by IOVA with
 * the CPU), with Linux's API. create: a finalized ACCESS object holding a
 * reference on itself until iommufd_access_destroy(); attach/replace/
 * detach choose its IOAS. @ops->unmap is called (with no iommufd lock
 * held) when pins in a range must go, and must unpin before it returns.
 * pin_pages fills @kvas with one page-aligned address per PAGE_SIZE page
 * of [ALIGN_DOWN(iova), ALIGN(iova + length)); unpin_pages takes exactly
 * a range that was pinned. Callers hold no iommufd lock.
 */
struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data, u32 *id);
void iommufd_access_destroy(struct iommufd_access *access);
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id);
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id);
void iommufd_access_detach(struct iommufd_access *access);
int iommufd_access_pin_pages(struct iommufd_access *access, u64 iova,
			     u64 length, void **kvas, unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access, u64 iova,
				u64 length);
int iommufd_access_rw(struct iommufd_access *access, u64 iova, void *data,
		      u64 length, unsigned int flags);
/*
 * iommufd_access_notify_unmap() (declared with the io_pagetable functions)
 * must be called with no io_pagetable, IOAS or ctx lock held: the unmap
 * callbacks take the access's locks and unpin through iova_rwsem.
 */

/* selftest.c ----------------------------------------------------------- */

/*
 * CREATE_ACCESS returns a real file descriptor (a memfd) whose closing
 * destroys the access. The library cannot see close(2), so it checks:
 * main.c calls iommufd_test_reap_closed_accesses() at the start of every
 * ioctl (an fd that is closed, or now names another file, destroys its
 * access), and iommufd_test_destroy_accesses() at the start of
 * pm_iommufd_close() (every access of the context goes, pins included;
 * the fds stay the caller's to close). Both are called with no lock held.
 */
void iommufd_test_reap_closed_accesses(struct iommufd_ctx *ictx);
void iommufd_test_destroy_accesses(struct iommufd_ctx *ictx);
/*
 * Selftest syzkaller mode: with MOCK_FLAGS_ACCESS_SYZ in *flags, *iova is
 * read as {u32 nth_area, u32 offset} of IOAS @ioas_id and replaced by that
 * IOVA; the flag is cleared. For ioas.c, as Linux's IOAS_COPY does.
 */
void iommufd_test_syz_conv_iova_id(struct iommufd_ucmd *ucmd, u32 ioas_id,
				   u64 *iova, u32 *flags);

/* ------ end of the additions for hw_pagetable.c, device.c, selftest.c -- */

/* emu_domain.c: the emulated IOMMU's paging domain */

struct io_pgtable_stats;

/*
 * A paging domain of the emulated IOMMU: an x86-64-like IO page table
 * (io_pgtable.h) with the leaf sizes of @pgsize_bitmap (a subset of
 * SZ_4K | SZ_2M | SZ_1G with SZ_4K; 0 for all three), aperture
 * [0, 2^48 - 1], can_cut. Return: the domain, ERR_PTR(-EINVAL/-ENOMEM).
 */
struct iommu_domain *emu_domain_alloc(u64 pgsize_bitmap);
/* Its page table's figures (tables, leaves, cut reserve); false if @d is
 * not an emulated-IOMMU domain (a mock domain). */
bool emu_domain_get_stats(struct iommu_domain *d,
			  struct io_pgtable_stats *stats);

/* ------------------------------------------- end of emu_domain.c additions */

/* ------------------------------------------ vfio_compat.c (VFIO type1) */

/*
 * IOMMU_VFIO_IOAS: GET, SET or CLEAR the IOAS that the VFIO type1 ioctls
 * act on (ictx->vfio_ioas). iommufd_vfio_ioctl(), declared above, is in
 * vfio_compat.c too.
 */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);

/* ------------------------------------------- end of vfio_compat.c additions */

#endif
