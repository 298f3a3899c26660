/* sluice — version of the library actually loaded (not inline on purpose). */
#include "internal.h"
#include "sluice-config.h"

const char *
sluice_version (void)
{
  return SLUICE_VERSION;
}

guint
sluice_abi_major (void)
{
  return SLUICE_ABI_MAJOR;
}

guint
sluice_abi_minor (void)
{
  return SLUICE_ABI_MINOR;
}
