// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the ioctl-shaped dispatcher pm_iommufd_ioctl().
 *
 * An input is a program of commands on one context (fuzz.h). Each command
 * is either raw (any command number, any struct bytes, the struct at any
 * kind of address: valid, straddling a guard page, read-only, wild) or
 * typed (a uAPI command whose ids, IOVAs, lengths and pointers are drawn
 * from what the program has made so far: a table of live ids, and per IOAS
 * a model of its areas). After every command:
 *
 *   - the call returned 0 (VFIO's two number-answering ioctls: >= 0) or
 *     -1 with errno one of the values the uAPI gives;
 *   - nothing was written past the struct the caller passed;
 *   - a new object id never names a live IOAS;
 *   - for an IOAS whose model is exact: MAP/COPY never overlap a live
 *     mapping, an automatic IOVA has its source's page offset or'ed in,
 *     UNMAP reports exactly the bytes of the mappings it covered,
 *     IOVA_RANGES lists sorted, disjoint ranges that hold every mapping,
 *     each aligned to the reported alignment;
 *   - an emulated-device access (ACCESS_RW) that succeeds read or wrote
 *     exactly the memory behind the mapping, and that memory is readable
 *     by the host: a successful access to a private gmem page, an unmapped
 *     or a PROT_NONE page is a broken invariant;
 *   - a mock domain of an IOAS translates every mapping of user memory to
 *     that memory (MD_CHECK_MAP).
 *
 * At the end the context is closed: every descriptor it made is gone, and
 * every page it charged against RLIMIT_MEMLOCK is released (a fresh
 * context can pin exactly the limit). LeakSanitizer checks memory.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <linux/vfio.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/privmem.h>
#include <privmem/uapi/iommufd.h>
#include <privmem/uapi/iommufd_test.h>
#include "fuzz.h"

#define MOCK_PG 2048ULL
#define AP_START ((uint64_t)MOCK_APERTURE_START)
#define MEMFD_SIZE (32 * 1024ULL)
#define GMEM_PAGES 16
#define MEMLOCK_LIMIT (FZ_DATA_SIZE + MEMFD_SIZE)

#define MAX_CMDS 64
#define NR_IOAS 6
#define NR_AREAS 48
#define NR_OBJS 24
#define NR_ACC 4
#define NR_ITEMS 16

#define RW_FLAGS (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

enum area_kind { A_USER, A_FILE, A_GMEM, A_COPY };

struct area {
	uint64_t iova, len;
	uint64_t backing; /* host address of the byte at iova; 0: unknown */
	enum area_kind kind;
};

struct ioas_m {
	uint32_t id;
	bool live;
	bool exact; /* the areas below are exactly the IOAS's */
	int na;
	struct area a[NR_AREAS];
};

enum okind { O_HWPT, O_STDEV, O_IDEV };

struct obj {
	uint32_t id;
	enum okind kind;
	bool live;
	bool auto_hwpt; /* a mock domain's automatic HWPT: may die with it */
	uint32_t ioas_id; /* the IOAS an HWPT belongs to */
	uint32_t idev, hwpt; /* a mock device's device object and HWPT */
};

struct acc {
	int fd;
	uint32_t ioas_id;
	bool live;
};

struct item {
	int fd;
	uint32_t id;
	bool live;
};

struct st {
	struct pm_iommufd *ctx;
	struct ioas_m ioas[NR_IOAS];
	struct obj obj[NR_OBJS];
	struct acc acc[NR_ACC];
	struct item item[NR_ITEMS];
	int stray_fd[8]; /* access fds made by raw commands */
	uint32_t vfio_ioas;
	struct pm_gmem *g;
	uint64_t last_iova; /* an IOVA some command returned */
	bool pinned; /* something that pins may have happened */
};

static int memfd = -1;
static uint8_t *memfd_map;
static uint8_t scratch[MOCK_PG * 32];
static uint8_t cmp_buf[MOCK_PG * 32];
/* scratch's fill for key k is pattern + k: one memcpy, not a byte loop. */
static uint8_t pattern[MOCK_PG * 32 + 256];
static bool base_fds[FZ_NFDS];
static unsigned long nr_inputs, nr_calls; /* inputs run, dispatcher calls */

/* ------------------------------------------------------------ init */

static void print_counts(void)
{
	fprintf(stderr, "# fuzz-uapi: %lu inputs, %lu pm_iommufd_ioctl() calls\n",
		nr_inputs, nr_calls);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t *res;
	size_t i;

	(void)argc;
	(void)argv;
	fz_quiet_logs();
	fz_arena_init();
	fz_memlock_limit(MEMLOCK_LIMIT);
	atexit(print_counts);
	memfd = memfd_create("fuzz-uapi", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, MEMFD_SIZE)) {
		perror("fuzz: memfd");
		abort();
	}
	/* The memfd, then a guard page: our view of it ends in a fault. */
	res = mmap(NULL, MEMFD_SIZE + FZ_PG, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memfd_map = mmap(res, MEMFD_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, memfd, 0);
	if (res == MAP_FAILED || memfd_map != res) {
		perror("fuzz: mmap memfd");
		abort();
	}
	for (i = 0; i < MEMFD_SIZE; i++)
		memfd_map[i] = (uint8_t)(i * 13 + 5);
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i ^ 0x3c);
	return 0;
}

/* ------------------------------------------------------------ checks */

static bool known_errno(int e)
{
	switch (e) {
	case EINVAL: case E2BIG: case EFAULT: case ENOTTY: case ENOENT:
	case EBUSY: case EEXIST: case ENOMEM: case EOVERFLOW:
	case EOPNOTSUPP: case EPERM: case ERANGE: case EADDRINUSE:
	case EMSGSIZE: case ENOSPC: case EBADF: case EBADFD: case ENODEV:
	case ENXIO: case EBADE: case EIO:
		return true;
	}
	return false;
}

static bool vfio_number_cmd(unsigned int cmd)
{
	return cmd == VFIO_GET_API_VERSION || cmd == VFIO_CHECK_EXTENSION;
}

/* Run one command and check what every command must satisfy. */
static int do_ioctl(struct st *s, unsigned int cmd, void *arg)
{
	int rc, e;

	/* Domains and accesses pin (and charge) memory, even on the way to
	 * failing. */
	if (cmd == IOMMU_TEST_CMD || cmd == IOMMU_HWPT_ALLOC)
		s->pinned = true;
	errno = 0;
	rc = pm_iommufd_ioctl(s->ctx, cmd, arg);
	e = errno;
	nr_calls++;
	FZ_TRACE("ioctl 0x%x (nr 0x%x) -> %d %s", cmd, cmd & 0xff, rc,
		 rc < 0 ? strerror(e) : "");
	if (rc == -1) {
		FZ_CHECK(known_errno(e), "cmd 0x%x: errno %d (%s)", cmd, e,
			 strerror(e));
		return -e;
	}
	FZ_CHECK(rc == 0 || (rc > 0 && vfio_number_cmd(cmd)),
		 "cmd 0x%x returned %d", cmd, rc);
	return rc;
}

/* ------------------------------------------------------------ tables */

static struct ioas_m *ioas_by_id(struct st *s, uint32_t id)
{
	int i;

	for (i = 0; i < NR_IOAS; i++)
		if (s->ioas[i].live && s->ioas[i].id == id)
			return &s->ioas[i];
	return NULL;
}

static struct obj *obj_by_id(struct st *s, uint32_t id)
{
	int i;

	for (i = 0; i < NR_OBJS; i++)
		if (s->obj[i].live && s->obj[i].id == id)
			return &s->obj[i];
	return NULL;
}

/* A new object got @id: it cannot be a live IOAS (those only die when
 * destroyed); any other entry with that id died without our seeing it. */
static void id_fresh(struct st *s, uint32_t id)
{
	struct obj *o;

	FZ_CHECK(id != 0, "a new object got id 0");
	FZ_CHECK(!ioas_by_id(s, id), "new object id %u names a live IOAS", id);
	while ((o = obj_by_id(s, id)))
		o->live = false;
}

static void ioas_add(struct st *s, uint32_t id)
{
	int i;

	id_fresh(s, id);
	for (i = 0; i < NR_IOAS; i++) {
		if (!s->ioas[i].live) {
			memset(&s->ioas[i], 0, sizeof(s->ioas[i]));
			s->ioas[i].id = id;
			s->ioas[i].live = true;
			s->ioas[i].exact = true;
			return;
		}
	}
	/* No room in the model: the IOAS lives on untracked. */
}

static void obj_add(struct st *s, uint32_t id, enum okind kind, bool auto_hwpt,
		    uint32_t ioas_id)
{
	int i;

	id_fresh(s, id);
	for (i = 0; i < NR_OBJS; i++) {
		if (!s->obj[i].live) {
			s->obj[i] = (struct obj){ id, kind, true, auto_hwpt,
						  ioas_id, 0, 0 };
			return;
		}
	}
}

static void all_inexact(struct st *s)
{
	int i;

	for (i = 0; i < NR_IOAS; i++)
		s->ioas[i].exact = false;
}

