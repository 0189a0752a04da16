/* The oneDNN 2.6 implementations av/ops/dnnl_backend.c skips (known_bad) are
 * skipped, and the primitive still gets another implementation:
 *  - the AMX brgemm convolutions (brgconv:avx512_core_amx*), which read past an
 * array while created: bf16 forward convolutions of the shapes that faulted
 * (Sound of Pixels' frame ResNet under AddressSanitizer), with and without a
 * ReLU post-op. oneDNN offers this implementation first only on CPUs with AMX;
 * elsewhere the check holds trivially and says so.
 *  - the 1x1 convolutions with a stride > 1 over channels that are not whole
 * vector blocks (jit_1x1), which write past their scratchpad: the backward-data
 * convolution that corrupted the heap (4 input channels, stride 2). */
#include <stdio.h>
#include <string.h>

#include "av/ops/dnnl_backend.h"
#include "tests/harness.h"

typedef struct {
  const char *what;
  int ic, oc, hw, k, stride, pad;
  bool relu, backward_data;
  dnnl_data_type_t type;
} conv_case;

static const conv_case cases[] = {
    {"bf16 8->16 channels 4x4, 3x3 stride 2, ReLU", 8, 16, 4, 3, 2, 1, true, false, dnnl_bf16},
    {"bf16 32->4 channels 2x2, 3x3, ReLU", 32, 4, 2, 3, 1, 1, true, false, dnnl_bf16},
    {"bf16 8->8 channels 4x4, 3x3", 8, 8, 4, 3, 1, 1, false, false, dnnl_bf16},
    {"bf16 16->32 channels 32x32, 4x4 stride 2", 16, 32, 32, 4, 2, 1, false, false, dnnl_bf16},
    {"fp32 1x1 stride 2, 4->8 channels, backward data", 4, 8, 8, 1, 2, 0, false, true, dnnl_f32},
};

static void describe(const conv_case *c, dnnl_memory_desc_t *src, dnnl_memory_desc_t *w, dnnl_memory_desc_t *dst) {
  int o = (c->hw + 2 * c->pad - c->k) / c->stride + 1;
  dnnl_memory_desc_init_by_tag(src, 4, (dnnl_dims_t){1, c->ic, c->hw, c->hw}, c->type, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(w, 4, (dnnl_dims_t){c->oc, c->ic, c->k, c->k}, c->type, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(dst, 4, (dnnl_dims_t){1, c->oc, o, o}, c->type, dnnl_nhwc);
}

/* The implementation the backend chose for c, into impl; false if it made none.
 */
static bool chosen(avs_dnnl *d, const conv_case *c, char *impl, size_t size) {
  dnnl_memory_desc_t src, w, dst;
  describe(c, &src, &w, &dst);
  dnnl_dims_t strides = {c->stride, c->stride}, pads = {c->pad, c->pad};
  dnnl_convolution_desc_t fwd, bwd;
  dnnl_status_t st = dnnl_convolution_forward_desc_init(&fwd, dnnl_forward_training, dnnl_convolution_direct, &src, &w,
                                                        NULL, &dst, strides, pads, pads);
  avs_dnnl_prim p, hint = {0};
  int rc = AVS_EBACKEND;
  if (st == dnnl_success && !c->backward_data) {
    fwd.prop_kind = dnnl_forward_inference;
    rc = avs_dnnl_prim_make_post(d, &p, &fwd, NULL, c->relu);
  } else if (st == dnnl_success &&
             dnnl_convolution_backward_data_desc_init(&bwd, dnnl_convolution_direct, &src, &w, &dst, strides, pads,
                                                      pads) == dnnl_success &&
             !avs_dnnl_prim_make(d, &hint, &fwd, NULL)) {
    rc = avs_dnnl_prim_make(d, &p, &bwd, hint.pd);
    avs_dnnl_prim_free(&hint);
  }
  if (rc) return false;
  const char *s = NULL;
  dnnl_primitive_desc_query(p.pd, dnnl_query_impl_info_str, 0, &s);
  snprintf(impl, size, "%s", s ? s : "?");
  avs_dnnl_prim_free(&p);
  return true;
}

int main(void) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_dnnl *d = avs_dnnl_get(ctx);
  tst_true(d != NULL, "the oneDNN backend starts");
  if (!d) return tst_finish();
  bool amx = dnnl_get_effective_cpu_isa() >= dnnl_cpu_isa_avx512_core_amx;
  printf("CPU %s AMX: %s\n", amx ? "has" : "lacks",
         amx ? "oneDNN offers brgconv:avx512_core_amx_bf16 first for these shapes"
             : "the AMX skip has nothing to skip here, checked anyway");
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const conv_case *c = &cases[i];
    if (c->type == dnnl_bf16 && dnnl_get_effective_cpu_isa() < dnnl_cpu_isa_avx512_core) continue;
    char impl[128] = "";
    bool made = chosen(d, c, impl, sizeof impl);
    bool amx_brgconv = !strncmp(impl, "brgconv:", 8) && strstr(impl, "amx");
    bool strided_1x1 = c->backward_data && !strncmp(impl, "jit_1x1", 7);
    tst_true(made && !amx_brgconv && !strided_1x1, "%s: %s", c->what, made ? impl : "no primitive");
  }
  avs_ctx_free(&ctx);
  return tst_finish();
}
