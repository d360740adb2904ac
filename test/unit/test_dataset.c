/* Unit tests of lib/dataset.c, lib/batch.c and lib/classify.c windowing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "check.h"
#include "classify.h"
#include "dataset.h"

/* Adds an utterance of n frames (dim 2): frame t = (base + t, 10 * (base + t)). */
static void add(ser_dataset *ds, const char *key, int n, float base, int label, const char *spk)
{
	ser_utt *u;
	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? 2 * ds->cap : 8;
		ds->u = realloc(ds->u, ds->cap * sizeof *ds->u);
	}
	u = &ds->u[ds->n++];
	memset(u, 0, sizeof *u);
	u->key = strdup(key);
	u->n = n;
	u->x = malloc((size_t)(n ? n : 1) * 2 * sizeof *u->x);
	for (int t = 0; t < n; t++) {
		u->x[2 * t] = base + t;
		u->x[2 * t + 1] = 10 * (base + t);
	}
	u->label = label;
	u->speaker = spk ? ser_ds_speaker(ds, spk, NULL) : -1;
}

int main(void)
{
	ser_dataset ds;
	ser_error err;
	char unk[64];
	float mean[2], sd[2];
	int start, len;

	/* windows: n=10, w=4, h=3 -> [0,4) [3,7) [6,10); n=11 adds tail [7,11) */
	CHECK(ser_clf_windows(10, 4, 3) == 3, "3 windows over 10 frames (w 4, h 3)");
	ser_clf_window_at(10, 4, 3, 2, &start, &len);
	CHECK(start == 6 && len == 4, "window 2 = [6, 10) (got %d+%d)", start, len);
	CHECK(ser_clf_windows(11, 4, 3) == 4, "tail window added for 11 frames");
	ser_clf_window_at(11, 4, 3, 3, &start, &len);
	CHECK(start == 7 && len == 4, "tail window = [7, 11) (got %d+%d)", start, len);
	CHECK(ser_clf_windows(3, 4, 3) == 1, "short utterance: one window");
	ser_clf_window_at(3, 4, 3, 0, &start, &len);
	CHECK(start == 0 && len == 3, "short window covers all (got %d+%d)", start, len);
	CHECK(ser_clf_windows(0, 4, 3) == 0, "no frames: no window");
	CHECK(ser_clf_windows(8, 4, 4) == 2, "exact tiling: no extra window");
	/* blocks (h >= w): 0, 4, 8, the last the remainder, none overlapping */
	CHECK(ser_clf_windows(10, 4, 4) == 3, "blocks over 10 frames (w 4, h 4): 3");
	ser_clf_window_at(10, 4, 4, 2, &start, &len);
	CHECK(start == 8 && len == 2, "last block = remainder [8, 10) (got %d+%d)", start, len);
	ser_clf_window_at(5, 4, 4, 1, &start, &len);
	CHECK(ser_clf_windows(5, 4, 4) == 2 && start == 4 && len == 1,
	      "5 frames in blocks of 4: [0, 4) [4, 5) (got %d+%d)", start, len);
	CHECK(ser_clf_windows(11, 4, 6) == 2, "h > w: windows at 0 and 6");
	ser_clf_window_at(11, 4, 6, 1, &start, &len);
	CHECK(start == 6 && len == 4, "h > w: [6, 10) (got %d+%d)", start, len);

	/* argmax: first on ties */
	{
		float p[4] = { 0.1f, 0.4f, 0.4f, 0.1f };
		CHECK(ser_clf_argmax(p, 4) == 1, "argmax first on ties");
	}

	/* specaug parse */
	{
		ser_specaug sa;
		CHECK(ser_specaug_parse(&sa, "20:2:6:1", &err) == 0 && sa.tw == 20 && sa.tn == 2
		      && sa.fw == 6 && sa.fn == 1, "specaug 20:2:6:1 parsed");
		CHECK(ser_specaug_parse(&sa, "none", &err) == 0 && !sa.tw && !sa.tn && !sa.fw && !sa.fn,
		      "specaug none");
		CHECK(ser_specaug_parse(&sa, "20:2:6", &err) == SER_EINVAL, "specaug 3 fields refused");
		CHECK(ser_specaug_parse(&sa, "20:2:6:1:", &err) == SER_EINVAL, "specaug trailing refused");
		CHECK(ser_specaug_parse(&sa, "-1:2:6:1", &err) == SER_EINVAL, "specaug negative refused");
	}
	/* specaug apply: one full-width time mask zeroes whole columns only */
	{
		ser_specaug sa = { 3, 1, 0, 0 };
		float x[2 * 10];
		ser_rng r;
		int zc = 0, ok = 1;
		for (int i = 0; i < 20; i++)
			x[i] = 1;
		ser_rng_seed(&r, 7);
		ser_specaug_apply(&sa, x, 2, 10, &r);
		for (int t = 0; t < 10; t++) {
			zc += x[t] == 0;
			ok &= x[t] == x[10 + t];
		}
		CHECK(ok && zc <= 3, "time mask: same frames in every channel, at most 3 (%d)", zc);
	}

	/* split, compact, statistics */
	ser_ds_init(&ds);
	ds.dim = 2;
	add(&ds, "a", 4, 0, 0, "s1");      /* frames 0..3 */
	add(&ds, "b", 2, 10, 1, "s2");     /* frames 10..11 */
	add(&ds, "c", 3, 0, -1, "s1");     /* unlabelled */
	add(&ds, "d", 0, 0, 1, "s3");      /* no frames */
	add(&ds, "e", 2, 100, 0, "s3");
	CHECK(ser_ds_compact(&ds) == 2 && ds.n == 3, "compact removes unlabelled and empty (n %zu)", ds.n);
	CHECK(!strcmp(ds.u[2].key, "e"), "compact keeps order");
	CHECK(ser_ds_split(&ds, "s2,zz", "s3", unk, sizeof unk, &err) == 0, "split ok");
	CHECK(ds.u[0].part == SER_PART_TRAIN && ds.u[1].part == SER_PART_VAL
	      && ds.u[2].part == SER_PART_EXCLUDED, "parts train/val/excluded");
	CHECK(!strcmp(unk, "zz"), "unknown listed speaker reported (%s)", unk);
	CHECK(ser_ds_split(&ds, "s2", "s2", unk, sizeof unk, &err) == SER_EINVAL,
	      "speaker both held out and excluded refused");
	ser_ds_split(&ds, "s2", "s3", unk, sizeof unk, &err);
	/* train part: utterance a, frames 0..3 -> global mean 1.5, std sqrt(1.25) */
	CHECK(ser_ds_norm_stats(&ds, SER_PART_TRAIN, SER_NORM_GLOBAL, NULL, mean, sd, &err) == 0
	      && check_close(mean[0], 1.5, 1e-6, 0) && check_close(sd[0], 1.118034, 1e-5, 0)
	      && check_close(sd[1], 11.18034, 1e-4, 0), "global stats (%g %g %g)", mean[0], sd[0], sd[1]);
	/* train + val with utterance mean removed: a -> -1.5..1.5, b -> -0.5, 0.5 */
	ds.u[1].part = SER_PART_TRAIN;
	CHECK(ser_ds_norm_stats(&ds, SER_PART_TRAIN, SER_NORM_UTT_MEAN, NULL, mean, sd, &err) == 0
	      && mean[0] == 0 && check_close(sd[0], 0.9574271, 1e-6, 0),
	      "utterance-mean stats: std sqrt(5.5/6) (got %g)", sd[0]);
	{   /* level stats, dimension 0 the level: it loses each utterance's mean, 1 is raw */
		ser_model lm;
		memset(&lm, 0, sizeof lm);
		lm.feat_dim = 2, lm.level_first = 0, lm.level_count = 1;
		CHECK(ser_ds_norm_stats(&ds, SER_PART_TRAIN, SER_NORM_LEVEL, &lm, mean, sd, &err) == 0
		      && check_close(mean[0], 0, 1e-6, 0) && check_close(sd[0], 0.9574271, 1e-6, 0)
		      && check_close(mean[1], 45, 1e-5, 0),
		      "level stats: level dimension std sqrt(5.5/6) (got %g, mean %g), other mean 45 "
		      "(got %g)", sd[0], mean[0], mean[1]);
	}
	{
		long cnt[2];
		ser_ds_class_counts(&ds, SER_PART_TRAIN, 2, cnt);
		CHECK(cnt[0] == 1 && cnt[1] == 1, "class counts of the train part");
	}
	ser_ds_free(&ds);

	/* speaker statistics: a key read again (a speed-perturbed copy) is
	 * centred on the statistics of its speaker's copies, not pooled with
	 * the originals (and not refused as an utterance given twice) */
	ser_ds_init(&ds);
	ds.dim = 2;
	add(&ds, "a", 2, 0, 0, "s1");      /* frames 0, 1 */
	add(&ds, "b", 2, 10, 1, "s1");     /* 10, 11: s1 mean 5.5 */
	add(&ds, "c", 2, 50, 0, "s2");     /* s2 mean 50.5 */
	add(&ds, "a", 2, 100, 0, "s1");    /* copies of a and b: mean 105.5 */
	add(&ds, "b", 2, 110, 1, "s1");
	add(&ds, "a", 2, 200, 0, "s1");    /* a third copy of a alone: mean 200.5 */
	{
		ser_model m;
		static const float want[] = { 5.5f, 5.5f, 50.5f, 105.5f, 105.5f, 200.5f };
		int ok = 1;
		memset(&m, 0, sizeof m);
		m.feat_dim = 2;
		m.norm_mode = SER_NORM_SPEAKER_MEAN;
		m.n_classes = 2;
		int rc = ser_ds_speaker_norm(&ds, &m, &err);
		CHECK(rc == 0 && !ds.u[0].cmean && !ds.spk_cmean, "no class means without mixing");
		ds.mix_p = 1;   /* mixed references: the class means are made too */
		ds.mix_alpha = 1;
		rc = rc ? rc : ser_ds_speaker_norm(&ds, &m, &err);
		for (size_t i = 0; i < ds.n && rc == 0; i++)
			ok &= ds.u[i].nmean && ds.u[i].nmean[0] == want[i] && ds.u[i].nmean[1] == 10 * want[i];
		CHECK(rc == 0 && ok, "speaker statistics per copy of a key: %s (first means %g %g %g %g)",
		      rc ? err.msg : "ok", ds.u[0].nmean ? ds.u[0].nmean[0] : -1,
		      ds.u[3].nmean ? ds.u[3].nmean[0] : -1, ds.u[4].nmean ? ds.u[4].nmean[0] : -1,
		      ds.u[5].nmean ? ds.u[5].nmean[0] : -1);
	}
	/* class means per speaker group (mixed references): s1's originals
	 * class 0 (a) 0.5, class 1 (b) 10.5; their copies 100.5, 110.5; the
	 * third copy of a has class 0 only */
	{
		const ser_utt *u = ds.u;
		CHECK(u[0].cmean && u[0].chas && ds.cm_ncls == 2 && u[0].cmean[0] == 0.5f &&
		      u[0].cmean[1] == 5.0f && u[0].cmean[2] == 10.5f && u[0].cmean[3] == 105.0f &&
		      u[0].chas[0] && u[0].chas[1] && u[1].cmean == u[0].cmean,
		      "class means of a speaker group (%g, %g)", u[0].cmean ? u[0].cmean[0] : -1,
		      u[0].cmean ? u[0].cmean[2] : -1);
		CHECK(u[3].cmean && u[3].cmean[0] == 100.5f && u[3].cmean[2] == 110.5f &&
		      u[5].cmean && u[5].cmean[0] == 200.5f && !u[5].chas[1],
		      "class means per copy; a class the copy lacks has no frames");
	}
	/* ser_ds_batch: without mixing a crop is centred on its speaker's mean;
	 * with mix_p 1 on a mixture of its speaker's class means (between 0.5
	 * and 10.5 for a, 5.5 on average for Dirichlet(1, 1)); a group with one
	 * class keeps that class's mean */
	{
		ser_model m;
		float one[2] = { 1, 1 }, zero[2] = { 0, 0 }, x[4], work[6];
		int y, idx = 0, lo_ok = 1, varied = 0;
		double sum = 0;
		ser_rng r;
		memset(&m, 0, sizeof m);
		m.feat_dim = 2;
		m.layout = SER_LAYOUT_FRAMES;
		m.norm_mode = SER_NORM_SPEAKER_MEAN;
		m.norm_mean = zero;
		m.norm_std = one;
		ser_rng_seed(&r, 3);
		ds.mix_p = 0;
		ser_ds_batch(&ds, &m, &idx, 1, 2, NULL, NULL, &r, x, &y, work, &err);
		CHECK(x[0] == 0 - 5.5f && x[1] == 1 - 5.5f && x[2] == 0 - 55.0f,
		      "no mixing: the speaker's mean (%g %g %g)", x[0], x[1], x[2]);
		ds.mix_p = 1;
		ds.mix_alpha = 1;
		float first = 0;
		for (int k = 0; k < 400; k++) {
			ser_ds_batch(&ds, &m, &idx, 1, 2, NULL, NULL, &r, x, &y, work, &err);
			float ref = 0 - x[0], ref1 = 0 - x[2];
			lo_ok &= ref >= 0.5f - 1e-4f && ref <= 10.5f + 1e-4f && fabsf(ref1 - 10 * ref) < 1e-3f;
			if (k == 0)
				first = ref;
			varied |= fabsf(ref - first) > 0.5f;
			sum += ref;
		}
		CHECK(lo_ok && varied, "mixing: every reference between the class means, on the line "
		      "between them, and not always the same");
		CHECK(fabs(sum / 400 - 5.5) < 0.6, "mixing: the references average %.3f (want 5.5)",
		      sum / 400);
		idx = 5;
		ser_ds_batch(&ds, &m, &idx, 1, 2, NULL, NULL, &r, x, &y, work, &err);
		CHECK(x[0] == 200 - 200.5f, "one class: that class's mean (%g)", x[0]);
		ds.mix_p = 0;
	}
	ser_ds_free(&ds);
	return check_status();
}
