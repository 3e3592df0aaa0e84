/*
 * fit.h - fitting a guest clock onto the host clock from sync pulses.
 *
 * Each pulse i gives a guest interval [g1_i, g2_i] (raw guest ticks read just
 * before and just after the port write) and the host time h_i (reference ns)
 * at which the host saw that write. The host saw it while the guest was inside
 * the interval, so the true mapping H(g) = a + s * g satisfies
 *     H(g1_i) <= h_i <= H(g2_i)      for every pulse i.
 * Those 2N half-planes cut a convex polygon of feasible (a, s); it is empty
 * when no linear mapping fits every pulse (inconsistent inputs). Of all lines,
 * the fit returns the one that minimizes the worst error over the guest span
 * [span_lo, span_hi] against any feasible line, and that worst error as the
 * uncertainty (the interval-intersection method, with the rate fitted too).
 * With the rate known (fix_slope) the polygon is a segment: a plain interval
 * intersection. Owner: the two-level area (pmt-merge).
 */
#ifndef PMT_MERGE_FIT_H
#define PMT_MERGE_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "pmt.h"

struct pmt_fit_point {
	uint64_t g1, g2;        /* guest raw ticks before / after (g1 <= g2)       */
	int64_t h_ns;           /* host reference ns of the observed write         */
};

struct pmt_fit {
	uint64_t g0;            /* guest raw origin of the mapping                 */
	int64_t h0_ns;          /* host ns at g0                                   */
	double slope;           /* host ns per guest tick                          */
	double uncertainty_ns;  /* worst error over the span (half-width)          */
	double slope_lo, slope_hi; /* feasible rates (equal when fixed)            */
	int slope_fixed;        /* 1: the rate was given, not fitted               */
	size_t n;               /* pulses used                                     */
	uint64_t span_lo, span_hi; /* guest span the uncertainty holds over         */
};

/*
 * Fit. slope_hint: expected ns per guest tick (> 0), used to bound the search
 * (the fitted rate must be within 5 % of it) and, with fix_slope or when the
 * pulses do not pin the rate down (all in a short time), as the rate itself.
 * span_lo/span_hi: the guest trace's first and last raw time (the uncertainty
 * holds over it). Returns 0, or -1 with a one-line reason in why.
 */
int pmt_fit_pulses(const struct pmt_fit_point *p, size_t n, double slope_hint,
		   int fix_slope, uint64_t span_lo, uint64_t span_hi,
		   struct pmt_fit *out, char *why, size_t whylen);

/* The fit as a pmt_clock mapping (name, freq_hz and flags left to the caller;
 * uncertainty rounded up to whole ns). */
void pmt_fit_to_clock(const struct pmt_fit *f, struct pmt_clock *c);

#endif
