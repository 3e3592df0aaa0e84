/*
 * test_xen_tbuf.c - the trace-buffer consumer on buffers laid out as Xen
 * lays them. A small producer (xen_producer.h) follows Xen 4.17's rules for writing a
 * record (free space from cons/prod modulo 2 * data_size, a
 * TRC_TRACE_WRAP_BUFFER pad instead of splitting a record, a
 * TRC_LOST_RECORDS record before the next record after drops), so the
 * consumer is checked against what was really produced and dropped.
 */
#include "tests/unit/pmt_cu.h"
#include "tests/xen/xen_tests.h"
#include "record/xen/xen_tbuf.h"
#include "tests/xen/xen_producer.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- window */

static void window_without_wrap(void)
{
	struct xen_tbuf_win w;
	CU_ASSERT_EQUAL(xen_tbuf_window(100, 300, 4088, NULL, 0, &w), 200);
	CU_ASSERT_EQUAL(w.start, 100);
	CU_ASSERT_EQUAL(w.len1, 200);
	CU_ASSERT_EQUAL(w.len2, 0);
	CU_ASSERT_EQUAL(w.new_cons, 300);
	/* Second lap: offsets past data_size map back into the data. */
	CU_ASSERT_EQUAL(xen_tbuf_window(4188, 4388, 4088, NULL, 0, &w), 200);
	CU_ASSERT_EQUAL(w.start, 100);
	CU_ASSERT_EQUAL(xen_tbuf_window(300, 300, 4088, NULL, 0, &w), 0);
}

static void window_across_the_wrap(void)
{
	struct xen_tbuf_win w;
	/* cons in the second lap near its end, prod wrapped to the first. */
	CU_ASSERT_EQUAL(xen_tbuf_window(2 * 4088 - 40, 60, 4088, NULL, 0, &w), 100);
	CU_ASSERT_EQUAL(w.start, 4088 - 40);
	CU_ASSERT_EQUAL(w.len1, 40);
	CU_ASSERT_EQUAL(w.len2, 60);
	CU_ASSERT_EQUAL(w.new_cons, 60);
	/* A full buffer: exactly data_size apart. */
	CU_ASSERT_EQUAL(xen_tbuf_window(8, 4096, 4088, NULL, 0, &w), 4088);
	CU_ASSERT_EQUAL(w.len1 + w.len2, 4088);
}

static void impossible_cons_prod_are_refused(void)
{
	struct xen_tbuf_win w;
	CU_ASSERT_EQUAL(xen_tbuf_window(2 * 4088, 0, 4088, NULL, 0, &w), -1);
	CU_ASSERT_EQUAL(xen_tbuf_window(0, 2 * 4088 + 4, 4088, NULL, 0, &w), -1);
	CU_ASSERT_EQUAL(xen_tbuf_window(0, 4092, 4088, NULL, 0, &w), -1); /* > data_size */
	CU_ASSERT_EQUAL(xen_tbuf_window(0, 0, 0, NULL, 0, &w), -1);
}

static void a_partial_window_stops_on_a_record_boundary(void)
{
	struct prod p = prod_new(1);
	uint32_t w[3] = { 1, 2, 3 };
	for (int i = 0; i < 10; i++)
		produce(&p, 0x12000, 3, w);      /* 24-byte records */
	struct xen_tbuf_win win;
	uint8_t *data = p.tb + XEN_TBUF_HDR;
	CU_ASSERT_EQUAL(xen_tbuf_window(0, *prod_of(&p), p.ds, data, 100, &win), 96);
	CU_ASSERT_EQUAL(win.new_cons, 96);
	CU_ASSERT_EQUAL(xen_tbuf_window(0, *prod_of(&p), p.ds, data, 23, &win), 0);
	CU_ASSERT_EQUAL(win.new_cons, 0);
	free(p.tb);
}

/* --------------------------------------------------- consume, end to end */

/* Produce n records with payload = sequence number, consume in rounds
 * (every 'every' records, at most max_bytes a round), check order, payloads
 * and that lost records account for every drop. */
