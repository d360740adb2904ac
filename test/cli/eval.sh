# ser-eval through real pipes: known confusions, truth maps, JSON input and
# output, tables per corpus and per speaker (--by), bad lines and options,
# SVG, --help against the man page, full disk; and scripts/plot-log on a
# small made-up log.
. "$SER_ROOT/test/cli/lib.sh"

if [ ! -x "$SER_BIN/ser-eval" ]; then
	notok "ser-eval not built in $SER_BIN"
	exit 1
fi

# 10 utterances with a known confusion (RAVDESS names carry the truth):
#            neutral calm happy
#   neutral     3     1    0
#   calm        0     2    2
#   happy       1     0    1
# accuracy 6/10 = 0.6000; recalls .75 .5 .5 -> UAR 0.5833;
# F1 .75, 4/7, .4 -> macro F1 0.5738.
i=0
{
	echo '# ser-classify output'
	emit 01 neutral 3; emit 01 calm 1
	emit 02 calm 2; emit 02 happy 2
	emit 03 neutral 1; emit 03 happy 1
} >"$T/known.tsv"

cat "$T/known.tsv" | ser-eval >"$T/out" 2>"$T/err"
rc=$?
check "known confusion: exit 0" [ "$rc" -eq 0 ]
check "known confusion: accuracy 0.6000 (6/10)" grep -q '^accuracy    0\.6000  (6/10)$' "$T/out"
check "known confusion: UAR 0.5833 over 3 classes" grep -q '^UAR         0\.5833  (mean recall over 3 classes' "$T/out"
check "known confusion: macro F1 0.5738" grep -q '^macro F1    0\.5738 ' "$T/out"
check "known confusion: matrix row neutral 3 1 0" grep -Eq '^neutral +3 +1 +0 +0 +0 +0 +0 +0$' "$T/out"
check "known confusion: matrix row calm 0 2 2" grep -Eq '^calm +0 +2 +2 +0 +0 +0 +0 +0$' "$T/out"
check "known confusion: per-class calm P .6667 R .5 F1 .5714 support 4" \
	grep -Eq '^calm +0\.6667 +0\.5000 +0\.5714 +4$' "$T/out"
check "known confusion: no warnings" [ ! -s "$T/err" ]

# The same split over two files and stdin ('-'), as xargs -P would write it.
head -6 "$T/known.tsv" >"$T/part1.tsv"
tail -n +7 "$T/known.tsv" | head -3 >"$T/part2.tsv"
tail -n 2 "$T/known.tsv" | ser-eval "$T/part1.tsv" - "$T/part2.tsv" >"$T/out2" 2>&1
check "several inputs give the same report" cmp -s "$T/out" "$T/out2"

# JSON lines input (keys JSON-escaped) -> the same numbers.
awk -F '\t' '!/^#/ { printf "{\"key\": \"%s\", \"label\": \"%s\", \"confidence\": %s, \"probs\": [0.5, 0.5]}\n", $1, $2, $3 }' \
	"$T/known.tsv" >"$T/known.jsonl"
cp "$T/out" "$T/out.tsvrun"
status 0 "JSON lines input: exit 0" ser-eval "$T/known.jsonl"
check "JSON lines input: the same report as TSV" cmp -s "$T/out" "$T/out.tsvrun"

# --json summary.
status 0 "--json exit 0" ser-eval --json "$T/known.tsv"
check "--json: accuracy 0.6" grep -q '"accuracy": 0\.6,' "$T/out"
check "--json: confusion first row" grep -q '\[3, 1, 0, 0, 0, 0, 0, 0\]' "$T/out"
if command -v python3 >/dev/null 2>&1; then
	check "--json: valid JSON with uar 0.58333" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert abs(d["uar"] - 1.75 / 3) < 1e-9 and d["utterances"] == 10, d
assert d["per_class"][0]["class"] == "neutral" and d["per_class"][0]["support"] == 4
' "$T/out"
else
	skip "python3 absent: JSON not validated"
fi

