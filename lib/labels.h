/* Labels for libser: class sets, truth from corpus file names (RAVDESS,
 * TESS, EmoDB, nEMO, ASED), TSV label maps, and reading ser-classify output (TSV and
 * JSON lines). Formats in ser-formats(5); ser-eval(1) for their use.
 *
 * Class names are non-empty byte strings of at most SER_LABEL_MAX-1 bytes
 * without commas or control characters (bytes < 0x20, 0x7f: so no TAB,
 * CR, LF); case matters ("happy" != "Happy"). */
#ifndef SER_LABELS_H
#define SER_LABELS_H

#include <stdio.h>
#include "ser.h"

#define SER_CLASSES_MAX 256   /* classes in a set */
#define SER_LABEL_MAX 64      /* bytes of a class name, with the NUL */
#define SER_SPEAKER_MAX 64    /* bytes of a speaker id, with the NUL */
#define SER_LINE_MAX 1048576  /* bytes of one input line (TSV map, predictions) */

/* ---- class sets ---- */
#define SER_N_EMOTIONS 8
/* The default set, in this order (index = RAVDESS emotion code - 1):
 * neutral calm happy sad angry fearful disgust surprised. */
extern const char *const ser_emotions[SER_N_EMOTIONS];

typedef struct ser_classes {
	int n;                                      /* number of classes */
	char name[SER_CLASSES_MAX][SER_LABEL_MAX];  /* (n) names, index = class id */
} ser_classes;

/* c = the 8 default emotions. */
void ser_classes_default(ser_classes *c);
/* c = the classes of a comma-separated list ("a,b,c"): each name valid,
 * no duplicates, 1..SER_CLASSES_MAX names. SER_EINVAL with a reason. */
int ser_classes_parse(ser_classes *c, const char *list, ser_error *err);
/* Appends one name (c->n = 0 for an empty set first); SER_EINVAL on an
 * invalid or duplicate name, SER_ELIMIT when full. Returns the new index. */
int ser_classes_add(ser_classes *c, const char *name, ser_error *err);
/* Index of name in c, or -1. */
int ser_classes_index(const ser_classes *c, const char *name);
/* 1 if s is a valid class name (see above), else 0. */
int ser_label_valid(const char *s);
/* Writes "a,b,c" into buf (cap bytes, NUL-terminated, truncated if short);
 * returns the length the full text needs (like snprintf). */
size_t ser_classes_join(const ser_classes *c, char *buf, size_t cap);

/* ---- truth from corpus file names ---- */
enum ser_corpus {
	SER_CORPUS_NONE = 0,
	SER_CORPUS_RAVDESS = 1,  /* MM-VV-EE-II-SS-RR-AA */
	SER_CORPUS_TESS = 2,     /* SPEAKER_word_emotion */
	SER_CORPUS_EMODB = 3,    /* SSTTTEV, e.g. 03a01Fa */
	SER_CORPUS_NEMO = 4,     /* SPK_emotion_N, e.g. EB0_anger_12 */
	SER_CORPUS_ASED = 5      /* EN-SS-RR-GG-PP, e.g. n1-01-01-01-07 */
};
#define SER_CORPUS_COUNT 6
/* "none", "ravdess", "tess", "emodb", "nemo", "ased". */
const char *ser_corpus_name(int corpus);

typedef struct ser_label_info {
	int known;                     /* 1: the name follows a corpus convention */
	int corpus;                    /* enum ser_corpus */
	char emotion[SER_LABEL_MAX];   /* canonical: one of ser_emotions, or "boredom" (EmoDB L) */
	char speaker[SER_SPEAKER_MAX]; /* "ravdess-07", "tess-OAF", "emodb-03", "nemo-EB0",
	                                  "ased-07"; "" if unknown */
	int channel;                   /* RAVDESS vocal channel: 1 speech, 2 song; else 0 */
	int intensity;                 /* RAVDESS: 1 normal, 2 strong; else 0 */
	int statement;                 /* RAVDESS 1..2, EmoDB text 1..99 (a01=1, b01=11..),
	                                  ASED sentence 1..99; else 0 */
	int repetition;                /* RAVDESS 1..2; EmoDB version 1 (a), 2 (b) ...; ASED
	                                  repetition 1..99; else 0 */
} ser_label_info;

