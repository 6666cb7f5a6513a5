// SPDX-License-Identifier: MIT
/*
 * The VMM (lib/vmm) under every injected failure: the I/O bus (create, add
 * a device, map a range, unmap it, dispatch, a DMA engine's doorbell), the
 * DMA engine and the trusted DMA engine created on a bus without KVM, the
 * host probe, and, on a VM, creation (a bare VM; every device and two
 * vCPUs; the doorbell conversion path), load, boot, conversion both ways,
 * memslots (map_fd, map_gmem of a guest_memfd store of the VM, unmap_fd)
 * and the stats and vCPU accessors. Each call succeeds when nothing fails;
 * a call that failed must have changed nothing observable:
 *
 *   - creations (bus, VM): the process (the sweep checks fds): its threads,
 *     its mappings (/proc/self/maps lines), the kick signal's disposition
 *     (the library installs a handler while a VM exists);
 *   - the bus: its stats (less what the digest's own probes add), what a
 *     read at each probe address gives (claimed by which model, or not),
 *     which models a bus reset reaches, and which were released;
 *   - the engines: the bus as above, and the id the next object of the
 *     iommufd context gets (a device bound and left behind shows there);
 *   - a VM: its stats (conversion_errors aside: a failed conversion counts
 *     one, which the run checks), each vCPU's state, the state and pin
 *     count of every RAM page, the content of the pages a call writes,
 *     what a device attached to the VM's IOAS reads at probe GPAs (shared
 *     pages are translated, private ones fault), which probe GPAs a new
 *     memslot can take, the private MMIO and BAR slots.
 * A failed boot may have populated some of RAM (boot is not atomic and
 * says nothing of it); what matters is that it can be retried: teardown
 * boots again after a failed boot and expects success.
 *
 * The probe runs once per process and caches its answer, so it is swept
 * one process per point: the child fails point n, then probes again
 * without injection; that second answer must be the host's true one (a
 * failure must not be cached as a host that can do less), and a first
 * answer given with a fault fired must be an error or the true one.
 *
 * VM scenarios need /dev/kvm and a KVM with guest_memfd memslots: without
 * them they SKIP with the probe's reason. vCPU threads are not injected
 * (points count per thread) and pm_vm_start/wait run a guest, so they are
 * left to tests/kvm. A VM with everything takes ~2 ms to create here, so
 * every sweep uses the smallest VM of its kind (4 MiB).
 */
#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <privmem/device.h>
#include <privmem/gmem.h>
#include <privmem/iommufd.h>
#include <privmem/protfd.h>
#include <privmem/vmm.h>
#include <privmem/uapi/iommufd.h>
#include "fail_nth.h"

#define PG 4096ULL
#define VM_MEM (4ULL << 20)
#define NPAGES (VM_MEM / PG)
#define STORE_PAGES 64
#define PIO 0x100
#define MMIO 0xd0000000ULL
#define MAP_GPA 0xd8000000ULL /* where map_fd / map_gmem put memory */
#define LOAD_GPA 0x200000ULL
#define CONV_GPA 0x300000ULL
#define CONV_LEN (4 * PG)
#define NMODELS 4

/* ------------------------------------------------------------ models */

struct model {
	int id;
	uint32_t value; /* what a read returns */
	int resets, releases;
};

static int model_access(void *opaque, enum pm_io_space space, uint64_t off,
			void *data, unsigned int len, bool write)
{
	struct model *m = opaque;
	uint64_t v = m->value + off;

	if (!write)
		memcpy(data, &v, len);
	return 0;
}

static void model_reset(void *opaque)
{
	((struct model *)opaque)->resets++;
}

static void model_release(void *opaque)
{
	((struct model *)opaque)->releases++;
}

static const struct pm_iodev_ops model_ops = {
	.access = model_access,
	.reset = model_reset,
	.release = model_release,
};

/* ------------------------------------------------------------ fixture */

struct fx {
	/* The bus side, without KVM. */
	struct pm_gmem *g;
	struct pm_iommufd *ictx;
	uint32_t ioas;
	struct pm_iobus *bus;
	struct model m[NMODELS];
	struct pm_iodev *dev[NMODELS];
	int nmodels;
	struct pm_iodev *new_dev;
	struct pm_protfd *new_pf;
	struct pm_iobus_stats own; /* what the digests' probes added */

	/* The VM side. */
	struct pm_vm_config cfg;
	struct pm_vm *vm;
	struct pm_device *probe_dev; /* on the VM's IOAS */
	struct pm_gmem *extra; /* a guest_memfd store of the VM */
	int memfd;
	int probe_fd; /* a 4 KiB memfd the digest tries memslots with */
	uint32_t slot;
	bool slot_made;
	uint64_t conv_errors; /* the VM's, before the run */
	bool booting; /* a boot scenario: teardown retries a failed one */
	int rc; /* the run's result */
};

