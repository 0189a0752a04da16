#include "bench_common.h"

#include "av/ctx.h"
#include "av/ops/winograd.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "av/status.h"
#include "av/threads.h"

#ifndef AVS_BENCH_PYTHON
#define AVS_BENCH_PYTHON "/usr/bin/python3"
#endif
#ifndef AVS_BENCH_TORCH_REF
#define AVS_BENCH_TORCH_REF "bench/torch_ref.py"
#endif

static void usage(FILE *f, const char *prog, const char *what, const char *extra_usage) {
  fprintf(f,
          "usage: %s [options]\n%s\n"
          "  -t, --threads N   threads for AVS and for torch (default 2)\n"
          "  -r, --reps N      timed runs, the median is reported\n"
          "  -w, --warmup N    untimed runs before them\n"
          "      --no-torch    skip the PyTorch reference\n"
          "  -v, --verbose     more detail\n"
          "%s"
          "environment: AVS_PYTHON (interpreter with torch, default %s),\n"
          "  OPENBLAS_CORETYPE (torch's kernel; unset: SkylakeX on AVX-512 machines)\n",
          prog, what, extra_usage ? extra_usage : "", AVS_BENCH_PYTHON);
}

static int parse_int(const char *s, int lo, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > 100000) return -1;
  *out = (int)v;
  return 0;
}

/* OPENBLAS_CORETYPE as the user set it (NULL: unset). */
static const char *user_coretype;

/* torch's products run on OpenBLAS (ours on oneDNN). OpenBLAS 0.3.21 does not
 * know Zen 5 and would give torch its Haswell kernel, about half as fast as
 * SkylakeX there: the reference gets the faster one unless the user chose.
 * The torch child reads it when it loads OpenBLAS; this process keeps the
 * kernel it started with (bench_gemm's cblas columns). */
static void torch_blas_kernel(void) {
  user_coretype = getenv("OPENBLAS_CORETYPE");
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (!user_coretype && __builtin_cpu_supports("avx512f")) setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
#endif
}

void bench_init(int argc, char **argv, bench_opts *o, const char *what, const char *extra_usage,
                bench_extra_fn extra) {
  torch_blas_kernel();
  const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  if (o->threads <= 0) o->threads = 2;
  if (o->reps <= 0) o->reps = 7;
  if (o->warmup < 0) o->warmup = 2;
  o->torch = true;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int *dst = !strcmp(a, "-t") || !strcmp(a, "--threads") ? &o->threads
               : !strcmp(a, "-r") || !strcmp(a, "--reps")  ? &o->reps
               : !strcmp(a, "-w") || !strcmp(a, "--warmup") ? &o->warmup
                                                            : NULL;
    if (dst) {
      if (i + 1 >= argc || parse_int(argv[i + 1], dst == &o->warmup ? 0 : 1, dst)) {
        fprintf(stderr, "%s: %s needs a positive number\n", prog, a);
        usage(stderr, prog, what, extra_usage);
        exit(2);
      }
      i++;
    } else if (!strcmp(a, "--no-torch")) {
      o->torch = false;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      o->verbose = true;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout, prog, what, extra_usage);
      exit(0);
    } else {
      int used = extra ? extra(argc, argv, i) : 0;
      if (used <= 0) {
        fprintf(stderr, "%s: unknown option %s\n", prog, a);
        usage(stderr, prog, what, extra_usage);
        exit(2);
      }
      i += used - 1;
    }
  }
  avs_threads_set(o->threads);
}

