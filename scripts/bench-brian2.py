#!/usr/bin/env python3
"""Brian2 throughput on the shape of `synfire bench chip` (issue 4), for a side-by-side table.

Optional tooling, not part of CI. It needs Brian2 in a virtualenv (Brian2 2.9 wants numpy < 2.4):

    python3 -m venv /work/venv-brian2
    /work/venv-brian2/bin/pip install brian2 'numpy<2.4' cython
    /work/venv-brian2/bin/python scripts/bench-brian2.py [--targets numpy,cython,cpp_standalone]
        [--kinds dense,sparse,compartments] [--sizes 1024,4096] [--seconds 1.5]

The network mirrors Sources/NeuroChip/ChipBenchmark.swift. It is made of blocks of 1,024
neurons. Each block has a SpikeGeneratorGroup source of 1,024 channels that fires a random
5% (51 channels) each step, over 32 stored patterns repeated with a period of 32 steps. The
source projects onto its target block either densely (1,024 x 1,024) or sparsely (one random
10% pattern, the same for every block). Weights are random even integers in [-128, 126],
and `on_pre` adds the weight to the target's current. The targets are Loihi-like CUBA
neurons written as Euler steps of length dt, which is the chip's discrete update without
its rounding: u <- u (1 - 410/4096); v <- v (1 - 205/4096) + u + bias; v > vth spikes,
resets v to 0 and makes the neuron refractory for 2 steps. The threshold is high, so the
targets rarely spike, like the chip benchmark's. The "compartments" kind has no synapses:
it is driven by the bias only (v integrates 3,200 per step towards 64,000), so about 1 in 23
neurons spikes per step.

Synaptic events are counted, not assumed. A SpikeMonitor (record=False) counts each
source's spikes, and the events are the sum over sources of spikes x that source's
out-degree among the synapses actually created. The monitor's total is checked against the
spike schedule. Each row is one run of at least --seconds of thread CPU time, after a
32-step warm-up that includes code generation and compilation. Runtime targets (numpy,
cython) time that run with time.thread_time(). cpp_standalone cannot adapt its length, so
its step count comes from a rate estimate. Its timing is the thread CPU time around the
measured run, taken in the generated main.cpp. All targets are single-threaded (OpenMP off;
BLAS threads set to 1). Brian2's default compiler flags are used (-O3 -ffast-math
-march=native).

Every (target, kind, size) runs in its own child process. A run that fails or runs out of
time (for example the numpy target on 64k dense, 67M synapses) becomes a row with an "error"
field and does not stop the rest.

Output: one line per row on stderr, then one JSON object on the last stdout line with the
versions, the rows ("table") and, per target, the figures at the largest size measured.
"""

import argparse
import json
import os
import subprocess
import sys
import time

BLOCK = 1024
PERIOD = 32  # steps of the repeated input pattern (ChipBenchmark cycles 32 patterns too)
RATE = 0.05  # fraction of source channels firing per step
SPARSE_DENSITY = 0.1
WARMUP_STEPS = PERIOD
# cpp_standalone cannot calibrate its run length; these rates (per CPU second, a little
# above what it reaches here) size its runs to about --seconds.
STANDALONE_EVENTS_PER_S = 3e8
STANDALONE_UPDATES_PER_S = 1.5e8

KINDS = ("dense", "sparse", "compartments")
TARGETS = ("numpy", "cython", "cpp_standalone")


def log(message):
    print(message, file=sys.stderr, flush=True)


