"""Reference for test_loc_eval.c: the localization protocol of fusion/loc_eval.h
written again in numpy, the way LVS's and EZ-VSL's test scripts compute it:

  threshold = np.sort(pred.flatten())[int(H * W / 2)]; p = pred > threshold
  cIoU = sum(p g) / (sum(g) + sum(p (g == 0)))            (0 when the denominator is 0)
  AP50 = mean(cIoU >= 0.5); AUC = sklearn.metrics.auc(0.05 i, mean(cIoU >= 0.05 i)), i = 0..20
  whole frame: sum(g) / (H W); centre Gaussian: sigma = side / 4, min-max normalised
  silent share = sum(heat on silent union) / (that + sum(heat on sounding union))

Written: per case i, tensors case<i>.heat (h, w) and case<i>.boxes (K, 5)
[x0, y0, x1, y1, sounding] (row 0 is an empty box so that K >= 1); metadata
case<i>.threshold, .hit, .area, .false_pos, .ciou, .whole, .share (repr of the
float64, exact through strtod; "nan" when undefined). gauss.<w>x<h> maps and
their cIoU against the case's boxes; summaries of the cases' cIoUs and of the
listed fractions (tensor fractions (M, 2) = numerator, denominator)."""
import sys

import numpy as np

import st

rng = np.random.default_rng(20261202)


def union(boxes, w, h):
    g = np.zeros((h, w), np.uint8)
    for x0, y0, x1, y1 in boxes:
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 > x0 and y1 > y0:
            g[y0:y1, x0:x1] = 1
    return g


def ciou_counts(pred, g):
    h, w = pred.shape
    thr = np.sort(pred.flatten())[int(h * w / 2)]
    p = (pred > thr).astype(np.int64)
    g = g.astype(np.int64)
    hit, area, fp = int(np.sum(p * g)), int(np.sum(g)), int(np.sum(p * (g == 0)))
    ciou = hit / (area + fp) if area + fp else 0.0
    return thr, hit, area, fp, ciou


def summary(cious):
    c = np.asarray(cious, np.float64)
    ap50 = float(np.mean(c >= 0.5))
    x = [0.05 * i for i in range(21)]  # the scripts' thresholds, 0.05 * 3 = 0.15000000000000002
    y = [float(np.sum(c >= t)) / len(c) for t in x]
    auc = float(np.trapz(y, x))  # sklearn.metrics.auc(x, y) for increasing x
    return ap50, auc, float(np.mean(c))


def share(heat, sounding, silent):
    h = heat.astype(np.float64)
    a, b = float(np.sum(h * silent)), float(np.sum(h * sounding))
    return a / (a + b) if a + b > 0 else float("nan")


def gaussian(w, h):
    x = (np.arange(w) + 0.5 - w / 2.0) / (w / 4.0)
    y = (np.arange(h) + 0.5 - h / 2.0) / (h / 4.0)
    v = np.exp(-0.5 * (x[None, :] ** 2 + y[:, None] ** 2))
    if v.max() == v.min():  # 1 x 1, 2 x 1: every pixel equally far from the centre
        return np.zeros((h, w), np.float32)
    return ((v - v.min()) / (v.max() - v.min())).astype(np.float32)


