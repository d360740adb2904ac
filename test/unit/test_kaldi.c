/* Kaldi archives and scp files read through ser_fr (lib/kaldi.c), NumPy
 * output (lib/npy.c), per-speaker CMVN (lib/spkcmvn.c), speaker maps
 * (lib/spkmap.c) and bootstrap intervals (lib/bootstrap.c): round trips,
 * byte layouts, and every truncation of an archive refused without a crash. */
#include "check.h"
#include "bootstrap.h"
#include "bytes.h"
#include "featio.h"
#include "kaldi.h"
#include "mfcc.h"
#include "spkcmvn.h"
#include "spkmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIM 3

static ser_feat_info info;
static char text[SER_FEAT_SETTINGS_MAX];

/* An info of dimension DIM (dct none, n-mels DIM: log mel energies). */
static void make_info(void)
{
	ser_feat_opts o;
	ser_feat_preset(&o, "ser", NULL);
	ser_feat_set(&o, "dct", "none", NULL);
	ser_feat_set(&o, "n-mels", "3", NULL);
	if (ser_feat_info_fill(&o, &info, text, sizeof text, NULL) < 0 || info.dim != DIM)
		abort();
}

/* Writes utterances "a" (2 frames) and "b" (0 frames), "c" (1) in format fmt into a memory buffer. */
static size_t write_three(int fmt, char *buf, size_t cap)
{
	static const float x[3 * DIM] = { 1.5f, -2.25f, 3e-5f, 4, 5, 6, 1e30f, -7.125f, 0.1f };
	FILE *f = fmemopen(buf, cap, "wb");
	ser_fw *w = ser_fw_new(f, fmt, &info, NULL);
	long n;
	ser_fw_begin(w, "a", NULL);
	ser_fw_frames(w, x, 2, NULL);
	ser_fw_end(w, NULL);
	ser_fw_begin(w, "b", NULL);
	ser_fw_end(w, NULL);
	ser_fw_begin(w, "c", NULL);
	ser_fw_frames(w, x + 2 * DIM, 1, NULL);
	ser_fw_end(w, NULL);
	ser_fw_finish(w, NULL);
	ser_fw_free(w);
	n = ftell(f);
	fclose(f);
	return (size_t)n;
}

/* Reads all of buf[0..n) as fmt-agnostic input; returns 0 and the frames
 * (keys joined with ',') or the negative status. */
static int read_all(const char *buf, size_t n, float *x, size_t *nx, char *keys, size_t kcap)
{
	FILE *f = fmemopen((void *)buf, n, "rb");
	ser_error err;
	ser_fr *r = ser_fr_open_as(f, "mem", &info, &err);
	ser_fr_ev ev;
	int rc = r ? 0 : err.code;
	*nx = 0;
	keys[0] = '\0';
	while (r && (rc = ser_fr_next(r, &ev, &err)) > 0) {
		if (ev.type == SER_FR_BEGIN && strlen(keys) + strlen(ev.key) + 2 < kcap) {
			strcat(keys, ev.key);
			strcat(keys, ",");
		}
		if (ev.type == SER_FR_FRAMES) {
			memcpy(x + *nx * DIM, ev.x, ev.n * DIM * sizeof *x);
			*nx += ev.n;
		}
	}
	ser_fr_free(r);
	fclose(f);
	return rc;
}

