/* Labels: class sets, TSV label maps (truth from corpus file names: corpora.c),
 * reading ser-classify output. Interface and rules in labels.h. */
#include "labels.h"
#include "strindex.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *const ser_emotions[SER_N_EMOTIONS] = {
	"neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"
};

/* ---- class sets ---- */

int ser_label_valid(const char *s)
{
	size_t n = 0;
	if (!s || !*s)
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (c < 0x20 || c == 0x7f || c == ',')
			return 0;
	}
	return n < SER_LABEL_MAX;
}

void ser_classes_default(ser_classes *c)
{
	c->n = SER_N_EMOTIONS;
	for (int i = 0; i < SER_N_EMOTIONS; i++)
		strcpy(c->name[i], ser_emotions[i]);
}

int ser_classes_index(const ser_classes *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return i;
	return -1;
}

int ser_classes_add(ser_classes *c, const char *name, ser_error *err)
{
	if (!ser_label_valid(name))
		return ser_seterr(err, SER_EINVAL, "invalid class name '%.*s' (need 1..%d bytes, "
		                  "no comma or control characters)", 80, name ? name : "", SER_LABEL_MAX - 1);
	if (ser_classes_index(c, name) >= 0)
		return ser_seterr(err, SER_EINVAL, "duplicate class name '%s'", name);
	if (c->n >= SER_CLASSES_MAX)
		return ser_seterr(err, SER_ELIMIT, "more than %d classes", SER_CLASSES_MAX);
	strcpy(c->name[c->n], name);
	return c->n++;
}

int ser_classes_parse(ser_classes *c, const char *list, ser_error *err)
{
	char name[SER_LABEL_MAX];
	const char *p = list;
	c->n = 0;
	if (!list || !*list)
		return ser_seterr(err, SER_EINVAL, "empty class list");
	for (int k = 1;; k++) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0)
			return ser_seterr(err, SER_EINVAL, "class list: name %d is empty", k);
		if (len >= sizeof name)
			return ser_seterr(err, SER_EINVAL, "class list: name %d is longer than %d bytes",
			                  k, SER_LABEL_MAX - 1);
		memcpy(name, p, len);
		name[len] = '\0';
		ser_error e2;
		int r = ser_classes_add(c, name, &e2);
		if (r < 0)
			return ser_seterr(err, r, "class list: %s", e2.msg);
		if (!e)
			break;
		p = e + 1;
	}
	return SER_OK;
}

size_t ser_classes_join(const ser_classes *c, char *buf, size_t cap)
{
	size_t need = 0;
	for (int i = 0; i < c->n; i++) {
		if (i > 0) {
			if (need + 1 < cap)
				buf[need] = ',';
			need++;
		}
		for (const char *s = c->name[i]; *s; s++, need++)
			if (need + 1 < cap)
				buf[need] = *s;
	}
	if (cap)
		buf[need < cap ? need : cap - 1] = '\0';
	return need;
}

/* ---- line reading ---- */

static int isdig(char c) { return c >= '0' && c <= '9'; }

/* Reads one line into *buf without its LF (and a CR before it). Returns
 * 1, 0 at end of input, or an error. */
static int read_line(FILE *f, const char *name, long lineno, char **buf, size_t *cap,
                     size_t *len, ser_error *err)
{
	/* bounded: getline would hold a line of any length (cat /dev/zero) */
	size_t n = 0;
	int c = EOF;
	errno = 0;
	while ((c = getc(f)) != EOF) {
		if (n + 1 >= *cap) {
			size_t nc = *cap ? 2 * *cap : 256;
			char *q = realloc(*buf, nc);
			if (!q)
				return ser_seterr(err, SER_ENOMEM, "%s:%ld: out of memory", name, lineno);
			*buf = q, *cap = nc;
		}
		(*buf)[n++] = (char)c;
		if (n > SER_LINE_MAX)
			return ser_seterr(err, SER_ELIMIT, "%s:%ld: line longer than %d bytes",
			                  name, lineno, SER_LINE_MAX);
		if (c == '\n')
			break;
	}
	if (c == EOF && ferror(f))
		return ser_seterr(err, SER_EIO, "%s: read error: %s", name, strerror(errno ? errno : EIO));
	if (n == 0)
		return 0;
	(*buf)[n] = '\0';
	if (n > 0 && (*buf)[n - 1] == '\n')
		(*buf)[--n] = '\0';
	if (n > 0 && (*buf)[n - 1] == '\r')
		(*buf)[--n] = '\0';
	if (strlen(*buf) != (size_t)n)
		return ser_seterr(err, SER_EFORMAT, "%s:%ld: NUL byte in a text line", name, lineno);
	*len = (size_t)n;
	return 1;
}

