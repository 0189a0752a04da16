/* libavs core, everything at once. */
#ifndef AVS_AVS_H
#define AVS_AVS_H

#include "av/ctx.h"
#include "av/gemm.h"
#include "av/ops.h"
#include "av/optim.h"
#include "av/params.h"
#include "av/rng.h"
#include "av/status.h"
#include "av/tensor.h"
#include "av/threads.h"

#endif