# --truth map with another class set; map keys are bare, input keys are
# paths with extensions (exact, then file name, then stem).
printf '# truth\nclip1\ta\nclip2\ta\nrec/clip3.wav\ta\nclip4\tb\tspk9\nclip5\tc\n' >"$T/truth.tsv"
printf 'x/clip1.wav\ta\t0.9\nx/clip2.flac\ta\t0.9\nrec/clip3.wav\tb\t0.9\nclip4\tb\t0.8\nnotinmap.wav\ta\t0.5\n' >"$T/pred.tsv"
status 0 "--truth: exit 0" ser-eval --truth "$T/truth.tsv" --classes a,b,c "$T/pred.tsv"
# truth a a a b, pred a a b b: accuracy .75, recall a 2/3 b 1 -> UAR .8333
check "--truth: accuracy 0.7500 (3/4)" grep -q '^accuracy    0\.7500  (3/4)$' "$T/out"
check "--truth: UAR 0.8333 over 2 classes" grep -q '^UAR         0\.8333  (mean recall over 2 classes' "$T/out"
check "--truth: one warning for the key not in the map" grep -q '1 line skipped: truth unknown.*notinmap.wav' "$T/err"
printf 'a\tx\nb\tx\na\ty\n' >"$T/duptruth.tsv"
status 2 "--truth with a duplicate key: exit 2" ser-eval --truth "$T/duptruth.tsv" "$T/pred.tsv"
check "--truth duplicate: file and line named" grep -q "duptruth.tsv:3: duplicate key 'a' (first on line 1)" "$T/err"
status 2 "--truth missing file: exit 2" ser-eval --truth "$T/nonexistent.tsv" "$T/pred.tsv"

# Predictions and truths outside the classes; duplicate keys; unknown names.
{
	printf '03-01-05-01-01-01-01.wav\tangry\t0.9\n'
	printf '03-01-05-01-01-02-01.wav\tbored\t0.9\n'      # outside: an error
	printf '03-01-05-01-01-01-01.wav\tsad\t0.9\n'        # duplicate: ignored
	printf '16b10Lb.wav\tsad\t0.9\n'                     # EmoDB boredom: truth outside
	printf 'speech.wav\tsad\t0.9\n'                      # unknown truth
} >"$T/odd.tsv"
status 0 "odd lines: exit 0" ser-eval "$T/odd.tsv"
check "odd lines: accuracy 0.5000 (1/2)" grep -q '^accuracy    0\.5000  (1/2)$' "$T/out"
check "odd lines: other column shown" grep -q '(other)' "$T/out"
check "odd lines: duplicate warned" grep -q '1 line with a key seen before, counted once' "$T/err"
check "odd lines: truth outside warned" grep -q "true label not in the classes (first: 16b10Lb.wav 'boredom')" "$T/err"
check "odd lines: unknown warned once" [ "$(grep -c 'truth unknown' "$T/err")" -eq 1 ]
check "odd lines: outside prediction warned" grep -q "1 prediction outside the classes" "$T/err"

printf 'a.wav\thappy\t0.5\nb.wav\tsad\t0.5\n' >"$T/nolabel.tsv"
status 2 "no labelled lines: exit 2" ser-eval "$T/nolabel.tsv"
check "no labelled lines: message" grep -q 'ser-eval: no labelled lines' "$T/err"
status 2 "empty input: exit 2" ser-eval </dev/null

# Bad lines: exit 2, file and line number, nothing on stdout.
printf '03-01-05-01-01-01-01.wav\tangry\t0.9\n# c\n03-01-05-01-01-02-01.wav\tangry\n' >"$T/bad.tsv"
status 2 "bad line: exit 2" ser-eval "$T/bad.tsv"
check "bad line: file and line 3 named" grep -q 'ser-eval: .*bad.tsv:3: expected key<TAB>label<TAB>confidence' "$T/err"
check "bad line: nothing on stdout" [ ! -s "$T/out" ]
printf '03-01-05-01-01-01-01.wav\tangry\tsure\n' | ser-eval >/dev/null 2>"$T/err"
check "bad confidence: stdin line 1" grep -q '^ser-eval: -:1: confidence' "$T/err"
printf '03-01-05-01-01-01-01.wav\t0.00\t1.50\tangry\t0.8\n' >"$T/timed.tsv"
status 2 "over-time line: exit 2" ser-eval "$T/timed.tsv"
check "over-time line: explained" grep -q 'timed.tsv:1: over-time label line' "$T/err"
printf '{"key": "03-01-05-01-01-01-01.wav", "label": "angry"\n' >"$T/bad.jsonl"
status 2 "broken JSON: exit 2" ser-eval "$T/bad.jsonl"
check "broken JSON: line named" grep -q 'bad.jsonl:1: JSON' "$T/err"
status 2 "missing input file: exit 2" ser-eval "$T/nonexistent.tsv"

