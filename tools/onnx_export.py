"""ONNX export helpers: export, optional external data, and reference I/O for checking in Node."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import onnx
import torch

OPSET = 17

_DTYPES = {torch.float32: "float32", torch.int64: "int64", torch.int32: "int32"}


def export(model: torch.nn.Module, inputs: dict[str, torch.Tensor], output_names: list[str], path: str,
           dynamic_axes: dict[str, dict[int, str]], external_data: bool = False,
           check_case: str | None = None) -> None:
    """Export ``model(*inputs.values())`` to ``path``; write a reference case for tools/verify_onnx.mjs."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model = model.eval()
    args = tuple(inputs.values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, path, input_names=list(inputs), output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(path)
    # The exporter's shape inference loses some static sizes (e.g. the hidden width after a reshape
    # with -1): write the real size of every axis that is not dynamic into the graph outputs.
    with torch.no_grad():
        outs = model(*args)
    if isinstance(outs, torch.Tensor):
        outs = (outs,)
    for vi, t in zip(m.graph.output, outs):
        dyn = dynamic_axes.get(vi.name, {})
        dims = vi.type.tensor_type.shape.dim
        for ax, size in enumerate(t.shape):
            if ax in dyn:
                dims[ax].Clear()
                dims[ax].dim_param = dyn[ax]
            else:
                dims[ax].Clear()
                dims[ax].dim_value = int(size)
    onnx.checker.check_model(m)
    onnx.save_model(m, path)
    if external_data:
        data = os.path.join(os.path.dirname(path), "model.onnx_data")
        if os.path.exists(data):
            os.remove(data)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx_data", size_threshold=100)
        onnx.checker.check_model(path)
    if check_case:
        write_case(model, inputs, output_names, path, check_case)


def tensor_json(t: torch.Tensor) -> dict:
    arr = t.detach().cpu().numpy()
    return {"type": _DTYPES[t.dtype], "dims": list(arr.shape), "data": arr.reshape(-1).tolist()}


def write_case(model, inputs: dict[str, torch.Tensor], output_names: list[str], path: str, case_file: str) -> None:
    with torch.no_grad():
        outs = model(*inputs.values())
    if isinstance(outs, torch.Tensor):
        outs = (outs,)
    assert len(outs) == len(output_names), (len(outs), output_names)
    case = {
        "model": os.path.abspath(path),
        "inputs": {k: tensor_json(v) for k, v in inputs.items()},
        "outputs": {k: tensor_json(v) for k, v in zip(output_names, outs)},
    }
    os.makedirs(os.path.dirname(case_file), exist_ok=True)
    with open(case_file, "w") as f:
        json.dump(case, f)


def describe(path: str) -> list[str]:
    """Human-readable I/O signature of an ONNX file (names, dtypes, symbolic shapes)."""
    m = onnx.load(path, load_external_data=False)
    names = {1: "float32", 6: "int32", 7: "int64", 10: "float16"}
    lines = []
    for kind, vals in (("in", m.graph.input), ("out", m.graph.output)):
        for v in vals:
            tt = v.type.tensor_type
            dims = [d.dim_param or str(d.dim_value) for d in tt.shape.dim]
            lines.append(f"{kind} {v.name}: {names.get(tt.elem_type, tt.elem_type)} [{', '.join(dims)}]")
    return lines


def np_seed(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)
