/* Minimal test harness: numeric comparisons that report max abs / rel error,
 * and a closing "N passed, N failed" line that CTest logs show. */
#ifndef AVS_TEST_HARNESS_H
#define AVS_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "av/avs.h"

/* Element i passes when |got-want| <= atol + rtol*|want| (numpy.allclose). */
bool tst_close(const char *what, const float *got, const float *want, int64_t n, float atol, float rtol);
/* A boolean check with a message. */
bool tst_true(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the summary line and returns the process exit code. */
int tst_finish(void);

/* Reference files written by the tests/parity generators (safetensors). */
avs_st *tst_open(const char *path);
/* A heap copy of a stored tensor (is_param, requires_grad); aborts the test if missing. */
avs_tensor *tst_tensor(avs_st *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same as a model input: no gradient and not a parameter (ops treat it as
 * an activation, never as a cached weight). Free it with tst_input_free, as
 * avs_tensor_free leaves non-parameters to their arena. */
avs_tensor *tst_input(avs_st *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tst_input_free(avs_tensor **t);
bool tst_has(avs_st *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Compares got with the stored reference "<case>.<what>" (tst_close); a NULL got
 * (the op failed) counts as a failure. */
bool tst_close_ref(avs_st *st, const char *cs, const char *what, const float *got, float atol, float rtol);
/* The path of file `name` in the folder of `ref` (e.g. a model a generator
 * wrote beside its reference file) into buf; returns buf. */
char *tst_beside(char *buf, size_t size, const char *ref, const char *name);
/* Integer / float / string metadata, aborting if missing. */
long tst_meta_int(avs_st *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double tst_meta_float(avs_st *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *tst_meta_str(avs_st *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
