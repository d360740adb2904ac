/* Deciding among some of the model's classes (ser-classify --only):
 * ser_clf_mask, ser_clf_renorm, and a restricted classifier per utterance,
 * over utterance windows and over a stream with smoothing. */
#include "check.h"
#include "classify.h"
#include "model.h"

#include <string.h>

#define NC 4
#define DIM 6

static char *xstrdup(const char *s)
{
	char *p = malloc(strlen(s) + 1);
	return strcpy(p, s);
}

/* frames layout, 4 classes, random weights, utterance windows 20 every 7 */
static ser_model *make_model(void)
{
	static const char *names[NC] = { "neutral", "happy", "sad", "angry" };
	ser_model *m = calloc(1, sizeof *m);
	ser_error e;
	m->net = ser_net_new("conv:4:3 relu stats dense", DIM, 0, NC, &e);
	ser_net_init(m->net, 7, SER_INIT_GLOROT);
	m->layout = SER_LAYOUT_FRAMES;
	m->norm_mode = SER_NORM_NONE;
	m->utt_window = 20, m->utt_hop = 7;
	m->n_classes = NC;
	m->class_names = calloc(NC, sizeof(char *));
	for (int i = 0; i < NC; i++)
		m->class_names[i] = xstrdup(names[i]);
	m->feat_dim = DIM, m->feat_rate = 16000, m->feat_shift = 160, m->feat_length = 400;
	m->feat_settings = xstrdup("preset=ser\n");
	return m;
}

/* |a[k] - b[k]| < tol for all k < n */
static int close_all(const float *a, const float *b, int n, double tol)
{
	for (int k = 0; k < n; k++)
		if (!(fabs((double)a[k] - b[k]) < tol))
			return 0;
	return 1;
}

static void test_renorm(void)
{
	float p[NC] = { 0.1f, 0.2f, 0.3f, 0.4f }, z[NC] = { 0.5f, 0, 0, 0.5f };
	float want[NC] = { 0, 0.4f, 0.6f, 0 }, half[NC] = { 0, 0.5f, 0.5f, 0 };
	float q[NC] = { 0.1f, 0.2f, 0.3f, 0.4f };
	unsigned char keep[NC] = { 0, 1, 1, 0 }, none[NC] = { 0 };
	ser_clf_renorm(p, keep, NC);
	CHECK(close_all(p, want, NC, 1e-7), "renorm {.1 .2 .3 .4} keeping 1, 2: {0 .4 .6 0} "
	      "(%g %g %g %g)", p[0], p[1], p[2], p[3]);
	ser_clf_renorm(z, keep, NC);
	CHECK(!memcmp(z, half, sizeof z), "renorm: kept classes all 0 -> 1/2 each");
	memcpy(p, q, sizeof p);
	ser_clf_renorm(p, NULL, NC);
	ser_clf_renorm(q, none, NC);
	CHECK(!memcmp(p, q, sizeof p) && p[3] == 0.4f, "renorm: keep NULL or nothing kept -> unchanged");
}

static void test_mask(const ser_model *m)
{
	unsigned char keep[NC];
	ser_error e;
	int rc = ser_clf_mask(m, "sad,happy", keep, &e);
	CHECK(rc == 2 && !keep[0] && keep[1] && keep[2] && !keep[3], "mask sad,happy: classes 1, 2 "
	      "(%d)", rc);
	rc = ser_clf_mask(m, "joy,sad", keep, &e);
	CHECK(rc == SER_EINVAL && strstr(e.msg, "'joy'") && strstr(e.msg, "neutral,happy,sad,angry"),
	      "unknown class refused, named, with the model's classes: %s", e.msg);
	rc = ser_clf_mask(m, "sad,happy,sad", keep, &e);
	CHECK(rc == SER_EINVAL && strstr(e.msg, "duplicate"), "duplicate refused: %s", e.msg);
	rc = ser_clf_mask(m, "sad", keep, &e);
	CHECK(rc == SER_EINVAL, "a single class refused: %s", e.msg);
	rc = ser_clf_mask(m, "sad,,happy", keep, &e);
	CHECK(rc == SER_EINVAL, "empty name refused: %s", e.msg);
	rc = ser_clf_mask(m, "", keep, &e);
	CHECK(rc == SER_EINVAL, "empty list refused: %s", e.msg);
	rc = ser_clf_mask(m, "Sad,happy", keep, &e);
	CHECK(rc == SER_EINVAL, "names are case-sensitive: %s", e.msg);
}

/* many long class names: the message is cut with ",..." and still names the bad one */
static void test_mask_message(void)
{
	enum { N = 40 };
	char names[N][32], *ptr[N];
	unsigned char keep[N];
	ser_model m = { 0 };
	ser_error e;
	int rc;
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "emotion-number-%02d", i);
		ptr[i] = names[i];
	}
	m.n_classes = N;
	m.class_names = ptr;
	rc = ser_clf_mask(&m, "emotion-number-03,nope", keep, &e);
	CHECK(rc == SER_EINVAL && strstr(e.msg, "'nope'") && strstr(e.msg, "emotion-number-00,")
	      && strstr(e.msg, ",...)"), "40 classes: message cut with ,...: %s", e.msg);
	rc = ser_clf_mask(&m, "emotion-number-39,emotion-number-00", keep, &e);
	CHECK(rc == 2 && keep[0] && keep[39] && !keep[1], "40 classes: the first and last kept");
}

