"""References for test_action_frames.c: the ResNet-18 based models (single
frame, late and early fusion, CNN+LSTM with last-step and per-frame logits,
two-stream) at hashed weights, 4 frames of 48x48 (layer4 still sees 2x2 per
frame, so train-mode batch norm has several values per channel); eval logits
and a train step's gradients (see tests/action/action_ref.py). Dropout is 0
in these configurations so both sides compute the same function. The global
stream's train clips put a ReLU gate within PyTorch's float32 rounding of zero
for cnn_lstm_per_frame and two_stream (gradients 1.7e-1 and 1.1e-2 off float64,
which the C test would allow 3x of), so these take the first seed whose step
PyTorch float32 reproduces within action_ref.STABLE_DEV (action_ref.run_case).
Of seeds 1-20 PyTorch reproduced 16 and 20, this library 16 and 18 of those;
seed 1 passes in both for both cases."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "action"))
import action_ref  # noqa: E402

F = dict(classes=5, frames=4, height=48, width=48)
action_ref.write(sys.argv[1], [
    ("single_frame", "single_frame", F),
    ("late_fusion", "late_fusion", dict(F, hidden=32, dropout=0.0)),
    ("early_fusion", "early_fusion", F),
    ("cnn_lstm", "cnn_lstm", dict(F, hidden=32, layers=2, per_frame="false", dropout=0.0)),
    ("cnn_lstm_per_frame", "cnn_lstm", dict(F, hidden=32, layers=1, per_frame="true", dropout=0.0),
     range(1, 21)),
    ("two_stream", "two_stream", F, range(1, 21)),
])
