#!/usr/bin/env python3
"""Reference trajectories for main/engine/schedulers, recorded from diffusers' own scheduler classes.

Runs the installed diffusers (a source install is fine; see tools/README.md for the venv). Every
scheduler is built the way a pipeline builds it, `Class.from_config(scheduler_config)`, so the
recorded config is diffusers' merged config, other classes' keys included.

Usage:

    OPENBLAS_NUM_THREADS=1 /work/pyenv/bin/python tools/reference/make_scheduler_reference.py [Class ...]

Writes main/engine/schedulers/fixtures/<SchedulerClass>.json: for each config variant and for 1, 4
and 25 steps, the timesteps, sigmas and init_noise_sigma after set_timesteps, then a sampling loop
on a 1x4x8x8 sample (seed-0 latents from torch.randn, scaled by init_noise_sigma; a deterministic
"model" 0.5 * scaled_input + P / (i + 1) with a fixed pattern P, i counting loop iterations; one
generator shared by the latents and the step noise, as diffusers pipelines do), recording at every
step prev_sample, the scaled input (where it differs from the sample) and the step's x0 prediction
(pred_original_sample, LCM's denoised, the multistep solvers' data prediction, TCD's
pred_noised_sample) as max |x|, sum, dot product with P and selected values, and the 25-step run's
final sample in full. Float32 values are written as the shortest decimal that rounds back to the
same float32; float64 timesteps (KDPM2 with Karras / exponential sigmas) as float64.
"""
import inspect
import json
import os
import sys
import warnings

import numpy as np
import torch

import diffusers

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(ROOT, "main", "engine", "schedulers", "fixtures")

SHAPE = [1, 4, 8, 8]
NUMEL = 256
SELECTED = [0, 37, 74, 111, 148, 185, 222, 255]
FEW = SELECTED[::2]
STEP_COUNTS = [1, 4, 25]
ALPHA_INDICES = [0, 1, 2, 10, 100, 500, 900, 997, 998, 999]
SEED = 0


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


TCD_SDXL = dict(LCM_SDXL, _class_name="TCDScheduler")
ZERO_SNR = {"rescale_betas_zero_snr": True}


def v(name, base, overrides=None, step_kwargs=None):
    return {"name": name, "config": dict(base, **(overrides or {})), "stepKwargs": step_kwargs or {}}


