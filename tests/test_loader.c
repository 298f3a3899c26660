/* Loader and pipeline-file tests (issue 2): every refusal of the plugin
 * loader, with the small broken stages of tests/plugins/, and the
 * validation of pipeline files (FILE:LINE messages, "did you mean").
 *
 * The test stages are built into SLUICE_TEST_BUILDDIR/plugins/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core.h"
#include <dlfcn.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
plugin_file (const char *name)
{
  return g_strdup_printf ("%s/plugins/sluice-%s.so", SLUICE_TEST_BUILDDIR, name);
}

static const char *
plugin_dir (void)
{
  return SLUICE_TEST_BUILDDIR "/plugins";
}

/* A private temporary directory (mode 0700), removed by tmp_cleanup. */
static char *
tmp_dir (void)
{
  GError *e = NULL;
  char *d = g_dir_make_tmp ("sluice-loader-XXXXXX", &e);
  assert_null (e);
  assert_non_null (d);
  return d;
}

static void
tmp_cleanup (char *dir)
{
  chmod (dir, 0700);
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d)
    {
      const char *n;
      while ((n = g_dir_read_name (d)))
        {
          g_autofree char *p = g_build_filename (dir, n, NULL);
          g_unlink (p);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
  g_free (dir);
}

static void
copy_file (const char *from, const char *to)
{
  char *data = NULL;
  gsize len = 0;
  assert_true (g_file_get_contents (from, &data, &len, NULL));
  assert_true (g_file_set_contents (to, data, (gssize) len, NULL));
  chmod (to, 0755);
  g_free (data);
}

#define assert_contains(haystack, needle)                                           \
  do {                                                                              \
    const char *h_ = (haystack), *n_ = (needle);                                    \
    if (h_ == NULL || strstr (h_, n_) == NULL)                                      \
      fail_msg ("expected to find \"%s\" in \"%s\"", n_, h_ ? h_ : "(null)");       \
  } while (0)

/* Loads a test plugin that must be refused; returns the message. */
static char *
load_refused (const char *name)
{
  g_autofree char *path = plugin_file (name);
  GError *e = NULL;
  SluicePlugin *p = sluice_plugin_load (path, &e);
  assert_null (p);
  assert_non_null (e);
  assert_true (g_error_matches (e, SLUICE_ERROR, SLUICE_ERROR_PLUGIN));
  /* Every refusal names the file. */
  assert_contains (e->message, path);
  char *msg = g_strdup (e->message);
  g_error_free (e);
  return msg;
}

/* ----------------------------------------------------------- the loader */

static void
test_good_plugin_loads (void **state)
{
  g_autofree char *path = plugin_file ("good");
  GError *e = NULL;
  SluicePlugin *p = sluice_plugin_load (path, &e);
  assert_null (e);
  assert_non_null (p);
  assert_string_equal (p->desc->name, "good");
  assert_int_equal (p->desc->abi_major, SLUICE_ABI_MAJOR);
  assert_non_null (p->desc->process);
  /* Loading again returns the same plugin (each file is loaded once). */
  assert_ptr_equal (sluice_plugin_load (path, &e), p);
  /* No data/ next to it: the installed data directory. */
  assert_contains (p->data_dir, "good");

  /* Found by name on a search path. */
  const char *sp[] = { plugin_dir (), NULL };
  g_autofree char *found = sluice_plugin_find ("good", sp, &e);
  assert_null (e);
  assert_non_null (found);
  assert_contains (found, "sluice-good.so");
}

static void
test_missing_symbol (void **state)
{
  g_autofree char *m = load_refused ("nosym");
  assert_contains (m, "does not export 'sluice_stage_descriptor'");
}

static void
test_abi_major_mismatch (void **state)
{
  g_autofree char *m = load_refused ("abimajor");
  g_autofree char *versions = g_strdup_printf ("plugin: %u.%u, core: %u.%u",
                                               SLUICE_ABI_MAJOR + 1, SLUICE_ABI_MINOR,
                                               SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
  assert_contains (m, "incompatible ABI version");
  assert_contains (m, versions);
}

static void
test_abi_minor_newer (void **state)
{
  g_autofree char *m = load_refused ("abiminor");
  g_autofree char *versions = g_strdup_printf ("plugin: %u.%u, core: %u.%u",
                                               SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR + 1,
                                               SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
  assert_contains (m, versions);
}

static void
test_struct_too_small (void **state)
{
  g_autofree char *m = load_refused ("smallstruct");
  assert_contains (m, "descriptor size 16");
}

static void
test_null_process (void **state)
{
  g_autofree char *m = load_refused ("noprocess");
  assert_contains (m, "no process() callback");
}

static void
test_name_mismatch (void **state)
{
  g_autofree char *m = load_refused ("misnamed");
  assert_contains (m, "'misnamed'");
  assert_contains (m, "'othername'");
}

/* A file that is not a shared object: the message carries dlerror's text. */
static void
test_dlopen_failure (void **state)
{
  char *dir = tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "sluice-notelf.so", NULL);
  assert_true (g_file_set_contents (path, "this is a text file, not a plugin\n", -1, NULL));
  chmod (path, 0644);

  /* What dlopen itself says about this file. */
  assert_null (dlopen (path, RTLD_NOW | RTLD_LOCAL));
  g_autofree char *dl_msg = g_strdup (dlerror ());
  assert_non_null (dl_msg);

  GError *e = NULL;
  assert_null (sluice_plugin_load (path, &e));
  assert_non_null (e);
  assert_contains (e->message, path);
  assert_contains (e->message, "cannot load plugin");
  assert_contains (e->message, dl_msg);
  g_error_free (e);
  tmp_cleanup (dir);
}

/* Like ssh with keys: a plugin that other users could replace is refused. */
static void
test_world_writable_directory (void **state)
{
  char *dir = tmp_dir ();
  g_autofree char *src = plugin_file ("good");
  g_autofree char *path = g_build_filename (dir, "sluice-good.so", NULL);
  copy_file (src, path);

  assert_int_equal (chmod (dir, 0777), 0);
  GError *e = NULL;
  assert_null (sluice_plugin_load (path, &e));
  assert_non_null (e);
  assert_contains (e->message, "refusing to load");
  assert_contains (e->message, "writable by other users");
  /* The message names the directory (realpath of it). */
  char real[PATH_MAX];
  assert_non_null (realpath (dir, real));
  g_autofree char *quoted = g_strdup_printf ("directory '%s'", real);
  assert_contains (e->message, quoted);
  g_clear_error (&e);

  /* The file itself writable by others, in a private directory. */
  assert_int_equal (chmod (dir, 0700), 0);
  assert_int_equal (chmod (path, 0757), 0);
  assert_null (sluice_plugin_load (path, &e));
  assert_non_null (e);
  assert_contains (e->message, "file '");
  assert_contains (e->message, "writable by other users");
  g_clear_error (&e);

  /* Fixed permissions: the same copy loads. */
  assert_int_equal (chmod (path, 0755), 0);
  SluicePlugin *p = sluice_plugin_load (path, &e);
  assert_null (e);
  assert_non_null (p);
  assert_string_equal (p->desc->name, "good");
  tmp_cleanup (dir);
}

/* A writable folder higher up lets others rename the plugin's folder and
 * put their own in its place: refused too, except a sticky root-owned one
 * such as /tmp. */
static void
test_writable_ancestor_directory (void **state)
{
  char *outer = tmp_dir ();
  g_autofree char *inner = g_build_filename (outer, "plugins", NULL);
  assert_int_equal (g_mkdir (inner, 0755), 0);
  g_autofree char *src = plugin_file ("good");
  g_autofree char *path = g_build_filename (inner, "sluice-good.so", NULL);
  copy_file (src, path);

  assert_int_equal (chmod (outer, 0777), 0);
  GError *e = NULL;
  assert_null (sluice_plugin_load (path, &e));
  assert_non_null (e);
  char real[PATH_MAX];
  assert_non_null (realpath (outer, real));
  g_autofree char *quoted = g_strdup_printf ("directory '%s' is writable by other users", real);
  assert_contains (e->message, quoted);
  g_clear_error (&e);

  if (geteuid () == 0)
    {
      /* Sticky and owned by root (us): like /tmp, accepted. */
      assert_int_equal (chmod (outer, 01777), 0);
      SluicePlugin *p = sluice_plugin_load (path, &e);
      assert_null (e);
      assert_non_null (p);
    }
  g_unlink (path);
  g_rmdir (inner);
  tmp_cleanup (outer);
}

static void
test_not_found_suggests (void **state)
{
  const char *sp[] = { plugin_dir (), NULL };
  GError *e = NULL;
  assert_null (sluice_plugin_find ("god", sp, &e));
  assert_non_null (e);
  assert_contains (e->message, "plugin 'god' not found");
  assert_contains (e->message, "did you mean 'good'");
  g_error_free (e);
}

/* --------------------------------------------------------- pipeline files */

typedef struct {
  char *dir;
  char *file;
} Pipe;

/* Writes a pipeline file; "@PLUGINS@" in the text becomes the test plugin
 * directory. */
static Pipe
pipe_write (const char *text)
{
  Pipe p;
  p.dir = tmp_dir ();
  p.file = g_build_filename (p.dir, "pipeline.cfg", NULL);
  g_autoptr (GString) s = g_string_new (text);
  g_string_replace (s, "@PLUGINS@", plugin_dir (), 0);
  assert_true (g_file_set_contents (p.file, s->str, (gssize) s->len, NULL));
  return p;
}

static void
pipe_free (Pipe *p)
{
  g_free (p->file);
  tmp_cleanup (p->dir);
}

/* Loads a pipeline that must be rejected; returns the message. */
static char *
pipe_rejected (Pipe *p)
{
  GError *e = NULL;
  SluicePipeline *pl = sluice_pipeline_load (p->file, NULL, NULL, &e);
  assert_null (pl);
  assert_non_null (e);
  assert_true (g_error_matches (e, SLUICE_ERROR, SLUICE_ERROR_CONFIG));
  char *m = g_strdup (e->message);
  g_error_free (e);
  return m;
}

/* "FILE:LINE:" for the pipeline file. */
static char *
at_line (Pipe *p, int line)
{
  return g_strdup_printf ("%s:%d:", p->file, line);
}

static void
test_pipeline_valid (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"opts\"; label = \"L\"; count = 7; ratio = 0.25;\n"
                       "      mode = \"slow\"; verbose = true; words = [\"x\", \"y\", \"z\"]; },\n"
                       "    { plugin = \"consumer\"; }\n"
                       "  );\n"
                       "};\n");
  GError *e = NULL;
  SluicePipeline *pl = sluice_pipeline_load (p.file, NULL, NULL, &e);
  assert_null (e);
  assert_non_null (pl);
  assert_int_equal (pl->stages->len, 2);
  SluiceStageInstance *st = g_ptr_array_index (pl->stages, 0);
  assert_string_equal (st->name, "opts");
  assert_int_equal (st->line, 4);
  assert_int_equal (sluice_options_get_int (st->options, "count"), 7);
  assert_true (sluice_options_get_double (st->options, "ratio") == 0.25);
  assert_string_equal (sluice_options_get_string (st->options, "mode"), "slow");
  assert_true (sluice_options_get_bool (st->options, "verbose"));
  guint n = 0;
  const char *const *words = sluice_options_get_string_list (st->options, "words", &n);
  assert_int_equal (n, 3);
  assert_string_equal (words[2], "z");
  assert_true (sluice_options_is_set (st->options, "count"));

  assert_true (sluice_pipeline_create_stages (pl, &e));
  assert_null (e);
  SluiceDocument *doc = sluice_document_new ("d1", "some text", -1);
  gboolean abort = FALSE;
  assert_true (sluice_process_document (pl, doc, stderr, FALSE, NULL, &abort));
  assert_false (abort);
  SluiceAnnotation *a = sluice_document_find_annotation (doc, "TAGGED", "some text");
  assert_non_null (a);
  assert_string_equal (sluice_annotation_get_stage (a), "opts");
  assert_string_equal (sluice_attrs_get_string (sluice_annotation_get_attrs (a), "label"), "L");
  assert_int_equal (sluice_attrs_get_int (sluice_document_get_meta (doc), "tagged_count", -1), 1);
  sluice_document_free (doc);
  sluice_pipeline_free (pl);
  pipe_free (&p);
}

static void
test_pipeline_defaults (void **state)
{
  Pipe p = pipe_write ("pipeline = { plugin_path = \"@PLUGINS@\";\n"
                       "  stages = ( { plugin = \"opts\"; name = \"first\"; label = \"x\"; } ); };\n");
  GError *e = NULL;
  SluicePipeline *pl = sluice_pipeline_load (p.file, NULL, NULL, &e);
  assert_null (e);
  SluiceStageInstance *st = g_ptr_array_index (pl->stages, 0);
  assert_string_equal (st->name, "first");
  assert_string_equal (sluice_options_get_stage_name (st->options), "first");
  assert_int_equal (sluice_options_get_int (st->options, "count"), 3);
  assert_string_equal (sluice_options_get_string (st->options, "mode"), "fast");
  assert_false (sluice_options_get_bool (st->options, "verbose"));
  assert_false (sluice_options_is_set (st->options, "count"));
  guint n = 0;
  sluice_options_get_string_list (st->options, "words", &n);
  assert_int_equal (n, 2);
  sluice_pipeline_free (pl);
  pipe_free (&p);
}

static void
test_pipeline_syntax_error (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"opts\"; label = ; }\n"
                       "  );\n"
                       "};\n");
  g_autofree char *m = pipe_rejected (&p);
  g_autofree char *loc = at_line (&p, 4);
  assert_contains (m, loc);
  assert_contains (m, "syntax error");
  pipe_free (&p);
}

