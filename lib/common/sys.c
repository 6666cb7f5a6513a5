// SPDX-License-Identifier: MIT
/*
 * Wrappers around libc allocation and system calls; see sys.h for why they
 * exist. This is the one file in lib/ allowed to call them directly.
 *
 * Fault injection state is per thread, as Linux's /proc/<tid>/fail-nth is:
 * a test arms its own thread and the library's helper threads run on
 * unaffected.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <time.h>
#include <linux/capability.h>
#include <privmem/privmem.h>
#include "sys.h"
#include "overflow.h"

static __thread unsigned long fault_nth;
static __thread unsigned long fault_seen;
static __thread bool fault_fired;

void pm_fault_arm(unsigned long nth)
{
	fault_nth = nth;
	fault_seen = 0;
	fault_fired = false;
}

void pm_fault_disarm(void)
{
	fault_nth = 0;
}

bool pm_fault_fired(void)
{
	return fault_fired;
}

unsigned long pm_fault_points(void)
{
	return fault_seen;
}

bool pm_should_fail(void)
{
	if (likely(!fault_nth))
		return false;
	if (++fault_seen != fault_nth)
		return false;
	fault_fired = true;
	return true;
}

void *kmalloc(size_t size)
{
	if (pm_should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *kzalloc(size_t size)
{
	if (pm_should_fail())
		return NULL;
	return calloc(1, size ? size : 1);
}

void *kcalloc(size_t n, size_t size)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kzalloc(bytes);
}

void *krealloc_array(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes) || pm_should_fail())
		return NULL;
	return realloc(p, bytes ? bytes : 1);
}

char *kstrdup(const char *s)
{
	if (pm_should_fail())
		return NULL;
	return strdup(s);
}

void kfree(const void *p)
{
	free((void *)p);
}

#define RET_ERRNO(expr)                                                        \
	({                                                                     \
		__typeof__(expr) __r = (expr);                                 \
		__r < 0 ? (__typeof__(expr))-errno : __r;                      \
	})

int sys_open(const char *path, int flags, mode_t mode)
{
	if (pm_should_fail())
		return -EMFILE;
	return RET_ERRNO(open(path, flags | O_CLOEXEC, mode));
}

void sys_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int sys_ioctl(int fd, unsigned long req, void *arg)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(ioctl(fd, req, arg));
}

int sys_ioctl_val(int fd, unsigned long req, unsigned long arg)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(ioctl(fd, req, arg));
}

void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (pm_should_fail())
		return ERR_PTR(-ENOMEM);
	p = mmap(addr, len, prot, flags, fd, off);
	return p == MAP_FAILED ? ERR_PTR(-errno) : p;
}

void sys_munmap(void *addr, size_t len)
{
	if (addr && len)
		munmap(addr, len);
}

int sys_mprotect(void *addr, size_t len, int prot)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(mprotect(addr, len, prot));
}

int sys_madvise(void *addr, size_t len, int advice)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(madvise(addr, len, advice));
}

int sys_mlock(const void *addr, size_t len)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(mlock(addr, len));
}

void sys_munlock(const void *addr, size_t len)
{
	munlock(addr, len);
}

int sys_fallocate(int fd, int mode, off_t off, off_t len)
{
	if (pm_should_fail())
		return -ENOSPC;
	return RET_ERRNO(fallocate(fd, mode, off, len));
}

int sys_ftruncate(int fd, off_t len)
{
	if (pm_should_fail())
		return -ENOSPC;
	return RET_ERRNO(ftruncate(fd, len));
}

int sys_fstat(int fd, struct stat *st)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(fstat(fd, st));
}

int sys_fcntl(int fd, int cmd, long arg)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(fcntl(fd, cmd, arg));
}

int sys_dup_cloexec(int fd)
{
	if (pm_should_fail())
		return -EMFILE;
	return RET_ERRNO(fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

int sys_memfd_create(const char *name, unsigned int flags)
{
	if (pm_should_fail())
		return -EMFILE;
	return RET_ERRNO(memfd_create(name, flags | MFD_CLOEXEC));
}

int sys_memfd_secret(unsigned int flags)
{
#ifdef SYS_memfd_secret
	if (pm_should_fail())
		return -EMFILE;
	return RET_ERRNO((int)syscall(SYS_memfd_secret, flags | O_CLOEXEC));
#else
	(void)flags;
	return -ENOSYS;
#endif
}

int sys_eventfd(unsigned int initval, int flags)
{
	if (pm_should_fail())
		return -EMFILE;
	return RET_ERRNO(eventfd(initval, flags | EFD_CLOEXEC));
}

int sys_socketpair_hangup(int sv[2])
{
	int rc;

	if (pm_should_fail())
		return -EMFILE;
	rc = RET_ERRNO(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	if (rc)
		return rc;
	/* sv[0]'s reads see end of file; sv[1] still sees sv[0] go. */
	shutdown(sv[1], SHUT_WR);
	return 0;
}

bool sys_peer_closed(int fd)
{
	struct pollfd p = { .fd = fd };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLNVAL));
}

ssize_t sys_pread(int fd, void *buf, size_t len, off_t off)
{
	if (pm_should_fail())
		return -EIO;
	return RET_ERRNO(pread(fd, buf, len, off));
}

