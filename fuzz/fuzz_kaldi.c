/* libFuzzer target: Kaldi archives read through ser_fr (lib/kaldi.c).
 * Input: byte 0 -- the dimension (1 + byte % 8, log mel energies of that
 * many bands); then the archive. Aborts on: a refusal without a message or
 * with a status outside enum ser_status, FRAMES events of 0 frames or with
 * NaN or infinite values, an END whose count is not the frames given, an
 * event after the end or after an error. Seeds: fuzz/corpus/kaldi. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "featio.h"
#include "mfcc.h"

int LLVMFuzzerTestOneInput(const uint8_t *s, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *s, size_t n)
{
	static char text[SER_FEAT_SETTINGS_MAX];
	ser_feat_info info;
	ser_feat_opts o;
	ser_error err;
	ser_fr_ev ev;
	ser_fr *r;
	FILE *f;
	char bands[8];
	size_t frames = 0;
	int rc;
	if (n < 1)
		return 0;
	ser_feat_preset(&o, "ser", NULL);
	ser_feat_set(&o, "dct", "none", NULL);
	snprintf(bands, sizeof bands, "%d", 1 + s[0] % 8);
	ser_feat_set(&o, "n-mels", bands, NULL);
	if (ser_feat_info_fill(&o, &info, text, sizeof text, NULL) < 0)
		abort();
	static char none[1];
	f = n > 1 ? fmemopen((void *)(s + 1), n - 1, "rb") : fmemopen(none, 0, "rb");
	if (!f)
		return 0;
	err.code = 0;
	err.msg[0] = '\0';
	r = ser_fr_open_as(f, "fuzz", &info, &err);
	if (!r) {
		if (!err.msg[0] || err.code >= 0 || err.code < SER_EINTR)
			abort();
		fclose(f);
		return 0;
	}
	while ((rc = ser_fr_next(r, &ev, &err)) > 0) {
		if (ev.type == SER_FR_BEGIN)
			frames = 0;
		if (ev.type == SER_FR_FRAMES) {
			if (ev.n == 0)
				abort();
			for (size_t i = 0; i < ev.n * info.dim; i++)
				if (!isfinite(ev.x[i]))
					abort();
			frames += ev.n;
		}
		if (ev.type == SER_FR_END && ev.n != frames)
			abort();
	}
	if (rc < 0 && (!err.msg[0] || rc < SER_EINTR))
		abort();
	if (ser_fr_next(r, &ev, &err) != rc)   /* EOF stays EOF, errors stay */
		abort();
	ser_fr_free(r);
	fclose(f);
	return 0;
}
