/* sluice — crash isolation of stages (`isolate = true` in a pipeline entry).
 *
 * An isolated stage runs in child processes forked from the sluice process
 * after create(), so each child inherits the created instance (copy on
 * write) and needs no re-initialisation.  The parent talks to a child over a
 * Unix socket pair:
 *
 *   parent -> child   one request per document: the whole document (id,
 *                     source, text, metadata, annotations with byte offsets
 *                     and typed attributes, keep_views flag)
 *   child  -> parent  the status process() returned; on success the new text
 *                     (only when a rewrite changed it), the new metadata, all
 *                     annotations (projected by the child's own rewrites) and
 *                     the views the child's rewrites kept; on failure the
 *                     GError's domain, code and message.
 *
 * Every message is a frame: a 64-bit length, then a payload of
 * little-endian-free native integers (both ends are the same binary) and
 * strings as (64-bit length, bytes, NUL).  The parent replaces the
 * document's text, metadata and annotations with the reply, so the
 * document stays consistent exactly as if the stage had run in-process.
 * A reply is validated (UTF-8, spans in range and on character boundaries)
 * before it is applied: a child that scribbled over its memory cannot break
 * the output invariants.
 *
 * Failures of the child fail only the current document:
 *   - it dies (SIGSEGV, SIGABRT, exit()): "stage crashed (SIGSEGV) ..."
 *   - no reply within timeout_ms (default 10 s): the child is killed with
 *     SIGKILL and the error says "timed out after N ms".
 * The dead child is reaped and a fresh one is forked for the next document.
 *
 * Threads: several workers may process documents with the same stage at
 * once.  Each stage keeps a POOL of idle children; a worker takes one (or
 * forks a new one when none is idle), uses it for one document and gives it
 * back, so the pool grows to at most the number of workers and isolated
 * stages run in parallel like in-process ones.
 *
 * fork() in a threaded process: the child only has the forking thread, and
 * a lock another thread held at that instant stays locked in the child
 * forever.  glibc resets its malloc locks across fork; for the rest (GLib's
 * string-intern lock, its message lock, its slice allocator's depot and
 * slab locks, the error-domain lock, stdio locks) the child takes and
 * releases each of them once before it reports ready, and the parent forks
 * again (up to five times) when a child does not report ready in time.
 * A lock private to a stage (say, a cache guarded by a mutex) cannot be
 * warmed up this way: if another thread held it at fork time the child
 * hangs on it and the document fails with a timeout; stages meant to run
 * isolated should not take locks in process() (they are read-only anyway).
 * Children also close the parent's ends of every other child's socket (all
 * socket pairs are created and registered under one lock held across
 * fork), so each child sees end-of-file as soon as its own parent end is
 * closed.  A child's stdout is redirected to stderr (a stage that prints
 * must not corrupt the JSONL output), and core dumps are disabled in it.
 */
#define _GNU_SOURCE 1             /* sigabbrev_np */
#include "core.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/syscall.h>

#define DEFAULT_TIMEOUT_MS 10000
/* A child reports ready within a millisecond or so; one that does not is
 * stuck on a lock inherited from another thread: kill it and fork again,
 * waiting twice as long each time (0.25 + 0.5 + 1 + 2 + 4 s at most). */
#define START_TIMEOUT_MS 250
#define START_TRIES 5
#define MAX_FRAME ((guint64) 1 << 34)     /* 16 GiB: anything above is corrupt */
#define READY_BYTE 'R'

typedef struct {
  pid_t pid;
  int fd;                       /* parent end of the socket pair */
} Child;

typedef struct {
  GMutex lock;
  GPtrArray *idle;              /* Child*, ready for the next document */
} IsolateState;

/* Held across socketpair() + fork() + registering the parent end, so a
 * child always knows every other child's parent end. */
static GMutex fork_lock;
static GArray *live_fds;        /* int: parent ends of all live children */

/* ------------------------------------------------------------ encoding */

static inline void
put_u8 (GString *b, guint8 v)
{
  g_string_append_c (b, (char) v);
}

static inline void
put_u64 (GString *b, guint64 v)
{
  g_string_append_len (b, (const char *) &v, sizeof v);
}

static inline void
put_str (GString *b, const char *s, gsize len)
{
  put_u64 (b, len);
  g_string_append_len (b, s, (gssize) len);
  g_string_append_c (b, '\0');
}

