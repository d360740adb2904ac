#!/bin/sh
# Decode or refuse, never guess: audio through every door (stdin, pipes,
# FIFOs, /dev/stdin, <(...)) decoded like a file; feature streams told
# apart by their first bytes; truncated and empty files refused by name;
# NaN/Inf refused by ser-capture; decoder noise prefixed; utterances cut
# short marked aborted and never labelled; SIGTERM with a FIFO argument;
# per-file silence by the voice-activity rule.
. "$SER_ROOT/test/cli/lib.sh"
M="-m $SER_ROOT/weights/default.ser"
have() { command -v "$1" >/dev/null 2>&1; }
if ! have sox || [ ! -f "$SER_ROOT/weights/default.ser" ]; then
	skip "decode: sox or weights/default.ser missing"
	exit 0
fi
# nokey FILE: a text archive without the key of its first line
nokey() { sed '1s/^[^ ]*//' "$1"; }
# no_noise FILE PROG: every stderr line starts "PROG: "
no_noise() { ! grep -qv "^$2: " "$1"; }
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
D=$T/d; mkdir -p "$D"
# a voiced test signal: a 0.25 s tone burst every 0.5 s over quiet noise
sox -n -r 16000 -b 16 -c 1 "$D/a.wav" synth 2 sine 220 synth 2 square amod 2 vol 0.5 2>/dev/null
for f in flac aiff au w64 caf ogg; do sox "$D/a.wav" "$D/a.$f" 2>/dev/null; done
have sndfile-convert && sndfile-convert "$D/a.wav" "$D/a.rf64" 2>/dev/null && sndfile-convert "$D/a.wav" "$D/a.nist" 2>/dev/null
# VBR: a Xing header states the length (a CBR stream cut at a frame is a valid shorter one)
have lame && lame -S -V 4 "$D/a.wav" "$D/a.mp3" 2>/dev/null
sox "$D/a.wav" -t voc "$D/a.voc" 2>/dev/null
sox "$D/a.wav" -t ircam "$D/a.ircam" 2>/dev/null

# ---- 1. audio on stdin is decoded, features refused by ser-mfcc, raw only when nothing is recognised ----
for f in flac aiff au w64 caf ogg rf64 mp3; do
	[ -f "$D/a.$f" ] || { skip "stdin .$f: no tool to write it"; continue; }
	ser-mfcc --text "$D/a.$f" 2>/dev/null | sed '1s/^[^ ]*//' >"$D/file.txt"
	status 0 "ser-mfcc: .$f on stdin" sh -c 'cat "$1" | ser-mfcc --text' sh "$D/a.$f"
	check "ser-mfcc: .$f on stdin == by name" sh -c 'nokey() { sed "1s/^[^ ]*//" "$1"; }; nokey "$1" | cmp -s - "$2"' sh "$T/out" "$D/file.txt"
	ser-classify $M "$D/a.$f" | cut -f2- >"$D/lab.file"
	status 0 "ser-classify: .$f on stdin" sh -c 'cat "$2" | ser-classify $1' sh "$M" "$D/a.$f"
	check "ser-classify: .$f on stdin: the label of the file" sh -c 'cut -f2- "$1" | cmp -s - "$2"' sh "$T/out" "$D/lab.file"
done
ser-mfcc "$D/a.wav" >"$D/a.feat"
status 2 "ser-mfcc: a feature stream on stdin is refused" sh -c 'ser-mfcc < "$1"' sh "$D/a.feat"
check "ser-mfcc: ... as already features" grep -q '^ser-mfcc: -: already features' "$T/err"
check "ser-mfcc: ... and writes no utterance" sh -c '! ser-mfcc < "$1" 2>/dev/null | grep -q BEGN' sh "$D/a.feat"

# raw PCM that starts like dithered silence (samples -1 0 -1 1: an MPEG frame
# sync by chance) stays raw PCM
{ printf '\377\377\000\000\377\377\001\000'; head -c 32004 /dev/zero; } >"$D/ffff.raw"
status 0 "ser-mfcc: raw PCM starting with the sample -1 on stdin" sh -c 'ser-mfcc --text < "$1"' sh "$D/ffff.raw"
check "ser-mfcc: ... read as raw s16 (98 frames of 16006 samples)" test "$(grep -c '^  [-0-9]' "$T/out")" -eq 98
check "ser-mfcc: ... no decoder lines" test ! -s "$T/err"