static struct fx the_fx;
static struct pm_vm_config cur_cfg;

static void quiet(void *opaque, enum pm_log_level level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static struct fx *fx_init(void)
{
	struct fx *fx = &the_fx;
	int i;

	memset(fx, 0, sizeof(*fx));
	fx->memfd = fx->probe_fd = -1;
	fx->slot = UINT32_MAX;
	for (i = 0; i < NMODELS; i++)
		fx->m[i] = (struct model){ .id = i, .value = 0x1000 * (i + 1) };
	return fx;
}

static void *setup_empty(void)
{
	return fx_init();
}

static void add_model(struct fx *fx, uint64_t pio, uint64_t mmio)
{
	int i = fx->nmodels++;
	char name[16];

	snprintf(name, sizeof(name), "model%d", i);
	ASSERT_OK(pm_iobus_add_device(fx->bus, name, &model_ops, &fx->m[i],
				      &fx->dev[i]));
	if (pio)
		ASSERT_OK(pm_iodev_map(fx->dev[i], PM_IO_PIO, pio, 16));
	if (mmio)
		ASSERT_OK(pm_iodev_map(fx->dev[i], PM_IO_MMIO, mmio, 0x100));
}

/* A bus with model 0 at PIO and MMIO. */
static void *setup_bus(void)
{
	struct fx *fx = fx_init();

	ASSERT_OK(pm_iobus_create(&fx->bus));
	add_model(fx, PIO, MMIO);
	return fx;
}

/* And model 1, on the bus but not mapped yet. */
static void *setup_bus_unmapped(void)
{
	struct fx *fx = setup_bus();

	add_model(fx, 0, 0);
	return fx;
}

/* A memfd store (shared), an IOAS holding it at IOVA 0, a bus. */
static void *setup_engine_env(void)
{
	struct fx *fx = setup_bus();
	struct pm_gmem_config gc = {
		.backend = PM_GMEM_MEMFD,
		.size = STORE_PAGES * PG,
		.vm_fd = -1,
		.fd = -1,
		.name = "vmm-fail-nth",
	};
	uint64_t iova = 0;
	int i;

	ASSERT_OK(pm_gmem_create(&gc, &fx->g));
	for (i = 0; i < (int)STORE_PAGES; i++)
		memset((uint8_t *)pm_gmem_host_view(fx->g) + i * PG, i + 1,
		       PG);
	ASSERT_OK(pm_gmem_convert(fx->g, 8 * PG, 8 * PG, PM_GMEM_PRIVATE, 0,
				  NULL));
	ASSERT_OK(pm_iommufd_open(&fx->ictx));
	ASSERT_OK(pm_ioas_alloc(fx->ictx, &fx->ioas));
	ASSERT_OK(pm_ioas_map_gmem(fx->ictx, fx->ioas, fx->g, 0,
				   STORE_PAGES * PG, &iova,
				   IOMMU_IOAS_MAP_FIXED_IOVA |
					   IOMMU_IOAS_MAP_READABLE |
					   IOMMU_IOAS_MAP_WRITEABLE));
	return fx;
}

/* The DMA engine, programmed to copy page 1 to page 2 (both shared). */
static void *setup_engine(void)
{
	struct fx *fx = setup_engine_env();
	uint64_t v;

	ASSERT_OK(pm_dma_engine_create(fx->bus, fx->ictx, fx->ioas,
				       PM_DMA_PIO_BASE, PM_DMA_MMIO_BASE,
				       &fx->new_dev));
	v = PG;
	ASSERT_OK(pm_iobus_dispatch(fx->bus, PM_IO_MMIO,
				    PM_DMA_MMIO_BASE + PM_DMA_SRC, &v, 8,
				    true));
	v = 2 * PG;
	ASSERT_OK(pm_iobus_dispatch(fx->bus, PM_IO_MMIO,
				    PM_DMA_MMIO_BASE + PM_DMA_DST, &v, 8,
				    true));
	v = PG;
	ASSERT_OK(pm_iobus_dispatch(fx->bus, PM_IO_MMIO,
				    PM_DMA_MMIO_BASE + PM_DMA_LEN, &v, 4,
				    true));
	return fx;
}

/* ------------------------------------------------------------ VM setup */

/* SKIP (with the probe's reason) where no VM can be made. */
static void need_kvm(void)
{
	struct pm_vmm_caps c;

	pm_set_log(quiet, NULL, PM_LOG_ERR);
	ASSERT_OK(pm_vmm_probe(&c));
	if (!c.kvm)
		SKIP("KVM unusable: %s", c.why_not);
	if (!c.guest_memfd || !c.user_memory2)
		SKIP("KVM lacks guest_memfd memslots");
}

static void vm_config(uint32_t flags, unsigned int vcpus)
{
	memset(&cur_cfg, 0, sizeof(cur_cfg));
	cur_cfg.mem_size = VM_MEM;
	cur_cfg.nr_vcpus = vcpus;
	cur_cfg.backend = PM_GMEM_GUEST_MEMFD;
	cur_cfg.flags = flags;
}

static void *setup_no_vm(void)
{
	struct fx *fx = fx_init();

	fx->cfg = cur_cfg;
	return fx;
}

static void *setup_vm(void)
{
	struct fx *fx = setup_no_vm();
	struct pm_vm_stats st;
	uint32_t pt;

	ASSERT_OK(pm_vm_create(&fx->cfg, &fx->vm));
	ASSERT_OK(pm_device_create(pm_vm_iommufd(fx->vm), "probe",
				   &fx->probe_dev, NULL));
	pt = pm_vm_ioas(fx->vm);
	ASSERT_OK(pm_device_attach(fx->probe_dev, &pt));
	fx->probe_fd = memfd_create("vmm-fail-nth-probe", MFD_CLOEXEC);
	ASSERT_TRUE(fx->probe_fd >= 0);
	ASSERT_OK(ftruncate(fx->probe_fd, PG));
	ASSERT_OK(pm_vm_get_stats(fx->vm, &st));
	fx->conv_errors = st.conversion_errors;
	return fx;
}

/* [CONV_GPA, + CONV_LEN) shared, and the page after it too. */
static void *setup_vm_shared(void)
{
	struct fx *fx = setup_vm();
	struct pm_vm_stats st;

	ASSERT_OK(pm_vm_convert(fx->vm, CONV_GPA, CONV_LEN + PG,
				PM_GMEM_SHARED));
	ASSERT_OK(pm_vm_get_stats(fx->vm, &st));
	fx->conv_errors = st.conversion_errors;
	return fx;
}

static void *setup_vm_memfd(void)
{
	struct fx *fx = setup_vm();

	fx->memfd = memfd_create("vmm-fail-nth-bar", MFD_CLOEXEC);
	ASSERT_TRUE(fx->memfd >= 0);
	ASSERT_OK(ftruncate(fx->memfd, 16 * PG));
	return fx;
}

static void *setup_vm_slot(void)
{
	struct fx *fx = setup_vm_memfd();

	ASSERT_OK(pm_vm_map_fd(fx->vm, MAP_GPA, 16 * PG, fx->memfd, 0, true,
			       &fx->slot));
	fx->slot_made = true;
	return fx;
}

/* A guest_memfd store of the VM, all private, as private MMIO is. */
static void *setup_vm_extra(void)
{
	struct fx *fx = setup_vm();
	struct pm_gmem_config gc = {
		.backend = PM_GMEM_GUEST_MEMFD,
		.size = 16 * PG,
		.flags = PM_GMEM_F_INIT_PRIVATE,
		.vm_fd = pm_vm_fd(fx->vm),
		.fd = -1,
		.name = "vmm-fail-nth-extra",
	};
	void *win;

	ASSERT_OK(pm_gmem_create(&gc, &fx->extra));
	/*
	 * The store's KVM window (where the binding uses one) is made at
	 * first use and kept for the store's life: a failed map_gmem that
	 * made it has left what a successful map and unmap leave. Made here,
	 * so that the digest's count of mappings is exact for the rest.
	 */
	ASSERT_OK(pm_gmem_kvm_window(fx->extra, &win));
	return fx;
}

/* ------------------------------------------------------------ digest */

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int k = 0;

	if (!d)
		FAIL("opendir %s", path);
	while ((e = readdir(d)))
		k += e->d_name[0] != '.';
	closedir(d);
	return k;
}

