#!/bin/sh
# Kaldi interoperability through real pipes: ser-mfcc -o, --ark/--scp pairs
# and --wav-scp; Kaldi archives (binary, text, float64, vectors) and scp
# files read by ser-classify and ser-train with --settings, and refused
# without it or when damaged.
. "$SER_ROOT/test/cli/lib.sh"
need_sox kaldi
M=$SER_ROOT/weights/default.ser
D=$T/wav; mkdir -p "$D"
for a in 01 02; do
	sox -R -n -r 16000 -b 16 -c 1 "$D/03-01-01-01-01-01-$a.wav" synth 0.6 sine $((200 + ${a#0} * 30)) vol 0.3
	sox -R -n -r 16000 -b 16 -c 1 "$D/03-01-05-01-01-01-$a.wav" synth 0.6 square 700 vol 0.3 synth 0.6 pinknoise mix
done
set -- "$D"/*.wav
ser-mfcc "$@" > "$T/f.feat" || notok "kaldi: ser-mfcc fixtures"

# ---- ser-mfcc -o, --scp, --wav-scp
status 0 "mfcc: -o FILE" ser-mfcc -o "$T/o.feat" "$@"
check "mfcc: -o FILE = stdout, byte for byte" cmp -s "$T/o.feat" "$T/f.feat"
check "mfcc: -o leaves stdout empty" test ! -s "$T/out"
ser-mfcc --ark "$@" > "$T/stdout.ark"
status 0 "mfcc: --ark -o --scp" ser-mfcc --ark -o "$T/f.ark" --scp "$T/f.scp" "$@"
check "mfcc: the ark = --ark on stdout" cmp -s "$T/f.ark" "$T/stdout.ark"
check "mfcc: scp has a line per utterance" test "$(wc -l < "$T/f.scp")" -eq 4
first=$1
check "mfcc: first scp offset is after 'KEY '" grep -qx "$first $T/f.ark:$((${#first} + 1))" "$T/f.scp"
# every offset points at a binary object "\0BFM "
bad=0
while read -r k rx; do
	off=${rx##*:}
	[ "$(dd if="$T/f.ark" bs=1 skip="$off" count=5 2>/dev/null | od -An -c | tr -d ' ')" = '\0BFM' ] || bad=$((bad + 1))
	[ "$(dd if="$T/f.ark" bs=1 skip=$((off - ${#k} - 1)) count=${#k} 2>/dev/null)" = "$k" ] || bad=$((bad + 1))
done < "$T/f.scp"
check "mfcc: every scp offset is its key's object ($bad wrong)" test "$bad" -eq 0
status 0 "mfcc: --text -o --scp" ser-mfcc --text -o "$T/t.ark" --scp "$T/t.scp" "$@"
status 1 "mfcc: --scp without -o -> 1" ser-mfcc --ark --scp "$T/x.scp" "$@"
status 1 "mfcc: --scp with the ser stream -> 1" ser-mfcc -o "$T/x.feat" --scp "$T/x.scp" "$@"
status 1 "mfcc: --scp and -o the same file -> 1" ser-mfcc --ark -o "$T/x.ark" --scp "$T/x.ark" "$@"
status 1 "mfcc: -o onto an input -> 1" ser-mfcc -o "$first" "$@"
check "mfcc: the input is untouched" sh -c "sox --i -t '$first' | grep -qx wav"
i=0
for f in "$@"; do i=$((i + 1)); printf 'utt%d %s\n' $i "$f"; done > "$T/wav.scp"
status 0 "mfcc: --wav-scp" ser-mfcc --wav-scp "$T/wav.scp" --ark -o "$T/w.ark" --scp "$T/w.scp"
check "mfcc: --wav-scp keys from the list" sh -c "cut -d' ' -f1 '$T/w.scp' | tr '\n' ' ' | grep -qx 'utt1 utt2 utt3 utt4 '"
check "mfcc: --wav-scp features = the files'" sh -c "ser-mfcc --wav-scp '$T/wav.scp' | ser-classify -m '$M' --no-vad | cut -f2- > '$T/a' && ser-classify -m '$M' --no-vad '$T/f.feat' | cut -f2- > '$T/b' && cmp -s '$T/a' '$T/b'"
printf 'cmd1 sox %s -t wav - |\n' "$first" > "$T/cmd.scp"
status 2 "mfcc: a command line without --wav-scp-commands -> 2" ser-mfcc --wav-scp "$T/cmd.scp" -o "$T/c.feat"
check "mfcc: ... says how" grep -q 'not run without --wav-scp-commands' "$T/err"
status 0 "mfcc: --wav-scp-commands runs it" ser-mfcc --wav-scp "$T/cmd.scp" --wav-scp-commands --text -o "$T/c.txt"
check "mfcc: the command's audio = the file's" sh -c "ser-mfcc --text -k cmd1 < '$first' | cmp -s - '$T/c.txt'"
printf 'bad false |\n' > "$T/false.scp"
status 2 "mfcc: a failing command -> 2" ser-mfcc --wav-scp "$T/false.scp" --wav-scp-commands
status 1 "mfcc: --wav-scp with FILEs -> 1" ser-mfcc --wav-scp "$T/wav.scp" "$first"
status 1 "mfcc: --wav-scp-commands alone -> 1" ser-mfcc --wav-scp-commands "$first"

# ---- archives read with --settings
ser-classify -m "$M" --no-vad -P "$T/f.feat" > "$T/ref.tsv"
cut -f1,2 "$T/ref.tsv" > "$T/ref.labels"
for f in f.ark t.ark f.scp t.scp; do
	status 0 "classify: --settings ser $f" ser-classify -m "$M" --no-vad -P --settings ser "$T/$f"
	# a binary archive gives the stream's probabilities; a text one its labels
	# (its values have 7 digits, as Kaldi's: probabilities may move in the 4th)
	case $f in
	f.*) check "classify: $f labels and probabilities = the stream's" cmp -s "$T/out" "$T/ref.tsv" ;;
	*) check "classify: $f labels = the stream's" sh -c "cut -f1,2 '$T/out' | cmp -s - '$T/ref.labels'" ;;
	esac
done
status 0 "classify: archive on stdin" sh -c "ser-classify -m '$M' --no-vad -P --settings ser < '$T/f.ark' > '$T/o2'"
check "classify: ... same labels" cmp -s "$T/o2" "$T/ref.tsv"
status 0 "classify: --settings FILE.feat (its header)" ser-classify -m "$M" --no-vad -P --settings "$T/f.feat" "$T/f.ark"
check "classify: ... same labels" cmp -s "$T/out" "$T/ref.tsv"
settings=$(ser-mfcc --print-settings)
status 0 "classify: --settings TEXT" ser-classify -m "$M" --no-vad -P --settings "$settings" "$T/f.ark"
check "classify: ... same labels" cmp -s "$T/out" "$T/ref.tsv"
status 2 "classify: archive without --settings -> 2" ser-classify -m "$M" "$T/f.ark"
check "classify: ... the message says --settings" grep -q 'Kaldi archive carries no feature settings: name them with --settings' "$T/err"
status 2 "classify: scp without --settings -> 2" ser-classify -m "$M" "$T/f.scp"
status 2 "classify: --settings kaldi (not the model's) -> 2" ser-classify -m "$M" --settings kaldi "$T/f.ark"
check "classify: ... the model check names a setting" grep -q 'features do not fit the model (.*n-mels' "$T/err"
status 1 "classify: --settings nonsense -> 1" ser-classify -m "$M" --settings no-such-preset "$T/f.ark"
status 1 "classify: --settings bad text -> 1" ser-classify -m "$M" --settings n-mels=0 "$T/f.ark"

# float64 matrices, vectors, text forms and damage, made byte by byte
python3 - "$T" <<'EOF' || notok "kaldi: python fixtures"
import struct, sys
T = sys.argv[1]
dim = 40
def fm(tok, rows, vals, fmt):
    hdr = b"\0B" + tok + b" " + b"\4" + struct.pack("<i", rows) + b"\4" + struct.pack("<i", dim)
    return hdr + struct.pack("<%d%s" % (len(vals), fmt), *vals)
vals = [((i * 7) % 13) / 4.0 - 1.5 for i in range(3 * dim)]
open(T + "/d.ark", "wb").write(b"a " + fm(b"FM", 3, vals, "f") + b"b " + fm(b"DM", 3, vals, "d"))
open(T + "/v.ark", "wb").write(b"a " + fm(b"FM", 1, vals[:dim], "f") +
                               b"b \0BFV \4" + struct.pack("<i", dim) + struct.pack("<%df" % dim, *vals[:dim]))
open(T + "/txt.ark", "w").write("a  [\n  " + " ".join("%g" % v for v in vals[:dim]) + " \n  " +
                                " ".join("%g" % v for v in vals[dim:2 * dim]) + " ]\nempty [ ]\n")
open(T + "/short.ark", "wb").write(b"a " + fm(b"FM", 3, vals, "f")[:-10])
open(T + "/cm.ark", "wb").write(b"a \0BCM " + bytes(40))
open(T + "/dim.ark", "wb").write(b"a \0BFM \4" + struct.pack("<i", 1) + b"\4" + struct.pack("<i", 13) + bytes(52))
open(T + "/nan.ark", "wb").write(b"a " + fm(b"FM", 1, [float("nan")] + vals[1:dim], "f"))
open(T + "/row.ark", "w").write("a  [\n  1 2 3 \n  1 2 ]\n")
EOF
ser-classify -m "$M" --no-vad -P --settings ser "$T/d.ark" > "$T/d.tsv" 2>&1
check "classify: float64 matrix = the float32 one" sh -c "test \"\$(cut -f2- '$T/d.tsv' | uniq | wc -l)\" -eq 1"
ser-classify -m "$M" --no-vad -P --settings ser "$T/v.ark" > "$T/v.tsv" 2>&1
check "classify: a vector (FV) is one frame" sh -c "test \"\$(cut -f2- '$T/v.tsv' | uniq | wc -l)\" -eq 1"
status 0 "classify: text archive with an empty matrix" ser-classify -m "$M" --no-vad --settings ser "$T/txt.ark"
check "classify: ... labels a" grep -q '^a	' "$T/out"
status 2 "classify: truncated archive -> 2" ser-classify -m "$M" --settings ser "$T/short.ark"
check "classify: ... says truncated" grep -q 'truncated at byte offset .* of utterance a' "$T/err"
status 2 "classify: compressed matrix -> 2" ser-classify -m "$M" --settings ser "$T/cm.ark"
check "classify: ... says how to write it" grep -q 'compress=false' "$T/err"
status 2 "classify: 13 values per frame for 40 -> 2" ser-classify -m "$M" --settings ser "$T/dim.ark"
check "classify: ... names the dimension" grep -q 'utterance a has 13 values per frame, the settings give 40' "$T/err"
status 2 "classify: NaN in an archive -> 2" ser-classify -m "$M" --settings ser "$T/nan.ark"
status 2 "classify: text rows of two lengths -> 2" ser-classify -m "$M" --settings ser "$T/row.ark"
printf 'a %s:999999\n' "$T/f.ark" > "$T/far.scp"
status 2 "classify: scp offset past the end -> 2" ser-classify -m "$M" --settings ser "$T/far.scp"
printf 'a gunzip -c x.ark.gz |\n' > "$T/pipe.scp"
status 2 "classify: scp command -> 2" ser-classify -m "$M" --settings ser "$T/pipe.scp"
check "classify: ... says why" grep -q 'commands and standard input are not read' "$T/err"
printf 'a %s:3[0:1]\n' "$T/f.ark" > "$T/range.scp"
status 2 "classify: scp range -> 2" ser-classify -m "$M" --settings ser "$T/range.scp"
printf 'a %s\n' "$T/none.ark" > "$T/none.scp"
status 2 "classify: scp naming a missing file -> 2" ser-classify -m "$M" --settings ser "$T/none.scp"
printf 'hello world\n' > "$T/hello.txt"
status 2 "classify: plain text -> 2" ser-classify -m "$M" --settings ser "$T/hello.txt"

# ser-train: an archive with --settings trains the same model as the stream
status 0 "train: from the stream" ser-train -q -o "$T/s.ser" --arch "conv:8:5 relu stats dense" --classes neutral,angry --epochs 2 --crop 30 -j 1 "$T/f.feat"
status 0 "train: from the scp with --settings" ser-train -q -o "$T/k.ser" --arch "conv:8:5 relu stats dense" --classes neutral,angry --epochs 2 --crop 30 -j 1 --settings ser "$T/f.scp"
ser-classify -m "$T/s.ser" --info | grep -v '^model:\|^command:' > "$T/si"
ser-classify -m "$T/k.ser" --info | grep -v '^model:\|^command:' > "$T/ki"
check "train: the same model (the record but for the command)" cmp -s "$T/si" "$T/ki"
check "train: the same parameters (same labels and probabilities)" sh -c "ser-classify -m '$T/s.ser' -P --no-vad '$T/f.feat' > '$T/sp' && ser-classify -m '$T/k.ser' -P --no-vad '$T/f.feat' > '$T/kp' && cmp -s '$T/sp' '$T/kp'"
status 2 "train: archive without --settings -> 2" ser-train -q -o "$T/n.ser" "$T/f.ark"
check "train: ... the message says --settings" grep -q 'name them with --settings' "$T/err"

# ---- ser-feat: info, keys, copy with exact round trips
status 0 "feat: info of a stream" ser-feat info "$T/f.feat"
check "feat: info dim 40" grep -qx 'dim: 40' "$T/out"
check "feat: info 4 utterances" grep -qx 'utterances: 4' "$T/out"
check "feat: info format" grep -qx 'format: ser feature stream' "$T/out"
frames=$(ser-feat keys "$T/f.feat" | awk -F'\t' '{ s += $2 } END { print s }')
check "feat: info frames = sum of keys' ($frames)" grep -qx "frames: $frames" "$T/out"
check "feat: info fingerprint 16 hex digits" grep -qE '^fingerprint: [0-9a-f]{16}$' "$T/out"
status 0 "feat: info of an scp" ser-feat info --settings ser "$T/f.scp"
check "feat: scp format and frames" sh -c "grep -qx 'format: kaldi scp' '$T/out' && grep -qx 'frames: $frames' '$T/out'"
status 2 "feat: info of an archive without --settings -> 2" ser-feat info "$T/f.ark"
ser-feat keys "$T/f.feat" > "$T/k1"
ser-feat keys --settings ser "$T/f.ark" > "$T/k2"
ser-feat keys --settings ser "$T/t.scp" > "$T/k3"
check "feat: keys the same from stream, ark and text scp" sh -c "cmp -s '$T/k1' '$T/k2' && cmp -s '$T/k1' '$T/k3'"
check "feat: keys lines are key<TAB>frames" sh -c "test \"\$(cut -f1 '$T/k1' | tr '\n' ' ')\" = '$* '"
ser-feat copy --to ark "$T/f.feat" > "$T/c.ark"
check "feat: copy --to ark = ser-mfcc --ark" cmp -s "$T/c.ark" "$T/f.ark"
ser-feat copy --to ser "$T/f.feat" > "$T/c1.feat"
ser-feat copy --to ser --settings "$T/f.feat" "$T/c.ark" > "$T/c2.feat"
check "feat: ser -> ark -> ser = ser -> ser (cmp)" cmp -s "$T/c1.feat" "$T/c2.feat"
check "feat: ... and -> ark again (cmp)" sh -c "ser-feat copy --to ark '$T/c2.feat' | cmp -s - '$T/c.ark'"
check "feat: the copy has the stream's header" sh -c "ser-feat info '$T/c2.feat' | grep -v '^file:' > '$T/i2'; ser-feat info '$T/f.feat' | grep -v '^file:' | cmp -s - '$T/i2'"
ser-feat copy --to text "$T/f.feat" > "$T/c.txt"
check "feat: copy --to text = ser-mfcc --text" cmp -s "$T/c.txt" "$T/t.ark"
check "feat: text -> ser -> text (cmp)" sh -c "ser-feat copy --to ser --settings ser '$T/c.txt' | ser-feat copy --to text - | cmp -s - '$T/c.txt'"
ser-feat copy --to raw "$T/f.feat" > "$T/c.raw"
check "feat: raw is frames x 40 x 4 bytes" test "$(size "$T/c.raw")" -eq $((frames * 160))
check "feat: copy --to raw = ser-mfcc --raw" sh -c "ser-mfcc --raw $* | cmp -s - '$T/c.raw'"
status 0 "feat: --keys" ser-feat copy --to ser --keys "$2,$4" "$T/f.feat"
check "feat: --keys selects two, in input order" sh -c "ser-feat keys - < '$T/out' | cut -f1 | tr '\n' ' ' | grep -qx '$2 $4 '"
printf '%s spk1\n' "$3" > "$T/utt2spk"
status 0 "feat: --keys-from an utt2spk" ser-feat copy --to ark --keys-from "$T/utt2spk" --settings ser "$T/f.scp"
check "feat: ... one utterance" sh -c "ser-feat keys --settings ser - < '$T/out' | cut -f1 | grep -qx '$3'"
status 2 "feat: a listed key in no input -> 2" ser-feat copy --to ser --keys nosuch "$T/f.feat"
check "feat: ... named" grep -q 'key nosuch: in no input' "$T/err"
ser-mfcc -p kaldi "$1" > "$T/kaldi.feat"
status 2 "feat: copy of two settings -> 2" ser-feat copy --to ser "$T/f.feat" "$T/kaldi.feat"
check "feat: ... names the difference" grep -q 'feature settings differ' "$T/err"
status 1 "feat: copy without --to -> 1" ser-feat copy "$T/f.feat"
status 1 "feat: --to bogus -> 1" ser-feat copy --to bogus "$T/f.feat"
status 1 "feat: no command -> 1" ser-feat
status 1 "feat: unknown command -> 1" ser-feat frobnicate "$T/f.feat"
status 1 "feat: --to with info -> 1" ser-feat info --to ark "$T/f.feat"
status 1 "feat: --keys and --keys-from -> 1" ser-feat copy --to ser --keys a --keys-from "$T/utt2spk" "$T/f.feat"
status 1 "feat: -o onto its input -> 1" ser-feat copy --to ser -o "$T/f.feat" "$T/f.feat"
status 0 "feat: -o FILE" ser-feat copy --to ser -o "$T/o2.feat" "$T/f.feat"
check "feat: -o FILE = stdout copy" cmp -s "$T/o2.feat" "$T/c1.feat"
head -c 3000 "$T/f.feat" > "$T/cut.feat"
status 2 "feat: keys of a truncated stream -> 2" ser-feat keys "$T/cut.feat"
status 2 "feat: info of a missing file -> 2, the others read" ser-feat info "$T/none.feat" "$T/f.feat"
check "feat: ... the other file's info printed" grep -qx 'utterances: 4' "$T/out"

# ---- NumPy: read back with Debian's numpy, without pickle
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	ser-mfcc --npz -o "$T/f.npz" "$@"
	ser-feat copy --to npz "$T/f.feat" > "$T/c.npz"
	check "npz: ser-mfcc --npz = ser-feat copy --to npz" cmp -s "$T/f.npz" "$T/c.npz"
	ser-mfcc --npy "$1" > "$T/one.npy"
	/usr/bin/python3 - "$T" "$@" > "$T/py.out" 2>&1 <<'PY'
import struct, sys
import numpy as np
T, keys = sys.argv[1], sys.argv[2:]
# the Kaldi archive, parsed here independently, is the reference
ref, b = {}, open(T + "/f.ark", "rb").read()
i = 0
while i < len(b):
    sp = b.index(b" ", i)
    k = b[i:sp].decode()
    rows, cols = struct.unpack("<xi", b[sp + 6:sp + 11])[0], struct.unpack("<xi", b[sp + 11:sp + 16])[0]
    ref[k] = np.frombuffer(b[sp + 16:sp + 16 + 4 * rows * cols], "<f4").reshape(rows, cols)
    i = sp + 16 + 4 * rows * cols
z = np.load(T + "/f.npz", allow_pickle=False)
print("keys", z.files == keys)
print("exact", all(z[k].dtype == np.float32 and np.array_equal(z[k], ref[k]) for k in keys))
a = np.load(T + "/one.npy", allow_pickle=False)
print("npy", a.dtype == np.float32 and np.array_equal(a, ref[keys[0]]))
PY
	check "npz: numpy.load lists the keys in order" grep -qx 'keys True' "$T/py.out"
	check "npz: arrays equal the ark's values exactly (float32)" grep -qx 'exact True' "$T/py.out"
	check "npy: numpy.load gives the first utterance exactly" grep -qx 'npy True' "$T/py.out"
	check "npz: unzip -t finds no error" sh -c "! command -v unzip >/dev/null || unzip -tq '$T/f.npz' >/dev/null"
	status 2 "npy: a second utterance -> 2" ser-mfcc --npy "$1" "$2"
	check "npy: ... says use .npz" grep -q 'holds one utterance.*use .npz' "$T/err"
	status 2 "npz: a key twice -> 2" ser-feat copy --to npz "$T/f.feat" "$T/f.feat"
	mkdir -p "$T/npyo"
	status 2 "npy: -o with a second utterance -> 2" ser-mfcc --npy -o "$T/npyo/x.npy" "$1" "$2"
	status 2 "npz: -o with a key twice -> 2" ser-feat copy --to npz -o "$T/npyo/y.npz" "$T/f.feat" "$T/f.feat"
	check "npy/npz: a failed -o leaves no file and no temporary" test -z "$(ls -A "$T/npyo")"
else
	skip "npz: /usr/bin/python3 has no numpy (scripts/install-deps installs python3-numpy)"
fi
