/* sluice batch — RSS 2.0 / RSS 1.0 / Atom feed files, read as a stream.
 *
 * Included by cli_batch.c (one compilation unit).  The feed is read with
 * libxml2's xmlTextReader: each <item> / <entry> is expanded, turned into a
 * BatchFeedItem and freed before the next one, so memory does not grow with
 * the number of items.  No network access and no external entities
 * (XML_PARSE_NONET, and neither XML_PARSE_NOENT nor XML_PARSE_DTDLOAD).
 *
 * HTML descriptions / contents are parsed with libxml2's HTML parser and
 * flattened to text: entities decoded, tags stripped, block elements as
 * paragraph breaks, <br> as a line break, scripts and styles dropped,
 * whitespace collapsed outside <pre>. */
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <string.h>

#if LIBXML_VERSION >= 21200
typedef const xmlError *BatchXmlErrorPtr;
#else
typedef xmlErrorPtr BatchXmlErrorPtr;
#endif

/* ------------------------------------------------------- HTML -> text */

enum { BREAK_NONE = 0, BREAK_SPACE, BREAK_LINE, BREAK_PARA };

typedef struct {
  GString *out;
  int pending;                  /* break owed before the next visible text */
  int pre;                      /* depth inside <pre> */
} TextBuilder;

static void
tb_break (TextBuilder *tb, int kind)
{
  if (kind == BREAK_LINE && tb->pending == BREAK_LINE)
    tb->pending = BREAK_PARA;   /* <br><br> */
  else if (kind > tb->pending)
    tb->pending = kind;
}

static void
tb_flush_break (TextBuilder *tb)
{
  if (tb->out->len > 0)
    {
      if (tb->pending == BREAK_SPACE)
        g_string_append_c (tb->out, ' ');
      else if (tb->pending == BREAK_LINE)
        g_string_append_c (tb->out, '\n');
      else if (tb->pending == BREAK_PARA)
        g_string_append (tb->out, "\n\n");
    }
  tb->pending = BREAK_NONE;
}

static inline gboolean
is_html_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void
tb_text (TextBuilder *tb, const char *s, gsize len)
{
  if (tb->pre)
    {
      if (len == 0)
        return;
      tb_flush_break (tb);
      for (gsize i = 0; i < len; i++)
        if (s[i] != '\r')
          g_string_append_c (tb->out, s[i]);
      return;
    }
  gsize i = 0;
  while (i < len)
    {
      if (is_html_space (s[i]))
        {
          tb_break (tb, BREAK_SPACE);
          while (i < len && is_html_space (s[i]))
            i++;
          continue;
        }
      gsize j = i;
      while (j < len && !is_html_space (s[j]))
        j++;
      tb_flush_break (tb);
      g_string_append_len (tb->out, s + i, (gssize) (j - i));
      i = j;
    }
}

