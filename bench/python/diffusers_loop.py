"""Per-step loop overhead of diffusers' own StableDiffusionPipeline.__call__, with a no-op UNet.

The second Python comparison point for Stepwise's loop overhead (bench/README.md). Where
reference_loop.py is a hand-written lower bound, this runs the loop a diffusers user runs:
a real ``diffusers.StableDiffusionPipeline`` with a real ``EulerDiscreteScheduler`` at SD 1.5's
scheduler config, called as ``pipe(prompt_embeds=…, negative_prompt_embeds=…, …)`` with guidance
7.5, 512×512 (64×64 latents) and a ``callback_on_step_end`` that turns the latents into an RGB
uint8 preview with the SD 1.x latent→RGB factors (the same function reference_loop.py uses), as a
live-preview app would. Everything diffusers does between two UNet calls counts: its
``torch.cat`` and ``scale_model_input``, guidance, the scheduler's ``step`` with its bookkeeping
(step index, dtype casts, output tuple), the callback-kwargs dict built from ``locals()``, and
**tqdm's progress bar, left on as diffusers' default** (it writes to stderr, which the bench
ignores; ``--no-progress-bar`` turns it off to see what it costs, the bench never passes it).

Only the models are stand-ins: the UNet is a module that returns its ``sample`` (as a one-tuple,
since the pipeline calls it with ``return_dict=False``) and carries the config the pipeline reads
(in_channels 4, sample_size 64, time_cond_proj_dim None); there is no text encoder (the prompt
embeddings are passed in, shape (1, 77, 768)); the VAE is a tiny real AutoencoderKL that only
gives ``vae_scale_factor`` 8, and ``output_type='latent'`` skips the decode after the loop.

Measured as reference_loop.py measures: per run, (loop wall time − time inside the UNet calls) /
steps, where the loop runs from the moment diffusers opens its progress bar (just before the
first step) to the end of the last step's callback; the UNet's time is taken around the whole
module call. Median over runs, hot, then cold: the UNet first streams ``--evict-mib`` MiB inside
its timed call, as a real UNet would between two steps. torch runs on ``--threads`` threads (1,
what Debian's torch 1.13 gives reference_loop.py here). Prints one JSON object on stdout.

    /work/pyenv/bin/python bench/python/diffusers_loop.py [--steps 20] [--runs 20]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import diffusers  # noqa: E402
import torch  # noqa: E402
from diffusers import (  # noqa: E402
    AutoencoderKL,
    EulerDiscreteScheduler,
    ModelMixin,
    StableDiffusionPipeline,
)
from diffusers.configuration_utils import ConfigMixin, register_to_config  # noqa: E402

from reference_loop import add_loop_arguments, preview  # noqa: E402

# SD 1.5's scheduler_config.json as diffusers loads it into a pipeline (PNDMScheduler's config,
# defaults filled in), the config a user hands to EulerDiscreteScheduler.from_config.
SD15_SCHEDULER_CONFIG = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
    "clip_sample": False,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
}


class NoOpUNet(ModelMixin, ConfigMixin):
    """A UNet2DConditionModel stand-in: the config the pipeline reads, a forward that does nothing.

    The time of the whole module call (``__call__``, so torch's module dispatch too) goes into
    ``model_ms``, as reference_loop.py times its model call.
    """

    @register_to_config
    def __init__(self, in_channels: int = 4, out_channels: int = 4, sample_size: int = 64,
                 cross_attention_dim: int = 768, time_cond_proj_dim=None):
        super().__init__()
        # No parameters; a buffer gives ModelMixin its dtype and device.
        self.register_buffer("anchor", torch.zeros(1), persistent=False)
        self.model_ms = []
        self.evict = None

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        if self.evict is not None:
            # A real UNet streams hundreds of MB between two steps, so the loop's next arithmetic
            # starts from cold caches; this does the same inside the model call's timing.
            self.evict.add_(1.0)
        out = super().__call__(*args, **kwargs)
        self.model_ms.append((time.perf_counter() - start) * 1000)
        return out

    def forward(self, sample, timestep, encoder_hidden_states, return_dict=True, **kwargs):
        return (sample,) if not return_dict else {"sample": sample}


def build_pipeline() -> StableDiffusionPipeline:
    # Four blocks: vae_scale_factor 2 ** (4 − 1) = 8, as SD 1.5's VAE; never run (no decode).
    vae = AutoencoderKL(
        block_out_channels=(32, 32, 32, 32),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1,
        latent_channels=4,
    )
    scheduler = EulerDiscreteScheduler.from_config(SD15_SCHEDULER_CONFIG)
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=None,
        tokenizer=None,
        unet=NoOpUNet(),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    assert pipe.vae_scale_factor == 8
    # The loop starts when diffusers opens its progress bar, right before the first step: stamp
    # that moment (the bar itself is diffusers' own, unchanged).
    open_bar = pipe.progress_bar

    def progress_bar(*args, **kwargs):
        bar = open_bar(*args, **kwargs)
        pipe.loop_started = time.perf_counter()
        return bar

    pipe.progress_bar = progress_bar
    return pipe


def one_run(pipe, steps: int, embeds, generator: torch.Generator):
    """One pipeline call; returns each step's end (perf_counter, s) and UNet call times (ms)."""
    step_ends = []

    def on_step_end(pipeline, i, t, callback_kwargs):
        preview(callback_kwargs["latents"])
        step_ends.append(time.perf_counter())
        return callback_kwargs

    pipe.unet.model_ms = []
    pipe(
        prompt_embeds=embeds[0],
        negative_prompt_embeds=embeds[1],
        height=512,
        width=512,
        num_inference_steps=steps,
        guidance_scale=7.5,
        generator=generator,
        output_type="latent",
        callback_on_step_end=on_step_end,
    )
    return pipe.loop_started, step_ends, pipe.unet.model_ms


def measure(pipe, args, embeds, generator, runs):
    overheads, per_step = [], []
    for _ in range(runs):
        started, ends, model_ms = one_run(pipe, args.steps, embeds, generator)
        assert len(ends) == args.steps and len(model_ms) == args.steps
        overheads.append(((ends[-1] - started) * 1000 - sum(model_ms)) / args.steps)
        starts = [started] + ends[:-1]
        per_step.extend((e - s) * 1000 - m for s, e, m in zip(starts, ends, model_ms))
    return overheads, per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_loop_arguments(parser, "UNet")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--no-progress-bar",
        action="store_true",
        help="turn diffusers' tqdm bar off (to see its cost; the bench keeps diffusers' default)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pipe = build_pipeline()
    if args.no_progress_bar:
        pipe.set_progress_bar_config(disable=True)
    generator = torch.Generator().manual_seed(0)
    embeds = (
        torch.randn((1, 77, 768), generator=generator),
        torch.randn((1, 77, 768), generator=generator),
    )
    for _ in range(args.warmups):
        one_run(pipe, args.steps, embeds, generator)
    overheads, per_step = measure(pipe, args, embeds, generator, args.runs)
    cold = []
    if args.evict_mib > 0:
        pipe.unet.evict = torch.zeros(args.evict_mib * 1024 * 1024 // 4)
        cold, _ = measure(pipe, args, embeds, generator, args.runs)
        pipe.unet.evict = None
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "diffusers": diffusers.__version__,
                "threads": torch.get_num_threads(),
                "latentSize": 64,
                "steps": args.steps,
                "runs": args.runs,
                "progressBar": not args.no_progress_bar,
                "loopOverheadMsPerStep": statistics.median(overheads),
                "medianStepOverheadMs": statistics.median(per_step),
                "evictMiB": args.evict_mib,
                "coldLoopOverheadMsPerStep": statistics.median(cold) if cold else None,
            }
        )
    )


if __name__ == "__main__":
    main()
