"""MViT reference for test_action_b_mvit.c: MViT v1 of facebookresearch/SlowFast
(video_model_builder.MViT with attention.MultiScaleBlock, MultiScaleAttention,
attention_pool, stem_helper.PatchEmbed, head_helper.TransformerBasicHead),
written out as those files build it for SEP_POS_EMBED and CLS_EMBED_ON, no
dropout or drop path, and returning the head's logits (SlowFast applies
softmax to them in evaluation).

Three small configurations on 4 x 32 x 32 clips (average pooling: 6 x 32 x 32),
random weights:
  argv[1]          conv pooling (MViT-B's): width 64, 1 head, 3 blocks, stage 2 at block 1,
                   k/v stride adaptive from 1x4x4
  ..._max, ..._avg max / average pooling: width 32, 2 heads, 2 blocks, stage 2 at block 1,
                   k/v stride adaptive from 1x2x2"""
import math
import sys
from functools import partial

import numpy
import torch
import torch.nn as nn

import gen_action_b_common as common


def round_width(width, multiplier, min_width=1, divisor=1):
    if not multiplier:
        return width
    width *= multiplier
    min_width = min_width or divisor
    width_out = max(min_width, int(width + divisor / 2) // divisor * divisor)
    if width_out < 0.9 * width:
        width_out += divisor
    return int(width_out)


def attention_pool(tensor, pool, thw_shape, has_cls_embed=True, norm=None):
    if pool is None:
        return tensor, thw_shape
    tensor_dim = tensor.ndim
    if tensor_dim == 3:
        tensor = tensor.unsqueeze(1)
    if has_cls_embed:
        cls_tok, tensor = tensor[:, :, :1, :], tensor[:, :, 1:, :]
    B, N, L, C = tensor.shape
    T, H, W = thw_shape
    tensor = tensor.reshape(B * N, T, H, W, C).permute(0, 4, 1, 2, 3).contiguous()
    tensor = pool(tensor)
    thw_shape = [tensor.shape[2], tensor.shape[3], tensor.shape[4]]
    L_pooled = tensor.shape[2] * tensor.shape[3] * tensor.shape[4]
    tensor = tensor.reshape(B, N, C, L_pooled).transpose(2, 3)
    if has_cls_embed:
        tensor = torch.cat((cls_tok, tensor), dim=2)
    if norm is not None:
        tensor = norm(tensor)
    if tensor_dim == 3:
        tensor = tensor.squeeze(1)
    return tensor, thw_shape


class MultiScaleAttention(nn.Module):
    def __init__(self, dim, num_heads=8, qkv_bias=False, kernel_q=(1, 1, 1), kernel_kv=(1, 1, 1),
                 stride_q=(1, 1, 1), stride_kv=(1, 1, 1), norm_layer=nn.LayerNorm, has_cls_embed=True, mode="conv"):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim ** -0.5
        self.has_cls_embed = has_cls_embed
        padding_q = [int(q // 2) for q in kernel_q]
        padding_kv = [int(kv // 2) for kv in kernel_kv]
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.k = nn.Linear(dim, dim, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        if numpy.prod(kernel_q) == 1 and numpy.prod(stride_q) == 1:
            kernel_q = ()
        if numpy.prod(kernel_kv) == 1 and numpy.prod(stride_kv) == 1:
            kernel_kv = ()
        if mode in ("avg", "max"):
            pool_op = nn.MaxPool3d if mode == "max" else nn.AvgPool3d
            self.pool_q = pool_op(kernel_q, stride_q, padding_q, ceil_mode=False) if len(kernel_q) > 0 else None
            self.pool_k = pool_op(kernel_kv, stride_kv, padding_kv, ceil_mode=False) if len(kernel_kv) > 0 else None
            self.pool_v = pool_op(kernel_kv, stride_kv, padding_kv, ceil_mode=False) if len(kernel_kv) > 0 else None
        elif mode == "conv":
            def conv(kernel, stride, padding):
                return nn.Conv3d(head_dim, head_dim, kernel, stride=stride, padding=padding, groups=head_dim,
                                 bias=False)
            self.pool_q = conv(kernel_q, stride_q, padding_q) if len(kernel_q) > 0 else None
            self.norm_q = norm_layer(head_dim) if len(kernel_q) > 0 else None
            self.pool_k = conv(kernel_kv, stride_kv, padding_kv) if len(kernel_kv) > 0 else None
            self.norm_k = norm_layer(head_dim) if len(kernel_kv) > 0 else None
            self.pool_v = conv(kernel_kv, stride_kv, padding_kv) if len(kernel_kv) > 0 else None
            self.norm_v = norm_layer(head_dim) if len(kernel_kv) > 0 else None
        else:
            raise NotImplementedError(mode)

    def forward(self, x, thw_shape):
        B, N, C = x.shape
        q = self.q(x).reshape(B, N, self.num_heads, C // self.num_heads).permute(0, 2, 1, 3)
        k = self.k(x).reshape(B, N, self.num_heads, C // self.num_heads).permute(0, 2, 1, 3)
        v = self.v(x).reshape(B, N, self.num_heads, C // self.num_heads).permute(0, 2, 1, 3)
        q, q_shape = attention_pool(q, self.pool_q, thw_shape, self.has_cls_embed, getattr(self, "norm_q", None))
        k, _ = attention_pool(k, self.pool_k, thw_shape, self.has_cls_embed, getattr(self, "norm_k", None))
        v, _ = attention_pool(v, self.pool_v, thw_shape, self.has_cls_embed, getattr(self, "norm_v", None))
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        N = q.shape[2]
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x), q_shape


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features, out_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class MultiScaleBlock(nn.Module):
    def __init__(self, dim, dim_out, num_heads, mlp_ratio, qkv_bias, norm_layer, kernel_q, kernel_kv, stride_q,
                 stride_kv, mode, has_cls_embed=True):
        super().__init__()
        self.dim, self.dim_out = dim, dim_out
        self.norm1 = norm_layer(dim)
        kernel_skip = [s + 1 if s > 1 else s for s in stride_q]
        stride_skip = stride_q
        padding_skip = [int(skip // 2) for skip in kernel_skip]
        self.attn = MultiScaleAttention(dim, num_heads=num_heads, qkv_bias=qkv_bias, kernel_q=kernel_q,
                                        kernel_kv=kernel_kv, stride_q=stride_q, stride_kv=stride_kv,
                                        norm_layer=nn.LayerNorm, has_cls_embed=has_cls_embed, mode=mode)
        self.norm2 = norm_layer(dim)
        self.has_cls_embed = has_cls_embed
        self.mlp = Mlp(dim, int(dim * mlp_ratio), dim_out)
        if dim != dim_out:
            self.proj = nn.Linear(dim, dim_out)
        self.pool_skip = (nn.MaxPool3d(kernel_skip, stride_skip, padding_skip, ceil_mode=False)
                          if len(kernel_skip) > 0 else None)

    def forward(self, x, thw_shape):
        x_block, thw_shape_new = self.attn(self.norm1(x), thw_shape)
        x_res, _ = attention_pool(x, self.pool_skip, thw_shape, has_cls_embed=self.has_cls_embed)
        x = x_res + x_block
        x_norm = self.norm2(x)
        x_mlp = self.mlp(x_norm)
        if self.dim != self.dim_out:
            x = self.proj(x_norm)
        return x + x_mlp, thw_shape_new


class PatchEmbed(nn.Module):
    def __init__(self, dim_in, dim_out, kernel, stride, padding):
        super().__init__()
        self.proj = nn.Conv3d(dim_in, dim_out, kernel_size=kernel, stride=stride, padding=padding)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TransformerBasicHead(nn.Module):
    def __init__(self, dim_in, num_classes):
        super().__init__()
        self.projection = nn.Linear(dim_in, num_classes, bias=True)

    def forward(self, x):
        return self.projection(x)


class MViT(nn.Module):
    def __init__(self, c):
        super().__init__()
        depth, embed_dim, num_heads = c["depth"], c["dim"], c["heads"]
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.patch_stride = [2, 4, 4]
        self.patch_embed = PatchEmbed(3, embed_dim, (3, 7, 7), self.patch_stride, (1, 3, 3))
        self.patch_dims = [c["frames"] // 2, c["height"] // 4, c["width"] // 4]
        num_patches = math.prod(self.patch_dims)
        self.cls_token = nn.Parameter(torch.randn(1, 1, embed_dim) * 0.5)
        self.pos_embed_spatial = nn.Parameter(torch.randn(1, self.patch_dims[1] * self.patch_dims[2], embed_dim) * 0.5)
        self.pos_embed_temporal = nn.Parameter(torch.randn(1, self.patch_dims[0], embed_dim) * 0.5)
        self.pos_embed_class = nn.Parameter(torch.randn(1, 1, embed_dim) * 0.5)
        assert num_patches == self.patch_dims[0] * self.pos_embed_spatial.shape[1]
        stages = [s for s in c["stages"] if s]
        DIM_MUL = [[s, 2.0] for s in stages]
        HEAD_MUL = [[s, 2.0] for s in stages]
        POOL_Q_STRIDE = [[s, 1, 2, 2] for s in stages]
        POOL_KVQ_KERNEL = [3, 3, 3]
        POOL_KV_STRIDE_ADAPTIVE = [1, c["kv_stride"], c["kv_stride"]]
        dim_mul, head_mul = torch.ones(depth + 1), torch.ones(depth + 1)
        for i in range(len(DIM_MUL)):
            dim_mul[DIM_MUL[i][0]] = DIM_MUL[i][1]
        for i in range(len(HEAD_MUL)):
            head_mul[HEAD_MUL[i][0]] = HEAD_MUL[i][1]
        pool_q = [[] for i in range(depth)]
        pool_kv = [[] for i in range(depth)]
        stride_q = [[] for i in range(depth)]
        stride_kv = [[] for i in range(depth)]
        for i in range(len(POOL_Q_STRIDE)):
            stride_q[POOL_Q_STRIDE[i][0]] = POOL_Q_STRIDE[i][1:]
            pool_q[POOL_Q_STRIDE[i][0]] = POOL_KVQ_KERNEL
        _stride_kv = POOL_KV_STRIDE_ADAPTIVE
        POOL_KV_STRIDE = []
        for i in range(depth):
            if len(stride_q[i]) > 0:
                _stride_kv = [max(_stride_kv[d] // stride_q[i][d], 1) for d in range(len(_stride_kv))]
            POOL_KV_STRIDE.append([i] + _stride_kv)
        for i in range(len(POOL_KV_STRIDE)):
            stride_kv[POOL_KV_STRIDE[i][0]] = POOL_KV_STRIDE[i][1:]
            pool_kv[POOL_KV_STRIDE[i][0]] = POOL_KVQ_KERNEL
        self.blocks = nn.ModuleList()
        for i in range(depth):
            num_heads = round_width(num_heads, head_mul[i])
            embed_dim = round_width(embed_dim, dim_mul[i], divisor=num_heads)
            dim_out = round_width(embed_dim, dim_mul[i + 1], divisor=round_width(num_heads, head_mul[i + 1]))
            self.blocks.append(MultiScaleBlock(
                embed_dim, dim_out, num_heads, c["mlp_ratio"], bool(c["qkv_bias"]), norm_layer,
                kernel_q=pool_q[i], kernel_kv=pool_kv[i], stride_q=stride_q[i], stride_kv=stride_kv[i],
                mode=c["mode"]))
        embed_dim = dim_out
        self.norm = norm_layer(embed_dim)
        self.head = TransformerBasicHead(embed_dim, c["classes"])

    def forward(self, x):
        x = self.patch_embed(x)
        T, H, W = self.patch_dims
        B, N, C = x.shape
        cls_tokens = self.cls_token.expand(B, -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        pos_embed = self.pos_embed_spatial.repeat(1, self.patch_dims[0], 1) + torch.repeat_interleave(
            self.pos_embed_temporal, self.patch_dims[1] * self.patch_dims[2], dim=1)
        pos_embed = torch.cat([self.pos_embed_class, pos_embed], 1)
        x = x + pos_embed
        thw = [T, H, W]
        for blk in self.blocks:
            x, thw = blk(x, thw)
        x = self.norm(x)
        return self.head(x[:, 0])


MODES = {"conv": 0, "max": 1, "avg": 2}


def make(path, frames=4, **cfg):
    c = dict(classes=10, frames=frames, height=32, width=32, mlp_ratio=4, qkv_bias=1, **cfg)
    torch.manual_seed(0)
    model = MViT(c)
    common.randomize_norms(model, None)
    shape = (3, c["frames"], c["height"], c["width"])
    meta = {k: v for k, v in c.items() if k not in ("stages", "mode")}
    meta.update(pool_mode=MODES[c["mode"]], stage2=c["stages"][0], stage3=c["stages"][1], stage4=c["stages"][2])
    loss = common.write(path, model, torch.randn(2, *shape), torch.randn(3, *shape),
                        torch.randint(0, c["classes"], (3,)), meta)
    print(f"{path}: {sum(p.numel() for p in model.parameters())} parameters, train loss {loss:.4f}")


make(sys.argv[1], dim=64, heads=1, depth=3, stages=(1, 0, 0), kv_stride=4, mode="conv")
for mode, frames in (("max", 4), ("avg", 6)):  # PyTorch's avg_pool3d wants T >= 3 before padding
    make(sys.argv[1].replace(".safetensors", f"_{mode}.safetensors"), frames, dim=32, heads=2, depth=2,
         stages=(1, 0, 0), kv_stride=2, mode=mode)
