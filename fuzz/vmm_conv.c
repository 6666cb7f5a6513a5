// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the VMM's conversion requests, as the guest makes them.
 *
 * A guest asks for a conversion three ways, each handled in the vCPU exit
 * loop (lib/vmm/vcpu.c): an OUT to the doorbell port PM_PORT_HYPERCALL
 * (RAX = PM_HC_MAP_GPA_RANGE, RBX, RCX, RDX = gpa, number of pages,
 * attributes; the answer in RAX), the KVM_HC_MAP_GPA_RANGE hypercall
 * (KVM_EXIT_HYPERCALL: nr, args, the answer in hypercall.ret), and
 * implicitly by touching a page in the other state (KVM_EXIT_MEMORY_FAULT:
 * flags, gpa, size; a failure fails the vCPU). The handlers pass their
 * registers unchanged to vmm_conv_request() (lib/vmm/vm.c), which this
 * target calls the same way, so the decoding fuzzed is the decoding the
 * guest reaches, without a guest: a real VM (pm_vm_create(), /dev/kvm,
 * 4 MiB of guest_memfd RAM, one vCPU that never runs) made once.
 *
 * An input is a program (fuzz.h) of requests on all three paths, with
 * good and bad call numbers (RAX, hypercall.nr), gpa, npages and size
 * aligned or not, inside RAM, across its end, zero, huge and wrapping,
 * attributes with stray bits; writes by the host to shared pages through
 * the host view; and holds on pages (pm_gmem_get_pfn, as a trusted device
 * takes them) that make a conversion of them fail with -EAGAIN. Each input
 * starts from the same RAM: all shared, every page a known pattern.
 *
 * A model of every page (state, bytes, holds) predicts each answer as the
 * guest would see it (0, the -errno, -PM_HC_ENOSYS for another number),
 * the return value the memory-fault exit acts on, and the VM's statistics
 * (conversions, conversion_errors, bytes_converted, memory_faults). After
 * every step:
 *   - every page's state (pm_gmem_is_private) and the store's private
 *     bytes are the model's, and no private page is in the shared memfd
 *     (mincore of the host view);
 *   - every page the input changed, those around the step's range and the
 *     first and last page read the model's bytes through the host view if
 *     shared (the pattern, the host's writes, zeros once a page came back
 *     from private: the VM converts without KEEP); a private one around
 *     the step's range faults there (a fault-safe read gets EFAULT);
 *   - a held private page reads zeros through its mapping, if it has one.
 * At the end of the input every page is checked so, private ones read,
 * the holds are put, RAM is put back to the reset state (so that an input
 * frees what it allocated) and no descriptor is left open. Without
 * /dev/kvm (or if the VM cannot be made) the target says why and the
 * replay skips (fz_skip_reason, fuzz.h); the libFuzzer binary exits 1.
 */
#include <privmem/gmem.h>
#include <privmem/privmem.h>
#include <privmem/vmm.h>
#include "vmm/vmm_private.h"
#include "fuzz.h"

#define MEM (4ULL << 20) /* the smallest VM */
#define NP ((unsigned int)(MEM / FZ_PG))
#define WIN 48 /* pages at either end of RAM most requests aim at */
#define NR_HOLDS 4
#define MAX_STEPS 48

struct hold {
	struct pm_gmem_page pg;
	unsigned int page;
	bool live;
};

struct model {
	bool priv[NP];
	bool dirty[NP]; /* not in the reset state: checked at every step */
	uint16_t dlist[NP];
	unsigned int ndirty;
	struct hold h[NR_HOLDS];
	struct pm_vm_stats st; /* the counters the model expects */
	uint64_t nr_priv;
	/* The pages of this step's request (if inside RAM), for check(). */
	unsigned int lo, hi;
	/* Last: reset() clears what comes before. */
	uint8_t bytes[MEM];
};

static struct pm_vm *vm;
static struct pm_gmem *g;
static uint8_t *view;
static char skip_why[256];
static bool base_fds[FZ_NFDS];
static uint8_t buf[MEM];
static pid_t self;
static unsigned char resident[NP]; /* mincore() of the host view */

/* The reset content of RAM: a pattern that differs from page to page. */
static uint8_t init_bytes[MEM];
static struct model model;

static void fill_pattern(uint8_t *dst, unsigned int page)
{
	memcpy(dst, init_bytes + (uint64_t)page * FZ_PG, FZ_PG);
}

static void reset(struct model *m, bool full);

