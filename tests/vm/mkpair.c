/*
 * mkpair.c - a host recording and a guest recording with a known clock
 * relation, for pmt-merge's tests without a VM (tests/vm/merge.sh).
 *
 *   mkpair HOST.pmt GUEST.pmt [--offset C] [--no-vm] [--no-pulses]
 *          [--bad-pulse] [--drop-write] [--kvm]
 *   mkpair --verify MERGED.pmt C
 *
 * Both levels tick at 2.4 GHz (x86-tsc, 5/12 ns per tick, raw 0 = 0 ns).
 * The guest's TSC is the host's plus C ticks (default 1234567890120), as under
 * QEMU TCG. The host has 2 CPUs and a guest 'g' of 2 vCPUs, threads 101 and 102
 * (a placeholder level and bindings, as pmt-record --vm writes; --no-vm leaves
 * them out). 20 pulses, 10 at the start and 10 four seconds later: the guest
 * reads its TSC 10k..30k ticks before and after each port write and marks
 * them; the host records the write (PMT_HV_SYNC_WRITE) by the thread of the
 * pulse's vCPU. --no-pulses: no markers; --bad-pulse: one write recorded 100 us
 * late; --drop-write: the host misses one write; --kvm: the host file has
 * KVM's debugfs TSC offset (C) and an identity scaling (ratio 2^48, 48 frac
 * bits) as pmt-record --vm writes them. Guest switches happen while
 * their vCPU thread runs.
 * --verify checks the merged file's guest clock against the truth at both ends
 * and in the middle of the span: prints "ok ..." and exits 0, or "bad ..." 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmt.h"
#include "record/sync.h"

#define NP 20
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static void check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "mkpair: %s: %s\n", what, pmt_strerror(rc));
		exit(1);
	}
}

static const struct pmt_clock tsc = {"x86-tsc", 2400000000u, 0, 0, 5, 12, 0, 0};

static int verify(const char *path, uint64_t c)
{
	int err = 0;
	pmt_reader *r = pmt_reader_open(path, 0, &err);
	if (!r) {
		printf("bad: cannot open %s: %s\n", path, pmt_strerror(err));
		return 1;
	}
	const struct pmt_info *in = pmt_reader_info(r);
	for (size_t l = 0; l < in->nlevels; l++) {
		if (in->levels[l].kind != PMT_LEVEL_GUEST)
			continue;
		const struct pmt_clock *k = &in->clocks[in->levels[l].clock];
		/* the guest recording spans host ticks 1e9 .. 1e9 + 4.2e9 */
		uint64_t probes[] = {1000000000ull, 3000000000ull, 5200000000ull};
		for (int i = 0; i < 3; i++) {
			uint64_t g = probes[i] + c;
			int64_t want = (int64_t)(probes[i] * 5 / 12), got = pmt_clock_to_ns(k, g);
			int64_t d = got > want ? got - want : want - got;
			if ((uint64_t)d > k->uncertainty_ns) {
				printf("bad: guest tick %" PRIu64 ": %" PRId64 " ns, truth %" PRId64
				       " ns, uncertainty %" PRIu64 "\n", g, got, want, k->uncertainty_ns);
				pmt_reader_close(r);
				return 1;
			}
		}
		printf("ok: flags %u uncertainty_ns %" PRIu64 "\n", k->flags, k->uncertainty_ns);
		pmt_reader_close(r);
		return 0;
	}
	printf("bad: no guest level\n");
	pmt_reader_close(r);
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t c = 1234567890120ull;
	int no_vm = 0, no_pulses = 0, bad_pulse = 0, drop = 0, kvm = 0, err = 0;

	if (argc == 4 && strcmp(argv[1], "--verify") == 0)
		return verify(argv[2], strtoull(argv[3], NULL, 10));
	if (argc < 3) {
		fprintf(stderr, "usage: mkpair HOST.pmt GUEST.pmt [options] | --verify MERGED.pmt C\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--offset") == 0 && i + 1 < argc)
			c = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--no-vm") == 0)
			no_vm = 1;
		else if (strcmp(argv[i], "--no-pulses") == 0)
			no_pulses = 1;
		else if (strcmp(argv[i], "--bad-pulse") == 0)
			bad_pulse = 1;
		else if (strcmp(argv[i], "--drop-write") == 0)
			drop = 1;
		else if (strcmp(argv[i], "--kvm") == 0)
			kvm = 1;
		else {
			fprintf(stderr, "mkpair: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	pmt_writer *h = pmt_writer_open(argv[1], NULL, &err);
	if (!h)
		check(err, argv[1]);
	pmt_writer *g = pmt_writer_open(argv[2], NULL, &err);
	if (!g)
		check(err, argv[2]);
	struct pmt_level hl = {0, PMT_LEVEL_HOST, 0, "host", 2, NULL, -1};
	struct pmt_level gl = {0, PMT_LEVEL_GUEST, 0, "g", 2, NULL, 1234};
	check(pmt_writer_add_clock(h, &tsc), "clock");
	check(pmt_writer_add_level(h, &hl), "level");
	if (!no_vm) {
		check(pmt_writer_add_level(h, &gl), "level");
		for (uint32_t v = 0; v < 2; v++) {
			struct pmt_binding b = {1, 0, v, 101 + v};
			struct pmt_task t = {0, 101 + v, 100, PMT_TASK_VCPU, v ? "CPU 1/TCG" : "CPU 0/TCG"};
			check(pmt_writer_add_binding(h, &b), "binding");
			check(pmt_writer_add_task(h, &t), "task");
			if (kvm) {
				char k[64], val[32];
				snprintf(k, sizeof(k), "vm.g.vcpu%u.tsc_offset", v);
				snprintf(val, sizeof(val), "%" PRIu64, c);
				check(pmt_writer_set_meta(h, k, val), "meta");
				snprintf(k, sizeof(k), "vm.g.vcpu%u.tsc_scaling_ratio", v);
				check(pmt_writer_set_meta(h, k, "281474976710656"), "meta");
				snprintf(k, sizeof(k), "vm.g.vcpu%u.tsc_scaling_frac_bits", v);
				check(pmt_writer_set_meta(h, k, "48"), "meta");
			}
		}
	}
	struct pmt_level gown = {0, PMT_LEVEL_HOST, 0, "guest", 2, NULL, -1};
	check(pmt_writer_add_clock(g, &tsc), "clock");
	check(pmt_writer_add_level(g, &gown), "level");
	check(pmt_writer_begin(h), "begin");
	check(pmt_writer_begin(g), "begin");

	/* vCPU thread 101+v runs on host CPU v during [t, t + 2 ms) every 4 ms,
	 * and the guest switches on vCPU v 1 ms into each run; pulses fall in
	 * the runs too. Host ticks from 1e9 to 5.2e9. */
	uint64_t last_g[2] = {0, 0};
	int np = 0;
	for (uint64_t t = 1000000000ull; t < 5200000000ull; t += 9600000ull) { /* 4 ms */
		int burst = (t < 1000000000ull + 5 * 9600000ull) || /* 2 pulses a period */
			    (t >= 5200000000ull - 6 * 9600000ull && np < NP);
		for (uint32_t v = 0; v < 2; v++) {
			struct pmt_event e = {0};
			e.level = 0;
			e.cpu = v;
			e.type = PMT_EV_SWITCH;
			e.ts = t;
			e.u.sw.prev_tid = 0;
			e.u.sw.next_tid = 101 + v;
			check(pmt_writer_append(h, &e), "event");
			uint64_t gs = t + 2400000 + c; /* 1 ms in */
			struct pmt_event ge = {0};
			ge.level = 0;
			ge.cpu = v;
			ge.type = PMT_EV_SWITCH;
			ge.ts = gs;
			ge.u.sw.prev_tid = 0;
			ge.u.sw.next_tid = 1000 + v;
			if (gs > last_g[v]) {
				check(pmt_writer_append(g, &ge), "event");
				last_g[v] = gs;
			}
			if (burst && v == (uint32_t)(np % 2) && np < NP) {
				uint64_t w = t + 3600000; /* 1.5 ms in */
				uint64_t d1 = 10000 + rnd(20000), d2 = 10000 + rnd(20000);
				struct pmt_sync_pulse p = {(uint32_t)np, v, w + c - d1, w + c + d2, 0x3e8};
				char text[160];
				int n = pmt_sync_format(text, sizeof(text), &p);
				struct pmt_event m = {0};
				m.level = 0;
				m.cpu = v;
				m.type = PMT_EV_MARKER;
				m.ts = w + c + d2 + 100;
				m.u.marker.text.s = text;
				m.u.marker.text.len = (uint32_t)n;
				if (!no_pulses) {
					check(pmt_writer_append(g, &m), "event");
					last_g[v] = m.ts;
				}
				struct pmt_event hw = {0};
				hw.level = 0;
				hw.cpu = v;
				hw.type = PMT_EV_HV;
				hw.ts = w + (bad_pulse && np == 15 ? 240000 : 0);
				hw.u.hv.kind = PMT_HV_SYNC_WRITE;
				hw.u.hv.tid = 101 + v;
				hw.u.hv.a = 0x3e8;
				hw.u.hv.b = 8;
				if (!(drop && np == 7))
					check(pmt_writer_append(h, &hw), "event");
				np++;
			}
			e.ts = t + 4800000; /* 2 ms */
			e.u.sw.prev_tid = 101 + v;
			e.u.sw.prev_state = PMT_STATE_SLEEPING;
			e.u.sw.next_tid = 0;
			check(pmt_writer_append(h, &e), "event");
		}
	}
	check(pmt_writer_close(h), "close");
	check(pmt_writer_close(g), "close");
	return 0;
}
