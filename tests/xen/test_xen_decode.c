/*
 * test_xen_decode.c - the window index, the per-pCPU merge and the decoder
 * on xentrace images built in memory, with the expected events known
 * exactly from how the images were built.
 */
#include "tests/unit/pmt_cu.h"
#include "tests/xen/xen_build.h"
#include "tests/xen/xen_tests.h"
#include "record/xen/xen_decode.h"
#include "record/xen/xen_guest.h"
#include "record/xen/xen_merge.h"

#include <stdio.h>

#define E(d, v) PMT_XEN_ENTITY(d, v)

/* ------------------------------------------------------------ capture */

struct cap {
	struct pmt_event ev[256];
	char comm[256][17];
	size_t n;
};

static int cap_emit(void *opaque, const struct pmt_event *ev)
{
	struct cap *c = opaque;
	if (c->n >= 256)
		return PMT_ELIMIT;
	c->ev[c->n] = *ev;
	if (ev->type == PMT_EV_NAME) {
		snprintf(c->comm[c->n], 17, "%.*s", (int)ev->u.name.comm.len, ev->u.name.comm.s);
		c->ev[c->n].u.name.comm.s = c->comm[c->n];
	}
	c->n++;
	return 0;
}

/* Index, merge and decode a whole image into c; returns the decoder's stats. */
static struct xen_decode_stats decode_image(const struct xb *b, struct cap *c,
					    int use_runstate, int guest_dom, uint32_t guest_ncpus)
{
	struct xen_index ix;
	CU_ASSERT_EQUAL_FATAL(xen_index_build(b->buf, b->len, &ix), 0);
	struct xen_merge m;
	CU_ASSERT_EQUAL_FATAL(xen_merge_init(&m, ix.ncpus), 0);
	for (size_t i = 0; i < ix.nwin; i++)
		CU_ASSERT_EQUAL(xen_merge_add(&m, ix.win[i].cpu, b->buf + ix.win[i].offset,
					      ix.win[i].size, ix.win[i].offset, 0), 0);
	struct xen_decoder d;
	CU_ASSERT_EQUAL_FATAL(xen_decoder_init(&d, ix.ncpus, use_runstate, cap_emit, c), 0);
	if (guest_dom >= 0)
		xen_decoder_set_guest_level(&d, (uint16_t)guest_dom, 1, guest_ncpus);
	struct xen_rec r;
	while (xen_merge_next(&m, UINT64_MAX, 1, &r) == 1)
		CU_ASSERT_EQUAL(xen_decoder_feed(&d, &r), 0);
	struct xen_decode_stats st = d.st;
	xen_decoder_release(&d);
	xen_merge_release(&m);
	xen_index_release(&ix);
	return st;
}

static void assert_switch(const struct pmt_event *e, uint64_t ts, uint32_t cpu,
			  uint32_t prev, uint32_t state, uint32_t next)
{
	CU_ASSERT_EQUAL(e->type, PMT_EV_SWITCH);
	CU_ASSERT_EQUAL(e->level, 0);
	CU_ASSERT_EQUAL(e->ts, ts);
	CU_ASSERT_EQUAL(e->cpu, cpu);
	CU_ASSERT_EQUAL(e->u.sw.prev_tid, prev);
	CU_ASSERT_EQUAL(e->u.sw.prev_state, state);
	CU_ASSERT_EQUAL(e->u.sw.next_tid, next);
}

/* -------------------------------------------------------------- index */

static void index_of_two_windows(void)
{
	struct xb b = { 0 };
	xb_win(&b, 0);
	xb_rec(&b, 0x12345, 1, 100, 2, 1u, 2u);
	xb_end(&b);
	xb_win(&b, 5);
	xb_rec(&b, 0x12345, 0, 0, 7, 1u, 2u, 3u, 4u, 5u, 6u, 7u);
	xb_end(&b);
	struct xen_index ix;
	CU_ASSERT_EQUAL(xen_index_build(b.buf, b.len, &ix), 0);
	CU_ASSERT_EQUAL(ix.nwin, 2);
	CU_ASSERT_EQUAL(ix.ncpus, 6);
	CU_ASSERT_EQUAL(ix.win[0].offset, 12);
	CU_ASSERT_EQUAL(ix.win[0].size, 20);
	CU_ASSERT_EQUAL(ix.win[1].cpu, 5);
	CU_ASSERT_EQUAL(ix.win[1].size, 32);
	xen_index_release(&ix);
	xb_free(&b);
}