# --by corpus|speaker: tables per group after the report. 17 utterances
# named after RAVDESS, TESS, nEMO and ASED files, with known scores per
# group (a group's UAR is over the classes in its own truth):
#   ravdess-01  neutral>neutral x2, calm>happy, happy>happy   3/4, UAR (1+0+1)/3
#   ravdess-02  sad>sad, sad>angry                            1/2, UAR 1/2 (sad only)
#   tess-OAF    angry>angry                                   1/1
#   tess-YAF    fear>sad, ps>surprised                        1/2, UAR (0+1)/2
#   nemo-EB0    anger>angry x2, happiness>sad                 2/3, UAR (1+0)/2
#   nemo-IC0    sadness>sad                                   1/1
#   ased-07     n1>neutral, n1>calm                           1/2, UAR 1/2
#   ased-08     a5>angry, f2>fearful                          2/2
# corpora: ravdess 4/6, UAR (1+0+1+1/2)/4 = .625, macro F1 (1+0+2/3+2/3+0)/5;
# tess 2/3, UAR 2/3; nemo 3/4, UAR 2/3; ased 3/4, UAR (1/2+1+1)/3.
{
	d=corpus/ravdess
	printf '%s\t%s\t0.9\n' $d/Actor_01/03-01-01-01-01-01-01.wav neutral $d/Actor_01/03-01-01-01-01-02-01.wav neutral \
		$d/Actor_01/03-01-02-01-01-01-01.wav happy $d/Actor_01/03-01-03-01-01-01-01.wav happy \
		$d/Actor_02/03-01-04-01-01-01-02.wav sad $d/Actor_02/03-01-04-01-01-02-02.wav angry \
		corpus/tess/OAF_back_angry.wav angry corpus/tess/YAF_dog_fear.wav sad corpus/tess/YAF_dog_ps.wav surprised \
		corpus/nemo/EB0_anger_1.wav angry corpus/nemo/EB0_anger_2.wav angry corpus/nemo/EB0_happiness_3.wav sad \
		corpus/nemo/IC0_sadness_4.wav sad \
		corpus/ased/n1-01-01-01-07.wav neutral corpus/ased/n1-01-02-01-07.wav calm \
		corpus/ased/a5-01-01-01-08.wav angry corpus/ased/f2-01-01-01-08.wav fearful
} >"$T/groups.tsv"
# table_is KIND WANT.tsv OUT: the "per KIND" table of OUT holds exactly the
# rows of WANT (name<TAB>utterances<TAB>accuracy<TAB>UAR<TAB>macro F1<TAB>classes,
# in order, (mean) last with classes -), numbers within 5e-5. The numbers are
# the last five fields of a row; the name is what comes before them.
table_is() {
	awk -F '\t' -v kind="$1" '
	function off(a, b) { return a - b > 5e-5 || b - a > 5e-5 }
	NR == FNR { n++; w[n] = $1; u[n] = $2; a[n] = $3; r[n] = $4; f1[n] = $5; c[n] = $6; next }
	index($0, "per " kind " (") == 1 { on = 1; head = 1; seen = 1; next }
	on && head { head = 0; next }
	on && $0 == "" { on = 0; next }
	on {
		k++
		m = split($0, f, " ")
		name = $0
		for (j = 0; j < 5; j++)
			sub(/ +[^ ]+$/, "", name)
		if (k > n || name != w[k] || f[m - 4] != u[k] || off(f[m - 3], a[k]) || off(f[m - 2], r[k]) \
		    || off(f[m - 1], f1[k]) || f[m] != c[k])
			bad = bad " [row " k ": " $0 "]"
	}
	END {
		if (!seen) bad = "no table per " kind
		else if (k != n) bad = bad " [" k " rows, want " n "]"
		if (bad != "") { print "table_is: " bad > "/dev/stderr"; exit 1 }
	}' "$2" "$3"
}
printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
	ased 4 0.75 0.833333 0.666667 3 \
	nemo 4 0.75 0.666667 0.555556 3 \
	ravdess 6 0.666667 0.625 0.466667 4 \
	tess 3 0.666667 0.666667 0.5 3 \
	'(mean)' 17 0.708333 0.697917 0.547222 - >"$T/want.corpus"
