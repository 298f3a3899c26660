/* Unit tests: the bounded shared value table of attrs, before and after it
 * fills.  A process of its own: the table is global and fills only once.
 * Once full, the table is read without its lock; what it answers then must
 * be what it answered while it was filling (under the lock). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "internal.h"

/* The table's capacity, and some values beyond it. */
#define TABLE_MAX SLUICE_SHARED_VALUES_MAX
#define N_VALUES (TABLE_MAX + 3000)

static const char *first_seen[N_VALUES];   /* the stored pointer, or NULL if copied */

static void
value_text (char *buf, guint i)
{
  g_snprintf (buf, 32, "value-%06u", i);
}

/* Sets value i from a buffer of its own (no pointer cache hit), returns the
 * stored pointer when the value came from the table, else NULL. */
static const char *
set_and_check (SluiceAttrs *a, guint i, gboolean with_len)
{
  char *buf = g_malloc (32);
  value_text (buf, i);
  if (with_len)
    sluice_attrs_set_string_len (a, "k", buf, strlen (buf));
  else
    sluice_attrs_set_string (a, "k", buf);
  const SluiceAttr *at = sluice_attrs_lookup (a, "k");
  assert_non_null (at);
  assert_int_equal (at->type, SLUICE_VALUE_STRING);
  assert_string_equal (at->v.s, buf);
  assert_true (at->v.s != buf);
  const char *r = at->value_shared ? at->v.s : NULL;
  if (r)
    assert_int_equal (sluice_shared_header (r)->len, strlen (buf));
  g_free (buf);
  return r;
}

typedef struct {
  guint start;
  gboolean with_len;
  guint mismatches;
} Pass;

/* Every value again, in an order starting at p->start: each must come back
 * as the same table string, or as a copy when it was copied the first time. */
static gpointer
second_pass (gpointer data)
{
  Pass *p = data;
  SluiceAttrs a;
  sluice_attrs_init (&a);
  for (guint n = 0; n < N_VALUES; n++)
    {
      guint i = (p->start + n * 7919u) % N_VALUES;
      if (set_and_check (&a, i, p->with_len) != first_seen[i])
        p->mismatches++;
      /* One byte changed: never a table string of another value. */
      char buf[32];
      value_text (buf, i);
      buf[strlen (buf) - 1] = 'x';
      sluice_attrs_set_string (&a, "k", buf);
      const SluiceAttr *at = sluice_attrs_lookup (&a, "k");
      if (strcmp (at->v.s, buf) != 0)
        p->mismatches++;
    }
  sluice_attrs_clear (&a);
  return NULL;
}

static void
test_shared_values_before_and_after_full (void **state)
{
  (void) state;
  SluiceAttrs a;
  sluice_attrs_init (&a);
  guint shared = 0;
  for (guint i = 0; i < N_VALUES; i++)
    {
      first_seen[i] = set_and_check (&a, i, FALSE);
      shared += first_seen[i] != NULL;
    }
  /* The table filled (the one-byte-changed values of the second pass are
   * new, and must all be copies from now on). */
  assert_true (shared <= TABLE_MAX);
  assert_true (shared >= TABLE_MAX - 64);
  assert_non_null (first_seen[0]);
  assert_null (first_seen[N_VALUES - 1]);
  sluice_attrs_clear (&a);

  /* Static strings new to the full table are copies, and still right;
   * one the table holds is its string. */
  static char fresh[4][16] = { "fresh-0", "fresh-1", "fresh-2", "fresh-3" };
  for (guint r = 0; r < 2; r++)
    for (guint i = 0; i < 4; i++)
      {
        sluice_attrs_set_static_string (&a, "k", fresh[i]);
        const SluiceAttr *at = sluice_attrs_lookup (&a, "k");
        assert_string_equal (at->v.s, fresh[i]);
        assert_false (at->value_shared);
      }
  char known[32];
  value_text (known, 0);
  sluice_attrs_set_static_string (&a, "k", known);
  assert_ptr_equal (sluice_attrs_lookup (&a, "k")->v.s, first_seen[0]);
  sluice_attrs_clear (&a);

  /* Two threads at once, each with empty caches, and this thread again. */
  Pass p[3] = { { 0, FALSE, 0 }, { 12345, TRUE, 0 }, { 777, FALSE, 0 } };
  GThread *t0 = g_thread_new ("pass0", second_pass, &p[0]);
  GThread *t1 = g_thread_new ("pass1", second_pass, &p[1]);
  second_pass (&p[2]);
  g_thread_join (t0);
  g_thread_join (t1);
  for (guint k = 0; k < 3; k++)
    assert_int_equal (p[k].mismatches, 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_shared_values_before_and_after_full),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
