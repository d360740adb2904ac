/* Output files written in place or replaced atomically (outfile.h). */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINK_HOPS_MAX 40   /* as the kernel's ELOOP limit */
#define TMP_TRIES 100

struct ser_out {
	FILE *f;
	char *target;   /* the file written or replaced */
	char *tmp;      /* the temporary renamed over target; NULL: in place */
};

/* What the name leads to. */
struct target {
	char *path;        /* after symbolic links (malloc'd) */
	int exists;        /* 1: path exists */
	struct stat st;    /* of path when it exists */
};

static char *xstrcat3(const char *a, size_t na, const char *b, const char *c)
{
	size_t nb = strlen(b), nc = strlen(c);
	char *s = malloc(na + nb + nc + 1);
	if (!s)
		return NULL;
	memcpy(s, a, na);
	memcpy(s + na, b, nb);
	memcpy(s + na + nb, c, nc + 1);
	return s;
}

/* Follows symbolic links from path to a name that is not one (it may not
 * exist); relative link contents are taken from the link's directory. */
static char *resolve(const char *path, ser_error *err)
{
	char *p = strdup(path), link[PATH_MAX];
	for (int hop = 0; p && hop < LINK_HOPS_MAX; hop++) {
		struct stat st;
		if (lstat(p, &st) < 0 || !S_ISLNK(st.st_mode))
			return p;
		ssize_t k = readlink(p, link, sizeof link - 1);
		if (k < 0) {
			ser_seterr(err, SER_EIO, "readlink: %s", strerror(errno));
			free(p);
			return NULL;
		}
		link[k] = '\0';
		const char *slash = strrchr(p, '/');
		char *np = link[0] == '/' || !slash ? strdup(link)
		                                    : xstrcat3(p, (size_t)(slash - p) + 1, link, "");
		free(p);
		p = np;
	}
	if (!p)
		ser_seterr(err, SER_ENOMEM, "out of memory");
	else
		ser_seterr(err, SER_EIO, "too many levels of symbolic links");
	free(p);
	return NULL;
}

/* The directory part of path ("." when there is none). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	return xstrcat3(path, slash == path ? 1 : (size_t)(slash - path), "", "");
}

static int find_target(const char *path, struct target *t, ser_error *err)
{
	memset(t, 0, sizeof *t);
	if (!path || !*path)
		return ser_seterr(err, SER_EINVAL, "empty file name");
	if (!(t->path = resolve(path, err)))
		return err ? err->code : SER_EIO;
	if (stat(t->path, &t->st) == 0) {
		t->exists = 1;
		if (S_ISDIR(t->st.st_mode))
			return ser_seterr(err, SER_EINVAL, "is a directory");
		if (access(t->path, W_OK) < 0)
			return ser_seterr(err, SER_EIO, "not writable: %s", strerror(errno));
	} else if (errno != ENOENT) {
		return ser_seterr(err, SER_EIO, "%s", strerror(errno));
	}
	return 0;
}

/* A new temporary "TARGET.tmpXXXXXX" opened for writing (O_EXCL). */
static int tmp_open(const char *target, mode_t mode, char **name, ser_error *err)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	static unsigned long counter;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec;
	char suffix[] = ".tmpXXXXXX";
	for (int i = 0; i < TMP_TRIES; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL + counter++;
		uint64_t r = x >> 16;
		for (int k = 4; k < 10; k++, r /= 36)
			suffix[k] = digits[r % 36];
		char *tmp = xstrcat3(target, strlen(target), suffix, "");
		if (!tmp)
			return ser_seterr(err, SER_ENOMEM, "out of memory");
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
		if (fd >= 0) {
			*name = tmp;
			return fd;
		}
		int e = errno;
		free(tmp);
		if (e != EEXIST) {
			char *dir = dir_of(target);
			ser_seterr(err, SER_EIO, "cannot create a file in %s: %s", dir ? dir : ".",
			           strerror(e));
			free(dir);
			return SER_EIO;
		}
	}
	return ser_seterr(err, SER_EIO, "cannot create a temporary file: all names taken");
}

