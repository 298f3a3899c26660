/* sluice — the document model seen by stages.
 *
 * A document has an id, a source (file or FILE:LINE), a UTF-8 text, a metadata
 * map and a list of annotations.  Offsets inside C are BYTE offsets into the
 * current text, half-open ([start, end)), always on UTF-8 character
 * boundaries.  The core converts them to Unicode code points only when it
 * writes JSON.
 *
 * Guarantees the core gives a stage: the text is valid UTF-8, contains no NUL
 * byte and is NUL-terminated (so C string functions work on it).
 *
 * Threading: a document is only ever touched by one thread at a time.  Stage
 * instances are shared between threads (see stage.h), documents are not.
 *
 * Memory: everything returned as `const` belongs to the document and stays
 * valid until the document is freed or, for the text, until a rewrite of it is
 * committed.  SluiceAnnotation pointers stay valid until the document is freed
 * or the annotation is dropped by a rewrite commit.
 */
#ifndef SLUICE_DOCUMENT_H
#define SLUICE_DOCUMENT_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SluiceDocument SluiceDocument;
typedef struct _SluiceAnnotation SluiceAnnotation;
typedef struct _SluiceAttrs SluiceAttrs;
typedef struct _SluiceRewriter SluiceRewriter;

/* ------------------------------------------------------------------ values */

/* Typed values of annotation attributes and of document metadata. */
typedef enum {
  SLUICE_VALUE_NONE = 0,    /* no such key */
  SLUICE_VALUE_NULL,        /* JSON null */
  SLUICE_VALUE_STRING,
  SLUICE_VALUE_INT,         /* gint64 */
  SLUICE_VALUE_DOUBLE,
  SLUICE_VALUE_BOOL,
  SLUICE_VALUE_STRING_LIST,
  SLUICE_VALUE_JSON         /* a JSON value passed through verbatim (objects,
                               mixed arrays from JSONL input meta) */
} SluiceValueType;

/* An ordered key -> value map.  Setting an existing key replaces its value
 * and keeps its position.  Keys and string values are copied; strings that
 * are not valid UTF-8 are repaired (U+FFFD) and set_json() values are
 * checked, so that the output is always valid JSON.  Pointers returned by the
 * getters stay valid until the same map is changed (any set, append or
 * remove) or freed. */
void sluice_attrs_set_null (SluiceAttrs *attrs, const char *key);
void sluice_attrs_set_string (SluiceAttrs *attrs, const char *key, const char *value);
/* Like set_string with a length (value need not be NUL-terminated). */
void sluice_attrs_set_string_len (SluiceAttrs *attrs, const char *key, const char *value, gsize len);
/* Since ABI 1.1.  Like set_string, for a key and a value that stay valid
 * and unchanged as long as the stage instance exists: string literals, or
 * strings of tables built in create() and freed in destroy().  The core
 * remembers them by address: after the first call with the same pointers,
 * a call costs a few loads instead of a length, a hash, a compare and a
 * UTF-8 check, which counts when a stage sets the same few values on
 * millions of annotations.  The document keeps its own copy, never the
 * stage's pointers, so it may outlive the instance.  Changing the bytes
 * behind a pointer already passed, while the instance exists, is a bug:
 * the old content may be written.  Values that are long or not valid UTF-8
 * are simply copied (and repaired), as by set_string. */
void sluice_attrs_set_static_string (SluiceAttrs *attrs, const char *key, const char *value);
void sluice_attrs_set_int (SluiceAttrs *attrs, const char *key, gint64 value);
void sluice_attrs_set_double (SluiceAttrs *attrs, const char *key, double value);
void sluice_attrs_set_bool (SluiceAttrs *attrs, const char *key, gboolean value);
/* n < 0: `values` is NULL-terminated. */
void sluice_attrs_set_string_list (SluiceAttrs *attrs, const char *key,
                                   const char *const *values, gssize n);
/* Appends to a string list, creating it (or replacing a non-list value). */
void sluice_attrs_append_string (SluiceAttrs *attrs, const char *key, const char *value);
/* `json` must be one valid JSON value; it is written out as is. */
void sluice_attrs_set_json (SluiceAttrs *attrs, const char *key, const char *json);
gboolean sluice_attrs_remove (SluiceAttrs *attrs, const char *key);

gboolean sluice_attrs_has (const SluiceAttrs *attrs, const char *key);
SluiceValueType sluice_attrs_get_type (const SluiceAttrs *attrs, const char *key);
/* NULL when absent or not a string. */
const char *sluice_attrs_get_string (const SluiceAttrs *attrs, const char *key);
/* `fallback` when absent or not a number (a double is truncated). */
gint64 sluice_attrs_get_int (const SluiceAttrs *attrs, const char *key, gint64 fallback);
/* `fallback` when absent or not a number (an int is converted). */
double sluice_attrs_get_double (const SluiceAttrs *attrs, const char *key, double fallback);
gboolean sluice_attrs_get_bool (const SluiceAttrs *attrs, const char *key, gboolean fallback);
/* NULL-terminated; NULL when absent or not a list.  `n` may be NULL. */
const char *const *sluice_attrs_get_string_list (const SluiceAttrs *attrs, const char *key, guint *n);
/* The raw JSON text of a SLUICE_VALUE_JSON value, else NULL. */
const char *sluice_attrs_get_json (const SluiceAttrs *attrs, const char *key);

guint sluice_attrs_size (const SluiceAttrs *attrs);
/* The i-th key in insertion order (i < size). */
const char *sluice_attrs_key_at (const SluiceAttrs *attrs, guint i);