# mean over the 8 speakers: accuracy (1/2+1+2/3+1+3/4+1/2+1+1/2)/8, UAR (1/2+1+1/2+1+2/3+1/2+1+1/2)/8
printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
	ased-07 2 0.5 0.5 0.333333 1 \
	ased-08 2 1 1 1 2 \
	nemo-EB0 3 0.666667 0.5 0.333333 2 \
	nemo-IC0 1 1 1 1 1 \
	ravdess-01 4 0.75 0.666667 0.555556 3 \
	ravdess-02 2 0.5 0.5 0.333333 1 \
	tess-OAF 1 1 1 1 1 \
	tess-YAF 2 0.5 0.5 0.333333 2 \
	'(mean)' 17 0.739583 0.708333 0.611111 - >"$T/want.speaker"
ser-eval "$T/groups.tsv" >"$T/noby.out" 2>&1
status 0 "--by corpus: exit 0" ser-eval --by corpus "$T/groups.tsv"
check "--by corpus: no warnings" [ ! -s "$T/err" ]
check "--by corpus: table per corpus, scores of each row" table_is corpus "$T/want.corpus" "$T/out"
check "--by corpus: the report before it unchanged" \
	sh -c 'head -n "$(wc -l <"$1")" "$2" | cmp -s - "$1"' sh "$T/noby.out" "$T/out"
check "--by corpus: a blank line, then the table" \
	sh -c '[ "$(sed -n "$(($(wc -l <"$1") + 1))p" "$2")" = "" ]' sh "$T/noby.out" "$T/out"
check "--by corpus: no table per speaker" sh -c '! grep -q "^per speaker" "$1"' sh "$T/out"
check "--by corpus: title states 4 groups and the UAR rule" \
	grep -q "^per corpus (4 groups; a group's UAR is over the classes in its truth" "$T/out"
check "without --by: no table" sh -c '! grep -q "^per " "$1"' sh "$T/noby.out"
status 0 "-b speaker: exit 0" ser-eval --by speaker "$T/groups.tsv"
check "-b speaker: table per speaker, scores of each row" table_is speaker "$T/want.speaker" "$T/out"
status 0 "--by speaker --by corpus: exit 0" ser-eval --by speaker --by corpus "$T/groups.tsv"
cp "$T/out" "$T/both.out"
check "--by twice: both tables" sh -c 'grep -q "^per corpus" "$1" && grep -q "^per speaker" "$1"' sh "$T/both.out"
check "--by twice: corpus table first" \
	sh -c '[ "$(grep -n "^per corpus" "$1" | cut -d: -f1)" -lt "$(grep -n "^per speaker" "$1" | cut -d: -f1)" ]' sh "$T/both.out"
check "--by twice: corpus rows right" table_is corpus "$T/want.corpus" "$T/both.out"
check "--by twice: speaker rows right" table_is speaker "$T/want.speaker" "$T/both.out"
ser-eval --by corpus --by speaker "$T/groups.tsv" >"$T/out" 2>&1
check "--by twice: the order of the options does not matter" cmp -s "$T/out" "$T/both.out"
ser-eval --by corpus --by corpus "$T/groups.tsv" >"$T/out" 2>&1
check "--by corpus twice: one table" [ "$(grep -c '^per corpus' "$T/out")" -eq 1 ]
# Skipped lines belong to no group: a repeated key, an unknown name, a true
# label outside the classes (EmoDB boredom) leave the tables as they were.
{
	cat "$T/groups.tsv"
	printf 'corpus/nemo/EB0_anger_1.wav\tsad\t0.9\nspeech.wav\tangry\t0.9\n16b10Lb.wav\tsad\t0.9\n'
} >"$T/groups2.tsv"
ser-eval --by corpus --by speaker "$T/groups2.tsv" >"$T/out" 2>"$T/err"
check "--by with skipped lines: the same tables" \
	sh -c 'sed -n "/^per corpus/,\$p" "$1" >"$1.a"; sed -n "/^per corpus/,\$p" "$2" >"$2.a"; cmp -s "$1.a" "$2.a"' \
	sh "$T/out" "$T/both.out"
