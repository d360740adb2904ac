/* Unit tests of lib/labels: class sets, corpus file names, TSV maps,
 * ser-classify output lines, JSON escaping. */
#include <string.h>

#include "check.h"
#include "labels.h"

/* A FILE reading the text s (fmemopen). */
static FILE *text(const char *s)
{
	return fmemopen((void *)s, strlen(s), "r");
}

static void test_classes(void)
{
	ser_classes c;
	ser_error err;
	char buf[256];
	ser_classes_default(&c);
	CHECK(c.n == 8 && strcmp(c.name[0], "neutral") == 0 && strcmp(c.name[7], "surprised") == 0,
	      "default: 8 emotions, neutral..surprised");
	CHECK(ser_classes_index(&c, "fearful") == 5 && ser_classes_index(&c, "fear") == -1,
	      "index of fearful 5, fear absent");
	CHECK(ser_classes_join(&c, buf, sizeof buf) == strlen("neutral,calm,happy,sad,angry,fearful,disgust,surprised")
	      && strcmp(buf, "neutral,calm,happy,sad,angry,fearful,disgust,surprised") == 0, "join: %s", buf);
	CHECK(ser_classes_join(&c, buf, 5) == 54 && strcmp(buf, "neut") == 0, "join truncates, returns full length");
	CHECK(ser_classes_parse(&c, "pos,neg,neu", &err) == 0 && c.n == 3 && ser_classes_index(&c, "neu") == 2,
	      "parse pos,neg,neu");
	CHECK(ser_classes_parse(&c, "a,,b", &err) == SER_EINVAL && strstr(err.msg, "name 2 is empty"),
	      "empty name refused: %s", err.msg);
	CHECK(ser_classes_parse(&c, "a,b,a", &err) == SER_EINVAL && strstr(err.msg, "duplicate"),
	      "duplicate refused: %s", err.msg);
	CHECK(ser_classes_parse(&c, "a,b,", &err) == SER_EINVAL, "trailing comma refused");
	CHECK(ser_classes_parse(&c, "", &err) == SER_EINVAL, "empty list refused");
	CHECK(ser_classes_parse(&c, "a\tb", &err) == SER_EINVAL, "TAB in a name refused");
	CHECK(ser_classes_parse(&c, "Happy,happy", &err) == 0 && c.n == 2, "case matters");
	memset(buf, 'x', 70);
	buf[70] = '\0';
	CHECK(ser_classes_parse(&c, buf, &err) == SER_EINVAL, "70-byte name refused");
	CHECK(ser_label_valid("sad") && !ser_label_valid("") && !ser_label_valid("a,b") && !ser_label_valid("a\n"),
	      "ser_label_valid");
	c.n = 0;
	int k = 0;
	for (int i = 0; i < SER_CLASSES_MAX; i++) {
		snprintf(buf, sizeof buf, "c%d", i);
		k = ser_classes_add(&c, buf, &err);
	}
	CHECK(k == SER_CLASSES_MAX - 1 && ser_classes_add(&c, "more", &err) == SER_ELIMIT, "class set full at %d", SER_CLASSES_MAX);
}