void bench_print_env(const char *what) {
  double load[3] = {0, 0, 0};
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = load[1] = load[2] = 0;
    fclose(f);
  }
  const char *ct = getenv("OPENBLAS_CORETYPE");
  printf("== %s\n", what);
  __builtin_cpu_init();
  printf("CPU: %s, avx512_bf16 %s, amx %s; --precision auto picks %s here\n", __builtin_cpu_is("amd") ? "AMD" : "not AMD",
         __builtin_cpu_supports("avx512bf16") ? "yes" : "no", __builtin_cpu_supports("amx-bf16") ? "yes" : "no",
         avs_cpu_native_bf16() ? "bf16" : "fp32");
  printf("threads %d, load average %.2f %.2f %.2f; AVS products on oneDNN, OpenBLAS kernel %s here, "
         "torch's OPENBLAS_CORETYPE=%s (%s)\n",
         avs_threads_get(), load[0], load[1], load[2], openblas_get_corename(), ct ? ct : "unset",
         user_coretype ? "as set" : ct ? "set by the bench" : "OpenBLAS picks");
  printf("AVS 3 x 3 convolutions: %s\n", avs_wino_enabled() ? "Winograd where it pays (AVS_CONV=direct turns it off)"
                                                              : "oneDNN's direct kernels only (AVS_CONV=direct)");
  fflush(stdout);
}

double bench_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
  if (n <= 0) return -1;
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double bench_time(const bench_opts *o, int (*fn)(void *arg), void *arg) {
  for (int i = 0; i < o->warmup; i++)
    if (fn(arg)) return -1;
  double *t = malloc(sizeof *t * o->reps);
  if (!t) return -1;
  for (int i = 0; i < o->reps; i++) {
    double t0 = bench_now_ms();
    if (fn(arg)) {
      free(t);
      return -1;
    }
    t[i] = bench_now_ms() - t0;
  }
  double m = bench_median(t, o->reps);
  free(t);
  return m;
}

int bench_torch(const bench_opts *o, const char *args, bench_kv *kv, int max) {
  if (!o->torch) return -1;
  const char *py = getenv("AVS_PYTHON");
  if (!py || !*py) py = AVS_BENCH_PYTHON;
  const char *ref = getenv("AVS_BENCH_TORCH_REF");
  if (!ref || !*ref) ref = AVS_BENCH_TORCH_REF;
  size_t len = strlen(py) + strlen(ref) + strlen(args) + 128;
  char *cmd = malloc(len);
  if (!cmd) return -1;
  snprintf(cmd, len, "'%s' '%s' %s --threads %d --reps %d --warmup %d", py, ref, args, o->threads, o->reps,
           o->warmup);
  fflush(stdout);
  FILE *p = popen(cmd, "r");
  int n = 0;
  if (p) {
    char line[256];
    while (fgets(line, sizeof line, p)) {
      bench_kv e;
      if (n < max && sscanf(line, "%47s %lf", e.key, &e.ms) == 2) kv[n++] = e;
    }
    int rc = pclose(p);
    if (rc != 0) {
      fprintf(stderr, "bench: torch reference failed (exit status %d): %s\n",
              rc > 0 && WIFEXITED(rc) ? WEXITSTATUS(rc) : rc, cmd);
      n = n ? n : -1;
    }
  } else {
    fprintf(stderr, "bench: cannot run %s\n", cmd);
    n = -1;
  }
  free(cmd);
  return n;
}

double bench_kv_get(const bench_kv *kv, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (!strcmp(kv[i].key, key)) return kv[i].ms;
  return -1;
}

/* 3 significant digits at least, one decimal at most above 100 ms. */
static const char *fmt_ms(char *buf, size_t size, double ms) {
  snprintf(buf, size, ms >= 100 ? "%.1f" : ms >= 10 ? "%.2f" : ms >= 1 ? "%.3f" : "%.4f", ms);
  return buf;
}

