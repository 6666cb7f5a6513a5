/* SPDX-License-Identifier: MIT */
/*
 * gmem: fd-based guest memory, with per-page shared/private state.
 *
 * A store holds guest memory in file descriptors, never in an anonymous
 * host address. Each page (granule) is either
 *   shared   reachable by host code through the store's host view, by
 *            ordinary devices through the IOMMU, and by the guest; or
 *   private  held in the private backing (guest_memfd, memfd, memfd_secret
 *            or hugetlbfs), reachable by the guest and, only while a page
 *            is held through pm_gmem_get_pfn(), by the trusted-device path.
 *
 * Model: two backings, as QEMU's guest_memfd support has them. Shared pages
 * live in a shared memfd (hugetlbfs for the huge-page backends) that is
 * mapped once, whole, as the host view; private pages live in the private
 * backing. A page is allocated on one side only: conversion discards it on
 * the side it leaves. The host view is guarded by userfaultfd in SIGBUS
 * mode, so a page absent from the shared memfd (every private page) faults
 * on touch however fragmented the state is: the view is one mapping, never
 * one VMA per page (vm.max_map_count is never a limit). See
 * docs/design-gmem.md.
 *
 * Conversion (pm_gmem_convert) runs the invalidation notifiers (begin, which
 * may refuse; then end), changes the state, and by default discards the
 * content (a page that changes sides reads zeros: no byte crosses).
 *
 * Errors are -errno. Locking: a store may be used from any number of
 * threads; conversions, punches and truncation are serialised per store,
 * get_pfn/put_pfn run concurrently with each other.
 */
#ifndef PRIVMEM_GMEM_H
#define PRIVMEM_GMEM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pm_gmem;

enum pm_gmem_backend {
	PM_GMEM_GUEST_MEMFD = 0, /* KVM_CREATE_GUEST_MEMFD on a VM */
	PM_GMEM_MEMFD = 1,	 /* memfd_create(2), 4 KiB pages */
	PM_GMEM_SECRET = 2,	 /* memfd_secret(2): off the direct map */
	PM_GMEM_HUGETLB_2M = 3,	 /* memfd_create(MFD_HUGETLB | 2 MiB) */
	PM_GMEM_HUGETLB_1G = 4,	 /* memfd_create(MFD_HUGETLB | 1 GiB) */
	PM_GMEM_ADOPT = 5,	 /* a guest_memfd or memfd the caller has */
	PM_GMEM_NR_BACKENDS
};

enum pm_gmem_state {
	PM_GMEM_SHARED = 0,
	PM_GMEM_PRIVATE = 1,
};

/* pm_gmem_config.flags */
enum {
	PM_GMEM_F_INIT_PRIVATE = 1 << 0, /* every page starts private */
};

struct pm_gmem_config {
	enum pm_gmem_backend backend;
	uint64_t size; /* bytes, a multiple of the backend's page size */
	uint32_t flags;
	/*
	 * PM_GMEM_GUEST_MEMFD: the VM fd to create the guest_memfd on (it can
	 * only ever be bound to that VM), or -1 for a VM of the library's own.
	 * Ignored otherwise.
	 */
	int vm_fd;
	/*
	 * PM_GMEM_ADOPT: the fd to adopt (duplicated; the caller keeps its
	 * own). Its size must be at least @size. Its content at offsets that
	 * start private is kept; at offsets that start shared it is discarded.
	 * Changes made to the fd later behind the store's back (fallocate,
	 * write) are not observed and are unsupported.
	 */
	int fd;
	const char *name; /* for /proc and reports; may be NULL */
};

/* Name of a backend ("guest_memfd", "memfd", ...). */
const char *pm_gmem_backend_name(enum pm_gmem_backend b);

/**
 * pm_gmem_create() - create a store
 * Return: 0 and *@out, or -EINVAL (bad size, flags or fd), -EBADF (an
 * adopted fd that is not open), -EOPNOTSUPP
 * (the host lacks the backend: the reason is logged), -ENOMEM, -ENOSPC (no
 * huge pages), or the errno of the failing system call.
 */
int pm_gmem_create(const struct pm_gmem_config *cfg, struct pm_gmem **out);

/* Close the store: notifiers see PM_GMEM_EV_CLOSE first. Never fails. */
void pm_gmem_close(struct pm_gmem *g);

uint64_t pm_gmem_size(const struct pm_gmem *g);
/* The conversion granule: the backend's page size. */
uint64_t pm_gmem_granule(const struct pm_gmem *g);
enum pm_gmem_backend pm_gmem_backend_of(const struct pm_gmem *g);
/* The private backing fd (the guest_memfd of a KVM memslot). */
int pm_gmem_private_fd(const struct pm_gmem *g);
/* The shared backing fd (a memfd; MAP_FILE-able like any memfd). */
int pm_gmem_shared_fd(const struct pm_gmem *g);
/* The VM the guest_memfd belongs to, or -1. */
int pm_gmem_vm_fd(const struct pm_gmem *g);

