#!/usr/bin/env python3
"""Reference variant of nBP (nbp-circuit.md section 2, last paragraph) in numpy.

An independent implementation of the authors' numpy semantics, used by
`synfire bench nbp` for the side-by-side epoch time and by the tests' cross-check:
per sample, h = W1 x > 512, o = W2 h > 512, one signed error d = dp - dm through the
*updated* W2, hidden error clip(e * b, -1, 1), updates of +-2, weights clipped to
[-254, 254] after every sample.

Usage:
  nbp_numpy.py time  --images F --labels F --count N [--seed S]   -> JSON {"epoch_s": ...}
  nbp_numpy.py train --weights IN.npz --inputs X.npy --labels Y.npy --order O.npy --out OUT.npz
"""
import argparse
import gzip
import json
import sys
import time

import numpy as np


def train_sample(W1, W2, active, label):
    """One sample; `active` lists the indices of the inputs that are 1."""
    a = W1[:, active].sum(axis=1)
    h = a > 512
    hm = a > 0
    hp = a > 1023
    hidx = np.flatnonzero(h)
    z = W2[:, hidx].sum(axis=1)
    o = z > 512
    om = z > 0
    op = z > 1023
    t = np.zeros(W2.shape[0], dtype=bool)
    t[label] = True
    dp = t & ~o & om
    dm = o & ~t & ~op
    if not (dp.any() or dm.any()):
        return bool(np.array_equal(o, t))
    d = dp.astype(np.int32) - dm.astype(np.int32)
    rows = np.flatnonzero(d)
    W2[np.ix_(rows, hidx)] = np.clip(W2[np.ix_(rows, hidx)] + 2 * d[rows, None], -254, 254)
    e = W2[rows].T @ d[rows]
    b = hm & ~hp
    d1 = np.clip(e * b, -1, 1)
    units = np.flatnonzero(d1)
    if len(units):
        block = W1[np.ix_(units, active)] + 2 * d1[units, None]
        W1[np.ix_(units, active)] = np.clip(block, -254, 254)
    return bool(np.array_equal(o, t))


def train(W1, W2, X, labels, order):
    # The numpy original clips the whole matrices after every sample; updated entries are
    # clipped at once, the rest after the first sample (a -256 still counts once).
    actives = [np.flatnonzero(row) for row in X]
    exact = 0
    for step, index in enumerate(order):
        exact += train_sample(W1, W2, actives[index], int(labels[index]))
        if step == 0:
            np.clip(W1, -254, 254, out=W1)
            np.clip(W2, -254, 254, out=W2)
    return exact


def load_idx(images, labels):
    with gzip.open(images) as handle:
        pixels = np.frombuffer(handle.read(), dtype=np.uint8, offset=16)
    with gzip.open(labels) as handle:
        y = np.frombuffer(handle.read(), dtype=np.uint8, offset=8)
    return pixels.reshape(len(y), 28, 28), y


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    timing = sub.add_parser("time")
    timing.add_argument("--images", required=True)
    timing.add_argument("--labels", required=True)
    timing.add_argument("--count", type=int, default=2000)
    timing.add_argument("--seed", type=int, default=43)
    run = sub.add_parser("train")
    run.add_argument("--weights", required=True)
    run.add_argument("--inputs", required=True)
    run.add_argument("--labels", required=True)
    run.add_argument("--order", required=True)
    run.add_argument("--out", required=True)
    args = parser.parse_args()

    if args.command == "time":
        images, y = load_idx(args.images, args.labels)
        count = min(args.count, len(y))
        X = (images[:count, 4:24, 4:24].reshape(count, 400) >= 129).astype(np.int32)
        rng = np.random.default_rng(args.seed)
        W1 = np.clip(rng.normal(size=(400, 400)) * np.sqrt(2 / 800) * 1024, -240, 240)
        W2 = np.clip(rng.normal(size=(10, 400)) * np.sqrt(2 / 410) * 1024, -240, 240)
        W1 = (np.trunc(W1 / 2) * 2).astype(np.int32)
        W2 = (np.trunc(W2 / 2) * 2).astype(np.int32)
        # CPU time, like the Swift side (the machine is shared).
        start = time.process_time()
        exact = train(W1, W2, X, y[:count], range(count))
        seconds = time.process_time() - start
        print(json.dumps({"samples": count, "seconds": seconds, "epoch_s": seconds * 60000 / count,
                          "train_exact": exact / count}))
    else:
        weights = np.load(args.weights)
        W1 = weights["W1"].astype(np.int32)
        W2 = weights["W2"].astype(np.int32)
        X = np.load(args.inputs).astype(np.int32)
        labels = np.load(args.labels)
        order = np.load(args.order)
        train(W1, W2, X, labels, order)
        np.savez(args.out, W1=W1.astype(np.int16), W2=W2.astype(np.int16))
    return 0


if __name__ == "__main__":
    sys.exit(main())
