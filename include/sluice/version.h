/* sluice — version and ABI numbers of the public plugin contract.
 *
 * SLUICE_ABI_MAJOR changes when a change to any public struct, enum value or
 * function signature would break a plugin built against the previous headers;
 * the core refuses plugins whose major differs from its own.
 * SLUICE_ABI_MINOR changes when something is only added (a new function, a
 * new field at the end of a struct guarded by struct_size, a new flag); the
 * core refuses plugins whose minor is newer than its own, since they may call
 * functions this core does not have.  See docs/PLUGINS.md for the policy.
 */
#ifndef SLUICE_VERSION_H
#define SLUICE_VERSION_H

#include <glib.h>

G_BEGIN_DECLS

#define SLUICE_VERSION_MAJOR 0
#define SLUICE_VERSION_MINOR 1
#define SLUICE_VERSION_MICRO 0
#define SLUICE_VERSION_STRING "0.1.0"

#define SLUICE_ABI_MAJOR 1
#define SLUICE_ABI_MINOR 1

/* The version of the libsluice actually loaded (not the headers'). */
const char *sluice_version (void);
guint sluice_abi_major (void);
guint sluice_abi_minor (void);

G_END_DECLS

#endif /* SLUICE_VERSION_H */
