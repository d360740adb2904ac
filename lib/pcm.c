/* Raw and WAV PCM on a file descriptor (read(2) only, so pipes work), and
 * PCM output encoding. ref: Microsoft RIFF/WAVE (fmt, fact, data chunks);
 * arecord to a pipe writes data size 0x80000000 (older: 0x7fffffff), sox
 * 0x7ffff000; all of these mean "read to the end". */
#include "audio.h"
#include "bytes.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAWCAP 16384            /* bytes buffered from the fd */
#define FMT_MAX 1024            /* largest fmt chunk accepted, bytes */
#define SKIP_MAX (16L << 20)    /* largest unknown chunk skipped, bytes */
#define SKIP_TOTAL (64L << 20)  /* all skipped chunks together, bytes */
#define UNBOUNDED UINT64_MAX

enum { K_U8, K_S16, K_S24, K_S32, K_F32 };

struct ser_pcm_in {
	int fd;
	unsigned char *pre;     /* bytes already taken from fd, read first (or NULL) */
	size_t npre, prepos;
	int rate;           /* Hz */
	int channels;
	int kind;           /* K_* sample coding */
	int bps;            /* bytes per sample */
	int wav;
	int eof;
	uint64_t left;      /* bytes of data still to read, UNBOUNDED until EOF */
	size_t have;        /* bytes in raw */
	unsigned char raw[RAWCAP];
};

/* One read(2), served first from the bytes given at open. */
static ssize_t src_read(ser_pcm_in *s, unsigned char *p, size_t n)
{
	if (s->prepos < s->npre) {
		size_t k = s->npre - s->prepos < n ? s->npre - s->prepos : n;
		memcpy(p, s->pre + s->prepos, k);
		s->prepos += k;
		return (ssize_t)k;
	}
	return read(s->fd, p, n);
}

/* Reads exactly n bytes unless EOF comes first; returns bytes read or a
 * negative status (SER_EINTR when interrupted by a caught signal). */
static long read_full(ser_pcm_in *s, unsigned char *p, size_t n, ser_error *err)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = src_read(s, p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				return ser_seterr(err, SER_EINTR, "read interrupted");
			return ser_seterr(err, SER_EIO, "read: %s", strerror(errno));
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

/* Skips n bytes by reading them (pipes cannot seek). */
static int skip_bytes(ser_pcm_in *s, uint64_t n, ser_error *err)
{
	unsigned char tmp[4096];
	while (n > 0) {
		size_t k = n < sizeof tmp ? (size_t)n : sizeof tmp;
		long r = read_full(s, tmp, k, err);
		if (r < 0)
			return (int)r;
		if ((size_t)r < k)
			return ser_seterr(err, SER_ETRUNC, "WAV header: file ends inside a chunk");
		n -= k;
	}
	return 0;
}

static int parse_fmt(ser_pcm_in *p, const unsigned char *f, uint32_t size, ser_error *err)
{
	unsigned tag = ser_get_le16(f), ch = ser_get_le16(f + 2), bits = ser_get_le16(f + 14), align = ser_get_le16(f + 12);
	uint32_t rate = ser_get_le32(f + 4);

	if (tag == 0xFFFE) {            /* WAVE_FORMAT_EXTENSIBLE: subformat GUID at 24 */
		if (size < 40)
			return ser_seterr(err, SER_EFORMAT, "WAV header: short extensible fmt chunk");
		tag = ser_get_le16(f + 24);
	}
	if (ch < 1 || ch > SER_CHANNELS_MAX)
		return ser_seterr(err, SER_ELIMIT, "WAV header: %u channels outside [1, %d]",
		                  ch, SER_CHANNELS_MAX);
	if (rate < SER_RATE_MIN || rate > SER_RATE_MAX)
		return ser_seterr(err, SER_ELIMIT, "WAV header: rate %u Hz outside [%d, %d]",
		                  (unsigned)rate, SER_RATE_MIN, SER_RATE_MAX);
	if (tag == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32))
		p->kind = bits == 8 ? K_U8 : bits == 16 ? K_S16 : bits == 24 ? K_S24 : K_S32;
	else if (tag == 3 && bits == 32)
		p->kind = K_F32;
	else
		return ser_seterr(err, SER_EFORMAT,
		                  "WAV header: unsupported coding (format tag %u, %u bits)", tag, bits);
	p->bps = (int)bits / 8;
	if (align != ch * (unsigned)p->bps)
		return ser_seterr(err, SER_EFORMAT, "WAV header: block align %u is not %u channels x %d bytes",
		                  align, ch, p->bps);
	p->channels = (int)ch;
	p->rate = (int)rate;
	return 0;
}

