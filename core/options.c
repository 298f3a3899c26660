/* sluice — stage options: validation against the stage's table, typed
 * access, and "did you mean" suggestions. */
#include "core.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const SluiceOptionSpec *spec;
  gboolean set;
  gboolean given;             /* named in the pipeline, even with a bad value */
  char *location;
  char *s;
  gint64 i;
  double d;
  gboolean b;
  char **list;
} OptValue;

struct _SluiceOptions {
  const SluiceStageDescriptor *desc;
  char *stage_name;
  char *data_dir;
  char *config_dir;
  guint n;
  OptValue *values;
};

G_DEFINE_QUARK (sluice-error-quark, sluice_error)

const char *
sluice_option_type_name (SluiceOptionType type)
{
  switch (type)
    {
    case SLUICE_OPTION_STRING: return "string";
    case SLUICE_OPTION_INT: return "integer";
    case SLUICE_OPTION_DOUBLE: return "number";
    case SLUICE_OPTION_BOOL: return "boolean";
    case SLUICE_OPTION_STRING_LIST: return "list of strings";
    }
  return "?";
}

/* ----------------------------------------------------------- suggestions */

static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  if (la > 64 || lb > 64)
    return G_MAXUINT;
  /* Damerau-Levenshtein (optimal string alignment): a swap of two adjacent
   * letters ("cuont") counts as one edit. */
  guint pprev[65], prev[65], cur[65];
  for (gsize j = 0; j <= lb; j++)
    prev[j] = (guint) j;
  for (gsize i = 1; i <= la; i++)
    {
      cur[0] = (guint) i;
      for (gsize j = 1; j <= lb; j++)
        {
          char ai = g_ascii_tolower (a[i - 1]), bj = g_ascii_tolower (b[j - 1]);
          guint cost = ai == bj ? 0 : 1;
          guint v = MIN (prev[j] + 1, cur[j - 1] + 1);
          v = MIN (v, prev[j - 1] + cost);
          if (i > 1 && j > 1 && ai == g_ascii_tolower (b[j - 2]) && g_ascii_tolower (a[i - 2]) == bj)
            v = MIN (v, pprev[j - 2] + 1);
          cur[j] = v;
        }
      memcpy (pprev, prev, sizeof (guint) * (lb + 1));
      memcpy (prev, cur, sizeof (guint) * (lb + 1));
    }
  return prev[lb];
}

const char *
sluice_suggest (const char *word, const char *const *candidates, guint n)
{
  const char *best = NULL;
  guint best_d = G_MAXUINT;
  gsize wl = strlen (word);
  for (guint i = 0; i < n; i++)
    {
      if (candidates[i] == NULL)
        continue;
      guint d = edit_distance (word, candidates[i]);
      if (d < best_d)
        {
          best_d = d;
          best = candidates[i];
        }
    }
  /* Allow about one edit per three characters, at least one, at most three. */
  guint limit = CLAMP (wl / 3, 1, 3);
  return best_d <= limit ? best : NULL;
}

static char *
did_you_mean (const char *word, const char *const *candidates, guint n)
{
  const char *s = sluice_suggest (word, candidates, n);
  return s ? g_strdup_printf (" (did you mean '%s'?)", s) : g_strdup ("");
}

/* -------------------------------------------------------------- parsing */

static gboolean
choice_ok (const SluiceOptionSpec *spec, const char *value)
{
  if (spec->choices == NULL)
    return TRUE;
  g_auto (GStrv) parts = g_strsplit (spec->choices, "|", -1);
  for (guint i = 0; parts[i]; i++)
    if (strcmp (parts[i], value) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
check_choice (const SluiceOptionSpec *spec, const char *value, const char *prefix, GError **error)
{
  if (choice_ok (spec, value))
    return TRUE;
  g_auto (GStrv) parts = g_strsplit (spec->choices, "|", -1);
  g_autofree char *hint = did_you_mean (value, (const char *const *) parts, g_strv_length (parts));
  g_autofree char *allowed = g_strjoinv ("', '", parts);
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
               "%soption '%s': '%s' is not allowed%s; allowed values: '%s'",
               prefix, spec->name, value, hint, allowed);
  return FALSE;
}

static gboolean
check_range (const SluiceOptionSpec *spec, double v, const char *prefix, GError **error)
{
  if (spec->min < spec->max && (v < spec->min || v > spec->max || isnan (v)))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                   "%soption '%s': %g is out of range [%g, %g]",
                   prefix, spec->name, v, spec->min, spec->max);
      return FALSE;
    }
  return TRUE;
}

