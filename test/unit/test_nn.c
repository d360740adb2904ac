/* Layers: optimised == naive kernels, numerical gradient checks of every
 * layer's input and parameter gradients, rng and optimiser values. */
#include "check.h"
#include "nn.h"
#include "optim.h"
#include "rng.h"

#include <string.h>

static ser_rng R;

static float *rnd(size_t n, float scale)
{
	float *p = malloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = ser_rng_range_f(&R, -scale, scale);
	return p;
}

/* A layer seen as L(params) = sum_i r[i] * f(params)[i] for a fixed random
 * r; the analytic gradient comes from backward with dout = r. */
typedef struct gcase {
	void *ctx;
	/* writes the output (nout floats) from the current inputs */
	void (*fwd)(void *ctx, float *out);
	/* accumulates gradients for dout into the grad arrays */
	void (*bwd)(void *ctx, const float *dout);
	size_t nout;
} gcase;

/* Checks d/dp of sum r*f against g for every element of p (n values). */
static int numgrad(gcase *gc, float *p, const float *g, size_t n, const float *r, float h,
                   const char *what)
{
	float *out = malloc(gc->nout * sizeof *out);
	int bad = 0;
	double worst = 0;
	for (size_t i = 0; i < n; i++) {
		float keep = p[i];
		double lp = 0, lm = 0;
		p[i] = keep + h;
		gc->fwd(gc->ctx, out);
		for (size_t j = 0; j < gc->nout; j++)
			lp += (double)r[j] * out[j];
		p[i] = keep - h;
		gc->fwd(gc->ctx, out);
		for (size_t j = 0; j < gc->nout; j++)
			lm += (double)r[j] * out[j];
		p[i] = keep;
		double num = (lp - lm) / (2.0 * h);
		double d = fabs(num - g[i]);
		if (!check_close(g[i], num, 2e-3, 2e-2)) {
			if (!bad || d > worst)
				worst = d;
			if (!bad)
				printf("# %s[%zu]: analytic %g numeric %g\n", what, i, g[i], num);
			bad++;
		}
	}
	free(out);
	CHECK(bad == 0, "gradient check %s: %zu elements, %d bad", what, n, bad);
	return bad;
}

/* ---- conv ---- */
typedef struct convctx {
	ser_conv1d_dims d;
	float *x, *w, *b, *work;
	float *dx, *dw, *db;
} convctx;
static void conv_fwd(void *c, float *out)
{
	convctx *k = c;
	ser_conv1d_forward(out, k->x, k->w, k->b, &k->d, k->work);
}
static void conv_bwd(void *c, const float *dout)
{
	convctx *k = c;
	ser_conv1d_backward(k->dx, k->dw, k->db, dout, k->x, k->w, &k->d, k->work);
}

static void test_conv(void)
{
	/* optimised == naive on random shapes */
	int worst_bad = 0;
	double worst_rel = 0;
	for (int trial = 0; trial < 40; trial++) {
		ser_conv1d_dims d = { 0 };
		d.B = 1 + (int)ser_rng_below(&R, 3);
		d.C_in = 1 + (int)ser_rng_below(&R, 9);
		d.C_out = 1 + (int)ser_rng_below(&R, 11);
		d.K = 1 + (int)ser_rng_below(&R, 7);
		d.stride = trial % 4 == 1 ? 2 : 1 + (int)ser_rng_below(&R, 2);
		d.dilation = trial % 4 == 2 ? 2 : 1 + (int)ser_rng_below(&R, 2);
		d.T_in = d.K * d.dilation + (int)ser_rng_below(&R, 50);
		int pad = trial % 2;
		if (ser_conv1d_setup(&d, pad) <= 0)
			continue;
		size_t nx = (size_t)d.B * d.C_in * d.T_in, nw = (size_t)d.C_out * d.C_in * d.K;
		size_t ny = (size_t)d.B * d.C_out * d.T_out;
		float *x = rnd(nx, 1), *w = rnd(nw, 1), *b = rnd(d.C_out, 1), *g = rnd(ny, 1);
		float *y1 = rnd(ny, 0), *y2 = rnd(ny, 0), *work = rnd(ser_conv1d_work(&d), 0);
		float *dx1 = calloc(nx, 4), *dx2 = calloc(nx, 4), *dw1 = calloc(nw, 4),
		      *dw2 = calloc(nw, 4), *db1 = calloc(d.C_out, 4), *db2 = calloc(d.C_out, 4);
		ser_conv1d_forward_naive(y1, x, w, b, &d);
		ser_conv1d_forward(y2, x, w, b, &d, work);
		ser_conv1d_backward_naive(dx1, dw1, db1, g, x, w, &d);
		ser_conv1d_backward(dx2, dw2, db2, g, x, w, &d, work);
		double wv;
		long e = check_close_all(y2, y1, ny, 1e-5, 1e-5, &wv);
		e = e < 0 ? check_close_all(dx2, dx1, nx, 1e-5, 1e-5, &wv) : e;
		e = e < 0 ? check_close_all(dw2, dw1, nw, 1e-5, 1e-5, &wv) : e;
		e = e < 0 ? check_close_all(db2, db1, d.C_out, 1e-5, 1e-5, &wv) : e;
		if (e >= 0) {
			worst_bad++;
			printf("# conv mismatch B%d Ci%d Co%d K%d s%d d%d T%d pad%d: %g\n", d.B, d.C_in,
			       d.C_out, d.K, d.stride, d.dilation, d.T_in, pad, wv);
		}
		if (wv > worst_rel)
			worst_rel = wv;
		free(x), free(w), free(b), free(g), free(y1), free(y2), free(work);
		free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
	}
	CHECK(worst_bad == 0, "conv optimised == naive (forward and backward) on 40 random shapes "
	      "incl. stride 2, dilation 2, same/valid");

	/* shapes */
	ser_conv1d_dims d = { .B = 1, .C_in = 1, .T_in = 40, .C_out = 64, .K = 5, .stride = 1, .dilation = 1 };
	CHECK(ser_conv1d_setup(&d, SER_PAD_SAME) == 40 && d.pad_left == 2, "same: T_out 40, pad 2");
	CHECK(ser_conv1d_setup(&d, SER_PAD_VALID) == 36, "valid: T_out 36");
	d.stride = 2;
	CHECK(ser_conv1d_setup(&d, SER_PAD_SAME) == 20, "same stride 2: T_out 20");
	d.T_in = 41;
	CHECK(ser_conv1d_setup(&d, SER_PAD_VALID) == 19, "valid stride 2 T 41: T_out 19");

	/* known value: [1 2 3] * [1 0 -1] valid = -2 */
	ser_conv1d_dims e = { .B = 1, .C_in = 1, .T_in = 3, .C_out = 1, .K = 3, .stride = 1, .dilation = 1 };
	ser_conv1d_setup(&e, SER_PAD_VALID);
	float xx[3] = { 1, 2, 3 }, ww[3] = { 1, 0, -1 }, bb = 0.5f, yy = 0, wk[64];
	ser_conv1d_forward(&yy, xx, ww, &bb, &e, wk);
	CHECK(yy == -1.5f, "conv [1 2 3]*[1 0 -1]+0.5 = %g (want -1.5)", yy);

	/* gradient checks */
	for (int pass = 0; pass < 3; pass++) {
		convctx k = { 0 };
		k.d = (ser_conv1d_dims){ .B = 2, .C_in = 3, .T_in = 11, .C_out = 4, .K = 3,
		                         .stride = pass == 1 ? 2 : 1, .dilation = pass == 2 ? 2 : 1 };
		ser_conv1d_setup(&k.d, pass == 2 ? SER_PAD_VALID : SER_PAD_SAME);
		size_t nx = (size_t)k.d.B * k.d.C_in * k.d.T_in, nw = (size_t)k.d.C_out * k.d.C_in * k.d.K;
		size_t ny = (size_t)k.d.B * k.d.C_out * k.d.T_out;
		k.x = rnd(nx, 1), k.w = rnd(nw, 1), k.b = rnd(k.d.C_out, 1);
		k.work = rnd(ser_conv1d_work(&k.d), 0);
		k.dx = calloc(nx, 4), k.dw = calloc(nw, 4), k.db = calloc(k.d.C_out, 4);
		float *r = rnd(ny, 1);
		gcase gc = { &k, conv_fwd, conv_bwd, ny };
		conv_bwd(&k, r);
		char nm[64];
		snprintf(nm, sizeof nm, "conv(s%d,d%d,%s) dinp", k.d.stride, k.d.dilation,
		         pass == 2 ? "valid" : "same");
		numgrad(&gc, k.x, k.dx, nx, r, 1e-2f, nm);
		nm[strlen(nm) - 4] = 0;
		strcat(nm, "dw");
		numgrad(&gc, k.w, k.dw, nw, r, 1e-2f, nm);
		nm[strlen(nm) - 2] = 0;
		strcat(nm, "db");
		numgrad(&gc, k.b, k.db, k.d.C_out, r, 1e-2f, nm);
		free(k.x), free(k.w), free(k.b), free(k.work), free(k.dx), free(k.dw), free(k.db), free(r);
	}
}

