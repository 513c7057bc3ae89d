"""Small ONNX graphs holding each attention pattern the engine's attention fusion must (or must
not) recognise: fixtures/attention/torch1/*.onnx (torch 1.13) and fixtures/attention/torch2/*.onnx
(torch 2.x), described in fixtures/attention/manifest.json.

    /work/pyenv/bin/python tools/make_attention_fixtures.py

Run with the torch 2 venv; it runs itself again under Debian's torch 1.13 (/usr/bin/python3, with
diffusers borrowed as make_full_size_models.py does) for the torch 1 graphs. Channel counts are
tiny (a few KB per graph); the patterns are the ones full-size exports contain:

* diffusers' own ``Attention`` module: UNet self-attention (8 and 20 heads), cross-attention
  (10 heads, other key width and length), SD 2.x's ``upcast_attention``, a custom scale, the VAE
  mid-block attention (one head, 4-D input, residual); on torch 1.13 diffusers picks the classic
  ``AttnProcessor`` (baddbmm with a zero ``Add``, softmax, a float->float ``Cast``), on torch 2.x
  ``AttnProcessor2_0`` (``F.scaled_dot_product_attention``), and the classic processor is exported
  on torch 2.x too;
* a tiny diffusers ``UNet2DConditionModel`` (every attention of a real UNet, in one graph), with
  its weights in ``model.onnx_data`` (for the session-from-bytes path);
* hand-written variants: 4-D matmuls without a Cast (as tools/sdmodels.py writes them), an Add of
  ``zeros_like``, a scale other than head_dim^-0.5, and graphs that must NOT be fused: a causal
  mask, a bias input added to the scores, softmax over the wrong axis, heads split off the wrong
  end of the channels, attention probabilities used as an output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch1_compat  # noqa: E402

torch1_compat.install()

import torch  # noqa: E402
from torch import nn  # noqa: E402

ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "fixtures", "attention")
OPSET = 14
TORCH_MAJOR = int(torch.__version__.split(".")[0])
TAG = "torch2" if TORCH_MAJOR >= 2 else "torch1"


def diffusers_attention(**kwargs):
    from diffusers.models.attention_processor import Attention, AttnProcessor

    classic = kwargs.pop("classic", False)
    attn = Attention(**kwargs)
    if classic:
        attn.set_processor(AttnProcessor())
    return attn


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, classic: bool = False, upcast: bool = False, scale: float | None = None):
        super().__init__()
        self.attn = diffusers_attention(query_dim=dim, heads=heads, dim_head=dim // heads, classic=classic,
                                        upcast_attention=upcast, upcast_softmax=upcast)
        if scale is not None:
            self.attn.scale = scale

    def forward(self, hidden_states):
        return self.attn(hidden_states)


class CrossAttention(nn.Module):
    def __init__(self, dim: int, cross_dim: int, heads: int, classic: bool = False):
        super().__init__()
        self.attn = diffusers_attention(query_dim=dim, cross_attention_dim=cross_dim, heads=heads,
                                        dim_head=dim // heads, classic=classic)

    def forward(self, hidden_states, encoder_hidden_states):
        return self.attn(hidden_states, encoder_hidden_states)


class VaeMidAttention(nn.Module):
    """The attention of AutoencoderKL's UNetMidBlock2D, with its arguments."""

    def __init__(self, channels: int, classic: bool = False):
        super().__init__()
        self.attn = diffusers_attention(query_dim=channels, heads=1, dim_head=channels, rescale_output_factor=1.0,
                                        eps=1e-6, norm_num_groups=4, spatial_norm_dim=None, residual_connection=True,
                                        bias=True, upcast_softmax=True, _from_deprecated_attn_block=True,
                                        classic=classic)

    def forward(self, sample):
        return self.attn(sample)


