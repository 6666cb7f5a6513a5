// SPDX-License-Identifier: MIT
/*
 * libprivmem-iommufd.so: /dev/iommu for unmodified programs.
 *
 *   LD_PRELOAD=libprivmem-iommufd.so program
 *
 * The shim interposes the libc calls that open, duplicate, control and
 * close file descriptors. Opening "/dev/iommu" (or "/dev/vfio/vfio", see
 * below) returns a real file descriptor, a sealed empty memfd, bound to a
 * fresh privmem iommufd context; ioctl(2) on it runs pm_iommufd_ioctl().
 * Every other descriptor and call goes straight to the next definition,
 * libc's. A sanitizer runtime preloaded before the shim (as ASan must be)
 * intercepts first and calls the shim as its "real" function.
 *
 * The descriptor table
 * --------------------
 * A two-level array indexed by fd (chunks of 1024 slots, allocated on first
 * use, 4 Mi descriptors in all) holds a pointer to the context's handle for
 * each descriptor that names one. Each slot holds a reference; the context
 * is closed (every object destroyed) when the last slot lets go, so it ends
 * with its last descriptor as a /dev/iommu file does. dup, dup2, dup3 and
 * fcntl(F_DUPFD, F_DUPFD_CLOEXEC) add a slot; close, dup2/dup3 over a
 * descriptor, close_range and closefrom remove them.
 * Cost for everything else: one relaxed load of a global count while no
 * context is open; then, per call that takes a descriptor, two dependent
 * loads. open() and friends compare the path with the two device names.
 * Slots change under a rwlock; an ioctl takes a reference under the read
 * side, so a close in another thread cannot free the context under it.
 *
 * A descriptor closed behind the shim's back (the raw close syscall, or
 * libc closing it internally, e.g. fclose() of an fdopen()ed one) leaves a
 * stale slot. A slot is only trusted while the descriptor still names the
 * memfd it was made for (device and inode, checked with fstat() on every
 * ioctl and dup): a stale slot is dropped when it is found, and the call
 * goes to libc.
 *
 * fork and exec: who can use a context
 * ------------------------------------
 * A context lives in the memory of the process that opened it, and only
 * that process (any of its threads) can use it. Everywhere else the
 * descriptor is what it really is, an empty memfd: ioctl(2) on it fails
 * with ENOTTY, as for any plain file.
 *  - exec: an O_CLOEXEC descriptor closes. Without O_CLOEXEC it survives,
 *    but the new program's shim has no context for it: ENOTTY.
 *  - fork: the child inherits the descriptors and a copy of the parent's
 *    memory, context included, but may not use that copy: ioctls on the
 *    inherited descriptors are ENOTTY there, IOMMU_IOAS_CHANGE_PROCESS
 *    included. Closing or dup()ing them in the child works and never
 *    touches the parent's context (whose descriptors stay open in the
 *    parent) nor the copy (it is never destroyed in the child). A child
 *    that wants an iommufd opens /dev/iommu itself. The other way round,
 *    a child's inherited descriptors do not keep the parent's context
 *    alive: it ends with the opener's last handle, or with the opener.
 *    Why no copy-on-write snapshot for the child: the copy's translations
 *    point at memory that is not the child's. Pages pinned by the parent
 *    are mlock()ed in the parent only (locks are not inherited), and the
 *    library maps memfds and gmem stores MADV_DONTFORK, so in the child
 *    those addresses are unmapped, and free for the child's next mmap():
 *    DMA through the copy, or destroying it (which unmaps them), would hit
 *    whatever the child put there.
 *    This is also why IOMMU_IOAS_CHANGE_PROCESS cannot hand a context to
 *    another process here: Linux moves the pin accounting of MAP_FILE maps
 *    to the caller's mm; here the pins are the opener's mlock()s and
 *    mappings, and the caller of any working ioctl is always the opener,
 *    for which CHANGE_PROCESS succeeds (EINVAL with user-VA maps, as Linux).
 *  - vfork() children (and clone() without fork handlers) share or copy
 *    the memory without the shim knowing: there the shim changes nothing
 *    in its table and passes every call through.
 *
 * /dev/vfio/vfio
 * --------------
 * Linux's iommufd provides /dev/vfio/vfio (CONFIG_IOMMUFD_VFIO_CONTAINER):
 * a VFIO container that is an iommufd with MM accounting. The shim offers
 * it too. There are no VFIO groups to attach, and attaching a group is
 * what creates the compat IOAS in Linux; so on these descriptors,
 * VFIO_SET_IOMMU with no compat IOAS creates one (IOMMU_IOAS_ALLOC, then
 * IOMMU_VFIO_IOAS SET) and sets the type on it. MM accounting is asked
 * for with IOMMU_OPTION RLIMIT_MODE, which needs CAP_SYS_RESOURCE here;
 * without it the context keeps user mode (both count per process in this
 * library anyway). On /dev/iommu, VFIO_SET_IOMMU without a compat IOAS is
 * ENODEV, as in Linux.
 *
 * When the host has the device
 * ----------------------------
 * If the path is a character device on this host (a kernel with iommufd),
 * the shim steps aside and the real device is opened, unless
 * PRIVMEM_SHIM_FORCE=1.
 *
 * Limits (by design)
 *  - Only the exact paths "/dev/iommu" and "/dev/vfio/vfio" are matched
 *    (an openat() relative to /dev is not), and only through the libc
 *    entries interposed here: fopen(), the raw syscall and io_uring reach
 *    the host instead.
 *  - The descriptor is a memfd: fstat() shows a regular file, read()
 *    returns 0 and write() fails with EPERM (Linux: EINVAL); mmap() of it
 *    maps nothing useful. The generic ioctls FIOCLEX, FIONCLEX, FIONBIO
 *    and FIOASYNC act on it as on any file; every other number goes to
 *    the context.
 *  - The context's own work (pm_iommufd_*) runs with the shim disarmed in
 *    that thread, so the library's own descriptors are never taken for
 *    contexts.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/vfio.h>
#include <privmem/iommufd.h>
#include <privmem/uapi/iommufd.h>

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

/*
 * The exported wrappers have C names of their own and the libc names as
 * assembler names: <fcntl.h> may redirect open() to open64() (with
 * _FILE_OFFSET_BITS=64), and a definition of "open" would then define
 * "open64" twice.
 */
