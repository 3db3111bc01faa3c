#!/usr/bin/env python3
"""Writes the NIR test fixtures (Tests/SynfireNIRTests/Fixtures/*.nir) with the `nir`
package, shaped like real framework exports (docs/nir.md, Files from other tools):
parameters as (N,), (1,) or scalars in float32/float64, extra metadata, an older version
string with input_type/output_type groups, a Sinabs-style IF + Conv2d + SumPool2d +
Flatten + Affine stack (with a non-square kernel), and an snnTorch RLeaky-style
recurrent subgraph. Deterministic (fixed seeds): rerunning rewrites identical graphs.

Usage: python3 scripts/nir_fixtures.py [OUT_DIR]
"""
import os
import sys

import h5py
import nir
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "Tests", "SynfireNIRTests", "Fixtures")


def lif_linear():
    """Input(3) -> Linear -> LIF ((N,) float64) -> Output; small hand-checkable weights."""
    w = np.array([[1.0, 0.5, 0.0], [0.0, -0.5, 2.0]], dtype=np.float64)
    lif = nir.LIF(tau=np.full(2, 0.01), r=np.full(2, 10.0), v_leak=np.zeros(2),
                  v_threshold=np.full(2, 1.0), v_reset=np.zeros(2))
    return nir.NIRGraph.from_list(nir.Input(np.array([3])), nir.Linear(weight=w), lif,
                                  nir.Output(np.array([2])))


def cubalif_affine():
    """Affine in float32, CubaLIF with (1,)-shaped parameters, extra metadata."""
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.4, (4, 6)).astype(np.float32)
    b = np.full(4, 0.05, dtype=np.float32)
    one = lambda x: np.array([x], dtype=np.float32)
    cuba = nir.CubaLIF(tau_syn=one(2e-3), tau_mem=one(1e-2), r=one(1.0), v_leak=one(0.0),
                       v_threshold=one(0.5), v_reset=one(0.0), w_in=one(1.0),
                       metadata={"framework": "handmade", "layer": 1})
    g = nir.NIRGraph(nodes={"in": nir.Input(np.array([6])), "fc": nir.Affine(weight=w, bias=b),
                            "cuba": cuba, "out": nir.Output(np.array([4]))},
                     edges=[("in", "fc"), ("fc", "cuba"), ("cuba", "out")], type_check=False,
                     metadata={"source": "scripts/nir_fixtures.py"})
    return g


def scalar_params():
    """IF and Threshold with scalar parameters (plain floats become 0-d datasets, as
    exporters that pass Python numbers write them); a Scale node; a Delay."""
    neuron = nir.IF(r=np.array([1.0]), v_threshold=np.array([1.5]))
    neuron.r, neuron.v_threshold, neuron.v_reset = 1.0, 1.5, 0.0
    threshold = nir.Threshold(threshold=np.array([0.5]))
    threshold.threshold = 0.5
    g = nir.NIRGraph(nodes={
        "input": nir.Input(np.array([3])),
        "w": nir.Linear(weight=np.eye(3) * 2.0),
        "if": neuron,
        "scale": nir.Scale(scale=np.array([1.0, 2.0, 3.0])),
        "delay": nir.Delay(delay=np.array([2e-3, 2e-3, 2e-3])),
        "thr": threshold,
        "output": nir.Output(np.array([3]))},
        edges=[("input", "w"), ("w", "if"), ("if", "scale"), ("scale", "delay"), ("delay", "thr"),
               ("thr", "output")], type_check=False)
    return g