/* ---- conv2d and maxpool2d ---- */
typedef struct conv2ctx {
	ser_conv2d_dims d;
	float *x, *w, *b, *work;
	float *dx, *dw, *db;
	int pool, pf, pt, *argmax;
} conv2ctx;
static void conv2_fwd(void *c, float *out)
{
	conv2ctx *k = c;
	if (k->pool)
		ser_maxpool2d_forward(out, k->argmax, k->x, k->d.B, k->d.C_in, k->d.F, k->d.T, k->pf,
		                      k->pt);
	else
		ser_conv2d_forward(out, k->x, k->w, k->b, &k->d, k->work);
}
static void conv2_bwd(void *c, const float *dout)
{
	conv2ctx *k = c;
	if (k->pool) {
		float *tmp = malloc((size_t)k->d.B * k->d.C_in * (k->d.F / k->pf) * (k->d.T / k->pt) * 4);
		ser_maxpool2d_forward(tmp, k->argmax, k->x, k->d.B, k->d.C_in, k->d.F, k->d.T, k->pf,
		                      k->pt);
		ser_maxpool2d_backward(k->dx, dout, k->argmax, k->d.B, k->d.C_in, k->d.F, k->d.T, k->pf,
		                       k->pt);
		free(tmp);
	} else {
		ser_conv2d_backward(k->dx, k->dw, k->db, dout, k->x, k->w, &k->d, k->work);
	}
}

