// SPDX-License-Identifier: Apache-2.0
/*
 * Rule evaluation (userspace/lib/detect/filter_eval.c, rules_eval.c, the
 * per-event values of fields.c and the event-type index of filter.c): the
 * prefilter never hides a rule from an event it can match, a condition
 * compiled to a program gives the tree's truth table, a shared macro and a
 * field value are evaluated once per event and never carried over to the
 * next one (nor the flags of the previous open, rendered by name), and a
 * rule skipped because a macro of it is already false is one that could
 * not match.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "kcap_detect.h"
#include "unit.h"
#include "evbuild.h"





/* cat (101, child of bash 100) opens /etc/shadow (fd 3), then /tmp/notes
 * (fd 5, for writing), then connects a socket (fd 4). */
struct world {
	struct kcap_state *st;
	struct evb e, e_shadow, e_notes, e_conn;
	const struct kcap_event_hdr *shadow_ev, *notes_ev, *conn_ev;
};

static void world_init(struct world *w)
{
	static const char argv[] = "cat\0/etc/shadow";
	struct {
		__u16 family, port;
		__u32 addr;
		__u8 zero[8];
	} sin = { AF_INET, htons(443), htonl(0x0a000001), { 0 } };
	struct p fork[] = { { U32(101) }, { U32(101) }, { STR("bash") } };
	struct p exec[] = { { S64(0) },	      { STR("/bin/cat") }, { argv, sizeof(argv) },
			    { STR("/root") }, { STR("/bin/cat") }, { STR("cat") },
			    { U32(0) },	      { U32(0) },	   { U32(0) },
			    { U32(0) },	      { U32(0) },	   { U32(101) },
			    { U32(101) },     { STR("/") } };
	struct p shadow[] = { { S64(3) }, { S64(-100) }, { STR("/etc/shadow") },
			      { S64(0) }, { U32(0) },	 { STR("/etc/shadow") } };
	struct p notes[] = { { S64(5) },	{ S64(-100) }, { STR("notes") },
			     { S64(0101) }, { U32(0644) }, { STR("/tmp/notes") } };
	struct p sock[] = { { S64(4) }, { S64(AF_INET) }, { S64(1) }, { S64(0) } };
	struct p conn[] = { { S64(0) }, { S64(4) }, { &sin, sizeof(sin) } };
	struct kcap_state_opts o = { .sz = sizeof(o), .passwd = "/nonexistent" };

	w->st = kcap_state_new(&o);
	assert_non_null(w->st);
	assert_int_equal(
		kcap_state_update(w->st, NULL, mk_tid(&w->e, KCAP_EVT_PROC_FORK, 100, 10, 3, fork)), 0);
	assert_int_equal(
		kcap_state_update(w->st, NULL, mk_tid(&w->e, KCAP_EVT_EXECVE, 101, 20, 14, exec)), 0);
	w->shadow_ev = mk_tid(&w->e_shadow, KCAP_EVT_OPENAT, 101, 30, 6, shadow);
	assert_int_equal(kcap_state_update(w->st, NULL, w->shadow_ev), 0);
	w->notes_ev = mk_tid(&w->e_notes, KCAP_EVT_OPENAT, 101, 40, 6, notes);
	assert_int_equal(kcap_state_update(w->st, NULL, w->notes_ev), 0);
	assert_int_equal(
		kcap_state_update(w->st, NULL, mk_tid(&w->e, KCAP_EVT_SOCKET, 101, 50, 4, sock)), 0);
	w->conn_ev = mk_tid(&w->e_conn, KCAP_EVT_CONNECT, 101, 60, 3, conn);
	assert_int_equal(kcap_state_update(w->st, NULL, w->conn_ev), 0);
}

/* The rules of an evaluation, in the order they fired, "a b ". */
struct fired {
	char names[256];
};

static int on_alert(void *ctx, const struct kcap_alert *a)
{
	struct fired *f = ctx;
	size_t n = strlen(f->names);

	snprintf(f->names + n, sizeof(f->names) - n, "%s ", a->rule);
	return 0;
}