static void run_protocol(uint32_t nrec, uint32_t every, uint32_t max_bytes, uint32_t words)
{
	struct prod p = prod_new(1);
	struct xen_merge m;
	CU_ASSERT_EQUAL_FATAL(xen_merge_init(&m, 1), 0);
	uint32_t next_seq = 0, got = 0, wraps = 0;
	uint64_t lost = 0, feed = 0;
	int order_ok = 1;
	for (uint32_t i = 0; i < nrec; i++) {
		uint32_t w[7] = { i, ~i, i * 3, 0, 0, 0, 0 };
		produce(&p, 0x12000, words, w);
		if ((i + 1) % every == 0 || i + 1 == nrec) {
			long n;
			do {
				n = xen_tbuf_consume(p.tb, p.ds, max_bytes, &m, 0, feed);
				CU_ASSERT(n >= 0);
				if (n > 0)
					feed += (uint64_t)n;
			} while (n > 0 && i + 1 == nrec);
			struct xen_rec r;
			while (xen_merge_next(&m, UINT64_MAX, 0, &r) == 1) {
				if (r.event == 0x0001f002u) {
					wraps++;
				} else if (r.event == 0x0001f001u) {
					lost += r.extra[0];
					next_seq += r.extra[0];
				} else {
					if (r.extra[0] != next_seq || r.extra[1] != ~next_seq)
						order_ok = 0;
					next_seq = r.extra[0] + 1;
					got++;
				}
			}
		}
	}
	CU_ASSERT(order_ok);
	CU_ASSERT_EQUAL(used(&p), 0);              /* everything was consumed */
	/* Drops still pending (no record came after them) are not yet in a
	 * LOST record: Xen writes one before the next record only. */
	CU_ASSERT_EQUAL(got + lost + p.lost, nrec);
	CU_ASSERT_EQUAL(lost + p.lost, p.dropped_total);
	CU_ASSERT(wraps > 0);
	CU_ASSERT_EQUAL(m.partial, 0);
	xen_merge_release(&m);
	free(p.tb);
}

static void consumer_reads_every_record_across_wraps(void)
{
	run_protocol(5000, 50, 0, 3);      /* 50 * 24 bytes a round: never full */
}

static void consumer_counts_what_xen_dropped(void)
{
	run_protocol(5000, 400, 0, 5);     /* 400 * 32 bytes > 4088: drops */
}

static void consumer_takes_partial_windows(void)
{
	run_protocol(3000, 60, 500, 5);    /* at most 500 bytes a round */
}

static void tinfo_lists_each_cpus_pages(void)
{
	/* 2 pages per CPU, 4 CPUs; CPU 2 has no buffer. */
	uint32_t ti[64] = { 0 };
	uint16_t *h = (uint16_t *)ti;
	h[0] = 2;
	h[1] = 8;   /* CPU 0: words 8-9 */
	h[2] = 10;
	h[3] = 0;
	h[4] = 12;
	ti[8] = 0x100; ti[9] = 0x101; ti[10] = 0x200; ti[11] = 0x201;
	ti[12] = 0x400; ti[13] = 0x401;
	const uint32_t *mfns[4];
	CU_ASSERT_EQUAL(xen_tinfo_parse(ti, sizeof(ti), 4, mfns), 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mfns[0]);
	CU_ASSERT_EQUAL(mfns[0][1], 0x101);
	CU_ASSERT_EQUAL(mfns[1][0], 0x200);
	CU_ASSERT_PTR_NULL(mfns[2]);
	CU_ASSERT_EQUAL(mfns[3][1], 0x401);
	/* A list past the end of t_info, and zero pages, are refused. */
	h[4] = 63;
	CU_ASSERT_EQUAL(xen_tinfo_parse(ti, sizeof(ti), 4, mfns), -1);
	h[4] = 12;
	h[0] = 0;
	CU_ASSERT_EQUAL(xen_tinfo_parse(ti, sizeof(ti), 4, mfns), -1);
}

/* ------------------------------------------- live rounds over two pCPUs */

