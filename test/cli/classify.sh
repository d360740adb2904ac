#!/bin/sh
# ser-classify through real pipes, with a small model trained here on synthetic fixtures.
. "$SER_ROOT/test/cli/lib.sh"
need_sox classify
D=$T/wav; mkdir -p "$D"
two_class_wavs "$D" "01 02 03"
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
# options that would be ignored are usage errors (VAD options: only where no
# voice-activity decision can run; per utterance they are the VAD's)
f1=$D/03-01-05-01-01-01-01.wav
for o in "--min-voiced 0.5" "--vad-margin 6" "--vad-gate -50" "--vad-rise 3"; do
	status 1 "classify: $o with --no-vad: exit 1" ser-classify -m "$T/m.ser" --no-vad --window 1 $o "$f1"
	check "classify: $o with --no-vad: says why" grep -q "with --no-vad: no voice-activity decision runs" "$T/err"
	status 0 "classify: $o with --window: applies" ser-classify -m "$T/m.ser" --window 1 $o "$f1"
	status 0 "classify: $o per utterance: not refused (the per-utterance VAD's)" ser-classify -m "$T/m.ser" $o "$f1"
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
status 0 "eval: escaped key in a --truth map" sh -c "grep -F 'd\\tx/' '$T/keys.tsv' | ser-eval --truth '$T/kmap.tsv'"
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
# ---- --only: decide among some classes (the shipped 8-class model) ----
DM="-m $SER_ROOT/weights/default.ser"
sox -n -r 16000 -b 16 -c 1 "$T/sil.wav" trim 0 1
sox -n -r 16000 -b 16 -c 1 "$T/burst.wav" synth 2 sine 220 vol 0.3 tremolo 4 100
sox "$T/sil.wav" "$T/burst.wav" "$T/sil.wav" "$T/talk.wav"
ser-classify $DM --classes > "$T/cls"
NC=$(wc -l < "$T/cls")
ALL=$(paste -sd, "$T/cls")
ser-classify $DM --no-vad --probs "$@" "$D/long.wav" > "$T/full"
# (steady synthetic tones: per file without --no-vad they are silence)
# two classes other than the commonest label without --only, so that some labels must change
top=$(cut -f2 "$T/full" | sort | uniq -c | sort -k1,1nr -k2 | awk 'NR == 1 { print $2 }')
O1=$(grep -vxF -- "$top" "$T/cls" | sed -n 1p)
O2=$(grep -vxF -- "$top" "$T/cls" | sed -n 2p)
I1=$(grep -nxF -- "$O1" "$T/cls" | cut -d: -f1)
I2=$(grep -nxF -- "$O2" "$T/cls" | cut -d: -f1)
ONLY=$O2,$O1   # the list's order does not matter: columns in model order ($O1 first)
# renorm OFF FULL RESTRICTED: lines of the full --probs output (OFF fields before
# the label) and of the same run with --only $ONLY --probs, side by side. Every
# restricted label is $O1 or $O2 (or silence / - as in the full line), its two
# probabilities are the full ones divided by their sum (within the rounding of
# 4 decimals), the label is the larger one, the confidence its probability.
renorm() {
	[ "$(wc -l < "$2")" -eq "$(wc -l < "$3")" ] && [ -s "$2" ] || return 1
	paste "$2" "$3" | awk -F'\t' -v off="$1" -v nc="$NC" -v i1="$I1" -v i2="$I2" -v n1="$O1" -v n2="$O2" '
	function abs(x) { return x < 0 ? -x : x }
	{
		r = off + 2 + nc; l = $(off + 1); lab = $(r + off + 1); conf = $(r + off + 2)
		q1 = $(r + off + 3); q2 = $(r + off + 4)
		if (NF != r + off + 4) { bad = "fields: " NF; exit }
		for (i = 1; i <= off; i++) if ($i != $(r + i)) { bad = "key or times differ: " $0; exit }
		if (l == "silence" || l == "-") {
			if (lab != l || conf != $(off + 2) || q1 != "0.0000" || q2 != "0.0000") bad = "silence: " $0
			next
		}
		a = $(off + 2 + i1); b = $(off + 2 + i2); s = a + b
		if (lab != n1 && lab != n2) { bad = "label: " $0; exit }
		if (conf != (lab == n1 ? q1 : q2)) { bad = "confidence: " $0; exit }
		if (abs(a - b) > 2e-4 && lab != (a > b ? n1 : n2)) { bad = "not the larger: " $0; exit }
		if (s > 0) {
			t = 5e-5 + 5e-5 / s + 1e-6
			if (abs(q1 - a / s) > t || abs(q2 - b / s) > t) { bad = "not renormalised: " $0; exit }
		}
		n++
	}
	END { if (bad) print bad > "/dev/stderr"; exit !(n > 0 && bad == "") }'
}
status 0 "--only $ONLY: per file" ser-classify $DM --no-vad --only "$ONLY" --probs "$@" "$D/long.wav"
cp "$T/out" "$T/r"
check "--only: each line key, label, confidence and the 2 listed probabilities" sh -c "awk -F'\t' 'NF != 5 || (\$2 != \"$O1\" && \$2 != \"$O2\") { bad = 1 } END { exit bad }' '$T/r'"
check "--only: confidence and probabilities = the full ones renormalised over $O1, $O2" renorm 1 "$T/full" "$T/r"
check "--only: the $(grep -c "	$top	" "$T/full") files labelled $top without it are relabelled" \
	sh -c "! cut -f2 '$T/r' | grep -qxF -- '$top'"
