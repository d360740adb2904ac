/* Audio input: containers through libsndfile (regular files directly;
 * pipes through a replay buffer, spooled to a temporary file when a format
 * needs to seek), WAV PCM streams and raw PCM through ser_pcm_in; mono at
 * a chosen rate, read block by block (no whole-file buffer). */
#define _GNU_SOURCE
#include "audio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sndfile.h>

#define BLOCK 1024          /* frames read from the file per call */
#define HEAD 65536          /* bytes of a pipe's start kept for seeking back */
#define OPEN_MAX (16 << 20) /* bytes of a pipe kept while libsndfile parses its header */
#define FRAMES_UNKNOWN ((sf_count_t)1 << 44)  /* counts from here on are not the header's */
#define MPEG_SLACK 2304     /* frames an MPEG length estimate may be off (2 frames) */

/* ---------------------------------------------------------------- sniffing */

int ser_sniff(int fd, unsigned char *head, size_t *n, ser_error *err)
{
	size_t got = 0;
	*n = 0;
	while (got < SER_SNIFF_BYTES) {
		ssize_t r = read(fd, head + got, SER_SNIFF_BYTES - got);
		if (r < 0) {
			*n = got;
			if (errno == EINTR)
				return ser_seterr(err, SER_EINTR, "interrupted");
			return ser_seterr(err, SER_EIO, "read: %s", strerror(errno));
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got >= 7 && !memcmp(head, "SERFEAT", 7))
			break;
	}
	*n = got;
	if (got == 0)
		return SER_SNIFF_EMPTY;
	/* "SERFEAT" as far as the stream goes (a cut header is the reader's to report) */
	if (got >= 4 && !memcmp(head, "SERFEAT", got < 7 ? got : 7))
		return SER_SNIFF_FEATURES;
	return SER_SNIFF_OTHER;
}

/* A stdio stream over the sniffed bytes, then the descriptor. */
struct replay {
	int fd;
	void (*wait)(void *);
	void *arg;
	size_t n, pos;
	unsigned char head[SER_SNIFF_BYTES];
};

static ssize_t replay_read(void *u, char *buf, size_t size)
{
	struct replay *r = u;
	if (r->pos < r->n) {
		size_t k = r->n - r->pos < size ? r->n - r->pos : size;
		memcpy(buf, r->head + r->pos, k);
		r->pos += k;
		return (ssize_t)k;
	}
	if (r->wait)
		r->wait(r->arg);
	return read(r->fd, buf, size);   /* EINTR reaches the reader as an error */
}

static int replay_close(void *u)
{
	free(u);
	return 0;
}

FILE *ser_replay_stream(int fd, const unsigned char *head, size_t n, void (*wait)(void *arg),
                        void *arg, ser_error *err)
{
	static const cookie_io_functions_t io = { replay_read, NULL, NULL, replay_close };
	struct replay *r = calloc(1, sizeof *r);
	FILE *f;
	if (!r || n > SER_SNIFF_BYTES) {
		free(r);
		ser_seterr(err, r ? SER_EINVAL : SER_ENOMEM, r ? "too many sniffed bytes" : "out of memory");
		return NULL;
	}
	r->fd = fd;
	r->wait = wait;
	r->arg = arg;
	r->n = n;
	memcpy(r->head, head, n);
	if (!(f = fopencookie(r, "rb", io))) {
		free(r);
		ser_seterr(err, SER_ENOMEM, "out of memory");
	}
	return f;
}

/* ------------------------------------------------------- pipes for libsndfile */

/* A pipe seen by libsndfile as a file that can seek back within what has
 * been kept of its start (all of it while the header is parsed, up to
 * OPEN_MAX; afterwards the first HEAD bytes) and never past what has been
 * read: a parser that asks for that is noted (seek_refused) and the
 * stream is spooled to a temporary file instead. libsndfile's own pipe
 * mode loses the bytes it sniffs for FLAC (libsndfile PR #1097); this
 * does not. Bytes are never read twice from the descriptor. */
