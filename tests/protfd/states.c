// SPDX-License-Identifier: MIT
/*
 * The protection fd's state machine, as the table in <privmem/protfd.h>
 * writes it: every operation in every state (one TEST per row, each cell
 * on a fresh binding), with the exact errno of each invalid call and the
 * state unchanged after it; which transitions run the revoke callback
 * (those leaving RUN, once, with their reason); the interface report (a
 * digest stable across calls that follows the configuration), accept with
 * a wrong digest, configuration writes, create twice and bad configs.
 */
#include "protfd/pf_utils.h"

enum op {
	OP_CREATE,
	OP_LOCK,
	OP_REPORT,
	OP_ACCEPT,
	OP_ACCEPT_BAD,
	OP_STOP,
	OP_RESET,
	OP_ERROR,
	OP_CONFIG,
	OP_UNBIND,
	OP_TDMA,
	OP_MMIO,
	NR_OPS
};

static const char *const op_name[NR_OPS] = {
	"create",
	"lock",
	"get_report",
	"accept(digest)",
	"accept(wrong digest)",
	"stop",
	"reset",
	"error",
	"config write",
	"unbind",
	"trusted DMA",
	"private MMIO",
};

static const char *const st_name[4] = { "UNLOCKED", "LOCKED", "RUN", "ERROR" };

#define FREED -1
#define U PM_TDI_UNLOCKED
#define L PM_TDI_LOCKED
#define R PM_TDI_RUN
#define E PM_TDI_ERROR

struct cell {
	int rc; /* 0 or -errno */
	int next; /* the state afterwards, or FREED */
	int revoke; /* the revoke callback's reason, 0: it must not run */
};

/* The table of protfd.h, column by column: UNLOCKED, LOCKED, RUN, ERROR. */
static const struct cell table[NR_OPS][4] = {
	[OP_CREATE] = { { -EBUSY, U, 0 },
			{ -EBUSY, L, 0 },
			{ -EBUSY, R, 0 },
			{ -EBUSY, E, 0 } },
	[OP_LOCK] = { { 0, L, 0 },
		      { -EBUSY, L, 0 },
		      { -EBUSY, R, 0 },
		      { -EIO, E, 0 } },
	[OP_REPORT] = { { -EPERM, U, 0 },
			{ 0, L, 0 },
			{ 0, R, 0 },
			{ -EIO, E, 0 } },
	[OP_ACCEPT] = { { -EPERM, U, 0 },
			{ 0, R, 0 },
			{ -EBUSY, R, 0 },
			{ -EIO, E, 0 } },
	[OP_ACCEPT_BAD] = { { -EPERM, U, 0 },
			    { -EKEYREJECTED, L, 0 },
			    { -EBUSY, R, 0 },
			    { -EIO, E, 0 } },
	[OP_STOP] = { { 0, U, 0 },
		      { 0, U, 0 },
		      { 0, U, PM_PROTFD_REVOKE_STOP },
		      { 0, U, 0 } },
	[OP_RESET] = { { 0, U, 0 },
		       { 0, U, 0 },
		       { 0, U, PM_PROTFD_REVOKE_RESET },
		       { 0, U, 0 } },
	[OP_ERROR] = { { 0, U, 0 },
		       { 0, E, 0 },
		       { 0, E, PM_PROTFD_REVOKE_ERROR },
		       { 0, E, 0 } },
	[OP_CONFIG] = { { 0, U, 0 },
			{ 0, E, 0 },
			{ 0, E, PM_PROTFD_REVOKE_ERROR },
			{ 0, E, 0 } },
	[OP_UNBIND] = { { 0, FREED, 0 },
			{ 0, FREED, 0 },
			{ 0, FREED, PM_PROTFD_REVOKE_UNBIND },
			{ 0, FREED, 0 } },
	/* Trusted DMA to a private page: faults (NOT_RUN) unless RUN. */
	[OP_TDMA] = { { -EFAULT, U, 0 },
		      { -EFAULT, L, 0 },
		      { 0, R, 0 },
		      { -EFAULT, E, 0 } },
	[OP_MMIO] = { { -EPERM, U, 0 },
		      { -EPERM, L, 0 },
		      { 0, R, 0 },
		      { -EPERM, E, 0 } },
};

