#!/usr/bin/env python3
"""Reference results of diffusers' own `add_noise` for every scheduler class the engine has.

    OPENBLAS_NUM_THREADS=1 /work/pyenv/bin/python tools/reference/make_add_noise_reference.py

Writes main/engine/schedulers/fixtures/add-noise-reference.json. For each class and two config
variants (the first two of tools/reference/make_scheduler_reference.py's list), with 10 inference
steps, on a 2x4x2x2 sample and noise (fixed formulas, written out):

- "lookup": no begin index (a pipeline without set_begin_index): one timestep per row, looked up
  with the class's own index_for_timestep (a repeated timestep of Heun/KDPM2 included);
- "begin": set_begin_index(4) before any step (img2img's initial latents), one timestep;
- "after-steps": set_begin_index(4), three steps from timesteps[4] with the trajectory script's
  deterministic model and a seeded generator, then add_noise at the next timestep (inpainting's
  re-noising of the known region after a step).
Classes without set_begin_index (DDIM, PNDM) record "lookup" only; their add_noise ignores it.
"""
import json
import os
import sys
import warnings

import torch

import diffusers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_scheduler_reference as sr  # noqa: E402

OUT = os.path.join(sr.ROOT, "main", "engine", "schedulers", "fixtures", "add-noise-reference.json")
SHAPE = (2, 4, 2, 2)
STEPS = 10
BEGIN = 4
AFTER = 3


def tensor(formula):
    n = 2 * 4 * 2 * 2
    return torch.tensor([formula(k) for k in range(n)], dtype=torch.float32).reshape(SHAPE)


ORIGINAL = tensor(lambda k: ((k * 13) % 17) / 8 - 1)
NOISE = tensor(lambda k: ((k * 29) % 23) / 11 - 1)


def model(x, i):
    pattern = tensor(lambda k: ((k * 37) % 101) / 50 - 1)
    return 0.5 * x + (1.0 / (i + 1)) * pattern


def values(t):
    return [sr.f32(x) for x in t.flatten().tolist()]


def timestep_value(sched, t):
    return float(t) if sched.timesteps.dtype == torch.float64 else sr.f32(t)


def cases_for(cls, config):
    out = []
    sched = cls.from_config(config)
    sched.set_timesteps(STEPS)
    ts = sched.timesteps
    # Heun and KDPM2 list interior timesteps twice: index 2 is the second copy of index 1's value.
    picks = [1, 2] if sched.order == 2 else [2, 7]
    chosen = torch.stack([ts[picks[0]], ts[picks[1]]])
    out.append({"kind": "lookup", "indices": picks, "timesteps": [timestep_value(sched, t) for t in chosen],
                "result": values(sched.add_noise(ORIGINAL, NOISE, chosen))})
    if not hasattr(sched, "set_begin_index"):
        return out
    sched = cls.from_config(config)
    sched.set_timesteps(STEPS)
    sched.set_begin_index(BEGIN)
    t0 = sched.timesteps[BEGIN:BEGIN + 1]
    out.append({"kind": "begin", "beginIndex": BEGIN, "timesteps": [timestep_value(sched, t0[0])],
                "result": values(sched.add_noise(ORIGINAL, NOISE, t0))})
    sched = cls.from_config(config)
    sched.set_timesteps(STEPS)
    sched.set_begin_index(BEGIN)
    g = torch.Generator("cpu").manual_seed(0)
    import inspect
    takes_generator = "generator" in inspect.signature(sched.step).parameters
    latents = ORIGINAL.clone()
    for i, t in enumerate(sched.timesteps[BEGIN:BEGIN + AFTER]):
        x_in = sched.scale_model_input(latents, t)
        kwargs = {"generator": g} if takes_generator else {}
        latents = sched.step(model(x_in, i), t, latents, **kwargs).prev_sample
    nxt = sched.timesteps[BEGIN + AFTER:BEGIN + AFTER + 1]
    out.append({"kind": "after-steps", "beginIndex": BEGIN, "steps": AFTER,
                "timesteps": [timestep_value(sched, nxt[0])], "stepIndex": sched.step_index,
                "latents": values(latents), "result": values(sched.add_noise(ORIGINAL, NOISE, nxt))})
    return out


def main():
    torch.set_num_threads(1)
    diffusers.utils.logging.set_verbosity_error()
    warnings.simplefilter("ignore", FutureWarning)
    classes = []
    for class_name, variants in sr.VARIANTS.items():
        cls = getattr(diffusers, class_name)
        entries = []
        for variant in variants[:2]:
            entries.append({"name": variant["name"], "config": sr.jsonable(variant["config"]),
                            "cases": cases_for(cls, variant["config"])})
        classes.append({"className": class_name, "variants": entries})
    data = {
        "diffusersVersion": diffusers.__version__,
        "torchVersion": torch.__version__,
        "shape": list(SHAPE),
        "steps": STEPS,
        "original": values(ORIGINAL),
        "noise": values(NOISE),
        "model": "0.5 * input + P / (i + 1), P[k] = ((k * 37) % 101) / 50 - 1; generator seed 0",
        "classes": classes,
    }
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"{len(classes)} classes, {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