static void test_names(void)
{
	ser_label_info li;
	char buf[64];
	CHECK(ser_label_from_name("data/ravdess/Actor_07/03-01-06-02-01-02-07.flac", &li) == 1
	      && li.corpus == SER_CORPUS_RAVDESS && strcmp(li.emotion, "fearful") == 0
	      && strcmp(li.speaker, "ravdess-07") == 0 && li.channel == 1 && li.intensity == 2
	      && li.statement == 1 && li.repetition == 2, "RAVDESS path: fearful ravdess-07 strong (got %s %s)", li.emotion, li.speaker);
	CHECK(ser_label_from_name("03-02-08-01-02-01-18", &li) == 1 && strcmp(li.emotion, "surprised") == 0
	      && li.channel == 2 && strcmp(li.speaker, "ravdess-18") == 0, "RAVDESS bare key, song, surprised");
	CHECK(ser_label_from_name("03-01-01-01-01-01-01.16000.wav", &li) == 1 && strcmp(li.emotion, "neutral") == 0,
	      "RAVDESS with two extensions");
	CHECK(ser_label_from_name("03-01-09-01-01-01-01.wav", &li) == 0 && li.known == 0 && li.emotion[0] == '\0',
	      "RAVDESS emotion 09 refused");
	CHECK(ser_label_from_name("03-01-01-01-01-01-1.wav", &li) == 0, "RAVDESS short field refused");
	CHECK(ser_label_from_name("03-01-01-01-01-01-01-01", &li) == 0, "RAVDESS 8 fields refused");
	CHECK(ser_label_from_name("tess/OAF_back_fear.flac", &li) == 1 && li.corpus == SER_CORPUS_TESS
	      && strcmp(li.emotion, "fearful") == 0 && strcmp(li.speaker, "tess-OAF") == 0, "TESS fear -> fearful");
	CHECK(ser_label_from_name("YAF_bath_ps.wav", &li) == 1 && strcmp(li.emotion, "surprised") == 0
	      && strcmp(li.speaker, "tess-YAF") == 0, "TESS ps -> surprised, YAF");
	CHECK(ser_label_from_name("OA_bite_neutral.wav", &li) == 1 && strcmp(li.speaker, "tess-OAF") == 0
	      && strcmp(li.emotion, "neutral") == 0, "TESS OA_bite_neutral -> OAF");
	CHECK(ser_label_from_name("YAF_germ_Angry", &li) == 1 && strcmp(li.emotion, "angry") == 0, "TESS case-insensitive");
	CHECK(ser_label_from_name("ZZZ_back_angry.wav", &li) == 0, "TESS unknown speaker refused");
	CHECK(ser_label_from_name("OAF_back_bored.wav", &li) == 0, "TESS unknown emotion refused");
	CHECK(ser_label_from_name("OAF_back_angry_2.wav", &li) == 0, "TESS 4 fields refused");
	CHECK(ser_label_from_name("emodb/wav/03a01Fa.wav", &li) == 1 && li.corpus == SER_CORPUS_EMODB
	      && strcmp(li.emotion, "happy") == 0 && strcmp(li.speaker, "emodb-03") == 0
	      && li.statement == 1 && li.repetition == 1, "EmoDB 03a01Fa happy emodb-03");
	CHECK(ser_label_from_name("16b10Lb.wav", &li) == 1 && strcmp(li.emotion, "boredom") == 0
	      && li.statement == 20 && li.repetition == 2, "EmoDB L -> boredom, b10 = 20, version b");
	CHECK(ser_label_from_name("11a02Wc", &li) == 1 && strcmp(li.emotion, "angry") == 0, "EmoDB W -> angry");
	CHECK(ser_label_from_name("11a02Xa", &li) == 0, "EmoDB unknown letter refused");
	CHECK(ser_label_from_name("nemo/EB0/EB0_anger_12.opus", &li) == 1 && li.corpus == SER_CORPUS_NEMO
	      && strcmp(li.emotion, "angry") == 0 && strcmp(li.speaker, "nemo-EB0") == 0, "nEMO anger -> angry");
	CHECK(ser_label_from_name("WR0_happiness_3", &li) == 1 && strcmp(li.emotion, "happy") == 0
	      && strcmp(li.speaker, "nemo-WR0") == 0, "nEMO happiness -> happy, bare key");
	CHECK(ser_label_from_name("KS0_Sadness_1.wav", &li) == 1 && strcmp(li.emotion, "sad") == 0,
	      "nEMO case-insensitive emotion");
	CHECK(ser_label_from_name("MK0_fear_7", &li) == 1 && strcmp(li.emotion, "fearful") == 0
	      && ser_label_from_name("TP0_surprised_70", &li) == 1 && strcmp(li.emotion, "surprised") == 0
	      && ser_label_from_name("SM0_neutral_1", &li) == 1 && strcmp(li.emotion, "neutral") == 0,
	      "nEMO fear, surprised, neutral");
	CHECK(ser_label_from_name("EB0_anger_", &li) == 0 && ser_label_from_name("EB0_anger_1x", &li) == 0
	      && ser_label_from_name("eb0_anger_1", &li) == 0 && ser_label_from_name("EB0_boredom_1", &li) == 0
	      && ser_label_from_name("EBX_anger_1", &li) == 0, "nEMO malformed names refused");
	CHECK(ser_label_from_name("ased/01Neutral/n1-01-02-01-07.opus", &li) == 1 && li.corpus == SER_CORPUS_ASED
	      && strcmp(li.emotion, "neutral") == 0 && strcmp(li.speaker, "ased-07") == 0
	      && li.statement == 1 && li.repetition == 2, "ASED n1 neutral ased-07");
	CHECK(ser_label_from_name("S4-03-01-02-55", &li) == 1 && strcmp(li.emotion, "sad") == 0
	      && strcmp(li.speaker, "ased-55") == 0, "ASED capital S4 -> sad");
	CHECK(ser_label_from_name("f2-01-01-01-01", &li) == 1 && strcmp(li.emotion, "fearful") == 0
	      && ser_label_from_name("h3-01-01-01-01", &li) == 1 && strcmp(li.emotion, "happy") == 0
	      && ser_label_from_name("a5-01-01-01-01", &li) == 1 && strcmp(li.emotion, "angry") == 0,
	      "ASED f2, h3, a5");
	CHECK(ser_label_from_name("n2-01-01-01-01", &li) == 0 && ser_label_from_name("x1-01-01-01-01", &li) == 0
	      && ser_label_from_name("n1-01-01-03-01", &li) == 0 && ser_label_from_name("n1-01-01-01-00", &li) == 0
	      && ser_label_from_name("n1-01-01-01-1", &li) == 0, "ASED malformed names refused");
	CHECK(strcmp(ser_corpus_name(SER_CORPUS_NEMO), "nemo") == 0
	      && strcmp(ser_corpus_name(SER_CORPUS_ASED), "ased") == 0, "nemo, ased corpus names");
	CHECK(ser_label_from_name("speech.wav", &li) == 0 && ser_label_from_name("", &li) == 0
	      && ser_label_from_name(NULL, &li) == 0, "unknown names");
	CHECK(strcmp(ser_corpus_name(SER_CORPUS_TESS), "tess") == 0, "corpus name");
	CHECK(ser_key_stem("a/b/x.16000.wav", buf, sizeof buf) == 7 && strcmp(buf, "x.16000") == 0, "stem: %s", buf);
	CHECK(ser_key_stem(".hidden", buf, sizeof buf) == 7 && strcmp(buf, ".hidden") == 0, "stem of dot file");
	CHECK(ser_key_stem("dir/key", buf, 3) == 3 && strcmp(buf, "ke") == 0, "stem truncated");
}

