/* sluice — pipeline files: libconfig parsing, validation of every key and
 * option with FILE:LINE messages, plugin loading, stage creation. */
#include "core.h"
#include <string.h>
#include <unistd.h>

static const char default_pipeline[] =
  "# The default pipeline: every bundled stage, in order.\n"
  "pipeline = {\n"
  "  stages = (\n"
  "    { plugin = \"clean\"; },\n"
  "    { plugin = \"entities\"; },\n"
  "    { plugin = \"numbers\"; },\n"
  "    { plugin = \"translit\"; }\n"
  "  );\n"
  "};\n";

const char *
sluice_default_pipeline_text (void)
{
  return default_pipeline;
}

static const char *const pipeline_keys[] = {
  "plugin_path", "on_error", "invalid_utf8", "max_document_bytes", "stages", "output",
};
static const char *const output_keys[] = { "format", "emit_views" };
static const char *const stage_reserved_keys[] = { "plugin", "name", "isolate", "timeout_ms" };

typedef struct {
  const char *file;         /* for messages */
  GPtrArray *errors;        /* char* lines */
} Ctx;

static void G_GNUC_PRINTF (3, 4)
add_error (Ctx *c, const config_setting_t *s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (s)
    {
      /* The file the setting is in: an @include'd file, or the pipeline. */
      const char *f = config_setting_source_file ((config_setting_t *) s);
      g_ptr_array_add (c->errors, g_strdup_printf ("%s:%u: %s", f ? f : c->file,
                                                   config_setting_source_line (s), msg));
    }
  else
    g_ptr_array_add (c->errors, g_strdup_printf ("%s: %s", c->file, msg));
}

static void
add_gerror (Ctx *c, GError *e)
{
  g_ptr_array_add (c->errors, g_strdup (e->message));
}