ser-classify $DM --no-vad --only "$ONLY" "$@" > "$T/r2"
check "--only without --probs: the same labels and confidences" sh -c "cut -f1-3 '$T/r' | head -n $# | cmp -s - '$T/r2'"
check "--only $ONLY --classes: the listed classes in model order" test "$(ser-classify $DM --only "$ONLY" --classes | paste -sd,)" = "$O1,$O2"
ser-classify $DM --no-vad --whole --probs "$@" > "$T/fw"
ser-classify $DM --no-vad --whole --only "$ONLY" --probs "$@" > "$T/rw"
check "--only --whole: renormalised" renorm 1 "$T/fw" "$T/rw"
# windows: with and without voice activity, and live
ser-classify $DM --no-vad --window 1 --hop 0.5 --probs "$1" "$D/long.wav" > "$T/fwin"
ser-classify $DM --no-vad --window 1 --hop 0.5 --only "$ONLY" --probs "$1" "$D/long.wav" > "$T/rwin"
check "--only --window: every window renormalised" renorm 3 "$T/fwin" "$T/rwin"
ser-classify $DM --window 1 --hop 0.25 --probs "$T/talk.wav" > "$T/fvad"
ser-classify $DM --window 1 --hop 0.25 --only "$ONLY" --probs "$T/talk.wav" > "$T/rvad"
vad_windows() { grep -q '	silence	' "$T/rvad" && grep -qv '	silence	' "$T/rvad" && renorm 3 "$T/fvad" "$T/rvad"; }
check "--only --window with VAD: silence windows as they were, the others renormalised" vad_windows
ser-mfcc "$T/talk.wav" | ser-classify $DM --live --window 1 --hop 0.25 --probs > "$T/flive"
ser-mfcc "$T/talk.wav" | ser-classify $DM --live --window 1 --hop 0.25 --only "$ONLY" --probs > "$T/rlive"
check "--only --live: renormalised" renorm 2 "$T/flive" "$T/rlive"
check "--only --live == offline --only --window without the key column" sh -c "cut -f2- '$T/rvad' | cmp -s - '$T/rlive'"
ser-classify $DM --no-vad --window 0.5 --hop 0.25 --only "$ONLY" --probs "$T/talk.wav" > "$T/s1"
ser-classify $DM --no-vad --window 0.5 --hop 0.25 --only "$ONLY" --probs --smooth 3 "$T/talk.wav" > "$T/s3"
check "--only --smooth 3: the mean of the last 3 renormalised decisions" awk -F'\t' '
	NR == FNR { for (i = 6; i <= 7; i++) p[FNR, i] = $i; next }
	FNR >= 3 { for (i = 6; i <= 7; i++) { m = (p[FNR - 2, i] + p[FNR - 1, i] + p[FNR, i]) / 3; d = m - $i; if (d > 2e-4 || d < -2e-4) bad = 1 } n++ }
	NF != 7 { bad = 1 }
	END { exit bad || n < 5 }' "$T/s1" "$T/s3"
