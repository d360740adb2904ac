/* ser-capture: record from ALSA or decode audio files to mono PCM on stdout.
 * See ser-capture(1). */
#include "audio.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 4096      /* samples per write from files */

static const char synopsis[] =
	"Usage: ser-capture [-D DEVICE] [-r HZ] [-d SECONDS] [-e s16|f32] [-t raw|wav]\n"
	"                   [--vhq] [-q] [FILE...]\n";

static const char intro[] =
	"Without FILE, records from an ALSA device; with FILEs (- is stdin), decodes\n"
	"them (any format libsndfile reads) one after the other. Downmixes to mono,\n"
	"resamples to HZ and writes PCM to stdout (never to a terminal).\n";
static const char outro[] = "Exit status: 0 ok, 1 usage error, 2 input, device or output error.\n";

struct out {
	int enc;            /* SER_PCM_* */
	int wav;            /* write a WAV header */
	int flush;          /* flush after every block (live capture) */
	uint64_t limit;     /* samples, UINT64_MAX: none */
	uint64_t written;   /* samples */
	off_t hdr_pos;      /* stdout offset of the WAV header, -1: cannot patch */
	unsigned char buf[4 * BLOCK];
};

/* Writes up to n samples within the limit; returns 1 when the limit is reached.
 * While recording, SIGINT/SIGTERM are held off during the write so that a
 * write blocked on a slow reader is not cut short (EINTR) into an error;
 * the signal then arrives between blocks and ends the loop. */
