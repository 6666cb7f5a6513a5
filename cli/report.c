// SPDX-License-Identifier: MIT
/*
 * The host report of `privmem info`: as JSON (host_json), with one key per
 * field of struct pm_host_info and bit masks as arrays of names, and as a
 * readable report (host_print) that ends with what privmem can use here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <privmem/uapi/kvm.h>
#include "cli.h"

#define KEY_WIDTH 20

/* Names bit @bit of a mask, using @buf for bits without a name. */
typedef const char *(*bit_namer)(unsigned int bit, char *buf, size_t len);

static const char *vm_type_bit(unsigned int bit, char *buf, size_t len)
{
	const char *name = pm_vm_type_name(bit);

	if (strcmp(name, "unknown"))
		return name;
	snprintf(buf, len, "type%u", bit);
	return buf;
}

static const char *gmem_flag_bit(unsigned int bit, char *buf, size_t len)
{
	if (1ULL << bit == GUEST_MEMFD_FLAG_MMAP)
		return "mmap";
	if (1ULL << bit == GUEST_MEMFD_FLAG_INIT_SHARED)
		return "init_shared";
	snprintf(buf, len, "bit%u", bit);
	return buf;
}

static const char *attribute_bit(unsigned int bit, char *buf, size_t len)
{
	if (1ULL << bit == KVM_MEMORY_ATTRIBUTE_PRIVATE)
		return "private";
	snprintf(buf, len, "bit%u", bit);
	return buf;
}

static const char *hypercall_bit(unsigned int bit, char *buf, size_t len)
{
	if (bit == KVM_HC_MAP_GPA_RANGE)
		return "map_gpa_range";
	snprintf(buf, len, "hc%u", bit);
	return buf;
}

static json_object *mask_json(uint64_t mask, bit_namer namer)
{
	json_object *a = json_object_new_array();
	const char *name;
	unsigned int bit;
	char buf[16];

	for (bit = 0; a && bit < 64; bit++) {
		if (!(mask & 1ULL << bit))
			continue;
		name = namer(bit, buf, sizeof(buf));
		json_object_array_add(a, json_object_new_string(name));
	}
	return a;
}

/* "mmap, init_shared", or @none for an empty mask. */
static const char *mask_text(uint64_t mask, bit_namer namer, const char *none,
			     char *out, size_t len)
{
	unsigned int bit;
	size_t used = 0;
	char buf[16];
	int n;

	if (!mask)
		return none;
	out[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		if (!(mask & 1ULL << bit))
			continue;
		n = snprintf(out + used, len - used, "%s%s", used ? ", " : "",
			     namer(bit, buf, sizeof(buf)));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += n;
	}
	return out;
}

static json_object *limit_json(uint64_t v)
{
	if (v == UINT64_MAX)
		return json_object_new_string("unlimited");
	return json_object_new_uint64(v);
}

static json_object *string_or_null(const char *s)
{
	return s[0] ? json_object_new_string(s) : NULL;
}

static json_object *errno_text(int err)
{
	return err ? json_object_new_string(strerror(err)) : NULL;
}

static json_object *hugetlb_json(const struct pm_host_info *h)
{
	json_object *a = json_object_new_array(), *p;
	int i;

	for (i = 0; a && i < h->nr_hugetlb; i++) {
		p = json_object_new_object();
		if (!p)
			break;
		json_object_object_add(
			p, "page_size",
			json_object_new_uint64(h->hugetlb[i].page_size));
		json_object_object_add(p, "nr",
				       json_object_new_int64(h->hugetlb[i].nr));
		json_object_object_add(
			p, "free", json_object_new_int64(h->hugetlb[i].free));
		json_object_object_add(
			p, "resv", json_object_new_int64(h->hugetlb[i].resv));
		json_object_array_add(a, p);
	}
	return a;
}

