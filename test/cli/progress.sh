#!/bin/sh
# Progress over many files: on a terminal (a pty from script(1)) ser-mfcc
# and ser-classify draw "N/M files, R files/s" on stderr; nothing when
# stderr is not a terminal, with -q, or for one file.
. "$SER_ROOT/test/cli/lib.sh"
need_sox progress
command -v script >/dev/null 2>&1 || { skip "progress: script(1) not installed"; exit 0; }
M=$SER_ROOT/weights/default.ser
for i in 1 2 3 4 5; do sox -n -r 16000 -b 16 -c 1 "$T/$i.wav" synth 0.3 sine $((200 + i * 50)) vol 0.3; done
cd "$T" || exit 1
for p in "ser-mfcc" "ser-classify -m $M --no-vad"; do
	name=${p%% *}
	script -qec "$p 1.wav 2.wav 3.wav 4.wav 5.wav > out.bin" /dev/null > tty.txt 2>&1
	check "progress: $name on a terminal ends at 5/5 files" grep -q "$name: 5/5 files, [0-9.]* files/s" tty.txt
	check "progress: $name clears its line at the end" sh -c "tail -c 4 tty.txt | od -An -c | tr -d ' ' | grep -qx '\\\\r033\\[K'"
	script -qec "$p -q 1.wav 2.wav 3.wav 4.wav 5.wav > out.bin" /dev/null > tty.txt 2>&1
	check "progress: $name -q draws nothing" test ! -s tty.txt
	script -qec "$p 1.wav > out.bin" /dev/null > tty.txt 2>&1
	check "progress: $name with one file draws nothing" test ! -s tty.txt
	$p 1.wav 2.wav 3.wav 4.wav 5.wav > out.bin 2> err.txt
	check "progress: $name with stderr not a terminal writes nothing there" test ! -s err.txt
done
script -qec "ser-mfcc 1.wav none.wav 3.wav > out.bin" /dev/null > tty.txt 2>&1
check "progress: a message starts on a cleared line" grep -q "$(printf '\033\\[K')ser-mfcc: none.wav: " tty.txt
