/*
 * test_xen_tbuf.c - the trace-buffer consumer on buffers laid out as Xen
 * lays them. A small producer below follows Xen 4.17's rules for writing a
 * record (free space from cons/prod modulo 2 * data_size, a
 * TRC_TRACE_WRAP_BUFFER pad instead of splitting a record, a
 * TRC_LOST_RECORDS record before the next record after drops), so the
 * consumer is checked against what was really produced and dropped.
 */
#include "tests/unit/pmt_cu.h"
#include "tests/xen/xen_tests.h"
#include "record/xen/xen_tbuf.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- the producer */

struct prod {
	uint8_t *tb;            /* t_buf header + data                         */
	uint32_t ds;            /* data_size                                   */
	uint32_t lost;          /* records dropped since the last LOST record  */
	uint64_t lost_first;
	uint64_t tsc;
	uint64_t dropped_total;
};

static uint32_t *cons_of(struct prod *p) { return (uint32_t *)p->tb; }
static uint32_t *prod_of(struct prod *p) { return (uint32_t *)p->tb + 1; }

static uint32_t used(struct prod *p)
{
	uint32_t c = *cons_of(p), q = *prod_of(p);
	return q >= c ? q - c : q + 2 * p->ds - c;
}

static uint32_t to_wrap(struct prod *p) { return p->ds - *prod_of(p) % p->ds; }

static void put(struct prod *p, uint32_t event, int cycles, uint32_t n, const uint32_t *w,
		uint32_t size)
{
	uint8_t *d = p->tb + XEN_TBUF_HDR + *prod_of(p) % p->ds;
	uint32_t hdr = event | n << 28 | (cycles ? 0x80000000u : 0);
	memcpy(d, &hdr, 4);
	uint32_t off = 4;
	if (cycles) {
		uint64_t t = p->tsc;
		memcpy(d + 4, &t, 8);
		off += 8;
	}
	if (w)
		memcpy(d + off, w, 4 * n);
	else
		memset(d + off, 0xa5, 4 * n);     /* wrap padding: garbage */
	uint32_t np = *prod_of(p) + size;
	*prod_of(p) = np >= 2 * p->ds ? np - 2 * p->ds : np;
}

static void pad(struct prod *p)
{
	uint32_t space = to_wrap(p), extra = space - 4;
	int cycles = 0;
	if (extra / 4 > 7) {
		cycles = 1;
		extra -= 8;
	}
	put(p, 0x0001f002u, cycles, extra / 4, NULL, space);
}

/* Write one record of n words with a TSC, as Xen's __trace_var does. */
static void produce(struct prod *p, uint32_t event, uint32_t n, const uint32_t *w)
{
	p->tsc += 10;
	uint32_t rec = 12 + 4 * n, lost = 28, total = 0, wrap = to_wrap(p);
	if (p->lost) {
		if (lost > wrap) {
			total += wrap;
			wrap = p->ds;
		}
		total += lost;
		wrap -= lost;
		if (wrap == 0)
			wrap = p->ds;
	}
	if (rec > wrap)
		total += wrap;
	total += rec;
	if (total > p->ds - used(p)) {
		if (p->lost++ == 0)
			p->lost_first = p->tsc;
		p->dropped_total++;
		return;
	}
	if (p->lost) {
		if (lost > to_wrap(p))
			pad(p);
		uint32_t lw[4] = { p->lost, 0, (uint32_t)p->lost_first,
				   (uint32_t)(p->lost_first >> 32) };
		put(p, 0x0001f001u, 1, 4, lw, lost);
		p->lost = 0;
	}
	if (rec > to_wrap(p))
		pad(p);
	put(p, event, 1, n, w, rec);
}

static struct prod prod_new(uint32_t pages)
{
	struct prod p = { 0 };
	p.ds = pages * XEN_TBUF_PAGE - XEN_TBUF_HDR;
	p.tb = calloc(1, pages * XEN_TBUF_PAGE);
	p.tsc = 1000;
	return p;
}

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
}
