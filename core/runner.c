/* sluice — the streaming runner.
 *
 * The calling thread reads documents and hands them to N workers (a
 * GThreadPool) through a window of `queue_depth` slots; a writer thread
 * writes finished documents strictly in input order.  At most queue_depth
 * documents are in memory at once, however long the stream.  With one job
 * everything runs on the calling thread. */
#include "core.h"
#include <errno.h>
#include <string.h>

typedef struct {
  const SluiceRunConfig *cfg;
  SluiceRunStats *stats;
  GMutex lock;                  /* guards everything below and the stats */
  GCond cond;
  SluiceDocument **slots;
  gboolean *done;
  guint depth;
  guint64 next_read;            /* sequence number of the next document read */
  guint64 next_write;
  gboolean reading_done;
  gboolean abort;
  GMutex errors_lock;
  GString *outbuf;
} Run;

void
sluice_run_stats_clear (SluiceRunStats *stats)
{
  g_free (stats->io_error);
  g_free (stats->abort_reason);
  memset (stats, 0, sizeof *stats);
}

int
sluice_run_exit_code (const SluiceRunStats *s)
{
  if (s->io_failed)
    return SLUICE_EXIT_IO;
  if (s->aborted)
    return SLUICE_EXIT_ABORTED;
  if (s->failed > 0 || s->input_errors > 0)
    return SLUICE_EXIT_DOC_FAILED;
  return SLUICE_EXIT_OK;
}

void
sluice_report_error (FILE *errors, gboolean json, GMutex *lock, const char *id,
                     const char *source, const char *stage, const char *message)
{
  if (errors == NULL)
    return;
  GString *line = g_string_new (NULL);
  if (json)
    {
      g_string_append (line, "{\"id\":");
      if (id)
        sluice_json_append_string (line, id, strlen (id));
      else
        g_string_append (line, "null");
      g_string_append (line, ",\"source\":");
      if (source)
        sluice_json_append_string (line, source, strlen (source));
      else
        g_string_append (line, "null");
      g_string_append (line, ",\"stage\":");
      if (stage)
        sluice_json_append_string (line, stage, strlen (stage));
      else
        g_string_append (line, "null");
      g_string_append (line, ",\"message\":");
      sluice_json_append_string (line, message, strlen (message));
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *ts = g_date_time_format_iso8601 (now);
      g_string_append (line, ",\"time\":");
      sluice_json_append_string (line, ts, strlen (ts));
      g_string_append (line, "}\n");
    }
  else
    {
      g_string_append (line, "sluice: error: ");
      if (id && stage)
        g_string_append_printf (line, "%s: document '%s': stage '%s': %s\n",
                                source ? source : "?", id, stage, message);
      else
        g_string_append_printf (line, "%s\n", message);
    }
  if (lock)
    g_mutex_lock (lock);
  fwrite (line->str, 1, line->len, errors);
  fflush (errors);
  if (lock)
    g_mutex_unlock (lock);
  g_string_free (line, TRUE);
}

gboolean
sluice_process_document (SluicePipeline *p, SluiceDocument *doc, FILE *errors,
                         gboolean errors_json, GMutex *errors_lock, gboolean *abort)
{
  for (guint i = 0; i < p->stages->len; i++)
    {
      SluiceStageInstance *st = g_ptr_array_index (p->stages, i);
      guint n_before = doc->annotations->len;
      GError *e = NULL;
      sluice_document_set_current_stage (doc, st->name);
      SluiceStatus status;
#ifdef SLUICE_HAVE_ISOLATE
      if (st->isolate)
        status = sluice_isolate_process (st, doc, &e);
      else
#endif
        status = st->plugin->desc->process (st->instance, doc, &e);
      sluice_document_set_current_stage (doc, NULL);
      if (status == SLUICE_OK)
        {
          g_clear_error (&e);
          continue;
        }
      const char *msg = e ? e->message : "the stage failed without saying why";
      g_autofree char *full = NULL;
      if (status == SLUICE_FATAL)
        full = g_strdup_printf ("fatal: %s; the run stops", msg);
      else if (p->on_error == SLUICE_ON_ERROR_ABORT)
        full = g_strdup_printf ("%s; the run stops (on_error = \"abort\")", msg);
      else if (p->on_error == SLUICE_ON_ERROR_SKIP)
        full = g_strdup_printf ("%s; document left out (on_error = \"skip\")", msg);
      else
        full = g_strdup_printf ("%s; document passed on without this stage's annotations "
                                "(on_error = \"pass\")", msg);
      sluice_report_error (errors, errors_json, errors_lock, doc->id, doc->source, st->name, full);
      g_clear_error (&e);
      doc->failed = TRUE;
      /* Drop whatever the failing stage added. */
      if (doc->annotations->len > n_before)
        g_ptr_array_remove_range (doc->annotations, n_before, doc->annotations->len - n_before);
      if (status == SLUICE_FATAL || p->on_error == SLUICE_ON_ERROR_ABORT)
        {
          *abort = TRUE;
          doc->state = SLUICE_DOC_FAILED;
          return FALSE;
        }
      if (p->on_error == SLUICE_ON_ERROR_SKIP)
        {
          doc->state = SLUICE_DOC_FAILED;
          return FALSE;
        }
    }
  doc->state = SLUICE_DOC_DONE;
  return TRUE;
}

