/* Model files: safetensors (8-byte little-endian header length, JSON header,
 * raw little-endian data), memory-mapped. A model declares its parameters as a
 * table of (state_dict name, shape); loading checks the file against that
 * table and names the first missing, unexpected or wrong-shaped tensor.
 * Metadata carries avs.arch, avs.version and hyperparameters. See docs/FORMAT.md. */
#ifndef AVS_PARAMS_H
#define AVS_PARAMS_H

#include "av/tensor.h"

/* ---- raw safetensors access ---- */
typedef struct avs_st avs_st;

/* Opens and validates a file (header JSON, dtypes, offsets inside the file). */
int avs_st_open(const char *path, avs_st **out);
void avs_st_close(avs_st **st);
int avs_st_count(const avs_st *st);
const char *avs_st_name(const avs_st *st, int i);
/* Finds a tensor: shape into ndim/shape, data pointer into *data (mmapped,
 * read-only, F32 only; other dtypes give AVS_EUNSUPPORTED). */
int avs_st_get(const avs_st *st, const char *name, int *ndim, int64_t *shape, const float **data);
/* Metadata value or NULL. */
const char *avs_st_meta(const avs_st *st, const char *key);

typedef struct avs_st_writer avs_st_writer;
avs_st_writer *avs_st_writer_new(void);
/* Data is referenced, not copied: keep it alive until save. */
int avs_st_writer_add(avs_st_writer *w, const char *name, int ndim, const int64_t *shape, const float *data);
int avs_st_writer_meta(avs_st_writer *w, const char *key, const char *value);
/* Writes to path atomically (temporary file, then rename). */
int avs_st_writer_save(avs_st_writer *w, const char *path);
void avs_st_writer_free(avs_st_writer **w);

/* ---- a model's parameter table ---- */
typedef struct avs_params {
  avs_tensor **t;   /* t[i]->name is the state_dict name */
  int n, cap;
  char *arch;
  /* hyperparameters (key, value) stored as metadata */
  char **meta_keys, **meta_values;
  int n_meta;
} avs_params;

void avs_params_init(avs_params *p, const char *arch);
void avs_params_free(avs_params *p);
/* Declares a parameter (or buffer such as running_mean) and returns its zeroed
 * heap tensor; NULL on OOM or duplicate name. */
avs_tensor *avs_params_add(avs_params *p, const char *name, int ndim, const int64_t *shape);
avs_tensor *avs_params_find(const avs_params *p, const char *name);
int avs_params_set_meta(avs_params *p, const char *key, const char *value);
const char *avs_params_get_meta(const avs_params *p, const char *key);
/* Loads a file into the declared tensors: avs.arch must equal p->arch, every
 * declared name must be present with the declared shape, no undeclared tensor
 * may be present (read hyperparameters first with avs_st_meta to build the
 * table). Error messages name the
 * file and the first mismatch, e.g.
 *   "model.safetensors: tensor 'fc.weight' has shape (10, 512), expected (400, 512)". */
int avs_params_load(avs_params *p, const char *path);
/* The same from a file already open (path names it in messages). */
int avs_params_load_st(avs_params *p, const avs_st *st, const char *path);
/* Writes all tensors plus avs.arch, avs.version and the metadata, atomically. */
int avs_params_save(const avs_params *p, const char *path);
int64_t avs_params_numel(const avs_params *p);

#endif
