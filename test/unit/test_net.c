/* Network container: building from specs, whole-net gradient check,
 * learning a toy problem, determinism over threads, eval == inference. */
#include "check.h"
#include "net.h"
#include "optim.h"
#include "rng.h"

#include <string.h>

/* a 2D preset on 40 log mel rows, 8 classes: its trainable count, and a
 * minimum length of 8 frames (three 2x2 poolings) */
static void check_2d_preset(const char *name, size_t want)
{
	ser_error e;
	ser_net *n = ser_net_new(ser_net_arch_preset(name), 40, 0, 8, &e);
	CHECK(n && ser_net_ntrainable(n) == want && ser_net_min_length(n) == 8,
	      "%s arch: %zu trainable (want %zu), min length %d (want 8)", name,
	      n ? ser_net_ntrainable(n) : 0, want, n ? ser_net_min_length(n) : -1);
	ser_net_free(n);
}

static void test_build(void)
{
	ser_error e;
	ser_net *n = ser_net_new("conv:64:5:same relu dropout:0.2 flatten dense:8", 1, 40, 8, &e);
	CHECK(n && ser_net_nparams(n) == 384 + 20488, "seed arch builds, %zu parameters (Keras: 20872)",
	      n ? ser_net_nparams(n) : 0);
	CHECK(n && ser_net_min_length(n) == 40 && ser_net_ntrainable(n) == ser_net_nparams(n),
	      "seed arch: fixed length 40, all trainable");
	float x[41] = { 0 }, p[8];
	CHECK(n && ser_net_forward(n, x, 39, p, &e) == SER_EINVAL, "seed arch refuses length 39: %s", e.msg);
	ser_net_free(n);
	const char *cnn = "conv:64:5 bn relu maxpool:2 conv:128:5 bn relu maxpool:2 conv:128:3 bn relu "
	                  "stats dense:128 relu dropout:0.3 dense:8";
	n = ser_net_new(cnn, 40, 0, 8, &e);
	size_t want = 40 * 64 * 5 + 64 + 128 + 64 * 128 * 5 + 128 + 256 + 128 * 128 * 3 + 128 + 256 +
	              256 * 128 + 128 + 128 * 8 + 8;
	CHECK(n && ser_net_ntrainable(n) == want && ser_net_nparams(n) == want + 2 * (64 + 128 + 128),
	      "cnn arch builds: %zu trainable (want %zu) + bn running stats", n ? ser_net_ntrainable(n) : 0, want);
	CHECK(n && ser_net_min_length(n) == 4, "cnn arch: min length %d (want 4)", n ? ser_net_min_length(n) : -1);
	ser_net_free(n);
	/* cnn2d on 40 log mel rows: 3 conv2d (8*9+8, 16*8*9+16, 32*16*9+32), bn on 8*40,
	 * 16*20, 32*10 (and 128) channels, conv 128 over 32*5 rows x 3, dense 256->128, 128->8 */
	check_2d_preset("cnn2d", 80 + 1168 + 4640 + 2 * (320 + 320 + 320 + 128) +
	                (128 * 160 * 3 + 128) + (256 * 128 + 128) + (128 * 8 + 8));
	/* cnn2d-wide: 16*9+16, 24*16*9+24, 48*24*9+48; bn on 16*40, 24*20, 48*10, 128;
	 * conv 128 over 48*5 rows x 3; the same dense layers */
	check_2d_preset("cnn2d-wide", 160 + 3480 + 10416 + 2 * (640 + 480 + 480 + 128) +
	                (128 * 240 * 3 + 128) + (256 * 128 + 128) + (128 * 8 + 8));
	/* which specs read frames as the rows of an image: a conv2d layer anywhere */
	static const struct { const char *spec; int want; } img[] = {
		{ "conv2d:16:3 bn relu stats dense", 1 }, { "bn\tconv2d:8:3 stats dense", 1 },
		{ "conv:8:3 stats dense", 0 }, { "xconv2d:8:3 stats dense", 0 },
		{ "conv2dx:8:3 stats dense", 0 }, { "maxpool2d:2", 0 }, { "", 0 }, { NULL, 0 },
	};
	for (size_t i = 0; i < sizeof img / sizeof *img; i++)
		CHECK(ser_net_arch_2d(img[i].spec) == img[i].want, "arch '%s' 2D: %d (want %d)",
		      img[i].spec ? img[i].spec : "(null)", ser_net_arch_2d(img[i].spec), img[i].want);
	CHECK(ser_net_arch_2d(ser_net_arch_preset("cnn2d-wide")) && !ser_net_arch_2d(ser_net_arch_preset("cnn")),
	      "presets: cnn2d-wide is 2D, cnn is not");
	n = ser_net_new(ser_net_arch_preset("seed"), 1, 40, 7, &e);
	CHECK(n && ser_net_nparams(n) == 384 + 64 * 40 * 7 + 7, "preset seed with 7 classes");
	ser_net_free(n);
	static const char *bad[] = { "conv:0:5 flatten dense:3", "relu dense:3 conv:3:3", "conv:4:3 dense:3",
	                             "conv:4:3 flatten dense:3", "stats dense:4", "dropout:1.5 stats dense:3",
	                             "conv:4:3:weird stats dense:3", "bogus stats dense:3", "", "stats dense" };
	for (int i = 0; i < 10; i++) {
		/* variable length: flatten refused; dense after conv refused */
		e.msg[0] = 0;
		n = ser_net_new(bad[i], 3, 0, 3, &e);
		CHECK(i == 9 ? n != NULL : n == NULL, "arch '%s': %s", bad[i], n ? "accepted" : e.msg);
		ser_net_free(n);
	}
	n = ser_net_new("conv:4:9:valid flatten dense:3", 2, 5, 3, &e);
	CHECK(!n, "fixed length too short for a valid conv refused: %s", e.msg);
	static const char *bad2[] = { "maxpool2d:2 stats dense", "conv2d:4:3 maxpool2d:8 stats dense",
	                              "conv:4:3 maxpool2d:2 stats dense", "conv2d:4 stats dense",
	                              "conv2d:4:3:3:3 stats dense", "stats conv2d:4:3 dense" };
	for (int i = 0; i < 6; i++) {
		n = ser_net_new(bad2[i], 5, 0, 3, &e);
		CHECK(!n, "arch '%s' on 5 values refused: %s", bad2[i], n ? "accepted" : e.msg);
		ser_net_free(n);
	}
	/* 40 values as rows: conv2d 16 3x3 (1*16*9 + 16), maxpool2d 2 -> 16 x 20 rows = 320
	 * channels, conv2d 8 3x3 over 16 channels (8*16*9 + 8) -> 8 x 20 = 160, conv 4 k1
	 * (4*160 + 4), stats 8, dense 3 (24 + 3) */
	n = ser_net_new("conv2d:16:3 relu maxpool2d:2 conv2d:8:3 relu conv:4:1 stats dense", 40, 0, 3, &e);
	CHECK(n && ser_net_nparams(n) == 160 + 1160 + 644 + 27 && ser_net_min_length(n) == 2,
	      "conv2d arch: %zu parameters (want %d), min length %d (want 2)",
	      n ? ser_net_nparams(n) : 0, 160 + 1160 + 644 + 27, n ? ser_net_min_length(n) : -1);
	ser_net_free(n);
}

