// SPDX-License-Identifier: MIT
/*
 * The VM checks of `privmem run` (cli/checks-vmm.c): all present, in
 * order, mandatory on every host: passing where /dev/kvm is usable,
 * skipped with the reason otherwise, and then the run is not ok (shown
 * with PRIVMEM_NO_KVM=1, which makes the command see no /dev/kvm); the
 * options --mem, --vcpus and
 * --backend reach them (gmem_memslot skipped, not mandatory, with 2m) and
 * are checked; the figures land in "stats".
 */
#include <unistd.h>
#include <json-c/json.h>
#include "harness.h"

static json_object *run_json_env(const char *env, const char *args,
				 int *status)
{
	const char *bin = getenv("PRIVMEM_BIN");
	size_t cap = 1 << 16, len = 0, n;
	char cmd[512], *buf;
	json_object *o;
	FILE *p;

	if (!bin)
		SKIP("PRIVMEM_BIN not set");
	snprintf(cmd, sizeof(cmd), "%s%s run --json %s", env, bin, args);
	p = popen(cmd, "r");
	ASSERT_TRUE(p);
	buf = malloc(cap);
	ASSERT_TRUE(buf);
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (len == cap - 1) {
			cap *= 2;
			buf = realloc(buf, cap);
			ASSERT_TRUE(buf);
		}
	}
	buf[len] = 0;
	*status = pclose(p);
	o = json_tokener_parse(buf);
	if (!o)
		FAIL("not JSON: %s", buf);
	free(buf);
	return o;
}

static json_object *run_json(const char *args, int *status)
{
	return run_json_env("", args, status);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		FAIL("missing key %s", key);
	return v;
}

static const char *const vm_checks[] = {
	"guest_boot",
	"gmem_memslot",
	"guest_map_all_by_fd",
	"guest_convert_to_private",
	"guest_private_host_read_faults",
	"guest_untrusted_dma_private_faults",
	"guest_untrusted_dma_shared_ok",
	"guest_trusted_accept",
	"guest_trusted_dma_private_ok",
	"guest_convert_back_zeroed",
	"guest_private_mmio_run_only",
	"bar_memslot_mmio",
	"guest_bar_p2p_dma",
	"multi_vcpu_convert",
	"teardown_clean",
};
#define NR_VM_CHECKS (int)(sizeof(vm_checks) / sizeof(vm_checks[0]))

static bool kvm_usable(void)
{
	return access("/dev/kvm", R_OK | W_OK) == 0;
}

/*
 * Walk the checks: each VM check appears in order; calls @fn on it.
 */
static void for_vm_checks(json_object *o,
			  void (*fn)(const char *name, const char *st,
				     bool mandatory, const char *detail))
{
	json_object *checks = get(o, "checks");
	int i, n = json_object_array_length(checks), next = 0;

	for (i = 0; i < n && next < NR_VM_CHECKS; i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		const char *name = json_object_get_string(get(c, "name"));

		if (strcmp(name, vm_checks[next]))
			continue;
		fn(name, json_object_get_string(get(c, "status")),
		   json_object_get_boolean(get(c, "mandatory")),
		   json_object_get_string(get(c, "detail")));
		next++;
	}
	if (next < NR_VM_CHECKS)
		FAIL("check %s missing or out of order", vm_checks[next]);
}

static void default_run(const char *name, const char *st, bool mandatory,
			const char *detail)
{
	if (!kvm_usable()) {
		if (!mandatory || strcmp(st, "skip") || !detail[0])
			FAIL("%s without /dev/kvm: %s, mandatory %d (%s)", name,
			     st, mandatory, detail);
		return;
	}
	if (!mandatory || strcmp(st, "pass"))
		FAIL("%s: %s, mandatory %d: %s", name, st, mandatory, detail);
}

TEST(vm_checks_default)
{
	int status;
	json_object *o = run_json("", &status), *stats;

	for_vm_checks(o, default_run);
	if (!kvm_usable())
		ASSERT_FALSE(json_object_get_boolean(get(o, "ok")));
	stats = get(o, "stats");
	if (kvm_usable()) {
		ASSERT_GT(json_object_get_double(get(stats, "guest_boot_ms")),
			  0);
		ASSERT_GT(json_object_get_double(
				  get(stats, "guest_convert_rt_4k_us")),
			  0);
		ASSERT_TRUE(
			strstr(json_object_get_string(get(stats, "vmm_modes")),
			       "binding"));
	}
	json_object_put(o);
}

