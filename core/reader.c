/* sluice — input readers: files, directories (recursed in sorted order,
 * hidden entries skipped), stdin; plain text (one document per file) and
 * JSONL (one document per line).  Memory stays bounded: a file is read whole
 * only up to max_document_bytes, and JSONL is read line by line. */
#include "core.h"
#include "bytescan.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
#define BINARY_SNIFF_BYTES (64 * 1024)

struct _SluiceReader {
  GQueue pending;               /* char* paths still to open (front = next) */
  GHashTable *from_dir;         /* pending paths found inside a directory */
  SluiceInputFormat format;
  gsize max_bytes;
  gsize max_line;
  gboolean reject_invalid;
  gboolean keep_views;
  GHashTable *seen_dirs;        /* "dev:ino" of directories entered */

  /* The JSONL stream being read, if any. */
  int fd;
  gboolean is_stdin;
  char *name;                   /* display name of the current stream */
  char *base;                   /* its base name without extension */
  guint64 lineno;
  char *buf;
  gsize buf_len;                /* bytes held */
  gsize buf_pos;                /* start of the unread part */
  gsize buf_alloc;
  gboolean eof;
  gboolean skipping;            /* discarding an over-long line */
  GString *scratch;
  GString *extra;
};

SluiceReader *
sluice_reader_new (const char *const *inputs, SluiceInputFormat format,
                   gsize max_document_bytes, gboolean reject_invalid_utf8, gboolean keep_views)
{
  SluiceReader *r = g_new0 (SluiceReader, 1);
  g_queue_init (&r->pending);
  r->from_dir = g_hash_table_new (g_direct_hash, g_direct_equal);
  if (inputs == NULL || inputs[0] == NULL)
    g_queue_push_tail (&r->pending, g_strdup ("-"));
  else
    for (guint i = 0; inputs[i]; i++)
      g_queue_push_tail (&r->pending, g_strdup (inputs[i]));
  r->format = format;
  r->max_bytes = max_document_bytes ? max_document_bytes : SLUICE_DEFAULT_MAX_DOCUMENT_BYTES;
  /* A JSON-escaped text can be up to 6 bytes per input byte. */
  r->max_line = r->max_bytes > G_MAXSIZE / 8 ? G_MAXSIZE / 2 : r->max_bytes * 6 + (1 << 20);
  r->reject_invalid = reject_invalid_utf8;
  r->keep_views = keep_views;
  r->seen_dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->fd = -1;
  r->scratch = g_string_new (NULL);
  r->extra = g_string_new (NULL);
  return r;
}

static void
close_stream (SluiceReader *r)
{
  if (r->fd >= 0 && !r->is_stdin)
    close (r->fd);
  r->fd = -1;
  r->is_stdin = FALSE;
  g_clear_pointer (&r->name, g_free);
  g_clear_pointer (&r->base, g_free);
  g_clear_pointer (&r->buf, g_free);
  r->buf_len = r->buf_pos = r->buf_alloc = 0;
  r->eof = FALSE;
  r->skipping = FALSE;
  r->lineno = 0;
}

void
sluice_reader_free (SluiceReader *r)
{
  if (r == NULL)
    return;
  close_stream (r);
  g_queue_clear_full (&r->pending, g_free);
  g_hash_table_unref (r->from_dir);
  g_hash_table_unref (r->seen_dirs);
  g_string_free (r->scratch, TRUE);
  g_string_free (r->extra, TRUE);
  g_free (r);
}

static char *
stem_of (const char *path)
{
  if (strcmp (path, "-") == 0)
    return g_strdup ("stdin");
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  return base;
}

static gboolean
is_jsonl_name (const char *path)
{
  return g_str_has_suffix (path, ".jsonl") || g_str_has_suffix (path, ".ndjson");
}

/* Text of a document, sanitised per policy; NULL + error when rejected.
 * `raw` is NUL-terminated at raw[len] and owned by the caller; when it is
 * already clean (the common case) it is taken over (*raw_taken = TRUE)
 * instead of copied.  known_clean: the caller has checked that raw is valid
 * UTF-8 without NUL (the JSON parser does while decoding). */
