"""Builds full-size Stable Diffusion 1.5 random-weight ONNX exports, on demand (never committed).

    /work/pyenv/bin/python tools/make_full_size_models.py [--out /tmp/stepwise-full-size] [--only NAME ...]

Writes, under ``--out`` (default ``/tmp/stepwise-full-size``, ~11 GB in all):

* ``sd15-fp32-torch1/``        optimum's layout, float32, ``unet/model.onnx`` + ``model.onnx_data``; UNet
                               and VAE exported by torch 1.13 (the classic attention: baddbmm, softmax,
                               Cast, bmm), as diffusers' legacy script and optimum <= 1.22 did. 4.3 GB.
* ``sd15-fp16-legacy-torch1/`` diffusers' older ``OnnxStableDiffusionPipeline`` layout: float16,
                               ``unet/weights.pb``, int32 ``input_ids``, a VAE encoder that samples. 2.1 GB.
* ``sd15-fp32-torch2/``        optimum's layout, float32, UNet and VAE exported by torch 2.x
                               (``F.scaled_dot_product_attention``). 4.3 GB.

Every folder has the same CLIP ViT-L/14-sized text encoder (transformers, torch 2.x export) and a
CLIP-style tokenizer with CLIP's 49,408 entries (random merges: the real vocabulary is not
available offline; ids and special tokens are where CLIP has them). Weights are the libraries'
random initialisation, seeded: images are noise, but sizes, graphs and memory are real.

Each heavy step runs in a child process, one at a time, under an RSS watchdog (``--rss-cap-gib``,
default 14) and ``prlimit --as``; a step whose output exists is skipped (``--force`` redoes it).
The torch 1.13 steps run Debian's ``/usr/bin/python3`` with diffusers and its pure-Python
dependencies borrowed from this interpreter's site-packages (see torch1_compat.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import site
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_bpe  # noqa: E402
import sdlayout  # noqa: E402
from torch1_compat import BORROWED_PACKAGES  # noqa: E402

ROOT = os.path.dirname(HERE)
TORCH1_PYTHON = "/usr/bin/python3"
FOLDERS = ("sd15-fp32-torch1", "sd15-fp16-legacy-torch1", "sd15-fp32-torch2")
GIB = 1024**3


# --------------------------------------------------------------------------------------------
# Child processes under a memory cap
# --------------------------------------------------------------------------------------------


def rss_of_tree(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants (from /proc)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def run_capped(cmd: list[str], cap_bytes: int, env: dict | None = None) -> float:
    """Runs ``cmd``; kills it when its RSS passes ``cap_bytes``. Returns its peak RSS in bytes."""
    full = ["prlimit", f"--as={cap_bytes + 16 * GIB}", "--"] + cmd
    proc = subprocess.Popen(full, env=env, start_new_session=True)
    peak = 0
    try:
        while proc.poll() is None:
            rss = rss_of_tree(proc.pid)
            peak = max(peak, rss)
            if rss > cap_bytes:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise SystemExit(f"stopped at the memory cap ({rss / GIB:.1f} GiB > {cap_bytes / GIB:.1f} GiB): "
                                 f"{' '.join(cmd)}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    if proc.returncode != 0:
        raise SystemExit(f"failed (exit {proc.returncode}): {' '.join(cmd)}")
    print(f"  peak RSS {peak / GIB:.2f} GiB", flush=True)
    return peak


def torch1_env(work: str) -> dict:
    """PYTHONPATH for /usr/bin/python3: symlinks to the pure-Python packages diffusers needs,
    taken from this (torch 2) interpreter's site-packages; numpy and torch stay Debian's."""
    shim = os.path.join(work, "torch1-site")
    os.makedirs(shim, exist_ok=True)
    sources = [p for p in site.getsitepackages() if os.path.isdir(p)]
    for src in sources:
        for name in os.listdir(src):
            base = name.split("-")[0] if name.endswith(".dist-info") else name
            if base in BORROWED_PACKAGES or f"{base}.py" in BORROWED_PACKAGES or name in BORROWED_PACKAGES:
                link = os.path.join(shim, name)
                if not os.path.lexists(link):
                    os.symlink(os.path.join(src, name), link)
    env = dict(os.environ, PYTHONPATH=shim, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return env


# --------------------------------------------------------------------------------------------
# Tokenizer: CLIP's size and special-token ids, random merges
# --------------------------------------------------------------------------------------------


def clip_sized_vocab(seed: int = 0) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """The 512 byte-level symbols, then merges of pseudo-words' prefixes until 49,406 entries,
    then ``<|startoftext|>`` (49406) and ``<|endoftext|>`` (49407), as in CLIP's vocab.json."""
    rng = random.Random(seed)
    be = clip_bpe.bytes_to_unicode()
    alphabet = list(be.values())
    vocab_list = alphabet + [c + "</w>" for c in alphabet]
    seen = set(vocab_list)
    merges: list[tuple[str, str]] = []
    letters = "abcdefghijklmnopqrstuvwxyz"
    target = 49406
    while len(vocab_list) < target:
        word = "".join(rng.choice(letters) for _ in range(rng.randint(2, 9)))
        symbols = list(word[:-1]) + [word[-1] + "</w>"]
        current = symbols[0]
        for nxt in symbols[1:]:
            merged = current + nxt
            if merged not in seen:
                merges.append((current, nxt))
                seen.add(merged)
                vocab_list.append(merged)
                if len(vocab_list) == target:
                    break
            current = merged
    vocab_list += [clip_bpe.BOS, clip_bpe.EOS]
    return {t: i for i, t in enumerate(vocab_list)}, merges


