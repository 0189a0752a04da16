#include "tests/harness.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_pass, n_fail;

bool tst_close(const char *what, const float *got, const float *want, int64_t n, float atol, float rtol) {
  double max_abs = 0, max_rel = 0;
  int64_t bad = 0, first_bad = -1;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)got[i] - want[i]);
    double rel = d / (fabs(want[i]) > 1e-12 ? fabs(want[i]) : 1e-12);
    if (isnan(got[i]) != isnan(want[i]) || d > atol + rtol * fabs(want[i])) {
      if (first_bad < 0) first_bad = i;
      bad++;
    }
    if (d > max_abs) max_abs = d;
    if (rel > max_rel && fabs(want[i]) > atol) max_rel = rel;
  }
  bool ok = bad == 0;
  printf("%s %-40s n=%-8lld max_abs=%.3g max_rel=%.3g (atol %.1g rtol %.1g)", ok ? "ok  " : "FAIL", what,
         (long long)n, max_abs, max_rel, atol, rtol);
  if (!ok)
    printf(" %lld bad, first [%lld] got %.8g want %.8g", (long long)bad, (long long)first_bad,
           got[first_bad], want[first_bad]);
  printf("\n");
  ok ? n_pass++ : n_fail++;
  return ok;
}

bool tst_true(bool cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s ", cond ? "ok  " : "FAIL");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  cond ? n_pass++ : n_fail++;
  return cond;
}

int tst_finish(void) {
  printf("%d passed, %d failed\n", n_pass, n_fail);
  return n_fail ? 1 : 0;
}

avs_st *tst_open(const char *path) {
  avs_st *st = NULL;
  if (avs_st_open(path, &st)) {
    printf("FAIL cannot open reference %s: %s\n", path, avs_errmsg());
    exit(1);
  }
  return st;
}

#define FORMAT_NAME(buf, fmt)                                                                      \
  char buf[256];                                                                                   \
  do {                                                                                             \
    va_list ap;                                                                                    \
    va_start(ap, fmt);                                                                             \
    vsnprintf(buf, sizeof buf, fmt, ap);                                                           \
    va_end(ap);                                                                                    \
  } while (0)

avs_tensor *tst_tensor(avs_st *st, const char *fmt, ...) {
  FORMAT_NAME(name, fmt);
  int ndim;
  int64_t shape[AVS_MAX_DIMS];
  const float *data;
  if (avs_st_get(st, name, &ndim, shape, &data)) {
    printf("FAIL reference tensor %s: %s\n", name, avs_errmsg());
    exit(1);
  }
  avs_tensor *t = avs_tensor_new(ndim, shape);
  AVS_ASSERT(t);
  memcpy(t->data, data, sizeof(float) * t->numel);
  return t;
}

avs_tensor *tst_input(avs_st *st, const char *fmt, ...) {
  FORMAT_NAME(name, fmt);
  avs_tensor *t = tst_tensor(st, "%s", name);
  t->requires_grad = t->is_param = false;
  return t;
}

void tst_input_free(avs_tensor **t) {
  if (!t || !*t) return;
  (*t)->is_param = true; /* heap-owned after all: avs_tensor_free releases it */
  avs_tensor_free(t);
}

bool tst_has(avs_st *st, const char *fmt, ...) {
  FORMAT_NAME(name, fmt);
  for (int i = 0; i < avs_st_count(st); i++)
    if (!strcmp(avs_st_name(st, i), name)) return true;
  return false;
}

static const char *meta_or_die(avs_st *st, const char *key) {
  const char *v = avs_st_meta(st, key);
  if (!v) {
    printf("FAIL reference metadata %s missing\n", key);
    exit(1);
  }
  return v;
}

long tst_meta_int(avs_st *st, const char *fmt, ...) {
  FORMAT_NAME(key, fmt);
  return strtol(meta_or_die(st, key), NULL, 10);
}

double tst_meta_float(avs_st *st, const char *fmt, ...) {
  FORMAT_NAME(key, fmt);
  return strtod(meta_or_die(st, key), NULL);
}

const char *tst_meta_str(avs_st *st, const char *fmt, ...) {
  FORMAT_NAME(key, fmt);
  return meta_or_die(st, key);
}

bool tst_close_ref(avs_st *st, const char *cs, const char *what, const float *got, float atol, float rtol) {
  avs_tensor *ref = tst_tensor(st, "%s.%s", cs, what);
  char label[96];
  snprintf(label, sizeof label, "%s %s", cs, what);
  bool ok = tst_true(got != NULL, "%s computed (%s)", label, got ? "ok" : avs_errmsg()) &&
            tst_close(label, got, ref->data, ref->numel, atol, rtol);
  avs_tensor_free(&ref);
  return ok;
}

char *tst_beside(char *buf, size_t size, const char *ref, const char *name) {
  const char *slash = strrchr(ref, '/');
  snprintf(buf, size, "%.*s%s", slash ? (int)(slash - ref + 1) : 0, ref, name);
  return buf;
}
