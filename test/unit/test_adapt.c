/* Adaptation statistics (lib/adapt.c): the sums against direct formulas,
 * independence of the order rows come in, the file round trip and its
 * refusals, the running statistics. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapt.h"
#include "check.h"

#define D 3

static ser_model model(int mode)
{
	ser_model m;
	memset(&m, 0, sizeof m);
	m.feat_dim = D;
	m.norm_mode = mode;
	m.feat_fingerprint = 0x0123456789abcdefULL;
	m.input_idct = 1;
	m.trim_db = 30;
	return m;
}

/* utterance u of n frames: values that differ per utterance and dimension */
static void frames(int u, int n, float *x)
{
	for (int t = 0; t < n; t++)
		for (int j = 0; j < D; j++)
			x[t * D + j] = (float)(u * 1.5 - j + 0.25 * ((t * 7 + j * 3 + u) % 5));
}

static const char *const keys[] = { "c.wav", "a.wav", "d.wav", "b.wav", "e.wav" };
static const char *const spk[] = { "s1", "s2", "s1", "", "s2" };
static const int len[] = { 4, 7, 1, 5, 3 };

static ser_adapt *fill(const ser_model *m, const int *order, int n)
{
	float x[7 * D];
	ser_adapt *a = ser_adapt_new(m, NULL);
	for (int i = 0; i < n; i++) {
		int u = order[i];
		frames(u, len[u], x);
		if (ser_adapt_add(a, keys[u], spk[u], x, len[u], NULL) < 0)
			return NULL;
	}
	return a;
}

/* mean and std of the given utterances directly (within: around each
 * utterance's own mean) */
static void direct(const int *us, int n, int within, double *mean, double *sd)
{
	float x[7 * D];
	for (int j = 0; j < D; j++) {
		double s = 0, q = 0;
		long N = 0;
		for (int i = 0; i < n; i++) {
			int u = us[i];
			double um = 0;
			frames(u, len[u], x);
			for (int t = 0; t < len[u]; t++)
				um += x[t * D + j] / (double)len[u];
			for (int t = 0; t < len[u]; t++) {
				double v = x[t * D + j] - (within ? um : 0);
				s += v, q += v * v, N++;
			}
		}
		mean[j] = s / N;
		double var = within ? q / N : q / N - mean[j] * mean[j];
		sd[j] = var > 0 ? sqrt(var) : 0;
	}
}

static void test_sums(void)
{
	static const int order[] = { 0, 1, 2, 3, 4 }, rev[] = { 4, 3, 2, 1, 0 };
	ser_model m = model(SER_NORM_GLOBAL);
	ser_adapt *a = fill(&m, order, 5), *b = fill(&m, rev, 5);
	ser_error err;
	float mean[D], sd[D], mb[D], sb[D];
	double dm[D], ds[D];
	CHECK(a && b && ser_adapt_finish(a, &err) == 0 && ser_adapt_finish(b, &err) == 0,
	      "adapt: rows added and finished");
	CHECK(ser_adapt_stats(a, NULL, mean, sd, &err) == 0, "adapt: statistics of the run");
	direct(order, 5, 0, dm, ds);
	int close = 1;
	for (int j = 0; j < D; j++)
		close &= check_close(mean[j], dm[j], 1e-5, 1e-6) && check_close(sd[j], ds[j], 1e-5, 1e-5);
	CHECK(close, "adapt: run mean and std as computed directly");
	ser_adapt_stats(b, NULL, mb, sb, &err);
	CHECK(!memcmp(mean, mb, sizeof mean) && !memcmp(sd, sb, sizeof sd),
	      "adapt: the same bits whatever order the rows came in");
	static const int s1[] = { 0, 2 };
	ser_adapt_stats(a, "s1", mean, sd, &err);
	direct(s1, 2, 0, dm, ds);
	close = 1;
	for (int j = 0; j < D; j++)
		close &= check_close(mean[j], dm[j], 1e-5, 1e-6) && check_close(sd[j], ds[j], 1e-5, 1e-5);
	CHECK(close, "adapt: speaker s1's statistics are its two utterances'");
	CHECK(ser_adapt_stats(a, "s9", mean, sd, &err) == SER_EINVAL && strstr(err.msg, "s9"),
	      "adapt: a speaker without rows is an error naming it (%s)", err.msg);
	ser_adapt_free(a), ser_adapt_free(b);

	/* UTT_MEAN: the spread around each utterance's own mean */
	m = model(SER_NORM_UTT_MEAN);
	a = fill(&m, order, 5);
	ser_adapt_finish(a, &err);
	ser_adapt_stats(a, NULL, mean, sd, &err);
	direct(order, 5, 1, dm, ds);
	close = 1;
	for (int j = 0; j < D; j++)
		close &= check_close(sd[j], ds[j], 1e-5, 1e-5);
	CHECK(close, "adapt: UTT_MEAN std is the pooled within-utterance spread");
	ser_adapt_free(a);

	/* a key twice */
	m = model(SER_NORM_GLOBAL);
	static const int twice[] = { 1, 1 };
	a = fill(&m, twice, 2);
	CHECK(ser_adapt_finish(a, &err) == SER_EFORMAT && strstr(err.msg, "twice"),
	      "adapt: an utterance twice is refused (%s)", err.msg);
	ser_adapt_free(a);
}

