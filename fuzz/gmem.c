// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the gmem store against a reference model.
 *
 * The model is what the API promises, kept as plainly as possible: per
 * page its state (shared or private), its pins, and its bytes (a shadow of
 * the whole store; a page whose bytes a failed populate left half-written
 * is marked unknown until something zeroes it). An input is a program
 * (fuzz.h) of creates (memfd backend: no KVM needed), conversions both
 * ways with and without KEEP over mixed and bad ranges, punches, populates
 * (good, misaligned, faulting sources), truncation, get_pfn/put_pfn with
 * every flag, writes through the host view and through held pages (the
 * trusted path), and notifier behaviour (refusing a conversion, releasing
 * holds in begin as a consumer does). Before a call the model predicts its
 * result; after it:
 *
 *   - the return value is the predicted one (0 or the -errno), and
 *     error_offset names the first held page on -EAGAIN;
 *   - the notifier saw begin/end exactly when pages changed, with the
 *     call's range and event, end with the call's result;
 *   - every page's state (pm_gmem_is_private), pin count and the stats
 *     (size, private bytes, pinned pages, conversions) equal the model;
 *   - every shared page reads the model's bytes through the host view, and
 *     every private page faults there (EFAULT for a fault-safe read);
 *   - a page that changed sides reads zeros unless KEEP moved its bytes;
 *   - a held private page reads its bytes through its mapping.
 * At the end every hold is put and the store closed (the notifier sees
 * CLOSE); no descriptor is left open, and LeakSanitizer checks memory.
 */
#include <privmem/gmem.h>
#include <privmem/privmem.h>
#include "fuzz.h"

#define MAXP 16
#define NR_HOLDS 12
#define MAX_STEPS 48

struct hold {
	struct pm_gmem_page pg;
	int page;
	bool live;
	bool coop; /* released by the notifier when its page changes */
};

struct model {
	struct pm_gmem *g;
	uint8_t *view;
	unsigned int cap;  /* pages the store was created with */
	unsigned int size; /* pages now */
	bool priv[MAXP];
	bool unknown[MAXP]; /* content not predictable */
	uint8_t bytes[MAXP * FZ_PG];
	struct hold h[NR_HOLDS];
	uint64_t conversions;

	/* The notifier. */
	struct pm_gmem_notifier n;
	bool registered;
	int refuse; /* -errno for the next conversion's begin, or 0 */
	bool refused; /* the last begin refused */
	int begins, ends;
	bool in_begin;
	enum pm_gmem_event ev;
	uint64_t ev_off, ev_len;
	int end_result;
};

static uint8_t src_buf[MAXP * FZ_PG + FZ_PG];
static uint8_t read_buf[MAXP * FZ_PG];
static bool base_fds[FZ_NFDS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet_logs();
	fz_arena_init();
	return 0;
}

/* ------------------------------------------------------------ model */

static int pins(struct model *m, int page)
{
	int i, n = 0;

	for (i = 0; i < NR_HOLDS; i++)
		n += m->h[i].live && m->h[i].page == page;
	return n;
}

static int pinned_pages(struct model *m)
{
	unsigned int p;
	int n = 0;

	for (p = 0; p < m->cap; p++)
		n += pins(m, (int)p) > 0;
	return n;
}

static void zero_page(struct model *m, unsigned int p)
{
	memset(m->bytes + p * FZ_PG, 0, FZ_PG);
	m->unknown[p] = false;
}

static void put_hold(struct model *m, struct hold *h)
{
	pm_gmem_put_pfn(m->g, &h->pg);
	FZ_CHECK(!h->pg.__hold && !h->pg.ptr, "put left the handle set");
	h->live = false;
}

/* ------------------------------------------------------------ notifier */

static int nb_begin(struct pm_gmem_notifier *n, struct pm_gmem *g,
		    enum pm_gmem_event ev, uint64_t off, uint64_t len)
{
	struct model *m = n->opaque;
	int i, rc;