#define MMIO_SIZE (2 * PG)
#define CFG_OFF 0x20

/*
 * A fresh binding (page 0 private, 1..3 shared; a private MMIO region) in
 * @state, reached the ordinary way; fx->digest is its report's digest.
 * ERROR is reached from LOCKED (ERROR from RUN: revoke.c).
 */
static void cell_fixture(struct pfx *fx, int state)
{
	struct pm_tdi_report r;

	pfx_init(fx, PF_MEMFD, 4, "PSSS");
	fx->cfg.mmio_size = MMIO_SIZE;
	pf_bind(fx);
	fx->rec.shared_iova = GPA(1);
	/* The digest of this configuration, for accept in every column. */
	pf_lock(fx->pf);
	pf_report(fx->pf, &r);
	memcpy(fx->digest, r.digest, sizeof(fx->digest));
	ASSERT_OK(pm_protfd_stop(fx->pf));
	ASSERT_STATE(fx->pf, PM_TDI_UNLOCKED);
	if (state != U)
		pf_lock(fx->pf);
	if (state == R)
		ASSERT_OK(pm_protfd_accept(fx->pf, fx->digest));
	if (state == E)
		ASSERT_OK(pm_protfd_error(fx->pf));
	ASSERT_EQ(pm_protfd_state(fx->pf), state);
	ASSERT_NOT_REVOKED(&fx->rec);
	ASSERT_NO_FAULTS(fx->dev);
}

static int do_op(struct pfx *fx, enum op op)
{
	struct pm_protfd *other = NULL;
	struct pm_tdi_report r;
	uint8_t bad[PM_TDI_DIGEST_LEN], b[PG];
	uint32_t v = 0xdeadbeef, got = 0;
	uint64_t size = 0;
	int rc, fd = -1;

	switch (op) {
	case OP_CREATE:
		rc = pm_protfd_create(fx->dev, &fx->cfg, &other);
		if (!rc)
			pm_protfd_destroy(other);
		return rc;
	case OP_LOCK:
		return pm_protfd_lock(fx->pf);
	case OP_REPORT:
		memset(&r, 0, sizeof(r));
		rc = pm_protfd_get_report(fx->pf, &r);
		if (!rc && memcmp(r.digest, fx->digest, sizeof(r.digest)))
			FAIL("the report's digest changed");
		return rc;
	case OP_ACCEPT:
		return pm_protfd_accept(fx->pf, fx->digest);
	case OP_ACCEPT_BAD:
		memcpy(bad, fx->digest, sizeof(bad));
		bad[PM_TDI_DIGEST_LEN - 1] ^= 1;
		return pm_protfd_accept(fx->pf, bad);
	case OP_STOP:
		return pm_protfd_stop(fx->pf);
	case OP_RESET:
		return pm_device_reset(fx->dev);
	case OP_ERROR:
		return pm_protfd_error(fx->pf);
	case OP_CONFIG:
		rc = pm_device_config_write(fx->dev, CFG_OFF, &v, sizeof(v));
		/* The write itself is applied, whatever the state. */
		ASSERT_OK(pm_device_config_read(fx->dev, CFG_OFF, &got,
						sizeof(got)));
		ASSERT_U64_EQ(got, v);
		return rc;
	case OP_UNBIND:
		pm_protfd_destroy(fx->pf);
		return 0;
	case OP_TDMA:
		rc = pm_dma_read_trusted(fx->dev, GPA(0), b, PG);
		if (!rc)
			ASSERT_PAT(b, PG, PV_SEED(0));
		else
			ASSERT_ONE_FAULT(fx->dev, GPA(0), PM_DMA_FAULT_NOT_RUN,
					 0);
		return rc;
	case OP_MMIO:
		rc = pm_protfd_mmio(fx->pf, &fd, &size);
		if (!rc) {
			ASSERT_GE(fd, 0);
			ASSERT_U64_EQ(size, MMIO_SIZE);
		}
		return rc;
	default:
		FAIL("op %d", op);
	}
}

