#!/bin/sh
# ser-play: plays through ALSA without a sound card (a playback device of
# the file plugin writing into a file), plain lines without a terminal,
# and, in tmux, the keys: pause, next, search, quit, the terminal restored.
. "$SER_ROOT/test/cli/lib.sh"
need_sox play
sox() { command sox -V1 "$@"; }
M="-m $SER_ROOT/weights/default.ser"
L=$T/lib; mkdir -p "$L/sub"
sox -n -r 16000 -b 16 -c 1 "$T/short.wav" synth 2.3 sine 220 vol 0.3 tremolo 4 100
for i in 1 2; do sox -n -r 16000 -b 16 -c 1 "$L/take$i.wav" synth 6 sine $((200 * i)) vol 0.3 tremolo 4 100; done
sox -n -r 22050 -b 16 -c 2 "$L/sub/zebra.flac" synth 6 sine 300 vol 0.3 tremolo 3 100
echo notes > "$L/notes.txt"
sed -e "s|@INFILE@|/dev/null|" -e "s|@FIFO@|/dev/null|" -e "s|@OUTFILE@|$T/played.raw|" \
	"$SER_ROOT/test/alsa/asoundrc.in" > "$T/asound.conf"
printf 'pcm.!default {\n\ttype null\n}\n' >> "$T/asound.conf"
ALSA_CONFIG_PATH=$T/asound.conf
export ALSA_CONFIG_PATH

# ---- without a terminal: plays in order, prints ser-classify --window lines ----
status 0 "ser-play FILE to the file plugin" ser-play $M -D fileout -w 1 -H 0.5 "$T/short.wav"
ser-classify $M -w 1 -H 0.5 "$T/short.wav" > "$T/want"
check "plain lines == ser-classify --window 1 --hop 0.5" cmp -s "$T/out" "$T/want"
check "the device got every sample: 2.3 s of s16 at 16 kHz ($(size "$T/played.raw") bytes)" \
	test "$(size "$T/played.raw")" -eq 73600
sox -t raw -r 16000 -e signed -b 16 -c 1 "$T/played.raw" "$T/played.wav"
sox "$T/short.wav" -t raw "$T/short.raw"
check "and they are the file's samples" cmp -s "$T/played.raw" "$T/short.raw"
status 0 "ser-play DIR --plain -s 2 --only neutral,sad" ser-play $M -D fileout --plain -w 3 -H 3 -s 2 --only neutral,sad "$L"
cut -f1 "$T/out" | uniq > "$T/keys"
printf '%s\n' "$L/sub/zebra.flac" "$L/take1.wav" "$L/take2.wav" > "$T/wantkeys"
check "a directory: its audio files, subdirectories included, in name order, not notes.txt" cmp -s "$T/keys" "$T/wantkeys"
check "--only: decisions among the listed classes" sh -c "! cut -f4 '$T/out' | grep -qvx 'neutral\|sad\|silence'"
status 2 "a missing file among good ones -> 2, the others played" ser-play $M -D fileout -w 1 "$T/none.wav" "$T/short.wav"
check "the message names the file" grep -q "^ser-play: $T/none.wav: " "$T/err"
check "and the good file was played" grep -q "short.wav" "$T/out"
status 2 "no such device -> 2" ser-play $M -D no_such_device_x "$T/short.wav"
check "the message names the device" grep -q '^ser-play: no_such_device_x: ' "$T/err"
# a symbolic link back to an ancestor is a loop, not a tree 32 levels deep
mkdir -p "$T/loop/a"
cp "$T/short.wav" "$T/loop/a/x.wav"
ln -s .. "$T/loop/a/up"
ln -s "$T/loop" "$T/loop/a/top"
ln -s "$T/nowhere" "$T/loop/a/dangling.wav"
status 0 "a directory with links to its ancestors" timeout 60 ser-play $M -D fileout -w 1 -H 0.5 "$T/loop"
check "each file once: the links to ancestors are not followed ($(cut -f1 "$T/out" | uniq | wc -l) files)" \
	test "$(cut -f1 "$T/out" | uniq)" = "$T/loop/a/x.wav"
