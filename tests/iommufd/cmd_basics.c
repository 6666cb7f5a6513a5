// SPDX-License-Identifier: MIT
/*
 * The ioctl entry: opening and closing a context, unknown numbers, the
 * size rules of every command, bad argument pointers, object ids and
 * IOMMU_DESTROY.
 */
#include "utils.h"

TEST(open_close)
{
	struct pm_iommufd *a = ctx_open(), *b = ctx_open();
	uint32_t ia, ib;

	ASSERT_TRUE(a != b);
	/* Contexts are independent: both number their objects from 1. */
	ia = ioas_new(a);
	ib = ioas_new(b);
	ASSERT_EQ(ia, 1);
	ASSERT_EQ(ib, 1);
	test_destroy(a, ia);
	test_err_destroy(ENOENT, a, ia);
	test_destroy(b, ib);
	pm_iommufd_close(a);
	pm_iommufd_close(b);
	pm_iommufd_close(NULL); /* never fails */
}

/* Close destroys every object, dependents first (LeakSanitizer watches). */
TEST(close_with_objects)
{
	struct pm_iommufd *ctx = ctx_open();
	uint8_t *buf = buf_alloc(64 * KiB, 64 * KiB);
	uint32_t ioas = ioas_new(ctx), ioas2 = ioas_new(ctx), hwpt, idev, item;
	int afd, memfd = memfd_new(16 * KiB, 1);
	uint64_t iova = 0;

	test_mock_domain(ctx, ioas, NULL, &hwpt, &idev);
	test_hwpt_alloc(ctx, idev, ioas2, 0, NULL);
	test_map_at(ctx, ioas, buf, 64 * KiB, AP_START);
	test_ioas_map_file(ctx, ioas, memfd, 0, 16 * KiB, &iova, RW);
	test_ioas_copy(ctx, ioas2, ioas, AP_START, 16 * KiB, &iova, RW);
	afd = access_new(ctx, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	test_access_pages(ctx, afd, AP_START, 8 * KiB, buf, 0, &item);
	pm_iommufd_close(ctx);
	close(memfd);
	/* The pages are free again. */
	ctx = ctx_open();
	test_check_refs(ctx, buf, 64 * KiB, 0);
	pm_iommufd_close(ctx);
}

TEST(ioctl_on_null_context)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	ASSERT_ERRNO(EBADF, pm_iommufd_ioctl(NULL, IOMMU_IOAS_ALLOC, &cmd));
}

TEST(unknown_numbers)
{
	struct pm_iommufd *ctx = ctx_open();
	/* A valid argument, so only the number can be wrong. */
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = 0 };
	static const unsigned long bad[] = {
		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE - 1), /* 0x7f */
		_IO(IOMMUFD_TYPE, 0),
		_IO(IOMMUFD_TYPE, 0xff),
		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 0x40),
		/* The right nr with another type, or size/direction bits. */
		_IO('x', IOMMUFD_CMD_DESTROY),
		_IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY, struct iommu_destroy),
		_IOR(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC, uint32_t),
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		errno = 0;
		if (pm_iommufd_ioctl(ctx, bad[i], &cmd) != -1 ||
		    errno != ENOTTY)
			FAIL("ioctl 0x%lx: expected ENOTTY, got %s", bad[i],
			     strerror(errno));
	}
	/* The number itself, with the sanity of the argument irrelevant. */
	ASSERT_ERRNO(ENOTTY, pm_iommufd_ioctl(ctx, _IO(';', 0x7f), &cmd));
	/* Nothing was created or destroyed on the way. */
	ASSERT_EQ(ioas_new(ctx), 1);
	pm_iommufd_close(ctx);
}

/* ------------------------------------------------------------------ */
/* The size rules, command by command, each call on a fresh context.   */

struct len_fx {
	struct pm_iommufd *ctx;
	uint32_t ioas, stdev, hwpt, idev;
	uint8_t *buf;
	int memfd;
	struct iommu_iova_range range[2];
	uint8_t hw_info[64];
};