/* Trusted DMA reaches the private page exactly in RUN. */
static void check_trusted_path(struct pfx *fx, int state)
{
	if (state == R) {
		ASSERT_TREAD_PAT(fx->dev, GPA(0), PG, PV_SEED(0));
	} else {
		ASSERT_TREAD_FAULTS(fx->dev, GPA(0), PG, GPA(0),
				    PM_DMA_FAULT_NOT_RUN);
	}
	/* The device's T=0 path is the same in every state. */
	ASSERT_DMA_PAT(fx->dev, GPA(1), PG, SH_SEED(1));
	ASSERT_NO_FAULTS(fx->dev);
}

static void run_cell(enum op op, int state)
{
	const struct cell *c = &table[op][state];
	struct pfx fx;
	int rc;

	fprintf(stderr, "# %s in %s: expect %d, then %s\n", op_name[op],
		st_name[state], c->rc,
		c->next == FREED ? "freed" : st_name[c->next]);
	cell_fixture(&fx, state);
	rec_arm(&fx.rec);
	rc = do_op(&fx, op);
	rec_returned(&fx.rec);
	if (rc != c->rc)
		FAIL("%s in %s: returned %d (%s), expected %d (%s)",
		     op_name[op], st_name[state], rc, strerror(-rc), c->rc,
		     strerror(-c->rc));
	if (c->revoke)
		ASSERT_REVOKED_ONCE(&fx.rec, c->revoke);
	else
		ASSERT_NOT_REVOKED(&fx.rec);
	if (c->next == FREED) {
		/* Freed: the device has no binding and may be bound again. */
		fx.pf = NULL;
		check_trusted_path(&fx, U);
		pf_bind(&fx);
		ASSERT_EQ(pf_stats(fx.pf).revocations, 0);
		check_trusted_path(&fx, U);
	} else {
		enum pm_tdi_state s = pm_protfd_state(fx.pf);

		if ((int)s != c->next)
			FAIL("%s in %s: state is %s, expected %s", op_name[op],
			     st_name[state], pm_tdi_state_name(s),
			     st_name[c->next]);
		ASSERT_EQ(pf_stats(fx.pf).revocations, c->revoke ? 1 : 0);
		check_trusted_path(&fx, c->next);
		if (c->next != R)
			ASSERT_EQ(pf_stats(fx.pf).trusted_held, 0);
		/* Nothing ran late. */
		ASSERT_NOT_REVOKED(&fx.rec);
	}
	pfx_close(&fx);
}

static void row(enum op op)
{
	int s;

	for (s = U; s <= E; s++)
		run_cell(op, s);
}

TEST(row_create)
{
	row(OP_CREATE);
}
TEST(row_lock)
{
	row(OP_LOCK);
}
TEST(row_get_report)
{
	row(OP_REPORT);
}
TEST(row_accept)
{
	row(OP_ACCEPT);
}
TEST(row_accept_wrong_digest)
{
	row(OP_ACCEPT_BAD);
}
TEST(row_stop)
{
	row(OP_STOP);
}
TEST(row_reset)
{
	row(OP_RESET);
}
TEST(row_error)
{
	row(OP_ERROR);
}
TEST(row_config_write)
{
	row(OP_CONFIG);
}
TEST(row_unbind)
{
	row(OP_UNBIND);
}
TEST(row_trusted_dma)
{
	row(OP_TDMA);
}
TEST(row_private_mmio)
{
	row(OP_MMIO);
}

/* The create row on a device with no binding: UNLOCKED, nothing held. */
TEST(create_binds_unlocked)
{
	struct pfx fx;
	struct pm_protfd_stats st;

	pfx_init(&fx, PF_MEMFD, 4, "PSSS");
	pf_bind(&fx);
	ASSERT_STATE(fx.pf, PM_TDI_UNLOCKED);
	st = pf_stats(fx.pf);
	ASSERT_U64_EQ(st.trusted_held, 0);
	ASSERT_U64_EQ(st.trusted_fills, 0);
	ASSERT_U64_EQ(st.revocations, 0);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 0);
	pfx_close(&fx);
}

