"""Run the shipped stepwise-shapes-64 ONNX graphs in Python: onnxruntime + diffusers' own schedulers.

Needs the tools venv (/work/pyenv, see tools/README.md): onnxruntime, diffusers, transformers, torch.
The sampling loop is diffusers' StableDiffusionPipeline loop for one prompt per image: CFG rows
ordered [unconditional x n ; conditional x n], ``scale_model_input`` before the UNet, ``step`` after,
initial latents for seed s drawn as ``torch.randn((1, 4, h, w), generator=torch.Generator().manual_seed(s))``
times ``init_noise_sigma`` (what diffusers and the engine draw for a one-image call).
"""

from __future__ import annotations

import json
import os
from typing import Callable

import numpy as np
import onnxruntime as ort
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = os.path.join(ROOT, "resources", "models", "stepwise-shapes-64")

SCHEDULER_NAMES = ("DDIMScheduler", "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler",
                   "DPMSolverMultistepScheduler")


def session(path: str, threads: int = 2) -> ort.InferenceSession:
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.log_severity_level = 3
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


def make_scheduler(name: str, model_dir: str = MODEL_DIR):
    import diffusers
    base = diffusers.DDIMScheduler.from_pretrained(model_dir, subfolder="scheduler")
    return getattr(diffusers, name).from_config(base.config)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """[N, 3, H, W] decoder output in [-1, 1] -> uint8 [N, H, W, 3], diffusers' post-processing."""
    v = np.clip(pixels.astype(np.float32) * 0.5 + 0.5, 0, 1) * 255
    return np.round(v).astype(np.uint8).transpose(0, 2, 3, 1)


class ShippedModel:
    """The model folder's graphs (sessions created lazily) and its tokenizer."""

    def __init__(self, model_dir: str = MODEL_DIR, threads: int = 2):
        from transformers import CLIPTokenizerFast
        self.dir = model_dir
        self.threads = threads
        self._sessions: dict[str, ort.InferenceSession] = {}
        self.tok = CLIPTokenizerFast.from_pretrained(os.path.join(model_dir, "tokenizer"))
        vae = json.load(open(os.path.join(model_dir, "vae_decoder", "config.json")))
        self.scaling_factor = float(vae["scaling_factor"])

    def sess(self, component: str) -> ort.InferenceSession:
        if component not in self._sessions:
            self._sessions[component] = session(os.path.join(self.dir, component, "model.onnx"), self.threads)
        return self._sessions[component]

    def encode_prompts(self, prompts: list[str]) -> np.ndarray:
        ids = self.tok(prompts, padding="max_length", max_length=self.tok.model_max_length, truncation=True,
                       return_tensors="np").input_ids.astype(np.int64)
        return self.sess("text_encoder").run(["last_hidden_state"], {"input_ids": ids})[0]

    def vae_decode(self, latents: np.ndarray, chunk: int = 256) -> np.ndarray:
        """Model-space latents [N, 4, h, w] -> pixels [N, 3, 8h, 8w] in about [-1, 1] (the full VAE)."""
        s = self.sess("vae_decoder")
        out = [s.run(["sample"], {"latent_sample": (latents[i:i + chunk] / self.scaling_factor).astype(np.float32)})[0]
               for i in range(0, len(latents), chunk)]
        return np.concatenate(out)

    def vae_encode(self, images: np.ndarray, chunk: int = 256) -> np.ndarray:
        """uint8 [N, 64, 64, 3] -> model-space latents (posterior mean x scaling_factor)."""
        s = self.sess("vae_encoder")
        x = images.astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1
        out = [s.run(["latent_parameters"], {"sample": x[i:i + chunk]})[0][:, :4]
               for i in range(0, len(x), chunk)]
        return np.concatenate(out) * self.scaling_factor

    def sample(self, prompts: list[str], seeds: list[int], steps: int = 25, guidance: float = 5.0,
               scheduler: str = "DDIMScheduler", size: int = 8,
               on_step: Callable[[int, float, np.ndarray, np.ndarray | None], None] | None = None) -> np.ndarray:
        """Final model-space latents [n, 4, size, size]; ``on_step(i, t, latents, x0)`` after each step
        (x0 = the scheduler's pred_original_sample, None where it gives none)."""
        sch = make_scheduler(scheduler, self.dir)
        sch.set_timesteps(steps)
        n = len(prompts)
        cfg = guidance > 1.0
        cond = self.encode_prompts(prompts)
        ctx = np.concatenate([self.encode_prompts([""] * n), cond]) if cfg else cond
        x = torch.cat([torch.randn((1, 4, size, size), generator=torch.Generator().manual_seed(int(s)))
                       for s in seeds]) * sch.init_noise_sigma
        gen = torch.Generator().manual_seed(int(seeds[0]))  # ancestral noise, as a pipeline's generator
        unet = self.sess("unet")
        for i, t in enumerate(sch.timesteps):
            xin = sch.scale_model_input(x, t)
            xin = torch.cat([xin, xin]) if cfg else xin
            eps = unet.run(["out_sample"], {"sample": xin.numpy().astype(np.float32),
                                            "timestep": np.array(float(t), dtype=np.float32),
                                            "encoder_hidden_states": ctx})[0]
            eps = torch.from_numpy(eps)
            if cfg:
                eu, ec = eps.chunk(2)
                eps = eu + guidance * (ec - eu)
            kwargs = {"generator": gen} if scheduler == "EulerAncestralDiscreteScheduler" else {}
            out = sch.step(eps, t, x, **kwargs)
            x = out.prev_sample
            if on_step is not None:
                x0 = getattr(out, "pred_original_sample", None)
                on_step(i, float(t), x.numpy(), None if x0 is None else x0.numpy())
        return x.numpy()
