/*
 * test_xen_import.c - xentrace images built in memory, imported into .pmt
 * files and read back with libpmt: the description (clock, levels,
 * bindings, vCPU tasks, counters) and the events, and what happens on
 * damage with and without --tolerant.
 */
#include "tests/unit/pmt_cu.h"
#include "tests/xen/xen_build.h"
#include "tests/xen/xen_tests.h"
#include "record/xen/xen_import.h"

#include <stdio.h>
#include <unistd.h>

#define E(d, v) PMT_XEN_ENTITY(d, v)

static char out_path[64];

static int suite_init(void)
{
	snprintf(out_path, sizeof(out_path), "/tmp/pmt-xen-test-%d.pmt", (int)getpid());
	return 0;
}

static int suite_clean(void)
{
	unlink(out_path);
	return 0;
}

/* Two pCPUs; HVM domain 3 (2 vCPUs, one guest agent) and dom0. */
static void build_two_level(struct xb *b)
{
	char comm[16] = "make";
	uint32_t cw[4];
	memcpy(cw, comm, 16);
	xb_win(b, 0);
	xb_cswitch(b, 1000, 0x7fff, 0, 1, 3, 0);                  /* d3v0 on p0 */
	xb_rec(b, 0x0800f000u | 0x006, 0, 0, 7, 0u, 77u, 77u, cw[0], cw[1], cw[2], cw[3]);
	xb_rec(b, 0x81001, 1, 1100, 0);
	xb_rec(b, 0x0800f000u | 0x001, 0, 0, 3, 0u | 1u << 16, 50u, 77u);
	xb_cswitch(b, 2000, 3, 0, 1, 0, 0);                       /* d0v0 preempts */
	xb_end(b);
	xb_win(b, 1);
	xb_cswitch(b, 1500, 0x7fff, 1, 1, 3, 1);                  /* d3v1 on p1 */
	xb_rec(b, 0x81001, 1, 1600, 0);
	xb_rec(b, 0x0800f000u | 0x002, 0, 0, 4, 1u, 77u, 0u, 1u);
	xb_cswitch(b, 2100, 3, 1, 2, 0x7fff, 1);
	xb_end(b);
	xb_win(b, 0);
	xb_cswitch(b, 3000, 0, 0, 2, 3, 0);                       /* d3v0 back */
	xb_end(b);
}