/* Twice on one device: -EBUSY, the first binding untouched; after unbind
 * the device binds again; another device binds independently. */
TEST(create_twice_ebusy)
{
	struct pm_protfd *second = NULL, *other = NULL;
	struct pm_device *dev2;
	struct pfx fx;

	pfx_new(&fx, PF_MEMFD, 4, "PSSS");
	pf_run(&fx);
	ASSERT_ERR(EBUSY, pm_protfd_create(fx.dev, &fx.cfg, &second));
	ASSERT_ERR(EBUSY, pm_protfd_create(fx.dev, &fx.cfg, &second));
	ASSERT_STATE(fx.pf, PM_TDI_RUN);
	ASSERT_NOT_REVOKED(&fx.rec);
	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, PV_SEED(0));

	/* A second device binds; the first one's binding is unaffected. */
	dev2 = dev_new(fx.ctx, "pf-dev2", NULL);
	ASSERT_OK(pm_protfd_create(dev2, &fx.cfg, &other));
	ASSERT_STATE(other, PM_TDI_UNLOCKED);
	ASSERT_STATE(fx.pf, PM_TDI_RUN);
	pm_protfd_destroy(other);
	pm_device_destroy(dev2);
	ASSERT_STATE(fx.pf, PM_TDI_RUN);
	ASSERT_NOT_REVOKED(&fx.rec);

	rec_arm(&fx.rec);
	pm_protfd_destroy(fx.pf);
	rec_returned(&fx.rec);
	fx.pf = NULL;
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_UNBIND);
	pf_bind(&fx);
	pfx_close(&fx);
}

/* Bad configs: -EINVAL, and the device is left unbound. */
TEST(create_bad_config)
{
	struct pm_protfd_config cfg;
	struct pm_protfd *pf = NULL;
	struct pfx fx;

	pfx_init(&fx, PF_MEMFD, 4, "PSSS");
	cfg = fx.cfg;
	cfg.gmem = NULL;
	ASSERT_ERR(EINVAL, pm_protfd_create(fx.dev, &cfg, &pf));
	/* iova_base + store size overflows. */
	cfg = fx.cfg;
	cfg.iova_base = UINT64_MAX - PG + 1;
	ASSERT_ERR(EINVAL, pm_protfd_create(fx.dev, &cfg, &pf));
	cfg.iova_base = UINT64_MAX - 2 * PG + 1; /* 4 pages from there */
	ASSERT_ERR(EINVAL, pm_protfd_create(fx.dev, &cfg, &pf));
	/* mmio_size not a multiple of 4 KiB. */
	cfg = fx.cfg;
	cfg.mmio_size = 100;
	ASSERT_ERR(EINVAL, pm_protfd_create(fx.dev, &cfg, &pf));
	cfg.mmio_size = PG + 1;
	ASSERT_ERR(EINVAL, pm_protfd_create(fx.dev, &cfg, &pf));
	cfg.mmio_size = PG - 1;
	ASSERT_ERR(EINVAL, pm_protfd_create(fx.dev, &cfg, &pf));
	/* None of them bound the device. */
	cfg.mmio_size = PG;
	ASSERT_OK(pm_protfd_create(fx.dev, &cfg, &pf));
	ASSERT_STATE(pf, PM_TDI_UNLOCKED);
	pm_protfd_destroy(pf);
	pf_bind(&fx);
	pfx_close(&fx);
}

static void report_of(struct pfx *fx, struct pm_tdi_report *r)
{
	pf_lock(fx->pf);
	pf_report(fx->pf, r);
	ASSERT_OK(pm_protfd_stop(fx->pf));
	ASSERT_STATE(fx->pf, PM_TDI_UNLOCKED);
}