static void test_file(void)
{
	static const int p1[] = { 0, 1 }, p2[] = { 4, 2, 3 }, all[] = { 0, 1, 2, 3, 4 };
	ser_model m = model(SER_NORM_SPEAKER);
	char dir[] = "/tmp/ser-adapt-XXXXXX", f1[64], f2[64], f3[64];
	ser_error err;
	float mean[D], sd[D], ma[D], sa[D];
	if (!mkdtemp(dir)) {
		CHECK(0, "adapt: temporary folder");
		return;
	}
	snprintf(f1, sizeof f1, "%s/1", dir), snprintf(f2, sizeof f2, "%s/2", dir);
	snprintf(f3, sizeof f3, "%s/3", dir);
	ser_adapt *a = fill(&m, p1, 2), *b = fill(&m, p2, 3), *c = fill(&m, all, 5);
	FILE *f = fopen(f1, "w");
	ser_adapt_finish(a, &err);
	ser_adapt_write(a, f, f1, &err);
	fclose(f);
	f = fopen(f2, "w");
	ser_adapt_write(b, f, f2, &err);   /* unfinished: rows in their order */
	fclose(f);
	ser_adapt_free(a), ser_adapt_free(b);
	/* read both (the second first, as `cat 2 1` would give) */
	a = ser_adapt_new(&m, &err);
	CHECK(ser_adapt_read(a, f2, &err) == 0 && ser_adapt_read(a, f1, &err) == 0 &&
	      ser_adapt_finish(a, &err) == 0 && ser_adapt_count(a) == 5,
	      "adapt: two files read back, 5 rows");
	ser_adapt_finish(c, &err);
	int same = 1;
	for (int k = 0; k < 3; k++) {
		const char *g = k == 0 ? NULL : k == 1 ? "s1" : "s2";
		ser_adapt_stats(a, g, mean, sd, &err);
		ser_adapt_stats(c, g, ma, sa, &err);
		same &= !memcmp(mean, ma, sizeof mean) && !memcmp(sd, sa, sizeof sd);
	}
	CHECK(same, "adapt: statistics from the files = from the utterances at once, bit for bit");
	ser_adapt_free(a);
	/* another model input */
	ser_model o = model(SER_NORM_SPEAKER);
	o.input_idct = 0;
	a = ser_adapt_new(&o, &err);
	CHECK(ser_adapt_read(a, f1, &err) == SER_EMISMATCH && strstr(err.msg, "make them with this model"),
	      "adapt: statistics of another model input are refused (%s)", err.msg);
	ser_adapt_free(a);
	/* damaged lines */
	static const char *const bad[] = {
		"a.wav\ts1\t3\t1 2 3\t1 2 3\n",                 /* no header */
		"# ser adaptation statistics 1 dim 3 fingerprint 0123456789abcdef idct 1 trim 30\n"
		"a.wav\ts1\t3\t1 2\t1 2 3\n",                    /* 2 sums */
		"# ser adaptation statistics 1 dim 3 fingerprint 0123456789abcdef idct 1 trim 30\n"
		"a.wav\ts1\t0\t1 2 3\t1 2 3\n",                  /* 0 frames */
		"# ser adaptation statistics 1 dim 3 fingerprint 0123456789abcdef idct 1 trim 30\n"
		"a.wav\ts1\t3\t1 2 3\t1 -2 3\n",                 /* negative square sum */
		"# ser adaptation statistics 1 dim 3 fingerprint 0123456789abcdef idct 1 trim 30\n"
		"a.wav\ts1\t3\t1 2 nan\t1 2 3\n",                /* not finite */
		"# ser adaptation statistics 1 dim 3 fingerprint 0123456789abcdef idct 1 trim 30\n"
		"a.wav\t3\t1 2 3\t1 2 3\n",                      /* 4 fields */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		f = fopen(f3, "w");
		fputs(bad[i], f);
		fclose(f);
		a = ser_adapt_new(&m, &err);
		CHECK(ser_adapt_read(a, f3, &err) == SER_EFORMAT && strstr(err.msg, f3),
		      "adapt: damaged statistics %zu refused (%s)", i, err.msg);
		ser_adapt_free(a);
	}
	ser_adapt_free(c);
	unlink(f1), unlink(f2), unlink(f3);
	rmdir(dir);
}

static void test_running(void)
{
	ser_model m = model(SER_NORM_GLOBAL);
	float mean0[D] = { 5, 5, 5 }, std0[D] = { 2, 2, 2 }, x[D] = { -1, 0, 1 };
	ser_adapt_run r;
	ser_error err;
	m.norm_mean = mean0, m.norm_std = std0;
	CHECK(ser_adapt_run_init(&r, &m, 1.0, 100.0, &err) == 0 && r.mean[0] == 5 && r.std[1] == 2,
	      "adapt: running statistics start from the model's");
	for (int i = 0; i < 100; i++)   /* one time constant of a constant input */
		ser_adapt_run_update(&r, x, 1, NULL);
	CHECK(check_close(r.mean[0], -1 + 6 * exp(-1.0), 1e-3, 0),
	      "adapt: after tau the mean has moved 1 - 1/e of the way (%g)", r.mean[0]);
	for (int i = 0; i < 5000; i++)
		ser_adapt_run_update(&r, x, 1, NULL);
	CHECK(check_close(r.mean[2], 1, 1e-4, 0) && r.std[2] < 1e-3,
	      "adapt: a constant input: mean to it, spread to the floor (%g, %g)", r.mean[2], r.std[2]);
	ser_adapt_run_free(&r);
	CHECK(ser_adapt_run_init(&r, &m, 0, 100.0, &err) == SER_EINVAL, "adapt: tau 0 refused");
}

int main(void)
{
	test_sums();
	test_file();
	test_running();
	return check_status();
}