static void len_fx_setup(struct len_fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->ctx = ctx_open();
	fx->ioas = ioas_new(fx->ctx);
	test_mock_domain(fx->ctx, fx->ioas, &fx->stdev, &fx->hwpt, &fx->idev);
	fx->buf = buf_alloc(64 * KiB, 64 * KiB);
	test_map_at(fx->ctx, fx->ioas, fx->buf, 8 * KiB, AP_START);
	fx->memfd = memfd_new(64 * KiB, 3);
	fx->range[0].start = AP_START + 1 * MiB;
	fx->range[0].last = AP_START + 2 * MiB - 1;
}

static void len_fx_teardown(struct len_fx *fx)
{
	pm_iommufd_close(fx->ctx);
	close(fx->memfd);
	munmap(fx->buf, 64 * KiB);
}

/*
 * A command whose arguments make it do something real (most succeed), so
 * that "the same result" compares more than an errno.
 */
struct len_case {
	const char *name;
	unsigned long cmd;
	size_t size, min_size;
	void (*fill)(struct len_fx *fx, void *arg);
};

static void fill_destroy(struct len_fx *fx, void *arg)
{
	struct iommu_destroy *c = arg;

	c->id = fx->stdev;
}

static void fill_ioas_alloc(struct len_fx *fx, void *arg)
{
}

static void fill_allow_iovas(struct len_fx *fx, void *arg)
{
	struct iommu_ioas_allow_iovas *c = arg;

	c->ioas_id = fx->ioas;
	c->num_iovas = 1;
	c->allowed_iovas = (uintptr_t)fx->range;
}

static void fill_copy(struct len_fx *fx, void *arg)
{
	struct iommu_ioas_copy *c = arg;

	c->flags = FIXED_RW;
	c->dst_ioas_id = fx->ioas;
	c->src_ioas_id = fx->ioas;
	c->length = 8 * KiB;
	c->src_iova = AP_START;
	c->dst_iova = AP_START + 4 * MiB;
}

static void fill_iova_ranges(struct len_fx *fx, void *arg)
{
	struct iommu_ioas_iova_ranges *c = arg;

	c->ioas_id = fx->ioas;
	c->num_iovas = 2;
	c->allowed_iovas = (uintptr_t)fx->range;
}

static void fill_map(struct len_fx *fx, void *arg)
{
	struct iommu_ioas_map *c = arg;

	c->flags = FIXED_RW;
	c->ioas_id = fx->ioas;
	c->user_va = (uintptr_t)(fx->buf + 16 * KiB);
	c->length = 16 * KiB;
	c->iova = AP_START + 8 * MiB;
}

static void fill_unmap(struct len_fx *fx, void *arg)
{
	struct iommu_ioas_unmap *c = arg;

	c->ioas_id = fx->ioas;
	c->iova = AP_START;
	c->length = 8 * KiB;
}

static void fill_option(struct len_fx *fx, void *arg)
{
	struct iommu_option *c = arg;

	c->option_id = IOMMU_OPTION_HUGE_PAGES;
	c->op = IOMMU_OPTION_OP_GET;
	c->object_id = fx->ioas;
}

static void fill_hwpt_alloc(struct len_fx *fx, void *arg)
{
	struct iommu_hwpt_alloc *c = arg;

	c->dev_id = fx->idev;
	c->pt_id = fx->ioas;
}

static void fill_hw_info(struct len_fx *fx, void *arg)
{
	struct iommu_hw_info *c = arg;

	c->dev_id = fx->idev;
	c->data_len = sizeof(fx->hw_info);
	c->data_uptr = (uintptr_t)fx->hw_info;
}

static void fill_map_file(struct len_fx *fx, void *arg)
{
	struct iommu_ioas_map_file *c = arg;

	c->flags = FIXED_RW;
	c->ioas_id = fx->ioas;
	c->fd = fx->memfd;
	c->start = 8 * KiB;
	c->length = 16 * KiB;
	c->iova = AP_START + 12 * MiB;
}

static void fill_change_process(struct len_fx *fx, void *arg)
{
}

static void fill_hwpt_invalidate(struct len_fx *fx, void *arg)
{
	struct iommu_hwpt_invalidate *c = arg;

	c->hwpt_id = fx->hwpt;
	c->data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
}

static void fill_viommu_alloc(struct len_fx *fx, void *arg)
{
	struct iommu_viommu_alloc *c = arg;

	c->type = IOMMU_VIOMMU_TYPE_SELFTEST;
	c->dev_id = fx->idev;
	c->hwpt_id = fx->hwpt;
}

