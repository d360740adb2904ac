#!/bin/sh
# ser-eval --bootstrap (seeded 95% intervals), keys matched without their
# extensions (and the clash error), Kaldi utt2spk/spk2utt speaker maps in
# ser-eval and ser-train.
. "$SER_ROOT/test/cli/lib.sh"

# 10 utterances with a known confusion (as eval.sh): accuracy 0.6, UAR 0.5833
i=0
{ emit 01 neutral 3; emit 01 calm 1; emit 02 calm 2; emit 02 happy 2; emit 03 neutral 1; emit 03 happy 1; } > "$T/known.tsv"

status 0 "bootstrap: --bootstrap 2000" ser-eval --bootstrap 2000 "$T/known.tsv"
check "bootstrap: the point estimates are unchanged" sh -c "grep -q '^accuracy    0\.6000  (6/10)$' '$T/out' && grep -q '^UAR         0\.5833 ' '$T/out'"
acc=$(sed -n 's/^accuracy    95% CI \[\([0-9.]*\), \([0-9.]*\)\].*/\1 \2/p' "$T/out")
uar=$(sed -n 's/^UAR         95% CI \[\([0-9.]*\), \([0-9.]*\)\].*/\1 \2/p' "$T/out")
check "bootstrap: the CI line names resamples and seed" grep -q '(bootstrap: 2000 resamples of the utterances, seed 1)$' "$T/out"
# binomial n = 10, p = 0.6: the 95% percentile interval is about [0.3, 0.9]
check "bootstrap: accuracy CI near [0.3, 0.9] (got $acc)" awk -v a="$acc" 'BEGIN { split(a, v, " "); exit !(v[1] >= 0.2 && v[1] <= 0.4 && v[2] >= 0.8 && v[2] <= 1) }'
check "bootstrap: UAR CI holds 0.5833 and is inside [0, 1] (got $uar)" awk -v a="$uar" 'BEGIN { split(a, v, " "); exit !(v[1] > 0 && v[1] < 0.5833 && v[2] > 0.5833 && v[2] <= 1) }'
ser-eval --bootstrap 2000 "$T/known.tsv" > "$T/again"
check "bootstrap: same seed, same intervals" cmp -s "$T/out" "$T/again"
ser-eval --bootstrap 2000 --seed 99 "$T/known.tsv" > "$T/other"
check "bootstrap: another seed, other intervals" sh -c "! cmp -s '$T/out' '$T/other'"
awk -F'\t' '{ print $1 "\t" $2 "\t" $3 }' "$T/known.tsv" | awk -F'\t' 'BEGIN { OFS = "\t" } { split($1, p, "-"); e = p[3]; $2 = e == "01" ? "neutral" : e == "02" ? "calm" : "happy"; print }' > "$T/perfect.tsv"
status 0 "bootstrap: all correct" ser-eval --bootstrap 500 "$T/perfect.tsv"
check "bootstrap: all correct gives [1.0000, 1.0000]" grep -q '^accuracy    95% CI \[1\.0000, 1\.0000\]' "$T/out"
status 0 "bootstrap: JSON" ser-eval -J --bootstrap 100 --seed 3 "$T/known.tsv"
check "bootstrap: JSON member" grep -q '"bootstrap": {"resamples": 100, "seed": 3, "accuracy_ci95": \[0\.[0-9]*, [01]\.*[0-9]*\], "uar_ci95": \[' "$T/out"
status 1 "bootstrap: --bootstrap 0 -> 1" ser-eval --bootstrap 0 "$T/known.tsv"
status 1 "bootstrap: --seed without --bootstrap -> 1" ser-eval --seed 3 "$T/known.tsv"
status 1 "bootstrap: --seed -1 -> 1" ser-eval --bootstrap 10 --seed -1 "$T/known.tsv"

