"""A torchvision r3d_18 checkpoint through tools/pth2st.py (test_action_convert.c).

torchvision 0.14's r3d_18(num_classes=10) with its own random initialisation
(seed 0), batch-norm affine parameters and running statistics randomised so
none is an identity, saved with torch.save as a .pth state_dict, converted
with `tools/pth2st.py --arch r3d_18 --meta classes=10` beside argv[1] (the
.pth is removed afterwards), and its eval-mode logits for one 3x16x112x112
clip written to argv[1]: x (1, 16, 112, 112, 3) channels-last, logits (1, 10),
metadata model (the converted file's name)."""
import os
import subprocess
import sys

import torch
import torchvision

import st

torch.manual_seed(0)
torch.set_num_threads(2)

out = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
model = torchvision.models.video.r3d_18(num_classes=10).eval()
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm3d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    x = torch.randn(1, 3, 16, 112, 112)
    logits = model(x)

base = os.path.splitext(out)[0]
pth, converted = base + ".r3d_18.pth", base + ".r3d_18.safetensors"
torch.save(model.state_dict(), pth)
try:
    subprocess.run([sys.executable, os.path.join(root, "tools", "pth2st.py"), "--arch", "r3d_18", "--meta",
                    "classes=10", "-q", pth, converted], check=True)
finally:
    os.remove(pth)
st.save(out, {"x": x.permute(0, 2, 3, 4, 1).contiguous().numpy(), "logits": logits.numpy()},
        {"model": os.path.basename(converted)})
print(f"{converted}: logits {logits.numpy().round(4).tolist()}")
