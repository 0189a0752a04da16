"""Reference for test_speech.c: the audio-visual speech separation model of
docs/MODELS.md ("Audio-visual speech separation", fusion/avspeech.h), written here
in PyTorch from that description, at random weights (seeded) and a small size.

Module names are the C model's state_dict names:
  audio.layers.<i>.conv/.bn            1x7, 7x1, dilated 5x5s, 1x1 (Conv2d over (time, freq); SMALL
                                       dilates frequency too, freq_dilation=1)
  visual.front.conv/.bn                Conv3d 5x7x7 /1,2,2 (+ max-pool 1x3x3 /1,2,2)
  visual.convs.<j>.conv/.bn            per-frame Conv2d 3x3 /2
  visual.temporal.<k>.conv/.bn         Conv1d k3, dilation 1, 2
  identity.convs.<j>.conv/.bn, identity.proj
  fusion, lstm (nn.LSTM, bidirectional), fc1, fc2, mask

Written beside the reference: the model file (speech.avspeech.safetensors: every float
state_dict tensor, metadata avs.arch = avspeech and the hyperparameters), its name in
the metadata "model". In the reference (channels-last where the C side is):
  w.<name>            every state_dict tensor (as in the model file)
  wave                (N, samples) the mixtures' waveforms
  spec                (N, T, 257, 2) torch.stft of them (n_fft 512, win 400, hop 160,
                      periodic Hann, centred, reflect): the model's input
  mouths              (N S, V, M, M, 1); faces (N S, Z, Z, 1)
  eval.masks          eval-mode masks (N, S, T, 257, 2); eval.sources their product with spec
  train.target        (N, S, T, 257, 2) target STFTs
  train.masks, train.loss  one train-mode (batch statistics) step, loss = mse(apply(masks, spec), target)
  snr.loss, snr.grad  the thresholded SNR loss (avs_speech_snr_loss, 30 dB cap) of eval.sources against
                      train.target (its first speaker 40 dB quieter), and its gradient in eval.sources (float64)
  grad.<name>         every parameter's gradient of that loss; after.<name> the buffers after it
  err.<key>           PyTorch's float32 deviation from the float64 results (those are stored)
and the default configuration's parameter count (metadata default.params)."""
import copy
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import gen_action_b_common as common
import st

torch.set_num_threads(2)

BINS, HOP, EPS = 257, 160, 1e-12
DEFAULT = dict(speakers=2, fps=16, mouth_size=48, face_size=64, audio_channels=48, audio_layers=4, freq_dilation=0,
               audio_out=8, visual_front=32, visual_convs=2, visual_dim=128, face_width=16, face_convs=4, id_dim=64,
               fusion_dim=256, lstm_hidden=200, fc_dim=600, power=0.3, mask_bound=2.0)
SMALL = dict(DEFAULT, mouth_size=16, face_size=20, audio_channels=6, audio_layers=2, freq_dilation=1, audio_out=3,
             visual_front=4, visual_dim=8, face_width=4, face_convs=2, id_dim=5, fusion_dim=12, lstm_hidden=7, fc_dim=10)
N, SAMPLES, V = 2, 4800, 5  # 0.3 s: T = 31 STFT frames, video frames v(t) = t * 16 // 100 in 0..4