check "--by with skipped lines: 3 warnings" [ "$(wc -l <"$T/err")" -eq 3 ]

# A truth map with a speaker column: the map's speaker first, else the
# file name's, else unknown; the corpus from the key's name, else none.
#   key                       truth  pred   speaker     corpus
#   clipA                     happy  happy  alice       none
#   clipB                     sad    happy  alice       none
#   clipC                     happy  happy  bob smith   none
#   03-01-03-01-01-01-05      happy  sad    ravdess-05  ravdess (name)
#   clipD                     sad    sad    unknown     none
#   03-01-04-01-01-01-06      sad    sad    carol "k"   ravdess (map speaker wins)
printf 'clipA\thappy\talice\nclipB\tsad\talice\nclipC\thappy\tbob smith\n03-01-03-01-01-01-05\thappy\nclipD\tsad\n03-01-04-01-01-01-06\tsad\tcarol "k"\n' \
	>"$T/spk.truth"
printf 'a/clipA.wav\thappy\t0.9\na/clipB.wav\thappy\t0.9\na/clipC.wav\thappy\t0.9\nr/03-01-03-01-01-01-05.wav\tsad\t0.9\na/clipD.wav\tsad\t0.9\nr/03-01-04-01-01-01-06.wav\tsad\t0.9\n' \
	>"$T/spk.pred"
printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
	alice 2 0.5 0.5 0.333333 2 \
	'bob smith' 1 1 1 1 1 \
	'carol "k"' 1 1 1 1 1 \
	ravdess-05 1 0 0 0 1 \
	unknown 1 1 1 1 1 \
	'(mean)' 6 0.7 0.7 0.666667 - >"$T/want.mapspk"
# none: 3/4, recall happy 2/2, sad 1/2, F1 happy .8, sad 2/3; ravdess: 1/2, UAR (0+1)/2, F1 0, 2/3
printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
	none 4 0.75 0.75 0.733333 2 \
	ravdess 2 0.5 0.5 0.333333 2 \
	'(mean)' 6 0.625 0.625 0.533333 - >"$T/want.mapcorpus"
status 0 "--truth map with speakers, --by speaker --by corpus: exit 0" \
	ser-eval --classes happy,sad --truth "$T/spk.truth" --by speaker --by corpus "$T/spk.pred"
check "--truth map: speakers from the map, the name, else unknown" table_is speaker "$T/want.mapspk" "$T/out"
check "--truth map: corpus from the key's name, else none" table_is corpus "$T/want.mapcorpus" "$T/out"

# JSON: by_corpus and by_speaker after the report's members.
status 0 "--json --by corpus --by speaker: exit 0" ser-eval --json --by corpus --by speaker "$T/groups.tsv"
check "--json --by: a by_corpus member" grep -q '^ "by_corpus": {"groups": \[' "$T/out"
ser-eval --json "$T/groups.tsv" >"$T/noby.json" 2>&1
check "--json without --by: no by_ member" sh -c '! grep -q "\"by_" "$1"' sh "$T/noby.json"
if command -v python3 >/dev/null 2>&1; then
	check "--json --by: valid JSON, rows and means as the tables" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c, s = d["by_corpus"], d["by_speaker"]
