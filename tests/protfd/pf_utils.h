/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the protfd suite (the files of tests/protfd): a device trusted
 * by the guest, bound to a gmem store through a protection fd
 * (<privmem/protfd.h>), its trusted (T=1) DMA, private MMIO, and device
 * memory (BARs) as fds. Public API only.
 *
 * The iommu suite's helpers (tests/iommu/dev_utils.h: devices, DMA and
 * fault assertions, on top of tests/iommufd/utils.h) are reused as they
 * are; this file adds the protection fd, the revoke-callback recorder,
 * trusted-DMA assertions and /proc/self/maps probes.
 *
 * Geometry: a store's offset 0 sits at IOVA GPA_BASE both in the device's
 * ordinary IOAS (pm_ioas_map_gmem) and in its trusted address space
 * (pm_protfd_config.iova_base): page i is at GPA_BASE + i * PG on both
 * paths. Shared page i holds pattern SH_SEED(i), private page i pattern
 * PV_SEED(i) (loaded with pm_gmem_populate).
 */
#ifndef PRIVMEM_TESTS_PROTFD_PF_UTILS_H
#define PRIVMEM_TESTS_PROTFD_PF_UTILS_H

#include <pthread.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <privmem/protfd.h>
#include <privmem/uapi/kvm.h>
#include "iommu/dev_utils.h"

#define GPA_BASE IOVA_BASE
#define GPA(page) (GPA_BASE + (uint64_t)(page)*PG)
#define SH_SEED(i) ((uint32_t)(i) + 1)
#define PV_SEED(i) ((uint32_t)(i) + 100)

/* Which backing a test's store uses. */
enum pf_backing {
	PF_MEMFD, /* PM_GMEM_MEMFD: everywhere */
	PF_GUEST_MEMFD, /* PM_GMEM_GUEST_MEMFD: SKIP without /dev/kvm */
	PF_BEST, /* guest_memfd where it works, else memfd */
};

/* ------------------------------------------------------------------ */
/* Atomics (the revoke callback and DMA threads share these).          */

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)

/* Spin (yielding) until @cond or @secs seconds pass; return @cond. */
#define WAIT_FOR(cond, secs)                                   \
	({                                                     \
		struct timespec __t0, __t;                     \
		bool __ok;                                     \
		clock_gettime(CLOCK_MONOTONIC, &__t0);         \
		for (;;) {                                     \
			__ok = (cond);                         \
			if (__ok)                              \
				break;                         \
			clock_gettime(CLOCK_MONOTONIC, &__t);  \
			if (__t.tv_sec - __t0.tv_sec > (secs)) \
				break;                         \
			sched_yield();                         \
		}                                              \
		__ok;                                          \
	})

/* ------------------------------------------------------------------ */
/* The revoke callback, recorded.                                      */

struct revoke_rec {
	struct pm_protfd *pf; /* the binding the callback must name */
	struct pm_device *dev; /* for a T=0 DMA from inside the callback */
	struct pm_gmem *g; /* its store, asked from inside too */
	uint64_t shared_iova; /* a shared page the device reaches (0: none) */
	int calls; /* how many times it ran */
	int reason; /* the last reason */
	int wrong_pf; /* calls naming another binding */
	int ran_after_return; /* calls after the revoking call returned */
	int returned; /* set by the test when the call returns */
	int state_in_cb; /* pm_protfd_state() from inside */
	int stats_rc; /* pm_protfd_get_stats() from inside */
	int mmio_rc, report_rc; /* pm_protfd_mmio(), _get_report() too */
	int dma_rc; /* T=0 DMA to shared_iova from inside */
	int is_private_rc; /* pm_gmem_is_private() from inside */
	/* Optional hook (the mmio suite deletes its memslot here). */
	void (*hook)(struct revoke_rec *r, enum pm_protfd_revoke_reason why);
	void *hook_opaque;
	int seq; /* global order stamp of the last call */
};

static int pf_seq; /* orders callbacks across recorders */

