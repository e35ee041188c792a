#!/usr/bin/env python3
"""Plain numpy + OpenBLAS training loop of the benchmark MLP (one thread)."""
import math

import numpy as np

from common import arguments, initial_weights, load_data, now, report


def main():
    args = arguments(__doc__)
    x_train, y_train, x_val, y_val = load_data()
    kernels, biases = initial_weights()
    params = kernels + biases
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7
    rng = np.random.default_rng(0)
    n = len(x_train)
    t = 0
    epoch_seconds = []
    for epoch in range(args.epochs):
        order = rng.permutation(n)
        start = now()
        for i in range(0, n, args.batch_size):
            idx = order[i:i + args.batch_size]
            x, y = x_train[idx], y_train[idx]
            w1, w2, w3, c1, c2, c3 = params
            z1 = x @ w1 + c1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ w2 + c2
            a2 = np.maximum(z2, 0)
            z3 = a2 @ w3 + c3
            z3 -= z3.max(axis=1, keepdims=True)
            p = np.exp(z3)
            p /= p.sum(axis=1, keepdims=True)
            rows = len(idx)
            p[np.arange(rows), y] -= 1
            d3 = p / rows
            g_w3 = a2.T @ d3
            d2 = (d3 @ w3.T) * (z2 > 0)
            g_w2 = a1.T @ d2
            d1 = (d2 @ w2.T) * (z1 > 0)
            g_w1 = x.T @ d1
            grads = [g_w1, g_w2, g_w3, d1.sum(0), d2.sum(0), d3.sum(0)]
            t += 1
            # Python floats keep the arithmetic in float32 (numpy scalars would upcast).
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            eps_t = eps * math.sqrt(1 - b2 ** t)
            for k in range(6):
                g, mk, vk = grads[k], m[k], v[k]
                mk *= b1
                mk += (1 - b1) * g
                vk *= b2
                vk += (1 - b2) * (g * g)
                params[k] -= alpha * mk / (np.sqrt(vk) + eps_t)
        epoch_seconds.append(now() - start)
    w1, w2, w3, c1, c2, c3 = params
    logits = np.maximum(np.maximum(x_val @ w1 + c1, 0) @ w2 + c2, 0) @ w3 + c3
    report("numpy", args.batch_size, epoch_seconds, (logits.argmax(1) == y_val).mean(), n)


if __name__ == "__main__":
    main()