VARIANTS = {
    "DDIMScheduler": [
        v("sd15", SD15),
        v("sd21-v", SD21_V),
        v("zero-snr-trailing-v", SD21_V, {"timestep_spacing": "trailing", "rescale_betas_zero_snr": True}),
        v("defaults", {}),
        v("cosine-linspace", {"beta_schedule": "squaredcos_cap_v2", "timestep_spacing": "linspace", "clip_sample": False}),
        v("eta-1", SD15, None, {"eta": 1.0}),
        v("sample-thresholding", SD15, {"prediction_type": "sample", "thresholding": True, "sample_max_value": 1.5}),
        v("trained-betas-trailing", SMALL_TRAINED, {"timestep_spacing": "trailing"}),
    ],
    "EulerDiscreteScheduler": [
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
    ],
    "EulerAncestralDiscreteScheduler": [
        v("sd15", SD15),
        v("turbo-trailing", TURBO),
        v("sd21-v-linspace", SD21_V),
        v("zero-snr-trailing-v", SD21_V, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}),
        # (squaredcos_cap_v2 is left out: diffusers' float32 sigma_up / sigma_down give NaN there.)
        v("defaults-leading", {"timestep_spacing": "leading"}),
    ],
    "DPMSolverMultistepScheduler": [
        v("sd15", SD15),
        v("sdxl", SDXL),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("sde-karras", SDXL, {"algorithm_type": "sde-dpmsolver++", "use_karras_sigmas": True}),
        v("sde-heun-trailing", SDXL, {"algorithm_type": "sde-dpmsolver++", "solver_type": "heun", "timestep_spacing": "trailing"}),
        v("sde-order3-v", SD21_V, {"algorithm_type": "sde-dpmsolver++", "solver_order": 3}),
        v("order3-trailing", SDXL, {"solver_order": 3, "timestep_spacing": "trailing"}),
        v("order3-sigma-min", SD15, {"solver_order": 3, "lower_order_final": False, "final_sigmas_type": "sigma_min"}),
        v("euler-at-final", SDXL, {"euler_at_final": True, "lower_order_final": False}),
        v("heun", SDXL, {"solver_type": "heun"}),
        v("dpmsolver-heun", SD15, {"algorithm_type": "dpmsolver", "solver_type": "heun", "final_sigmas_type": "sigma_min"}),
        v("sde-dpmsolver", SD15, {"algorithm_type": "sde-dpmsolver", "final_sigmas_type": "sigma_min"}),
        v("sde-dpmsolver-heun-trailing", SDXL, {"algorithm_type": "sde-dpmsolver", "solver_type": "heun", "final_sigmas_type": "sigma_min", "timestep_spacing": "trailing"}),
        v("v-zero-snr-trailing", SD21_V, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}),
        v("lu-lambdas", SDXL, {"use_lu_lambdas": True}),
        v("exponential", SD15, {"use_exponential_sigmas": True}),
        v("sample-thresholding", SD15, {"prediction_type": "sample", "thresholding": True, "sample_max_value": 1.5}),
        # (squaredcos_cap_v2 with Karras sigmas is left out: under NumPy 2 its first two
        # timesteps truncate to the same value and diffusers' step index runs off the end.)
        v("cosine-lambda-clipped", {"beta_schedule": "squaredcos_cap_v2", "lambda_min_clipped": -5.1}),
    ],
    "PNDMScheduler": [
        v("sd15", SD15),
        v("prk-defaults", {}),
        v("prk-sd15", SD15, {"skip_prk_steps": False}),
        v("trailing-v", SD21_V, {"timestep_spacing": "trailing"}),
        v("linspace-alpha-one", SD15, {"timestep_spacing": "linspace", "set_alpha_to_one": True}),
        # PNDM has no rescale_betas_zero_snr: diffusers keeps the key in the config and ignores it.
        v("zero-snr-key-ignored", SD15, ZERO_SNR),
    ],
    "LMSDiscreteScheduler": [
        v("sd15", SD15),
        v("karras", SD15, {"use_karras_sigmas": True}),
        v("sd21-v-linspace", SD21_V),
        v("trailing-sample", SD15, {"timestep_spacing": "trailing", "prediction_type": "sample"}),
        v("exponential", SDXL, {"use_exponential_sigmas": True}),
        v("zero-snr-key-ignored", SD15, ZERO_SNR),
    ],
    "LCMScheduler": [
        v("lcm-sdxl", LCM_SDXL),
        v("v-clip-100", LCM_SDXL, {"prediction_type": "v_prediction", "clip_sample": True, "original_inference_steps": 100}),
        v("zero-snr-sample", LCM_SDXL, {"rescale_betas_zero_snr": True, "prediction_type": "sample", "set_alpha_to_one": False}),
        v("thresholding", LCM_SDXL, {"thresholding": True, "prediction_type": "sample"}),
        v("defaults", {}),
    ],
    "UniPCMultistepScheduler": [
        v("sd15", SD15),
        v("sdxl", SDXL),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("order3-trailing", SDXL, {"solver_order": 3, "timestep_spacing": "trailing"}),
        v("bh1-sigma-min", SD15, {"solver_type": "bh1", "final_sigmas_type": "sigma_min"}),
        v("predict-epsilon-sigma-min", SD15, {"predict_x0": False, "final_sigmas_type": "sigma_min"}),
        v("sd21-v-linspace", SD21_V),
        v("v-zero-snr-trailing", SD21_V, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}),
        v("karras-sigma-min", SDXL, {"use_karras_sigmas": True, "final_sigmas_type": "sigma_min", "lower_order_final": False}),
        v("sigma-min-order3", SD15, {"final_sigmas_type": "sigma_min", "solver_order": 3, "lower_order_final": False}),
        v("disable-corrector", SD15, {"disable_corrector": [0, 2]}),
        v("exponential", SD15, {"use_exponential_sigmas": True}),
        v("sample-thresholding", SD15, {"prediction_type": "sample", "thresholding": True, "sample_max_value": 1.5}),
        v("midpoint-becomes-bh2", SD15, {"solver_type": "midpoint"}),
    ],
    "HeunDiscreteScheduler": [
        v("sd15", SD15),
        v("sdxl", SDXL),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("sd21-v-linspace", SD21_V),
        v("trailing", SD15, {"timestep_spacing": "trailing"}),
        v("exponential", SD15, {"use_exponential_sigmas": True}),
        v("sample-clip", SD15, {"prediction_type": "sample", "clip_sample": True, "clip_sample_range": 1.5}),
        v("defaults", {}),
        v("zero-snr-key-ignored", SD15, ZERO_SNR),
    ],
    "KDPM2DiscreteScheduler": [
        v("sd15", SD15),
        v("sdxl", SDXL),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("sd21-v-linspace", SD21_V),
        v("trailing", SD15, {"timestep_spacing": "trailing"}),
        v("exponential", SD15, {"use_exponential_sigmas": True}),
        v("zero-snr-key-ignored", SD15, ZERO_SNR),
    ],
    "KDPM2AncestralDiscreteScheduler": [
        v("sd15", SD15),
        v("sdxl", SDXL),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("sd21-v-linspace", SD21_V),
        v("trailing", SD15, {"timestep_spacing": "trailing"}),
        v("zero-snr-key-ignored", SD15, ZERO_SNR),
    ],
    "DPMSolverSinglestepScheduler": [
        v("sd15", SD15),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("order3", SD15, {"solver_order": 3}),
        v("order3-heun-karras", SDXL, {"solver_order": 3, "solver_type": "heun", "use_karras_sigmas": True}),
        v("order1", SD15, {"solver_order": 1}),
        v("dpmsolver-sigma-min", SD15, {"algorithm_type": "dpmsolver", "final_sigmas_type": "sigma_min"}),
        v("dpmsolver-order3-heun", SD15, {"algorithm_type": "dpmsolver", "final_sigmas_type": "sigma_min", "solver_order": 3, "solver_type": "heun"}),
        v("sde-dpmsolver++", SD15, {"algorithm_type": "sde-dpmsolver++"}),
        v("sde-karras-order3-heun", SDXL, {"algorithm_type": "sde-dpmsolver++", "use_karras_sigmas": True, "solver_order": 3, "solver_type": "heun"}),
        v("sd21-v", SD21_V),
        v("sigma-min-no-lower-order-final", SD15, {"final_sigmas_type": "sigma_min", "lower_order_final": False}),
        v("exponential", SD15, {"use_exponential_sigmas": True}),
        v("sample-thresholding", SD15, {"prediction_type": "sample", "thresholding": True, "sample_max_value": 1.5}),
        v("cosine-lambda-clipped", {"beta_schedule": "squaredcos_cap_v2", "lambda_min_clipped": -5.1}),
        v("zero-snr-key-ignored", SD15, ZERO_SNR),
    ],
    "DEISMultistepScheduler": [
        v("sd15", SD15),
        v("sdxl", SDXL),
        v("sdxl-karras", SDXL, {"use_karras_sigmas": True}),
        v("order3-trailing", SDXL, {"solver_order": 3, "timestep_spacing": "trailing"}),
        v("order1", SD15, {"solver_order": 1}),
        v("sd21-v-linspace", SD21_V),
        v("no-lower-order-final", SD15, {"lower_order_final": False, "solver_order": 3}),
        v("exponential", SD15, {"use_exponential_sigmas": True}),
        v("sample-thresholding", SD15, {"prediction_type": "sample", "thresholding": True, "sample_max_value": 1.5}),
        v("dpmsolver-becomes-deis", SD15, {"algorithm_type": "dpmsolver++", "solver_type": "midpoint"}),
        v("zero-snr-key-ignored", SD15, ZERO_SNR),
    ],
    "TCDScheduler": [
        v("tcd-sdxl", TCD_SDXL),
        v("eta-0", TCD_SDXL, None, {"eta": 0.0}),
        v("eta-1", TCD_SDXL, None, {"eta": 1.0}),
        v("v-100", TCD_SDXL, {"prediction_type": "v_prediction", "original_inference_steps": 100}),
        v("zero-snr-sample", TCD_SDXL, {"rescale_betas_zero_snr": True, "prediction_type": "sample", "set_alpha_to_one": False}),
        v("defaults", {}),
    ],
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


