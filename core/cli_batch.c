/* sluice batch — unattended processing of an incoming folder (issue 7).
 *
 * Run from cron or a systemd timer.  Every run:
 *   1. takes an flock on INBOX/.sluice-batch.lock (a second run exits with 5);
 *   2. opens the state database and finishes what a killed run left half done
 *      (see "Commit protocol" below), then deletes stale temporary files;
 *   3. lists the complete files of the inbox (no hidden, .part, .tmp or
 *      .error.json names, nothing modified within --settle-seconds), oldest first;
 *   4. processes them: .txt / .jsonl through the ordinary runner, RSS and Atom
 *      feeds item by item, skipping items already recorded in the state
 *      database;
 *   5. prints one summary line on stderr (nothing when there was nothing to do).
 *
 * Commit protocol.  A "unit" is what becomes one output file: one input file
 * (--out-mode file) or all the files of the run (--out-mode run).
 *   a. BEGIN; INSERT the unit row (its temporary file name) — ids never repeat;
 *      documents go to OUT/.sluice-tmp.<unit>.<name>; feed item keys are
 *      inserted into `items` tagged with the unit as they are read;
 *   b. fflush + fsync the temporary file, fsync OUT; INSERT the identities
 *      (name, device, inode, size, mtime) of the unit's inputs; COMMIT;
 *   c. rename the temporary file to its final name; fsync OUT;
 *   d. move the inputs to --done (or delete them); fsync both folders;
 *   e. DELETE the unit row and its inputs; COMMIT.
 * Recovery, for every unit row found at start (i.e. a run died between b and e):
 *   - temporary file still there: the rename (c) never happened; delete the
 *     file, the unit and its item keys; the inputs are processed again;
 *   - temporary file gone: the output is in place (or already taken away by a
 *     consumer); move the inputs that are still in the inbox with the same
 *     identity, then drop the unit.
 * A run killed before b leaves no unit row: SQLite rolls the transaction
 * back (item keys included) and the temporary file is deleted as stale.  So
 * whatever instant a run dies at, each input's documents end up in exactly
 * one complete output file. */
#define _GNU_SOURCE 1
#include "cli.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include "batch_feed.c"

#define TMP_PREFIX ".sluice-tmp."
#define LOCK_NAME ".sluice-batch.lock"
#define STATE_NAME ".sluice-state.sqlite"

typedef enum { KIND_TEXT, KIND_JSONL, KIND_FEED } InputKind;

typedef struct {
  char *name;                   /* base name in the inbox */
  char *path;                   /* INBOX/name */
  struct stat st;
} Candidate;

typedef struct {
  gint64 id;
  char *tmp_name;
  char *tmp_path;
  char *want_name;              /* preferred final name */
  char *final_name;
  FILE *fp;
  guint64 documents;
  GPtrArray *inputs;            /* Candidate*, borrowed */
} Unit;

typedef struct {
  /* options */
  char *config, *inbox, *out, *done, *failed, *state;
  char **plugin_path;
  gboolean delete_done, verbose, json_log, run_mode;
  gint settle, max_seconds, max_files, jobs;

  /* run */
  SluicePipeline *p;
  gboolean stages_created;
  sqlite3 *db;
  sqlite3_stmt *q_item_find, *q_item_add;
  int inbox_fd, out_fd, done_fd, failed_fd;
  SluiceOutputFormat out_format;
  const char *out_ext;
  gboolean emit_views;
  gint64 t0;
  char *stamp;                  /* UTC time of the run, for file names */
  GString *buf;

  /* outcome */
  guint files, failed_files, deferred, remaining, recovered;
  guint64 documents, skipped, doc_errors;
  gboolean io_failed, aborted;
} Batch;

/* ------------------------------------------------------------- logging */

static void
log_json_line (Batch *b, const char *event, const char *first_key, ...)
{
  GString *s = g_string_new ("{\"event\":");
  sluice_json_append_string (s, event, strlen (event));
  va_list ap;
  va_start (ap, first_key);
  for (const char *k = first_key; k; k = va_arg (ap, const char *))
    {
      const char *v = va_arg (ap, const char *);
      g_string_append_c (s, ',');
      sluice_json_append_string (s, k, strlen (k));
      g_string_append_c (s, ':');
      if (v)
        sluice_json_append_string (s, v, strlen (v));
      else
        g_string_append (s, "null");
    }
  va_end (ap);
  g_string_append (s, "}\n");
  fputs (s->str, stderr);
  g_string_free (s, TRUE);
}