const char *fz_skip_reason(void)
{
	return vm ? NULL : skip_why;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pm_vm_config cfg = {
		.mem_size = MEM,
		.nr_vcpus = 1,
		.backend = PM_GMEM_GUEST_MEMFD,
	};
	struct pm_vmm_caps caps;
	uint64_t i;
	int rc;

	(void)argc;
	(void)argv;
	fz_quiet_logs();
	fz_arena_init();
	self = getpid();
	for (i = 0; i < MEM; i++)
		init_bytes[i] = (uint8_t)(i * 7 + (i >> 12) * 13 + 1);
	rc = pm_vmm_probe(&caps);
	if (rc) {
		snprintf(skip_why, sizeof(skip_why), "probing KVM: %s",
			 strerror(-rc));
	} else if (!caps.kvm) {
		snprintf(skip_why, sizeof(skip_why), "KVM unusable: %s",
			 caps.why_not);
	} else {
		rc = pm_vm_create(&cfg, &vm);
		if (rc)
			snprintf(skip_why, sizeof(skip_why),
				 "cannot create a VM: %s", strerror(-rc));
	}
	if (!vm) {
		fprintf(stderr, "vmm_conv: no VM, nothing to fuzz: %s\n",
			skip_why);
		/* The replay skips; libFuzzer would run for nothing. */
		if (!&fz_replay)
			exit(1);
		return 0;
	}
	{
		enum pm_vm_binding b;
		enum pm_vm_enforcement e;
		enum pm_vm_conv_path c;

		pm_vm_modes(vm, &b, &e, &c);
		FZ_TRACE("VM: binding %s, enforcement %s, conversion by %s, "
			 "memory attributes 0x%llx",
			 pm_vm_binding_name(b), pm_vm_enforcement_name(e),
			 pm_vm_conv_path_name(c),
			 (unsigned long long)caps.memory_attributes);
	}
	g = pm_vm_gmem(vm);
	view = pm_gmem_host_view(g);
	FZ_CHECK(pm_gmem_granule(g) == FZ_PG, "granule %llu",
		 (unsigned long long)pm_gmem_granule(g));
	/* RAM starts private. */
	reset(&model, true);
	return 0;
}

/* ------------------------------------------------------------ model */

static void touch(struct model *m, unsigned int p)
{
	if (m->dirty[p])
		return;
	m->dirty[p] = true;
	m->dlist[m->ndirty++] = (uint16_t)p;
}

static bool held(struct model *m, unsigned int p)
{
	int i;

	for (i = 0; i < NR_HOLDS; i++)
		if (m->h[i].live && m->h[i].page == p)
			return true;
	return false;
}

/*
 * pm_vm_convert() of pages [first, first + n), all inside RAM, on the
 * model: 0, or -EAGAIN when a page that would change is held.
 */
static int model_convert(struct model *m, unsigned int first, unsigned int n,
			 bool to_priv)
{
	unsigned int p;

	for (p = first; p < first + n; p++)
		if (m->priv[p] != to_priv && held(m, p)) {
			m->st.conversion_errors++;
			return -EAGAIN;
		}
	for (p = first; p < first + n; p++) {
		if (m->priv[p] == to_priv)
			continue;
		m->priv[p] = to_priv;
		m->nr_priv += to_priv ? 1 : -1;
		/* Discarded on the side it left: zeros on the other. */
		memset(m->bytes + (uint64_t)p * FZ_PG, 0, FZ_PG);
		touch(m, p);
	}
	m->st.conversions++;
	m->st.bytes_converted += (uint64_t)n * FZ_PG;
	return 0;
}

/* The answer MAP_GPA_RANGE gets, whichever path carried it. */
static int model_map_gpa_range(struct model *m, uint64_t gpa,
			       uint64_t npages, uint64_t attrs)
{
	uint64_t len, last;

	if (!npages || npages > UINT64_MAX / FZ_PG)
		return -EINVAL;
	len = npages * FZ_PG;
	if (gpa > UINT64_MAX - (len - 1))
		return -EOVERFLOW;
	last = gpa + (len - 1);
	if (gpa % FZ_PG || last >= MEM)
		return -EINVAL;
	m->lo = (unsigned int)(gpa / FZ_PG);
	m->hi = (unsigned int)(last / FZ_PG);
	return model_convert(m, m->lo, (unsigned int)npages,
			     attrs & PM_MAP_GPA_PRIVATE);
}

/* ------------------------------------------------------------ checks */

