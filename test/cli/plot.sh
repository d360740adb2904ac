#!/bin/sh
# ser-plot: timeline and curves pictures are well-formed SVG that carry
# the data (a band per span, a line per class, a legend), and errors.
. "$SER_ROOT/test/cli/lib.sh"
need_sox plot
sox() { command sox -V1 "$@"; }
M="-m $SER_ROOT/weights/default.ser"
sox -n -r 16000 -b 16 -c 1 "$T/sil.wav" trim 0 1
sox -n -r 16000 -b 16 -c 1 "$T/b.wav" synth 2 sine 220 vol 0.3 tremolo 4 100
sox "$T/sil.wav" "$T/b.wav" "$T/sil.wav" "$T/b.wav" "$T/sil.wav" "$T/talk.wav"
wellformed() { if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$1"; else grep -q '</svg>' "$1"; fi; }

ser-classify $M --probs -w 1 -H 0.5 "$T/talk.wav" > "$T/win.tsv"
status 0 "timeline --audio of window lines" ser-plot timeline --audio "$T/talk.wav" "$T/win.tsv"
cp "$T/out" "$T/tl.svg"
check "timeline: well-formed SVG" wellformed "$T/tl.svg"
check "timeline: a band per window ($(grep -c '<title>' "$T/tl.svg") of $(wc -l < "$T/win.tsv"))" \
	test "$(grep -c '<title>' "$T/tl.svg")" -eq "$(wc -l < "$T/win.tsv")"
check "timeline: the envelope, and a probability line per class (8)" sh -c "
	grep -q 'level, dB' '$T/tl.svg' && test \"\$(grep -c 'stroke-width=\"1.8\"' '$T/tl.svg')\" -eq 8"
check "timeline: a legend naming the classes and silence" sh -c "
	for c in neutral calm happy sad angry fearful disgust surprised silence; do grep -q \">\$c</text>\" '$T/tl.svg' || exit 1; done"
ser-classify $M --segments "$T/talk.wav" > "$T/seg.tsv"
ser-plot timeline < "$T/seg.tsv" > "$T/seg.svg"
check "timeline of segment lines from stdin: well-formed" wellformed "$T/seg.svg"
check "timeline of segment lines: a band per segment" test "$(grep -c '<title>' "$T/seg.svg")" -eq 2
ser-capture "$T/talk.wav" | ser-mfcc | ser-classify $M --live --probs --only sad,happy > "$T/live.tsv"
status 0 "timeline of --live --only lines with --classes" ser-plot timeline --classes happy,sad "$T/live.tsv"
check "the two classes' lines and names" sh -c "test \"\$(grep -c 'stroke-width=\"1.8\"' '$T/out')\" -eq 2 && grep -q '>happy</text>' '$T/out'"
status 1 "--classes of the wrong count -> 1" ser-plot timeline --classes a,b,c "$T/live.tsv"
ser-classify $M "$T/talk.wav" > "$T/utt.tsv"
status 2 "per-utterance lines -> 2" ser-plot timeline "$T/utt.tsv"
check "the message names the file and line" grep -q "^ser-plot: $T/utt.tsv: line 1: " "$T/err"
: > "$T/empty.tsv"
status 2 "empty TSV -> 2" ser-plot timeline "$T/empty.tsv"
status 2 "missing --audio file -> 2" ser-plot timeline --audio "$T/none.wav" "$T/win.tsv"

printf 'epoch\ttrain_loss\ttrain_acc\tval_loss\tval_acc\tval_uar\tlr\tseconds\n' > "$T/log.tsv"
for e in 1 2 3 4 5; do printf '%d\t%s\t0.%d\t%s\t0.%d\tnan\t0.001\t1.0\n' $e "2.$((9 - e))" $((e + 2)) "2.$((9 - e))" $((e + 1)) >> "$T/log.tsv"; done
status 0 "curves of a ser-train --log" ser-plot curves "$T/log.tsv"
cp "$T/out" "$T/c.svg"
check "curves: well-formed SVG" wellformed "$T/c.svg"
check "curves: loss and accuracy panels, 4 lines (val_uar all nan: none)" sh -c "
	grep -q '>loss</text>' '$T/c.svg' && grep -q '>accuracy, UAR</text>' '$T/c.svg' &&
	test \"\$(grep -c 'stroke-width=\"2\"' '$T/c.svg')\" -eq 4 && ! grep -q '>val_uar</text>' '$T/c.svg'"
check "curves: the title names the log" grep -q '>ser-train: log.tsv</text>' "$T/c.svg"
printf 'loss\n1\n' > "$T/bad.tsv"
status 2 "curves: a log without epoch -> 2" ser-plot curves "$T/bad.tsv"
status 1 "no picture -> 1" ser-plot
status 1 "an unknown picture -> 1" ser-plot pie "$T/log.tsv"
status 1 "curves without LOG -> 1" ser-plot curves
status 0 "--help" ser-plot --help
check "--help on stdout" grep -q '^Usage: ser-plot' "$T/out"
