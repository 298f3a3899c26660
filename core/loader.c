/* sluice — the plugin loader: finds stage shared objects on a search path,
 * refuses unsafe or incompatible ones with a message naming the file, and
 * loads each file once. */
#include "core.h"
#include "sluice-config.h"
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <grp.h>
#include <pwd.h>

static GMutex registry_lock;
static GHashTable *registry;   /* real path -> SluicePlugin* (never unloaded) */

/* The smallest descriptor we can read: up to and including destroy. */
#define MIN_DESCRIPTOR_SIZE (offsetof (SluiceStageDescriptor, destroy) + sizeof (gpointer))

static gboolean
valid_stage_name (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_'))
      return FALSE;
  return TRUE;
}

gboolean
sluice_descriptor_check (const SluiceStageDescriptor *d, const char *file, GError **error)
{
  if (d == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: %s() returned NULL", file, SLUICE_STAGE_SYMBOL);
      return FALSE;
    }
  /* Check the version before anything else: a plugin of another major may
   * lay out the descriptor differently. */
  if (d->abi_major != SLUICE_ABI_MAJOR || d->abi_minor > SLUICE_ABI_MINOR)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: plugin has incompatible ABI version (plugin: %u.%u, core: %u.%u); "
                   "rebuild it against this sluice's headers",
                   file, d->abi_major, d->abi_minor, SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
      return FALSE;
    }
  if (d->struct_size < MIN_DESCRIPTOR_SIZE || d->struct_size > 1u << 16)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: descriptor size %u is not plausible (core expects at least %u)",
                   file, d->struct_size, (guint) MIN_DESCRIPTOR_SIZE);
      return FALSE;
    }
  if (!valid_stage_name (d->name))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: stage name '%s' is not valid (lower-case letters, digits and '_')",
                   file, d->name ? d->name : "(null)");
      return FALSE;
    }
  if (d->process == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: stage '%s' has no process() callback", file, d->name);
      return FALSE;
    }
  if (d->options)
    for (guint i = 0; d->options[i].name; i++)
      {
        if ((guint) d->options[i].type > SLUICE_OPTION_STRING_LIST)
          {
            g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                         "%s: stage '%s': option '%s' has an unknown type %d",
                         file, d->name, d->options[i].name, (int) d->options[i].type);
            return FALSE;
          }
        for (guint j = 0; j < i; j++)
          if (strcmp (d->options[i].name, d->options[j].name) == 0)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                           "%s: stage '%s' declares option '%s' twice",
                           file, d->name, d->options[i].name);
              return FALSE;
            }
      }
  return TRUE;
}

/* A group that only its owner can be in (Debian's user private groups, or
 * root's group with no listed members). */
static gboolean
private_group (gid_t gid, uid_t owner)
{
  struct group *g = getgrgid (gid);
  struct passwd *pw = getpwuid (owner);
  return g != NULL && pw != NULL && pw->pw_gid == gid
         && (g->gr_mem == NULL || g->gr_mem[0] == NULL);
}

/* Refuses a path that another user could replace: writable by others (or
 * by a shared group), or owned by someone other than root or us.  For an
 * ancestor directory a world-writable one is fine when it is sticky and
 * root-owned (/tmp): others cannot rename what is in it. */
static gboolean
check_path_safe (const char *path, const char *what, const char *plugin, gboolean ancestor,
                 GError **error)
{
  struct stat st;
  if (stat (path, &st) != 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN, "%s: %s: %s", plugin, path,
                   g_strerror (errno));
      return FALSE;
    }
  gboolean sticky_root = ancestor && (st.st_mode & S_ISVTX) && st.st_uid == 0;
  if ((st.st_mode & S_IWOTH) && !sticky_root)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: refusing to load: %s '%s' is writable by other users (mode %04o); "
                   "run chmod o-w on it",
                   plugin, what, path, (unsigned) (st.st_mode & 07777));
      return FALSE;
    }
  if ((st.st_mode & S_IWGRP) && !sticky_root && !private_group (st.st_gid, st.st_uid))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: refusing to load: %s '%s' is writable by its group (gid %u), which "
                   "other users are in (mode %04o); run chmod g-w on it",
                   plugin, what, path, (unsigned) st.st_gid, (unsigned) (st.st_mode & 07777));
      return FALSE;
    }
  if (st.st_uid != 0 && st.st_uid != geteuid ())
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: refusing to load: %s '%s' belongs to another user (uid %u)",
                   plugin, what, path, (unsigned) st.st_uid);
      return FALSE;
    }
  return TRUE;
}

