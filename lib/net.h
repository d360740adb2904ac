/* A sequential network built from an architecture spec string, with
 * training (forward + backward, data-parallel over threads) and inference
 * passes. ALL parameters live in one float block (trainable ones first,
 * then the batchnorm running statistics), gradients in a second block of
 * the same size.
 *
 * Architecture spec: layers separated by spaces, fields by ':'.
 *   conv:N:K[:same|valid[:S[:D]]]  1D conv, N filters, width K, padding
 *                                  (default same), stride S (1), dilation D (1)
 *   conv2d:N:KF[:KT]  2D conv over (rows, frames), N filters KF x KT (KT
 *                  default KF), stride 1, same padding ((K-1)/2 before)
 *   maxpool2d:PF[:PT] max over non-overlapping PF x PT windows (PT default PF)
 *   dense[:N]      fully connected; N omitted: n_classes (only as last layer)
 *   relu
 *   dropout:P      inverted dropout, 0 <= P < 1
 *   maxpool:S[:STRIDE], avgpool:S[:STRIDE]   over time, STRIDE default S
 *   bn[:MOMENTUM[:EPS]]   batchnorm per channel, defaults 0.99, 1e-3 (Keras)
 *   stats          mean and std over valid frames per channel -> 2C (eps 1e-5)
 *   flatten        (C, T) -> C*T; needs a fixed input length
 * 2D layers: the activation (B, C, T) is read as (B, ch, rows, T) with
 * C = ch * rows; the first 2D layer after a 1D one takes rows = C, ch = 1
 * (a frame's values as the rows of an image). 1D layers after 2D ones see
 * ch * rows channels (bn normalises per channel and row); conv, dense,
 * stats and flatten end the 2D view.
 * The last layer must be dense with n_classes outputs; softmax is implicit.
 * dense on a (C, T) activation needs T == 1 (else flatten or stats first).
 * Examples:
 *   "conv:64:5:same relu dropout:0.2 flatten dense:8"   (the original project)
 *   "conv:64:5 bn relu maxpool:2 conv:128:5 bn relu maxpool:2 conv:128:3 bn relu stats dense:128 relu dropout:0.3 dense:8"
 *
 * Variable lengths: a batch (B, C, T) carries lengths[b] <= T valid
 * frames; every time-axis layer maps the lengths like the frame count
 * (conv/pool T_out formulas) and zeroes frames beyond them, batchnorm and
 * stats use only valid frames. So a sequence gives the same outputs alone
 * (ser_net_forward) as padded inside a batch in eval mode.
 *
 * Threads and determinism: a batch is split into `threads` contiguous
 * shards (shard s: samples [s*B/n, (s+1)*B/n)); each thread has its own
 * activation and gradient buffers; shard gradients are added into the
 * net's gradient block in shard order 0..n-1 after all finish. Batchnorm
 * in training uses PER-SHARD batch statistics (ghost batch norm); the
 * running statistics move by the mean of the shard statistics (in shard
 * order). So the same seed and the same thread count give bit-identical
 * parameters; different thread counts give (slightly) different models.
 * Dropout masks depend only on (seed, layer, sample index in the batch),
 * not on sharding. */
#ifndef SER_NET_H
#define SER_NET_H

#include <stddef.h>
#include <stdint.h>
#include "ser.h"

#define SER_NET_LAYERS_MAX 64
#define SER_NET_ARCH_MAX 4096        /* bytes of an arch spec */
#define SER_NET_WIDTH_MAX 65536      /* channels / units of one layer */
#define SER_NET_KERNEL_MAX 1024
#define SER_NET_PARAMS_MAX 100000000 /* floats */
#define SER_NET_THREADS_MAX 64

typedef struct ser_net ser_net;

/* Named architectures: "seed" (the original project: 40 mean MFCCs as a
 * length-40, 1-channel sequence) and "cnn" (the BN + stats example over
 * frame sequences, variable length). Returns the spec (with a final
 * "dense" that takes n_classes) or NULL for an unknown name. */
const char *ser_net_arch_preset(const char *name);

/* 1 when the spec has a 2D layer (conv2d): such a net reads each frame's
 * values as the rows of an image, so its frames should be log mel energies,
 * not cepstra. 0 otherwise (also for a spec that does not parse). */
int ser_net_arch_2d(const char *arch);

/* Builds the net for inputs of in_channels channels and in_length frames
 * (0 = variable length; flatten then refused). Checks the spec and every
 * size against the limits above; parameters are zero until ser_net_init
 * or a copy into ser_net_params(). */
