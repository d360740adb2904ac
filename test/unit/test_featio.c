/* Unit tests of the feature stream (lib/featio.c): round trips, concatenated
 * streams, truncation and byte flips at every offset, limits, NaN/Inf,
 * and the text/raw/ark outputs against hand-written bytes. */
#include "check.h"
#include "featio.h"

#include <float.h>
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static const char set_a[] = "rate=16000 n-mels=23 n-ceps=13";
static const char set_b[] = "rate=16000 n-mels=40 n-ceps=13";

static ser_feat_info mkinfo(uint32_t dim, const char *settings)
{
	ser_feat_info i;
	i.dim = dim;
	i.rate = 16000;
	i.shift = 160;
	i.length = 400;
	i.settings = settings;
	i.fingerprint = ser_fingerprint(settings, strlen(settings));
	return i;
}

/* ---- bytes of a FILE ---- */
typedef struct { unsigned char *p; size_t n, cap; } bytes;

static void bput(bytes *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->n + n)
			nc *= 2;
		b->p = realloc(b->p, nc);
		b->cap = nc;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void bput32(bytes *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	bput(b, c, 4);
}

static bytes slurp(FILE *f)
{
	bytes b = { 0 };
	unsigned char buf[4096];
	size_t k;
	fflush(f);
	rewind(f);
	while ((k = fread(buf, 1, sizeof buf, f)) > 0)
		bput(&b, buf, k);
	fclose(f);
	return b;
}

static FILE *open_bytes(const unsigned char *p, size_t n)
{
	FILE *f = tmpfile();
	if (n)
		fwrite(p, 1, n, f);
	rewind(f);
	return f;
}

/* ---- writing a test stream ---- */
typedef struct { const char *key; size_t n; } utt;

/* frame t of utterance u, value j: varied signs and magnitudes */
static float val(int u, size_t t, size_t j)
{
	static const float special[] = { 0.0f, -0.0f, FLT_MAX, -FLT_MIN, 1e-40f, 3.25f };
	uint32_t h = (uint32_t)(u * 7919 + t * 104729 + j * 31) * 2654435761u;
	if (h % 17 == 0)
		return special[h % 6];
	return ((float)(h >> 8) / 16777216.0f - 0.5f) * (float)(1 << (h % 20));
}

/* Writes utterances (frames passed in pieces of `piece`) in format fmt. */
static bytes write_stream(int fmt, const ser_feat_info *info, const utt *u, int nu, size_t piece)
{
	FILE *f = tmpfile();
	ser_error e;
	ser_fw *w = ser_fw_new(f, fmt, info, &e);
	float *x = malloc(sizeof *x * info->dim * (piece ? piece : 1));
	if (!w) {
		printf("# ser_fw_new: %s\n", e.msg);
		exit(1);
	}
	for (int i = 0; i < nu; i++) {
		size_t t = 0;
		if (ser_fw_begin(w, u[i].key, &e) < 0)
			printf("# begin: %s\n", e.msg);
		while (t < u[i].n) {
			size_t k = u[i].n - t < piece ? u[i].n - t : piece;
			for (size_t a = 0; a < k; a++)
				for (size_t j = 0; j < info->dim; j++)
					x[a * info->dim + j] = val(i, t + a, j);
			if (ser_fw_frames(w, x, k, &e) < 0)
				printf("# frames: %s\n", e.msg);
			t += k;
		}
		if (ser_fw_end(w, &e) < 0)
			printf("# end: %s\n", e.msg);
	}
	ser_fw_free(w);
	free(x);
	return slurp(f);
}

/* ---- reading: a trace of events, status and message ---- */
typedef struct {
	int status;
	char msg[SER_ERRMSG_MAX];
	bytes trace;    /* type, key, n, frames */
	int events;
} result;