void bench_report(const char *name, double avs_ms, double torch_ms, double goal) {
  char gbuf[48] = "", a[32], t[32];
  if (goal > 0) snprintf(gbuf, sizeof gbuf, " (goal <= %g)", goal);
  if (avs_ms < 0) {
    printf("%s: avs failed\n", name);
  } else if (torch_ms > 0) {
    double r = avs_ms / torch_ms;
    printf("%s: avs %s ms, torch %s ms, ratio %.2f%s%s\n", name, fmt_ms(a, sizeof a, avs_ms),
           fmt_ms(t, sizeof t, torch_ms), r, gbuf, goal > 0 ? (r <= goal ? " met" : " MISSED") : "");
  } else {
    printf("%s: avs %s ms, torch n/a%s\n", name, fmt_ms(a, sizeof a, avs_ms), gbuf);
  }
  fflush(stdout);
}

void bench_report_bf16(const char *name, double avs_ms, double torch_fp32_ms, double abs_goal_ms) {
  char a[32], t[32];
  if (avs_ms < 0) {
    printf("%s bf16: avs failed\n", name);
  } else if (torch_fp32_ms > 0) {
    double up = torch_fp32_ms / avs_ms;
    printf("%s bf16: avs %s ms, torch fp32 %s ms, speed-up %.2f (goal >= 3) %s", name, fmt_ms(a, sizeof a, avs_ms),
           fmt_ms(t, sizeof t, torch_fp32_ms), up, up >= 3 ? "met" : "MISSED");
  } else {
    printf("%s bf16: avs %s ms, torch n/a", name, fmt_ms(a, sizeof a, avs_ms));
  }
  if (avs_ms >= 0 && abs_goal_ms > 0)
    printf("; goal <= %g ms %s", abs_goal_ms, avs_ms <= abs_goal_ms ? "met" : "MISSED");
  if (avs_ms >= 0) printf("\n");
  fflush(stdout);
}

double bench_time_bf16(const bench_opts *o, const char *name, avs_ctx *ctx, int (*fn)(void *arg), void *arg) {
  avs_precision p, was = avs_ctx_precision(ctx);
  if (avs_precision_parse("bf16", &p)) {
    printf("%s bf16: skipped, %s\n", name, avs_errmsg());
    return BENCH_SKIPPED;
  }
  avs_ctx_set_precision(ctx, AVS_BF16);
  double ms = bench_time(o, fn, arg);
  avs_ctx_set_precision(ctx, was);
  return ms;
}

void bench_die(const char *what) {
  fprintf(stderr, "bench: %s: %s\n", what, avs_errmsg());
  exit(1);
}

bool bench_have_ffmpeg(void) { return system("ffmpeg -hide_banner -version >/dev/null 2>&1") == 0; }

const char *bench_cached_video(const char *name, const char *ffmpeg_args) {
  static char path[1024];
  const char *dir = getenv("AVS_BENCH_DIR");
  if (!dir) dir = "/tmp/avs-bench";
  mkdir(dir, 0755);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct stat sb;
  if (stat(path, &sb) == 0 && sb.st_size > 0) return path;
  if (!bench_have_ffmpeg()) {
    fprintf(stderr, "bench: no ffmpeg CLI to make the test video %s; pass --clip FILE\n", path);
    exit(1);
  }
  printf("making %s (once) ...\n", path);
  fflush(stdout);
  size_t n = strlen(ffmpeg_args) + 3 * sizeof path + 64;
  char *cmd = malloc(n);
  if (!cmd) exit(1);
  snprintf(cmd, n, "ffmpeg -nostdin -v error -y %s '%s.tmp.mp4' && mv '%s.tmp.mp4' '%s'", ffmpeg_args, path, path,
           path);
  int rc = system(cmd);
  free(cmd);
  if (rc != 0) {
    fprintf(stderr, "bench: could not make %s; pass --clip FILE\n", path);
    exit(1);
  }
  return path;
}

void bench_set_torch_script(const char *script) {
  if (getenv("AVS_BENCH_TORCH_REF")) return;
  /* the source folder, not __FILE__: with ccache's base dir that is relative */
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s", AVS_BENCH_SOURCE_DIR, script);
  setenv("AVS_BENCH_TORCH_REF", path, 1);
}