ser_net *ser_net_new(const char *arch, int in_channels, int in_length, int n_classes,
                     ser_error *err);
void ser_net_free(ser_net *net);

const char *ser_net_arch(const ser_net *net);  /* the spec as given */
int ser_net_in_channels(const ser_net *net);
int ser_net_in_length(const ser_net *net);     /* 0: variable */
int ser_net_classes(const ser_net *net);
/* Smallest input length (frames) the net accepts (>= 1). */
int ser_net_min_length(const ser_net *net);

/* Parameter block: nparams floats; the first ntrainable are trained (and
 * have gradients); the rest are batchnorm running means/variances. */
size_t ser_net_nparams(const ser_net *net);
size_t ser_net_ntrainable(const ser_net *net);
float *ser_net_params(ser_net *net);
/* Checks loaded parameters: every value finite and every batchnorm
 * running variance >= 0 (a negative one makes eval-mode outputs NaN).
 * SER_EFORMAT naming the layer on failure. */
int ser_net_check_params(const ser_net *net, ser_error *err);
/* Gradient block, nparams floats (the non-trainable tail stays 0). */
float *ser_net_grads(ser_net *net);
void ser_net_zero_grad(ser_net *net);

/* Fine-tuning. Layers that have trainable parameters (conv, conv2d,
 * dense, bn), in order; the offset in the parameter block of the first
 * trainable parameter of the last n of them (0 when n covers them all):
 * training only [offset, ntrainable) trains those layers. */
int ser_net_param_layers(const ser_net *net);
size_t ser_net_tail_offset(const ser_net *net, int n);
/* Marks parameters [0, offset) as fixed: training leaves the running
 * statistics of batchnorm layers there as they are (the caller leaves
 * their weights alone by not stepping them). 0: none fixed (default). */
void ser_net_freeze(ser_net *net, size_t offset);
/* Copies the parameters of src into dst, two nets of one architecture
 * that differ at most in the class count: every layer but the last (and
 * every batchnorm running statistic) as it is; in the last (dense) layer,
 * class c of dst takes the weights and bias of class map[c] of src, or
 * keeps its own (initialised) ones where map[c] < 0 (map NULL: the same
 * classes). SER_EMISMATCH when the architectures differ. */
int ser_net_transfer(ser_net *dst, const ser_net *src, const int *map, ser_error *err);

enum ser_init_kind { SER_INIT_GLOROT = 0, SER_INIT_HE = 1 };
/* Keras initialisation from seed: kernels glorot_uniform (or he_uniform),
 * biases 0, bn gamma 1 beta 0, running mean 0 variance 1. Layers draw in
 * order from one ser_rng seeded with seed. */
void ser_net_init(ser_net *net, uint64_t seed, int init_kind);

/* An adversary for training (domain-adversarial training, Ganin and
 * Lempitsky 2015): a classifier of K nuisance classes (corpus, speaker)
 * off the output of the net's first stats layer (which must not be its
 * last layer), dense:hidden relu dense:K, softmax cross-entropy. A batch
 * with ser_targets.adv_labels trains it to tell them (its gradient in
 * ser_net_adversary_grads) while the net receives its gradient reversed
 * and scaled by adv_weight: the net learns an embedding from which the
 * nuisance cannot be told. Its parameters are not in the parameter block
 * nor in a saved model. K 0 removes it. SER_EINVAL without a stats layer
 * or for K == 1, hidden < 1; SER_ENOMEM. */
int ser_net_set_adversary(ser_net *net, int K, int hidden, ser_error *err);
/* Its parameters (w1 (H, D), b1, w2 (K, H), b2; 0 and NULL without),
 * their gradient (zeroed by ser_net_zero_grad, added to by a batch), and
 * glorot_uniform initialisation from seed (biases 0). */
size_t ser_net_adversary_nparams(const ser_net *net);
float *ser_net_adversary_params(ser_net *net);
float *ser_net_adversary_grads(ser_net *net);
void ser_net_adversary_init(ser_net *net, uint64_t seed);
/* The last batch's adversary loss (mean over the batch) and the samples
 * whose nuisance class it got right. */
void ser_net_adversary_result(const ser_net *net, double *loss, int *correct);

/* Worker threads for ser_net_train_batch (1..SER_NET_THREADS_MAX, default 1). */
int ser_net_set_threads(ser_net *net, int threads, ser_error *err);