assert [g["name"] for g in c["groups"]] == ["ased", "nemo", "ravdess", "tess"], c
r = c["groups"][2]
assert r["utterances"] == 6 and r["correct"] == 4 and r["uar_classes"] == 4, r
assert abs(r["uar"] - 0.625) < 1e-9 and abs(r["macro_f1"] - 7 / 15) < 1e-9, r
assert c["mean"]["groups"] == 4 and c["mean"]["utterances"] == 17, c["mean"]
assert abs(c["mean"]["uar"] - (5 / 6 + 2 / 3 + 0.625 + 2 / 3) / 4) < 1e-9, c["mean"]
assert len(s["groups"]) == 8 and s["groups"][2]["name"] == "nemo-EB0" and s["groups"][2]["uar"] == 0.5, s
assert abs(s["mean"]["accuracy"] - 35.5 / 48) < 1e-9, s["mean"]
assert d["utterances"] == 17 and d["correct"] == 12
' "$T/out"
	ser-eval --json --classes happy,sad --truth "$T/spk.truth" --by speaker "$T/spk.pred" >"$T/out" 2>&1
	check "--json --by speaker: names JSON-escaped" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [g["name"] for g in d["by_speaker"]["groups"]] == ["alice", "bob smith", "carol \"k\"", "ravdess-05", "unknown"], d
assert "by_corpus" not in d
' "$T/out"
else
	skip "python3 absent: JSON --by not validated"
fi
ser-eval --json --by corpus "$T/groups.tsv" >"$T/by.json" 2>&1
check "--json --by: the members before by_corpus unchanged" \
	sh -c 'n=$(($(wc -l <"$1") - 1)); head -n "$n" "$1" >"$1.h"; head -n "$n" "$2" | cmp -s - "$1.h"' \
	sh "$T/noby.json" "$T/by.json"

status 1 "--by with an unknown kind: exit 1" ser-eval --by actor "$T/groups.tsv"
check "--by unknown kind: reason and usage on stderr" \
	sh -c 'grep -q "^ser-eval: --by: .actor. is not one of corpus|speaker" "$1" && grep -q "^Usage: ser-eval" "$1"' sh "$T/err"
check "--by unknown kind: nothing on stdout" [ ! -s "$T/out" ]
status 1 "--by empty: exit 1" ser-eval --by '' "$T/groups.tsv"
status 1 "--by without argument: exit 1" ser-eval "$T/groups.tsv" --by

# Bad options: exit 1 with the synopsis.
status 1 "unknown option: exit 1" ser-eval --nope "$T/known.tsv"
check "unknown option: usage on stderr" grep -q '^Usage: ser-eval' "$T/err"
status 1 "empty class name: exit 1" ser-eval --classes 'a,,b' "$T/known.tsv"
status 1 "duplicate class: exit 1" ser-eval --classes 'a,b,a' "$T/known.tsv"
status 1 "--svg without argument: exit 1" ser-eval "$T/known.tsv" --svg
status 0 "--help: exit 0" ser-eval --help
check "--help on stdout" grep -q '^Usage: ser-eval' "$T/out"

# Every long option of --help is in the man page.
man=$SER_ROOT/man/ser-eval.1
missing=
for o in $(grep -o -- '--[a-z][a-z-]*' "$T/out" | sort -u); do
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$man" || missing="$missing $o"
done
check "--help options all in man/ser-eval.1${missing:+ (missing:$missing)}" [ -z "$missing" ]
for s in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT 'EXIT STATUS' EXAMPLES; do
	check "man page section $s" grep -q "^\.SH $s" "$man"
done

# SVG: well formed, title with the scores, atomic (no temporary left).
mkdir -p "$T/svg"
status 0 "--svg: exit 0" ser-eval --svg "$T/svg/cm.svg" "$T/known.tsv"
check "--svg: report still on stdout" grep -q '^accuracy    0\.6000' "$T/out"
if command -v xmllint >/dev/null 2>&1; then
	check "--svg: well-formed XML (xmllint)" xmllint --noout "$T/svg/cm.svg"
else
	check "--svg: <svg ...</svg>" sh -c 'grep -q "<svg " "$1" && tail -n 1 "$1" | grep -q "</svg>"' sh "$T/svg/cm.svg"
