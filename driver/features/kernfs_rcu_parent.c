// SPDX-License-Identifier: GPL-2.0 OR MIT
/* kernfs_node's parent and name became RCU pointers (6.15). */
#include <linux/kernfs.h>
#include <linux/rcupdate.h>

const void *kcap_feature(struct kernfs_node *kn);
const void *kcap_feature(struct kernfs_node *kn)
{
	return rcu_access_pointer(kn->__parent);
}