static void
test_pipeline_unknown_option (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"opts\";\n"
                       "      label = \"x\";\n"
                       "      cont = 4; }\n"
                       "  );\n"
                       "};\n");
  g_autofree char *m = pipe_rejected (&p);
  g_autofree char *loc = at_line (&p, 6);
  assert_contains (m, loc);
  assert_contains (m, "unknown option 'cont'");
  assert_contains (m, "did you mean 'count'");
  pipe_free (&p);
}

/* One line of the (multi-line) message holds both `loc` and `text`. */
static void
assert_line_has (const char *message, const char *loc, const char *text)
{
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], loc) && strstr (lines[i], text))
      return;
  fail_msg ("no line starting with \"%s\" holds \"%s\" in:\n%s", loc, text, message);
}

static void
test_pipeline_ill_typed_and_out_of_range (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"opts\"; name = \"a\"; label = \"x\";\n"
                       "      count = \"three\"; },\n"
                       "    { plugin = \"opts\"; name = \"b\"; label = \"x\";\n"
                       "      count = 11; },\n"
                       "    { plugin = \"opts\"; name = \"c\"; label = \"x\";\n"
                       "      ratio = 1.5; },\n"
                       "    { plugin = \"opts\"; name = \"d\"; label = 5; },\n"
                       "    { plugin = \"opts\"; name = \"e\"; label = \"x\";\n"
                       "      mode = \"fas\"; },\n"
                       "    { plugin = \"opts\"; name = \"f\"; label = \"x\";\n"
                       "      verbose = \"yes\"; },\n"
                       "    { plugin = \"opts\"; name = \"g\"; label = \"x\";\n"
                       "      words = [ 1, 2 ]; }\n"
                       "  );\n"
                       "};\n");
  g_autofree char *m = pipe_rejected (&p);
  /* Every problem is reported, each at its own line. */
  g_autofree char *l5 = at_line (&p, 5);
  g_autofree char *l7 = at_line (&p, 7);
  g_autofree char *l9 = at_line (&p, 9);
  g_autofree char *l10 = at_line (&p, 10);
  g_autofree char *l12 = at_line (&p, 12);
  g_autofree char *l14 = at_line (&p, 14);
  g_autofree char *l16 = at_line (&p, 16);
  assert_line_has (m, l5, "option 'count' expects an integer");
  assert_line_has (m, l7, "option 'count': 11 is out of range [1, 10]");
  assert_line_has (m, l9, "option 'ratio': 1.5 is out of range [0, 1]");
  assert_line_has (m, l10, "option 'label' expects a string");
  assert_line_has (m, l12, "'fas' is not allowed (did you mean 'fast'?)");
  assert_line_has (m, l14, "option 'verbose' expects a boolean");
  assert_line_has (m, l16, "option 'words' expects a list of strings");
  pipe_free (&p);
}

