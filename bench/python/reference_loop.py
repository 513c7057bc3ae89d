"""Per-step loop overhead of a diffusers-style denoising loop in plain PyTorch, with a no-op model.

The comparison point for Stepwise's loop overhead (bench/README.md): what one denoising step of
a diffusers pipeline costs *outside* the UNet in Python, measured the same way Stepwise's is
(wall time of the step minus time inside the model call). Each step does what
StableDiffusionPipeline.__call__ does between UNet calls, on float32 CPU tensors:

* ``torch.cat([latents] * 2)`` and EulerDiscreteScheduler.scale_model_input (``/ sqrt(σ² + 1)``),
* the model call — here a no-op that returns its input, so only the call itself is counted,
* classifier-free guidance (``chunk(2)``, ``uncond + g · (cond − uncond)``),
* EulerDiscreteScheduler.step (diffusers' maths for s_churn = 0: x0 = x − σ·ε,
  d = (x − x0)/σ, x + d·(σ_next − σ)),
* a step-end callback that turns the predicted x0 into an RGB preview with the SD 1.x
  latent→RGB factors (ComfyUI's SD15 table, as Stepwise uses) and takes it out as uint8 numpy,
  as a live-preview callback would.

No tqdm progress bar and no callback-kwargs dict copying: this is the lower bound of the Python
loop, not a full diffusers call. Prints one JSON object on stdout.

    /usr/bin/python3 bench/python/reference_loop.py [--latent-size 64] [--steps 20] [--runs 20]
"""

import argparse
import json
import platform
import statistics
import time

import numpy as np
import torch

SD15_FACTORS = torch.tensor(
    [
        [0.3512, 0.2297, 0.3227],
        [0.3250, 0.4974, 0.2350],
        [-0.2829, 0.1762, 0.2721],
        [-0.2120, -0.2616, -0.7177],
    ]
)


class EulerDiscrete:
    """diffusers' EulerDiscreteScheduler for SD 1.x's config (scaled_linear, linspace spacing)."""

    def __init__(self, steps: int, train_steps: int = 1000):
        betas = torch.linspace(0.00085**0.5, 0.012**0.5, train_steps, dtype=torch.float32) ** 2
        alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        all_sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        timesteps = torch.linspace(0, train_steps - 1, steps, dtype=torch.float32).flip(0)
        sigmas = np.interp(timesteps.numpy(), np.arange(train_steps), all_sigmas.numpy())
        sigmas = torch.from_numpy(sigmas).to(torch.float32)
        self.timesteps = timesteps
        self.sigmas = torch.cat([sigmas, torch.zeros(1)])
        self.init_noise_sigma = float((self.sigmas.max() ** 2 + 1) ** 0.5)
        self.step_index = 0

    def scale_model_input(self, sample: torch.Tensor) -> torch.Tensor:
        sigma = self.sigmas[self.step_index]
        return sample / ((sigma**2 + 1) ** 0.5)

    def step(self, model_output: torch.Tensor, sample: torch.Tensor):
        sigma = self.sigmas[self.step_index]
        sample = sample.to(torch.float32)
        pred_original_sample = sample - sigma * model_output
        derivative = (sample - pred_original_sample) / sigma
        dt = self.sigmas[self.step_index + 1] - sigma
        prev_sample = sample + derivative * dt
        self.step_index += 1
        return prev_sample.to(model_output.dtype), pred_original_sample


def no_op_unet(sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor):
    return sample


def preview(latents: torch.Tensor):
    rgb = torch.einsum("lxy,lr->xyr", latents[0], SD15_FACTORS)
    return ((rgb.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


def one_run(latent_size: int, steps: int, guidance: float, generator: torch.Generator, evict=None):
    scheduler = EulerDiscrete(steps)
    latents = torch.randn((1, 4, latent_size, latent_size), generator=generator) * scheduler.init_noise_sigma
    prompt_embeds = torch.randn((2, 77, 768), generator=generator)
    step_ms, model_ms = [], []
    for t in scheduler.timesteps:
        start = time.perf_counter()
        latent_model_input = torch.cat([latents] * 2)
        latent_model_input = scheduler.scale_model_input(latent_model_input)
        m0 = time.perf_counter()
        if evict is not None:
            # A real UNet streams hundreds of MB between two steps, so the loop's next arithmetic
            # starts from cold caches; this does the same inside the model call's timing.
            evict.add_(1.0)
        noise_pred = no_op_unet(latent_model_input, t, encoder_hidden_states=prompt_embeds)
        model_ms.append((time.perf_counter() - m0) * 1000)
        noise_pred_uncond, noise_pred_text = noise_pred.chunk(2)
        noise_pred = noise_pred_uncond + guidance * (noise_pred_text - noise_pred_uncond)
        latents, pred_original_sample = scheduler.step(noise_pred, latents)
        preview(pred_original_sample)
        step_ms.append((time.perf_counter() - start) * 1000)
    return step_ms, model_ms


def add_loop_arguments(parser: argparse.ArgumentParser, model: str) -> None:
    """The options both reference loops take (this one and diffusers_loop.py)."""
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument(
        "--evict-mib",
        type=int,
        default=64,
        help=f"also measure with a {model} call that touches this much memory (0: skip)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latent-size", type=int, default=64)
    add_loop_arguments(parser, "model")
    args = parser.parse_args()
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for _ in range(args.warmups):
            one_run(args.latent_size, args.steps, 7.5, generator)
        overheads, per_step = [], []
        for _ in range(args.runs):
            step_ms, model_ms = one_run(args.latent_size, args.steps, 7.5, generator)
            overheads.append((sum(step_ms) - sum(model_ms)) / len(step_ms))
            per_step.extend(s - m for s, m in zip(step_ms, model_ms))
        cold = []
        if args.evict_mib > 0:
            evict = torch.zeros(args.evict_mib * 1024 * 1024 // 4)
            for _ in range(args.runs):
                step_ms, model_ms = one_run(args.latent_size, args.steps, 7.5, generator, evict)
                cold.append((sum(step_ms) - sum(model_ms)) / len(step_ms))
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "latentSize": args.latent_size,
                "steps": args.steps,
                "runs": args.runs,
                "loopOverheadMsPerStep": statistics.median(overheads),
                "medianStepOverheadMs": statistics.median(per_step),
                "evictMiB": args.evict_mib,
                "coldLoopOverheadMsPerStep": statistics.median(cold) if cold else None,
            }
        )
    )


if __name__ == "__main__":
    main()
