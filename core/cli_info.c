/* sluice plugins [--describe NAME [--json]]. */
#include "cli.h"
#include <json-glib/json-glib.h>
#include <string.h>

static void
print_list (const char *title, const char *const *list)
{
  printf ("%s:", title);
  if (list == NULL || list[0] == NULL)
    printf (" (none)");
  for (guint i = 0; list && list[i]; i++)
    printf ("%s %s", i ? "," : "", list[i]);
  printf ("\n");
}

static void
add_list (JsonBuilder *b, const char *name, const char *const *list)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; list && list[i]; i++)
    json_builder_add_string_value (b, list[i]);
  json_builder_end_array (b);
}

/* The default as a JSON value of the option's type (the table holds text). */
static void
add_typed_default (JsonBuilder *b, const SluiceOptionSpec *o)
{
  const char *v = o->default_value;
  if (v == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  switch (o->type)
    {
    case SLUICE_OPTION_INT:
      json_builder_add_int_value (b, g_ascii_strtoll (v, NULL, 10));
      break;
    case SLUICE_OPTION_DOUBLE:
      json_builder_add_double_value (b, g_ascii_strtod (v, NULL));
      break;
    case SLUICE_OPTION_BOOL:
      json_builder_add_boolean_value (b, g_ascii_strcasecmp (v, "true") == 0
                                         || g_ascii_strcasecmp (v, "yes") == 0
                                         || strcmp (v, "1") == 0);
      break;
    case SLUICE_OPTION_STRING_LIST:
      {
        json_builder_begin_array (b);
        g_auto (GStrv) parts = *v ? g_strsplit (v, ",", -1) : g_new0 (char *, 1);
        for (guint i = 0; parts[i]; i++)
          json_builder_add_string_value (b, g_strstrip (parts[i]));
        json_builder_end_array (b);
        break;
      }
    default:
      json_builder_add_string_value (b, v);
    }
}

static void
describe_json (const SluicePlugin *pl)
{
  const SluiceStageDescriptor *d = pl->desc;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, d->name);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, d->version ? d->version : "");
  json_builder_set_member_name (b, "license");
  json_builder_add_string_value (b, d->license ? d->license : "");
  json_builder_set_member_name (b, "summary");
  json_builder_add_string_value (b, d->summary ? d->summary : "");
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, pl->path);
  json_builder_set_member_name (b, "data_dir");
  json_builder_add_string_value (b, pl->data_dir);
  json_builder_set_member_name (b, "abi");
  g_autofree char *abi = g_strdup_printf ("%u.%u", d->abi_major, d->abi_minor);
  json_builder_add_string_value (b, abi);
  json_builder_set_member_name (b, "rewrites_text");
  json_builder_add_boolean_value (b, (d->flags & SLUICE_STAGE_REWRITES_TEXT) != 0);
  json_builder_set_member_name (b, "options");
  json_builder_begin_array (b);
  for (guint i = 0; d->options && d->options[i].name; i++)
    {
      const SluiceOptionSpec *o = &d->options[i];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, o->name);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, sluice_option_type_name (o->type));
      json_builder_set_member_name (b, "default");
      add_typed_default (b, o);
      json_builder_set_member_name (b, "required");
      json_builder_add_boolean_value (b, o->required);
      if (o->min < o->max)
        {
          json_builder_set_member_name (b, "min");
          json_builder_add_double_value (b, o->min);
          json_builder_set_member_name (b, "max");
          json_builder_add_double_value (b, o->max);
        }
      if (o->choices)
        {
          g_auto (GStrv) ch = g_strsplit (o->choices, "|", -1);
          add_list (b, "choices", (const char *const *) ch);
        }
      json_builder_set_member_name (b, "description");
      json_builder_add_string_value (b, o->description ? o->description : "");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  add_list (b, "produces", d->produces);
  add_list (b, "produces_meta", d->produces_meta);
  add_list (b, "consumes", d->consumes);
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) g = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (g, root);
  json_generator_set_pretty (g, TRUE);
  g_autofree char *s = json_generator_to_data (g, NULL);
  printf ("%s\n", s);
}