/* Parses the file name in path: the part after the last '/', cut at its
 * first '.' (so "x/03-01-05-01-01-01-07.16000.wav" and the bare key
 * "03-01-05-01-01-01-07" both work). Recognises
 *   RAVDESS  MM-VV-EE-II-SS-RR-AA, 2 digits each: modality 01..03, channel
 *            01..02, emotion 01..08, intensity 01..02, statement 01..02,
 *            repetition 01..02, actor 01..99 -> speaker "ravdess-AA";
 *   TESS     SPEAKER_word_emotion, speaker OAF, YAF or OA (= OAF), emotion
 *            angry disgust fear(->fearful) happy neutral ps(->surprised)
 *            sad, case-insensitive -> speaker "tess-OAF" / "tess-YAF";
 *   EmoDB    2 digits speaker, text [ab]NN, emotion letter W(angry)
 *            L(boredom) E(disgust) A(fearful) F(happy) T(sad) N(neutral),
 *            version letter a..z -> speaker "emodb-SS";
 *   nEMO     SPK_emotion_N, SPK two capital letters and a digit, emotion
 *            anger happiness(->happy) fear(->fearful) neutral sadness(->sad)
 *            surprised, case-insensitive, N digits -> speaker "nemo-SPK";
 *   ASED     EN-SS-RR-GG-PP: emotion letter and folder digit n1 (neutral)
 *            f2 (fearful) h3 (happy) s4 (sad) a5 (angry), letter in either
 *            case; sentence, repetition, gender 01..02, speaker 01..99, 2
 *            digits each -> speaker "ased-PP".
 * Fills *out (zeroed, known = 0 when no convention matches); returns
 * out->known. Never fails. */
int ser_label_from_name(const char *path, ser_label_info *out);

/* The file name of path: the part after its last '/' (all of it if none). */
const char *ser_key_base(const char *path);
/* The file name of path without directory and without its last extension
 * ("a/b/x.16000.wav" -> "x.16000"), into buf (cap bytes); returns the
 * length it needs (like snprintf). */
size_t ser_key_stem(const char *path, char *buf, size_t cap);

/* ---- TSV label maps: key<TAB>label[<TAB>speaker] ---- */
/* Lines end in LF (a CR before it is removed); '#' at the start of a line
 * makes a comment; blank lines are skipped. Keys are non-empty and
 * escaped as ser_tsv_escape writes them (\t \n \r \\), labels
 * are valid class names, speakers non-empty (at most SER_SPEAKER_MAX-1
 * bytes); more than 3 fields, or a duplicate key, is an error. Errors
 * are SER_EFORMAT "NAME:LINE: reason". */
typedef struct ser_labelmap ser_labelmap;
typedef struct ser_labelmap_entry {
	const char *key;
	const char *label;    /* NULL in a speaker map's key<TAB>speaker line */
	const char *speaker;  /* NULL when the line has no third field */
	long line;            /* line number in the map file, 1-based */
} ser_labelmap_entry;

/* Reads a whole map from f; name is used in messages. */
ser_labelmap *ser_labelmap_read(FILE *f, const char *name, ser_error *err);
/* Opens path ("-" is stdin) and reads it. */
ser_labelmap *ser_labelmap_load(const char *path, ser_error *err);
/* A speaker map: lines key<TAB>speaker (label NULL) or, as in a truth
 * map, key<TAB>label<TAB>speaker; the same rules otherwise. */
ser_labelmap *ser_speakermap_load(const char *path, ser_error *err);
size_t ser_labelmap_count(const ser_labelmap *m);
/* Entry i in file order, i < count. */
const ser_labelmap_entry *ser_labelmap_at(const ser_labelmap *m, size_t i);
/* Exact key match, or NULL. O(1) expected (hash table). */
const ser_labelmap_entry *ser_labelmap_get(const ser_labelmap *m, const char *key);
/* The rule used by ser-eval and ser-train: the exact key first, then the
 * file name of key (no directory), then that name without its last
 * extension (ser_key_stem). NULL if none matches. */
const ser_labelmap_entry *ser_labelmap_find(const ser_labelmap *m, const char *key);
/* ser_labelmap_find, then the stems (ser_key_stem) compared on both
 * sides, so a map's "a.flac" (or "dir/a.flac") matches the input "a.wav".
 * When two map keys have that stem, NULL with *clash the later of them
 * (else *clash is NULL). ser_label_resolve uses this rule (a clash: not
 * found). */
