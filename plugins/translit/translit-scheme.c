/* translit — scheme files: parsing, compiling and applying one scheme.
 * The file format is documented in README.md ("Scheme files"). */
#include "translit-scheme.h"

#include <string.h>
#include <stdlib.h>

/* ------------------------------------------------------------- structures */

enum { COND_INITIAL, COND_FINAL, COND_AFTER, COND_BEFORE, COND_PREFIX };

typedef struct {
  guint8 kind;
  guint8 negate;
  guint16 cls;                 /* class index for AFTER/BEFORE, prefix set for PREFIX */
} TlCond;

typedef struct {
  char *out[3];                /* lower (as written), title, upper */
  guint16 out_len[3];
  guint16 first_cond;
  guint16 n_cond;
} TlRule;

typedef struct {
  gunichar cp;
  guint32 node;
} TlEdge;

typedef struct {
  guint32 first_edge;          /* into edges (after freezing) */
  guint32 n_edges;
  guint32 first_rule;          /* rules of a node are contiguous */
  guint32 n_rules;
  /* while building */
  GArray *b_edges;
  GArray *b_rules;             /* of guint32 indices into build rule array */
} TlNode;

typedef struct {
  gunichar *cps;               /* sorted */
  guint n;
  gunichar lo, hi;             /* bitmap range (built by class_freeze) */
  guint64 *bits;
} TlClass;

/* A letter whose only rule is unconditional and which starts no longer
 * sequence: its lower-case output, padded so 8 bytes can always be copied.
 * len < 0: not such a letter. */
typedef struct {
  char s[8];
  gint32 len;
} TlFast;

/* `prefix=A|B|...`: alternatives, each a lower-case NFC code point string
 * (0-terminated in `s`). */
typedef struct {
  gunichar **alts;
  guint *lens;
  guint n;
} TlPrefix;

struct _TlScheme {
  char *name;
  char *lang;
  char *path;
  char *script_code;
  GUnicodeScript script;
  gboolean fallback;

  gunichar lo, hi;             /* root table range */
  guint32 *root;               /* hi - lo + 1 entries: node index, 0 = none */
  TlFast *fast;                /* hi - lo + 1 entries: context-free letters */
  guint max_ratio;             /* bytes of output per source code point, at most */

  TlNode *nodes;
  guint n_nodes;
  TlEdge *edges;
  TlRule *rules;
  guint n_rules;
  TlCond *conds;
  TlClass *classes;
  guint n_classes;
  char **class_names;
  TlClass detect;
  TlPrefix *prefixes;
  guint n_prefixes;
  TlClass reorder;             /* @reorder-first: marks moved to the front of a mark cluster */
  gboolean case_words;         /* @case words: capitalise each output word */
  char **lowercase;            /* @lowercase: words kept lower case except first in a run */
};

/* ------------------------------------------------------------- small utils */

static inline gboolean class_has (const TlClass *c, gunichar cp);

static int
cmp_unichar (const void *a, const void *b)
{
  gunichar x = *(const gunichar *) a, y = *(const gunichar *) b;
  return x < y ? -1 : x > y;
}

static int
cmp_edge (const void *a, const void *b)
{
  return cmp_unichar (&((const TlEdge *) a)->cp, &((const TlEdge *) b)->cp);
}

/* Builds the membership bitmap over [first, last] of a class. */
static void
class_freeze (TlClass *c)
{
  g_free (c->bits);
  c->bits = NULL;
  if (!c->n)
    return;
  c->lo = c->cps[0];
  c->hi = c->cps[c->n - 1];
  c->bits = g_new0 (guint64, (c->hi - c->lo) / 64 + 1);
  for (guint i = 0; i < c->n; i++)
    c->bits[(c->cps[i] - c->lo) >> 6] |= G_GUINT64_CONSTANT (1) << ((c->cps[i] - c->lo) & 63);
}

static inline gboolean
class_has (const TlClass *c, gunichar cp)
{
  if (c->bits)
    return cp >= c->lo && cp <= c->hi
           && ((c->bits[(cp - c->lo) >> 6] >> ((cp - c->lo) & 63)) & 1);
  guint lo = 0, hi = c->n;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (c->cps[mid] == cp)
        return TRUE;
      if (c->cps[mid] < cp)
        lo = mid + 1;
      else
        hi = mid;
    }
  return FALSE;
}

static void
class_from_string (TlClass *c, const char *s)
{
  glong n = 0;
  char *low = g_utf8_strdown (s, -1);
  char *nfc = g_utf8_normalize (low, -1, G_NORMALIZE_NFC);
  gunichar *u = g_utf8_to_ucs4_fast (nfc ? nfc : low, -1, &n);
  g_free (low);
  g_free (nfc);
  qsort (u, n, sizeof (gunichar), cmp_unichar);
  glong k = 0;
  for (glong i = 0; i < n; i++)
    if (!g_unichar_isspace (u[i]) && u[i] != ',' && (k == 0 || u[k - 1] != u[i]))
      u[k++] = u[i];
  c->cps = u;
  c->n = (guint) k;
  c->lo = c->hi = 0;
  c->bits = NULL;
}

/* Decodes the escapes \uXXXX (\u{X...}), \s (space), \\ and the token ""
 * (empty).  NULL with *bad set on a bad escape. */
