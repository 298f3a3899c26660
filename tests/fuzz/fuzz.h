/* sluice — shared helpers of the fuzz targets (tests/fuzz/).
 *
 * Every target defines LLVMFuzzerTestOneInput().  Built normally, it is linked
 * with replay.c, whose main() feeds it every file of its seed corpus
 * (tests/fuzz/corpus/<target>/) so that each ordinary `meson test` run replays
 * them (suite 'fuzz').  Built by run-fuzzer.sh with clang and
 * -fsanitize=fuzzer, libFuzzer provides main() instead.
 *
 * A broken invariant aborts (a crash for libFuzzer, a failed test for the
 * replay) after printing what broke. */
#ifndef SLUICE_FUZZ_H
#define SLUICE_FUZZ_H

#include "internal.h"
#include <stdint.h>
#include <stddef.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Called by every target on each input (cheap after the first call): routes
 * GLib criticals and warnings to abort() so that a stage adding an invalid
 * annotation, or a g_return_if_fail() in the core, counts as a finding. */
void fuzz_init (void);

/* While > 0, criticals are expected (a target provoking a documented
 * programming-error path) and are counted instead of aborting. */
extern int fuzz_expect_critical;
extern int fuzz_n_criticals;

/* Called by fuzz_fail() before it aborts (a target's temporary files). */
extern void (*fuzz_on_fail) (void);

G_GNUC_NORETURN G_GNUC_PRINTF (3, 4)
void fuzz_fail (const char *file, int line, const char *format, ...);

#define FUZZ_ASSERT(cond, ...)                                               \
  do {                                                                       \
    if (G_UNLIKELY (!(cond)))                                                \
      fuzz_fail (__FILE__, __LINE__, "assertion failed: " #cond ": " __VA_ARGS__); \
  } while (0)

/* The invariants of a document that every stage and the core must keep:
 * text valid UTF-8 without NUL, NUL-terminated at len; every annotation in
 * range, start <= end, both on character boundaries; views valid UTF-8.  Then
 * the JSON round trip: sluice_json_write_document() must produce one line
 * that json-glib parses, with the same id and text, every annotation's
 * start/end in code points, its "text" equal to that code-point slice of the
 * text, annotations sorted by (start, -end). */
void fuzz_check_document (const SluiceDocument *doc);

/* Only the structural invariants (no JSON). */
void fuzz_check_invariants (const SluiceDocument *doc);

/* A small deterministic byte reader over the fuzz input. */
typedef struct {
  const uint8_t *p;
  size_t n;
} FuzzInput;

guint8 fuzz_byte (FuzzInput *in);          /* 0 when exhausted */
guint32 fuzz_u32 (FuzzInput *in);
/* Up to `max` bytes (fewer when exhausted); *len receives the count. */
const uint8_t *fuzz_bytes (FuzzInput *in, size_t max, size_t *len);

/* Builds a document from arbitrary bytes the way the reader does (invalid
 * UTF-8 and NUL replaced with U+FFFD and counted in meta.warnings), then adds
 * annotations for the bracket markup in the text: each balanced "[...]" pair
 * covers the text between the brackets (types cycle PERSON, LOCATION,
 * ORGANIZATION, MISC, with attrs.fuzz_id), each '|' adds an empty MARK.  This
 * gives rewriting stages earlier annotations to project, and translit's
 * `entities` mode something to read. */
SluiceDocument *fuzz_document_from_bytes (const uint8_t *data, size_t size, gboolean markup);

G_END_DECLS

#endif /* SLUICE_FUZZ_H */
