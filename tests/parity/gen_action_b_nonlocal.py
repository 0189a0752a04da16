"""Non-local block reference for test_action_b_nonlocal.c: NONLocalBlock3D of
AlexHex7/Non-local_pytorch (embedded Gaussian), written out as that port builds
it, with random weights (its BN starts at zero, which would make the block the
identity and every gradient but W's zero, so the BN is randomised too).

Per case <c>: c.w.<name> the block's state_dict, c.x (N,T,H,W,C), and for
mode m in (eval, train): c.m.y, c.m.gy, c.m.gx, c.m.grad.<name> (gradients of
sum(y * gy)); c.train.after.<buffer> the BN statistics after the train step.
Results are computed in float64; c.err.<key> holds PyTorch's own float32
deviation from each (some gradients are zero up to rounding: the conv biases
before a train-mode BN, g's bias under attention rows that sum to 1, phi's
bias under a softmax that ignores a constant shift)."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from ref import Writer, cl


class NONLocalBlock3D(nn.Module):
    def __init__(self, in_channels, inter_channels=None, sub_sample=True):
        super().__init__()
        self.inter_channels = inter_channels or max(in_channels // 2, 1)
        self.g = nn.Conv3d(in_channels, self.inter_channels, 1)
        self.W = nn.Sequential(nn.Conv3d(self.inter_channels, in_channels, 1), nn.BatchNorm3d(in_channels))
        nn.init.constant_(self.W[1].weight, 0)
        nn.init.constant_(self.W[1].bias, 0)
        self.theta = nn.Conv3d(in_channels, self.inter_channels, 1)
        self.phi = nn.Conv3d(in_channels, self.inter_channels, 1)
        if sub_sample:
            pool = nn.MaxPool3d(kernel_size=(1, 2, 2))
            self.g = nn.Sequential(self.g, pool)
            self.phi = nn.Sequential(self.phi, pool)

    def forward(self, x):
        n = x.size(0)
        g_x = self.g(x).view(n, self.inter_channels, -1).permute(0, 2, 1)
        theta_x = self.theta(x).view(n, self.inter_channels, -1).permute(0, 2, 1)
        phi_x = self.phi(x).view(n, self.inter_channels, -1)
        f_div_c = F.softmax(torch.matmul(theta_x, phi_x), dim=-1)
        y = torch.matmul(f_div_c, g_x).permute(0, 2, 1).contiguous()
        y = y.view(n, self.inter_channels, *x.size()[2:])
        return self.W(y) + x


def run(block, state, x, gy_seed, mode):
    block.load_state_dict(state, strict=False)
    block.train(mode == "train")
    xi = x.clone().requires_grad_()
    y = block(xi)
    gy = torch.randn(y.shape, generator=torch.Generator().manual_seed(gy_seed)).to(y.dtype)
    params = dict(block.named_parameters())
    grads = torch.autograd.grad(y, [xi] + list(params.values()), gy)
    out = {f"{mode}.y": y, f"{mode}.gy": gy, f"{mode}.gx": grads[0]}
    for k, g in zip(params, grads[1:]):
        out[f"{mode}.grad.{k}"] = g
    if mode == "train":
        for k, v in block.state_dict().items():
            if v.is_floating_point() and k not in params:
                out[f"train.after.{k}"] = v.clone()
    return out


def case(name, n, c, size, sub_sample):
    block = NONLocalBlock3D(c, sub_sample=sub_sample)
    with torch.no_grad():
        bn = block.W[1]
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
        bn.running_mean.normal_(0, 0.2)
        bn.running_var.uniform_(0.5, 1.5)
    state = {k: v.clone() for k, v in block.state_dict().items() if v.is_floating_point()}
    block64 = copy.deepcopy(block).double()
    state64 = {k: v.double() for k, v in state.items()}
    x = torch.randn(n, c, *size)
    out = {f"w.{k}": v for k, v in state.items()}
    out["x"] = cl(x)
    for i, mode in enumerate(("eval", "train")):
        r32, r64 = run(block, state, x, i, mode), run(block64, state64, x.double(), i, mode)
        for k, v in r64.items():
            activation = v.dim() == 5 and not k.startswith(f"{mode}.grad.")
            out[k] = (v.permute(0, 2, 3, 4, 1) if activation else v).float().contiguous()
            out[f"err.{k}"] = (r32[k].double() - v).abs().max().float()
    w.case(name, {"channels": c, "sub_sample": int(sub_sample)}, **out)


if __name__ == "__main__":
    w = Writer()
    torch.manual_seed(0)
    case("sub", 2, 16, (3, 6, 7), True)     # odd width: the 1x2x2 pool drops the last column
    case("nosub", 1, 8, (2, 4, 5), False)
    case("wide", 2, 64, (4, 8, 8), True)    # blocked oneDNN layouts, 16x64 attention
    w.save()
