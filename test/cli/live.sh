#!/bin/sh
# ser-classify --live, ser-live: streaming decisions through real
# pipes, agreement with offline --window, VAD, signals, ALSA file devices.
. "$SER_ROOT/test/cli/lib.sh"
need_sox live
PATH="$SER_ROOT/scripts:$PATH"
sox() { command sox -V1 "$@"; }
D=$T/wav; mkdir -p "$D"
# a tiny model on synthetic classes (as classify.sh)
two_class_wavs "$D" "01 02 03"
ser-mfcc "$D"/03-*.wav > "$T/f.feat"
ser-train -q --arch "conv:8:3 relu stats dense" --classes neutral,angry --epochs 3 --crop 50 -j 1 -o "$T/m.ser" "$T/f.feat" 2>/dev/null
M="-m $T/m.ser"
# speech-like: 1 s silence, 2 s of a tone pulsing 4 times a second, 1 s silence
sox -n -r 16000 -b 16 -c 1 "$T/sil.wav" trim 0 1
sox -n -r 16000 -b 16 -c 1 "$T/burst.wav" synth 2 sine 220 vol 0.3 tremolo 4 100
sox "$T/sil.wav" "$T/burst.wav" "$T/sil.wav" "$T/talk.wav"
sox "$T/talk.wav" -t raw "$T/talk.raw"
sox -n -r 16000 -b 16 -c 1 "$T/tone.wav" synth 3 sine 220 vol 0.3

# ---- offline windows and live agree ----
ser-classify $M --window 1 --hop 0.25 "$T/talk.wav" | cut -f2- > "$T/off"
ser-capture "$T/talk.wav" | ser-mfcc | ser-classify $M --live --window 1 --hop 0.25 > "$T/live" 2>"$T/err"
check "live: 14 decisions over 4 s (window 1, hop 0.25, tail at 3.99 s) ($(wc -l < "$T/live"))" \
	test "$(wc -l < "$T/live")" -eq 13 -o "$(wc -l < "$T/live")" -eq 14
check "live == offline --window/--hop without the key column" cmp -s "$T/off" "$T/live"
check "live lines: start TAB end TAB label TAB confidence" sh -c "awk -F'\t' 'NF != 4 || \$4 !~ /^[01]\\.[0-9][0-9][0-9][0-9]\$/ { bad = 1 } END { exit bad }' '$T/live'"
ser-mfcc "$T/talk.wav" | ser-classify $M --live --window 1 --hop 0.25 > "$T/live2"
check "live from a feature file == live from PCM" cmp -s "$T/live" "$T/live2"
ser-classify $M --window 4 --hop 4 "$T/talk.wav" | cut -f2,3 | tr '\t\n' '- ' > "$T/blocks"
check "--window 4 --hop 4 over 398 frames: one window of all ($(cat "$T/blocks"))" test "$(cat "$T/blocks")" = "0.00-3.98 "

# ---- voice activity ----
check "VAD: the leading silence window is 'silence'" sh -c "head -1 '$T/live' | cut -f3 | grep -qx silence"
check "VAD: the last window (3-4 s, silent) is 'silence'" sh -c "tail -1 '$T/live' | cut -f3 | grep -qx silence"
check "VAD: windows inside the pulses get a model class" sh -c "awk -F'\t' '\$1 == \"1.50\" && (\$3 == \"neutral\" || \$3 == \"angry\") { f = 1 } END { exit !f }' '$T/live'"
ser-classify $M --window 1 --hop 0.5 "$T/tone.wav" | cut -f4 | sort -u > "$T/tone"
check "VAD: a steady tone is not speech ($(tr '\n' ' ' < "$T/tone"))" test "$(cat "$T/tone")" = silence
ser-classify $M --no-vad --window 1 --hop 0.25 "$T/talk.wav" > "$T/novad"
check "--no-vad: no window is 'silence'" sh -c "! cut -f4 '$T/novad' | grep -qx silence"
ser-classify $M --vad-gate 100 --window 1 --hop 0.25 "$T/talk.wav" | cut -f4 | sort -u > "$T/gate"
check "--vad-gate 100: every window is silence" test "$(cat "$T/gate")" = silence
ser-classify $M --probs --window 1 "$T/sil.wav" > "$T/sp"
check "silence: confidence 1 - voiced, probabilities 0" sh -c "awk -F'\t' '\$4 != \"silence\" || \$5 != \"1.0000\" || \$6 != \"0.0000\" || \$7 != \"0.0000\" { bad = 1 } END { exit bad }' '$T/sp'"
ser-classify $M --no-vad --window 0.5 --hop 0.25 --probs "$T/talk.wav" > "$T/s1"
ser-classify $M --no-vad --window 0.5 --hop 0.25 --probs --smooth 3 "$T/talk.wav" > "$T/s3"
check "--smooth 3: the third decision is the mean of the first three" awk -F'\t' '
	NR == FNR { for (i = 6; i <= NF; i++) p[FNR, i] = $i; next }
	FNR == 3 { for (i = 6; i <= NF; i++) { m = (p[1, i] + p[2, i] + p[3, i]) / 3; d = m - $i; if (d > 2e-4 || d < -2e-4) bad = 1 } }
	END { exit bad }' "$T/s1" "$T/s3"