#define SHIM_EXPORT(sym) __asm__(#sym) __attribute__((visibility("default")))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * ioctl() and fcntl() are variadic, but their third argument, when there
 * is one, is a single word. Where the ABI passes such a variadic argument
 * exactly as a named one (x86-64, and AArch64 and RISC-V on Linux), the
 * shim takes it as a named parameter: no va_list to set up, and passing a
 * call through is a tail call. Elsewhere, or built with
 * -DSHIM_NO_WORD_ARG, it is read with va_arg().
 */
#if !defined(SHIM_NO_WORD_ARG) &&                                              \
	(defined(__x86_64__) ||                                                \
	 (defined(__aarch64__) && defined(__linux__)) ||                       \
	 (defined(__riscv) && defined(__linux__)))
#define SHIM_WORD_ARG 1
#endif

/* ------------------------------------------------------ the libc calls */

typedef int (*open_fn)(const char *path, int flags, ...);
typedef int (*openat_fn)(int dirfd, const char *path, int flags, ...);
typedef int (*open2_fn)(const char *path, int flags);
typedef int (*openat2_fn)(int dirfd, const char *path, int flags);
typedef int (*fcntl_fn)(int fd, int cmd, ...);

static struct {
	open_fn open, open64;
	openat_fn openat, openat64;
	open2_fn open_2, open64_2;
	openat2_fn openat_2, openat64_2;
	int (*close)(int fd);
	int (*close_range)(unsigned int first, unsigned int last, int flags);
	void (*closefrom)(int lowfd);
	int (*dup)(int fd);
	int (*dup2)(int oldfd, int newfd);
	int (*dup3)(int oldfd, int newfd, int flags);
	fcntl_fn fcntl, fcntl64;
	int (*ioctl)(int fd, unsigned long request, ...);
} real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void *shim_next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void shim_resolve(void)
{
	real.open = (open_fn)shim_next("open");
	real.open64 = (open_fn)shim_next("open64");
	real.openat = (openat_fn)shim_next("openat");
	real.openat64 = (openat_fn)shim_next("openat64");
	real.open_2 = (open2_fn)shim_next("__open_2");
	real.open64_2 = (open2_fn)shim_next("__open64_2");
	real.openat_2 = (openat2_fn)shim_next("__openat_2");
	real.openat64_2 = (openat2_fn)shim_next("__openat64_2");
	real.close = (int (*)(int))shim_next("close");
	real.close_range = (int (*)(unsigned int, unsigned int, int))
		shim_next("close_range");
	real.closefrom = (void (*)(int))shim_next("closefrom");
	real.dup = (int (*)(int))shim_next("dup");
	real.dup2 = (int (*)(int, int))shim_next("dup2");
	real.dup3 = (int (*)(int, int, int))shim_next("dup3");
	real.fcntl = (fcntl_fn)shim_next("fcntl");
	real.fcntl64 = (fcntl_fn)shim_next("fcntl64");
	real.ioctl = (int (*)(int, unsigned long, ...))shim_next("ioctl");
	/* The fortified and 64-bit entries fall back on the plain ones. */
	if (!real.open64)
		real.open64 = real.open;
	if (!real.openat64)
		real.openat64 = real.openat;
	if (!real.fcntl64)
		real.fcntl64 = real.fcntl;
}