static SluiceDocument *
make_document (SluiceReader *r, char *id, char *source, char *raw, gsize len,
               gsize pre_replaced, gboolean known_clean, gboolean *raw_taken, GError **error)
{
  *raw_taken = FALSE;
  if (len > r->max_bytes)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                   "%s: document '%s' is %" G_GSIZE_FORMAT " bytes, over max_document_bytes (%"
                   G_GSIZE_FORMAT "); not processed (raise max_document_bytes in the pipeline "
                   "to accept it)", source, id, len, r->max_bytes);
      g_free (id);
      g_free (source);
      return NULL;
    }
  if (pre_replaced == 0 && (known_clean || sluice_utf8_is_clean (raw, len)))
    {
      SluiceDocument *doc = sluice_document_new_take (id, source, raw, len);
      doc->keep_views = r->keep_views;
      *raw_taken = TRUE;
      return doc;
    }
  GString *clean = g_string_sized_new (len + 1);
  gsize replaced = sluice_utf8_sanitize (raw, len, clean) + pre_replaced;
  if (replaced > 0 && r->reject_invalid)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                   "%s: document '%s' holds %" G_GSIZE_FORMAT " invalid UTF-8 sequence(s) or NUL "
                   "byte(s); rejected (invalid_utf8 = \"reject\")", source, id, replaced);
      g_string_free (clean, TRUE);
      g_free (id);
      g_free (source);
      return NULL;
    }
  gsize clen = clean->len;
  SluiceDocument *doc = sluice_document_new_take (id, source, g_string_free (clean, FALSE), clen);
  doc->keep_views = r->keep_views;
  if (replaced > 0)
    sluice_document_add_warning (doc, "invalid UTF-8: %" G_GSIZE_FORMAT " invalid sequence(s) "
                                 "or NUL byte(s) replaced with U+FFFD", replaced);
  return doc;
}

/* Share of NUL bytes and invalid UTF-8 in the first bytes. */
static gboolean
looks_binary (const char *data, gsize len)
{
  gsize n = MIN (len, BINARY_SNIFF_BYTES);
  /* Too little to judge: a short file with a stray NUL is text. */
  if (n < 256 || memchr (data, '\0', n) == NULL)
    return FALSE;
  gsize bad = 0;
  const char *p = data, *end = data + n;
  while (p < end)
    {
      const char *stop;
      if (g_utf8_validate_len (p, (gsize) (end - p), &stop))
        break;
      p = stop;
      if (p < end)
        {
          /* NULs are counted below; a sequence cut by the sniff window is not bad. */
          if (*p != '\0' && end - p >= 4)
            bad++;
          p++;
        }
    }
  for (gsize i = 0; i < n; i++)
    if (data[i] == '\0')
      bad++;
  return bad * 10 > n;  /* more than 10% */
}

static gboolean
read_all (int fd, gsize limit, GString *out, gboolean *too_big, GError **error, const char *name)
{
  *too_big = FALSE;
  for (;;)
    {
      if (out->len > limit)
        {
          *too_big = TRUE;
          return TRUE;
        }
      gsize want = READ_CHUNK;
      g_string_set_size (out, out->len + want);
      ssize_t n = read (fd, out->str + out->len - want, want);
      if (n < 0)
        {
          g_string_set_size (out, out->len - want);
          if (errno == EINTR && !sluice_stop_requested)
            continue;
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s: read error: %s", name,
                       g_strerror (errno));
          return FALSE;
        }
      g_string_set_size (out, out->len - want + (gsize) n);
      if (n == 0)
        return TRUE;
    }
}

