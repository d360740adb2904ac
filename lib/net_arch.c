/* The architecture of a network (see net.h): the spec parsed into layers,
 * their shapes, the parameter layout, the initial values and the chunk
 * plan of long inputs. One row per layer kind holds what is particular to
 * it; the passes are in net.c. */
#include "net_impl.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



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

/* ---- parsing: "kind[:field]..." ---- */

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

#define KMAX SER_NET_KERNEL_MAX
#define WMAX SER_NET_WIDTH_MAX

/* Each parser gets the n fields after the kind's name (f[0..n)) and
 * returns nonzero for a bad layer. */
static int parse_conv(layer *L, char **f, int n, int ncls)
{
	int bad = n < 2 || n > 5 || parse_int(f[0], 1, WMAX, &L->u.conv.filters) ||
	          parse_int(f[1], 1, KMAX, &L->u.conv.width);
	L->u.conv.pad = SER_PAD_SAME;
	L->u.conv.stride = L->u.conv.dilation = 1;
	if (!bad && n > 2) {
		if (strcmp(f[2], "same") == 0)
			L->u.conv.pad = SER_PAD_SAME;
		else if (strcmp(f[2], "valid") == 0)
			L->u.conv.pad = SER_PAD_VALID;
		else
			bad = 1;
	}
	if (!bad && n > 3)
		bad = parse_int(f[3], 1, KMAX, &L->u.conv.stride);
	if (!bad && n > 4)
		bad = parse_int(f[4], 1, KMAX, &L->u.conv.dilation);
	return bad;
}

static int parse_conv2d(layer *L, char **f, int n, int ncls)
{
	int bad = n < 2 || n > 3 || parse_int(f[0], 1, WMAX, &L->u.conv2d.filters) ||
	          parse_int(f[1], 1, KMAX, &L->u.conv2d.rows);
	L->u.conv2d.frames = L->u.conv2d.rows;
	if (!bad && n > 2)
		bad = parse_int(f[2], 1, KMAX, &L->u.conv2d.frames);
	return bad;
}

static int parse_pool2d(layer *L, char **f, int n, int ncls)
{
	int bad = n < 1 || n > 2 || parse_int(f[0], 1, KMAX, &L->u.pool2d.rows);
	L->u.pool2d.frames = L->u.pool2d.rows;
	if (!bad && n > 1)
		bad = parse_int(f[1], 1, KMAX, &L->u.pool2d.frames);
	return bad;
}

/* "dense" alone: the class count (last layer only, ncls > 0 then). */
static int parse_dense(layer *L, char **f, int n, int ncls)
{
	if (n == 0 && ncls > 0) {
		L->u.dense.units = ncls;
		return 0;
	}
	return n != 1 || parse_int(f[0], 1, WMAX, &L->u.dense.units);
}

static int parse_none(layer *L, char **f, int n, int ncls) { return n != 0; }

static int parse_dropout(layer *L, char **f, int n, int ncls)
{
	return n != 1 || parse_float(f[0], 0.0, 0.99, &L->u.dropout.p);
}

static int parse_pool(layer *L, char **f, int n, int ncls)
{
	int bad = n < 1 || n > 2 || parse_int(f[0], 1, KMAX, &L->u.pool.size);
	L->u.pool.stride = L->u.pool.size;
	if (!bad && n == 2)
		bad = parse_int(f[1], 1, KMAX, &L->u.pool.stride);
	return bad;
}

static int parse_bn(layer *L, char **f, int n, int ncls)
{
	int bad = n > 2;
	L->u.bn.momentum = 0.99f;
	L->u.bn.eps = 1e-3f;
	if (!bad && n > 0)
		bad = parse_float(f[0], 0.0, 1.0, &L->u.bn.momentum);
	if (!bad && n > 1)
		bad = parse_float(f[1], 1e-12, 1.0, &L->u.bn.eps);
	return bad;
}

/* ---- shapes: channels, rows and parameters of each layer ---- */