class HandWritten(nn.Module):
    """Plain attention over 4-D heads, with one deliberate variation."""

    def __init__(self, dim: int, heads: int, variant: str):
        super().__init__()
        self.h, self.d = heads, dim // heads
        self.variant = variant
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def split(self, x):
        b = x.shape[0]
        if self.variant == "heads-last":
            # Channels read as [head_dim, heads]: not the [heads, head_dim] split attention uses.
            return x.reshape(b, -1, self.d, self.h).permute(0, 3, 1, 2)
        return x.reshape(b, -1, self.h, self.d).transpose(1, 2)

    def forward(self, hidden_states, bias=None):
        b = hidden_states.shape[0]
        q, k, v = self.split(self.to_q(hidden_states)), self.split(self.to_k(hidden_states)), \
            self.split(self.to_v(hidden_states))
        scale = 0.3 if self.variant == "scale-0.3" else self.d ** -0.5
        if self.variant == "sdpa-scale-0.3":
            out = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=0.3)
            probs = None
        else:
            scores = torch.matmul(q, k.transpose(-1, -2)) * scale
            if self.variant == "zeros-like-add":
                scores = scores + torch.zeros_like(scores)
            elif self.variant == "causal-mask":
                n = scores.shape[-1]
                mask = torch.full((n, n), float("-inf")).triu(1)
                scores = scores + mask
            elif self.variant == "bias-input":
                scores = scores + bias
            probs = scores.softmax(dim=-2 if self.variant == "softmax-axis" else -1)
            out = torch.matmul(probs, v)
        out = out.transpose(1, 2).reshape(b, -1, self.h * self.d)
        out = self.to_out(out)
        if self.variant == "probs-output":
            return out, probs
        return out


def tiny_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, block_out_channels=(16, 32), layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=8, attention_head_dim=8, norm_num_groups=4)


class UnetWrapper(nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


SEQ = {"hidden_states": {0: "batch", 1: "sequence"}}
CROSS = {**SEQ, "encoder_hidden_states": {0: "batch", 1: "key_sequence"}}


def export(name: str, model: nn.Module, inputs: dict, outputs: list[str], dynamic: dict, expect: dict,
           external: bool = False) -> dict:
    folder = os.path.join(OUT, TAG)
    path = os.path.join(folder, f"{name}.onnx")
    if external:
        folder = os.path.join(folder, name)
        path = os.path.join(folder, "model.onnx")
    os.makedirs(folder, exist_ok=True)
    kwargs = dict(input_names=list(inputs), output_names=outputs, dynamic_axes=dynamic, opset_version=OPSET,
                  do_constant_folding=True)
    if TORCH_MAJOR >= 2:
        kwargs["dynamo"] = False
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), tuple(inputs.values()), path, **kwargs)
    if external:
        import onnx

        m = onnx.load(path)
        data = os.path.join(folder, "model.onnx_data")
        if os.path.exists(data):
            os.remove(data)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx_data", size_threshold=256)
    rel = os.path.relpath(path, OUT)
    print(f"  {rel}: {os.path.getsize(path)} bytes", flush=True)
    return {"file": rel, "inputs": {k: list(v.shape) for k, v in inputs.items()},
            "dynamic_axes": {k: sorted(v) for k, v in dynamic.items() if k in inputs},
            "input_types": {k: str(v.dtype).replace("torch.", "") for k, v in inputs.items()}, **expect}