static gboolean
key_in (const char *key, const char *const *keys, guint n)
{
  for (guint i = 0; i < n; i++)
    if (strcmp (key, keys[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
unknown_key (Ctx *c, const config_setting_t *s, const char *where,
             const char *const *keys, guint n)
{
  const char *name = config_setting_name ((config_setting_t *) s);
  const char *sug = sluice_suggest (name, keys, n);
  add_error (c, s, "unknown setting '%s' in %s%s%s%s", name, where,
             sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
}

static const char *
get_string (Ctx *c, const config_setting_t *s, const char *what)
{
  if (config_setting_type ((config_setting_t *) s) != CONFIG_TYPE_STRING)
    {
      add_error (c, s, "%s must be a string", what);
      return NULL;
    }
  return config_setting_get_string ((config_setting_t *) s);
}

static void
stage_instance_free (gpointer p)
{
  SluiceStageInstance *st = p;
  sluice_isolate_shutdown (st);
  if (st->created && st->plugin && st->plugin->desc->destroy)
    st->plugin->desc->destroy (st->instance);
  sluice_attrs_forget_static ();
  sluice_options_free (st->options);
  g_free (st->plugin_name);
  g_free (st->name);
  g_free (st);
}

void
sluice_pipeline_free (SluicePipeline *p)
{
  if (p == NULL)
    return;
  /* Destroy in reverse order of creation. */
  if (p->stages)
    {
      for (guint i = p->stages->len; i > 0; i--)
        stage_instance_free (g_ptr_array_index (p->stages, i - 1));
      g_ptr_array_free (p->stages, TRUE);
    }
  g_free (p->file);
  g_free (p->dir);
  g_strfreev (p->plugin_path);
  g_free (p->output_format);
  if (p->warnings)
    g_ptr_array_unref (p->warnings);
  g_free (p);
}

static gboolean
stage_wanted (const char *name, const char *const *only)
{
  if (only == NULL)
    return TRUE;
  for (guint i = 0; only[i]; i++)
    if (strcmp (only[i], name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
list_has (const char *const *list, const char *s)
{
  for (guint i = 0; list && list[i]; i++)
    if (strcmp (list[i], s) == 0)
      return TRUE;
  return FALSE;
}

static void
parse_stage (Ctx *c, SluicePipeline *p, config_setting_t *entry, guint index,
             const char *const *only, const char *const *search_path, GPtrArray *all_names)
{
  if (config_setting_type (entry) != CONFIG_TYPE_GROUP)
    {
      add_error (c, entry, "stage %u must be a group { plugin = \"...\"; ... }", index + 1);
      return;
    }
  config_setting_t *ps = config_setting_get_member (entry, "plugin");
  if (ps == NULL)
    {
      add_error (c, entry, "stage %u has no 'plugin' setting", index + 1);
      return;
    }
  const char *plugin = get_string (c, ps, "'plugin'");
  if (plugin == NULL)
    return;
  if (!g_utf8_validate (plugin, -1, NULL))
    {
      add_error (c, ps, "'plugin' is not valid UTF-8");
      return;
    }
  const char *name = NULL;
  config_setting_t *ns = config_setting_get_member (entry, "name");
  if (ns)
    {
      name = get_string (c, ns, "'name'");
      if (name && (!g_utf8_validate (name, -1, NULL) || *name == '\0'))
        {
          add_error (c, ns, "'name' must be a non-empty UTF-8 string");
          return;
        }
    }
  g_autofree char *plugin_base = NULL;
  if (name == NULL)
    {
      /* A path to a .so: the instance name is the stage's own name, known
       * after loading; use the file's stem for now. */
      plugin_base = g_path_get_basename (plugin);
      if (g_str_has_prefix (plugin_base, "sluice-") && g_str_has_suffix (plugin_base, ".so"))
        {
          char *t = g_strndup (plugin_base + 7, strlen (plugin_base) - 10);
          g_free (plugin_base);
          plugin_base = t;
        }
      else if (g_str_has_suffix (plugin_base, ".so"))
        plugin_base[strlen (plugin_base) - 3] = '\0';
      name = plugin_base;
    }
  for (guint i = 0; i < all_names->len; i++)
    if (strcmp (g_ptr_array_index (all_names, i), name) == 0)
      {
        add_error (c, entry, "two stages are named '%s'; give one a different 'name'", name);
        return;
      }
  g_ptr_array_add (all_names, g_strdup (name));
  if (!stage_wanted (name, only))
    return;

  SluiceStageInstance *st = g_new0 (SluiceStageInstance, 1);
  st->plugin_name = g_strdup (plugin);
  st->name = g_strdup (name);
  st->line = (int) config_setting_source_line (entry);
  g_ptr_array_add (p->stages, st);

  config_setting_t *is = config_setting_get_member (entry, "isolate");
  if (is)
    {
      if (config_setting_type (is) != CONFIG_TYPE_BOOL)
        add_error (c, is, "'isolate' must be true or false");
      else
        st->isolate = config_setting_get_bool (is);
    }
  config_setting_t *ts = config_setting_get_member (entry, "timeout_ms");
  st->timeout_ms = 0;
  if (ts)
    {
      int tt = config_setting_type (ts);
      if ((tt != CONFIG_TYPE_INT && tt != CONFIG_TYPE_INT64) || config_setting_get_int64 (ts) < 0
          || config_setting_get_int64 (ts) > G_MAXUINT)
        add_error (c, ts, "'timeout_ms' must be an integer from 0 to %u", G_MAXUINT);
      else
        st->timeout_ms = (guint) config_setting_get_int64 (ts);
    }

  GError *e = NULL;
  g_autofree char *resolved = NULL;
  if (strchr (plugin, '/') && !g_path_is_absolute (plugin))
    resolved = g_build_filename (p->dir, plugin, NULL);
  g_autofree char *path = sluice_plugin_find (resolved ? resolved : plugin, search_path, &e);
  if (path == NULL)
    {
      add_error (c, ps, "%s", e->message);
      g_clear_error (&e);
      return;
    }
  st->plugin = sluice_plugin_load (path, &e);
  if (st->plugin == NULL)
    {
      add_error (c, ps, "%s", e->message);
      g_clear_error (&e);
      return;
    }
  const SluiceStageDescriptor *d = st->plugin->desc;
  st->options = sluice_options_new (d, st->name, st->plugin->data_dir, p->dir, &e);
  if (st->options == NULL)
    {
      add_error (c, ps, "%s", e->message);
      g_clear_error (&e);
      return;
    }
  int n = config_setting_length (entry);
  for (int i = 0; i < n; i++)
    {
      config_setting_t *opt = config_setting_get_elem (entry, i);
      const char *key = config_setting_name (opt);
      if (key_in (key, stage_reserved_keys, G_N_ELEMENTS (stage_reserved_keys)))
        continue;
      if (!sluice_options_set_from_setting (st->options, opt, c->file, &e))
        {
          add_gerror (c, e);
          g_clear_error (&e);
        }
    }
  g_autofree char *where = g_strdup_printf ("%s:%d", c->file, st->line);
  if (!sluice_options_check_required (st->options, where, &e))
    {
      add_gerror (c, e);
      g_clear_error (&e);
    }
}

/* A stage that may consume a type produced only by a later stage is probably
 * mis-ordered.  Consumption often depends on options (translit reads entity
 * annotations only in mode "entities"), so this is a warning, not an error. */
static void
check_order (Ctx *c, SluicePipeline *p)
{
  for (guint i = 0; i < p->stages->len; i++)
    {
      SluiceStageInstance *st = g_ptr_array_index (p->stages, i);
      if (!st->plugin || !st->plugin->desc->consumes)
        continue;
      for (guint k = 0; st->plugin->desc->consumes[k]; k++)
        {
          const char *type = st->plugin->desc->consumes[k];
          gboolean earlier = FALSE;
          for (guint j = 0; j < i && !earlier; j++)
            {
              SluiceStageInstance *o = g_ptr_array_index (p->stages, j);
              earlier = o->plugin && list_has (o->plugin->desc->produces, type);
            }
          if (earlier)
            continue;
          for (guint j = i + 1; j < p->stages->len; j++)
            {
              SluiceStageInstance *o = g_ptr_array_index (p->stages, j);
              if (o->plugin && list_has (o->plugin->desc->produces, type))
                {
                  g_ptr_array_add (p->warnings,
                                   g_strdup_printf ("%s:%d: stage '%s' may read %s annotations, "
                                                    "which stage '%s' produces only after it "
                                                    "(line %d); move it later if it needs them",
                                                    c->file, st->line, st->name, type, o->name,
                                                    o->line));
                  break;
                }
            }
        }
    }
}

/* libconfig 1.5 calls exit() from its scanner when an @include names
 * something that is not a readable file (a folder, a FIFO...), and it has
 * no hook to check includes first.  So check them here, recursively,
 * before handing the file to libconfig. */
static gboolean
check_includes (const char *file, const char *include_dir, guint depth, GError **error)
{
  if (depth > 10)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                   "%s: @include nested more than 10 deep", file);
      return FALSE;
    }
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *e = NULL;
  if (!g_file_get_contents (file, &text, &len, &e))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG, "%s", e->message);
      g_error_free (e);
      return FALSE;
    }
  guint line = 1;
  for (const char *p = text, *end = text + len; p < end; line++)
    {
      const char *eol = memchr (p, '\n', (gsize) (end - p));
      if (eol == NULL)
        eol = end;
      const char *q = p;
      while (q < eol && (*q == ' ' || *q == '\t'))
        q++;
      if ((gsize) (eol - q) > 8 && memcmp (q, "@include", 8) == 0)
        {
          const char *a = memchr (q, '"', (gsize) (eol - q));
          const char *b = a ? memchr (a + 1, '"', (gsize) (eol - a - 1)) : NULL;
          if (a && b)
            {
              g_autofree char *name = g_strndup (a + 1, (gsize) (b - a - 1));
              g_autofree char *path = g_path_is_absolute (name)
                                        ? g_strdup (name)
                                        : g_build_filename (include_dir, name, NULL);
              if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || access (path, R_OK) != 0)
                {
                  g_autofree char *shown = g_utf8_make_valid (name, -1);
                  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                               "%s:%u: @include \"%s\": not a readable file", file, line, shown);
                  return FALSE;
                }
              if (!check_includes (path, include_dir, depth + 1, error))
                return FALSE;
            }
        }
      p = eol + 1;
    }
  return TRUE;
}

SluicePipeline *
sluice_pipeline_load (const char *file, const char *const *only,
                      const char *const *extra_plugin_path, GError **error)
{
  config_t cfg;
  config_init (&cfg);
  SluicePipeline *p = g_new0 (SluicePipeline, 1);
  p->stages = g_ptr_array_new ();
  p->warnings = g_ptr_array_new_with_free_func (g_free);
  p->max_document_bytes = SLUICE_DEFAULT_MAX_DOCUMENT_BYTES;
  p->on_error = SLUICE_ON_ERROR_PASS;
  Ctx c = { file ? file : "<default pipeline>", g_ptr_array_new_with_free_func (g_free) };

  if (file)
    {
      p->file = g_strdup (file);
      g_autofree char *d = g_path_get_dirname (file);
      p->dir = g_canonicalize_filename (d, NULL);
      config_set_include_dir (&cfg, p->dir);
      if (!g_file_test (file, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG, "%s: no such file", file);
          goto fail;
        }
      if (!check_includes (file, p->dir, 0, error))
        goto fail;
      if (!config_read_file (&cfg, file))
        {
          if (config_error_type (&cfg) == CONFIG_ERR_FILE_IO)
            g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG, "%s: cannot read: %s",
                         file, config_error_text (&cfg));
          else
            {
              g_autofree char *text = g_utf8_make_valid (config_error_text (&cfg), -1);
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG, "%s:%d: %s",
                           config_error_file (&cfg) ? config_error_file (&cfg) : file,
                           config_error_line (&cfg), text);
            }
          goto fail;
        }
    }
  else
    {
      p->dir = g_get_current_dir ();
      if (!config_read_string (&cfg, default_pipeline))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG, "default pipeline:%d: %s",
                       config_error_line (&cfg), config_error_text (&cfg));
          goto fail;
        }
    }

  config_setting_t *root = config_root_setting (&cfg);
  config_setting_t *pl = config_setting_get_member (root, "pipeline");
  if (pl == NULL || config_setting_type (pl) != CONFIG_TYPE_GROUP)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                   "%s: no 'pipeline = { ... };' group at the top level", c.file);
      goto fail;
    }
  for (int i = 0; i < config_setting_length (root); i++)
    {
      config_setting_t *s = config_setting_get_elem (root, i);
      if (strcmp (config_setting_name (s), "pipeline") != 0)
        {
          const char *top[] = { "pipeline" };
          unknown_key (&c, s, "the file (only 'pipeline' is read)", top, 1);
        }
    }

  for (int i = 0; i < config_setting_length (pl); i++)
    {
      config_setting_t *s = config_setting_get_elem (pl, i);
      if (!key_in (config_setting_name (s), pipeline_keys, G_N_ELEMENTS (pipeline_keys)))
        unknown_key (&c, s, "'pipeline'", pipeline_keys, G_N_ELEMENTS (pipeline_keys));
    }

  /* plugin_path: a string or a list of strings, relative to the file. */
  GPtrArray *pp = g_ptr_array_new_with_free_func (g_free);
  config_setting_t *pps = config_setting_get_member (pl, "plugin_path");
  if (pps)
    {
      int t = config_setting_type (pps);
      if (t == CONFIG_TYPE_STRING)
        g_ptr_array_add (pp, g_strdup (config_setting_get_string (pps)));
      else if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)
        for (int i = 0; i < config_setting_length (pps); i++)
          {
            config_setting_t *e = config_setting_get_elem (pps, i);
            const char *v = get_string (&c, e, "each 'plugin_path' entry");
            if (v)
              g_ptr_array_add (pp, g_strdup (v));
          }
      else
        add_error (&c, pps, "'plugin_path' must be a string or a list of strings");
    }
  for (guint i = 0; i < pp->len; i++)
    {
      char *v = g_ptr_array_index (pp, i);
      if (!g_path_is_absolute (v))
        {
          pp->pdata[i] = g_build_filename (p->dir, v, NULL);
          g_free (v);
        }
    }
  /* The pipeline's own plugin_path first, then the command line's. */
  GPtrArray *extra = g_ptr_array_new ();
  for (guint i = 0; i < pp->len; i++)
    g_ptr_array_add (extra, pp->pdata[i]);
  for (guint i = 0; extra_plugin_path && extra_plugin_path[i]; i++)
    g_ptr_array_add (extra, (gpointer) extra_plugin_path[i]);
  g_ptr_array_add (extra, NULL);
  p->plugin_path = sluice_plugin_search_path ((const char *const *) extra->pdata);
  g_ptr_array_free (extra, TRUE);
  g_ptr_array_unref (pp);

  config_setting_t *s;
  if ((s = config_setting_get_member (pl, "on_error")))
    {
      const char *v = get_string (&c, s, "'on_error'");
      if (v && strcmp (v, "pass") == 0)
        p->on_error = SLUICE_ON_ERROR_PASS;
      else if (v && strcmp (v, "skip") == 0)
        p->on_error = SLUICE_ON_ERROR_SKIP;
      else if (v && strcmp (v, "abort") == 0)
        p->on_error = SLUICE_ON_ERROR_ABORT;
      else if (v)
        {
          const char *ch[] = { "pass", "skip", "abort" };
          const char *sug = sluice_suggest (v, ch, 3);
          add_error (&c, s, "'on_error' must be \"pass\", \"skip\" or \"abort\", not \"%s\"%s%s%s",
                     v, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
        }
    }
  if ((s = config_setting_get_member (pl, "invalid_utf8")))
    {
      const char *v = get_string (&c, s, "'invalid_utf8'");
      if (v && strcmp (v, "reject") == 0)
        p->reject_invalid_utf8 = TRUE;
      else if (v && strcmp (v, "replace") != 0)
        add_error (&c, s, "'invalid_utf8' must be \"replace\" or \"reject\", not \"%s\"", v);
    }
  if ((s = config_setting_get_member (pl, "max_document_bytes")))
    {
      int t = config_setting_type (s);
      if ((t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) || config_setting_get_int64 (s) < 1)
        add_error (&c, s, "'max_document_bytes' must be a positive integer");
      else
        p->max_document_bytes = (gsize) config_setting_get_int64 (s);
    }
  if ((s = config_setting_get_member (pl, "output")))
    {
      if (config_setting_type (s) != CONFIG_TYPE_GROUP)
        add_error (&c, s, "'output' must be a group { format = \"jsonl\"; }");
      else
        for (int i = 0; i < config_setting_length (s); i++)
          {
            config_setting_t *o = config_setting_get_elem (s, i);
            const char *k = config_setting_name (o);
            if (strcmp (k, "format") == 0)
              {
                const char *v = get_string (&c, o, "'output.format'");
                if (v && strcmp (v, "jsonl") != 0 && strcmp (v, "text") != 0)
                  add_error (&c, o, "'output.format' must be \"jsonl\" or \"text\", not \"%s\"", v);
                else if (v)
                  p->output_format = g_strdup (v);
              }
            else if (strcmp (k, "emit_views") == 0)
              {
                if (config_setting_type (o) != CONFIG_TYPE_BOOL)
                  add_error (&c, o, "'output.emit_views' must be true or false");
                else
                  p->emit_views = config_setting_get_bool (o);
              }
            else
              unknown_key (&c, o, "'output'", output_keys, G_N_ELEMENTS (output_keys));
          }
    }

  config_setting_t *stages = config_setting_get_member (pl, "stages");
  if (stages == NULL)
    add_error (&c, pl, "'pipeline' has no 'stages' list");
  else if (config_setting_type (stages) != CONFIG_TYPE_LIST
           && !(config_setting_type (stages) == CONFIG_TYPE_ARRAY && config_setting_length (stages) == 0))
    add_error (&c, stages, "'stages' must be a list: stages = ( { plugin = \"clean\"; }, ... );");
  else
    {
      GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
      for (int i = 0; i < config_setting_length (stages); i++)
        parse_stage (&c, p, config_setting_get_elem (stages, i), (guint) i, only,
                     (const char *const *) p->plugin_path, names);
      /* --stages names that match nothing. */
      for (guint i = 0; only && only[i]; i++)
        {
          gboolean found = FALSE;
          for (guint j = 0; j < names->len && !found; j++)
            found = strcmp (g_ptr_array_index (names, j), only[i]) == 0;
          if (found)
            continue;
          const char *sug = sluice_suggest (only[i], (const char *const *) names->pdata, names->len);
          g_ptr_array_add (c.errors,
                           g_strdup_printf ("%s: --stages: the pipeline has no stage named '%s'%s%s%s",
                                            c.file, only[i], sug ? " (did you mean '" : "",
                                            sug ? sug : "", sug ? "'?)" : ""));
        }
      g_ptr_array_unref (names);
      check_order (&c, p);
    }

  if (c.errors->len > 0)
    {
      g_ptr_array_add (c.errors, NULL);
      g_autofree char *all = g_strjoinv ("\n", (char **) c.errors->pdata);
      /* Messages quote values from the file, which may not be UTF-8. */
      g_autofree char *valid = g_utf8_make_valid (all, -1);
      g_set_error_literal (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG, valid);
      goto fail;
    }
  g_ptr_array_unref (c.errors);
  config_destroy (&cfg);
  return p;

fail:
  g_ptr_array_unref (c.errors);
  config_destroy (&cfg);
  sluice_pipeline_free (p);
  return NULL;
}

gboolean
sluice_pipeline_create_stages (SluicePipeline *p, GError **error)
{
  for (guint i = 0; i < p->stages->len; i++)
    {
      SluiceStageInstance *st = g_ptr_array_index (p->stages, i);
      const SluiceStageDescriptor *d = st->plugin->desc;
      if (d->create == NULL)
        {
          st->instance = NULL;
          st->created = TRUE;
          continue;
        }
      GError *e = NULL;
      st->instance = d->create (st->options, &e);
      if (e != NULL)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN, "%s:%d: stage '%s' (%s): %s",
                       p->file ? p->file : "<default pipeline>", st->line, st->name, st->plugin->path,
                       e->message);
          g_clear_error (&e);
          return FALSE;
        }
      st->created = TRUE;
    }
  return TRUE;
}