	FZ_CHECK(g == m->g, "notifier for another store");
	FZ_CHECK(!m->in_begin, "begin inside begin");
	m->begins++;
	m->in_begin = true;
	m->ev = ev;
	m->ev_off = off;
	m->ev_len = len;
	m->refused = false;
	if (ev == PM_GMEM_EV_TO_PRIVATE || ev == PM_GMEM_EV_TO_SHARED ||
	    ev == PM_GMEM_EV_GROW) {
		rc = m->refuse;
		m->refuse = 0;
		if (rc) {
			m->in_begin = false; /* no end for a refusal */
			m->refused = true;
			return rc;
		}
	}
	/*
	 * A consumer drops its references to the range (not on punch, and
	 * a range that grows has none).
	 */
	if (ev != PM_GMEM_EV_PUNCH && ev != PM_GMEM_EV_GROW)
		for (i = 0; i < NR_HOLDS; i++) {
			struct hold *h = &m->h[i];

			if (h->live && h->coop &&
			    (uint64_t)h->page * FZ_PG >= off &&
			    (uint64_t)h->page * FZ_PG - off < len)
				put_hold(m, h);
		}
	return 0;
}

static void nb_end(struct pm_gmem_notifier *n, struct pm_gmem *g,
		   enum pm_gmem_event ev, uint64_t off, uint64_t len,
		   int result)
{
	struct model *m = n->opaque;

	FZ_CHECK(g == m->g, "notifier for another store");
	FZ_CHECK(m->in_begin, "end without begin");
	FZ_CHECK(ev == m->ev && off == m->ev_off && len == m->ev_len,
		 "end (%d, 0x%llx, 0x%llx) differs from begin", ev,
		 (unsigned long long)off, (unsigned long long)len);
	m->in_begin = false;
	m->ends++;
	m->end_result = result;
}

/* ------------------------------------------------------------ checks */

/* The store is what the model says, page by page. */
static void check_all(struct model *m, bool deep)
{
	struct pm_gmem_stats st;
	uint64_t priv_bytes = 0;
	unsigned int p;
	uint8_t b;

	FZ_CHECK(pm_gmem_size(m->g) == m->size * FZ_PG, "size 0x%llx, model "
		 "%u pages", (unsigned long long)pm_gmem_size(m->g), m->size);
	for (p = 0; p < m->cap; p++) {
		uint64_t off = p * FZ_PG;
		int rc = pm_gmem_is_private(m->g, off + (p * 97) % FZ_PG);

		if (p >= m->size) {
			FZ_CHECK(rc == -EINVAL, "page %u past the size: %d", p,
				 rc);
			FZ_CHECK(pm_gmem_pin_count(m->g, off) == -EINVAL,
				 "pin count past the size");
			continue;
		}
		FZ_CHECK(rc == m->priv[p], "page %u: is_private %d, model %d",
			 p, rc, m->priv[p]);
		FZ_CHECK(pm_gmem_pin_count(m->g, off) == pins(m, (int)p),
			 "page %u: %d pins, model %d", p,
			 pm_gmem_pin_count(m->g, off), pins(m, (int)p));
		if (m->priv[p]) {
			priv_bytes += FZ_PG;
			/* The host view faults at a private page. */
			FZ_CHECK(fz_read_nofault(&b, (uintptr_t)m->view + off +
							     (p * 31) % FZ_PG,
						 1) == -EFAULT,
				 "private page %u readable through the host "
				 "view",
				 p);
			continue;
		}
		FZ_CHECK(!fz_read_nofault(read_buf, (uintptr_t)m->view + off,
					  FZ_PG),
			 "shared page %u faults in the host view", p);
		if (!m->unknown[p])
			FZ_CHECK(!memcmp(read_buf, m->bytes + off, FZ_PG),
				 "shared page %u: content differs from the "
				 "model",
				 p);
	}
	FZ_CHECK(!pm_gmem_get_stats(m->g, &st), "stats");
	FZ_CHECK(st.size == m->size * FZ_PG && st.private_bytes == priv_bytes &&
			 st.shared_bytes == st.size - priv_bytes,
		 "stats: size 0x%llx private 0x%llx shared 0x%llx; model "
		 "private 0x%llx",
		 (unsigned long long)st.size,
		 (unsigned long long)st.private_bytes,
		 (unsigned long long)st.shared_bytes,
		 (unsigned long long)priv_bytes);
	FZ_CHECK(st.nr_pinned == (uint64_t)pinned_pages(m),
		 "stats: %llu pinned pages, model %d",
		 (unsigned long long)st.nr_pinned, pinned_pages(m));
	FZ_CHECK(st.conversions == m->conversions,
		 "stats: %llu conversions, model %llu",
		 (unsigned long long)st.conversions,
		 (unsigned long long)m->conversions);
	if (!deep)
		return;
	/* Private content, through the trusted path (a hold's mapping). */
	for (p = 0; p < m->size; p++) {
		struct pm_gmem_page pg;
		int rc;

		if (!m->priv[p] || m->unknown[p])
			continue;
		rc = pm_gmem_get_pfn(m->g, p * FZ_PG, 0, &pg);
		FZ_CHECK(!rc && pg.ptr && pg.is_private,
			 "get_pfn of private page %u: %d", p, rc);
		FZ_CHECK(!memcmp(pg.ptr, m->bytes + p * FZ_PG, FZ_PG),
			 "private page %u: content differs from the model", p);
		pm_gmem_put_pfn(m->g, &pg);
	}
}

