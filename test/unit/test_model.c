/* Model file: round trip, damaged files refused (every truncation, every
 * single-bit flip), versions (1 still read) and foreign files, atomic save. */
#include "check.h"
#include "classify.h"
#include "mfcc.h"
#include "model.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char *xstrdup(const char *s)
{
	char *p = malloc(strlen(s) + 1);
	return strcpy(p, s);
}

static ser_model *make_model(int vector)
{
	static const char *names[] = { "angry", "calm", "happy" };
	ser_model *m = calloc(1, sizeof *m);
	ser_error e;
	if (vector) {
		m->net = ser_net_new("conv:4:3 relu flatten dense", 1, 6, 3, &e);
		m->layout = SER_LAYOUT_VECTOR;
		m->norm_mode = SER_NORM_GLOBAL;
	} else {
		m->net = ser_net_new("conv:4:3 bn relu stats dense", 6, 0, 3, &e);
		m->layout = SER_LAYOUT_FRAMES;
		m->norm_mode = SER_NORM_UTT_MEAN;
		m->trim_db = 37.5f;
		m->utt_window = 50, m->utt_hop = 12;
	}
	ser_net_init(m->net, 5, SER_INIT_GLOROT);
	m->n_classes = 3;
	m->class_names = calloc(3, sizeof(char *));
	for (int i = 0; i < 3; i++)
		m->class_names[i] = xstrdup(names[i]);
	m->feat_dim = 6, m->feat_rate = 16000, m->feat_shift = 160, m->feat_length = 400;
	m->feat_fingerprint = UINT64_C(0x0123456789abcdef);
	m->feat_settings = xstrdup("preset=ser\nnum-ceps=6\n");
	m->norm_mean = malloc(6 * sizeof(float));
	m->norm_std = malloc(6 * sizeof(float));
	for (int j = 0; j < 6; j++)
		m->norm_mean[j] = 0.5f * j - 1, m->norm_std[j] = 1.0f + j;
	m->train_record = xstrdup("ser-train -o m.ser --seed 1\nheld-out: 01 02\n");
	return m;
}

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* A model file whose class name "calm" became "c<ESC>m" or "c<BEL>m" or
 * "c<DEL>m", with its checksum made valid again: the loader refuses the
 * name, from memory and from a file. */
static void crafted_names(const char *path)
{
	static const unsigned char bad[] = { 0x1b, 0x07, 0x7f, 0x01 };
	ser_model *m = make_model(0);
	unsigned char *buf;
	size_t len;
	ser_error e;
	if (ser_model_to_mem(m, &buf, &len, &e) < 0) {
		CHECK(0, "serialise: %s", e.msg);
		return;
	}
	unsigned char *at = NULL;
	for (size_t i = 0; i + 8 <= len && !at; i++)
		if (!memcmp(buf + i, "\4\0\0\0calm", 8))
			at = buf + i + 4;
	CHECK(at != NULL, "crafted model: class name found");
	for (size_t k = 0; at && k < sizeof bad; k++) {
		at[1] = bad[k];
		uint64_t h = fnv1a64(buf, len - 8);
		for (int j = 0; j < 8; j++)
			buf[len - 8 + j] = (unsigned char)(h >> (8 * j));
		ser_model *l = ser_model_from_mem(buf, len, "crafted.ser", &e);
		CHECK(!l && e.code == SER_EFORMAT && strstr(e.msg, "control character"),
		      "class name with byte 0x%02x refused by the loader: %s", bad[k], e.msg);
		ser_model_free(l);
		FILE *f = fopen(path, "wb");
		fwrite(buf, 1, len, f);
		fclose(f);
		l = ser_model_load(path, &e);
		CHECK(!l && strstr(e.msg, "control character"), "and from a file: %s", e.msg);
		ser_model_free(l);
	}
	free(buf);
	ser_model_free(m);
}

