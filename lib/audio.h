/* Audio input for libser: decoding with libsndfile, downmixing to mono,
 * resampling with libsoxr, and raw/WAV PCM streams.
 *
 * Samples inside libser are float mono in [-1, 1) (int16 / 32768). */
#ifndef SER_AUDIO_H
#define SER_AUDIO_H

#include <stdio.h>
#include "ser.h"

/* Limits enforced by every reader (also stated in ser-formats(5); the
 * sample rates, SER_RATE_MIN and SER_RATE_MAX, in ser.h). */
#define SER_CHANNELS_MAX 64

/* ---- resampling (libsoxr), streaming ---- */
enum ser_rs_quality { SER_RS_HQ = 0, SER_RS_VHQ = 1 };
typedef struct ser_resampler ser_resampler;
/* A streaming mono resampler from in_rate to out_rate (Hz). */
ser_resampler *ser_resampler_new(double in_rate, double out_rate, int quality, ser_error *err);
/* Consumes all nin input samples (in may be NULL with nin 0 to flush the
 * tail at end of input) and appends up to outcap samples to out; *nout is
 * the number written. Call again with nin 0 (and in != NULL) to drain any
 * pending output when *nout == outcap. */
int ser_resampler_process(ser_resampler *rs, const float *in, size_t nin,
                          float *out, size_t outcap, size_t *nout, ser_error *err);
/* Output samples produced per input sample, an upper bound for sizing. */
double ser_resampler_ratio(const ser_resampler *rs);
void ser_resampler_free(ser_resampler *rs);

/* ---- what a stream holds, from its first bytes ---- */
#define SER_SNIFF_BYTES 512   /* enough for an MP3's first frame header and its Xing tag */
enum ser_sniff_kind { SER_SNIFF_EMPTY = 0, SER_SNIFF_FEATURES = 1, SER_SNIFF_OTHER = 2 };
/* Reads the first bytes of fd, up to SER_SNIFF_BYTES (fewer only at the
 * end of the input, or 7 once they are "SERFEAT", so that a live feature
 * stream is not held back), into head (*n of them) and says what starts it:
 * nothing, a ser feature stream ("SERFEAT" as far as it goes, at least 4
 * bytes), or anything else (audio or raw PCM: ser_audio_open_fd decides).
 * Negative status on a read error (SER_EINTR: a caught signal). The bytes
 * are consumed: pass them on, the stream is never read twice or rewound. */
int ser_sniff(int fd, unsigned char *head, size_t *n, ser_error *err);
/* A stdio stream that gives head[0..n) (n <= SER_SNIFF_BYTES) and then
 * the rest of fd: the stream from its first byte again (for ser_fr_open).
 * fclose frees it; fd is not closed. A read interrupted by a caught
 * signal is a read error with errno EINTR, as with any FILE. wait, if not
 * NULL, is called with arg before each read of fd: when stdio has given out
 * all it holds, so a reader may wait there (ser-classify --live paces its
 * reads so). */
FILE *ser_replay_stream(int fd, const unsigned char *head, size_t n, void (*wait)(void *arg),
                        void *arg, ser_error *err);

/* ---- audio, mono at a chosen rate ---- */
typedef struct ser_audio ser_audio;
/* Raw PCM as declared by the caller (enum ser_pcm_enc, Hz, channels). */
typedef struct ser_raw_fmt { int enc, rate, channels; } ser_raw_fmt;
/* Audio on fd whose first n bytes, head, were read by ser_sniff.
 *  - A regular file read from its start is opened by libsndfile (any
 *    format it reads), except a WAV whose data size is 0: like a stream,
 *    it is read to its end.
 *  - Anything else (pipe, FIFO, terminal) is never rewound: libsndfile
 *    parses it through a buffer that keeps what it read; WAV PCM (8/16/
 *    24/32-bit integer, 32-bit float) is then read as it comes by
 *    ser_pcm_in (streaming sizes, live latency); a format whose parser
 *    needs to seek ahead is copied whole to a temporary file first.
 *  - When libsndfile recognises no format: raw PCM of raw's format, or
 *    with raw NULL an SER_EFORMAT error.
 * A header stating more audio than the file holds is SER_ETRUNC at the
 * open (regular files) or at the end (streams, MPEG), naming how much is
 * missing; an input with no sample is SER_EFORMAT at the end; a NaN or
 * infinite sample is SER_EFORMAT naming it; a read interrupted by a caught
 * signal is SER_EINTR (the input cannot go on). fd is not closed by
 * ser_audio_close. out_rate 0 keeps the file's rate; otherwise samples are
 * resampled to out_rate (not when rates are equal). */
ser_audio *ser_audio_open_fd(int fd, const unsigned char *head, size_t n, const ser_raw_fmt *raw,
                             int out_rate, int quality, ser_error *err);
