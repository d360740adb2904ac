/* Network layers of libser, in the manner of llm.c train_gpt2.c: one
 * forward and one backward function per layer over flat float arrays.
 *
 * Activations are laid out (B, C, T): batch, channels, time, time fastest.
 * A vector (after flatten, stats or dense) is (B, N) = (B, N, 1).
 * Backward functions ACCUMULATE (+=) into every gradient they write
 * (dinp, dw, db, ...): the caller zeroes gradients before a pass.
 * No function here allocates; scratch space, where needed, is passed in
 * with its size given by a *_work function. */
#ifndef SER_NN_H
#define SER_NN_H

#include <stddef.h>
#include <stdint.h>
#include "rng.h"

/* ---- 1D convolution ---------------------------------------------------- */
enum ser_pad { SER_PAD_VALID = 0, SER_PAD_SAME = 1 };

/* Geometry of a 1D convolution. Input (B, C_in, T_in), weights
 * (C_out, C_in, K), bias (C_out), output (B, C_out, T_out) with
 *   out[b,o,t] = bias[o] + sum_{i,k} w[o,i,k] * in[b,i, t*stride + k*dilation - pad_left]
 * (input outside [0, T_in) reads as 0). */
typedef struct ser_conv1d_dims {
	int B, C_in, T_in;
	int C_out, K, stride, dilation;
	int pad_left;  /* frames of zeros before the input */
	int T_out;
} ser_conv1d_dims;

/* Fills pad_left and T_out from the other fields and the padding mode:
 *   valid: pad_left 0, T_out = floor((T_in - (K-1)*dilation - 1) / stride) + 1
 *   same:  pad_left = (K-1)*dilation / 2 (fixed, independent of T_in),
 *          T_out = ceil(T_in / stride)
 * (for stride 1 "same" equals Keras padding="same"; for stride > 1 Keras
 * makes the left padding depend on T_in, we do not, so that a sequence
 * computes the same whether alone or padded in a batch).
 * Returns T_out, or <= 0 when the input is too short. */
int ser_conv1d_setup(ser_conv1d_dims *d, int padding);

/* Floats of scratch that ser_conv1d_forward/backward need. */
size_t ser_conv1d_work(const ser_conv1d_dims *d);

/* out (B, C_out, T_out) = conv(inp (B, C_in, T_in), w (C_out, C_in, K)) + b (C_out).
 * Optimised: per sample, im2col of the input (C_in*K, T_out) in work, then
 * out = w (C_out, C_in*K) . col by cblas_sgemm (BLAS threads: the caller's
 * business; net.c sets OpenBLAS to one). */
void ser_conv1d_forward(float *out, const float *inp, const float *w, const float *b,
                        const ser_conv1d_dims *d, float *work);
/* The same, the plain six-loop reference (kept for tests). */
void ser_conv1d_forward_naive(float *out, const float *inp, const float *w, const float *b,
                              const ser_conv1d_dims *d);
/* dinp (B, C_in, T_in) += ..., dw (C_out, C_in, K) += ..., db (C_out) += ...
 * from dout (B, C_out, T_out). dinp may be NULL (first layer).
 * Optimised: per sample, dw += dout . col^T and dcol = w^T . dout (sgemm),
 * then dinp += col2im(dcol). */
void ser_conv1d_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, const ser_conv1d_dims *d,
                         float *work);
void ser_conv1d_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                               const float *inp, const float *w, const ser_conv1d_dims *d);

/* ---- 2D convolution over (frequency, time) ---------------------------- */
/* Input (B, C_in, F, T) -- the same flat array as (B, C_in*F, T) --,
 * weights (C_out, C_in, KF, KT), bias (C_out), output (B, C_out, F, T):
 * stride 1, "same" zero padding with pf = (KF-1)/2 rows before and
 * pt = (KT-1)/2 frames before (the rest after):
 *   out[b,o,f,t] = bias[o] + sum_{i,u,v} w[o,i,u,v] * in[b,i, f+u-pf, t+v-pt]. */
typedef struct ser_conv2d_dims {
	int B, C_in, F, T, C_out, KF, KT;
} ser_conv2d_dims;
/* Floats of scratch for forward (C_in*KF*KT * F*T) and backward (twice). */
size_t ser_conv2d_work(const ser_conv2d_dims *d);
/* Optimised: per sample, im2col (C_in*KF*KT, F*T) and one cblas_sgemm. */
void ser_conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                        const ser_conv2d_dims *d, float *work);
void ser_conv2d_forward_naive(float *out, const float *inp, const float *w, const float *b,
                              const ser_conv2d_dims *d);
/* dinp (may be NULL), dw, db += ... from dout; as conv1d. */
void ser_conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, const ser_conv2d_dims *d,
                         float *work);
