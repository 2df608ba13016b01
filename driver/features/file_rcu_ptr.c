// SPDX-License-Identifier: GPL-2.0 OR MIT
/* get_file_rcu() takes the __rcu pointer and rechecks it (6.7: files are
 * SLAB_TYPESAFE_BY_RCU); before, a macro incrementing f_count.
 */
#include <linux/fs.h>

struct file *kcap_feature(struct file __rcu **f);
struct file *kcap_feature(struct file __rcu **f)
{
	return get_file_rcu(f);
}
