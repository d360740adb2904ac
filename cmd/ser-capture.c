/* ser-capture: record from ALSA or decode audio files to mono PCM on stdout.
 * See ser-capture(1). */
#include "audio.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

static void usage(void)
{
	printf("%s", synopsis);
	printf(
	"Without FILE, records from an ALSA device; with FILEs (- is stdin), decodes\n"
	"them (any format libsndfile reads) one after the other. Downmixes to mono,\n"
	"resamples to HZ and writes PCM to stdout.\n"
	"\n"
	"  -D, --device NAME      ALSA capture device (string; default: default)\n"
	"  -r, --rate HZ          output sample rate (integer, %d..%d; default: 16000)\n"
	"  -d, --duration SECONDS stop after SECONDS of output in total\n"
	"                         (number, > 0; default: no limit)\n"
	"  -e, --encoding ENC     s16 (signed 16-bit) or f32 (32-bit float), little-endian\n"
	"                         (default: s16)\n"
	"  -t, --type TYPE        raw (headerless, like arecord -t raw) or wav\n"
	"                         (default: raw)\n"
	"      --vhq              very high quality resampling (default: high quality)\n"
	"  -q, --quiet            no notices (device settings, overruns) on stderr\n"
	"  -h, --help             print this help and exit\n"
	"\n"
	"Exit status: 0 ok, 1 usage error, 2 input, device or output error.\n",
	SER_RATE_MIN, SER_RATE_MAX);
}

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
	static const struct option longopts[] = {
		{"device", required_argument, NULL, 'D'},
		{"rate", required_argument, NULL, 'r'},
		{"duration", required_argument, NULL, 'd'},
		{"encoding", required_argument, NULL, 'e'},
		{"type", required_argument, NULL, 't'},
		{"vhq", no_argument, NULL, 'V'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	static const char *const encs[] = {"s16", "f32", NULL};
	static const char *const types[] = {"raw", "wav", NULL};
	static struct out o;
	const char *device = "default";
	int device_set = 0;
	int rate = 16000, quality = SER_RS_HQ, quiet = 0, opt, status;
	double duration = 0;

	cli_init("ser-capture", synopsis);
	o.limit = UINT64_MAX;
	while ((opt = getopt_long(argc, argv, "D:r:d:e:t:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'D': device = optarg; device_set = 1; break;
		case 'r': rate = (int)cli_long("--rate", optarg, SER_RATE_MIN, SER_RATE_MAX); break;
		case 'd': duration = cli_double("--duration", optarg, 1e-9, 1e9); break;
		case 'e': o.enc = cli_choice("--encoding", optarg, encs) ? SER_PCM_F32 : SER_PCM_S16; break;
		case 't': o.wav = cli_choice("--type", optarg, types); break;
		case 'V': quality = SER_RS_VHQ; break;
		case 'q': quiet = 1; break;
		case 'h': usage(); cli_close_stdout(); return EXIT_OK;
		default: cli_usage_error("unknown option");
		}
	}
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