/* ------------------------------------------------------------ ranges */

/* A byte range for convert/punch: mostly whole pages, sometimes bad. */
static void pick_range(struct model *m, struct fz *f, uint64_t *off,
		       uint64_t *len)
{
	uint8_t k = fz_u8(f);
	unsigned int a = fz_u8(f) % (m->cap + 1), n = fz_u8(f) % (m->cap + 1);

	if (k < 200) {
		*off = a * FZ_PG;
		*len = (n ? n : 1) * FZ_PG;
		return;
	}
	switch (k % 6) {
	case 0:
		*off = a * FZ_PG + 1 + fz_u16(f) % (FZ_PG - 1);
		*len = n * FZ_PG;
		break;
	case 1:
		*off = a * FZ_PG;
		*len = n * FZ_PG + 1 + fz_u16(f) % (FZ_PG - 1);
		break;
	case 2:
		*off = a * FZ_PG;
		*len = 0;
		break;
	case 3:
		*off = UINT64_MAX - FZ_PG + 1;
		*len = (1 + n) * FZ_PG;
		break;
	case 4:
		*off = fz_u64(f);
		*len = fz_u64(f);
		break;
	default:
		*off = a * FZ_PG;
		*len = UINT64_MAX - FZ_PG + 1;
		break;
	}
}

