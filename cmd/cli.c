/* Shared helpers of the ser programs: diagnostics, options, stdout. */
#define _GNU_SOURCE
#include "cli.h"
#include "outfile.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *cli_prog = "ser";
static const char *cli_synopsis = "";
volatile int cli_stop;

void cli_init(const char *prog, const char *synopsis)
{
	cli_prog = prog;
	cli_synopsis = synopsis;
	signal(SIGPIPE, SIG_DFL);
}

/* While decoder noise is caught, fd 2 is noise_fd and the real standard
 * error is saved_err. */
static int noise_fd = -1, saved_err = -1;
static const char *noise_name;

static void put_err(const char *s, size_t n)
{
	int fd = saved_err >= 0 ? saved_err : 2;
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static int progress_drawn;   /* a progress line is on the terminal */

static void vwarn(const char *fmt, va_list ap)
{
	char b[4096];
	int k = snprintf(b, sizeof b, "%s: ", cli_prog);
	fflush(stdout);
	fflush(stderr);
	if (progress_drawn) {
		put_err("\r\033[K", 4);
		progress_drawn = 0;
	}
	cli_noise_relay();
	if (k > 0 && (size_t)k < sizeof b)
		k += vsnprintf(b + k, sizeof b - (size_t)k, fmt, ap);
	if (k < 0)
		return;
	if ((size_t)k >= sizeof b - 1)
		k = (int)sizeof b - 2;
	b[k++] = '\n';
	put_err(b, (size_t)k);
}

void cli_noise_begin(const char *name)
{
	noise_name = name;
	if (noise_fd >= 0)
		return;
	fflush(stderr);
	if ((noise_fd = memfd_create("ser-noise", 0)) < 0)
		return;
	if ((saved_err = dup(2)) < 0 || dup2(noise_fd, 2) < 0) {
		if (saved_err >= 0)
			close(saved_err);
		close(noise_fd);
		noise_fd = saved_err = -1;
	}
}

void cli_noise_relay(void)
{
	char b[16384];
	ssize_t n;
	if (noise_fd < 0)
		return;
	fflush(stderr);
	/* what a decoder wrote since the last relay (its first 16 KiB) */
	if ((n = pread(noise_fd, b, sizeof b - 1, 0)) <= 0)
		return;
	b[n] = '\0';
	for (char *l = b, *e; *l; l = e + 1) {
		char m[17000];
		int k;
		if (!(e = strchr(l, '\n')))
			e = l + strlen(l);
		k = snprintf(m, sizeof m, "%s: %s: decoder: %.*s\n", cli_prog, noise_name ? noise_name : "-",
		             (int)(e - l), l);
		if (k > 0)
			put_err(m, (size_t)k < sizeof m ? (size_t)k : sizeof m - 1);
		if (!*e)
			break;
	}
	if (ftruncate(noise_fd, 0) == 0)
		lseek(noise_fd, 0, SEEK_SET);
}

void cli_noise_end(void)
{
	if (noise_fd < 0)
		return;
	cli_noise_relay();
	dup2(saved_err, 2);
	close(saved_err);
	close(noise_fd);
	noise_fd = saved_err = -1;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void cli_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "%sTry '%s --help' for more information.\n", cli_synopsis, cli_prog);
	exit(EXIT_USAGE);
}

void cli_report(const char *name, const ser_error *err)
{
	const char *m = err && err->msg[0] ? err->msg : ser_strerror(err ? err->code : SER_EIO);
	if (name)
		cli_warn("%s: %s", name, m);
	else
		cli_warn("%s", m);
}

void cli_check_output(const char *opt, const char *path)
{
	ser_error err;
	if (!*path)
		cli_usage_error("%s: empty file name", opt);
	if (ser_out_check(path, &err) < 0) {
		if (err.code == SER_EINVAL)
			cli_usage_error("%s: %s", path, err.msg);
		cli_report(path, &err);
		exit(EXIT_DATA);
	}
}

void cli_check_not_input(const char *opt, const char *path, const char *const *in, int n)
{
	for (int i = 0; i < n; i++)
		if (in[i] && ser_same_file(path, in[i]))
			cli_usage_error("%s: the output of %s is also an input%s%s (it would be destroyed)",
			                path, opt, strcmp(path, in[i]) ? ", " : "",
			                !strcmp(path, in[i]) ? "" : strcmp(in[i], "-") ? in[i]
			                : "standard input");
}

