/* numbers — the scanner: finds numbers in a text and reports them as NumItems. */
#ifndef NUMBERS_SCAN_H
#define NUMBERS_SCAN_H

#include <glib.h>
#include <math.h>
#include "numbers-lexicon.h"

G_BEGIN_DECLS

typedef enum {
  NK_CARDINAL, NK_ORDINAL, NK_PERCENT, NK_FRACTION, NK_DECIMAL, NK_RANGE, NK_YEAR,
} NumKind;

typedef struct {
  gsize start, end;           /* byte span of the numeral (no qualifier, currency, unit) */
  NumKind kind;
  double value;               /* NAN for a range */
  double min, max;            /* ranges */
  gboolean min_open, max_open;/* ranges built from "more than X and less than Y" */
  NumQual qual;
  gboolean vague;             /* "dozens", "hundreds of thousands" */
  gboolean percent;           /* a range of percents ("10-15%") */
  char currency[8];           /* ISO 4217, "" when none */
  char unit[48];              /* counted noun, lower case, "" when none */
  const char *currency_lx;    /* the lexicon's copy of `currency` (lives as long as the
                               * lexicon), NULL when none */
  const char *unit_lx;        /* the same for `unit` when it is the currency's lower case */
  gsize qual_start;           /* where the prefix qualifier phrase starts (== start if none) */
} NumItem;

typedef struct {
  gboolean vague;             /* report vague counts */
  guint max_items;            /* 0: no limit */
  gboolean byte_loop;         /* tests: skip text byte by byte, without the vectorised
                               * skip (its oracle: both must give the same items) */
  gboolean reference;         /* tests: no shortcut of the phrase grammar (the oracle of
                               * the shortcuts: both must give the same items) */
} NumScanOptions;

/* Calls `emit` for every number of `text`, in text order.  Returns FALSE when the
 * limit of items was reached (the rest of the text was not scanned). */
typedef void (*NumEmitFunc) (const NumItem *item, gpointer user_data);
gboolean num_scan (const NumLexicon *lx, const NumScanOptions *opts, const char *text, gsize len,
                   NumEmitFunc emit, gpointer user_data);

/* v == floor (v), without the floor sequence the compiler inlines for SSE2: NaN is not
 * integral; infinities and every double of magnitude >= 2^52 are (test_integral). */
static inline gboolean
num_is_integral (double v)
{
  if (!(fabs (v) < 4503599627370496.0))
    return !isnan (v);
  return (double) (gint64) v == v;
}

const char *num_kind_name (NumKind k);
const char *num_qual_name (NumQual q);

G_END_DECLS

#endif
