/* sluice — core internals shared by the modules of libsluice.  Not installed.
 * Plugins never see these definitions: the public API is include/sluice/. */
#ifndef SLUICE_INTERNAL_H
#define SLUICE_INTERNAL_H

#include <sluice/sluice.h>
#include <stdio.h>

G_BEGIN_DECLS

/* Symbols of libsluice that are not part of the plugin API but are used by
 * the `sluice` command and the core's tests. */
#define SLUICE_INTERNAL __attribute__ ((visibility ("default")))

/* ------------------------------------------------------------------- attrs */

typedef struct {
  const char *key;            /* permanent (sluice_intern_key) unless key_owned */
  guint8 key_owned;
  guint8 value_shared;        /* STRING from the shared value table: not freed */
  SluiceValueType type;
  union {
    char *s;                  /* STRING, JSON */
    gint64 i;
    double d;
    gboolean b;
    char **list;              /* STRING_LIST, NULL-terminated */
  } v;
} SluiceAttr;

struct _SluiceAttrs {
  SluiceAttr *items;
  guint n;
  guint alloc;
  gboolean items_inline;      /* items is storage inside the owner: not freed */
};

/* Uses `storage` (n_storage slots inside the owning struct) until it fills. */
SLUICE_INTERNAL void sluice_attrs_init_inline (SluiceAttrs *attrs, SluiceAttr *storage,
                                               guint n_storage);

/* g_intern_string() with a small per-thread cache in front: keys and types
 * are nearly always the same string literals, and g_intern_string takes a
 * global lock that worker threads would fight over. */
SLUICE_INTERNAL const char *sluice_intern (const char *s);
/* For attribute and metadata keys, which may come from input documents and
 * so be unbounded in number: a permanent copy from a table of at most a few
 * thousand keys, or NULL once the table is full (the caller then keeps its
 * own copy), so that memory stays flat however many distinct keys pass. */
SLUICE_INTERNAL const char *sluice_intern_key (const char *s);

/* How many strings the shared value table holds before it is full (and
 * frozen): values after that are copied.  tests/test_attrs.c fills it. */
#define SLUICE_SHARED_VALUES_MAX 16384

/* In front of every string of the shared key and value tables: the keys of
 * attributes with key_owned == FALSE and the STRING values with
 * value_shared.  plain: no byte needs escaping in a JSON string. */
typedef struct {
  guint32 len;
  guint32 plain;
} SluiceSharedHeader;

static inline const SluiceSharedHeader *
sluice_shared_header (const char *shared)
{
  return (const SluiceSharedHeader *) shared - 1;
}

/* For the JSON reader, whose strings are already clean UTF-8 without NUL
 * (value[len] and key[len] are NUL): no second check.  The key is the
 * shared one (sluice_intern_key) or NULL when the table is full. */
G_GNUC_INTERNAL void sluice_attrs_set_clean_string_len (SluiceAttrs *attrs, const char *key,
                                                        const char *value, gsize len);
G_GNUC_INTERNAL const char *sluice_intern_clean_key (const char *key, gsize len);

/* sluice_intern() for annotation types: NULL when s is not clean UTF-8. */
G_GNUC_INTERNAL const char *sluice_intern_clean (const char *s);

/* Every thread's memory of sluice_attrs_set_static_string() pointers goes
 * stale: called whenever a stage instance is destroyed. */
SLUICE_INTERNAL void sluice_attrs_forget_static (void);
SLUICE_INTERNAL void sluice_attrs_init (SluiceAttrs *attrs);
/* set_json for text the core already validated (the JSONL reader). */
SLUICE_INTERNAL void sluice_attrs_set_json_trusted (SluiceAttrs *attrs, const char *key,
                                                    const char *json);
SLUICE_INTERNAL void sluice_attrs_clear (SluiceAttrs *attrs);
SLUICE_INTERNAL void sluice_attrs_copy (SluiceAttrs *dest, const SluiceAttrs *src);
SLUICE_INTERNAL const SluiceAttr *sluice_attrs_lookup (const SluiceAttrs *attrs, const char *key);

/* ------------------------------------------------------------- documents */

#define SLUICE_ANNOTATION_INLINE_ATTRS 6

struct _SluiceAnnotation {
  const char *type;           /* interned */
  const char *stage;          /* interned */
  gsize start;                /* bytes, half-open */
  gsize end;
  SluiceAttrs attrs;
  /* Most annotations have a handful of attributes: no allocation for them. */
  SluiceAttr inline_attrs[SLUICE_ANNOTATION_INLINE_ATTRS];
};

typedef struct {
  char *text;
  gsize len;
  const char *stage;          /* interned: the stage whose rewrite replaced it */
} SluiceView;

typedef enum {
  SLUICE_DOC_PENDING = 0,
  SLUICE_DOC_DONE,            /* processed (maybe passed through a failing stage) */
  SLUICE_DOC_FAILED,          /* left out of the output (on_error = skip, or rejected) */
} SluiceDocState;

