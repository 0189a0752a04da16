/* Model files: safetensors round trips (raw writer/reader and avs_params) and
 * the load errors. Every failed load must give one line that names the file and
 * the problem, and must leave the model's tensors as they were. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av/files.h"
#include "tests/harness.h"

static char dir[64];

/* The error message after a failed call, "ok" after a successful one. */
#define ERR(rc) ((rc) ? avs_errmsg() : "ok")

static const char *tmp_path(const char *name) {
  static char buf[8][256];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 256, "%s/%s", dir, name);
  return p;
}

static void fill(avs_tensor *t, float base) {
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = base + 0.25f * (float)i - 0.001f * (float)(i * i % 97);
}

static bool write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(data, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}

static unsigned char *read_bytes(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  AVS_ASSERT(f);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(*n ? *n : 1);
  AVS_ASSERT(b && fread(b, 1, *n, f) == *n);
  fclose(f);
  return b;
}

/* A safetensors file from a literal JSON header and a data section, with the
 * header padded to 8 bytes as writers do. */
static void write_raw_n(const char *path, const char *json, size_t hlen, const void *data, size_t data_bytes) {
  size_t padded = (hlen + 7) & ~(size_t)7;
  size_t total = 8 + padded + data_bytes;
  unsigned char *b = malloc(total);
  AVS_ASSERT(b);
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(padded >> (8 * i));
  memcpy(b + 8, json, hlen);
  memset(b + 8 + hlen, ' ', padded - hlen);
  if (data_bytes) memcpy(b + 8 + padded, data, data_bytes);
  AVS_ASSERT(write_bytes(path, b, total));
  free(b);
}

static void write_raw(const char *path, const char *json, const void *data, size_t data_bytes) {
  write_raw_n(path, json, strlen(json), data, data_bytes);
}

/* ---- the raw writer and reader ---- */