json_object *host_json(const struct pm_host_info *h)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
#define ADD(key, val) json_object_object_add(o, key, val)
	ADD("kernel_release", json_object_new_string(h->kernel_release));
	ADD("machine", json_object_new_string(h->machine));

	ADD("kvm_present", json_object_new_boolean(h->kvm_present));
	ADD("kvm_accessible", json_object_new_boolean(h->kvm_accessible));
	ADD("kvm_open_errno", json_object_new_int(h->kvm_open_errno));
	ADD("kvm_open_error", errno_text(h->kvm_open_errno));
	ADD("kvm_api_version", json_object_new_int(h->kvm_api_version));
	ADD("kvm_module", string_or_null(h->kvm_module));
	ADD("vm_types", mask_json(h->vm_types, vm_type_bit));
	ADD("guest_memfd", json_object_new_boolean(h->guest_memfd));
	ADD("guest_memfd_flags",
	    mask_json(h->guest_memfd_flags, gmem_flag_bit));
	ADD("memory_attributes",
	    mask_json(h->memory_attributes, attribute_bit));
	ADD("user_memory2", json_object_new_boolean(h->user_memory2));
	ADD("exit_hypercall", mask_json(h->exit_hypercall, hypercall_bit));
	ADD("memory_fault_info", json_object_new_boolean(h->memory_fault_info));
	ADD("pre_fault_memory", json_object_new_boolean(h->pre_fault_memory));
	ADD("nr_vcpus", json_object_new_int(h->nr_vcpus));
	ADD("max_vcpus", json_object_new_int(h->max_vcpus));

	ADD("memfd_secret", json_object_new_boolean(h->memfd_secret));
	ADD("memfd_secret_errno", json_object_new_int(h->memfd_secret_errno));
	ADD("memfd_secret_error", errno_text(h->memfd_secret_errno));
	ADD("hugetlb", hugetlb_json(h));
	ADD("thp_mode", string_or_null(h->thp_mode));
	ADD("max_map_count", json_object_new_int64(h->max_map_count));
	ADD("page_size", json_object_new_uint64(h->page_size));

	ADD("memlock_cur", limit_json(h->memlock_cur));
	ADD("memlock_max", limit_json(h->memlock_max));
	ADD("cap_ipc_lock", json_object_new_boolean(h->cap_ipc_lock));
	ADD("cap_sys_resource", json_object_new_boolean(h->cap_sys_resource));
	ADD("is_root", json_object_new_boolean(h->is_root));

	ADD("dev_iommu", json_object_new_boolean(h->dev_iommu));
	ADD("dev_vfio", json_object_new_boolean(h->dev_vfio));
#undef ADD
	return o;
}

/* "2M", "1G", "64K": the short form used for page sizes. */
static const char *size_short(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (bytes >= 1024 && !(bytes % 1024) && u < (int)sizeof(units) - 2) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes,
			 units[u]);
	return buf;
}

/* "8 MiB", "unlimited", or a byte count when not a round size. */
static const char *size_long(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	int u = -1;

	if (bytes == UINT64_MAX)
		return "unlimited";
	while (bytes >= 1024 && !(bytes % 1024) && u < 3) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)bytes,
			 units[u]);
	return buf;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void section(FILE *f, const char *name)
{
	fprintf(f, "%s\n", name);
}

