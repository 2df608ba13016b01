// SPDX-License-Identifier: GPL-2.0 OR MIT
/* User-memory reads for the fillers; see umem.h. */
#include <linux/uaccess.h>
#include <linux/pagemap.h>
#include <linux/string.h>
#include <linux/kernel.h>

#include "compat.h"
#include "umem.h"

#define KCAP_BOUNCE 256

int kcap_read_user(void *dst, const void __user *src, u32 len)
{
	u8 bounce[KCAP_BOUNCE] kcap_noinit;	/* n bytes copied, n bytes read */
	u32 done = 0;

	while (done < len) {
		u32 n = min_t(u32, len - done, KCAP_BOUNCE);

		/* Disables page faults itself: a miss is -EFAULT. */
		if (copy_from_user_nofault(bounce, src + done, n))
			return -EFAULT;
		memcpy(dst + done, bounce, n);
		done += n;
	}
	return 0;
}

long kcap_read_ustr(char *dst, const char __user *src, u32 max, bool *trunc)
{
	char bounce[KCAP_BOUNCE] kcap_noinit;	/* likewise */
	u32 done = 0;
	long n;

	*trunc = false;
	while (done < max) {
		u32 want = min_t(u32, max - done, KCAP_BOUNCE);

		/* No sleeping in a probe: a missing page ends the copy. */
		pagefault_disable();
		n = strncpy_from_user(bounce, src + done, want);
		pagefault_enable();
		if (n < 0)
			return -EFAULT;
		memcpy(dst + done, bounce, n);
		done += n;
		if (n < want)
			return done;
	}
	/* Filled @max: truncated unless the string ends right here. */
	pagefault_disable();
	n = strnlen_user(src + done, 1);
	pagefault_enable();
	*trunc = n != 1;
	return done;
}

void kcap_prefault(const void __user *src, u32 len)
{
#ifdef KCAP_HAS_FAULTABLE_SYSCALL_TP
	if (src && len)
		fault_in_readable(src, len);
#endif
}

long kcap_prefault_str(const char __user *src, u32 max)
{
#ifdef KCAP_HAS_FAULTABLE_SYSCALL_TP
	/* strnlen_user() may fault pages in: we are allowed to sleep here. */
	if (src)
		return strnlen_user(src, max);
#endif
	return 0;
}
