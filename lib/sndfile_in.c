/* Audio files through libsndfile: mono (mean of channels) at a chosen rate,
 * read block by block (no whole-file buffer). */
#include "audio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sndfile.h>

#define BLOCK 1024      /* frames read from the file per call */
#define HEAD 65536      /* bytes of a pipe's start kept for seeking back */

/* A pipe seen by libsndfile as a file that can seek back within its first
 * HEAD bytes and nowhere past what has been read (parsers that look for
 * chunks at the end, as for AIFF, then go on from where they are).
 * libsndfile's own pipe mode loses the bytes it sniffs for FLAC
 * (libsndfile PR #1097); this does not. */
struct pipe_io {
	int fd;
	sf_count_t pos;     /* logical position, bytes */
	sf_count_t got;     /* bytes read from fd so far */
	unsigned char head[HEAD];
};

static sf_count_t pio_len(void *u) { (void)u; return SF_COUNT_MAX; }
static sf_count_t pio_tell(void *u) { return ((struct pipe_io *)u)->pos; }

static sf_count_t pio_seek(sf_count_t off, int whence, void *u)
{
	struct pipe_io *p = u;
	sf_count_t to = whence == SEEK_SET ? off : whence == SEEK_CUR ? p->pos + off : -1;
	if (to < 0 || to > p->got || (to < p->got && to >= HEAD))
		return -1;
	p->pos = to;
	return to;
}

static sf_count_t pio_read(void *ptr, sf_count_t n, void *u)
{
	struct pipe_io *p = u;
	unsigned char *o = ptr;
	sf_count_t done = 0;

	while (done < n) {
		if (p->pos < p->got) {          /* replay from head (pos < HEAD here) */
			sf_count_t k = (p->got < HEAD ? p->got : HEAD) - p->pos;
			if (k > n - done)
				k = n - done;
			memcpy(o + done, p->head + p->pos, (size_t)k);
			done += k;
			p->pos += k;
			continue;
		}
		/* pos == got: the next bytes of the pipe */
		unsigned char *dst = o + done;
		ssize_t r = read(p->fd, dst, (size_t)(n - done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (p->got < HEAD)
			memcpy(p->head + p->got, dst,
			       (size_t)(p->got + r > HEAD ? HEAD - p->got : r));
		p->got += r;
		done += r;
		p->pos += r;
	}
	return done;
}

static sf_count_t pio_write(const void *ptr, sf_count_t n, void *u)
{
	(void)ptr; (void)n; (void)u;
	return -1;
}

struct ser_audio {
	SNDFILE *sf;
	struct pipe_io *pio;    /* stdin when it cannot seek */
	int fd;             /* ours to close unless 0 (stdin) */
	int file_rate;      /* Hz */
	int rate;           /* output rate, Hz */
	int channels;
	int in_eof;         /* file exhausted (resampler may still hold samples) */
	ser_resampler *rs;  /* NULL when no resampling */
	float *frames;      /* (BLOCK, channels) interleaved */
	float *mono;        /* (BLOCK) */
};

ser_audio *ser_audio_open(const char *path, int out_rate, int quality, ser_error *err)
{
	SF_INFO info;
	struct stat st;
	ser_audio *a;
	int fd, is_stdin = strcmp(path, "-") == 0;

	if (out_rate != 0 && (out_rate < SER_RATE_MIN || out_rate > SER_RATE_MAX)) {
		ser_seterr(err, SER_EINVAL, "output rate %d Hz outside [%d, %d]",
		           out_rate, SER_RATE_MIN, SER_RATE_MAX);
		return NULL;
	}
	if (is_stdin) {
		fd = 0;
	} else {
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			ser_seterr(err, SER_EIO, "%s", strerror(errno));
			return NULL;
		}
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		ser_seterr(err, SER_EIO, "%s", strerror(EISDIR));
		if (!is_stdin)
			close(fd);
		return NULL;
	}
	memset(&info, 0, sizeof info);
	struct pipe_io *pio = NULL;
	SNDFILE *sf;
	if (lseek(fd, 0, SEEK_CUR) < 0) {
		static SF_VIRTUAL_IO vio = {pio_len, pio_seek, pio_read, pio_write, pio_tell};
		pio = calloc(1, sizeof *pio);
		if (!pio) {
			ser_seterr(err, SER_ENOMEM, "out of memory");
			if (!is_stdin)
				close(fd);
			return NULL;
		}
		pio->fd = fd;
		sf = sf_open_virtual(&vio, SFM_READ, &info, pio);
	} else {
		/* close_desc 0: the descriptor stays ours, also on failure */
		sf = sf_open_fd(fd, SFM_READ, &info, 0);
	}
	if (!sf) {
		free(pio);
		const char *m = sf_strerror(NULL);
		ser_seterr(err, SER_EFORMAT, "%s", m && *m ? m : "not a readable audio file");
		if (!is_stdin)
			close(fd);
		return NULL;
	}
	if (info.channels < 1 || info.channels > SER_CHANNELS_MAX) {
		ser_seterr(err, SER_ELIMIT, "%d channels outside [1, %d]", info.channels, SER_CHANNELS_MAX);
		goto fail;
	}
	if (info.samplerate < SER_RATE_MIN || info.samplerate > SER_RATE_MAX) {
		ser_seterr(err, SER_ELIMIT, "sample rate %d Hz outside [%d, %d]",
		           info.samplerate, SER_RATE_MIN, SER_RATE_MAX);
		goto fail;
	}
	a = calloc(1, sizeof *a);
	if (!a || !(a->frames = malloc(sizeof *a->frames * BLOCK * info.channels)) ||
	    !(a->mono = malloc(sizeof *a->mono * BLOCK))) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		if (a)
			free(a->frames);
		free(a);
		goto fail;
	}
	a->sf = sf;
	a->pio = pio;
	a->fd = fd;
	a->file_rate = info.samplerate;
	a->rate = out_rate ? out_rate : info.samplerate;
	a->channels = info.channels;
	if (a->rate != a->file_rate) {
		a->rs = ser_resampler_new(a->file_rate, a->rate, quality, err);
		if (!a->rs) {
			ser_audio_close(a);
			return NULL;
		}
	}
	return a;
fail:
	sf_close(sf);
	free(pio);
	if (!is_stdin)
		close(fd);
	return NULL;
}