mkdir -p "$T/empty"
status 2 "an empty directory -> 2" ser-play $M -D fileout "$T/empty"
status 1 "no FILE -> 1" ser-play $M
status 1 "--window 0 -> 1" ser-play $M -w 0 "$T/short.wav"
status 1 "--only bogus -> 1" ser-play $M --only bogus,sad "$T/short.wav"
status 0 "--help" ser-play --help
check "--help: usage on stdout" grep -q '^Usage: ser-play' "$T/out"

# ---- in a terminal (tmux): keys ----
if ! command -v tmux >/dev/null 2>&1; then
	skip "ser-play keys: tmux not installed (scripts/install-deps installs it)"
	exit 0
fi
S=$T/tmux.sock
tm() { tmux -S "$S" "$@"; }
pane() { tm capture-pane -p -t play; }
# wait_for REGEX: up to 10 s for the screen to show it
wait_for() { i=0; while ! pane | grep -q "$1" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; pane | grep -q "$1"; }
rm -f "$T/played.raw"
tm new-session -d -s play -x 100 -y 40 "ser-play $M -D fileout '$L'; echo EXIT=\$?; stty -a | grep -o -- '-*icanon'; sleep 60"
check "tmux: the player shows the first file playing" wait_for 'ser-play  \[1/3\]  playing'
check "tmux: it listens before the first decision" sh -c "pane() { tmux -S '$S' capture-pane -p -t play; }; pane | grep -q 'listening' || pane | grep -q ' s  [a-z]*  0\\.'"
check "tmux: a decision with a bar per class" wait_for '^ *neutral .*[#.]\{10,\} 0\.[0-9][0-9]$'
tm send-keys -t play ' '
check "tmux: space pauses" wait_for 'paused'
sleep 0.3
a=$(size "$T/played.raw"); sleep 1; b=$(size "$T/played.raw")
check "tmux: while paused the output file does not grow ($a, $b bytes)" test "$a" -eq "$b"
tm send-keys -t play ' '
check "tmux: space resumes" wait_for 'playing'
sleep 0.5
c=$(size "$T/played.raw")
check "tmux: playing again, the output grows ($b -> $c bytes)" test "$c" -gt "$b"
tm send-keys -t play n
check "tmux: n moves to the next file" wait_for '\[2/3\]  playing'
check "tmux: the next file is take1.wav" sh -c "tmux -S '$S' capture-pane -p -t play | sed -n 2p | grep -q 'take1.wav'"
tm send-keys -t play / z e b
check "tmux: / search lists the matching file" wait_for '^> .*sub/zebra.flac'
tm send-keys -t play Enter
check "tmux: Enter plays the file found" sh -c "i=0; while ! tmux -S '$S' capture-pane -p -t play | sed -n 2p | grep -q 'zebra.flac' && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done; tmux -S '$S' capture-pane -p -t play | head -1 | grep -q '\\[1/3\\]  playing'"
tm send-keys -t play Right
check "tmux: right seeks 5 s" wait_for 'playing  0:0[5-6]\.'
tm send-keys -t play p
check "tmux: p from the first file stays on it" wait_for '\[1/3\]  playing  0:0[0-1]\.'
tm send-keys -t play q
check "tmux: q quits with status 0" wait_for '^EXIT=0$'
check "tmux: the terminal is restored (icanon)" wait_for '^icanon$'
tm kill-session -t play 2>/dev/null
# SIGTERM restores the terminal too
tm new-session -d -s play -x 60 -y 20 "sh -c 'echo \$\$ > $T/pid; exec ser-play $M -D fileout $L'; echo EXIT=\$?; stty -a | grep -o -- '-*icanon'; sleep 60"
check "tmux: playing in a 60-column pane" wait_for 'playing'
check "tmux: no line wider than the pane" sh -c "! tmux -S '$S' capture-pane -p -t play | awk 'length > 60 { bad = 1 } END { exit !bad }'"
kill -TERM "$(cat "$T/pid")"
check "tmux: SIGTERM ends it with status 0" wait_for '^EXIT=0$'
check "tmux: and restores the terminal" wait_for '^icanon$'
tm kill-server 2>/dev/null