# keys without extensions: a truth map of .flac names for .wav inputs
printf 'x/a.flac\tangry\tspk1\nb.flac\tcalm\tspk2\n' > "$T/truth.tsv"
printf 'd/a.wav\tangry\t0.9\nb.wav\tsad\t0.8\n' > "$T/lab.tsv"
status 0 "keys: .flac truth scores .wav inputs" ser-eval -T "$T/truth.tsv" -B speaker "$T/lab.tsv"
check "keys: both utterances scored" grep -q '^accuracy    0\.5000  (1/2)$' "$T/out"
check "keys: the map's speakers" sh -c "grep -q '^spk1 ' '$T/out' && grep -q '^spk2 ' '$T/out'"
printf 'y/b.wav\tcalm\n' >> "$T/truth.tsv"
status 2 "keys: two map keys of one name -> 2" ser-eval -T "$T/truth.tsv" "$T/lab.tsv"
check "keys: ... names the key and the line" grep -q 'key b.wav matches two truth keys without their extensions (y/b.wav on line 3' "$T/err"
printf 'd/a.wav\tangry\t0.9\n' > "$T/lab1.tsv"
status 0 "keys: a clash elsewhere in the map is no error" ser-eval -T "$T/truth.tsv" "$T/lab1.tsv"

# utt2spk / spk2utt as the speakers of --by speaker
cut -f1 "$T/known.tsv" | awk '{ k = $1; sub(/.*\//, "", k); sub(/\.wav$/, "", k); print k, (NR <= 5 ? "alice" : "bob") }' > "$T/utt2spk"
status 0 "spk: --utt2spk" ser-eval -B speaker --utt2spk "$T/utt2spk" "$T/known.tsv"
check "spk: two speakers from the utt2spk" sh -c "grep -q '^per speaker (2 groups' '$T/out' && grep -q '^alice  *5 ' '$T/out' && grep -q '^bob  *5 ' '$T/out'"
awk '{ s[$2] = s[$2] " " $1 } END { for (k in s) print k s[k] }' "$T/utt2spk" > "$T/spk2utt"
ser-eval -B speaker --spk2utt "$T/spk2utt" "$T/known.tsv" > "$T/out2"
check "spk: --spk2utt gives the same table" cmp -s "$T/out" "$T/out2"
status 1 "spk: --utt2spk without --by speaker -> 1" ser-eval --utt2spk "$T/utt2spk" "$T/known.tsv"
status 1 "spk: both maps -> 1" ser-eval -B speaker --utt2spk "$T/utt2spk" --spk2utt "$T/spk2utt" "$T/known.tsv"
printf 'u1 alice\nu1 bob\n' > "$T/dup"
status 2 "spk: an utterance twice -> 2" ser-eval -B speaker --utt2spk "$T/dup" "$T/known.tsv"
check "spk: ... named" grep -q 'utterance u1 given twice' "$T/err"
printf 'u1\n' > "$T/bad"
status 2 "spk: a line without speaker -> 2" ser-eval -B speaker --utt2spk "$T/bad" "$T/known.tsv"
check "spk: ... with its line" grep -q 'bad:1: expected' "$T/err"
printf 'alice\n' > "$T/bad2"
status 2 "spk: spk2utt speaker without utterances -> 2" ser-eval -B speaker --spk2utt "$T/bad2" "$T/known.tsv"