/* An id for a command: mostly a live one of @kind (-1: an IOAS). */
static uint32_t pick_id(struct st *s, struct fz *f, int kind)
{
	uint32_t ids[NR_IOAS + NR_OBJS];
	uint8_t k = fz_u8(f);
	int i, n = 0;

	if (k < 170) {
		for (i = 0; i < NR_IOAS; i++)
			if (s->ioas[i].live && kind == -1)
				ids[n++] = s->ioas[i].id;
		for (i = 0; i < NR_OBJS; i++)
			if (s->obj[i].live && (int)s->obj[i].kind == kind)
				ids[n++] = s->obj[i].id;
		if (n)
			return ids[k % n];
	}
	if (k < 220) {
		for (i = 0; i < NR_IOAS; i++)
			if (s->ioas[i].live)
				ids[n++] = s->ioas[i].id;
		for (i = 0; i < NR_OBJS; i++)
			if (s->obj[i].live)
				ids[n++] = s->obj[i].id;
		if (n)
			return ids[k % n];
	}
	if (k < 245)
		return k % 24;
	return fz_u32(f);
}

static struct ioas_m *pick_ioas_m(struct st *s, struct fz *f, uint32_t *id)
{
	*id = pick_id(s, f, -1);
	return ioas_by_id(s, *id);
}

static uint64_t pick_iova(struct st *s, struct fz *f, struct ioas_m *m)
{
	uint8_t k = fz_u8(f);

	if (k < 90 && m && m->na) {
		struct area *a = &m->a[k % m->na];
		uint8_t sub = fz_u8(f);

		if (sub < 128)
			return a->iova;
		return a->iova + (sub % 8) * MOCK_PG;
	}
	if (k < 170)
		return AP_START + (fz_u16(f) % 4096) * MOCK_PG;
	if (k < 190)
		return (uint64_t)fz_u16(f) * FZ_PG;
	if (k < 200)
		return s->last_iova;
	if (k < 215)
		return 0;
	if (k < 225)
		return UINT64_MAX - fz_u16(f);
	return fz_u64(f);
}

static uint64_t pick_len(struct fz *f, struct ioas_m *m)
{
	uint8_t k = fz_u8(f);

	if (k < 140)
		return (1 + k % 16) * FZ_PG;
	if (k < 190)
		return (1 + fz_u8(f) % 32) * MOCK_PG;
	if (k < 205 && m && m->na)
		return m->a[fz_u8(f) % m->na].len;
	if (k < 215)
		return 0;
	if (k < 225)
		return UINT64_MAX - fz_u16(f);
	return fz_u64(f);
}

static uint32_t pick_map_flags(struct fz *f)
{
	uint8_t k = fz_u8(f);

	if (k < 100)
		return IOMMU_IOAS_MAP_FIXED_IOVA | RW_FLAGS;
	if (k < 180)
		return RW_FLAGS;
	if (k < 240)
		return k & 7;
	return fz_u32(f);
}

/* ------------------------------------------------------------ args */

/*
 * Where a typed command's struct goes: mostly the arg area (followed by a
 * canary checked after the call), sometimes read-only memory (the copy
 * back faults), across a guard page, or a wild address.
 */
enum arg_mode { ARG_RW, ARG_RO, ARG_STRADDLE, ARG_WILD };

struct arg {
	enum arg_mode mode;
	void *p;
	size_t len;     /* bytes placed */
	size_t canary;  /* canary bytes after them (ARG_RW) */
};

#define CANARY_BYTE 0xa5
#define CANARY_LEN 64

static enum arg_mode pick_mode(struct fz *f)
{
	uint8_t k = fz_u8(f);

	if (k < 232)
		return ARG_RW;
	if (k < 240)
		return ARG_RO;
	if (k < 248)
		return ARG_STRADDLE;
	return ARG_WILD;
}

/*
 * Place @len bytes of @src as mode says. The read-only page is made
 * writable for the copy. ARG_STRADDLE keeps the first @keep bytes (at
 * least 4, the size field) before the guard page.
 */
static void arg_place(struct arg *a, struct fz *f, enum arg_mode mode,
		      const void *src, size_t len)
{
	a->mode = mode;
	a->len = len;
	a->canary = 0;
	switch (mode) {
	case ARG_RW:
		a->p = fz_arena.arg + 512;
		memcpy(a->p, src, len);
		a->canary = CANARY_LEN;
		memset((uint8_t *)a->p + len, CANARY_BYTE, CANARY_LEN);
		break;
	case ARG_RO:
		if (len > FZ_PG)
			len = FZ_PG;
		a->p = fz_arena.ro;
		mprotect(fz_arena.ro, FZ_PG, PROT_READ | PROT_WRITE);
		memset(fz_arena.ro, 0, FZ_PG);
		memcpy(a->p, src, len);
		mprotect(fz_arena.ro, FZ_PG, PROT_READ);
		break;
	case ARG_STRADDLE: {
		size_t keep = len > 4 ? 4 + fz_u8(f) % (len - 4) : len;

		a->p = fz_arena.guard3 - keep;
		memcpy(a->p, src, keep);
		break;
	}
	default:
		a->p = (void *)(uintptr_t)fz_wild_ptr(f);
		break;
	}
}

/* After the call: no byte past the struct (or the size it declared) was
 * written, and the struct comes back in @out when it can be read. */
static void arg_done(struct arg *a, unsigned int cmd, void *out)
{
	size_t i;

	if (a->mode == ARG_RW) {
		for (i = 0; i < a->canary; i++)
			FZ_CHECK(((uint8_t *)a->p)[a->len + i] == CANARY_BYTE,
				 "cmd 0x%x wrote byte %zu past a %zu-byte struct",
				 cmd, i, a->len);
	}
	if (out) {
		if (a->mode == ARG_RW)
			memcpy(out, a->p, a->len);
		else if (a->mode == ARG_RO)
			memcpy(out, a->p, a->len > FZ_PG ? FZ_PG : a->len);
	}
}

/* Run a typed command: place @cmd_struct, call, check, copy back. */
static int typed(struct st *s, struct fz *f, unsigned int cmd,
		 void *cmd_struct, size_t len, enum arg_mode *mode_out)
{
	struct arg a;
	int rc;

	arg_place(&a, f, pick_mode(f), cmd_struct, len);
	rc = do_ioctl(s, cmd, a.p);
	arg_done(&a, cmd, rc == 0 ? cmd_struct : NULL);
	if (mode_out)
		*mode_out = a.mode;
	if (a.mode == ARG_STRADDLE || a.mode == ARG_WILD)
		FZ_CHECK(rc == -EFAULT || rc == -EINVAL || rc == -ENOTTY,
			 "cmd 0x%x on a faulting struct: %d", cmd, rc);
	return rc;
}

/* ------------------------------------------------------------ model */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

static void area_add(struct ioas_m *m, uint64_t iova, uint64_t len,
		     uint64_t backing, enum area_kind kind)
{
	int i;

	if (!m || !m->exact)
		return;
	for (i = 0; i < m->na; i++)
		FZ_CHECK(!overlaps(iova, len, m->a[i].iova, m->a[i].len),
			 "IOAS %u: new mapping [0x%llx +0x%llx) overlaps "
			 "[0x%llx +0x%llx)",
			 m->id, (unsigned long long)iova,
			 (unsigned long long)len,
			 (unsigned long long)m->a[i].iova,
			 (unsigned long long)m->a[i].len);
	if (m->na == NR_AREAS) {
		m->exact = false;
		return;
	}
	m->a[m->na++] = (struct area){ iova, len, backing, kind };
}

static void area_del(struct ioas_m *m, int i)
{
	m->a[i] = m->a[--m->na];
}

/* The model area holding all of [iova, iova + len), or NULL. */
static struct area *area_holding(struct ioas_m *m, uint64_t iova, uint64_t len)
{
	int i;

	if (!m || !m->exact || !len || iova + (len - 1) < iova)
		return NULL;
	for (i = 0; i < m->na; i++) {
		struct area *a = &m->a[i];

		if (iova >= a->iova && iova + (len - 1) <= a->iova + (a->len - 1))
			return a;
	}
	return NULL;
}

