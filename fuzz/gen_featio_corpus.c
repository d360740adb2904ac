/* Writes the seed corpus of fuzz_featio (small valid feature streams) into
 * the directory given as argument:
 *   cc -std=c11 -Ilib -o gen fuzz/gen_featio_corpus.c lib/featio.c lib/error.c
 *   ./gen fuzz/corpus/featio */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "featio.h"

static const char settings[] = "rate=16000 frame-length=400 frame-shift=160 n-mels=23 n-ceps=13";

/* One stream: nu utterances of n[i] frames, given to the writer in pieces. */
static void stream(FILE *f, int fmt, unsigned dim, const char *const *keys, const size_t *n, int nu,
                   size_t piece)
{
	ser_feat_info in;
	ser_error e;
	ser_fw *w;
	float x[64];
	in.dim = dim;
	in.rate = 16000;
	in.shift = 160;
	in.length = 400;
	in.settings = settings;
	in.fingerprint = ser_fingerprint(settings, strlen(settings));
	if (!(w = ser_fw_new(f, fmt, &in, &e)))
		goto bad;
	for (int i = 0; i < nu; i++) {
		if (ser_fw_begin(w, keys[i], &e) < 0)
			goto bad;
		for (size_t t = 0; t < n[i]; t += piece) {
			size_t k = n[i] - t < piece ? n[i] - t : piece;
			for (size_t j = 0; j < k * dim; j++)
				x[j] = (float)((int)(t * dim + j) % 7 - 3) * 0.75f;
			if (ser_fw_frames(w, x, k, &e) < 0)
				goto bad;
		}
		if (ser_fw_end(w, &e) < 0)
			goto bad;
	}
	ser_fw_free(w);
	return;
bad:
	fprintf(stderr, "gen_featio_corpus: %s\n", e.msg);
	exit(1);
}

static FILE *create(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(f = fopen(path, "wb"))) {
		perror(path);
		exit(1);
	}
	return f;
}

int main(int argc, char **argv)
{
	static const char *const k3[] = { "a", "empty", "\xc3\xa9t\xc3\xa9 2" };
	static const size_t n3[] = { 3, 0, 2 };
	static const char *const k1[] = { "x" };
	static const size_t n1[] = { 4 };
	FILE *f;
	if (argc != 2) {
		fprintf(stderr, "usage: gen_featio_corpus DIR\n");
		return 1;
	}
	f = create(argv[1], "three-utts");            /* dim 4, records of 2 frames */
	stream(f, SER_FW_BINARY, 4, k3, n3, 3, 2);
	fclose(f);
	f = create(argv[1], "header-only");
	stream(f, SER_FW_BINARY, 13, NULL, NULL, 0, 1);
	fclose(f);
	f = create(argv[1], "concatenated");          /* cat a.feat a.feat */
	stream(f, SER_FW_BINARY, 2, k1, n1, 1, 3);
	stream(f, SER_FW_BINARY, 2, k1, n1, 1, 3);
	fclose(f);
	f = create(argv[1], "pooled-dim40");           /* one vector per utterance */
	stream(f, SER_FW_BINARY, 40, k3, (const size_t[]){ 1, 1, 1 }, 3, 1);
	fclose(f);
	return 0;
}
