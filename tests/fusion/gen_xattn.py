"""Reference for test_xattn.c: the cross-modal attention separation model of
docs/MODELS.md ("Cross-modal attention separation", fusion/xattn.h), written
here in PyTorch from that description, at random weights and a small size.

Module names are the C model's state_dict names:
  audio.bn0, audio.down.<i>.conv/.bn, audio.proj, audio.up.<j>.conv/.bn
  video.stem.0/.1, video.layer<1..4>.<b>.conv1.0/... (torchvision's video BasicBlock), video.proj
  xattn.audio_pos, xattn.visual_pos, xattn.attn (nn.MultiheadAttention), xattn.norm1,
  xattn.mlp.fc1/.fc2, xattn.norm2
  synth, film.<j> (with film = 1: Linear dim -> 2 x up.<j>'s width, from the mean visual token)
  audio.nmf.dictionary (with nmf = C > 0: a buffer; the input's channels 1..C, NMF share logits,
  join the decoder's K features before the synthesizer)
Two files: PATH (nmf = 0) and PATH with _nmf before .safetensors (nmf = 2).

Written (channels-last where the C side is):
  w.<name>            every state_dict tensor
  boxes               (S, 4) source boxes in [0, 1] (a box, a point, the whole frame)
  weights             (N, S, Lv) their pooling weights, as avs_xattn_region_weights documents
  logmag, frames      inputs (N,F,T,1+nmf) and (N,T,H,W,3)
  eval.masks          eval-mode mask logits (N,S,F,T)
  eval.attn           eval-mode attention weights (N,heads,La,Lv)
  eval.heat           overall heatmap (N,1,T,H',W'); eval.heat_src per source (N,S,T,H',W')
  train.target, train.weight   a binary target and per-bin weights (N,S,F,T)
  train.masks, train.loss      one train-mode (batch statistics) forward, weighted BCE with logits
  grad.<name>         every parameter's gradient of that loss; after.<name> the buffers after it
  err.<key>           PyTorch's float32 deviation from the float64 results (those are stored)
"""
import copy
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.video.resnet import BasicBlock, Conv3DNoTemporal, Conv3DSimple

import gen_action_b_common as common
import st

torch.set_num_threads(2)

CFG = dict(freq=32, time=16, ngf=4, down=3, frames=2, height=32, width=48, vwidth=4, vblocks=2, dim=16, heads=2,
           mlp=24, mask_channels=3, film=1, nmf=0, nmf_components=20, nmf_iters=50)
N, S = 2, 3


class Down(nn.Module):
    def __init__(self, cin, cout, first):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=first)
        self.bn = None if first else nn.BatchNorm2d(cout)

    def forward(self, x):
        x = self.conv(x)
        return F.leaky_relu(x if self.bn is None else self.bn(x), 0.2)


class Up(nn.Module):
    def __init__(self, cin, cout, last):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1, bias=last)
        self.bn = None if last else nn.BatchNorm2d(cout)

    def forward(self, x, size):
        x = self.conv(F.interpolate(x, size=size, mode="bilinear", align_corners=False))
        return x if self.bn is None else F.relu(self.bn(x))


