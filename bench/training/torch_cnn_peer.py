#!/usr/bin/env python3
"""PyTorch (CPU, one thread) training loop of the benchmark CNN of sweeps/cnn.yaml.

Conv2d 32 3x3 same ReLU, MaxPool 2, Conv2d 64 3x3 same ReLU, MaxPool 2, Flatten, Linear 128
ReLU, Dropout 0.3, Linear 10; Adam 1e-3 (fused), cross-entropy; images 28x28x1 scaled to
[0, 1], the same split as the MLP peers. --channels-last stores activations NHWC (PyTorch's
fast path for CPU convolutions, the layout Sweep uses); --unfused uses the default Adam.
"""
import sys

import torch

from common import arguments, load_data, now, report


def main():
    channels_last = "--channels-last" in sys.argv
    fused = "--unfused" not in sys.argv
    sys.argv = [a for a in sys.argv if a not in ("--channels-last", "--unfused")]
    args = arguments(__doc__)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    x_train, y_train, x_val, y_val = (torch.from_numpy(a) for a in load_data())
    x_train = x_train.reshape(-1, 1, 28, 28)
    x_val = x_val.reshape(-1, 1, 28, 28)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(7 * 7 * 64, 128), torch.nn.ReLU(), torch.nn.Dropout(0.3),
        torch.nn.Linear(128, 10))
    for layer in (model[0], model[3], model[7]):
        torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        torch.nn.init.zeros_(layer.bias)
    torch.nn.init.xavier_uniform_(model[10].weight)
    torch.nn.init.zeros_(model[10].bias)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    x_train = x_train.contiguous(memory_format=memory_format)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(x_train)
    epoch_seconds = []
    for _ in range(args.epochs):
        order = torch.randperm(n)
        start = now()
        model.train()
        for i in range(0, n, args.batch_size):
            idx = order[i:i + args.batch_size]
            batch = x_train[idx].contiguous(memory_format=memory_format)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(batch), y_train[idx])
            loss.backward()
            optimizer.step()
        epoch_seconds.append(now() - start)
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x_val[i:i + 1000].contiguous(memory_format=memory_format)) for i in range(0, len(x_val), 1000)])
        accuracy = (logits.argmax(1) == y_val).float().mean().item()
    name = "pytorch" + ("-channels-last" if channels_last else "") + ("" if fused else "-unfused")
    report(name, args.batch_size, epoch_seconds, accuracy, n)


if __name__ == "__main__":
    main()
