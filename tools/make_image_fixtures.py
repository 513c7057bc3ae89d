"""Write the tiny random-weight fixtures for image-to-image and inpainting.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/make_image_fixtures.py
    node tools/verify_onnx.mjs tools/.work/verify/image-fixtures

Run after tools/make_fixture_models.py: the tokenizers, text encoders, VAE and scheduler config are
copied from fixtures/models/tiny-sd-random and tiny-sdxl-random; only the UNets are new.

- fixtures/models/tiny-sd-inpaint: StableDiffusionInpaintPipeline, a 9-channel UNet
  (latents + mask + masked-image latents), SD 1.x conditioning.
- fixtures/models/tiny-sdxl-inpaint: StableDiffusionXLInpaintPipeline, a 9-channel SDXL UNet.
- fixtures/models/tiny-sdxl-refiner: StableDiffusionXLImg2ImgPipeline with
  requires_aesthetics_score (5 micro-conditioning ids: original size, crop, aesthetic score), the
  second text encoder only, as SDXL's refiner is laid out.

Deterministic (fixed seeds).
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdlayout as L  # noqa: E402
from make_fixture_models import FIX, MAX_LEN, SAMPLE_SIZE, randomize_  # noqa: E402
from onnx_export import describe, export, write_case  # noqa: E402
from sdmodels import UNet, count_params  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "tools", ".work", "verify", "image-fixtures")
UNET_CH = (16, 32)


def copy_components(src: str, dst: str, names: list[str]) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    for name in names:
        shutil.copytree(os.path.join(FIX, src, name), os.path.join(dst, name))


def unet_axes(sdxl: bool) -> dict:
    axes = {"sample": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"}}
    if sdxl:
        axes.update({"text_embeds": {0: "batch_size"}, "time_ids": {0: "batch_size"}})
    else:
        axes["timestep"] = {0: "steps"}
    return axes


def export_unet(unet: UNet, folder: str, inputs: dict, alt: dict, case: str, sdxl: bool) -> None:
    path = os.path.join(folder, "unet", "model.onnx")
    export(unet, inputs, ["out_sample"], path, unet_axes(sdxl), external_data=True,
           check_case=os.path.join(CASES, f"{case}_unet.json"))
    write_case(unet, alt, ["out_sample"], path, os.path.join(CASES, f"{case}_unet_b1.json"))


def check_channels_matter(unet: UNet, inputs: dict, name: str) -> None:
    """The mask and masked-image channels must change the output, or parity would not test them."""
    with torch.no_grad():
        base = unet(*inputs.values())
        for lo, hi, what in ((4, 5, "mask"), (5, 9, "masked-image latents")):
            sample = inputs["sample"].clone()
            sample[:, lo:hi] = 0
            alt = unet(sample, *list(inputs.values())[1:])
            d = (alt - base).abs().mean().item()
            print(f"  {name}: mean |change| without the {what}: {d:.4f} (mean |out| {base.abs().mean():.4f})")
            assert d > 1e-3


def make_sd_inpaint() -> None:
    folder = os.path.join(FIX, "tiny-sd-inpaint")
    copy_components("tiny-sd-random", folder,
                    ["scheduler", "text_encoder", "tokenizer", "vae_decoder", "vae_encoder"])
    index = L.model_index_sd("PNDMScheduler")
    index["_class_name"] = "StableDiffusionInpaintPipeline"
    L.write_json(os.path.join(folder, "model_index.json"), index)
    hidden = 32
    unet = randomize_(UNet(UNET_CH, in_channels=9, context_dim=hidden, heads=2), 800)
    g = torch.Generator().manual_seed(801)
    inputs = {"sample": torch.randn(2, 9, 8, 8, generator=g),
              "timestep": torch.tensor([981], dtype=torch.int64),
              "encoder_hidden_states": torch.randn(2, MAX_LEN, hidden, generator=g)}
    alt = {"sample": torch.randn(1, 9, 6, 10, generator=g), "timestep": torch.tensor([1], dtype=torch.int64),
           "encoder_hidden_states": torch.randn(1, MAX_LEN, hidden, generator=g)}
    check_channels_matter(unet, inputs, "tiny-sd-inpaint unet")
    export_unet(unet, folder, inputs, alt, "sd_inpaint", False)
    L.write_json(os.path.join(folder, "unet", "config.json"), L.unet_config(
        channels=UNET_CH, cross_attention_dim=hidden, heads=2, layers_per_block=1, sample_size=SAMPLE_SIZE,
        in_channels=9))
    print("tiny-sd-inpaint: unet", count_params(unet))


def sdxl_unet(context: int, num_time_ids: int, in_channels: int, seed: int) -> UNet:
    unet = randomize_(UNet(UNET_CH, in_channels=in_channels, context_dim=context, heads=2,
                           addition_time_embed_dim=8, text_embeds_dim=32, num_time_ids=num_time_ids), seed)
    with torch.no_grad():  # make the added (text_time) embedding weigh more in the random net
        unet.add_lin2.weight.mul_(4.0)
        unet.time_lin2.weight.mul_(2.0)
    return unet


def sdxl_inputs(g, batch: int, channels: int, h: int, w: int, context: int, time_ids: list[float]) -> dict:
    return {"sample": torch.randn(batch, channels, h, w, generator=g),
            "timestep": torch.tensor(999.0 if batch == 2 else 500.5, dtype=torch.float32),
            "encoder_hidden_states": torch.randn(batch, MAX_LEN, context, generator=g),
            "text_embeds": torch.randn(batch, 32, generator=g),
            "time_ids": torch.tensor([time_ids] * batch)}


def make_sdxl_inpaint() -> None:
    folder = os.path.join(FIX, "tiny-sdxl-inpaint")
    copy_components("tiny-sdxl-random", folder, ["scheduler", "text_encoder", "text_encoder_2", "tokenizer",
                                                 "tokenizer_2", "vae_decoder", "vae_encoder"])
    index = L.model_index_sdxl("EulerDiscreteScheduler")
    index["_class_name"] = "StableDiffusionXLInpaintPipeline"
    index["requires_aesthetics_score"] = False
    L.write_json(os.path.join(folder, "model_index.json"), index)
    unet = sdxl_unet(96, 6, 9, 900)
    g = torch.Generator().manual_seed(901)
    inputs = sdxl_inputs(g, 2, 9, 8, 8, 96, [64.0, 64.0, 0.0, 0.0, 64.0, 64.0])
    alt = sdxl_inputs(g, 1, 9, 6, 10, 96, [48.0, 80.0, 0.0, 0.0, 48.0, 80.0])
    check_channels_matter(unet, inputs, "tiny-sdxl-inpaint unet")
    export_unet(unet, folder, inputs, alt, "sdxl_inpaint", True)
    L.write_json(os.path.join(folder, "unet", "config.json"), L.unet_config(
        channels=UNET_CH, cross_attention_dim=96, heads=2, layers_per_block=1, sample_size=SAMPLE_SIZE,
        addition_time_embed_dim=8, projection_class_embeddings_input_dim=6 * 8 + 32, in_channels=9))
    print("tiny-sdxl-inpaint: unet", count_params(unet))


def make_sdxl_refiner() -> None:
    folder = os.path.join(FIX, "tiny-sdxl-refiner")
    copy_components("tiny-sdxl-random", folder,
                    ["scheduler", "text_encoder_2", "tokenizer_2", "vae_decoder", "vae_encoder"])
    index = L.model_index_sdxl("EulerDiscreteScheduler")
    index["_class_name"] = "StableDiffusionXLImg2ImgPipeline"
    index["text_encoder"] = [None, None]
    index["tokenizer"] = [None, None]
    index["force_zeros_for_empty_prompt"] = False
    index["requires_aesthetics_score"] = True
    L.write_json(os.path.join(folder, "model_index.json"), index)
    unet = sdxl_unet(64, 5, 4, 1000)
    g = torch.Generator().manual_seed(1001)
    inputs = sdxl_inputs(g, 2, 4, 8, 8, 64, [64.0, 64.0, 0.0, 0.0, 6.0])
    alt = sdxl_inputs(g, 1, 4, 6, 10, 64, [48.0, 80.0, 0.0, 0.0, 2.5])
    with torch.no_grad():  # the aesthetic score must matter
        base = unet(*inputs.values())
        ids = inputs["time_ids"].clone()
        ids[:, 4] = 2.5
        d = (unet(*list(inputs.values())[:4], ids) - base).abs().mean().item()
    print(f"  tiny-sdxl-refiner unet: mean |change| when the aesthetic score changes: {d:.4f}")
    assert d > 1e-3
    export_unet(unet, folder, inputs, alt, "sdxl_refiner", True)
    L.write_json(os.path.join(folder, "unet", "config.json"), L.unet_config(
        channels=UNET_CH, cross_attention_dim=64, heads=2, layers_per_block=1, sample_size=SAMPLE_SIZE,
        addition_time_embed_dim=8, projection_class_embeddings_input_dim=5 * 8 + 32))
    print("tiny-sdxl-refiner: unet", count_params(unet))


def main() -> None:
    torch.set_num_threads(1)
    make_sd_inpaint()
    make_sdxl_inpaint()
    make_sdxl_refiner()
    for model in ("tiny-sd-inpaint", "tiny-sdxl-inpaint", "tiny-sdxl-refiner"):
        p = os.path.join(FIX, model, "unet", "model.onnx")
        print(f"{model}/unet:")
        for line in describe(p):
            print("   ", line)


if __name__ == "__main__":
    main()
