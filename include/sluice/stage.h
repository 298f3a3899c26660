/* sluice — the stage (plugin) contract.
 *
 * A stage is a shared object that exports exactly one well-known symbol,
 * `sluice_stage_descriptor`, a function returning a pointer to a const
 * SluiceStageDescriptor.  Write it with SLUICE_STAGE_DEFINE():
 *
 *     static const SluiceOptionSpec options[] = {
 *       { "words", SLUICE_OPTION_STRING_LIST, "", FALSE, 0, 0, NULL,
 *         "Words to tag" },
 *       { NULL }
 *     };
 *     static const char *const produces[] = { "KEYWORD", NULL };
 *
 *     SLUICE_STAGE_DEFINE (
 *       .name = "keywords", .version = "1.0.0", .license = "MIT",
 *       .summary = "Tags words from a list",
 *       .options = options, .produces = produces,
 *       .create = kw_create, .process = kw_process, .destroy = kw_destroy)
 *
 * Life cycle: the core validates the pipeline's options for the stage against
 * `options` (unknown, missing, ill-typed, out-of-range values are reported as
 * FILE:LINE before anything runs), then calls create() once per pipeline
 * entry.  create() loads data and returns the instance; it fails by setting
 * the GError (a NULL instance without an error is a valid, stateless stage).
 * process() is then called once per document and MAY BE CALLED CONCURRENTLY
 * FROM SEVERAL THREADS ON THE SAME INSTANCE with different
 * documents: treat the instance as read-only after create(), keep per-call
 * scratch on the stack, in the document, or in thread-local storage.
 * destroy() is called once, after the last process() returned, with what
 * create() returned (which may be NULL for a stateless stage).
 *
 * File name: `sluice-<name>.so`; the loader checks that the descriptor's name
 * matches the file name.
 */
#ifndef SLUICE_STAGE_H
#define SLUICE_STAGE_H

#include <glib.h>
#include <gmodule.h>
#include <sluice/version.h>
#include <sluice/document.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------ errors */

#define SLUICE_ERROR (sluice_error_quark ())
GQuark sluice_error_quark (void);

typedef enum {
  SLUICE_ERROR_FAILED,      /* generic */
  SLUICE_ERROR_CONFIG,      /* bad pipeline file or option */
  SLUICE_ERROR_PLUGIN,      /* plugin cannot be loaded or created */
  SLUICE_ERROR_INPUT,       /* bad input document or line */
  SLUICE_ERROR_DATA,        /* a stage's data file is missing or malformed */
  SLUICE_ERROR_IO           /* reading or writing failed */
} SluiceErrorCode;

/* What process() returns. */
typedef enum {
  SLUICE_OK = 0,            /* document processed */
  SLUICE_DOC_ERROR = 1,     /* this document failed; the run goes on per on_error */
  SLUICE_FATAL = 2          /* the stage cannot go on; the run stops */
} SluiceStatus;

/* ----------------------------------------------------------------- options */

typedef enum {
  SLUICE_OPTION_STRING = 0,
  SLUICE_OPTION_INT,          /* libconfig int or int64; gint64 */
  SLUICE_OPTION_DOUBLE,       /* libconfig float or int */
  SLUICE_OPTION_BOOL,
  SLUICE_OPTION_STRING_LIST   /* libconfig array or list of strings */
} SluiceOptionType;

/* One option of a stage.  This struct has no size field: tables are arrays
 * of it, so adding a member changes the stride and needs an ABI major bump
 * (see docs/PLUGINS.md). */
typedef struct {
  const char *name;           /* snake_case; NULL ends the table */
  SluiceOptionType type;
  /* The default, written as text ("10", "0.5", "true", "a,b" for lists);
   * NULL: no default (the option reads as NULL / 0 / FALSE when unset). */
  const char *default_value;
  gboolean required;
  /* Numeric range, inclusive; checked only when min < max. */
  double min;
  double max;
  /* For strings (and each list element): allowed values "a|b|c"; NULL: any. */
  const char *choices;
  const char *description;
} SluiceOptionSpec;

/* Validated options of one pipeline entry, read-only. */
typedef struct _SluiceOptions SluiceOptions;

/* Reading an option not declared in the stage's table, or with the wrong
 * type, is a programming error: it logs a critical and returns NULL / 0. */
