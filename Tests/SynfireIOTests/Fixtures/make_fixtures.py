#!/usr/bin/env python3
"""Writes the small .npz fixtures for SynfireIOTests with numpy (run from this folder).

Every array's values follow a formula that NPZArchiveTests recomputes in Swift:
element i (in C order) of
  int8    -> (i * 37) % 256 - 128
  uint8   -> (i * 53) % 256
  int16   -> i * 1000 - 30000
  int32   -> i * 100003 - 2000000000
  float32 -> float32(i) / float32(7)
  float64 -> float64(i) / 3.0 - 1.5
Arrays are named <dtype>_r<rank>; the shapes are in SHAPES below.
"""
import numpy as np

SHAPES = {0: (), 1: (5,), 2: (3, 4), 3: (2, 3, 4), 4: (2, 1, 3, 2)}


def values(dtype, n):
    i = np.arange(n, dtype=np.int64)
    if dtype == "int8":
        return ((i * 37) % 256 - 128).astype(np.int8)
    if dtype == "uint8":
        return ((i * 53) % 256).astype(np.uint8)
    if dtype == "int16":
        return (i * 1000 - 30000).astype(np.int16)
    if dtype == "int32":
        return (i * 100003 - 2000000000).astype(np.int32)
    if dtype == "float32":
        return i.astype(np.float32) / np.float32(7)
    if dtype == "float64":
        return i.astype(np.float64) / 3.0 - 1.5
    raise ValueError(dtype)


def arrays():
    out = {}
    for dtype in ["int8", "uint8", "int16", "int32", "float32", "float64"]:
        for rank, shape in SHAPES.items():
            n = int(np.prod(shape)) if shape else 1
            out[f"{dtype}_r{rank}"] = values(dtype, n).reshape(shape)
    out["empty_f32"] = np.zeros((0, 3), dtype=np.float32)
    out["specials_f64"] = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324])
    return out


def main():
    a = arrays()
    np.savez("numpy_savez.npz", **a)
    np.savez_compressed("numpy_savez_compressed.npz", **a)
    # Byte order and memory layout variants numpy can produce.
    big = values("int32", 12).reshape(3, 4).astype(">i4")
    fortran = np.asfortranarray(values("float64", 24).reshape(2, 3, 4))
    np.savez("numpy_layouts.npz", big_endian_i4=big, fortran_f8=fortran)
    # A dtype Synfire does not read, to test the error message.
    np.savez("numpy_int64.npz", counts=np.arange(4, dtype=np.int64))


if __name__ == "__main__":
    main()
