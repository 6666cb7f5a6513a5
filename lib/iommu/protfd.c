// SPDX-License-Identifier: MIT
/*
 * The protection fd: one emulated device bound to one guest's private
 * memory, with TDISP-like states (include/privmem/protfd.h has the state
 * table, which is the contract).
 *
 * Why here: the binding is an IOMMU object in all but name. What it
 * guards is a domain (the trusted one) and the device's transactions, and
 * its revocation is an IOMMU operation (drain, unmap, flush). The device
 * side it needs (struct pm_device, the DMA path) is emu_iommu.c's, and the
 * memory side (holds, notifiers) is the store's provider API, which every
 * IOMMU consumer uses. So it sits beside emu_iommu.c, with the private MMIO
 * region (a gmem store of its own) and the BAR export (emu_iommu.c).
 *
 * Data model
 * ----------
 * struct pm_protfd has:
 *   - state: UNLOCKED, LOCKED, RUN or ERROR; changed under ->lock (the
 *     operations) and ->holds_lock (so the DMA fill path, which holds only
 *     the latter, sees a consistent value);
 *   - the report digest taken at lock (the configuration then frozen);
 *   - tdomain: an emulated-IOMMU IO page table holding translations, at
 *     iova_base + offset, for private pages of the guest's store only;
 *     the device's trusted IOTLB (dev->ttlb) sits on it for the binding's
 *     life;
 *   - holds: one node per store granule the trusted path holds
 *     (pm_gmem_get_pfn, which maps the private page into the process),
 *     each with exactly one translation in tdomain.
 *
 * Invariants
 * ----------
 *   - A translation in tdomain exists only for a held page, only in RUN,
 *     and only while the page is private: holds and translations come and
 *     go together (fill adds both; release removes the translation first,
 *     draining DMA, then puts the hold).
 *   - Outside RUN tdomain is empty and nothing is held.
 *   - A page converting to shared, leaving the store, or the store
 *     closing is released in the store's notifier (begin) before the store
 *     goes on; while that runs, inval marks the range so that a concurrent
 *     fill cannot put it back.
 *
 * Filling on demand
 * -----------------
 * The trusted DMA path (emu_iommu.c) translates through dev->ttlb with the
 * device lock and tdomain's dma_lock held for read; a miss calls
 * protfd_fill(), which, under holds_lock, checks RUN and the invalidation
 * mark, holds the granule (the store refuses with -EAGAIN during a
 * conversion of it), checks it is private, and maps it. Release takes
 * dma_lock for write (iommu_unmap), so it waits for every fill and copy in
 * flight, and a fill that starts after the mark is refused.
 *
 * Locking
 * -------
 * ->lock (LOCK_RANK_PROTFD) serializes the operations (lock, accept, stop,
 * error, reset, destroy); it ranks below the store's conversion lock, and
 * the store's notifier never takes it. ->holds_lock
 * (LOCK_RANK_PROTFD_HOLDS) ranks between a domain's dma_lock and the
 * domain's own lock: fill takes it inside dma_lock (read), release takes it
 * after iommu_unmap has dropped dma_lock. The revoke callback runs with no
 * privmem lock held.
 */
#include <errno.h>
#include <string.h>
#include "config.h"
#include "common/interval_tree.h"
#include "common/lock_ranks.h"
#include "common/log.h"
#include "common/overflow.h"
#include "common/sys.h"
#include "emu_iommu.h"
#if HAVE_LIBCRYPTO
#include <openssl/evp.h>
#endif

static DEFINE_LOCK_CLASS(protfd_class, LOCK_RANK_PROTFD);
static DEFINE_LOCK_CLASS(protfd_holds_class, LOCK_RANK_PROTFD_HOLDS);

struct trusted_hold {
	struct interval_tree_node node; /* store offsets of the granule */
	struct pm_gmem_page page;
};

struct pm_protfd {
	struct mutex lock; /* the operations */
	struct pm_device *dev;
	struct pm_gmem *gmem; /* NULL once the store closed */
	u64 size;	       /* of the store */
	u64 iova_base;
	u64 granule;
	void (*revoke)(struct pm_protfd *pf, enum pm_protfd_revoke_reason why,
		       void *opaque);
	void *opaque;

	/* Under both ->lock and ->holds_lock to change; either to read. */
	enum pm_tdi_state state;
	struct pm_tdi_report report; /* taken at lock */

	struct iommu_domain *tdomain;
	struct pm_gmem_notifier nb; /* on gmem */