static void test_round_trip(void) {
  const char *path = tmp_path("raw.safetensors");
  avs_tensor *a = avs_tensor_new(1, AVS_SHAPE(7));
  avs_tensor *b = avs_tensor_new(2, AVS_SHAPE(3, 5));
  avs_tensor *c = avs_tensor_new(5, AVS_SHAPE(2, 1, 3, 2, 2));
  avs_tensor *s = avs_tensor_new(0, AVS_SHAPE(1)); /* 0-d, as a learnable temperature */
  avs_tensor *e = avs_tensor_new(2, AVS_SHAPE(0, 4));
  fill(a, 1), fill(b, -3), fill(c, 0.5f), fill(s, 42);
  avs_st_writer *w = avs_st_writer_new();
  AVS_ASSERT(w);
  int rc = avs_st_writer_add(w, "a", a->ndim, a->shape, a->data);
  rc |= avs_st_writer_add(w, "layer.0.weight", b->ndim, b->shape, b->data);
  rc |= avs_st_writer_add(w, "video.conv3d.w", c->ndim, c->shape, c->data);
  rc |= avs_st_writer_add(w, "logit_scale", 0, s->shape, s->data);
  rc |= avs_st_writer_add(w, "empty", e->ndim, e->shape, e->data);
  rc |= avs_st_writer_meta(w, "avs.arch", "test");
  rc |= avs_st_writer_meta(w, "hop", "256");
  rc |= avs_st_writer_meta(w, "hop", "160"); /* replaces */
  rc |= avs_st_writer_meta(w, "note", "quotes \" and \\ and ünïcode");
  tst_true(rc == 0, "writer accepts tensors and metadata");
  rc = avs_st_writer_save(w, path);
  tst_true(rc == 0, "writer saves (%s)", ERR(rc));
  avs_st_writer_free(&w);
  tst_true(w == NULL, "writer_free sets the pointer to NULL");

  /* The file itself: 8-byte length, '{', data 8-byte aligned, no temporary left. */
  size_t n;
  unsigned char *raw = read_bytes(path, &n);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | raw[i];
  int64_t data_bytes = 4 * (a->numel + b->numel + c->numel + s->numel);
  tst_true(raw[8] == '{' && hlen % 8 == 0 && 8 + hlen + (uint64_t)data_bytes == n,
           "layout: header length %llu (multiple of 8), data %lld bytes, file %zu bytes", (unsigned long long)hlen,
           (long long)data_bytes, n);
  free(raw);
  char tmpname[300];
  snprintf(tmpname, sizeof tmpname, "%s.tmp%d", path, (int)getpid());
  tst_true(access(tmpname, F_OK) != 0, "no temporary file left after saving");

  avs_st *st = NULL;
  rc = avs_st_open(path, &st);
  tst_true(rc == 0, "reader opens it (%s)", ERR(rc));
  if (!st) return;
  tst_true(avs_st_count(st) == 5, "5 tensors (got %d)", avs_st_count(st));
  bool names = true;
  const char *want_names[] = {"a", "layer.0.weight", "video.conv3d.w", "logit_scale", "empty"};
  for (int i = 0; i < 5; i++) names &= avs_st_name(st, i) && !strcmp(avs_st_name(st, i), want_names[i]);
  tst_true(names && avs_st_name(st, 5) == NULL && avs_st_name(st, -1) == NULL, "names in order, out of range NULL");
  avs_tensor *want[] = {a, b, c, s, e};
  for (int i = 0; i < 5; i++) {
    int ndim = -1;
    int64_t shape[AVS_MAX_DIMS];
    const float *data = NULL;
    rc = avs_st_get(st, want_names[i], &ndim, shape, &data);
    char got_s[64], want_s[64];
    bool same = rc == 0 && ndim == want[i]->ndim && !memcmp(shape, want[i]->shape, sizeof(int64_t) * ndim);
    tst_true(same, "'%s' shape %s (want %s)", want_names[i], rc ? "?" : avs_shape_str(ndim, shape, got_s, 64),
             avs_shape_str(want[i]->ndim, want[i]->shape, want_s, 64));
    if (same && want[i]->numel) {
      char what[64];
      snprintf(what, sizeof what, "'%s' values bit-exact", want_names[i]);
      tst_close(what, data, want[i]->data, want[i]->numel, 0, 0);
    }
  }
  tst_true(avs_st_meta(st, "avs.arch") && !strcmp(avs_st_meta(st, "avs.arch"), "test"), "metadata avs.arch");
  tst_true(avs_st_meta(st, "hop") && !strcmp(avs_st_meta(st, "hop"), "160"), "metadata set twice keeps the last");
  tst_true(avs_st_meta(st, "note") && !strcmp(avs_st_meta(st, "note"), "quotes \" and \\ and ünïcode"),
           "metadata with quotes, backslash and UTF-8 survives");
  tst_true(avs_st_meta(st, "absent") == NULL, "absent metadata key is NULL");
  int ndim;
  int64_t shape[AVS_MAX_DIMS];
  const float *data;
  rc = avs_st_get(st, "nope", &ndim, shape, &data);
  tst_true(rc == AVS_ENOTFOUND && strstr(avs_errmsg(), "'nope'") && strstr(avs_errmsg(), path),
           "get of an absent tensor: %s", avs_errmsg());
  avs_st_close(&st);
  tst_true(st == NULL, "close sets the pointer to NULL");
  avs_st_close(&st); /* twice is harmless */

  /* No metadata, no tensors: still a valid file. */
  w = avs_st_writer_new();
  const char *empty = tmp_path("empty.safetensors");
  tst_true(avs_st_writer_save(w, empty) == 0, "an empty file saves");
  avs_st_writer_free(&w);
  tst_true(avs_st_open(empty, &st) == 0 && avs_st_count(st) == 0 && !avs_st_meta(st, "avs.arch"),
           "an empty file opens with no tensors and no metadata");
  avs_st_close(&st);

  /* Saving into a missing directory fails with the path and leaves nothing. */
  w = avs_st_writer_new();
  avs_st_writer_add(w, "a", a->ndim, a->shape, a->data);
  char bad[300];
  snprintf(bad, sizeof bad, "%s/no/such/dir/x.safetensors", dir);
  rc = avs_st_writer_save(w, bad);
  tst_true(rc == AVS_EIO && strstr(avs_errmsg(), bad), "save into a missing directory: %s", avs_errmsg());
  avs_st_writer_free(&w);
  avs_tensor_free(&a), avs_tensor_free(&b), avs_tensor_free(&c), avs_tensor_free(&s), avs_tensor_free(&e);
}

/* ---- avs_params ---- */

