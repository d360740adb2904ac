/* Voice-activity trimming (lib/trim.c) on synthetic frames, its use at
 * dataset load (ser_ds_trim) and in inference (ser_clf_run, windows). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classify.h"
#include "dataset.h"
#include "trim.h"

#define DIM 4
/* ser preset with 4 mels and 4 ceps: dct=ortho, log=ln, energy=none, scale 1,
 * so e = (10 / ln 10) * C0 / sqrt(4) dB (vad.h) */
static const char settings[] = "n-mels=4 n-ceps=4";

/* Frames (n, DIM) whose energies are e[t] dB; the other values vary. */
static float *frames_db(const double *e, int n)
{
	float *x = malloc((size_t)(n ? n : 1) * DIM * sizeof *x);
	for (int t = 0; t < n; t++) {
		x[t * DIM] = (float)(e[t] * 2 / (10 / log(10.0)));
		for (int j = 1; j < DIM; j++)
			x[t * DIM + j] = (float)((t * 7 + j * 3) % 5) - 2;
	}
	return x;
}

static int trim_db(const ser_vad *v, const double *e, int n, double db, int min_len, int *start)
{
	float *x = frames_db(e, n);
	int len = ser_trim(v, x, n, DIM, db, min_len, start);
	free(x);
	return len;
}

/* Windows longer than the first ring (which grows with the frames): the
 * same decisions as the model on each window; a window far longer than
 * the input costs only the input. */
static void test_long_windows(void)
{
	static const char *names[] = { "a", "b" };
	static const int wh[][2] = { { 1000, 300 }, { 2000, 500 }, { 1300, 1300 }, { 513, 100 },
	                             { 5, 2 }, { 100000000, 1 } };
	ser_error err;
	ser_model m;
	memset(&m, 0, sizeof m);
	m.net = ser_net_new("conv:3:3 relu stats dense", DIM, 0, 2, &err);
	ser_net_init(m.net, 7, SER_INIT_GLOROT);
	m.layout = SER_LAYOUT_FRAMES, m.n_classes = 2, m.class_names = (char **)names;
	m.feat_dim = DIM, m.feat_rate = 16000, m.feat_shift = 160, m.feat_length = 400;
	m.feat_settings = (char *)"n-mels=4 n-ceps=4";
	int n = 1500;
	float *x = malloc((size_t)n * DIM * sizeof *x), q[2];
	for (int i = 0; i < n * DIM; i++)
		x[i] = (float)sin(0.37 * i) + 0.1f * (float)(i % 7);
	ser_clf *c = ser_clf_new(&m, &err);
	for (size_t k = 0; k < sizeof wh / sizeof wh[0]; k++) {
		ser_clfs_opts so = { wh[k][0], wh[k][1], 1, 0 };
		ser_clfs *st = ser_clfs_new(c, NULL, &so, &err);
		ser_decision d;
		int same = 0, count = 0, rc = 0;
		CHECK(st != NULL, "window %d: made (%s)", wh[k][0], st ? "" : err.msg);
		for (int u = 0; st && u < 2; u++)   /* twice: the ring kept for the next utterance */
			for (int t = 0; t <= n; t++) {
				rc = t < n ? ser_clfs_push(st, x + t * DIM, &d, &err) : ser_clfs_finish(st, &d, &err);
				if (rc <= 0)
					continue;
				ser_clf_run(c, x + d.start * DIM, d.len, q, &err);
				same += !memcmp(d.probs, q, sizeof q);
				count++;
			}
		CHECK(st && count == 2 * ser_clf_windows(n, wh[k][0], wh[k][1]) && same == count,
		      "window %d hop %d over %d frames: %d of %d decisions = the model on the window",
		      wh[k][0], wh[k][1], n, same, count);
		ser_clfs_free(st);
	}
	ser_clf_free(c);
	ser_net_free(m.net);
	free(x);
}

