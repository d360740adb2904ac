# Every command of README.md's sh blocks and of every man page's EXAMPLES
# runs here as written, so the docs cannot drift. In a scratch directory
# whose placeholders are files of ../shared/data (speech.wav, talk.flac,
# RAVDESS/, data/, my-clips/, ...), with these changes only, all printed:
#   - ser-train runs --epochs 2 (the docs' runs take hours);
#   - -D hw:1 is -D default, and the default ALSA device reads speech.raw
#     (the file plugin of test/alsa; playback goes to a null device);
#   - parallel --sshlogin host1,host2 runs on this machine (:);
#   - each command has 120 s; arecord never sees the end of the file
#     plugin's input, so its pipelines are stopped after 8 s (status 124).
# Building (install-deps, make, make check) and README's library example
# (test/cli/install.sh) are not run here.
. "$SER_ROOT/test/cli/lib.sh"
before=$(cat "$SER_ROOT"/weights/*.ser | cksum)
have_data || { skip "docs: no corpus in $SER_DATA"; exit 0; }
need_sox docs
SER_DATA=$(cd "$SER_DATA" && pwd)
W=$T/w; mkdir -p "$W" && cd "$W" || exit 1
R=$SER_DATA/ravdess
f() { printf '%s/Actor_%s/03-01-%s-01-01-%s-%s.flac' "$R" "$1" "$2" "$3" "$1"; }
# ---- the placeholders ----
sox "$(f 20 05 01)" speech.wav && cp "$(f 20 05 01)" speech.flac
sox "$(f 20 01 01)" new-recording.wav && sox "$(f 19 03 01)" take1.wav && sox "$(f 19 04 01)" take2.wav
sox "$(f 18 05 01)" "$(f 18 01 01)" "$(f 18 04 01)" talk.flac
cp talk.flac interview.flac && cp talk.flac long.flac
cp "$(f 17 03 01)" a.flac && sox "$(f 17 04 01)" b.ogg
sox speech.wav -t raw -r 16000 -e signed -b 16 -c 1 speech.raw
mkdir -p RAVDESS ravdess data/Actor_20 data/tess tess recordings my-clips clips
for a in 01 17 18 19 20; do for e in 01 05; do
	mkdir -p "ravdess/Actor_$a" && cp "$(f $a $e 01)" "$(f $a $e 02)" "ravdess/Actor_$a/"
done; done
cp ravdess/Actor_01/* ravdess/Actor_20/* RAVDESS/ && cp ravdess/Actor_20/* data/Actor_20/
for t in OAF_back_angry OAF_back_neutral YAF_ring_happy; do cp "$SER_DATA/tess/$t.flac" tess/ && cp "$SER_DATA/tess/$t.flac" data/tess/; done
sox "$(f 01 01 01)" recordings/one.wav && sox "$(f 01 03 01)" recordings/two.wav
i=0; for e in 01 03 05 06; do i=$((i + 1)); sox "$(f 02 $e 01)" "my-clips/clip$i.wav"; done
printf 'my-clips/clip1.wav\tneutral\nmy-clips/clip2.wav\thappy\nmy-clips/clip3.wav\tangry\nmy-clips/clip4.wav\tboredom\n' > my-labels.tsv
: > truth.tsv
for e in 01 02 03 04 05 06; do sox "$(f 03 $e 01)" "clips/c$e.wav"; done
for e in 01 02; do printf 'clips/c%s.wav\tneutral\n' $e >> truth.tsv; done
for e in 03 04; do printf 'clips/c%s.wav\tpositive\n' $e >> truth.tsv; done
for e in 05 06; do printf 'clips/c%s.wav\tnegative\n' $e >> truth.tsv; done
# Kaldi data (wav.scp, utt2spk; their labels in truth.tsv) and speaker maps for --adapt
i=0; for a in 19 20; do for e in 01 05; do i=$((i + 1))
	printf 'utt%d ravdess/Actor_%s/%s\n' $i $a "$(basename "$(f $a $e 01)")" >> data/wav.scp
	printf 'utt%d spk%s\n' $i $a >> data/utt2spk
	printf 'utt%d\t%s\n' $i "$([ $e = 01 ] && echo neutral || echo angry)" >> truth.tsv
done; done
for i in 1 2 3 4; do printf 'my-clips/clip%d.wav\tspk%d\n' $i $((i % 2)) >> my-speakers.tsv; done
mkdir -p takes && cp my-clips/clip1.wav my-clips/clip2.wav takes/ && cp take1.wav take2.wav takes/
for t in clip1 clip2 take1 take2; do printf 'takes/%s.wav\t%s\n' $t "$([ ${t#take} = $t ] && echo a || echo b)" >> speakers.tsv; done
# copies, not links: an example that writes seed.ser must not replace the shipped one
mkdir -p weights && cp "$SER_ROOT/weights/default.ser" "$SER_ROOT/weights/seed.ser" "$SER_ROOT/weights/speaker.ser" weights/ && cp weights/seed.ser .
ser-mfcc clips/*.wav > clips.feat && ser-train -q --epochs 2 --crop 50 -C positive,negative,neutral \
	-L truth.tsv -o pos.ser --log train-log.tsv clips.feat && cp train-log.tsv cnn.tsv ||
	notok "docs: the fixtures (pos.ser, train-log.tsv)"
export HOME=$W SER_MODEL=$SER_ROOT/weights/default.ser PATH="$SER_ROOT/scripts:$PATH"
sed -e "s|@INFILE@|$W/speech.raw|" -e "s|@FIFO@|/dev/null|" -e "s|@OUTFILE@|/dev/null|" \
	"$SER_ROOT/test/alsa/asoundrc.in" > "$T/asound.conf"
printf 'pcm.!default {\n\ttype asym\n\tplayback.pcm "nul"\n\tcapture.pcm "filemic"\n}\n' >> "$T/asound.conf"
export ALSA_CONFIG_PATH=$T/asound.conf

# ---- the commands: SOURCE:LINE<TAB>command, continued lines joined ----
{
	awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on { print FILENAME ":" FNR "\t" $0 }' "$SER_ROOT/README.md"
	for m in "$SER_ROOT"/man/*.[1-8]; do
		awk '/^\.SH/ { ex = ($0 ~ /EXAMPLES/) } ex && /^\.nf/ { on = 1; next } /^\.fi/ { on = 0 }
		     ex && on && !/^\./ { print FILENAME ":" FNR "\t" $0 }' "$m"
	done | sed 's/\\-/-/g; s/\\(aq/'"'"'/g; s/\\e/\\/g; s/\\&//g; s/\\(lq/"/g; s/\\(rq/"/g'
} | sed "s|^$SER_ROOT/||" | awk -F '\t' '
	{ src = $1; c = substr($0, length($1) + 2) }
	doc != "" { doc = doc "\001" c; if (c == "EOF") { print start "\t" doc; doc = "" } next }
	c ~ /^[ \t]*(#|$)/ && cont == "" { next }
	{ sub(/[ \t][ \t]+#.*$/, "", c) }
	c ~ /<<EOF$/ { start = src; doc = c; next }
	cont != "" { cont = cont " " c } cont == "" { start = src; cont = c }
	cont ~ /(\||\\)[ \t]*$/ { sub(/\\[ \t]*$/, "", cont); next }
	{ print start "\t" cont; cont = "" }' > "$T/commands"
n=0
while IFS="$(printf '\t')" read -r src cmd; do
	cmd=$(printf '%s' "$cmd" | tr '\001' '\n')
	line=$(printf '%s\n' "$cmd" | head -1)
	case $cmd in
	*install-deps*|make\ check*|*mfcc-demo*)
		skip "docs: $src: $line (building: see make check, test/cli/install.sh)"; continue ;;
	*rsvg-convert*) command -v rsvg-convert >/dev/null 2>&1 || { skip "docs: $src: rsvg-convert missing"; continue; } ;;
	*parallel*) command -v parallel >/dev/null 2>&1 || { skip "docs: $src: parallel missing"; continue; } ;;
	esac
	run=$(printf '%s' "$cmd" | sed -e 's/-D hw:1/-D default/g' -e 's/--sshlogin host1,host2/--sshlogin :/' \
		-e 's/--epochs [0-9]*//g' -e 's/ser-train /ser-train --epochs 2 /g')
	n=$((n + 1))
	limit=120; case $run in *arecord*) limit=8 ;; esac
	timeout "$limit" sh -c "$run" > "$T/out" 2> "$T/err" < /dev/null; rc=$?
	[ "$limit" = 8 ] && [ $rc -eq 124 ] && rc=0
	if [ $rc -eq 0 ]; then ok "docs: $src: $line"
	else notok "docs: $src: $line (status $rc; ran: $(printf '%s' "$run" | head -1); $(head -c 300 "$T/err" | tr '\n' ' '))"; fi
done < "$T/commands"
check "docs: commands found in README.md and the EXAMPLES sections ($n)" test "$n" -ge 60
check "docs: the source tree's weights are untouched" test "$(cat "$SER_ROOT"/weights/*.ser | cksum)" = "$before"