static inline void
put_cstr (GString *b, const char *s)
{
  if (s == NULL)
    s = "";
  put_str (b, s, strlen (s));
}

static void
put_attrs (GString *b, const SluiceAttrs *attrs)
{
  put_u64 (b, attrs->n);
  for (guint i = 0; i < attrs->n; i++)
    {
      const SluiceAttr *a = &attrs->items[i];
      put_cstr (b, a->key);
      put_u8 (b, (guint8) a->type);
      switch (a->type)
        {
        case SLUICE_VALUE_STRING:
        case SLUICE_VALUE_JSON:
          put_cstr (b, a->v.s);
          break;
        case SLUICE_VALUE_INT:
          put_u64 (b, (guint64) a->v.i);
          break;
        case SLUICE_VALUE_DOUBLE:
          g_string_append_len (b, (const char *) &a->v.d, sizeof a->v.d);
          break;
        case SLUICE_VALUE_BOOL:
          put_u8 (b, a->v.b ? 1 : 0);
          break;
        case SLUICE_VALUE_STRING_LIST:
          {
            guint n = a->v.list ? g_strv_length (a->v.list) : 0;
            put_u64 (b, n);
            for (guint k = 0; k < n; k++)
              put_cstr (b, a->v.list[k]);
          }
          break;
        default:
          break;
        }
    }
}

static void
put_annotations (GString *b, const SluiceDocument *doc)
{
  put_u64 (b, doc->annotations->len);
  for (guint i = 0; i < doc->annotations->len; i++)
    {
      const SluiceAnnotation *a = g_ptr_array_index (doc->annotations, i);
      put_cstr (b, a->type);
      put_cstr (b, a->stage);
      put_u64 (b, a->start);
      put_u64 (b, a->end);
      put_attrs (b, &a->attrs);
    }
}

/* A frame under construction: 8 bytes of length, patched by frame_end. */
static GString *
frame_begin (gsize hint)
{
  GString *b = g_string_sized_new (hint + 64);
  put_u64 (b, 0);
  return b;
}

static void
frame_end (GString *b)
{
  guint64 n = b->len - sizeof (guint64);
  memcpy (b->str, &n, sizeof n);
}

/* ------------------------------------------------------------ decoding */

typedef struct {
  const guint8 *p;
  gsize len;
  gsize pos;
  gboolean bad;
} Cursor;

static guint8
get_u8 (Cursor *c)
{
  if (c->bad || c->len - c->pos < 1)
    {
      c->bad = TRUE;
      return 0;
    }
  return c->p[c->pos++];
}

static guint64
get_u64 (Cursor *c)
{
  guint64 v = 0;
  if (c->bad || c->len - c->pos < sizeof v)
    {
      c->bad = TRUE;
      return 0;
    }
  memcpy (&v, c->p + c->pos, sizeof v);
  c->pos += sizeof v;
  return v;
}

static double
get_double (Cursor *c)
{
  double v = 0;
  if (c->bad || c->len - c->pos < sizeof v)
    {
      c->bad = TRUE;
      return 0;
    }
  memcpy (&v, c->p + c->pos, sizeof v);
  c->pos += sizeof v;
  return v;
}

/* A NUL-terminated string pointing into the buffer ("" when bad). */
static const char *
get_str (Cursor *c, gsize *len)
{
  guint64 n = get_u64 (c);
  if (c->bad || n >= c->len - c->pos || c->p[c->pos + n] != '\0')
    {
      c->bad = TRUE;
      if (len)
        *len = 0;
      return "";
    }
  const char *s = (const char *) c->p + c->pos;
  c->pos += n + 1;
  if (len)
    *len = n;
  return s;
}