/* Writes one document; FALSE on an output error (recorded in stats). */
static gboolean
write_document (Run *run, SluiceDocument *doc)
{
  const SluiceRunConfig *cfg = run->cfg;
  if (run->stats->io_failed)
    return FALSE;
  GString *out = run->outbuf;
  g_string_truncate (out, 0);
  if (cfg->output_format == SLUICE_OUTPUT_TEXT)
    {
      g_string_append_len (out, doc->text, (gssize) doc->len);
      g_string_append_c (out, '\n');
    }
  else
    sluice_json_write_document (out, doc, cfg->emit_views);
  if (fwrite (out->str, 1, out->len, cfg->out) != out->len || ferror (cfg->out))
    {
      run->stats->io_failed = TRUE;
      run->stats->io_error = g_strdup_printf ("%s: write failed: %s", cfg->out_name,
                                              g_strerror (errno));
      return FALSE;
    }
  run->stats->written++;
  return TRUE;
}

static void
finish_document (Run *run, SluiceDocument *doc)
{
  if (doc->failed)
    run->stats->failed++;
  if (doc->state == SLUICE_DOC_FAILED)
    run->stats->skipped++;
  else if (!run->abort && !write_document (run, doc))
    run->abort = TRUE;
  sluice_document_free (doc);
}

static void
report_input_error (Run *run, GError *e)
{
  run->stats->input_errors++;
  sluice_report_error (run->cfg->errors, run->cfg->errors_json, &run->errors_lock, NULL, NULL,
                       "reader", e->message);
}

/* ------------------------------------------------------- single thread */

static void
run_inline (Run *run, SluiceReader *reader)
{
  SluicePipeline *p = run->cfg->pipeline;
  while (!run->abort)
    {
      GError *e = NULL;
      SluiceDocument *doc = sluice_reader_next (reader, &e);
      if (doc == NULL)
        {
          if (e == NULL)
            break;
          report_input_error (run, e);
          g_error_free (e);
          continue;
        }
      run->stats->documents++;
      gboolean abort = FALSE;
      sluice_process_document (p, doc, run->cfg->errors, run->cfg->errors_json,
                               &run->errors_lock, &abort);
      if (abort)
        {
          run->stats->aborted = TRUE;
          run->abort = TRUE;
        }
      finish_document (run, doc);
    }
}

/* --------------------------------------------------------- thread pool */

static void
worker (gpointer data, gpointer user_data)
{
  Run *run = user_data;
  SluiceDocument *doc = data;
  gboolean abort = FALSE;
  g_mutex_lock (&run->lock);
  gboolean skip = run->abort;
  g_mutex_unlock (&run->lock);
  if (!skip)
    sluice_process_document (run->cfg->pipeline, doc, run->cfg->errors, run->cfg->errors_json,
                             &run->errors_lock, &abort);
  else
    doc->state = SLUICE_DOC_FAILED;
  g_mutex_lock (&run->lock);
  if (abort)
    {
      run->abort = TRUE;
      run->stats->aborted = TRUE;
    }
  run->done[doc->seq % run->depth] = TRUE;
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
}

