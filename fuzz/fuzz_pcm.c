/* libFuzzer target: raw and WAV PCM input (lib/audio.h ser_pcm_in_*).
 * Input: byte 0 = raw settings (bit 0: f32 else s16; bits 1..3: channels
 * - 1; bits 4..7 pick the rate), byte 1 = samples asked per read (0 ->
 * 4096), then the stream. The stream is written to a memfd and read to
 * its end. Aborts on: a read returning more than asked, a refusal
 * without a message, integer samples outside [-1, 1], reading on after
 * the end, more samples than the bytes can hold. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audio.h"

static int memfd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int rates[16] = { 16000, 8000, 22050, 44100, 48000, 1000, 384000, 11025,
	                               16000, 16000, 16000, 16000, 16000, 16000, 16000, 16000 };
	if (size < 2 || size > (1u << 20))
		return 0;
	if (memfd < 0 && (memfd = memfd_create("fuzz_pcm", 0)) < 0)
		abort();
	if (ftruncate(memfd, 0) < 0 || lseek(memfd, 0, SEEK_SET) != 0)
		abort();
	const uint8_t *s = data + 2;
	size_t n = size - 2;
	if (n && write(memfd, s, n) != (ssize_t)n)
		abort();
	lseek(memfd, 0, SEEK_SET);

	int enc = data[0] & 1 ? SER_PCM_F32 : SER_PCM_S16, ch = 1 + ((data[0] >> 1) & 7);
	size_t ask = data[1] ? data[1] : 4096;
	ser_error e;
	ser_clearerr(&e);
	ser_pcm_in *p = ser_pcm_in_open(memfd, enc, rates[data[0] >> 4], ch, &e);
	if (!p) {
		if (e.code >= 0 || !e.msg[0])
			abort();
		return 0;
	}
	int rate = ser_pcm_in_rate(p), chans = ser_pcm_in_channels(p), wav = ser_pcm_in_is_wav(p);
	if (rate < SER_RATE_MIN || rate > SER_RATE_MAX || chans < 1 || chans > SER_CHANNELS_MAX)
		abort();
	float *buf = malloc(ask * sizeof *buf);
	size_t total = 0, last = 0;
	long r;
	int loops = 0;
	ser_clearerr(&e);
	while ((r = ser_pcm_in_read(p, buf, ask, &e)) > 0) {
		if ((size_t)r > ask)
			abort();
		for (long i = 0; i < r; i++) {
			/* integer codings give [-1, 1]; f32 passes values as they are */
			if (!wav && enc == SER_PCM_S16 && !(buf[i] >= -1.0f && buf[i] <= 1.0f))
				abort();
		}
		total += (size_t)r;
		last = (size_t)r;
		if (++loops > (1 << 22))
			abort();                 /* no progress: a hang */
	}
	if (r < 0 && (e.code >= 0 || !e.msg[0]))
		abort();
	if (total > n)                       /* at least one byte per sample */
		abort();
	if (r == 0 && ser_pcm_in_read(p, buf, ask, &e) != 0)
		abort();                         /* the end stays the end */
	/* encoders on what was read (NaN, Inf, out of range included) */
	if (last) {
		unsigned char *o = malloc(last * 4);
		ser_pcm_encode(buf, last, SER_PCM_S16, o);
		ser_pcm_encode(buf, last, SER_PCM_F32, o);
		free(o);
	}
	free(buf);
	ser_pcm_in_close(p);
	return 0;
}
