/* Network layers: forward and backward over flat arrays (see nn.h). */
#include "nn.h"
#include "rng.h"

#include <math.h>
#include <string.h>

/* ---- 1D convolution ---------------------------------------------------- */

#define CB 4   /* output channels per register block */
#define TB 16  /* output frames per register block */

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

/* Length of a zero-padded input row in scratch: room for whole TB blocks. */
static size_t padded_len(const ser_conv1d_dims *d)
{
	size_t tb = ((size_t)d->T_out + TB - 1) / TB * TB;
	size_t need = (tb - 1) * (size_t)d->stride + (size_t)(d->K - 1) * d->dilation + 1;
	size_t have = (size_t)d->pad_left + (size_t)d->T_in;
	return need > have ? need : have;
}

size_t ser_conv1d_work(const ser_conv1d_dims *d)
{
	/* padded input (C_in, Tp) + padded input gradient (C_in, Tp) */
	return 2 * (size_t)d->C_in * padded_len(d);
}

/* Copies one sample's input (C_in, T_in) into pad (C_in, Tp) with zeros around. */
static void pad_input(float *pad, const float *in, const ser_conv1d_dims *d, size_t Tp)
{
	for (int i = 0; i < d->C_in; i++) {
		float *row = pad + (size_t)i * Tp;
		memset(row, 0, Tp * sizeof *row);
		memcpy(row + d->pad_left, in + (size_t)i * d->T_in, (size_t)d->T_in * sizeof *row);
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
	const int Ci = d->C_in, Co = d->C_out, K = d->K, To = d->T_out;
	const int s = d->stride, dil = d->dilation;
	const size_t Tp = padded_len(d);
	float *restrict pad = work;
	for (int n = 0; n < d->B; n++) {
		pad_input(pad, inp + (size_t)n * Ci * d->T_in, d, Tp);
		float *outn = out + (size_t)n * Co * To;
		for (int o0 = 0; o0 < Co; o0 += CB) {
			int nr = Co - o0 < CB ? Co - o0 : CB;
			for (int t0 = 0; t0 < To; t0 += TB) {
				float acc[CB][TB];
				for (int r = 0; r < CB; r++) {
					float bias = (r < nr && b) ? b[o0 + r] : 0.0f;
					for (int j = 0; j < TB; j++)
						acc[r][j] = bias;
				}
				for (int i = 0; i < Ci; i++) {
					const float *restrict row = pad + (size_t)i * Tp + (size_t)t0 * s;
					for (int k = 0; k < K; k++) {
						float wv[CB];
						for (int r = 0; r < CB; r++)
							wv[r] = r < nr ? w[((size_t)(o0 + r) * Ci + i) * K + k] : 0.0f;
						const float *restrict src = row + (size_t)k * dil;
						if (s == 1) {
							for (int r = 0; r < CB; r++)
								for (int j = 0; j < TB; j++)
									acc[r][j] += wv[r] * src[j];
						} else {
							float x[TB];
							for (int j = 0; j < TB; j++)
								x[j] = src[(size_t)j * s];
							for (int r = 0; r < CB; r++)
								for (int j = 0; j < TB; j++)
									acc[r][j] += wv[r] * x[j];
						}
					}
				}
				int nt = To - t0 < TB ? To - t0 : TB;
				for (int r = 0; r < nr; r++)
					memcpy(outn + (size_t)(o0 + r) * To + t0, acc[r], (size_t)nt * sizeof(float));
			}
		}
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
	const int Ci = d->C_in, Co = d->C_out, K = d->K, To = d->T_out, Ti = d->T_in;
	const int s = d->stride, dil = d->dilation;
	const size_t Tp = padded_len(d);
	float *restrict pad = work;
	float *restrict dpad = work + (size_t)Ci * Tp;
	const int Tfull = To / TB * TB;
	for (int n = 0; n < d->B; n++) {
		const float *doutn = dout + (size_t)n * Co * To;
		pad_input(pad, inp + (size_t)n * Ci * Ti, d, Tp);
		if (dinp)
			memset(dpad, 0, (size_t)Ci * Tp * sizeof *dpad);
		for (int o = 0; o < Co; o++) {
			const float *restrict g = doutn + (size_t)o * To;
			if (db) {
				float acc[TB] = { 0 };
				for (int t0 = 0; t0 < Tfull; t0 += TB)
					for (int j = 0; j < TB; j++)
						acc[j] += g[t0 + j];
				float sum = 0.0f;
				for (int j = 0; j < TB; j++)
					sum += acc[j];
				for (int t = Tfull; t < To; t++)
					sum += g[t];
				db[o] += sum;
			}
			for (int i = 0; i < Ci; i++) {
				const float *restrict row = pad + (size_t)i * Tp;
				float *restrict drow = dpad + (size_t)i * Tp;
				for (int k = 0; k < K; k++) {
					size_t wi = ((size_t)o * Ci + i) * K + k;
					const float *restrict src = row + (size_t)k * dil;
					/* dw: dot product of g and the shifted input row */
					float acc[TB] = { 0 };
					if (s == 1) {
						for (int t0 = 0; t0 < Tfull; t0 += TB)
							for (int j = 0; j < TB; j++)
								acc[j] += g[t0 + j] * src[t0 + j];
					} else {
						for (int t0 = 0; t0 < Tfull; t0 += TB)
							for (int j = 0; j < TB; j++)
								acc[j] += g[t0 + j] * src[(size_t)(t0 + j) * s];
					}
					float sum = 0.0f;
					for (int j = 0; j < TB; j++)
						sum += acc[j];
					for (int t = Tfull; t < To; t++)
						sum += g[t] * src[(size_t)t * s];
					dw[wi] += sum;
					if (!dinp)
						continue;
					/* dinp: scatter g * w into the padded gradient row */
					float wv = w[wi];
					float *restrict dst = drow + (size_t)k * dil;
					if (s == 1) {
						for (int t0 = 0; t0 < Tfull; t0 += TB)
							for (int j = 0; j < TB; j++)
								dst[t0 + j] += wv * g[t0 + j];
					} else {
						for (int t = 0; t < Tfull; t++)
							dst[(size_t)t * s] += wv * g[t];
					}
					for (int t = Tfull; t < To; t++)
						dst[(size_t)t * s] += wv * g[t];
				}
			}
		}
		if (dinp) {
			float *dn = dinp + (size_t)n * Ci * Ti;
			for (int i = 0; i < Ci; i++) {
				const float *src = dpad + (size_t)i * Tp + d->pad_left;
				float *dst = dn + (size_t)i * Ti;
				for (int t = 0; t < Ti; t++)
					dst[t] += src[t];
			}
		}
	}
}

/* ---- dense --------------------------------------------------------------- */

void ser_dense_forward(float *out, const float *inp, const float *w, const float *b,
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

void ser_dense_backward(float *dinp, float *dw, float *db, const float *dout,
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

/* ---- ReLU ------------------------------------------------------------------ */

void ser_relu_forward(float *out, const float *inp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void ser_relu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (inp[i] > 0.0f)
			dinp[i] += dout[i];
}

/* ---- dropout ----------------------------------------------------------------- */

void ser_dropout_forward(float *out, float *mask, const float *inp, int B, size_t n_per,
                         float p, uint64_t seed, const uint64_t *sample_id)
{
	float keep = 1.0f / (1.0f - p);
	for (int n = 0; n < B; n++) {
		ser_rng r;
		ser_rng_seed(&r, ser_rng_mix(seed, sample_id ? sample_id[n] : (uint64_t)n));
		size_t off = (size_t)n * n_per;
		for (size_t i = 0; i < n_per; i++) {
			float m = ser_rng_uniform(&r) < p ? 0.0f : keep;
			mask[off + i] = m;
			out[off + i] = inp[off + i] * m;
		}
	}
}

void ser_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dinp[i] += dout[i] * mask[i];
}

/* ---- pooling ------------------------------------------------------------------ */

int ser_pool_outlen(int T, int size, int stride)
{
	if (size < 1 || stride < 1 || T < size)
		return 0;
	return (T - size) / stride + 1;
}

void ser_maxpool_forward(float *out, int *argmax, const float *inp, int B, int C, int T,
                         int size, int stride)
{
	int To = ser_pool_outlen(T, size, stride);
	for (size_t bc = 0; bc < (size_t)B * C; bc++) {
		const float *x = inp + bc * T;
		for (int t = 0; t < To; t++) {
			int best = t * stride;
			for (int k = 1; k < size; k++)
				if (x[t * stride + k] > x[best])
					best = t * stride + k;
			out[bc * To + t] = x[best];
			argmax[bc * To + t] = best;
		}
	}
}

void ser_maxpool_backward(float *dinp, const float *dout, const int *argmax, int B, int C,
                          int T, int size, int stride)
{
	int To = ser_pool_outlen(T, size, stride);
	for (size_t bc = 0; bc < (size_t)B * C; bc++)
		for (int t = 0; t < To; t++)
			dinp[bc * T + argmax[bc * To + t]] += dout[bc * To + t];
}

void ser_avgpool_forward(float *out, const float *inp, int B, int C, int T, int size, int stride)
{
	int To = ser_pool_outlen(T, size, stride);
	float sc = 1.0f / (float)size;
	for (size_t bc = 0; bc < (size_t)B * C; bc++) {
		const float *x = inp + bc * T;
		for (int t = 0; t < To; t++) {
			float acc = 0.0f;
			for (int k = 0; k < size; k++)
				acc += x[t * stride + k];
			out[bc * To + t] = acc * sc;
		}
	}
}

void ser_avgpool_backward(float *dinp, const float *dout, int B, int C, int T, int size,
                          int stride)
{
	int To = ser_pool_outlen(T, size, stride);
	float sc = 1.0f / (float)size;
	for (size_t bc = 0; bc < (size_t)B * C; bc++)
		for (int t = 0; t < To; t++) {
			float g = dout[bc * To + t] * sc;
			for (int k = 0; k < size; k++)
				dinp[bc * T + t * stride + k] += g;
		}
}

/* ---- batch normalisation ---------------------------------------------------- */

static inline int len_of(const int *len, int n, int T)
{
	return len ? (len[n] < T ? len[n] : T) : T;
}

void ser_batchnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *gamma, const float *beta, float *rmean, float *rvar,
                           int B, int C, int T, const int *len, int train, float momentum,
                           float eps)
{
	for (int c = 0; c < C; c++) {
		float mu, rs;
		if (train) {
			double sum = 0.0, ss = 0.0;
			long cnt = 0;
			for (int n = 0; n < B; n++) {
				const float *x = inp + ((size_t)n * C + c) * T;
				int L = len_of(len, n, T);
				for (int t = 0; t < L; t++)
					sum += x[t];
				cnt += L;
			}
			double m = cnt ? sum / (double)cnt : 0.0;
			for (int n = 0; n < B; n++) {
				const float *x = inp + ((size_t)n * C + c) * T;
				int L = len_of(len, n, T);
				for (int t = 0; t < L; t++)
					ss += (x[t] - m) * (x[t] - m);
			}
			double var = cnt ? ss / (double)cnt : 0.0;
			mu = (float)m;
			rs = (float)(1.0 / sqrt(var + eps));
			if (rmean && rvar) {
				rmean[c] = momentum * rmean[c] + (1.0f - momentum) * mu;
				rvar[c] = momentum * rvar[c] + (1.0f - momentum) * (float)var;
			}
		} else {
			mu = rmean[c];
			rs = (float)(1.0 / sqrt((double)rvar[c] + eps));
		}
		mean[c] = mu;
		rstd[c] = rs;
		float g = gamma[c] * rs, bb = beta[c];
		for (int n = 0; n < B; n++) {
			const float *x = inp + ((size_t)n * C + c) * T;
			float *y = out + ((size_t)n * C + c) * T;
			int L = len_of(len, n, T);
			for (int t = 0; t < L; t++)
				y[t] = g * (x[t] - mu) + bb;
			for (int t = L; t < T; t++)
				y[t] = 0.0f;
		}
	}
}

void ser_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                            const float *inp, const float *mean, const float *rstd,
                            const float *gamma, int B, int C, int T, const int *len)
{
	for (int c = 0; c < C; c++) {
		float mu = mean[c], rs = rstd[c];
		double sg = 0.0, sgx = 0.0; /* sum dout, sum dout*xhat */
		long cnt = 0;
		for (int n = 0; n < B; n++) {
			const float *x = inp + ((size_t)n * C + c) * T;
			const float *g = dout + ((size_t)n * C + c) * T;
			int L = len_of(len, n, T);
			for (int t = 0; t < L; t++) {
				sg += g[t];
				sgx += g[t] * (x[t] - mu) * rs;
			}
			cnt += L;
		}
		dbeta[c] += (float)sg;
		dgamma[c] += (float)sgx;
		if (!dinp || cnt == 0)
			continue;
		/* dx = gamma*rstd/N * (N*g - sum g - xhat * sum g*xhat) */
		float k = gamma[c] * rs / (float)cnt;
		float mg = (float)sg, mgx = (float)sgx, N = (float)cnt;
		for (int n = 0; n < B; n++) {
			const float *x = inp + ((size_t)n * C + c) * T;
			const float *g = dout + ((size_t)n * C + c) * T;
			float *dx = dinp + ((size_t)n * C + c) * T;
			int L = len_of(len, n, T);
			for (int t = 0; t < L; t++)
				dx[t] += k * (N * g[t] - mg - (x[t] - mu) * rs * mgx);
		}
	}
}

/* ---- statistics pooling ---------------------------------------------------- */

void ser_statpool_forward(float *out, const float *inp, int B, int C, int T, const int *len,
                          float eps)
{
	for (int n = 0; n < B; n++) {
		int L = len_of(len, n, T);
		for (int c = 0; c < C; c++) {
			const float *x = inp + ((size_t)n * C + c) * T;
			double sum = 0.0, ss = 0.0;
			for (int t = 0; t < L; t++)
				sum += x[t];
			double m = L > 0 ? sum / L : 0.0;
			for (int t = 0; t < L; t++)
				ss += (x[t] - m) * (x[t] - m);
			double var = L > 0 ? ss / L : 0.0;
			out[(size_t)n * 2 * C + c] = (float)m;
			out[(size_t)n * 2 * C + C + c] = (float)sqrt(var + eps);
		}
	}
}

void ser_statpool_backward(float *dinp, const float *dout, const float *out, const float *inp,
                           int B, int C, int T, const int *len)
{
	for (int n = 0; n < B; n++) {
		int L = len_of(len, n, T);
		if (L <= 0)
			continue;
		for (int c = 0; c < C; c++) {
			const float *x = inp + ((size_t)n * C + c) * T;
			float *dx = dinp + ((size_t)n * C + c) * T;
			float m = out[(size_t)n * 2 * C + c], sd = out[(size_t)n * 2 * C + C + c];
			float gm = dout[(size_t)n * 2 * C + c] / (float)L;
			float gs = dout[(size_t)n * 2 * C + C + c] / ((float)L * sd);
			/* d sd / dx_t = (x_t - mean) / (L sd) */
			for (int t = 0; t < L; t++)
				dx[t] += gm + gs * (x[t] - m);
		}
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

float ser_crossentropy_forward_backward(float *probs, float *dlogits, const float *logits,
                                        const int *labels, int B, int n,
                                        const float *class_weight, float smoothing,
                                        float norm)
{
	double total = 0.0;
	float off = smoothing / (float)n, on = 1.0f - smoothing + off;
	ser_softmax_forward(probs, logits, B, n);
	for (int b = 0; b < B; b++) {
		const float *z = logits + (size_t)b * n;
		const float *p = probs + (size_t)b * n;
		int y = labels[b];
		float wb = class_weight ? class_weight[y] : 1.0f;
		/* log p_j = z_j - max - log sum exp (z - max) */
		float mx = z[0];
		for (int j = 1; j < n; j++)
			if (z[j] > mx)
				mx = z[j];
		double se = 0.0;
		for (int j = 0; j < n; j++)
			se += exp((double)z[j] - mx);
		double lse = mx + log(se), l = 0.0;
		for (int j = 0; j < n; j++) {
			double q = j == y ? on : off;
			if (q != 0.0)
				l -= q * ((double)z[j] - lse);
		}
		total += wb * l;
		if (dlogits) {
			float *dz = dlogits + (size_t)b * n;
			for (int j = 0; j < n; j++)
				dz[j] = wb * (p[j] - (j == y ? on : off)) / norm;
		}
	}
	return (float)(total / norm);
}
