/* Shared helpers of the ser programs: diagnostics, options, stdout. */
#include "cli.h"
#include "outfile.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
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

static void vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	(void)sig;
	cli_stop = 1;
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