def random_boxes(w, h, n, sounding):
    out = []
    for _ in range(n):
        x0, y0 = int(rng.integers(-4, w)), int(rng.integers(-4, h))
        x1, y1 = x0 + int(rng.integers(0, w // 2 + 3)), y0 + int(rng.integers(0, h // 2 + 3))
        out.append([x0, y0, x1, y1, sounding])
    return out


def minmax(a):
    a = a.astype(np.float32)
    lo, hi = a.min(), a.max()
    return ((a - lo) / (hi - lo)).astype(np.float32) if hi > lo else np.zeros_like(a)


def maps(w, h):
    """Uniform noise, quantised to eighths (many ties), a smooth blob, a constant map."""
    yield minmax(rng.random((h, w)))
    yield np.floor(rng.random((h, w)) * 9).astype(np.float32) / 8
    cx, cy = rng.random() * w, rng.random() * h
    yy, xx = np.mgrid[0:h, 0:w]
    yield minmax(np.exp(-((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2) / (2 * (w / 6.0) ** 2)))
    yield np.zeros((h, w), np.float32)


cases = []  # (heat, boxes)
for w, h in [(128, 128), (37, 23), (16, 48), (1, 1), (2, 1), (7, 7)]:
    for heat in maps(w, h):
        bx = random_boxes(w, h, int(rng.integers(1, 4)), 1) + random_boxes(w, h, int(rng.integers(0, 3)), 0)
        cases.append((heat, bx))
    # Maps that follow their ground truth, more or less: cIoUs across [0, 1].
    for noise in (0.3, 1.0, 3.0):
        # a large box (the median threshold caps cIoU near 2 area / (w h)) and a silent one
        x0, y0 = int(rng.integers(0, w // 4 + 1)), int(rng.integers(0, h // 4 + 1))
        bx = [[x0, y0, x0 + (3 * w + 3) // 4, y0 + (3 * h + 3) // 4, 1]] + random_boxes(w, h, 1, 0)
        g = union([b[:4] for b in bx if b[4]], w, h)
        cases.append((minmax(g + noise * rng.random((h, w))), bx))
    # g empty (no sounding box; a silent one), g the whole frame (a box past the edges)
    cases.append((minmax(rng.random((h, w))), random_boxes(w, h, 1, 0)))
    cases.append((minmax(rng.random((h, w))), [[-3, -2, w + 5, h + 1, 1]]))
# Exactly half the map at 1, the rest at 0: the threshold is 1 and p is empty.
half = np.zeros((10, 10), np.float32)
half[5:] = 1
cases.append((half, [[0, 5, 10, 10, 1], [0, 0, 4, 4, 0]]))
# Heat only outside every box: the silent share is undefined.
out = np.zeros((12, 12), np.float32)
out[0, 0] = 1
cases.append((out, [[4, 4, 8, 8, 1], [8, 8, 12, 12, 0]]))

tensors, meta = {}, {"cases": len(cases)}
cious, shares = [], []
for i, (heat, bx) in enumerate(cases):
    h, w = heat.shape
    rows = [[0, 0, 0, 0, 1]] + bx
    tensors[f"case{i}.heat"] = heat
    tensors[f"case{i}.boxes"] = np.array(rows, np.float32)
    g = union([r[:4] for r in rows if r[4]], w, h)
    sil = union([r[:4] for r in rows if not r[4]], w, h)
    thr, hit, area, fp, c = ciou_counts(heat, g)
    s = share(heat, g, sil) if sil.any() else float("nan")
    meta.update({f"case{i}.threshold": repr(float(thr)), f"case{i}.hit": hit, f"case{i}.area": area,
                 f"case{i}.false_pos": fp, f"case{i}.ciou": repr(c), f"case{i}.whole": repr(area / (w * h)),
                 f"case{i}.share": repr(s)})
    # a fixed threshold (0.5), and the best a tie-free map can do under the median rule: the map
    # that ranks every box pixel above every other one, scored by the same counts
    p50 = (heat > np.float32(0.5)).astype(np.float64)
    hit50, fp50 = float((p50 * g).sum()), float((p50 * (g == 0)).sum())
    meta[f"case{i}.ciou50"] = repr(hit50 / (area + fp50) if area + fp50 else 0.0)
    ranked = g.astype(np.float64) * 2 + rng.permutation(h * w).reshape(h, w) / (h * w)
    meta[f"case{i}.bound"] = repr(ciou_counts(ranked, g)[4] if area else 0.0)
    cious.append(c)
    shares.append(s)
    gm = gaussian(w, h)
    tensors[f"gauss{i}"] = gm
    meta[f"gauss{i}.ciou"] = repr(ciou_counts(gm, g)[4])

ap50, auc, mean = summary(cious)
meta.update({"cases.ap50": repr(ap50), "cases.auc": repr(auc), "cases.mean": repr(mean)})
ok = [s for s in shares if not np.isnan(s)]
meta.update({"silent.clips": len(ok), "silent.mean": repr(float(np.mean(ok))),
             "silent.within": repr(float(np.mean(np.array(ok) <= 0.1)))})
# cIoUs on the thresholds: 3/20 < 0.05 * 3 (not counted there), 7/20 = 0.35 < 0.05 * 7, 1/2, 0, 1.
fr = np.array([[3, 20], [7, 20], [1, 2], [0, 5], [5, 5], [11, 20], [1, 20], [19, 20], [9, 20], [6, 20]], np.float32)
tensors["fractions"] = fr
ap50, auc, mean = summary([int(a) / int(b) for a, b in fr])
meta.update({"fractions.ap50": repr(ap50), "fractions.auc": repr(auc), "fractions.mean": repr(mean)})
st.save(sys.argv[1], tensors, meta)
