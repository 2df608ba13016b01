// SPDX-License-Identifier: GPL-2.0 OR MIT
/* inode_get_mtime() since 6.7 (i_mtime became private). */
#include <linux/fs.h>

struct timespec64 kcap_feature(const struct inode *i);
struct timespec64 kcap_feature(const struct inode *i)
{
	return inode_get_mtime(i);
}
