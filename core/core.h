/* sluice — core objects used by the command and tests: options, plugins,
 * pipelines, readers, the runner.  Not installed. */
#ifndef SLUICE_CORE_H
#define SLUICE_CORE_H

#include "internal.h"
#include <libconfig.h>
#include <signal.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------------- options */

SLUICE_INTERNAL SluiceOptions *sluice_options_new (const SluiceStageDescriptor *desc,
                                                   const char *stage_name,
                                                   const char *data_dir,
                                                   const char *config_dir,
                                                   GError **error);
SLUICE_INTERNAL void sluice_options_free (SluiceOptions *opts);
/* Sets one option from text (harness, command line).  `location` may be NULL. */
SLUICE_INTERNAL gboolean sluice_options_set_from_string (SluiceOptions *opts, const char *name,
                                                         const char *value, const char *location,
                                                         GError **error);
/* Sets one option from a libconfig setting of the pipeline file. */
SLUICE_INTERNAL gboolean sluice_options_set_from_setting (SluiceOptions *opts,
                                                          const config_setting_t *setting,
                                                          const char *file, GError **error);
/* Reports required options that were not given; `where` prefixes the message. */
SLUICE_INTERNAL gboolean sluice_options_check_required (SluiceOptions *opts, const char *where,
                                                        GError **error);
/* Formats the value of an option as text (for --describe). */
SLUICE_INTERNAL const char *sluice_option_type_name (SluiceOptionType type);


/* ---------------------------------------------------------------- plugins */

typedef struct {
  char *path;                             /* real path of the .so */
  void *handle;                           /* dlopen handle */
  const SluiceStageDescriptor *desc;
  char *data_dir;
} SluicePlugin;

/* Loads (or returns the already loaded) plugin at `path`, with every check of
 * the contract; errors name the file. */
SLUICE_INTERNAL SluicePlugin *sluice_plugin_load (const char *path, GError **error);
/* Finds `name` (a plugin name, or a path to a .so) on the search path. */
SLUICE_INTERNAL char *sluice_plugin_find (const char *name, const char *const *search_path,
                                          GError **error);
/* The default search path: $SLUICE_PLUGIN_PATH, the build tree (when the
 * running binary is the build tree's), the install directory.  `extra`
 * (pipeline plugin_path, already resolved) comes first.  Free with g_strfreev. */
SLUICE_INTERNAL char **sluice_plugin_search_path (const char *const *extra);
/* All plugin files found on the search path (sorted, de-duplicated). */
SLUICE_INTERNAL char **sluice_plugin_list_files (const char *const *search_path);
/* Checks the descriptor alone (used by the loader and the harness). */
SLUICE_INTERNAL gboolean sluice_descriptor_check (const SluiceStageDescriptor *desc,
                                                  const char *file, GError **error);

/* --------------------------------------------------------------- pipeline */

typedef enum {
  SLUICE_ON_ERROR_PASS = 0,
  SLUICE_ON_ERROR_SKIP,
  SLUICE_ON_ERROR_ABORT,
} SluiceOnError;

typedef struct {
  char *plugin_name;          /* as written in the file */
  char *name;                 /* instance name */
  int line;                   /* of the entry in the pipeline file (0: none) */
  SluicePlugin *plugin;
  SluiceOptions *options;
  gpointer instance;
  gboolean created;
  gboolean isolate;
  guint timeout_ms;
  gpointer isolate_state;     /* owned by isolate.c */
} SluiceStageInstance;

typedef struct {
  char *file;                 /* NULL for the embedded default */
  char *dir;
  char **plugin_path;         /* resolved */
  SluiceOnError on_error;
  gboolean reject_invalid_utf8;
  gsize max_document_bytes;
  char *output_format;        /* NULL: not given */
  gboolean emit_views;
  GPtrArray *stages;          /* SluiceStageInstance* */
  GPtrArray *warnings;        /* char*: "FILE:LINE: message" lines worth showing */
} SluicePipeline;

#define SLUICE_DEFAULT_MAX_DOCUMENT_BYTES (16u * 1024 * 1024)

/* The embedded default pipeline text. */
SLUICE_INTERNAL const char *sluice_default_pipeline_text (void);

/* Parses and validates a pipeline file (or the default when file == NULL),
 * loads the plugins and validates every option, collecting all problems
 * into one error of "FILE:LINE: message" lines.  `only` (may be NULL) keeps
 * the named stages.  `extra_plugin_path` comes from the command line.
 * Does not call create(). */
SLUICE_INTERNAL SluicePipeline *sluice_pipeline_load (const char *file,
                                                      const char *const *only,
                                                      const char *const *extra_plugin_path,
                                                      GError **error);