static void
describe_text (const SluicePlugin *pl)
{
  const SluiceStageDescriptor *d = pl->desc;
  printf ("%s %s — %s\n", d->name, d->version ? d->version : "", d->summary ? d->summary : "");
  printf ("file: %s\nlicense: %s\nplugin ABI: %u.%u\ndata: %s\n", pl->path,
          d->license ? d->license : "?", d->abi_major, d->abi_minor, pl->data_dir);
  if (d->flags & SLUICE_STAGE_REWRITES_TEXT)
    printf ("rewrites the text (earlier annotations are projected onto the new text)\n");
  print_list ("produces annotations", d->produces);
  print_list ("sets metadata", d->produces_meta);
  print_list ("consumes annotations", d->consumes);
  printf ("options:\n");
  if (d->options == NULL || d->options[0].name == NULL)
    printf ("  (none)\n");
  for (guint i = 0; d->options && d->options[i].name; i++)
    {
      const SluiceOptionSpec *o = &d->options[i];
      printf ("  %s (%s", o->name, sluice_option_type_name (o->type));
      if (o->required)
        printf (", required");
      else if (o->default_value)
        printf (", default \"%s\"", o->default_value);
      if (o->min < o->max)
        printf (", %g..%g", o->min, o->max);
      if (o->choices)
        printf (", one of %s", o->choices);
      printf (")\n      %s\n", o->description ? o->description : "");
    }
}

int
sluice_cmd_plugins (int argc, char **argv)
{
  g_autofree char *describe = NULL;
  g_auto (GStrv) plugin_path = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "describe", 'd', 0, G_OPTION_ARG_STRING, &describe, "Print every option and output of stage NAME (or a path to a .so)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "With --describe: print JSON", NULL },
    { "plugin-path", 'P', 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_path, "Look for stages in DIR first (repeatable)", "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- list or describe stages");
  g_option_context_set_summary (ctx,
    "Lists the stages found on the plugin path (--plugin-path, $SLUICE_PLUGIN_PATH, the build\n"
    "tree when run from it, the install directory): name, version, summary, file.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!sluice_cli_parse (ctx, &argc, &argv))
    return SLUICE_EXIT_CONFIG;
  g_auto (GStrv) path = sluice_plugin_search_path ((const char *const *) plugin_path);
  int rc = SLUICE_EXIT_OK;
  if (describe)
    {
      GError *e = NULL;
      g_autofree char *f = sluice_plugin_find (describe, (const char *const *) path, &e);
      SluicePlugin *pl = f ? sluice_plugin_load (f, &e) : NULL;
      if (pl == NULL)
        {
          sluice_cli_error ("%s", e->message);
          g_error_free (e);
          rc = SLUICE_EXIT_CONFIG;
        }
      else if (json)
        describe_json (pl);
      else
        describe_text (pl);
    }
  else
    {
      g_auto (GStrv) files = sluice_plugin_list_files ((const char *const *) path);
      if (files[0] == NULL)
        {
          g_autofree char *where = g_strjoinv (":", path);
          fprintf (stderr, "sluice: no stages found in %s\n", where);
        }
      for (guint i = 0; files[i]; i++)
        {
          GError *e = NULL;
          SluicePlugin *pl = sluice_plugin_load (files[i], &e);
          if (pl == NULL)
            {
              printf ("%-12s %-8s %s\n", "(broken)", "", e->message);
              g_error_free (e);
              rc = SLUICE_EXIT_CONFIG;
              continue;
            }
          printf ("%-12s %-8s %s\n%-12s %-8s   %s\n", pl->desc->name,
                  pl->desc->version ? pl->desc->version : "",
                  pl->desc->summary ? pl->desc->summary : "", "", "", pl->path);
        }
    }
  return rc;
}
