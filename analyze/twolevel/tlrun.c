/* tlrun.c - running the two-level analyses over a trace (tlrun.h). */
#include "analyze/twolevel/tlrun.h"

#include <string.h>

#include "analyze/engine/feed.h"

static void ev_cb(void *ctx, struct eng *e, const struct pmt_event *ev)
{
	(void)e;
	tl_event(ctx, ev);
}

static void end_cb(void *ctx, struct eng *e)
{
	tl_finish(ctx, eng_trace_end(e));
}

const struct eng_module *tl_eng_module(void)
{
	/* the engine keeps this pointer for the whole pass */
	static const struct eng_module m = { .name = "twolevel", .event = ev_cb, .end = end_cb };
	return &m;
}

static void progress_cb(void *ctx, uint64_t n, uint64_t total)
{
	cli_progress(ctx, n, total);
}

int tl_drive(struct cli *c, const char *path, pmt_reader *r, struct eng *e, struct tl *t)
{
	int err = 0;
	pmt_cursor *cur = pmt_cursor_open_merged(r, NULL, &err);
	if (!cur) {
		cli_error(c, "'%s': %s", path, pmt_strerror(err));
		return err ? err : PMT_ENOMEM;
	}
	struct eng_pass pass = {
		.total = pmt_reader_info(r)->events,
		.progress = progress_cb,
		.ctx = c,
	};
	err = eng_pass_run(e, cur, &pass, NULL);
	pmt_cursor_close(cur);
	cli_progress_done(c);
	if (err < 0 && !c->tolerant) {
		cli_error(c, "'%s': %s", path, pmt_strerror(err));
		return err;
	}
	eng_finish(e, INT64_MIN);
	if (t->oom) {
		cli_error(c, "'%s': %s", path, pmt_strerror(PMT_ENOMEM));
		return PMT_ENOMEM;
	}
	return 0;
}

int tl_session_run(struct cli *c, const char *path, struct tl_opts *o, const char *needs,
		   struct tl_session *s)
{
	*s = (struct tl_session){ 0 };
	s->r = cli_open(c, path);
	if (!s->r)
		return -1;
	const struct pmt_info *info = pmt_reader_info(s->r);
	tl_opts_window(c, o);
	s->t = tl_new(info, o);
	s->e = eng_new(info);
	if (!s->t || !s->e) {
		cli_error(c, "'%s': %s", path, pmt_strerror(PMT_ENOMEM));
		goto fail;
	}
	if (!s->t->nguests) {
		cli_error(c, "'%s': no guest in this trace: %s (pmt-record --vm, pmt-merge)", path,
			  needs);
		goto fail;
	}
	eng_add_module(s->e, tl_eng_module(), s->t);
	if (tl_drive(c, path, s->r, s->e, s->t) < 0)
		goto fail;
	return 0;
fail:
	tl_session_release(s);
	return -1;
}

void tl_session_release(struct tl_session *s)
{
	eng_free(s->e);
	tl_free(s->t);
	pmt_reader_close(s->r);
	*s = (struct tl_session){ 0 };
}

void tl_opts_window(const struct cli *c, struct tl_opts *o)
{
	if (!c->has_time)
		return;
	o->t_lo = cli_time_lo(c);
	o->t_hi = cli_time_hi(c);
}

int tl_guest_wanted(const struct cli *c, const struct tl_guest *g)
{
	return c->level < 0 || c->level == g->level;
}

void tl_note_levels(struct out *o, const struct tl_guest *g, const char *cmd)
{
	if (!g->has_host && !g->has_guest)
		out_note(o, "guest '%s': neither its level nor its host threads have events: nothing is known",
			 g->name);
	else if (!g->has_host)
		out_note(o, "guest '%s': the host level is missing (no host events for its vCPU threads): "
			    "%s", g->name,
			 !strcmp(cmd, "vcpus") ? "host states, steal and pCPU changes are not known; busy/idle come from the guest"
			 : !strcmp(cmd, "stalls") ? "stalls and the latency split are not known; blocked time comes from the guest"
			 : "co-scheduling and skew need the vCPUs' host states; busy/idle per vCPU are in 'pmt-analyze vcpus'");
	else if (!g->has_guest)
		out_note(o, "guest '%s': the guest level is missing (host-only trace): %s", g->name,
			 !strcmp(cmd, "vcpus") ? "busy/idle and harmful steal need the guest trace; host states are measured"
			 : !strcmp(cmd, "stalls") ? "stalls need the guest's tasks; vCPU steal is in 'pmt-analyze vcpus'"
			 : "busy means wanting a CPU on the host (running or runnable)");
}
