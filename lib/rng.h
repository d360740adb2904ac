/* A portable seeded random generator: xoshiro256** seeded through
 * splitmix64. Integer arithmetic only up to the final conversions, so the
 * sequences are identical on every platform.
 * ref: Blackman & Vigna, "Scrambled linear pseudorandom number generators"
 * (prng.di.unimi.it, xoshiro256starstar.c, splitmix64.c). */
#ifndef SER_RNG_H
#define SER_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct ser_rng {
	uint64_t s[4];
} ser_rng;

/* One splitmix64 step on the state *x: the one definition, for seeding
 * and for the front end's dither (lib/mfcc.c draws from it directly, its
 * state the --seed setting). */
static inline uint64_t ser_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}
/* State from a 64-bit seed (four splitmix64 outputs). */
void ser_rng_seed(ser_rng *r, uint64_t seed);
/* A well-mixed seed from a seed and a stream id (splitmix64 of both),
 * for independent per-sample / per-layer streams. */
uint64_t ser_rng_mix(uint64_t seed, uint64_t id);
uint64_t ser_rng_next(ser_rng *r);
/* One xoshiro256** step on the state s[4]: the one definition, inlined
 * where a draw per element counts (the dropout masks of nn.c). */
static inline uint64_t ser_xoshiro_step(uint64_t *restrict s)
{
	uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}
/* Uniform in [0, 1): top 24 bits / 2^24. */
float ser_rng_uniform(ser_rng *r);
/* Uniform in [0, 1): top 53 bits / 2^53. */
double ser_rng_uniform_d(ser_rng *r);
/* Uniform in [lo, hi). */
float ser_rng_range_f(ser_rng *r, float lo, float hi);
/* Standard normal, Box-Muller in double (one value per call; the second
 * value of each pair is discarded, so the state alone fixes the sequence). */
float ser_rng_normal(ser_rng *r);
/* Gamma(shape, 1), shape > 0 (Marsaglia & Tsang 2000; shape < 1 by
 * Gamma(shape + 1) * U^(1/shape)). */
double ser_rng_gamma(ser_rng *r, double shape);
/* Beta(a, b) from two gamma draws, a, b > 0. */
double ser_rng_beta(ser_rng *r, double a, double b);
/* Uniform integer in [0, n), n >= 1, unbiased (rejection). */
uint64_t ser_rng_below(ser_rng *r, uint64_t n);
/* Uniform integer in [lo, hi] (inclusive), lo <= hi. */
long ser_rng_range(ser_rng *r, long lo, long hi);
/* Fisher-Yates shuffle of a[0..n). */
void ser_rng_shuffle(ser_rng *r, int *a, size_t n);

#endif
