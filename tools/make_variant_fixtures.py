"""Write two variants of the tiny SD fixture model, derived from fixtures/models/tiny-sd-random by
ONNX graph surgery (same weights, same graphs, different exporter conventions):

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/make_variant_fixtures.py

* fixtures/models/tiny-sd-fp16/   -- what ``optimum-cli export onnx --dtype fp16`` (optimum >= 1.24)
  produces: every float tensor (weights, constants, graph inputs and outputs, casts) in float16,
  ``input_ids`` int64, ``timestep`` a float16 rank-0 scalar, config.json beside every graph,
  UNet weights in ``unet/model.onnx_data``.
* fixtures/models/tiny-sd-legacy/ -- what diffusers' ``convert_stable_diffusion_checkpoint_to_onnx.py``
  produces for ``OnnxStableDiffusionPipeline``: model_index.json naming ``["diffusers",
  "OnnxRuntimeModel"]`` components, no config.json in the component folders, UNet weights in
  ``unet/weights.pb``, int32 ``input_ids``, float32 ``timestep`` of shape ``[batch]``, dynamic
  channel axes, a VAE encoder that samples ``latent_sample`` inside the graph, and a tokenizer
  folder without tokenizer.json (the slow tokenizer's files only).

Why surgery rather than a fresh torch export: torch 1.13 cannot trace these models in float16 on
a CPU (no Half kernels for conv/layer-norm), and deriving both variants from the committed fp32
graphs keeps them numerically tied to tiny-sd-random (main/hub/variant-fixtures.test.ts compares
them in onnxruntime-node). Deterministic: reruns are byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_export import describe  # noqa: E402  (the same I/O listing the exports print)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "fixtures", "models")
SRC = os.path.join(MODELS, "tiny-sd-random")
FP16_DIR = os.path.join(MODELS, "tiny-sd-fp16")
LEGACY_DIR = os.path.join(MODELS, "tiny-sd-legacy")

FP16_MAX = 65504.0  # largest finite float16; torch.finfo(torch.float16).max
# ONNX inputs whose type is fixed to float32 whatever the data type of the graph
# (Resize's roi and scales are tensor(float) in every opset).
FLOAT32_ONLY_INPUTS = {"Resize": {1, 2}}


# --------------------------------------------------------------------------------------------
# Graph helpers
# --------------------------------------------------------------------------------------------


def load(component: str) -> onnx.ModelProto:
    """Loads a component graph of tiny-sd-random with its external weights."""
    return onnx.load(os.path.join(SRC, component, "model.onnx"))


def save(model: onnx.ModelProto, folder: str, external: str | None = None, threshold: int = 1024) -> None:
    """Checks and writes ``folder/model.onnx`` (+ one external weights file when asked)."""
    os.makedirs(folder, exist_ok=True)
    onnx.checker.check_model(model)
    # Strict type inference catches a float32/float16 mix left behind by the conversion.
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    path = os.path.join(folder, "model.onnx")
    if external is None:
        onnx.save_model(model, path)
    else:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=external, size_threshold=threshold, convert_attribute=False)
    onnx.checker.check_model(path)


def consumers(graph: onnx.GraphProto) -> dict[str, list[tuple[onnx.NodeProto, int]]]:
    """Tensor name -> (node, input index) of every use."""
    uses: dict[str, list[tuple[onnx.NodeProto, int]]] = {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            uses.setdefault(name, []).append((node, i))
    return uses


def set_io(vi: onnx.ValueInfoProto, elem_type: int | None = None, dims: list[int | str] | None = None) -> None:
    """Rewrites a graph input's / output's element type and (optionally) its shape."""
    tt = vi.type.tensor_type
    if elem_type is not None:
        tt.elem_type = elem_type
    if dims is not None:
        tt.shape.ClearField("dim")
        for d in dims:
            dim = tt.shape.dim.add()
            if isinstance(d, str):
                dim.dim_param = d
            else:
                dim.dim_value = d


def io(model: onnx.ModelProto, name: str) -> onnx.ValueInfoProto:
    for vi in list(model.graph.input) + list(model.graph.output):
        if vi.name == name:
            return vi
    raise KeyError(name)


def to_float16(model: onnx.ModelProto) -> None:
    """Converts a float32 graph to float16 the way a float16 export looks: weights, constants,
    float casts and graph I/O become float16; inputs ONNX pins to float32 (Resize scales) stay.
    Values are clipped to the finite float16 range first, as torch's float16 masks use
    ``finfo(float16).min`` where the float32 graph had -1e9."""
    graph = model.graph
    uses = consumers(graph)

    def must_stay_float32(name: str) -> bool:
        pinned = [FLOAT32_ONLY_INPUTS.get(n.op_type, set()) for n, _ in uses.get(name, [])]
        flags = [i in p for (n, i), p in zip(uses.get(name, []), pinned)]
        if any(flags) and not all(flags):
            raise ValueError(f"{name} feeds both float32-only and float inputs")
        return bool(flags) and all(flags)

    def half(t: onnx.TensorProto) -> onnx.TensorProto:
        arr = numpy_helper.to_array(t)
        out = numpy_helper.from_array(np.clip(arr, -FP16_MAX, FP16_MAX).astype(np.float16), t.name)
        return out

    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT and not must_stay_float32(init.name):
            graph.initializer[i].CopyFrom(half(init))
    for node in graph.node:
        if node.op_type == "Constant":
            attr = node.attribute[0]
            if attr.name == "value" and attr.t.data_type == TensorProto.FLOAT and not must_stay_float32(node.output[0]):
                attr.t.CopyFrom(half(attr.t))
        elif node.op_type == "Cast":
            for attr in node.attribute:
                if attr.name == "to" and attr.i == TensorProto.FLOAT:
                    attr.i = TensorProto.FLOAT16
        elif node.op_type in ("ConstantOfShape", "RandomNormalLike", "EyeLike"):
            for attr in node.attribute:
                if attr.name == "value" and attr.t.data_type == TensorProto.FLOAT:
                    raise ValueError(f"{node.name}: a float ConstantOfShape needs converting too")
    for vi in list(graph.input) + list(graph.output):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    graph.ClearField("value_info")


def rename_dims(model: onnx.ModelProto, names: dict[str, list[int | str]]) -> None:
    """Sets the symbolic axes of named graph inputs/outputs (cosmetic: the exporter's names)."""
    for name, dims in names.items():
        set_io(io(model, name), dims=dims)


def first_consumer(model: onnx.ModelProto, tensor: str, op_type: str) -> onnx.NodeProto:
    for node in model.graph.node:
        if tensor in node.input and node.op_type == op_type:
            return node
    raise ValueError(f"no {op_type} consumes {tensor}")


def copy_tree(rel: str, dest_root: str, skip: tuple[str, ...] = ()) -> None:
    src = os.path.join(SRC, rel)
    dest = os.path.join(dest_root, rel)
    os.makedirs(dest, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if name not in skip:
            shutil.copyfile(os.path.join(src, name), os.path.join(dest, name))


def read_json(rel: str) -> dict:
    with open(os.path.join(SRC, rel)) as f:
        return json.load(f)


def write_json(path: str, obj: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def reset(folder: str) -> None:
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)


# --------------------------------------------------------------------------------------------
# The timestep input: tiny-sd-random takes int64 [steps] and casts it to float first thing
# --------------------------------------------------------------------------------------------


def retype_timestep(model: onnx.ModelProto, elem_type: int, dims: list[int | str]) -> None:
    """Turns the int64 ``timestep`` input into a float one. The graph's first use of it is a
    Cast to float (then a Reshape to ``[-1]`` that broadcasts over the batch), so a float input
    of rank 0 or 1 flows through unchanged -- and fractional timesteps (Euler, DPM) are no longer
    truncated, as in optimum's float exports."""
    cast = first_consumer(model, "timestep", "Cast")
    assert [a.i for a in cast.attribute if a.name == "to"] in ([TensorProto.FLOAT], [TensorProto.FLOAT16])
    set_io(io(model, "timestep"), elem_type=elem_type, dims=dims)


# --------------------------------------------------------------------------------------------
# fp16 (optimum >= 1.24, --dtype fp16)
# --------------------------------------------------------------------------------------------


def write_fp16() -> None:
    reset(FP16_DIR)
    for rel in ("scheduler", "tokenizer"):
        copy_tree(rel, FP16_DIR)
    shutil.copyfile(os.path.join(SRC, "model_index.json"), os.path.join(FP16_DIR, "model_index.json"))

    te = load("text_encoder")
    # optimum's int_dtype default: int64 ids. The graph's first op casts the ids to int64 anyway.
    set_io(io(te, "input_ids"), elem_type=TensorProto.INT64)
    to_float16(te)
    save(te, os.path.join(FP16_DIR, "text_encoder"))
    cfg = read_json("text_encoder/config.json")
    cfg["torch_dtype"] = "float16"
    write_json(os.path.join(FP16_DIR, "text_encoder", "config.json"), cfg)

    unet = load("unet")
    retype_timestep(unet, TensorProto.FLOAT16, [])
    to_float16(unet)
    # optimum writes every tensor over 100 bytes into model.onnx_data.
    save(unet, os.path.join(FP16_DIR, "unet"), external="model.onnx_data", threshold=100)
    shutil.copyfile(os.path.join(SRC, "unet", "config.json"), os.path.join(FP16_DIR, "unet", "config.json"))

    for vae in ("vae_decoder", "vae_encoder"):
        m = load(vae)
        to_float16(m)
        save(m, os.path.join(FP16_DIR, vae))
        shutil.copyfile(os.path.join(SRC, vae, "config.json"), os.path.join(FP16_DIR, vae, "config.json"))


# --------------------------------------------------------------------------------------------
# legacy (diffusers' OnnxStableDiffusionPipeline converter)
# --------------------------------------------------------------------------------------------


def sampling_vae_encoder() -> onnx.ModelProto:
    """The legacy converter exports ``vae.encode(sample).latent_dist.sample()``: output
    ``latent_sample`` [b, 4, h/8, w/8] drawn inside the graph (RandomNormalLike, unseeded), from
    mean and log-variance the way diffusers' DiagonalGaussianDistribution does (logvar clamped to
    [-30, 20], std = exp(logvar / 2))."""
    m = load("vae_encoder")
    g = m.graph
    params = "latent_parameters"
    for node in g.node:
        node.output[:] = ["/latent_parameters" if o == params else o for o in node.output]
    const = [
        numpy_helper.from_array(np.array([4, 4], dtype=np.int64), "/dist/split"),
        numpy_helper.from_array(np.array(-30.0, dtype=np.float32), "/dist/logvar_min"),
        numpy_helper.from_array(np.array(20.0, dtype=np.float32), "/dist/logvar_max"),
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "/dist/half"),
    ]
    g.initializer.extend(const)
    g.node.extend([
        helper.make_node("Split", ["/latent_parameters", "/dist/split"], ["/dist/mean", "/dist/logvar_raw"],
                         name="/dist/Split", axis=1),
        helper.make_node("Clip", ["/dist/logvar_raw", "/dist/logvar_min", "/dist/logvar_max"], ["/dist/logvar"],
                         name="/dist/Clip"),
        helper.make_node("Mul", ["/dist/logvar", "/dist/half"], ["/dist/half_logvar"], name="/dist/Mul"),
        helper.make_node("Exp", ["/dist/half_logvar"], ["/dist/std"], name="/dist/Exp"),
        helper.make_node("RandomNormalLike", ["/dist/mean"], ["/dist/noise"], name="/dist/RandomNormalLike",
                         dtype=TensorProto.FLOAT),
        helper.make_node("Mul", ["/dist/std", "/dist/noise"], ["/dist/scaled_noise"], name="/dist/Mul_1"),
        helper.make_node("Add", ["/dist/mean", "/dist/scaled_noise"], ["latent_sample"], name="/dist/Add"),
    ])
    out = g.output[0]
    out.name = "latent_sample"
    set_io(out, dims=["batch", 4, "latent_height", "latent_width"])
    return m


def write_legacy() -> None:
    reset(LEGACY_DIR)
    copy_tree("scheduler", LEGACY_DIR)
    # Legacy exports saved the slow CLIPTokenizer: no tokenizer.json.
    copy_tree("tokenizer", LEGACY_DIR, skip=("tokenizer.json",))
    write_json(os.path.join(LEGACY_DIR, "model_index.json"), {
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

    te = load("text_encoder")  # int32 ids already, as the legacy converter exported them
    rename_dims(te, {"input_ids": ["batch", "sequence"]})
    save(te, os.path.join(LEGACY_DIR, "text_encoder"))

    unet = load("unet")
    retype_timestep(unet, TensorProto.FLOAT, ["batch"])
    rename_dims(unet, {
        "sample": ["batch", "channels", "height", "width"],
        "encoder_hidden_states": ["batch", "sequence", 32],
    })
    # The converter re-saves the UNet with all tensors in weights.pb (onnx's default threshold).
    save(unet, os.path.join(LEGACY_DIR, "unet"), external="weights.pb")

    dec = load("vae_decoder")
    rename_dims(dec, {"latent_sample": ["batch", "channels", "height", "width"]})
    save(dec, os.path.join(LEGACY_DIR, "vae_decoder"))

    enc = sampling_vae_encoder()
    rename_dims(enc, {"sample": ["batch", "channels", "height", "width"]})
    save(enc, os.path.join(LEGACY_DIR, "vae_encoder"))


def main() -> None:
    write_fp16()
    write_legacy()
    for folder in (FP16_DIR, LEGACY_DIR):
        print(os.path.relpath(folder, ROOT))
        for comp in ("text_encoder", "unet", "vae_decoder", "vae_encoder"):
            print(f" {comp}")
            for line in ("  " + d for d in describe(os.path.join(folder, comp, "model.onnx"))):
                print(line)
        total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
        print(f" {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