/* Parses the chunks after "RIFF<size>WAVE" up to the start of the data. */
static int parse_wav(ser_pcm_in *p, ser_error *err)
{
	unsigned char h[8], f[FMT_MAX];
	int have_fmt = 0, rc;
	long r;
	uint64_t skipped = 0;

	for (;;) {
		r = read_full(p, h, 8, err);
		if (r < 0)
			return (int)r;
		if (r < 8)
			return ser_seterr(err, r ? SER_ETRUNC : SER_EFORMAT,
			                  "WAV header: no data chunk");
		uint32_t size = ser_get_le32(h + 4);
		if (memcmp(h, "fmt ", 4) == 0) {
			if (have_fmt)
				return ser_seterr(err, SER_EFORMAT, "WAV header: two fmt chunks");
			if (size < 16 || size > FMT_MAX)
				return ser_seterr(err, SER_EFORMAT, "WAV header: fmt chunk of %u bytes",
				                  (unsigned)size);
			size_t n = size + (size & 1);
			r = read_full(p, f, n > FMT_MAX ? FMT_MAX : n, err);
			if (r < 0)
				return (int)r;
			if ((size_t)r < size)
				return ser_seterr(err, SER_ETRUNC, "WAV header: truncated fmt chunk");
			if (n > FMT_MAX && (rc = skip_bytes(p, n - FMT_MAX, err)) < 0)
				return rc;
			if ((rc = parse_fmt(p, f, size, err)) < 0)
				return rc;
			have_fmt = 1;
		} else if (memcmp(h, "data", 4) == 0) {
			if (!have_fmt)
				return ser_seterr(err, SER_EFORMAT, "WAV header: data chunk before fmt");
			/* 0 and >= 0x7ffff000: length unknown (streaming writers:
			 * sox to a pipe writes 0x7ffff000, arecord 0x7fffffff or
			 * 0x80000000) */
			p->left = (size == 0 || size >= 0x7ffff000u) ? UNBOUNDED : size;
			return 0;
		} else {
			uint64_t n = (uint64_t)size + (size & 1);
			if (n > SKIP_MAX || skipped + n > SKIP_TOTAL)
				return ser_seterr(err, SER_ELIMIT, "WAV header: chunk '%.4s' of %u bytes is too large",
				                  (const char *)h, (unsigned)size);
			skipped += n;
			if ((rc = skip_bytes(p, n, err)) < 0)
				return rc;
		}
	}
}

ser_pcm_in *ser_pcm_in_open(int fd, int enc, int rate, int channels, ser_error *err)
{
	return ser_pcm_in_open_after(fd, NULL, 0, enc, rate, channels, err);
}