static void index_rejects_what_is_not_xentrace(void)
{
	static const char text[] = "this is not a xentrace file at all";
	struct xen_index ix;
	CU_ASSERT_EQUAL(xen_index_build((const uint8_t *)text, sizeof(text), &ix), 1);
	CU_ASSERT_EQUAL(ix.damage_off, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(ix.why, "TRC_TRACE_CPU_CHANGE"));
	CU_ASSERT_EQUAL(ix.nwin, 0);
	xen_index_release(&ix);
}

static void index_keeps_whole_records_of_a_truncated_window(void)
{
	struct xb b = { 0 };
	xb_win(&b, 1);
	xb_rec(&b, 0x12345, 1, 100, 0);
	xb_end(&b);
	size_t second = b.len;
	xb_win(&b, 2);
	xb_rec(&b, 0x12345, 1, 200, 1, 9u);     /* 16 bytes */
	xb_rec(&b, 0x12345, 1, 300, 1, 9u);     /* 16 bytes, cut below */
	xb_end(&b);
	struct xen_index ix;
	/* Cut 6 bytes into the second record. */
	CU_ASSERT_EQUAL(xen_index_build(b.buf, second + 12 + 16 + 6, &ix), 1);
	CU_ASSERT_EQUAL(ix.damage_off, second + 8);
	CU_ASSERT_PTR_NOT_NULL(strstr(ix.why, "past the end"));
	CU_ASSERT_EQUAL(ix.nwin, 2);
	CU_ASSERT_EQUAL(ix.win[1].size, 16);
	xen_index_release(&ix);
	xb_free(&b);
}

static void index_finds_a_record_crossing_its_window(void)
{
	struct xb b = { 0 };
	xb_win(&b, 0);
	xb_rec(&b, 0x12345, 1, 100, 0);
	xb_rec(&b, 0x12345, 1, 100, 3, 1u, 2u, 3u);
	xb_end(&b);
	/* Claim 4 bytes less: the second record crosses the window's end. */
	uint32_t size = (uint32_t)(b.len - 12 - 4);
	memcpy(b.buf + 8, &size, 4);
	struct xen_index ix;
	CU_ASSERT_EQUAL(xen_index_build(b.buf, b.len, &ix), 1);
	CU_ASSERT_EQUAL(ix.damage_off, 12 + 12);
	CU_ASSERT_PTR_NOT_NULL(strstr(ix.why, "crosses the end"));
	xen_index_release(&ix);
	xb_free(&b);
}

static void index_rejects_an_absurd_cpu(void)
{
	struct xb b = { 0 };
	xb_win(&b, 70000);
	xb_end(&b);
	struct xen_index ix;
	CU_ASSERT_EQUAL(xen_index_build(b.buf, b.len, &ix), 1);
	CU_ASSERT_EQUAL(ix.damage_off, 4);
	xen_index_release(&ix);
	xb_free(&b);
}

/* -------------------------------------------------------------- merge */

static void merge_orders_pcpus_by_tsc_across_windows(void)
{
	struct xb b = { 0 };
	/* pCPU 1's window comes first in the file but holds later records. */
	xb_win(&b, 1);
	xb_rec(&b, 0x111, 1, 50, 0);
	xb_rec(&b, 0x112, 1, 70, 0);
	xb_end(&b);
	xb_win(&b, 0);
	xb_rec(&b, 0x101, 1, 10, 0);
	xb_rec(&b, 0x102, 1, 50, 0);            /* tie with pCPU 1: pCPU 0 first */
	xb_rec(&b, 0x103, 0, 0, 0);             /* no TSC: 50 */
	xb_end(&b);
	xb_win(&b, 1);
	xb_rec(&b, 0x113, 1, 60, 0);            /* backwards on pCPU 1: raised to 70 */
	xb_end(&b);
	struct xen_index ix;
	CU_ASSERT_EQUAL_FATAL(xen_index_build(b.buf, b.len, &ix), 0);
	struct xen_merge m;
	CU_ASSERT_EQUAL_FATAL(xen_merge_init(&m, ix.ncpus), 0);
	for (size_t i = 0; i < ix.nwin; i++)
		xen_merge_add(&m, ix.win[i].cpu, b.buf + ix.win[i].offset, ix.win[i].size,
			      ix.win[i].offset, 0);
	static const uint32_t ev[] = { 0x101, 0x102, 0x103, 0x111, 0x112, 0x113 };
	static const uint64_t ts[] = { 10, 50, 50, 50, 70, 70 };
	struct xen_rec r;
	size_t n = 0;
	while (xen_merge_next(&m, UINT64_MAX, 1, &r) == 1) {
		if (n < 6) {
			CU_ASSERT_EQUAL(r.event, ev[n]);
			CU_ASSERT_EQUAL(r.tsc, ts[n]);
		}
		n++;
	}
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_EQUAL(m.backwards, 1);
	xen_merge_release(&m);
	xen_index_release(&ix);
	xb_free(&b);
}