/* What gmem_check_range() answers: 0, -EINVAL or -EOVERFLOW. */
static int range_rc(struct model *m, uint64_t off, uint64_t len)
{
	if (!len)
		return -EINVAL;
	if (off + (len - 1) < off)
		return -EOVERFLOW;
	if (off % FZ_PG || len % FZ_PG || off + (len - 1) >= m->size * FZ_PG)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------ ops */

static void op_convert(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);
	enum pm_gmem_state to = k & 1 ? PM_GMEM_PRIVATE : PM_GMEM_SHARED;
	uint32_t flags = k & 2 ? PM_GMEM_CONVERT_KEEP : 0;
	uint64_t off, len, err_off = 0xdead, want_err = 0;
	unsigned int p, first = 0, last = 0;
	int want, rc, begins = m->begins, ends = m->ends, i;
	bool changes = false, called;

	pick_range(m, f, &off, &len);
	if (k >= 250)
		flags = fz_u32(f);
	if (k >= 246 && k < 250)
		to = (enum pm_gmem_state)(2 + k % 4);
	if (fz_u8(f) > 225 && m->registered)
		m->refuse = fz_u8(f) & 1 ? -EBUSY : -EPERM;

	/* Predict: arguments, then nothing to change, then the notifier
	 * (which may refuse, else releases cooperative holds), then holds. */
	if ((to != PM_GMEM_SHARED && to != PM_GMEM_PRIVATE) ||
	    (flags & ~(uint32_t)PM_GMEM_CONVERT_KEEP))
		want = -EINVAL;
	else
		want = range_rc(m, off, len);
	if (!want) {
		first = (unsigned int)(off / FZ_PG);
		last = (unsigned int)((off + len) / FZ_PG - 1);
		for (p = first; p <= last; p++)
			changes |= m->priv[p] != (to == PM_GMEM_PRIVATE);
	}
	called = !want && changes && m->registered;
	if (called && m->refuse) {
		want = m->refuse;
	} else if (!want && changes) {
		for (p = first; p <= last && !want; p++) {
			if (m->priv[p] == (to == PM_GMEM_PRIVATE))
				continue;
			for (i = 0; i < NR_HOLDS; i++) {
				struct hold *h = &m->h[i];

				if (h->live && h->page == (int)p &&
				    !(h->coop && m->registered)) {
					want = -EAGAIN;
					want_err = p * FZ_PG;
					break;
				}
			}
		}
	}

	rc = pm_gmem_convert(m->g, off, len, to, flags, &err_off);
	FZ_CHECK(rc == want, "convert(0x%llx, 0x%llx, %d, 0x%x) = %d, model %d",
		 (unsigned long long)off, (unsigned long long)len, to, flags, rc,
		 want);
	if (rc == -EAGAIN)
		FZ_CHECK(err_off == want_err, "error_offset 0x%llx, model 0x%llx",
			 (unsigned long long)err_off,
			 (unsigned long long)want_err);
	if (called) {
		FZ_CHECK(m->begins == begins + 1, "no begin for a conversion");
		FZ_CHECK(m->ev == (to == PM_GMEM_PRIVATE ?
					   PM_GMEM_EV_TO_PRIVATE :
					   PM_GMEM_EV_TO_SHARED) &&
				 m->ev_off == off && m->ev_len == len,
			 "begin: event %d (0x%llx, 0x%llx)", m->ev,
			 (unsigned long long)m->ev_off,
			 (unsigned long long)m->ev_len);
		if (m->refused) {
			FZ_CHECK(m->ends == ends, "end after a refusal");
		} else {
			FZ_CHECK(m->ends == ends + 1, "no end for a conversion");
			FZ_CHECK(m->end_result == rc, "end saw %d, call gave %d",
				 m->end_result, rc);
		}
	} else {
		FZ_CHECK(m->begins == begins && m->ends == ends,
			 "notifier called for a conversion that changed "
			 "nothing");
	}
	if (rc)
		return;
	m->conversions++;
	for (p = first; p <= last && changes; p++) {
		if (m->priv[p] == (to == PM_GMEM_PRIVATE))
			continue;
		m->priv[p] = to == PM_GMEM_PRIVATE;
		if (!flags)
			zero_page(m, p);
	}
}

static void op_punch(struct model *m, struct fz *f)
{
	uint64_t off, len;
	unsigned int p;
	int rc, want, begins = m->begins;

	pick_range(m, f, &off, &len);
	want = range_rc(m, off, len);
	rc = pm_gmem_punch(m->g, off, len);
	FZ_CHECK(rc == want, "punch(0x%llx, 0x%llx) = %d, model %d",
		 (unsigned long long)off, (unsigned long long)len, rc, want);
	if (m->registered)
		FZ_CHECK(m->begins == begins + !rc &&
				 (rc || m->ev == PM_GMEM_EV_PUNCH),
			 "punch: notifier not called once with PUNCH");
	if (rc)
		return;
	for (p = (unsigned int)(off / FZ_PG); p < (off + len) / FZ_PG; p++)
		zero_page(m, p);
}