#define REAL(fn)                                                               \
	(*(likely(real.fn) ? real.fn :                                         \
			     (pthread_once(&real_once, shim_resolve), real.fn)))

/* ------------------------------------------------------------ contexts */

/* A context and the memfd that names it. */
struct shim_ctx {
	struct pm_iommufd *pm;
	int refs;	/* atomic: one per table slot, one per ioctl in flight */
	pid_t owner;	/* the process whose memory holds @pm */
	dev_t dev;	/* identity of the memfd */
	ino_t ino;
	bool vfio;	/* opened as /dev/vfio/vfio */
	pthread_mutex_t vfio_lock; /* VFIO_SET_IOMMU's compat IOAS creation */
};

/* Library work in progress in this thread: pass every call through. */
static __thread int shim_depth;

/* The process the table is ours in; see "fork and exec" above. */
static pid_t shim_pid;

static void shim_ctx_put(struct shim_ctx *ctx)
{
	int saved = errno;

	if (__atomic_sub_fetch(&ctx->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* Never the copy in a child: it points at the parent's memory. */
	if (ctx->owner == getpid()) {
		shim_depth++;
		pm_iommufd_close(ctx->pm);
		shim_depth--;
		pthread_mutex_destroy(&ctx->vfio_lock);
	}
	free(ctx);
	errno = saved;
}

/* ------------------------------------------------------- the fd table */

#define SHIM_CHUNK_SHIFT 10
#define SHIM_CHUNK_SLOTS (1U << SHIM_CHUNK_SHIFT)
#define SHIM_NR_CHUNKS 4096U
#define SHIM_MAX_FDS (SHIM_NR_CHUNKS * SHIM_CHUNK_SLOTS)

static struct shim_ctx **shim_table[SHIM_NR_CHUNKS];
static unsigned long shim_nr_slots; /* atomic: slots in use */
static pthread_rwlock_t shim_lock = PTHREAD_RWLOCK_INITIALIZER;

/* The slot of @fd, or NULL: the whole cost for descriptors not ours. */
static inline struct shim_ctx *shim_peek(int fd)
{
	struct shim_ctx **chunk;

	if (likely(!__atomic_load_n(&shim_nr_slots, __ATOMIC_RELAXED)))
		return NULL;
	if ((unsigned int)fd >= SHIM_MAX_FDS)
		return NULL;
	chunk = __atomic_load_n(&shim_table[(unsigned int)fd >>
					    SHIM_CHUNK_SHIFT],
				__ATOMIC_ACQUIRE);
	if (!chunk)
		return NULL;
	return __atomic_load_n(&chunk[(unsigned int)fd & (SHIM_CHUNK_SLOTS - 1)],
			       __ATOMIC_ACQUIRE);
}

/*
 * Put @ctx (its reference is passed in; NULL clears) into the slot of @fd
 * and return what was there, whose reference the caller now owns.
 * Called with shim_lock held for writing. -1 cast: no memory for a chunk.
 */
static struct shim_ctx *shim_slot_xchg(int fd, struct shim_ctx *ctx)
{
	unsigned int i = (unsigned int)fd >> SHIM_CHUNK_SHIFT;
	struct shim_ctx **chunk = shim_table[i], *prev;

	if (!chunk) {
		if (!ctx)
			return NULL;
		chunk = calloc(SHIM_CHUNK_SLOTS, sizeof(*chunk));
		if (!chunk)
			return (struct shim_ctx *)-1;
		__atomic_store_n(&shim_table[i], chunk, __ATOMIC_RELEASE);
	}
	prev = __atomic_exchange_n(&chunk[(unsigned int)fd &
					  (SHIM_CHUNK_SLOTS - 1)],
				   ctx, __ATOMIC_ACQ_REL);
	if (ctx && !prev)
		__atomic_add_fetch(&shim_nr_slots, 1, __ATOMIC_RELAXED);
	else if (!ctx && prev)
		__atomic_sub_fetch(&shim_nr_slots, 1, __ATOMIC_RELAXED);
	return prev;
}

/* Set (or clear, @ctx NULL) the slot of @fd. Return: 0 or -ENOMEM. */
static int shim_slot_set(int fd, struct shim_ctx *ctx)
{
	struct shim_ctx *prev;

	pthread_rwlock_wrlock(&shim_lock);
	prev = shim_slot_xchg(fd, ctx);
	pthread_rwlock_unlock(&shim_lock);
	if (prev == (struct shim_ctx *)-1)
		return -ENOMEM;
	/* A stale slot (closed behind our back) or the one replaced. */
	if (prev)
		shim_ctx_put(prev);
	return 0;
}

/* Clear the slot of @fd only if it still holds @ctx. */
static void shim_slot_clear_if(int fd, struct shim_ctx *ctx)
{
	struct shim_ctx **chunk;
	struct shim_ctx *expected = ctx;
	bool cleared;

	pthread_rwlock_wrlock(&shim_lock);
	chunk = shim_table[(unsigned int)fd >> SHIM_CHUNK_SHIFT];
	cleared = chunk &&
		  __atomic_compare_exchange_n(
			  &chunk[(unsigned int)fd & (SHIM_CHUNK_SLOTS - 1)],
			  &expected, NULL, false, __ATOMIC_ACQ_REL,
			  __ATOMIC_ACQUIRE);
	if (cleared)
		__atomic_sub_fetch(&shim_nr_slots, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&shim_lock);
	if (cleared)
		shim_ctx_put(ctx);
}

/* May this thread change the table? Not in a vfork child, nor mid-library. */
static bool shim_armed(void)
{
	return !shim_depth && getpid() == shim_pid;
}

static bool shim_same_file(int fd, const struct shim_ctx *ctx)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_ino == ctx->ino &&
	       st.st_dev == ctx->dev;
}

/*
 * The context @fd names in this process, with a reference, or NULL: no
 * slot, a slot inherited from the parent, or a stale one (dropped here).
 */
static struct shim_ctx *shim_get(int fd)
{
	struct shim_ctx *ctx;

	if (shim_depth)
		return NULL;
	pthread_rwlock_rdlock(&shim_lock);
	ctx = shim_peek(fd);
	if (ctx)
		__atomic_add_fetch(&ctx->refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&shim_lock);
	if (!ctx)
		return NULL;
	if (ctx->owner != getpid()) {
		shim_ctx_put(ctx);
		return NULL;
	}
	if (!shim_same_file(fd, ctx)) {
		if (shim_armed())
			shim_slot_clear_if(fd, ctx);
		shim_ctx_put(ctx);
		return NULL;
	}
	return ctx;
}

/* Drop the slots of [first, last] after libc closed those descriptors. */
static void shim_forget_range(unsigned int first, unsigned int last)
{
	unsigned int fd;

	if (!__atomic_load_n(&shim_nr_slots, __ATOMIC_RELAXED) || !shim_armed())
		return;
	if (last >= SHIM_MAX_FDS)
		last = SHIM_MAX_FDS - 1;
	for (fd = first; fd <= last && fd >= first; fd++) {
		struct shim_ctx *prev;

		if (!shim_table[fd >> SHIM_CHUNK_SHIFT]) {
			/* Skip to the next chunk. */
			fd |= SHIM_CHUNK_SLOTS - 1;
			continue;
		}
		if (!shim_peek((int)fd))
			continue;
		pthread_rwlock_wrlock(&shim_lock);
		prev = shim_slot_xchg((int)fd, NULL);
		pthread_rwlock_unlock(&shim_lock);
		if (prev)
			shim_ctx_put(prev);
	}
}

/* --------------------------------------------------------------- fork */

static void shim_atfork_prepare(void)
{
	pthread_rwlock_wrlock(&shim_lock);
}

static void shim_atfork_parent(void)
{
	pthread_rwlock_unlock(&shim_lock);
}

static void shim_atfork_child(void)
{
	/* The child's table is its own copy; its slots are the parent's. */
	pthread_rwlock_init(&shim_lock, NULL);
	shim_pid = getpid();
}

__attribute__((constructor)) static void shim_init(void)
{
	pthread_once(&real_once, shim_resolve);
	shim_pid = getpid();
	pthread_atfork(shim_atfork_prepare, shim_atfork_parent,
		       shim_atfork_child);
}

/* --------------------------------------------------------------- open */

enum shim_dev {
	SHIM_DEV_NONE,
	SHIM_DEV_IOMMU,
	SHIM_DEV_VFIO,
};

static const char *const shim_dev_path[] = {
	[SHIM_DEV_IOMMU] = "/dev/iommu",
	[SHIM_DEV_VFIO] = "/dev/vfio/vfio",
};

static inline enum shim_dev shim_match(const char *path)
{
	if (likely(!path || path[0] != '/' || path[1] != 'd'))
		return SHIM_DEV_NONE;
	if (!strcmp(path, shim_dev_path[SHIM_DEV_IOMMU]))
		return SHIM_DEV_IOMMU;
	if (!strcmp(path, shim_dev_path[SHIM_DEV_VFIO]))
		return SHIM_DEV_VFIO;
	return SHIM_DEV_NONE;
}

/* Is @dev ours to provide, or does the host have it? */
static bool shim_provides(enum shim_dev dev)
{
	const char *force = getenv("PRIVMEM_SHIM_FORCE");
	struct stat st;

	if (shim_depth || getpid() != shim_pid)
		return false;
	if (force && !strcmp(force, "1"))
		return true;
	return stat(shim_dev_path[dev], &st) || !S_ISCHR(st.st_mode);
}

/* IOMMU_OPTION RLIMIT_MODE 1, as opening /dev/vfio/vfio does in Linux. */
static void shim_vfio_account_mm(struct shim_ctx *ctx)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	int saved = errno;

	/* Needs CAP_SYS_RESOURCE here; without it user mode stays. */
	shim_depth++;
	pm_iommufd_ioctl(ctx->pm, IOMMU_OPTION, &cmd);
	shim_depth--;
	errno = saved;
}

