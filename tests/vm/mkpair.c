/*
 * mkpair.c - a host recording and a guest recording with a known clock
 * relation, for pmt-merge's tests without a VM (tests/vm/merge.sh).
 *
 *   mkpair HOST.pmt GUEST.pmt [--offset C] [--second GUEST2.pmt] [--no-vm]
 *          [--no-pulses] [--bad-pulse] [--drop-write] [--kvm] [--host-mono]
 *   mkpair --verify MERGED.pmt C [NAME]
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
 * bits) as pmt-record --vm writes them; --second: a second guest 'h' (threads
 * 201, 202, offset C + 1000000007) in GUEST2.pmt; --host-mono: the host
 * recorded with a nanosecond clock ('mono'), so the rate must come from the
 * guest clock's frequency and the pulses. Guest switches happen while
 * their vCPU thread runs.
 * --verify checks the merged file's guest NAME (default g) clock against the
 * truth (C is that guest's offset) at both ends
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
static const struct pmt_clock mono = {"mono", 1000000000u, 0, 0, 1, 1, 0, 0};
static int host_mono; /* --host-mono: the host recorded in ns, not ticks */

/* Append a host event given in ticks. */
static int happend(pmt_writer *h, struct pmt_event *e)
{
	struct pmt_event x = *e;
	if (host_mono)
		x.ts = x.ts * 5 / 12;
	return pmt_writer_append(h, &x);
}

