"""How well each preview method shows the final image, on stepwise-shapes-64's evaluation prompts.

    OPENBLAS_NUM_THREADS=1 /work/pyenv/bin/python tools/evaluate_previews.py [--prompts 168] [--seeds 2]

Runs the shipped ONNX graphs (onnxruntime, diffusers' DDIMScheduler; tools/onnx_sampler.py) on the prompts
of tools/evaluate_model.py (all 168 colour x colour x shape combinations, 35 % with a size word, 35 % with a
position phrase, seeds 1000 + i) at the model's defaults (DDIM, 25 steps, guidance 5), and previews the
scheduler's predicted x0 of every step with each method as the engine does:

  linear  the stepwise.json factors, clamp to [-1, 1], (v + 1) * 127.5 rounded, at latent resolution (8x8)
  tiny    preview_decoder/model.onnx on the latents as they are, full resolution
  vae     vae_decoder/model.onnx on latents / scaling_factor ("vae" = the VAE every step), full resolution

Reports per method and step the mean absolute difference (0-255 levels) between the preview and the
final image, at full resolution (linear previews upsampled 8x nearest, as the app shows them) and at
8x8 (every picture averaged over 8x8 blocks), and the share of step-5/10/15 previews whose foreground
and background colours tools/shapes.check_image reads as the prompt's. Also the issue's check: "a green
square on a white background", 8 seeds, the first step from which every later preview reads green on white.
Writes tools/.work/preview_decoder/eval_previews.json; --figure writes docs/default-model-previews.png
instead (three prompts, each method's previews of every third step and the final image).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes  # noqa: E402
from onnx_sampler import MODEL_DIR, ROOT, ShippedModel, to_uint8  # noqa: E402

WORK = os.path.join(ROOT, "tools", ".work", "preview_decoder")
METHODS = ("linear", "tiny", "vae")
CHECK_STEPS = (5, 10, 15)


def prompt_set(n: int, seed: int) -> list[dict]:
    """tools/evaluate_model.py's evaluation prompts (the same function, without its torch-1.13 imports)."""
    rng = np.random.default_rng(seed)
    combos = [(f, b, s) for f in shapes.COLOURS for b in shapes.COLOURS if f != b for s in shapes.SHAPES]
    order = rng.permutation(len(combos))
    out = []
    for k in range(n):
        f, b, s = combos[order[k % len(combos)]]
        out.append(shapes.sample_params(rng, fg=f, bg=b, shape=s, size_word=True, pos_word=True))
    return out


def round_half_even(x: np.ndarray) -> np.ndarray:
    return np.round(x)  # numpy rounds half to even, like the engine's roundHalfEven


class Previewer:
    def __init__(self, model: ShippedModel):
        meta = json.load(open(os.path.join(MODEL_DIR, "stepwise.json")))
        self.factors = np.array(meta["latent_rgb_factors"], dtype=np.float32)  # [4, 3]
        self.bias = np.array(meta["latent_rgb_bias"], dtype=np.float32)
        self.model = model

    def linear(self, x0: np.ndarray) -> np.ndarray:
        """uint8 [N, 8, 8, 3] (latent resolution)."""
        v = np.clip(np.einsum("nchw,cr->nhwr", x0, self.factors) + self.bias, -1, 1)
        return round_half_even((v + 1) * 127.5).astype(np.uint8)

    def tiny(self, x0: np.ndarray) -> np.ndarray:
        s = self.model.sess("preview_decoder")
        out = [s.run(["sample"], {"latent_sample": x0[i:i + 256].astype(np.float32)})[0]
               for i in range(0, len(x0), 256)]
        return to_uint8(np.concatenate(out))

    def vae(self, x0: np.ndarray) -> np.ndarray:
        return to_uint8(self.model.vae_decode(x0))

    def __call__(self, method: str, x0: np.ndarray) -> np.ndarray:
        return getattr(self, method)(x0)


def full_res(img: np.ndarray) -> np.ndarray:
    """8x8 previews -> 64x64 by nearest upsampling (how the app shows them); others as they are."""
    if img.shape[1] == shapes.SIZE:
        return img
    k = shapes.SIZE // img.shape[1]
    return img.repeat(k, axis=1).repeat(k, axis=2)