static void
value_clear (OptValue *v)
{
  g_clear_pointer (&v->s, g_free);
  g_clear_pointer (&v->list, g_strfreev);
  g_clear_pointer (&v->location, g_free);
  v->i = 0;
  v->d = 0;
  v->b = FALSE;
  v->set = FALSE;
}

/* Parses `text` into `v` according to the spec's type. */
static gboolean
value_parse_text (OptValue *v, const char *text, const char *prefix, GError **error)
{
  const SluiceOptionSpec *spec = v->spec;
  switch (spec->type)
    {
    case SLUICE_OPTION_STRING:
      if (!check_choice (spec, text, prefix, error))
        return FALSE;
      g_free (v->s);
      v->s = g_strdup (text);
      return TRUE;
    case SLUICE_OPTION_INT:
      {
        char *end = NULL;
        errno = 0;
        gint64 i = g_ascii_strtoll (text, &end, 10);
        if (errno != 0 || end == text || *end != '\0')
          {
            g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                         "%soption '%s' expects an integer, got '%s'", prefix, spec->name, text);
            return FALSE;
          }
        if (!check_range (spec, (double) i, prefix, error))
          return FALSE;
        v->i = i;
        v->d = (double) i;
        return TRUE;
      }
    case SLUICE_OPTION_DOUBLE:
      {
        char *end = NULL;
        errno = 0;
        double d = g_ascii_strtod (text, &end);
        if (errno != 0 || end == text || *end != '\0' || !isfinite (d))
          {
            g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                         "%soption '%s' expects a number, got '%s'", prefix, spec->name, text);
            return FALSE;
          }
        if (!check_range (spec, d, prefix, error))
          return FALSE;
        v->d = d;
        return TRUE;
      }
    case SLUICE_OPTION_BOOL:
      if (g_ascii_strcasecmp (text, "true") == 0 || strcmp (text, "1") == 0
          || g_ascii_strcasecmp (text, "yes") == 0)
        v->b = TRUE;
      else if (g_ascii_strcasecmp (text, "false") == 0 || strcmp (text, "0") == 0
               || g_ascii_strcasecmp (text, "no") == 0)
        v->b = FALSE;
      else
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                       "%soption '%s' expects true or false, got '%s'", prefix, spec->name, text);
          return FALSE;
        }
      return TRUE;
    case SLUICE_OPTION_STRING_LIST:
      {
        char **parts = *text ? g_strsplit (text, ",", -1) : g_new0 (char *, 1);
        for (guint k = 0; parts[k]; k++)
          {
            g_strstrip (parts[k]);
            if (!check_choice (spec, parts[k], prefix, error))
              {
                g_strfreev (parts);
                return FALSE;
              }
          }
        g_strfreev (v->list);
        v->list = parts;
        return TRUE;
      }
    }
  return FALSE;
}

SluiceOptions *
sluice_options_new (const SluiceStageDescriptor *desc, const char *stage_name,
                    const char *data_dir, const char *config_dir, GError **error)
{
  SluiceOptions *o = g_new0 (SluiceOptions, 1);
  o->desc = desc;
  o->stage_name = g_strdup (stage_name ? stage_name : desc->name);
  o->data_dir = g_strdup (data_dir ? data_dir : "");
  o->config_dir = g_strdup (config_dir ? config_dir : ".");
  guint n = 0;
  if (desc->options)
    while (desc->options[n].name)
      n++;
  o->n = n;
  o->values = g_new0 (OptValue, n ? n : 1);
  for (guint i = 0; i < n; i++)
    {
      OptValue *v = &o->values[i];
      v->spec = &desc->options[i];
      if (v->spec->type == SLUICE_OPTION_STRING_LIST)
        v->list = g_new0 (char *, 1);
      if (v->spec->default_value != NULL)
        {
          g_autofree char *prefix = g_strdup_printf ("plugin '%s': bad default: ", desc->name);
          if (!value_parse_text (v, v->spec->default_value, prefix, error))
            {
              sluice_options_free (o);
              return NULL;
            }
        }
    }
  return o;
}

void
sluice_options_free (SluiceOptions *opts)
{
  if (opts == NULL)
    return;
  for (guint i = 0; i < opts->n; i++)
    value_clear (&opts->values[i]);
  g_free (opts->values);
  g_free (opts->stage_name);
  g_free (opts->data_dir);
  g_free (opts->config_dir);
  g_free (opts);
}

