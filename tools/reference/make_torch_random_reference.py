#!/usr/bin/env python3
"""Reference data for main/engine/random: what PyTorch's CPU generator produces.

Run with Debian's PyTorch (not the `python3` on PATH):

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/reference/make_torch_random_reference.py

Writes main/engine/random/fixtures/torch-random-reference.json. Deterministic: reruns with the
same torch produce the same file. Small tensors are stored in full; large ones as selected indices
plus summary statistics, and `rand` (bit-exact) also as a SHA-256 of its float32 bytes.
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "main", "engine", "random", "fixtures", "torch-random-reference.json",
)

SEEDS = [0, 1, 42, 2**32 - 1, 2**53 - 1, 2**53 + 7, 2**63 + 5, 2**64 - 1, -1]
ALL_SIZES = list(range(1, 21)) + [31, 32, 33, 64]
FEW_SIZES = [1, 2, 3, 15, 16, 17, 20, 33]
FULL_SEEDS = [0, 42, 2**63 + 5]
LARGE_SHAPE = [4, 64, 64]


def gen(seed):
    return torch.Generator("cpu").manual_seed(seed)


def seed_json(seed):
    # JSON numbers above 2^53 lose precision in JavaScript: those travel as decimal strings.
    return seed if abs(seed) <= 2**53 - 1 else str(seed)


def f32(v):
    # The shortest decimal that rounds back to the same float32 (Math.fround in JavaScript).
    return float(np.format_float_positional(np.float32(v), unique=True, trim="-"))


def values(t):
    return [f32(v) for v in t.flatten().tolist()]


def summary(t):
    flat = t.flatten().to(torch.float64)
    n = flat.numel()
    picks = sorted(set(list(range(20)) + list(range(0, n, 1999)) + list(range(n - 20, n))))
    return {
        "numel": n,
        "indices": picks,
        "values": [f32(flat[i]) for i in picks],
        "sum": float(flat.sum()),
        "sumOfSquares": float((flat * flat).sum()),
        "sha256": hashlib.sha256(t.contiguous().numpy().astype("<f4").tobytes()).hexdigest(),
    }


def main():
    torch.set_num_threads(1)
    data = {"torchVersion": torch.__version__, "defaultSeed": torch.Generator().initial_seed()}

    data["seeds"] = []
    for seed in SEEDS:
        g = gen(seed)
        entry = {"seed": seed_json(seed), "initialSeed": str(g.initial_seed())}
        sizes = ALL_SIZES if seed in FULL_SEEDS else FEW_SIZES
        entry["randn"] = {str(n): values(torch.randn(n, generator=gen(seed))) for n in sizes}
        entry["rand"] = {str(n): values(torch.rand(n, generator=gen(seed))) for n in [1, 5, 15, 16, 17, 33]}
        entry["randnLarge"] = summary(torch.randn(LARGE_SHAPE, generator=gen(seed)))
        entry["randLarge"] = summary(torch.rand(LARGE_SHAPE, generator=gen(seed)))
        data["seeds"].append(entry)

    # A fresh torch.Generator() without manual_seed.
    data["unseeded"] = {"randn": values(torch.randn(20, generator=torch.Generator()))}

    # One generator, many calls: the stream and the cached Box-Muller value carry over.
    ops = [
        ("randn", [3]), ("rand", [5]), ("randn", [1]), ("randn", [17]), ("rand", [2]),
        ("randn", [2]), ("randn", [16]), ("randn", [1]), ("rand", [1]), ("randn", [5]),
        ("randn", [2, 3]), ("randn", [1, 4, 4, 4]), ("randn", [7]), ("rand", [20]), ("randn", [1]),
    ]
    interleaved = []
    for seed in [0, 42, 2**63 + 5]:
        g = gen(seed)
        calls = []
        for op, dims in ops:
            fn = torch.randn if op == "randn" else torch.rand
            calls.append({"op": op, "dims": dims, "values": values(fn(dims, generator=g))})
        interleaved.append({"seed": seed_json(seed), "calls": calls})
    data["interleaved"] = interleaved

    # diffusers' per-step noise: the same latent-shaped draw repeated on one generator.
    g = gen(1234)
    data["repeated"] = {
        "seed": 1234,
        "dims": [1, 4, 8, 8],
        "calls": [values(torch.randn([1, 4, 8, 8], generator=g)) for _ in range(3)],
    }

    # diffusers' randn_tensor with a list of generators: one [1, ...] draw per batch item.
    shape = [2, 4, 8, 8]
    data["generatorList"] = {
        "seeds": [7, 8],
        "dims": shape,
        "values": values(torch.cat([torch.randn([1] + shape[1:], generator=gen(s)) for s in [7, 8]])),
    }

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
