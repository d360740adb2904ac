/* Test helper shared by the front-end tests (test_mfcc, test_conformance). */
#ifndef SER_CHECK_FE_H
#define SER_CHECK_FE_H

#include <stdio.h>

#include "mfcc.h"

/* Runs a front end over x (n samples, all at once: ser_fe_utterance);
 * returns its frames, (*nf, *dim), or NULL (and *nf = *dim = 0) when
 * ser_fe_new refuses o (NULL and *nf = 0 when the utterance fails). */
static float *check_fe_run(const ser_feat_opts *o, const float *x, size_t n, size_t *nf, size_t *dim)
{
	ser_error err;
	ser_fe *fe = ser_fe_new(o, &err);
	float *y;
	if (!fe) {
		printf("# ser_fe_new: %s\n", err.msg);
		*nf = *dim = 0;
		return NULL;
	}
	*dim = ser_fe_dim(fe);
	if (ser_fe_utterance(fe, x, n, &y, nf, &err) < 0)
		printf("# ser_fe_utterance: %s\n", err.msg);
	ser_fe_free(fe);
	return y;
}

#endif
