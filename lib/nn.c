/* Network layers: forward and backward over flat arrays (see nn.h). */
#include "nn.h"
#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nn_rows.h"

/* ---- 1D convolution ---------------------------------------------------- */

int ser_conv1d_setup(ser_conv1d_dims *d, int padding)
{
	int span = (d->K - 1) * d->dilation; /* frames covered by the kernel - 1 */
	if (d->stride < 1 || d->dilation < 1 || d->K < 1 || d->T_in < 1)
		return d->T_out = 0;
	if (padding == SER_PAD_SAME) {
		d->pad_left = span / 2;
		d->T_out = (d->T_in + d->stride - 1) / d->stride;
	} else {
		d->pad_left = 0;
		d->T_out = d->T_in - span < 1 ? 0 : (d->T_in - span - 1) / d->stride + 1;
	}
	return d->T_out;
}

size_t ser_conv1d_work(const ser_conv1d_dims *d)
{
	/* im2col matrix (C_in*K, T_out) + its gradient (C_in*K, T_out) */
	size_t n = 2 * (size_t)d->C_in * d->K * (size_t)(d->T_out > 0 ? d->T_out : 1);
	return n;
}

/* Output frames t in [*t0, *t1) whose tap at offset off = k*dilation -
 * pad_left reads inside [0, T_in). */
static void tap_range(const ser_conv1d_dims *d, int off, int *t0, int *t1)
{
	int s = d->stride;
	/* t*s + off >= 0  and  t*s + off <= T_in - 1 */
	int lo = off >= 0 ? 0 : (-off + s - 1) / s;
	int last = d->T_in - 1 - off;
	int hi = last < 0 ? 0 : last / s + 1;
	*t0 = lo < d->T_out ? lo : d->T_out;
	*t1 = hi < d->T_out ? hi : d->T_out;
	if (*t1 < *t0)
		*t1 = *t0;
}

/* True when the im2col matrix of a sample is the input itself. */
static int col_is_input(const ser_conv1d_dims *d)
{
	return d->K == 1 && d->stride == 1 && d->pad_left == 0 && d->T_out == d->T_in;
}

/* col (C_in*K, T_out): col[i*K + k, t] = in[i, t*stride + k*dilation - pad_left] (0 outside). */
static void im2col(float *restrict col, const float *restrict in, const ser_conv1d_dims *d)
{
	const int K = d->K, To = d->T_out, s = d->stride;
	for (int i = 0; i < d->C_in; i++) {
		const float *x = in + (size_t)i * d->T_in;
		for (int k = 0; k < K; k++) {
			float *c = col + ((size_t)i * K + k) * To;
			int off = k * d->dilation - d->pad_left, t0, t1;
			tap_range(d, off, &t0, &t1);
			for (int t = 0; t < t0; t++)
				c[t] = 0.0f;
			if (s == 1)
				memcpy(c + t0, x + t0 + off, (size_t)(t1 - t0) * sizeof *c);
			else
				for (int t = t0; t < t1; t++)
					c[t] = x[t * s + off];
			for (int t = t1; t < To; t++)
				c[t] = 0.0f;
		}
	}
}

/* dinp[i, t*stride + k*dilation - pad_left] += dcol[i*K + k, t] (inverse of im2col). */
static void col2im(float *restrict dinp, const float *restrict dcol, const ser_conv1d_dims *d)
{
	const int K = d->K, To = d->T_out, s = d->stride;
	for (int i = 0; i < d->C_in; i++) {
		float *dx = dinp + (size_t)i * d->T_in;
		for (int k = 0; k < K; k++) {
			const float *c = dcol + ((size_t)i * K + k) * To;
			int off = k * d->dilation - d->pad_left, t0, t1;
			tap_range(d, off, &t0, &t1);
			if (s == 1) {
				float *dst = dx + off;
				for (int t = t0; t < t1; t++)
					dst[t] += c[t];
			} else {
				for (int t = t0; t < t1; t++)
					dx[t * s + off] += c[t];
			}
		}
	}
}