static void fill_vdevice_alloc(struct len_fx *fx, void *arg)
{
	struct iommu_vdevice_alloc *c = arg;

	c->viommu_id = fx->hwpt;
	c->dev_id = fx->idev;
	c->virt_id = 0x99;
}

static void fill_hw_queue_alloc(struct len_fx *fx, void *arg)
{
	struct iommu_hw_queue_alloc *c = arg;

	c->viommu_id = fx->hwpt;
	c->type = IOMMU_HW_QUEUE_TYPE_SELFTEST;
	c->nesting_parent_iova = AP_START;
	c->length = 4 * KiB;
}

static void fill_test_cmd(struct len_fx *fx, void *arg)
{
	struct iommu_test_cmd *c = arg;

	c->op = IOMMU_TEST_OP_ADD_RESERVED;
	c->id = fx->ioas;
	c->add_reserved.start = AP_START + 20 * MiB;
	c->add_reserved.length = 4 * KiB;
}

#define LEN_CASE(ioctl_, struct_, last_, fill_)                                \
	{                                                                      \
		#ioctl_, ioctl_, sizeof(struct struct_),                       \
			offsetofend(struct struct_, last_), fill_              \
	}

/* Every command the library implements; min sizes as Linux's table. */
static const struct len_case len_cases[] = {
	LEN_CASE(IOMMU_DESTROY, iommu_destroy, id, fill_destroy),
	LEN_CASE(IOMMU_IOAS_ALLOC, iommu_ioas_alloc, out_ioas_id,
		 fill_ioas_alloc),
	LEN_CASE(IOMMU_IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, allowed_iovas,
		 fill_allow_iovas),
	LEN_CASE(IOMMU_IOAS_COPY, iommu_ioas_copy, src_iova, fill_copy),
	LEN_CASE(IOMMU_IOAS_IOVA_RANGES, iommu_ioas_iova_ranges,
		 out_iova_alignment, fill_iova_ranges),
	LEN_CASE(IOMMU_IOAS_MAP, iommu_ioas_map, iova, fill_map),
	LEN_CASE(IOMMU_IOAS_UNMAP, iommu_ioas_unmap, length, fill_unmap),
	LEN_CASE(IOMMU_OPTION, iommu_option, val64, fill_option),
	LEN_CASE(IOMMU_HWPT_ALLOC, iommu_hwpt_alloc, __reserved,
		 fill_hwpt_alloc),
	LEN_CASE(IOMMU_GET_HW_INFO, iommu_hw_info, __reserved, fill_hw_info),
	LEN_CASE(IOMMU_IOAS_MAP_FILE, iommu_ioas_map_file, iova, fill_map_file),
	LEN_CASE(IOMMU_IOAS_CHANGE_PROCESS, iommu_ioas_change_process,
		 __reserved, fill_change_process),
	LEN_CASE(IOMMU_TEST_CMD, iommu_test_cmd, last, fill_test_cmd),
	/* Known to Linux, though no driver here supports what they make. */
	LEN_CASE(IOMMU_HWPT_INVALIDATE, iommu_hwpt_invalidate, __reserved,
		 fill_hwpt_invalidate),
	LEN_CASE(IOMMU_VIOMMU_ALLOC, iommu_viommu_alloc, out_viommu_id,
		 fill_viommu_alloc),
	LEN_CASE(IOMMU_VDEVICE_ALLOC, iommu_vdevice_alloc, virt_id,
		 fill_vdevice_alloc),
	LEN_CASE(IOMMU_HW_QUEUE_ALLOC, iommu_hw_queue_alloc, length,
		 fill_hw_queue_alloc),
};

#define LEN_BUF 512
#define CANARY 0xa5

struct len_result {
	int rc; /* 0 or -errno */
	uint8_t out[LEN_BUF];
	uint32_t next_id; /* the id the next object gets: leaks show */
};

/*
 * Run @c with @size on a fresh fixture. Bytes [sizeof, size) hold @tail,
 * bytes past @size a canary that must survive (neither read as the tail
 * nor written by the response).
 */
static void len_run(const struct len_case *c, size_t size, uint8_t tail,
		    struct len_result *res)
{
	uint8_t arg[LEN_BUF];
	struct len_fx fx;
	size_t i;

