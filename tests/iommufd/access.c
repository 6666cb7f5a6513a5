// SPDX-License-Identifier: MIT
/*
 * In-library accesses (the selftest's CREATE_ACCESS, ACCESS_RW,
 * ACCESS_PAGES): an emulated device reaching an IOAS with the CPU. The
 * access is named by a file descriptor; closing it destroys the access.
 * An IOAS_UNMAP over pinned pages asks the access to let go (its unmap
 * callback) and completes.
 */
#include "utils.h"

#define AT (AP_START + 1 * MiB)
#define NEEDS_PIN MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES

struct acc_fx {
	struct pm_iommufd *ctx;
	uint32_t ioas;
	uint8_t *buf; /* 64 KiB of pattern 1, mapped at AT */
};

static struct acc_fx fx_new(bool domain)
{
	struct acc_fx fx;

	fx.ctx = ctx_open();
	fx.ioas = ioas_new(fx.ctx);
	if (domain)
		test_mock_domain(fx.ctx, fx.ioas, NULL, NULL, NULL);
	fx.buf = buf_alloc(64 * KiB, 64 * KiB);
	pat_fill(fx.buf, 64 * KiB, 1);
	test_map_at(fx.ctx, fx.ioas, fx.buf, 64 * KiB, AT);
	return fx;
}

TEST(create_access_fd)
{
	struct acc_fx fx = fx_new(false);
	int afd, afd2, fl;

	afd = access_new(fx.ctx, fx.ioas, 0);
	/* A real descriptor, close-on-exec like Linux's. */
	fl = fcntl(afd, F_GETFD);
	ASSERT_SYS(fl);
	ASSERT_TRUE(fl & FD_CLOEXEC);
	afd2 = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	ASSERT_NE(afd, afd2);
	/* On no IOAS, or with unknown flags. */
	test_err_create_access(ENOENT, fx.ctx, 99, 0, &afd2);
	test_err_create_access(EOPNOTSUPP, fx.ctx, fx.ioas, 1U << 5, &afd2);
	/* The access holds its IOAS. */
	test_err_destroy(EBUSY, fx.ctx, fx.ioas);
	pm_iommufd_close(fx.ctx);
}

TEST(rw_read_write)
{
	struct acc_fx fx = fx_new(false);
	int afd = access_new(fx.ctx, fx.ioas, 0);
	uint8_t b[64 * KiB];

	test_access_rw(fx.ctx, afd, AT, b, sizeof(b), 0);
	ASSERT_PAT(b, sizeof(b), 1);
	/* Odd offsets and lengths, across pages. */
	memset(b, 0, sizeof(b));
	test_access_rw(fx.ctx, afd, AT + 4093, b, 5000, 0);
	ASSERT_EQ(memcmp(b, fx.buf + 4093, 5000), 0);
	test_access_rw(fx.ctx, afd, AT + 64 * KiB - 1, b, 1, 0);
	ASSERT_EQ(b[0], fx.buf[64 * KiB - 1]);
	/* Writes reach the memory; both paths. */
	pat_fill(b, 3000, 2);
	test_access_rw(fx.ctx, afd, AT + 7, b, 3000, MOCK_ACCESS_RW_WRITE);
	ASSERT_PAT(fx.buf + 7, 3000, 2);
	pat_fill(b, 9000, 3);
	test_access_rw(fx.ctx, afd, AT + 10000, b, 9000,
		       MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH);
	ASSERT_PAT(fx.buf + 10000, 9000, 3);
	memset(b, 0, 9000);
	test_access_rw(fx.ctx, afd, AT + 10000, b, 9000,
		       MOCK_ACCESS_RW_SLOW_PATH);
	ASSERT_PAT(b, 9000, 3);
	pm_iommufd_close(fx.ctx);
}

TEST(rw_with_domain_and_pins)
{
	struct acc_fx fx = fx_new(true);
	int afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	uint8_t b[PG];

	test_access_pages(fx.ctx, afd, AT, 8 * PG, fx.buf, 0, NULL);
	test_access_rw(fx.ctx, afd, AT + PG, b, PG, 0);
	ASSERT_EQ(memcmp(b, fx.buf + PG, PG), 0);
	pat_fill(b, PG, 4);
	test_access_rw(fx.ctx, afd, AT + 9 * PG, b, PG, MOCK_ACCESS_RW_WRITE);
	ASSERT_PAT(fx.buf + 9 * PG, PG, 4);
	pm_iommufd_close(fx.ctx);
}

