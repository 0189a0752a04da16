/* Shared helpers of the benchmarks (bench/bench_*.c): options, timing,
 * the PyTorch reference run through bench/torch_ref.py, and the report line
 *   "<name>: avs X ms, torch Y ms, ratio X/Y (goal <= G)".
 * These are benchmarks, not tests: nothing here fails on a slow result. */
#ifndef AVS_BENCH_COMMON_H
#define AVS_BENCH_COMMON_H

#include <stdbool.h>

typedef struct {
  int threads;    /* --threads N (default 2): both the C side and torch */
  int reps;       /* --reps N: timed runs, the median is reported */
  int warmup;     /* --warmup N: untimed runs first */
  bool torch;     /* false with --no-torch */
  bool verbose;   /* -v: per-layer / per-shape detail where a bench has it */
} bench_opts;

/* Call first in main(): picks OpenBLAS's kernel for the torch reference,
 * parses the common options into o (defaults preset by the caller), sets the
 * thread count. Exits 0 after -h, 2 on a bad option. `extra_usage` lists the
 * bench's own options (or NULL); `extra` is called for an unknown option and
 * returns how many argv entries it used (0 = unknown). */
typedef int (*bench_extra_fn)(int argc, char **argv, int i);
void bench_init(int argc, char **argv, bench_opts *o, const char *what, const char *extra_usage,
                bench_extra_fn extra);

/* Prints the set-up: threads, load average, the OpenBLAS kernel of this
 * process and the one torch gets. */
void bench_print_env(const char *what);

double bench_now_ms(void);
double bench_median(double *v, int n);
/* Median milliseconds of fn(arg) over o->reps runs after o->warmup runs.
 * fn returns 0, or nonzero on failure (then this returns a negative value). */
double bench_time(const bench_opts *o, int (*fn)(void *arg), void *arg);

/* The reference: runs `AVS_PYTHON torch_ref.py <args> --threads N --reps R
 * --warmup W` and keeps its "key ms" lines. Returns the number of lines read,
 * or -1 (message on stderr) when torch could not be run. */
typedef struct {
  char key[48];
  double ms;
} bench_kv;
int bench_torch(const bench_opts *o, const char *args, bench_kv *kv, int max);
/* Makes bench_torch run `script` from bench/ (e.g. "torch_loc.py") instead of
 * torch_ref.py, unless AVS_BENCH_TORCH_REF already names one. */
void bench_set_torch_script(const char *script);
/* ms for key, or a negative value when it is missing. */
double bench_kv_get(const bench_kv *kv, int n, const char *key);

/* "<name>: avs X ms, torch Y ms, ratio X/Y (goal <= G)"; torch_ms < 0 prints
 * "torch n/a"; goal <= 0 leaves the goal out. */
void bench_report(const char *name, double avs_ms, double torch_ms, double goal);
/* Issue 14's bf16 line: "<name> bf16: avs X ms, torch fp32 Y ms, speed-up Y/X
 * (goal >= 3) met|MISSED", plus "; goal <= G ms met|MISSED" when abs_goal_ms > 0. */
void bench_report_bf16(const char *name, double avs_ms, double torch_fp32_ms, double abs_goal_ms);
/* bench_time with ctx at bf16 precision (restored after). Where oneDNN has no
 * bf16 (no AVX-512) prints "<name> bf16: skipped, <why>" and returns
 * BENCH_SKIPPED; -1 when fn fails. */
#define BENCH_SKIPPED (-2.0)
struct avs_ctx;
double bench_time_bf16(const bench_opts *o, const char *name, struct avs_ctx *ctx, int (*fn)(void *arg), void *arg);

/* A test video made once with the ffmpeg CLI and kept: $AVS_BENCH_DIR (default
 * /tmp/avs-bench)/name, made by "ffmpeg -nostdin -v error -y FFMPEG_ARGS" into a
 * temporary name, then renamed. Exits 1 with a hint (--clip FILE) when it
 * cannot be made. The path is static storage. */
const char *bench_cached_video(const char *name, const char *ffmpeg_args);
bool bench_have_ffmpeg(void);

/* Aborts the bench with the library's error message (setup failures only). */
void bench_die(const char *what) __attribute__((__noreturn__));

#endif
