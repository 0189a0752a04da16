"""I3D reference for test_action_b_i3d.c: the InceptionI3d of piergiaj/pytorch-i3d
(pytorch_i3d.py), written out here as that port builds it (Unit3D with TF "SAME"
zero padding, BatchNorm3d eps 1e-3 momentum 0.01, MaxPool3dSamePadding padding
with zeros, InceptionModule branches b0, b1a/b1b, b2a/b2b, b3a/b3b).

Two differences from the port, both mirrored by avs_i3d_forward: the final
AvgPool3d's 2x7x7 window is clipped to the feature grid, so small clips work,
and the per-time logits (N, classes, T') are averaged into (N, classes).

Two references are written: the RGB stream (3 channels), eval mode at an odd
size (9x36x44, where "SAME" padding is uneven), a training step at 8x32x32 with
batch norms on their running statistics (norm_eval) and a training-mode forward
with batch statistics; the flow stream (2 channels), eval mode only at 8x32x32
(it differs from RGB only in Conv3d_1a_7x7's input channels, and its weights
alone are 48 MB).

Why the gradients are checked with norm_eval: at 8x32x32 the last stages see
grids of 2x2x2 and 1x1x1, so batch statistics are taken over 2-16 values and
the 3x3x3 max pools of Mixed_4*/5* span the whole grid. Gradients through
batch statistics then become ill-conditioned (PyTorch's own float32 gradients
differ from float64 by up to ~600 times the 1e-3 bound), and a near tie in one
of those max pools, which float32 rounding may break either way, moves the
gradient of a whole channel. With fixed statistics the network is
well-conditioned (PyTorch float32 within 0.02 of the bound from a float64
reference, so the float32 step serves as the reference here) and every
backward path but the batch-statistics one is exercised; that one is covered
by the batch-norm op tests and test_train_cnn.c. Its forward (logits, running
statistics) is checked here, against float64."""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import gen_action_b_common as common


def same_pad(size, k, s):
    """The port's compute_pad: total padding of one dim."""
    return max(k - s, 0) if size % s == 0 else max(k - size % s, 0)


def pad_same(x, k, s):
    pads = []
    for d in (2, 1, 0):  # F.pad lists the last dim first: W, H, T
        p = same_pad(x.shape[2 + d], k[d], s[d])
        pads += [p // 2, p - p // 2]
    return F.pad(x, pads)


class MaxPool3dSamePadding(nn.MaxPool3d):
    def forward(self, x):
        return super().forward(pad_same(x, self.kernel_size, self.stride))


class Unit3D(nn.Module):
    def __init__(self, in_channels, output_channels, kernel_shape=(1, 1, 1), stride=(1, 1, 1),
                 activation_fn=F.relu, use_batch_norm=True, use_bias=False):
        super().__init__()
        self.kernel_shape, self.stride = tuple(kernel_shape), tuple(stride)
        self.activation_fn, self.use_batch_norm = activation_fn, use_batch_norm
        self.conv3d = nn.Conv3d(in_channels, output_channels, kernel_shape, stride=stride, padding=0, bias=use_bias)
        if use_batch_norm:
            self.bn = nn.BatchNorm3d(output_channels, eps=0.001, momentum=0.01)

    def forward(self, x):
        x = self.conv3d(pad_same(x, self.kernel_shape, self.stride))
        if self.use_batch_norm:
            x = self.bn(x)
        if self.activation_fn is not None:
            x = self.activation_fn(x)
        return x


class InceptionModule(nn.Module):
    def __init__(self, in_channels, out):
        super().__init__()
        self.b0 = Unit3D(in_channels, out[0], [1, 1, 1])
        self.b1a = Unit3D(in_channels, out[1], [1, 1, 1])
        self.b1b = Unit3D(out[1], out[2], [3, 3, 3])
        self.b2a = Unit3D(in_channels, out[3], [1, 1, 1])
        self.b2b = Unit3D(out[3], out[4], [3, 3, 3])
        self.b3a = MaxPool3dSamePadding(kernel_size=[3, 3, 3], stride=(1, 1, 1), padding=0)
        self.b3b = Unit3D(in_channels, out[5], [1, 1, 1])

    def forward(self, x):
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], 1)