static void test_conv2d(void)
{
	int bad = 0;
	for (int trial = 0; trial < 30; trial++) {
		ser_conv2d_dims d = { 0 };
		d.B = 1 + (int)ser_rng_below(&R, 3);
		d.C_in = 1 + (int)ser_rng_below(&R, 5);
		d.C_out = 1 + (int)ser_rng_below(&R, 6);
		d.KF = 1 + (int)ser_rng_below(&R, 5);
		d.KT = 1 + (int)ser_rng_below(&R, 5);
		d.F = 1 + (int)ser_rng_below(&R, 12);
		d.T = 1 + (int)ser_rng_below(&R, 30);
		size_t nx = (size_t)d.B * d.C_in * d.F * d.T, nw = (size_t)d.C_out * d.C_in * d.KF * d.KT;
		size_t ny = (size_t)d.B * d.C_out * d.F * d.T;
		float *x = rnd(nx, 1), *w = rnd(nw, 1), *b = rnd(d.C_out, 1), *g = rnd(ny, 1);
		float *y1 = rnd(ny, 0), *y2 = rnd(ny, 0), *work = rnd(ser_conv2d_work(&d), 0);
		float *dx1 = calloc(nx, 4), *dx2 = calloc(nx, 4), *dw1 = calloc(nw, 4),
		      *dw2 = calloc(nw, 4), *db1 = calloc(d.C_out, 4), *db2 = calloc(d.C_out, 4);
		double wv;
		ser_conv2d_forward_naive(y1, x, w, b, &d);
		ser_conv2d_forward(y2, x, w, b, &d, work);
		ser_conv2d_backward_naive(dx1, dw1, db1, g, x, w, &d);
		ser_conv2d_backward(dx2, dw2, db2, g, x, w, &d, work);
		long e = check_close_all(y2, y1, ny, 1e-5, 1e-5, &wv);
		e = e < 0 ? check_close_all(dx2, dx1, nx, 1e-5, 1e-5, &wv) : e;
		e = e < 0 ? check_close_all(dw2, dw1, nw, 1e-5, 1e-5, &wv) : e;
		e = e < 0 ? check_close_all(db2, db1, d.C_out, 1e-5, 1e-5, &wv) : e;
		if (e >= 0) {
			bad++;
			printf("# conv2d mismatch B%d Ci%d Co%d K%dx%d F%d T%d: %g\n", d.B, d.C_in, d.C_out,
			       d.KF, d.KT, d.F, d.T, wv);
		}
		free(x), free(w), free(b), free(g), free(y1), free(y2), free(work);
		free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
	}
	CHECK(bad == 0, "conv2d optimised == naive (forward and backward) on 30 random shapes, "
	      "odd and even kernels");
	{
		/* known value: centre of a 3x3 image with a 3x3 kernel of ones = sum of the image;
		 * a corner sees 4 values (same padding) */
		ser_conv2d_dims d = { .B = 1, .C_in = 1, .F = 3, .T = 3, .C_out = 1, .KF = 3, .KT = 3 };
		float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, w[9], b = 0, y[9], work[162];
		for (int i = 0; i < 9; i++)
			w[i] = 1;
		ser_conv2d_forward(y, x, w, &b, &d, work);
		CHECK(y[4] == 45 && y[0] == 12 && y[8] == 28, "conv2d 3x3 ones: centre %g (45), "
		      "corners %g (12) %g (28)", y[4], y[0], y[8]);
	}
	{
		float x[12] = { 1, 5, 2, 0, 3, 4, 9, 1, 7, 8, 6, 2 }, y[3];
		int am[3];
		/* one channel, rows [1 5 2 0] [3 4 9 1] [7 8 6 2], pool 3 x 2 -> (1, 2) */
		ser_maxpool2d_forward(y, am, x, 1, 1, 3, 4, 3, 2);
		CHECK(y[0] == 8 && am[0] == 9 && y[1] == 9 && am[1] == 6,
		      "maxpool2d 3x2 over 3x4: %g at %d, %g at %d (want 8 at 9, 9 at 6)", y[0], am[0],
		      y[1], am[1]);
		float yv[2] = { 0 };
		ser_maxpool2d_forward(yv, NULL, x, 1, 1, 3, 4, 3, 2);
		CHECK(yv[0] == 8 && yv[1] == 9, "maxpool2d 3x2, values only: %g %g (want 8 9)", yv[0], yv[1]);
	}
	{
		/* the 2x2 case (its own branch-free code) against a plain reference, with
		 * many ties (values from {-1,0,1}), odd sizes (a row and a frame dropped), and
		 * the values-only form (argmax NULL) */
		enum { B2 = 2, C2 = 3, F2 = 7, T2 = 9, FO = F2 / 2, TO = T2 / 2, NO = B2 * C2 * FO * TO };
		float *x = rnd(B2 * C2 * F2 * T2, 1.4f), y[NO], yv[NO];
		int am[NO], ndiff = 0;
		for (int i = 0; i < B2 * C2 * F2 * T2; i++)
			x[i] = roundf(x[i]); /* -1, 0 or 1 */
		ser_maxpool2d_forward(y, am, x, B2, C2, F2, T2, 2, 2);
		ser_maxpool2d_forward(yv, NULL, x, B2, C2, F2, T2, 2, 2);
		for (int bc = 0; bc < B2 * C2; bc++)
			for (int f = 0; f < FO; f++)
				for (int t = 0; t < TO; t++) {
					const float *pl = x + bc * F2 * T2;
					int best = 2 * f * T2 + 2 * t, o = (bc * FO + f) * TO + t;
					for (int u = 0; u < 2; u++)
						for (int v = 0; v < 2; v++)
							if (pl[(2 * f + u) * T2 + 2 * t + v] > pl[best])
								best = (2 * f + u) * T2 + 2 * t + v;
					ndiff += y[o] != pl[best] || am[o] != best || yv[o] != pl[best];
				}
		CHECK(ndiff == 0, "maxpool2d 2x2 (ties, odd sizes, values only) = reference: %d of %d differ",
		      ndiff, NO);
		free(x);
	}
	for (int pass = 0; pass < 3; pass++) {
		conv2ctx k = { 0 };
		k.d = (ser_conv2d_dims){ .B = 2, .C_in = 2, .F = 6, .T = 7, .C_out = 3,
		                         .KF = pass == 1 ? 2 : 3, .KT = pass == 1 ? 4 : 3 };
		k.pool = pass == 2, k.pf = 2, k.pt = 3;
		size_t nx = (size_t)k.d.B * k.d.C_in * k.d.F * k.d.T;
		size_t nw = (size_t)k.d.C_out * k.d.C_in * k.d.KF * k.d.KT;
		size_t ny = k.pool ? (size_t)k.d.B * k.d.C_in * (k.d.F / 2) * (k.d.T / 3)
		                   : (size_t)k.d.B * k.d.C_out * k.d.F * k.d.T;
		k.x = rnd(nx, 1), k.w = rnd(nw, 1), k.b = rnd(k.d.C_out, 1);
		k.work = rnd(ser_conv2d_work(&k.d), 0);
		k.argmax = calloc(ny, sizeof *k.argmax);
		k.dx = calloc(nx, 4), k.dw = calloc(nw, 4), k.db = calloc(k.d.C_out, 4);
		float *r = rnd(ny, 1);
		gcase gc = { &k, conv2_fwd, conv2_bwd, ny };
		conv2_bwd(&k, r);
		if (k.pool) {
			numgrad(&gc, k.x, k.dx, nx, r, 1e-3f, "maxpool2d(2x3) dinp");
		} else {
			char nm[64];
			snprintf(nm, sizeof nm, "conv2d(%dx%d) dinp", k.d.KF, k.d.KT);
			numgrad(&gc, k.x, k.dx, nx, r, 1e-2f, nm);
			snprintf(nm, sizeof nm, "conv2d(%dx%d) dw", k.d.KF, k.d.KT);
			numgrad(&gc, k.w, k.dw, nw, r, 1e-2f, nm);
			snprintf(nm, sizeof nm, "conv2d(%dx%d) db", k.d.KF, k.d.KT);
			numgrad(&gc, k.b, k.db, k.d.C_out, r, 1e-2f, nm);
		}
		free(k.x), free(k.w), free(k.b), free(k.work), free(k.dx), free(k.dw), free(k.db);
		free(k.argmax), free(r);
	}
}

/* RMS of x[0..n): the scale for "1e-5 relative" on sums with cancellation. */
static double rms(const float *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return n ? sqrt(s / (double)n) : 0;
}

/* |a - b| <= 1e-5 * max(|b|, rms(b)) everywhere. */
static int close_scaled(const float *a, const float *b, size_t n, double *worst)
{
	double sc = rms(b, n), w = 0;
	int ok = 1;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - b[i]), t = fabs(b[i]) > sc ? fabs(b[i]) : sc;
		if (!(d <= 1e-5 * t))
			ok = 0;
		if (t > 0 && d / t > w)
			w = d / t;
	}
	*worst = w;
	return ok;
}

/* BLAS conv == naive at the network's sizes (large GEMMs take other BLAS
 * kernel paths than the small random shapes above). */
