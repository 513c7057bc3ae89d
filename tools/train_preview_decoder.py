"""Distil the tiny preview decoder of stepwise-shapes-64 from the model's own VAE decoder (fixed seeds).

    OPENBLAS_NUM_THREADS=1 /work/pyenv/bin/python tools/train_preview_decoder.py [stage ...] [--force]

Works from the shipped ONNX graphs only (the VAE's training checkpoints are not needed): the VAE encoder
makes latents of drawn images, the text encoder + UNet with diffusers' schedulers make the latents a
pipeline previews (the scheduler's predicted clean latents at every step, and the noisy latents), and the
VAE decoder's output on each is the target the tiny decoder learns to reproduce.

Stages (each caches its output in tools/.work/preview_decoder/ and is skipped when that exists, unless
named with --force):
  images        draw IMAGES pictures (tools/shapes.py) and encode them (posterior mean x scaling_factor)
  trajectories  sample RUNS x PROMPTS_PER_RUN images with the shipped text encoder + UNet and diffusers'
                DDIM / Euler / Euler a / DPM++ 2M at random step counts and guidance scales; keep the
                predicted x0 and the latents of a few random steps of every trajectory
  targets       decode every kept latent with the shipped VAE decoder (uint8 pixels: the training targets)
  train         train the TinyDecoder (L1 + MSE + image-gradient L1 against the VAE's pixels)
  export        write preview_decoder/model.onnx + config.json into the model folder; onnxruntime vs torch

STEPWISE_SMOKE=1 runs every stage with tiny counts into tools/.work/preview_decoder_smoke (its export
goes to that folder too) to check the code paths.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes  # noqa: E402
from onnx_sampler import MODEL_DIR, ROOT, ShippedModel, to_uint8  # noqa: E402
from tiny_decoder import TinyDecoder, count_params  # noqa: E402

WORK = os.path.join(ROOT, "tools", ".work", "preview_decoder")
SEED = 20261216

# ---------------------------------------------------------------- recipe
IMAGES = 20000  # drawn pictures, encoded with the shipped VAE encoder
RUNS = 24  # sampling runs of PROMPTS_PER_RUN random captions each
PROMPTS_PER_RUN = 64
X0_PER_TRAJECTORY = 8  # random steps whose predicted x0 is kept
LATENTS_PER_TRAJECTORY = 3  # random steps whose noisy latents are kept
SCHEDULER_MIX = (("DDIMScheduler", 0.45), ("EulerDiscreteScheduler", 0.25),
                 ("EulerAncestralDiscreteScheduler", 0.15), ("DPMSolverMultistepScheduler", 0.15))
STEP_CHOICES = (10, 15, 20, 25, 30, 40)
GUIDANCE_CHOICES = (1.0, 3.0, 5.0, 5.0, 7.5)
HOLDOUT = 512  # per kind, never trained on

# Sized by cost: on the 2-core CPU, (64, 32, 16) channels cost 9 % of a 512x512 step of the UNet; these 2-3 %.
ARCH = {"channels": (32, 16, 8), "blocks": (2, 1, 1), "pixel_shuffle": True}
TRAIN_STEPS = 16000
BATCH = 32
LR = 2e-3
LR_MIN = 5e-5
WARMUP = 200
GRAD_W = 0.5  # image-gradient L1 (sharper shape edges)
MIX = {"images": 0.45, "x0": 0.4, "latents": 0.15}  # share of each kind in a batch
EVAL_EVERY = 500

if os.environ.get("STEPWISE_SMOKE") == "1":  # every stage in about a minute, to check the code paths
    WORK = os.path.join(ROOT, "tools", ".work", "preview_decoder_smoke")
    IMAGES, RUNS, PROMPTS_PER_RUN, HOLDOUT = 256, 2, 8, 32
    TRAIN_STEPS, EVAL_EVERY, WARMUP = 60, 30, 10


def log(*a) -> None:
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def adapt_threads() -> None:
    """Two threads on an idle machine; one when others keep it busy (each small op then waits less)."""
    want = 1 if os.getloadavg()[0] > 2.5 else 2
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)


def save_npz(path: str, **arrays) -> None:
    tmp = path + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


# ---------------------------------------------------------------- stages
def stage_images() -> None:
    rng = np.random.default_rng(SEED)
    model = ShippedModel()
    imgs, params = shapes.random_batch(IMAGES, rng)
    log(f"drew {IMAGES} images; encoding")
    latents = model.vae_encode(imgs).astype(np.float32)
    log(f"latent std {latents.std():.3f} (model space)")
    save_npz(os.path.join(WORK, "images.npz"), latents=latents, images=imgs)


def stage_trajectories() -> None:
    rng = np.random.default_rng(SEED + 1)
    model = ShippedModel()
    names = [n for n, _ in SCHEDULER_MIX]
    weights = np.array([w for _, w in SCHEDULER_MIX])
    x0s, x0_meta, lats, lat_meta = [], [], [], []
    t0 = time.time()
    for run in range(RUNS):
        sch = names[rng.choice(len(names), p=weights / weights.sum())]
        steps = int(rng.choice(STEP_CHOICES))
        g = float(rng.choice(GUIDANCE_CHOICES))
        params = [shapes.sample_params(rng) for _ in range(PROMPTS_PER_RUN)]
        seeds = rng.integers(0, 2 ** 31, PROMPTS_PER_RUN)
        keep_x0 = [np.sort(rng.choice(steps, X0_PER_TRAJECTORY, replace=False)) for _ in params]
        keep_lat = [np.sort(rng.choice(steps, LATENTS_PER_TRAJECTORY, replace=False)) for _ in params]

        def on_step(i, t, latents, x0):
            for k in range(len(params)):
                if x0 is not None and i in keep_x0[k]:
                    x0s.append(x0[k])
                    x0_meta.append((run, i, steps))
                # A scheduler without x0 (DPM++) is previewed from its latents: keep more of those.
                if i in keep_lat[k] or (x0 is None and i in keep_x0[k]):
                    lats.append(latents[k])
                    lat_meta.append((run, i, steps))

        model.sample([p["caption"] for p in params], [int(s) for s in seeds], steps, g, sch, on_step=on_step)
        log(f"run {run + 1}/{RUNS}: {sch} {steps} steps g={g}; {len(x0s)} x0, {len(lats)} latents "
            f"({time.time() - t0:.0f} s)")
    save_npz(os.path.join(WORK, "trajectories.npz"), x0=np.stack(x0s).astype(np.float32),
             x0_meta=np.array(x0_meta), latents=np.stack(lats).astype(np.float32), latents_meta=np.array(lat_meta))


def stage_targets() -> None:
    model = ShippedModel()
    im = np.load(os.path.join(WORK, "images.npz"))
    tr = np.load(os.path.join(WORK, "trajectories.npz"))
    out = {}
    for kind, lat in (("images", im["latents"]), ("x0", tr["x0"]), ("latents", tr["latents"])):
        t0 = time.time()
        out[kind] = lat
        out[kind + "_target"] = to_uint8(model.vae_decode(lat)).transpose(0, 3, 1, 2)  # uint8 NCHW
        log(f"{kind}: {len(lat)} decoded in {time.time() - t0:.0f} s")
    save_npz(os.path.join(WORK, "targets.npz"), **out)


def load_targets():
    d = np.load(os.path.join(WORK, "targets.npz"))
    sets = {}
    for kind in MIX:
        lat, tgt = d[kind], d[kind + "_target"]
        sets[kind] = {"train": (lat[HOLDOUT:], tgt[HOLDOUT:]), "held": (lat[:HOLDOUT], tgt[:HOLDOUT])}
    return sets


def to_pixels(u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(u8.astype(np.float32) / 127.5 - 1)


def image_grad_l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]  # noqa: E731
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]  # noqa: E731
    return (dx(a) - dx(b)).abs().mean() + (dy(a) - dy(b)).abs().mean()


@torch.no_grad()
def held_out_scores(model: TinyDecoder, sets) -> dict:
    model.eval()
    res = {}
    for kind, s in sets.items():
        lat, tgt = s["held"]
        out = to_uint8(model(torch.from_numpy(lat)).numpy()).transpose(0, 3, 1, 2)
        mse = ((out.astype(np.float32) - tgt.astype(np.float32)) ** 2).mean()
        res[kind] = {"psnr": round(10 * math.log10(255 ** 2 / max(mse, 1e-9)), 2),
                     "mae": round(float(np.abs(out.astype(np.float32) - tgt.astype(np.float32)).mean()), 2)}
    model.train()
    return res


def lr_at(step: int) -> float:
    if step < WARMUP:
        return LR * (step + 1) / WARMUP
    p = (step - WARMUP) / max(1, TRAIN_STEPS - WARMUP)
    return LR_MIN + 0.5 * (LR - LR_MIN) * (1 + math.cos(math.pi * p))


def stage_train() -> None:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED + 2)
    sets = load_targets()
    model = TinyDecoder(ARCH["channels"], ARCH["blocks"], pixel_shuffle=ARCH["pixel_shuffle"])
    log(f"TinyDecoder {ARCH}: {count_params(model)} parameters")
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-4)
    start = 0
    ckpt = os.path.join(WORK, "train_ckpt.pt")
    curve_path = os.path.join(WORK, "train_curve.jsonl")
    if os.path.exists(ckpt):
        ck = torch.load(ckpt, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        rng.bit_generator.state = ck["rng"]
        torch.set_rng_state(ck["torch_rng"])
        start = ck["step"]
        log(f"resumed at step {start}")
    kinds = list(MIX)
    shares = np.array([MIX[k] for k in kinds])
    t0 = time.time()
    run_loss = 0.0
    for step in range(start, TRAIN_STEPS):
        if step % 50 == 0:
            adapt_threads()
        for grp in opt.param_groups:
            grp["lr"] = lr_at(step)
        counts = rng.multinomial(BATCH, shares)
        lat_b, tgt_b = [], []
        for kind, c in zip(kinds, counts):
            lat, tgt = sets[kind]["train"]
            idx = rng.integers(0, len(lat), c)
            lat_b.append(lat[idx])
            tgt_b.append(tgt[idx])
        x = torch.from_numpy(np.concatenate(lat_b))
        y = to_pixels(np.concatenate(tgt_b))
        out = model(x)
        loss = F.l1_loss(out, y) + F.mse_loss(out, y) + GRAD_W * image_grad_l1(out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        run_loss += loss.item()
        done = step + 1
        if done % 50 == 0:
            rec = {"step": done, "loss": round(run_loss / 50, 5), "lr": lr_at(step),
                   "seconds": round(time.time() - t0, 1), "threads": torch.get_num_threads()}
            run_loss = 0.0
            if done % EVAL_EVERY == 0 or done == TRAIN_STEPS:
                rec["held_out"] = held_out_scores(model, sets)
                log(json.dumps(rec))
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": done,
                            "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state()}, ckpt + ".tmp")
                os.replace(ckpt + ".tmp", ckpt)
            with open(curve_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
    torch.save({"model": model.state_dict(), "arch": ARCH, "held_out": held_out_scores(model, sets)},
               os.path.join(WORK, "tiny_decoder.pt"))
    log(f"trained {TRAIN_STEPS} steps in {time.time() - t0:.0f} s")


CONFIG = {
    "_class_name": "AutoencoderTiny",
    "latent_channels": 4,
    "scaling_factor": 1.0,
    "shift_factor": 0.0,
}


def stage_export() -> None:
    import warnings

    import onnx

    from onnx_sampler import session
    ck = torch.load(os.path.join(WORK, "tiny_decoder.pt"), weights_only=False)
    arch = ck["arch"]
    model = TinyDecoder(arch["channels"], arch["blocks"], pixel_shuffle=arch["pixel_shuffle"]).eval()
    model.load_state_dict(ck["model"])
    out_dir = os.path.join(WORK if os.environ.get("STEPWISE_SMOKE") == "1" else MODEL_DIR, "preview_decoder")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    example = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(SEED))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), path, input_names=["latent_sample"], output_names=["sample"],
                          dynamic_axes={"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
                                        "sample": {0: "batch_size", 2: "height", 3: "width"}},
                          opset_version=17, do_constant_folding=True, dynamo=False)
    m = onnx.load(path)
    # A stable file: no producer version that changes with the torch build, static channel sizes.
    m.producer_name, m.producer_version = "stepwise tools/train_preview_decoder.py", ""
    m.graph.output[0].type.tensor_type.shape.dim[1].Clear()
    m.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 3
    onnx.checker.check_model(m)
    onnx.save_model(m, path)
    config = dict(CONFIG)
    config.update({
        "_stepwise": {
            "architecture": "TAESD-class tiny decoder (tools/tiny_decoder.py), last 2x upsampling by pixel shuffle",
            "channels": list(arch["channels"]), "blocks": list(arch["blocks"]), "pixel_shuffle": arch["pixel_shuffle"],
            "input": "latent_sample: the pipeline's latents as they are (already x the VAE scaling_factor 0.77718)",
            "output": "sample: pixels in [-1, 1], 8x the latent size",
            "distilled_from": "vae_decoder/model.onnx (tools/train_preview_decoder.py)",
        }
    })
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    # onnxruntime must agree with torch.
    s = session(path)
    for h in (8, 16):
        x = torch.randn(3, 4, h, h, generator=torch.Generator().manual_seed(h)) * 1.5
        with torch.no_grad():
            ref = model(x).numpy()
        got = s.run(["sample"], {"latent_sample": x.numpy()})[0]
        err = float(np.abs(ref - got).max())
        log(f"export check {h}x{h}: max |ort - torch| = {err:.2e}")
        assert err < 1e-4, err
    log(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB); held-out {ck['held_out']}")


STAGES = {
    "images": ("images.npz", stage_images),
    "trajectories": ("trajectories.npz", stage_trajectories),
    "targets": ("targets.npz", stage_targets),
    "train": ("tiny_decoder.pt", stage_train),
    "export": (None, stage_export),
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stages", nargs="*", help=f"any of {', '.join(STAGES)} (default: all, in order)")
    ap.add_argument("--force", action="store_true", help="rerun the named stages even if cached")
    a = ap.parse_args(argv)
    unknown = [s for s in a.stages if s not in STAGES]
    if unknown:
        ap.error(f"unknown stage {', '.join(unknown)}; stages are {', '.join(STAGES)}")
    os.makedirs(WORK, exist_ok=True)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        log("warning: set OPENBLAS_NUM_THREADS=1")
    torch.set_num_threads(2)
    for name in a.stages or list(STAGES):
        out, fn = STAGES[name]
        if out and os.path.exists(os.path.join(WORK, out)) and not (a.force and a.stages):
            log(f"stage {name}: cached ({out})")
            continue
        log(f"stage {name}")
        fn()


if __name__ == "__main__":
    main()
