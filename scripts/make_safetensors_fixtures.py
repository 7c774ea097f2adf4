#!/usr/bin/env python3
"""Generates the safetensors / dtype test fixtures of VTPTensorTests with the reference libraries (safetensors.numpy.save_file, numpy, ml_dtypes).

    pip install safetensors numpy ml_dtypes
    python3 scripts/make_safetensors_fixtures.py

Writes into Tests/VTPTensorTests/Fixtures/:
  reference.safetensors       tensors of every supported dtype, written by safetensors.numpy.save_file,
                              with one metadata entry (the reference writer orders several metadata keys
                              by hash, differently on every run, so one key keeps the file deterministic)
  reference_multimeta.safetensors  a small file with several metadata entries (for reading only)
  reference.json              what the files must read back as, computed with numpy: per tensor dtype,
                              shape, data_offsets, the raw bytes (hex), values (floats as float32 bit
                              patterns, integers as ints) and, for F16/BF16, the float32 values before rounding
  vtp_tiny_summary.json       per tensor of the real checkpoint Tests/VTPModelsTests/Fixtures/vtp-tiny/model/
                              model.safetensors (not copied here): dtype, shape, float64 sum, first value
  index_example.json          a weight map and the text json.dumps(index, indent=2, sort_keys=True) + "\n"
                              that transformers writes as model.safetensors.index.json
  dtype_table.json            float32 -> F16 (numpy) / BF16 (ml_dtypes) conversion answers: a table of
                              chosen and random values and FNV-1a hashes over large sweeps
The output is deterministic (fixed seeds); rerunning it must not change the committed files.
"""
import json
import os

import ml_dtypes
import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "VTPTensorTests", "Fixtures")

DTYPE_NAMES = {
    np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(ml_dtypes.bfloat16): "BF16",
    np.dtype(np.float64): "F64", np.dtype(np.int64): "I64", np.dtype(np.int32): "I32", np.dtype(np.int16): "I16",
    np.dtype(np.int8): "I8", np.dtype(np.uint8): "U8", np.dtype(np.bool_): "BOOL",
}


def f32_bits(a):
    return [int(x) for x in np.asarray(a, dtype=np.float32).reshape(-1).view(np.uint32)]


def make_tensors():
    rng = np.random.default_rng(1234)
    t = {}
    t["weight"] = rng.standard_normal((2, 3)).astype(np.float32)
    special = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 65520.0, 1e-8, 6e-8, 3e-5, -6.1035156e-05,
                        np.inf, -np.inf, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11], dtype=np.float32)
    t["half"] = special.reshape(2, 7)
    t["half.source"] = special
    brain = np.concatenate([rng.standard_normal(6).astype(np.float32) * 100,
                            np.array([1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, 3.0e38, -1e-40], np.float32)])
    t["brain"] = brain.reshape(5, 2)
    t["double"] = np.array([np.pi, -1e300, 1e-300, 0.1], dtype=np.float64)
    t["long"] = np.array([[0, -1, 2 ** 40], [2 ** 62, -(2 ** 63), 7]], dtype=np.int64)
    t["int"] = np.array([2 ** 31 - 1, -(2 ** 31), 0, 42], dtype=np.int32)
    t["short"] = np.array([-32768, 32767, 5], dtype=np.int16)
    t["byte"] = np.array([-128, 127, 0, -1], dtype=np.int8)
    t["ubyte"] = np.arange(250, 256, dtype=np.uint8).reshape(3, 2)
    t["mask"] = np.array([True, False, True, True, False], dtype=np.bool_)
    t["scalar"] = np.array(3.5, dtype=np.float32)
    t["empty"] = np.zeros((0, 3), dtype=np.float32)
    t["Upper"] = np.array([1], dtype=np.uint8)
    t["z\uff21"] = np.array([2], dtype=np.uint8)
    t["z\U0001F600"] = np.array([3], dtype=np.uint8)
    t['we"ird\\/\u00e9\n\t\x01'] = np.array([4], dtype=np.uint8)
    return t


def stored(name, a):
    """The array as it is stored (F16/BF16 rounded by numpy/ml_dtypes)."""
    with np.errstate(over="ignore"):
        if name == "half":
            return a.astype(np.float16)
        if name == "brain":
            return a.astype(ml_dtypes.bfloat16)
    return a


def write_reference():
    tensors = {k: v for k, v in make_tensors().items() if not k.endswith(".source")}
    sources = make_tensors()
    payload, expected = {}, {}
    for name, a in tensors.items():
        s = stored(name, a).copy(order="C")  # (ascontiguousarray would turn a 0-d array into 1-d)
        dtype = DTYPE_NAMES[s.dtype]
        payload[name] = s
        e = {"dtype": dtype, "shape": list(s.shape), "hex": s.tobytes().hex()}
        if dtype in ("F32", "F16", "BF16", "F64"):
            with np.errstate(over="ignore"):
                e["float_bits"] = f32_bits(s.astype(np.float32))
            if dtype in ("F16", "BF16"):
                e["source_float_bits"] = f32_bits(sources[name])
        else:
            e["ints"] = [int(x) for x in s.reshape(-1).astype(np.int64)]
        expected[name] = e
    metadata = {"format": "pt"}
    path = os.path.join(OUT, "reference.safetensors")
    save_file(payload, path, metadata=metadata)
    os.chmod(path, 0o644)
    data = open(path, "rb").read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    order = [k for k in header if k != "__metadata__"]
    for k in order:
        expected[k]["data_offsets"] = header[k]["data_offsets"]

    multi = {"a note": "héllo \"quoted\"\n", "format": "pt", "empty": ""}
    mpath = os.path.join(OUT, "reference_multimeta.safetensors")
    save_file({"x": payload["int"], "y": payload["weight"]}, mpath, metadata=multi)
    os.chmod(mpath, 0o644)
    doc = {"metadata": metadata, "names": order, "header_length": n, "file_size": len(data),
           "tensors": expected, "multimeta_metadata": multi}
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True, ensure_ascii=True)
        f.write("\n")


