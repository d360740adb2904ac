/* Truth from corpus file names (see labels.h): RAVDESS, TESS, EmoDB,
 * nEMO and ASED naming conventions, the corpus names, key stems. */
#include "labels.h"

#include <string.h>

/* ---- truth from file names ---- */

const char *ser_corpus_name(int corpus)
{
	switch (corpus) {
	case SER_CORPUS_RAVDESS: return "ravdess";
	case SER_CORPUS_TESS: return "tess";
	case SER_CORPUS_EMODB: return "emodb";
	case SER_CORPUS_NEMO: return "nemo";
	case SER_CORPUS_ASED: return "ased";
	default: return "none";
	}
}

const char *ser_key_base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

size_t ser_key_stem(const char *path, char *buf, size_t cap)
{
	const char *b = ser_key_base(path);
	const char *dot = strrchr(b, '.');
	size_t len = dot && dot != b ? (size_t)(dot - b) : strlen(b);
	if (cap) {
		size_t k = len < cap ? len : cap - 1;
		memcpy(buf, b, k);
		buf[k] = '\0';
	}
	return len;
}

static int isdig(char c) { return c >= '0' && c <= '9'; }
static int two(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* MM-VV-EE-II-SS-RR-AA */
static int parse_ravdess(const char *s, size_t len, ser_label_info *o)
{
	int v[7];
	if (len != 20)
		return 0;
	for (int i = 0; i < 7; i++) {
		const char *f = s + 3 * i;
		if (!isdig(f[0]) || !isdig(f[1]) || (i < 6 && f[2] != '-'))
			return 0;
		v[i] = two(f);
	}
	if (v[0] < 1 || v[0] > 3 || v[1] < 1 || v[1] > 2 || v[2] < 1 || v[2] > 8 ||
	    v[3] < 1 || v[3] > 2 || v[4] < 1 || v[4] > 2 || v[5] < 1 || v[5] > 2 || v[6] < 1)
		return 0;
	o->corpus = SER_CORPUS_RAVDESS;
	strcpy(o->emotion, ser_emotions[v[2] - 1]);
	snprintf(o->speaker, sizeof o->speaker, "ravdess-%02d", v[6]);
	o->channel = v[1];
	o->intensity = v[3];
	o->statement = v[4];
	o->repetition = v[5];
	return 1;
}

static int eq_nocase(const char *a, size_t n, const char *b)
{
	size_t i = 0;
	for (; i < n && b[i]; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return i == n && b[i] == '\0';
}

/* SPEAKER_word_emotion */
static int parse_tess(const char *s, size_t len, ser_label_info *o)
{
	static const char *const tess[][2] = {
		{"angry", "angry"}, {"disgust", "disgust"}, {"fear", "fearful"}, {"happy", "happy"},
		{"neutral", "neutral"}, {"ps", "surprised"}, {"sad", "sad"}
	};
	const char *u1 = memchr(s, '_', len);
	if (!u1)
		return 0;
	const char *w = u1 + 1;
	const char *u2 = memchr(w, '_', len - (size_t)(w - s));
	if (!u2 || u2 == w)
		return 0;
	const char *e = u2 + 1;
	size_t elen = len - (size_t)(e - s);
	if (memchr(e, '_', elen))
		return 0;
	size_t slen = (size_t)(u1 - s);
	const char *spk;
	if (eq_nocase(s, slen, "oaf") || eq_nocase(s, slen, "oa"))
		spk = "OAF";
	else if (eq_nocase(s, slen, "yaf"))
		spk = "YAF";
	else
		return 0;
	for (size_t i = 0; i < sizeof tess / sizeof tess[0]; i++) {
		if (eq_nocase(e, elen, tess[i][0])) {
			o->corpus = SER_CORPUS_TESS;
			strcpy(o->emotion, tess[i][1]);
			snprintf(o->speaker, sizeof o->speaker, "tess-%s", spk);
			return 1;
		}
	}
	return 0;
}

/* SS T NN E V, e.g. 03a01Fa; ref: EmoDB documentation (Burkhardt et al. 2005) */
static int parse_emodb(const char *s, size_t len, ser_label_info *o)
{
	static const char code[] = "WLEAFTN";
	static const char *const name[] = {
		"angry", "boredom", "disgust", "fearful", "happy", "sad", "neutral"
	};
	if (len != 7 || !isdig(s[0]) || !isdig(s[1]) || (s[2] != 'a' && s[2] != 'b') ||
	    !isdig(s[3]) || !isdig(s[4]) || !s[5] || s[6] < 'a' || s[6] > 'z')
		return 0;
	const char *c = strchr(code, s[5]);
	if (!c)
		return 0;
	o->corpus = SER_CORPUS_EMODB;
	strcpy(o->emotion, name[c - code]);
	snprintf(o->speaker, sizeof o->speaker, "emodb-%c%c", s[0], s[1]);
	o->statement = (s[2] == 'a' ? 0 : 10) + two(s + 3);
	o->repetition = s[6] - 'a' + 1;
	return 1;
}

/* SPK_emotion_N, e.g. EB0_anger_12; ref: nEMO (Christop 2024) file names.
 * Speakers are two capital letters and a digit (EB0 ... WR0). */
static int parse_nemo(const char *s, size_t len, ser_label_info *o)
{
	static const char *const nemo[][2] = {
		{"anger", "angry"}, {"fear", "fearful"}, {"happiness", "happy"},
		{"neutral", "neutral"}, {"sadness", "sad"}, {"surprised", "surprised"}
	};
	if (len < 7 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || !isdig(s[2]) ||
	    s[3] != '_')
		return 0;
	const char *e = s + 4, *u = memchr(e, '_', len - 4);
	if (!u || u == e || u + 1 == s + len)
		return 0;
	for (const char *d = u + 1; d < s + len; d++)
		if (!isdig(*d))
			return 0;
	for (size_t i = 0; i < sizeof nemo / sizeof nemo[0]; i++) {
		if (eq_nocase(e, (size_t)(u - e), nemo[i][0])) {
			o->corpus = SER_CORPUS_NEMO;
			strcpy(o->emotion, nemo[i][1]);
			snprintf(o->speaker, sizeof o->speaker, "nemo-%c%c%c", s[0], s[1], s[2]);
			return 1;
		}
	}
	return 0;
}

/* EN-SS-RR-GG-PP, e.g. n1-01-01-01-01: emotion letter and folder digit
 * (n1 neutral, f2 fearful, h3 happy, s4 sad, a5 angry; either case),
 * sentence, repetition, gender (01 female, 02 male), speaker 01..99;
 * ref: ASED v1 (Retta et al. 2023) file names. */
static int parse_ased(const char *s, size_t len, ser_label_info *o)
{
	static const char code[] = "nfhsa";
	static const char *const name[] = { "neutral", "fearful", "happy", "sad", "angry" };
	if (len != 14)
		return 0;
	char c = s[0] >= 'A' && s[0] <= 'Z' ? (char)(s[0] - 'A' + 'a') : s[0];
	const char *k = c ? strchr(code, c) : NULL;
	if (!k || s[1] != '1' + (k - code))
		return 0;
	int v[4];
	for (int i = 0; i < 4; i++) {
		const char *f = s + 2 + 3 * i;
		if (f[0] != '-' || !isdig(f[1]) || !isdig(f[2]))
			return 0;
		v[i] = two(f + 1);
	}
	if (v[0] < 1 || v[1] < 1 || v[2] < 1 || v[2] > 2 || v[3] < 1)
		return 0;
	o->corpus = SER_CORPUS_ASED;
	strcpy(o->emotion, name[k - code]);
	snprintf(o->speaker, sizeof o->speaker, "ased-%02d", v[3]);
	o->statement = v[0];
	o->repetition = v[1];
	return 1;
}

int ser_label_from_name(const char *path, ser_label_info *out)
{
	memset(out, 0, sizeof *out);
	if (!path)
		return 0;
	const char *b = ser_key_base(path);
	const char *dot = strchr(b, '.');
	size_t len = dot ? (size_t)(dot - b) : strlen(b);
	if (parse_ravdess(b, len, out) || parse_tess(b, len, out) || parse_emodb(b, len, out) ||
	    parse_nemo(b, len, out) || parse_ased(b, len, out))
		out->known = 1;
	else
		memset(out, 0, sizeof *out);
	return out->known;
}