static result read_stream(const unsigned char *p, size_t n)
{
	result r;
	ser_error e;
	FILE *f = open_bytes(p, n);
	ser_fr *fr = ser_fr_open(f, "t", &e);
	ser_fr_ev ev;
	memset(&r, 0, sizeof r);
	if (!fr) {
		r.status = e.code;
		snprintf(r.msg, sizeof r.msg, "%s", e.msg);
		fclose(f);
		return r;
	}
	for (;;) {
		int rc = ser_fr_next(fr, &ev, &e);
		if (rc < 0) {
			r.status = rc;
			snprintf(r.msg, sizeof r.msg, "%s", e.msg);
			break;
		}
		r.events++;
		bput(&r.trace, &rc, sizeof rc);
		if (rc == SER_FR_EOF)
			break;
		bput(&r.trace, ev.key, strlen(ev.key) + 1);
		bput(&r.trace, &ev.n, sizeof ev.n);
		if (rc == SER_FR_FRAMES)
			bput(&r.trace, ev.x, ev.n * ser_fr_info(fr)->dim * sizeof *ev.x);
	}
	ser_fr_free(fr);
	fclose(f);
	return r;
}

static int is_prefix(const bytes *a, const bytes *whole)
{
	return a->n <= whole->n && (a->n == 0 || memcmp(a->p, whole->p, a->n) == 0);
}

/* A record with a right count check and CRC. */
static void rec(bytes *b, const char *tag, uint32_t count, const void *body, size_t blen)
{
	size_t at = b->n;
	bput(b, tag, 4);
	bput32(b, count);
	bput32(b, ~count);
	if (blen)
		bput(b, body, blen);
	bput32(b, ser_crc32(b->p + at, b->n - at));
}

static void header(bytes *b, uint32_t dim, const char *settings, uint32_t sl)
{
	size_t at = b->n;
	uint64_t fp = ser_fingerprint(settings, strlen(settings));
	bput(b, "SERFEAT\1", 8);
	bput32(b, dim);
	bput32(b, 16000);
	bput32(b, 160);
	bput32(b, 400);
	bput32(b, (uint32_t)fp);
	bput32(b, (uint32_t)(fp >> 32));
	bput32(b, sl);
	bput(b, settings, strlen(settings));
	bput32(b, ser_crc32(b->p + at, b->n - at));
}

static void test_hashes(void)
{
	CHECK(ser_crc32("123456789", 9) == 0xcbf43926u, "crc32(\"123456789\") = cbf43926");
	CHECK(ser_crc32("", 0) == 0, "crc32 of nothing = 0");
	CHECK(ser_fingerprint("", 0) == 0xcbf29ce484222325u, "FNV-1a 64 of \"\" is the offset basis");
	CHECK(ser_fingerprint("a", 1) == 0xaf63dc4c8601ec8cu, "FNV-1a 64 of \"a\" = af63dc4c8601ec8c");
}

static void test_header_bytes(void)
{
	ser_feat_info in = mkinfo(13, set_a);
	bytes got = write_stream(SER_FW_BINARY, &in, NULL, 0, 1), want = { 0 };
	header(&want, 13, set_a, (uint32_t)strlen(set_a));
	CHECK(got.n == want.n && !memcmp(got.p, want.p, got.n),
	      "binary header = hand-built bytes (%zu bytes: 36 + settings + crc)", got.n);
	free(got.p);
	free(want.p);
}

/* Collects frames of a stream into a trace built from the writer's values. */
static bytes value_trace(const ser_feat_info *info, const utt *u, int nu, size_t block)
{
	bytes b = { 0 };
	float *x = malloc(sizeof *x * info->dim * block);
	for (int i = 0; i < nu; i++) {
		int t = SER_FR_BEGIN;
		size_t z = 0, done = 0;
		bput(&b, &t, sizeof t);
		bput(&b, u[i].key, strlen(u[i].key) + 1);
		bput(&b, &z, sizeof z);
		while (done < u[i].n) {
			size_t k = u[i].n - done < block ? u[i].n - done : block;
			for (size_t a = 0; a < k; a++)
				for (size_t j = 0; j < info->dim; j++)
					x[a * info->dim + j] = val(i, done + a, j);
			t = SER_FR_FRAMES;
			bput(&b, &t, sizeof t);
			bput(&b, u[i].key, strlen(u[i].key) + 1);
			bput(&b, &k, sizeof k);
			bput(&b, x, k * info->dim * sizeof *x);
			done += k;
		}
		t = SER_FR_END;
		bput(&b, &t, sizeof t);
		bput(&b, u[i].key, strlen(u[i].key) + 1);
		bput(&b, &u[i].n, sizeof u[i].n);
	}
	free(x);
	return b;
}

