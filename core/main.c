/* sluice — the command: a thin layer over libsluice. */
#include "cli.h"
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void
sluice_cli_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "sluice: error: %s\n", msg);
}

gboolean
sluice_cli_parse (GOptionContext *ctx, int *argc, char ***argv)
{
  GError *e = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &e))
    {
      sluice_cli_error ("%s (try --help)", e->message);
      g_error_free (e);
      return FALSE;
    }
  return TRUE;
}

static const char usage[] =
  "Usage: sluice COMMAND [OPTION...]\n"
  "\n"
  "Streams documents through a pipeline of stages and writes annotated JSONL.\n"
  "\n"
  "Commands:\n"
  "  run       process files, directories or stdin through a pipeline\n"
  "  check     validate a pipeline file without running it\n"
  "  plugins   list the stages found on the plugin path, or describe one\n"
  "  batch     process an incoming folder unattended (for cron / systemd timers)\n"
  "\n"
  "Options:\n"
  "  -h, --help     show this help (COMMAND --help for a command's options)\n"
  "  --version      print the version\n"
  "\n"
  "Exit codes: 0 all documents processed; 1 some documents failed; 2 configuration,\n"
  "plugin or usage error before any document; 3 output I/O failure; 4 run aborted by\n"
  "a stage (fatal error or on_error = \"abort\"); 5 sluice batch: another run holds the lock;\n"
  "130 / 143 stopped by SIGINT / SIGTERM (every document read before was written).\n";

/* Whatever a command printed on stdout must have reached it. */
static int
finish (int rc)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      fprintf (stderr, "sluice: error: <stdout>: write failed: %s\n", g_strerror (errno));
      return rc == SLUICE_EXIT_OK ? SLUICE_EXIT_IO : rc;
    }
  return rc;
}

static void
on_stop_signal (int sig)
{
  if (sluice_stop_requested)
    {
      /* A second signal: the user insists. */
      signal (sig, SIG_DFL);
      raise (sig);
    }
  sluice_stop_requested = sig;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* A closed pipe must surface as a write error (exit 3), not kill us. */
  signal (SIGPIPE, SIG_IGN);
  /* SIGINT / SIGTERM: stop reading, write what was read, exit 128 + signal.
   * No SA_RESTART, so that a read() blocked on stdin returns. */
  struct sigaction sa = { 0 };
  sa.sa_handler = on_stop_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  g_set_prgname ("sluice");

  if (argc < 2)
    {
      fputs (usage, stderr);
      return SLUICE_EXIT_CONFIG;
    }
  const char *cmd = argv[1];
  if (strcmp (cmd, "--version") == 0 || strcmp (cmd, "-V") == 0)
    {
      printf ("sluice %s (plugin ABI %u.%u)\n", sluice_version (), sluice_abi_major (),
              sluice_abi_minor ());
      return finish (SLUICE_EXIT_OK);
    }
  if (strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0 || strcmp (cmd, "help") == 0)
    {
      fputs (usage, stdout);
      return finish (SLUICE_EXIT_OK);
    }
  if (strcmp (cmd, "run") == 0)
    return finish (sluice_cmd_run (argc - 1, argv + 1));
  if (strcmp (cmd, "check") == 0)
    return finish (sluice_cmd_check (argc - 1, argv + 1));
  if (strcmp (cmd, "plugins") == 0)
    return finish (sluice_cmd_plugins (argc - 1, argv + 1));
  if (strcmp (cmd, "batch") == 0)
    return sluice_cmd_batch (argc - 1, argv + 1);
  const char *cmds[] = { "run", "check", "plugins", "batch" };
  const char *sug = sluice_suggest (cmd, cmds, G_N_ELEMENTS (cmds));
  sluice_cli_error ("unknown command '%s'%s%s%s (see sluice --help)", cmd,
                    sug ? "; did you mean '" : "", sug ? sug : "", sug ? "'?" : "");
  return SLUICE_EXIT_CONFIG;
}