void ser_conv1d_forward_naive(float *out, const float *inp, const float *w, const float *b,
                              const ser_conv1d_dims *d)
{
	int Ci = d->C_in, Co = d->C_out, K = d->K, Ti = d->T_in, To = d->T_out;
	for (int n = 0; n < d->B; n++)
		for (int o = 0; o < Co; o++)
			for (int t = 0; t < To; t++) {
				float acc = b ? b[o] : 0.0f;
				for (int i = 0; i < Ci; i++)
					for (int k = 0; k < K; k++) {
						int u = t * d->stride + k * d->dilation - d->pad_left;
						if (u >= 0 && u < Ti)
							acc += w[((size_t)o * Ci + i) * K + k] *
							       inp[((size_t)n * Ci + i) * Ti + u];
					}
				out[((size_t)n * Co + o) * To + t] = acc;
			}
}

void ser_conv1d_forward(float *out, const float *inp, const float *w, const float *b,
                        const ser_conv1d_dims *d, float *work)
{
	const int Co = d->C_out, To = d->T_out, CK = d->C_in * d->K;
	for (int n = 0; n < d->B; n++) {
		const float *x = inp + (size_t)n * d->C_in * d->T_in;
		float *y = out + (size_t)n * Co * To;
		const float *col = x;
		if (!col_is_input(d)) {
			im2col(work, x, d);
			col = work;
		}
		for (int o = 0; o < Co; o++) {
			float bias = b ? b[o] : 0.0f;
			float *row = y + (size_t)o * To;
			for (int t = 0; t < To; t++)
				row[t] = bias;
		}
		/* y (C_out, T_out) += w (C_out, C_in*K) . col (C_in*K, T_out) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Co, To, CK, 1.0f, w, CK, col,
		            To, 1.0f, y, To);
	}
}

void ser_conv1d_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                               const float *inp, const float *w, const ser_conv1d_dims *d)
{
	int Ci = d->C_in, Co = d->C_out, K = d->K, Ti = d->T_in, To = d->T_out;
	for (int n = 0; n < d->B; n++)
		for (int o = 0; o < Co; o++)
			for (int t = 0; t < To; t++) {
				float g = dout[((size_t)n * Co + o) * To + t];
				if (db)
					db[o] += g;
				for (int i = 0; i < Ci; i++)
					for (int k = 0; k < K; k++) {
						int u = t * d->stride + k * d->dilation - d->pad_left;
						if (u < 0 || u >= Ti)
							continue;
						size_t wi = ((size_t)o * Ci + i) * K + k;
						size_t xi = ((size_t)n * Ci + i) * Ti + u;
						dw[wi] += g * inp[xi];
						if (dinp)
							dinp[xi] += g * w[wi];
					}
			}
}

void ser_conv1d_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, const ser_conv1d_dims *d,
                         float *work)
{
	const int Co = d->C_out, To = d->T_out, CK = d->C_in * d->K;
	const int direct = col_is_input(d);
	float *col = work, *dcol = work + (size_t)CK * To;
	for (int n = 0; n < d->B; n++) {
		const float *x = inp + (size_t)n * d->C_in * d->T_in;
		const float *g = dout + (size_t)n * Co * To;
		float *dx = dinp ? dinp + (size_t)n * d->C_in * d->T_in : NULL;
		if (db)
			for (int o = 0; o < Co; o++)
				db[o] += (float)row_sum(g + (size_t)o * To, To);
		const float *c = x;
		if (!direct) {
			im2col(col, x, d);
			c = col;
		}
		/* dw (C_out, C_in*K) += g (C_out, T_out) . col^T (T_out, C_in*K) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Co, CK, To, 1.0f, g, To, c, To,
		            1.0f, dw, CK);
		if (!dx)
			continue;
		/* dcol (C_in*K, T_out) = w^T (C_in*K, C_out) . g (C_out, T_out) */
		if (direct) {
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CK, To, Co, 1.0f, w, CK, g,
			            To, 1.0f, dx, To);
		} else {
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CK, To, Co, 1.0f, w, CK, g,
			            To, 0.0f, dcol, To);
			col2im(dx, dcol, d);
		}
	}
}

/* ---- 2D convolution -------------------------------------------------------- */

size_t ser_conv2d_work(const ser_conv2d_dims *d)
{
	return 2 * (size_t)d->C_in * d->KF * d->KT * d->F * d->T;
}