/* One training pass over a batch in train mode (dropout on, batchnorm
 * batch statistics, running statistics updated):
 *   x (B, C, T) inputs, T == in_length for fixed-length nets;
 *   lengths[B] valid frames per sample (NULL: all T; each >= min_length);
 *   labels[B] in [0, n_classes);
 *   class_weights[n_classes] or NULL; label_smoothing in [0, 1);
 *   seed: dropout seed of this step.
 * ADDS the gradient of the mean loss (over B) to the gradient block and
 * returns the mean loss in *loss. If correct is not NULL, *correct is the
 * count of samples whose argmax equals the label. Buffers grow on the
 * first call for a (B, T) and are reused: no allocation after that. */
int ser_net_train_batch(ser_net *net, const float *x, int B, int T, const int *lengths,
                        const int *labels, const float *class_weights, float label_smoothing,
                        uint64_t seed, float *loss, int *correct, ser_error *err);

/* The same with mixup targets: the loss and its gradient are
 * lam * (those for labels) + (1 - lam) * (those for labels2), lam in
 * [0, 1] (the inputs are mixed by the caller); labels2 NULL is plain
 * training. *correct counts argmax == the label of the larger weight. */
int ser_net_train_batch_mix(ser_net *net, const float *x, int B, int T, const int *lengths,
                            const int *labels, const int *labels2, float lam,
                            const float *class_weights, float label_smoothing, uint64_t seed,
                            float *loss, int *correct, ser_error *err);

/* The targets of a training batch, in general: */
typedef struct ser_targets {
	const int *labels;           /* (B) in [0, n_classes) */
	const int *labels2;          /* (B) mixup partners' labels, or NULL */
	float lam;                   /* weight of labels in [0, 1] (1 without mixup) */
	const float *class_weights;  /* (n_classes) or NULL; ignored when sample_weights is set */
	const float *sample_weights; /* (B) loss weight of each sample, or NULL */
	const unsigned char *mask;   /* (B, n_classes) 1 where a class is possible for the
	                                sample (its corpus has it), or NULL: all are; the
	                                loss of a sample is over its possible classes only */
	float label_smoothing;       /* [0, 1), spread over a sample's possible classes */
	const int *adv_labels;       /* (B) in [0, K): the adversary's classes (corpus or
	                                speaker), or NULL: no adversary this batch */
	float adv_weight;            /* >= 0: the gradient the adversary sends into the
	                                net is -adv_weight times its loss's gradient */
} ser_targets;

/* ser_net_train_batch_mix with every kind of target: sample weights and
 * the class mask apply to both targets of a mixed sample (a caller mixing
 * samples of different corpora passes the union of their masks). Each
 * label must be possible under its sample's mask. With sample_weights and
 * mask NULL it is ser_net_train_batch_mix, bit for bit. */
int ser_net_train_batch_targets(ser_net *net, const float *x, int B, int T, const int *lengths,
                                const ser_targets *t, uint64_t seed, float *loss, int *correct,
                                ser_error *err);

/* Eval-mode pass over a batch (no gradients, running statistics), probs
 * (B, n_classes). Single-threaded. Same conventions as above. */
int ser_net_eval_batch(ser_net *net, const float *x, int B, int T, const int *lengths,
                       float *probs, ser_error *err);

/* Inference on one sequence x (C, T), T >= min_length (T == in_length for
 * fixed-length nets); probs (n_classes). Eval mode. Allocates only when T
 * exceeds every T seen before (call ser_net_reserve first to avoid even
 * that, e.g. in a live loop).
 * Memory: a variable-length net whose first stats layer follows only
 * layers that map frames locally (conv, conv2d, pools, bn, relu, dropout:
 * every preset but seed) runs a long sequence in chunks over time: those
 * layers over chunks of the chunk length plus a margin each side (their
 * receptive field), the stats over the gathered (C, T_stats) input of the
 * stats layer. Bit for bit the outputs of one pass (a chunk's core frames
 * see only the frames one pass sees, computed alike), in memory of the
 * chunk plus (C, T_stats), instead of every layer's (C, T) at once. */
int ser_net_forward(ser_net *net, const float *x, int T, float *probs, ser_error *err);
/* Sizes the inference buffers for sequences up to max_T frames (for a
 * chunked net at most one chunk: longer sequences need only chunk_a). */
int ser_net_reserve(ser_net *net, int max_T, ser_error *err);
/* Core frames of an inference chunk (rounded up to the strides' product);
 * 0: the default, max(4096, twice the margin). Tests use small chunks. */
void ser_net_set_chunk(ser_net *net, int frames);

#endif
