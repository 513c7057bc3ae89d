"""Converts a float32 ONNX graph to the float16 graph diffusers' legacy ONNX script writes with
``--fp16`` (called by make_full_size_models.py for the legacy layout):

    python full_size_fp16.py SRC/model.onnx DST/model.onnx [--data weights.pb] [--int32-ids]

The legacy script traced the pipeline in float16 on a GPU; torch 1.13 has no float16 CPU kernels,
so the same graph is made by conversion: every float initializer and constant becomes float16,
every ``Cast(to=float)`` and ``dtype`` attribute becomes float16, float ``ConstantOfShape`` values
too, and float graph inputs and outputs become float16. Values are clipped to float16's finite
range. ``--int32-ids`` makes ``input_ids`` int32, as that script exported the text encoder.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

FP16_MAX = 65504.0
# Inputs ONNX fixes to float32 whatever the graph's precision (Resize's roi and scales).
FLOAT32_ONLY_INPUTS = {"Resize": {1, 2}}


def half(t: onnx.TensorProto) -> onnx.TensorProto:
    arr = numpy_helper.to_array(t)
    return numpy_helper.from_array(np.clip(arr, -FP16_MAX, FP16_MAX).astype(np.float16), t.name)


def convert(model: onnx.ModelProto, int32_ids: bool) -> None:
    graph = model.graph
    pinned: set[str] = set()
    for node in graph.node:
        for i, name in enumerate(node.input):
            if i in FLOAT32_ONLY_INPUTS.get(node.op_type, set()):
                pinned.add(name)
    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT and init.name not in pinned:
            graph.initializer[i].CopyFrom(half(init))
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Constant" and attr.name == "value":
                if attr.t.data_type == TensorProto.FLOAT and node.output[0] not in pinned:
                    attr.t.CopyFrom(half(attr.t))
            elif node.op_type == "ConstantOfShape" and attr.name == "value":
                if attr.t.data_type == TensorProto.FLOAT:
                    attr.t.CopyFrom(half(attr.t))
            elif attr.name in ("to", "dtype") and attr.i == TensorProto.FLOAT:
                attr.i = TensorProto.FLOAT16
        if node.op_type == "ConstantOfShape" and not any(a.name == "value" for a in node.attribute):
            # The default value is a float32 zero: give it a float16 one.
            node.attribute.append(onnx.helper.make_attribute("value", numpy_helper.from_array(
                np.zeros(1, dtype=np.float16))))
    for vi in list(graph.input) + list(graph.output):
        tt = vi.type.tensor_type
        if tt.elem_type == TensorProto.FLOAT:
            tt.elem_type = TensorProto.FLOAT16
        if int32_ids and vi.name == "input_ids" and tt.elem_type == TensorProto.INT64:
            # int32 ids in, cast to what the traced graph uses first thing.
            tt.elem_type = TensorProto.INT32
            for node in graph.node:
                node.input[:] = ["input_ids_int64" if x == "input_ids" else x for x in node.input]
            graph.node.insert(0, onnx.helper.make_node("Cast", ["input_ids"], ["input_ids_int64"],
                                                       name="/input_ids/Cast", to=TensorProto.INT64))
    graph.ClearField("value_info")


def load_with_weights(path: str) -> onnx.ModelProto:
    """``onnx.load`` with external weights read here: onnx >= 1.17 refuses data files with more
    than one hard link, and make_full_size_models.py hard-links components into model folders."""
    model = onnx.load(path, load_external_data=False)
    base = os.path.dirname(os.path.abspath(path))
    for t in model.graph.initializer:
        if t.data_location != TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in t.external_data}
        with open(os.path.join(base, info["location"]), "rb") as f:
            f.seek(int(info.get("offset", "0")))
            t.raw_data = f.read(int(info["length"])) if "length" in info else f.read()
        del t.external_data[:]
        t.data_location = TensorProto.DEFAULT
    return model


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--data", default=None, help="external weights file name (all tensors in one file)")
    p.add_argument("--int32-ids", action="store_true")
    a = p.parse_args()
    model = load_with_weights(a.src)
    convert(model, a.int32_ids)
    os.makedirs(os.path.dirname(os.path.abspath(a.dst)), exist_ok=True)
    if a.data is None:
        onnx.save_model(model, a.dst)
    else:
        onnx.save_model(model, a.dst, save_as_external_data=True, all_tensors_to_one_file=True, location=a.data,
                        convert_attribute=False)
    print(f"  {a.dst}: float16", flush=True)


if __name__ == "__main__":
    main()