struct pipe_io {
	int fd;
	sf_count_t pos;     /* logical position, bytes */
	sf_count_t got;     /* bytes taken from the stream so far */
	sf_count_t keep;    /* bytes of the start to keep in buf */
	unsigned char *buf; /* the first len bytes of the stream */
	size_t len, cap;
	int seek_refused;   /* times a parser asked to seek past what was read */
	int at_end;         /* pretend the end: a parser that loops on refused seeks */
	int eof_reads;      /* reads at the end of the stream */
	int intr;           /* read(2) interrupted by a caught signal */
	int ioerr;          /* errno of a failed read, 0: none */
};

static sf_count_t pio_len(void *u) { (void)u; return SF_COUNT_MAX; }
/* A parser that keeps reading at the end of the stream (libsndfile's W64
 * parser does on chunks with huge sizes, since the length of a pipe is
 * unknown) is told it is at the end (tell), so that it stops. */
#define EOF_READS_MAX 64

static sf_count_t pio_tell(void *u)
{
	struct pipe_io *p = u;
	return p->at_end ? SF_COUNT_MAX : p->pos;
}

static sf_count_t pio_seek(sf_count_t off, int whence, void *u)
{
	struct pipe_io *p = u;
	sf_count_t to = whence == SEEK_SET ? off : -1;
	if (whence == SEEK_CUR)   /* no overflow on a hostile offset */
		to = off > SF_COUNT_MAX - p->pos ? SF_COUNT_MAX : off < -p->pos ? -1 : p->pos + off;
	if (p->at_end || to < 0 || to > p->got || (to < p->got && to >= (sf_count_t)p->len)) {
		if (to > p->got)
			p->seek_refused++;
		return -1;
	}
	p->pos = to;
	return to;
}

