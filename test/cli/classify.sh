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
# --no-vad: the fixtures are steady tones, which the voice-activity rule calls silence
M="-m $T/m.ser --no-vad"
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