static void test_conv_blas(void)
{
	static const int shp[][8] = { /* B, C_in, T_in, C_out, K, stride, dil, pad */
		{ 3, 40, 203, 64, 5, 1, 1, SER_PAD_SAME },
		{ 2, 64, 101, 128, 5, 1, 1, SER_PAD_SAME },
		{ 2, 128, 50, 128, 3, 1, 1, SER_PAD_SAME },
		{ 2, 33, 77, 20, 4, 2, 3, SER_PAD_VALID },
		{ 2, 48, 61, 24, 1, 1, 1, SER_PAD_VALID },
		{ 1, 17, 300, 300, 7, 3, 2, SER_PAD_SAME },
	};
	for (size_t c = 0; c < sizeof shp / sizeof shp[0]; c++) {
		const int *v = shp[c];
		ser_conv1d_dims d = { .B = v[0], .C_in = v[1], .T_in = v[2], .C_out = v[3], .K = v[4],
		                      .stride = v[5], .dilation = v[6] };
		ser_conv1d_setup(&d, v[7]);
		size_t nx = (size_t)d.B * d.C_in * d.T_in, nw = (size_t)d.C_out * d.C_in * d.K;
		size_t ny = (size_t)d.B * d.C_out * d.T_out;
		float *x = rnd(nx, 1), *w = rnd(nw, 1), *b = rnd(d.C_out, 1), *g = rnd(ny, 1);
		float *y1 = rnd(ny, 0), *y2 = rnd(ny, 0), *work = rnd(ser_conv1d_work(&d), 0);
		/* gradients start non-zero: backward must accumulate */
		float *dx1 = rnd(nx, 1), *dw1 = rnd(nw, 1), *db1 = rnd(d.C_out, 1);
		float *dx2 = malloc(nx * 4), *dw2 = malloc(nw * 4), *db2 = malloc(d.C_out * 4);
		memcpy(dx2, dx1, nx * 4), memcpy(dw2, dw1, nw * 4), memcpy(db2, db1, d.C_out * 4);
		ser_conv1d_forward_naive(y1, x, w, b, &d);
		ser_conv1d_forward(y2, x, w, b, &d, work);
		ser_conv1d_backward_naive(dx1, dw1, db1, g, x, w, &d);
		ser_conv1d_backward(dx2, dw2, db2, g, x, w, &d, work);
		double e[4];
		int ok = close_scaled(y2, y1, ny, &e[0]) & close_scaled(dx2, dx1, nx, &e[1]) &
		         close_scaled(dw2, dw1, nw, &e[2]) & close_scaled(db2, db1, d.C_out, &e[3]);
		CHECK(ok, "conv BLAS == naive within 1e-5 relative, (%d,%d,%d) x (%d,%d,%d) s%d d%d %s: "
		      "y %.2g dx %.2g dw %.2g db %.2g", d.B, d.C_in, d.T_in, d.C_out, d.C_in, d.K,
		      d.stride, d.dilation, v[7] == SER_PAD_SAME ? "same" : "valid", e[0], e[1], e[2],
		      e[3]);
		free(x), free(w), free(b), free(g), free(y1), free(y2), free(work);
		free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
	}
}

/* ---- dense ---- */
typedef struct densectx {
	int B, ni, no;
	float *x, *w, *b, *dx, *dw, *db;
} densectx;
static void dense_fwd(void *c, float *out)
{
	densectx *k = c;
	ser_dense_forward(out, k->x, k->w, k->b, k->B, k->ni, k->no);
}
static void dense_bwd(void *c, const float *dout)
{
	densectx *k = c;
	ser_dense_backward(k->dx, k->dw, k->db, dout, k->x, k->w, k->B, k->ni, k->no);
}
static void test_dense(void)
{
	densectx k = { .B = 3, .ni = 7, .no = 5 };
	k.x = rnd(21, 1), k.w = rnd(35, 1), k.b = rnd(5, 1);
	k.dx = calloc(21, 4), k.dw = calloc(35, 4), k.db = calloc(5, 4);
	float *r = rnd(15, 1);
	gcase gc = { &k, dense_fwd, dense_bwd, 15 };
	dense_bwd(&k, r);
	numgrad(&gc, k.x, k.dx, 21, r, 1e-2f, "dense dinp");
	numgrad(&gc, k.w, k.dw, 35, r, 1e-2f, "dense dw");
	numgrad(&gc, k.b, k.db, 5, r, 1e-2f, "dense db");
	/* BLAS == naive, forward and backward (accumulating), incl. no dinp */
	static const int shp[][3] = { { 16, 256, 128 }, { 16, 128, 8 }, { 1, 7, 3 }, { 5, 33, 65 } };
	for (size_t c = 0; c < sizeof shp / sizeof shp[0]; c++) {
		int B = shp[c][0], ni = shp[c][1], no = shp[c][2];
		size_t nx = (size_t)B * ni, nw = (size_t)no * ni, ny = (size_t)B * no;
		float *x = rnd(nx, 1), *w = rnd(nw, 1), *b = rnd(no, 1), *g = rnd(ny, 1);
		float *y1 = rnd(ny, 0), *y2 = rnd(ny, 0);
		float *dx1 = rnd(nx, 1), *dw1 = rnd(nw, 1), *db1 = rnd(no, 1);
		float *dx2 = malloc(nx * 4), *dw2 = malloc(nw * 4), *db2 = malloc(no * 4);
		memcpy(dx2, dx1, nx * 4), memcpy(dw2, dw1, nw * 4), memcpy(db2, db1, no * 4);
		ser_dense_forward_naive(y1, x, w, b, B, ni, no);
		ser_dense_forward(y2, x, w, b, B, ni, no);
		ser_dense_backward_naive(c == 2 ? NULL : dx1, dw1, db1, g, x, w, B, ni, no);
		ser_dense_backward(c == 2 ? NULL : dx2, dw2, db2, g, x, w, B, ni, no);
		double e[4];
		int ok = close_scaled(y2, y1, ny, &e[0]) & close_scaled(dx2, dx1, nx, &e[1]) &
		         close_scaled(dw2, dw1, nw, &e[2]) & close_scaled(db2, db1, no, &e[3]);
		CHECK(ok, "dense BLAS == naive within 1e-5 relative, B%d %d -> %d%s: y %.2g dx %.2g "
		      "dw %.2g db %.2g", B, ni, no, c == 2 ? " (no dinp)" : "", e[0], e[1], e[2], e[3]);
		free(x), free(w), free(b), free(g), free(y1), free(y2);
		free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
	}

	float y;
	float x2[2] = { 1, 2 }, w2[2] = { 3, -1 }, b2 = 0.25f;
	ser_dense_forward(&y, x2, w2, &b2, 1, 2, 1);
	CHECK(y == 1.25f, "dense [1 2].[3 -1]+0.25 = %g", y);
	free(k.x), free(k.w), free(k.b), free(k.dx), free(k.dw), free(k.db), free(r);
}

