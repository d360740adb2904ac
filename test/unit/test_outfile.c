/* Output files (outfile.h): checks, atomic replacement keeping mode and
 * links, FIFOs written in place, abort, same-file tests. Every path is in
 * a fresh temporary directory. */
#include "check.h"
#include "outfile.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[4096];

static const char *at(const char *name)
{
	static char buf[4][4200];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

static int write_text(const char *path, const char *text, ser_error *e)
{
	ser_out *o = ser_out_open(path, e);
	if (!o)
		return e->code;
	fputs(text, ser_out_file(o));
	return ser_out_commit(o, e);
}

static int holds(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return !strcmp(buf, text);
}

static int temporaries(void)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += strstr(de->d_name, ".tmp") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void test_check(void)
{
	ser_error e;
	CHECK(ser_out_check("", &e) == SER_EINVAL, "empty name: usage (%s)", e.msg);
	CHECK(ser_out_check(dir, &e) == SER_EINVAL, "a directory: usage (%s)", e.msg);
	CHECK(ser_out_check(at("none/x"), &e) == SER_EIO && strstr(e.msg, "none"),
	      "missing directory: I/O, names it (%s)", e.msg);
	CHECK(ser_out_check(at("new"), &e) == 0 && access(at("new"), F_OK) != 0 && temporaries() == 0,
	      "a new file: fine, nothing left behind");
}

static void test_replace(void)
{
	ser_error e;
	struct stat st;
	CHECK(write_text(at("m"), "one", &e) == 0 && holds(at("m"), "one"), "new file written");
	chmod(at("m"), 0640);
	CHECK(write_text(at("m"), "two", &e) == 0 && holds(at("m"), "two"), "replaced");
	CHECK(stat(at("m"), &st) == 0 && (st.st_mode & 07777) == 0640, "mode 640 kept (%o)",
	      (unsigned)(st.st_mode & 07777));
	mkdir(at("sub"), 0755);
	symlink("sub/t", at("link"));
	CHECK(write_text(at("link"), "via", &e) == 0, "through a link to a file not made yet");
	CHECK(lstat(at("link"), &st) == 0 && S_ISLNK(st.st_mode) && holds(at("sub/t"), "via"),
	      "the link stays, its target holds the content");
	CHECK(write_text(at("link"), "again", &e) == 0 && holds(at("sub/t"), "again") &&
	      lstat(at("link"), &st) == 0 && S_ISLNK(st.st_mode), "and replaced through it");
	ser_out *o = ser_out_open(at("m"), &e);
	fputs("half", ser_out_file(o));
	ser_out_abort(o);
	CHECK(holds(at("m"), "two") && temporaries() == 0, "abort: target untouched, no temporary");
}

static void test_fifo(void)
{
	ser_error e;
	struct stat st;
	char buf[16] = "";
	mkfifo(at("fifo"), 0644);
	int rd = open(at("fifo"), O_RDONLY | O_NONBLOCK);   /* a reader, so the writer opens */
	int rc = write_text(at("fifo"), "piped", &e);
	ssize_t n = rd >= 0 ? read(rd, buf, sizeof buf - 1) : -1;
	CHECK(rc == 0 && n == 5 && !memcmp(buf, "piped", 5), "FIFO written in place (%s)", rc ? e.msg : "");
	CHECK(stat(at("fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "and still a FIFO");
	if (rd >= 0)
		close(rd);
}

static void test_same(void)
{
	ser_error e;
	write_text(at("a"), "a", &e);
	write_text(at("b"), "a", &e);
	link(at("a"), at("hard"));
	symlink("a", at("soft"));
	CHECK(ser_same_file(at("a"), at("hard")) && ser_same_file(at("a"), at("soft")),
	      "same file through a hard and a symbolic link");
	CHECK(!ser_same_file(at("a"), at("b")) && !ser_same_file(at("a"), at("none")),
	      "different or missing files are not the same");
	CHECK(!ser_same_file(at("fifo"), at("fifo")), "a FIFO is never 'the same file'");
}

int main(void)
{
	const char *tmpd = getenv("SER_TMP") ? getenv("SER_TMP") : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/test_outfile.XXXXXX", tmpd);
	if (!mkdtemp(dir)) {
		CHECK(0, "temporary directory");
		return check_status();
	}
	test_check();
	test_replace();
	test_fifo();
	test_same();
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		CHECK(0, "clean up %s", dir);
	return check_status();
}
