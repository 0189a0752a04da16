/* Optimizers over parameter tensors (grads filled by avs_backward), gradient
 * clipping, and parameter initialisation as PyTorch's layers do it. */
#ifndef AVS_OPTIM_H
#define AVS_OPTIM_H

#include "av/rng.h"
#include "av/tensor.h"

typedef struct avs_optim avs_optim;

/* torch.optim.SGD: momentum (0 = none), dampening 0, optional Nesterov, L2 weight decay. */
avs_optim *avs_sgd_new(avs_tensor *const *params, int n, float lr, float momentum, float weight_decay,
                       bool nesterov);
/* torch.optim.Adam (decoupled=false, weight decay added to the gradient) or
 * torch.optim.AdamW (decoupled=true). beta1 = beta2 = 0 means (0.9, 0.999); eps 0 means 1e-8. */
avs_optim *avs_adam_new(avs_tensor *const *params, int n, float lr, float beta1, float beta2, float eps,
                        float weight_decay, bool decoupled);
void avs_optim_step(avs_optim *opt);       /* also bumps each parameter's version */
void avs_optim_zero_grad(avs_optim *opt);
void avs_optim_set_lr(avs_optim *opt, float lr);
/* Parameter i (of those given to *_new) steps at lr x scale (1 by default), as a
 * PyTorch param group with its own lr: per-module learning rates. */
int avs_optim_set_lr_scale(avs_optim *opt, int i, float scale);
float avs_optim_lr(const avs_optim *opt);
void avs_optim_free(avs_optim **opt);

/* Checkpoints. write adds each stepped parameter's state to w: its buffers as
 * tensors "<name>.momentum_buffer" (SGD) or "<name>.exp_avg" and
 * "<name>.exp_avg_sq" (Adam), its step count as metadata "<name>.step", and
 * "optim.kind" ("sgd" or "adam"). Buffers are referenced until w is saved.
 * read restores them from a file that write made for the same parameters:
 * parameters absent from it start fresh; a kind or shape mismatch is
 * AVS_EFORMAT naming the tensor. */
struct avs_st;
struct avs_st_writer;
int avs_optim_state_write(const avs_optim *opt, struct avs_st_writer *w);
int avs_optim_state_read(avs_optim *opt, const struct avs_st *st);

/* torch.nn.utils.clip_grad_norm_: scales all grads so their joint L2 norm is at
 * most max_norm; returns the norm before clipping. */
float avs_clip_grad_norm(avs_tensor *const *params, int n, float max_norm);

/* Initialisers. fan_in = in_channels/groups * prod(kernel) for conv weights. */
void avs_init_uniform(avs_tensor *t, float lo, float hi, avs_rng *rng);
void avs_init_normal(avs_tensor *t, float mean, float std, avs_rng *rng);
void avs_init_constant(avs_tensor *t, float value);
/* kaiming_uniform_(a, mode fan_in, leaky_relu gain). */
void avs_init_kaiming_uniform(avs_tensor *t, float a, int64_t fan_in, avs_rng *rng);
/* kaiming_normal_(mode fan_out, relu) as torchvision's ResNets use. */
void avs_init_kaiming_normal_fan_out(avs_tensor *t, int64_t fan_out, avs_rng *rng);
void avs_init_xavier_uniform(avs_tensor *t, int64_t fan_in, int64_t fan_out, avs_rng *rng);
/* The default reset_parameters() of nn.Conv*d / nn.Linear: weight
 * kaiming_uniform(a=sqrt(5)), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias may be NULL.
 * fan_in is computed from w's shape (dims 1..). */
void avs_init_torch_default(avs_tensor *w, avs_tensor *b, avs_rng *rng);

#endif
