// SPDX-License-Identifier: MIT
/*
 * `privmem info`: the JSON report against what this test sees of the host
 * itself, the exit statuses, the text report, and CAP_IPC_LOCK reported
 * truthfully when a process has dropped it.
 *
 * The privmem binary is $PRIVMEM_BIN; the tests that need it skip without.
 */
#include "harness.h"
#include "config.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include <json-c/json.h>
#if HAVE_LIBCAP
#include <sys/capability.h>
#endif
#include <privmem/privmem.h>
#include <privmem/host.h>

#define HUGETLB_DIR "/sys/kernel/mm/hugepages"

/*
 * Run "$PRIVMEM_BIN @args" through the shell; return its exit status (-1 if
 * it did not exit) with its stdout in *out (to free).
 */
static int run_privmem(const char *args, char **out)
{
	const char *bin = getenv("PRIVMEM_BIN");
	size_t len = 0, cap = 4096, n;
	char cmd[4096], *buf;
	int status;
	FILE *p;

	if (!bin)
		SKIP("PRIVMEM_BIN is not set");
	if (strchr(bin, '\''))
		SKIP("PRIVMEM_BIN contains a quote: %s", bin);
	if ((size_t)snprintf(cmd, sizeof(cmd), "'%s' %s", bin, args) >=
	    sizeof(cmd))
		FAIL("command too long");
	fflush(NULL);
	p = popen(cmd, "r");
	if (!p)
		FAIL("popen %s: %s", cmd, strerror(errno));
	buf = malloc(cap);
	ASSERT_TRUE(buf);
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			ASSERT_TRUE(buf);
		}
	}
	buf[len] = '\0';
	status = pclose(p);
	if (status < 0)
		FAIL("pclose: %s", strerror(errno));
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run `privmem info --json`, which must exit 0 and print one object. */
static json_object *info_json(void)
{
	json_object *o;
	char *out;
	int rc;

	rc = run_privmem("info --json", &out);
	ASSERT_EQ(rc, 0);
	o = json_tokener_parse(out);
	if (!o || !json_object_is_type(o, json_type_object))
		FAIL("not a JSON object:\n%s", out);
	free(out);
	return o;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		FAIL("key \"%s\" is missing", key);
	if (!json_object_is_type(v, type))
		FAIL("\"%s\" is %s, expected %s", key,
		     json_type_to_name(json_object_get_type(v)),
		     json_type_to_name(type));
	return v;
}

/* A key that may be null or of @type. */
static json_object *get_or_null(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		FAIL("key \"%s\" is missing", key);
	if (v && !json_object_is_type(v, type))
		FAIL("\"%s\" is %s, expected %s or null", key,
		     json_type_to_name(json_object_get_type(v)),
		     json_type_to_name(type));
	return v;
}

static bool get_bool(json_object *o, const char *key)
{
	return json_object_get_boolean(get(o, key, json_type_boolean));
}

static bool array_has(json_object *a, const char *s)
{
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (json_object_is_type(e, json_type_string) &&
		    !strcmp(json_object_get_string(e), s))
			return true;
	}
	return false;
}

