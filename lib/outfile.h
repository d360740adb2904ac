/* Output files that replace what was there without destroying anything:
 * the one home of atomic writes in libser (models, ser-eval --svg).
 *
 * The name given is followed through symbolic links to the file they name
 * (the target, which may not exist yet). Then:
 *  - a target that exists and is not a regular file (a device such as
 *    /dev/null, a FIFO) is opened and written in place, never replaced;
 *  - otherwise the content goes to a new temporary file "TARGET.tmpXXXXXX"
 *    beside the target (same directory, so same file system), which
 *    ser_out_commit flushes, fsyncs and renames over the target (then
 *    fsyncs the directory). An existing target's mode bits and owner and
 *    group are kept (the owner as far as the process may set it); a new
 *    file gets 0666 less the umask, as fopen would give. On failure the
 *    target is untouched and the temporary removed.
 * Messages do not repeat the name given (callers print "prog: NAME: msg"). */
#ifndef SER_OUTFILE_H
#define SER_OUTFILE_H

#include <stdio.h>
#include "ser.h"

typedef struct ser_out ser_out;

/* Checks, without writing, that path can be written as above: SER_EINVAL
 * for an empty name or a directory (a usage error), SER_EIO for a target
 * or directory that is missing, not writable or on a read-only file
 * system (a temporary file is made and removed to be sure). */
int ser_out_check(const char *path, ser_error *err);

/* Starts writing path; NULL with err set on failure (see ser_out_check). */
ser_out *ser_out_open(const char *path, ser_error *err);
/* The stream to write the content to (owned by o). */
FILE *ser_out_file(ser_out *o);
/* Ends the write: flush, fsync, close, rename. Frees o; 0 or SER_EIO. */
int ser_out_commit(ser_out *o, ser_error *err);
/* Gives up: closes and removes the temporary (the target is untouched).
 * Frees o; NULL is allowed. */
void ser_out_abort(ser_out *o);

/* 1 if a and b name the same existing regular file (device and inode,
 * through links and other names), else 0; the name "-" stands for
 * standard input. Devices and FIFOs are never "the same file" here:
 * writing one in place destroys nothing. */
int ser_same_file(const char *a, const char *b);
/* The same for a name and an open descriptor (e.g. standard output). */
int ser_same_file_fd(const char *a, int fd);

#endif
