/* SPDX-License-Identifier: MIT */
/*
 * The protection fd: a device trusted by the guest (TDISP / TEE-IO style
 * "protected" device) bound to the guest's private memory.
 *
 * A pm_protfd binds one emulated device (device.h) to one guest: its gmem
 * store, and the IOVA at which store offset 0 sits in the trusted address
 * space (the guest physical address: a trusted device uses GPAs, as TDX
 * Connect and SEV-TIO devices do). It follows the TDISP interface states:
 *
 *   UNLOCKED  bound; the device's configuration may change; no trusted DMA
 *   LOCKED    configuration frozen; the guest may fetch the report
 *   RUN       accepted by the guest: trusted (T=1) DMA reaches private pages
 *   ERROR     the device failed or its locked configuration changed; no
 *             trusted DMA until stopped (or reset), locked and accepted again
 *
 * Operations, the states each is valid in, the result, and the errno of an
 * invalid call (the state is then unchanged):
 *
 *   operation          UNLOCKED     LOCKED          RUN           ERROR
 *   -----------------  -----------  --------------  ------------  ----------
 *   create (bind)      -> UNLOCKED  (a new binding; -EBUSY if the device
 *                                    already has one)
 *   lock               -> LOCKED    -EBUSY          -EBUSY        -EIO
 *   get_report         -EPERM       ok (LOCKED)     ok (RUN)      -EIO
 *   accept(digest)     -EPERM       -> RUN, or      -EBUSY        -EIO
 *                                   -EKEYREJECTED
 *                                   (digest differs;
 *                                   stays LOCKED)
 *   stop               ok (stays)   -> UNLOCKED     -> UNLOCKED   -> UNLOCKED
 *   reset (device)     ok (stays)   -> UNLOCKED     -> UNLOCKED   -> UNLOCKED
 *   error (device)     ok (stays)   -> ERROR        -> ERROR      ok (stays)
 *   config write       ok           -> ERROR        -> ERROR      ok
 *   unbind (destroy)   freed        freed           freed         freed
 *   trusted DMA        fault        fault           private pages fault
 *   private MMIO       none         none            bound         none
 *
 * Leaving RUN (stop, reset, error, config write, unbind) revokes at once,
 * before the call returns: trusted DMA in flight drains, every trusted
 * translation goes, the pages the trusted path held are released, and the
 * private MMIO binding is cut (the revoke callback runs). Later trusted DMA
 * faults (PM_DMA_FAULT_NOT_RUN).
 *
 * Trusted translations. Only a device in RUN reaches private pages, through
 * a domain of its own (an IO page table of the emulated IOMMU) holding
 * translations for private pages only; its untrusted (T=0) transactions
 * still go through its ordinary domain, which holds shared pages only. The
 * trusted domain is filled on demand, as a device with ATS and page
 * requests fills its IOTLB: the first trusted access to a private page
 * holds the page in the store (pm_gmem_get_pfn, which maps it into the
 * process) and maps it; the hold lasts until the page converts to shared,
 * leaves the store, or the binding is revoked, and then the page is
 * unmapped from the process too. So a private page is mapped into the
 * process only while the trusted path holds it. A page converted to
 * private is reachable by trusted DMA at once (filled at first use); a page
 * converted to shared leaves the trusted domain before the conversion
 * returns and stays reachable through T=0.
 *
 * Private MMIO. A protected device may have a private MMIO region: device
 * memory the guest reaches directly while the device is in RUN and host
 * code never maps. It lives in a gmem store of its own whose pages are all
 * private (a guest_memfd on the VM when a VM fd is given, else a memfd);
 * the VMM binds it to a memslot by (fd, offset), as it binds private RAM,
 * when pm_protfd_mmio() lets it (RUN only), and deletes that memslot from
 * the revoke callback, which runs before any revocation returns.
 *
 * All functions return 0 or -errno unless stated otherwise.
 */
#ifndef PRIVMEM_PROTFD_H
#define PRIVMEM_PROTFD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pm_device;
struct pm_gmem;
struct pm_protfd;

