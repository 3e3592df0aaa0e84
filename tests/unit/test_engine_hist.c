/*
 * test_engine_hist.c - the log-linear histogram: quantiles within the
 * documented relative error (1/32) of the exact ones on known samples;
 * count, mean, min and max exact; merging equals adding.
 */
#include "tests/unit/pmt_cu.h"

#include "analyze/engine/hist.h"

#include <math.h>
#include <stdlib.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t exact_q(const uint64_t *s, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	return s[rank - 1];
}

static void test_buckets_cover_values(void)
{
	for (uint64_t v = 0; v < 100000; v += 7) {
		uint32_t i = hist_bucket(v);
		CU_ASSERT(hist_bucket_lo(i) <= v && v <= hist_bucket_hi(i));
	}
	uint64_t big[] = { 1ull << 40, (1ull << 40) + 12345, UINT64_MAX, 1ull << 63 };
	for (int k = 0; k < 4; k++) {
		uint32_t i = hist_bucket(big[k]);
		CU_ASSERT(hist_bucket_lo(i) <= big[k] && big[k] <= hist_bucket_hi(i));
	}
	/* small values are exact */
	for (uint64_t v = 0; v < 16; v++)
		CU_ASSERT_EQUAL(hist_bucket_lo(hist_bucket(v)), hist_bucket_hi(hist_bucket(v)));
}

static void test_quantiles_within_error(void)
{
	enum { N = 20000 };
	uint64_t *s = malloc(N * sizeof(*s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct hist h = { 0 };
	uint64_t x = 12345, sum = 0;
	for (int i = 0; i < N; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		/* log-uniform between 100 ns and ~100 ms */
		double u = (double)(x >> 11) / 9007199254740992.0;
		s[i] = (uint64_t)(100.0 * pow(1e6, u));
		sum += s[i];
		hist_add(&h, s[i]);
	}
	qsort(s, N, sizeof(*s), cmp_u64);
	CU_ASSERT_EQUAL(h.count, N);
	CU_ASSERT_EQUAL(h.sum, sum);
	CU_ASSERT_EQUAL(h.min, s[0]);
	CU_ASSERT_EQUAL(h.max, s[N - 1]);
	double qs[] = { 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999 };
	for (int k = 0; k < 7; k++) {
		double ex = (double)exact_q(s, N, qs[k]);
		double got = (double)hist_quantile(&h, qs[k]);
		CU_ASSERT(fabs(got - ex) <= ex / 32.0 + 0.5);
	}
	CU_ASSERT_EQUAL(hist_quantile(&h, 1.0), s[N - 1]);
	/* memory stays bounded: the range of 6 powers of ten is ~20 powers of two */
	CU_ASSERT(h.n <= 24 * 16);
	hist_release(&h);
	free(s);
}

static void test_merge_equals_adding(void)
{
	struct hist a = { 0 }, b = { 0 }, all = { 0 };
	for (uint64_t v = 1; v < 5000; v++) {
		hist_add(v % 3 ? &a : &b, v * 37);
		hist_add(&all, v * 37);
	}
	hist_add(&b, 3);
	hist_add(&all, 3);
	CU_ASSERT_EQUAL(hist_merge(&a, &b), 0);
	CU_ASSERT_EQUAL(a.count, all.count);
	CU_ASSERT_EQUAL(a.sum, all.sum);
	CU_ASSERT_EQUAL(a.min, 3);
	for (double q = 0.05; q < 1; q += 0.05)
		CU_ASSERT_EQUAL(hist_quantile(&a, q), hist_quantile(&all, q));
	hist_release(&a);
	hist_release(&b);
	hist_release(&all);
	struct hist e = { 0 };
	CU_ASSERT_EQUAL(hist_quantile(&e, 0.5), 0);
	CU_ASSERT_EQUAL(hist_mean(&e), 0.0);
}

void pmt_cu_register(void)
{
	CU_pSuite s = CU_add_suite("hist", NULL, NULL);
	CU_add_test(s, "every value lies in its bucket", test_buckets_cover_values);
	CU_add_test(s, "quantiles are within 1/32 of the exact ones", test_quantiles_within_error);
	CU_add_test(s, "merging two histograms equals adding all values", test_merge_equals_adding);
}