/* Calls create() on every stage, in order. */
SLUICE_INTERNAL gboolean sluice_pipeline_create_stages (SluicePipeline *p, GError **error);
SLUICE_INTERNAL void sluice_pipeline_free (SluicePipeline *p);

/* ----------------------------------------------------------------- reader */

typedef enum {
  SLUICE_INPUT_AUTO = 0,      /* .jsonl / .ndjson files are JSONL, the rest text */
  SLUICE_INPUT_TEXT,
  SLUICE_INPUT_JSONL,
} SluiceInputFormat;

typedef struct _SluiceReader SluiceReader;

SLUICE_INTERNAL SluiceReader *sluice_reader_new (const char *const *inputs,
                                                 SluiceInputFormat format,
                                                 gsize max_document_bytes,
                                                 gboolean reject_invalid_utf8,
                                                 gboolean keep_views);
/* The next document; NULL with *error set for an input problem (a file that
 * cannot be read, a malformed line, a rejected document: report it and call
 * again); NULL without error at the end.  `source` of the problem, if any,
 * is in the error message. */
SLUICE_INTERNAL SluiceDocument *sluice_reader_next (SluiceReader *r, GError **error);
SLUICE_INTERNAL void sluice_reader_free (SluiceReader *r);

/* ----------------------------------------------------------------- runner */

typedef enum {
  SLUICE_OUTPUT_JSONL = 0,
  SLUICE_OUTPUT_TEXT,
} SluiceOutputFormat;

/* Exit codes of the command (documented in README.md). */
enum {
  SLUICE_EXIT_OK = 0,
  SLUICE_EXIT_DOC_FAILED = 1,
  SLUICE_EXIT_CONFIG = 2,
  SLUICE_EXIT_IO = 3,
  SLUICE_EXIT_ABORTED = 4,
  SLUICE_EXIT_LOCKED = 5,
};

/* Set (to the signal number) by the command's SIGINT/SIGTERM handler: the
 * reader stops reading, the runner finishes and writes what it has read. */
SLUICE_INTERNAL extern volatile sig_atomic_t sluice_stop_requested;

typedef struct {
  guint64 documents;          /* read */
  guint64 written;
  guint64 failed;             /* documents on which a stage failed */
  guint64 skipped;            /* failed and left out */
  guint64 input_errors;       /* unreadable files, malformed lines, rejected documents */
  guint64 unprocessed;        /* read but dropped because the run stopped */
  gboolean aborted;
  int interrupted;            /* signal number, 0 if none */
  gboolean io_failed;
  char *io_error;
  char *abort_reason;
  gboolean errors_failed;     /* the error report could not be written */
} SluiceRunStats;

typedef struct {
  SluicePipeline *pipeline;
  guint jobs;                 /* 0: number of cores */
  guint queue_depth;          /* documents in flight; 0: 4 x jobs */
  SluiceOutputFormat output_format;
  gboolean emit_views;
  FILE *out;                  /* output stream */
  const char *out_name;       /* for messages */
  FILE *errors;               /* error report stream */
  gboolean errors_json;       /* JSONL error records instead of lines */
} SluiceRunConfig;

#define SLUICE_MAX_JOBS 1024
#define SLUICE_MAX_QUEUE_DEPTH 65536

/* Runs the pipeline over the reader's documents, writing to cfg->out with
 * write(2) in whole documents (stdio buffering of cfg->out is bypassed). */
SLUICE_INTERNAL void sluice_run (const SluiceRunConfig *cfg, SluiceReader *reader,
                                 SluiceRunStats *stats);
SLUICE_INTERNAL void sluice_run_stats_clear (SluiceRunStats *stats);
SLUICE_INTERNAL int sluice_run_exit_code (const SluiceRunStats *stats);

/* Runs one document through the stages (used by the runner and batch). */
SLUICE_INTERNAL gboolean sluice_process_document (SluicePipeline *p, SluiceDocument *doc,
                                                  FILE *errors, gboolean errors_json,
                                                  GMutex *errors_lock, gboolean *abort);
/* Runs one stage on one document in a child process (isolate = true):
 * a crash, abort or a hang past timeout_ms fails only this document. */
SLUICE_INTERNAL SluiceStatus sluice_isolate_process (SluiceStageInstance *st, SluiceDocument *doc,
                                                     GError **error);
SLUICE_INTERNAL void sluice_isolate_shutdown (SluiceStageInstance *st);

/* Writes one error record; FALSE when writing it failed. */
SLUICE_INTERNAL gboolean sluice_report_error (FILE *errors, gboolean json, GMutex *lock,
                                          const char *id, const char *source,
                                          const char *stage, const char *message);

G_END_DECLS

#endif /* SLUICE_CORE_H */
