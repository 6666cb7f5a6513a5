// SPDX-License-Identifier: MIT
/*
 * `privmem run --json`: the document's shape, and that the exit status and
 * "ok" follow the mandatory checks.
 */
#include <json-c/json.h>
#include "harness.h"

static json_object *run_json(const char *args, int *status)
{
	const char *bin = getenv("PRIVMEM_BIN");
	char cmd[512], *buf;
	size_t len = 0, cap = 1 << 16;
	json_object *o;
	FILE *p;
	size_t n;

	if (!bin)
		SKIP("PRIVMEM_BIN not set");
	snprintf(cmd, sizeof(cmd), "%s run %s", bin, args);
	p = popen(cmd, "r");
	ASSERT_TRUE(p);
	buf = malloc(cap);
	ASSERT_TRUE(buf);
	/* Read it all, growing the buffer: a full pipe would block the child. */
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

static json_object *get(json_object *o, const char *key, json_type t)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		FAIL("missing key %s", key);
	if (!json_object_is_type(v, t))
		FAIL("key %s has type %s", key,
		     json_type_to_name(json_object_get_type(v)));
	return v;
}

TEST(json_shape_and_verdict)
{
	int status, i, n;
	json_object *o = run_json("--json", &status);
	json_object *checks = get(o, "checks", json_type_array);
	bool ok = json_object_get_boolean(get(o, "ok", json_type_boolean));
	bool all_mandatory_pass = true, saw_probe = false;

	get(o, "host", json_type_object);
	get(o, "stats", json_type_object);
	n = json_object_array_length(checks);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		const char *st =
			json_object_get_string(get(c, "status", json_type_string));
		const char *name =
			json_object_get_string(get(c, "name", json_type_string));
		bool mand = json_object_get_boolean(
			get(c, "mandatory", json_type_boolean));

		get(c, "detail", json_type_string);
		ASSERT_TRUE(!strcmp(st, "pass") || !strcmp(st, "fail") ||
			    !strcmp(st, "skip"));
		if (mand && strcmp(st, "pass"))
			all_mandatory_pass = false;
		if (!strcmp(name, "host_probe")) {
			saw_probe = true;
			ASSERT_TRUE(mand);
		}
		/* A skip always says why. */
		if (!strcmp(st, "skip"))
			ASSERT_GT(strlen(json_object_get_string(
					  get(c, "detail", json_type_string))),
				  0);
	}
	ASSERT_TRUE(saw_probe);
	ASSERT_EQ(ok, all_mandatory_pass);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), ok ? 0 : 1);
	json_object_put(o);
}

TEST(kvm_check_mandatory_iff_kvm)
{
	int status, i, n;
	json_object *o = run_json("--json", &status);
	json_object *checks = get(o, "checks", json_type_array);
	bool kvm = access("/dev/kvm", R_OK | W_OK) == 0;

	n = json_object_array_length(checks);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		const char *name =
			json_object_get_string(get(c, "name", json_type_string));

		if (strcmp(name, "kvm_guest_memfd"))
			continue;
		ASSERT_EQ(json_object_get_boolean(
				  get(c, "mandatory", json_type_boolean)),
			  kvm);
		json_object_put(o);
		return;
	}
	FAIL("kvm_guest_memfd check missing");
}

/*
 * The gmem store's checks (issue 4) are all there, in this order, and
 * mandatory on every host: memfd needs nothing but the kernel. The ones that
 * only need the store's basic model must pass; the content checks may skip
 * (a backend that cannot map private pages) but never fail.
 */
TEST(gmem_checks_present_and_mandatory)
{
	static const char *const want[] = {
		"store_backends",	"convert_to_private",
		"host_read_private_faults", "convert_back_zeroed",
		"convert_keep_content", "alternating_1g",
	};
	int status, i, n, next = 0;
	json_object *o = run_json("--json", &status);
	json_object *checks = get(o, "checks", json_type_array);

	n = json_object_array_length(checks);
	for (i = 0; i < n && next < 6; i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		const char *name =
			json_object_get_string(get(c, "name", json_type_string));
		const char *st =
			json_object_get_string(get(c, "status", json_type_string));
		const char *detail =
			json_object_get_string(get(c, "detail", json_type_string));

		if (strcmp(name, want[next]))
			continue;
		ASSERT_TRUE(json_object_get_boolean(
			get(c, "mandatory", json_type_boolean)));
		if (next < 3 || next == 5) {
			if (strcmp(st, "pass"))
				FAIL("%s: %s: %s", name, st, detail);
		} else if (!strcmp(st, "fail")) {
			FAIL("%s failed: %s", name, detail);
		}
		next++;
	}
	if (next < 6)
		FAIL("check %s missing or out of order", want[next]);
	json_object_put(o);
}

TEST(bad_usage)
{
	const char *bin = getenv("PRIVMEM_BIN");
	char cmd[512];
	int st;

	if (!bin)
		SKIP("PRIVMEM_BIN not set");
	snprintf(cmd, sizeof(cmd), "%s run --bogus 2>/dev/null", bin);
	st = system(cmd);
	ASSERT_EQ(WEXITSTATUS(st), 2);
	snprintf(cmd, sizeof(cmd), "%s nosuchcommand 2>/dev/null", bin);
	st = system(cmd);
	ASSERT_EQ(WEXITSTATUS(st), 2);
}

TEST_MAIN()
