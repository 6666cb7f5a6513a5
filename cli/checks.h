/* SPDX-License-Identifier: MIT */
/*
 * The checks of `privmem run`.
 *
 * A check asserts one named property of the system end to end and ends as
 * pass, fail or skip-with-reason. Whether a check is mandatory is decided
 * in one place, check_is_mandatory(), from the check's policy and what the
 * host offers:
 *   MANDATORY_ALWAYS  the run is not ok unless it passes, on any host;
 *   MANDATORY_IF_HOST mandatory when the host has everything in .needs,
 *                     otherwise skipped with the missing part as the reason;
 *   MANDATORY_VM      the VM checks: mandatory on every host; where the
 *                     host lacks what .needs names (no usable /dev/kvm)
 *                     they are skipped with the reason, and the run is
 *                     then not ok: a run that booted no guest proves
 *                     nothing about one;
 *   OPTIONAL          reported, never decides the exit status.
 * `privmem run` exits 0 only if every mandatory check passed.
 *
 * PRIVMEM_NO_KVM=1 in the environment makes `privmem run` treat the host
 * as having no /dev/kvm (its host probe's KVM fields are cleared; the
 * library is not told): how tests see the verdict of a host without KVM.
 */
#ifndef PRIVMEM_CLI_CHECKS_H
#define PRIVMEM_CLI_CHECKS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include <privmem/host.h>

enum check_status { CHECK_PASS, CHECK_FAIL, CHECK_SKIP };

enum check_policy {
	MANDATORY_ALWAYS,
	MANDATORY_IF_HOST,
	MANDATORY_VM,
	OPTIONAL,
};

/* Host features a check may need (bit mask). */
enum check_need {
	NEED_KVM = 1 << 0,	    /* /dev/kvm usable */
	NEED_GUEST_MEMFD = 1 << 1,  /* KVM_CAP_GUEST_MEMFD */
	NEED_MEMFD_SECRET = 1 << 2, /* memfd_secret(2) */
	NEED_HUGETLB_2M = 1 << 3,   /* free 2 MiB huge pages */
	NEED_HUGETLB_1G = 1 << 4,   /* free 1 GiB huge pages */
	NEED_ROOT = 1 << 5,
	/*
	 * The run's guest RAM is a guest_memfd store: not with
	 * `--backend 2m` (an option, not the host: cmd-run.c skips such a
	 * check as not mandatory, with that reason).
	 */
	NEED_GMEM_RAM = 1 << 6,
};

struct run_opts {
	bool json;
	bool verbose;
	/* The VM checks' guest (checks-vmm.c): --mem, --vcpus, --backend. */
	uint64_t mem;	 /* bytes of guest RAM */
	unsigned int vcpus;
	bool backend_2m; /* hugetlbfs 2 MiB store instead of guest_memfd */
};

struct run_ctx {
	struct pm_host_info host;
	struct run_opts opts;
	json_object *stats; /* checks add their measured figures here */
};

struct check_result {
	enum check_status status;
	char detail[512];
};

struct check {
	const char *name;
	const char *what; /* one line: the property asserted */
	enum check_policy policy;
	unsigned int needs;
	void (*fn)(struct run_ctx *ctx, struct check_result *res);
};

/* Set the result; fmt gives the detail line. */
void check_pass(struct check_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void check_fail(struct check_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void check_skip(struct check_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Why the host cannot run a check with these needs, or NULL. */
const char *check_missing_need(const struct pm_host_info *h,
			       unsigned int needs);
bool check_is_mandatory(const struct check *c, const struct pm_host_info *h);

/* The check tables, one per area (checks-*.c), terminated by a NULL name. */
extern const struct check host_checks[];
extern const struct check gmem_checks[];
extern const struct check iommu_checks[];
extern const struct check vmm_checks[];
extern const struct check protfd_checks[];

#endif