def round_up_to_period(steps):
    return max(2 * PERIOD, -(-int(steps) // PERIOD) * PERIOD)


def input_schedule(n, rng):
    """Indices and step numbers of the source spikes over one period: per step and per
    block, a random 5% of the block's channels (sorted, like ChipBenchmark.inputPatterns)."""
    k = int(round(BLOCK * RATE))
    indices, steps = [], []
    for step in range(PERIOD):
        for block in range(n // BLOCK):
            chosen = rng.permutation(BLOCK)[:k]
            chosen.sort()
            indices.append(chosen + block * BLOCK)
            steps.append(step)
    return indices, steps


def sparse_pattern(rng):
    """One random 10% pre/post pattern within a block, pre-major like the chip's rows."""
    mask = rng.random((BLOCK, BLOCK)) < SPARSE_DENSITY
    pre, post = mask.nonzero()
    return pre.astype("int32"), post.astype("int32")


def measure(target, kind, n, seconds, build_dir, seed):
    """Builds and runs one network in this process; returns the row (a dict)."""
    import numpy as np
    import brian2 as b2

    if n % BLOCK:
        raise ValueError(f"size {n} is not a multiple of {BLOCK}; pass sizes like 1024,4096")
    rng = np.random.default_rng(seed)
    b2.prefs.logging.std_redirection = False
    b2.prefs.logging.file_log = False
    b2.prefs.logging.console_log_level = "WARNING"
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
    else:
        b2.prefs.codegen.target = target
    b2.seed(seed)
    dt = b2.defaultclock.dt
    blocks = n // BLOCK

    # Loihi-like CUBA compartment as Euler steps of dt (see the module docstring).
    equations = """
    du/dt = -decay_u * u / dt_step : 1
    dv/dt = (u - decay_v * v + bias) / dt_step : 1 (unless refractory)
    """
    synaptic = kind != "compartments"
    namespace = {
        "dt_step": dt,
        "decay_u": 410 / 4096,
        "decay_v": 205 / 4096 if synaptic else 0.0,
        "bias": 0.0 if synaptic else 3200.0,
        "vth": 100_000.0 if synaptic else 64_000.0,
    }
    neurons = b2.NeuronGroup(
        n, equations, threshold="v > vth", reset="v = 0", refractory=2 * dt, method="euler",
        namespace=namespace, name="neurons")
    objects = [neurons]
    if synaptic:
        indices, steps = input_schedule(n, rng)
        counts = [len(x) for x in indices]
        source = b2.SpikeGeneratorGroup(
            n, np.concatenate(indices), np.repeat(np.array(steps), counts) * dt, period=PERIOD * dt,
            name="source")
        synapses = b2.Synapses(
            source, neurons, "w : integer (constant)", on_pre="u_post += w", name="synapses")
        if kind == "dense":
            # Generator syntax: every source connects to the 1,024 neurons of its block,
            # without materialising 2 x 67M index arrays at 64k.
            synapses.connect(j="k for k in range((i // 1024) * 1024, (i // 1024) * 1024 + 1024)")
            out_degree = np.full(n, BLOCK, dtype=np.int64)
        else:
            pre, post = sparse_pattern(rng)
            offsets = np.repeat(np.arange(blocks, dtype=np.int32) * BLOCK, len(pre))
            synapses.connect(i=np.tile(pre, blocks) + offsets, j=np.tile(post, blocks) + offsets)
            out_degree = np.tile(np.bincount(pre, minlength=BLOCK), blocks).astype(np.int64)
        synapses.w = "int(rand() * 128) * 2 - 128"
        objects += [source, synapses]
        spikes_per_period = sum(counts)
        counted = source
    else:
        neurons.v = "rand() * 64000"  # spread the phases so ~1/23 spike every step
        counted = neurons
    monitor = b2.SpikeMonitor(counted, record=False, name="counter")
    objects.append(monitor)
    network = b2.Network(*objects)

    build_seconds = 0.0
    if target == "cpp_standalone":
        if synaptic:
            per_step = spikes_per_period / PERIOD * float(out_degree.mean())
            steps = round_up_to_period(seconds * STANDALONE_EVENTS_PER_S / per_step)
        else:
            steps = round_up_to_period(seconds * STANDALONE_UPDATES_PER_S / n)
        network.run(WARMUP_STEPS * dt)
        b2.device.insert_code(
            "main",
            "struct timespec bench_c0, bench_w0, bench_c1, bench_w1;\n"
            "clock_gettime(CLOCK_THREAD_CPUTIME_ID, &bench_c0);\n"
            "clock_gettime(CLOCK_MONOTONIC, &bench_w0);")
        network.run(steps * dt)
        b2.device.insert_code(
            "main",
            "clock_gettime(CLOCK_THREAD_CPUTIME_ID, &bench_c1);\n"
            "clock_gettime(CLOCK_MONOTONIC, &bench_w1);\n"
            "{ std::ofstream bench_out(\"bench_timing.txt\");\n"
            "  bench_out.precision(17);\n"
            "  bench_out << (bench_c1.tv_sec - bench_c0.tv_sec) + 1e-9 * (bench_c1.tv_nsec - bench_c0.tv_nsec)\n"
            "            << \" \" << (bench_w1.tv_sec - bench_w0.tv_sec) + 1e-9 * (bench_w1.tv_nsec - bench_w0.tv_nsec)\n"
            "            << std::endl; }")
        directory = os.path.join(build_dir, f"{kind}-{n}")
        start = time.monotonic()
        b2.device.build(directory=directory, compile=True, run=True, clean=False)
        build_seconds = time.monotonic() - start
        with open(os.path.join(directory, "bench_timing.txt")) as f:
            cpu, wall = (float(x) for x in f.read().split())
        total_steps = WARMUP_STEPS + steps
        total_spikes = int(monitor.num_spikes)
        measured_counts = None
    else:
        start = time.monotonic()
        network.run(WARMUP_STEPS * dt)  # code generation, Cython compilation
        build_seconds = time.monotonic() - start
        # Calibrate with runs 4x longer each time until one takes a fifth of the budget:
        # each run() call has a fixed Python cost (tens of ms) that a short calibration
        # would mistake for per-step cost.
        calibration_steps = 0
        trial = PERIOD
        while True:
            c0 = time.thread_time()
            network.run(trial * dt)
            spent = time.thread_time() - c0
            calibration_steps += trial
            if spent >= seconds / 5:
                break
            trial *= 4
        steps = round_up_to_period(seconds * trial / spent)
        before = np.array(monitor.count[:], dtype=np.int64)
        c0, w0 = time.thread_time(), time.monotonic()
        network.run(steps * dt)
        cpu, wall = time.thread_time() - c0, time.monotonic() - w0
        measured_counts = np.array(monitor.count[:], dtype=np.int64) - before
        total_steps = WARMUP_STEPS + calibration_steps + steps
        total_spikes = int(monitor.num_spikes)

    if synaptic:
        # The generator repeats with period PERIOD and every run is whole periods long.
        expected = spikes_per_period * total_steps // PERIOD
        if total_spikes != expected:
            raise RuntimeError(
                f"source spiked {total_spikes} times, schedule says {expected}: the input is not the"
                " intended 5% per step; check the SpikeGeneratorGroup times")
        if measured_counts is not None:
            events = int((measured_counts * out_degree).sum())
            measured_spikes = int(measured_counts.sum())
        else:
            # Standalone reads the counter only at the end: whole periods are identical, so
            # the measured run's share is exact.
            measured_spikes = spikes_per_period * steps // PERIOD
            events = int(measured_spikes * out_degree.mean())
        synapse_count = int(out_degree.sum())
    else:
        events = 0
        synapse_count = 0
        measured_spikes = (
            int(measured_counts.sum()) if measured_counts is not None
            else int(round(total_spikes * steps / total_steps)))
    return {
        "target": target, "kind": kind, "compartments": n, "synapses": synapse_count, "steps": steps,
        "cpu_seconds": cpu, "wall_seconds": wall, "build_seconds": build_seconds,
        "spikes_per_step": measured_spikes / steps, "syn_events": events,
        "syn_events_per_s": events / cpu, "neuron_updates_per_s": n * steps / cpu,
    }


def run_child(target, kind, n, args):
    """Measures one configuration in a fresh interpreter (own device state and memory)."""
    command = [
        sys.executable, os.path.abspath(__file__), "--child", target, kind, str(n),
        "--seconds", str(args.seconds), "--build-dir", args.build_dir, "--seed", str(args.seed)]
    environment = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.monotonic()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, env=environment)
    except subprocess.TimeoutExpired:
        return {"target": target, "kind": kind, "compartments": n,
                "error": f"no result within --timeout {args.timeout} s (build + run)"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        return {"target": target, "kind": kind, "compartments": n,
                "error": f"exit status {done.returncode} after {time.monotonic() - start:.0f} s: {tail}"}
    return json.loads(lines[-1])


def describe(row):
    if "error" in row:
        return f"{row['target']:14} {row['kind']:12} {row['compartments']:6}  FAILED: {row['error']}"
    return (f"{row['target']:14} {row['kind']:12} {row['compartments']:6}  "
            f"syn events/s {row['syn_events_per_s']:9.3g}  neuron updates/s {row['neuron_updates_per_s']:9.3g}  "
            f"({row['spikes_per_step']:.1f} spikes/step, {row['steps']} steps, {row['cpu_seconds']:.2f} cpu s, "
            f"{row['wall_seconds']:.2f} wall s, build {row['build_seconds']:.1f} s)")


def parse_list(text, allowed=None):
    items = [x.strip() for x in text.split(",") if x.strip()]
    if allowed is not None:
        bad = [x for x in items if x not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(allowed)}")
    return items


def parse_sizes(text):
    try:
        sizes = [int(x) for x in parse_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be integers like 1024,4096, got {text!r}")
    bad = [s for s in sizes if s <= 0 or s % BLOCK]
    if bad or not sizes:
        raise argparse.ArgumentTypeError(f"sizes {bad or text!r} must be positive multiples of {BLOCK}")
    return sizes


def main():
    parser = argparse.ArgumentParser(
        description="Brian2 synaptic events/s and neuron updates/s on the shape of `synfire bench chip`.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--targets", type=lambda t: parse_list(t, TARGETS), default=list(TARGETS),
                        help="comma-separated code generation targets (default: all three)")
    parser.add_argument("--kinds", type=lambda t: parse_list(t, KINDS), default=list(KINDS),
                        help="comma-separated networks: dense, sparse, compartments (default: all)")
    parser.add_argument("--sizes", type=parse_sizes, default=[1024, 4096],
                        help="comma-separated neuron counts, multiples of 1024 (default: 1024,4096)")
    parser.add_argument("--seconds", type=float, default=1.5,
                        help="CPU seconds per measured run (default 1.5, like synfire bench chip)")
    parser.add_argument("--timeout", type=float, default=1200,
                        help="seconds allowed per configuration, build included (default 1200)")
    parser.add_argument("--build-dir", default="/tmp/synfire-bench-brian2",
                        help="where cpp_standalone projects are built (kept, so rebuilds are incremental)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the input patterns, weights and sparse pattern")
    parser.add_argument("--child", nargs=3, metavar=("TARGET", "KIND", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error("--seconds must be positive, e.g. 1.5")

    if args.child:
        target, kind, size = args.child
        row = measure(target, kind, int(size), args.seconds, args.build_dir, args.seed)
        print(json.dumps(row))
        return

    try:
        import brian2
        import numpy
    except ImportError as error:
        sys.exit(f"error: {error}. Install Brian2 in a virtualenv and run the script with its python:\n"
                 "  python3 -m venv /work/venv-brian2 && /work/venv-brian2/bin/pip install brian2 'numpy<2.4' cython")
    rows = []
    for target in args.targets:
        for kind in args.kinds:
            for n in args.sizes:
                row = run_child(target, kind, n, args)
                log(describe(row))
                rows.append(row)
    summary = {}
    for target in args.targets:
        figures = {}
        for kind, key, name in (("dense", "syn_events_per_s", "dense_syn_events_per_s"),
                                ("sparse", "syn_events_per_s", "sparse_syn_events_per_s"),
                                ("compartments", "neuron_updates_per_s", "neuron_updates_per_s")):
            good = [r for r in rows if r["target"] == target and r["kind"] == kind and "error" not in r]
            if good:
                largest = max(good, key=lambda r: r["compartments"])
                figures[name] = largest[key]
                figures[name.replace("_per_s", "_size")] = largest["compartments"]
        summary[target] = figures
    print(json.dumps({
        "brian2_version": brian2.__version__, "numpy_version": numpy.__version__,
        "python_version": sys.version.split()[0], "seconds": args.seconds, "by_target": summary,
        "table": rows}))


if __name__ == "__main__":
    main()