static void test_map(void)
{
	ser_error err;
	ser_labelmap *m;
	ser_label_info li;
	FILE *f;

	f = text("# truth\n\nclips/a.wav\thappy\tspk1\r\nb\tsad\n03-01-05-01-01-01-02\tcalm\n");
	m = ser_labelmap_read(f, "map.tsv", &err);
	fclose(f);
	CHECK(m && ser_labelmap_count(m) == 3, "map: 3 entries, comment, blank line, CRLF");
	if (m) {
		const ser_labelmap_entry *e = ser_labelmap_get(m, "clips/a.wav");
		CHECK(e && strcmp(e->label, "happy") == 0 && e->speaker && strcmp(e->speaker, "spk1") == 0 && e->line == 3,
		      "exact key with speaker, line 3");
		CHECK(ser_labelmap_get(m, "a.wav") == NULL, "get is exact only");
		e = ser_labelmap_find(m, "x/y/b.flac");
		CHECK(e && strcmp(e->label, "sad") == 0 && e->speaker == NULL, "find: stem of x/y/b.flac -> b");
		CHECK(ser_labelmap_find(m, "x/y/c.flac") == NULL, "find: absent key");
		CHECK(ser_labelmap_at(m, 1) && strcmp(ser_labelmap_at(m, 1)->key, "b") == 0 && !ser_labelmap_at(m, 3),
		      "entries in file order");
		CHECK(ser_label_resolve(m, "d/03-01-05-01-01-01-02.wav", &li) == 1 && strcmp(li.emotion, "calm") == 0
		      && strcmp(li.speaker, "ravdess-02") == 0, "resolve: map label wins, speaker from name");
		CHECK(ser_label_resolve(m, "03-01-05-01-01-01-03.wav", &li) == 0, "resolve: with a map, names are not used");
		/* groups for ser-eval --by: the corpus from the name, the speaker
		 * from the map's third field, else the name, else "unknown" */
		CHECK(ser_label_resolve(m, "d/03-01-05-01-01-01-02.wav", &li) == 1
		      && strcmp(ser_label_group(&li, SER_BY_CORPUS), "ravdess") == 0
		      && strcmp(ser_label_group(&li, SER_BY_SPEAKER), "ravdess-02") == 0,
		      "group: map key with a RAVDESS name -> ravdess, ravdess-02");
		CHECK(ser_label_resolve(m, "clips/a.wav", &li) == 1
		      && strcmp(ser_label_group(&li, SER_BY_CORPUS), "none") == 0
		      && strcmp(ser_label_group(&li, SER_BY_SPEAKER), "spk1") == 0,
		      "group: map key without a convention -> none, map speaker spk1");
		CHECK(ser_label_resolve(m, "b", &li) == 1 && strcmp(ser_label_group(&li, SER_BY_SPEAKER), "unknown") == 0
		      && ser_label_group(&li, 0) == NULL && ser_label_group(&li, 3) == NULL,
		      "group: no speaker anywhere -> unknown; other kinds -> NULL");
		ser_labelmap_free(m);
	}
	CHECK(ser_label_resolve(NULL, "03-01-05-01-01-01-03.wav", &li) == 1 && strcmp(li.emotion, "angry") == 0,
	      "resolve without a map: from the name");
	CHECK(ser_label_resolve(NULL, "nEMO/EB0_anger_12.wav", &li) == 1
	      && strcmp(ser_label_group(&li, SER_BY_CORPUS), "nemo") == 0
	      && strcmp(ser_label_group(&li, SER_BY_SPEAKER), "nemo-EB0") == 0, "group: nEMO name -> nemo, nemo-EB0");
	CHECK(ser_label_resolve(NULL, "a5-01-01-01-07.wav", &li) == 1
	      && strcmp(ser_label_group(&li, SER_BY_CORPUS), "ased") == 0
	      && strcmp(ser_label_group(&li, SER_BY_SPEAKER), "ased-07") == 0, "group: ASED name -> ased, ased-07");

	static const struct { const char *text, *want; } bad[] = {
		{"a\thappy\nb\n", "map.tsv:2: expected key<TAB>label"},
		{"a\thappy\nb\tsad\nc\tx\ty\tz\n", "map.tsv:3: more than 3"},
		{"a\thappy\n\tsad\n", "map.tsv:2: empty key"},
		{"a\t\n", "map.tsv:1: empty label"},
		{"a\thappy\n#\nb\tsad\na\tsad\n", "map.tsv:4: duplicate key 'a' (first on line 1)"},
		{"a\thap,py\n", "map.tsv:1: invalid label"},
		{"a\thappy\t\n", "map.tsv:1: empty speaker"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		f = text(bad[i].text);
		m = ser_labelmap_read(f, "map.tsv", &err);
		fclose(f);
		CHECK(!m && err.code == SER_EFORMAT && strstr(err.msg, bad[i].want), "bad map %zu: %s", i, err.msg);
		ser_labelmap_free(m);
	}
	f = fmemopen("a\0b\thappy\n", 11, "r");
	m = ser_labelmap_read(f, "map.tsv", &err);
	fclose(f);
	CHECK(!m && strstr(err.msg, "NUL"), "NUL byte refused: %s", err.msg);
	m = ser_labelmap_load("/nonexistent/ser-map.tsv", &err);
	CHECK(!m && err.code == SER_EIO, "missing file: %s", err.msg);

	/* Many keys: every one found through the hash table. */
	size_t n = 20000, cap = n * 24 + 1, len = 0;
	char *big = malloc(cap);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(big + len, cap - len, "k%zu\t%s\n", i, i % 2 ? "odd" : "even");
	f = text(big);
	m = ser_labelmap_read(f, "big", &err);
	fclose(f);
	size_t found = 0;
	char key[32];
	for (size_t i = 0; m && i < n; i++) {
		snprintf(key, sizeof key, "k%zu", i);
		const ser_labelmap_entry *e = ser_labelmap_get(m, key);
		found += e && strcmp(e->label, i % 2 ? "odd" : "even") == 0 && e->line == (long)i + 1;
	}
	CHECK(m && ser_labelmap_count(m) == n && found == n, "20000 keys all found (%zu)", found);
	ser_labelmap_free(m);
	free(big);
}

static void test_pred(void)
{
	ser_error err;
	ser_pred p;
	double prob[8];
	char line[512];

	strcpy(line, "a.wav\thappy\t0.75");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == 1 && strcmp(p.key, "a.wav") == 0
	      && strcmp(p.label, "happy") == 0 && p.confidence == 0.75 && p.nprob == 0 && !p.json, "TSV 3 fields");
	strcpy(line, "a b\tsad\t0.5\t0.1\t0.5\t0.4");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == 1 && p.nprob == 3 && p.prob == prob
	      && prob[0] == 0.1 && prob[2] == 0.4 && strcmp(p.key, "a b") == 0, "TSV with 3 probabilities, space in key");
	strcpy(line, "k\t0\t0.9\t0.9\t0.1");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == 1 && strcmp(p.label, "0") == 0 && p.nprob == 2,
	      "numeric label with probabilities is not over-time");
	strcpy(line, "# comment");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == 0, "comment skipped");
	line[0] = '\0';
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == 0, "blank skipped");
	strcpy(line, "k\t0.00\t1.50\thappy\t0.8");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == SER_EFORMAT && strstr(err.msg, "over-time"),
	      "over-time TSV refused: %s", err.msg);
	strcpy(line, "k\thappy");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == SER_EFORMAT && strstr(err.msg, "found 2 fields"),
	      "2 fields refused: %s", err.msg);
	strcpy(line, "k\thappy\thigh");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == SER_EFORMAT && strstr(err.msg, "confidence"),
	      "bad confidence refused: %s", err.msg);
	strcpy(line, "k\thappy\t0.5\tx");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == SER_EFORMAT, "bad probability refused");
	strcpy(line, "k\thappy\tnan");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == SER_EFORMAT, "NaN confidence refused");
	strcpy(line, "\thappy\t0.5");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == SER_EFORMAT && strstr(err.msg, "empty key"), "empty key refused");
	strcpy(line, "k\thappy\t0.5\t1\t2\t3");
	CHECK(ser_pred_parse(line, &p, prob, 2, &err) == SER_ELIMIT, "too many probabilities refused");

	strcpy(line, " {\"key\": \"dir/a \\\"q\\\"\\t\\u00e9\\ud83d\\ude00.wav\", \"label\":\"sad\",\"confidence\":9e-1,"
	       "\"probs\":[0.1, 0.9],\"extra\":{\"x\":[1,true,null,\"}\"]},\"f\":false} ");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == 1 && p.json && strcmp(p.label, "sad") == 0
	      && p.confidence == 0.9 && p.nprob == 2 && prob[1] == 0.9
	      && strcmp(p.key, "dir/a \"q\"\t\xc3\xa9\xf0\x9f\x98\x80.wav") == 0, "JSON with escapes, probs, skipped members (%s)", err.msg);
	strcpy(line, "{\"label\":\"sad\",\"key\":\"k\"}");
	CHECK(ser_pred_parse(line, &p, prob, 8, &err) == 1 && isnan(p.confidence), "JSON without confidence: NaN");
	static const char *badjson[] = {
		"{\"key\":\"k\",\"label\":\"sad\",\"start\":0.0,\"end\":1.5}",
		"{\"key\":\"k\"}",
		"{\"key\":\"k\",\"label\":3}",
		"{\"key\":\"k\",\"label\":\"sad\"",
		"{\"key\":\"k\",\"label\":\"sad\"} x",
		"{\"key\":\"k\\q\",\"label\":\"sad\"}",
		"{\"key\":\"k\",\"label\":\"sad\",\"confidence\":\"high\"}",
		"{\"key\":\"\\ud800\",\"label\":\"sad\"}",
		"{\"key\":\"k\",\"label\":\"sad\",\"x\":[1,}",
		"{key:\"k\"}",
	};
	for (size_t i = 0; i < sizeof badjson / sizeof badjson[0]; i++) {
		strcpy(line, badjson[i]);
		CHECK(ser_pred_parse(line, &p, prob, 8, &err) == SER_EFORMAT, "bad JSON %zu refused: %s", i, err.msg);
	}

	/* The reader: line numbers in errors. */
	FILE *f = text("# header\na\thappy\t0.9\n\n{\"key\":\"b\",\"label\":\"sad\",\"confidence\":0.6}\nc\thappy\n");
	ser_predreader *r = ser_predreader_new(f, "labels.tsv", &err);
	int k1 = ser_predreader_next(r, &p, &err);
	CHECK(k1 == 1 && strcmp(p.key, "a") == 0 && p.line == 2, "reader: line 2");
	int k2 = ser_predreader_next(r, &p, &err);
	CHECK(k2 == 1 && strcmp(p.key, "b") == 0 && p.line == 4 && p.json, "reader: JSON line 4");
	int k3 = ser_predreader_next(r, &p, &err);
	CHECK(k3 == SER_EFORMAT && strncmp(err.msg, "labels.tsv:5: expected key", 26) == 0, "reader error: %s", err.msg);
	ser_predreader_free(r);
	fclose(f);
	f = text("");
	r = ser_predreader_new(f, "-", &err);
	CHECK(ser_predreader_next(r, &p, &err) == 0, "reader: empty input is EOF");
	ser_predreader_free(r);
	fclose(f);
}