/* ---- TSV label maps ---- */

struct ser_labelmap {
	ser_labelmap_entry *e;  /* (n) entries in file order; e[i].key owns the line */
	size_t n, cap;
	ser_strindex keys;      /* of the entries by key */
	int speakers;           /* key<TAB>speaker lines too (ser_speakermap_load) */
	ser_strindex stems;     /* the same by key stem (ser_key_stem), built after reading */
};

static const char *entry_key(const void *ctx, size_t k, size_t *n)
{
	const char *key = ((const ser_labelmap *)ctx)->e[k].key;
	*n = strlen(key);
	return key;
}

static const ser_labelmap_entry *get_n(const ser_labelmap *m, const char *key, size_t n)
{
	size_t k = ser_strindex_find(&m->keys, key, n, entry_key, m);
	return k ? &m->e[k - 1] : NULL;
}

/* A key's stem: its file name without the last extension, as ser_key_stem. */
static const char *stem_of(const char *key, size_t *n)
{
	const char *b = ser_key_base(key), *dot = strrchr(b, '.');
	*n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
	return b;
}

static const char *entry_stem(const void *ctx, size_t k, size_t *n)
{
	return stem_of(((const ser_labelmap *)ctx)->e[k].key, n);
}

static int build_stems(ser_labelmap *m)
{
	if (ser_strindex_reserve(&m->stems, m->n, entry_stem, m) < 0)
		return SER_ENOMEM;
	for (size_t k = 0; k < m->n; k++) {
		size_t n;
		const char *st = stem_of(m->e[k].key, &n);
		if (ser_strindex_insert(&m->stems, k, st, n, entry_stem, m) < 0)
			return SER_ENOMEM;
	}
	return SER_OK;
}

const ser_labelmap_entry *ser_labelmap_match(const ser_labelmap *m, const char *key,
                                             const ser_labelmap_entry **clash)
{
	const ser_labelmap_entry *e = ser_labelmap_find(m, key), *hit = NULL;
	size_t n, k, at = 0;
	const char *st = stem_of(key, &n);
	*clash = NULL;
	if (e)
		return e;
	while ((k = ser_strindex_next(&m->stems, st, n, entry_stem, m, &at))) {
		const ser_labelmap_entry *c = &m->e[k - 1];
		if (hit) {
			*clash = hit->line < c->line ? c : hit;
			return NULL;
		}
		hit = c;
	}
	return hit;
}

void ser_labelmap_free(ser_labelmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free((char *)m->e[i].key);
	free(m->e);
	ser_strindex_free(&m->keys);
	ser_strindex_free(&m->stems);
	free(m);
}

/* Splits s at TABs into at most max fields; returns the count (max + 1
 * when there are more). */
static int split_tabs(char *s, char **f, int max)
{
	int n = 0;
	for (;;) {
		if (n == max)
			return max + 1;
		f[n++] = s;
		char *t = strchr(s, '\t');
		if (!t)
			return n;
		*t = '\0';
		s = t + 1;
	}
}