static struct kcap_rules *load(const char *text)
{
	struct kcap_rules *r = kcap_rules_new();

	assert_non_null(r);
	if (kcap_rules_load_string(r, "t.yaml", text) || kcap_rules_compile(r))
		fail_msg("%s", kcap_rules_errmsg(r));
	return r;
}

/* The rules of @r that fire on @ev, "a b " */
static const char *fire(struct kcap_rules *r, struct world *w, const struct kcap_event_hdr *ev,
			struct fired *f)
{
	f->names[0] = '\0';
	assert_true(kcap_rules_eval(r, w->st, NULL, ev, on_alert, f) >= 0);
	return f->names;
}

#define RULE(name, cond)                                                                   \
	"- rule: " name "\n  desc: d\n  condition: " cond "\n  output: o\n  priority: warning\n"

/* Does the one rule with condition @cond (after @prefix) fire on @ev? */
static bool fires(struct world *w, const struct kcap_event_hdr *ev, const char *prefix,
		  const char *cond)
{
	char text[2048];
	struct kcap_rules *r;
	struct fired f;
	bool hit;

	snprintf(text, sizeof(text), "%s" RULE("t", "%s"), prefix, cond);
	r = load(text);
	hit = fire(r, w, ev, &f)[0] != '\0';
	kcap_rules_free(r);
	return hit;
}

static void test_type_prefilter(void **state)
{
	static const char *macros = "- macro: is_conn\n  condition: evt.type = connect\n";
	struct world w;

	(void)state;
	world_init(&w);
	/* an "or" with a branch that names no type is checked on every event */
	assert_true(fires(&w, w.conn_ev, "", "evt.type = openat or proc.name = cat"));
	assert_true(fires(&w, w.shadow_ev, "", "evt.type = openat or proc.name = cat"));
	assert_false(fires(&w, w.conn_ev, "", "evt.type = openat or proc.name = vim"));
	/* not: every other type */
	assert_true(fires(&w, w.conn_ev, "", "not evt.type = openat"));
	assert_false(fires(&w, w.shadow_ev, "", "not evt.type = openat"));
	assert_true(fires(&w, w.shadow_ev, "", "not evt.type in (connect, close)"));
	assert_true(fires(&w, w.shadow_ev, "", "evt.type = openat and not evt.type = connect"));
	assert_false(fires(&w, w.conn_ev, "", "evt.type = openat and not evt.type = connect"));
	/* in, and an "and" of two sets: their intersection */
	assert_true(fires(&w, w.conn_ev, "", "evt.type in (openat, connect)"));
	assert_true(fires(&w, w.shadow_ev, "", "evt.type in (openat, connect)"));
	assert_true(fires(&w, w.conn_ev, "",
			  "evt.type in (openat, connect) and evt.type in (connect, close)"));
	assert_false(fires(&w, w.shadow_ev, "",
			   "evt.type in (openat, connect) and evt.type in (connect, close)"));
	/* macros are expanded for the analysis */
	assert_true(fires(&w, w.conn_ev, macros, "is_conn and proc.name = cat"));
	assert_false(fires(&w, w.shadow_ev, macros, "is_conn and proc.name = cat"));
	assert_true(fires(&w, w.shadow_ev, macros, "not is_conn and proc.name = cat"));
	assert_true(fires(&w, w.shadow_ev, macros, "is_conn or fd.num = 3"));
	kcap_state_free(w.st);
}

/* Atoms: T is true for cat's events, F false; as macros (shared nodes) and
 * as checks of their own. */