static void op_populate(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f), seed = fz_u8(f);
	uint64_t off, len, i, last;
	const void *src = src_buf;
	unsigned int p;
	int rc, want;
	bool faulting = false;

	off = fz_u16(f) % (m->cap * FZ_PG + 64);
	len = k < 200 ? 1 + fz_u16(f) % (4 * FZ_PG) :
	      k < 220 ? 0 : fz_u64(f);
	if (k >= 240) {
		src = NULL;
	} else if (k >= 230) {
		/* The source runs into a guard page after @cut bytes. */
		uint64_t cut = len ? fz_u16(f) % len : 0;

		if (cut > FZ_DATA_SIZE)
			cut = FZ_DATA_SIZE;
		src = fz_arena.guard1 - cut;
		for (i = 0; i < cut; i++)
			fz_arena.guard1[(int64_t)i - (int64_t)cut] =
				(uint8_t)(seed + i);
		faulting = true;
	}
	for (i = 0; i < sizeof(src_buf); i++)
		src_buf[i] = (uint8_t)(seed + i * 3 + (i >> 12));

	/* Predict. */
	if (!src)
		want = -EINVAL;
	else if (!len)
		want = -EINVAL;
	else if (off + (len - 1) < off)
		want = -EOVERFLOW;
	else if (off + (len - 1) >= m->size * FZ_PG)
		want = -EINVAL;
	else
		want = 0;
	last = want ? 0 : off + (len - 1);
	for (p = (unsigned int)(off / FZ_PG); !want && p <= last / FZ_PG; p++)
		if (!m->priv[p])
			want = -EINVAL;
	if (!want && faulting)
		want = -EFAULT;

	rc = pm_gmem_populate(m->g, off, src, len);
	FZ_CHECK(rc == want, "populate(0x%llx, 0x%llx) = %d, model %d",
		 (unsigned long long)off, (unsigned long long)len, rc, want);
	if (rc == -EFAULT) {
		for (p = (unsigned int)(off / FZ_PG); p <= last / FZ_PG; p++)
			m->unknown[p] = true;
		return;
	}
	if (rc)
		return;
	memcpy(m->bytes + off, src, len);
}

static void op_get(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);
	struct hold *h = NULL;
	uint32_t flags = 0;
	uint64_t off;
	int i, p, rc, want, before;

	for (i = 0; i < NR_HOLDS; i++)
		if (!m->h[i].live)
			h = &m->h[i];
	if (!h)
		return;
	off = k < 240 ? fz_u16(f) % (m->cap * FZ_PG + 32) : fz_u64(f);
	p = (int)(off / FZ_PG);
	if (k & 1)
		flags |= PM_GMEM_GET_SHARED_ONLY;
	if (k & 2)
		flags |= PM_GMEM_GET_NO_MAP;
	if (k >= 250)
		flags = fz_u32(f);
	if (flags & ~(uint32_t)(PM_GMEM_GET_SHARED_ONLY | PM_GMEM_GET_NO_MAP))
		want = -EINVAL;
	else if (off >= m->size * FZ_PG)
		want = -EINVAL;
	else if (m->priv[p] && (flags & PM_GMEM_GET_SHARED_ONLY))
		want = -EPERM;
	else
		want = 0;
	before = want ? 0 : pins(m, p);
	memset(&h->pg, 0, sizeof(h->pg));
	rc = pm_gmem_get_pfn(m->g, off, flags, &h->pg);
	FZ_CHECK(rc == want, "get_pfn(0x%llx, 0x%x) = %d, model %d",
		 (unsigned long long)off, flags, rc, want);
	if (rc)
		return;
	h->live = true;
	h->page = p;
	h->coop = k & 4;
	FZ_CHECK(h->pg.offset == (uint64_t)p * FZ_PG && h->pg.order == 0 &&
			 h->pg.is_private == m->priv[p] &&
			 h->pg.pins == (uint32_t)before + 1,
		 "get_pfn(0x%llx): offset 0x%llx order %u private %d pins %u",
		 (unsigned long long)off, (unsigned long long)h->pg.offset,
		 h->pg.order, h->pg.is_private, h->pg.pins);
	if (!m->priv[p]) {
		FZ_CHECK(h->pg.ptr == m->view + p * FZ_PG,
			 "a shared page's pointer is not the host view");
	} else if (!(flags & PM_GMEM_GET_NO_MAP)) {
		FZ_CHECK(h->pg.ptr, "a private page held with a mapping has "
			 "no pointer");
	}
	if (h->pg.ptr && !m->unknown[p])
		FZ_CHECK(!fz_read_nofault(read_buf, (uintptr_t)h->pg.ptr, FZ_PG) &&
				 !memcmp(read_buf, m->bytes + p * FZ_PG, FZ_PG),
			 "held page %d: content differs from the model", p);
}

