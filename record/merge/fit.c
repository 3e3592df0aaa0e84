/*
 * fit.c - sync-pulse clock fit (see fit.h).
 *
 * Coordinates are taken relative to the first pulse (x = g - g0 in ticks,
 * y = h - h0 in ns) so that long double keeps sub-ns precision.
 * The feasible set in the (a, s) plane (y = a + s x) starts as a box around
 * the hinted rate and is clipped by each pulse's two half-planes
 * (Sutherland-Hodgman on a convex polygon).
 */
#include "record/merge/fit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAXV 1024 /* vertices: a convex polygon clipped by 2N lines has at most 4 + 2N */

typedef long double ld;

struct poly {
	size_t n;
	ld a[MAXV], s[MAXV];
};

/* Keep the part of p where sign * (a + s x - y) <= 0. */
static void clip(struct poly *p, ld x, ld y, int sign, struct poly *tmp)
{
	tmp->n = 0;
	for (size_t i = 0; i < p->n && tmp->n + 2 < MAXV; i++) {
		size_t j = (i + 1) % p->n;
		ld di = sign * (p->a[i] + p->s[i] * x - y);
		ld dj = sign * (p->a[j] + p->s[j] * x - y);
		if (di <= 0) {
			tmp->a[tmp->n] = p->a[i];
			tmp->s[tmp->n++] = p->s[i];
		}
		if ((di < 0 && dj > 0) || (di > 0 && dj < 0)) {
			ld t = di / (di - dj);
			tmp->a[tmp->n] = p->a[i] + t * (p->a[j] - p->a[i]);
			tmp->s[tmp->n++] = p->s[i] + t * (p->s[j] - p->s[i]);
		}
	}
	*p = *tmp;
}

static void range_at(const struct poly *p, ld x, ld *lo, ld *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < p->n; i++) {
		ld v = p->a[i] + p->s[i] * x;
		if (v < *lo)
			*lo = v;
		if (v > *hi)
			*hi = v;
	}
}

/* Known rate: a in [max(y - s x2), min(y - s x1)]. */
static int fit_fixed(const struct pmt_fit_point *p, size_t n, ld s, struct pmt_fit *out,
		     char *why, size_t whylen)
{
	ld lo = -INFINITY, hi = INFINITY;
	size_t ilo = 0, ihi = 0;

	for (size_t i = 0; i < n; i++) {
		ld x1 = (ld)(int64_t)(p[i].g1 - out->g0), x2 = (ld)(int64_t)(p[i].g2 - out->g0);
		ld y = (ld)(p[i].h_ns - out->h0_ns);
		if (y - s * x2 > lo) {
			lo = y - s * x2;
			ilo = i;
		}
		if (y - s * x1 < hi) {
			hi = y - s * x1;
			ihi = i;
		}
	}
	if (lo > hi) {
		snprintf(why, whylen, "empty intersection: pulses %zu and %zu disagree by %.0f ns "
			 "at the known clock rate", ilo, ihi, (double)(lo - hi));
		return -1;
	}
	ld a = (lo + hi) / 2;
	out->h0_ns += (int64_t)llroundl(a);
	out->slope = (double)s;
	out->slope_lo = out->slope_hi = (double)s;
	out->uncertainty_ns = (double)((hi - lo) / 2 + fabsl(a - roundl(a)));
	out->slope_fixed = 1;
	return 0;
}

