/* Sequential network from an architecture spec (see net.h). */
#include "net.h"
#include "nn.h"
#include "optim.h"
#include "rng.h"
#include "workers.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum lkind { L_CONV, L_DENSE, L_RELU, L_DROPOUT, L_MAXPOOL, L_AVGPOOL, L_BN, L_STATS, L_FLATTEN,
             L_CONV2D, L_MAXPOOL2D };

#define STATS_EPS 1e-5f

typedef struct layer {
	int kind;
	int n;                  /* conv filters / dense units */
	int K, pad, stride, dil;/* conv; pools use K (size) and stride */
	float p;                /* dropout rate */
	float momentum, eps;    /* bn */
	int C_in, C_out;        /* channels in and out (dense: features); a 2D
	                         * activation (ch, rows, T) counts ch*rows */
	int rows_in, rows_out;  /* rows (frequency) of a 2D activation, 1 for 1D */
	int K2;                 /* conv2d: kernel frames; maxpool2d: pool frames
	                         * (K: kernel rows / pool rows) */
	size_t w, b;            /* offsets of weights, bias (bn: gamma, beta) */
	size_t rm, rv;          /* bn running mean, variance */
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
} shard;

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
};

const char *ser_net_arch_preset(const char *name)
{
	if (strcmp(name, "seed") == 0)
		return "conv:64:5:same relu dropout:0.2 flatten dense";
	if (strcmp(name, "cnn") == 0)
		return "conv:64:5 bn relu maxpool:2 conv:128:5 bn relu maxpool:2 conv:128:3 bn relu "
		       "stats dense:128 relu dropout:0.3 dense";
	if (strcmp(name, "cnn2d") == 0)   /* over log mel frames (rows = mel bands) */
		return "conv2d:8:3 bn relu maxpool2d:2 conv2d:16:3 bn relu maxpool2d:2 conv2d:32:3 bn "
		       "relu maxpool2d:2 conv:128:3 bn relu stats dense:128 relu dropout:0.3 dense";
	if (strcmp(name, "cnn2d-wide") == 0)   /* the same, 16/24/48 channels: weights/default.ser */
		return "conv2d:16:3 bn relu maxpool2d:2 conv2d:24:3 bn relu maxpool2d:2 conv2d:48:3 bn "
		       "relu maxpool2d:2 conv:128:3 bn relu stats dense:128 relu dropout:0.3 dense";
	return NULL;
}

/* ---- parsing ---- */

static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_float(const char *s, double lo, double hi, float *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = (float)v;
	return 0;
}