void ser_conv2d_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                               const float *inp, const float *w, const ser_conv2d_dims *d);

/* ---- dense (fully connected) ------------------------------------------- */
/* out (B, n_out) = inp (B, n_in) . w^T + b, w (n_out, n_in), b (n_out).
 * Optimised: cblas_sgemm. */
void ser_dense_forward(float *out, const float *inp, const float *w, const float *b,
                       int B, int n_in, int n_out);
/* dinp (B, n_in) += ..., dw (n_out, n_in) += ..., db (n_out) += ...; dinp may be NULL. */
void ser_dense_backward(float *dinp, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, int B, int n_in, int n_out);
/* The same, plain loops (kept for tests). */
void ser_dense_forward_naive(float *out, const float *inp, const float *w, const float *b,
                             int B, int n_in, int n_out);
void ser_dense_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                              const float *inp, const float *w, int B, int n_in, int n_out);

/* Index of the largest of p[0..n) (the first on ties). */
int ser_argmax(const float *p, int n);

/* ---- ReLU (any shape, n elements; arrays must not overlap) ------------ */
void ser_relu_forward(float *restrict out, const float *restrict inp, size_t n);
/* dinp += dout where inp > 0. */
void ser_relu_backward(float *restrict dinp, const float *restrict dout,
                       const float *restrict inp, size_t n);

/* ---- dropout (inverted) ------------------------------------------------ */
/* Training mode: mask[i] = 0 with probability p, else 1/(1-p);
 * out = inp * mask. The mask of sample b (n_per elements) is drawn from an
 * RNG seeded with ser_rng_mix(seed, sample_id[b]), so it does not depend
 * on how a batch is split into shards. sample_id may be NULL (ids 0..B-1).
 * mask (B * n_per) is kept for backward. */
void ser_dropout_forward(float *out, float *mask, const float *inp, int B, size_t n_per,
                         float p, uint64_t seed, const uint64_t *sample_id);
/* dinp += dout * mask (arrays must not overlap). */
void ser_dropout_backward(float *restrict dinp, const float *restrict dout,
                          const float *restrict mask, size_t n);
/* The same draws along one path of the optimised forward (SER_NN_BEST:
 * the fastest this CPU has); every path gives the bits of the naive
 * reference, one ser_rng_uniform per element. */
enum ser_nn_path { SER_NN_BEST = 0, SER_NN_SCALAR = 1, SER_NN_LANES4 = 2, SER_NN_AVX2 = 3 };
void ser_dropout_forward_path(float *out, float *mask, const float *inp, int B, size_t n_per,
                              float p, uint64_t seed, const uint64_t *sample_id, int path);
void ser_dropout_forward_naive(float *out, float *mask, const float *inp, int B, size_t n_per,
                               float p, uint64_t seed, const uint64_t *sample_id);
/* 1 if the CPU runs the AVX2 path (checked at run time). */
int ser_nn_avx2(void);

/* ---- element-wise kernels of the network's passes -------------------------
 * Optimised (SSE2 4 lanes, scalar tail); each gives exactly the bits of the
 * naive form named, which the unit tests compare at every length 0..40. */
/* a = relu(a) in place: ser_relu_forward(a, a, n). */
void ser_relu_inplace(float *a, size_t n);
/* din = 0 + (inp > 0 ? dout : 0): ser_relu_backward into a zeroed din. */
void ser_relu_backward_set(float *restrict din, const float *restrict dout,
                           const float *restrict inp, size_t n);
/* din = 0 + dout * mask: ser_dropout_backward into a zeroed din. */
void ser_dropout_backward_set(float *restrict din, const float *restrict dout,
                              const float *restrict mask, size_t n);
/* The fused pair dropout then relu (relu input inp): ser_dropout_backward_set
 * into a temporary, then ser_relu_backward_set from it. */
void ser_dropout_relu_backward_set(float *restrict din, const float *restrict dout,
                                   const float *restrict mask, const float *restrict inp,
                                   size_t n);

/* ---- pooling over time --------------------------------------------------- */
/* T_out = floor((T - size) / stride) + 1 (0 if T < size): Keras "valid". */
int ser_pool_outlen(int T, int size, int stride);
/* out (B, C, T_out) = max over each window of inp (B, C, T); argmax
 * (B, C, T_out) keeps the index t of the winner (first on ties). */
void ser_maxpool_forward(float *out, int *argmax, const float *inp, int B, int C, int T,
                         int size, int stride);
void ser_maxpool_backward(float *dinp, const float *dout, const int *argmax, int B, int C,
                          int T, int size, int stride);
void ser_avgpool_forward(float *out, const float *inp, int B, int C, int T, int size, int stride);
void ser_avgpool_backward(float *dinp, const float *dout, int B, int C, int T, int size,
                          int stride);

