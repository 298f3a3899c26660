/* sluice — the whole public API.  A plugin includes only this file. */
#ifndef SLUICE_H
#define SLUICE_H

#include <sluice/version.h>
#include <sluice/document.h>
#include <sluice/stage.h>
#include <sluice/harness.h>

#endif /* SLUICE_H */
