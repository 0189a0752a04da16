"""Training parity reference for test_train_cnn.c: a small CNN trained in PyTorch.

    conv1 3->8 k3 pad1, bn1, relu, max pool 2, conv2 8->16 k3 pad1, relu,
    adaptive avg pool 1, fc 16->4; cross entropy

on a synthetic 4-class image task (oriented stripes of a class-dependent colour,
random phase, noise). Written to argv[1]:
  x (B, N, H, W, 3) channels-last batches, y (B, N) labels as floats;
  step s of every run uses batch s % B, so both sides see identical data.
  init.<name>        initial parameters and buffers (PyTorch's default init, seed 0)
  sgd.loss           loss before each of the SGD steps (lr 0.05, momentum 0.9, wd 1e-4)
  sgd.grad0.<name>   the gradients of the first step
  sgd.after<K>.<name> parameters and running stats after the first K steps
  sgd.eval<K>        eval-mode loss (running statistics) on a held-out batch after K steps
  adam.loss          loss before each Adam step (lr 3e-3), same start
  held_x, held_y     the held-out batch."""
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import st

torch.manual_seed(0)
torch.set_num_threads(2)
rng = np.random.default_rng(0)

N, H, W, CLASSES = 16, 12, 12, 4
B = 24                       # distinct batches, cycled
SGD_STEPS, ADAM_STEPS, K = 150, 20, 20
SGD = dict(lr=0.05, momentum=0.9, weight_decay=1e-4)
ADAM = dict(lr=3e-3)


def batch(n):
    """n images (n, H, W, 3) and labels: class c draws stripes at angle c*45 deg."""
    ys = rng.integers(0, CLASSES, n)
    yy, xx = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    colours = np.array([[1, 0.2, 0.2], [0.2, 1, 0.2], [0.2, 0.2, 1], [0.8, 0.8, 0.2]])
    xs = np.empty((n, H, W, 3), np.float32)
    for i, c in enumerate(ys):
        a = c * math.pi / 4
        f = rng.uniform(0.6, 1.2)
        wave = np.sin(f * (xx * math.cos(a) + yy * math.sin(a)) + rng.uniform(0, 2 * math.pi))
        # colour is a weak cue (shared across classes, jittered); orientation is the real one
        col = colours[rng.integers(0, 4)] if rng.uniform() < 0.5 else colours[c]
        xs[i] = wave[..., None] * col + 0.5 * rng.standard_normal((H, W, 3))
    return xs.astype(np.float32), ys


data = [batch(N) for _ in range(B)]
held_x, held_y = batch(N)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):  # x channels-last (N, H, W, 3)
        x = x.permute(0, 3, 1, 2)
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.adaptive_avg_pool2d(F.relu(self.conv2(x)), 1).flatten(1)
        return self.fc(x)


def tensors(x, y):
    return torch.from_numpy(x), torch.from_numpy(y).long()


init = Net()
out = {"x": np.stack([d[0] for d in data]), "y": np.stack([d[1] for d in data]).astype(np.float32),
       "held_x": held_x, "held_y": held_y.astype(np.float32)}
out.update({f"init.{k}": v.clone() for k, v in init.state_dict().items() if v.is_floating_point()})


def train(name, make_opt, steps, details):
    net = Net()
    net.load_state_dict(init.state_dict())
    net.train()
    opt = make_opt(net.parameters())
    losses = []
    for s in range(steps):
        x, y = tensors(*data[s % B])
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        losses.append(loss.item())
        if s == 0 and details:
            for k, p in net.named_parameters():
                out[f"{name}.grad0.{k}"] = p.grad.clone()
        opt.step()
        if s + 1 == K and details:
            for k, v in net.state_dict().items():
                if v.is_floating_point():
                    out[f"{name}.after{K}.{k}"] = v.clone()
            net.eval()
            hx, hy = tensors(held_x, held_y)
            with torch.no_grad():
                out[f"{name}.eval{K}"] = F.cross_entropy(net(hx), hy)
            net.train()
    out[f"{name}.loss"] = np.array(losses, np.float32)
    return losses


sgd = train("sgd", lambda p: torch.optim.SGD(p, **SGD), SGD_STEPS, True)
adam = train("adam", lambda p: torch.optim.Adam(p, **ADAM), ADAM_STEPS, False)

tail = float(np.mean(sgd[-10:]))
meta = dict(N=N, H=H, W=W, classes=CLASSES, batches=B, sgd_steps=SGD_STEPS, adam_steps=ADAM_STEPS,
            compare_steps=K, sgd_lr=SGD["lr"], sgd_momentum=SGD["momentum"],
            sgd_weight_decay=SGD["weight_decay"], adam_lr=ADAM["lr"], sgd_final_loss=tail)
st.save(sys.argv[1], {k: (v.detach().numpy() if isinstance(v, torch.Tensor) else v) for k, v in out.items()}, meta)
print(f"sgd loss {sgd[0]:.4f} -> mean of last 10 {tail:.4f}; adam {adam[0]:.4f} -> {adam[-1]:.4f}")