/* A small model table: conv, batch norm buffers, linear. */
static void declare(avs_params *p, const char *arch) {
  avs_params_init(p, arch);
  AVS_ASSERT(avs_params_add(p, "conv.weight", 4, AVS_SHAPE(8, 3, 3, 3)));
  AVS_ASSERT(avs_params_add(p, "conv.bias", 1, AVS_SHAPE(8)));
  AVS_ASSERT(avs_params_add(p, "bn.weight", 1, AVS_SHAPE(8)));
  AVS_ASSERT(avs_params_add(p, "bn.running_mean", 1, AVS_SHAPE(8)));
  AVS_ASSERT(avs_params_add(p, "fc.weight", 2, AVS_SHAPE(4, 8)));
}

static void test_params_round_trip(void) {
  avs_params p, q;
  declare(&p, "tinynet");
  for (int i = 0; i < p.n; i++) fill(p.t[i], (float)i);
  tst_true(avs_params_numel(&p) == 216 + 8 + 8 + 8 + 32, "numel %lld", (long long)avs_params_numel(&p));
  tst_true(avs_params_add(&p, "conv.bias", 1, AVS_SHAPE(8)) == NULL && strstr(avs_errmsg(), "conv.bias"),
           "declaring a name twice fails: %s", avs_errmsg());
  avs_params_set_meta(&p, "channels", "8");
  avs_params_set_meta(&p, "classes", "3");
  avs_params_set_meta(&p, "classes", "4");
  tst_true(!strcmp(avs_params_get_meta(&p, "classes"), "4") && !avs_params_get_meta(&p, "x"), "params metadata");
  const char *path = tmp_path("params.safetensors");
  int rc = avs_params_save(&p, path);
  tst_true(rc == 0, "params save (%s)", ERR(rc));

  declare(&q, "tinynet");
  rc = avs_params_load(&q, path);
  tst_true(rc == 0, "params load (%s)", ERR(rc));
  for (int i = 0; i < p.n; i++) {
    char what[64];
    snprintf(what, sizeof what, "params '%s' bit-exact", p.t[i]->name);
    tst_close(what, q.t[i]->data, p.t[i]->data, p.t[i]->numel, 0, 0);
  }
  tst_true(q.t[0]->version > 0, "load bumps the tensor version (cached weight reorders go stale)");
  avs_st *st = NULL;
  AVS_ASSERT(avs_st_open(path, &st) == 0);
  tst_true(!strcmp(avs_st_meta(st, "avs.arch"), "tinynet") && avs_st_meta(st, "avs.version") &&
               !strcmp(avs_st_meta(st, "channels"), "8") && !strcmp(avs_st_meta(st, "classes"), "4"),
           "saved metadata: avs.arch, avs.version %s, hyperparameters", avs_st_meta(st, "avs.version"));
  avs_st_close(&st);
  avs_params_free(&q);
  avs_params_free(&p);
  tst_true(p.t == NULL && p.n == 0 && p.arch == NULL, "params_free clears the struct");
}

/* ---- load errors ---- */

static avs_params model;   /* the table every bad file is loaded into */
static avs_params pristine; /* what model holds before each load */

/* Loads path into the model and checks: the code, one line, the file named,
 * each expected fragment present, the model untouched. */
static void expect_fail(const char *what, const char *path, int code, const char *frag1, const char *frag2) {
  int rc = avs_params_load(&model, path);
  const char *msg = avs_errmsg();
  bool ok = rc == code && strstr(msg, path) && !strchr(msg, '\n') && (!frag1 || strstr(msg, frag1)) &&
            (!frag2 || strstr(msg, frag2));
  tst_true(ok, "%s: rc %d (want %d): \"%s\"", what, rc, code, msg);
  bool same = true;
  for (int i = 0; i < model.n; i++)
    same &= !memcmp(model.t[i]->data, pristine.t[i]->data, sizeof(float) * model.t[i]->numel);
  tst_true(same, "%s: model tensors unchanged", what);
}

/* JSON header entry for a float32 tensor; *off advances past its data. */
static int entry(char *buf, int size, const char *name, const char *dtype, int esize, int ndim, const int64_t *shape,
                 int64_t *off) {
  int64_t n = avs_shape_numel(ndim, shape) * esize;
  int k = snprintf(buf, size, "\"%s\":{\"dtype\":\"%s\",\"shape\":[", name, dtype);
  for (int i = 0; i < ndim; i++) k += snprintf(buf + k, size - k, i ? ",%lld" : "%lld", (long long)shape[i]);
  k += snprintf(buf + k, size - k, "],\"data_offsets\":[%lld,%lld]}", (long long)*off, (long long)(*off + n));
  *off += n;
  return k;
}