static void
get_attrs (Cursor *c, SluiceAttrs *attrs)
{
  guint64 n = get_u64 (c);
  for (guint64 i = 0; i < n && !c->bad; i++)
    {
      const char *key = get_str (c, NULL);
      guint8 type = get_u8 (c);
      if (c->bad)
        return;
      switch (type)
        {
        case SLUICE_VALUE_NULL:
          sluice_attrs_set_null (attrs, key);
          break;
        case SLUICE_VALUE_STRING:
          {
            gsize len;
            const char *s = get_str (c, &len);
            if (!c->bad)
              sluice_attrs_set_string_len (attrs, key, s, len);
          }
          break;
        case SLUICE_VALUE_JSON:
          {
            const char *s = get_str (c, NULL);
            if (!c->bad)
              sluice_attrs_set_json_trusted (attrs, key, s);
          }
          break;
        case SLUICE_VALUE_INT:
          {
            gint64 v = (gint64) get_u64 (c);
            if (!c->bad)
              sluice_attrs_set_int (attrs, key, v);
          }
          break;
        case SLUICE_VALUE_DOUBLE:
          {
            double v = get_double (c);
            if (!c->bad)
              sluice_attrs_set_double (attrs, key, v);
          }
          break;
        case SLUICE_VALUE_BOOL:
          {
            guint8 v = get_u8 (c);
            if (!c->bad)
              sluice_attrs_set_bool (attrs, key, v != 0);
          }
          break;
        case SLUICE_VALUE_STRING_LIST:
          {
            guint64 k = get_u64 (c);
            if (c->bad || k > c->len - c->pos)
              {
                c->bad = TRUE;
                return;
              }
            const char **list = g_new (const char *, k + 1);
            for (guint64 j = 0; j < k; j++)
              list[j] = get_str (c, NULL);
            list[k] = NULL;
            if (!c->bad)
              sluice_attrs_set_string_list (attrs, key, list, (gssize) k);
            g_free (list);
          }
          break;
        default:
          c->bad = TRUE;
          return;
        }
    }
}

static void
annotation_free (gpointer p)
{
  SluiceAnnotation *a = p;
  sluice_attrs_clear (&a->attrs);
  g_free (a);
}

static inline gboolean
is_char_boundary (const char *text, gsize len, gsize pos)
{
  return pos == 0 || pos >= len || ((guchar) text[pos] & 0xC0) != 0x80;
}

/* Reads annotations into `out` (SluiceAnnotation*, owned), checking every
 * span against `text` when `check` is TRUE. */
static void
get_annotations (Cursor *c, GPtrArray *out, const char *text, gsize len, gboolean check)
{
  guint64 n = get_u64 (c);
  if (n > c->len - c->pos)
    c->bad = TRUE;
  for (guint64 i = 0; i < n && !c->bad; i++)
    {
      const char *type = get_str (c, NULL);
      const char *stage = get_str (c, NULL);
      guint64 start = get_u64 (c);
      guint64 end = get_u64 (c);
      if (c->bad)
        return;
      if (check && (*type == '\0' || start > end || end > len
                    || !is_char_boundary (text, len, start) || !is_char_boundary (text, len, end)))
        {
          c->bad = TRUE;
          return;
        }
      SluiceAnnotation *a = g_new (SluiceAnnotation, 1);
      a->type = sluice_intern (type);
      a->stage = sluice_intern (stage);
      a->start = start;
      a->end = end;
      sluice_attrs_init (&a->attrs);
      g_ptr_array_add (out, a);
      get_attrs (c, &a->attrs);
    }
}

/* ------------------------------------------------------- blocking I/O */

