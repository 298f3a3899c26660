/* ABI guard of the public plugin contract (issue 8.5).
 *
 * Compile-time assertions on the size and every field offset of the public
 * structs and on the value of every public enum constant and flag: a
 * change that would break plugins built against earlier headers fails the
 * build here, and must come with a SLUICE_ABI_MAJOR bump (see
 * docs/PLUGINS.md, "ABI versioning policy") and new numbers below.
 * The runtime part checks what SLUICE_STAGE_DEFINE stamps into a
 * descriptor and that the library's ABI numbers are the headers'. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sluice/sluice.h>
#include <string.h>

#define OFF(type, field, lp64, ilp32) \
  G_STATIC_ASSERT (offsetof (type, field) == (GLIB_SIZEOF_VOID_P == 8 ? (lp64) : (ilp32)))
#define SIZE(type, lp64, ilp32) \
  G_STATIC_ASSERT (sizeof (type) == (GLIB_SIZEOF_VOID_P == 8 ? (lp64) : (ilp32)))

/* SluiceStageDescriptor */
OFF (SluiceStageDescriptor, abi_major, 0, 0);
OFF (SluiceStageDescriptor, abi_minor, 4, 4);
OFF (SluiceStageDescriptor, struct_size, 8, 8);
OFF (SluiceStageDescriptor, flags, 12, 12);
OFF (SluiceStageDescriptor, name, 16, 16);
OFF (SluiceStageDescriptor, version, 24, 20);
OFF (SluiceStageDescriptor, license, 32, 24);
OFF (SluiceStageDescriptor, summary, 40, 28);
OFF (SluiceStageDescriptor, options, 48, 32);
OFF (SluiceStageDescriptor, produces, 56, 36);
OFF (SluiceStageDescriptor, produces_meta, 64, 40);
OFF (SluiceStageDescriptor, consumes, 72, 44);
OFF (SluiceStageDescriptor, create, 80, 48);
OFF (SluiceStageDescriptor, process, 88, 52);
OFF (SluiceStageDescriptor, destroy, 96, 56);
OFF (SluiceStageDescriptor, reserved, 104, 60);
G_STATIC_ASSERT (G_N_ELEMENTS (((SluiceStageDescriptor *) 0)->reserved) == 6);
SIZE (SluiceStageDescriptor, 152, 84);
G_STATIC_ASSERT (sizeof (guint32) == 4);

/* SluiceOptionSpec */
OFF (SluiceOptionSpec, name, 0, 0);
OFF (SluiceOptionSpec, type, 8, 4);
OFF (SluiceOptionSpec, default_value, 16, 8);
OFF (SluiceOptionSpec, required, 24, 12);
OFF (SluiceOptionSpec, min, 32, 16);
OFF (SluiceOptionSpec, max, 40, 24);
OFF (SluiceOptionSpec, choices, 48, 32);
OFF (SluiceOptionSpec, description, 56, 36);
SIZE (SluiceOptionSpec, 64, 40);
G_STATIC_ASSERT (sizeof (SluiceOptionType) == 4);
G_STATIC_ASSERT (sizeof (SluiceStatus) == 4);

/* Enums and flags */
G_STATIC_ASSERT (SLUICE_OK == 0 && SLUICE_DOC_ERROR == 1 && SLUICE_FATAL == 2);
G_STATIC_ASSERT (SLUICE_OPTION_STRING == 0 && SLUICE_OPTION_INT == 1 && SLUICE_OPTION_DOUBLE == 2
                 && SLUICE_OPTION_BOOL == 3 && SLUICE_OPTION_STRING_LIST == 4);
G_STATIC_ASSERT (SLUICE_VALUE_NONE == 0 && SLUICE_VALUE_NULL == 1 && SLUICE_VALUE_STRING == 2
                 && SLUICE_VALUE_INT == 3 && SLUICE_VALUE_DOUBLE == 4 && SLUICE_VALUE_BOOL == 5
                 && SLUICE_VALUE_STRING_LIST == 6 && SLUICE_VALUE_JSON == 7);
G_STATIC_ASSERT (SLUICE_ERROR_FAILED == 0 && SLUICE_ERROR_CONFIG == 1 && SLUICE_ERROR_PLUGIN == 2
                 && SLUICE_ERROR_INPUT == 3 && SLUICE_ERROR_DATA == 4 && SLUICE_ERROR_IO == 5);
G_STATIC_ASSERT (SLUICE_STAGE_REWRITES_TEXT == 1u);

/* The ABI numbers these assertions were written for: a bump of the major
 * must come with a review of every line above. */
G_STATIC_ASSERT (SLUICE_ABI_MAJOR == 1);

/* ----------------------------------------------------------- runtime */

static SluiceStatus
abi_process (gpointer instance, SluiceDocument *doc, GError **error)
{
  return SLUICE_OK;
}

SLUICE_STAGE_DEFINE (.name = "abi_probe", .version = "1", .license = "MIT",
                     .summary = "ABI test", .process = abi_process)

static void
test_define_stamps_descriptor (void **state)
{
  const SluiceStageDescriptor *d = sluice_stage_descriptor ();
  assert_int_equal (d->abi_major, SLUICE_ABI_MAJOR);
  assert_int_equal (d->abi_minor, SLUICE_ABI_MINOR);
  assert_int_equal (d->struct_size, sizeof (SluiceStageDescriptor));
  assert_string_equal (d->name, "abi_probe");
  for (guint i = 0; i < G_N_ELEMENTS (d->reserved); i++)
    assert_null (d->reserved[i]);
  assert_string_equal (SLUICE_STAGE_SYMBOL, "sluice_stage_descriptor");
}

static void
test_library_matches_headers (void **state)
{
  assert_int_equal (sluice_abi_major (), SLUICE_ABI_MAJOR);
  assert_int_equal (sluice_abi_minor (), SLUICE_ABI_MINOR);
  assert_string_equal (sluice_version (), SLUICE_VERSION_STRING);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_define_stamps_descriptor),
    cmocka_unit_test (test_library_matches_headers),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