/* IOVA_RANGES, checked against the model. */
static void check_ranges(struct st *s, struct ioas_m *m)
{
	static struct iommu_iova_range r[16];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = m->id,
		.num_iovas = FZ_ARRAY_LEN(r),
		.allowed_iovas = (uintptr_t)r,
	};
	uint64_t al;
	uint32_t i;
	int j, rc;

	rc = do_ioctl(s, IOMMU_IOAS_IOVA_RANGES, &cmd);
	if (rc == -EMSGSIZE) {
		FZ_CHECK(cmd.num_iovas > FZ_ARRAY_LEN(r), "EMSGSIZE with %u",
			 cmd.num_iovas);
		return;
	}
	FZ_CHECK(rc == 0, "IOVA_RANGES of live IOAS %u: %d", m->id, rc);
	al = cmd.out_iova_alignment;
	FZ_CHECK(al && !(al & (al - 1)), "alignment 0x%llx",
		 (unsigned long long)al);
	for (i = 0; i < cmd.num_iovas; i++) {
		FZ_CHECK(r[i].start <= r[i].last, "range %u reversed", i);
		if (i)
			FZ_CHECK(r[i].start > r[i - 1].last + 1,
				 "ranges %u and %u not sorted and apart", i - 1,
				 i);
	}
	if (!m->exact)
		return;
	for (j = 0; j < m->na; j++) {
		struct area *a = &m->a[j];
		bool inside = false;

		for (i = 0; i < cmd.num_iovas; i++)
			if (a->iova >= r[i].start &&
			    a->iova + (a->len - 1) <= r[i].last)
				inside = true;
		FZ_CHECK(inside,
			 "IOAS %u: mapping [0x%llx +0x%llx) outside the "
			 "usable ranges",
			 m->id, (unsigned long long)a->iova,
			 (unsigned long long)a->len);
		FZ_CHECK(!(a->iova % al) && !(a->len % al),
			 "IOAS %u: mapping [0x%llx +0x%llx) not aligned to "
			 "0x%llx",
			 m->id, (unsigned long long)a->iova,
			 (unsigned long long)a->len, (unsigned long long)al);
	}
}

/* UNMAP of [iova, last] answered @rc with @unmapped bytes: follow it. */
static void model_unmap(struct ioas_m *m, uint64_t iova, uint64_t last,
			int rc, uint64_t unmapped, bool all, bool known)
{
	uint64_t sum = 0, at = iova;
	bool partial = false;
	int i;

	if (!m || !m->exact)
		return;
	FZ_TRACE("unmap [0x%llx, 0x%llx] -> %d, 0x%llx", (unsigned long long)iova,
		 (unsigned long long)last, rc, (unsigned long long)unmapped);
	for (i = 0; i < m->na; i++)
		FZ_TRACE("  area [0x%llx +0x%llx)",
			 (unsigned long long)m->a[i].iova,
			 (unsigned long long)m->a[i].len);
	if (rc && rc != -ENOENT && known) {
		m->exact = false;
		return;
	}
	/* As Linux: whole areas in IOVA order, stopping at a partial one. */
	for (;;) {
		int lo = -1;

		for (i = 0; i < m->na; i++) {
			struct area *a = &m->a[i];

			if (a->iova + (a->len - 1) < at || a->iova > last)
				continue;
			if (lo < 0 || a->iova < m->a[lo].iova)
				lo = i;
		}
		if (lo < 0)
			break;
		if (m->a[lo].iova < iova ||
		    m->a[lo].iova + (m->a[lo].len - 1) > last) {
			partial = true;
			break;
		}
		sum += m->a[lo].len;
		at = m->a[lo].iova + m->a[lo].len;
		area_del(m, lo);
		if (at - 1 >= last || !at)
			break;
	}
	if (!known)
		return;
	if (rc == 0) {
		FZ_CHECK(!partial, "IOAS %u: UNMAP succeeded over a partly "
			 "covered mapping", m->id);
		FZ_CHECK(unmapped == sum,
			 "IOAS %u: UNMAP reported 0x%llx bytes, model 0x%llx",
			 m->id, (unsigned long long)unmapped,
			 (unsigned long long)sum);
		FZ_CHECK(sum || all, "IOAS %u: UNMAP of nothing succeeded",
			 m->id);
	} else {
		FZ_CHECK(partial || !sum,
			 "IOAS %u: UNMAP failed with ENOENT but covered whole "
			 "mappings only",
			 m->id);
	}
}

/* ------------------------------------------------------------ typed */

static void forget_id(struct st *s, uint32_t id)
{
	struct ioas_m *m = ioas_by_id(s, id);
	struct obj *o = obj_by_id(s, id);
	int i;

	if (m) {
		m->live = false;
		if (s->vfio_ioas == id)
			s->vfio_ioas = 0;
	}
	if (o) {
		o->live = false;
		/* A mock device takes its device object with it, and its
		 * automatic HWPT may go too. */
		if (o->kind == O_STDEV)
			for (i = 0; i < NR_OBJS; i++)
				if (s->obj[i].live &&
				    (s->obj[i].id == o->idev ||
				     (s->obj[i].id == o->hwpt &&
				      s->obj[i].auto_hwpt)))
					s->obj[i].live = false;
	}
}

static void op_destroy(struct st *s, struct fz *f)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };
	int i;

	cmd.id = pick_id(s, f, fz_u8(f) % 4 - 1);
	if (typed(s, f, IOMMU_DESTROY, &cmd, sizeof(cmd), NULL))
		return;
	if (ioas_by_id(s, cmd.id))
		for (i = 0; i < NR_ACC; i++)
			FZ_CHECK(!s->acc[i].live || s->acc[i].ioas_id != cmd.id,
				 "IOAS %u destroyed under an access", cmd.id);
	forget_id(s, cmd.id);
}

static void op_ioas_alloc(struct st *s, struct fz *f)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (fz_u8(f) > 240)
		cmd.flags = fz_u32(f);
	if (!typed(s, f, IOMMU_IOAS_ALLOC, &cmd, sizeof(cmd), NULL)) {
		FZ_CHECK(!cmd.flags, "IOAS_ALLOC took flags 0x%x", cmd.flags);
		ioas_add(s, cmd.out_ioas_id);
	}
}

static void op_allow(struct st *s, struct fz *f)
{
	struct iommu_ioas_allow_iovas cmd = { .size = sizeof(cmd) };
	struct iommu_iova_range *r = (void *)(fz_arena.arg + 8192);
	struct ioas_m *m = pick_ioas_m(s, f, &cmd.ioas_id);
	uint32_t i, n = fz_u8(f) % 5;

	for (i = 0; i < n; i++) {
		r[i].start = pick_iova(s, f, m);
		r[i].last = r[i].start + pick_len(f, m) - 1;
	}
	cmd.num_iovas = n;
	cmd.allowed_iovas = fz_u8(f) < 240 ? (uintptr_t)r : fz_ptr(f);
	if (!typed(s, f, IOMMU_IOAS_ALLOW_IOVAS, &cmd, sizeof(cmd), NULL) && m)
		check_ranges(s, m);
}

static void op_iova_ranges(struct st *s, struct fz *f)
{
	struct iommu_ioas_iova_ranges cmd = { .size = sizeof(cmd) };
	struct iommu_iova_range *r = (void *)(fz_arena.arg + 8192);
	struct ioas_m *m = pick_ioas_m(s, f, &cmd.ioas_id);
	uint32_t cap = fz_u8(f) % 6, i;
	int rc;

	/* The array, then a canary: nothing is written past @cap entries. */
	memset(r, CANARY_BYTE, 8 * sizeof(*r));
	cmd.num_iovas = cap;
	cmd.allowed_iovas = fz_u8(f) < 230 ? (uintptr_t)r : fz_ptr(f);
	rc = typed(s, f, IOMMU_IOAS_IOVA_RANGES, &cmd, sizeof(cmd), NULL);
	if (cmd.allowed_iovas == (uintptr_t)r)
		for (i = cap * sizeof(*r); i < 8 * sizeof(*r); i++)
			FZ_CHECK(((uint8_t *)r)[i] == CANARY_BYTE,
				 "IOVA_RANGES wrote past %u entries", cap);
	if (!rc)
		FZ_CHECK(cmd.num_iovas <= cap, "%u ranges fit in %u",
			 cmd.num_iovas, cap);
	if (m && (!rc || rc == -EMSGSIZE))
		check_ranges(s, m);
}

/* After a successful map: its IOVA, and the model. */
static void mapped(struct st *s, struct ioas_m *m, uint32_t flags,
		   uint64_t want_iova, uint64_t iova, uint64_t len,
		   uint64_t src_addr, uint64_t backing, enum area_kind kind)
{
	if (flags & IOMMU_IOAS_MAP_FIXED_IOVA)
		FZ_CHECK(iova == want_iova, "FIXED_IOVA 0x%llx came back 0x%llx",
			 (unsigned long long)want_iova,
			 (unsigned long long)iova);
	else /* as Linux: aligned, then the source's page offset or'ed in */
		FZ_CHECK((iova & (src_addr % FZ_PG)) == src_addr % FZ_PG,
			 "automatic IOVA 0x%llx for source 0x%llx: page offset "
			 "lost",
			 (unsigned long long)iova,
			 (unsigned long long)src_addr);
	FZ_TRACE("mapped [0x%llx +0x%llx) -> 0x%llx (kind %d) in IOAS %u",
		 (unsigned long long)iova, (unsigned long long)len,
		 (unsigned long long)backing, kind, m ? m->id : 0);
	s->last_iova = iova;
	area_add(m, iova, len, backing, kind);
	if (m)
		check_ranges(s, m);
}

