"""Per-step loop overhead of diffusers' own StableDiffusionPipeline.__call__, around a no-op UNet
and (``--unet-onnx``) around a real ONNX UNet.

The second Python comparison point for Stepwise's loop overhead (bench/README.md). Where
reference_loop.py is a hand-written lower bound, this runs the loop a diffusers user runs:
a real ``diffusers.StableDiffusionPipeline`` with a real ``EulerDiscreteScheduler`` at SD 1.5's
scheduler config, called as ``pipe(prompt_embeds=…, negative_prompt_embeds=…, …)`` with guidance
7.5, 512×512 (64×64 latents) and a ``callback_on_step_end`` that turns the latents into an RGB
uint8 preview with the SD 1.x latent→RGB factors (the same function reference_loop.py uses), as
a live-preview app would. Everything diffusers does between two UNet calls counts, **tqdm's
progress bar included, left on as diffusers' default** (it writes to stderr, which the bench
ignores; ``--no-progress-bar`` turns it off to see what it costs, the bench never passes it).

The UNet is a stand-in module carrying the config the pipeline reads; there is no text encoder
(the prompt embeddings are passed in) and the VAE is a tiny real AutoencoderKL that only gives
``vae_scale_factor`` 8 (``output_type='latent'``: no decode). First the UNet returns its
``sample`` (embeddings (1, 77, 768)), hot, then cold: it first streams ``--evict-mib`` MiB, as a
real UNet would between two steps. With ``--unet-onnx PATH`` the same loop then runs around that
ONNX graph through onnxruntime with the app's CPU session settings
(main/engine/models/execution-providers.ts; ``--unet-threads`` intra-op threads), embeddings of
the graph's shape: ``sameUnet`` in the output, the like-for-like figure for a bench whose own
loop runs around the same graph.

Measured as reference_loop.py measures: per run, (loop wall time − time inside the UNet calls) /
steps, where the loop runs from the moment diffusers opens its progress bar (just before the
first step) to the end of the last step's callback; the UNet's time is taken around the whole
module call. Medians over runs. torch runs on ``--threads`` threads (1, what Debian's torch 1.13
gives reference_loop.py here). Prints one JSON object on stdout.

    /work/pyenv/bin/python bench/python/diffusers_loop.py [--steps 20] [--runs 20]
        [--unet-onnx resources/models/stepwise-shapes-64/unet/model.onnx [--unet-steps 10]]
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
import numpy as np  # noqa: E402
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


# onnxruntime's element type names as numpy's, for the feeds.
ORT_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


def onnxruntime_version() -> str:
    import onnxruntime

    return onnxruntime.__version__


def app_session(graph: str, intra_op_threads: int):
    """A CPU session with the options the app gives its own (sessionOptionsFor in
    main/engine/models/execution-providers.ts), so both loops run around the same UNet run."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_mem_pattern = False
    options.enable_cpu_mem_arena = True
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def embedding_shape(session, graph: str, seq_len):
    """(sequence length, width) of the graph's ``encoder_hidden_states``: the graph's own where it
    fixes them, else ``seq_len``, else the text encoder's ``max_position_embeddings`` in the
    model folder the graph is in (what its tokenizer pads to)."""
    shape = next(i.shape for i in session.get_inputs() if i.name == "encoder_hidden_states")
    length, width = shape[1], shape[2]
    if not isinstance(width, int):
        raise SystemExit(f"{graph}: encoder_hidden_states has no fixed width ({width})")
    if seq_len is not None:
        return seq_len, width
    if isinstance(length, int):
        return length, width
    config = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(graph))),
                          "text_encoder", "config.json")
    if not os.path.exists(config):
        raise SystemExit(f"{graph}: its sequence length is symbolic and {config} is not there; "
                         "pass --seq-len")
    with open(config) as f:
        return json.load(f)["max_position_embeddings"], width