ser_pcm_in *ser_pcm_in_open_after(int fd, const void *head, size_t n, int enc, int rate, int channels,
                                  ser_error *err)
{
	ser_pcm_in *p;
	long r;
	int rc;

	if (enc != SER_PCM_S16 && enc != SER_PCM_F32) {
		ser_seterr(err, SER_EINVAL, "unknown PCM encoding %d", enc);
		return NULL;
	}
	if (rate < SER_RATE_MIN || rate > SER_RATE_MAX || channels < 1 || channels > SER_CHANNELS_MAX) {
		ser_seterr(err, SER_EINVAL, "raw PCM: rate %d Hz or %d channels out of range", rate, channels);
		return NULL;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	p->fd = fd;
	p->left = UNBOUNDED;
	if (n && !(p->pre = malloc(n))) {
		free(p);
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	if (n)
		memcpy(p->pre, head, n);
	p->npre = n;
	r = read_full(p, p->raw, 12, err);
	if (r < 0)
		goto fail;
	if (r == 12 && memcmp(p->raw, "RIFF", 4) == 0 && memcmp(p->raw + 8, "WAVE", 4) == 0) {
		p->wav = 1;
		if ((rc = parse_wav(p, err)) < 0)
			goto fail;
	} else {
		/* raw: the bytes read so far are samples */
		p->have = (size_t)r;
		p->rate = rate;
		p->channels = channels;
		p->kind = enc == SER_PCM_S16 ? K_S16 : K_F32;
		p->bps = enc == SER_PCM_S16 ? 2 : 4;
		if (r < 12)
			p->eof = 1;
	}
	return p;
fail:
	ser_pcm_in_close(p);
	return NULL;
}

int ser_pcm_in_rate(const ser_pcm_in *p) { return p->rate; }
int ser_pcm_in_channels(const ser_pcm_in *p) { return p->channels; }
int ser_pcm_in_is_wav(const ser_pcm_in *p) { return p->wav; }

static float sample(const unsigned char *b, int kind)
{
	switch (kind) {
	case K_U8: return (float)(b[0] - 128) / 128.0f;
	case K_S16: return (float)(int16_t)ser_get_le16(b) / 32768.0f;
	case K_S24: {
		int32_t v = (int32_t)((uint32_t)b[0] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 24);
		return (float)((double)(v >> 8) / 8388608.0);
	}
	case K_S32: return (float)((double)(int32_t)ser_get_le32(b) / 2147483648.0);
	default: {
		uint32_t u = ser_get_le32(b);
		float f;
		memcpy(&f, &u, sizeof f);
		return f;
	}
	}
}

long ser_pcm_in_read(ser_pcm_in *p, float *buf, size_t n, ser_error *err)
{
	size_t fb = (size_t)p->bps * (size_t)p->channels, k, i;

	if (n == 0)
		return 0;
	while (p->have < fb) {
		size_t room = RAWCAP - p->have;
		ssize_t r;
		if (p->eof || p->left == 0) {
			p->eof = 1;
			if (p->have)
				return ser_seterr(err, SER_ETRUNC, "stream ends inside a sample (%zu stray bytes)",
				                  p->have);
			return 0;
		}
		if (p->left != UNBOUNDED && room > p->left)
			room = (size_t)p->left;
		r = src_read(p, p->raw + p->have, room);
		if (r < 0) {
			if (errno == EINTR)
				return ser_seterr(err, SER_EINTR, "read interrupted");
			return ser_seterr(err, SER_EIO, "read: %s", strerror(errno));
		}
		if (r == 0) {
			p->eof = 1;
			if (p->left != UNBOUNDED)
				return ser_seterr(err, SER_ETRUNC, "WAV data ends %llu bytes early",
				                  (unsigned long long)p->left);
			continue;
		}
		p->have += (size_t)r;
		if (p->left != UNBOUNDED)
			p->left -= (uint64_t)r;
	}
	k = p->have / fb;
	if (k > n)
		k = n;
	if (p->channels == 1 && p->kind == K_S16) {
		/* the common case in one tight loop; same values as sample() */
		const unsigned char *f = p->raw;
		for (i = 0; i < k; i++, f += 2)
			buf[i] = (float)(int16_t)ser_get_le16(f) / 32768.0f;
	}
	for (i = p->channels == 1 && p->kind == K_S16 ? k : 0; i < k; i++) {
		const unsigned char *f = p->raw + i * fb;
		if (p->channels == 1) {
			buf[i] = sample(f, p->kind);
		} else {
			double s = 0;
			for (int c = 0; c < p->channels; c++)
				s += sample(f + (size_t)c * (size_t)p->bps, p->kind);
			buf[i] = (float)(s / p->channels);
		}
	}
	p->have -= k * fb;
	memmove(p->raw, p->raw + k * fb, p->have);
	return (long)k;
}

void ser_pcm_in_close(ser_pcm_in *p)
{
	if (p)
		free(p->pre);
	free(p);
}

/* ---- output ---- */

size_t ser_pcm_encode(const float *x, size_t n, int enc, void *out)
{
	unsigned char *o = out;
	size_t i;

	if (enc == SER_PCM_F32) {
		for (i = 0; i < n; i++) {
			uint32_t u;
			memcpy(&u, &x[i], sizeof u);
			o[4 * i] = (unsigned char)u;
			o[4 * i + 1] = (unsigned char)(u >> 8);
			o[4 * i + 2] = (unsigned char)(u >> 16);
			o[4 * i + 3] = (unsigned char)(u >> 24);
		}
		return 4 * n;
	}
	for (i = 0; i < n; i++) {
		/* x * 32768 rounded to nearest (ties to even), clipped to int16; NaN -> 0 */
		double v = (double)x[i] * 32768.0;
		long s;
		if (v >= 32767.0)
			s = 32767;
		else if (v <= -32768.0)
			s = -32768;
		else if (v == v)
			s = lrint(v);
		else
			s = 0;
		uint16_t u = (uint16_t)(int16_t)s;
		o[2 * i] = (unsigned char)u;
		o[2 * i + 1] = (unsigned char)(u >> 8);
	}
	return 2 * n;
}

size_t ser_wav_header(unsigned char *hdr, int rate, int enc, uint32_t data_bytes)
{
	int f32 = enc == SER_PCM_F32;
	unsigned bps = f32 ? 4 : 2;
	size_t len = f32 ? 58 : 44;     /* bytes */
	uint32_t riff;
	unsigned char *p = hdr;

	/* RIFF size = header after the first 8 bytes + data; saturates when unknown */
	riff = data_bytes > 0xffffffffu - (uint32_t)(len - 8) ? 0xffffffffu
	                                                      : data_bytes + (uint32_t)(len - 8);
	memcpy(p, "RIFF", 4);
	ser_put_le32(p + 4, riff);
	memcpy(p + 8, "WAVEfmt ", 8);
	ser_put_le32(p + 16, f32 ? 18 : 16);
	ser_put_le16(p + 20, f32 ? 3 : 1);                 /* PCM or IEEE float */
	ser_put_le16(p + 22, 1);                           /* channels */
	ser_put_le32(p + 24, (uint32_t)rate);
	ser_put_le32(p + 28, (uint32_t)rate * bps);        /* bytes per second */
	ser_put_le16(p + 32, bps);                         /* block align */
	ser_put_le16(p + 34, bps * 8);                     /* bits per sample */
	p += 36;
	if (f32) {
		ser_put_le16(p, 0);                            /* cbSize */
		memcpy(p + 2, "fact", 4);
		ser_put_le32(p + 6, 4);
		ser_put_le32(p + 10, data_bytes == 0xffffffffu ? 0xffffffffu : data_bytes / 4);
		p += 14;
	}
	memcpy(p, "data", 4);
	ser_put_le32(p + 4, data_bytes);
	return len;
}
