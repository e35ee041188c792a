"""A PyTorch example (torch is large: not run by `make test`; `make bench` runs it when
torch is installed). A small MLP on scikit-learn's digits (data/digits.csv, exported by
`make deps` from Debian's python3-sklearn), reporting val_loss per epoch.

    pip install torch ./clients/python
    sweep run sweeps/commands/pytorch/sweep.yaml --workers 2
"""
import csv
import os

import torch
from torch import nn

import sweep_client

p = sweep_client.params()
torch.manual_seed(int(p.get("seed", 0)))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "data", "digits.csv")) as f:
    rows = list(csv.reader(f))[1:]
x = torch.tensor([[float(v) for v in r[:64]] for r in rows], dtype=torch.float32) / 16
y = torch.tensor([int(r[64]) for r in rows])
xt, yt, xv, yv = x[:1400], y[:1400], x[1400:], y[1400:]
model = nn.Sequential(nn.Linear(64, int(p.get("hidden", 64))), nn.ReLU(), nn.Dropout(float(p.get("dropout", 0.1))), nn.Linear(int(p.get("hidden", 64)), 10))
opt = torch.optim.Adam(model.parameters(), lr=float(p.get("lr", 1e-3)))
loss_fn = nn.CrossEntropyLoss()
for epoch in range(1, int(p.get("epochs", 20)) + 1):
    model.train()
    for i in range(0, len(xt), 64):
        opt.zero_grad()
        loss_fn(model(xt[i:i + 64]), yt[i:i + 64]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        out = model(xv)
        val_loss = loss_fn(out, yv).item()
        val_accuracy = (out.argmax(1) == yv).float().mean().item()
    if sweep_client.report(epoch, val_loss=val_loss, val_accuracy=val_accuracy):
        break
