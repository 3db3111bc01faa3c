#!/usr/bin/env python3
"""NEST 3.x beside `synfire bench chip` on the same network shapes (docs/neurochip.md,
"Side by side with NEST").

Blocks of 1,024 neurons. Each block's source layer (1,024 parrot neurons fed by a Poisson
generator at 50 Hz, i.e. 5% of the channels per 1 ms step, as Synfire's generators fire a
random 5% per step) projects onto its block densely (1,024 x 1,024) or through a random
10%; weights are random even values in [-128, 126]. "compartments" drives the neurons by a constant current
only (about 5% fire per step). The neurons are iaf_psc_exp with the decays of the chip's
benchmark network (current decay 410/4096, voltage decay 205/4096 per 1 ms step). The
measured run is a Simulate() of at least --seconds wall seconds after a warm-up, on
--threads threads (local_num_threads). Synaptic events are the source spikes times their
out-degree. Memory per synapse: the growth of the resident set while the connections are
created and the network is prepared, over the synapses (an in-process estimate).

Usage:
  python3 -m venv /work/venv-nest && /work/venv-nest/bin/pip install nest-simulator numpy
  /work/venv-nest/bin/python scripts/bench-nest.py --threads 2 --sizes 1024,65536 \\
      [--synfire bench-chip.json] > nest.json

It prints one line per configuration on stderr and one JSON object on the last stdout line;
with --synfire (the JSON of `synfire bench chip --threads N --json`) it adds the ratios
Synfire / NEST at the largest size.
"""

import argparse
import json
import os
import resource
import sys
import time

BLOCK = 1024


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def build(nest, np, kind, size, threads, seed):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": 1.0, "local_num_threads": threads, "rng_seed": seed})
    rng = np.random.default_rng(seed)
    blocks = max(1, size // BLOCK)
    tau_syn = -1.0 / np.log(1 - 410 / 4096)
    tau_m = -1.0 / np.log(1 - 205 / 4096)
    params = {"tau_syn_ex": tau_syn, "tau_syn_in": tau_syn, "tau_m": tau_m, "t_ref": 2.0,
              "V_th": 20.0, "V_reset": 0.0, "E_L": 0.0, "V_m": 0.0, "C_m": 250.0}
    before = rss_bytes()
    neurons, sources, synapses = [], [], 0
    for b in range(blocks):
        block = nest.Create("iaf_psc_exp", BLOCK, params=params)
        neurons.append(block)
        if kind == "compartments":
            # Constant drive: about one spike every 20 steps, phases staggered per block.
            block.set({"I_e": 260.0 + 2.0 * (b % 8)})
            continue
        parrots = nest.Create("parrot_neuron", BLOCK)
        # 5% of the channels per 1 ms step: independent 50 Hz Poisson trains.
        drive = nest.Create("poisson_generator", params={"rate": 50.0})
        sources.append(parrots)
        nest.Connect(drive, parrots)
        if kind == "dense":
            weights = rng.integers(-64, 64, size=(BLOCK, BLOCK)).astype(float) * 2
            nest.Connect(parrots, block, "all_to_all", syn_spec={"weight": weights})
            synapses += BLOCK * BLOCK
        else:
            nest.Connect(parrots, block, {"rule": "pairwise_bernoulli", "p": 0.1},
                         syn_spec={"weight": nest.random.uniform_int(128) * 2 - 128})
            synapses += len(nest.GetConnections(parrots, block))
    return neurons, sources, synapses, before


def measure(nest, np, kind, size, threads, seconds, seed):
    neurons, sources, synapses, before = build(nest, np, kind, size, threads, seed)
    recorders = []
    for layer in (sources if kind != "compartments" else neurons):
        recorder = nest.Create("spike_recorder")
        nest.Connect(layer, recorder)
        recorders.append(recorder)
    # Every node exists before Prepare (nodes created later are not simulated).
    nest.Prepare()
    grown = rss_bytes() - before
    nest.Run(25.0)
    counted = sum(r.get("n_events") for r in recorders)
    steps, wall, cpu0 = 0, 0.0, time.process_time()
    batch = 16
    while wall < seconds:
        start = time.perf_counter()
        nest.Run(float(batch))
        wall += time.perf_counter() - start
        steps += batch
        batch = min(batch * 2, 512)
    nest.Cleanup()
    cpu = time.process_time() - cpu0
    spikes = sum(r.get("n_events") for r in recorders) - counted
    fan_out = synapses / max(1, len(sources) * BLOCK) if sources else 0
    events = spikes * fan_out
    compartments = len(neurons) * BLOCK
    return {
        "kind": kind, "compartments": compartments, "threads": threads, "steps": steps,
        "wall_seconds": wall, "cpu_seconds": cpu, "spikes_per_step": spikes / steps,
        "syn_events_per_s": events / wall if kind != "compartments" else 0.0,
        "compartment_updates_per_s": compartments * steps / wall,
        "bytes_per_synapse": grown / synapses if synapses else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sizes", default="1024,4096,16384,65536")
    parser.add_argument("--kinds", default="dense,sparse,compartments")
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--synfire", help="JSON of `synfire bench chip --json` for the ratios")
    args = parser.parse_args()
    try:
        import nest
        import numpy as np
    except ImportError as error:
        sys.exit(f"bench-nest: {error}; install with `pip install nest-simulator numpy` (see --help)")
    sizes = [int(s) for s in args.sizes.split(",")]
    table = []
    for kind in args.kinds.split(","):
        for size in sizes:
            row = measure(nest, np, kind, size, args.threads, args.seconds, args.seed)
            print(json.dumps(row), file=sys.stderr)
            table.append(row)
    largest = max(sizes)
    result = {"nest_version": nest.__version__, "threads": args.threads, "table": table,
              "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    at = {row["kind"]: row for row in table if row["compartments"] == largest}
    if args.synfire:
        with open(args.synfire) as f:
            synfire = json.loads(f.read().strip().splitlines()[-1])
        def ratio(key, kind, nest_key):
            nest_value = at.get(kind, {}).get(nest_key) or 0
            return synfire[key] / nest_value if nest_value > 0 else None

        result["ratios_synfire_over_nest"] = {
            "dense": ratio("dense_syn_events_per_s", "dense", "syn_events_per_s"),
            "sparse": ratio("sparse_syn_events_per_s", "sparse", "syn_events_per_s"),
            "compartments": ratio("compartment_updates_per_s", "compartments", "compartment_updates_per_s"),
            "bytes_per_synapse": {"synfire": synfire.get("bytes_per_synapse"),
                                  "nest": at.get("sparse", {}).get("bytes_per_synapse")},
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