static void test_escape(void)
{
	char buf[64];
	size_t n = ser_json_escape(buf, sizeof buf, "a\"b\\c\n\x01\xc3\xa9");
	CHECK(strcmp(buf, "a\\\"b\\\\c\\n\\u0001\xc3\xa9") == 0 && n == strlen(buf), "escape: %s", buf);
	n = ser_json_escape(buf, 4, "a\"bc");
	CHECK(n == 5 && strcmp(buf, "a\\\"") == 0, "escape truncated, full length returned");
	/* ser-classify(1)'s rule: other control bytes and DEL as \u00XX, a
	 * byte that does not start valid UTF-8 as \u00XX with its value */
	static const char *const cases[][2] = {
		{ "\b\f\x7f", "\\u0008\\u000c\\u007f" },
		{ "bad\xff\xfex", "bad\\u00ff\\u00fex" },
		{ "\xc0\xaf", "\\u00c0\\u00af" },                      /* overlong '/' */
		{ "\xed\xa0\x80", "\\u00ed\\u00a0\\u0080" },             /* a surrogate */
		{ "\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080" },  /* above U+10FFFF */
		{ "\xe2\x82", "\\u00e2\\u0082" },                      /* cut short at the end */
		{ "\xe2\x82x", "\\u00e2\\u0082x" },                    /* cut short by ASCII */
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = ser_json_escape(buf, sizeof buf, cases[i][0]);
		CHECK(strcmp(buf, cases[i][1]) == 0 && n == strlen(cases[i][1]),
		      "escape invalid UTF-8 / control bytes, case %zu: %s", i, buf);
	}
	CHECK(ser_json_escape(NULL, 0, "\xff\"") == 8, "escape: length only with a NULL buffer");
	/* round trip through the JSON reader */
	char line[256];
	ser_pred p;
	ser_error err;
	double prob[1];
	const char *key = "x\t\"y\"\\z\x7f\x1f";
	ser_json_escape(buf, sizeof buf, key);
	snprintf(line, sizeof line, "{\"key\":\"%s\",\"label\":\"calm\",\"confidence\":1}", buf);
	CHECK(ser_pred_parse(line, &p, prob, 1, &err) == 1 && strcmp(p.key, key) == 0, "escape round trip");
}