static void op_map(struct st *s, struct fz *f)
{
	struct iommu_ioas_map cmd = { .size = sizeof(cmd) };
	struct ioas_m *m = pick_ioas_m(s, f, &cmd.ioas_id);
	enum arg_mode mode;
	uint64_t want;
	int rc;

	cmd.flags = pick_map_flags(f);
	cmd.user_va = fz_ptr(f);
	cmd.length = fz_clamp_len(cmd.user_va, pick_len(f, m));
	cmd.iova = want = pick_iova(s, f, m);
	FZ_TRACE("map va 0x%llx +0x%llx (data 0x%llx, arg 0x%llx)",
		 (unsigned long long)cmd.user_va,
		 (unsigned long long)cmd.length,
		 (unsigned long long)(uintptr_t)fz_arena.data,
		 (unsigned long long)(uintptr_t)fz_arena.arg);
	rc = typed(s, f, IOMMU_IOAS_MAP, &cmd, sizeof(cmd), &mode);
	if (!rc)
		mapped(s, m, cmd.flags, want, cmd.iova, cmd.length, cmd.user_va,
		       cmd.user_va, A_USER);
	else if (rc == -EFAULT && mode == ARG_RO && m)
		m->exact = false; /* mapped, but the IOVA did not come back */
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return a >= 0 && b >= 0 && !fstat(a, &sa) && !fstat(b, &sb) &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* An fd for MAP_FILE: ours, the store's, or any number. */
static int pick_fd(struct st *s, struct fz *f, uint64_t *view)
{
	uint8_t k = fz_u8(f);
	int fd;

	*view = 0;
	if (k < 140) {
		*view = (uintptr_t)memfd_map;
		return memfd;
	}
	if (k < 190 && s->g) {
		*view = (uintptr_t)pm_gmem_host_view(s->g);
		return k & 1 ? pm_gmem_shared_fd(s->g) : pm_gmem_private_fd(s->g);
	}
	/* Any number: it may name our files through a descriptor the
	 * library keeps (it holds its own reference to a mapped file). */
	fd = k < 230 ? (int)(k % 40) - 2 : (int)fz_u32(f);
	if (same_file(fd, memfd))
		*view = (uintptr_t)memfd_map;
	if (s->g && (same_file(fd, pm_gmem_shared_fd(s->g)) ||
		     same_file(fd, pm_gmem_private_fd(s->g))))
		*view = (uintptr_t)pm_gmem_host_view(s->g);
	return fd;
}

static uint64_t pick_file_start(struct fz *f)
{
	uint8_t k = fz_u8(f);

	if (k < 200)
		return (k % 16) * FZ_PG;
	if (k < 230)
		return fz_u16(f);
	return fz_u64(f);
}

static void op_map_file(struct st *s, struct fz *f)
{
	struct iommu_ioas_map_file cmd = { .size = sizeof(cmd) };
	struct ioas_m *m = pick_ioas_m(s, f, &cmd.ioas_id);
	enum arg_mode mode;
	uint64_t want, view;
	int rc;

	cmd.flags = pick_map_flags(f);
	cmd.fd = pick_fd(s, f, &view);
	cmd.start = pick_file_start(f);
	cmd.length = pick_len(f, m);
	cmd.iova = want = pick_iova(s, f, m);
	rc = typed(s, f, IOMMU_IOAS_MAP_FILE, &cmd, sizeof(cmd), &mode);
	if (!rc) {
		char link[64], path[256];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", cmd.fd);
		n = readlink(link, path, sizeof(path) - 1);
		path[n < 0 ? 0 : n] = 0;
		FZ_CHECK(view, "MAP_FILE of fd %d (%s: not our memfd or the "
			 "store's) succeeded", cmd.fd, path);
		mapped(s, m, cmd.flags, want, cmd.iova, cmd.length, cmd.start,
		       view + cmd.start,
		       view == (uintptr_t)memfd_map ? A_FILE : A_GMEM);
	} else if (rc == -EFAULT && mode == ARG_RO && m) {
		m->exact = false;
	}
}

/* COPY: the destination areas are the source's pieces, one per area. */
static void op_copy(struct st *s, struct fz *f)
{
	struct iommu_ioas_copy cmd = { .size = sizeof(cmd) };
	struct ioas_m *dst = pick_ioas_m(s, f, &cmd.dst_ioas_id);
	struct ioas_m *src = pick_ioas_m(s, f, &cmd.src_ioas_id);
	struct area pieces[NR_AREAS];
	enum arg_mode mode;
	uint64_t want, at, last;
	int rc, n = 0, i;

	cmd.flags = pick_map_flags(f);
	cmd.src_iova = pick_iova(s, f, src);
	cmd.length = pick_len(f, src);
	cmd.dst_iova = want = pick_iova(s, f, dst);
	/* The source pieces, before the call (the source may be dst). */
	if (src && src->exact && cmd.length &&
	    cmd.src_iova + (cmd.length - 1) >= cmd.src_iova) {
		last = cmd.src_iova + (cmd.length - 1);
		for (at = cmd.src_iova; n < NR_AREAS;) {
			struct area *a = area_holding(src, at, 1);
			uint64_t end;

			if (!a)
				break;
			end = a->iova + (a->len - 1) < last ?
				      a->iova + (a->len - 1) :
				      last;
			pieces[n++] = (struct area){
				at, end - at + 1,
				a->backing ? a->backing + (at - a->iova) : 0,
				A_COPY };
			if (end == last)
				break;
			at = end + 1;
		}
	}
	rc = typed(s, f, IOMMU_IOAS_COPY, &cmd, sizeof(cmd), &mode);
	if (rc) {
		if (rc == -EFAULT && mode == ARG_RO && dst)
			dst->exact = false;
		return;
	}
	if (cmd.flags & IOMMU_IOAS_MAP_FIXED_IOVA)
		FZ_CHECK(cmd.dst_iova == want, "COPY to a FIXED_IOVA moved");
	s->last_iova = cmd.dst_iova;
	if (!dst)
		return;
	if (!src || !src->exact) {
		dst->exact = false;
		return;
	}
	at = 0;
	for (i = 0; i < n; i++)
		at += pieces[i].len;
	FZ_CHECK(at == cmd.length,
		 "COPY of [0x%llx +0x%llx) succeeded but the model's source "
		 "covers 0x%llx bytes",
		 (unsigned long long)cmd.src_iova,
		 (unsigned long long)cmd.length, (unsigned long long)at);
	for (i = 0; i < n; i++)
		area_add(dst, cmd.dst_iova + (pieces[i].iova - cmd.src_iova),
			 pieces[i].len, pieces[i].backing, A_COPY);
	check_ranges(s, dst);
}

static void op_unmap(struct st *s, struct fz *f)
{
	struct iommu_ioas_unmap cmd = { .size = sizeof(cmd) };
	struct ioas_m *m = pick_ioas_m(s, f, &cmd.ioas_id);
	bool all = fz_u8(f) < 30, ro_done;
	uint64_t iova, len, last;
	enum arg_mode mode;
	int rc;

	cmd.iova = iova = all ? 0 : pick_iova(s, f, m);
	cmd.length = len = all ? UINT64_MAX : pick_len(f, m);
	all = iova == 0 && len == UINT64_MAX;
	rc = typed(s, f, IOMMU_IOAS_UNMAP, &cmd, sizeof(cmd), &mode);
	if (!all && (!len || len == UINT64_MAX || iova == UINT64_MAX ||
		     iova + (len - 1) < iova)) {
		FZ_CHECK(rc, "UNMAP of an empty or wrapping range succeeded");
		return;
	}
	if (!m)
		return;
	last = all ? UINT64_MAX : iova + (len - 1);
	ro_done = rc == -EFAULT && mode == ARG_RO;
	if (ro_done) /* done, but the count did not come back */
		model_unmap(m, iova, last, 0, 0, all, false);
	else if (!rc || rc == -ENOENT)
		model_unmap(m, iova, last, rc, rc ? 0 : cmd.length, all, true);
	else if (rc != -EINVAL && rc != -EOVERFLOW && rc != -EFAULT)
		m->exact = false;
	check_ranges(s, m);
}

static void op_option(struct st *s, struct fz *f)
{
	struct iommu_option cmd = { .size = sizeof(cmd) };
	uint8_t k = fz_u8(f);

	cmd.option_id = k & 1 ? IOMMU_OPTION_HUGE_PAGES :
				IOMMU_OPTION_RLIMIT_MODE;
	if (k > 240)
		cmd.option_id = fz_u32(f);
	cmd.op = fz_u8(f) & 1 ? IOMMU_OPTION_OP_GET : IOMMU_OPTION_OP_SET;
	cmd.object_id = cmd.option_id == IOMMU_OPTION_HUGE_PAGES ?
				pick_id(s, f, -1) :
				0;
	cmd.val64 = fz_u8(f) % 3;
	typed(s, f, IOMMU_OPTION, &cmd, sizeof(cmd), NULL);
	/* HUGE_PAGES changes an IOAS's alignment rules, not its areas. */
}

static void op_vfio_ioas(struct st *s, struct fz *f)
{
	struct iommu_vfio_ioas cmd = { .size = sizeof(cmd) };
	int rc;

	cmd.op = fz_u8(f) % 4;
	cmd.ioas_id = pick_id(s, f, -1);
	rc = typed(s, f, IOMMU_VFIO_IOAS, &cmd, sizeof(cmd), NULL);
	if (rc)
		return;
	if (cmd.op == IOMMU_VFIO_IOAS_GET)
		FZ_CHECK(cmd.ioas_id, "VFIO_IOAS GET gave id 0");
	if (cmd.op == IOMMU_VFIO_IOAS_SET || cmd.op == IOMMU_VFIO_IOAS_GET)
		s->vfio_ioas = cmd.ioas_id;
	else if (cmd.op == IOMMU_VFIO_IOAS_CLEAR)
		s->vfio_ioas = 0;
}

static void op_hwpt_alloc(struct st *s, struct fz *f)
{
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	uint8_t k = fz_u8(f);

	cmd.dev_id = pick_id(s, f, O_IDEV);
	cmd.pt_id = pick_id(s, f, k & 1 ? -1 : O_HWPT);
	cmd.flags = k < 200 ? 0 : fz_u8(f) & 0xf;
	if (k > 230) {
		cmd.data_type = fz_u8(f) % 3;
		cmd.data_len = fz_u8(f);
		cmd.data_uptr = fz_ptr(f);
	}
	if (!typed(s, f, IOMMU_HWPT_ALLOC, &cmd, sizeof(cmd), NULL))
		obj_add(s, cmd.out_hwpt_id, O_HWPT, false, cmd.pt_id);
}

static void op_hw_info(struct st *s, struct fz *f)
{
	struct iommu_hw_info cmd = { .size = sizeof(cmd) };

	cmd.dev_id = pick_id(s, f, O_IDEV);
	cmd.data_len = fz_u8(f) % 64;
	cmd.data_uptr = fz_u8(f) < 200 ? (uintptr_t)fz_arena.data : fz_ptr(f);
	cmd.flags = fz_u8(f) > 240 ? fz_u32(f) : 0;
	typed(s, f, IOMMU_GET_HW_INFO, &cmd, sizeof(cmd), NULL);
}

static int test_cmd(struct st *s, struct fz *f, struct iommu_test_cmd *cmd,
		    enum arg_mode *mode)
{
	cmd->size = sizeof(*cmd);
	return typed(s, f, IOMMU_TEST_CMD, cmd, sizeof(*cmd), mode);
}

static void op_add_reserved(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ADD_RESERVED };
	struct ioas_m *m = pick_ioas_m(s, f, &cmd.id);
	int rc;

	cmd.add_reserved.start = pick_iova(s, f, m);
	cmd.add_reserved.length = pick_len(f, m);
	rc = test_cmd(s, f, &cmd, NULL);
	if (!rc && m && m->exact) {
		int i;

		for (i = 0; i < m->na; i++)
			FZ_CHECK(!overlaps(cmd.add_reserved.start,
					   cmd.add_reserved.length,
					   m->a[i].iova, m->a[i].len),
				 "reserved a range over a mapping");
	}
	if (!rc && m)
		check_ranges(s, m);
}