static int same_model(ser_model *a, ser_model *b)
{
	int ok = a->layout == b->layout && a->n_classes == b->n_classes && a->feat_dim == b->feat_dim &&
	         a->feat_rate == b->feat_rate && a->feat_shift == b->feat_shift &&
	         a->feat_length == b->feat_length && a->feat_fingerprint == b->feat_fingerprint &&
	         a->norm_mode == b->norm_mode && a->trim_db == b->trim_db &&
	         a->utt_window == b->utt_window && a->utt_hop == b->utt_hop && !strcmp(a->feat_settings, b->feat_settings) &&
	         !strcmp(a->train_record, b->train_record) &&
	         !strcmp(ser_net_arch(a->net), ser_net_arch(b->net)) &&
	         ser_net_in_channels(a->net) == ser_net_in_channels(b->net) &&
	         ser_net_in_length(a->net) == ser_net_in_length(b->net) &&
	         ser_net_nparams(a->net) == ser_net_nparams(b->net) &&
	         !memcmp(ser_net_params(a->net), ser_net_params(b->net), ser_net_nparams(a->net) * 4) &&
	         !memcmp(a->norm_mean, b->norm_mean, a->feat_dim * 4) &&
	         !memcmp(a->norm_std, b->norm_std, a->feat_dim * 4);
	for (int i = 0; ok && i < a->n_classes; i++)
		ok = !strcmp(a->class_names[i], b->class_names[i]);
	return ok;
}


static int read_file(const char *path, unsigned char **buf, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	*buf = malloc(1 << 20);
	*n = fread(*buf, 1, 1 << 20, f);
	fclose(f);
	return 0;
}