struct order_check {
	uint64_t last[2][4];        /* [level][cpu]                               */
	int seen[2][4];
	int violations;             /* a stream going backwards                   */
	int inversions;             /* an event older than one of another stream  */
	uint64_t newest;
	uint64_t guest, host_switches;
};

static int check_emit(void *opaque, const struct pmt_event *ev)
{
	struct order_check *o = opaque;
	if (ev->level > 1 || ev->cpu > 3)
		return PMT_EINVAL;
	if (o->seen[ev->level][ev->cpu] && ev->ts < o->last[ev->level][ev->cpu])
		o->violations++;
	o->seen[ev->level][ev->cpu] = 1;
	if (ev->ts < o->newest)
		o->inversions++;
	else
		o->newest = ev->ts;
	o->last[ev->level][ev->cpu] = ev->ts;
	if (ev->level == 1)
		o->guest++;
	else if (ev->type == PMT_EV_SWITCH)
		o->host_switches++;
	return 0;
}

/* Domain 3's vCPU c runs on pCPU c; each round both pCPUs write a VM exit
 * and a guest switch record; with late, pCPU 1's records reach the consumer
 * up to three rounds late (its buffer is skipped, as a consumer behind on
 * one pCPU), older than records of pCPU 0 already decoded: they are decoded
 * out of the global order, but every stream stays in order. */
static void run_live(int late, int move, int *inversions, uint64_t *guest_late)
{
	enum { ROUNDS = 400 };
	struct prod p[2] = { prod_new(1), prod_new(1) };
	void *tb[2] = { p[0].tb, p[1].tb };
	uint64_t fed[2] = { 0, 0 };
	struct xen_merge m;
	struct xen_decoder d;
	struct order_check o;
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL_FATAL(xen_merge_init(&m, 2), 0);
	CU_ASSERT_EQUAL_FATAL(xen_decoder_init(&d, 2, 1, check_emit, &o), 0);
	xen_decoder_set_guest_level(&d, 3, 1, 2);
	struct xen_live_core c = { .tb = tb, .ncpus = 2, .data_size = p[0].ds, .fed = fed,
				   .m = &m, .d = &d };
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		uint32_t idle = 0x7fffu << 16 | cpu, v = 3u << 16 | cpu;
		p[cpu].tsc = 100 + cpu;
		produce_rec(&p[cpu], 0x00021011u, 1, 1, &idle);  /* idle running -> runnable */
		p[cpu].tsc = 110 + cpu;
		produce_rec(&p[cpu], 0x00021101u, 1, 1, &v);     /* d3vc runnable -> running */
	}
	uint64_t t = 1000;
	long decoded = 0;
	/* move: at round 201 d3v1 leaves pCPU 1 (read late), at 202 it runs on
	 * pCPU 0 instead of d3v0 and writes its guest records there. */
	uint64_t extra = 0, guest_expected = 0, switches_expected = 2;
	for (uint32_t r = 0; r < ROUNDS; r++) {
		for (uint32_t cpu = 0; cpu < 2; cpu++) {
			uint32_t vcpu = cpu;
			if (move && r >= 202)
				vcpu = cpu == 0 ? 1 : UINT32_MAX;   /* pCPU 1 runs idle */
			p[cpu].tsc = t + cpu;
			produce_rec(&p[cpu], 0x00081001u, 1, 0, NULL);  /* VM exit */
			if (vcpu != UINT32_MAX) {
				uint32_t w[3] = { vcpu, r, r + 1 };
				produce_rec(&p[cpu], 0x0800f001u, 0, 3, w); /* guest switch */
				guest_expected++;
			} else {
				extra--;
			}
			uint32_t out, in;
			if (move && r == 201 && cpu == 1) {
				out = 3u << 16 | 1, in = 0x7fffu << 16 | 1;
			} else if (move && r == 202 && cpu == 0) {
				out = 3u << 16 | 0, in = 3u << 16 | 1;
			} else {
				continue;
			}
			p[cpu].tsc += 5;
			produce_rec(&p[cpu], 0x00021011u, 1, 1, &out);  /* running -> runnable */
			p[cpu].tsc += 1;
			produce_rec(&p[cpu], 0x00021101u, 1, 1, &in);   /* runnable -> running */
			extra += 2;
			switches_expected++;
		}
		/* late: pCPU 1's buffer is not looked at for three rounds in five. */
		tb[1] = late && r % 5 >= 1 && r % 5 <= 3 ? NULL : p[1].tb;
		t += 1000;
		long n = xen_live_round(&c, 0);
		CU_ASSERT(n >= 0);
		decoded += n;
	}
	tb[1] = p[1].tb;
	long n = xen_live_round(&c, 1);
	CU_ASSERT(n >= 0);
	decoded += n;
	CU_ASSERT(d.st.wrap_records > 0);
	CU_ASSERT_EQUAL(decoded, 4 + 4 * ROUNDS + (long)extra + (long)d.st.wrap_records);
	CU_ASSERT_EQUAL(o.guest, guest_expected);
	CU_ASSERT_EQUAL(o.host_switches, switches_expected);
	CU_ASSERT_EQUAL(o.violations, 0);
	CU_ASSERT_EQUAL(c.bad_windows, 0);
	CU_ASSERT_EQUAL(d.st.guest_dropped, 0);
	CU_ASSERT_EQUAL(c.first_tsc, 100);
	*inversions = o.inversions;
	*guest_late = d.st.guest_late;
	xen_decoder_release(&d);
	xen_merge_release(&m);
	free(p[0].tb);
	free(p[1].tb);
}

