/* Minimal unit-test harness: each CHECK prints "ok - ..." or "not ok - ..."
 * (TAP style lines counted by test/run); main returns check_status(). */
#ifndef SER_CHECK_H
#define SER_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failed_, check_passed_;

#define CHECK(cond, ...) do { \
	if (cond) { check_passed_++; printf("ok - "); } \
	else { check_failed_++; printf("not ok - %s:%d: ", __FILE__, __LINE__); } \
	printf(__VA_ARGS__); putchar('\n'); fflush(stdout); \
} while (0)

/* |a-b| <= max(abs, rel*|b|) */
static inline int check_close(double a, double b, double abs_tol, double rel_tol)
{
	double d = fabs(a - b), t = fabs(b) * rel_tol;
	if (t < abs_tol)
		t = abs_tol;
	return d <= t && !isnan(a) && !isnan(b);
}

/* Worst violation of check_close over n values; returns index or -1. */
static inline long check_close_all(const float *a, const float *b, long n,
                                   double abs_tol, double rel_tol, double *worst)
{
	long bad = -1;
	double w = 0;
	for (long i = 0; i < n; i++) {
		double d = fabs((double)a[i] - b[i]);
		if (!check_close(a[i], b[i], abs_tol, rel_tol) && (bad < 0 || d > w)) {
			bad = i;
			w = d;
		}
	}
	if (worst)
		*worst = w;
	return bad;
}

#define SKIP(...) do { printf("skip - "); printf(__VA_ARGS__); putchar('\n'); } while (0)

static inline int check_status(void) { return check_failed_ ? 1 : 0; }

#endif
