/*
 * tepdec.c - binary scheduler records to pmt_sched calls (see tepdec.h).
 *
 * prev_state: the kernel prints it through __print_flags with a table of
 * letters that changes between kernels. Rather than hard-coding bit values,
 * the decoder asks libtraceevent to print a sched_switch record for each
 * single bit and reads the letter it prints: bit -> letter -> pmt state.
 * A raw value maps to the state of its lowest bit that prints a letter
 * other than R; a value without such a bit is runnable (R, R+).
 */
#include "record/tepdec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>
#include <trace-seq.h>

struct kind_desc {
	const char *system, *name;
	const char *fields[5];  /* needed fields, in the order of fld[] below    */
	unsigned optional;      /* bit i: fields[i] may be absent                 */
};

static const struct kind_desc kinds[PMT_TD_KIND_MAX_] = {
	[PMT_TD_SWITCH] = {"sched", "sched_switch",
			   {"prev_comm", "prev_pid", "prev_state", "next_comm", "next_pid"}, 0},
	[PMT_TD_MIGRATE] = {"sched", "sched_migrate_task",
			    {"comm", "pid", "orig_cpu", "dest_cpu"}, 1u},
	[PMT_TD_WAKING] = {"sched", "sched_waking", {"comm", "pid", "target_cpu"}, 1u | 4u},
	[PMT_TD_WAKEUP] = {"sched", "sched_wakeup", {"comm", "pid", "target_cpu"}, 1u | 4u},
	[PMT_TD_WAKEUP_NEW] = {"sched", "sched_wakeup_new", {"comm", "pid", "target_cpu"}, 1u | 4u},
	[PMT_TD_NEWTASK] = {"task", "task_newtask", {"pid", "comm", "clone_flags"}, 0},
	[PMT_TD_FORK] = {"sched", "sched_process_fork", {"parent_pid", "child_pid", "child_comm"}, 4u},
	[PMT_TD_EXEC] = {"sched", "sched_process_exec", {"filename", "pid", "old_pid"}, 4u},
	[PMT_TD_EXIT] = {"sched", "sched_process_exit", {"pid"}, 0},
};

struct extra {
	pmt_tepdec_fn fn;
	void *ctx;
	struct tep_event *ev;
};

struct ev_desc {
	uint8_t kind;
	uint16_t extra;                 /* index into d->extras for PMT_TD_EXTRA */
	int min_size;                   /* record must be at least this long    */
	struct tep_format_field *fld[5];
};

#define MAX_ID 65536
#define CLONE_THREAD_FLAG 0x00010000ull /* the clone(2) ABI value */

struct pmt_tepdec {
	struct tep_handle *tep;
	struct pmt_sched *s;
	struct tep_format_field *common_pid;
	struct ev_desc *by_id;          /* MAX_ID entries                        */
	struct extra *extras;
	unsigned nextras;
	int has[PMT_TD_KIND_MAX_];
	uint64_t counts[PMT_TD_KIND_MAX_];
	uint8_t bit_state[64];          /* state of each prev_state bit (0xff: none) */
	int seen_waking, seen_newtask;
};

const char *pmt_tepdec_system(int kind)
{
	return kind > 0 && kind < PMT_TD_EXTRA ? kinds[kind].system : NULL;
}

const char *pmt_tepdec_name(int kind)
{
	return kind > 0 && kind < PMT_TD_EXTRA ? kinds[kind].name : NULL;
}

int pmt_tepdec_kind_of(const char *system, const char *name)
{
	for (int k = 1; k < PMT_TD_EXTRA; k++)
		if ((!system || strcmp(system, kinds[k].system) == 0) && strcmp(name, kinds[k].name) == 0)
			return k;
	return PMT_TD_NONE;
}

static int field_end(const struct tep_format_field *f)
{
	return f ? f->offset + f->size : 0;
}

/* Letter printed for prev_state = v, or 0 when it cannot be had. */
static char print_state(struct tep_handle *tep, struct tep_event *ev,
			struct tep_format_field *st, int size, uint64_t v)
{
	char buf[512];
	if (size > (int)sizeof(buf))
		return 0;
	memset(buf, 0, sizeof(buf));
	uint16_t id = (uint16_t)ev->id;
	memcpy(buf, &id, sizeof(id));
	/* The running kernel's byte order is the host's; a trace.dat from a
	 * foreign-endian machine uses the fallback table instead. */
	if (st->size == 8)
		memcpy(buf + st->offset, &v, 8);
	else if (st->size == 4) {
		uint32_t v32 = (uint32_t)v;
		memcpy(buf + st->offset, &v32, 4);
	} else
		return 0;
	struct tep_record rec;
	memset(&rec, 0, sizeof(rec));
	rec.data = buf;
	rec.size = size;
	struct trace_seq seq;
	trace_seq_init(&seq);
	tep_print_event(tep, &seq, &rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&seq);
	char c = 0;
	const char *p = seq.buffer ? strstr(seq.buffer, "prev_state=") : NULL;
	if (p)
		c = p[strlen("prev_state=")];
	trace_seq_destroy(&seq);
	return c == ' ' ? 0 : c;
}