/* toy data: class k has a sine of frequency (k+1) in channel k, noise elsewhere */
static void toy(ser_rng *r, float *x, int *len, int *lab, int B, int C, int T)
{
	memset(x, 0, sizeof(float) * B * C * T);
	for (int b = 0; b < B; b++) {
		lab[b] = (int)ser_rng_below(r, 3);
		len[b] = T - (int)ser_rng_below(r, T / 3);
		float ph = ser_rng_uniform(r) * 6.28f;
		for (int c = 0; c < C; c++)
			for (int t = 0; t < len[b]; t++)
				x[((size_t)b * C + c) * T + t] = 0.3f * ser_rng_normal(r) +
					(c == lab[b] ? sinf(ph + 0.5f * (lab[b] + 1) * t) : 0.0f);
	}
}

static void gradcheck(const char *arch, int C, const char *what)
{
	ser_error e;
	ser_net *n = ser_net_new(arch, C, 0, 3, &e);
	CHECK(n != NULL, "tiny net builds: %s", n ? "" : e.msg);
	if (!n)
		return;
	ser_net_init(n, 3, SER_INIT_GLOROT);
	int B = 4, T = 14, len[4], lab[4];
	float x[4 * 4 * 14], cw[3] = { 1.0f, 0.5f, 2.0f }, loss;
	ser_rng r;
	ser_rng_seed(&r, 9);
	toy(&r, x, len, lab, B, C, T);
	len[0] = T;
	float *P = ser_net_params(n);
	size_t np = ser_net_ntrainable(n);
	float *g = malloc(np * sizeof *g);
	for (int threads = 1; threads <= 2; threads++) {
		ser_net_set_threads(n, threads, NULL);
		ser_net_zero_grad(n);
		ser_net_train_batch(n, x, B, T, len, lab, cw, 0.1f, 77, &loss, NULL, &e);
		memcpy(g, ser_net_grads(n), np * sizeof *g);
		int bad = 0;
		for (size_t i = 0; i < np; i++) {
			float keep = P[i], lp, lm, h = 3e-3f; /* small: relu kinks after bn */
			P[i] = keep + h;
			ser_net_train_batch(n, x, B, T, len, lab, cw, 0.1f, 77, &lp, NULL, &e);
			P[i] = keep - h;
			ser_net_train_batch(n, x, B, T, len, lab, cw, 0.1f, 77, &lm, NULL, &e);
			P[i] = keep;
			double num = ((double)lp - lm) / (2 * h);
			if (!check_close(g[i], num, 2e-3, 3e-2)) {
				if (bad++ < 3)
					printf("# param %zu: analytic %g numeric %g\n", i, g[i], num);
			}
		}
		CHECK(bad == 0, "whole-net gradient check (%s; lengths, class weights, smoothing), %d "
		      "thread(s): %zu params, %d bad", what, threads, np, bad);
	}
	free(g);
	ser_net_free(n);
}