struct _SluiceDocument {
  char *id;
  char *source;
  char *text;                 /* NUL-terminated, valid UTF-8, no NUL inside */
  gsize len;
  SluiceAttrs meta;
  GPtrArray *annotations;     /* SluiceAnnotation*, owned */
  const char *current_stage;  /* interned; set by the runner around process() */
  gboolean keep_views;
  GArray *views;              /* SluiceView; NULL until the first kept view */
  /* Top-level JSONL fields other than id/text/meta/source/annotations/views,
   * as raw JSON members, each ",\"key\":value", in input order; NULL if none. */
  char *extra_json;
  gsize extra_json_len;

  /* Runner bookkeeping. */
  guint64 seq;
  SluiceDocState state;
  gboolean failed;            /* at least one stage failed on it */
};

/* Takes ownership of id, source and text.  `text` must already be valid
 * UTF-8 without NUL bytes (see sluice_utf8_sanitize). */
SLUICE_INTERNAL SluiceDocument *sluice_document_new_take (char *id, char *source, char *text, gsize len);
SLUICE_INTERNAL void sluice_document_set_current_stage (SluiceDocument *doc, const char *stage);
/* Takes ownership of json: raw ",\"k\":v" members. */
SLUICE_INTERNAL void sluice_document_take_extra_json (SluiceDocument *doc, char *json, gsize len);

/* ------------------------------------------------------------------ utf-8 */

/* Copies `in` to `out` (appending), replacing each invalid UTF-8 sequence and
 * each NUL byte with U+FFFD.  Returns the number of replacements.  When the
 * input is already clean (the common case) it costs one validation pass and a
 * memcpy. */
SLUICE_INTERNAL gsize sluice_utf8_sanitize (const char *in, gsize len, GString *out);
/* TRUE when `in` is valid UTF-8 with no NUL byte. */
SLUICE_INTERNAL gboolean sluice_utf8_is_clean (const char *in, gsize len);
/* Byte offset -> code point offset helper: number of code points in
 * text[0, len).  ASCII runs are counted 8 bytes at a time. */
SLUICE_INTERNAL gsize sluice_utf8_count_chars (const char *text, gsize len);

/* ------------------------------------------------------------------- json */

/* Appends `s` as a JSON string literal (with quotes).  Control characters are
 * escaped as \n \t \r \b \f or \u00XX, '"' and '\\' with a backslash, DEL and
 * everything else verbatim (input must be valid UTF-8). */
SLUICE_INTERNAL void sluice_json_append_string (GString *out, const char *s, gsize len);

/* Appends the document as one JSON object followed by '\n':
 *   {"id","source","text","meta","annotations":[{"type","start","end","text","stage","attrs"}]
 *    [,"views":[{"stage","text"}]] <extra members>}
 * start/end in code points, annotations sorted by (start, -end, insertion). */
SLUICE_INTERNAL void sluice_json_write_document (GString *out, const SluiceDocument *doc,
                                                 gboolean emit_views);
/* Appends a JSON value for an attribute. */
SLUICE_INTERNAL void sluice_json_append_attr_value (GString *out, const SluiceAttr *attr);
SLUICE_INTERNAL void sluice_json_append_attrs (GString *out, const SluiceAttrs *attrs);

/* TRUE when json[0, len) is exactly one strict JSON value (whitespace
 * around it allowed).  No GObject: safe in forked children. */
SLUICE_INTERNAL gboolean sluice_json_validate_value (const char *json, gsize len,
                                                     GError **error);

/* Rewrites escaped lone surrogates (\uD800) in valid JSON text to \uFFFD,
 * in place; returns how many.  They are valid syntax but not characters. */
SLUICE_INTERNAL guint sluice_json_fix_lone_surrogates (char *json, gsize len);

/* Parses one JSONL line holding a document object.
 *   id:    string or number (written as text) or absent (*id = NULL)
 *   text:  required string; decoded bytes in *text / *text_len, NOT sanitized
 *          (\u0000 and lone surrogates decode to U+FFFD and are counted in
 *          *n_replaced; raw invalid UTF-8 bytes are copied as they are and
 *          left for sluice_utf8_sanitize)
 *   meta:  optional object; scalars and string arrays become typed attrs,
 *          anything else SLUICE_VALUE_JSON
 *   other members: appended raw to *extra as ",\"key\":value" (except
 *          "source", "annotations" and "views", which the core rewrites)
 * On failure returns FALSE with a message saying what is wrong and at which
 * column ("expected ':' at column 17", "no \"text\" member", "\"text\" is
 * not a string"). */
SLUICE_INTERNAL gboolean sluice_json_parse_document (const char *line, gsize len,
                                                     char **id, char **text, gsize *text_len,
                                                     guint *n_replaced,
                                                     SluiceAttrs *meta, GString *extra,
                                                     GError **error);
/* The same, also saying whether the text's raw bytes are valid UTF-8
 * without NUL (*text_clean; may be NULL), which it checks while decoding
 * them: the JSONL reader then need not validate the text a second time. */
SLUICE_INTERNAL gboolean sluice_json_parse_document_full (const char *line, gsize len,
                                                          char **id, char **text,
                                                          gsize *text_len, gboolean *text_clean,
                                                          guint *n_replaced,
                                                          SluiceAttrs *meta, GString *extra,
                                                          GError **error);

G_END_DECLS

#endif /* SLUICE_INTERNAL_H */
