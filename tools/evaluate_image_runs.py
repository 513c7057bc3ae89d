"""Evaluate image-to-image and inpainting on the shipped model (stepwise-shapes-64).

    OPENBLAS_NUM_THREADS=1 /work/pyenv/bin/python tools/evaluate_image_runs.py [--cases 48]

Input pictures are drawn with tools/shapes.py (the model's own data generator, so the checker knows
what they show); the runs are diffusers' own StableDiffusionImg2ImgPipeline and
StableDiffusionInpaintPipeline on the model's ONNX graphs (the wrappers of
tools/reference/make_image_pipeline_reference.py; the engine matches these pipelines within 1e-5,
main/engine/pipelines/image-pipelines-reference.test.ts), 25 DDIM steps at guidance 5 (the model's
defaults), one seed per case. Results are scored with shapes.check_image.

- Recolour: a <A> <shape> on a <B> background, prompt "a <C> <shape> on a <B> background" (C ≠ A, B),
  at several strengths: how often the shape takes the new colour C, keeps its shape and background,
  and stays where it was (centroid within 4 px).
- Inpaint: a <A> <S1> on the left on a <B> background, the left half masked, prompt
  "a <C> <S2> on a <B> background": how often the new colour / shape / background are seen, and
  how much the kept right half changed (mean |Δ| in 0–255 units over x ≥ 40).

Writes tools/.work/image-runs-eval.json and docs/default-model-image-runs.png (a few examples).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import PIL.Image
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "reference"))
import shapes  # noqa: E402
import make_image_pipeline_reference as ref  # noqa: E402

import diffusers  # noqa: E402

MODEL = os.path.join(ROOT, "resources", "models", "stepwise-shapes-64")
STRENGTHS = [0.3, 0.45, 0.6, 0.75, 0.9]
INPAINT_STRENGTHS = [0.75, 1.0]


def pipeline(cls):
    pipe = ref.sd_pipeline(cls, MODEL)
    pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def run(pipe, seed, **kwargs):
    g = torch.Generator("cpu").manual_seed(seed)
    with torch.no_grad():
        out = pipe(num_inference_steps=25, guidance_scale=5.0, generator=g, output_type="np", **kwargs)
    return (out.images[0] * 255).round().astype(np.uint8)


def other(rng, options, *exclude):
    choices = [o for o in options if o not in exclude]
    return choices[rng.integers(len(choices))]


def recolour(pipe, n, rng):
    cases = []
    for k in range(n):
        p = shapes.sample_params(rng, size_word=None, pos_word=None)
        p["target"] = other(rng, shapes.COLOURS, p["fg"], p["bg"])
        cases.append(p)
    pictures = shapes.render(cases, rng)
    results = {}
    examples = []
    for s in STRENGTHS:
        fg = sh = bg = allc = stay = 0
        for k, (p, pic) in enumerate(zip(cases, pictures)):
            prompt = shapes.caption(p["target"], p["shape"], p["bg"])
            img = run(pipe, 2000 + k, prompt=prompt, image=PIL.Image.fromarray(pic), strength=s)
            r = shapes.check_image(img)
            ok = (r["fg"] == p["target"], r["shape"] == p["shape"], r["bg"] == p["bg"])
            fg += ok[0]
            sh += ok[1]
            bg += ok[2]
            allc += all(ok)
            moved = None if r["cx"] is None else np.hypot(r["cx"] - p["cx"], r["cy"] - p["cy"])
            stay += moved is not None and moved < 4
            if k < 4:
                examples.append((pic, img, f"{s}"))
        results[str(s)] = {"new_colour": fg / n, "shape_kept": sh / n, "background_kept": bg / n,
                           "all": allc / n, "stayed_in_place": stay / n}
        print("recolour", s, results[str(s)], flush=True)
    return results, examples


def inpaint(pipe, n, rng):
    mask = np.zeros((64, 64), dtype=np.uint8)
    mask[:, :32] = 255
    mask_img = PIL.Image.fromarray(mask, "L")
    cases = []
    for k in range(n):
        p = shapes.sample_params(rng, size_word=None, pos_word="on the left")
        p["target"] = other(rng, shapes.COLOURS, p["fg"], p["bg"])
        p["target_shape"] = other(rng, shapes.SHAPES, p["shape"])
        cases.append(p)
    pictures = shapes.render(cases, rng)
    results = {}
    examples = []
    for s in INPAINT_STRENGTHS:
        fg = sh = bg = allc = old = 0
        kept = []
        for k, (p, pic) in enumerate(zip(cases, pictures)):
            prompt = shapes.caption(p["target"], p["target_shape"], p["bg"])
            img = run(pipe, 3000 + k, prompt=prompt, image=PIL.Image.fromarray(pic), mask_image=mask_img,
                      strength=s, height=64, width=64)
            r = shapes.check_image(img)
            ok = (r["fg"] == p["target"], r["shape"] == p["target_shape"], r["bg"] == p["bg"])
            fg += ok[0]
            sh += ok[1]
            bg += ok[2]
            allc += all(ok)
            old += r["fg"] == p["fg"]
            kept.append(float(np.abs(img[:, 40:].astype(np.float32) - pic[:, 40:]).mean()))
            if k < 4:
                examples.append((pic, img, f"{s}"))
        results[str(s)] = {"new_colour": fg / n, "new_shape": sh / n, "background_kept": bg / n,
                           "all": allc / n, "old_colour_left": old / n,
                           "kept_half_mean_abs_change": round(float(np.mean(kept)), 2)}
        print("inpaint", s, results[str(s)], flush=True)
    return results, examples


def save_examples(rows, path):
    """Pairs (input, output) side by side, 2x scaled, one row per strength group."""
    tiles = [np.concatenate([a, np.full((64, 4, 3), 255, np.uint8), b], axis=1) for a, b, _ in rows]
    per_row = 4
    lines = []
    for i in range(0, len(tiles), per_row):
        row = tiles[i:i + per_row]
        gap = np.full((64, 12, 3), 255, np.uint8)
        lines.append(np.concatenate([x for t in row for x in (t, gap)][:-1], axis=1))
        lines.append(np.full((8, lines[-1].shape[1], 3), 255, np.uint8))
    grid = np.concatenate(lines[:-1], axis=0)
    PIL.Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), PIL.Image.NEAREST).save(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=48)
    a = ap.parse_args()
    torch.set_num_threads(1)
    diffusers.utils.logging.set_verbosity_error()
    warnings.simplefilter("ignore")
    t0 = time.time()
    rng = np.random.default_rng(15)
    img2img = pipeline(diffusers.StableDiffusionImg2ImgPipeline)
    inpainting = pipeline(diffusers.StableDiffusionInpaintPipeline)
    rec, rec_examples = recolour(img2img, a.cases, rng)
    inp, inp_examples = inpaint(inpainting, a.cases, rng)
    result = {"model": "stepwise-shapes-64", "cases": a.cases, "steps": 25, "guidance": 5.0,
              "scheduler": "DDIMScheduler", "recolour": rec, "inpaint": inp,
              "seconds": round(time.time() - t0, 1)}
    os.makedirs(os.path.join(HERE, ".work"), exist_ok=True)
    with open(os.path.join(HERE, ".work", "image-runs-eval.json"), "w") as f:
        json.dump(result, f, indent=2)
    # Examples: the first case at each strength (recolour), then inpainting.
    picks = [rec_examples[i * 4] for i in range(len(STRENGTHS))]
    picks += [inp_examples[i * 4 + j] for i in range(len(INPAINT_STRENGTHS)) for j in range(2)]
    save_examples(picks[:8], os.path.join(ROOT, "docs", "default-model-image-runs.png"))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
