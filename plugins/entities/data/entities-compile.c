/* entities-compile — compiles gazetteer text files into the binary image the
 * entities stage mmaps at start-up (format: ../gazetteer.h).
 *
 *   entities-compile OUTPUT.bin INPUT.tsv [INPUT.tsv ...]
 *
 * Earlier files win when two define the same name.  Errors are FILE:LINE. */
#include "gazetteer.h"

#include <stdio.h>

int
main (int argc, char **argv)
{
  if (argc < 3) {
    fprintf (stderr, "usage: %s OUTPUT.bin INPUT.tsv...\n", argv[0]);
    return 2;
  }
  GzBuilder *b = gz_builder_new ();
  for (int i = 2; i < argc; i++) {
    char *contents = NULL;
    gsize len = 0;
    GError *error = NULL;
    if (!g_file_get_contents (argv[i], &contents, &len, &error) ||
        !gz_builder_add_text (b, argv[i], contents, len, &error)) {
      fprintf (stderr, "entities-compile: %s\n", error->message);
      g_error_free (error);
      g_free (contents);
      gz_builder_free (b);
      return 1;
    }
    g_free (contents);
  }
  guint n_ent = gz_builder_get_n_entities (b);
  GBytes *img = gz_builder_finish (b);
  gsize size;
  const guint8 *data = g_bytes_get_data (img, &size);
  GError *error = NULL;
  GzTable t;
  if (!gz_table_init (&t, data, size, argv[1], &error) ||
      !g_file_set_contents (argv[1], (const char *) data, size, &error)) {
    fprintf (stderr, "entities-compile: %s\n", error->message);
    g_error_free (error);
    g_bytes_unref (img);
    gz_builder_free (b);
    return 1;
  }
  fprintf (stderr, "entities-compile: %s: %u entities, %u keys, %zu bytes\n", argv[1], n_ent,
           t.hdr->n_keys, (size_t) size);
  g_bytes_unref (img);
  gz_builder_free (b);
  return 0;
}