/*
 * Mappings of files (memfds, guest_memfds, vCPUs' kvm_run): the lines of
 * /proc/self/maps with an inode. Anonymous ones come and go with malloc.
 */
static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	unsigned long ino;
	int k = 0;

	if (!f)
		FAIL("fopen /proc/self/maps");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %lu", &ino) == 1 && ino)
			k++;
	fclose(f);
	return k;
}

static size_t digest_process(char *out, size_t len)
{
	struct sigaction sa;
	size_t n = 0;

	sigaction(SIGRTMIN + 5, NULL, &sa);
	FN_OUT("tasks=%d maps=%d kick=%s", count_dir("/proc/self/task"),
	       count_maps(), sa.sa_handler == SIG_DFL ? "dfl" : "set");
	return n;
}

static char rc_char(int rc)
{
	switch (rc) {
	case 0:
		return 'y';
	case -ENOENT:
		return 'n';
	case -EINVAL:
		return 'i';
	case -EFAULT:
		return 'f';
	case -EEXIST:
		return 'e';
	default:
		return '?';
	}
}

/* The bus: stats, reads at the probe addresses, resets, releases. */
static size_t digest_bus(struct fx *fx, char *out, size_t len)
{
	static const struct {
		enum pm_io_space space;
		uint64_t addr;
	} probes[] = {
		{ PM_IO_PIO, PIO },
		{ PM_IO_PIO, PIO + 12 },
		{ PM_IO_PIO, 0x200 },
		{ PM_IO_PIO, PM_DMA_PIO_BASE + PM_DMA_STATUS },
		{ PM_IO_PIO, PM_DMA_PIO_BASE + PM_DMA_COUNT },
		{ PM_IO_MMIO, MMIO },
		{ PM_IO_MMIO, MMIO + 0x1000 },
		{ PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_STATUS },
		{ PM_IO_MMIO, PM_DMA_MMIO_BASE + PM_DMA_COUNT },
		{ PM_IO_MMIO, PM_TDEV_MMIO_BASE + PM_TDEV_STATE },
	};
	struct pm_iobus_stats a, b;
	size_t n = 0, i;
	int resets[NMODELS], k;

	ASSERT_OK(pm_iobus_get_stats(fx->bus, &a));
	FN_OUT(" bus: pio=%llu mmio=%llu unclaimed=%llu errors=%llu",
	       (unsigned long long)(a.pio - fx->own.pio),
	       (unsigned long long)(a.mmio - fx->own.mmio),
	       (unsigned long long)(a.unclaimed - fx->own.unclaimed),
	       (unsigned long long)(a.errors - fx->own.errors));
	FN_OUT(" reads:");
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint32_t v = 0xdeadbeef;
		int rc = pm_iobus_dispatch(fx->bus, probes[i].space,
					   probes[i].addr, &v, 4, false);

		FN_OUT(" %c%x", rc_char(rc), rc ? 0 : v);
	}
	ASSERT_OK(pm_iobus_get_stats(fx->bus, &b));
	fx->own.pio += b.pio - a.pio;
	fx->own.mmio += b.mmio - a.mmio;
	fx->own.unclaimed += b.unclaimed - a.unclaimed;
	fx->own.errors += b.errors - a.errors;
	for (k = 0; k < NMODELS; k++)
		resets[k] = fx->m[k].resets;
	/* Only models are reset: an engine's reset would clear its regs. */
	if (!fx->ictx)
		pm_iobus_reset(fx->bus);
	FN_OUT(" reset/released:");
	for (k = 0; k < NMODELS; k++)
		FN_OUT(" %d/%d", fx->m[k].resets - resets[k], fx->m[k].releases);
	return n;
}