int main(void)
{
	ser_error e;
	const char *tmpd = getenv("SER_TMP") ? getenv("SER_TMP") : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/test_model.%ld", tmpd, (long)getpid());
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/m.ser", dir);

	for (int vector = 0; vector < 2; vector++) {
		ser_model *m = make_model(vector);
		CHECK(ser_model_save(m, path, &e) == 0, "save (%s layout): %s", vector ? "vector" : "frames", e.msg);
		ser_model *l = ser_model_load(path, &e);
		CHECK(l && same_model(m, l), "round trip (%s layout): every field and parameter equal",
		      vector ? "vector" : "frames");
		/* the loaded net computes the same */
		float x[6 * 5], in[30], p1[3], p2[3];
		for (int i = 0; i < 30; i++)
			x[i] = (float)((i * 7) % 11) - 5;
		int nf = vector ? 1 : 5;
		int T = ser_model_input(m, x, nf, in, &e);
		ser_net_forward(m->net, in, T, p1, &e);
		if (l) {
			ser_model_input(l, x, nf, in, &e);
			ser_net_forward(l->net, in, T, p2, &e);
		}
		CHECK(l && !memcmp(p1, p2, sizeof p1), "loaded model gives identical probabilities");
		ser_model_free(l);
		ser_model_free(m);
	}

	/* input layout and normalisation values */
	ser_model *m = make_model(0);
	float fr[2 * 6] = { 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8 }, in[12];
	int T = ser_model_input(m, fr, 2, in, &e);
	CHECK(T == 2 && in[0] == -1.0f && in[1] == 1.0f && in[2] == -0.5f && in[11] == 1.0f / 6,
	      "input: frames transposed to (C, T), utterance mean removed, divided by std");
	ser_model_free(m);
	m = make_model(1);
	T = ser_model_input(m, fr, 1, in, &e);
	CHECK(T == 6 && in[0] == 2.0f && in[5] == (6 - 1.5f) / 6, "input: vector layout (1, dim), global mean/std");
	CHECK(ser_model_input(m, fr, 2, in, &e) == SER_EINVAL, "vector layout refuses 2 frames: %s", e.msg);
	ser_model_free(m);

	unsigned char *buf;
	size_t n;
	m = make_model(0);
	ser_model_save(m, path, &e);
	read_file(path, &buf, &n);
	/* truncation at every offset */
	int refused = 0;
	for (size_t k = 0; k < n; k++) {
		ser_model *l = ser_model_from_mem(buf, k, "t", &e);
		refused += l == NULL;
		ser_model_free(l);
	}
	CHECK(refused == (int)n, "truncation at each of %zu offsets refused (%d)", n, refused);
	/* one bit flipped in every byte */
	refused = 0;
	int says_checksum = 0;
	for (size_t k = 0; k < n; k++) {
		buf[k] ^= (unsigned char)(1u << (k % 8));
		ser_model *l = ser_model_from_mem(buf, n, "t", &e);
		refused += l == NULL;
		says_checksum += l == NULL && strstr(e.msg, "checksum mismatch: file damaged") != NULL;
		ser_model_free(l);
		buf[k] ^= (unsigned char)(1u << (k % 8));
	}
	CHECK(refused == (int)n, "a bit flip in each of %zu bytes refused (%d)", n, refused);
	CHECK(says_checksum >= (int)n - 12, "%d of them as 'checksum mismatch: file damaged'", says_checksum);
	ser_model *l = ser_model_from_mem(buf, n, "t", &e);
	CHECK(l != NULL, "the undamaged buffer loads");
	ser_model_free(l);
	/* version 4 with a valid checksum */
	buf[8] = 4;
	uint64_t h = fnv1a64(buf, n - 8);
	for (int i = 0; i < 8; i++)
		buf[n - 8 + i] = (unsigned char)(h >> (8 * i));
	l = ser_model_from_mem(buf, n, "m.ser", &e);
	CHECK(!l && !strcmp(e.msg, "m.ser: model version 4 is not supported (this ser reads 1 to 3)"), "%s", e.msg);
	l = ser_model_from_mem((const unsigned char *)"RIFF\0\0\0\0WAVEfmt ", 16, "x.wav", &e);
	CHECK(!l && !strcmp(e.msg, "x.wav: not a ser model"), "%s", e.msg);
	/* an oversized class count with a correct checksum: refused before allocating */
	buf[8] = SER_MODEL_VERSION;
	buf[28] = 0xff, buf[29] = 0xff, buf[30] = 0xff, buf[31] = 0x7f;
	h = fnv1a64(buf, n - 8);
	for (int i = 0; i < 8; i++)
		buf[n - 8 + i] = (unsigned char)(h >> (8 * i));
	l = ser_model_from_mem(buf, n, "m.ser", &e);
	CHECK(!l && e.code == SER_ELIMIT, "class count 2^31-1 refused: %s", e.msg);
	free(buf);

	/* versions 1 and 2: the same layout without trim_db and the utterance
	 * windows (1), or without the windows (2), read as 0. Made from a version
	 * 3 file by removing those fields before the record string. */
	{
		ser_model *v2 = make_model(0);
		unsigned char *b1, *b2;
		size_t n1, n2, np = ser_net_nparams(v2->net), rec = strlen(v2->train_record);
		CHECK(ser_model_to_mem(v2, &b2, &n2, &e) == 0 && b2[8] == 3, "written as version 3");
		size_t at = n2 - 8 - 4 * np - 8 - rec - 4 - 12 - 4;   /* offset of trim_db */
		float t;
		uint32_t uw, uh;
		memcpy(&t, b2 + at, 4);
		memcpy(&uw, b2 + at + 4, 4);
		memcpy(&uh, b2 + at + 8, 4);
		CHECK(t == 37.5f && uw == 50 && uh == 12, "trim_db, window, hop at their offsets "
		      "(%g %u %u)", t, uw, uh);
		for (int ver = 1; ver <= 2; ver++) {
			size_t cut = ver == 1 ? 16 : 12, from = ver == 1 ? at : at + 4;
			n1 = n2 - cut;
			b1 = malloc(n1);
			memcpy(b1, b2, from);
			memcpy(b1 + from, b2 + from + cut, n2 - from - cut);
			b1[8] = (unsigned char)ver;
			h = fnv1a64(b1, n1 - 8);
			for (int i = 0; i < 8; i++)
				b1[n1 - 8 + i] = (unsigned char)(h >> (8 * i));
			l = ser_model_from_mem(b1, n1, "old.ser", &e);
			CHECK(l && l->utt_window == 0 && l->utt_hop == 0 &&
			      l->trim_db == (ver == 1 ? 0.0f : 37.5f),
			      "version %d file loads, %s windows 0: %s", ver, ver == 1 ? "trim 0," : "",
			      l ? "" : e.msg);
			ser_model *want = make_model(0);
			want->utt_window = want->utt_hop = 0;
			if (ver == 1)
				want->trim_db = 0;
			CHECK(l && same_model(l, want), "version %d file: every other field equal", ver);
			ser_model_free(want);
			ser_model_free(l);
			free(b1);
		}
		b2[8] = 2;   /* a version 3 body labelled 2: 12 bytes too many */
		h = fnv1a64(b2, n2 - 8);
		for (int i = 0; i < 8; i++)
			b2[n2 - 8 + i] = (unsigned char)(h >> (8 * i));
		l = ser_model_from_mem(b2, n2, "x.ser", &e);
		CHECK(!l, "version 3 body labelled version 2 refused: %s", e.msg);
		ser_model_free(l);
		free(b2);
		/* utterance windows refused at save */
		int badw[][2] = { { -1, 1 }, { 10, 0 }, { 10, 11 }, { 0, 5 }, { SER_MODEL_WINDOW_MAX + 1, 1 } };
		for (int i = 0; i < 5; i++) {
			v2->utt_window = badw[i][0], v2->utt_hop = badw[i][1];
			CHECK(ser_model_to_mem(v2, &b1, &n1, &e) == SER_EINVAL, "utterance window %d hop "
			      "%d refused: %s", badw[i][0], badw[i][1], e.msg);
		}
		v2->utt_window = 50, v2->utt_hop = 12;
		/* trim values refused at save */
		float badv[] = { -1.0f, 201.0f, NAN };
		for (int i = 0; i < 3; i++) {
			v2->trim_db = badv[i];
			CHECK(ser_model_to_mem(v2, &b1, &n1, &e) == SER_EINVAL, "trim_db %g refused: %s",
			      badv[i], e.msg);
		}
		ser_model_free(v2);
		v2 = make_model(1);
		v2->trim_db = 10;
		CHECK(ser_model_to_mem(v2, &b1, &n1, &e) == SER_EINVAL, "trim with the vector layout "
		      "refused: %s", e.msg);
		v2->trim_db = 0;
		v2->utt_window = 4, v2->utt_hop = 2;
		CHECK(ser_model_to_mem(v2, &b1, &n1, &e) == SER_EINVAL, "utterance windows with the "
		      "vector layout refused: %s", e.msg);
		ser_model_free(v2);
	}
	/* input transform: the inverse DCT before normalisation; stored, and
	 * refused with the vector layout or an unknown value */
	{
		ser_model *w = make_model(0), *l2 = NULL;
		unsigned char *b;
		size_t nb;
		float cf[5 * 6], out[6 * 5], lm[5 * 6], want[6 * 5];
		double worst = 0;
		CHECK(ser_model_set_idct(w, 1, &e) == 0 && w->input_idct == 1 && w->idct, "idct set");
		CHECK(ser_model_to_mem(w, &b, &nb, &e) == 0 && (l2 = ser_model_from_mem(b, nb, "i", &e)) &&
		      l2->input_idct == 1 && l2->idct && !memcmp(l2->idct, w->idct, 36 * sizeof(float)),
		      "input_idct 1 saved and loaded, same matrix");
		for (int i = 0; i < 30; i++)
			cf[i] = (float)cos(0.7 * i) * (i % 6 == 0 ? 10 : 1);
		/* by hand: l_m = sum_k c_k sqrt((k ? 2 : 1) / 6) cos(pi k (m + 0.5) / 6), then the
		 * per-utterance mean removed and divided by std */
		for (int t = 0; t < 5; t++)
			for (int j = 0; j < 6; j++) {
				double v = 0;
				for (int k = 0; k < 6; k++)
					v += cf[t * 6 + k] * sqrt((k ? 2.0 : 1.0) / 6) * cos(M_PI * k * (j + 0.5) / 6);
				lm[t * 6 + j] = (float)v;
			}
		for (int j = 0; j < 6; j++) {
			double mu = 0;
			for (int t = 0; t < 5; t++)
				mu += lm[t * 6 + j] / 5;
			for (int t = 0; t < 5; t++)
				want[j * 5 + t] = (float)((lm[t * 6 + j] - mu) / w->norm_std[j]);
		}
		ser_model_input(l2, cf, 5, out, &e);
		for (int i = 0; i < 30; i++)
			worst = fmax(worst, fabs(out[i] - want[i]));
		CHECK(worst < 1e-5, "model input with idct = inverse DCT then normalisation (worst %g)",
		      worst);
		ser_model_free(l2);
		free(b);
		ser_model *v = make_model(1);
		v->input_idct = 1;
		v->idct = malloc(36 * sizeof(float));
		CHECK(ser_model_to_mem(v, &b, &nb, &e) == SER_EINVAL, "idct with the vector layout "
		      "refused: %s", e.msg);
		ser_model_free(v);
		w->input_idct = 2;
		CHECK(ser_model_to_mem(w, &b, &nb, &e) == SER_EINVAL, "input transform 2 refused: %s",
		      e.msg);
		ser_model_free(w);
	}
	/* level normalisation: a gain (a constant added to every log mel energy:
	 * C0 of orthonormal cepstra moves by sqrt(n)) changes nothing; the
	 * spectral shape stays; the level dimensions come from the settings */
	for (int idct = 0; idct < 2; idct++) {
		ser_model *w = make_model(0), *l2 = NULL;
		float x[5 * 6], y[5 * 6], z[5 * 6], o1[30], o2[30], o3[30];
		double worst = 0, moved = 0, glob = 0;
		unsigned char *b;
		size_t nb;
		ser_feat_opts fo;
		char st[4096];
		ser_feat_preset(&fo, "ser", &e);
		fo.n_mels = fo.n_ceps = 6;   /* 6 cepstra of 6 mels, C0 first */
		ser_feat_settings_text(&fo, st, sizeof st);
		free(w->feat_settings);
		w->feat_settings = xstrdup(st);
		w->norm_mode = idct ? SER_NORM_SPEAKER_LEVEL : SER_NORM_LEVEL;
		ser_model_set_idct(w, idct, &e);
		CHECK(ser_model_set_level(w, &e) == 0 && w->level_first == 0 &&
		      w->level_count == (idct ? 6 : 1), "level dimensions (%s): %d, %d",
		      idct ? "log mel after the inverse DCT" : "C0 of cepstra", w->level_first,
		      w->level_count);
		for (int i = 0; i < 30; i++) {
			x[i] = (float)cos(0.9 * i) * (i % 6 == 0 ? 8 : 1);
			y[i] = x[i] + (i % 6 == 0 ? 3.0f * sqrtf(6.0f) : 0.0f);   /* +3 in every log mel */
			z[i] = x[i] + (i % 6 == 1 ? 2.0f : 0.0f);                  /* the tilt changed */
		}
		ser_model_input(w, x, 5, o1, &e);
		ser_model_input(w, y, 5, o2, &e);
		ser_model_input(w, z, 5, o3, &e);
		for (int i = 0; i < 30; i++) {
			worst = fmax(worst, fabs(o1[i] - o2[i]));
			moved = fmax(moved, fabs(o1[i] - o3[i]));
		}
		if (!idct)   /* dimensions 1..5 as with the global mean and std */
			for (int j = 1; j < 6; j++)
				for (int t = 0; t < 5; t++)
					glob = fmax(glob, fabs(o1[j * 5 + t] - (x[t * 6 + j] - w->norm_mean[j]) /
					                                         w->norm_std[j]));
		CHECK(worst < 1e-5 && moved > 0.1 && glob < 1e-6, "level mode (%s): a gain changes "
		      "the input by %g, a tilt by %g; other dimensions off the global norm by %g",
		      idct ? "idct" : "cepstra", worst, moved, glob);
		CHECK(ser_model_to_mem(w, &b, &nb, &e) == 0 && (l2 = ser_model_from_mem(b, nb, "l", &e)) &&
		      l2->norm_mode == w->norm_mode && l2->level_first == w->level_first &&
		      l2->level_count == w->level_count, "level mode saved and loaded with its dimensions");
		if (l2) {
			ser_model_input(l2, x, 5, o2, &e);
			CHECK(!memcmp(o1, o2, sizeof o1), "loaded level model: the same input");
		}
		ser_model_free(l2);
		free(b);
		w->level_count = 0;
		CHECK(ser_model_to_mem(w, &b, &nb, &e) == SER_EINVAL, "level mode without level "
		      "dimensions refused: %s", e.msg);
		free(w->feat_settings);
		w->feat_settings = xstrdup("no-such-setting=1\n");
		CHECK(idct || ser_model_set_level(w, &e) < 0, "level mode, unreadable settings: %s",
		      idct ? "(idct: every dimension)" : e.msg);
		ser_model_free(w);
	}
	/* per-utterance inference over windows = the mean of the window passes */
	{
		ser_model *w = make_model(0);
		ser_clf *c;
		float x[53 * 6], p[3], q[3], mean[3] = { 0 };
		int nf = 53, k, worst_ok = 1;
		w->trim_db = 0;
		w->utt_window = 20, w->utt_hop = 7;
		for (int i = 0; i < nf * 6; i++)
			x[i] = (float)sin(0.37 * i) + 0.1f * (float)(i % 7);
		c = ser_clf_new(w, &e);
		k = ser_clf_windows(nf, 20, 7);
		for (int i = 0; i < k; i++) {
			int st, len;
			ser_clf_window_at(nf, 20, 7, i, &st, &len);
			ser_clf_run(c, x + st * 6, len, q, &e);
			for (int j = 0; j < 3; j++)
				mean[j] += q[j] / k;
		}
		ser_clf_run_utt(c, x, nf, p, &e);
		for (int j = 0; j < 3; j++)
			worst_ok &= fabsf(p[j] - mean[j]) < 1e-6f;
		CHECK(k == 6 && worst_ok, "53 frames, windows 20 every 7: %d windows (0 7 14 21 28 and "
		      "the tail 33), utterance probabilities = their mean", k);
		ser_clf_run_utt(c, x, 20, p, &e);
		ser_clf_run(c, x, 20, q, &e);
		CHECK(!memcmp(p, q, sizeof p), "an utterance of one window's length: one pass");
		w->utt_window = w->utt_hop = 0;
		ser_clf_run_utt(c, x, nf, p, &e);
		ser_clf_run(c, x, nf, q, &e);
		CHECK(!memcmp(p, q, sizeof p), "window 0: the whole utterance in one pass");
		ser_clf_free(c);
		ser_model_free(w);
	}
	l = ser_model_load("no/such/model.ser", &e);
	CHECK(!l && e.code == SER_EIO, "missing file: %s", e.msg);

	/* atomic save: a failing write leaves the old file as it was */
	unsigned char *before, *after;
	size_t nb, na;
	read_file(path, &before, &nb);
	ser_model *m2 = make_model(0);
	ser_net_init(m2->net, 99, SER_INIT_GLOROT);
	struct rlimit old, small;
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 100; /* bytes: the write of the new model fails */
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	int rc = ser_model_save(m2, path, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	read_file(path, &after, &na);
	CHECK(rc == SER_EIO && na == nb && !memcmp(before, after, nb), "failed write (file size limit): "
	      "error '%s', old file unchanged", e.msg);
	free(after);
	if (geteuid() != 0) {
		chmod(dir, 0555);
		rc = ser_model_save(m2, path, &e);
		chmod(dir, 0755);
		read_file(path, &after, &na);
		CHECK(rc == SER_EIO && na == nb && !memcmp(before, after, nb),
		      "directory not writable: error '%s', old file unchanged", e.msg);
		free(after);
	} else {
		SKIP("directory not writable: running as root, permissions do not apply");
	}
	/* no temporary left behind */
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "ls '%s' | grep -c tmp >/dev/null", dir);
	CHECK(system(cmd) != 0, "no temporary file left in the directory");
	CHECK(ser_model_save(m2, path, &e) == 0, "a later save succeeds");
	l = ser_model_load(path, &e);
	CHECK(l && same_model(l, m2), "and replaces the model");
	ser_model_free(l);
	/* bad models are refused at save */
	free(m2->class_names[1]);
	m2->class_names[1] = xstrdup("ca\tlm");
	CHECK(ser_model_save(m2, path, &e) == SER_EINVAL, "class name with a TAB refused: %s", e.msg);
	free(m2->class_names[1]);
	m2->class_names[1] = xstrdup("ca\033lm");
	CHECK(ser_model_save(m2, path, &e) == SER_EINVAL, "class name with an ESC refused: %s", e.msg);
	crafted_names(path);
	free(before);
	ser_model_free(m2);
	ser_model_free(m);
	unlink(path);
	rmdir(dir);
	return check_status();
}
