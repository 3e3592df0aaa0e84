/*
 * hist.h - bounded distributions: a log-linear histogram of non-negative
 * integer values (nanoseconds). Values below 16 have a bucket each; above,
 * every power of two is cut into 16 equal buckets. A quantile is reported as
 * the middle of its bucket (clamped to the exact min and max), so its
 * relative error is at most 1/32 (3.125%); count, sum, mean, min and max are
 * exact. Memory: 8 bytes per bucket over the range of values seen (at most
 * 976 buckets; 14 powers of two, 1 us..16 ms, take 224 buckets = 1.8 KB).
 *
 * A zeroed struct hist is an empty histogram. hist_add allocates only when a
 * value falls outside the range seen so far (at most once per 16 buckets).
 */
#ifndef PMT_HIST_H
#define PMT_HIST_H

#include <stdint.h>

struct hist {
	uint64_t count;
	uint64_t sum;          /* saturates at UINT64_MAX                          */
	uint64_t min, max;     /* valid when count > 0                             */
	uint32_t lo, n;        /* buckets [lo, lo + n) are in b                     */
	uint64_t *b;
	uint64_t dropped;      /* values kept out of b when memory ran out          */
};

void hist_add(struct hist *h, uint64_t v);
/* Nearest-rank quantile (q in [0,1]): the smallest bucket holding at least
 * ceil(q * count) values, as its middle. 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);
/* Add src's values to dst. Returns 0, or -1 when memory ran out. */
int hist_merge(struct hist *dst, const struct hist *src);
void hist_release(struct hist *h);

/* Bucket arithmetic (exposed for tests). */
uint32_t hist_bucket(uint64_t v);
uint64_t hist_bucket_lo(uint32_t i);   /* smallest value of bucket i         */
uint64_t hist_bucket_hi(uint32_t i);   /* largest value of bucket i          */

#endif