const ser_labelmap_entry *ser_labelmap_match(const ser_labelmap *m, const char *key,
                                             const ser_labelmap_entry **clash);
void ser_labelmap_free(ser_labelmap *m);

/* Truth for one key: with a map (m != NULL) by ser_labelmap_match (the
 * speaker from the map's third field, else from the file name if it
 * follows a convention, else ""); without a map by ser_label_from_name.
 * out->emotion is then the label. Returns 1 if found, 0 if not. */
int ser_label_resolve(const ser_labelmap *m, const char *key, ser_label_info *out);

/* Groups for per-corpus and per-speaker scores (ser-eval --by). */
enum ser_group_by {
	SER_BY_CORPUS = 1,   /* ser_corpus_name(corpus): "none" when the key's file
	                        name follows no convention (a map gives no corpus) */
	SER_BY_SPEAKER = 2   /* speaker, "unknown" when it is "" */
};
/* The group of an utterance whose truth is *info (from ser_label_resolve),
 * by one of enum ser_group_by; NULL for another value of by. */
const char *ser_label_group(const ser_label_info *info, int by);

/* ---- reading ser-classify output (one utterance per line) ---- */
/* Accepted lines:
 *   key<TAB>label<TAB>confidence[<TAB>p_1 ... <TAB>p_n]   (key escaped as
 *     ser_tsv_escape writes it, and returned unescaped)
 *   {"key": "...", "label": "...", "confidence": 0.9, ...}   (JSON object;
 *     other members are skipped; "probs"/"probabilities" arrays of numbers
 *     are returned)
 * '#' lines and blank lines are skipped. Over-time lines (TSV
 * key<TAB>start<TAB>end<TAB>label<TAB>confidence, or JSON with "start") are
 * refused with SER_EFORMAT "NAME:LINE: over-time label lines ... ", as is
 * any other shape, with the line number. */
typedef struct ser_pred {
	const char *key;       /* valid until the next call */
	const char *label;     /* valid until the next call */
	double confidence;     /* as written; NAN when the JSON line has none */
	const double *prob;    /* (nprob) probabilities, or NULL */
	int nprob;
	int json;              /* 1 if the line was JSON */
	long line;             /* 1-based line number */
} ser_pred;

typedef struct ser_predreader ser_predreader;
/* A reader on f (not closed by free); name is used in messages. */
ser_predreader *ser_predreader_new(FILE *f, const char *name, ser_error *err);
/* 1: *out holds the next prediction; 0: end of input; < 0: error
 * (SER_EFORMAT with line number, SER_ELIMIT for a line over SER_LINE_MAX,
 * SER_EIO for a read error). */
int ser_predreader_next(ser_predreader *r, ser_pred *out, ser_error *err);
void ser_predreader_free(ser_predreader *r);

/* Parses one line (no newline) as above into *out, pointing into line,
 * which is modified (JSON strings are unescaped in place). prob is a
 * caller array of probcap values. Returns 1 (a prediction), 0 (comment or
 * blank) or SER_EFORMAT with "reason" (no name or line number). */
int ser_pred_parse(char *line, ser_pred *out, double *prob, int probcap, ser_error *err);

/* JSON string escaping for writers (ser-classify --json, ser-eval --json):
 * the escaped text of s without quotes into buf (cap bytes, NUL-terminated,
 * truncated if short; buf may be NULL when cap is 0); returns the length it
 * needs (like snprintf). '"' and '\\' as \" and \\, LF TAB CR as \n \t \r,
 * other control bytes and DEL as \u00XX; a byte that does not start a valid
 * UTF-8 sequence as \u00XX with its value (Latin-1 style, as
 * ser-classify(1) documents); valid UTF-8 as is. */
size_t ser_json_escape(char *buf, size_t cap, const char *s);

/* Keys in TSV lines (ser-classify output, TSV maps): a key may hold any
 * byte but NUL, so TAB, LF, CR and the backslash are written as \t, \n,
 * \r and \\. Reversible: distinct keys stay distinct lines and distinct
 * keys when read back. ser_tsv_escape writes the escaped s into buf (cap
 * bytes, NUL-terminated, truncated if short) and returns the length it
 * needs (like snprintf); ser_tsv_unescape undoes it in place (a backslash
 * before any other byte is kept as is, as older writers left it). */
size_t ser_tsv_escape(char *buf, size_t cap, const char *s);
void ser_tsv_unescape(char *s);

#endif
