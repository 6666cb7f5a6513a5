/* SPDX-License-Identifier: MIT */
/*
 * What an iommufd context shows from outside, written into a fail_nth
 * digest: the part the uAPI sweeps (iommufd.c, vfio.c, device.c) share.
 * Everything here is asked through the uAPI itself, so a digest compares
 * what a program could see, not the library's internals:
 *
 *   - which ids 1..16 name an IOAS, a HWPT or a device, and the id the
 *     next object gets (an allocation that failed must not use one up);
 *   - per IOAS: IOVA_RANGES and alignment, HUGE_PAGES, where an automatic
 *     one-page map would land (it shows the allowed and the used ranges),
 *     and what an access reads at each probe page of it;
 *   - per HWPT: whether MD_CHECK_MAP finds each probe page mapped to the
 *     memory it should be;
 *   - the pins on a test buffer, page by page (MD_CHECK_REFS).
 *
 * The probing leaves nothing behind: the automatic map is unmapped, the
 * access is closed and reaped by the next ioctl before the call under test.
 * Each function appends to out[n..len) and returns the new n.
 */
#ifndef PRIVMEM_TESTS_FAIL_NTH_UAPI_STATE_H
#define PRIVMEM_TESTS_FAIL_NTH_UAPI_STATE_H

#include "fail_nth.h"
#include "../iommufd/utils.h"

/* A call's answer as one letter. */
static inline char fn_rc_char(int rc)
{
	switch (rc) {
	case 0:
		return 'y';
	case -ENOENT:
		return 'n';
	case -ENODEV:
		return 'd';
	case -EINVAL:
		return 'i';
	case -EFAULT:
		return 'f';
	case -EPERM:
		return 'p';
	default:
		return '?';
	}
}

/* A page whose translation or content the digest follows. */
struct fn_probe {
	int ioas; /* index of its IOAS in the sweep's table */
	uint64_t iova;
	const uint8_t *uptr; /* the memory it maps (or would); NULL: none */
};

/*
 * Ids: I(OAS), H(WPT: MD_CHECK_MAP knows the id, as a mock domain or as
 * an emulated one it refuses), D(evice), . (other or none).
 */
static inline size_t fn_digest_ids(struct pm_iommufd *ctx, char *out,
				   size_t len, size_t n)
{
	uint32_t id, next = 0;

	FN_OUT("ids:");
	for (id = 1; id <= 16; id++) {
		uint64_t v = 0;
		struct iommu_hw_info info = { .size = sizeof(info),
					      .dev_id = id };

		if (!_option(ctx, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
			     id, &v))
			FN_OUT("I");
		else if (_check_map(ctx, id, 0, 0, NULL) != -ENOENT)
			FN_OUT("H");
		else if (!ioctl_rc(ctx, IOMMU_GET_HW_INFO, &info))
			FN_OUT("D");
		else
			FN_OUT(".");
	}
	if (_ioas_alloc(ctx, &next) || _destroy(ctx, next))
		FAIL("digest: next id");
	FN_OUT(" next=%u", next);
	return n;
}

/*
 * IOAS @ioas, number @idx of the sweep: its ranges, options, where a map
 * of the page at @auto_src would land, and what an access reads at each
 * of its probes.
 */
static inline size_t fn_digest_ioas(struct pm_iommufd *ctx, int idx,
				    uint32_t ioas, const uint8_t *auto_src,
				    const struct fn_probe *probe, int nprobe,
				    char *out, size_t len, size_t n)
{
	struct iommu_iova_range r[8];
	uint32_t nr = 8;
	uint64_t align = 0, hp = 0, iova = 0, un;
	int afd, k, rc;

	rc = _iova_ranges(ctx, ioas, r, &nr, &align);
	FN_OUT(" ioas%d:%c%u/%llu", idx, fn_rc_char(rc), nr,
	       (unsigned long long)align);
	for (k = 0; k < (int)nr && k < 8 && !rc; k++)
		FN_OUT("[%llx,%llx]", (unsigned long long)r[k].start,
		       (unsigned long long)r[k].last);
	_option(ctx, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, &hp);
	FN_OUT(" hp=%llu", (unsigned long long)hp);
	rc = _ioas_map(ctx, ioas, auto_src, PG, &iova, RW);
	FN_OUT(" auto=%c%llx", fn_rc_char(rc), (unsigned long long)iova);
	if (!rc && _ioas_unmap(ctx, ioas, iova, PG, &un))
		FAIL("digest: unmap the probe map");
	/*
	 * What a device reads at each probe, through an access made for it:
	 * closed here and reaped by the next ioctl, so that the call under
	 * test does not meet it.
	 */
	if (_create_access(ctx, ioas, 0, &afd))
		FAIL("digest: access");
	FN_OUT(" dma:");
	for (k = 0; k < nprobe; k++) {
		uint8_t b = 0;

		if (probe[k].ioas != idx)
			continue;
		rc = _access_rw(ctx, afd, probe[k].iova, &b, 1, 0);
		FN_OUT("%c%02x", fn_rc_char(rc), b);
	}
	close(afd);
	nr = 8;
	if (_iova_ranges(ctx, ioas, r, &nr, NULL))
		FAIL("digest: reap");
	return n;
}

/* HWPT @hwpt (number @idx) of IOAS number @ioas_idx: its probes mapped? */
static inline size_t fn_digest_hwpt(struct pm_iommufd *ctx, int idx,
				    uint32_t hwpt, int ioas_idx,
				    const struct fn_probe *probe, int nprobe,
				    char *out, size_t len, size_t n)
{
	int k;

	FN_OUT(" hwpt%d:", idx);
	for (k = 0; k < nprobe; k++)
		if (probe[k].ioas == ioas_idx)
			FN_OUT("%c", fn_rc_char(_check_map(ctx, hwpt,
							   probe[k].iova,
							   MOCK_PG,
							   probe[k].uptr)));
	return n;
}

/* The pins on each of @npages pages at @buf: 0 to 3, or 4 for more. */
static inline size_t fn_digest_refs(struct pm_iommufd *ctx,
				    const uint8_t *buf, unsigned int npages,
				    char *out, size_t len, size_t n)
{
	unsigned int k;

	FN_OUT(" refs:");
	for (k = 0; k < npages; k++) {
		uint32_t refs;

		for (refs = 0; refs < 4; refs++)
			if (!_check_refs(ctx, buf + k * PG, PG, refs))
				break;
		FN_OUT("%u", refs);
	}
	return n;
}

#endif
