#!/bin/sh
# ser-classify --segments, --merge, --format (Audacity, TextGrid, WebVTT),
# and the blocks of -w 4 -H 4; through real pipes, files and --live alike.
. "$SER_ROOT/test/cli/lib.sh"
need_sox segments
sox() { command sox -V1 "$@"; }
M="-m $SER_ROOT/weights/default.ser"
# speech-like bursts (a tone pulsing 4 times a second) between silences:
# 1 s silence, 2 s burst, 1 s silence, 1.5 s burst, 1 s silence
sox -n -r 16000 -b 16 -c 1 "$T/sil.wav" trim 0 1
sox -n -r 16000 -b 16 -c 1 "$T/b2.wav" synth 2 sine 220 vol 0.3 tremolo 4 100
sox -n -r 16000 -b 16 -c 1 "$T/b15.wav" synth 1.5 sine 330 vol 0.3 tremolo 4 100
sox "$T/sil.wav" "$T/b2.wav" "$T/sil.wav" "$T/b15.wav" "$T/sil.wav" "$T/talk.wav"

status 0 "--segments on a file" ser-classify $M --segments "$T/talk.wav"
cp "$T/out" "$T/seg"
check "two segments, key start end label confidence ($(tr '\t\n' ', ' < "$T/seg"))" awk -F'\t' '
	NF != 5 || $5 !~ /^[01]\.[0-9][0-9][0-9][0-9]$/ { bad = 1 }
	{ n++; s[n] = $2; e[n] = $3 }
	function near(a, b) { return (a - b) ^ 2 <= 0.15 ^ 2 }
	END { exit bad || n != 2 || !near(s[1], 1) || !near(e[1], 3) || !near(s[2], 4) || !near(e[2], 5.5) }' "$T/seg"
ser-capture "$T/talk.wav" | ser-mfcc | ser-classify $M --live --segments > "$T/live"
check "--live --segments == offline --segments without the key column" sh -c "cut -f2- '$T/seg' | cmp -s - '$T/live'"
ser-mfcc "$T/talk.wav" | ser-classify $M --segments > "$T/fseg"
check "--segments of a feature stream == of the audio file (key -)" sh -c "cut -f2- '$T/seg' | cmp -s - \"\$(cut -f2- '$T/fseg' > '$T/fseg2'; echo '$T/fseg2')\""
ser-classify $M --segments --max-segment 0.8 "$T/talk.wav" > "$T/max"
check "--max-segment 0.8 splits the turns ($(wc -l < "$T/max") segments, each <= 0.8 s)" awk -F'\t' '
	{ n++; if ($3 - $2 > 0.8001) bad = 1 } END { exit bad || n < 4 }' "$T/max"
ser-classify $M --segments --min-pause 2 "$T/talk.wav" > "$T/p2"
check "--min-pause 2: the 1 s pause does not split (one segment)" test "$(wc -l < "$T/p2")" -eq 1
ser-classify $M --segments --min-segment 3 "$T/talk.wav" > "$T/m3"
check "--min-segment 3: both bursts are too short" test ! -s "$T/m3"
ser-classify $M --segments --vad-gate 100 "$T/talk.wav" > "$T/g"
check "no voice: no segment" test ! -s "$T/g"
# --merge: the same take twice after a pause merges into one segment
sox "$T/sil.wav" "$T/b2.wav" "$T/sil.wav" "$T/b2.wav" "$T/sil.wav" "$T/twice.wav"
ser-classify $M --segments --probs "$T/twice.wav" > "$T/tw"
ser-classify $M --segments --merge --probs "$T/twice.wav" > "$T/twm"
check "--merge: two segments of one label become one from the first start to the last end" awk -F'\t' '
	NR == FNR { n++; s[n] = $2; e[n] = $3; l[n] = $4; c[n] = $5; next }
	{ m++; if ($2 != s[1] || $3 != e[2] || $4 != l[1]) bad = 1; d = $5 - (c[1] + c[2]) / 2; if (d > 2e-4 || d < -2e-4) bad = 1 }
	END { exit bad || n != 2 || l[1] != l[2] || m != 1 }' "$T/tw" "$T/twm"
