"""Lets a current diffusers source tree import under Debian's torch 1.13, for torch 1.x exports.

diffusers no longer supports torch 1.x, but the classes the ONNX exports need
(UNet2DConditionModel, AutoencoderKL, Attention with the classic ``AttnProcessor``) still run on
it: what fails is the import of modules that name torch 2 features at import time (``torch.xpu``,
``torch.compiler``, float8 dtypes, ``torch.nn.attention``, distributed submodules). ``install()``
puts inert stand-ins for exactly those names before diffusers is imported; nothing in an export
calls them. Under torch 2.x it does nothing.

The pure-Python packages diffusers needs (huggingface_hub, safetensors, filelock, regex, ...) are
not part of Debian's python3-torch; ``make_full_size_models.py`` borrows them from the torch 2
venv (same Python minor version) through a folder of symlinks on ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types

# Modules that a torch 1.13 process must never take from the borrowed site-packages: they are
# binary-incompatible with (or shadow) Debian's own numpy/torch.
BORROWED_PACKAGES = (
    "diffusers", "huggingface_hub", "safetensors", "filelock", "regex", "importlib_metadata", "zipp",
    "fsspec", "tqdm", "packaging", "typing_extensions.py", "hf_xet", "httpx", "httpcore", "anyio", "h11",
    "idna", "certifi", "sniffio", "shellingham", "typer", "click", "rich", "markdown_it", "mdurl", "pygments",
    "annotated_doc", "yaml", "_yaml",
)


class _StubMeta(type):
    """A stand-in class: any attribute is another stand-in, calling it with one function returns
    that function (so it works as a decorator), and ``X | Y`` in annotations works."""

    def __getattr__(cls, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _StubMeta(name, (), {})

    def __call__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return _StubMeta("stub", (), {})

    def __or__(cls, other):
        return cls

    def __ror__(cls, other):
        return cls


class _StubModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _StubMeta(name, (), {})


class _MissingTorchSubmodules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of ``torch.*`` submodules that torch 1.13 lacks with stand-in modules."""

    def find_spec(self, name, path, target=None):
        if not name.startswith("torch."):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            if finder.find_spec(name, path, target) is not None:
                return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def install() -> None:
    import torch

    if int(torch.__version__.split(".")[0]) >= 2:
        return
    for device in ("xpu", "mps", "npu", "mlu", "musa"):
        if not hasattr(torch, device):
            setattr(torch, device, _StubModule(f"torch.{device}"))
            getattr(torch, device).is_available = lambda: False
            getattr(torch, device).device_count = lambda: 0
    for dtype in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "uint16", "uint32",
                  "uint64", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7", "int1", "int2", "int3",
                  "int4"):
        if not hasattr(torch, dtype):
            setattr(torch, dtype, _StubMeta(dtype, (), {}))
    if not hasattr(torch, "compiler"):
        torch.compiler = types.SimpleNamespace(
            disable=lambda fn=None, *a, **k: fn if fn is not None else (lambda g: g),
            is_compiling=lambda: False,
            is_dynamo_compiling=lambda: False,
        )
    import torch.distributed

    if not hasattr(torch.distributed, "device_mesh"):
        torch.distributed.device_mesh = types.SimpleNamespace(DeviceMesh=object)
    sys.meta_path.append(_MissingTorchSubmodules())
