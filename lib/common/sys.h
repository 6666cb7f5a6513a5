/* SPDX-License-Identifier: MIT */
/*
 * The library's only door to libc allocation and to the kernel.
 *
 * Every allocation and every system call made anywhere in lib/ goes through
 * one of these wrappers, for two reasons:
 *  - errors come back as -errno exactly once, here, and never through errno;
 *  - each wrapper is a fault-injection point (pm_should_fail()), so that a
 *    fail_nth sweep can fail every call the library makes, one at a time.
 * tests/lint-lib-calls.py fails the build if lib/ calls malloc, mmap, ioctl,
 * open and the like directly.
 *
 * Calls that release resources (kfree, sys_close, sys_munmap, munlock) are
 * not injection points: Linux cannot fail them meaningfully either, and
 * teardown must never fail.
 *
 * Pointer-returning wrappers (sys_mmap) return ERR_PTR(-errno).
 */
#ifndef PRIVMEM_COMMON_SYS_H
#define PRIVMEM_COMMON_SYS_H

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include "compiler.h"
#include "err.h"

/* Allocation: NULL on failure (the only possible error is -ENOMEM). */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void *kcalloc(size_t n, size_t size); /* zeroed; overflow gives NULL */
void *krealloc_array(void *p, size_t n, size_t size);
char *kstrdup(const char *s);
void kfree(const void *p);

/* System calls: the result, or -errno. */
int sys_open(const char *path, int flags, mode_t mode);
void sys_close(int fd);
int sys_ioctl(int fd, unsigned long req, void *arg);
int sys_ioctl_val(int fd, unsigned long req, unsigned long arg);
void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void sys_munmap(void *addr, size_t len);
int sys_mprotect(void *addr, size_t len, int prot);
int sys_madvise(void *addr, size_t len, int advice);
int sys_mlock(const void *addr, size_t len);
void sys_munlock(const void *addr, size_t len);
int sys_fallocate(int fd, int mode, off_t off, off_t len);
int sys_ftruncate(int fd, off_t len);
int sys_fstat(int fd, struct stat *st);
int sys_fcntl(int fd, int cmd, long arg);
int sys_dup_cloexec(int fd);
int sys_memfd_create(const char *name, unsigned int flags);
int sys_memfd_secret(unsigned int flags);
int sys_eventfd(unsigned int initval, int flags);
/*
 * A connected AF_UNIX pair, close-on-exec: hand sv[0] out, keep sv[1];
 * reads of sv[0] see end of file, and sys_peer_closed(sv[1]) tells when
 * the last descriptor of sv[0] (dups included) has been closed.
 */
int sys_socketpair_hangup(int sv[2]);
/* A query, never injected: has the other end of socket @fd gone? */
bool sys_peer_closed(int fd);
ssize_t sys_pread(int fd, void *buf, size_t len, off_t off);
ssize_t sys_pwrite(int fd, const void *buf, size_t len, off_t off);
ssize_t sys_read(int fd, void *buf, size_t len);
ssize_t sys_write(int fd, const void *buf, size_t len);
int sys_getrlimit(int res, struct rlimit *rl);
ssize_t sys_process_vm_readv(const struct iovec *local, unsigned long nl,
			     const struct iovec *remote, unsigned long nr);
ssize_t sys_process_vm_writev(const struct iovec *local, unsigned long nl,
			      const struct iovec *remote, unsigned long nr);
int sys_pthread_create(pthread_t *t, void *(*fn)(void *), void *arg);
/* Read a small text file (procfs, sysfs) into buf, NUL-terminated. */
ssize_t sys_read_file(const char *path, char *buf, size_t len);

/*
 * Host probing (host.c). All are injection points except sys_geteuid(),
 * which cannot fail, and sys_closedir(), which releases. sys_opendir()
 * returns ERR_PTR(-errno); sys_readdir() returns the next entry, NULL at the
 * end, or ERR_PTR(-errno).
 */
int sys_access(const char *path, int mode);
int sys_uname(struct utsname *u);
uid_t sys_geteuid(void);
DIR *sys_opendir(const char *path);
struct dirent *sys_readdir(DIR *d);
void sys_closedir(DIR *d);


/* Discard a file range (FALLOC_FL_PUNCH_HOLE | KEEP_SIZE). Releasing
 * pages is not an injection point: teardown and commit paths rely on it. */
void sys_punch_hole(int fd, u64 offset, u64 length);
int sys_userfaultfd(int flags);
ssize_t sys_readlink(const char *path, char *buf, size_t len);
int sys_fstatfs(int fd, struct statfs *st);
/*
 * The calling thread's effective capability @cap is set (capget(2)). A
 * query with no state to undo and no error to report (a failed capget
 * reads as "not capable"), so not an injection point.
 */
bool sys_capable(int cap);
int sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
/* Reset @sig to its default action; async-signal-safe, never injected. */
void sys_signal_default(int sig);

/*
 * Undo paths. A failed operation that replaced a mapping puts the old one
 * back with these: they are not injection points, since an undo that fails
 * by injection would leave the state the sweep checks changed. The kernel
 * can still refuse them (out of memory, vm.max_map_count); callers WARN.
 * sys_mmap_undo() returns ERR_PTR(-errno) as sys_mmap() does.
 */
void *sys_mmap_undo(void *addr, size_t len, int prot, int flags, int fd,
		    off_t off);
int sys_madvise_undo(void *addr, size_t len, int advice);
/* Put back a signal action saved by sys_sigaction(). */
void sys_sigaction_undo(int sig, const struct sigaction *old);

/*
 * Threads and signals (lib/vmm: vCPU threads, kicks and the probes' timer).
 * Joining, kicking, deleting a timer and draining a pending signal release
 * or stop something, so they are not injection points: teardown must never
 * fail.
 */
pid_t sys_gettid(void);
void sys_pthread_join(pthread_t t);
int sys_pthread_kill(pthread_t t, int sig);
int sys_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
/* A POSIX timer that sends @sig to thread @tid (SIGEV_THREAD_ID). */
int sys_timer_create_tid(int sig, pid_t tid, timer_t *out);
int sys_timer_settime_ns(timer_t t, u64 ns);
void sys_timer_delete(timer_t t);
/* Consume @sig if it is pending for the calling thread; never waits. */
void sys_sigdrain(int sig);

#endif