/* col[((i*KF + u)*KT + v), f*T + t] = in[i, f+u-pf, t+v-pt] (0 outside) */
static void im2col2d(float *restrict col, const float *restrict x, const ser_conv2d_dims *d)
{
	const int F = d->F, T = d->T, pf = (d->KF - 1) / 2, pt = (d->KT - 1) / 2;
	for (int i = 0; i < d->C_in; i++)
		for (int u = 0; u < d->KF; u++)
			for (int v = 0; v < d->KT; v++) {
				float *c = col + (((size_t)i * d->KF + u) * d->KT + v) * F * T;
				int off = v - pt, t0 = off < 0 ? -off : 0, t1 = off > 0 ? T - off : T;
				for (int f = 0; f < F; f++, c += T) {
					int g = f + u - pf;
					if (g < 0 || g >= F || t1 <= t0) {
						memset(c, 0, (size_t)T * sizeof *c);
						continue;
					}
					const float *src = x + ((size_t)i * F + g) * T;
					for (int t = 0; t < t0; t++)
						c[t] = 0.0f;
					memcpy(c + t0, src + t0 + off, (size_t)(t1 - t0) * sizeof *c);
					for (int t = t1; t < T; t++)
						c[t] = 0.0f;
				}
			}
}

static void col2im2d(float *restrict dx, const float *restrict dcol, const ser_conv2d_dims *d)
{
	const int F = d->F, T = d->T, pf = (d->KF - 1) / 2, pt = (d->KT - 1) / 2;
	for (int i = 0; i < d->C_in; i++)
		for (int u = 0; u < d->KF; u++)
			for (int v = 0; v < d->KT; v++) {
				const float *c = dcol + (((size_t)i * d->KF + u) * d->KT + v) * F * T;
				int off = v - pt, t0 = off < 0 ? -off : 0, t1 = off > 0 ? T - off : T;
				for (int f = 0; f < F; f++, c += T) {
					int g = f + u - pf;
					if (g < 0 || g >= F)
						continue;
					float *dst = dx + ((size_t)i * F + g) * T + off;
					for (int t = t0; t < t1; t++)
						dst[t] += c[t];
				}
			}
}

void ser_conv2d_forward_naive(float *out, const float *inp, const float *w, const float *b,
                              const ser_conv2d_dims *d)
{
	const int Ci = d->C_in, Co = d->C_out, F = d->F, T = d->T, KF = d->KF, KT = d->KT;
	const int pf = (KF - 1) / 2, pt = (KT - 1) / 2;
	for (int n = 0; n < d->B; n++)
		for (int o = 0; o < Co; o++)
			for (int f = 0; f < F; f++)
				for (int t = 0; t < T; t++) {
					float acc = b ? b[o] : 0.0f;
					for (int i = 0; i < Ci; i++)
						for (int u = 0; u < KF; u++)
							for (int v = 0; v < KT; v++) {
								int g = f + u - pf, s = t + v - pt;
								if (g >= 0 && g < F && s >= 0 && s < T)
									acc += w[(((size_t)o * Ci + i) * KF + u) * KT + v] *
									       inp[(((size_t)n * Ci + i) * F + g) * T + s];
							}
					out[(((size_t)n * Co + o) * F + f) * T + t] = acc;
				}
}

void ser_conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                        const ser_conv2d_dims *d, float *work)
{
	const int Co = d->C_out, P = d->F * d->T, CK = d->C_in * d->KF * d->KT;
	for (int n = 0; n < d->B; n++) {
		float *y = out + (size_t)n * Co * P;
		im2col2d(work, inp + (size_t)n * d->C_in * P, d);
		for (int o = 0; o < Co; o++) {
			float bias = b ? b[o] : 0.0f;
			for (int p = 0; p < P; p++)
				y[(size_t)o * P + p] = bias;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Co, P, CK, 1.0f, w, CK, work,
		            P, 1.0f, y, P);
	}
}

void ser_conv2d_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                               const float *inp, const float *w, const ser_conv2d_dims *d)
{
	const int Ci = d->C_in, Co = d->C_out, F = d->F, T = d->T, KF = d->KF, KT = d->KT;
	const int pf = (KF - 1) / 2, pt = (KT - 1) / 2;
	for (int n = 0; n < d->B; n++)
		for (int o = 0; o < Co; o++)
			for (int f = 0; f < F; f++)
				for (int t = 0; t < T; t++) {
					float g = dout[(((size_t)n * Co + o) * F + f) * T + t];
					if (db)
						db[o] += g;
					for (int i = 0; i < Ci; i++)
						for (int u = 0; u < KF; u++)
							for (int v = 0; v < KT; v++) {
								int r = f + u - pf, s = t + v - pt;
								if (r < 0 || r >= F || s < 0 || s >= T)
									continue;
								size_t wi = (((size_t)o * Ci + i) * KF + u) * KT + v;
								size_t xi = (((size_t)n * Ci + i) * F + r) * T + s;
								dw[wi] += g * inp[xi];
								if (dinp)
									dinp[xi] += g * w[wi];
							}
				}
}