/* A mock device on @pt_id: its ids, and which IOAS its HWPT serves. */
static void mock_added(struct st *s, uint32_t pt_id, uint32_t stdev,
		       uint32_t hwpt, uint32_t idev)
{
	struct obj *o;

	obj_add(s, stdev, O_STDEV, false, 0);
	o = obj_by_id(s, stdev);
	if (o) {
		o->idev = idev;
		o->hwpt = hwpt;
	}
	obj_add(s, idev, O_IDEV, false, 0);
	if (ioas_by_id(s, pt_id))
		obj_add(s, hwpt, O_HWPT, true, pt_id);
}

static void op_mock_domain(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { 0 };
	uint8_t k = fz_u8(f);
	struct ioas_m *m;
	struct obj *pt;

	cmd.id = pick_id(s, f, k & 1 ? O_HWPT : -1);
	if (k & 2) {
		cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
		cmd.mock_domain_flags.dev_flags = fz_u8(f) & 7;
	} else {
		cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	}
	if (test_cmd(s, f, &cmd, NULL))
		return;
	m = ioas_by_id(s, cmd.id);
	pt = obj_by_id(s, cmd.id);
	mock_added(s, cmd.id, cmd.mock_domain.out_stdev_id,
		   cmd.mock_domain.out_hwpt_id, cmd.mock_domain.out_idev_id);
	if (m)
		check_ranges(s, m);
	else if (pt)
		FZ_CHECK(cmd.mock_domain.out_hwpt_id == cmd.id,
			 "attached to HWPT %u but got HWPT %u", cmd.id,
			 cmd.mock_domain.out_hwpt_id);
}

static void op_mock_replace(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	uint32_t want;
	struct obj *o;
	int i;

	cmd.id = pick_id(s, f, O_STDEV);
	cmd.mock_domain_replace.pt_id = want =
		pick_id(s, f, fz_u8(f) & 1 ? O_HWPT : -1);
	if (test_cmd(s, f, &cmd, NULL))
		return;
	/* The old automatic HWPT may have gone; an IOAS gets one made or
	 * reused, whose id comes back. */
	o = obj_by_id(s, cmd.id);
	for (i = 0; o && i < NR_OBJS; i++)
		if (s->obj[i].live && s->obj[i].auto_hwpt &&
		    s->obj[i].id == o->hwpt)
			s->obj[i].live = false;
	if (ioas_by_id(s, want)) {
		if (!obj_by_id(s, cmd.mock_domain_replace.pt_id))
			obj_add(s, cmd.mock_domain_replace.pt_id, O_HWPT, true,
				want);
	} else if (obj_by_id(s, want)) {
		FZ_CHECK(cmd.mock_domain_replace.pt_id == want,
			 "replaced onto HWPT %u but got %u", want,
			 cmd.mock_domain_replace.pt_id);
	}
	if (o)
		o->hwpt = cmd.mock_domain_replace.pt_id;
}

/* MD_CHECK_MAP: an HWPT of an IOAS translates its user mappings. */
static void op_check_map(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_MAP };
	enum arg_mode mode;
	struct obj *h;
	struct ioas_m *m;
	struct area *a;
	int rc;

	cmd.id = pick_id(s, f, O_HWPT);
	h = obj_by_id(s, cmd.id);
	m = h && h->kind == O_HWPT ? ioas_by_id(s, h->ioas_id) : NULL;
	a = m && m->exact && m->na ? &m->a[fz_u8(f) % m->na] : NULL;
	if (a && fz_u8(f) < 200) {
		cmd.check_map.iova = a->iova;
		cmd.check_map.length = a->len;
		cmd.check_map.uptr = a->backing;
	} else {
		cmd.check_map.iova = pick_iova(s, f, m);
		cmd.check_map.length = pick_len(f, m);
		cmd.check_map.uptr = fz_ptr(f);
		a = NULL;
	}
	FZ_TRACE("check_map hwpt %u [0x%llx +0x%llx) uptr 0x%llx", cmd.id,
		 (unsigned long long)cmd.check_map.iova,
		 (unsigned long long)cmd.check_map.length,
		 (unsigned long long)cmd.check_map.uptr);
	rc = test_cmd(s, f, &cmd, &mode);
	/*
	 * A user mapping of the data area, 2 KiB aligned, in the IOAS this
	 * HWPT (still alive: ENOENT otherwise) belongs to: mapped there.
	 */
	if (a && a->kind == A_USER && rc != -ENOENT &&
	    (mode == ARG_RW || mode == ARG_RO) &&
	    a->backing >= (uintptr_t)fz_arena.data &&
	    a->backing + a->len <= (uintptr_t)fz_arena.guard1 &&
	    !(a->iova % MOCK_PG) && !(a->len % MOCK_PG) &&
	    !(a->backing % MOCK_PG))
		FZ_CHECK(rc == 0,
			 "HWPT %u of IOAS %u does not translate "
			 "[0x%llx +0x%llx) to its memory: %d",
			 h->id, m->id, (unsigned long long)a->iova,
			 (unsigned long long)a->len, rc);
}

static void op_check_refs(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };

	cmd.check_refs.uptr = fz_ptr(f);
	cmd.check_refs.length = (fz_u8(f) % 4) * FZ_PG;
	cmd.check_refs.refs = fz_u8(f) % 3;
	test_cmd(s, f, &cmd, NULL);
}

static struct acc *pick_acc(struct st *s, struct fz *f, uint32_t *fd)
{
	uint8_t k = fz_u8(f);
	struct acc *a = &s->acc[k % NR_ACC];
	int i;

	if (k < 200 && a->live) {
		*fd = (uint32_t)a->fd;
		return a;
	}
	*fd = k < 230 ? k % 32 : fz_u32(f);
	/* Any number may still name one of ours. */
	for (i = 0; i < NR_ACC; i++)
		if (s->acc[i].live && (uint32_t)s->acc[i].fd == *fd)
			return &s->acc[i];
	return NULL;
}

