// SPDX-License-Identifier: GPL-2.0 OR MIT
/* vma->vm_flags became read-only behind vm_flags_set/clear() (6.3). */
#include <linux/mm.h>

void kcap_feature(struct vm_area_struct *vma);
void kcap_feature(struct vm_area_struct *vma)
{
	vm_flags_clear(vma, VM_MAYWRITE);
}
