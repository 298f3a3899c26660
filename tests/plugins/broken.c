/* Deliberately broken stages for the loader tests (tests/test_loader.c).
 * One source, compiled once per defect: BROKEN_KIND selects what is wrong.
 * The descriptors are written out by hand (not with SLUICE_STAGE_DEFINE) so
 * that each can carry exactly one defect. */
#include <sluice/sluice.h>

#define KIND_NOSYM 1          /* exports no sluice_stage_descriptor */
#define KIND_ABI_MAJOR 2      /* abi_major of a future core */
#define KIND_ABI_MINOR 3      /* abi_minor newer than the core's */
#define KIND_SMALL_STRUCT 4   /* struct_size smaller than the callbacks need */
#define KIND_NO_PROCESS 5     /* process == NULL */
#define KIND_MISNAMED 6       /* file sluice-misnamed.so, descriptor says otherwise */
#define KIND_CREATE_FAILS 7   /* create() fails with a GError */
#define KIND_GOOD 8           /* a correct stage */

#ifndef BROKEN_KIND
#error "define BROKEN_KIND"
#endif

static G_GNUC_UNUSED SluiceStatus
broken_process (gpointer instance, SluiceDocument *doc, GError **error)
{
  gsize len;
  sluice_document_get_text (doc, &len);
  if (len > 0)
    sluice_document_add_annotation (doc, "WHOLE", 0, len);
  return SLUICE_OK;
}

static G_GNUC_UNUSED gpointer
broken_create (const SluiceOptions *options, GError **error)
{
#if BROKEN_KIND == KIND_CREATE_FAILS
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_DATA,
               "%s/words.txt:3: the word list is malformed",
               sluice_options_get_data_dir (options));
  return NULL;
#else
  return g_strdup ("instance");
#endif
}

static G_GNUC_UNUSED void
broken_destroy (gpointer instance)
{
  g_free (instance);
}

#if BROKEN_KIND == KIND_NOSYM
G_MODULE_EXPORT int sluice_stage_descriptr (void);   /* misspelt on purpose */
G_MODULE_EXPORT int
sluice_stage_descriptr (void)
{
  return 0;
}
#else
G_MODULE_EXPORT const SluiceStageDescriptor *sluice_stage_descriptor (void);
G_MODULE_EXPORT const SluiceStageDescriptor *
sluice_stage_descriptor (void)
{
  static const SluiceStageDescriptor d = {
#if BROKEN_KIND == KIND_ABI_MAJOR
    .abi_major = SLUICE_ABI_MAJOR + 1,
#else
    .abi_major = SLUICE_ABI_MAJOR,
#endif
#if BROKEN_KIND == KIND_ABI_MINOR
    .abi_minor = SLUICE_ABI_MINOR + 1,
#else
    .abi_minor = SLUICE_ABI_MINOR,
#endif
#if BROKEN_KIND == KIND_SMALL_STRUCT
    .struct_size = 16,
#else
    .struct_size = sizeof (SluiceStageDescriptor),
#endif
    .name = BROKEN_NAME,
    .version = "0.0.1",
    .license = "MIT",
    .summary = "a deliberately broken test stage",
    .create = broken_create,
#if BROKEN_KIND != KIND_NO_PROCESS
    .process = broken_process,
#endif
    .destroy = broken_destroy,
  };
  return &d;
}
#endif