static void test_runs(ser_model *m, const float *x, int nf)
{
	unsigned char keep[NC] = { 0, 1, 1, 0 }, all[NC] = { 1, 1, 1, 1 };
	float p[NC], q[NC], r[NC];
	ser_error e;
	ser_clf *c = ser_clf_new(m, &e), *c0 = ser_clf_new(m, &e);
	int ok;
	ser_clf_restrict(c, keep);
	CHECK(!ser_clf_kept(c, 0) && ser_clf_kept(c, 1) && ser_clf_kept(c, 2) && !ser_clf_kept(c, 3)
	      && ser_clf_kept(c0, 0), "kept: classes 1, 2 (every class unrestricted)");
	ok = ser_clf_run(c, x, 30, p, &e) == 0 && ser_clf_run(c0, x, 30, q, &e) == 0;
	ser_clf_renorm(q, keep, NC);
	CHECK(ok && !memcmp(p, q, sizeof p) && fabs(p[1] + p[2] - 1) < 1e-6,
	      "run restricted = renorm(run): %g %g %g %g", p[0], p[1], p[2], p[3]);
	/* utterance windows: the mean of the unrestricted passes, then renormalised */
	ok = ser_clf_run_utt(c, x, nf, p, &e) == 0 && ser_clf_run_utt(c0, x, nf, q, &e) == 0;
	memcpy(r, q, sizeof r);
	ser_clf_renorm(q, keep, NC);
	CHECK(ok && !memcmp(p, q, sizeof p), "run_utt restricted = renorm(mean over windows): "
	      "%g %g (unrestricted %g %g %g %g)", p[1], p[2], r[0], r[1], r[2], r[3]);
	CHECK(ser_clf_argmax(p, NC) == (r[2] > r[1] ? 2 : 1), "argmax: the larger kept class");
	/* every class kept: no restriction, bit for bit */
	ser_clf_restrict(c, all);
	ok = ser_clf_run_utt(c, x, nf, p, &e) == 0 && ser_clf_run_utt(c0, x, nf, q, &e) == 0;
	CHECK(ok && !memcmp(p, q, sizeof p) && ser_clf_kept(c, 0), "all classes kept = unrestricted");
	ser_clf_restrict(c, keep);
	ser_clf_restrict(c, NULL);
	ok = ser_clf_run(c, x, 30, p, &e) == 0 && ser_clf_run(c0, x, 30, q, &e) == 0;
	CHECK(ok && !memcmp(p, q, sizeof p), "restrict NULL lifts the restriction");
	ser_clf_free(c);
	ser_clf_free(c0);
}

/* a stream, smooth 3: each decision = the mean of the last 3 renormalised
 * window outputs (those of an unrestricted stream without smoothing) */
static void test_stream(ser_model *m, const float *x, int nf)
{
	enum { W = 12, H = 5, MAXD = 32 };
	unsigned char keep[NC] = { 1, 0, 0, 1 };
	float raw[MAXD][NC];
	ser_error e;
	ser_clf *c = ser_clf_new(m, &e), *c0 = ser_clf_new(m, &e);
	ser_clfs_opts o1 = { W, H, 1, 0 }, o3 = { W, H, 3, 0 };
	ser_clfs *s0 = ser_clfs_new(c0, NULL, &o1, &e), *s = ser_clfs_new(c, NULL, &o3, &e);
	ser_decision d;
	int n0 = 0, n = 0, ok = 1, kept = 1, due_ok = 1, npush = 0;
	long due = ser_clfs_due(s0);
	ser_clf_restrict(c, keep);
	for (int t = 0; t <= nf && n0 < MAXD; t++) {
		int rc = t < nf ? ser_clfs_push(s0, x + t * DIM, &d, &e) : ser_clfs_finish(s0, &d, &e);
		if (t < nf) {   /* due counts down to the push that decides */
			npush += rc > 0;
			due_ok &= (rc > 0) == (due == 1) && due >= 1;
			due = ser_clfs_due(s0);
			due_ok &= due == (rc > 0 ? H : 0) || rc == 0;
		}
		if (rc > 0) {
			memcpy(raw[n0], d.probs, sizeof raw[n0]);
			ser_clf_renorm(raw[n0++], keep, NC);
		}
	}
	for (int t = 0; t <= nf && n < n0; t++) {
		int rc = t < nf ? ser_clfs_push(s, x + t * DIM, &d, &e) : ser_clfs_finish(s, &d, &e);
		float want[NC] = { 0 };
		if (rc <= 0)
			continue;
		for (int i = n < 2 ? 0 : n - 2; i <= n; i++)
			for (int k = 0; k < NC; k++)
				want[k] += raw[i][k] / (float)(n < 2 ? n + 1 : 3);
		ok &= close_all(d.probs, want, NC, 1e-6);
		kept &= (d.label == 0 || d.label == 3) && d.confidence == d.probs[d.label];
		n++;
	}
	CHECK(due_ok && npush == 1 + (nf - W) / H, "stream: ser_clfs_due counts the frames to the next "
	      "decision (first after %d, then every %d; %d decisions pushed)", W, H, npush);
	CHECK(n == n0 && n > 3 && ok, "stream, smooth 3: %d decisions, each the mean of the last 3 "
	      "renormalised window outputs", n);
	CHECK(kept, "stream: every label is a kept class, confidence its probability");
	ser_clfs_free(s);
	ser_clfs_free(s0);
	ser_clf_free(c);
	ser_clf_free(c0);
}

int main(void)
{
	enum { NF = 53 };
	float x[NF * DIM];
	ser_model *m = make_model();
	for (int i = 0; i < NF * DIM; i++)
		x[i] = (float)sin(0.37 * i) + 0.1f * (float)(i % 7);
	test_renorm();
	test_mask(m);
	test_mask_message();
	test_runs(m, x, NF);
	test_stream(m, x, NF);
	ser_model_free(m);
	return check_status();
}