static gboolean
write_full (int fd, const void *buf, gsize len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
read_full (int fd, void *buf, gsize len)
{
  char *p = buf;
  while (len > 0)
    {
      ssize_t n = recv (fd, p, len, 0);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      if (n == 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* --------------------------------------------------------------- child */

/* SIG_DFL for `sig`, with the system call itself: sanitizers intercept
 * signal() and sigaction() for the signals they handle and ignore them. */
static void
default_signal_action (int sig)
{
  struct {
    void (*handler) (int);
    unsigned long flags;
    void (*restorer) (void);
    unsigned long mask;
  } ksa = { SIG_DFL, 0, NULL, 0 };
  syscall (SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
}

/* A stage that calls exit() in the child must not run the parent's exit
 * handlers nor flush the stdio buffers it inherited (the parent's pending
 * output: flushing them would write those bytes a second time into the
 * output files).  Registered first in the child, this runs first. */
static void
child_on_exit (int status, void *unused)
{
  _exit (status);
}

static G_GNUC_NORETURN void
child_main (SluiceStageInstance *st, int fd, pid_t parent)
{
  on_exit (child_on_exit, NULL);
  /* A crash must end the child by its signal, so that the parent can name
   * it, even where a sanitizer or a debugging library installed handlers. */
  const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
  for (guint i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    default_signal_action (crash_signals[i]);
  /* A parent killed outright (SIGKILL) leaves a child stuck inside
   * process() running until the stage returns; it then reads EOF and exits.
   * (PR_SET_PDEATHSIG fires when the forking worker *thread* ends, and a
   * watchdog thread or timer in the child made forked children hang.) */
  (void) parent;

  /* Only this thread exists now.  Close the parent ends of the other
   * children's sockets so that they see EOF when the parent closes them. */
  for (guint i = 0; live_fds && i < live_fds->len; i++)
    close (g_array_index (live_fds, int, i));

  struct rlimit no_core = { 0, 0 };
  setrlimit (RLIMIT_CORE, &no_core);

  /* Whatever the parent had buffered for stdout is the parent's to write;
   * what the stage prints goes to stderr, never into the output. */
  __fpurge (stdout);
  dup2 (STDERR_FILENO, STDOUT_FILENO);

  /* Take and release the locks another thread may have held at fork time:
   * if one of them is stuck, we hang here, before saying ready, and the
   * parent forks again. */
  flockfile (stdout);
  funlockfile (stdout);
  flockfile (stderr);
  funlockfile (stderr);
  g_intern_string ("sluice-isolate");
  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_always_fatal (fatal);
  g_free (g_malloc (1));
  g_error_free (g_error_new_literal (SLUICE_ERROR, SLUICE_ERROR_FAILED, "warm-up"));
  /* GLib < 2.76 has a slice allocator with two global mutexes (its magazine
   * depot and its slab pages), used by GString, GPtrArray, GError...
   * Allocating many chunks of an otherwise unused size forces this thread
   * to refill its magazine from the depot and the depot from new slabs, so
   * both mutexes are taken once. */
  {
    enum { N_WARM = 4096, WARM_SIZE = 344 };
    gpointer *chunks = g_new (gpointer, N_WARM);
    for (guint i = 0; i < N_WARM; i++)
      chunks[i] = g_slice_alloc (WARM_SIZE);
    for (guint i = 0; i < N_WARM; i++)
      g_slice_free1 (WARM_SIZE, chunks[i]);
    g_free (chunks);
  }

  char ready = READY_BYTE;
  if (!write_full (fd, &ready, 1))
    _exit (0);

  const SluiceStageDescriptor *desc = st->plugin->desc;
  for (;;)
    {
      guint64 len;
      if (!read_full (fd, &len, sizeof len) || len > MAX_FRAME)
        _exit (0);
      guint8 *buf = g_malloc (len + 1);
      if (!read_full (fd, buf, len))
        _exit (0);
      Cursor c = { buf, len, 0, FALSE };
      gboolean keep_views = get_u8 (&c) != 0;
      const char *id = get_str (&c, NULL);
      const char *source = get_str (&c, NULL);
      gsize text_len;
      const char *text = get_str (&c, &text_len);
      if (c.bad)
        _exit (3);
      SluiceDocument *doc = sluice_document_new_take (g_strdup (id), g_strdup (source),
                                                      g_memdup2 (text, text_len + 1), text_len);
      doc->keep_views = keep_views;
      get_attrs (&c, &doc->meta);
      get_annotations (&c, doc->annotations, doc->text, doc->len, FALSE);
      if (c.bad)
        _exit (3);
      g_free (buf);

      const char *text_before = doc->text;
      sluice_document_set_current_stage (doc, st->name);
      GError *e = NULL;
      SluiceStatus status = desc->process (st->instance, doc, &e);

      GString *r = frame_begin (doc->len + doc->annotations->len * 64);
      put_u8 (r, (guint8) status);
      if (status == SLUICE_OK)
        {
          gboolean changed = doc->text != text_before;
          put_u8 (r, changed);
          if (changed)
            put_str (r, doc->text, doc->len);
          put_attrs (r, &doc->meta);
          put_annotations (r, doc);
          guint nv = doc->views ? doc->views->len : 0;
          put_u64 (r, nv);
          for (guint i = 0; i < nv; i++)
            {
              SluiceView *v = &g_array_index (doc->views, SluiceView, i);
              put_str (r, v->text, v->len);
              put_cstr (r, v->stage);
            }
        }
      else
        {
          put_cstr (r, e ? g_quark_to_string (e->domain) : "");
          put_u64 (r, e ? (guint64) e->code : 0);
          put_cstr (r, e ? e->message : "");
        }
      g_clear_error (&e);
      frame_end (r);
      gboolean ok = write_full (fd, r->str, r->len);
      g_string_free (r, TRUE);
      sluice_document_free (doc);
      if (!ok)
        _exit (0);
    }
}

/* -------------------------------------------------------------- parent */

typedef enum { IO_OK, IO_TIMEOUT, IO_BROKEN } IoResult;

/* Waits for `events` on fd until the monotonic `deadline` (microseconds). */
static IoResult
wait_fd (int fd, short events, gint64 deadline)
{
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      if (now >= deadline)
        return IO_TIMEOUT;
      struct pollfd pfd = { fd, events, 0 };
      int ms = (int) MIN ((deadline - now + 999) / 1000, G_MAXINT);
      int r = poll (&pfd, 1, ms);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return IO_BROKEN;
        }
      if (r > 0)
        return IO_OK;
    }
}

static IoResult
send_deadline (int fd, const char *buf, gsize len, gint64 deadline)
{
  while (len > 0)
    {
      IoResult w = wait_fd (fd, POLLOUT, deadline);
      if (w != IO_OK)
        return w;
      ssize_t n = send (fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            continue;
          return IO_BROKEN;
        }
      buf += n;
      len -= (gsize) n;
    }
  return IO_OK;
}

static IoResult
recv_deadline (int fd, void *buf, gsize len, gint64 deadline)
{
  char *p = buf;
  while (len > 0)
    {
      IoResult w = wait_fd (fd, POLLIN, deadline);
      if (w != IO_OK)
        return w;
      ssize_t n = recv (fd, p, len, MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            continue;
          return IO_BROKEN;
        }
      if (n == 0)
        return IO_BROKEN;
      p += n;
      len -= (gsize) n;
    }
  return IO_OK;
}

static void
unregister_and_close (int fd)
{
  g_mutex_lock (&fork_lock);
  for (guint i = 0; live_fds && i < live_fds->len; i++)
    if (g_array_index (live_fds, int, i) == fd)
      {
        g_array_remove_index_fast (live_fds, i);
        break;
      }
  close (fd);
  g_mutex_unlock (&fork_lock);
}

/* Reaps the child, waiting up to `grace_ms` for it to exit on its own
 * before killing it.  Returns the wait status. */
static int
reap (pid_t pid, guint grace_ms)
{
  int status = 0;
  for (guint waited = 0;; waited += 5)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR))
        return status;
      if (waited >= grace_ms)
        break;
      g_usleep (5000);
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

static void
child_discard (Child *c, gboolean kill_first)
{
  if (kill_first)
    kill (c->pid, SIGKILL);
  unregister_and_close (c->fd);
  reap (c->pid, kill_first ? 0 : 2000);
  g_free (c);
}

/* "SIGSEGV" for 11; "signal 42" for numbers without a name. */
static char *
signal_name (int sig)
{
  const char *abbrev = sigabbrev_np (sig);
  return abbrev ? g_strdup_printf ("SIG%s", abbrev) : g_strdup_printf ("signal %d", sig);
}

static Child *
child_spawn (SluiceStageInstance *st, GError **error)
{
  g_autofree char *why = NULL;
  for (int attempt = 0; attempt < START_TRIES; attempt++)
    {
      int sv[2];
      g_mutex_lock (&fork_lock);
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        {
          int err = errno;
          g_mutex_unlock (&fork_lock);
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                       "cannot start an isolated process: socketpair: %s", g_strerror (err));
          return NULL;
        }
      pid_t parent = getpid ();
      pid_t pid = fork ();
      if (pid == 0)
        {
          close (sv[0]);
          child_main (st, sv[1], parent);
        }
      int err = errno;
      close (sv[1]);
      if (pid < 0)
        {
          close (sv[0]);
          g_mutex_unlock (&fork_lock);
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                       "cannot start an isolated process: fork: %s", g_strerror (err));
          return NULL;
        }
      if (live_fds == NULL)
        live_fds = g_array_new (FALSE, FALSE, sizeof (int));
      g_array_append_val (live_fds, sv[0]);
      g_mutex_unlock (&fork_lock);

      Child *c = g_new0 (Child, 1);
      c->pid = pid;
      c->fd = sv[0];
      char ready = 0;
      gint64 deadline = g_get_monotonic_time () + ((gint64) START_TIMEOUT_MS << attempt) * 1000;
      IoResult r = recv_deadline (c->fd, &ready, 1, deadline);
      if (r == IO_OK && ready == READY_BYTE)
        return c;
      g_free (why);
      why = g_strdup (r == IO_TIMEOUT ? "it did not start in time" : "it died while starting");
      child_discard (c, TRUE);
    }
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
               "cannot start an isolated process for stage '%s': %s", st->name, why);
  return NULL;
}