/* Appends what fits of n fresh bytes to the kept start. */
static void pio_keep(struct pipe_io *p, const unsigned char *s, size_t n)
{
	size_t room = p->got < p->keep ? (size_t)(p->keep - p->got) : 0;
	if (n > room)
		n = room;
	if (n == 0 || (sf_count_t)p->len != p->got)
		return;
	if (p->len + n > p->cap) {
		size_t nc = p->cap ? p->cap : 4096;
		unsigned char *b;
		while (nc < p->len + n)
			nc *= 2;
		if (!(b = realloc(p->buf, nc)))
			return;                 /* kept less: seeks back there are refused */
		p->buf = b;
		p->cap = nc;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
}

static sf_count_t pio_read(void *ptr, sf_count_t n, void *u)
{
	struct pipe_io *p = u;
	unsigned char *o = ptr;
	sf_count_t done = 0;

	while (done < n && !p->at_end) {
		if (p->pos < p->got) {          /* replay (pos < len here) */
			sf_count_t k = (sf_count_t)p->len - p->pos;
			if (k > n - done)
				k = n - done;
			memcpy(o + done, p->buf + p->pos, (size_t)k);
			done += k;
			p->pos += k;
			continue;
		}
		ssize_t r = read(p->fd, o + done, (size_t)(n - done));
		if (r < 0) {
			if (errno == EINTR)
				p->intr = 1;        /* a stop was asked: a short read, then SER_EINTR */
			else
				p->ioerr = errno;
			break;
		}
		if (r == 0) {
			if (++p->eof_reads > EOF_READS_MAX)
				p->at_end = 1;
			break;
		}
		pio_keep(p, o + done, (size_t)r);
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

static const SF_VIRTUAL_IO pio_vio = { pio_len, pio_seek, pio_read, pio_write, pio_tell };

static struct pipe_io *pio_new(int fd, const unsigned char *head, size_t n, ser_error *err)
{
	struct pipe_io *p = calloc(1, sizeof *p);
	if (!p || !(p->buf = malloc(n > 4096 ? n : 4096))) {
		free(p);
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	p->fd = fd;
	p->cap = n > 4096 ? n : 4096;
	memcpy(p->buf, head, n);
	p->len = n;
	p->got = (sf_count_t)n;
	p->keep = OPEN_MAX;
	return p;
}

static void pio_free(struct pipe_io *p)
{
	if (p)
		free(p->buf);
	free(p);
}

static int write_all(int fd, const unsigned char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies the whole stream (kept start, then the rest of fd) into an
 * unlinked temporary file; returns its descriptor at offset 0. */
static int spool(struct pipe_io *p, ser_error *err)
{
	unsigned char b[65536];
	FILE *t = tmpfile();
	int fd = t ? dup(fileno(t)) : -1, rc = 0;
	if (t)
		fclose(t);
	if (fd < 0)
		return ser_seterr(err, SER_EIO, "temporary file for a format that needs seeking: %s",
		                  strerror(errno));
	if ((sf_count_t)p->len != p->got)
		rc = ser_seterr(err, SER_ELIMIT, "the format needs seeking and its header spans more "
		                "than %d MiB of a pipe", OPEN_MAX >> 20);
	else if (write_all(fd, p->buf, p->len) < 0)
		rc = ser_seterr(err, SER_EIO, "temporary file: %s", strerror(errno));
	while (rc == 0) {
		ssize_t r = read(p->fd, b, sizeof b);
		if (r < 0)
			rc = ser_seterr(err, errno == EINTR ? SER_EINTR : SER_EIO, "read: %s", strerror(errno));
		else if (r == 0)
			break;
		else if (write_all(fd, b, (size_t)r) < 0)
			rc = ser_seterr(err, SER_EIO, "temporary file: %s", strerror(errno));
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* ------------------------------------------------------------ ser_audio */

struct ser_audio {
	SNDFILE *sf;            /* containers, or NULL */
	ser_pcm_in *pcm;        /* WAV PCM streams and raw PCM, or NULL */
	struct pipe_io *pio;    /* a pipe read by libsndfile */
	int fd;                 /* the input */
	int own_fd;             /* fd is ours to close */
	int spool_fd;           /* temporary copy of a pipe, -1: none */
	int file_rate;          /* Hz */
	int rate;               /* output rate, Hz */
	int channels;
	int mpeg;               /* frame count is an estimate */
	sf_count_t frames;      /* frames the header states, -1: unknown */
	uint64_t nread;         /* frames decoded so far */
	int in_eof;             /* file exhausted (resampler may still hold samples) */
	int failed;             /* sticky status */
	ser_resampler *rs;      /* NULL when no resampling */
	float *buf;             /* (BLOCK, channels) interleaved */
	float *mono;            /* (BLOCK) */
};

/* libsndfile's reason for a failed open, made true for the case at hand. */
static void sf_reason(int code, ser_error *err)
{
	const char *m = sf_strerror(NULL);
	if (code == SF_ERR_UNRECOGNISED_FORMAT)
		ser_seterr(err, SER_EFORMAT, "not audio that libsndfile reads (format not recognised)");
	else if (code == SF_ERR_SYSTEM || code == SF_ERR_UNSUPPORTED_ENCODING)
		ser_seterr(err, SER_EFORMAT, "%s", m && *m ? m : "not a readable audio file");
	else if (m && *m && !strstr(m, "does not exist"))   /* not "File does not exist": it does */
		ser_seterr(err, SER_EFORMAT, "damaged or truncated audio: %s", m);
	else
		ser_seterr(err, SER_EFORMAT, "damaged or truncated audio: libsndfile knows the format "
		           "but cannot decode it");
}

/* "NAME : STATED (should be ACTUAL)" in libsndfile's header log: a size
 * field larger than what the file holds. Returns the bytes missing, 0. */
static uint64_t log_missing(const char *log)
{
	static const char *const names[] = { "data", "Data Size", "SSND", "riff", NULL };
	uint64_t worst = 0;
	for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long long stated, actual;
		const char *c = strchr(l, ':'), *e = l;
		while (*e == ' ')
			e++;
		if (!c || (strchr(l, '\n') && c > strchr(l, '\n')))
			continue;
		for (int i = 0; names[i]; i++) {
			size_t k = strlen(names[i]);
			const char *t = e + k;
			if (strncmp(e, names[i], k) || (*t != ' ' && *t != ':'))
				continue;
			if (sscanf(c + 1, " %llu (should be %llu)", &stated, &actual) != 2 || stated <= actual)
				continue;
			/* streaming writers: unknown length (arecord, sox, ...) */
			if (stated == 0xffffffffu || (stated >= 0x7ffff000u && stated <= 0xffffffffu && i < 2))
				continue;
			if (stated - actual > worst)
				worst = stated - actual;
		}
	}
	return worst;
}

/* A file that ends before its header says: SER_ETRUNC naming how much
 * is missing (libsndfile reads such files to their end, quietly). */
static int check_header(ser_audio *a, ser_error *err)
{
	char log[16384];
	long long want = -1, have = -1;
	const char *s;
	uint64_t miss;
	sf_command(a->sf, SFC_GET_LOG_INFO, log, sizeof log);
	if ((miss = log_missing(log)) > 0)
		return ser_seterr(err, SER_ETRUNC, "truncated: the header states %" PRIu64 " more bytes "
		                  "of audio than the file holds", miss);
	if ((s = strstr(log, "Calculated frame count ")) && sscanf(s, "Calculated frame count %lld does not "
	    "match value from 'ds64' chunk of %lld", &have, &want) == 2 && have < want)
		return ser_seterr(err, SER_ETRUNC, "truncated: %lld of the %lld frames the header states "
		                  "are missing", want - have, want);
	if ((s = strstr(log, "Frame count read from 'COMM' chunk (")) && sscanf(s, "Frame count read "
	    "from 'COMM' chunk (%lld) not equal to frame count\n*** calculated from length of 'SSND' "
	    "chunk (%lld)", &want, &have) == 2 && have < want)
		return ser_seterr(err, SER_ETRUNC, "truncated: %lld of the %lld frames the header states "
		                  "are missing", want - have, want);
	if (strstr(log, "Seems to be a truncated file"))
		return ser_seterr(err, SER_ETRUNC, "truncated: the file ends inside its audio data");
	return 0;
}

/* 1 if ser_pcm_in decodes this WAV coding itself (as on a pipe). */
static int pcm_coding(const SF_INFO *in)
{
	int major = in->format & SF_FORMAT_TYPEMASK, sub = in->format & SF_FORMAT_SUBMASK;
	return (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX) &&
	       (sub == SF_FORMAT_PCM_U8 || sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_24 ||
	        sub == SF_FORMAT_PCM_32 || sub == SF_FORMAT_FLOAT);
}

/* Takes libsndfile's view of an opened container. */
static int take_sf(ser_audio *a, const SF_INFO *in, ser_error *err)
{
	if (in->channels < 1 || in->channels > SER_CHANNELS_MAX)
		return ser_seterr(err, SER_ELIMIT, "%d channels outside [1, %d]", in->channels, SER_CHANNELS_MAX);
	if (in->samplerate < SER_RATE_MIN || in->samplerate > SER_RATE_MAX)
		return ser_seterr(err, SER_ELIMIT, "sample rate %d Hz outside [%d, %d]",
		                  in->samplerate, SER_RATE_MIN, SER_RATE_MAX);
	a->channels = in->channels;
	a->file_rate = in->samplerate;
	/* on a pipe libsndfile may derive a count from the unknown length */
	a->frames = in->frames < 0 || in->frames >= FRAMES_UNKNOWN ? -1 : in->frames;
	a->mpeg = (in->format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG;
	return check_header(a, err);
}

/* ser_pcm_in on fd after the n bytes pre already taken from it; raw NULL:
 * a WAV stream, else raw PCM of that format unless a WAV header starts it. */
static int open_pcm(ser_audio *a, const void *pre, size_t n, const ser_raw_fmt *raw, ser_error *err)
{
	ser_pcm_in *p = ser_pcm_in_open_after(a->fd, pre, n, raw ? raw->enc : SER_PCM_S16,
	                                      raw ? raw->rate : 16000, raw ? raw->channels : 1, err);
	if (!p)
		return err ? err->code : SER_EFORMAT;
	if (!raw && !ser_pcm_in_is_wav(p)) {
		ser_pcm_in_close(p);
		return ser_seterr(err, SER_EFORMAT, "not a WAV stream");
	}
	a->pcm = p;
	a->channels = ser_pcm_in_channels(p);
	a->file_rate = ser_pcm_in_rate(p);
	a->frames = -1;
	return 0;
}

/* libsndfile on a copy of fd, which it closes (libsndfile 1.2 closes the
 * descriptor of a failed open even when told not to). */
static SNDFILE *sf_open_dup(int fd, SF_INFO *in)
{
	int d = dup(fd);
	SNDFILE *sf = d < 0 ? NULL : sf_open_fd(d, SFM_READ, in, 1);
	if (d < 0)
		sf_open_fd(-1, SFM_READ, in, 0);    /* so that sf_error(NULL) says why */
	return sf;
}

/* A regular file from its start: libsndfile, or ser_pcm_in for a WAV
 * whose data size is 0 (read to the end, as on a pipe) and for raw PCM. */
static int open_file(ser_audio *a, const ser_raw_fmt *raw, ser_error *err)
{
	SF_INFO in;
	memset(&in, 0, sizeof in);
	lseek(a->fd, 0, SEEK_SET);
	if (!(a->sf = sf_open_dup(a->fd, &in))) {
		int code = sf_error(NULL);
		lseek(a->fd, 0, SEEK_SET);
		if (code == SF_ERR_UNRECOGNISED_FORMAT && raw)
			return open_pcm(a, NULL, 0, raw, err);
		sf_reason(code, err);
		return SER_EFORMAT;
	}
	if (pcm_coding(&in) && in.frames == 0) {
		sf_close(a->sf);
		a->sf = NULL;
		lseek(a->fd, 0, SEEK_SET);
		return open_pcm(a, NULL, 0, NULL, err);
	}
	return take_sf(a, &in, err);
}

/* ser_pcm_in over what libsndfile read of a pipe, then the rest of it. */
static int pcm_after_pio(ser_audio *a, const ser_raw_fmt *raw, ser_error *err)
{
	int rc;
	if ((sf_count_t)a->pio->len != a->pio->got)
		return ser_seterr(err, SER_ELIMIT, "more than %d MiB read before the format was known",
		                  OPEN_MAX >> 20);
	if ((rc = open_pcm(a, a->pio->buf, a->pio->len, raw, err)) < 0)
		return rc;
	pio_free(a->pio);
	a->pio = NULL;
	return 0;
}

/* A pipe that libsndfile could only parse by seeking: read it whole into
 * a temporary file and open that. */
static int open_spooled(ser_audio *a, ser_error *err)
{
	SF_INFO in;
	int fd = spool(a->pio, err);
	if (fd < 0)
		return fd;
	a->spool_fd = fd;
	pio_free(a->pio);
	a->pio = NULL;
	memset(&in, 0, sizeof in);
	if (!(a->sf = sf_open_dup(fd, &in))) {
		sf_reason(sf_error(NULL), err);
		return SER_EFORMAT;
	}
	return take_sf(a, &in, err);
}

static int open_pipe(ser_audio *a, const unsigned char *head, size_t n, const ser_raw_fmt *raw,
                     ser_error *err)
{
	SF_INFO in;
	int code;
	memset(&in, 0, sizeof in);
	if (!(a->pio = pio_new(a->fd, head, n, err)))
		return SER_ENOMEM;
	a->sf = sf_open_virtual((SF_VIRTUAL_IO *)&pio_vio, SFM_READ, &in, a->pio);
	code = sf_error(NULL);
	if (a->pio->intr)
		return ser_seterr(err, SER_EINTR, "interrupted");
	if (!a->sf) {
		if (code == SF_ERR_UNRECOGNISED_FORMAT && raw)
			return pcm_after_pio(a, raw, err);
		if (code != SF_ERR_UNRECOGNISED_FORMAT && a->pio->seek_refused && !a->pio->ioerr)
			return open_spooled(a, err);
		if (a->pio->ioerr)
			return ser_seterr(err, SER_EIO, "read: %s", strerror(a->pio->ioerr));
		sf_reason(code, err);
		return SER_EFORMAT;
	}
	if (pcm_coding(&in)) {
		/* WAV PCM streams are read as they come (live input, streaming sizes) */
		sf_close(a->sf);
		a->sf = NULL;
		if (pcm_after_pio(a, NULL, err) == 0)
			return 0;
		a->pio->pos = 0;
		memset(&in, 0, sizeof in);
		if (!(a->sf = sf_open_virtual((SF_VIRTUAL_IO *)&pio_vio, SFM_READ, &in, a->pio))) {
			sf_reason(sf_error(NULL), err);
			return SER_EFORMAT;
		}
	}
	a->pio->keep = a->pio->got > HEAD ? a->pio->got : HEAD;
	a->pio->at_end = 0;         /* the parser's loop guard ends with the open */
	a->pio->eof_reads = 0;
	return take_sf(a, &in, err);
}

/* A regular file read from its start (the sniffed bytes are its first). */
static int seekable_from(int fd, size_t n)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) == (off_t)n;
}

/* 1 if head starts with the signature of a container libsndfile reads.
 * Where raw PCM is the alternative, only such a stream goes to libsndfile:
 * its MPEG probe takes a frame sync in the first bytes for an MP3, and raw
 * samples hold such byte pairs (0xff 0xff: a sample of -1) by chance. */
static int has_signature(const unsigned char *h, size_t n)
{
	static const char magic[][5] = {
		"RIFF", "RIFX", "RF64", "BW64", "FORM", "riff", ".snd", "dns.", "fLaC", "OggS",
		"caff", "NIST", "Crea", "ID3", "2BIT", "fap ", " paf", "Exte", "PVF1", "ALaw",
		"\x64\xa3\x01", "\x64\xa3\x02", "\x64\xa3\x03", "\x64\xa3\x04", "\x00\x01\xa3\x64",
		"\x00\x02\xa3\x64", "\x00\x03\xa3\x64", "\x00\x04\xa3\x64"
	};
	for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++) {
		size_t k = strlen(magic[i]) ? strlen(magic[i]) : 4;
		if (n >= k && !memcmp(h, magic[i], k))
			return 1;
	}
	/* MP3 without an ID3 tag: a frame at the start whose first frame holds
	 * an encoder's info header (Xing, Info, VBRI, LAME). A bare frame sync
	 * is not enough: dithered silence is full of 0xffff samples. */
	if (n >= 4 && h[0] == 0xff && (h[1] & 0xe0) == 0xe0) {
		static const char *const tag[] = { "Xing", "Info", "VBRI", "LAME" };
		size_t m = n < 512 ? n : 512;
		for (size_t i = 0; i < 4; i++)
			if (memmem(h, m, tag[i], 4))
				return 1;
	}
	return 0;
}

/* Raw PCM as declared, on a descriptor whose first n bytes are head. */
static int open_raw(ser_audio *a, const unsigned char *head, size_t n, const ser_raw_fmt *raw,
                    int seekable, ser_error *err)
{
	if (seekable) {
		lseek(a->fd, 0, SEEK_SET);
		return open_pcm(a, NULL, 0, raw, err);
	}
	if (!(a->pio = pio_new(a->fd, head, n, err)))
		return SER_ENOMEM;
	return pcm_after_pio(a, raw, err);
}

ser_audio *ser_audio_open_fd(int fd, const unsigned char *head, size_t n, const ser_raw_fmt *raw,
                             int out_rate, int quality, ser_error *err)
{
	ser_audio *a;
	int rc;
	if (out_rate != 0 && (out_rate < SER_RATE_MIN || out_rate > SER_RATE_MAX)) {
		ser_seterr(err, SER_EINVAL, "output rate %d Hz outside [%d, %d]",
		           out_rate, SER_RATE_MIN, SER_RATE_MAX);
		return NULL;
	}
	if (!(a = calloc(1, sizeof *a))) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		return NULL;
	}
	a->fd = fd;
	a->spool_fd = -1;
	a->frames = -1;
	int seekable = seekable_from(fd, n);
	if (raw && !has_signature(head, n))
		rc = open_raw(a, head, n, raw, seekable, err);
	else
		rc = seekable ? open_file(a, raw, err) : open_pipe(a, head, n, raw, err);
	if (rc == 0) {
		a->rate = out_rate ? out_rate : a->file_rate;
		if (!(a->buf = malloc(sizeof *a->buf * BLOCK * (size_t)a->channels)) ||
		    !(a->mono = malloc(sizeof *a->mono * BLOCK)))
			rc = ser_seterr(err, SER_ENOMEM, "out of memory");
	}
	if (rc == 0 && a->rate != a->file_rate &&
	    !(a->rs = ser_resampler_new(a->file_rate, a->rate, quality, err)))
		rc = SER_ENOMEM;
	if (rc < 0) {
		ser_audio_close(a);
		return NULL;
	}
	return a;
}

ser_audio *ser_audio_open(const char *path, int out_rate, int quality, ser_error *err)
{
	unsigned char head[SER_SNIFF_BYTES];
	struct stat st;
	size_t n;
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY), kind;
	ser_audio *a = NULL;

	if (out_rate != 0 && (out_rate < SER_RATE_MIN || out_rate > SER_RATE_MAX)) {
		ser_seterr(err, SER_EINVAL, "output rate %d Hz outside [%d, %d]",
		           out_rate, SER_RATE_MIN, SER_RATE_MAX);
		if (fd > 0)
			close(fd);
		return NULL;
	}
	if (fd < 0) {
		ser_seterr(err, errno == EINTR ? SER_EINTR : SER_EIO, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		ser_seterr(err, SER_EIO, "%s", strerror(EISDIR));
	else if ((kind = ser_sniff(fd, head, &n, err)) == SER_SNIFF_EMPTY)
		ser_seterr(err, SER_EFORMAT, "empty input (0 bytes)");
	else if (kind == SER_SNIFF_FEATURES)
		ser_seterr(err, SER_EFORMAT, "a ser feature stream, not audio (already features)");
	else if (kind > 0 && (a = ser_audio_open_fd(fd, head, n, NULL, out_rate, quality, err)))
		a->own_fd = fd != 0;
	if (!a && fd != 0)
		close(fd);
	return a;
}

int ser_audio_rate(const ser_audio *a) { return a->rate; }
int ser_audio_file_rate(const ser_audio *a) { return a->file_rate; }
int ser_audio_channels(const ser_audio *a) { return a->channels; }

/* End of the input: an error when nothing or less than stated came. */
static long at_end(ser_audio *a, ser_error *err)
{
	if (a->nread == 0)
		return ser_seterr(err, SER_EFORMAT, "no audio samples (a header without data)");
	if (a->frames > 0 && (uint64_t)a->frames > a->nread + (a->mpeg ? MPEG_SLACK : 0)) {
		uint64_t miss = (uint64_t)a->frames - a->nread;
		return ser_seterr(err, SER_ETRUNC, "truncated: %" PRIu64 " of the %lld samples the header "
		                  "states are missing (%.2f s)", miss, (long long)a->frames,
		                  (double)miss / a->file_rate);
	}
	return 0;
}

/* Reads up to max frames from libsndfile (<= BLOCK) and downmixes them. */
static long read_sf(ser_audio *a, float *out, size_t max, ser_error *err)
{
	int nc = a->channels;
	sf_count_t got = sf_readf_float(a->sf, nc == 1 ? out : a->buf, (sf_count_t)max);
	if (a->pio && a->pio->intr)
		return ser_seterr(err, SER_EINTR, "interrupted");
	if (a->pio && a->pio->ioerr)
		return ser_seterr(err, SER_EIO, "read: %s", strerror(a->pio->ioerr));
	if (got <= 0) {
		if (sf_error(a->sf) != SF_ERR_NO_ERROR)
			return ser_seterr(err, SER_EFORMAT, "damaged or truncated audio after %" PRIu64
			                  " samples (%s)", a->nread, sf_strerror(a->sf));
		return 0;
	}
	for (sf_count_t i = 0; nc > 1 && i < got; i++) {
		const float *f = a->buf + i * nc;
		double s = 0;
		for (int c = 0; c < nc; c++)
			s += f[c];
		out[i] = (float)(s / nc);
	}
	return (long)got;
}

/* Reads up to max mono frames (libsndfile: at most BLOCK) at the file's
 * rate: 0 at the end of a complete input, else a status; non-finite
 * samples are refused. */
static long read_mono(ser_audio *a, float *out, size_t max, ser_error *err)
{
	long m;
	if (max > BLOCK && !a->pcm)
		max = BLOCK;
	m = a->pcm ? ser_pcm_in_read(a->pcm, out, max, err) : read_sf(a, out, max, err);
	if (m == 0)
		return at_end(a, err);
	for (long i = 0; i < m; i++)
		if (!isfinite(out[i]))
			return ser_seterr(err, SER_EFORMAT, "sample %" PRIu64 " is %s", a->nread + (uint64_t)i,
			                  isnan(out[i]) ? "NaN" : "infinite");
	if (m > 0)
		a->nread += (uint64_t)m;
	return m;
}

long ser_audio_read(ser_audio *a, float *buf, size_t n, ser_error *err)
{
	size_t got = 0, k;
	long m;
	int rc;

	while (got < n) {
		if (!a->rs) {
			if ((m = read_mono(a, buf + got, n - got, err)) < 0)
				return m;
			got += (size_t)m;
			if (m == 0 || a->pcm)
				break;      /* a stream gives what one read brought */
			continue;
		}
		if (a->in_eof) {
			/* flush the resampler's tail */
			if ((rc = ser_resampler_process(a->rs, NULL, 0, buf + got, n - got, &k, err)) < 0)
				return rc;
			got += k;
			if (k == 0)
				break;
			continue;
		}
		/* output still pending inside the resampler */
		if ((rc = ser_resampler_process(a->rs, a->mono, 0, buf + got, n - got, &k, err)) < 0)
			return rc;
		got += k;
		if (got == n || (a->pcm && got > 0))
			break;
		if ((m = read_mono(a, a->mono, BLOCK, err)) < 0)
			return m;
		if (m == 0) {
			a->in_eof = 1;
			continue;
		}
		if ((rc = ser_resampler_process(a->rs, a->mono, (size_t)m, buf + got, n - got, &k, err)) < 0)
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
	ser_pcm_in_close(a->pcm);
	if (a->own_fd)
		close(a->fd);
	if (a->spool_fd >= 0)
		close(a->spool_fd);
	pio_free(a->pio);
	ser_resampler_free(a->rs);
	free(a->buf);
	free(a->mono);
	free(a);
}