ssize_t sys_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (pm_should_fail())
		return -EIO;
	return RET_ERRNO(pwrite(fd, buf, len, off));
}

ssize_t sys_read(int fd, void *buf, size_t len)
{
	if (pm_should_fail())
		return -EIO;
	return RET_ERRNO(read(fd, buf, len));
}

ssize_t sys_write(int fd, const void *buf, size_t len)
{
	if (pm_should_fail())
		return -EIO;
	return RET_ERRNO(write(fd, buf, len));
}

int sys_getrlimit(int res, struct rlimit *rl)
{
	if (pm_should_fail())
		return -EINVAL;
	return RET_ERRNO(getrlimit(res, rl));
}

/* An injected failure of a user copy looks like a bad user pointer. */
ssize_t sys_process_vm_readv(const struct iovec *local, unsigned long nl,
			     const struct iovec *remote, unsigned long nr)
{
	if (pm_should_fail())
		return -EFAULT;
	return RET_ERRNO(process_vm_readv(getpid(), local, nl, remote, nr, 0));
}

ssize_t sys_process_vm_writev(const struct iovec *local, unsigned long nl,
			      const struct iovec *remote, unsigned long nr)
{
	if (pm_should_fail())
		return -EFAULT;
	return RET_ERRNO(process_vm_writev(getpid(), local, nl, remote, nr, 0));
}

int sys_pthread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	if (pm_should_fail())
		return -EAGAIN;
	return -pthread_create(t, NULL, fn, arg);
}

ssize_t sys_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd;

	if (!len)
		return -EINVAL;
	fd = sys_open(path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	while ((size_t)total < len - 1) {
		n = sys_read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			sys_close(fd);
			return n;
		}
		if (!n)
			break;
		total += n;
	}
	buf[total] = '\0';
	sys_close(fd);
	return total;
}

int sys_access(const char *path, int mode)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(access(path, mode));
}

int sys_uname(struct utsname *u)
{
	if (pm_should_fail())
		return -EFAULT;
	return RET_ERRNO(uname(u));
}

uid_t sys_geteuid(void)
{
	return geteuid();
}

DIR *sys_opendir(const char *path)
{
	DIR *d;

	if (pm_should_fail())
		return ERR_PTR(-EMFILE);
	d = opendir(path);
	return d ? d : ERR_PTR(-errno);
}

struct dirent *sys_readdir(DIR *d)
{
	struct dirent *de;

	if (pm_should_fail())
		return ERR_PTR(-EIO);
	errno = 0;
	de = readdir(d);
	if (!de && errno)
		return ERR_PTR(-errno);
	return de;
}

void sys_closedir(DIR *d)
{
	if (!IS_ERR_OR_NULL(d))
		closedir(d);
}

void sys_punch_hole(int fd, u64 offset, u64 length)
{
	fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
		  (off_t)length);
}

int sys_userfaultfd(int flags)
{
	if (pm_should_fail())
		return -EMFILE;
	return RET_ERRNO((int)syscall(SYS_userfaultfd, flags | O_CLOEXEC));
}

ssize_t sys_readlink(const char *path, char *buf, size_t len)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(readlink(path, buf, len));
}

int sys_fstatfs(int fd, struct statfs *st)
{
	if (pm_should_fail())
		return -ENOMEM;
	return RET_ERRNO(fstatfs(fd, st));
}

bool sys_capable(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

int sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (pm_should_fail())
		return -EINVAL;
	return RET_ERRNO(sigaction(sig, act, old));
}

void sys_signal_default(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
}

void *sys_mmap_undo(void *addr, size_t len, int prot, int flags, int fd,
		    off_t off)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

	return p == MAP_FAILED ? ERR_PTR(-errno) : p;
}

int sys_madvise_undo(void *addr, size_t len, int advice)
{
	return RET_ERRNO(madvise(addr, len, advice));
}

void sys_sigaction_undo(int sig, const struct sigaction *old)
{
	sigaction(sig, old, NULL);
}

pid_t sys_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

void sys_pthread_join(pthread_t t)
{
	pthread_join(t, NULL);
}

int sys_pthread_kill(pthread_t t, int sig)
{
	return -pthread_kill(t, sig);
}

int sys_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (pm_should_fail())
		return -EINVAL;
	return -pthread_sigmask(how, set, old);
}

int sys_timer_create_tid(int sig, pid_t tid, timer_t *out)
{
	struct sigevent sev;

	if (pm_should_fail())
		return -EAGAIN;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = sig;
	sev._sigev_un._tid = tid;
	return RET_ERRNO(timer_create(CLOCK_MONOTONIC, &sev, out));
}

int sys_timer_settime_ns(timer_t t, u64 ns)
{
	struct itimerspec its;

	if (pm_should_fail())
		return -EINVAL;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(ns % 1000000000ULL);
	return RET_ERRNO(timer_settime(t, 0, &its, NULL));
}

void sys_timer_delete(timer_t t)
{
	timer_delete(t);
}

void sys_sigdrain(int sig)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	while (sigtimedwait(&set, NULL, &zero) == sig)
		;
}
