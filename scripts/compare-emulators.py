#!/usr/bin/env python3
"""Run NeuroChip and public Loihi emulators side by side and compare spikes, u and v.

Optional tooling, not part of CI. It installs nothing; it needs, in the Python that runs it:

    nengo-loihi 1.1.0 (its emulator):  pip install nengo-loihi==1.1.0 nengo==3.2.0 'numpy<2'
    brian2-loihi 0.5.2:                 pip install brian2-loihi==0.5.2 brian2 'numpy<2'

(nengo 3.2 imports names that numpy 2 removed; brian2 2.9 runs with numpy 1.26.) Either
emulator alone is enough; a missing one is reported and skipped.

    python3 scripts/compare-emulators.py .build/release/synfire [--emulators nengo,brian2]
        [--cases SUBSTRING] [--keep DIR] [--list] [--json]

Each case is a NeuroChip network description (JSON). The script runs it with `synfire chip
run NET --steps S --out DIR` (adding `--probe-format json` when the binary has it), builds
the same network in each emulator that can express it, runs it for the same steps and
compares every population's spikes, u and v at every step (and the weights of plastic
connections). It prints one row per (case, emulator) and exits 1 on any difference.
The parameter mapping is described in docs/neurochip.md, section "Checked against public
emulators".
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np

VOLTAGE_LIMIT = (1 << 23) - 1


# ---------------------------------------------------------------------------------------
# Cases: NeuroChip descriptions plus the features an emulator must support to run them.


def population(name, size, vth, du=4096, dv=4096, refractory=1, bias=(0, 0), vmin=None, vmax=None):
    p = {"name": name, "size": size, "du": du, "dv": dv, "vthMantissa": vth, "refractory": refractory,
         "biasMantissa": bias[0], "biasExponent": bias[1]}
    if vmin is not None:
        p["vmin"] = vmin
    if vmax is not None:
        p["vmax"] = vmax
    return p


def connection(name, source, target, weights, exponent=0, sign="mixed", delay=0, pattern="all-to-all", **extra):
    c = {"name": name, "source": source, "target": target, "pattern": pattern, "weights": [int(w) for w in weights],
         "exponent": exponent, "signMode": sign, "delay": delay}
    c.update(extra)
    return c


def random_times(rng, size, steps, rate):
    """Spike times per channel: each step fires with probability `rate`."""
    fired = rng.random((size, steps)) < rate
    return [np.flatnonzero(row).tolist() for row in fired]


def network(populations, connections, generators, seed=1, tags=()):
    probes = [{"kind": k, "target": p["name"]} for p in populations for k in ("spikes", "u", "v")]
    probes += [{"kind": "weights", "target": c["name"]} for c in connections if "learning" in c]
    net = {"populations": populations, "connections": connections, "generators": generators,
           "probes": probes, "seed": seed}
    return net, set(tags)


def decay_case(du, dv, steps=200):
    """One compartment driven by a random excitatory and an inhibitory channel."""
    rng = np.random.default_rng(1000 + du * 7 + dv)
    gen = {"name": "in", "size": 2, "spikeTimes": random_times(rng, 2, steps, 0.35)}
    fast = du >= 2048 or dv >= 4095  # little accumulation: a lower threshold keeps it spiking
    pop = population("c", 1, vth=150 if fast else 700, du=du, dv=dv, refractory=2)
    conn = connection("in->c", "in", "c", [120, -90], exponent=1)
    return network([pop], [conn], [gen])


def weight_sweep_case(sign, mantissas):
    """Every exponent -8...7: connection e fires once at step 2*(e+8); u shows the current."""
    pops = [population("w", len(mantissas), vth=131071, du=4096, dv=4096)]
    times = [[2 * k] for k in range(16)]
    conns = []
    for k, e in enumerate(range(-8, 8)):
        # brian2-loihi clips each synaptic current to ±(2^21 - 64); only -256 at e = 7 reaches it.
        ms = [m if not (e == 7 and m == -256) else -254 for m in mantissas]
        conns.append(connection(f"e{e}", "g", "w", ms, exponent=e, sign=sign, pattern="sparse",
                                pre=[k] * len(ms), post=list(range(len(ms)))))
    return network(pops, conns, [{"name": "g", "size": 16, "spikeTimes": times}])


def single_weight_case(mantissa, exponent, sign, steps=40):
    """One synapse fired every third step into a compartment with partial current decay."""
    gen = {"name": "g", "size": 1, "spikeTimes": [list(range(0, steps, 3))]}
    pop = population("c", 1, vth=50, du=1024, dv=0)
    return network([pop], [connection("g->c", "g", "c", [mantissa], exponent, sign)], [gen])


def v_saturation_case(side):
    """v driven into vmin or vmax (default and custom limits) and back out."""
    big = 254 if side == "max" else -254
    times = [[0, 1, 2, 3, 4, 5, 6, 7], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]]
    gen = {"name": "g", "size": 2, "spikeTimes": times}
    if side == "min":
        pops = [population("default", 2, vth=1000, du=4096, dv=0),
                population("custom", 2, vth=1000, du=4096, dv=0, vmin=-((1 << 12) - 1)),
                population("leaky", 2, vth=1000, du=4096, dv=64, vmin=-((1 << 20) - 1))]
    else:
        pops = [population("default", 2, vth=131071, du=4096, dv=0),
                population("custom", 2, vth=40000, du=4096, dv=0, vmax=(1 << 21) - 1),
                population("spiking", 2, vth=100000, du=4096, dv=0, vmax=(1 << 23) - 1)]
    back = -126 if big > 0 else 126
    # Compartment 0 is driven into the limit by channel 0 and back by channel 1; 1 the reverse.
    conns = [connection(f"g->{p['name']}", "g", p["name"], [big, back, back, big], exponent=7) for p in pops]
    return network(pops, conns, [gen], tags={"v_saturation"})


def u_wrap_case():
    """u accumulates past ±2^23 (du = 0 or 1) and wraps; thresholds are multiples of 64."""
    up = [list(range(0, 6)), list(range(20, 26))]
    gen = {"name": "g", "size": 2, "spikeTimes": up}
    pops = [population("nodecay", 2, vth=131071, du=0, dv=4096),
            population("slow", 2, vth=2000, du=1, dv=2048, refractory=3)]
    conns = [connection(f"g->{p['name']}", "g", p["name"], [254, 0, 0, -254], exponent=7) for p in pops]
    return network(pops, conns, [gen], tags={"u_wrap"})


def threshold_case(steps=200):
    """Thresholds at the ends of their range: v > 0 fires on any positive v (strict)."""
    rng = np.random.default_rng(31)
    gen = {"name": "g", "size": 2, "spikeTimes": random_times(rng, 2, steps, 0.3)}
    pops = [population("vth0", 2, vth=0, du=2048, dv=2048, refractory=2),
            population("vth1", 2, vth=1, du=2048, dv=2048),
            population("vthmax", 2, vth=131071, du=2048, dv=0)]
    conns = [connection(f"g->{p['name']}", "g", p["name"], [2, -2, 254, -126], exponent=-6 + 6 * k)
             for k, p in enumerate(pops)]
    return network(pops, conns, [gen])


REFRACTORY = [1, 2, 3, 4, 5, 8, 16, 32, 63]


def refractory_case(strong, steps=300):
    rng = np.random.default_rng(7 if strong else 8)
    rate = 1.0 if strong else 0.3
    gen = {"name": "g", "size": 3, "spikeTimes": random_times(rng, 3, steps, rate)}
    pops = [population(f"r{r}", 3, vth=200, du=2048, dv=1024, refractory=r) for r in REFRACTORY]
    w = rng.integers(40, 120, size=(3, 3)) * 2
    conns = [connection(f"g->{p['name']}", "g", p["name"], w.flatten(), exponent=1) for p in pops]
    return network(pops, conns, [gen])


def delay_case(recurrent, steps=300):
    """Delays 0...6, each on its own connection (and per synapse on a sparse one)."""
    rng = np.random.default_rng(11 if recurrent else 12)
    gen = {"name": "g", "size": 4, "spikeTimes": random_times(rng, 4, steps, 0.2)}
    pops = [population("src", 4, vth=500, du=2048, dv=1024, refractory=2)]
    conns = [connection("g->src", "g", "src", rng.integers(30, 100, size=16) * 2, exponent=1)]
    source = "src" if recurrent else "g"
    for d in range(7):
        pops.append(population(f"d{d}", 3, vth=2500, du=1024, dv=512, refractory=2))
        conns.append(connection(f"{source}->d{d}", source, f"d{d}", rng.integers(20, 120, size=12) * 2,
                                exponent=1, delay=d))
    pre = np.repeat(np.arange(4), 3)
    post = np.tile(np.arange(3), 4)
    conns.append(connection("src->d6 sparse", source, "d6", rng.integers(10, 60, size=12) * 2, exponent=1,
                            pattern="sparse", pre=pre.tolist(), post=post.tolist(),
                            delays=rng.integers(0, 7, size=12).tolist()))
    if recurrent:  # feedback with delays closes the loop
        conns.append(connection("d3->src", "d3", "src", rng.integers(-60, 0, size=12) * 2, exponent=0, delay=5))
    return network(pops, conns, [gen])


def random_net_case(seed, size, steps, delays=False, bias=False):
    """A recurrent excitatory/inhibitory network driven by random generator spikes.

    Weights are sparse random mantissas over several exponents (negative ones too), all
    three sign modes; parameters chosen so that about a quarter of the compartments fire
    per step.
    """
    rng = np.random.default_rng(seed)
    n_exc = size * 4 // 5
    n_inh = size - n_exc
    gen = {"name": "in", "size": 50, "spikeTimes": random_times(rng, 50, steps, 0.2)}
    bias_e = (rng.integers(1, 30), 6) if bias else (0, 0)
    bias_i = (-rng.integers(1, 30), 5) if bias else (0, 0)
    pops = [population("exc", n_exc, vth=120, du=1200, dv=600, refractory=2, bias=bias_e),
            population("inh", n_inh, vth=100, du=2048, dv=1024, refractory=1, bias=bias_i)]

    def sparse_dense(n_post, n_pre, fan_in, low, high, even=True):
        """Random mantissas in [low, high], about `fan_in` non-zero per post (any size)."""
        w = rng.integers(low, high + 1, size=(n_post, n_pre))
        if even:
            w -= w % 2
        return np.where(rng.random((n_post, n_pre)) < fan_in / n_pre, w, 0).flatten()

    def delay():
        return int(rng.integers(0, 7)) if delays else 0

    conns = [connection("in->exc", "in", "exc", sparse_dense(n_exc, 50, 15, 0, 255, False), 1, "excitatory"),
             connection("in->inh", "in", "inh", sparse_dense(n_inh, 50, 10, 60, 254), 0, "mixed"),
             connection("exc->exc", "exc", "exc", sparse_dense(n_exc, n_exc, 16, -120, 254), -1, "mixed",
                        delay()),
             connection("exc->inh", "exc", "inh", sparse_dense(n_inh, n_exc, 24, 0, 255, False), -2,
                        "excitatory", delay()),
             connection("inh->exc", "inh", "exc", sparse_dense(n_exc, n_inh, 12, -255, 0, False), 0,
                        "inhibitory", delay()),
             connection("inh->inh", "inh", "inh", sparse_dense(n_inh, n_inh, 8, -255, 0, False), -3,
                        "inhibitory", delay())]
    return network(pops, conns, [gen], seed=seed)


def learning_case(rule, sign, weights_range, steps=300):
    """A plastic all-to-all connection with an on-grid rule (no stochastic rounding)."""
    rng = np.random.default_rng(21)
    n_pre, n_post = 12, 8
    gen = {"name": "in", "size": n_pre, "spikeTimes": random_times(rng, n_pre, steps, 0.25)}
    pops = [population("post", n_post, vth=1000, du=2048, dv=1024, refractory=2)]
    low, high = weights_range
    w = rng.integers(low, high + 1, size=n_post * n_pre)
    if sign == "mixed":
        w -= w % 2
    trace = {"impulse": 3, "tau": 1}
    learning = {"rule": rule, "epoch": 1, "x1": trace, "y1": {"impulse": 2, "tau": 1}}
    conn = connection("in->post", "in", "post", w, exponent=1, sign=sign, learning=learning)
    return network(pops, [conn], [gen], seed=5)


def all_cases():
    """(name, steps, description, tags)."""
    cases = []
    for du in (0, 1, 410, 2048, 4095, 4096):
        for dv in (0, 1, 205, 4095, 4096):
            cases.append((f"decay du={du} dv={dv}", 200, *decay_case(du, dv)))
    cases.append(("weight 102@-2 mixed", 40, *single_weight_case(102, -2, "mixed")))
    cases.append(("weight -3@-7 inhibitory", 40, *single_weight_case(-3, -7, "inhibitory")))
    cases.append(("weights e=-8..7 mixed", 34,
                  *weight_sweep_case("mixed", [-256, -254, -102, -6, -4, -2, 2, 4, 6, 102, 126, 254])))
    cases.append(("weights e=-8..7 excitatory", 34,
                  *weight_sweep_case("excitatory", [1, 2, 3, 5, 7, 63, 102, 127, 128, 255])))
    cases.append(("weights e=-8..7 inhibitory", 34,
                  *weight_sweep_case("inhibitory", [-255, -128, -102, -7, -5, -3, -2, -1])))
    cases.append(("thresholds 0, 1 and 131071", 200, *threshold_case()))
    cases.append(("v saturates at vmin", 40, *v_saturation_case("min")))
    cases.append(("v saturates at vmax", 40, *v_saturation_case("max")))
    cases.append(("u wraps at 24 bits", 40, *u_wrap_case()))
    cases.append(("refractory 1..63 strong drive", 300, *refractory_case(True)))
    cases.append(("refractory 1..63 random drive", 300, *refractory_case(False)))
    cases.append(("delays 0..6 from generator", 300, *delay_case(False)))
    cases.append(("delays 0..6 recurrent", 300, *delay_case(True)))
    for seed, size in ((1, 100), (2, 200), (3, 300)):
        cases.append((f"random net {size} seed {seed}", 400, *random_net_case(seed, size, 400)))
    cases.append(("random net 200 delays 0..6", 400, *random_net_case(4, 200, 400, delays=True)))
    cases.append(("random net 200 bias", 400, *random_net_case(5, 200, 400, bias=True)))
    cases.append(("learning dw=4*x1*y0-2*y1*x0-2*x0 mixed", 300,
                  *learning_case("dw = 4*x1*y0 - 2*y1*x0 - 2*x0", "mixed", (-100, 200))))
    cases.append(("learning dw=2^1*y0*x1-x0*y1-x0 excitatory", 300,
                  *learning_case("dw = 2^1*y0*x1 - x0*y1 - x0", "excitatory", (0, 120))))
    return cases


# ---------------------------------------------------------------------------------------
# A run's result: per population (steps x size) arrays, per plastic connection weights.


class Trace:
    def __init__(self):
        self.pops = {}      # name -> {"spikes": bool, "u": int64, "v": int64} arrays (steps, size)
        self.weights = {}   # connection name -> int64 (steps, synapses), description layout


def synapses(conn, sizes):
    """(pre, post, mantissa, delay) arrays of a connection, whatever its pattern."""
    n_pre, n_post = sizes[conn["source"]], sizes[conn["target"]]
    pattern = conn["pattern"]
    if pattern == "all-to-all":
        post, pre = np.divmod(np.arange(n_pre * n_post), n_pre)
    elif pattern == "one-to-one":
        pre = post = np.arange(n_pre)
    elif pattern == "one-to-all":
        pre, post = np.divmod(np.arange(n_pre * n_post), n_post)
    else:
        pre, post = np.array(conn["pre"]), np.array(conn["post"])
    if "weights" in conn:
        w = np.array(conn["weights"])
        if pattern == "one-to-all":
            w = np.tile(w, n_pre)
    else:
        w = np.full(len(pre), conn["weight"])
    delays = np.array(conn["delays"]) if "delays" in conn else np.full(len(pre), conn.get("delay", 0))
    return pre, post, w, delays


def sizes_of(net):
    return {g["name"]: g["size"] for g in net["populations"] + net["generators"]}


# ---------------------------------------------------------------------------------------
# NeuroChip through the CLI.


def run_neurochip(synfire, net, steps, workdir):
    path = os.path.join(workdir, "network.json")
    with open(path, "w") as f:
        json.dump(net, f, default=int)  # numpy integers from the case generators
    out = os.path.join(workdir, "neurochip")
    command = [synfire, "chip", "run", path, "--steps", str(steps), "--out", out]
    if probe_format_supported(synfire):
        command += ["--probe-format", "json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"synfire chip run exited {done.returncode}: {done.stderr.strip()[-500:]}")
    with open(os.path.join(out, "probes.json")) as f:
        records = json.load(f)
    sizes = sizes_of(net)
    trace = Trace()
    for r in records:
        if r["steps"] != list(range(steps)):
            raise RuntimeError(f"probe {r['name']} has samples at other steps than 0..{steps - 1}")
        if r["kind"] == "weights":
            trace.weights[r["target"]] = np.array(r["data"], dtype=np.int64)
            continue
        pop = trace.pops.setdefault(r["target"], {})
        if r["kind"] == "spikes":
            fired = np.zeros((steps, sizes[r["target"]]), dtype=bool)
            for s, idx in enumerate(r["data"]):
                fired[s, idx] = True
            pop["spikes"] = fired
        else:
            pop[r["kind"]] = np.array(r["data"], dtype=np.int64)
    return trace


_probe_format = {}


def probe_format_supported(synfire):
    if synfire not in _probe_format:
        help_text = subprocess.run([synfire, "chip", "run", "--help"], capture_output=True, text=True).stdout
        _probe_format[synfire] = "--probe-format" in help_text
    return _probe_format[synfire]


# ---------------------------------------------------------------------------------------
# nengo-loihi 1.1.0's emulator: LoihiBlocks with integer parameters, stepped directly.


def nengo_unsupported(net, tags):
    if any(d != 0 for c in net["connections"] for d in synapses(c, sizes_of(net))[3]):
        return "no axon delays (its emulator delivers every spike in the next step)"
    if any("learning" in c for c in net["connections"]):
        return "only PES learning, no learning rules"
    return None


def run_nengo(net, steps):
    from types import SimpleNamespace

    from nengo_loihi.block import Axon, LoihiBlock, Synapse, SynapseConfig
    from nengo_loihi.builder.discretize import shift
    from nengo_loihi.emulator import EmulatorInterface
    from nengo_loihi.inputs import SpikeInput

    sizes = sizes_of(net)
    blocks, inputs = {}, {}
    for p in net["populations"]:
        block = LoihiBlock(p["size"], label=p["name"])
        c = block.compartment
        n = p["size"]
        c.decay_u = np.full(n, p["du"] - 1, dtype=np.int32)  # the chip adds 1 to decay_u
        c.decay_v = np.full(n, p["dv"], dtype=np.int32)
        c.scale_u = c.scale_v = False
        c.vth = np.full(n, p["vthMantissa"] << 6, dtype=np.int32)
        c.bias = np.full(n, p["biasMantissa"] << p["biasExponent"], dtype=np.int32)
        c.refract_delay = np.full(n, p["refractory"], dtype=np.int32)
        c.vmin = p.get("vmin", -VOLTAGE_LIMIT)
        c.vmax = p.get("vmax", VOLTAGE_LIMIT)
        blocks[p["name"]] = block
    for g in net["generators"]:
        spike_input = SpikeInput(g["size"], label=g["name"])
        for channel, times in enumerate(g.get("spikeTimes") or []):
            for s in times:
                # SpikeInput spikes at emulator step ti arrive in step ti + 1; emulator step
                # t (from 1) is NeuroChip step t - 1, so NeuroChip step s is ti = s + 1.
                spike_input.spikes.setdefault(s + 1, []).append(channel)
        inputs[g["name"]] = spike_input
    for conn in net["connections"]:
        pre, post, mantissa, _ = synapses(conn, sizes)
        cfg = SynapseConfig(weight_exp=conn["exponent"], weight_bits=7,
                            fanout_type=1 if conn["signMode"] == "mixed" else 0)
        # The chip's two-part shift as nengo-loihi applies it to a stored mantissa: the
        # mantissa without its dropped low bits, shifted by shift_bits + weight_exp, then by 6.
        stored = mantissa >> cfg.shift_bits
        current = np.left_shift(shift(stored.astype(np.int64), cfg.shift_bits + cfg.weight_exp), 6)
        dense = np.zeros((sizes[conn["source"]], sizes[conn["target"]]), dtype=np.int64)
        np.add.at(dense, (pre, post), current)
        synapse = Synapse(sizes[conn["source"]], label=conn["name"])
        synapse.set_weights(dense.astype(np.float32))
        synapse.weights = [w.astype(np.int32) for w in synapse.weights]
        assert all((w == d).all() for w, d in zip(synapse.weights, dense)), "currents beyond float32"
        axon = Axon(sizes[conn["source"]], label=conn["name"])
        axon.target = synapse
        blocks[conn["target"]].add_synapse(synapse)
        (blocks.get(conn["source"]) or inputs[conn["source"]]).add_axon(axon)

    model = SimpleNamespace(blocks=list(blocks.values()), inputs=list(inputs.values()), probes=[], dt=0.001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its noise arrays start as NaN cast to int (unused here)
        emulator = EmulatorInterface(model, seed=net["seed"])
    state = emulator.compartment
    slices = {name: emulator.block_info.slices[b] for name, b in blocks.items()}
    trace = Trace()
    for name, p in zip(blocks, net["populations"]):
        trace.pops[name] = {"spikes": np.zeros((steps, p["size"]), bool),
                            "u": np.zeros((steps, p["size"]), np.int64), "v": np.zeros((steps, p["size"]), np.int64)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow of u is reported as a warning: it is a case here
        for s in range(steps):
            emulator.step()
            for name, sl in slices.items():
                trace.pops[name]["spikes"][s] = state.spiked[sl]
                trace.pops[name]["u"][s] = state.current[sl]
                trace.pops[name]["v"][s] = state.voltage[sl]
    return trace


# ---------------------------------------------------------------------------------------
# brian2-loihi 0.5.2 (numpy code generation, no compiler needed).

BRIAN_SIGN = {"mixed": 1, "excitatory": 2, "inhibitory": 3}


def brian_unsupported(net, tags):
    if any(p["biasMantissa"] != 0 for p in net["populations"]):
        return "no bias in its neuron model"
    if "v_saturation" in tags or any("vmin" in p or "vmax" in p for p in net["populations"]):
        return "v is not bounded (no vmin/vmax)"
    if "u_wrap" in tags:
        return "u does not wrap (floating-point state)"
    for c in net["connections"]:
        rule = c.get("learning")
        if rule and (rule.get("epoch", 1) != 1 or c["pattern"] != "all-to-all" or c.get("delay", 0) != 0
                     or any(v in rule["rule"] for v in ("r0", "r1", "t"))):
            return "learning only with epoch 1, no reward or tag variables, delay 0"
    return None


def run_brian(net, steps):
    import brian2
    import brian2_loihi as bl

    brian2.prefs.codegen.target = "numpy"
    brian2.prefs.logging.console_log_level = "ERROR"
    brian2.seed(net["seed"])
    sizes = sizes_of(net)
    groups, objects, monitors, weight_monitors = {}, [], {}, {}
    # brian2-loihi learns from a step's spikes in the next step (it processes them in that
    # step's synapse slot), so its weights after step s + 1 are NeuroChip's after step s.
    run_steps = steps + 1 if any("learning" in c for c in net["connections"]) else steps
    for p in net["populations"]:
        g = bl.LoihiNeuronGroup(p["size"], refractory=p["refractory"], threshold_v_mant=p["vthMantissa"],
                                decay_v=p["dv"], decay_I=p["du"])
        groups[p["name"]] = g
        # Recorded after the synapse slot's deliveries (order), like NeuroChip's u.
        monitors[p["name"]] = (bl.LoihiStateMonitor(g, "I", order=10), bl.LoihiStateMonitor(g, "v", order=10),
                               bl.LoihiSpikeMonitor(g))
        objects += [g, *monitors[p["name"]]]
    for gen in net["generators"]:
        # A generator spike at brian time T arrives in step T; NeuroChip's at step s arrives in s + 1.
        spikes = [(c, s + 1) for c, times in enumerate(gen.get("spikeTimes") or []) for s in times
                  if s + 1 < run_steps]
        idx, times = [c for c, _ in spikes], [t for _, t in spikes]
        groups[gen["name"]] = bl.LoihiSpikeGeneratorGroup(gen["size"], np.array(idx, dtype=int),
                                                          np.array(times, dtype=int)) if idx else None
        if idx:
            objects.append(groups[gen["name"]])
    for conn in net["connections"]:
        if groups[conn["source"]] is None:
            continue
        pre, post, mantissa, delays = synapses(conn, sizes)
        rule = conn.get("learning")
        for d in np.unique(delays):
            keep = (delays == d) & ((mantissa != 0) | bool(rule))
            if not keep.any():
                continue
            options = {}
            if rule:
                options["dw"] = rule["rule"].split("=", 1)[1]
                for trace in ("x1", "x2", "y1", "y2", "y3"):
                    t = rule.get(trace, {"impulse": 1, "tau": 1})
                    options[f"imp_{trace}"], options[f"tau_{trace}"] = t["impulse"], t["tau"]
            s = bl.LoihiSynapses(groups[conn["source"]], groups[conn["target"]], delay=int(d),
                                 w_exp=conn["exponent"], sign_mode=BRIAN_SIGN[conn["signMode"]], **options)
            s.connect(i=pre[keep], j=post[keep])
            lookup = {(i, j): w for i, j, w in zip(pre[keep], post[keep], mantissa[keep])}
            s.w = np.array([lookup[(i, j)] for i, j in zip(s.i[:], s.j[:])], dtype=np.int64)
            objects.append(s)
            if rule:
                weight_monitors[conn["name"]] = (s, bl.LoihiStateMonitor(s, "w"), sizes[conn["source"]])
                objects.append(weight_monitors[conn["name"]][1])
    bl.LoihiNetwork(*objects).run(run_steps)

    trace = Trace()
    for name, (mi, mv, ms) in monitors.items():
        n = sizes[name]
        if max(np.abs(mi.I).max(initial=0), np.abs(mv.v).max(initial=0)) > VOLTAGE_LIMIT:
            raise RuntimeError(f"{name}: u or v left the 24-bit range, where brian2-loihi neither wraps nor "
                               "saturates; tag the case u_wrap or v_saturation")
        fired = np.zeros((steps, n), bool)
        t = np.round(np.asarray(ms.t_) / 1e-3).astype(int)
        keep = t < steps
        fired[t[keep], np.asarray(ms.i)[keep]] = True
        trace.pops[name] = {"spikes": fired, "u": to_int(mi.I.T[:steps]), "v": to_int(mv.v.T[:steps])}
    for name, (s, mw, n_pre) in weight_monitors.items():
        layout = np.asarray(s.j[:]) * n_pre + np.asarray(s.i[:])
        w = np.zeros((steps, len(layout)), np.int64)
        w[:, layout] = to_int(mw.w.T[1:steps + 1])
        trace.weights[name] = w
    return trace


def to_int(x):
    x = np.asarray(x)
    rounded = np.round(x).astype(np.int64)
    if not np.array_equal(rounded, x):
        raise RuntimeError("brian2-loihi state is not integer-valued")
    return rounded


EMULATORS = {
    "nengo": ("nengo_loihi", nengo_unsupported, run_nengo),
    "brian2": ("brian2_loihi", brian_unsupported, run_brian),
}


# ---------------------------------------------------------------------------------------
# Comparison and report.


def first_difference(chip, other):
    """None when identical, else a description of the earliest differing value."""
    found = []
    for name, pop in chip.pops.items():
        for quantity in ("spikes", "u", "v"):
            a, b = pop[quantity], other.pops[name][quantity]
            diff = np.argwhere(a != b)
            if len(diff):
                s, i = diff[0]
                found.append((s, f"step {s} {name}[{i}] {quantity}: NeuroChip {a[s, i]:d}, emulator {b[s, i]:d}"))
    for name, w in chip.weights.items():
        diff = np.argwhere(w != other.weights[name])
        if len(diff):
            s, k = diff[0]
            found.append((s, f"step {s} {name} weight #{k}: NeuroChip {w[s, k]}, emulator {other.weights[name][s, k]}"))
    return min(found)[1] if found else None


def activity(trace):
    fired = sum(p["spikes"].sum() for p in trace.pops.values())
    cells = sum(p["spikes"].size for p in trace.pops.values())
    return fired / cells


def available_emulators(keys):
    emulators = {}
    for key in keys:
        if key not in EMULATORS:
            sys.exit(f"unknown emulator {key!r}; choose from {', '.join(EMULATORS)}")
        module, unsupported, run = EMULATORS[key]
        try:
            __import__(module)
            emulators[key] = (unsupported, run)
        except ImportError as error:
            print(f"{key}: not importable ({error}); see the pip line in this script's header", file=sys.stderr)
    return emulators


def neurochip_trace(synfire, net, steps, keep_dir):
    """NeuroChip's run of a case; its files stay in keep_dir when one is given."""
    if keep_dir:
        os.makedirs(keep_dir, exist_ok=True)
        return run_neurochip(synfire, net, steps, keep_dir)
    with tempfile.TemporaryDirectory(prefix="synfire-emul-") as workdir:
        return run_neurochip(synfire, net, steps, workdir)