/* A new context and its memfd. Return: the descriptor, or -1 and errno. */
static int shim_open_dev(enum shim_dev dev, int flags)
{
	unsigned int mfd_flags = MFD_ALLOW_SEALING;
	struct shim_ctx *ctx;
	struct stat st;
	int fd, rc;

	if (flags & O_DIRECTORY) {
		errno = ENOTDIR;
		return -1;
	}
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		errno = EEXIST;
		return -1;
	}

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		errno = ENOMEM;
		return -1;
	}
	shim_depth++;
	rc = pm_iommufd_open(&ctx->pm);
	shim_depth--;
	if (rc) {
		free(ctx);
		errno = -rc;
		return -1;
	}
	ctx->refs = 1;
	ctx->owner = getpid();
	ctx->vfio = dev == SHIM_DEV_VFIO;
	pthread_mutex_init(&ctx->vfio_lock, NULL);

	if (flags & O_CLOEXEC)
		mfd_flags |= MFD_CLOEXEC;
	fd = memfd_create(dev == SHIM_DEV_VFIO ? "vfio" : "iommufd", mfd_flags);
	if (fd < 0)
		goto err_ctx;
	/* Empty for good: write() fails, nothing can grow it. */
	if (REAL(fcntl)(fd, F_ADD_SEALS,
			F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
				F_SEAL_SEAL) ||
	    ((flags & O_NONBLOCK) &&
	     REAL(fcntl)(fd, F_SETFL, O_NONBLOCK)) ||
	    fstat(fd, &st))
		goto err_fd;
	if ((unsigned int)fd >= SHIM_MAX_FDS) {
		errno = EMFILE;
		goto err_fd;
	}
	ctx->dev = st.st_dev;
	ctx->ino = st.st_ino;
	if (ctx->vfio)
		shim_vfio_account_mm(ctx);

	rc = shim_slot_set(fd, ctx);
	if (rc) {
		errno = -rc;
		goto err_fd;
	}
	return fd;

