/* Writes the seed corpora of the fuzz targets into DIR/<target>/ (run by
 * scripts/fuzz-seeds; the output is committed as fuzz/corpus/). Every
 * file is small (< 2 KB). Input layouts are those the targets expect:
 *   model:  a model file;
 *   pcm:    byte 0 = raw encoding and channels, byte 1 = read size, then
 *           the stream (raw or WAV);
 *   labels: byte 0 = reader, then text (see fuzz_labels.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio.h"
#include "model.h"

static const char *outdir;

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	if (n >= 2048) {
		fprintf(stderr, "%s: %zu bytes, seeds must stay under 2 KB\n", path, n);
		exit(2);
	}
}

static char *dup(const char *s)
{
	char *p = malloc(strlen(s) + 1);
	return strcpy(p, s);
}

static int v3_extras;   /* next model: inverse DCT input and utterance windows */

static void model(const char *name, const char *arch, int layout, int C, int T, int ncls,
                  int dim, int norm, const char *record)
{
	ser_error e;
	ser_model *m = calloc(1, sizeof *m);
	m->net = ser_net_new(arch, C, T, ncls, &e);
	if (!m->net) {
		fprintf(stderr, "%s: %s\n", name, e.msg);
		exit(2);
	}
	ser_net_init(m->net, 1, SER_INIT_GLOROT);
	m->layout = layout;
	m->n_classes = ncls;
	m->class_names = calloc((size_t)ncls, sizeof *m->class_names);
	for (int i = 0; i < ncls; i++) {
		char b[32];
		snprintf(b, sizeof b, "class%d", i);
		m->class_names[i] = dup(b);
	}
	m->feat_dim = (uint32_t)dim, m->feat_rate = 16000, m->feat_shift = 160, m->feat_length = 400;
	m->feat_fingerprint = UINT64_C(0x0123456789abcdef);
	m->feat_settings = dup("rate=16000 n-mels=40 n-ceps=4");
	m->norm_mode = norm;
	if (norm) {
		m->norm_mean = malloc((size_t)dim * sizeof(float));
		m->norm_std = malloc((size_t)dim * sizeof(float));
		for (int j = 0; j < dim; j++)
			m->norm_mean[j] = 0.25f * j, m->norm_std[j] = 1.0f + j;
	}
	m->train_record = record ? dup(record) : NULL;
	if (v3_extras) {
		ser_model_set_idct(m, 1, &e);
		m->utt_window = 20, m->utt_hop = 5;
		v3_extras = 0;
	}
	unsigned char *buf;
	size_t len;
	if (ser_model_to_mem(m, &buf, &len, &e) < 0) {
		fprintf(stderr, "%s: %s\n", name, e.msg);
		exit(2);
	}
	put("model", name, buf, len);
	free(buf);
	ser_model_free(m);
}

static void pcm(const char *name, int cfg, int rd, const void *p, size_t n)
{
	unsigned char b[2048];
	b[0] = (unsigned char)cfg, b[1] = (unsigned char)rd;
	memcpy(b + 2, p, n);
	put("pcm", name, b, n + 2);
}

static size_t le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return 4;
}

/* A WAV header by hand: fmt chunk of fmt_size bytes, an optional extra chunk. */
static size_t wav(unsigned char *b, int tag, int ch, int rate, int bits, int fmt_size,
                  const char *extra, uint32_t data_size)
{
	size_t n = 0;
	memcpy(b, "RIFF", 4), n += 4;
	n += le32(b + n, 0xffffffffu);
	memcpy(b + n, "WAVEfmt ", 8), n += 8;
	n += le32(b + n, (uint32_t)fmt_size);
	unsigned char *f = b + n;
	memset(f, 0, (size_t)fmt_size);
	f[0] = (unsigned char)(tag == 0xfffe ? 0xfe : tag), f[1] = tag == 0xfffe ? 0xff : 0;
	f[2] = (unsigned char)ch;
	le32(f + 4, (uint32_t)rate);
	le32(f + 8, (uint32_t)(rate * ch * bits / 8));
	f[12] = (unsigned char)(ch * bits / 8);
	f[14] = (unsigned char)bits;
	if (tag == 0xfffe)
		f[16] = 22, f[24] = 1;       /* cbSize, subformat PCM */
	n += (size_t)fmt_size;
	if (extra) {
		memcpy(b + n, extra, 4), n += 4;
		n += le32(b + n, 5);
		memcpy(b + n, "abcde\0", 6), n += 6;   /* odd size: one pad byte */
	}
	memcpy(b + n, "data", 4), n += 4;
	n += le32(b + n, data_size);
	return n;
}

