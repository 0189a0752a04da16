/* Model files written from Python load in C with the right values and metadata:
 * one written with numpy + json (tests/parity/st.py), and two converted from
 * torch.save files by tools/pth2st.py (see gen_safetensors_py.py). Values must
 * be bit-exact: nothing is computed, only stored. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/harness.h"

/* gen_safetensors_py.py's formula(t, shape). */
static float formula(int t, int64_t i) {
  return (float)((i * 37 + 11 * t) % 101 - 50) * ldexpf(1.0f, (int)(i % 9) - 4) / 8.0f;
}

static bool meta_is(avs_st *st, const char *key, const char *want) {
  const char *v = avs_st_meta(st, key);
  return tst_true(v && !strcmp(v, want), "metadata %s = \"%s\" (got \"%s\")", key, want, v ? v : "(none)");
}

static void test_numpy_file(avs_st *st) {
  static const int64_t shapes[][5] = {{7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 2, 2}, {1}, {4, 1, 1, 1}};
  static const int ndims[] = {1, 2, 3, 5, 1, 4};
  for (int t = 0; t < 6; t++) {
    char name[16], what[64], s1[64], s2[64];
    snprintf(name, sizeof name, "f%d", t);
    int ndim;
    int64_t shape[AVS_MAX_DIMS];
    const float *data;
    int rc = avs_st_get(st, name, &ndim, shape, &data);
    bool same = rc == 0 && ndim == ndims[t] && !memcmp(shape, shapes[t], sizeof(int64_t) * ndim);
    tst_true(same, "numpy '%s' shape %s (want %s)", name, rc ? avs_errmsg() : avs_shape_str(ndim, shape, s1, 64),
             avs_shape_str(ndims[t], shapes[t], s2, 64));
    if (!same) continue;
    int64_t n = avs_shape_numel(ndim, shape);
    float want[64];
    for (int64_t i = 0; i < n; i++) want[i] = formula(t, i);
    snprintf(what, sizeof what, "numpy '%s' values (row-major)", name);
    tst_close(what, data, want, n, 0, 0);
  }
  avs_tensor *sp = tst_tensor(st, "specials");
  const float *v = sp->data;
  tst_true(sp->numel == 10 && v[0] == 0 && !signbit(v[0]) && v[1] == 0 && signbit(v[1]) && v[2] == 1 && v[3] == -1 &&
               v[4] == ldexpf(1, -149) && v[5] == 3.40282347e38f && v[6] == ldexpf(1, -126) && isinf(v[7]) &&
               v[7] > 0 && isinf(v[8]) && v[8] < 0 && isnan(v[9]),
           "special values: +-0, +-1, smallest subnormal, max, smallest normal, +-inf, nan");
  avs_tensor_free(&sp);
  meta_is(st, "avs.arch", "py_raw");
  meta_is(st, "hop", "160");
  meta_is(st, "note", "ünïcode, \"quotes\" and \\ backslash");
  meta_is(st, "empty", "");
}

/* The model table a C implementation of gen_safetensors_py.py's Tiny declares. */
static void declare_tiny(avs_params *p) {
  avs_params_init(p, "py_tiny");
  AVS_ASSERT(avs_params_add(p, "scale64", 1, AVS_SHAPE(4)));
  AVS_ASSERT(avs_params_add(p, "scale16", 2, AVS_SHAPE(2, 3)));
  AVS_ASSERT(avs_params_add(p, "conv.weight", 4, AVS_SHAPE(8, 3, 3, 3)));
  AVS_ASSERT(avs_params_add(p, "conv.bias", 1, AVS_SHAPE(8)));
  AVS_ASSERT(avs_params_add(p, "bn.weight", 1, AVS_SHAPE(8)));
  AVS_ASSERT(avs_params_add(p, "bn.bias", 1, AVS_SHAPE(8)));
  AVS_ASSERT(avs_params_add(p, "bn.running_mean", 1, AVS_SHAPE(8)));
  AVS_ASSERT(avs_params_add(p, "bn.running_var", 1, AVS_SHAPE(8)));
  AVS_ASSERT(avs_params_add(p, "video.weight", 5, AVS_SHAPE(2, 8, 3, 1, 1)));
  AVS_ASSERT(avs_params_add(p, "fc.weight", 2, AVS_SHAPE(4, 8)));
  AVS_ASSERT(avs_params_add(p, "fc.bias", 1, AVS_SHAPE(4)));
}

static void test_converted(avs_st *ref, const char *path, const char *label, bool hyper) {
  avs_params p;
  declare_tiny(&p);
  int rc = avs_params_load(&p, path);
  if (tst_true(rc == 0, "%s: avs_params_load (%s)", label, rc ? avs_errmsg() : "ok")) {
    for (int i = 0; i < p.n; i++) {
      avs_tensor *want = tst_tensor(ref, "torch.%s", p.t[i]->name);
      char what[96];
      snprintf(what, sizeof what, "%s '%s'", label, p.t[i]->name);
      tst_close(what, p.t[i]->data, want->data, want->numel, 0, 0);
      avs_tensor_free(&want);
    }
  }
  avs_params_free(&p);
  avs_st *st = NULL;
  if (avs_st_open(path, &st)) return;
  int ndim;
  int64_t shape[AVS_MAX_DIMS];
  const float *data;
  tst_true(avs_st_get(st, "bn.num_batches_tracked", &ndim, shape, &data) == AVS_ENOTFOUND,
           "%s: num_batches_tracked left out", label);
  meta_is(st, "avs.arch", "py_tiny");
  tst_true(avs_st_meta(st, "avs.version") != NULL, "%s: avs.version present", label);
  if (hyper) {
    meta_is(st, "avs.source", "safetensors_py.torch.pth");
    meta_is(st, "classes", "4");
    meta_is(st, "sample_rate", "11025");
  }
  avs_st_close(&st);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  test_numpy_file(st);
  char base[1024], path[1100];
  snprintf(base, sizeof base, "%s", argv[1]);
  char *dot = strstr(base, ".safetensors");
  if (dot) *dot = 0;
  snprintf(path, sizeof path, "%s.torch.safetensors", base);
  test_converted(st, path, "pth2st state_dict", true);
  snprintf(path, sizeof path, "%s.dp.safetensors", base);
  test_converted(st, path, "pth2st DataParallel checkpoint", false);
  avs_st_close(&st);
  return tst_finish();
}