/*
 * The host view: the whole store, one mapping. Shared pages read and write;
 * private pages fault (SIGBUS; a fault-safe copy gets EFAULT). Valid until
 * pm_gmem_close(). The view is not inherited by fork(): a child has no
 * mapping there (MADV_DONTFORK), since it would not inherit the guard.
 */
void *pm_gmem_host_view(const struct pm_gmem *g);

/**
 * pm_gmem_kvm_window() - the KVM window: an address range for userspace_addr
 * @addr: out: the window's start, aligned to the granule; it spans the
 *        store's created size and stays valid until pm_gmem_close()
 *
 * For hosts whose KVM reads guest memory through a memslot's
 * userspace_addr even for a guest_memfd memslot (kvm_pvm: a memslot with
 * userspace_addr 0 does not run a guest there). The window shows, run by
 * run, the backing each page is on: the private backing for private pages,
 * the shared memfd for shared ones, and nothing (PROT_NONE) past the
 * current size. Conversions, truncation and close keep it in step; a
 * conversion changes it before it discards anything, and a failed one
 * leaves it as it was. Created on the first call (later calls return the
 * same address); it is not inherited by fork().
 *
 * Use it for nothing but KVM: it is a standing mapping of private memory.
 * Host code reads guest memory through the host view or the trusted path.
 * It costs one VMA per run of equal state; vm.max_map_count bounds the
 * number of runs (a conversion past it fails with -ENOMEM, unchanged).
 * Return: 0, -EOPNOTSUPP (the private backing cannot be mapped: guest_memfd
 * without GUEST_MEMFD_FLAG_MMAP), -ENOMEM, or the errno of mmap.
 */
int pm_gmem_kvm_window(struct pm_gmem *g, void **addr);

/* 1 if the page at @offset is private, 0 if shared, or -EINVAL (outside the
 * store, or no store). */
int pm_gmem_is_private(struct pm_gmem *g, uint64_t offset);

struct pm_gmem_stats {
	uint64_t size;
	uint64_t private_bytes;
	uint64_t shared_bytes;
	uint64_t nr_extents;	  /* private extents in the state structure */
	uint64_t state_bytes;	  /* memory the state structure uses */
	uint64_t nr_pinned;	  /* pages held through get_pfn */
	uint64_t conversions;	  /* successful pm_gmem_convert() calls */
	uint64_t bytes_converted; /* pages that changed sides, in bytes */
};
int pm_gmem_get_stats(struct pm_gmem *g, struct pm_gmem_stats *st);

/* pm_gmem_convert() flags */
enum {
	/* Keep the content: the page moves sides with its bytes (in place). */
	PM_GMEM_CONVERT_KEEP = 1 << 0,
};

/**
 * pm_gmem_convert() - convert a range to shared or private
 * @offset, @length: granule-aligned (-EINVAL), inside the store (-EINVAL),
 *                   not wrapping (-EOVERFLOW)
 * @to: the target state
 * @flags: PM_GMEM_CONVERT_KEEP or 0 (others: -EINVAL)
 * @error_offset: on -EAGAIN, the offset of the first page still pinned;
 *                may be NULL
 *
 * Pages already in the target state are left as they are (a mixed range
 * succeeds). Notifiers see begin (any may refuse: its errno is returned)
 * and end. A page held through get_pfn that its holder does not release in
 * begin makes the call fail with -EAGAIN. On any failure nothing changed:
 * states, contents and mappings are as before the call.
 * Return: 0, or -EINVAL/-EOVERFLOW (arguments, nothing called), -EAGAIN (a
 * page still held), the errno a notifier refused with, -EOPNOTSUPP (KEEP on
 * a guest_memfd the host cannot map), -ENOSPC (no page for the destination
 * side, e.g. an empty huge-page pool), -ENOMEM, or the errno of a failing
 * system call.
 */
int pm_gmem_convert(struct pm_gmem *g, uint64_t offset, uint64_t length,
		    enum pm_gmem_state to, uint32_t flags,
		    uint64_t *error_offset);

/**
 * pm_gmem_populate() - load initial content into private pages
 * The launch path (as KVM's SNP_LAUNCH_UPDATE or TDX's INIT_MEM_REGION):
 * @src is copied into the range, which must be private (-EINVAL if any page
 * is shared). @offset and @length need not be granule-aligned. @src is read
 * fault-safely: a bad pointer gives -EFAULT, and the range may then hold
 * part of the bytes (as the kernel's launch-update ioctls leave it).
 * Return: 0 or -errno.
 */