static void append_eof(bytes *b)
{
	int t = SER_FR_EOF;
	bput(b, &t, sizeof t);
}

static void test_roundtrip(void)
{
	ser_feat_info in = mkinfo(3, set_a);
	utt u[] = { { "one", 5 }, { "empty", 0 }, { "\xff\xfe name with spaces", 7 } };
	bytes s = write_stream(SER_FW_BINARY, &in, u, 3, 2);
	bytes want = { 0 };
	result r;
	ser_error e;
	FILE *f;
	ser_fr *fr;
	/* pieces of 2 frames, each written as its own FRAMES record */
	want = value_trace(&in, u, 3, 2);
	append_eof(&want);
	r = read_stream(s.p, s.n);
	CHECK(r.status == 0, "round trip: read without error (%s)", r.msg);
	CHECK(r.trace.n == want.n && !memcmp(r.trace.p, want.p, want.n),
	      "round trip: keys (one non-UTF-8), 0-frame utterance, values bit-exact (%d events)", r.events);
	f = open_bytes(s.p, s.n);
	fr = ser_fr_open(f, "t", &e);
	CHECK(fr && ser_fr_info(fr)->dim == 3 && ser_fr_info(fr)->rate == 16000 && ser_fr_info(fr)->shift == 160
	      && ser_fr_info(fr)->length == 400 && !strcmp(ser_fr_info(fr)->settings, set_a)
	      && ser_fr_info(fr)->fingerprint == in.fingerprint, "header fields read back");
	ser_fr_free(fr);
	fclose(f);
	free(s.p);
	free(r.trace.p);
	free(want.p);

	/* many blocks: dim 1024 -> 64 frames a record; 300 frames in one call */
	{
		ser_feat_info big = mkinfo(1024, set_a);
		utt v[] = { { "long", 300 }, { "b", 1 } };
		bytes s2 = write_stream(SER_FW_BINARY, &big, v, 2, 300);
		bytes w2 = value_trace(&big, v, 2, 64);
		result r2;
		append_eof(&w2);
		r2 = read_stream(s2.p, s2.n);
		CHECK(r2.status == 0 && r2.trace.n == w2.n && !memcmp(r2.trace.p, w2.p, w2.n),
		      "300 frames of 1024 split into records of 64 frames, read back exactly (%d events)", r2.events);
		free(s2.p);
		free(w2.p);
		free(r2.trace.p);
	}
}

