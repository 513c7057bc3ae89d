"""Exports one full-size random-weight component to ONNX (called by make_full_size_models.py).

    python full_size_export.py --component unet --out DIR/unet/model.onnx [--data model.onnx_data]

Runs under either interpreter: Debian's torch 1.13 (/usr/bin/python3, with torch1_compat and the
borrowed packages on PYTHONPATH) gives the classic attention export (``AttnProcessor``: baddbmm,
softmax, a float->float Cast, bmm), the torch 2 venv gives diffusers' ``AttnProcessor2_0``
(``F.scaled_dot_product_attention``). Both use the TorchScript exporter at opset 14, as diffusers'
legacy ONNX script and optimum (<= 1.22 on torch 1.x, later on torch 2.x) do.

The models are diffusers' own ``UNet2DConditionModel`` and ``AutoencoderKL`` at Stable Diffusion
1.5's configs and transformers' ``CLIPTextModel`` at CLIP ViT-L/14's text config, with the
libraries' random initialisation (seeded). Each component's ``config.json`` is written beside it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch1_compat  # noqa: E402

torch1_compat.install()

import onnx  # noqa: E402
import torch  # noqa: E402

OPSET = 14

# Stable Diffusion 1.5's unet/config.json and vae/config.json (runwayml/stable-diffusion-v1-5).
SD15_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, center_input_sample=False, flip_sin_to_cos=True, freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, downsample_padding=1, mid_block_scale_factor=1,
    act_fn="silu", norm_num_groups=32, norm_eps=1e-5, cross_attention_dim=768, attention_head_dim=8,
)
SD15_VAE = dict(
    in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
    act_fn="silu", latent_channels=4, norm_num_groups=32, sample_size=512, scaling_factor=0.18215,
)
# openai/clip-vit-large-patch14's text_config, as Stable Diffusion 1.x's text_encoder/config.json.
CLIP_L_TEXT = dict(
    vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
    max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=768,
    bos_token_id=0, eos_token_id=2, pad_token_id=1,
)


def consolidate(tmp_model: str, out_model: str, data_name: str | None) -> None:
    """Writes the exporter's output to ``out_model``. A >2 GB export comes as one file per tensor;
    they are concatenated into ``data_name`` by copying bytes (the weights are never loaded)."""
    from onnx.external_data_helper import ExternalDataInfo

    src_dir = os.path.dirname(tmp_model)
    model = onnx.load(tmp_model, load_external_data=False)
    out_dir = os.path.dirname(out_model)
    os.makedirs(out_dir, exist_ok=True)
    if data_name is None:
        if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
            raise SystemExit(f"{tmp_model} has external tensors but no data file name was given")
        shutil.copyfile(tmp_model, out_model)
        return
    data_path = os.path.join(out_dir, data_name)
    offset = 0
    with open(data_path, "wb") as data:
        for t in model.graph.initializer:
            if t.data_location == onnx.TensorProto.EXTERNAL:
                info = ExternalDataInfo(t)
                with open(os.path.join(src_dir, info.location), "rb") as f:
                    if info.offset:
                        f.seek(info.offset)
                    blob = f.read(info.length) if info.length else f.read()
            elif t.HasField("raw_data") and len(t.raw_data) >= 1024:
                blob = t.raw_data
                t.ClearField("raw_data")
            else:
                continue
            # 4 KiB alignment, as onnx's own writer does for mmap-friendly files.
            pad = (-offset) % 4096
            data.write(b"\0" * pad)
            offset += pad
            data.write(blob)
            del t.external_data[:]
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(len(blob)))):
                entry = t.external_data.add()
                entry.key, entry.value = key, value
            t.data_location = onnx.TensorProto.EXTERNAL
            offset += len(blob)
    onnx.save_model(model, out_model)


def export(model: torch.nn.Module, args: tuple, names: list[str], outputs: list[str],
           dynamic_axes: dict, out_model: str, data_name: str | None) -> None:
    with tempfile.TemporaryDirectory(dir=os.path.dirname(out_model)) as tmp:
        tmp_model = os.path.join(tmp, "model.onnx")
        kwargs = dict(input_names=names, output_names=outputs, dynamic_axes=dynamic_axes, opset_version=OPSET,
                      do_constant_folding=True)
        if int(torch.__version__.split(".")[0]) >= 2:
            kwargs["dynamo"] = False  # the TorchScript exporter, as optimum and diffusers' script use
        start = time.time()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, tmp_model, **kwargs)
        print(f"  exported in {time.time() - start:.0f} s", flush=True)
        del model
        consolidate(tmp_model, out_model, data_name)


class UnetWrapper(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


class VaeDecoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample, return_dict=False)[0]


class VaeEncoder(torch.nn.Module):
    """optimum's vae_encoder: the encoder's moments (``latent_parameters``); or, as diffusers'
    legacy script, a sample drawn from them inside the graph (``latent_sample``)."""

    def __init__(self, vae, sample: bool):
        super().__init__()
        self.vae = vae
        self.sample = sample

    def forward(self, sample):
        dist = self.vae.encode(sample, return_dict=False)[0]
        return dist.sample() if self.sample else dist.parameters


class TextEncoder(torch.nn.Module):
    def __init__(self, te):
        super().__init__()
        self.te = te

    def forward(self, input_ids):
        out = self.te(input_ids, return_dict=False)
        return out[0], out[1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--component", required=True,
                   choices=["unet", "vae_decoder", "vae_encoder", "vae_encoder_sample", "text_encoder"])
    p.add_argument("--out", required=True, help="path of the model.onnx to write")
    p.add_argument("--data", default=None, help="external weights file name beside it (e.g. model.onnx_data)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    print(f"{a.component}: torch {torch.__version__} -> {a.out}", flush=True)
    start = time.time()
    if a.component == "unet":
        from diffusers import UNet2DConditionModel

        unet = UNet2DConditionModel(**SD15_UNET).eval()
        unet.save_config(out_dir)
        processor = type(unet.down_blocks[0].attentions[0].transformer_blocks[0].attn1.processor).__name__
        print(f"  built in {time.time() - start:.0f} s; attention processor {processor}", flush=True)
        args = (torch.randn(2, 4, 64, 64), torch.tensor([999.0, 999.0]), torch.randn(2, 77, 768))
        export(UnetWrapper(unet), args, ["sample", "timestep", "encoder_hidden_states"], ["out_sample"], {
            "sample": {0: "batch", 2: "height", 3: "width"},
            "timestep": {0: "batch"},
            "encoder_hidden_states": {0: "batch", 1: "sequence"},
        }, a.out, a.data)
    elif a.component.startswith("vae"):
        from diffusers import AutoencoderKL

        vae = AutoencoderKL(**SD15_VAE).eval()
        vae.save_config(out_dir)
        if a.component == "vae_decoder":
            export(VaeDecoder(vae), (torch.randn(1, 4, 64, 64),), ["latent_sample"], ["sample"],
                   {"latent_sample": {0: "batch", 2: "height", 3: "width"},
                    "sample": {0: "batch", 2: "image_height", 3: "image_width"}}, a.out, a.data)
        else:
            sample = a.component == "vae_encoder_sample"
            name = "latent_sample" if sample else "latent_parameters"
            export(VaeEncoder(vae, sample), (torch.randn(1, 3, 512, 512),), ["sample"], [name],
                   {"sample": {0: "batch", 2: "height", 3: "width"},
                    name: {0: "batch", 2: "latent_height", 3: "latent_width"}}, a.out, a.data)
    else:
        from transformers import CLIPTextConfig, CLIPTextModel

        config = CLIPTextConfig(**CLIP_L_TEXT)
        te = CLIPTextModel(config).eval()
        config.to_json_file(os.path.join(out_dir, "config.json"))
        ids = torch.randint(0, 49406, (1, 77), dtype=torch.int64)
        export(TextEncoder(te), (ids,), ["input_ids"], ["last_hidden_state", "pooler_output"],
               {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"},
                "pooler_output": {0: "batch"}}, a.out, a.data)
    print(f"  done in {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