static SluiceDocument *
read_text_document (SluiceReader *r, const char *path, GError **error)
{
  gboolean is_stdin = strcmp (path, "-") == 0;
  int fd = is_stdin ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s: cannot open: %s", path,
                   g_strerror (errno));
      return NULL;
    }
  const char *name = is_stdin ? "<stdin>" : path;
  struct stat st;
  if (!is_stdin && fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && (gsize) st.st_size > r->max_bytes)
    {
      close (fd);
      g_autofree char *id = stem_of (path);
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                   "%s: document '%s' is %" G_GSIZE_FORMAT " bytes, over max_document_bytes (%"
                   G_GSIZE_FORMAT "); not processed (raise max_document_bytes in the pipeline "
                   "to accept it)", name, id, (gsize) st.st_size, r->max_bytes);
      return NULL;
    }
  GString *data = g_string_sized_new (is_stdin ? READ_CHUNK : (gsize) st.st_size + 1);
  gboolean too_big = FALSE;
  gboolean ok = read_all (fd, r->max_bytes, data, &too_big, error, name);
  if (!is_stdin)
    close (fd);
  if (!ok)
    {
      g_string_free (data, TRUE);
      return NULL;
    }
  char *id = stem_of (path);
  if (too_big)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                   "%s: document '%s' is over max_document_bytes (%" G_GSIZE_FORMAT
                   "); not processed", name, id, r->max_bytes);
      g_free (id);
      g_string_free (data, TRUE);
      return NULL;
    }
  if (looks_binary (data->str, data->len))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                   "%s: looks like a binary file (NUL bytes and invalid UTF-8 in more than 10%% "
                   "of its first %u bytes); not processed", name, BINARY_SNIFF_BYTES);
      g_free (id);
      g_string_free (data, TRUE);
      return NULL;
    }
  gboolean taken;
  SluiceDocument *doc = make_document (r, id, g_strdup (name), data->str, data->len, 0, FALSE, &taken,
                                       error);
  g_string_free (data, !taken);
  return doc;
}

/* Fills the buffer; FALSE at EOF with nothing left, or on error. */
static gboolean
fill (SluiceReader *r, GError **error)
{
  if (r->eof)
    return FALSE;
  if (r->buf_pos > 0)
    {
      memmove (r->buf, r->buf + r->buf_pos, r->buf_len - r->buf_pos);
      r->buf_len -= r->buf_pos;
      r->buf_pos = 0;
    }
  if (r->buf_alloc - r->buf_len < READ_CHUNK)
    {
      r->buf_alloc = MAX (r->buf_alloc * 2, r->buf_len + READ_CHUNK * 4);
      r->buf = g_realloc (r->buf, r->buf_alloc);
    }
  for (;;)
    {
      ssize_t n = read (r->fd, r->buf + r->buf_len, r->buf_alloc - r->buf_len);
      if (n < 0 && errno == EINTR && !sluice_stop_requested)
        continue;
      if (n < 0)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s:%" G_GUINT64_FORMAT
                       ": read error: %s", r->name, r->lineno + 1, g_strerror (errno));
          r->eof = TRUE;
          return FALSE;
        }
      if (n == 0)
        r->eof = TRUE;
      r->buf_len += (gsize) n;
      return n > 0;
    }
}

static SluiceDocument *parse_line (SluiceReader *r, char *start, gsize len, GError **error);