static void test_gradcheck(void)
{
	gradcheck("conv:3:3 bn relu avgpool:2 conv:4:3:valid:1:2 relu dropout:0.25 stats dense:5 relu dense",
	          2, "conv, bn, relu, avgpool, dilated valid conv, dropout, stats, dense");
	gradcheck("conv2d:3:3 bn relu maxpool2d:2 conv2d:2:3:2 relu conv:4:3 stats dense:3 relu dense",
	          4, "conv2d, bn, relu, maxpool2d, conv2d 3x2, conv, stats, dense");
}

/* mixup targets: the gradient is lam * g(labels) + (1 - lam) * g(labels2) */
static void test_mixup(void)
{
	ser_error e;
	int B = 6, T = 12, C = 3, len[6], lab[6], lab2[6];
	float x[6 * 3 * 12], loss, l1, l2, cw[3] = { 1, 2, 0.5f };
	ser_rng r;
	ser_net *n = ser_net_new("conv:4:3 relu stats dense", C, 0, 3, &e);
	ser_net_init(n, 4, SER_INIT_GLOROT);
	ser_rng_seed(&r, 21);
	toy(&r, x, len, lab, B, C, T);
	for (int b = 0; b < B; b++)
		lab2[b] = (lab[b] + 1 + b % 2) % 3;
	size_t np = ser_net_ntrainable(n);
	float *g1 = malloc(np * sizeof *g1), *g2 = malloc(np * sizeof *g2);
	ser_net_zero_grad(n);
	ser_net_train_batch(n, x, B, T, len, lab, cw, 0.1f, 5, &l1, NULL, &e);
	memcpy(g1, ser_net_grads(n), np * sizeof *g1);
	ser_net_zero_grad(n);
	ser_net_train_batch(n, x, B, T, len, lab2, cw, 0.1f, 5, &l2, NULL, &e);
	memcpy(g2, ser_net_grads(n), np * sizeof *g2);
	float lams[3] = { 1, 0, 0.3f };
	for (int k = 0; k < 3; k++) {
		int bad = 0;
		ser_net_zero_grad(n);
		ser_net_train_batch_mix(n, x, B, T, len, lab, lab2, lams[k], cw, 0.1f, 5, &loss, NULL, &e);
		const float *g = ser_net_grads(n);
		for (size_t i = 0; i < np; i++)
			bad += !check_close(g[i], lams[k] * g1[i] + (1 - lams[k]) * g2[i], 1e-6, 1e-5);
		CHECK(bad == 0 && check_close(loss, lams[k] * l1 + (1 - lams[k]) * l2, 1e-6, 1e-5),
		      "mixup lam %.1f: loss %g (want %g), gradient = lam g1 + (1-lam) g2 (%d bad)",
		      lams[k], loss, lams[k] * l1 + (1 - lams[k]) * l2, bad);
	}
	lab2[2] = 3;
	CHECK(ser_net_train_batch_mix(n, x, B, T, len, lab, lab2, 0.5f, NULL, 0, 5, &loss, NULL, &e) ==
	      SER_EINVAL, "mixup partner label out of range refused: %s", e.msg);
	CHECK(ser_net_train_batch_mix(n, x, B, T, len, lab, NULL, 1.5f, NULL, 0, 5, &loss, NULL, &e) ==
	      SER_EINVAL, "mixup weight 1.5 refused: %s", e.msg);
	free(g1), free(g2);
	ser_net_free(n);
}

