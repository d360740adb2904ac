/* ser-mfcc: PCM or audio files to a feature stream. See ser-mfcc(1). */
#include "audio.h"
#include "cli.h"
#include "featio.h"
#include "mfcc.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 4096      /* samples read at a time */
#define YMAX 256        /* frames taken from the front end at a time */

static const char synopsis[] =
	"Usage: ser-mfcc [-p PRESET] [--KEY VALUE]... [-r HZ] [-e s16|f32] [--input-rate HZ]\n"
	"                [-k KEY] [-t|--raw|--ark] [--print-settings] [FILE...]\n";

enum { O_INPUT_RATE = 256, O_VHQ, O_RAW, O_ARK, O_PRINT, O_KEYS = 512 };

struct ctx {
	ser_fe *fe;
	ser_fw *fw;
	int rate;            /* analysis rate, Hz */
	int quality;         /* SER_RS_* */
	int enc;             /* raw stdin encoding */
	int input_rate;      /* raw stdin rate, 0: the analysis rate */
	int live;            /* flush after every block */
	float in[BLOCK];
	float *rsbuf;        /* resampler output */
	size_t rscap;
	float *y;            /* (YMAX, dim) */
	size_t dim;
};

/* Value of key in a settings text (for the defaults shown by --help). */
static const char *text_value(const char *text, const char *key, char *buf, size_t n)
{
	size_t kl = strlen(key);
	const char *s = text;
	buf[0] = '\0';
	while ((s = strstr(s, key)) != NULL) {
		if ((s == text || s[-1] == ' ') && s[kl] == '=') {
			size_t l = strcspn(s + kl + 1, " ");
			if (l >= n)
				l = n - 1;
			memcpy(buf, s + kl + 1, l);
			buf[l] = '\0';
			break;
		}
		s += kl;
	}
	return buf;
}

static void usage(void)
{
	ser_feat_opts o;
	char text[4096], v[64];
	ser_feat_preset(&o, "ser", NULL);
	ser_feat_settings_text(&o, text, sizeof text);
	printf("%s", synopsis);
	printf(
	"Computes MFCC (or log mel) features of PCM on stdin (raw, or WAV detected by\n"
	"its header) or of audio FILEs (anything libsndfile reads, one utterance each,\n"
	"keyed by the path as given; - is stdin) and writes a feature stream to stdout.\n"
	"Input at another rate than the analysis rate is resampled.\n"
	"\n"
	"  -p, --preset NAME      ser, librosa, kaldi or htk (default: ser); applied\n"
	"                         first, whatever the option order; every setting\n"
	"                         below overrides it\n"
	"  -r, --rate HZ          analysis sample rate, also of raw stdin (integer,\n"
	"                         %d..%d; default: the preset's, ser: 16000)\n"
	"  -e, --encoding ENC     raw stdin: s16 or f32, little-endian (default: s16)\n"
	"      --input-rate HZ    raw stdin is at HZ, resampled to the analysis rate\n"
	"                         (integer, %d..%d; default: the analysis rate)\n"
	"      --vhq              very high quality resampling (default: high quality)\n"
	"  -k, --key NAME         utterance key of stdin (string; default: -)\n"
	"  -t, --text             Kaldi text archive output (default: binary stream)\n"
	"      --raw              bare float32 output, frames back to back\n"
	"      --ark              Kaldi binary archive output\n"
	"      --print-settings   print the canonical settings text and exit\n"
	"  -h, --help             print this help and exit\n"
	"\n"
	"Settings (--KEY VALUE; default: the ser preset's value):\n",
	SER_RATE_MIN, SER_RATE_MAX, SER_RATE_MIN, SER_RATE_MAX);
	for (int i = 0; ser_feat_keys[i]; i++) {
		if (!strcmp(ser_feat_keys[i], "rate"))
			continue;
		printf("      --%-14s %s (default: %s)\n", ser_feat_keys[i],
		       ser_feat_key_help(ser_feat_keys[i]),
		       text_value(text, ser_feat_keys[i], v, sizeof v));
	}
	printf(
	"\n"
	"Exit status: 0 ok, 1 usage error (including invalid settings), 2 input or\n"
	"output error (other FILEs are still processed).\n");
}

