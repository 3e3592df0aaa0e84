/*
 * test_vmfit.c - the sync-pulse clock fit (record/merge/fit.c) and the pulse
 * marker text (record/sync.c), against generated pulses with a known mapping.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/pmt_cu.h"
#include "record/merge/fit.h"
#include "record/sync.h"

/* True mapping of the generated pulses: h = H0 + S * (g - G0). */
#define G0 28136153814ull
#define H0 1306054471233ll
#define S 0.40866

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static double truth(uint64_t g) { return (double)H0 + S * (double)(int64_t)(g - G0); }

/* n pulses: half at the start, half 'gap' ticks later; each write happens at
 * a random point of its [g1, g2] window of 20k..70k ticks. */
static void make(struct pmt_fit_point *p, size_t n, uint64_t gap)
{
	uint64_t g = G0;
	for (size_t i = 0; i < n; i++) {
		if (i == n / 2)
			g += gap;
		uint64_t w = 20000 + rnd(50000), at = rnd((unsigned)w + 1);
		p[i].g1 = g;
		p[i].g2 = g + w;
		p[i].h_ns = (int64_t)llround(truth(g + at));
		g += w + 100000 + rnd(100000);
	}
}

static void fit_bounds_the_true_mapping(void)
{
	struct pmt_fit_point p[24];
	struct pmt_fit f;
	struct pmt_clock c = {0};
	char why[160];

	make(p, 24, 4000000000ull);
	uint64_t lo = G0 - 1000000, hi = p[23].g2 + 1000000;
	CU_ASSERT_EQUAL_FATAL(pmt_fit_pulses(p, 24, 0.4, 0, lo, hi, &f, why, sizeof(why)), 0);
	CU_ASSERT(!f.slope_fixed);
	CU_ASSERT(f.slope_lo <= S && S <= f.slope_hi);
	CU_ASSERT(f.uncertainty_ns < 30000); /* windows of 8..28 us */
	pmt_fit_to_clock(&f, &c);
	/* At both ends and inside, the mapped time is within the stated error. */
	uint64_t probes[] = {lo, G0, p[12].g1, (lo + hi) / 2, hi};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		double err = fabs((double)pmt_clock_to_ns(&c, probes[i]) - truth(probes[i]));
		CU_ASSERT(err <= (double)c.uncertainty_ns);
	}
}

static void fixed_rate_is_an_interval_intersection(void)
{
	struct pmt_fit_point p[3] = {
		{1000, 1100, 5050}, /* a in [3950, 4050] at rate 1 */
		{2000, 2050, 6020}, /* a in [3970, 4020] */
		{3000, 3200, 7000}, /* a in [3800, 4000] */
	};
	struct pmt_fit f;
	char why[160];

	CU_ASSERT_EQUAL_FATAL(pmt_fit_pulses(p, 3, 1.0, 1, 1000, 3200, &f, why, sizeof(why)), 0);
	/* a in [3970, 4000]: middle 3985, half-width 15; h0 is at g0 = 1000. */
	CU_ASSERT_EQUAL(f.h0_ns, 1000 + 3985);
	CU_ASSERT_DOUBLE_EQUAL(f.uncertainty_ns, 15.0, 1e-6);
	CU_ASSERT(f.slope_fixed);
}

static void one_burst_falls_back_to_the_nominal_rate(void)
{
	struct pmt_fit_point p[6];
	struct pmt_fit f;
	char why[160];

	make(p, 6, 0);
	/* One pulse cannot bound the rate. */
	CU_ASSERT_EQUAL_FATAL(pmt_fit_pulses(p, 1, S, 0, G0, p[0].g2, &f, why, sizeof(why)), 0);
	CU_ASSERT(f.slope_fixed);
	/* Six close pulses bound it, loosely: the error far away is large. */
	CU_ASSERT_EQUAL_FATAL(pmt_fit_pulses(p, 6, S, 0, G0, G0 + 4000000000ull, &f, why, sizeof(why)), 0);
	CU_ASSERT(!f.slope_fixed);
	CU_ASSERT(f.uncertainty_ns > 1e6);
}

static void inconsistent_pulses_are_rejected(void)
{
	struct pmt_fit_point p[24];
	struct pmt_fit f;
	char why[160];

	make(p, 24, 4000000000ull);
	p[20].h_ns += 200000; /* one write 200 us late: no line fits */
	CU_ASSERT_EQUAL(pmt_fit_pulses(p, 24, 0.4, 0, G0, p[23].g2, &f, why, sizeof(why)), -1);
	CU_ASSERT(strstr(why, "empty intersection") != NULL);
	CU_ASSERT_EQUAL(pmt_fit_pulses(p, 0, 0.4, 0, 0, 0, &f, why, sizeof(why)), -1);
	CU_ASSERT(strstr(why, "no sync pulses") != NULL);
}

static void marker_text_round_trips(void)
{
	struct pmt_sync_pulse a = {7, 3, 28136153814ull, 28136376690ull, 0x3e8}, b;
	char buf[160];

	int n = pmt_sync_format(buf, sizeof(buf), &a);
	CU_ASSERT_STRING_EQUAL(buf, "pmt-sync v1 seq=7 cpu=3 t1=28136153814 t2=28136376690 port=0x3e8");
	CU_ASSERT_EQUAL_FATAL(pmt_sync_parse(buf, (size_t)n, &b), 0);
	CU_ASSERT(b.seq == 7 && b.cpu == 3 && b.t1 == a.t1 && b.t2 == a.t2 && b.port == 0x3e8);
	strcat(buf, "\n");
	CU_ASSERT_EQUAL(pmt_sync_parse(buf, strlen(buf), &b), 0);
	const char *bad[] = {"pmt-sync v1 seq=1 cpu=0 t1=5 t2=4 port=0x3e8", /* t2 < t1 */
			     "pmt-sync v1 seq=1 cpu=0 t1=5 port=0x3e8",
			     "pmt-sync v1 seq=1 cpu=0 t1=5 t2=6 port=0x3e8 extra",
			     "pmt-sync v1 seq=99999999999999999999999 cpu=0 t1=5 t2=6 port=0x3e8",
			     "hello"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(pmt_sync_parse(bad[i], strlen(bad[i]), &b), -1);
}

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("vm clock fit", NULL, NULL);
	CU_add_test(s, "a fit from two bursts bounds the true mapping", fit_bounds_the_true_mapping);
	CU_add_test(s, "a known rate gives the plain interval intersection", fixed_rate_is_an_interval_intersection);
	CU_add_test(s, "one pulse uses the nominal rate, one burst gives a loose fit", one_burst_falls_back_to_the_nominal_rate);
	CU_add_test(s, "pulses no line fits are rejected with the reason", inconsistent_pulses_are_rejected);
	CU_add_test(s, "sync marker text round-trips and bad text is refused", marker_text_round_trips);
}
