/* Streaming mono resampler over libsoxr, float32 in and out.
 * ref: soxr.h, soxr_process(): in == NULL marks end of input (flush);
 * with idone == NULL every input sample is taken into soxr's own FIFO. */
#include "audio.h"

#include <math.h>
#include <stdlib.h>
#include <soxr.h>

struct ser_resampler {
	soxr_t s;
	double ratio;      /* out_rate / in_rate */
};

ser_resampler *ser_resampler_new(double in_rate, double out_rate, int quality, ser_error *err)
{
	ser_resampler *rs;
	soxr_error_t e = NULL;
	soxr_io_spec_t io;
	soxr_quality_spec_t q;

	if (!(in_rate >= SER_RATE_MIN && in_rate <= SER_RATE_MAX) ||
	    !(out_rate >= SER_RATE_MIN && out_rate <= SER_RATE_MAX)) {
		ser_seterr(err, SER_EINVAL, "resampler: rates %g -> %g Hz outside [%d, %d]",
		           in_rate, out_rate, SER_RATE_MIN, SER_RATE_MAX);
		return NULL;
	}
	if (quality != SER_RS_HQ && quality != SER_RS_VHQ) {
		ser_seterr(err, SER_EINVAL, "resampler: unknown quality %d", quality);
		return NULL;
	}
	rs = calloc(1, sizeof *rs);
	if (!rs) {
		ser_seterr(err, SER_ENOMEM, "resampler: out of memory");
		return NULL;
	}
	io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
	q = soxr_quality_spec(quality == SER_RS_VHQ ? SOXR_VHQ : SOXR_HQ, 0);
	rs->s = soxr_create(in_rate, out_rate, 1, &e, &io, &q, NULL);
	if (!rs->s || e) {
		ser_seterr(err, SER_EINVAL, "resampler: soxr: %s", e ? e : "cannot create");
		if (rs->s)
			soxr_delete(rs->s);
		free(rs);
		return NULL;
	}
	rs->ratio = out_rate / in_rate;
	return rs;
}

int ser_resampler_process(ser_resampler *rs, const float *in, size_t nin,
                          float *out, size_t outcap, size_t *nout, ser_error *err)
{
	size_t done = 0;
	soxr_error_t e;

	/* idone NULL: soxr buffers all nin samples even if out is too small. */
	e = soxr_process(rs->s, in, in ? nin : 0, NULL, out, outcap, &done);
	if (nout)
		*nout = done;
	if (e)
		return ser_seterr(err, SER_EIO, "resampler: soxr: %s", e);
	return 0;
}

double ser_resampler_ratio(const ser_resampler *rs)
{
	return rs->ratio;
}

void ser_resampler_free(ser_resampler *rs)
{
	if (!rs)
		return;
	soxr_delete(rs->s);
	free(rs);
}