/* Where the build is: the activation entering a layer. */
typedef struct shape {
	int C, T, R;      /* channels (ch * rows for 2D), frames (0: any), rows */
	int vec;          /* a vector layer (dense, stats, flatten) came before */
	int in_length;    /* the net's fixed input length, or 0 */
	size_t off;       /* parameters laid out so far */
	double total;     /* parameter and flatten sizes, for the limit */
} shape;

static int weights(layer *L, shape *sh, double nw, int nb)
{
	L->w = sh->off, sh->off += (size_t)nw;
	sh->total += nw;
	L->b = sh->off, sh->off += (size_t)nb;
	return 0;
}

static int shape_conv2d(layer *L, shape *sh, int i, ser_error *err)
{
	/* the first 2D layer reads the C values of a frame as C rows of one channel */
	int ch = sh->R > 1 ? sh->C / sh->R : 1;
	if (sh->R == 1)
		L->rows_in = sh->R = sh->C;
	if (sh->vec)
		return ser_seterr(err, SER_EINVAL, "architecture: conv2d (layer %d) after a vector layer",
		                  i + 1);
	L->C_out = L->u.conv2d.filters * sh->R;
	return weights(L, sh, (double)L->u.conv2d.filters * ch * L->u.conv2d.rows *
	               L->u.conv2d.frames, L->u.conv2d.filters);
}

static int shape_pool2d(layer *L, shape *sh, int i, ser_error *err)
{
	if (sh->R == 1 || sh->R / L->u.pool2d.rows < 1)
		return ser_seterr(err, SER_EINVAL, "architecture: maxpool2d (layer %d) needs a conv2d "
		                  "before it with at least %d rows", i + 1, L->u.pool2d.rows);
	L->C_out = sh->C / sh->R * (sh->R / L->u.pool2d.rows);
	sh->R = sh->R / L->u.pool2d.rows;
	return 0;
}

static int shape_conv(layer *L, shape *sh, int i, ser_error *err)
{
	L->C_out = L->u.conv.filters;
	return weights(L, sh, (double)L->u.conv.filters * sh->C * L->u.conv.width, L->u.conv.filters);
}

static int shape_dense(layer *L, shape *sh, int i, ser_error *err)
{
	if (!sh->vec && sh->T != 1)
		return ser_seterr(err, SER_EINVAL, "architecture: dense (layer %d) needs flatten or "
		                  "stats before it", i + 1);
	L->C_out = L->u.dense.units;
	sh->vec = 1;
	return weights(L, sh, (double)L->u.dense.units * sh->C, L->u.dense.units);
}

static int shape_bn(layer *L, shape *sh, int i, ser_error *err)
{
	L->C_out = sh->C;
	L->w = sh->off, sh->off += sh->C;
	L->b = sh->off, sh->off += sh->C;
	return 0;
}

static int shape_stats(layer *L, shape *sh, int i, ser_error *err)
{
	L->C_out = 2 * sh->C;
	sh->vec = 1;
	return 0;
}

static int shape_flatten(layer *L, shape *sh, int i, ser_error *err)
{
	if (sh->in_length == 0)
		return ser_seterr(err, SER_EINVAL, "architecture: flatten needs a fixed input length");
	sh->total += (double)sh->C * sh->T;
	if ((double)sh->C * sh->T > SER_NET_PARAMS_MAX)
		return ser_seterr(err, SER_ELIMIT, "architecture: flatten size too large");
	L->C_out = sh->C * sh->T;
	sh->vec = 1;
	return 0;
}

static int shape_same(layer *L, shape *sh, int i, ser_error *err)
{
	L->C_out = sh->C;
	return 0;
}

/* ---- frames, and the context a layer reads around a frame ---- */

static int frames_conv(const layer *L, int T)
{
	ser_conv1d_dims d = net_conv1d_dims(L, 1, T);
	return T < 1 ? 0 : d.T_out;
}
static int frames_pool(const layer *L, int T)
{
	return ser_pool_outlen(T, L->u.pool.size, L->u.pool.stride);
}
static int frames_pool2d(const layer *L, int T)
{
	return ser_pool_outlen(T, L->u.pool2d.frames, L->u.pool2d.frames);
}
static int frames_one(const layer *L, int T) { return T >= 1 ? 1 : 0; }
static int frames_same(const layer *L, int T) { return T; }