/* --------------------------------------------------------------- documents */

/* Mostly for tests and harnesses: the runner creates documents itself.
 * `len` < 0: NUL-terminated.  Invalid UTF-8 and NUL bytes are replaced with
 * U+FFFD and counted in meta.warnings. */
SluiceDocument *sluice_document_new (const char *id, const char *text, gssize len);
void sluice_document_free (SluiceDocument *doc);

const char *sluice_document_get_id (const SluiceDocument *doc);
/* Where the document came from: a path, "PATH:LINE" for JSONL, "-" for stdin. */
const char *sluice_document_get_source (const SluiceDocument *doc);
/* The current text (NUL-terminated); its byte length in *len when len != NULL. */
const char *sluice_document_get_text (const SluiceDocument *doc, gsize *len);

SluiceAttrs *sluice_document_get_meta (SluiceDocument *doc);
/* Appends a human-readable line to meta.warnings (a string list). */
void sluice_document_add_warning (SluiceDocument *doc, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* ------------------------------------------------------------- annotations */

/* Adds an annotation over bytes [start, end) of the current text, owned by
 * the document, marked with the name of the stage instance that is running.
 * Returns NULL (and logs a critical) when the span is out of range, reversed
 * or not on character boundaries: the output invariant
 * text[start:end] == annotation.text never breaks. */
SluiceAnnotation *sluice_document_add_annotation (SluiceDocument *doc, const char *type,
                                                  gsize start, gsize end);
guint sluice_document_get_n_annotations (const SluiceDocument *doc);
/* In insertion order; the JSON writer sorts by (start, -end). */
SluiceAnnotation *sluice_document_get_annotation (const SluiceDocument *doc, guint index);

/* First annotation of `type` (NULL: any type) whose covered text equals
 * `text` (NULL: any), or NULL.  Meant for tests. */
SluiceAnnotation *sluice_document_find_annotation (const SluiceDocument *doc, const char *type,
                                                   const char *text);

const char *sluice_annotation_get_type (const SluiceAnnotation *ann);
gsize sluice_annotation_get_start (const SluiceAnnotation *ann);
gsize sluice_annotation_get_end (const SluiceAnnotation *ann);
/* Name of the stage instance that added it ("" outside a pipeline). */
const char *sluice_annotation_get_stage (const SluiceAnnotation *ann);
SluiceAttrs *sluice_annotation_get_attrs (SluiceAnnotation *ann);
/* A newly allocated copy of the covered text. */
char *sluice_annotation_dup_text (const SluiceDocument *doc, const SluiceAnnotation *ann);

/* ---------------------------------------------------------------- rewrites
 *
 * A stage that changes the text never edits it in place.  It walks the
 * current ("old") text from start to end with a cursor and says, piece by
 * piece, what the new text holds:
 *
 *   keep (old_end)            copy old [cursor, old_end) unchanged
 *   replace (old_end, s, n)   old [cursor, old_end) becomes the n bytes at s
 *   delete (old_end)          old [cursor, old_end) is dropped
 *   insert (s, n)             new text with no old counterpart
 *
 * Every old_end must be >= the cursor and on a character boundary.  commit()
 * keeps whatever is left, validates the new text (UTF-8, no NUL), replaces the
 * document's text, and projects every existing annotation onto it:
 *   - positions inside kept pieces move with them;
 *   - an annotation boundary inside a replaced piece widens to the whole
 *     replacement (groups are never split);
 *   - an annotation wholly inside deleted text is dropped, one partly inside is
 *     clamped to what survives.
 * The old text is kept as a view (named after the stage) when the run asked
 * for views (--emit-views).  A stage may commit several rewrites in turn.
 */
SluiceRewriter *sluice_rewriter_new (SluiceDocument *doc);
gsize sluice_rewriter_get_cursor (const SluiceRewriter *rw);
void sluice_rewriter_keep (SluiceRewriter *rw, gsize old_end);
void sluice_rewriter_replace (SluiceRewriter *rw, gsize old_end, const char *text, gssize len);
void sluice_rewriter_delete (SluiceRewriter *rw, gsize old_end);
void sluice_rewriter_insert (SluiceRewriter *rw, const char *text, gssize len);
/* Bytes of new text produced so far. */
gsize sluice_rewriter_get_new_length (const SluiceRewriter *rw);
/* Consumes rw.  FALSE (and the document unchanged) when the new text is not
 * valid UTF-8 / contains NUL, or a call above was out of order. */
gboolean sluice_rewriter_commit (SluiceRewriter *rw, GError **error);
/* Consumes rw, leaving the document unchanged. */
void sluice_rewriter_abort (SluiceRewriter *rw);

/* Earlier texts kept by rewrites (only when views are enabled): index 0 is the
 * original input text. */
guint sluice_document_get_n_views (const SluiceDocument *doc);
const char *sluice_document_get_view_text (const SluiceDocument *doc, guint index);
/* The stage whose rewrite replaced that view. */
const char *sluice_document_get_view_stage (const SluiceDocument *doc, guint index);
/* Views are off by default on documents made by sluice_document_new(). */
void sluice_document_set_keep_views (SluiceDocument *doc, gboolean keep);

/* The document as one JSON object, exactly as `sluice run` writes it (code
 * point offsets, annotations sorted), without a trailing newline. */
char *sluice_document_to_json (const SluiceDocument *doc);

G_END_DECLS

#endif /* SLUICE_DOCUMENT_H */