/* A file for the model's table with one thing changed: tensor `odd` gets
 * dtype/shape (when given) or is dropped (drop), an `extra` tensor is added,
 * and avs.arch is `arch` (NULL: none). */
static void write_variant(const char *path, const char *arch, const char *odd, const char *dtype, int odd_ndim,
                          const int64_t *odd_shape, bool drop, const char *extra) {
  char json[4096];
  int k = 0;
  int64_t off = 0;
  k += snprintf(json + k, sizeof json - k, "{");
  if (arch) k += snprintf(json + k, sizeof json - k, "\"__metadata__\":{\"avs.arch\":\"%s\"},", arch);
  for (int i = 0; i < model.n; i++) {
    const avs_tensor *t = model.t[i];
    bool is_odd = odd && !strcmp(t->name, odd);
    if (is_odd && drop) continue;
    const char *dt = is_odd && dtype ? dtype : "F32";
    int esize = !strcmp(dt, "F32") ? 4 : 8;
    int ndim = is_odd && odd_shape ? odd_ndim : t->ndim;
    const int64_t *shape = is_odd && odd_shape ? odd_shape : t->shape;
    k += entry(json + k, sizeof json - k, t->name, dt, esize, ndim, shape, &off);
    k += snprintf(json + k, sizeof json - k, ",");
  }
  if (extra) {
    k += entry(json + k, sizeof json - k, extra, "F32", 4, 1, AVS_SHAPE(3), &off);
    k += snprintf(json + k, sizeof json - k, ",");
  }
  json[k - 1] = '}';
  unsigned char *data = calloc(1, (size_t)off);
  for (int64_t i = 0; i < off; i++) data[i] = (unsigned char)(i * 7 + 3); /* not what the model holds */
  write_raw(path, json, data, (size_t)off);
  free(data);
}