enum pm_tdi_state {
	PM_TDI_UNLOCKED = 0,
	PM_TDI_LOCKED = 1,
	PM_TDI_RUN = 2,
	PM_TDI_ERROR = 3,
};

/* Why the binding was revoked, for the revoke callback. */
enum pm_protfd_revoke_reason {
	PM_PROTFD_REVOKE_STOP = 1,
	PM_PROTFD_REVOKE_RESET = 2,
	PM_PROTFD_REVOKE_ERROR = 3,
	PM_PROTFD_REVOKE_UNBIND = 4,
};

struct pm_protfd_config {
	struct pm_gmem *gmem; /* the guest's memory (private and shared) */
	uint64_t iova_base;   /* trusted IOVA of store offset 0 (the GPA) */
	/* Private MMIO region: 0 for none; a multiple of 4 KiB. */
	uint64_t mmio_size;
	/* VM to create the private MMIO region's guest_memfd on; -1: memfd. */
	int vm_fd;
	/*
	 * Called, with no privmem lock held, when the binding leaves RUN,
	 * before the revoking call returns: the VMM deletes the private MMIO
	 * memslot here. May be NULL.
	 */
	void (*revoke)(struct pm_protfd *pf, enum pm_protfd_revoke_reason why,
		       void *opaque);
	void *opaque;
};

/* The device interface report the guest checks before accepting. */
#define PM_TDI_DIGEST_LEN 32
struct pm_tdi_report {
	uint8_t digest[PM_TDI_DIGEST_LEN]; /* SHA-256 of what follows */
	uint32_t config_len;		   /* bytes of config space covered */
	uint32_t nr_bars;
	uint64_t bar_size[6];
	uint64_t mmio_size; /* the private MMIO region */
	char name[32];
};

/*
 * pm_protfd_create() - bind @dev to a guest (state UNLOCKED)
 * -EBUSY: the device already has a binding; -EINVAL: bad config (no store,
 * iova_base + store size overflows, mmio_size not page-aligned);
 * -EOPNOTSUPP: the private MMIO region's backend is unavailable.
 */
int pm_protfd_create(struct pm_device *dev, const struct pm_protfd_config *cfg,
		     struct pm_protfd **out);
/* Unbind: revokes (PM_PROTFD_REVOKE_UNBIND) if in RUN, then frees. */
void pm_protfd_destroy(struct pm_protfd *pf);

/*
 * Lock takes the report (the digest of the frozen configuration): without
 * a digest library (libcrypto) there is none to take, and lock fails with
 * -EOPNOTSUPP (the binding stays UNLOCKED), as does get_report.
 */
int pm_protfd_lock(struct pm_protfd *pf);
int pm_protfd_get_report(struct pm_protfd *pf, struct pm_tdi_report *r);
int pm_protfd_accept(struct pm_protfd *pf,
		     const uint8_t digest[PM_TDI_DIGEST_LEN]);
int pm_protfd_stop(struct pm_protfd *pf);
/* The device reports an error (or its locked configuration changed). */
int pm_protfd_error(struct pm_protfd *pf);
enum pm_tdi_state pm_protfd_state(const struct pm_protfd *pf);
const char *pm_tdi_state_name(enum pm_tdi_state s);

/*
 * pm_protfd_mmio() - the private MMIO region's binding, for a memslot
 * In RUN only (-EPERM otherwise; -ENOENT without a region): the fd to bind
 * (a guest_memfd on the VM, or a memfd) and the region's size; the region
 * starts at offset 0 of @fd. The fd stays owned by the protfd.
 */
int pm_protfd_mmio(struct pm_protfd *pf, int *fd, uint64_t *size);
/* The private MMIO region's store, for the device model's own accesses. */
struct pm_gmem *pm_protfd_mmio_store(struct pm_protfd *pf);

struct pm_protfd_stats {
	uint64_t trusted_held;	  /* private pages the trusted path holds */
	uint64_t trusted_fills;	  /* translations filled on demand */
	uint64_t revocations;
};
int pm_protfd_get_stats(struct pm_protfd *pf, struct pm_protfd_stats *st);

#ifdef __cplusplus
}
#endif

#endif
