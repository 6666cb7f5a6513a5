// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include "lock_ranks.h"
#include "mutex.h"
#include "uaccess.h"
#include "sys.h"

int copy_from_user(void *dst, const void *usrc, size_t len)
{
	struct iovec local = { dst, len };
	struct iovec remote = { (void *)usrc, len };
	ssize_t n;

	if (!len)
		return 0;
	n = sys_process_vm_readv(&local, 1, &remote, 1);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

int copy_to_user(void *udst, const void *src, size_t len)
{
	struct iovec local = { (void *)src, len };
	struct iovec remote = { udst, len };
	ssize_t n;

	if (!len)
		return 0;
	n = sys_process_vm_writev(&local, 1, &remote, 1);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

int copy_struct_from_user(void *dst, size_t ksize, const void *usrc,
			  size_t usize)
{
	size_t n = usize < ksize ? usize : ksize;
	int rc;

	if (usize > ksize) {
		/* Check the unknown tail in chunks, without a heap buffer. */
		const char *p = (const char *)usrc + ksize;
		size_t rest = usize - ksize;
		char buf[256];

		while (rest) {
			size_t chunk = rest < sizeof(buf) ? rest : sizeof(buf);
			size_t i;

			rc = copy_from_user(buf, p, chunk);
			if (rc)
				return rc;
			for (i = 0; i < chunk; i++)
				if (buf[i])
					return -E2BIG;
			p += chunk;
			rest -= chunk;
		}
	}
	rc = copy_from_user(dst, usrc, n);
	if (rc)
		return rc;
	if (n < ksize)
		memset((char *)dst + n, 0, ksize - n);
	return 0;
}

/*
 * copy_nofault(): the jump buffer is per thread and armed only for the
 * duration of the memcpy, so a fault anywhere else is not ours.
 */
static __thread sigjmp_buf nofault_jmp;
static __thread volatile sig_atomic_t nofault_armed;
static struct sigaction old_segv, old_bus;
static bool nofault_installed;
static DEFINE_LOCK_CLASS(nofault_class, LOCK_RANK_LEAF);
static struct mutex nofault_lock = { PTHREAD_MUTEX_INITIALIZER,
				     &nofault_class };

static void nofault_chain(int sig, siginfo_t *si, void *uc,
			  struct sigaction *old)
{
	if (old->sa_flags & SA_SIGINFO)
		old->sa_sigaction(sig, si, uc);
	else if (old->sa_handler == SIG_IGN)
		return;
	else if (old->sa_handler != SIG_DFL)
		old->sa_handler(sig);
	else
		/* Returning re-executes the access, which now kills us. */
		sys_signal_default(sig);
}

static void nofault_handler(int sig, siginfo_t *si, void *uc)
{
	if (nofault_armed) {
		nofault_armed = 0;
		/*
		 * Leave with the mask the copy ran under. The kernel blocked
		 * the handler's sa_mask, and an interposed runtime (TSan) may
		 * have blocked every signal; sigsetjmp(..., 0) restores none
		 * of it, and saving the mask on every copy costs a system
		 * call. Never injected: this is a signal handler.
		 */
		pthread_sigmask(SIG_SETMASK,
				&((ucontext_t *)uc)->uc_sigmask, NULL);
		siglongjmp(nofault_jmp, sig);
	}
	nofault_chain(sig, si, uc, sig == SIGBUS ? &old_bus : &old_segv);
}

int copy_nofault_init(void)
{
	struct sigaction sa;
	int rc = 0;

	if (__atomic_load_n(&nofault_installed, __ATOMIC_ACQUIRE))
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = nofault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	mutex_lock(&nofault_lock);
	if (!nofault_installed) {
		rc = sys_sigaction(SIGBUS, &sa, &old_bus);
		if (!rc) {
			rc = sys_sigaction(SIGSEGV, &sa, &old_segv);
			if (rc)
				sys_sigaction(SIGBUS, &old_bus, NULL);
		}
		if (!rc)
			__atomic_store_n(&nofault_installed, true,
					 __ATOMIC_RELEASE);
	}
	mutex_unlock(&nofault_lock);
	return rc;
}

/*
 * copy_nofault() moves data between guest (or device) memory and a
 * buffer. Guest memory is shared with the guest and every device by
 * design, as in hardware: concurrent DMA to one page is the guest's
 * business, not a race in privmem. ThreadSanitizer is told to ignore these
 * accesses (as KCSAN's data_race() marks such accesses in the kernel);
 * everything else stays checked.
 */
#ifdef __SANITIZE_THREAD__
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define shared_memory_begin()                                                  \
	do {                                                                   \
		AnnotateIgnoreReadsBegin(__FILE__, __LINE__);                  \
		AnnotateIgnoreWritesBegin(__FILE__, __LINE__);                 \
	} while (0)
#define shared_memory_end()                                                    \
	do {                                                                   \
		AnnotateIgnoreWritesEnd(__FILE__, __LINE__);                   \
		AnnotateIgnoreReadsEnd(__FILE__, __LINE__);                    \
	} while (0)
#else
#define shared_memory_begin() do { } while (0)
#define shared_memory_end() do { } while (0)
#endif

int copy_nofault(void *dst, const void *src, size_t len)
{
	if (sigsetjmp(nofault_jmp, 0))
		/*
		 * The handler disarmed. No shared_memory_end(): TSan clears
		 * the thread's ignore state when it enters a signal handler
		 * and restores it only when the handler returns, which ours
		 * does not.
		 */
		return -EFAULT;
	shared_memory_begin();
	nofault_armed = 1;
	__asm__ volatile("" ::: "memory");
	memcpy(dst, src, len);
	__asm__ volatile("" ::: "memory");
	nofault_armed = 0;
	shared_memory_end();
	return 0;
}