/* per-corpus targets: sample weights and a class mask through the net */
static void test_targets(void)
{
	ser_error e;
	int B = 6, T = 12, C = 3, len[6], lab[6];
	float x[6 * 3 * 12], l1, l2, cw[3] = { 1, 2, 0.5f }, w[6];
	unsigned char mask[6 * 3];
	ser_rng r;
	ser_net *n = ser_net_new("conv:4:3 bn relu stats dense", C, 0, 3, &e);
	ser_net_init(n, 4, SER_INIT_GLOROT);
	ser_net_set_threads(n, 2, &e);
	ser_rng_seed(&r, 22);
	toy(&r, x, len, lab, B, C, T);
	size_t np = ser_net_ntrainable(n);
	float *g1 = malloc(np * sizeof *g1);
	ser_net_zero_grad(n);
	ser_net_train_batch(n, x, B, T, len, lab, cw, 0.1f, 5, &l1, NULL, &e);
	memcpy(g1, ser_net_grads(n), np * sizeof *g1);
	for (int b = 0; b < B; b++)
		w[b] = cw[lab[b]];
	memset(mask, 1, sizeof mask);
	ser_targets t = { lab, NULL, 1, NULL, w, mask, 0.1f, NULL, 0 };
	ser_net_zero_grad(n);
	int rc = ser_net_train_batch_targets(n, x, B, T, len, &t, 5, &l2, NULL, &e);
	CHECK(rc == 0 && l1 == l2 && !memcmp(g1, ser_net_grads(n), np * sizeof *g1),
	      "targets: sample weights = class weights, full mask: same loss and gradient bit for bit");
	/* a mask that keeps only the label: nothing to learn, loss from smoothing 0 */
	for (int b = 0; b < B; b++)
		for (int c = 0; c < 3; c++)
			mask[b * 3 + c] = c == lab[b];
	t.label_smoothing = 0;
	ser_net_zero_grad(n);
	rc = ser_net_train_batch_targets(n, x, B, T, len, &t, 5, &l2, NULL, &e);
	float gmax = 0;
	for (size_t i = 0; i < np; i++)
		gmax = fmaxf(gmax, fabsf(ser_net_grads(n)[i]));
	CHECK(rc == 0 && l2 == 0 && gmax == 0, "targets: one possible class per sample: loss %g, "
	      "largest gradient %g (want 0, 0)", l2, gmax);
	mask[0 * 3 + lab[0]] = 0;
	CHECK(ser_net_train_batch_targets(n, x, B, T, len, &t, 5, &l2, NULL, &e) == SER_EINVAL,
	      "targets: a label outside its sample's mask refused: %s", e.msg);
	mask[0 * 3 + lab[0]] = 1;
	w[3] = -1;
	CHECK(ser_net_train_batch_targets(n, x, B, T, len, &t, 5, &l2, NULL, &e) == SER_EINVAL,
	      "targets: a negative sample weight refused: %s", e.msg);
	free(g1);
	ser_net_free(n);
}