int main(void)
{
	ser_error err;
	ser_vad_opts vo;
	ser_vad *v;
	int s, len;

	ser_vad_defaults(&vo);
	v = ser_vad_new(&vo, settings, DIM, &err);
	CHECK(v != NULL, "energy reader for %s: %s", settings, v ? "" : err.msg);
	if (!v)
		return check_status();
	{
		float x[DIM];
		double e[1] = { -37.5 };
		float *f = frames_db(e, 1);
		memcpy(x, f, sizeof x);
		free(f);
		CHECK(check_close(ser_vad_energy(v, x), -37.5, 1e-4, 0),
		      "frame energy read back: %.5f dB (want -37.5)", ser_vad_energy(v, x));
	}

	/* leading and trailing quiet runs go, the interior pause stays */
	{
		double e[] = { -90, -88, -85, -20, -30, -75, -25, -10, -45, -80, -90 };
		len = trim_db(v, e, 11, 40, 4, &s);
		CHECK(s == 3 && len == 6, "40 dB: frames [3, 9) kept, pause of -75 dB inside kept "
		      "(got %d+%d)", s, len);
		len = trim_db(v, e, 11, 30, 4, &s);
		CHECK(s == 3 && len == 5, "30 dB: the -45 dB tail frame goes too (got %d+%d)", s, len);
		len = trim_db(v, e, 11, 100, 4, &s);
		CHECK(s == 0 && len == 11, "100 dB: nothing below the threshold, all kept (got %d+%d)", s, len);
		len = trim_db(v, e, 11, 0, 4, &s);
		CHECK(s == 0 && len == 11, "0 dB: off (got %d+%d)", s, len);
		/* trimming what was kept changes nothing (training trims at load,
		 * validation trims again in ser_clf_run) */
		float *x = frames_db(e, 11);
		int s2, len2;
		len = ser_trim(v, x, 11, DIM, 40, 4, &s);
		len2 = ser_trim(v, x + s * DIM, len, DIM, 40, 4, &s2);
		CHECK(s2 == 0 && len2 == len, "trimming the kept part again keeps it all (got %d+%d)", s2, len2);
		free(x);
	}
	/* minimum length: centred on the loudest frame, inside [0, n) */
	{
		double e[10] = { -90, -90, -90, -90, -10, -90, -90, -90, -90, -90 };
		len = trim_db(v, e, 10, 40, 5, &s);
		CHECK(s == 2 && len == 5, "one loud frame at 4, min 5: [2, 7) (got %d+%d)", s, len);
		e[4] = -90, e[1] = -10;
		len = trim_db(v, e, 10, 40, 5, &s);
		CHECK(s == 0 && len == 5, "loud frame at 1: [0, 5) (got %d+%d)", s, len);
		e[1] = -90, e[9] = -10;
		len = trim_db(v, e, 10, 40, 5, &s);
		CHECK(s == 5 && len == 5, "loud frame at 9: [5, 10) (got %d+%d)", s, len);
		len = trim_db(v, e, 10, 40, 50, &s);
		CHECK(s == 0 && len == 10, "minimum above n: all kept (got %d+%d)", s, len);
		float *x = frames_db(e, 10);
		len = ser_trim(v, x, 3, DIM, 40, 8, &s);
		CHECK(s == 0 && len == 3, "3 frames, minimum 8: all kept (got %d+%d)", s, len);
		free(x);
	}
	{
		/* loud at 10, speech to 14, min 8: centring on 10 gives [6, 14), moved to [7, 15) */
		double e[20];
		for (int t = 0; t < 20; t++)
			e[t] = t >= 10 && t <= 14 ? -30 : -95;
		e[10] = -10;
		len = trim_db(v, e, 20, 40, 8, &s);
		CHECK(s == 7 && len == 8, "minimum-length part contains all speech frames: [7, 15) "
		      "(got %d+%d)", s, len);
		len = trim_db(v, e, 20, 40, 3, &s);
		CHECK(s == 10 && len == 5, "without the minimum: [10, 15) (got %d+%d)", s, len);
	}
	/* silence alone (small fluctuations) is kept whole */
	{
		double e[30];
		for (int t = 0; t < 30; t++)
			e[t] = -95 + 3 * ((t * 13) % 7) / 6.0;
		len = trim_db(v, e, 30, 40, 4, &s);
		CHECK(s == 0 && len == 30, "all-silent input kept whole (got %d+%d)", s, len);
		for (int t = 0; t < 30; t++)
			e[t] = -100;
		len = trim_db(v, e, 30, 40, 4, &s);
		CHECK(s == 0 && len == 30, "digital silence kept whole (got %d+%d)", s, len);
	}
	/* a NaN energy never counts as loud */
	{
		double e[] = { -90, -20, -20, -20, -90 };
		float *x = frames_db(e, 5);
		x[0] = NAN;
		len = ser_trim(v, x, 5, DIM, 40, 2, &s);
		CHECK(s == 1 && len == 3, "NaN frame at the start trimmed (got %d+%d)", s, len);
		for (int t = 0; t < 5; t++)
			x[t * DIM] = NAN;
		len = ser_trim(v, x, 5, DIM, 40, 2, &s);
		CHECK(s == 0 && len == 5, "all NaN: kept (got %d+%d)", s, len);
		free(x);
	}

	/* ser_ds_trim: each utterance of a dataset, in place */
	{
		ser_dataset ds;
		double a[] = { -90, -90, -20, -80, -20, -90 }, b[] = { -95, -94, -95 };
		long dropped = -1;
		ser_ds_init(&ds);
		ds.dim = DIM, ds.rate = 16000, ds.shift = 160, ds.length = 400;
		ds.settings = strdup(settings);
		ds.n = ds.cap = 2;
		ds.u = calloc(2, sizeof *ds.u);
		ds.u[0].key = strdup("a"), ds.u[0].n = 6, ds.u[0].x = frames_db(a, 6);
		ds.u[1].key = strdup("b"), ds.u[1].n = 3, ds.u[1].x = frames_db(b, 3);
		float *want = frames_db(a, 6);
		CHECK(ser_ds_trim(&ds, 40, 2, &dropped, &err) == 0, "ser_ds_trim runs");
		CHECK(ds.u[0].n == 3 && !memcmp(ds.u[0].x, want + 2 * DIM, 3 * DIM * sizeof *want),
		      "utterance a: frames 2..4 kept, values moved to the front (n %d)", ds.u[0].n);
		CHECK(ds.u[1].n == 3, "silent utterance b kept whole (n %d)", ds.u[1].n);
		CHECK(dropped == 3, "3 frames dropped in all (%ld)", dropped);
		CHECK(ser_ds_trim(&ds, -1, 2, NULL, &err) == SER_EINVAL, "negative threshold refused: %s",
		      err.msg);
		free(want);
		ser_ds_free(&ds);
		ser_ds_init(&ds);
		ds.dim = DIM, ds.shift = 160;
		ds.settings = strdup("n-mels=4 n-ceps=4 cmvn=utterance");
		ds.n = ds.cap = 1;
		ds.u = calloc(1, sizeof *ds.u);
		ds.u[0].key = strdup("a"), ds.u[0].n = 6, ds.u[0].x = frames_db(a, 6);
		CHECK(ser_ds_trim(&ds, 40, 2, NULL, &err) == SER_EINVAL && ds.u[0].n == 6,
		      "features with CMVN refused: %s", err.msg);
		ds.shift = 0;
		CHECK(ser_ds_trim(&ds, 40, 2, NULL, &err) == SER_EINVAL, "pooled features refused: %s",
		      err.msg);
		ser_ds_free(&ds);
	}

	/* inference: a trimming model on a whole clip = a plain model on the trimmed frames;
	 * windows (ser_clfs, as --window and --live) = the same per window */
	{
		static const char *names[] = { "a", "b", "c" };
		ser_model m, m0;
		memset(&m, 0, sizeof m);
		m.net = ser_net_new("conv:5:3 relu stats dense", DIM, 0, 3, &err);
		ser_net_init(m.net, 3, SER_INIT_GLOROT);
		m.layout = SER_LAYOUT_FRAMES;
		m.n_classes = 3;
		m.class_names = (char **)names;
		m.feat_dim = DIM, m.feat_rate = 16000, m.feat_shift = 160, m.feat_length = 400;
		m.feat_settings = (char *)settings;
		m.norm_mode = SER_NORM_NONE;
		m.trim_db = 40;
		m0 = m;
		m0.trim_db = 0;
		int n = 40, w = 16, h = 8;
		double e[40];
		for (int t = 0; t < n; t++)
			e[t] = t < 6 || t >= 30 ? -90 + (t % 3) : -30 + 10 * ((t * 5) % 3) - (t == 17 ? 40 : 0);
		float *x = frames_db(e, n), p[3], q[3];
		ser_clf *c = ser_clf_new(&m, &err), *c0 = ser_clf_new(&m0, &err);
		CHECK(c && c0, "classifiers made");
		int ok = ser_clf_run(c, x, n, p, &err) == 0 && ser_clf_run(c0, x + 6 * DIM, 24, q, &err) == 0;
		CHECK(ok && !memcmp(p, q, sizeof p), "whole clip: trimming model = plain model on frames [6, 30)");
		ser_clf_run(c0, x, n, q, &err);
		CHECK(memcmp(p, q, sizeof p) != 0, "and differs from the plain model on the whole clip");
		ser_clfs_opts so = { w, h, 1, 0 };
		ser_clfs *st = ser_clfs_new(c, NULL, &so, &err);
		ser_decision d;
		int same = 0, count = 0, rc;
		for (int t = 0; t <= n; t++) {
			rc = t < n ? ser_clfs_push(st, x + t * DIM, &d, &err) : ser_clfs_finish(st, &d, &err);
			if (rc <= 0)
				continue;
			len = ser_trim(v, x + d.start * DIM, d.len, DIM, 40, ser_net_min_length(m.net), &s);
			ser_clf_run(c0, x + (d.start + s) * DIM, len, q, &err);
			same += !memcmp(d.probs, q, sizeof q);
			count++;
		}
		CHECK(count == ser_clf_windows(n, w, h) && same == count,
		      "windows over a stream: %d of %d decisions = plain model on the trimmed window",
		      same, count);
		m.feat_settings = (char *)"n-mels=4 n-ceps=4 cmvn=utterance";
		ser_clf *bad = ser_clf_new(&m, &err);
		CHECK(!bad && err.code == SER_EINVAL, "trimming model over CMVN features refused: %s", err.msg);
		ser_clfs_free(st);
		so.hop = so.window;   /* blocks: the stream gives ser_clf_window_at's remainder */
		st = ser_clfs_new(c, NULL, &so, &err);
		count = same = 0;
		for (int t = 0; t <= n + 2; t++) {
			int want_s, want_l;
			rc = t < n + 2 ? ser_clfs_push(st, x + (t % n) * DIM, &d, &err) : ser_clfs_finish(st, &d, &err);
			if (rc <= 0)
				continue;
			ser_clf_window_at(n + 2, w, w, count, &want_s, &want_l);
			same += d.start == want_s && d.len == want_l;
			count++;
		}
		CHECK(count == ser_clf_windows(n + 2, w, w) && same == count && count == 3,
		      "blocks over a stream of 42 frames (w 16): %d of %d = [0,16) [16,32) [32,42)", same, count);
		ser_clfs_free(st);
		ser_clf_free(c);
		ser_clf_free(c0);
		ser_net_free(m.net);
		free(x);
	}
	ser_vad_free(v);
	test_long_windows();
	return check_status();
}