int pm_gmem_populate(struct pm_gmem *g, uint64_t offset, const void *src,
		     uint64_t length);

/**
 * pm_gmem_punch() - discard the content of a range, keeping its state
 * Notifiers see PM_GMEM_EV_PUNCH first (begin may not refuse). Afterwards
 * the pages read zeros. Granule-aligned. Return: 0 or -errno.
 */
int pm_gmem_punch(struct pm_gmem *g, uint64_t offset, uint64_t length);

/**
 * pm_gmem_truncate() - change the store's size
 * Shrinking invalidates (PM_GMEM_EV_TRUNCATE) and discards the tail;
 * growing back up to the size the store was created with exposes zeroed
 * pages in their recorded state. Beyond the created size: -EINVAL.
 */
int pm_gmem_truncate(struct pm_gmem *g, uint64_t size);

/*
 * The provider API: the seed's backing-store helper (get_pfn/put_pfn).
 * A consumer (the IOMMU, the VMM, the trusted-device path) takes a page by
 * offset and holds it until put. While held, the page cannot change state:
 * a conversion asks the holder to let go through its notifier, and fails
 * with -EAGAIN if it does not.
 */
#define PM_GMEM_PFN_UNKNOWN UINT64_MAX

struct pm_gmem_page {
	uint64_t offset;    /* start of the page (aligned to its order) */
	unsigned int order; /* log2(page size / 4 KiB): 0, 9 or 18 */
	bool is_private;
	uint64_t pfn;  /* host PFN from /proc/self/pagemap, or UNKNOWN */
	void *ptr;     /* the page's bytes: the host view for a shared page,
			* a mapping made for this hold for a private page
			* (NULL if the backend cannot be mapped); valid until
			* put */
	uint32_t pins; /* holds on the page including this one */
	/* private: */
	void *__hold;
};

/* pm_gmem_get_pfn() flags */
enum {
	/* Fail with -EPERM instead of returning a private page. */
	PM_GMEM_GET_SHARED_ONLY = 1 << 0,
	/* Do not map a private page (ptr stays NULL). */
	PM_GMEM_GET_NO_MAP = 1 << 1,
};

int pm_gmem_get_pfn(struct pm_gmem *g, uint64_t offset, uint32_t flags,
		    struct pm_gmem_page *page);
void pm_gmem_put_pfn(struct pm_gmem *g, struct pm_gmem_page *page);

/* Holds on the page containing @offset, or -EINVAL. */
int pm_gmem_pin_count(struct pm_gmem *g, uint64_t offset);

/*
 * Invalidation notifiers: the seed's memfile_notifier. A consumer that maps
 * or holds pages registers one; the store calls begin before pages change
 * state or go away, with the store's conversion lock held, so a consumer
 * may take its own locks (the store's lock ranks above them) but must not
 * call pm_gmem_convert/punch/truncate/close from the callback. It may call
 * get_pfn/put_pfn.
 */
enum pm_gmem_event {
	PM_GMEM_EV_TO_PRIVATE = 1, /* shared -> private */
	PM_GMEM_EV_TO_SHARED = 2,  /* private -> shared */
	PM_GMEM_EV_PUNCH = 3,	   /* content discarded */
	PM_GMEM_EV_TRUNCATE = 4,   /* range leaves the store */
	PM_GMEM_EV_CLOSE = 5,	   /* the store is closing */
	PM_GMEM_EV_GROW = 6,	   /* range joins the store (truncate up) */
};

struct pm_gmem_notifier {
	/*
	 * Drop references to [offset, offset + length). For conversions a
	 * non-zero -errno refuses and aborts the call; for other events the
	 * return value is ignored (pages go regardless). PM_GMEM_EV_GROW is
	 * the exception that adds: the range has just joined the store (its
	 * pages are in their state, readable by get_pfn) and a consumer
	 * that reaches the store by offset may map it; -errno refuses and
	 * the store keeps its old size (end sees the error).
	 */
	int (*begin)(struct pm_gmem_notifier *n, struct pm_gmem *g,
		     enum pm_gmem_event ev, uint64_t offset, uint64_t length);
	/* The change is done (@result 0) or was aborted (-errno). */
	void (*end)(struct pm_gmem_notifier *n, struct pm_gmem *g,
		    enum pm_gmem_event ev, uint64_t offset, uint64_t length,
		    int result);
	void *opaque;
	/* private: */
	void *__next;
};

int pm_gmem_register_notifier(struct pm_gmem *g, struct pm_gmem_notifier *n);
void pm_gmem_unregister_notifier(struct pm_gmem *g, struct pm_gmem_notifier *n);

#ifdef __cplusplus
}
#endif

#endif
