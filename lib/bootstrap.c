/* Bootstrap intervals of accuracy and UAR: see bootstrap.h. */
#include "bootstrap.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static ser_ci percentiles(double *v, long reps)
{
	ser_ci ci;
	long lo = (long)floor(0.025 * (double)reps), hi = (long)ceil(0.975 * (double)reps) - 1;
	qsort(v, (size_t)reps, sizeof *v, cmp_double);
	ci.lo = v[lo];
	ci.hi = v[hi < lo ? lo : hi];
	return ci;
}

int ser_bootstrap(const int *truth, const int *pred, size_t n, int ncls, long reps, uint64_t seed,
                  ser_ci *acc, ser_ci *uar, ser_error *err)
{
	double *va, *vu;
	long *support, *hit;
	ser_rng rng;
	if (n == 0 || ncls < 1 || reps < 1 || reps > SER_BOOTSTRAP_MAX)
		return ser_seterr(err, SER_EINVAL, "bootstrap: %zu utterances, %d classes, %ld resamples", n, ncls, reps);
	va = malloc((size_t)reps * sizeof *va);
	vu = malloc((size_t)reps * sizeof *vu);
	support = malloc((size_t)ncls * sizeof *support);
	hit = malloc((size_t)ncls * sizeof *hit);
	if (!va || !vu || !support || !hit) {
		free(va);
		free(vu);
		free(support);
		free(hit);
		return ser_seterr(err, SER_ENOMEM, "out of memory");
	}
	ser_rng_seed(&rng, seed);
	for (long r = 0; r < reps; r++) {
		long correct = 0;
		double sum = 0;
		int present = 0;
		memset(support, 0, (size_t)ncls * sizeof *support);
		memset(hit, 0, (size_t)ncls * sizeof *hit);
		for (size_t i = 0; i < n; i++) {
			size_t j = (size_t)ser_rng_below(&rng, n);
			support[truth[j]]++;
			if (pred[j] == truth[j]) {
				hit[truth[j]]++;
				correct++;
			}
		}
		for (int c = 0; c < ncls; c++)
			if (support[c]) {
				sum += (double)hit[c] / (double)support[c];
				present++;
			}
		va[r] = (double)correct / (double)n;
		vu[r] = sum / present;
	}
	*acc = percentiles(va, reps);
	*uar = percentiles(vu, reps);
	free(va);
	free(vu);
	free(support);
	free(hit);
	return 0;
}
