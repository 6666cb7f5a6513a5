// SPDX-License-Identifier: MIT
/*
 * One context never reaches another's objects by id.
 *
 * Two contexts in one process, A and B, each with its own objects: IOASes
 * (each with a reserved range at an address unique to it, its signature,
 * and a page of its own memory mapped at SIG_MAP), mock domains, emulated
 * devices and accesses. Ids are per context and start at 1, so the same
 * number names different objects in A and B, or an object in one and
 * nothing in the other. A seeded random sequence creates and destroys
 * objects on both sides and, in between, uses every id either side has
 * (and a few it never had) in the other context:
 *
 *   - IOVA_RANGES, MAP, UNMAP, COPY, ALLOW_IOVAS, DESTROY, HWPT_ALLOC,
 *     VFIO_IOAS, MOCK_DOMAIN on it: ENOENT unless the context has an
 *     object of that number, and then they act on that context's object
 *     (its signature, its memory), never the other's;
 *   - an access fd of one context used in the other: EBADFD;
 *   - pm_device_attach() of a device to the other context's IOAS id:
 *     ENOENT unless its own context has an IOAS of that number.
 * After every step both contexts still hold exactly what the model says:
 * every IOAS its signature and its page, every access its IOAS.
 */
#include "iommu/dev_utils.h"

#define NR_OBJ 40
#define STEPS 200
#define SIG_BASE (AP_START + 64 * MiB)
#define SIG_MAP AP_START

/*
 * K_MAYBE: an automatic HWPT or a mock device object after its mock
 * device went; whether it lives depends on sharing the test does not
 * track, so nothing is asserted about it.
 */
enum kind { K_NONE, K_IOAS, K_STDEV, K_HWPT, K_IDEV, K_DEV, K_MAYBE };

struct obj {
	enum kind kind;
	uint32_t sig; /* IOAS: its signature number */
};

struct side {
	struct pm_iommufd *ctx;
	struct obj obj[NR_OBJ + 1]; /* by id */
	struct pm_device *dev[NR_OBJ + 1]; /* K_DEV: the device, by its id */
	int afd; /* an access on the IOAS with id afd_ioas */
	uint32_t afd_ioas;
	uint8_t *page; /* mapped at SIG_MAP in every IOAS */
	uint32_t seed;
};

static struct side side[2];
static uint64_t rng;
static uint32_t next_sig = 1;
static unsigned long cross_enoent, cross_own;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t sig_iova(uint32_t sig)
{
	return SIG_BASE + (uint64_t)sig * 2 * PG;
}

/* A new object got @id: it must not be one the model knows alive. */
static void note(struct side *s, uint32_t id, enum kind k, uint32_t sig)
{
	enum kind old;

	ASSERT_GT(id, 0);
	ASSERT_LE(id, NR_OBJ);
	old = s->obj[id].kind;
	/* An automatic HWPT may be shared by several mock devices. */
	if (!(old == K_NONE || old == K_MAYBE || (old == K_HWPT && k == K_HWPT)))
		FAIL("id %u handed out again (kind %d, now %d)", id, old, k);
	s->obj[id].kind = k;
	s->obj[id].sig = sig;
}

/* Room for a few more objects (ids are the lowest free)? */
static bool room(struct side *s)
{
	uint32_t id;
	int used = 0;

	for (id = 1; id <= NR_OBJ; id++)
		used += s->obj[id].kind != K_NONE;
	return used < NR_OBJ - 10;
}

static void new_ioas(struct side *s)
{
	uint32_t id = 0;

	if (_ioas_alloc(s->ctx, &id))
		return;
	note(s, id, K_IOAS, next_sig);
	test_add_reserved(s->ctx, id, sig_iova(next_sig), PG);
	test_map_at(s->ctx, id, s->page, PG, SIG_MAP);
	next_sig++;
}

static void new_mock(struct side *s, uint32_t ioas)
{
	uint32_t stdev, hwpt, idev;

	test_mock_domain(s->ctx, ioas, &stdev, &hwpt, &idev);
	note(s, stdev, K_STDEV, 0);
	note(s, hwpt, K_HWPT, 0);
	note(s, idev, K_IDEV, 0);
}

static void new_dev(struct side *s)
{
	uint32_t id;
	struct pm_device *d = dev_new(s->ctx, "iso", &id);

	note(s, id, K_DEV, 0);
	s->dev[id] = d;
}