TEST(rw_across_areas)
{
	struct acc_fx fx = fx_new(false);
	int afd = access_new(fx.ctx, fx.ioas, 0);
	uint8_t *b2 = buf_alloc(16 * KiB, 16 * KiB), b[8 * KiB];

	pat_fill(b2, 16 * KiB, 5);
	test_map_at(fx.ctx, fx.ioas, b2, 16 * KiB, AT + 64 * KiB);
	test_access_rw(fx.ctx, afd, AT + 60 * KiB, b, sizeof(b), 0);
	ASSERT_EQ(memcmp(b, fx.buf + 60 * KiB, 4 * KiB), 0);
	ASSERT_PAT(b + 4 * KiB, 4 * KiB, 5);
	pm_iommufd_close(fx.ctx);
}

TEST(rw_errors)
{
	struct acc_fx fx = fx_new(false);
	int afd = access_new(fx.ctx, fx.ioas, 0), memfd = memfd_new(PG, 0);
	uint8_t b[2 * PG];
	uint64_t iova = AT + 1 * MiB;

	/* Unmapped, partly unmapped, a gap. */
	test_err_access_rw(ENOENT, fx.ctx, afd, AT - PG, b, 16, 0);
	test_err_access_rw(ENOENT, fx.ctx, afd, AT - 8, b, 16, 0);
	test_err_access_rw(ENOENT, fx.ctx, afd, AT + 64 * KiB - 8, b, 16, 0);
	test_map_at(fx.ctx, fx.ioas, fx.buf, PG, AT + 68 * KiB);
	test_err_access_rw(ENOENT, fx.ctx, afd, AT + 60 * KiB, b, 2 * PG, 0);
	/* Empty, wrapping. */
	test_err_access_rw(EINVAL, fx.ctx, afd, AT, b, 0, 0);
	test_err_access_rw(EOVERFLOW, fx.ctx, afd, UINT64_MAX - 4, b, 16, 0);
	/* Unknown flags; a descriptor that is no access. */
	test_err_access_rw(EOPNOTSUPP, fx.ctx, afd, AT, b, 16, 1U << 1);
	test_err_access_rw(EBADFD, fx.ctx, memfd, AT, b, 16, 0);
	test_err_access_rw(EBADFD, fx.ctx, 9999, AT, b, 16, 0);
	/* Writes into a read-only map. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, &iova,
		      IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	test_err_access_rw(EPERM, fx.ctx, afd, iova, b, 16,
			   MOCK_ACCESS_RW_WRITE);
	test_access_rw(fx.ctx, afd, iova, b, 16, 0);
	/* The caller's buffer is bad. */
	test_err_access_rw(EFAULT, fx.ctx, afd, AT, NULL, 16, 0);
	test_err_access_rw(EFAULT, fx.ctx, afd, AT, NULL, 16,
			   MOCK_ACCESS_RW_WRITE);
	ASSERT_PAT(fx.buf, 64 * KiB, 1);
	pm_iommufd_close(fx.ctx);
}

TEST(pin_pages_refs)
{
	struct acc_fx fx = fx_new(false);
	int afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	uint32_t item, item2;

	/* Without a domain, the access pin is the only one. */
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 0);
	test_access_pages(fx.ctx, afd, AT + PG, 2 * PG, fx.buf + PG, 0, &item);
	test_check_refs(fx.ctx, fx.buf + PG, 2 * PG, 1);
	test_check_refs(fx.ctx, fx.buf, PG, 0);
	test_check_refs(fx.ctx, fx.buf + 3 * PG, PG, 0);
	/* Overlapping pins and a domain: still one pin a page. */
	test_access_pages(fx.ctx, afd, AT, 4 * PG, fx.buf,
			  MOCK_FLAGS_ACCESS_WRITE, &item2);
	ASSERT_NE(item, item2);
	test_mock_domain(fx.ctx, fx.ioas, NULL, NULL, NULL);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	test_destroy_access_pages(fx.ctx, afd, item);
	test_destroy_access_pages(fx.ctx, afd, item2);
	test_err_destroy_access_pages(ENOENT, fx.ctx, afd, item2);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 1);
	pm_iommufd_close(fx.ctx);
}

