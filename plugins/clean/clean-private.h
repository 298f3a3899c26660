/* sluice clean stage — internals shared by its source files. */
#ifndef SLUICE_CLEAN_PRIVATE_H
#define SLUICE_CLEAN_PRIVATE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sluice/sluice.h>

G_BEGIN_DECLS

/* What a matching pattern means (from its named groups). */
typedef enum {
  CLEAN_PAT_JUNK = 0,   /* no special group: the line is dropped */
  CLEAN_PAT_BYLINE,     /* (?<byline>...), optionally (?<outlet>...) */
  CLEAN_PAT_OUTLET,     /* (?<outlet>...) only */
  CLEAN_PAT_DATE        /* (?<year>...) (?<month>...) (?<day>...) */
} CleanPatKind;

typedef struct {
  char *name;           /* rule name, e.g. "share" */
  char *source;         /* "FILE:LINE" or "drop_patterns[N]" */
  char *regex;
  CleanPatKind kind;
  /* prefilter (set by clean_patterns_compile) */
  guint8 starts[32];    /* bitmap of possible first bytes */
  gint literal;         /* index into the set's literals, -1: none */
} CleanPattern;

/* One compiled alternation of patterns (all of them, or the subset that can
 * match a given line start), branches marked (*MARK:i) with the pattern's
 * index in the whole set so one match says which pattern fired. */
typedef struct {
  pcre2_code *code;
  gboolean jit;         /* JIT-compiled: matched with pcre2_jit_match() */
  /* group numbers of byline, outlet, year, month, day in `code`
   * (several each: names repeat across patterns) */
  GArray *group_nums[5];
} CleanAlternation;

/* At most this many patterns get a required-literal prefilter. */
#define CLEAN_MAX_LITERALS 8
#define CLEAN_SUBSET_NONE G_MAXUINT16
#define CLEAN_SUBSET_FULL (G_MAXUINT16 - 1)

/* All line patterns.  `full` holds every pattern and is the reference.
 * The prefilter: a pattern can only match a line whose first byte is in its
 * start set (from PCRE2's own start-of-match analysis) and, for a pattern
 * without one, that contains its required literal (a plain run of text the
 * pattern must match, found conservatively in the regex); when the first two
 * bytes are ASCII, PCRE2's partial matching of the pattern on them must not
 * rule it out either.  For each first byte (or two), `subset_of` names the alternation of the patterns without a literal
 * that are still possible (CLEAN_SUBSET_NONE: none; CLEAN_SUBSET_FULL: all
 * of them); a line holding one of the literals takes the full alternation. */
typedef struct {
  GPtrArray *patterns;  /* CleanPattern* */
  CleanAlternation full;
  GPtrArray *subsets;   /* CleanAlternation* */
  guint16 *subset_of;   /* [first byte], then [256 + 128 * first + second] (ASCII) */
  char *literals[CLEAN_MAX_LITERALS];   /* lower case ASCII */
  char literal_upper0[CLEAN_MAX_LITERALS], literal_upper1[CLEAN_MAX_LITERALS];
  gsize literal_len[CLEAN_MAX_LITERALS];
  guint n_literals;
} CleanPatternSet;

CleanPatternSet *clean_patterns_new (void);
void clean_patterns_free (CleanPatternSet *set);
/* Parses a pattern file (format in README.md); errors are "FILE:LINE: msg". */
gboolean clean_patterns_add_file (CleanPatternSet *set, const char *path, GError **error);
/* One pattern (regex only); `source` names it in errors and reports. */
gboolean clean_patterns_add (CleanPatternSet *set, const char *name, const char *regex,
                             const char *source, GError **error);
gboolean clean_patterns_compile (CleanPatternSet *set, GError **error);

typedef struct {
  int index;            /* pattern index, -1: no match */
  /* captured spans, byte offsets into the subject; -1 when unset */
  gssize byline_s, byline_e;
  gssize outlet_s, outlet_e;
  gssize year_s, year_e, month_s, month_e, day_s, day_e;
} CleanPatMatch;

/* Matches the whole `subject[0..len)` (anchored at both ends).  `md` is the
 * caller's match data (one per process() call). */
gboolean clean_patterns_match (const CleanPatternSet *set, const char *subject, gsize len,
                               pcre2_match_data *md, CleanPatMatch *out);
/* The same without the prefilter: the one alternation of all patterns (the
 * reference the prefilter must agree with). */
gboolean clean_patterns_match_full (const CleanPatternSet *set, const char *subject, gsize len,
                                    pcre2_match_data *md, CleanPatMatch *out);
/* The plain text a regex must match, found conservatively (NULL when none of
 * at least 3 characters is certain); lower case; free with g_free. */
char *clean_required_literal (const char *regex);
/* ------------------------------------------------------------- instance */
typedef struct {
  /* character pass */
  gboolean newlines, strip_controls, map_spaces, nfc, decode_entities;
  gboolean quote_space, fold_quotes, fold_dashes;
  /* line pass */
  gboolean collapse_spaces, blank_lines, join_wraps, dehyphenate, join_broken;
  gboolean drop_junk, dedupe_title, extract_title, extract_byline, extract_date;
  gboolean extract_outlet, report;
  gint64 max_junk_words, max_title_words, wrap_min_width, wrap_max_width;

  CleanPatternSet *patterns;
  GHashTable *outlets;        /* casefolded, space-collapsed name -> itself */
  char **outlet_words;        /* casefolded words */
  GHashTable *outlet_word_set; /* the same, as a set */
  pcre2_code *attribution;    /* "(MENAFN- Outlet) " prefix */
} CleanStage;

/* Loads an outlet list (one name a line, '#' comments). */
gboolean clean_outlets_load (GHashTable *outlets, const char *path, GError **error);
/* Casefolded, whitespace-collapsed key for outlet lookups; free with g_free. */
char *clean_outlet_key (const char *s, gssize len);
gboolean clean_is_outlet (const CleanStage *st, const char *s, gsize len, gboolean strict);

/* Pass 1: characters.  Commits at most one rewrite.  FALSE + error on a
 * rewrite failure (a bug). */
gboolean clean_chars (const CleanStage *st, SluiceDocument *doc, GError **error);
/* Cleans one word (no ASCII whitespace inside) into `out` (appended). */
void clean_word (const CleanStage *st, const char *w, gsize len, GString *out, GString *tmp);
/* TRUE only when clean_word() would leave the word as it is (a quick check
 * of its characters; FALSE says nothing). */
gboolean clean_word_is_clean (const CleanStage *st, const char *w, gsize len);

/* Words (capped at word_cap + 1), characters (capped at char_cap) and
 * whether a tab or two spaces in a row occur, in s[0..n).  clean_measure()
 * is the fast version, clean_measure_ref() the plain reference. */
void clean_measure (const char *s, gsize n, guint32 word_cap, guint32 char_cap,
                    guint32 *words, guint32 *chars, guint8 *runs);
void clean_measure_ref (const char *s, gsize n, guint32 word_cap, guint32 char_cap,
                        guint32 *words, guint32 *chars, guint8 *runs);

/* Pass 2: lines, blocks, junk, metadata.  Commits at most one rewrite. */
gboolean clean_lines (const CleanStage *st, SluiceDocument *doc, GError **error);

/* ISO date from captured year/month/day texts; FALSE when not a valid date. */
gboolean clean_make_date (const char *y, gsize yl, const char *m, gsize ml,
                          const char *d, gsize dl, char out[11]);

G_END_DECLS

#endif
