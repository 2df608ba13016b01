# SPDX-License-Identifier: Apache-2.0
#
# gen-sdk-doc.awk HEADER...: the SDK reference (docs/sdk.md) from the public
# headers' own comments. Section banners "/* ---- Title ---- */" become
# headings; each comment right above a KCAP_API declaration becomes that
# call's entry, followed by the declaration itself. The first comment of
# each header is its introduction.

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

# A declaration spanning lines until ';'.
in_decl {
	decl = decl "\n" $0
	if ($0 ~ /;/) {
		print "```c\n" decl "\n```\n"
		in_decl = 0
	}
	next
}

/^[ \t]*\/\* -{3,}.*-{3,} \*\/[ \t]*$/ {
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

/^[ \t]*$/ { next }

# Anything else (types, macros) ends the pending comment's claim.
{ comment = "" }