/* ---- relu, dropout, pools ---- */
typedef struct simplectx {
	int kind, B, C, T, size, stride;
	float *x, *dx, *mask, p;
	int *argmax;
} simplectx;
static void simple_fwd(void *c, float *out)
{
	simplectx *k = c;
	size_t n = (size_t)k->B * k->C * k->T;
	switch (k->kind) {
	case 0: ser_relu_forward(out, k->x, n); break;
	case 1: ser_dropout_forward(out, k->mask, k->x, k->B, (size_t)k->C * k->T, k->p, 7, NULL); break;
	case 2: ser_maxpool_forward(out, k->argmax, k->x, k->B, k->C, k->T, k->size, k->stride); break;
	case 3: ser_avgpool_forward(out, k->x, k->B, k->C, k->T, k->size, k->stride); break;
	}
}
static void simple_bwd(void *c, const float *dout)
{
	simplectx *k = c;
	size_t n = (size_t)k->B * k->C * k->T;
	switch (k->kind) {
	case 0: ser_relu_backward(k->dx, dout, k->x, n); break;
	case 1: ser_dropout_backward(k->dx, dout, k->mask, n); break;
	case 2: ser_maxpool_backward(k->dx, dout, k->argmax, k->B, k->C, k->T, k->size, k->stride); break;
	case 3: ser_avgpool_backward(k->dx, dout, k->B, k->C, k->T, k->size, k->stride); break;
	}
}
static void test_simple(void)
{
	static const char *names[] = { "relu", "dropout", "maxpool(3,2)", "avgpool(3,2)" };
	for (int kind = 0; kind < 4; kind++) {
		simplectx k = { .kind = kind, .B = 2, .C = 3, .T = 12, .size = 3, .stride = 2, .p = 0.3f };
		size_t n = 72;
		k.x = rnd(n, 1);
		/* keep values away from the kinks (0 for relu, ties for max) */
		for (size_t i = 0; i < n; i++)
			k.x[i] += k.x[i] >= 0 ? 0.05f : -0.05f;
		if (kind == 2)
			for (size_t i = 0; i < n; i++)
				k.x[i] = (float)((i * 37) % 72) * 0.1f - 3.0f;
		k.dx = calloc(n, 4), k.mask = calloc(n, 4), k.argmax = calloc(n, sizeof(int));
		size_t nout = kind >= 2 ? (size_t)k.B * k.C * ser_pool_outlen(k.T, 3, 2) : n;
		float *r = rnd(nout, 1), *tmp = malloc(nout * 4);
		simple_fwd(&k, tmp);
		simple_bwd(&k, r);
		gcase gc = { &k, simple_fwd, simple_bwd, nout };
		char nm[64];
		snprintf(nm, sizeof nm, "%s dinp", names[kind]);
		numgrad(&gc, k.x, k.dx, n, r, 1e-2f, nm);
		if (kind == 1) {
			int zeros = 0, scaled = 0;
			for (size_t i = 0; i < n; i++) {
				zeros += k.mask[i] == 0.0f;
				scaled += fabsf(k.mask[i] - 1.0f / 0.7f) < 1e-6f;
			}
			CHECK(zeros + scaled == (int)n && zeros > 5 && zeros < 40,
			      "dropout mask is 0 or 1/(1-p): %d zeros of %zu", zeros, n);
		}
		free(k.x), free(k.dx), free(k.mask), free(k.argmax), free(r), free(tmp);
	}
	CHECK(ser_pool_outlen(10, 2, 2) == 5 && ser_pool_outlen(11, 3, 2) == 5 &&
	      ser_pool_outlen(2, 3, 1) == 0, "pool output lengths");
}

/* ---- batchnorm (train mode, with lengths) ---- */
typedef struct bnctx {
	int B, C, T, train;
	const int *len;
	float *x, *gamma, *beta, *rm, *rv, *mean, *rstd, *dx, *dg, *dbt;
} bnctx;
static void bn_fwd(void *c, float *out)
{
	bnctx *k = c;
	ser_batchnorm_forward(out, k->mean, k->rstd, k->x, k->gamma, k->beta, NULL, NULL,
	                      k->B, k->C, k->T, k->len, 1, 0.99f, 1e-3f);
}
static void bn_bwd(void *c, const float *dout)
{
	bnctx *k = c;
	ser_batchnorm_backward(k->dx, k->dg, k->dbt, dout, k->x, k->mean, k->rstd, k->gamma,
	                       k->B, k->C, k->T, k->len);
}
static void test_bn(void)
{
	int lens[3] = { 9, 5, 7 };
	for (int masked = 0; masked < 2; masked++) {
		bnctx k = { .B = 3, .C = 4, .T = 9, .len = masked ? lens : NULL };
		size_t n = 108;
		k.x = rnd(n, 2), k.gamma = rnd(4, 1), k.beta = rnd(4, 1);
		k.mean = calloc(4, 4), k.rstd = calloc(4, 4);
		k.dx = calloc(n, 4), k.dg = calloc(4, 4), k.dbt = calloc(4, 4);
		float *r = rnd(n, 1), *out = malloc(n * 4);
		bn_fwd(&k, out);
		bn_bwd(&k, r);
		gcase gc = { &k, bn_fwd, bn_bwd, n };
		const char *m = masked ? " masked" : "";
		char nm[64];
		snprintf(nm, sizeof nm, "batchnorm%s dinp", m);
		numgrad(&gc, k.x, k.dx, n, r, 1e-2f, nm);
		snprintf(nm, sizeof nm, "batchnorm%s dgamma", m);
		numgrad(&gc, k.gamma, k.dg, 4, r, 1e-2f, nm);
		snprintf(nm, sizeof nm, "batchnorm%s dbeta", m);
		numgrad(&gc, k.beta, k.dbt, 4, r, 1e-2f, nm);
		free(k.x), free(k.gamma), free(k.beta), free(k.mean), free(k.rstd);
		free(k.dx), free(k.dg), free(k.dbt), free(r), free(out);
	}
	/* values: normalised output has mean beta, running stats move */
	float x[6] = { 1, 2, 3, 4, 100, 100 }, y[6], g = 2, b = 1, rm = 0, rv = 1, mu, rs;
	int L = 4;
	ser_batchnorm_forward(y, &mu, &rs, x, &g, &b, &rm, &rv, 1, 1, 6, &L, 1, 0.9f, 0.0f);
	CHECK(fabsf(mu - 2.5f) < 1e-6f && fabsf(rs - 1.0f / sqrtf(1.25f)) < 1e-6f && y[4] == 0 && y[5] == 0,
	      "batchnorm stats over valid frames: mean %g rstd %g, padded frames 0", mu, rs);
	CHECK(fabsf(rm - 0.25f) < 1e-6f && fabsf(rv - (0.9f + 0.1f * 1.25f)) < 1e-6f,
	      "batchnorm running stats: %g %g", rm, rv);
	ser_batchnorm_forward(y, &mu, &rs, x, &g, &b, &rm, &rv, 1, 1, 6, &L, 0, 0.9f, 0.0f);
	CHECK(fabsf(y[0] - (2 * (1 - 0.25f) / sqrtf(rv) + 1)) < 1e-5f, "batchnorm eval mode uses running stats");
}