/* fine-tuning helpers: the parameter layers, the tail offset, transfer */
static void test_transfer(void)
{
	ser_error e;
	const char *spec = "conv:4:3 bn relu stats dense:5 relu dense";
	ser_net *a = ser_net_new(spec, 3, 0, 3, &e), *b = ser_net_new(spec, 3, 0, 4, &e);
	ser_net *c = ser_net_new("conv:5:3 bn relu stats dense:5 relu dense", 3, 0, 4, &e);
	ser_net_init(a, 1, SER_INIT_GLOROT);
	ser_net_init(b, 2, SER_INIT_GLOROT);
	float *pa = ser_net_params(a), *pb = ser_net_params(b);
	for (size_t i = ser_net_ntrainable(a); i < ser_net_nparams(a); i++)
		pa[i] = 0.5f + (float)i;   /* running statistics */
	CHECK(ser_net_param_layers(a) == 4, "parameter layers: conv, bn, dense, dense (%d)",
	      ser_net_param_layers(a));
	size_t last = ser_net_tail_offset(a, 1), two = ser_net_tail_offset(a, 2);
	CHECK(last == ser_net_ntrainable(a) - (5 * 3 + 3) && two == last - (5 * 8 + 5) && two == 4 * 3 * 3 + 4 + 2 * 4 &&
	      ser_net_tail_offset(a, 4) == 0 && ser_net_tail_offset(a, 9) == 0,
	      "tail offsets: last layer at %zu, last two at %zu", last, two);
	int map[4] = { 2, -1, 0, 1 };
	float keep[5];
	size_t lb = ser_net_tail_offset(b, 1);
	memcpy(keep, pb + lb + 5, sizeof keep);   /* class 1's row in b */
	int rc = ser_net_transfer(b, a, map, &e);
	int same = rc == 0 && !memcmp(pb, pa, last * sizeof *pb) &&
	           !memcmp(pb + ser_net_ntrainable(b), pa + ser_net_ntrainable(a),
	                   (ser_net_nparams(a) - ser_net_ntrainable(a)) * sizeof *pb);
	CHECK(same, "transfer: every layer but the last, and the running statistics, copied");
	size_t wa = last, ba = last + 15, wb = lb, bb = lb + 20;
	int rows = !memcmp(pb + wb, pa + wa + 2 * 5, 5 * sizeof *pb) && pb[bb] == pa[ba + 2] &&
	           !memcmp(pb + wb + 10, pa + wa, 5 * sizeof *pb) && pb[bb + 2] == pa[ba] &&
	           !memcmp(pb + wb + 15, pa + wa + 5, 5 * sizeof *pb) && pb[bb + 3] == pa[ba + 1] &&
	           !memcmp(pb + wb + 5, keep, sizeof keep);
	CHECK(rows, "transfer: output rows and biases follow the class map, a new class keeps its own");
	CHECK(ser_net_transfer(c, a, map, &e) == SER_EMISMATCH, "transfer between architectures "
	      "refused: %s", e.msg);
	CHECK(ser_net_transfer(b, a, NULL, &e) == SER_EMISMATCH, "transfer without a map needs "
	      "the same classes: %s", e.msg);
	ser_net_free(a), ser_net_free(b), ser_net_free(c);
}

static void test_learn(void)
{
	ser_error e;
	int B = 24, C = 3, T = 30;
	ser_net *n = ser_net_new("conv:16:5 bn relu maxpool:2 conv:16:3 relu stats dense:16 relu dense", C, 0, 3, &e);
	ser_net_init(n, 1, SER_INIT_GLOROT);
	ser_net_set_threads(n, 2, NULL);
	ser_optim_opts oo;
	ser_optim_defaults(&oo, SER_OPT_ADAM);
	oo.lr = 5e-3f;
	ser_optim *opt = ser_optim_new(&oo, ser_net_ntrainable(n), NULL);
	int N = 96, *len = malloc(N * sizeof(int)), *lab = malloc(N * sizeof(int));
	float *x = malloc(sizeof(float) * N * C * T);
	ser_rng r;
	ser_rng_seed(&r, 5);
	toy(&r, x, len, lab, N, C, T);
	float loss = 0, first = -1;
	for (int step = 0; step < 300; step++) {
		int b0 = (step % (N / B)) * B;
		ser_net_zero_grad(n);
		ser_net_train_batch(n, x + (size_t)b0 * C * T, B, T, len + b0, lab + b0, NULL, 0, step, &loss, NULL, &e);
		if (first < 0)
			first = loss;
		ser_optim_step(opt, ser_net_params(n), ser_net_grads(n), oo.lr);
	}
	float *probs = malloc(sizeof(float) * N * 3);
	ser_net_eval_batch(n, x, N, T, len, probs, &e);
	int right = 0;
	for (int b = 0; b < N; b++) {
		int k = 0;
		for (int j = 1; j < 3; j++)
			if (probs[b * 3 + j] > probs[b * 3 + k])
				k = j;
		right += k == lab[b];
	}
	CHECK(right == N, "toy 3-class problem learnt in 300 steps: train accuracy %d/%d (loss %.3f -> %.4f)",
	      right, N, first, loss);
	/* eval batch (padded, lengths) == one-sequence inference */
	float worst = 0, p[3], *one = malloc(sizeof(float) * C * T);
	for (int b = 0; b < N; b++) {
		for (int c = 0; c < C; c++)
			memcpy(one + c * len[b], x + ((size_t)b * C + c) * T, len[b] * sizeof(float));
		ser_net_forward(n, one, len[b], p, &e);
		for (int j = 0; j < 3; j++)
			worst = fmaxf(worst, fabsf(p[j] - probs[b * 3 + j]));
	}
	CHECK(worst < 1e-5f, "inference on each sequence alone == padded eval batch (max diff %g)", worst);
	{
		/* the same for a 2D net (random weights; bn running stats at their init) */
		ser_net *n2 = ser_net_new("conv2d:4:3 bn relu maxpool2d:1:2 conv2d:4:3:5 relu conv:6:3 stats dense", C, 0, 3, &e);
		ser_net_init(n2, 7, SER_INIT_GLOROT);
		ser_net_eval_batch(n2, x, N, T, len, probs, &e);
		worst = 0;
		for (int b = 0; b < N; b++) {
			for (int c = 0; c < C; c++)
				memcpy(one + c * len[b], x + ((size_t)b * C + c) * T, len[b] * sizeof(float));
			ser_net_forward(n2, one, len[b], p, &e);
			for (int j = 0; j < 3; j++)
				worst = fmaxf(worst, fabsf(p[j] - probs[b * 3 + j]));
		}
		CHECK(worst < 1e-5f, "2D net: inference alone == padded eval batch (max diff %g)", worst);
		ser_net_free(n2);
	}
	free(one), free(probs), free(x), free(len), free(lab);
	ser_optim_free(opt);
	ser_net_free(n);
}