static void test_concat(void)
{
	ser_feat_info a = mkinfo(4, set_a), b = mkinfo(4, set_b), c = mkinfo(5, set_a);
	utt u1[] = { { "x", 3 } }, u2[] = { { "y", 2 } };
	bytes s1 = write_stream(SER_FW_BINARY, &a, u1, 1, 8), s2 = write_stream(SER_FW_BINARY, &a, u1, 1, 8);
	bytes sb = write_stream(SER_FW_BINARY, &b, u2, 1, 8), sc = write_stream(SER_FW_BINARY, &c, u2, 1, 8);
	bytes cat = { 0 }, one = value_trace(&a, u1, 1, 8), both = { 0 };
	result r;
	bput(&cat, s1.p, s1.n);
	bput(&cat, s2.p, s2.n);
	bput(&both, one.p, one.n);
	bput(&both, one.p, one.n);
	append_eof(&both);
	r = read_stream(cat.p, cat.n);
	CHECK(r.status == 0 && r.trace.n == both.n && !memcmp(r.trace.p, both.p, both.n),
	      "cat a.feat a.feat: two headers, same settings, both utterances (%s)", r.msg);
	free(r.trace.p);

	cat.n = 0;
	bput(&cat, s1.p, s1.n);
	bput(&cat, sb.p, sb.n);
	r = read_stream(cat.p, cat.n);
	CHECK(r.status == SER_EMISMATCH && strstr(r.msg, "n-mels=40") && strstr(r.msg, "n-mels=23"),
	      "other settings in a concatenated stream: SER_EMISMATCH naming the key (%s)", r.msg);
	CHECK(r.events == 3, "the first stream's utterance was delivered before the mismatch");
	free(r.trace.p);

	cat.n = 0;
	bput(&cat, s1.p, s1.n);
	bput(&cat, sc.p, sc.n);
	r = read_stream(cat.p, cat.n);
	CHECK(r.status == SER_EMISMATCH && strstr(r.msg, "dimension 5") && strstr(r.msg, "first has 4"),
	      "other dimension in a concatenated stream: SER_EMISMATCH (%s)", r.msg);
	free(r.trace.p);
	free(s1.p); free(s2.p); free(sb.p); free(sc.p); free(cat.p); free(one.p); free(both.p);
}

/* A small stream: header, an utterance of 2 records, a 0-frame one, one more. */
static const utt small_u[] = { { "ab", 3 }, { "z", 0 }, { "c", 1 } };

static bytes small_stream(bytes *trace)
{
	ser_feat_info in = mkinfo(2, set_a);
	*trace = value_trace(&in, small_u, 3, 2);
	append_eof(trace);
	return write_stream(SER_FW_BINARY, &in, small_u, 3, 2);
}

/* 1 if t is the trace of the first k utterances (k >= 0) and EOF. */
static int whole_utts(const bytes *t)
{
	ser_feat_info in = mkinfo(2, set_a);
	int found = 0;
	for (int k = 0; k <= 3 && !found; k++) {
		bytes w = value_trace(&in, small_u, k, 2);
		append_eof(&w);
		found = w.n == t->n && !memcmp(w.p, t->p, w.n);
		free(w.p);
	}
	return found;
}

static void test_truncation(void)
{
	bytes tr, s = small_stream(&tr);
	int bad = 0, inside = 0, clean = 0;
	for (size_t len = 0; len < s.n; len++) {
		result r = read_stream(s.p, len);
		int ok = (r.status == SER_ETRUNC || r.status == SER_EFORMAT) && is_prefix(&r.trace, &tr);
		if (r.status == 0) {
			/* cut exactly between utterances: a shorter valid stream of
			 * whole utterances (there is no end-of-stream marker) */
			ok = whole_utts(&r.trace);
			clean++;
		}
		if (len == 0)
			ok = ok && r.status == SER_EFORMAT && !strcmp(r.msg, "empty input");
		if (r.status == SER_ETRUNC && strstr(r.msg, "stream ended inside utterance"))
			inside++;
		if (!ok && bad++ < 5)
			printf("# truncated at %zu: status %d (%s)\n", len, r.status, r.msg);
		free(r.trace.p);
	}
	CHECK(bad == 0, "truncation at each of %zu offsets: SER_ETRUNC/SER_EFORMAT, events a prefix of the true ones", s.n);
	CHECK(clean == 3, "a cut between utterances (3 offsets) reads as the complete utterances before it");
	CHECK(inside == 6, "truncation between records inside an utterance: \"stream ended inside utterance KEY\" (%d cases)", inside);
	{
		result r = read_stream(s.p, 50);
		CHECK(r.status == SER_ETRUNC && strstr(r.msg, "byte offset 50"), "truncation message gives the offset: %s", r.msg);
		free(r.trace.p);
	}
	free(s.p);
	free(tr.p);
}

