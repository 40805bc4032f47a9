#!/usr/bin/env python3
"""A safetensors reader and writer using nothing but json and numpy (no safetensors, no torch).

Used by test/safetensors.test.ts to prove that torchnode's files are plain safetensors:

  read_safetensors.py FILE          read FILE, print a JSON description of it
  read_safetensors.py write FILE    write a fixture FILE with numpy, print the same description of it

The fixture is written the way a minimal third-party writer would, not like the reference: tensors in
name order (so a 3-byte U8 tensor leaves the F32 after it unaligned), an unpadded header, non-ASCII
metadata.

Description: {"metadata": {...}, "tensors": {name: {"dtype", "shape", "hex", "sum", "values"}}}
  hex    the tensor's little-endian bytes, as stored
  sum    float64 sum (int64: exact, as a string); "NaN"/"Infinity"/"-Infinity" when not finite
  values flat list; floats as JSON numbers except non-finite ones ("NaN", "Infinity", "-Infinity"),
         int64 as strings (exact), bool as true/false
"""
import json
import math
import sys

import numpy as np

DTYPES = {
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}


def number(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def describe_array(code, arr):
    flat = arr.reshape(-1)
    if code == "I64":
        values = [str(int(v)) for v in flat]
        total = str(sum(int(v) for v in flat))
    elif code == "BOOL":
        values = [bool(v) for v in flat]
        total = number(float(flat.astype(np.float64).sum()))
    elif code in ("F32", "F64"):
        values = [number(float(v)) for v in flat]
        total = number(float(flat.astype(np.float64).sum()))
    else:
        values = [int(v) for v in flat]
        total = number(float(flat.astype(np.float64).sum()))
    return {
        "dtype": code,
        "shape": list(arr.shape),
        "hex": arr.tobytes().hex(),
        "sum": total,
        "values": values,
    }


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("file too short")
    n = int.from_bytes(blob[:8], "little")
    if n > 100_000_000 or 8 + n > len(blob):
        raise ValueError("bad header length %d" % n)
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    data = blob[8 + n :]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    covered = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        if begin != covered:
            raise ValueError("tensor %r does not start where the previous one ended" % name)
        dtype = DTYPES[info["dtype"]]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * dtype.itemsize:
            raise ValueError("tensor %r: offsets do not match shape and dtype" % name)
        arr = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = describe_array(info["dtype"], arr)
        covered = end
    if covered != len(data):
        raise ValueError("data section has %d bytes, tensors cover %d" % (len(data), covered))
    return {"metadata": metadata, "tensors": tensors}


def fixture():
    rng = np.random.default_rng(1234)
    f32 = rng.standard_normal(6).astype("<f4")
    f32[1] = -0.0
    f32[2] = np.array([0x7FC00123], dtype="<u4").view("<f4")[0]  # NaN with a payload
    f32[3] = np.inf
    f64 = np.array([1.0 / 3.0, -0.0, -np.inf, 5e-324], dtype="<f8")
    f64[0:1] = np.array([0x7FF8000000ABCDEF], dtype="<u8").view("<f8")
    return {
        "a_u8": ("U8", np.array([0, 7, 255], dtype="u1")),
        "b_f32": ("F32", f32.reshape(2, 3)),
        "c_f64": ("F64", f64),
        "d_i64": ("I64", np.array([-(2**63), 2**63 - 1, 0, -1], dtype="<i8").reshape(2, 2)),
        "e_i32": ("I32", np.array([-(2**31), 2**31 - 1, 42], dtype="<i4")),
        "f_bool": ("BOOL", np.array([True, False, True, True, False], dtype="?")),
        "g_scalar": ("F32", np.array(2.5, dtype="<f4")),
        "h_empty": ("F64", np.zeros((0, 4), dtype="<f8")),
    }


def write(path):
    tensors = fixture()
    header = {"__metadata__": {"source": "numpy", "note": "h\u00e9llo \u2713"}}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        code, arr = tensors[name]
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    with open(path, "wb") as f:
        f.write(len(head).to_bytes(8, "little"))
        f.write(head)
        for raw in chunks:
            f.write(raw)
    described = {name: describe_array(code, arr) for name, (code, arr) in tensors.items()}
    return {"metadata": header["__metadata__"], "tensors": described}


def main(argv):
    if len(argv) == 2:
        out = read(argv[1])
    elif len(argv) == 3 and argv[1] == "write":
        out = write(argv[2])
    else:
        sys.stderr.write("usage: read_safetensors.py FILE | read_safetensors.py write FILE\n")
        return 2
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