def build() -> list[dict]:
    torch.manual_seed(0)
    x = torch.randn(2, 6, 40)
    x32 = torch.randn(2, 6, 32)
    ctx = torch.randn(2, 5, 24)
    out: list[dict] = []
    fused = lambda n, heads, **kw: {"expect": "fused", "count": n, "heads": heads, **kw}  # noqa: E731
    refused = lambda reason: {"expect": "unfused", "reason": reason}  # noqa: E731

    out.append(export("unet-self-8h", SelfAttention(32, 8), {"hidden_states": x32}, ["out"], SEQ, fused(1, [8])))
    out.append(export("unet-self-20h", SelfAttention(40, 20), {"hidden_states": x}, ["out"], SEQ, fused(1, [20])))
    out.append(export("unet-cross-10h", CrossAttention(40, 24, 10), {"hidden_states": x, "encoder_hidden_states": ctx},
                      ["out"], CROSS, fused(1, [10])))
    out.append(export("unet-upcast-8h", SelfAttention(32, 8, upcast=True), {"hidden_states": x32}, ["out"], SEQ,
                      fused(1, [8])))
    out.append(export("vae-mid", VaeMidAttention(16), {"sample": torch.randn(1, 16, 4, 3)}, ["out"],
                      {"sample": {0: "batch", 2: "height", 3: "width"}}, fused(1, [1])))
    if TORCH_MAJOR >= 2:
        # diffusers' classic processor, exported by torch 2.x (what optimum wrote with diffusers < 0.14).
        out.append(export("unet-self-8h-classic", SelfAttention(32, 8, classic=True), {"hidden_states": x32},
                          ["out"], SEQ, fused(1, [8])))
        out.append(export("vae-mid-classic", VaeMidAttention(16, classic=True), {"sample": torch.randn(1, 16, 4, 3)},
                          ["out"], {"sample": {0: "batch", 2: "height", 3: "width"}}, fused(1, [1])))
        out.append(export("sdpa-scale-0.3", HandWritten(32, 8, "sdpa-scale-0.3"), {"hidden_states": x32}, ["out"],
                          SEQ, fused(1, [8], scale=0.3)))
    else:
        out.append(export("unet-self-8h-scale-0.3", SelfAttention(32, 8, scale=0.3), {"hidden_states": x32}, ["out"],
                          SEQ, fused(1, [8], scale=0.3)))
    out.append(export("plain-4d", HandWritten(32, 8, "plain"), {"hidden_states": x32}, ["out"], SEQ, fused(1, [8])))
    out.append(export("zeros-like-add", HandWritten(32, 8, "zeros-like-add"), {"hidden_states": x32}, ["out"], SEQ,
                      fused(1, [8])))
    out.append(export("scale-0.3", HandWritten(32, 8, "scale-0.3"), {"hidden_states": x32}, ["out"], SEQ,
                      fused(1, [8], scale=0.3)))
    out.append(export("causal-mask", HandWritten(32, 8, "causal-mask"), {"hidden_states": x32}, ["out"], SEQ,
                      refused("added to the attention scores")))
    out.append(export("bias-input", HandWritten(32, 8, "bias-input"),
                      {"hidden_states": x32, "bias": torch.randn(2, 8, 6, 6)}, ["out"],
                      {**SEQ, "bias": {0: "batch", 2: "sequence", 3: "sequence"}},
                      refused("added to the attention scores")))
    out.append(export("softmax-axis", HandWritten(32, 8, "softmax-axis"), {"hidden_states": x32}, ["out"], SEQ,
                      refused("softmax")))
    out.append(export("heads-last", HandWritten(32, 8, "heads-last"), {"hidden_states": x32}, ["out"], SEQ,
                      refused("head")))
    out.append(export("probs-output", HandWritten(32, 8, "probs-output"), {"hidden_states": x32}, ["out", "probs"],
                      SEQ, refused("used elsewhere")))
    unet = UnetWrapper(tiny_unet())
    out.append(export("tiny-unet", unet, {"sample": torch.randn(2, 4, 8, 8), "timestep": torch.tensor([999.0, 999.0]),
                                          "encoder_hidden_states": torch.randn(2, 7, 8)}, ["out_sample"],
                      {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                       "encoder_hidden_states": {0: "batch", 1: "sequence"}},
                      fused(8, [8] * 8), external=True))
    return out


def main() -> None:
    entries = build()
    part = os.path.join(OUT, TAG, "manifest-part.json")
    with open(part, "w") as f:
        json.dump({"torch": torch.__version__, "fixtures": entries}, f, indent=2)
    if TORCH_MAJOR < 2:
        return
    # Now the torch 1.13 graphs, in a Debian python3 child.
    from make_full_size_models import TORCH1_PYTHON, torch1_env

    env = torch1_env(os.path.join(ROOT, "tools", ".work"))
    subprocess.run([TORCH1_PYTHON, os.path.abspath(__file__)], env=env, check=True)
    manifest = {}
    for tag in ("torch1", "torch2"):
        p = os.path.join(OUT, tag, "manifest-part.json")
        with open(p) as f:
            manifest[tag] = json.load(f)
        os.remove(p)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
