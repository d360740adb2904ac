#!/bin/sh
# Outputs never destroy anything (ser-train -o/--log, ser-eval --svg):
# devices and FIFOs written in place, symbolic links followed, mode kept,
# an output that is an input refused, every output checked before work.
# Every special file is made here, in $T; no system path is ever an output.
. "$SER_ROOT/test/cli/lib.sh"
need_sox outputs
D=$T/wav; mkdir -p "$D"
for a in 01 02; do for s in 01 02; do
	f=$((150 + ${a#0} * 20 + ${s#0} * 7))
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-01-01-$s-01-$a.wav" synth 1.0 sine $f vol 0.3
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-05-01-$s-01-$a.wav" synth 1.0 square $((f * 3)) vol 0.3
done; done
ser-mfcc "$D"/*.wav > "$T/f.feat" || notok "outputs: ser-mfcc fixtures"
train() { ser-train -q --arch "conv:8:3 relu stats dense" --classes neutral,angry --epochs 2 --crop 50 -j 1 "$@"; }
filetype() { stat -c %F "$1"; }

# 10: mode kept, symbolic links followed, FIFOs and devices written in place
mkdir "$T/o"
status 0 "train: -o a new file" train -o "$T/o/m.ser" "$T/f.feat"
chmod 640 "$T/o/m.ser"
status 0 "train: -o over a mode 640 model" train -o "$T/o/m.ser" "$T/f.feat"
check "train: the replaced model keeps mode 640 (got $(stat -c %a "$T/o/m.ser"))" test "$(stat -c %a "$T/o/m.ser")" = 640
mkdir "$T/o/real"
cp "$T/o/m.ser" "$T/o/real/t.ser"
echo old > "$T/o/real/t.ser"
ln -s real/t.ser "$T/o/l.ser"
status 0 "train: -o through a relative symbolic link" train -o "$T/o/l.ser" "$T/f.feat"
check "train: the link is still a link" test -L "$T/o/l.ser"
check "train: its target holds the new model" sh -c "ser-classify -m '$T/o/l.ser' --classes | grep -qx angry"
check "train: no temporary left beside the target" sh -c "! ls '$T/o/real' | grep -q tmp"
ln -s "$T/o/real/new.ser" "$T/o/dangling.ser"
status 0 "train: -o through a link to a file not made yet" train -o "$T/o/dangling.ser" "$T/f.feat"
check "train: the link's target is made" sh -c "test -L '$T/o/dangling.ser' && test -f '$T/o/real/new.ser'"
mkfifo "$T/o/fifo"
timeout 20 cat "$T/o/fifo" > "$T/o/fifo.out" &
reader=$!
status 0 "train: -o FIFO" train -o "$T/o/fifo" --val-speakers ravdess-02 --epochs 4 "$T/f.feat"
wait $reader
check "train: the FIFO is still a FIFO (got $(filetype "$T/o/fifo"))" test -p "$T/o/fifo"
check "train: the model went through the FIFO" sh -c "ser-classify -m '$T/o/fifo.out' --classes | grep -qx angry"
check "train: one model through the FIFO, the final one (no best-so-far saves)" sh -c "test \$(grep -ao SERMODEL '$T/o/fifo.out' | wc -l) -eq 1 && ser-classify -m '$T/o/fifo.out' --info | grep -q '^epochs run: 4'"
fifo_ok=0; [ -p "$T/o/fifo" ] && fifo_ok=1
if [ $fifo_ok = 1 ] && mknod "$T/o/null" c 1 3 2>/dev/null; then
	# a null device of our own, in $T: replacing it by mistake harms nothing
	status 0 "train: -o a character device" train -o "$T/o/null" "$T/f.feat"
	check "train: the device is still a device (got $(filetype "$T/o/null"))" test -c "$T/o/null"
else
	skip "train: -o a character device (mknod not allowed, or the FIFO case failed)"
fi

# 11: an output that is an input is a usage error; the input is untouched
cp "$T/f.feat" "$T/a.feat"
status 1 "train: -o a.feat a.feat: exit 1" train -o "$T/a.feat" "$T/a.feat"
check "train: -o a.feat a.feat: the input is untouched" cmp -s "$T/f.feat" "$T/a.feat"
check "train: -o a.feat a.feat: says why" grep -q "a.feat: the output of -o is also an input" "$T/err"
status 1 "train: --log a.feat a.feat: exit 1" train -o "$T/o/m2.ser" --log "$T/a.feat" "$T/a.feat"
check "train: --log a.feat a.feat: the input is untouched" cmp -s "$T/f.feat" "$T/a.feat"
ln -s a.feat "$T/other.feat"
status 1 "train: -o through another name of the input: exit 1" train -o "$T/other.feat" "$T/a.feat"
status 1 "train: -o the input read on stdin: exit 1" sh -c "ser-train -q --classes neutral,angry -o '$T/a.feat' < '$T/a.feat'"
check "train: stdin case: the input is untouched" cmp -s "$T/f.feat" "$T/a.feat"
printf '03-01-01-01-01-01-01\tneutral\n' > "$T/map.tsv"
status 1 "train: -o the --labels map: exit 1" train -o "$T/map.tsv" --labels "$T/map.tsv" "$T/a.feat"
status 1 "train: -o and --log the same file: exit 1" train -o "$T/o/m.ser" --log "$T/o/m.ser" "$T/a.feat"

# 12: every output checked before training, with one clear message
status 1 "train: -o '': exit 1" train -o '' "$T/f.feat"
check "train: -o '': message" grep -qx "ser-train: -o: empty file name" "$T/err"
status 1 "train: -o a directory: exit 1" train -o "$T/o" "$T/f.feat"
check "train: -o a directory: message" grep -qx "ser-train: $T/o: is a directory" "$T/err"
status 2 "train: -o in a missing directory: exit 2" train -o "$T/none/m.ser" "$T/f.feat"
check "train: missing directory: one message, the name once" grep -qx "ser-train: $T/none/m.ser: cannot create a file in $T/none: No such file or directory" "$T/err"
status 2 "train: --log in a missing directory: exit 2" train -o "$T/o/m3.ser" --log "$T/none/log.tsv" "$T/f.feat"
check "train: --log checked before training (no model written)" test ! -e "$T/o/m3.ser"
status 1 "train: --log '': exit 1" train -o "$T/o/m3.ser" --log '' "$T/f.feat"
# checked before the input is read: a missing input is not reached
status 2 "train: -o checked before the inputs" train -o "$T/none/m.ser" "$T/no-such.feat"
check "train: -o checked before the inputs: the message is about -o" grep -q "none/m.ser" "$T/err"
if [ "$(id -u)" != 0 ]; then
	mkdir "$T/ro"; chmod 555 "$T/ro"
	status 2 "train: -o in a read-only directory: exit 2" train -o "$T/ro/m.ser" "$T/f.feat"
	cp "$T/o/m.ser" "$T/o/ro.ser"; chmod 444 "$T/o/ro.ser"
	status 2 "train: -o a read-only file: exit 2" train -o "$T/o/ro.ser" "$T/f.feat"
	chmod 755 "$T/ro"
else
	skip "train: read-only directory and file (running as root: permissions do not apply)"
fi

# ser-eval --svg: the same rules
printf '03-01-05-01-01-01-01.wav\tangry\t0.9\n03-01-01-01-01-01-01.wav\tneutral\t0.8\n' > "$T/l.tsv"
cp "$T/l.tsv" "$T/l0.tsv"
status 1 "eval: --svg l.tsv l.tsv: exit 1" ser-eval --svg "$T/l.tsv" "$T/l.tsv"
check "eval: --svg l.tsv l.tsv: the input is untouched" cmp -s "$T/l.tsv" "$T/l0.tsv"
status 1 "eval: --svg the labels on stdin: exit 1" sh -c "ser-eval --svg '$T/l.tsv' < '$T/l.tsv'"
printf '03-01-05-01-01-01-01.wav\tangry\n' > "$T/truth.tsv"
status 1 "eval: --svg the --truth map: exit 1" ser-eval --svg "$T/truth.tsv" --truth "$T/truth.tsv" "$T/l.tsv"
status 1 "eval: --svg a directory: exit 1" ser-eval --svg "$T/o" "$T/l.tsv"
status 2 "eval: --svg in a missing directory: exit 2, before the report" ser-eval --svg "$T/none/cm.svg" "$T/l.tsv"
check "eval: missing directory: nothing on stdout" test ! -s "$T/out"
echo old > "$T/o/cm.svg"; chmod 640 "$T/o/cm.svg"; ln -s cm.svg "$T/o/lcm.svg"
status 0 "eval: --svg through a link over a mode 640 file" ser-eval --svg "$T/o/lcm.svg" "$T/l.tsv"
check "eval: link kept, target replaced, mode 640" sh -c "test -L '$T/o/lcm.svg' && grep -q '<svg' '$T/o/cm.svg' && test \$(stat -c %a '$T/o/cm.svg') = 640"
mkfifo "$T/o/svgfifo"
timeout 20 cat "$T/o/svgfifo" > "$T/o/svg.out" &
reader=$!
status 0 "eval: --svg FIFO" ser-eval --svg "$T/o/svgfifo" "$T/l.tsv"
wait $reader
check "eval: FIFO still a FIFO, the picture went through" sh -c "test -p '$T/o/svgfifo' && grep -q '</svg>' '$T/o/svg.out'"

# standard output that is an input (cat's "input file is output file")
cp "$T/f.feat" "$T/b.feat"
status 1 "classify: FILE >> FILE: exit 1" sh -c "ser-classify -m '$T/o/m.ser' '$T/b.feat' >> '$T/b.feat'"
check "classify: FILE >> FILE: the input is untouched" cmp -s "$T/f.feat" "$T/b.feat"
status 1 "classify: < FILE >> FILE: exit 1" sh -c "ser-classify -m '$T/o/m.ser' < '$T/b.feat' >> '$T/b.feat'"
w=$D/03-01-01-01-01-01-01.wav
cp "$w" "$T/w.wav"
status 1 "mfcc: FILE >> FILE: exit 1" sh -c "ser-mfcc '$T/w.wav' >> '$T/w.wav'"
check "mfcc: FILE >> FILE: the input is untouched" cmp -s "$w" "$T/w.wav"
status 1 "capture: FILE >> FILE: exit 1" sh -c "ser-capture '$T/w.wav' >> '$T/w.wav'"
check "capture: FILE >> FILE: the input is untouched" cmp -s "$w" "$T/w.wav"
status 0 "classify: stdout a regular file that is no input: exit 0" sh -c "ser-classify -m '$T/o/m.ser' '$T/f.feat' > '$T/o/fifo.out.2'"