# ---- 2. anything libsndfile opens is audio for ser-classify ----
for f in w64 nist voc ircam; do
	[ -f "$D/a.$f" ] || { skip "ser-classify .$f: no tool to write it"; continue; }
	status 0 "ser-classify: .$f (libsndfile reads it) is audio" ser-classify $M "$D/a.$f"
	check "ser-classify: .$f labelled" test "$(wc -l <"$T/out")" -eq 1
done
printf 'just some text, not audio\n' >"$D/text"
status 2 "ser-classify: neither audio nor features" ser-classify $M "$D/text"
check "ser-classify: ... says so" grep -q 'neither audio that libsndfile reads nor a ser feature stream' "$T/err"

# ---- 3. pipes named as files: read once, never reopened ----
ser-classify $M "$D/a.flac" | cut -f2- >"$D/lab.flac"
status 0 "ser-classify /dev/stdin with FLAC on a pipe" sh -c 'cat "$2" | ser-classify $1 /dev/stdin' sh "$M" "$D/a.flac"
check "ser-classify /dev/stdin: the file's label" sh -c 'cut -f2- "$1" | cmp -s - "$2"' sh "$T/out" "$D/lab.flac"
if have bash; then
	status 0 "ser-classify <(cat a.flac)" bash -c 'ser-classify $1 <(cat "$2")' sh "$M" "$D/a.flac"
	check "ser-classify <(cat a.flac): the file's label" sh -c 'cut -f2- "$1" | cmp -s - "$2"' sh "$T/out" "$D/lab.flac"
	status 0 "ser-classify <(cat a.feat)" bash -c 'ser-classify $1 <(cat "$2")' sh "$M" "$D/a.feat"
else
	skip "process substitution: bash missing"
fi
mkfifo "$D/fifo"
ok=0
for i in 1 2 3 4 5; do
	cat "$D/a.flac" >"$D/fifo" &
	timeout 20 ser-classify $M "$D/fifo" >"$D/fifo.out" 2>"$D/fifo.err" && cut -f2- "$D/fifo.out" | cmp -s - "$D/lab.flac" && ok=$((ok + 1))
	wait
done
check "ser-classify FIFO holding FLAC: labelled in 5 of 5 runs (got $ok)" test "$ok" -eq 5

# ---- 4. truncated, header-only and zero-data-size files ----
for f in wav aiff au w64 rf64 mp3; do
	[ -f "$D/a.$f" ] || { skip "truncated .$f: no tool to write it"; continue; }
	n=$(size "$D/a.$f")
	head -c $((n / 2)) "$D/a.$f" >"$D/half.$f"
	status 2 "ser-classify: half a .$f -> 2" ser-classify $M "$D/a.wav" "$D/half.$f" "$D/a.flac"
	check "ser-classify: half a .$f: named, and how much is missing" grep -q "^ser-classify: $D/half.$f: truncated: .*[0-9]" "$T/err"
	check "ser-classify: half a .$f: no label for it, the others labelled" sh -c \
		'[ "$(wc -l <"$1")" -eq 2 ] && ! grep -q half "$1"' sh "$T/out"
	status 2 "ser-mfcc: half a .$f -> 2" ser-mfcc "$D/half.$f"
done
{ printf 'RIFF'; le32 36; printf 'WAVEfmt '; le32 16; printf '\001\000\001\000'; le32 16000; le32 32000; printf '\002\000\020\000data'; le32 0; } >"$D/hdr.wav"
status 2 "ser-classify: header-only WAV -> 2" ser-classify $M "$D/hdr.wav"
check "ser-classify: header-only WAV: no label, a reason" sh -c '[ ! -s "$1" ] && grep -q "hdr.wav: no audio samples" "$2"' sh "$T/out" "$T/err"
status 2 "ser-classify: header-only WAV on stdin -> 2" sh -c 'ser-classify $1 < "$2"' sh "$M" "$D/hdr.wav"
{ cat "$D/hdr.wav"; tail -c +45 "$D/a.wav"; } >"$D/d0.wav"
status 0 "ser-mfcc: WAV with data size 0 followed by data, by name" ser-mfcc --text "$D/d0.wav"
nokey "$T/out" >"$D/d0.name"
status 0 "ser-mfcc: the same WAV on stdin" sh -c 'cat "$1" | ser-mfcc --text' sh "$D/d0.wav"
nokey "$T/out" >"$D/d0.stdin"
ser-mfcc --text "$D/a.wav" >"$D/a.txt"
nokey "$D/a.txt" >"$D/a.nokey"
check "ser-mfcc: data size 0: the same frames by name and on stdin (all of them)" sh -c \
	'cmp -s "$1" "$2" && cmp -s "$1" "$3"' sh "$D/d0.name" "$D/d0.stdin" "$D/a.nokey"