static void run3(ser_net *n, int threads, const float *x, const int *len, const int *lab, int B, int T)
{
	ser_optim_opts oo;
	ser_optim_defaults(&oo, SER_OPT_RMSPROP);
	ser_optim *opt = ser_optim_new(&oo, ser_net_ntrainable(n), NULL);
	ser_net_init(n, 42, SER_INIT_GLOROT);
	ser_net_set_threads(n, threads, NULL);
	float loss;
	for (int s = 0; s < 3; s++) {
		ser_net_zero_grad(n);
		ser_net_train_batch(n, x, B, T, len, lab, NULL, 0.05f, 1000 + s, &loss, NULL, NULL);
		ser_optim_step(opt, ser_net_params(n), ser_net_grads(n), oo.lr);
	}
	ser_optim_free(opt);
}

static void test_determinism(void)
{
	const char *arch = "conv:8:3 bn relu maxpool:2 conv:8:3 relu dropout:0.3 stats dense:8 relu dense";
	int B = 16, C = 3, T = 20, len[16], lab[16];
	float x[16 * 3 * 20];
	ser_rng r;
	ser_rng_seed(&r, 11);
	toy(&r, x, len, lab, B, C, T);
	ser_net *a = ser_net_new(arch, C, 0, 3, NULL), *b = ser_net_new(arch, C, 0, 3, NULL);
	size_t np = ser_net_nparams(a);
	for (int threads = 1; threads <= 3; threads += 2) {
		run3(a, threads, x, len, lab, B, T);
		run3(b, threads, x, len, lab, B, T);
		CHECK(memcmp(ser_net_params(a), ser_net_params(b), np * sizeof(float)) == 0,
		      "same seed, %d thread(s), 3 steps: bit-identical parameters (incl. bn running stats)", threads);
	}
	/* without bn, thread count changes only the summation order */
	const char *arch2 = "conv:8:3 relu maxpool:2 conv:8:3 relu dropout:0.3 stats dense:8 relu dense";
	ser_net *c = ser_net_new(arch2, C, 0, 3, NULL), *d = ser_net_new(arch2, C, 0, 3, NULL);
	run3(c, 1, x, len, lab, B, T);
	run3(d, 4, x, len, lab, B, T);
	double wv;
	long bad = check_close_all(ser_net_params(d), ser_net_params(c), (long)ser_net_nparams(c), 1e-4, 1e-3, &wv);
	CHECK(bad < 0, "no bn: 1 vs 4 threads agree to rounding (worst %g)", wv);
	ser_net_free(a), ser_net_free(b), ser_net_free(c), ser_net_free(d);
}

/* Inference in chunks over time = one pass: presets and specs with
 * strides, dilations, valid padding and pools, long inputs of lengths that
 * are and are not multiples of the strides, small chunks (a frame seen
 * through a wrong margin would be off by far more than the tolerance; the
 * BLAS kernels round a product sum's last bit by its column's place in a
 * block, so chunks agree to float rounding, not bit for bit). Inputs
 * that fit one chunk take one pass: bit for bit as before. */
