// SPDX-License-Identifier: MIT
/*
 * `privmem run`: the end-to-end demonstration, as a list of named checks.
 * The tables live in checks-*.c; this file runs them in order, decides the
 * verdict (checks.h says how) and reports it as text or JSON:
 *   {"ok", "host", "checks": [{"name","status","mandatory","detail"}],
 *    "stats"}
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <privmem/vmm_abi.h>
#include "cli.h"
#include "checks.h"

static const struct check *const check_tables[] = {
	host_checks,
	gmem_checks,
	iommu_checks,
	protfd_checks,
	vmm_checks,
};

static void set_result(struct check_result *r, enum check_status st,
		       const char *fmt, va_list ap)
{
	r->status = st;
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
}

void check_pass(struct check_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_result(r, CHECK_PASS, fmt, ap);
	va_end(ap);
}

void check_fail(struct check_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_result(r, CHECK_FAIL, fmt, ap);
	va_end(ap);
}

void check_skip(struct check_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_result(r, CHECK_SKIP, fmt, ap);
	va_end(ap);
}

const char *check_missing_need(const struct pm_host_info *h,
			       unsigned int needs)
{
	if ((needs & NEED_KVM) && !h->kvm_accessible)
		return h->kvm_present ? "/dev/kvm not accessible" :
					"no /dev/kvm on this host";
	if ((needs & NEED_GUEST_MEMFD) && !h->guest_memfd)
		return "KVM lacks guest_memfd (KVM_CAP_GUEST_MEMFD)";
	if ((needs & NEED_MEMFD_SECRET) && !h->memfd_secret)
		return "memfd_secret(2) unavailable (boot with secretmem.enable=1)";
	if (needs & (NEED_HUGETLB_2M | NEED_HUGETLB_1G)) {
		uint64_t want = (needs & NEED_HUGETLB_2M) ? (2ULL << 20) :
							    (1ULL << 30);
		int i;

		for (i = 0; i < h->nr_hugetlb; i++)
			if (h->hugetlb[i].page_size == want &&
			    h->hugetlb[i].free > 0)
				break;
		if (i == h->nr_hugetlb)
			return want == (2ULL << 20) ?
				       "no free 2 MiB huge pages (vm.nr_hugepages)" :
				       "no free 1 GiB huge pages";
	}
	if ((needs & NEED_ROOT) && !h->is_root)
		return "needs root";
	return NULL;
}

bool check_is_mandatory(const struct check *c, const struct pm_host_info *h)
{
	switch (c->policy) {
	case MANDATORY_ALWAYS:
	case MANDATORY_VM: /* skipped without KVM, and then not ok */
		return true;
	case MANDATORY_IF_HOST:
		return !check_missing_need(h, c->needs);
	case OPTIONAL:
		break;
	}
	return false;
}

static const char *status_name(enum check_status s)
{
	return s == CHECK_PASS ? "pass" : s == CHECK_FAIL ? "fail" : "skip";
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: privmem run [--json] [--verbose] [--mem SIZE] "
		   "[--vcpus N] [--backend 4k|2m]\n"
		   "  --mem SIZE       guest RAM of the VM checks, with K, M or "
		   "G (default 128M)\n"
		   "  --vcpus N        vCPUs of the VM checks (default 2)\n"
		   "  --backend 4k|2m  guest RAM as a guest_memfd store (4k, "
		   "default) or a\n"
		   "                   hugetlbfs store of 2 MiB pages bound as "
		   "an ordinary memslot\n");
}

/* "128M", "1G", "65536": bytes, or 0 if not a size. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || s[0] == '-')
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	}
	if (*end || v > UINT64_MAX / mult)
		return 0;
	return v * mult;
}

/*
 * PRIVMEM_NO_KVM=1: behave as on a host without /dev/kvm (checks.h). Only
 * this command's copy of the probe changes.
 */