static void acc_add(struct st *s, int fd, uint32_t ioas_id)
{
	int i;

	FZ_CHECK(fd >= 0 && fd < FZ_NFDS && !base_fds[fd],
		 "access fd %d", fd);
	for (i = 0; i < NR_ACC; i++) {
		if (!s->acc[i].live) {
			s->acc[i] = (struct acc){ fd, ioas_id, true };
			return;
		}
	}
	for (i = 0; i < (int)FZ_ARRAY_LEN(s->stray_fd); i++) {
		if (s->stray_fd[i] < 0) {
			s->stray_fd[i] = fd;
			return;
		}
	}
	close(fd);
}

static void op_create_access(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_CREATE_ACCESS };
	uint8_t k = fz_u8(f);

	cmd.id = pick_id(s, f, -1);
	cmd.create_access.flags =
		k < 120 ? 0 :
		k < 240 ? MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES :
			  fz_u32(f);
	if (!test_cmd(s, f, &cmd, NULL))
		acc_add(s, (int)cmd.create_access.out_access_fd, cmd.id);
}

static void op_access_pages(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	struct acc *a = pick_acc(s, f, &cmd.id);
	struct ioas_m *m = a ? ioas_by_id(s, a->ioas_id) : NULL;
	struct area *ar = m && m->na ? &m->a[fz_u8(f) % m->na] : NULL;
	uint8_t k = fz_u8(f);
	int i;

	if (ar && k < 160) {
		cmd.access_pages.iova = ar->iova;
		cmd.access_pages.length = ar->len < 8 * FZ_PG ? ar->len : FZ_PG;
		cmd.access_pages.uptr = k & 1 ? 0 : ar->backing;
	} else {
		cmd.access_pages.iova = pick_iova(s, f, m);
		cmd.access_pages.length = pick_len(f, m);
		cmd.access_pages.uptr = k & 1 ? 0 : fz_ptr(f);
	}
	cmd.access_pages.flags = fz_u8(f) & 1 ? MOCK_FLAGS_ACCESS_WRITE : 0;
	if (fz_u8(f) > 245)
		cmd.access_pages.flags = fz_u32(f);
	if (test_cmd(s, f, &cmd, NULL))
		return;
	for (i = 0; i < NR_ITEMS; i++) {
		if (!s->item[i].live) {
			s->item[i] = (struct item){
				(int)cmd.id, cmd.access_pages.out_access_pages_id,
				true };
			break;
		}
	}
}

static void op_destroy_item(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES };
	struct item *it = &s->item[fz_u8(f) % NR_ITEMS];

	if (it->live && fz_u8(f) < 220) {
		cmd.id = (uint32_t)it->fd;
		cmd.destroy_access_pages.access_pages_id = it->id;
	} else {
		pick_acc(s, f, &cmd.id);
		cmd.destroy_access_pages.access_pages_id = fz_u8(f) % 8;
	}
	if (!test_cmd(s, f, &cmd, NULL) && it->live && it->fd == (int)cmd.id &&
	    it->id == cmd.destroy_access_pages.access_pages_id)
		it->live = false;
}

/*
 * ACCESS_RW: an in-library access reads or writes the IOAS. When the range
 * lies in one mapping the model knows, the bytes moved must be those of
 * the memory behind it, and that memory must be readable by the host.
 */
static void op_access_rw(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_RW };
	struct acc *a = pick_acc(s, f, &cmd.id);
	struct ioas_m *m = a ? ioas_by_id(s, a->ioas_id) : NULL;
	struct area *ar = m && m->na ? &m->a[fz_u8(f) % m->na] : NULL;
	uint8_t k = fz_u8(f);
	bool write = k & 1, mine = k < 230;
	uint64_t len;
	int rc;

	if (ar && k < 200) {
		uint64_t off = (fz_u8(f) % 16) * 512;

		cmd.access_rw.iova = ar->iova + (off < ar->len ? off : 0);
		len = 1 + fz_u16(f) % sizeof(scratch);
	} else {
		cmd.access_rw.iova = pick_iova(s, f, m);
		len = fz_u8(f) < 240 ? fz_u16(f) % sizeof(scratch) : fz_u64(f);
	}
	cmd.access_rw.length = len;
	cmd.access_rw.uptr = mine ? (uintptr_t)scratch : fz_ptr(f);
	cmd.access_rw.flags = (write ? MOCK_ACCESS_RW_WRITE : 0) |
			      (k & 2 ? MOCK_ACCESS_RW_SLOW_PATH : 0);
	if (fz_u8(f) > 250)
		cmd.access_rw.flags = fz_u32(f);
	memcpy(scratch, pattern + k, sizeof(scratch));
	rc = test_cmd(s, f, &cmd, NULL);
	if (rc || !mine || !len || len > sizeof(scratch) ||
	    cmd.access_rw.flags & ~(MOCK_ACCESS_RW_WRITE |
				    MOCK_ACCESS_RW_SLOW_PATH))
		return;
	ar = area_holding(m, cmd.access_rw.iova, len);
	if (!ar || !ar->backing)
		return;
	FZ_CHECK(!fz_read_nofault(cmp_buf, ar->backing +
				  (cmd.access_rw.iova - ar->iova), len),
		 "ACCESS_RW %s [0x%llx +0x%llx) succeeded, but the memory "
		 "behind it is not readable by the host",
		 write ? "write" : "read",
		 (unsigned long long)cmd.access_rw.iova,
		 (unsigned long long)len);
	FZ_CHECK(!memcmp(cmp_buf, scratch, len),
		 "ACCESS_RW %s [0x%llx +0x%llx) moved other bytes than the "
		 "memory behind the mapping",
		 write ? "write" : "read",
		 (unsigned long long)cmd.access_rw.iova,
		 (unsigned long long)len);
}

static void op_access_replace(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };
	struct acc *a = pick_acc(s, f, &cmd.id);

	cmd.access_replace_ioas.ioas_id = pick_id(s, f, -1);
	if (!test_cmd(s, f, &cmd, NULL) && a)
		a->ioas_id = cmd.access_replace_ioas.ioas_id;
}

static void op_close_access(struct st *s, struct fz *f)
{
	struct acc *a = &s->acc[fz_u8(f) % NR_ACC];

	if (a->live) {
		close(a->fd);
		a->live = false;
	}
}

static void op_memory_limit(struct st *s, struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT };

	cmd.memory_limit.limit = fz_u8(f) < 200 ? 12U + fz_u16(f) : fz_u32(f);
	test_cmd(s, f, &cmd, NULL);
}

static void op_change_process(struct st *s, struct fz *f)
{
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };

	if (fz_u8(f) > 240)
		cmd.__reserved = fz_u32(f);
	typed(s, f, IOMMU_IOAS_CHANGE_PROCESS, &cmd, sizeof(cmd), NULL);
}

/* VFIO type1 on the compat IOAS: its model stops being exact on change. */
static void vfio_changed(struct st *s)
{
	struct ioas_m *m = ioas_by_id(s, s->vfio_ioas);

	if (m)
		m->exact = false;
	else
		all_inexact(s);
}

static void op_vfio(struct st *s, struct fz *f)
{
	uint8_t k = fz_u8(f);
	int rc;

	switch (k % 5) {
	case 0: {
		unsigned long type = fz_u8(f) < 200 ? fz_u8(f) % 10 : fz_u64(f);

		if (!do_ioctl(s, VFIO_SET_IOMMU, (void *)(uintptr_t)type))
			vfio_changed(s);
		break;
	}
	case 1:
		do_ioctl(s, VFIO_CHECK_EXTENSION,
			 (void *)(uintptr_t)(fz_u8(f) % 12));
		do_ioctl(s, VFIO_GET_API_VERSION, NULL);
		break;
	case 2: {
		struct vfio_iommu_type1_info *info = (void *)fz_arena.data;
		uint32_t argsz = fz_u8(f) < 200 ? fz_u8(f) : fz_u32(f);

		memset(info, 0, sizeof(*info));
		info->argsz = argsz;
		do_ioctl(s, VFIO_IOMMU_GET_INFO,
			 fz_u8(f) < 230 ? (void *)info :
					  (void *)(uintptr_t)fz_ptr(f));
		break;
	}
	case 3: {
		struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
		struct arg a;

		map.flags = fz_u8(f) < 220 ? (VFIO_DMA_MAP_FLAG_READ |
					       VFIO_DMA_MAP_FLAG_WRITE) :
					     fz_u32(f);
		map.vaddr = fz_ptr(f);
		map.iova = pick_iova(s, f, ioas_by_id(s, s->vfio_ioas));
		map.size = fz_clamp_len(map.vaddr, pick_len(f, NULL));
		arg_place(&a, f, pick_mode(f), &map, sizeof(map));
		rc = do_ioctl(s, VFIO_IOMMU_MAP_DMA, a.p);
		arg_done(&a, VFIO_IOMMU_MAP_DMA, NULL);
		if (!rc || (rc == -EFAULT && a.mode == ARG_RO))
			vfio_changed(s);
		break;
	}
	default: {
		struct vfio_iommu_type1_dma_unmap unmap = {
			.argsz = sizeof(unmap)
		};
		struct arg a;

		unmap.flags = fz_u8(f) < 200 ? 0 : fz_u8(f) & 3;
		unmap.iova = pick_iova(s, f, ioas_by_id(s, s->vfio_ioas));
		unmap.size = pick_len(f, NULL);
		arg_place(&a, f, pick_mode(f), &unmap, sizeof(unmap));
		rc = do_ioctl(s, VFIO_IOMMU_UNMAP_DMA, a.p);
		arg_done(&a, VFIO_IOMMU_UNMAP_DMA, NULL);
		/*
		 * Type1 (HUGE_PAGES off) may cut mappings, and unmaps some
		 * before failing; as in Linux the cuts stay when the unmap
		 * then fails, EINVAL included (a false positive of this
		 * target after 4.8 M inputs: a later IOAS_UNMAP of the cut
		 * piece rightly succeeded).
		 */
		if (rc != -ENODEV && rc != -ENOTTY)
			vfio_changed(s);
		break;
	}
	}
}