	struct mutex holds_lock;
	struct interval_tree_root holds; /* struct trusted_hold */
	u64 nr_held;
	bool inval; /* a release of [inval_start, inval_last] is running */
	u64 inval_start, inval_last;

	struct pm_gmem *mmio; /* the private MMIO region, or NULL */
	u64 mmio_size;

	u64 fills, revocations; /* relaxed atomics */
};

const char *pm_tdi_state_name(enum pm_tdi_state s)
{
	switch (s) {
	case PM_TDI_UNLOCKED:
		return "UNLOCKED";
	case PM_TDI_LOCKED:
		return "LOCKED";
	case PM_TDI_RUN:
		return "RUN";
	case PM_TDI_ERROR:
		return "ERROR";
	}
	return "unknown";
}

/* ------------------------------------------------- holds and release */

/* Put every hold in [start, last] (store offsets); holds_lock held. */
static void put_holds_locked(struct pm_protfd *pf, u64 start, u64 last)
{
	struct interval_tree_node *n;

	while ((n = interval_tree_iter_first(&pf->holds, start, last))) {
		struct trusted_hold *h =
			container_of(n, struct trusted_hold, node);

		interval_tree_remove(n, &pf->holds);
		pm_gmem_put_pfn(pf->gmem, &h->page);
		kfree(h);
		pf->nr_held--;
	}
}

/*
 * Release [start, last] of the store from the trusted path: mark it (fills
 * refuse), remove its translations (draining trusted DMA in flight and
 * flushing the trusted IOTLB), put the holds, unmark.
 */
static void release_range(struct pm_protfd *pf, u64 start, u64 last)
{
	u64 iova = pf->iova_base + start;

	mutex_lock(&pf->holds_lock);
	pf->inval = true;
	pf->inval_start = start;
	pf->inval_last = last;
	mutex_unlock(&pf->holds_lock);

	iommu_unmap(pf->tdomain, iova, last - start + 1);

	mutex_lock(&pf->holds_lock);
	put_holds_locked(pf, start, last);
	pf->inval = false;
	mutex_unlock(&pf->holds_lock);
}

int protfd_fill(struct pm_protfd *pf, u64 iova)
{
	struct trusted_hold *h;
	u64 off;
	int rc, reason = 0;

	if (iova < pf->iova_base || iova - pf->iova_base >= pf->size)
		return PM_DMA_FAULT_UNMAPPED;
	off = ALIGN_DOWN(iova - pf->iova_base, pf->granule);
	mutex_lock(&pf->holds_lock);
	if (pf->state != PM_TDI_RUN || !pf->gmem) {
		reason = PM_DMA_FAULT_NOT_RUN;
		goto out;
	}
	if (pf->inval && off <= pf->inval_last &&
	    off + pf->granule - 1 >= pf->inval_start) {
		reason = PM_DMA_FAULT_SHARED; /* leaving the private side */
		goto out;
	}
	if (interval_tree_iter_first(&pf->holds, off, off)) {
		/* Another DMA thread filled it meanwhile. */
		goto out;
	}
	h = kzalloc(sizeof(*h));
	if (!h) {
		reason = PM_DMA_FAULT_MEMORY;
		goto out;
	}
	rc = pm_gmem_get_pfn(pf->gmem, off, 0, &h->page);
	if (rc || !h->page.is_private || !h->page.ptr) {
		/*
		 * -EAGAIN: converting now; -EINVAL: past the end of a store
		 * shrunk since; a shared page is not T=1's. Any other error
		 * is the host failing to hold or map a private page
		 * (allocation, fallocate, mmap, pagemap): MEMORY, not
		 * SHARED, which would tell the device the page left the
		 * private side when it did not.
		 */
		reason = (rc == -EAGAIN || rc == -EINVAL ||
			  (!rc && !h->page.is_private)) ?
				 PM_DMA_FAULT_SHARED :
				 PM_DMA_FAULT_MEMORY;
		if (!rc)
			pm_gmem_put_pfn(pf->gmem, &h->page);
		kfree(h);
		goto out;
	}
	rc = iommu_map(pf->tdomain, pf->iova_base + off, h->page.ptr,
		       pf->granule, IOMMU_READ | IOMMU_WRITE);
	if (rc) {
		pm_gmem_put_pfn(pf->gmem, &h->page);
		kfree(h);
		reason = PM_DMA_FAULT_MEMORY;
		goto out;
	}
	h->node.start = off;
	h->node.last = off + pf->granule - 1;
	interval_tree_insert(&h->node, &pf->holds);
	pf->nr_held++;
	__atomic_fetch_add(&pf->fills, 1, __ATOMIC_RELAXED);
out:
	mutex_unlock(&pf->holds_lock);
	return reason;
}