/* 2D max pooling of (B, C, F, T) over non-overlapping PF x PT windows:
 * out (B, C, F/PF, T/PT) (floors; rows and frames left over are dropped);
 * argmax keeps the winner's index f*T + t within its (F, T) plane (first
 * on ties, rows before frames); argmax NULL: the values only (inference). */
void ser_maxpool2d_forward(float *out, int *argmax, const float *inp, int B, int C, int F,
                           int T, int pf, int pt);
void ser_maxpool2d_backward(float *dinp, const float *dout, const int *argmax, int B, int C,
                            int F, int T, int pf, int pt);

/* ---- batch normalisation over (B, T) per channel ---------------------- */
/* Per channel c, over frames t < len[b] of every sample b (len NULL: all
 * T frames):
 *   train:  mu, var = batch mean and biased variance;
 *           rmean = momentum*rmean + (1-momentum)*mu   (same for rvar)
 *           -- only when rmean/rvar are not NULL;
 *   eval:   mu, var = rmean, rvar.
 *   out = gamma * (inp - mu) / sqrt(var + eps) + beta.
 * Frames t >= len[b] get out = 0. mean, rstd (C) are saved for backward
 * (rstd = 1/sqrt(var+eps)). Keras defaults: momentum 0.99, eps 1e-3.
 * ref: Ioffe & Szegedy 2015, Algorithm 1 and its backward pass. */
void ser_batchnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *gamma, const float *beta, float *rmean, float *rvar,
                           int B, int C, int T, const int *len, int train, float momentum,
                           float eps);
/* Train-mode backward (batch statistics): dinp, dgamma, dbeta (C) += ... */
void ser_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                            const float *inp, const float *mean, const float *rstd,
                            const float *gamma, int B, int C, int T, const int *len);

/* ---- global statistics pooling over time ------------------------------ */
/* out (B, 2C): out[b, c] = mean over t < len[b] of inp[b,c,t],
 * out[b, C+c] = sqrt(var + eps) (biased variance). len NULL: all T
 * frames; every len[b] must be >= 1. */
void ser_statpool_forward(float *out, const float *inp, int B, int C, int T, const int *len,
                          float eps);
void ser_statpool_backward(float *dinp, const float *dout, const float *out, const float *inp,
                           int B, int C, int T, const int *len);

/* ---- flatten: (B, C, T) -> (B, C*T) is the identity on flat arrays ---- */

/* ---- softmax ------------------------------------------------------------ */
/* probs (B, n) = softmax of logits (B, n), max-subtracted. */
void ser_softmax_forward(float *probs, const float *logits, int B, int n);

/* Softmax + sparse cross-entropy. probs (B, n) are written;
 * targets: q = (1-s) * onehot(label) + s/n (label smoothing s in [0, 1));
 * loss_b = -sum_j q_j log p_j, weighted by class_weight[label_b]
 * (class_weight NULL: 1). Returns sum_b w_b loss_b / norm and, when dlogits
 * is not NULL, sets (not accumulates) dlogits (B, n) = w_b (p - q) / norm.
 * norm is the batch size the mean is taken over (Keras: the full batch,
 * also when this is one shard of it). */
float ser_crossentropy_forward_backward(float *probs, float *dlogits, const float *logits,
                                        const int *labels, int B, int n,
                                        const float *class_weight, float smoothing,
                                        float norm);

/* The same over a subset of classes per sample: mask (B, n), 1 where
 * class j is possible for sample b (mask NULL: all are). The softmax of
 * sample b runs over its possible classes only (p_j = 0 elsewhere), the
 * smoothing mass s is spread over those k_b classes (q = (1-s) onehot +
 * s/k_b), and dlogits is 0 at the others; label_b must be possible.
 * weight (B) is each sample's loss weight (NULL: 1). With mask NULL and
 * weight[b] = class_weight[label_b] the results equal those of
 * ser_crossentropy_forward_backward bit for bit. For training on corpora
 * with different class sets: a corpus without "calm" then says nothing
 * about calm. */
float ser_crossentropy_masked_forward_backward(float *probs, float *dlogits, const float *logits,
                                               const int *labels, const unsigned char *mask,
                                               int B, int n, const float *weight,
                                               float smoothing, float norm);

/* ---- initialisers (Keras) ---------------------------------------------- */
/* glorot_uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
 * For conv1d, fan_in = C_in*K, fan_out = C_out*K; dense: n_in, n_out. */
void ser_init_glorot_uniform(float *w, size_t n, int fan_in, int fan_out, ser_rng *r);
/* he_uniform: U(-a, a), a = sqrt(6 / fan_in). */
void ser_init_he_uniform(float *w, size_t n, int fan_in, ser_rng *r);

#endif