static void build_state_table(struct pmt_tepdec *d, struct tep_event *ev, int size,
			      void (*warn)(void *, const char *), void *wctx)
{
	static const char fallback[] = "SDTtXZPI"; /* bits 0..7 of Linux >= 4.14 */
	struct tep_format_field *st = d->by_id[ev->id].fld[2];
	int ok = tep_is_bigendian() == tep_is_file_bigendian(d->tep) &&
		 print_state(d->tep, ev, st, size, 0) == 'R';
	memset(d->bit_state, 0xff, sizeof(d->bit_state));
	for (int b = 0; ok && b < 8 * st->size && b < 64; b++) {
		char c = print_state(d->tep, ev, st, size, 1ull << b);
		if (!c) {
			ok = 0;
			break;
		}
		if (c != 'R')
			d->bit_state[b] = (uint8_t)pmt_sched_state_letter(c);
	}
	if (!ok) {
		memset(d->bit_state, 0xff, sizeof(d->bit_state));
		for (int b = 0; fallback[b]; b++)
			d->bit_state[b] = (uint8_t)pmt_sched_state_letter(fallback[b]);
		if (warn)
			warn(wctx, "sched_switch: prev_state letters not readable from the print format; using the Linux >= 4.14 table");
	}
}

uint32_t pmt_tepdec_state(const struct pmt_tepdec *d, uint64_t raw)
{
	while (raw) {
		int b = __builtin_ctzll(raw);
		if (d->bit_state[b] != 0xff)
			return d->bit_state[b];
		raw &= raw - 1;
	}
	return PMT_STATE_RUNNABLE;
}

struct pmt_tepdec *pmt_tepdec_new(struct tep_handle *tep, struct pmt_sched *s,
				  char *msg, size_t msglen,
				  void (*warn)(void *ctx, const char *text), void *warn_ctx)
{
	struct pmt_tepdec *d = calloc(1, sizeof(*d));
	if (!d || !(d->by_id = calloc(MAX_ID, sizeof(*d->by_id)))) {
		snprintf(msg, msglen, "out of memory");
		free(d);
		return NULL;
	}
	d->tep = tep;
	d->s = s;
	for (int k = 1; k < PMT_TD_EXTRA; k++) {
		struct tep_event *ev = tep_find_event_by_name(tep, kinds[k].system, kinds[k].name);
		if (!ev || ev->id < 0 || ev->id >= MAX_ID)
			continue;
		struct ev_desc *e = &d->by_id[ev->id];
		e->kind = (uint8_t)k;
		if (!d->common_pid)
			d->common_pid = tep_find_common_field(ev, "common_pid");
		e->min_size = field_end(d->common_pid);
		for (int i = 0; i < 5 && kinds[k].fields[i]; i++) {
			e->fld[i] = tep_find_field(ev, kinds[k].fields[i]);
			if (!e->fld[i] && !(kinds[k].optional & (1u << i))) {
				snprintf(msg, msglen, "%s: no field '%s' in its format",
					 kinds[k].name, kinds[k].fields[i]);
				pmt_tepdec_free(d);
				return NULL;
			}
			if (e->fld[i] && field_end(e->fld[i]) > e->min_size &&
			    !(e->fld[i]->flags & TEP_FIELD_IS_DYNAMIC))
				e->min_size = field_end(e->fld[i]);
			if (e->fld[i] && (e->fld[i]->flags & TEP_FIELD_IS_DYNAMIC) &&
			    e->fld[i]->offset + 4 > e->min_size)
				e->min_size = e->fld[i]->offset + 4;
		}
		d->has[k] = 1;
		if (k == PMT_TD_SWITCH)
			build_state_table(d, ev, e->min_size, warn, warn_ctx);
	}
	if (!d->common_pid) {
		snprintf(msg, msglen, "no scheduler event formats found");
		pmt_tepdec_free(d);
		return NULL;
	}
	return d;
}

void pmt_tepdec_free(struct pmt_tepdec *d)
{
	if (!d)
		return;
	free(d->by_id);
	free(d->extras);
	free(d);
}

int pmt_tepdec_has(const struct pmt_tepdec *d, int kind)
{
	return kind > 0 && kind < PMT_TD_KIND_MAX_ && d->has[kind];
}

int pmt_tepdec_add(struct pmt_tepdec *d, struct tep_event *ev, pmt_tepdec_fn fn, void *ctx)
{
	if (!ev || ev->id < 0 || ev->id >= MAX_ID)
		return -1;
	struct extra *x = realloc(d->extras, (d->nextras + 1) * sizeof(*x));
	if (!x)
		return -1;
	d->extras = x;
	x[d->nextras] = (struct extra){fn, ctx, ev};
	struct ev_desc *e = &d->by_id[ev->id];
	memset(e, 0, sizeof(*e));
	e->kind = PMT_TD_EXTRA;
	e->extra = (uint16_t)d->nextras++;
	e->min_size = d->common_pid ? field_end(d->common_pid) : 8;
	return 0;
}

const uint64_t *pmt_tepdec_counts(const struct pmt_tepdec *d)
{
	return d->counts;
}