static int map_line(ser_labelmap *m, const char *name, long lineno, const char *text,
                    size_t len, ser_error *err)
{
	char *f[3];
	char *line = malloc(len + 1);
	if (!line)
		return ser_seterr(err, SER_ENOMEM, "%s: out of memory", name);
	memcpy(line, text, len + 1);
	int nf = split_tabs(line, f, 3);
	const char *why = NULL;
	if (m->speakers && nf == 2) {   /* key<TAB>speaker */
		f[2] = f[1], f[1] = NULL, nf = 3;
		if (!*f[2])
			why = "empty speaker";
		else if (strlen(f[2]) >= SER_SPEAKER_MAX)
			why = "speaker longer than 63 bytes";
		else if (!*f[0])
			why = "empty key";
	} else if (nf < 2)
		why = "expected key<TAB>label[<TAB>speaker], found no TAB";
	else if (nf > 3)
		why = "more than 3 TAB-separated fields";
	else if (!*f[0])
		why = "empty key";
	else if (!*f[1])
		why = "empty label";
	else if (!ser_label_valid(f[1]))
		why = "invalid label (too long, or a comma or control character)";
	else if (nf == 3 && !*f[2])
		why = "empty speaker";
	else if (nf == 3 && strlen(f[2]) >= SER_SPEAKER_MAX)
		why = "speaker longer than 63 bytes";
	if (why) {
		free(line);
		return ser_seterr(err, SER_EFORMAT, "%s:%ld: %s", name, lineno, why);
	}
	ser_tsv_unescape(f[0]);
	const ser_labelmap_entry *d = get_n(m, f[0], strlen(f[0]));
	if (d) {
		int r = ser_seterr(err, SER_EFORMAT, "%s:%ld: duplicate key '%.200s' (first on line %ld)",
		                   name, lineno, f[0], d->line);
		free(line);
		return r;
	}
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		ser_labelmap_entry *e = realloc(m->e, nc * sizeof *e);
		if (!e) {
			free(line);
			return ser_seterr(err, SER_ENOMEM, "%s: out of memory", name);
		}
		m->e = e;
		m->cap = nc;
	}
	m->e[m->n] = (ser_labelmap_entry){ f[0], f[1], nf == 3 ? f[2] : NULL, lineno };
	m->n++;
	if (ser_strindex_insert(&m->keys, m->n - 1, f[0], strlen(f[0]), entry_key, m) < 0)
		return ser_seterr(err, SER_ENOMEM, "%s: out of memory", name);
	return SER_OK;
}

