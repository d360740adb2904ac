/* Bootstrap confidence intervals of accuracy and UAR (ser-eval
 * --bootstrap): the utterances resampled with replacement, the scores of
 * each resample computed as metrics.h does (UAR over the classes present in
 * that resample's truth), and the percentile interval of the resamples.
 * ref: Efron & Tibshirani, An Introduction to the Bootstrap (1993), 13.3,
 * the percentile interval. */
#ifndef SER_BOOTSTRAP_H
#define SER_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>
#include "ser.h"

#define SER_BOOTSTRAP_MAX 1000000   /* resamples */

typedef struct ser_ci {
	double lo, hi;   /* the 2.5th and 97.5th percentiles of the resamples */
} ser_ci;

/* n utterances with truth[i] in 0..ncls-1 and pred[i] in 0..ncls-1 or -1
 * (outside the classes: an error). reps resamples (1..SER_BOOTSTRAP_MAX)
 * drawn with ser_rng from seed: the same arguments give the same
 * intervals. Percentiles by rank: sorted values v[0..reps), lo =
 * v[floor(0.025 reps)], hi = v[ceil(0.975 reps) - 1]. SER_EINVAL, SER_ENOMEM. */
int ser_bootstrap(const int *truth, const int *pred, size_t n, int ncls, long reps, uint64_t seed,
                  ser_ci *acc, ser_ci *uar, ser_error *err);

#endif