/* An error that stops the run: output folder, state database, moves. */
static void
io_error (Batch *b, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
static void
io_error (Batch *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  b->io_failed = TRUE;
  if (b->json_log)
    log_json_line (b, "error", "message", msg, NULL);
  else
    sluice_cli_error ("%s", msg);
}

static void
log_info (Batch *b, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
static void
log_info (Batch *b, const char *fmt, ...)
{
  if (!b->verbose)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (b->json_log)
    log_json_line (b, "info", "message", msg, NULL);
  else
    fprintf (stderr, "sluice batch: %s\n", msg);
}

static char *
now_iso (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

/* Test hook: SLUICE_BATCH_KILL_AT=STEP[:N] kills the process with SIGKILL
 * the Nth time (default 1st) it reaches STEP (begin, written, committed,
 * renamed, retired, reported, recovering), so that the end-to-end tests can stop a run at
 * every step of the commit protocol, not only at random instants. */
static void
crash_point (const char *step)
{
  static const char *spec = NULL;
  static gboolean init = FALSE;
  static guint count = 0;
  if (!init)
    {
      spec = g_getenv ("SLUICE_BATCH_KILL_AT");
      init = TRUE;
    }
  if (spec == NULL)
    return;
  gsize n = strlen (step);
  if (strncmp (spec, step, n) != 0 || (spec[n] != '\0' && spec[n] != ':'))
    return;
  guint want = spec[n] == ':' ? (guint) atoi (spec + n + 1) : 1;
  if (++count >= want)
    kill (getpid (), SIGKILL);
}

/* ------------------------------------------------------------ files */

static gboolean
fsync_dir (int fd)
{
  return fsync (fd) == 0 || errno == EINVAL || errno == EROFS;
}

static gboolean
exists_at (int dirfd, const char *name)
{
  struct stat st;
  return fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Candidate names for `name` in a folder where it may already exist:
 * name, then stem.STAMP.ext, then stem.STAMP-N.ext. */
static char *
variant_name (const char *name, const char *stamp, guint n)
{
  if (n == 0)
    return g_strdup (name);
  const char *dot = strrchr (name, '.');
  if (dot == NULL || dot == name)
    dot = name + strlen (name);
  g_autofree char *stem = g_strndup (name, (gsize) (dot - name));
  if (n == 1)
    return g_strdup_printf ("%s.%s%s", stem, stamp, dot);
  return g_strdup_printf ("%s.%s-%u%s", stem, stamp, n, dot);
}

/* Renames without replacing an existing file; falls back to rename() where
 * the file system does not support RENAME_NOREPLACE. */
static int
rename_noreplace (int from_fd, const char *from, int to_fd, const char *to)
{
#ifdef RENAME_NOREPLACE
  if (renameat2 (from_fd, from, to_fd, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return -1;
#endif
  if (exists_at (to_fd, to))
    {
      errno = EEXIST;
      return -1;
    }
  return renameat (from_fd, from, to_fd, to);
}

/* Copies a file across file systems: temporary file, fsync, rename. */
static gboolean
copy_into (int from_fd, const char *from, int to_fd, const char *to, GError **error)
{
  int in = openat (from_fd, from, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s", g_strerror (errno));
      return FALSE;
    }
  g_autofree char *tmp = g_strdup_printf (TMP_PREFIX "copy.%s", to);
  int outfd = openat (to_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (outfd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s", g_strerror (errno));
      close (in);
      return FALSE;
    }
  char buf[1 << 16];
  gboolean ok = TRUE;
  for (;;)
    {
      ssize_t n = read (in, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          ok = n == 0;
          break;
        }
      for (ssize_t w = 0; w < n;)
        {
          ssize_t k = write (outfd, buf + w, (size_t) (n - w));
          if (k < 0 && errno == EINTR)
            continue;
          if (k < 0)
            {
              ok = FALSE;
              break;
            }
          w += k;
        }
      if (!ok)
        break;
    }
  int saved = errno;
  if (ok && fsync (outfd) != 0)
    ok = FALSE, saved = errno;
  close (in);
  if (close (outfd) != 0 && ok)
    ok = FALSE, saved = errno;
  if (ok && rename_noreplace (to_fd, tmp, to_fd, to) != 0)
    ok = FALSE, saved = errno;
  if (!ok)
    {
      unlinkat (to_fd, tmp, 0);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s", g_strerror (saved));
    }
  return ok;
}

/* Moves inbox file `name` into the folder `to_fd` under a name that does not
 * exist there yet; the chosen name in *final.  Both folders are fsync'd. */
static gboolean
move_into (Batch *b, const char *name, int to_fd, const char *to_dir, char **final, GError **error)
{
  for (guint n = 0; n < 1000; n++)
    {
      g_autofree char *cand = variant_name (name, b->stamp, n);
      if (rename_noreplace (b->inbox_fd, name, to_fd, cand) == 0)
        {
          if (!fsync_dir (to_fd) || !fsync_dir (b->inbox_fd))
            {
              g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                           "%s: fsync failed: %s", to_dir, g_strerror (errno));
              return FALSE;
            }
          if (final)
            *final = g_steal_pointer (&cand);
          return TRUE;
        }
      if (errno == EEXIST)
        continue;
      if (errno == EXDEV)
        {
          if (exists_at (to_fd, cand))
            continue;
          GError *e = NULL;
          if (!copy_into (b->inbox_fd, name, to_fd, cand, &e))
            {
              g_set_error (error, G_FILE_ERROR, e->code, "cannot copy %s/%s to %s/%s: %s",
                           b->inbox, name, to_dir, cand, e->message);
              g_error_free (e);
              return FALSE;
            }
          if (!fsync_dir (to_fd) || unlinkat (b->inbox_fd, name, 0) != 0
              || !fsync_dir (b->inbox_fd))
            {
              g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                           "cannot remove %s/%s after copying it: %s", b->inbox, name,
                           g_strerror (errno));
              return FALSE;
            }
          if (final)
            *final = g_steal_pointer (&cand);
          return TRUE;
        }
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot move %s/%s to %s/: %s", b->inbox, name, to_dir, g_strerror (errno));
      return FALSE;
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "cannot move %s/%s to %s/: no free name",
               b->inbox, name, to_dir);
  return FALSE;
}

/* An input that was processed: moved to --done, or deleted. */
static gboolean
retire_input (Batch *b, const char *name)
{
  GError *e = NULL;
  if (b->delete_done)
    {
      if (unlinkat (b->inbox_fd, name, 0) != 0 && errno != ENOENT)
        {
          io_error (b, "%s/%s: cannot delete: %s", b->inbox, name, g_strerror (errno));
          return FALSE;
        }
      if (!fsync_dir (b->inbox_fd))
        {
          io_error (b, "%s: fsync failed: %s", b->inbox, g_strerror (errno));
          return FALSE;
        }
      return TRUE;
    }
  g_autofree char *final = NULL;
  if (!move_into (b, name, b->done_fd, b->done, &final, &e))
    {
      io_error (b, "%s", e->message);
      g_error_free (e);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------- state */

static gboolean
db_exec (Batch *b, const char *sql)
{
  char *err = NULL;
  if (sqlite3_exec (b->db, sql, NULL, NULL, &err) != SQLITE_OK)
    {
      io_error (b, "%s: state database: %s (%s)", b->state, err ? err : "error", sql);
      sqlite3_free (err);
      return FALSE;
    }
  return TRUE;
}

static sqlite3_stmt *
db_prepare (Batch *b, const char *sql)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (b->db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      io_error (b, "%s: state database: %s", b->state, sqlite3_errmsg (b->db));
      return NULL;
    }
  return st;
}

static gboolean
db_step_done (Batch *b, sqlite3_stmt *st)
{
  int rc = sqlite3_step (st);
  sqlite3_reset (st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      io_error (b, "%s: state database: %s", b->state, sqlite3_errmsg (b->db));
      return FALSE;
    }
  return TRUE;
}

static gboolean
db_open (Batch *b)
{
  if (sqlite3_open_v2 (b->state, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
      != SQLITE_OK)
    {
      io_error (b, "%s: cannot open the state database: %s", b->state,
                b->db ? sqlite3_errmsg (b->db) : "out of memory");
      return FALSE;
    }
  sqlite3_busy_timeout (b->db, 10000);
  if (!db_exec (b, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"
                "CREATE TABLE IF NOT EXISTS items ("
                "  key TEXT PRIMARY KEY, unit INTEGER NOT NULL, time TEXT NOT NULL);"
                "CREATE INDEX IF NOT EXISTS items_unit ON items (unit);"
                "CREATE TABLE IF NOT EXISTS units ("
                "  id INTEGER PRIMARY KEY AUTOINCREMENT, temp TEXT NOT NULL,"
                "  output TEXT, time TEXT NOT NULL);"
                "CREATE TABLE IF NOT EXISTS unit_inputs ("
                "  unit INTEGER NOT NULL, name TEXT NOT NULL, dev INTEGER NOT NULL,"
                "  ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL);"))
    return FALSE;
  b->q_item_find = db_prepare (b, "SELECT 1 FROM items WHERE key = ?1");
  b->q_item_add = db_prepare (b, "INSERT INTO items (key, unit, time) VALUES (?1, ?2, ?3)");
  return b->q_item_find && b->q_item_add;
}

static gint64
st_mtime_ns (const struct stat *st)
{
  return (gint64) st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Finishes the units a killed run left between steps b and e. */
static gboolean
recover (Batch *b)
{
  sqlite3_stmt *q = db_prepare (b, "SELECT id, temp FROM units ORDER BY id");
  if (q == NULL)
    return FALSE;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GPtrArray *temps = g_ptr_array_new_with_free_func (g_free);
  while (sqlite3_step (q) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (q, 0);
      g_array_append_val (ids, id);
      g_ptr_array_add (temps, g_strdup ((const char *) sqlite3_column_text (q, 1)));
    }
  sqlite3_finalize (q);
  gboolean ok = TRUE;
  for (guint i = 0; i < ids->len && ok; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      const char *tmp = g_ptr_array_index (temps, i);
      g_autofree char *sql = NULL;
      struct stat tst;
      gboolean tmp_exists = fstatat (b->out_fd, tmp, &tst, AT_SYMLINK_NOFOLLOW) == 0;
      if (!tmp_exists && errno != ENOENT)
        {
          /* Only "no such file" means the rename happened. */
          io_error (b, "%s/%s: cannot check the temporary file of an interrupted run: %s",
                    b->out, tmp, g_strerror (errno));
          ok = FALSE;
          break;
        }
      if (tmp_exists)
        {
          /* Died before the rename: forget the unit, its inputs run again.
           * The record goes first: a run killed between the two steps must
           * find an orphan temporary file (deleted below or by clean_temps),
           * never a record without its file, which means "renamed". */
          log_info (b, "recovery: unit %" G_GINT64_FORMAT " was not committed; its inputs "
                    "are processed again", id);
          sql = g_strdup_printf ("BEGIN IMMEDIATE; DELETE FROM items WHERE unit = %" G_GINT64_FORMAT
                                 "; DELETE FROM unit_inputs WHERE unit = %" G_GINT64_FORMAT
                                 "; DELETE FROM units WHERE id = %" G_GINT64_FORMAT "; COMMIT;",
                                 id, id, id);
          ok = db_exec (b, sql);
          if (!ok)
            break;
          crash_point ("recovering");
          if (unlinkat (b->out_fd, tmp, 0) != 0 && errno != ENOENT)
            {
              io_error (b, "%s/%s: cannot delete: %s", b->out, tmp, g_strerror (errno));
              ok = FALSE;
              break;
            }
          continue;
        }
      /* The output is in place: retire the inputs still in the inbox. */
      g_autofree char *sel = g_strdup_printf ("SELECT name, dev, ino, size, mtime FROM unit_inputs "
                                              "WHERE unit = %" G_GINT64_FORMAT, id);
      q = db_prepare (b, sel);
      if (q == NULL)
        {
          ok = FALSE;
          break;
        }
      while (ok && sqlite3_step (q) == SQLITE_ROW)
        {
          const char *name = (const char *) sqlite3_column_text (q, 0);
          struct stat st;
          if (fstatat (b->inbox_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
          if ((gint64) st.st_dev != sqlite3_column_int64 (q, 1)
              || (gint64) st.st_ino != sqlite3_column_int64 (q, 2)
              || (gint64) st.st_size != sqlite3_column_int64 (q, 3)
              || st_mtime_ns (&st) != sqlite3_column_int64 (q, 4))
            continue;           /* a new file under the same name */
          log_info (b, "recovery: %s/%s was committed by an interrupted run; retiring it",
                    b->inbox, name);
          ok = retire_input (b, name);
          b->recovered++;
        }
      sqlite3_finalize (q);
      if (!ok)
        break;
      sql = g_strdup_printf ("BEGIN IMMEDIATE; DELETE FROM unit_inputs WHERE unit = %"
                             G_GINT64_FORMAT "; DELETE FROM units WHERE id = %" G_GINT64_FORMAT
                             "; COMMIT;", id, id);
      ok = db_exec (b, sql);
    }
  g_array_free (ids, TRUE);
  g_ptr_array_free (temps, TRUE);
  return ok;
}

/* Deletes temporary files no unit refers to any more. */
static gboolean
clean_temps (Batch *b, int dirfd, const char *dir)
{
  int fd = dup (dirfd);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      io_error (b, "%s: cannot list: %s", dir, g_strerror (errno));
      return FALSE;
    }
  rewinddir (d);
  struct dirent *de;
  gboolean ok = TRUE;
  while ((de = readdir (d)) != NULL)
    if (g_str_has_prefix (de->d_name, TMP_PREFIX))
      {
        if (unlinkat (dirfd, de->d_name, 0) != 0 && errno != ENOENT)
          {
            io_error (b, "%s/%s: cannot delete a stale temporary file: %s", dir, de->d_name,
                      g_strerror (errno));
            ok = FALSE;
          }
        else
          log_info (b, "deleted the stale temporary file %s/%s", dir, de->d_name);
      }
  closedir (d);
  return ok;
}

/* ----------------------------------------------------------- the inbox */

static gboolean
ignored_name (const char *n)
{
  return n[0] == '.' || g_str_has_suffix (n, ".part") || g_str_has_suffix (n, ".tmp")
         || g_str_has_suffix (n, ".error.json") || g_str_has_suffix (n, "~");
}

static int
candidate_cmp (gconstpointer a, gconstpointer b)
{
  const Candidate *x = *(Candidate *const *) a, *y = *(Candidate *const *) b;
  gint64 mx = st_mtime_ns (&x->st), my = st_mtime_ns (&y->st);
  if (mx != my)
    return mx < my ? -1 : 1;
  return strcmp (x->name, y->name);
}

static void
candidate_free (gpointer p)
{
  Candidate *c = p;
  g_free (c->name);
  g_free (c->path);
  g_free (c);
}

static GPtrArray *
scan_inbox (Batch *b)
{
  int fd = dup (b->inbox_fd);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      io_error (b, "%s: cannot list: %s", b->inbox, g_strerror (errno));
      return NULL;
    }
  rewinddir (d);
  GPtrArray *a = g_ptr_array_new_with_free_func (candidate_free);
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  gint64 now_ns = (gint64) now.tv_sec * 1000000000 + now.tv_nsec;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (ignored_name (de->d_name))
        continue;
      struct stat st;
      if (fstatat (b->inbox_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        continue;   /* gone since the listing */
      if (!S_ISREG (st.st_mode))
        {
          if (!S_ISDIR (st.st_mode))
            log_info (b, "%s/%s: not a regular file (symlink, FIFO, device...); left alone",
                      b->inbox, de->d_name);
          continue;
        }
      gint64 age_ns = now_ns - st_mtime_ns (&st);
      /* A modification time in the future (a clock set wrong, a copy that kept
       * a remote mtime) would hold the file back for ever: take it, and say so. */
      if (age_ns < -(gint64) b->settle * 1000000000)
        log_info (b, "%s/%s: modified in the future (clock skew?); processed anyway",
                  b->inbox, de->d_name);
      else if (age_ns < (gint64) b->settle * 1000000000)
        {
          b->deferred++;
          log_info (b, "%s/%s: modified less than %d s ago; left for a later run", b->inbox,
                    de->d_name, b->settle);
          continue;
        }
      Candidate *c = g_new0 (Candidate, 1);
      c->name = g_strdup (de->d_name);
      c->path = g_build_filename (b->inbox, de->d_name, NULL);
      c->st = st;
      g_ptr_array_add (a, c);
    }
  closedir (d);
  g_ptr_array_sort (a, candidate_cmp);
  return a;
}

static InputKind
input_kind (const Candidate *c)
{
  const char *n = c->name;
  if (g_str_has_suffix (n, ".jsonl") || g_str_has_suffix (n, ".ndjson"))
    return KIND_JSONL;
  if (g_str_has_suffix (n, ".rss") || g_str_has_suffix (n, ".atom") || g_str_has_suffix (n, ".xml")
      || g_str_has_suffix (n, ".rdf"))
    return KIND_FEED;
  if (g_str_has_suffix (n, ".txt"))
    return KIND_TEXT;
  /* Anything else: a feed when it starts like one. */
  char head[512];
  int fd = open (c->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return KIND_TEXT;
  ssize_t k = read (fd, head, sizeof head - 1);
  close (fd);
  if (k <= 0)
    return KIND_TEXT;
  head[k] = '\0';
  const char *s = head;
  if ((guchar) s[0] == 0xEF && (guchar) s[1] == 0xBB && (guchar) s[2] == 0xBF)
    s += 3;
  while (g_ascii_isspace (*s))
    s++;
  if (g_str_has_prefix (s, "<?xml") || g_str_has_prefix (s, "<rss") || g_str_has_prefix (s, "<feed")
      || g_str_has_prefix (s, "<rdf:RDF"))
    return KIND_FEED;
  return KIND_TEXT;
}

static char *
stem_of_name (const char *name)
{
  const char *dot = strrchr (name, '.');
  if (dot == NULL || dot == name)
    return g_strdup (name);
  return g_strndup (name, (gsize) (dot - name));
}

/* --------------------------------------------------------------- units */

static void
unit_free (Unit *u)
{
  if (u == NULL)
    return;
  if (u->fp)
    fclose (u->fp);
  g_free (u->tmp_name);
  g_free (u->tmp_path);
  g_free (u->want_name);
  g_free (u->final_name);
  g_ptr_array_free (u->inputs, TRUE);
  g_free (u);
}

/* Step a. */
static Unit *
unit_begin (Batch *b, const char *want_name)
{
  if (!db_exec (b, "BEGIN IMMEDIATE"))
    return NULL;
  Unit *u = g_new0 (Unit, 1);
  u->inputs = g_ptr_array_new ();
  u->want_name = g_strdup (want_name);
  g_autofree char *t = now_iso ();
  sqlite3_stmt *q = db_prepare (b, "INSERT INTO units (temp, output, time) VALUES ('', ?1, ?2)");
  if (q == NULL)
    goto fail;
  sqlite3_bind_text (q, 1, want_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (q, 2, t, -1, SQLITE_TRANSIENT);
  gboolean ok = db_step_done (b, q);
  sqlite3_finalize (q);
  if (!ok)
    goto fail;
  u->id = sqlite3_last_insert_rowid (b->db);
  u->tmp_name = g_strdup_printf (TMP_PREFIX "%" G_GINT64_FORMAT ".%s", u->id, want_name);
  u->tmp_path = g_build_filename (b->out, u->tmp_name, NULL);
  q = db_prepare (b, "UPDATE units SET temp = ?1 WHERE id = ?2");
  if (q == NULL)
    goto fail;
  sqlite3_bind_text (q, 1, u->tmp_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (q, 2, u->id);
  ok = db_step_done (b, q);
  sqlite3_finalize (q);
  if (!ok)
    goto fail;
  int fd = openat (b->out_fd, u->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      io_error (b, "%s: cannot create an output file: %s", u->tmp_path, g_strerror (errno));
      goto fail;
    }
  u->fp = fdopen (fd, "w");
  if (u->fp == NULL)
    {
      close (fd);
      io_error (b, "%s: %s", u->tmp_path, g_strerror (errno));
      unlinkat (b->out_fd, u->tmp_name, 0);
      goto fail;
    }
  setvbuf (u->fp, NULL, _IOFBF, 1 << 20);
  crash_point ("begin");
  return u;
fail:
  sqlite3_exec (b->db, "ROLLBACK", NULL, NULL, NULL);
  unit_free (u);
  return NULL;
}

/* Throws the unit away: nothing of it stays. */
static void
unit_abort (Batch *b, Unit *u)
{
  if (u->fp)
    {
      fclose (u->fp);
      u->fp = NULL;
    }
  unlinkat (b->out_fd, u->tmp_name, 0);
  sqlite3_exec (b->db, "ROLLBACK", NULL, NULL, NULL);
  unit_free (u);
}

/* Steps b to e.  The unit is freed. */
static gboolean
unit_commit (Batch *b, Unit *u)
{
  gboolean ok = TRUE;
  /* b: the temporary file on disk (or gone when it holds nothing). */
  if (u->documents == 0)
    {
      fclose (u->fp);
      u->fp = NULL;
      unlinkat (b->out_fd, u->tmp_name, 0);
    }
  else
    {
      int rc = fflush (u->fp);
      if (rc == 0)
        rc = fsync (fileno (u->fp));
      int rc2 = fclose (u->fp);
      u->fp = NULL;
      if (rc != 0 || rc2 != 0 || !fsync_dir (b->out_fd))
        {
          io_error (b, "%s: write failed: %s", u->tmp_path, g_strerror (errno));
          u->fp = NULL;
          unit_abort (b, u);
          return FALSE;
        }
    }
  crash_point ("written");
  sqlite3_stmt *q = db_prepare (b, "INSERT INTO unit_inputs (unit, name, dev, ino, size, mtime) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (q == NULL)
    {
      unit_abort (b, u);
      return FALSE;
    }
  for (guint i = 0; i < u->inputs->len && ok; i++)
    {
      Candidate *c = g_ptr_array_index (u->inputs, i);
      sqlite3_bind_int64 (q, 1, u->id);
      sqlite3_bind_text (q, 2, c->name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (q, 3, (gint64) c->st.st_dev);
      sqlite3_bind_int64 (q, 4, (gint64) c->st.st_ino);
      sqlite3_bind_int64 (q, 5, (gint64) c->st.st_size);
      sqlite3_bind_int64 (q, 6, st_mtime_ns (&c->st));
      ok = db_step_done (b, q);
    }
  sqlite3_finalize (q);
  if (!ok || !db_exec (b, "COMMIT"))
    {
      unit_abort (b, u);
      return FALSE;
    }
  crash_point ("committed");
  /* c: into place under a name not taken yet. */
  if (u->documents > 0)
    {
      gboolean renamed = FALSE;
      for (guint n = 0; n < 1000 && !renamed; n++)
        {
          g_autofree char *cand = variant_name (u->want_name, b->stamp, n);
          if (rename_noreplace (b->out_fd, u->tmp_name, b->out_fd, cand) == 0)
            {
              renamed = TRUE;
              u->final_name = g_steal_pointer (&cand);
            }
          else if (errno != EEXIST)
            break;
        }
      if (!renamed || !fsync_dir (b->out_fd))
        {
          /* The unit stays recorded: the next run sees the temporary file
           * and processes the inputs again. */
          io_error (b, "%s: cannot rename into place: %s", u->tmp_path, g_strerror (errno));
          unit_free (u);
          return FALSE;
        }
      log_info (b, "wrote %s/%s (%" G_GUINT64_FORMAT " documents)", b->out, u->final_name,
                u->documents);
    }
  crash_point ("renamed");
  /* d: retire the inputs. */
  for (guint i = 0; i < u->inputs->len && ok; i++)
    {
      Candidate *c = g_ptr_array_index (u->inputs, i);
      ok = retire_input (b, c->name);
      if (ok)
        crash_point ("retired");
    }
  if (!ok)
    {
      /* The unit stays recorded; the next run retires what is left. */
      unit_free (u);
      return FALSE;
    }
  /* e. */
  g_autofree char *sql = g_strdup_printf ("BEGIN IMMEDIATE; DELETE FROM unit_inputs WHERE unit = %"
                                          G_GINT64_FORMAT "; DELETE FROM units WHERE id = %"
                                          G_GINT64_FORMAT "; COMMIT;", u->id, u->id);
  ok = db_exec (b, sql);
  unit_free (u);
  return ok;
}

/* --------------------------------------------------------- processing */

typedef struct {
  char *stage;
  char *message;
  char *id;
  guint n_errors;
} FileFailure;

/* Error records written by the runner (JSON lines) for one file: forwarded
 * to the log; the first reader error and the last abort are remembered. */
static void
forward_errors (Batch *b, const char *data, gsize len, FileFailure *ff, gboolean want_abort)
{
  if (len == 0)
    return;
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  for (guint i = 0; lines[i]; i++)
    {
      if (*lines[i] == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, NULL))
        continue;
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      const char *id = json_object_get_string_member_with_default (o, "id", NULL);
      const char *src = json_object_get_string_member_with_default (o, "source", NULL);
      const char *stage = json_object_get_string_member_with_default (o, "stage", NULL);
      const char *msg = json_object_get_string_member_with_default (o, "message", "");
      /* Input errors fail the whole file: the file_failed line reports the
       * first one (and the count); stage errors are logged one by one. */
      if (stage && strcmp (stage, "reader") == 0)
        ;
      else if (b->json_log)
        fprintf (stderr, "{\"event\":\"document_error\",%s\n", lines[i] + 1);
      else
        {
          if (id && stage)
            fprintf (stderr, "sluice: error: %s: document '%s': stage '%s': %s\n",
                     src ? src : "?", id, stage, msg);
          else
            fprintf (stderr, "sluice: error: %s\n", msg);
        }
      ff->n_errors++;
      gboolean is_reader = stage && strcmp (stage, "reader") == 0;
      if ((is_reader && ff->message == NULL) || (want_abort && !is_reader))
        {
          g_free (ff->stage);
          g_free (ff->message);
          g_free (ff->id);
          ff->stage = g_strdup (stage ? stage : "reader");
          ff->message = g_strdup (msg);
          ff->id = g_strdup (id);
        }
    }
}

/* Moves a file that failed to --failed with NAME.error.json beside it.  The
 * report is written first: if the run dies before the move, the next run
 * fails the file again and rewrites the report. */
static gboolean
fail_file (Batch *b, Candidate *c, const FileFailure *ff)
{
  /* Pick the name in --failed first so that the report matches it. */
  g_autofree char *target = NULL;
  for (guint n = 0; n < 1000 && target == NULL; n++)
    {
      /* A report without its file is one a killed run wrote: reused. */
      g_autofree char *cand = variant_name (c->name, b->stamp, n);
      if (!exists_at (b->failed_fd, cand))
        target = g_steal_pointer (&cand);
    }
  if (target == NULL)
    {
      io_error (b, "%s: no free name for %s", b->failed, c->name);
      return FALSE;
    }
  g_autofree char *t = now_iso ();
  GString *j = g_string_new ("{\n  \"file\": ");
  sluice_json_append_string (j, c->name, strlen (c->name));
  g_string_append (j, ",\n  \"stage\": ");
  const char *stage = ff->stage ? ff->stage : "reader";
  sluice_json_append_string (j, stage, strlen (stage));
  if (ff->id)
    {
      g_string_append (j, ",\n  \"document\": ");
      sluice_json_append_string (j, ff->id, strlen (ff->id));
    }
  g_string_append (j, ",\n  \"message\": ");
  const char *msg = ff->message ? ff->message : "failed";
  sluice_json_append_string (j, msg, strlen (msg));
  g_string_append (j, ",\n  \"time\": ");
  sluice_json_append_string (j, t, strlen (t));
  g_string_append_printf (j, ",\n  \"errors\": %u\n}\n", ff->n_errors ? ff->n_errors : 1);
  g_autofree char *rep = g_strconcat (target, ".error.json", NULL);
  g_autofree char *tmp = g_strconcat (TMP_PREFIX, rep, NULL);
  int fd = openat (b->failed_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  gboolean ok = fd >= 0;
  if (ok)
    {
      ok = write (fd, j->str, j->len) == (ssize_t) j->len && fsync (fd) == 0;
      ok = close (fd) == 0 && ok;
      ok = ok && renameat (b->failed_fd, tmp, b->failed_fd, rep) == 0;
      if (!ok)
        unlinkat (b->failed_fd, tmp, 0);
    }
  g_string_free (j, TRUE);
  if (!ok)
    {
      io_error (b, "%s/%s: cannot write the error report: %s", b->failed, rep, g_strerror (errno));
      return FALSE;
    }
  crash_point ("reported");
  /* Now the file itself, under exactly that name. */
  if (rename_noreplace (b->inbox_fd, c->name, b->failed_fd, target) != 0)
    {
      if (errno == ENOENT && faccessat (b->inbox_fd, c->name, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
        {
          /* Someone took the file away meanwhile: nothing to move, and the
           * report would describe a file that is not there. */
          unlinkat (b->failed_fd, rep, 0);
          log_info (b, "%s: disappeared during the run; skipped", c->path);
          return TRUE;
        }
      GError *e = NULL;
      if (errno != EXDEV || !copy_into (b->inbox_fd, c->name, b->failed_fd, target, &e)
          || unlinkat (b->inbox_fd, c->name, 0) != 0)
        {
          io_error (b, "cannot move %s to %s/%s: %s", c->path, b->failed, target,
                    e ? e->message : g_strerror (errno));
          g_clear_error (&e);
          return FALSE;
        }
    }
  if (!fsync_dir (b->failed_fd) || !fsync_dir (b->inbox_fd))
    {
      io_error (b, "%s: fsync failed: %s", b->failed, g_strerror (errno));
      return FALSE;
    }
  b->failed_files++;
  if (b->json_log)
    {
      g_autofree char *dest = g_build_filename (b->failed, target, NULL);
      log_json_line (b, "file_failed", "file", c->path, "moved_to", dest, "stage", stage,
                     "message", msg, NULL);
    }
  else
    {
      g_autofree char *more = ff->n_errors > 1 ? g_strdup_printf (" (%u errors in all)", ff->n_errors)
                                               : g_strdup ("");
      fprintf (stderr, "sluice: error: %s%s%s%s; moved to %s/%s (see %s)\n",
               g_str_has_prefix (msg, c->path) ? "" : c->path,
               g_str_has_prefix (msg, c->path) ? "" : ": ", msg, more, b->failed, target, rep);
    }
  return TRUE;
}

/* Result of one file. */
typedef enum { FILE_OK, FILE_FAILED, FILE_IO_ERROR } FileResult;

/* .txt and .jsonl: the ordinary runner on this one file. */
static FileResult
process_with_runner (Batch *b, Candidate *c, InputKind kind, Unit *u, FILE *errs,
                     guint64 *written)
{
  const char *inputs[] = { c->path, NULL };
  SluiceReader *r = sluice_reader_new (inputs, kind == KIND_JSONL ? SLUICE_INPUT_JSONL
                                                                  : SLUICE_INPUT_TEXT,
                                       b->p->max_document_bytes, b->p->reject_invalid_utf8,
                                       b->emit_views);
  SluiceRunConfig cfg = { 0 };
  cfg.pipeline = b->p;
  cfg.jobs = (guint) b->jobs;
  cfg.output_format = b->out_format;
  cfg.emit_views = b->emit_views;
  cfg.out = u->fp;
  cfg.out_name = u->tmp_path;
  cfg.errors = errs;
  cfg.errors_json = TRUE;
  SluiceRunStats stats = { 0 };
  sluice_run (&cfg, r, &stats);
  sluice_reader_free (r);
  *written = stats.written;
  b->doc_errors += stats.failed;
  FileResult res = FILE_OK;
  if (stats.io_failed)
    {
      io_error (b, "%s", stats.io_error);
      res = FILE_IO_ERROR;
    }
  else if (stats.aborted)
    {
      b->aborted = TRUE;
      res = FILE_FAILED;
    }
  else if (stats.input_errors > 0)
    res = FILE_FAILED;
  sluice_run_stats_clear (&stats);
  return res;
}

static gboolean
looks_like_uri (const char *s)
{
  const char *colon = strchr (s, ':');
  if (colon == NULL || colon == s)
    return FALSE;
  for (const char *p = s; p < colon; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

/* Feeds: item by item, skipping items recorded earlier. */
static FileResult
process_feed (Batch *b, Candidate *c, Unit *u, FILE *errs, guint64 *written, FileFailure *ff)
{
  GError *e = NULL;
  BatchFeed *f = batch_feed_open (c->path, &e);
  if (f == NULL)
    {
      ff->stage = g_strdup ("feed");
      ff->message = g_strdup (e->message);
      g_error_free (e);
      return FILE_FAILED;
    }
  g_autofree char *stem = stem_of_name (c->name);
  g_autofree char *t = now_iso ();
  BatchFeedItem it = { 0 };
  it.text = g_string_new (NULL);
  GString *key = g_string_new (NULL);
  FileResult res = FILE_OK;
  *written = 0;
  while (batch_feed_next (f, &it, &e))
    {
      /* The dedup key: the guid (scoped by the feed unless it is a URI), else the link. */
      g_string_truncate (key, 0);
      if (it.guid)
        {
          if (!looks_like_uri (it.guid))
            g_string_append_printf (key, "%s\x1f", f->scope ? f->scope : stem);
          g_string_append (key, it.guid);
        }
      else if (it.link)
        g_string_append (key, it.link);
      if (key->len)
        {
          sqlite3_bind_text (b->q_item_find, 1, key->str, (int) key->len, SQLITE_TRANSIENT);
          int rc = sqlite3_step (b->q_item_find);
          sqlite3_reset (b->q_item_find);
          if (rc == SQLITE_ROW)
            {
              b->skipped++;
              continue;
            }
          if (rc != SQLITE_DONE)
            {
              io_error (b, "%s: state database: %s", b->state, sqlite3_errmsg (b->db));
              res = FILE_IO_ERROR;
              break;
            }
          sqlite3_bind_text (b->q_item_add, 1, key->str, (int) key->len, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (b->q_item_add, 2, u->id);
          sqlite3_bind_text (b->q_item_add, 3, t, -1, SQLITE_TRANSIENT);
          if (!db_step_done (b, b->q_item_add))
            {
              res = FILE_IO_ERROR;
              break;
            }
        }
      if (it.text->len > b->p->max_document_bytes)
        {
          ff->stage = g_strdup ("feed");
          ff->message = g_strdup_printf ("%s: item %u is %" G_GSIZE_FORMAT " bytes, over "
                                         "max_document_bytes (%" G_GSIZE_FORMAT ")", c->path,
                                         it.index, it.text->len, b->p->max_document_bytes);
          res = FILE_FAILED;
          break;
        }
      GString *clean = g_string_sized_new (it.text->len + 1);
      gsize repl = sluice_utf8_sanitize (it.text->str, it.text->len, clean);
      gsize clen = clean->len;
      char *id = g_strdup (it.guid ? it.guid : it.link ? it.link : NULL);
      if (id == NULL)
        id = g_strdup_printf ("%s:%u", stem, it.index);
      SluiceDocument *doc = sluice_document_new_take (id, g_strdup_printf ("%s:%u", c->path, it.index),
                                                      g_string_free (clean, FALSE), clen);
      doc->keep_views = b->emit_views;
      SluiceAttrs *m = sluice_document_get_meta (doc);
      if (it.title)
        sluice_attrs_set_string (m, "title", it.title);
      if (it.link)
        sluice_attrs_set_string (m, "link", it.link);
      if (it.date)
        sluice_attrs_set_string (m, "date", it.date);
      if (it.guid)
        sluice_attrs_set_string (m, "guid", it.guid);
      if (it.date_raw)
        sluice_document_add_warning (doc, "date '%s' could not be read", it.date_raw);
      if (repl)
        sluice_document_add_warning (doc, "invalid UTF-8: %" G_GSIZE_FORMAT " sequence(s) replaced",
                                     repl);
      gboolean abort = FALSE;
      sluice_process_document (b->p, doc, errs, TRUE, NULL, &abort);
      if (doc->failed)
        b->doc_errors++;
      if (abort)
        {
          b->aborted = TRUE;
          sluice_document_free (doc);
          res = FILE_FAILED;
          break;
        }
      if (doc->state != SLUICE_DOC_FAILED)
        {
          g_string_truncate (b->buf, 0);
          if (b->out_format == SLUICE_OUTPUT_TEXT)
            {
              g_string_append_len (b->buf, doc->text, (gssize) doc->len);
              g_string_append_c (b->buf, '\n');
            }
          else
            sluice_json_write_document (b->buf, doc, b->emit_views);
          if (fwrite (b->buf->str, 1, b->buf->len, u->fp) != b->buf->len)
            {
              io_error (b, "%s: write failed: %s", u->tmp_path, g_strerror (errno));
              sluice_document_free (doc);
              res = FILE_IO_ERROR;
              break;
            }
          (*written)++;
        }
      sluice_document_free (doc);
    }
  if (e)
    {
      if (res == FILE_OK)
        {
          ff->stage = g_strdup ("feed");
          ff->message = g_strdup (e->message);
          res = FILE_FAILED;
        }
      g_error_free (e);
    }
  g_string_free (key, TRUE);
  feed_item_clear (&it);
  g_string_free (it.text, TRUE);
  batch_feed_free (f);
  return res;
}

/* One input into unit u.  In run mode the file's part of the unit is undone
 * on failure (savepoint + truncation). */
static FileResult
process_file (Batch *b, Candidate *c, Unit *u)
{
  InputKind kind = input_kind (c);
  long start = 0;
  if (b->run_mode)
    {
      if (fflush (u->fp) != 0 || (start = ftell (u->fp)) < 0)
        {
          io_error (b, "%s: write failed: %s", u->tmp_path, g_strerror (errno));
          return FILE_IO_ERROR;
        }
      if (!db_exec (b, "SAVEPOINT file"))
        return FILE_IO_ERROR;
    }
  char *ebuf = NULL;
  size_t elen = 0;
  FILE *errs = open_memstream (&ebuf, &elen);
  if (errs == NULL)
    {
      io_error (b, "out of memory");
      return FILE_IO_ERROR;
    }
  FileFailure ff = { 0 };
  guint64 written = 0;
  guint64 skipped_before = b->skipped;
  FileResult res = kind == KIND_FEED ? process_feed (b, c, u, errs, &written, &ff)
                                     : process_with_runner (b, c, kind, u, errs, &written);
  fclose (errs);
  forward_errors (b, ebuf, elen, &ff, b->aborted);
  free (ebuf);
  if (res == FILE_OK)
    {
      if (b->run_mode && !db_exec (b, "RELEASE file"))
        res = FILE_IO_ERROR;
      else
        {
          u->documents += written;
          b->documents += written;
          g_ptr_array_add (u->inputs, c);
          b->files++;
          log_info (b, "%s: %" G_GUINT64_FORMAT " documents%s", c->path, written,
                    b->skipped > skipped_before ? " (items seen before were skipped)" : "");
        }
    }
  else
    {
      b->skipped = skipped_before;
      if (b->run_mode)
        {
          /* Undo this file's part: documents and item keys. */
          if (fflush (u->fp) != 0 || ftruncate (fileno (u->fp), start) != 0
              || fseek (u->fp, start, SEEK_SET) != 0)
            {
              io_error (b, "%s: cannot truncate: %s", u->tmp_path, g_strerror (errno));
              res = FILE_IO_ERROR;
            }
          else if (!db_exec (b, "ROLLBACK TO file; RELEASE file"))
            res = FILE_IO_ERROR;
        }
      if (res == FILE_FAILED && !fail_file (b, c, &ff))
        res = FILE_IO_ERROR;
    }
  g_free (ff.stage);
  g_free (ff.message);
  g_free (ff.id);
  return res;
}

/* ------------------------------------------------------------- command */

static gboolean
open_dir (Batch *b, const char *path, gboolean create, int *fd)
{
  if (create && g_mkdir_with_parents (path, 0777) != 0)
    {
      io_error (b, "%s: cannot create the folder: %s", path, g_strerror (errno));
      return FALSE;
    }
  *fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    {
      io_error (b, "%s: cannot open the folder: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
same_dir (int a, int c)
{
  struct stat x, y;
  return fstat (a, &x) == 0 && fstat (c, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static gboolean
writable_dir (Batch *b, int fd, const char *path)
{
  g_autofree char *probe = g_strdup_printf (TMP_PREFIX "probe.%d", (int) getpid ());
  int k = openat (fd, probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (k < 0)
    {
      io_error (b, "%s: cannot write in this folder: %s", path, g_strerror (errno));
      return FALSE;
    }
  close (k);
  unlinkat (fd, probe, 0);
  return TRUE;
}

static void
print_summary (Batch *b, int rc)
{
  double secs = (double) (g_get_monotonic_time () - b->t0) / 1e6;
  if (b->json_log)
    fprintf (stderr,
             "{\"event\":\"summary\",\"files\":%u,\"documents\":%" G_GUINT64_FORMAT
             ",\"failed\":%u,\"skipped\":%" G_GUINT64_FORMAT ",\"deferred\":%u,\"remaining\":%u"
             ",\"recovered\":%u,\"document_errors\":%" G_GUINT64_FORMAT ",\"seconds\":%.3f"
             ",\"exit\":%d}\n",
             b->files, b->documents, b->failed_files, b->skipped, b->deferred, b->remaining,
             b->recovered, b->doc_errors, secs, rc);
  else
    {
      GString *s = g_string_new (NULL);
      g_string_append_printf (s, "sluice batch: %u files, %" G_GUINT64_FORMAT " documents, %u failed, %"
                              G_GUINT64_FORMAT " skipped", b->files, b->documents, b->failed_files,
                              b->skipped);
      if (b->deferred || b->remaining)
        g_string_append_printf (s, ", %u left for a later run", b->deferred + b->remaining);
      if (b->recovered)
        g_string_append_printf (s, ", %u recovered", b->recovered);
      if (b->doc_errors)
        g_string_append_printf (s, ", %" G_GUINT64_FORMAT " document errors", b->doc_errors);
      g_string_append_printf (s, ", %.2f s\n", secs);
      fputs (s->str, stderr);
      g_string_free (s, TRUE);
    }
}

static const char batch_summary[] =
  "Processes the complete files of an incoming folder, exactly once, for cron or a\n"
  "systemd timer.  Inputs: .txt (one document), .jsonl/.ndjson (one document per\n"
  "line), RSS 2.0 / RSS 1.0 / Atom feeds (.rss .atom .xml .rdf, or any file starting\n"
  "like one; one document per item, with meta.title, meta.link, meta.date (ISO 8601)\n"
  "and meta.guid; HTML turned into text).  Other files are read as text.\n"
  "\n"
  "Left for a later run: hidden files, names ending in .part, .tmp, ~ or .error.json,\n"
  "anything that is not a regular file, and files modified within --settle-seconds.\n"
  "Files are taken oldest first, top level only.\n"
  "\n"
  "Each input's documents are written to a temporary file in --out, fsync'd and renamed\n"
  "into place (--out-mode file: NAME.jsonl per input, same base name; run: one\n"
  "batch-TIME.jsonl per run); a name already taken gets a .TIME suffix.  Only then is\n"
  "the input moved to --done (or deleted with --delete-done).  A run killed at any\n"
  "moment is completed or undone by the next one: every document ends up in exactly one\n"
  "output.  A feed item whose guid (or link) an earlier run processed is skipped (the\n"
  "record is the SQLite database --state).  A file that cannot be read or parsed, or on\n"
  "which a stage aborts the run, goes to --failed with NAME.error.json (stage, message,\n"
  "time) beside it, and stays there until a person moves it back into the inbox.\n"
  "\n"
  "One run at a time: a second run on the same inbox exits at once with code 5.  Logs go\n"
  "to stderr (nothing on stdout): error lines and one summary line (files, documents,\n"
  "failed, skipped, seconds); nothing at all when there was nothing to do, unless -v.";

static const char batch_description[] =
  "Exit codes:\n"
  "  0  every file processed (or nothing to do)\n"
  "  1  some files failed (moved to --failed) or some documents failed in a stage\n"
  "  2  usage or pipeline error; nothing was touched\n"
  "  3  I/O error (output folder, state database, moving files): the run stopped; the\n"
  "     inputs not yet committed are untouched and the next run takes them again\n"
  "  4  a stage aborted the run (fatal error or on_error = \"abort\"); that file went to\n"
  "     --failed, the rest is left for the next run\n"
  "  5  another sluice batch holds the lock of this inbox; nothing was done\n"
  "\n"
  "See docs/CRON.md for a crontab line, a systemd service + timer and the folder life cycle.";

int
sluice_cmd_batch (int argc, char **argv)
{
  Batch B = { 0 };
  Batch *b = &B;
  b->inbox_fd = b->out_fd = b->done_fd = b->failed_fd = -1;
  b->settle = 5;
  char *out_mode = NULL, *log_format = NULL, *lock_path = NULL;
  int lock_fd = -1;
  GError *e = NULL;
  GPtrArray *todo = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &b->config, "Pipeline file (required)", "FILE" },
    { "inbox", 0, 0, G_OPTION_ARG_FILENAME, &b->inbox, "Folder of incoming files (required)", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &b->out, "Folder for the JSONL outputs (required; created if missing)", "DIR" },
    { "done", 0, 0, G_OPTION_ARG_FILENAME, &b->done, "Where processed inputs go (default: INBOX/done)", "DIR" },
    { "delete-done", 0, 0, G_OPTION_ARG_NONE, &b->delete_done, "Delete processed inputs instead of moving them to --done", NULL },
    { "failed", 0, 0, G_OPTION_ARG_FILENAME, &b->failed, "Where failed inputs and their NAME.error.json go (default: INBOX/failed)", "DIR" },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &b->state, "SQLite database of processed feed items and unfinished commits (default: INBOX/" STATE_NAME ")", "FILE" },
    { "settle-seconds", 0, 0, G_OPTION_ARG_INT, &b->settle, "Leave files modified within the last N seconds for a later run (default: 5)", "N" },
    { "max-seconds", 0, 0, G_OPTION_ARG_INT, &b->max_seconds, "Start no new file after N seconds; the rest waits for the next run (default: 0, no limit)", "N" },
    { "max-files", 0, 0, G_OPTION_ARG_INT, &b->max_files, "Process at most N files per run (default: 0, no limit)", "N" },
    { "out-mode", 0, 0, G_OPTION_ARG_STRING, &out_mode, "file: one output per input (default); run: one output per run", "MODE" },
    { "log-format", 0, 0, G_OPTION_ARG_STRING, &log_format, "text (default) or json: one JSON object per line on stderr", "FMT" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &b->jobs, "Worker threads for .txt/.jsonl inputs (default: number of cores)", "N" },
    { "plugin-path", 'P', 0, G_OPTION_ARG_FILENAME_ARRAY, &b->plugin_path, "Look for stages in DIR first (repeatable)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &b->verbose, "Log every file and always print the summary line", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("-c PIPELINE --inbox DIR --out DIR - process an incoming folder");
  g_option_context_set_summary (ctx, batch_summary);
  g_option_context_set_description (ctx, batch_description);
  g_option_context_add_main_entries (ctx, entries, NULL);
  int rc = SLUICE_EXIT_CONFIG;
  if (!sluice_cli_parse (ctx, &argc, &argv))
    goto out;
  if (argc > 1)
    {
      sluice_cli_error ("sluice batch takes no file arguments (got '%s'); use --inbox", argv[1]);
      goto out;
    }
  if (b->config == NULL || b->inbox == NULL || b->out == NULL)
    {
      sluice_cli_error ("sluice batch needs -c PIPELINE, --inbox DIR and --out DIR (try --help)");
      goto out;
    }
  if (out_mode && strcmp (out_mode, "file") != 0 && strcmp (out_mode, "run") != 0)
    {
      sluice_cli_error ("--out-mode must be file or run, not '%s'", out_mode);
      goto out;
    }
  b->run_mode = out_mode && strcmp (out_mode, "run") == 0;
  if (log_format && strcmp (log_format, "text") != 0 && strcmp (log_format, "json") != 0)
    {
      sluice_cli_error ("--log-format must be text or json, not '%s'", log_format);
      goto out;
    }
  b->json_log = log_format && strcmp (log_format, "json") == 0;
  if (b->settle < 0 || b->max_seconds < 0 || b->max_files < 0 || b->jobs < 0)
    {
      sluice_cli_error ("--settle-seconds, --max-seconds, --max-files and --jobs cannot be negative");
      goto out;
    }
  if (b->delete_done && b->done)
    {
      sluice_cli_error ("--done and --delete-done exclude each other");
      goto out;
    }
  if (b->done == NULL)
    b->done = g_build_filename (b->inbox, "done", NULL);
  if (b->failed == NULL)
    b->failed = g_build_filename (b->inbox, "failed", NULL);
  if (b->state == NULL)
    b->state = g_build_filename (b->inbox, STATE_NAME, NULL);
  b->t0 = g_get_monotonic_time ();
  {
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
    b->stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  }

  b->inbox_fd = open (b->inbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (b->inbox_fd < 0)
    {
      sluice_cli_error ("--inbox %s: %s", b->inbox, g_strerror (errno));
      goto out;
    }

  /* One run at a time.  flock() is released by the kernel when the holder
   * dies, so a killed run never blocks the next one. */
  xmlInitParser ();
  xmlSetGenericErrorFunc (NULL, batch_xml_generic_silence);
  xmlSetStructuredErrorFunc (NULL, (xmlStructuredErrorFunc) batch_xml_silence);
  lock_path = g_build_filename (b->inbox, LOCK_NAME, NULL);
  lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (lock_fd < 0)
    {
      sluice_cli_error ("%s: cannot open the lock file: %s", lock_path, g_strerror (errno));
      rc = SLUICE_EXIT_IO;
      goto out;
    }
  if (flock (lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno == EWOULDBLOCK)
        {
          if (b->json_log)
            log_json_line (b, "locked", "message", "another sluice batch is running on this inbox",
                           "lock", lock_path, NULL);
          else
            fprintf (stderr, "sluice batch: another run holds %s; exiting\n", lock_path);
          rc = SLUICE_EXIT_LOCKED;
        }
      else
        {
          sluice_cli_error ("%s: cannot lock: %s", lock_path, g_strerror (errno));
          rc = SLUICE_EXIT_IO;
        }
      goto out;
    }

  /* The pipeline is checked on every run, so a broken configuration shows
   * even when the inbox is empty; stages are created only when needed. */
  b->p = sluice_pipeline_load (b->config, NULL, (const char *const *) b->plugin_path, &e);
  if (b->p == NULL)
    {
      fprintf (stderr, "sluice: error: invalid pipeline:\n%s\n", e->message);
      g_error_free (e);
      goto unlock;
    }
  b->out_format = b->p->output_format && strcmp (b->p->output_format, "text") == 0
                  ? SLUICE_OUTPUT_TEXT : SLUICE_OUTPUT_JSONL;
  b->out_ext = b->out_format == SLUICE_OUTPUT_TEXT ? ".txt" : ".jsonl";
  b->emit_views = b->p->emit_views;
  b->buf = g_string_sized_new (1 << 16);

  rc = SLUICE_EXIT_IO;
  if (!open_dir (b, b->out, TRUE, &b->out_fd) || !writable_dir (b, b->out_fd, b->out))
    goto unlock;
  if (!b->delete_done && !open_dir (b, b->done, TRUE, &b->done_fd))
    goto unlock;
  if (!open_dir (b, b->failed, TRUE, &b->failed_fd))
    goto unlock;
  if (same_dir (b->out_fd, b->inbox_fd) || (b->done_fd >= 0 && same_dir (b->done_fd, b->inbox_fd))
      || same_dir (b->failed_fd, b->inbox_fd))
    {
      sluice_cli_error ("--out, --done and --failed must be folders other than the inbox");
      rc = SLUICE_EXIT_CONFIG;
      goto unlock;
    }
  if (!db_open (b) || !recover (b))
    goto unlock;
  if (!clean_temps (b, b->out_fd, b->out) || !clean_temps (b, b->failed_fd, b->failed)
      || (b->done_fd >= 0 && !clean_temps (b, b->done_fd, b->done)))
    goto unlock;

  todo = scan_inbox (b);
  if (todo == NULL)
    goto unlock;
  if (todo->len > 0)
    {
      if (!sluice_pipeline_create_stages (b->p, &e))
        {
          sluice_cli_error ("%s", e->message);
          g_error_free (e);
          g_ptr_array_free (todo, TRUE);
          rc = SLUICE_EXIT_CONFIG;
          goto unlock;
        }
      Unit *run_unit = NULL;
      if (b->run_mode)
        {
          g_autofree char *name = g_strdup_printf ("batch-%s%s", b->stamp, b->out_ext);
          run_unit = unit_begin (b, name);
        }
      guint i = 0;
      for (; i < todo->len && !b->io_failed && !b->aborted; i++)
        {
          if (b->run_mode && run_unit == NULL)
            break;
          if (b->max_files && b->files + b->failed_files >= (guint) b->max_files)
            break;
          if (b->max_seconds && g_get_monotonic_time () - b->t0 >= (gint64) b->max_seconds * 1000000)
            break;
          Candidate *c = g_ptr_array_index (todo, i);
          Unit *u = run_unit;
          if (!b->run_mode)
            {
              g_autofree char *stem = stem_of_name (c->name);
              g_autofree char *name = g_strconcat (stem, b->out_ext, NULL);
              u = unit_begin (b, name);
              if (u == NULL)
                break;
            }
          FileResult r = process_file (b, c, u);
          if (!b->run_mode)
            {
              if (r == FILE_OK)
                unit_commit (b, u);
              else
                unit_abort (b, u);
            }
          else if (r == FILE_IO_ERROR)
            {
              unit_abort (b, run_unit);
              run_unit = NULL;
            }
        }
      b->remaining = todo->len - i;
      if (run_unit)
        {
          if (b->io_failed)
            unit_abort (b, run_unit);
          else
            unit_commit (b, run_unit);
        }
      g_ptr_array_free (todo, TRUE);
    }
  else
    g_ptr_array_free (todo, TRUE);

  if (b->io_failed)
    rc = SLUICE_EXIT_IO;
  else if (b->aborted)
    rc = SLUICE_EXIT_ABORTED;
  else if (b->failed_files || b->doc_errors)
    rc = SLUICE_EXIT_DOC_FAILED;
  else
    rc = SLUICE_EXIT_OK;

unlock:
  if (b->verbose || b->files || b->failed_files || b->recovered || b->io_failed || b->doc_errors
      || rc == SLUICE_EXIT_ABORTED)
    print_summary (b, rc);
  if (b->q_item_find)
    sqlite3_finalize (b->q_item_find);
  if (b->q_item_add)
    sqlite3_finalize (b->q_item_add);
  if (b->db)
    sqlite3_close (b->db);
out:
  if (lock_fd >= 0)
    close (lock_fd);
  g_free (lock_path);
  if (b->p)
    sluice_pipeline_free (b->p);
  int fds[] = { b->inbox_fd, b->out_fd, b->done_fd, b->failed_fd };
  for (guint k = 0; k < G_N_ELEMENTS (fds); k++)
    if (fds[k] >= 0)
      close (fds[k]);
  if (b->buf)
    g_string_free (b->buf, TRUE);
  g_free (b->config);
  g_free (b->inbox);
  g_free (b->out);
  g_free (b->done);
  g_free (b->failed);
  g_free (b->state);
  g_free (b->stamp);
  g_strfreev (b->plugin_path);
  g_free (out_mode);
  g_free (log_format);
  return rc;
}