struct iommu_domain *protfd_domain(struct pm_protfd *pf)
{
	return pf->tdomain;
}

bool protfd_running(struct pm_protfd *pf)
{
	return __atomic_load_n(&pf->state, __ATOMIC_ACQUIRE) == PM_TDI_RUN;
}

/* --------------------------------------------------- the store's side */

/*
 * Pages leaving the private side (or the store) leave the trusted path
 * before the store goes on. A conversion to private needs nothing: the
 * page is filled at its first trusted access. Punching keeps holds (the
 * page stays private, zeroed) but drains trusted DMA in flight.
 */
static int gmem_begin(struct pm_gmem_notifier *nb, struct pm_gmem *g,
		      enum pm_gmem_event ev, uint64_t offset, uint64_t length)
{
	struct pm_protfd *pf = nb->opaque;

	if (!length)
		return 0;
	switch (ev) {
	case PM_GMEM_EV_TO_SHARED:
	case PM_GMEM_EV_TRUNCATE:
	case PM_GMEM_EV_CLOSE:
		release_range(pf, ALIGN_DOWN(offset, pf->granule),
			      offset + length - 1);
		break;
	case PM_GMEM_EV_PUNCH:
		iommu_drain(pf->tdomain);
		break;
	case PM_GMEM_EV_TO_PRIVATE:
	case PM_GMEM_EV_GROW:
		break;
	}
	return 0;
}

static void gmem_end(struct pm_gmem_notifier *nb, struct pm_gmem *g,
		     enum pm_gmem_event ev, uint64_t offset, uint64_t length,
		     int result)
{
	struct pm_protfd *pf = nb->opaque;

	if (ev != PM_GMEM_EV_CLOSE)
		return;
	/* The binding outlives the store: trusted DMA faults from now on. */
	mutex_lock(&pf->holds_lock);
	pf->gmem = NULL;
	mutex_unlock(&pf->holds_lock);
}

/* ------------------------------------------------------------ report */

static int take_report(struct pm_protfd *pf, struct pm_tdi_report *r)
{
#if HAVE_LIBCRYPTO
	struct pm_device *dev = pf->dev;
	unsigned int i, len = 0;
	EVP_MD_CTX *ctx;
	int ok;

	memset(r, 0, sizeof(*r));
	r->config_len = PM_DEVICE_CONFIG_SIZE;
	for (i = 0; i < EMU_NR_BARS; i++) {
		r->bar_size[i] = dev->bar[i] ? dev->bar_size[i] : 0;
		if (dev->bar[i])
			r->nr_bars++;
	}
	r->mmio_size = pf->mmio_size;
	snprintf(r->name, sizeof(r->name), "%s", dev->name);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, dev->config, PM_DEVICE_CONFIG_SIZE) &&
	     EVP_DigestUpdate(ctx, &r->config_len,
			      sizeof(*r) - offsetof(struct pm_tdi_report,
						    config_len)) &&
	     EVP_DigestFinal_ex(ctx, r->digest, &len) &&
	     len == PM_TDI_DIGEST_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -ENOMEM;
#else
	(void)pf;
	(void)r;
	pr_err("protfd: built without libcrypto: no device report digest");
	return -EOPNOTSUPP;
#endif
}

/* ------------------------------------------------------ revocation */

/* Out of RUN (or LOCKED) into @to; ->lock held. Returns whether it ran. */
static bool leave_locked(struct pm_protfd *pf, enum pm_tdi_state to)
{
	bool was_run = pf->state == PM_TDI_RUN;

	mutex_lock(&pf->holds_lock);
	__atomic_store_n(&pf->state, to, __ATOMIC_RELEASE);
	mutex_unlock(&pf->holds_lock);
	if (was_run) {
		/* Fills refuse from here; drain, unmap, put everything. */
		release_range(pf, 0, pf->size - 1);
		__atomic_fetch_add(&pf->revocations, 1, __ATOMIC_RELAXED);
	}
	return was_run;
}

static void revoked(struct pm_protfd *pf, bool was_run,
		    enum pm_protfd_revoke_reason why)
{
	if (was_run && pf->revoke)
		pf->revoke(pf, why, pf->opaque);
}

/* ------------------------------------------------------ operations */