static void
test_pipeline_missing_required (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"consumer\"; },\n"
                       "    { plugin = \"opts\"; count = 2; }\n"
                       "  );\n"
                       "};\n");
  g_autofree char *m = pipe_rejected (&p);
  g_autofree char *loc = at_line (&p, 5);
  assert_contains (m, loc);
  assert_contains (m, "required option 'label' (string) is missing");
  pipe_free (&p);
}

static void
test_pipeline_unknown_stage (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"opt\"; label = \"x\"; }\n"
                       "  );\n"
                       "};\n");
  g_autofree char *m = pipe_rejected (&p);
  g_autofree char *loc = at_line (&p, 4);
  assert_contains (m, loc);
  assert_contains (m, "plugin 'opt' not found");
  assert_contains (m, "did you mean 'opts'");
  pipe_free (&p);
}

static void
test_pipeline_unknown_setting (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  on_eror = \"skip\";\n"
                       "  stages = ( { plugin = \"good\"; } );\n"
                       "};\n");
  g_autofree char *m = pipe_rejected (&p);
  g_autofree char *loc = at_line (&p, 3);
  assert_contains (m, loc);
  assert_contains (m, "did you mean 'on_error'");
  pipe_free (&p);
}

/* A stage that reads a type only a later stage produces: a warning with the
 * location (what a stage reads may depend on its options, so the pipeline
 * still loads). */