	len_fx_setup(&fx);
	memset(arg, CANARY, sizeof(arg));
	memset(arg, 0, c->size);
	c->fill(&fx, arg);
	for (i = c->size; i < size; i++)
		arg[i] = tail;
	/* Fields past a short size are not read: poison them. */
	for (i = size; i < c->size; i++)
		arg[i] = CANARY;
	memcpy(arg, &(uint32_t){ (uint32_t)size }, sizeof(uint32_t));
	res->rc = ioctl_rc(fx.ctx, c->cmd, arg);
	for (i = size > c->size ? size : c->size; i < LEN_BUF; i++)
		if (arg[i] != CANARY)
			FAIL("%s size %zu: byte %zu past the struct written",
			     c->name, size, i);
	for (i = size; i < c->size; i++)
		if (arg[i] != CANARY)
			FAIL("%s size %zu: byte %zu past the size written",
			     c->name, size, i);
	memcpy(res->out, arg, sizeof(arg));
	test_ioas_alloc(fx.ctx, &res->next_id);
	len_fx_teardown(&fx);
}

TEST(size_rules_every_command)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(len_cases); i++) {
		const struct len_case *c = &len_cases[i];
		struct len_result full, ext, r;

		/* One byte short of the minimum. */
		len_run(c, c->min_size - 1, 0, &r);
		if (r.rc != -EINVAL)
			FAIL("%s size min-1 (%zu): got %s, want EINVAL",
			     c->name, c->min_size - 1, strerror(-r.rc));
		/* One unknown byte that is not zero. */
		len_run(c, c->size + 1, 0x01, &r);
		if (r.rc != -E2BIG)
			FAIL("%s size sizeof+1 non-zero: got %s, want E2BIG",
			     c->name, strerror(-r.rc));
		/* sizeof, and sizeof + 1 with a zero byte: the same. */
		len_run(c, c->size, 0, &full);
		len_run(c, c->size + 1, 0, &ext);
		if (full.rc != ext.rc)
			FAIL("%s: sizeof gives %d, sizeof+1 (zero) gives %d",
			     c->name, full.rc, ext.rc);
		if (memcmp(full.out + 4, ext.out + 4, c->size - 4))
			FAIL("%s: sizeof and sizeof+1 answer differently",
			     c->name);
		ASSERT_EQ(full.next_id, ext.next_id);
		/* A much longer zero tail (an old kernel's view) too. */
		len_run(c, LEN_BUF - 8, 0, &ext);
		if (full.rc != ext.rc ||
		    memcmp(full.out + 4, ext.out + 4, c->size - 4))
			FAIL("%s: a %d byte zero-extended struct differs",
			     c->name, LEN_BUF - 8);
		/* Exactly the minimum: the tail reads as zeros. */
		if (c->min_size < c->size) {
			len_run(c, c->min_size, 0, &r);
			if (r.rc != full.rc)
				FAIL("%s size min: got %d, sizeof gave %d",
				     c->name, r.rc, full.rc);
			if (memcmp(full.out + 4, r.out + 4, c->min_size - 4))
				FAIL("%s: size min answers differently",
				     c->name);
		}
	}
}

/* A call rejected for its size does nothing at all. */
TEST(size_rules_have_no_effect)
{
	uint32_t base = 0;
	size_t i;
	struct len_fx fx;

	/* The id the next object gets when nothing else was called. */
	len_fx_setup(&fx);
	test_ioas_alloc(fx.ctx, &base);
	len_fx_teardown(&fx);

	for (i = 0; i < ARRAY_LEN(len_cases); i++) {
		const struct len_case *c = &len_cases[i];
		struct len_result r;

		len_run(c, c->min_size - 1, 0, &r);
		ASSERT_EQ(r.next_id, base);
		len_run(c, c->size + 1, 0x80, &r);
		ASSERT_EQ(r.next_id, base);
		len_run(c, c->size + 200, 0x80, &r);
		ASSERT_EQ(r.rc, -E2BIG);
		ASSERT_EQ(r.next_id, base);
	}
}

/*
 * Nesting and the vIOMMU objects: no driver here has them, so these
 * commands answer as Linux does on an IOMMU without the feature, after
 * Linux's own argument checks.
 */