check "--smooth 3: the first decision is unchanged" sh -c "head -1 '$T/s1' | cmp -s - \"\$(head -1 '$T/s3' > '$T/s3h'; echo '$T/s3h')\""
if command -v python3 >/dev/null 2>&1; then
	ser-mfcc "$T/talk.wav" | ser-classify $M --live --json --probs > "$T/j"
	check "live --json: valid JSON lines with start, end, label, confidence, probs" python3 -c "
import json
n = 0
for l in open('$T/j'):
    o = json.loads(l); n += 1
    assert set(o) == {'start', 'end', 'label', 'confidence', 'probs'}, o
assert n >= 2
"
fi

# ---- decisions leave as the audio comes: part, pause, rest ----
# 2.5 s then a pause; window 1 hop 0.5 -> decisions ending at 1.0, 1.5, 2.0
# (and 2.5 needs frame 249, whose last sample is 40240 > 40000) must all be
# out before the rest is written. The writer waits (up to 60 s) for them.
mkfifo "$T/pcm"
: > "$T/paced"
ser-mfcc < "$T/pcm" | ser-classify $M --live --window 1 --hop 0.5 > "$T/paced" &
pipe=$!
{
	head -c 80000 "$T/talk.raw"
	i=0
	while [ "$(wc -l < "$T/paced")" -lt 3 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	wc -l < "$T/paced" > "$T/during"
	tail -c +80001 "$T/talk.raw"
} > "$T/pcm"
wait $pipe
check "paced input: the first part's 3 decisions arrived during the pause (got $(cat "$T/during"))" \
	test "$(cat "$T/during")" -eq 3
ser-classify $M --window 1 --hop 0.5 "$T/talk.wav" | cut -f2- > "$T/off2"
check "paced input: the same lines as offline" cmp -s "$T/paced" "$T/off2"

# ---- reads paced by the decisions: a stream at real time in 20 ms blocks ----
# Without pacing ser-classify wakes for every block ser-mfcc passes on (200
# here); paced, a few times per decision. Same lines as offline either way.
if [ -r /proc/self/status ]; then
	mkfifo "$T/pcm3"
	ser-mfcc < "$T/pcm3" | ser-classify $M --live --window 1 --hop 0.5 > "$T/rt" &
	cls=$!
	{
		i=0
		while [ $i -lt 200 ]; do
			dd if="$T/talk.raw" bs=640 skip=$i count=1 2>/dev/null; sleep 0.02; i=$((i + 1))
		done
		sleep 0.3
		sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "/proc/$cls/status" > "$T/wakeups"
	} > "$T/pcm3"
	wait $cls
	check "paced: fewer wakeups than blocks written (got $(cat "$T/wakeups") for 200 blocks)" \
		test "$(cat "$T/wakeups")" -lt 100
	check "paced: the same lines as offline" cmp -s "$T/rt" "$T/off2"
else
	skip "live pacing: no /proc"
fi

# ---- meter ----
ser-mfcc "$T/talk.wav" | ser-classify $M --live --meter > "$T/meter"
check "--meter: hides the cursor, redraws in place, shows it again at the end" sh -c "
	grep -q \"\$(printf '\033\\\\[?25l')\" '$T/meter' && grep -q \"\$(printf '\033\\\\[3A')\" '$T/meter' &&
	tail -c 6 '$T/meter' | od -c | grep -q '?   2   5   h'"
status 0 "--plain: lines" sh -c "ser-mfcc '$T/talk.wav' | ser-classify $M --live --plain"
check "--plain: no escape sequences" sh -c "! grep -q \"\$(printf '\033')\" '$T/out'"

# ---- options ----
status 1 "--smooth 0 -> 1" ser-classify $M --live --smooth 0
status 1 "--smooth without windows -> 1" ser-classify $M --smooth 2 "$T/talk.wav"
status 1 "--min-voiced 2 -> 1" ser-classify $M --live --min-voiced 2
status 1 "--vad-margin x -> 1" ser-classify $M --live --vad-margin x

# ---- signals ----
# term_at N FILE PID FEEDER: once FILE has N lines (60 s at most), SIGTERM
# to PID and its exit status in rc; then the FEEDER loop is ended.
term_at() {
	local i=0
	while [ "$(wc -l < "$2")" -lt "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	kill -TERM "$3"
	wait "$3"; rc=$?
	kill "$4" 2>/dev/null; wait "$4" 2>/dev/null
}
# ends_in_newline FILE: its last byte is LF (only whole lines were written)
ends_in_newline() { [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; }
mkfifo "$T/pcm2"
( while :; do cat "$T/talk.raw"; sleep 0.2; done ) > "$T/pcm2" 2>/dev/null &
feeder=$!
: > "$T/sig"
ser-mfcc < "$T/pcm2" 2>"$T/sig.mfcc" | ser-classify $M --live --window 1 --hop 0.25 > "$T/sig" 2>"$T/sig.err" &
cls=$!
term_at 20 "$T/sig" $cls $feeder
check "SIGTERM: ser-classify --live exits 0 (got $rc; $(head -c 200 "$T/sig.err"))" test "$rc" -eq 0
check "SIGTERM: only whole lines ($(wc -l < "$T/sig") lines)" ends_in_newline "$T/sig"
check "SIGTERM: nothing on stderr" test ! -s "$T/sig.err"

# ---- ALSA without a sound card: the file plugin ----
mkfifo "$T/mic.fifo"
sed -e "s|@INFILE@|$T/talk.raw|" -e "s|@FIFO@|$T/mic.fifo|" "$SER_ROOT/test/alsa/asoundrc.in" >"$T/asound.conf"
printf 'pcm.!default {\n\ttype null\n}\n' >>"$T/asound.conf"
ALSA_CONFIG_PATH=$T/asound.conf
export ALSA_CONFIG_PATH
ser-capture -D filemic | ser-mfcc | ser-classify $M --live --window 1 --hop 0.25 > "$T/alsa" 2>"$T/alsa.err"
check "ALSA capture | ser-mfcc | ser-classify --live == offline" cmp -s "$T/alsa" "$T/live"
status 0 "ser-live -D filemic" ser-live -D filemic $M -w 1 -H 0.25
check "ser-live gives the same lines" cmp -s "$T/out" "$T/live"
DM="-m $SER_ROOT/weights/default.ser"
ser-classify $DM --window 1 --hop 0.25 --only sad,happy "$T/talk.wav" | cut -f2- > "$T/only"
status 0 "ser-live --only=sad,happy (to ser-classify)" ser-live -D filemic $DM -w 1 -H 0.25 --only=sad,happy
check "ser-live --only == ser-classify --only --window, no key" sh -c "cmp -s '$T/out' '$T/only' && ! cut -f3 '$T/out' | grep -qvx 'happy\|sad\|silence'"
# (arecord does not see the end of the file plugin's input: ser-live --arecord
# is checked with the paced device below, ended by SIGTERM)
status 2 "ser-live: a missing device -> 2" ser-live -D no_such_device_x $M
check "ser-live: the message names the device" grep -q 'no_such_device_x' "$T/err"
status 1 "ser-live: bad option value -> 1" ser-live $M -w
status 0 "ser-live --help" ser-live --help
# --opt VALUE as --opt=VALUE; usage errors are ser-live's own; a closed reader is quiet
status 0 "ser-live --only sad,happy (a value after a space)" ser-live -D filemic $DM -w 1 -H 0.25 --only sad,happy
check "ser-live --only sad,happy == --only=sad,happy" cmp -s "$T/out" "$T/only"
status 1 "ser-live --smooth x: exit 1" ser-live -D filemic $M --smooth x
check "ser-live --smooth x: ser-live's message, one line of reason" sh -c "grep -q \"^ser-live: --smooth: 'x' is not an integer\" '$T/err' && ! grep -q '^ser-classify' '$T/err'"
status 1 "ser-live --no-such-option: exit 1" ser-live -D filemic $M --no-such-option
check "ser-live --no-such-option: ser-live's message" grep -q "^ser-live: unknown option '--no-such-option'" "$T/err"
status 0 "ser-live --version" ser-live --version
check "ser-live --version: name and version" grep -qx 'ser-live (ser) [0-9.]*' "$T/out"
ser-live -D filemic $M -w 1 -H 0.25 2>"$T/head.err" | head -3 > "$T/head3"
check "ser-live | head -3: three lines, nothing on stderr ($(head -c 200 "$T/head.err"))" sh -c "[ \$(wc -l < '$T/head3') -eq 3 ] && [ ! -s '$T/head.err' ]"
# right after make: the programs beside the script's tree when none is on PATH
mkdir -p "$T/src/scripts" "$T/src/bin"
cp "$SER_ROOT/scripts/ser-live" "$T/src/scripts/"
for p in ser-capture ser-mfcc ser-classify; do ln -s "$(command -v $p)" "$T/src/bin/$p"; done
status 0 "ser-live from a source tree, programs not on PATH" env PATH=/usr/bin:/bin "$T/src/scripts/ser-live" -D filemic $M -w 1 -H 0.25
check "ser-live from a source tree: the same lines" cmp -s "$T/out" "$T/live"
# SIGTERM to ser-live with a never-ending device: all end, status 0
for cap in "" --arecord; do
	[ -z "$cap" ] || command -v arecord >/dev/null 2>&1 || { skip "arecord missing"; continue; }
	( while :; do cat "$T/talk.raw" || exit 0; sleep 0.5; done ) > "$T/mic.fifo" 2>/dev/null &
	feeder=$!
	: > "$T/sl"
	ser-live $cap -D fifomic $M -w 1 -H 0.25 > "$T/sl" 2>"$T/sl.err" &
	sl=$!
	term_at 5 "$T/sl" $sl $feeder
	check "ser-live $cap: SIGTERM ends the pipeline with status 0 (got $rc; $(head -c 200 "$T/sl.err"))" test "$rc" -eq 0
	check "ser-live $cap: SIGTERM leaves whole lines ($(wc -l < "$T/sl"))" ends_in_newline "$T/sl"
done

# man pages
for p in ser-live; do
	check "$p.1 exists with SYNOPSIS and EXIT STATUS" sh -c "grep -q '^\.SH SYNOPSIS' '$SER_ROOT/man/$p.1' && grep -q '^\.SH \"*EXIT STATUS' '$SER_ROOT/man/$p.1'"
done

# ---- the meter in a terminal (tmux): listening, the pane's width, resize ----
if command -v tmux >/dev/null 2>&1; then
	S=$T/tmux.sock
	pane() { tmux -S "$S" capture-pane -p -t meter; }
	wait_for() { i=0; while ! pane | grep -q "$1" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; pane | grep -q "$1"; }
	widest() { pane | awk '{ if (length > w) w = length } END { print w + 0 }'; }
	tmux -S "$S" new-session -d -s meter -x 40 -y 20 "(sleep 2; cat '$T/talk.raw'; sleep 3; cat '$T/talk.raw'; sleep 20) | ser-mfcc | ser-classify $DM --live -w 1 -H 0.25; sleep 30"
	check "meter: 'listening' before the first decision" wait_for '^listening'
	check "meter: a decision with a bar per class" wait_for '^ *neutral .*[#.]\{5,\} 0\.[0-9][0-9]$'
	w=$(widest)
	check "meter: fits a 40-column pane (widest line $w)" test "$w" -le 40
	check "meter: no line wrapped (the first line is the window's times)" sh -c "tmux -S '$S' capture-pane -p -t meter | head -1 | grep -q '^ *[0-9.]*-[0-9.]* s  '"
	tmux -S "$S" resize-window -t meter -x 30 2>/dev/null || tmux -S "$S" resize-pane -t meter -x 30
	sleep 4.5
	w=$(widest)
	check "meter: redrawn at 30 columns after a resize (widest line $w)" test "$w" -le 30
	check "meter: after the resize, one header line and a line per class, no debris ($(pane | grep -c .) lines)" \
		test "$(pane | grep -c .)" -eq 9
	tmux -S "$S" kill-server 2>/dev/null
else
	skip "meter in a terminal: tmux not installed"
fi