static void test_roundtrip(void)
{
	static const float want[3 * DIM] = { 1.5f, -2.25f, 3e-5f, 4, 5, 6, 1e30f, -7.125f, 0.1f };
	char buf[4096], keys[64];
	float x[16 * DIM];
	size_t nx, n = write_three(SER_FW_ARK, buf, sizeof buf);
	int rc = read_all(buf, n, x, &nx, keys, sizeof keys);
	CHECK(rc == 0 && nx == 3 && !memcmp(x, want, sizeof want) && !strcmp(keys, "a,b,c,"),
	      "kaldi: binary ark read back exactly (rc %d, %zu frames, keys %s)", rc, nx, keys);
	n = write_three(SER_FW_TEXT, buf, sizeof buf);
	rc = read_all(buf, n, x, &nx, keys, sizeof keys);
	CHECK(rc == 0 && nx == 3 && !strcmp(keys, "a,b,c,") && x[0] == 1.5f && x[6] == 1e30f && x[7] == -7.125f,
	      "kaldi: text ark read back (rc %d, %zu frames, keys %s)", rc, nx, keys);
	/* the first bytes of the ark as ser-formats(5) gives them */
	n = write_three(SER_FW_ARK, buf, sizeof buf);
	CHECK(!memcmp(buf, "a \0BFM \4", 8) && ser_get_le32((unsigned char *)buf + 8) == 2 && buf[12] == 4 &&
	      ser_get_le32((unsigned char *)buf + 13) == DIM, "kaldi: ark object header 'a \\0BFM ' rows 2 cols 3");
	CHECK(ser_kaldi_sniff((unsigned char *)buf, n) && !ser_kaldi_sniff((const unsigned char *)"RIFF....", 8) &&
	      ser_kaldi_sniff((const unsigned char *)"k  [\n 1 ]", 9) && !ser_kaldi_sniff((const unsigned char *)" a \0B", 5),
	      "kaldi: sniffing tells archives from other bytes");
}

static void test_truncations(void)
{
	char buf[4096], keys[64];
	float x[16 * DIM];
	size_t nx, n = write_three(SER_FW_ARK, buf, sizeof buf), bad = 0;
	for (size_t k = 1; k < n; k++) {
		int rc = read_all(buf, k, x, &nx, keys, sizeof keys);
		/* a cut between entries is a shorter clean archive; any other is an error */
		if (rc == 0 && k != 41 && k != 58)
			bad++;
	}
	CHECK(bad == 0, "kaldi: every truncation of a %zu-byte ark is an error or ends between entries (%zu not)", n, bad);
	n = write_three(SER_FW_TEXT, buf, sizeof buf);
	bad = 0;
	for (size_t k = 1; k < n; k++) {
		int rc = read_all(buf, k, x, &nx, keys, sizeof keys);
		if (rc == 0 && buf[k - 1] != '\n' && buf[k - 1] != ']')
			bad++;
	}
	CHECK(bad == 0, "kaldi: every truncation of the text ark inside an entry is an error (%zu not)", bad);
}

static void test_refusals(void)
{
	char keys[64];
	float x[16 * DIM];
	size_t nx;
	ser_error err;
	FILE *f = fmemopen((void *)"a \0BFM \4\1\0\0\0\4\3\0\0\0", 17, "rb");
	ser_fr *r = ser_fr_open(f, "mem", &err);
	CHECK(!r && strstr(err.msg, "--settings"), "kaldi: without settings refused, saying how (%s)", err.msg);
	fclose(f);
	CHECK(read_all("a \0BCM2 xxxxxxxxxxxx", 20, x, &nx, keys, sizeof keys) == SER_EFORMAT,
	      "kaldi: compressed matrix refused");
	CHECK(read_all("a \0BFM \4\1\0\0\0\4\5\0\0\0", 17, x, &nx, keys, sizeof keys) == SER_EMISMATCH,
	      "kaldi: 5 columns for dimension 3 refused");
	CHECK(read_all("a \0BFM \4\377\377\377\377\4\3\0\0\0", 17, x, &nx, keys, sizeof keys) == SER_EFORMAT,
	      "kaldi: negative rows refused");
	CHECK(read_all("a \0BFM \4\377\377\377\177\4\3\0\0\0", 17, x, &nx, keys, sizeof keys) == SER_ELIMIT,
	      "kaldi: 2^31-1 rows refused before allocating");
	CHECK(read_all("a [ 1 2 x ]\n", 12, x, &nx, keys, sizeof keys) == SER_EFORMAT, "kaldi: text 'x' refused");
	CHECK(read_all("a [ 1 2 nan ]\n", 14, x, &nx, keys, sizeof keys) == SER_EFORMAT, "kaldi: text nan refused");
	CHECK(read_all("a [ 1 2 3 \n 4 5 ]\n", 18, x, &nx, keys, sizeof keys) == SER_EMISMATCH,
	      "kaldi: text rows of 3 and 2 values refused");
	CHECK(read_all("a [ 1 2 3 ]\nb [ ]\n", 18, x, &nx, keys, sizeof keys) == 0 && nx == 1,
	      "kaldi: one-line text matrix and an empty one");
	{
		unsigned char d[17 + 8 * DIM];
		double v[DIM] = { 0.5, -1e300, 2 };
		memcpy(d, "a \0BDM \4\1\0\0\0\4\3\0\0\0", 17);
		for (int i = 0; i < DIM; i++)
			ser_put_le64(d + 17 + 8 * i, ser_f64_bits(v[i]));
		CHECK(read_all((char *)d, 17 + 8 * DIM, x, &nx, keys, sizeof keys) == SER_EFORMAT,
		      "kaldi: float64 beyond float32 refused");
		v[1] = -0.25;
		ser_put_le64(d + 17 + 8, ser_f64_bits(v[1]));
		CHECK(read_all((char *)d, 17 + 8 * DIM, x, &nx, keys, sizeof keys) == 0 && nx == 1 && x[1] == -0.25f,
		      "kaldi: float64 matrix read as float32");
	}
}

