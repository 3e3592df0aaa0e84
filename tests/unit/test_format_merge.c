/*
 * test_format_merge.c - the merged cursor against a reference merge, and
 * the reader's time conversion against the formula, where the fast paths
 * have their edges: long runs of one stream broken by another's head equal
 * to the limit, ties across streams, keys that go back (a clock whose raw
 * offset wraps), seek, one thread or the loader; edge timestamps and
 * mappings through the decode loop; the division by multiply.
 *
 * The reference merge is the definition: repeatedly the head of the
 * per-stream cursors with the smallest (time_ns, stream index).
 */
#include "tests/unit/pmt_cu.h"
#include "tests/unit/fmt_util.h"

#include "format/internal.h"
#include "format/reader.h"

#include <stdio.h>

/* One level of ncpus CPUs with clock k; the events appended in order. */
static pmt_reader *write_read(struct membuf *m, const struct pmt_clock *k, uint32_t ncpus,
			      const struct pmt_event *ev, size_t n, uint32_t chunk_bytes,
			      unsigned flags)
{
	int err;
	struct pmt_writer_opts o = {.codec = PMT_CODEC_ZLIB, .chunk_bytes = chunk_bytes};
	pmt_writer *w = pmt_writer_open_cb(mem_write, m, &o, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct pmt_level l = {.kind = PMT_LEVEL_HOST, .clock = 0, .name = "host", .ncpus = ncpus,
			      .guest_id = -1};
	CU_ASSERT_EQUAL(pmt_writer_add_clock(w, k), 0);
	CU_ASSERT_EQUAL(pmt_writer_add_level(w, &l), 0);
	CU_ASSERT_EQUAL_FATAL(pmt_writer_begin(w), 0);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += pmt_writer_append(w, &ev[i]) != 0;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL_FATAL(pmt_writer_close(w), 0);
	pmt_reader *r = pmt_reader_open_cb(mem_read, m, m->len, flags, &err, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(pmt_reader_info(r)->events, n);
	return r;
}

/*
 * The merged cursor (after a seek to t unless t is INT64_MIN) against the
 * reference merge of per-stream cursors (seeked the same way). Returns the
 * events compared; counts mismatches in *bad.
 */
static size_t check_merge(pmt_reader *r, int64_t t, size_t *bad)
{
	const struct pmt_info *in = pmt_reader_info(r);
	size_t ns = in->nstreams;
	pmt_cursor **sc = calloc(ns, sizeof(*sc));
	const struct pmt_event **head = calloc(ns, sizeof(*head));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(head);
	int err = 0;
	pmt_cursor *mc = pmt_cursor_open_merged(r, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mc);
	if (t != INT64_MIN)
		CU_ASSERT_EQUAL(pmt_cursor_seek(mc, t), 0);
	for (size_t i = 0; i < ns; i++) {
		sc[i] = pmt_cursor_open_stream(r, (int)i, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sc[i]);
		if (t != INT64_MIN)
			CU_ASSERT_EQUAL(pmt_cursor_seek(sc[i], t), 0);
		head[i] = pmt_cursor_next(sc[i], &err);
		CU_ASSERT_EQUAL(err, 0);
	}
	size_t n = 0;
	for (;;) {
		size_t b = ns;
		for (size_t i = 0; i < ns; i++)
			if (head[i] && (b == ns || head[i]->time_ns < head[b]->time_ns))
				b = i; /* ties: the first (smallest) stream stays */
		const struct pmt_event *e = pmt_cursor_next(mc, &err);
		CU_ASSERT_EQUAL(err, 0);
		if (b == ns) {
			CU_ASSERT_PTR_NULL(e);
			break;
		}
		if (!e) {
			(*bad)++;
			break;
		}
		if (!ev_equal(e, head[b]) || e->time_ns != head[b]->time_ns)
			(*bad)++;
		n++;
		head[b] = pmt_cursor_next(sc[b], &err);
		CU_ASSERT_EQUAL(err, 0);
	}
	for (size_t i = 0; i < ns; i++)
		pmt_cursor_close(sc[i]);
	pmt_cursor_close(mc);
	free(sc);
	free(head);
	return n;
}

/*
 * A busy CPU (cpu 2 of 5: leaves on both sides of it) with long runs, the
 * others now and then, often at exactly the busy CPU's next timestamp (a
 * head equal to the run's limit, from a smaller and from a larger stream)
 * or at the same timestamp as each other.
 */
static size_t runs_and_ties(struct pmt_event *ev, size_t n, uint64_t seed)
{
	uint64_t s = seed, t = 1000;
	size_t k = 0;
	while (k < n) {
		t += rnd(&s) % 3; /* 0: equal timestamps within a stream */
		for (uint32_t cpu = 0; cpu < 5 && k < n; cpu++) {
			uint64_t x = rnd(&s) % 100;
			if (cpu == 2 ? x < 90 : x < 3) {
				struct pmt_event *e = &ev[k];
				memset(e, 0, sizeof(*e));
				e->type = PMT_EV_SWITCH;
				e->cpu = cpu;
				e->ts = t;
				e->u.sw.prev_tid = (uint32_t)k;
				e->u.sw.next_tid = (uint32_t)(rnd(&s) % 9);
				e->u.sw.prev_state = (uint32_t)(rnd(&s) % 3);
				k++;
			}
		}
	}
	return k;
}

static void merge_runs_case(uint32_t chunk_bytes, unsigned flags)
{
	static struct pmt_event ev[60000];
	size_t n = runs_and_ties(ev, 60000, 11 + chunk_bytes);
	/* The runs really are long, and heads equal to the busy CPU's next
	 * timestamp really occur (from streams on both sides of it). */
	size_t longest = 0, run = 0, tie_lo = 0, tie_hi = 0;
	for (size_t i = 0; i < n; i++) {
		run = ev[i].cpu == 2 ? run + 1 : 0;
		longest = run > longest ? run : longest;
		if (ev[i].cpu != 2 && i + 1 < n && ev[i + 1].cpu == 2 && ev[i + 1].ts == ev[i].ts)
			(*(ev[i].cpu < 2 ? &tie_lo : &tie_hi))++;
	}
	CU_ASSERT(longest >= 30);
	CU_ASSERT(tie_lo >= 50);
	CU_ASSERT(tie_hi >= 50);
	struct membuf m = {0};
	struct pmt_clock k = {.name = "mono", .freq_hz = 1000000000, .mult_num = 1, .mult_den = 1};
	pmt_reader *r = write_read(&m, &k, 5, ev, n, chunk_bytes, flags);
	size_t bad = 0;
	CU_ASSERT_EQUAL(check_merge(r, INT64_MIN, &bad), n);
	CU_ASSERT_EQUAL(bad, 0);
	/* Seek to times that hit ties and chunk edges: the merged cursor
	 * still equals the merge of the streams seeked alike. */
	for (size_t i = 1; i < 8; i++) {
		int64_t t = (int64_t)ev[i * n / 8].ts;
		size_t after = 0;
		for (size_t j = 0; j < n; j++)
			after += (int64_t)ev[j].ts >= t;
		bad = 0;
		CU_ASSERT_EQUAL(check_merge(r, t, &bad), after);
		CU_ASSERT_EQUAL(bad, 0);
	}
	pmt_reader_close(r);
	free(m.p);
}

static void test_runs_ties(void) { merge_runs_case(0, 0); }
static void test_runs_ties_small_chunks(void) { merge_runs_case(400, 0); }
static void test_runs_ties_one_thread(void) { merge_runs_case(400, PMT_OPEN_ONE_THREAD); }

/*
 * Keys that go back: with raw_base = 2^63 + 5000, (ts - raw_base) wraps at
 * ts = 5000, where time_ns jumps from near INT64_MAX to INT64_MIN (the
 * saturated sum). Stream keys then fall inside a run; the merge must still
 * be the reference's, event by event.
 */
static void test_keys_going_back(void)
{
	static struct pmt_event ev[30000];
	uint64_t s = 3;
	size_t n = 0;
	uint64_t ts[3] = {4000, 4500, 4990};
	while (n < 30000) {
		uint32_t cpu = (uint32_t)(rnd(&s) % 10 < 8 ? 1 : rnd(&s) % 3);
		struct pmt_event *e = &ev[n];
		memset(e, 0, sizeof(*e));
		e->type = PMT_EV_EXIT;
		e->cpu = cpu;
		ts[cpu] += rnd(&s) % (cpu == 1 ? 2 : 4);
		e->ts = ts[cpu];
		e->u.exit.tid = (uint32_t)n;
		n++;
	}
	for (int c = 0; c < 3; c++)
		CU_ASSERT(ts[c] > 5000); /* every stream crosses the wrap */
	struct pmt_clock k = {.name = "mono", .mult_num = 1, .mult_den = 1,
			      .raw_base = (1ull << 63) + 5000, .ref_base_ns = -3};
	CU_ASSERT_EQUAL(pmt_clock_to_ns(&k, 4999), INT64_MAX - 3);
	CU_ASSERT_EQUAL(pmt_clock_to_ns(&k, 5000), INT64_MIN);
	for (unsigned flags = 0; flags <= PMT_OPEN_ONE_THREAD; flags += PMT_OPEN_ONE_THREAD) {
		struct membuf m = {0};
		pmt_reader *r = write_read(&m, &k, 3, ev, n, 300, flags);
		size_t bad = 0, wrong = 0, back = 0;
		CU_ASSERT_EQUAL(check_merge(r, INT64_MIN, &bad), n);
		CU_ASSERT_EQUAL(bad, 0);
		/* Seek bisects chunks by their last key, which is arbitrary
		 * here; only its sameness with the streams' own seek matters. */
		static const int64_t ts_seek[] = {INT64_MIN + 1, -1, 0, INT64_MAX - 1000};
		size_t seen = 0;
		for (int i = 0; i < 4; i++) {
			bad = 0;
			seen += check_merge(r, ts_seek[i], &bad);
			CU_ASSERT_EQUAL(bad, 0);
		}
		CU_ASSERT(seen > 0);
		/* Each stream's keys are the formula's, and they do go back. */
		for (int i = 0; i < 3; i++) {
			int err;
			pmt_cursor *c = pmt_cursor_open_stream(r, i, &err);
			const struct pmt_event *e;
			int64_t prev = INT64_MIN;
			while ((e = pmt_cursor_next(c, &err)) != NULL) {
				wrong += e->time_ns != pmt_clock_to_ns(&k, e->ts);
				back += e->time_ns < prev;
				prev = e->time_ns;
			}
			pmt_cursor_close(c);
		}
		CU_ASSERT_EQUAL(wrong, 0);
		CU_ASSERT_EQUAL(back, 3);
		pmt_reader_close(r);
		free(m.p);
	}
}

/*
 * Edge clocks through the decode loop: every event's time_ns equals
 * pmt_clock_to_ns for timestamps around 0, raw_base, the wrap of (ts -
 * raw_base), saturation of the offset or of the sum, and UINT64_MAX; dense
 * steps there and jumps between.
 */
static void test_decode_loop_clock_edges(void)
{
	static const struct pmt_clock clocks[] = {
		{.mult_num = 1, .mult_den = 1, .raw_base = 50, .ref_base_ns = INT64_MAX - 100},
		{.mult_num = 1, .mult_den = 1, .raw_base = UINT64_MAX - 50, .ref_base_ns = INT64_MIN + 100},
		{.mult_num = 1, .mult_den = 1, .raw_base = 1ull << 62, .ref_base_ns = 7},
		{.mult_num = 5, .mult_den = 12, .raw_base = 1000, .ref_base_ns = 5000},
		{.mult_num = 3057002986u, .mult_den = 7475687313u, .raw_base = 22552770568497u,
		 .ref_base_ns = 9222303897406},
		{.mult_num = 1000000000, .mult_den = 2399999847u, .raw_base = 1ull << 63, .ref_base_ns = -1},
		{.mult_num = 7, .mult_den = 3, .raw_base = 12345, .ref_base_ns = INT64_MIN / 2},
		{.mult_num = 3, .mult_den = 1, .raw_base = 0, .ref_base_ns = INT64_MAX / 2},
		{.mult_num = UINT64_MAX, .mult_den = 1, .raw_base = 10, .ref_base_ns = 0},
		{.mult_num = 2, .mult_den = UINT64_MAX, .raw_base = 99, .ref_base_ns = 0},
		{.mult_num = UINT64_MAX - 1, .mult_den = UINT64_MAX, .raw_base = 1, .ref_base_ns = -5},
		{.mult_num = 7, .mult_den = 1ull << 40, .raw_base = 1ull << 40, .ref_base_ns = 3},
	};
	static struct pmt_event ev[4000];
	for (size_t ci = 0; ci < sizeof(clocks) / sizeof(clocks[0]); ci++) {
		struct pmt_clock k = clocks[ci];
		k.name = "edge";
		uint64_t rb = k.raw_base;
		uint64_t at[] = {0, rb - 300, rb - 1, rb, rb + (1ull << 63) - 300, rb + (1ull << 63) - 1,
				 1ull << 63, UINT64_MAX - 400};
		/* Points sorted, then a dense walk of 40 steps after each. */
		size_t na = sizeof(at) / sizeof(at[0]);
		for (size_t i = 1; i < na; i++)
			for (size_t j = i; j > 0 && at[j] < at[j - 1]; j--) {
				uint64_t x = at[j];
				at[j] = at[j - 1];
				at[j - 1] = x;
			}
		uint64_t s = 17 + ci, ts = 0;
		size_t n = 0;
		for (size_t i = 0; i < na; i++) {
			if (at[i] > ts)
				ts = at[i];
			for (int j = 0; j < 200 && n < 4000; j++) {
				struct pmt_event *e = &ev[n];
				memset(e, 0, sizeof(*e));
				e->type = PMT_EV_EXIT;
				e->cpu = (uint32_t)(rnd(&s) % 2);
				e->ts = ts;
				e->u.exit.tid = (uint32_t)n;
				n++;
				uint64_t step = rnd(&s) % 4;
				ts = ts + step < ts ? ts : ts + step;
			}
		}
		ev[n - 1].ts = UINT64_MAX;
		struct membuf m = {0};
		pmt_reader *r = write_read(&m, &k, 2, ev, n, ci % 2 ? 200 : 0, 0);
		int err;
		pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
		const struct pmt_event *e;
		size_t got = 0, wrong = 0;
		while ((e = pmt_cursor_next(c, &err)) != NULL) {
			if (e->time_ns != pmt_clock_to_ns(&k, e->ts)) {
				if (!wrong)
					printf("\n  clock %zu: ts %llu gives %lld, not %lld\n", ci,
					       (unsigned long long)e->ts, (long long)e->time_ns,
					       (long long)pmt_clock_to_ns(&k, e->ts));
				wrong++;
			}
			got++;
		}
		CU_ASSERT_EQUAL(err, 0);
		CU_ASSERT_EQUAL(got, n);
		CU_ASSERT_EQUAL(wrong, 0);
		pmt_cursor_close(c);
		pmt_reader_close(r);
		free(m.p);
	}
}

/* pmtr_conv_ns across the same edges, jumping back and forth (rebases). */
static void test_conv_edges_any_order(void)
{
	static const uint64_t maps[][2] = {{1, 1}, {5, 12}, {3057002986u, 7475687313u}, {7, 3},
					   {UINT64_MAX, 1}, {2, UINT64_MAX}, {UINT64_MAX - 1, UINT64_MAX},
					   {1, 1ull << 63}, {(1ull << 63) + 1, 1ull << 63}};
	static const int64_t refs[] = {0, INT64_MAX - 1000, INT64_MIN + 1000, -77};
	uint64_t s = 9;
	size_t bad = 0, n = 0;
	for (size_t mi = 0; mi < sizeof(maps) / sizeof(maps[0]); mi++)
		for (size_t ri = 0; ri < sizeof(refs) / sizeof(refs[0]); ri++)
			for (int bi = 0; bi < 3; bi++) {
				struct pmt_clock k = {.mult_num = maps[mi][0], .mult_den = maps[mi][1],
						      .ref_base_ns = refs[ri],
						      .raw_base = bi == 0 ? 0 : bi == 1 ? 1ull << 63 : UINT64_MAX - 7};
				struct conv v;
				pmtr_conv_init(&v, &k);
				uint64_t rb = k.raw_base;
				uint64_t at[] = {0, 1, rb - 1, rb, rb + 1, rb + (1ull << 63) - 1,
						 rb + (1ull << 63), UINT64_MAX - 1, UINT64_MAX};
				for (int i = 0; i < 400; i++) {
					uint64_t ts = at[rnd(&s) % 9] + (rnd(&s) % 5) - 2;
					if (rnd(&s) % 4 == 0)
						ts = rnd(&s) >> (rnd(&s) % 64);
					for (int j = 0; j < 5; j++, ts++, n++)
						bad += pmtr_conv_ns(&v, ts) != pmt_clock_to_ns(&k, ts);
				}
			}
	CU_ASSERT(n > 100000);
	CU_ASSERT_EQUAL(bad, 0);
	/* Known answers: 5/12 ns per tick (2.4 GHz) from raw_base 1000. */
	struct pmt_clock t = {.mult_num = 5, .mult_den = 12, .raw_base = 1000, .ref_base_ns = 10};
	struct conv v;
	pmtr_conv_init(&v, &t);
	CU_ASSERT_EQUAL(pmtr_conv_ns(&v, 1000 + 24), 20);
	CU_ASSERT_EQUAL(pmtr_conv_ns(&v, 1000 + 23), 19);
	CU_ASSERT_EQUAL(pmtr_conv_ns(&v, 1000 - 1), 9);
	CU_ASSERT_EQUAL(pmtr_conv_ns(&v, 1000 - 13), 4);
	/* No clock: raw ticks are ns. */
	pmtr_conv_init(&v, NULL);
	CU_ASSERT_EQUAL(pmtr_conv_ns(&v, UINT64_MAX), -1);
	CU_ASSERT_EQUAL(pmtr_conv_ns(&v, 12345), 12345);
}

/* The division by multiply is floor(x / den) for every den >= 2 tried and
 * x at the edges (0, multiples of den and their neighbours, the largest x
 * allowed: 2^63 - 1 for the short form, used up to den 2^62, else 2^64 - 1).
 * The clock 1/den ns per tick has no whole part: the short form when it can. */
static void test_division_by_multiply(void)
{
	static const uint64_t dens[] = {2, 3, 5, 7, 10, 12, 641, 1000000000, 2399999847u,
					7475687313u, (1ull << 32) - 1, 1ull << 32, (1ull << 32) + 1,
					(1ull << 62) - 1, 1ull << 62, (1ull << 62) + 1,
					(1ull << 63) - 1, 1ull << 63, (1ull << 63) + 1, UINT64_MAX - 1,
					UINT64_MAX};
	uint64_t s = 21;
	size_t bad = 0;
	for (size_t di = 0; di < sizeof(dens) / sizeof(dens[0]) + 200; di++) {
		uint64_t den = di < sizeof(dens) / sizeof(dens[0]) ? dens[di] : rnd(&s) >> (rnd(&s) % 63);
		if (den < 2)
			den = 2;
		struct pmt_clock k = {.mult_num = 1, .mult_den = den};
		struct conv v;
		pmtr_conv_init(&v, &k);
		CU_ASSERT_EQUAL_FATAL(v.den, den);
		CU_ASSERT_EQUAL(v.mode, den <= 1ull << 62 ? CONV_SHORT : CONV_FULL); /* 1/den ns */
		uint64_t xmax = v.mode == CONV_SHORT ? (1ull << 63) - 1 : UINT64_MAX;
		uint64_t q = xmax / den;
		uint64_t xs[] = {0, 1, den - 1, den, den + 1, q * den - 1, q * den, xmax - 1,
				 xmax, (q / 2) * den - 1, (q / 2) * den};
		for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
			bad += xs[i] <= xmax && pmtr_div(&v, xs[i]) != xs[i] / den;
		for (int i = 0; i < 2000; i++) {
			uint64_t x = (rnd(&s) >> (rnd(&s) % 64)) & xmax;
			bad += pmtr_div(&v, x) != x / den;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/*
 * A damaged record in the middle of a chunk, read tolerantly: the batches of
 * the chunk before the one holding it are handed out (batches of 256
 * records), the rest of the chunk is dropped, the damage is reported once at
 * that record; the merge is still the reference's, with or without the
 * loader. Uncompressed records of 3 bytes (exit, delta 1, tid < 128) put
 * record i at payload byte 3i; the checksums and the index's copy of the
 * header are fixed so that only the record is wrong.
 */
static void test_damaged_record_tolerant(void)
{
	static struct pmt_event ev[1300];
	size_t n = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		memset(&ev[n], 0, sizeof(ev[n]));
		ev[n].type = PMT_EV_EXIT;
		ev[n].cpu = 0;
		ev[n].ts = 1000 + i;
		ev[n].u.exit.tid = i % 100;
		n++;
		if (i % 10 == 3) {
			memset(&ev[n], 0, sizeof(ev[n]));
			ev[n].type = PMT_EV_EXIT;
			ev[n].cpu = 1;
			ev[n].ts = 1000 + i; /* ties with stream 0 */
			ev[n].u.exit.tid = 7;
			n++;
		}
	}
	int err;
	struct membuf m = {0};
	struct pmt_writer_opts o = {.codec = PMT_CODEC_NONE};
	pmt_writer *w = pmt_writer_open_cb(mem_write, &m, &o, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct pmt_clock k = {.name = "mono", .mult_num = 1, .mult_den = 1};
	struct pmt_level l = {.kind = PMT_LEVEL_HOST, .name = "host", .ncpus = 2, .guest_id = -1};
	pmt_writer_add_clock(w, &k);
	pmt_writer_add_level(w, &l);
	CU_ASSERT_EQUAL_FATAL(pmt_writer_begin(w), 0);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(pmt_writer_append(w, &ev[i]), 0);
	CU_ASSERT_EQUAL_FATAL(pmt_writer_close(w), 0);

	/* Stream 0's chunk (CPU 0, 1000 records), its record 700. */
	uint8_t *h = NULL;
	for (size_t off = 0; off + PMTF_CHUNK_HDR <= m.len; off++)
		if (rd32(m.p + off) == PMTF_TAG_CHUNK && rd32(m.p + off + 8) == 0 &&
		    rd32(m.p + off + 12) == 1000) {
			h = m.p + off;
			break;
		}
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	uint8_t *pay = h + PMTF_CHUNK_HDR;
	CU_ASSERT_EQUAL_FATAL(rd32(h + 32), 3000); /* raw bytes: 3 per record */
	CU_ASSERT_EQUAL_FATAL(pay[3 * 700], PMTF_REC_EXIT);
	CU_ASSERT_EQUAL_FATAL(pay[3 * 700 + 2], 0);
	pay[3 * 700] = 0x0f; /* a reserved record type */
	wr32(h + 40, pmtf_crc32(pay, rd32(h + 36)));
	wr32(h + 60, pmtf_crc32(h, 60));
	uint8_t *ix = NULL;
	for (size_t off = m.len - PMTF_TRAILER; off-- > 0;)
		if (rd32(m.p + off) == PMTF_TAG_INDEX) {
			ix = m.p + off;
			break;
		}
	CU_ASSERT_PTR_NOT_NULL_FATAL(ix);
	uint8_t *body = ix + PMTF_INDEX_HDR, *ents = body + 8 * rd64(ix + 8);
	int fixed = 0;
	for (uint64_t i = 0; i < rd64(ix + 16); i++)
		if (rd64(ents + i * PMTF_INDEX_ENT) == (uint64_t)(h - m.p)) {
			memcpy(ents + i * PMTF_INDEX_ENT + 8, h, PMTF_CHUNK_HDR);
			fixed++;
		}
	CU_ASSERT_EQUAL_FATAL(fixed, 1);
	wr32(ix + 24, pmtf_crc32(body, (size_t)(m.p + m.len - PMTF_TRAILER - body)));
	wr32(ix + 28, pmtf_crc32(ix, 28));

	for (unsigned flags = PMT_OPEN_TOLERANT; flags <= (PMT_OPEN_TOLERANT | PMT_OPEN_ONE_THREAD);
	     flags += PMT_OPEN_ONE_THREAD) {
		pmt_reader *r = pmt_reader_open_cb(mem_read, &m, m.len, flags, &err, NULL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT_EQUAL(pmt_reader_info(r)->ndamage, 0);
		CU_ASSERT_EQUAL(pmt_reader_info(r)->indexed, 1);
		size_t bad = 0;
		/* 512 of stream 0 (two batches), all 100 of stream 1. */
		CU_ASSERT_EQUAL(check_merge(r, INT64_MIN, &bad), 512 + 100);
		CU_ASSERT_EQUAL(bad, 0);
		const struct pmt_info *in = pmt_reader_info(r);
		CU_ASSERT(in->ndamage >= 1);
		size_t at700 = 0;
		for (size_t i = 0; i < in->ndamage; i++) {
			CU_ASSERT_EQUAL(in->damage[i].offset, (uint64_t)(h - m.p));
			at700 += strncmp(in->damage[i].what, "record 700 of the chunk: record type byte",
					 41) == 0;
		}
		CU_ASSERT_EQUAL(at700, in->ndamage);
		pmt_reader_close(r);
	}
	/* Not tolerant: the merged cursor stops with an error at that point,
	 * after the same 512 + 100 - (stream 1's events after it) events. */
	pmt_reader *r = pmt_reader_open_cb(mem_read, &m, m.len, 0, &err, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	size_t got = 0;
	while (pmt_cursor_next(c, &err))
		got++;
	CU_ASSERT_EQUAL(err, PMT_ECORRUPT);
	/* Up to ts 1511 (stream 0's 512th event) stream 1 had 52 events at or
	 * before it (i % 10 == 3 for i <= 511, ties go to stream 0 first). */
	CU_ASSERT_EQUAL(got, 512 + 51);
	CU_ASSERT_PTR_NULL(pmt_cursor_next(c, &err));
	CU_ASSERT_EQUAL(err, PMT_ECORRUPT);
	pmt_cursor_close(c);
	/* In batches: the same events, then the error on the call after them. */
	c = pmt_cursor_open_merged(r, NULL, &err);
	const struct pmt_event *evs[100];
	size_t kb;
	got = 0;
	while ((kb = pmt_cursor_next_batch(c, evs, 100, &err)) > 0) {
		CU_ASSERT_EQUAL(err, 0);
		got += kb;
	}
	CU_ASSERT_EQUAL(got, 512 + 51);
	CU_ASSERT_EQUAL(err, PMT_ECORRUPT);
	pmt_cursor_close(c);
	pmt_reader_close(r);
	free(m.p);
}

/*
 * pmt_cursor_next_batch against pmt_cursor_next on a second cursor: the
 * same events in the same order for any batch size, and every pointer of a
 * batch (strings included) still right after the call, while the next
 * batch has not been asked for.
 */
static void batch_case(uint32_t chunk_bytes, unsigned flags)
{
	static struct pmt_event ev[30000];
	static char names[30000][48];
	size_t n = runs_and_ties(ev, 30000, 5 + chunk_bytes);
	for (size_t i = 0; i < n; i += 37) { /* names of many lengths among them */
		uint32_t tid = ev[i].u.sw.prev_tid;
		int len = snprintf(names[i], sizeof(names[i]), "%.*s-%zu", (int)(i % 40),
				   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", i);
		ev[i].type = PMT_EV_NAME;
		ev[i].u.name.tid = tid;
		ev[i].u.name.pid = tid + 1;
		ev[i].u.name.comm.s = names[i];
		ev[i].u.name.comm.len = (uint32_t)len;
	}
	struct membuf m = {0};
	struct pmt_clock k = {.name = "mono", .freq_hz = 1000000000, .mult_num = 1, .mult_den = 1};
	pmt_reader *r = write_read(&m, &k, 5, ev, n, chunk_bytes, flags);
	static const size_t sizes[] = { 1, 2, 7, 64, 256, 5000 };
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		int err = 0, eb = 0;
		pmt_cursor *a = pmt_cursor_open_merged(r, NULL, &err);
		pmt_cursor *b = pmt_cursor_open_merged(r, NULL, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		const struct pmt_event **evs = calloc(sizes[z], sizeof(*evs));
		CU_ASSERT_PTR_NOT_NULL_FATAL(evs);
		size_t got = 0, bad = 0, calls = 0, most = 0, kb;
		while ((kb = pmt_cursor_next_batch(b, evs, sizes[z], &eb)) > 0) {
			calls++;
			most = kb > most ? kb : most;
			for (size_t i = 0; i < kb; i++) {
				const struct pmt_event *x = pmt_cursor_next(a, &err);
				if (!x || !ev_equal(x, evs[i]) || x->time_ns != evs[i]->time_ns)
					bad++;
			}
			got += kb;
		}
		CU_ASSERT_EQUAL(eb, 0);
		CU_ASSERT_EQUAL(got, n);
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_PTR_NULL(pmt_cursor_next(a, &err));
		CU_ASSERT(most <= sizes[z]);
		if (sizes[z] >= 64)
			CU_ASSERT(calls < n / 8); /* batches are mostly long */
		free(evs);
		pmt_cursor_close(a);
		pmt_cursor_close(b);
	}
	pmt_reader_close(r);
	free(m.p);
}

static void test_batch(void) { batch_case(0, 0); }
static void test_batch_small_chunks(void) { batch_case(300, 0); }
static void test_batch_one_thread(void) { batch_case(300, PMT_OPEN_ONE_THREAD); }

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("merged cursor and time conversion", NULL, NULL);
	CU_add_test(s, "long runs and ties across streams merge as the reference", test_runs_ties);
	CU_add_test(s, "long runs and ties across small chunks merge as the reference",
		    test_runs_ties_small_chunks);
	CU_add_test(s, "long runs and ties merge as the reference on one thread",
		    test_runs_ties_one_thread);
	CU_add_test(s, "keys going back (raw offset wrap) merge as the reference", test_keys_going_back);
	CU_add_test(s, "batches give the events one by one would, valid until the next call", test_batch);
	CU_add_test(s, "batches over small chunks", test_batch_small_chunks);
	CU_add_test(s, "batches on one thread", test_batch_one_thread);
	CU_add_test(s, "the decode loop's times equal the formula at clock edges",
		    test_decode_loop_clock_edges);
	CU_add_test(s, "the conversion equals the formula at edges in any order", test_conv_edges_any_order);
	CU_add_test(s, "division by multiply is floor division", test_division_by_multiply);
	CU_add_test(s, "a damaged record mid-chunk: the same batches, damage and merge, tolerant or not",
		    test_damaged_record_tolerant);
}
