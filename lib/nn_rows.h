/* Inside nn.c and nn_pool.c: the blocked loops over a row that the layer
 * kernels share (fixed-count inner loops, so that -O2 vectorises them
 * with the same sums in the same order everywhere). Not a public header. */
#ifndef SER_NN_ROWS_H
#define SER_NN_ROWS_H

#include <stddef.h>

/* Runs stmt for i in [0, n): blocks of 8 through a fixed-count inner loop,
 * which GCC's -O2 (very-cheap) vector cost model does vectorise, then the
 * scalar tail. */
#define FOR_VEC(i, n, stmt)                                                    \
	do {                                                                   \
		size_t i##0_ = 0, i##n_ = (size_t)(n);                         \
		for (; i##0_ + 8 <= i##n_; i##0_ += 8)                         \
			for (size_t i = i##0_; i < i##0_ + 8; i++) {           \
				stmt;                                          \
			}                                                      \
		for (size_t i = i##0_; i < i##n_; i++) {                       \
			stmt;                                                  \
		}                                                              \
	} while (0)

/* sum x[0..n) in 8 float lanes, lanes added in double: vectorisable. */
static inline double row_sum(const float *restrict x, int n)
{
	float acc[8] = { 0 };
	int t = 0;
	for (; t + 8 <= n; t += 8)
		for (int j = 0; j < 8; j++)
			acc[j] += x[t + j];
	double s = 0.0;
	for (int j = 0; j < 8; j++)
		s += acc[j];
	for (; t < n; t++)
		s += x[t];
	return s;
}

/* sum (x - m)^2 over x[0..n), as row_sum. */
static inline double row_ssd(const float *restrict x, int n, float m)
{
	float acc[8] = { 0 };
	int t = 0;
	for (; t + 8 <= n; t += 8)
		for (int j = 0; j < 8; j++)
			acc[j] += (x[t + j] - m) * (x[t + j] - m);
	double s = 0.0;
	for (int j = 0; j < 8; j++)
		s += acc[j];
	for (; t < n; t++)
		s += (x[t] - m) * (x[t] - m);
	return s;
}

/* sum g and sum g * (x - m) over [0..n), as row_sum. */
static inline void row_sum_gx(const float *restrict g, const float *restrict x, int n, float m,
                              double *sg, double *sgx)
{
	float a[8] = { 0 }, b[8] = { 0 };
	int t = 0;
	for (; t + 8 <= n; t += 8)
		for (int j = 0; j < 8; j++) {
			a[j] += g[t + j];
			b[j] += g[t + j] * (x[t + j] - m);
		}
	double s = 0.0, sx = 0.0;
	for (int j = 0; j < 8; j++)
		s += a[j], sx += b[j];
	for (; t < n; t++)
		s += g[t], sx += g[t] * (x[t] - m);
	*sg += s;
	*sgx += sx;
}

/* y = a * (x - m) + c over [0..n). */
static inline void row_affine(float *restrict y, const float *restrict x, int n, float a, float m,
                              float c)
{
	FOR_VEC(t, n, y[t] = a * (x[t] - m) + c);
}

/* dx += a + b * (x - m) over [0..n). */
static inline void row_add_affine(float *restrict dx, const float *restrict x, int n, float a,
                                  float b, float m)
{
	FOR_VEC(t, n, dx[t] += a + b * (x[t] - m));
}

/* dx += k * (N * g - mg - (x - m) * rs * mgx) over [0..n): batchnorm dinp. */
static inline void row_bn_dx(float *restrict dx, const float *restrict g, const float *restrict x,
                             int n, float k, float N, float mg, float m, float rs, float mgx)
{
	FOR_VEC(t, n, dx[t] += k * (N * g[t] - mg - (x[t] - m) * rs * mgx));
}

#endif