static void test_load_errors(void) {
  declare(&model, "tinynet");
  declare(&pristine, "tinynet");
  for (int i = 0; i < model.n; i++) fill(model.t[i], 100.0f + i), fill(pristine.t[i], 100.0f + i);

  /* A good file to cut: written by avs_params_save from different values. */
  avs_params other;
  declare(&other, "tinynet");
  for (int i = 0; i < other.n; i++) fill(other.t[i], -7.0f * i);
  const char *good = tmp_path("good.safetensors");
  AVS_ASSERT(avs_params_save(&other, good) == 0);
  avs_params_free(&other);
  size_t n;
  unsigned char *raw = read_bytes(good, &n);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | raw[i];

  /* Truncations: inside the length, inside the header, inside the data. */
  struct { const char *where; size_t keep; } cuts[] = {
      {"empty file", 0},
      {"cut inside the length", 5},
      {"cut right after the length", 8},
      {"cut inside the header", 8 + hlen / 2},
      {"cut at the end of the header", 8 + hlen},
      {"cut inside the first tensor", 8 + hlen + 100},
      {"cut one byte short", n - 1},
  };
  for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
    char name[64], what[96];
    snprintf(name, sizeof name, "cut%zu.safetensors", i);
    const char *path = tmp_path(name);
    AVS_ASSERT(write_bytes(path, raw, cuts[i].keep));
    snprintf(what, sizeof what, "truncated (%s, %zu of %zu bytes)", cuts[i].where, cuts[i].keep, n);
    expect_fail(what, path, AVS_EFORMAT, "truncated", NULL);
  }

  /* Bad headers. */
  const char *path = tmp_path("bad.safetensors");
  write_raw(path, "this is not json at all", NULL, 0);
  expect_fail("header not JSON", path, AVS_EFORMAT, "JSON", NULL);
  write_raw(path, "[1, 2, 3]", NULL, 0);
  expect_fail("header JSON but not an object", path, AVS_EFORMAT, "JSON object", NULL);
  memcpy(raw, (unsigned char[8]){0x00, 0x10, 0, 0, 0, 0, 0, 0}, 8); /* 4096 > file */
  AVS_ASSERT(write_bytes(path, raw, n));
  expect_fail("header length past the end", path, AVS_EFORMAT, "bad header length", "needs 4104");
  memcpy(raw, (unsigned char[8]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8);
  AVS_ASSERT(write_bytes(path, raw, n));
  expect_fail("header length 2^64-1", path, AVS_EFORMAT, "header length", NULL);
  free(raw);
  write_raw(path, "{\"__metadata__\":{\"avs.arch\":\"tinynet\"},\"x\":{\"dtype\":\"F32\",\"shape\":[4]}}", NULL, 0);
  expect_fail("entry without data_offsets", path, AVS_EFORMAT, "'x'", NULL);
  write_raw(path,
            "{\"__metadata__\":{\"avs.arch\":\"tinynet\"},"
            "\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}",
            "0123456789ab", 12);
  expect_fail("data size does not match the shape", path, AVS_EFORMAT, "'x' holds 12 bytes", "needs 16");
  write_raw(path, "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", NULL, 0);
  expect_fail("shape whose element count wraps to 0 bytes", path, AVS_EFORMAT, "'x' has a bad shape", NULL);
  write_raw(path,
            "{\"x\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", "0123456789abcdef", 16);
  expect_fail("unknown dtype", path, AVS_EFORMAT, "unknown dtype 'Q4'", NULL);

  /* The format's rules, strictly (each of these loaded before, some with other
   * scores): one header object padded with spaces only, every key and
   * __metadata__ once, integer shapes and offsets, byte ranges that tile the
   * data section. */
  const char *d32 = "0123456789abcdef0123456789abcdef0123"; /* 36 data bytes */
#define X4(off) "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" off "]}"
  write_raw(path, "{\"x\":" X4("0,16") ",\"x\":" X4("16,32") "}", d32, 32);
  expect_fail("a tensor key twice", path, AVS_EFORMAT, "tensor 'x' twice", NULL);
  write_raw(path, "{\"__metadata__\":{\"avs.arch\":\"tinynet\"},\"x\":" X4("0,16") ",\"__metadata__\":{\"a\":\"b\"}}",
            d32, 16);
  expect_fail("__metadata__ twice", path, AVS_EFORMAT, "__metadata__ twice", NULL);
  write_raw(path, "{\"__metadata__\":{\"avs.arch\":\"tinynet\",\"classes\":4},\"x\":" X4("0,16") "}", d32, 16);
  expect_fail("a metadata value that is not a string", path, AVS_EFORMAT, "'classes' is not a string", NULL);
  write_raw(path, "{\"x\":" X4("0,16") "}garbage", d32, 16);
  expect_fail("garbage after the header object", path, AVS_EFORMAT, "other than space padding", NULL);
  write_raw(path, "{\"x\":" X4("0,16") "}\n", d32, 16);
  expect_fail("a newline as header padding", path, AVS_EFORMAT, "other than space padding", NULL);
  write_raw(path, " {\"x\":" X4("0,16") "}", d32, 16);
  expect_fail("a space before the header object", path, AVS_EFORMAT, "must start with '{'", NULL);
  static const char nul_tail[] = "{\"x\":" X4("0,16") "}\0\0\0";
  write_raw_n(path, nul_tail, sizeof nul_tail - 1, d32, 16);
  expect_fail("NUL bytes after the header object", path, AVS_EFORMAT, "NUL byte", NULL);
  static const char nul_in[] = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"y\0z\":" X4("16,32") "}";
  write_raw_n(path, nul_in, sizeof nul_in - 1, d32, 32);
  expect_fail("a NUL byte inside a key", path, AVS_EFORMAT, "NUL byte", NULL);
  write_raw(path, "{\"x\":{\"dtype\":\"F32\",\"shape\":[4.5],\"data_offsets\":[0,16]}}", d32, 16);
  expect_fail("a float dimension", path, AVS_EFORMAT, "'x' has a bad shape", "integers");
  write_raw(path, "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16.75]}}", d32, 16);
  expect_fail("a float offset", path, AVS_EFORMAT, "'x' has bad data offsets", NULL);
  write_raw(path, "{\"x\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", d32, 16);
  expect_fail("a negative dimension", path, AVS_EFORMAT, "'x' has a bad shape", NULL);
  write_raw(path, "{\"x\":" X4("0,16") ",\"y\":" X4("0,16") "}", d32, 16);
  expect_fail("two tensors on the same bytes", path, AVS_EFORMAT, "'y' starts at data byte 0, expected 16",
              "overlaps");
  write_raw(path, "{\"x\":" X4("0,16") ",\"y\":" X4("8,24") "}", d32, 24);
  expect_fail("overlapping tensors", path, AVS_EFORMAT, "'y' starts at data byte 8", "overlaps");
  write_raw(path, "{\"x\":" X4("0,16") ",\"y\":" X4("20,36") "}", d32, 36);
  expect_fail("a hole between tensors", path, AVS_EFORMAT, "'y' starts at data byte 20, expected 16", "hole");
  write_raw(path, "{\"x\":" X4("4,20") "}", d32, 20);
  expect_fail("a hole before the first tensor", path, AVS_EFORMAT, "'x' starts at data byte 4, expected 0", "hole");
  write_raw(path, "{\"x\":" X4("0,16") "}", d32, 20);
  expect_fail("bytes after the last tensor", path, AVS_EFORMAT, "4 bytes after the last tensor", NULL);
  /* ...while out-of-order ranges, empty tensors sharing an offset and no tensors at all are fine. */
  avs_st *st = NULL;
  write_raw(path,
            "{\"y\":" X4("16,32") ",\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[16,16]},"
            "\"f\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,16]},\"x\":" X4("0,16") "}",
            d32, 32);
  int rc = avs_st_open(path, &st);
  tst_true(rc == 0 && avs_st_count(st) == 4, "ranges out of order, empty tensors sharing an offset: %s", ERR(rc));
  avs_st_close(&st);
  write_raw(path, "{\"__metadata__\":{}}", NULL, 0);
  rc = avs_st_open(path, &st);
  tst_true(rc == 0 && avs_st_count(st) == 0, "no tensors, no data: %s", ERR(rc));
  avs_st_close(&st);
#undef X4

  /* Wrong dtype of a declared tensor. */
  write_variant(path, "tinynet", "conv.bias", "F64", 0, NULL, false, NULL);
  expect_fail("F64 tensor", path, AVS_EUNSUPPORTED, "'conv.bias' has dtype F64", "only F32");
  write_variant(path, "tinynet", "fc.weight", "I64", 0, NULL, false, NULL);
  expect_fail("I64 tensor", path, AVS_EUNSUPPORTED, "'fc.weight' has dtype I64", "only F32");

  /* Wrong shape: names the tensor, the file's shape and the expected one. */
  write_variant(path, "tinynet", "conv.weight", NULL, 4, AVS_SHAPE(8, 3, 5, 5), false, NULL);
  expect_fail("wrong shape", path, AVS_ESHAPE, "'conv.weight' has shape (8, 3, 5, 5)", "expected (8, 3, 3, 3)");
  write_variant(path, "tinynet", "fc.weight", NULL, 1, AVS_SHAPE(32), false, NULL);
  expect_fail("wrong rank", path, AVS_ESHAPE, "'fc.weight' has shape (32)", "expected (4, 8)");

  /* Missing and unexpected tensors, wrong or absent architecture. */
  write_variant(path, "tinynet", "bn.running_mean", NULL, 0, NULL, true, NULL);
  expect_fail("missing tensor", path, AVS_ENOTFOUND, "'bn.running_mean' is missing", NULL);
  write_variant(path, "tinynet", NULL, NULL, 0, NULL, false, "bn.num_batches_tracked");
  expect_fail("unexpected tensor", path, AVS_EFORMAT, "unexpected tensor 'bn.num_batches_tracked'", "'tinynet'");
  write_variant(path, "resnet18", NULL, NULL, 0, NULL, false, NULL);
  expect_fail("wrong avs.arch", path, AVS_EFORMAT, "'resnet18'", "expected 'tinynet'");
  write_variant(path, NULL, NULL, NULL, 0, NULL, false, NULL);
  expect_fail("no avs.arch", path, AVS_EFORMAT, "no avs.arch", "pth2st.py");

  /* NaN and Inf weights: refused, naming the tensor and the element. */
  avs_params bad;
  declare(&bad, "tinynet");
  for (int i = 0; i < bad.n; i++) fill(bad.t[i], 1.0f);
  bad.t[1]->data[5] = NAN;
  AVS_ASSERT(avs_params_save(&bad, path) == 0);
  expect_fail("a NaN weight", path, AVS_EFORMAT, "tensor 'conv.bias' holds NaN at element 5", NULL);
  bad.t[1]->data[5] = 0;
  bad.t[4]->data[31] = -INFINITY;
  AVS_ASSERT(avs_params_save(&bad, path) == 0);
  expect_fail("an Inf weight", path, AVS_EFORMAT, "tensor 'fc.weight' holds Inf at element 31", NULL);
  avs_params_free(&bad);

  /* Not there at all, or a directory. */
  expect_fail("missing file", tmp_path("absent.safetensors"), AVS_ENOTFOUND, "No such file", NULL);
  expect_fail("a directory", dir, AVS_EIO, "not a regular file", NULL);

  /* And a good variant really loads (so the failures above are the changes). */
  write_variant(path, "tinynet", NULL, NULL, 0, NULL, false, NULL);
  rc = avs_params_load(&model, path);
  tst_true(rc == 0, "the unmodified variant loads (%s)", ERR(rc));
  avs_params_free(&model);
  avs_params_free(&pristine);
}