int pm_protfd_lock(struct pm_protfd *pf)
{
	struct pm_tdi_report r;
	int rc;

	if (!pf)
		return -EINVAL;
	mutex_lock(&pf->lock);
	switch (pf->state) {
	case PM_TDI_UNLOCKED:
		rc = take_report(pf, &r);
		if (rc)
			break;
		pf->report = r;
		mutex_lock(&pf->holds_lock);
		pf->state = PM_TDI_LOCKED;
		mutex_unlock(&pf->holds_lock);
		break;
	case PM_TDI_ERROR:
		rc = -EIO;
		break;
	default:
		rc = -EBUSY;
	}
	mutex_unlock(&pf->lock);
	return rc;
}

int pm_protfd_get_report(struct pm_protfd *pf, struct pm_tdi_report *r)
{
	int rc = 0;

	if (!pf || !r)
		return -EINVAL;
#if !HAVE_LIBCRYPTO
	return -EOPNOTSUPP;
#endif
	mutex_lock(&pf->lock);
	if (pf->state == PM_TDI_UNLOCKED)
		rc = -EPERM;
	else if (pf->state == PM_TDI_ERROR)
		rc = -EIO;
	else
		*r = pf->report;
	mutex_unlock(&pf->lock);
	return rc;
}

int pm_protfd_accept(struct pm_protfd *pf,
		     const uint8_t digest[PM_TDI_DIGEST_LEN])
{
	int rc = 0;

	if (!pf || !digest)
		return -EINVAL;
	mutex_lock(&pf->lock);
	switch (pf->state) {
	case PM_TDI_UNLOCKED:
		rc = -EPERM;
		break;
	case PM_TDI_ERROR:
		rc = -EIO;
		break;
	case PM_TDI_RUN:
		rc = -EBUSY;
		break;
	case PM_TDI_LOCKED:
		if (memcmp(digest, pf->report.digest, PM_TDI_DIGEST_LEN)) {
			rc = -EKEYREJECTED;
			break;
		}
		mutex_lock(&pf->holds_lock);
		__atomic_store_n(&pf->state, PM_TDI_RUN, __ATOMIC_RELEASE);
		mutex_unlock(&pf->holds_lock);
		break;
	}
	mutex_unlock(&pf->lock);
	return rc;
}

int pm_protfd_stop(struct pm_protfd *pf)
{
	bool was_run;

	if (!pf)
		return -EINVAL;
	mutex_lock(&pf->lock);
	was_run = leave_locked(pf, PM_TDI_UNLOCKED);
	mutex_unlock(&pf->lock);
	revoked(pf, was_run, PM_PROTFD_REVOKE_STOP);
	return 0;
}

static void error_or_reset(struct pm_protfd *pf, bool reset)
{
	enum pm_tdi_state to = reset ? PM_TDI_UNLOCKED : PM_TDI_ERROR;
	bool was_run = false;

	mutex_lock(&pf->lock);
	/* An error in UNLOCKED changes nothing: nothing was frozen yet. */
	if (reset || pf->state == PM_TDI_LOCKED || pf->state == PM_TDI_RUN)
		was_run = leave_locked(pf, to);
	mutex_unlock(&pf->lock);
	revoked(pf, was_run,
		reset ? PM_PROTFD_REVOKE_RESET : PM_PROTFD_REVOKE_ERROR);
}

int pm_protfd_error(struct pm_protfd *pf)
{
	if (!pf)
		return -EINVAL;
	error_or_reset(pf, false);
	return 0;
}

void protfd_device_error(struct pm_protfd *pf)
{
	error_or_reset(pf, false);
}

void protfd_device_reset(struct pm_protfd *pf)
{
	error_or_reset(pf, true);
}

enum pm_tdi_state pm_protfd_state(const struct pm_protfd *pf)
{
	return pf ? __atomic_load_n(&pf->state, __ATOMIC_ACQUIRE) :
		    PM_TDI_ERROR;
}

int pm_protfd_mmio(struct pm_protfd *pf, int *fd, uint64_t *size)
{
	int rc = 0;

	if (!pf || !fd || !size)
		return -EINVAL;
	mutex_lock(&pf->lock);
	if (!pf->mmio)
		rc = -ENOENT;
	else if (pf->state != PM_TDI_RUN)
		rc = -EPERM;
	else {
		*fd = pm_gmem_private_fd(pf->mmio);
		*size = pf->mmio_size;
	}
	mutex_unlock(&pf->lock);
	return rc;
}