TEST(nesting_and_viommu_unsupported)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev, hwpt, idev, last,
		 entry[2] = { 0 };
	struct iommu_hwpt_invalidate inv = { .size = sizeof(inv) };
	struct iommu_viommu_alloc va = { .size = sizeof(va) };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd) };
	struct iommu_hw_queue_alloc hq = { .size = sizeof(hq) };

	test_mock_domain(ctx, ioas, &stdev, &hwpt, &idev);

	/* HWPT_INVALIDATE wants a nested HWPT or a vIOMMU. */
	inv.hwpt_id = hwpt;
	inv.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	inv.entry_len = sizeof(entry);
	inv.data_uptr = (uintptr_t)entry;
	inv.entry_num = 1;
	inv.__reserved = 1;
	ASSERT_ERR(EOPNOTSUPP, ioctl_rc(ctx, IOMMU_HWPT_INVALIDATE, &inv));
	ASSERT_EQ(inv.entry_num, 0);
	inv.__reserved = 0;
	inv.entry_num = 1;
	inv.data_uptr = 0;
	ASSERT_ERR(EINVAL, ioctl_rc(ctx, IOMMU_HWPT_INVALIDATE, &inv));
	inv.data_uptr = (uintptr_t)entry;
	inv.entry_len = 0;
	inv.entry_num = 1;
	ASSERT_ERR(EINVAL, ioctl_rc(ctx, IOMMU_HWPT_INVALIDATE, &inv));
	inv.entry_len = PG + 1;
	inv.entry_num = 1;
	ASSERT_ERR(EINVAL, ioctl_rc(ctx, IOMMU_HWPT_INVALIDATE, &inv));
	inv.entry_len = sizeof(entry);
	inv.entry_num = 1;
	inv.hwpt_id = 999;
	ASSERT_ERR(ENOENT, ioctl_rc(ctx, IOMMU_HWPT_INVALIDATE, &inv));
	ASSERT_EQ(inv.entry_num, 0);
	/* A paging HWPT (or any other object): EINVAL, nothing handled. */
	inv.hwpt_id = hwpt;
	inv.entry_num = 1;
	ASSERT_ERR(EINVAL, ioctl_rc(ctx, IOMMU_HWPT_INVALIDATE, &inv));
	ASSERT_EQ(inv.entry_num, 0);
	inv.hwpt_id = ioas;
	ASSERT_ERR(EINVAL, ioctl_rc(ctx, IOMMU_HWPT_INVALIDATE, &inv));
	/* Even the zero-entry probe of a data type. */
	inv.hwpt_id = hwpt;
	inv.entry_num = 0;
	ASSERT_ERR(EINVAL, ioctl_rc(ctx, IOMMU_HWPT_INVALIDATE, &inv));

	/* VIOMMU_ALLOC: flags and the default type first, then the device. */
	va.dev_id = idev;
	va.hwpt_id = hwpt;
	va.type = IOMMU_VIOMMU_TYPE_DEFAULT;
	ASSERT_ERR(EOPNOTSUPP, ioctl_rc(ctx, IOMMU_VIOMMU_ALLOC, &va));
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.flags = 1;
	ASSERT_ERR(EOPNOTSUPP, ioctl_rc(ctx, IOMMU_VIOMMU_ALLOC, &va));
	va.flags = 0;
	va.dev_id = hwpt;
	ASSERT_ERR(ENOENT, ioctl_rc(ctx, IOMMU_VIOMMU_ALLOC, &va));
	va.dev_id = idev;
	ASSERT_ERR(EOPNOTSUPP, ioctl_rc(ctx, IOMMU_VIOMMU_ALLOC, &va));
	ASSERT_EQ(va.out_viommu_id, 0);

	/* VDEVICE_ALLOC and HW_QUEUE_ALLOC: no vIOMMU id can be valid. */
	vd.viommu_id = hwpt;
	vd.dev_id = idev;
	vd.virt_id = 0x99;
	ASSERT_ERR(ENOENT, ioctl_rc(ctx, IOMMU_VDEVICE_ALLOC, &vd));
	hq.viommu_id = hwpt;
	hq.type = IOMMU_HW_QUEUE_TYPE_DEFAULT;
	hq.length = PG;
	ASSERT_ERR(EOPNOTSUPP, ioctl_rc(ctx, IOMMU_HW_QUEUE_ALLOC, &hq));
	hq.type = IOMMU_HW_QUEUE_TYPE_SELFTEST;
	hq.flags = 1;
	ASSERT_ERR(EOPNOTSUPP, ioctl_rc(ctx, IOMMU_HW_QUEUE_ALLOC, &hq));
	hq.flags = 0;
	hq.length = 0;
	ASSERT_ERR(EINVAL, ioctl_rc(ctx, IOMMU_HW_QUEUE_ALLOC, &hq));
	hq.length = PG;
	hq.nesting_parent_iova = ~0ULL;
	ASSERT_ERR(EOVERFLOW, ioctl_rc(ctx, IOMMU_HW_QUEUE_ALLOC, &hq));
	hq.nesting_parent_iova = AP_START;
	ASSERT_ERR(ENOENT, ioctl_rc(ctx, IOMMU_HW_QUEUE_ALLOC, &hq));

	/* Nothing was created on the way: the next id follows the last. */
	last = stdev > hwpt ? stdev : hwpt;
	last = last > idev ? last : idev;
	ASSERT_EQ(ioas_new(ctx), last + 1);
	pm_iommufd_close(ctx);
}