static void
test_pipeline_order (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"consumer\"; },\n"
                       "    { plugin = \"opts\"; label = \"x\"; }\n"
                       "  );\n"
                       "};\n");
  GError *e = NULL;
  SluicePipeline *pl = sluice_pipeline_load (p.file, NULL, NULL, &e);
  assert_null (e);
  assert_non_null (pl);
  assert_int_equal (pl->warnings->len, 1);
  const char *w = g_ptr_array_index (pl->warnings, 0);
  g_autofree char *loc = at_line (&p, 4);
  assert_true (g_str_has_prefix (w, loc));
  assert_contains (w, "stage 'consumer' may read TAGGED annotations");
  assert_contains (w, "stage 'opts' produces only after it (line 5)");
  sluice_pipeline_free (pl);

  /* In the right order: no warning. */
  Pipe q = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = ( { plugin = \"opts\"; label = \"x\"; },\n"
                       "             { plugin = \"consumer\"; } );\n"
                       "};\n");
  pl = sluice_pipeline_load (q.file, NULL, NULL, &e);
  assert_null (e);
  assert_int_equal (pl->warnings->len, 0);
  sluice_pipeline_free (pl);
  pipe_free (&p);
  pipe_free (&q);
}

/* A broken plugin named in a pipeline: the loader's refusal, at the line. */
static void
test_pipeline_broken_plugin (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"good\"; },\n"
                       "    { plugin = \"abimajor\"; }\n"
                       "  );\n"
                       "};\n");
  g_autofree char *m = pipe_rejected (&p);
  g_autofree char *loc = at_line (&p, 5);
  assert_contains (m, loc);
  assert_contains (m, "incompatible ABI version");
  pipe_free (&p);
}