class OnnxUNet(NoOpUNet):
    """The stand-in with a forward that runs a UNet ONNX graph (``use`` gives it the session).
    Its torch↔numpy conversions count as the UNet's time: they are inside the module call."""

    def use(self, session) -> None:
        self.session = session
        self.feeds = {i.name: (ORT_DTYPES[i.type], i.shape) for i in session.get_inputs()}
        self.output = session.get_outputs()[0].name

    def feed(self, name: str, tensor: torch.Tensor) -> np.ndarray:
        return tensor.numpy().astype(self.feeds[name][0], copy=False)

    def timestep_feed(self, timestep, batch: int) -> np.ndarray:
        dtype, shape = self.feeds["timestep"]
        t = float(timestep)
        if len(shape) == 0:
            return np.asarray(t, dtype=dtype)
        return np.full((shape[0] if isinstance(shape[0], int) else batch,), t, dtype=dtype)

    def forward(self, sample, timestep, encoder_hidden_states, return_dict=True, **kwargs):
        feeds = {
            "sample": self.feed("sample", sample),
            "timestep": self.timestep_feed(timestep, sample.shape[0]),
            "encoder_hidden_states": self.feed("encoder_hidden_states", encoder_hidden_states),
        }
        out = torch.from_numpy(self.session.run([self.output], feeds)[0]).to(sample.dtype)
        return (out,) if not return_dict else {"sample": out}


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


def measure(pipe, steps: int, embeds, generator, runs: int):
    """Per run, the loop's ms per step outside the UNet; per step, the same; the UNet calls' ms."""
    overheads, per_step, unet_ms = [], [], []
    for _ in range(runs):
        started, ends, model_ms = one_run(pipe, steps, embeds, generator)
        assert len(ends) == steps and len(model_ms) == steps
        overheads.append(((ends[-1] - started) * 1000 - sum(model_ms)) / steps)
        starts = [started] + ends[:-1]
        per_step.extend((e - s) * 1000 - m for s, e, m in zip(starts, ends, model_ms))
        unet_ms.extend(model_ms)
    return overheads, per_step, unet_ms


def measure_same_unet(pipe, args, generator) -> dict:
    """The same loop around ``--unet-onnx``: 2 warm-ups, then as many runs as fit in
    ``--unet-seconds`` at the last warm-up's pace, at least 5."""
    session = app_session(args.unet_onnx, args.unet_threads)
    seq_len, width = embedding_shape(session, args.unet_onnx, args.seq_len)
    unet = OnnxUNet(cross_attention_dim=width)
    unet.use(session)
    pipe.register_modules(unet=unet)
    embeds = (
        torch.randn((1, seq_len, width), generator=generator),
        torch.randn((1, seq_len, width), generator=generator),
    )
    for _ in range(2):
        start = time.perf_counter()
        one_run(pipe, args.unet_steps, embeds, generator)
        run_s = time.perf_counter() - start
    runs = max(5, int(args.unet_seconds / run_s))
    overheads, per_step, unet_ms = measure(pipe, args.unet_steps, embeds, generator, runs)
    return {
        "graph": args.unet_onnx,
        "onnxruntime": onnxruntime_version(),
        "intraOpThreads": args.unet_threads,
        "embeddingShape": [1, seq_len, width],
        "loopOverheadMsPerStep": statistics.median(overheads),
        "medianStepOverheadMs": statistics.median(per_step),
        "unetMsPerStep": statistics.median(unet_ms),
        "steps": args.unet_steps,
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_loop_arguments(parser, "UNet")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--no-progress-bar",
        action="store_true",
        help="turn diffusers' tqdm bar off (to see its cost; the bench keeps diffusers' default)",
    )
    parser.add_argument(
        "--unet-onnx",
        metavar="PATH",
        help="also run the loop around this UNet graph with onnxruntime (sameUnet in the output)",
    )
    parser.add_argument("--unet-threads", type=int, default=2, help="its intra-op threads")
    parser.add_argument("--unet-steps", type=int, default=10)
    parser.add_argument("--unet-seconds", type=float, default=30, help="its runs' time budget")
    parser.add_argument("--seq-len", type=int, help="its prompt length, where the graph has none")
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
    overheads, per_step, _ = measure(pipe, args.steps, embeds, generator, args.runs)
    cold = []
    if args.evict_mib > 0:
        pipe.unet.evict = torch.zeros(args.evict_mib * 1024 * 1024 // 4)
        cold, _, _ = measure(pipe, args.steps, embeds, generator, args.runs)
        pipe.unet.evict = None
    same_unet = measure_same_unet(pipe, args, generator) if args.unet_onnx else None
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
                "sameUnet": same_unet,
            }
        )
    )


if __name__ == "__main__":
    main()