int ser_out_check(const char *path, ser_error *err)
{
	struct target t;
	int rc = find_target(path, &t, err);
	if (rc == 0 && (!t.exists || S_ISREG(t.st.st_mode))) {
		char *tmp;
		int fd = tmp_open(t.path, 0600, &tmp, err);
		if (fd < 0) {
			rc = fd;
		} else {
			close(fd);
			unlink(tmp);
			free(tmp);
		}
	}
	free(t.path);
	return rc;
}

/* The temporary takes the replaced file's owner, group and mode. */
static void keep_attributes(int fd, const struct stat *st)
{
	if (fchown(fd, st->st_uid, st->st_gid) < 0 && fchown(fd, (uid_t)-1, st->st_gid) < 0) {
		/* not allowed to give the file away: it stays ours */
	}
	fchmod(fd, st->st_mode & 07777);
}

ser_out *ser_out_open(const char *path, ser_error *err)
{
	struct target t;
	ser_out *o = NULL;
	int fd = -1;
	if (find_target(path, &t, err) < 0)
		goto fail;
	if (!(o = calloc(1, sizeof *o))) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		goto fail;
	}
	if (t.exists && !S_ISREG(t.st.st_mode)) {
		if ((fd = open(t.path, O_WRONLY)) < 0) {
			ser_seterr(err, SER_EIO, "%s", strerror(errno));
			goto fail;
		}
	} else {
		if ((fd = tmp_open(t.path, t.exists ? 0600 : 0666, &o->tmp, err)) < 0)
			goto fail;
		if (t.exists)
			keep_attributes(fd, &t.st);
	}
	if (!(o->f = fdopen(fd, "w"))) {
		ser_seterr(err, SER_ENOMEM, "out of memory");
		goto fail;
	}
	o->target = t.path;
	return o;
fail:
	if (fd >= 0)
		close(fd);
	if (o && o->tmp)
		unlink(o->tmp);
	if (o)
		free(o->tmp);
	free(o);
	free(t.path);
	return NULL;
}

FILE *ser_out_file(ser_out *o)
{
	return o->f;
}

static void sync_dir(const char *target)
{
	char *dir = dir_of(target);
	int fd = dir ? open(dir, O_RDONLY) : -1;
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int ser_out_commit(ser_out *o, ser_error *err)
{
	int rc = 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		rc = ser_seterr(err, SER_EIO, "write: %s", strerror(errno ? errno : EIO));
	if (rc == 0 && o->tmp && fsync(fileno(o->f)) < 0)
		rc = ser_seterr(err, SER_EIO, "fsync: %s", strerror(errno));
	if (fclose(o->f) != 0 && rc == 0)
		rc = ser_seterr(err, SER_EIO, "close: %s", strerror(errno));
	if (rc == 0 && o->tmp && rename(o->tmp, o->target) < 0)
		rc = ser_seterr(err, SER_EIO, "rename: %s", strerror(errno));
	if (o->tmp) {
		if (rc < 0)
			unlink(o->tmp);
		else
			sync_dir(o->target);
	}
	free(o->tmp);
	free(o->target);
	free(o);
	return rc;
}

void ser_out_abort(ser_out *o)
{
	if (!o)
		return;
	fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->target);
	free(o);
}

static int stat_name(const char *name, struct stat *st)
{
	return strcmp(name, "-") ? stat(name, st) : fstat(STDIN_FILENO, st);
}

static int same_regular(const struct stat *a, const struct stat *b)
{
	return S_ISREG(a->st_mode) && S_ISREG(b->st_mode) && a->st_dev == b->st_dev &&
	       a->st_ino == b->st_ino;
}

int ser_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return a && b && stat_name(a, &sa) == 0 && stat_name(b, &sb) == 0 && same_regular(&sa, &sb);
}

int ser_same_file_fd(const char *a, int fd)
{
	struct stat sa, sb;
	return a && stat_name(a, &sa) == 0 && fstat(fd, &sb) == 0 && same_regular(&sa, &sb);
}
