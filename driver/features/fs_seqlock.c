// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fs_struct's spinlock + seqcount became one seqlock_t (7.x). */
#include <linux/fs_struct.h>

void kcap_feature(struct fs_struct *fs);
void kcap_feature(struct fs_struct *fs)
{
	read_seqlock_excl(&fs->seq);
	read_sequnlock_excl(&fs->seq);
}