def compare_case(case, chip, emulators, skipped):
    """One row per emulator that can express the case (a failed run is a difference too)."""
    name, steps, net, tags = case
    compartments = sum(p["size"] for p in net["populations"])
    fired = 0.0 if isinstance(chip, str) else float(activity(chip))
    rows = []
    for key, (unsupported, run) in emulators.items():
        reason = unsupported(net, tags)
        if reason:
            skipped.append((name, key, reason))
            continue
        if isinstance(chip, str):
            difference = chip
        else:
            try:
                difference = first_difference(chip, run(net, steps))
            except Exception as error:
                difference = f"emulator failed: {error}"
        rows.append({"case": name, "emulator": key, "steps": steps, "compartments": compartments,
                     "fired_fraction": round(fired, 4), "identical": difference is None,
                     "first_difference": difference})
        print(f"{name:42} {key:8} {steps:5d} {compartments:5d} {fired:6.1%}  "
              f"{'yes' if difference is None else 'NO':9}  {difference or '-'}", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("synfire", nargs="?", help="path of the synfire binary (release build)")
    parser.add_argument("--emulators", default="nengo,brian2", help="comma-separated: nengo, brian2")
    parser.add_argument("--cases", default="", help="run only cases whose name contains this text")
    parser.add_argument("--keep", help="keep the network descriptions and NeuroChip outputs in this directory")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last stdout line")
    args = parser.parse_args()

    cases = [c for c in all_cases() if args.cases in c[0]]
    if args.list:
        for name, steps, net, _ in cases:
            print(f"{name}: {steps} steps, {sum(p['size'] for p in net['populations'])} compartments")
        return 0
    if not args.synfire or not os.access(args.synfire, os.X_OK):
        parser.error(f"give the synfire binary, e.g. .build/release/synfire (got {args.synfire!r})")
    emulators = available_emulators(args.emulators.split(","))
    if not emulators:
        print("no emulator available: nothing compared", file=sys.stderr)
        return 2

    rows, skipped = [], []
    header = f"{'case':42} {'emulator':8} {'steps':>5} {'comps':>5} {'fired':>6}  identical  first difference"
    print(header)
    print("-" * len(header))
    for k, case in enumerate(cases):
        name, steps, net, _ = case
        try:
            chip = neurochip_trace(args.synfire, net, steps, args.keep and os.path.join(args.keep, f"{k:02d}"))
        except RuntimeError as error:
            chip = f"NeuroChip failed: {error}"
        rows += compare_case(case, chip, emulators, skipped)
    identical = sum(r["identical"] for r in rows)
    print(f"\n{identical} of {len(rows)} runs bit-identical ({len({r['case'] for r in rows})} cases); "
          f"{len(skipped)} (case, emulator) pairs not expressible in that emulator:")
    for key, reason in sorted({(key, reason) for _, key, reason in skipped}):
        count = sum(1 for _, k, r in skipped if (k, r) == (key, reason))
        print(f"  {key}: {reason} ({count} cases)")
    if args.json:
        print(json.dumps({"runs": len(rows), "identical": identical, "mismatches": len(rows) - identical,
                          "rows": rows,
                          "skipped": [{"case": c, "emulator": e, "reason": r} for c, e, r in skipped]}))
    return 0 if identical == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