void cli_check_stdout_not_input(const char *const *in, int n)
{
	static const char *const std_in[] = { "-" };
	if (n == 0)
		in = std_in, n = 1;
	for (int i = 0; i < n; i++)
		if (ser_same_file_fd(in[i], STDOUT_FILENO))
			cli_usage_error("%s: input file is output file",
			                strcmp(in[i], "-") ? in[i] : "standard input");
}

long cli_long(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE)
		cli_usage_error("%s: '%s' is not an integer", opt, s);
	if (v < lo || v > hi)
		cli_usage_error("%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
	return v;
}

double cli_double(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
		cli_usage_error("%s: '%s' is not a number", opt, s);
	if (v < lo || v > hi)
		cli_usage_error("%s: %g is out of range [%g, %g]", opt, v, lo, hi);
	return v;
}

int cli_choice(const char *opt, const char *s, const char *const *choices)
{
	char list[256] = "";
	for (int i = 0; choices[i]; i++) {
		if (strcmp(s, choices[i]) == 0)
			return i;
		if (i)
			strncat(list, "|", sizeof list - strlen(list) - 1);
		strncat(list, choices[i], sizeof list - strlen(list) - 1);
	}
	cli_usage_error("%s: '%s' is not one of %s", opt, s, list);
}

static _Noreturn void write_failed(void)
{
	if (errno == EPIPE)
		exit(EXIT_DATA);  /* reader went away while SIGPIPE is ignored: quiet */
	cli_die(EXIT_DATA, "write error: %s", strerror(errno ? errno : EIO));
}

void cli_write(FILE *f, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, f) != n)
		write_failed();
}

void cli_flush(FILE *f)
{
	if (fflush(f) != 0)
		write_failed();
}

void cli_close_stdout(void)
{
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		write_failed();
	if (fclose(stdout) != 0)
		write_failed();
}

static void on_stop(int sig)
{
	cli_stop = sig;
}

const char *cli_stop_name(void)
{
	return cli_stop == SIGINT ? "SIGINT" : cli_stop == SIGTERM ? "SIGTERM" : "a signal";
}

void cli_reraise(void)
{
	int sig = cli_stop;
	if (!sig)
		return;
	fflush(stdout);
	cli_noise_end();
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_catch_stop(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const char *cli_find_model(const char *opt, char *buf, size_t n)
{
	const char *env = getenv("SER_MODEL");
	ssize_t k;
	char *slash;
	if (opt)
		return opt;
	if (env && *env)
		return env;
	snprintf(buf, n, "%s/default.ser", SER_DATADIR);
	if (access(buf, R_OK) == 0)
		return buf;
	if (n < 64 || (k = readlink("/proc/self/exe", buf, n - 32)) <= 0)
		return NULL;
	buf[k] = '\0';
	if (!(slash = strrchr(buf, '/')))
		return NULL;
	strcpy(slash, "/../weights/default.ser");
	return access(buf, R_OK) == 0 ? buf : NULL;
}

/* ---- progress over many inputs ---- */
static struct {
	int on;
	long total;
	double t0, last;   /* s, monotonic */
} prog;

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_start(long total, int quiet)
{
	prog.on = !quiet && total > 1 && isatty(STDERR_FILENO);
	prog.total = total;
	prog.t0 = mono_now();
	prog.last = 0;
}

void cli_progress(long done)
{
	char b[160];
	double t, rate;
	int k;
	if (!prog.on)
		return;
	t = mono_now();
	if (done < prog.total && t - prog.last < 0.25)
		return;
	prog.last = t;
	rate = t > prog.t0 ? (double)done / (t - prog.t0) : 0;
	k = snprintf(b, sizeof b, "\r\033[K%s: %ld/%ld files, %.1f files/s", cli_prog, done, prog.total, rate);
	if (rate > 0 && done < prog.total && k > 0 && (size_t)k < sizeof b)
		k += snprintf(b + k, sizeof b - (size_t)k, ", %.0f s left", (double)(prog.total - done) / rate);
	if (k > 0 && (size_t)k < sizeof b) {
		put_err(b, (size_t)k);
		progress_drawn = 1;
	}
}

void cli_progress_end(void)
{
	if (prog.on && progress_drawn) {
		put_err("\r\033[K", 4);
		progress_drawn = 0;
	}
	prog.on = 0;
}