static long read_num(const char *path)
{
	char buf[64];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		FAIL("cannot open %s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strtol(buf, NULL, 10);
}

TEST(json_keys_and_types)
{
	static const char *const bools[] = {
		"kvm_present",	"kvm_accessible",    "guest_memfd",
		"user_memory2", "memory_fault_info", "pre_fault_memory",
		"memfd_secret", "cap_ipc_lock",	     "cap_sys_resource",
		"is_root",	"dev_iommu",	     "dev_vfio",
	};
	static const char *const ints[] = {
		"kvm_open_errno", "kvm_api_version",	"nr_vcpus",
		"max_vcpus",	  "memfd_secret_errno", "max_map_count",
		"page_size",
	};
	static const char *const arrays[] = {
		"vm_types",	  "guest_memfd_flags", "memory_attributes",
		"exit_hypercall", "hugetlb",
	};
	static const char *const strings_or_null[] = {
		"kvm_module",
		"kvm_open_error",
		"memfd_secret_error",
		"thp_mode",
	};
	static const char *const limits[] = { "memlock_cur", "memlock_max" };
	json_object *o, *v;
	size_t i;

	o = info_json();
	get(o, "kernel_release", json_type_string);
	get(o, "machine", json_type_string);
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		get(o, bools[i], json_type_boolean);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		get(o, ints[i], json_type_int);
	for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		get(o, arrays[i], json_type_array);
	for (i = 0; i < sizeof(strings_or_null) / sizeof(strings_or_null[0]);
	     i++)
		get_or_null(o, strings_or_null[i], json_type_string);
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (!json_object_object_get_ex(o, limits[i], &v))
			FAIL("key \"%s\" is missing", limits[i]);
		if (json_object_is_type(v, json_type_string))
			ASSERT_EQ(strcmp(json_object_get_string(v),
					 "unlimited"),
				  0);
		else
			ASSERT_TRUE(json_object_is_type(v, json_type_int));
	}
	ASSERT_EQ(json_object_get_int64(get(o, "page_size", json_type_int)),
		  sysconf(_SC_PAGESIZE));
	ASSERT_EQ(get_bool(o, "is_root"), geteuid() == 0);
	json_object_put(o);
}

TEST(json_matches_host)
{
	json_object *o, *v;
	struct utsname u;
	int kvm;

	o = info_json();
	ASSERT_SYS(uname(&u));
	v = get(o, "kernel_release", json_type_string);
	ASSERT_EQ(strcmp(json_object_get_string(v), u.release), 0);
	v = get(o, "machine", json_type_string);
	ASSERT_EQ(strcmp(json_object_get_string(v), u.machine), 0);

	ASSERT_EQ(get_bool(o, "kvm_present"), access("/dev/kvm", F_OK) == 0);
	ASSERT_EQ(get_bool(o, "dev_iommu"), access("/dev/iommu", F_OK) == 0);
	ASSERT_EQ(get_bool(o, "dev_vfio"), access("/dev/vfio", F_OK) == 0);

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_EQ(get_bool(o, "kvm_accessible"), kvm >= 0);
	if (kvm >= 0) {
		close(kvm);
		get(o, "guest_memfd", json_type_boolean);
		v = get(o, "vm_types", json_type_array);
		ASSERT_TRUE(array_has(v, "default"));
		ASSERT_GE(json_object_get_int(
				  get(o, "kvm_api_version", json_type_int)),
			  12);
	} else {
		v = get(o, "vm_types", json_type_array);
		ASSERT_EQ(json_object_array_length(v), 0);
	}
	json_object_put(o);
}

TEST(json_hugetlb_matches_sysfs)
{
	json_object *o, *a, *e = NULL;
	unsigned long kb;
	struct dirent *de;
	size_t i, found = 0;
	char path[512];
	DIR *d;

	o = info_json();
	a = get(o, "hugetlb", json_type_array);
	for (i = 0; i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		ASSERT_TRUE(json_object_is_type(e, json_type_object));
		get(e, "page_size", json_type_int);
		get(e, "nr", json_type_int);
		get(e, "free", json_type_int);
		get(e, "resv", json_type_int);
	}

	d = opendir(HUGETLB_DIR);
	if (!d) {
		ASSERT_EQ(json_object_array_length(a), 0);
		json_object_put(o);
		return;
	}
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		found++;
		for (i = 0; i < json_object_array_length(a); i++) {
			e = json_object_array_get_idx(a, i);
			if (json_object_get_uint64(
				    get(e, "page_size", json_type_int)) ==
			    (uint64_t)kb * 1024)
				break;
		}
		if (i == json_object_array_length(a)) {
			/* Only a host with more pools than fit may drop one. */
			ASSERT_EQ(i, PM_HOST_MAX_HUGETLB);
			continue;
		}
		snprintf(path, sizeof(path), HUGETLB_DIR "/%s/nr_hugepages",
			 de->d_name);
		ASSERT_EQ(json_object_get_int64(get(e, "nr", json_type_int)),
			  read_num(path));
	}
	closedir(d);
	ASSERT_EQ(json_object_array_length(a),
		  found < PM_HOST_MAX_HUGETLB ? found : PM_HOST_MAX_HUGETLB);
	json_object_put(o);
}