static inline void revoke_cb(struct pm_protfd *pf,
			     enum pm_protfd_revoke_reason why, void *opaque)
{
	struct revoke_rec *r = opaque;
	struct pm_protfd_stats st;
	struct pm_tdi_report rep;
	uint64_t size;
	uint8_t b[16];
	int fd;

	if (pf != r->pf)
		INC(r->wrong_pf);
	if (LOAD(r->returned))
		INC(r->ran_after_return);
	/*
	 * No privmem lock may be held here: these calls take the binding's
	 * locks (both), the device's and the store's (a deadlock ends the test by
	 * its watchdog; the lock checker aborts on a rank violation).
	 */
	r->state_in_cb = pm_protfd_state(pf);
	r->stats_rc = pm_protfd_get_stats(pf, &st);
	r->mmio_rc = pm_protfd_mmio(pf, &fd, &size);
	r->report_rc = pm_protfd_get_report(pf, &rep);
	r->is_private_rc = r->g ? pm_gmem_is_private(r->g, 0) : 0;
	r->dma_rc = r->dev && r->shared_iova ?
			    pm_dma_read(r->dev, r->shared_iova, b, sizeof(b)) :
			    0;
	if (r->hook)
		r->hook(r, why);
	STORE(r->reason, (int)why);
	STORE(r->seq, INC(pf_seq));
	INC(r->calls);
}

static inline void rec_arm(struct revoke_rec *r)
{
	STORE(r->returned, 0);
}

/* The revoking call returned: the callback may not run from now on. */
static inline void rec_returned(struct revoke_rec *r)
{
	STORE(r->returned, 1);
}

static inline void rec_clear(struct revoke_rec *r)
{
	STORE(r->calls, 0);
	STORE(r->reason, 0);
	STORE(r->wrong_pf, 0);
	STORE(r->ran_after_return, 0);
}

/*
 * The callback ran exactly once, for @why, naming the binding, before the
 * revoking call returned, and could call back into the library. Clears.
 */