static void apply_no_kvm(struct pm_host_info *h)
{
	const char *v = getenv("PRIVMEM_NO_KVM");

	if (!v || strcmp(v, "1"))
		return;
	memset(&h->kvm_present, 0,
	       offsetof(struct pm_host_info, memfd_secret) -
		       offsetof(struct pm_host_info, kvm_present));
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "mem", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_ctx ctx = { 0 };
	json_object *root, *checks, *opts;
	unsigned long n;
	char *end;
	int npass = 0, nfail = 0, nskip = 0, nmand_skip = 0;
	bool ok = true;
	double t0 = now_ms();
	size_t t;
	int c, rc;

	ctx.opts.mem = 128ULL << 20;
	ctx.opts.vcpus = 2;
	while ((c = getopt_long(argc, argv, "jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx.opts.json = true;
			break;
		case 'm':
			ctx.opts.mem = parse_size(optarg);
			if (!ctx.opts.mem) {
				fprintf(stderr, "privmem: --mem %s: not a size\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || n < 1 || n > PM_VMM_MAX_VCPUS) {
				fprintf(stderr, "privmem: --vcpus %s: 1 to %d\n",
					optarg, PM_VMM_MAX_VCPUS);
				return 2;
			}
			ctx.opts.vcpus = (unsigned int)n;
			break;
		case 'b':
			if (!strcmp(optarg, "2m")) {
				ctx.opts.backend_2m = true;
			} else if (strcmp(optarg, "4k")) {
				fprintf(stderr, "privmem: --backend %s: 4k or "
						"2m\n",
					optarg);
				return 2;
			}
			break;
		case 'v':
			ctx.opts.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	rc = pm_host_probe(&ctx.host);
	if (rc) {
		fprintf(stderr, "privmem: host probe failed: %s\n",
			strerror(-rc));
		return 1;
	}
	apply_no_kvm(&ctx.host);
	ctx.stats = json_object_new_object();
	checks = json_object_new_array();
	if (!ctx.opts.json)
		printf("privmem run on Linux %s (%s)\n\n",
		       ctx.host.kernel_release, ctx.host.machine);

	for (t = 0; t < sizeof(check_tables) / sizeof(check_tables[0]); t++) {
		const struct check *chk;

		for (chk = check_tables[t]; chk->name; chk++) {
			struct check_result res = { CHECK_FAIL, "" };
			bool mandatory = check_is_mandatory(chk, &ctx.host);
			const char *missing =
				check_missing_need(&ctx.host, chk->needs);
			json_object *o;

			if (!missing && (chk->needs & NEED_GMEM_RAM) &&
			    ctx.opts.backend_2m) {
				missing = "--backend 2m: guest RAM is a "
					  "hugetlbfs store bound as an "
					  "ordinary memslot (guest_memfd has "
					  "4 KiB pages only here)";
				mandatory = false;
			}

			if (missing)
				check_skip(&res, "%s", missing);
			else
				chk->fn(&ctx, &res);
			if (res.status == CHECK_PASS)
				npass++;
			else if (res.status == CHECK_FAIL)
				nfail++;
			else
				nskip++;
			if (mandatory && res.status != CHECK_PASS)
				ok = false;
			if (mandatory && res.status == CHECK_SKIP)
				nmand_skip++;

			o = json_object_new_object();
			json_object_object_add(o, "name",
					       json_object_new_string(chk->name));
			json_object_object_add(
				o, "status",
				json_object_new_string(status_name(res.status)));
			json_object_object_add(o, "mandatory",
					       json_object_new_boolean(mandatory));
			json_object_object_add(o, "detail",
					       json_object_new_string(res.detail));
			json_object_array_add(checks, o);
			if (!ctx.opts.json) {
				printf("  %-4s %-32s %s%s\n",
				       status_name(res.status), chk->name,
				       mandatory ? "" : "(optional) ",
				       res.detail);
				fflush(stdout);
			}
		}
	}

	json_object_object_add(ctx.stats, "checks_passed",
			       json_object_new_int(npass));
	json_object_object_add(ctx.stats, "checks_failed",
			       json_object_new_int(nfail));
	json_object_object_add(ctx.stats, "checks_skipped",
			       json_object_new_int(nskip));
	json_object_object_add(ctx.stats, "duration_ms",
			       json_object_new_double(now_ms() - t0));

	if (ctx.opts.json) {
		root = json_object_new_object();
		json_object_object_add(root, "ok", json_object_new_boolean(ok));
		json_object_object_add(root, "host", host_json(&ctx.host));
		json_object_object_add(root, "checks", checks);
		json_object_object_add(root, "stats", ctx.stats);
		opts = json_object_new_object();
		json_object_object_add(opts, "mem",
				       json_object_new_int64((int64_t)ctx.opts.mem));
		json_object_object_add(opts, "vcpus",
				       json_object_new_int((int)ctx.opts.vcpus));
		json_object_object_add(
			opts, "backend",
			json_object_new_string(ctx.opts.backend_2m ? "2m" :
								     "4k"));
		json_object_object_add(root, "options", opts);
		json_print(root);
		json_object_put(root);
	} else {
		printf("\n%d passed, %d failed, %d skipped: %s\n", npass, nfail,
		       nskip,
		       ok ? "OK (every mandatory check passed)" :
		       nmand_skip && !nfail ? "NOT OK (mandatory checks were skipped: "
				    "the VM checks need a usable /dev/kvm)" :
				    "NOT OK (a mandatory check did not pass)");
		json_object_put(checks);
		json_object_put(ctx.stats);
	}
	return ok ? 0 : 1;
}
