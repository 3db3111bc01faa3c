#!/usr/bin/env python3
"""A float64 reference of NIR's equations in numpy, independent of Synfire's code: it
reads a graph with `nir.read` and simulates it with Euler steps of dt, the way spiking
frameworks do (docs/nir.md, Checked against nir):

  LIF      v += dt/tau (v_leak - v + r x)            spike if v > v_threshold, v = v_reset
  IF       v += dt r x                                 (same firing and reset)
  CubaLIF  I += dt/tau_syn (w_in x - I); v += dt/tau_mem (v_leak - v + r I)
  LI, I, CubaLI: as above without firing; Threshold: spike if x > threshold
  Linear/Affine/Scale/Conv/pooling/Flatten: applied within the step, in graph order
  Delay: the value of d/dt steps ago; an edge that closes a loop delivers one step later

A spike has amplitude 1 (or 1/dt). Usage as a module: simulate(graph, spikes, dt) ->
output spikes (T, outputs); or `python3 scripts/nir_reference.py FILE.nir SPIKES.npz DT`.
"""
import sys

import nir
import numpy as np


def flatten(graph, prefix=""):
    """Inline nested NIRGraphs: nodes 'a.b', a subgraph's Input/Output become identities."""
    nodes, edges = {}, []
    subgraphs = {k: v for k, v in graph.nodes.items() if isinstance(v, nir.NIRGraph)}
    for name, node in graph.nodes.items():
        if name in subgraphs:
            n, e = flatten(node, prefix + name + ".")
            for k, v in n.items():
                nodes[k] = ("identity", v) if isinstance(v, (nir.Input, nir.Output)) else v
            edges += e
        else:
            nodes[prefix + name] = node

    def ends(name, entering):
        if name in subgraphs:
            kind = nir.Input if entering else nir.Output
            return [prefix + name + "." + k for k, v in subgraphs[name].nodes.items() if isinstance(v, kind)]
        return [prefix + name]

    for s, t in graph.edges:
        for a in ends(s, False):
            for b in ends(t, True):
                edges.append((a, b))
    return nodes, edges