static void test_chunks(void)
{
	static const char *const specs[] = {
		"conv:8:5 bn relu maxpool:2 conv:8:5 bn relu maxpool:2 conv:8:3 bn relu stats dense:8 relu dropout:0.3 dense",
		"conv2d:4:3 bn relu maxpool2d:2 conv2d:4:3 bn relu maxpool2d:2 conv:8:3 bn relu stats dense",
		"conv:6:7:valid relu avgpool:3:2 conv:6:3:same:2 relu conv:5:3:same:1:4 stats dense",
		"conv:4:2:same:3 maxpool:3:1 relu conv:4:5:valid bn stats dense",
	};
	static const int lens[] = { 5000, 4097, 3333, 777, 1031 };
	static const int chunks[] = { 64, 100, 1000 };
	ser_rng r;
	ser_rng_seed(&r, 42);
	for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
		ser_error e;
		int C = 8;
		ser_net *n = ser_net_new(specs[k], C, 0, 3, &e);
		if (!n) {
			CHECK(0, "chunks: net %zu: %s", k, e.msg);
			continue;
		}
		ser_net_init(n, 11 + k, SER_INIT_HE);
		float *P = ser_net_params(n);   /* bn running statistics away from 0/1 */
		for (size_t i = ser_net_ntrainable(n); i < ser_net_nparams(n); i++)
			P[i] = 0.5f + ser_rng_uniform(&r);
		for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++) {
			int T = lens[t], close = 1, rc = 0;
			double worst = 0, w;
			(void)w;
			float *x = malloc((size_t)C * T * sizeof *x), one[3], part[3], again[3];
			for (int i = 0; i < C * T; i++)
				x[i] = ser_rng_normal(&r);
			ser_net_set_chunk(n, 1 << 29);   /* longer than any input: one pass */
			rc |= ser_net_forward(n, x, T, one, &e);
			for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
				ser_net_set_chunk(n, chunks[c]);
				rc |= ser_net_forward(n, x, T, part, &e);
				close &= check_close_all(part, one, 3, 1e-7, 1e-5, &w) < 0;
				for (int j = 0; j < 3; j++)
					if (fabs((double)part[j] - one[j]) > worst)
						worst = fabs((double)part[j] - one[j]);
				rc |= ser_net_forward(n, x, T, again, &e);
				close &= !memcmp(part, again, sizeof part);
			}
			CHECK(rc == 0 && close, "chunks: net %zu, %d frames: chunks of 64, 100, 1000 = one pass "
			      "(worst %.2g), and again the same bits", k, T, worst);
			ser_net_set_chunk(n, 0);
			if (T <= 4096) {
				rc = ser_net_forward(n, x, T, part, &e);
				CHECK(rc == 0 && !memcmp(one, part, sizeof one), "chunks: net %zu, %d frames, "
				      "default chunk: one pass, bit for bit", k, T);
			}
			free(x);
		}
		ser_net_set_chunk(n, 0);
		ser_net_free(n);
	}
}

/* The adversary (domain-adversarial training): its own gradient is that
 * of its loss; the net's is the emotion loss's minus adv_weight times the
 * adversary loss's (both checked against finite differences), for one
 * and two threads; the refusals. */