/*
 * Pages [p, p + n), all in one state, through the host view: the model's
 * bytes if shared (one read for the run), a fault if private.
 */
static void check_run(struct model *m, unsigned int p, unsigned int n,
		      bool strict)
{
	uint64_t off = (uint64_t)p * FZ_PG, len = (uint64_t)n * FZ_PG, i;
	struct iovec l = { buf, FZ_PG }, r;
	const uint8_t *src;
	ssize_t got;

	if (!m->priv[p]) {
		/*
		 * Pages in the shared memfd's page cache (mincore) cannot
		 * fault: compare them in place, which is much faster than a
		 * copy. Anything else is read fault-safely.
		 */
		src = view + off;
		for (i = 0; i < n; i++)
			if (!(resident[p + i] & 1))
				break;
		if (i < n) {
			FZ_CHECK(!fz_read_nofault(buf, (uintptr_t)view + off,
						  len),
				 "shared pages %u..%u fault in the host view",
				 p, p + n - 1);
			src = buf;
		}
		for (i = 0; i < len; i += FZ_PG)
			FZ_CHECK(!memcmp(src + i, m->bytes + off + i, FZ_PG),
				 "shared page %llu differs from the model "
				 "(first bytes %02x %02x, model %02x %02x)",
				 (unsigned long long)((off + i) / FZ_PG),
				 src[i], src[i + 1], m->bytes[off + i],
				 m->bytes[off + i + 1]);
		return;
	}
	/*
	 * Not one byte of a private page is readable there. (Every private
	 * page is out of the shared memfd, which check() sees by mincore;
	 * a read shows the view's guard too, for the pages that @strict
	 * asks for.)
	 */
	for (i = 0; strict && i < len; i += FZ_PG) {
		r = (struct iovec){ view + off + i, FZ_PG };
		errno = 0;
		got = process_vm_readv(self, &l, 1, &r, 1, 0);
		FZ_CHECK(got < 0 && errno == EFAULT,
			 "private page %llu readable through the host view "
			 "(%zd bytes, errno %d)",
			 (unsigned long long)((off + i) / FZ_PG), got, errno);
	}
}

static void check_stats(struct model *m)
{
	struct pm_vm_stats st;
	struct pm_gmem_stats gs;

	FZ_CHECK(!pm_vm_get_stats(vm, &st), "stats");
	FZ_CHECK(st.conversions == m->st.conversions &&
			 st.conversion_errors == m->st.conversion_errors &&
			 st.bytes_converted == m->st.bytes_converted &&
			 st.memory_faults == m->st.memory_faults,
		 "VM stats: conversions %llu errors %llu bytes %llu faults "
		 "%llu; model %llu %llu %llu %llu",
		 (unsigned long long)st.conversions,
		 (unsigned long long)st.conversion_errors,
		 (unsigned long long)st.bytes_converted,
		 (unsigned long long)st.memory_faults,
		 (unsigned long long)m->st.conversions,
		 (unsigned long long)m->st.conversion_errors,
		 (unsigned long long)m->st.bytes_converted,
		 (unsigned long long)m->st.memory_faults);
	FZ_CHECK(!pm_gmem_get_stats(g, &gs), "store stats");
	FZ_CHECK(gs.private_bytes == m->nr_priv * FZ_PG,
		 "store: %llu private bytes, model %llu",
		 (unsigned long long)gs.private_bytes,
		 (unsigned long long)(m->nr_priv * FZ_PG));
}

/*
 * Every page's state; the content of every page the input changed and of
 * those in and around the step's range (@all: of every page). A fault-safe
 * read of a private page (a system call each) is for those around the
 * step's range; the other private pages are seen to be out of the shared
 * memfd, and all are read at the end of the input (@all).
 */
static void check(struct model *m, bool all)
{
	/* 0: not now; 1: the content; 2: and a read of a private page */
	static uint8_t want[NP];
	unsigned int p, q, i;
	int priv;

	FZ_CHECK(!mincore(view, MEM, resident), "mincore: %s",
		 strerror(errno));
	for (p = 0; p < NP; p++) {
		priv = pm_gmem_is_private(g, (uint64_t)p * FZ_PG);
		FZ_CHECK(priv == m->priv[p], "page %u: state %d, model %d", p,
			 priv, m->priv[p]);
		FZ_CHECK(!priv || !(resident[p] & 1),
			 "private page %u is in the shared memfd", p);
	}
	check_stats(m);
	memset(want, all ? 2 : 0, sizeof(want));
	for (i = 0; i < m->ndirty; i++)
		if (!want[m->dlist[i]])
			want[m->dlist[i]] = 1;
	for (p = m->lo ? m->lo - 1 : 0; m->lo <= m->hi && p <= m->hi + 1 &&
					p < NP;
	     p++)
		want[p] = 2;
	/* The first and last pages: where a range runs off RAM. */
	want[0] = want[NP - 1] = 2;
	for (p = 0; p < NP; p = q) {
		for (q = p + 1; q < NP && want[q] == want[p] &&
				m->priv[q] == m->priv[p];
		     q++)
			;
		if (want[p])
			check_run(m, p, q - p, want[p] == 2);
	}
}

