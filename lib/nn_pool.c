/* Layers over time (see nn.h): max and average pooling (1D and 2D),
 * batch normalisation and statistics pooling, forward and backward. */
#include "nn.h"
#include "nn_rows.h"

#include <math.h>
#include <string.h>

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
		if (size == 2) { /* branch-free: first on ties */
			for (int t = 0; t < To; t++) {
				int u = t * stride, hi = x[u + 1] > x[u];
				out[bc * To + t] = hi ? x[u + 1] : x[u];
				argmax[bc * To + t] = u + hi;
			}
			continue;
		}
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

/* One row pair of the 2x2 case: out[t] = max of r0[2t], r0[2t+1], r1[2t],
 * r1[2t+1], taken in that order with ">" (first on ties, as the general
 * loop). Branch-free: winners depend on the data, and branches on them are
 * mispredicted about half the time. */
static void maxpool2x2_row(float *restrict y, int *restrict am, const float *restrict r0,
                           const float *restrict r1, int To, int base, int T)
{
	for (int t = 0; t < To; t++) {
		int u = 2 * t;
		float a = r0[u], b = r0[u + 1], c = r1[u], d = r1[u + 1];
		int hb = b > a;
		float m = hb ? b : a;
		int k = u + hb;
		int hc = c > m;
		m = hc ? c : m;
		k = hc ? u + T : k;
		int hd = d > m;
		m = hd ? d : m;
		k = hd ? u + 1 + T : k;
		y[t] = m;
		am[t] = base + k;
	}
}

static void maxpool2x2_row_values(float *restrict y, const float *restrict r0,
                                  const float *restrict r1, int To)
{
	for (int t = 0; t < To; t++) {
		int u = 2 * t;
		float m = r0[u];
		m = r0[u + 1] > m ? r0[u + 1] : m;
		m = r1[u] > m ? r1[u] : m;
		m = r1[u + 1] > m ? r1[u + 1] : m;
		y[t] = m;
	}
}

void ser_maxpool2d_forward(float *out, int *argmax, const float *inp, int B, int C, int F,
                           int T, int pf, int pt)
{
	const int Fo = F / pf, To = T / pt;
	for (size_t bc = 0; bc < (size_t)B * C; bc++) {
		const float *x = inp + bc * F * T;
		float *y = out + bc * Fo * To;
		int *am = argmax ? argmax + bc * Fo * To : NULL;
		if (pf == 2 && pt == 2) { /* the common case, same winners as below */
			for (int f = 0; f < Fo; f++) {
				const float *r0 = x + (size_t)2 * f * T, *r1 = r0 + T;
				if (am)
					maxpool2x2_row(y + f * To, am + f * To, r0, r1, To, 2 * f * T, T);
				else
					maxpool2x2_row_values(y + f * To, r0, r1, To);
			}
			continue;
		}
		for (int f = 0; f < Fo; f++)
			for (int t = 0; t < To; t++) {
				int best = f * pf * T + t * pt;
				for (int u = 0; u < pf; u++)
					for (int v = 0; v < pt; v++) {
						int k = (f * pf + u) * T + t * pt + v;
						if (x[k] > x[best])
							best = k;
					}
				y[f * To + t] = x[best];
				if (am)
					am[f * To + t] = best;
			}
	}
}

void ser_maxpool2d_backward(float *dinp, const float *dout, const int *argmax, int B, int C,
                            int F, int T, int pf, int pt)
{
	const size_t no = (size_t)(F / pf) * (T / pt);
	for (size_t bc = 0; bc < (size_t)B * C; bc++)
		for (size_t k = 0; k < no; k++)
			dinp[bc * F * T + argmax[bc * no + k]] += dout[bc * no + k];
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
				int L = len_of(len, n, T);
				sum += row_sum(inp + ((size_t)n * C + c) * T, L);
				cnt += L;
			}
			double m = cnt ? sum / (double)cnt : 0.0;
			for (int n = 0; n < B; n++)
				ss += row_ssd(inp + ((size_t)n * C + c) * T, len_of(len, n, T), (float)m);
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
			const float *restrict x = inp + ((size_t)n * C + c) * T;
			float *restrict y = out + ((size_t)n * C + c) * T;
			int L = len_of(len, n, T);
			row_affine(y, x, L, g, mu, bb);
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
			int L = len_of(len, n, T);
			row_sum_gx(dout + ((size_t)n * C + c) * T, inp + ((size_t)n * C + c) * T, L, mu,
			           &sg, &sgx);
			cnt += L;
		}
		sgx *= rs;
		dbeta[c] += (float)sg;
		dgamma[c] += (float)sgx;
		if (!dinp || cnt == 0)
			continue;
		/* dx = gamma*rstd/N * (N*g - sum g - xhat * sum g*xhat) */
		float k = gamma[c] * rs / (float)cnt;
		float mg = (float)sg, mgx = (float)sgx, N = (float)cnt;
		for (int n = 0; n < B; n++) {
			const float *restrict x = inp + ((size_t)n * C + c) * T;
			const float *restrict g = dout + ((size_t)n * C + c) * T;
			float *restrict dx = dinp + ((size_t)n * C + c) * T;
			int L = len_of(len, n, T);
			row_bn_dx(dx, g, x, L, k, N, mg, mu, rs, mgx);
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
			double sum = row_sum(x, L);
			double m = L > 0 ? sum / L : 0.0;
			double ss = row_ssd(x, L, (float)m);
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
			const float *restrict x = inp + ((size_t)n * C + c) * T;
			float *restrict dx = dinp + ((size_t)n * C + c) * T;
			float m = out[(size_t)n * 2 * C + c], sd = out[(size_t)n * 2 * C + C + c];
			float gm = dout[(size_t)n * 2 * C + c] / (float)L;
			float gs = dout[(size_t)n * 2 * C + C + c] / ((float)L * sd);
			/* d sd / dx_t = (x_t - mean) / (L sd) */
			row_add_affine(dx, x, L, gm, gs, m);
		}
	}
}