static void digest_bus_only(void *p, char *out, size_t len)
{
	digest_bus(p, out, len);
}

/* The bus, and the id the next object of the iommufd context gets. */
static void digest_engine(void *p, char *out, size_t len)
{
	struct fx *fx = p;
	uint32_t id;
	size_t n;

	ASSERT_OK(pm_ioas_alloc(fx->ictx, &id));
	ASSERT_OK(pm_iommufd_destroy(fx->ictx, id));
	n = (size_t)snprintf(out, len, "next_id=%u", id);
	n += digest_bus(fx, out + n, len - n);
	n += (size_t)snprintf(out + n, len - n, " store:");
	for (id = 0; id < STORE_PAGES && n < len; id++)
		n += (size_t)snprintf(
			out + n, len - n, "%c%d",
			pm_gmem_is_private(fx->g, id * PG) == 1 ? 'P' : 'S',
			pm_gmem_pin_count(fx->g, id * PG));
	if (n < len)
		snprintf(out + n, len - n, " page2=%02x",
			 ((uint8_t *)pm_gmem_host_view(fx->g))[2 * PG + 7]);
}

static void digest_process_only(void *p, char *out, size_t len)
{
	size_t n = digest_process(out, len);

	(void)p;
	if (n < len)
		snprintf(out + n, len - n, " ");
}

/* A RAM page's content through a get_pfn hold ('-' if not mappable). */
static void page_sum(struct pm_gmem *g, uint64_t off, char *buf, size_t len)
{
	struct pm_gmem_page pg;

	if (pm_gmem_is_private(g, off) != 1) {
		snprintf(buf, len, "%08x",
			 fail_nth_cksum((uint8_t *)pm_gmem_host_view(g) + off, PG));
		return;
	}
	ASSERT_OK(pm_gmem_get_pfn(g, off, 0, &pg));
	if (pg.ptr)
		snprintf(buf, len, "%08x",
			 fail_nth_cksum((uint8_t *)pg.ptr + (off - pg.offset), PG));
	else
		snprintf(buf, len, "-");
	pm_gmem_put_pfn(g, &pg);
}

