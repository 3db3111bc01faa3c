#!/usr/bin/env python3
"""Equivalent numpy implementation of one STE-SNN DI training step (spec ste-snn.md §4.3),
used by `synfire bench ste` to measure numpy throughput side by side with Synfire.

MLP-1024 (784-1024-1024-10), batch 100, one Bernoulli frame per image, input dropout 0.1,
hidden dropout 0.3, binary activations H(u) = [u > 1] with the STE 0.5*[0 < u < 2],
squared hinge loss with +-1 targets, Adam (1e-3, 0.9, 0.999, 1e-8). float32 throughout.
Prints one JSON object: train_samples_per_s, batches, seconds, threads.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    sizes = [784, args.hidden, args.hidden, 10]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(3.0 / fan_in)
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    n = args.batch_size
    images = rng.integers(0, 256, (n * 10, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, n * 10)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-3
    step = 0

    def dropout(x, rate):
        mask = (rng.random(x.shape, dtype=np.float32) >= rate).astype(np.float32) / np.float32(1 - rate)
        return x * mask, mask

    def train_step(batch):
        nonlocal step
        pix = images[batch * n % len(images):][:n]
        lab = labels[batch * n % len(images):][:n]
        p = pix.astype(np.float32) / np.float32(255)
        x = (p > rng.random(p.shape, dtype=np.float32)).astype(np.float32)
        x, m0 = dropout(x, 0.1)
        W1, c1, W2, c2, W3, c3 = params
        u1 = x @ W1 + c1
        s1 = (u1 > 1).astype(np.float32)
        d1, m1 = dropout(s1, 0.3)
        u2 = d1 @ W2 + c2
        s2 = (u2 > 1).astype(np.float32)
        d2, m2 = dropout(s2, 0.3)
        y = d2 @ W3 + c3
        t = -np.ones((n, 10), np.float32)
        t[np.arange(n), lab] = 1
        margin = np.maximum(0, 1 - t * y)
        dy = (-2 * t * margin / np.float32(y.size)).astype(np.float32)
        gW3 = d2.T @ dy
        gc3 = dy.sum(0)
        g2 = (dy @ W3.T) * m2
        g2 = g2 * (np.float32(0.5) * ((u2 > 0) & (u2 < 2)))
        gW2 = d1.T @ g2
        gc2 = g2.sum(0)
        g1 = (g2 @ W2.T) * m1
        g1 = g1 * (np.float32(0.5) * ((u1 > 0) & (u1 < 2)))
        gW1 = x.T @ g1
        gc1 = g1.sum(0)
        grads = [gW1, gc1, gW2, gc2, gW3, gc3]
        step += 1
        alpha = lr * np.sqrt(1 - b2 ** step) / (1 - b1 ** step)
        for i, g in enumerate(grads):
            m[i] *= b1
            m[i] += (1 - b1) * g
            v[i] *= b2
            v[i] += (1 - b2) * g * g
            params[i] -= np.float32(alpha) * m[i] / (np.sqrt(v[i]) + eps)

    for b in range(args.warmup):
        train_step(b)
    start = time.perf_counter()
    for b in range(args.batches):
        train_step(b)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "train_samples_per_s": args.batches * n / seconds,
        "batches": args.batches,
        "seconds": seconds,
        "numpy": np.__version__,
        "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }))


if __name__ == "__main__":
    sys.exit(main())