static void live_rounds_decode_two_pcpus_in_order(void)
{
	int inversions;
	uint64_t late;
	run_live(0, 0, &inversions, &late);
	CU_ASSERT_EQUAL(inversions, 0);
	CU_ASSERT_EQUAL(late, 0);
}

static void a_late_window_keeps_its_streams_in_order(void)
{
	int inversions;
	uint64_t late;
	run_live(1, 0, &inversions, &late);
	CU_ASSERT(inversions > 0);      /* the lateness did happen */
	CU_ASSERT_EQUAL(late, 0);       /* each vCPU wrote on one pCPU */
}

static void a_vcpu_moving_off_a_late_pcpu_keeps_its_guest_stream_in_order(void)
{
	int inversions;
	uint64_t late;
	run_live(1, 1, &inversions, &late);
	/* d3v1's record of round 201 (pCPU 1, read at round 204) is older than
	 * its records of rounds 202-203 from pCPU 0, decoded before: moved to
	 * their time, counted. */
	CU_ASSERT_EQUAL(late, 1);
	CU_ASSERT(inversions > 0);
}

void xen_register_tbuf(void)
{
	CU_pSuite s = CU_add_suite("xen trace buffers", NULL, NULL);
	CU_add_test(s, "a window without wrap", window_without_wrap);
	CU_add_test(s, "a window across the wrap", window_across_the_wrap);
	CU_add_test(s, "impossible cons/prod are refused", impossible_cons_prod_are_refused);
	CU_add_test(s, "a partial window stops on a record boundary",
		    a_partial_window_stops_on_a_record_boundary);
	CU_add_test(s, "the consumer reads every record across wraps",
		    consumer_reads_every_record_across_wraps);
	CU_add_test(s, "the consumer counts what Xen dropped", consumer_counts_what_xen_dropped);
	CU_add_test(s, "the consumer takes partial windows", consumer_takes_partial_windows);
	CU_add_test(s, "t_info lists each CPU's pages", tinfo_lists_each_cpus_pages);
	CU_add_test(s, "live rounds decode two pCPUs in order",
		    live_rounds_decode_two_pcpus_in_order);
	CU_add_test(s, "a late window keeps its streams in order",
		    a_late_window_keeps_its_streams_in_order);
	CU_add_test(s, "a vCPU moving off a late pCPU keeps its guest stream in order",
		    a_vcpu_moving_off_a_late_pcpu_keeps_its_guest_stream_in_order);
}