/* The file, its directory, and every directory above it (as ssh checks). */
static gboolean
check_not_writable_by_others (const char *file, const char *plugin, GError **error)
{
  if (!check_path_safe (file, "file", plugin, FALSE, error))
    return FALSE;
  g_autofree char *dir = g_path_get_dirname (file);
  if (!check_path_safe (dir, "directory", plugin, FALSE, error))
    return FALSE;
  while (strcmp (dir, "/") != 0 && strcmp (dir, ".") != 0)
    {
      char *up = g_path_get_dirname (dir);
      g_free (dir);
      dir = up;
      if (!check_path_safe (dir, "directory", plugin, TRUE, error))
        return FALSE;
    }
  return TRUE;
}

static char *
data_dir_for (const char *so_path, const char *name)
{
  g_autofree char *dir = g_path_get_dirname (so_path);
  char *local = g_build_filename (dir, "data", NULL);
  if (g_file_test (local, G_FILE_TEST_IS_DIR))
    return local;
  g_free (local);
  return g_build_filename (SLUICE_DATADIR, name, NULL);
}

SluicePlugin *
sluice_plugin_load (const char *path, GError **error)
{
  char resolved[PATH_MAX];
  if (realpath (path, resolved) == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN, "%s: %s", path, g_strerror (errno));
      return NULL;
    }

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  SluicePlugin *p = g_hash_table_lookup (registry, resolved);
  g_mutex_unlock (&registry_lock);
  if (p)
    return p;

  if (!g_file_test (resolved, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN, "%s: not a regular file", path);
      return NULL;
    }
  if (!check_not_writable_by_others (resolved, path, error))
    return NULL;

  void *handle = dlopen (resolved, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    {
      const char *msg = dlerror ();
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN, "%s: cannot load plugin: %s",
                   path, msg ? msg : "unknown dlopen error");
      return NULL;
    }
  dlerror ();
  void *sym = dlsym (handle, SLUICE_STAGE_SYMBOL);
  const char *sym_err = dlerror ();
  if (sym == NULL || sym_err != NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                   "%s: not a sluice stage: it does not export '%s' (%s)",
                   path, SLUICE_STAGE_SYMBOL, sym_err ? sym_err : "symbol is NULL");
      dlclose (handle);
      return NULL;
    }
  SluiceStageDescriptorFunc fn;
  *(void **) (&fn) = sym;
  const SluiceStageDescriptor *d = fn ();
  if (!sluice_descriptor_check (d, path, error))
    {
      dlclose (handle);
      return NULL;
    }
  /* sluice-<name>.so must hold stage <name>. */
  g_autofree char *base = g_path_get_basename (resolved);
  if (g_str_has_prefix (base, "sluice-") && g_str_has_suffix (base, ".so"))
    {
      g_autofree char *fname = g_strndup (base + 7, strlen (base) - 7 - 3);
      if (strcmp (fname, d->name) != 0)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
                       "%s: file name says stage '%s' but the plugin calls itself '%s'",
                       path, fname, d->name);
          dlclose (handle);
          return NULL;
        }
    }

  p = g_new0 (SluicePlugin, 1);
  p->path = g_strdup (resolved);
  p->handle = handle;
  p->desc = d;
  p->data_dir = data_dir_for (resolved, d->name);

  g_mutex_lock (&registry_lock);
  SluicePlugin *other = g_hash_table_lookup (registry, resolved);
  if (other == NULL)
    g_hash_table_insert (registry, p->path, p);
  g_mutex_unlock (&registry_lock);
  if (other)
    {
      /* Lost a race with another thread; keep the first. */
      g_free (p->path);
      g_free (p->data_dir);
      g_free (p);
      return other;
    }
  return p;
}