/* ---- a write stopped by a signal leaves no temporary ---- */

static void *save_thread(void *path) {
  avs_st_writer *w = avs_st_writer_new();
  float x[3] = {1, 2, 3};
  avs_st_writer_add(w, "x", 1, (int64_t[]){3}, x);
  avs_st_writer_save(w, path); /* blocks opening the FIFO until the process ends */
  avs_st_writer_free(&w);
  return NULL;
}

/* The writer's temporary name is made a FIFO, so the save blocks right after
 * choosing it; what a signal handler runs (avs_tmp_remove_all) must find it in
 * the register and remove it. Polled without a time in the check: the register
 * either gets the name (pass) or never does (fail after 10 s). */
static void test_write_tracked(void) {
  const char *path = tmp_path("stopped.safetensors");
  char fifo[300];
  snprintf(fifo, sizeof fifo, "%s.tmp%d", path, (int)getpid());
  if (!tst_true(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo)) return;
  pthread_t t;
  pthread_create(&t, NULL, save_thread, (void *)path);
  pthread_detach(t);
  bool gone = false;
  for (int i = 0; i < 10000 && !gone; i++) {
    avs_tmp_remove_all();
    gone = access(fifo, F_OK) != 0;
    if (!gone) usleep(1000);
  }
  tst_true(gone, "a model file's temporary is in the register while it is written (removed on signals)");
}

