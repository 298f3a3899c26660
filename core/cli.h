/* sluice — subcommands of the `sluice` command. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include "core.h"

int sluice_cmd_run (int argc, char **argv);
int sluice_cmd_check (int argc, char **argv);
int sluice_cmd_plugins (int argc, char **argv);
int sluice_cmd_batch (int argc, char **argv);
/* Prints "sluice: error: " + message on stderr. */
void sluice_cli_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
/* Parses options; on error prints it and returns FALSE. */
gboolean sluice_cli_parse (GOptionContext *ctx, int *argc, char ***argv);

#endif
