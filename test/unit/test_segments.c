/* lib/segments: the segmenter's rule on voice flags, and the label formats. */
#include <string.h>
#include "check.h"
#include "segments.h"

/* Runs flags (a string of '1' voiced / '0' not) through a segmenter;
 * writes "start+len " per segment into out. */
static void run(const ser_seg_opts *o, const char *flags, char *out, size_t n)
{
	ser_error err;
	ser_segr *g = ser_segr_new(o, 1, &err);
	ser_segment s;
	size_t k = 0;
	out[0] = '\0';
	for (int t = 0; flags[t]; t++) {
		float x = (float)t;
		if (ser_segr_push(g, &x, flags[t] == '1', &s)) {
			k += (size_t)snprintf(out + k, n - k, "%ld+%d ", s.start, s.len);
			CHECK(s.frames[0] == (float)s.start, "segment %ld: its frames from its start", s.start);
		}
	}
	if (ser_segr_finish(g, &s))
		snprintf(out + k, n - k, "%ld+%d ", s.start, s.len);
	ser_segr_free(g);
}

int main(void)
{
	ser_seg_opts o = { 3, 8, 2 };   /* pause 3, max 8, min 2 frames */
	ser_error err;
	char out[256], buf[4096];
	run(&o, "0011011000111100", out, sizeof out);
	CHECK(!strcmp(out, "2+5 10+4 "), "pauses under 3 frames join, 3 split (%s)", out);
	run(&o, "00111111111111", out, sizeof out);
	CHECK(!strcmp(out, "2+8 10+4 "), "a turn longer than 8 frames is split at 8 (%s)", out);
	run(&o, "0100011000", out, sizeof out);
	CHECK(!strcmp(out, "5+2 "), "a segment under 2 frames is dropped (%s)", out);
	run(&o, "000", out, sizeof out);
	CHECK(!strcmp(out, ""), "no voice, no segment");
	o.max_len = 1;
	CHECK(!ser_segr_new(&o, 1, &err) && err.code == SER_EINVAL, "max below min refused: %s", err.msg);

	ser_span s = { 1.5, 62.25, "an\tgry", 0.876 };
	ser_span_audacity(buf, sizeof buf, &s);
	CHECK(!strcmp(buf, "1.500000\t62.250000\tan gry\n"), "Audacity line");
	s.label = "a-->b";
	ser_span_vtt(buf, sizeof buf, 3, &s);
	CHECK(!strcmp(buf, "3\n00:00:01.500 --> 00:01:02.250\na--b (0.88)\n\n"), "VTT cue");
	ser_vtt_note(buf, sizeof buf, "x\ny");
	CHECK(!strcmp(buf, "NOTE x y\n\n"), "VTT note");

	ser_span sp[2] = { { 1, 2, "sad", 0.5 }, { 3, 4, "say \"hi\"", 0.5 } };
	ser_tier t[2] = { { "a.wav", 5, sp, 2 }, { "b.wav", 3, sp, 1 } };
	FILE *f = tmpfile();
	size_t n;
	ser_textgrid_write(f, t, 2, &err);
	rewind(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	CHECK(strstr(buf, "xmax = 5.000000\ntiers? <exists>\nsize = 2\n") != NULL, "TextGrid header: xmax, 2 tiers");
	CHECK(strstr(buf, "intervals: size = 5\n") != NULL, "tier 1: gap, sad, gap, label, gap = 5 intervals");
	CHECK(strstr(buf, "intervals: size = 3\n") != NULL, "tier 2 spans xmax too: gap, sad, gap = 3");
	CHECK(strstr(buf, "text = \"say \"\"hi\"\"\"") != NULL, "quotes doubled");
	return check_failed_ != 0;
}