/* ---- stats pooling ---- */
typedef struct spctx {
	int B, C, T;
	const int *len;
	float *x, *dx, *out;
} spctx;
static void sp_fwd(void *c, float *out)
{
	spctx *k = c;
	ser_statpool_forward(out, k->x, k->B, k->C, k->T, k->len, 1e-5f);
}
static void sp_bwd(void *c, const float *dout)
{
	spctx *k = c;
	ser_statpool_forward(k->out, k->x, k->B, k->C, k->T, k->len, 1e-5f);
	ser_statpool_backward(k->dx, dout, k->out, k->x, k->B, k->C, k->T, k->len);
}
static void test_stats(void)
{
	int lens[2] = { 6, 3 };
	spctx k = { .B = 2, .C = 3, .T = 6, .len = lens };
	k.x = rnd(36, 1), k.dx = calloc(36, 4), k.out = calloc(12, 4);
	float *r = rnd(12, 1);
	sp_bwd(&k, r);
	gcase gc = { &k, sp_fwd, sp_bwd, 12 };
	numgrad(&gc, k.x, k.dx, 36, r, 1e-2f, "stats pooling (masked) dinp");
	int zero = 1;
	for (int c = 0; c < 3; c++)
		for (int t = 3; t < 6; t++)
			zero &= k.dx[(3 + c) * 6 + t] == 0.0f;
	CHECK(zero, "stats pooling: no gradient into padded frames");
	float x[5] = { 1, 3, 5, 7, 1000 }, o[2];
	int L = 4;
	ser_statpool_forward(o, x, 1, 1, 5, &L, 0.0f);
	CHECK(o[0] == 4.0f && fabsf(o[1] - sqrtf(5.0f)) < 1e-6f, "stats of 1 3 5 7 (+padding): %g %g", o[0], o[1]);
	free(k.x), free(k.dx), free(k.out), free(r);
}

/* ---- cross-entropy ---- */
typedef struct cectx {
	int B, n;
	float *z, *dz, *probs, *cw, sm;
	int *y;
} cectx;
static void ce_fwd(void *c, float *out)
{
	cectx *k = c;
	out[0] = ser_crossentropy_forward_backward(k->probs, NULL, k->z, k->y, k->B, k->n, k->cw,
	                                           k->sm, (float)k->B);
}
static void ce_bwd(void *c, const float *dout)
{
	cectx *k = c;
	ser_crossentropy_forward_backward(k->probs, k->dz, k->z, k->y, k->B, k->n, k->cw, k->sm,
	                                  (float)k->B);
	for (int i = 0; i < k->B * k->n; i++)
		k->dz[i] *= dout[0];
}
static void test_ce(void)
{
	int y[4] = { 0, 2, 1, 2 };
	float cw[3] = { 0.5f, 2.0f, 1.25f };
	cectx k = { .B = 4, .n = 3, .cw = cw, .sm = 0.1f, .y = y };
	k.z = rnd(12, 3), k.dz = calloc(12, 4), k.probs = calloc(12, 4);
	float r = 1.0f;
	ce_bwd(&k, &r);
	gcase gc = { &k, ce_fwd, ce_bwd, 1 };
	numgrad(&gc, k.z, k.dz, 12, &r, 1e-2f, "softmax+CE (weights, smoothing 0.1) dlogits");
	float z2[2] = { 0, 0 }, p2[2];
	int y2 = 1;
	float l = ser_crossentropy_forward_backward(p2, NULL, z2, &y2, 1, 2, NULL, 0, 1);
	CHECK(fabsf(l - logf(2.0f)) < 1e-6f && p2[0] == 0.5f, "CE of uniform 2-class = ln 2 (%g)", l);
	float z3[3] = { 1000, 0, -1000 }, p3[3];
	l = ser_crossentropy_forward_backward(p3, NULL, z3, &y2, 1, 3, NULL, 0, 1);
	CHECK(fabsf(l - 1000.0f) < 1e-3f && isfinite(l), "CE with large logits stays finite (%g)", l);
	free(k.z), free(k.dz), free(k.probs);
}

/* masked cross-entropy: the plain one bit for bit without a mask, the
 * plain one over the kept classes with one, and its numerical gradient */
typedef struct mcectx {
	int B, n;
	float *z, *dz, *probs, *w, sm;
	int *y;
	const unsigned char *mask;
} mcectx;
static void mce_fwd(void *c, float *out)
{
	mcectx *k = c;
	out[0] = ser_crossentropy_masked_forward_backward(k->probs, NULL, k->z, k->y, k->mask, k->B,
	                                                  k->n, k->w, k->sm, (float)k->B);
}
static void mce_bwd(void *c, const float *dout)
{
	mcectx *k = c;
	ser_crossentropy_masked_forward_backward(k->probs, k->dz, k->z, k->y, k->mask, k->B, k->n,
	                                         k->w, k->sm, (float)k->B);
	for (int i = 0; i < k->B * k->n; i++)
		k->dz[i] *= dout[0];
}
static void test_ce_masked(void)
{
	enum { B = 5, n = 6 };
	int y[B] = { 0, 2, 1, 5, 3 };
	float cw[n] = { 0.5f, 2.0f, 1.25f, 1, 0.75f, 3 }, w[B];
	float *z = rnd(B * n, 4), p1[B * n], p2[B * n], d1[B * n], d2[B * n];
	for (int b = 0; b < B; b++)
		w[b] = cw[y[b]];
	float l1 = ser_crossentropy_forward_backward(p1, d1, z, y, B, n, cw, 0.1f, 7);
	float l2 = ser_crossentropy_masked_forward_backward(p2, d2, z, y, NULL, B, n, w, 0.1f, 7);
	CHECK(l1 == l2 && !memcmp(p1, p2, sizeof p1) && !memcmp(d1, d2, sizeof d1),
	      "masked CE without a mask = plain CE with class weights, bit for bit");
	unsigned char ones[B * n];
	memset(ones, 1, sizeof ones);
	l2 = ser_crossentropy_masked_forward_backward(p2, d2, z, y, ones, B, n, w, 0.1f, 7);
	CHECK(l1 == l2 && !memcmp(p1, p2, sizeof p1) && !memcmp(d1, d2, sizeof d1),
	      "masked CE with every class kept = plain CE, bit for bit");
	/* sample b keeps classes where (b + j) % 3 != 1, and its label */
	unsigned char mk[B * n];
	int same = 1, zero = 1;
	for (int b = 0; b < B; b++) {
		float zs[n], ps[n], ds[n];
		int ys = 0, m = 0;
		for (int j = 0; j < n; j++) {
			mk[b * n + j] = (b + j) % 3 != 1 || j == y[b];
			if (mk[b * n + j]) {
				ys = j == y[b] ? m : ys;
				zs[m++] = z[b * n + j];
			}
		}
		float ls = ser_crossentropy_forward_backward(ps, ds, zs, &ys, 1, m, NULL, 0.2f, 1);
		float pm[n], dm[n];
		float lm = ser_crossentropy_masked_forward_backward(pm, dm, z + b * n, y + b, mk + b * n, 1,
		                                                    n, NULL, 0.2f, 1);
		same &= ls == lm;
		for (int j = 0, i = 0; j < n; j++) {
			if (mk[b * n + j]) {
				same &= pm[j] == ps[i] && dm[j] == ds[i];
				i++;
			} else {
				zero &= pm[j] == 0.0f && dm[j] == 0.0f;
			}
		}
	}
	CHECK(same, "masked CE = plain CE over the kept classes (loss, probs, dlogits)");
	CHECK(zero, "masked CE: probability and gradient 0 at the classes left out");
	mcectx k = { .B = B, .n = n, .w = w, .sm = 0.1f, .y = y, .mask = mk };
	k.z = z, k.dz = calloc(B * n, 4), k.probs = calloc(B * n, 4);
	float r = 1.0f;
	mce_bwd(&k, &r);
	gcase gc = { &k, mce_fwd, mce_bwd, 1 };
	numgrad(&gc, k.z, k.dz, B * n, &r, 1e-2f, "masked softmax+CE (weights, smoothing 0.1) dlogits");
	free(z), free(k.dz), free(k.probs);
}