int pmt_fit_pulses(const struct pmt_fit_point *p, size_t n, double slope_hint,
		   int fix_slope, uint64_t span_lo, uint64_t span_hi,
		   struct pmt_fit *out, char *why, size_t whylen)
{
	static struct poly poly, tmp; /* large: not on the stack */

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		snprintf(why, whylen, "no sync pulses");
		return -1;
	}
	if (!(slope_hint > 0)) {
		snprintf(why, whylen, "unknown clock rate");
		return -1;
	}
	if (2 * n + 8 > MAXV) {
		/* Enough pulses: keep evenly spread ones. */
		static struct pmt_fit_point sub[(MAXV - 8) / 2];
		size_t m = (MAXV - 8) / 2;
		for (size_t i = 0; i < m; i++)
			sub[i] = p[i * (n - 1) / (m - 1)];
		int rc = pmt_fit_pulses(sub, m, slope_hint, fix_slope, span_lo, span_hi, out, why, whylen);
		out->n = n;
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		if (p[i].g2 < p[i].g1) {
			snprintf(why, whylen, "pulse %zu: its second clock reading is before its first", i);
			return -1;
		}
	out->g0 = p[0].g1;
	out->span_lo = span_lo;
	out->span_hi = span_hi;
	out->h0_ns = p[0].h_ns;
	out->n = n;
	if (fix_slope)
		return fit_fixed(p, n, slope_hint, out, why, whylen);

	ld s0 = slope_hint * 0.95, s1 = slope_hint * 1.05, big = 1e15;
	poly.n = 4;
	poly.a[0] = -big, poly.s[0] = s0;
	poly.a[1] = big, poly.s[1] = s0;
	poly.a[2] = big, poly.s[2] = s1;
	poly.a[3] = -big, poly.s[3] = s1;
	for (size_t i = 0; i < n && poly.n; i++) {
		ld x1 = (ld)(int64_t)(p[i].g1 - out->g0), x2 = (ld)(int64_t)(p[i].g2 - out->g0);
		ld y = (ld)(p[i].h_ns - out->h0_ns);
		clip(&poly, x1, y, +1, &tmp); /* a + s x1 <= y */
		clip(&poly, x2, y, -1, &tmp); /* a + s x2 >= y */
	}
	if (poly.n < 3) {
		snprintf(why, whylen, "empty intersection: no linear clock mapping fits all %zu pulses", n);
		return -1;
	}
	ld smin = INFINITY, smax = -INFINITY;
	for (size_t i = 0; i < poly.n; i++) {
		if (poly.s[i] < smin)
			smin = poly.s[i];
		if (poly.s[i] > smax)
			smax = poly.s[i];
	}
	/* The pulses do not bound the rate (one burst): use the known rate. */
	if (smin <= s0 * (1 + 1e-12) || smax >= s1 * (1 - 1e-12)) {
		if (slope_hint >= (double)smin && slope_hint <= (double)smax)
			return fit_fixed(p, n, slope_hint, out, why, whylen);
		snprintf(why, whylen, "the pulses do not determine the clock rate (all in a short "
			 "time?) and the nominal rate does not fit them");
		return -1;
	}
	ld xl = (ld)(int64_t)(span_lo - out->g0), xh = (ld)(int64_t)(span_hi - out->g0);
	ld lo1, hi1, lo2, hi2, a, s;
	if (span_hi <= span_lo) {
		xl = 0;
		xh = (ld)(int64_t)(p[n - 1].g2 - out->g0);
	}
	if (xh <= xl)
		xh = xl + 1;
	range_at(&poly, xl, &lo1, &hi1);
	range_at(&poly, xh, &lo2, &hi2);
	/* The line through the middles of both end ranges: its error against any
	 * feasible line is at most the larger half-range anywhere in between. */
	s = ((lo2 + hi2) / 2 - (lo1 + hi1) / 2) / (xh - xl);
	a = (lo1 + hi1) / 2 - s * xl;
	out->h0_ns += (int64_t)llroundl(a);
	out->slope = (double)s;
	out->slope_lo = (double)smin;
	out->slope_hi = (double)smax;
	ld u = (hi1 - lo1) / 2 > (hi2 - lo2) / 2 ? (hi1 - lo1) / 2 : (hi2 - lo2) / 2;
	out->uncertainty_ns = (double)(u + fabsl(a - roundl(a)));
	return 0;
}

void pmt_fit_to_clock(const struct pmt_fit *f, struct pmt_clock *c)
{
	c->raw_base = f->g0;
	c->ref_base_ns = f->h0_ns;
	c->mult_den = 1ull << 32;
	c->mult_num = (uint64_t)llround(f->slope * 4294967296.0);
	if (c->mult_num == 0)
		c->mult_num = 1;
	/* The rate is rounded to 1/2^32 ns per tick: add its worst effect. */
	double xl = fabs((double)(int64_t)(f->span_lo - f->g0));
	double xh = fabs((double)(int64_t)(f->span_hi - f->g0));
	double rounding = 0.5 / 4294967296.0 * (xl > xh ? xl : xh);
	c->uncertainty_ns = (uint64_t)ceil(f->uncertainty_ns + rounding + 0.5);
}