ser-classify $M --segments --merge "$T/talk.wav" > "$T/tm"
check "--merge keeps segments of different labels apart" sh -c "
	test \"\$(cut -f4 '$T/seg' | uniq | wc -l)\" -eq \"\$(wc -l < '$T/tm')\""
status 0 "--segments --json" ser-classify $M --segments -J --probs "$T/talk.wav"
if command -v python3 >/dev/null 2>&1; then
	check "--segments --json: key, start, end, label, confidence, probs" python3 -c "
import json
n = 0
for l in open('$T/out'):
    o = json.loads(l); n += 1
    assert set(o) == {'key', 'start', 'end', 'label', 'confidence', 'probs'}, o
assert n == 2
"
fi
ser-classify $M --segments --format json "$T/talk.wav" > "$T/fj"
ser-classify $M --segments -J "$T/talk.wav" > "$T/jj"
check "--format json == --json" cmp -s "$T/fj" "$T/jj"

# ---- exports ----
ser-classify $M --segments --format audacity "$T/talk.wav" > "$T/aud"
check "Audacity labels: start TAB end TAB label, the segments' times" awk -F'\t' '
	NR == FNR { s[FNR] = $2; e[FNR] = $3; l[FNR] = $4; next }
	NF != 3 || $1 - s[FNR] > 0.005 || s[FNR] - $1 > 0.005 || $2 - e[FNR] > 0.005 || e[FNR] - $2 > 0.005 || $3 != l[FNR] { bad = 1 }
	{ n++ } END { exit bad || n != 2 }' "$T/seg" "$T/aud"
ser-classify $M --segments --format textgrid "$T/talk.wav" "$T/twice.wav" > "$T/tg"
ser-classify $M --segments --format vtt "$T/talk.wav" > "$T/vtt"
if command -v python3 >/dev/null 2>&1; then
	check "TextGrid: 2 tiers named by the files, intervals tile 0..xmax, the segments' labels and times" python3 - "$T/tg" "$T/seg" "$T/talk.wav" "$T/twice.wav" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
assert t.startswith('File type = "ooTextFile"\nObject class = "TextGrid"\n'), t[:80]
xmax = float(re.search(r'^xmax = (\S+)', t, re.M).group(1))
assert int(re.search(r'^size = (\d+)', t, re.M).group(1)) == 2
items = re.split(r'\n    item \[\d+\]:\n', t)[1:]
assert len(items) == 2
names = [re.search(r'name = "(.*)"', i).group(1) for i in items]
assert names == sys.argv[3:], names
seg = [l.split('\t') for l in open(sys.argv[2])]
for k, it in enumerate(items):
    iv = re.findall(r'intervals \[(\d+)\]:\n\s+xmin = (\S+)\n\s+xmax = (\S+)\n\s+text = "(.*)"', it)
    assert int(re.search(r'intervals: size = (\d+)', it).group(1)) == len(iv)
    at = 0.0
    for j, (i, a, b, txt) in enumerate(iv):
        assert int(i) == j + 1 and abs(float(a) - at) < 1e-9 and float(b) > float(a), (i, a, b, at)
        at = float(b)
    assert abs(at - xmax) < 1e-9, (at, xmax)
    if k == 0:
        lab = [(float(a), float(b), txt) for _, a, b, txt in iv if txt]
        assert len(lab) == 2, lab
        for (a, b, txt), s in zip(lab, seg):
            assert abs(a - float(s[1])) < 0.006 and abs(b - float(s[2])) < 0.006 and txt == s[3], (a, b, txt, s)
PY
	check "WebVTT: header, numbered cues with ordered times, label and confidence" python3 - "$T/vtt" "$T/seg" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