static void one_vcpu_run(const char *name, const char *st, bool mandatory,
			 const char *detail)
{
	/* multi_vcpu_convert takes two vCPUs whatever --vcpus says. */
	if (kvm_usable() && strcmp(st, "pass"))
		FAIL("%s: %s: %s", name, st, detail);
	if (!strcmp(name, "guest_boot") && kvm_usable() &&
	    !strstr(detail, "1 vCPU"))
		FAIL("--vcpus 1 did not reach guest_boot: %s", detail);
}

TEST(vcpus_and_mem_reach_the_checks)
{
	int status;
	json_object *o = run_json("--vcpus 1 --mem 64M", &status), *opts;

	opts = get(o, "options");
	ASSERT_EQ(json_object_get_int64(get(opts, "mem")), 64LL << 20);
	ASSERT_EQ(json_object_get_int(get(opts, "vcpus")), 1);
	for_vm_checks(o, one_vcpu_run);
	json_object_put(o);
}

static void huge_run(const char *name, const char *st, bool mandatory,
		     const char *detail)
{
	if (!strcmp(name, "gmem_memslot")) {
		if (mandatory || strcmp(st, "skip") ||
		    !strstr(detail, "--backend 2m"))
			FAIL("gmem_memslot with --backend 2m: %s, mandatory "
			     "%d: %s",
			     st, mandatory, detail);
		return;
	}
	if (kvm_usable() && strcmp(st, "pass"))
		FAIL("%s: %s: %s", name, st, detail);
}

TEST(backend_2m)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/"
			"free_hugepages",
			"r");
	long free_pages = 0;
	int status;
	json_object *o;

	if (f) {
		if (fscanf(f, "%ld", &free_pages) != 1)
			free_pages = 0;
		fclose(f);
	}
	if (kvm_usable() && free_pages < 40)
		SKIP("needs 40 free 2 MiB huge pages, %ld free", free_pages);
	o = run_json("--backend 2m --mem 64M", &status);
	ASSERT_TRUE(!strcmp(
		json_object_get_string(get(get(o, "options"), "backend")),
		"2m"));
	for_vm_checks(o, huge_run);
	json_object_put(o);
}

static void no_kvm_run(const char *name, const char *st, bool mandatory,
		       const char *detail)
{
	if (!mandatory || strcmp(st, "skip") || !strstr(detail, "/dev/kvm"))
		FAIL("%s with PRIVMEM_NO_KVM=1: %s, mandatory %d (%s)", name,
		     st, mandatory, detail);
}

/*
 * A host without /dev/kvm: every VM check is skipped with the reason, and
 * the verdict is false (exit 1) although every other mandatory check
 * passes: a run that booted no guest is not ok.
 */
TEST(no_kvm_is_not_ok)
{
	json_object *o, *checks, *c;
	int status, i, n, vm_skips = 0;

	o = run_json_env("PRIVMEM_NO_KVM=1 ", "", &status);
	for_vm_checks(o, no_kvm_run);
	ASSERT_FALSE(json_object_get_boolean(get(o, "ok")));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 1);
	ASSERT_FALSE(json_object_get_boolean(
		get(get(o, "host"), "kvm_accessible")));
	checks = get(o, "checks");
	n = json_object_array_length(checks);
	for (i = 0; i < n; i++) {
		const char *name, *st;

		c = json_object_array_get_idx(checks, i);
		name = json_object_get_string(get(c, "name"));
		st = json_object_get_string(get(c, "status"));
		if (!json_object_get_boolean(get(c, "mandatory")))
			continue;
		if (!strcmp(st, "skip")) {
			vm_skips++;
			continue;
		}
		/* Only the skipped VM checks make it not ok. */
		if (strcmp(st, "pass"))
			FAIL("%s: %s", name, st);
	}
	ASSERT_EQ(vm_skips, NR_VM_CHECKS);
	json_object_put(o);
}

TEST(bad_options)
{
	static const char *const bad[] = {
		"--mem",     "--mem 12x",  "--mem -5M",	  "--mem 99999999999G",
		"--vcpus 0", "--vcpus 33", "--vcpus two", "--backend 1g",
	};
	const char *bin = getenv("PRIVMEM_BIN");
	char cmd[512];
	size_t i;
	int st;

	if (!bin)
		SKIP("PRIVMEM_BIN not set");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s run %s >/dev/null 2>&1", bin,
			 bad[i]);
		st = system(cmd);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
			FAIL("privmem run %s: exit %d, not 2", bad[i],
			     WEXITSTATUS(st));
	}
}

TEST_MAIN()