ser-mfcc "$T/talk.wav" | ser-classify $DM --live --meter --only "$ONLY" > "$T/meter"
check "--only --meter: a bar per listed class (redrawn 3 lines up)" sh -c "
	grep -aq \"\$(printf '\033\\\\[3A')\" '$T/meter' && grep -aq -- ' $O1 [ *][#.]' '$T/meter' &&
	grep -aq -- ' $O2 [ *][#.]' '$T/meter' && ! grep -aq -- ' $top [ *][#.]' '$T/meter'"
if command -v python3 >/dev/null 2>&1; then
	ser-classify $DM --json --probs --only "$ONLY" "$@" > "$T/j"
	ser-mfcc "$T/talk.wav" | ser-classify $DM --live --json --probs --only "$ONLY" >> "$T/j"
	check "--only --json (per file and live): probs of the listed classes, in model order, sum 1" python3 -c "
import json
n = 0
for l in open('$T/j'):
    o = json.loads(l); n += 1
    if o['label'] == 'silence':
        assert list(o['probs'].values()) == [0, 0], o; continue
    assert list(o['probs']) == ['$O1', '$O2'], o
    assert o['label'] in o['probs'] and o['confidence'] == o['probs'][o['label']], o
    assert abs(sum(o['probs'].values()) - 1) < 2e-4, o
assert n > $#
"
fi
# every class listed (in reverse order) = no --only, byte for byte, in every mode
REV=$(sed -n '1!G;h;$p' "$T/cls" | paste -sd,)
same_all() { ser-classify $DM "$@" > "$T/a1"; ser-classify $DM --only "$REV" "$@" > "$T/a2"; cmp -s "$T/a1" "$T/a2"; }
check "--only with every class == without: per file" same_all --probs "$@"
check "--only with every class == without: JSON" same_all --json --probs "$@"
check "--only with every class == without: windows" same_all --window 1 --hop 0.25 --probs --smooth 2 "$T/talk.wav"
check "--only with every class == without: live" sh -c "ser-mfcc '$T/talk.wav' | ser-classify $DM --live --probs > '$T/l1' &&
	ser-mfcc '$T/talk.wav' | ser-classify $DM --live --probs --only '$REV' > '$T/l2' && cmp -s '$T/l1' '$T/l2'"
# bad lists: usage errors naming the problem
status 1 "--only joy,$O1: not a class -> 1" ser-classify $DM --only "joy,$O1" "$1"
check "--only: the message names the class and lists the model's" sh -c "grep -q \"'joy'\" '$T/err' && grep -qF -- '$ALL' '$T/err' && [ ! -s '$T/out' ]"
status 1 "--only $O1,$O1: duplicate -> 1" ser-classify $DM --only "$O1,$O1,$O2" "$1"
check "--only: duplicate named" grep -q "duplicate class name '$O1'" "$T/err"
status 1 "--only $O1: a single class -> 1" ser-classify $DM --only "$O1" "$1"
status 1 "--only '$O1,': an empty name -> 1" ser-classify $DM --only "$O1," "$1"
status 1 "--only '': empty -> 1" ser-classify $DM --only "" "$1"
for o in $(ser-classify --help | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$SER_ROOT/man/ser-classify.1" || notok "classify: $o in man page"
done
ok "classify: --help options checked against man/ser-classify.1"
