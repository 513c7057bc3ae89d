"""Peak RSS of diffusers' own StableDiffusionPipeline on the full-size SD 1.5 random-weight model.

    OPENBLAS_NUM_THREADS=1 flock /tmp/stepwise-full-size.lock \\
      /work/pyenv/bin/python tools/measure_diffusers_peak.py [--size 512] [--steps 2] [--out FILE.json]

The reference for issue 18's memory target (Stepwise's peak at most diffusers' own for the same
model on the same machine). The modules are built exactly as ``full_size_export.py`` builds the
ONNX export's (diffusers' UNet2DConditionModel and AutoencoderKL at SD 1.5's configs, transformers'
CLIPTextModel at CLIP ViT-L/14's text config, each after ``torch.manual_seed(seed)``), so the
weights are the export's; the tokenizer and PNDM scheduler come from the export's folder
(``--model``). float32 on the CPU, ``torch.no_grad``, diffusers' default attention processor
(``AttnProcessor2_0``: ``F.scaled_dot_product_attention``), guidance 7.5 (the UNet runs batch 2),
one image, ``output_type="pil"`` as a user's call. Peak RSS is this process's ``ru_maxrss``
(``VmHWM``), read after loading, at the end of each step and after the decode. A watchdog thread
ends the process past ``--cap-gib`` (default 14) so the shared machine never swaps.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

GIB = 1024**3


def rss() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in bytes."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def watchdog(cap: int) -> None:
    while True:
        now, _ = rss()
        if now > cap:
            print(f"RSS {now / GIB:.2f} GiB over the cap: ending", file=sys.stderr, flush=True)
            os._exit(3)
        time.sleep(0.2)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="/tmp/stepwise-full-size/sd15-fp32-torch2")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cap-gib", type=float, default=14.0)
    p.add_argument("--out", default=None)
    a = p.parse_args()
    threading.Thread(target=watchdog, args=(int(a.cap_gib * GIB),), daemon=True).start()

    import torch
    import diffusers
    import transformers
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from full_size_export import CLIP_L_TEXT, SD15_UNET, SD15_VAE

    torch.set_num_threads(a.threads)
    start = time.time()
    torch.manual_seed(a.seed)
    unet = UNet2DConditionModel(**SD15_UNET).eval()
    torch.manual_seed(a.seed)
    vae = AutoencoderKL(**SD15_VAE).eval()
    torch.manual_seed(a.seed)
    text_encoder = CLIPTextModel(CLIPTextConfig(**CLIP_L_TEXT)).eval()
    tokenizer = CLIPTokenizer.from_pretrained(os.path.join(a.model, "tokenizer"))
    scheduler = PNDMScheduler.from_pretrained(os.path.join(a.model, "scheduler"))
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    loaded_rss, loaded_peak = rss()
    load_s = time.time() - start
    print(f"built in {load_s:.0f} s: RSS {loaded_rss / GIB:.2f} GiB (peak {loaded_peak / GIB:.2f})", flush=True)

    steps: list[dict] = []
    t0 = time.time()

    def on_step_end(_pipe, i, t, kwargs):
        now, peak = rss()
        steps.append({"index": i, "s": round(time.time() - t0, 1), "rssGiB": round(now / GIB, 3),
                      "peakRssGiB": round(peak / GIB, 3)})
        print(f"step {i}: {steps[-1]}", flush=True)
        return kwargs

    with torch.no_grad():
        image = pipe("a red circle on a blue background", num_inference_steps=a.steps, guidance_scale=7.5,
                     height=a.size, width=a.size, generator=torch.Generator().manual_seed(42),
                     callback_on_step_end=on_step_end).images[0]
    total_s = time.time() - t0
    _, peak = rss()
    result = {
        "what": "diffusers StableDiffusionPipeline, full-size SD 1.5 random weights (as the ONNX export), fp32 CPU",
        "model": a.model,
        "size": a.size,
        "steps": a.steps,
        "guidanceScale": 7.5,
        "threads": a.threads,
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "attentionProcessor": type(unet.attn_processors[next(iter(unet.attn_processors))]).__name__,
        "loadS": round(load_s, 1),
        "afterLoadRssGiB": round(loaded_rss / GIB, 3),
        "peakRssBeforeDecodeGiB": steps[-1]["peakRssGiB"] if steps else None,
        "peakRssGiB": round(peak / GIB, 3),
        "peakRssGB": round(peak / 1e9, 3),
        "totalS": round(total_s, 1),
        "stepsAt": steps,
        "imageSize": list(image.size),
        "ruMaxrssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print(json.dumps(result, indent=2), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
