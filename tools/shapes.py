"""Procedural captioned shape images (the training data of stepwise-shapes-64) and the automatic checker.

Each 64x64 RGB image has one circle, square or triangle (pointing up) in one of 8 palette colours on a
background of a different palette colour. Shapes of the same "radius" r have the same area (pi r^2).
Colours get a small per-image jitter and a little pixel noise; edges are anti-aliased (4x supersampling).

Captions: "a [small|large] <fg> <shape> [on the left|on the right|at the top|at the bottom|in the center]
on a <bg> background"; the size and position words are each present with probability 0.35.
"""

from __future__ import annotations

import math

import numpy as np

SIZE = 64
PALETTE = {
    "red": (220, 30, 30),
    "green": (30, 160, 40),
    "blue": (30, 60, 220),
    "yellow": (240, 220, 30),
    "orange": (250, 140, 20),
    "purple": (140, 40, 190),
    "white": (240, 240, 240),
    "black": (20, 20, 20),
}
COLOURS = list(PALETTE)
PALETTE_ARR = np.array([PALETTE[c] for c in COLOURS], dtype=np.float32)
SHAPES = ["circle", "square", "triangle"]
SIZE_WORDS = {"small": (7.0, 10.5), "large": (13.5, 17.0)}
R_RANGE = (7.0, 17.0)
POS_WORDS = ["on the left", "on the right", "at the top", "at the bottom", "in the center"]
P_SIZE_WORD = 0.35
P_POS_WORD = 0.35

# Geometry of equal-area shapes, in units of r.
SQ_HALF = math.sqrt(math.pi) / 2  # square half side: 0.886 r
TRI_SIDE = math.sqrt(4 * math.pi / math.sqrt(3))  # equilateral side: 2.694 r
TRI_H = TRI_SIDE * math.sqrt(3) / 2  # height: 2.333 r


def extents(shape: str, r: float) -> tuple[float, float, float, float]:
    """(left, right, up, down) extent from the centre (centroid) of the shape."""
    if shape == "circle":
        return r, r, r, r
    if shape == "square":
        s = SQ_HALF * r
        return s, s, s, s
    half = TRI_SIDE * r / 2
    return half, half, 2 * TRI_H * r / 3, TRI_H * r / 3


def caption(fg: str, shape: str, bg: str, size_word: str | None = None, pos_word: str | None = None) -> str:
    s = f"{size_word} " if size_word else ""
    p = f" {pos_word}" if pos_word else ""
    return f"a {s}{fg} {shape}{p} on a {bg} background"


def sample_params(rng: np.random.Generator, fg: str | None = None, bg: str | None = None, shape: str | None = None,
                  size_word: str | None | bool = True, pos_word: str | None | bool = True) -> dict:
    """One image's parameters. size_word/pos_word: True = random (maybe none), None/False = none, str = that."""
    if fg is None:
        fg = COLOURS[rng.integers(8)]
    if bg is None:
        bg = COLOURS[rng.integers(8)]
        while bg == fg:
            bg = COLOURS[rng.integers(8)]
    if shape is None:
        shape = SHAPES[rng.integers(3)]
    if size_word is True:
        size_word = list(SIZE_WORDS)[rng.integers(2)] if rng.random() < P_SIZE_WORD else None
    if pos_word is True:
        pos_word = POS_WORDS[rng.integers(5)] if rng.random() < P_POS_WORD else None
    lo, hi = SIZE_WORDS[size_word] if size_word else R_RANGE
    margin = 1.0
    for _ in range(1000):
        r = rng.uniform(lo, hi)
        el, er, eu, ed = extents(shape, r)
        x0, x1 = el + margin, SIZE - er - margin
        y0, y1 = eu + margin, SIZE - ed - margin
        if pos_word == "on the left":
            x1 = min(x1, 0.40 * SIZE)
        elif pos_word == "on the right":
            x0 = max(x0, 0.60 * SIZE)
        elif pos_word == "at the top":
            y1 = min(y1, 0.40 * SIZE)
        elif pos_word == "at the bottom":
            y0 = max(y0, 0.60 * SIZE)
        elif pos_word == "in the center":
            x0, x1 = max(x0, SIZE / 2 - 4), min(x1, SIZE / 2 + 4)
            y0, y1 = max(y0, SIZE / 2 - 4), min(y1, SIZE / 2 + 4)
        if x0 <= x1 and y0 <= y1:
            break
        hi = max(lo, hi - 0.5)
        lo = max(5.0, lo - 0.5)
    cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
    return {"fg": fg, "bg": bg, "shape": shape, "r": r, "cx": cx, "cy": cy, "size_word": size_word,
            "pos_word": pos_word, "caption": caption(fg, shape, bg, size_word, pos_word)}