fi
check "--svg: title with accuracy and UAR" grep -q 'accuracy 60.0%, UAR 58.3%' "$T/svg/cm.svg"
check "--svg: 64 cells" [ "$(grep -c '<rect x=' "$T/svg/cm.svg")" -eq 64 ]
check "--svg: no temporary file left" [ "$(ls "$T/svg")" = cm.svg ]
printf '03-01-05-01-01-01-01.wav\ta<b&"c\t0.9\n' >"$T/amp.tsv"
ser-eval --classes 'a<b&"c,angry' --svg "$T/svg/amp.svg" "$T/amp.tsv" >/dev/null 2>&1
if command -v xmllint >/dev/null 2>&1; then
	check "--svg: class names XML-escaped" xmllint --noout "$T/svg/amp.svg"
else
	check "--svg: class names XML-escaped" grep -q 'a&lt;b&amp;&quot;c' "$T/svg/amp.svg"
fi
status 2 "--svg into a missing directory: exit 2" ser-eval --svg "$T/nodir/cm.svg" "$T/known.tsv"

# A full disk: stdout and the SVG.
if [ -w /dev/full ]; then
	status 2 "stdout on /dev/full: exit 2" sh -c 'ser-eval "$1" >/dev/full' sh "$T/known.tsv"
	check "stdout on /dev/full: message" grep -q 'ser-eval: write error' "$T/err"
	status 2 "--svg /dev/full: exit 2" ser-eval --svg /dev/full "$T/known.tsv"
	check "--svg /dev/full: still a device" [ -c /dev/full ]
else
	skip "/dev/full absent"
fi

# The real pipeline, when ser-classify and its model and the corpus are here.
if command -v ser-classify >/dev/null 2>&1 && have_data; then
	set -- "$SER_DATA"/ravdess/Actor_20/03-01-0[1-8]-01-01-01-20.flac
	SER_MODEL=${SER_MODEL:-$SER_ROOT/weights/default.ser}; export SER_MODEL
	if ser-classify "$@" >"$T/cls.tsv" 2>"$T/cls.err"; then
		ser-classify "$@" | ser-eval >"$T/out" 2>"$T/err"
		check "ser-classify | ser-eval: exit 0" [ $? -eq 0 ]
		check "ser-classify | ser-eval: 8 utterances" grep -q '^utterances  8$' "$T/out"
	else
		skip "ser-classify did not run here ($(head -c 200 "$T/cls.err"))"
	fi
else
	skip "ser-classify or the corpus absent: pipeline test"
fi

# scripts/plot-log on a made-up ser-train log (extra column, columns reordered).
if command -v gnuplot >/dev/null 2>&1; then
	printf 'epoch\ttrain_loss\ttrain_acc\tval_loss\tval_acc\tval_uar\tlr\tseconds\textra\n' >"$T/log.tsv"
	for e in 1 2 3 4 5; do
		printf '%d\t%s\t%s\t%s\t%s\t%s\t0.001\t1.5\t7\n' "$e" "2.0$e" "0.$((e + 2))" "2.1$e" "0.$((e + 1))" "0.$e"
	done >>"$T/log.tsv"
	status 0 "plot-log: SVG" "$SER_ROOT/scripts/plot-log" "$T/log.tsv" "$T/log.svg"
	if command -v xmllint >/dev/null 2>&1; then
		check "plot-log: well-formed SVG" xmllint --noout "$T/log.svg"
	else
		check "plot-log: SVG written" grep -q '<svg' "$T/log.svg"
	fi
	check "plot-log: curves named" grep -q 'val_uar' "$T/log.svg"
	status 0 "plot-log: PNG" "$SER_ROOT/scripts/plot-log" "$T/log.tsv" "$T/log.png"
	check "plot-log: PNG signature" sh -c 'head -c 8 "$1" | od -An -c | grep -q "P   N   G"' sh "$T/log.png"
	printf 'epoch\tfoo\n1\t2\n' >"$T/badlog.tsv"
	status 2 "plot-log: log without train_loss: exit 2" "$SER_ROOT/scripts/plot-log" "$T/badlog.tsv" "$T/x.svg"
	status 1 "plot-log: bad output name: exit 1" "$SER_ROOT/scripts/plot-log" "$T/log.tsv" "$T/x.jpg"
	check "plot-log: nothing left on failure" [ ! -e "$T/x.svg" ]
else
	skip "gnuplot absent: plot-log not tested"
fi
