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
#include <unistd.h>

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
  guint64 stop_seq;             /* documents from this one on are not written */
  GMutex errors_lock;
  GString *outbuf;
  guint64 pending_docs;         /* documents in outbuf, not yet written */
} Run;

#define OUTPUT_BUFFER (1u << 20)

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
  if (s->io_failed || s->errors_failed)
    return SLUICE_EXIT_IO;
  if (s->interrupted)
    return 128 + s->interrupted;
  if (s->aborted)
    return SLUICE_EXIT_ABORTED;
  if (s->failed > 0 || s->input_errors > 0)
    return SLUICE_EXIT_DOC_FAILED;
  return SLUICE_EXIT_OK;
}

volatile sig_atomic_t sluice_stop_requested;
static gint error_report_failed;   /* atomic */

gboolean
sluice_report_error (FILE *errors, gboolean json, GMutex *lock, const char *id,
                     const char *source, const char *stage, const char *message)
{
  if (errors == NULL)
    return TRUE;
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
  gboolean ok = fwrite (line->str, 1, line->len, errors) == line->len;
  ok = fflush (errors) == 0 && ok;
  if (lock)
    g_mutex_unlock (lock);
  g_string_free (line, TRUE);
  if (!ok)
    g_atomic_int_set (&error_report_failed, 1);
  return ok;
}