static ser_labelmap *map_read(FILE *f, const char *name, int speakers, ser_error *err)
{
	ser_labelmap *m = calloc(1, sizeof *m);
	char *buf = NULL;
	size_t cap = 0, len;
	long lineno = 0;
	int r;
	if (!m) {
		ser_seterr(err, SER_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	m->speakers = speakers;
	while ((r = read_line(f, name, ++lineno, &buf, &cap, &len, err)) > 0) {
		if (len == 0 || buf[0] == '#')
			continue;
		if ((r = map_line(m, name, lineno, buf, len, err)) < 0)
			break;
	}
	free(buf);
	if (r >= 0 && build_stems(m) < 0)
		r = ser_seterr(err, SER_ENOMEM, "%s: out of memory", name);
	if (r < 0) {
		ser_labelmap_free(m);
		return NULL;
	}
	return m;
}

ser_labelmap *ser_labelmap_read(FILE *f, const char *name, ser_error *err)
{
	return map_read(f, name, 0, err);
}

static ser_labelmap *map_load(const char *path, int speakers, ser_error *err)
{
	if (strcmp(path, "-") == 0)
		return map_read(stdin, "-", speakers, err);
	FILE *f = fopen(path, "r");
	if (!f) {
		ser_seterr(err, SER_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	ser_labelmap *m = map_read(f, path, speakers, err);
	fclose(f);
	return m;
}

ser_labelmap *ser_labelmap_load(const char *path, ser_error *err)
{
	return map_load(path, 0, err);
}

ser_labelmap *ser_speakermap_load(const char *path, ser_error *err)
{
	return map_load(path, 1, err);
}

size_t ser_labelmap_count(const ser_labelmap *m) { return m->n; }

const ser_labelmap_entry *ser_labelmap_at(const ser_labelmap *m, size_t i)
{
	return i < m->n ? &m->e[i] : NULL;
}

const ser_labelmap_entry *ser_labelmap_get(const ser_labelmap *m, const char *key)
{
	return get_n(m, key, strlen(key));
}

const ser_labelmap_entry *ser_labelmap_find(const ser_labelmap *m, const char *key)
{
	const ser_labelmap_entry *e = ser_labelmap_get(m, key);
	if (e)
		return e;
	const char *b = ser_key_base(key);
	if (b != key && (e = ser_labelmap_get(m, b)))
		return e;
	const char *dot = strrchr(b, '.');
	if (dot && dot != b)
		return get_n(m, b, (size_t)(dot - b));
	return NULL;
}

int ser_label_resolve(const ser_labelmap *m, const char *key, ser_label_info *out)
{
	int known = ser_label_from_name(key, out);
	if (!m)
		return known;
	const ser_labelmap_entry *clash, *e = ser_labelmap_match(m, key, &clash);
	if (!e) {
		memset(out, 0, sizeof *out);
		return 0;
	}
	out->known = 1;
	snprintf(out->emotion, sizeof out->emotion, "%s", e->label ? e->label : "");
	if (e->speaker)
		snprintf(out->speaker, sizeof out->speaker, "%s", e->speaker);
	return 1;
}

const char *ser_label_group(const ser_label_info *info, int by)
{
	switch (by) {
	case SER_BY_CORPUS: return ser_corpus_name(info->corpus);
	case SER_BY_SPEAKER: return info->speaker[0] ? info->speaker : "unknown";
	default: return NULL;
	}
}

/* ---- ser-classify output ---- */

/* Full-string finite number. */
static int parse_num(const char *s, double *v)
{
	char *end;
	if (!*s || *s == ' ' || *s == '\t')
		return 0;
	errno = 0;
	*v = strtod(s, &end);
	return *end == '\0' && end != s && isfinite(*v) && errno != ERANGE;
}

/* The field at *pp, NUL-terminated at its TAB; *pp moves to the next. */
static char *field(char **pp)
{
	char *s = *pp, *t = strchr(s, '\t');
	if (t) {
		*t = '\0';
		*pp = t + 1;
	} else {
		*pp = s + strlen(s);
	}
	return s;
}

static int pred_tsv(char *line, ser_pred *out, double *prob, int probcap, ser_error *err)
{
	char *p = line, *f[3];
	int nf = 1;
	double d, conf;
	for (char *q = line; *q; q++)
		nf += *q == '\t';
	if (nf < 3)
		return ser_seterr(err, SER_EFORMAT, "expected key<TAB>label<TAB>confidence, found %d field%s",
		                  nf, nf == 1 ? "" : "s");
	for (int i = 0; i < 3; i++)
		f[i] = field(&p);
	int timed = nf >= 5 && parse_num(f[1], &d) && parse_num(f[2], &d);
	out->nprob = 0;
	out->prob = NULL;
	for (int i = 3; i < nf; i++) {
		char *s = field(&p);
		int isnum = parse_num(s, &d);
		if (i == 3 && timed && !isnum)
			return ser_seterr(err, SER_EFORMAT, "over-time label line (key start end label "
			                  "confidence); ser-eval needs one line per utterance (ser-classify "
			                  "without --window/--live)");
		if (!isnum)
			return ser_seterr(err, SER_EFORMAT, "probability %d '%.40s' is not a number", i - 2, s);
		if (out->nprob >= probcap)
			return ser_seterr(err, SER_ELIMIT, "more than %d probabilities", probcap);
		prob[out->nprob++] = d;
	}
	if (!*f[0])
		return ser_seterr(err, SER_EFORMAT, "empty key");
	if (!*f[1])
		return ser_seterr(err, SER_EFORMAT, "empty label");
	ser_tsv_unescape(f[0]);
	if (!parse_num(f[2], &conf))
		return ser_seterr(err, SER_EFORMAT, "confidence '%.40s' is not a number", f[2]);
	out->key = f[0];
	out->label = f[1];
	out->confidence = conf;
	if (out->nprob)
		out->prob = prob;
	return 1;
}

/* ---- a small JSON reader for one flat object per line ---- */

static char *ws(char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static long hex4(const char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* *pp at '"'; unescapes in place; *out = the string; *pp after the closing
 * quote. NULL on success, else a reason. */
static const char *json_string(char **pp, char **out)
{
	char *p = *pp + 1, *w = p;
	*out = p;
	for (;;) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c == '\0')
			return "unterminated string";
		if (c < 0x20)
			return "control character in a string";
		if (c != '\\') {
			*w++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case '"': *w++ = '"'; p++; break;
		case '\\': *w++ = '\\'; p++; break;
		case '/': *w++ = '/'; p++; break;
		case 'b': *w++ = '\b'; p++; break;
		case 'f': *w++ = '\f'; p++; break;
		case 'n': *w++ = '\n'; p++; break;
		case 'r': *w++ = '\r'; p++; break;
		case 't': *w++ = '\t'; p++; break;
		case 'u': {
			long u = hex4(p + 1);
			if (u < 0)
				return "bad \\u escape";
			p += 5;
			if (u >= 0xD800 && u <= 0xDBFF) {
				long lo = (p[0] == '\\' && p[1] == 'u') ? hex4(p + 2) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return "unpaired surrogate in \\u escape";
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (u >= 0xDC00 && u <= 0xDFFF) {
				return "unpaired surrogate in \\u escape";
			}
			if (u == 0)
				return "\\u0000 in a string";
			/* UTF-8; never longer than the escape it replaces */
			if (u < 0x80) {
				*w++ = (char)u;
			} else if (u < 0x800) {
				*w++ = (char)(0xC0 | (u >> 6));
				*w++ = (char)(0x80 | (u & 0x3F));
			} else if (u < 0x10000) {
				*w++ = (char)(0xE0 | (u >> 12));
				*w++ = (char)(0x80 | ((u >> 6) & 0x3F));
				*w++ = (char)(0x80 | (u & 0x3F));
			} else {
				*w++ = (char)(0xF0 | (u >> 18));
				*w++ = (char)(0x80 | ((u >> 12) & 0x3F));
				*w++ = (char)(0x80 | ((u >> 6) & 0x3F));
				*w++ = (char)(0x80 | (u & 0x3F));
			}
			break;
		}
		default:
			return "bad escape in a string";
		}
	}
	*w = '\0';
	*pp = p + 1;
	return NULL;
}

/* A JSON number at *pp (grammar of RFC 8259 checked loosely: the span of
 * number characters must be all that strtod takes). */
static const char *json_number(char **pp, double *v)
{
	char *p = *pp, *end;
	size_t n = strspn(p, "+-0123456789.eE");
	if (n == 0 || (*p != '-' && !isdig(*p)))
		return "expected a value";
	char save = p[n];
	p[n] = '\0';
	errno = 0;
	*v = strtod(p, &end);
	p[n] = save;
	if (end != p + n || errno == ERANGE || !isfinite(*v))
		return "bad number";
	*pp = p + n;
	return NULL;
}

static const char *json_skip(char **pp, int depth)
{
	char *p = ws(*pp), *s;
	double v;
	const char *why;
	if (depth > 32)
		return "nested too deeply";
	if (*p == '"') {
		why = json_string(&p, &s);
	} else if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = ws(p + 1);
		why = NULL;
		if (*p == close) {
			p++;
		} else {
			for (;;) {
				if (close == '}') {
					if (*p != '"')
						return "expected a member name";
					if ((why = json_string(&p, &s)))
						return why;
					p = ws(p);
					if (*p++ != ':')
						return "expected ':'";
				}
				if ((why = json_skip(&p, depth + 1)))
					return why;
				p = ws(p);
				if (*p == ',') {
					p = ws(p + 1);
					continue;
				}
				if (*p++ != close)
					return close == '}' ? "expected ',' or '}'" : "expected ',' or ']'";
				break;
			}
		}
	} else if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0) {
		p += 4;
		why = NULL;
	} else if (strncmp(p, "false", 5) == 0) {
		p += 5;
		why = NULL;
	} else {
		why = json_number(&p, &v);
	}
	*pp = p;
	return why;
}

static const char *json_probs(char **pp, double *prob, int probcap, int *n)
{
	char *p = ws(*pp + 1);
	const char *why;
	*n = 0;
	if (*p == ']') {
		*pp = p + 1;
		return NULL;
	}
	for (;;) {
		double v;
		if ((why = json_number(&p, &v)))
			return "probabilities must be numbers";
		if (*n >= probcap)
			return "too many probabilities";
		prob[(*n)++] = v;
		p = ws(p);
		if (*p == ',') {
			p = ws(p + 1);
			continue;
		}
		if (*p++ != ']')
			return "expected ',' or ']'";
		*pp = p;
		return NULL;
	}
}

static int pred_json(char *line, ser_pred *out, double *prob, int probcap, ser_error *err)
{
	char *p = ws(line + 1), *name;
	const char *why = NULL;
	int timed = 0;
	out->key = out->label = NULL;
	out->nprob = 0;
	out->prob = NULL;
	out->confidence = NAN;
	if (*p == '}') {
		p++;
	} else {
		for (;;) {
			if (*p != '"') {
				why = "expected a member name";
				break;
			}
			if ((why = json_string(&p, &name)))
				break;
			p = ws(p);
			if (*p++ != ':') {
				why = "expected ':'";
				break;
			}
			p = ws(p);
			if (strcmp(name, "key") == 0 || strcmp(name, "label") == 0) {
				char *s;
				if (*p != '"') {
					why = name[0] == 'k' ? "\"key\" must be a string" : "\"label\" must be a string";
					break;
				}
				if ((why = json_string(&p, &s)))
					break;
				if (name[0] == 'k')
					out->key = s;
				else
					out->label = s;
			} else if (strcmp(name, "confidence") == 0) {
				if ((why = json_number(&p, &out->confidence))) {
					why = "\"confidence\" must be a number";
					break;
				}
			} else if ((strcmp(name, "probs") == 0 || strcmp(name, "probabilities") == 0)
			           && *p == '[') {
				if ((why = json_probs(&p, prob, probcap, &out->nprob)))
					break;
			} else {
				if (strcmp(name, "start") == 0 || strcmp(name, "end") == 0)
					timed = 1;
				if ((why = json_skip(&p, 1)))
					break;
			}
			p = ws(p);
			if (*p == ',') {
				p = ws(p + 1);
				continue;
			}
			if (*p++ != '}')
				why = "expected ',' or '}'";
			break;
		}
	}
	if (!why && *ws(p))
		why = "text after the JSON object";
	if (why)
		return ser_seterr(err, SER_EFORMAT, "JSON: %s", why);
	if (timed)
		return ser_seterr(err, SER_EFORMAT, "over-time label line (JSON with \"start\"/\"end\"); "
		                  "ser-eval needs one line per utterance (ser-classify without --window/--live)");
	if (!out->key || !*out->key)
		return ser_seterr(err, SER_EFORMAT, "JSON: missing or empty \"key\"");
	if (!out->label || !*out->label)
		return ser_seterr(err, SER_EFORMAT, "JSON: missing or empty \"label\"");
	out->json = 1;
	if (out->nprob)
		out->prob = prob;
	return 1;
}

int ser_pred_parse(char *line, ser_pred *out, double *prob, int probcap, ser_error *err)
{
	char *p = line;
	out->json = 0;
	while (*p == ' ')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (*p == '{')
		return pred_json(p, out, prob, probcap, err);
	return pred_tsv(line, out, prob, probcap, err);
}

struct ser_predreader {
	FILE *f;
	char *name;
	char *buf;
	size_t cap;
	long line;
	double prob[SER_CLASSES_MAX];
};

ser_predreader *ser_predreader_new(FILE *f, const char *name, ser_error *err)
{
	ser_predreader *r = calloc(1, sizeof *r);
	if (r && !(r->name = strdup(name))) {
		free(r);
		r = NULL;
	}
	if (!r) {
		ser_seterr(err, SER_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	r->f = f;
	return r;
}

int ser_predreader_next(ser_predreader *r, ser_pred *out, ser_error *err)
{
	for (;;) {
		size_t len;
		int k = read_line(r->f, r->name, ++r->line, &r->buf, &r->cap, &len, err);
		if (k <= 0)
			return k;
		k = ser_pred_parse(r->buf, out, r->prob, SER_CLASSES_MAX, err);
		if (k < 0) {
			char why[SER_ERRMSG_MAX];
			snprintf(why, sizeof why, "%s", err ? err->msg : "");
			return ser_seterr(err, k, "%s:%ld: %s", r->name, r->line, why);
		}
		if (k > 0) {
			out->line = r->line;
			return 1;
		}
	}
}

void ser_predreader_free(ser_predreader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->name);
	free(r);
}

size_t ser_tsv_escape(char *buf, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s; s++) {
		char e = *s == '\t' ? 't' : *s == '\n' ? 'n' : *s == '\r' ? 'r' : *s == '\\' ? '\\' : 0;
		if (e && n + 1 < cap)
			buf[n] = '\\';
		n += e != 0;
		if (n + 1 < cap)
			buf[n] = e ? e : *s;
		n++;
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

void ser_tsv_unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		char c = s[1];
		if (*s == '\\' && (c == 't' || c == 'n' || c == 'r' || c == '\\')) {
			*o++ = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : '\\';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid
 * (overlong, a surrogate, above U+10FFFF, or cut short). */
static int utf8_len(const unsigned char *s)
{
	int n, i;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

size_t ser_json_escape(char *buf, size_t cap, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;
	char tmp[8];
	while (*u) {
		int len = utf8_len(u);
		const char *e = tmp;
		if (*u == '"' || *u == '\\') {
			tmp[0] = '\\', tmp[1] = (char)*u, tmp[2] = '\0';
		} else if (*u == '\n') {
			e = "\\n";
		} else if (*u == '\t') {
			e = "\\t";
		} else if (*u == '\r') {
			e = "\\r";
		} else if (*u < 0x20 || *u == 0x7f || len == 0) {
			snprintf(tmp, sizeof tmp, "\\u%04x", *u);
			len = 1;
		} else {
			memcpy(tmp, u, (size_t)len);
			tmp[len] = '\0';
		}
		for (; *e; e++, n++)
			if (n + 1 < cap)
				buf[n] = *e;
		u += len;
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}