err_fd:
	rc = errno;
	REAL(close)(fd);
	errno = rc;
err_ctx:
	rc = errno;
	shim_ctx_put(ctx);
	errno = rc;
	return -1;
}

/* The mode argument of open(): present with O_CREAT or O_TMPFILE. */
#define SHIM_OPEN_MODE(flags, last)                                            \
	({                                                                     \
		int __mode = 0;                                                \
		if ((flags) & (O_CREAT | O_TMPFILE)) {                         \
			va_list __ap;                                          \
			va_start(__ap, last);                                  \
			__mode = va_arg(__ap, int);                            \
			va_end(__ap);                                          \
		}                                                              \
		(mode_t) __mode;                                               \
	})

int shim_open(const char *path, int flags, ...) SHIM_EXPORT(open);
int shim_open(const char *path, int flags, ...)
{
	mode_t mode = SHIM_OPEN_MODE(flags, flags);
	enum shim_dev dev = shim_match(path);

	if (unlikely(dev) && shim_provides(dev))
		return shim_open_dev(dev, flags);
	return REAL(open)(path, flags, mode);
}

int shim_open64(const char *path, int flags, ...) SHIM_EXPORT(open64);
int shim_open64(const char *path, int flags, ...)
{
	mode_t mode = SHIM_OPEN_MODE(flags, flags);
	enum shim_dev dev = shim_match(path);

	if (unlikely(dev) && shim_provides(dev))
		return shim_open_dev(dev, flags);
	return REAL(open64)(path, flags, mode);
}

