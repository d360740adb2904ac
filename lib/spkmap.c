/* Kaldi utt2spk / spk2utt speaker maps: see spkmap.h. */
#include "spkmap.h"
#include "strindex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPK_MAX 64   /* bytes with the NUL, as SER_SPEAKER_MAX */

struct utt {
	char *key, *spk;
};

struct ser_spkmap {
	struct utt *u;
	size_t n, cap;
	ser_strindex keys, stems;   /* of u by key and by stem */
};

static const char *stem_of(const char *key, size_t *n)
{
	const char *b = strrchr(key, '/'), *dot;
	b = b ? b + 1 : key;
	dot = strrchr(b, '.');
	*n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
	return b;
}

static const char *utt_key(const void *ctx, size_t k, size_t *n)
{
	const char *key = ((const ser_spkmap *)ctx)->u[k].key;
	*n = strlen(key);
	return key;
}

static const char *utt_stem(const void *ctx, size_t k, size_t *n)
{
	return stem_of(((const ser_spkmap *)ctx)->u[k].key, n);
}

/* 0, 1 + the index of the first utterance given twice, or SER_ENOMEM. */
static int index_all(ser_spkmap *m)
{
	if (ser_strindex_reserve(&m->keys, m->n, utt_key, m) < 0
	    || ser_strindex_reserve(&m->stems, m->n, utt_stem, m) < 0)
		return SER_ENOMEM;
	for (size_t k = 0; k < m->n; k++) {
		size_t kn, sn;
		const char *key = utt_key(m, k, &kn), *st = stem_of(key, &sn);
		if (ser_strindex_find(&m->keys, key, kn, utt_key, m))
			return (int)k + 1;
		if (ser_strindex_insert(&m->keys, k, key, kn, utt_key, m) < 0
		    || ser_strindex_insert(&m->stems, k, st, sn, utt_stem, m) < 0)
			return SER_ENOMEM;
	}
	return 0;
}

static int add(ser_spkmap *m, const char *key, size_t kl, const char *spk)
{
	if (m->n == m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 256;
		struct utt *nu = realloc(m->u, nc * sizeof *nu);
		if (!nu)
			return SER_ENOMEM;
		m->u = nu;
		m->cap = nc;
	}
	if (!(m->u[m->n].key = strndup(key, kl)) || !(m->u[m->n].spk = strdup(spk))) {
		free(m->u[m->n].key);
		return SER_ENOMEM;
	}
	m->n++;
	return 0;
}

ser_spkmap *ser_spkmap_load(const char *path, int spk2utt, ser_error *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	ser_spkmap *m = calloc(1, sizeof *m);
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;
	if (!f || !m) {
		ser_seterr(err, f ? SER_ENOMEM : SER_EIO, "%s: %s", path, f ? "out of memory" : strerror(errno));
		free(m);
		if (f && f != stdin)
			fclose(f);
		return NULL;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		const char *w = " \t\r\n";
		char *s = line + strspn(line, w), spk[SPK_MAX];
		size_t l1 = strcspn(s, w), l;
		int nutt = 0;
		lineno++;
		if (!l1)
			continue;
		if (!spk2utt) {
			char *t = s + l1 + strspn(s + l1, w);
			l = strcspn(t, w);
			if (!l || t[l + strspn(t + l, w)])
				rc = ser_seterr(err, SER_EFORMAT, "%s:%ld: expected 'UTTERANCE SPEAKER'", path, lineno);
			else if (l >= SPK_MAX)
				rc = ser_seterr(err, SER_EFORMAT, "%s:%ld: speaker longer than %d bytes", path, lineno, SPK_MAX - 1);
			else {
				memcpy(spk, t, l);
				spk[l] = '\0';
				rc = add(m, s, l1, spk);
			}
			continue;
		}
		if (l1 >= SPK_MAX) {
			rc = ser_seterr(err, SER_EFORMAT, "%s:%ld: speaker longer than %d bytes", path, lineno, SPK_MAX - 1);
			continue;
		}
		memcpy(spk, s, l1);
		spk[l1] = '\0';
		for (s += l1; rc == 0 && *(s += strspn(s, w)); s += l, nutt++)
			rc = add(m, s, l = strcspn(s, w), spk);
		if (rc == 0 && !nutt)
			rc = ser_seterr(err, SER_EFORMAT, "%s:%ld: speaker %s with no utterance", path, lineno, spk);
	}
	if (rc == 0 && ferror(f))
		rc = ser_seterr(err, SER_EIO, "%s: %s", path, strerror(errno));
	if (rc == SER_ENOMEM)
		ser_seterr(err, rc, "out of memory");
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc == 0) {
		int d = index_all(m);
		if (d > 0)
			rc = ser_seterr(err, SER_EFORMAT, "%s: utterance %s given twice", path, m->u[d - 1].key);
		else if (d < 0)
			rc = ser_seterr(err, SER_ENOMEM, "out of memory");
	}
	if (rc < 0) {
		ser_spkmap_free(m);
		return NULL;
	}
	return m;
}

const char *ser_spkmap_get(const ser_spkmap *m, const char *key, int *clash)
{
	size_t sn, k, at = 0;
	const char *st = stem_of(key, &sn), *hit = NULL;
	*clash = 0;
	if ((k = ser_strindex_find(&m->keys, key, strlen(key), utt_key, m)))
		return m->u[k - 1].spk;
	while ((k = ser_strindex_next(&m->stems, st, sn, utt_stem, m, &at))) {
		if (hit) {
			*clash = 1;
			return NULL;
		}
		hit = m->u[k - 1].spk;
	}
	return hit;
}

size_t ser_spkmap_count(const ser_spkmap *m)
{
	return m->n;
}

void ser_spkmap_free(ser_spkmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->u[i].key);
		free(m->u[i].spk);
	}
	free(m->u);
	ser_strindex_free(&m->keys);
	ser_strindex_free(&m->stems);
	free(m);
}
