/* Test helper shared by the front-end tests (test_mfcc, test_conformance). */
#ifndef SER_CHECK_FE_H
#define SER_CHECK_FE_H

#include <stdio.h>
#include <stdlib.h>

#include "mfcc.h"

/* Runs a front end over x (n samples, all at once); returns its frames,
 * (*nf, *dim), or NULL (and *nf = *dim = 0) when ser_fe_new refuses o. */
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
	ser_fe_accept(fe, x, n, &err);
	ser_fe_finish(fe, &err);
	*dim = ser_fe_dim(fe);
	*nf = ser_fe_ready(fe);
	y = malloc((*nf + 1) * *dim * sizeof *y);
	ser_fe_get(fe, y, *nf);
	ser_fe_free(fe);
	return y;
}

#endif