/* Only absolute paths are matched: @dirfd plays no part for those. */
int shim_openat(int dirfd, const char *path, int flags, ...)
	SHIM_EXPORT(openat);
int shim_openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = SHIM_OPEN_MODE(flags, flags);
	enum shim_dev dev = shim_match(path);

	if (unlikely(dev) && shim_provides(dev))
		return shim_open_dev(dev, flags);
	return REAL(openat)(dirfd, path, flags, mode);
}

int shim_openat64(int dirfd, const char *path, int flags, ...)
	SHIM_EXPORT(openat64);
int shim_openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = SHIM_OPEN_MODE(flags, flags);
	enum shim_dev dev = shim_match(path);

	if (unlikely(dev) && shim_provides(dev))
		return shim_open_dev(dev, flags);
	return REAL(openat64)(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE's entries: open() without a mode argument. */
int shim_open_2(const char *path, int flags) SHIM_EXPORT(__open_2);
int shim_open_2(const char *path, int flags)
{
	enum shim_dev dev = shim_match(path);

	if (unlikely(dev) && shim_provides(dev))
		return shim_open_dev(dev, flags);
	if (real.open_2 || (pthread_once(&real_once, shim_resolve), real.open_2))
		return real.open_2(path, flags);
	return REAL(open)(path, flags);
}

int shim_open64_2(const char *path, int flags) SHIM_EXPORT(__open64_2);
int shim_open64_2(const char *path, int flags)
{
	enum shim_dev dev = shim_match(path);

	if (unlikely(dev) && shim_provides(dev))
		return shim_open_dev(dev, flags);
	if (real.open64_2 ||
	    (pthread_once(&real_once, shim_resolve), real.open64_2))
		return real.open64_2(path, flags);
	return REAL(open64)(path, flags);
}

int shim_openat_2(int dirfd, const char *path, int flags)
	SHIM_EXPORT(__openat_2);
int shim_openat_2(int dirfd, const char *path, int flags)
{
	enum shim_dev dev = shim_match(path);

	if (unlikely(dev) && shim_provides(dev))
		return shim_open_dev(dev, flags);
	if (real.openat_2 ||
	    (pthread_once(&real_once, shim_resolve), real.openat_2))
		return real.openat_2(dirfd, path, flags);
	return REAL(openat)(dirfd, path, flags);
}

int shim_openat64_2(int dirfd, const char *path, int flags)
	SHIM_EXPORT(__openat64_2);
int shim_openat64_2(int dirfd, const char *path, int flags)
{
	enum shim_dev dev = shim_match(path);

	if (unlikely(dev) && shim_provides(dev))
		return shim_open_dev(dev, flags);
	if (real.openat64_2 ||
	    (pthread_once(&real_once, shim_resolve), real.openat64_2))
		return real.openat64_2(dirfd, path, flags);
	return REAL(openat64)(dirfd, path, flags);
}

/* -------------------------------------------------------------- close */

static int shim_close_slot(int fd)
{
	struct shim_ctx *prev = NULL;
	int rc;

	/*
	 * The slot goes first: once the number is free, another thread's
	 * open() may get it, and its new slot must not be the one cleared.
	 */
	if (shim_armed()) {
		pthread_rwlock_wrlock(&shim_lock);
		prev = shim_slot_xchg(fd, NULL);
		pthread_rwlock_unlock(&shim_lock);
	}
	rc = REAL(close)(fd);
	if (prev)
		shim_ctx_put(prev);
	return rc;
}

int shim_close(int fd) SHIM_EXPORT(close);
int shim_close(int fd)
{
	if (likely(!shim_peek(fd)))
		return REAL(close)(fd);
	return shim_close_slot(fd);
}

int shim_close_range(unsigned int first, unsigned int last, int flags)
	SHIM_EXPORT(close_range);
int shim_close_range(unsigned int first, unsigned int last, int flags)
{
	int rc;

	if (!real.close_range)
		pthread_once(&real_once, shim_resolve);
	if (!real.close_range) {
		errno = ENOSYS;
		return -1;
	}
	rc = real.close_range(first, last, flags);
	if (!rc && !(flags & CLOSE_RANGE_CLOEXEC))
		shim_forget_range(first, last);
	return rc;
}

void shim_closefrom(int lowfd) SHIM_EXPORT(closefrom);
void shim_closefrom(int lowfd)
{
	if (!real.closefrom)
		pthread_once(&real_once, shim_resolve);
	if (real.closefrom)
		real.closefrom(lowfd);
	if (lowfd >= 0)
		shim_forget_range((unsigned int)lowfd, ~0U);
}

/* ---------------------------------------------------------------- dup */

/*
 * @newfd (a new descriptor for what @oldfd names, or -1) now names the
 * context of @oldfd, if it has one: give it a slot. Return: @newfd, or -1
 * with errno if the slot cannot be made (the descriptor is closed then).
 */
static int shim_dup_slot(int oldfd, int newfd)
{
	struct shim_ctx *ctx;
	int rc;

	if (newfd < 0 || !shim_armed())
		return newfd;
	ctx = shim_get(oldfd);
	rc = (unsigned int)newfd >= SHIM_MAX_FDS ? -EMFILE :
						   shim_slot_set(newfd, ctx);
	if (rc) {
		if (ctx)
			shim_ctx_put(ctx);
		REAL(close)(newfd);
		errno = -rc;
		return -1;
	}
	return newfd;
}

int shim_dup(int oldfd) SHIM_EXPORT(dup);
int shim_dup(int oldfd)
{
	int fd = REAL(dup)(oldfd);

	if (likely(!shim_peek(oldfd)))
		return fd;
	return shim_dup_slot(oldfd, fd);
}

/*
 * dup2()/dup3() replace @newfd: its slot, if any, goes whether or not
 * @oldfd names a context.
 */
int shim_dup2(int oldfd, int newfd) SHIM_EXPORT(dup2);
int shim_dup2(int oldfd, int newfd)
{
	int fd;

	if (likely(!shim_peek(oldfd) && !shim_peek(newfd)) || oldfd == newfd)
		return REAL(dup2)(oldfd, newfd);
	fd = REAL(dup2)(oldfd, newfd);
	return shim_dup_slot(oldfd, fd);
}

int shim_dup3(int oldfd, int newfd, int flags) SHIM_EXPORT(dup3);
int shim_dup3(int oldfd, int newfd, int flags)
{
	int fd;

	if (likely(!shim_peek(oldfd) && !shim_peek(newfd)))
		return REAL(dup3)(oldfd, newfd, flags);
	fd = REAL(dup3)(oldfd, newfd, flags);
	return shim_dup_slot(oldfd, fd);
}

/*
 * The third argument is an int, a long or a pointer by command; like libc,
 * take it as a pointer-sized word and pass it on unchanged.
 */
static __attribute__((noinline)) int shim_fcntl_common(fcntl_fn next, int fd,
							int cmd, void *arg)
{
	int newfd;

	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return next(fd, cmd, arg);
	newfd = next(fd, cmd, arg);
	return shim_dup_slot(fd, newfd);
}

#ifdef SHIM_WORD_ARG
#define SHIM_WORD_PARAM(last) void *arg
#define SHIM_WORD_GET(last)
#else
#define SHIM_WORD_PARAM(last) ...
#define SHIM_WORD_GET(last)                                                    \
	void *arg;                                                             \
	va_list ap;                                                            \
	va_start(ap, last);                                                    \
	arg = va_arg(ap, void *);                                              \
	va_end(ap)
#endif

int shim_fcntl(int fd, int cmd, SHIM_WORD_PARAM(cmd)) SHIM_EXPORT(fcntl);
int shim_fcntl(int fd, int cmd, SHIM_WORD_PARAM(cmd))
{
	SHIM_WORD_GET(cmd);
	if (likely(!shim_peek(fd)))
		return REAL(fcntl)(fd, cmd, arg);
	return shim_fcntl_common(&REAL(fcntl), fd, cmd, arg);
}

int shim_fcntl64(int fd, int cmd, SHIM_WORD_PARAM(cmd)) SHIM_EXPORT(fcntl64);
int shim_fcntl64(int fd, int cmd, SHIM_WORD_PARAM(cmd))
{
	SHIM_WORD_GET(cmd);
	if (likely(!shim_peek(fd)))
		return REAL(fcntl64)(fd, cmd, arg);
	return shim_fcntl_common(&REAL(fcntl64), fd, cmd, arg);
}

/* -------------------------------------------------------------- ioctl */

/*
 * VFIO_SET_IOMMU on /dev/vfio/vfio without a compat IOAS: make one, as
 * attaching the first group would, and set the type on it. Serialised per
 * context, so that two threads do not both create one.
 */
static int shim_vfio_set_iommu(struct shim_ctx *ctx, void *arg)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_vfio_ioas set = {
		.size = sizeof(set),
		.op = IOMMU_VFIO_IOAS_SET,
	};
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	int rc, err;

	pthread_mutex_lock(&ctx->vfio_lock);
	rc = pm_iommufd_ioctl(ctx->pm, VFIO_SET_IOMMU, arg);
	if (!rc || errno != ENODEV)
		goto out;
	rc = pm_iommufd_ioctl(ctx->pm, IOMMU_IOAS_ALLOC, &alloc);
	if (rc)
		goto out;
	set.ioas_id = alloc.out_ioas_id;
	rc = pm_iommufd_ioctl(ctx->pm, IOMMU_VFIO_IOAS, &set);
	if (!rc)
		rc = pm_iommufd_ioctl(ctx->pm, VFIO_SET_IOMMU, arg);
	if (rc) {
		err = errno;
		set.op = IOMMU_VFIO_IOAS_CLEAR;
		pm_iommufd_ioctl(ctx->pm, IOMMU_VFIO_IOAS, &set);
		destroy.id = alloc.out_ioas_id;
		pm_iommufd_ioctl(ctx->pm, IOMMU_DESTROY, &destroy);
		errno = err;
	}
out:
	pthread_mutex_unlock(&ctx->vfio_lock);
	return rc;
}

