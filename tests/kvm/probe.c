// SPDX-License-Identifier: MIT
/*
 * What the VMM's probe says about this host, and that the modes follow
 * from it: binding gmem+window exactly when a gmem-only memslot did not
 * run the probe guest, conversion by hypercall exactly when the probe's
 * hypercall came back, enforcement emulated on the default VMs privmem
 * creates. The answer is computed once and cached. SKIPs without KVM.
 */
#include "kvm/kvm_utils.h"

TEST(modes_follow_the_probe)
{
	struct pm_vmm_caps c = kvm_caps_or_skip();

	printf("# %s: gmem-only %s (%s); hypercall %s (%s); probes %.1f ms\n",
	       c.kvm_module[0] ? c.kvm_module : "kvm",
	       c.gmem_only_runs ? "runs" : "does not run", c.gmem_only_how,
	       c.hypercall_completes ? "completes" : "does not complete",
	       c.hypercall_how, c.probe_ms);
	ASSERT_TRUE(c.gmem_only_how[0]);
	ASSERT_TRUE(c.hypercall_how[0]);
	ASSERT_EQ(c.binding, c.gmem_only_runs ? PM_VM_BIND_GMEM_ONLY :
						PM_VM_BIND_GMEM_WINDOW);
	ASSERT_EQ(c.conv_path, c.hypercall_completes ? PM_VM_CONV_HYPERCALL :
						       PM_VM_CONV_DOORBELL);
	ASSERT_EQ(c.enforcement, PM_VM_ENFORCE_EMULATED);
	/* A hypercall cannot complete without the exit to deliver it. */
	if (!c.exit_hypercall)
		ASSERT_FALSE(c.hypercall_completes);
	ASSERT_TRUE(!strcmp(pm_vm_binding_name(c.binding), "gmem-only") ||
		    !strcmp(pm_vm_binding_name(c.binding), "gmem+window"));
	ASSERT_TRUE(
		!strcmp(pm_vm_conv_path_name(PM_VM_CONV_DOORBELL), "doorbell"));
	ASSERT_TRUE(!strcmp(pm_vm_enforcement_name(c.enforcement), "emulated"));
}

/* On kvm_pvm the measured facts of this host hold. */
TEST(kvm_pvm_facts)
{
	struct pm_vmm_caps c = kvm_caps_or_skip();

	if (strcmp(c.kvm_module, "kvm_pvm"))
		SKIP("not kvm_pvm (%s)", c.kvm_module);
	ASSERT_FALSE(c.gmem_only_runs);
	ASSERT_FALSE(c.hypercall_completes);
	ASSERT_EQ(c.binding, PM_VM_BIND_GMEM_WINDOW);
	ASSERT_EQ(c.conv_path, PM_VM_CONV_DOORBELL);
	ASSERT_U64_EQ(c.memory_attributes, 0);
}

/* Cached: the second answer is the first, and costs nothing. */
TEST(cached)
{
	struct pm_vmm_caps a = kvm_caps_or_skip(), b;
	double t0 = now_ms();

	ASSERT_OK(pm_vmm_probe(&b));
	ASSERT_LT(now_ms() - t0, 5.0);
	ASSERT_EQ(memcmp(&a, &b, sizeof(a)), 0);
	ASSERT_ERR(EINVAL, pm_vmm_probe(NULL));
}

/* The probes leave no fd, mapping or thread behind. */
TEST(probe_leaves_nothing)
{
	struct proc_snap s0, s1;
	struct pm_vmm_caps c;

	proc_snapshot(&s0);
	ASSERT_OK(pm_vmm_probe(&c));
	proc_snapshot(&s1);
	if (!c.kvm)
		SKIP("KVM unusable: %s", c.why_not);
	ASSERT_SNAP_EQ(&s0, &s1);
}

TEST_MAIN()