static void expect_truth(struct world *w, const char *cond, bool want)
{
	static const char *macros = "- macro: T\n  condition: proc.name = cat\n"
				    "- macro: F\n  condition: proc.name = vim\n";
	char inline_cond[512];
	size_t i, n = 0;

	if (fires(w, w->shadow_ev, macros, cond) != want)
		fail_msg("'%s' with macros: want %d", cond, want);
	for (i = 0; cond[i] && n + 20 < sizeof(inline_cond); i++) {
		if (cond[i] == 'T' || cond[i] == 'F')
			n += (size_t)snprintf(inline_cond + n, sizeof(inline_cond) - n,
					      "proc.name = %s", cond[i] == 'T' ? "cat" : "vim");
		else
			inline_cond[n++] = cond[i];
	}
	inline_cond[n] = '\0';
	if (fires(w, w->shadow_ev, "", inline_cond) != want)
		fail_msg("'%s': want %d", inline_cond, want);
}

static void test_condition_programs(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	expect_truth(&w, "T", true);
	expect_truth(&w, "F", false);
	expect_truth(&w, "not T", false);
	expect_truth(&w, "not not T", true);
	expect_truth(&w, "T and F", false);
	expect_truth(&w, "F and T", false);
	expect_truth(&w, "T or F", true);
	expect_truth(&w, "F or F or T", true);
	expect_truth(&w, "F or (F and T)", false);
	expect_truth(&w, "not (T and F)", true);
	expect_truth(&w, "not (T or F)", false);
	expect_truth(&w, "T and not F and (F or T)", true);
	expect_truth(&w, "(F or T) and (T and (F or not F))", true);
	expect_truth(&w, "F or not (T and (F or not T))", true);
	expect_truth(&w, "T and (F or (T and not T))", false);
	expect_truth(&w, "not T or not F", true);
	expect_truth(&w, "not (not T or not F)", false);
	expect_truth(&w, "(T and T) and (T or F) and not (F or F)", true);
	expect_truth(&w, "T and fd.num = 3 and not (fd.num = 4 or F)", true);
	expect_truth(&w, "(F or fd.num = 3) and (T and not fd.name = /etc/shadow)", false);
	kcap_state_free(w.st);
}

/* Several rules share macros and fields; each event must see its own values. */
static void test_shared_per_event(void **state)
{
	static const char *rules =
		"- macro: by_cat\n  condition: proc.name = cat\n"
		"- macro: shadow\n  condition: fd.name = /etc/shadow\n"
		RULE("a", "evt.type = openat and shadow and by_cat")
		RULE("b", "evt.type in (openat, connect) and by_cat and not shadow")
		RULE("c", "evt.type = openat and shadow and fd.directory = /etc"
			  " and proc.cmdline = \"cat /etc/shadow\"")
		RULE("d", "evt.type = openat and fd.directory = /tmp and evt.arg.name = notes"
			  " and fd.filename = notes")
		RULE("e", "evt.type = openat and evt.is_open_write = true"
			  " and proc.cmdline contains shadow and fd.directory = /tmp")
		RULE("f", "shadow and by_cat and fd.num = 3")
		RULE("g", "evt.type = openat and evt.arg.flags contains O_CREAT")
		RULE("h", "evt.type = openat and evt.arg.flags = O_RDONLY and evt.arg.mode = 0");
	struct world w;
	struct kcap_rules *r;
	struct fired f;
	int round;

	(void)state;
	world_init(&w);
	r = load(rules);
	/* twice, so that the second round starts from the first one's values */
	for (round = 0; round < 2; round++) {
		assert_string_equal(fire(r, &w, w.shadow_ev, &f), "a c f h ");
		assert_string_equal(fire(r, &w, w.notes_ev, &f), "b d e g ");
		assert_string_equal(fire(r, &w, w.conn_ev, &f), "b ");
		assert_string_equal(fire(r, &w, w.shadow_ev, &f), "a c f h ");
	}
	kcap_rules_free(r);
	kcap_state_free(w.st);
}

static const struct CMUnitTest eval_tests[] = {
	cmocka_unit_test(test_type_prefilter),
	cmocka_unit_test(test_condition_programs),
	cmocka_unit_test(test_shared_per_event),
};

UNIT_GROUP(eval, eval_tests)