static void test_flips(void)
{
	bytes tr, s = small_stream(&tr);
	int garbage = 0, undetected = 0;
	static const unsigned char masks[] = { 0x01, 0x80, 0xff };
	for (size_t i = 0; i < s.n; i++)
		for (int m = 0; m < 3; m++) {
			result r;
			s.p[i] ^= masks[m];
			r = read_stream(s.p, s.n);
			s.p[i] ^= masks[m];
			if (r.status == 0 && !(r.trace.n == tr.n && !memcmp(r.trace.p, tr.p, tr.n)))
				garbage++;
			else if (r.status < 0 && !is_prefix(&r.trace, &tr))
				garbage++;
			if (r.status == 0)
				undetected++;
			free(r.trace.p);
		}
	CHECK(garbage == 0, "byte flips (3 masks) at each of %zu offsets: never wrong data delivered", s.n);
	CHECK(undetected == 0, "every byte flip is detected (count checks + CRC)");
	free(s.p);
	free(tr.p);
}

static result read_built(bytes *b)
{
	result r = read_stream(b->p, b->n);
	free(r.trace.p);
	b->n = 0;
	return r;
}

static void test_limits(void)
{
	bytes b = { 0 };
	result r;
	char *key = malloc(SER_FEAT_KEY_MAX + 2);
	float v[4] = { 1, 2, NAN, 4 };
	memset(key, 'k', SER_FEAT_KEY_MAX + 1);
	key[SER_FEAT_KEY_MAX + 1] = '\0';

	r = read_stream(NULL, 0);
	CHECK(r.status == SER_EFORMAT && !strcmp(r.msg, "empty input"), "empty input: SER_EFORMAT \"empty input\"");
	bput(&b, "RIFF....WAVEfmt ", 16);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "not a ser feature stream"), "a WAV file: %s", r.msg);
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	b.p[7] = 2;
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "version 2"), "version 2 refused: %s", r.msg);
	header(&b, 2, set_a, SER_FEAT_SETTINGS_MAX + 1);
	r = read_built(&b);
	CHECK(r.status == SER_ELIMIT, "settings length over the limit: SER_ELIMIT before reading it (%s)", r.msg);
	header(&b, SER_FEAT_DIM_MAX + 1, set_a, (uint32_t)strlen(set_a));
	r = read_built(&b);
	CHECK(r.status == SER_ELIMIT && strstr(r.msg, "dimension"), "dimension over the limit: %s", r.msg);
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	b.p[24] ^= 1;     /* fingerprint, with the CRC made right again */
	b.n -= 4;
	bput32(&b, ser_crc32(b.p, b.n));
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "fingerprint"), "fingerprint disagreeing with the settings: %s", r.msg);

	/* keys: the limit is fine, one more is not */
	{
		ser_feat_info in = mkinfo(2, set_a);
		utt u[] = { { key + 1, 1 } };
		bytes s = write_stream(SER_FW_BINARY, &in, u, 1, 1);
		bytes tr = value_trace(&in, u, 1, 1);
		FILE *f = tmpfile();
		ser_error e;
		ser_fw *w = ser_fw_new(f, SER_FW_BINARY, &in, &e);
		append_eof(&tr);
		r = read_stream(s.p, s.n);
		CHECK(r.status == 0 && r.trace.n == tr.n && !memcmp(r.trace.p, tr.p, tr.n),
		      "key of exactly %d bytes: written and read back", SER_FEAT_KEY_MAX);
		CHECK(ser_fw_begin(w, key, &e) == SER_EINVAL, "writer: key of %d bytes refused (%s)", SER_FEAT_KEY_MAX + 1, e.msg);
		CHECK(ser_fw_begin(w, "", &e) == SER_EINVAL, "writer: empty key refused");
		CHECK(ser_fw_frames(w, v, 1, &e) == SER_EINVAL, "writer: frames outside an utterance refused");
		CHECK(ser_fw_end(w, &e) == SER_EINVAL, "writer: END outside an utterance refused");
		ser_fw_begin(w, "nan", &e);
		fflush(f);
		{
			long before = ftell(f);
			CHECK(ser_fw_frames(w, v, 2, &e) == SER_EINVAL && strstr(e.msg, "frame 1 value 0 is NaN"),
			      "writer: NaN refused naming frame and value (%s)", e.msg);
			v[2] = INFINITY;
			CHECK(ser_fw_frames(w, v, 2, &e) == SER_EINVAL && strstr(e.msg, "infinite"), "writer: Inf refused");
			fflush(f);
			CHECK(ftell(f) == before, "writer: nothing written for a refused block");
		}
		ser_fw_free(w);
		fclose(f);
		free(s.p);
		free(tr.p);
		free(r.trace.p);
	}
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	rec(&b, "BEGN", SER_FEAT_KEY_MAX + 1, key, SER_FEAT_KEY_MAX + 1);
	r = read_built(&b);
	CHECK(r.status == SER_ELIMIT && strstr(r.msg, "key of 4097 bytes"), "reader: key of %d bytes: %s", SER_FEAT_KEY_MAX + 1, r.msg);
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	rec(&b, "BEGN", 0, NULL, 0);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT, "reader: empty key refused: %s", r.msg);
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	rec(&b, "BEGN", 3, "a\0b", 3);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "NUL"), "reader: key with a NUL byte: %s", r.msg);

	/* FRAMES sizes */
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	rec(&b, "BEGN", 1, "u", 1);
	rec(&b, "FRMS", 0xfffffff0u, NULL, 0);
	r = read_built(&b);
	CHECK(r.status == SER_ELIMIT, "reader: FRAMES of 4294967280 frames: SER_ELIMIT before allocating (%s)", r.msg);
	header(&b, 128, set_a, (uint32_t)strlen(set_a));
	rec(&b, "BEGN", 1, "u", 1);
	rec(&b, "FRMS", SER_FEAT_BLOCK_MAX, NULL, 0);
	r = read_built(&b);
	CHECK(r.status == SER_ELIMIT, "reader: FRAMES of %d frames x 128 over the value limit: SER_ELIMIT", SER_FEAT_BLOCK_MAX);
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	rec(&b, "BEGN", 1, "u", 1);
	bput(&b, "FRMS", 4);
	bput32(&b, 1000);
	bput32(&b, ~1000u);
	r = read_built(&b);
	CHECK(r.status == SER_ETRUNC, "reader: FRAMES of 1000 frames with no data: SER_ETRUNC (%s)", r.msg);
	v[2] = NAN;
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	rec(&b, "BEGN", 1, "u", 1);
	rec(&b, "FRMS", 1, v, 8);
	rec(&b, "FRMS", 1, v + 2, 8);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "utterance u frame 1 value 0 is NaN"), "reader: NaN: %s", r.msg);
	v[2] = -INFINITY;
	header(&b, 2, set_a, (uint32_t)strlen(set_a));
	rec(&b, "BEGN", 1, "u", 1);
	rec(&b, "FRMS", 1, v + 2, 8);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "infinite"), "reader: -Inf: %s", r.msg);
	free(key);
	free(b.p);
}

