/* Hyperparameters of an architecture: fields of its cfg struct, each stored
 * in model files as a metadata string under its key, with bounds so that
 * neither a command line nor a model file can ask for absurd shapes. */
#ifndef AVS_NN_HPARAM_H
#define AVS_NN_HPARAM_H

#include <stddef.h>

typedef enum { AVS_HP_INT, AVS_HP_FLOAT, AVS_HP_BOOL } avs_hparam_type;

typedef struct {
  const char *key;
  avs_hparam_type type;  /* int, float, bool */
  size_t offset;         /* offsetof(cfg type, field) */
  const char *help;
  int min, max;          /* an int's bounds; both 0: [AVS_HP_INT_MIN, AVS_HP_INT_MAX] */
} avs_hparam;

#define AVS_HP_KEY(key, type, field, kind, help) {key, kind, offsetof(type, field), help, 0, 0}
#define AVS_HP(type, field, kind, help) AVS_HP_KEY(#field, type, field, kind, help)
/* An int hyperparameter with its own bounds (within the default ones). */
#define AVS_HP_RANGE(key, type, field, lo, hi, help) {key, AVS_HP_INT, offsetof(type, field), help, lo, hi}

/* Every integer hyperparameter lies in [AVS_HP_INT_MIN, AVS_HP_INT_MAX]:
 * widths, frame counts and sizes beyond this overflow shape arithmetic long
 * before they could be trained; a model may bound its own more tightly
 * (AVS_HP_RANGE), and tensor creation refuses any shape whose size overflows
 * or exceeds AVS_TENSOR_MAX_NUMEL (av/tensor.h). */
#define AVS_HP_INT_MIN 0 /* no size, count or mask is negative */
#define AVS_HP_INT_MAX 1000000

#endif