const char *sluice_options_get_string (const SluiceOptions *opts, const char *name);
gint64 sluice_options_get_int (const SluiceOptions *opts, const char *name);
double sluice_options_get_double (const SluiceOptions *opts, const char *name);
gboolean sluice_options_get_bool (const SluiceOptions *opts, const char *name);
/* NULL-terminated (never NULL for a declared list option; may be empty). */
const char *const *sluice_options_get_string_list (const SluiceOptions *opts, const char *name,
                                                   guint *n);
/* TRUE when the pipeline file gave the option (not just its default). */
gboolean sluice_options_is_set (const SluiceOptions *opts, const char *name);
/* Where the pipeline file gave it ("FILE:LINE"), or NULL; for error messages. */
const char *sluice_options_get_location (const SluiceOptions *opts, const char *name);

/* The instance name (pipeline `name`, default the plugin's name). */
const char *sluice_options_get_stage_name (const SluiceOptions *opts);
/* The stage's bundled data directory: `<dir of the .so>/data` when it exists
 * (the build tree), else `<datadir>/sluice/<plugin>` (the installed tree).
 * May name a directory that does not exist when the stage ships no data. */
const char *sluice_options_get_data_dir (const SluiceOptions *opts);
/* A path from the pipeline file, resolved against the file's directory
 * (absolute paths are returned unchanged).  Free with g_free(). */
char *sluice_options_resolve_path (const SluiceOptions *opts, const char *path);

/* Since ABI 1.1.  For "did you mean" hints in error messages: the candidate
 * nearest to `word` (edit distance, ASCII case ignored, a swap of two
 * adjacent letters counting as one edit), or NULL when none is within about
 * one edit per three characters (at least one, at most three).  NULL
 * candidates are skipped.  The same rule the core uses for unknown options,
 * plugins, stages and commands, so that hints read alike everywhere. */
const char *sluice_suggest (const char *word, const char *const *candidates, guint n_candidates);

/* -------------------------------------------------------------- descriptor */

/* Descriptor flags. */
#define SLUICE_STAGE_REWRITES_TEXT (1u << 0)  /* process() may commit rewrites */

typedef gpointer (*SluiceStageCreateFunc) (const SluiceOptions *options, GError **error);
typedef SluiceStatus (*SluiceStageProcessFunc) (gpointer instance, SluiceDocument *doc,
                                               GError **error);
typedef void (*SluiceStageDestroyFunc) (gpointer instance);

typedef struct {
  /* Filled by SLUICE_STAGE_DEFINE from the headers the stage was built with. */
  guint32 abi_major;
  guint32 abi_minor;
  guint32 struct_size;        /* sizeof (SluiceStageDescriptor) at build time */
  guint32 flags;              /* SLUICE_STAGE_* */

  const char *name;           /* [a-z0-9_]+, matches the file name */
  const char *version;
  const char *license;        /* SPDX identifier */
  const char *summary;        /* one line */

  const SluiceOptionSpec *options;     /* ended by { NULL }; may be NULL */
  const char *const *produces;         /* annotation types, NULL-terminated */
  const char *const *produces_meta;    /* metadata keys set, NULL-terminated */
  /* Annotation types the stage may read, NULL-terminated; `sluice check`
   * warns when only a later stage produces one of them. */
  const char *const *consumes;

  SluiceStageCreateFunc create;        /* may be NULL: instance is NULL */
  SluiceStageProcessFunc process;      /* required */
  SluiceStageDestroyFunc destroy;      /* may be NULL */

  gpointer reserved[6];                /* for additions within ABI major 1 */
} SluiceStageDescriptor;

typedef const SluiceStageDescriptor *(*SluiceStageDescriptorFunc) (void);

#define SLUICE_STAGE_SYMBOL "sluice_stage_descriptor"

/* What SLUICE_STAGE_DEFINE defines; declared here so that a test program
 * that links a stage's sources in can call it. */
G_MODULE_EXPORT const SluiceStageDescriptor *sluice_stage_descriptor (void);

/* Declares the stage's descriptor and the exported symbol.  Pass designated
 * initializers (.name = ..., .process = ..., ...). */
#define SLUICE_STAGE_DEFINE(...)                                                   \
  G_MODULE_EXPORT const SluiceStageDescriptor *sluice_stage_descriptor (void)     \
  {                                                                                \
    static const SluiceStageDescriptor descriptor_ = {                             \
      .abi_major = SLUICE_ABI_MAJOR,                                               \
      .abi_minor = SLUICE_ABI_MINOR,                                               \
      .struct_size = sizeof (SluiceStageDescriptor),                               \
      __VA_ARGS__                                                                  \
    };                                                                             \
    return &descriptor_;                                                           \
  }

G_END_DECLS

#endif /* SLUICE_STAGE_H */