/* Elements whose content is never text. */
static gboolean
html_dropped (const char *n)
{
  static const char *const names[] = {
    "script", "style", "template", "head", "noscript", "iframe", "object", "embed",
    "svg", "math", "canvas", "select", "button", "audio", "video", NULL
  };
  for (guint i = 0; names[i]; i++)
    if (g_ascii_strcasecmp (n, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Elements that start and end a paragraph. */
static gboolean
html_block (const char *n)
{
  static const char *const names[] = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "blockquote", "pre", "table", "thead", "tbody", "tfoot", "caption", "section",
    "article", "header", "footer", "aside", "nav", "main", "figure", "figcaption", "hr",
    "address", "form", "fieldset", "details", "summary", "center", "body", "html", "tr",
    "hgroup", "legend", "menu", NULL
  };
  for (guint i = 0; names[i]; i++)
    if (g_ascii_strcasecmp (n, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Walks a libxml2 tree (an HTML document or an XHTML fragment of an Atom
 * entry).  Iterative, so deeply nested markup cannot exhaust the stack. */
static void
tb_walk (TextBuilder *tb, xmlNodePtr first)
{
  xmlNodePtr node = first;
  while (node)
    {
      gboolean descend = FALSE;
      switch (node->type)
        {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (node->content)
            tb_text (tb, (const char *) node->content, strlen ((const char *) node->content));
          break;
        case XML_ENTITY_REF_NODE:
          {
            /* Only seen for undeclared entities in XHTML content: keep as written. */
            g_autofree char *s = g_strdup_printf ("&%s;", (const char *) node->name);
            tb_text (tb, s, strlen (s));
          }
          break;
        case XML_ELEMENT_NODE:
          {
            const char *n = (const char *) node->name;
            if (html_dropped (n))
              break;
            if (g_ascii_strcasecmp (n, "br") == 0)
              tb_break (tb, BREAK_LINE);
            else if (g_ascii_strcasecmp (n, "td") == 0 || g_ascii_strcasecmp (n, "th") == 0)
              tb_break (tb, BREAK_SPACE);
            else if (g_ascii_strcasecmp (n, "tr") == 0)
              tb_break (tb, BREAK_LINE);
            else if (html_block (n))
              tb_break (tb, BREAK_PARA);
            if (g_ascii_strcasecmp (n, "pre") == 0)
              tb->pre++;
            descend = node->children != NULL;
            if (!descend && g_ascii_strcasecmp (n, "pre") == 0)
              tb->pre--;
          }
          break;
        case XML_DOCUMENT_NODE:
        case XML_HTML_DOCUMENT_NODE:
          descend = node->children != NULL;
          break;
        default:
          break;
        }
      if (descend)
        {
          node = node->children;
          continue;
        }
      /* Next sibling, or climb up closing elements. */
      while (node && node != first && node->next == NULL)
        {
          node = node->parent;
          if (node == NULL || node == first->parent)
            return;
          if (node->type == XML_ELEMENT_NODE)
            {
              const char *n = (const char *) node->name;
              if (g_ascii_strcasecmp (n, "pre") == 0)
                tb->pre--;
              if (g_ascii_strcasecmp (n, "tr") == 0)
                tb_break (tb, BREAK_LINE);
              else if (html_block (n))
                tb_break (tb, BREAK_PARA);
            }
        }
      if (node == NULL)
        return;
      node = node->next;
    }
}

/* Appends the text of an HTML fragment to `out`. */
static void
batch_html_to_text (const char *html, gsize len, GString *out)
{
  TextBuilder tb = { out, BREAK_NONE, 0 };
  /* Fast path: nothing to parse. */
  if (memchr (html, '<', len) == NULL && memchr (html, '&', len) == NULL)
    {
      tb_text (&tb, html, len);
      return;
    }
  if (len > G_MAXINT)
    len = G_MAXINT;
  htmlDocPtr doc = htmlReadMemory (html, (int) len, NULL, "UTF-8",
                                   HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING
                                   | HTML_PARSE_NONET | HTML_PARSE_NODEFDTD | HTML_PARSE_COMPACT);
  if (doc == NULL)
    {
      tb_text (&tb, html, len);
      return;
    }
  tb_walk (&tb, (xmlNodePtr) doc);
  xmlFreeDoc (doc);
}

/* Plain text: trimmed, whitespace runs collapsed (titles). */
static void
batch_plain_to_text (const char *s, GString *out)
{
  TextBuilder tb = { out, BREAK_NONE, 0 };
  tb_text (&tb, s, strlen (s));
}

/* --------------------------------------------------------------- dates */

static int
month_number (const char *s)
{
  static const char *const m[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec" };
  for (int i = 0; i < 12; i++)
    if (g_ascii_strncasecmp (s, m[i], 3) == 0)
      return i + 1;
  return 0;
}

/* RFC 822 / RFC 2822 dates of RSS 2.0 ("Tue, 10 Jun 2003 04:00:00 GMT"),
 * tolerating a missing weekday, missing seconds, two-digit years and the
 * North American zone names.  NULL when it cannot be read. */
static GDateTime *
parse_rfc822_date (const char *s)
{
  while (g_ascii_isspace (*s))
    s++;
  const char *comma = strchr (s, ',');
  if (comma)
    s = comma + 1;
  else if (g_ascii_isalpha (*s))
    {
      /* "Tue 10 Jun ..." */
      while (g_ascii_isalpha (*s))
        s++;
    }
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  char mon[16] = "", zone[16] = "";
  int n = 0;
  if (sscanf (s, " %d %15s %d %d:%d%n", &day, mon, &year, &hh, &mm, &n) < 5)
    return NULL;
  s += n;
  if (*s == ':')
    {
      int k = 0;
      if (sscanf (s, ":%d%n", &ss, &k) < 1)
        return NULL;
      s += k;
    }
  if (sscanf (s, " %15s", zone) < 1)
    zone[0] = '\0';
  int month = month_number (mon);
  if (month == 0)
    return NULL;
  if (year < 50)
    year += 2000;
  else if (year < 100)
    year += 1900;
  int offset_min = 0;
  if (zone[0] == '+' || zone[0] == '-')
    {
      if (strlen (zone) < 5 || !g_ascii_isdigit (zone[1]))
        return NULL;
      int v = atoi (zone + 1);
      offset_min = (v / 100) * 60 + v % 100;
      if (zone[0] == '-')
        offset_min = -offset_min;
    }
  else if (zone[0])
    {
      static const struct { const char *name; int hours; } zones[] = {
        { "GMT", 0 }, { "UT", 0 }, { "UTC", 0 }, { "Z", 0 },
        { "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
        { "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
      };
      gboolean known = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (zones); i++)
        if (g_ascii_strcasecmp (zone, zones[i].name) == 0)
          {
            offset_min = zones[i].hours * 60;
            known = TRUE;
          }
      if (!known)
        offset_min = 0;         /* RFC 2822: unknown zones mean UTC */
    }
  GTimeZone *tz = g_time_zone_new_offset (offset_min * 60);
  GDateTime *dt = g_date_time_new (tz, year, month, day, hh, mm, ss);
  g_time_zone_unref (tz);
  return dt;
}

/* ISO 8601 / RFC 3339 (Atom, dc:date); a date without a zone is taken as UTC. */
static GDateTime *
parse_iso_date (const char *s)
{
  while (g_ascii_isspace (*s))
    s++;
  g_autofree char *t = g_strstrip (g_strdup (s));
  GTimeZone *utc = g_time_zone_new_utc ();
  GDateTime *dt = g_date_time_new_from_iso8601 (t, utc);
  if (dt == NULL && strlen (t) == 10)
    {
      /* A date alone: midnight UTC. */
      g_autofree char *full = g_strconcat (t, "T00:00:00Z", NULL);
      dt = g_date_time_new_from_iso8601 (full, utc);
    }
  g_time_zone_unref (utc);
  return dt;
}

/* ISO 8601 text of a feed date, or NULL. */
static char *
batch_normalize_date (const char *raw)
{
  if (raw == NULL || *raw == '\0')
    return NULL;
  GDateTime *dt = parse_iso_date (raw);
  if (dt == NULL)
    dt = parse_rfc822_date (raw);
  if (dt == NULL)
    return NULL;
  char *s = g_date_time_format (dt, g_date_time_get_utc_offset (dt) == 0 ? "%Y-%m-%dT%H:%M:%SZ"
                                                                         : "%Y-%m-%dT%H:%M:%S%:z");
  g_date_time_unref (dt);
  return s;
}

/* --------------------------------------------------------------- feeds */

typedef enum { FEED_UNKNOWN = 0, FEED_RSS, FEED_RDF, FEED_ATOM } BatchFeedKind;

typedef struct {
  char *title;
  char *link;
  char *guid;
  char *date;                   /* ISO 8601, or NULL */
  char *date_raw;               /* as written, when it could not be read */
  GString *text;
  guint index;                  /* 1-based position in the feed */
} BatchFeedItem;

typedef struct {
  xmlTextReaderPtr reader;
  const char *path;
  BatchFeedKind kind;
  char *scope;                  /* channel link / feed id, for non-URI guids */
  guint n_items;
  char *error;                  /* first XML error */
  gboolean positioned;          /* the reader already sits on an unseen node */
  gboolean at_end;
} BatchFeed;

static void
feed_item_clear (BatchFeedItem *it)
{
  g_clear_pointer (&it->title, g_free);
  g_clear_pointer (&it->link, g_free);
  g_clear_pointer (&it->guid, g_free);
  g_clear_pointer (&it->date, g_free);
  g_clear_pointer (&it->date_raw, g_free);
  if (it->text)
    g_string_truncate (it->text, 0);
}

static void
feed_on_error (void *data, BatchXmlErrorPtr err)
{
  BatchFeed *f = data;
  if (err == NULL || err->level < XML_ERR_ERROR || f->error)
    return;
  g_autofree char *msg = g_strdup (err->message ? err->message : "XML error");
  g_strchomp (msg);
  f->error = g_strdup_printf ("%s:%d: malformed feed: %s", f->path, err->line, msg);
}

static void
batch_xml_silence (void *ctx, BatchXmlErrorPtr err)
{
}

static void
batch_xml_generic_silence (void *ctx, const char *msg, ...)
{
}

/* Opens a feed file.  Never touches the network. */
static BatchFeed *
batch_feed_open (const char *path, GError **error)
{
  BatchFeed *f = g_new0 (BatchFeed, 1);
  f->path = path;
  f->reader = xmlReaderForFile (path, NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA
                                | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT);
  if (f->reader == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s: cannot open the feed", path);
      g_free (f);
      return NULL;
    }
  xmlTextReaderSetStructuredErrorHandler (f->reader, (xmlStructuredErrorFunc) feed_on_error, f);
  return f;
}

static void
batch_feed_free (BatchFeed *f)
{
  if (f == NULL)
    return;
  xmlFreeTextReader (f->reader);
  g_free (f->scope);
  g_free (f->error);
  g_free (f);
}

static gboolean
name_is (xmlNodePtr n, const char *local)
{
  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, local) == 0;
}

static gboolean
ns_is (xmlNodePtr n, const char *uri)
{
  return n->ns && n->ns->href && strcmp ((const char *) n->ns->href, uri) == 0;
}

static char *
node_text (xmlNodePtr n)
{
  xmlChar *c = xmlNodeGetContent (n);
  char *s = g_strdup (c ? (const char *) c : "");
  xmlFree (c);
  return s;
}

static char *
node_attr (xmlNodePtr n, const char *name)
{
  xmlChar *c = xmlGetProp (n, (const xmlChar *) name);
  if (c == NULL)
    return NULL;
  char *s = g_strdup ((const char *) c);
  xmlFree (c);
  return s;
}

/* A title: HTML-decoded when it holds markup or entity references. */
static char *
title_text (const char *raw, gboolean html)
{
  GString *s = g_string_new (NULL);
  if (html || strchr (raw, '<') || strchr (raw, '&'))
    batch_html_to_text (raw, strlen (raw), s);
  else
    batch_plain_to_text (raw, s);
  return g_string_free (s, FALSE);
}

#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

static void
rss_item (xmlNodePtr item, BatchFeedItem *it)
{
  g_autofree char *desc = NULL, *encoded = NULL, *pub = NULL, *dcdate = NULL;
  for (xmlNodePtr c = item->children; c; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (name_is (c, "title") && it->title == NULL)
        {
          g_autofree char *raw = node_text (c);
          it->title = title_text (raw, FALSE);
        }
      else if (name_is (c, "link") && it->link == NULL)
        it->link = g_strstrip (node_text (c));
      else if (name_is (c, "guid") && it->guid == NULL)
        it->guid = g_strstrip (node_text (c));
      else if (name_is (c, "description") && desc == NULL)
        desc = node_text (c);
      else if (name_is (c, "encoded") && ns_is (c, NS_CONTENT) && encoded == NULL)
        encoded = node_text (c);
      else if (name_is (c, "pubDate") && pub == NULL)
        pub = node_text (c);
      else if (name_is (c, "date") && dcdate == NULL)
        dcdate = node_text (c);
    }
  if (it->guid == NULL)
    {
      /* RSS 1.0: <item rdf:about="..."> */
      xmlChar *about = xmlGetNsProp (item, (const xmlChar *) "about", (const xmlChar *) NS_RDF);
      if (about)
        it->guid = g_strdup ((const char *) about);
      xmlFree (about);
    }
  if (it->guid && *it->guid == '\0')
    g_clear_pointer (&it->guid, g_free);
  if (it->link && *it->link == '\0')
    g_clear_pointer (&it->link, g_free);
  const char *body = encoded && *encoded ? encoded : desc;
  if (body)
    batch_html_to_text (body, strlen (body), it->text);
  const char *d = pub ? pub : dcdate;
  if (d)
    {
      it->date = batch_normalize_date (d);
      if (it->date == NULL)
        it->date_raw = g_strstrip (g_strdup (d));
    }
}

/* Atom text constructs: type text (default), html or xhtml. */
static void
atom_text (xmlNodePtr n, GString *out)
{
  g_autofree char *type = node_attr (n, "type");
  if (type && (strcmp (type, "xhtml") == 0 || g_str_has_suffix (type, "xml")))
    {
      TextBuilder tb = { out, BREAK_NONE, 0 };
      for (xmlNodePtr c = n->children; c; c = c->next)
        tb_walk (&tb, c);
      return;
    }
  g_autofree char *raw = node_text (n);
  if (type && (strcmp (type, "html") == 0 || strcmp (type, "text/html") == 0))
    batch_html_to_text (raw, strlen (raw), out);
  else if (type == NULL || strcmp (type, "text") == 0 || g_str_has_prefix (type, "text/"))
    {
      /* Plain text keeps its line breaks; only the ends are trimmed. */
      g_strstrip (raw);
      g_string_append (out, raw);
    }
  /* Other media types (base64 payloads) carry no text. */
}

static void
atom_entry (xmlNodePtr entry, BatchFeedItem *it)
{
  xmlNodePtr content = NULL, summary = NULL;
  g_autofree char *published = NULL, *updated = NULL;
  for (xmlNodePtr c = entry->children; c; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (name_is (c, "title") && it->title == NULL)
        {
          GString *t = g_string_new (NULL);
          atom_text (c, t);
          GString *flat = g_string_new (NULL);
          batch_plain_to_text (t->str, flat);
          g_string_free (t, TRUE);
          it->title = g_string_free (flat, FALSE);
        }
      else if (name_is (c, "link"))
        {
          g_autofree char *rel = node_attr (c, "rel");
          if ((rel == NULL || strcmp (rel, "alternate") == 0) && it->link == NULL)
            it->link = node_attr (c, "href");
        }
      else if (name_is (c, "id") && it->guid == NULL)
        it->guid = g_strstrip (node_text (c));
      else if (name_is (c, "content") && content == NULL)
        content = c;
      else if (name_is (c, "summary") && summary == NULL)
        summary = c;
      else if (name_is (c, "published") && published == NULL)
        published = node_text (c);
      else if (name_is (c, "updated") && updated == NULL)
        updated = node_text (c);
    }
  if (it->guid && *it->guid == '\0')
    g_clear_pointer (&it->guid, g_free);
  if (it->link && *it->link == '\0')
    g_clear_pointer (&it->link, g_free);
  if (content)
    atom_text (content, it->text);
  if (it->text->len == 0 && summary)
    atom_text (summary, it->text);
  const char *d = published ? published : updated;
  if (d)
    {
      it->date = batch_normalize_date (d);
      if (it->date == NULL)
        it->date_raw = g_strstrip (g_strdup (d));
    }
}

/* The next item into *it.  FALSE at the end (f->error NULL) or on a
 * malformed or unsupported document (message in *error). */
static gboolean
batch_feed_next (BatchFeed *f, BatchFeedItem *it, GError **error)
{
  feed_item_clear (it);
  for (;;)
    {
      int ret;
      if (f->at_end)
        ret = 0;
      else if (f->positioned)
        ret = 1;
      else
        ret = xmlTextReaderRead (f->reader);
      f->positioned = FALSE;
      if (ret == 0)
        {
          if (f->error)
            goto fail;
          if (f->kind == FEED_UNKNOWN)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s: empty feed file", f->path);
              return FALSE;
            }
          return FALSE;
        }
      if (ret < 0 || f->error)
        goto fail;
      if (xmlTextReaderNodeType (f->reader) != XML_READER_TYPE_ELEMENT)
        continue;
      int depth = xmlTextReaderDepth (f->reader);
      const char *local = (const char *) xmlTextReaderConstLocalName (f->reader);
      if (depth == 0)
        {
          if (strcmp (local, "rss") == 0)
            f->kind = FEED_RSS;
          else if (strcmp (local, "RDF") == 0)
            f->kind = FEED_RDF;
          else if (strcmp (local, "feed") == 0)
            f->kind = FEED_ATOM;
          else
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT,
                           "%s: not an RSS or Atom feed (root element <%s>)", f->path, local);
              return FALSE;
            }
          continue;
        }
      gboolean is_item = (f->kind == FEED_ATOM) ? strcmp (local, "entry") == 0
                                                : strcmp (local, "item") == 0;
      /* The feed's own link / id scopes guids that are not URIs. */
      gboolean is_scope = f->scope == NULL
        && ((f->kind == FEED_ATOM && depth == 1 && strcmp (local, "id") == 0)
            || (f->kind != FEED_ATOM && depth == 2 && strcmp (local, "link") == 0));
      if (!is_item && !is_scope)
        continue;
      xmlNodePtr node = xmlTextReaderExpand (f->reader);
      if (node == NULL)
        goto fail;
      if (is_scope)
        {
          char *s = g_strstrip (node_text (node));
          if (*s)
            f->scope = s;
          else
            g_free (s);
          continue;
        }
      it->index = ++f->n_items;
      if (f->kind == FEED_ATOM)
        atom_entry (node, it);
      else
        rss_item (node, it);
      /* Skip the subtree (the reader frees it as it moves on); the node it
       * lands on is examined by the next call. */
      ret = xmlTextReaderNext (f->reader);
      if (ret < 0 || f->error)
        goto fail;
      if (ret == 0)
        f->at_end = TRUE;
      else
        f->positioned = TRUE;
      return TRUE;
    }
fail:
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INPUT, "%s",
               f->error ? f->error : "malformed feed (XML parse error)");
  if (f->error == NULL)
    g_prefix_error (error, "%s: ", f->path);
  return FALSE;
}
