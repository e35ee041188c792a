#!/usr/bin/env python3
"""PyTorch (CPU, one thread) training loop of the benchmark MLP; --fused uses fused Adam."""
import sys

import numpy as np
import torch

from common import arguments, initial_weights, load_data, now, report


def main():
    fused = "--fused" in sys.argv
    if fused:
        sys.argv.remove("--fused")
    args = arguments(__doc__)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    x_train, y_train, x_val, y_val = (torch.from_numpy(a) for a in load_data())
    kernels, biases = initial_weights()
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 300), torch.nn.ReLU(),
        torch.nn.Linear(300, 100), torch.nn.ReLU(),
        torch.nn.Linear(100, 10))
    with torch.no_grad():
        for layer, w, b in zip([model[0], model[2], model[4]], kernels, biases):
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
            layer.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True) if fused else torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(x_train)
    epoch_seconds = []
    for epoch in range(args.epochs):
        order = torch.randperm(n)
        start = now()
        model.train()
        for i in range(0, n, args.batch_size):
            idx = order[i:i + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
        epoch_seconds.append(now() - start)
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_val).argmax(1) == y_val).float().mean().item()
    report("pytorch-fused" if fused else "pytorch", args.batch_size, epoch_seconds, accuracy, n)


if __name__ == "__main__":
    main()
