"""How each scheduler does on the shipped model, in diffusers itself, and whether the engine matches it.

Needs the tools venv (/work/pyenv, see tools/README.md) and a build (`npm run build`) for the engine part.

Part 1 runs diffusers' own schedulers (through tools/onnx_sampler.py: the shipped ONNX graphs in
onnxruntime, diffusers' ``from_config`` swap on the model's DDIM config) over a fixed prompt set and
scores the images with the procedural checker of tools/shapes.py (right foreground colour, background
colour and shape), plus a noise measure (mean absolute difference between neighbouring pixels; the
training pictures are flat colours, so higher means grainier). Variants with config overrides show
what a change of configuration does.

Part 2 runs the engine (the built CLI) on a few of the same prompts and seeds and reports the largest
pixel difference to diffusers' image: 0-2 means the engine does what diffusers does.

    OPENBLAS_NUM_THREADS=1 /work/pyenv/bin/python tools/check_schedulers.py [--prompts 48] [--no-engine]

Writes tools/.work/schedulers/report.json and one PNG per case for the engine comparison.
``--fixture`` (re)writes main/engine/pipelines/fixtures/shipped-pndm-lms.json: diffusers' final latents
for a few of these cases, which main/engine/pipelines/shipped-pndm-lms.test.ts compares the engine with.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes  # noqa: E402
from evaluate_model import prompt_set  # noqa: E402
from onnx_sampler import ROOT, ShippedModel, to_uint8  # noqa: E402

OUT = os.path.join(ROOT, "tools", ".work", "schedulers")

# (label, diffusers class, steps, config overrides)
CASES: list[tuple[str, str, int, dict]] = [
    ("DDIM 25", "DDIMScheduler", 25, {}),
    ("DDIM 12", "DDIMScheduler", 12, {}),
    ("Euler 12", "EulerDiscreteScheduler", 12, {}),
    ("PNDM 12", "PNDMScheduler", 12, {}),
    ("PNDM 25", "PNDMScheduler", 25, {}),
    ("PNDM 50", "PNDMScheduler", 50, {}),
    ("PNDM 12 skip_prk_steps", "PNDMScheduler", 12, {"skip_prk_steps": True}),
    ("PNDM 25 skip_prk_steps", "PNDMScheduler", 25, {"skip_prk_steps": True}),
    ("LMS 12", "LMSDiscreteScheduler", 12, {}),
    ("LMS 25", "LMSDiscreteScheduler", 25, {}),
    ("LMS 50", "LMSDiscreteScheduler", 50, {}),
    ("LMS 12 trailing", "LMSDiscreteScheduler", 12, {"timestep_spacing": "trailing"}),
    ("LMS 12 karras", "LMSDiscreteScheduler", 12, {"use_karras_sigmas": True}),
]

# Cases the engine runs (it takes no config overrides), with the CLI's scheduler name.
ENGINE_CASES = ["DDIM 25", "PNDM 12", "PNDM 25", "LMS 12"]


def noise(images: np.ndarray) -> float:
    """Mean |neighbour difference| over both axes, 0-255 units."""
    x = images.astype(np.float32)
    return float((np.abs(np.diff(x, axis=1)).mean() + np.abs(np.diff(x, axis=2)).mean()) / 2)


def run_cases(model: ShippedModel, n_prompts: int) -> list[dict]:
    params = prompt_set(n_prompts, 11, extras=False)
    prompts = [p["caption"] for p in params]
    seeds = [1000 + i for i in range(len(prompts))]
    rows = []
    for label, cls, steps, overrides in CASES:
        lat = model.sample(prompts, seeds, steps=steps, guidance=5.0, scheduler=cls, overrides=overrides)
        imgs = to_uint8(model.vae_decode(lat))
        s = shapes.score(imgs, params)
        rows.append({"case": label, "scheduler": cls, "steps": steps, "overrides": overrides,
                     "all_correct": round(s["all"], 3), "fg": round(s["fg"], 3), "bg": round(s["bg"], 3),
                     "shape": round(s["shape"], 3), "noise": round(noise(imgs), 2)})
        print(f"{label:26s} all {s['all']:.3f}  fg {s['fg']:.3f}  bg {s['bg']:.3f}  "
              f"shape {s['shape']:.3f}  noise {noise(imgs):6.2f}", flush=True)
    return rows


def read_png(path: str) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"))


def engine_compare(model: ShippedModel) -> list[dict]:
    cli = os.path.join(ROOT, "out", "main", "cli.js")
    prompt, seed = "a yellow circle on a purple background", 3
    rows = []
    for label in ENGINE_CASES:
        _, cls, steps, overrides = next(c for c in CASES if c[0] == label)
        out = os.path.join(OUT, f"engine-{label.replace(' ', '-')}.png")
        subprocess.run(["node", cli, "generate", "--model", model.dir, "--prompt", prompt, "--seed", str(seed),
                        "--steps", str(steps), "--guidance", "5", "--scheduler", cls, "--out", out],
                       check=True, capture_output=True)
        ref = to_uint8(model.vae_decode(model.sample([prompt], [seed], steps=steps, guidance=5.0,
                                                     scheduler=cls, overrides=overrides)))[0]
        from PIL import Image
        Image.fromarray(ref).save(os.path.join(OUT, f"diffusers-{label.replace(' ', '-')}.png"))
        diff = int(np.abs(read_png(out).astype(np.int32) - ref.astype(np.int32)).max())
        rows.append({"case": label, "max_pixel_difference": diff})
        print(f"engine vs diffusers, {label:10s}: max pixel difference {diff}", flush=True)
    return rows


# Cases in the committed fixture: the two that look broken, and the configuration that fixes LMS.
FIXTURE_CASES = [("PNDMScheduler", 12, {}), ("LMSDiscreteScheduler", 12, {}),
                 ("LMSDiscreteScheduler", 12, {"use_karras_sigmas": True})]
FIXTURE_PROMPT, FIXTURE_SEED, FIXTURE_GUIDANCE = "a yellow circle on a purple background", 3, 5.0


def write_fixture(model: ShippedModel) -> None:
    cases = []
    for cls, steps, overrides in FIXTURE_CASES:
        lat = model.sample([FIXTURE_PROMPT], [FIXTURE_SEED], steps=steps, guidance=FIXTURE_GUIDANCE,
                           scheduler=cls, overrides=overrides)
        cases.append({"scheduler": cls, "steps": steps, "useKarrasSigmas": bool(overrides.get("use_karras_sigmas")),
                      "shape": list(lat.shape), "latents": [round(float(v), 6) for v in lat.reshape(-1)]})
    import diffusers
    fixture = {"about": "diffusers' final latents on the shipped model (tools/check_schedulers.py --fixture)",
               "diffusers": diffusers.__version__,
               "unetBytes": os.path.getsize(os.path.join(model.dir, "unet", "model.onnx")),
               "prompt": FIXTURE_PROMPT, "seed": FIXTURE_SEED, "guidanceScale": FIXTURE_GUIDANCE, "cases": cases}
    path = os.path.join(ROOT, "main", "engine", "pipelines", "fixtures", "shipped-pndm-lms.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=48)
    ap.add_argument("--no-engine", action="store_true")
    ap.add_argument("--fixture", action="store_true", help="only write the engine test's fixture")
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    model = ShippedModel(threads=1)
    if a.fixture:
        write_fixture(model)
        return
    report = {"quality": run_cases(model, a.prompts)}
    if not a.no_engine:
        report["engine_vs_diffusers"] = engine_compare(model)
    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