#define ASSERT_DIGEST_EQ(a, b)                                    \
	do {                                                      \
		if (memcmp((a), (b), PM_TDI_DIGEST_LEN))          \
			FAIL("digests %s and %s differ", #a, #b); \
	} while (0)
#define ASSERT_DIGEST_NE(a, b)                                       \
	do {                                                         \
		if (!memcmp((a), (b), PM_TDI_DIGEST_LEN))            \
			FAIL("digests %s and %s are equal", #a, #b); \
	} while (0)

/* The report: stable across calls, the same in RUN; what it covers. */
TEST(report_stable)
{
	struct pm_tdi_report r1, r2, r3;
	uint8_t zero[PM_TDI_DIGEST_LEN] = { 0 };
	struct pfx fx;

	pfx_init(&fx, PF_MEMFD, 4, "PSSS");
	fx.cfg.mmio_size = 3 * PG;
	pf_bind(&fx);
	pf_lock(fx.pf);
	pf_report(fx.pf, &r1);
	pf_report(fx.pf, &r2);
	ASSERT_STATE(fx.pf, PM_TDI_LOCKED);
	ASSERT_DIGEST_EQ(r1.digest, r2.digest);
	ASSERT_DIGEST_NE(r1.digest, zero);
	ASSERT_EQ(r1.config_len, r2.config_len);
	ASSERT_GT(r1.config_len, 0);
	ASSERT_LE(r1.config_len, PM_DEVICE_CONFIG_SIZE);
	ASSERT_U64_EQ(r1.mmio_size, 3 * PG);
	ASSERT_EQ(r1.nr_bars, 0);
	ASSERT_TRUE(memchr(r1.name, 0, sizeof(r1.name)));
	ASSERT_EQ(strcmp(r1.name, r2.name), 0);

	ASSERT_OK(pm_protfd_accept(fx.pf, r1.digest));
	pf_report(fx.pf, &r3);
	ASSERT_STATE(fx.pf, PM_TDI_RUN);
	ASSERT_DIGEST_EQ(r1.digest, r3.digest);
	ASSERT_U64_EQ(r3.mmio_size, r1.mmio_size);
	ASSERT_NOT_REVOKED(&fx.rec);

	/* Stop, lock again, same configuration: the same digest. */
	ASSERT_OK(pm_protfd_stop(fx.pf));
	rec_clear(&fx.rec);
	report_of(&fx, &r2);
	ASSERT_DIGEST_EQ(r1.digest, r2.digest);
	pfx_close(&fx);
}

/* A config change (while UNLOCKED) changes the digest; undoing it restores
 * it; the old digest is then refused. */
TEST(report_follows_config)
{
	struct pm_tdi_report r1, r2, r3;
	uint8_t v[4] = { 0x12, 0x34, 0x56, 0x78 }, z[4] = { 0 };
	struct pfx fx;

	pfx_new(&fx, PF_MEMFD, 4, "PSSS");
	report_of(&fx, &r1);
	ASSERT_OK(pm_device_config_write(fx.dev, 0x40, v, sizeof(v)));
	ASSERT_STATE(fx.pf, PM_TDI_UNLOCKED);
	report_of(&fx, &r2);
	ASSERT_DIGEST_NE(r1.digest, r2.digest);
	/* The last byte of the space is covered too. */
	ASSERT_OK(pm_device_config_write(fx.dev, r1.config_len - 1, v, 1));
	report_of(&fx, &r3);
	ASSERT_DIGEST_NE(r3.digest, r2.digest);
	ASSERT_DIGEST_NE(r3.digest, r1.digest);
	ASSERT_OK(pm_device_config_write(fx.dev, r1.config_len - 1, z, 1));
	ASSERT_OK(pm_device_config_write(fx.dev, 0x40, z, sizeof(z)));
	report_of(&fx, &r3);
	ASSERT_DIGEST_EQ(r1.digest, r3.digest);

	/* Locked with the changed configuration, the old digest is stale. */
	ASSERT_OK(pm_device_config_write(fx.dev, 0x40, v, sizeof(v)));
	pf_lock(fx.pf);
	ASSERT_ERR(EKEYREJECTED, pm_protfd_accept(fx.pf, r1.digest));
	ASSERT_STATE(fx.pf, PM_TDI_LOCKED);
	ASSERT_OK(pm_protfd_accept(fx.pf, r2.digest));
	ASSERT_STATE(fx.pf, PM_TDI_RUN);
	ASSERT_NOT_REVOKED(&fx.rec);
	pfx_close(&fx);
}

/* BARs are part of the report, and of its digest. */
TEST(report_follows_bars)
{
	struct pm_tdi_report r1, r2;
	struct pfx fx;

	pfx_new(&fx, PF_MEMFD, 4, "PSSS");
	report_of(&fx, &r1);
	ASSERT_EQ(r1.nr_bars, 0);
	ASSERT_OK(pm_device_add_bar(fx.dev, 0, 64 * KiB));
	report_of(&fx, &r2);
	ASSERT_GE(r2.nr_bars, 1);
	ASSERT_U64_EQ(r2.bar_size[0], 64 * KiB);
	ASSERT_DIGEST_NE(r1.digest, r2.digest);
	pfx_close(&fx);
}

/* Wrong digests: -EKEYREJECTED, LOCKED, no trusted access; then right. */
TEST(accept_wrong_digest)
{
	uint8_t bad[PM_TDI_DIGEST_LEN];
	struct pm_tdi_report r;
	struct pfx fx;
	unsigned int i;

	pfx_new(&fx, PF_MEMFD, 4, "PSSS");
	pf_lock(fx.pf);
	pf_report(fx.pf, &r);
	for (i = 0; i < PM_TDI_DIGEST_LEN; i += 7) {
		memcpy(bad, r.digest, sizeof(bad));
		bad[i] ^= 0x80;
		ASSERT_ERR(EKEYREJECTED, pm_protfd_accept(fx.pf, bad));
		ASSERT_STATE(fx.pf, PM_TDI_LOCKED);
	}
	memset(bad, 0, sizeof(bad));
	ASSERT_ERR(EKEYREJECTED, pm_protfd_accept(fx.pf, bad));
	ASSERT_STATE(fx.pf, PM_TDI_LOCKED);
	ASSERT_TREAD_FAULTS(fx.dev, GPA(0), 64, GPA(0), PM_DMA_FAULT_NOT_RUN);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 0);
	/* The report is still there, unchanged; the right digest works. */
	{
		struct pm_tdi_report r2;

		pf_report(fx.pf, &r2);
		ASSERT_DIGEST_EQ(r.digest, r2.digest);
	}
	ASSERT_OK(pm_protfd_accept(fx.pf, r.digest));
	ASSERT_STATE(fx.pf, PM_TDI_RUN);
	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, PV_SEED(0));
	ASSERT_NOT_REVOKED(&fx.rec);
	pfx_close(&fx);
}