/* A gmem store: create it, map it, convert it. */
static void op_gmem(struct st *s, struct fz *f)
{
	uint8_t k = fz_u8(f);

	if (!s->g) {
		struct pm_gmem_config cfg = {
			.backend = PM_GMEM_MEMFD,
			.size = GMEM_PAGES * FZ_PG,
			.flags = k & 1 ? PM_GMEM_F_INIT_PRIVATE : 0,
			.vm_fd = -1,
			.fd = -1,
		};
		uint8_t *v;
		int rc = pm_gmem_create(&cfg, &s->g), p;

		FZ_CHECK(!rc, "memfd store: %d", rc);
		v = pm_gmem_host_view(s->g);
		if (!(k & 1))
			for (p = 0; p < GMEM_PAGES; p++)
				memset(v + p * FZ_PG, 0x40 + p, FZ_PG);
		return;
	}
	switch (k % 3) {
	case 0: {
		struct ioas_m *m;
		uint64_t iova, off = (fz_u8(f) % GMEM_PAGES) * FZ_PG;
		uint64_t len = (1 + fz_u8(f) % GMEM_PAGES) * FZ_PG;
		uint32_t id, flags = pick_map_flags(f);
		int rc;

		m = pick_ioas_m(s, f, &id);
		iova = pick_iova(s, f, m);
		rc = pm_ioas_map_gmem(s->ctx, id, s->g, off, len, &iova, flags);
		if (!rc)
			mapped(s, m, flags | IOMMU_IOAS_MAP_FIXED_IOVA, iova,
			       iova, len, off,
			       (uintptr_t)pm_gmem_host_view(s->g) + off,
			       A_GMEM);
		else
			FZ_CHECK(rc < 0 && known_errno(-rc),
				 "pm_ioas_map_gmem: %d", rc);
		break;
	}
	case 1: {
		uint64_t off = (fz_u8(f) % GMEM_PAGES) * FZ_PG;
		uint64_t n = 1 + fz_u8(f) % GMEM_PAGES;
		uint8_t m = fz_u8(f);

		pm_gmem_convert(s->g, off, n * FZ_PG,
				m & 1 ? PM_GMEM_PRIVATE : PM_GMEM_SHARED,
				m & 2 ? PM_GMEM_CONVERT_KEEP : 0, NULL);
		break;
	}
	default: {
		/* Write a shared page through the host view. */
		uint64_t off = (fz_u8(f) % GMEM_PAGES) * FZ_PG;

		if (pm_gmem_is_private(s->g, off) == 0)
			memset((uint8_t *)pm_gmem_host_view(s->g) + off,
			       fz_u8(f), FZ_PG);
		break;
	}
	}
}

/* ------------------------------------------------------------ raw */

/* The offsets of the pointer fields of a command, for sanitizing. */
static void raw_ptr_fields(unsigned int cmd, const uint8_t *b, size_t *off,
			   int *n)
{
	const struct iommu_test_cmd *t = (const void *)b;

	*n = 0;
	switch (cmd) {
	case IOMMU_IOAS_ALLOW_IOVAS:
		off[(*n)++] = offsetof(struct iommu_ioas_allow_iovas,
				       allowed_iovas);
		break;
	case IOMMU_IOAS_IOVA_RANGES:
		off[(*n)++] = offsetof(struct iommu_ioas_iova_ranges,
				       allowed_iovas);
		break;
	case IOMMU_IOAS_MAP:
		off[(*n)++] = offsetof(struct iommu_ioas_map, user_va);
		break;
	case IOMMU_HWPT_ALLOC:
		off[(*n)++] = offsetof(struct iommu_hwpt_alloc, data_uptr);
		break;
	case IOMMU_GET_HW_INFO:
		off[(*n)++] = offsetof(struct iommu_hw_info, data_uptr);
		break;
	case IOMMU_HWPT_INVALIDATE:
		off[(*n)++] = offsetof(struct iommu_hwpt_invalidate, data_uptr);
		break;
	case IOMMU_VIOMMU_ALLOC:
		off[(*n)++] = offsetof(struct iommu_viommu_alloc, data_uptr);
		break;
	case VFIO_IOMMU_MAP_DMA:
		off[(*n)++] = offsetof(struct vfio_iommu_type1_dma_map, vaddr);
		break;
	case IOMMU_TEST_CMD:
		/* Every union member's pointer, whatever op says. */
		off[(*n)++] = offsetof(struct iommu_test_cmd, check_map.uptr);
		off[(*n)++] = offsetof(struct iommu_test_cmd, check_refs.uptr);
		off[(*n)++] = offsetof(struct iommu_test_cmd, access_pages.uptr);
		off[(*n)++] = offsetof(struct iommu_test_cmd, dirty.uptr);
		(void)t;
		break;
	}
}

/* Make the struct hold its length field, and the length safe. */
static size_t raw_clamp(uint8_t *buf, size_t len, size_t va_off,
			size_t len_off)
{
	uint64_t va, l;

	if (len < len_off + 8)
		len = len_off + 8;
	memcpy(&va, buf + va_off, 8);
	memcpy(&l, buf + len_off, 8);
	l = fz_clamp_len(va, l);
	memcpy(buf + len_off, &l, 8);
	return len;
}

static const unsigned int known_cmds[] = {
	IOMMU_DESTROY, IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOW_IOVAS,
	IOMMU_IOAS_COPY, IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_MAP,
	IOMMU_IOAS_UNMAP, IOMMU_OPTION, IOMMU_VFIO_IOAS, IOMMU_HWPT_ALLOC,
	IOMMU_GET_HW_INFO, IOMMU_HWPT_SET_DIRTY_TRACKING,
	IOMMU_HWPT_GET_DIRTY_BITMAP, IOMMU_HWPT_INVALIDATE,
	IOMMU_FAULT_QUEUE_ALLOC, IOMMU_IOAS_MAP_FILE, IOMMU_VIOMMU_ALLOC,
	IOMMU_VDEVICE_ALLOC, IOMMU_IOAS_CHANGE_PROCESS, IOMMU_VEVENTQ_ALLOC,
	IOMMU_HW_QUEUE_ALLOC, IOMMU_TEST_CMD, IOMMU_TEST_CMD, IOMMU_TEST_CMD,
	VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
	VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA,
	VFIO_IOMMU_DIRTY_PAGES,
};

static bool read_only_cmd(unsigned int cmd, const uint8_t *b)
{
	const struct iommu_test_cmd *t = (const void *)b;

	switch (cmd) {
	case IOMMU_IOAS_IOVA_RANGES:
	case IOMMU_GET_HW_INFO:
	case VFIO_GET_API_VERSION:
	case VFIO_CHECK_EXTENSION:
	case VFIO_IOMMU_GET_INFO:
		return true;
	case IOMMU_TEST_CMD:
		return t->op == IOMMU_TEST_OP_MD_CHECK_MAP ||
		       t->op == IOMMU_TEST_OP_MD_CHECK_REFS ||
		       t->op == IOMMU_TEST_OP_ACCESS_RW;
	}
	return false;
}

/*
 * Any command number, any bytes. Pointer fields of the commands we know
 * are replaced by pointers from the arena (wild ones included).
 */