def block_mean(img: np.ndarray, size: int = 8) -> np.ndarray:
    n, h, w, c = img.shape
    return img.astype(np.float32).reshape(n, size, h // size, size, w // size, c).mean(axis=(2, 4))


def colours_right(previews: np.ndarray, params: list[dict]) -> tuple[float, float, float]:
    fg = bg = both = 0
    for img, p in zip(previews, params):
        r = shapes.check_image(img)
        fg += r["fg"] == p["fg"]
        bg += r["bg"] == p["bg"]
        both += r["fg"] == p["fg"] and r["bg"] == p["bg"]
    n = len(params)
    return fg / n, bg / n, both / n


def sample_with_x0(model: ShippedModel, prompts, seeds, steps, guidance, chunk=112):
    finals, x0s = [], []
    for i in range(0, len(prompts), chunk):
        kept: list[np.ndarray] = []
        lat = model.sample(prompts[i:i + chunk], seeds[i:i + chunk], steps, guidance, "DDIMScheduler",
                           on_step=lambda _i, _t, _lat, x0: kept.append(x0))
        finals.append(lat)
        x0s.append(np.stack(kept))  # [steps, n, 4, 8, 8]
    return np.concatenate(finals), np.concatenate(x0s, axis=1)


def save_figure(model: ShippedModel, prev: Previewer, path: str, steps: int, guidance: float) -> None:
    """Rows: prompt x method; columns: the previews of steps 0, 3, ..., 24, then the final image."""
    from PIL import Image, ImageDraw
    cases = [("green", "square", "white", 0), ("red", "circle", "blue", 1), ("yellow", "triangle", "purple", 2)]
    cols = list(range(0, steps, 3))
    cell, pad, label_w, head_h = 64, 4, 150, 16
    rows = len(cases) * len(METHODS)
    canvas = Image.new("RGB", (label_w + (len(cols) + 1) * (cell + pad), head_h + rows * (cell + pad)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for c, i in enumerate(cols):
        draw.text((label_w + c * (cell + pad) + 2, 2), f"step {i}", fill=(0, 0, 0))
    draw.text((label_w + len(cols) * (cell + pad) + 2, 2), "final", fill=(0, 0, 0))
    for k, (fg, shape, bg, seed) in enumerate(cases):
        kept: list[np.ndarray] = []
        final = model.sample([shapes.caption(fg, shape, bg)], [seed], steps, guidance,
                             on_step=lambda _i, _t, _l, x0: kept.append(x0))
        image = to_uint8(model.vae_decode(final))[0]
        for m, method in enumerate(METHODS):
            y = head_h + (k * len(METHODS) + m) * (cell + pad)
            draw.text((2, y + 20), f"{fg} {shape} on {bg}" if m == 0 else "", fill=(0, 0, 0))
            draw.text((2, y + 34), method, fill=(0, 0, 0))
            for c, i in enumerate(cols):
                tile = full_res(prev(method, kept[i]))[0]
                canvas.paste(Image.fromarray(tile), (label_w + c * (cell + pad), y))
            canvas.paste(Image.fromarray(image), (label_w + len(cols) * (cell + pad), y))
    canvas.save(path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=168)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=5.0)
    ap.add_argument("--figure", action="store_true", help="only write docs/default-model-previews.png")
    a = ap.parse_args(argv)
    t0 = time.time()
    model = ShippedModel()
    prev = Previewer(model)
    if a.figure:
        out = os.path.join(ROOT, "docs", "default-model-previews.png")
        save_figure(model, prev, out, a.steps, a.guidance)
        print(f"wrote {out}")
        return
    ps = prompt_set(a.prompts, 11)
    prompts = [p["caption"] for p in ps for _ in range(a.seeds)]
    params = [p for p in ps for _ in range(a.seeds)]
    seeds = [1000 + i for i in range(len(prompts))]
    finals, x0s = sample_with_x0(model, prompts, seeds, a.steps, a.guidance)
    images = to_uint8(model.vae_decode(finals))
    print(f"sampled {len(prompts)} images ({time.time() - t0:.0f} s); final images: {shapes.score(images, params)}",
          flush=True)
    result: dict = {"n_images": len(prompts), "steps": a.steps, "guidance": a.guidance, "scheduler": "DDIMScheduler",
                    "final_images": shapes.score(images, params), "methods": {}}
    final_8 = block_mean(images)
    for method in METHODS:
        mae_full, mae_8, colours = [], [], {}
        for i in range(a.steps):
            p = full_res(prev(method, x0s[i]))
            mae_full.append(round(float(np.abs(p.astype(np.float32) - images.astype(np.float32)).mean()), 2))
            mae_8.append(round(float(np.abs(block_mean(p) - final_8).mean()), 2))
            if i in CHECK_STEPS:
                fg, bg, both = colours_right(p, params)
                colours[f"step_{i}"] = {"fg": round(fg, 4), "bg": round(bg, 4), "both": round(both, 4)}
        result["methods"][method] = {"mae_full_res": mae_full, "mae_8x8": mae_8, "colours": colours}
        print(method, "MAD full res first/mid/last", mae_full[0], mae_full[a.steps // 2], mae_full[-1],
              "| 8x8", mae_8[0], mae_8[-1], "| colours", colours, flush=True)

    # The check: a green square on a white background previews green on white from the middle on.
    gp = {"fg": "green", "bg": "white", "shape": "square"}
    g_seeds = list(range(8))
    g_final, g_x0 = sample_with_x0(model, [shapes.caption("green", "square", "white")] * 8, g_seeds, a.steps, a.guidance)
    g_images = to_uint8(model.vae_decode(g_final))
    green = {"final": colours_right(g_images, [gp] * 8)[2]}
    for method in METHODS:
        right = [colours_right(full_res(prev(method, g_x0[i])), [gp] * 8)[2] for i in range(a.steps)]
        from_step = next((i for i in range(a.steps) if all(r == 1.0 for r in right[i:])), None)
        green[method] = {"share_right_per_step": [round(r, 3) for r in right], "all_right_from_step": from_step}
        print("green square on white,", method, "all 8 seeds right from step", from_step, flush=True)
    result["green_square_on_white"] = green
    result["seconds"] = round(time.time() - t0, 1)
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "eval_previews.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {os.path.join(WORK, 'eval_previews.json')} ({result['seconds']} s)")


if __name__ == "__main__":
    main()