class InceptionI3d(nn.Module):
    def __init__(self, num_classes=400, in_channels=3, dropout=0.5):
        super().__init__()
        ep = {}
        ep["Conv3d_1a_7x7"] = Unit3D(in_channels, 64, [7, 7, 7], stride=(2, 2, 2))
        ep["MaxPool3d_2a_3x3"] = MaxPool3dSamePadding(kernel_size=[1, 3, 3], stride=(1, 2, 2), padding=0)
        ep["Conv3d_2b_1x1"] = Unit3D(64, 64, [1, 1, 1])
        ep["Conv3d_2c_3x3"] = Unit3D(64, 192, [3, 3, 3])
        ep["MaxPool3d_3a_3x3"] = MaxPool3dSamePadding(kernel_size=[1, 3, 3], stride=(1, 2, 2), padding=0)
        ep["Mixed_3b"] = InceptionModule(192, [64, 96, 128, 16, 32, 32])
        ep["Mixed_3c"] = InceptionModule(256, [128, 128, 192, 32, 96, 64])
        ep["MaxPool3d_4a_3x3"] = MaxPool3dSamePadding(kernel_size=[3, 3, 3], stride=(2, 2, 2), padding=0)
        ep["Mixed_4b"] = InceptionModule(128 + 192 + 96 + 64, [192, 96, 208, 16, 48, 64])
        ep["Mixed_4c"] = InceptionModule(192 + 208 + 48 + 64, [160, 112, 224, 24, 64, 64])
        ep["Mixed_4d"] = InceptionModule(160 + 224 + 64 + 64, [128, 128, 256, 24, 64, 64])
        ep["Mixed_4e"] = InceptionModule(128 + 256 + 64 + 64, [112, 144, 288, 32, 64, 64])
        ep["Mixed_4f"] = InceptionModule(112 + 288 + 64 + 64, [256, 160, 320, 32, 128, 128])
        ep["MaxPool3d_5a_2x2"] = MaxPool3dSamePadding(kernel_size=[2, 2, 2], stride=(2, 2, 2), padding=0)
        ep["Mixed_5b"] = InceptionModule(256 + 320 + 128 + 128, [256, 160, 320, 32, 128, 128])
        ep["Mixed_5c"] = InceptionModule(256 + 320 + 128 + 128, [384, 192, 384, 48, 128, 128])
        self.end_points = list(ep)
        self.dropout = nn.Dropout(dropout)
        self.logits = Unit3D(384 + 384 + 128 + 128, num_classes, [1, 1, 1], activation_fn=None,
                             use_batch_norm=False, use_bias=True)
        for k, m in ep.items():
            self.add_module(k, m)

    def forward(self, x):
        for k in self.end_points:
            x = self._modules[k](x)
        kernel = [min(a, b) for a, b in zip((2, 7, 7), x.shape[2:])]
        x = self.logits(self.dropout(F.avg_pool3d(x, kernel, stride=1)))
        return x.mean(dim=(2, 3, 4))  # the port: x.squeeze(3).squeeze(3) -> (N, classes, T')


def make(path, in_channels, classes, eval_shape, train_shape, seed):
    torch.manual_seed(seed)
    model = InceptionI3d(num_classes=classes, in_channels=in_channels, dropout=0.0)
    common.randomize_norms(model, torch.randn(6, in_channels, *(train_shape or eval_shape)))
    eval_x = torch.randn(1, in_channels, *eval_shape)
    train_x = torch.randn(2, in_channels, *train_shape) if train_shape else None
    bs_x = torch.randn(2, in_channels, *train_shape) if train_shape else None
    labels = torch.randint(0, classes, (2,))
    loss = common.write(path, model, eval_x, train_x, labels, dict(in_channels=in_channels, classes=classes),
                        norm_eval=True, batch_stats_x=bs_x, train64=False)
    print(f"{path}: {sum(p.numel() for p in model.parameters())} parameters, train loss {loss}")


if __name__ == "__main__":
    # argv[1]: the RGB reference; the flow reference beside it (..._flow.safetensors).
    make(sys.argv[1], 3, 10, (9, 36, 44), (8, 32, 32), 0)
    make(sys.argv[1].replace(".safetensors", "_flow.safetensors"), 2, 7, (8, 32, 32), None, 1)