static int verify(const char *path, uint64_t c, const char *name)
{
	int err = 0;
	pmt_reader *r = pmt_reader_open(path, 0, &err);
	if (!r) {
		printf("bad: cannot open %s: %s\n", path, pmt_strerror(err));
		return 1;
	}
	const struct pmt_info *in = pmt_reader_info(r);
	for (size_t l = 0; l < in->nlevels; l++) {
		if (in->levels[l].kind != PMT_LEVEL_GUEST || strcmp(in->levels[l].name, name) != 0)
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
	printf("bad: no guest level '%s'\n", name);
	pmt_reader_close(r);
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t c = 1234567890120ull;
	int no_vm = 0, no_pulses = 0, bad_pulse = 0, drop = 0, kvm = 0, err = 0, ng = 1;
	const char *gpath[2] = {NULL, NULL};
	static const char *const names[2] = {"g", "h"};

	if ((argc == 4 || argc == 5) && strcmp(argv[1], "--verify") == 0)
		return verify(argv[2], strtoull(argv[3], NULL, 10), argc == 5 ? argv[4] : "g");
	if (argc < 3) {
		fprintf(stderr, "usage: mkpair HOST.pmt GUEST.pmt [options] | --verify MERGED.pmt C [NAME]\n");
		return 2;
	}
	gpath[0] = argv[2];
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--offset") == 0 && i + 1 < argc)
			c = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--second") == 0 && i + 1 < argc) {
			gpath[1] = argv[++i];
			ng = 2;
		} else if (strcmp(argv[i], "--no-vm") == 0)
			no_vm = 1;
		else if (strcmp(argv[i], "--no-pulses") == 0)
			no_pulses = 1;
		else if (strcmp(argv[i], "--bad-pulse") == 0)
			bad_pulse = 1;
		else if (strcmp(argv[i], "--drop-write") == 0)
			drop = 1;
		else if (strcmp(argv[i], "--kvm") == 0)
			kvm = 1;
		else if (strcmp(argv[i], "--host-mono") == 0)
			host_mono = 1;
		else {
			fprintf(stderr, "mkpair: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	pmt_writer *h = pmt_writer_open(argv[1], NULL, &err), *g[2] = {NULL, NULL};
	if (!h)
		check(err, argv[1]);
	struct pmt_level hl = {0, PMT_LEVEL_HOST, 0, "host", 2, NULL, -1};
	check(pmt_writer_add_clock(h, host_mono ? &mono : &tsc), "clock");
	check(pmt_writer_add_level(h, &hl), "level");
	for (int k = 0; k < ng; k++) {
		uint64_t ck = c + (uint64_t)k * 1000000007ull; /* guest k's offset */
		g[k] = pmt_writer_open(gpath[k], NULL, &err);
		if (!g[k])
			check(err, gpath[k]);
		if (no_vm)
			continue;
		struct pmt_level gl = {0, PMT_LEVEL_GUEST, 0, names[k], 2, NULL, 1234 + k};
		int lid = pmt_writer_add_level(h, &gl);
		check(lid, "level");
		for (uint32_t v = 0; v < 2; v++) {
			uint32_t tid = 101 + 100 * (uint32_t)k + v;
			struct pmt_binding b = {(uint16_t)lid, 0, v, tid};
			struct pmt_task t = {0, tid, 100 + 100 * (uint32_t)k, PMT_TASK_VCPU,
					     v ? "CPU 1/TCG" : "CPU 0/TCG"};
			check(pmt_writer_add_binding(h, &b), "binding");
			check(pmt_writer_add_task(h, &t), "task");
			if (kvm) {
				char key[64], val[32];
				snprintf(key, sizeof(key), "vm.%s.vcpu%u.tsc_offset", names[k], v);
				snprintf(val, sizeof(val), "%" PRIu64, ck);
				check(pmt_writer_set_meta(h, key, val), "meta");
				snprintf(key, sizeof(key), "vm.%s.vcpu%u.tsc_scaling_ratio", names[k], v);
				check(pmt_writer_set_meta(h, key, "281474976710656"), "meta");
				snprintf(key, sizeof(key), "vm.%s.vcpu%u.tsc_scaling_frac_bits", names[k], v);
				check(pmt_writer_set_meta(h, key, "48"), "meta");
			}
		}
	}
	struct pmt_level gown = {0, PMT_LEVEL_HOST, 0, "guest", 2, NULL, -1};
	for (int k = 0; k < ng; k++) {
		check(pmt_writer_add_clock(g[k], &tsc), "clock");
		check(pmt_writer_add_level(g[k], &gown), "level");
		check(pmt_writer_begin(g[k]), "begin");
	}
	check(pmt_writer_begin(h), "begin");

	/* Every 4 ms period, on host CPU v: guest k's vCPU v thread runs during
	 * [t + 2k ms, t + 2k ms + 2 ms); its guest switches 1 ms into the run and
	 * its pulses are written 1.5 ms into it. Host ticks from 1e9 to 5.2e9. */
	uint64_t last_g[2][2] = {{0, 0}, {0, 0}};
	int np[2] = {0, 0};
	for (uint64_t t = 1000000000ull; t < 5200000000ull; t += 9600000ull) {
		for (uint32_t v = 0; v < 2; v++)
			for (int k = 0; k < ng; k++) {
				uint64_t ck = c + (uint64_t)k * 1000000007ull;
				uint64_t r0 = t + (uint64_t)k * 4800000ull;
				uint32_t tid = 101 + 100 * (uint32_t)k + v;
				int burst = (t < 1000000000ull + 5 * 9600000ull) || /* 2 pulses a period */
					    (t >= 5200000000ull - 6 * 9600000ull && np[k] < NP);
				struct pmt_event e = {0};
				e.cpu = v;
				e.type = PMT_EV_SWITCH;
				e.ts = r0;
				e.u.sw.next_tid = tid;
				check(happend(h, &e), "event");
				struct pmt_event ge = {0};
				ge.cpu = v;
				ge.type = PMT_EV_SWITCH;
				ge.ts = r0 + 2400000 + ck;
				ge.u.sw.next_tid = 1000 + v;
				if (ge.ts > last_g[k][v]) {
					check(pmt_writer_append(g[k], &ge), "event");
					last_g[k][v] = ge.ts;
				}
				if (burst && v == (uint32_t)(np[k] % 2) && np[k] < NP) {
					uint64_t w = r0 + 3600000;
					uint64_t d1 = 10000 + rnd(20000), d2 = 10000 + rnd(20000);
					struct pmt_sync_pulse p = {(uint32_t)np[k], v, w + ck - d1, w + ck + d2, 0x3e8};
					char text[160];
					int n = pmt_sync_format(text, sizeof(text), &p);
					struct pmt_event m = {0};
					m.cpu = v;
					m.type = PMT_EV_MARKER;
					m.ts = w + ck + d2 + 100;
					m.u.marker.text.s = text;
					m.u.marker.text.len = (uint32_t)n;
					if (!no_pulses) {
						check(pmt_writer_append(g[k], &m), "event");
						last_g[k][v] = m.ts;
					}
					struct pmt_event hw = {0};
					hw.cpu = v;
					hw.type = PMT_EV_HV;
					hw.ts = w + (bad_pulse && np[k] == 15 ? 240000 : 0);
					hw.u.hv.kind = PMT_HV_SYNC_WRITE;
					hw.u.hv.tid = tid;
					hw.u.hv.a = 0x3e8;
					hw.u.hv.b = 8;
					if (!(drop && np[k] == 7))
						check(happend(h, &hw), "event");
					np[k]++;
				}
				e.ts = r0 + 4800000; /* 2 ms */
				e.u.sw.prev_tid = tid;
				e.u.sw.prev_state = PMT_STATE_SLEEPING;
				e.u.sw.next_tid = 0;
				check(happend(h, &e), "event");
			}
	}
	check(pmt_writer_close(h), "close");
	for (int k = 0; k < ng; k++)
		check(pmt_writer_close(g[k]), "close");
	return 0;
}