assert t.startswith('WEBVTT\n\n'), t[:20]
blocks = [b for b in t[8:].split('\n\n') if b.strip()]
assert blocks[0].startswith('NOTE '), blocks[0]
cues = [b.split('\n') for b in blocks[1:]]
seg = [l.split('\t') for l in open(sys.argv[2])]
assert len(cues) == len(seg) == 2
def sec(s):
    h, m, x = s.split(':'); return int(h) * 3600 + int(m) * 60 + float(x)
last = 0
for k, (c, s) in enumerate(zip(cues, seg)):
    assert c[0] == str(k + 1), c
    m = re.fullmatch(r'(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)', c[1]); assert m, c
    a, b = sec(m.group(1)), sec(m.group(2))
    assert last <= a < b and abs(a - float(s[1])) < 0.006 and abs(b - float(s[2])) < 0.006, (a, b, s)
    assert re.fullmatch(re.escape(s[3]) + r' \(\d\.\d\d\)', c[2]), c
    last = b
PY
else
	skip "TextGrid, WebVTT parsing: python3 missing"
fi
ser-capture "$T/talk.wav" | ser-mfcc | ser-classify $M --live --segments --format textgrid > "$T/ltg"
check "--live --format textgrid: one tier 'emotion' written at the end" sh -c "grep -q 'name = \"emotion\"' '$T/ltg' && grep -q '^size = 1' '$T/ltg'"
ser-classify $M -w 1 -H 1 --format audacity "$T/talk.wav" > "$T/wa"
check "--format audacity with blocks: one label per block, silence included" sh -c "test \"\$(wc -l < '$T/wa')\" -eq 7 && grep -q 'silence' '$T/wa'"
status 1 "--format textgrid with overlapping windows -> 1" ser-classify $M -w 1 -H 0.5 --format textgrid "$T/talk.wav"
status 1 "--format vtt per utterance -> 1" ser-classify $M --format vtt "$T/talk.wav"
status 1 "--format foo -> 1" ser-classify $M --segments --format foo "$T/talk.wav"
status 1 "--merge without --segments -> 1" ser-classify $M --merge "$T/talk.wav"
status 1 "--segments --window -> 1" ser-classify $M --segments -w 2 "$T/talk.wav"
status 1 "--segments --no-vad -> 1" ser-classify $M --segments --no-vad "$T/talk.wav"
status 1 "--min-pause 0 -> 1" ser-classify $M --segments --min-pause 0 "$T/talk.wav"
status 1 "--max-segment below --min-segment -> 1" ser-classify $M --segments --max-segment 0.2 --min-segment 0.5 "$T/talk.wav"

# ---- the original project's 4 s blocks: the last is the remainder ----
sox -n -r 16000 -b 16 -c 1 "$T/s10.wav" synth 10.3 sine 220 vol 0.3 tremolo 4 100
ser-classify $M -w 4 -H 4 "$T/s10.wav" | cut -f2,3 | tr '\t\n' '- ' > "$T/blocks"
check "-w 4 -H 4 over 10.3 s: 0-4 4-8 8-10.28 ($(cat "$T/blocks"))" test "$(cat "$T/blocks")" = "0.00-4.00 4.00-8.00 8.00-10.28 "
ser-capture "$T/s10.wav" | ser-mfcc | ser-classify $M --live -w 4 -H 4 | cut -f1,2 | tr '\t\n' '- ' > "$T/lblocks"
check "--live -w 4 -H 4: the same blocks" cmp -s "$T/blocks" "$T/lblocks"
sox -n -r 16000 -b 16 -c 1 "$T/s414.wav" synth 4.14 sine 220 vol 0.3 tremolo 4 100
ser-classify $M -w 4 -H 4 "$T/s414.wav" | cut -f2,3 | tr '\t\n' '- ' > "$T/b414"
check "-w 4 -H 4 over 4.14 s: 0-4 and the remainder 4-4.12 ($(cat "$T/b414"))" test "$(cat "$T/b414")" = "0.00-4.00 4.00-4.12 "
