// SPDX-License-Identifier: GPL-2.0 OR MIT
/* kernel_cap_t is one u64 since 6.3; before, an array of two u32. */
#include <linux/capability.h>

u64 kcap_feature(kernel_cap_t c);
u64 kcap_feature(kernel_cap_t c)
{
	return c.val;
}
