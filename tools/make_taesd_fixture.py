"""Write fixtures/models/taesd-random/: a random-weight stand-in for a real TAESD decoder (offline tests).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/make_taesd_fixture.py
    node tools/verify_onnx.mjs tools/.work/verify/taesd

The architecture is TAESD's decoder exactly (madebyollin/taesd ``Decoder`` = diffusers' ``DecoderTiny`` with
``AutoencoderTiny``'s defaults: 64 channels, 3/3/3/1 blocks, ``Clamp``, nearest 2x upsampling, 1,222,531
parameters; tools/tiny_decoder.py), followed by diffusers' ``x * 2 - 1``. The folder has the layout of the
Hub's ONNX TAESD exports (deinferno/taesd-onnx, julienkay/taesd, julienkay/taesdxl): ``vae_decoder/model.onnx``,
input ``latent_sample`` float32 [batch_size, 4, latent_height, latent_width] (the pipeline's latents as
they are: TAESD's scaling factor is 1), output ``sample`` float32 [batch_size, 3, height, width] in
about [-1, 1]. No config.json: the engine assumes TAESD's conventions without one.

The weights are stored as float16 (2.4 MB instead of 4.9 MB) behind Cast-to-float32 nodes, so the graph's
inputs, outputs and arithmetic stay float32 (onnxruntime folds the casts when it loads the graph).
Deterministic (fixed seed): reruns are byte-identical.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_export import describe, export, write_case  # noqa: E402
from tiny_decoder import TinyDecoder, count_params  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "models", "taesd-random")
CASES = os.path.join(ROOT, "tools", ".work", "verify", "taesd")
SEED = 1216


def weights_to_float16(path: str) -> None:
    """Store every float32 initializer as float16 behind a Cast to float32 (I/O and compute stay float32)."""
    m = onnx.load(path)
    g = m.graph
    casts = []
    kept = []
    for init in g.initializer:
        if init.data_type != TensorProto.FLOAT or len(init.dims) == 0:
            kept.append(init)
            continue
        arr = numpy_helper.to_array(init).astype(np.float16)
        half = numpy_helper.from_array(arr, init.name + "_fp16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                      name=init.name + "_to_float32"))
    del g.initializer[:]
    g.initializer.extend(kept)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    m.producer_name, m.producer_version = "stepwise tools/make_taesd_fixture.py", ""
    onnx.checker.check_model(m)
    onnx.save_model(m, path)


def main() -> None:
    torch.manual_seed(SEED)
    dec = TinyDecoder().eval()  # TAESD's decoder: (64, 64, 64, 64) channels, (3, 3, 3, 1) blocks
    assert count_params(dec) == 1222531, count_params(dec)
    # The weights the file stores (float16) are the weights the reference case uses.
    with torch.no_grad():
        for p in dec.parameters():
            p.copy_(p.half().float())
    path = os.path.join(OUT, "vae_decoder", "model.onnx")
    example = {"latent_sample": torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(SEED))}
    export(dec, example, ["sample"], path,
           dynamic_axes={"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
                         "sample": {0: "batch_size", 2: "height", 3: "width"}})
    weights_to_float16(path)
    case_in = {"latent_sample": torch.randn(2, 4, 8, 6, generator=torch.Generator().manual_seed(SEED + 1)) * 2}
    write_case(dec, case_in, ["sample"], path, os.path.join(CASES, "taesd_decoder.json"))
    print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, {count_params(dec)} parameters")
    for line in describe(path):
        print("  " + line)


if __name__ == "__main__":
    main()