static IsolateState *
get_state (SluiceStageInstance *st)
{
  if (g_once_init_enter (&st->isolate_state))
    {
      IsolateState *s = g_new0 (IsolateState, 1);
      g_mutex_init (&s->lock);
      s->idle = g_ptr_array_new ();
      g_once_init_leave (&st->isolate_state, s);
    }
  return st->isolate_state;
}

static Child *
child_acquire (SluiceStageInstance *st, IsolateState *s, GError **error)
{
  for (;;)
    {
      g_mutex_lock (&s->lock);
      Child *c = s->idle->len ? g_ptr_array_steal_index_fast (s->idle, s->idle->len - 1) : NULL;
      g_mutex_unlock (&s->lock);
      if (c == NULL)
        return child_spawn (st, error);
      /* A child that died between documents is replaced silently. */
      int status;
      if (waitpid (c->pid, &status, WNOHANG) == c->pid)
        {
          unregister_and_close (c->fd);
          g_free (c);
          continue;
        }
      return c;
    }
}

static void
child_release (IsolateState *s, Child *c)
{
  g_mutex_lock (&s->lock);
  g_ptr_array_add (s->idle, c);
  g_mutex_unlock (&s->lock);
}

static GString *
encode_request (const SluiceDocument *doc)
{
  GString *b = frame_begin (doc->len + doc->annotations->len * 64);
  put_u8 (b, doc->keep_views ? 1 : 0);
  put_cstr (b, doc->id);
  put_cstr (b, doc->source);
  put_str (b, doc->text, doc->len);
  put_attrs (b, &doc->meta);
  put_annotations (b, doc);
  frame_end (b);
  return b;
}