static char *
unescape (const char *tok, gboolean *bad)
{
  GString *s = g_string_new (NULL);
  *bad = FALSE;
  if (strcmp (tok, "\"\"") == 0)
    return g_string_free (s, FALSE);
  for (const char *p = tok; *p; p++)
    {
      if (*p != '\\')
        {
          g_string_append_c (s, *p);
          continue;
        }
      p++;
      if (*p == '\\')
        g_string_append_c (s, '\\');
      else if (*p == 's')
        g_string_append_c (s, ' ');
      else if (*p == 'u')
        {
          char *end;
          gboolean braced = p[1] == '{';
          const char *start = p + 1 + braced;
          gulong v = strtoul (start, &end, 16);
          if (end == start || (!braced && end - start != 4) || (braced && *end != '}')
              || v == 0 || v > 0x10FFFF || !g_unichar_validate ((gunichar) v))
            {
              *bad = TRUE;
              g_string_free (s, TRUE);
              return NULL;
            }
          g_string_append_unichar (s, (gunichar) v);
          p = braced ? end : end - 1;
        }
      else
        {
          *bad = TRUE;
          g_string_free (s, TRUE);
          return NULL;
        }
    }
  return g_string_free (s, FALSE);
}

/* Title case: the first letter upper-cased, the rest as written. */
static char *
title_case (const char *s)
{
  GString *out = g_string_new (NULL);
  gboolean done = FALSE;
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (!done && g_unichar_isalpha (c))
        {
          gunichar t = g_unichar_totitle (c);
          /* Letters without a single-code-point title form (rare) stay. */
          g_string_append_unichar (out, t ? t : c);
          done = TRUE;
        }
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------- loading */

typedef struct {
  const char *path;
  GQuark domain;
  gint code;
  GArray *nodes;               /* TlNode */
  GPtrArray *rules;            /* TlRule * */
  GArray *conds;               /* TlCond */
  GPtrArray *class_names;
  GArray *classes;             /* TlClass */
  GArray *prefixes;            /* TlPrefix */
} Builder;

static guint32
builder_new_node (Builder *b)
{
  TlNode n = { 0 };
  n.b_edges = g_array_new (FALSE, FALSE, sizeof (TlEdge));
  n.b_rules = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_array_append_val (b->nodes, n);
  return b->nodes->len - 1;
}

static guint32
builder_child (Builder *b, guint32 node, gunichar cp)
{
  TlNode *n = &g_array_index (b->nodes, TlNode, node);
  for (guint i = 0; i < n->b_edges->len; i++)
    if (g_array_index (n->b_edges, TlEdge, i).cp == cp)
      return g_array_index (n->b_edges, TlEdge, i).node;
  guint32 child = builder_new_node (b);
  n = &g_array_index (b->nodes, TlNode, node); /* array may have moved */
  TlEdge e = { cp, child };
  g_array_append_val (n->b_edges, e);
  return child;
}

static gint
builder_class (Builder *b, const char *name)
{
  for (guint i = 0; i < b->class_names->len; i++)
    if (strcmp (g_ptr_array_index (b->class_names, i), name) == 0)
      return (gint) i;
  return -1;
}

static gboolean
parse_cond (Builder *b, const char *tok, TlCond *c, int line, GError **error)
{
  memset (c, 0, sizeof *c);
  if (*tok == '!')
    {
      c->negate = 1;
      tok++;
    }
  if (strcmp (tok, "initial") == 0)
    c->kind = COND_INITIAL;
  else if (strcmp (tok, "final") == 0)
    c->kind = COND_FINAL;
  else if (g_str_has_prefix (tok, "prefix="))
    {
      c->kind = COND_PREFIX;
      char **alts = g_strsplit (tok + 7, "|", -1);
      TlPrefix px = { 0 };
      px.n = g_strv_length (alts);
      px.alts = g_new0 (gunichar *, px.n + 1);
      px.lens = g_new0 (guint, px.n + 1);
      gboolean bad = px.n == 0;
      for (guint i = 0; i < px.n && !bad; i++)
        {
          char *u = unescape (alts[i], &bad);
          if (bad || !*u)
            {
              bad = TRUE;
              g_free (u);
              break;
            }
          char *low = g_utf8_strdown (u, -1);
          char *nfc = g_utf8_normalize (low, -1, G_NORMALIZE_NFC);
          glong n = 0;
          px.alts[i] = g_utf8_to_ucs4_fast (nfc ? nfc : low, -1, &n);
          px.lens[i] = (guint) n;
          g_free (u);
          g_free (low);
          g_free (nfc);
        }
      g_strfreev (alts);
      g_array_append_val (b->prefixes, px);
      c->cls = (guint16) (b->prefixes->len - 1);
      if (bad)
        {
          g_set_error (error, b->domain, b->code, "%s:%d: bad prefix condition '%s' "
                       "(prefix=LETTERS or prefix=A|B)", b->path, line, tok);
          return FALSE;
        }
    }
  else if (g_str_has_prefix (tok, "after=") || g_str_has_prefix (tok, "before="))
    {
      c->kind = tok[0] == 'a' ? COND_AFTER : COND_BEFORE;
      const char *arg = strchr (tok, '=') + 1;
      gint idx;
      if (arg[0] == '[')
        {
          gsize len = strlen (arg);
          if (len < 3 || arg[len - 1] != ']')
            {
              g_set_error (error, b->domain, b->code, "%s:%d: unterminated character set '%s'",
                           b->path, line, arg);
              return FALSE;
            }
          /* An inline set becomes an anonymous class. */
          char *inner = g_strndup (arg + 1, len - 2);
          gboolean bad;
          char *set = unescape (inner, &bad);
          g_free (inner);
          if (bad)
            {
              g_set_error (error, b->domain, b->code, "%s:%d: bad escape in '%s'", b->path,
                           line, arg);
              return FALSE;
            }
          TlClass cls;
          class_from_string (&cls, set);
          g_free (set);
          g_array_append_val (b->classes, cls);
          g_ptr_array_add (b->class_names, g_strdup (""));
          idx = (gint) b->classes->len - 1;
        }
      else if ((idx = builder_class (b, arg)) < 0)
        {
          g_set_error (error, b->domain, b->code, "%s:%d: unknown class '%s' (define it with @class)",
                       b->path, line, arg);
          return FALSE;
        }
      c->cls = (guint16) idx;
    }
  else
    {
      g_set_error (error, b->domain, b->code,
                   "%s:%d: unknown condition '%s' (expected initial, final, after=CLASS, "
                   "before=CLASS, prefix=LETTERS, optionally prefixed with !)",
                   b->path, line, tok);
      return FALSE;
    }
  return TRUE;
}

static void
prefix_clear (TlPrefix *px)
{
  for (guint i = 0; px->alts && i < px->n; i++)
    g_free (px->alts[i]);
  g_free (px->alts);
  g_free (px->lens);
}

static void
free_rule (gpointer p)
{
  TlRule *r = p;
  for (int i = 0; i < 3; i++)
    g_free (r->out[i]);
  g_free (r);
}

static void
builder_clear (Builder *b)
{
  if (b->nodes)
    {
      for (guint i = 0; i < b->nodes->len; i++)
        {
          TlNode *n = &g_array_index (b->nodes, TlNode, i);
          g_array_free (n->b_edges, TRUE);
          g_array_free (n->b_rules, TRUE);
        }
      g_array_free (b->nodes, TRUE);
    }
  if (b->rules)
    g_ptr_array_free (b->rules, TRUE);
  if (b->conds)
    g_array_free (b->conds, TRUE);
  if (b->class_names)
    g_ptr_array_free (b->class_names, TRUE);
  if (b->classes)
    {
      for (guint i = 0; i < b->classes->len; i++)
        {
          g_free (g_array_index (b->classes, TlClass, i).cps);
          g_free (g_array_index (b->classes, TlClass, i).bits);
        }
      g_array_free (b->classes, TRUE);
    }
  if (b->prefixes)
    {
      for (guint i = 0; i < b->prefixes->len; i++)
        prefix_clear (&g_array_index (b->prefixes, TlPrefix, i));
      g_array_free (b->prefixes, TRUE);
    }
}

/* Splits a line into whitespace-separated tokens. */
static char **
tokenize (const char *line)
{
  GPtrArray *a = g_ptr_array_new ();
  const char *p = line;
  while (*p)
    {
      while (*p == ' ' || *p == '\t')
        p++;
      if (!*p)
        break;
      const char *s = p;
      while (*p && *p != ' ' && *p != '\t')
        p++;
      g_ptr_array_add (a, g_strndup (s, p - s));
    }
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

static const char *const required_keys[] = { "standard", "edition", "source", "script", NULL };

TlScheme *
tl_scheme_load (const char *path, const char *scheme_name, const char *lang,
                GQuark domain, gint code, GError **error)
{
  char *contents = NULL;
  gsize length = 0;
  GError *local = NULL;
  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, domain, code, "%s:0: cannot read scheme file: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  if (!g_utf8_validate (contents, length, NULL) || memchr (contents, 0, length))
    {
      g_set_error (error, domain, code, "%s:1: scheme file is not valid UTF-8 text", path);
      g_free (contents);
      return NULL;
    }

  Builder b = { 0 };
  b.path = path;
  b.domain = domain;
  b.code = code;
  b.nodes = g_array_new (FALSE, FALSE, sizeof (TlNode));
  b.rules = g_ptr_array_new_with_free_func (free_rule);
  b.conds = g_array_new (FALSE, FALSE, sizeof (TlCond));
  b.class_names = g_ptr_array_new_with_free_func (g_free);
  b.classes = g_array_new (FALSE, FALSE, sizeof (TlClass));
  b.prefixes = g_array_new (FALSE, FALSE, sizeof (TlPrefix));
  builder_new_node (&b); /* node 0: unused sentinel ("no node") */
  builder_new_node (&b); /* node 1: the trie root */

  TlScheme *s = g_new0 (TlScheme, 1);
  s->name = g_strdup (scheme_name);
  s->lang = g_strdup (lang);
  s->path = g_strdup (path);
  s->script = G_UNICODE_SCRIPT_INVALID_CODE;
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean ok = TRUE;
  char **lines = g_strsplit (contents, "\n", -1);
  int lineno = 0;

  for (char **lp = lines; ok && *lp; lp++)
    {
      lineno++;
      char *line = *lp;
      gsize ll = strlen (line);
      if (ll && line[ll - 1] == '\r')
        line[--ll] = 0;
      char **tok = tokenize (line);
      if (!tok[0] || tok[0][0] == '#')
        {
          g_strfreev (tok);
          continue;
        }
      if (tok[0][0] == '@' && tok[0][1])
        {
          const char *key = tok[0] + 1;
          /* The value: the rest of the line after the key. */
          const char *val = strstr (line, tok[0]) + strlen (tok[0]);
          while (*val == ' ' || *val == '\t')
            val++;
          if (strcmp (key, "class") == 0)
            {
              if (!tok[1] || !tok[2])
                {
                  g_set_error (error, domain, code, "%s:%d: @class needs a name and letters",
                               path, lineno);
                  ok = FALSE;
                }
              else if (builder_class (&b, tok[1]) >= 0)
                {
                  g_set_error (error, domain, code, "%s:%d: class '%s' defined twice", path,
                               lineno, tok[1]);
                  ok = FALSE;
                }
              else
                {
                  GString *all = g_string_new (NULL);
                  for (int i = 2; tok[i] && ok; i++)
                    {
                      gboolean bad;
                      char *u = unescape (tok[i], &bad);
                      if (bad)
                        {
                          g_set_error (error, domain, code, "%s:%d: bad escape in '%s'", path,
                                       lineno, tok[i]);
                          ok = FALSE;
                        }
                      else
                        g_string_append (all, u);
                      g_free (u);
                    }
                  /* A class may include earlier classes by name: @class x = vowel + ... is
                   * not supported; list the letters. */
                  TlClass cls;
                  class_from_string (&cls, all->str);
                  g_string_free (all, TRUE);
                  g_array_append_val (b.classes, cls);
                  g_ptr_array_add (b.class_names, g_strdup (tok[1]));
                }
            }
          else if (!*val)
            {
              g_set_error (error, domain, code, "%s:%d: @%s needs a value", path, lineno, key);
              ok = FALSE;
            }
          else if (strcmp (key, "script") == 0)
            {
              GUnicodeScript sc = g_unicode_script_from_iso15924 (
                  GUINT32_FROM_BE (*(const guint32 *) (strlen (tok[1]) == 4 ? tok[1] : "Zzzz")));
              if (strlen (tok[1]) != 4 || sc == G_UNICODE_SCRIPT_UNKNOWN
                  || sc == G_UNICODE_SCRIPT_INVALID_CODE || sc == G_UNICODE_SCRIPT_COMMON)
                {
                  g_set_error (error, domain, code,
                               "%s:%d: unknown script '%s' (an ISO 15924 code such as Cyrl, Grek, Armn, Geor, Arab, Latn)",
                               path, lineno, tok[1]);
                  ok = FALSE;
                }
              s->script = sc;
              g_free (s->script_code);
              s->script_code = g_strdup (tok[1]);
              g_hash_table_add (seen, g_strdup (key));
            }
          else if (strcmp (key, "lang") == 0)
            {
              g_free (s->lang);
              s->lang = g_strdup (tok[1]);
            }
          else if (strcmp (key, "fallback") == 0)
            s->fallback = g_ascii_strcasecmp (tok[1], "yes") == 0 || g_ascii_strcasecmp (tok[1], "true") == 0;
          else if (strcmp (key, "detect") == 0)
            {
              g_free (s->detect.cps);
              class_from_string (&s->detect, val);
            }
          else if (strcmp (key, "reorder-first") == 0)
            {
              gboolean bad;
              char *u = unescape (val, &bad);
              if (bad)
                {
                  g_set_error (error, domain, code, "%s:%d: bad escape in '@%s'", path, lineno, key);
                  ok = FALSE;
                }
              else
                {
                  g_free (s->reorder.cps);
                  class_from_string (&s->reorder, u);
                  for (guint k = 0; k < s->reorder.n && ok; k++)
                    if (!g_unichar_ismark (s->reorder.cps[k]))
                      {
                        g_set_error (error, domain, code, "%s:%d: @reorder-first takes combining "
                                     "marks only (U+%04X is not one)", path, lineno,
                                     s->reorder.cps[k]);
                        ok = FALSE;
                      }
                }
              g_free (u);
            }
          else if (strcmp (key, "case") == 0)
            {
              if (strcmp (tok[1], "words") == 0)
                s->case_words = TRUE;
              else if (strcmp (tok[1], "source") == 0)
                s->case_words = FALSE;
              else
                {
                  g_set_error (error, domain, code, "%s:%d: @case is 'source' or 'words', not '%s'",
                               path, lineno, tok[1]);
                  ok = FALSE;
                }
            }
          else if (strcmp (key, "lowercase") == 0)
            {
              GPtrArray *words = g_ptr_array_new ();
              for (guint k = 0; s->lowercase && s->lowercase[k]; k++)
                g_ptr_array_add (words, s->lowercase[k]);
              for (int k = 1; tok[k]; k++)
                {
                  char *nfc = g_utf8_normalize (tok[k], -1, G_NORMALIZE_NFC);
                  g_ptr_array_add (words, nfc ? nfc : g_strdup (tok[k]));
                }
              g_ptr_array_add (words, NULL);
              g_free (s->lowercase); /* the strings moved */
              s->lowercase = (char **) g_ptr_array_free (words, FALSE);
            }
          else if (strcmp (key, "standard") == 0 || strcmp (key, "edition") == 0
                   || strcmp (key, "source") == 0 || strcmp (key, "note") == 0
                   || strcmp (key, "name") == 0)
            g_hash_table_add (seen, g_strdup (key));
          else
            {
              g_set_error (error, domain, code,
                           "%s:%d: unknown directive '@%s' (expected @standard, @edition, @source, "
                           "@script, @lang, @fallback, @detect, @class, @reorder-first, @case, "
                           "@lowercase, @note)",
                           path, lineno, key);
              ok = FALSE;
            }
          g_strfreev (tok);
          continue;
        }

      /* A rule: SOURCE TARGET [CONDITION ...] */
      if (!tok[1])
        {
          g_set_error (error, domain, code, "%s:%d: rule '%s' has no target (write \"\" for none)",
                       path, lineno, tok[0]);
          ok = FALSE;
          g_strfreev (tok);
          continue;
        }
      gboolean bad1, bad2;
      char *src = unescape (tok[0], &bad1);
      char *dst = unescape (tok[1], &bad2);
      if (bad1 || bad2 || !*src)
        {
          g_set_error (error, domain, code, "%s:%d: bad rule source or target ('%s' '%s')", path,
                       lineno, tok[0], tok[1]);
          ok = FALSE;
        }
      TlRule *r = g_new0 (TlRule, 1);
      r->first_cond = (guint16) b.conds->len;
      for (int i = 2; ok && tok[i]; i++)
        {
          TlCond c;
          if (!parse_cond (&b, tok[i], &c, lineno, error))
            ok = FALSE;
          else
            g_array_append_val (b.conds, c);
        }
      r->n_cond = (guint16) (b.conds->len - r->first_cond);
      if (!ok)
        {
          g_free (src);
          g_free (dst);
          free_rule (r);
          g_strfreev (tok);
          continue;
        }
      char *low = g_utf8_strdown (src, -1);
      char *key = g_utf8_normalize (low, -1, G_NORMALIZE_NFC);
      g_free (low);
      if (s->reorder.n)
        {
          /* Sources go through the same mark reordering as the text. */
          glong kn = 0;
          gunichar *ku = g_utf8_to_ucs4_fast (key, -1, &kn);
          guint8 *kup = g_new0 (guint8, kn + 1);
          gunichar *kl = g_memdup2 (ku, (gsize) (kn + 1) * sizeof (gunichar));
          tl_scheme_prepare (s, ku, kl, kup, (gsize) kn);
          g_free (kl);
          g_free (key);
          key = g_ucs4_to_utf8 (ku, kn, NULL, NULL, NULL);
          g_free (ku);
          g_free (kup);
        }
      r->out[0] = dst;
      r->out[1] = title_case (dst);
      r->out[2] = g_utf8_strup (dst, -1);
      for (int i = 0; i < 3; i++)
        {
          gsize ol = strlen (r->out[i]);
          if (ol > G_MAXUINT16)
            ok = FALSE;
          r->out_len[i] = (guint16) ol;
          /* Padded with zeros so that short outputs are copied 8 bytes at a time. */
          char *padded = g_malloc0 (ol + 9);
          memcpy (padded, r->out[i], ol);
          g_free (r->out[i]);
          r->out[i] = padded;
        }
      {
        glong src_cps = MAX (g_utf8_strlen (key, -1), 1);
        for (int k = 0; k < 3; k++)
          s->max_ratio = MAX (s->max_ratio, (r->out_len[k] + src_cps - 1) / src_cps);
      }
      g_ptr_array_add (b.rules, r);
      guint32 ridx = b.rules->len - 1;
      guint32 node = 1;
      for (const char *p = key; *p; p = g_utf8_next_char (p))
        node = builder_child (&b, node, g_utf8_get_char (p));
      g_array_append_val (g_array_index (b.nodes, TlNode, node).b_rules, ridx);
      g_free (src);
      g_free (key);
      g_strfreev (tok);
    }
  g_strfreev (lines);
  g_free (contents);

  for (int i = 0; ok && required_keys[i]; i++)
    if (!g_hash_table_contains (seen, required_keys[i]))
      {
        g_set_error (error, domain, code, "%s:%d: missing @%s (every scheme file records its "
                     "standard, edition, source and script)", path, 1, required_keys[i]);
        ok = FALSE;
      }
  if (ok && b.rules->len == 0)
    {
      g_set_error (error, domain, code, "%s:%d: no rules", path, 1);
      ok = FALSE;
    }
  g_hash_table_destroy (seen);

  if (ok)
    {
      /* Freeze: flatten edges (sorted) and rules (contiguous per node, file order). */
      s->n_nodes = b.nodes->len;
      s->nodes = g_new0 (TlNode, s->n_nodes);
      guint n_edges = 0, n_rules = 0;
      for (guint i = 0; i < s->n_nodes; i++)
        {
          TlNode *n = &g_array_index (b.nodes, TlNode, i);
          n_edges += n->b_edges->len;
          n_rules += n->b_rules->len;
        }
      s->edges = g_new0 (TlEdge, n_edges + 1);
      s->rules = g_new0 (TlRule, n_rules + 1);
      s->n_rules = n_rules;
      guint e = 0, rr = 0;
      for (guint i = 0; i < s->n_nodes; i++)
        {
          TlNode *n = &g_array_index (b.nodes, TlNode, i);
          TlNode *m = &s->nodes[i];
          m->first_edge = e;
          m->n_edges = n->b_edges->len;
          if (n->b_edges->len)
            memcpy (&s->edges[e], n->b_edges->data, n->b_edges->len * sizeof (TlEdge));
          qsort (&s->edges[e], m->n_edges, sizeof (TlEdge), cmp_edge);
          e += m->n_edges;
          m->first_rule = rr;
          m->n_rules = n->b_rules->len;
          for (guint k = 0; k < n->b_rules->len; k++)
            {
              TlRule *src_rule = g_ptr_array_index (b.rules, g_array_index (n->b_rules, guint32, k));
              s->rules[rr++] = *src_rule;
              memset (src_rule->out, 0, sizeof src_rule->out); /* moved */
            }
        }
      s->n_classes = b.classes->len;
      s->classes = (TlClass *) g_array_free (b.classes, FALSE);
      b.classes = NULL;
      for (guint i = 0; i < s->n_classes; i++)
        class_freeze (&s->classes[i]);
      class_freeze (&s->detect);
      class_freeze (&s->reorder);
      s->conds = (TlCond *) g_array_free (b.conds, FALSE);
      b.conds = NULL;
      s->n_prefixes = b.prefixes->len;
      s->prefixes = (TlPrefix *) g_array_free (b.prefixes, FALSE);
      b.prefixes = NULL;
      /* Root table over the range of first code points. */
      TlNode *root = &s->nodes[1];
      if (root->n_edges)
        {
          s->lo = s->edges[root->first_edge].cp;
          s->hi = s->edges[root->first_edge + root->n_edges - 1].cp;
          s->root = g_new0 (guint32, s->hi - s->lo + 1);
          s->fast = g_new0 (TlFast, s->hi - s->lo + 1);
          for (gunichar c = s->lo; c <= s->hi; c++)
            s->fast[c - s->lo].len = -1;
          for (guint k = 0; k < root->n_edges; k++)
            {
              guint32 node = s->edges[root->first_edge + k].node;
              gunichar c = s->edges[root->first_edge + k].cp;
              s->root[c - s->lo] = node;
              const TlNode *nd = &s->nodes[node];
              if (nd->n_edges == 0 && nd->n_rules == 1 && s->rules[nd->first_rule].n_cond == 0
                  && s->rules[nd->first_rule].out_len[0] <= 8)
                {
                  const TlRule *r = &s->rules[nd->first_rule];
                  memcpy (s->fast[c - s->lo].s, r->out[0], r->out_len[0]);
                  s->fast[c - s->lo].len = r->out_len[0];
                }
            }
        }
      s->max_ratio = MAX (s->max_ratio, 4u);
    }
  builder_clear (&b);
  if (!ok)
    {
      tl_scheme_free (s);
      return NULL;
    }
  return s;
}

void
tl_scheme_free (TlScheme *s)
{
  if (!s)
    return;
  for (guint i = 0; s->rules && i < s->n_rules; i++)
    for (int k = 0; k < 3; k++)
      g_free (s->rules[i].out[k]);
  for (guint i = 0; s->classes && i < s->n_classes; i++)
    {
      g_free (s->classes[i].cps);
      g_free (s->classes[i].bits);
    }
  g_free (s->detect.bits);
  g_free (s->reorder.bits);
  g_free (s->classes);
  for (guint i = 0; s->prefixes && i < s->n_prefixes; i++)
    prefix_clear (&s->prefixes[i]);
  g_free (s->prefixes);
  g_free (s->reorder.cps);
  g_strfreev (s->lowercase);
  g_free (s->rules);
  g_free (s->edges);
  g_free (s->nodes);
  g_free (s->conds);
  g_free (s->root);
  g_free (s->fast);
  g_free (s->detect.cps);
  g_free (s->name);
  g_free (s->lang);
  g_free (s->path);
  g_free (s->script_code);
  g_free (s);
}

const char *tl_scheme_get_name (const TlScheme *s) { return s->name; }
const char *tl_scheme_get_lang (const TlScheme *s) { return s->lang; }
const char *tl_scheme_get_path (const TlScheme *s) { return s->path; }
GUnicodeScript tl_scheme_get_script (const TlScheme *s) { return s->script; }
const char *tl_scheme_get_script_code (const TlScheme *s) { return s->script_code; }
gboolean tl_scheme_is_fallback (const TlScheme *s) { return s->fallback; }

guint
tl_scheme_detect_score (const TlScheme *s, const gunichar *lower, gsize n)
{
  guint score = 0;
  if (!s->detect.n)
    return 0;
  for (gsize i = 0; i < n; i++)
    score += class_has (&s->detect, lower[i]);
  return score;
}

/* ---------------------------------------------------------------- applying */

/* Is position i (exclusive bound n) inside a word, i.e. a letter or mark,
 * or an apostrophe between two? */
static inline gboolean
letter_at (const gunichar *lower, const guint8 *flags, gsize n, gssize i)
{
  if (i < 0 || (gsize) i >= n)
    return FALSE;
  if (flags[i] & TL_WORD)
    return TRUE;
  return tl_is_apostrophe (lower[i]) && i > 0 && (gsize) i + 1 < n && (flags[i - 1] & TL_WORD)
         && (flags[i + 1] & TL_WORD);
}

static inline gboolean
cond_ok (const TlScheme *s, const TlCond *c, const gunichar *lower, const guint8 *flags,
         gsize n, gsize i, gsize j)
{
  gboolean r;
  switch (c->kind)
    {
    case COND_INITIAL:
      r = !letter_at (lower, flags, n, (gssize) i - 1);
      break;
    case COND_FINAL:
      r = !letter_at (lower, flags, n, (gssize) j);
      break;
    case COND_AFTER:
      r = i > 0 && class_has (&s->classes[c->cls], lower[i - 1]);
      break;
    case COND_PREFIX:
      {
        /* The word holding position i starts with one of the alternatives. */
        gsize w = i;
        while (w > 0 && letter_at (lower, flags, n, (gssize) w - 1))
          w--;
        const TlPrefix *px = &s->prefixes[c->cls];
        r = FALSE;
        for (guint a = 0; a < px->n && !r; a++)
          r = w + px->lens[a] <= n
              && memcmp (lower + w, px->alts[a], px->lens[a] * sizeof (gunichar)) == 0;
      }
      break;
    default:
      r = j < n && class_has (&s->classes[c->cls], lower[j]);
      break;
    }
  return c->negate ? !r : r;
}

static inline guint32
child_of (const TlScheme *s, guint32 node, gunichar cp)
{
  const TlNode *nd = &s->nodes[node];
  guint lo = nd->first_edge, hi = nd->first_edge + nd->n_edges;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (s->edges[mid].cp == cp)
        return s->edges[mid].node;
      if (s->edges[mid].cp < cp)
        lo = mid + 1;
      else
        hi = mid;
    }
  return 0;
}

static inline gboolean
is_cased_upper (const guint8 *flags, gsize n, gssize i)
{
  return i >= 0 && (gsize) i < n && (flags[i] & TL_UPPER);
}

static inline gboolean
is_cased_letter (const guint8 *flags, gsize n, gssize i)
{
  return i >= 0 && (gsize) i < n && (flags[i] & TL_CASED);
}

gboolean
tl_scheme_maps (const TlScheme *s, gunichar cp)
{
  return s->root && cp >= s->lo && cp <= s->hi && s->root[cp - s->lo] != 0;
}

void
tl_scheme_get_range (const TlScheme *s, gunichar *lo, gunichar *hi)
{
  *lo = s->root ? s->lo : 1;
  *hi = s->root ? s->hi : 0;
}

gboolean
tl_scheme_needs_prepare (const TlScheme *s)
{
  return s->reorder.n > 0;
}

/* @reorder-first: within each cluster of combining marks, the listed marks
 * move to the front (stable), so that rules can be written "letter + shadda
 * + vowel" whatever order the input (or NFC's canonical order) gives. */
void
tl_scheme_prepare (const TlScheme *s, gunichar *cps, gunichar *lower, guint8 *upper, gsize n)
{
  if (!s->reorder.n)
    return;
  for (gsize i = 1; i < n; i++)
    {
      if (!class_has (&s->reorder, lower[i]))
        continue;
      gsize j = i;
      while (j > 0 && g_unichar_ismark (cps[j - 1]) && !class_has (&s->reorder, lower[j - 1]))
        {
          gunichar c = cps[j]; cps[j] = cps[j - 1]; cps[j - 1] = c;
          c = lower[j]; lower[j] = lower[j - 1]; lower[j - 1] = c;
          guint8 u = upper[j]; upper[j] = upper[j - 1]; upper[j - 1] = u;
          j--;
        }
    }
}

/* Title case of one letter into buf; letters without a single-code-point
 * title form (ẖ U+1E96) become their capitalised base + combining marks. */
static gsize
title_letter (gunichar c, char *buf)
{
  gunichar t = g_unichar_totitle (c);
  if (t != c || !g_unichar_islower (c))
    return (gsize) g_unichar_to_utf8 (t, buf);
  gunichar d[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  gsize nd = g_unichar_fully_decompose (c, FALSE, d, G_N_ELEMENTS (d));
  if (nd < 2 || g_unichar_totitle (d[0]) == d[0])
    return (gsize) g_unichar_to_utf8 (c, buf);
  gsize len = (gsize) g_unichar_to_utf8 (g_unichar_totitle (d[0]), buf);
  for (gsize k = 1; k < nd; k++)
    len += (gsize) g_unichar_to_utf8 (d[k], buf + len);
  return len;
}

/* @case words: the first letter of every space-separated word of the output
 * (from byte `from`) in title case.  @lowercase words stay lower case after
 * the first word; @lowercase entries ending in '-' (al-) are prefixes kept
 * lower case in every position, the letter after them capitalised. */
static void
capitalise_words (const TlScheme *s, GString *out, gsize from)
{
  gsize p = from;
  gboolean first = TRUE;
  while (p < out->len)
    {
      while (p < out->len && g_ascii_isspace (out->str[p]))
        p++;
      if (p >= out->len)
        break;
      gsize e = p;
      while (e < out->len && !g_ascii_isspace (out->str[e]))
        e++;
      gboolean keep = FALSE;
      gsize q = p;
      for (guint k = 0; s->lowercase && s->lowercase[k] && !keep; k++)
        {
          const char *w = s->lowercase[k];
          gsize wl = strlen (w);
          if (wl > 1 && w[wl - 1] == '-')
            {
              if (wl < e - p && memcmp (w, out->str + p, wl) == 0)
                q = p + wl;
            }
          else if (!first)
            keep = wl == e - p && memcmp (w, out->str + p, wl) == 0;
        }
      first = FALSE;
      while (!keep && q < e)
        {
          gsize cl;
          gunichar c = tl_utf8_get (out->str + q, &cl);
          if (g_unichar_isdigit (c))
            break;
          if (!g_unichar_isalpha (c))
            {
              q += cl;
              continue;
            }
          char buf[32];
          gsize tl = title_letter (c, buf);
          if (tl == cl)
            memcpy (out->str + q, buf, tl);
          else
            {
              g_string_erase (out, (gssize) q, (gssize) cl);
              g_string_insert_len (out, (gssize) q, buf, (gssize) tl);
              e = e + tl - cl;
            }
          break;
        }
      p = e;
    }
}

void
tl_scheme_apply (const TlScheme *s, const gunichar *cps, const gunichar *lower,
                 const guint8 *upper, gsize n, GString *out)
{
  gsize out_start = out->len;
  /* Reserve the most this run can produce (+8 for the fixed-size copies), so
   * the loop writes through a plain pointer. */
  gsize need = out->len + n * s->max_ratio + 16;
  if (need >= out->allocated_len)
    {
      gsize keep = out->len;
      g_string_set_size (out, need);
      out->len = keep;
    }
  char *o = out->str + out->len;
  /* Locals: stores through `o` (char) may alias anything, so fields read
   * through `s` would be reloaded on every iteration. */
  const guint32 *const root = s->root;
  const TlFast *const fast = s->fast;
  const gunichar lo = root ? s->lo : G_MAXUINT32, span = root ? s->hi - s->lo : 0;
  gsize i = 0;
  while (i < n)
    {
      const gunichar c = lower[i];
      const guint8 fl = upper[i];
      guint32 node = 0;
      if (c - lo <= span)
        {
          /* Fast path: a lower-case letter with one unconditional rule and
           * no longer sequences. */
          const TlFast *f = &fast[c - lo];
          if (f->len >= 0 && !(fl & TL_UPPER))
            {
              memcpy (o, f->s, 8);
              o += f->len;
              i++;
              continue;
            }
          node = root[c - lo];
        }
      if (!node)
        {
          if (cps[i] < 0x80)
            *o++ = (char) cps[i];
          else
            o += g_unichar_to_utf8 (cps[i], o);
          i++;
          continue;
        }
      /* Walk the trie as far as it goes, remembering nodes with rules. */
      guint32 path[16];
      gsize depth = 0;
      path[depth++] = node;
      gsize j = i + 1;
      while (j < n && depth < G_N_ELEMENTS (path))
        {
          guint32 next = child_of (s, path[depth - 1], lower[j]);
          if (!next)
            break;
          path[depth++] = next;
          j++;
        }
      const TlRule *rule = NULL;
      gsize len = 0;
      for (gsize d = depth; d > 0 && !rule; d--)
        {
          const TlNode *nd = &s->nodes[path[d - 1]];
          for (guint k = 0; k < nd->n_rules; k++)
            {
              const TlRule *r = &s->rules[nd->first_rule + k];
              gboolean ok = TRUE;
              for (guint q = 0; q < r->n_cond && ok; q++)
                ok = cond_ok (s, &s->conds[r->first_cond + q], lower, upper, n, i, i + d);
              if (ok)
                {
                  rule = r;
                  len = d;
                  break;
                }
            }
        }
      if (!rule)
        {
          o += g_unichar_to_utf8 (cps[i], o);
          i++;
          continue;
        }
      /* Case: see README.md ("Case"). */
      int form = 0;
      if (upper[i] & TL_UPPER)
        {
          gsize n_up = 0, n_cased = 0;
          for (gsize k = i; k < i + len; k++)
            if (is_cased_letter (upper, n, (gssize) k))
              {
                n_cased++;
                n_up += (upper[k] & TL_UPPER) != 0;
              }
          if (n_cased >= 2 && n_up == n_cased)
            form = 2;
          else if (n_cased >= 2)
            form = 1;
          else if (is_cased_letter (upper, n, (gssize) (i + len)))
            form = is_cased_upper (upper, n, (gssize) (i + len)) ? 2 : 1;
          else if (is_cased_letter (upper, n, (gssize) i - 1))
            form = is_cased_upper (upper, n, (gssize) i - 1) ? 2 : 1;
          else
            form = 1;
        }
      gsize ol = rule->out_len[form];
      if (ol <= 8)
        memcpy (o, rule->out[form], 8);
      else
        memcpy (o, rule->out[form], ol);
      o += ol;
      i += len;
    }
  out->len = (gsize) (o - out->str);
  out->str[out->len] = 0;
  if (s->case_words)
    capitalise_words (s, out, out_start);
}