/* ------------------------------------------------------------------ */
/* Bad argument pointers.                                              */

static uint8_t *guarded_page(void)
{
	/* A read-write page followed by an inaccessible one. */
	uint8_t *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_SYS(mprotect(p + PG, PG, PROT_NONE));
	return p;
}

TEST(efault_arg_pointer)
{
	struct pm_iommufd *ctx = ctx_open();
	uint8_t *g = guarded_page();
	size_t i;

	ioas_new(ctx);
	for (i = 0; i < ARRAY_LEN(len_cases); i++) {
		const struct len_case *c = &len_cases[i];
		uint8_t *tail_arg = g + PG - c->size;

		errno = 0;
		if (pm_iommufd_ioctl(ctx, c->cmd, NULL) != -1 ||
		    errno != EFAULT)
			FAIL("%s with NULL: %s", c->name, strerror(errno));
		if (pm_iommufd_ioctl(ctx, c->cmd, g + PG) != -1 ||
		    errno != EFAULT)
			FAIL("%s on an inaccessible page: %s", c->name,
			     strerror(errno));
		/* The struct fits, its declared tail runs into the guard. */
		memset(tail_arg, 0, c->size);
		*(uint32_t *)tail_arg = (uint32_t)c->size + 64;
		if (pm_iommufd_ioctl(ctx, c->cmd, tail_arg) != -1 ||
		    errno != EFAULT)
			FAIL("%s with a tail in the guard page: %s", c->name,
			     strerror(errno));
	}
	/* Nothing was created by any of them. */
	ASSERT_EQ(ioas_new(ctx), 2);
	pm_iommufd_close(ctx);
}

/* The response cannot be written: the object being made is aborted. */
TEST(efault_on_response)
{
	struct pm_iommufd *ctx = ctx_open();
	uint8_t *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_alloc *cmd = (void *)p;
	uint32_t ioas = ioas_new(ctx);

	ASSERT_TRUE(p != MAP_FAILED);
	cmd->size = sizeof(*cmd);
	cmd->flags = 0;
	ASSERT_SYS(mprotect(p, PG, PROT_READ));
	ASSERT_ERRNO(EFAULT, pm_iommufd_ioctl(ctx, IOMMU_IOAS_ALLOC, cmd));
	/* No object 2 appeared; the id is free for the next object. */
	test_err_destroy(ENOENT, ctx, 2);
	ASSERT_EQ(ioas_new(ctx), 2);

	/* The same for a mock domain (three objects behind one response). */
	ASSERT_SYS(mprotect(p, PG, PROT_READ | PROT_WRITE));
	memset(p, 0, PG);
	((struct iommu_test_cmd *)p)->size = sizeof(struct iommu_test_cmd);
	((struct iommu_test_cmd *)p)->op = IOMMU_TEST_OP_MOCK_DOMAIN;
	((struct iommu_test_cmd *)p)->id = ioas;
	ASSERT_SYS(mprotect(p, PG, PROT_READ));
	ASSERT_ERRNO(EFAULT, pm_iommufd_ioctl(ctx, IOMMU_TEST_CMD, p));
	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	test_destroy(ctx, ioas); /* no HWPT holds it */
	ASSERT_EQ(ioas_new(ctx), 1);
	test_mock_domain(ctx, 1, NULL, NULL, NULL);

	/* IOVA_RANGES whose ranges array is read-only. */
	{
		struct iommu_ioas_iova_ranges rc = {
			.size = sizeof(rc),
			.ioas_id = 1,
			.num_iovas = 1,
			.allowed_iovas = (uintptr_t)p,
		};

		ASSERT_SYS(mprotect(p, PG, PROT_READ));
		ASSERT_ERRNO(EFAULT, pm_iommufd_ioctl(
					     ctx, IOMMU_IOAS_IOVA_RANGES, &rc));
	}
	pm_iommufd_close(ctx);
}