/* Is the running binary the one in the build tree? */
static gboolean
running_from_build_tree (void)
{
  char exe[PATH_MAX], root[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return FALSE;
  exe[n] = '\0';
  if (realpath (SLUICE_BUILD_ROOT, root) == NULL)
    return FALSE;
  g_autofree char *dir = g_path_get_dirname (exe);
  gsize rl = strlen (root);
  return strcmp (dir, root) == 0 || (g_str_has_prefix (dir, root) && dir[rl] == '/');
}

char **
sluice_plugin_search_path (const char *const *extra)
{
  GPtrArray *a = g_ptr_array_new ();
  if (extra)
    for (guint i = 0; extra[i]; i++)
      g_ptr_array_add (a, g_strdup (extra[i]));
  const char *env = g_getenv ("SLUICE_PLUGIN_PATH");
  if (env && *env)
    {
      g_auto (GStrv) parts = g_strsplit (env, ":", -1);
      for (guint i = 0; parts[i]; i++)
        if (*parts[i])
          g_ptr_array_add (a, g_strdup (parts[i]));
    }
  if (running_from_build_tree ())
    g_ptr_array_add (a, g_strdup (SLUICE_BUILD_PLUGINDIR));
  g_ptr_array_add (a, g_strdup (SLUICE_PLUGINDIR));
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

char *
sluice_plugin_find (const char *name, const char *const *search_path, GError **error)
{
  if (strchr (name, '/') || g_str_has_suffix (name, ".so"))
    {
      if (g_file_test (name, G_FILE_TEST_EXISTS))
        return g_strdup (name);
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN, "plugin file '%s' does not exist", name);
      return NULL;
    }
  g_autofree char *file = g_strdup_printf ("sluice-%s.so", name);
  for (guint i = 0; search_path && search_path[i]; i++)
    {
      char *c1 = g_build_filename (search_path[i], file, NULL);
      if (g_file_test (c1, G_FILE_TEST_EXISTS))
        return c1;
      g_free (c1);
      char *c2 = g_build_filename (search_path[i], name, file, NULL);
      if (g_file_test (c2, G_FILE_TEST_EXISTS))
        return c2;
      g_free (c2);
    }
  g_autofree char *where = search_path ? g_strjoinv (":", (char **) search_path) : g_strdup ("");
  /* Suggest a close name among the plugins that do exist. */
  g_auto (GStrv) files = sluice_plugin_list_files (search_path);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; files && files[i]; i++)
    {
      g_autofree char *b = g_path_get_basename (files[i]);
      g_ptr_array_add (names, g_strndup (b + 7, strlen (b) - 10));
    }
  const char *s = sluice_suggest (name, (const char *const *) names->pdata, names->len);
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PLUGIN,
               "plugin '%s' not found (looked for %s in %s)%s%s%s", name, file, where,
               s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
  g_ptr_array_unref (names);
  return NULL;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
scan_dir (const char *dir, int depth, GPtrArray *out, GHashTable *seen)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *n;
  while ((n = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (n));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      char *path = g_build_filename (dir, name, NULL);
      if (g_str_has_prefix (name, "sluice-") && g_str_has_suffix (name, ".so")
          && strlen (name) > 10 && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          char rp[PATH_MAX];
          const char *key = realpath (path, rp) ? rp : path;
          if (!g_hash_table_contains (seen, key))
            {
              g_hash_table_add (seen, g_strdup (key));
              g_ptr_array_add (out, path);
              path = NULL;
            }
        }
      else if (depth == 0 && name[0] != '.' && g_file_test (path, G_FILE_TEST_IS_DIR))
        scan_dir (path, depth + 1, out, seen);
      g_free (path);
    }
  g_ptr_array_unref (names);
}

char **
sluice_plugin_list_files (const char *const *search_path)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; search_path && search_path[i]; i++)
    scan_dir (search_path[i], 0, out, seen);
  g_hash_table_unref (seen);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}