class ConvBN(nn.Module):
    """conv (no bias), BN, ReLU; d spatial dims."""

    def __init__(self, d, cin, cout, k, stride=1, pad=0, dil=1):
        super().__init__()
        conv, bn = {1: (nn.Conv1d, nn.BatchNorm1d), 2: (nn.Conv2d, nn.BatchNorm2d), 3: (nn.Conv3d, nn.BatchNorm3d)}[d]
        self.conv = conv(cin, cout, k, stride, pad, dil, bias=False)
        self.bn = bn(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Audio(nn.Module):
    def __init__(self, c):
        super().__init__()
        a = c["audio_channels"]
        layers = [ConvBN(2, 2, a, (1, 7), pad=(0, 3)), ConvBN(2, a, a, (7, 1), pad=(3, 0))]
        f = [2 ** i if c["freq_dilation"] else 1 for i in range(c["audio_layers"])]
        layers += [ConvBN(2, a, a, 5, pad=(2 * 2 ** i, 2 * f[i]), dil=(2 ** i, f[i])) for i in range(c["audio_layers"])]
        layers.append(ConvBN(2, a, c["audio_out"], 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, cspec):  # (N, T, F, 2) -> (N, T, F * audio_out), index f * audio_out + c
        x = self.layers(cspec.permute(0, 3, 1, 2))
        return x.permute(0, 2, 3, 1).flatten(2)


class Visual(nn.Module):
    def __init__(self, c):
        super().__init__()
        f = c["visual_front"]
        self.front = ConvBN(3, 1, f, (5, 7, 7), (1, 2, 2), (2, 3, 3))
        self.pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
        self.convs = nn.Sequential(*[ConvBN(2, f << j, f << (j + 1), 3, 2, 1) for j in range(c["visual_convs"])])
        w = f << c["visual_convs"]
        self.temporal = nn.Sequential(ConvBN(1, w, c["visual_dim"], 3, pad=1),
                                      ConvBN(1, c["visual_dim"], c["visual_dim"], 3, pad=2, dil=2))

    def forward(self, mouths):  # (B, V, M, M, 1) -> (B, V, visual_dim)
        b, v = mouths.shape[:2]
        x = self.pool(self.front(mouths.permute(0, 4, 1, 2, 3)))  # (B, C, V, h, w)
        x = x.transpose(1, 2).flatten(0, 1)  # (B V, C, h, w)
        x = self.convs(x).mean((2, 3)).reshape(b, v, -1)
        return self.temporal(x.transpose(1, 2)).transpose(1, 2)


class Identity(nn.Module):
    def __init__(self, c):
        super().__init__()
        w = c["face_width"]
        widths = [1] + [w << j for j in range(c["face_convs"])]
        self.convs = nn.Sequential(*[ConvBN(2, widths[j], widths[j + 1], 3, 2, 1) for j in range(c["face_convs"])])
        self.proj = nn.Linear(w << (c["face_convs"] - 1), c["id_dim"])

    def forward(self, faces):  # (B, Z, Z, 1) -> (B, id_dim)
        return self.proj(self.convs(faces.permute(0, 3, 1, 2)).mean((2, 3)))


def compress(spec, power):
    """S |S|^(power - 1) as (S (|S|^2 + eps)^((power - 1) / 2)); spec (..., 2)."""
    return spec * (spec.pow(2).sum(-1, keepdim=True) + EPS).pow((power - 1) / 2)


def video_frame(t, fps, frames):
    """fusion/speech.h: STFT frame t (at t / 100 s) sees video frame floor(t fps / 100)."""
    return min(t * fps // 100, frames - 1)


def apply_masks(masks, spec):
    """masks (N, S, T, F, 2) times spec (N, T, F, 2), complex."""
    mr, mi, xr, xi = masks[..., 0], masks[..., 1], spec[:, None, ..., 0], spec[:, None, ..., 1]
    return torch.stack([mr * xr - mi * xi, mr * xi + mi * xr], -1)


class AVSpeech(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        s = c["speakers"]
        self.audio, self.visual, self.identity = Audio(c), Visual(c), Identity(c)
        self.fusion = nn.Linear(BINS * c["audio_out"] + s * (c["visual_dim"] + c["id_dim"]), c["fusion_dim"])
        self.lstm = nn.LSTM(c["fusion_dim"], c["lstm_hidden"], batch_first=True, bidirectional=True)
        self.fc1 = nn.Linear(2 * c["lstm_hidden"], c["fc_dim"])
        self.fc2 = nn.Linear(c["fc_dim"], c["fc_dim"])
        self.mask = nn.Linear(c["fc_dim"], s * BINS * 2)

    def forward(self, spec, mouths, faces):
        c, s = self.c, self.c["speakers"]
        n, t = spec.shape[:2]
        audio = self.audio(compress(spec, c["power"]))
        vis = self.visual(mouths)  # (N S, V, Dv)
        idx = torch.tensor([video_frame(i, c["fps"], vis.shape[1]) for i in range(t)])
        ident = self.identity(faces)[:, None].expand(-1, t, -1)
        sp = torch.cat([vis[:, idx], ident], -1)  # (N S, T, Dv + Di)
        sp = sp.reshape(n, s, t, -1).transpose(1, 2).flatten(2)  # (N, T, S (Dv + Di))
        x = F.relu(self.fusion(torch.cat([audio, sp], -1)))
        x, _ = self.lstm(x)
        x = F.relu(self.fc2(F.relu(self.fc1(x))))
        m = c["mask_bound"] * torch.tanh(self.mask(x))
        return m.reshape(n, t, s, BINS, 2).transpose(1, 2)


class Calib(nn.Module):
    """For common.randomize_norms, which calls model(calib) with one argument."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, args):
        return self.model(*args)


def stft(wave):
    """(N, samples) -> (N, T, 257, 2), as audio/stft.h's AVS_STFT_SPEECH (time-major)."""
    s = torch.stft(wave, 512, HOP, 400, torch.hann_window(400), center=True, pad_mode="reflect", return_complex=True)
    return torch.view_as_real(s).transpose(1, 2).contiguous()


def inputs(c, g, n):
    wave = 0.1 * torch.randn(n, SAMPLES, generator=g)
    s = c["speakers"]
    mouths = torch.rand(n * s, V, c["mouth_size"], c["mouth_size"], 1, generator=g) * 2 - 1
    faces = torch.rand(n * s, c["face_size"], c["face_size"], 1, generator=g) * 2 - 1
    return wave, stft(wave), mouths, faces


def snr_loss(est, target, cap_db=30.0):
    """avs_speech_snr_loss: minus the mean over (item, speaker) rows of the SNR in dB, capped at cap_db."""
    rows = est.shape[0] * est.shape[1]
    e, t = est.reshape(rows, -1), target.reshape(rows, -1)
    energy = (t * t).sum(1) + 1e-12
    err = ((e - t) ** 2).sum(1)
    return (10 * torch.log10((err + 10 ** (-cap_db / 10) * energy) / energy)).mean()


def main(path):
    torch.manual_seed(0)
    c = SMALL
    model = AVSpeech(c)
    g = torch.Generator().manual_seed(2)
    wave, spec, mouths, faces = inputs(c, g, N)
    _, cspec, cmouths, cfaces = inputs(c, g, 4)
    common.randomize_norms(Calib(model), (cspec, cmouths, cfaces))
    state = {k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()}
    hp = {k: str(v) for k, v in c.items()}
    name = os.path.splitext(os.path.basename(path))[0] + ".avspeech.safetensors"
    st.save(os.path.join(os.path.dirname(path), name), {k: v.numpy() for k, v in state.items()},
            dict(hp, **{"avs.arch": "avspeech", "avs.version": "0"}))
    out = {f"w.{k}": v.numpy() for k, v in state.items()}
    out.update(wave=wave.numpy(), spec=spec.numpy(), mouths=mouths.numpy(), faces=faces.numpy())

    model.eval()
    with torch.no_grad():
        masks = model(spec, mouths, faces)
        out["eval.masks"], out["eval.sources"] = masks.numpy(), apply_masks(masks, spec).numpy()

    target = torch.randn(N, c["speakers"], *spec.shape[1:], generator=g) * spec.abs().mean()
    target[0, 0] *= 0.01  # a quiet speaker: the SNR loss weighs it as much as the others
    out["train.target"] = target.numpy()
    est = torch.from_numpy(out["eval.sources"]).double().requires_grad_()
    loss = snr_loss(est, target.double())
    loss.backward()
    out["snr.loss"], out["snr.grad"] = loss.detach().float().numpy(), est.grad.float().numpy()

    def step(m, dtype):
        m.load_state_dict(state)
        m = m.to(dtype)
        m.train()
        m.zero_grad()
        sp = spec.to(dtype)
        masks = m(sp, mouths.to(dtype), faces.to(dtype))
        loss = F.mse_loss(apply_masks(masks, sp), target.to(dtype))
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
    params = sum(p.numel() for p in model.parameters())
    default = sum(p.numel() for p in AVSpeech(DEFAULT).parameters())
    st.save(path, out, dict(hp, model=name, samples=SAMPLES, video_frames=V, **{"default.params": default}))
    print(f"{path}: {params} parameters (default {default}), train loss {r64['train.loss'].item():.6f}, "
          f"masks in [{masks.min().item():.3f}, {masks.max().item():.3f}]")


if __name__ == "__main__":
    main(sys.argv[1])
