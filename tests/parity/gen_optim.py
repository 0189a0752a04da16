"""References for av/optim.c: several steps of torch.optim SGD (plain, momentum
+ weight decay, Nesterov), Adam (with and without L2 weight decay) and AdamW on
fixed parameters and fixed per-step gradients; parameter p1 has no gradient at
step 2 (skipped, as PyTorch skips grad None); one configuration changes the
learning rate before step 3. Also torch.nn.utils.clip_grad_norm_ with and
without clipping."""
import torch

from ref import Writer

w = Writer()
SHAPES = [(4, 5), (7,), (3, 2, 2)]
STEPS = 5
NO_GRAD = (2, 1)  # (step, param)
init = [torch.randn(*s) for s in SHAPES]
grads = [[torch.randn(*s) for s in SHAPES] for _ in range(STEPS)]
for i, p in enumerate(init):
    w.tensors[f"init.p{i}"] = p.numpy()
for s in range(STEPS):
    for i, g in enumerate(grads[s]):
        w.tensors[f"grad{s}.p{i}"] = g.numpy()
w.meta.update({"steps": STEPS, "params": len(SHAPES), "no_grad_step": NO_GRAD[0], "no_grad_param": NO_GRAD[1]})

configs = [
    ("sgd", "sgd", dict(lr=0.1)),
    ("sgd_momentum_wd", "sgd", dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    ("sgd_nesterov", "sgd", dict(lr=0.05, momentum=0.8, weight_decay=1e-3, nesterov=True)),
    ("adam", "adam", dict(lr=1e-2)),
    ("adam_l2", "adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adamw", "adamw", dict(lr=1e-2, weight_decay=0.1)),
    ("adamw_set_lr", "adamw", dict(lr=1e-2, betas=(0.9, 0.95), weight_decay=0.05)),
]
LR_CHANGE = (3, 3e-3)  # before step 3, adamw_set_lr switches to lr 3e-3
for name, kind, kw in configs:
    params = [p.clone().requires_grad_(True) for p in init]
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind](params, **kw)
    meta = {"kind": kind, "lr": kw["lr"], "momentum": kw.get("momentum", 0), "weight_decay": kw.get("weight_decay", 0),
            "nesterov": int(kw.get("nesterov", False)), "beta1": kw.get("betas", (0.9, 0.999))[0],
            "beta2": kw.get("betas", (0.9, 0.999))[1], "eps": kw.get("eps", 1e-8),
            "lr_change_step": LR_CHANGE[0] if name == "adamw_set_lr" else -1, "lr_new": LR_CHANGE[1]}
    out = {}
    for s in range(STEPS):
        if s == meta["lr_change_step"]:
            for g in opt.param_groups:
                g["lr"] = LR_CHANGE[1]
        for i, p in enumerate(params):
            p.grad = None if (s, i) == NO_GRAD else grads[s][i].clone()
        opt.step()
        for i, p in enumerate(params):
            out[f"step{s}.p{i}"] = p.detach().clone()
    w.case(name, meta, **out)

for name, max_norm in [("clip", 1.0), ("noclip", 100.0)]:
    params = [p.clone().requires_grad_(True) for p in init]
    for p, g in zip(params, grads[0]):
        p.grad = g.clone()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    w.case(name, {"kind": "clip", "max_norm": max_norm}, norm=norm.reshape(1),
           **{f"g{i}": p.grad for i, p in enumerate(params)})
w.save()