/* ------------------------------------------------------------ input */

/* A gpa: mostly near either end of RAM, aligned or not; or anything. */
static uint64_t gpa_arg(struct fz *f)
{
	uint8_t k = fz_u8(f);
	uint64_t v = fz_u16(f);

	switch (k % 8) {
	case 0: case 1:
		return (v % WIN) * FZ_PG;
	case 2: case 3:
		return MEM - (1 + v % WIN) * FZ_PG;
	case 4:
		return (v % WIN) * FZ_PG + 1 + (k >> 3) * 131 % (FZ_PG - 1);
	case 5:
		return MEM + (v % 4) * FZ_PG - (k >> 3) % 2;
	case 6:
		return UINT64_MAX - v - (k >> 3) * FZ_PG + 1;
	default:
		return fz_u64(f);
	}
}

/* A number of pages for @gpa: small, zero, to the end of RAM (+-1), at
 * the limits of npages << 12, wrapping, or anything. */
static uint64_t npages_arg(struct fz *f, uint64_t gpa)
{
	uint8_t k = fz_u8(f);
	uint64_t to_end = gpa < MEM ? (MEM - gpa) / FZ_PG : 0;

	switch (k % 10) {
	case 0: case 1: case 2: case 3:
		return 1 + fz_u8(f) % 8;
	case 4:
		return 0;
	case 5:
		return to_end + (k >> 4) % 3 - 1;
	case 6:
		return (UINT64_MAX >> 12) + (k >> 4) % 3 - 1;
	case 7:
		/* gpa + len reaching 2^64 exactly, or just past it */
		return (0 - gpa) / FZ_PG + (k >> 4) % 3;
	case 8:
		return fz_u16(f);
	default:
		return fz_u64(f);
	}
}

static uint64_t attrs_arg(struct fz *f, bool to_priv)
{
	uint8_t k = fz_u8(f);
	uint64_t a = to_priv ? PM_MAP_GPA_PRIVATE : 0;

	if (k & 1) /* page-size bits, accepted and ignored */
		a |= k >> 1 & 3;
	if (k > 224) /* bits nothing defines */
		a |= fz_u64(f) & ~PM_MAP_GPA_PRIVATE;
	return a;
}

/* The doorbell or the hypercall, with a good or a bad call number. */
static void op_call(struct model *m, struct fz *f, bool hypercall)
{
	uint8_t k = fz_u8(f);
	enum vmm_conv_source src =
		hypercall ? VMM_CONV_HYPERCALL : VMM_CONV_DOORBELL;
	uint64_t nr = hypercall ? KVM_HC_MAP_GPA_RANGE : PM_HC_MAP_GPA_RANGE;
	uint64_t gpa, npages, attrs, ret = 0xdeadbeef;
	int want, rc;

	if (k >= 200) {
		switch (k % 5) {
		case 0: nr = 0; break;
		case 1: nr = nr + 1; break;
		case 2: nr = nr - 1; break;
		case 3: nr |= 1ULL << 32; break; /* a 32-bit compare passes */
		default: nr = fz_u64(f); break;
		}
	}
	gpa = gpa_arg(f);
	npages = npages_arg(f, gpa);
	attrs = attrs_arg(f, k & 1);
	if (nr != PM_HC_MAP_GPA_RANGE) /* KVM_HC_MAP_GPA_RANGE is the same */
		want = -ENOSYS;
	else
		want = model_map_gpa_range(m, gpa, npages, attrs);
	rc = vmm_conv_request(vm, src, nr, gpa, npages, attrs, &ret);
	FZ_TRACE("%s nr %llu: gpa 0x%llx npages 0x%llx attrs 0x%llx: %d "
		 "ret 0x%llx, model %d",
		 hypercall ? "hypercall" : "doorbell", (unsigned long long)nr,
		 (unsigned long long)gpa, (unsigned long long)npages,
		 (unsigned long long)attrs, rc, (unsigned long long)ret, want);
	FZ_CHECK(rc == want, "%s: %d, model %d",
		 hypercall ? "hypercall" : "doorbell", rc, want);
	FZ_CHECK(ret == (want == -ENOSYS ? (uint64_t)-PM_HC_ENOSYS :
					   (uint64_t)(int64_t)want),
		 "the guest sees 0x%llx, model %d", (unsigned long long)ret,
		 want);
}