void ser_conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, const ser_conv2d_dims *d,
                         float *work)
{
	const int Co = d->C_out, P = d->F * d->T, CK = d->C_in * d->KF * d->KT;
	float *col = work, *dcol = work + (size_t)CK * P;
	for (int n = 0; n < d->B; n++) {
		const float *g = dout + (size_t)n * Co * P;
		if (db)
			for (int o = 0; o < Co; o++)
				db[o] += (float)row_sum(g + (size_t)o * P, P);
		im2col2d(col, inp + (size_t)n * d->C_in * P, d);
		/* dw (C_out, CK) += g (C_out, P) . col^T (P, CK) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Co, CK, P, 1.0f, g, P, col, P,
		            1.0f, dw, CK);
		if (!dinp)
			continue;
		/* dcol (CK, P) = w^T (CK, C_out) . g (C_out, P) */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, CK, P, Co, 1.0f, w, CK, g, P,
		            0.0f, dcol, P);
		col2im2d(dinp + (size_t)n * d->C_in * P, dcol, d);
	}
}

/* ---- dense --------------------------------------------------------------- */

void ser_dense_forward_naive(float *out, const float *inp, const float *w, const float *b,
                             int B, int n_in, int n_out)
{
	for (int n = 0; n < B; n++) {
		const float *x = inp + (size_t)n * n_in;
		for (int o = 0; o < n_out; o++) {
			const float *wr = w + (size_t)o * n_in;
			float acc = b ? b[o] : 0.0f;
			for (int i = 0; i < n_in; i++)
				acc += wr[i] * x[i];
			out[(size_t)n * n_out + o] = acc;
		}
	}
}

void ser_dense_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                              const float *inp, const float *w, int B, int n_in, int n_out)
{
	for (int n = 0; n < B; n++) {
		const float *restrict x = inp + (size_t)n * n_in;
		float *restrict dx = dinp ? dinp + (size_t)n * n_in : NULL;
		for (int o = 0; o < n_out; o++) {
			float g = dout[(size_t)n * n_out + o];
			const float *restrict wr = w + (size_t)o * n_in;
			float *restrict dwr = dw + (size_t)o * n_in;
			if (db)
				db[o] += g;
			for (int i = 0; i < n_in; i++)
				dwr[i] += g * x[i];
			if (dx)
				for (int i = 0; i < n_in; i++)
					dx[i] += g * wr[i];
		}
	}
}

void ser_dense_forward(float *out, const float *inp, const float *w, const float *b,
                       int B, int n_in, int n_out)
{
	for (int n = 0; n < B; n++)
		for (int o = 0; o < n_out; o++)
			out[(size_t)n * n_out + o] = b ? b[o] : 0.0f;
	/* out (B, n_out) += inp (B, n_in) . w^T (n_in, n_out) */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n_out, n_in, 1.0f, inp, n_in, w,
	            n_in, 1.0f, out, n_out);
}

void ser_dense_backward(float *dinp, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, int B, int n_in, int n_out)
{
	if (db)
		for (int n = 0; n < B; n++)
			for (int o = 0; o < n_out; o++)
				db[o] += dout[(size_t)n * n_out + o];
	/* dw (n_out, n_in) += dout^T (n_out, B) . inp (B, n_in) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, B, 1.0f, dout, n_out,
	            inp, n_in, 1.0f, dw, n_in);
	/* dinp (B, n_in) += dout (B, n_out) . w (n_out, n_in) */
	if (dinp)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n_in, n_out, 1.0f, dout,
		            n_out, w, n_in, 1.0f, dinp, n_in);
}

int ser_argmax(const float *p, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (p[i] > p[best])
			best = i;
	return best;
}

/* ---- ReLU ------------------------------------------------------------------ */

void ser_relu_forward(float *restrict out, const float *restrict inp, size_t n)
{
	FOR_VEC(i, n, out[i] = inp[i] > 0.0f ? inp[i] : 0.0f);
}