/* The ids of @kind in @s; returns how many. */
static int ids_of(struct side *s, enum kind kind, uint32_t *out)
{
	uint32_t id;
	int n = 0;

	for (id = 1; id <= NR_OBJ; id++)
		if (s->obj[id].kind == kind)
			out[n++] = id;
	return n;
}

/* Does IOAS @id of @s show exactly its signature and its own page? */
static void check_ioas(struct side *s, uint32_t id)
{
	struct iommu_iova_range r[8];
	uint64_t want = sig_iova(s->obj[id].sig);
	uint8_t buf[64];
	uint32_t n = ARRAY_LEN(r);
	int afd;

	test_iova_ranges(s->ctx, id, r, &n, NULL);
	ASSERT_EQ(n, 2);
	ASSERT_U64_EQ(r[0].last, want - 1);
	ASSERT_U64_EQ(r[1].start, want + PG);
	afd = access_new(s->ctx, id, 0);
	test_access_rw(s->ctx, afd, SIG_MAP, buf, sizeof(buf), 0);
	ASSERT_PAT(buf, sizeof(buf), s->seed);
	close(afd);
}

static void check_side(struct side *s)
{
	uint32_t id;

	for (id = 1; id <= NR_OBJ; id++)
		if (s->obj[id].kind == K_IOAS)
			check_ioas(s, id);
}

/* Use id @id, which @s may or may not have, in @s. */
static void cross_use(struct side *s, uint32_t id)
{
	enum kind k = id <= NR_OBJ ? s->obj[id].kind : K_NONE;
	struct iommu_iova_range r[8];
	uint32_t n = ARRAY_LEN(r), out, ioas[NR_OBJ];
	uint64_t iova;
	int rc;

	if (k == K_MAYBE)
		return;
	n = (uint32_t)(rnd() % 7);
	switch (n) {
	case 0:
		n = ARRAY_LEN(r);
		rc = _iova_ranges(s->ctx, id, r, &n, NULL);
		if (k == K_IOAS) {
			ASSERT_OK(rc);
			ASSERT_U64_EQ(r[0].last, sig_iova(s->obj[id].sig) - 1);
		} else {
			ASSERT_EQ(rc, -ENOENT);
		}
		break;
	case 1:
		/* Map our page at a fresh IOVA, then unmap it. */
		iova = SIG_MAP + 16 * PG;
		rc = _map_at(s->ctx, id, s->page, PG, iova);
		ASSERT_EQ(rc, k == K_IOAS ? 0 : -ENOENT);
		if (!rc)
			test_unmap_exact(s->ctx, id, iova, PG);
		break;
	case 2:
		/* Copy from that IOAS: our own mapping, if anything. */
		if (k == K_IOAS) {
			iova = SIG_MAP + 32 * PG;
			test_ioas_copy(s->ctx, id, id, SIG_MAP, PG, &iova,
				       FIXED_RW);
			test_unmap_exact(s->ctx, id, iova, PG);
		} else {
			iova = 0;
			ASSERT_EQ(_ioas_copy(s->ctx, id, id, SIG_MAP, PG, &iova,
					     RW),
				  -ENOENT);
		}
		break;
	case 3:
		/* Destroy: only ids this side lacks (ours stay in the model). */
		if (k == K_NONE)
			ASSERT_EQ(_destroy(s->ctx, id), -ENOENT);
		break;
	case 4:
		/* A page table for that device number, on an IOAS of ours. */
		if (!ids_of(s, K_IOAS, ioas))
			break;
		rc = _hwpt_alloc(s->ctx, id, ioas[0], 0, &out);
		if (k == K_IDEV || k == K_DEV)
			ASSERT_NE(rc, -ENOENT);
		else
			ASSERT_EQ(rc, -ENOENT);
		if (!rc)
			test_destroy(s->ctx, out);
		break;
	case 5:
		/* A mock device on that number: ENOENT where we have none. */
		/*
		 * A mock device on a number we lack: ENOENT, or EINVAL when
		 * the number is the one its own device object gets during
		 * the call (as in Linux, that object is visible at once).
		 */
		if (k == K_NONE) {
			rc = _mock_domain(s->ctx, id, NULL, NULL, NULL);
			if (rc != -ENOENT && rc != -EINVAL)
				FAIL("mock domain on id %u, which this context "
				     "does not have: %d", id, rc);
		}
		break;
	default: {
		/* A device of ours onto that number. */
		uint32_t devs[NR_OBJ], pt = id;
		int nd = ids_of(s, K_DEV, devs);
		struct pm_device *d;

		if (!nd)
			break;
		d = s->dev[devs[rnd() % nd]];
		rc = pm_device_attach(d, &pt);
		if (k == K_IOAS)
			ASSERT_OK(rc);
		else if (k == K_NONE)
			ASSERT_EQ(rc, -ENOENT);
		if (!rc)
			pm_device_detach(d);
		break;
	}
	}
	if (k == K_NONE)
		cross_enoent++;
	else
		cross_own++;
}

