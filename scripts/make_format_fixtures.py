#!/usr/bin/env python3
"""Writes Tests/VTPDataTests/Fixtures/formats/: PyTorch checkpoints in the zip and the legacy format, NumPy .npy/.npz
files, and expected.json with every tensor's dtype, shape and row-major little-endian bytes (hex), for the Swift
readers (TorchCheckpoint, NumPyArray/NumPyArchive) to match bit-exactly. Also copies the `lpips` package's
weights/v0.1/vgg.pth (BSD-2-Clause, Richard Zhang et al., github.com/richzhang/PerceptualSimilarity; shipped
inside the lpips 0.1.4 wheel) and records its tensors as torch.load reads them.

Needs torch, numpy and lpips (pip install torch numpy lpips). Run: python scripts/make_format_fixtures.py
"""
import argparse
import collections
import io
import pickle
import zipfile
import importlib.util
import json
import os
import shutil

import numpy as np
import torch


OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VTPDataTests", "Fixtures", "formats")
DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
          torch.bool: "BOOL"}
NP_DTYPES = {"float32": "F32", "float16": "F16", "float64": "F64", "int64": "I64", "int32": "I32", "int16": "I16",
             "int8": "I8", "uint8": "U8", "bool": "BOOL"}


def torch_entry(t):
    t = t.detach().contiguous()
    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
    return {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "hex": raw.hex()}


def np_entry(a):
    a = a.astype(a.dtype.newbyteorder("<"), order="C")
    return {"dtype": NP_DTYPES[a.dtype.name], "shape": list(a.shape), "hex": a.tobytes().hex()}