def write_tokenizer(folder: str, with_json: bool) -> None:
    vocab, merges = clip_sized_vocab()
    clip_bpe.write_tokenizer_folder(folder, vocab, merges, 77)
    if not with_json:
        os.remove(os.path.join(folder, "tokenizer.json"))


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


class Builder:
    def __init__(self, out: str, cap: int, force: bool):
        self.out = out
        self.cap = cap
        self.force = force
        self.parts = os.path.join(out, "_parts")
        self.peaks: dict[str, float] = {}

    def step(self, name: str, output: str, cmd: list[str], env: dict | None = None) -> None:
        if os.path.exists(output) and not self.force:
            print(f"{name}: exists ({output})", flush=True)
            return
        print(f"{name}:", flush=True)
        start = time.time()
        self.peaks[name] = run_capped(cmd, self.cap, env)
        print(f"  {time.time() - start:.0f} s", flush=True)

    def export(self, name: str, python: str, component: str, dest: str, data: str | None,
               env: dict | None = None) -> None:
        out = os.path.join(self.parts, dest, "model.onnx")
        cmd = [python, os.path.join(HERE, "full_size_export.py"), "--component", component, "--out", out]
        if data is not None:
            cmd += ["--data", data]
        self.step(name, out, cmd, env)

    def fp16(self, name: str, src: str, dest: str, data: str | None, int32_ids: bool = False) -> None:
        out = os.path.join(self.parts, dest, "model.onnx")
        cmd = [sys.executable, os.path.join(HERE, "full_size_fp16.py"), os.path.join(self.parts, src, "model.onnx"),
               out]
        if data is not None:
            cmd += ["--data", data]
        if int32_ids:
            cmd.append("--int32-ids")
        self.step(name, out, cmd)


def link_component(parts: str, src: str, folder: str, component: str, with_config: bool = True) -> None:
    """Hard-links an exported component into a model folder (no second copy on disk)."""
    dest = os.path.join(folder, component)
    os.makedirs(dest, exist_ok=True)
    for name in os.listdir(os.path.join(parts, src)):
        if name == "config.json" and not with_config:
            continue
        if name.startswith("tmp"):
            continue
        target = os.path.join(dest, name)
        if os.path.exists(target):
            os.remove(target)
        os.link(os.path.join(parts, src, name), target)


def assemble_optimum(out: str, parts: str, name: str, torch_tag: str, info: dict) -> None:
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    sdlayout.write_json(os.path.join(folder, "model_index.json"), sdlayout.model_index_sd("PNDMScheduler"))
    sdlayout.write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), sdlayout.pndm_scheduler_sd15())
    write_tokenizer(os.path.join(folder, "tokenizer"), with_json=True)
    link_component(parts, "text_encoder", folder, "text_encoder")
    for comp in ("unet", "vae_decoder", "vae_encoder"):
        link_component(parts, f"{comp}-{torch_tag}", folder, comp)
    sdlayout.write_json(os.path.join(folder, "export-info.json"), info)