/* Splits tok at ':' into at most 6 fields. Returns the count. */
static int fields(char *tok, char **f)
{
	int n = 0;
	for (char *p = tok; n < 6;) {
		f[n++] = p;
		char *c = strchr(p, ':');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	return n;
}

static int parse_layer(layer *L, char *tok, int last, int ncls, ser_error *err)
{
	char *f[6];
	char orig[64];
	snprintf(orig, sizeof orig, "%s", tok);
	int n = fields(tok, f);
	memset(L, 0, sizeof *L);
	L->stride = L->dil = 1;
	const char *k = f[0];
	int bad = 0;
	if (strcmp(k, "conv") == 0) {
		L->kind = L_CONV;
		L->pad = SER_PAD_SAME;
		bad = n < 3 || n > 6 || parse_int(f[1], 1, SER_NET_WIDTH_MAX, &L->n) ||
		      parse_int(f[2], 1, SER_NET_KERNEL_MAX, &L->K);
		if (!bad && n > 3) {
			if (strcmp(f[3], "same") == 0)
				L->pad = SER_PAD_SAME;
			else if (strcmp(f[3], "valid") == 0)
				L->pad = SER_PAD_VALID;
			else
				bad = 1;
		}
		if (!bad && n > 4)
			bad = parse_int(f[4], 1, SER_NET_KERNEL_MAX, &L->stride);
		if (!bad && n > 5)
			bad = parse_int(f[5], 1, SER_NET_KERNEL_MAX, &L->dil);
	} else if (strcmp(k, "conv2d") == 0) {
		L->kind = L_CONV2D;
		bad = n < 3 || n > 4 || parse_int(f[1], 1, SER_NET_WIDTH_MAX, &L->n) ||
		      parse_int(f[2], 1, SER_NET_KERNEL_MAX, &L->K);
		L->K2 = L->K;
		if (!bad && n > 3)
			bad = parse_int(f[3], 1, SER_NET_KERNEL_MAX, &L->K2);
	} else if (strcmp(k, "maxpool2d") == 0) {
		L->kind = L_MAXPOOL2D;
		bad = n < 2 || n > 3 || parse_int(f[1], 1, SER_NET_KERNEL_MAX, &L->K);
		L->K2 = L->K;
		if (!bad && n > 2)
			bad = parse_int(f[2], 1, SER_NET_KERNEL_MAX, &L->K2);
	} else if (strcmp(k, "dense") == 0) {
		L->kind = L_DENSE;
		if (n == 1 && last)
			L->n = ncls;
		else
			bad = n != 2 || parse_int(f[1], 1, SER_NET_WIDTH_MAX, &L->n);
	} else if (strcmp(k, "relu") == 0) {
		L->kind = L_RELU;
		bad = n != 1;
	} else if (strcmp(k, "dropout") == 0) {
		L->kind = L_DROPOUT;
		bad = n != 2 || parse_float(f[1], 0.0, 0.99, &L->p);
	} else if (strcmp(k, "maxpool") == 0 || strcmp(k, "avgpool") == 0) {
		L->kind = k[0] == 'm' ? L_MAXPOOL : L_AVGPOOL;
		bad = n < 2 || n > 3 || parse_int(f[1], 1, SER_NET_KERNEL_MAX, &L->K);
		L->stride = L->K;
		if (!bad && n == 3)
			bad = parse_int(f[2], 1, SER_NET_KERNEL_MAX, &L->stride);
	} else if (strcmp(k, "bn") == 0) {
		L->kind = L_BN;
		L->momentum = 0.99f;
		L->eps = 1e-3f;
		bad = n > 3;
		if (!bad && n > 1)
			bad = parse_float(f[1], 0.0, 1.0, &L->momentum);
		if (!bad && n > 2)
			bad = parse_float(f[2], 1e-12, 1.0, &L->eps);
	} else if (strcmp(k, "stats") == 0) {
		L->kind = L_STATS;
		bad = n != 1;
	} else if (strcmp(k, "flatten") == 0) {
		L->kind = L_FLATTEN;
		bad = n != 1;
	} else {
		return ser_seterr(err, SER_EINVAL, "architecture: unknown layer '%s'", orig);
	}
	if (bad)
		return ser_seterr(err, SER_EINVAL, "architecture: bad layer '%s'", orig);
	return 0;
}

/* Frames out of layer L for T frames in (<= 0: too short). */
static int layer_T(const layer *L, int T)
{
	switch (L->kind) {
	case L_CONV: {
		ser_conv1d_dims d = { .B = 1, .C_in = 1, .T_in = T, .C_out = 1, .K = L->K,
		                      .stride = L->stride, .dilation = L->dil };
		return T < 1 ? 0 : ser_conv1d_setup(&d, L->pad);
	}
	case L_MAXPOOL:
	case L_AVGPOOL:
		return ser_pool_outlen(T, L->K, L->stride);
	case L_MAXPOOL2D:
		return ser_pool_outlen(T, L->K2, L->K2);
	case L_DENSE:
	case L_STATS:
	case L_FLATTEN:
		return T >= 1 ? 1 : 0;
	default:
		return T;
	}
}

static int out_T(const ser_net *net, int T)
{
	for (int i = 0; i < net->nl && T >= 1; i++)
		T = layer_T(&net->l[i], T);
	return T;
}

#define CHUNK_FRAMES 4096      /* default core frames of an inference chunk */
#define CHUNK_LIMIT 1000000    /* strides or margins beyond this: no chunks */

/* The chunk plan of a variable-length net whose first stats layer g (> 0)
 * follows only layers that map frames locally. Layer i of kernel span k_i
 * (frames - 1) and stride s_i, after strides P_i, spoils at most
 * (k_i + s_i) * P_i input frames at an edge that is not the sequence's, so
 * a margin M of their sum keeps a chunk's core exact. */
static void chunk_plan(ser_net *net)
{
	long long P = 1, M = 0;
	int g = -1;
	net->chunk_g = -1;
	for (int i = 0; !net->in_len && i < net->nl && g < 0; i++) {
		const layer *L = &net->l[i];
		long long span = 0, stride = 1;
		switch (L->kind) {
		case L_STATS: g = i; continue;
		case L_CONV: span = (long long)(L->K - 1) * L->dil, stride = L->stride; break;
		case L_CONV2D: span = L->K2 - 1; break;
		case L_MAXPOOL2D: span = L->K2 - 1, stride = L->K2; break;
		case L_MAXPOOL:
		case L_AVGPOOL: span = L->K - 1, stride = L->stride; break;
		case L_BN:
		case L_RELU:
		case L_DROPOUT: break;
		default: return;   /* dense or flatten before any stats */
		}
		M += (span + stride) * P;
		P *= stride;
		if (P > CHUNK_LIMIT || M > CHUNK_LIMIT)
			return;
	}
	if (g < 1)
		return;
	M = (M + P - 1) / P * P;
	net->chunk_g = g;
	net->chunk_P = (int)P;
	net->chunk_M = (int)M;
	ser_net_set_chunk(net, 0);
}

void ser_net_set_chunk(ser_net *net, int frames)
{
	long long P = net->chunk_P, len = frames > 0 ? frames : CHUNK_FRAMES;
	if (net->chunk_g < 0)
		return;
	if (!frames && len < 2LL * net->chunk_M)
		len = 2LL * net->chunk_M;
	net->chunk_len = (int)((len + P - 1) / P * P);
}

ser_net *ser_net_new(const char *arch, int in_channels, int in_length, int n_classes,
                     ser_error *err)
{
	if (!arch || strlen(arch) >= SER_NET_ARCH_MAX) {
		ser_seterr(err, SER_ELIMIT, "architecture spec longer than %d bytes", SER_NET_ARCH_MAX - 1);
		return NULL;
	}
	if (in_channels < 1 || in_channels > SER_NET_WIDTH_MAX || in_length < 0 ||
	    in_length > 100000000 || n_classes < 2 || n_classes > SER_NET_WIDTH_MAX) {
		ser_seterr(err, SER_EINVAL, "network: bad input channels %d, length %d or classes %d",
		           in_channels, in_length, n_classes);
		return NULL;
	}
	ser_net *net = calloc(1, sizeof *net);
	char *buf = strdup(arch);
	if (!net || !buf || !(net->arch = strdup(arch))) {
		free(net ? net->arch : NULL), free(net), free(buf);
		ser_seterr(err, SER_ENOMEM, "network: out of memory");
		return NULL;
	}
	/* net.c runs one thread per shard of a batch: BLAS calls stay on the
	 * calling thread (also keeps sums in a fixed order). */
	openblas_set_num_threads(1);
	net->in_c = in_channels;
	net->in_len = in_length;
	net->ncls = n_classes;
	net->threads = 1;
	/* tokens */
	char *toks[SER_NET_LAYERS_MAX + 1];
	int nt = 0;
	for (char *s = strtok(buf, " \t\n"); s; s = strtok(NULL, " \t\n")) {
		if (nt == SER_NET_LAYERS_MAX) {
			ser_seterr(err, SER_ELIMIT, "architecture: more than %d layers", SER_NET_LAYERS_MAX);
			goto fail;
		}
		toks[nt++] = s;
	}
	if (nt == 0) {
		ser_seterr(err, SER_EINVAL, "architecture: no layers");
		goto fail;
	}
	int C = in_channels, T = in_length, vec = 0, R = 1;
	size_t off = 0;
	double total = 0;
	for (int i = 0; i < nt; i++) {
		layer *L = &net->l[i];
		if (parse_layer(L, toks[i], i == nt - 1, n_classes, err) < 0)
			goto fail;
		L->C_in = C;
		L->rows_in = R;
		switch (L->kind) {
		case L_CONV2D: {
			/* the first 2D layer reads the C values of a frame as C rows of one channel */
			int ch = R > 1 ? C / R : 1;
			if (R == 1)
				L->rows_in = R = C;
			if (vec) {
				ser_seterr(err, SER_EINVAL, "architecture: conv2d (layer %d) after a vector layer", i + 1);
				goto fail;
			}
			L->C_out = L->n * R;
			L->w = off, off += (size_t)L->n * ch * L->K * L->K2;
			total += (double)L->n * ch * L->K * L->K2;
			L->b = off, off += L->n;
			break;
		}
		case L_MAXPOOL2D:
			if (R == 1 || R / L->K < 1) {
				ser_seterr(err, SER_EINVAL, "architecture: maxpool2d (layer %d) needs a conv2d "
				           "before it with at least %d rows", i + 1, L->K);
				goto fail;
			}
			L->C_out = C / R * (R / L->K);
			R = R / L->K;
			break;
		case L_CONV:
			L->C_out = L->n;
			L->w = off, off += (size_t)L->n * C * L->K, total += (double)L->n * C * L->K;
			L->b = off, off += L->n;
			break;
		case L_DENSE:
			if (!vec && T != 1) {
				ser_seterr(err, SER_EINVAL, "architecture: dense (layer %d) needs flatten or stats before it", i + 1);
				goto fail;
			}
			L->C_out = L->n;
			L->w = off, off += (size_t)L->n * C, total += (double)L->n * C;
			L->b = off, off += L->n;
			vec = 1;
			break;
		case L_BN:
			L->C_out = C;
			L->w = off, off += C;
			L->b = off, off += C;
			break;
		case L_STATS:
			L->C_out = 2 * C;
			vec = 1;
			break;
		case L_FLATTEN:
			if (in_length == 0) {
				ser_seterr(err, SER_EINVAL, "architecture: flatten needs a fixed input length");
				goto fail;
			}
			total += (double)C * T;
			if ((double)C * T > SER_NET_PARAMS_MAX) {
				ser_seterr(err, SER_ELIMIT, "architecture: flatten size too large");
				goto fail;
			}
			L->C_out = C * T;
			vec = 1;
			break;
		default:
			L->C_out = C;
		}
		if (L->C_out > SER_NET_PARAMS_MAX || total > SER_NET_PARAMS_MAX) {
			ser_seterr(err, SER_ELIMIT, "architecture: more than %d parameters", SER_NET_PARAMS_MAX);
			goto fail;
		}
		C = L->C_out;
		if (L->kind == L_CONV || L->kind == L_DENSE || L->kind == L_STATS || L->kind == L_FLATTEN)
			R = 1;
		L->rows_out = R;
		if (in_length) {
			T = layer_T(L, T);
			if (T < 1) {
				ser_seterr(err, SER_EINVAL, "architecture: input length %d too short at layer %d (%s)",
				           in_length, i + 1, net->l[i].kind == L_CONV ? "conv" : "pool");
				goto fail;
			}
		}
	}
	net->nl = nt;
	if (net->l[nt - 1].kind != L_DENSE || net->l[nt - 1].n != n_classes) {
		ser_seterr(err, SER_EINVAL, "architecture: the last layer must be dense:%d (the class count)",
		           n_classes);
		goto fail;
	}
	net->ntrain = off;
	for (int i = 0; i < nt; i++)
		if (net->l[i].kind == L_BN) {
			net->l[i].rm = off, off += net->l[i].C_in;
			net->l[i].rv = off, off += net->l[i].C_in;
		}
	net->nparams = off;
	if (off > SER_NET_PARAMS_MAX) {
		ser_seterr(err, SER_ELIMIT, "architecture: more than %d parameters", SER_NET_PARAMS_MAX);
		goto fail;
	}
	/* smallest accepted length */
	if (in_length)
		net->min_len = in_length;
	else {
		int t = 1;
		while (t < 1000000 && out_T(net, t) < 1)
			t++;
		if (t == 1000000) {
			ser_seterr(err, SER_EINVAL, "architecture: no input length fits");
			goto fail;
		}
		net->min_len = t;
	}
	chunk_plan(net);
	net->params = calloc(off, sizeof(float));
	net->grad = calloc(off, sizeof(float));
	if (!net->params || !net->grad) {
		ser_seterr(err, SER_ENOMEM, "network: out of memory for %zu parameters", off);
		goto fail;
	}
	free(buf);
	return net;
fail:
	free(buf);
	ser_net_free(net);
	return NULL;
}

/* Layer i's output is its input's buffer: flatten (a reshape), and relu
 * after a layer whose backward does not read its own output (relu(x) > 0
 * exactly when x > 0, so relu backward may test the relu'd values). */
static int act_aliased(const ser_net *net, int i)
{
	enum lkind k = net->l[i].kind, prev = i ? net->l[i - 1].kind : L_FLATTEN;
	if (k == L_FLATTEN)
		return 1;
	return k == L_RELU && i > 0 && (prev == L_CONV || prev == L_CONV2D || prev == L_DENSE ||
	                               prev == L_BN);
}

static void shard_free(ser_net *net, shard *s)
{
	if (s->act)
		for (int i = 0; i < net->nl; i++) {
			if (!act_aliased(net, i))
				free(s->act[i]);
			free(s->mask[i]);
			free(s->argmax[i]);
			free(s->bnstat[i]);
		}
	free(s->act), free(s->mask), free(s->argmax), free(s->bnstat);
	free(s->x), free(s->T), free(s->lens), free(s->ids), free(s->d0), free(s->d1);
	free(s->work), free(s->grad), free(s->probs), free(s->dlogits);
	memset(s, 0, sizeof *s);
}

void ser_net_free(ser_net *net)
{
	if (!net)
		return;
	ser_workers_stop(&net->wk);
	for (int i = 0; i < SER_NET_THREADS_MAX; i++)
		shard_free(net, &net->sh[i]);
	shard_free(net, &net->inf);
	free(net->arch), free(net->params), free(net->grad), free(net->chunk_a);
	free(net);
}

/* Makes room in s for B samples of T frames (grows only). */
static int shard_reserve(ser_net *net, shard *s, int B, int T, int train, ser_error *err)
{
	if (s->act && B <= s->Bcap && T <= s->Tcap && (!train || s->grad))
		return 0;
	if (s->act) {
		if (B < s->Bcap)
			B = s->Bcap;
		if (T < s->Tcap)
			T = s->Tcap;
		train |= s->grad != NULL;
	}
	shard_free(net, s);
	int nl = net->nl, ok = 1;
	size_t xsz = (size_t)B * net->in_c * T, dmax = xsz, wmax = 1;
	s->act = calloc(nl, sizeof *s->act);
	s->mask = calloc(nl, sizeof *s->mask);
	s->argmax = calloc(nl, sizeof *s->argmax);
	s->bnstat = calloc(nl, sizeof *s->bnstat);
	s->T = calloc(nl + 1, sizeof *s->T);
	s->lens = calloc((size_t)(nl + 1) * B, sizeof *s->lens);
	s->ids = calloc(B, sizeof *s->ids);
	s->x = calloc(xsz, sizeof *s->x);
	ok = s->act && s->mask && s->argmax && s->bnstat && s->T && s->lens && s->ids && s->x;
	int t = T;
	for (int i = 0; ok && i < nl; i++) {
		const layer *L = &net->l[i];
		int to = layer_T(L, t);
		if (to < 1)
			to = 1;
		size_t n = (size_t)B * L->C_out * to;
		if (n > dmax)
			dmax = n;
		/* flatten: the (B, C, T) input read as (B, C*T), no copy;
		 * relu in place (act_aliased) */
		if (act_aliased(net, i))
			s->act[i] = i ? s->act[i - 1] : s->x;
		else
			s->act[i] = calloc(n, sizeof(float));
		ok &= s->act[i] != NULL;
		if (L->kind == L_DROPOUT)
			ok &= (s->mask[i] = calloc(n, sizeof(float))) != NULL;
		if (L->kind == L_BN) {
			ok &= (s->mask[i] = calloc(2 * (size_t)L->C_in, sizeof(float))) != NULL;
			ok &= (s->bnstat[i] = calloc(2 * (size_t)L->C_in, sizeof(float))) != NULL;
		}
		if (L->kind == L_MAXPOOL || L->kind == L_MAXPOOL2D)
			ok &= (s->argmax[i] = calloc(n, sizeof(int))) != NULL;
		if (L->kind == L_CONV2D) {
			ser_conv2d_dims d = { .B = 1, .C_in = L->C_in / L->rows_in, .F = L->rows_in,
			                      .T = t, .C_out = L->n, .KF = L->K, .KT = L->K2 };
			size_t w = ser_conv2d_work(&d);
			if (w > wmax)
				wmax = w;
		}
		if (L->kind == L_CONV) {
			ser_conv1d_dims d = { .B = 1, .C_in = L->C_in, .T_in = t, .C_out = L->n, .K = L->K,
			                      .stride = L->stride, .dilation = L->dil };
			ser_conv1d_setup(&d, L->pad);
			if (d.T_out < 1)
				d.T_out = 1;
			size_t w = ser_conv1d_work(&d);
			if (w > wmax)
				wmax = w;
		}
		t = to;
	}
	if (ok) {
		s->work = calloc(wmax, sizeof(float));
		s->probs = calloc((size_t)B * net->ncls, sizeof(float));
		s->dlogits = calloc(2 * (size_t)B * net->ncls, sizeof(float));
		ok = s->work && s->probs && s->dlogits;
	}
	if (ok && train) {
		s->d0 = calloc(dmax, sizeof(float));
		s->d1 = calloc(dmax, sizeof(float));
		s->grad = calloc(net->nparams, sizeof(float));
		ok = s->d0 && s->d1 && s->grad;
	}
	if (!ok) {
		shard_free(net, s);
		return ser_seterr(err, SER_ENOMEM, "network: out of memory for a batch of %d x %d frames", B, T);
	}
	s->Bcap = B;
	s->Tcap = T;
	return 0;
}

/* Zeroes frames t >= len[b] of a (B, C, T) activation. */
static void mask_frames(float *a, int B, int C, int T, const int *len)
{
	for (int b = 0; b < B; b++)
		if (len[b] < T)
			for (int c = 0; c < C; c++)
				memset(a + ((size_t)b * C + c) * T + len[b], 0,
				       (size_t)(T - len[b]) * sizeof(float));
}

/* Forward pass of B samples (T frames, lengths or NULL) through s.
 * train: dropout on and bn batch statistics (into s->bnstat). Leaves
 * logits in s->act[nl-1]. */
static void forward_layers(ser_net *net, shard *s, int B, int i0, int i1, int train,
                           uint64_t seed);

static void forward(ser_net *net, shard *s, const float *x, int B, int T, const int *lengths,
                    int train, uint64_t seed, int b0)
{
	int nl = net->nl;
	memcpy(s->x, x, (size_t)B * net->in_c * T * sizeof(float));
	s->T[0] = T;
	for (int b = 0; b < B; b++) {
		s->lens[b] = lengths ? lengths[b] : T;
		s->ids[b] = (uint64_t)(b0 + b);
	}
	if (lengths)
		mask_frames(s->x, B, net->in_c, T, s->lens);
	forward_layers(net, s, B, 0, nl, train, seed);
}

/* Layers [i0, i1) of the forward pass: the input of layer i0 is in place
 * (s->x or s->act[i0 - 1]) with s->T[i0] frames and lengths s->lens + i0*B. */
static void forward_layers(ser_net *net, shard *s, int B, int i0, int i1, int train,
                           uint64_t seed)
{
	float *P = net->params;
	for (int i = i0; i < i1; i++) {
		const layer *L = &net->l[i];
		const float *in = i ? s->act[i - 1] : s->x;
		float *out = s->act[i];
		int Ti = s->T[i], C = L->C_in;
		int *li = s->lens + (size_t)i * B, *lo = li + B;
		int To = layer_T(L, Ti);
		s->T[i + 1] = To;
		for (int b = 0; b < B; b++)
			lo[b] = layer_T(L, li[b]);
		size_t n = (size_t)B * C * Ti;
		switch (L->kind) {
		case L_CONV: {
			ser_conv1d_dims d = { .B = B, .C_in = C, .T_in = Ti, .C_out = L->n, .K = L->K,
			                      .stride = L->stride, .dilation = L->dil };
			ser_conv1d_setup(&d, L->pad);
			ser_conv1d_forward(out, in, P + L->w, P + L->b, &d, s->work);
			mask_frames(out, B, L->n, To, lo);
			break;
		}
		case L_CONV2D: {
			ser_conv2d_dims d = { .B = B, .C_in = C / L->rows_in, .F = L->rows_in, .T = Ti,
			                      .C_out = L->n, .KF = L->K, .KT = L->K2 };
			ser_conv2d_forward(out, in, P + L->w, P + L->b, &d, s->work);
			mask_frames(out, B, L->C_out, To, lo);
			break;
		}
		case L_MAXPOOL2D:
			ser_maxpool2d_forward(out, train ? s->argmax[i] : NULL, in, B, C / L->rows_in,
			                      L->rows_in, Ti, L->K, L->K2);
			mask_frames(out, B, L->C_out, To, lo);
			break;
		case L_DENSE:
			ser_dense_forward(out, in, P + L->w, P + L->b, B, C, L->n);
			break;
		case L_RELU:
			if (out == in)
				ser_relu_inplace(out, n);
			else
				ser_relu_forward(out, in, n);
			break;
		case L_DROPOUT:
			if (train && L->p > 0)
				ser_dropout_forward(out, s->mask[i], in, B, (size_t)C * Ti, L->p,
				                    ser_rng_mix(seed, (uint64_t)i), s->ids);
			else
				memcpy(out, in, n * sizeof(float));
			break;
		case L_MAXPOOL:
			ser_maxpool_forward(out, s->argmax[i], in, B, C, Ti, L->K, L->stride);
			mask_frames(out, B, C, To, lo);
			break;
		case L_AVGPOOL:
			ser_avgpool_forward(out, in, B, C, Ti, L->K, L->stride);
			mask_frames(out, B, C, To, lo);
			break;
		case L_BN:
			if (train)
				ser_batchnorm_forward(out, s->mask[i], s->mask[i] + C, in, P + L->w, P + L->b,
				                      s->bnstat[i], s->bnstat[i] + C, B, C, Ti, li, 1, 0.0f, L->eps);
			else
				ser_batchnorm_forward(out, s->mask[i], s->mask[i] + C, in, P + L->w, P + L->b,
				                      P + L->rm, P + L->rv, B, C, Ti, li, 0, 0.0f, L->eps);
			break;
		case L_STATS:
			ser_statpool_forward(out, in, B, C, Ti, li, STATS_EPS);
			break;
		case L_FLATTEN: /* out aliases in (shard_reserve) */
			break;
		}
	}
}

/* Backward pass from s->dlogits, adding parameter gradients into G. */
static void backward(ser_net *net, shard *s, int B, float *G)
{
	const float *P = net->params;
	float *dcur = s->dlogits, *bufs[2] = { s->d0, s->d1 };
	int which = 0;
	for (int i = net->nl - 1; i >= 0; i--) {
		const layer *L = &net->l[i];
		const float *in = i ? s->act[i - 1] : s->x;
		int Ti = s->T[i], To = s->T[i + 1], C = L->C_in;
		const int *li = s->lens + (size_t)i * B, *lo = li + B;
		size_t n = (size_t)B * C * Ti;
		float *din = NULL;
		if (L->kind == L_FLATTEN) { /* gradient passes through unchanged */
			if (i == 0)
				break;
			continue;
		}
		if (i > 0) {
			din = bufs[which];
			which ^= 1;
			/* relu and dropout write all of din (= the += of nn.c on zeros) */
			if (L->kind != L_RELU && L->kind != L_DROPOUT)
				memset(din, 0, n * sizeof(float));
		}
		switch (L->kind) {
		case L_CONV: {
			ser_conv1d_dims d = { .B = B, .C_in = C, .T_in = Ti, .C_out = L->n, .K = L->K,
			                      .stride = L->stride, .dilation = L->dil };
			ser_conv1d_setup(&d, L->pad);
			mask_frames(dcur, B, L->n, To, lo);
			ser_conv1d_backward(din, G + L->w, G + L->b, dcur, in, P + L->w, &d, s->work);
			break;
		}
		case L_CONV2D: {
			ser_conv2d_dims d = { .B = B, .C_in = C / L->rows_in, .F = L->rows_in, .T = Ti,
			                      .C_out = L->n, .KF = L->K, .KT = L->K2 };
			mask_frames(dcur, B, L->C_out, To, lo);
			ser_conv2d_backward(din, G + L->w, G + L->b, dcur, in, P + L->w, &d, s->work);
			break;
		}
		case L_MAXPOOL2D:
			mask_frames(dcur, B, L->C_out, To, lo);
			if (din)
				ser_maxpool2d_backward(din, dcur, s->argmax[i], B, C / L->rows_in, L->rows_in, Ti,
				                       L->K, L->K2);
			break;
		case L_DENSE:
			ser_dense_backward(din, G + L->w, G + L->b, dcur, in, P + L->w, B, C, L->n);
			break;
		case L_RELU:
			if (din)
				ser_relu_backward_set(din, dcur, in, n);
			break;
		case L_DROPOUT:
			if (din) {
				if (L->p > 0 && i > 1 && net->l[i - 1].kind == L_RELU) {
					/* and the relu below: din is relu's input gradient */
					ser_dropout_relu_backward_set(din, dcur, s->mask[i], s->act[i - 2], n);
					i--;
				} else if (L->p > 0)
					ser_dropout_backward_set(din, dcur, s->mask[i], n);
				else
					memcpy(din, dcur, n * sizeof(float));
			}
			break;
		case L_MAXPOOL:
			mask_frames(dcur, B, C, To, lo);
			if (din)
				ser_maxpool_backward(din, dcur, s->argmax[i], B, C, Ti, L->K, L->stride);
			break;
		case L_AVGPOOL:
			mask_frames(dcur, B, C, To, lo);
			if (din)
				ser_avgpool_backward(din, dcur, B, C, Ti, L->K, L->stride);
			break;
		case L_BN:
			ser_batchnorm_backward(din, G + L->w, G + L->b, dcur, in, s->mask[i], s->mask[i] + C,
			                       P + L->w, B, C, Ti, li);
			break;
		case L_STATS:
			if (din)
				ser_statpool_backward(din, dcur, s->act[i], in, B, C, Ti, li);
			break;
		case L_FLATTEN:
			break;
		}
		if (!din)
			break;
		dcur = din;
	}
}

static int argmax_row(const float *p, int n)
{
	int best = 0;
	for (int j = 1; j < n; j++)
		if (p[j] > p[best])
			best = j;
	return best;
}

/* Loss and dlogits (B, n) of one target set of the shard's job. */
static float shard_loss(const ser_net *net, shard *s, float *dlogits, const int *labels)
{
	const float *z = s->act[net->nl - 1];
	if (!s->jw && !s->jmask)
		return ser_crossentropy_forward_backward(s->probs, dlogits, z, labels, s->jB, net->ncls,
		                                         s->jcw, s->jsmooth, s->jnorm);
	return ser_crossentropy_masked_forward_backward(s->probs, dlogits, z, labels, s->jmask, s->jB,
	                                                net->ncls, s->jw, s->jsmooth, s->jnorm);
}

static void run_shard(ser_net *net, shard *s)
{
	int B = s->jB, n = net->ncls;
	memset(s->grad, 0, net->ntrain * sizeof(float));
	forward(net, s, s->jx, B, s->jT, s->jlen, 1, s->jseed, s->jb0);
	s->loss = shard_loss(net, s, s->dlogits, s->jlab);
	if (s->jlab2) {
		/* mixup: lam * (loss, gradient) for jlab + (1 - lam) * for jlab2 */
		float *d2 = s->dlogits + (size_t)B * n, lam = s->jlam;
		float l2 = shard_loss(net, s, d2, s->jlab2);
		s->loss = lam * s->loss + (1 - lam) * l2;
		for (size_t k = 0; k < (size_t)B * n; k++)
			s->dlogits[k] = lam * s->dlogits[k] + (1 - lam) * d2[k];
	}
	s->correct = 0;
	for (int b = 0; b < B; b++)
		s->correct += argmax_row(s->probs + (size_t)b * n, n) ==
		              (s->jlab2 && s->jlam < 0.5f ? s->jlab2[b] : s->jlab[b]);
	backward(net, s, B, s->grad);
}

/* Shard i of the batch: a job of the workers. */
static void shard_job(void *ctx, int i)
{
	ser_net *net = ctx;
	run_shard(net, &net->sh[i]);
}

static int check_batch(const ser_net *net, int B, int T, const int *lengths, ser_error *err)
{
	if (B < 1 || T < net->min_len || (net->in_len && T != net->in_len))
		return ser_seterr(err, SER_EINVAL, "batch of %d x %d frames: the net needs %s %d frames",
		                  B, T, net->in_len ? "exactly" : "at least",
		                  net->in_len ? net->in_len : net->min_len);
	if ((double)B * net->in_c * T > 1e9)
		return ser_seterr(err, SER_ELIMIT, "batch of %d x %d frames is too large", B, T);
	if (lengths)
		for (int b = 0; b < B; b++)
			if (lengths[b] < net->min_len || lengths[b] > T)
				return ser_seterr(err, SER_EINVAL, "sample %d: length %d outside [%d, %d]", b,
				                  lengths[b], net->min_len, T);
	return 0;
}

int ser_net_train_batch(ser_net *net, const float *x, int B, int T, const int *lengths,
                        const int *labels, const float *class_weights, float label_smoothing,
                        uint64_t seed, float *loss, int *correct, ser_error *err)
{
	return ser_net_train_batch_mix(net, x, B, T, lengths, labels, NULL, 1.0f, class_weights,
	                               label_smoothing, seed, loss, correct, err);
}

int ser_net_train_batch_mix(ser_net *net, const float *x, int B, int T, const int *lengths,
                            const int *labels, const int *labels2, float lam,
                            const float *class_weights, float label_smoothing, uint64_t seed,
                            float *loss, int *correct, ser_error *err)
{
	ser_targets t = { labels, labels2, lam, class_weights, NULL, NULL, label_smoothing };
	return ser_net_train_batch_targets(net, x, B, T, lengths, &t, seed, loss, correct, err);
}

static int check_targets(const ser_net *net, const ser_targets *t, int B, ser_error *err)
{
	const int *labels = t->labels, *labels2 = t->labels2;
	for (int b = 0; b < B; b++) {
		const unsigned char *ok = t->mask ? t->mask + (size_t)b * net->ncls : NULL;
		int out1 = labels[b] < 0 || labels[b] >= net->ncls;
		if (out1 || (labels2 && (labels2[b] < 0 || labels2[b] >= net->ncls)))
			return ser_seterr(err, SER_EINVAL, "sample %d: label %d outside [0, %d)", b,
			                  out1 ? labels[b] : labels2[b], net->ncls);
		if (ok && (!ok[labels[b]] || (labels2 && !ok[labels2[b]])))
			return ser_seterr(err, SER_EINVAL, "sample %d: label %d is not one of the sample's "
			                  "possible classes", b, ok[labels[b]] ? labels2[b] : labels[b]);
		if (t->sample_weights && !(t->sample_weights[b] >= 0 && isfinite(t->sample_weights[b])))
			return ser_seterr(err, SER_EINVAL, "sample %d: weight %g is not a finite number "
			                  ">= 0", b, t->sample_weights[b]);
	}
	return 0;
}

int ser_net_train_batch_targets(ser_net *net, const float *x, int B, int T, const int *lengths,
                                const ser_targets *t, uint64_t seed, float *loss, int *correct,
                                ser_error *err)
{
	const int *labels = t->labels, *labels2 = t->labels2;
	float lam = t->lam, label_smoothing = t->label_smoothing;
	const float *class_weights = t->class_weights;
	int rc = check_batch(net, B, T, lengths, err);
	if (rc < 0 || (rc = check_targets(net, t, B, err)) < 0)
		return rc;
	if (!(lam >= 0 && lam <= 1))
		return ser_seterr(err, SER_EINVAL, "mixup weight %g outside [0, 1]", lam);
	if (!(label_smoothing >= 0 && label_smoothing < 1))
		return ser_seterr(err, SER_EINVAL, "label smoothing %g outside [0, 1)", label_smoothing);
	int nsh = net->threads < B ? net->threads : B;
	for (int i = 0; i < nsh; i++) {
		int b0 = (int)((long)i * B / nsh), b1 = (int)((long)(i + 1) * B / nsh);
		if ((rc = shard_reserve(net, &net->sh[i], b1 - b0, T, 1, err)) < 0)
			return rc;
		shard *s = &net->sh[i];
		s->jx = x + (size_t)b0 * net->in_c * T;
		s->jlen = lengths ? lengths + b0 : NULL;
		s->jlab = labels + b0;
		s->jlab2 = labels2 ? labels2 + b0 : NULL;
		s->jlam = lam;
		s->jcw = class_weights;
		s->jw = t->sample_weights ? t->sample_weights + b0 : NULL;
		s->jmask = t->mask ? t->mask + (size_t)b0 * net->ncls : NULL;
		s->jsmooth = label_smoothing;
		s->jnorm = (float)B;
		s->jB = b1 - b0;
		s->jT = T;
		s->jb0 = b0;
		s->jseed = seed;
	}
	net->nsh = nsh;
	if (net->wk.on && net->wk.threads != net->threads)
		ser_workers_stop(&net->wk);
	if (nsh > 1 && net->wk.threads != net->threads)
		ser_workers_start(&net->wk, net->threads, shard_job, net);
	if (net->wk.on && nsh > 1) {
		ser_workers_run(&net->wk, nsh);
	} else {
		for (int i = 0; i < nsh; i++)
			run_shard(net, &net->sh[i]);
	}
	/* reduce in fixed shard order */
	double l = 0;
	int corr = 0;
	for (int i = 0; i < nsh; i++) {
		const float *g = net->sh[i].grad;
		for (size_t k = 0; k < net->ntrain; k++)
			net->grad[k] += g[k];
		l += net->sh[i].loss;
		corr += net->sh[i].correct;
	}
	for (int li = 0; li < net->nl; li++) {
		const layer *L = &net->l[li];
		if (L->kind != L_BN || L->w < net->frozen)
			continue;
		float *rm = net->params + L->rm, *rv = net->params + L->rv;
		for (int c = 0; c < L->C_in; c++) {
			float m = 0, v = 0;
			for (int i = 0; i < nsh; i++) {
				m += net->sh[i].bnstat[li][c];
				v += net->sh[i].bnstat[li][L->C_in + c];
			}
			m /= (float)nsh, v /= (float)nsh;
			rm[c] = L->momentum * rm[c] + (1.0f - L->momentum) * m;
			rv[c] = L->momentum * rv[c] + (1.0f - L->momentum) * v;
		}
	}
	if (loss)
		*loss = (float)l;
	if (correct)
		*correct = corr;
	return 0;
}

int ser_net_eval_batch(ser_net *net, const float *x, int B, int T, const int *lengths,
                       float *probs, ser_error *err)
{
	int rc = check_batch(net, B, T, lengths, err);
	if (rc < 0 || (rc = shard_reserve(net, &net->inf, B, T, 0, err)) < 0)
		return rc;
	forward(net, &net->inf, x, B, T, lengths, 0, 0, 0);
	ser_softmax_forward(probs, net->inf.act[net->nl - 1], B, net->ncls);
	return 0;
}

/* Layers [0, g) over the chunks of x (C0, T), their cores gathered into
 * chunk_a (C, T_g); then stats over all of it and the layers after, as
 * one pass would (the same values: a core's frames see only real data). */
static int forward_chunked(ser_net *net, const float *x, int T, float *probs, ser_error *err)
{
	shard *s = &net->inf;
	int g = net->chunk_g, P = net->chunk_P, M = net->chunk_M, L = net->chunk_len;
	int C = net->l[g].C_in, Tg = T, rc;
	for (int i = 0; i < g; i++)
		Tg = layer_T(&net->l[i], Tg);
	if ((rc = shard_reserve(net, s, 1, L + 2 * M, 0, err)) < 0)
		return rc;
	if ((size_t)C * Tg > net->chunk_acap) {
		float *a = realloc(net->chunk_a, (size_t)C * Tg * sizeof *a);
		if (!a)
			return ser_seterr(err, SER_ENOMEM, "network: out of memory for %d frames", T);
		net->chunk_a = a;
		net->chunk_acap = (size_t)C * Tg;
	}
	for (int c0 = 0, last = 0; !last; c0 += L) {
		last = T - c0 <= L + M;   /* the margin reaches the end: the rest in this chunk */
		int c1 = last ? T : c0 + L;
		int s0 = c0 > M ? c0 - M : 0, n = (last ? T : c1 + M) - s0;
		for (int ch = 0; ch < net->in_c; ch++)
			memcpy(s->x + (size_t)ch * n, x + (size_t)ch * T + s0, (size_t)n * sizeof *x);
		s->T[0] = s->lens[0] = n;
		s->ids[0] = 0;
		forward_layers(net, s, 1, 0, g, 0, 0);
		int To = s->T[g], j0 = c0 / P, j1 = last || c1 / P > Tg ? Tg : c1 / P, off = s0 / P;
		if (j1 - off > To || j0 > j1)
			return ser_seterr(err, SER_EINVAL, "network: chunk of %d frames too short", n);
		for (int ch = 0; ch < C; ch++)
			memcpy(net->chunk_a + (size_t)ch * Tg + j0, s->act[g - 1] + (size_t)ch * To + (j0 - off),
			       (size_t)(j1 - j0) * sizeof *x);
	}
	s->T[g] = s->lens[g] = Tg;
	ser_statpool_forward(s->act[g], net->chunk_a, 1, C, Tg, s->lens + g, STATS_EPS);
	s->T[g + 1] = s->lens[g + 1] = 1;
	forward_layers(net, s, 1, g + 1, net->nl, 0, 0);
	ser_softmax_forward(probs, s->act[net->nl - 1], 1, net->ncls);
	return 0;
}

int ser_net_forward(ser_net *net, const float *x, int T, float *probs, ser_error *err)
{
	if (net->chunk_g > 0 && T > net->chunk_len + 2 * net->chunk_M) {
		int rc = check_batch(net, 1, T, NULL, err);
		return rc < 0 ? rc : forward_chunked(net, x, T, probs, err);
	}
	return ser_net_eval_batch(net, x, 1, T, NULL, probs, err);
}

int ser_net_reserve(ser_net *net, int max_T, ser_error *err)
{
	if (max_T < net->min_len)
		max_T = net->min_len;
	if (net->chunk_g > 0 && max_T > net->chunk_len + 2 * net->chunk_M)
		max_T = net->chunk_len + 2 * net->chunk_M;   /* longer inputs go in chunks */
	return shard_reserve(net, &net->inf, 1, max_T, 0, err);
}

int ser_net_set_threads(ser_net *net, int threads, ser_error *err)
{
	if (threads < 1 || threads > SER_NET_THREADS_MAX)
		return ser_seterr(err, SER_EINVAL, "threads %d outside [1, %d]", threads, SER_NET_THREADS_MAX);
	net->threads = threads;
	return 0;
}

void ser_net_init(ser_net *net, uint64_t seed, int init_kind)
{
	ser_rng r;
	ser_rng_seed(&r, seed);
	float *P = net->params;
	memset(P, 0, net->nparams * sizeof(float));
	for (int i = 0; i < net->nl; i++) {
		const layer *L = &net->l[i];
		size_t nw;
		int fi, fo;
		switch (L->kind) {
		case L_CONV2D:
		case L_CONV:
		case L_DENSE:
			fi = L->C_in * (L->kind == L_CONV ? L->K : 1);
			fo = L->n * (L->kind == L_CONV ? L->K : 1);
			if (L->kind == L_CONV2D) {
				fi = L->C_in / L->rows_in * L->K * L->K2;
				fo = L->n * L->K * L->K2;
			}
			nw = (size_t)L->n * fi;
			if (init_kind == SER_INIT_HE)
				ser_init_he_uniform(P + L->w, nw, fi, &r);
			else
				ser_init_glorot_uniform(P + L->w, nw, fi, fo, &r);
			break;
		case L_BN:
			for (int c = 0; c < L->C_in; c++) {
				P[L->w + c] = 1.0f;
				P[L->rv + c] = 1.0f;
			}
			break;
		}
	}
}

static int has_params(const layer *L)
{
	return L->kind == L_CONV || L->kind == L_CONV2D || L->kind == L_DENSE || L->kind == L_BN;
}

int ser_net_param_layers(const ser_net *net)
{
	int n = 0;
	for (int i = 0; i < net->nl; i++)
		n += has_params(&net->l[i]);
	return n;
}

size_t ser_net_tail_offset(const ser_net *net, int n)
{
	for (int i = net->nl - 1; i >= 0; i--)
		if (has_params(&net->l[i]) && --n == 0)
			return net->l[i].w;
	return 0;
}

void ser_net_freeze(ser_net *net, size_t offset)
{
	net->frozen = offset;
}

int ser_net_transfer(ser_net *dst, const ser_net *src, const int *map, ser_error *err)
{
	if (strcmp(dst->arch, src->arch) || dst->in_c != src->in_c || dst->in_len != src->in_len ||
	    dst->nl != src->nl || (!map && dst->ncls != src->ncls))
		return ser_seterr(err, SER_EMISMATCH, "architecture differs: '%s' (%d inputs, %d "
		                  "classes) and '%s' (%d inputs, %d classes)", dst->arch, dst->in_c,
		                  dst->ncls, src->arch, src->in_c, src->ncls);
	const layer *ld = &dst->l[dst->nl - 1], *ls = &src->l[src->nl - 1];
	size_t C = (size_t)ld->C_in;
	/* layers before the last: the same offsets in both */
	memcpy(dst->params, src->params, ld->w * sizeof(float));
	memcpy(dst->params + dst->ntrain, src->params + src->ntrain,
	       (src->nparams - src->ntrain) * sizeof(float));
	for (int c = 0; c < dst->ncls; c++) {
		int k = map ? map[c] : c;
		if (k < 0)
			continue;
		if (k >= src->ncls)
			return ser_seterr(err, SER_EINVAL, "class map: %d outside [0, %d)", k, src->ncls);
		memcpy(dst->params + ld->w + c * C, src->params + ls->w + k * C, C * sizeof(float));
		dst->params[ld->b + c] = src->params[ls->b + k];
	}
	return 0;
}

const char *ser_net_arch(const ser_net *net) { return net->arch; }
int ser_net_in_channels(const ser_net *net) { return net->in_c; }
int ser_net_in_length(const ser_net *net) { return net->in_len; }
int ser_net_classes(const ser_net *net) { return net->ncls; }
int ser_net_min_length(const ser_net *net) { return net->min_len; }
size_t ser_net_nparams(const ser_net *net) { return net->nparams; }
size_t ser_net_ntrainable(const ser_net *net) { return net->ntrain; }
float *ser_net_params(ser_net *net) { return net->params; }

int ser_net_check_params(const ser_net *net, ser_error *err)
{
	for (size_t i = 0; i < net->nparams; i++)
		if (!isfinite(net->params[i]))
			return ser_seterr(err, SER_EFORMAT, "parameter %zu is not finite", i);
	for (int i = 0; i < net->nl; i++) {
		const layer *L = &net->l[i];
		if (L->kind != L_BN)
			continue;
		for (int c = 0; c < L->C_in; c++)
			if (net->params[L->rv + c] < 0)
				return ser_seterr(err, SER_EFORMAT,
				                  "layer %d (bn): running variance %g of channel %d is negative",
				                  i + 1, net->params[L->rv + c], c);
	}
	return 0;
}
float *ser_net_grads(ser_net *net) { return net->grad; }
void ser_net_zero_grad(ser_net *net) { memset(net->grad, 0, net->nparams * sizeof(float)); }
