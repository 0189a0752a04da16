#!/usr/bin/python3
"""Write the class-label lists of data/labels/ from what Debian's packages ship.

  kinetics400.txt  the 400 Kinetics-400 classes, one per line, in the order of
                   torchvision's video models' outputs (alphabetical), taken
                   from torchvision 0.14's torchvision/models/_meta.py
                   (_KINETICS400_CATEGORIES)

No Debian package carries the UCF-101 or Sports-1M class names, so no list is
made for them. Run with Debian's interpreter: /usr/bin/python3 tools/make_labels.py [OUT_DIR]
(default: data/labels beside tools/)."""
import os
import sys


def main():
    from torchvision.models._meta import _KINETICS400_CATEGORIES as kinetics

    if len(kinetics) != 400 or kinetics != sorted(kinetics) or any("\n" in c or not c.strip() for c in kinetics):
        sys.exit("make_labels: torchvision's Kinetics-400 list is not 400 sorted one-line names")
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                                 "data", "labels")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "kinetics400.txt")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(c + "\n" for c in kinetics))
    os.replace(tmp, path)
    print(f"{path}: {len(kinetics)} classes")


if __name__ == "__main__":
    main()
