/* Speech segments of long recordings (ser-classify --segments), and the
 * label formats a user annotates with: Audacity label tracks, Praat
 * TextGrid, WebVTT.
 *
 * Segmenter, frame by frame (files and live alike, constant memory):
 * a segment starts at a voiced frame (vad.h) and goes on through
 * unvoiced runs shorter than min_pause frames; an unvoiced run of
 * min_pause frames ends it after its last voiced frame. A segment that
 * reaches max_len frames ends there (its trailing unvoiced frames
 * dropped), and the next voiced frame starts a new one. A segment with
 * fewer than min_len frames (a click, a breath) is dropped. */
#ifndef SER_SEGMENTS_H
#define SER_SEGMENTS_H

#include <stdio.h>
#include "ser.h"

typedef struct ser_seg_opts {
	int min_pause;   /* frames of unvoiced that end a segment, >= 1 */
	int max_len;     /* frames, the longest segment, >= min_len */
	int min_len;     /* frames, shorter segments are dropped, >= 1 */
} ser_seg_opts;

typedef struct ser_segment {
	long start;          /* first frame, counted from the utterance's start */
	int len;             /* frames */
	const float *frames; /* (len, dim), valid until the next push */
} ser_segment;

typedef struct ser_segr ser_segr;
/* A segmenter of frames of dim values. SER_EINVAL for options out of
 * range, SER_ELIMIT for a buffer too large, SER_ENOMEM. */
ser_segr *ser_segr_new(const ser_seg_opts *o, int dim, ser_error *err);
/* One frame and its voice flag. Returns 1 when s holds a finished
 * segment, else 0. No allocation. */
int ser_segr_push(ser_segr *g, const float *frame, int voiced, ser_segment *s);
/* End of the utterance: 1 with the segment in progress in s, 0 when none;
 * then ready for the next utterance. */
int ser_segr_finish(ser_segr *g, ser_segment *s);
void ser_segr_reset(ser_segr *g);
void ser_segr_free(ser_segr *g);

/* ---- label formats ---- */
enum ser_span_fmt { SER_FMT_TSV, SER_FMT_JSON, SER_FMT_AUDACITY, SER_FMT_TEXTGRID, SER_FMT_VTT };
/* "tsv", "json", "audacity", "textgrid", "vtt"; NULL-terminated */
extern const char *const ser_span_fmt_names[];

/* A labelled stretch of time, seconds. */
typedef struct ser_span {
	double start, end;
	const char *label;   /* not owned */
	double confidence;
} ser_span;

/* An Audacity label line "start<TAB>end<TAB>label\n" (6 decimals; TAB,
 * CR and LF in the label as spaces) into buf (n bytes). Returns the
 * length it needs, as snprintf. */
int ser_span_audacity(char *buf, size_t n, const ser_span *s);
/* "WEBVTT\n\n", the file's first line. */
extern const char ser_vtt_header[];
/* A WebVTT cue: "<index>\nHH:MM:SS.mmm --> HH:MM:SS.mmm\nlabel (0.87)\n\n"
 * ("-->" in the label written "--"). Returns the length needed. */
int ser_span_vtt(char *buf, size_t n, int index, const ser_span *s);
/* A WebVTT comment block "NOTE text\n\n" (newlines as spaces, "-->" as
 * "--"). Returns the length needed. */
int ser_vtt_note(char *buf, size_t n, const char *text);

/* One tier of a TextGrid: spans in time order, not overlapping, within
 * [0, duration]. */
typedef struct ser_tier {
	const char *name;
	double duration;        /* seconds */
	const ser_span *spans;
	int n;
} ser_tier;
/* Writes a Praat TextGrid (long text format) with one IntervalTier per
 * tier to f: xmin 0, xmax the longest duration; the gaps between spans
 * are intervals with empty text, as Praat requires intervals to cover
 * the tier. Quotes in names and labels are doubled. SER_EIO on a write
 * error. */
int ser_textgrid_write(FILE *f, const ser_tier *tiers, int ntiers, ser_error *err);

#endif
