// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
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