static void out_error(const ser_error *err)
{
	cli_report("stdout", err);
	exit(EXIT_DATA);
}

/* Writes the ready frames. */
static void drain(struct ctx *c)
{
	size_t k;
	ser_error err;
	while ((k = ser_fe_get(c->fe, c->y, YMAX)) > 0)
		if (ser_fw_frames(c->fw, c->y, k, &err) < 0)
			out_error(&err);
}

static int feed(struct ctx *c, const float *x, size_t n, ser_error *err)
{
	int rc = ser_fe_accept(c->fe, x, n, err);
	if (rc < 0)
		return rc;
	drain(c);
	if (c->live)
		cli_flush(stdout);
	return 0;
}

/* Ends the utterance: edge frames, utterance-wide stages, END record. */
static void end_utt(struct ctx *c)
{
	ser_error err;
	if (ser_fe_finish(c->fe, &err) < 0)
		cli_report("front end", &err);
	drain(c);
	if (ser_fw_end(c->fw, &err) < 0)
		out_error(&err);
	ser_fe_reset(c->fe);
	cli_flush(stdout);
}

/* Starts the utterance of input name. A key the output format cannot
 * hold (a Kaldi archive: no white space) is that input's error: reported,
 * -1, nothing written, and the next input goes on. */
static int begin_utt(struct ctx *c, const char *name, const char *key)
{
	ser_error err;
	if (ser_fw_begin(c->fw, key, &err) == 0)
		return 0;
	if (err.code != SER_EINVAL)
		out_error(&err);
	cli_report(name, &err);
	return -1;
}

/* stdin: raw or WAV PCM, streamed. Returns 0 or EXIT_DATA. */
static int run_stdin(struct ctx *c, const char *key)
{
	ser_error err;
	ser_resampler *rs = NULL;
	ser_pcm_in *p = ser_pcm_in_open(0, c->enc, c->input_rate ? c->input_rate : c->rate, 1, &err);
	int status = 0;
	if (!p) {
		cli_report("-", &err);
		return EXIT_DATA;
	}
	if (ser_pcm_in_rate(p) != c->rate) {
		rs = ser_resampler_new(ser_pcm_in_rate(p), c->rate, c->quality, &err);
		if (!rs) {
			cli_report("-", &err);
			ser_pcm_in_close(p);
			return EXIT_DATA;
		}
		c->rscap = (size_t)(BLOCK * ser_resampler_ratio(rs)) + 1024;
		c->rsbuf = realloc(c->rsbuf, c->rscap * sizeof *c->rsbuf);
		if (!c->rsbuf)
			cli_die(EXIT_DATA, "out of memory");
	}
	if (begin_utt(c, "-", key) < 0) {
		ser_resampler_free(rs);
		ser_pcm_in_close(p);
		return EXIT_DATA;
	}
	for (;;) {
		long n = cli_stop ? 0 : ser_pcm_in_read(p, c->in, BLOCK, &err);
		size_t nout;
		if (n < 0 && err.code == SER_EINTR && cli_stop)
			n = 0;
		if (n < 0) {
			cli_report("-", &err);
			status = EXIT_DATA;
			n = 0;
		}
		if (!rs) {
			if (n == 0)
				break;
			if (feed(c, c->in, (size_t)n, &err) < 0) {
				cli_report("-", &err);
				status = EXIT_DATA;
				break;
			}
			continue;
		}
		/* resampled: n == 0 flushes the tail (in NULL) until nothing comes;
		 * otherwise drain (in != NULL, nin 0) while the buffer fills */
		for (int first = 1; status == 0; first = 0) {
			const float *src = n ? c->in : NULL;
			if (ser_resampler_process(rs, src, first ? (size_t)n : 0, c->rsbuf, c->rscap, &nout, &err) < 0) {
				cli_report("-", &err);
				status = EXIT_DATA;
				break;
			}
			if (nout && feed(c, c->rsbuf, nout, &err) < 0) {
				cli_report("-", &err);
				status = EXIT_DATA;
				break;
			}
			if (n ? nout < c->rscap : nout == 0)
				break;
		}
		if (n == 0 || status)
			break;
	}
	end_utt(c);
	ser_resampler_free(rs);
	ser_pcm_in_close(p);
	return status;
}

