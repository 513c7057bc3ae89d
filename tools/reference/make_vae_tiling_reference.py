"""Reference for the engine's tiled VAE decode: diffusers' own AutoencoderKL.tiled_decode (the
algorithm behind `enable_vae_tiling`), run with the shipped fixture's ONNX decoder as its decoder.

    /work/pyenv/bin/python tools/reference/make_vae_tiling_reference.py

Writes fixtures/vae-tiling/: `latents.bin` (float32, [1, 4, 16, 12], already divided by the
scaling factor, as tiled_decode receives them) and `decoded.bin` (float32, [1, 3, 128, 96]); the
tiny decoder's sample_size of 64 px makes that 3 × 2 overlapping tiles.
"""

import json
import os
import types

import numpy as np
import onnxruntime as ort
import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MODEL = os.path.join(ROOT, "fixtures", "models", "tiny-sd-random", "vae_decoder")
OUT = os.path.join(ROOT, "fixtures", "vae-tiling")


def main() -> None:
    config = json.load(open(os.path.join(MODEL, "config.json")))
    session = ort.InferenceSession(os.path.join(MODEL, "model.onnx"), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def decoder(z: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {name: z.numpy()})[0])

    # diffusers' own method on a stand-in for the module: the ONNX graph is decoder and
    # post_quant_conv together, so post_quant_conv is off here.
    sample_size = config["sample_size"]
    vae = types.SimpleNamespace(
        config=types.SimpleNamespace(use_post_quant_conv=False),
        decoder=decoder,
        tile_sample_min_size=sample_size,
        tile_latent_min_size=int(sample_size / (2 ** (len(config["block_out_channels"]) - 1))),
        tile_overlap_factor=0.25,
    )
    vae.blend_v = types.MethodType(AutoencoderKL.blend_v, vae)
    vae.blend_h = types.MethodType(AutoencoderKL.blend_h, vae)
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((1, 4, 16, 12)).astype(np.float32)
    with torch.no_grad():
        decoded = AutoencoderKL.tiled_decode(vae, torch.from_numpy(latents), return_dict=False)[0]
    os.makedirs(OUT, exist_ok=True)
    latents.tofile(os.path.join(OUT, "latents.bin"))
    decoded.numpy().astype(np.float32).tofile(os.path.join(OUT, "decoded.bin"))
    print("decoded", tuple(decoded.shape))


if __name__ == "__main__":
    main()