def assemble_legacy(out: str, parts: str, name: str, info: dict) -> None:
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    sdlayout.write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": "OnnxStableDiffusionPipeline",
        "_diffusers_version": "0.30.0",
        "feature_extractor": [None, None],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "scheduler": ["diffusers", "PNDMScheduler"],
        "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
        "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
    })
    sdlayout.write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), sdlayout.pndm_scheduler_sd15())
    # The legacy script saved the slow tokenizer's files only.
    write_tokenizer(os.path.join(folder, "tokenizer"), with_json=False)
    for src, comp in (("text_encoder-fp16", "text_encoder"), ("unet-fp16", "unet"),
                      ("vae_decoder-fp16", "vae_decoder"), ("vae_encoder_sample-fp16", "vae_encoder")):
        link_component(parts, src, folder, comp, with_config=False)
    sdlayout.write_json(os.path.join(folder, "export-info.json"), info)


def folder_size(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="/tmp/stepwise-full-size")
    p.add_argument("--only", nargs="*", choices=FOLDERS, default=list(FOLDERS))
    p.add_argument("--rss-cap-gib", type=float, default=14.0)
    p.add_argument("--force", action="store_true")
    a = p.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    b = Builder(out, int(a.rss_cap_gib * GIB), a.force)
    work = os.path.join(ROOT, "tools", ".work")
    t1 = torch1_env(work)
    t2 = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    py2 = sys.executable
    base_info = {"generator": "tools/make_full_size_models.py", "opset": 14, "seed": 0,
                 "text_encoder": "transformers CLIPTextModel (CLIP ViT-L/14 text config), torch 2.x export"}
    b.export("text encoder (torch 2.x)", py2, "text_encoder", "text_encoder", None, t2)
    if "sd15-fp32-torch1" in a.only or "sd15-fp16-legacy-torch1" in a.only:
        b.export("UNet (torch 1.13)", TORCH1_PYTHON, "unet", "unet-torch1", "model.onnx_data", t1)
        b.export("VAE decoder (torch 1.13)", TORCH1_PYTHON, "vae_decoder", "vae_decoder-torch1", None, t1)
        b.export("VAE encoder (torch 1.13)", TORCH1_PYTHON, "vae_encoder", "vae_encoder-torch1", None, t1)
    if "sd15-fp32-torch1" in a.only:
        assemble_optimum(out, b.parts, "sd15-fp32-torch1", "torch1", {**base_info, "unet_vae": "torch 1.13",
                                                                       "layout": "optimum", "precision": "fp32"})
    if "sd15-fp16-legacy-torch1" in a.only:
        b.export("VAE encoder, sampling (torch 1.13)", TORCH1_PYTHON, "vae_encoder_sample", "vae_encoder_sample",
                 None, t1)
        b.fp16("text encoder to fp16", "text_encoder", "text_encoder-fp16", None, int32_ids=True)
        b.fp16("UNet to fp16", "unet-torch1", "unet-fp16", "weights.pb")
        b.fp16("VAE decoder to fp16", "vae_decoder-torch1", "vae_decoder-fp16", None)
        b.fp16("VAE encoder to fp16", "vae_encoder_sample", "vae_encoder_sample-fp16", None)
        assemble_legacy(out, b.parts, "sd15-fp16-legacy-torch1", {**base_info, "unet_vae": "torch 1.13",
                                                                   "layout": "diffusers-legacy", "precision": "fp16"})
    if "sd15-fp32-torch2" in a.only:
        b.export("UNet (torch 2.x)", py2, "unet", "unet-torch2", "model.onnx_data", t2)
        b.export("VAE decoder (torch 2.x)", py2, "vae_decoder", "vae_decoder-torch2", None, t2)
        b.export("VAE encoder (torch 2.x)", py2, "vae_encoder", "vae_encoder-torch2", None, t2)
        assemble_optimum(out, b.parts, "sd15-fp32-torch2", "torch2", {**base_info, "unet_vae": "torch 2.x",
                                                                       "layout": "optimum", "precision": "fp32"})
    for name in a.only:
        folder = os.path.join(out, name)
        print(f"{folder}: {folder_size(folder) / 1e9:.2f} GB")
    if b.peaks:
        print("peak RSS per step: " + json.dumps({k: round(v / GIB, 2) for k, v in b.peaks.items()}))


if __name__ == "__main__":
    main()