void ser_relu_backward(float *restrict dinp, const float *restrict dout,
                       const float *restrict inp, size_t n)
{
	FOR_VEC(i, n, float g = dout[i]; dinp[i] += inp[i] > 0.0f ? g : 0.0f);
}

/* ---- dropout ----------------------------------------------------------------- */

/* Dropout of one sample from its generator state s. */
static void dropout_row(float *restrict y, float *restrict mk, const float *restrict x, size_t n,
                        float p, float keep, uint64_t *restrict s)
{
	for (size_t i = 0; i < n; i++) {
		/* as ser_rng_uniform(&r) < p: top 24 bits / 2^24, exact */
		float u = (float)(ser_xoshiro_step(s) >> 40) * (1.0f / 16777216.0f);
		float m = u < p ? 0.0f : keep;
		mk[i] = m;
		y[i] = x[i] * m;
	}
}

/* ser_xoshiro_step (rng.h) on a state held in four variables (a, b, c, d),
 * result in r: four chains stay in registers. */
#define XOSHIRO_STEP(a, b, c, d, r)                                            \
	do {                                                                   \
		uint64_t v_ = (b) * 5, t_ = (b) << 17;                         \
		r = ((v_ << 7) | (v_ >> 57)) * 9;                              \
		c ^= a;                                                        \
		d ^= b;                                                        \
		b ^= c;                                                        \
		a ^= d;                                                        \
		c ^= t_;                                                       \
		d = (d << 45) | (d >> 19);                                     \
	} while (0)

/* The mask value of draw r, as ser_rng_uniform(&r) < p ? 0 : keep (top 24
 * bits / 2^24, exact). */
#define DROP_MASK(r, p, keep) ((float)((r) >> 40) * (1.0f / 16777216.0f) < (p) ? 0.0f : (keep))

/* dropout_row of 4 samples at once: 4 independent generator chains in
 * registers. */