/* Opens path ("-" reads stdin) and ser_audio_open_fd on it with no raw
 * format. Errors: SER_EIO (cannot open, a directory), SER_EFORMAT (empty,
 * a feature stream, not audio libsndfile reads, damaged: its message made
 * true), SER_ETRUNC, SER_ELIMIT (rate, channels), SER_EINTR. */
ser_audio *ser_audio_open(const char *path, int out_rate, int quality, ser_error *err);
int ser_audio_rate(const ser_audio *a);          /* output rate, Hz */
int ser_audio_file_rate(const ser_audio *a);     /* rate in the file, Hz */
int ser_audio_channels(const ser_audio *a);      /* channels in the file */
/* Reads up to n mono samples at the output rate; returns the number read
 * (0 at the end of the input) or a negative status. A WAV or raw stream
 * returns as soon as one read(2) brought samples (live input). */
long ser_audio_read(ser_audio *a, float *buf, size_t n, ser_error *err);
void ser_audio_close(ser_audio *a);

/* ---- raw or WAV PCM on a file descriptor (pipes: stdin) ---- */
enum ser_pcm_enc { SER_PCM_S16 = 0, SER_PCM_F32 = 1 };
typedef struct ser_pcm_in ser_pcm_in;
/* Reads PCM from fd. If the stream starts with a RIFF/WAVE header (PCM 8/16/
 * 24/32-bit integer or 32-bit float, any channel count up to the limit,
 * data size possibly 0 or 0xffffffff as written by arecord to a pipe),
 * the header decides format, rate and channels; otherwise it is raw
 * little-endian `enc` at `rate` with `channels` channels. */
ser_pcm_in *ser_pcm_in_open(int fd, int enc, int rate, int channels, ser_error *err);
/* The same on a stream whose first n bytes, head, were already read from
 * fd: they are read first (copied; head may be freed). */
ser_pcm_in *ser_pcm_in_open_after(int fd, const void *head, size_t n, int enc, int rate, int channels,
                                  ser_error *err);
int ser_pcm_in_rate(const ser_pcm_in *p);
int ser_pcm_in_channels(const ser_pcm_in *p);
int ser_pcm_in_is_wav(const ser_pcm_in *p);
/* Reads up to n mono samples (mean of channels). Returns as soon as some
 * whole samples are available (one read(2)), so live input is not held
 * back; 0 at end of stream; negative status on error. A trailing partial
 * sample at end of stream is an SER_ETRUNC error, and so is a WAV data
 * chunk that ends before its stated size. SER_EINTR: read(2) was
 * interrupted by a caught signal (handler without SA_RESTART); calling
 * again goes on. The open reads the first 12 bytes (WAV sniffing) and, for
 * WAV, the header; unknown chunks are read and dropped (at most 16 MiB
 * each), fmt chunks above 1024 bytes are refused. */
long ser_pcm_in_read(ser_pcm_in *p, float *buf, size_t n, ser_error *err);
void ser_pcm_in_close(ser_pcm_in *p);    /* does not close fd */

/* ---- PCM output ---- */
/* Encodes n samples as little-endian s16 (rounded, clipped) or f32 into
 * out (2n or 4n bytes). Returns the number of bytes. */
size_t ser_pcm_encode(const float *x, size_t n, int enc, void *out);
/* Writes a 44-byte (s16) or 58-byte (f32, with fact chunk) WAV header
 * into hdr for a mono stream; data_bytes 0xffffffff means unknown length
 * (streaming, as arecord does). Returns its size. */
size_t ser_wav_header(unsigned char *hdr, int rate, int enc, uint32_t data_bytes);

/* ---- ALSA capture ---- */
typedef struct ser_capture ser_capture;
/* Opens device (e.g. "default", "hw:0") for capture, asking for `rate` Hz
 * and one channel; when the device refuses, uses what it offers and
 * downmixes and resamples to `rate` itself. */
ser_capture *ser_capture_open(const char *device, int rate, int quality, ser_error *err);
/* Device parameters actually in use (for messages). */
int ser_capture_device_rate(const ser_capture *c);
int ser_capture_device_channels(const ser_capture *c);
size_t ser_capture_period(const ser_capture *c);  /* frames per ALSA period */
/* Blocks for at most about one period and returns up to n mono samples at
 * the requested rate (may be 0). An overrun is recovered, counted in
 * *overruns (incremented) and reading goes on. Returns 0 at the end of
 * a finite device (a file plugin), negative on a fatal error (device gone).
 * 0 is also returned after an overrun, an interrupting signal (EINTR) or
 * while the resampler fills; ser_capture_eof() tells the end apart. */
long ser_capture_read(ser_capture *c, float *buf, size_t n, int *overruns, ser_error *err);
/* 1 once a finite device has ended and every sample has been returned.
 * Finite devices: the ALSA `file` plugin with `infile` (a regular file),
 * opened directly by its name, not wrapped in another plugin. */
int ser_capture_eof(const ser_capture *c);
void ser_capture_close(ser_capture *c);

#endif