static void op_put(struct model *m, struct fz *f)
{
	struct hold *h = &m->h[fz_u8(f) % NR_HOLDS];

	if (h->live)
		put_hold(m, h);
}

/* Write through the host view (shared) or a held page's mapping. */
static void op_write(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f), v = fz_u8(f);
	uint16_t at = fz_u16(f) % FZ_PG, n = 1 + fz_u16(f) % FZ_PG;
	uint8_t *dst;
	unsigned int p;

	if (at + n > FZ_PG)
		n = (uint16_t)(FZ_PG - at);
	if (k & 1) {
		struct hold *h = &m->h[(k >> 1) % NR_HOLDS];

		if (!h->live || !h->pg.ptr || (unsigned int)h->page >= m->size)
			return;
		p = (unsigned int)h->page;
		/* A held page cannot have changed sides. */
		FZ_CHECK(m->priv[p] == h->pg.is_private,
			 "held page %u changed sides", p);
		dst = h->pg.ptr;
	} else {
		p = (k >> 1) % m->cap;
		if (p >= m->size || m->priv[p])
			return;
		dst = m->view + p * FZ_PG;
	}
	memset(dst + at, v, n);
	memset(m->bytes + p * FZ_PG + at, v, n);
}

static void op_truncate(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);
	uint64_t size = (uint64_t)(fz_u8(f) % (m->cap + 1)) * FZ_PG;
	unsigned int p;
	int rc, want, begins = m->begins;
	int ends = m->ends;
	bool grows;

	if (k > 230)
		size = k & 1 ? size + 1 + fz_u16(f) % (FZ_PG - 1) : fz_u64(f);
	want = size > m->cap * FZ_PG || size % FZ_PG ? -EINVAL : 0;
	grows = !want && size > m->size * FZ_PG;
	/* A notifier may refuse a grow (PM_GMEM_EV_GROW), as a conversion. */
	if (grows && m->registered && m->refuse)
		want = m->refuse;
	rc = pm_gmem_truncate(m->g, size);
	FZ_CHECK(rc == want, "truncate(0x%llx) = %d, model %d",
		 (unsigned long long)size, rc, want);
	if (m->registered) {
		FZ_CHECK(m->begins == begins + (want == -EINVAL ? 0 :
						size != m->size * FZ_PG),
			 "truncate: notifier calls");
		/* Shrinking and growing end; a refusal has no end. */
		FZ_CHECK(m->ends == ends + (!rc && size != m->size * FZ_PG),
			 "truncate: notifier ends");
		if (m->begins != begins)
			FZ_CHECK(m->ev == (grows ? PM_GMEM_EV_GROW :
						   PM_GMEM_EV_TRUNCATE) &&
					 m->ev_off == (grows ? m->size * FZ_PG :
							       size) &&
					 m->ev_len == (grows ? size - m->size *
									 FZ_PG :
							       m->size * FZ_PG -
								       size),
				 "truncate: event %d (0x%llx, 0x%llx)", m->ev,
				 (unsigned long long)m->ev_off,
				 (unsigned long long)m->ev_len);
		if (!rc && m->ends != ends)
			FZ_CHECK(!m->end_result, "truncate: end result %d",
				 m->end_result);
	}
	if (rc)
		return;
	for (p = (unsigned int)(size / FZ_PG); p < m->size; p++)
		zero_page(m, p);
	m->size = (unsigned int)(size / FZ_PG);
}

static void op_notifier(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);

	if (!m->registered) {
		FZ_CHECK(!pm_gmem_register_notifier(m->g, &m->n), "register");
		m->registered = true;
		FZ_CHECK(pm_gmem_register_notifier(m->g, &m->n) == -EEXIST,
			 "registered twice");
	} else if (k < 40) {
		pm_gmem_unregister_notifier(m->g, &m->n);
		m->registered = false;
		m->refuse = 0;
	} else {
		m->refuse = k & 1 ? -EBUSY : -EPERM;
	}
}