/* KVM_EXIT_MEMORY_FAULT: the range the access touched, to its state. */
static void op_fault(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);
	uint64_t flags = k & 1 ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0;
	uint64_t gpa, size, s, last, ret = 0xdeadbeef;
	int want, rc;

	if (k & 2) /* flags KVM does not define (yet) */
		flags |= fz_u64(f) & ~KVM_MEMORY_EXIT_FLAG_PRIVATE;
	gpa = gpa_arg(f);
	switch ((k >> 2) % 8) {
	case 0: case 1:
		size = fz_u16(f) % (4 * FZ_PG); /* an access or a few pages */
		break;
	case 2:
		size = 0; /* one byte */
		break;
	case 3:
		size = 1ULL << (fz_u8(f) % 4); /* an access: 1, 2, 4, 8 */
		break;
	case 4:
		/* to the last byte of RAM, or one past it */
		size = MEM - gpa + (k >> 5) % 2;
		break;
	case 5:
		/* gpa + size - 1 at 2^64 - 1, or wrapping */
		size = 0 - gpa + (k >> 5) % 2;
		break;
	default:
		size = fz_u64(f);
		break;
	}
	s = size ? size : 1;
	if (gpa > UINT64_MAX - (s - 1)) {
		want = -EOVERFLOW;
	} else {
		m->st.memory_faults++;
		last = gpa + (s - 1);
		if (last >= MEM) {
			want = -EINVAL;
		} else {
			m->lo = (unsigned int)(gpa / FZ_PG);
			m->hi = (unsigned int)(last / FZ_PG);
			want = model_convert(m, m->lo, m->hi - m->lo + 1,
					     flags & KVM_MEMORY_EXIT_FLAG_PRIVATE);
		}
	}
	/* a2 means nothing to a memory fault */
	rc = vmm_conv_request(vm, VMM_CONV_MEMORY_FAULT, flags, gpa, size,
			      k & 0x80 ? fz_u64(f) : 0, &ret);
	FZ_TRACE("memory fault flags 0x%llx: gpa 0x%llx size 0x%llx: %d, "
		 "model %d",
		 (unsigned long long)flags, (unsigned long long)gpa,
		 (unsigned long long)size, rc, want);
	FZ_CHECK(rc == want, "memory fault: %d, model %d", rc, want);
	FZ_CHECK(ret == (uint64_t)(int64_t)want, "memory fault ret 0x%llx",
		 (unsigned long long)ret);
}

/* A source no exit handler passes: refused, nothing done. */
static void op_bad_source(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);
	uint64_t ret = 0;
	int rc;

	(void)m;
	rc = vmm_conv_request(vm, (enum vmm_conv_source)(3 + k % 8),
			      PM_HC_MAP_GPA_RANGE, 0, 1, PM_MAP_GPA_PRIVATE,
			      &ret);
	FZ_CHECK(rc == -EINVAL && ret == (uint64_t)(int64_t)-EINVAL,
		 "source %d: %d", 3 + k % 8, rc);
}

/* The host writes a few bytes of a shared page through the host view. */
static void op_write(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);
	unsigned int p, off, len, i;
	uint8_t v = fz_u8(f);

	switch (k % 3) {
	case 0:
		p = fz_u8(f) % WIN;
		break;
	case 1:
		p = NP - 1 - fz_u8(f) % WIN;
		break;
	default:
		p = fz_u16(f) % NP;
		break;
	}
	off = fz_u16(f) % FZ_PG;
	if (m->priv[p])
		return; /* it would fault (and check() says it does) */
	len = 1 + (k >> 2) % 64;
	if (len > FZ_PG - off)
		len = FZ_PG - off;
	for (i = 0; i < len; i++)
		m->bytes[(uint64_t)p * FZ_PG + off + i] = (uint8_t)(v + i);
	memcpy(view + (uint64_t)p * FZ_PG + off,
	       m->bytes + (uint64_t)p * FZ_PG + off, len);
	touch(m, p);
	m->lo = m->hi = p;
	FZ_TRACE("host write: page %u +0x%x, %u bytes", p, off, len);
}