static void op_raw(struct st *s, struct fz *f)
{
	uint8_t buf[256], k = fz_u8(f), mode = fz_u8(f);
	size_t len = fz_u8(f) % 160, off[4], tail;
	unsigned int cmd;
	uint32_t declared;
	struct arg a;
	int n, i, rc;

	if (k < 224)
		cmd = known_cmds[k % FZ_ARRAY_LEN(known_cmds)];
	else if (k < 240)
		cmd = _IO(IOMMUFD_TYPE, fz_u8(f));
	else
		cmd = fz_u32(f);
	memset(buf, 0, sizeof(buf));
	fz_bytes(f, buf, len);
	/* Mostly a sensible size field, so that the handlers run. */
	if (len >= 4 && mode < 160) {
		declared = (uint32_t)len;
		memcpy(buf, &declared, 4);
	}
	raw_ptr_fields(cmd, buf, off, &n);
	for (i = 0; i < n; i++) {
		uint64_t p = fz_ptr(f);

		if (off[i] + 8 <= sizeof(buf))
			memcpy(buf + off[i], &p, 8);
	}
	/* A user range: its length in the bytes placed, and clamped. */
	if (cmd == IOMMU_IOAS_MAP)
		len = raw_clamp(buf, len,
				offsetof(struct iommu_ioas_map, user_va),
				offsetof(struct iommu_ioas_map, length));
	if (cmd == VFIO_IOMMU_MAP_DMA)
		len = raw_clamp(buf, len,
				offsetof(struct vfio_iommu_type1_dma_map, vaddr),
				offsetof(struct vfio_iommu_type1_dma_map, size));
	if (cmd == VFIO_SET_IOMMU || cmd == VFIO_CHECK_EXTENSION) {
		rc = do_ioctl(s, cmd, (void *)(uintptr_t)fz_u64(f));
		if (!rc && cmd == VFIO_SET_IOMMU)
			vfio_changed(s);
		return;
	}
	if (mode >= 250) {
		do_ioctl(s, cmd, NULL);
		return;
	}
	arg_place(&a, f, mode < 200 ? ARG_RW :
			 mode < 215 ? ARG_RO :
			 mode < 235 ? ARG_STRADDLE : ARG_WILD,
		  buf, len);
	/* The canary starts after the size the struct declared, if larger:
	 * those bytes are the struct's, as far as the library knows. */
	if (a.mode == ARG_RW)
		memcpy(&declared, a.p, 4); /* canary bytes too, if len < 4 */
	if (a.mode == ARG_RW && declared > len) {
		tail = declared - len < CANARY_LEN ? declared - len : CANARY_LEN;
		a.len += tail;
		a.canary -= tail;
	}
	rc = do_ioctl(s, cmd, a.p);
	arg_done(&a, cmd, NULL);
	if (rc < 0 && !(rc == -EFAULT && a.mode == ARG_RO))
		return;
	if (read_only_cmd(cmd, buf))
		return;
	/* Something changed that the model did not follow. */
	all_inexact(s);
	for (i = 0; i < NR_ACC; i++)
		s->acc[i].ioas_id = 0;
	if (cmd == IOMMU_DESTROY) {
		/* The id the library read, wherever the struct ended. */
		uint32_t id;

		if (!fz_read_nofault(&id, (uintptr_t)a.p + 4, 4))
			forget_id(s, id);
	}
	if (rc || a.mode != ARG_RW)
		return;
	/* Learn the objects it made, and keep its descriptors to close. */
	len = a.len < sizeof(buf) ? a.len : sizeof(buf);
	memcpy(buf, a.p, len);
	if (cmd == IOMMU_IOAS_ALLOC && len >= 12) {
		struct iommu_ioas_alloc *c = (void *)buf;

		ioas_add(s, c->out_ioas_id);
	} else if (cmd == IOMMU_HWPT_ALLOC && len >= 20) {
		struct iommu_hwpt_alloc *c = (void *)buf;

		obj_add(s, c->out_hwpt_id, O_HWPT, false, c->pt_id);
	} else if (cmd == IOMMU_TEST_CMD && len >= 28) {
		struct iommu_test_cmd *c = (void *)buf;

		if (c->op == IOMMU_TEST_OP_CREATE_ACCESS)
			acc_add(s, (int)c->create_access.out_access_fd, 0);
		if (c->op == IOMMU_TEST_OP_MOCK_DOMAIN ||
		    c->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
			mock_added(s, c->id, c->mock_domain.out_stdev_id,
				   c->mock_domain.out_hwpt_id,
				   c->mock_domain.out_idev_id);
	}
}

/* ------------------------------------------------------------ end */

/* After close: no descriptor and no memlock charge is left behind. */
static void check_released(bool pinned)
{
	bool now[FZ_NFDS];
	struct pm_iommufd *ctx;
	struct iommu_test_cmd md = {
		.size = sizeof(md),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	uint64_t iova;
	uint32_t ioas;
	int i;

	fz_fds(now);
	for (i = 0; i < FZ_NFDS; i++)
		FZ_CHECK(now[i] == base_fds[i], "fd %d %s after close", i,
			 now[i] ? "left open" : "closed");

	/* Exactly the limit must pin again: nothing stayed charged. */
	if (!pinned)
		return;
	FZ_CHECK(!pm_iommufd_open(&ctx), "open");
	FZ_CHECK(!pm_ioas_alloc(ctx, &ioas), "ioas");
	md.id = ioas;
	FZ_CHECK(!pm_iommufd_ioctl(ctx, IOMMU_TEST_CMD, &md), "mock domain");
	iova = AP_START;
	i = pm_ioas_map(ctx, ioas, fz_arena.data, FZ_DATA_SIZE, &iova,
			IOMMU_IOAS_MAP_FIXED_IOVA | RW_FLAGS);
	FZ_CHECK(!i, "pinning the data area after close: %d (a charge was "
		 "not released)", i);
	iova = AP_START + 2 * FZ_DATA_SIZE;
	i = pm_ioas_map_file(ctx, ioas, memfd, 0, MEMFD_SIZE, &iova,
			     IOMMU_IOAS_MAP_FIXED_IOVA | RW_FLAGS);
	FZ_CHECK(!i, "pinning the memfd after close: %d (a charge was not "
		 "released)", i);
	pm_iommufd_close(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct st s;
	uint8_t first = fz_u8(&in);
	int i, nr;

	/* Descriptors open before the input (the fuzzer's included). */
	fz_fds(base_fds);
	nr_inputs++;
	memset(&s, 0, sizeof(s));
	memset(fz_arena.arg, 0, FZ_ARG_SIZE);
	for (i = 0; i < (int)FZ_ARRAY_LEN(s.stray_fd); i++)
		s.stray_fd[i] = -1;
	FZ_CHECK(!pm_iommufd_open(&s.ctx), "open");
	/* Most programs want an IOAS to start with. */
	if (first & 1) {
		uint32_t id;

		FZ_CHECK(!pm_ioas_alloc(s.ctx, &id), "ioas");
		ioas_add(&s, id);
	}
	for (nr = 0; nr < MAX_CMDS && fz_more(&in); nr++) {
		uint8_t op = fz_u8(&in);

		FZ_TRACE("op %d", op % 29);
		switch (op % 29) {
		case 0: case 1: op_raw(&s, &in); break;
		case 2: op_destroy(&s, &in); break;
		case 3: op_ioas_alloc(&s, &in); break;
		case 4: op_allow(&s, &in); break;
		case 5: op_iova_ranges(&s, &in); break;
		case 6: case 7: op_map(&s, &in); break;
		case 8: op_map_file(&s, &in); break;
		case 9: op_copy(&s, &in); break;
		case 10: case 11: op_unmap(&s, &in); break;
		case 12: op_option(&s, &in); break;
		case 13: op_vfio_ioas(&s, &in); break;
		case 14: op_hwpt_alloc(&s, &in); break;
		case 15: op_hw_info(&s, &in); break;
		case 16: op_add_reserved(&s, &in); break;
		case 17: op_mock_domain(&s, &in); break;
		case 18: op_mock_replace(&s, &in); break;
		case 19: op_check_map(&s, &in); break;
		case 20: op_create_access(&s, &in); break;
		case 21: op_access_pages(&s, &in); break;
		case 22: op_destroy_item(&s, &in); break;
		case 23: case 24: op_access_rw(&s, &in); break;
		case 25: op_access_replace(&s, &in); break;
		case 26: op_close_access(&s, &in); op_check_refs(&s, &in); break;
		case 27: op_vfio(&s, &in); op_memory_limit(&s, &in); break;
		default: op_gmem(&s, &in); op_change_process(&s, &in); break;
		}
	}

	/* Unmap everything first, or leave it to close. */
	if (first & 2) {
		for (i = 0; i < NR_IOAS; i++) {
			struct ioas_m *m = &s.ioas[i];
			uint64_t un = 0, sum = 0;
			int j, rc;

			if (!m->live)
				continue;
			rc = pm_ioas_unmap(s.ctx, m->id, 0, UINT64_MAX, &un);
			FZ_CHECK(!rc, "IOAS %u: unmap all: %d", m->id, rc);
			for (j = 0; j < m->na; j++)
				sum += m->a[j].len;
			if (m->exact)
				FZ_CHECK(un == sum,
					 "IOAS %u: unmap all gave 0x%llx, "
					 "model 0x%llx",
					 m->id, (unsigned long long)un,
					 (unsigned long long)sum);
		}
	}
	if (s.g && (first & 4))
		pm_gmem_close(s.g); /* the store first: areas lose it */
	pm_iommufd_close(s.ctx);
	if (s.g && !(first & 4))
		pm_gmem_close(s.g);
	for (i = 0; i < NR_ACC; i++)
		if (s.acc[i].live)
			close(s.acc[i].fd);
	for (i = 0; i < (int)FZ_ARRAY_LEN(s.stray_fd); i++)
		if (s.stray_fd[i] >= 0)
			close(s.stray_fd[i]);
	check_released(s.pinned);
	return 0;
}