TEST(unknown_option_exits_2)
{
	char *out;

	ASSERT_EQ(run_privmem("info --bogus 2>&1", &out), 2);
	ASSERT_TRUE(strstr(out, "usage"));
	free(out);
	ASSERT_EQ(run_privmem("info extra 2>/dev/null", &out), 2);
	free(out);
}

TEST(help_exits_0)
{
	char *out;

	ASSERT_EQ(run_privmem("info --help", &out), 0);
	ASSERT_TRUE(strstr(out, "--json"));
	free(out);
}

TEST(text_report)
{
	char *out;

	ASSERT_EQ(run_privmem("info", &out), 0);
	ASSERT_TRUE(strstr(out, "KVM"));
	ASSERT_TRUE(strstr(out, "privmem can use:"));
	free(out);
}

#if HAVE_LIBCAP
static bool has_effective(cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	ASSERT_TRUE(caps);
	ASSERT_SYS(cap_get_flag(caps, cap, CAP_EFFECTIVE, &v));
	cap_free(caps);
	return v == CAP_SET;
}

/*
 * In a child: drop CAP_IPC_LOCK from the effective set and probe; then
 * drop it from the bounding and inheritable sets too, so that the privmem
 * binary, exec'd as root, cannot regain it, and ask that as well.
 */
static void child_without_ipc_lock(void)
{
	const cap_value_t ipc_lock = CAP_IPC_LOCK;
	struct pm_host_info h;
	json_object *o;
	cap_t caps;

	caps = cap_get_proc();
	ASSERT_TRUE(caps);
	ASSERT_SYS(cap_set_flag(caps, CAP_EFFECTIVE, 1, &ipc_lock, CAP_CLEAR));
	ASSERT_SYS(cap_set_proc(caps));
	ASSERT_FALSE(has_effective(CAP_IPC_LOCK));
	ASSERT_OK(pm_host_probe(&h));
	ASSERT_FALSE(h.cap_ipc_lock);
	ASSERT_TRUE(h.is_root);

	if (!getenv("PRIVMEM_BIN")) {
		cap_free(caps);
		return;
	}
	ASSERT_SYS(cap_drop_bound(CAP_IPC_LOCK));
	ASSERT_SYS(
		cap_set_flag(caps, CAP_INHERITABLE, 1, &ipc_lock, CAP_CLEAR));
	ASSERT_SYS(cap_set_proc(caps));
	cap_free(caps);
	o = info_json();
	ASSERT_FALSE(get_bool(o, "cap_ipc_lock"));
	ASSERT_TRUE(get_bool(o, "is_root"));
	json_object_put(o);
}
#endif

TEST(cap_ipc_lock_dropped)
{
#if HAVE_LIBCAP
	struct pm_host_info h;
	int status;
	pid_t pid;

	if (!test_is_root())
		SKIP("needs root");
	if (!has_effective(CAP_IPC_LOCK))
		SKIP("root without CAP_IPC_LOCK here");
	ASSERT_OK(pm_host_probe(&h));
	ASSERT_TRUE(h.cap_ipc_lock);

	fflush(NULL);
	pid = fork();
	ASSERT_SYS(pid);
	if (!pid) {
		child_without_ipc_lock();
		fflush(NULL);
		_exit(0);
	}
	ASSERT_SYS(waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);

	/* The parent kept it. */
	ASSERT_OK(pm_host_probe(&h));
	ASSERT_TRUE(h.cap_ipc_lock);
#else
	SKIP("built without libcap");
#endif
}

TEST_MAIN()