ser-classify $M "$D/d0.wav" | cut -f2- >"$D/d0.lab"
check "ser-classify: data size 0: the same label by name and on stdin" sh -c \
	'cat "$2" | ser-classify $1 | cut -f2- | cmp -s - "$3" && [ -s "$3" ]' sh "$M" "$D/d0.wav" "$D/d0.lab"

# ---- 5. ser-capture refuses NaN/Inf like ser-classify ----
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "\315\314\314\075" }' >"$D/tone.f32"
for v in nan:'\000\000\300\177' inf:'\000\000\200\177'; do
	{ printf 'RIFF'; le32 4036; printf 'WAVEfmt '; le32 16; printf '\003\000\001\000'; le32 16000; le32 64000; printf '\004\000\040\000data'; le32 4000
	  head -c 2000 "$D/tone.f32"; printf "${v#*:}"; tail -c +2005 "$D/tone.f32"; } >"$D/${v%%:*}.wav"
	status 2 "ser-capture: ${v%%:*} in a float WAV -> 2" ser-capture -e f32 "$D/${v%%:*}.wav"
	check "ser-capture: ${v%%:*}: the sample is named" grep -q "^ser-capture: $D/${v%%:*}.wav: sample 500 is" "$T/err"
	status 2 "ser-classify: ${v%%:*} in a float WAV -> 2" ser-classify $M "$D/${v%%:*}.wav"
done

# ---- 6. decoder noise prefixed, reasons true ----
if [ -f "$D/a.mp3" ]; then
	head -c 500 "$D/a.mp3" >"$D/b1.mp3"
	{ head -c 1000 "$D/a.mp3"; head -c 1500 /dev/urandom; tail -c +2501 "$D/a.mp3"; } >"$D/b3.mp3"
	for b in b1 b3 half; do
		status 2 "ser-classify: broken MP3 $b -> 2" ser-classify $M "$D/$b.mp3"
		check "ser-classify: broken MP3 $b: every stderr line prefixed ($(grep -v '^ser-classify: ' "$T/err" | head -1))" no_noise "$T/err" ser-classify
		check "ser-classify: broken MP3 $b: no 'does not exist'" sh -c '! grep -q "does not exist" "$1"' sh "$T/err"
		status 2 "ser-mfcc: broken MP3 $b -> 2" ser-mfcc "$D/$b.mp3"
		check "ser-mfcc: broken MP3 $b: every stderr line prefixed" no_noise "$T/err" ser-mfcc
	done
else
	skip "broken MP3: lame missing"
fi

# ---- 7. an utterance cut short is marked aborted; readers skip it and exit 2 ----
awk 'BEGIN { for (i = 0; i < 8000; i++) printf "\315\314\314\075" }' >"$D/long.f32"
{ printf 'RIFF'; le32 32036; printf 'WAVEfmt '; le32 16; printf '\003\000\001\000'; le32 16000; le32 64000; printf '\004\000\040\000data'; le32 32000
  head -c 24000 "$D/long.f32"; printf '\000\000\300\177'; tail -c +24005 "$D/long.f32"; } >"$D/late-nan.wav"
status 2 "ser-mfcc: NaN after the first block -> 2" ser-mfcc "$D/late-nan.wav"
check "ser-mfcc: the utterance ends with an ABRT record" sh -c 'tail -c 20 "$1" | grep -q ABRT' sh "$T/out"
cp "$T/out" "$D/ab.feat"
status 2 "ser-classify: an aborted utterance -> 2" ser-classify $M "$D/ab.feat"
check "ser-classify: ... no label, a message" sh -c '[ ! -s "$1" ] && grep -q "late-nan.wav was cut short" "$2"' sh "$T/out" "$T/err"
status 2 "ser-mfcc nan.wav | ser-classify -> 2" sh -c 'ser-mfcc "$2" 2>/dev/null | ser-classify $1' sh "$M" "$D/late-nan.wav"
check "... and no label" test ! -s "$T/out"
status 2 "ser-classify --window: an aborted utterance -> 2" ser-classify $M -w 0.5 "$D/ab.feat"
status 0 "ser-mfcc --text: text form" ser-mfcc --text "$D/a.wav"
status 2 "ser-mfcc --text: the aborted text matrix" ser-mfcc --text "$D/late-nan.wav"
check "ser-mfcc --text: ends ' ABORTED ]' (refused by a Kaldi reader)" sh -c 'tail -1 "$1" | grep -q " ABORTED ]$"' sh "$T/out"
{ ser-mfcc -k 03-01-01-01-01-01-01.wav <"$D/a.wav"; ser-mfcc -k 03-01-05-01-01-01-02.wav <"$D/a.flac"
  ser-mfcc -k 03-01-05-01-01-01-03.wav <"$D/late-nan.wav"; ser-mfcc -k 03-01-01-01-01-01-04.wav <"$D/a.au"; } >"$D/tr.feat" 2>/dev/null