static SluiceDocument *
next_jsonl (SluiceReader *r, GError **error, gboolean *end_of_stream)
{
  *end_of_stream = FALSE;
  for (;;)
    {
      char *start = r->buf + r->buf_pos;
      gsize avail = r->buf_len - r->buf_pos;
      char *nl = avail ? memchr (start, '\n', avail) : NULL;
      if (nl == NULL)
        {
          if (avail > r->max_line)
            {
              /* Over-long line: drop what we have and skip to its end. */
              if (!r->skipping)
                {
                  r->skipping = TRUE;
                  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                               "%s:%" G_GUINT64_FORMAT ": line longer than %" G_GSIZE_FORMAT
                               " bytes (6 x max_document_bytes + 1 MiB); skipped",
                               r->name, r->lineno + 1, r->max_line);
                  r->buf_pos = r->buf_len;
                  return NULL;
                }
              r->buf_pos = r->buf_len;
            }
          GError *e = NULL;
          if (fill (r, &e))
            continue;
          if (e)
            {
              g_propagate_error (error, e);
              *end_of_stream = TRUE;
              return NULL;
            }
          if (r->buf_len == r->buf_pos)
            {
              *end_of_stream = TRUE;
              return NULL;
            }
          /* Last line without a newline. */
          start = r->buf + r->buf_pos;
          avail = r->buf_len - r->buf_pos;
          nl = start + avail;
        }
      gsize len = (gsize) (nl - start);
      r->buf_pos += len + (nl < r->buf + r->buf_len ? 1 : 0);
      r->lineno++;
      if (r->skipping)
        {
          r->skipping = FALSE;
          continue;
        }
      if (len > r->max_line)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                       "%s:%" G_GUINT64_FORMAT ": line longer than %" G_GSIZE_FORMAT
                       " bytes (6 x max_document_bytes + 1 MiB); skipped",
                       r->name, r->lineno, r->max_line);
          return NULL;
        }
      /* After a long line, give the memory back. */
      if (r->buf_alloc > 16 * READ_CHUNK && r->buf_len - r->buf_pos < READ_CHUNK)
        {
          gsize keep = r->buf_len - r->buf_pos;
          char *nb = g_malloc (4 * READ_CHUNK);
          memcpy (nb, r->buf + r->buf_pos, keep);
          /* `start` points into the old buffer: copy the line out first. */
          char *line = g_memdup2 (start, len);
          g_free (r->buf);
          r->buf = nb;
          r->buf_alloc = 4 * READ_CHUNK;
          r->buf_len = keep;
          r->buf_pos = 0;
          GError *e = NULL;
          SluiceDocument *doc = parse_line (r, line, len, &e);
          g_free (line);
          if (doc == NULL && e == NULL)
            continue;   /* blank line */
          if (e)
            g_propagate_error (error, e);
          return doc;
        }
      GError *e = NULL;
      SluiceDocument *doc = parse_line (r, start, len, &e);
      if (doc == NULL && e == NULL)
        continue;       /* blank line */
      if (e)
        g_propagate_error (error, e);
      return doc;
    }
}

/* "name:n", as g_strdup_printf ("%s:%" G_GUINT64_FORMAT) makes it, without
 * printf: it is made for every line. */
static char *
name_colon_number (const char *name, guint64 n)
{
  char digits[24];
  char *e = digits + sizeof digits;
  char *p = e;
  do
    {
      *--p = (char) ('0' + n % 10);
      n /= 10;
    }
  while (n != 0);
  if (name == NULL)
    name = "(null)";            /* what printf writes */
  gsize nl = strlen (name), dl = (gsize) (e - p);
  char *s = g_malloc (nl + 1 + dl + 1);
  memcpy (s, name, nl);
  s[nl] = ':';
  memcpy (s + nl + 1, p, dl);
  s[nl + 1 + dl] = '\0';
  return s;
}

/* One JSONL line (without its newline) into a document, or NULL: a blank
 * line (error unset) or a malformed one (error set). */
static SluiceDocument *
parse_line (SluiceReader *r, char *start, gsize len, GError **error)
{
  {
    {
      if (len > 0 && start[len - 1] == '\r')
        len--;
      /* Blank lines are allowed (and ignored) in JSONL. */
      gsize k = 0;
      while (k < len && (start[k] == ' ' || start[k] == '\t'))
        k++;
      if (k == len)
        return NULL;

      char *id = NULL, *text = NULL;
      gsize text_len = 0;
      guint n_repl = 0;
      gboolean text_clean = FALSE;
      SluiceAttrs meta;
      sluice_attrs_init (&meta);
      g_string_truncate (r->extra, 0);
      GError *e = NULL;
      char *source = name_colon_number (r->name, r->lineno);
      if (!sluice_json_parse_document_full (start, len, &id, &text, &text_len, &text_clean,
                                            &n_repl, &meta, r->extra, &e))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s: %s", source, e->message);
          g_error_free (e);
          g_free (source);
          g_free (id);
          g_free (text);
          sluice_attrs_clear (&meta);
          return NULL;
        }
      if (id == NULL)
        id = name_colon_number (r->base, r->lineno);
      gboolean taken;
      SluiceDocument *doc = make_document (r, id, source, text, text_len, n_repl, text_clean, &taken,
                                            error);
      if (!taken)
        g_free (text);
      if (doc == NULL)
        {
          sluice_attrs_clear (&meta);
          return NULL;
        }
      /* Input meta first, then any warnings the reader added. */
      if (meta.n > 0)
        {
          SluiceAttrs warn = doc->meta;
          doc->meta = meta;
          /* Append ours to warnings the input already carried. */
          guint nw = 0;
          const char *const *w = sluice_attrs_get_string_list (&warn, "warnings", &nw);
          if (nw > 0 && sluice_attrs_get_type (&doc->meta, "warnings") == SLUICE_VALUE_STRING_LIST)
            for (guint i = 0; i < nw; i++)
              sluice_attrs_append_string (&doc->meta, "warnings", w[i]);
          else
            sluice_attrs_copy (&doc->meta, &warn);
          sluice_attrs_clear (&warn);
        }
      if (r->extra->len)
        sluice_document_take_extra_json (doc, g_strndup (r->extra->str, r->extra->len),
                                         r->extra->len);
      return doc;
    }
  }
}