/* Span (frames - 1) and stride of a layer that maps frames locally. */
static void span_conv(const layer *L, long long *span, long long *stride)
{
	*span = (long long)(L->u.conv.width - 1) * L->u.conv.dilation, *stride = L->u.conv.stride;
}
static void span_conv2d(const layer *L, long long *span, long long *stride)
{
	*span = L->u.conv2d.frames - 1, *stride = 1;
}
static void span_pool2d(const layer *L, long long *span, long long *stride)
{
	*span = L->u.pool2d.frames - 1, *stride = L->u.pool2d.frames;
}
static void span_pool(const layer *L, long long *span, long long *stride)
{
	*span = L->u.pool.size - 1, *stride = L->u.pool.stride;
}
static void span_none(const layer *L, long long *span, long long *stride)
{
	*span = 0, *stride = 1;
}

/* ---- initial values ---- */

/* Weights of fan-in fi and fan-out fo (ref: Keras glorot_uniform, he_uniform). */
static void init_weights(float *w, size_t nw, int fi, int fo, int kind, ser_rng *r)
{
	if (kind == SER_INIT_HE)
		ser_init_he_uniform(w, nw, fi, r);
	else
		ser_init_glorot_uniform(w, nw, fi, fo, r);
}
static void init_conv(const layer *L, float *P, int kind, ser_rng *r)
{
	int fi = L->C_in * L->u.conv.width, fo = L->u.conv.filters * L->u.conv.width;
	init_weights(P + L->w, (size_t)L->u.conv.filters * fi, fi, fo, kind, r);
}
static void init_conv2d(const layer *L, float *P, int kind, ser_rng *r)
{
	int k = L->u.conv2d.rows * L->u.conv2d.frames;
	int fi = L->C_in / L->rows_in * k, fo = L->u.conv2d.filters * k;
	init_weights(P + L->w, (size_t)L->u.conv2d.filters * fi, fi, fo, kind, r);
}
static void init_dense(const layer *L, float *P, int kind, ser_rng *r)
{
	init_weights(P + L->w, (size_t)L->u.dense.units * L->C_in, L->C_in, L->u.dense.units, kind, r);
}
/* gamma 1, beta 0; running mean 0, variance 1 */
static void init_bn(const layer *L, float *P, int kind, ser_rng *r)
{
	for (int c = 0; c < L->C_in; c++) {
		P[L->w + c] = 1.0f;
		P[L->rv + c] = 1.0f;
	}
}

/* One row per layer kind. local: 1 maps frames locally (chunks may pass
 * it), 0 not (dense, flatten), 2 the stats layer chunks end at. flat:
 * the output is 1D (rows 1). */
typedef struct layer_kind {
	const char *name;
	int kind;
	int (*parse)(layer *L, char **f, int n, int ncls);
	int (*shape)(layer *L, shape *sh, int i, ser_error *err);
	int (*frames)(const layer *L, int T);
	void (*span)(const layer *L, long long *span, long long *stride);
	void (*init)(const layer *L, float *P, int kind, ser_rng *r);  /* NULL: no parameters */
	int local, flat;
} layer_kind;

static const layer_kind kinds[] = {
	{ "conv", L_CONV, parse_conv, shape_conv, frames_conv, span_conv, init_conv, 1, 1 },
	{ "conv2d", L_CONV2D, parse_conv2d, shape_conv2d, frames_same, span_conv2d, init_conv2d, 1, 0 },
	{ "maxpool2d", L_MAXPOOL2D, parse_pool2d, shape_pool2d, frames_pool2d, span_pool2d, NULL, 1, 0 },
	{ "dense", L_DENSE, parse_dense, shape_dense, frames_one, NULL, init_dense, 0, 1 },
	{ "relu", L_RELU, parse_none, shape_same, frames_same, span_none, NULL, 1, 0 },
	{ "dropout", L_DROPOUT, parse_dropout, shape_same, frames_same, span_none, NULL, 1, 0 },
	{ "maxpool", L_MAXPOOL, parse_pool, shape_same, frames_pool, span_pool, NULL, 1, 0 },
	{ "avgpool", L_AVGPOOL, parse_pool, shape_same, frames_pool, span_pool, NULL, 1, 0 },
	{ "bn", L_BN, parse_bn, shape_bn, frames_same, span_none, init_bn, 1, 0 },
	{ "stats", L_STATS, parse_none, shape_stats, frames_one, NULL, NULL, 2, 1 },
	{ "flatten", L_FLATTEN, parse_none, shape_flatten, frames_one, NULL, NULL, 0, 1 },
};

