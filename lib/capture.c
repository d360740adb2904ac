/* ALSA capture: mono float at a requested rate, in blocks of one period.
 *
 * The device is asked for S16_LE (else FLOAT_LE, S32_LE), `rate` Hz and one
 * channel; whatever it grants instead is downmixed (mean of channels) and
 * resampled here. Periods are ~10 ms so a reader sees audio promptly.
 *
 * The ALSA `file` plugin with `infile` (a "virtual microphone") has no way
 * to say "end of data": alsa-lib 1.2.8 returns full periods after the
 * file's end without writing the caller's buffer, newer versions return the
 * frames actually read (0 at the end). For that plugin type only, the read
 * buffer is pre-filled with a pattern, each period is held back by one
 * read, and a period left entirely untouched marks the end: the held period
 * loses its untouched tail and the device counts as finished. */
#include "audio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <alsa/asoundlib.h>

#define PERIOD_US 10000         /* wanted period, microseconds */
#define BUFFER_US 200000        /* wanted ring buffer, microseconds */

struct ser_capture {
	snd_pcm_t *pcm;
	snd_pcm_format_t fmt;
	int rate;               /* requested output rate, Hz */
	unsigned dev_rate;      /* Hz */
	unsigned channels;      /* device channels */
	size_t bpf;             /* bytes per device frame */
	snd_pcm_uframes_t period;   /* frames */
	int file_type;          /* SND_PCM_TYPE_FILE: end-of-data detection */
	int eof;                /* no more device frames */
	int flushed;            /* resampler tail delivered */
	ser_resampler *rs;
	unsigned char *raw;     /* (period, channels) device frames */
	unsigned char *held;    /* file plugin: previous period, not yet delivered */
	size_t held_frames;
	unsigned char *pattern; /* file plugin: fill pattern, period bytes */
	float *mono;            /* (period) */
	float *pend;            /* resampled output not yet returned */
	size_t pend_cap, pend_n, pend_off;
};

/* alsa-lib prints its own errors on stderr unless told otherwise; libser
 * must not print. */
static void quiet_handler(const char *file, int line, const char *function, int err,
                          const char *fmt, ...)
{
	(void)file; (void)line; (void)function; (void)err; (void)fmt;
}

static int dev_err(ser_error *err, const char *what, int e)
{
	return ser_seterr(err, SER_EDEVICE, "%s: %s", what, snd_strerror(e));
}