static OptValue *
find_value (const SluiceOptions *opts, const char *name)
{
  for (guint i = 0; i < opts->n; i++)
    if (strcmp (opts->values[i].spec->name, name) == 0)
      return &opts->values[i];
  return NULL;
}

static gboolean
unknown_option (const SluiceOptions *opts, const char *name, const char *prefix, GError **error)
{
  const char **names = g_new0 (const char *, opts->n + 1);
  for (guint i = 0; i < opts->n; i++)
    names[i] = opts->values[i].spec->name;
  g_autofree char *hint = did_you_mean (name, names, opts->n);
  g_free (names);
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
               "%sunknown option '%s' for plugin '%s'%s", prefix, name, opts->desc->name, hint);
  return FALSE;
}

gboolean
sluice_options_set_from_string (SluiceOptions *opts, const char *name, const char *value,
                                const char *location, GError **error)
{
  g_autofree char *prefix = location ? g_strdup_printf ("%s: ", location) : g_strdup ("");
  OptValue *v = find_value (opts, name);
  if (v == NULL)
    return unknown_option (opts, name, prefix, error);
  v->given = TRUE;
  if (!value_parse_text (v, value, prefix, error))
    return FALSE;
  v->set = TRUE;
  g_free (v->location);
  v->location = g_strdup (location);
  return TRUE;
}

static const char *
setting_type_name (int t)
{
  switch (t)
    {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    case CONFIG_TYPE_GROUP: return "a group";
    }
  return "a value";
}

gboolean
sluice_options_set_from_setting (SluiceOptions *opts, const config_setting_t *setting,
                                 const char *file, GError **error)
{
  config_setting_t *s = (config_setting_t *) setting;
  const char *name = config_setting_name (s);
  const char *src = config_setting_source_file (s);
  g_autofree char *location = g_strdup_printf ("%s:%u", src ? src : file ? file : "<pipeline>",
                                               config_setting_source_line (s));
  g_autofree char *prefix = g_strdup_printf ("%s: stage '%s': ", location, opts->stage_name);
  OptValue *v = find_value (opts, name);
  if (v == NULL)
    return unknown_option (opts, name, prefix, error);
  v->given = TRUE;
  const SluiceOptionSpec *spec = v->spec;
  int t = config_setting_type (s);
  gboolean ok = FALSE;
  switch (spec->type)
    {
    case SLUICE_OPTION_STRING:
      if (t == CONFIG_TYPE_STRING)
        {
          const char *str = config_setting_get_string (s);
          ok = value_parse_text (v, str, prefix, error);
        }
      break;
    case SLUICE_OPTION_INT:
      if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
        {
          gint64 i = config_setting_get_int64 (s);
          ok = check_range (spec, (double) i, prefix, error);
          if (ok)
            {
              v->i = i;
              v->d = (double) i;
            }
        }
      break;
    case SLUICE_OPTION_DOUBLE:
      if (t == CONFIG_TYPE_FLOAT || t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
        {
          double d = t == CONFIG_TYPE_FLOAT ? config_setting_get_float (s)
                                            : (double) config_setting_get_int64 (s);
          ok = check_range (spec, d, prefix, error);
          if (ok)
            v->d = d;
        }
      break;
    case SLUICE_OPTION_BOOL:
      if (t == CONFIG_TYPE_BOOL)
        {
          v->b = config_setting_get_bool (s) ? TRUE : FALSE;
          ok = TRUE;
        }
      break;
    case SLUICE_OPTION_STRING_LIST:
      if (t == CONFIG_TYPE_STRING)
        {
          const char *one[] = { config_setting_get_string (s), NULL };
          if (check_choice (spec, one[0], prefix, error))
            {
              g_strfreev (v->list);
              v->list = g_strdupv ((char **) one);
              ok = TRUE;
            }
          else
            return FALSE;
        }
      else if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)
        {
          int n = config_setting_length (s);
          char **list = g_new0 (char *, n + 1);
          ok = TRUE;
          for (int k = 0; k < n && ok; k++)
            {
              config_setting_t *e = config_setting_get_elem (s, k);
              if (config_setting_type (e) != CONFIG_TYPE_STRING)
                {
                  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                               "%soption '%s' expects a list of strings; element %d is %s",
                               prefix, name, k + 1, setting_type_name (config_setting_type (e)));
                  g_strfreev (list);
                  return FALSE;
                }
              list[k] = g_strdup (config_setting_get_string (e));
              if (!check_choice (spec, list[k], prefix, error))
                {
                  g_strfreev (list);
                  return FALSE;
                }
            }
          g_strfreev (v->list);
          v->list = list;
        }
      break;
    }
  if (!ok)
    {
      if (error && *error)
        return FALSE;
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                   "%soption '%s' expects %s%s, got %s", prefix, name,
                   spec->type == SLUICE_OPTION_INT ? "an " : "a ",
                   sluice_option_type_name (spec->type), setting_type_name (t));
      return FALSE;
    }
  v->set = TRUE;
  g_free (v->location);
  v->location = g_strdup (location);
  return TRUE;
}

