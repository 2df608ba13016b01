// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kcap module init and exit: tracepoints, syscall map, rings' CPU-hotplug
 * state, then the device. Parameters live in dev.c, which reads them.
 */
#include <linux/module.h>

#include "kcap.h"
#include "fill.h"

static int __init kcap_init(void)
{
	int ret;

	ret = kcap_tracepoints_init();
	if (ret)
		return ret;
	kcap_syscall_map_init();
	kcap_fill_init();
	kcap_path_init();
	ret = kcap_rings_init();
	if (ret)
		return ret;
	ret = kcap_dev_init();
	if (ret)
		kcap_rings_exit();
	return ret;
}

static void __exit kcap_exit(void)
{
	kcap_dev_exit();
	kcap_tracepoints_exit();
	kcap_rings_exit();
}

module_init(kcap_init);
module_exit(kcap_exit);

MODULE_LICENSE("Dual MIT/GPL");
MODULE_AUTHOR("kcap developers");
MODULE_DESCRIPTION("kcap: syscall and process lifecycle event capture");
MODULE_VERSION(__stringify(KCAP_ABI_MAJOR) "." __stringify(KCAP_ABI_MINOR) ".0");
MODULE_INFO(kcap_abi, __stringify(KCAP_ABI_MAJOR) "." __stringify(KCAP_ABI_MINOR));
