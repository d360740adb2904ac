/* libFuzzer target: the model file loader (lib/model.h,
 * ser_model_from_mem; ser_model_load reads the file into memory and calls
 * it). Each input is loaded twice: as given (almost always refused by the
 * checksum), and with its last 8 bytes replaced by the correct FNV-1a 64
 * checksum, so that the fuzzer reaches the parser behind it. A loaded
 * model must serialise back to exactly the bytes it came from, and a
 * small one runs one forward pass on normalised input.
 * Aborts on: a refusal without a message or a code, a round trip that
 * differs, non-finite or unnormalised probabilities from a net whose
 * weights are at most 100 in magnitude (normalisation: |mean| <= 100,
 * std >= 0.01). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

static void exercise(ser_model *m, const uint8_t *data, size_t size)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	ser_error e;
	if (ser_model_to_mem(m, &buf, &len, &e) < 0) {
		fprintf(stderr, "a loaded model does not save: %s\n", e.msg);
		abort();
	}
	if (size > 8 && data[8] != SER_MODEL_VERSION) {
		/* an older version saves as the current one: that must load back and
		 * save to the same bytes again */
		unsigned char *buf2 = NULL;
		size_t len2 = 0;
		ser_model *m2 = ser_model_from_mem(buf, len, "resaved", &e);
		if (!m2 || ser_model_to_mem(m2, &buf2, &len2, &e) < 0 || len2 != len ||
		    memcmp(buf, buf2, len) != 0) {
			fprintf(stderr, "version %d model saved as %d does not round-trip\n", data[8],
			        SER_MODEL_VERSION);
			abort();
		}
		free(buf2);
		ser_model_free(m2);
	} else if (len != size || memcmp(buf, data, size) != 0) {
		fprintf(stderr, "round trip differs: %zu bytes in, %zu out\n", size, len);
		abort();
	}
	free(buf);
	/* one forward pass when it is cheap */
	ser_net *net = m->net;
	int C = ser_net_in_channels(net), T = ser_net_in_length(net);
	if (T == 0)
		T = ser_net_min_length(net) + 3;
	int frames = m->layout == SER_LAYOUT_VECTOR ? 1 : T;
	if ((double)ser_net_nparams(net) * T > 2e6 || (double)C * T > 1e5 || frames < 1)
		return;
	float *x = calloc((size_t)m->feat_dim * frames, sizeof *x);
	float *in = calloc((size_t)C * T, sizeof *in);
	float *p = calloc((size_t)m->n_classes, sizeof *p);
	for (size_t i = 0; i < (size_t)m->feat_dim * frames; i++)
		x[i] = (float)((i * 37) % 11) - 5.0f;
	int t = ser_model_input(m, x, frames, in, &e);
	if (t < 0 || t != T) {
		fprintf(stderr, "ser_model_input: %d (want %d): %s\n", t, T, e.msg);
		abort();
	}
	/* weights of any finite size load; only with moderate ones (|w| <= 100)
	 * must the outputs be probabilities (larger ones may overflow) */
	float wmax = 0;
	const float *P = ser_net_params(net);
	for (size_t i = 0; i < ser_net_nparams(net); i++)
		wmax = fabsf(P[i]) > wmax ? fabsf(P[i]) : wmax;
	for (uint32_t j = 0; m->norm_mode != SER_NORM_NONE && j < m->feat_dim; j++)
		if (m->norm_std[j] < 0.01f || fabsf(m->norm_mean[j]) > 100)
			wmax = INFINITY;             /* input scaling counts as a weight */
	int frc = ser_net_forward(net, in, T, p, &e);
	if (frc < 0 && e.code != SER_ENOMEM) {
		fprintf(stderr, "forward refused a loaded model: %s\n", e.msg);
		abort();
	}
	if (frc == 0 && wmax <= 100) {
		double s = 0;
		for (int k = 0; k < m->n_classes; k++) {
			if (!(p[k] >= 0 && p[k] <= 1)) {
				fprintf(stderr, "probability %d of %d is %g (arch '%s')\n", k, m->n_classes,
				        p[k], ser_net_arch(net));
				abort();
			}
			s += p[k];
		}
		if (fabs(s - 1) > 1e-3)
			abort();
	}
	free(x), free(in), free(p);
}

static void try_load(const uint8_t *data, size_t size)
{
	ser_error e;
	ser_clearerr(&e);
	ser_model *m = ser_model_from_mem(data, size, "fuzz", &e);
	if (!m) {
		if (e.code >= 0 || e.msg[0] == '\0')
			abort();
		return;
	}
	exercise(m, data, size);
	ser_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	try_load(data, size);
	if (size >= 28) {
		uint8_t *d = malloc(size);
		memcpy(d, data, size);
		uint64_t h = fnv1a64(d, size - 8);
		for (int i = 0; i < 8; i++)
			d[size - 8 + i] = (uint8_t)(h >> (8 * i));
		try_load(d, size);
		free(d);
	}
	return 0;
}
