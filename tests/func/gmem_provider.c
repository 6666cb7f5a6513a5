// SPDX-License-Identifier: MIT
/*
 * The provider API (pm_gmem_get_pfn/put_pfn/pin_count) and the content
 * operations: populate, punch, truncate. Held pages block conversion
 * (-EAGAIN and the offset of the first held page that would change) until
 * put, also from a notifier; a refused call changes nothing.
 */
#include "gmem_common.c"

static unsigned int order_of(uint64_t gr)
{
	return (unsigned int)__builtin_ctzll(gr / PG);
}

/* The PFN /proc/self/pagemap shows for @addr (present), or 0. */
static uint64_t pagemap_pfn(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)addr / PG * 8)) != 8)
		e = 0;
	close(fd);
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

static void check_pfn(const struct pm_gmem_page *p)
{
	/*
	 * As root the store reads /proc/self/pagemap with the PFNs shown:
	 * the PFN is known, and it is the page behind ptr.
	 */
	if (test_is_root()) {
		ASSERT_TRUE(p->pfn != PM_GMEM_PFN_UNKNOWN);
		ASSERT_TRUE(p->pfn != 0);
		if (p->ptr) {
			(void)*(volatile uint8_t *)p->ptr;
			ASSERT_U64_EQ(pagemap_pfn(p->ptr), p->pfn);
		}
	} else {
		ASSERT_TRUE(p->pfn == PM_GMEM_PFN_UNKNOWN || p->pfn != 0);
	}
}

static void get_pfn_shared(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	struct pm_gmem_page p, p2;
	struct pm_gmem_stats st;

	fill_pattern(gview(g) + gr, gr, 50);
	ASSERT_OK(pm_gmem_get_pfn(g, gr + 123, 0, &p));
	ASSERT_U64_EQ(p.offset, gr);
	ASSERT_EQ(p.order, order_of(gr));
	ASSERT_FALSE(p.is_private);
	ASSERT_TRUE(p.ptr == gview(g) + gr);
	ASSERT_EQ(p.pins, 1);
	check_pfn(&p);
	ASSERT_PATTERN(p.ptr, gr, 50);

	ASSERT_OK(pm_gmem_get_pfn(g, 2 * gr - 1, 0, &p2));
	ASSERT_U64_EQ(p2.offset, gr);
	ASSERT_EQ(p2.pins, 2);
	ASSERT_U64_EQ(p2.pfn, p.pfn);
	ASSERT_TRUE(p2.ptr == p.ptr);
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 2);
	ASSERT_EQ(pm_gmem_pin_count(g, 2 * gr - 1), 2);
	ASSERT_EQ(pm_gmem_pin_count(g, 0), 0);
	ASSERT_EQ(pm_gmem_pin_count(g, 2 * gr), 0);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_pinned, 1);

	pm_gmem_put_pfn(g, &p2);
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 1);
	pm_gmem_put_pfn(g, &p);
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 0);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.nr_pinned, 0);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(get_pfn_shared)

/*
 * A private page: a mapping of its own (not the view, which keeps faulting),
 * readable and writable, made at the first get and removed at the last put
 * (and none left behind by KEEP conversions); what is written there is the
 * page's content, as a KEEP conversion to shared shows.
 */
