/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets (one .c file each in fuzz/), our own code.
 *
 * Each target reads its input as a small program: a byte picks an
 * operation, the bytes after it its arguments, until the input runs out
 * (reads past the end give zeros, so every input is a valid program). A
 * target keeps a model of what the library should have done and checks
 * invariants after every step; a broken invariant prints what broke and
 * aborts, which libFuzzer and the replay driver (replay.c) both report as
 * a crash with the input that caused it.
 *
 * The arena gives commands pointers of every kind the library must cope
 * with: valid memory, memory that ends in a guard page, a read-only page,
 * a large PROT_NONE reservation (a user address that is not mapped
 * readable), non-canonical and kernel addresses. "Wild" pointers are drawn
 * from these, never from the whole address space, and ranges from them are
 * clamped to stay there (fz_clamp_len): a raw 64-bit value could land in a
 * sanitizer's shadow or the fuzzer's own heap, where mapping and DMA
 * writes would corrupt the harness rather than test the library.
 */
#ifndef PRIVMEM_FUZZ_H
#define PRIVMEM_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <privmem/privmem.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Skipping. A target that cannot run on this host (fuzz/vmm_conv.c needs
 * /dev/kvm) defines fz_skip_reason(): once LLVMFuzzerInitialize() has run,
 * why not, or NULL when it can. The replay (replay.c) asks, and given a
 * reason prints it and exits 77, which meson counts as a skip. Under
 * libFuzzer nothing asks: such a target's LLVMFuzzerInitialize() exits 1
 * with the reason unless fz_replay is defined (only replay.c defines it).
 * Both weak: targets that always run leave fz_skip_reason() out.
 */
const char *fz_skip_reason(void) __attribute__((weak));
extern const bool fz_replay __attribute__((weak));

#define FZ_PG 4096ULL
#define FZ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define FZ_CHECK(cond, fmt, ...)                                               \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
				"INVARIANT BROKEN %s:%d: %s: " fmt "\n",       \
				__FILE__, __LINE__, #cond, ##__VA_ARGS__);     \
			abort();                                               \
		}                                                              \
	} while (0)

/* PM_FUZZ_TRACE=1: print each step (for reading a crashing input). */
static bool fz_trace;

