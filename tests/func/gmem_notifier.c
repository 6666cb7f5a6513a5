// SPDX-License-Identifier: MIT
/*
 * Invalidation notifiers: begin before the change (the store still in the
 * old state), end after it (new state, result 0), all begins in
 * registration order before any end; a refusing begin aborts the call, and
 * only the notifiers that began before it see end with the error; the
 * events of punch, truncate and close.
 */
#include "gmem_common.c"

static const char *ev_name(enum pm_gmem_event ev)
{
	switch (ev) {
	case PM_GMEM_EV_TO_PRIVATE:
		return "to_private";
	case PM_GMEM_EV_TO_SHARED:
		return "to_shared";
	case PM_GMEM_EV_PUNCH:
		return "punch";
	case PM_GMEM_EV_TRUNCATE:
		return "truncate";
	case PM_GMEM_EV_CLOSE:
		return "close";
	case PM_GMEM_EV_GROW:
		return "grow";
	}
	return "?";
}

static void dump_log(const struct rec_log *log)
{
	int i;

	for (i = 0; i < log->n; i++)
		printf("#  %d: n%d %s %s 0x%llx+0x%llx result %d states %s\n",
		       i, log->call[i].id,
		       log->call[i].is_end ? "end" : "begin",
		       ev_name(log->call[i].ev),
		       (unsigned long long)log->call[i].offset,
		       (unsigned long long)log->call[i].length,
		       log->call[i].result, log->call[i].states);
}

#define ASSERT_LOG_STATES(log, i, want)                                 \
	do {                                                            \
		if (strcmp((log)->call[i].states, (want))) {            \
			dump_log(log);                                  \
			FAIL("call %d saw states %s, expected %s", (i), \
			     (log)->call[i].states, (want));            \
		}                                                       \
	} while (0)