def shape_mask(shape: str, cx, cy, r, size: int = SIZE, ss: int = 1) -> np.ndarray:
    """Coverage in [0,1] of a shape, [n, size, size]; cx, cy, r arrays of length n. ss = supersampling."""
    cx = np.asarray(cx, dtype=np.float32)[:, None, None]
    cy = np.asarray(cy, dtype=np.float32)[:, None, None]
    r = np.asarray(r, dtype=np.float32)[:, None, None]
    g = (np.arange(size * ss, dtype=np.float32) + 0.5) / ss
    x = g[None, None, :]
    y = g[None, :, None]
    if shape == "circle":
        m = (x - cx) ** 2 + (y - cy) ** 2 <= r ** 2
    elif shape == "square":
        s = SQ_HALF * r
        m = (np.abs(x - cx) <= s) & (np.abs(y - cy) <= s)
    else:
        h = TRI_H * r
        apex = cy - 2 * h / 3
        base = cy + h / 3
        m = (y <= base) & (y >= apex) & (np.abs(x - cx) <= (y - apex) / h * (TRI_SIDE * r / 2))
    m = m.astype(np.float32)
    if ss > 1:
        n = m.shape[0]
        m = m.reshape(n, size, ss, size, ss).mean(axis=(2, 4))
    return m


def render(params: list[dict], rng: np.random.Generator, jitter: float = 8.0, noise: float = 2.0) -> np.ndarray:
    """uint8 images [n, 64, 64, 3]."""
    n = len(params)
    cov = np.zeros((n, SIZE, SIZE), dtype=np.float32)
    for shape in SHAPES:
        idx = [i for i, p in enumerate(params) if p["shape"] == shape]
        if idx:
            cov[idx] = shape_mask(shape, [params[i]["cx"] for i in idx], [params[i]["cy"] for i in idx],
                                  [params[i]["r"] for i in idx], ss=4)
    fg = np.array([PALETTE[p["fg"]] for p in params], dtype=np.float32)
    bg = np.array([PALETTE[p["bg"]] for p in params], dtype=np.float32)
    fg = np.clip(fg + rng.uniform(-jitter, jitter, fg.shape), 0, 255)
    bg = np.clip(bg + rng.uniform(-jitter, jitter, bg.shape), 0, 255)
    img = cov[..., None] * fg[:, None, None, :] + (1 - cov[..., None]) * bg[:, None, None, :]
    img += rng.normal(0, noise, img.shape).astype(np.float32)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def random_batch(n: int, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    params = [sample_params(rng) for _ in range(n)]
    return render(params, rng), params


# ---------------------------------------------------------------- checker

def nearest_colour(rgb: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour for each row of rgb [..., 3]."""
    d = ((rgb[..., None, :].astype(np.float32) - PALETTE_ARR) ** 2).sum(-1)
    return d.argmin(-1)


def check_image(img: np.ndarray, off_threshold: float = 40.0) -> dict:
    """Classify one uint8 [64,64,3] image: background colour, foreground colour, shape.

    * background = palette colour nearest to the median of the 2-pixel border;
    * foreground = most common nearest palette colour among off-background pixels (farther than
      off_threshold in RGB from the border median), the background colour excluded;
    * shape mask = pixels closer to the foreground's median colour than to the background median;
      shape = the circle / square / triangle template with the mask's area and centroid that has the
      highest IoU with it.
    Returns also the mask's centroid (cx, cy) and equal-area radius r.
    """
    img = img.astype(np.float32)
    border = np.concatenate([img[:2].reshape(-1, 3), img[-2:].reshape(-1, 3), img[:, :2].reshape(-1, 3),
                             img[:, -2:].reshape(-1, 3)])
    bg_med = np.median(border, axis=0)
    bg = int(nearest_colour(bg_med))
    d_bg = np.sqrt(((img - bg_med) ** 2).sum(-1))
    cand = d_bg > off_threshold
    res = {"bg": COLOURS[bg], "fg": None, "shape": None, "iou": 0.0, "area": 0, "cx": None, "cy": None, "r": 0.0}
    if cand.sum() < 8:
        return res
    near = nearest_colour(img[cand])
    near_fg = near[near != bg]
    if not near_fg.size:
        return res
    fg = int(np.bincount(near_fg, minlength=8).argmax())
    res["fg"] = COLOURS[fg]
    fg_med = np.median(img[cand][near == fg], axis=0)
    mask = np.sqrt(((img - fg_med) ** 2).sum(-1)) < d_bg
    if mask.sum() < 8:
        return res
    ys, xs = np.nonzero(mask)
    cx, cy = xs.mean() + 0.5, ys.mean() + 0.5
    r = math.sqrt(mask.sum() / math.pi)
    best, best_iou = None, -1.0
    for shape in SHAPES:
        t = shape_mask(shape, [cx], [cy], [r])[0] > 0.5
        iou = (t & mask).sum() / max(1, (t | mask).sum())
        if iou > best_iou:
            best, best_iou = shape, float(iou)
    res.update(shape=best, iou=best_iou, area=int(mask.sum()), cx=float(cx), cy=float(cy), r=float(r))
    return res


def score(images: np.ndarray, params: list[dict]) -> dict:
    fg = bg = sh = allc = 0
    for img, p in zip(images, params):
        r = check_image(img)
        ok_fg, ok_bg, ok_sh = r["fg"] == p["fg"], r["bg"] == p["bg"], r["shape"] == p["shape"]
        fg += ok_fg
        bg += ok_bg
        sh += ok_sh
        allc += ok_fg and ok_bg and ok_sh
    n = len(params)
    return {"n": n, "fg": fg / n, "bg": bg / n, "shape": sh / n, "all": allc / n}