TEST(pin_pages_unpins)
{
	struct acc_fx fx = fx_new(false);
	int afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	uint32_t item;

	test_access_pages(fx.ctx, afd, AT, 16 * PG, fx.buf, 0, &item);
	test_check_refs(fx.ctx, fx.buf, 16 * PG, 1);
	test_destroy_access_pages(fx.ctx, afd, item);
	test_check_refs(fx.ctx, fx.buf, 16 * PG, 0);
	pm_iommufd_close(fx.ctx);
}

TEST(pin_pages_errors)
{
	struct acc_fx fx = fx_new(false);
	int afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	int plain = access_new(fx.ctx, fx.ioas, 0);
	uint8_t *other = buf_alloc(PG, PG);
	uint64_t iova = AT + 1 * MiB;

	/* An access made without NEEDS_PIN_PAGES cannot pin. */
	test_err_access_pages(EOPNOTSUPP, fx.ctx, plain, AT, PG, fx.buf, 0,
			      NULL);
	test_err_access_pages(EOPNOTSUPP, fx.ctx, afd, AT, PG, fx.buf, 1U << 3,
			      NULL);
	test_err_access_pages(EBADFD, fx.ctx, 9999, AT, PG, fx.buf, 0, NULL);
	/* Nothing there; not all there. */
	test_err_access_pages(ENOENT, fx.ctx, afd, AT - PG, PG, fx.buf, 0,
			      NULL);
	test_err_access_pages(ENOENT, fx.ctx, afd, AT + 60 * KiB, 2 * PG,
			      fx.buf, 0, NULL);
	/* The pages are not the ones at uptr. */
	test_err_access_pages(EBADE, fx.ctx, afd, AT, PG, other, 0, NULL);
	test_check_refs(fx.ctx, fx.buf, PG, 0);
	/* A write pin of a read-only map. */
	test_ioas_map(fx.ctx, fx.ioas, fx.buf, PG, &iova,
		      IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	test_err_access_pages(EPERM, fx.ctx, afd, iova, PG, fx.buf,
			      MOCK_FLAGS_ACCESS_WRITE, NULL);
	test_access_pages(fx.ctx, afd, iova, PG, fx.buf, 0, NULL);
	/* Longer than the selftest allows. */
	test_err_access_pages(ENOMEM, fx.ctx, afd, AT, 16 * MiB + 1, fx.buf, 0,
			      NULL);
	pm_iommufd_close(fx.ctx);
}

/* UNMAP of pinned pages calls the access's unmap callback and completes. */
TEST(unmap_calls_access_unmap)
{
	struct acc_fx fx = fx_new(true);
	int afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	int afd2 = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	uint32_t item, item2, keep;
	uint8_t *b2 = buf_alloc(16 * KiB, 16 * KiB);

	test_map_at(fx.ctx, fx.ioas, b2, 16 * KiB, AT + 1 * MiB);
	test_access_pages(fx.ctx, afd, AT + 2 * PG, 3 * PG, fx.buf + 2 * PG,
			  0, &item);
	test_access_pages(fx.ctx, afd2, AT, PG, fx.buf, 0, &item2);
	test_access_pages(fx.ctx, afd, AT + 1 * MiB, PG, b2, 0, &keep);
	test_unmap_exact(fx.ctx, fx.ioas, AT, 64 * KiB);
	/* Both accesses let go of what the unmap covered, nothing else. */
	test_err_destroy_access_pages(ENOENT, fx.ctx, afd, item);
	test_err_destroy_access_pages(ENOENT, fx.ctx, afd2, item2);
	test_check_refs(fx.ctx, fx.buf, 64 * KiB, 0);
	test_check_refs(fx.ctx, b2, PG, 1);
	test_destroy_access_pages(fx.ctx, afd, keep);
	/* Unmap-all over pins too. */
	test_access_pages(fx.ctx, afd, AT + 1 * MiB + PG, PG, b2 + PG, 0,
			  &keep);
	test_unmap_all(fx.ctx, fx.ioas, 16 * KiB);
	test_err_destroy_access_pages(ENOENT, fx.ctx, afd, keep);
	test_check_refs(fx.ctx, b2, 16 * KiB, 0);
	pm_iommufd_close(fx.ctx);
}

/* Closing the access's descriptor destroys the access and its pins. */
TEST(close_destroys_access)
{
	struct acc_fx fx = fx_new(false);
	int afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN), again;
	uint8_t b[16];

	test_access_pages(fx.ctx, afd, AT, 4 * PG, fx.buf, 0, NULL);
	test_check_refs(fx.ctx, fx.buf, 4 * PG, 1);
	test_err_destroy(EBUSY, fx.ctx, fx.ioas);
	ASSERT_SYS(close(afd));
	test_err_access_rw(EBADFD, fx.ctx, afd, AT, b, sizeof(b), 0);
	test_check_refs(fx.ctx, fx.buf, 4 * PG, 0);
	/* The number may come back for a new access: it is a new one. */
	again = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	test_err_destroy_access_pages(ENOENT, fx.ctx, again, 0);
	ASSERT_SYS(close(again));
	/* Another file on the old number is no access. */
	again = memfd_new(PG, 0);
	test_err_access_rw(EBADFD, fx.ctx, again, AT, b, sizeof(b), 0);
	close(again);
	test_destroy(fx.ctx, fx.ioas);
	pm_iommufd_close(fx.ctx);
}