def checkpoint():
    g = torch.Generator().manual_seed(0)
    big = torch.randn(6, 5, generator=g)
    model = collections.OrderedDict()
    model["conv.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    model["conv.bias"] = torch.nn.Parameter(torch.randn(4, generator=g))           # _rebuild_parameter
    model["half"] = torch.randn(2, 3, generator=g).half()
    model["bf16"] = torch.randn(3, 2, generator=g).bfloat16()
    model["f64"] = torch.randn(5, generator=g).double()
    model["long"] = torch.arange(-3, 4, dtype=torch.int64)
    model["int"] = torch.tensor([1, -2, 2**31 - 1], dtype=torch.int32)
    model["byte"] = torch.tensor([0, 7, 255], dtype=torch.uint8)
    model["mask"] = torch.tensor([True, False, True])
    model["transposed"] = big.t()                                                 # strides (1, 5)
    model["row_view"] = big[2:4]                                                  # offset 10 into `big`'s storage
    model["shared_full"] = big                                                     # same storage
    model["scalar"] = torch.tensor(3.5)
    model["empty"] = torch.zeros(0, 4)
    model["expanded"] = torch.randn(3, 1, generator=g).expand(3, 4)              # stride 0
    state = {
        "model": model,
        "ema": collections.OrderedDict([("w", torch.randn(2, 2, generator=g))]),
        "nested": {"a": {"b": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, "list": [torch.ones(2), 5]},
        "step": 7, "lr": 0.5, "name": "run", "flag": True, "nothing": None,
    }
    return state


def flat(obj, prefix=""):
    out, skipped = {}, []
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    else:
        items = None
    if items is not None:
        for k, v in items:
            name = f"{prefix}.{k}" if prefix else str(k)
            o, s = flat(v, name)
            out.update(o)
            skipped += s
        return out, skipped
    if isinstance(obj, torch.Tensor):
        return {prefix: torch_entry(obj)}, []
    return {}, [[prefix, type(obj).__name__]]


class _Evil:
    """Pickles as a call of os.system: a reader that executes globals would run it."""
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


class _FakeStorage:
    pass


def malformed():
    """Hostile or broken checkpoints for the malformed-input corpus."""
    torch.save({"args": argparse.Namespace(lr=0.1), "w": torch.ones(2)}, os.path.join(OUT, "bad_namespace.pt"))
    torch.save({"w": torch.ones(2), "evil": _Evil()}, os.path.join(OUT, "bad_os_system_legacy.pt"),
               _use_new_zipfile_serialization=False)

    # A zip checkpoint whose tensor [20] reads a 10-element storage.
    class Shaped:
        def __reduce__(self):
            return (torch._utils._rebuild_tensor_v2, (_FakeStorage(), 0, (20,), (1,), False, collections.OrderedDict()))
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=2)
    p.persistent_id = lambda o: ("storage", torch.FloatStorage, "0", "cpu", 10) if isinstance(o, _FakeStorage) else None
    p.dump({"w": Shaped()})
    with zipfile.ZipFile(os.path.join(OUT, "bad_storage_range.pt"), "w") as z:
        z.writestr("bad_storage_range/data.pkl", buf.getvalue())
        z.writestr("bad_storage_range/byteorder", "little")
        z.writestr("bad_storage_range/data/0", np.zeros(10, np.float32).tobytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    malformed()
    state = checkpoint()
    torch.save(state, os.path.join(OUT, "zip.pt"))
    torch.save(state, os.path.join(OUT, "legacy.pt"), _use_new_zipfile_serialization=False)
    for fmt in ["zip.pt", "legacy.pt"]:
        loaded = torch.load(os.path.join(OUT, fmt), weights_only=True)
        tensors, skipped = flat(loaded)
        expected[fmt] = {"names": list(tensors), "tensors": tensors, "skipped": skipped}

    vgg = os.path.join(os.path.dirname(importlib.util.find_spec("lpips").origin), "weights", "v0.1", "vgg.pth")
    shutil.copyfile(vgg, os.path.join(OUT, "lpips_v0.1_vgg.pth"))
    sd = torch.load(vgg, map_location="cpu", weights_only=True)
    expected["lpips_v0.1_vgg.pth"] = {"names": list(sd), "tensors": {k: torch_entry(v) for k, v in sd.items()}, "skipped": []}

    rng = np.random.default_rng(0)
    arrays = {
        "f32": rng.standard_normal((3, 4)).astype(np.float32),
        "f64": rng.standard_normal((2, 3, 2)),
        "u8": rng.integers(0, 256, (2, 5), dtype=np.uint8),
        "i64": rng.integers(-1000, 1000, (4,), dtype=np.int64),
        "i32": rng.integers(-1000, 1000, (2, 2), dtype=np.int32),
        "f16": rng.standard_normal((5,)).astype(np.float16),
        "bool": rng.integers(0, 2, (3, 2)).astype(bool),
        "scalar": np.array(2.25, dtype=np.float32),
        "fortran": np.asfortranarray(rng.standard_normal((3, 4, 2)).astype(np.float32)),
        "big_endian": rng.standard_normal((2, 3)).astype(">f4"),
        "i8": rng.integers(-128, 128, (3,), dtype=np.int8),
        "i16": rng.integers(-3000, 3000, (3,), dtype=np.int16),
    }
    npy = {}
    for name, a in arrays.items():
        path = os.path.join(OUT, f"{name}.npy")
        np.save(path, a)
        npy[f"{name}.npy"] = np_entry(np.load(path))
    for version in [(2, 0), (3, 0)]:
        name = f"f32_v{version[0]}.npy"
        with open(os.path.join(OUT, name), "wb") as f:
            np.lib.format.write_array(f, arrays["f32"], version=version)
        npy[name] = np_entry(np.load(os.path.join(OUT, name)))
    expected["npy"] = npy
    subset = {k: arrays[k] for k in ["f32", "f64", "u8", "fortran"]}
    np.savez(os.path.join(OUT, "stored.npz"), **subset)
    np.savez_compressed(os.path.join(OUT, "deflated.npz"), **subset, arr_extra=np.arange(1000, dtype=np.float32))
    for name in ["stored.npz", "deflated.npz"]:
        z = np.load(os.path.join(OUT, name))
        expected[name] = {k: np_entry(z[k]) for k in z.files}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
