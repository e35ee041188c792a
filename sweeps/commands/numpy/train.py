"""Polynomial regression by gradient descent with numpy: a small program of your own,
swept by Sweep. It reads its parameters with sweep_client and reports each epoch.

Runs by hand too:  python3 train.py --lr=0.1 --degree=5 --l2=0.001 --optimizer=momentum
"""
import numpy as np

import sweep_client

p = sweep_client.params()
lr, degree, l2 = float(p.get("lr", 0.1)), int(p.get("degree", 5)), float(p.get("l2", 1e-3))
optimizer, epochs = p.get("optimizer", "momentum"), int(p.get("epochs", 30))
momentum = float(p.get("momentum", 0.9))

rng = np.random.default_rng(0)  # the same data for every trial
x = rng.uniform(-1, 1, 400)
y = np.sin(3 * x) + 0.1 * rng.normal(size=x.size)
features = np.stack([x ** k for k in range(degree + 1)], axis=1)
train, val = slice(0, 300), slice(300, 400)

w = np.zeros(degree + 1)
velocity = np.zeros_like(w)
for epoch in range(1, epochs + 1):
    for batch in np.array_split(np.arange(300), 10):
        err = features[batch] @ w - y[batch]
        grad = features[batch].T @ err / batch.size + l2 * w
        if optimizer == "momentum":
            velocity = momentum * velocity - lr * grad
            w += velocity
        else:
            w -= lr * grad
    train_loss = float(np.mean((features[train] @ w - y[train]) ** 2))
    val_loss = float(np.mean((features[val] @ w - y[val]) ** 2))
    if not np.isfinite(val_loss):
        raise SystemExit("diverged at epoch %d (learning rate %g too large?)" % (epoch, lr))
    if sweep_client.report(epoch, train_loss=train_loss, val_loss=val_loss):
        break  # pruned: stop now