static void test_settings(void)
{
	ser_feat_info in;
	char t[SER_FEAT_SETTINGS_MAX];
	ser_error err;
	CHECK(ser_kaldi_settings("kaldi", &in, t, sizeof t, &err) == 0 && in.dim == 13,
	      "settings: preset kaldi gives dimension 13");
	CHECK(ser_kaldi_settings("n-mels=3 dct=none", &in, t, sizeof t, &err) == 0 && in.dim == 3 &&
	      in.fingerprint == info.fingerprint, "settings: a text gives that stream's fingerprint");
	CHECK(ser_kaldi_settings("no-such-thing", &in, t, sizeof t, &err) == SER_EINVAL, "settings: unknown name refused");
	CHECK(ser_kaldi_settings("n-mels=0", &in, t, sizeof t, &err) < 0, "settings: bad value refused");
}

static void test_npy(void)
{
	char buf[4096];
	size_t n = write_three(SER_FW_NPZ, buf, sizeof buf);
	unsigned char *p = (unsigned char *)buf;
	size_t hl = (size_t)p[30 + 5 + 8] | (size_t)p[30 + 5 + 9] << 8;   /* a.npy's header length */
	CHECK(ser_get_le32(p) == 0x04034b50 && !memcmp(buf + 30, "a.npy\x93NUMPY\1\0", 13) && (10 + hl) % 64 == 0,
	      "npz: first entry a.npy, an npy 1.0 header padded to 64 bytes (%zu)", hl);
	CHECK(n > 22 && ser_get_le32(p + n - 22) == 0x06054b50 && p[n - 22 + 10] == 3,
	      "npz: end record with 3 entries");
	CHECK(!memcmp(buf + 30 + 5 + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 59),
	      "npz: a's header says (2, 3) float32");
	{
		FILE *f = fmemopen(buf, sizeof buf, "wb");
		ser_error err;
		ser_fw *w = ser_fw_new(f, SER_FW_NPY, &info, NULL);
		float x[DIM] = { 1, 2, 3 };
		int rc = ser_fw_begin(w, "a", &err) | ser_fw_frames(w, x, 1, &err) | ser_fw_end(w, &err);
		CHECK(rc == 0 && ser_fw_begin(w, "b", &err) == SER_EINVAL, "npy: a second utterance refused");
		ser_fw_free(w);
		fclose(f);
	}
}

