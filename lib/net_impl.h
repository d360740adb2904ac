/* Inside the network (net_arch.c: the architecture; net.c: buffers and
 * the passes): the layer record, the shard buffers and the net. Not a
 * public header: programs use net.h. */
#ifndef SER_NET_IMPL_H
#define SER_NET_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "net.h"
#include "nn.h"
#include "rng.h"
#include "workers.h"

enum lkind { L_CONV, L_DENSE, L_RELU, L_DROPOUT, L_MAXPOOL, L_AVGPOOL, L_BN, L_STATS, L_FLATTEN,
             L_CONV2D, L_MAXPOOL2D };

#define STATS_EPS 1e-5f

/* One layer: its kind, its shape in the net, where its parameters are,
 * and the fields of its kind (u.<kind>; the spec's numbers). */
typedef struct layer {
	int kind;               /* enum lkind */
	int C_in, C_out;        /* channels in and out (dense: features); a 2D
	                         * activation (ch, rows, T) counts ch*rows */
	int rows_in, rows_out;  /* rows (frequency) of a 2D activation, 1 for 1D */
	size_t w, b;            /* offsets of weights, bias (bn: gamma, beta) */
	size_t rm, rv;          /* bn running mean, variance */
	/* the fused pair dropout above relu: the dropout's backward does the
	 * relu's too (ser_dropout_relu_backward_set), the relu's does nothing */
	int fused_relu;         /* dropout: fused with the relu below it */
	int fused_above;        /* relu: fused into the dropout above it */
	union {
		struct { int filters, width, pad, stride, dilation; } conv;  /* pad: SER_PAD_* */
		struct { int filters, rows, frames; } conv2d;  /* kernel rows (frequency) x frames */
		struct { int units; } dense;
		struct { float p; } dropout;                   /* rate */
		struct { int size, stride; } pool;             /* maxpool, avgpool: frames */
		struct { int rows, frames; } pool2d;           /* maxpool2d window */
		struct { float momentum, eps; } bn;
	} u;
} layer;

/* Buffers of one shard of a batch (or of inference). */
typedef struct shard {
	int Bcap, Tcap;
	float *x;            /* (B, C0, T) masked input copy */
	float **act;         /* [nl] layer outputs (B, C_out, T_out) */
	float **mask;        /* [nl] dropout masks, bn mean+rstd (2C) */
	int **argmax;        /* [nl] maxpool winners */
	float **bnstat;      /* [nl] bn shard mean, var (2C) */
	int *T;              /* [nl+1] frames at layer inputs (T[nl] output) */
	int *lens;           /* (nl+1, Bcap) valid frames */
	uint64_t *ids;       /* (Bcap) sample ids for dropout */
	float *d0, *d1;      /* activation gradients, max activation size */
	float *work;         /* conv scratch */
	float *grad;         /* (nparams) shard gradient, training only */
	float *probs, *dlogits; /* (Bcap, n_classes) */
	double loss;
	int correct;
	/* job */
	const float *jx;
	const int *jlen, *jlab, *jlab2;  /* jlab2: mixup partner labels, or NULL */
	float jlam;                      /* mixup weight of jlab */
	const float *jcw;
	const float *jw;                 /* (jB) sample weights, or NULL */
	const unsigned char *jmask;      /* (jB, n_classes) possible classes, or NULL */
	float jsmooth, jnorm;
	int jB, jT, jb0;
	uint64_t jseed;
	/* the adversary's (net_adv.c), for acap samples: its hidden units
	 * (B, H), logits and probabilities (B, K), their gradients, the
	 * gradient it sends into the stats layer's output (B, D), its
	 * parameter gradient; the job's labels and reversal weight */
	float *ah, *az, *aprob, *adz, *adh, *adx, *agrad;
	int acap;
	const int *jadv;
	float jadvw;
	double aloss;
	int acorrect;
} shard;

/* A classifier of a nuisance label (corpus, speaker) off the output of
 * the first stats layer (the utterance embedding): dense:H relu dense:K.
 * Its parameters are not the model's: training only. */
typedef struct adversary {
	int K, H, D, at;      /* classes, hidden units, inputs, the stats layer's index */
	size_t n;             /* parameters: w1 (H, D), b1 (H), w2 (K, H), b2 (K) */
	float *params, *grad; /* (n) each; NULL: no adversary */
	double loss;          /* of the last batch: mean cross-entropy, samples it got right */
	int correct;
} adversary;

struct ser_net {
	char *arch;
	int in_c, in_len, ncls, nl, min_len, threads;
	layer l[SER_NET_LAYERS_MAX];
	size_t nparams, ntrain;
	size_t frozen;        /* parameters [0, frozen) fixed: their bn statistics too */
	float *params, *grad;
	shard sh[SER_NET_THREADS_MAX];
	shard inf;
	/* inference over time in chunks (forward_chunked): layers [0, chunk_g)
	 * map frames locally, layer chunk_g is stats; -1: one pass always */
	int chunk_g;
	int chunk_P;          /* frames: product of the strides before chunk_g */
	int chunk_M;          /* frames each side of a chunk (a multiple of chunk_P) */
	int chunk_len;        /* frames of a chunk's core (a multiple of chunk_P) */
	float *chunk_a;       /* (C, T) layer chunk_g's input for a whole sequence */
	size_t chunk_acap;    /* floats chunk_a holds */
	/* workers for shards 1..: started at the first batch of a thread count */
	ser_workers wk;
	int nsh;              /* shards of the current batch */
	adversary adv;
};


/* Frames out of layer L for T frames in (<= 0: too short). */
int net_layer_frames(const layer *L, int T);
/* The conv dimensions of layer L (conv, conv2d) over B samples of T frames. */
ser_conv1d_dims net_conv1d_dims(const layer *L, int B, int T);
ser_conv2d_dims net_conv2d_dims(const layer *L, int B, int T);
/* Layer i's output is its input's buffer (flatten; relu in place). */
int net_act_aliased(const ser_net *net, int i);

/* The adversary (net_adv.c): room for B samples in s; its pass over the
 * shard's job (after the forward pass: loss, parameter gradient, s->adx
 * the reversed gradient for the stats layer's output); s's buffers freed. */
int net_adv_reserve(ser_net *net, shard *s, int B, ser_error *err);
void net_adv_pass(ser_net *net, shard *s);
void net_adv_shard_free(shard *s);

#endif