static gboolean
open_jsonl (SluiceReader *r, const char *path, GError **error)
{
  r->is_stdin = strcmp (path, "-") == 0;
  r->fd = r->is_stdin ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s: cannot open: %s", path,
                   g_strerror (errno));
      r->is_stdin = FALSE;
      return FALSE;
    }
  r->name = g_strdup (r->is_stdin ? "<stdin>" : path);
  r->base = stem_of (path);
  r->lineno = 0;
  return TRUE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Expands a directory in place at the front of the queue. */
static gboolean
expand_dir (SluiceReader *r, const char *path, GError **error)
{
  struct stat st;
  if (stat (path, &st) == 0)
    {
      g_autofree char *key = g_strdup_printf ("%lu:%lu", (unsigned long) st.st_dev,
                                              (unsigned long) st.st_ino);
      if (g_hash_table_contains (r->seen_dirs, key))
        return TRUE;   /* a symlink loop: already read */
      g_hash_table_add (r->seen_dirs, g_steal_pointer (&key));
    }
  GError *e = NULL;
  GDir *d = g_dir_open (path, 0, &e);
  if (d == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s: cannot read directory: %s",
                   path, e->message);
      g_error_free (e);
      return FALSE;
    }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *n;
  while ((n = g_dir_read_name (d)))
    if (n[0] != '.')
      g_ptr_array_add (names, g_strdup (n));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  /* Push in reverse so the first name ends up at the front. */
  for (guint i = names->len; i > 0; i--)
    {
      char *child = g_build_filename (path, g_ptr_array_index (names, i - 1), NULL);
      g_hash_table_add (r->from_dir, child);
      g_queue_push_head (&r->pending, child);
    }
  g_ptr_array_unref (names);
  return TRUE;
}

SluiceDocument *
sluice_reader_next (SluiceReader *r, GError **error)
{
  for (;;)
    {
      if (r->fd >= 0)
        {
          gboolean end = FALSE;
          SluiceDocument *doc = next_jsonl (r, error, &end);
          if (end)
            close_stream (r);
          if (doc || (error && *error))
            return doc;
          continue;
        }
      char *path = g_queue_pop_head (&r->pending);
      if (path == NULL)
        return NULL;
      gboolean in_dir = g_hash_table_remove (r->from_dir, path);
      gboolean is_stdin = strcmp (path, "-") == 0;
      if (!is_stdin)
        {
          struct stat st;
          if (stat (path, &st) != 0)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s: %s", path,
                           g_strerror (errno));
              g_free (path);
              return NULL;
            }
          if (S_ISDIR (st.st_mode))
            {
              gboolean ok = expand_dir (r, path, error);
              g_free (path);
              if (!ok)
                return NULL;
              continue;
            }
          /* FIFOs and devices only when named explicitly: inside a folder
           * one would block the run forever. */
          if (!S_ISREG (st.st_mode)
              && (in_dir || (!S_ISFIFO (st.st_mode) && !S_ISCHR (st.st_mode))))
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                           "%s: not a regular file; skipped", path);
              g_free (path);
              return NULL;
            }
        }
      gboolean jsonl = r->format == SLUICE_INPUT_JSONL
                       || (r->format == SLUICE_INPUT_AUTO && is_jsonl_name (path));
      if (jsonl)
        {
          gboolean ok = open_jsonl (r, path, error);
          g_free (path);
          if (!ok)
            return NULL;
          continue;
        }
      SluiceDocument *doc = read_text_document (r, path, error);
      g_free (path);
      return doc;
    }
}