/* ------------------------------------------------------------ main */

static int create(struct model *m, struct fz *f)
{
	uint8_t k = fz_u8(f);
	struct pm_gmem_config cfg = {
		.backend = PM_GMEM_MEMFD,
		.vm_fd = -1,
		.fd = -1,
		.name = "fuzz-gmem",
	};
	unsigned int p;
	int rc;

	m->cap = 1 + fz_u8(f) % MAXP;
	cfg.size = m->cap * FZ_PG;
	cfg.flags = k & 1 ? PM_GMEM_F_INIT_PRIVATE : 0;
	/* Now and then a bad config first: refused, nothing made. */
	if (k >= 224) {
		struct pm_gmem_config bad = cfg;
		struct pm_gmem *g = NULL;
		int want = -EINVAL;

		switch (k % 4) {
		case 0:
			bad.size = 0;
			break;
		case 1:
			bad.size = cfg.size + 1 + k % 100;
			break;
		case 2:
			bad.flags = 0x100 | k;
			break;
		default:
			bad.backend = (enum pm_gmem_backend)(PM_GMEM_NR_BACKENDS +
							     k % 7);
			break;
		}
		rc = pm_gmem_create(&bad, &g);
		FZ_CHECK(rc == want && !g, "bad config (case %d): %d", k % 4,
			 rc);
	}
	rc = pm_gmem_create(&cfg, &m->g);
	if (rc)
		return rc;
	m->view = pm_gmem_host_view(m->g);
	m->size = m->cap;
	for (p = 0; p < m->cap; p++)
		m->priv[p] = cfg.flags & PM_GMEM_F_INIT_PRIVATE;
	m->n.begin = nb_begin;
	m->n.end = nb_end;
	m->n.opaque = m;
	if (k & 2) {
		FZ_CHECK(!pm_gmem_register_notifier(m->g, &m->n), "register");
		m->registered = true;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model model;
	struct model *m = &model;
	struct fz in = { data, size };
	bool now[FZ_NFDS];
	int i, step, rc;

	fz_fds(base_fds);
	memset(m, 0, sizeof(*m));
	rc = create(m, &in);
	FZ_CHECK(!rc, "memfd store of %u pages: %d", m->cap, rc);
	check_all(m, false);
	for (step = 0; step < MAX_STEPS && fz_more(&in); step++) {
		uint8_t op = fz_u8(&in);

		switch (op % 12) {
		case 0: case 1: case 2: op_convert(m, &in); break;
		case 3: op_punch(m, &in); break;
		case 4: op_populate(m, &in); break;
		case 5: case 6: op_get(m, &in); break;
		case 7: op_put(m, &in); break;
		case 8: case 9: op_write(m, &in); break;
		case 10: op_truncate(m, &in); break;
		default: op_notifier(m, &in); break;
		}
		FZ_CHECK(!m->in_begin, "begin without end");
		check_all(m, op % 12 == 11);
	}
	check_all(m, true);

	for (i = 0; i < NR_HOLDS; i++)
		if (m->h[i].live)
			put_hold(m, &m->h[i]);
	check_all(m, false);
	if (m->registered) {
		int begins = m->begins, ends = m->ends;

		pm_gmem_close(m->g);
		FZ_CHECK(m->begins == begins + 1 && m->ends == ends + 1 &&
				 m->ev == PM_GMEM_EV_CLOSE && m->ev_off == 0 &&
				 m->ev_len == m->cap * FZ_PG,
			 "close: notifier did not see CLOSE over the store");
	} else {
		pm_gmem_close(m->g);
	}
	fz_fds(now);
	for (i = 0; i < FZ_NFDS; i++)
		FZ_CHECK(now[i] == base_fds[i], "fd %d %s after close", i,
			 now[i] ? "left open" : "closed");
	return 0;
}