static void test_structure(void)
{
	bytes b = { 0 };
	result r;
	float v[2] = { 1, 2 };
	uint32_t sl = (uint32_t)strlen(set_a);

	header(&b, 2, set_a, sl);
	rec(&b, "FRMS", 1, v, 8);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "outside an utterance"), "FRAMES outside an utterance: %s", r.msg);
	header(&b, 2, set_a, sl);
	rec(&b, "END ", 0, NULL, 0);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "outside an utterance"), "END outside an utterance: %s", r.msg);
	header(&b, 2, set_a, sl);
	rec(&b, "BEGN", 1, "u", 1);
	rec(&b, "BEGN", 1, "w", 1);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "utterance u has no END"), "BEGIN inside an utterance: %s", r.msg);
	header(&b, 2, set_a, sl);
	rec(&b, "BEGN", 1, "u", 1);
	rec(&b, "FRMS", 1, v, 8);
	rec(&b, "END ", 2, NULL, 0);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "says 2 frames, 1 were read"), "END count disagreeing: %s", r.msg);
	header(&b, 2, set_a, sl);
	rec(&b, "BEGN", 1, "u", 1);
	header(&b, 2, set_a, sl);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "inside utterance u"), "header inside an utterance: %s", r.msg);
	header(&b, 2, set_a, sl);
	rec(&b, "BEGN", 1, "u", 1);
	rec(&b, "FRMS", 1, v, 8);
	r = read_built(&b);
	CHECK(r.status == SER_ETRUNC && !strcmp(r.msg, "stream ended inside utterance u"),
	      "EOF inside an utterance: \"%s\"", r.msg);
	header(&b, 2, set_a, sl);
	rec(&b, "XYZW", 0, NULL, 0);
	r = read_built(&b);
	CHECK(r.status == SER_EFORMAT && strstr(r.msg, "unknown record tag 58 59 5a 57 at byte offset 70"),
	      "unknown tag: %s", r.msg);
	header(&b, 2, set_a, sl);
	r = read_built(&b);
	CHECK(r.status == 0 && r.events == 1, "header only: clean EOF, no utterance");

	/* errors are sticky */
	{
		FILE *f;
		ser_fr *fr;
		ser_fr_ev ev;
		ser_error e;
		header(&b, 2, set_a, sl);
		rec(&b, "END ", 0, NULL, 0);
		rec(&b, "BEGN", 1, "u", 1);
		f = open_bytes(b.p, b.n);
		fr = ser_fr_open(f, "t", &e);
		CHECK(fr && ser_fr_next(fr, &ev, &e) == SER_EFORMAT && ser_fr_next(fr, &ev, &e) == SER_EFORMAT,
		      "an error is returned again by the next call");
		ser_fr_free(fr);
		fclose(f);
	}
	free(b.p);
}