static void merge_gives_leading_tscless_records_the_next_tsc(void)
{
	struct xb b = { 0 };
	xb_win(&b, 0);
	xb_rec(&b, 0x101, 0, 0, 1, 7u);
	xb_rec(&b, 0x102, 1, 500, 0);
	xb_end(&b);
	struct xen_merge m;
	CU_ASSERT_EQUAL_FATAL(xen_merge_init(&m, 2), 0);
	/* Live feeding: a stream with only a TSC-less record waits. */
	xen_merge_add(&m, 1, b.buf + 12, 8, 0, 1);
	struct xen_rec r;
	CU_ASSERT_EQUAL(xen_merge_next(&m, UINT64_MAX, 0, &r), 0);
	xen_merge_add(&m, 0, b.buf + 12, b.len - 12, 0, 1);
	CU_ASSERT_EQUAL(xen_merge_next(&m, 499, 0, &r), 0); /* limit */
	CU_ASSERT_EQUAL_FATAL(xen_merge_next(&m, 500, 0, &r), 1);
	CU_ASSERT_EQUAL(r.event, 0x101);
	CU_ASSERT_EQUAL(r.tsc, 500);
	CU_ASSERT_EQUAL(r.has_tsc, 0);
	CU_ASSERT_EQUAL(r.extra[0], 7);
	CU_ASSERT_EQUAL_FATAL(xen_merge_next(&m, 500, 0, &r), 1);
	CU_ASSERT_EQUAL(r.event, 0x102);
	CU_ASSERT_EQUAL(xen_merge_next(&m, UINT64_MAX, 0, &r), 0);
	/* At the end, pCPU 1's record never got a TSC: dropped, counted. */
	CU_ASSERT_EQUAL(xen_merge_next(&m, UINT64_MAX, 1, &r), 0);
	CU_ASSERT_EQUAL(m.no_tsc_dropped, 1);
	xen_merge_release(&m);
	xb_free(&b);
}

/* ------------------------------------------------------------ decoder */

