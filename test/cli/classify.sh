#!/bin/sh
# ser-classify through real pipes, with a small model trained here on synthetic fixtures.
. "$SER_ROOT/test/cli/lib.sh"
command -v sox >/dev/null 2>&1 || { skip "classify: sox not installed"; exit 0; }
D=$T/wav; mkdir -p "$D"
for a in 01 02 03; do for s in 01 02; do
	f=$((150 + ${a#0} * 20 + ${s#0} * 7))
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-01-01-$s-01-$a.wav" synth 1.0 sine $f vol 0.3
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-05-01-$s-01-$a.wav" synth 1.0 square $((f * 3)) vol 0.3 synth 1.0 pinknoise mix
done; done
sox -n -r 16000 -b 16 -c 1 "$D/long.wav" synth 3.0 sine 200 vol 0.3
sox -n -r 16000 -b 16 -c 1 "$D/tiny.wav" synth 0.01 sine 200 vol 0.3
ser-mfcc "$D"/03-*.wav > "$T/f.feat"
ser-train -q --arch "conv:8:3 relu stats dense" --classes neutral,angry --epochs 5 --crop 50 -j 1 -o "$T/m.ser" "$T/f.feat" 2>/dev/null
M="-m $T/m.ser"
set -- "$D"/03-*.wav

status 0 "classify: audio files" ser-classify $M "$@"
check "classify: one line per file" test "$(wc -l < "$T/out")" -eq $#
check "classify: key TAB label TAB confidence (4 decimals)" sh -c "awk -F'\t' 'NF != 3 || (\$2 != \"neutral\" && \$2 != \"angry\") || \$3 !~ /^[01]\\.[0-9][0-9][0-9][0-9]\$/ { bad = 1 } END { exit bad }' '$T/out'"
cp "$T/out" "$T/serial"
# audio input == ser-mfcc | ser-classify
ser-mfcc "$@" | ser-classify $M > "$T/piped"
check "classify: audio == ser-mfcc | ser-classify" cmp -s "$T/serial" "$T/piped"
# xargs -P2 -n 2 gives the same lines as one serial run
printf '%s\n' "$@" | xargs -P 2 -n 2 ser-classify $M > "$T/par"
check "classify: xargs -P2 -n2 == serial (sorted)" sh -c "sort '$T/par' | cmp -s - \"\$(sort '$T/serial' > '$T/s1'; echo '$T/s1')\""
if command -v parallel >/dev/null 2>&1; then
	printf '%s\n' "$@" | parallel --will-cite -X -j 2 ser-classify $M > "$T/gnu"
	check "classify: GNU parallel == serial (sorted)" sh -c "sort '$T/gnu' | cmp -s - '$T/s1'"
else
	skip "classify: GNU parallel not installed"
fi
status 0 "classify: --probs" ser-classify $M --probs "$1"
check "classify: --probs adds one column per class" sh -c "awk -F'\t' 'NF != 5 { exit 1 }' '$T/out'"
check "classify: --classes in model order" sh -c "ser-classify $M --classes | tr '\n' , | grep -qx 'neutral,angry,'"
if command -v python3 >/dev/null 2>&1; then
	ser-classify $M --json --probs "$@" > "$T/j"
	check "classify: --json lines are valid JSON" python3 -c "
import json, sys
n = 0
for l in open('$T/j'):
    o = json.loads(l); n += 1
    assert set(o) == {'key', 'label', 'confidence', 'probs'}, o
    assert abs(sum(o['probs'].values()) - 1) < 2e-3, o
assert n == $#
"
	# a key with a quote, a tab and a non-UTF-8 byte
	printf 'a"b\tc\377' > "$T/key"
	ser-mfcc -r 16000 --key "$(cat "$T/key")" < "$D/long.wav" | ser-classify $M --json > "$T/jk"
	check "classify: JSON escapes quote, tab and bad bytes" python3 -c "
import json; o = json.loads(open('$T/jk').read()); assert o['key'] == 'a\"b\tc\xff', repr(o['key'])"
else
	skip "classify: python3 not installed (JSON checks)"
fi
# options that would be ignored are usage errors (VAD options: only where no
# voice-activity decision can run; per utterance they are the VAD's)
f1=$D/03-01-05-01-01-01-01.wav
for o in "--min-voiced 0.5" "--vad-margin 6" "--vad-gate -50" "--vad-rise 3"; do
	status 1 "classify: $o with --no-vad: exit 1" ser-classify $M --no-vad --window 1 $o "$f1"
	check "classify: $o with --no-vad: says why" grep -q "with --no-vad: no voice-activity decision runs" "$T/err"
	status 0 "classify: $o with --window: applies" ser-classify $M --window 1 $o "$f1"
	status 0 "classify: $o per utterance: not refused (the per-utterance VAD's)" ser-classify $M $o "$f1"
done
ser-mfcc --cmvn utterance "$D"/03-*.wav > "$T/cmvn.feat" 2>/dev/null
ser-train -q --arch "conv:8:3 relu stats dense" --classes neutral,angry --epochs 2 --crop 50 -j 1 -o "$T/cmvn.ser" "$T/cmvn.feat" 2>/dev/null
if [ -s "$T/cmvn.ser" ]; then
	status 1 "classify: --vad-margin on features without energy (CMVN): exit 1" ser-classify -m "$T/cmvn.ser" --vad-margin 6 "$T/cmvn.feat"
	check "classify: features without energy: says why" grep -q "no voice-activity decision can run" "$T/err"
else
	notok "classify: a CMVN fixture model"
fi
ser-mfcc --pool mean "$D"/03-*.wav > "$T/pool.feat" 2>/dev/null
ser-train -q --arch "conv:4:3 relu flatten dense" --classes neutral,angry --epochs 2 -j 1 -o "$T/pool.ser" "$T/pool.feat" 2>/dev/null
if [ -s "$T/pool.ser" ]; then
	status 1 "classify: --min-voiced with a pooled model: exit 1" ser-classify -m "$T/pool.ser" --min-voiced 0.5 "$T/pool.feat"
	status 1 "classify: --whole with a pooled model: exit 1" ser-classify -m "$T/pool.ser" --whole "$T/pool.feat"
	status 0 "classify: the pooled model without them" ser-classify -m "$T/pool.ser" "$T/pool.feat"
else
	notok "classify: a pooled fixture model"
fi
status 1 "classify: --plain without --live: exit 1" ser-classify $M --plain "$f1"
status 1 "classify: --plain --meter: exit 1" ser-classify $M --live --plain --meter "$f1"
status 1 "classify: --json --meter: exit 1" ser-classify $M --live --json --meter "$f1"
status 1 "classify: --whole --window: exit 1" ser-classify $M --whole --window 1 "$f1"
status 1 "classify: --info with a FILE: exit 1" ser-classify $M --info "$f1"
status 1 "classify: --classes with a FILE: exit 1" ser-classify $M --classes "$f1"
status 1 "classify: --classes --info: exit 1" ser-classify $M --classes --info

# keys are escaped, never merged: "d<TAB>x/F", "d x/F" and "d\tx/F" stay three
f=03-01-05-01-01-01-01.wav
for d in "d	x" "d x" 'd\tx' "d
x"; do mkdir -p "$T/k/$d"; cp "$D/$f" "$T/k/$d/"; done
ser-classify $M "$T/k"/*/$f > "$T/keys.tsv"
check "classify: keys with TAB, LF and backslash stay one line each" test "$(wc -l < "$T/keys.tsv")" -eq 4
check "classify: TAB, LF and backslash escaped in the key" sh -c "cut -f1 '$T/keys.tsv' | sed 's|.*/k/||' | sort | tr '\n' ' ' | grep -qxF 'd x/$f d\\\\tx/$f d\\nx/$f d\\tx/$f '"
status 0 "classify | eval: four keys counted as four" sh -c "ser-eval < '$T/keys.tsv'"
check "classify | eval: 4 utterances, no duplicate" sh -c "grep -q '^utterances  4\$' '$T/out' && ! grep -q 'seen before' '$T/err'"
printf '%s\tangry\n' "$T/k/d\\tx/$f" > "$T/kmap.tsv"
status 0 "eval: escaped key in a --truth map" sh -c "grep -F 'd\\tx/' '$T/keys.tsv' | ser-eval -t '$T/kmap.tsv'"
check "eval: the map's escaped key matches only its own file" grep -q '^utterances  1$' "$T/out"
# --whole on a long recording: memory bounded by the features (one pass of
# the shipped 2D CNN over 10 minutes held every layer's activations: 0.9 GB).
# Measured on an unsanitised build (ASan's own memory would hide it).
VB=${SER_VALGRIND_BIN:-}
if [ -n "$VB" ] && [ -x "$VB/ser-classify" ] && [ -x /usr/bin/time ] && [ -f "$SER_ROOT/weights/default.ser" ]; then
	sox -n -r 16000 -b 16 -c 1 "$T/ten.wav" synth 600 pinknoise vol 0.3 synth 600 sine amod 3 2>/dev/null
	/usr/bin/time -f %M -o "$T/rss" "$VB/ser-classify" -m "$SER_ROOT/weights/default.ser" --whole "$T/ten.wav" > "$T/ten.tsv" 2>"$T/ten.err"
	kb=$(tail -1 "$T/rss")
	check "classify --whole, 10 minutes: one label" test "$(wc -l < "$T/ten.tsv")" -eq 1
	check "classify --whole, 10 minutes: peak memory $kb KB <= 300 MB (features 10 MB)" test "$kb" -le 300000
else
	skip "classify: --whole memory (needs the unsanitised build SER_VALGRIND_BIN, /usr/bin/time, weights/default.ser)"
fi

# memory for the input, not for the option: the largest window on a 3 s file
status 0 "classify: --window 1000000 (the documented maximum) on a 3 s file" ser-classify $M --window 1000000 "$D/long.wav"
check "classify: --window 1000000: one window of all 298 frames" test "$(cut -f2,3 "$T/out")" = "0.00	2.98"
status 0 "classify: --window 1000000 --hop 0.5" ser-classify $M --no-vad --window 1000000 --hop 0.5 "$D/long.wav"
status 0 "classify: --window/--hop" ser-classify $M --window 1 --hop 0.5 "$D/long.wav"
check "classify: windows every 0.5 s, tail window ends at the last frame (298 frames)" test "$(cut -f2,3 "$T/out" | tr '\t\n' '- ')" = "0.00-1.00 0.50-1.50 1.00-2.00 1.50-2.50 1.98-2.98 "
status 0 "classify: clip shorter than an analysis frame" ser-classify $M "$D/tiny.wav"
check "classify: empty utterance gets label -" sh -c "cut -f2 '$T/out' | grep -qx -- -"
# mismatched features refused with a hint
ser-mfcc --preset librosa --pool mean "$1" > "$T/mean.feat"
status 2 "classify: mismatched features -> 2" ser-classify $M "$T/mean.feat"
check "classify: hint names ser-mfcc options" grep -q "use ser-mfcc --preset ser" "$T/err"
# bad inputs among good ones: reported, others processed, exit 2
status 2 "classify: missing file among good ones -> 2" ser-classify $M "$1" "$T/nonexistent.wav" "$2"
check "classify: the good files still labelled" test "$(wc -l < "$T/out")" -eq 2
# models: missing, truncated, foreign
status 2 "classify: missing model -> 2" ser-classify -m "$T/none.ser" "$1"
head -c 200 "$T/m.ser" > "$T/trunc.ser"
status 2 "classify: truncated model -> 2" ser-classify -m "$T/trunc.ser" "$1"
check "classify: truncated model message names the file" grep -q "trunc.ser" "$T/err"
status 2 "classify: a feature stream as model -> 2" ser-classify -m "$T/f.feat" "$1"
SER_MODEL=$T/m.ser status 0 "classify: \$SER_MODEL used" ser-classify "$1"
if [ -w /dev/full ]; then
	status 2 "classify: /dev/full -> 2" sh -c "ser-classify $M '$1' > /dev/full"
fi
status 1 "classify: --hop without --window -> 1" ser-classify $M --hop 1 "$1"
status 1 "classify: bad --window -> 1" ser-classify $M --window x "$1"
for o in $(ser-classify --help | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$SER_ROOT/man/ser-classify.1" || notok "classify: $o in man page"
done
ok "classify: --help options checked against man/ser-classify.1"