/* Applies a successful reply to doc; FALSE (doc unchanged) when the reply
 * is malformed or breaks an invariant. */
static gboolean
apply_reply (SluiceDocument *doc, Cursor *c)
{
  gboolean changed = get_u8 (c) != 0;
  const char *text = doc->text;
  gsize len = doc->len;
  if (changed)
    {
      text = get_str (c, &len);
      if (c->bad || !sluice_utf8_is_clean (text, len))
        return FALSE;
    }
  SluiceAttrs meta;
  sluice_attrs_init (&meta);
  get_attrs (c, &meta);
  GPtrArray *anns = g_ptr_array_new_with_free_func (annotation_free);
  get_annotations (c, anns, text, len, TRUE);
  guint64 nv = get_u64 (c);
  GArray *views = g_array_new (FALSE, FALSE, sizeof (SluiceView));
  for (guint64 i = 0; i < nv && !c->bad; i++)
    {
      gsize vlen;
      const char *vt = get_str (c, &vlen);
      const char *vs = get_str (c, NULL);
      if (c->bad)
        break;
      SluiceView v = { g_memdup2 (vt, vlen + 1), vlen, sluice_intern (vs) };
      g_array_append_val (views, v);
    }
  if (c->bad || c->pos != c->len)
    {
      for (guint i = 0; i < views->len; i++)
        g_free (g_array_index (views, SluiceView, i).text);
      g_array_unref (views);
      g_ptr_array_unref (anns);
      sluice_attrs_clear (&meta);
      return FALSE;
    }

  if (changed)
    {
      g_free (doc->text);
      doc->text = g_memdup2 (text, len + 1);
      doc->len = len;
    }
  sluice_attrs_clear (&doc->meta);
  doc->meta = meta;
  /* Swap the annotation arrays' contents. */
  g_ptr_array_set_size (doc->annotations, 0);
  for (guint i = 0; i < anns->len; i++)
    g_ptr_array_add (doc->annotations, anns->pdata[i]);
  g_ptr_array_set_free_func (anns, NULL);
  g_ptr_array_unref (anns);
  if (views->len > 0)
    {
      if (doc->views == NULL)
        doc->views = g_array_new (FALSE, FALSE, sizeof (SluiceView));
      g_array_append_vals (doc->views, views->data, views->len);
    }
  g_array_unref (views);
  return TRUE;
}