static void destroy_one(struct side *s)
{
	uint32_t ids[NR_OBJ], id;
	int n = ids_of(s, (rnd() & 1) ? K_IOAS : K_STDEV, ids), i;

	if (!n)
		return;
	id = ids[rnd() % n];
	if (s->obj[id].kind == K_STDEV) {
		test_destroy(s->ctx, id);
		s->obj[id].kind = K_NONE;
		/* Its device object goes; its automatic HWPT may. */
		for (i = 1; i <= NR_OBJ; i++)
			if (s->obj[i].kind == K_HWPT ||
			    s->obj[i].kind == K_IDEV)
				s->obj[i].kind = K_MAYBE;
		return;
	}
	if (id == s->afd_ioas)
		return;
	if (_destroy(s->ctx, id) == -EBUSY)
		return; /* a domain still on it */
	s->obj[id].kind = K_NONE;
}

static void run(uint64_t seed)
{
	int step, i;

	memset(side, 0, sizeof(side));
	cross_enoent = cross_own = 0;
	rng = seed * 0x9e3779b97f4a7c15ULL + 5;
	for (i = 0; i < 2; i++) {
		struct side *s = &side[i];

		s->ctx = ctx_open();
		s->seed = 50 + i;
		s->page = buf_alloc(PG, PG);
		pat_fill(s->page, PG, s->seed);
		new_ioas(s);
		s->afd_ioas = 1;
		s->afd = access_new(s->ctx, 1, 0);
		/* The access is an object too, with the lowest free id. */
		note(s, 2, K_MAYBE, 0);
	}
	/* A has many more objects than B: high ids exist in A only. */
	for (i = 0; i < 3; i++) {
		new_ioas(&side[0]);
		new_dev(&side[0]);
	}
	{
		uint32_t ids[NR_OBJ];

		ASSERT_EQ(ids_of(&side[0], K_IOAS, ids), 4);
		new_mock(&side[0], ids[1]);
	}
	new_dev(&side[1]);

	for (step = 0; step < STEPS; step++) {
		struct side *s = &side[rnd() & 1], *o = s == side ? &side[1] :
								     side;
		uint32_t id;
		uint8_t buf[16];

		switch (rnd() % 8) {
		case 0:
			if (room(s))
				new_ioas(s);
			else
				destroy_one(s);
			break;
		case 1: {
			uint32_t ids[NR_OBJ];
			int n = ids_of(s, K_IOAS, ids);

			if (n && room(s))
				new_mock(s, ids[rnd() % n]);
			break;
		}
		case 2:
			destroy_one(s);
			break;
		case 3:
			/* The other side's access fd is no access here. */
			ASSERT_EQ(_access_rw(s->ctx, o->afd, SIG_MAP, buf,
					     sizeof(buf), 0),
				  -EBADFD);
			break;
		default:
			/* Every id the other side has, and a few nobody has. */
			for (id = 1; id <= NR_OBJ + 2; id++)
				if (id > NR_OBJ || o->obj[id].kind != K_NONE)
					cross_use(s, id);
			break;
		}
		check_side(&side[0]);
		check_side(&side[1]);
	}
	printf("# seed %llu: %lu uses of ids this context lacks (ENOENT), "
	       "%lu of ids both have (own object)\n",
	       (unsigned long long)seed, cross_enoent, cross_own);
	ASSERT_GT(cross_enoent, 0);
	ASSERT_GT(cross_own, 0);
	for (i = 0; i < 2; i++) {
		uint32_t id;

		close(side[i].afd);
		for (id = 1; id <= NR_OBJ; id++)
			if (side[i].obj[id].kind == K_DEV)
				pm_device_destroy(side[i].dev[id]);
		pm_iommufd_close(side[i].ctx);
	}
}

TEST(ids_do_not_cross_contexts)
{
	int seed;

	alarm(50);
	for (seed = 1; seed <= 4; seed++)
		run(seed);
}

TEST_MAIN()
