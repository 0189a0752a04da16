/* safetensors reading (mmap) and writing (atomic), see docs/FORMAT.md. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av/files.h"
#include "av/params.h"
#include "av/status.h"

#define MAX_HEADER_BYTES (100u << 20) /* as the reference implementation */

typedef struct {
  char *name;
  char dtype[8];
  int ndim;
  int64_t shape[AVS_MAX_DIMS];
  uint64_t begin, end; /* offsets into the data section */
  float *widened;      /* an F16 tensor's values as float32 (made on opening) */
} st_entry;

struct avs_st {
  char *path;
  unsigned char *map;
  size_t map_size;
  const unsigned char *data; /* start of the data section */
  st_entry *entries;
  int n;
  cJSON *meta;
};

/* IEEE half to float (normals, subnormals, infinities, NaN). */
static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (!man) {
    bits = sign;
  } else { /* subnormal: normalise the mantissa */
    int e = 113;
    while (!(man & 0x400)) man <<= 1, e--;
    bits = sign | ((uint32_t)e << 23) | ((man & 0x3ff) << 13);
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* F16 tensors are widened once, so that every reader sees float32 (models may be stored in
 * half precision to halve their size; the arithmetic stays float32). */
static int widen_f16(avs_st *st) {
  for (int i = 0; i < st->n; i++) {
    st_entry *e = &st->entries[i];
    if (strcmp(e->dtype, "F16")) continue;
    size_t n = (size_t)(e->end - e->begin) / 2;
    if (!(e->widened = malloc(sizeof(float) * (n ? n : 1)))) return avs_seterr(AVS_ENOMEM, "out of memory");
    const unsigned char *src = st->data + e->begin;
    for (size_t k = 0; k < n; k++) {
      uint16_t h;
      memcpy(&h, src + 2 * k, 2);
      e->widened[k] = half_to_float(h);
    }
  }
  return AVS_OK;
}

static size_t dtype_size(const char *dt) {
  static const struct { const char *name; size_t size; } known[] = {
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4},
      {"I16", 2}, {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"U16", 2}, {"U32", 4}, {"U64", 8}};
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (!strcmp(dt, known[i].name)) return known[i].size;
  return 0;
}

/* A JSON number that is a non-negative integer a double holds exactly (the
 * format's shapes and offsets are integers: 4.5 must not become 4). */
static bool json_uint(const cJSON *v) {
  return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0 &&
         v->valuedouble == (double)(uint64_t)v->valuedouble;
}