int ser_audio_rate(const ser_audio *a) { return a->rate; }
int ser_audio_file_rate(const ser_audio *a) { return a->file_rate; }
int ser_audio_channels(const ser_audio *a) { return a->channels; }

/* Reads up to max frames (<= BLOCK) and downmixes them into out.
 * Returns frames read, 0 at end of file, or a negative status. */
static long read_mono(ser_audio *a, float *out, size_t max, ser_error *err)
{
	sf_count_t got;
	int c, nc = a->channels;

	if (max > BLOCK)
		max = BLOCK;
	if (nc == 1)
		got = sf_readf_float(a->sf, out, (sf_count_t)max);
	else
		got = sf_readf_float(a->sf, a->frames, (sf_count_t)max);
	if (got <= 0) {
		if (sf_error(a->sf) != SF_ERR_NO_ERROR)
			return ser_seterr(err, SER_EIO, "%s", sf_strerror(a->sf));
		return 0;
	}
	if (nc > 1) {
		for (sf_count_t i = 0; i < got; i++) {
			const float *f = a->frames + i * nc;
			double s = 0;
			for (c = 0; c < nc; c++)
				s += f[c];
			out[i] = (float)(s / nc);
		}
	}
	return (long)got;
}

long ser_audio_read(ser_audio *a, float *buf, size_t n, ser_error *err)
{
	size_t got = 0, k;
	long m;
	int rc;

	while (got < n) {
		if (!a->rs) {
			m = read_mono(a, buf + got, n - got, err);
			if (m < 0)
				return m;
			if (m == 0)
				break;
			got += (size_t)m;
			continue;
		}
		if (a->in_eof) {
			/* flush the resampler's tail */
			rc = ser_resampler_process(a->rs, NULL, 0, buf + got, n - got, &k, err);
			if (rc < 0)
				return rc;
			got += k;
			if (k == 0)
				break;
			continue;
		}
		/* output still pending inside the resampler */
		rc = ser_resampler_process(a->rs, a->mono, 0, buf + got, n - got, &k, err);
		if (rc < 0)
			return rc;
		got += k;
		if (got == n)
			break;
		m = read_mono(a, a->mono, BLOCK, err);
		if (m < 0)
			return m;
		if (m == 0) {
			a->in_eof = 1;
			continue;
		}
		rc = ser_resampler_process(a->rs, a->mono, (size_t)m, buf + got, n - got, &k, err);
		if (rc < 0)
			return rc;
		got += k;
	}
	return (long)got;
}

void ser_audio_close(ser_audio *a)
{
	if (!a)
		return;
	if (a->sf)
		sf_close(a->sf);
	if (a->fd > 0)
		close(a->fd);
	free(a->pio);
	ser_resampler_free(a->rs);
	free(a->frames);
	free(a->mono);
	free(a);
}