static void test_adversary(void)
{
	ser_error e;
	int B = 6, T = 12, C = 2, len[6], lab[6], alab[6] = { 0, 1, 2, 0, 1, 2 };
	float x[6 * 2 * 12], loss, w = 0.7f;
	double al;
	int aok;
	ser_rng r;
	ser_net *n = ser_net_new("conv:3:3 bn relu stats dense:5 relu dense", C, 0, 3, &e);
	ser_net *flat = ser_net_new("conv:3:3 relu flatten dense", C, 12, 3, &e);
	CHECK(n && flat, "adversary test nets build");
	if (!n || !flat)
		return;
	CHECK(ser_net_set_adversary(flat, 3, 4, &e) == SER_EINVAL && strstr(e.msg, "stats"),
	      "a net without a stats layer refuses an adversary: %s", e.msg);
	CHECK(ser_net_set_adversary(n, 1, 4, &e) == SER_EINVAL, "one adversary class refused: %s",
	      e.msg);
	ser_net_init(n, 5, SER_INIT_GLOROT);
	ser_rng_seed(&r, 31);
	toy(&r, x, len, lab, B, C, T);
	ser_targets tg = { lab, NULL, 1, NULL, NULL, NULL, 0, alab, w };
	CHECK(ser_net_train_batch_targets(n, x, B, T, len, &tg, 7, &loss, NULL, &e) == SER_EINVAL,
	      "adversary labels without an adversary refused: %s", e.msg);
	CHECK(ser_net_set_adversary(n, 3, 4, &e) == 0 && ser_net_adversary_nparams(n) == 4 * 6 + 4 +
	      3 * 4 + 3, "adversary off the stats layer: %zu parameters (want 43)",
	      ser_net_adversary_nparams(n));
	ser_net_adversary_init(n, 9);
	alab[5] = 3;
	CHECK(ser_net_train_batch_targets(n, x, B, T, len, &tg, 7, &loss, NULL, &e) == SER_EINVAL,
	      "adversary label 3 of 3 classes refused: %s", e.msg);
	alab[5] = 2;
	size_t np = ser_net_ntrainable(n), na = ser_net_adversary_nparams(n);
	float *P = ser_net_params(n), *A = ser_net_adversary_params(n);
	float *g0 = malloc(np * sizeof *g0), *gw = malloc(np * sizeof *gw), *ga = malloc(na * sizeof *ga);
	for (int threads = 1; threads <= 2; threads++) {
		ser_net_set_threads(n, threads, NULL);
		tg.adv_weight = 0;
		ser_net_zero_grad(n);
		ser_net_train_batch_targets(n, x, B, T, len, &tg, 7, &loss, NULL, &e);
		memcpy(g0, ser_net_grads(n), np * sizeof *g0);
		memcpy(ga, ser_net_adversary_grads(n), na * sizeof *ga);
		tg.adv_weight = w;
		ser_net_zero_grad(n);
		ser_net_train_batch_targets(n, x, B, T, len, &tg, 7, &loss, NULL, &e);
		memcpy(gw, ser_net_grads(n), np * sizeof *gw);
		CHECK(!memcmp(ga, ser_net_adversary_grads(n), na * sizeof *ga),
		      "%d thread(s): the adversary's own gradient does not depend on the weight", threads);
		int bad = 0, bada = 0, moved = 0;
		for (size_t i = 0; i < np + na; i++) {
			float *p = i < np ? P + i : A + (i - np), keep = *p, h = 3e-4f; /* small: relu kinks */
			double lp, lm;
			*p = keep + h;
			ser_net_train_batch_targets(n, x, B, T, len, &tg, 7, &loss, NULL, &e);
			ser_net_adversary_result(n, &lp, &aok);
			*p = keep - h;
			ser_net_train_batch_targets(n, x, B, T, len, &tg, 7, &loss, NULL, &e);
			ser_net_adversary_result(n, &lm, &aok);
			*p = keep;
			double num = (lp - lm) / (2 * h);
			if (i >= np) {
				bada += !check_close(ga[i - np], num, 2e-3, 3e-2);
				continue;
			}
			moved += fabs(num) > 1e-3;
			if (!check_close(gw[i], g0[i] - w * num, 2e-3, 3e-2) && bad++ < 3)
				printf("# param %zu: with the adversary %g, without %g, numeric adversary %g\n",
				       i, gw[i], g0[i], num);
		}
		CHECK(bad == 0 && moved > (int)np / 4, "%d thread(s): the net's gradient is the emotion "
		      "loss's minus %.1f x the adversary loss's (%zu params, %d bad, %d the adversary "
		      "moves)", threads, w, np, bad, moved);
		CHECK(bada == 0, "%d thread(s): adversary gradient check, %zu params, %d bad", threads,
		      na, bada);
	}
	ser_net_adversary_result(n, &al, &aok);
	CHECK(al > 0 && aok >= 0 && aok <= B, "adversary loss %g, %d of %d right", al, aok, B);
	CHECK(ser_net_set_adversary(n, 0, 0, &e) == 0 && ser_net_adversary_nparams(n) == 0 &&
	      !ser_net_adversary_params(n), "K 0 removes the adversary");
	free(g0), free(gw), free(ga);
	ser_net_free(n);
	ser_net_free(flat);
}

int main(void)
{
	test_chunks();
	test_build();
	test_gradcheck();
	test_mixup();
	test_targets();
	test_adversary();
	test_transfer();
	test_learn();
	test_determinism();
	return check_status();
}