static int setup(ser_capture *c, const char *device, ser_error *err)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	static const snd_pcm_format_t fmts[] = {
		SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_FLOAT_LE, SND_PCM_FORMAT_S32_LE
	};
	unsigned rate = (unsigned)c->rate, ptime = PERIOD_US, btime = BUFFER_US;
	int e, dir = 0;
	size_t i;

	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	if ((e = snd_pcm_hw_params_any(c->pcm, hw)) < 0)
		return dev_err(err, device, e);
	if ((e = snd_pcm_hw_params_set_access(c->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0)
		return dev_err(err, "interleaved access", e);
	for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
		if (snd_pcm_hw_params_test_format(c->pcm, hw, fmts[i]) == 0)
			break;
	if (i == sizeof fmts / sizeof fmts[0])
		return ser_seterr(err, SER_EDEVICE, "%s: offers none of S16_LE, FLOAT_LE, S32_LE", device);
	c->fmt = fmts[i];
	if ((e = snd_pcm_hw_params_set_format(c->pcm, hw, c->fmt)) < 0)
		return dev_err(err, "sample format", e);
	if (snd_pcm_hw_params_test_channels(c->pcm, hw, 1) == 0)
		e = snd_pcm_hw_params_set_channels(c->pcm, hw, 1);
	else
		e = snd_pcm_hw_params_set_channels_first(c->pcm, hw, &c->channels);
	if (e < 0)
		return dev_err(err, "channels", e);
	if ((e = snd_pcm_hw_params_set_rate_near(c->pcm, hw, &rate, &dir)) < 0)
		return dev_err(err, "rate", e);
	dir = 0;
	snd_pcm_hw_params_set_period_time_near(c->pcm, hw, &ptime, &dir);
	dir = 0;
	snd_pcm_hw_params_set_buffer_time_near(c->pcm, hw, &btime, &dir);
	if ((e = snd_pcm_hw_params(c->pcm, hw)) < 0)
		return dev_err(err, "hardware parameters", e);
	snd_pcm_hw_params_get_channels(hw, &c->channels);
	snd_pcm_hw_params_get_rate(hw, &c->dev_rate, &dir);
	snd_pcm_hw_params_get_period_size(hw, &c->period, &dir);
	if (c->channels < 1 || c->channels > SER_CHANNELS_MAX)
		return ser_seterr(err, SER_ELIMIT, "%s: %u channels outside [1, %d]", device,
		                  c->channels, SER_CHANNELS_MAX);
	if (c->dev_rate < SER_RATE_MIN || c->dev_rate > SER_RATE_MAX)
		return ser_seterr(err, SER_ELIMIT, "%s: rate %u Hz outside [%d, %d]", device,
		                  c->dev_rate, SER_RATE_MIN, SER_RATE_MAX);
	if (c->period < 1 || c->period > (1u << 20))
		return ser_seterr(err, SER_EDEVICE, "%s: period of %lu frames", device,
		                  (unsigned long)c->period);
	if ((e = snd_pcm_sw_params_current(c->pcm, sw)) < 0 ||
	    (e = snd_pcm_sw_params_set_avail_min(c->pcm, sw, c->period)) < 0 ||
	    (e = snd_pcm_sw_params(c->pcm, sw)) < 0)
		return dev_err(err, "software parameters", e);
	c->bpf = (size_t)snd_pcm_format_physical_width(c->fmt) / 8 * c->channels;
	return 0;
}

ser_capture *ser_capture_open(const char *device, int rate, int quality, ser_error *err)
{
	ser_capture *c;
	int e;
	size_t pb;

	if (rate < SER_RATE_MIN || rate > SER_RATE_MAX) {
		ser_seterr(err, SER_EINVAL, "rate %d Hz outside [%d, %d]", rate, SER_RATE_MIN, SER_RATE_MAX);
		return NULL;
	}
	snd_lib_error_set_handler(quiet_handler);
	c = calloc(1, sizeof *c);
	if (!c) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	c->rate = rate;
	if ((e = snd_pcm_open(&c->pcm, device, SND_PCM_STREAM_CAPTURE, 0)) < 0) {
		c->pcm = NULL;
		dev_err(err, "cannot open for capture", e);
		goto fail;
	}
	if (setup(c, device, err) < 0)
		goto fail;
	c->file_type = snd_pcm_type(c->pcm) == SND_PCM_TYPE_FILE;
	pb = c->period * c->bpf;
	c->pend_cap = (size_t)((double)c->period * rate / c->dev_rate) + 64;
	if (!(c->raw = malloc(pb)) || !(c->mono = malloc(sizeof *c->mono * c->period)) ||
	    !(c->pend = malloc(sizeof *c->pend * c->pend_cap)) ||
	    (c->file_type && (!(c->held = malloc(pb)) || !(c->pattern = malloc(pb))))) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		goto fail;
	}
	if (c->file_type) {
		uint32_t x = 0x9e3779b9u;   /* fixed LCG: a pattern audio will not match */
		for (size_t i = 0; i < pb; i++) {
			x = x * 1664525u + 1013904223u;
			c->pattern[i] = (unsigned char)(x >> 24);
		}
	}
	if ((int)c->dev_rate != rate) {
		c->rs = ser_resampler_new(c->dev_rate, rate, quality, err);
		if (!c->rs)
			goto fail;
	}
	return c;
fail:
	ser_capture_close(c);
	return NULL;
}

int ser_capture_device_rate(const ser_capture *c) { return (int)c->dev_rate; }
int ser_capture_device_channels(const ser_capture *c) { return (int)c->channels; }
size_t ser_capture_period(const ser_capture *c) { return c->period; }
int ser_capture_eof(const ser_capture *c) { return c->eof && c->flushed && c->pend_n == c->pend_off; }

/* Device frames (interleaved, c->fmt) to mono float. */
static void to_mono(ser_capture *c, const unsigned char *b, size_t n)
{
	unsigned nc = c->channels;
	for (size_t i = 0; i < n; i++) {
		double s = 0;
		for (unsigned ch = 0; ch < nc; ch++) {
			size_t k = i * nc + ch;
			switch (c->fmt) {
			case SND_PCM_FORMAT_S16_LE: {
				int16_t v;
				uint16_t u = (uint16_t)(b[2 * k] | b[2 * k + 1] << 8);
				memcpy(&v, &u, 2);
				s += v / 32768.0;
				break;
			}
			case SND_PCM_FORMAT_S32_LE: {
				uint32_t u = (uint32_t)b[4 * k] | (uint32_t)b[4 * k + 1] << 8 |
				             (uint32_t)b[4 * k + 2] << 16 | (uint32_t)b[4 * k + 3] << 24;
				int32_t v;
				memcpy(&v, &u, 4);
				s += v / 2147483648.0;
				break;
			}
			default: {
				uint32_t u = (uint32_t)b[4 * k] | (uint32_t)b[4 * k + 1] << 8 |
				             (uint32_t)b[4 * k + 2] << 16 | (uint32_t)b[4 * k + 3] << 24;
				float f;
				memcpy(&f, &u, 4);
				s += f;
			}
			}
		}
		c->mono[i] = (float)(s / nc);
	}
}