/* ---- half precision: F16 tensors read as float32 ---- */

static void test_f16(void) {
  /* 1, -2, 65504 (the largest half), 2^-24 (the smallest subnormal), 0.333251953125 (1/3 in half),
   * -0, +inf; and a tensor of odd length, so later offsets are not 4-byte aligned */
  static const uint16_t h[8] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x8000, 0x7c00, 0x3800};
  const float want[8] = {1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f, 0.333251953125f, -0.0f, INFINITY, 0.5f};
  const char *path = tmp_path("half.safetensors");
  write_raw(path,
            "{\"a\":{\"dtype\":\"F16\",\"shape\":[7],\"data_offsets\":[0,14]},"
            "\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[14,16]}}",
            h, sizeof h);
  avs_st *st = NULL;
  int rc = avs_st_open(path, &st), ndim = 0;
  int64_t shape[AVS_MAX_DIMS];
  const float *a = NULL, *b = NULL;
  if (tst_true(rc == 0, "F16 file opens: %s", ERR(rc))) {
    rc = avs_st_get(st, "a", &ndim, shape, &a) || avs_st_get(st, "b", &ndim, shape, &b);
    bool same = !rc && ndim == 1 && shape[0] == 1;
    for (int i = 0; same && i < 7; i++) same = a[i] == want[i] && !signbit(a[i]) == !signbit(want[i]);
    tst_true(same && b[0] == want[7], "F16 values widened exactly to float32 (normal, largest, subnormal, -0, inf)");
  }
  avs_st_close(&st);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/avs_st_XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_round_trip();
  test_params_round_trip();
  test_load_errors();
  test_write_tracked();
  test_f16();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) printf("note: could not remove %s\n", dir);
  return tst_finish();
}
