# SPDX-License-Identifier: Apache-2.0
#
# gen-sdk-doc.awk HEADER...: the SDK reference (docs/sdk.md) from the public
# headers' own comments. Section banners "/* ---- Title ---- */" become
# headings; each comment right above a KCAP_API declaration becomes that
# call's entry, followed by the declaration itself; a struct or enum
# definition becomes an entry with its comment and its whole body (every
# field with its comment); a run of #define constants with the comment above
# it likewise. The first comment of each header is its introduction.

function flush_comment(   t) {
	t = comment
	comment = ""
	sub(/^\n+/, "", t)
	return t
}

function strip(line) {
	sub(/^[ \t]*\/?\*+\/?[ \t]?/, "", line)
	sub(/[ \t]*\*\/[ \t]*$/, "", line)
	return line
}

FNR == 1 {
	if (NR > 1)
		print ""
	file = FILENAME
	sub(/.*\//, "", file)
	printf "## <kcap/%s>\n\n", file
	intro_done = 0
	comment = ""
	in_comment = 0
	in_decl = 0
}

# A struct or enum body, until its closing "};".
in_body {
	body = body "\n" $0
	if ($0 ~ /^};/) {
		print "```c\n" body "\n```\n"
		in_body = 0
	}
	next
}

# A run of #define constants, until a line that is not one.
in_defs {
	if ($0 ~ /^#define KCAP_[A-Z0-9_]+[ \t]/ || $0 ~ /^[ \t]+[^ \t].*\\?$/ && defs ~ /\\$/) {
		defs = defs "\n" $0
		next
	}
	print "```c\n" defs "\n```\n"
	in_defs = 0
}

# A declaration spanning lines until ';'.
in_decl {
	decl = decl "\n" $0
	if ($0 ~ /;/) {
		print "```c\n" decl "\n```\n"
		in_decl = 0
	}
	next
}

/^[ \t]*\/\* ---+.*---+ \*\/[ \t]*$/ {
	title = $0
	sub(/^[ \t]*\/\* -+ */, "", title)
	sub(/ *-+ \*\/[ \t]*$/, "", title)
	printf "### %s\n\n", title
	comment = ""
	next
}

/^[ \t]*\/\*/ && !in_comment {
	comment = ""
	if ($0 ~ /\*\//) {
		comment = strip($0)
		if (comment ~ /^SPDX-License-Identifier/)
			comment = ""
		next
	}
	in_comment = 1
	t = strip($0)
	if (t != "")
		comment = t
	next
}

in_comment {
	if ($0 ~ /\*\//) {
		in_comment = 0
		t = strip($0)
		if (t != "")
			comment = comment "\n" t
		if (!intro_done && comment != "") {
			sub(/^\n+/, "", comment)
			print comment "\n"
			intro_done = 1
			comment = ""
		}
		next
	}
	comment = comment "\n" strip($0)
	next
}

/KCAP_API/ && $0 !~ /^#/ {
	name = $0
	sub(/\(.*/, "", name)
	sub(/.*[ *]/, "", name)
	printf "#### `%s()`\n\n", name
	c = flush_comment()
	if (c != "")
		print c "\n"
	decl = $0
	if ($0 ~ /;/)
		print "```c\n" decl "\n```\n"
	else
		in_decl = 1
	next
}

/^(struct|enum) [a-z_0-9]+ \{/ {
	name = $1 " " $2
	printf "#### `%s`\n\n", name
	c = flush_comment()
	if (c != "")
		print c "\n"
	body = $0
	in_body = 1
	next
}

/^#define KCAP_[A-Z0-9_]+[ \t]/ && $0 !~ /_H$/ && $0 !~ /KCAP_API/ {
	c = flush_comment()
	if (c != "")
		print c "\n"
	defs = $0
	in_defs = 1
	next
}

/^[ \t]*$/ { next }

# Anything else (types, macros) ends the pending comment's claim.
{ comment = "" }