static const layer_kind *kind_of(const layer *L)
{
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		if (kinds[k].kind == L->kind)
			return &kinds[k];
	return &kinds[0];   /* not reached: every layer is parsed from the table */
}

int ser_net_arch_2d(const char *arch)
{
	for (const char *p = arch; p && *p; p += strcspn(p, " \t\n")) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n:");
		for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
			if (kinds[k].kind == L_CONV2D && strlen(kinds[k].name) == n &&
			    !strncmp(p, kinds[k].name, n))
				return 1;
	}
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
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		if (strcmp(f[0], kinds[k].name) == 0) {
			L->kind = kinds[k].kind;
			if (kinds[k].parse(L, f + 1, n - 1, last ? ncls : 0))
				return ser_seterr(err, SER_EINVAL, "architecture: bad layer '%s'", orig);
			return 0;
		}
	return ser_seterr(err, SER_EINVAL, "architecture: unknown layer '%s'", orig);
}

ser_conv1d_dims net_conv1d_dims(const layer *L, int B, int T)
{
	ser_conv1d_dims d = { .B = B, .C_in = L->C_in, .T_in = T, .C_out = L->u.conv.filters,
	                      .K = L->u.conv.width, .stride = L->u.conv.stride,
	                      .dilation = L->u.conv.dilation };
	ser_conv1d_setup(&d, L->u.conv.pad);
	return d;
}

ser_conv2d_dims net_conv2d_dims(const layer *L, int B, int T)
{
	ser_conv2d_dims d = { .B = B, .C_in = L->C_in / L->rows_in, .F = L->rows_in, .T = T,
	                      .C_out = L->u.conv2d.filters, .KF = L->u.conv2d.rows,
	                      .KT = L->u.conv2d.frames };
	return d;
}

int net_layer_frames(const layer *L, int T)
{
	return kind_of(L)->frames(L, T);
}

static int out_T(const ser_net *net, int T)
{
	for (int i = 0; i < net->nl && T >= 1; i++)
		T = net_layer_frames(&net->l[i], T);
	return T;
}