static void kv(FILE *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "  key:               value", the values aligned. */
static void kv(FILE *f, const char *key, const char *fmt, ...)
{
	char label[64];
	va_list ap;

	snprintf(label, sizeof(label), "%s:", key);
	fprintf(f, "  %-*s ", KEY_WIDTH, label);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static void print_kvm(FILE *f, const struct pm_host_info *h)
{
	char buf[256];

	section(f, "KVM");
	if (!h->kvm_present)
		kv(f, "/dev/kvm", "absent");
	else if (!h->kvm_accessible)
		kv(f, "/dev/kvm", "present, not accessible (%s)",
		   strerror(h->kvm_open_errno));
	else
		kv(f, "/dev/kvm", "accessible, API version %d",
		   h->kvm_api_version);
	kv(f, "module", "%s", h->kvm_module[0] ? h->kvm_module : "none");
	if (!h->kvm_accessible)
		return;
	kv(f, "VM types", "%s",
	   mask_text(h->vm_types, vm_type_bit, "none", buf, sizeof(buf)));
	kv(f, "guest_memfd", "%s", yes_no(h->guest_memfd));
	kv(f, "guest_memfd flags", "%s",
	   mask_text(h->guest_memfd_flags, gmem_flag_bit, "none", buf,
		     sizeof(buf)));
	kv(f, "memory attributes", "%s",
	   mask_text(h->memory_attributes, attribute_bit, "none", buf,
		     sizeof(buf)));
	kv(f, "user_memory2", "%s", yes_no(h->user_memory2));
	kv(f, "exit hypercalls", "%s",
	   mask_text(h->exit_hypercall, hypercall_bit, "none", buf,
		     sizeof(buf)));
	kv(f, "memory fault info", "%s", yes_no(h->memory_fault_info));
	kv(f, "pre-fault memory", "%s", yes_no(h->pre_fault_memory));
	kv(f, "vCPUs", "%d recommended, %d max", h->nr_vcpus, h->max_vcpus);
}

static void print_memory(FILE *f, const struct pm_host_info *h)
{
	/* A u64 in digits and " bytes" fit in 32; "hugetlb " before it. */
	char buf[32], key[48];
	int i;

	section(f, "memory");
	kv(f, "page size", "%s", size_long(h->page_size, buf, sizeof(buf)));
	if (h->memfd_secret)
		kv(f, "memfd_secret", "yes");
	else
		kv(f, "memfd_secret", "no (%s)",
		   strerror(h->memfd_secret_errno));
	if (!h->nr_hugetlb)
		kv(f, "hugetlb", "none");
	for (i = 0; i < h->nr_hugetlb; i++) {
		snprintf(key, sizeof(key), "hugetlb %s",
			 size_short(h->hugetlb[i].page_size, buf, sizeof(buf)));
		kv(f, key, "%ld pages, %ld free, %ld reserved",
		   h->hugetlb[i].nr, h->hugetlb[i].free, h->hugetlb[i].resv);
	}
	kv(f, "THP", "%s", h->thp_mode[0] ? h->thp_mode : "unknown");
	kv(f, "max_map_count", "%ld", h->max_map_count);
}

static void print_limits(FILE *f, const struct pm_host_info *h)
{
	char cur[32], max[32];

	section(f, "limits");
	kv(f, "RLIMIT_MEMLOCK", "%s soft, %s hard",
	   size_long(h->memlock_cur, cur, sizeof(cur)),
	   size_long(h->memlock_max, max, sizeof(max)));
	kv(f, "CAP_IPC_LOCK", "%s", yes_no(h->cap_ipc_lock));
	kv(f, "CAP_SYS_RESOURCE", "%s", yes_no(h->cap_sys_resource));
	kv(f, "root", "%s", yes_no(h->is_root));
}

static void print_iommu(FILE *f, const struct pm_host_info *h)
{
	section(f, "IOMMU");
	kv(f, "/dev/iommu", "%s", h->dev_iommu ? "present" : "absent");
	kv(f, "/dev/vfio", "%s", h->dev_vfio ? "present" : "absent");
}

/* The one-line summary: what privmem can use on this host. */
static void print_verdict(FILE *f, const struct pm_host_info *h)
{
	uint64_t private_types = h->vm_types & ~(1ULL << KVM_X86_DEFAULT_VM);
	char buf[256], size[24];
	int i;

	fprintf(f, "\nprivmem can use: ");
	if (!h->kvm_present)
		fprintf(f, "KVM: absent");
	else if (!h->kvm_accessible)
		fprintf(f, "KVM: not accessible (%s)",
			strerror(h->kvm_open_errno));
	else if (!h->guest_memfd)
		fprintf(f, "KVM guest_memfd: no");
	else
		fprintf(f, "KVM guest_memfd: yes (%s)",
			mask_text(h->guest_memfd_flags, gmem_flag_bit,
				  "no flags", buf, sizeof(buf)));
	fprintf(f, "; private VM types: %s",
		mask_text(private_types, vm_type_bit,
			  "none (protection is emulated)", buf, sizeof(buf)));
	if (h->memfd_secret)
		fprintf(f, "; memfd_secret: yes");
	else
		fprintf(f, "; memfd_secret: no (%s)",
			strerror(h->memfd_secret_errno));
	if (!h->nr_hugetlb)
		fprintf(f, "; hugetlb: none");
	for (i = 0; i < h->nr_hugetlb; i++)
		fprintf(f, "%s%s: %ld free", i ? ", " : "; hugetlb ",
			size_short(h->hugetlb[i].page_size, size, sizeof(size)),
			h->hugetlb[i].free);
	fprintf(f, "; /dev/iommu: %s\n",
		h->dev_iommu ? "present" : "absent (privmem emulates it)");
}

void host_print(FILE *f, const struct pm_host_info *h)
{
	section(f, "kernel");
	kv(f, "release", "%s", h->kernel_release);
	kv(f, "machine", "%s", h->machine);
	print_kvm(f, h);
	print_memory(f, h);
	print_limits(f, h);
	print_iommu(f, h);
	print_verdict(f, h);
}

void json_print(json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s || puts(s) == EOF || fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "privmem: cannot write to stdout\n");
		exit(1);
	}
}