static void labels(const char *name, int mode, const char *text)
{
	size_t n = strlen(text);
	char *b = malloc(n + 1);
	b[0] = (char)mode;
	memcpy(b + 1, text, n);
	put("labels", name, b, n + 1);
	free(b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 1;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);

	/* models: every layer kind, both layouts, all normalisations */
	model("seed-vector", "conv:2:5:same relu dropout:0.2 flatten dense", SER_LAYOUT_VECTOR, 1, 8, 3, 8,
	      SER_NORM_GLOBAL, "ser-train --arch seed --seed 1");
	model("frames-bn-stats", "conv:2:3 bn relu maxpool:2 stats dense:3 relu dense", SER_LAYOUT_FRAMES, 3, 0,
	      2, 3, SER_NORM_UTT_MEAN, NULL);
	model("frames-valid-stride", "conv:2:3:valid:2:2 avgpool:2:1 bn:0.9:0.001 relu stats dense",
	      SER_LAYOUT_FRAMES, 2, 0, 4, 2, SER_NORM_NONE, "held-out: 01 02");
	model("frames-fixed-flatten", "conv:1:1 flatten dense", SER_LAYOUT_FRAMES, 2, 3, 2, 2,
	      SER_NORM_GLOBAL, "");
	v3_extras = 1;
	model("frames-2d-idct-windows", "conv2d:2:3 bn relu maxpool2d:2:1 conv:2:3 stats dense",
	      SER_LAYOUT_FRAMES, 4, 0, 3, 4, SER_NORM_UTT_MEAN, "ser-train --arch cnn2d");

	/* PCM: byte 0 bit 0 = f32 raw, bits 1..3 = channels - 1; byte 1 = read size */
	unsigned char b[1024], s[256];
	for (int i = 0; i < 128; i++)
		s[2 * i] = (unsigned char)(i * 7), s[2 * i + 1] = (unsigned char)(i * 13 - 64);
	pcm("raw-s16", 0, 7, s, 64);
	pcm("raw-s16-stereo-odd", 2, 1, s, 63);
	pcm("raw-f32", 1, 255, "\0\0\200\077\0\0\200\277\0\0\300\177\0\0\200\177", 16);
	pcm("raw-short", 0, 3, "RIFF", 4);
	pcm("empty", 0, 1, "", 0);
	size_t n = wav(b, 1, 1, 16000, 16, 16, NULL, 32);
	memcpy(b + n, s, 32);
	pcm("wav-s16", 0, 5, b, n + 32);
	n = wav(b, 3, 1, 22050, 32, 18, "fact", 0xffffffffu);
	memcpy(b + n, "\0\0\200\077\0\0\0\0\0\0\300\177\0\0\200\377", 16);
	pcm("wav-f32-fact-unbounded", 0, 2, b, n + 16);
	n = wav(b, 0xfffe, 2, 48000, 24, 40, "LIST", 24);
	memcpy(b + n, s, 24);
	pcm("wav-ext-s24-stereo-list", 0, 9, b, n + 24);
	n = wav(b, 1, 3, 8000, 8, 16, NULL, 0);
	memcpy(b + n, s, 30);
	pcm("wav-u8-3ch-size0", 0, 4, b, n + 30);
	n = wav(b, 1, 1, 16000, 32, 16, NULL, 40);
	memcpy(b + n, s, 20);
	pcm("wav-s32-truncated", 0, 200, b, n + 20);

	/* labels: byte 0 % 3: 0 TSV map, 1 prediction reader, 2 one line to ser_pred_parse */
	labels("map", 0,
	       "# truth\n03-01-05-01-01-01-07.wav\tangry\tactor07\nx/OAF_back_fear.wav\tfearful\n"
	       "03a01Fa\thappy\r\n\nkey with spaces\tsad\tspk\n");
	labels("map-dup", 0, "a\tcalm\na\tcalm\n");
	labels("preds-tsv", 1,
	       "03-01-05-01-01-01-07\tangry\t0.9\t0.1\t0.9\n# c\nOAF_back_fear\tfearful\t1\n");
	labels("preds-json", 1,
	       "{\"key\": \"a\\tb\\u00e9\\\"\", \"label\": \"happy\", \"confidence\": 0.5, "
	       "\"probs\": [0.5, 0.25, 0.25], \"x\": {\"y\": [1, true, null]}}\n"
	       "{\"label\":\"sad\",\"key\":\"k2\",\"probabilities\":[1e-3,9.99e-1]}\n");
	labels("preds-overtime", 1, "k\t0.00\t1.00\tangry\t0.9\n");
	labels("pred-line-json", 2, "{\"key\":\"\\ud83d\\ude00\",\"label\":\"calm\"}");
	labels("pred-line-tsv", 2, "k\tneutral\tnan");
	return 0;
}