static void context_switch_becomes_one_switch_at_the_switch_in(void)
{
	struct xb b = { 0 };
	xb_win(&b, 3);
	/* idle(3) -> d1v0, then d1v0 blocks -> idle, then idle -> d2v1. */
	xb_cswitch(&b, 1000, 0x7fff, 3, 1, 1, 0);
	xb_rec(&b, 0x22209, 1, 1500, 0);        /* scheduler-private: skipped */
	xb_cswitch(&b, 2000, 1, 0, 2, 0x7fff, 3);
	xb_cswitch(&b, 3000, 0x7fff, 3, 1, 2, 1);
	xb_end(&b);
	struct cap c = { 0 };
	struct xen_decode_stats st = decode_image(&b, &c, 1, -1, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	assert_switch(&c.ev[0], 1004, 3, 0, PMT_STATE_RUNNABLE, E(1, 0));
	assert_switch(&c.ev[1], 2004, 3, E(1, 0), PMT_STATE_SLEEPING, 0);
	assert_switch(&c.ev[2], 3004, 3, 0, PMT_STATE_RUNNABLE, E(2, 1));
	CU_ASSERT_EQUAL(st.switches, 3);
	CU_ASSERT_EQUAL(st.skipped, 1 + 3 * 2);  /* + INFPREV/INFNEXT of each */
	CU_ASSERT_EQUAL(st.inconsistent, 0);
	xb_free(&b);
}

static void wakeup_on_another_pcpu_names_waker_and_last_pcpu(void)
{
	struct xb b = { 0 };
	xb_win(&b, 0);
	xb_cswitch(&b, 100, 0x7fff, 0, 1, 5, 2);    /* d5v2 runs on pCPU 0 */
	xb_cswitch(&b, 200, 5, 2, 2, 0x7fff, 0);    /* and blocks */
	xb_end(&b);
	xb_win(&b, 1);
	xb_cswitch(&b, 150, 0x7fff, 1, 1, 0, 0);    /* d0v0 on pCPU 1 */
	xb_runstate(&b, 300, 5, 2, 2, 1);           /* d0v0 wakes d5v2 */
	xb_cswitch(&b, 400, 0, 0, 1, 5, 2);         /* d5v2 preempts d0v0 on pCPU 1 */
	xb_end(&b);
	struct cap c = { 0 };
	struct xen_decode_stats st = decode_image(&b, &c, 1, -1, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 5);
	assert_switch(&c.ev[0], 104, 0, 0, PMT_STATE_RUNNABLE, E(5, 2));
	assert_switch(&c.ev[1], 154, 1, 0, PMT_STATE_RUNNABLE, E(0, 0));
	assert_switch(&c.ev[2], 204, 0, E(5, 2), PMT_STATE_SLEEPING, 0);
	const struct pmt_event *w = &c.ev[3];
	CU_ASSERT_EQUAL(w->type, PMT_EV_WAKEUP);
	CU_ASSERT_EQUAL(w->ts, 300);
	CU_ASSERT_EQUAL(w->cpu, 1);
	CU_ASSERT_EQUAL(w->u.wakeup.tid, E(5, 2));
	CU_ASSERT_EQUAL(w->u.wakeup.target_cpu, 0);
	CU_ASSERT_EQUAL(w->u.wakeup.waker_tid, E(0, 0));
	assert_switch(&c.ev[4], 404, 1, E(0, 0), PMT_STATE_RUNNABLE, E(5, 2));
	CU_ASSERT_EQUAL(st.wakeups, 1);
	xb_free(&b);
}

static void offline_vcpus_leave_offline_and_come_back_by_a_wakeup(void)
{
	struct xb b = { 0 };
	xb_win(&b, 0);
	xb_cswitch(&b, 100, 0x7fff, 0, 1, 14, 3);
	xb_cswitch(&b, 200, 14, 3, 3, 0x7fff, 0);   /* running -> offline */
	xb_runstate(&b, 300, 14, 3, 3, 1);          /* offline -> runnable */
	xb_runstate(&b, 310, 14, 3, 1, 2);          /* runnable -> blocked, not running */
	xb_end(&b);
	struct cap c = { 0 };
	struct xen_decode_stats st = decode_image(&b, &c, 1, -1, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	assert_switch(&c.ev[1], 204, 0, E(14, 3), PMT_STATE_OFFLINE, 0);
	CU_ASSERT_EQUAL(c.ev[2].type, PMT_EV_WAKEUP);
	CU_ASSERT_EQUAL(c.ev[2].u.wakeup.tid, E(14, 3));
	CU_ASSERT_EQUAL(st.idle_changes, 1);
	xb_free(&b);
}

static void lost_records_mark_a_gap_and_name_who_runs(void)
{
	struct xb b = { 0 };
	xb_win(&b, 2);
	xb_cswitch(&b, 100, 0x7fff, 2, 1, 1, 0);
	/* 37 records lost from TSC 150 on; d3v1 runs when Xen writes this. */
	xb_rec(&b, 0x0001f001u, 1, 900, 4, 37u, 1u << 16 | 3u, 150u, 0u);
	xb_rec(&b, 0x0001f002u, 0, 0, 3, 0u, 0u, 0u);  /* wrap padding */
	xb_runstate(&b, 950, 3, 1, 0, 1);
	xb_runstate(&b, 960, 1, 0, 1, 0);
	xb_end(&b);
	struct cap c = { 0 };
	struct xen_decode_stats st = decode_image(&b, &c, 1, -1, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	const struct pmt_event *l = &c.ev[1];
	CU_ASSERT_EQUAL(l->type, PMT_EV_LOST);
	CU_ASSERT_EQUAL(l->cpu, 2);
	CU_ASSERT_EQUAL(l->ts, 150);
	CU_ASSERT_EQUAL(l->u.lost.count, 37);
	CU_ASSERT_EQUAL(l->u.lost.span, 750);
	assert_switch(&c.ev[2], 960, 2, E(3, 1), PMT_STATE_RUNNABLE, E(1, 0));
	CU_ASSERT_EQUAL(st.lost_events, 37);
	CU_ASSERT_EQUAL(st.wrap_records, 1);
	CU_ASSERT_EQUAL(st.inconsistent, 0);
	xb_free(&b);
}

static void switch_only_traces_decode_from_switch_and_block_records(void)
{
	struct xb b = { 0 };
	xb_win(&b, 0);
	xb_rec(&b, 0x0002800au, 1, 100, 4, 0x7fffu, 0u, 4u, 1u);
	xb_rec(&b, 0x00028006u, 1, 150, 2, 4u, 1u);          /* d4v1 blocks */
	xb_rec(&b, 0x0002800au, 1, 200, 4, 4u, 1u, 0x7fffu, 0u);
	xb_rec(&b, 0x00028004u, 1, 300, 2, 4u, 1u);          /* and wakes */
	xb_rec(&b, 0x0002800au, 1, 400, 4, 0x7fffu, 0u, 4u, 1u);
	xb_rec(&b, 0x0002800au, 1, 500, 4, 4u, 1u, 0u, 0u);   /* preempted */
	xb_rec(&b, 0x00028003u, 1, 510, 3, 4u, 1u);          /* malformed: 3 words OK */
	xb_rec(&b, 0x0002800au, 1, 520, 2, 4u, 1u);          /* malformed */
	xb_end(&b);
	struct cap c = { 0 };
	struct xen_decode_stats st = decode_image(&b, &c, 0, -1, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 5);
	assert_switch(&c.ev[0], 100, 0, 0, PMT_STATE_RUNNABLE, E(4, 1));
	assert_switch(&c.ev[1], 200, 0, E(4, 1), PMT_STATE_SLEEPING, 0);
	CU_ASSERT_EQUAL(c.ev[2].type, PMT_EV_WAKEUP);
	CU_ASSERT_EQUAL(c.ev[2].ts, 300);
	assert_switch(&c.ev[3], 400, 0, 0, PMT_STATE_RUNNABLE, E(4, 1));
	assert_switch(&c.ev[4], 500, 0, E(4, 1), PMT_STATE_RUNNABLE, E(0, 0));
	CU_ASSERT_EQUAL(st.malformed, 1);
	xb_free(&b);
}

static void guest_records_land_on_the_writing_vcpus_guest_stream(void)
{
	struct xb b = { 0 };
	char comm[16] = "worker";
	uint32_t cw[4];
	memcpy(cw, comm, 16);
	xb_win(&b, 6);
	xb_cswitch(&b, 100, 0x7fff, 6, 1, 14, 2);           /* d14v2 on pCPU 6 */
	xb_rec(&b, 0x81001, 1, 200, 0);                      /* VMEXIT: the time */
	xb_rec(&b, 0x0800f000u | 0x001, 0, 0, 3, 2u | 1u << 16, 1234u, 99u);
	xb_rec(&b, 0x0800f000u | 0x002, 0, 0, 4, 2u, 99u, 1u, 2u);
	xb_rec(&b, 0x0800f000u | 0x006, 0, 0, 7, 2u, 99u, 98u, cw[0], cw[1], cw[2], cw[3]);
	xb_rec(&b, 0x0800f000u | 0x001, 0, 0, 3, 1u, 1u, 2u); /* says vcpu 1: mismatch */
	xb_rec(&b, 0x0800f000u | 0x001, 0, 0, 3, 7u, 1u, 2u); /* past the level: dropped */
	xb_rec(&b, 0x0800f000u | 0x123, 0, 0, 1, 2u);        /* not pmt's: dropped */
	xb_cswitch(&b, 300, 14, 2, 2, 0x7fff, 6);
	xb_rec(&b, 0x0800f000u | 0x001, 0, 0, 3, 2u, 1u, 2u); /* idle runs: dropped */
	xb_end(&b);
	struct cap c = { 0 };
	struct xen_decode_stats st = decode_image(&b, &c, 1, 14, 4);
	CU_ASSERT_EQUAL_FATAL(c.n, 6);
	const struct pmt_event *s = &c.ev[1];
	CU_ASSERT_EQUAL(s->type, PMT_EV_SWITCH);
	CU_ASSERT_EQUAL(s->level, 1);
	CU_ASSERT_EQUAL(s->cpu, 2);
	CU_ASSERT_EQUAL(s->ts, 200);
	CU_ASSERT_EQUAL(s->u.sw.prev_tid, 1234);
	CU_ASSERT_EQUAL(s->u.sw.prev_state, PMT_STATE_SLEEPING);
	CU_ASSERT_EQUAL(s->u.sw.next_tid, 99);
	const struct pmt_event *m = &c.ev[2];
	CU_ASSERT_EQUAL(m->type, PMT_EV_MIGRATE);
	CU_ASSERT_EQUAL(m->u.migrate.tid, 99);
	CU_ASSERT_EQUAL(m->u.migrate.from_cpu, 1);
	CU_ASSERT_EQUAL(m->u.migrate.to_cpu, 2);
	const struct pmt_event *nm = &c.ev[3];
	CU_ASSERT_EQUAL(nm->type, PMT_EV_NAME);
	CU_ASSERT_EQUAL(nm->u.name.pid, 98);
	CU_ASSERT_STRING_EQUAL(nm->u.name.comm.s, "worker");
	CU_ASSERT_EQUAL(c.ev[4].level, 1);
	CU_ASSERT_EQUAL(c.ev[4].cpu, 1);
	CU_ASSERT_EQUAL(c.ev[5].level, 0);
	CU_ASSERT_EQUAL(st.guest_events, 4);
	CU_ASSERT_EQUAL(st.guest_dropped, 3);
	/* Timed at the VM exit (200); the next TSC is the switch at 300. */
	CU_ASSERT_EQUAL(st.guest_slack_max, 100);
	CU_ASSERT_EQUAL(st.guest_slack_sum, 400);
	CU_ASSERT_EQUAL(st.guest_vcpu_mismatch, 1 + 1);
	xb_free(&b);
}

static void guest_records_under_an_impossible_domain_are_dropped(void)
{
	struct xb b = { 0 };
	xb_win(&b, 0);
	xb_cswitch(&b, 100, 0x7fff, 0, 1, 0xfffe, 1);        /* no such domain */
	xb_rec(&b, 0x0800f000u | 0x001, 0, 0, 3, 1u, 1u, 2u);
	xb_end(&b);
	struct cap c = { 0 };
	struct xen_decode_stats st = decode_image(&b, &c, 1, -1, 0);
	CU_ASSERT_EQUAL(st.guest_dropped, 1);
	CU_ASSERT_EQUAL(st.guest_events, 0);
	xb_free(&b);
}

/* Every event a guest agent can send, encoded by xen_guest_encode, written
 * as Xen writes HVMOP_xentrace records, comes back from the decoder equal. */
static void guest_encoding_round_trips_through_the_decoder(void)
{
	struct pmt_event in[7];
	memset(in, 0, sizeof(in));
	in[0].type = PMT_EV_SWITCH;
	in[0].u.sw.prev_tid = 4001, in[0].u.sw.prev_state = PMT_STATE_DISK;
	in[0].u.sw.next_tid = 4002;
	in[1].type = PMT_EV_MIGRATE;
	in[1].u.migrate.tid = 4003, in[1].u.migrate.from_cpu = 2, in[1].u.migrate.to_cpu = 1;
	in[2].type = PMT_EV_WAKEUP;
	in[2].u.wakeup.tid = 4004, in[2].u.wakeup.target_cpu = 3;
	in[2].u.wakeup.waker_tid = 4005, in[2].u.wakeup.flags = PMT_WAKE_NEW;
	in[3].type = PMT_EV_FORK;
	in[3].u.fork.parent_tid = 4006, in[3].u.fork.child_tid = 4007;
	in[3].u.fork.child_pid = 4006, in[3].u.fork.flags = PMT_FORK_THREAD;
	in[4].type = PMT_EV_EXIT;
	in[4].u.exit.tid = 4008;
	in[5].type = PMT_EV_NAME;
	in[5].u.name.tid = 4009, in[5].u.name.pid = 4009;
	in[5].u.name.comm = (struct pmt_str){ "sixteen-chars-ok", 16 };
	in[6].type = PMT_EV_LOST;
	in[6].u.lost.count = 12;
	struct xb b = { 0 };
	xb_win(&b, 1);
	xb_cswitch(&b, 100, 0x7fff, 1, 1, 5, 3);             /* d5v3 on pCPU 1 */
	for (int i = 0; i < 7; i++) {
		struct xen_guest_rec g;
		CU_ASSERT_EQUAL_FATAL(xen_guest_encode(&in[i], 3, &g), 0);
		CU_ASSERT(g.extra_bytes <= 28 && g.extra_bytes % 4 == 0);
		xb_rec(&b, 0x81001, 1, 200 + 10 * (uint64_t)i, 0);
		uint32_t n = g.extra_bytes / 4;
		xb_u32(&b, 0x0800f000u | g.event | n << 28);
		for (uint32_t k = 0; k < n; k++)
			xb_u32(&b, g.w[k]);
	}
	xb_end(&b);
	struct cap c = { 0 };
	struct xen_decode_stats st = decode_image(&b, &c, 1, 5, 4);
	CU_ASSERT_EQUAL(st.guest_events, 7);
	CU_ASSERT_EQUAL(st.guest_vcpu_mismatch, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 8);
	for (int i = 0; i < 7; i++) {
		const struct pmt_event *e = &c.ev[1 + i];
		CU_ASSERT_EQUAL(e->level, 1);
		CU_ASSERT_EQUAL(e->cpu, 3);
		CU_ASSERT_EQUAL(e->ts, 200 + 10 * (uint64_t)i);
		CU_ASSERT_EQUAL(e->type, in[i].type);
		if (e->type == PMT_EV_NAME) {
			CU_ASSERT_EQUAL(e->u.name.tid, 4009);
			CU_ASSERT_EQUAL(e->u.name.pid, 4009);
			CU_ASSERT_STRING_EQUAL(e->u.name.comm.s, "sixteen-chars-ok");
		} else {
			CU_ASSERT_EQUAL(memcmp(&e->u, &in[i].u, sizeof(e->u)), 0);
		}
	}
	struct pmt_event ex = { .type = PMT_EV_EXEC };
	struct xen_guest_rec g;
	CU_ASSERT_EQUAL(xen_guest_encode(&ex, 0, &g), PMT_EINVAL);
	CU_ASSERT_EQUAL(xen_guest_encode(&in[0], 70000, &g), PMT_EINVAL);
	xb_free(&b);
}

void xen_register_decode(void)
{
	CU_pSuite s = CU_add_suite("xen records, merge and decoder", NULL, NULL);
	CU_add_test(s, "the index finds two windows", index_of_two_windows);
	CU_add_test(s, "text is not a xentrace file", index_rejects_what_is_not_xentrace);
	CU_add_test(s, "a truncated window keeps its whole records",
		    index_keeps_whole_records_of_a_truncated_window);
	CU_add_test(s, "a record crossing its window is damage",
		    index_finds_a_record_crossing_its_window);
	CU_add_test(s, "a pCPU number past 4095 is damage", index_rejects_an_absurd_cpu);
	CU_add_test(s, "pCPU streams merge by TSC across windows",
		    merge_orders_pcpus_by_tsc_across_windows);
	CU_add_test(s, "leading TSC-less records take the next TSC",
		    merge_gives_leading_tscless_records_the_next_tsc);
	CU_add_test(s, "a context switch is one switch at the switch-in",
		    context_switch_becomes_one_switch_at_the_switch_in);
	CU_add_test(s, "a wakeup names its waker and the last pCPU",
		    wakeup_on_another_pcpu_names_waker_and_last_pcpu);
	CU_add_test(s, "offline vCPUs leave offline and return by a wakeup",
		    offline_vcpus_leave_offline_and_come_back_by_a_wakeup);
	CU_add_test(s, "lost records mark a gap and name who runs",
		    lost_records_mark_a_gap_and_name_who_runs);
	CU_add_test(s, "SWITCH-only traces decode from SWITCH and BLOCK",
		    switch_only_traces_decode_from_switch_and_block_records);
	CU_add_test(s, "guest records land on the writing vCPU's guest stream",
		    guest_records_land_on_the_writing_vcpus_guest_stream);
	CU_add_test(s, "the guest encoding round-trips through the decoder",
		    guest_encoding_round_trips_through_the_decoder);
	CU_add_test(s, "guest records under an impossible domain are dropped",
		    guest_records_under_an_impossible_domain_are_dropped);
}
