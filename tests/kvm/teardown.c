// SPDX-License-Identifier: MIT
/*
 * Teardown leaves nothing: after pm_vm_destroy() the process has the fds,
 * the mappings (of guest-memory files and VM objects; nothing left in the
 * KVM window's range) and the threads it had before (/proc/self/task,
 * where KVM's worker task for the VM shows too),
 * whether the guest finished, never started, is stuck in an endless loop,
 * spins on a hypercall this KVM never completes, or is converting on every
 * vCPU. And every injected failure in creation, boot and start leaves
 * nothing either. SKIPs without KVM.
 */
#include <pthread.h>
#include "kvm/kvm_utils.h"

#define MEM (36 * MiB)

/* The KVM window's range (the store makes it once; this returns it). */
static void *window_of(struct pm_vm *vm)
{
	void *w = NULL;

	ASSERT_OK(pm_gmem_kvm_window(pm_vm_gmem(vm), &w));
	return w;
}

static void destroy_clean(struct guest_vm *gv, const struct proc_snap *s0)
{
	void *w = window_of(gv->vm);
	struct proc_snap s1;
	double t0 = now_ms();

	ASSERT_GT(maps_in(w, MEM), 0);
	pm_vm_destroy(gv->vm);
	ASSERT_LT(now_ms() - t0, 2000);
	proc_snapshot(&s1);
	ASSERT_SNAP_EQ(s0, &s1);
	ASSERT_EQ(maps_in(w, MEM), 0);
}

TEST(after_a_full_run)
{
	struct proc_snap s0, s1;
	struct guest_vm gv;

	kvm_caps_or_skip();
	proc_snapshot(&s0);
	ASSERT_OK(guest_vm_create(&gv, MEM, 2, PM_GMEM_GUEST_MEMFD,
				  ALL_DEVICES));
	proc_snapshot(&s1);
	/* Sanity: the snapshot sees a VM (vCPU fds, the window). */
	ASSERT_GT(s1.maps, s0.maps);
	ASSERT_NE(strcmp(s0.fds, s1.fds), 0);
	guest_vm_run(&gv, ALL_TESTS, 2);
	destroy_clean(&gv, &s0);
}

TEST(never_started)
{
	struct proc_snap s0;
	struct guest_vm gv;

	kvm_caps_or_skip();
	proc_snapshot(&s0);
	ASSERT_OK(guest_vm_create(&gv, MEM, 3, PM_GMEM_GUEST_MEMFD,
				  PM_VM_F_DMA_ENGINE));
	destroy_clean(&gv, &s0);
}

/* A guest in an endless loop: every vCPU is inside KVM_RUN. */
TEST(endless_loop)
{
	static const uint8_t jmp_self[] = { 0xeb, 0xfe };
	struct proc_snap s0, s1;
	struct guest_vm gv;

	kvm_caps_or_skip();
	proc_snapshot(&s0);
	ASSERT_OK(guest_vm_create(&gv, MEM, 2, PM_GMEM_GUEST_MEMFD, 0));
	ASSERT_OK(pm_vm_boot(gv.vm, jmp_self, sizeof(jmp_self), NULL, 0));
	ASSERT_OK(pm_vm_start(gv.vm));
	ASSERT_ERR(ETIMEDOUT, pm_vm_wait(gv.vm, 100));
	proc_snapshot(&s1);
	/* Two vCPU threads (and KVM's own worker task for the VM, e.g.
	 * kvm-nx-lpage-recovery, which is listed in /proc/self/task). */
	ASSERT_GE(s1.threads, s0.threads + 2);
	destroy_clean(&gv, &s0);
}

/*
 * A guest issuing the hypercall instruction where the probe saw KVM_RUN
 * spin on it: the vCPU never leaves KVM_RUN on its own, and stop still
 * gets it out.
 */