/* TSV keys: escaped and read back byte for byte; distinct keys stay distinct. */
static void test_tsv_keys(void)
{
	static const char *const keys[] = { "d\tx/F", "d x/F", "d\\tx/F", "d\nx\r/F", "\\", "plain", NULL };
	char esc[6][64], back[64];
	for (int i = 0; keys[i]; i++) {
		size_t n = ser_tsv_escape(esc[i], sizeof esc[i], keys[i]);
		CHECK(n == strlen(esc[i]) && !strpbrk(esc[i], "\t\n\r"), "escaped key %d: '%s'", i, esc[i]);
		snprintf(back, sizeof back, "%s", esc[i]);
		ser_tsv_unescape(back);
		CHECK(!strcmp(back, keys[i]), "key %d read back as it was", i);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(esc[i], esc[j]), "keys %d and %d stay distinct", j, i);
	}
	CHECK(ser_tsv_escape(back, 4, "a\tbc") == 5 && !strcmp(back, "a\\t"), "short buffer: truncated, length needed");
	snprintf(back, sizeof back, "C:\\x\\");
	ser_tsv_unescape(back);
	CHECK(!strcmp(back, "C:\\x\\"), "a backslash before another byte stays");
	ser_pred p;
	double prob[4];
	char line[] = "a\\tb\\\\c\tangry\t0.5";
	CHECK(ser_pred_parse(line, &p, prob, 4, NULL) == 1 && !strcmp(p.key, "a\tb\\c"),
	      "prediction line: key unescaped");
}

int main(void)
{
	test_tsv_keys();
	test_classes();
	test_names();
	test_map();
	test_pred();
	test_escape();
	return check_status();
}
