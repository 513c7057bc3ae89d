#!/usr/bin/env python3
"""Reference trajectories for main/engine/schedulers, produced by diffusers' own scheduler code.

diffusers is not installed here (and PyPI is out of reach), so this script imports the scheduler
modules straight from a diffusers source checkout and stands in for the few package-level helpers
they import (config registration, output dataclass base, logging, `randn_tensor`, and
`scipy.integrate.quad`, which LMS uses on low-degree polynomials). Those stand-ins are written here
from the documented behaviour; no diffusers code is copied into this repository.

Usage (Debian's PyTorch, not the `python3` on PATH):

    # a diffusers checkout: a work tree, or a bare git directory (HEAD is used)
    git clone --bare https://github.com/huggingface/diffusers /tmp/diffusers.git
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/reference/make_scheduler_reference.py /tmp/diffusers.git

Writes main/engine/schedulers/fixtures/<SchedulerClass>.json: for each config variant and for 1, 4
and 25 steps, the timesteps, sigmas and init_noise_sigma after set_timesteps, then a sampling loop
on a 1x4x8x8 sample (seed-0 latents from torch.randn, scaled by init_noise_sigma; a deterministic
"model" 0.5 * scaled_input + P / (i + 1) with a fixed pattern P; one generator shared by the
latents and the step noise, as diffusers pipelines do), recording at every step prev_sample, the scaled
input (where it differs from the sample) and pred_original_sample / denoised as max |x|, sum, dot
product with P and selected values, and the 25-step run's final sample in full. Float32 values are written as the shortest decimal
that rounds back to the same float32.
"""
import dataclasses
import enum
import functools
import importlib
import inspect
import json
import logging
import os
import subprocess
import sys
import types

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(ROOT, "main", "engine", "schedulers", "fixtures")
WORK_DIR = os.path.join(ROOT, "tools", ".work")

SHAPE = [1, 4, 8, 8]
NUMEL = 256
SELECTED = [0, 37, 74, 111, 148, 185, 222, 255]
FEW = SELECTED[::2]
STEP_COUNTS = [1, 4, 25]
ALPHA_INDICES = [0, 1, 2, 10, 100, 500, 900, 997, 998, 999]
SEED = 0