static __attribute__((noinline)) int shim_ioctl_ctx(int fd,
						     unsigned long request,
						     void *arg)
{
	struct shim_ctx *ctx = shim_get(fd);
	int rc, err;

	if (!ctx)
		return REAL(ioctl)(fd, request, arg);

	switch (request) {
	case FIOCLEX:
	case FIONCLEX:
	case FIONBIO:
	case FIOASYNC:
		/* The VFS's own ioctls, before any driver's: the memfd's. */
		shim_ctx_put(ctx);
		return REAL(ioctl)(fd, request, arg);
	}

	shim_depth++;
	rc = pm_iommufd_ioctl(ctx->pm, request, arg);
	if (rc < 0 && errno == ENODEV && ctx->vfio &&
	    (unsigned int)request == VFIO_SET_IOMMU)
		rc = shim_vfio_set_iommu(ctx, arg);
	err = errno;
	shim_depth--;
	shim_ctx_put(ctx);
	errno = err;
	return rc;
}

int shim_ioctl(int fd, unsigned long request, SHIM_WORD_PARAM(request))
	SHIM_EXPORT(ioctl);
int shim_ioctl(int fd, unsigned long request, SHIM_WORD_PARAM(request))
{
	SHIM_WORD_GET(request);
	if (likely(!shim_peek(fd)))
		return REAL(ioctl)(fd, request, arg);
	return shim_ioctl_ctx(fd, request, arg);
}