static void notifier_order(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	struct rec_log log = { .nr_states = 4 };
	struct rec_notifier rn[3];
	int i;

	for (i = 0; i < 3; i++) {
		rec_init(&rn[i], &log, i + 1);
		ASSERT_OK(pm_gmem_register_notifier(g, &rn[i].n));
	}

	ASSERT_OK(pm_gmem_convert(g, gr, 2 * gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_EQ(log.n, 6);
	for (i = 0; i < 3; i++) {
		ASSERT_CALL(&log, i, i + 1, false, PM_GMEM_EV_TO_PRIVATE, gr,
			    2 * gr, 0);
		ASSERT_LOG_STATES(&log, i, "SSSS");
		ASSERT_CALL(&log, 3 + i, i + 1, true, PM_GMEM_EV_TO_PRIVATE, gr,
			    2 * gr, 0);
		ASSERT_LOG_STATES(&log, 3 + i, "SPPS");
	}

	log.n = 0;
	ASSERT_OK(pm_gmem_convert(g, 0, 4 * gr, PM_GMEM_SHARED,
				  PM_GMEM_CONVERT_KEEP, NULL));
	ASSERT_EQ(log.n, 6);
	for (i = 0; i < 3; i++) {
		ASSERT_CALL(&log, i, i + 1, false, PM_GMEM_EV_TO_SHARED, 0,
			    4 * gr, 0);
		ASSERT_LOG_STATES(&log, i, "SPPS");
		ASSERT_CALL(&log, 3 + i, i + 1, true, PM_GMEM_EV_TO_SHARED, 0,
			    4 * gr, 0);
		ASSERT_LOG_STATES(&log, 3 + i, "SSSS");
	}

	/* Unregistered: no longer called; the others keep their order. */
	pm_gmem_unregister_notifier(g, &rn[1].n);
	log.n = 0;
	ASSERT_OK(pm_gmem_convert(g, 3 * gr, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_EQ(log.n, 4);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_TO_PRIVATE, 3 * gr, gr, 0);
	ASSERT_CALL(&log, 1, 3, false, PM_GMEM_EV_TO_PRIVATE, 3 * gr, gr, 0);
	ASSERT_CALL(&log, 2, 1, true, PM_GMEM_EV_TO_PRIVATE, 3 * gr, gr, 0);
	ASSERT_CALL(&log, 3, 3, true, PM_GMEM_EV_TO_PRIVATE, 3 * gr, gr, 0);
	pm_gmem_unregister_notifier(g, &rn[0].n);
	pm_gmem_unregister_notifier(g, &rn[2].n);
	log.n = 0;
	ASSERT_OK(pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_EQ(log.n, 0);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(notifier_order)

/*
 * The second of three refuses with -EPERM: the call returns -EPERM, the
 * third never begins, only the first sees end (with -EPERM), and nothing
 * changed.
 */
static void notifier_refuse(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 4 * gr;
	struct pm_gmem *g = gmem_new(b, size, 0);
	static char before[8192], after[8192];
	struct rec_log log = { .nr_states = 4 };
	struct rec_notifier rn[3];
	struct pm_gmem_stats st0, st;
	int i, keep;

	set_states(g, "SPSP", 0);
	for (i = 0; i < 4; i++)
		page_write(g, i * gr, 80 + i);
	for (i = 0; i < 3; i++) {
		rec_init(&rn[i], &log, i + 1);
		ASSERT_OK(pm_gmem_register_notifier(g, &rn[i].n));
	}
	rn[1].refuse = -EPERM;
	ASSERT_OK(pm_gmem_get_stats(g, &st0));
	gmem_digest(g, size, before, sizeof(before));

	for (keep = 0; keep < 2; keep++) {
		uint32_t fl = keep ? PM_GMEM_CONVERT_KEEP : 0;
		enum pm_gmem_state to;

		for (to = PM_GMEM_SHARED; to <= PM_GMEM_PRIVATE; to++) {
			enum pm_gmem_event ev = to == PM_GMEM_PRIVATE ?
							PM_GMEM_EV_TO_PRIVATE :
							PM_GMEM_EV_TO_SHARED;

			log.n = 0;
			ASSERT_ERR(EPERM,
				   pm_gmem_convert(g, 0, size, to, fl, NULL));
			if (log.n != 3)
				dump_log(&log);
			ASSERT_EQ(log.n, 3);
			ASSERT_CALL(&log, 0, 1, false, ev, 0, size, 0);
			ASSERT_CALL(&log, 1, 2, false, ev, 0, size, 0);
			ASSERT_CALL(&log, 2, 1, true, ev, 0, size, -EPERM);
			ASSERT_LOG_STATES(&log, 2, "SPSP");
		}
	}
	gmem_digest(g, size, after, sizeof(after));
	if (strcmp(before, after))
		FAIL("a refused conversion changed the store:\nbefore: %s\n"
		     "after:  %s",
		     before, after);
	ASSERT_OK(pm_gmem_get_stats(g, &st));
	ASSERT_U64_EQ(st.conversions, st0.conversions);

	/* The first refusing: nobody sees end. Another errno is passed on. */
	rn[1].refuse = 0;
	rn[0].refuse = -EBUSY;
	log.n = 0;
	ASSERT_ERR(EBUSY, pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_EQ(log.n, 1);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_TO_PRIVATE, 0, gr, 0);
	/* The last refusing: the two before it see end. */
	rn[0].refuse = 0;
	rn[2].refuse = -EPERM;
	log.n = 0;
	ASSERT_ERR(EPERM, pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_EQ(log.n, 5);
	ASSERT_CALL(&log, 3, 1, true, PM_GMEM_EV_TO_PRIVATE, 0, gr, -EPERM);
	ASSERT_CALL(&log, 4, 2, true, PM_GMEM_EV_TO_PRIVATE, 0, gr, -EPERM);
	/* Nobody refusing: it goes through. */
	rn[2].refuse = 0;
	ASSERT_OK(pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_STATES(g, "PPSP");
	for (i = 0; i < 3; i++)
		pm_gmem_unregister_notifier(g, &rn[i].n);
	pm_gmem_close(g);
}
GMEM_TEST_ALL(notifier_refuse)

/* punch, truncate (shrink, grow) and close have their own events. */
static struct rec_log close_log = { .nr_states = 0 };

static void notifier_events(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b), size = 4 * gr;
	struct pm_gmem *g = gmem_new(b, size, 0);
	struct rec_log log = { .nr_states = 4 };
	struct rec_notifier rn[2];
	int i;

	for (i = 0; i < 2; i++) {
		rec_init(&rn[i], &log, i + 1);
		ASSERT_OK(pm_gmem_register_notifier(g, &rn[i].n));
	}
	set_states(g, "SP", 0);
	log.n = 0;

	ASSERT_OK(pm_gmem_punch(g, 0, 2 * gr));
	ASSERT_EQ(log.n, 4);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_PUNCH, 0, 2 * gr, 0);
	ASSERT_CALL(&log, 1, 2, false, PM_GMEM_EV_PUNCH, 0, 2 * gr, 0);
	ASSERT_CALL(&log, 2, 1, true, PM_GMEM_EV_PUNCH, 0, 2 * gr, 0);
	ASSERT_CALL(&log, 3, 2, true, PM_GMEM_EV_PUNCH, 0, 2 * gr, 0);
	ASSERT_LOG_STATES(&log, 0, "SPSS");
	ASSERT_LOG_STATES(&log, 3, "SPSS");

	log.n = 0;
	ASSERT_OK(pm_gmem_truncate(g, gr));
	ASSERT_EQ(log.n, 4);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_TRUNCATE, gr, 3 * gr, 0);
	ASSERT_CALL(&log, 1, 2, false, PM_GMEM_EV_TRUNCATE, gr, 3 * gr, 0);
	ASSERT_CALL(&log, 2, 1, true, PM_GMEM_EV_TRUNCATE, gr, 3 * gr, 0);
	ASSERT_CALL(&log, 3, 2, true, PM_GMEM_EV_TRUNCATE, gr, 3 * gr, 0);
	/* begin: the tail still there; end: gone. */
	ASSERT_LOG_STATES(&log, 0, "SPSS");
	ASSERT_LOG_STATES(&log, 3, "S---");
	/*
	 * Growing: EV_GROW for the new tail, begin already inside the store
	 * (pages in their recorded states, so a consumer can map them).
	 * A refusal keeps the old size; end tells the ones before it.
	 */
	log.n = 0;
	rn[1].refuse = -ENOMEM;
	ASSERT_ERR(ENOMEM, pm_gmem_truncate(g, size));
	ASSERT_U64_EQ(pm_gmem_size(g), gr);
	ASSERT_EQ(log.n, 3);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_GROW, gr, 3 * gr, 0);
	ASSERT_CALL(&log, 1, 2, false, PM_GMEM_EV_GROW, gr, 3 * gr, 0);
	ASSERT_CALL(&log, 2, 1, true, PM_GMEM_EV_GROW, gr, 3 * gr, -ENOMEM);
	ASSERT_LOG_STATES(&log, 0, "SPSS");
	ASSERT_LOG_STATES(&log, 2, "S---");
	rn[1].refuse = 0;
	log.n = 0;
	ASSERT_OK(pm_gmem_truncate(g, size));
	ASSERT_EQ(log.n, 4);
	ASSERT_CALL(&log, 0, 1, false, PM_GMEM_EV_GROW, gr, 3 * gr, 0);
	ASSERT_CALL(&log, 1, 2, false, PM_GMEM_EV_GROW, gr, 3 * gr, 0);
	ASSERT_CALL(&log, 2, 1, true, PM_GMEM_EV_GROW, gr, 3 * gr, 0);
	ASSERT_CALL(&log, 3, 2, true, PM_GMEM_EV_GROW, gr, 3 * gr, 0);
	ASSERT_LOG_STATES(&log, 0, "SPSS");
	ASSERT_LOG_STATES(&log, 3, "SPSS");
	/* Not growing, not shrinking: no event. */
	log.n = 0;
	ASSERT_OK(pm_gmem_truncate(g, size));
	ASSERT_EQ(log.n, 0);

	/* Close: EV_CLOSE over the whole store, begin then end. */
	for (i = 0; i < 2; i++)
		rn[i].log = &close_log;
	pm_gmem_close(g);
	ASSERT_EQ(close_log.n, 4);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(close_log.call[i].ev, PM_GMEM_EV_CLOSE);
		ASSERT_U64_EQ(close_log.call[i].offset, 0);
		ASSERT_U64_EQ(close_log.call[i].length, size);
		ASSERT_EQ(close_log.call[i].result, 0);
	}
	ASSERT_EQ(close_log.call[0].id, 1);
	ASSERT_FALSE(close_log.call[0].is_end);
	ASSERT_EQ(close_log.call[1].id, 2);
	ASSERT_FALSE(close_log.call[1].is_end);
	ASSERT_TRUE(close_log.call[2].is_end);
	ASSERT_TRUE(close_log.call[3].is_end);
}
GMEM_TEST_ALL(notifier_events)

/* Registration: one list entry per notifier; begin-only and end-only work. */
static int begin_only_calls;

static int begin_only(struct pm_gmem_notifier *n, struct pm_gmem *g,
		      enum pm_gmem_event ev, uint64_t offset, uint64_t length)
{
	begin_only_calls++;
	return 0;
}

static void notifier_register(enum pm_gmem_backend b)
{
	uint64_t gr = granule_of(b);
	struct pm_gmem *g = gmem_new(b, 4 * gr, 0);
	struct pm_gmem_notifier nb = { .begin = begin_only };
	struct rec_log log = { .nr_states = 4 };
	struct rec_notifier re;

	rec_init(&re, &log, 1);
	re.n.begin = NULL; /* end only */
	ASSERT_OK(pm_gmem_register_notifier(g, &nb));
	ASSERT_OK(pm_gmem_register_notifier(g, &re.n));
	ASSERT_OK(pm_gmem_convert(g, 0, gr, PM_GMEM_PRIVATE, 0, NULL));
	ASSERT_EQ(begin_only_calls, 1);
	ASSERT_EQ(log.n, 1);
	ASSERT_CALL(&log, 0, 1, true, PM_GMEM_EV_TO_PRIVATE, 0, gr, 0);
	/* Unregistering one that is not registered is harmless. */
	pm_gmem_unregister_notifier(g, &nb);
	pm_gmem_unregister_notifier(g, &nb);
	ASSERT_OK(pm_gmem_convert(g, 0, gr, PM_GMEM_SHARED, 0, NULL));
	ASSERT_EQ(begin_only_calls, 1);
	ASSERT_EQ(log.n, 2);
	pm_gmem_unregister_notifier(g, &re.n);
	pm_gmem_close(g);
}
GMEM_TEST_4K(notifier_register)

TEST_MAIN()
