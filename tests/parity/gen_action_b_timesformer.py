"""TimeSformer reference for test_action_b_timesformer.c: the divided space-time
VisionTransformer of facebookresearch/TimeSformer (timesformer/models/vit.py),
written out as that file builds it (einops rearranges spelled as reshape and
permute), inside the TimeSformer wrapper whose attribute `model` gives the
state_dict names their "model." prefix. A small configuration (width 64,
2 blocks, 4 heads, 8-pixel patches, 4 x 32 x 32 clips), random weights with
embeddings and LayerNorms drawn large enough to matter, no dropout or drop path."""
import sys
from functools import partial

import torch
import torch.nn as nn

import gen_action_b_common as common

CFG = dict(classes=10, frames=4, height=32, width=32, patch=8, dim=64, depth=2, heads=4, mlp_ratio=4, qkv_bias=1)


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, num_heads, qkv_bias):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, qkv_bias, norm_layer):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = Attention(dim, num_heads, qkv_bias)
        self.temporal_norm1 = norm_layer(dim)
        self.temporal_attn = Attention(dim, num_heads, qkv_bias)
        self.temporal_fc = nn.Linear(dim, dim)
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x, B, T, W):
        num_spatial_tokens = (x.size(1) - 1) // T
        H = num_spatial_tokens // W
        M = x.size(2)
        # Temporal: 'b (h w t) m -> (b h w) t m'
        xt = x[:, 1:, :].reshape(B * H * W, T, M)
        res_temporal = self.temporal_attn(self.temporal_norm1(xt))
        res_temporal = res_temporal.reshape(B, H * W * T, M)          # '(b h w) t m -> b (h w t) m'
        res_temporal = self.temporal_fc(res_temporal)
        xt = x[:, 1:, :] + res_temporal
        # Spatial
        init_cls_token = x[:, 0, :].unsqueeze(1)
        cls_token = init_cls_token.repeat(1, T, 1).reshape(B * T, M).unsqueeze(1)  # 'b t m -> (b t) m'
        xs = xt.reshape(B, H * W, T, M).permute(0, 2, 1, 3).reshape(B * T, H * W, M)  # 'b (h w t) m -> (b t) (h w) m'
        xs = torch.cat((cls_token, xs), 1)
        res_spatial = self.attn(self.norm1(xs))
        cls_token = res_spatial[:, 0, :].reshape(B, T, M)             # '(b t) m -> b t m'
        cls_token = torch.mean(cls_token, 1, True)
        res_spatial = res_spatial[:, 1:, :]
        res_spatial = res_spatial.reshape(B, T, H * W, M).permute(0, 2, 1, 3).reshape(B, H * W * T, M)
        x = torch.cat((init_cls_token, xt), 1) + torch.cat((cls_token, res_spatial), 1)
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size, in_chans, embed_dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        B, C, T, H, W = x.shape
        x = x.permute(0, 2, 1, 3, 4).reshape(B * T, C, H, W)  # 'b c t h w -> (b t) c h w'
        x = self.proj(x)
        W = x.size(-1)
        return x.flatten(2).transpose(1, 2), T, W


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch_size, num_classes, embed_dim, depth, num_heads, mlp_ratio, qkv_bias,
                 num_frames):
        super().__init__()
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.patch_embed = PatchEmbed(patch_size, 3, embed_dim)
        num_patches = (img_size[0] // patch_size) * (img_size[1] // patch_size)
        self.cls_token = nn.Parameter(torch.randn(1, 1, embed_dim) * 0.5)
        self.pos_embed = nn.Parameter(torch.randn(1, num_patches + 1, embed_dim) * 0.5)
        self.time_embed = nn.Parameter(torch.randn(1, num_frames, embed_dim) * 0.5)
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads, mlp_ratio, qkv_bias, norm_layer)
                                     for _ in range(depth)])
        self.norm = norm_layer(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)

    def forward_features(self, x):
        B = x.shape[0]
        x, T, W = self.patch_embed(x)
        cls_tokens = self.cls_token.expand(x.size(0), -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        x = x + self.pos_embed
        cls_tokens = x[:B, 0, :].unsqueeze(1)
        x = x[:, 1:]
        n, m = x.size(1), x.size(2)
        x = x.reshape(B, T, n, m).permute(0, 2, 1, 3).reshape(B * n, T, m)  # '(b t) n m -> (b n) t m'
        x = x + self.time_embed
        x = x.reshape(B, n * T, m)                                          # '(b n) t m -> b (n t) m'
        x = torch.cat((cls_tokens, x), dim=1)
        for blk in self.blocks:
            x = blk(x, B, T, W)
        x = self.norm(x)
        return x[:, 0]

    def forward(self, x):
        return self.head(self.forward_features(x))


class TimeSformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = VisionTransformer((c["height"], c["width"]), c["patch"], c["classes"], c["dim"], c["depth"],
                                       c["heads"], c["mlp_ratio"], bool(c["qkv_bias"]), c["frames"])

    def forward(self, x):
        return self.model(x)


torch.manual_seed(0)
model = TimeSformer(CFG)
common.randomize_norms(model, None)
shape = (3, CFG["frames"], CFG["height"], CFG["width"])
loss = common.write(sys.argv[1], model, torch.randn(2, *shape), torch.randn(3, *shape),
                    torch.randint(0, CFG["classes"], (3,)), CFG)
print(f"timesformer: {sum(p.numel() for p in model.parameters())} parameters, train loss {loss:.4f}")
