/* hist.c - log-linear histogram: see hist.h. */
#include "analyze/engine/hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS 4
#define SUB (1u << SUB_BITS)
#define NBUCKETS (SUB + (64 - SUB_BITS) * SUB)

uint32_t hist_bucket(uint64_t v)
{
	if (v < SUB)
		return (uint32_t)v;
	int e = 63 - __builtin_clzll(v);           /* >= SUB_BITS */
	uint32_t m = (uint32_t)(v >> (e - SUB_BITS)) & (SUB - 1);
	return SUB + (uint32_t)(e - SUB_BITS) * SUB + m;
}

uint64_t hist_bucket_lo(uint32_t i)
{
	if (i < SUB)
		return i;
	uint32_t e = (i - SUB) / SUB + SUB_BITS, m = (i - SUB) % SUB;
	return (uint64_t)(SUB + m) << (e - SUB_BITS);
}

uint64_t hist_bucket_hi(uint32_t i)
{
	if (i < SUB)
		return i;
	uint32_t e = (i - SUB) / SUB + SUB_BITS;
	return hist_bucket_lo(i) + (((uint64_t)1 << (e - SUB_BITS)) - 1);
}

/* Make room for bucket i; 0 or -1. Grows by whole powers of two. */
static int reserve(struct hist *h, uint32_t i)
{
	if (h->b && i >= h->lo && i < h->lo + h->n)
		return 0;
	uint32_t lo = h->b ? (i < h->lo ? i : h->lo) : i;
	uint32_t hi = h->b ? (i >= h->lo + h->n ? i + 1 : h->lo + h->n) : i + 1;
	lo -= lo % SUB;
	hi += (SUB - hi % SUB) % SUB;
	if (hi > NBUCKETS)
		hi = NBUCKETS;
	uint64_t *b = calloc(hi - lo, sizeof(*b));
	if (!b)
		return -1;
	if (h->b)
		memcpy(b + (h->lo - lo), h->b, h->n * sizeof(*b));
	free(h->b);
	h->b = b;
	h->lo = lo;
	h->n = hi - lo;
	return 0;
}

void hist_add(struct hist *h, uint64_t v)
{
	uint32_t i = hist_bucket(v);
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	h->sum = h->sum + v < h->sum ? UINT64_MAX : h->sum + v;
	if (reserve(h, i)) {
		h->dropped++;
		return;
	}
	h->b[i - h->lo]++;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t n = h->count - h->dropped;
	if (!n || !h->b)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	uint64_t rank = (uint64_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	uint64_t acc = 0;
	for (uint32_t k = 0; k < h->n; k++) {
		acc += h->b[k];
		if (acc >= rank) {
			uint32_t i = h->lo + k;
			uint64_t lo = hist_bucket_lo(i), hi = hist_bucket_hi(i);
			uint64_t mid = lo + (hi - lo) / 2;
			if (mid < h->min)
				mid = h->min;
			if (mid > h->max)
				mid = h->max;
			return mid;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

int hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return 0;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (!dst->count || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum = dst->sum + src->sum < dst->sum ? UINT64_MAX : dst->sum + src->sum;
	dst->dropped += src->dropped;
	if (!src->b)
		return 0;
	if (reserve(dst, src->lo) || reserve(dst, src->lo + src->n - 1)) {
		uint64_t lost = 0;
		for (uint32_t k = 0; k < src->n; k++)
			lost += src->b[k];
		dst->dropped += lost;
		return -1;
	}
	for (uint32_t k = 0; k < src->n; k++)
		dst->b[src->lo + k - dst->lo] += src->b[k];
	return 0;
}

void hist_release(struct hist *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}