/* An audio file, decoded and resampled by libser. */
static int run_file(struct ctx *c, const char *path)
{
	ser_error err;
	ser_audio *a = ser_audio_open(path, c->rate, c->quality, &err);
	int status = 0;
	if (!a) {
		cli_report(path, &err);
		return EXIT_DATA;
	}
	if (begin_utt(c, path, path) < 0) {
		ser_audio_close(a);
		return EXIT_DATA;
	}
	for (;;) {
		long n = ser_audio_read(a, c->in, BLOCK, &err);
		if (n < 0) {
			cli_report(path, &err);
			status = EXIT_DATA;
			break;
		}
		if (n == 0 || cli_stop)
			break;
		if (feed(c, c->in, (size_t)n, &err) < 0) {
			cli_report(path, &err);
			status = EXIT_DATA;
			break;
		}
	}
	end_utt(c);
	ser_audio_close(a);
	return status;
}

/* Options that would be accepted and ignored are usage errors: an option
 * of standard input when no input is standard input (FILEs given, none
 * "-"), --print-settings with FILEs, two output formats. */
static void check_applies(const char *stdin_opt, int print, int nfmt, char **in, int n)
{
	int reads_stdin = n == 0;
	for (int i = 0; i < n; i++)
		reads_stdin |= !strcmp(in[i], "-");
	if (print && n)
		cli_usage_error("--print-settings reads no FILE");
	if (stdin_opt && !reads_stdin)
		cli_usage_error("%s applies to standard input, and no input is (give - among the FILEs)",
		                stdin_opt);
	if (nfmt > 1)
		cli_usage_error("only one of -t, --raw and --ark");
}

