"""References for test_action_video.c: C3D (fc6 sized for the small clip,
widths / 8) and torchvision's r3d_18, mc3_18, r2plus1d_18, at hashed weights;
eval logits and a train step's gradients (see tests/action/action_ref.py)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "action"))
import action_ref  # noqa: E402

SMALL = dict(classes=5, frames=8, height=32, width=32)
action_ref.write(sys.argv[1], [
    ("c3d", "c3d", dict(classes=5, frames=16, height=32, width=32, channels=8, fc_dim=32, dropout=0.0)),
    ("r3d_18", "r3d_18", SMALL),
    ("mc3_18", "mc3_18", SMALL),
    ("r2plus1d_18", "r2plus1d_18", SMALL),
])
