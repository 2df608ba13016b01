// SPDX-License-Identifier: Apache-2.0
/* kcap list-fields: the fields rule conditions and outputs can use. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kcap_detect.h"

static const char list_fields_usage[] =
	"Usage: kcap list-fields [--markdown]\n"
	"Print the fields of kcap detect's rules (Falco's names): NAME TYPE and a\n"
	"description. [N] takes a position, .NAME a parameter name.\n";

static const char *const type_names[] = { "string", "int64", "bool", "ipaddr" };

int cmd_list_fields(int argc, char **argv)
{
	const struct kcap_field_info *f;
	bool md = false;
	unsigned int i;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--markdown")) {
			md = true;
		} else if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			fputs(list_fields_usage, stdout);
			return 0;
		} else {
			return usage_error("list-fields", "unexpected argument '%s'", argv[a]);
		}
	}
	if (md)
		printf("| field | type | description |\n|---|---|---|\n");
	for (i = 0; (f = kcap_field_at(i)); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s%s", f->name,
			 f->flags & KCAP_FF_NAME ? ".NAME" : "",
			 f->flags & KCAP_FF_INDEX ? "[N]" : "");
		/* output_ok(): the first failed write's errno, for the message */
		if (md)
			output_ok(printf("| `%s` | %s | %s |\n", name, type_names[f->type],
					 f->desc) >= 0);
		else
			output_ok(printf("%-22s %-7s %s\n", name, type_names[f->type],
					 f->desc) >= 0);
	}
	return check_output("list-fields");
}