/* Reads one period from the device into c->mono; returns frames (0: none
 * this time), or a negative status. Sets c->eof at the end of a file device. */
static long read_period(ser_capture *c, int *overruns, ser_error *err)
{
	snd_pcm_sframes_t r;
	size_t pb = c->period * c->bpf, n;

	if (c->file_type)
		memcpy(c->raw, c->pattern, pb);
	r = snd_pcm_readi(c->pcm, c->raw, c->period);
	if (r == -EPIPE) {                      /* overrun: samples lost, go on */
		if (overruns)
			(*overruns)++;
		if ((r = snd_pcm_prepare(c->pcm)) < 0)
			return dev_err(err, "recovering from overrun", (int)r);
		return 0;
	}
	if (r == -ESTRPIPE) {                   /* suspended: resume or restart */
		int e;
		while ((e = snd_pcm_resume(c->pcm)) == -EAGAIN)
			sleep(1);
		if (e < 0 && (e = snd_pcm_prepare(c->pcm)) < 0)
			return dev_err(err, "resuming after suspend", e);
		return 0;
	}
	if (r == -EINTR || r == -EAGAIN)
		return 0;
	if (r < 0)
		return dev_err(err, "read", (int)r);
	if (!c->file_type) {
		to_mono(c, c->raw, (size_t)r);
		return r;
	}
	/* file plugin: deliver the held period, hold this one */
	n = (size_t)r;
	if (n > 0 && memcmp(c->raw, c->pattern, n * c->bpf) == 0)
		n = 0;                              /* untouched: end of the input file */
	if (n == 0) {
		size_t k = c->held_frames;
		/* trim the held period's untouched tail (a short last read) */
		while (k > 0 && memcmp(c->held + (k - 1) * c->bpf, c->pattern + (k - 1) * c->bpf,
		                       c->bpf) == 0)
			k--;
		to_mono(c, c->held, k);
		c->held_frames = 0;
		c->eof = 1;
		return (long)k;
	}
	{
		size_t k = c->held_frames;
		unsigned char *t = c->held;
		to_mono(c, t, k);
		c->held = c->raw;
		c->raw = t;
		c->held_frames = n;
		return (long)k;
	}
}

long ser_capture_read(ser_capture *c, float *buf, size_t n, int *overruns, ser_error *err)
{
	size_t k = 0;
	long m;
	int rc;

	if (c->pend_off == c->pend_n) {
		c->pend_off = c->pend_n = 0;
		if (c->rs) {                        /* output soxr still holds */
			if ((rc = ser_resampler_process(c->rs, c->mono, 0, c->pend, c->pend_cap, &k, err)) < 0)
				return rc;
			c->pend_n = k;
		}
		if (c->pend_n == 0 && c->eof) {
			if (c->rs && !c->flushed) {
				rc = ser_resampler_process(c->rs, NULL, 0, c->pend, c->pend_cap, &k, err);
				if (rc < 0)
					return rc;
				c->pend_n = k;
				c->flushed = k == 0;
			} else {
				c->flushed = 1;
			}
		} else if (c->pend_n == 0) {
			m = read_period(c, overruns, err);
			if (m < 0)
				return m;
			if (c->rs) {
				rc = ser_resampler_process(c->rs, c->mono, (size_t)m, c->pend, c->pend_cap, &k, err);
				if (rc < 0)
					return rc;
				c->pend_n = k;
			} else {
				memcpy(c->pend, c->mono, sizeof *c->pend * (size_t)m);
				c->pend_n = (size_t)m;
			}
		}
	}
	k = c->pend_n - c->pend_off;
	if (k > n)
		k = n;
	memcpy(buf, c->pend + c->pend_off, sizeof *buf * k);
	c->pend_off += k;
	return (long)k;
}

void ser_capture_close(ser_capture *c)
{
	if (!c)
		return;
	if (c->pcm) {
		snd_pcm_drop(c->pcm);
		snd_pcm_close(c->pcm);
	}
	ser_resampler_free(c->rs);
	free(c->raw);
	free(c->held);
	free(c->pattern);
	free(c->mono);
	free(c->pend);
	free(c);
}