def sinabs_cnn():
    """Sinabs-style stack: IF (r = 1) + Conv2d + SumPool2d + Flatten + Affine."""
    rng = np.random.default_rng(7)
    c1 = rng.normal(0, 0.5, (4, 2, 3, 2)).astype(np.float32)  # non-square 3 x 2 kernel
    c2 = rng.normal(0, 0.5, (4, 4, 3, 3)).astype(np.float32)
    fc = rng.normal(0, 0.3, (5, 4 * 2 * 2)).astype(np.float32)
    def iaf(shape):
        return nir.IF(r=np.ones(shape, dtype=np.float32), v_threshold=np.ones(shape, dtype=np.float32),
                      v_reset=np.zeros(shape, dtype=np.float32))
    nodes = {
        "input": nir.Input(np.array([2, 10, 10])),
        "conv1": nir.Conv2d(input_shape=(10, 10), weight=c1, stride=1, padding=(1, 0), dilation=1,
                            groups=1, bias=np.zeros(4, dtype=np.float32)),
        "iaf1": iaf((4, 10, 9)),
        "pool1": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                               padding=np.array([0, 0])),
        "conv2": nir.Conv2d(input_shape=(5, 4), weight=c2, stride=1, padding=1, dilation=1, groups=1,
                            bias=np.zeros(4, dtype=np.float32)),
        "iaf2": iaf((4, 5, 4)),
        "pool2": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                               padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([4, 2, 2])}, start_dim=0, end_dim=-1),
        "fc": nir.Affine(weight=fc, bias=np.zeros(5, dtype=np.float32)),
        "iaf3": iaf((5,)),
        "output": nir.Output(np.array([5])),
    }
    order = list(nodes)
    return nir.NIRGraph(nodes=nodes, edges=list(zip(order, order[1:])), type_check=False,
                        metadata={"framework": "sinabs-style"})


def rleaky():
    """snnTorch RLeaky-style: the recurrent LIF is a nested NIRGraph with its own Input,
    Output and a Linear from the LIF back to itself."""
    rng = np.random.default_rng(11)
    n = 5
    beta = 0.9
    dt = 1e-4
    tau = dt / (1 - beta)
    lif = nir.LIF(tau=np.full(n, tau, dtype=np.float32), r=np.full(n, tau / dt, dtype=np.float32),
                  v_leak=np.zeros(n, dtype=np.float32), v_threshold=np.ones(n, dtype=np.float32))
    rec = nir.NIRGraph(nodes={
        "input": nir.Input(np.array([n])), "lif": lif,
        "w_rec": nir.Linear(weight=rng.normal(0, 0.3, (n, n)).astype(np.float32)),
        "output": nir.Output(np.array([n]))},
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
        type_check=False)
    return nir.NIRGraph(nodes={
        "input": nir.Input(np.array([3])),
        "fc": nir.Linear(weight=rng.normal(0, 0.8, (n, 3)).astype(np.float32)),
        "rleaky": rec, "output": nir.Output(np.array([n]))},
        edges=[("input", "fc"), ("fc", "rleaky"), ("rleaky", "output")], type_check=False)


def old_version(path):
    """Written with h5py as older exporters did: version 0.2.0, input_type/output_type
    groups on every node, an Output whose shape [1, 1, 1] differs from the edge's [1]
    (nir.read's type check refuses this file; type_check=False reads it)."""
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="0.2.0", dtype=h5py.string_dtype())
        g = f.create_group("node")
        g.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
        nodes = g.create_group("nodes")
        def node(name, kind, **fields):
            n = nodes.create_group(name)
            n.create_dataset("type", data=kind, dtype=h5py.string_dtype())
            for k, v in fields.items():
                if isinstance(v, dict):
                    sub = n.create_group(k)
                    for kk, vv in v.items():
                        sub.create_dataset(kk, data=vv)
                else:
                    n.create_dataset(k, data=v)
        node("in", "Input", shape=np.array([2]), input_type={"input": np.array([2])},
             output_type={"output": np.array([2])})
        node("lin", "Linear", weight=np.array([[0.8, 0.7]]), input_type={"input": np.array([2])},
             output_type={"output": np.array([1])})
        node("lif", "LIF", tau=np.array([0.02]), r=np.array([1.0]), v_leak=np.array([0.0]),
             v_threshold=np.array([0.1]), input_type={"input": np.array([1])},
             output_type={"output": np.array([1])})
        node("out", "Output", shape=np.array([1, 1, 1]), input_type={"input": np.array([1, 1, 1])},
             output_type={"output": np.array([1, 1, 1])})
        meta = g.create_group("metadata")
        meta.create_dataset("exporter", data="older-tool 0.1", dtype=h5py.string_dtype())
        edges = np.array([["in", "lin"], ["lin", "lif"], ["lif", "out"]], dtype=object)
        g.create_dataset("edges", data=edges, dtype=h5py.string_dtype())


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, graph in [("lif_linear", lif_linear()), ("cubalif_affine", cubalif_affine()),
                        ("scalar_params", scalar_params()), ("sinabs_cnn", sinabs_cnn()),
                        ("rleaky", rleaky())]:
        nir.write(os.path.join(OUT, name + ".nir"), graph)
    old_version(os.path.join(OUT, "old_version.nir"))
    print("wrote fixtures to", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