struct pm_gmem *pm_protfd_mmio_store(struct pm_protfd *pf)
{
	return pf ? pf->mmio : NULL;
}

int pm_protfd_get_stats(struct pm_protfd *pf, struct pm_protfd_stats *st)
{
	if (!pf || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	mutex_lock(&pf->holds_lock);
	st->trusted_held = pf->nr_held;
	mutex_unlock(&pf->holds_lock);
	st->trusted_fills = __atomic_load_n(&pf->fills, __ATOMIC_RELAXED);
	st->revocations = __atomic_load_n(&pf->revocations, __ATOMIC_RELAXED);
	return 0;
}

/* --------------------------------------------------- bind and unbind */

static int mmio_create(struct pm_protfd *pf, const struct pm_protfd_config *cfg)
{
	struct pm_gmem_config gc = {
		.backend = cfg->vm_fd >= 0 ? PM_GMEM_GUEST_MEMFD :
					     PM_GMEM_MEMFD,
		.size = cfg->mmio_size,
		.flags = PM_GMEM_F_INIT_PRIVATE,
		.vm_fd = cfg->vm_fd,
		.fd = -1,
		.name = "protfd-mmio",
	};

	pf->mmio_size = cfg->mmio_size;
	return pm_gmem_create(&gc, &pf->mmio);
}

int pm_protfd_create(struct pm_device *dev, const struct pm_protfd_config *cfg,
		     struct pm_protfd **out)
{
	struct pm_protfd *pf;
	u64 last;
	int rc;

	if (!dev || !cfg || !out || !cfg->gmem || cfg->mmio_size % PAGE_SIZE ||
	    range_last(cfg->iova_base, pm_gmem_size(cfg->gmem), &last))
		return -EINVAL;
	pf = kzalloc(sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->lock, &protfd_class);
	mutex_init(&pf->holds_lock, &protfd_holds_class);
	pf->dev = dev;
	pf->gmem = cfg->gmem;
	pf->size = pm_gmem_size(cfg->gmem);
	pf->granule = pm_gmem_granule(cfg->gmem);
	pf->iova_base = cfg->iova_base;
	pf->revoke = cfg->revoke;
	pf->opaque = cfg->opaque;
	pf->state = PM_TDI_UNLOCKED;
	pf->tdomain = emu_domain_alloc(SZ_4K | SZ_2M | SZ_1G);
	if (IS_ERR(pf->tdomain)) {
		rc = (int)PTR_ERR(pf->tdomain);
		goto err_free;
	}
	if (cfg->mmio_size) {
		rc = mmio_create(pf, cfg);
		if (rc)
			goto err_domain;
	}
	pf->nb.begin = gmem_begin;
	pf->nb.end = gmem_end;
	pf->nb.opaque = pf;
	rc = pm_gmem_register_notifier(pf->gmem, &pf->nb);
	if (rc)
		goto err_mmio;

	down_write(&dev->lock);
	if (dev->protfd) {
		up_write(&dev->lock);
		rc = -EBUSY;
		goto err_nb;
	}
	dev->protfd = pf;
	iotlb_attach(&dev->ttlb, pf->tdomain);
	up_write(&dev->lock);
	*out = pf;
	return 0;

err_nb:
	pm_gmem_unregister_notifier(pf->gmem, &pf->nb);
err_mmio:
	pm_gmem_close(pf->mmio);
err_domain:
	pf->tdomain->ops->free(pf->tdomain);
err_free:
	mutex_destroy(&pf->holds_lock);
	mutex_destroy(&pf->lock);
	kfree(pf);
	return rc;
}

void pm_protfd_destroy(struct pm_protfd *pf)
{
	struct pm_device *dev;
	bool was_run;

	if (!pf)
		return;
	dev = pf->dev;
	mutex_lock(&pf->lock);
	was_run = leave_locked(pf, PM_TDI_UNLOCKED);
	mutex_unlock(&pf->lock);
	revoked(pf, was_run, PM_PROTFD_REVOKE_UNBIND);

	down_write(&dev->lock);
	iotlb_detach(&dev->ttlb);
	dev->protfd = NULL;
	up_write(&dev->lock);
	if (pf->gmem)
		pm_gmem_unregister_notifier(pf->gmem, &pf->nb);
	pm_gmem_close(pf->mmio);
	pf->tdomain->ops->free(pf->tdomain);
	mutex_destroy(&pf->holds_lock);
	mutex_destroy(&pf->lock);
	kfree(pf);
}