#define FZ_TRACE(fmt, ...)                                                     \
	do {                                                                   \
		if (fz_trace)                                                  \
			fprintf(stderr, "# " fmt "\n", ##__VA_ARGS__);         \
	} while (0)

/* ------------------------------------------------------------ input */

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_more(const struct fz *f)
{
	return f->n > 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint64_t fz_uint(struct fz *f, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)fz_u8(f) << (8 * i);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	return (uint16_t)fz_uint(f, 2);
}

static inline uint32_t fz_u32(struct fz *f)
{
	return (uint32_t)fz_uint(f, 4);
}

static inline uint64_t fz_u64(struct fz *f)
{
	return fz_uint(f, 8);
}

/* Copy up to @len input bytes into @dst, zero-filling what is missing. */
static inline void fz_bytes(struct fz *f, void *dst, size_t len)
{
	size_t n = len < f->n ? len : f->n;

	memcpy(dst, f->p, n);
	memset((uint8_t *)dst + n, 0, len - n);
	f->p += n;
	f->n -= n;
}

/* ------------------------------------------------------------ logs */

static inline void fz_log_none(void *o, enum pm_log_level l, const char *m)
{
	(void)o;
	(void)l;
	(void)m;
}

/* The library's error logs would flood the fuzzer's output: drop them. */
static inline void fz_quiet_logs(void)
{
	pm_set_log(fz_log_none, NULL, PM_LOG_ERR);
}

/* ------------------------------------------------------------ arena */

#define FZ_DATA_SIZE (64 * 1024ULL)
#define FZ_ARG_SIZE (16 * 1024ULL)
#define FZ_RESERVE_SIZE (64ULL << 20)

/*
 * One PROT_NONE reservation of FZ_RESERVE_SIZE, never unmapped, whose
 * first pages are made accessible:
 *   data   FZ_DATA_SIZE  read-write: memory commands may map and DMA into
 *   guard  one page      PROT_NONE
 *   ro     one page      read-only
 *   guard  one page
 *   arg    FZ_ARG_SIZE   read-write: command structs and arrays only
 *   guard  the rest of the reservation
 * Every user address a command is given lies in the reservation (or below
 * mmap_min_addr, or outside user space), and fz_clamp_len() keeps a range
 * from there inside it: the library may legitimately reach any memory a
 * caller maps (a mapping of [va, va + 1 TiB) covers the fuzzer's heap and
 * the sanitizers' shadow, and DMA through it writes there).
 */
struct fz_arena {
	uint8_t *data, *guard1, *ro, *arg, *guard3, *reserve, *end;
};

static struct fz_arena fz_arena;

#define FZ_ARENA_SPAN (FZ_DATA_SIZE + 3 * FZ_PG + FZ_ARG_SIZE + FZ_PG)

static inline void fz_arena_init(void)
{
	uint8_t *m = mmap(NULL, FZ_RESERVE_SIZE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	size_t i;

	fz_trace = getenv("PM_FUZZ_TRACE") != NULL;
	if (m == MAP_FAILED) {
		perror("fuzz: mmap arena");
		abort();
	}
	fz_arena.data = m;
	fz_arena.guard1 = m + FZ_DATA_SIZE;
	fz_arena.ro = fz_arena.guard1 + FZ_PG;
	fz_arena.arg = fz_arena.ro + 2 * FZ_PG;
	fz_arena.guard3 = fz_arena.arg + FZ_ARG_SIZE;
	fz_arena.reserve = m + FZ_ARENA_SPAN;
	fz_arena.end = m + FZ_RESERVE_SIZE;
	if (mprotect(fz_arena.data, FZ_DATA_SIZE, PROT_READ | PROT_WRITE) ||
	    mprotect(fz_arena.ro, FZ_PG, PROT_READ | PROT_WRITE) ||
	    mprotect(fz_arena.arg, FZ_ARG_SIZE, PROT_READ | PROT_WRITE)) {
		perror("fuzz: mprotect arena");
		abort();
	}
	for (i = 0; i < FZ_DATA_SIZE; i++)
		fz_arena.data[i] = (uint8_t)(i * 7 + (i >> 12) + 1);
	memset(fz_arena.ro, 0x5a, FZ_PG);
	if (mprotect(fz_arena.ro, FZ_PG, PROT_READ)) {
		perror("fuzz: mprotect arena");
		abort();
	}
}

/*
 * The longest range from @va a command may be given: one that stays in
 * the reservation, below mmap_min_addr, or outside user space. A range
 * from below the argument area stops short of it: mapped, the area a
 * command struct lives in would take that device's DMA writes, which the
 * library rightly makes, and the canary after the struct would cry wolf.
 */
static inline uint64_t fz_clamp_len(uint64_t va, uint64_t len)
{
	uint64_t lo = (uintptr_t)fz_arena.data, hi = (uintptr_t)fz_arena.end;
	uint64_t arg = (uintptr_t)fz_arena.arg;
	uint64_t max;

	if (va >= lo && va < arg)
		max = arg - va;
	else if (va >= arg && va < hi)
		max = hi - va;
	else if (va < 65536)
		max = 65536 - va;
	else if (va >= 0x800000000000ULL)
		return len; /* nothing is mapped there, whatever the length */
	else
		max = 0;
	return len < max ? len : max;
}

/* A pointer that faults: one of the kinds above, from the input. */
static inline uint64_t fz_wild_ptr(struct fz *f)
{
	uint8_t k = fz_u8(f);
	uint64_t v = fz_u64(f);

	switch (k % 6) {
	case 0:
		return v % 65536; /* below mmap_min_addr, NULL included */
	case 1:
		return (uintptr_t)fz_arena.reserve +
		       v % (FZ_RESERVE_SIZE - FZ_ARENA_SPAN);
	case 2:
		return (uintptr_t)fz_arena.guard1 + v % FZ_PG;
	case 3:
		return 0x800000000000ULL | v; /* non-canonical or kernel */
	case 4:
		return 0xffff800000000000ULL + v % (1ULL << 40);
	default:
		return UINT64_MAX - v % (2 * FZ_PG);
	}
}

/*
 * A pointer for a command: mostly into the data area (its end runs into
 * the guard page), sometimes the read-only page, sometimes wild.
 */
static inline uint64_t fz_ptr(struct fz *f)
{
	uint8_t k = fz_u8(f);

	if (k < 160)
		return (uintptr_t)fz_arena.data +
		       (fz_u16(f) % (FZ_DATA_SIZE / FZ_PG)) * FZ_PG +
		       (k & 1 ? 0 : fz_u16(f) % FZ_PG);
	if (k < 180)
		return (uintptr_t)fz_arena.ro + fz_u16(f) % FZ_PG;
	if (k < 190)
		return (uintptr_t)fz_arena.guard1 - 1 - fz_u16(f) % FZ_PG;
	return fz_wild_ptr(f);
}

/* Read @len bytes at @src without faulting: 0 or -EFAULT. */
static inline int fz_read_nofault(void *dst, uint64_t src, size_t len)
{
	struct iovec l = { dst, len }, r = { (void *)(uintptr_t)src, len };
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

/* ------------------------------------------------------------ fds */

#define FZ_NFDS 256

/* Which of the first FZ_NFDS descriptors are open, in one system call. */
static inline void fz_fds(bool open_fd[FZ_NFDS])
{
	static struct pollfd p[FZ_NFDS];
	int i;

	for (i = 0; i < FZ_NFDS; i++)
		p[i] = (struct pollfd){ .fd = i, .events = 0 };
	if (poll(p, FZ_NFDS, 0) < 0) {
		perror("fuzz: poll");
		abort();
	}
	for (i = 0; i < FZ_NFDS; i++)
		open_fd[i] = !(p[i].revents & POLLNVAL);
}

/* The first descriptor open now that was not open in @before, or -1. */
static inline int fz_new_fd(const bool before[FZ_NFDS])
{
	bool now[FZ_NFDS];
	int i;

	fz_fds(now);
	for (i = 0; i < FZ_NFDS; i++)
		if (now[i] && !before[i])
			return i;
	return -1;
}

/* ------------------------------------------------------------ memlock */

/*
 * Run as a caller without CAP_IPC_LOCK under RLIMIT_MEMLOCK = @bytes, so
 * that the library charges pinned pages and an input can show a charge
 * that is never released. Without the capability to start with, only the
 * limit changes.
 */
static inline void fz_memlock_limit(uint64_t bytes)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct cap[2];
	struct rlimit rl;

	if (!syscall(SYS_capget, &hdr, cap)) {
		cap[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
		if (syscall(SYS_capset, &hdr, cap))
			perror("fuzz: capset");
	}
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		rl.rlim_cur = bytes;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < bytes)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			perror("fuzz: setrlimit");
	}
}

#endif