static gpointer
writer_thread (gpointer data)
{
  Run *run = data;
  g_mutex_lock (&run->lock);
  for (;;)
    {
      guint slot = (guint) (run->next_write % run->depth);
      while (!(run->next_write < run->next_read && run->done[slot])
             && !(run->reading_done && run->next_write == run->next_read))
        g_cond_wait (&run->cond, &run->lock);
      if (run->reading_done && run->next_write == run->next_read)
        break;
      SluiceDocument *doc = run->slots[slot];
      run->slots[slot] = NULL;
      run->done[slot] = FALSE;
      g_mutex_unlock (&run->lock);
      /* Writing happens outside the lock; stats fields touched here are
       * only written by this thread while the pool runs. */
      gboolean was_abort = run->abort;
      if (doc->failed)
        run->stats->failed++;
      if (doc->state == SLUICE_DOC_FAILED)
        run->stats->skipped++;
      else if (!was_abort && !write_document (run, doc))
        {
          g_mutex_lock (&run->lock);
          run->abort = TRUE;
          g_mutex_unlock (&run->lock);
        }
      sluice_document_free (doc);
      g_mutex_lock (&run->lock);
      run->next_write++;
      g_cond_broadcast (&run->cond);
    }
  g_mutex_unlock (&run->lock);
  return NULL;
}

static void
run_pool (Run *run, SluiceReader *reader, guint jobs)
{
  GError *e = NULL;
  GThreadPool *pool = g_thread_pool_new (worker, run, (gint) jobs, TRUE, &e);
  if (pool == NULL)
    {
      g_warning ("cannot start worker threads (%s); running on one thread", e->message);
      g_error_free (e);
      run_inline (run, reader);
      return;
    }
  GThread *writer = g_thread_new ("sluice-writer", writer_thread, run);
  for (;;)
    {
      g_mutex_lock (&run->lock);
      while (run->next_read - run->next_write >= run->depth && !run->abort)
        g_cond_wait (&run->cond, &run->lock);
      gboolean stop = run->abort;
      g_mutex_unlock (&run->lock);
      if (stop)
        break;
      SluiceDocument *doc = sluice_reader_next (reader, &e);
      if (doc == NULL)
        {
          if (e == NULL)
            break;
          g_mutex_lock (&run->lock);
          report_input_error (run, e);
          g_mutex_unlock (&run->lock);
          g_clear_error (&e);
          continue;
        }
      g_mutex_lock (&run->lock);
      run->stats->documents++;
      doc->seq = run->next_read++;
      guint slot = (guint) (doc->seq % run->depth);
      run->slots[slot] = doc;
      run->done[slot] = FALSE;
      g_mutex_unlock (&run->lock);
      g_thread_pool_push (pool, doc, NULL);
    }
  g_mutex_lock (&run->lock);
  run->reading_done = TRUE;
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_thread_join (writer);
}

void
sluice_run (const SluiceRunConfig *cfg, SluiceReader *reader, SluiceRunStats *stats)
{
  Run run = { 0 };
  run.cfg = cfg;
  run.stats = stats;
  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);
  g_mutex_init (&run.errors_lock);
  run.outbuf = g_string_sized_new (1 << 16);
  guint jobs = cfg->jobs ? cfg->jobs : g_get_num_processors ();
  if (jobs <= 1)
    run_inline (&run, reader);
  else
    {
      run.depth = cfg->queue_depth ? cfg->queue_depth : jobs * 4;
      run.slots = g_new0 (SluiceDocument *, run.depth);
      run.done = g_new0 (gboolean, run.depth);
      run_pool (&run, reader, jobs);
      g_free (run.slots);
      g_free (run.done);
    }
  if (!stats->io_failed && fflush (cfg->out) != 0)
    {
      stats->io_failed = TRUE;
      stats->io_error = g_strdup_printf ("%s: write failed: %s", cfg->out_name, g_strerror (errno));
    }
  if (stats->aborted && stats->abort_reason == NULL)
    stats->abort_reason = g_strdup ("a stage failed with on_error = \"abort\" or a fatal error");
  g_string_free (run.outbuf, TRUE);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
  g_mutex_clear (&run.errors_lock);
}
