/* libFuzzer target: the stdin path of the programs: ser_sniff on a pipe,
 * then ser_replay_stream + the feature reader for a feature stream, or
 * ser_audio_open_fd (libsndfile through the pipe buffer, WAV PCM and raw
 * PCM through ser_pcm_in, spooling when a parser seeks ahead) read to the
 * end. Input: byte 0 -- bit 0: raw PCM allowed (s16 at 16 kHz, else
 * refused); bit 1: a regular file (memfd) instead of a pipe; bits 2..3:
 * output rate (0: the file's, 8000, 16000, 22050); then the stream (at
 * most 60 KiB, so that it fits in the pipe before the read end is read).
 * Aborts on: a refusal without a message or with a status outside enum
 * ser_status, a read returning more than asked, a NaN or infinite sample,
 * an audio open on an input that sniffs as empty or features, reading on
 * after the end, raw output when raw was not allowed and libsndfile
 * recognises nothing. Seeds: fuzz/corpus/sniff. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audio.h"
#include "featio.h"

static int input_fd(const uint8_t *s, size_t n, int file)
{
	int p[2];
	if (file) {
		int fd = memfd_create("fuzz_sniff", 0);
		if (fd < 0 || (n && write(fd, s, n) != (ssize_t)n) || lseek(fd, 0, SEEK_SET) != 0)
			abort();
		return fd;
	}
	if (pipe(p) < 0 || (n && write(p[1], s, n) != (ssize_t)n))
		abort();
	close(p[1]);
	return p[0];
}

static void features(int fd, const unsigned char *head, size_t n)
{
	ser_error e;
	ser_fr_ev ev;
	FILE *f = ser_replay_stream(fd, head, n, NULL, NULL, &e);
	ser_fr *r;
	if (!f)
		abort();
	if ((r = ser_fr_open(f, "fuzz", &e)) != NULL) {
		int rc;
		while ((rc = ser_fr_next(r, &ev, &e)) > 0)
			;
		if (rc < 0 && !e.msg[0])
			abort();
		ser_fr_free(r);
	} else if (e.code >= 0 || !e.msg[0]) {
		abort();
	}
	fclose(f);
}

static void audio(int fd, const unsigned char *head, size_t n, int raw_ok, int rate)
{
	static float buf[3000];
	ser_raw_fmt raw = { SER_PCM_S16, 16000, 1 };
	ser_error e;
	long m;
	int reads = 0;
	ser_audio *a = ser_audio_open_fd(fd, head, n, raw_ok ? &raw : NULL, rate, SER_RS_HQ, &e);
	if (!a) {
		if (e.code >= 0 || e.code < SER_EINTR || !e.msg[0])
			abort();
		return;
	}
	while ((m = ser_audio_read(a, buf, sizeof buf / sizeof *buf, &e)) > 0 && reads++ < 100000) {
		if ((size_t)m > sizeof buf / sizeof *buf)
			abort();
		for (long i = 0; i < m; i++)
			if (!isfinite(buf[i]))
				abort();
	}
	if (m < 0 && (e.code != m || !e.msg[0]))
		abort();
	if (m == 0 && ser_audio_read(a, buf, 16, &e) > 0)
		abort();                          /* nothing after the end */
	ser_audio_close(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int rates[4] = { 0, 8000, 16000, 22050 };
	unsigned char head[SER_SNIFF_BYTES];
	size_t n;
	ser_error e;
	int fd, kind;
	if (size < 1 || size > 60000)
		return 0;
	fd = input_fd(data + 1, size - 1, data[0] >> 1 & 1);
	kind = ser_sniff(fd, head, &n, &e);
	if (kind < 0 || n > SER_SNIFF_BYTES || (kind == SER_SNIFF_EMPTY) != (size == 1))
		abort();
	if (kind == SER_SNIFF_FEATURES)
		features(fd, head, n);
	else if (kind == SER_SNIFF_OTHER)
		audio(fd, head, n, data[0] & 1, rates[data[0] >> 2 & 3]);
	close(fd);
	return 0;
}
