// SPDX-License-Identifier: Apache-2.0
/*
 * Evaluation of a compiled condition. The tree is turned once into a
 * program of its checks (struct kstep): "a and (b or not c)" becomes
 *
 *   0: a  true -> 1    false -> FALSE
 *   1: b  true -> TRUE false -> 2
 *   2: c  true -> FALSE false -> TRUE
 *
 * so that an event visits the checks it needs and nothing else. A shared
 * node (a macro, or a check used by several rules) is one step of each
 * program that uses it: its own program runs once per event and its result
 * is kept (struct kmemo) for the other rules.
 */
#include <errno.h>
#include <stdlib.h>

#include "filter.h"

static bool is_step(const struct kfilter *root, const struct kfilter *f)
{
	return f != root && f->refs > 1;
}

/* Steps @f takes in @root's program. */
static unsigned int steps(const struct kfilter *root, const struct kfilter *f)
{
	unsigned int n = 0;
	size_t i;

	if (is_step(root, f) || f->kind == N_CMP || !f->nkids)
		return 1;
	if (f->kind == N_NOT)
		return steps(root, f->kids[0]);
	for (i = 0; i < f->nkids; i++)
		n += steps(root, f->kids[i]);
	return n;
}

/* Writes @f's steps from @at: true goes to @t, false to @fl. Returns the
 * step after them. */
static unsigned int emit(struct kstep *prog, const struct kfilter *root, struct kfilter *f,
			 unsigned int at, unsigned int t, unsigned int fl)
{
	unsigned int next;
	size_t i;

	if (is_step(root, f) || f->kind == N_CMP || !f->nkids) {
		prog[at].node = f;
		prog[at].kind = is_step(root, f) ? KS_SHARED
				: f->kind == N_CMP ? KS_CHECK
				: f->kind == N_AND ? KS_TRUE /* "and" of nothing */
						   : KS_FALSE;
		prog[at].on_true = t;
		prog[at].on_false = fl;
		return at + 1;
	}
	if (f->kind == N_NOT)
		return emit(prog, root, f->kids[0], at, fl, t);
	for (i = 0; i + 1 < f->nkids; i++) {
		next = at + steps(root, f->kids[i]);
		if (f->kind == N_AND)
			at = emit(prog, root, f->kids[i], at, next, fl);
		else
			at = emit(prog, root, f->kids[i], at, t, next);
	}
	return emit(prog, root, f->kids[i], at, t, fl);
}

int kcap__filter_prepare(struct kfilter *f)
{
	unsigned int i, n;
	int err;

	if (f->prog)
		return 0;
	n = steps(f, f);
	f->prog = calloc(n, sizeof(*f->prog));
	if (!f->prog)
		return -ENOMEM;
	f->nprog = n;
	emit(f->prog, f, f, 0, KS_END_TRUE, KS_END_FALSE);
	for (i = 0; i < n; i++)
		if (f->prog[i].kind == KS_SHARED && (err = kcap__filter_prepare(f->prog[i].node)))
			return err;
	return 0;
}

static bool run(const struct kfilter *f, struct kevctx *c);

/* A shared node: evaluated on the first use of the event, then kept. */
static bool shared(struct kfilter *f, struct kevctx *c)
{
	if (f->memo.num != c->num) {
		f->memo.val = run(f, c);
		f->memo.num = c->num;
	}
	return f->memo.val;
}

static bool run(const struct kfilter *f, struct kevctx *c)
{
	unsigned int pc = 0;

	for (;;) {
		const struct kstep *s = &f->prog[pc];
		bool r;

		switch (s->kind) {
		case KS_CHECK:
			r = kcap__eval_cmp(s->node, c);
			break;
		case KS_SHARED:
			r = s->node->memo.num == c->num ? s->node->memo.val : shared(s->node, c);
			break;
		default:
			r = s->kind == KS_TRUE;
			break;
		}
		pc = r ? s->on_true : s->on_false;
		if (pc >= KS_END_TRUE)
			return pc == KS_END_TRUE;
	}
}

bool kcap__filter_eval(struct kfilter *f, struct kevctx *c)
{
	return f->refs > 1 ? shared(f, c) : run(f, c);
}