static void digest_vm(void *p, char *out, size_t len)
{
	static const uint64_t gpas[] = { 0, LOAD_GPA, CONV_GPA - PG, CONV_GPA,
					 CONV_GPA + CONV_LEN - PG,
					 CONV_GPA + CONV_LEN,
					 CONV_GPA + CONV_LEN + PG };
	static const uint64_t slot_gpas[] = { MAP_GPA, MAP_GPA + 15 * PG,
					      MAP_GPA + 16 * PG, PM_BAR_GPA,
					      PM_TDEV_PMMIO_GPA, VM_MEM - PG };
	struct fx *fx = p;
	struct pm_gmem *g = pm_vm_gmem(fx->vm);
	struct pm_dma_fault f[64];
	struct pm_vm_stats st;
	char sum[16];
	size_t n = digest_process(out, len);
	uint32_t bar_slot = UINT32_MAX;
	unsigned int i;
	char c = 0;
	int run = 0;

	ASSERT_OK(pm_vm_get_stats(fx->vm, &st));
	FN_OUT(" conv=%llu/%llu faults=%llu ioas_maps=%llu exits=%llu "
	       "reports=%llu",
	       (unsigned long long)st.conversions,
	       (unsigned long long)st.bytes_converted,
	       (unsigned long long)st.memory_faults,
	       (unsigned long long)st.ioas_maps, (unsigned long long)st.exits,
	       (unsigned long long)st.reports);
	for (i = 0; i < pm_vm_nr_vcpus(fx->vm); i++) {
		struct pm_vcpu_info in;

		ASSERT_OK(pm_vm_vcpu_info(fx->vm, i, &in));
		FN_OUT(" vcpu%u=%d/%llu", i, in.state,
		       (unsigned long long)in.exits);
	}
	/* Every RAM page's state and pins, run-length coded. */
	FN_OUT(" ram:");
	for (i = 0; i <= NPAGES; i++) {
		char d = 0;

		if (i < NPAGES)
			d = (pm_gmem_is_private(g, i * PG) == 1 ? 'P' : 'S') +
			    (pm_gmem_pin_count(g, i * PG) ? 'a' - 'A' : 0);
		if (d == c) {
			run++;
			continue;
		}
		if (c)
			FN_OUT("%d%c", run, c);
		c = d;
		run = 1;
	}
	FN_OUT(" pages:");
	for (i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++) {
		uint8_t b[16];
		int rc;

		page_sum(g, gpas[i], sum, sizeof(sum));
		rc = pm_dma_read(fx->probe_dev, gpas[i], b, sizeof(b));
		FN_OUT(" %s%c", sum, rc_char(rc));
	}
	pm_device_read_faults(fx->probe_dev, f, 64);
	FN_OUT(" slots:");
	for (i = 0; i < sizeof(slot_gpas) / sizeof(slot_gpas[0]); i++) {
		uint32_t s;
		int rc = pm_vm_map_fd(fx->vm, slot_gpas[i], PG, fx->probe_fd,
				      0, false, &s);

		if (!rc)
			ASSERT_OK(pm_vm_unmap_fd(fx->vm, s));
		FN_OUT("%c", rc_char(rc));
	}
	pm_vm_bar_device(fx->vm, &bar_slot);
	FN_OUT(" pmmio=%d bar=%d", (int)pm_vm_private_mmio_slot(fx->vm),
	       (int)bar_slot);
	if (fx->extra)
		FN_OUT(" extra_pins=%d", pm_gmem_pin_count(fx->extra, 0));
}

/* ------------------------------------------------------------ teardown */

static void teardown(void *p)
{
	struct fx *fx = p;

	if (fx->vm && fx->booting && fx->rc < 0) {
		const void *img;
		uint64_t len;

		pm_vmm_test_guest(&img, &len);
		ASSERT_OK(pm_vm_boot(fx->vm, img, len, NULL, 0));
	}
	if (fx->vm && fx->slot_made)
		ASSERT_OK(pm_vm_unmap_fd(fx->vm, fx->slot));
	pm_device_destroy(fx->probe_dev);
	pm_vm_destroy(fx->vm);
	pm_gmem_close(fx->extra);
	if (fx->memfd >= 0)
		close(fx->memfd);
	if (fx->probe_fd >= 0)
		close(fx->probe_fd);
	pm_iobus_destroy(fx->bus);
	pm_iommufd_close(fx->ictx);
	pm_gmem_close(fx->g);
	memset(fx, 0, sizeof(*fx));
}

/* ------------------------------------------------------------ runs */

