// SPDX-License-Identifier: GPL-2.0 OR MIT
/* d_real() takes an enum d_real_type since 6.8; before, an inode. */
#include <linux/dcache.h>

struct dentry *kcap_feature(struct dentry *d);
struct dentry *kcap_feature(struct dentry *d)
{
	return d_real(d, D_REAL_METADATA);
}