# ser-train: --utt2spk gives the speakers that --val-speakers holds out
need_sox spk
D=$T/wav; mkdir -p "$D"
for a in 01 02; do for e in 01 05; do
	sox -n -r 16000 -b 16 -c 1 "$D/03-01-$e-01-01-01-$a.wav" synth 0.5 sine $((200 * ${e#0} + ${a#0} * 10)) vol 0.3
done; done
ser-mfcc "$D"/*.wav > "$T/f.feat"
for f in "$D"/*.wav; do k=$(basename "$f" .wav); printf '%s %s\n' "$k" "$([ "${k##*-}" = 01 ] && echo spkA || echo spkB)"; done > "$T/train.utt2spk"
status 0 "spk: ser-train --utt2spk with --val-speakers spkB" ser-train -q -o "$T/m.ser" --arch "conv:4:3 relu stats dense" --classes neutral,angry --epochs 1 --crop 20 -j 1 --utt2spk "$T/train.utt2spk" --val-speakers spkB "$T/f.feat"
check "spk: the record names spkB as the validation speaker" sh -c "ser-classify -m '$T/m.ser' --info | grep -q '^validation speakers: spkB'"
status 1 "spk: ser-train without it: spkB is unknown, a usage error" ser-train -q -o "$T/m2.ser" --arch "conv:4:3 relu stats dense" --classes neutral,angry --epochs 1 --crop 20 -j 1 --val-speakers spkB "$T/f.feat"
check "spk: ... naming it" grep -q 'speaker spkB: no input has it' "$T/err"

# ser-mfcc --cmvn speaker: each speaker's mean (and std) over all its utterances
i=0
for f in "$D"/*.wav; do i=$((i + 1)); echo "u$i $f"; done > "$T/cm.wav.scp"
printf 'u1 sa\nu2 sa\nu3 sb\nu4 sb\n' > "$T/cm.utt2spk"
status 0 "cmvn: --cmvn speaker --utt2spk" ser-mfcc --wav-scp "$T/cm.wav.scp" --cmvn speaker --utt2spk "$T/cm.utt2spk" -o "$T/cs.feat"
check "cmvn: the header says cmvn=speaker" sh -c "ser-feat info '$T/cs.feat' | grep -q '^settings: .* cmvn=speaker '"
check "cmvn: four utterances in input order" sh -c "ser-feat keys '$T/cs.feat' | cut -f1 | tr '\n' ' ' | grep -qx 'u1 u2 u3 u4 '"
printf 'sa u1 u2\nsb u3 u4\n' > "$T/cm.spk2utt"
status 0 "cmvn: --cmvn speaker --cmvn-vars 1 --spk2utt" ser-mfcc --wav-scp "$T/cm.wav.scp" --cmvn speaker --cmvn-vars 1 --spk2utt "$T/cm.spk2utt" -o "$T/cv.feat"
ser-mfcc --wav-scp "$T/cm.wav.scp" -o "$T/raw.feat"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	for f in raw cs cv; do ser-feat copy --to npz "$T/$f.feat" > "$T/$f.npz"; done
	/usr/bin/python3 - "$T" > "$T/cm.out" 2>&1 <<'PY'
import sys
import numpy as np
T = sys.argv[1]
raw, cs, cv = (np.load(T + "/%s.npz" % n) for n in ("raw", "cs", "cv"))
worst = 0.0
for spk in (("u1", "u2"), ("u3", "u4")):
    x = np.concatenate([raw[u].astype(np.float64) for u in spk])
    m, sd = x.mean(axis=0), x.std(axis=0)
    for u in spk:
        worst = max(worst, np.abs(cs[u] - (raw[u] - m)).max(),
                    np.abs(cv[u] - np.where(sd > 1e-10, (raw[u] - m) / np.where(sd > 1e-10, sd, 1), raw[u] - m)).max())
print("worst %.3g" % worst)
print("ok" if worst < 1e-3 else "bad")
PY
	check "cmvn: = each speaker's mean (and std) removed, by numpy ($(head -1 "$T/cm.out"))" grep -qx ok "$T/cm.out"
else
	skip "cmvn: /usr/bin/python3 has no numpy"
fi
status 1 "cmvn: --cmvn speaker without a map -> 1" ser-mfcc --cmvn speaker "$D/03-01-01-01-01-01-01.wav"
status 1 "cmvn: --utt2spk without --cmvn speaker -> 1" ser-mfcc --utt2spk "$T/cm.utt2spk" "$D/03-01-01-01-01-01-01.wav"
status 1 "cmvn: --cmvn speaker with deltas -> 1" ser-mfcc --cmvn speaker --deltas 1 --utt2spk "$T/cm.utt2spk" "$D/03-01-01-01-01-01-01.wav"
printf 'u1 sa\n' > "$T/one.utt2spk"
status 2 "cmvn: an utterance without a speaker -> 2" ser-mfcc --wav-scp "$T/cm.wav.scp" --cmvn speaker --utt2spk "$T/one.utt2spk" -o "$T/y.feat"
check "cmvn: ... named, the others written" sh -c "grep -q 'key u2 is not in the speaker map' '$T/err' && ser-feat keys '$T/y.feat' | cut -f1 | grep -qx u1"
printf 'u1\tneutral\nu2\tneutral\nu3\tangry\nu4\tangry\n' > "$T/cm.labels"
ser-train -q -o "$T/cs.ser" --arch "conv:4:3 relu stats dense" --classes neutral,angry --epochs 1 --crop 20 -j 1 --labels "$T/cm.labels" --utt2spk "$T/cm.utt2spk" "$T/cs.feat" 2>/dev/null
status 2 "cmvn: a cmvn=speaker model refuses audio" ser-classify -m "$T/cs.ser" "$D/03-01-01-01-01-01-01.wav"
check "cmvn: ... saying why" grep -q 'cmvn=speaker is not computed frame by frame' "$T/err"