static int run_iobus_create(void *p)
{
	return pm_iobus_create(&((struct fx *)p)->bus);
}

static int run_add_device(void *p)
{
	struct fx *fx = p;
	int rc = pm_iobus_add_device(fx->bus, "new-model", &model_ops,
				     &fx->m[1], &fx->new_dev);

	/* Not the bus's on failure: the release hook must not have run. */
	ASSERT_EQ(fx->m[1].releases, 0);
	return rc;
}

static int run_iodev_map(void *p)
{
	struct fx *fx = p;

	return pm_iodev_map(fx->dev[1], PM_IO_PIO, 0x200, 8);
}

static int run_iodev_map_mmio(void *p)
{
	struct fx *fx = p;

	return pm_iodev_map(fx->dev[1], PM_IO_MMIO, MMIO + 0x1000, PG);
}

static int run_iodev_unmap(void *p)
{
	struct fx *fx = p;

	return pm_iodev_unmap(fx->dev[0], PM_IO_MMIO, MMIO);
}

static int run_dispatch(void *p)
{
	struct fx *fx = p;
	uint32_t v = 7;

	return pm_iobus_dispatch(fx->bus, PM_IO_PIO, PIO + 4, &v, 4, true);
}

/* The engine's doorbell: a DMA copy of page 1 to page 2. */
static int run_doorbell(void *p)
{
	struct fx *fx = p;
	uint32_t v = PM_DMA_GO;

	return pm_iobus_dispatch(fx->bus, PM_IO_MMIO,
				 PM_DMA_MMIO_BASE + PM_DMA_DOORBELL, &v, 4,
				 true);
}

static int run_dma_engine_create(void *p)
{
	struct fx *fx = p;

	return pm_dma_engine_create(fx->bus, fx->ictx, fx->ioas,
				    PM_DMA_PIO_BASE, PM_DMA_MMIO_BASE,
				    &fx->new_dev);
}

static int run_trusted_engine_create(void *p)
{
	struct fx *fx = p;

	return pm_trusted_dma_engine_create(fx->bus, fx->ictx, fx->ioas, fx->g,
					    0, PM_TDEV_MMIO_BASE,
					    &fx->new_dev, &fx->new_pf);
}

static int run_vm_create(void *p)
{
	struct fx *fx = p;
	int rc = pm_vm_create(&fx->cfg, &fx->vm);

	if (rc)
		fx->vm = NULL;
	return rc;
}

static int run_vm_load(void *p)
{
	struct fx *fx = p;
	uint8_t src[2 * PG];

	memset(src, 0x5a, sizeof(src));
	return pm_vm_load(fx->vm, LOAD_GPA + 100, src, sizeof(src));
}

static int run_vm_boot(void *p)
{
	struct fx *fx = p;
	struct pm_guest_params params;
	const void *img;
	uint64_t len;

	pm_vmm_test_guest(&img, &len);
	ASSERT_OK(pm_vm_test_params(fx->vm, 0, &params));
	fx->booting = true;
	fx->rc = pm_vm_boot(fx->vm, img, len, &params, sizeof(params));
	return fx->rc;
}

/* A failed conversion counts one error, a successful one none. */
static int convert_checked(struct fx *fx, enum pm_gmem_state to)
{
	struct pm_vm_stats st;
	int rc = pm_vm_convert(fx->vm, CONV_GPA, CONV_LEN, to);

	ASSERT_OK(pm_vm_get_stats(fx->vm, &st));
	ASSERT_EQ(st.conversion_errors, fx->conv_errors + (rc < 0));
	return rc;
}

static int run_vm_to_shared(void *p)
{
	return convert_checked(p, PM_GMEM_SHARED);
}

static int run_vm_to_private(void *p)
{
	return convert_checked(p, PM_GMEM_PRIVATE);
}

static int run_vm_map_fd(void *p)
{
	struct fx *fx = p;
	int rc = pm_vm_map_fd(fx->vm, MAP_GPA, 16 * PG, fx->memfd, 0, true,
			      &fx->slot);

	fx->slot_made = !rc;
	return rc;
}

static int run_vm_map_gmem(void *p)
{
	struct fx *fx = p;
	int rc = pm_vm_map_gmem(fx->vm, MAP_GPA, fx->extra, 0, 16 * PG,
				&fx->slot);

	fx->slot_made = !rc;
	return rc;
}

static int run_vm_unmap_fd(void *p)
{
	struct fx *fx = p;
	int rc = pm_vm_unmap_fd(fx->vm, fx->slot);

	fx->slot_made = rc < 0;
	return rc;
}

static int run_vm_get_stats(void *p)
{
	struct pm_vm_stats st;

	return pm_vm_get_stats(((struct fx *)p)->vm, &st);
}

