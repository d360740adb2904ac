/* xoshiro256** seeded by splitmix64 (see rng.h). */
#include "rng.h"

#include <math.h>

void ser_rng_seed(ser_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = ser_splitmix64(&x);
}

uint64_t ser_rng_mix(uint64_t seed, uint64_t id)
{
	uint64_t x = seed;
	uint64_t a = ser_splitmix64(&x);
	x = a ^ id;
	ser_splitmix64(&x);
	return ser_splitmix64(&x);
}

uint64_t ser_rng_next(ser_rng *r)
{
	return ser_xoshiro_step(r->s);
}

float ser_rng_uniform(ser_rng *r)
{
	return (float)(ser_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

double ser_rng_uniform_d(ser_rng *r)
{
	return (double)(ser_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

float ser_rng_range_f(ser_rng *r, float lo, float hi)
{
	return lo + (hi - lo) * ser_rng_uniform(r);
}

float ser_rng_normal(ser_rng *r)
{
	/* Box-Muller; one value per call (the pair's second is discarded so the
	 * generator state alone determines the sequence). */
	double u1 = 1.0 - ser_rng_uniform_d(r); /* (0, 1] */
	double u2 = ser_rng_uniform_d(r);
	return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* a standard normal in double, Box-Muller as above */
static double normal_d(ser_rng *r)
{
	double u1 = 1.0 - ser_rng_uniform_d(r), u2 = ser_rng_uniform_d(r);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double ser_rng_gamma(ser_rng *r, double shape)
{
	if (shape < 1) {
		double u = 1.0 - ser_rng_uniform_d(r);   /* (0, 1] */
		return ser_rng_gamma(r, shape + 1) * pow(u, 1.0 / shape);
	}
	double d = shape - 1.0 / 3, c = 1.0 / sqrt(9 * d);
	for (;;) {
		double z = normal_d(r), v = 1 + c * z, u;
		if (v <= 0)
			continue;
		v = v * v * v;
		u = 1.0 - ser_rng_uniform_d(r);
		if (log(u) < 0.5 * z * z + d - d * v + d * log(v))
			return d * v;
	}
}

double ser_rng_beta(ser_rng *r, double a, double b)
{
	double x = ser_rng_gamma(r, a), y = ser_rng_gamma(r, b);
	return x + y > 0 ? x / (x + y) : 0.5;
}

uint64_t ser_rng_below(ser_rng *r, uint64_t n)
{
	/* reject the top partial copy of [0, n) */
	uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = ser_rng_next(r);
	while (x >= lim);
	return x % n;
}

long ser_rng_range(ser_rng *r, long lo, long hi)
{
	return lo + (long)ser_rng_below(r, (uint64_t)(hi - lo) + 1);
}

void ser_rng_shuffle(ser_rng *r, int *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)ser_rng_below(r, i);
		int t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}