SluiceStatus
sluice_isolate_process (SluiceStageInstance *st, SluiceDocument *doc, GError **error)
{
  IsolateState *s = get_state (st);
  guint timeout_ms = st->timeout_ms ? st->timeout_ms : DEFAULT_TIMEOUT_MS;

  Child *c = child_acquire (st, s, error);
  if (c == NULL)
    return SLUICE_DOC_ERROR;

  GString *req = encode_request (doc);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  IoResult r = send_deadline (c->fd, req->str, req->len, deadline);
  g_string_free (req, TRUE);
  guint64 len = 0;
  if (r == IO_OK)
    r = recv_deadline (c->fd, &len, sizeof len, deadline);
  guint8 *buf = NULL;
  if (r == IO_OK)
    {
      if (len == 0 || len > MAX_FRAME)
        r = IO_BROKEN;
      else
        {
          /* A broken child may claim any length: never abort on it. */
          buf = g_try_malloc (len);
          r = buf ? recv_deadline (c->fd, buf, len, deadline) : IO_BROKEN;
        }
    }

  if (r == IO_TIMEOUT)
    {
      g_free (buf);
      child_discard (c, TRUE);
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                   "timed out after %u ms; its isolated process was killed and "
                   "a new process serves the next document", timeout_ms);
      return SLUICE_DOC_ERROR;
    }
  if (r == IO_BROKEN)
    {
      g_free (buf);
      unregister_and_close (c->fd);
      int status = reap (c->pid, 1000);
      g_free (c);
      if (WIFSIGNALED (status))
        {
          g_autofree char *sig = signal_name (WTERMSIG (status));
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                       "stage crashed (%s) in its isolated process: %s; "
                       "a new process serves the next document",
                       sig, strsignal (WTERMSIG (status)));
        }
      else if (WIFEXITED (status))
        g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                     "stage's isolated process exited with status %d in the middle of "
                     "the document; a new process serves the next document",
                     WEXITSTATUS (status));
      else
        g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                     "stage's isolated process stopped answering");
      return SLUICE_DOC_ERROR;
    }

  Cursor cur = { buf, len, 0, FALSE };
  guint8 status = get_u8 (&cur);
  SluiceStatus ret;
  if (status == SLUICE_OK)
    {
      if (apply_reply (doc, &cur))
        ret = SLUICE_OK;
      else
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                       "stage's isolated process sent a malformed reply; it was killed");
          g_free (buf);
          child_discard (c, TRUE);
          return SLUICE_DOC_ERROR;
        }
    }
  else if (status == SLUICE_DOC_ERROR || status == SLUICE_FATAL)
    {
      const char *domain = get_str (&cur, NULL);
      gint code = (gint) get_u64 (&cur);
      const char *message = get_str (&cur, NULL);
      if (cur.bad || *domain == '\0')
        g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                     "the stage failed without saying why");
      else
        g_set_error_literal (error, g_quark_from_string (domain), code, message);
      ret = (SluiceStatus) status;
    }
  else
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                   "stage's isolated process sent a malformed reply; it was killed");
      g_free (buf);
      child_discard (c, TRUE);
      return SLUICE_DOC_ERROR;
    }
  g_free (buf);
  child_release (s, c);
  return ret;
}

void
sluice_isolate_shutdown (SluiceStageInstance *st)
{
  IsolateState *s = st->isolate_state;
  if (s == NULL)
    return;
  /* Closing the parent ends makes every idle child read EOF and exit;
   * close them all first so they exit in parallel. */
  for (guint i = 0; i < s->idle->len; i++)
    {
      Child *c = g_ptr_array_index (s->idle, i);
      unregister_and_close (c->fd);
    }
  for (guint i = 0; i < s->idle->len; i++)
    {
      Child *c = g_ptr_array_index (s->idle, i);
      reap (c->pid, 2000);
      g_free (c);
    }
  g_ptr_array_unref (s->idle);
  g_mutex_clear (&s->lock);
  g_free (s);
  st->isolate_state = NULL;
}
