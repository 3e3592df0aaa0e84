/*
 * tl_skew.c - skew of a guest's vCPUs over a stretch with constant rates
 * (tl_int.h): progress of vCPU i grows at rate[i] (0 or 1); skew(x) =
 * max progress - min progress is piecewise linear with slopes -1, 0, 1, so
 * its integral, maximum and time above a threshold are exact.
 */
#include "analyze/twolevel/tl_int.h"

static int64_t skew_at(int64_t a, int64_t b, int64_t c, int64_t d, int64_t x)
{
	int64_t hi = a + x > b ? a + x : b;
	int64_t lo = c + x < d ? c + x : d;
	return hi - lo;
}

/* Skew over dt: progress of vCPU i grows while rate[i]; skew(x) =
 * max(A + x, B) - min(C + x, D) (A/C: max/min progress of growing vCPUs,
 * B/D: of stopped ones), linear between the breakpoints B - A and D - C. */
void tl_skew_advance(struct tl_guest *g, const uint8_t *rate, int64_t dt, int64_t thr)
{
	int64_t A = INT64_MIN / 4, B = INT64_MIN / 4, C = INT64_MAX / 4, D = INT64_MAX / 4;
	int anygrow = 0, anystop = 0;
	for (uint32_t v = 0; v < g->nvcpus; v++) {
		int64_t p = g->vcpus[v].prog;
		if (rate[v]) {
			anygrow = 1;
			if (p > A) A = p;
			if (p < C) C = p;
		} else {
			anystop = 1;
			if (p > B) B = p;
			if (p < D) D = p;
		}
	}
	if (!anygrow) {
		A = B - dt - 1; /* never the max */
		C = D + dt + 1;
	}
	if (!anystop) {
		B = A - 1;
		D = C + dt + 1;
	}
	int64_t bp[4] = { 0, 0, 0, dt };
	int nb = 0;
	bp[nb++] = 0;
	if (B - A > 0 && B - A < dt) bp[nb++] = B - A;
	if (D - C > 0 && D - C < dt) bp[nb++] = D - C;
	if (nb == 3 && bp[1] > bp[2]) {
		int64_t x = bp[1];
		bp[1] = bp[2];
		bp[2] = x;
	}
	bp[nb++] = dt;
	for (int i = 0; i + 1 < nb; i++) {
		int64_t x0 = bp[i], x1 = bp[i + 1], len = x1 - x0;
		if (len <= 0)
			continue;
		int64_t s0 = skew_at(A, B, C, D, x0), s1 = skew_at(A, B, C, D, x1);
		g->skew_area += (long double)(s0 + s1) * (long double)len / 2.0L;
		if (s0 > g->skew_max) g->skew_max = s0;
		if (s1 > g->skew_max) g->skew_max = s1;
		if (s0 > thr && s1 > thr)
			g->skew_above_ns += len;
		else if (s1 > thr) /* rising through thr, slope 1 */
			g->skew_above_ns += s1 - thr;
		else if (s0 > thr) /* falling through thr, slope -1 */
			g->skew_above_ns += s0 - thr;
	}
	g->skew_known_ns += dt;
	for (uint32_t v = 0; v < g->nvcpus; v++)
		if (rate[v])
			g->vcpus[v].prog += dt;
}