/* A config write while LOCKED: ERROR (no revocation: it was not in RUN);
 * the write applied; out of ERROR only by stop, lock and accept again. */
TEST(config_write_locked)
{
	uint8_t v = 0x99, got = 0;
	struct pm_tdi_report r1, r2;
	struct pfx fx;

	pfx_new(&fx, PF_MEMFD, 4, "PSSS");
	pf_lock(fx.pf);
	pf_report(fx.pf, &r1);
	/* Reading does not change anything. */
	ASSERT_OK(pm_device_config_read(fx.dev, 0, &got, 1));
	ASSERT_STATE(fx.pf, PM_TDI_LOCKED);
	ASSERT_OK(pm_device_config_write(fx.dev, 0x80, &v, 1));
	ASSERT_STATE(fx.pf, PM_TDI_ERROR);
	ASSERT_OK(pm_device_config_read(fx.dev, 0x80, &got, 1));
	ASSERT_EQ(got, 0x99);
	ASSERT_NOT_REVOKED(&fx.rec);
	ASSERT_ERR(EIO, pm_protfd_get_report(fx.pf, &r2));
	ASSERT_ERR(EIO, pm_protfd_accept(fx.pf, r1.digest));
	ASSERT_ERR(EIO, pm_protfd_lock(fx.pf));
	ASSERT_STATE(fx.pf, PM_TDI_ERROR);
	ASSERT_OK(pm_protfd_stop(fx.pf));
	ASSERT_STATE(fx.pf, PM_TDI_UNLOCKED);
	pf_lock(fx.pf);
	pf_report(fx.pf, &r2);
	ASSERT_DIGEST_NE(r1.digest, r2.digest);
	ASSERT_ERR(EKEYREJECTED, pm_protfd_accept(fx.pf, r1.digest));
	ASSERT_OK(pm_protfd_accept(fx.pf, r2.digest));
	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, PV_SEED(0));
	ASSERT_NOT_REVOKED(&fx.rec);
	pfx_close(&fx);
}