/* ---- rng and optimisers ---- */
static void test_rng_optim(void)
{
	ser_rng a, b;
	ser_rng_seed(&a, 42);
	ser_rng_seed(&b, 42);
	int same = 1;
	for (int i = 0; i < 1000; i++)
		same &= ser_rng_next(&a) == ser_rng_next(&b);
	CHECK(same, "rng: same seed, same sequence");
	{
		/* gamma and beta: sample means and variances against the formulas */
		static const double ab[][2] = { { 0.4, 0.4 }, { 2, 5 }, { 1, 1 } };
		for (int k = 0; k < 3; k++) {
			double a_ = ab[k][0], b_ = ab[k][1], s1 = 0, s2 = 0, g1 = 0, inr = 1;
			int N = 40000;
			for (int i = 0; i < N; i++) {
				double v = ser_rng_beta(&a, a_, b_), gv = ser_rng_gamma(&a, a_);
				s1 += v, s2 += v * v, g1 += gv;
				inr = inr && v >= 0 && v <= 1 && gv > 0;
			}
			double m = s1 / N, var = s2 / N - m * m, want = a_ / (a_ + b_);
			double wantv = a_ * b_ / ((a_ + b_) * (a_ + b_) * (a_ + b_ + 1));
			CHECK(inr && fabs(m - want) < 0.01 && fabs(var - wantv) < 0.01 &&
			      fabs(g1 / N - a_) < 0.03 * (a_ + 1),
			      "Beta(%g, %g): mean %.4f (%.4f) var %.4f (%.4f); Gamma(%g) mean %.3f", a_, b_, m,
			      want, var, wantv, a_, g1 / N);
		}
	}
	/* xoshiro256** reference: state {1,2,3,4} -> first output 11520 */
	ser_rng c = { { 1, 2, 3, 4 } };
	uint64_t v0 = ser_rng_next(&c), v1 = ser_rng_next(&c);
	CHECK(v0 == 11520 && v1 == 0, "xoshiro256** from {1,2,3,4}: %llu %llu (want 11520 0)",
	      (unsigned long long)v0, (unsigned long long)v1);
	/* splitmix64 reference: seed 1234567 first output 6457827717110365317 */
	ser_rng_seed(&c, 1234567);
	CHECK(c.s[0] == UINT64_C(6457827717110365317), "splitmix64 seeding: %llu",
	      (unsigned long long)c.s[0]);
	double m = 0, s2 = 0;
	ser_rng_seed(&a, 7);
	for (int i = 0; i < 20000; i++) {
		double x = ser_rng_normal(&a);
		m += x;
		s2 += x * x;
	}
	m /= 20000, s2 = s2 / 20000 - m * m;
	CHECK(fabs(m) < 0.03 && fabs(s2 - 1) < 0.05, "normal: mean %g var %g", m, s2);
	int perm[10], seen = 0, inrange = 1;
	for (int i = 0; i < 10; i++)
		perm[i] = i;
	ser_rng_shuffle(&a, perm, 10);
	for (int i = 0; i < 10; i++)
		seen |= 1 << perm[i];
	for (int i = 0; i < 1000; i++) {
		long v = ser_rng_range(&a, -3, 3);
		inrange &= v >= -3 && v <= 3;
	}
	CHECK(seen == 1023 && inrange, "shuffle is a permutation, range stays in [lo, hi]");

	/* RMSprop, Keras semantics, two steps by hand */
	ser_optim_opts o;
	ser_optim_defaults(&o, SER_OPT_RMSPROP);
	ser_optim *opt = ser_optim_new(&o, 1, NULL);
	float p = 1.0f, g = 0.5f;
	ser_optim_step(opt, &p, &g, o.lr);
	double v = 0.1 * 0.25, want = 1.0 - 1e-3 * 0.5 / (sqrt(v) + 1e-7);
	ser_optim_step(opt, &p, &g, o.lr);
	v = 0.9 * v + 0.1 * 0.25;
	want -= 1e-3 * 0.5 / (sqrt(v) + 1e-7);
	CHECK(fabs(p - want) < 1e-6, "RMSprop two steps: %.7f (want %.7f)", p, want);
	ser_optim_free(opt);
	/* Adam first step moves by ~lr*sign(g) */
	ser_optim_defaults(&o, SER_OPT_ADAM);
	opt = ser_optim_new(&o, 1, NULL);
	p = 1.0f, g = -3.0f;
	ser_optim_step(opt, &p, &g, o.lr);
	CHECK(fabs(p - 1.001) < 1e-6, "Adam first step: %.7f (want 1.001)", p);
	ser_optim_free(opt);
	ser_optim_defaults(&o, SER_OPT_ADAMW);
	opt = ser_optim_new(&o, 1, NULL);
	p = 2.0f, g = 0.0f;
	ser_optim_step(opt, &p, &g, 0.1f);
	CHECK(fabs(p - 2.0 * (1 - 0.1 * 0.004)) < 1e-6, "AdamW decoupled decay with zero gradient: %g", p);
	ser_optim_free(opt);
	/* minimise (p-3)^2 */
	for (int kind = 0; kind < 4; kind++) {
		ser_optim_defaults(&o, kind);
		o.lr = 0.05f;
		o.weight_decay = 0;
		opt = ser_optim_new(&o, 1, NULL);
		p = 0;
		for (int i = 0; i < 2000; i++) {
			g = 2 * (p - 3);
			ser_optim_step(opt, &p, &g, o.lr);
		}
		CHECK(fabsf(p - 3) < 0.06f, "optimiser %d minimises a quadratic: %g", kind, p);
		ser_optim_free(opt);
	}
	CHECK(ser_optim_kind("adamw") == SER_OPT_ADAMW && ser_optim_kind("x") == -1, "optimiser names");
	ser_lr_sched sc = { .kind = SER_LR_COSINE, .lr = 1, .lr_min = 0, .warmup = 10, .total = 110 };
	CHECK(fabsf(ser_lr_at(&sc, 0) - 0.1f) < 1e-6f && fabsf(ser_lr_at(&sc, 10) - 1) < 1e-6f &&
	      fabsf(ser_lr_at(&sc, 60) - 0.5f) < 1e-6f && ser_lr_at(&sc, 200) == 0,
	      "cosine schedule with warm-up");
	ser_lr_sched st = { .kind = SER_LR_STEP, .lr = 1, .every = 10, .gamma = 0.5f };
	CHECK(ser_lr_at(&st, 9) == 1 && ser_lr_at(&st, 10) == 0.5f && ser_lr_at(&st, 25) == 0.25f,
	      "step schedule");
	float w[1000];
	ser_rng_seed(&a, 1);
	ser_init_glorot_uniform(w, 1000, 320, 64 * 5, &a);
	float a_lim = sqrtf(6.0f / 640), mx = 0;
	for (int i = 0; i < 1000; i++)
		mx = fmaxf(mx, fabsf(w[i]));
	CHECK(mx <= a_lim && mx > 0.95f * a_lim, "glorot_uniform bound %g (limit %g)", mx, a_lim);
}