static void get_pfn_private(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	uint8_t *v = gview(g);
	struct pm_gmem_page p, p2;
	long maps0;
	int rc;

	fill_pattern(v + gr, gr, 51);
	maps0 = maps_backing_count();
	rc = pm_gmem_convert(g, gr, gr, PM_GMEM_PRIVATE, PM_GMEM_CONVERT_KEEP,
			     NULL);
	if (rc == -EOPNOTSUPP && b == PM_GMEM_GUEST_MEMFD)
		SKIP("guest_memfd cannot be mapped on this host");
	ASSERT_OK(rc);
	/* The conversion's copy left no mapping of the private side. */
	ASSERT_EQ(maps_backing_count(), maps0);

	ASSERT_OK(pm_gmem_get_pfn(g, gr + 7, 0, &p));
	/* The hold maps the page: one mapping more, for as long as held. */
	ASSERT_EQ(maps_backing_count(), maps0 + 1);
	ASSERT_U64_EQ(p.offset, gr);
	ASSERT_EQ(p.order, order_of(gr));
	ASSERT_TRUE(p.is_private);
	ASSERT_EQ(p.pins, 1);
	check_pfn(&p);
	ASSERT_TRUE(p.ptr);
	ASSERT_TRUE((uint8_t *)p.ptr + gr <= v ||
		    (uint8_t *)p.ptr >= v + 4 * gr);
	ASSERT_PATTERN(p.ptr, gr, 51);
	fill_pattern(p.ptr, gr, 52);
	/* Held, the page is still private: the view still faults. */
	ASSERT_EQ(touch_here(v + gr, false, 0), SIGBUS);

	ASSERT_OK(pm_gmem_get_pfn(g, gr, 0, &p2));
	ASSERT_EQ(p2.pins, 2);
	ASSERT_TRUE(p2.is_private);
	ASSERT_U64_EQ(p2.pfn, p.pfn);
	ASSERT_PATTERN(p2.ptr, gr, 52);
	ASSERT_EQ(maps_backing_count(), maps0 + 1); /* shared by the holds */
	pm_gmem_put_pfn(g, &p2);
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 1);
	ASSERT_EQ(maps_backing_count(), maps0 + 1);
	pm_gmem_put_pfn(g, &p);
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 0);
	/* The last put removed it: no standing mapping of a private page. */
	ASSERT_EQ(maps_backing_count(), maps0);

	ASSERT_OK(pm_gmem_convert(g, gr, gr, PM_GMEM_SHARED,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_PATTERN(v + gr, gr, 52);
	ASSERT_EQ(maps_backing_count(), maps0);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(get_pfn_private)

static void get_pfn_flags(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 4 * gr;
	struct pm_gmem *g = gmem_new(b, size, 0);
	struct pm_gmem_page p, p2;

	set_states(g, "SP", 0);
	/* SHARED_ONLY: a private page is refused, a shared one is not. */
	ASSERT_ERR(EPERM, pm_gmem_get_pfn(g, gr, PM_GMEM_GET_SHARED_ONLY, &p));
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 0);
	ASSERT_OK(pm_gmem_get_pfn(g, 0, PM_GMEM_GET_SHARED_ONLY, &p));
	ASSERT_FALSE(p.is_private);
	pm_gmem_put_pfn(g, &p);

	/* NO_MAP: a private page without a mapping; a later hold maps it. */
	ASSERT_OK(pm_gmem_get_pfn(g, gr, PM_GMEM_GET_NO_MAP, &p));
	ASSERT_TRUE(p.is_private);
	ASSERT_TRUE(p.ptr == NULL);
	ASSERT_EQ(p.pins, 1);
	ASSERT_OK(pm_gmem_get_pfn(g, gr, 0, &p2));
	ASSERT_EQ(p2.pins, 2);
	if (b != PM_GMEM_GUEST_MEMFD)
		ASSERT_TRUE(p2.ptr);
	pm_gmem_put_pfn(g, &p);
	pm_gmem_put_pfn(g, &p2);
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 0);
	/* NO_MAP on a shared page: the view is the mapping. */
	ASSERT_OK(pm_gmem_get_pfn(g, 0, PM_GMEM_GET_NO_MAP, &p));
	ASSERT_TRUE(p.ptr == gview(g));
	pm_gmem_put_pfn(g, &p);

	/* Bad arguments. */
	ASSERT_ERR(EINVAL, pm_gmem_get_pfn(g, 0, 1u << 2, &p));
	ASSERT_ERR(EINVAL, pm_gmem_get_pfn(g, 0, 1u << 31, &p));
	ASSERT_ERR(EINVAL, pm_gmem_get_pfn(g, size, 0, &p));
	ASSERT_ERR(EINVAL, pm_gmem_get_pfn(g, UINT64_MAX, 0, &p));
	ASSERT_ERR(EINVAL, pm_gmem_pin_count(g, size));
	ASSERT_EQ(pm_gmem_pin_count(g, 0), 0);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(get_pfn_flags)

/*
 * A held page that would change blocks the conversion: -EAGAIN, the offset
 * of the first such page, and nothing changed (notifiers' end sees the
 * error). A held page that is already in the target state does not block.
 */
static void pin_blocks_convert(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 8 * gr, eoff;
	struct pm_gmem *g = gmem_new(b, size, 0);
	static char before[8192], after[8192];
	struct pm_gmem_page pa, pb, pc;
	struct rec_notifier rn;
	struct rec_log log = { .nr_states = 8 };
	struct pm_gmem_stats st0, st;
	int i;

	set_states(g, "SPSSSPSS", 0);
	for (i = 0; i < 8; i++)
		page_write(g, i * gr, i + 1);
	rec_init(&rn, &log, 1);
	ASSERT_OK(pm_gmem_register_notifier(g, &rn.n));
	ASSERT_OK(pm_gmem_get_pfn(g, gr, 0, &pa)); /* private: stays */
	ASSERT_OK(pm_gmem_get_pfn(g, 4 * gr, 0, &pb)); /* shared: changes */
	ASSERT_OK(pm_gmem_get_pfn(g, 6 * gr + 1, PM_GMEM_GET_NO_MAP, &pc));
	ASSERT_OK(pm_gmem_get_stats(g, &st0));
	gmem_digest(g, size, before, sizeof(before));

	eoff = 0;
	ASSERT_ERR(EAGAIN,
		   pm_gmem_convert(g, 0, size, PM_GMEM_PRIVATE, 0, &eoff));
	ASSERT_U64_EQ(eoff, 4 * gr);
	ASSERT_ERR(EAGAIN, pm_gmem_convert(g, 0, size, PM_GMEM_PRIVATE,
					   PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_ERR(EAGAIN, pm_gmem_convert(g, 5 * gr, 3 * gr, PM_GMEM_PRIVATE,
					   0, &eoff));
	ASSERT_U64_EQ(eoff, 6 * gr);
	gmem_digest(g, size, after, sizeof(after));
	if (strcmp(before, after))
		FAIL("a refused conversion changed the store:\nbefore: %s\n"
		     "after:  %s",
		     before, after);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.conversions, st0.conversions);
	ASSERT_U64_EQ(st.bytes_converted, st0.bytes_converted);
	/* Each refused call: begin, then end with -EAGAIN. */
	ASSERT_EQ(log.n, 6);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_TO_PRIVATE, 0, size, 0);
	ASSERT_CALL(&log, 1, 1, true, PM_GMEM_EV_TO_PRIVATE, 0, size, -EAGAIN);
	ASSERT_CALL(&log, 5, 1, true, PM_GMEM_EV_TO_PRIVATE, 5 * gr, 3 * gr,
		    -EAGAIN);
	ASSERT_EQ(strcmp(log.call[1].states, "SPSSSPSS"), 0);

	/* Page 4 released: page 6 is now the first. */
	pm_gmem_put_pfn(g, &pb);
	ASSERT_ERR(EAGAIN,
		   pm_gmem_convert(g, 0, size, PM_GMEM_PRIVATE, 0, &eoff));
	ASSERT_U64_EQ(eoff, 6 * gr);
	/* Page 6 released: page 1 is still held but does not change. */
	pm_gmem_put_pfn(g, &pc);
	ASSERT_OK(pm_gmem_convert(g, 0, size, PM_GMEM_PRIVATE, 0, &eoff));
	ASSERT_STATES(g, "PPPPPPPP");
	ASSERT_EQ(pm_gmem_pin_count(g, gr), 1);
	ASSERT_PAGE(g, gr, 2);
	ASSERT_PAGE(g, 4 * gr, 0);

	/* The other way: page 1 held blocks going shared. */
	ASSERT_ERR(EAGAIN,
		   pm_gmem_convert(g, 0, 2 * gr, PM_GMEM_SHARED, 0, &eoff));
	ASSERT_U64_EQ(eoff, gr);
	ASSERT_STATES(g, "PPPPPPPP");
	pm_gmem_put_pfn(g, &pa);
	ASSERT_OK(pm_gmem_convert(g, 0, 2 * gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_STATES(g, "SSPPPPPP");
	pm_gmem_unregister_notifier(g, &rn.n);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(pin_blocks_convert)

/* A holder that lets go in its notifier's begin lets the conversion pass. */
static void pin_released_by_notifier(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	struct rec_notifier rn;
	struct rec_log log = { .nr_states = 4 };
	struct pm_gmem_page p;

	rec_init(&rn, &log, 1);
	ASSERT_OK(pm_gmem_register_notifier(g, &rn.n));
	ASSERT_OK(pm_gmem_get_pfn(g, 2 * gr, 0, &p));
	rn.release = &p;
	ASSERT_OK(pm_gmem_convert(g, 0, 4 * gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_TRUE(rn.release == NULL);
	ASSERT_EQ(pm_gmem_pin_count(g, 2 * gr), 0);
	ASSERT_STATES(g, "PPPP");
	ASSERT_EQ(log.n, 2);
	ASSERT_CALL(&log, 1, 1, true, PM_GMEM_EV_TO_PRIVATE, 0, 4 * gr, 0);

	/* And back, a private hold released the same way. */
	ASSERT_OK(pm_gmem_get_pfn(g, 3 * gr, 0, &p));
	rn.release = &p;
	ASSERT_OK(pm_gmem_convert(g, 2 * gr, 2 * gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_EQ(pm_gmem_pin_count(g, 3 * gr), 0);
	ASSERT_STATES(g, "PPSS");
	pm_gmem_unregister_notifier(g, &rn.n);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(pin_released_by_notifier)

/*
 * populate: the launch path copies into private pages, at any offset and
 * length; the bytes are there through the trusted path and, after a KEEP
 * conversion, through the view.
 */
static void populate(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 4 * gr;
	struct pm_gmem *g = gmem_new(b, size, PM_GMEM_F_INIT_PRIVATE);
	uint8_t *src = malloc(2 * gr), *exp = calloc(1, 2 * gr);
	uint8_t *buf = malloc(gr);
	int rc;

	ASSERT_TRUE(src && exp && buf);
	fill_pattern(src, 2 * gr, 60);
	/* Unaligned: 100 bytes in, across the page boundary. */
	rc = pm_gmem_populate(g, 100, src, gr + 200);
	if (rc == -EOPNOTSUPP && b == PM_GMEM_GUEST_MEMFD)
		SKIP("guest_memfd cannot be mapped on this host");
	ASSERT_OK(rc);
	memcpy(exp + 100, src, gr + 200);
	page_read(g, 0, buf);
	ASSERT_EQ(memcmp(buf, exp, gr), 0);
	page_read(g, gr, buf);
	ASSERT_EQ(memcmp(buf, exp + gr, gr), 0);
	/* Whole pages. */
	ASSERT_OK(pm_gmem_populate(g, 2 * gr, src, 2 * gr));
	ASSERT_PAGE(g, 2 * gr, 60);
	page_read(g, 3 * gr, buf);
	ASSERT_EQ(memcmp(buf, src + gr, gr), 0);
	ASSERT_STATES(g, "PPPP");

	ASSERT_OK(pm_gmem_convert(g, 0, size, PM_GMEM_SHARED,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_EQ(memcmp(gview(g), exp, 2 * gr), 0);
	ASSERT_EQ(memcmp(gview(g) + 2 * gr, src, 2 * gr), 0);
	free(src);
	free(exp);
	free(buf);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(populate)

/* populate refuses shared pages and bad ranges, and then writes nothing. */
static void populate_args(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 4 * gr;
	struct pm_gmem *g = gmem_new(b, size, 0);
	static char before[8192], after[8192];
	uint8_t *src = malloc(2 * gr);
	int i;

	ASSERT_TRUE(src);
	fill_pattern(src, 2 * gr, 61);
	set_states(g, "PPSP", 0);
	for (i = 0; i < 4; i++)
		page_write(g, i * gr, 70 + i);
	gmem_digest(g, size, before, sizeof(before));
	ASSERT_ERR(EINVAL, pm_gmem_populate(g, 0, src, 2 * gr + 1));
	ASSERT_ERR(EINVAL, pm_gmem_populate(g, gr, src, 2 * gr));
	ASSERT_ERR(EINVAL, pm_gmem_populate(g, 2 * gr + 5, src, 1));
	ASSERT_ERR(EINVAL, pm_gmem_populate(g, 3 * gr, src, gr + 1));
	ASSERT_ERR(EINVAL, pm_gmem_populate(g, size, src, 1));
	ASSERT_ERR(EINVAL, pm_gmem_populate(g, UINT64_MAX - 1, src, 1));
	ASSERT_ERR(EOVERFLOW, pm_gmem_populate(g, 2, src, UINT64_MAX));
	ASSERT_ERR(EOVERFLOW, pm_gmem_populate(g, UINT64_MAX, src, 2));
	/*
	 * A source the kernel cannot read: the host view at a private page.
	 * The copy is fault-safe (gmem.h: "a fault-safe copy gets EFAULT"):
	 * an error, not a crash.
	 */
	ASSERT_ERR(EFAULT, pm_gmem_populate(g, 0, gview(g) + 3 * gr, 16));
	ASSERT_PAGE(g, 0, 70);
	gmem_digest(g, size, after, sizeof(after));
	if (strcmp(before, after))
		FAIL("a refused populate changed the store:\nbefore: %s\n"
		     "after:  %s",
		     before, after);
	free(src);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(populate_args)

/*
 * punch: content zero afterwards, shared and private pages alike, states
 * unchanged (the view still reads the shared ones and faults at the private
 * ones); notifiers see EV_PUNCH, and a begin that refuses is ignored.
 */
static void punch(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 8 * gr;
	struct pm_gmem *g = gmem_new(b, size, 0);
	static char before[8192], after[8192];
	struct rec_notifier rn;
	struct rec_log log = { .nr_states = 8 };
	struct pm_gmem_stats st0, st;
	uint8_t *v = gview(g);
	int i;

	set_states(g, "SPSPSPSP", 0);
	for (i = 0; i < 8; i++)
		page_write(g, i * gr, i + 1);
	rec_init(&rn, &log, 1);
	ASSERT_OK(pm_gmem_register_notifier(g, &rn.n));
	ASSERT_OK(pm_gmem_get_stats(g, &st0));

	ASSERT_OK(pm_gmem_punch(g, 2 * gr, 4 * gr));
	ASSERT_STATES(g, "SPSPSPSP");
	for (i = 0; i < 8; i++)
		ASSERT_PAGE(g, i * gr, i >= 2 && i < 6 ? 0 : i + 1);
	ASSERT_EQ(touch_here(v + 2 * gr, false, 0), 0);
	ASSERT_EQ(touch_here(v + 4 * gr, false, 0), 0);
	ASSERT_EQ(touch_here(v + 3 * gr, false, 0), SIGBUS);
	ASSERT_EQ(touch_here(v + 5 * gr, false, 0), SIGBUS);
	ASSERT_EQ(log.n, 2);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_PUNCH, 2 * gr, 4 * gr, 0);
	ASSERT_CALL(&log, 1, 1, true, PM_GMEM_EV_PUNCH, 2 * gr, 4 * gr, 0);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.conversions, st0.conversions);
	ASSERT_U64_EQ(st.private_bytes, st0.private_bytes);

	/* A refusing begin does not stop a punch. */
	for (i = 0; i < 8; i++)
		page_write(g, i * gr, i + 11);
	rn.refuse = -EPERM;
	ASSERT_OK(pm_gmem_punch(g, 0, size));
	for (i = 0; i < 8; i++)
		ASSERT_PAGE(g, i * gr, 0);
	ASSERT_STATES(g, "SPSPSPSP");
	rn.refuse = 0;

	/* Bad ranges change nothing. */
	for (i = 0; i < 8; i++)
		page_write(g, i * gr, i + 21);
	log.n = 0;
	gmem_digest(g, size, before, sizeof(before));
	ASSERT_ERR(EINVAL, pm_gmem_punch(g, 1, gr));
	ASSERT_ERR(EINVAL, pm_gmem_punch(g, 0, gr + 1));
	ASSERT_ERR(EINVAL, pm_gmem_punch(g, size, gr));
	ASSERT_ERR(EINVAL, pm_gmem_punch(g, size - gr, 2 * gr));
	ASSERT_ERR(EOVERFLOW, pm_gmem_punch(g, 2 * gr, -gr));
	gmem_digest(g, size, after, sizeof(after));
	if (strcmp(before, after))
		FAIL("a refused punch changed the store:\nbefore: %s\n"
		     "after:  %s",
		     before, after);
	ASSERT_EQ(log.n, 0);
	pm_gmem_unregister_notifier(g, &rn.n);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(punch)

/*
 * truncate: shrinking notifies EV_TRUNCATE for the tail, which then is
 * outside the store for every call; growing back up to the created size
 * gives zeroed pages in their recorded state; beyond it, -EINVAL.
 */
static void truncate_store(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 8 * gr, half = 4 * gr;
	struct pm_gmem *g = gmem_new(b, size, 0);
	struct rec_notifier rn;
	struct rec_log log = { .nr_states = 8 };
	struct pm_gmem_stats st;
	struct pm_gmem_page p;
	uint8_t c = 0;
	int i;

	set_states(g, "SSPPSSPP", 0);
	for (i = 0; i < 8; i++)
		page_write(g, i * gr, i + 1);
	rec_init(&rn, &log, 1);
	ASSERT_OK(pm_gmem_register_notifier(g, &rn.n));

	ASSERT_OK(pm_gmem_truncate(g, half));
	ASSERT_U64_EQ(pm_gmem_size(g), half);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.size, half);
	ASSERT_EQ(log.n, 2);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_TRUNCATE, half, half, 0);
	ASSERT_CALL(&log, 1, 1, true, PM_GMEM_EV_TRUNCATE, half, half, 0);
	/* The tail is gone for every entry point. */
	ASSERT_ERR(EINVAL, pm_gmem_get_pfn(g, half, 0, &p));
	ASSERT_ERR(EINVAL, pm_gmem_get_pfn(g, size - 1, 0, &p));
	ASSERT_ERR(EINVAL, pm_gmem_is_private(g, half));
	ASSERT_ERR(EINVAL, pm_gmem_pin_count(g, half));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, half, gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_ERR(EINVAL,
		   pm_gmem_convert(g, 0, size, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_ERR(EINVAL, pm_gmem_punch(g, half, gr));
	ASSERT_ERR(EINVAL, pm_gmem_populate(g, 6 * gr, &c, 1));
	/* The head is untouched. */
	ASSERT_STATES(g, "SSPP");
	for (i = 0; i < 4; i++)
		ASSERT_PAGE(g, i * gr, i + 1);

	/* Beyond the created size, or unaligned: refused, size unchanged. */
	log.n = 0;
	ASSERT_ERR(EINVAL, pm_gmem_truncate(g, size + gr));
	ASSERT_ERR(EINVAL, pm_gmem_truncate(g, 2 * size));
	ASSERT_ERR(EINVAL, pm_gmem_truncate(g, UINT64_MAX));
	ASSERT_ERR(EINVAL, pm_gmem_truncate(g, half + 1));
	ASSERT_ERR(EINVAL, pm_gmem_truncate(g, half - gr / 2));
	ASSERT_U64_EQ(pm_gmem_size(g), half);
	ASSERT_EQ(log.n, 0);

	/* Grow back: zeroed pages in their recorded states. */
	ASSERT_OK(pm_gmem_truncate(g, size));
	ASSERT_U64_EQ(pm_gmem_size(g), size);
	ASSERT_STATES(g, "SSPPSSPP");
	for (i = 0; i < 8; i++)
		ASSERT_PAGE(g, i * gr, i < 4 ? i + 1 : 0);
	ASSERT_EQ(touch_here(gview(g) + 4 * gr, false, 0), 0);
	ASSERT_EQ(touch_here(gview(g) + 6 * gr, false, 0), SIGBUS);
	ASSERT_OK(pm_gmem_truncate(g, size));
	ASSERT_U64_EQ(pm_gmem_size(g), size);
	/* The regrown pages convert like any other. */
	ASSERT_OK(pm_gmem_convert(g, 4 * gr, 4 * gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_STATES(g, "SSPPPPPP");
	pm_gmem_unregister_notifier(g, &rn.n);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(truncate_store)

/*
 * Truncating to zero is not forbidden by gmem.h: if accepted, nothing is
 * left in the store, and growing back restores the recorded states, zeroed.
 */
static void truncate_zero(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	struct pm_gmem_page p;
	int rc;

	set_states(g, "SPSP", 0);
	page_write(g, 0, 5);
	page_write(g, gr, 6);
	rc = pm_gmem_truncate(g, 0);
	if (rc == -EINVAL) {
		ASSERT_U64_EQ(pm_gmem_size(g), 4 * gr);
		ASSERT_PAGE(g, 0, 5);
		pm_gmem_close(g);
		return;
	}
	ASSERT_OK(rc);
	ASSERT_U64_EQ(pm_gmem_size(g), 0);
	ASSERT_ERR(EINVAL, pm_gmem_is_private(g, 0));
	ASSERT_ERR(EINVAL, pm_gmem_get_pfn(g, 0, 0, &p));
	ASSERT_ERR(EINVAL, pm_gmem_convert(g, 0, gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_OK(pm_gmem_truncate(g, 4 * gr));
	ASSERT_STATES(g, "SPSP");
	ASSERT_PAGE(g, 0, 0);
	ASSERT_PAGE(g, gr, 0);
	pm_gmem_close(g);
}
GMEM_TEST_4K(truncate_zero)

/*
 * The statistics follow the size: after shrinking "SSPPSSPP" to its first
 * half, private_bytes + shared_bytes == size, with the pages that are in
 * the store ("SSPP"); growing back counts the tail's recorded states again.
 */
static void truncate_stats(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 8 * gr;
	struct pm_gmem *g = gmem_new(b, size, 0);
	struct pm_gmem_stats st;

	set_states(g, "SSPPSSPP", 0);
	ASSERT_OK(pm_gmem_truncate(g, size / 2));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.size, size / 2);
	ASSERT_U64_EQ(st.private_bytes + st.shared_bytes, size / 2);
	ASSERT_U64_EQ(st.private_bytes, 2 * gr);
	ASSERT_U64_EQ(st.shared_bytes, 2 * gr);

	ASSERT_OK(pm_gmem_truncate(g, size));
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.size, size);
	ASSERT_U64_EQ(st.private_bytes, 4 * gr);
	ASSERT_U64_EQ(st.shared_bytes, 4 * gr);
	pm_gmem_close(g);
}
GMEM_TEST_4K(truncate_stats)

TEST_MAIN()