def conv2d(x, node, one_d=False):
    w = np.asarray(node.weight, dtype=np.float64)
    if one_d:
        x = x[:, None, :]
        w = w[:, :, None, :]
    c_out, c_in_g, kh, kw = w.shape
    groups = int(np.asarray(node.groups))
    stride = np.broadcast_to(np.asarray(node.stride), (2,)) if not one_d else (1, int(np.asarray(node.stride).ravel()[0]))
    dil = np.broadcast_to(np.asarray(node.dilation), (2,)) if not one_d else (1, int(np.asarray(node.dilation).ravel()[0]))
    pad = node.padding
    if isinstance(pad, str):
        pad = (0, 0) if pad == "valid" else (dil[0] * (kh - 1) // 2, dil[1] * (kw - 1) // 2)
    pad = np.broadcast_to(np.asarray(pad), (2,)) if not one_d else (0, int(np.asarray(pad).ravel()[0]))
    c, h, wd = x.shape
    xp = np.zeros((c, h + 2 * pad[0], wd + 2 * pad[1]))
    xp[:, pad[0]:pad[0] + h, pad[1]:pad[1] + wd] = x
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((c_out, oh, ow))
    per_out = c_out // groups
    for o in range(c_out):
        g = o // per_out
        for ci in range(c_in_g):
            for ky in range(kh):
                for kx in range(kw):
                    ys = ky * dil[0]
                    xs = kx * dil[1]
                    patch = xp[g * c_in_g + ci, ys:ys + stride[0] * (oh - 1) + 1:stride[0],
                               xs:xs + stride[1] * (ow - 1) + 1:stride[1]]
                    out[o] += w[o, ci, ky, kx] * patch
    out += np.asarray(node.bias, dtype=np.float64).reshape(-1, 1, 1) if np.size(node.bias) > 0 else 0
    return out[:, 0, :] if one_d else out


def pool2d(x, node, average):
    k = np.broadcast_to(np.asarray(node.kernel_size), (2,))
    s = np.broadcast_to(np.asarray(node.stride), (2,))
    p = np.broadcast_to(np.asarray(node.padding), (2,))
    c, h, w = x.shape
    xp = np.zeros((c, h + 2 * p[0], w + 2 * p[1]))
    xp[:, p[0]:p[0] + h, p[1]:p[1] + w] = x
    oh = (h + 2 * p[0] - k[0]) // s[0] + 1
    ow = (w + 2 * p[1] - k[1]) // s[1] + 1
    out = np.zeros((c, oh, ow))
    for ky in range(k[0]):
        for kx in range(k[1]):
            out += xp[:, ky:ky + s[0] * (oh - 1) + 1:s[0], kx:kx + s[1] * (ow - 1) + 1:s[1]]
    return out / (k[0] * k[1]) if average else out


class Reference:
    def __init__(self, graph, dt, amplitude=1.0, reset="zero"):
        self.nodes, self.edges = flatten(graph)
        self.dt, self.amplitude, self.reset = dt, amplitude, reset
        self.inputs = sorted(k for k, v in self.nodes.items() if isinstance(v, nir.Input))
        self.outputs = sorted(k for k, v in self.nodes.items() if isinstance(v, nir.Output))
        self.pred = {k: [s for s, t in self.edges if t == k] for k in self.nodes}
        self.order, self.back = self.topological()
        self.state, self.value, self.history = {}, {}, {}

    def topological(self):
        """Depth-first order from the inputs; an edge to a node still on the stack closes a
        loop and delivers the previous step's value."""
        order, back, state = [], set(), {}
        succ = {k: [t for s, t in self.edges if s == k] for k in self.nodes}

        def visit(k):
            state[k] = 1
            for t in succ[k]:
                if state.get(t) == 1:
                    back.add((k, t))
                elif t not in state:
                    visit(t)
            state[k] = 2
            order.append(k)

        for k in self.inputs:
            if k not in state:
                visit(k)
        return order[::-1], back

    def param(self, node, name, shape):
        v = np.asarray(getattr(node, name), dtype=np.float64)
        return v.reshape(shape) if v.size == int(np.prod(shape)) else np.broadcast_to(v.reshape(-1)[0], shape)

    def step(self, x_by_input):
        previous = dict(self.value)
        for k in self.order:
            node = self.nodes[k]
            if isinstance(node, nir.Input):
                self.value[k] = x_by_input[k].astype(np.float64).reshape(np.asarray(node.input_type["input"]))
                continue
            parts = [previous.get(s) if (s, k) in self.back else self.value.get(s) for s in self.pred[k]]
            parts = [p for p in parts if p is not None]
            x = sum(parts) if parts else None
            self.value[k] = self.apply(k, node, x)

    def apply(self, k, node, x):
        dt = self.dt
        if isinstance(node, tuple) or isinstance(node, (nir.Output, nir.Flatten)):
            if isinstance(node, nir.Flatten):
                return x.reshape(-1) if x is not None else None
            return x
        if x is None:
            x = np.zeros(self.state[k]["shape"]) if k in self.state else 0.0
        if isinstance(node, nir.Linear):
            return np.asarray(node.weight, np.float64) @ x.reshape(-1)
        if isinstance(node, nir.Affine):
            return np.asarray(node.weight, np.float64) @ x.reshape(-1) + np.asarray(node.bias, np.float64)
        if isinstance(node, nir.Scale):
            return np.asarray(node.scale, np.float64).reshape(x.shape) * x
        if isinstance(node, nir.Conv2d):
            if x.ndim != 3:
                x = x.reshape(node.weight.shape[1] * int(np.asarray(node.groups)), *np.asarray(node.input_shape))
            return conv2d(x, node)
        if isinstance(node, nir.Conv1d):
            return conv2d(x, node, one_d=True)
        if isinstance(node, (nir.SumPool2d, nir.AvgPool2d)):
            return pool2d(x, node, isinstance(node, nir.AvgPool2d))
        if isinstance(node, nir.Delay):
            steps = int(round(float(np.asarray(node.delay).reshape(-1)[0]) / dt))
            h = self.history.setdefault(k, [np.zeros_like(x)] * steps)
            h.append(x)
            return h.pop(0)
        return self.neuron(k, node, np.asarray(x, np.float64))

    def neuron(self, k, node, x):
        dt, a = self.dt, self.amplitude
        shape = x.shape
        s = self.state.setdefault(k, {"v": np.zeros(shape), "i": np.zeros(shape), "shape": shape})
        p = lambda name: self.param(node, name, shape)
        x = x * a
        spiking = isinstance(node, (nir.LIF, nir.IF, nir.CubaLIF, nir.Threshold))
        if isinstance(node, nir.Threshold):
            return (x > p("threshold")).astype(np.float64)
        if isinstance(node, (nir.LIF, nir.LI)):
            s["v"] = s["v"] + dt / p("tau") * (p("v_leak") - s["v"] + p("r") * x)
        elif isinstance(node, (nir.IF, nir.I)):
            s["v"] = s["v"] + dt * p("r") * x
        elif isinstance(node, (nir.CubaLIF, nir.CubaLI)):
            s["i"] = s["i"] + dt / p("tau_syn") * (p("w_in") * x - s["i"])
            s["v"] = s["v"] + dt / p("tau_mem") * (p("v_leak") - s["v"] + p("r") * s["i"])
        if not spiking:
            return s["v"].copy()
        z = s["v"] > p("v_threshold")
        if self.reset == "subtract":
            s["v"] = np.where(z, s["v"] - (p("v_threshold") - p("v_reset")), s["v"])
        else:
            s["v"] = np.where(z, p("v_reset"), s["v"])
        return z.astype(np.float64)

    def pred_neuron(self, output):
        k = output
        while not (isinstance(self.nodes[k], (nir.LIF, nir.IF, nir.CubaLIF, nir.Threshold, nir.LI, nir.I, nir.CubaLI))):
            k = self.pred[k][0]
        return k


def simulate(graph, spikes, dt, amplitude=1.0, reset="zero"):
    """Output spikes (T, outputs) of `graph` for input spikes (T, inputs)."""
    ref = Reference(graph, dt, amplitude, reset)
    sizes = [int(np.prod(np.asarray(ref.nodes[k].input_type["input"]))) for k in ref.inputs]
    offsets = np.cumsum([0] + sizes)
    rows = []
    for t in range(spikes.shape[0]):
        ref.step({k: spikes[t, offsets[i]:offsets[i + 1]] for i, k in enumerate(ref.inputs)})
        rows.append(np.concatenate([np.asarray(ref.value[o]).reshape(-1) for o in ref.outputs]))
    return np.array(rows)


if __name__ == "__main__":
    g = nir.read(sys.argv[1], type_check=False)
    out = simulate(g, np.load(sys.argv[2])["spikes"], float(sys.argv[3]))
    print(out.sum(axis=0).astype(int).tolist())