static void test_spkcmvn(void)
{
	char buf[4096], keys[64];
	float x[16 * DIM], in[4 * DIM] = { 1, 2, 3, 3, 2, 1, 10, 10, 10, 20, 30, 40 };
	size_t nx;
	FILE *f = fmemopen(buf, sizeof buf, "wb");
	ser_fw *w = ser_fw_new(f, SER_FW_ARK, &info, NULL);
	ser_spkcmvn *s = ser_spkcmvn_new(DIM, 0, NULL);
	long n;
	/* speaker p: u1 (frames 0, 1) and u3 (frame 3); q: u2 (frame 2) */
	ser_spkcmvn_begin(s, "u1", "p", NULL);
	ser_spkcmvn_frames(s, in, 2, NULL);
	ser_spkcmvn_end(s, NULL);
	ser_spkcmvn_begin(s, "u2", "q", NULL);
	ser_spkcmvn_frames(s, in + 2 * DIM, 1, NULL);
	ser_spkcmvn_end(s, NULL);
	ser_spkcmvn_begin(s, "gone", "q", NULL);
	ser_spkcmvn_frames(s, in, 1, NULL);
	ser_spkcmvn_drop(s);
	ser_spkcmvn_begin(s, "u3", "p", NULL);
	ser_spkcmvn_frames(s, in + 3 * DIM, 1, NULL);
	ser_spkcmvn_end(s, NULL);
	CHECK(ser_spkcmvn_write(s, w, NULL) == 0, "spkcmvn: written");
	ser_spkcmvn_free(s);
	ser_fw_free(w);
	n = ftell(f);
	fclose(f);
	CHECK(read_all(buf, (size_t)n, x, &nx, keys, sizeof keys) == 0 && nx == 4 && !strcmp(keys, "u1,u2,u3,"),
	      "spkcmvn: the kept utterances in order (%s)", keys);
	/* p's mean: (1+3+20)/3 = 8, (2+2+30)/3 = 34/3, (3+1+40)/3 = 44/3; q's: its frame */
	CHECK(check_close(x[0], 1 - 8.0, 1e-5, 0) && check_close(x[1], 2 - 34 / 3.0, 1e-5, 0) &&
	      check_close(x[9], 20 - 8.0, 1e-5, 0) && x[6] == 0 && x[7] == 0 && x[8] == 0,
	      "spkcmvn: each speaker's mean removed, the dropped utterance not counted");
}

static void test_spkmap(void)
{
	ser_error err;
	int clash;
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir;
	char path[4096];
	int fd;
	FILE *f;
	ser_spkmap *m;
	snprintf(path, sizeof path, "%s/ser-spkmap-XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w"))) {
		CHECK(0, "spkmap: temporary file in %s", dir);
		return;
	}
	fputs("sa u1 dir/u2.flac\nsb u3 x/dup.wav y/dup.flac\n", f);
	fclose(f);
	m = ser_spkmap_load(path, 1, &err);
	CHECK(m && ser_spkmap_count(m) == 5, "spkmap: spk2utt of 5 utterances");
	if (m) {
		const char *a = ser_spkmap_get(m, "u1", &clash), *b = ser_spkmap_get(m, "z/u2.wav", &clash);
		CHECK(a && !strcmp(a, "sa") && b && !strcmp(b, "sa"), "spkmap: exact key, and u2.wav for dir/u2.flac");
		CHECK(!ser_spkmap_get(m, "dup.mp3", &clash) && clash, "spkmap: two utterances of one name: a clash");
		CHECK(!ser_spkmap_get(m, "none", &clash) && !clash, "spkmap: an unknown key");
		ser_spkmap_free(m);
	}
	remove(path);
}

static void test_bootstrap(void)
{
	int t[10] = { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2 }, q[10] = { 0, 0, 0, 1, 1, 1, 2, 2, 0, 2 };
	ser_ci a1, u1, a2, u2;
	CHECK(ser_bootstrap(t, q, 10, 3, 2000, 5, &a1, &u1, NULL) == 0 && ser_bootstrap(t, q, 10, 3, 2000, 5, &a2, &u2, NULL) == 0 &&
	      a1.lo == a2.lo && a1.hi == a2.hi && u1.lo == u2.lo, "bootstrap: same seed, same intervals");
	CHECK(a1.lo <= 0.6 && a1.hi >= 0.6 && a1.lo >= 0.2 && a1.hi <= 1, "bootstrap: accuracy 0.6 in [%g, %g]", a1.lo, a1.hi);
	CHECK(ser_bootstrap(t, t, 10, 3, 100, 5, &a1, &u1, NULL) == 0 && a1.lo == 1 && u1.hi == 1,
	      "bootstrap: all correct gives [1, 1]");
	CHECK(ser_bootstrap(t, q, 0, 3, 100, 5, &a1, &u1, NULL) == SER_EINVAL, "bootstrap: no utterance refused");
}

int main(void)
{
	make_info();
	test_roundtrip();
	test_truncations();
	test_refusals();
	test_settings();
	test_npy();
	test_spkcmvn();
	test_spkmap();
	test_bootstrap();
	return check_status();
}
