/* entities — the stage's instance (entities.c) and its descriptor (plugin.c). */
#ifndef ENTITIES_ENTITIES_H
#define ENTITIES_ENTITIES_H

#include <sluice/sluice.h>

typedef struct _Entities Entities;

Entities *entities_new (const SluiceOptions *opts, GError **error);
void entities_free (Entities *E);
SluiceStatus entities_process_text (const Entities *E, SluiceDocument *doc);
/* For the tests: NULL when the fast tokeniser agrees with gz_next_token on
 * `text` (NUL-terminated at len), else where they differ (g_free it). */
char *entities_tokenizer_check (const char *text, gsize len);
/* For the tests: NULL when the one-pass token scan (line and sentence flags,
 * month names, date and name starts, lower-case words) agrees with the
 * reference computations on `text`, else where they differ (g_free it). */
char *entities_scan_check (const char *text, gsize len);

/* For the tests: TRUE when the country-id test agrees with its reference on id. */
gboolean entities_is_country_id_check (const char *id);

/* For the tests: NULL when the phrase-end filter in front of the look-up of
 * rule and cue phrases before a token changes no answer on `text`, else
 * where it does (g_free it); *n_found: positions with a phrase. */
char *entities_phrases_check (const char *rules_path, const char *text, gsize len,
                              guint *n_found);

#endif