int net_act_aliased(const ser_net *net, int i)
{
	enum lkind k = net->l[i].kind, prev = i ? net->l[i - 1].kind : L_FLATTEN;
	if (k == L_FLATTEN)
		return 1;
	return k == L_RELU && i > 0 && (prev == L_CONV || prev == L_CONV2D || prev == L_DENSE ||
	                               prev == L_BN);
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
		const layer_kind *k = kind_of(&net->l[i]);
		long long span, stride;
		if (k->local == 2) {
			g = i;
			continue;
		}
		if (!k->local)
			return;   /* dense or flatten before any stats */
		k->span(&net->l[i], &span, &stride);
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

/* Layer i of the spec: parsed, shaped, its parameters laid out. */
static int build_layer(ser_net *net, shape *sh, char *tok, int i, int last, ser_error *err)
{
	layer *L = &net->l[i];
	const layer_kind *k;
	int rc;
	if ((rc = parse_layer(L, tok, last, net->ncls, err)) < 0)
		return rc;
	k = kind_of(L);
	L->C_in = sh->C;
	L->rows_in = sh->R;
	if ((rc = k->shape(L, sh, i, err)) < 0)
		return rc;
	if (L->C_out > SER_NET_PARAMS_MAX || sh->total > SER_NET_PARAMS_MAX)
		return ser_seterr(err, SER_ELIMIT, "architecture: more than %d parameters",
		                  SER_NET_PARAMS_MAX);
	sh->C = L->C_out;
	if (k->flat)
		sh->R = 1;
	L->rows_out = sh->R;
	if (sh->in_length && (sh->T = net_layer_frames(L, sh->T)) < 1)
		return ser_seterr(err, SER_EINVAL, "architecture: input length %d too short at layer "
		                  "%d (%s)", sh->in_length, i + 1, L->kind == L_CONV ? "conv" : "pool");
	/* the fused pair: a dropout's backward does the relu's below it */
	if (L->kind == L_DROPOUT && L->u.dropout.p > 0 && i > 1 && net->l[i - 1].kind == L_RELU)
		L->fused_relu = net->l[i - 1].fused_above = 1;
	return 0;
}

/* The layers of spec buf (split in place): shapes, parameter layout,
 * running statistics after the trained block, the minimum length. */
static int build_layers(ser_net *net, char *buf, ser_error *err)
{
	char *toks[SER_NET_LAYERS_MAX + 1];
	int nt = 0, rc;
	shape sh = { net->in_c, net->in_len, 1, 0, net->in_len, 0, 0 };
	for (char *s = strtok(buf, " \t\n"); s; s = strtok(NULL, " \t\n")) {
		if (nt == SER_NET_LAYERS_MAX)
			return ser_seterr(err, SER_ELIMIT, "architecture: more than %d layers",
			                  SER_NET_LAYERS_MAX);
		toks[nt++] = s;
	}
	if (nt == 0)
		return ser_seterr(err, SER_EINVAL, "architecture: no layers");
	for (int i = 0; i < nt; i++)
		if ((rc = build_layer(net, &sh, toks[i], i, i == nt - 1, err)) < 0)
			return rc;
	net->nl = nt;
	if (net->l[nt - 1].kind != L_DENSE || net->l[nt - 1].u.dense.units != net->ncls)
		return ser_seterr(err, SER_EINVAL, "architecture: the last layer must be dense:%d (the "
		                  "class count)", net->ncls);
	net->ntrain = sh.off;
	for (int i = 0; i < nt; i++)
		if (net->l[i].kind == L_BN) {
			net->l[i].rm = sh.off, sh.off += net->l[i].C_in;
			net->l[i].rv = sh.off, sh.off += net->l[i].C_in;
		}
	net->nparams = sh.off;
	if (sh.off > SER_NET_PARAMS_MAX)
		return ser_seterr(err, SER_ELIMIT, "architecture: more than %d parameters",
		                  SER_NET_PARAMS_MAX);
	/* smallest accepted length */
	net->min_len = net->in_len;
	for (int t = 1; !net->in_len && !net->min_len; t++) {
		if (t == 1000000)
			return ser_seterr(err, SER_EINVAL, "architecture: no input length fits");
		if (out_T(net, t) >= 1)
			net->min_len = t;
	}
	return 0;
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
	if (build_layers(net, buf, err) < 0)
		goto fail;
	chunk_plan(net);
	net->params = calloc(net->nparams, sizeof(float));
	net->grad = calloc(net->nparams, sizeof(float));
	if (!net->params || !net->grad) {
		ser_seterr(err, SER_ENOMEM, "network: out of memory for %zu parameters", net->nparams);
		goto fail;
	}
	free(buf);
	return net;
fail:
	free(buf);
	ser_net_free(net);
	return NULL;
}

void ser_net_init(ser_net *net, uint64_t seed, int init_kind)
{
	ser_rng r;
	ser_rng_seed(&r, seed);
	memset(net->params, 0, net->nparams * sizeof(float));
	for (int i = 0; i < net->nl; i++) {
		const layer_kind *k = kind_of(&net->l[i]);
		if (k->init)
			k->init(&net->l[i], net->params, init_kind, &r);
	}
}

static int has_params(const layer *L) { return kind_of(L)->init != NULL; }

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

/* ---- the parameter block and what the architecture says ---- */

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
void ser_net_zero_grad(ser_net *net)
{
	memset(net->grad, 0, net->nparams * sizeof(float));
	if (net->adv.grad)
		memset(net->adv.grad, 0, net->adv.n * sizeof(float));
}
