/* sluice run / sluice check. */
#include "cli.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static const char *const bundled_stages[] = { "clean", "entities", "numbers", "translit" };

/* The default pipeline holds every bundled stage that is installed. */
static char **
default_stage_selection (const char *const *extra_path, gboolean verbose)
{
  g_auto (GStrv) path = sluice_plugin_search_path (extra_path);
  GPtrArray *a = g_ptr_array_new ();
  for (guint i = 0; i < G_N_ELEMENTS (bundled_stages); i++)
    {
      GError *e = NULL;
      char *f = sluice_plugin_find (bundled_stages[i], (const char *const *) path, &e);
      if (f)
        g_ptr_array_add (a, g_strdup (bundled_stages[i]));
      else
        {
          if (verbose)
            fprintf (stderr, "sluice: default pipeline: stage '%s' is not installed; left out\n",
                     bundled_stages[i]);
          g_clear_error (&e);
        }
      g_free (f);
    }
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

static char **
split_stages (const char *s)
{
  char **parts = g_strsplit (s, ",", -1);
  guint k = 0;
  for (guint i = 0; parts[i]; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i])
        parts[k++] = parts[i];
      else
        g_free (parts[i]);
    }
  parts[k] = NULL;
  return parts;
}

int
sluice_cmd_run (int argc, char **argv)
{
  g_autofree char *config = NULL, *stages = NULL, *in_fmt = NULL, *out_fmt = NULL;
  g_autofree char *output = NULL, *errors_file = NULL;
  g_auto (GStrv) plugin_path = NULL;
  gint jobs = 0, queue_depth = 0;
  gboolean emit_views = FALSE, quiet = FALSE, verbose = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Pipeline file (default: the built-in pipeline of every bundled stage)", "FILE" },
    { "stages", 's', 0, G_OPTION_ARG_STRING, &stages, "Run only these stages of the pipeline, in pipeline order", "A,B" },
    { "input-format", 'i', 0, G_OPTION_ARG_STRING, &in_fmt, "text, jsonl or auto (default: auto: .jsonl/.ndjson files are JSONL)", "FMT" },
    { "output-format", 'f', 0, G_OPTION_ARG_STRING, &out_fmt, "jsonl (default) or text", "FMT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE instead of stdout", "FILE" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Worker threads (default: number of cores)", "N" },
    { "errors", 'e', 0, G_OPTION_ARG_FILENAME, &errors_file, "Write the error report as JSONL to FILE (default: lines on stderr)", "FILE" },
    { "emit-views", 0, 0, G_OPTION_ARG_NONE, &emit_views, "Add the texts before each rewrite to the output (\"views\")", NULL },
    { "plugin-path", 'P', 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_path, "Look for stages in DIR first (repeatable)", "DIR" },
    { "queue-depth", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &queue_depth, "Documents in flight", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary line, even when documents failed", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Always print the summary line", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("[INPUT...] - process documents");
  g_option_context_set_summary (ctx,
    "INPUT: files, directories (recursed in sorted order, hidden entries skipped) or - for\n"
    "stdin (the default).  A .jsonl file, or any input with --input-format jsonl, holds one\n"
    "document per line: {\"id\": ..., \"text\": ..., \"meta\": {...}}.  Any other file is one\n"
    "document whose id is its base name without extension.");
  g_option_context_set_description (ctx,
    "Exit codes: 0 all documents processed; 1 some documents failed (see the error report);\n"
    "2 configuration, plugin or usage error before any document; 3 output I/O failure;\n"
    "4 run aborted by a stage (fatal error or on_error = \"abort\").");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!sluice_cli_parse (ctx, &argc, &argv))
    return SLUICE_EXIT_CONFIG;

  int rc = SLUICE_EXIT_CONFIG;
  SluiceInputFormat input_format = SLUICE_INPUT_AUTO;
  if (in_fmt)
    {
      if (strcmp (in_fmt, "text") == 0)
        input_format = SLUICE_INPUT_TEXT;
      else if (strcmp (in_fmt, "jsonl") == 0)
        input_format = SLUICE_INPUT_JSONL;
      else if (strcmp (in_fmt, "auto") != 0)
        {
          sluice_cli_error ("--input-format must be text, jsonl or auto, not '%s'", in_fmt);
          return SLUICE_EXIT_CONFIG;
        }
    }
  if (out_fmt && strcmp (out_fmt, "jsonl") != 0 && strcmp (out_fmt, "text") != 0)
    {
      sluice_cli_error ("--output-format must be jsonl or text, not '%s'", out_fmt);
      return SLUICE_EXIT_CONFIG;
    }
  if (jobs < 0 || jobs > SLUICE_MAX_JOBS || queue_depth < 0 || queue_depth > SLUICE_MAX_QUEUE_DEPTH)
    {
      sluice_cli_error ("--jobs must be between 1 and %d, --queue-depth between 1 and %d",
                        SLUICE_MAX_JOBS, SLUICE_MAX_QUEUE_DEPTH);
      return SLUICE_EXIT_CONFIG;
    }

  g_auto (GStrv) only = NULL;
  if (stages)
    only = split_stages (stages);
  else if (config == NULL)
    only = default_stage_selection ((const char *const *) plugin_path, verbose);

  GError *e = NULL;
  SluicePipeline *p = sluice_pipeline_load (config, (const char *const *) only,
                                            (const char *const *) plugin_path, &e);
  if (p == NULL)
    {
      fprintf (stderr, "sluice: error: invalid pipeline:\n%s\n", e->message);
      g_error_free (e);
      return SLUICE_EXIT_CONFIG;
    }
  for (guint i = 0; i < p->warnings->len && !quiet; i++)
    fprintf (stderr, "sluice: warning: %s\n", (char *) g_ptr_array_index (p->warnings, i));
  if (!sluice_pipeline_create_stages (p, &e))
    {
      sluice_cli_error ("%s", e->message);
      g_error_free (e);
      sluice_pipeline_free (p);
      return SLUICE_EXIT_CONFIG;
    }

  SluiceRunConfig cfg = { 0 };
  cfg.pipeline = p;
  cfg.jobs = (guint) jobs;
  cfg.queue_depth = (guint) queue_depth;
  const char *fmt = out_fmt ? out_fmt : p->output_format ? p->output_format : "jsonl";
  cfg.output_format = strcmp (fmt, "text") == 0 ? SLUICE_OUTPUT_TEXT : SLUICE_OUTPUT_JSONL;
  cfg.emit_views = emit_views || p->emit_views;
  cfg.errors = stderr;
  cfg.errors_json = FALSE;
  FILE *errf = NULL;
  if (errors_file)
    {
      errf = fopen (errors_file, "w");
      if (errf == NULL)
        {
          sluice_cli_error ("%s: cannot open the error report: %s", errors_file, g_strerror (errno));
          sluice_pipeline_free (p);
          return SLUICE_EXIT_IO;
        }
      cfg.errors = errf;
      cfg.errors_json = TRUE;
    }
  FILE *out = stdout;
  if (output && strcmp (output, "-") != 0)
    {
      /* Opening the output truncates it: never when it is one of the inputs. */
      struct stat ost;
      if (stat (output, &ost) == 0 && S_ISREG (ost.st_mode))
        for (int i = 1; i < argc; i++)
          {
            struct stat ist;
            if (stat (argv[i], &ist) == 0 && ist.st_dev == ost.st_dev && ist.st_ino == ost.st_ino)
              {
                sluice_cli_error ("%s: the output file is also an input; refusing to overwrite it",
                                  output);
                if (errf)
                  fclose (errf);
                sluice_pipeline_free (p);
                return SLUICE_EXIT_CONFIG;
              }
          }
      out = fopen (output, "w");
      if (out == NULL)
        {
          sluice_cli_error ("%s: cannot open for writing: %s", output, g_strerror (errno));
          if (errf)
            fclose (errf);
          sluice_pipeline_free (p);
          return SLUICE_EXIT_IO;
        }
    }
  cfg.out = out;
  cfg.out_name = output && strcmp (output, "-") != 0 ? output : "<stdout>";
  /* Big stdio buffer: output is written in document-sized chunks anyway. */
  setvbuf (out, NULL, _IOFBF, 1 << 20);

  SluiceReader *reader = sluice_reader_new ((const char *const *) (argc > 1 ? argv + 1 : NULL),
                                            input_format, p->max_document_bytes,
                                            p->reject_invalid_utf8, cfg.emit_views);
  SluiceRunStats stats = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  sluice_run (&cfg, reader, &stats);
  double secs = (double) (g_get_monotonic_time () - t0) / 1e6;
  sluice_reader_free (reader);

  if (out != stdout)
    {
      if (fclose (out) != 0 && !stats.io_failed)
        {
          stats.io_failed = TRUE;
          stats.io_error = g_strdup_printf ("%s: write failed: %s", cfg.out_name, g_strerror (errno));
        }
    }
  else if (fflush (stdout) != 0 && !stats.io_failed)
    {
      stats.io_failed = TRUE;
      stats.io_error = g_strdup_printf ("<stdout>: write failed: %s", g_strerror (errno));
    }
  if (errf && fclose (errf) != 0 && !stats.io_failed)
    {
      stats.io_failed = TRUE;
      stats.io_error = g_strdup_printf ("%s: write failed: %s", errors_file, g_strerror (errno));
    }
  if (stats.io_failed)
    sluice_cli_error ("%s", stats.io_error);
  if (stats.errors_failed)
    sluice_cli_error ("%s: writing the error report failed; some problems were not recorded",
                      errors_file ? errors_file : "<stderr>");
  rc = sluice_run_exit_code (&stats);
  if (verbose || (!quiet && rc != SLUICE_EXIT_OK))
    {
      g_autofree char *stopped = NULL;
      if (stats.interrupted)
        stopped = g_strdup_printf ("; stopped by %s, %" G_GUINT64_FORMAT " read documents not written",
                                   g_strsignal (stats.interrupted), stats.unprocessed);
      else if (stats.aborted)
        stopped = g_strdup_printf ("; aborted (%s), %" G_GUINT64_FORMAT " later documents not written",
                                   stats.abort_reason, stats.unprocessed);
      fprintf (stderr,
               "sluice: %" G_GUINT64_FORMAT " documents read, %" G_GUINT64_FORMAT " written, %"
               G_GUINT64_FORMAT " failed (%" G_GUINT64_FORMAT " left out), %" G_GUINT64_FORMAT
               " input errors%s, %.2f s\n",
               stats.documents, stats.written, stats.failed, stats.skipped, stats.input_errors,
               stopped ? stopped : "", secs);
    }
  sluice_run_stats_clear (&stats);
  sluice_pipeline_free (p);
  return rc;
}

int
sluice_cmd_check (int argc, char **argv)
{
  g_autofree char *config = NULL;
  g_auto (GStrv) plugin_path = NULL;
  gboolean no_create = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Pipeline file to check", "FILE" },
    { "plugin-path", 'P', 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_path, "Look for stages in DIR first (repeatable)", "DIR" },
    { "no-create", 0, 0, G_OPTION_ARG_NONE, &no_create, "Do not create the stages (skips loading their data files)", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("[-c] FILE - validate a pipeline file");
  g_option_context_set_summary (ctx,
    "Checks libconfig syntax, every setting and every stage option against the stage's\n"
    "declarations, and (unless --no-create) creates each stage so that its data files are\n"
    "loaded and checked.  Problems are printed as FILE:LINE: message.  Exit 0 when valid, 2\n"
    "when not.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!sluice_cli_parse (ctx, &argc, &argv))
    return SLUICE_EXIT_CONFIG;
  if (config == NULL && argc > 1)
    config = g_strdup (argv[1]);
  if (config == NULL)
    {
      sluice_cli_error ("sluice check needs a pipeline file (-c FILE)");
      return SLUICE_EXIT_CONFIG;
    }
  GError *e = NULL;
  SluicePipeline *p = sluice_pipeline_load (config, NULL, (const char *const *) plugin_path, &e);
  int rc = SLUICE_EXIT_OK;
  for (guint i = 0; p && i < p->warnings->len; i++)
    fprintf (stderr, "warning: %s\n", (char *) g_ptr_array_index (p->warnings, i));
  if (p == NULL)
    {
      fprintf (stderr, "%s\n", e->message);
      g_error_free (e);
      rc = SLUICE_EXIT_CONFIG;
    }
  else if (!no_create && !sluice_pipeline_create_stages (p, &e))
    {
      fprintf (stderr, "%s\n", e->message);
      g_error_free (e);
      rc = SLUICE_EXIT_CONFIG;
    }
  else
    printf ("%s: ok (%u stage%s)\n", config, p->stages->len, p->stages->len == 1 ? "" : "s");
  sluice_pipeline_free (p);
  return rc;
}