status 2 "ser-train: an aborted utterance -> 2" ser-train -q --arch "conv:4:3 relu stats dense" --classes neutral,angry \
	--epochs 1 --crop 20 -j 1 -o "$D/m.ser" "$D/tr.feat"
check "ser-train: ... skipped with a message naming it" grep -q "^ser-train: $D/tr.feat: utterance 03-01-05-01-01-01-03.wav was cut short" "$T/err"

# ---- 8. SIGTERM: non-zero with a message, also with a FIFO whose writer stays open ----
rm -f "$D/fifo2"; mkfifo "$D/fifo2"
ser-capture -t wav "$D/a.wav" | cat >"$D/stream.wav"      # data size unknown: read to the end
( cat "$D/stream.wav"; exec sleep 30 ) >"$D/fifo2" &
writer=$!
ser-mfcc "$D/a.wav" "$D/fifo2" "$D/a.flac" >"$D/sig.feat" 2>"$D/sig.err" &
pid=$!
i=0; while [ "$(size "$D/sig.feat")" -lt 20000 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
t0=$(date +%s)
wait $pid; rc=$?
t1=$(date +%s)
kill $writer 2>/dev/null; wait $writer 2>/dev/null
check "SIGTERM with a FIFO argument held open: ends at once ($((t1 - t0)) s)" test $((t1 - t0)) -le 5
check "SIGTERM: exit status non-zero (got $rc)" test "$rc" -ne 0
check "SIGTERM: a message ($(head -1 "$D/sig.err"))" grep -q '^ser-mfcc: .*interrupted by SIGTERM' "$D/sig.err"
check "SIGTERM: the files not read are counted" grep -q '1 of 3 files not read' "$D/sig.err"
check "SIGTERM: the stream marks the utterance aborted (ser-classify exits 2)" sh -c \
	'ser-classify $1 "$2" >/dev/null 2>&1; [ $? -eq 2 ]' sh "$M" "$D/sig.feat"

# ---- 9. per-file silence by the voice-activity rule ----
sox -n -r 16000 -b 16 -c 1 "$D/zeros.wav" trim 0 2
sox -n -r 16000 -b 16 -c 1 "$D/hum.wav" synth 2 sine 440 vol 0.5
status 0 "ser-classify: 2 s of zeros and a steady tone" ser-classify $M "$D/zeros.wav" "$D/hum.wav"
check "... both silence" sh -c '[ "$(cut -f2 "$1" | sort -u)" = silence ]' sh "$T/out"
status 0 "ser-classify --no-vad: zeros and tone" ser-classify $M --no-vad "$D/zeros.wav" "$D/hum.wav"
check "--no-vad: an emotion, as before" sh -c '! grep -q silence "$1"' sh "$T/out"
status 0 "ser-classify --min-voiced 0 applies per file" ser-classify $M --min-voiced 0 "$D/zeros.wav"
check "--min-voiced 0: no silence" sh -c '! grep -q silence "$1"' sh "$T/out"
status 0 "ser-classify --vad-gate 100: the tone bursts are not voiced" ser-classify $M --vad-gate 100 "$D/a.wav"
check "--vad-gate applies per file" grep -q silence "$T/out"
ser-mfcc "$D/zeros.wav" >"$D/zeros.feat"
status 0 "ser-classify: zeros as features" ser-classify $M "$D/zeros.feat"
check "... silence too" grep -q silence "$T/out"
if have_data; then
	f=$(ls "$SER_DATA"/ravdess/Actor_17/*.flac 2>/dev/null | head -20)
	status 0 "ser-classify: 20 RAVDESS files" ser-classify $M $f
	check "... none is silence" sh -c '! grep -q silence "$1"' sh "$T/out"
else
	skip "RAVDESS speech is not silence: no data"
fi