/* Any config write while LOCKED is one: even of the bytes already there. */
TEST(config_write_same_bytes_locked)
{
	uint8_t cur[8];
	struct pfx fx;

	pfx_new(&fx, PF_MEMFD, 4, "PSSS");
	ASSERT_OK(pm_device_config_read(fx.dev, 0x10, cur, sizeof(cur)));
	pf_lock(fx.pf);
	ASSERT_OK(pm_device_config_write(fx.dev, 0x10, cur, sizeof(cur)));
	ASSERT_STATE(fx.pf, PM_TDI_ERROR);
	pfx_close(&fx);
}

/* A config write in RUN: ERROR, revoked at once (reason ERROR). */
TEST(config_write_run)
{
	uint32_t v = 0x01020304;
	struct pfx fx;

	pfx_new(&fx, PF_MEMFD, 4, "PSSS");
	fx.rec.shared_iova = GPA(1);
	pf_run(&fx);
	ASSERT_TREAD_PAT(fx.dev, GPA(0), PG, PV_SEED(0));
	ASSERT_EQ(pf_stats(fx.pf).trusted_held, 1);
	rec_arm(&fx.rec);
	ASSERT_OK(pm_device_config_write(fx.dev, 0xfc, &v, sizeof(v)));
	rec_returned(&fx.rec);
	ASSERT_REVOKED_ONCE(&fx.rec, PM_PROTFD_REVOKE_ERROR);
	ASSERT_STATE(fx.pf, PM_TDI_ERROR);
	ASSERT_EQ(pf_stats(fx.pf).trusted_held, 0);
	ASSERT_EQ(pf_stats(fx.pf).revocations, 1);
	ASSERT_EQ(pm_gmem_pin_count(fx.g, 0), 0);
	ASSERT_TREAD_FAULTS(fx.dev, GPA(0), PG, GPA(0), PM_DMA_FAULT_NOT_RUN);
	/* In ERROR a further write is accepted and changes nothing else. */
	ASSERT_OK(pm_device_config_write(fx.dev, 0, &v, sizeof(v)));
	ASSERT_STATE(fx.pf, PM_TDI_ERROR);
	ASSERT_NOT_REVOKED(&fx.rec);
	pfx_close(&fx);
}

/* The configuration space: PM_DEVICE_CONFIG_SIZE bytes, zeros at first;
 * ranges outside it -EINVAL (and, being no write, no state change). */
