/* Voice-activity decision from feature frames (rule in vad.h). */
#include "vad.h"

#include <math.h>
#include <stdlib.h>

#include "mfcc.h"

struct ser_vad {
	ser_vad_opts o;
	int first, count;   /* energy = k * mean of x[first .. first+count-1] - offset */
	double k;           /* dB per feature unit (after the mean) */
	double offset;      /* dB subtracted: 20 log10(scale) */
	double rise;        /* dB per frame */
	double floor;       /* dB */
	int started;
};

void ser_vad_defaults(ser_vad_opts *o)
{
	o->margin = 12;
	o->gate = -60;
	o->rise = 2;
}

ser_vad *ser_vad_new(const ser_vad_opts *o, const char *settings, uint32_t dim, ser_error *err)
{
	ser_feat_opts f;
	ser_frame_layout l;
	ser_vad *v;
	if (!(o->margin >= 0 && o->margin <= 100) || !(o->gate >= -200 && o->gate <= 100)
	    || !(o->rise >= 0 && o->rise <= 1000))
		return ser_seterr(err, SER_EINVAL, "VAD: option out of range"), NULL;
	if (ser_feat_parse_settings(&f, settings ? settings : "", err) < 0)
		return NULL;
	ser_frame_layout_of(&f, &l);
	if (!l.absolute)
		return ser_seterr(err, SER_EINVAL, "VAD: features with %s have no absolute energy",
		                  f.pool != SER_POOL_NONE ? "pooling" : "CMVN"), NULL;
	if (!(v = calloc(1, sizeof *v)))
		return ser_seterr(err, SER_ENOMEM, "out of memory"), NULL;
	v->o = *o;
	v->first = l.energy_first;
	v->count = l.energy_count;
	v->k = l.energy_k;
	if ((uint32_t)(v->first + v->count) > dim) {
		int last = v->first + v->count - 1;
		free(v);
		return ser_seterr(err, SER_EINVAL, "VAD: energy at value %d, frames have %u",
		                  last, dim), NULL;
	}
	v->offset = l.scale_db;
	v->rise = o->rise * ser_feat_frame_shift(&f) / f.rate;
	return v;
}

double ser_vad_energy(const ser_vad *v, const float *x)
{
	double s = 0;
	for (int i = 0; i < v->count; i++)
		s += x[v->first + i];
	return v->k * s / v->count - v->offset;
}

int ser_vad_frame(ser_vad *v, const float *x, double *energy)
{
	double e = ser_vad_energy(v, x);
	if (!v->started || e < v->floor) {
		v->floor = e;
		v->started = 1;
	} else {
		v->floor += v->rise;
	}
	if (energy)
		*energy = e;
	return e >= v->floor + v->o.margin && e >= v->o.gate;
}

double ser_vad_floor(const ser_vad *v)
{
	return v->floor;
}

void ser_vad_reset(ser_vad *v)
{
	v->started = 0;
}

void ser_vad_free(ser_vad *v)
{
	free(v);
}

double ser_vad_fraction(ser_vad *v, const float *x, size_t n, size_t dim)
{
	size_t voiced = 0;
	ser_vad_reset(v);
	for (size_t t = 0; t < n; t++)
		voiced += (size_t)ser_vad_frame(v, x + t * dim, NULL);
	ser_vad_reset(v);
	return n ? (double)voiced / (double)n : 0.0;
}