def randn(generator):
    return torch.randn(tuple(SHAPE), generator=generator, dtype=torch.float32)


def capture_converted(sched):
    """Keeps the last `convert_model_output` result of a multistep solver (its x0 or epsilon)."""
    original = sched.convert_model_output
    store = {}

    def wrapper(*args, **kwargs):
        store["out"] = original(*args, **kwargs)
        store["index"] = sched.step_index
        return store["out"]

    sched.convert_model_output = wrapper
    return store


def converted_to_x0(sched, converted, index, sample):
    """The data prediction of a multistep solver's converted model output (epsilon-type outputs
    are turned into x0 with the step's own alpha_t / sigma_t, as the scheduler itself does)."""
    name = type(sched).__name__
    cfg = sched.config
    eps = (
        (name in ("DPMSolverMultistepScheduler", "DPMSolverSinglestepScheduler") and cfg.algorithm_type in ("dpmsolver", "sde-dpmsolver"))
        or name == "DEISMultistepScheduler"
        or (name == "UniPCMultistepScheduler" and not cfg.predict_x0)
    )
    if not eps:
        return converted
    alpha_t, sigma_t = sched._sigma_to_alpha_sigma_t(sched.sigmas[index])
    return (sample - sigma_t * converted) / alpha_t


def trajectory(cls, variant, steps):
    sched = cls.from_config(variant["config"])
    sched.set_timesteps(steps)
    params = inspect.signature(sched.step).parameters
    converted = capture_converted(sched) if hasattr(sched, "convert_model_output") else None
    g = torch.Generator("cpu").manual_seed(SEED)
    latents = randn(g)
    latents = latents * sched.init_noise_sigma
    float64 = sched.timesteps.dtype == torch.float64
    out = {
        "steps": steps,
        "timesteps": [float(t) if float64 else f32(t) for t in sched.timesteps.tolist()],
        "initNoiseSigma": f32(sched.init_noise_sigma),
        "order": sched.order,
        "initial": summary(latents),
        "trace": [],
    }
    if float64:
        out["timestepsDtype"] = "float64"
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
        rec = {"t": float(t) if float64 else f32(t), "prev": summary(latents)}
        if not torch.equal(x_in, latents_before):
            rec["input"] = summary(x_in, FEW)
        if getattr(res, "pred_original_sample", None) is not None:
            rec["x0"] = summary(res.pred_original_sample, FEW)
        if getattr(res, "denoised", None) is not None:
            rec["denoised"] = summary(res.denoised, FEW)
        if getattr(res, "pred_noised_sample", None) is not None:
            rec["noised"] = summary(res.pred_noised_sample, FEW)
        if converted is not None and "out" in converted:
            x0 = converted_to_x0(sched, converted.pop("out"), converted.pop("index"), latents_before)
            rec["denoised"] = summary(x0, FEW)
        out["trace"].append(rec)
    if steps == STEP_COUNTS[-1]:
        out["final"] = [f32(x) for x in latents.flatten().tolist()]
    return out


def main():
    names = sys.argv[1:] or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        sys.exit(f"unknown scheduler class {unknown}; known: {', '.join(VARIANTS)}")
    torch.set_num_threads(1)
    # The recorded configs trigger diffusers' deprecation and "changing lower_order_final" notes.
    diffusers.utils.logging.set_verbosity_error()
    warnings.simplefilter("ignore", FutureWarning)
    os.makedirs(OUT_DIR, exist_ok=True)
    for class_name in names:
        variants = VARIANTS[class_name]
        cls = getattr(diffusers, class_name)
        entries = []
        for variant in variants:
            sched = cls.from_config(variant["config"])
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
                    run = trajectory(cls, variant, steps)
                except Exception as e:  # diffusers itself refuses some combinations
                    run = {"steps": steps, "error": f"{type(e).__name__}: {e}"}
                try:
                    json.dumps(run, allow_nan=False)
                except ValueError:
                    sys.exit(f"{class_name} {variant['name']} {steps} steps: diffusers gives NaN or infinity; leave the variant out")
                entry["runs"].append(run)
            entries.append(entry)
        data = {
            "className": class_name,
            "diffusersVersion": diffusers.__version__,
            "torchVersion": torch.__version__,
            "numpyVersion": np.__version__,
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