static int run_vm_vcpu_info(void *p)
{
	struct fx *fx = p;
	struct pm_vcpu_info in;
	unsigned int i;
	int rc = 0;

	for (i = 0; !rc && i < pm_vm_nr_vcpus(fx->vm); i++)
		rc = pm_vm_vcpu_info(fx->vm, i, &in);
	return rc;
}

/* ------------------------------------------------------------ sweeps */

static unsigned long sweep(const char *name, void *(*setup)(void),
			   int (*run)(void *),
			   void (*digest)(void *, char *, size_t))
{
	struct fail_nth_scenario s = {
		.name = name,
		.setup = setup,
		.run = run,
		.digest = digest,
		.teardown = teardown,
	};

	pm_set_log(quiet, NULL, PM_LOG_ERR);
	return fail_nth_sweep(&s);
}

/* The bus, without KVM. */
TEST(iobus_create)
{
	ASSERT_GT(sweep("iobus_create", setup_empty, run_iobus_create,
			digest_process_only),
		  0);
}

TEST(iobus_add_device)
{
	ASSERT_GT(sweep("iobus_add_device", setup_bus, run_add_device,
			digest_bus_only),
		  1);
}

TEST(iodev_map)
{
	ASSERT_GT(sweep("iodev_map", setup_bus_unmapped, run_iodev_map,
			digest_bus_only),
		  0);
}

TEST(iodev_map_mmio)
{
	ASSERT_GT(sweep("iodev_map_mmio", setup_bus_unmapped,
			run_iodev_map_mmio, digest_bus_only),
		  0);
}

TEST(iodev_unmap)
{
	sweep("iodev_unmap", setup_bus, run_iodev_unmap, digest_bus_only);
}

TEST(iobus_dispatch)
{
	sweep("iobus_dispatch", setup_bus, run_dispatch, digest_bus_only);
}

TEST(dma_engine_doorbell)
{
	sweep("dma_engine_doorbell", setup_engine, run_doorbell,
	      digest_engine);
}

TEST(dma_engine_create)
{
	ASSERT_GT(sweep("dma_engine_create", setup_engine_env,
			run_dma_engine_create, digest_engine),
		  3);
}

TEST(trusted_dma_engine_create)
{
	ASSERT_GT(sweep("trusted_dma_engine_create", setup_engine_env,
			run_trusted_engine_create, digest_engine),
		  3);
}

/* The VM. */
TEST(vm_create)
{
	need_kvm();
	vm_config(0, 1);
	ASSERT_GT(sweep("vm_create", setup_no_vm, run_vm_create,
			digest_process_only),
		  10);
}

TEST(vm_create_devices)
{
	need_kvm();
	vm_config(PM_VM_F_DMA_ENGINE | PM_VM_F_TRUSTED_DEV | PM_VM_F_BAR_DEV,
		  2);
	ASSERT_GT(sweep("vm_create_devices", setup_no_vm, run_vm_create,
			digest_process_only),
		  10);
}