# ---------------------------------------------------------------------------------------------
# Locating the scheduler sources
# ---------------------------------------------------------------------------------------------
def scheduler_sources(path):
    """Returns (schedulers_dir, commit) for a work tree or a bare git directory."""
    tree = os.path.join(path, "src", "diffusers", "schedulers")
    if os.path.isdir(tree):
        commit = subprocess.run(
            ["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        return tree, commit or "unknown"
    commit = subprocess.run(
        ["git", "--git-dir", path, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = os.path.join(WORK_DIR, "diffusers-" + commit[:12])
    if not os.path.isdir(os.path.join(dest, "src", "diffusers", "schedulers")):
        os.makedirs(dest, exist_ok=True)
        archive = subprocess.run(
            ["git", "--git-dir", path, "archive", "HEAD", "src/diffusers/schedulers"],
            capture_output=True, check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    return os.path.join(dest, "src", "diffusers", "schedulers"), commit


# ---------------------------------------------------------------------------------------------
# Stand-ins for the package helpers the scheduler modules import
# ---------------------------------------------------------------------------------------------
class _Config(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __setattr__(self, name, value):
        self[name] = value


class _ConfigMixin:
    config_name = "scheduler_config.json"
    ignore_for_config = []

    def register_to_config(self, **kwargs):
        merged = dict(self.__dict__.get("_config_store", {}))
        merged.update(kwargs)
        self.__dict__["_config_store"] = _Config(merged)

    @property
    def config(self):
        return self.__dict__["_config_store"]


def _register_to_config(init):
    """Records every __init__ argument (given or default) as config before __init__ runs."""

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        params = list(inspect.signature(init).parameters.values())[1:]
        values = {p.name: p.default for p in params}
        values.update(dict(zip([p.name for p in params], args)))
        values.update(kwargs)
        defaults = [p.name for p in params if p.name not in kwargs][len(args):]
        if defaults:
            values["_use_default_values"] = defaults
        self.register_to_config(**values)
        init(self, *args, **kwargs)

    return wrapper


class _BaseOutput:
    pass


def _randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
    """One torch.randn call for the whole shape, or one [1, ...] call per generator in a list."""
    if isinstance(generator, list) and len(generator) == 1:
        generator = generator[0]
    if isinstance(generator, list):
        return torch.cat(
            [torch.randn((1,) + tuple(shape[1:]), generator=g, dtype=dtype) for g in generator]
        )
    return torch.randn(tuple(shape), generator=generator, dtype=dtype)


def _quad(fn, a, b, **_kwargs):
    """Gauss-Legendre with 16 nodes: exact for the degree <= 3 polynomials LMS integrates."""
    nodes, weights = np.polynomial.legendre.leggauss(16)
    half, mid = (b - a) / 2.0, (a + b) / 2.0
    total = sum(float(w) * float(fn(half * float(x) + mid)) for x, w in zip(nodes, weights))
    return total * half, 0.0


def install_stand_ins(schedulers_dir):
    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    module("diffusers", __path__=[])
    module(
        "diffusers.configuration_utils",
        ConfigMixin=_ConfigMixin,
        register_to_config=_register_to_config,
        FrozenDict=_Config,
    )
    module(
        "diffusers.utils",
        __path__=[],
        BaseOutput=_BaseOutput,
        deprecate=lambda *a, **k: None,
        is_scipy_available=lambda: True,
        logging=types.SimpleNamespace(get_logger=logging.getLogger),
    )
    module("diffusers.utils.torch_utils", randn_tensor=_randn_tensor)
    module("diffusers.schedulers", __path__=[schedulers_dir])

    @dataclasses.dataclass
    class SchedulerOutput(_BaseOutput):
        prev_sample: torch.Tensor

    module(
        "diffusers.schedulers.scheduling_utils",
        KarrasDiffusionSchedulers=enum.Enum("KarrasDiffusionSchedulers", "DDIMScheduler"),
        SchedulerMixin=type("SchedulerMixin", (), {}),
        SchedulerOutput=SchedulerOutput,
    )
    scipy = module("scipy", __path__=[])
    scipy.integrate = module("scipy.integrate", quad=_quad)
    scipy.stats = module("scipy.stats")


# ---------------------------------------------------------------------------------------------
# Configs (the scheduler_config.json files SD / SDXL / Turbo / LCM checkpoints ship)
# ---------------------------------------------------------------------------------------------
SD15 = {
    "_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "beta_start": 0.00085, "clip_sample": False, "num_train_timesteps": 1000,
    "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None,
}
SD21_V = {
    "_class_name": "DDIMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "beta_start": 0.00085, "clip_sample": False, "num_train_timesteps": 1000,
    "prediction_type": "v_prediction", "set_alpha_to_one": False, "skip_prk_steps": True,
    "steps_offset": 1, "trained_betas": None,
}
SDXL = {
    "_class_name": "EulerDiscreteScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "beta_start": 0.00085, "clip_sample": False, "interpolation_type": "linear",
    "num_train_timesteps": 1000, "prediction_type": "epsilon", "sample_max_value": 1.0,
    "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
    "timestep_spacing": "leading", "trained_betas": None, "use_karras_sigmas": False,
}
TURBO = dict(SDXL, _class_name="EulerAncestralDiscreteScheduler", timestep_spacing="trailing")
LCM_SDXL = {
    "_class_name": "LCMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "beta_start": 0.00085, "clip_sample": False, "clip_sample_range": 1.0,
    "dynamic_thresholding_ratio": 0.995, "num_train_timesteps": 1000,
    "original_inference_steps": 50, "prediction_type": "epsilon", "rescale_betas_zero_snr": False,
    "sample_max_value": 1.0, "set_alpha_to_one": True, "steps_offset": 1, "thresholding": False,
    "timestep_scaling": 10.0, "timestep_spacing": "leading", "trained_betas": None,
}
SMALL_TRAINED = {
    "num_train_timesteps": 100,
    "trained_betas": [round(0.001 + i * (0.05 - 0.001) / 99, 8) for i in range(100)],
}


def v(name, base, overrides=None, step_kwargs=None):
    return {"name": name, "config": dict(base, **(overrides or {})), "stepKwargs": step_kwargs or {}}


VARIANTS = {
    "DDIMScheduler": ("scheduling_ddim", [
        v("sd15", SD15),
        v("sd21-v", SD21_V),
        v("zero-snr-trailing-v", SD21_V, {"timestep_spacing": "trailing", "rescale_betas_zero_snr": True}),
        v("defaults", {}),
        v("cosine-linspace", {"beta_schedule": "squaredcos_cap_v2", "timestep_spacing": "linspace", "clip_sample": False}),
        v("eta-1", SD15, None, {"eta": 1.0}),
        v("sample-thresholding", SD15, {"prediction_type": "sample", "thresholding": True, "sample_max_value": 1.5}),
        v("trained-betas-trailing", SMALL_TRAINED, {"timestep_spacing": "trailing"}),
    ]),
    "EulerDiscreteScheduler": ("scheduling_euler_discrete", [
        v("sdxl", SDXL),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("sdxl-trailing", SDXL, {"timestep_spacing": "trailing"}),
        v("sd21-v-linspace", SD21_V),
        v("karras-final-sigma-min", SDXL, {"use_karras_sigmas": True, "final_sigmas_type": "sigma_min"}),
        v("log-linear", SD15, {"interpolation_type": "log_linear"}),
        v("exponential-trailing", SD15, {"use_exponential_sigmas": True, "timestep_spacing": "trailing"}),
        v("continuous-v-karras", SD21_V, {"timestep_type": "continuous", "use_karras_sigmas": True, "sigma_min": 0.002, "sigma_max": 80.0}),
        v("zero-snr-trailing-v", SD21_V, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}),
        v("churn", SDXL, None, {"s_churn": 1.0}),
        v("sample-prediction", SD15, {"prediction_type": "sample"}),
    ]),
    "EulerAncestralDiscreteScheduler": ("scheduling_euler_ancestral_discrete", [
        v("sd15", SD15),
        v("turbo-trailing", TURBO),
        v("sd21-v-linspace", SD21_V),
        v("zero-snr-trailing-v", SD21_V, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}),
        # (squaredcos_cap_v2 is left out: diffusers' float32 sigma_up / sigma_down give NaN there.)
        v("defaults-leading", {"timestep_spacing": "leading"}),
    ]),
    "DPMSolverMultistepScheduler": ("scheduling_dpmsolver_multistep", [
        v("sd15", SD15),
        v("sdxl", SDXL),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("sde-karras", SDXL, {"algorithm_type": "sde-dpmsolver++", "use_karras_sigmas": True}),
        v("order3-trailing", SDXL, {"solver_order": 3, "timestep_spacing": "trailing"}),
        v("order3-sigma-min", SD15, {"solver_order": 3, "lower_order_final": False, "final_sigmas_type": "sigma_min"}),
        v("euler-at-final", SDXL, {"euler_at_final": True, "lower_order_final": False}),
        v("heun", SDXL, {"solver_type": "heun"}),
        v("dpmsolver-heun", SD15, {"algorithm_type": "dpmsolver", "solver_type": "heun", "final_sigmas_type": "sigma_min"}),
        v("sde-dpmsolver", SD15, {"algorithm_type": "sde-dpmsolver", "final_sigmas_type": "sigma_min"}),
        v("v-zero-snr-trailing", SD21_V, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}),
        v("lu-lambdas", SDXL, {"use_lu_lambdas": True}),
        v("exponential", SD15, {"use_exponential_sigmas": True}),
        v("sample-thresholding", SD15, {"prediction_type": "sample", "thresholding": True, "sample_max_value": 1.5}),
        # (squaredcos_cap_v2 with Karras sigmas is left out: under NumPy 2 its first two
        # timesteps truncate to the same value and diffusers' step index runs off the end.)
        v("cosine-lambda-clipped", {"beta_schedule": "squaredcos_cap_v2", "lambda_min_clipped": -5.1}),
    ]),
    "PNDMScheduler": ("scheduling_pndm", [
        v("sd15", SD15),
        v("prk-defaults", {}),
        v("prk-sd15", SD15, {"skip_prk_steps": False}),
        v("trailing-v", SD21_V, {"timestep_spacing": "trailing"}),
        v("linspace-alpha-one", SD15, {"timestep_spacing": "linspace", "set_alpha_to_one": True}),
    ]),
    "LMSDiscreteScheduler": ("scheduling_lms_discrete", [
        v("sd15", SD15),
        v("karras", SD15, {"use_karras_sigmas": True}),
        v("sd21-v-linspace", SD21_V),
        v("trailing-sample", SD15, {"timestep_spacing": "trailing", "prediction_type": "sample"}),
        v("exponential", SDXL, {"use_exponential_sigmas": True}),
    ]),
    "LCMScheduler": ("scheduling_lcm", [
        v("lcm-sdxl", LCM_SDXL),
        v("v-clip-100", LCM_SDXL, {"prediction_type": "v_prediction", "clip_sample": True, "original_inference_steps": 100}),
        v("zero-snr-sample", LCM_SDXL, {"rescale_betas_zero_snr": True, "prediction_type": "sample", "set_alpha_to_one": False}),
        v("thresholding", LCM_SDXL, {"thresholding": True, "prediction_type": "sample"}),
        v("defaults", {}),
    ]),
}


# ---------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------
def f32(x):
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def jsonable(x):
    if isinstance(x, torch.Tensor):
        x = x.tolist()
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return [jsonable(i) for i in x]
    if isinstance(x, dict):
        return {k: jsonable(val) for k, val in x.items()}
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if np.isfinite(x) else str(x).replace("inf", "Infinity")
    if isinstance(x, np.integer):
        return int(x)
    return x


PATTERN = torch.tensor([((k * 37) % 101) / 50 - 1 for k in range(NUMEL)], dtype=torch.float32).reshape(SHAPE)


def g9(x):
    # Summaries are compared with a tolerance; 9 significant digits are plenty.
    return float(f"{float(x):.9g}")


def summary(t, picks=SELECTED):
    """[max |x|, sum, dot(x, P), x[i] for i in picks], the sums taken in float64."""
    flat = t.detach().to(torch.float32).flatten()
    wide = flat.to(torch.float64)
    dot = (wide * PATTERN.flatten().to(torch.float64)).sum()
    return [g9(wide.abs().max()), g9(wide.sum()), g9(dot)] + [f32(flat[i]) for i in picks]


def model(x, i):
    return 0.5 * x + (1.0 / (i + 1)) * PATTERN


def numpy2_sigma_to_t(cls):
    """Makes `_sigma_to_t` promote like NumPy 2 when this runs under NumPy 1.

    NumPy 1 casts the float64 scalar log(sigma) down to float32 when it meets the float32
    log-sigma table (value-based casting), NumPy 2 keeps float64. The results differ by ~1e-5 of
    a timestep, which matters only where diffusers truncates them (DPM-Solver with
    squaredcos_cap_v2 and Karras sigmas: 998.99999996 -> 998 under NumPy 2, 999 under NumPy 1).
    Stepwise follows NumPy 2; passing sigma as a one-element float64 array gives the same
    promotion under NumPy 1.
    """
    original = getattr(cls, "_sigma_to_t", None)
    if original is None or int(np.__version__.split(".")[0]) >= 2:
        return

    def sigma_to_t(self, sigma, log_sigmas):
        return original(self, np.array([sigma], dtype=np.float64), log_sigmas)[0]

    cls._sigma_to_t = sigma_to_t


def make(cls, config):
    keys = set(inspect.signature(cls.__init__).parameters) - {"self"}
    return cls(**{k: val for k, val in config.items() if k in keys})


def trajectory(cls, variant, steps):
    sched = make(cls, variant["config"])
    sched.set_timesteps(steps)
    params = inspect.signature(sched.step).parameters
    g = torch.Generator("cpu").manual_seed(SEED)
    latents = _randn_tensor(SHAPE, generator=g, dtype=torch.float32)
    latents = latents * sched.init_noise_sigma
    out = {
        "steps": steps,
        "timesteps": [f32(t) for t in sched.timesteps.tolist()],
        "initNoiseSigma": f32(sched.init_noise_sigma),
        "order": sched.order,
        "initial": summary(latents),
        "trace": [],
    }
    if isinstance(getattr(sched, "sigmas", None), torch.Tensor):
        out["sigmas"] = [f32(s) for s in sched.sigmas.tolist()]
    for i, t in enumerate(sched.timesteps):
        latents_before = latents
        x_in = sched.scale_model_input(latents, t)
        kwargs = dict(variant["stepKwargs"])
        if "generator" in params:
            kwargs["generator"] = g
        res = sched.step(model(x_in, i), t, latents, **kwargs)
        latents = res.prev_sample
        rec = {"t": f32(t), "prev": summary(latents)}
        if not torch.equal(x_in, latents_before):
            rec["input"] = summary(x_in, FEW)
        if getattr(res, "pred_original_sample", None) is not None:
            rec["x0"] = summary(res.pred_original_sample, FEW)
        if getattr(res, "denoised", None) is not None:
            rec["denoised"] = summary(res.denoised, FEW)
        if hasattr(sched, "model_outputs") and sched.model_outputs[-1] is not None:
            # DPM-Solver keeps its converted output: x0 for dpmsolver++, epsilon for dpmsolver,
            # which is turned into x0 here with the step's own alpha_t / sigma_t.
            x = sched.model_outputs[-1]
            if sched.config.algorithm_type in ("dpmsolver", "sde-dpmsolver"):
                alpha_t, sigma_t = sched._sigma_to_alpha_sigma_t(sched.sigmas[sched.step_index - 1])
                x = (latents_before - sigma_t * x) / alpha_t
            rec["denoised"] = summary(x, FEW)
        out["trace"].append(rec)
    if steps == STEP_COUNTS[-1]:
        out["final"] = [f32(x) for x in latents.flatten().tolist()]
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    torch.set_num_threads(1)
    schedulers_dir, commit = scheduler_sources(os.path.abspath(sys.argv[1]))
    install_stand_ins(schedulers_dir)
    os.makedirs(OUT_DIR, exist_ok=True)
    for class_name, (module_name, variants) in VARIANTS.items():
        cls = getattr(importlib.import_module("diffusers.schedulers." + module_name), class_name)
        numpy2_sigma_to_t(cls)
        entries = []
        for variant in variants:
            sched = make(cls, variant["config"])
            cfg = {k: val for k, val in dict(sched.config).items() if k != "trained_betas"}
            cfg["trained_betas"] = None if sched.config.trained_betas is None else "<input>"
            entry = {
                "name": variant["name"],
                "input": jsonable(variant["config"]),
                "stepKwargs": variant["stepKwargs"],
                "config": jsonable(cfg),
                "alphasCumprod": {str(i): f32(sched.alphas_cumprod[i]) for i in ALPHA_INDICES if i < len(sched.alphas_cumprod)},
                "runs": [],
            }
            for steps in STEP_COUNTS:
                try:
                    entry["runs"].append(trajectory(cls, variant, steps))
                except Exception as e:  # diffusers itself refuses some combinations
                    entry["runs"].append({"steps": steps, "error": f"{type(e).__name__}: {e}"})
            entries.append(entry)
        data = {
            "className": class_name,
            "diffusersCommit": commit,
            "torchVersion": torch.__version__,
            "numpyVersion": np.__version__,
            "numpyPromotion": "NumPy 2 (_sigma_to_t evaluated in float64)",
            "shape": SHAPE,
            "selected": SELECTED,
            "selectedFew": FEW,
            "summary": "[max |x|, sum, dot(x, P), x[i] for the selected i]; prev uses selected, others selectedFew",
            "seed": SEED,
            "pattern": "P[k] = ((k * 37) % 101) / 50 - 1 (float32); model = 0.5 * input + P / (i + 1)",
            "variants": entries,
        }
        path = os.path.join(OUT_DIR, class_name + ".json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        errors = [f"{e['name']}/{r['steps']}" for e in entries for r in e["runs"] if "error" in r]
        print(f"{class_name}: {len(entries)} variants, {os.path.getsize(path)} bytes, errors: {errors}", file=sys.stderr)


if __name__ == "__main__":
    main()
