/* sluice — replays a fuzz target's corpus as an ordinary test.
 *
 *   fuzz-TARGET-replay [DIR_OR_FILE...]
 *
 * Without arguments: every file in FUZZ_CORPUS_DIR (set by meson to
 * tests/fuzz/corpus/TARGET), in sorted order.  Each file is passed to
 * LLVMFuzzerTestOneInput() once, in a child process of its own, so that one
 * failing input (a broken invariant aborts, a sanitizer report, a leak found
 * by LeakSanitizer at the child's exit) does not hide the others: every
 * failing file is listed at the end and the exit status is 1.  Not linked
 * into the libFuzzer builds, where libFuzzer's own main() runs instead. */
#include "fuzz.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static GPtrArray *failures;

static int
replay_file (const char *path)
{
  gchar *data = NULL;
  gsize len = 0;
  GError *error = NULL;
  if (!g_file_get_contents (path, &data, &len, &error))
    {
      fprintf (stderr, "replay: %s\n", error->message);
      g_error_free (error);
      return 1;
    }
  /* Exactly `len` bytes, in their own allocation, so ASan sees overreads. */
  uint8_t *copy = g_malloc (len + 1);
  memcpy (copy, data, len);
  g_free (data);
  fprintf (stderr, "replay: %s (%zu bytes)\n", path, (size_t) len);
  fflush (stderr);
  pid_t pid = fork ();
  if (pid < 0)
    {
      perror ("replay: fork");
      return 1;
    }
  if (pid == 0)
    {
      LLVMFuzzerTestOneInput (copy, len);
      g_free (copy);
      exit (0);                 /* atexit handlers, LeakSanitizer */
    }
  g_free (copy);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  char *why = WIFSIGNALED (status)
    ? g_strdup_printf ("%s (killed by signal %d)", path, WTERMSIG (status))
    : g_strdup_printf ("%s (exit status %d)", path, WEXITSTATUS (status));
  fprintf (stderr, "replay: FAILED: %s\n", why);
  g_ptr_array_add (failures, why);
  return 1;
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
replay_path (const char *path, guint *n_files)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      (*n_files)++;
      return replay_file (path);
    }
  GError *error = NULL;
  GDir *dir = g_dir_open (path, 0, &error);
  if (dir == NULL)
    {
      fprintf (stderr, "replay: %s\n", error->message);
      g_error_free (error);
      return 1;
    }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_dir_close (dir);
  g_ptr_array_sort (names, cmp_str);
  int rc = 0;
  for (guint i = 0; i < names->len; i++)
    if (!g_file_test (names->pdata[i], G_FILE_TEST_IS_DIR))
      {
        (*n_files)++;
        rc |= replay_file (names->pdata[i]);
      }
  g_ptr_array_unref (names);
  return rc;
}

int
main (int argc, char **argv)
{
  guint n_files = 0;
  int rc = 0;
  failures = g_ptr_array_new_with_free_func (g_free);
  if (argc > 1)
    for (int i = 1; i < argc; i++)
      rc |= replay_path (argv[i], &n_files);
  else
    rc = replay_path (FUZZ_CORPUS_DIR, &n_files);
  if (n_files == 0)
    {
      fprintf (stderr, "replay: no corpus files found\n");
      return 1;
    }
  if (failures->len)
    {
      fprintf (stderr, "replay: %u of %u inputs FAILED:\n", failures->len, n_files);
      for (guint i = 0; i < failures->len; i++)
        fprintf (stderr, "  %s\n", (const char *) failures->pdata[i]);
      rc = 1;
    }
  else if (rc == 0)
    fprintf (stderr, "replay: %u inputs, all invariants held\n", n_files);
  g_ptr_array_unref (failures);
  return rc;
}