/* Take a page (as the trusted path does) or put one back. */
static void op_hold(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);
	struct hold *h = &m->h[k % NR_HOLDS];
	unsigned int p;
	int rc;

	if (h->live) {
		FZ_TRACE("put page %u", h->page);
		pm_gmem_put_pfn(g, &h->pg);
		h->live = false;
		return;
	}
	p = k & 4 ? NP - 1 - fz_u8(f) % WIN : fz_u8(f) % WIN;
	rc = pm_gmem_get_pfn(g, (uint64_t)p * FZ_PG,
			     k & 8 ? PM_GMEM_GET_NO_MAP : 0, &h->pg);
	FZ_CHECK(!rc, "get_pfn of page %u: %d", p, rc);
	FZ_CHECK(h->pg.is_private == m->priv[p] &&
			 h->pg.offset == (uint64_t)p * FZ_PG,
		 "get_pfn of page %u: private %d at 0x%llx", p,
		 h->pg.is_private, (unsigned long long)h->pg.offset);
	h->page = p;
	h->live = true;
	FZ_TRACE("hold page %u (%s)", p, m->priv[p] ? "private" : "shared");
	/* The guest has written nothing: a private page is zeros. */
	if (h->pg.is_private && h->pg.ptr) {
		memset(buf, 0, FZ_PG);
		FZ_CHECK(!memcmp(h->pg.ptr, buf, FZ_PG),
			 "private page %u is not zeros", p);
	}
	m->lo = m->hi = p;
}

/* ------------------------------------------------------------ main */

/*
 * Back to the reset state, all shared and the pattern: the whole of RAM
 * (@full), else what the input changed. Each input ends so (an input that
 * frees what it allocated is no leak to libFuzzer), the next one starts
 * by checking it.
 */
static void reset(struct model *m, bool full)
{
	unsigned int i, p;
	int rc;

	if (full || m->ndirty > NP / 8) {
		rc = pm_vm_convert(vm, 0, MEM, PM_GMEM_SHARED);
		FZ_CHECK(!rc, "reset: RAM to shared: %d", rc);
		memcpy(view, init_bytes, MEM);
		memcpy(m->bytes, init_bytes, MEM);
	} else {
		for (i = 0; i < m->ndirty; i++) {
			p = m->dlist[i];
			if (m->priv[p]) {
				rc = pm_vm_convert(vm, (uint64_t)p * FZ_PG,
						   FZ_PG, PM_GMEM_SHARED);
				FZ_CHECK(!rc, "reset: page %u to shared: %d",
					 p, rc);
			}
			fill_pattern(view + (uint64_t)p * FZ_PG, p);
			fill_pattern(m->bytes + (uint64_t)p * FZ_PG, p);
		}
	}
	memset(m, 0, offsetof(struct model, bytes));
	FZ_CHECK(!pm_vm_get_stats(vm, &m->st), "stats");
	m->lo = 1;
	m->hi = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model *m = &model;
	struct fz in = { data, size };
	bool now[FZ_NFDS];
	int i, step;

	if (!vm)
		return 0;
	fz_fds(base_fds);
	check(m, false);
	for (step = 0; step < MAX_STEPS && fz_more(&in); step++) {
		uint8_t op = fz_u8(&in);

		m->lo = 1;
		m->hi = 0;
		switch (op % 16) {
		case 0: case 1: case 2: case 3:
			op_call(m, &in, false);
			break;
		case 4: case 5: case 6:
			op_call(m, &in, true);
			break;
		case 7: case 8: case 9: case 10:
			op_fault(m, &in);
			break;
		case 11: case 12:
			op_write(m, &in);
			break;
		case 13: case 14:
			op_hold(m, &in);
			break;
		default:
			op_bad_source(m, &in);
			break;
		}
		check(m, false);
	}
	check(m, true);
	for (i = 0; i < NR_HOLDS; i++)
		if (m->h[i].live) {
			pm_gmem_put_pfn(g, &m->h[i].pg);
			m->h[i].live = false;
		}
	reset(m, false);
	fz_fds(now);
	for (i = 0; i < FZ_NFDS; i++)
		FZ_CHECK(now[i] == base_fds[i], "fd %d %s at the end", i,
			 now[i] ? "left open" : "closed");
	return 0;
}
