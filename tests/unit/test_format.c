/*
 * test_format.c - libpmt round trips: every event type with extreme values,
 * many streams merged in time order across two levels and clocks, chunk
 * boundaries, both codecs, late sections, seek.
 */
#include "tests/unit/pmt_cu.h"
#include "tests/unit/fmt_util.h"

#include "format/internal.h"
#include "format/reader.h"

#include <stdio.h>

static char bigstr[PMT_MAX_STRING + 100];

/* Events of one stream that exercise each type's extremes. */
static size_t extreme_events(struct pmt_event *ev)
{
	size_t n = 0;
	uint64_t ts = 0;
	memset(bigstr, 'x', sizeof(bigstr));
	for (int round = 0; round < 2; round++) {
		uint32_t v = round ? UINT32_MAX : 0;
		uint64_t v64 = round ? UINT64_MAX : 0;
		struct pmt_event e;
#define ADD(type_) do { e.type = (type_); e.ts = ts; ev[n++] = e; } while (0)
		memset(&e, 0, sizeof(e));
		e.u.sw.prev_tid = v; e.u.sw.prev_state = v; e.u.sw.next_tid = v; ADD(PMT_EV_SWITCH);
		memset(&e, 0, sizeof(e));
		for (uint32_t st = 0; st < PMT_STATE_MAX_; st++) {
			e.u.sw.prev_tid = 7 + st; e.u.sw.prev_state = st; e.u.sw.next_tid = 8 + st;
			ADD(PMT_EV_SWITCH);
		}
		memset(&e, 0, sizeof(e));
		e.u.migrate.tid = v; e.u.migrate.from_cpu = v; e.u.migrate.to_cpu = v; ADD(PMT_EV_MIGRATE);
		memset(&e, 0, sizeof(e));
		e.u.wakeup.tid = v; e.u.wakeup.target_cpu = v; e.u.wakeup.waker_tid = v; e.u.wakeup.flags = v;
		ADD(PMT_EV_WAKEUP);
		for (uint32_t f = 0; f < 4; f++) {
			memset(&e, 0, sizeof(e));
			e.u.wakeup.tid = v ^ f; e.u.wakeup.target_cpu = f & 1; e.u.wakeup.waker_tid = v;
			e.u.wakeup.flags = f;
			ADD(PMT_EV_WAKEUP);
		}
		memset(&e, 0, sizeof(e));
		e.u.fork.parent_tid = v; e.u.fork.child_tid = v; e.u.fork.child_pid = v; e.u.fork.flags = v;
		ADD(PMT_EV_FORK);
		memset(&e, 0, sizeof(e));
		e.u.exec.tid = v; e.u.exec.comm.s = round ? bigstr : ""; e.u.exec.comm.len = round ? PMT_MAX_STRING : 0;
		ADD(PMT_EV_EXEC);
		memset(&e, 0, sizeof(e));
		e.u.exit.tid = v; ADD(PMT_EV_EXIT);
		memset(&e, 0, sizeof(e));
		e.u.name.tid = v; e.u.name.pid = v; e.u.name.comm.s = round ? "a\0b" : "kworker/0:1";
		e.u.name.comm.len = round ? 3 : 11;
		ADD(PMT_EV_NAME);
		memset(&e, 0, sizeof(e));
		e.u.lost.count = round ? UINT64_MAX / 4 : 0; e.u.lost.span = v64; ADD(PMT_EV_LOST);
		memset(&e, 0, sizeof(e));
		e.u.marker.text.s = round ? bigstr : "sync"; e.u.marker.text.len = round ? PMT_MAX_STRING : 4;
		ADD(PMT_EV_MARKER);
		for (uint32_t k = 0; k < PMT_HV_KIND_MAX_; k++) {
			memset(&e, 0, sizeof(e));
			e.u.hv.kind = round ? v : k; e.u.hv.tid = v; e.u.hv.a = v64; e.u.hv.b = v64 ^ k;
			ADD(PMT_EV_HV);
		}
		/* Time jumps: zero, one, huge, up to the last tick. */
		ts += round ? UINT64_MAX - ts - 5 : (1ull << 62);
#undef ADD
	}
	for (size_t i = 0; i < n; i++) {
		ev[i].level = 0;
		ev[i].cpu = 1;
		if (i + 5 >= n)
			ev[i].ts = UINT64_MAX - (n - 1 - i);
	}
	return n;
}