static int parse_entry(avs_st *st, const cJSON *item, st_entry *e) {
  const char *path = st->path;
  const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
  const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
  const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
  if (!cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
    return avs_seterr(AVS_EFORMAT, "%s: bad header entry for tensor '%s'", path, item->string);
  size_t esize = dtype_size(dtype->valuestring);
  if (!esize)
    return avs_seterr(AVS_EFORMAT, "%s: tensor '%s' has unknown dtype '%s'", path, item->string,
                      dtype->valuestring);
  snprintf(e->dtype, sizeof e->dtype, "%s", dtype->valuestring);
  e->ndim = cJSON_GetArraySize(shape);
  if (e->ndim > AVS_MAX_DIMS)
    return avs_seterr(AVS_EUNSUPPORTED, "%s: tensor '%s' has %d dims, at most %d are supported", path,
                      item->string, e->ndim, AVS_MAX_DIMS);
  uint64_t numel = 1;
  for (int i = 0; i < e->ndim; i++) {
    const cJSON *d = cJSON_GetArrayItem(shape, i);
    if (!json_uint(d) || d->valuedouble > 1e12)
      return avs_seterr(AVS_EFORMAT, "%s: tensor '%s' has a bad shape (dimensions are non-negative integers)", path,
                        item->string);
    e->shape[i] = (int64_t)d->valuedouble;
    if (e->shape[i] && numel > UINT64_MAX / 8 / (uint64_t)e->shape[i]) /* else a wrapped product could pass */
      return avs_seterr(AVS_EFORMAT, "%s: tensor '%s' has a bad shape (too many elements)", path, item->string);
    numel *= (uint64_t)e->shape[i];
  }
  const cJSON *b = cJSON_GetArrayItem(offs, 0), *en = cJSON_GetArrayItem(offs, 1);
  if (!json_uint(b) || !json_uint(en) || en->valuedouble < b->valuedouble)
    return avs_seterr(AVS_EFORMAT, "%s: tensor '%s' has bad data offsets (want two non-negative integers, begin <= end)",
                      path, item->string);
  e->begin = (uint64_t)b->valuedouble;
  e->end = (uint64_t)en->valuedouble;
  if (e->end - e->begin != numel * esize)
    return avs_seterr(AVS_EFORMAT, "%s: tensor '%s' holds %llu bytes, its shape needs %llu", path,
                      item->string, (unsigned long long)(e->end - e->begin),
                      (unsigned long long)(numel * esize));
  size_t data_bytes = st->map_size - (size_t)(st->data - st->map);
  if (e->end > data_bytes)
    return avs_seterr(AVS_EFORMAT, "%s: truncated file (%zu bytes, tensor '%s' ends at byte %llu)", path,
                      st->map_size, item->string, (unsigned long long)(e->end + (st->data - st->map)));
  e->name = strdup(item->string);
  return e->name ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
}

/* Parses the header as the format defines it: a JSON object from the first
 * byte, then nothing but spaces (the padding writers add). A NUL byte or
 * anything after the object would let two readers see different headers. */
static int parse_header(const char *path, const char *text, size_t len, cJSON **out) {
  *out = NULL;
  if (!len || text[0] != '{')
    return avs_seterr(AVS_EFORMAT, "%s: header is not a JSON object (it must start with '{'; not a safetensors file?)", path);
  const char *nul = memchr(text, 0, len);
  if (nul)
    return avs_seterr(AVS_EFORMAT, "%s: header holds a NUL byte at offset %zu (not a safetensors file?)", path,
                      (size_t)(nul - text) + 8);
  const char *end = NULL;
  cJSON *header = cJSON_ParseWithLengthOpts(text, len, &end, false);
  if (!header)
    return avs_seterr(AVS_EFORMAT, "%s: header is not valid JSON (not a safetensors file?)", path);
  if (!cJSON_IsObject(header)) {
    cJSON_Delete(header);
    return avs_seterr(AVS_EFORMAT, "%s: header is JSON but not a JSON object (not a safetensors file?)", path);
  }
  for (const char *c = end; c < text + len; c++)
    if (*c != ' ') {
      cJSON_Delete(header);
      return avs_seterr(AVS_EFORMAT, "%s: header has bytes other than space padding after its JSON object (offset %zu)",
                        path, (size_t)(c - text) + 8);
    }
  *out = header;
  return AVS_OK;
}

/* The one __metadata__ object: a map of strings to strings. */
static int take_meta(avs_st *st, const cJSON *item) {
  if (st->meta) return avs_seterr(AVS_EFORMAT, "%s: header has __metadata__ twice", st->path);
  if (!cJSON_IsObject(item)) return avs_seterr(AVS_EFORMAT, "%s: __metadata__ is not an object", st->path);
  for (const cJSON *v = item->child; v; v = v->next)
    if (!cJSON_IsString(v))
      return avs_seterr(AVS_EFORMAT, "%s: __metadata__ value of '%s' is not a string", st->path, v->string);
  st->meta = cJSON_Duplicate(item, 1);
  return st->meta ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
}

static int by_name(const void *a, const void *b) {
  return strcmp((*(const st_entry *const *)a)->name, (*(const st_entry *const *)b)->name);
}

static int by_offset(const void *a, const void *b) {
  const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* Every name once; the tensors' byte ranges tile the data section exactly
 * (contiguous, no overlap, no hole, nothing after the last), as the format
 * requires: otherwise two tensors could share bytes or a file hide content. */
static int check_layout(const avs_st *st) {
  int rc = AVS_OK;
  const st_entry **v = malloc(sizeof *v * (st->n ? st->n : 1));
  if (!v) return avs_seterr(AVS_ENOMEM, "out of memory");
  for (int i = 0; i < st->n; i++) v[i] = &st->entries[i];
  qsort(v, (size_t)st->n, sizeof *v, by_name);
  for (int i = 1; i < st->n && !rc; i++)
    if (!strcmp(v[i]->name, v[i - 1]->name))
      rc = avs_seterr(AVS_EFORMAT, "%s: header has tensor '%s' twice", st->path, v[i]->name);
  qsort(v, (size_t)st->n, sizeof *v, by_offset);
  uint64_t at = 0;
  for (int i = 0; i < st->n && !rc; at = v[i++]->end)
    if (v[i]->begin != at)
      rc = avs_seterr(AVS_EFORMAT, "%s: tensor '%s' starts at data byte %llu, expected %llu (%s)", st->path,
                      v[i]->name, (unsigned long long)v[i]->begin, (unsigned long long)at,
                      v[i]->begin < at ? "it overlaps another tensor" : "a hole before it");
  size_t data_bytes = st->map_size - (size_t)(st->data - st->map);
  if (!rc && at != data_bytes)
    rc = avs_seterr(AVS_EFORMAT, "%s: %llu bytes after the last tensor's data (the data section must end there)",
                    st->path, (unsigned long long)(data_bytes - at));
  free(v);
  return rc;
}

int avs_st_open(const char *path, avs_st **out) {
  *out = NULL;
  int rc = AVS_OK, fd = -1;
  cJSON *header = NULL;
  avs_st *st = calloc(1, sizeof *st);
  if (!st || !(st->path = strdup(path))) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto fail;
  }
  fd = open(path, O_RDONLY);
  if (fd < 0) {
    rc = avs_seterr(avs_errno_code(errno), "%s: %s", path, strerror(errno));
    goto fail;
  }
  struct stat sb;
  if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    rc = avs_seterr(AVS_EIO, "%s: not a regular file", path);
    goto fail;
  }
  if (sb.st_size < 8) {
    rc = avs_seterr(AVS_EFORMAT, "%s: truncated file (%lld bytes, not a safetensors model)", path,
                    (long long)sb.st_size);
    goto fail;
  }
  st->map_size = (size_t)sb.st_size;
  st->map = mmap(NULL, st->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (st->map == MAP_FAILED) {
    st->map = NULL;
    rc = avs_seterr(AVS_EIO, "%s: cannot map: %s", path, strerror(errno));
    goto fail;
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | st->map[i];
  if (hlen > MAX_HEADER_BYTES) {
    rc = avs_seterr(AVS_EFORMAT, "%s: bad header length %llu (not a safetensors file)", path,
                    (unsigned long long)hlen);
    goto fail;
  }
  if (hlen > st->map_size - 8) {
    rc = avs_seterr(AVS_EFORMAT,
                    "%s: truncated file or bad header length (%zu bytes, the header alone needs %llu)", path,
                    st->map_size, (unsigned long long)hlen + 8);
    goto fail;
  }
  if ((rc = parse_header(path, (const char *)st->map + 8, (size_t)hlen, &header))) goto fail;
  st->data = st->map + 8 + hlen;
  int count = cJSON_GetArraySize(header);
  st->entries = calloc(count ? count : 1, sizeof *st->entries);
  if (!st->entries) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto fail;
  }
  for (cJSON *item = header->child; item; item = item->next) {
    if (!strcmp(item->string, "__metadata__")) {
      if ((rc = take_meta(st, item))) goto fail;
      continue;
    }
    if ((rc = parse_entry(st, item, &st->entries[st->n]))) goto fail;
    st->n++;
  }
  if ((rc = check_layout(st)) || (rc = widen_f16(st))) goto fail;
  cJSON_Delete(header);
  close(fd);
  *out = st;
  return AVS_OK;
fail:
  cJSON_Delete(header);
  if (fd >= 0) close(fd);
  avs_st_close(&st);
  return rc;
}

void avs_st_close(avs_st **pst) {
  if (!pst || !*pst) return;
  avs_st *st = *pst;
  for (int i = 0; i < st->n; i++) free(st->entries[i].name), free(st->entries[i].widened);
  free(st->entries);
  if (st->map) munmap(st->map, st->map_size);
  cJSON_Delete(st->meta);
  free(st->path);
  free(st);
  *pst = NULL;
}

int avs_st_count(const avs_st *st) { return st->n; }
const char *avs_st_name(const avs_st *st, int i) { return i >= 0 && i < st->n ? st->entries[i].name : NULL; }

int avs_st_get(const avs_st *st, const char *name, int *ndim, int64_t *shape, const float **data) {
  for (int i = 0; i < st->n; i++) {
    const st_entry *e = &st->entries[i];
    if (strcmp(e->name, name)) continue;
    if (strcmp(e->dtype, "F32") && !e->widened)
      return avs_seterr(AVS_EUNSUPPORTED, "%s: tensor '%s' has dtype %s, only F32 and F16 are supported", st->path,
                        name, e->dtype);
    *ndim = e->ndim;
    memcpy(shape, e->shape, sizeof(int64_t) * e->ndim);
    if (e->widened) {
      *data = e->widened;
      return AVS_OK;
    }
    if (((uintptr_t)(st->data + e->begin)) % 4)
      return avs_seterr(AVS_EFORMAT, "%s: tensor '%s' is not 4-byte aligned", st->path, name);
    *data = (const float *)(st->data + e->begin);
    return AVS_OK;
  }
  return avs_seterr(AVS_ENOTFOUND, "%s: tensor '%s' is missing", st->path, name);
}

const char *avs_st_meta(const avs_st *st, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->meta, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- writer ---- */

typedef struct {
  char *name;
  int ndim;
  int64_t shape[AVS_MAX_DIMS];
  const float *data;
} wr_entry;

struct avs_st_writer {
  wr_entry *e;
  int n, cap;
  cJSON *meta;
};

avs_st_writer *avs_st_writer_new(void) {
  avs_st_writer *w = calloc(1, sizeof *w);
  if (w && !(w->meta = cJSON_CreateObject())) {
    free(w);
    w = NULL;
  }
  if (!w) avs_seterr(AVS_ENOMEM, "out of memory");
  return w;
}

int avs_st_writer_add(avs_st_writer *w, const char *name, int ndim, const int64_t *shape, const float *data) {
  if (ndim > AVS_MAX_DIMS) return avs_seterr(AVS_EINVAL, "tensor '%s': too many dims", name);
  if (w->n == w->cap) {
    int cap = w->cap ? 2 * w->cap : 64;
    wr_entry *e = realloc(w->e, sizeof *e * cap);
    if (!e) return avs_seterr(AVS_ENOMEM, "out of memory");
    w->e = e;
    w->cap = cap;
  }
  wr_entry *e = &w->e[w->n];
  if (!(e->name = strdup(name))) return avs_seterr(AVS_ENOMEM, "out of memory");
  e->ndim = ndim;
  memcpy(e->shape, shape, sizeof(int64_t) * ndim);
  e->data = data;
  w->n++;
  return AVS_OK;
}

int avs_st_writer_meta(avs_st_writer *w, const char *key, const char *value) {
  cJSON_DeleteItemFromObjectCaseSensitive(w->meta, key);
  return cJSON_AddStringToObject(w->meta, key, value) ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
}

int avs_st_writer_save(avs_st_writer *w, const char *path) {
  int rc = AVS_OK;
  char *json = NULL, *tmp = NULL;
  bool tracked = false;
  FILE *f = NULL;
  cJSON *header = cJSON_CreateObject();
  if (!header) goto oom;
  if (cJSON_GetArraySize(w->meta) && !cJSON_AddItemToObject(header, "__metadata__", cJSON_Duplicate(w->meta, 1)))
    goto oom;
  uint64_t offset = 0;
  for (int i = 0; i < w->n; i++) {
    wr_entry *e = &w->e[i];
    uint64_t bytes = 4 * (uint64_t)avs_shape_numel(e->ndim, e->shape);
    cJSON *item = cJSON_CreateObject(), *shape = cJSON_CreateArray(), *offs = cJSON_CreateArray();
    if (!item || !shape || !offs || !cJSON_AddItemToObject(header, e->name, item)) goto oom;
    cJSON_AddStringToObject(item, "dtype", "F32");
    for (int d = 0; d < e->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)e->shape[d]));
    cJSON_AddItemToObject(item, "shape", shape);
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(offset + bytes)));
    cJSON_AddItemToObject(item, "data_offsets", offs);
    offset += bytes;
  }
  if (!(json = cJSON_PrintUnformatted(header))) goto oom;
  size_t hlen = strlen(json), padded = (hlen + 7) & ~(size_t)7; /* keeps data 8-byte aligned */
  if (!(tmp = malloc(strlen(path) + 16))) goto oom;
  sprintf(tmp, "%s.tmp%d", path, (int)getpid());
  /* tracked from before it exists: an app stopped mid-write (a checkpoint
   * each epoch) leaves no temporary behind (av/files.h) */
  if ((rc = avs_tmp_track(tmp))) goto done;
  tracked = true;
  if (!(f = fopen(tmp, "wb"))) {
    rc = avs_seterr(AVS_EIO, "%s: cannot write: %s", path, strerror(errno));
    goto done;
  }
  unsigned char len8[8];
  for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(padded >> (8 * i));
  bool ok = fwrite(len8, 1, 8, f) == 8 && fwrite(json, 1, hlen, f) == hlen;
  for (size_t i = hlen; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
  for (int i = 0; ok && i < w->n; i++) {
    size_t n = (size_t)avs_shape_numel(w->e[i].ndim, w->e[i].shape);
    ok = fwrite(w->e[i].data, sizeof(float), n, f) == n; /* little-endian host */
  }
  if (fclose(f)) ok = false;
  f = NULL;
  if (!ok || rename(tmp, path)) {
    rc = avs_seterr(AVS_EIO, "%s: write failed: %s", path, strerror(errno));
    remove(tmp);
  }
  goto done;
oom:
  rc = avs_seterr(AVS_ENOMEM, "out of memory");
done:
  if (f) fclose(f);
  if (tracked) avs_tmp_forget(tmp);
  free(tmp);
  free(json);
  cJSON_Delete(header);
  return rc;
}

void avs_st_writer_free(avs_st_writer **pw) {
  if (!pw || !*pw) return;
  avs_st_writer *w = *pw;
  for (int i = 0; i < w->n; i++) free(w->e[i].name);
  free(w->e);
  cJSON_Delete(w->meta);
  free(w);
  *pw = NULL;
}