static int emit(struct out *o, const float *x, size_t n)
{
	sigset_t stop, old;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (o->flush)
		sigprocmask(SIG_BLOCK, &stop, &old);
	while (n > 0) {
		size_t k = n > BLOCK ? BLOCK : n;
		if (o->limit - o->written < k)
			k = (size_t)(o->limit - o->written);
		if (k == 0)
			break;
		cli_write(stdout, o->buf, ser_pcm_encode(x, k, o->enc, o->buf));
		o->written += k;
		x += k;
		n -= k;
	}
	if (o->flush) {
		cli_flush(stdout);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	return o->written >= o->limit;
}

static void begin(struct out *o, int rate)
{
	unsigned char h[64];
	struct stat st;
	int fl;

	o->hdr_pos = -1;
	if (!o->wav)
		return;
	/* a regular file opened without O_APPEND gets its sizes patched at the end */
	if (fstat(1, &st) == 0 && S_ISREG(st.st_mode) && (fl = fcntl(1, F_GETFL)) >= 0 &&
	    !(fl & O_APPEND))
		o->hdr_pos = lseek(1, 0, SEEK_CUR);
	cli_write(stdout, h, ser_wav_header(h, rate, o->enc, 0xffffffffu));
}

static void finish(struct out *o, int rate)
{
	unsigned char h[64];
	uint64_t bytes = o->written * (o->enc == SER_PCM_F32 ? 4 : 2);
	size_t n;

	cli_flush(stdout);
	if (o->hdr_pos < 0 || bytes >= 0xffffffffu - 64)
		return;
	n = ser_wav_header(h, rate, o->enc, (uint32_t)bytes);
	if (pwrite(1, h, n, o->hdr_pos) != (ssize_t)n)
		cli_die(EXIT_DATA, "write error: %s", strerror(errno ? errno : EIO));
}

static int run_files(char **files, int nfiles, int rate, int quality, struct out *o)
{
	static float x[BLOCK];
	int status = EXIT_OK, done = 0;
	ser_error err;

	for (int i = 0; i < nfiles && !done; i++) {
		const char *name = strcmp(files[i], "-") == 0 ? "(stdin)" : files[i];
		ser_audio *a;
		long m;
		cli_noise_begin(name);
		if (!(a = ser_audio_open(files[i], rate, quality, &err))) {
			cli_report(name, &err);
			cli_noise_end();
			status = EXIT_DATA;
			continue;
		}
		while ((m = ser_audio_read(a, x, BLOCK, &err)) > 0) {
			cli_noise_relay();
			if (emit(o, x, (size_t)m)) {
				done = 1;
				break;
			}
		}
		if (m < 0) {
			cli_report(name, &err);
			status = EXIT_DATA;
		}
		ser_audio_close(a);
		cli_noise_end();
	}
	return status;
}

static int run_capture(const char *device, int rate, int quality, int quiet, struct out *o)
{
	ser_error err;
	ser_capture *c;
	float *x;
	size_t cap;
	int overruns = 0, reported = 0, status = EXIT_OK;

	cli_catch_stop();
	c = ser_capture_open(device, rate, quality, &err);
	if (!c) {
		cli_report(device, &err);
		return EXIT_DATA;
	}
	if (!quiet && (ser_capture_device_rate(c) != rate || ser_capture_device_channels(c) != 1))
		cli_warn("%s: device gives %d Hz, %d channel%s; converting to %d Hz mono", device,
		         ser_capture_device_rate(c), ser_capture_device_channels(c),
		         ser_capture_device_channels(c) == 1 ? "" : "s", rate);
	cap = (size_t)ceil((double)ser_capture_period(c) * rate / ser_capture_device_rate(c)) + 64;
	x = malloc(sizeof *x * cap);
	if (!x) {
		ser_capture_close(c);
		cli_die(EXIT_DATA, "out of memory");
	}
	while (!cli_stop && !ser_capture_eof(c)) {
		long m = ser_capture_read(c, x, cap, &overruns, &err);
		if (m < 0) {
			cli_report(device, &err);
			status = EXIT_DATA;
			break;
		}
		if (overruns != reported) {
			if (!quiet)
				cli_warn("%s: overrun, samples lost (%d so far); going on", device, overruns);
			reported = overruns;
		}
		if (m > 0 && emit(o, x, (size_t)m))
			break;
	}
	free(x);
	ser_capture_close(c);
	return status;
}

int main(int argc, char **argv)
{
	static const char *const encs[] = {"s16", "f32", NULL};
	static const char *const types[] = {"raw", "wav", NULL};
	static struct out o;
	const char *device = "default";
	int device_set = 0, enc = 0, vhq = 0;
	int rate = 16000, quality = SER_RS_HQ, quiet = 0, opt, status;
	double duration = 0;
	const cli_opt opts[] = {
		{ .name = "device", .key = 'D', .type = CLI_STR, .arg = "NAME", .dest = &device,
		  .def = "default", .help = "ALSA capture device" },
		{ .name = "rate", .key = 'r', .type = CLI_INT, .arg = "HZ", .lo = SER_RATE_MIN,
		  .hi = SER_RATE_MAX, .dest = &rate, .def = "16000", .help = "output sample rate" },
		{ .name = "duration", .key = 'd', .type = CLI_REAL, .arg = "SECONDS", .lo = 1e-9, .hi = 1e9,
		  .dest = &duration, .about = "no limit", .help = "stop after SECONDS of output in total" },
		{ .name = "encoding", .key = 'e', .type = CLI_CHOICE, .arg = "ENC", .choices = encs,
		  .dest = &enc, .def = "s16",
		  .help = "s16 (signed 16-bit) or f32 (32-bit float), little-endian" },
		{ .name = "type", .key = 't', .type = CLI_CHOICE, .arg = "TYPE", .choices = types,
		  .dest = &o.wav, .def = "raw", .help = "raw (headerless, like arecord -t raw) or wav" },
		{ .name = "vhq", .key = 256, .type = CLI_FLAG, .dest = &vhq,
		  .help = "very high quality resampling (default: high quality)" },
		{ .name = "quiet", .key = 'q', .type = CLI_FLAG, .dest = &quiet,
		  .help = "no notices (device settings, overruns) on stderr" },
		{ .name = NULL },
	};
	const cli_spec spec = { "ser-capture", synopsis, intro, opts, outro };

	o.limit = UINT64_MAX;
	while ((opt = cli_getopt(argc, argv, &spec)) != -1)
		if (opt == 'D')
			device_set = 1;
	o.enc = enc ? SER_PCM_F32 : SER_PCM_S16;
	if (vhq)
		quality = SER_RS_VHQ;
	cli_refuse_tty_out("PCM", "redirect it to a file or pipe it into ser-mfcc");
	if (*device == '\0')
		cli_usage_error("--device: empty name");
	if (device_set && optind < argc)
		cli_usage_error("--device records from a device; with FILEs nothing is recorded");
	if (optind < argc)
		cli_check_stdout_not_input((const char *const *)argv + optind, argc - optind);
	if (duration > 0)
		o.limit = (uint64_t)llround(duration * rate);
	begin(&o, rate);
	if (optind < argc) {
		status = run_files(argv + optind, argc - optind, rate, quality, &o);
	} else {
		o.flush = 1;
		status = run_capture(device, rate, quality, quiet, &o);
	}
	finish(&o, rate);
	cli_close_stdout();
	return status;
}