/* Text, raw and ark outputs of a 2x3 matrix and an empty utterance. */
static void test_outputs(void)
{
	ser_feat_info in = mkinfo(3, set_a);
	const float m[6] = { 1.0f, -0.5f, 0.1f, 1234567.0f, 1e-7f, -0.0f };
	bytes ark = { 0 }, raw = { 0 };
	int fmts[3] = { SER_FW_TEXT, SER_FW_RAW, SER_FW_ARK };
	bytes got[3];
	const char text[] = "utt1  [\n  1 -0.5 0.1 \n  1234567 1e-07 -0 ]\ne  [ ]\n";
	for (int k = 0; k < 3; k++) {
		FILE *f = tmpfile();
		ser_error e;
		ser_fw *w = ser_fw_new(f, fmts[k], &in, &e);
		ser_fw_begin(w, "utt1", &e);
		ser_fw_frames(w, m, 1, &e);
		ser_fw_frames(w, m + 3, 1, &e);
		ser_fw_end(w, &e);
		ser_fw_begin(w, "e", &e);
		ser_fw_end(w, &e);
		ser_fw_free(w);
		got[k] = slurp(f);
	}
	CHECK(got[0].n == sizeof text - 1 && !memcmp(got[0].p, text, got[0].n),
	      "text output is Kaldi's ark,t layout, %%.7g, \"KEY  [ ]\" when empty");
	for (int i = 0; i < 6; i++) {
		uint32_t u;
		memcpy(&u, &m[i], 4);
		bput32(&raw, u);
	}
	CHECK(got[1].n == raw.n && !memcmp(got[1].p, raw.p, raw.n), "raw output: 6 float32 LE, nothing else");
	bput(&ark, "utt1 \0BFM \4", 11);
	bput32(&ark, 2);
	bput(&ark, "\4", 1);
	bput32(&ark, 3);
	bput(&ark, raw.p, raw.n);
	bput(&ark, "e \0BFM \4", 8);
	bput32(&ark, 0);
	bput(&ark, "\4", 1);
	bput32(&ark, 0);
	CHECK(got[2].n == ark.n && !memcmp(got[2].p, ark.p, ark.n),
	      "ark output: \"KEY \\0BFM \" <4><rows><4><cols> data; empty as 0x0 (%zu bytes)", got[2].n);
	{
		FILE *f = tmpfile();
		ser_error e;
		ser_fw *w = ser_fw_new(f, SER_FW_TEXT, &in, &e);
		CHECK(ser_fw_begin(w, "a b", &e) == SER_EINVAL, "text: key with a space refused (%s)", e.msg);
		CHECK(ser_fw_begin(w, "\xc3\xa9t\xc3\xa9", &e) == 0, "text: non-ASCII key accepted (Kaldi IsToken)");
		ser_fw_free(w);
		fclose(f);
	}
	for (int k = 0; k < 3; k++)
		free(got[k].p);
	free(ark.p);
	free(raw.p);
}

