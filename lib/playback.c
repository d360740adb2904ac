/* ALSA playback; see playback.h. */
#include "playback.h"
#include "audio.h"

#include <errno.h>
#include <stdlib.h>
#include <alsa/asoundlib.h>

struct ser_playback {
	snd_pcm_t *pcm;
	short buf[1024];   /* s16 samples of one write */
};

/* alsa-lib prints its own errors unless told otherwise; libser must not. */
static void quiet(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
	(void)file; (void)line; (void)function; (void)err; (void)fmt;
}

ser_playback *ser_playback_open(const char *device, int rate, unsigned latency_us, ser_error *err)
{
	ser_playback *p;
	int e;
	if (rate < SER_RATE_MIN || rate > SER_RATE_MAX)
		return ser_seterr(err, SER_EINVAL, "rate %d Hz outside [%d, %d]", rate, SER_RATE_MIN, SER_RATE_MAX), NULL;
	snd_lib_error_set_handler(quiet);
	if (!(p = calloc(1, sizeof *p)))
		return ser_seterr(err, SER_ENOMEM, "out of memory"), NULL;
	if ((e = snd_pcm_open(&p->pcm, device, SND_PCM_STREAM_PLAYBACK, 0)) < 0) {
		free(p);
		return ser_seterr(err, SER_EDEVICE, "cannot open for playback: %s", snd_strerror(e)), NULL;
	}
	if ((e = snd_pcm_set_params(p->pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1,
	                            (unsigned)rate, 1, latency_us)) < 0) {
		ser_playback_close(p);
		return ser_seterr(err, SER_EDEVICE, "cannot play mono s16 at %d Hz: %s", rate, snd_strerror(e)), NULL;
	}
	return p;
}

static int write_s16(ser_playback *p, size_t n, ser_error *err)
{
	size_t off = 0;
	while (off < n) {
		snd_pcm_sframes_t k = snd_pcm_writei(p->pcm, p->buf + off, n - off);
		if (k == -EINTR)
			return ser_seterr(err, SER_EINTR, "interrupted");
		if (k < 0 && snd_pcm_recover(p->pcm, (int)k, 1) < 0)
			return ser_seterr(err, SER_EDEVICE, "playback: %s", snd_strerror((int)k));
		if (k > 0)
			off += (size_t)k;
	}
	return 0;
}

int ser_playback_write(ser_playback *p, const float *x, size_t n, ser_error *err)
{
	const size_t cap = sizeof p->buf / sizeof p->buf[0];
	while (n > 0) {
		size_t k = n < cap ? n : cap;
		int rc;
		ser_pcm_encode(x, k, SER_PCM_S16, p->buf);
		if ((rc = write_s16(p, k, err)) < 0)
			return rc;
		x += k;
		n -= k;
	}
	return 0;
}

void ser_playback_drop(ser_playback *p)
{
	snd_pcm_drop(p->pcm);
	snd_pcm_prepare(p->pcm);
}

void ser_playback_drain(ser_playback *p)
{
	snd_pcm_drain(p->pcm);
	snd_pcm_prepare(p->pcm);
}

void ser_playback_close(ser_playback *p)
{
	if (!p)
		return;
	if (p->pcm)
		snd_pcm_close(p->pcm);
	free(p);
	snd_config_update_free_global();   /* alsa-lib's configuration cache */
}