/* The element-wise kernels of the network's passes against their naive
 * forms, bit for bit, at every length 0..40 (SSE2 blocks of 4 and the
 * scalar tail; zeros and -0 in the inputs). */
static void test_kernels(void)
{
	int bad[4] = { 0 };
	for (size_t n = 0; n <= 40; n++) {
		float *x = rnd(n, 1), *d = rnd(n, 1), *mk = rnd(n, 1);
		float *a = malloc((n + 1) * 4), *b = calloc(n + 1, 4), *t = calloc(n + 1, 4);
		for (size_t i = 0; i < n; i += 5)
			x[i] = i % 10 ? -0.0f : 0.0f;
		for (size_t i = 0; i < n; i++)
			mk[i] = mk[i] < 0 ? 0.0f : 1.25f;
		memcpy(a, x, n * 4);
		ser_relu_inplace(a, n);
		ser_relu_forward(b, x, n);
		bad[0] += memcmp(a, b, n * 4) != 0;
		memset(b, 0, n * 4);
		ser_relu_backward_set(a, d, x, n);
		ser_relu_backward(b, d, x, n);
		bad[1] += memcmp(a, b, n * 4) != 0;
		memset(b, 0, n * 4);
		ser_dropout_backward_set(a, d, mk, n);
		ser_dropout_backward(b, d, mk, n);
		bad[2] += memcmp(a, b, n * 4) != 0;
		memset(b, 0, n * 4);
		memset(t, 0, n * 4);
		ser_dropout_relu_backward_set(a, d, mk, x, n);
		ser_dropout_backward(t, d, mk, n);
		ser_relu_backward(b, t, x, n);
		bad[3] += memcmp(a, b, n * 4) != 0;
		free(x), free(d), free(mk), free(a), free(b), free(t);
	}
	CHECK(!bad[0], "relu in place = ser_relu_forward, lengths 0..40 (%d differ)", bad[0]);
	CHECK(!bad[1], "relu backward set = ser_relu_backward into zeros (%d differ)", bad[1]);
	CHECK(!bad[2], "dropout backward set = ser_dropout_backward into zeros (%d differ)", bad[2]);
	CHECK(!bad[3], "fused dropout+relu backward = the two in turn (%d differ)", bad[3]);
}

/* Dropout forward along each path (scalar chains, 4 chains, AVX2 when the
 * CPU has it, the best) against the naive reference, bit for bit, over
 * batch sizes 1..9 (groups of 4 and the rest) and row lengths reaching
 * the 4-wide blocks and their tails. */
static void test_dropout_paths(void)
{
	static const size_t lens[] = { 1, 3, 4, 5, 7, 8, 9, 16, 17 };
	static const char *const pname[] = { "best", "scalar", "4 chains", "AVX2" };
	uint64_t ids[9] = { 5, 1, 99, 3, 1234567, 8, 2, 77, 40 };
	int npaths = ser_nn_avx2() ? 4 : 3;
	for (int path = 0; path < npaths; path++) {
		int bad = 0, cases = 0;
		for (int B = 1; B <= 9; B++)
			for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
				size_t n = (size_t)B * lens[k];
				float *x = rnd(n, 1), *y0 = malloc(n * 4), *m0 = malloc(n * 4);
				float *y1 = malloc(n * 4), *m1 = malloc(n * 4);
				const uint64_t *id = B % 2 ? ids : NULL;
				ser_dropout_forward_naive(y0, m0, x, B, lens[k], 0.3f, 11, id);
				ser_dropout_forward_path(y1, m1, x, B, lens[k], 0.3f, 11, id, path);
				bad += memcmp(y0, y1, n * 4) != 0 || memcmp(m0, m1, n * 4) != 0;
				cases++;
				free(x), free(y0), free(m0), free(y1), free(m1);
			}
		CHECK(bad == 0, "dropout forward, %s path = naive reference (%d of %d cases differ)",
		      pname[path], bad, cases);
	}
	if (npaths == 3)
		printf("# no AVX2 on this CPU: its dropout path not run\n");
}

int main(void)
{
	ser_rng_seed(&R, 12345);
	test_conv();
	test_conv_blas();
	test_conv2d();
	test_dense();
	test_simple();
	test_kernels();
	test_dropout_paths();
	test_bn();
	test_stats();
	test_ce();
	test_ce_masked();
	test_rng_optim();
	return check_status();
}
