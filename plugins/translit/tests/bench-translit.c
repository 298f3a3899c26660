/* bench-translit: throughput of one translit instance on one core.
 *   bench-translit FILE [scheme lang mode [runs]]
 * Reads FILE as one document, runs process() `runs` times (default 5) on a
 * fresh copy and prints the median MB/s of process() alone.  Not a test:
 * no timing assertions anywhere (HACKING.md). */
#include <sluice/sluice.h>
#include <stdio.h>
#include <stdlib.h>

const SluiceStageDescriptor *sluice_stage_descriptor (void);

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s FILE [scheme lang mode [runs]]\n", argv[0]);
      return 2;
    }
  const char *opts[] = { "scheme", argc > 2 ? argv[2] : "bgn-pcgn", "lang", argc > 3 ? argv[3] : "ru",
                         "mode", argc > 4 ? argv[4] : "replace", NULL };
  int runs = argc > 5 ? atoi (argv[5]) : 5;
  if (runs < 1 || runs > 100)
    runs = 5;
  char *text = NULL;
  gsize len = 0;
  GError *error = NULL;
  if (!g_file_get_contents (argv[1], &text, &len, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  SluiceHarness *h = sluice_harness_new (sluice_stage_descriptor (), TRANSLIT_DATA_DIR, opts, &error);
  if (!h)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  double *mbs = g_new (double, runs);
  for (int i = 0; i < runs; i++)
    {
      SluiceDocument *doc = sluice_document_new ("bench", text, (gssize) len);
      gint64 t0 = g_get_monotonic_time ();
      if (sluice_harness_process (h, doc, &error) != SLUICE_OK)
        {
          fprintf (stderr, "%s\n", error ? error->message : "process failed");
          return 1;
        }
      gint64 t1 = g_get_monotonic_time ();
      mbs[i] = (double) len / (double) MAX (t1 - t0, 1);
      sluice_document_free (doc);
    }
  qsort (mbs, runs, sizeof (double), cmp_double);
  printf ("%s: %.1f MB in one document, %s/%s/%s, median of %d: %.1f MB/s\n", argv[1],
          len / 1e6, opts[1], opts[3], opts[5], runs, mbs[runs / 2]);
  g_free (mbs);
  g_free (text);
  sluice_harness_free (h);
  return 0;
}
