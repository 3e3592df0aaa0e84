/*
 * sync_source.c - pmt-record's guest side of two-level recording:
 * `--sync-pulses N --sync-port PORT`.
 *
 * Emits sync pulses (record/sync.h) into the Linux source's trace_marker: half
 * (rounded up) right after tracing starts, before the command runs, and the
 * rest just before tracing stops, so the pulses span the whole recording and
 * pmt-merge can fit both the offset and the rate of the guest clock. The
 * recording's clock must be the TSC the pulses read: the source sets
 * --clock x86-tsc when none was given and refuses any other.
 * Owner: the two-level area.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>
#include <traceevent/event-parse.h>

#include "record/linux.h"
#include "record/source.h"
#include "record/sync.h"

static unsigned npulses;
static unsigned port = 0x3e8;

struct sync_state {
	int fd;                 /* the instance's trace_marker                    */
	uint32_t seq;           /* next pulse number                              */
};

static const struct pmt_source_opt sync_opts[] = {
	{"sync-pulses", 1, "N", "emit N clock-sync pulses (guest side of --vm; docs/VM.md)"},
	{"sync-port", 1, "PORT", "I/O port of the sync pulses (default 0x3e8, COM3)"},
	{NULL, 0, NULL, NULL},
};

static int sync_option(struct pmt_rec *r, const char *name, const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg ? arg : "", &end, 0);

	if (!arg || !*arg || *end) {
		pmt_rec_usage(r, "--%s needs a number", name);
		return -1;
	}
	if (strcmp(name, "sync-pulses") == 0) {
		if (v < 1 || v > 100000) {
			pmt_rec_usage(r, "--sync-pulses must be 1..100000");
			return -1;
		}
		npulses = (unsigned)v;
	} else {
		if (v < 1 || v > 0xffff) {
			pmt_rec_usage(r, "--sync-port must be 1..0xffff");
			return -1;
		}
		port = (unsigned)v;
	}
	return 0;
}

static int sync_active(struct pmt_rec *r)
{
	if (!npulses)
		return 0;
	if (!r->clock)
		r->clock = "x86-tsc"; /* the pulses read the TSC */
	return 1;
}

/* ftrace:print (a trace_marker write) -> PMT_EV_MARKER with its text. */
static int on_print(struct pmt_rec *r, void *ctx, const struct pmt_linux_rec *rec)
{
	struct tep_format_field *f = tep_find_field(rec->event, "buf");
	struct pmt_event ev;

	if (!f || f->offset >= rec->size)
		return 0;
	const char *text = (const char *)rec->data + f->offset;
	size_t len = strnlen(text, (size_t)(rec->size - f->offset));
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	memset(&ev, 0, sizeof(ev));
	ev.ts = rec->ts;
	ev.level = r->host_level;
	ev.cpu = rec->cpu;
	ev.type = PMT_EV_MARKER;
	ev.u.marker.text.s = text;
	ev.u.marker.text.len = (uint32_t)len;
	return pmt_rec_append(r, &ev);
}

static int sync_open(struct pmt_rec *r, void **state)
{
	struct sync_state *st = calloc(1, sizeof(*st));
	struct pmt_linux *l = pmt_linux_of(r);

	if (!st) {
		pmt_rec_err(r, "out of memory");
		return -1;
	}
	st->fd = -1;
	*state = st;
	if (strcmp(r->clock ? r->clock : "", "x86-tsc") != 0) {
		pmt_rec_err(r, "--sync-pulses needs the x86-tsc clock, not '%s'", r->clock);
		return -1;
	}
	if (!l) {
		pmt_rec_err(r, "--sync-pulses needs the Linux tracefs source");
		return -1;
	}
	int rc = pmt_linux_add_event(l, "ftrace", "print", on_print, st);
	if (rc != 0) {
		if (rc > 0)
			pmt_rec_err(r, "--sync-pulses: this kernel cannot record trace_marker writes");
		return -1;
	}
	st->fd = tracefs_instance_file_open(pmt_linux_instance(l), "trace_marker", O_WRONLY);
	if (st->fd < 0) {
		pmt_rec_err(r, "cannot open the instance's trace_marker");
		return -1;
	}
	char v[32];
	snprintf(v, sizeof(v), "0x%x", port);
	pmt_writer_set_meta(r->w, "sync.port", v);
	return 0;
}

static int emit(struct pmt_rec *r, struct sync_state *st, unsigned count)
{
	char err[200];
	if (pmt_sync_emit(st->fd, port, count, &st->seq, err, sizeof(err)) < 0) {
		pmt_rec_err(r, "sync pulses: %s", err);
		return -1;
	}
	return 0;
}

static int sync_start(struct pmt_rec *r, void *state)
{
	return emit(r, state, (npulses + 1) / 2);
}

static int sync_stop(struct pmt_rec *r, void *state)
{
	struct sync_state *st = state;
	int rc = 0;
	if (st->fd >= 0 && st->seq > 0 && npulses / 2)
		rc = emit(r, st, npulses / 2);
	return rc;
}

static int sync_finish(struct pmt_rec *r, void *state)
{
	struct sync_state *st = state;
	char v[32];
	snprintf(v, sizeof(v), "%u", st->seq);
	pmt_writer_set_meta(r->w, "sync.pulses", v);
	return 0;
}

static void sync_close(struct pmt_rec *r, void *state)
{
	struct sync_state *st = state;
	if (!st)
		return;
	if (st->fd >= 0)
		close(st->fd);
	free(st);
}

const struct pmt_source pmt_source_sync = {
	.name = "sync",
	.opts = sync_opts,
	.option = sync_option,
	.active = sync_active,
	.open = sync_open,
	.start = sync_start,
	.stop = sync_stop,
	.finish = sync_finish,
	.close = sync_close,
};