#define VM_SWEEP(name_, setup_, flags_, min_)                                  \
	TEST(name_)                                                            \
	{                                                                      \
		need_kvm();                                                    \
		vm_config(flags_, 1);                                          \
		ASSERT_GE(sweep(#name_, setup_, run_##name_, digest_vm),       \
			  min_);                                               \
	}

VM_SWEEP(vm_load, setup_vm, 0, 1)
VM_SWEEP(vm_boot, setup_vm, 0, 1)
VM_SWEEP(vm_to_shared, setup_vm, 0, 1)
VM_SWEEP(vm_to_private, setup_vm_shared, 0, 1)
/* With the DMA engine, the trusted engine and the BAR device. */
TEST(vm_to_shared_devices)
{
	need_kvm();
	vm_config(PM_VM_F_DMA_ENGINE | PM_VM_F_TRUSTED_DEV | PM_VM_F_BAR_DEV,
		  1);
	ASSERT_GE(sweep("vm_to_shared_devices", setup_vm, run_vm_to_shared,
			digest_vm),
		  1);
}

VM_SWEEP(vm_map_fd, setup_vm_memfd, 0, 1)
VM_SWEEP(vm_map_gmem, setup_vm_extra, 0, 1)
VM_SWEEP(vm_unmap_fd, setup_vm_slot, 0, 0)
VM_SWEEP(vm_get_stats, setup_vm, 0, 0)
VM_SWEEP(vm_vcpu_info, setup_vm, 0, 0)

/* ------------------------------------------------------------ the probe */

struct probe_answer {
	int rc, rc2;
	bool fired;
	struct pm_vmm_caps c, c2;
	char fds0[512], fds1[512];
};

/* The fields of an answer that describe the host (not timings, texts). */
static bool caps_equal(const struct pm_vmm_caps *a, const struct pm_vmm_caps *b)
{
	return a->kvm == b->kvm && !strcmp(a->kvm_module, b->kvm_module) &&
	       a->guest_memfd == b->guest_memfd &&
	       a->guest_memfd_flags == b->guest_memfd_flags &&
	       a->user_memory2 == b->user_memory2 &&
	       a->memory_attributes == b->memory_attributes &&
	       a->vm_types == b->vm_types &&
	       a->exit_hypercall == b->exit_hypercall &&
	       a->memory_fault_info == b->memory_fault_info &&
	       a->max_vcpus == b->max_vcpus && a->amd == b->amd &&
	       a->gmem_only_runs == b->gmem_only_runs &&
	       a->hypercall_completes == b->hypercall_completes &&
	       a->binding == b->binding && a->enforcement == b->enforcement &&
	       a->conv_path == b->conv_path;
}

static void caps_str(const struct pm_vmm_caps *c, char *buf, size_t len)
{
	snprintf(buf, len,
		 "kvm=%d gmem=%d/%llx um2=%d attrs=%llx types=%llx xhc=%d "
		 "mfi=%d maxv=%d gonly=%d hc=%d binding=%d conv=%d amd=%d "
		 "module=%s enforce=%d (%s)",
		 c->kvm, c->guest_memfd,
		 (unsigned long long)c->guest_memfd_flags, c->user_memory2,
		 (unsigned long long)c->memory_attributes,
		 (unsigned long long)c->vm_types, c->exit_hypercall,
		 c->memory_fault_info, c->max_vcpus, c->gmem_only_runs,
		 c->hypercall_completes, c->binding, c->conv_path, c->amd,
		 c->kvm_module, c->enforcement, c->why_not);
}

/* In a child: probe with point @nth failing (0: none), then again. */
static struct probe_answer probe_in_child(unsigned long nth)
{
	struct probe_answer a;
	int pfd[2];
	pid_t pid;
	int st;

	memset(&a, 0, sizeof(a));
	if (pipe(pfd))
		FAIL("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		FAIL("fork");
	if (!pid) {
		close(pfd[0]);
		pm_set_log(quiet, NULL, PM_LOG_ERR);
		fail_nth_fds(a.fds0, sizeof(a.fds0));
		if (nth)
			pm_fault_arm(nth);
		a.rc = pm_vmm_probe(&a.c);
		a.fired = pm_fault_fired();
		pm_fault_disarm();
		a.rc2 = pm_vmm_probe(&a.c2);
		fail_nth_fds(a.fds1, sizeof(a.fds1));
		if (write(pfd[1], &a, sizeof(a)) != sizeof(a))
			_exit(2);
		exit(0); /* LeakSanitizer checks the child */
	}
	close(pfd[1]);
	if (read(pfd[0], &a, sizeof(a)) != sizeof(a))
		FAIL("probe child %lu: no answer", nth);
	close(pfd[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("probe child %lu died (status 0x%x)", nth, st);
	return a;
}

TEST(vmm_probe)
{
	struct probe_answer ref = probe_in_child(0), a;
	char s1[512], s2[512];
	unsigned long n;

	ASSERT_OK(ref.rc);
	if (!ref.c.kvm)
		SKIP("KVM unusable: %s", ref.c.why_not);
	for (n = 1; n < FAIL_NTH_MAX; n++) {
		a = probe_in_child(n);
		if (strcmp(a.fds0, a.fds1))
			FAIL("vmm_probe: point %lu leaked fds: [%s] -> [%s]", n,
			     a.fds0, a.fds1);
		if (!a.fired) {
			ASSERT_OK(a.rc);
			if (!caps_equal(&a.c, &ref.c))
				FAIL("vmm_probe: the host's answer changed");
			break;
		}
		ASSERT_OK(a.rc2);
		if (!caps_equal(&a.c2, &ref.c)) {
			caps_str(&ref.c, s1, sizeof(s1));
			caps_str(&a.c2, s2, sizeof(s2));
			FAIL("vmm_probe: point %lu (first call %d): a later "
			     "probe answers\n  %s\ninstead of\n  %s",
			     n, a.rc, s2, s1);
		}
		if (!a.rc && !caps_equal(&a.c, &ref.c)) {
			caps_str(&ref.c, s1, sizeof(s1));
			caps_str(&a.c, s2, sizeof(s2));
			FAIL("vmm_probe: point %lu failed, the probe "
			     "answered\n  %s\ninstead of\n  %s",
			     n, s2, s1);
		}
	}
	printf("# vmm_probe: %lu injection points swept\n", n - 1);
	ASSERT_GT(n - 1, 5);
}

TEST_MAIN()