gboolean
sluice_options_check_required (SluiceOptions *opts, const char *where, GError **error)
{
  for (guint i = 0; i < opts->n; i++)
    if (opts->values[i].spec->required && !opts->values[i].given)
      {
        g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_CONFIG,
                     "%s%sstage '%s': required option '%s' (%s) is missing",
                     where ? where : "", where ? ": " : "", opts->stage_name,
                     opts->values[i].spec->name,
                     sluice_option_type_name (opts->values[i].spec->type));
        return FALSE;
      }
  return TRUE;
}

/* ------------------------------------------------------------ accessors */

static OptValue *
typed_value (const SluiceOptions *opts, const char *name, SluiceOptionType type)
{
  g_return_val_if_fail (opts != NULL && name != NULL, NULL);
  OptValue *v = find_value (opts, name);
  if (v == NULL)
    {
      g_critical ("plugin '%s' read option '%s', which its option table does not declare",
                  opts->desc->name, name);
      return NULL;
    }
  if (v->spec->type != type && !(type == SLUICE_OPTION_DOUBLE && v->spec->type == SLUICE_OPTION_INT))
    {
      g_critical ("plugin '%s' read option '%s' as %s, but it is declared as %s",
                  opts->desc->name, name, sluice_option_type_name (type),
                  sluice_option_type_name (v->spec->type));
      return NULL;
    }
  return v;
}

const char *
sluice_options_get_string (const SluiceOptions *opts, const char *name)
{
  OptValue *v = typed_value (opts, name, SLUICE_OPTION_STRING);
  return v ? v->s : NULL;
}

gint64
sluice_options_get_int (const SluiceOptions *opts, const char *name)
{
  OptValue *v = typed_value (opts, name, SLUICE_OPTION_INT);
  return v ? v->i : 0;
}

double
sluice_options_get_double (const SluiceOptions *opts, const char *name)
{
  OptValue *v = typed_value (opts, name, SLUICE_OPTION_DOUBLE);
  return v ? v->d : 0.0;
}

gboolean
sluice_options_get_bool (const SluiceOptions *opts, const char *name)
{
  OptValue *v = typed_value (opts, name, SLUICE_OPTION_BOOL);
  return v ? v->b : FALSE;
}

const char *const *
sluice_options_get_string_list (const SluiceOptions *opts, const char *name, guint *n)
{
  OptValue *v = typed_value (opts, name, SLUICE_OPTION_STRING_LIST);
  if (n)
    *n = v && v->list ? g_strv_length (v->list) : 0;
  return v ? (const char *const *) v->list : NULL;
}

gboolean
sluice_options_is_set (const SluiceOptions *opts, const char *name)
{
  g_return_val_if_fail (opts != NULL && name != NULL, FALSE);
  OptValue *v = find_value (opts, name);
  return v ? v->set : FALSE;
}

const char *
sluice_options_get_location (const SluiceOptions *opts, const char *name)
{
  g_return_val_if_fail (opts != NULL && name != NULL, NULL);
  OptValue *v = find_value (opts, name);
  return v ? v->location : NULL;
}

const char *
sluice_options_get_stage_name (const SluiceOptions *opts)
{
  g_return_val_if_fail (opts != NULL, NULL);
  return opts->stage_name;
}

const char *
sluice_options_get_data_dir (const SluiceOptions *opts)
{
  g_return_val_if_fail (opts != NULL, NULL);
  return opts->data_dir;
}

char *
sluice_options_resolve_path (const SluiceOptions *opts, const char *path)
{
  g_return_val_if_fail (opts != NULL && path != NULL, NULL);
  if (g_path_is_absolute (path))
    return g_strdup (path);
  return g_build_filename (opts->config_dir, path, NULL);
}