TEST(spinning_on_a_hypercall)
{
	struct pm_vmm_caps c = kvm_caps_or_skip();
	struct proc_snap s0;
	struct guest_vm gv;
	struct pm_vcpu_info in;
	const void *img;
	uint64_t len;

	if (c.hypercall_completes)
		SKIP("this KVM completes hypercalls: nothing spins");
	pm_vmm_test_guest(&img, &len);
	proc_snapshot(&s0);
	ASSERT_OK(guest_vm_create(&gv, MEM, 1, PM_GMEM_GUEST_MEMFD, 0));
	ASSERT_OK(pm_vm_test_params(gv.vm, T(PM_GT_TO_PRIVATE), &gv.params));
	gv.params.hc_mode = c.amd ? PM_HC_MODE_VMMCALL : PM_HC_MODE_VMCALL;
	ASSERT_OK(pm_vm_boot(gv.vm, img, len, &gv.params, sizeof(gv.params)));
	ASSERT_OK(pm_vm_start(gv.vm));
	ASSERT_ERR(ETIMEDOUT, pm_vm_wait(gv.vm, 200));
	ASSERT_EQ(gv.log.hellos, 1);
	ASSERT_EQ(gv.log.results[PM_GT_TO_PRIVATE], 0);
	pm_vm_stop(gv.vm);
	ASSERT_OK(pm_vm_vcpu_info(gv.vm, 0, &in));
	ASSERT_EQ(in.state, PM_VCPU_STOPPED);
	pm_vm_stop(gv.vm); /* idempotent */
	destroy_clean(&gv, &s0);
}

/* Destroy while every vCPU converts. */
static void *destroyer(void *arg)
{
	struct guest_vm *gv = arg;

	usleep(3000);
	pm_vm_destroy(gv->vm);
	return NULL;
}

TEST(while_converting)
{
	struct proc_snap s0, s1;
	struct guest_vm gv;
	const void *img;
	uint64_t len;
	pthread_t t;
	void *w;

	kvm_caps_or_skip();
	pm_vmm_test_guest(&img, &len);
	proc_snapshot(&s0);
	ASSERT_OK(guest_vm_create(&gv, MEM, 2, PM_GMEM_GUEST_MEMFD, 0));
	ASSERT_OK(pm_vm_test_params(gv.vm, T(PM_GT_MULTI_VCPU), &gv.params));
	gv.params.iterations = 100000;
	ASSERT_OK(pm_vm_boot(gv.vm, img, len, &gv.params, sizeof(gv.params)));
	ASSERT_OK(pm_vm_start(gv.vm));
	w = window_of(gv.vm);
	ASSERT_EQ(pthread_create(&t, NULL, destroyer, &gv), 0);
	pthread_join(t, NULL);
	ASSERT_EQ(maps_in(w, MEM), 0);
	proc_snapshot(&s1);
	ASSERT_SNAP_EQ(&s0, &s1);
}

/*
 * Every injection point of create, boot and start fails once: the call
 * fails, and destroy leaves the process as it was.
 */
static int create_boot_start(struct guest_vm *gv)
{
	static const uint8_t hlt[] = { 0xf4 };
	int rc;

	rc = guest_vm_create(gv, MEM, 2, PM_GMEM_GUEST_MEMFD, ALL_DEVICES);
	if (rc)
		return rc;
	rc = pm_vm_boot(gv->vm, hlt, sizeof(hlt), NULL, 0);
	if (!rc)
		rc = pm_vm_start(gv->vm);
	return rc;
}

TEST(fail_nth_create_boot_start)
{
	struct proc_snap s0, s1;
	unsigned long n, fired = 0;

	kvm_caps_or_skip(); /* probes now, not under injection */
	proc_snapshot(&s0);
	for (n = 1; n < 2000; n++) {
		struct guest_vm gv;
		bool f;
		int rc;

		pm_fault_arm(n);
		rc = create_boot_start(&gv);
		f = pm_fault_fired();
		pm_fault_disarm();
		if (gv.vm) {
			pm_vm_wait(gv.vm, 5000);
			pm_vm_destroy(gv.vm);
		}
		proc_snapshot(&s1);
		if (strcmp(s0.fds, s1.fds) || s0.maps != s1.maps ||
		    s0.threads != s1.threads)
			FAIL("point %lu (rc %d): left fds [%s] -> [%s], maps "
			     "%ld -> %ld, threads %ld -> %ld",
			     n, rc, s0.fds, s1.fds, s0.maps, s1.maps,
			     s0.threads, s1.threads);
		if (!f) {
			ASSERT_OK(rc);
			break;
		}
		fired++;
		if (rc >= 0)
			FAIL("point %lu failed but the calls succeeded", n);
	}
	printf("# %lu injection points swept\n", fired);
	ASSERT_GT(fired, 30);
}

TEST_MAIN()