TEST(efault_inner_pointers)
{
	struct pm_iommufd *ctx = ctx_open();
	uint8_t *g = guarded_page();
	uint32_t ioas = ioas_new(ctx);
	struct iommu_ioas_iova_ranges rcmd = {
		.size = sizeof(rcmd),
		.ioas_id = ioas,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)(g + PG),
	};
	struct iommu_ioas_allow_iovas acmd = {
		.size = sizeof(acmd),
		.ioas_id = ioas,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)(g + PG),
	};
	struct iommu_iova_range *half = (void *)(g + PG - sizeof(*half));
	struct iommu_iova_range r[1];
	uint32_t n = 1;

	ASSERT_ERRNO(EFAULT, pm_iommufd_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &rcmd));
	rcmd.allowed_iovas = 0;
	ASSERT_ERRNO(EFAULT, pm_iommufd_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &rcmd));
	/* With no room, the array is not touched: EMSGSIZE and the count. */
	rcmd.num_iovas = 0;
	rcmd.allowed_iovas = (uintptr_t)(g + PG);
	ASSERT_ERRNO(EMSGSIZE,
		     pm_iommufd_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &rcmd));
	ASSERT_EQ(rcmd.num_iovas, 1);

	ASSERT_ERRNO(EFAULT, pm_iommufd_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &acmd));
	/* The first element readable, the second not. */
	half->start = 1 * MiB;
	half->last = 2 * MiB - 1;
	acmd.allowed_iovas = (uintptr_t)half;
	acmd.num_iovas = 2;
	ASSERT_ERRNO(EFAULT, pm_iommufd_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &acmd));
	/* Nothing was allowed: automatic IOVAs are not in [1M, 2M). */
	{
		uint8_t *buf = buf_alloc(PG, PG);
		uint64_t iova = 0;

		test_ioas_map(ctx, ioas, buf, PG, &iova, RW);
		ASSERT_U64_EQ(iova, PG);
	}
	/* num_iovas 0: the pointer is not read. */
	acmd.num_iovas = 0;
	acmd.allowed_iovas = (uintptr_t)(g + PG);
	ASSERT_EQ(pm_iommufd_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &acmd), 0);
	test_iova_ranges(ctx, ioas, r, &n, NULL);
	pm_iommufd_close(ctx);
}

/* MAP checks user_va lazily: only a pin (domain or access) faults it. */
TEST(efault_map_user_va_is_lazy)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), ioas2 = ioas_new(ctx), hwpt;
	uint8_t *g = guarded_page();
	uint64_t iova = AP_START;
	int afd;

	/* Without a domain, an inaccessible VA maps. */
	test_ioas_map(ctx, ioas, g + PG, PG, &iova, FIXED_RW);
	test_ioas_map(ctx, ioas, NULL, PG, &(uint64_t){ AP_START + MiB },
		      FIXED_RW);
	/* An access that pins it faults. */
	afd = access_new(ctx, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	test_err_access_pages(EFAULT, ctx, afd, AP_START, PG, NULL, 0, NULL);
	test_err_access_rw(EFAULT, ctx, afd, AP_START, g, 16, 0);
	close(afd);
	/* A domain attach pins everything: it faults and is undone. */
	test_err_mock_domain(EFAULT, ctx, ioas, NULL, NULL, NULL);
	ASSERT_ONE_RANGE(ctx, ioas, 0, UINT64_MAX, 1);
	test_unmap_all(ctx, ioas, 2 * PG);

	/* With a domain attached, MAP pins at once: EFAULT, nothing mapped. */
	test_mock_domain(ctx, ioas2, NULL, &hwpt, NULL);
	test_err_ioas_map(EFAULT, ctx, ioas2, g + PG, PG, &iova, FIXED_RW);
	test_err_ioas_map(EFAULT, ctx, ioas2, g + PG, PG, &iova, RW);
	/* A read-only page asked writeable faults too (no write access). */
	ASSERT_SYS(mprotect(g, PG, PROT_READ));
	test_err_ioas_map(EFAULT, ctx, ioas2, g, PG, &iova, FIXED_RW);
	iova = AP_START;
	test_ioas_map(ctx, ioas2, g, PG, &iova, IOMMU_IOAS_MAP_FIXED_IOVA |
						IOMMU_IOAS_MAP_READABLE);
	test_check_map(ctx, hwpt, AP_START, PG, g);
	test_unmap_all(ctx, ioas2, PG);
	pm_iommufd_close(ctx);
}