def fnv1a64(b):
    h = 0xCBF29CE484222325
    for x in b:
        h = ((h ^ x) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fnv1a64_np(b):
    return fnv1a64(bytes(b))  # a plain loop: the sweeps are ~2 MB


def write_dtype_table():
    rng = np.random.default_rng(5678)
    chosen = np.array([0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3, 65504, 65519.996, 65520, 65536, 1e6, -1e6,
                       2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 1.0000001, 3 * 2.0 ** -25, 2.0 ** -26,
                       1.5 * 2.0 ** -24, 2.5 * 2.0 ** -24, 2.0 ** -14 - 2.0 ** -25, 1e-45, 3.4028235e38,
                       np.inf, -np.inf, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8,
                       2049, 2051, 4097, 257, 259], dtype=np.float32)
    random_values = np.concatenate([
        rng.standard_normal(600).astype(np.float32),
        (rng.standard_normal(300) * 1e-5).astype(np.float32),   # F16 subnormal range
        (rng.standard_normal(300) * 3e4).astype(np.float32),    # near F16 overflow
        rng.uniform(-1e38, 1e38, 200).astype(np.float32),
        (rng.standard_normal(200) * 1e-39).astype(np.float32),  # F32 subnormals
        # exact ties for F16 (13 dropped bits = 0x1000) and BF16 (16 dropped bits = 0x8000)
        (rng.integers(0x3880_0000, 0x4780_0000, 200, dtype=np.uint32) & ~np.uint32(0x1FFF) | np.uint32(0x1000)).view(np.float32),
        (rng.integers(0x0080_0000, 0x7F00_0000, 200, dtype=np.uint32) & ~np.uint32(0xFFFF) | np.uint32(0x8000)).view(np.float32),
    ])
    values = np.concatenate([chosen, random_values])
    with np.errstate(over="ignore"):
        table = {
            "float_bits": f32_bits(values),
            "f16_bits": [int(x) for x in values.astype(np.float16).view(np.uint16)],
            "bf16_bits": [int(x) for x in values.astype(ml_dtypes.bfloat16).view(np.uint16)],
        }
    # Sweep: every 4099th float32 bit pattern (NaN inputs excluded: NaN payload rules differ between libraries),
    # hashed as little-endian 16-bit outputs.
    stride = 4099
    sweep = (np.arange(0, 2 ** 32 // stride, dtype=np.uint64) * stride + 7).astype(np.uint32).view(np.float32)
    sweep = sweep[~np.isnan(sweep)]
    with np.errstate(over="ignore"):
        table["sweep"] = {
            "stride": stride, "start": 7, "count": int(sweep.size),
            "f16_fnv1a64": fnv1a64_np(sweep.astype(np.float16).view(np.uint16).astype("<u2").tobytes()),
            "bf16_fnv1a64": fnv1a64_np(sweep.astype(ml_dtypes.bfloat16).view(np.uint16).astype("<u2").tobytes()),
        }
    # All non-NaN F16 patterns widened by numpy, hashed as little-endian float32 bits.
    halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    halves = halves[~np.isnan(halves)]
    table["f16_to_f32_nonnan_fnv1a64"] = fnv1a64_np(halves.astype(np.float32).view(np.uint32).astype("<u4").tobytes())
    with open(os.path.join(OUT, "dtype_table.json"), "w") as f:
        json.dump(table, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")


def write_vtp_tiny_summary():
    from safetensors.numpy import load_file
    path = os.path.join(OUT, "..", "..", "VTPModelsTests", "Fixtures", "vtp-tiny", "model", "model.safetensors")
    data = open(path, "rb").read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    tensors = load_file(path)
    summary = {"metadata": header.get("__metadata__", {}), "names": [k for k in header if k != "__metadata__"],
               "tensors": {}}
    for name, a in tensors.items():
        f = a.astype(np.float32).reshape(-1)
        summary["tensors"][name] = {"dtype": header[name]["dtype"], "shape": list(a.shape),
                                    "sum": float(f.astype(np.float64).sum()),
                                    "first_bits": f32_bits(f[:1])[0] if f.size else None}
    with open(os.path.join(OUT, "vtp_tiny_summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")


def write_index_example():
    weight_map = {"b.weight": "model-00002-of-00002.safetensors", "a.bias": "model-00001-of-00002.safetensors",
                  "\u00e9t\u00e9": "model-00001-of-00002.safetensors", "Z\U0001F600": "model-00002-of-00002.safetensors",
                  "q\"\\\n": "model-00001-of-00002.safetensors"}
    index = {"metadata": {"total_size": 123456, "format": "pt"}, "weight_map": weight_map}
    text = json.dumps(index, indent=2, sort_keys=True) + "\n"
    with open(os.path.join(OUT, "index_example.json"), "w") as f:
        json.dump({"weight_map": weight_map, "total_size": 123456, "extra_metadata": {"format": "pt"},
                   "text": text}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_reference()
    write_dtype_table()
    write_vtp_tiny_summary()
    write_index_example()