static void test_writer_checks(void)
{
	ser_feat_info in = mkinfo(3, set_a);
	ser_error e;
	FILE *f = tmpfile();
	struct stat st;
	ser_fw *w;
	float x[3] = { 1, 2, 3 };
	in.fingerprint ^= 1;
	CHECK(!ser_fw_new(f, SER_FW_BINARY, &in, &e) && e.code == SER_EINVAL, "writer: wrong fingerprint refused (%s)", e.msg);
	in = mkinfo(0, set_a);
	CHECK(!ser_fw_new(f, SER_FW_RAW, &in, &e) && e.code == SER_EINVAL, "writer: dimension 0 refused");
	in = mkinfo(3, "tab\there");
	CHECK(!ser_fw_new(f, SER_FW_BINARY, &in, &e) && e.code == SER_EINVAL, "writer: non-printable settings refused");
	in = mkinfo(3, set_a);
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	w = ser_fw_new(f, SER_FW_BINARY, &in, &e);
	ser_fw_begin(w, "k", &e);
	ser_fw_frames(w, x, 1, &e);
	ser_fw_end(w, &e);
	fstat(fileno(f), &st);
	CHECK(st.st_size == 0, "writer does not flush (the program decides)");
	ser_fw_free(w);
	fclose(f);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A read interrupted by a caught signal (no SA_RESTART): SER_EINTR. */
static void test_eintr(void)
{
	int fd[2];
	struct sigaction sa;
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	bytes s = { 0 };
	FILE *f;
	ser_fr *fr;
	ser_fr_ev ev;
	ser_error e;
	int rc;
	header(&s, 2, set_a, (uint32_t)strlen(set_a));
	rec(&s, "BEGN", 1, "u", 1);
	if (pipe(fd) < 0 || write(fd[1], s.p, s.n) != (ssize_t)s.n) {
		SKIP("pipe: cannot test EINTR");
		return;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;         /* sa_flags 0: no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	f = fdopen(fd[0], "rb");
	fr = ser_fr_open(f, "pipe", &e);
	CHECK(fr && ser_fr_next(fr, &ev, &e) == SER_FR_BEGIN, "pipe: header and BEGIN read");
	setitimer(ITIMER_REAL, &it, NULL);  /* the writer end stays open: the read blocks */
	rc = ser_fr_next(fr, &ev, &e);
	CHECK(rc == SER_EINTR, "pipe: a read interrupted by a caught signal gives SER_EINTR (%d: %s)", rc, e.msg);
	signal(SIGALRM, SIG_DFL);
	ser_fr_free(fr);
	fclose(f);
	close(fd[1]);
	free(s.p);
}

int main(void)
{
	test_hashes();
	test_header_bytes();
	test_roundtrip();
	test_concat();
	test_truncation();
	test_flips();
	test_limits();
	test_structure();
	test_outputs();
	test_writer_checks();
	test_eintr();
	return check_status();
}