gboolean
sluice_process_document (SluicePipeline *p, SluiceDocument *doc, FILE *errors,
                         gboolean errors_json, GMutex *errors_lock, gboolean *abort)
{
  for (guint i = 0; i < p->stages->len; i++)
    {
      SluiceStageInstance *st = g_ptr_array_index (p->stages, i);
      GError *e = NULL;
      sluice_document_set_current_stage (doc, st->name);
      SluiceStatus status;
      if (st->isolate)
        status = sluice_isolate_process (st, doc, &e);
      else
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
      /* Drop the annotations the failing stage added (a rewrite it
       * committed, and metadata it set, stay: see docs/PLUGINS.md). */
      const char *stage_name = sluice_intern (st->name);
      for (guint k = doc->annotations->len; k > 0; k--)
        {
          const SluiceAnnotation *a = g_ptr_array_index (doc->annotations, k - 1);
          if (a->stage == stage_name)
            g_ptr_array_remove_index (doc->annotations, k - 1);
        }
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

/* Writes one document into the output buffer, and the buffer to the file
 * when it is full; FALSE on an output error (recorded in stats).  Output goes
 * through write(2) from our own buffer, in whole documents, so that an
 * interrupted run never leaves half a line and no stdio buffer holds output
 * that a forked child could flush again. */
static gboolean
flush_output (Run *run)
{
  const SluiceRunConfig *cfg = run->cfg;
  GString *out = run->outbuf;
  if (run->stats->io_failed)
    return FALSE;
  gsize done = 0;
  int fd = fileno (cfg->out);
  while (done < out->len)
    {
      ssize_t n = write (fd, out->str + done, out->len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          run->stats->io_failed = TRUE;
          run->stats->io_error = g_strdup_printf ("%s: write failed: %s", cfg->out_name,
                                                  n < 0 ? g_strerror (errno) : "no progress");
          g_string_truncate (out, 0);
          return FALSE;
        }
      done += (gsize) n;
    }
  run->stats->written += run->pending_docs;
  run->pending_docs = 0;
  g_string_truncate (out, 0);
  return TRUE;
}

static gboolean
write_document (Run *run, SluiceDocument *doc)
{
  const SluiceRunConfig *cfg = run->cfg;
  if (run->stats->io_failed)
    return FALSE;
  GString *out = run->outbuf;
  if (cfg->output_format == SLUICE_OUTPUT_TEXT)
    {
      g_string_append_len (out, doc->text, (gssize) doc->len);
      g_string_append_c (out, '\n');
    }
  else
    sluice_json_write_document (out, doc, cfg->emit_views);
  run->pending_docs++;
  if (out->len >= OUTPUT_BUFFER)
    return flush_output (run);
  return TRUE;
}

/* Accounts for a document leaving the pipeline, and writes it unless it was
 * left out or the run stopped before it.  Called in input order. */
static void
finish_document (Run *run, SluiceDocument *doc)
{
  if (doc->failed)
    run->stats->failed++;
  if (doc->seq >= run->stop_seq)
    run->stats->unprocessed++;
  else if (doc->state == SLUICE_DOC_FAILED)
    run->stats->skipped++;
  else if (!write_document (run, doc))
    run->stop_seq = MIN (run->stop_seq, doc->seq + 1);
  sluice_document_free (doc);
}

static void
report_input_error (Run *run, GError *e)
{
  run->stats->input_errors++;
  sluice_report_error (run->cfg->errors, run->cfg->errors_json, &run->errors_lock, NULL, NULL,
                       "reader", e->message);
}

/* Stops reading; documents from `seq` on are not processed nor written. */
static void
stop_at (Run *run, guint64 seq)
{
  run->stop_seq = MIN (run->stop_seq, seq);
}

/* ------------------------------------------------------- single thread */

static void
run_inline (Run *run, SluiceReader *reader)
{
  SluicePipeline *p = run->cfg->pipeline;
  guint64 seq = 0;
  while (seq < run->stop_seq && !sluice_stop_requested)
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
      doc->seq = seq++;
      gboolean abort = FALSE;
      sluice_process_document (p, doc, run->cfg->errors, run->cfg->errors_json,
                               &run->errors_lock, &abort);
      if (abort)
        {
          run->stats->aborted = TRUE;
          /* Everything before the aborting document is written. */
          stop_at (run, doc->seq);
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
  gboolean skip = doc->seq >= run->stop_seq;
  g_mutex_unlock (&run->lock);
  if (!skip)
    sluice_process_document (run->cfg->pipeline, doc, run->cfg->errors, run->cfg->errors_json,
                             &run->errors_lock, &abort);
  g_mutex_lock (&run->lock);
  if (abort)
    {
      run->stats->aborted = TRUE;
      stop_at (run, doc->seq);
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
      /* finish_document reads stop_seq and may lower it (I/O failure);
       * the stats it touches are only written here while the pool runs. */
      finish_document (run, doc);
      run->next_write++;
      g_cond_broadcast (&run->cond);
      if (run->outbuf->len == 0)
        continue;
      /* Write big chunks outside the lock. */
      if (run->pending_docs > 0 && run->outbuf->len >= OUTPUT_BUFFER / 2)
        {
          g_mutex_unlock (&run->lock);
          gboolean ok = flush_output (run);
          g_mutex_lock (&run->lock);
          if (!ok)
            stop_at (run, run->next_write);
        }
    }
  g_mutex_unlock (&run->lock);
  return NULL;
}

static void
run_pool (Run *run, SluiceReader *reader, guint jobs)
{
  GError *e = NULL;
  GThreadPool *pool = g_thread_pool_new (worker, run, (gint) jobs, TRUE, &e);
  GThread *writer = pool ? g_thread_try_new ("sluice-writer", writer_thread, run, &e) : NULL;
  if (pool == NULL || writer == NULL)
    {
      g_printerr ("sluice: warning: cannot start %u worker threads (%s); running on one thread\n",
                  jobs, e->message);
      g_clear_error (&e);
      if (pool)
        g_thread_pool_free (pool, TRUE, TRUE);
      run_inline (run, reader);
      return;
    }
  for (;;)
    {
      g_mutex_lock (&run->lock);
      while (run->next_read - run->next_write >= run->depth && run->next_read < run->stop_seq)
        g_cond_wait (&run->cond, &run->lock);
      gboolean stop = run->next_read >= run->stop_seq || sluice_stop_requested;
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
  run.stop_seq = G_MAXUINT64;
  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);
  g_mutex_init (&run.errors_lock);
  run.outbuf = g_string_sized_new (OUTPUT_BUFFER + (1 << 16));
  /* Whatever stdio holds for this stream goes first. */
  if (fflush (cfg->out) != 0)
    {
      stats->io_failed = TRUE;
      stats->io_error = g_strdup_printf ("%s: write failed: %s", cfg->out_name, g_strerror (errno));
    }
  guint jobs = cfg->jobs ? cfg->jobs : g_get_num_processors ();
  jobs = MIN (jobs, SLUICE_MAX_JOBS);
  if (jobs <= 1)
    run_inline (&run, reader);
  else
    {
      guint depth = cfg->queue_depth ? cfg->queue_depth : jobs * 4;
      run.depth = MIN (depth, SLUICE_MAX_QUEUE_DEPTH);
      run.slots = g_new0 (SluiceDocument *, run.depth);
      run.done = g_new0 (gboolean, run.depth);
      run_pool (&run, reader, jobs);
      g_free (run.slots);
      g_free (run.done);
    }
  flush_output (&run);
  /* We wrote past stdio: tell the FILE where its descriptor now is, or a
   * later ftell()/fwrite() by the caller (sluice batch) would use a stale
   * cached offset. */
  off_t pos = lseek (fileno (cfg->out), 0, SEEK_CUR);
  if (pos >= 0)
    fseeko (cfg->out, pos, SEEK_SET);
  if (sluice_stop_requested)
    stats->interrupted = sluice_stop_requested;
  if (g_atomic_int_get (&error_report_failed))
    stats->errors_failed = TRUE;
  if (stats->aborted && stats->abort_reason == NULL)
    stats->abort_reason = g_strdup ("a stage failed with on_error = \"abort\" or a fatal error");
  g_string_free (run.outbuf, TRUE);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
  g_mutex_clear (&run.errors_lock);
}