static void dropout_rows4(float *restrict y, float *restrict mk, const float *restrict x,
                          size_t n, float p, float keep, uint64_t s[4][4])
{
	uint64_t a0 = s[0][0], b0 = s[0][1], c0 = s[0][2], d0 = s[0][3];
	uint64_t a1 = s[1][0], b1 = s[1][1], c1 = s[1][2], d1 = s[1][3];
	uint64_t a2 = s[2][0], b2 = s[2][1], c2 = s[2][2], d2 = s[2][3];
	uint64_t a3 = s[3][0], b3 = s[3][1], c3 = s[3][2], d3 = s[3][3];
	for (size_t i = 0; i < n; i++) {
		uint64_t r0, r1, r2, r3;
		XOSHIRO_STEP(a0, b0, c0, d0, r0);
		XOSHIRO_STEP(a1, b1, c1, d1, r1);
		XOSHIRO_STEP(a2, b2, c2, d2, r2);
		XOSHIRO_STEP(a3, b3, c3, d3, r3);
		float m0 = DROP_MASK(r0, p, keep), m1 = DROP_MASK(r1, p, keep);
		float m2 = DROP_MASK(r2, p, keep), m3 = DROP_MASK(r3, p, keep);
		mk[i] = m0, y[i] = x[i] * m0;
		mk[n + i] = m1, y[n + i] = x[n + i] * m1;
		mk[2 * n + i] = m2, y[2 * n + i] = x[2 * n + i] * m2;
		mk[3 * n + i] = m3, y[3 * n + i] = x[3 * n + i] * m3;
	}
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define DROPOUT_AVX2 1

static __attribute__((target("avx2"))) __m256i rotl_avx2(__m256i x, int k)
{
	return _mm256_or_si256(_mm256_slli_epi64(x, k), _mm256_srli_epi64(x, 64 - k));
}

/* dropout_rows4 with the 4 chains in the 4 64-bit lanes of AVX2 registers
 * (shifts and adds for * 5 and * 9): the same draws and masks, bit for bit.
 * Handles n - n % 4 elements; returns the states for the tail. */
static __attribute__((target("avx2"))) void dropout_rows4_avx2(float *restrict y,
	float *restrict mk, const float *restrict x, size_t n, float p, float keep,
	uint64_t s[4][4])
{
	__m256i A = _mm256_set_epi64x((long long)s[3][0], (long long)s[2][0], (long long)s[1][0], (long long)s[0][0]);
	__m256i Bv = _mm256_set_epi64x((long long)s[3][1], (long long)s[2][1], (long long)s[1][1], (long long)s[0][1]);
	__m256i Cv = _mm256_set_epi64x((long long)s[3][2], (long long)s[2][2], (long long)s[1][2], (long long)s[0][2]);
	__m256i D = _mm256_set_epi64x((long long)s[3][3], (long long)s[2][3], (long long)s[1][3], (long long)s[0][3]);
	const __m256i lo32 = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
	const __m128 vp = _mm_set1_ps(p), vkeep = _mm_set1_ps(keep), sc = _mm_set1_ps(1.0f / 16777216.0f);
	for (size_t i = 0; i + 4 <= n; i += 4) {
		__m128 m[4];
		for (int q = 0; q < 4; q++) {
			__m256i v = _mm256_add_epi64(_mm256_slli_epi64(Bv, 2), Bv); /* b * 5 */
			v = rotl_avx2(v, 7);
			v = _mm256_add_epi64(_mm256_slli_epi64(v, 3), v);           /* * 9 */
			__m256i t = _mm256_slli_epi64(Bv, 17);
			Cv = _mm256_xor_si256(Cv, A);
			D = _mm256_xor_si256(D, Bv);
			Bv = _mm256_xor_si256(Bv, Cv);
			A = _mm256_xor_si256(A, D);
			Cv = _mm256_xor_si256(Cv, t);
			D = rotl_avx2(D, 45);
			__m256i k = _mm256_permutevar8x32_epi32(_mm256_srli_epi64(v, 40), lo32);
			__m128 u = _mm_mul_ps(_mm_cvtepi32_ps(_mm256_castsi256_si128(k)), sc);
			m[q] = _mm_andnot_ps(_mm_cmplt_ps(u, vp), vkeep); /* lanes: rows 0..3 */
		}
		_MM_TRANSPOSE4_PS(m[0], m[1], m[2], m[3]); /* m[j]: row j, elements i..i+3 */
		for (int j = 0; j < 4; j++) {
			_mm_storeu_ps(mk + j * n + i, m[j]);
			_mm_storeu_ps(y + j * n + i, _mm_mul_ps(_mm_loadu_ps(x + j * n + i), m[j]));
		}
	}
	uint64_t out[4][4];
	_mm256_storeu_si256((__m256i *)out[0], A);
	_mm256_storeu_si256((__m256i *)out[1], Bv);
	_mm256_storeu_si256((__m256i *)out[2], Cv);
	_mm256_storeu_si256((__m256i *)out[3], D);
	for (int j = 0; j < 4; j++)
		for (int w = 0; w < 4; w++)
			s[j][w] = out[w][j];
}
#endif

int ser_nn_avx2(void)
{
#ifdef DROPOUT_AVX2
	return __builtin_cpu_supports("avx2") != 0;
#else
	return 0;
#endif
}

void ser_dropout_forward(float *out, float *mask, const float *inp, int B, size_t n_per,
                         float p, uint64_t seed, const uint64_t *sample_id)
{
	ser_dropout_forward_path(out, mask, inp, B, n_per, p, seed, sample_id,
	                         ser_nn_avx2() ? SER_NN_AVX2 : SER_NN_LANES4);
}

void ser_dropout_forward_naive(float *out, float *mask, const float *inp, int B, size_t n_per,
                               float p, uint64_t seed, const uint64_t *sample_id)
{
	float keep = 1.0f / (1.0f - p);
	for (int b = 0; b < B; b++) {
		ser_rng r;
		ser_rng_seed(&r, ser_rng_mix(seed, sample_id ? sample_id[b] : (uint64_t)b));
		for (size_t i = (size_t)b * n_per; i < (size_t)(b + 1) * n_per; i++) {
			mask[i] = ser_rng_uniform(&r) < p ? 0.0f : keep;
			out[i] = inp[i] * mask[i];
		}
	}
}

void ser_dropout_forward_path(float *out, float *mask, const float *inp, int B, size_t n_per,
                              float p, uint64_t seed, const uint64_t *sample_id, int path)
{
	if (path == SER_NN_BEST)
		path = ser_nn_avx2() ? SER_NN_AVX2 : SER_NN_LANES4;
	float keep = 1.0f / (1.0f - p);
	uint64_t s[4][4];
	int n = 0;
	for (; n < B; n++) {
		int j = n % 4;
		ser_rng r;
		ser_rng_seed(&r, ser_rng_mix(seed, sample_id ? sample_id[n] : (uint64_t)n));
		memcpy(s[j], r.s, sizeof s[j]);
		size_t off = (size_t)(n - j) * n_per;
		if (path == SER_NN_SCALAR) {   /* one chain at a time */
			dropout_row(out + off + (size_t)j * n_per, mask + off + (size_t)j * n_per,
			            inp + off + (size_t)j * n_per, n_per, p, keep, s[j]);
			continue;
		}
		if (j != 3)
			continue;
#ifdef DROPOUT_AVX2
		if (path == SER_NN_AVX2) {
			size_t n4 = n_per - n_per % 4;
			dropout_rows4_avx2(out + off, mask + off, inp + off, n_per, p, keep, s);
			for (int q = 0; q < 4 && n4 < n_per; q++) {
				size_t o = off + (size_t)q * n_per + n4;
				dropout_row(out + o, mask + o, inp + o, n_per - n4, p, keep, s[q]);
			}
			continue;
		}
#endif
		dropout_rows4(out + off, mask + off, inp + off, n_per, p, keep, s);
	}
	for (int m = path == SER_NN_SCALAR ? B : B - B % 4; m < B; m++) {
		size_t off = (size_t)m * n_per;
		dropout_row(out + off, mask + off, inp + off, n_per, p, keep, s[m % 4]);
	}
}

void ser_dropout_backward(float *restrict dinp, const float *restrict dout,
                          const float *restrict mask, size_t n)
{
	FOR_VEC(i, n, dinp[i] += dout[i] * mask[i]);
}

/* a = relu(a) in place over [0, n): the values of ser_relu_forward. */
void ser_relu_inplace(float *a, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128 zero = _mm_setzero_ps();
	for (; i + 4 <= n; i += 4) {
		__m128 v = _mm_loadu_ps(a + i);
		_mm_storeu_ps(a + i, _mm_and_ps(_mm_cmpgt_ps(v, zero), v));
	}
#endif
	for (; i < n; i++)
		a[i] = a[i] > 0.0f ? a[i] : 0.0f;
}

/* din = 0 + (inp > 0 ? dout : 0) over [0, n): exactly ser_relu_backward
 * into a zeroed din (0 + -0 is +0), without the zeroing. SSE2 select:
 * GCC -O2 compiles the scalar loop to a mispredicted branch. */
void ser_relu_backward_set(float *restrict din, const float *restrict dout,
                           const float *restrict inp, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128 zero = _mm_setzero_ps();
	for (; i + 4 <= n; i += 4) {
		__m128 keep = _mm_cmpgt_ps(_mm_loadu_ps(inp + i), zero);
		__m128 g = _mm_and_ps(keep, _mm_loadu_ps(dout + i));
		_mm_storeu_ps(din + i, _mm_add_ps(zero, g));
	}
#endif
	for (; i < n; i++)
		din[i] = 0.0f + (inp[i] > 0.0f ? dout[i] : 0.0f);
}

/* din = 0 + dout * mask over [0, n): exactly ser_dropout_backward into a
 * zeroed din. Blocks of 8 so that -O2 vectorises. */
void ser_dropout_backward_set(float *restrict din, const float *restrict dout,
                              const float *restrict mask, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (size_t j = i; j < i + 8; j++)
			din[j] = 0.0f + dout[j] * mask[j];
	for (; i < n; i++)
		din[i] = 0.0f + dout[i] * mask[i];
}

/* din = 0 + (inp > 0 ? 0 + dout * mask : 0) over [0, n): ser_dropout_backward_set
 * then ser_relu_backward_set (relu input inp) in one pass, the same bits. */
void ser_dropout_relu_backward_set(float *restrict din, const float *restrict dout,
                                   const float *restrict mask, const float *restrict inp,
                                   size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128 zero = _mm_setzero_ps();
	for (; i + 4 <= n; i += 4) {
		__m128 g = _mm_add_ps(zero, _mm_mul_ps(_mm_loadu_ps(dout + i), _mm_loadu_ps(mask + i)));
		__m128 keep = _mm_cmpgt_ps(_mm_loadu_ps(inp + i), zero);
		_mm_storeu_ps(din + i, _mm_add_ps(zero, _mm_and_ps(keep, g)));
	}
#endif
	for (; i < n; i++) {
		float g = 0.0f + dout[i] * mask[i];
		din[i] = 0.0f + (inp[i] > 0.0f ? g : 0.0f);
	}
}


/* ---- softmax and cross-entropy ------------------------------------------------ */

void ser_softmax_forward(float *probs, const float *logits, int B, int n)
{
	for (int b = 0; b < B; b++) {
		const float *z = logits + (size_t)b * n;
		float *p = probs + (size_t)b * n;
		float mx = z[0];
		for (int j = 1; j < n; j++)
			if (z[j] > mx)
				mx = z[j];
		double sum = 0.0;
		for (int j = 0; j < n; j++) {
			p[j] = expf(z[j] - mx);
			sum += p[j];
		}
		float inv = (float)(1.0 / sum);
		for (int j = 0; j < n; j++)
			p[j] *= inv;
	}
}

/* Softmax + cross-entropy over each sample's possible classes (mask NULL:
 * all); the loss weight of sample b is weight[b], else class_weight[label],
 * else 1. One arithmetic for both public forms, so they agree bit for bit. */
static float crossentropy(float *probs, float *dlogits, const float *logits, const int *labels,
                          const unsigned char *mask, int B, int n, const float *class_weight,
                          const float *weight, float smoothing, float norm)
{
	double total = 0.0;
	for (int b = 0; b < B; b++) {
		const float *z = logits + (size_t)b * n;
		const unsigned char *ok = mask ? mask + (size_t)b * n : NULL;
		float *p = probs + (size_t)b * n;
		int y = labels[b], k = 0, j0 = -1;
		for (int j = 0; j < n; j++)
			if (!ok || ok[j]) {
				k++;
				if (j0 < 0)
					j0 = j;
			}
		float off = smoothing / (float)k, on = 1.0f - smoothing + off;
		float wb = weight ? weight[b] : class_weight ? class_weight[y] : 1.0f;
		/* softmax over the possible classes, as ser_softmax_forward */
		float mx = z[j0];
		for (int j = j0 + 1; j < n; j++)
			if ((!ok || ok[j]) && z[j] > mx)
				mx = z[j];
		double sum = 0.0;
		for (int j = 0; j < n; j++) {
			p[j] = !ok || ok[j] ? expf(z[j] - mx) : 0.0f;
			sum += p[j];
		}
		float inv = (float)(1.0 / sum);
		for (int j = 0; j < n; j++)
			p[j] *= inv;
		/* log p_j = z_j - max - log sum exp (z - max) */
		double se = 0.0;
		for (int j = 0; j < n; j++)
			if (!ok || ok[j])
				se += exp((double)z[j] - mx);
		double lse = mx + log(se), l = 0.0;
		for (int j = 0; j < n; j++) {
			double q = !ok || ok[j] ? (j == y ? on : off) : 0.0;
			if (q != 0.0)
				l -= q * ((double)z[j] - lse);
		}
		total += wb * l;
		if (dlogits) {
			float *dz = dlogits + (size_t)b * n;
			for (int j = 0; j < n; j++)
				dz[j] = !ok || ok[j] ? wb * (p[j] - (j == y ? on : off)) / norm : 0.0f;
		}
	}
	return (float)(total / norm);
}

float ser_crossentropy_forward_backward(float *probs, float *dlogits, const float *logits,
                                        const int *labels, int B, int n,
                                        const float *class_weight, float smoothing,
                                        float norm)
{
	return crossentropy(probs, dlogits, logits, labels, NULL, B, n, class_weight, NULL, smoothing,
	                    norm);
}

float ser_crossentropy_masked_forward_backward(float *probs, float *dlogits, const float *logits,
                                               const int *labels, const unsigned char *mask,
                                               int B, int n, const float *weight,
                                               float smoothing, float norm)
{
	return crossentropy(probs, dlogits, logits, labels, mask, B, n, NULL, weight, smoothing, norm);
}

/* ---- initialisers ---- */

void ser_init_glorot_uniform(float *w, size_t n, int fan_in, int fan_out, ser_rng *r)
{
	float a = (float)sqrt(6.0 / (double)(fan_in + fan_out));
	for (size_t i = 0; i < n; i++)
		w[i] = ser_rng_range_f(r, -a, a);
}

void ser_init_he_uniform(float *w, size_t n, int fan_in, ser_rng *r)
{
	float a = (float)sqrt(6.0 / (double)fan_in);
	for (size_t i = 0; i < n; i++)
		w[i] = ser_rng_range_f(r, -a, a);
}
