/* entities — stage descriptor and options. */
#include <sluice/sluice.h>

#include "entities.h"

static const SluiceOptionSpec options[] = {
  { "gazetteers", SLUICE_OPTION_STRING_LIST, "", FALSE, 0, 0, NULL,
    "Extra gazetteer files (TYPE<TAB>ID<TAB>CANONICAL<TAB>ALIAS|...), loaded at start-up; "
    "their names win over the bundled ones" },
  { "rules", SLUICE_OPTION_STRING_LIST, "", FALSE, 0, 0, NULL,
    "Extra rules files (class: phrase | phrase), read before the bundled rules.txt" },
  { "bundled", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Use the bundled gazetteers (countries, regions, cities, organisations, names)" },
  { "types", SLUICE_OPTION_STRING_LIST, "PERSON,LOCATION,ORGANIZATION,DATE,MISC", FALSE, 0, 0,
    "PERSON|LOCATION|ORGANIZATION|DATE|MISC", "Annotation types to output" },
  { "guess_persons", SLUICE_OPTION_BOOL, "true", FALSE, 0, 0, NULL,
    "Tag a run of two or more unknown capitalised words as PERSON" },
  { NULL }
};

static const char *const produces[] = { "PERSON", "LOCATION", "ORGANIZATION", "DATE", "MISC", NULL };

static gpointer
ent_create (const SluiceOptions *opts, GError **error)
{
  return entities_new (opts, error);
}

static SluiceStatus
ent_process (gpointer instance, SluiceDocument *doc, G_GNUC_UNUSED GError **error)
{
  return entities_process_text (instance, doc);
}

static void
ent_destroy (gpointer instance)
{
  entities_free (instance);
}

SLUICE_STAGE_DEFINE (
  .name = "entities", .version = "0.1.0", .license = "MIT",
  .summary = "People, places, organisations, dates and MISC names from gazetteers and rules",
  .options = options, .produces = produces,
  .create = ent_create, .process = ent_process, .destroy = ent_destroy)