static void two_levels_on_one_clock(void)
{
	struct xb b = { 0 };
	build_two_level(&b);
	struct pmt_xen_import_result res;
	char msg[256];
	struct pmt_xen_import_opts o = { .cpu_hz = 3000000000ull };
	int rc = pmt_xen_import_mem(b.buf, b.len, out_path, &o, &res, msg, sizeof(msg));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(res.windows, 3);
	CU_ASSERT_EQUAL(res.guest_levels, 2);
	int err = 0;
	pmt_reader *r = pmt_reader_open(out_path, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const struct pmt_info *in = pmt_reader_info(r);
	CU_ASSERT_EQUAL(in->nclocks, 1);
	CU_ASSERT_EQUAL(in->clocks[0].freq_hz, 3000000000ull);
	CU_ASSERT_EQUAL(in->clocks[0].flags & PMT_CLOCK_FREQ_ASSUMED, 0);
	/* Levels: host, then one per domain in domid order (Domain-0, d3). */
	CU_ASSERT_EQUAL_FATAL(in->nlevels, 3);
	CU_ASSERT_EQUAL(in->levels[0].kind, PMT_LEVEL_HOST);
	CU_ASSERT_EQUAL(in->levels[0].ncpus, 2);
	CU_ASSERT_EQUAL(in->levels[1].kind, PMT_LEVEL_GUEST);
	CU_ASSERT_EQUAL(in->levels[1].guest_id, 0);
	CU_ASSERT_STRING_EQUAL(in->levels[1].name, "Domain-0");
	CU_ASSERT_EQUAL(in->levels[1].ncpus, 1);
	CU_ASSERT_EQUAL(in->levels[2].kind, PMT_LEVEL_GUEST);
	CU_ASSERT_EQUAL(in->levels[2].guest_id, 3);
	CU_ASSERT_STRING_EQUAL(in->levels[2].name, "d3");
	CU_ASSERT_EQUAL(in->levels[2].ncpus, 2);
	CU_ASSERT_EQUAL(in->levels[2].clock, 0);
	CU_ASSERT_EQUAL_FATAL(in->nbindings, 3);
	CU_ASSERT_EQUAL(in->bindings[0].guest_level, 1);
	CU_ASSERT_EQUAL(in->bindings[0].host_tid, E(0, 0));
	CU_ASSERT_EQUAL(in->bindings[2].guest_level, 2);
	CU_ASSERT_EQUAL(in->bindings[2].guest_cpu, 1);
	CU_ASSERT_EQUAL(in->bindings[2].host_tid, E(3, 1));
	/* Tasks: d0v0, d3v0, d3v1. */
	CU_ASSERT_EQUAL(in->ntasks, 3);
	int named = 0;
	for (size_t i = 0; i < in->ntasks; i++)
		if (in->tasks[i].tid == E(3, 1) && !strcmp(in->tasks[i].comm, "d3v1") &&
		    in->tasks[i].pid == E(3, 0) && (in->tasks[i].flags & PMT_TASK_VCPU))
			named = 1;
	CU_ASSERT(named);
	CU_ASSERT_STRING_EQUAL(pmt_reader_meta(r, "xen.switches"), "5");
	CU_ASSERT_STRING_EQUAL(pmt_reader_meta(r, "xen.guest_events"), "3");

	/* Events, merged: time 0 ns is the first TSC (1000); 3 GHz. */
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	const struct pmt_event *e;
	int n = 0, host_sw = 0, guest = 0;
	int64_t last = INT64_MIN;
	while ((e = pmt_cursor_next(c, &err)) != NULL) {
		CU_ASSERT(e->time_ns >= last);
		last = e->time_ns;
		n++;
		if (e->level == 0 && e->type == PMT_EV_SWITCH)
			host_sw++;
		if (e->level == 2) {
			guest++;
			if (e->type == PMT_EV_SWITCH) {
				CU_ASSERT_EQUAL(e->cpu, 0);
				CU_ASSERT_EQUAL(e->ts, 1100);
				CU_ASSERT_EQUAL(e->time_ns, 33);   /* 100 ticks at 3 GHz */
				CU_ASSERT_EQUAL(e->u.sw.next_tid, 77);
			}
			if (e->type == PMT_EV_MIGRATE) {
				CU_ASSERT_EQUAL(e->cpu, 1);
				CU_ASSERT_EQUAL(e->ts, 1600);
			}
			if (e->type == PMT_EV_NAME)
				CU_ASSERT_STRING_EQUAL(e->u.name.comm.s, "make");
		}
	}
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(host_sw, 5);
	CU_ASSERT_EQUAL(guest, 3);
	CU_ASSERT_EQUAL(n, 8);
	pmt_cursor_close(c);
	pmt_reader_close(r);
	xb_free(&b);
}

static void the_default_frequency_is_flagged_assumed(void)
{
	struct xb b = { 0 };
	build_two_level(&b);
	char msg[256];
	CU_ASSERT_EQUAL_FATAL(pmt_xen_import_mem(b.buf, b.len, out_path, NULL, NULL, msg,
						 sizeof(msg)), 0);
	int err;
	pmt_reader *r = pmt_reader_open(out_path, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const struct pmt_info *in = pmt_reader_info(r);
	CU_ASSERT_EQUAL(in->clocks[0].freq_hz, 2400000000ull);
	CU_ASSERT(in->clocks[0].flags & PMT_CLOCK_FREQ_ASSUMED);
	CU_ASSERT_EQUAL(pmt_reader_to_ns(r, 0, 1000 + 2400), 1000);
	pmt_reader_close(r);
	xb_free(&b);
}

static void damage_fails_or_keeps_what_precedes_it(void)
{
	struct xb b = { 0 };
	build_two_level(&b);
	/* Cut inside the last window (d3v0 back on p0 at 3000..3004). */
	size_t cut = b.len - 20;
	char msg[256];
	struct pmt_xen_import_result res;
	unlink(out_path);
	int rc = pmt_xen_import_mem(b.buf, cut, out_path, NULL, &res, msg, sizeof(msg));
	CU_ASSERT_EQUAL(rc, PMT_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "offset "));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "past the end"));
	CU_ASSERT_EQUAL(access(out_path, F_OK), -1);      /* no output left */

	struct pmt_xen_import_opts o = { .tolerant = 1 };
	rc = pmt_xen_import_mem(b.buf, cut, out_path, &o, &res, msg, sizeof(msg));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT(res.damaged);
	/* The cut window kept INFPREV, INFNEXT, SWITCH (3 of 5 records): the
	 * switch to d3v0 at 3004 is gone, the four before it are in. */
	CU_ASSERT_EQUAL(res.st.switches, 4);
	int err;
	pmt_reader *r = pmt_reader_open(out_path, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL(pmt_reader_meta(r, "xen.damage"));
	CU_ASSERT_STRING_EQUAL(pmt_reader_meta(r, "xen.switches"), "4");
	pmt_reader_close(r);
	xb_free(&b);
}

static void text_is_refused_at_offset_zero(void)
{
	static const char text[] = "#!/bin/sh\necho not a trace\n";
	char msg[256];
	unlink(out_path);
	struct pmt_xen_import_opts o = { .tolerant = 1 };
	int rc = pmt_xen_import_mem((const uint8_t *)text, sizeof(text) - 1, out_path, &o,
				    NULL, msg, sizeof(msg));
	CU_ASSERT_EQUAL(rc, PMT_ECORRUPT);       /* nothing precedes the damage */
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "offset 0: expected a TRC_TRACE_CPU_CHANGE"));
	CU_ASSERT_EQUAL(access(out_path, F_OK), -1);
}

void xen_register_import(void)
{
	CU_pSuite s = CU_add_suite("xentrace import", suite_init, suite_clean);
	CU_add_test(s, "two levels on one clock", two_levels_on_one_clock);
	CU_add_test(s, "the default frequency is flagged assumed",
		    the_default_frequency_is_flagged_assumed);
	CU_add_test(s, "damage fails, or keeps what precedes it with --tolerant",
		    damage_fails_or_keeps_what_precedes_it);
	CU_add_test(s, "text is refused at offset 0", text_is_refused_at_offset_zero);
}