class Audio(nn.Module):
    """U-Net: encoder to tokens, decoder from the attended tokens with skips."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        width = [None] + [c["ngf"] << min(i - 1, 3) for i in range(1, c["down"] + 1)]  # level i's width
        self.bn0 = nn.BatchNorm2d(1 + c["nmf"])
        self.down = nn.ModuleList([Down(width[i] if i else 1 + c["nmf"], width[i + 1], i == 0)
                                   for i in range(c["down"])])
        if c["nmf"]:  # audio.nmf.dictionary: the class dictionaries behind the input's shares (not used by the net)
            self.nmf = nn.Module()
            self.nmf.register_buffer("dictionary", torch.rand(c["nmf"], 512, c["nmf_components"]))
        self.proj = nn.Linear(width[c["down"]], c["dim"])
        up = []
        for j in range(c["down"]):
            frm, to = c["down"] - j, c["down"] - j - 1
            cin = 2 * width[frm] if j else c["dim"]
            up.append(Up(cin, width[to] if to else c["mask_channels"], to == 0))
        self.up = nn.ModuleList(up)

    def encode(self, x):
        levels = [self.bn0(x)]
        for d in self.down:
            levels.append(d(levels[-1]))
        return levels

    def decode(self, h, levels, film):
        """film: the (N, 2C) FiLM parameters (gamma, beta) of each up.<j> but the last, or None."""
        c = self.c
        for j, u in enumerate(self.up):
            to = c["down"] - j - 1
            size = (c["freq"] >> to, c["time"] >> to)
            if to and film:
                gamma, beta = film[j][:, :, None, None].chunk(2, 1)
                h = F.relu(u.bn(u.conv(F.interpolate(h, size=size, mode="bilinear", align_corners=False)))
                           * (1 + gamma) + beta)
            else:
                h = u(h, size)
            if to:
                h = torch.cat([h, levels[to]], 1)
        return h


class Video(nn.Module):
    """Stem + 4 stages of torchvision's video basic blocks (layer1 3-D, the rest no-temporal /2)."""

    def __init__(self, c):
        super().__init__()
        w = c["vwidth"]
        self.stem = nn.Sequential(nn.Conv3d(3, w, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False), nn.BatchNorm3d(w),
                                  nn.ReLU(inplace=True))
        self.inplanes = w
        self.layer1 = self.make_layer(Conv3DSimple, w, c["vblocks"], 1)
        self.layer2 = self.make_layer(Conv3DNoTemporal, 2 * w, c["vblocks"], 2)
        self.layer3 = self.make_layer(Conv3DNoTemporal, 4 * w, c["vblocks"], 2)
        self.layer4 = self.make_layer(Conv3DNoTemporal, 8 * w, c["vblocks"], 2)
        self.proj = nn.Linear(8 * w, c["dim"])

    def make_layer(self, conv, planes, blocks, stride):  # torchvision's VideoResNet._make_layer
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv3d(self.inplanes, planes, 1, stride=conv.get_downsample_stride(stride), bias=False),
                nn.BatchNorm3d(planes))
        layers = [BasicBlock(self.inplanes, planes, conv, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes, conv) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.proj(x.flatten(2).transpose(1, 2))  # tokens in (t, h, w) order


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Fusion(nn.Module):
    """Audio tokens attend to visual tokens: post-norm cross-attention block."""

    def __init__(self, c, la, lv):
        super().__init__()
        d = c["dim"]
        self.audio_pos = nn.Parameter(torch.zeros(1, la, d))
        self.visual_pos = nn.Parameter(torch.zeros(1, lv, d))
        self.attn = nn.MultiheadAttention(d, c["heads"], batch_first=True)
        self.norm1, self.mlp, self.norm2 = nn.LayerNorm(d), Mlp(d, c["mlp"]), nn.LayerNorm(d)

    def forward(self, a, v):
        o, w = self.attn(a + self.audio_pos, v + self.visual_pos, v, need_weights=True, average_attn_weights=False)
        x = self.norm1(a + o)
        return self.norm2(x + self.mlp(x)), w


class XAttn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.fa, self.ta = c["freq"] >> c["down"], c["time"] >> c["down"]
        self.grid = (c["frames"], c["height"] // 16, c["width"] // 16)
        self.audio, self.video = Audio(c), Video(c)
        self.xattn = Fusion(c, self.fa * self.ta, int(np.prod(self.grid)))
        self.synth = nn.Linear(c["dim"], c["mask_channels"] + c["nmf"] + 1)
        if c["film"]:  # film.<j>: the mean visual token -> (gamma, beta) of up.<j>'s BN output
            self.film = nn.ModuleDict({str(j): nn.Linear(c["dim"], 2 * self.audio.up[j].conv.out_channels)
                                       for j in range(c["down"] - 1)})

    def forward(self, logmag, frames, weights):
        """logmag (N,1+nmf,F,T), frames (N,3,T,H,W), weights (N,S,Lv) -> mask logits (N,S,F,T),
        attention weights (N,heads,La,Lv). With nmf, channels 1.. are NMF share logits."""
        levels = self.audio.encode(logmag)
        a = self.audio.proj(levels[-1].flatten(2).transpose(1, 2))  # tokens in (f, t) order
        v = self.video(frames)
        x, attn = self.xattn(a, v)
        h = x.transpose(1, 2).reshape(x.shape[0], -1, self.fa, self.ta)
        film = [self.film[str(j)](v.mean(1)) for j in range(len(self.film))] if self.c["film"] else None
        feat = self.audio.decode(h, levels, film)  # (N,K,F,T)
        if self.c["nmf"]:  # the share logits join the features
            feat = torch.cat([feat, logmag[:, 1:]], 1)
        kern = self.synth(weights @ v)  # (N,S,K+nmf+1)
        k = self.c["mask_channels"] + self.c["nmf"]
        masks = torch.einsum("nsk,nkft->nsft", kern[..., :k], feat) + kern[..., k, None, None]
        return masks, attn

    def heatmap(self, attn, masks=None):
        mean = attn.mean(1)  # (N,La,Lv)
        if masks is None:
            w = torch.ones(mean.shape[0], 1, mean.shape[1], dtype=mean.dtype)
        else:
            m = torch.sigmoid(masks)
            cell = (self.c["freq"] // self.fa, self.c["time"] // self.ta)
            w = F.avg_pool2d(m, cell).flatten(2)  # (N,S,La)
        w = w / w.sum(-1, keepdim=True)
        return (w @ mean).reshape(mean.shape[0], w.shape[1], *self.grid)


def region_weights(box, grid):
    """avs_xattn_region_weights: cell areas inside the box, normalised over all frames."""
    t, h, w = grid
    x0, y0, x1, y1 = box[0] * w, box[1] * h, box[2] * w, box[3] * h
    ov = lambda a, b, c0: max(0.0, min(b, c0 + 1) - max(a, c0))
    frame = np.array([[ov(x0, x1, x) * ov(y0, y1, y) for x in range(w)] for y in range(h)])
    if frame.sum() <= 0:
        frame = np.zeros((h, w))
        frame[min(int(np.floor((y0 + y1) / 2)), h - 1), min(int(np.floor((x0 + x1) / 2)), w - 1)] = 1
    frame /= frame.sum() * t
    return np.tile(frame.reshape(-1), t)


class Calib(nn.Module):
    """For common.randomize_norms, which calls model(calib) with one argument."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, args):
        return self.model(*args)


def main(path, c):
    torch.manual_seed(0)
    model = XAttn(c)
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():  # make the zero-initialised tensors count
        for t in (model.xattn.audio_pos, model.xattn.visual_pos):
            t.normal_(0, 0.5, generator=g)
        model.xattn.attn.in_proj_bias.normal_(0, 0.2, generator=g)
        model.xattn.attn.out_proj.bias.normal_(0, 0.2, generator=g)
    boxes = np.array([[0.1, 0.2, 0.55, 0.9], [0.7, 0.4, 0.7, 0.4], [0.0, 0.0, 1.0, 1.0]], dtype=np.float32)
    wts = torch.tensor(np.stack([region_weights(b, model.grid) for b in boxes]), dtype=torch.float32)
    wts = wts.unsqueeze(0).repeat(N, 1, 1)
    logmag = torch.randn(N, 1 + c["nmf"], c["freq"], c["time"])
    logmag[:, 1:] *= 3  # share logits span about +-7
    frames = torch.randn(N, 3, c["frames"], c["height"], c["width"])
    common.randomize_norms(Calib(model), (torch.randn(4, 1 + c["nmf"], c["freq"], c["time"]),
                                          torch.randn(4, 3, c["frames"], c["height"], c["width"]),
                                          wts[:1].repeat(4, 1, 1)))
    out = {f"w.{k}": v.detach().clone().numpy() for k, v in model.state_dict().items() if v.is_floating_point()}
    state = {k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()}
    out.update(boxes=boxes, weights=wts.numpy(), logmag=logmag.permute(0, 2, 3, 1).numpy(),
               frames=common.channels_last(frames))

    model.eval()
    with torch.no_grad():
        masks, attn = model(logmag, frames, wts)
        out["eval.masks"], out["eval.attn"] = masks.numpy(), attn.numpy()
        out["eval.heat"] = model.heatmap(attn).numpy()
        out["eval.heat_src"] = model.heatmap(attn, masks).numpy()

    target = (torch.rand(N, S, c["freq"], c["time"], generator=g) > 0.5).float()
    weight = torch.rand(N, S, c["freq"], c["time"], generator=g) + 0.5
    out["train.target"], out["train.weight"] = target.numpy(), weight.numpy()

    def step(m, dtype):
        m.load_state_dict(state)
        m = m.to(dtype)
        m.train()
        m.zero_grad()
        masks, _ = m(logmag.to(dtype), frames.to(dtype), wts.to(dtype))
        loss = F.binary_cross_entropy_with_logits(masks, target.to(dtype), weight.to(dtype))
        loss.backward()
        r = {"train.masks": masks.detach(), "train.loss": loss.detach()}
        for k, p in m.named_parameters():
            r[f"grad.{k}"] = p.grad.clone()
        r.update(common.buffers_after(m, "after."))
        return r

    r32, r64 = step(model, torch.float32), step(copy.deepcopy(model), torch.float64)
    for k, v in r64.items():
        out[k] = v.float().numpy()
        out[f"err.{k}"] = np.float32((r32[k].double() - v).abs().max().item())
    st.save(path, out, dict(c, sources=S))
    print(f"{path}: {sum(p.numel() for p in model.parameters())} parameters, train loss {r64['train.loss'].item():.6f}")


if __name__ == "__main__":
    main(sys.argv[1], CFG)
    # the NMF prior's channels (nmf = 2) in a second file beside it, which test_xattn.c reads too
    main(sys.argv[1].replace(".safetensors", "_nmf.safetensors"), dict(CFG, nmf=2, nmf_components=5))
