"""Shared set-up of the training peers: the same data, split and network as Sweep's benchmark.

Fashion-MNIST from the same IDX files (Debian's dataset-fashion-mnist), the first 5,000
training images for validation and the other 55,000 for training (Sweep's default, the
course texts' convention), pixels scaled to [0, 1];
784-300-100-10, ReLU, he_normal hidden kernels, glorot_uniform output, zero biases,
Adam(1e-3), cross-entropy, shuffled every epoch. Throughput is measured over epochs 2..N
on the training steps only, one thread everywhere.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

# One BLAS/OpenMP thread before numpy (or torch/tensorflow) load their libraries.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
VALIDATION = 5000


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load_data():
    images = read_idx(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"))
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    y = labels.astype(np.int64)
    return x[VALIDATION:], y[VALIDATION:], x[:VALIDATION], y[:VALIDATION]


def he_normal(rng, fan_in, fan_out):
    """Keras he_normal: normal truncated at 2 sigma, std sqrt(2/fan_in)/0.87962566."""
    std = np.sqrt(2.0 / fan_in) / 0.87962566103423978
    w = rng.standard_normal((fan_in, fan_out))
    bad = np.abs(w) > 2
    while bad.any():
        w[bad] = rng.standard_normal(bad.sum())
        bad = np.abs(w) > 2
    return (w * std).astype(np.float32)


def glorot_uniform(rng, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def initial_weights(seed=42):
    """Kernels (fan_in x units) and zero biases, identical for every peer."""
    rng = np.random.default_rng(seed)
    shapes = [(784, 300), (300, 100), (100, 10)]
    kernels = [he_normal(rng, *shapes[0]), he_normal(rng, *shapes[1]), glorot_uniform(rng, *shapes[2])]
    biases = [np.zeros(s[1], dtype=np.float32) for s in shapes]
    return kernels, biases


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=5)
    return parser.parse_args()


def report(peer, batch_size, epoch_seconds, val_accuracy, train_count):
    measured = epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds
    total = sum(measured)
    result = {
        "peer": peer,
        "batch_size": batch_size,
        "samples_per_second": len(measured) * train_count / total if total > 0 else 0.0,
        "epoch_seconds": total / len(measured) if measured else 0.0,
        "val_accuracy": float(val_accuracy),
        "epochs": len(epoch_seconds),
    }
    print(json.dumps(result), flush=True)


now = time.perf_counter