/* ---------------------------------------------------------------- fields */

static uint64_t num(const struct pmt_tepdec *d, const struct tep_format_field *f, const void *data)
{
	return tep_read_number(d->tep, (const char *)data + f->offset, f->size);
}

/*
 * A string field: fixed char array, __data_loc (u32: length << 16 | offset)
 * or __rel_loc (offset from the end of the field). Bounds-checked against the
 * record: a damaged record gives "" rather than a read past its end. The
 * result is copied into buf (NUL-terminated, at most len-1 chars).
 */
static const char *str(const struct pmt_tepdec *d, const struct tep_format_field *f,
		       const void *data, int size, char *buf, size_t len)
{
	const char *base = data;
	int off, n;
	if (!f)
		return NULL;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		uint32_t loc = (uint32_t)tep_read_number(d->tep, base + f->offset, 4);
		off = (int)(loc & 0xffff);
		n = (int)(loc >> 16);
		if (f->flags & TEP_FIELD_IS_RELATIVE)
			off += f->offset + f->size;
	} else {
		off = f->offset;
		n = f->size;
	}
	if (off < 0 || n < 0 || off > size || n > size - off)
		n = 0;
	size_t m = strnlen(base + off, (size_t)n);
	if (m >= len)
		m = len - 1;
	memcpy(buf, base + off, m);
	buf[m] = 0;
	return buf;
}

int pmt_tepdec_record(struct pmt_tepdec *d, uint32_t cpu, uint64_t ts,
		      const void *data, int size)
{
	if (size < 2)
		return 1;
	unsigned id = (unsigned)tep_read_number(d->tep, data, 2);
	const struct ev_desc *e = &d->by_id[id];
	if (!e->kind || size < e->min_size) {
		d->counts[PMT_TD_NONE]++;
		return 1;
	}
	d->counts[e->kind]++;
	int32_t cpid = (int32_t)num(d, d->common_pid, data);
	char c1[PMT_COMM_LEN], c2[PMT_COMM_LEN];
	char path[256];
	const char *a;
	struct tep_format_field *const *f = e->fld;
	switch (e->kind) {
	case PMT_TD_SWITCH:
		str(d, f[0], data, size, c1, sizeof(c1));
		str(d, f[3], data, size, c2, sizeof(c2));
		return pmt_sched_switch(d->s, cpu, ts, (uint32_t)num(d, f[1], data), c1,
					pmt_tepdec_state(d, num(d, f[2], data)),
					(uint32_t)num(d, f[4], data), c2);
	case PMT_TD_MIGRATE:
		a = str(d, f[0], data, size, c1, sizeof(c1));
		return pmt_sched_migrate(d->s, cpu, ts, (uint32_t)num(d, f[1], data), a,
					 (uint32_t)num(d, f[2], data), (uint32_t)num(d, f[3], data));
	case PMT_TD_WAKEUP:
		if (d->seen_waking)
			return 1; /* the same wakeup was seen as sched_waking */
		/* fall through */
	case PMT_TD_WAKING:
	case PMT_TD_WAKEUP_NEW: {
		uint32_t flags = e->kind == PMT_TD_WAKING ? PMT_WAKE_WAKING
				 : e->kind == PMT_TD_WAKEUP_NEW ? PMT_WAKE_NEW : 0;
		if (e->kind == PMT_TD_WAKING)
			d->seen_waking = 1;
		a = str(d, f[0], data, size, c1, sizeof(c1));
		uint32_t target = f[2] ? (uint32_t)num(d, f[2], data) : cpu;
		return pmt_sched_wakeup(d->s, cpu, ts, (uint32_t)num(d, f[1], data), a, target,
					(uint32_t)cpid, flags);
	}
	case PMT_TD_NEWTASK:
		d->seen_newtask = 1;
		str(d, f[1], data, size, c1, sizeof(c1));
		return pmt_sched_fork(d->s, cpu, ts, (uint32_t)cpid, (uint32_t)num(d, f[0], data),
				      c1, (num(d, f[2], data) & CLONE_THREAD_FLAG) ? 1 : 0);
	case PMT_TD_FORK:
		if (d->seen_newtask)
			return 1; /* already recorded by task_newtask */
		a = str(d, f[2], data, size, c1, sizeof(c1));
		return pmt_sched_fork(d->s, cpu, ts, (uint32_t)num(d, f[0], data),
				      (uint32_t)num(d, f[1], data), a, -1);
	case PMT_TD_EXEC: {
		uint32_t tid = (uint32_t)num(d, f[1], data);
		str(d, f[0], data, size, path, sizeof(path));
		return pmt_sched_exec(d->s, cpu, ts, tid,
				      f[2] ? (uint32_t)num(d, f[2], data) : tid, path);
	}
	case PMT_TD_EXIT:
		return pmt_sched_exit(d->s, cpu, ts, (uint32_t)num(d, f[0], data));
	case PMT_TD_EXTRA: {
		const struct extra *x = &d->extras[e->extra];
		return x->fn(x->ctx, x->ev, cpu, ts, cpid, (void *)data, size);
	}
	}
	(void)c2;
	return 1;
}
