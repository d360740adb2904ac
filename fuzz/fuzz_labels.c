/* libFuzzer target: the label readers (lib/labels.h). Input: byte 0 % 3
 * picks the main reader -- 0: a TSV label map (ser_labelmap_read), 1: a
 * stream of ser-classify lines (ser_predreader), 2: one line
 * (ser_pred_parse) -- and the rest is its text, read from fmemopen. The
 * same text also goes through the name parsers (ser_label_from_name,
 * ser_key_stem), class lists (ser_classes_parse) and ser_json_escape.
 * Aborts on: a refusal without a message, a map entry its own key does
 * not find, a predicted label or key with a TAB or LF (TSV), a class list
 * that does not join back to itself, escaping that overflows or differs
 * in length from what it reports. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"

static void map(const char *text, size_t n)
{
	FILE *f = fmemopen((void *)text, n, "r");
	if (!f)
		return;
	ser_error e;
	ser_clearerr(&e);
	ser_labelmap *m = ser_labelmap_read(f, "fuzz", &e);
	fclose(f);
	if (!m) {
		if (e.code >= 0 || !e.msg[0])
			abort();
		return;
	}
	for (size_t i = 0; i < ser_labelmap_count(m); i++) {
		const ser_labelmap_entry *en = ser_labelmap_at(m, i);
		if (!en->key[0] || !ser_label_valid(en->label) || ser_labelmap_get(m, en->key) != en)
			abort();
		if (!ser_labelmap_find(m, en->key))
			abort();
		ser_label_info li;
		if (ser_label_resolve(m, en->key, &li) != 1 || strcmp(li.emotion, en->label) != 0)
			abort();
	}
	ser_label_info li;
	ser_label_resolve(m, "nope/03-01-05-01-01-01-07.wav", &li);
	ser_labelmap_free(m);
}

static void check_pred(const ser_pred *p, int probcap)
{
	if (!p->key || !p->label || p->nprob < 0 || p->nprob > probcap || (p->nprob && !p->prob))
		abort();
	if (!p->json && (strpbrk(p->key, "\t\n") || strpbrk(p->label, "\t\n")))
		abort();
}

static void preds(const char *text, size_t n)
{
	FILE *f = fmemopen((void *)text, n, "r");
	if (!f)
		return;
	ser_error e;
	ser_predreader *r = ser_predreader_new(f, "fuzz", &e);
	if (!r) {
		fclose(f);
		return;
	}
	ser_pred p;
	int rc;
	long last = 0;
	while ((rc = ser_predreader_next(r, &p, &e)) == 1) {
		check_pred(&p, 1 << 20);
		if (p.line <= last)
			abort();                 /* line numbers go forward */
		last = p.line;
	}
	if (rc < 0 && (e.code >= 0 || !e.msg[0]))
		abort();
	ser_predreader_free(r);
	fclose(f);
}

static void line(const char *text, size_t n)
{
	char *s = malloc(n + 1);
	memcpy(s, text, n);
	s[n] = '\0';
	s[strcspn(s, "\n")] = '\0';       /* one line, as the reader gives it */
	double prob[16];
	ser_pred p;
	ser_error e;
	ser_clearerr(&e);
	int rc = ser_pred_parse(s, &p, prob, 16, &e);
	if (rc == 1)
		check_pred(&p, 16);
	else if (rc < 0 && (e.code >= 0 || !e.msg[0]))
		abort();
	else if (rc != 0 && rc != 1 && rc >= 0)
		abort();
	free(s);
}

static void names(const char *s)
{
	ser_label_info li;
	char buf[64];
	size_t need = ser_key_stem(s, buf, sizeof buf);
	if (strlen(buf) != (need < sizeof buf ? need : sizeof buf - 1))
		abort();
	if (ser_label_from_name(s, &li) && (!ser_label_valid(li.emotion) || li.corpus == SER_CORPUS_NONE))
		abort();
	static ser_classes c;
	ser_error e;
	if (ser_classes_parse(&c, s, &e) == 0) {
		char *j = malloc(strlen(s) + 1);
		ser_classes_join(&c, j, strlen(s) + 1);
		if (strcmp(j, s) != 0)
			abort();
		free(j);
	}
	size_t len = ser_json_escape(NULL, 0, s);
	char *esc = malloc(len + 1);
	if (ser_json_escape(esc, len + 1, s) != len || strlen(esc) != len)
		abort();
	free(esc);
	char small[8];
	ser_json_escape(small, sizeof small, s);
	if (strlen(small) >= sizeof small)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 16))
		return 0;
	const char *text = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 3) {
	case 0: map(text, n); break;
	case 1: preds(text, n); break;
	default: line(text, n); break;
	}
	char *s = malloc(n + 1);
	memcpy(s, text, n);
	s[n] = '\0';
	names(s);
	free(s);
	return 0;
}