int main(int argc, char **argv)
{
	static const char *const encs[] = { "s16", "f32", NULL };
	struct option lopts[64 + 16];
	const char *preset = "ser", *key = "-";
	const char **ov_key = calloc((size_t)argc, sizeof *ov_key);
	const char **ov_val = calloc((size_t)argc, sizeof *ov_val);
	int nov = 0, fmt = SER_FW_BINARY, print = 0, nl = 0, ch, status = 0, nfmt = 0;
	const char *stdin_opt = NULL;   /* an option only standard input uses */
	struct ctx c;
	ser_feat_opts o;
	ser_feat_info info;
	ser_error err;
	char text[SER_FEAT_SETTINGS_MAX];

	cli_init("ser-mfcc", synopsis);
	opterr = 0;
	memset(&c, 0, sizeof c);
	c.enc = SER_PCM_S16;
	c.quality = SER_RS_HQ;
	if (!ov_key || !ov_val)
		cli_die(EXIT_DATA, "out of memory");
	{
		static const struct option fixed[] = {
			{ "preset", required_argument, NULL, 'p' },
			{ "rate", required_argument, NULL, 'r' },
			{ "encoding", required_argument, NULL, 'e' },
			{ "input-rate", required_argument, NULL, O_INPUT_RATE },
			{ "vhq", no_argument, NULL, O_VHQ },
			{ "key", required_argument, NULL, 'k' },
			{ "text", no_argument, NULL, 't' },
			{ "raw", no_argument, NULL, O_RAW },
			{ "ark", no_argument, NULL, O_ARK },
			{ "print-settings", no_argument, NULL, O_PRINT },
			{ "help", no_argument, NULL, 'h' },
		};
		for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
			lopts[nl++] = fixed[i];
		for (int i = 0; ser_feat_keys[i] && nl < 64 + 14; i++) {
			if (!strcmp(ser_feat_keys[i], "rate"))
				continue;
			lopts[nl].name = ser_feat_keys[i];
			lopts[nl].has_arg = required_argument;
			lopts[nl].flag = NULL;
			lopts[nl].val = O_KEYS + i;
			nl++;
		}
		memset(&lopts[nl], 0, sizeof lopts[nl]);
	}
	while ((ch = getopt_long(argc, argv, "p:r:e:k:th", lopts, NULL)) != -1) {
		switch (ch) {
		case 'p': preset = optarg; break;
		case 'r':
			ov_key[nov] = "rate";
			ov_val[nov++] = optarg;
			break;
		case 'e':
			c.enc = cli_choice("--encoding", optarg, encs);
			stdin_opt = "--encoding";
			break;
		case O_INPUT_RATE:
			c.input_rate = (int)cli_long("--input-rate", optarg, SER_RATE_MIN, SER_RATE_MAX);
			stdin_opt = "--input-rate";
			break;
		case O_VHQ: c.quality = SER_RS_VHQ; break;
		case 'k': key = optarg; stdin_opt = "--key"; break;
		case 't': fmt = SER_FW_TEXT; nfmt++; break;
		case O_RAW: fmt = SER_FW_RAW; nfmt++; break;
		case O_ARK: fmt = SER_FW_ARK; nfmt++; break;
		case O_PRINT: print = 1; break;
		case 'h':
			free(ov_key);
			free(ov_val);
			usage();
			cli_close_stdout();
			return EXIT_OK;
		default:
			if (ch >= O_KEYS && ch < O_KEYS + 64) {
				ov_key[nov] = ser_feat_keys[ch - O_KEYS];
				ov_val[nov++] = optarg;
				break;
			}
			cli_usage_error("unknown option or missing value: '%s'", argv[optind - 1]);
		}
	}
	check_applies(stdin_opt, print, nfmt, argv + optind, argc - optind);
	if (ser_feat_preset(&o, preset, &err) < 0)
		cli_usage_error("--preset: %s", err.msg);
	for (int i = 0; i < nov; i++)
		if (ser_feat_set(&o, ov_key[i], ov_val[i], &err) < 0)
			cli_usage_error("--%s", err.msg);
	if (ser_feat_check(&o, &err) < 0)
		cli_usage_error("%s", err.msg);
	if (strlen(key) == 0 || strlen(key) > SER_FEAT_KEY_MAX)
		cli_usage_error("--key: empty or longer than %d bytes", SER_FEAT_KEY_MAX);
	if (ser_feat_info_fill(&o, &info, text, sizeof text, &err) < 0)
		cli_die(EXIT_DATA, "%s", err.msg);
	free(ov_key);
	free(ov_val);
	if (print) {
		printf("%s\n", text);
		cli_close_stdout();
		return EXIT_OK;
	}
	cli_check_stdout_not_input((const char *const *)argv + optind, argc - optind);
	c.rate = o.rate;
	c.fe = ser_fe_new(&o, &err);
	if (!c.fe)
		cli_die(EXIT_DATA, "%s", err.msg);
	c.dim = ser_fe_dim(c.fe);
	c.y = malloc(YMAX * c.dim * sizeof *c.y);
	if (!c.y)
		cli_die(EXIT_DATA, "out of memory");
	c.fw = ser_fw_new(stdout, fmt, &info, &err);
	if (!c.fw)
		out_error(&err);
	cli_catch_stop();
	if (optind == argc) {
		c.live = 1;
		status = run_stdin(&c, key);
	}
	for (int i = optind; i < argc && !cli_stop; i++) {
		int rc;
		if (!strcmp(argv[i], "-")) {
			c.live = 1;
			rc = run_stdin(&c, key);
			c.live = 0;
		} else {
			rc = run_file(&c, argv[i]);
		}
		if (rc)
			status = rc;
	}
	ser_fw_free(c.fw);
	ser_fe_free(c.fe);
	free(c.y);
	free(c.rsbuf);
	cli_close_stdout();
	return status;
}