/*
 * A duplicate names the same access, as in Linux (one file): the access
 * lives while any descriptor of it is open, and goes with the last.
 */
TEST(dup_names_the_access)
{
	struct acc_fx fx = fx_new(false);
	int afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN), d;
	uint8_t b[16];

	test_access_pages(fx.ctx, afd, AT, 4 * PG, fx.buf, 0, NULL);
	d = dup(afd);
	ASSERT_SYS(d);
	ASSERT_SYS(close(afd));
	/* The original number is gone, the access is not. */
	test_access_rw(fx.ctx, d, AT, b, sizeof(b), 0);
	test_check_refs(fx.ctx, fx.buf, 4 * PG, 1);
	test_err_destroy(EBUSY, fx.ctx, fx.ioas);
	/* Reading it is end of file, as a file with nothing to read. */
	ASSERT_EQ(read(d, b, sizeof(b)), 0);
	ASSERT_SYS(close(d));
	test_err_access_rw(EBADFD, fx.ctx, d, AT, b, sizeof(b), 0);
	test_check_refs(fx.ctx, fx.buf, 4 * PG, 0);
	test_destroy(fx.ctx, fx.ioas);
	pm_iommufd_close(fx.ctx);
}

/* The access moves to another IOAS (ACCESS_REPLACE_IOAS). */
TEST(replace_access_ioas)
{
	struct acc_fx fx = fx_new(false);
	uint32_t other = ioas_new(fx.ctx);
	int afd = access_new(fx.ctx, fx.ioas, NEEDS_PIN);
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.access_replace_ioas = { .ioas_id = other },
	};
	uint8_t b[16];

	cmd.id = (uint32_t)afd;
	test_map_at(fx.ctx, other, fx.buf + 8 * PG, PG, AT);
	test_access_pages(fx.ctx, afd, AT, PG, fx.buf, 0, NULL);
	ASSERT_OK(test_cmd(fx.ctx, &cmd));
	/* Its pins on the old IOAS were dropped; it now reads the new one. */
	test_check_refs(fx.ctx, fx.buf, PG, 0);
	test_access_rw(fx.ctx, afd, AT, b, sizeof(b), 0);
	ASSERT_EQ(memcmp(b, fx.buf + 8 * PG, sizeof(b)), 0);
	test_destroy(fx.ctx, fx.ioas);
	test_err_destroy(EBUSY, fx.ctx, other);
	cmd.access_replace_ioas.ioas_id = 99;
	ASSERT_ERR(ENOENT, test_cmd(fx.ctx, &cmd));
	test_access_rw(fx.ctx, afd, AT, b, sizeof(b), 0);
	pm_iommufd_close(fx.ctx);
}

TEST_MAIN()
