/* Hostile input through the library readers: model files with a valid
 * checksum but absurd fields, PCM streams with absurd headers, label
 * files with endless lines, settings texts with bad values, and front-end
 * settings that used to size an allocation without bound. Regression
 * tests for what the fuzz targets (fuzz/) found. */
#define _GNU_SOURCE
#include "check.h"
#include "audio.h"
#include "labels.h"
/* model.h and mfcc.h both name an enumerator SER_NORM_NONE (as in
 * cmd/ser-classify.c, mfcc.h's is renamed here) */
#define SER_NORM_NONE SER_MELNORM_NONE_
#include "mfcc.h"
#undef SER_NORM_NONE
#include "model.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- model files ---- */

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

static void reseal(unsigned char *b, size_t n)
{
	uint64_t h = fnv(b, n - 8);
	for (int i = 0; i < 8; i++)
		b[n - 8 + i] = (unsigned char)(h >> (8 * i));
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static char *xdup(const char *s)
{
	return strcpy(malloc(strlen(s) + 1), s);
}

/* A two-class model ("a", "b") of net spec over dim x frames, its
 * parameters seeded 1; the caller sets the feature fields it needs. */
static ser_model *two_class_model(const char *spec, int dim, int frames, int layout)
{
	ser_error e;
	ser_model *m = calloc(1, sizeof *m);
	m->net = ser_net_new(spec, dim, frames, 2, &e);
	ser_net_init(m->net, 1, SER_INIT_GLOROT);
	m->layout = layout;
	m->n_classes = 2;
	m->class_names = calloc(2, sizeof(char *));
	m->class_names[0] = xdup("a");
	m->class_names[1] = xdup("b");
	return m;
}

static unsigned char *model_bytes(size_t *len)
{
	ser_error e;
	ser_model *m = two_class_model("conv:2:3 relu flatten dense", 1, 4, SER_LAYOUT_VECTOR);
	m->feat_dim = 4, m->feat_rate = 16000, m->feat_shift = 160, m->feat_length = 400;
	m->feat_settings = xdup("rate=16000");
	m->norm_mode = SER_NORM_NONE;
	unsigned char *b = NULL;
	if (ser_model_to_mem(m, &b, len, &e) < 0)
		*len = 0;
	ser_model_free(m);
	return b;
}

/* Loads b with the u32 at off replaced by v (checksum made valid). */
static int load_patched(const unsigned char *b, size_t n, size_t off, uint32_t v, ser_error *e)
{
	unsigned char *c = malloc(n);
	memcpy(c, b, n);
	put32(c + off, v);
	reseal(c, n);
	ser_model *m = ser_model_from_mem(c, n, "patched", e);
	free(c);
	ser_model_free(m);
	return m ? 0 : e->code;
}

static void test_model(void)
{
	size_t n;
	ser_error e;
	unsigned char *b = model_bytes(&n);
	CHECK(b && n > 60, "hostile model: base model serialises (%zu bytes)", n);
	if (!b)
		return;
	ser_model *m = ser_model_from_mem(b, n, "base", &e);
	CHECK(m != NULL, "hostile model: base model loads");
	ser_model_free(m);
	/* header: magic 0, version 8, flags 12, layout 16, in_c 20, in_len 24, ncls 28, arch_len 32 */
	struct { size_t off; uint32_t v; const char *what; } cases[] = {
		{ 28, 0xffffffffu, "class count 2^32-1" },
		{ 28, 0, "class count 0" },
		{ 20, 0xffffffffu, "input channels 2^32-1" },
		{ 24, 0x7fffffffu, "input length 2^31-1" },
		{ 32, 0xffffffffu, "arch length 2^32-1" },
		{ 32, 0x7ffffff0u, "arch length past the end" },
		{ 12, 1, "non-zero flags" },
		{ 16, 7, "unknown layout" },
		{ 8, SER_MODEL_VERSION + 1, "version after the current" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = load_patched(b, n, cases[i].off, cases[i].v, &e);
		CHECK(rc < 0 && e.msg[0], "hostile model: %s refused (%s)", cases[i].what, e.msg);
	}
	/* every u32 position set to 0xffffffff and to 0x80000000 (checksum
	 * made valid): the fixed header (bytes 8..35: version, flags, layout,
	 * sizes, arch length) is always refused; elsewhere (names, feature
	 * fields, texts, parameters) a value may be legal, and then the model
	 * saves back to the same bytes. Never a crash (ASan in make check). */
	int hdr_refused = 0, hdr_total = 0, loaded = 0, same = 0;
	for (size_t off = 8; off + 4 <= n - 8; off++)
		for (int k = 0; k < 2; k++) {
			unsigned char *c = malloc(n);
			memcpy(c, b, n);
			put32(c + off, k ? 0x80000000u : 0xffffffffu);
			reseal(c, n);
			ser_model *pm = ser_model_from_mem(c, n, "patched", &e);
			if (off + 4 <= 36) {
				hdr_total++;
				hdr_refused += pm == NULL;
			}
			if (pm) {
				unsigned char *o = NULL;
				size_t on = 0;
				loaded++;
				if (ser_model_to_mem(pm, &o, &on, &e) == 0 && on == n && !memcmp(o, c, n))
					same++;
				free(o);
			}
			ser_model_free(pm);
			free(c);
		}
	CHECK(hdr_refused == hdr_total, "hostile model: %d of %d huge header fields refused", hdr_refused,
	      hdr_total);
	CHECK(loaded > 0 && same == loaded, "hostile model: %d of %d patched models that load save back identical",
	      same, loaded);
	/* a parameter NaN or Inf */
	unsigned char *c = malloc(n);
	memcpy(c, b, n);
	put32(c + n - 12, 0x7fc00000u);
	reseal(c, n);
	m = ser_model_from_mem(c, n, "nan", &e);
	CHECK(!m && strstr(e.msg, "not finite"), "hostile model: NaN parameter refused (%s)", e.msg);
	put32(c + n - 12, 0x7f800000u);
	reseal(c, n);
	m = ser_model_from_mem(c, n, "inf", &e);
	CHECK(!m && strstr(e.msg, "not finite"), "hostile model: Inf parameter refused (%s)", e.msg);
	/* zero-length and one-byte files */
	m = ser_model_from_mem(c, 0, "empty", &e);
	CHECK(!m && e.code == SER_EFORMAT, "hostile model: empty input refused (%s)", e.msg);
	m = ser_model_from_mem(c, 1, "one", &e);
	CHECK(!m && e.code == SER_EFORMAT, "hostile model: one-byte input refused (%s)", e.msg);
	free(c);
	free(b);
}

/* A batchnorm running variance below 0 (finite, checksum valid) made every
 * output NaN; the loader refuses it (found by fuzz_model). */
static void test_model_bn_variance(void)
{
	ser_error e;
	ser_model *m = two_class_model("conv:2:3 bn relu stats dense", 3, 0, SER_LAYOUT_FRAMES);
	m->feat_dim = 3;
	m->feat_settings = xdup("rate=16000");
	size_t np = ser_net_nparams(m->net), n = 0;
	unsigned char *b = NULL;
	ser_net_params(m->net)[np - 1] = -0.5f;   /* the last running variance (bn is the only tail) */
	int rc = ser_model_to_mem(m, &b, &n, &e);
	ser_model *l = rc == 0 ? ser_model_from_mem(b, n, "bnvar", &e) : NULL;
	CHECK(rc == 0 && !l && e.code == SER_EFORMAT && strstr(e.msg, "running variance"),
	      "hostile model: negative batchnorm running variance refused (%s)", e.msg);
	ser_model_free(l);
	free(b);
	ser_net_params(m->net)[np - 1] = 0.0f;    /* 0 is legal: eps keeps it finite */
	rc = ser_model_to_mem(m, &b, &n, &e);
	l = rc == 0 ? ser_model_from_mem(b, n, "bnvar0", &e) : NULL;
	float x[3 * 8], in[3 * 8], p[2] = { -1, -1 };
	for (int i = 0; i < 24; i++)
		x[i] = (float)(i % 5) - 2.0f;
	int ok = l && ser_model_input(l, x, 8, in, &e) == 8 && ser_net_forward(l->net, in, 8, p, &e) == 0;
	CHECK(ok && isfinite(p[0]) && fabs(p[0] + p[1] - 1) < 1e-5,
	      "hostile model: zero running variance loads and gives probabilities (%g, %g)", p[0], p[1]);
	ser_model_free(l);
	free(b);
	ser_model_free(m);
}

/* A normalisation std of 5.9e-39 (finite, > 0, a subnormal) made 1/std
 * infinite and every output NaN; std below 1e-10 is refused (fuzz_model). */
static void test_model_tiny_std(void)
{
	ser_error e;
	ser_model *m = two_class_model("conv:1:1 flatten dense", 2, 3, SER_LAYOUT_FRAMES);
	m->feat_dim = 2;
	m->norm_mode = SER_NORM_GLOBAL;
	m->norm_mean = calloc(2, sizeof(float));
	m->norm_std = malloc(2 * sizeof(float));
	m->norm_std[0] = 1.0f, m->norm_std[1] = 1.5f;
	size_t n = 0, at = 0;
	unsigned char *b = NULL;
	ser_model_to_mem(m, &b, &n, &e);
	for (size_t i = 0; b && i + 4 <= n; i++)
		if (!memcmp(b + i, "\x00\x00\xc0\x3f", 4))   /* 1.5f */
			at = i;
	CHECK(at > 0, "hostile model: std 1.5 found in the file at byte %zu", at);
	if (at) {
		put32(b + at, 0x00400000u);                /* 5.9e-39, subnormal */
		reseal(b, n);
		ser_model *l = ser_model_from_mem(b, n, "tinystd", &e);
		CHECK(!l && e.code == SER_EFORMAT, "hostile model: subnormal normalisation std refused (%s)", e.msg);
		ser_model_free(l);
		put32(b + at, 0x2edbe6ffu);                /* 1e-10: the smallest accepted */
		reseal(b, n);
		l = ser_model_from_mem(b, n, "std1e-10", &e);
		CHECK(l != NULL, "hostile model: std 1e-10 accepted");
		ser_model_free(l);
	}
	free(b);
	ser_model_free(m);
}

/* ---- PCM ---- */

static int memfd_with(const void *p, size_t n)
{
	int fd = memfd_create("hostile", 0);
	if (fd < 0)
		return -1;
	if (n && write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* A WAV header: RIFF, fmt (16 bytes) with the given fields, then extra bytes. */
static size_t wavhdr(unsigned char *b, unsigned tag, unsigned ch, uint32_t rate, unsigned bits)
{
	memcpy(b, "RIFF\xff\xff\xff\xffWAVEfmt \x10\0\0\0", 20);
	b[20] = (unsigned char)tag, b[21] = (unsigned char)(tag >> 8);
	b[22] = (unsigned char)ch, b[23] = (unsigned char)(ch >> 8);
	put32(b + 24, rate);
	put32(b + 28, rate * ch * bits / 8);
	b[32] = (unsigned char)(ch * bits / 8), b[33] = (unsigned char)((ch * bits / 8) >> 8);
	b[34] = (unsigned char)bits, b[35] = 0;
	return 36;
}

static int pcm_open_rc(const unsigned char *b, size_t n, ser_error *e)
{
	int fd = memfd_with(b, n);
	ser_pcm_in *p = ser_pcm_in_open(fd, SER_PCM_S16, 16000, 1, e);
	int rc = p ? 0 : e->code;
	if (p) {
		float x[64];
		long r;
		while ((r = ser_pcm_in_read(p, x, 64, e)) > 0)
			;
		rc = (int)r;
	}
	ser_pcm_in_close(p);
	close(fd);
	return rc;
}

static void test_pcm(void)
{
	unsigned char b[256];
	ser_error e;
	size_t n;
	int rc;
	n = wavhdr(b, 1, 65, 16000, 16);
	memcpy(b + n, "data\4\0\0\0abcd", 12);
	rc = pcm_open_rc(b, n + 12, &e);
	CHECK(rc == SER_ELIMIT, "hostile pcm: 65 channels refused (%s)", e.msg);
	n = wavhdr(b, 1, 0, 16000, 16);
	rc = pcm_open_rc(b, n, &e);
	CHECK(rc == SER_ELIMIT, "hostile pcm: 0 channels refused (%s)", e.msg);
	n = wavhdr(b, 1, 1, 0, 16);
	rc = pcm_open_rc(b, n, &e);
	CHECK(rc == SER_ELIMIT, "hostile pcm: rate 0 refused (%s)", e.msg);
	n = wavhdr(b, 1, 1, 0xffffffffu, 16);
	rc = pcm_open_rc(b, n, &e);
	CHECK(rc == SER_ELIMIT, "hostile pcm: rate 2^32-1 refused (%s)", e.msg);
	n = wavhdr(b, 1, 1, 16000, 12);
	rc = pcm_open_rc(b, n, &e);
	CHECK(rc == SER_EFORMAT, "hostile pcm: 12-bit samples refused (%s)", e.msg);
	/* fmt chunk claiming 4 GiB */
	memcpy(b, "RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\xff", 20);
	rc = pcm_open_rc(b, 20, &e);
	CHECK(rc == SER_EFORMAT, "hostile pcm: fmt chunk of 2^32-1 bytes refused (%s)", e.msg);
	/* unknown chunk claiming 4 GiB: refused at once, not read */
	n = wavhdr(b, 1, 1, 16000, 16);
	memcpy(b + n, "LIST\xff\xff\xff\xff", 8);
	rc = pcm_open_rc(b, n + 8, &e);
	CHECK(rc == SER_ELIMIT, "hostile pcm: LIST chunk of 2^32-1 bytes refused (%s)", e.msg);
	/* data chunk stating more than there is */
	n = wavhdr(b, 1, 1, 16000, 16);
	memcpy(b + n, "data\x00\x01\0\0abcd", 12);
	rc = pcm_open_rc(b, n + 12, &e);
	CHECK(rc == SER_ETRUNC, "hostile pcm: short data chunk is truncation (%s)", e.msg);
	/* header only, header cut */
	rc = pcm_open_rc(b, n - 3, &e);
	CHECK(rc == SER_ETRUNC, "hostile pcm: cut fmt chunk is truncation (%s)", e.msg);
	/* zero-length and one-sample raw input */
	rc = pcm_open_rc(b, 0, &e);
	CHECK(rc == 0, "hostile pcm: empty raw stream is 0 samples");
	int fd = memfd_with("\x00\x40", 2);
	ser_pcm_in *p = ser_pcm_in_open(fd, SER_PCM_S16, 16000, 1, &e);
	float x[4];
	long r1 = p ? ser_pcm_in_read(p, x, 4, &e) : -1, r2 = p ? ser_pcm_in_read(p, x + 1, 4, &e) : -1;
	CHECK(r1 == 1 && r2 == 0 && x[0] == 0.5f, "hostile pcm: one-sample raw stream (%ld, %ld)", r1, r2);
	ser_pcm_in_close(p);
	close(fd);
	rc = pcm_open_rc((const unsigned char *)"\x01", 1, &e);
	CHECK(rc == SER_ETRUNC, "hostile pcm: one stray byte is truncation (%s)", e.msg);
	/* a directory as input: read(2) fails with EISDIR */
	fd = open(".", O_RDONLY);
	p = ser_pcm_in_open(fd, SER_PCM_S16, 16000, 1, &e);
	CHECK(!p && e.code == SER_EIO, "hostile pcm: a directory is an I/O error (%s)", p ? "" : e.msg);
	ser_pcm_in_close(p);
	close(fd);
}

/* ---- labels ---- */

/* An endless line of 'x' (cat /dev/zero | tr): counts the bytes taken,
 * ends after 256 MiB so that a reader without a bound still returns. */
static size_t endless_taken;
static ssize_t endless_read(void *c, char *buf, size_t n)
{
	(void)c;
	if (endless_taken >= ((size_t)256 << 20))
		return 0;
	memset(buf, 'x', n);
	endless_taken += n;
	return (ssize_t)n;
}

static void test_labels(void)
{
	ser_error e;
	/* an endless line: refused at SER_LINE_MAX, not held whole */
	size_t big = (size_t)SER_LINE_MAX + 100;
	char *s = malloc(big);
	memset(s, 'x', big);
	FILE *f = fmemopen(s, big, "r");
	ser_labelmap *m = ser_labelmap_read(f, "long", &e);
	CHECK(!m && e.code == SER_ELIMIT, "hostile labels: map line over SER_LINE_MAX refused (%s)", e.msg);
	ser_labelmap_free(m);
	fclose(f);
	f = fmemopen(s, big, "r");
	ser_predreader *r = ser_predreader_new(f, "long", &e);
	ser_pred pr;
	int rc = r ? ser_predreader_next(r, &pr, &e) : -1;
	CHECK(rc == SER_ELIMIT, "hostile labels: prediction line over SER_LINE_MAX refused (%s)", e.msg);
	ser_predreader_free(r);
	fclose(f);
	/* the reader stops at the limit: an endless line is not held whole
	 * (getline did: 256 MiB here, all memory with /dev/zero) */
	cookie_io_functions_t io = { .read = endless_read };
	endless_taken = 0;
	f = fopencookie(NULL, "r", io);
	m = ser_labelmap_read(f, "endless", &e);
	CHECK(!m && e.code == SER_ELIMIT && endless_taken < (size_t)SER_LINE_MAX + 65536,
	      "hostile labels: endless map line refused after %zu bytes (%s)", endless_taken, e.msg);
	ser_labelmap_free(m);
	fclose(f);
	endless_taken = 0;
	f = fopencookie(NULL, "r", io);
	r = ser_predreader_new(f, "endless", &e);
	rc = r ? ser_predreader_next(r, &pr, &e) : -1;
	CHECK(rc == SER_ELIMIT && endless_taken < (size_t)SER_LINE_MAX + 65536,
	      "hostile labels: endless prediction line refused after %zu bytes", endless_taken);
	ser_predreader_free(r);
	fclose(f);
	/* a line of exactly SER_LINE_MAX bytes with its LF is still read */
	memcpy(s, "k\tcalm\t", 7);
	s[SER_LINE_MAX - 1] = '\n';
	f = fmemopen(s, SER_LINE_MAX, "r");
	m = ser_labelmap_read(f, "max", &e);
	CHECK(!m && e.code == SER_EFORMAT, "hostile labels: a line of SER_LINE_MAX bytes is read, then judged (%s)",
	      m ? "" : e.msg);
	ser_labelmap_free(m);
	fclose(f);
	free(s);
	/* NUL byte, non-UTF-8 key, huge key */
	static const char nul[] = "a\0b\tcalm\n";
	f = fmemopen((void *)nul, sizeof nul - 1, "r");
	m = ser_labelmap_read(f, "nul", &e);
	CHECK(!m && e.code == SER_EFORMAT, "hostile labels: NUL byte refused (%s)", e.msg);
	ser_labelmap_free(m);
	fclose(f);
	static const char latin1[] = "\xe9t\xe9\xff\tcalm\n";
	f = fmemopen((void *)latin1, sizeof latin1 - 1, "r");
	m = ser_labelmap_read(f, "latin1", &e);
	CHECK(m && ser_labelmap_get(m, "\xe9t\xe9\xff"), "hostile labels: non-UTF-8 key kept as bytes");
	ser_labelmap_free(m);
	fclose(f);
	size_t kl = 100000;
	char *line = malloc(kl + 32);
	memset(line, 'k', kl);
	strcpy(line + kl, "\tangry\t0.5");
	double prob[4];
	rc = ser_pred_parse(line, &pr, prob, 4, &e);
	CHECK(rc == 1 && strlen(pr.key) == kl, "hostile labels: 100000-byte key parsed");
	free(line);
	char nan_line[] = "k\tangry\tnan";
	rc = ser_pred_parse(nan_line, &pr, prob, 4, &e);
	CHECK(rc < 0 || !isnan(pr.confidence), "hostile labels: NaN confidence refused (%d)", rc);
}

/* ---- settings ---- */

static void test_settings(void)
{
	ser_feat_opts o;
	ser_error e;
	const char *bad[] = { "scale=nan", "scale=inf", "log-floor=1e-400", "n-mels=99999999999999999999",
		"frame-length=0", "frame-length=1e400ms", "frame-shift=-1", "rate=16000.5", "n-mels=",
		"=3", "edge=\xff\xfe", "cmvn-window=1000001", "dither=-0" "1", NULL };
	for (int i = 0; bad[i]; i++) {
		int rc = ser_feat_parse_settings(&o, bad[i], &e);
		CHECK(rc == SER_EINVAL, "hostile settings: '%s' refused (%s)", bad[i], rc ? e.msg : "");
	}
	char *huge = malloc(100000);
	memset(huge, 'k', 99999);
	huge[99999] = 0;
	huge[50] = '=';
	CHECK(ser_feat_parse_settings(&o, huge, &e) == SER_EINVAL, "hostile settings: 100000-byte token refused");
	free(huge);
}

/* Sliding CMVN used to allocate cmvn-window x n-ceps doubles at init:
 * 1e6 x 1024 x 8 = 8 GB from a settings text (fuzz_settings). */
static void test_cmvn_alloc(void)
{
	ser_feat_opts o;
	ser_error e;
	ser_feat_preset(&o, "ser", NULL);
	ser_feat_set(&o, "n-mels", "1024", NULL);
	ser_feat_set(&o, "n-ceps", "1024", NULL);
	ser_feat_set(&o, "high-freq", "8000", NULL);
	ser_feat_set(&o, "low-freq", "0", NULL);
	ser_feat_set(&o, "fft-size", "4096", NULL);
	ser_feat_set(&o, "cmvn", "sliding", NULL);
	ser_feat_set(&o, "cmvn-window", "1000000", NULL);
	if (UNDER_ASAN) {
		SKIP("hostile settings: allocation size of sliding CMVN not measured under ASan");
	} else {
		struct mallinfo2 a = mallinfo2();
		ser_fe *fe = ser_fe_new(&o, &e);
		struct mallinfo2 b = mallinfo2();
		size_t used = (b.uordblks + b.hblkhd) - (a.uordblks + a.hblkhd);
		CHECK(fe && used < ((size_t)256 << 20),
		      "hostile settings: cmvn-window 1e6 x 1024 ceps: %zu bytes at init (< 256 MiB)", used);
		ser_fe_free(fe);
	}
	ser_fe *fe = ser_fe_new(&o, &e);
	float x[16000];
	for (int i = 0; i < 16000; i++)
		x[i] = (float)(0.3 * sin(0.01 * i));
	int rc = fe ? ser_fe_accept(fe, x, 16000, &e) : -1;
	if (rc == 0)
		rc = ser_fe_finish(fe, &e);
	size_t got = 0, d = fe ? ser_fe_dim(fe) : 0;
	float *out = malloc(200 * d * sizeof *out + 1);
	if (rc == 0)
		got = ser_fe_get(fe, out, 200);
	int finite = 1;
	for (size_t i = 0; i < got * d; i++)
		finite &= isfinite(out[i]) != 0;
	CHECK(rc == 0 && got == 98 && finite, "hostile settings: that front end runs 1 s (%zu frames, finite %d)", got,
	      finite);
	free(out);
	ser_fe_free(fe);
}

/* NaN/Inf samples: refused by the front end with the sample index
 * (ser-classify used to label such audio; found by test/cli/hostile.sh). */
static void test_nonfinite_samples(void)
{
	ser_feat_opts o;
	ser_error e;
	ser_feat_preset(&o, "ser", NULL);
	ser_fe *fe = ser_fe_new(&o, &e);
	float x[1000];
	for (int i = 0; i < 1000; i++)
		x[i] = 0.1f;
	x[700] = NAN;
	int rc = fe ? ser_fe_accept(fe, x, 1000, &e) : -1;
	CHECK(rc == SER_EFORMAT && strstr(e.msg, "sample 700 is NaN"), "hostile samples: NaN refused (%s)", e.msg);
	ser_fe_reset(fe);
	x[700] = -INFINITY;
	rc = fe ? ser_fe_accept(fe, x, 600, &e) : -1;
	int rc2 = fe ? ser_fe_accept(fe, x + 600, 400, &e) : -1;
	CHECK(rc == 0 && rc2 == SER_EFORMAT && strstr(e.msg, "sample 700 is infinite"),
	      "hostile samples: -Inf in a later block refused with its index in the utterance (%s)", e.msg);
	ser_fe_free(fe);
}

int main(void)
{
	test_model();
	test_model_bn_variance();
	test_model_tiny_std();
	test_pcm();
	test_labels();
	test_settings();
	test_cmvn_alloc();
	test_nonfinite_samples();
	return check_status();
}