static void
test_create_fails (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"good\"; },\n"
                       "    { plugin = \"createfail\"; }\n"
                       "  );\n"
                       "};\n");
  GError *e = NULL;
  SluicePipeline *pl = sluice_pipeline_load (p.file, NULL, NULL, &e);
  assert_null (e);
  assert_non_null (pl);
  assert_false (sluice_pipeline_create_stages (pl, &e));
  assert_non_null (e);
  assert_true (g_error_matches (e, SLUICE_ERROR, SLUICE_ERROR_PLUGIN));
  g_autofree char *loc = at_line (&p, 5);
  assert_contains (e->message, loc);
  assert_contains (e->message, "stage 'createfail'");
  assert_contains (e->message, "words.txt:3: the word list is malformed");
  g_error_free (e);
  /* The stage created before the failure is destroyed by free (no leak
   * under ASan), the failed one is not. */
  assert_true (((SluiceStageInstance *) g_ptr_array_index (pl->stages, 0))->created);
  assert_false (((SluiceStageInstance *) g_ptr_array_index (pl->stages, 1))->created);
  sluice_pipeline_free (pl);
  pipe_free (&p);
}

/* --stages keeps only the named stages; a wrong name is reported. */
static void
test_pipeline_only (void **state)
{
  Pipe p = pipe_write ("pipeline = {\n"
                       "  plugin_path = \"@PLUGINS@\";\n"
                       "  stages = (\n"
                       "    { plugin = \"good\"; },\n"
                       "    { plugin = \"opts\"; label = \"x\"; }\n"
                       "  );\n"
                       "};\n");
  GError *e = NULL;
  const char *only[] = { "opts", NULL };
  SluicePipeline *pl = sluice_pipeline_load (p.file, only, NULL, &e);
  assert_null (e);
  assert_int_equal (pl->stages->len, 1);
  assert_string_equal (((SluiceStageInstance *) g_ptr_array_index (pl->stages, 0))->name, "opts");
  sluice_pipeline_free (pl);

  const char *bad[] = { "goo", NULL };
  assert_null (sluice_pipeline_load (p.file, bad, NULL, &e));
  assert_non_null (e);
  assert_contains (e->message, "no stage named 'goo'");
  assert_contains (e->message, "did you mean 'good'");
  g_error_free (e);
  pipe_free (&p);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_good_plugin_loads),
    cmocka_unit_test (test_missing_symbol),
    cmocka_unit_test (test_abi_major_mismatch),
    cmocka_unit_test (test_abi_minor_newer),
    cmocka_unit_test (test_struct_too_small),
    cmocka_unit_test (test_null_process),
    cmocka_unit_test (test_name_mismatch),
    cmocka_unit_test (test_dlopen_failure),
    cmocka_unit_test (test_world_writable_directory),
    cmocka_unit_test (test_writable_ancestor_directory),
    cmocka_unit_test (test_not_found_suggests),
    cmocka_unit_test (test_pipeline_valid),
    cmocka_unit_test (test_pipeline_defaults),
    cmocka_unit_test (test_pipeline_syntax_error),
    cmocka_unit_test (test_pipeline_unknown_option),
    cmocka_unit_test (test_pipeline_ill_typed_and_out_of_range),
    cmocka_unit_test (test_pipeline_missing_required),
    cmocka_unit_test (test_pipeline_unknown_stage),
    cmocka_unit_test (test_pipeline_unknown_setting),
    cmocka_unit_test (test_pipeline_order),
    cmocka_unit_test (test_pipeline_broken_plugin),
    cmocka_unit_test (test_create_fails),
    cmocka_unit_test (test_pipeline_only),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