static void every_type_extremes_codec(int codec, uint32_t chunk_bytes)
{
	struct pmt_event ev[128];
	size_t n = extreme_events(ev);
	struct membuf m = {0};
	struct pmt_writer_opts o = {.codec = codec, .chunk_bytes = chunk_bytes};
	pmt_writer *w = test_writer(&m, &o, 2, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(pmt_writer_append(w, &ev[i]), 0);
	CU_ASSERT_EQUAL(pmt_writer_events(w), n);
	CU_ASSERT_EQUAL(pmt_writer_close(w), 0);

	int err;
	char msg[200];
	pmt_reader *r = mem_open(&m, 0, &err, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const struct pmt_info *in = pmt_reader_info(r);
	CU_ASSERT_EQUAL(in->indexed, 1);
	CU_ASSERT_EQUAL(in->recovered, 0);
	CU_ASSERT_EQUAL(in->events, n);
	CU_ASSERT_EQUAL(in->nstreams, 1);
	CU_ASSERT_EQUAL(in->streams[0].cpu, 1);
	CU_ASSERT_EQUAL(in->lost_events, 2 * 0 + UINT64_MAX / 4);
	CU_ASSERT_EQUAL(in->streams[0].lost_records, 2);
	CU_ASSERT_STRING_EQUAL(pmt_reader_meta(r, "host"), "testhost");
	pmt_cursor *c = pmt_cursor_open_stream(r, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	size_t i = 0;
	const struct pmt_event *e;
	while ((e = pmt_cursor_next(c, &err)) != NULL) {
		if (i < n) {
			CU_ASSERT(ev_equal(e, &ev[i]));
			if (!ev_equal(e, &ev[i]))
				printf("\n  event %zu differs (type %u)\n", i, ev[i].type);
			CU_ASSERT_EQUAL(e->time_ns, pmt_reader_to_ns(r, 0, e->ts));
		}
		i++;
	}
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(i, n);
	pmt_cursor_close(c);
	CU_ASSERT_EQUAL(pmt_reader_check(r), 0);
	pmt_reader_close(r);
	free(m.p);
}

static void test_every_type_zlib(void) { every_type_extremes_codec(PMT_CODEC_ZLIB, 0); }
static void test_every_type_none(void) { every_type_extremes_codec(PMT_CODEC_NONE, 0); }
static void test_every_type_tiny_chunks(void) { every_type_extremes_codec(PMT_CODEC_ZLIB, 64); }

/* ------------------------------------------------ random multi-stream */

struct refev {
	struct pmt_event e;
	int64_t ns;
	int stream;
	size_t seq;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct refev *x = a, *y = b;
	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	if (x->stream != y->stream)
		return x->stream < y->stream ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char *const names[] = {"bash", "hackbench", "kworker/1:0", "", "a-very-long-name-of-a-task"};

/* Random scheduler-like events on a host (hcpus) and a guest (gcpus). */
static struct refev *random_events(size_t n, uint32_t hcpus, uint32_t gcpus, uint64_t seed)
{
	struct refev *r = calloc(n, sizeof(*r));
	uint64_t ts[64] = {0};
	uint64_t s = seed;
	for (size_t i = 0; i < n; i++) {
		struct pmt_event *e = &r[i].e;
		uint32_t stream = (uint32_t)(rnd(&s) % (hcpus + gcpus));
		e->level = stream < hcpus ? 0 : 1;
		e->cpu = stream < hcpus ? stream : stream - hcpus;
		uint64_t k = rnd(&s) % 100;
		ts[stream] += k < 5 ? 0 : k < 95 ? rnd(&s) % 20000 : rnd(&s) % (1ull << 40);
		e->ts = ts[stream] + (e->level ? 1000 : 0);
		uint32_t tid = (uint32_t)(rnd(&s) % 12);
		uint32_t tid2 = (uint32_t)(rnd(&s) % 12);
		uint64_t t = rnd(&s) % 100;
		if (t < 45) {
			e->type = PMT_EV_SWITCH;
			e->u.sw.prev_tid = tid;
			e->u.sw.next_tid = tid2;
			e->u.sw.prev_state = (uint32_t)(rnd(&s) % 10);
		} else if (t < 75) {
			e->type = PMT_EV_WAKEUP;
			e->u.wakeup.tid = tid;
			e->u.wakeup.target_cpu = (uint32_t)(rnd(&s) % 3);
			e->u.wakeup.waker_tid = tid2;
			e->u.wakeup.flags = (uint32_t)(rnd(&s) % 3);
		} else if (t < 85) {
			e->type = PMT_EV_MIGRATE;
			e->u.migrate.tid = tid;
			e->u.migrate.from_cpu = (uint32_t)(rnd(&s) % 4);
			e->u.migrate.to_cpu = (uint32_t)(rnd(&s) % 4);
		} else if (t < 88) {
			e->type = PMT_EV_FORK;
			e->u.fork.parent_tid = tid;
			e->u.fork.child_tid = 100 + (uint32_t)i;
			e->u.fork.child_pid = tid;
			e->u.fork.flags = PMT_FORK_THREAD;
		} else if (t < 90) {
			e->type = PMT_EV_EXEC;
			e->u.exec.tid = tid;
			e->u.exec.comm.s = names[tid % 5];
			e->u.exec.comm.len = (uint32_t)strlen(names[tid % 5]);
		} else if (t < 92) {
			e->type = PMT_EV_EXIT;
			e->u.exit.tid = tid;
		} else if (t < 94) {
			e->type = PMT_EV_NAME;
			e->u.name.tid = tid;
			e->u.name.pid = tid2;
			e->u.name.comm.s = names[tid2 % 5];
			e->u.name.comm.len = (uint32_t)strlen(names[tid2 % 5]);
		} else if (t < 96) {
			e->type = PMT_EV_LOST;
			e->u.lost.count = rnd(&s) % 1000;
			e->u.lost.span = rnd(&s) % 100000;
		} else if (t < 98) {
			e->type = PMT_EV_MARKER;
			e->u.marker.text.s = names[tid % 5];
			e->u.marker.text.len = (uint32_t)strlen(names[tid % 5]);
		} else {
			e->type = PMT_EV_HV;
			e->u.hv.kind = PMT_HV_EXIT;
			e->u.hv.tid = tid;
			e->u.hv.a = rnd(&s);
			e->u.hv.b = rnd(&s) >> 20;
		}
		r[i].seq = i;
	}
	return r;
}

/* Writes them, reads them merged, compares with the reference order. */
static void roundtrip_random(size_t n, uint32_t hcpus, uint32_t gcpus, int codec,
			     uint32_t chunk_bytes, uint64_t seed)
{
	struct refev *ref = random_events(n, hcpus, gcpus, seed);
	struct membuf m = {0};
	struct pmt_writer_opts o = {.codec = codec, .chunk_bytes = chunk_bytes};
	pmt_writer *w = test_writer(&m, &o, hcpus, gcpus);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(pmt_writer_append(w, &ref[i].e), 0);
		if (i == n / 2) {
			/* A late task and metadata, then a periodic flush. */
			struct pmt_task t = {.level = 0, .tid = 42, .pid = 42, .comm = "late"};
			CU_ASSERT_EQUAL(pmt_writer_add_task(w, &t), 0);
			CU_ASSERT_EQUAL(pmt_writer_set_meta(w, "late-key", "late-value"), 0);
			CU_ASSERT_EQUAL(pmt_writer_flush(w), 0);
		}
	}
	CU_ASSERT_EQUAL(pmt_writer_close(w), 0);

	int err;
	char msg[200];
	pmt_reader *r = mem_open(&m, 0, &err, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const struct pmt_info *in = pmt_reader_info(r);
	CU_ASSERT_EQUAL(in->events, n);
	CU_ASSERT_EQUAL(in->ntasks, 2);
	CU_ASSERT_EQUAL(in->nlevels, gcpus ? 2 : 1);
	CU_ASSERT_EQUAL(in->nbindings, gcpus);
	CU_ASSERT_STRING_EQUAL(pmt_reader_meta(r, "late-key"), "late-value");
	for (size_t i = 0; i < n; i++) {
		ref[i].ns = pmt_reader_to_ns(r, ref[i].e.level, ref[i].e.ts);
		ref[i].stream = pmt_reader_stream(r, ref[i].e.level, ref[i].e.cpu);
		CU_ASSERT(ref[i].stream >= 0);
	}
	qsort(ref, n, sizeof(*ref), cmp_ref);
	pmt_cursor *c = pmt_cursor_open_merged(r, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	size_t i = 0, bad = 0;
	const struct pmt_event *e;
	while ((e = pmt_cursor_next(c, &err)) != NULL) {
		if (i < n && (!ev_equal(e, &ref[i].e) || e->time_ns != ref[i].ns))
			bad++;
		i++;
	}
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(i, n);
	CU_ASSERT_EQUAL(bad, 0);
	/* Seek to the middle event's time: the next event is the first at or
	 * after it in the reference order. */
	int64_t t = ref[n / 2].ns;
	size_t first = n / 2;
	while (first > 0 && ref[first - 1].ns >= t)
		first--;
	CU_ASSERT_EQUAL(pmt_cursor_seek(c, t), 0);
	e = pmt_cursor_next(c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT(ev_equal(e, &ref[first].e));
	size_t rest = 1;
	while (pmt_cursor_next(c, &err))
		rest++;
	CU_ASSERT_EQUAL(rest, n - first);
	pmt_cursor_close(c);
	CU_ASSERT_EQUAL(pmt_reader_check(r), 0);
	pmt_reader_close(r);
	free(ref);
	free(m.p);
}

static void test_many_streams_zlib(void) { roundtrip_random(40000, 8, 4, PMT_CODEC_ZLIB, 0, 1); }
static void test_many_streams_none(void) { roundtrip_random(20000, 8, 4, PMT_CODEC_NONE, 0, 2); }
static void test_small_chunks(void) { roundtrip_random(20000, 3, 2, PMT_CODEC_ZLIB, 300, 3); }
static void test_one_event_chunks(void) { roundtrip_random(3000, 2, 2, PMT_CODEC_ZLIB, 64, 4); }
static void test_two_streams(void) { roundtrip_random(30000, 2, 0, PMT_CODEC_ZLIB, 2000, 5); }
static void test_one_stream(void) { roundtrip_random(5000, 1, 0, PMT_CODEC_ZLIB, 500, 6); }

/* The example of docs/FORMAT.md "Records", byte for byte. */
static void test_spec_example_bytes(void)
{
	struct membuf m = {0};
	struct pmt_writer_opts o = {.codec = PMT_CODEC_NONE};
	pmt_writer *w = test_writer(&m, &o, 1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	size_t before = m.len;
	struct pmt_event e = {.type = PMT_EV_SWITCH, .ts = 100};
	e.u.sw.prev_tid = 5; e.u.sw.next_tid = 9; e.u.sw.prev_state = PMT_STATE_SLEEPING;
	CU_ASSERT_EQUAL(pmt_writer_append(w, &e), 0);
	memset(&e.u, 0, sizeof(e.u));
	e.type = PMT_EV_WAKEUP; e.ts = 102;
	e.u.wakeup.tid = 5; e.u.wakeup.target_cpu = 0; e.u.wakeup.waker_tid = 9;
	e.u.wakeup.flags = PMT_WAKE_WAKING;
	CU_ASSERT_EQUAL(pmt_writer_append(w, &e), 0);
	memset(&e.u, 0, sizeof(e.u));
	e.type = PMT_EV_SWITCH; e.ts = 105;
	e.u.sw.prev_tid = 9; e.u.sw.next_tid = 5; e.u.sw.prev_state = PMT_STATE_RUNNABLE;
	CU_ASSERT_EQUAL(pmt_writer_append(w, &e), 0);
	CU_ASSERT_EQUAL(pmt_writer_flush(w), 0);
	static const uint8_t payload[] = {0xB9, 0x00, 0x05, 0x09, 0x7F, 0x02, 0x05, 0xC0, 0x03};
	CU_ASSERT_EQUAL_FATAL(m.len - before, PMTF_CHUNK_HDR + sizeof(payload));
	const uint8_t *h = m.p + before;
	CU_ASSERT_EQUAL(rd32(h), PMTF_TAG_CHUNK);
	CU_ASSERT_EQUAL(h[6], PMTF_CODEC_NONE);
	CU_ASSERT_EQUAL(rd32(h + 12), 3);
	CU_ASSERT_EQUAL(rd64(h + 16), 100);
	CU_ASSERT_EQUAL(rd64(h + 24), 105);
	CU_ASSERT_EQUAL(rd32(h + 32), sizeof(payload));
	CU_ASSERT_EQUAL(rd32(h + 60), pmtf_crc32(h, 60));
	CU_ASSERT(memcmp(h + PMTF_CHUNK_HDR, payload, sizeof(payload)) == 0);
	CU_ASSERT_EQUAL(pmtf_crc32("123456789", 9), 0xCBF43926u);
	CU_ASSERT(memcmp(m.p, "\x89PMT\r\n\x1a\n\x01\x00\x00\x00\x00\x00\x00\x00\xef\xcd\xab\x89\x67\x45\x23\x01", 24) == 0);
	pmt_writer_abort(w);
	free(m.p);
}

/* The reader's incremental conversion equals pmt_clock_to_ns everywhere:
 * odd ratios, huge and zero steps, wrap of raw - raw_base, saturation. */
static void test_clock_conversion_exact(void)
{
	static const uint64_t nums[][2] = {{1, 1}, {5, 12}, {1000000000, 2399999847u}, {3, 1},
					   {UINT64_MAX / 3, UINT64_MAX / 7}, {7, 1ull << 40}, {1, 3}};
	uint64_t s = 5;
	size_t bad = 0;
	for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		for (int base = 0; base < 3; base++) {
			struct pmt_clock c = {.mult_num = nums[k][0], .mult_den = nums[k][1],
					      .raw_base = base == 0 ? 0 : base == 1 ? 123456789 : UINT64_MAX - 1000,
					      .ref_base_ns = base == 2 ? -5000 : 77};
			struct conv v;
			pmtr_conv_init(&v, &c);
			uint64_t ts = rnd(&s) >> (rnd(&s) % 64);
			for (int i = 0; i < 20000; i++) {
				uint64_t step = rnd(&s) % 10 == 0 ? rnd(&s) >> (rnd(&s) % 64) : rnd(&s) % 5000;
				ts = ts + step < ts ? ts : ts + step;
				if (i % 1000 == 999)
					ts = rnd(&s); /* a jump back starts afresh */
				if (pmtr_conv_ns(&v, ts) != pmt_clock_to_ns(&c, ts))
					bad++;
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* Known answers: 2.4 GHz ticks to ns, and a negative offset. */
	struct pmt_clock t = {.mult_num = 5, .mult_den = 12, .raw_base = 1000, .ref_base_ns = 10};
	CU_ASSERT_EQUAL(pmt_clock_to_ns(&t, 1000 + 24), 10 + 10);
	CU_ASSERT_EQUAL(pmt_clock_to_ns(&t, 1000 + 23), 10 + 9);
	CU_ASSERT_EQUAL(pmt_clock_to_ns(&t, 1000 - 1), 10 - 1);
	CU_ASSERT_EQUAL(pmt_clock_to_ns(&t, 1000 - 13), 10 - 6);
}

/* Cut by trace time, a clock recalibrated at the end (late section), the
 * writer's refusals. */
static void test_time_cuts_late_clock_and_refusals(void)
{
	struct membuf m = {0};
	struct pmt_writer_opts o = {.chunk_ns = 1000};
	pmt_writer *w = pmt_writer_open_cb(mem_write, &m, &o, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct pmt_event e = {.type = PMT_EV_EXIT, .ts = 5};
	CU_ASSERT_EQUAL(pmt_writer_append(w, &e), PMT_ESTATE);
	CU_ASSERT_EQUAL(pmt_writer_begin(w), PMT_ESTATE); /* no level yet */
	struct pmt_clock k = {.name = "x86-tsc", .mult_num = 1, .mult_den = 2}; /* 2 ticks per ns */
	struct pmt_level l = {.kind = PMT_LEVEL_HOST, .name = "host", .ncpus = 1, .guest_id = -1};
	CU_ASSERT_EQUAL(pmt_writer_add_clock(w, &k), 0);
	CU_ASSERT_EQUAL(pmt_writer_add_level(w, &l), 0);
	CU_ASSERT_EQUAL(pmt_writer_begin(w), 0);
	CU_ASSERT_EQUAL(pmt_writer_add_level(w, &l), PMT_ESTATE);
	CU_ASSERT_EQUAL(pmt_writer_add_clock(w, &k), PMT_ESTATE);
	e.cpu = 1;
	CU_ASSERT_EQUAL(pmt_writer_append(w, &e), PMT_EINVAL); /* no CPU 1 */
	e.cpu = 0;
	/* one event every 300 ticks (150 ns): a chunk spans < 2000 ticks */
	for (uint64_t i = 0; i < 100; i++) {
		e.ts = 1000 + i * 300;
		e.u.exit.tid = (uint32_t)i;
		CU_ASSERT_EQUAL(pmt_writer_append(w, &e), 0);
	}
	e.ts = 999;
	CU_ASSERT_EQUAL(pmt_writer_append(w, &e), PMT_EORDER);
	struct pmt_clock k2 = k;
	k2.ref_base_ns = 1000000;
	CU_ASSERT_EQUAL(pmt_writer_update_clock(w, 0, &k2), 0);
	CU_ASSERT_EQUAL(pmt_writer_close(w), 0);

	int err;
	pmt_reader *r = mem_open(&m, 0, &err, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const struct pmt_info *in = pmt_reader_info(r);
	CU_ASSERT_EQUAL(in->events, 100);
	/* 100 events 300 ticks apart, a new chunk once 2000 ticks are spanned:
	 * 7 events per chunk (0..1800), so 15 chunks */
	CU_ASSERT_EQUAL(in->streams[0].chunks, 15);
	CU_ASSERT_EQUAL(in->clocks[0].ref_base_ns, 1000000);
	CU_ASSERT_EQUAL(in->first_ns, 1000000 + 500);
	CU_ASSERT_EQUAL(pmt_reader_check(r), 0);
	pmt_reader_close(r);
	free(m.p);
}

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("format round trip", NULL, NULL);
	CU_add_test(s, "every event type with extreme values survives a zlib round trip", test_every_type_zlib);
	CU_add_test(s, "every event type with extreme values survives an uncompressed round trip", test_every_type_none);
	CU_add_test(s, "every event type survives chunks of one or two records", test_every_type_tiny_chunks);
	CU_add_test(s, "12 streams on two levels come back merged in time order (zlib)", test_many_streams_zlib);
	CU_add_test(s, "12 streams on two levels come back merged in time order (none)", test_many_streams_none);
	CU_add_test(s, "small chunks cut mid-stream keep every event and the order", test_small_chunks);
	CU_add_test(s, "the smallest chunks keep every event and the order", test_one_event_chunks);
	CU_add_test(s, "two streams (the two-CPU fast path) come back merged in time order", test_two_streams);
	CU_add_test(s, "one stream comes back in order", test_one_stream);
	CU_add_test(s, "the records of the format document's example are the bytes it shows", test_spec_example_bytes);
	CU_add_test(s, "reference ns are exact: the reader's fast conversion equals the formula", test_clock_conversion_exact);
	CU_add_test(s, "chunks are cut by trace time, a late clock update applies, bad appends are refused",
		    test_time_cuts_late_clock_and_refusals);
}
