/* Single-precision matrix products: avs_gemm (as routed by av/gemm.c),
 * OpenBLAS's cblas_sgemm and oneDNN's dnnl_sgemm, against torch.mm (which in
 * Debian's torch 1.13 is OpenBLAS too).
 *
 * Timed: one row-major C = op(A) op(B) call (alpha 1, beta 0) on preallocated
 * random operands, median of --reps samples; products under ~0.1 GFLOP are
 * repeated inside a sample and the time divided. Shapes: 2048^2 and 512^2
 * squares and the products the models run: linear 4096x4096 at batch 1..32
 * (forward, and batch 32's input and weight gradients), attention at L=196,
 * d=64 (q k^T, p v per head; E=512 in-projection), LSTM gates at B*T=256,
 * 4H=1024, I=512 (input gates, their weight gradient, the recurrent B=8
 * product). The OpenBLAS kernels in use (here and torch's) are printed first;
 * scripts/bench.sh runs this twice (OPENBLAS_CORETYPE as the user set it,
 * then SkylakeX on AVX-512 machines, for this process's cblas columns too). */
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "av/avs.h"
#include "bench_common.h"

typedef struct {
  const char *name;
  int m, n, k, ta, tb;
} shape;

static const shape SHAPES[] = {
    {"sq2048", 2048, 2048, 2048, 0, 0},  {"sq512", 512, 512, 512, 0, 0},
    {"lin_b1", 1, 4096, 4096, 0, 1},     {"lin_b4", 4, 4096, 4096, 0, 1},
    {"lin_b8", 8, 4096, 4096, 0, 1},     {"lin_b16", 16, 4096, 4096, 0, 1},
    {"lin_b32", 32, 4096, 4096, 0, 1},   {"lin_b32_dx", 32, 4096, 4096, 0, 0},
    {"lin_b32_dw", 4096, 4096, 32, 1, 0}, {"attn_qk", 196, 196, 64, 0, 1},
    {"attn_pv", 196, 64, 196, 0, 0},     {"attn_proj", 196, 1536, 512, 0, 1},
    {"lstm_x", 256, 1024, 512, 0, 1},    {"lstm_x_dw", 1024, 512, 256, 1, 0},
    {"lstm_h", 8, 1024, 256, 0, 1},
};
#define NSHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))

enum { B_AVS, B_BLAS, B_DNNL, B_MIX, NB };

typedef struct {
  const shape *s;
  int backend, inner;
  float *a, *b, *c;
} gemm_run;

static int run(void *arg) {
  gemm_run *r = arg;
  const shape *s = r->s;
  int lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n, ldc = s->n;
  for (int i = 0; i < r->inner; i++) {
    switch (r->backend) {
      case B_AVS:
        avs_gemm(s->ta, s->tb, s->m, s->n, s->k, 1.0f, r->a, lda, r->b, ldb, 0.0f, r->c, ldc);
        break;
      case B_BLAS:
        cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, s->m,
                    s->n, s->k, 1.0f, r->a, lda, r->b, ldb, 0.0f, r->c, ldc);
        break;
      case B_MIX: /* one OpenBLAS call then one oneDNN call, as a mixed routing would do */
        cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, s->m,
                    s->n, s->k, 1.0f, r->a, lda, r->b, ldb, 0.0f, r->c, ldc);
        /* fall through */
      default:
        if (dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, 1.0f, r->a, lda, r->b, ldb, 0.0f,
                       r->c, ldc) != dnnl_success)
          return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  bench_opts o = {.threads = 2, .reps = 7, .warmup = 2};
  bench_init(argc, argv, &o, "sgemm through avs_gemm, cblas_sgemm, dnnl_sgemm and torch.mm.", NULL, NULL);
  bench_print_env("bench_gemm: row-major sgemm, GFLOP/s (higher is better)");
  printf("%s\n", openblas_get_config());

  char args[2048] = "gemm";
  for (int i = 0; i < NSHAPES; i++) {
    const shape *s = &SHAPES[i];
    size_t len = strlen(args);
    snprintf(args + len, sizeof args - len, " %s:%d:%d:%d:%d:%d", s->name, s->m, s->n, s->k, s->ta, s->tb);
  }
  bench_kv kv[NSHAPES];
  int nkv = bench_torch(&o, args, kv, NSHAPES);

  printf("avs: avs_gemm as routed (route: its backend); mixed: a cblas_sgemm call then a dnnl_sgemm call,\n"
         "repeated (what routing neighbouring products to both costs); best: fastest of avs, blas, dnnl\n");
  printf("%-11s %5s %5s %5s %2s %8s %8s %8s %8s %8s  %-5s %-5s\n", "shape", "M", "N", "K", "T", "avs", "blas",
         "dnnl", "mixed", "torch", "route", "best");
  avs_rng rng;
  avs_rng_seed(&rng, 3);
  double ms_avs[NSHAPES], ms_torch[NSHAPES];
  for (int i = 0; i < NSHAPES; i++) {
    const shape *s = &SHAPES[i];
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    gemm_run r = {.s = s, .a = malloc(na * sizeof(float)), .b = malloc(nb * sizeof(float)),
                  .c = malloc(nc * sizeof(float))};
    if (!r.a || !r.b || !r.c) bench_die("operands");
    for (size_t j = 0; j < na; j++) r.a[j] = avs_rng_uniform(&rng) - 0.5f;
    for (size_t j = 0; j < nb; j++) r.b[j] = avs_rng_uniform(&rng) - 0.5f;
    double flops = 2.0 * s->m * s->n * s->k;
    r.inner = (int)(2e8 / flops);
    r.inner = r.inner < 1 ? 1 : r.inner > 1000 ? 1000 : r.inner;
    double gf[NB];
    for (int be = 0; be < NB; be++) {
      r.backend = be;
      /* OpenBLAS's worker threads keep spinning for a while after a call
       * (2^28 cycles by default) and slow whatever OpenMP work comes next:
       * let them go to sleep so each backend is timed on its own. */
      usleep(300000);
      double ms = bench_time(&o, run, &r);
      if (ms < 0) bench_die("gemm");
      ms /= r.inner;
      if (be == B_AVS) ms_avs[i] = ms;
      gf[be] = (be == B_MIX ? 2 : 1) * flops / ms * 1e-6;
    }
    ms_torch[i] = bench_kv_get(kv, nkv, s->name);
    char tbuf[16] = "n/a", trans[3] = {s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', 0};
    if (ms_torch[i] > 0) snprintf(tbuf, sizeof tbuf, "%.0f", flops / ms_torch[i] * 1e-6);
    printf("%-11s %5d %5d %5d %2s %8.0f %8.0f %8.0f %8.0f %8s  %-5s %-5s\n", s->name, s->m, s->n, s->k, trans,
           gf[B_AVS], gf[B_BLAS], gf[B_DNNL], gf[B_MIX], tbuf, avs_gemm_backend(s->m, s->n, s->k),
           gf[B_AVS] >= gf[B_BLAS] && gf[B_AVS] >= gf[B_DNNL] ? "avs" : gf[B_BLAS] > gf[B_DNNL] ? "blas" : "dnnl");
    fflush(stdout);
    free(r.a);
    free(r.b);
    free(r.c);
  }
  for (int i = 0; i < NSHAPES; i++) {
    char name[48];
    snprintf(name, sizeof name, "gemm_%s", SHAPES[i].name);
    bench_report(name, ms_avs[i], ms_torch[i], 0); /* no goal: the table is for routing */
  }
  return 0;
}