/* ------------------------------------------------------------------ */
/* Object ids and IOMMU_DESTROY.                                       */

TEST(ids_start_at_one)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t a, b, c;

	test_err_destroy(ENOENT, ctx, 0);
	test_err_destroy(ENOENT, ctx, 1);
	test_err_destroy(ENOENT, ctx, UINT32_MAX);
	a = ioas_new(ctx);
	b = ioas_new(ctx);
	ASSERT_EQ(a, 1);
	ASSERT_EQ(b, 2);
	test_err_destroy(ENOENT, ctx, 0);
	test_err_destroy(ENOENT, ctx, 3);
	/* The lowest free id is reused, as xa_alloc() does. */
	test_destroy(ctx, a);
	c = ioas_new(ctx);
	ASSERT_EQ(c, 1);
	/* Id 0 names nothing for any command. */
	test_err_ioas_map(ENOENT, ctx, 0, &a, PG, &(uint64_t){ 0 }, RW);
	test_err_option(ENOENT, ctx, IOMMU_OPTION_HUGE_PAGES,
			IOMMU_OPTION_OP_GET, 0, &(uint64_t){ 0 });
	test_err_mock_domain(ENOENT, ctx, 0, NULL, NULL, NULL);
	pm_iommufd_close(ctx);
}

TEST(ioas_alloc_many)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t i, id;

	/* Past the library's first table size, ids keep counting. */
	for (i = 1; i <= 100; i++) {
		test_ioas_alloc(ctx, &id);
		ASSERT_EQ(id, i);
	}
	for (i = 1; i <= 100; i += 2)
		test_destroy(ctx, i);
	for (i = 1; i <= 100; i += 2) {
		test_ioas_alloc(ctx, &id);
		ASSERT_EQ(id, i);
	}
	pm_iommufd_close(ctx);
}

TEST(destroy_busy)
{
	struct pm_iommufd *ctx = ctx_open();
	uint32_t ioas = ioas_new(ctx), stdev, hwpt, idev, hwpt2;
	int afd;

	test_mock_domain(ctx, ioas, &stdev, &hwpt, &idev);
	ASSERT_NE(stdev, ioas);
	ASSERT_NE(hwpt, ioas);
	ASSERT_NE(idev, ioas);
	ASSERT_NE(hwpt, idev);
	/* The HWPT holds the IOAS, the device holds the HWPT. */
	test_err_destroy(EBUSY, ctx, ioas);
	test_err_destroy(EBUSY, ctx, hwpt);
	/* The driver that bound the device holds it. */
	test_err_destroy(EBUSY, ctx, idev);
	/* A user HWPT on the IOAS holds it too. */
	test_hwpt_alloc(ctx, idev, ioas, 0, &hwpt2);
	test_err_destroy(EBUSY, ctx, ioas);
	/* Unused, a user HWPT goes by IOMMU_DESTROY. */
	test_destroy(ctx, hwpt2);
	test_err_destroy(ENOENT, ctx, hwpt2);
	/* The stdev takes its device and automatic HWPT with it. */
	test_destroy(ctx, stdev);
	test_err_destroy(ENOENT, ctx, hwpt);
	test_err_destroy(ENOENT, ctx, idev);
	/* An access holds its IOAS until its fd closes. */
	afd = access_new(ctx, ioas, 0);
	test_err_destroy(EBUSY, ctx, ioas);
	ASSERT_SYS(close(afd));
	test_destroy(ctx, ioas);
	test_err_destroy(ENOENT, ctx, ioas);
	pm_iommufd_close(ctx);
}

TEST_MAIN()