TEST(config_space_bounds)
{
	uint8_t buf[PM_DEVICE_CONFIG_SIZE + 8], w[PM_DEVICE_CONFIG_SIZE];
	struct pfx fx;

	pfx_new(&fx, PF_MEMFD, 4, "PSSS");
	memset(buf, 0xee, sizeof(buf));
	ASSERT_OK(pm_device_config_read(fx.dev, 0, buf, PM_DEVICE_CONFIG_SIZE));
	ASSERT_TRUE(all_zero(buf, PM_DEVICE_CONFIG_SIZE));
	ASSERT_ERR(EINVAL, pm_device_config_read(fx.dev, 0, buf,
						 PM_DEVICE_CONFIG_SIZE + 1));
	ASSERT_ERR(EINVAL, pm_device_config_read(fx.dev, PM_DEVICE_CONFIG_SIZE,
						 buf, 1));
	ASSERT_ERR(EINVAL, pm_device_config_read(
				   fx.dev, PM_DEVICE_CONFIG_SIZE - 1, buf, 2));
	ASSERT_ERR(EINVAL, pm_device_config_read(fx.dev, UINT32_MAX, buf, 2));
	ASSERT_OK(pm_device_config_read(fx.dev, PM_DEVICE_CONFIG_SIZE - 1, buf,
					1));

	pat_fill(w, sizeof(w), 7);
	ASSERT_OK(pm_device_config_write(fx.dev, 0, w, sizeof(w)));
	memset(buf, 0, sizeof(buf));
	ASSERT_OK(pm_device_config_read(fx.dev, 0, buf, sizeof(w)));
	ASSERT_PAT(buf, sizeof(w), 7);
	ASSERT_OK(pm_device_config_read(fx.dev, 17, buf, 5));
	ASSERT_EQ(memcmp(buf, w + 17, 5), 0);

	pf_lock(fx.pf);
	ASSERT_ERR(EINVAL, pm_device_config_write(fx.dev, 0, w,
						  PM_DEVICE_CONFIG_SIZE + 1));
	ASSERT_ERR(EINVAL,
		   pm_device_config_write(fx.dev, PM_DEVICE_CONFIG_SIZE, w, 1));
	ASSERT_ERR(EINVAL,
		   pm_device_config_write(fx.dev, UINT32_MAX - 1, w, 4));
	ASSERT_STATE(fx.pf, PM_TDI_LOCKED);
	ASSERT_OK(pm_device_config_read(fx.dev, 0, buf, sizeof(w)));
	ASSERT_PAT(buf, sizeof(w), 7);
	pfx_close(&fx);
}

/* A device without a binding: config and reset work as for any device. */
TEST(unbound_device)
{
	struct pm_iommufd *ctx = ictx_open();
	struct pm_device *dev = dev_new(ctx, "plain", NULL);
	uint32_t v = 5, got = 0;
	uint8_t b[8];

	ASSERT_OK(pm_device_config_write(dev, 4, &v, sizeof(v)));
	ASSERT_OK(pm_device_reset(dev));
	ASSERT_OK(pm_device_config_read(dev, 4, &got, sizeof(got)));
	ASSERT_ERR(EFAULT, pm_dma_read_trusted(dev, GPA(0), b, sizeof(b)));
	ASSERT_ONE_FAULT(dev, GPA(0), PM_DMA_FAULT_NOT_RUN, 0);
	ASSERT_ERR(EFAULT, pm_dma_write_trusted(dev, GPA(0), b, sizeof(b)));
	ASSERT_ONE_FAULT(dev, GPA(0), PM_DMA_FAULT_NOT_RUN, 1);
	pm_device_destroy(dev);
	pm_iommufd_close(ctx);
}

TEST(state_names)
{
	const char *n[4];
	int i, j;

	for (i = 0; i < 4; i++) {
		n[i] = pm_tdi_state_name((enum pm_tdi_state)i);
		ASSERT_TRUE(n[i]);
		ASSERT_GT(strlen(n[i]), 0);
		for (j = 0; j < i; j++)
			ASSERT_NE(strcmp(n[i], n[j]), 0);
	}
	ASSERT_TRUE(pm_dma_fault_reason_name(PM_DMA_FAULT_NOT_RUN));
	ASSERT_TRUE(pm_dma_fault_reason_name(PM_DMA_FAULT_SHARED));
	ASSERT_TRUE(pm_dma_fault_reason_name(PM_DMA_FAULT_REVOKED));
	ASSERT_NE(strcmp(pm_dma_fault_reason_name(PM_DMA_FAULT_NOT_RUN),
			 pm_dma_fault_reason_name(PM_DMA_FAULT_SHARED)),
		  0);
	ASSERT_NE(strcmp(pm_dma_fault_reason_name(PM_DMA_FAULT_REVOKED),
			 pm_dma_fault_reason_name(PM_DMA_FAULT_MEMORY)),
		  0);
}

TEST_MAIN()