#define ASSERT_REVOKED_ONCE(r, why)                                         \
	do {                                                                \
		if (LOAD((r)->calls) != 1)                                  \
			FAIL("revoke callback ran %d times, expected once", \
			     LOAD((r)->calls));                             \
		if (LOAD((r)->reason) != (int)(why))                        \
			FAIL("revoke reason %d, expected %s (%d)",          \
			     LOAD((r)->reason), #why, (int)(why));          \
		ASSERT_EQ(LOAD((r)->wrong_pf), 0);                          \
		ASSERT_EQ(LOAD((r)->ran_after_return), 0);                  \
		ASSERT_EQ((r)->stats_rc, 0);                                \
		ASSERT_GE((r)->state_in_cb, PM_TDI_UNLOCKED);               \
		ASSERT_LE((r)->state_in_cb, PM_TDI_ERROR);                  \
		ASSERT_GE((r)->is_private_rc, 0);                           \
		if ((r)->dev && (r)->shared_iova)                           \
			ASSERT_EQ((r)->dma_rc, 0);                          \
		rec_clear(r);                                               \
	} while (0)

#define ASSERT_NOT_REVOKED(r)                                             \
	do {                                                              \
		if (LOAD((r)->calls))                                     \
			FAIL("revoke callback ran %d times (reason %d), " \
			     "expected none",                             \
			     LOAD((r)->calls), LOAD((r)->reason));        \
	} while (0)

/* ------------------------------------------------------------------ */
/* Stores.                                                             */

/*
 * A store of @npages 4 KiB pages: page i private if @priv[i] == 'P'
 * (holding PV_SEED(i)), else shared (holding SH_SEED(i)). SKIPs with the
 * reason if the backing is unavailable.
 */
static inline struct pm_gmem *pf_store(enum pf_backing b, unsigned int npages,
				       const char *priv)
{
	struct pm_gmem_config cfg = {
		.backend = b == PF_MEMFD ? PM_GMEM_MEMFD : PM_GMEM_GUEST_MEMFD,
		.size = npages * PG,
		.vm_fd = -1,
		.fd = -1,
		.name = "protfd-test",
	};
	struct pm_gmem *g = NULL;
	uint8_t page[PG];
	unsigned int i;
	int rc = -EOPNOTSUPP;

	if (cfg.backend == PM_GMEM_GUEST_MEMFD &&
	    access("/dev/kvm", R_OK | W_OK)) {
		if (b == PF_GUEST_MEMFD)
			SKIP("guest_memfd backend: /dev/kvm: %s",
			     strerror(errno));
		cfg.backend = PM_GMEM_MEMFD;
	}
	rc = pm_gmem_create(&cfg, &g);
	if (rc == -EOPNOTSUPP && b == PF_BEST) {
		cfg.backend = PM_GMEM_MEMFD;
		rc = pm_gmem_create(&cfg, &g);
	}
	if (rc == -EOPNOTSUPP)
		SKIP("%s backend unavailable on this host",
		     pm_gmem_backend_name(cfg.backend));
	if (rc)
		FAIL("pm_gmem_create(%s): %s",
		     pm_gmem_backend_name(cfg.backend), strerror(-rc));
	for (i = 0; i < npages; i++)
		pat_fill((uint8_t *)pm_gmem_host_view(g) + i * PG, PG,
			 SH_SEED(i));
	for (i = 0; priv && priv[i] && i < npages; i++) {
		if (priv[i] != 'P')
			continue;
		ASSERT_OK(pm_gmem_convert(g, i * PG, PG, PM_GMEM_PRIVATE, 0,
					  NULL));
		pat_fill(page, PG, PV_SEED(i));
		ASSERT_OK(pm_gmem_populate(g, i * PG, page, PG));
	}
	/*
	 * The trusted path maps private pages (get_pfn): a guest_memfd this
	 * host cannot map cannot be used by it.
	 */
	for (i = 0; cfg.backend == PM_GMEM_GUEST_MEMFD && priv && priv[i] &&
		    i < npages;
	     i++) {
		struct pm_gmem_page pg;
		bool mappable;

		if (priv[i] != 'P')
			continue;
		ASSERT_OK(pm_gmem_get_pfn(g, i * PG, 0, &pg));
		mappable = pg.ptr != NULL;
		pm_gmem_put_pfn(g, &pg);
		if (mappable)
			break;
		if (b == PF_GUEST_MEMFD)
			SKIP("guest_memfd: private pages cannot be mapped on "
			     "this host");
		pm_gmem_close(g);
		return pf_store(PF_MEMFD, npages, priv);
	}
	return g;
}

/* A private page's bytes through a get_pfn hold (the trusted CPU path). */
static inline void priv_read(struct pm_gmem *g, uint64_t off, void *buf,
			     size_t len)
{
	struct pm_gmem_page pg;

	ASSERT_EQ(pm_gmem_is_private(g, off), 1);
	ASSERT_OK(pm_gmem_get_pfn(g, off, 0, &pg));
	ASSERT_TRUE(pg.ptr);
	memcpy(buf, (uint8_t *)pg.ptr + (off - pg.offset), len);
	pm_gmem_put_pfn(g, &pg);
}

static inline void priv_write(struct pm_gmem *g, uint64_t off, const void *buf,
			      size_t len)
{
	struct pm_gmem_page pg;

	ASSERT_EQ(pm_gmem_is_private(g, off), 1);
	ASSERT_OK(pm_gmem_get_pfn(g, off, 0, &pg));
	ASSERT_TRUE(pg.ptr);
	memcpy((uint8_t *)pg.ptr + (off - pg.offset), buf, len);
	pm_gmem_put_pfn(g, &pg);
}

#define ASSERT_PRIV_PAT(g, off, len, seed)       \
	do {                                     \
		size_t __l = (len);              \
		uint8_t *__b = malloc(__l);      \
		ASSERT_TRUE(__b);                \
		priv_read((g), (off), __b, __l); \
		ASSERT_PAT(__b, __l, (seed));    \
		free(__b);                       \
	} while (0)

/* ------------------------------------------------------------------ */
/* The fixture: a context, an IOAS with the store, a device, a binding. */

struct pfx {
	struct pm_iommufd *ctx;
	uint32_t ioas, hwpt, dev_id;
	struct pm_device *dev;
	struct pm_gmem *g;
	unsigned int npages;
	struct pm_protfd_config cfg;
	struct pm_protfd *pf;
	struct revoke_rec rec;
	uint8_t digest[PM_TDI_DIGEST_LEN]; /* of the last report fetched */
};

/* Everything but the binding (pf_bind() makes it). */
static inline void pfx_init(struct pfx *fx, enum pf_backing b,
			    unsigned int npages, const char *priv)
{
	uint64_t iova = GPA_BASE;

	memset(fx, 0, sizeof(*fx));
	fx->ctx = ictx_open();
	fx->g = pf_store(b, npages, priv);
	fx->npages = npages;
	fx->ioas = ioas_new(fx->ctx);
	fx->dev = dev_new(fx->ctx, "pf-dev", &fx->dev_id);
	fx->hwpt = dev_attach(fx->dev, fx->ioas);
	ASSERT_OK(pm_ioas_map_gmem(fx->ctx, fx->ioas, fx->g, 0, npages * PG,
				   &iova, FIXED_RW));
	ASSERT_U64_EQ(iova, GPA_BASE);
	fx->cfg.gmem = fx->g;
	fx->cfg.iova_base = GPA_BASE;
	fx->cfg.mmio_size = 0;
	fx->cfg.vm_fd = -1;
	fx->cfg.revoke = revoke_cb;
	fx->cfg.opaque = &fx->rec;
	fx->rec.dev = fx->dev;
	fx->rec.g = fx->g;
}

static inline void pf_bind(struct pfx *fx)
{
	fx->pf = NULL;
	ASSERT_OK(pm_protfd_create(fx->dev, &fx->cfg, &fx->pf));
	ASSERT_TRUE(fx->pf);
	fx->rec.pf = fx->pf;
	ASSERT_EQ(pm_protfd_state(fx->pf), PM_TDI_UNLOCKED);
}

static inline void pfx_new(struct pfx *fx, enum pf_backing b,
			   unsigned int npages, const char *priv)
{
	pfx_init(fx, b, npages, priv);
	pf_bind(fx);
}

static inline void pfx_close(struct pfx *fx)
{
	if (fx->pf)
		pm_protfd_destroy(fx->pf);
	fx->pf = NULL;
	pm_device_destroy(fx->dev);
	pm_iommufd_close(fx->ctx);
	pm_gmem_close(fx->g);
}

/* get_report, or SKIP where the host has no digest library. */
static inline void pf_report(struct pm_protfd *pf, struct pm_tdi_report *r)
{
	int rc;

	memset(r, 0xa5, sizeof(*r));
	rc = pm_protfd_get_report(pf, r);
	if (rc == -EOPNOTSUPP)
		SKIP("no digest library (libcrypto): get_report -EOPNOTSUPP");
	ASSERT_OK(rc);
}

/* LOCKED -> RUN: fetch the report, accept its digest. */
static inline void pf_accept(struct pfx *fx)
{
	struct pm_tdi_report r;

	ASSERT_EQ(pm_protfd_state(fx->pf), PM_TDI_LOCKED);
	pf_report(fx->pf, &r);
	memcpy(fx->digest, r.digest, sizeof(fx->digest));
	ASSERT_OK(pm_protfd_accept(fx->pf, r.digest));
	ASSERT_EQ(pm_protfd_state(fx->pf), PM_TDI_RUN);
}

/*
 * UNLOCKED -> LOCKED. Without a digest library the report cannot be taken;
 * if lock itself refuses for that reason, SKIP (the table says lock works
 * from UNLOCKED: that refusal is worth reading in the log).
 */
static inline void pf_lock(struct pm_protfd *pf)
{
	int rc = pm_protfd_lock(pf);

	if (rc == -EOPNOTSUPP)
		SKIP("no digest library (libcrypto): pm_protfd_lock "
		     "-EOPNOTSUPP");
	ASSERT_OK(rc);
	ASSERT_EQ(pm_protfd_state(pf), PM_TDI_LOCKED);
}

/* UNLOCKED -> LOCKED -> RUN. */
static inline void pf_run(struct pfx *fx)
{
	ASSERT_EQ(pm_protfd_state(fx->pf), PM_TDI_UNLOCKED);
	pf_lock(fx->pf);
	pf_accept(fx);
}

static inline struct pm_protfd_stats pf_stats(struct pm_protfd *pf)
{
	struct pm_protfd_stats st;

	memset(&st, 0xff, sizeof(st));
	ASSERT_OK(pm_protfd_get_stats(pf, &st));
	return st;
}

#define ASSERT_STATE(pf, s)                                         \
	do {                                                        \
		enum pm_tdi_state __s = pm_protfd_state(pf);        \
		if (__s != (s))                                     \
			FAIL("state %s (%d), expected %s",          \
			     pm_tdi_state_name(__s), (int)__s, #s); \
	} while (0)

/* ------------------------------------------------------------------ */
/* Trusted DMA.                                                        */

/* Drain the fault log: how many faults there were. */
static inline int faults_count(struct pm_device *dev)
{
	struct pm_dma_fault f[64];

	return faults_drain(dev, f, 64);
}

/* A trusted read at @iova faults: @reason at @fault_iova. */
#define ASSERT_TREAD_FAULTS(dev, iova, len, fault_iova, reason)           \
	do {                                                              \
		size_t __l = (len);                                       \
		uint8_t *__b = malloc(__l);                               \
		ASSERT_TRUE(__b);                                         \
		ASSERT_ERR(EFAULT,                                        \
			   pm_dma_read_trusted((dev), (iova), __b, __l)); \
		free(__b);                                                \
		ASSERT_ONE_FAULT((dev), (fault_iova), (reason), 0);       \
	} while (0)

#define ASSERT_TWRITE_FAULTS(dev, iova, len, fault_iova, reason)           \
	do {                                                               \
		size_t __l = (len);                                        \
		uint8_t *__b = malloc(__l);                                \
		ASSERT_TRUE(__b);                                          \
		memset(__b, 0x5a, __l);                                    \
		ASSERT_ERR(EFAULT,                                         \
			   pm_dma_write_trusted((dev), (iova), __b, __l)); \
		free(__b);                                                 \
		ASSERT_ONE_FAULT((dev), (fault_iova), (reason), 1);        \
	} while (0)

/* A trusted read at @iova succeeds and shows pattern @seed. */
#define ASSERT_TREAD_PAT(dev, iova, len, seed)                           \
	do {                                                             \
		size_t __l = (len);                                      \
		uint8_t *__b = malloc(__l);                              \
		ASSERT_TRUE(__b);                                        \
		memset(__b, 0xee, __l);                                  \
		ASSERT_OK(pm_dma_read_trusted((dev), (iova), __b, __l)); \
		ASSERT_PAT(__b, __l, (seed));                            \
		free(__b);                                               \
	} while (0)

/* A T=0 read at @iova succeeds and reads zeros. */
#define ASSERT_DMA_ZERO(dev, iova, len)                          \
	do {                                                     \
		size_t __l = (len);                              \
		uint8_t *__b = malloc(__l);                      \
		ASSERT_TRUE(__b);                                \
		memset(__b, 0xee, __l);                          \
		ASSERT_OK(pm_dma_read((dev), (iova), __b, __l)); \
		ASSERT_TRUE(all_zero(__b, __l));                 \
		free(__b);                                       \
	} while (0)

#define ASSERT_TREAD_ZERO(dev, iova, len)                                \
	do {                                                             \
		size_t __l = (len);                                      \
		uint8_t *__b = malloc(__l);                              \
		ASSERT_TRUE(__b);                                        \
		memset(__b, 0xee, __l);                                  \
		ASSERT_OK(pm_dma_read_trusted((dev), (iova), __b, __l)); \
		ASSERT_TRUE(all_zero(__b, __l));                         \
		free(__b);                                               \
	} while (0)

/* ------------------------------------------------------------------ */
/* DMA threads: loop on one operation until told to stop.             */

struct dma_thread {
	pthread_t th;
	struct pm_device *dev;
	uint64_t iova;
	size_t len;
	bool write, trusted;
	int *after; /* set by the test once the revoking call
				* returned (shared by all threads) */
	int stop;
	long ok_before; /* successes that started before *after */
	long fail_before;
	long ok_after; /* successes that started after: must be 0 */
	long fail_after;
};

static inline void *dma_thread_fn(void *arg)
{
	struct dma_thread *t = arg;
	uint8_t *buf = malloc(t->len);

	if (!buf)
		FAIL("malloc");
	memset(buf, 0x3c, t->len);
	while (!LOAD(t->stop)) {
		int after = LOAD(*t->after);
		int rc;

		if (t->trusted)
			rc = t->write ? pm_dma_write_trusted(t->dev, t->iova,
							     buf, t->len) :
					pm_dma_read_trusted(t->dev, t->iova,
							    buf, t->len);
		else
			rc = t->write ?
				     pm_dma_write(t->dev, t->iova, buf,
						  t->len) :
				     pm_dma_read(t->dev, t->iova, buf, t->len);
		if (rc && rc != -EFAULT)
			FAIL("DMA thread: unexpected %d", rc);
		if (after && rc)
			INC(t->fail_after);
		else if (after)
			INC(t->ok_after);
		else if (rc)
			INC(t->fail_before);
		else
			INC(t->ok_before);
	}
	free(buf);
	return NULL;
}

/*
 * Start a thread looping on one DMA of @len bytes at @iova (writes write
 * 0x3c bytes). *@after tells it the revoking call has returned.
 */
static inline void dma_thread_start(struct dma_thread *t, struct pm_device *dev,
				    uint64_t iova, size_t len, bool write,
				    bool trusted, int *after)
{
	memset(t, 0, sizeof(*t));
	t->dev = dev;
	t->iova = iova;
	t->len = len;
	t->write = write;
	t->trusted = trusted;
	t->after = after;
	ASSERT_EQ(pthread_create(&t->th, NULL, dma_thread_fn, t), 0);
}

static inline void dma_thread_stop(struct dma_thread *t)
{
	STORE(t->stop, 1);
	pthread_join(t->th, NULL);
}

/* ------------------------------------------------------------------ */
/* Mappings of a file in this process (/proc/self/maps).              */

/*
 * How many VMAs of this process map any byte of [@off, @off + @len) of
 * the file open at @fd (same device and inode); @len 0: any part of it.
 */
static inline long file_vmas(int fd, uint64_t off, uint64_t len)
{
	struct stat st;
	char line[512];
	long n = 0;
	FILE *f;

	if (fstat(fd, &st))
		FAIL("fstat %d: %s", fd, strerror(errno));
	f = fopen("/proc/self/maps", "re");
	if (!f)
		FAIL("fopen /proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, ino;
		unsigned long long foff;
		unsigned int maj, min;
		uint64_t vlen;

		if (sscanf(line, "%lx-%lx %*s %llx %x:%x %lu", &s, &e, &foff,
			   &maj, &min, &ino) != 6)
			continue;
		if (ino != st.st_ino || maj != major(st.st_dev) ||
		    min != minor(st.st_dev))
			continue;
		vlen = e - s;
		if (!len || (foff < off + len && foff + vlen > off))
			n++;
	}
	fclose(f);
	return n;
}

/* Where /proc/self/fd/@fd points. */
static inline void fd_link_of(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		FAIL("readlink %s: %s", path, strerror(errno));
	buf[n] = 0;
}

static inline bool same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		FAIL("fstat: %s", strerror(errno));
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* ------------------------------------------------------------------ */
/* KVM.                                                                */

/* A VM of the test's own whose guest_memfd works, or SKIP. */
static inline int vm_new_or_skip(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		SKIP("KVM unavailable: open /dev/kvm: %s", strerror(errno));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	if (vm < 0)
		SKIP("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) <= 0)
		SKIP("this KVM lacks KVM_CAP_GUEST_MEMFD on a default VM");
	return vm;
}

#endif
